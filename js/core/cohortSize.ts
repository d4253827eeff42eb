// One testable way for every view to state a cohort's size: data-testid="cohort-size",
// data-cohort = its name, data-rows = its rows; an invalid cohort has data-invalid = why instead.
// And one way to say a count in words: rows, texts or images, by modality, singular or plural.
import type { Cohort } from "./cohorts";
import type { MaskResult } from "./store";

export function markCohortSize<E extends HTMLElement>(el: E, name: string, size: Pick<MaskResult, "count" | "error">): E {
  el.dataset.testid = "cohort-size";
  el.dataset.cohort = name;
  if (size.error !== null) {
    delete el.dataset.rows;
    el.dataset.invalid = size.error;
  } else {
    el.dataset.rows = String(size.count);
    delete el.dataset.invalid;
  }
  return el;
}

/** What one row of an explanation is called, singular and plural. */
export interface Noun {
  one: string;
  many: string;
}

export const ROW: Noun = { one: "row", many: "rows" };

const IMAGE: Noun = { one: "image", many: "images" };

/** The word for a row of each modality (the widget's `kind`); tabular, and any kind not listed, count rows.
 *  A detection row is an image, as its view, its tab and the README call it. */
const ROW_NOUNS: ReadonlyMap<string, Noun> = new Map([
  ["tabular", ROW],
  ["text", { one: "text", many: "texts" }],
  ["image", IMAGE],
  ["detection", IMAGE],
]);

export function rowNoun(kind: string): Noun {
  return ROW_NOUNS.get(kind) ?? ROW;
}

/** "1 text", "2 texts", "1,234 rows": a count and its noun, singular only for exactly 1. */
export function countText(count: number, noun: Noun): string {
  return `${count.toLocaleString()} ${count === 1 ? noun.one : noun.many}`;
}

/** "1 of 25 texts", "1 of 1 text": a part of a total; the noun agrees with the total. */
export function countOfText(count: number, total: number, noun: Noun): string {
  return `${count.toLocaleString()} of ${countText(total, noun)}`;
}

/** What the cohort picker and editor need to know when the rows they count are a sample of a larger table (a
 *  large explanation: js/tabular/population.ts's Population has this shape). */
export interface SampledSizes {
  /** Every row of the table, and the sample's rows (the view's data). */
  readonly total: number;
  readonly sampleRows: number;
  /** The cohort's figures over every row, when known: its all-row count. */
  figures(cohort: Cohort): { rows: number } | null;
  /** Calls back when figures arrive; returns the unsubscribe function. */
  watch(cb: () => void): () => void;
}

const sampled = new WeakMap<object, SampledSizes>();

/** Marks a store's rows as a sample of `sizes.total`: its cohort counts say so (sampledSizeText). */
export function setSampledSizes(store: object, sizes: SampledSizes): void {
  sampled.set(store, sizes);
}

/** The store's SampledSizes, or null when its rows are the whole table (every ordinary explanation). */
export function sampledSizesOf(store: object): SampledSizes | null {
  return sampled.get(store) ?? null;
}

/** "183 of 5,000 sampled rows", and, once known, "183 of 5,000 sampled rows · all 41,234 rows": a cohort's count
 *  in the sample and over every row. One wording for the picker, the editor's list and its draft count. */
export function sampledSizeText(sizes: SampledSizes, cohort: Cohort | null, count: number): string {
  const sample = `${count.toLocaleString()} of ${sizes.sampleRows.toLocaleString()} sampled ${sizes.sampleRows === 1 ? "row" : "rows"}`;
  const all = cohort ? sizes.figures(cohort) : null;
  return all ? `${sample} · all ${countText(all.rows, ROW)}` : sample;
}
