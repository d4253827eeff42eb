// Brushing: a dragged x range of the dependence plot becomes a filter on the feature, and with the
// active cohort's filters a new cohort (named by core/cohorts.ts uniqueName).
import { type Cohort, type Filter, uniqueName } from "../../core/cohorts";
import type { TabularData } from "../data";
import { JITTER } from "./points";
import { roundRange } from "./scales";

export interface BrushPick {
  filter: Filter;
  /** How the range reads: "[1.5, 3]" for numbers, "{a, b}" for categories. */
  label: string;
  /** "between 1.5 and 3" or "in {a, b}", for the button. */
  phrase: string;
}

/**
 * The filter a brushed x range [lo, hi] stands for (data units; categories sit at their codes).
 * Numbers: `between`, rounded outward to 3 significant digits of the axis span (about a pixel),
 * or, for whole-number features, the whole numbers inside. Categories: `in` the names it touches.
 */
export function brushFilter(data: TabularData, j: number, lo: number, hi: number, span: number, integer = false): BrushPick | null {
  const name = data.meta.feature_names[j];
  const kind = data.kinds[j];
  if (!(hi >= lo)) return null;
  if (kind === "numeric") {
    // Whole-number features (counts, ages): the whole numbers inside the range.
    const [a, b] = integer ? [Math.ceil(lo), Math.floor(hi)] : roundRange(lo, hi, span);
    if (a > b) return null;
    return { filter: { column: name, op: "between", value: [a, b] }, label: `[${a}, ${b}]`, phrase: `between ${a} and ${b}` };
  }
  // A category is in the range when the range touches its band of jittered points.
  const n = data.levels(j);
  const codes: number[] = [];
  for (let k = 0; k < n; k++) if (hi >= k - JITTER - 0.05 && lo <= k + JITTER + 0.05) codes.push(k);
  if (!codes.length) return null;
  const labels = codes.map((k) => data.featureLabel(j, k));
  const value = kind === "bool" ? codes.map((k) => k === 1) : labels;
  const label = `{${labels.join(", ")}}`;
  return { filter: { column: name, op: "in", value }, label, phrase: `in ${label}` };
}

/** Whether a cohort's rows are exactly "all its filters": then new filters can be ANDed on. */
export function canRefine(c: Cohort): boolean {
  return c.combine === "all" || c.filters.length <= 1;
}

/** The cohort the brush makes: the active cohort's filters (when they can be ANDed) plus the range. */
export function brushCohort(active: Cohort, existing: readonly string[], feature: string, pick: BrushPick): Cohort {
  const inherit = canRefine(active) ? active.filters : [];
  return { name: uniqueName(`${feature} in ${pick.label}`, existing), combine: "all", filters: [...inherit, pick.filter] };
}
