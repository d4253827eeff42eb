// A large explanation's exported tables say which rows each figure was computed on, as its labels on screen do
// (population.ts's scopeText: "all N rows" / "sample of n"): a last column, computed_on, that reads "all rows" or
// "sample". Every CSV of the tabular views adds it here (importance, Difference mode, distribution, data explorer,
// dependence plot); an ordinary explanation's tables have no such column (all its figures are over all its rows).
import { type Cell, toCsv } from "../core/export";
import type { Scope } from "./population";

/** The column's name. */
export const COMPUTED_ON = "computed_on";

/** Which rows a figure is over: every row of the cohort, or its rows in the sample; null for an ordinary explanation. */
export type ComputedOn = Scope["kind"] | null;

/** The column's cell: "all rows" or "sample". */
export function computedOn(kind: Scope["kind"]): string {
  return kind === "all" ? "all rows" : "sample";
}

/** toCsv(header, rows), with a computed_on column when the figures have a scope (`on`: the same for every line, or
 *  per line: then when any line has one); else the table as it is. */
export function computedOnCsv(header: string[], rows: Cell[][], on: ComputedOn | ((line: number) => ComputedOn)): string {
  const kinds = rows.map((_, k) => (typeof on === "function" ? on(k) : on));
  if (typeof on === "function" ? !kinds.some((k) => k !== null) : on === null) return toCsv(header, rows);
  return toCsv(
    [...header, COMPUTED_ON],
    rows.map((row, k) => {
      const kind = kinds[k];
      return [...row, kind ? computedOn(kind) : null];
    }),
  );
}
