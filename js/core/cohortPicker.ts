// The active cohort's select, shared by every modality: one option per cohort (its text is just the
// cohort's name), each stating the cohort's size (core/cohortSize.ts). Choosing one makes it active.
import { markCohortSize } from "./cohortSize";
import { h, option } from "./dom";
import type { CoreState, Store } from "./store";

export interface CohortPicker {
  el: HTMLSelectElement;
  /** Redraw the options (cohorts or the active cohort changed). */
  draw(): void;
}

export function createCohortPicker<S extends CoreState>(store: Store<S>, title: string): CohortPicker {
  const el = h("select", { testid: "cohort-select", title });
  el.addEventListener("change", () => store.updateCore({ active: el.value }));
  const draw = () => {
    el.replaceChildren(
      ...store.state.cohorts.map((c) => markCohortSize(option(c.name, c.name, c.name === store.state.active), c.name, store.maskOf(c))),
    );
    el.value = store.state.active;
  };
  draw();
  return { el, draw };
}
