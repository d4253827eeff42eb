import { describe, expect, it } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { renderTabular } from "../../js/tabular/dashboard";
import { createImportanceChart } from "../../js/tabular/importance";
import { cohortFidelity, fidelityIsPoor, meanAbsImportance, topFeatures } from "../../js/tabular/stats";
import { TabularStore as Store } from "../../js/tabular/store";
import { FakeModel, TINY_BINARY, type TinyOptions, tinyData, tinyPayload } from "./fixtures";

// 4 rows x 3 features, binary classification sent as one mirrored output (class 1).
const BINARY: TinyOptions = { ...TINY_BINARY, featureNames: ["age", "income", "<img src=x onerror=alert(1)>"] };
const binary = () => tinyData(BINARY);

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
    const { meta, arrays } = tinyPayload(BINARY);
    return new FakeModel({
      kind: "tabular",
      meta,
      arrays,
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

  it("every cohort's size is stated the same way: the picker's options and the importance legend", () => {
    const m = model();
    const bad: Cohort = { name: "bad", combine: "all", filters: [{ column: "nope", op: ">", value: 1 }] };
    m.attrs.cohorts = [ALL, OLD, bad];
    const root = document.createElement("div");
    const cleanup = renderTabular(m, root, { importance: [createImportanceChart], rows: [], cohorts: [] });
    const sizes = Array.from(root.querySelectorAll<HTMLElement>('[data-testid="cohort-size"]'));
    const options = sizes.filter((e) => e.tagName === "OPTION");
    expect(options.map((o) => [o.dataset.cohort, o.dataset.rows ?? null, o.textContent])).toEqual([
      ["All data", "4", "All data"],
      ["old", "2", "old"],
      ["bad", null, "bad"],
    ]);
    expect(options[2].dataset.invalid).toMatch(/^unknown column 'nope'/);
    const legend = sizes.filter((e) => e.classList.contains("rw-legend-item"));
    expect(legend.map((e) => [e.dataset.cohort, e.dataset.rows ?? null])).toEqual([
      ["All data", "4"],
      ["old", "2"],
      ["bad", null],
    ]);
    cleanup();
  });
});

describe("fidelity floors", () => {
  it("come from the kernel (meta.fidelity_floors), not from the view", () => {
    expect(fidelityIsPoor({ r2: 0.85, agreement: 0.95 }, { r2: 0.8, agreement: 0.9 })).toBe(false);
    expect(fidelityIsPoor({ r2: 0.85, agreement: 0.95 }, { r2: 0.9, agreement: 0.9 })).toBe(true);
    expect(fidelityIsPoor({ r2: null, agreement: 0.5 }, { r2: 0.8, agreement: 0.6 })).toBe(true);
    expect(fidelityIsPoor({ r2: null, agreement: null }, { r2: 0.8, agreement: 0.9 })).toBe(false);
  });
  it("mark the header's badge when a cohort's fidelity is below them", () => {
    const { meta, arrays } = tinyPayload(BINARY);
    const draw = (floors: { r2: number; agreement: number }) => {
      const root = document.createElement("div");
      const m = new FakeModel({
        kind: "tabular",
        meta: { ...meta, fidelity_floors: floors },
        arrays,
        cohorts: [ALL],
        active_cohort: "All data",
        selected_rows: [],
      });
      const cleanup = renderTabular(m, root, { importance: [], rows: [], cohorts: [] });
      const poor = root.querySelector('[data-testid="fidelity"]')?.classList.contains("rw-warn");
      cleanup();
      return poor;
    };
    expect(draw({ r2: 0, agreement: 0 })).toBe(false);
    expect(draw({ r2: 1.5, agreement: 0 })).toBe(true);
  });
});
