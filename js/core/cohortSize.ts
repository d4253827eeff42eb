// One testable way for every view to state a cohort's size: data-testid="cohort-size",
// data-cohort = its name, data-rows = its rows; an invalid cohort has data-invalid = why instead.
// And one way to say a count in words: rows, texts or images, by modality, singular or plural.
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
