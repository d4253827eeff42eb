// Every CSV a large explanation's tabular views export says which rows its figures were computed on, as the
// labels on screen do ("all N rows" / "sample of n"): a computed_on column, "all rows" or "sample", from one
// helper (js/tabular/computedOn.ts). The data explorer (points and bins), the Difference mode and the dependence
// plot draw the stratified sample, so every line of theirs reads "sample"; the Difference picture names each
// cohort's rows as the sample's. An ordinary explanation's files are as before: no column.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { COMPARE_SETTINGS, compareCohorts } from "../../js/tabular/compare";
import { TabularData } from "../../js/tabular/data";
import { createDependencePlot } from "../../js/tabular/dependence/view";
import { createImportanceDistribution } from "../../js/tabular/distribution/view";
import { createDataExplorer } from "../../js/tabular/explorer/view";
import { createImportanceChart } from "../../js/tabular/importance";
import { attachPopulation, type PopulationFigures, scopeText } from "../../js/tabular/population";
import { TabularStore } from "../../js/tabular/store";
import { savedFile, TINY_BINARY, tinyPayload } from "./fixtures";

const ALL: Cohort = { name: "All data", combine: "all", filters: [] };
const OLD: Cohort = { name: "old", combine: "all", filters: [{ column: "age", op: ">", value: 2 }] }; // rows 1-3 of 0-3: 2 rows
const COHORTS = [ALL, OLD];
const figures = (rows: number): PopulationFigures => ({
  rows,
  importance: { yes: [0.7, 0.2, 0.1] },
  fidelity: { r2: 0.912, agreement: 0.955, rows },
  metrics: [{ metric: "accuracy", value: 0.6, n: rows }],
});
const POPULATION = { ...figures(1_000_000), sample_rows: 4 };

let roots: HTMLElement[] = [];
afterEach(() => {
  for (const r of roots) r.remove();
  roots = [];
  vi.restoreAllMocks();
});
const attach = (el: HTMLElement) => {
  document.body.appendChild(el);
  roots.push(el);
  return el;
};

/** The fixture's four rows as a large explanation's sample (meta.population, offline) or as an ordinary explanation. */
function storeOf(large: boolean, active = "All data"): TabularStore {
  const { meta, arrays } = tinyPayload(TINY_BINARY);
  const data = new TabularData(large ? ({ ...meta, population: POPULATION } as typeof meta) : meta, arrays);
  const store = new TabularStore(data, { cohorts: COHORTS, active, sortBy: "All data", depFeature: 0, topK: 3 });
  if (large) expect(attachPopulation(store, null, false)).not.toBeNull();
  return store;
}

/** The CSV lines as cells (the fixture's names and numbers hold no comma or quote). */
const csvLines = (csv: string) =>
  csv
    .split("\r\n")
    .filter((l) => l !== "")
    .map((l) => l.split(","));

const saved = savedFile;

/** The explorer of `store` in the given mode. */
function explorer(store: TabularStore, mode: "individual" | "aggregate"): HTMLElement {
  const el = attach(createDataExplorer(store).el);
  const select = el.querySelector('[data-testid="explorer-mode"]') as HTMLSelectElement;
  select.value = mode;
  select.dispatchEvent(new Event("change"));
  return el;
}

describe("the data explorer's CSV", () => {
  it("of a large explanation: every point of the sample's rows of the cohort, each line computed_on 'sample'", async () => {
    const large = csvLines(await saved(explorer(storeOf(true, "old"), "individual"), "csv"));
    const ordinary = csvLines(await saved(explorer(storeOf(false, "old"), "individual"), "csv"));
    expect(large[0]).toEqual([...ordinary[0], "computed_on"]);
    expect(large.length).toBe(3); // old's 2 rows in the sample
    expect(large.slice(1).map((l) => l.slice(0, -1))).toEqual(ordinary.slice(1)); // the same figures, one column more
    expect(large.slice(1).map((l) => l[l.length - 1])).toEqual(["sample", "sample"]);
    expect(large.slice(1).map((l) => Number(l[0]))).toEqual([2, 3]); // rows 2 and 3: age 3 and 4
  });

  it("of a large explanation's bins: each bin's line computed_on 'sample'", async () => {
    const large = csvLines(await saved(explorer(storeOf(true), "aggregate"), "csv"));
    const ordinary = csvLines(await saved(explorer(storeOf(false), "aggregate"), "csv"));
    expect(large[0]).toEqual([...ordinary[0], "computed_on"]);
    expect(large.length).toBeGreaterThan(1);
    expect(large.slice(1).map((l) => l.slice(0, -1))).toEqual(ordinary.slice(1));
    expect(large.slice(1).every((l) => l[l.length - 1] === "sample")).toBe(true);
    const rows = large[0].indexOf("rows");
    expect(large.slice(1).reduce((s, l) => s + Number(l[rows]), 0)).toBe(4); // the bins hold the sample's 4 rows
  });

  it("of an ordinary explanation has no computed_on column", async () => {
    for (const mode of ["individual", "aggregate"] as const) {
      const header = csvLines(await saved(explorer(storeOf(false), mode), "csv"))[0];
      expect(header).not.toContain("computed_on");
    }
  });
});

/** The importance chart in Difference mode, its intervals finished (the export finishes them). */
function difference(store: TabularStore): HTMLElement {
  const el = attach(createImportanceChart(store).el);
  (el.querySelector('[data-testid="importance-mode"][data-mode="difference"]') as HTMLButtonElement).click();
  return el;
}

describe("the Difference mode's export", () => {
  it("of a large explanation: exp.compare's table of the sample's rows, each line computed_on 'sample'", async () => {
    const store = storeOf(true, "old");
    const chart = difference(store);
    expect(chart.querySelector('[data-testid="difference-scope"]')?.textContent).toContain("Computed on the sample");
    const [header, ...lines] = csvLines(await saved(chart, "csv"));
    expect(header.slice(-1)).toEqual(["computed_on"]);
    const col = (name: string) => header.indexOf(name);
    expect(lines.length).toBe(3);
    // ground truth: compare.ts's exp.compare of old (a) and All data (b) on the sample's rows
    const expected = compareCohorts(
      store.data,
      store.maskOf(OLD).mask,
      store.maskOf(ALL).mask,
      { kind: "output", index: 1 },
      COMPARE_SETTINGS,
    );
    for (const [k, j] of expected.order.entries()) {
      const line = lines[k];
      expect(line[col("feature")]).toBe(store.data.meta.feature_names[j]);
      expect([line[col("cohort_a")], line[col("rows_a")], line[col("cohort_b")], line[col("rows_b")]]).toEqual([
        "old",
        "2",
        "All data",
        "4",
      ]);
      expect(Number(line[col("difference")])).toBe(expected.difference[j]);
      expect(Number(line[col("ci_low")])).toBe(expected.low[j]);
      expect(line[col("computed_on")]).toBe("sample");
    }
    const ordinary = csvLines(await saved(difference(storeOf(false, "old")), "csv"));
    expect(header).toEqual([...ordinary[0], "computed_on"]);
    expect(lines.map((l) => l.slice(0, -1))).toEqual(ordinary.slice(1));
  });

  it("of a large explanation: the picture's key names each cohort's rows as the sample's, and says so in a line", async () => {
    const svg = await saved(difference(storeOf(true, "old")), "svg");
    const texts = Array.from(svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g), (m) => m[1]);
    expect(texts.length).toBeGreaterThan(5);
    expect(texts).toContain(`larger in a: old (${scopeText({ kind: "sample", rows: 2 })})`);
    expect(texts).toContain(`larger in b: All data (${scopeText({ kind: "sample", rows: 4 })})`);
    expect(texts.join(" ")).toContain(`Drawn from the stratified sample of 4 of ${(1e6).toLocaleString()} rows.`);
  });

  it("of an ordinary explanation is as before: no column, rows counted", async () => {
    const chart = difference(storeOf(false, "old"));
    const header = csvLines(await saved(chart, "csv"))[0];
    expect(header.slice(-1)).toEqual(["seed"]);
    const svg = await saved(chart, "svg");
    expect(svg).toContain("larger in a: old (2 rows)");
    expect(svg).not.toMatch(/sample of|stratified/);
  });
});

describe("the dependence plot's CSV", () => {
  it("of a large explanation: each point of the sample computed_on 'sample'; of an ordinary one, no column", async () => {
    const large = csvLines(await saved(attach(createDependencePlot(storeOf(true, "old")).el), "csv"));
    const ordinary = csvLines(await saved(attach(createDependencePlot(storeOf(false, "old")).el), "csv"));
    expect(ordinary[0]).not.toContain("computed_on");
    expect(large[0]).toEqual([...ordinary[0], "computed_on"]);
    expect(large.slice(1).map((l) => l.slice(0, -1))).toEqual(ordinary.slice(1));
    expect(large.slice(1).map((l) => l[l.length - 1])).toEqual(["sample", "sample"]);
  });
});

describe("the importance and distribution exports keep their column (one helper for all)", () => {
  it("importance: 'all rows' for All data's engine bars, 'sample' for old's; distribution: 'sample' on every line", async () => {
    const importance = csvLines(await saved(attach(createImportanceChart(storeOf(true)).el), "csv"));
    const on = importance[0].indexOf("computed_on");
    expect(on).toBe(importance[0].length - 1);
    expect(new Set(importance.slice(1).map((l) => `${l[0]}:${l[on]}`))).toEqual(new Set(["All data:all rows", "old:sample"]));
    const distribution = csvLines(await saved(attach(createImportanceDistribution(storeOf(true)).el), "csv"));
    expect(distribution[0].slice(-1)).toEqual(["computed_on"]);
    expect(distribution.slice(1).every((l) => l[l.length - 1] === "sample")).toBe(true);
  });
});
