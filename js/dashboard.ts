// The tabular dashboard: layout, tabs, and the two-way sync between the store and the widget model.
import type { Cohort } from "./cohorts";
import { h } from "./dom";
import { TabularArrays, TabularData, TabularMeta } from "./model";
import { DashboardState, Store, Tab } from "./store";
import { createHeader } from "./views/header";
import type { View, ViewFactory } from "./views/view";

export interface WidgetModel {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: () => void): void;
  off(event: string, cb: () => void): void;
}

export interface TabViews {
  importance: ViewFactory[];
  rows: ViewFactory[];
  cohorts: ViewFactory[];
}

const TAB_LABELS: Record<Tab, string> = { importance: "Feature importance", rows: "Individual rows", cohorts: "Cohorts" };

// Widget traits mirrored by the store, and the store key each maps to.
const SYNCED: [string, keyof DashboardState][] = [
  ["cohorts", "cohorts"],
  ["active_cohort", "active"],
  ["selected_rows", "selected"],
];

export function renderTabular(model: WidgetModel, root: HTMLElement, tabs: TabViews): () => void {
  const data = new TabularData(model.get("meta") as TabularMeta, model.get("arrays") as TabularArrays);
  const store = new Store(data, {
    cohorts: model.get("cohorts") as Cohort[],
    active: model.get("active_cohort"),
    selected: model.get("selected_rows"),
  });

  const header = createHeader(store);
  const tabBar = h("div", { cls: "rw-tabs", attrs: { role: "tablist" } });
  const panels: Record<Tab, HTMLElement> = {
    importance: h("div", { cls: "rw-panel" }),
    rows: h("div", { cls: "rw-panel" }),
    cohorts: h("div", { cls: "rw-panel" }),
  };
  const views: View[] = [header];
  const built = new Set<Tab>();
  const buildTab = (tab: Tab) => {
    // Views of a tab are built the first time it is shown: the first render stays fast.
    if (built.has(tab)) return;
    built.add(tab);
    for (const make of tabs[tab]) {
      const view = make(store);
      views.push(view);
      panels[tab].appendChild(view.el);
    }
  };
  const buttons = (Object.keys(TAB_LABELS) as Tab[]).map((tab) => {
    const b = h("button", { cls: "rw-tab", text: TAB_LABELS[tab], testid: `tab-${tab}`, attrs: { role: "tab", type: "button" } });
    b.addEventListener("click", () => store.update({ tab }));
    tabBar.appendChild(b);
    return [tab, b] as const;
  });
  const showTab = () => {
    buildTab(store.state.tab);
    for (const [tab, b] of buttons) {
      const on = tab === store.state.tab;
      b.classList.toggle("rw-tab-active", on);
      b.setAttribute("aria-selected", String(on));
      panels[tab].hidden = !on;
    }
  };
  root.append(header.el, tabBar, ...Object.values(panels));
  showTab();

  const disconnect = syncWithModel(store, model, (changed) => {
    if (changed.has("tab")) showTab();
    if (changed.has("depFeature") && store.state.tab !== "importance") store.update({ tab: "importance" });
    for (const view of views) view.update(changed);
  });

  return () => {
    disconnect();
    for (const view of views) view.destroy?.();
  };
}

/**
 * Keep the store and the widget model in step: every store change reaches `onChange` (the views),
 * what the user changed in the view goes to the model (not what came from it: no echo), and model
 * changes from Python update the store. Returns the function that disconnects both directions.
 */
export function syncWithModel(store: Store, model: WidgetModel, onChange: (changed: Set<keyof DashboardState>) => void): () => void {
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
    const fn = () => store.update({ [key]: model.get(trait) } as Partial<DashboardState>, "model");
    model.on(`change:${trait}`, fn);
    return [trait, fn] as const;
  });
  return () => {
    unsubscribe();
    for (const [trait, fn] of handlers) model.off(`change:${trait}`, fn);
  };
}
