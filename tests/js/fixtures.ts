// Build the widget's wire payload in tests, as rai_widget/_payload would send it (docs/architecture.md,
// "The wire format"): common meta, and every cohort column ready-made in `arrays.columns`. The
// special columns (y_true, correct, error, ...) are computed here the way the kernel computes them.
import { expect, vi } from "vitest";
import type { WireArray } from "../../js/core/arrays";
import type { Role, WireColumn } from "../../js/core/columns";
import type { WidgetModel } from "../../js/core/sync";
import type { FeatureKind, TabularArrays, TabularMeta } from "../../js/tabular/data";
import { TabularData } from "../../js/tabular/data";

/** The name the kernel gives the cohort of every row. */
export const ALL_DATA = "All data";

export function wire(values: ArrayLike<number>, shape: number[], dtype: "float32" | "int32" | "uint8" = "float32"): WireArray {
  const arr = dtype === "float32" ? new Float32Array(values) : dtype === "int32" ? new Int32Array(values) : new Uint8Array(values);
  return { view: new DataView(arr.buffer), dtype, shape };
}

export function wireOf(a: Float32Array | Int32Array, shape: number[]): WireArray {
  return { view: new DataView(a.buffer), dtype: a instanceof Float32Array ? "float32" : "int32", shape };
}

/** A column as tests write it: plain numbers (NaN missing; booleans as 1 / 0 / NaN), codes (-1 missing) or token lists. */
export type TestColumn = { name: string; role?: Role } & (
  | { kind: "number"; values: ArrayLike<number> }
  | { kind: "category"; codes: ArrayLike<number>; categories: string[] }
  | { kind: "bool"; values: ArrayLike<number | boolean> }
  | { kind: "tokens"; tokens: string[][] }
);

/** Columns on the wire: float32 numbers, int32 codes, uint8 booleans (255 missing), int32 offsets. */
export function wireColumns(cols: TestColumn[]): WireColumn[] {
  return cols.map((c): WireColumn => {
    const head = { name: c.name, role: c.role ?? "special" };
    const n = c.kind === "tokens" ? c.tokens.length : c.kind === "category" ? c.codes.length : c.values.length;
    if (c.kind === "number") return { ...head, kind: "number", values: wire(c.values, [n]) };
    if (c.kind === "category") return { ...head, kind: "category", codes: wire(c.codes, [n], "int32"), categories: c.categories };
    if (c.kind === "bool") {
      const bytes = Array.from(c.values, (v) => (typeof v === "boolean" ? (v ? 1 : 0) : Number.isNaN(v) ? 255 : v ? 1 : 0));
      return { ...head, kind: "bool", values: wire(bytes, [n], "uint8") };
    }
    const offsets = [0];
    for (const t of c.tokens) offsets.push(offsets[offsets.length - 1] + t.length);
    return { ...head, kind: "tokens", offsets: wire(offsets, [n + 1], "int32"), tokens: c.tokens.flat() };
  });
}

/** A feature column of the given kind (category: codes into `categories`). */
function featureColumn(name: string, kind: FeatureKind, values: ArrayLike<number>, categories: string[] = []): TestColumn {
  if (kind === "category")
    return { name, role: "feature", kind: "category", codes: Array.from(values, (v) => (Number.isNaN(v) ? -1 : v)), categories };
  if (kind === "bool") return { name, role: "feature", kind: "bool", values };
  return { name, role: "feature", kind: "number", values };
}

/**
 * The special columns of a tabular explanation, as the kernel computes them: index, y_true, y_pred,
 * then correct + confidence (classification) or error (regression). Class labels are codes into `classes`.
 */
function specialColumns(
  n: number,
  task: "classification" | "regression",
  classes: string[],
  yPred: ArrayLike<number>,
  yTrue?: ArrayLike<number>,
  confidence?: ArrayLike<number>,
): TestColumn[] {
  const label = (name: string, v: ArrayLike<number>): TestColumn =>
    task === "classification" ? { name, kind: "category", codes: v, categories: classes } : { name, kind: "number", values: v };
  const cols: TestColumn[] = [{ name: "index", kind: "number", values: Array.from({ length: n }, (_, i) => i) }];
  if (yTrue) cols.push(label("y_true", yTrue));
  cols.push(label("y_pred", yPred));
  if (task === "classification") {
    if (yTrue) cols.push({ name: "correct", kind: "bool", values: Array.from({ length: n }, (_, i) => (yTrue[i] === yPred[i] ? 1 : 0)) });
    if (confidence) cols.push({ name: "confidence", kind: "number", values: confidence });
  } else if (yTrue) {
    // float64 difference, rounded once to float32 on the wire (as Python does)
    cols.push({ name: "error", kind: "number", values: Array.from({ length: n }, (_, i) => yPred[i] - yTrue[i]) });
  }
  return cols;
}

function tabularMeta(o: {
  n: number;
  featureNames: string[];
  outputNames: string[];
  task: "classification" | "regression";
  baseValues: number[];
  binaryMirror: boolean;
}): TabularMeta {
  return {
    n_rows: o.n,
    output_names: o.outputNames,
    task: o.task,
    units: o.task === "classification" ? "log-odds" : "output",
    all_data: ALL_DATA,
    feature_names: o.featureNames,
    base_values: o.baseValues,
    binary_mirror: o.binaryMirror,
    fidelity: {},
    fidelity_floors: { r2: 0.8, agreement: 0.9 },
    r2_tolerance: 1e-6,
  };
}

export interface TinyOptions {
  values: number[][][]; // [row][feature][stored output]
  data: number[][]; // [row][feature]
  featureNames: string[];
  featureKinds?: FeatureKind[];
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

/** The meta and arrays of a small tabular explanation. */
export function tinyPayload(o: TinyOptions): { meta: TabularMeta; arrays: TabularArrays } {
  const n = o.values.length;
  const f = o.featureNames.length;
  const stored = o.values[0][0].length;
  const task = o.task ?? "classification";
  const surrogate = o.surrogate ?? o.values.map((row) => Array.from({ length: stored }, (_, c) => row.reduce((s, v) => s + v[c], 0)));
  const kinds = o.featureKinds ?? o.featureNames.map(() => "numeric" as const);
  const yPred =
    o.yPred ??
    (o.model ?? surrogate).map((r) => (task === "classification" ? (stored === 1 ? (r[0] > 0 ? 1 : 0) : r.indexOf(Math.max(...r))) : r[0]));
  const columns = [
    ...o.featureNames.map((name, j) =>
      featureColumn(
        name,
        kinds[j],
        o.data.map((row) => row[j]),
        o.categories?.[name],
      ),
    ),
    ...specialColumns(n, task, o.outputNames, yPred, o.yTrue, o.confidence),
  ];
  const meta = tabularMeta({
    n,
    featureNames: o.featureNames,
    outputNames: o.outputNames,
    task,
    baseValues: o.baseValues ?? o.outputNames.map(() => 0),
    binaryMirror: o.binaryMirror ?? false,
  });
  const arrays: TabularArrays = {
    columns: wireColumns(columns),
    values: wire(o.values.flat(2), [n, f, stored]),
    surrogate_output: wire(surrogate.flat(), [n, stored]),
    model_output: wire((o.model ?? surrogate).flat(), [n, stored]),
  };
  return { meta, arrays };
}

export function tinyData(o: TinyOptions): TabularData {
  const { meta, arrays } = tinyPayload(o);
  return new TabularData(meta, arrays);
}

export interface Spec {
  n: number;
  names: string[];
  kinds: FeatureKind[];
  categories?: Record<string, string[]>;
  feature: (i: number, j: number) => number;
  value: (i: number, j: number) => number;
  yTrue?: (i: number) => number; // class code (classification) or target (regression)
  task?: "classification" | "regression";
  base?: number;
}

/** A larger tabular explanation from functions (binary classification sent mirrored, unless regression). */
export function makeData(s: Spec): TabularData {
  const { n } = s;
  const f = s.names.length;
  const task = s.task ?? "classification";
  const base = s.base ?? 0.25;
  const values = new Float32Array(n * f);
  const features = s.names.map(() => new Float32Array(n));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = base;
    for (let j = 0; j < f; j++) {
      values[i * f + j] = s.value(i, j);
      features[j][i] = s.feature(i, j);
      sum += values[i * f + j];
    }
    out[i] = sum;
  }
  const classes = ["no", "yes"];
  const model = Float32Array.from(out, (v) => v + 0.01);
  const yPred = task === "classification" ? Float32Array.from(model, (v) => (v > 0 ? 1 : 0)) : model;
  const yTrue = s.yTrue ? Float32Array.from({ length: n }, (_, i) => s.yTrue?.(i) ?? 0) : undefined;
  const confidence = task === "classification" ? Float32Array.from(out, (v) => 1 / (1 + Math.exp(-Math.abs(v)))) : undefined;
  const columns = [
    ...s.names.map((name, j) => featureColumn(name, s.kinds[j], features[j], s.categories?.[name])),
    ...specialColumns(n, task, task === "classification" ? classes : ["target"], yPred, yTrue, confidence),
  ];
  const meta = tabularMeta({
    n,
    featureNames: s.names,
    outputNames: task === "classification" ? classes : ["target"],
    task,
    baseValues: task === "classification" ? [-base, base] : [base],
    binaryMirror: task === "classification",
  });
  const arrays: TabularArrays = {
    columns: wireColumns(columns),
    values: wireOf(values, task === "classification" ? [n, f] : [n, f, 1]),
    surrogate_output: wireOf(out, [n, 1]),
    model_output: wireOf(model, [n, 1]),
  };
  return new TabularData(meta, arrays);
}

/** The special columns of a text explanation (classification over `classes`): index, labels, correct, length, truncated, tokens. */
export function textColumns(o: {
  tokens: string[][];
  classes: string[];
  yPred: number[];
  yTrue?: number[];
  truncated?: number[];
}): WireColumn[] {
  const n = o.tokens.length;
  const cols: TestColumn[] = [{ name: "index", kind: "number", values: Array.from({ length: n }, (_, i) => i) }];
  const yTrue = o.yTrue;
  if (yTrue) cols.push({ name: "y_true", kind: "category", codes: yTrue, categories: o.classes });
  cols.push({ name: "y_pred", kind: "category", codes: o.yPred, categories: o.classes });
  if (yTrue) cols.push({ name: "correct", kind: "bool", values: o.yPred.map((p, i) => (p === yTrue[i] ? 1 : 0)) });
  cols.push(
    { name: "length", kind: "number", values: o.tokens.map((t) => t.length) },
    { name: "truncated", kind: "bool", values: o.truncated ?? o.tokens.map(() => 0) },
    { name: "tokens", kind: "tokens", tokens: o.tokens },
  );
  return wireColumns(cols);
}

export const EVIL = "<img src=x onerror=alert(1)>";

/** A stand-in for the anywidget model: attributes, change events, and a count of save_changes calls. */
export class FakeModel implements WidgetModel {
  saved = 0;
  private handlers: Record<string, Set<() => void>> = {};
  constructor(public attrs: Record<string, unknown>) {}
  get(name: string): unknown {
    return this.attrs[name];
  }
  set(name: string, value: unknown) {
    this.attrs[name] = value;
    this.handlers[`change:${name}`]?.forEach((cb) => {
      cb();
    });
  }
  save_changes() {
    this.saved++;
  }
  on(event: string, cb: () => void) {
    this.handlers[event] ??= new Set();
    this.handlers[event].add(cb);
  }
  off(event: string, cb: () => void) {
    this.handlers[event]?.delete(cb);
  }
}

/** Four rows of a binary classifier over three features (its class 0 mirrored): what several views' tests draw. */
export const TINY_BINARY: TinyOptions = {
  values: [
    [[1], [-2], [0]],
    [[3], [0.5], [0]],
    [[-1], [1], [0.25]],
    [[0], [0], [4]],
  ],
  data: [
    [1, 10, 0],
    [2, 20, 1],
    [3, 30, 0],
    [4, 40, 1],
  ],
  featureNames: ["age", "income", "owner"],
  outputNames: ["no", "yes"],
  binaryMirror: true,
  baseValues: [0.5, -0.5],
  model: [[-1], [3.4], [0.4], [4.1]],
  yTrue: [0, 1, 1, 0],
  confidence: [0.7, 0.9, 0.6, 0.95],
};

/** Click the export button `export-<format>` of `root` and read the file the view saves (the browser's
 *  download faked: URL.createObjectURL captured, the link's click stubbed, both restored after). */
export async function savedFile(root: ParentNode, format: string): Promise<string> {
  const clicked: Blob[] = [];
  vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
    clicked.push(b as Blob);
    return "blob:x";
  });
  vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});
  try {
    (root.querySelector(`[data-testid="export-${format}"]`) as HTMLButtonElement).click();
    await vi.waitFor(() => expect(clicked.length).toBe(1));
  } finally {
    vi.restoreAllMocks();
  }
  return await new Promise<string>((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.readAsText(clicked[0]);
  });
}
