// Axis ticks of the dependence plot: round numbers, and whole numbers only for whole-number features.
import { afterEach, describe, expect, it, vi } from "vitest";
import { niceTicks, paddedExtent } from "../../js/tabular/dependence/scales";
import { createDependencePlot } from "../../js/tabular/dependence/view";
import { TabularStore as Store } from "../../js/tabular/store";
import { makeData } from "./fixtures";

// [lo, hi, count, integer, expected ticks]: the domains are what paddedExtent makes of the data.
const CASES: [number, number, number, boolean, number[]][] = [
  [0, 1, 5, false, [0, 0.2, 0.4, 0.6, 0.8, 1]],
  [0, 1, 5, true, [0, 1]],
  [-0.04, 1.04, 7, true, [0, 1]], // a 0/1 count
  [-0.12, 3.12, 7, true, [0, 1, 2, 3]], // a small range: every whole number
  [0.6, 5.4, 5, true, [1, 2, 3, 4, 5]],
  [-0.4, 10.4, 5, true, [0, 2, 4, 6, 8, 10]],
  [-0.4, 10.4, 12, true, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
  [4.5, 5.5, 7, true, [5]], // a constant
  [1894.9, 2025.1, 5, true, [1900, 1920, 1940, 1960, 1980, 2000, 2020]],
  [-3.3, 3.3, 6, true, [-3, -2, -1, 0, 1, 2, 3]],
  [0.1, 0.3, 4, false, [0.1, 0.15, 0.2, 0.25, 0.3]],
  [0.2, 0.8, 5, true, []], // no whole number inside
  [5, 5, 5, true, [5]],
  [NaN, 1, 5, true, []],
];

describe("niceTicks", () => {
  it.each(CASES)("[%s, %s], about %s ticks, integer %s", (lo, hi, count, integer, want) => {
    const ticks = niceTicks(lo, hi, count, integer);
    expect(ticks).toEqual(want);
    for (const t of ticks) {
      expect(t).toBeGreaterThanOrEqual(lo);
      expect(t).toBeLessThanOrEqual(hi);
      if (integer) expect(Number.isInteger(t), String(t)).toBe(true);
    }
  });

  it("gives whole-number features every whole number when there are few, and never a step below 1", () => {
    for (let max = 1; max <= 40; max++)
      for (const count of [3, 5, 7, 12]) {
        const [lo, hi] = paddedExtent([0, max]);
        const ticks = niceTicks(lo, hi, count, true);
        const steps = ticks.slice(1).map((t, k) => t - ticks[k]);
        expect(ticks.every(Number.isInteger), `${max} ${count}: ${ticks}`).toBe(true);
        expect(new Set(steps).size, `${max} ${count}: ${ticks}`).toBeLessThanOrEqual(1);
        if (max <= count) expect(ticks, `${max} ${count}`).toEqual(Array.from({ length: max + 1 }, (_, k) => k));
      }
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe("the dependence plot's x axis", () => {
  const ctx = {
    createImageData: (w: number, h: number) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData() {},
  };
  const xTicks = (names: string[], feature: (i: number, j: number) => number) => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => ctx) as never);
    const data = makeData({ n: 40, names, kinds: ["numeric", "numeric"], feature, value: (i) => (i % 7) / 7 - 0.5 });
    const view = createDependencePlot(new Store(data, { depFeature: 0 }));
    return Array.from(view.el.querySelectorAll(".rw-dep-xticks .rw-dep-tick"), (t) => t.textContent);
  };

  it("labels a whole-number feature with whole numbers (children 0-3: 0, 1, 2, 3)", () => {
    expect(xTicks(["children", "y"], (i, j) => (j === 0 ? i % 4 : i))).toEqual(["0", "1", "2", "3"]);
  });

  it("keeps fractional ticks for a fractional feature", () => {
    expect(xTicks(["ratio", "y"], (i, j) => (j === 0 ? (i % 4) / 4 + 0.01 : i))).toContain("0.5");
  });
});
