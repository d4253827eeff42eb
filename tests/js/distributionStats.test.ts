import { describe, expect, it } from "vitest";
import { boxOf, boxStats, quantile, quantilesOf, sortedValues } from "../../js/core/quantiles";
import {
  colorRange,
  colorRangeOf,
  KDE_GRID,
  kde,
  linspace,
  swarmLayers,
  visitOrder,
  visitStride,
} from "../../js/tabular/distribution/stats";
import { CASES, caseNamed, close, KDE_GRID_OF_CASES } from "./distributionCases";

describe("the violin's density equals scipy.stats.gaussian_kde (tests/distribution_cases.json)", () => {
  it("uses the grid the vectors were written for", () => {
    expect(KDE_GRID).toBe(KDE_GRID_OF_CASES);
  });
  for (const c of CASES)
    it(c.name, () => {
      const ours = kde(c.values, KDE_GRID, Infinity);
      if (c.kde === null) {
        expect(ours, "scipy makes no density here: the chart draws a line").toBeNull();
        return;
      }
      expect(ours).not.toBeNull();
      if (!ours) return;
      expect(Array.from(ours.grid)).toEqual(c.kde.grid);
      expect(close(ours.bandwidth, c.kde.bandwidth, 1e-12)).toBe(true);
      const peak = Math.max(...c.kde.density);
      c.kde.density.forEach((want, g) => {
        const got = ours.density[g];
        expect(Math.abs(got - want) <= 1e-12 * peak || close(got, want, 1e-10), `grid ${g}: ${got} vs scipy ${want}`).toBe(true);
      });
    });

  it("on binned values (the path above 2,000 values) stays within 1e-3 of the peak of scipy's", () => {
    const c = caseNamed("skewed");
    const exact = c.kde;
    const binned = kde(c.values, KDE_GRID, 0);
    expect(binned?.exact).toBe(false);
    if (!binned || !exact) throw new Error("no density");
    const peak = Math.max(...exact.density);
    const worst = Math.max(...exact.density.map((want, g) => Math.abs(binned.density[g] - want)));
    expect(worst / peak).toBeLessThan(1e-3); // 3e-4 here: a thousandth of a violin's half-height
  });

  it("is null for fewer than two values, no spread, or nothing finite to spread", () => {
    expect(kde([])).toBeNull();
    expect(kde([1])).toBeNull();
    expect(kde([2, 2, 2])).toBeNull();
    expect(kde([Number.NaN, 1, Number.NaN])).toBeNull();
    expect(kde([1, Infinity])).toBeNull();
  });

  it("integrates to about 1", () => {
    const values = Array.from({ length: 500 }, (_, i) => Math.sin(i) * 3 + (i % 7));
    const d = kde(values, 200, Infinity);
    if (!d) throw new Error("no density");
    let area = 0;
    for (let g = 1; g < d.grid.length; g++) area += ((d.density[g] + d.density[g - 1]) / 2) * (d.grid[g] - d.grid[g - 1]);
    expect(area).toBeGreaterThan(0.9); // the tails beyond min and max are cut off
    expect(area).toBeLessThan(1);
  });

  it("linspace is numpy's", () => {
    expect(Array.from(linspace(0, 1, 5))).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(linspace(3, 3, 2))).toEqual([3, 3]);
  });
});

describe("the beeswarm's layers are shap's binning rule (tests/distribution_cases.json)", () => {
  for (const c of CASES)
    if (c.swarm) {
      const want = c.swarm;
      it(c.name, () => {
        const ours = swarmLayers(c.values);
        expect(Array.from(ours.bins)).toEqual(want.bins);
        expect(Array.from(ours.layers)).toEqual(want.layers);
        expect(ours.depth).toBe(want.depth);
      });
    }

  it("gives the same dots in visiting order when asked (what the painter reads)", () => {
    const c = caseNamed("skewed");
    const rowOrder = swarmLayers(c.values);
    const visit = swarmLayers(c.values, 100, true);
    const order = visitOrder(c.values.length);
    expect(visit.depth).toBe(rowOrder.depth);
    expect(Array.from(visit.layers)).toEqual(Array.from(order, (i) => rowOrder.layers[i]));
    expect(Array.from(visit.x ?? [])).toEqual(Array.from(order, (i) => Math.fround(c.values[i])));
  });

  it("alternates 0, +1, -1, +2, -2 within a bin", () => {
    const { layers, depth } = swarmLayers([1, 1, 1, 1, 1]);
    expect(Array.from(layers).sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    expect(depth).toBe(3);
  });

  it("visits every point once: the stride shares no factor with n", () => {
    for (const n of [1, 2, 3, 10, 97, 100, 1000, 3000, 100_000]) {
      const a = visitStride(n);
      const seen = new Uint8Array(n);
      for (let p = 0, i = 0; p < n; p++, i = (i + a) % n) seen[i]++;
      expect(seen.every((v) => v === 1)).toBe(true);
      const order = visitOrder(n);
      expect(order[0]).toBe(0);
      if (n > 1) expect(order[1]).toBe(a % n);
      expect(new Set(order).size).toBe(n);
    }
  });

  it("is linear in n: 100,000 values in a few milliseconds", () => {
    const values = Float32Array.from({ length: 100_000 }, (_, i) => Math.sin(i * 0.37) * Math.cos(i * 0.011));
    swarmLayers(values);
    const t0 = performance.now();
    swarmLayers(values);
    expect(performance.now() - t0).toBeLessThan(100); // generous: the machine is shared; about 2 ms alone
  });
});

describe("the beeswarm's colour range is shap's trimmed percentiles", () => {
  for (const c of CASES)
    it(c.name, () => {
      const ours = colorRange(sortedValues(c.values));
      if (c.colorRange === null) {
        expect(ours[0]).toBeNaN();
        return;
      }
      expect(close(ours[0], c.colorRange[0], 1e-12) && close(ours[1], c.colorRange[1], 1e-12), `${ours} vs ${c.colorRange}`).toBe(true);
      const unsorted = colorRangeOf(c.values);
      expect(close(unsorted[0], c.colorRange[0], 1e-12) && close(unsorted[1], c.colorRange[1], 1e-12), `${unsorted}`).toBe(true);
    });
});

describe("the box of float32 data by selection (no sort) is the box of the sorted values", () => {
  // boxOf and quantilesOf find float32 order statistics by counting keys in 65,536 buckets, then
  // resolving the few buckets that hold the wanted ranks: sorted when small, counted again when large
  // (more than 4,096 keys sharing their top 16 bits: a cluster of close values, or many equal ones).
  let seed = 11;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const samples: [string, Float32Array][] = [
    ["100,000 spread values", Float32Array.from({ length: 100_000 }, () => (rand() - 0.5) * Math.exp(rand() * 8))],
    ["a tight cluster (one large bucket)", Float32Array.from({ length: 50_000 }, () => 1 + rand() * 1e-3)],
    [
      "mostly zeros of both signs, a few outliers",
      Float32Array.from({ length: 30_000 }, (_, i) => (i % 97 === 0 ? rand() * 50 - 25 : i % 2 ? 0 : -0)),
    ],
    ["every value equal", new Float32Array(10_000).fill(0.25)],
    [
      "NaN and infinities",
      Float32Array.from({ length: 9_001 }, (_, i) =>
        i % 7 === 0 ? Number.NaN : i % 1000 === 1 ? Number.POSITIVE_INFINITY : i % 1000 === 2 ? Number.NEGATIVE_INFINITY : rand(),
      ),
    ],
    ["all NaN", new Float32Array(5).fill(Number.NaN)],
  ];
  for (const [name, values] of samples)
    it(name, () => {
      const sorted = sortedValues(values);
      const ref = boxStats(sorted);
      const { box, below, above } = boxOf(values);
      for (const key of ["n", "min", "q1", "median", "q3", "max", "whiskerLow", "whiskerHigh"] as const)
        expect(Object.is(box[key], ref[key]), `${key}: ${box[key]} vs ${ref[key]}`).toBe(true);
      expect(
        close(box.mean, ref.mean, 1e-12) || (Number.isNaN(box.mean) && Number.isNaN(ref.mean)),
        `mean ${box.mean} vs ${ref.mean}`,
      ).toBe(true);
      expect(Array.from(below)).toEqual(Array.from(sorted.filter((v) => v < ref.whiskerLow)));
      expect(Array.from(above)).toEqual(Array.from(sorted.filter((v) => v > ref.whiskerHigh)));
      const qs = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1];
      const rows = Int32Array.from({ length: Math.floor(values.length / 3) }, (_, i) => i * 3);
      expect(quantilesOf(values, qs).map(String)).toEqual(qs.map((q) => String(quantile(sorted, q))));
      const sub = sortedValues(values, rows);
      expect(quantilesOf(values, qs, rows).map(String)).toEqual(qs.map((q) => String(quantile(sub, q))));
    });
});
