// Build the widget's wire payload in tests, as rai_widget/widget.py would send it.
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
  const yPred = o.yPred ?? (o.model ?? surrogate).map((r) => (task === "classification" ? (stored === 1 ? (r[0] > 0 ? 1 : 0) : r.indexOf(Math.max(...r))) : r[0]));
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
