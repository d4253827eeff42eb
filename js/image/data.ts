// The image explanation as the view holds it: its Dataset (index, labels, correct, confidence from
// the kernel), the images and thumbnails, each image's maps (one per method and target) and the
// probabilities; and the pure helpers on maps the view draws with.
import { decodeArray, type NDArray, type WireArray } from "../core/arrays";
import { type Cohort, evaluateCohort, type Scalar } from "../core/cohorts";
import { type Column, type CommonMeta, type Dataset, decodeDataset, special, type WireColumn } from "../core/columns";
import type { WireImage } from "../core/images";
import type { OverlayOptions } from "../core/overlay";

/** The checks of one map, as rai_widget/_payload/image.py sends them (per_image[i][t]: image i, its t-th target). */
export interface CurveRow {
  deletion_auc: number;
  insertion_auc: number;
  deletion: number[];
  insertion: number[];
}
export interface CompletenessRow {
  attribution_sum: number;
  output_difference: number;
  gap: number;
  relative_gap: number | null;
}
export interface SanityRow {
  rank_correlation: number;
  ssim: number | null;
  passed: boolean;
}
export interface MethodChecks {
  faithfulness?: { steps: number; baseline: string; score: string; per_image: CurveRow[][] };
  completeness?: { per_image: CompletenessRow[][] };
  sanity?: { layers: string[]; threshold: number; per_image: SanityRow[][] };
}

/** One attribution method of an image explanation (meta.methods; several when compared side by side), with the
 *  checks of its maps when the kernel computed them. */
export interface MethodInfo extends MethodChecks {
  method: string;
  label: string;
  signed: boolean;
  params?: Record<string, unknown>;
}

export interface ImageMeta extends CommonMeta {
  method: string;
  methods?: MethodInfo[]; // absent in payloads of older versions: one method, meta.method
  signed?: boolean;
  targets: number[][];
  sizes: [number, number][];
  map_sizes: [number, number][];
  max_map_side?: number;
  image_format?: string;
}

export interface ImageArrays {
  columns: WireColumn[];
  images: WireImage[];
  thumbs: WireImage[];
  attributions: WireArray[]; // per image: (m, t, mh, mw) float32
  probabilities?: WireArray;
}

/** The methods of the payload; payloads with one method and no meta.methods get one entry. */
export function methodsOf(meta: Pick<ImageMeta, "method" | "methods" | "signed">): MethodInfo[] {
  if (meta.methods?.length) return meta.methods;
  return [{ method: meta.method, label: meta.method.replace(/_/g, " "), signed: meta.signed !== false }];
}

/** Maps as NDArrays of shape (m, t, mh, mw), whatever shape they came in ((t, mh, mw) from older payloads). */
function asMethodMaps(w: WireArray): NDArray {
  const a = decodeArray(w);
  return a.shape.length === 4 ? a : { data: a.data, shape: [1, ...a.shape] };
}

/** The map of one method and target: image maps travel as (m, t, mh, mw) float32, one array per image. */
export function mapSlice(m: NDArray, method: number, target: number): Float32Array {
  const [, t, mh, mw] = m.shape;
  const size = mh * mw;
  const at = (method * t + target) * size;
  return (m.data as Float32Array).subarray(at, at + size);
}

/** Every map of one method (all images, all targets): what a colour scale shared across images reads. */
export function methodMaps(maps: NDArray[], method: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (const m of maps) for (let t = 0; t < m.shape[1]; t++) out.push(mapSlice(m, method, t));
  return out;
}

/** The overlay options one method's panel draws with: an unsigned method (Grad-CAM, XRAI) under "signed"
 *  draws its magnitudes ("positive"), so its colour bar runs from 0 and sequential maps use their whole range. */
export function panelOptions(opts: OverlayOptions, method: MethodInfo): OverlayOptions {
  return opts.sign === "signed" && !method.signed ? { ...opts, sign: "positive" } : opts;
}

/** The filter value that stands for class `name` on a label column: a number, a boolean, or the name itself. */
function classValue(col: Column, name: string): Scalar {
  if (col.kind === "number") return name.trim() === "" ? Number.NaN : Number(name);
  if (col.kind === "bool") return name === "true" ? true : name === "false" ? false : null;
  return name;
}

/** The cohort "predicted or true is this class": y_pred == name OR y_true == name, evaluated like any cohort. */
export function classCohort(data: Dataset, name: string): Cohort | null {
  const filters = ["y_pred", "y_true"].flatMap((column) => {
    const col = special(data, column);
    if (!col) return [];
    const value = classValue(col, name);
    return value === null || (typeof value === "number" && Number.isNaN(value)) ? [] : [{ column, op: "==" as const, value }];
  });
  return filters.length ? { name: `class ${name}`, combine: "any", filters } : null;
}

/** 1 for each image predicted or labelled as class `name` (none when no label column can hold it). */
export function classMask(data: Dataset, name: string): Uint8Array {
  const cohort = classCohort(data, name);
  return cohort ? evaluateCohort(cohort, data.columns, data.n) : new Uint8Array(data.n);
}

/** Classes worth a class filter: those some image is predicted or labelled as, in output order. */
export function classesPresent(data: Dataset): number[] {
  return data.outputNames.flatMap((name, k) => (classMask(data, name).includes(1) ? [k] : []));
}

export class ImageData {
  readonly dataset: Dataset;
  readonly n: number;
  readonly methods: MethodInfo[];
  readonly maps: NDArray[];
  readonly probs: NDArray | null;
  readonly yPred: Column | null;
  readonly yTrue: Column | null;
  readonly correct: Uint8Array | null;

  constructor(
    readonly meta: ImageMeta,
    readonly arrays: ImageArrays,
  ) {
    this.dataset = decodeDataset(meta, arrays.columns);
    this.n = meta.n_rows;
    this.methods = methodsOf(meta);
    this.maps = arrays.attributions.map(asMethodMaps);
    this.probs = arrays.probabilities ? decodeArray(arrays.probabilities) : null;
    this.yPred = special(this.dataset, "y_pred");
    this.yTrue = special(this.dataset, "y_true");
    const correct = special(this.dataset, "correct");
    this.correct = correct?.kind === "bool" ? correct.values : null;
    if (this.maps.length !== this.n) throw new Error(`${this.maps.length} attribution maps for ${this.n} images`);
  }
}
