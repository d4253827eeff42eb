// The data explorer's binning against numpy (tests/explorer_cases.json, written by
// tests/test_explorer_cases.py): edges, each value's bin, and the count, mean and box per bin.
import { describe, expect, it } from "vitest";
import { binEdges, binIndex, binSummary, finiteExtent, levelBins } from "../../js/tabular/explorer/bins";
import casesText from "../explorer_cases.json?raw";

interface Box {
  n: number;
  min: number | null;
  q1: number | null;
  median: number | null;
  q3: number | null;
  max: number | null;
  whisker_low: number | null;
  whisker_high: number | null;
  mean: number | null;
}
interface Case {
  name: string;
  x: (number | null)[];
  y: (number | null)[];
  bins: number | null;
  levels: number | null;
  edges: number[] | null;
  bin: number[];
  counts: number[];
  means: (number | null)[];
  boxes: Box[];
}

const cases: Case[] = JSON.parse(casesText).cases;
const nums = (a: (number | null)[]) => Float64Array.from(a, (v) => (v === null ? Number.NaN : v));

/** Equal to 12 significant digits (the file's rounding); null stands for NaN. */
function close(got: number, want: number | null, what: string) {
  if (want === null) return expect(got, what).toBeNaN();
  const tol = Math.max(Math.abs(want), 1e-300) * 1e-11;
  expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(tol);
}

describe("explorer bins agree with numpy", () => {
  it("has the cases", () => expect(cases.length).toBeGreaterThanOrEqual(8));

  for (const c of cases) {
    it(c.name, () => {
      const x = nums(c.x);
      const y = nums(c.y);
      const spec =
        c.levels !== null
          ? levelBins(c.levels)
          : (() => {
              const [lo, hi] = finiteExtent(x);
              return { edges: binEdges(lo, hi, c.bins as number) };
            })();
      if (c.edges) {
        expect("edges" in spec && Array.from(spec.edges)).toEqual(c.edges); // exact: same float64 arithmetic
        expect(Array.from(x, (v) => binIndex(v, (spec as { edges: Float64Array }).edges))).toEqual(c.bin);
      }
      const s = binSummary(x, y, null, spec);
      expect(Array.from(s.bin)).toEqual(c.bin);
      expect(Array.from(s.counts)).toEqual(c.counts);
      c.means.forEach((m, b) => {
        close(s.means[b], m, `mean of bin ${b}`);
      });
      c.boxes.forEach((want, b) => {
        const got = s.boxes[b];
        expect(got.n, `n of bin ${b}`).toBe(want.n);
        close(got.q1, want.q1, `q1 of bin ${b}`);
        close(got.median, want.median, `median of bin ${b}`);
        close(got.q3, want.q3, `q3 of bin ${b}`);
        close(got.min, want.min, `min of bin ${b}`);
        close(got.max, want.max, `max of bin ${b}`);
        close(got.whiskerLow, want.whisker_low, `low whisker of bin ${b}`);
        close(got.whiskerHigh, want.whisker_high, `high whisker of bin ${b}`);
        close(got.mean, want.mean, `box mean of bin ${b}`);
      });
    });
  }

  it("summarises only the rows it is given", () => {
    const x = Float64Array.from([0, 1, 2, 3, 4, 5]);
    const y = Float64Array.from([10, 11, 12, 13, 14, 15]);
    const s = binSummary(x, y, Int32Array.from([1, 4, 5]), { edges: binEdges(0, 5, 5) });
    expect(Array.from(s.counts)).toEqual([0, 1, 0, 0, 2]);
    expect(s.means[4]).toBe(14.5);
    expect(Array.from(s.bin)).toEqual([1, 4, 4]); // per given row
  });

  it("an empty axis spans [0, 1] as numpy's", () => {
    expect(finiteExtent(Float64Array.from([Number.NaN, Number.POSITIVE_INFINITY]))).toEqual([0, 1]);
  });
});
