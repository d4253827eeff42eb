// The two-way sync of a Store with the anywidget model: the traits `cohorts`, `active_cohort` and
// `selected_rows` mirror the store's `cohorts`, `active` and `selected`. What the user changes goes
// to the model; what the kernel changes comes into the store tagged "model" and is not sent back.
import type { Cohort } from "./cohorts";
import type { CoreState, Store } from "./store";

/** The part of the anywidget model the view uses. Values come from JSON (and binary buffers): callers say what they expect. */
export interface WidgetModel {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: () => void): void;
  off(event: string, cb: () => void): void;
}

// Widget traits mirrored by the store, and the store key each maps to.
const SYNCED: [string, keyof CoreState][] = [
  ["cohorts", "cohorts"],
  ["active_cohort", "active"],
  ["selected_rows", "selected"],
];

function patchOf(key: keyof CoreState, value: unknown): Partial<CoreState> {
  if (key === "cohorts") return { cohorts: value as Cohort[] };
  if (key === "active") return { active: value as string };
  if (key === "selected") return { selected: value as number[] };
  return { tab: value as string };
}

/** The store's core keys as the model holds them now (for a Store's initial state). */
export function modelState(model: WidgetModel): Pick<CoreState, "cohorts" | "active" | "selected"> {
  return {
    cohorts: (model.get("cohorts") as Cohort[] | undefined) ?? [],
    active: (model.get("active_cohort") as string | undefined) ?? "",
    selected: (model.get("selected_rows") as number[] | undefined) ?? [],
  };
}

/**
 * Keep the store and the widget model in step: every store change reaches `onChange` (the views),
 * what the user changed in the view goes to the model (not what came from it: no echo), and model
 * changes from Python update the store. Returns the function that disconnects both directions.
 */
export function syncWithModel<S extends CoreState>(
  store: Store<S>,
  model: WidgetModel,
  onChange: (changed: ReadonlySet<keyof S>) => void,
): () => void {
  const unsubscribe = store.subscribe((changed, source) => {
    onChange(changed);
    if (source === "model") return;
    let dirty = false;
    for (const [trait, key] of SYNCED) {
      if (changed.has(key)) {
        model.set(trait, store.state[key]);
        dirty = true;
      }
    }
    if (dirty) model.save_changes();
  });
  const handlers = SYNCED.map(([trait, key]) => {
    const fn = () => store.updateCore(patchOf(key, model.get(trait)), "model");
    model.on(`change:${trait}`, fn);
    return [trait, fn] as const;
  });
  return () => {
    unsubscribe();
    for (const [trait, fn] of handlers) model.off(`change:${trait}`, fn);
  };
}
