// A view owns one element and redraws when the store says what changed.
import type { DashboardState, Store } from "../store";

export interface View {
  el: HTMLElement;
  update(changed: Set<keyof DashboardState>): void;
  destroy?(): void;
}

export type ViewFactory = (store: Store) => View;
