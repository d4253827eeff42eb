// The selection of the text, image and detection views stays inside the active cohort. When the user
// changes the cohort in the view (the picker, the editor, the text view's "Save as cohort"), the
// selected rows outside the new active cohort are dropped, so the detail never shows a text or an
// image the list does not hold. A selection that comes from the kernel (or was there when the view
// opened) is left alone: overruling Python's `selected_rows` would fight the user's own code, so the
// views show such a selection marked as outside the cohort instead (`outsideCohort`).
import type { CoreState, Store } from "./store";

/** Drop selected rows outside the active cohort whenever the view changes the cohorts or the active one. */
export function keepSelectionInCohort<S extends CoreState>(store: Store<S>): () => void {
  return store.subscribe((changed, source) => {
    if (source !== "view" || !(changed.has("active") || changed.has("cohorts"))) return;
    const { mask, error } = store.maskOf(store.activeCohort());
    if (error !== null) return; // an invalid cohort selects nothing; keep the selection for when it is fixed
    const kept = store.state.selected.filter((i) => mask[i] === 1);
    if (kept.length !== store.state.selected.length) store.updateCore({ selected: kept });
  });
}

/** "Text #5 is not in the cohort 'x'", or null when row i is in it. `what` names the row ("Text #5"). */
export function outsideCohort<S extends CoreState>(store: Store<S>, i: number, what: string): string | null {
  const { mask, error } = store.maskOf(store.activeCohort());
  if (error === null && mask[i] === 1) return null;
  return `${what} is not in the cohort '${store.state.active}'`;
}
