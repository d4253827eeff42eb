// Build the widget's wire payload in tests, as rai_widget/widget.py would send it.
import type { WireArray } from "../../js/arrays";
import type { WidgetModel } from "../../js/dashboard";
import type { TabularArrays, TabularMeta } from "../../js/model";
import { TabularData } from "../../js/model";

export function wire(values: ArrayLike<number>, shape: number[], dtype: "float32" | "int32" = "float32") {
  const arr = dtype === "float32" ? new Float32Array(values) : new Int32Array(values);
  return { view: new DataView(arr.buffer), dtype, shape };
}

export interface TinyOptions {
  values: number[][][]; // [row][feature][stored output]
  data: number[][]; // [row][feature]
  featureNames: string[];
  featureKinds?: ("numeric" | "bool" | "category")[];
  categories?: Record<string, string[]>;
  outputNames: string[];
  task?: "classification" | "regression";
  binaryMirror?: boolean;
  baseValues?: number[];
  model?: number[][]; // [row][stored output]
  surrogate?: number[][];
  yPred?: number[]; // codes into outputNames (classification) or values
  yTrue?: number[];
  confidence?: number[];
}

export function tinyData(o: TinyOptions): TabularData {
  const n = o.values.length;
  const f = o.featureNames.length;
  const stored = o.values[0][0].length;
  const task = o.task ?? "classification";
  const surrogate = o.surrogate ?? o.values.map((row) => Array.from({ length: stored }, (_, c) => row.reduce((s, v) => s + v[c], 0)));
  const meta: TabularMeta = {
    feature_names: o.featureNames,
    feature_kinds: o.featureKinds ?? o.featureNames.map(() => "numeric"),
    categories: o.categories ?? {},
    output_names: o.outputNames,
    task,
    units: task === "classification" ? "log-odds" : "output",
    n_rows: n,
    base_values: o.baseValues ?? o.outputNames.map(() => 0),
    binary_mirror: o.binaryMirror ?? false,
    fidelity: {},
  };
  const label = (v: number[]) =>
    task === "classification"
      ? { kind: "category" as const, codes: wire(v, [n], "int32"), categories: o.outputNames }
      : { kind: "number" as const, values: wire(v, [n]) };
  const yPred =
    o.yPred ??
    (o.model ?? surrogate).map((r) => (task === "classification" ? (stored === 1 ? (r[0] > 0 ? 1 : 0) : r.indexOf(Math.max(...r))) : r[0]));
  const arrays: TabularArrays = {
    values: wire(o.values.flat(2), [n, f, stored]),
    data: wire(o.data.flat(), [n, f]),
    surrogate_output: wire(surrogate.flat(), [n, stored]),
    model_output: wire((o.model ?? surrogate).flat(), [n, stored]),
    y_pred: label(yPred),
  };
  if (o.yTrue) arrays.y_true = label(o.yTrue);
  if (o.confidence) arrays.confidence = wire(o.confidence, [n]);
  return new TabularData(meta, arrays);
}

export interface Spec {
  n: number;
  names: string[];
  kinds: ("numeric" | "bool" | "category")[];
  categories?: Record<string, string[]>;
  feature: (i: number, j: number) => number;
  value: (i: number, j: number) => number;
  yTrue?: (i: number) => number; // class code (classification) or target (regression)
  task?: "classification" | "regression";
  base?: number;
}

export function wireOf(a: Float32Array | Int32Array, shape: number[]): WireArray {
  return { view: new DataView(a.buffer), dtype: a instanceof Float32Array ? "float32" : "int32", shape };
}

export function makeData(s: Spec): TabularData {
  const { n } = s;
  const f = s.names.length;
  const task = s.task ?? "classification";
  const base = s.base ?? 0.25;
  const values = new Float32Array(n * f);
  const data = new Float32Array(n * f);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = base;
    for (let j = 0; j < f; j++) {
      values[i * f + j] = s.value(i, j);
      data[i * f + j] = s.feature(i, j);
      sum += values[i * f + j];
    }
    out[i] = sum;
  }
  const classes = ["no", "yes"];
  const meta: TabularMeta = {
    feature_names: s.names,
    feature_kinds: s.kinds,
    categories: s.categories ?? {},
    output_names: task === "classification" ? classes : ["target"],
    task,
    units: task === "classification" ? "log-odds" : "output",
    n_rows: n,
    base_values: task === "classification" ? [-base, base] : [base],
    binary_mirror: task === "classification",
    fidelity: {},
  };
  const label = (codes: Int32Array) => ({ kind: "category" as const, codes: wireOf(codes, [n]), categories: classes });
  const number = (v: Float32Array) => ({ kind: "number" as const, values: wireOf(v, [n]) });
  const arrays: TabularArrays = {
    values: wireOf(values, task === "classification" ? [n, f] : [n, f, 1]),
    data: wireOf(data, [n, f]),
    surrogate_output: wireOf(out, [n, 1]),
    model_output: wireOf(
      Float32Array.from(out, (v) => v + 0.01),
      [n, 1],
    ),
    y_pred:
      task === "classification"
        ? label(Int32Array.from(out, (v) => (v + 0.01 > 0 ? 1 : 0)))
        : number(Float32Array.from(out, (v) => v + 0.01)),
  };
  if (s.yTrue) {
    const yt = s.yTrue;
    arrays.y_true =
      task === "classification"
        ? label(Int32Array.from({ length: n }, (_, i) => yt(i)))
        : number(Float32Array.from({ length: n }, (_, i) => yt(i)));
  }
  if (task === "classification")
    arrays.confidence = wireOf(
      Float32Array.from(out, (v) => 1 / (1 + Math.exp(-Math.abs(v)))),
      [n],
    );
  return new TabularData(meta, arrays);
}

export const EVIL = "<img src=x onerror=alert(1)>";

/** A stand-in for the anywidget model: attributes, change events, and a count of save_changes calls. */
export class FakeModel implements WidgetModel {
  saved = 0;
  private handlers: Record<string, Set<() => void>> = {};
  constructor(public attrs: Record<string, any>) {}
  get(name: string) {
    return this.attrs[name];
  }
  set(name: string, value: unknown) {
    this.attrs[name] = value;
    this.handlers[`change:${name}`]?.forEach((cb) => cb());
  }
  save_changes() {
    this.saved++;
  }
  on(event: string, cb: () => void) {
    (this.handlers[event] ??= new Set()).add(cb);
  }
  off(event: string, cb: () => void) {
    this.handlers[event]?.delete(cb);
  }
}
