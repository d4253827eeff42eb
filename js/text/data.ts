// The text explanation as the view holds it: its Dataset (index, labels, correct, confidence or
// error, length, truncated and the `tokens` column, all from the kernel), each token's SHAP values
// and character span, and the outputs. Token t of text i is `offsets[i] + t` of the tokens column.
import { decodeArray, type WireArray } from "../core/arrays";
import { type Column, type CommonMeta, type Dataset, decodeDataset, special, type TokensColumn, type WireColumn } from "../core/columns";
import { type ApproximationMeta, type CheckArrays, type FaithfulnessMeta, TextChecks } from "./faithfulness";

export interface TextMeta extends CommonMeta {
  task: "classification" | "multilabel" | "regression";
  threshold: number | null;
  texts: string[];
  /** What "hide stop-words" hides (lower-case words). */
  stop_words: string[];
  /** The trust checks, when the explanation has them (faithfulness.ts). */
  faithfulness?: FaithfulnessMeta;
  approximation?: ApproximationMeta;
}

export interface TextArrays extends CheckArrays {
  columns: WireColumn[];
  spans: WireArray; // int32 (T, 2): characters of each token in its text, -1 when unknown
  values: WireArray; // float32 (T, k)
  base_values: WireArray; // float32 (n, k)
  model_output: WireArray; // float32 (n, k)
  probabilities?: WireArray;
}

/** Output choice of the text view: one output, or each document's predicted (top) output. */
export type TextOutput = number | "predicted";

export class TextData {
  readonly dataset: Dataset;
  readonly n: number;
  readonly k: number;
  readonly words: TokensColumn;
  readonly offsets: Int32Array;
  readonly spans: Int32Array;
  readonly values: Float32Array;
  readonly base: Float32Array;
  readonly model: Float32Array;
  readonly truncated: Uint8Array | null;
  readonly yPred: Column | null;
  readonly yTrue: Column | null;
  readonly correct: Uint8Array | null;
  readonly stopWords: ReadonlySet<string>;
  readonly checks: TextChecks;

  constructor(
    readonly meta: TextMeta,
    arrays: TextArrays,
  ) {
    this.dataset = decodeDataset(meta, arrays.columns);
    this.n = meta.n_rows;
    this.k = meta.output_names.length;
    const words = special(this.dataset, "tokens");
    if (words?.kind !== "tokens") throw new Error("a text explanation needs its tokens column");
    this.words = words;
    this.offsets = words.offsets;
    this.spans = decodeArray(arrays.spans).data as Int32Array;
    this.values = decodeArray(arrays.values).data as Float32Array;
    this.base = decodeArray(arrays.base_values).data as Float32Array;
    this.model = decodeArray(arrays.model_output).data as Float32Array;
    const truncated = special(this.dataset, "truncated");
    this.truncated = truncated?.kind === "bool" ? truncated.values : null;
    this.yPred = special(this.dataset, "y_pred");
    this.yTrue = special(this.dataset, "y_true");
    const correct = special(this.dataset, "correct");
    this.correct = correct?.kind === "bool" ? correct.values : null;
    this.stopWords = new Set(meta.stop_words.map((w) => w.toLowerCase()));
    this.checks = new TextChecks(this.n, meta.faithfulness, meta.approximation, arrays);
    const total = this.offsets[this.n];
    if (this.values.length !== total * this.k) throw new Error("values do not match tokens x outputs");
    if (this.spans.length !== total * 2) throw new Error("spans do not match the tokens");
  }

  length(i: number): number {
    return this.offsets[i + 1] - this.offsets[i];
  }
  tokenText(t: number): string {
    return this.words.tokens[t];
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
