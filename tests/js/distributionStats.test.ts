import { describe, expect, it } from "vitest";
import { sortedValues } from "../../js/core/quantiles";
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
