// What a brushed region of the data explorer becomes. On axes that are cohort columns: filters on those
// columns (numbers `between`, rounded outward like the dependence brush; categories and booleans `in` the
// levels the region touches), ANDed onto the active cohort's filters. A probability or a SHAP value is not
// a column and cannot be a filter, so a region on such an axis becomes the list of its rows
// (`index in [...]`), up to MAX_INDEX_ROWS; past that the user is told why and what to do instead.
import { type Cohort, type Filter, uniqueName } from "../../core/cohorts";
import { canRefine } from "../dependence/brush";
import { JITTER } from "../dependence/points";
import { roundRange } from "../dependence/scales";
import type { Axis } from "./axes";

/** A cohort listing rows by index keeps at most this many (its JSON travels and is evaluated as a set). */
export const MAX_INDEX_ROWS = 5000;

/** A brushed range of one axis, in data units (a discrete axis's levels sit at their codes). */
export interface AxisRange {
  axis: Axis;
  lo: number;
  hi: number;
  /** The axis's visible span, for rounding the range outward (about a pixel). */
  span: number;
  /** Every value of the axis is a whole number: the range keeps the whole numbers inside. */
  integer: boolean;
  /** The range ends at a bin's open upper edge (the aggregate view): a whole number there is the next bin's. */
  upperOpen?: boolean;
}

export interface RangePick {
  filter: Filter;
  /** "age in [30, 40]", "y_pred in {yes}". */
  phrase: string;
}

/** The filter a range stands for, or null when no value of the axis lies in it. The axis must be a column. */
export function rangeFilter(r: AxisRange): RangePick | null {
  const { axis } = r;
  const column = axis.column;
  if (column === null || !(r.hi >= r.lo)) return null;
  if (axis.kind === "number") {
    const top = r.upperOpen ? Math.ceil(r.hi) - 1 : Math.floor(r.hi);
    const [a, b] = r.integer ? [Math.ceil(r.lo), top] : roundRange(r.lo, r.hi, r.span);
    if (a > b) return null;
    return { filter: { column, op: "between", value: [a, b] }, phrase: `${column} in [${a}, ${b}]` };
  }
  // a level is in the range when the range touches its band of jittered points
  const codes: number[] = [];
  for (let k = 0; k < axis.levels.length; k++) if (r.hi >= k - JITTER - 0.05 && r.lo <= k + JITTER + 0.05) codes.push(k);
  if (!codes.length) return null;
  const labels = codes.map((k) => axis.levels[k]);
  const value = axis.kind === "bool" ? codes.map((k) => k === 1) : labels;
  return { filter: { column, op: "in", value }, phrase: `${column} in {${labels.join(", ")}}` };
}

export type BrushOutcome =
  | { kind: "cohort"; cohort: Cohort /** what the button says the cohort is */; phrase: string; byIndex: boolean }
  | { kind: "note"; note: string };

/** The column axes a user can brush on instead of a probability or a SHAP value. */
const COLUMN_HINT = "a feature, index, y_true, y_pred, error, correct or confidence";

/**
 * The cohort a brushed region makes: filters on its column axes (with the active cohort's filters when
 * they can be ANDed), or, when an axis is not a column, `index in [...]` of `rows()` (the region's rows
 * of the active cohort) if there are at most MAX_INDEX_ROWS; otherwise a note saying why not.
 */
export function brushOutcome(
  ranges: AxisRange[],
  active: Cohort,
  existing: readonly string[],
  rows: () => ArrayLike<number>,
  hasIndexColumn: boolean,
): BrushOutcome {
  const notColumns = ranges.filter((r) => r.axis.column === null);
  if (!notColumns.length) {
    const picks: RangePick[] = [];
    for (const r of ranges) {
      const pick = rangeFilter(r);
      if (!pick) return { kind: "note", note: `No ${r.axis.short} value in the selected range.` };
      picks.push(pick);
    }
    const phrase = picks.map((p) => p.phrase).join(", ");
    const inherit = canRefine(active) ? active.filters : [];
    const cohort: Cohort = { name: uniqueName(phrase, existing), combine: "all", filters: [...inherit, ...picks.map((p) => p.filter)] };
    return { kind: "cohort", cohort, phrase, byIndex: false };
  }
  const which = notColumns.map((r) => r.axis.label).join(" and ");
  const isAre = notColumns.length > 1 ? "are not cohort columns" : "is not a cohort column";
  const picked = rows();
  const count = picked.length;
  if (!count) return { kind: "note", note: "No rows in the selected region." };
  if (!hasIndexColumn)
    return {
      kind: "note",
      note: `${which} ${isAre}, and a feature named "index" hides the row index a cohort of rows needs: brush on ${COLUMN_HINT} instead.`,
    };
  if (count > MAX_INDEX_ROWS)
    return {
      kind: "note",
      note:
        `${count.toLocaleString()} rows are in the selected region. ${which} ${isAre}, so it cannot be a filter: the region can only ` +
        `become a list of its rows, and a list holds at most ${MAX_INDEX_ROWS.toLocaleString()} rows. Select a smaller region, or brush on ` +
        `${COLUMN_HINT} to make a cohort of any size.`,
    };
  const sorted = Array.from(picked).sort((a, b) => a - b);
  const phrase = `${count.toLocaleString()} ${count === 1 ? "row" : "rows"} picked on ${ranges.map((r) => r.axis.short).join(" × ")}`;
  const cohort: Cohort = { name: uniqueName(phrase, existing), combine: "all", filters: [{ column: "index", op: "in", value: sorted }] };
  return { kind: "cohort", cohort, phrase, byIndex: true };
}
