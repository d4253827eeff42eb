// The tabular dashboard's store: the core state (cohorts, active cohort, selection, tab) plus which
// output the charts explain, how many features they show, the cohort that orders the bars and the
// dependence plot's feature and colouring; and a cache of importances per cohort definition.
import type { Cohort } from "../core/cohorts";
import type { KernelLink } from "../core/jobs";
import { type CoreState, type InitialState, Store } from "../core/store";
import type { TabularData } from "./data";
import { meanAbsImportance, type OutputChoice } from "./stats";

export type Tab = "importance" | "explorer" | "rows" | "performance" | "cohorts";

export interface TabularState extends CoreState {
  output: OutputChoice;
  topK: number;
  sortBy: string; // cohort whose importances order the bars
  depFeature: number | null; // feature shown in the dependence plot
  depColor: string; // "cohort" or a feature name
}

const IMPORTANCE_CACHE = 128;

export function defaultOutput(data: TabularData): OutputChoice {
  // Binary classification: the positive class reads best; otherwise the average over outputs.
  if (data.meta.task === "classification" && data.k === 2) return { kind: "output", index: 1 };
  if (data.k === 1) return { kind: "output", index: 0 };
  return { kind: "average" };
}

export class TabularStore extends Store<TabularState> {
  private importanceCache = new Map<string, Float64Array>();
  /** The kernel behind the view, for jobs that need the model (ICE, what-if); null without a widget model. */
  kernel: KernelLink | null = null;

  constructor(
    readonly data: TabularData,
    initial: Partial<TabularState>,
  ) {
    const state: InitialState<TabularState> = {
      ...initial,
      tab: initial.tab ?? "importance",
      output: initial.output ?? defaultOutput(data),
      topK: initial.topK ?? Math.min(10, data.f),
      sortBy: initial.sortBy ?? "",
      depFeature: initial.depFeature ?? null,
      depColor: initial.depColor ?? "cohort",
    };
    super(data.dataset, state);
    if (!this.cohort(this.state.sortBy)) this.state.sortBy = this.state.cohorts[0].name;
  }

  /** The bars' order follows an existing cohort: the active one when its cohort is gone. */
  protected override repair(changed: Set<keyof TabularState>): void {
    if (!this.cohort(this.state.sortBy)) {
      this.state.sortBy = this.state.active;
      changed.add("sortBy");
    }
  }

  importance(cohort: Cohort, output: OutputChoice = this.state.output): Float64Array {
    // Binary classes mirror each other: |values| are the same whichever class is chosen.
    const outputKey = this.data.meta.binary_mirror ? "binary" : output;
    const key = JSON.stringify([cohort.combine, cohort.filters, outputKey]);
    let hit = this.importanceCache.get(key);
    if (!hit) {
      hit = meanAbsImportance(this.data, this.maskOf(cohort).mask, output);
      if (this.importanceCache.size >= IMPORTANCE_CACHE) this.importanceCache.clear();
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
