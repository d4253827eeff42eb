// "Colour by: cohort" in the dependence plot: what the legend lists is what is drawn. A point in
// several cohorts takes one colour (the cohort on top); a cohort with no point in its colour is
// listed without a swatch and says why.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { SERIES_COLORS } from "../../js/core/dom";
import type { TabularData } from "../../js/tabular/data";
import { type Coloring, colorByCohort, colorByFeature, GREY, type SwatchEntry } from "../../js/tabular/dependence/coloring";
import { batches, paintPoints, rgb } from "../../js/tabular/dependence/raster";
import { createDependencePlot } from "../../js/tabular/dependence/view";
import { TabularStore as Store } from "../../js/tabular/store";
import { ALL_DATA, makeData } from "./fixtures";

const N = 100;

/** x = i (0..99), group a for even rows and b for odd ones. */
function sample(): TabularData {
  return makeData({
    n: N,
    names: ["x", "group"],
    kinds: ["numeric", "category"],
    categories: { group: ["a", "b", "unused"] },
    feature: (i, j) => (j === 0 ? i : i % 2),
    value: (i, j) => (j === 0 ? (i - 50) / 50 : (i % 2) - 0.5),
  });
}

const cohort = (name: string, filters: Cohort["filters"]): Cohort => ({ name, combine: "all", filters });
// "group a" and "group b" cover every row; "model errors" (listed last) overlaps both.
const COHORTS: Cohort[] = [
  cohort(ALL_DATA, []),
  cohort("group a", [{ column: "group", op: "==", value: "a" }]),
  cohort("group b", [{ column: "group", op: "==", value: "b" }]),
  cohort("model errors", [{ column: "x", op: "<", value: 10 }]),
];

function colour(store: Store, rows: Int32Array, active = ALL_DATA, onTop: string | null = null): Coloring {
  return colorByCohort(rows, store.state.cohorts, (c) => store.maskOf(c), ALL_DATA, active, onTop);
}

const allRows = Int32Array.from({ length: N }, (_, i) => i);
const rowsOf = (store: Store, name: string) => {
  const { mask } = store.maskOf(store.cohort(name) as Cohort);
  return Int32Array.from(allRows.filter((i) => mask[i]));
};
const swatches = (c: Coloring) => c.legend.filter((e): e is SwatchEntry => "color" in e);
const entry = (c: Coloring, label: string) => swatches(c).find((e) => e.label === label) as SwatchEntry;

/** The legend's promise: a swatch is shown exactly for the colours some point is drawn in. */
function expectLegendTrue(c: Coloring): void {
  const counts = new Map<string, number>();
  for (const b of c.bins) counts.set(c.palette[b], (counts.get(c.palette[b]) ?? 0) + 1);
  for (const e of swatches(c)) {
    if (e.hidden) expect(counts.get(e.color) ?? 0, e.label).toBe(0);
    else expect(counts.get(e.color) ?? 0, e.label).toBeGreaterThan(0);
    if (e.drawn !== undefined && !e.hidden) expect(counts.get(e.color)).toBe(e.drawn);
  }
  const listed = new Set(
    swatches(c)
      .filter((e) => !e.hidden)
      .map((e) => e.color),
  );
  for (const color of counts.keys()) expect(listed.has(color), color).toBe(true);
  // Drawing order: grey first, every coloured batch once.
  expect(c.order[0]).toBe(0);
  expect([...c.order].sort((a, b) => a - b)).toEqual(c.palette.map((_, b) => b));
}

/** Pixels of each colour after painting the points in the coloring's order (opaque, 1 px apart). */
function paintedColours(c: Coloring, rows: Int32Array): Map<string, number> {
  const w = rows.length * 2;
  const buf = new Uint8ClampedArray(w * 4);
  const px = Float32Array.from(rows, (_, p) => p * 2 + 0.5);
  const py = new Float32Array(rows.length).fill(0.5);
  const groups = batches(c.bins, c.palette.length);
  paintPoints(
    buf,
    w,
    1,
    px,
    py,
    c.order.map((b) => groups[b]),
    c.order.map((b) => c.palette[b]),
    1,
    1,
  );
  const out = new Map<string, number>();
  for (const color of c.palette) {
    const [r, g, b] = rgb(color);
    let n = 0;
    for (let k = 0; k < buf.length; k += 4) if (buf[k + 3] && buf[k] === r && buf[k + 1] === g && buf[k + 2] === b) n++;
    out.set(color, n);
  }
  return out;
}

describe("colour by cohort", () => {
  const store = new Store(sample(), { cohorts: COHORTS });

  it("draws a small cohort listed after the ones it overlaps (model errors over group a / b)", () => {
    const c = colour(store, allRows);
    expectLegendTrue(c);
    expect(swatches(c).map((e) => e.label)).toEqual(["group a", "group b", "model errors"]); // the cohorts' order
    const errors = entry(c, "model errors");
    expect(errors).toMatchObject({ color: SERIES_COLORS[3], drawn: 10, inPlot: 10, onTop: true });
    expect(errors.hidden).toBeUndefined();
    for (let i = 0; i < N; i++) expect(c.palette[c.bins[i]]).toBe(i < 10 ? SERIES_COLORS[3] : SERIES_COLORS[1 + (i % 2)]);
    expect(entry(c, "group a")).toMatchObject({ drawn: 45, inPlot: 50 });
    // painted last, so its pixels survive; every listed colour has pixels
    const pixels = paintedColours(c, allRows);
    for (const e of swatches(c)) expect(pixels.get(e.color), e.label).toBe(e.drawn);
    expect(c.order[c.order.length - 1]).toBe(c.palette.indexOf(SERIES_COLORS[3]));
  });

  it("puts the active cohort on top: a freshly brushed cohort is drawn in its own colour", () => {
    const brushed = cohort("x in [0, 30]", [{ column: "x", op: "between", value: [0, 30] }]);
    const s = new Store(sample(), { cohorts: [...COHORTS, brushed], active: brushed.name });
    const rows = rowsOf(s, brushed.name);
    const c = colour(s, rows, brushed.name);
    expectLegendTrue(c);
    expect(entry(c, brushed.name)).toMatchObject({ drawn: 31, onTop: true });
    expect(new Set(Array.from(c.bins, (b) => c.palette[b]))).toEqual(new Set([SERIES_COLORS[4]]));
    // the others are listed without a swatch, saying where their points went
    expect(entry(c, "model errors").hidden).toBe(`all 10 points hidden under "${brushed.name}"`);
    expect(entry(c, "group a").hidden).toBe(`all 16 points hidden under "${brushed.name}"`);
    expect(entry(c, "model errors").cohort).toBe("model errors"); // can still be put on top
  });

  it("lets the user put any cohort on top, over the active one", () => {
    const s = new Store(sample(), { cohorts: COHORTS, active: "group a" });
    const rows = rowsOf(s, "group a");
    const c = colour(s, rows, "group a", "model errors");
    expectLegendTrue(c);
    expect(entry(c, "model errors")).toMatchObject({ drawn: 5, onTop: true });
    expect(entry(c, "group a")).toMatchObject({ drawn: 45 });
    expect(entry(c, "group a").onTop).toBeUndefined();
    expect(entry(c, "group b").hidden).toBe('no rows in "group a"');
    expect(entry(c, "group b").cohort).toBeUndefined(); // nothing to bring on top
  });

  it("says when a cohort's points are under several cohorts; equal sizes keep the list order", () => {
    const half = cohort("x < 50", [{ column: "x", op: "<", value: 50 }]);
    const s = new Store(sample(), { cohorts: [...COHORTS.slice(0, 3), half] });
    const c = colour(s, allRows); // group a, group b and x < 50 have 50 rows each
    expectLegendTrue(c);
    expect(entry(c, "x < 50").hidden).toBe("all 50 points hidden under cohorts on top");
    expect(entry(c, "group a").onTop).toBe(true);
    const picked = colour(s, allRows, ALL_DATA, "x < 50");
    expectLegendTrue(picked);
    expect(entry(picked, "x < 50")).toMatchObject({ drawn: 50, onTop: true });
    expect(entry(picked, "group a")).toMatchObject({ drawn: 25, inPlot: 50 });
  });

  it("lists a cohort that cannot be evaluated without a swatch, and grey only when some point is grey", () => {
    const bad = cohort("bad", [{ column: "nope", op: ">", value: 1 }]);
    const s = new Store(sample(), { cohorts: [COHORTS[0], COHORTS[3], bad] });
    const c = colour(s, allRows);
    expectLegendTrue(c);
    expect(entry(c, "bad").hidden).toMatch(/^cannot be evaluated/);
    expect(entry(c, "in no other cohort")).toEqual({ color: GREY, label: "in no other cohort" });
    const only = colour(s, Int32Array.from([1, 2, 3]));
    expect(swatches(only).map((e) => e.label)).toEqual(["model errors", "bad"]);
    const justAll = colour(new Store(sample(), { cohorts: [COHORTS[0]] }), allRows);
    expect(justAll.legend).toEqual([{ color: GREY, label: "all rows (make cohorts to colour them)" }]);
  });

  it("colour by a category lists levels with no point here without a swatch", () => {
    const c = colorByFeature(sample(), 1, allRows);
    expectLegendTrue(c);
    expect(swatches(c).map((e) => [e.label, e.hidden ?? null])).toEqual([
      ["a", null],
      ["b", null],
      ["unused", "none in these rows"],
    ]);
  });
});

// ---------------------------------------------------------------- the view: legend and canvas agree

interface Canvas {
  image: Uint8ClampedArray | null;
}

/** jsdom has no canvas: a stand-in that keeps the last image the view puts on it. */
function fakeCanvas(): Canvas {
  const rec: Canvas = { image: null };
  const ctx = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData(img: { data: Uint8ClampedArray }) {
      rec.image = img.data.slice();
    },
  };
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => ctx) as never);
  return rec;
}

/** Pixels whose colour is `hex` exactly (points painted over blank canvas keep their colour). */
function pixelsOf(image: Uint8ClampedArray, hex: string): number {
  const [r, g, b] = rgb(hex);
  let n = 0;
  for (let k = 0; k < image.length; k += 4) if (image[k + 3] && image[k] === r && image[k + 1] === g && image[k + 2] === b) n++;
  return n;
}

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe("the dependence legend in the view", () => {
  it("shows a swatch only for colours on the canvas, and a legend click puts a cohort on top", () => {
    const canvas = fakeCanvas();
    const store = new Store(sample(), { cohorts: COHORTS, depFeature: 0 });
    const view = createDependencePlot(store);
    store.subscribe((changed) => view.update(changed as Set<never>));
    const legendColours = () =>
      Array.from(view.el.querySelectorAll<HTMLElement>(".rw-dep-legend .rw-legend-item"))
        .filter((e) => e.querySelector(".rw-swatch"))
        .map((e) => e.dataset.color as string);
    const image = () => canvas.image as Uint8ClampedArray;
    expect(legendColours()).toEqual([SERIES_COLORS[1], SERIES_COLORS[2], SERIES_COLORS[3]]);
    for (const c of legendColours()) expect(pixelsOf(image(), c), c).toBeGreaterThan(0);
    expect(view.el.querySelector(".rw-dep-legend-hint")?.textContent).toContain("click a cohort to put it there");

    store.update({ active: "group a" }); // active on top: every point in its colour
    expect(legendColours()).toEqual([SERIES_COLORS[1]]);
    expect(pixelsOf(image(), SERIES_COLORS[3])).toBe(0);
    const errors = view.el.querySelector<HTMLButtonElement>('.rw-dep-pick[data-cohort="model errors"]') as HTMLButtonElement;
    expect(errors.querySelector(".rw-swatch")).toBeNull();
    expect(errors.textContent).toBe('model errors: all 5 points hidden under "group a"');
    expect(errors.getAttribute("aria-pressed")).toBe("false");

    errors.click();
    expect(legendColours()).toEqual([SERIES_COLORS[1], SERIES_COLORS[3]]);
    for (const c of legendColours()) expect(pixelsOf(image(), c), c).toBeGreaterThan(0);
    const pressed = view.el.querySelector<HTMLElement>('.rw-dep-pick[aria-pressed="true"]');
    expect(pressed?.dataset.cohort).toBe("model errors");

    store.update({ active: ALL_DATA }); // a new active cohort: the user's pick is dropped
    expect(view.el.querySelector<HTMLElement>('.rw-dep-pick[aria-pressed="true"]')?.dataset.cohort).toBe("model errors"); // smallest
    store.update({ active: "group b" });
    expect(view.el.querySelector<HTMLElement>('.rw-dep-pick[aria-pressed="true"]')?.dataset.cohort).toBe("group b");
  });
});
