// What the distribution of local importances draws, as pure functions (checked by vitest against
// numpy / scipy vectors, tests/distribution_cases.json): the violin's density (scipy's gaussian_kde
// with Scott's bandwidth on a fixed grid), the beeswarm's layers (shap's binned layering) and its
// colour range (shap's trimmed percentiles); the box is core/quantiles.ts.
import { quantile, quantilesOf } from "../../core/quantiles";

/** Points of the grid a violin's density is evaluated on: numpy.linspace(min, max, KDE_GRID). */
export const KDE_GRID = 64;
/** Above this many values the density is computed on linearly binned data (see kde). */
export const KDE_EXACT_LIMIT = 2000;
const BINS_PER_STEP = 16; // binned density: bins between two grid points

export interface Density {
  grid: Float64Array; // numpy.linspace(min, max, points)
  density: Float64Array; // the KDE at each grid point (integrates to about 1 over the real line)
  bandwidth: number; // the kernel's standard deviation: sqrt(var(ddof=1)) * n ** -0.2
  exact: boolean; // false when computed on binned data
}

/** numpy.linspace(lo, hi, num): lo + i * step, the last point exactly hi. */
export function linspace(lo: number, hi: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = num > 1 ? (hi - lo) / (num - 1) : 0;
  for (let i = 0; i < num; i++) out[i] = i * step + lo;
  if (num > 1) out[num - 1] = hi;
  return out;
}

/**
 * scipy.stats.gaussian_kde(values)(numpy.linspace(min, max, points)), Scott's bandwidth (factor
 * n ** -1/5 times the sample standard deviation, ddof 1). NaN values are left out. Null when scipy
 * cannot make one: fewer than two values, or no spread (every value the same: the chart draws a line).
 * Above `exactLimit` values the sum runs over the values linearly binned onto 16 bins per grid step
 * (O(n + grid x bins), not O(n x grid)); the tests bound its error against scipy (well under a pixel).
 */
export function kde(values: ArrayLike<number>, points = KDE_GRID, exactLimit = KDE_EXACT_LIMIT): Density | null {
  let n = 0;
  let sum = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (n < 2 || !(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return null;
  const mean = sum / n;
  const exact = n <= exactLimit;
  // Linear binning (above exactLimit): each value splits its weight between the two bins around it;
  // the grid points are every BINS_PER_STEP-th bin, so the kernel is one vector of offsets. Done in
  // the pass that sums the squares (the same sums, one read of the values fewer).
  const nb = (points - 1) * BINS_PER_STEP + 1;
  const delta = (hi - lo) / (nb - 1);
  const weights = exact ? null : new Float64Array(nb);
  let ss = 0;
  if (weights)
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isNaN(v)) continue;
      ss += (v - mean) * (v - mean);
      const pos = (v - lo) / delta;
      let b = Math.floor(pos);
      if (b >= nb - 1) b = nb - 2;
      const t = pos - b;
      weights[b] += 1 - t;
      weights[b + 1] += t;
    }
  else
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
    }
  const variance = (ss / (n - 1)) * n ** -0.4;
  if (!(variance > 0) || !Number.isFinite(variance)) return null; // no spread, or values too far apart (overflow)
  const bandwidth = Math.sqrt(variance);
  const grid = linspace(lo, hi, points);
  const density = new Float64Array(points);
  const norm = 1 / (n * Math.sqrt(2 * Math.PI * variance));
  if (!weights) {
    for (let g = 0; g < points; g++) {
      const x = grid[g];
      let s = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (Number.isNaN(v)) continue;
        const d = x - v;
        s += Math.exp((-0.5 * d * d) / variance);
      }
      density[g] = s * norm;
    }
    return { grid, density, bandwidth, exact };
  }
  const kernel = new Float64Array(nb);
  for (let d = 0; d < nb; d++) kernel[d] = Math.exp((-0.5 * (d * delta) ** 2) / variance);
  for (let g = 0; g < points; g++) {
    const at = g * BINS_PER_STEP;
    let s = 0;
    for (let b = 0; b < nb; b++) {
      const w = weights[b];
      if (w !== 0) s += w * kernel[at > b ? at - b : b - at];
    }
    density[g] = s * norm;
  }
  return { grid, density, bandwidth, exact };
}

/** The step between coprime visits of n points: the integer nearest 0.618 n that shares no factor with n. */
export function visitStride(n: number): number {
  if (n <= 2) return 1;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let a = Math.max(1, Math.round(n * 0.6180339887498949));
  while (gcd(a, n) !== 1) a++;
  return a;
}

let lastOrder: Int32Array | null = null;
/** The visiting order of n points: the p-th visit is point (p * visitStride(n)) mod n (the last one kept). */
export function visitOrder(n: number): Int32Array {
  if (lastOrder?.length === n) return lastOrder;
  const order = new Int32Array(n);
  const stride = visitStride(n);
  for (let p = 0, i = 0; p < n; p++) {
    order[p] = i;
    i += stride;
    if (i >= n) i -= n;
  }
  lastOrder = order;
  return order;
}

export interface Swarm {
  /** Each value's layer: 0, +1, -1, +2, -2, ... from the row's centre line (0 for NaN, which is not drawn). */
  layers: Int32Array;
  /** The largest layer + 1 (shap scales offsets by 0.9 * row height / this). */
  depth: number;
  /** The bin of each value (-1 for NaN). */
  bins: Int32Array;
  /** With `visitOrdered`: the values in visiting order (layers and bins are in that order too). */
  x?: Float32Array;
}

/**
 * shap's beeswarm layering (shap/plots/_beeswarm.py): values are cut into `nbins` + 1 bins by
 * numpy.round(nbins * (v - min) / (max - min + 1e-8)); within a bin, points take layers 0, +1, -1,
 * +2, -2, ... in visiting order. shap visits them in a random order; here the order is fixed so the
 * kernel and the browser agree: the p-th visit is value (p * visitStride(n)) mod n, a scramble of the
 * row order (so rows next to each other do not pile up on one side). O(n).
 */
export function swarmLayers(values: ArrayLike<number>, nbins = 100, visitOrdered = false): Swarm {
  const n = values.length;
  const layers = new Int32Array(n);
  const bins = new Int32Array(n).fill(-1);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return { layers, depth: 1, bins };
  const span = hi - lo + 1e-8;
  const filled = new Int32Array(nbins + 2);
  const stride = visitStride(n);
  let depth = 0;
  // visitOrdered: the dots in the order they are painted, so the painter reads them sequentially
  const x = visitOrdered ? new Float32Array(n) : undefined;
  // one loop per ordering (not `x ? p : i` inside): each stays tight for millions of dots
  if (x)
    for (let p = 0, i = 0; p < n; p++) {
      const v = values[i];
      x[p] = v;
      if (!Number.isNaN(v)) {
        const t = (nbins * (v - lo)) / span; // numpy's operations in numpy's order: the same bins
        let b = Math.round(t);
        if (b - t === 0.5 && b & 1) b--; // numpy.round: half to even
        bins[p] = b;
        const layer = filled[b]++;
        const y = layer & 1 ? (layer + 1) >> 1 : -(layer >> 1); // ceil(layer / 2), odd layers up
        layers[p] = y;
        if (y > depth) depth = y;
      }
      i += stride;
      if (i >= n) i -= n;
    }
  else
    for (let p = 0, i = 0; p < n; p++) {
      const v = values[i];
      if (!Number.isNaN(v)) {
        const t = (nbins * (v - lo)) / span;
        let b = Math.round(t);
        if (b - t === 0.5 && b & 1) b--;
        bins[i] = b;
        const layer = filled[b]++;
        const y = layer & 1 ? (layer + 1) >> 1 : -(layer >> 1);
        layers[i] = y;
        if (y > depth) depth = y;
      }
      i += stride;
      if (i >= n) i -= n;
    }
  return { layers, depth: depth + 1, bins, x };
}

/**
 * shap's beeswarm colour range of a feature's values (sorted ascending, NaN left out): the 5th to 95th
 * percentile, else the 1st to 99th, else min to max, so a few extremes do not wash out the colours.
 */
export function colorRange(sorted: ArrayLike<number>): [number, number] {
  if (!sorted.length) return [Number.NaN, Number.NaN];
  let lo = quantile(sorted, 0.05);
  let hi = quantile(sorted, 0.95);
  if (lo === hi) {
    lo = quantile(sorted, 0.01);
    hi = quantile(sorted, 0.99);
    if (lo === hi) {
      lo = sorted[0];
      hi = sorted[sorted.length - 1];
    }
  }
  return [Math.min(lo, hi), hi];
}

/** colorRange of the non-NaN values at `rows`, without sorting them (O(n)). */
export function colorRangeOf(values: ArrayLike<number>, rows: ArrayLike<number> | null = null): [number, number] {
  const [p1, p5, p95, p99] = quantilesOf(values, [0.01, 0.05, 0.95, 0.99], rows);
  if (Number.isNaN(p5) && Number.isNaN(p95) && Number.isNaN(p1)) {
    // nothing left (every value missing), or infinities on both sides: as colorRange does
    let any = false;
    const n = rows ? rows.length : values.length;
    for (let i = 0; i < n && !any; i++) any = !Number.isNaN(values[rows ? rows[i] : i]);
    if (!any) return [Number.NaN, Number.NaN];
  }
  if (p5 !== p95) return [Math.min(p5, p95), p95];
  if (p1 !== p99) return [Math.min(p1, p99), p99];
  let lo = Infinity;
  let hi = -Infinity;
  const n = rows ? rows.length : values.length;
  for (let i = 0; i < n; i++) {
    const v = values[rows ? rows[i] : i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [Math.min(lo, hi), hi];
}
