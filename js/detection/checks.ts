// The checks of a D-RISE map, as the kernel computed them (rai_widget/explainers/_detection_checks.py), put in
// words: per detection the pointing game ("peak inside the box") and the share of its saliency inside the box;
// D-RISE's masks and how well the map settled (the two halves of the masks compared); and, for the active
// cohort, the share of detections whose peak hits. The view computes no figure but the cohort's count.
import type { Detection } from "./data";

/** One detection's localisation (meta.localisation[i][j]). */
export interface DetectionCheck {
  hit: boolean;
  peak: [number, number] | null; // x, y in image pixels (a pixel centre); null: a flat map
  distance: number | null; // the farthest tied peak's distance to the box, px (0 inside)
  tied: number;
  energy: number | null; // share of the positive part above the median inside the box
  box_share: number | null; // the box's share of the image
}

/** D-RISE's masks and agreement (meta.convergence; null for a file saved before the check). */
export interface Convergence {
  num_masks: number;
  subsets: number;
  threshold: number;
  agreement: (number | null)[][];
  noise: (number | null)[][];
  median: number | null;
  lowest: number | null;
  enough: boolean | null;
  masks_needed: number | null;
  verdict: string;
}

/** A share as a whole percentage, as Python's f"{x:.0%}" writes it. */
export function percent(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}

/** A length in pixels with at most one decimal ("2.9 px", "15 px"). */
function px(v: number): string {
  return `${Number(v.toFixed(1))} px`;
}

/** "peak inside the box" / "peak outside the box (23 px away)" / "no peak: the map is flat". */
export function peakText(check: DetectionCheck, tolerance: number | null): string {
  if (check.peak === null || check.distance === null) return "no peak: the map is flat";
  const ties = check.tied > 1 ? `${check.tied} tied peaks` : "";
  if (check.hit) {
    if (check.distance === 0) return ties ? `peak inside the box (${ties}, all inside)` : "peak inside the box";
    const within = tolerance === null ? "" : `, within the ${px(tolerance)} tolerance`;
    return `peak inside the box (${px(check.distance)} past its edge${within}${ties ? `; ${ties}` : ""})`;
  }
  return `peak outside the box (${ties ? `${ties}, the farthest ` : ""}${px(check.distance)} away)`;
}

/** "72% of the saliency inside the box (the box is 5% of the image)". */
export function energyText(check: DetectionCheck): string {
  if (check.energy === null) return "no saliency above the map's median";
  const box = check.box_share === null ? "" : ` (the box is ${percent(check.box_share)} of the image)`;
  return `${percent(check.energy)} of the saliency inside the box${box}`;
}

/** The picked detection's agreement between the maps of the two halves of the masks. */
export function agreementText(conv: Convergence | null | undefined, image: number, det: number): string {
  if (!conv) return "mask agreement not recorded";
  const r = conv.agreement[image]?.[det];
  if (r === undefined || r === null)
    return conv.num_masks < conv.subsets ? "too few masks to compare" : "mask halves: no figure (a flat map)";
  const noise = conv.noise[image]?.[det];
  const spread = noise === undefined || noise === null ? "" : `; noise ±${percent(noise)} of the map's range`;
  return `mask halves agree at r ${r.toFixed(2)}${spread}`;
}

/** The view's summary of D-RISE's masks: Python's verdict, or why there is none. */
export function convergenceText(conv: Convergence | null | undefined): string {
  if (!conv)
    return "D-RISE's mask agreement is not recorded: the explanation was saved before rai-widget checked it, or made without explain().";
  return conv.verdict;
}

/** Pointing-game hits among the detections of the images in `rows` scoring at least `threshold`. */
export function pointingShare(
  detections: Detection[][],
  localisation: DetectionCheck[][],
  rows: ArrayLike<boolean | number>,
  threshold: number,
): { hits: number; detections: number } {
  let hits = 0;
  let n = 0;
  for (let i = 0; i < detections.length; i++) {
    if (!rows[i]) continue;
    const dets = detections[i];
    for (let j = 0; j < dets.length; j++) {
      if (dets[j].score < threshold) continue;
      n += 1;
      if (localisation[i]?.[j]?.hit) hits += 1;
    }
  }
  return { hits, detections: n };
}

/** "Pointing game in the cohort 'All data': 11 of 12 detections (92%) with the peak inside the box". */
export function pointingShareText(share: { hits: number; detections: number }, cohort: string, threshold: number): string {
  const where = `Pointing game in the cohort '${cohort}'${threshold > 0 ? ` at score ≥ ${threshold.toFixed(2)}` : ""}`;
  if (share.detections === 0) return `${where}: no detection to check`;
  const noun = share.detections === 1 ? "detection" : "detections";
  return `${where}: ${share.hits} of ${share.detections} ${noun} (${percent(share.hits / share.detections)}) with the peak inside the box`;
}
