// The tabular explanation as the view holds it: decoded arrays and accessors.
import { decodeArray, WireArray } from "./arrays";
import { type Column, labelOf } from "./cohorts";

export interface TabularMeta {
  feature_names: string[];
  feature_kinds: ("numeric" | "bool" | "category")[];
  categories: Record<string, string[]>;
  output_names: string[];
  task: "classification" | "regression";
  units: string;
  n_rows: number;
  base_values: number[];
  binary_mirror: boolean;
  fidelity: { r2?: number; agreement?: number };
}

type WireColumn = { kind: "number"; values: WireArray } | { kind: "category"; codes: WireArray; categories: string[] };

export interface TabularArrays {
  values: WireArray;
  data: WireArray;
  surrogate_output: WireArray;
  model_output: WireArray;
  y_pred: WireColumn;
  y_true?: WireColumn;
  confidence?: WireArray;
}

export class TabularData {
  readonly n: number;
  readonly f: number;
  readonly k: number; // outputs shown to people
  readonly stored: number; // outputs stored per row (1 when binary classes mirror each other)
  readonly values: Float32Array;
  readonly data: Float32Array;
  readonly surrogate: Float32Array;
  readonly model: Float32Array;
  readonly yPred: Column;
  readonly yTrue: Column | null;
  readonly confidence: Float32Array | null;
  private columnCache: Record<string, Column> | null = null;

  constructor(
    readonly meta: TabularMeta,
    arrays: TabularArrays,
  ) {
    this.n = meta.n_rows;
    this.f = meta.feature_names.length;
    this.k = meta.output_names.length;
    this.stored = meta.binary_mirror ? 1 : this.k;
    this.values = decodeArray(arrays.values).data as Float32Array;
    this.data = decodeArray(arrays.data).data as Float32Array;
    this.surrogate = decodeArray(arrays.surrogate_output).data as Float32Array;
    this.model = decodeArray(arrays.model_output).data as Float32Array;
    this.yPred = decodeColumn(arrays.y_pred);
    this.yTrue = arrays.y_true ? decodeColumn(arrays.y_true) : null;
    this.confidence = arrays.confidence ? (decodeArray(arrays.confidence).data as Float32Array) : null;
    if (this.values.length !== this.n * this.f * this.stored) throw new Error("values do not match n x f x outputs");
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

  /** Feature j's (numeric) value for row i: numbers, 0/1, or category codes; NaN when missing. */
  feature(i: number, j: number): number {
    return this.data[i * this.f + j];
  }

  /** How a feature value reads to people. */
  featureLabel(j: number, v: number): string {
    if (Number.isNaN(v)) return "missing";
    const kind = this.meta.feature_kinds[j];
    if (kind === "category") return this.meta.categories[this.meta.feature_names[j]]?.[v] ?? String(v);
    if (kind === "bool") return v ? "true" : "false";
    return Number(v.toPrecision(4)).toString();
  }

  labelOf(col: Column, i: number): string {
    return labelOf(col, i);
  }

  /** The columns cohorts filter on, as cohorts.ts expects them (built once). */
  columns(): Record<string, Column> {
    if (this.columnCache) return this.columnCache;
    const cols: Record<string, Column> = {};
    const { n, f } = this;
    this.meta.feature_names.forEach((name, j) => {
      const kind = this.meta.feature_kinds[j];
      if (kind === "category") {
        const codes = new Int32Array(n);
        for (let i = 0; i < n; i++) {
          const v = this.data[i * f + j];
          codes[i] = Number.isNaN(v) ? -1 : v;
        }
        cols[name] = { kind: "category", codes, categories: this.meta.categories[name] ?? [] };
      } else if (kind === "bool") {
        const values = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const v = this.data[i * f + j];
          values[i] = Number.isNaN(v) ? 255 : v ? 1 : 0;
        }
        cols[name] = { kind: "bool", values };
      } else {
        const values = new Float32Array(n);
        for (let i = 0; i < n; i++) values[i] = this.data[i * f + j];
        cols[name] = { kind: "number", values };
      }
    });
    const special: Record<string, Column> = {};
    const index = new Float32Array(n);
    for (let i = 0; i < n; i++) index[i] = i;
    special.index = { kind: "number", values: index };
    if (this.yTrue) special.y_true = this.yTrue;
    special.y_pred = this.yPred;
    if (this.meta.task === "classification") {
      if (this.yTrue) {
        const correct = new Uint8Array(n);
        for (let i = 0; i < n; i++) correct[i] = this.labelOf(this.yTrue, i) === this.labelOf(this.yPred, i) ? 1 : 0;
        special.correct = { kind: "bool", values: correct };
      }
      if (this.confidence) special.confidence = { kind: "number", values: this.confidence };
    } else if (this.yTrue && this.yTrue.kind === "number" && this.yPred.kind === "number") {
      const err = new Float32Array(n);
      for (let i = 0; i < n; i++) err[i] = this.yPred.values[i] - this.yTrue.values[i];
      special.error = { kind: "number", values: err };
    }
    // A feature with the same name as a special column wins, as in Python.
    for (const [name, col] of Object.entries(special)) if (!(name in cols)) cols[name] = col;
    this.columnCache = cols;
    return cols;
  }
}

function decodeColumn(w: WireColumn): Column {
  if (w.kind === "number") return { kind: "number", values: decodeArray(w.values).data as Float32Array };
  return { kind: "category", codes: decodeArray(w.codes).data as Int32Array, categories: w.categories };
}
