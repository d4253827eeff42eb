// Model performance per cohort, by the kernel's definitions (rai_widget/explanations/_metrics.py, whose
// docstring is the reference): the same figures, named the same way, and the same bootstrap resamples
// (prng.ts), so the intervals equal exp.metrics()'s. Pure functions, checked by tests/js/metrics.test.ts
// against tests/metrics_cases.json, which the Python implementation writes.
import { type Column, special } from "../../core/columns";
import { quantile } from "../../core/quantiles";
import type { TabularData, TabularMeta } from "../data";
import { resampleCounts } from "./prng";

/** The rows a cohort's figures are computed on: classification as class indices, regression as numbers. */
export type MetricInputs =
  | { task: "classification"; classes: string[]; yTrue: Int32Array; yPred: Int32Array; proba: ArrayLike<number> }
  | { task: "regression"; yTrue: Float64Array; yPred: Float64Array };

export interface Settings {
  ci: number;
  nBoot: number;
  seed: number;
}

/** exp.metrics()'s defaults, which the view uses too. */
export const DEFAULT_SETTINGS: Settings = { ci: 0.95, nBoot: 1000, seed: 0 };

const EPS = Number.EPSILON; // numpy's float64 eps: log loss clips probabilities to [EPS, 1 - EPS], as sklearn does
const R2_CONSTANT_TOLERANCE = 1e-9;

/** What one task's figures need, prepared once for the rows; `figures` takes a resample's counts per row. */
interface Task {
  readonly n: number;
  readonly names: string[];
  /** Each figure (in `names` order) with row i counted counts[i] times, or once each when counts is null. */
  figures(counts: Int32Array | null, out: Float64Array): void;
  notes(value: Float64Array): Map<string, string>;
}

class Classification implements Task {
  readonly n: number;
  readonly k: number;
  readonly names: string[];
  private cells: Int32Array;
  private logLoss: Float64Array;
  private aucClasses: number[];
  private auc: { neg: Int32Array; pos: Int32Array; lo: Int32Array; hi: Int32Array; below: Float64Array }[];
  private cm: Float64Array;

  constructor(
    readonly classes: string[],
    yTrue: Int32Array,
    yPred: Int32Array,
    proba: ArrayLike<number>,
  ) {
    const n = yTrue.length;
    const k = classes.length;
    this.n = n;
    this.k = k;
    this.cells = Int32Array.from(yTrue, (t, i) => t * k + yPred[i]);
    this.logLoss = Float64Array.from(yTrue, (t, i) => -Math.log(Math.min(Math.max(proba[i * k + t], EPS), 1 - EPS)));
    this.cm = new Float64Array(k * k);
    this.aucClasses = k === 2 ? [1] : Array.from({ length: k }, (_, c) => c);
    this.auc = this.aucClasses.map((c) => {
      const neg: number[] = [];
      const pos: number[] = [];
      for (let i = 0; i < n; i++) (yTrue[i] === c ? pos : neg).push(i);
      // negatives by score; the sort is stable, as numpy's argsort(kind="stable")
      neg.sort((a, b) => proba[a * k + c] - proba[b * k + c] || a - b);
      const scores = neg.map((i) => proba[i * k + c]);
      const lo = Int32Array.from(pos, (i) => lowerBound(scores, proba[i * k + c]));
      const hi = Int32Array.from(pos, (i) => upperBound(scores, proba[i * k + c]));
      return { neg: Int32Array.from(neg), pos: Int32Array.from(pos), lo, hi, below: new Float64Array(neg.length + 1) };
    });
    const names = ["accuracy", "precision (macro)", "recall (macro)", "F1 (macro)", k === 2 ? "ROC AUC" : "ROC AUC (macro)", "log loss"];
    for (const metric of ["precision", "recall", "F1"]) for (const c of classes) names.push(`${metric}: ${c}`);
    if (k > 2) for (const c of classes) names.push(`ROC AUC: ${c}`);
    this.names = names;
  }

  /** The confusion matrix C[true * k + predicted] of the rows (counted once each, or by `counts`). */
  confusion(counts: Int32Array | null = null): Float64Array {
    const cm = this.cm;
    cm.fill(0);
    const { cells, n } = this;
    if (counts) for (let i = 0; i < n; i++) cm[cells[i]] += counts[i];
    else for (let i = 0; i < n; i++) cm[cells[i]] += 1;
    return cm;
  }

  private rocAuc(a: number, counts: Int32Array | null): number {
    const { neg, pos, lo, hi, below } = this.auc[a];
    below[0] = 0;
    for (let i = 0; i < neg.length; i++) below[i + 1] = below[i] + (counts ? counts[neg[i]] : 1);
    let twice = 0;
    let positive = 0;
    for (let j = 0; j < pos.length; j++) {
      const w = counts ? counts[pos[j]] : 1;
      twice += w * (below[lo[j]] + below[hi[j]]);
      positive += w;
    }
    const pairs = positive * below[neg.length];
    return pairs > 0 ? twice / (2 * pairs) : Number.NaN;
  }

  figures(counts: Int32Array | null, out: Float64Array): void {
    const { k, n } = this;
    const cm = this.confusion(counts);
    let total = 0;
    let right = 0;
    for (let c = 0; c < k * k; c++) total += cm[c];
    if (total === 0) {
      out.fill(Number.NaN);
      return;
    }
    const precision = new Float64Array(k);
    const recall = new Float64Array(k);
    const f1 = new Float64Array(k);
    let present = 0;
    const macro = [0, 0, 0];
    for (let c = 0; c < k; c++) {
      const tp = cm[c * k + c];
      right += tp;
      let trueC = 0;
      let predC = 0;
      for (let d = 0; d < k; d++) {
        trueC += cm[c * k + d];
        predC += cm[d * k + c];
      }
      precision[c] = predC > 0 ? tp / predC : 0;
      recall[c] = trueC > 0 ? tp / trueC : 0;
      f1[c] = trueC + predC > 0 ? (2 * tp) / (trueC + predC) : 0;
      if (trueC + predC > 0) {
        present++;
        macro[0] += precision[c];
        macro[1] += recall[c];
        macro[2] += f1[c];
      }
    }
    const aucs = this.aucClasses.map((_, a) => this.rocAuc(a, counts));
    const defined = aucs.filter((v) => !Number.isNaN(v));
    let loss = 0;
    for (let i = 0; i < n; i++) loss += (counts ? counts[i] : 1) * this.logLoss[i];
    let m = 0;
    out[m++] = right / total;
    for (let s = 0; s < 3; s++) out[m++] = macro[s] / present;
    out[m++] = k === 2 ? aucs[0] : defined.length ? defined.reduce((x, y) => x + y, 0) / defined.length : Number.NaN;
    out[m++] = loss / total;
    for (const v of [precision, recall, f1]) for (let c = 0; c < k; c++) out[m++] = v[c];
    if (k > 2) for (let c = 0; c < k; c++) out[m++] = aucs[c];
  }

  notes(): Map<string, string> {
    const notes = new Map<string, string>();
    if (this.n === 0) {
      for (const name of this.names) notes.set(name, "no rows");
      return notes;
    }
    const left: string[] = [];
    this.aucClasses.forEach((c, a) => {
      const { neg, pos } = this.auc[a];
      if (neg.length && pos.length) return;
      const name = this.k === 2 ? "ROC AUC" : `ROC AUC: ${this.classes[c]}`;
      notes.set(name, `undefined: ${neg.length ? "no row" : "every row"} of these has true class ${this.classes[c]}`);
      left.push(this.classes[c]);
    });
    if (this.k > 2 && left.length)
      notes.set(
        "ROC AUC (macro)",
        left.length < this.k ? `mean over the classes where it is defined; left out: ${left.join(", ")}` : "undefined for every class",
      );
    return notes;
  }
}

class Regression implements Task {
  readonly n: number;
  readonly names = ["MAE", "RMSE", "R²", "mean error"];
  private terms: Float64Array; // per row: |e|, e², e, y - centre, (y - centre)²
  private negligible: number;

  constructor(yTrue: Float64Array, yPred: Float64Array) {
    const n = yTrue.length;
    this.n = n;
    let sum = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      sum += yTrue[i];
      scale = Math.max(scale, Math.abs(yTrue[i]));
    }
    const centre = n ? sum / n : 0; // a shift for R²'s denominator: less cancellation in its sums
    this.terms = new Float64Array(5 * n);
    for (let i = 0; i < n; i++) {
      const e = yPred[i] - yTrue[i];
      const yc = yTrue[i] - centre;
      this.terms.set([Math.abs(e), e * e, e, yc, yc * yc], 5 * i);
    }
    this.negligible = (R2_CONSTANT_TOLERANCE * scale) ** 2;
  }

  figures(counts: Int32Array | null, out: Float64Array): void {
    const sums = [0, 0, 0, 0, 0];
    let total = 0;
    const { n, terms } = this;
    for (let i = 0; i < n; i++) {
      const w = counts ? counts[i] : 1;
      if (!w) continue;
      total += w;
      for (let t = 0; t < 5; t++) sums[t] += w * terms[5 * i + t];
    }
    if (total === 0) {
      out.fill(Number.NaN);
      return;
    }
    const ssTot = sums[4] - (sums[3] * sums[3]) / total;
    out[0] = sums[0] / total;
    out[1] = Math.sqrt(sums[1] / total);
    out[2] = total >= 2 && ssTot > total * this.negligible ? 1 - sums[1] / ssTot : Number.NaN;
    out[3] = sums[2] / total;
  }

  notes(value: Float64Array): Map<string, string> {
    if (this.n === 0) return new Map(this.names.map((name) => [name, "no rows"]));
    if (this.n < 2) return new Map([["R²", "undefined on fewer than 2 rows"]]);
    if (Number.isNaN(value[2])) return new Map([["R²", "undefined: y_true is constant on these rows"]]);
    return new Map();
  }
}

function lowerBound(sorted: number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(sorted: number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface MetricsTable {
  names: string[];
  /** Rows the figures use (regression: those with a y_true). */
  n: number;
  value: Float64Array;
  low: Float64Array; // NaN until the bootstrap is done, or when no resample defines the figure
  high: Float64Array;
  notes: Map<string, string>;
  settings: Settings;
}

/**
 * The figures of one cohort and their bootstrap, run in steps so the page stays responsive: the values
 * are there at once; `step(budget)` computes up to `budget` more resamples and says whether all are done,
 * after which `table.low` / `table.high` hold the intervals.
 */
export class MetricsRun {
  readonly table: MetricsTable;
  done = 0;
  private task: Task;
  private resampled: Float64Array;
  private counts: Int32Array;
  private scratch: Float64Array;

  constructor(
    inputs: MetricInputs,
    readonly settings: Settings = DEFAULT_SETTINGS,
  ) {
    this.task =
      inputs.task === "classification"
        ? new Classification(inputs.classes, inputs.yTrue, inputs.yPred, inputs.proba)
        : new Regression(inputs.yTrue, inputs.yPred);
    const { names, n } = this.task;
    const value = new Float64Array(names.length);
    this.task.figures(null, value);
    this.table = {
      names,
      n,
      value,
      low: new Float64Array(names.length).fill(Number.NaN),
      high: new Float64Array(names.length).fill(Number.NaN),
      notes: this.task.notes(value),
      settings,
    };
    const nBoot = n ? settings.nBoot : 0;
    this.resampled = new Float64Array(nBoot * names.length);
    this.counts = new Int32Array(n);
    this.scratch = new Float64Array(names.length);
    if (!nBoot) this.done = settings.nBoot;
  }

  get finished(): boolean {
    return this.done >= this.settings.nBoot;
  }

  step(budget: number): boolean {
    const { n } = this.task;
    const m = this.table.names.length;
    const end = Math.min(this.settings.nBoot, this.done + Math.max(1, budget));
    for (; !this.finished && this.done < end; this.done++) {
      this.task.figures(resampleCounts(this.settings.seed, n, this.done, this.counts), this.scratch);
      this.resampled.set(this.scratch, this.done * m);
    }
    if (this.finished && this.resampled.length) this.intervals();
    return this.finished;
  }

  private intervals(): void {
    const { names, value, low, high, notes } = this.table;
    const { ci, nBoot } = this.settings;
    const m = names.length;
    for (let s = 0; s < m; s++) {
      const finite: number[] = [];
      for (let b = 0; b < nBoot; b++) {
        const v = this.resampled[b * m + s];
        if (Number.isFinite(v)) finite.push(v);
      }
      const sorted = Float64Array.from(finite).sort();
      low[s] = quantile(sorted, (1 - ci) / 2);
      high[s] = quantile(sorted, (1 + ci) / 2);
      if (sorted.length > 0 && sorted.length < nBoot && Number.isFinite(value[s]) && !notes.has(names[s]))
        notes.set(names[s], `interval from the ${sorted.length} of ${nBoot} resamples where it is defined`);
    }
    this.resampled = new Float64Array(0);
  }
}

/** Every figure and its interval at once (tests, small cohorts). */
export function computeMetrics(inputs: MetricInputs, settings: Settings = DEFAULT_SETTINGS): MetricsTable {
  const run = new MetricsRun(inputs, settings);
  while (!run.step(Number.MAX_SAFE_INTEGER)) {}
  return run.table;
}

/** Per row, the index of the class a label column names (-1: none): categories and booleans by their text
 *  (as the kernel prints the class), numbers by value at float32, as the wire carries them. */
export function classIndices(col: Column, classes: readonly string[]): Int32Array {
  const byName = new Map(classes.map((c, i) => [c, i]));
  if (col.kind === "category") {
    const lookup = col.categories.map((c) => byName.get(c) ?? -1);
    return Int32Array.from(col.codes, (code) => (code >= 0 ? lookup[code] : -1));
  }
  if (col.kind === "bool") {
    const ofValue = [byName.get("False") ?? -1, byName.get("True") ?? -1];
    return Int32Array.from(col.values, (v) => (v <= 1 ? ofValue[v] : -1));
  }
  if (col.kind === "number") {
    const byValue = new Map(classes.map((c, i) => [Math.fround(Number(c)), i]));
    return Int32Array.from(col.values, (v) => byValue.get(v) ?? -1);
  }
  return new Int32Array(0);
}

export interface CohortInputs {
  inputs: MetricInputs;
  /** Rows of the cohort left out: without a y_true (regression), or whose labels name no class. */
  leftOut: number;
}

/** What the figures read of a tabular explanation: its columns (y_true, y_pred) and probabilities. */
export type MetricsData = Pick<TabularData, "dataset" | "n" | "k" | "probabilities"> & { meta: Pick<TabularMeta, "task" | "output_names"> };

/** The figures' inputs on a cohort's rows, read from the kernel's columns; null without y_true. */
export function cohortInputs(data: MetricsData, mask: Uint8Array): CohortInputs | null {
  const yTrue = special(data.dataset, "y_true");
  const yPred = special(data.dataset, "y_pred");
  if (!yTrue || !yPred) return null;
  const rows: number[] = [];
  let leftOut = 0;
  if (data.meta.task === "regression") {
    if (yTrue.kind !== "number" || yPred.kind !== "number") return null;
    for (let i = 0; i < data.n; i++) {
      if (!mask[i]) continue;
      if (Number.isNaN(yTrue.values[i])) leftOut++;
      else rows.push(i);
    }
    return {
      inputs: {
        task: "regression",
        yTrue: Float64Array.from(rows, (i) => yTrue.values[i]),
        yPred: Float64Array.from(rows, (i) => yPred.values[i]),
      },
      leftOut,
    };
  }
  const classes = data.meta.output_names;
  const truth = classIndices(yTrue, classes);
  const pred = classIndices(yPred, classes);
  const { k } = data;
  for (let i = 0; i < data.n; i++) {
    if (!mask[i]) continue;
    if (truth[i] < 0 || pred[i] < 0 || !data.probabilities) leftOut++;
    else rows.push(i);
  }
  const p = data.probabilities;
  const proba = new Float64Array(rows.length * k);
  if (p)
    rows.forEach((i, r) => {
      proba.set(p.subarray(i * k, (i + 1) * k), r * k);
    });
  return {
    inputs: {
      task: "classification",
      classes,
      yTrue: Int32Array.from(rows, (i) => truth[i]),
      yPred: Int32Array.from(rows, (i) => pred[i]),
      proba,
    },
    leftOut,
  };
}

/** The confusion matrix C[true * k + predicted] of classification inputs (row counts). */
export function confusionMatrix(inputs: MetricInputs & { task: "classification" }): Float64Array {
  return new Classification(inputs.classes, inputs.yTrue, inputs.yPred, inputs.proba).confusion().slice();
}
