// Order statistics the charts draw (box plots of the data explorer and of the distribution of local
// importances), by numpy's rules so the kernel can say the same: `quantile` is numpy.quantile's
// default ("linear", type 7) and `boxStats` is a Tukey box (whiskers at the furthest values within
// 1.5 IQR of the quartiles). Missing values (NaN) are left out before either.

/** The finite-or-infinite values of `values` at the rows of `rows` (all rows when null), NaN left out, sorted ascending. */
export function sortedValues(values: ArrayLike<number>, rows: ArrayLike<number> | null = null): Float64Array {
  const n = rows ? rows.length : values.length;
  const out = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = values[rows ? rows[i] : i];
    if (!Number.isNaN(v)) out[m++] = v;
  }
  return out.subarray(0, m).sort();
}

/** numpy.quantile(sorted, q) (method "linear") of values already sorted ascending; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (!n) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  // numpy's _lerp: a + (b - a) * t, from the upper end when t >= 0.5 (the same rounding numpy gets)
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

export interface BoxStats {
  n: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  /** Tukey whiskers: the furthest values within 1.5 IQR of the quartiles. */
  whiskerLow: number;
  whiskerHigh: number;
  mean: number;
}

/** The box of values already sorted ascending (NaN fields when empty). */
export function boxStats(sorted: ArrayLike<number>): BoxStats {
  const n = sorted.length;
  const q1 = quantile(sorted, 0.25);
  const median = quantile(sorted, 0.5);
  const q3 = quantile(sorted, 0.75);
  const reach = 1.5 * (q3 - q1);
  let whiskerLow = Number.NaN;
  let whiskerHigh = Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i];
    sum += v;
    if (Number.isNaN(whiskerLow) && v >= q1 - reach) whiskerLow = v;
    if (v <= q3 + reach) whiskerHigh = v;
  }
  return {
    n,
    min: n ? sorted[0] : Number.NaN,
    q1,
    median,
    q3,
    max: n ? sorted[n - 1] : Number.NaN,
    whiskerLow,
    whiskerHigh,
    mean: n ? sum / n : Number.NaN,
  };
}

/**
 * sortedValues for float32 data (SHAP values and number columns arrive as float32): the same result,
 * by a three-pass radix sort on the float bits, about five times faster than a typed-array sort on
 * 100,000 values. -0 sorts before +0, as Float64Array.prototype.sort puts it.
 */
export function sortedFloat32(values: Float32Array, rows: ArrayLike<number> | null = null): Float64Array {
  const n = rows ? rows.length : values.length;
  const bits = new Uint32Array(n);
  const src = new Float32Array(1);
  const srcBits = new Uint32Array(src.buffer);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = values[rows ? rows[i] : i];
    if (Number.isNaN(v)) continue; // NaN
    src[0] = v;
    const b = srcBits[0];
    // order-preserving key: flip every bit of a negative, only the sign bit of a positive
    bits[m++] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
  }
  let keys = bits.subarray(0, m);
  let tmp = new Uint32Array(m);
  const counts = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let i = 0; i < m; i++) counts[(keys[i] >>> shift) & 2047]++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < m; i++) {
      const k = keys[i];
      tmp[counts[(k >>> shift) & 2047]++] = k;
    }
    [keys, tmp] = [tmp, keys];
  }
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const k = keys[i];
    srcBits[0] = k & 0x80000000 ? k & 0x7fffffff : ~k >>> 0;
    out[i] = src[0];
  }
  return out;
}

/** Sorted non-NaN values of `values` at `rows`: by radix for float32 data (the charts' case), else a typed-array sort. */
function sortedAny(values: ArrayLike<number>, rows: ArrayLike<number> | null): Float64Array {
  return values instanceof Float32Array ? sortedFloat32(values, rows) : sortedValues(values, rows);
}

/** numpy.quantile (NaN left out) of several q's at once. */
export function quantilesOf(values: ArrayLike<number>, qs: number[], rows: ArrayLike<number> | null = null): number[] {
  const sorted = sortedAny(values, rows);
  return qs.map((q) => quantile(sorted, q));
}

/**
 * boxStats of `values` (NaN left out), and the values beyond the whiskers, ascending (the box plot's
 * outlier dots). Float32 data is radix-sorted: faster here than selecting the quartiles.
 */
export function boxOf(values: ArrayLike<number>): { box: BoxStats; below: Float64Array; above: Float64Array } {
  const sorted = sortedAny(values, null);
  const box = boxStats(sorted);
  let lo = 0;
  while (lo < sorted.length && sorted[lo] < box.whiskerLow) lo++;
  let hi = sorted.length;
  while (hi > lo && sorted[hi - 1] > box.whiskerHigh) hi--;
  return { box, below: sorted.slice(0, lo), above: sorted.slice(hi) };
}
