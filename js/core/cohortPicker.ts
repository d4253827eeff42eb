// The active cohort's select, shared by every modality: one option per cohort (its text is just the
// cohort's name), each stating the cohort's size (core/cohortSize.ts). Choosing one makes it active.
// When the rows are a sample of a larger table (a large explanation), each option says its count in the sample
// and, once known, over every row: "old (183 of 5,000 sampled rows · all 41,234 rows)".
import { markCohortSize, sampledSizesOf, sampledSizeText } from "./cohortSize";
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
    const sizes = sampledSizesOf(store);
    el.replaceChildren(
      ...store.state.cohorts.map((c) => {
        const size = store.maskOf(c);
        const text = sizes && !size.error ? `${c.name} (${sampledSizeText(sizes, c, size.count)})` : c.name;
        return markCohortSize(option(c.name, text, c.name === store.state.active), c.name, size);
      }),
    );
    el.value = store.state.active;
  };
  draw();
  return { el, draw };
}
