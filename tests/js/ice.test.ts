import { afterEach, describe, expect, it, vi } from "vitest";
import type { JobStatus, KernelLink } from "../../js/core/jobs";
import { createIcePlot } from "../../js/tabular/ice";
import {
  decodeIce,
  iceAxis,
  iceCsv,
  iceOutput,
  iceRows,
  iceScene,
  MAX_CURVES,
  parseRange,
  parseSteps,
  pdpLabel,
} from "../../js/tabular/iceData";
import { TabularStore as Store } from "../../js/tabular/store";
import { EVIL, makeData, tinyData, wire } from "./fixtures";

const NAMES = ["age", "income", "city"];

// Binary classification; "income" matters most (|value| 3), then "age" (1), then "city" (0.5).
function sample(n = 30) {
  return makeData({
    n,
    names: NAMES,
    kinds: ["numeric", "numeric", "category"],
    categories: { city: ["Lima", EVIL] },
    feature: (i, j) => (j === 2 ? i % 2 : j === 0 ? 20 + i : 1000 * i),
    value: (i, j) => (j === 1 ? 3 : j === 0 ? 1 : 0.5) * (i % 2 ? 1 : -1),
  });
}

/** A result as the kernel's ice job sends it (rai_widget.explainers._ice.ice_result). */
function result(id: number, rows: number[], feature = "income", grid = [0, 10, 20], kind = "numeric") {
  const g = grid.length;
  const curves = rows.flatMap((_row, k) => grid.map((_, i) => k + i * 0.5));
  return {
    id,
    feature,
    kind,
    output: 1,
    units: "log-odds",
    grid: wire(grid, [g]),
    labels: grid.map(String),
    rows,
    curves: wire(curves, [rows.length, g]),
    actual: rows.map((r) => (r === 99 ? null : grid[1])),
    actual_output: rows.map((_, k) => k + 0.5),
    pdp: wire(
      grid.map((_, i) => i),
      [g],
    ),
    pdp_rows: 30,
    cohort_rows: 30,
    cohort: "All data",
  };
}

/** A KernelLink that records requests and lets a test answer them. */
class FakeKernel implements KernelLink {
  requests: { name: string; params: Record<string, unknown>; id: number }[] = [];
  cancels: string[] = [];
  private st: JobStatus = { id: 0, state: "idle", progress: null, message: "" };
  private res: Record<string, unknown> | null = null;
  private cbs = new Set<() => void>();
  constructor(
    readonly available = true,
    readonly reason = "",
    private offlineData: Record<string, unknown> | null = null,
  ) {}
  request(name: string, params: Record<string, unknown>) {
    const id = this.requests.length + 1;
    this.requests.push({ name, params, id });
    return id;
  }
  cancel(name: string) {
    this.cancels.push(name);
  }
  status() {
    return this.st;
  }
  result() {
    return this.res;
  }
  watch(_name: string, cb: () => void) {
    this.cbs.add(cb);
    return () => this.cbs.delete(cb);
  }
  offline() {
    return this.offlineData;
  }
  answer(status: Partial<JobStatus>, res: Record<string, unknown> | null = null) {
    this.st = { ...this.st, ...status } as JobStatus;
    if (res) this.res = res;
    for (const cb of this.cbs) cb();
  }
  get last() {
    return this.requests[this.requests.length - 1];
  }
}

function mount(selected: number[], kernel: KernelLink | null) {
  const store = new Store(sample(), { selected });
  store.kernel = kernel;
  const view = createIcePlot(store);
  store.subscribe((changed) => view.update(changed as Set<never>));
  document.body.appendChild(view.el);
  return { store, view, el: view.el };
}

afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

describe("the ICE plot's logic", () => {
  it("decodes a result and rejects what is not one", () => {
    const c = decodeIce(result(1, [3, 4]));
    expect(c?.rows).toEqual([3, 4]);
    expect(Array.from(c?.curves ?? [])).toEqual([0, 0.5, 1, 1, 1.5, 2]);
    expect(decodeIce({ id: 1 })).toBeNull();
    expect(decodeIce({ ...result(1, [3]), rows: [3, 4] })).toBeNull(); // curves do not match rows x grid
  });
  it("takes the selected rows once each, the first MAX_CURVES", () => {
    expect(iceRows([3, 3, -1, 7, 1e9, 2.5], 30)).toEqual([3, 7]);
    expect(
      iceRows(
        Array.from({ length: 80 }, (_, i) => i),
        100,
      ).length,
    ).toBe(MAX_CURVES);
  });
  it("reads steps and ranges, and says what is wrong with them", () => {
    expect(parseSteps("20")).toBe(20);
    expect(parseSteps("1")).toBeNull();
    expect(parseSteps("2.5")).toBeNull();
    expect(parseRange("", "")).toEqual({ range: null, error: "" });
    expect(parseRange("1", "")).toEqual({ range: [1, null], error: "" });
    expect(parseRange("5", "2").error).toMatch(/low end must be below/);
    expect(parseRange("a", "2").error).toMatch(/must be numbers/);
  });
  it("follows the positive class of a binary model, and words its axis in the explanation's units", () => {
    const store = new Store(sample(), {});
    expect(iceOutput(store, [1])).toBe(1);
    expect(iceAxis(store.data.meta, 1)).toBe("model output: log-odds of class yes");
    expect(iceAxis({ task: "regression", output_names: ["output"], units: "output" }, 0)).toBe(
      "model output: the prediction (the model's output units)",
    );
    const c = decodeIce({ ...result(1, [1]), pdp_rows: 500, cohort_rows: 10000 });
    expect(c && pdpLabel(c)).toBe('PDP: mean of 500 of 10,000 rows of "All data"');
  });
  it("exports the curves as drawn: CSV lines per row and grid value, then the PDP; a scene with every curve", () => {
    const c = decodeIce(result(1, [3, 4]));
    if (!c) throw new Error("no curves");
    const csv = iceCsv(c, "log-odds").split("\r\n");
    expect(csv[0]).toBe("curve,row,feature,feature_value,model_output (log-odds)");
    expect(csv[1]).toBe("row 3,3,income,0,0");
    expect(csv).toContain('"PDP: mean of 30 rows of ""All data""",,income,20,2');
    const scene = iceScene(c, "y", "x");
    const lines = scene.items.filter((i) => i.kind === "line" && i.width === 1.5);
    expect(lines.length).toBe(2 * 2 + 2); // 2 segments per row's curve, and its legend line
    expect(scene.items.some((i) => i.kind === "text" && i.text === "row 4")).toBe(true);
  });
});

describe("the ICE plot with a kernel", () => {
  it("says to select rows when none is selected, and asks the kernel nothing", () => {
    const kernel = new FakeKernel();
    const { el } = mount([], kernel);
    expect(el.dataset.testid).toBe("ice-plot");
    expect(el.querySelector('[data-testid="ice-message"]')?.textContent).toMatch(/Select rows in the table/);
    expect(kernel.requests).toEqual([]);
    expect(el.dataset.curves).toBe("0");
  });
  it("asks for the selected rows and the top feature, shows progress with Cancel, then draws a curve per row", () => {
    const kernel = new FakeKernel();
    const { el } = mount([3, 4], kernel);
    expect(kernel.requests.length).toBe(1);
    expect(kernel.last.name).toBe("ice");
    expect(kernel.last.params).toEqual({ rows: [3, 4], feature: "income", steps: 20, range: null, output: 1 });
    const id = kernel.last.id;
    kernel.answer({ id, state: "running", progress: 0.4 });
    expect(el.dataset.state).toBe("running");
    expect(el.querySelector('[data-testid="ice-status"]')?.textContent).toMatch(/40%/);
    const cancel = el.querySelector<HTMLButtonElement>('[data-testid="ice-cancel"]');
    expect(cancel?.hidden).toBe(false);
    cancel?.click();
    expect(kernel.cancels).toEqual(["ice"]);
    kernel.answer({ id, state: "done", progress: 1 }, result(id, [3, 4]));
    expect(el.dataset.curves).toBe("2");
    const curves = Array.from(el.querySelectorAll<HTMLElement>('[data-testid="ice-curve"]'));
    expect(curves.map((c) => c.dataset.row)).toEqual(["3", "4"]);
    expect(curves[1].dataset.values).toBe("1,1.5,2");
    expect(el.querySelector('[data-testid="ice-pdp"]')?.textContent).toBe('PDP: mean of 30 rows of "All data"');
    expect(el.querySelector(".rw-dep-ytitle")?.textContent).toBe("model output: log-odds of class yes");
    expect(el.querySelector(".rw-dep-xtitle")?.textContent).toBe("income (3 values from 0 to 20)");
    expect(el.querySelector('[data-testid="ice-status"]')?.hasAttribute("hidden")).toBe(true);
  });
  it("asks again with the feature, range and steps chosen, and ignores a stale answer", () => {
    const kernel = new FakeKernel();
    const { el } = mount([3], kernel);
    const first = kernel.last.id;
    const select = el.querySelector<HTMLSelectElement>('[data-testid="ice-feature"]');
    if (!select) throw new Error("no feature select");
    select.value = "0";
    select.dispatchEvent(new Event("change"));
    expect(kernel.last.params.feature).toBe("age");
    const lo = el.querySelector<HTMLInputElement>('[data-testid="ice-lo"]');
    const steps = el.querySelector<HTMLInputElement>('[data-testid="ice-steps"]');
    if (!lo || !steps) throw new Error("no range inputs");
    lo.value = "25";
    lo.dispatchEvent(new Event("change"));
    expect(kernel.last.params.range).toEqual([25, null]);
    steps.value = "7";
    steps.dispatchEvent(new Event("change"));
    expect(kernel.last.params).toMatchObject({ feature: "age", steps: 7, range: [25, null] });
    kernel.answer({ id: first, state: "done" }, result(first, [3])); // an earlier request's answer
    expect(el.dataset.curves).toBe("0");
    steps.value = "900";
    steps.dispatchEvent(new Event("change"));
    expect(el.querySelector('[data-testid="ice-message"]')?.textContent).toMatch(/Steps must be a whole number from 2 to 200/);
  });
  it("shows the kernel's error message and offers to compute again", () => {
    const kernel = new FakeKernel();
    const { el } = mount([3], kernel);
    const id = kernel.last.id;
    kernel.answer({ id, state: "error", message: `predict_proba failed: ${EVIL}` });
    const status = el.querySelector('[data-testid="ice-status"]');
    expect(status?.textContent).toContain(`Could not compute the ICE curves: predict_proba failed: ${EVIL}`);
    expect(status?.querySelector("img")).toBeNull(); // the message is text
    el.querySelector<HTMLButtonElement>('[data-testid="ice-retry"]')?.click();
    expect(kernel.requests.length).toBe(2);
  });
  it("asks again when the selection changes (once for quick changes)", () => {
    vi.useFakeTimers();
    const kernel = new FakeKernel();
    const { store } = mount([3], kernel);
    store.update({ selected: [3, 5] });
    store.update({ selected: [3, 5, 6] });
    vi.advanceTimersByTime(500);
    expect(kernel.requests.length).toBe(2);
    expect(kernel.last.params.rows).toEqual([3, 5, 6]);
  });
});

describe("the ICE plot of a multi-class model", () => {
  it("offers the classes, starting with the one most selected rows are predicted, and asks for the one chosen", () => {
    const data = tinyData({
      featureNames: ["a", "b"],
      outputNames: ["red", "green", "blue"],
      data: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      values: [
        [
          [1, 0, 0],
          [0, 0, 0],
        ],
        [
          [0, 0, 2],
          [0, 0, 0],
        ],
        [
          [0, 0, 3],
          [0, 0, 1],
        ],
      ],
    });
    const store = new Store(data, { selected: [1, 2] });
    const kernel = new FakeKernel();
    store.kernel = kernel;
    const view = createIcePlot(store);
    const select = view.el.querySelector<HTMLSelectElement>('[data-testid="ice-class"]');
    expect(select?.closest("label")?.hidden).toBe(false);
    expect(kernel.last.params.output).toBe(2); // rows 1 and 2 are predicted "blue"
    if (!select) throw new Error("no class select");
    select.value = "1";
    select.dispatchEvent(new Event("change"));
    expect(kernel.last.params.output).toBe(1);
  });
});

describe("the ICE plot without a kernel", () => {
  it("says why when there is nothing precomputed", () => {
    const reason = "needs the model: this explanation was loaded or built without its explainer.";
    const { el } = mount([3], new FakeKernel(false, reason));
    expect(el.querySelector('[data-testid="ice-message"]')?.textContent).toBe(`ICE ${reason}`);
    expect(el.dataset.curves).toBe("0");
  });
  it("draws what the report precomputed, for the selected rows among them, and switches features", () => {
    const offline = {
      rows: [3, 4, 5],
      note: "ICE was computed when this report was saved, for the rows selected then.",
      output: 1,
      steps: 20,
      features: [result(0, [3, 4, 5], "income"), result(0, [3, 4, 5], "city", [0, 1], "category")],
    };
    const kernel = new FakeKernel(false, "is not available in an offline report", offline);
    const { el, store } = mount([4], kernel);
    expect(kernel.requests).toEqual([]);
    expect(el.dataset.curves).toBe("1");
    expect(el.querySelector<HTMLElement>('[data-testid="ice-curve"]')?.dataset.values).toBe("1,1.5,2");
    expect(el.querySelector(".rw-ice-note")?.textContent).toMatch(/computed when this report was saved.*Range and steps are fixed/);
    const select = el.querySelector<HTMLSelectElement>('[data-testid="ice-feature"]');
    expect(Array.from(select?.options ?? []).map((o) => o.textContent)).toEqual(["income", "city"]);
    if (!select) throw new Error("no select");
    select.value = "2";
    select.dispatchEvent(new Event("change"));
    expect(el.dataset.feature).toBe("city");
    expect(el.querySelector(".rw-dep-xtitle")?.textContent).toBe("city (2 categories)");
    store.update({ selected: [] });
    el.querySelector<HTMLSelectElement>('[data-testid="ice-feature"]')?.dispatchEvent(new Event("change"));
    expect(el.dataset.curves).toBe("3"); // nothing selected: every precomputed row
  });
  it("shows the other class of a binary model as the mirror of the precomputed one", () => {
    const kernel = new FakeKernel(false, "offline", { rows: [3], note: "", features: [result(0, [3], "income")] });
    const { el, store } = mount([3], kernel);
    expect(el.querySelector<HTMLElement>('[data-testid="ice-curve"]')?.dataset.values).toBe("0,0.5,1");
    store.update({ output: { kind: "output", index: 0 } });
    el.querySelector<HTMLSelectElement>('[data-testid="ice-feature"]')?.dispatchEvent(new Event("change"));
    expect(el.querySelector<HTMLElement>('[data-testid="ice-curve"]')?.dataset.values).toBe("0,-0.5,-1");
    expect(el.querySelector(".rw-dep-ytitle")?.textContent).toBe("model output: log-odds of class no");
  });
  it("says when the report's precompute failed", () => {
    const kernel = new FakeKernel(false, "offline", { error: "the scoring service is down", features: [] });
    const { el } = mount([3], kernel);
    expect(el.querySelector('[data-testid="ice-message"]')?.textContent).toBe(
      "ICE curves could not be computed when this report was saved: the scoring service is down",
    );
  });
});
