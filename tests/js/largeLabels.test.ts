// A large explanation's row-level views and exports say which rows they are drawn from (js/tabular/sampleLabels.ts):
// the distribution chart, the data explorer and the dependence plot "sample of n" (their stratified sample); the
// cohort picker and editor "183 of 5,000 sampled rows", with the count over every row once the population job
// answered; the importance CSV/PNG what the chart shows (the engine's all-row bars, or the sample's), labelled.
// An ordinary explanation's views carry none of it.
import { afterEach, describe, expect, it } from "vitest";
import { createCohortEditor } from "../../js/core/cohortEditor";
import type { Cohort } from "../../js/core/cohorts";
import { sceneToSvg } from "../../js/core/export";
import { renderTabular } from "../../js/tabular/dashboard";
import { TabularData } from "../../js/tabular/data";
import { createDependencePlot } from "../../js/tabular/dependence/view";
import { createImportanceDistribution } from "../../js/tabular/distribution/view";
import { createDataExplorer } from "../../js/tabular/explorer/view";
import { importanceCsv, importanceScene } from "../../js/tabular/export";
import { createImportanceChart } from "../../js/tabular/importance";
import { attachPopulation, type PopulationFigures, scopeText } from "../../js/tabular/population";
import { TabularStore } from "../../js/tabular/store";
import { FakeModel, savedFile, TINY_BINARY, type TinyOptions, tinyPayload } from "./fixtures";

// The sample: 4 rows x 3 features, binary classification (one mirrored output, class 1), as population.test.ts's.
const SAMPLE: TinyOptions = TINY_BINARY;
const ALL: Cohort = { name: "All data", combine: "all", filters: [] };
const OLD: Cohort = { name: "old", combine: "all", filters: [{ column: "age", op: ">", value: 2 }] }; // 2 of the 4
const YOUNG: Cohort = { name: "young", combine: "all", filters: [{ column: "age", op: "<=", value: 1 }] }; // 1 of the 4
const COHORTS = [ALL, OLD, YOUNG];
const figures = (rows: number, scale: number): PopulationFigures => ({
  rows,
  importance: { yes: [0.7 * scale, 0.2 * scale, 0.1 * scale] },
  fidelity: { r2: 0.912, agreement: 0.955, rows },
  metrics: [{ metric: "accuracy", value: 0.6, n: rows }],
});
const POPULATION = { ...figures(1_000_000, 1), sample_rows: 4 };
const sample = (rows: number) => scopeText({ kind: "sample", rows });
const all = (rows: number) => scopeText({ kind: "all", rows });
const million = (1e6).toLocaleString();

let roots: HTMLElement[] = [];
afterEach(() => {
  for (const r of roots) r.remove();
  roots = [];
});
const attach = (el: HTMLElement) => {
  const root = document.createElement("div");
  root.appendChild(el);
  document.body.appendChild(root);
  roots.push(root);
  return root;
};

/** A store of the sample, large (meta.population, offline: no kernel) or ordinary. */
function storeOf(large: boolean, active = "All data"): TabularStore {
  const { meta, arrays } = tinyPayload(SAMPLE);
  const data = new TabularData(large ? ({ ...meta, population: POPULATION } as typeof meta) : meta, arrays);
  const store = new TabularStore(data, { cohorts: COHORTS, active, depFeature: 0 });
  if (large) expect(attachPopulation(store, null, false)).not.toBeNull();
  return store;
}
const chips = (root: ParentNode) =>
  Array.from(root.querySelectorAll<HTMLElement>('[data-testid="scope"]'), (c) => [c.dataset.scope, c.textContent]);

/** The dashboard of a large explanation in a notebook (the population job answers through the FakeModel). */
function dashboard(large = true) {
  const { meta, arrays } = tinyPayload(SAMPLE);
  const m = new FakeModel({
    kind: "tabular",
    meta: large ? { ...meta, population: POPULATION } : meta,
    arrays,
    cohorts: COHORTS,
    active_cohort: "All data",
    selected_rows: [],
    kernel: { available: false, reason: "needs the model", population: true },
  });
  const root = attach(document.createElement("div"));
  const cleanup = renderTabular(m, root, { importance: [createImportanceChart], cohorts: [createCohortEditor] });
  const q = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  const options = () => Array.from((q("cohort-select") as HTMLSelectElement).options, (o) => o.textContent);
  const counts = () => Array.from(root.querySelectorAll<HTMLElement>('[data-testid="cohort-count"]'), (c) => c.textContent);
  const answer = (cohort: Cohort, rows: number) => {
    const { id } = m.attrs.population_request as { id: number };
    m.set("population_result", { id, cohort, ...figures(rows, 2) });
    m.set("population_status", { id, state: "done", progress: null, message: "" });
  };
  const showTab = (tab: string) => (root.querySelector(`[data-testid="tab-${tab}"]`) as HTMLElement).click();
  return { m, root, q, options, counts, answer, showTab, cleanup };
}

describe("the distribution chart", () => {
  it("of a large explanation labels each cohort's shapes 'sample of n', in the legend and the readout", () => {
    const root = attach(createImportanceDistribution(storeOf(true)).el);
    expect(chips(root)).toEqual([
      ["sample", sample(4)],
      ["sample", sample(2)],
      ["sample", sample(1)],
    ]);
    const legend = root.querySelector(".rw-dist-legend") as HTMLElement;
    expect(legend.textContent).not.toContain("4 rows"); // the label stands in place of "All data 4 rows"
    const area = root.querySelector(".rw-dist-area") as HTMLElement;
    area.dispatchEvent(new FocusEvent("focus"));
    expect(root.querySelector('[data-testid="distribution-readout"]')?.textContent).toMatch(
      new RegExp(`^[a-z]+ · All data: ${sample(4)} · min `),
    );
    // the beeswarm: the active cohort's rows in the sample
    (root.querySelector('[data-mode="beeswarm"]') as HTMLElement).click();
    expect(chips(root)).toEqual([["sample", sample(4)]]);
  });

  it("of an ordinary explanation reads as before: the count, no label", () => {
    const root = attach(createImportanceDistribution(storeOf(false)).el);
    expect(chips(root)).toEqual([]);
    const items = Array.from(root.querySelectorAll<HTMLElement>(".rw-dist-legend .rw-legend-item"), (i) => i.textContent);
    expect(items).toEqual(["All data 4 rows", "old 2 rows", "young 1 row"]);
    (root.querySelector(".rw-dist-area") as HTMLElement).dispatchEvent(new FocusEvent("focus"));
    expect(root.querySelector('[data-testid="distribution-readout"]')?.textContent).toMatch(/^[a-z]+ · All data: 4 rows · min /);
  });
});

/** Drag across the dependence plot's whole width: the brush button's text. */
function brushAll(root: HTMLElement): string {
  const area = root.querySelector(".rw-dep-area") as HTMLElement;
  const fire = (type: string, x: number) => area.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: 50, button: 0, bubbles: true }));
  fire("pointerdown", 0);
  fire("pointermove", 2000);
  fire("pointerup", 2000);
  return root.querySelector(".rw-dep-make")?.textContent ?? "";
}

describe("the data explorer and the dependence plot", () => {
  it("of a large explanation say the active cohort's sampled rows: legend label, x title, the brush's count", () => {
    const store = storeOf(true, "old");
    const explorer = attach(createDataExplorer(store).el);
    expect(chips(explorer.querySelector('[data-testid="explorer-legend"]') as HTMLElement)).toEqual([["sample", sample(2)]]);
    expect(explorer.querySelector(".rw-ex-xtitle")?.textContent).toMatch(/\(2 sampled rows of "old"\)$/);
    const dependence = attach(createDependencePlot(store).el);
    expect(chips(dependence.querySelector(".rw-dep-legend") as HTMLElement)).toEqual([["sample", sample(2)]]);
    expect(dependence.querySelector(".rw-dep-xtitle")?.textContent).toBe('age (2 sampled rows of "old")');
    expect(brushAll(dependence)).toMatch(/^Make cohort from age .* \(2 sampled rows\)$/);
  });

  it("of an ordinary explanation read as before", () => {
    const store = storeOf(false, "old");
    const explorer = attach(createDataExplorer(store).el);
    expect(chips(explorer)).toEqual([]);
    expect(explorer.querySelector(".rw-ex-xtitle")?.textContent).toMatch(/\(2 rows of "old"\)$/);
    const dependence = attach(createDependencePlot(store).el);
    expect(chips(dependence)).toEqual([]);
    expect(dependence.querySelector(".rw-dep-xtitle")?.textContent).toBe('age (2 rows of "old")');
    expect(brushAll(dependence)).toMatch(/^Make cohort from age .* \(2 rows\)$/);
  });
});

describe("the cohort picker and editor", () => {
  it("say each cohort's rows in the sample, and its rows over all data once the population job answered", () => {
    const v = dashboard();
    expect(v.options()).toEqual([
      `All data (4 of 4 sampled rows · ${all(1e6)})`,
      "old (2 of 4 sampled rows)",
      "young (1 of 4 sampled rows)",
    ]);
    v.showTab("cohorts");
    expect(v.counts()).toEqual([`4 of 4 sampled rows · ${all(1e6)}`, "2 of 4 sampled rows", "1 of 4 sampled rows"]);
    v.m.set("active_cohort", "old");
    v.answer(OLD, 321_000);
    expect(v.options()[1]).toBe(`old (2 of 4 sampled rows · ${all(321_000)})`);
    expect(v.counts()[1]).toBe(`2 of 4 sampled rows · ${all(321_000)}`);
    // a draft of old's definition is known over all rows too; a new one is the sample's alone
    (v.root.querySelectorAll<HTMLElement>('[data-testid="cohort-edit"]')[1] as HTMLElement).click();
    expect(v.q("cohort-draft-count")?.textContent).toBe(`2 of 4 sampled rows · ${all(321_000)}`);
    (v.q("cohort-new") as HTMLElement).click();
    expect(v.q("cohort-draft-count")?.textContent).toBe(`4 of 4 sampled rows · ${all(1e6)}`); // no filter yet: All data's
    v.cleanup();
  });

  it("of an ordinary explanation read as before: the name alone, the count and its share", () => {
    const v = dashboard(false);
    expect(v.options()).toEqual(["All data", "old", "young"]);
    v.showTab("cohorts");
    expect(v.counts()).toEqual(["4 rows (100.0%)", "2 rows (50.0%)", "1 row (25.0%)"]);
    (v.q("cohort-new") as HTMLElement).click();
    expect(v.q("cohort-draft-count")?.textContent).toBe("4 of 4 rows");
    v.cleanup();
  });
});

/** The importance chart's bars on screen: cohort -> feature -> [value, scope]. */
function screenBars(root: ParentNode): Map<string, Map<string, [number, string | undefined]>> {
  const out = new Map<string, Map<string, [number, string | undefined]>>();
  for (const b of Array.from(root.querySelectorAll<HTMLElement>('[data-testid="importance-bar"]'))) {
    const feature = b.closest<HTMLElement>("[data-feature]")?.dataset.feature as string;
    const cohort = b.dataset.cohort as string;
    if (!out.has(cohort)) out.set(cohort, new Map());
    out.get(cohort)?.set(feature, [Number(b.dataset.value), b.dataset.scope]);
  }
  return out;
}
const csvLines = (csv: string) =>
  csv
    .split("\r\n")
    .filter((l) => l !== "")
    .map((l) => l.split(","));
const svgText = (store: TabularStore, withIntervals = false) => {
  const ci = () => ({ low: new Float64Array(3), high: new Float64Array([5, 5, 5]) });
  const svg = sceneToSvg(importanceScene(store, withIntervals ? ci : undefined));
  return Array.from(svg.querySelectorAll("text"), (t) => t.textContent ?? "");
};

describe("the importance export", () => {
  it("of a large explanation saves the bars the chart shows (all rows where shown, else the sample's), labelled", () => {
    const store = storeOf(true);
    const bars = screenBars(attach(createImportanceChart(store).el));
    const [header, ...lines] = csvLines(importanceCsv(store));
    expect(header).toEqual(["cohort", "rows", "output", "feature", "mean_abs_shap", "computed_on"]);
    expect(lines.length).toBe(9);
    for (const [cohort, rows, , feature, value, on] of lines) {
      const [shown, scope] = bars.get(cohort)?.get(feature) ?? [Number.NaN, "none"];
      expect(Number(value)).toBe(shown); // the file holds the screen's figure
      expect(on).toBe(scope === "all" ? "all rows" : "sample");
      expect(Number(rows)).toBe(scope === "all" ? 1e6 : store.maskOf(COHORTS.find((c) => c.name === cohort) as Cohort).count);
    }
    expect(lines.filter((l) => l[0] === "All data").map((l) => [l[3], Number(l[4]), l[5]])).toEqual([
      ["age", 0.7, "all rows"],
      ["income", 0.2, "all rows"],
      ["owner", 0.1, "all rows"],
    ]);
    const text = svgText(store);
    expect(text).toContain(`All data (${all(1e6)})`);
    expect(text).toContain(`old (${sample(2)})`);
    expect(text.some((t) => t.startsWith("Bars marked “all … rows” are over every row"))).toBe(true);
  });

  it("with whiskers (intervals: the bootstrap resamples the sample) saves the sample's bars, said so", () => {
    const store = storeOf(true);
    const ci = () => ({ low: new Float64Array(3), high: new Float64Array(3) });
    const lines = csvLines(importanceCsv(store, ci)).slice(1);
    const allData = lines.filter((l) => l[0] === "All data");
    expect(allData.map((l) => [l[1], l[7]])).toEqual([
      ["4", "sample"],
      ["4", "sample"],
      ["4", "sample"],
    ]);
    expect(allData.map((l) => Number(l[4]))).toEqual(Array.from(store.importance(ALL)).sort((a, b) => b - a));
    const text = svgText(store, true);
    expect(text).toContain(`All data (${sample(4)})`);
    expect(text).toContain("Every bar is computed on the cohort's rows in the stratified sample, not on all rows.");
  });

  it("of an ordinary explanation is as before: no column, no line about rows", () => {
    const store = storeOf(false);
    expect(csvLines(importanceCsv(store))[0]).toEqual(["cohort", "rows", "output", "feature", "mean_abs_shap"]);
    const text = svgText(store);
    expect(text).toContain("All data (4 rows)");
    expect(text.join(" ")).not.toMatch(/sample|all … rows/);
  });

  it("the buttons save it: the importance chart's CSV and PNG's words, the distribution's CSV with its column", async () => {
    const saved = savedFile;
    const store = storeOf(true);
    const importance = attach(createImportanceChart(store).el);
    const csv = csvLines(await saved(importance, "csv"));
    expect(csv[0].slice(-1)[0]).toBe("computed_on");
    expect(csv.find((l) => l[0] === "All data")?.slice(1, 2)).toEqual(["1000000"]);
    expect(await saved(importance, "svg")).toContain(`All data (${all(1e6)})`);
    const distribution = attach(createImportanceDistribution(store).el);
    const lines = csvLines(await saved(distribution, "csv"));
    expect(lines[0].slice(-1)[0]).toBe("computed_on");
    expect(lines.slice(1).every((l) => l.slice(-1)[0] === "sample")).toBe(true);
    expect(await saved(distribution, "svg")).toContain(`Drawn from the stratified sample of 4 of ${million} rows.`);
    // an ordinary explanation's distribution CSV: as before
    const ordinary = attach(createImportanceDistribution(storeOf(false)).el);
    expect(csvLines(await saved(ordinary, "csv"))[0].slice(-1)[0]).toBe("mean");
  });
});
