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
  return lerp(sorted[lo], sorted[hi], pos - lo);
}

// numpy's _lerp: a + (b - a) * t, from the upper end when t >= 0.5 (the same rounding numpy gets)
const lerp = (a: number, b: number, t: number) => (t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t);

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

// Order statistics of float32 data without sorting it: one pass turns each value into an
// order-preserving 32-bit key and counts the keys by their top 16 bits; the buckets holding the wanted
// ranks are then read in a second pass and resolved exactly (sorted when small, else counted by their
// low 16 bits, which with the bucket's top bits are the whole key). The same values a sort gives.
const TOP = new Uint32Array(65536); // keys per top-16-bit bucket (zeroed after each use)
const LOW = new Uint32Array(65536); // keys per low-16-bit value within one large bucket
const WANTED = new Int32Array(65536); // bucket -> 1 + its slot among the wanted buckets (zeroed after use)
const SMALL_BUCKET = 4096; // up to this many keys a bucket is sorted, above it counted
const f32 = new Float32Array(1);
const f32Bits = new Uint32Array(f32.buffer);

const floatOfKey = (k: number) => {
  f32Bits[0] = k & 0x80000000 ? k & 0x7fffffff : ~k >>> 0;
  return f32[0];
};

interface Keyed {
  keys: Uint32Array; // the non-NaN values' keys, in row order (TOP holds their counts)
  sum: number; // their sum in row order
}

/** Keys of the non-NaN values at `rows` (all when null), counted into TOP. */
function keyed(values: Float32Array, rows: ArrayLike<number> | null): Keyed {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const n = rows ? rows.length : values.length;
  const keys = new Uint32Array(n);
  let m = 0;
  let sum = 0;
  // two loops, not one with `rows ? rows[i] : i`: each stays monomorphic and tight
  if (rows)
    for (let i = 0; i < n; i++) {
      const at = rows[i];
      const b = bits[at];
      if ((b & 0x7fffffff) > 0x7f800000) continue; // NaN
      const k = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
      keys[m++] = k;
      TOP[k >>> 16]++;
      sum += values[at];
    }
  else
    for (let i = 0; i < n; i++) {
      const b = bits[i];
      if ((b & 0x7fffffff) > 0x7f800000) continue; // NaN
      const k = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
      keys[m++] = k;
      TOP[k >>> 16]++;
      sum += values[i];
    }
  return { keys: keys.subarray(0, m), sum };
}

/** The key of float32 value f (+0 and -0 apart). */
const keyOfFloat = (f: number) => {
  f32[0] = f;
  const b = f32Bits[0];
  return b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
};
const NEG_ZERO_KEY = 0x7fffffff;
const POS_ZERO_KEY = 0x80000000;

/** The smallest key whose float32 value v has v >= limit (a float64; not NaN). */
function keyAtLeast(limit: number): number {
  const f = Math.fround(limit);
  if (f < limit) return keyOfFloat(f === 0 ? 0 : f) + 1; // the next float32 up
  return f === 0 ? NEG_ZERO_KEY : keyOfFloat(f); // -0 >= 0 too
}

/** The largest key whose float32 value v has v <= limit (a float64; not NaN). */
function keyAtMost(limit: number): number {
  const f = Math.fround(limit);
  if (f > limit) return keyOfFloat(f === 0 ? -0 : f) - 1; // the next float32 down
  return f === 0 ? POS_ZERO_KEY : keyOfFloat(f); // +0 <= 0 too
}

let belowScratch = new Uint32Array(0);
let aboveScratch = new Uint32Array(0);

/** The values of ranks `ranks` (0-based, each < keys.length) in ascending order of the keyed values; clears TOP. */
function selectRanks(keys: Uint32Array, ranks: number[]): number[] {
  const order = ranks.map((_, i) => i).sort((a, b) => ranks[a] - ranks[b]);
  const bucketOf = new Array<number>(ranks.length);
  const within = new Array<number>(ranks.length);
  let cum = 0;
  let b = 0;
  for (const i of order) {
    while (cum + TOP[b] <= ranks[i]) cum += TOP[b++];
    bucketOf[i] = b;
    within[i] = ranks[i] - cum;
  }
  const buckets = [...new Set(bucketOf)];
  const members = buckets.map((bk, slot) => {
    WANTED[bk] = slot + 1;
    return new Uint32Array(TOP[bk]);
  });
  const filled = new Int32Array(buckets.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const slot = WANTED[k >>> 16];
    if (slot) members[slot - 1][filled[slot - 1]++] = k;
  }
  for (const bk of buckets) WANTED[bk] = 0;
  TOP.fill(0);
  const resolved = members.map((keysIn) => (keysIn.length <= SMALL_BUCKET ? keysIn.sort() : keysIn));
  return ranks.map((_, i) => {
    const slot = buckets.indexOf(bucketOf[i]);
    const keysIn = resolved[slot];
    if (keysIn.length <= SMALL_BUCKET) return floatOfKey(keysIn[within[i]]);
    for (let p = 0; p < keysIn.length; p++) LOW[keysIn[p] & 0xffff]++;
    let c = 0;
    let low = 0;
    while (c + LOW[low] <= within[i]) c += LOW[low++];
    LOW.fill(0);
    return floatOfKey(((bucketOf[i] << 16) | low) >>> 0);
  });
}

/** numpy.quantile of the keyed values at each q (NaN when there are none). */
function keyedQuantiles(keys: Uint32Array, qs: number[], extra: number[] = []): number[] {
  const m = keys.length;
  if (!m) {
    TOP.fill(0);
    return [...qs.map(() => Number.NaN), ...extra.map(() => Number.NaN)];
  }
  const ranks: number[] = [];
  for (const q of qs) {
    const lo = Math.floor((m - 1) * q);
    ranks.push(lo, Math.min(lo + 1, m - 1));
  }
  const at = selectRanks(keys, [...ranks, ...extra]);
  return [
    ...qs.map((q, k) => {
      const pos = (m - 1) * q;
      return lerp(at[2 * k], at[2 * k + 1], pos - Math.floor(pos));
    }),
    ...at.slice(2 * qs.length),
  ];
}

/** Sorted non-NaN values of `values` at `rows`: by radix for float32 data (the charts' case), else a typed-array sort. */
function sortedAny(values: ArrayLike<number>, rows: ArrayLike<number> | null): Float64Array {
  return values instanceof Float32Array ? sortedFloat32(values, rows) : sortedValues(values, rows);
}

/** numpy.quantile (NaN left out) of several q's at once; float32 data by selection, without a sort. */
export function quantilesOf(values: ArrayLike<number>, qs: number[], rows: ArrayLike<number> | null = null): number[] {
  if (values instanceof Float32Array) return keyedQuantiles(keyed(values, rows).keys, qs);
  const sorted = sortedAny(values, rows);
  return qs.map((q) => quantile(sorted, q));
}

/**
 * boxStats of `values` (NaN left out), and the values beyond the whiskers, ascending (the box plot's
 * outlier dots). Float32 data (the charts' case) by selection: three passes, no sort of the whole.
 */
export function boxOf(values: ArrayLike<number>): { box: BoxStats; below: Float64Array; above: Float64Array } {
  if (values instanceof Float32Array) return boxOfFloat32(values);
  const sorted = sortedAny(values, null);
  const box = boxStats(sorted);
  let lo = 0;
  while (lo < sorted.length && sorted[lo] < box.whiskerLow) lo++;
  let hi = sorted.length;
  while (hi > lo && sorted[hi - 1] > box.whiskerHigh) hi--;
  return { box, below: sorted.slice(0, lo), above: sorted.slice(hi) };
}

function boxOfFloat32(values: Float32Array): { box: BoxStats; below: Float64Array; above: Float64Array } {
  const { keys, sum } = keyed(values, null);
  const n = keys.length;
  if (!n) {
    TOP.fill(0);
    return { box: boxStats(new Float64Array(0)), below: new Float64Array(0), above: new Float64Array(0) };
  }
  const [q1, median, q3, min, max] = keyedQuantiles(keys, [0.25, 0.5, 0.75], [0, n - 1]);
  const reach = 1.5 * (q3 - q1);
  const lowLimit = q1 - reach;
  const highLimit = q3 + reach;
  // the whiskers: the smallest value >= lowLimit and the largest <= highLimit, compared as keys (so -0
  // before +0, as sorted); the values beyond them are exactly those beyond the limits
  let whiskerLow = Number.NaN;
  let whiskerHigh = Number.NaN;
  let below = new Float64Array(0);
  let above = new Float64Array(0);
  if (!Number.isNaN(lowLimit) && !Number.isNaN(highLimit)) {
    const lowKey = keyAtLeast(lowLimit);
    const highKey = keyAtMost(highLimit);
    if (belowScratch.length < n) {
      belowScratch = new Uint32Array(n);
      aboveScratch = new Uint32Array(n);
    }
    const belowKeys = belowScratch;
    const aboveKeys = aboveScratch;
    let nb = 0;
    let na = 0;
    let wl = 0xffffffff;
    let wh = 0;
    let anyLow = false;
    let anyHigh = false;
    for (let i = 0; i < n; i++) {
      const k = keys[i];
      if (k >= lowKey) {
        anyLow = true;
        if (k < wl) wl = k;
      } else belowKeys[nb++] = k;
      if (k <= highKey) {
        anyHigh = true;
        if (k > wh) wh = k;
      } else aboveKeys[na++] = k;
    }
    if (anyLow) whiskerLow = floatOfKey(wl);
    if (anyHigh) whiskerHigh = floatOfKey(wh);
    below = Float64Array.from(belowKeys.subarray(0, nb).sort(), floatOfKey);
    above = Float64Array.from(aboveKeys.subarray(0, na).sort(), floatOfKey);
  } else if (!Number.isNaN(lowLimit) || !Number.isNaN(highLimit)) {
    // one limit NaN (an infinite quartile): as boxStats does it, one side at a time on the sorted values
    const sorted = sortedFloat32(values);
    const ref = boxStats(sorted);
    whiskerLow = ref.whiskerLow;
    whiskerHigh = ref.whiskerHigh;
    let lo = 0;
    while (lo < sorted.length && sorted[lo] < whiskerLow) lo++;
    let hi = sorted.length;
    while (hi > lo && sorted[hi - 1] > whiskerHigh) hi--;
    below = sorted.slice(0, lo);
    above = sorted.slice(hi);
  }
  return {
    box: { n, min, q1, median, q3, max, whiskerLow, whiskerHigh, mean: sum / n },
    below,
    above,
  };
}
