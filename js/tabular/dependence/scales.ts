// Scales and ticks of the dependence plot: pure functions from data units to pixels and back.

export interface Scale {
  (v: number): number;
  invert(px: number): number;
  domain: [number, number];
  range: [number, number];
}

/** A linear map from domain to range; a zero-width domain maps to the middle of the range. */
export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const k = span === 0 ? 0 : (r1 - r0) / span;
  const s = ((v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + (v - d0) * k)) as Scale;
  s.invert = (px: number) => (k === 0 ? d0 : d0 + (px - r0) / k);
  s.domain = [d0, d1];
  s.range = [r0, r1];
  return s;
}

/**
 * About `count` round tick values (1, 2 or 5 times a power of ten) inside [lo, hi]. With `integer`
 * (a whole-number feature) the step is at least 1, so the ticks are whole numbers: every one of
 * them when the range is small.
 */
export function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return [];
  if (hi === lo) return integer && lo !== Math.round(lo) ? [] : [lo];
  const raw = (hi - lo) / Math.max(1, count);
  let step = 10 ** Math.floor(Math.log10(raw));
  const err = raw / step;
  if (err >= 7.5) step *= 10;
  else if (err >= 3.5) step *= 5;
  else if (err >= 1.5) step *= 2;
  if (integer) step = Math.max(1, step);
  const out: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** Domain [lo, hi] padded by `pad` of its span (a constant becomes +-1 around it); NaNs ignored. */
export function paddedExtent(values: ArrayLike<number>, pad = 0.04, include?: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (include !== undefined) {
    lo = Math.min(lo, include);
    hi = Math.max(hi, include);
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - (Math.abs(lo) * 0.1 || 1), hi + (Math.abs(hi) * 0.1 || 1)];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** Quantile q of the finite values (linear interpolation). NaN when there are none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(Array.prototype.filter.call(values, (x: number) => Number.isFinite(x)) as number[]);
  if (!v.length) return NaN;
  v.sort();
  const pos = (v.length - 1) * Math.min(1, Math.max(0, q));
  const a = Math.floor(pos);
  const b = Math.min(v.length - 1, a + 1);
  return v[a] + (v[b] - v[a]) * (pos - a);
}

/** Round [lo, hi] outward to 3 significant digits of `span`, so labels and filter agree exactly. */
export function roundRange(lo: number, hi: number, span: number): [number, number] {
  if (!(span > 0) || !Number.isFinite(span)) return [lo, hi];
  const e = Math.floor(Math.log10(span)) - 2;
  const step = 10 ** e;
  const dec = Math.min(20, Math.max(0, -e));
  const a = Number((Math.floor(lo / step + 1e-9) * step).toFixed(dec));
  const b = Number((Math.ceil(hi / step - 1e-9) * step).toFixed(dec));
  return [a, Math.max(a, b)];
}

/** Whether every finite value is a whole number (NaN ignored). */
export function allWhole(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && v !== Math.round(v)) return false;
  }
  return true;
}
