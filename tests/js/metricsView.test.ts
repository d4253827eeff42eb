// The "Model performance" view: values at once, intervals computed in slices only while the tab is shown
// and kept per cohort definition, the confusion matrix making cohorts, and its notes.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { TabularData } from "../../js/tabular/data";
import { cohortInputs, computeMetrics, DEFAULT_SETTINGS } from "../../js/tabular/metrics/compute";
import { createMetricsView, definition, formatMetric } from "../../js/tabular/metrics/view";
import { TabularStore } from "../../js/tabular/store";
import { ALL_DATA, tinyPayload, wire } from "./fixtures";

const CLASSES = ["low", "mid", "high"];
const N = 30;

function classifier(withTruth = true): TabularData {
  const proba: number[][] = [];
  for (let i = 0; i < N; i++) {
    const a = ((i * 7) % 10) / 10 + 0.05;
    const b = ((i * 3) % 10) / 10 + 0.05;
    const c = ((i * 5) % 10) / 10 + 0.05;
    const s = a + b + c;
    proba.push([a / s, b / s, c / s]);
  }
  const yPred = proba.map((p) => p.indexOf(Math.max(...p)));
  const { meta, arrays } = tinyPayload({
    values: proba.map(() => [[0, 0, 0]]),
    data: proba.map((_, i) => [i]),
    featureNames: ["x"],
    outputNames: CLASSES,
    model: proba.map((p) => p.map(Math.log)),
    yPred,
    yTrue: withTruth ? yPred.map((p, i) => (i % 4 === 0 ? (p + 1) % 3 : p)) : undefined,
  });
  arrays.probabilities = wire(proba.flat(), [N, 3]);
  return new TabularData(meta, arrays);
}

function regressor(): TabularData {
  const { meta, arrays } = tinyPayload({
    values: Array.from({ length: N }, (_, i) => [[i / 10]]),
    data: Array.from({ length: N }, (_, i) => [i]),
    featureNames: ["x"],
    outputNames: ["price"],
    task: "regression",
    yTrue: Array.from({ length: N }, (_, i) => (i % 9 === 0 ? Number.NaN : i / 10 + ((i % 3) - 1) * 0.2)),
  });
  return new TabularData(meta, arrays);
}

const HALF: Cohort = { name: "x < 15", combine: "all", filters: [{ column: "x", op: "<", value: 15 }] };

function render(data: TabularData, tab = "performance", cohorts: Cohort[] = []) {
  const all: Cohort = { name: ALL_DATA, combine: "all", filters: [] };
  const store = new TabularStore(data, { tab, cohorts: [all, ...cohorts] });
  const view = createMetricsView(store);
  store.subscribe((changed) => view.update(changed));
  document.body.append(view.el);
  return { store, view, el: view.el };
}

const table = (el: HTMLElement) => el.querySelector('[data-testid="metrics-table"]') as HTMLElement;
const cellOf = (el: HTMLElement, cohort: string, metric: string) =>
  el.querySelector(`[data-testid="metric-cell"][data-cohort="${cohort}"][data-metric="${metric}"]`) as HTMLElement;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

describe("createMetricsView", () => {
  it("shows the values at once and the intervals when the bootstrap is done", () => {
    const data = classifier();
    const { el, view } = render(data, "performance", [HALF]);
    expect(table(el).dataset.state).toBe("running");
    const expected = computeMetrics((cohortInputs(data, new Uint8Array(N).fill(1)) ?? { inputs: null as never }).inputs, DEFAULT_SETTINGS);
    const acc = cellOf(el, ALL_DATA, "accuracy");
    expect(Number(acc.dataset.value)).toBe(expected.value[0]);
    expect(acc.querySelector(".rw-mt-interval")?.textContent).toBe("…");
    vi.runAllTimers();
    expect(table(el).dataset.state).toBe("done");
    const done = cellOf(el, ALL_DATA, "accuracy");
    expect(Number(done.dataset.low)).toBe(expected.low[0]);
    expect(Number(done.dataset.high)).toBe(expected.high[0]);
    expect(done.querySelector(".rw-mt-interval")?.textContent).toBe(
      `[${formatMetric(expected.low[0])}, ${formatMetric(expected.high[0])}]`,
    );
    expect(el.querySelector('[data-testid="metrics-progress"]')?.textContent).toBe("");
    view.destroy?.();
  });

  it("computes only while its tab is shown, and keeps results per cohort definition", () => {
    const { el, store } = render(classifier(), "importance", [HALF]);
    vi.runAllTimers();
    expect(table(el).dataset.state).toBe("running");
    store.update({ tab: "performance" });
    vi.runAllTimers();
    expect(table(el).dataset.state).toBe("done");
    // the same filters under another name: nothing to compute again
    store.update({ cohorts: [...store.state.cohorts, { ...HALF, name: "first half" }] });
    expect(table(el).dataset.state).toBe("done");
    expect(cellOf(el, "first half", "accuracy").dataset.low).toBe(cellOf(el, HALF.name, "accuracy").dataset.low);
  });

  it("counts the active cohort's confusion matrix and makes a cohort of a cell's rows", () => {
    const data = classifier();
    const { el, store } = render(data);
    const inputs = cohortInputs(data, new Uint8Array(N).fill(1))?.inputs;
    if (inputs?.task !== "classification") throw new Error("classification inputs");
    const matrix = el.querySelector('[data-testid="confusion-matrix"]') as HTMLElement;
    expect(matrix.textContent).toContain("true");
    expect(matrix.textContent).toContain("predicted");
    let wrong = 0;
    for (let i = 0; i < N; i++) if (inputs.yTrue[i] === 1 && inputs.yPred[i] === 0) wrong++;
    const cell = matrix.querySelector('[data-true="mid"][data-pred="low"]') as HTMLButtonElement;
    expect(cell.querySelector(".rw-cm-count")?.textContent).toBe(String(wrong));
    cell.click();
    const made = store.activeCohort();
    expect(made.name).toBe("true mid, predicted low");
    expect(made.filters).toEqual([
      { column: "y_true", op: "==", value: "mid" },
      { column: "y_pred", op: "==", value: "low" },
    ]);
    expect(store.maskOf(made).count).toBe(wrong);
    const again = el.querySelector('[data-testid="confusion-matrix"] [data-true="mid"][data-pred="low"]') as HTMLElement;
    expect(again.dataset.count).toBe(String(wrong));
    // from a narrower cohort, the cell's cohort keeps its filters
    store.update({ active: made.name });
    (el.querySelector('[data-testid="confusion-matrix"] [data-true="mid"][data-pred="low"]') as HTMLButtonElement).click();
    expect(store.activeCohort().name).toBe("true mid, predicted low: true mid, predicted low");
    expect(store.activeCohort().filters).toHaveLength(4);
  });

  it("notes a regression's missing matrix and its rows without y_true", () => {
    const { el } = render(regressor());
    vi.runAllTimers();
    expect(el.querySelector('[data-testid="confusion-matrix"]')).toBeNull();
    expect(el.querySelector('[data-testid="confusion-note"]')?.textContent).toMatch(/regression has no confusion matrix/i);
    const n = el.querySelector(`[data-testid="metrics-n"][data-cohort="${ALL_DATA}"]`) as HTMLElement;
    expect(n.dataset.n).toBe(String(N - 4));
    expect(n.textContent).toContain("4 without y_true");
    expect([...el.querySelectorAll(".rw-mt-metric")].map((th) => th.textContent)).toEqual(["Metric", "MAE", "RMSE", "R²", "mean error"]);
  });

  it("says to pass y_true= when the explanation has none", () => {
    const { el } = render(classifier(false));
    expect(el.querySelector('[data-testid="metrics-note"]')?.textContent).toContain("pass y_true= to explain()");
    expect(table(el)).toBeNull();
  });

  it("marks an undefined figure and says why", () => {
    const onlyMid: Cohort = { name: "true mid", combine: "all", filters: [{ column: "y_true", op: "==", value: "mid" }] };
    const { el } = render(classifier(), "performance", [onlyMid]);
    vi.runAllTimers();
    const auc = cellOf(el, "true mid", "ROC AUC: mid");
    expect(auc.querySelector(".rw-mt-value")?.textContent).toBe("n/a");
    expect(auc.title).toContain("every row of these has true class mid");
    expect(el.querySelector('[data-testid="metrics-notes"]')?.textContent).toContain("true mid · ROC AUC: mid: undefined");
  });
});

describe("formatMetric and definition", () => {
  it("reads figures to 4 significant digits", () => {
    expect(formatMetric(0.87346)).toBe("0.8735");
    expect(formatMetric(1)).toBe("1");
    expect(formatMetric(-0.0123456)).toBe("−0.01235");
    expect(formatMetric(12345.67)).toBe("12350");
    expect(formatMetric(2.5e7)).toBe("2.500e+7");
    expect(formatMetric(Number.NaN)).toBe("n/a");
  });

  it("says what each figure is", () => {
    expect(definition("precision: yes")).toContain("of class yes");
    expect(definition("F1 (macro)")).toContain("macro");
    expect(definition("mean error")).toContain("y_pred - y_true");
    expect(definition("ROC AUC", "yes")).toContain("of class yes");
  });
});
