import { describe, expect, it } from "vitest";
import type { Cohort } from "../../js/cohorts";
import { renderTabular } from "../../js/dashboard";
import { Store } from "../../js/store";
import { cohortFidelity, meanAbsImportance, topFeatures } from "../../js/stats";
import { createImportanceChart } from "../../js/views/importance";
import { FakeModel, tinyData, wire } from "./fixtures";

// 4 rows x 3 features, binary classification sent as one mirrored output (class 1).
function binary() {
  return tinyData({
    values: [
      [[1], [-2], [0]],
      [[3], [0.5], [0]],
      [[-1], [1], [0.25]],
      [[0], [0], [4]],
    ],
    data: [
      [1, 10, 0],
      [2, 20, 1],
      [3, 30, 0],
      [4, 40, 1],
    ],
    featureNames: ["age", "income", "<img src=x onerror=alert(1)>"],
    outputNames: ["no", "yes"],
    binaryMirror: true,
    baseValues: [0.5, -0.5],
    model: [[-1], [3.4], [0.4], [4.1]],
    yTrue: [0, 1, 1, 0],
    confidence: [0.7, 0.9, 0.6, 0.95],
  });
}

const ALL: Cohort = { name: "All data", combine: "all", filters: [] };
const OLD: Cohort = { name: "old", combine: "all", filters: [{ column: "age", op: ">", value: 2 }] };

describe("stats", () => {
  it("mean |value| per feature matches a brute-force computation, for a cohort", () => {
    const d = binary();
    const mask = new Uint8Array([0, 0, 1, 1]);
    const imp = meanAbsImportance(d, mask, { kind: "output", index: 1 });
    expect(Array.from(imp)).toEqual([0.5, 0.5, 2.125]);
    // class 0 mirrors class 1: same magnitudes; average equals either
    expect(Array.from(meanAbsImportance(d, mask, { kind: "output", index: 0 }))).toEqual([0.5, 0.5, 2.125]);
    expect(Array.from(meanAbsImportance(d, mask, { kind: "average" }))).toEqual([0.5, 0.5, 2.125]);
    expect(Array.from(meanAbsImportance(d, new Uint8Array(4), { kind: "average" }))).toEqual([0, 0, 0]);
    expect(topFeatures(imp, 2)).toEqual([2, 0]);
  });

  it("the predicted-class choice uses each row's predicted class", () => {
    const d = tinyData({
      values: [
        [
          [1, 0, -1],
          [0, 2, 0],
        ],
        [
          [0, 0, 5],
          [0, 0, 1],
        ],
      ],
      data: [
        [0, 0],
        [1, 1],
      ],
      featureNames: ["a", "b"],
      outputNames: ["x", "y", "z"],
      model: [
        [0, 1, 0],
        [0, 0, 2],
      ],
    });
    const imp = meanAbsImportance(d, new Uint8Array([1, 1]), { kind: "predicted" });
    // row 0 predicts y (|0|, |2|), row 1 predicts z (|5|, |1|)
    expect(Array.from(imp)).toEqual([2.5, 1.5]);
  });

  it("fidelity per cohort: R² against the model output and class agreement", () => {
    const d = binary(); // surrogate outputs are the row sums: -1, 3.5, 0.25, 4
    const fid = cohortFidelity(d, new Uint8Array([1, 1, 1, 1]));
    const y = [-1, 3.4, 0.4, 4.1];
    const s = [-1, 3.5, 0.25, 4];
    const mean = y.reduce((a, b) => a + b) / 4;
    const r2 = 1 - y.reduce((a, v, i) => a + (v - s[i]) ** 2, 0) / y.reduce((a, v) => a + (v - mean) ** 2, 0);
    expect(fid.r2).toBeCloseTo(r2, 5);
    expect(fid.agreement).toBe(1);
    expect(fid.rows).toBe(4);
  });
});

describe("importance chart", () => {
  it("draws one bar per cohort per feature, names as text, and clicking opens the dependence plot", () => {
    const d = binary();
    const store = new Store(d, { cohorts: [ALL, OLD] });
    const view = createImportanceChart(store);
    const bars = view.el.querySelectorAll('[data-testid="importance-bar"]');
    expect(bars.length).toBe(6);
    expect(view.el.querySelector("img")).toBeNull();
    const labels = Array.from(view.el.querySelectorAll(".rw-bar-label")).map((n) => n.textContent);
    expect(labels).toContain("<img src=x onerror=alert(1)>");
    (view.el.querySelector(".rw-bar-group") as HTMLElement).click();
    expect(store.state.depFeature).not.toBeNull();
  });

  it("says so instead of drawing an empty cohort", () => {
    const d = binary();
    const empty: Cohort = { name: "nobody", combine: "all", filters: [{ column: "age", op: ">", value: 99 }] };
    const store = new Store(d, { cohorts: [empty] });
    const view = createImportanceChart(store);
    expect(view.el.querySelectorAll('[data-testid="importance-bar"]').length).toBe(0);
    expect(view.el.textContent).toContain('No rows in cohort "nobody"');
  });
});

describe("dashboard sync", () => {
  function model() {
    const d = binary();
    return new FakeModel({
      kind: "tabular",
      meta: d.meta,
      arrays: {
        values: wire([1, -2, 0, 3, 0.5, 0, -1, 1, 0.25, 0, 0, 4], [4, 3, 1]),
        data: wire([1, 10, 0, 2, 20, 1, 3, 30, 0, 4, 40, 1], [4, 3]),
        surrogate_output: wire([-1, 3.5, 0.25, 4], [4, 1]),
        model_output: wire([-1, 3.4, 0.4, 4.1], [4, 1]),
        y_pred: { kind: "category", codes: wire([0, 1, 1, 1], [4], "int32"), categories: ["no", "yes"] },
      },
      cohorts: [ALL],
      active_cohort: "All data",
      selected_rows: [],
    });
  }

  it("cohorts set from Python appear in the selector; choices in the view go back to the model", () => {
    const m = model();
    const root = document.createElement("div");
    const cleanup = renderTabular(m, root, { importance: [createImportanceChart], rows: [], cohorts: [] });
    const select = root.querySelector('[data-testid="cohort-select"]') as HTMLSelectElement;
    expect(Array.from(select.options).map((o) => o.textContent)).toEqual(["All data"]);

    m.set("cohorts", [ALL, OLD]); // as if Python changed dash.cohorts
    expect(Array.from(select.options).map((o) => o.textContent)).toEqual(["All data", "old"]);
    expect(m.saved).toBe(0); // no echo back to the kernel

    select.value = "old";
    select.dispatchEvent(new Event("change"));
    expect(m.attrs.active_cohort).toBe("old");
    expect(m.saved).toBe(1);
    expect(root.textContent).toContain("2 of 4 rows");

    const classSelect = root.querySelector('[data-testid="class-select"]') as HTMLSelectElement;
    expect(classSelect.value).toBe("output:1");
    cleanup();
  });
});
