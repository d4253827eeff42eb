// A large explanation's dashboard (js/tabular/population.ts): every figure labelled "all N rows" or "sample of
// n"; "All data"'s figures over every row from meta.population; a cohort built in the view asked of the
// kernel's population job, its sample figures shown (and said so) until the answer replaces them; a switch
// cancels; an error shows its message; offline, the sample's figures stay, said so. An ordinary explanation
// shows no label.
import { afterEach, describe, expect, it } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { renderTabular } from "../../js/tabular/dashboard";
import { createImportanceChart } from "../../js/tabular/importance";
import { createMetricsView } from "../../js/tabular/metrics/view";
import { importanceFor, type PopulationFigures, scopeChip, scopeText } from "../../js/tabular/population";
import { EVIL, FakeModel, TINY_BINARY, type TinyOptions, tinyPayload } from "./fixtures";

// The sample: 4 rows x 3 features, binary classification (one mirrored output, class 1).
const SAMPLE: TinyOptions = TINY_BINARY;
const ALL: Cohort = { name: "All data", combine: "all", filters: [] };
const OLD: Cohort = { name: "old", combine: "all", filters: [{ column: "age", op: ">", value: 2 }] };
const YOUNG: Cohort = { name: "young", combine: "all", filters: [{ column: "age", op: "<=", value: 2 }] };

const figures = (rows: number, scale: number): PopulationFigures => ({
  rows,
  importance: { yes: [0.7 * scale, 0.2 * scale, 0.1 * scale] }, // the engine stores a binary classifier's class 1
  fidelity: { r2: 0.912, agreement: 0.955, rows },
  metrics: [
    { metric: "accuracy", value: 0.5 + scale / 10, n: rows },
    { metric: "log loss", value: 0.25, n: rows },
  ],
});
const POPULATION = { ...figures(1_000_000, 1), sample_rows: 4 };

let roots: HTMLElement[] = [];
afterEach(() => {
  for (const r of roots) r.remove();
  roots = [];
});

function mount(opts: { population?: boolean; live?: boolean; cohorts?: Cohort[]; active?: string } = {}) {
  const { meta, arrays } = tinyPayload(SAMPLE);
  const m = new FakeModel({
    kind: "tabular",
    meta: opts.population === false ? meta : { ...meta, population: POPULATION },
    arrays,
    cohorts: opts.cohorts ?? [ALL, OLD, YOUNG],
    active_cohort: opts.active ?? "All data",
    selected_rows: [],
    kernel: { available: false, reason: "needs the model", ...(opts.live === false ? {} : { population: true }) },
  });
  const root = document.createElement("div");
  document.body.appendChild(root);
  roots.push(root);
  const cleanup = renderTabular(m, root, { importance: [createImportanceChart], performance: [createMetricsView], cohorts: [] });
  const q = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const all = (id: string) => Array.from(root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));
  const bars = (cohort: string) =>
    all("importance-bar")
      .filter((b) => b.dataset.cohort === cohort)
      .map((b) => [b.closest<HTMLElement>("[data-feature]")?.dataset.feature, Number(b.dataset.value), b.dataset.scope]);
  const requests = () => (m.attrs.population_request ? [m.attrs.population_request] : []);
  /** The kernel's answer, in KernelJob's order: the result, then the status. */
  const answer = (id: number, state: string, result: Record<string, unknown> | null = null, message = "") => {
    if (result) m.set("population_result", { id, ...result });
    m.set("population_status", { id, state, progress: state === "running" ? 0 : null, message });
  };
  const activate = (name: string) => m.set("active_cohort", name); // as if Python (or the picker) set it
  const showTab = (tab: string) => (root.querySelector(`[data-testid="tab-${tab}"]`) as HTMLElement).click();
  const metric = (cohort: string, name: string) =>
    all("metric-cell").find((c) => c.dataset.cohort === cohort && c.dataset.metric === name) as HTMLElement;
  return { m, root, q, all, bars, requests, answer, activate, showTab, metric, cleanup };
}

describe("labels", () => {
  it("read 'all N rows' and 'sample of n', one row in the singular", () => {
    expect(scopeText({ kind: "all", rows: 12345 })).toBe(`all ${(12345).toLocaleString()} rows`);
    expect(scopeText({ kind: "all", rows: 1 })).toBe("all 1 row");
    expect(scopeText({ kind: "sample", rows: 1234 })).toBe(`sample of ${(1234).toLocaleString()}`);
  });

  it("an ordinary explanation shows none, and asks the kernel nothing", () => {
    const v = mount({ population: false });
    expect(v.all("scope")).toEqual([]);
    expect(v.q("rows-scope")).toBeNull();
    expect(v.q("population-note")).toBeNull();
    expect(v.q("header-rows")?.textContent).toBe("4 of 4 rows");
    expect(v.q("fidelity")?.textContent?.startsWith("Surrogate fidelity: R² ")).toBe(true);
    expect(v.all("importance-bar").every((b) => b.dataset.scope === undefined)).toBe(true);
    v.activate("old");
    expect(v.requests()).toEqual([]);
    v.showTab("performance");
    expect(v.q("metrics-settings")?.textContent).toContain("exp.metrics() gives the same numbers");
    expect(v.q("metrics-settings")?.textContent).not.toContain("point figures");
    v.cleanup();
  });

  it("All data of a large explanation shows the engine's figures over every row, labelled", () => {
    const v = mount();
    const header = v.q("rows-scope") as HTMLElement;
    expect([header.dataset.scope, header.dataset.rows, header.textContent]).toEqual([
      "all",
      "1000000",
      scopeText({ kind: "all", rows: 1e6 }),
    ]);
    expect(v.q("fidelity")?.textContent).toBe(`Surrogate fidelity: R² 0.912, agreement 95.5%${scopeText({ kind: "all", rows: 1e6 })}`);
    expect(v.q("fidelity-scope")?.dataset.scope).toBe("all");
    // the bars of All data are the engine's (class 1's list serves the mirrored class 0 too), the others the sample's
    expect(v.bars("All data")).toEqual([
      ["age", 0.7, "all"],
      ["income", 0.2, "all"],
      ["owner", 0.1, "all"],
    ]);
    expect(v.bars("old").map((b) => b[2])).toEqual(["sample", "sample", "sample"]);
    const legend = v.all("scope").filter((s) => s.closest(".rw-legend"));
    expect(legend.map((s) => [s.dataset.scope, s.dataset.rows])).toEqual([
      ["all", "1000000"],
      ["sample", "2"],
      ["sample", "2"],
    ]);
    expect(v.q("population-note")?.textContent).toContain(`stratified sample of 4 of ${(1e6).toLocaleString()} rows`);
    expect(v.requests()).toEqual([]); // All data's figures came with the payload

    v.showTab("performance");
    expect(v.q("metrics-settings")?.textContent).toContain("point figures over every row of the cohort");
    const accuracy = v.metric("All data", "accuracy");
    expect([accuracy.dataset.value, accuracy.dataset.scope]).toEqual(["0.6", "all"]);
    expect(v.metric("old", "accuracy").dataset.scope).toBe("sample");
    const n = v.all("metrics-n").find((e) => e.dataset.cohort === "All data") as HTMLElement;
    expect(n.dataset.n).toBe("1000000");
    expect(v.q("confusion-matrix")?.querySelector('[data-testid="scope"]')?.textContent).toBe(scopeText({ kind: "sample", rows: 4 }));
    v.cleanup();
  });
});

describe("a cohort pushed down to the engine", () => {
  it("shows the sample's figures, labelled, while the kernel runs, then the figures over all its rows", () => {
    const v = mount();
    v.activate("old");
    const [request] = v.requests() as { id: number; params: { cohort: Cohort } }[];
    expect(request.params.cohort).toEqual(OLD);
    v.answer(request.id, "running");
    expect(v.q("rows-scope")?.dataset.scope).toBe("sample");
    expect(v.q("rows-scope")?.textContent).toBe(scopeText({ kind: "sample", rows: 2 }));
    expect(v.q("population-note")?.dataset.state).toBe("running");
    expect(v.q("population-note")?.textContent).toContain("Computing “old” over all");
    expect(v.q("fidelity-scope")?.dataset.scope).toBe("sample");
    const sampleBars = v.bars("old");
    expect(sampleBars.map((b) => b[2])).toEqual(["sample", "sample", "sample"]);
    expect(sampleBars.map((b) => b[1]).sort()).toEqual([0.5, 0.5, 2.125].sort()); // rows 2 and 3 of the sample

    v.answer(request.id, "done", { cohort: OLD, ...figures(321_000, 2) });
    expect(v.q("rows-scope")?.dataset.rows).toBe("321000");
    expect(v.q("rows-scope")?.dataset.scope).toBe("all");
    expect(v.q("header-rows")?.textContent).toBe(`${scopeText({ kind: "all", rows: 321000 })} of ${(1e6).toLocaleString()}`);
    expect(v.q("population-note")?.dataset.state).toBe("known");
    expect(v.bars("old")).toEqual([
      ["age", 1.4, "all"],
      ["income", 0.4, "all"],
      ["owner", 0.2, "all"],
    ]);
    v.showTab("performance");
    expect(v.metric("old", "accuracy").dataset.value).toBe("0.7");
    expect(v.metric("old", "accuracy").dataset.scope).toBe("all");
    expect(v.metric("young", "accuracy").dataset.scope).toBe("sample");

    // known now: going back to All data and to it again asks nothing more
    v.activate("All data");
    v.activate("old");
    expect((v.m.attrs.population_request as { id: number }).id).toBe(request.id);
    v.cleanup();
  });

  it("switching cohort cancels the running job and drops its late answer", () => {
    const v = mount();
    v.activate("old");
    const first = (v.m.attrs.population_request as { id: number }).id;
    const sent: unknown[] = [];
    v.m.on("change:population_request", () => sent.push(v.m.attrs.population_request));
    v.activate("young");
    expect(sent[0]).toEqual({ id: first, cancel: true });
    const second = sent[1] as { id: number; params: { cohort: Cohort } };
    expect(second.params.cohort).toEqual(YOUNG);
    // the first job's late answer (had it slipped past the cancel) changes nothing
    v.answer(first, "done", { cohort: OLD, ...figures(321_000, 2) });
    expect(v.q("rows-scope")?.dataset.scope).toBe("sample");
    v.answer(second.id, "done", { cohort: YOUNG, ...figures(679_000, 3) });
    expect(v.q("rows-scope")?.dataset.rows).toBe("679000");
    // old's figures were never received: asked again
    v.activate("old");
    expect((sent[sent.length - 1] as { params: { cohort: Cohort } }).params.cohort).toEqual(OLD);
    v.cleanup();
  });

  it("editing the active cohort's filters asks for the new definition", () => {
    const v = mount({ active: "old" });
    const first = v.m.attrs.population_request as { id: number; params: { cohort: Cohort } };
    expect(first.params.cohort).toEqual(OLD); // the active cohort at start is asked for too
    const older = { ...OLD, filters: [{ column: "age", op: ">", value: 3 }] };
    v.m.set("cohorts", [ALL, older, YOUNG]);
    const last = v.m.attrs.population_request as { params: { cohort: Cohort } };
    expect(last.params.cohort).toEqual(older);
    v.cleanup();
  });

  it("a job error shows its message, as text, and keeps the sample's figures", () => {
    const evil: Cohort = { ...OLD, name: EVIL };
    const v = mount({ cohorts: [ALL, evil], active: EVIL });
    const { id } = v.m.attrs.population_request as { id: number };
    v.answer(id, "error", null, `the cluster lost a worker <b>${EVIL}</b>`);
    const note = v.q("population-note") as HTMLElement;
    expect(note.dataset.state).toBe("error");
    expect(note.classList.contains("rw-error")).toBe(true);
    expect(note.textContent).toContain(`the cluster lost a worker <b>${EVIL}</b>.`);
    expect(note.textContent).toContain(`Could not compute “${EVIL}” over all rows`);
    expect(v.root.querySelector("img, b")).toBeNull();
    expect(v.q("rows-scope")?.dataset.scope).toBe("sample");
    v.cleanup();
  });

  it("offline (a report), a new cohort keeps the sample's figures and says the kernel computes the others", () => {
    const v = mount({ live: false });
    expect(v.q("rows-scope")?.dataset.scope).toBe("all"); // All data's came with the report
    v.activate("old");
    expect(v.requests()).toEqual([]);
    const note = v.q("population-note") as HTMLElement;
    expect(note.dataset.state).toBe("offline");
    expect(note.textContent).toContain("need the kernel");
    expect(v.q("rows-scope")?.textContent).toBe(scopeText({ kind: "sample", rows: 2 }));
    expect(v.bars("old").map((b) => b[2])).toEqual(["sample", "sample", "sample"]);
    v.cleanup();
  });
});

describe("what only the sample has stays the sample's, said so", () => {
  it("with whiskers on, the bars are the sample's (the bootstrap resamples its rows); Difference names both samples", () => {
    const v = mount();
    expect(v.bars("All data").map((b) => b[2])).toEqual(["all", "all", "all"]);
    const whiskers = v.q("importance-whiskers") as HTMLInputElement;
    whiskers.checked = true;
    whiskers.dispatchEvent(new Event("change"));
    expect(v.bars("All data").map((b) => b[2])).toEqual(["sample", "sample", "sample"]);
    expect(v.bars("All data").map((b) => b[1])).toEqual([1.25, 1.0625, 0.875]); // mean |value| of the 4 sample rows
    (v.all("importance-mode").find((b) => b.dataset.mode === "difference") as HTMLElement).click();
    const chips = Array.from(v.q("difference-scope")?.querySelectorAll<HTMLElement>('[data-testid="scope"]') ?? []);
    expect(chips.map((c) => [c.dataset.scope, c.dataset.rows])).toEqual([
      ["sample", "2"],
      ["sample", "4"],
    ]);
    v.cleanup();
  });
});

describe("importance over all rows for the output shown", () => {
  const multi = { output_names: ["a", "b", "c"], feature_names: ["x", "y"], binary_mirror: false } as never;
  const fig: PopulationFigures = { rows: 9, importance: { a: [1, 2], b: [3, 4], c: [5, null] }, fidelity: {}, metrics: [] };
  it("one class is its list; the average, the mean of the classes'; each row's predicted class is not there", () => {
    expect(Array.from(importanceFor(multi, fig, { kind: "output", index: 1 }) ?? [])).toEqual([3, 4]);
    const avg = Array.from(importanceFor(multi, fig, { kind: "average" }) ?? []);
    expect(avg[0]).toBeCloseTo(3, 12);
    expect(avg[1]).toBeNaN(); // null: NaN, not 0
    expect(importanceFor(multi, fig, { kind: "predicted" })).toBeNull();
    expect(importanceFor(multi, { ...fig, importance: { a: [1, 2] } }, { kind: "average" })).toBeNull();
  });
});

describe("scopeChip", () => {
  it("says what the figures were computed on, true of a Dask explanation and of a report's sample alike", () => {
    const all = scopeChip({ kind: "all", rows: 300_000 });
    expect(all.textContent).toBe("all 300,000 rows");
    expect(all.title).toBe("Computed over every row of the cohort, not only the sample");
    expect(scopeChip({ kind: "sample", rows: 50 }).title).toContain("in the sample the view holds");
  });
});
