// Aggregations the views draw. Pure functions over TabularData and row masks, unit-tested.
import type { TabularData } from "./data";
import { towardPhrase } from "./wording";

/** Which output the charts show: one class / output, the average over outputs, or each row's predicted class. */
export type OutputChoice = { kind: "output"; index: number } | { kind: "average" } | { kind: "predicted" };

/** What a signed chart's values point to, after "toward": "class yes", "a higher prediction" (see wording.ts). */
export function outputLabel(data: TabularData, choice: OutputChoice): string {
  return towardPhrase(data.meta, choice).replace(/^toward /, "");
}

/** Mean |value| per feature over the rows where mask is 1. Zeros when the mask is empty. */
export function meanAbsImportance(data: TabularData, mask: Uint8Array, choice: OutputChoice): Float64Array {
  const { n, f, k } = data;
  const out = new Float64Array(f);
  let rows = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    rows++;
    if (choice.kind === "average") {
      // binary mirror: |class 0| == |class 1|, so one stored output is the average
      const kk = data.meta.binary_mirror ? 1 : k;
      for (let j = 0; j < f; j++) {
        let s = 0;
        for (let c = 0; c < kk; c++) s += Math.abs(data.value(i, j, data.meta.binary_mirror ? 1 : c));
        out[j] += s / kk;
      }
    } else {
      const c = choice.kind === "output" ? choice.index : data.predictedIndex(i);
      for (let j = 0; j < f; j++) out[j] += Math.abs(data.value(i, j, c));
    }
  }
  if (rows > 0) for (let j = 0; j < f; j++) out[j] /= rows;
  return out;
}

export interface Fidelity {
  rows: number;
  r2: number; // NaN when undefined (fewer than 2 rows, or a constant model output)
  agreement: number | null; // classification only
}

/**
 * How well the surrogate replicates the model on the cohort's rows, by the rule of Python's
 * surrogate_fidelity (rai_widget/explanations/tabular.py; the payload fixtures check both agree): per
 * output, R² is NaN on fewer than 2 rows; when the model's output is constant up to `r2_tolerance` of its
 * scale (the largest |value| of either output, at least 1 for log-odds), R² is 1 if the surrogate
 * reproduces it to the same tolerance, else NaN; `r2` is the mean over the outputs where it is defined.
 */
export function cohortFidelity(data: TabularData, mask: Uint8Array): Fidelity {
  const { n, k } = data;
  const classification = data.meta.task === "classification";
  const outputs = classification && data.meta.binary_mirror ? [1] : Array.from({ length: k }, (_, c) => c);
  const tol = data.meta.r2_tolerance;
  let rows = 0;
  for (let i = 0; i < n; i++) if (mask[i]) rows++;
  const r2s: number[] = [];
  for (const c of outputs) {
    if (rows < 2) {
      r2s.push(Number.NaN);
      continue;
    }
    let sum = 0;
    let scale = classification ? 1 : 0;
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      const y = data.modelOutput(i, c);
      sum += y;
      scale = Math.max(scale, Math.abs(y), Math.abs(data.surrogateOutput(i, c)));
    }
    const mean = sum / rows;
    let ssTot = 0;
    let ssRes = 0;
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      const y = data.modelOutput(i, c);
      const d = y - data.surrogateOutput(i, c);
      ssTot += (y - mean) ** 2;
      ssRes += d * d;
    }
    const negligible = rows * (tol * scale) ** 2;
    r2s.push(ssTot <= negligible ? (ssRes <= negligible ? 1 : Number.NaN) : 1 - ssRes / ssTot);
  }
  const defined = r2s.filter((v) => Number.isFinite(v));
  const r2 = defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : Number.NaN;
  let agree = 0;
  if (classification) for (let i = 0; i < n; i++) if (mask[i] && data.predictedIndex(i) === data.surrogatePredictedIndex(i)) agree++;
  return { rows, r2, agreement: classification ? (rows ? agree / rows : Number.NaN) : null };
}

/** Feature indices of the top k by the given importances, largest first (ties keep feature order). */
export function topFeatures(importance: Float64Array, k: number): number[] {
  const idx = Array.from(importance, (_, j) => j);
  idx.sort((a, b) => importance[b] - importance[a] || a - b);
  return idx.slice(0, Math.max(0, Math.min(k, idx.length)));
}

/** One row's values for output c, feature indices sorted by |value| descending. */
export function localOrder(data: TabularData, row: number, c: number): number[] {
  const idx = Array.from({ length: data.f }, (_, j) => j);
  idx.sort((a, b) => Math.abs(data.value(row, b, c)) - Math.abs(data.value(row, a, c)) || a - b);
  return idx;
}

/** A fidelity figure is poor below the kernel's floors (meta.fidelity_floors, as Python's FidelityWarning says). */
export function fidelityIsPoor(fid: { r2?: number | null; agreement?: number | null }, floors: { r2: number; agreement: number }): boolean {
  return (typeof fid.r2 === "number" && fid.r2 < floors.r2) || (typeof fid.agreement === "number" && fid.agreement < floors.agreement);
}
