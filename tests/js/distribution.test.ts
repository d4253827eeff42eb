import { afterEach, describe, expect, it, vi } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { SERIES_COLORS } from "../../js/core/dom";
import type { TabularData } from "../../js/tabular/data";
import { createImportanceDistribution } from "../../js/tabular/distribution/view";
import { createImportanceChart } from "../../js/tabular/importance";
import { TabularStore as Store } from "../../js/tabular/store";
import { EVIL, makeData, tinyData } from "./fixtures";

/** Binary classification (mirrored): age, colour (category), flag (bool), score; 300 rows. */
function binary(n = 300): TabularData {
  return makeData({
    n,
    names: ["age", "colour", "flag", "score"],
    kinds: ["numeric", "category", "bool", "numeric"],
    categories: { colour: ["red", "green", EVIL] },
    feature: (i, j) => (j === 0 ? (i % 50 === 7 ? NaN : 20 + (i % 60)) : j === 1 ? i % 3 : j === 2 ? i % 2 : (i * 7) % 11),
    value: (i, j) =>
      j === 0 ? ((i % 60) - 30) / 30 : j === 1 ? (i % 3) * 0.1 - 0.1 : j === 2 ? (i % 2) * 0.2 : ((i * 7) % 11) * 0.05 - 0.2,
    yTrue: (i) => i % 2,
  });
}

/** Three classes (not mirrored): class 0's values are minus class 2's, class 1's zero. */
function multiclass(): TabularData {
  const rows = 12;
  return tinyData({
    values: Array.from({ length: rows }, (_, i) => [
      [-(i - 5), 0, i - 5],
      [i % 3, 0.5, -(i % 3)],
    ]),
    data: Array.from({ length: rows }, (_, i) => [i, i % 4]),
    featureNames: ["x", "y"],
    outputNames: ["a", "b", "c"],
    model: Array.from({ length: rows }, (_, i) => (i < 6 ? [1, 0, 0] : [0, 0, 1])),
  });
}

const young: Cohort = { name: "young", combine: "all", filters: [{ column: "age", op: "<", value: 40 }] };
const nobody: Cohort = { name: "nobody", combine: "all", filters: [{ column: "age", op: ">", value: 1000 }] };
const all: Cohort = { name: "All data", combine: "all", filters: [] };

interface FakeCtx {
  puts: number;
  painted: number; // pixels with alpha > 0 in the last image put
  calls: number; // drawing calls (paths, rects) since the last clear
}

/** jsdom has no canvas: a 2D context that keeps count of what is drawn on it. */
function fakeCanvas(): FakeCtx {
  const rec: FakeCtx = { puts: 0, painted: 0, calls: 0 };
  const target: Record<string, unknown> = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData(img: { data: Uint8ClampedArray }) {
      rec.puts++;
      rec.painted = 0;
      for (let k = 3; k < img.data.length; k += 4) if (img.data[k] > 0) rec.painted++;
    },
    clearRect() {
      rec.calls = 0;
    },
    measureText: (t: string) => ({ width: t.length * 7 }),
  };
  const ctx = new Proxy(target, {
    get(t, key: string) {
      if (key in t) return t[key];
      return () => {
        rec.calls++;
      };
    },
    set: () => true,
  });
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => ctx) as never);
  return rec;
}

function mount<V extends { el: HTMLElement; update(c: Set<never>): void }>(store: Store, view: V): V {
  store.subscribe((changed) => view.update(changed as Set<never>));
  document.body.appendChild(view.el);
  return view;
}

const chartOf = (store: Store) => mount(store, createImportanceDistribution(store));
const featuresOf = (el: HTMLElement): string[] => JSON.parse(el.dataset.features ?? "null");
const cohortsOf = (el: HTMLElement): string[] => JSON.parse(el.dataset.cohorts ?? "null");
const modeButton = (el: HTMLElement, label: string) =>
  Array.from(el.querySelectorAll("button")).find((b) => b.textContent === label) as HTMLButtonElement;
const canvasOf = (el: HTMLElement) => el.querySelector("canvas") as HTMLCanvasElement;
const barOrder = (chart: HTMLElement) => Array.from(chart.querySelectorAll<HTMLElement>(".rw-bar-group")).map((g) => g.dataset.feature);

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe("distribution of local importances", () => {
  it("has the test id and a mode switch of native buttons, Box first", () => {
    fakeCanvas();
    const view = chartOf(new Store(binary(), {}));
    expect(view.el.dataset.testid).toBe("importance-distribution");
    const group = view.el.querySelector('[role="group"][aria-label="Chart type"]');
    expect(group).not.toBeNull();
    expect(Array.from(group?.querySelectorAll("button") ?? []).map((b) => [b.textContent, b.getAttribute("aria-pressed")])).toEqual([
      ["Box", "true"],
      ["Violin", "false"],
      ["Beeswarm", "false"],
    ]);
    expect(view.el.dataset.mode).toBe("box");
  });

  it("switches mode: boxes and violins drawn as shapes, the beeswarm one dot per row of the active cohort", () => {
    const rec = fakeCanvas();
    const store = new Store(binary(), { cohorts: [all, young], topK: 3 });
    const view = chartOf(store);
    const canvas = canvasOf(view.el);
    expect(canvas.dataset.shapes).toBe("6"); // 3 features x 2 cohorts
    expect(rec.calls).toBeGreaterThan(0);
    modeButton(view.el, "Violin").click();
    expect(view.el.dataset.mode).toBe("violin");
    expect(modeButton(view.el, "Violin").getAttribute("aria-pressed")).toBe("true");
    expect(modeButton(view.el, "Box").getAttribute("aria-pressed")).toBe("false");
    expect(canvas.dataset.shapes).toBe("6");
    modeButton(view.el, "Beeswarm").click();
    expect(view.el.dataset.mode).toBe("beeswarm");
    expect(canvas.dataset.points).toBe(String(300 * 3)); // every row of "All data", 3 features
    expect(rec.painted).toBeGreaterThan(0);
    expect(cohortsOf(view.el)).toEqual(["All data"]);
    store.update({ active: "young" });
    const youngRows = store.maskOf(young).count;
    expect(canvas.dataset.points).toBe(String(youngRows * 3));
    expect(cohortsOf(view.el)).toEqual(["young"]);
    expect(view.el.querySelector(".rw-dist-caption")?.textContent).toContain('one dot per row of "young"');
  });

  it("shows the importance chart's features, in its order and count, following Top and Sort by", () => {
    fakeCanvas();
    const store = new Store(binary(), { cohorts: [all, young] });
    const bars = mount(store, createImportanceChart(store));
    const view = chartOf(store);
    expect(featuresOf(view.el)).toEqual(barOrder(bars.el));
    expect(featuresOf(view.el).length).toBe(4);
    store.update({ topK: 2 });
    expect(featuresOf(view.el)).toEqual(barOrder(bars.el));
    expect(featuresOf(view.el).length).toBe(2);
    store.update({ topK: 4, sortBy: "young" });
    expect(featuresOf(view.el)).toEqual(barOrder(bars.el));
    const labels = Array.from(view.el.querySelectorAll<HTMLElement>(".rw-dist-label")).map((l) => l.textContent);
    expect(labels).toEqual(barOrder(bars.el));
  });

  it("puts every cohort of the importance chart side by side, in its legend's colours", () => {
    fakeCanvas();
    const store = new Store(binary(), { cohorts: [all, young] });
    const bars = mount(store, createImportanceChart(store));
    const view = chartOf(store);
    expect(cohortsOf(view.el)).toEqual(["All data", "young"]);
    const swatches = (el: HTMLElement) =>
      Array.from(el.querySelectorAll<HTMLElement>(".rw-legend-item .rw-swatch")).map((s) => s.style.background);
    expect(swatches(view.el)).toEqual(swatches(bars.el));
    expect(swatches(view.el).length).toBe(2);
    expect(view.el.querySelectorAll('[data-testid="cohort-size"]').length).toBe(2);
    expect(SERIES_COLORS.length).toBeGreaterThan(1);
  });

  it("says when a cohort has no rows, and draws the others", () => {
    fakeCanvas();
    const store = new Store(binary(), { cohorts: [all, nobody], topK: 2 });
    const view = chartOf(store);
    expect(view.el.querySelector(".rw-dist-message")?.textContent).toContain('No rows in cohort "nobody"');
    expect(cohortsOf(view.el)).toEqual(["All data"]);
    expect(canvasOf(view.el).dataset.shapes).toBe("2");
    expect(view.el.querySelector(".rw-legend")?.textContent).toContain("no rows");
    expect(view.el.querySelectorAll(".rw-legend .rw-swatch").length).toBe(1); // a swatch only for what is drawn
    store.update({ active: "nobody" });
    modeButton(view.el, "Beeswarm").click();
    expect(view.el.querySelector(".rw-dist-message")?.textContent).toContain('No rows in cohort "nobody"');
    expect(canvasOf(view.el).dataset.points).toBe("0");
  });

  it("draws the chosen class's values; average and predicted use each row's predicted class and say so", () => {
    fakeCanvas();
    const store = new Store(multiclass(), { output: { kind: "output", index: 2 } });
    const view = chartOf(store);
    const readout = view.el.querySelector('[data-testid="distribution-readout"]') as HTMLElement;
    const area = view.el.querySelector(".rw-dist-area") as HTMLElement;
    const figuresOf = (feature: string) => {
      area.dispatchEvent(new FocusEvent("focus"));
      const names = featuresOf(view.el);
      for (let k = 0; k < names.indexOf(feature); k++) area.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown" }));
      const text = readout.textContent ?? "";
      area.dispatchEvent(new KeyboardEvent("keydown", { key: "Home" }));
      return text;
    };
    // class c: x's values are i - 5 for i = 0..11: min -5, median 0.5, max 6
    expect(figuresOf("x")).toContain("min -5");
    expect(figuresOf("x")).toContain("max 6");
    store.update({ output: { kind: "output", index: 0 } });
    expect(figuresOf("x")).toContain("min -6");
    expect(figuresOf("x")).toContain("max 5");
    expect(view.el.querySelector(".rw-dist-caption")?.textContent).toContain("toward class a");
    // predicted: rows 0-5 predict a (values 5..0), rows 6-11 predict c (values 1..6)
    store.update({ output: { kind: "predicted" } });
    expect(figuresOf("x")).toContain("min 0");
    expect(figuresOf("x")).toContain("max 6");
    expect(view.el.querySelector(".rw-dist-caption")?.textContent).toContain("each row's predicted class");
    store.update({ output: { kind: "average" } });
    expect(figuresOf("x")).toContain("min 0");
    expect(view.el.querySelector(".rw-dist-caption")?.textContent).toContain("do not average over classes");
  });

  it("reads a shape's figures on hover or from the keyboard, and Enter opens the feature's dependence plot", () => {
    fakeCanvas();
    const store = new Store(binary(), { topK: 2 });
    const view = chartOf(store);
    const area = view.el.querySelector(".rw-dist-area") as HTMLElement;
    const readout = view.el.querySelector('[data-testid="distribution-readout"]') as HTMLElement;
    expect(area.getAttribute("tabindex")).toBe("0");
    area.dispatchEvent(new FocusEvent("focus"));
    const first = featuresOf(view.el)[0];
    expect(readout.textContent).toMatch(
      new RegExp(`^${first} · All data: 300 rows · min .* · whiskers .* to .* · Q1 .* · median .* · Q3 .* · max .* · mean `),
    );
    area.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown" }));
    expect(readout.textContent?.startsWith(`${featuresOf(view.el)[1]} · All data`)).toBe(true);
    area.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(store.state.depFeature).toBe(store.data.meta.feature_names.indexOf(featuresOf(view.el)[1]));
  });

  it("exports a CSV of n, min, whiskers, quartiles, median, max and mean per feature per cohort", async () => {
    fakeCanvas();
    const store = new Store(binary(), { cohorts: [all, young], topK: 2 });
    const view = chartOf(store);
    const clicked: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
      clicked.push(b as Blob);
      return "blob:x";
    });
    vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
    const csvButton = view.el.querySelector('[data-testid="export-csv"]') as HTMLButtonElement;
    expect(csvButton.getAttribute("aria-label")).toBe("Save the distribution figures per feature and cohort as CSV");
    csvButton.click();
    await vi.waitFor(() => expect(clicked.length).toBe(1));
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(clicked[0]);
    });
    const lines = text.trim().split("\r\n");
    expect(lines[0]).toBe("feature,cohort,output,n,min,whisker_low,q1,median,q3,whisker_high,max,mean");
    expect(lines.length).toBe(1 + 2 * 2);
    const [feature, cohort, , n] = lines[1].split(",");
    expect(feature).toBe(featuresOf(view.el)[0]);
    expect(cohort).toBe("All data");
    expect(n).toBe("300");
    expect(lines[2].split(",")[1]).toBe("young");
  });

  it("puts names from data in as text", () => {
    fakeCanvas();
    const data = tinyData({
      values: [[[1]], [[-1]], [[0.5]]],
      data: [[1], [2], [3]],
      featureNames: [EVIL],
      outputNames: ["y"],
      task: "regression",
    });
    const view = chartOf(new Store(data, {}));
    expect(view.el.querySelector("img")).toBeNull();
    expect(view.el.querySelector(".rw-dist-label")?.textContent).toBe(EVIL);
  });
});
