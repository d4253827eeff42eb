// The row-level views of a large explanation (distribution, data explorer, dependence) draw its stratified
// sample, and the importance export saves what the chart shows: the wording that says so, in one place, on top
// of population.ts's labels (scopeText, scopeChip) and state (Population.figures). For an ordinary explanation
// every function here returns null (or the store's own figures), so its views look exactly as before.
import type { Cohort } from "../core/cohorts";
import { h } from "../core/dom";
import { importanceFor, populationOf, type Scope, scopeChip, scopeText } from "./population";
import type { TabularStore } from "./store";
import { countRows } from "./wording";

/** The scope of a figure drawn from `rows` rows of the sample; null for an ordinary explanation. */
export function sampleScope(store: TabularStore, rows: number): Scope | null {
  return populationOf(store) ? { kind: "sample", rows } : null;
}

/** The "sample of n" label as an element (population.ts's chip); null for an ordinary explanation. */
export function sampleChip(store: TabularStore, rows: number, testid = "scope"): HTMLElement | null {
  const scope = sampleScope(store, rows);
  return scope ? scopeChip(scope, testid) : null;
}

/** The legend item of a chart of one cohort's rows (beeswarm, data explorer, dependence plot): "Rows of “old”:
 *  sample of 183"; null for an ordinary explanation. */
export function sampleLegendItem(store: TabularStore, cohort: string, rows: number): HTMLElement | null {
  const chip = sampleChip(store, rows);
  return chip ? h("span", { cls: "rw-legend-item rw-muted" }, [h("span", { text: `Rows of “${cohort}”:` }), chip]) : null;
}

/** "sample of 300" for a figure drawn from 300 rows of the sample; null for an ordinary explanation. */
export function sampleText(store: TabularStore, rows: number): string | null {
  const scope = sampleScope(store, rows);
  return scope ? scopeText(scope) : null;
}

/** "300 sampled rows" where an axis title counts the rows it draws; null for an ordinary explanation. */
export function sampledRows(store: TabularStore, rows: number): string | null {
  return populationOf(store) ? `${rows.toLocaleString()} sampled ${rows === 1 ? "row" : "rows"}` : null;
}

/** "Drawn from the stratified sample of 5,000 of 1,000,000 rows.": an exported chart's line; null for an ordinary
 *  explanation. */
export function sampleNote(store: TabularStore): string | null {
  const population = populationOf(store);
  return population
    ? `Drawn from the stratified sample of ${population.sampleRows.toLocaleString()} of ${countRows(population.total)}.`
    : null;
}

/** The mean |value| per feature the importance chart shows for a cohort, and on which rows: the engine's over every
 *  row when known for the output shown and no interval is drawn (the bootstrap resamples the sample's rows), else
 *  the sample's. `scope` is null for an ordinary explanation (its bars are over all its rows, unlabelled). */
export function shownImportance(
  store: TabularStore,
  cohort: Cohort,
  withIntervals: boolean,
): { imp: Float64Array; rows: number; scope: Scope | null } {
  const population = populationOf(store);
  const res = store.maskOf(cohort);
  const all = population && !withIntervals && !res.error ? population.figures(cohort) : null;
  const imp = all ? importanceFor(store.data.meta, all, store.state.output) : null;
  if (all && imp) return { imp, rows: all.rows, scope: { kind: "all", rows: all.rows } };
  return { imp: store.importance(cohort), rows: res.count, scope: population ? { kind: "sample", rows: res.count } : null };
}
