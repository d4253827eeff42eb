// The tabular explanation as the view holds it: its Dataset (the cohort columns, features first),
// the decoded SHAP values and outputs, and accessors. Features are read from their columns; the
// labels, `correct`, `error` and `confidence` the views show are the kernel's columns too.
import { decodeArray, type WireArray } from "../core/arrays";
import { type Column, type CommonMeta, type Dataset, decodeDataset, numberColumn, special, type WireColumn } from "../core/columns";
import type { AgreementSummary } from "./agreement";

export type FeatureKind = "numeric" | "bool" | "category";

export interface TabularMeta extends CommonMeta {
  task: "classification" | "regression";
  feature_names: string[];
  base_values: number[];
  binary_mirror: boolean;
  /** Where the values come from: a MimicExplainer's surrogate, or shap itself (rw.from_shap: no surrogate). */
  source?: "mimic" | "shap";
  fidelity: { r2?: number | null; agreement?: number | null };
  /** Below these a fidelity figure is poor (as Python's FidelityWarning says). */
  fidelity_floors: { r2: number; agreement: number };
  /** An output constant up to this share of its scale has no variation for R² (surrogate_fidelity's rule). */
  r2_tolerance: number;
  /** explainer.check_attributions(exp)'s summary, when it ran: the header's agreement badge. */
  attribution_agreement?: AgreementSummary;
  /** Present with arrays.interactions: the output the matrix is for (null: the average over outputs), its rows. */
  interactions?: { output: number | null; rows: number };
}

export interface TabularArrays {
  columns: WireColumn[];
  values: WireArray;
  surrogate_output: WireArray;
  model_output: WireArray;
  /** Classification: the model's probabilities (n, k). */
  probabilities?: WireArray;
  /** explainer.interactions(exp): mean |SHAP interaction| (f, f), feature order; the diagonal: main effects. */
  interactions?: WireArray;
}

const KINDS: Record<string, FeatureKind> = { number: "numeric", bool: "bool", category: "category" };

export class TabularData {
  readonly dataset: Dataset;
  readonly n: number;
  readonly f: number;
  readonly k: number; // outputs shown to people
  readonly stored: number; // outputs stored per row (1 when binary classes mirror each other)
  readonly values: Float32Array;
  readonly surrogate: Float32Array;
  readonly model: Float32Array;
  /** Classification: the model's probabilities, row-major (n, k); null for regression. */
  readonly probabilities: Float32Array | null;
  /** Each feature's column, in feature order. */
  readonly featureColumns: Column[];
  readonly kinds: FeatureKind[];
  readonly yPred: Column | null;
  readonly yTrue: Column | null;
  readonly correct: Uint8Array | null;
  readonly error: Float32Array | null;
  readonly confidence: Float32Array | null;
  /** The interaction matrix, row-major (f, f), when the kernel computed it; else null. */
  readonly interactions: Float32Array | null;
  private plotted: (Float32Array | undefined)[];

  constructor(
    readonly meta: TabularMeta,
    arrays: TabularArrays,
  ) {
    this.dataset = decodeDataset(meta, arrays.columns);
    this.n = meta.n_rows;
    this.f = meta.feature_names.length;
    this.k = meta.output_names.length;
    this.stored = meta.binary_mirror ? 1 : this.k;
    this.values = decodeArray(arrays.values).data as Float32Array;
    this.surrogate = decodeArray(arrays.surrogate_output).data as Float32Array;
    this.model = decodeArray(arrays.model_output).data as Float32Array;
    this.probabilities = arrays.probabilities ? (decodeArray(arrays.probabilities).data as Float32Array) : null;
    if (this.probabilities && this.probabilities.length !== this.n * this.k) throw new Error("probabilities do not match n x classes");
    if (this.values.length !== this.n * this.f * this.stored) throw new Error("values do not match n x f x outputs");
    this.interactions = arrays.interactions ? (decodeArray(arrays.interactions).data as Float32Array) : null;
    if (this.interactions && this.interactions.length !== this.f * this.f) throw new Error("interactions do not match f x f");
    this.featureColumns = meta.feature_names.map((name) => {
      const col = this.dataset.columns.get(name);
      if (col?.role !== "feature") throw new Error(`feature '${name}' has no feature column`);
      if (col.kind === "tokens") throw new Error(`feature '${name}' is a tokens column`);
      return col;
    });
    this.kinds = this.featureColumns.map((c) => KINDS[c.kind]);
    this.plotted = new Array(this.f);
    this.yPred = special(this.dataset, "y_pred");
    this.yTrue = special(this.dataset, "y_true");
    const correct = special(this.dataset, "correct");
    this.correct = correct?.kind === "bool" ? correct.values : null;
    this.error = numberColumn(this.dataset, "error");
    this.confidence = numberColumn(this.dataset, "confidence");
  }

  /** Feature j's value for row i toward output c. */
  value(i: number, j: number, c: number): number {
    if (this.meta.binary_mirror) {
      const v = this.values[i * this.f + j];
      return c === 0 ? -v : v;
    }
    return this.values[(i * this.f + j) * this.k + c];
  }

  private stored2(arr: Float32Array, i: number, c: number): number {
    if (this.meta.binary_mirror) return c === 0 ? -arr[i] : arr[i];
    return arr[i * this.k + c];
  }
  modelOutput(i: number, c: number): number {
    return this.stored2(this.model, i, c);
  }
  surrogateOutput(i: number, c: number): number {
    return this.stored2(this.surrogate, i, c);
  }
  /** The model's probability of class c for row i (classification; NaN for regression). */
  probability(i: number, c: number): number {
    return this.probabilities ? this.probabilities[i * this.k + c] : Number.NaN;
  }
  baseValue(c: number): number {
    return this.meta.base_values[c];
  }

  /** Index of the predicted output of row i (classification: the highest model output). */
  predictedIndex(i: number): number {
    if (this.meta.task !== "classification") return 0;
    if (this.meta.binary_mirror) return this.model[i] > 0 ? 1 : 0;
    let best = 0;
    for (let c = 1; c < this.k; c++) if (this.model[i * this.k + c] > this.model[i * this.k + best]) best = c;
    return best;
  }

  surrogatePredictedIndex(i: number): number {
    if (this.meta.binary_mirror) return this.surrogate[i] > 0 ? 1 : 0;
    let best = 0;
    for (let c = 1; c < this.k; c++) if (this.surrogate[i * this.k + c] > this.surrogate[i * this.k + best]) best = c;
    return best;
  }

  /**
   * Feature j as numbers for plotting and sorting: the value, the category code or 0 / 1; NaN when
   * missing. A display value, not a cohort column: built once per feature (a number column is used as is).
   */
  featureValues(j: number): Float32Array {
    let out = this.plotted[j];
    if (out) return out;
    const col = this.featureColumns[j];
    if (col.kind === "number") out = col.values;
    else if (col.kind === "category") out = Float32Array.from(col.codes, (c) => (c >= 0 ? c : Number.NaN));
    else if (col.kind === "bool") out = Float32Array.from(col.values, (v) => (v <= 1 ? v : Number.NaN));
    else out = new Float32Array(this.n).fill(Number.NaN);
    this.plotted[j] = out;
    return out;
  }

  /** Feature j's (numeric) value for row i: numbers, 0/1, or category codes; NaN when missing. */
  feature(i: number, j: number): number {
    return this.featureValues(j)[i];
  }

  /** How many values a discrete feature has on its axis (categories; 2 for booleans); 0 for numbers. */
  levels(j: number): number {
    const col = this.featureColumns[j];
    return col.kind === "category" ? col.categories.length : col.kind === "bool" ? 2 : 0;
  }

  /** How a feature value (as featureValues gives it) reads to people. */
  featureLabel(j: number, v: number): string {
    if (Number.isNaN(v)) return "missing";
    const col = this.featureColumns[j];
    if (col.kind === "category") return col.categories[v] ?? String(v);
    if (col.kind === "bool") return v ? "true" : "false";
    return Number(v.toPrecision(4)).toString();
  }
}
