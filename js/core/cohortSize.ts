// One testable way for every view to state a cohort's size: data-testid="cohort-size",
// data-cohort = its name, data-rows = its rows; an invalid cohort has data-invalid = why instead.
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
