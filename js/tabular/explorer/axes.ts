// The data explorer's axes: every feature, the kernel's special columns (index, y_true, y_pred, error,
// correct, confidence: whichever the explanation has), the probability of each class and each feature's
// SHAP value. An axis that is a cohort column can become a filter; a probability or a SHAP value cannot.
// Each axis's values are one Float32Array per row, built once (SHAP values once per output) and reused
// by every redraw. Display values, not cohort columns: nothing here decides a row's cohort.
import { type Column, special } from "../../core/columns";
import type { TabularData } from "../data";
import type { OutputChoice } from "../stats";
import { outputNoun } from "../wording";

export type AxisKind = "number" | "category" | "bool";

export type AxisGroup = "Features" | "Labels and model" | "Probabilities" | "SHAP values";

export interface Axis {
  /** The select's value: "feature:<name>", "shap:<name>", "probability:<class index>", or a special column's name. */
  id: string;
  /** How it reads in the selects and on the plot. */
  label: string;
  /** The short name on the plot and in file names: the column's, "P(yes)", "SHAP age". */
  short: string;
  group: AxisGroup;
  kind: AxisKind;
  /** The cohort column this axis is (a brush on it becomes a filter), or null. */
  column: string | null;
  /** The names of a discrete axis's levels (codes 0 .. k - 1). */
  levels: string[];
  /** A feature's index (feature and SHAP axes). */
  feature?: number;
  /** A class's index (probability axes). */
  output?: number;
}

/** The output a SHAP axis is toward: one output, or each row's predicted class. */
export type ShapOutput = { kind: "output"; index: number } | { kind: "predicted" };

/** The store's output choice as the explorer's: the average over classes becomes each row's predicted class. */
export function shapOutputOf(data: TabularData, choice: OutputChoice): ShapOutput {
  if (choice.kind === "output" && choice.index >= 0 && choice.index < data.k) return { kind: "output", index: choice.index };
  if (data.k === 1) return { kind: "output", index: 0 };
  return { kind: "predicted" };
}

export const shapOutputKey = (o: ShapOutput): string => (o.kind === "output" ? `output:${o.index}` : "predicted");

const SPECIAL_LABELS: [string, string][] = [
  ["index", "index (row number)"],
  ["y_true", "y_true (true label)"],
  ["y_pred", "y_pred (prediction)"],
  ["error", "error (y_pred − y_true)"],
  ["correct", "correct (y_pred = y_true)"],
  ["confidence", "confidence (top probability)"],
];

function columnKind(col: Column): { kind: AxisKind; levels: string[] } | null {
  if (col.kind === "number") return { kind: "number", levels: [] };
  if (col.kind === "category") return { kind: "category", levels: col.categories };
  if (col.kind === "bool") return { kind: "bool", levels: ["false", "true"] };
  return null;
}

/** Every axis the explorer offers for this explanation, in the selects' order. */
export function explorerAxes(data: TabularData): Axis[] {
  const axes: Axis[] = [];
  data.featureColumns.forEach((col, j) => {
    const k = columnKind(col);
    if (k)
      axes.push({ id: `feature:${col.name}`, label: col.name, short: col.name, group: "Features", column: col.name, feature: j, ...k });
  });
  for (const [name, label] of SPECIAL_LABELS) {
    const col = special(data.dataset, name);
    const k = col && columnKind(col);
    if (k) axes.push({ id: name, label, short: name, group: "Labels and model", column: name, ...k });
  }
  if (data.meta.task === "classification" && data.probabilities)
    data.meta.output_names.forEach((cls, c) => {
      axes.push({
        id: `probability:${c}`,
        label: `probability of ${outputNoun(data.meta, c)}`,
        short: `P(${cls})`,
        group: "Probabilities",
        kind: "number",
        column: null,
        levels: [],
        output: c,
      });
    });
  data.meta.feature_names.forEach((name, j) => {
    axes.push({
      id: `shap:${name}`,
      label: `SHAP value of ${name}`,
      short: `SHAP ${name}`,
      group: "SHAP values",
      kind: "number",
      column: null,
      levels: [],
      feature: j,
    });
  });
  return axes;
}

/** A column's values as numbers: the value, the category code or 0 / 1; NaN when missing. */
function columnValues(col: Column, n: number): Float32Array {
  if (col.kind === "number") return col.values;
  if (col.kind === "category") return Float32Array.from(col.codes, (c) => (c >= 0 ? c : Number.NaN));
  if (col.kind === "bool") return Float32Array.from(col.values, (v) => (v <= 1 ? v : Number.NaN));
  return new Float32Array(n).fill(Number.NaN);
}

const CACHE_LIMIT = 96; // arrays of n float32 each: 38 MB at 100,000 rows

/** The axes of one explanation and their values, each built once. */
export class AxisValues {
  readonly axes: Axis[];
  private byId: Map<string, Axis>;
  private cache = new Map<string, Float32Array>();
  private predicted: Int32Array | null = null;

  constructor(readonly data: TabularData) {
    this.axes = explorerAxes(data);
    this.byId = new Map(this.axes.map((a) => [a.id, a]));
  }

  get(id: string): Axis | undefined {
    return this.byId.get(id);
  }

  /** Whether the axis's values depend on the SHAP output. */
  static isShap(axis: Axis): boolean {
    return axis.group === "SHAP values";
  }

  /** One value per row (NaN when missing): discrete axes hold their level codes. */
  values(axis: Axis, output: ShapOutput): Float32Array {
    const key = AxisValues.isShap(axis) ? `${axis.id}\u0000${shapOutputKey(output)}` : axis.id;
    let hit = this.cache.get(key);
    if (hit) return hit;
    const { data } = this;
    const n = data.n;
    if (axis.column !== null) {
      const col = data.dataset.columns.get(axis.column);
      hit = col ? columnValues(col, n) : new Float32Array(n).fill(Number.NaN);
    } else if (axis.output !== undefined) {
      hit = new Float32Array(n);
      const c = axis.output;
      for (let i = 0; i < n; i++) hit[i] = data.probability(i, c);
    } else {
      hit = new Float32Array(n);
      const j = axis.feature ?? 0;
      if (output.kind === "output") for (let i = 0; i < n; i++) hit[i] = data.value(i, j, output.index);
      else {
        const pred = this.predictedClasses();
        for (let i = 0; i < n; i++) hit[i] = data.value(i, j, pred[i]);
      }
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, hit);
    return hit;
  }

  private predictedClasses(): Int32Array {
    if (!this.predicted) {
      const { data } = this;
      this.predicted = Int32Array.from({ length: data.n }, (_, i) => data.predictedIndex(i));
    }
    return this.predicted;
  }
}

/** How one value of an axis reads: a level's name, true / false, or the number (6 significant digits). */
export function axisLabel(axis: Axis, v: number): string {
  if (Number.isNaN(v)) return "missing";
  if (axis.kind !== "number") return axis.levels[v] ?? String(v);
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
}

/** A value as the CSV holds it: numbers as they are, levels by name. */
export function axisCell(axis: Axis, v: number): number | string {
  if (axis.kind === "number") return v;
  return Number.isNaN(v) ? "" : (axis.levels[v] ?? String(v));
}
