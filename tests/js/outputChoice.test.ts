// The tabular dashboard's output choice and its wording in the DOM: a binary classifier offers only
// choices that draw something different and says why; a regression reads in words, not "output output".
import { describe, expect, it } from "vitest";
import { renderTabular } from "../../js/tabular/dashboard";
import { createHeader } from "../../js/tabular/header";
import { createImportanceChart } from "../../js/tabular/importance";
import { meanAbsImportance, type OutputChoice } from "../../js/tabular/stats";
import { TabularStore } from "../../js/tabular/store";
import { FakeModel, tinyData, tinyPayload } from "./fixtures";

/** Three rows of two features, one value each: the options differ only in names and task. */
const threeRows = (options: Omit<Parameters<typeof tinyData>[0], "values" | "data">) =>
  tinyData({
    values: [
      [[1], [-2]],
      [[3], [0.5]],
      [[-1], [1]],
    ],
    data: [
      [1, 10],
      [2, 20],
      [3, 30],
    ],
    ...options,
  });

describe("a binary classifier offers only choices that draw something different", () => {
  const binaryData = () =>
    threeRows({
      featureNames: ["age", "income"],
      outputNames: ["no", "yes"],
      binaryMirror: true,
    });

  it("its two classes and the average over them draw the same bars", () => {
    const d = binaryData();
    const all = new Uint8Array([1, 1, 1]);
    const bars = (choice: OutputChoice) => Array.from(meanAbsImportance(d, all, choice));
    expect(bars({ kind: "output", index: 0 })).toEqual(bars({ kind: "output", index: 1 }));
    expect(bars({ kind: "average" })).toEqual(bars({ kind: "output", index: 1 }));
  });

  it("the header says why there is one class, as text", () => {
    const store = new TabularStore(binaryData(), {});
    const header = createHeader(store);
    const select = header.el.querySelector<HTMLSelectElement>('[data-testid="class-select"]');
    expect(Array.from(select?.options ?? [], (o) => o.textContent)).toEqual(["yes", "predicted class"]);
    expect(select?.value).toBe("output:1");
    expect(header.el.querySelector('[data-testid="output-note"]')?.textContent).toBe(
      "Two classes: the values toward no are minus those toward yes, so one class is offered.",
    );
  });

  it("a choice set from code that the list does not offer still shows as it is", () => {
    const store = new TabularStore(binaryData(), { output: { kind: "output", index: 0 } });
    const select = createHeader(store).el.querySelector<HTMLSelectElement>('[data-testid="class-select"]');
    expect(select?.value).toBe("output:0");
    expect(select?.selectedOptions[0].textContent).toBe("no");
  });
});

describe("the regression dashboard", () => {
  // as MimicExplainer names a regression's output and units
  const regressionData = () =>
    threeRows({
      featureNames: ["rooms", "age"],
      outputNames: ["output"],
      task: "regression",
    });

  it("names its one output in words, not 'output output', and offers nothing to choose", () => {
    const store = new TabularStore(regressionData(), {});
    const header = createHeader(store);
    expect(header.el.querySelector('[data-testid="class-select"]')).toBeNull();
    expect(header.el.querySelector('[data-testid="output-fixed"]')?.textContent).toBe("the prediction, in the model's output units");
    const chart = createImportanceChart(store);
    expect(chart.el.querySelector(".rw-axis")?.textContent).toBe(
      "mean |SHAP value| in the model's output units: how much each feature moves the prediction",
    );
    const text = `${header.el.textContent} ${chart.el.textContent}`;
    expect(text).not.toMatch(/output output|in output\b|1 rows/);
  });

  it("counts one row as a row", () => {
    const { meta, arrays } = tinyPayload({
      values: [[[1]]],
      data: [[1]],
      featureNames: ["x"],
      outputNames: ["output"],
      task: "regression",
    });
    const m = new FakeModel({ kind: "tabular", meta, arrays, cohorts: [], active_cohort: "All data", selected_rows: [] });
    const root = document.createElement("div");
    const cleanup = renderTabular(m, root, { importance: [createImportanceChart], rows: [], cohorts: [] });
    expect(root.textContent).toContain("1 of 1 row");
    expect(root.textContent).toContain("1 row ·");
    expect(root.textContent).not.toContain("1 rows");
    cleanup();
  });
});
