// A view owns one element and redraws when the store says which state keys changed.
import type { CoreState, Store } from "./store";

export interface View<S extends CoreState = CoreState> {
  el: HTMLElement;
  update(changed: ReadonlySet<keyof S>): void;
  destroy?(): void;
}

export type ViewFactory<S extends CoreState, T extends Store<S> = Store<S>> = (store: T) => View<S>;
