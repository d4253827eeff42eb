import { describe, expect, it } from "vitest";
import { boxOf, boxStats, quantile, quantilesOf, sortedFloat32, sortedValues } from "../../js/core/quantiles";
import { CASES, caseNamed, close } from "./distributionCases";

describe("quantile equals numpy.quantile (tests/distribution_cases.json)", () => {
  for (const c of CASES)
    it(c.name, () => {
      const sorted = sortedValues(c.values);
      c.quantiles.q.forEach((q, k) => {
        const ours = quantile(sorted, q);
        const numpy = c.quantiles.numpy[k];
        expect(close(ours, numpy, 1e-12), `q=${q}: ${ours} vs numpy ${numpy}`).toBe(true);
      });
    });

  it("interpolates from the upper value at t >= 0.5, as numpy does (the two forms differ here)", () => {
    for (const [name, q] of [
      ["half step", 0.25],
      ["upper lerp", 0.75],
    ] as const) {
      const c = caseNamed(name);
      const [a, b] = c.values;
      const t = (c.values.length - 1) * q;
      expect(a + (b - a) * t).not.toBe(b - (b - a) * (1 - t));
      expect(quantile(sortedValues(c.values), q)).toBe(c.quantiles.numpy[c.quantiles.q.indexOf(q)]);
    }
  });
});

describe("boxStats equals numpy's Tukey box (tests/distribution_cases.json)", () => {
  for (const c of CASES)
    it(c.name, () => {
      const box = boxStats(sortedValues(c.values)) as unknown as Record<string, number>;
      for (const [key, want] of Object.entries(c.box)) expect(close(box[key], want, 1e-12), `${key}: ${box[key]} vs ${want}`).toBe(true);
    });

  it("leaves NaN out and gives NaN figures when nothing is left", () => {
    expect(boxStats(sortedValues([Number.NaN, Number.NaN])).n).toBe(0);
    expect(boxStats(sortedValues([])).median).toBeNaN();
    expect(boxStats(sortedValues([Number.NaN, 3, 1])).median).toBe(2);
  });
});

describe("sortedFloat32", () => {
  it("sorts float32 values as sortedValues does, NaN left out, -0 before +0, infinities at the ends", () => {
    const n = 20_000;
    const values = new Float32Array(n);
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < n; i++) values[i] = (rand() - 0.4) * 10 ** Math.floor(rand() * 12 - 6);
    values.set([Number.NaN, -0, 0, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45], 100);
    const ours = sortedFloat32(values);
    const reference = sortedValues(values);
    expect(ours.length).toBe(n - 1);
    expect(Array.from(ours)).toEqual(Array.from(reference));
    const zero = ours.indexOf(0);
    expect(Object.is(ours[zero], -0)).toBe(true);
    expect(ours[0]).toBe(-Infinity);
    expect(ours[ours.length - 1]).toBe(Infinity);
  });

  it("takes the values at the given rows only", () => {
    const values = Float32Array.from([5, -1, 3, Number.NaN, 2]);
    expect(Array.from(sortedFloat32(values, [0, 2, 3, 4]))).toEqual([2, 3, 5]);
    expect(Array.from(sortedFloat32(values, []))).toEqual([]);
  });
});

describe("boxOf and quantilesOf: the box with its outliers, several quantiles at once", () => {
  for (const c of CASES)
    it(c.name, () => {
      const { box } = boxOf(c.values) as unknown as { box: Record<string, number> };
      for (const [key, want] of Object.entries(c.box)) expect(close(box[key], want, 1e-12), `${key}: ${box[key]} vs ${want}`).toBe(true);
      const ours = quantilesOf(c.values, c.quantiles.q);
      c.quantiles.q.forEach((q, k) => {
        expect(close(ours[k], c.quantiles.numpy[k], 1e-12), `q=${q}: ${ours[k]} vs numpy ${c.quantiles.numpy[k]}`).toBe(true);
      });
    });

  it("equals boxStats and quantile on sorted values, outliers included, for float64 and float32 data", () => {
    let seed = 3;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const samples: number[][] = [
      Array.from({ length: 1000 }, () => Math.round(rand() * 5)),
      Array.from({ length: 999 }, (_, i) => i),
      Array.from({ length: 999 }, (_, i) => -i),
      Array.from({ length: 5000 }, () => Math.exp(rand() * 6) * (rand() < 0.5 ? -1 : 1)),
      [7],
      [2, 1],
    ];
    for (const values of [...samples, ...samples.map((v) => Float32Array.from(v))]) {
      const sorted = sortedValues(values);
      const ref = boxStats(sorted);
      const { box, below, above } = boxOf(values);
      for (const key of ["n", "min", "q1", "median", "q3", "max", "whiskerLow", "whiskerHigh"] as const) expect(box[key]).toBe(ref[key]);
      expect(box.mean).toBe(ref.mean);
      expect(Array.from(below)).toEqual(Array.from(sorted.filter((v) => v < ref.whiskerLow)));
      expect(Array.from(above)).toEqual(Array.from(sorted.filter((v) => v > ref.whiskerHigh)));
      const qs = [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1];
      expect(quantilesOf(values, qs)).toEqual(qs.map((q) => quantile(sorted, q)));
    }
  });
});
