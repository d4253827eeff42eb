// The points of a dependence plot: one per row of the cohort, x = the feature (categories and
// booleans jittered inside their band), y = its SHAP value toward the row's output.
import type { TabularData } from "../data";

/** Half-width of a category's band of jittered points, in category units. */
export const JITTER = 0.35;

/** A deterministic pseudo-random number in [-1, 1) for row i (same row, same place, every redraw). */
export function jitter(i: number): number {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return ((x >>> 0) / 4294967296) * 2 - 1;
}

export interface Points {
  rows: Int32Array; // row index of each point
  x: Float32Array; // data units (category codes jittered); NaN when missing
  y: Float32Array;
  missing: number; // how many points have a missing x
}

/** Every row of `mask`: x = feature j (jittered when categorical), y = its value toward outputOf(row). */
export function computePoints(data: TabularData, j: number, mask: Uint8Array, outputOf: (row: number) => number): Points {
  let n = 0;
  for (let i = 0; i < data.n; i++) n += mask[i] ? 1 : 0;
  const rows = new Int32Array(n);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const discrete = data.kinds[j] !== "numeric";
  let p = 0;
  let missing = 0;
  for (let i = 0; i < data.n; i++) {
    if (!mask[i]) continue;
    const v = data.feature(i, j);
    rows[p] = i;
    if (Number.isNaN(v)) missing++;
    x[p] = discrete && !Number.isNaN(v) ? v + JITTER * jitter(i) : v;
    y[p] = data.value(i, j, outputOf(i));
    p++;
  }
  return { rows, x, y, missing };
}
