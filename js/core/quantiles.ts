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
