// The data explorer's logic: the axes per task, what a brushed region becomes (filters on column axes,
// `index in [...]` of the rows on a probability or SHAP axis, refused past 5,000 rows), the view's
// controls, its brush and click, the aggregate view and the export.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import type { TabularArrays } from "../../js/tabular/data";
import { TabularData } from "../../js/tabular/data";
import { AxisValues, explorerAxes, shapOutputOf } from "../../js/tabular/explorer/axes";
import { binEdges, binSummary } from "../../js/tabular/explorer/bins";
import { brushOutcome, MAX_INDEX_ROWS, rangeFilter } from "../../js/tabular/explorer/brush";
import { colorByAxis } from "../../js/tabular/explorer/colour";
import { binsCsv } from "../../js/tabular/explorer/export";
import { createDataExplorer } from "../../js/tabular/explorer/view";
import { TabularStore } from "../../js/tabular/store";
import { ALL_DATA, EVIL, type TestColumn, tinyPayload, wire, wireColumns } from "./fixtures";

const COLOURS = ["red", "green", EVIL];

/** n rows: age (numeric, every 50th missing), colour (category), owner (bool); binary classification with probabilities, or a regression. */
function explorerData(n: number, task: "classification" | "regression" = "classification"): TabularData {
  const f = 3;
  const age = Array.from({ length: n }, (_, i) => (i % 50 === 7 ? Number.NaN : 20 + (i % 60)));
  const colour = Array.from({ length: n }, (_, i) => i % 3);
  const owner = Array.from({ length: n }, (_, i) => i % 2);
  const values = new Float32Array(n * f);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    values[i * f] = ((i % 60) - 30) / 30;
    values[i * f + 1] = (i % 3) * 0.1 - 0.1;
    values[i * f + 2] = (i % 2) * 0.2;
    out[i] = 0.1 + values[i * f] + values[i * f + 1] + values[i * f + 2];
  }
  const classification = task === "classification";
  const yPred = Array.from(out, (v) => (classification ? (v > 0 ? 1 : 0) : v));
  const yTrue = Array.from({ length: n }, (_, i) =>
    classification ? (i % 7 === 0 ? 1 - yPred[i] : yPred[i]) : yPred[i] + ((i % 5) - 2) / 10,
  );
  const p1 = Array.from(out, (v) => 1 / (1 + Math.exp(-v)));
  const label = (name: string, v: number[]): TestColumn =>
    classification ? { name, kind: "category", codes: v, categories: ["no", "yes"] } : { name, kind: "number", values: v };
  const columns: TestColumn[] = [
    { name: "age", role: "feature", kind: "number", values: age },
    { name: "colour", role: "feature", kind: "category", codes: colour, categories: COLOURS },
    { name: "owner", role: "feature", kind: "bool", values: owner },
    { name: "index", kind: "number", values: Array.from({ length: n }, (_, i) => i) },
    label("y_true", yTrue),
    label("y_pred", yPred),
    ...(classification
      ? ([
          { name: "correct", kind: "bool", values: yTrue.map((t, i) => (t === yPred[i] ? 1 : 0)) },
          { name: "confidence", kind: "number", values: p1.map((p) => Math.max(p, 1 - p)) },
        ] as TestColumn[])
      : ([{ name: "error", kind: "number", values: yPred.map((p, i) => p - yTrue[i]) }] as TestColumn[])),
  ];
  const { meta } = tinyPayload({
    values: [[[0]]],
    data: [[0]],
    featureNames: ["age", "colour", "owner"],
    outputNames: classification ? ["no", "yes"] : ["target"],
    task,
    binaryMirror: classification,
  });
  meta.n_rows = n;
  meta.feature_names = ["age", "colour", "owner"];
  meta.base_values = classification ? [-0.1, 0.1] : [0.1];
  const arrays: TabularArrays = {
    columns: wireColumns(columns),
    values: wire(values, classification ? [n, f] : [n, f, 1]),
    surrogate_output: wire(out, [n, 1]),
    model_output: wire(out, [n, 1]),
  };
  if (classification)
    arrays.probabilities = wire(
      p1.flatMap((p) => [1 - p, p]),
      [n, 2],
    );
  return new TabularData(meta, arrays);
}

/** jsdom has no canvas: a stand-in that counts what the view paints. */
function fakeCanvas() {
  const rec = { puts: 0, painted: 0, rects: 0 };
  const ctx = new Proxy(
    {
      createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
      putImageData(img: { data: Uint8ClampedArray }) {
        rec.puts++;
        rec.painted = 0;
        for (let k = 3; k < img.data.length; k += 4) if (img.data[k] > 0) rec.painted++;
      },
      fillRect() {
        rec.rects++;
      },
      measureText: (t: string) => ({ width: t.length * 6 }),
    } as Record<string, unknown>,
    { get: (target, key: string) => (key in target ? target[key] : () => undefined), set: () => true },
  );
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => ctx) as never);
  return rec;
}

function mount(store: TabularStore) {
  const view = createDataExplorer(store);
  store.subscribe((changed) => view.update(changed));
  document.body.appendChild(view.el);
  return view;
}

const pick = (el: HTMLElement, testid: string) => el.querySelector(`[data-testid="${testid}"]`) as HTMLSelectElement;
const choose = (select: HTMLSelectElement, value: string) => {
  select.value = value;
  select.dispatchEvent(new Event("change"));
};
/** A drag on the plot area from (x0, y0) to (x1, y1), in the area's css px (jsdom lays nothing out: the area is at 0, 0). */
function drag(el: HTMLElement, x0: number, y0: number, x1: number, y1: number) {
  const area = pick(el, "explorer-area");
  const fire = (type: string, x: number, y: number, extra: MouseEventInit = {}) =>
    area.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: y, button: 0, bubbles: true, ...extra }));
  fire("pointerdown", x0, y0);
  fire("pointermove", x1, y1);
  fire("pointerup", x1, y1);
}

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe("explorer axes", () => {
  it("classification: features, the special columns, each class's probability and each SHAP value", () => {
    const ids = explorerAxes(explorerData(20)).map((a) => a.id);
    expect(ids).toEqual([
      "feature:age",
      "feature:colour",
      "feature:owner",
      "index",
      "y_true",
      "y_pred",
      "correct",
      "confidence",
      "probability:0",
      "probability:1",
      "shap:age",
      "shap:colour",
      "shap:owner",
    ]);
  });

  it("regression: error, and no probability, correct or confidence axes", () => {
    const ids = explorerAxes(explorerData(20, "regression")).map((a) => a.id);
    expect(ids).toContain("error");
    for (const id of ["probability:0", "correct", "confidence"]) expect(ids).not.toContain(id);
    expect(ids.filter((id) => id.startsWith("shap:"))).toHaveLength(3);
  });

  it("only column axes can be filters", () => {
    const axes = explorerAxes(explorerData(20));
    const columns = Object.fromEntries(axes.map((a) => [a.id, a.column]));
    expect(columns["feature:colour"]).toBe("colour");
    expect(columns.y_pred).toBe("y_pred");
    expect(columns["probability:1"]).toBeNull();
    expect(columns["shap:age"]).toBeNull();
  });

  it("reads values once: probabilities from the payload, SHAP values toward the output (per-row predicted class when averaged)", () => {
    const data = explorerData(30);
    const axes = new AxisValues(data);
    const p = axes.get("probability:1");
    const s = axes.get("shap:age");
    if (!p || !s) throw new Error("missing axes");
    const pv = axes.values(p, { kind: "output", index: 0 });
    expect(pv[3]).toBeCloseTo(data.probability(3, 1), 6);
    expect(axes.values(p, { kind: "output", index: 0 })).toBe(pv); // cached
    const toward0 = axes.values(s, { kind: "output", index: 0 });
    expect(toward0[5]).toBeCloseTo(data.value(5, 0, 0), 6);
    const predicted = axes.values(s, { kind: "predicted" });
    for (let i = 0; i < 30; i++) expect(predicted[i]).toBeCloseTo(data.value(i, 0, data.predictedIndex(i)), 6);
    expect(shapOutputOf(data, { kind: "average" })).toEqual({ kind: "predicted" });
    expect(shapOutputOf(data, { kind: "output", index: 1 })).toEqual({ kind: "output", index: 1 });
    const colour = axes.get("feature:colour");
    if (!colour) throw new Error("missing colour");
    expect(Array.from(axes.values(colour, { kind: "predicted" }).slice(0, 4))).toEqual([0, 1, 2, 0]);
  });
});

describe("what a brushed region becomes", () => {
  const data = explorerData(200);
  const axes = new AxisValues(data);
  const axis = (id: string) => {
    const a = axes.get(id);
    if (!a) throw new Error(id);
    return a;
  };
  const all: Cohort = { name: ALL_DATA, combine: "all", filters: [] };

  it("filters on column axes: numbers between, levels in, with the active cohort's filters", () => {
    const active: Cohort = { name: "owners", combine: "all", filters: [{ column: "owner", op: "==", value: true }] };
    const out = brushOutcome(
      [
        { axis: axis("feature:age"), lo: 30.04, hi: 41.96, span: 60, integer: false },
        { axis: axis("feature:colour"), lo: 0.8, hi: 2.2, span: 3, integer: false },
      ],
      active,
      [ALL_DATA, "owners"],
      () => {
        throw new Error("column axes need no rows");
      },
      true,
    );
    expect(out.kind).toBe("cohort");
    if (out.kind !== "cohort") return;
    expect(out.byIndex).toBe(false);
    expect(out.cohort.filters).toEqual([
      { column: "owner", op: "==", value: true },
      { column: "age", op: "between", value: [30, 42] },
      { column: "colour", op: "in", value: ["green", EVIL] },
    ]);
    expect(out.cohort.name).toBe(`age in [30, 42], colour in {green, ${EVIL}}`);
  });

  it("booleans and whole numbers", () => {
    expect(rangeFilter({ axis: axis("correct"), lo: -0.4, hi: 0.3, span: 2, integer: false })?.filter).toEqual({
      column: "correct",
      op: "in",
      value: [false],
    });
    expect(rangeFilter({ axis: axis("index"), lo: 10.2, hi: 19.7, span: 200, integer: true })?.filter).toEqual({
      column: "index",
      op: "between",
      value: [11, 19],
    });
    // a bin's upper edge is open: [10, 20) of whole numbers is 10 .. 19
    expect(rangeFilter({ axis: axis("index"), lo: 10, hi: 20, span: 200, integer: true, upperOpen: true })?.filter.value).toEqual([10, 19]);
    expect(rangeFilter({ axis: axis("feature:colour"), lo: 3.5, hi: 4, span: 3, integer: false })).toBeNull();
  });

  it("a probability or SHAP axis: the region's rows as index in [...]", () => {
    const out = brushOutcome(
      [
        { axis: axis("feature:age"), lo: 20, hi: 30, span: 60, integer: false },
        { axis: axis("probability:1"), lo: 0.2, hi: 0.6, span: 1, integer: false },
      ],
      all,
      [ALL_DATA],
      () => Int32Array.from([9, 3, 4]),
      true,
    );
    expect(out.kind).toBe("cohort");
    if (out.kind !== "cohort") return;
    expect(out.byIndex).toBe(true);
    expect(out.cohort).toEqual({
      name: "3 rows picked on age × P(yes)",
      combine: "all",
      filters: [{ column: "index", op: "in", value: [3, 4, 9] }],
    });
  });

  it(`refuses more than ${MAX_INDEX_ROWS.toLocaleString()} rows on a non-column axis, and says why and what to do`, () => {
    const many = Int32Array.from({ length: MAX_INDEX_ROWS + 1 }, (_, i) => i);
    const out = brushOutcome([{ axis: axis("shap:age"), lo: -1, hi: 1, span: 2, integer: false }], all, [ALL_DATA], () => many, true);
    expect(out.kind).toBe("note");
    if (out.kind !== "note") return;
    expect(out.note).toContain("5,001 rows are in the selected region");
    expect(out.note).toContain("SHAP value of age is not a cohort column");
    expect(out.note).toContain("at most 5,000 rows");
    expect(out.note).toContain("brush on a feature, index, y_true, y_pred, error, correct or confidence");
    const atCap = brushOutcome(
      [{ axis: axis("shap:age"), lo: -1, hi: 1, span: 2, integer: false }],
      all,
      [ALL_DATA],
      () => many.subarray(0, MAX_INDEX_ROWS),
      true,
    );
    expect(atCap.kind).toBe("cohort");
  });

  it("says so when a feature named index hides the row index", () => {
    const out = brushOutcome(
      [{ axis: axis("shap:age"), lo: -1, hi: 1, span: 2, integer: false }],
      all,
      [ALL_DATA],
      () => Int32Array.from([1]),
      false,
    );
    expect(out.kind === "note" && out.note).toContain('a feature named "index"');
  });
});

describe("the explorer view", () => {
  it("offers every axis in the selects, grouped, with data strings as text", () => {
    fakeCanvas();
    const store = new TabularStore(explorerData(100), {});
    const view = mount(store);
    const x = pick(view.el, "explorer-x");
    expect(Array.from(x.querySelectorAll("optgroup")).map((g) => g.label)).toEqual([
      "Features",
      "Labels and model",
      "Probabilities",
      "SHAP values",
    ]);
    expect(Array.from(x.options).map((o) => o.value)).toContain("probability:1");
    expect(Array.from(pick(view.el, "explorer-colour").options)[0].value).toBe("cohort");
    expect(document.querySelector("img")).toBeNull();
    const rstore = new TabularStore(explorerData(100, "regression"), {});
    const rview = mount(rstore);
    const rx = Array.from(pick(rview.el, "explorer-x").options).map((o) => o.value);
    expect(rx).toContain("error");
    expect(rx).not.toContain("confidence");
    expect(rx.some((v) => v.startsWith("probability:"))).toBe(false);
  });

  it("draws every row of the active cohort that has both values, and redraws on a change", () => {
    const canvas = fakeCanvas();
    const store = new TabularStore(explorerData(300), {});
    const view = mount(store);
    choose(pick(view.el, "explorer-x"), "feature:age");
    choose(pick(view.el, "explorer-y"), "probability:1");
    expect(view.el.dataset.points).toBe(String(300 - 6)); // 6 rows miss age
    expect(canvas.painted).toBeGreaterThan(0);
    expect(view.el.textContent).toContain("6 rows");
    const puts = canvas.puts;
    choose(pick(view.el, "explorer-y"), "shap:colour");
    expect(canvas.puts).toBe(puts + 1);
    store.update({
      cohorts: [...store.state.cohorts, { name: "green", combine: "all", filters: [{ column: "colour", op: "==", value: "green" }] }],
      active: "green",
    });
    expect(view.el.dataset.points).toBe("98"); // 100 green rows, 2 miss age
  });

  it("a brushed rectangle on column axes becomes a cohort with their filters, active", () => {
    fakeCanvas();
    const data = explorerData(300);
    const store = new TabularStore(data, {});
    const view = mount(store);
    choose(pick(view.el, "explorer-x"), "feature:age");
    choose(pick(view.el, "explorer-y"), "index");
    drag(view.el, 150, 40, 400, 200);
    const button = pick(view.el, "explorer-make-cohort") as unknown as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    expect(button.textContent).toMatch(/^Make cohort age in \[\S+, \S+\], index in \[\d+, \d+\] \(\d+ rows\)$/);
    button.click();
    const made = store.state.cohorts[store.state.cohorts.length - 1];
    expect(store.state.active).toBe(made.name);
    expect(made.filters.map((f) => [f.column, f.op])).toEqual([
      ["age", "between"],
      ["index", "between"],
    ]);
  });

  it("a brushed rectangle on a probability axis lists its rows; the cap's note when too many", () => {
    fakeCanvas();
    const store = new TabularStore(explorerData(300), {});
    const view = mount(store);
    choose(pick(view.el, "explorer-x"), "index");
    choose(pick(view.el, "explorer-y"), "probability:1");
    drag(view.el, 100, 0, 300, 320); // the full height: an x range only, on a column
    const button = pick(view.el, "explorer-make-cohort") as unknown as HTMLButtonElement;
    expect(button.textContent).toMatch(/^Make cohort index in \[\d+, \d+\]/);
    drag(view.el, 100, 40, 300, 200);
    expect(button.textContent).toMatch(/^Make cohort of the \d+ rows picked on index × P\(yes\)$/);
    button.click();
    const made = store.state.cohorts[store.state.cohorts.length - 1];
    expect(made.filters).toHaveLength(1);
    expect(made.filters[0].column).toBe("index");
    expect(made.filters[0].op).toBe("in");
    expect(store.maskOf(made).count).toBe((made.filters[0].value as number[]).length);
  });

  it("a click selects the nearest point's row; shift-click adds one", () => {
    fakeCanvas();
    const store = new TabularStore(explorerData(300), {});
    const view = mount(store);
    choose(pick(view.el, "explorer-x"), "index");
    choose(pick(view.el, "explorer-y"), "index");
    const area = pick(view.el, "explorer-area");
    const click = (x: number, y: number, shiftKey = false) => {
      area.dispatchEvent(new MouseEvent("pointerdown", { clientX: x, clientY: y, button: 0, bubbles: true, shiftKey }));
      area.dispatchEvent(new MouseEvent("pointerup", { clientX: x, clientY: y, button: 0, bubbles: true, shiftKey }));
    };
    // index on both axes: the points lie on a diagonal from bottom left to top right
    click(310, 160);
    expect(store.state.selected).toHaveLength(1);
    const row = store.state.selected[0];
    expect(row).toBeGreaterThan(120);
    expect(row).toBeLessThan(180);
    expect(pick(view.el, "explorer-selection").textContent).toContain(`row ${row}`);
    click(100, 260, true);
    expect(store.state.selected).toHaveLength(2);
  });

  it("refuses a log scale on an axis with values <= 0, and says so", () => {
    fakeCanvas();
    const store = new TabularStore(explorerData(100), {});
    const view = mount(store);
    choose(pick(view.el, "explorer-x"), "shap:age");
    const log = pick(view.el, "explorer-logx") as unknown as HTMLInputElement;
    log.checked = true;
    log.dispatchEvent(new Event("change"));
    expect(log.checked).toBe(false);
    expect(pick(view.el, "explorer-note").textContent).toContain("Log scale needs positive values: SHAP age has values ≤ 0");
    choose(pick(view.el, "explorer-x"), "feature:age");
    log.checked = true;
    log.dispatchEvent(new Event("change"));
    expect(log.checked).toBe(true);
    expect(pick(view.el, "explorer-note").textContent).toBe("");
  });

  it("aggregate: bins x, one bin per level of a category; a brush across bins filters x", () => {
    const canvas = fakeCanvas();
    const store = new TabularStore(explorerData(300), {});
    const view = mount(store);
    choose(pick(view.el, "explorer-mode"), "aggregate");
    choose(pick(view.el, "explorer-x"), "feature:colour");
    choose(pick(view.el, "explorer-y"), "probability:1");
    choose(pick(view.el, "explorer-stat"), "box");
    expect(view.el.dataset.mode).toBe("aggregate");
    expect(canvas.rects).toBeGreaterThan(0);
    expect(pick(view.el, "explorer-bins").disabled).toBe(true); // a category: one bin per level
    choose(pick(view.el, "explorer-x"), "feature:age");
    expect(pick(view.el, "explorer-bins").disabled).toBe(false);
    choose(pick(view.el, "explorer-bins"), "5");
    // a brush across the first two bins of age: a between filter on age
    drag(view.el, 5, 100, 200, 100);
    const button = pick(view.el, "explorer-make-cohort") as unknown as HTMLButtonElement;
    expect(button.textContent).toMatch(/^Make cohort age in \[20, \d+\]/);
  });

  it("follows the store's output for SHAP axes until one is chosen in the explorer", () => {
    fakeCanvas();
    const store = new TabularStore(explorerData(100), { output: { kind: "output", index: 1 } });
    const view = mount(store);
    choose(pick(view.el, "explorer-y"), "shap:age");
    const output = pick(view.el, "explorer-output");
    expect(output.closest("label")?.hidden).toBe(false);
    expect(output.value).toBe("output:1");
    store.update({ output: { kind: "average" } });
    expect(output.value).toBe("predicted");
    choose(output, "output:0");
    store.update({ output: { kind: "output", index: 1 } });
    expect(output.value).toBe("output:0");
    expect(view.el.textContent).toContain("SHAP value of age toward class no");
  });
});

describe("explorer legend and export", () => {
  const data = explorerData(90);
  const axes = new AxisValues(data);
  const colour = axes.get("feature:colour");
  const age = axes.get("feature:age");
  if (!colour || !age) throw new Error("missing axes");

  it("colour by a category lists only the levels drawn, and missing values in grey", () => {
    const values = axes.values(colour, { kind: "predicted" });
    const rows = Int32Array.from({ length: 30 }, (_, k) => k * 3 + 1); // colour code 1 only: green
    const coloring = colorByAxis(colour, values, rows);
    expect(coloring.legend.map((e) => e.label)).toEqual(["green"]);
    const ageColoring = colorByAxis(
      age,
      axes.values(age, { kind: "predicted" }),
      Int32Array.from({ length: 90 }, (_, i) => i),
    );
    expect(ageColoring.legend.map((e) => e.label)).toEqual(["age", "missing"]); // a ramp, then the 2 rows without age
  });

  it("the bins' CSV: each bin's range, its rows and the box of y", () => {
    const x = Float64Array.from([0, 1, 2, 3, 4, 5]);
    const y = Float64Array.from([1, 2, 3, 4, 5, Number.NaN]);
    const spec = { edges: binEdges(0, 5, 2) };
    const csv = binsCsv(age, axes.get("probability:1") ?? null, spec, binSummary(x, y, null, spec), "box");
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe("bin,x_from,x_to,rows,n,min,whisker_low,q1,median,q3,whisker_high,max,mean");
    expect(lines[1]).toBe("0,0,2.5,3,3,1,1,1.5,2,2.5,3,3,2");
    expect(lines[2]).toBe("1,2.5,5,3,2,4,4,4.25,4.5,4.75,5,5,4.5"); // the NaN y is left out of the box, not the count
  });
});
