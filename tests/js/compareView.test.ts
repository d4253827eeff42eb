// The importance chart's difference mode and whiskers (js/tabular/importance.ts) on the data of
// tests/compare_cases.json: it draws compare.ts's numbers (equal to exp.compare's, compare.test.ts), marks
// the features whose interval excludes 0 by text and shape, picks cohorts a and b visibly, computes in
// slices, and exports what it draws.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Cohort, evaluateCohort } from "../../js/core/cohorts";
import { COMPARE_SETTINGS, compareCohorts, importanceIntervals } from "../../js/tabular/compare";
import { type TabularArrays, TabularData, type TabularMeta } from "../../js/tabular/data";
import { differenceCsv, differenceScene, importanceCsv } from "../../js/tabular/export";
import { createImportanceChart } from "../../js/tabular/importance";
import { TabularStore } from "../../js/tabular/store";
import cases from "../compare_cases.json";

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

const binary = cases.cases.find((c) => c.name === "binary") as (typeof cases.cases)[number];
const data = new TabularData(revive(binary.meta) as TabularMeta, revive(binary.arrays) as TabularArrays);
const ALL: Cohort = { name: "All data", combine: "all", filters: [] };
const HIGH: Cohort = { name: "x0 > 0.2", combine: "all", filters: [{ column: "x0", op: ">", value: 0.2 }] };
const LOW: Cohort = { name: "x0 <= 0.2", combine: "all", filters: [{ column: "x0", op: "<=", value: 0.2 }] };
const NOBODY: Cohort = { name: "nobody", combine: "all", filters: [{ column: "x0", op: ">", value: 99 }] };
const maskOf = (c: Cohort) => evaluateCohort(c, data.dataset.columns, data.n);

function chart(cohorts: Cohort[], active = cohorts[0].name, sortBy = cohorts[0].name) {
  const store = new TabularStore(data, { cohorts, active, sortBy, topK: data.f });
  const view = createImportanceChart(store);
  document.body.appendChild(view.el);
  const q = <T extends HTMLElement>(sel: string) => view.el.querySelector<T>(sel) as T;
  const mode = (m: string) => q<HTMLButtonElement>(`[data-testid="importance-mode"][data-mode="${m}"]`).click();
  return { store, view, q, mode, panel: () => q('[data-testid="importance-difference"]') };
}

const rowsOf = (el: HTMLElement) => Array.from(el.querySelectorAll<HTMLElement>('[data-testid="difference-bar"]'));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

describe("difference mode", () => {
  it("is off at first: the bars and their tests are as they were", () => {
    const { q, panel, view } = chart([ALL, HIGH]);
    expect(panel().hidden).toBe(true);
    expect(view.el.dataset.mode).toBe("bars");
    expect(q('[data-testid="importance-mode"][data-mode="bars"]').getAttribute("aria-pressed")).toBe("true");
    expect(view.el.querySelectorAll('[data-testid="importance-bar"]').length).toBe(2 * data.f);
    expect(view.el.querySelector('[data-testid="importance-bar"]')?.hasAttribute("data-low")).toBe(false);
  });

  it("draws exp.compare's differences and intervals, largest first, once the slices are done", () => {
    const { q, mode, panel } = chart([ALL, HIGH, LOW], "x0 > 0.2", "x0 <= 0.2");
    mode("difference");
    expect(panel().hidden).toBe(false);
    // the active cohort against the sort cohort, as the selects say
    expect(q<HTMLSelectElement>('[data-testid="difference-a"]').value).toBe("x0 > 0.2");
    expect(q<HTMLSelectElement>('[data-testid="difference-b"]').value).toBe("x0 <= 0.2");
    expect(panel().dataset.state).toBe("running");
    vi.runAllTimers();
    expect(panel().dataset.state).toBe("done");
    const expected = compareCohorts(data, maskOf(HIGH), maskOf(LOW), { kind: "output", index: 1 }, COMPARE_SETTINGS);
    const rows = rowsOf(panel());
    expect(rows.map((r) => r.dataset.feature)).toEqual(expected.order.map((j) => data.meta.feature_names[j]));
    rows.forEach((r, s) => {
      const j = expected.order[s];
      expect(Number(r.dataset.difference)).toBe(expected.difference[j]);
      expect(Number(r.dataset.low)).toBe(expected.low[j]);
      expect(Number(r.dataset.high)).toBe(expected.high[j]);
      const excludes = expected.excludesZero[j] === 1;
      expect(r.dataset.excludesZero).toBe(String(excludes));
      // the mark is text and shape, not colour alone
      expect(r.querySelector(".rw-diff-value")?.textContent?.includes("✱")).toBe(excludes);
      expect(r.querySelector(".rw-diff-bar")?.classList.contains(excludes ? "rw-diff-solid" : "rw-diff-hollow")).toBe(true);
      expect(r.querySelector(".rw-diff-whisker")).not.toBeNull();
    });
    expect(Array.from(expected.excludesZero)).toContain(1); // x0 is planted: doubled in x0 > 0.2
    expect(rows.find((r) => r.dataset.feature === "x0")?.dataset.excludesZero).toBe("true"); // planted
    const caption = q('[data-testid="difference-caption"]').textContent ?? "";
    expect(caption).toContain("“x0 > 0.2” − “x0 <= 0.2”");
    expect(caption).toContain("95% bootstrap intervals (1,000 resamples of each cohort's rows, seed 0)");
    expect(caption).not.toContain("share");
    expect(panel().querySelectorAll('[data-testid="cohort-size"]').length).toBe(2);
    expect(panel().dataset.nBoot).toBe("1000");
  });

  it("has the differences before the intervals, and marks nothing until they are known", () => {
    const { mode, panel } = chart([ALL, HIGH], "x0 > 0.2");
    mode("difference");
    const rows = rowsOf(panel());
    expect(rows.length).toBe(data.f);
    for (const r of rows) {
      expect(Number.isFinite(Number(r.dataset.difference))).toBe(true);
      expect(r.dataset.low).toBe("NaN");
      expect(r.dataset.excludesZero).toBe("");
      expect(r.querySelector(".rw-diff-value")?.textContent).not.toContain("✱");
    }
    expect(panel().querySelector('[data-testid="difference-progress"]')?.textContent).toMatch(/^Computing the intervals: \d+%/);
  });

  it("takes all data as b when the active cohort is all data; the user's picks are kept", () => {
    const { q, mode, panel } = chart([ALL, LOW, HIGH]);
    mode("difference");
    expect(panel().dataset.a).toBe("x0 <= 0.2");
    expect(panel().dataset.b).toBe("All data");
    const b = q<HTMLSelectElement>('[data-testid="difference-b"]');
    b.value = "x0 > 0.2";
    b.dispatchEvent(new Event("change"));
    expect(panel().dataset.b).toBe("x0 > 0.2");
    vi.runAllTimers();
    const expected = compareCohorts(data, maskOf(LOW), maskOf(HIGH), { kind: "output", index: 1 }, COMPARE_SETTINGS);
    const x0 = rowsOf(panel()).find((r) => r.dataset.feature === "x0") as HTMLElement;
    expect(Number(x0.dataset.high)).toBe(expected.high[0]);
    expect(panel().querySelector('[data-testid="difference-caption"]')?.textContent).not.toContain("share");
  });

  it("says what is missing: a second cohort, or rows", () => {
    const one = chart([ALL]);
    one.mode("difference");
    expect(one.panel().textContent).toContain("The difference needs two cohorts");
    expect(rowsOf(one.panel()).length).toBe(0);
    const empty = chart([ALL, NOBODY], "nobody");
    empty.mode("difference");
    expect(empty.panel().textContent).toContain("Cohort “nobody” has no rows");
    vi.runAllTimers();
    expect(rowsOf(empty.panel()).length).toBe(0);
  });

  it("computes nothing while another tab is shown", () => {
    const { store, mode, panel, view } = chart([ALL, HIGH], "x0 > 0.2");
    store.update({ tab: "performance" });
    mode("difference");
    vi.runAllTimers();
    expect(panel().dataset.state).toBe("done"); // nothing asked for
    expect(rowsOf(panel())[0].dataset.low).toBe("NaN");
    store.update({ tab: "importance" });
    view.update(new Set(["tab"]));
    vi.runAllTimers();
    expect(rowsOf(panel())[0].dataset.low).not.toBe("NaN");
  });

  it("exports what it draws: the CSV holds exp.compare's table, the picture the zero line and marks", () => {
    const { store, mode } = chart([ALL, HIGH], "x0 > 0.2");
    mode("difference");
    const expected = compareCohorts(data, maskOf(HIGH), maskOf(ALL), { kind: "output", index: 1 }, COMPARE_SETTINGS);
    const view = {
      a: HIGH,
      b: ALL,
      colorA: "#ff7f0e",
      colorB: "#1f77b4",
      d: expected,
      settings: COMPARE_SETTINGS,
      shared: 0,
      done: true,
    };
    const lines = differenceCsv(store, view).trim().split("\r\n");
    expect(lines[0]).toBe(
      "feature,output,cohort_a,rows_a,cohort_b,rows_b,mean_abs_a,mean_abs_b,difference,ci_low,ci_high,excludes_zero,ci,n_boot,seed",
    );
    const first = lines[1].split(",");
    const j = expected.order[0];
    expect(first[0]).toBe(data.meta.feature_names[j]);
    expect(Number(first[8])).toBe(expected.difference[j]);
    expect(Number(first[9])).toBe(expected.low[j]);
    expect(first[11]).toBe(String(expected.excludesZero[j] === 1));
    expect(lines.length).toBe(1 + data.f);
    const scene = differenceScene(store, view);
    const texts = scene.items.flatMap((i) => (i.kind === "text" ? [i.text] : []));
    expect(texts.some((t) => /^[+−]/.test(t))).toBe(true);
    expect(texts).toContain("0");
    expect(scene.title).toBe("Difference in feature importance: x0 > 0.2 − All data");
  });
});

describe("whiskers on the plain bars", () => {
  it("show each cohort's interval of its mean when the box is ticked, and go when it is not", () => {
    const { q, view } = chart([ALL, HIGH]);
    const box = q<HTMLInputElement>('[data-testid="importance-whiskers"]');
    box.checked = true;
    box.dispatchEvent(new Event("change"));
    vi.runAllTimers();
    for (const cohort of [ALL, HIGH]) {
      const expected = importanceIntervals(data, maskOf(cohort), { kind: "output", index: 1 }, COMPARE_SETTINGS);
      const bars = Array.from(view.el.querySelectorAll<HTMLElement>('[data-testid="importance-bar"]')).filter(
        (b) => b.dataset.cohort === cohort.name,
      );
      expect(bars.length).toBe(data.f);
      for (const bar of bars) {
        const j = data.meta.feature_names.indexOf(bar.closest<HTMLElement>(".rw-bar-group")?.dataset.feature ?? "");
        expect(Number(bar.dataset.low)).toBe(expected.low[j]);
        expect(Number(bar.dataset.high)).toBe(expected.high[j]);
        expect(Number(bar.dataset.value)).toBeCloseTo(expected.mean[j], 12);
        expect(bar.querySelector(".rw-imp-whisker")).not.toBeNull();
      }
    }
    expect(q('[data-testid="importance-whiskers-note"]').textContent).toContain("95% bootstrap interval");
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    expect(view.el.querySelector(".rw-imp-whisker")).toBeNull();
    expect(view.el.querySelector('[data-testid="importance-bar"]')?.hasAttribute("data-low")).toBe(false);
  });

  it("adds the intervals to the CSV only when they are shown", () => {
    const store = new TabularStore(data, { cohorts: [ALL] });
    expect(importanceCsv(store).split("\r\n")[0]).toBe("cohort,rows,output,feature,mean_abs_shap");
    const ci = importanceIntervals(data, maskOf(ALL), { kind: "output", index: 1 }, COMPARE_SETTINGS);
    const lines = importanceCsv(store, () => ci).split("\r\n");
    expect(lines[0]).toBe("cohort,rows,output,feature,mean_abs_shap,ci_low,ci_high");
    const first = lines[1].split(",");
    const j = data.meta.feature_names.indexOf(first[3]);
    expect(Number(first[5])).toBe(ci.low[j]);
  });
});
