// The detection explanation as the view holds it: its Dataset (index, y_pred, detections,
// confidence from the kernel), each image's detections and D-RISE saliency maps (one per detection),
// and the pure helpers on them.
import { decodeArray, type NDArray, type WireArray } from "../core/arrays";
import { type Column, type CommonMeta, type Dataset, decodeDataset, numberColumn, special, type WireColumn } from "../core/columns";
import type { WireImage } from "../core/images";
import type { Convergence, DetectionCheck } from "./checks";

export interface Detection {
  box: [number, number, number, number];
  label: string;
  score: number;
}

export interface DetectionMeta extends CommonMeta {
  detections: Detection[][];
  sizes: [number, number][];
  map_sizes?: [number, number][];
  max_map_side?: number;
  image_format?: string;
  /** Per image, per detection: the pointing game and the share of saliency in the box (kernel-computed). */
  localisation?: DetectionCheck[][];
  /** Per image, the pointing game's tolerance in pixels. */
  tolerances?: (number | null)[];
  convergence?: Convergence | null;
}

export interface DetectionArrays {
  columns: WireColumn[];
  images: WireImage[];
  thumbs: WireImage[];
  saliency: WireArray[]; // per image: (d, mh, mw) float32
}

/** Indices of detections at or above the threshold. */
export function visibleDetections(dets: Detection[], threshold: number): number[] {
  return dets.map((d, j) => (d.score >= threshold ? j : -1)).filter((j) => j >= 0);
}

/** The detection whose box holds (x, y) in image pixels; the smallest such box wins. -1 if none. */
export function detectionAt(dets: Detection[], visible: number[], x: number, y: number): number {
  let best = -1;
  let bestArea = Infinity;
  for (const j of visible) {
    const [x0, y0, x1, y1] = dets[j].box;
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) {
      const area = (x1 - x0) * (y1 - y0);
      if (area < bestArea) {
        best = j;
        bestArea = area;
      }
    }
  }
  return best;
}

/** A D-RISE map minus its minimum: the maps carry a large constant floor (every mask keeps some of the
 *  object), and only the part above it says where the detection looks. */
export function aboveMinimum(map: Float32Array): Float32Array {
  let lo = Infinity;
  for (let i = 0; i < map.length; i++) if (map[i] < lo) lo = map[i];
  if (!Number.isFinite(lo)) return map;
  return map.map((v) => v - lo);
}

/** One image's maps, one per detection. */
export function perDetection(m: NDArray): Float32Array[] {
  const [k, mh, mw] = m.shape;
  return Array.from({ length: k }, (_, j) => (m.data as Float32Array).subarray(j * mh * mw, (j + 1) * mh * mw));
}

export class DetectionData {
  readonly dataset: Dataset;
  readonly n: number;
  readonly maps: NDArray[];
  readonly yPred: Column | null;
  /** How many detections each image has (the kernel's `detections` column). */
  readonly counts: Float32Array | null;

  constructor(
    readonly meta: DetectionMeta,
    readonly arrays: DetectionArrays,
  ) {
    this.dataset = decodeDataset(meta, arrays.columns);
    this.n = meta.n_rows;
    this.maps = arrays.saliency.map((w) => decodeArray(w));
    this.yPred = special(this.dataset, "y_pred");
    this.counts = numberColumn(this.dataset, "detections");
    if (this.maps.length !== this.n || meta.detections.length !== this.n)
      throw new Error(`saliency or detections do not match ${this.n} images`);
  }
}
