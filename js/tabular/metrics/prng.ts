// The bootstrap's random stream, draw for draw the kernel's (rai_widget/explanations/_metrics.py):
// mulberry32 written as the counter-based sequence it is (its state after i+1 steps is
// seed + (i+1) * 0x6D2B79F5 mod 2**32), so output i is computed directly and never drifts the way the
// usual closure does once its double-valued counter passes 2**53.

const INCREMENT = 0x6d2b79f5;
const TWO_32 = 4294967296;

/** Output number `i` (0-based) of mulberry32 seeded with `seed` (a uint32), as a uint32. */
export function mulberry32At(seed: number, i: number): number {
  let t = (seed + Math.imul(i + 1, INCREMENT)) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/**
 * Resample b of n rows as counts per row: draw j takes row floor(u * n / 2**32), u being output
 * b * n + j. `out` (length n) is overwritten. u * n stays below 2**53, so the division is exact.
 */
export function resampleCounts(seed: number, n: number, b: number, out: Int32Array): Int32Array {
  out.fill(0);
  const start = b * n;
  for (let j = 0; j < n; j++) out[Math.floor((mulberry32At(seed, start + j) * n) / TWO_32)]++;
  return out;
}
