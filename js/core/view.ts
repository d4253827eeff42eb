// A view owns one element and redraws when the store says which state keys changed.
import type { CoreState } from "./store";

export interface View<S extends CoreState = CoreState> {
  el: HTMLElement;
  update(changed: ReadonlySet<keyof S>): void;
  destroy?(): void;
}
