// The aggregate view's bins, by numpy's rules so the kernel says the same (tests/explorer_cases.json,
// written from numpy by tests/test_explorer_cases.py): `bins` equal-width bins over the finite values'
// [min, max] have numpy.histogram_bin_edges' edges (a constant column spans [v - 0.5, v + 0.5]); a value
// is in bin k when edges[k] <= v < edges[k + 1], the last bin closed, as numpy.histogram counts it. A
// category or boolean axis has one bin per level (its codes). Per bin: the count of rows, the mean of
// the finite y values, and a Tukey box of the non-missing ones (core/quantiles.ts). Pure functions.
import { type BoxStats, boxStats, sortedValues } from "../../core/quantiles";

/** Equal-width bins (their edges, float64) or one bin per level (codes 0 .. levels - 1). */
export type BinSpec = { edges: Float64Array } | { levels: number };

export const levelBins = (levels: number): BinSpec => ({ levels });

/** [min, max] of the finite values; [0, 1] when there are none (numpy's range of an empty array). */
export function finiteExtent(values: ArrayLike<number>, rows: ArrayLike<number> | null = null): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const n = rows ? rows.length : values.length;
  for (let p = 0; p < n; p++) {
    const v = values[rows ? rows[p] : p];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** numpy.histogram_bin_edges over [lo, hi] with nBins bins: np.linspace(lo, hi, nBins + 1). */
export function binEdges(lo: number, hi: number, nBins: number): Float64Array {
  let first = lo;
  let last = hi;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const edges = new Float64Array(nBins + 1);
  const step = (last - first) / nBins; // linspace: arange(n + 1) * step + start, the last edge exactly `stop`
  for (let i = 0; i < nBins; i++) edges[i] = i * step + first;
  edges[nBins] = last;
  return edges;
}

/** The bin of v (numpy.histogram's equal-width rule, last bin closed); -1 for NaN or outside the edges. */
export function binIndex(v: number, edges: Float64Array): number {
  const n = edges.length - 1;
  const first = edges[0];
  const last = edges[n];
  if (!(v >= first && v <= last)) return -1;
  // numpy: the index from the value's position, then corrected against the edges (within an ulp of one)
  let k = Math.trunc(((v - first) / (last - first)) * n);
  if (k === n) k--;
  if (v < edges[k]) k--;
  if (k !== n - 1 && v >= edges[k + 1]) k++;
  return k;
}

/** How many bins a spec has. */
export const binCount = (spec: BinSpec): number => ("edges" in spec ? spec.edges.length - 1 : spec.levels);

/** The bin of a value on a spec: a level's code, or binIndex. */
export function binOf(v: number, spec: BinSpec): number {
  if ("edges" in spec) return binIndex(v, spec.edges);
  return v >= 0 && v < spec.levels && Number.isInteger(v) ? v : -1;
}

export interface BinSummary {
  /** The bin of each summarised row (in the order of `rows`, or of the values); -1 in none. */
  bin: Int32Array;
  counts: Int32Array;
  /** Mean of the finite y values per bin (NaN when none). */
  means: Float64Array;
  boxes: BoxStats[];
  /** Rows in no bin (x missing or outside). */
  unbinned: number;
}

/** Bin x over `spec` and summarise y per bin, for the rows in `rows` (every value when null). */
export function binSummary(x: ArrayLike<number>, y: ArrayLike<number> | null, rows: ArrayLike<number> | null, spec: BinSpec): BinSummary {
  const m = rows ? rows.length : x.length;
  const nb = binCount(spec);
  const bin = new Int32Array(m);
  const counts = new Int32Array(nb);
  const sums = new Float64Array(nb);
  const finite = new Int32Array(nb);
  let unbinned = 0;
  for (let p = 0; p < m; p++) {
    const i = rows ? rows[p] : p;
    const b = binOf(x[i], spec);
    bin[p] = b;
    if (b < 0) {
      unbinned++;
      continue;
    }
    counts[b]++;
    if (y) {
      const v = y[i];
      if (Number.isFinite(v)) {
        sums[b] += v;
        finite[b]++;
      }
    }
  }
  const means = Float64Array.from(sums, (s, b) => (finite[b] ? s / finite[b] : Number.NaN));
  const boxes: BoxStats[] = [];
  if (y) {
    // the rows of each bin, grouped by a counting sort, then each bin's y sorted once
    const start = new Int32Array(nb + 1);
    for (let b = 0; b < nb; b++) start[b + 1] = start[b] + counts[b];
    const fill = start.slice(0, nb);
    const members = new Int32Array(m - unbinned);
    for (let p = 0; p < m; p++) if (bin[p] >= 0) members[fill[bin[p]]++] = rows ? rows[p] : p;
    for (let b = 0; b < nb; b++) boxes.push(boxStats(sortedValues(y, members.subarray(start[b], start[b + 1]))));
  }
  return { bin, counts, means, boxes, unbinned };
}
