// Dashboard state: one store the views read and write; the widget model mirrors part of it.
import { Cohort, evaluateCohort } from "./cohorts";
import type { TabularData } from "./model";
import { meanAbsImportance, OutputChoice } from "./stats";

export type Tab = "importance" | "rows" | "cohorts";

export interface DashboardState {
  cohorts: Cohort[];
  active: string; // name of the active cohort
  selected: number[]; // selected row indices
  output: OutputChoice;
  topK: number;
  sortBy: string; // cohort whose importances order the bars
  depFeature: number | null; // feature shown in the dependence plot
  depColor: string; // "cohort" or a feature name
  tab: Tab;
}

export type Source = "view" | "model";
type Listener = (changed: Set<keyof DashboardState>, source: Source) => void;

export interface MaskResult {
  mask: Uint8Array;
  count: number;
  error: string | null; // why the cohort cannot be evaluated (then mask is empty)
}

export class Store {
  state: DashboardState;
  private listeners = new Set<Listener>();
  private maskCache = new Map<string, MaskResult>();
  private importanceCache = new Map<string, Float64Array>();

  constructor(
    readonly data: TabularData,
    initial: Partial<DashboardState>,
  ) {
    const cohorts = initial.cohorts?.length ? initial.cohorts : [{ name: "All data", combine: "all", filters: [] } as Cohort];
    const first = cohorts[0].name;
    this.state = {
      cohorts,
      active: initial.active && cohorts.some((c) => c.name === initial.active) ? initial.active : first,
      selected: initial.selected ?? [],
      output: initial.output ?? defaultOutput(data),
      topK: initial.topK ?? Math.min(10, data.f),
      sortBy: initial.sortBy ?? first,
      depFeature: initial.depFeature ?? null,
      depColor: initial.depColor ?? "cohort",
      tab: initial.tab ?? "importance",
    };
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  update(patch: Partial<DashboardState>, source: Source = "view"): void {
    const changed = new Set<keyof DashboardState>();
    for (const key of Object.keys(patch) as (keyof DashboardState)[]) {
      if (JSON.stringify(this.state[key]) !== JSON.stringify(patch[key])) changed.add(key);
    }
    if (!changed.size) return;
    this.state = { ...this.state, ...patch };
    // keep references to cohorts valid when cohorts change
    const names = this.state.cohorts.map((c) => c.name);
    if (!names.includes(this.state.active)) {
      this.state.active = names[0] ?? "";
      changed.add("active");
    }
    if (!names.includes(this.state.sortBy)) {
      this.state.sortBy = this.state.active;
      changed.add("sortBy");
    }
    for (const fn of this.listeners) fn(changed, source);
  }

  cohort(name: string): Cohort | undefined {
    return this.state.cohorts.find((c) => c.name === name);
  }

  activeCohort(): Cohort {
    return this.cohort(this.state.active) ?? this.state.cohorts[0];
  }

  /** Rows of a cohort, cached by the cohort's definition (not its name). */
  maskOf(cohort: Cohort): MaskResult {
    const key = JSON.stringify([cohort.combine, cohort.filters]);
    let hit = this.maskCache.get(key);
    if (!hit) {
      try {
        const mask = evaluateCohort({ ...cohort, name: cohort.name || "cohort" }, this.data.columns(), this.data.n);
        let count = 0;
        for (let i = 0; i < mask.length; i++) count += mask[i];
        hit = { mask, count, error: null };
      } catch (e) {
        hit = { mask: new Uint8Array(this.data.n), count: 0, error: (e as Error).message };
      }
      if (this.maskCache.size > 64) this.maskCache.clear();
      this.maskCache.set(key, hit);
    }
    return hit;
  }

  importance(cohort: Cohort, output: OutputChoice = this.state.output): Float64Array {
    // Binary classes mirror each other: |values| are the same whichever class is chosen.
    const outputKey = this.data.meta.binary_mirror ? "binary" : output;
    const key = JSON.stringify([cohort.combine, cohort.filters, outputKey]);
    let hit = this.importanceCache.get(key);
    if (!hit) {
      hit = meanAbsImportance(this.data, this.maskOf(cohort).mask, output);
      if (this.importanceCache.size > 128) this.importanceCache.clear();
      this.importanceCache.set(key, hit);
    }
    return hit;
  }

  /** The output index charts of single rows use: the chosen class, else the row's predicted class. */
  outputFor(row: number): number {
    const o = this.state.output;
    if (o.kind === "output") return o.index;
    return this.data.predictedIndex(row);
  }
}

export function defaultOutput(data: TabularData): OutputChoice {
  // Binary classification: the positive class reads best; otherwise the average over outputs.
  if (data.meta.task === "classification" && data.k === 2) return { kind: "output", index: 1 };
  if (data.k === 1) return { kind: "output", index: 0 };
  return { kind: "average" };
}
