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

/** floor(u * n / 2**32), exactly: u * n is exact in a double below 2**53 (n <= 2**21); beyond, in 16-bit halves. */
export function drawRow(u: number, n: number): number {
  if (n <= 2097152) return Math.floor((u * n) / TWO_32);
  return Math.floor(((u >>> 16) * n + Math.floor(((u & 0xffff) * n) / 65536)) / 65536);
}

/** Resample b of n rows as counts per row: draw j takes row drawRow(u, n), u being output b * n + j. `out` (length n) is overwritten. */
export function resampleCounts(seed: number, n: number, b: number, out: Int32Array): Int32Array {
  out.fill(0);
  const start = b * n;
  if (n <= 2097152) for (let j = 0; j < n; j++) out[Math.floor((mulberry32At(seed, start + j) * n) / TWO_32)]++;
  else for (let j = 0; j < n; j++) out[drawRow(mulberry32At(seed, start + j), n)]++;
  return out;
}
