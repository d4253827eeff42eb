// The wire tested without a browser: every fixture pytest writes in tests/payloads/ (docs/architecture.md,
// "Payload fixtures") is decoded here as the view decodes it. Each cohort must select exactly the rows
// Python selects, the tabular importances and text token tables must match Python's, and the view must
// draw from the state, stating every cohort's size. An empty folder fails: nothing here is skipped.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Cohort, evaluateCohort } from "../../js/core/cohorts";
import type { Dataset } from "../../js/core/columns";
import { type DetectionArrays, DetectionData, type DetectionMeta } from "../../js/detection/data";
import { type ImageArrays, ImageData, type ImageMeta } from "../../js/image/data";
import widget from "../../js/index";
import { type TabularArrays, TabularData, type TabularMeta } from "../../js/tabular/data";
import { cohortFidelity, meanAbsImportance, type OutputChoice } from "../../js/tabular/stats";
import { type TextArrays, TextData, type TextMeta, type TextOutput } from "../../js/text/data";
import { aggregateTokens } from "../../js/text/tokens";
import { FakeModel } from "./fixtures";

interface State {
  kind: string;
  meta: unknown;
  arrays: unknown;
  cohorts: Cohort[];
  active_cohort: string;
  selected_rows: number[];
}

interface Fixture {
  name: string;
  kind: "tabular" | "text" | "image" | "detection";
  state: State;
  checks: {
    cohorts: { cohort: Cohort; rows: number[] }[];
    importance?: { cohort: string; output: OutputChoice; values: number[] }[];
    fidelity?: { cohort: string; rows: number; r2: number | null; agreement: number | null }[];
    tokens?: {
      cohort: string;
      output: TextOutput;
      stop_words: boolean;
      table: { token: string; mean: number; mean_abs: number; count: number }[];
    }[];
  };
}

const files = import.meta.glob<Fixture>("../payloads/*.json", { eager: true, import: "default" });

/** The state with every {"__b64__": ...} turned into a DataView, as rai_widget/report.py's page does. */
function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.__b64__ === "string") {
      const text = atob(v.__b64__);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      return new DataView(bytes.buffer);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  }
  return value;
}

function stateOf(f: Fixture): State {
  return revive(f.state) as State;
}

type Decoded =
  | { kind: "tabular"; data: TabularData }
  | { kind: "text"; data: TextData }
  | { kind: "image"; data: ImageData }
  | { kind: "detection"; data: DetectionData };

/** The modality's data class, decoding the state's meta and arrays. */
function decode(state: State): Decoded {
  if (state.kind === "tabular") return { kind: "tabular", data: new TabularData(state.meta as TabularMeta, state.arrays as TabularArrays) };
  if (state.kind === "text") return { kind: "text", data: new TextData(state.meta as TextMeta, state.arrays as TextArrays) };
  if (state.kind === "image") return { kind: "image", data: new ImageData(state.meta as ImageMeta, state.arrays as ImageArrays) };
  if (state.kind === "detection")
    return { kind: "detection", data: new DetectionData(state.meta as DetectionMeta, state.arrays as DetectionArrays) };
  throw new Error(`unknown kind ${state.kind}`);
}

const rowsOf = (mask: Uint8Array) => [...mask.keys()].filter((i) => mask[i] === 1);

/** The cohort a check names: from the checked cohorts, else the state's. */
function cohortNamed(f: Fixture, name: string): Cohort {
  const c = f.checks.cohorts.find((x) => x.cohort.name === name)?.cohort ?? f.state.cohorts.find((x) => x.name === name);
  if (!c) throw new Error(`fixture ${f.name}: no cohort named '${name}'`);
  return c;
}

/** Equal at float32 precision: relative 1e-5 (sums of float32 values in a different order). */
function expectClose(actual: number, expected: number, what: string) {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected)));
}

const fixtures = Object.entries(files)
  .map(([path, f]) => [path.replace(/^.*\//, ""), f] as const)
  .sort(([a], [b]) => (a < b ? -1 : 1));

it("pytest wrote the payload fixtures (tests/payloads/*.json)", () => {
  expect(fixtures.length).toBeGreaterThan(0);
  for (const [file, f] of fixtures) expect(`${f.name}.json`).toBe(file);
});

describe.each(fixtures)("%s", (_, f) => {
  const dataset = (): Dataset => decode(stateOf(f)).data.dataset;

  it("has cohort checks", () => {
    expect(f.checks.cohorts.length).toBeGreaterThan(0);
    expect(decode(stateOf(f)).kind).toBe(f.kind);
  });

  it("selects exactly the rows Python selects, for every cohort", () => {
    const data = dataset();
    for (const { cohort, rows } of f.checks.cohorts) {
      expect(rowsOf(evaluateCohort(cohort, data.columns, data.n)), cohort.name).toEqual(rows);
    }
  });

  it("matches Python's surrogate fidelity per cohort (tabular), as the header's badge shows it", () => {
    const decoded = decode(stateOf(f));
    if (decoded.kind !== "tabular") {
      expect(f.checks.fidelity).toBeUndefined();
      return;
    }
    const { data } = decoded;
    expect(f.checks.fidelity?.length).toBe(f.checks.cohorts.length);
    for (const check of f.checks.fidelity ?? []) {
      const fid = cohortFidelity(data, evaluateCohort(cohortNamed(f, check.cohort), data.dataset.columns, data.n));
      expect(fid.rows, check.cohort).toBe(check.rows);
      // null in the fixture is Python's NaN (JSON has none): undefined, e.g. a cohort with no rows
      if (check.r2 === null) expect(fid.r2, check.cohort).toBeNaN();
      else expectClose(fid.r2, check.r2, `${check.cohort} r2`);
      if (data.meta.task !== "classification") expect(fid.agreement, check.cohort).toBeNull();
      else if (check.agreement === null) expect(fid.agreement, check.cohort).toBeNaN();
      else expectClose(fid.agreement ?? Number.NaN, check.agreement, `${check.cohort} agreement`);
    }
  });

  it("matches Python's importances (tabular) and token tables (text)", () => {
    const decoded = decode(stateOf(f));
    if (decoded.kind === "tabular") {
      const { data } = decoded;
      expect(f.checks.importance?.length ?? 0).toBeGreaterThan(0);
      for (const check of f.checks.importance ?? []) {
        const mask = evaluateCohort(cohortNamed(f, check.cohort), data.dataset.columns, data.n);
        const imp = meanAbsImportance(data, mask, check.output);
        expect(imp.length).toBe(check.values.length);
        check.values.forEach((v, j) => {
          expectClose(imp[j], v, `${check.cohort} ${JSON.stringify(check.output)} ${data.meta.feature_names[j]}`);
        });
      }
    } else if (decoded.kind === "text") {
      const { data } = decoded;
      expect(f.checks.tokens?.length ?? 0).toBeGreaterThan(0);
      for (const check of f.checks.tokens ?? []) {
        const mask = evaluateCohort(cohortNamed(f, check.cohort), data.dataset.columns, data.n);
        const what = `${check.cohort} ${JSON.stringify(check.output)} stop_words=${check.stop_words}`;
        const table = aggregateTokens(data, mask, check.output, check.stop_words ? data.stopWords : undefined).slice(0, check.table.length);
        expect(
          table.map((t) => [t.token, t.count]),
          what,
        ).toEqual(check.table.map((t) => [t.token, t.count]));
        check.table.forEach((t, k) => {
          expectClose(table[k].mean, t.mean, `${what} ${t.token} mean`);
          expectClose(table[k].meanAbs, t.mean_abs, `${what} ${t.token} mean_abs`);
        });
      }
    } else {
      expect(f.checks.importance).toBeUndefined();
      expect(f.checks.tokens).toBeUndefined();
    }
  });

  describe("the view", () => {
    beforeEach(() => {
      vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => null) as never);
      URL.createObjectURL = () => "blob:test";
    });
    afterEach(() => {
      vi.restoreAllMocks();
      document.body.replaceChildren();
    });

    it("draws from the state and states every cohort's size", () => {
      const state = stateOf(f);
      const el = document.createElement("div");
      document.body.appendChild(el);
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      const cleanup = widget.render({ model: new FakeModel({ ...state }), el });
      expect(el.querySelector(".rw-root > .rw-error")?.textContent ?? null).toBeNull(); // index.ts says so when a view throws
      expect(errors).not.toHaveBeenCalled();
      expect(el.querySelectorAll("script, img[onerror]").length).toBe(0);
      const data = dataset();
      const sizes = Array.from(el.querySelectorAll<HTMLElement>('[data-testid="cohort-size"]'));
      for (const cohort of state.cohorts) {
        const mine = sizes.filter((s) => s.dataset.cohort === cohort.name);
        expect(mine.length, cohort.name).toBeGreaterThan(0);
        const want = String(rowsOf(evaluateCohort(cohort, data.columns, data.n)).length);
        for (const s of mine) expect(s.dataset.rows, cohort.name).toBe(want);
      }
      const options = Array.from(el.querySelectorAll<HTMLOptionElement>('[data-testid="cohort-select"] option'));
      expect(options.map((o) => o.textContent)).toEqual(state.cohorts.map((c) => c.name));
      expect(options.every((o) => o.dataset.testid === "cohort-size")).toBe(true);
      cleanup();
      expect(el.childElementCount).toBe(0);
    });
  });
});
