// The state every view of one explanation shares: its cohorts, the active cohort, the selected rows
// and the open tab, plus whatever a modality adds (S). Each change is tagged with its origin ("view":
// the user, "model": the kernel) so the sync with the widget model never echoes. Cohort masks are
// cached by the cohort's definition, not its name.
import { type Cohort, evaluateCohort } from "./cohorts";
import type { Dataset } from "./columns";

export interface CoreState {
  cohorts: Cohort[];
  active: string; // name of the active cohort
  selected: number[]; // selected row indices
  tab: string; // the open tab
}

export type Source = "view" | "model";
export type Listener<S> = (changed: ReadonlySet<keyof S>, source: Source) => void;

export interface MaskResult {
  mask: Uint8Array;
  count: number;
  error: string | null; // why the cohort cannot be evaluated (then the mask is empty)
}

/** The initial state: the core keys may be left out (every row, nothing selected); a modality's own keys may not. */
export type InitialState<S extends CoreState> = Partial<CoreState> & Omit<S, keyof CoreState>;

const MASK_CACHE = 64;

export class Store<S extends CoreState = CoreState> {
  state: S;
  private listeners = new Set<Listener<S>>();
  private maskCache = new Map<string, MaskResult>();

  constructor(
    readonly dataset: Dataset,
    initial: InitialState<S>,
  ) {
    const all: Cohort = { name: dataset.allData, combine: "all", filters: [] };
    const cohorts = initial.cohorts?.length ? initial.cohorts : [all];
    const active = initial.active !== undefined && cohorts.some((c) => c.name === initial.active) ? initial.active : cohorts[0].name;
    const core: CoreState = { cohorts, active, selected: initial.selected ?? [], tab: initial.tab ?? "" };
    this.state = { ...initial, ...core } as S; // InitialState<S> with every core key filled in is an S
  }

  subscribe(fn: Listener<S>): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  update(patch: Partial<S>, source: Source = "view"): void {
    const changed = new Set<keyof S>();
    for (const key of Object.keys(patch) as (keyof S)[]) {
      if (JSON.stringify(this.state[key]) !== JSON.stringify(patch[key])) changed.add(key);
    }
    if (!changed.size) return;
    this.state = { ...this.state, ...patch };
    // the active cohort must exist: when it is gone, the first cohort is active
    if (!this.state.cohorts.some((c) => c.name === this.state.active)) {
      this.state.active = this.state.cohorts[0]?.name ?? "";
      changed.add("active");
    }
    this.repair(changed);
    for (const fn of this.listeners) fn(changed, source);
  }

  /** A change of core keys only: what the shared views (cohort picker and editor, sync) make, on any modality's store. */
  updateCore(patch: Partial<CoreState>, source: Source = "view"): void {
    this.update(patch as Partial<S>, source);
  }

  /** Keep a modality's references to cohorts valid after a change (adds to `changed` what it fixes). */
  protected repair(_changed: Set<keyof S>): void {}

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
      const { n, columns } = this.dataset;
      try {
        const mask = evaluateCohort({ ...cohort, name: cohort.name || "cohort" }, columns, n);
        let count = 0;
        for (let i = 0; i < mask.length; i++) count += mask[i];
        hit = { mask, count, error: null };
      } catch (e) {
        hit = { mask: new Uint8Array(n), count: 0, error: (e as Error).message };
      }
      if (this.maskCache.size >= MASK_CACHE) this.maskCache.clear();
      this.maskCache.set(key, hit);
    }
    return hit;
  }
}
