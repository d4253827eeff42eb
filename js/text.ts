// The text explanation as the view holds it (see rai_widget/widget.py _text_payload), its colour
// scale and the token aggregation over a cohort. Pure functions, no DOM.
import { decodeArray, WireArray } from "./arrays";
import { type CohortColumn, type Column, labelOf } from "./cohorts";

export interface TextMeta {
  output_names: string[];
  task: "classification" | "multilabel" | "regression";
  units: string;
  n_rows: number;
  threshold: number | null;
  texts: string[];
  tokens: string[]; // flat: text i's tokens are tokens[token_offsets[i] .. token_offsets[i+1])
}

type WireColumn = { kind: "number"; values: WireArray } | { kind: "category"; codes: WireArray; categories: string[] };

export interface TextArrays {
  token_offsets: WireArray; // int32 (n + 1)
  spans: WireArray; // int32 (T, 2): characters of each token in its text, -1 when unknown
  values: WireArray; // float32 (T, k)
  base_values: WireArray; // float32 (n, k)
  model_output: WireArray; // float32 (n, k)
  truncated: WireArray; // uint8 (n)
  y_pred: WireColumn;
  y_true?: WireColumn;
  probabilities?: WireArray;
  confidence?: WireArray;
}

/** Output choice of the text view: one output, or each document's predicted (top) output. */
export type TextOutput = number | "predicted";

function decodeColumn(w: WireColumn): Column {
  if (w.kind === "number") return { kind: "number", values: decodeArray(w.values).data as Float32Array };
  return { kind: "category", codes: decodeArray(w.codes).data as Int32Array, categories: w.categories };
}

export class TextData {
  readonly n: number;
  readonly k: number;
  readonly f = 0; // no features: lets the shared Store and cohort editor work on text
  readonly meta: TextMeta & { feature_names: string[]; binary_mirror: false };
  readonly offsets: Int32Array;
  readonly spans: Int32Array;
  readonly values: Float32Array;
  readonly base: Float32Array;
  readonly model: Float32Array;
  readonly truncated: Uint8Array;
  readonly yPred: Column;
  readonly yTrue: Column | null;
  readonly confidence: Float32Array | null;
  private columnCache: Record<string, CohortColumn> | null = null;

  constructor(meta: TextMeta, arrays: TextArrays) {
    this.meta = { ...meta, feature_names: [], binary_mirror: false };
    this.n = meta.n_rows;
    this.k = meta.output_names.length;
    this.offsets = decodeArray(arrays.token_offsets).data as Int32Array;
    this.spans = decodeArray(arrays.spans).data as Int32Array;
    this.values = decodeArray(arrays.values).data as Float32Array;
    this.base = decodeArray(arrays.base_values).data as Float32Array;
    this.model = decodeArray(arrays.model_output).data as Float32Array;
    this.truncated = decodeArray(arrays.truncated).data as Uint8Array;
    this.yPred = decodeColumn(arrays.y_pred);
    this.yTrue = arrays.y_true ? decodeColumn(arrays.y_true) : null;
    this.confidence = arrays.confidence ? (decodeArray(arrays.confidence).data as Float32Array) : null;
    const total = this.offsets[this.n];
    if (this.offsets.length !== this.n + 1) throw new Error("token offsets do not match the number of texts");
    if (this.values.length !== total * this.k) throw new Error("values do not match tokens x outputs");
    if (meta.tokens.length !== total) throw new Error("token strings do not match token offsets");
  }

  length(i: number): number {
    return this.offsets[i + 1] - this.offsets[i];
  }
  tokenText(t: number): string {
    return this.meta.tokens[t];
  }
  /** Flat token t's value toward output c. */
  value(t: number, c: number): number {
    return this.values[t * this.k + c];
  }
  baseValue(i: number, c: number): number {
    return this.base[i * this.k + c];
  }
  modelOutput(i: number, c: number): number {
    return this.model[i * this.k + c];
  }
  predictedIndex(i: number): number {
    let best = 0;
    for (let c = 1; c < this.k; c++) if (this.model[i * this.k + c] > this.model[i * this.k + best]) best = c;
    return best;
  }
  outputOf(i: number, o: TextOutput): number {
    return o === "predicted" ? this.predictedIndex(i) : o;
  }

  labelOf(col: Column, i: number): string {
    return labelOf(col, i);
  }

  /** Cohort columns, as rai_widget/explanations.py TextExplanation._special_columns names them. */
  columns(): Record<string, CohortColumn> {
    if (this.columnCache) return this.columnCache;
    const { n } = this;
    const cols: Record<string, CohortColumn> = {};
    const index = new Float32Array(n);
    const length = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      index[i] = i;
      length[i] = this.length(i);
    }
    cols.index = { kind: "number", values: index };
    if (this.yTrue) cols.y_true = this.yTrue;
    cols.y_pred = this.yPred;
    if (this.yTrue && this.meta.task !== "regression") {
      const correct = new Uint8Array(n);
      for (let i = 0; i < n; i++) correct[i] = this.labelOf(this.yTrue, i) === this.labelOf(this.yPred, i) ? 1 : 0;
      cols.correct = { kind: "bool", values: correct };
    }
    if (this.confidence) cols.confidence = { kind: "number", values: this.confidence };
    cols.length = { kind: "number", values: length };
    cols.truncated = { kind: "bool", values: Uint8Array.from(this.truncated, (v) => (v ? 1 : 0)) };
    cols.tokens = { kind: "tokens", offsets: this.offsets, tokens: this.meta.tokens };
    this.columnCache = cols;
    return cols;
  }
}

// --- colour scale ---------------------------------------------------------------------------------

export const POS_RGB: [number, number, number] = [214, 39, 40]; // pushes the output up: red
export const NEG_RGB: [number, number, number] = [31, 119, 180]; // pushes it down: blue
export const MAX_ALPHA = 0.9;
/** Above this alpha the colour is dark enough that white text reads better than the theme's (light theme). */
export const STRONG_ALPHA = 0.75;

export interface TokenColor {
  alpha: number; // 0..MAX_ALPHA, proportional to |value| / scale
  background: string; // rgba(), drawn over the theme's background so light and dark both read
  light: boolean; // text should be light (strong colour behind it)
}

/** The diverging colour of a value on a scale of [-scale, scale]; values beyond it saturate. */
export function tokenColor(value: number, scale: number): TokenColor {
  const share = scale > 0 && Number.isFinite(value) ? Math.min(1, Math.abs(value) / scale) : 0;
  const alpha = Math.round(share * MAX_ALPHA * 1000) / 1000;
  const [r, g, b] = value >= 0 ? POS_RGB : NEG_RGB;
  return { alpha, background: `rgba(${r}, ${g}, ${b}, ${alpha})`, light: alpha > STRONG_ALPHA };
}

/** Max |value| over the tokens of the given texts, each toward its output (0 when none). */
export function colorScale(data: TextData, docs: Iterable<number>, output: TextOutput): number {
  let m = 0;
  for (const i of docs) {
    const c = data.outputOf(i, output);
    for (let t = data.offsets[i]; t < data.offsets[i + 1]; t++) m = Math.max(m, Math.abs(data.value(t, c)));
  }
  return m;
}

// --- token aggregation ----------------------------------------------------------------------------

/** A short English stop-word list for the cohort chart (the kernel's global_importance has sklearn's). */
export const STOP_WORDS = new Set(
  (
    "a an the and or but if of at by for with about to from in on into over under is are was were be been being am " +
    "i me my we our you your he him his she her it its they them their this that these those what which who whom " +
    "do does did have has had as so than too very can will just s t don should now then there here all any both " +
    "each few more most other some such no nor not only own same , . ! ? ; : ' \" - ( )"
  ).split(" "),
);

export interface TokenStat {
  token: string; // lower-cased
  mean: number;
  meanAbs: number;
  count: number;
}

/** Mean value and mean |value| per token (case-insensitive) over the texts where mask is 1, by mean |value|. */
export function aggregateTokens(data: TextData, mask: ArrayLike<number>, output: TextOutput, stopWords?: Set<string>): TokenStat[] {
  const acc = new Map<string, { sum: number; abs: number; count: number }>();
  for (let i = 0; i < data.n; i++) {
    if (!mask[i]) continue;
    const c = data.outputOf(i, output);
    for (let t = data.offsets[i]; t < data.offsets[i + 1]; t++) {
      const word = data.tokenText(t).toLowerCase();
      if (stopWords?.has(word)) continue;
      const v = data.value(t, c);
      const a = acc.get(word);
      if (a) {
        a.sum += v;
        a.abs += Math.abs(v);
        a.count++;
      } else acc.set(word, { sum: v, abs: Math.abs(v), count: 1 });
    }
  }
  const out: TokenStat[] = [];
  for (const [token, a] of acc) out.push({ token, mean: a.sum / a.count, meanAbs: a.abs / a.count, count: a.count });
  // stable: ties keep first appearance, as pandas' stable sort does in global_importance
  return out.sort((x, y) => y.meanAbs - x.meanAbs);
}

/** Text i's tokens by |value| toward output c, the largest first. */
export function topTokens(data: TextData, i: number, c: number, k: number): { t: number; value: number }[] {
  const out: { t: number; value: number }[] = [];
  for (let t = data.offsets[i]; t < data.offsets[i + 1]; t++) out.push({ t, value: data.value(t, c) });
  return out.sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, k);
}

/** Text i as runs: the gaps between tokens (plain text) and the tokens (flat index), in reading order. */
export function textRuns(data: TextData, i: number): ({ gap: string } | { t: number; text: string })[] {
  const text = data.meta.texts[i] ?? "";
  const runs: ({ gap: string } | { t: number; text: string })[] = [];
  let pos = 0;
  const start = data.offsets[i];
  const end = data.offsets[i + 1];
  const known = (t: number) => data.spans[2 * t] >= 0 && data.spans[2 * t + 1] >= data.spans[2 * t];
  let spansOk = true;
  for (let t = start; t < end; t++) if (!known(t) || data.spans[2 * t] < (t > start ? data.spans[2 * t - 1] : 0)) spansOk = false;
  if (!spansOk) {
    // unknown positions: tokens joined by spaces
    for (let t = start; t < end; t++) {
      if (t > start) runs.push({ gap: " " });
      runs.push({ t, text: data.tokenText(t) });
    }
    return runs;
  }
  for (let t = start; t < end; t++) {
    const s = data.spans[2 * t];
    const e = data.spans[2 * t + 1];
    if (s > pos) runs.push({ gap: text.slice(pos, s) });
    runs.push({ t, text: text.slice(s, e) || data.tokenText(t) });
    pos = e;
  }
  if (pos < text.length) runs.push({ gap: text.slice(pos) });
  return runs;
}
