import { afterEach, describe, expect, it, vi } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { uniqueName } from "../../js/core/cohorts";
import type { TabularData } from "../../js/tabular/data";
import { brushCohort, brushFilter } from "../../js/tabular/dependence/brush";
import { colorByCohort, colorByFeature, GREY, RAMP_HIGH, RAMP_LOW, rampColor } from "../../js/tabular/dependence/coloring";
import { computePoints, JITTER, jitter } from "../../js/tabular/dependence/points";
import { batches, paintPoints } from "../../js/tabular/dependence/raster";
import { allWhole, linearScale, niceTicks, paddedExtent, quantile, roundRange } from "../../js/tabular/dependence/scales";
import { createDependencePlot } from "../../js/tabular/dependence/view";
import { TabularStore as Store } from "../../js/tabular/store";
import { EVIL, makeData } from "./fixtures";

// ---- a small TabularData built in memory (binary classification unless told otherwise) ----
const CATS = ["red", "green", EVIL];

/** age (numeric, some missing), colour (category), flag (bool). */
function sample(n = 200): TabularData {
  return makeData({
    n,
    names: ["age", "colour", "flag"],
    kinds: ["numeric", "category", "bool"],
    categories: { colour: CATS },
    feature: (i, j) => (j === 0 ? (i % 50 === 7 ? NaN : 20 + (i % 60)) : j === 1 ? i % 3 : i % 2),
    value: (i, j) => (j === 0 ? ((i % 60) - 30) / 30 : j === 1 ? (i % 3) * 0.1 - 0.1 : (i % 2) * 0.2),
    yTrue: (i) => i % 2,
  });
}

interface FakeCtx {
  puts: number; // putImageData calls
  painted: number; // pixels with alpha > 0 in the last image put
}

/** jsdom has no canvas: a stand-in that keeps what the view puts on it. */
function fakeCanvas(): FakeCtx {
  const rec: FakeCtx = { puts: 0, painted: 0 };
  const ctx = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData(img: { data: Uint8ClampedArray }) {
      rec.puts++;
      rec.painted = 0;
      for (let k = 3; k < img.data.length; k += 4) if (img.data[k] > 0) rec.painted++;
    },
  };
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => ctx) as never);
  return rec;
}

/** Wire a view to its store as tabular/dashboard.ts does. */
function mount<V extends { update(c: Set<never>): void }>(store: Store, view: V): V {
  store.subscribe((changed) => view.update(changed as Set<never>));
  return view;
}

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe("scales and ticks", () => {
  it("maps a domain onto a range and back", () => {
    const s = linearScale([0, 10], [100, 0]);
    expect(s(0)).toBe(100);
    expect(s(10)).toBe(0);
    expect(s(2.5)).toBe(75);
    expect(s.invert(75)).toBeCloseTo(2.5);
  });
  it("maps a zero-width domain to the middle", () => {
    const s = linearScale([3, 3], [0, 100]);
    expect(s(3)).toBe(50);
    expect(s.invert(10)).toBe(3);
  });
  it("gives round ticks inside the domain", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3.7, 12.1, 5)).toEqual([-2, 0, 2, 4, 6, 8, 10, 12]);
    expect(niceTicks(0, 100, 2)).toEqual([0, 50, 100]);
    expect(niceTicks(0.1, 0.3, 4)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(niceTicks(5, 5)).toEqual([5]);
    expect(niceTicks(NaN, 1)).toEqual([]);
  });
  it("pads extents, widens constants, includes zero when asked, ignores NaN", () => {
    expect(paddedExtent([0, 10], 0.1)).toEqual([-1, 11]);
    expect(paddedExtent([4, 4], 0)).toEqual([3.6, 4.4]);
    expect(paddedExtent([0, 0], 0)).toEqual([-1, 1]);
    expect(paddedExtent([2, NaN, 3], 0, 0)).toEqual([0, 3]);
    expect(paddedExtent([], 0)).toEqual([0, 1]);
  });
  it("computes quantiles of finite values", () => {
    expect(quantile([3, 1, 2, NaN], 0.5)).toBe(2);
    expect(quantile([0, 10], 0.05)).toBeCloseTo(0.5);
    expect(quantile([NaN], 0.5)).toBeNaN();
  });
  it("ramps from the low to the high colour", () => {
    expect(rampColor(0)).toBe(RAMP_LOW);
    expect(rampColor(1)).toBe(RAMP_HIGH);
    expect(rampColor(2)).toBe(RAMP_HIGH);
    expect(rampColor(0.5)).toMatch(/^#[0-9a-f]{6}$/);
  });
});

describe("jitter", () => {
  it("is deterministic, in [-1, 1), and spread out", () => {
    const a = Array.from({ length: 5000 }, (_, i) => jitter(i));
    expect(a).toEqual(Array.from({ length: 5000 }, (_, i) => jitter(i)));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    const low = a.filter((v) => v < 0).length / a.length;
    expect(low).toBeGreaterThan(0.45);
    expect(low).toBeLessThan(0.55);
  });
  it("keeps each category's points within its band, and missing values NaN", () => {
    const data = sample();
    const mask = new Uint8Array(data.n).fill(1);
    const cat = computePoints(data, 1, mask, () => 1);
    for (let p = 0; p < cat.rows.length; p++) {
      const code = data.feature(cat.rows[p], 1);
      expect(Math.abs(cat.x[p] - code)).toBeLessThanOrEqual(JITTER);
    }
    const num = computePoints(data, 0, mask, () => 1);
    expect(num.missing).toBe(4); // rows 7, 57, 107, 157
    expect(num.x[7]).toBeNaN();
    expect(num.x[8]).toBe(data.feature(8, 0)); // numbers are not jittered
  });
});

describe("points", () => {
  it("takes only the cohort's rows and the value toward each row's output", () => {
    const data = sample(10);
    const mask = Uint8Array.from([1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    const pts = computePoints(data, 0, mask, (i) => (i === 2 ? 0 : 1));
    expect(Array.from(pts.rows)).toEqual([0, 2, 9]);
    expect(pts.y[0]).toBeCloseTo(data.value(0, 0, 1));
    expect(pts.y[1]).toBeCloseTo(-data.value(2, 0, 1)); // class 0 mirrors class 1
  });
});

describe("colouring", () => {
  const cohorts: Cohort[] = [
    { name: "All data", combine: "all", filters: [] },
    { name: "young", combine: "all", filters: [{ column: "age", op: "<", value: 30 }] },
    { name: "flagged", combine: "all", filters: [{ column: "flag", op: "==", value: true }] },
  ];
  it("colours each row by the cohort on top of it, rows in no cohort but All data grey", () => {
    const data = sample(20);
    const store = new Store(data, { cohorts });
    const rows = Int32Array.from({ length: 20 }, (_, i) => i);
    const c = colorByCohort(rows, cohorts, (k) => store.maskOf(k), "All data");
    expect(c.palette[0]).toBe(GREY);
    expect(c.palette.length).toBe(3);
    for (let i = 0; i < 20; i++) {
      const age = data.feature(i, 0); // NaN for row 7: in no "age" cohort
      const want = age < 30 ? 1 : i % 2 === 1 ? 2 : 0;
      expect(c.bins[i]).toBe(want);
    }
    expect(c.legend.map((e) => e.label)).toEqual(["young", "flagged", "in no other cohort"]);
    const few = Int32Array.from([0, 1, 2]); // all young: no grey entry
    expect(colorByCohort(few, cohorts, (k) => store.maskOf(k), "All data").legend.map((e) => e.label)).toEqual(["young", "flagged"]);
  });
  it("colours by a numeric feature on a ramp and by a category per value", () => {
    const data = sample(200);
    const rows = Int32Array.from({ length: 200 }, (_, i) => i);
    const num = colorByFeature(data, 0, rows);
    expect(num.bins[7]).toBe(0); // missing -> grey
    expect(Math.min(...Array.from(num.bins).filter((b) => b > 0))).toBe(1);
    expect(Math.max(...num.bins)).toBe(num.palette.length - 1);
    expect(num.legend[0]).toMatchObject({ label: "age" });
    expect(num.legend[num.legend.length - 1]).toEqual({ color: GREY, label: "missing" });
    const cat = colorByFeature(data, 1, rows);
    expect(cat.legend.map((e) => e.label)).toEqual(CATS);
    expect(cat.bins[4]).toBe(2); // code 1 -> palette 2
  });
  it("groups points into one batch per colour", () => {
    const b = batches(Uint8Array.from([2, 0, 2, 1, 0]), 3);
    expect(b.map((g) => Array.from(g))).toEqual([[1, 4], [3], [0, 2]]);
  });
});

describe("painting points", () => {
  const one = (x: number, y: number) => [Float32Array.from([x]), Float32Array.from([y])] as const;
  it("paints a size x size square of the batch's colour", () => {
    const buf = new Uint8ClampedArray(10 * 10 * 4);
    const [px, py] = one(5, 5);
    expect(paintPoints(buf, 10, 10, px, py, [Int32Array.from([0])], ["#ff8000"], 2, 1)).toBe(4);
    const at = (x: number, y: number) => Array.from(buf.slice((y * 10 + x) * 4, (y * 10 + x) * 4 + 4));
    expect(at(4, 4)).toEqual([255, 128, 0, 255]);
    expect(at(5, 5)).toEqual([255, 128, 0, 255]);
    expect(at(6, 6)).toEqual([0, 0, 0, 0]);
  });
  it("blends later batches over earlier ones and clips at the edges", () => {
    const buf = new Uint8ClampedArray(4 * 4 * 4);
    const px = Float32Array.from([0, 0]);
    const py = Float32Array.from([0, 0]);
    const n = paintPoints(buf, 4, 4, px, py, [Int32Array.from([0]), Int32Array.from([1])], ["#000000", "#ffffff"], 2, 0.5);
    expect(n).toBe(1); // only pixel (0, 0) is inside
    expect(buf[3]).toBe(192); // about 0.5 + 0.5 * 0.5 = 0.75 alpha (the first paint stores 128/255)
    expect(buf[0]).toBe(170); // white at 0.5 over black at 0.5: 255 * 0.5 / 0.75
    expect(Array.from(buf.slice(4))).toEqual(new Array(4 * 4 * 4 - 4).fill(0));
  });
});

describe("brushing -> filter -> cohort", () => {
  it("rounds a numeric range outward to 3 significant digits of the span", () => {
    expect(roundRange(1.23456, 2.34567, 10)).toEqual([1.2, 2.4]);
    expect(roundRange(-0.00123, 0.00456, 0.01)).toEqual([-0.0013, 0.0046]);
    expect(roundRange(31.74, 44.21, 60)).toEqual([31.7, 44.3]);
    expect(roundRange(1, 2, 0)).toEqual([1, 2]);
  });
  it("makes a between filter for numbers", () => {
    const data = sample();
    expect(brushFilter(data, 0, 31.74, 44.21, 60)).toEqual({
      filter: { column: "age", op: "between", value: [31.7, 44.3] },
      label: "[31.7, 44.3]",
      phrase: "between 31.7 and 44.3",
    });
    // whole-number features: the whole numbers inside the range
    expect(brushFilter(data, 0, 31.74, 44.21, 60, true)?.filter.value).toEqual([32, 44]);
    expect(brushFilter(data, 0, 31.2, 31.8, 60, true)).toBeNull();
  });
  it("makes an `in` filter of the category names the range touches", () => {
    const data = sample();
    expect(brushFilter(data, 1, 0.8, 2.1, 3)?.filter).toEqual({ column: "colour", op: "in", value: ["green", EVIL] });
    expect(brushFilter(data, 1, 0.45, 0.55, 3)).toBeNull(); // between two bands
    expect(brushFilter(data, 2, 0.9, 1.2, 2)?.filter).toEqual({ column: "flag", op: "in", value: [true] });
  });
  it("refines the active cohort and keeps names unique", () => {
    const data = sample();
    const pick = brushFilter(data, 0, 31.7, 44.2, 60, true)!;
    expect(pick.filter.value).toEqual([32, 44]);
    const active: Cohort = { name: "flagged", combine: "all", filters: [{ column: "flag", op: "==", value: true }] };
    const c = brushCohort(active, ["All data", "age in [32, 44]"], "age", pick);
    expect(c).toEqual({
      name: "age in [32, 44] (2)",
      combine: "all",
      filters: [
        { column: "flag", op: "==", value: true },
        { column: "age", op: "between", value: [32, 44] },
      ],
    });
    const either: Cohort = { name: "either", combine: "any", filters: [active.filters[0], { column: "age", op: ">", value: 70 }] };
    expect(brushCohort(either, [], "age", pick).filters).toEqual([pick.filter]);
    expect(uniqueName("a", ["a", "a (2)"])).toBe("a (3)");
    expect(allWhole([1, 2, NaN])).toBe(true);
    expect(allWhole([1, 2.5])).toBe(false);
  });
});

describe("the dependence plot view", () => {
  it("asks for a feature until one is chosen", () => {
    fakeCanvas();
    const view = createDependencePlot(new Store(sample(), {}));
    expect(view.el.dataset.testid).toBe("dependence-plot");
    expect(view.el.textContent).toContain("Click a bar to see how a feature's value drives its importance");
  });

  it("draws every row of the active cohort, and redraws on colour and cohort changes", () => {
    const rec = fakeCanvas();
    const data = sample();
    const store = new Store(data, { depFeature: 0 });
    const view = mount(store, createDependencePlot(store));
    expect(rec.puts).toBe(1);
    expect(rec.painted).toBeGreaterThan(100);
    expect(view.el.dataset.points).toBe("200");
    expect(view.el.querySelector(".rw-dep-ytitle")?.textContent).toBe("SHAP value of age toward class yes (log-odds)");
    expect(view.el.querySelector(".rw-dep-tick-missing")?.textContent).toBe("missing");

    store.update({ depColor: "age" });
    expect(rec.puts).toBe(2);
    expect(view.el.querySelector(".rw-dep-ramp")).not.toBeNull();

    store.update({
      cohorts: [...store.state.cohorts, { name: "flagged", combine: "all", filters: [{ column: "flag", op: "==", value: true }] }],
      active: "flagged",
    });
    expect(rec.puts).toBe(3);
    expect(view.el.dataset.points).toBe("100");

    store.update({ selected: [1, 2] }); // not something this view shows
    expect(rec.puts).toBe(3);
  });

  it("draws 100,000 points quickly", () => {
    const rec = fakeCanvas();
    const data = makeData({
      n: 100_000,
      names: ["x", "y"],
      kinds: ["numeric", "numeric"],
      feature: (i, j) => ((i * (j + 7)) % 1000) / 10,
      value: (i, j) => (((i * 31 + j) % 200) - 100) / 100,
    });
    const store = new Store(data, { depFeature: 0 });
    const view = mount(store, createDependencePlot(store));
    expect(view.el.dataset.points).toBe("100000");
    const t0 = performance.now();
    store.update({ depColor: "y" });
    const ms = performance.now() - t0;
    expect(rec.puts).toBe(2);
    expect(ms).toBeLessThan(1000); // jsdom: generous; the real figure is checked in Chromium (tests/browser)
    expect(Number(view.el.dataset.drawMs)).toBeLessThan(500);
  });

  it("says so when the cohort is empty", () => {
    fakeCanvas();
    const store = new Store(sample(), {
      depFeature: 0,
      cohorts: [{ name: "nobody", combine: "all", filters: [{ column: "age", op: ">", value: 1000 }] }],
    });
    const view = mount(store, createDependencePlot(store));
    expect(view.el.querySelector(".rw-dep-message")?.textContent).toContain('No rows in cohort "nobody"');
    expect((view.el.querySelector(".rw-dep-body") as HTMLElement).hidden).toBe(true);
  });

  it("turns a dragged range into a new cohort", () => {
    fakeCanvas();
    const data = sample();
    const store = new Store(data, { depFeature: 0 });
    const view = mount(store, createDependencePlot(store));
    document.body.appendChild(view.el);
    const area = view.el.querySelector(".rw-dep-area") as HTMLElement;
    const fire = (type: string, x: number) =>
      area.dispatchEvent(new MouseEvent(type, { clientX: x, clientY: 50, button: 0, bubbles: true }));
    fire("pointerdown", 200);
    fire("pointermove", 350);
    fire("pointerup", 350);
    const button = view.el.querySelector(".rw-dep-make") as HTMLButtonElement;
    expect((button.parentElement as HTMLElement).hidden).toBe(false);
    const m = /^Make cohort from age between (\S+) and (\S+) \((\d+) rows\)$/.exec(button.textContent ?? "");
    expect(m).not.toBeNull();
    const [lo, hi, n] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(lo).toBeLessThan(hi);
    let want = 0;
    for (let i = 0; i < data.n; i++) {
      const v = data.feature(i, 0);
      if (v >= lo && v <= hi) want++;
    }
    expect(n).toBe(want);
    button.click();
    const made = store.state.cohorts[store.state.cohorts.length - 1];
    expect(made).toEqual({ name: `age in [${lo}, ${hi}]`, combine: "all", filters: [{ column: "age", op: "between", value: [lo, hi] }] });
    expect(store.state.active).toBe(made.name);
    expect(store.maskOf(made).count).toBe(n);
  });

  it("shows names and categories from data as text, never as HTML", () => {
    fakeCanvas();
    const data = makeData({
      n: 30,
      names: [EVIL, "b"],
      kinds: ["category", "numeric"],
      categories: { [EVIL]: CATS },
      feature: (i, j) => (j === 0 ? i % 3 : i),
      value: (i) => (i % 3) - 1,
    });
    const cohorts: Cohort[] = [
      { name: "All data", combine: "all", filters: [] },
      { name: `${EVIL} cohort`, combine: "all", filters: [{ column: "b", op: "<", value: 10 }] },
    ];
    const view = createDependencePlot(new Store(data, { depFeature: 0, cohorts }));
    document.body.appendChild(view.el);
    expect(view.el.querySelector("img")).toBeNull();
    const ticks = Array.from(view.el.querySelectorAll(".rw-dep-xticks .rw-dep-tick"), (t) => t.textContent);
    expect(ticks).toEqual(CATS);
    expect(view.el.textContent).toContain(`${EVIL} cohort`);
    expect(Array.from(view.el.querySelectorAll("option"), (o) => o.textContent)).toContain(EVIL);
    expect(view.el.querySelector(".rw-dep-xtitle")?.textContent).toContain(EVIL);
  });
});
