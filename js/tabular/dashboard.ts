// The tabular dashboard: header, tabs (each tab's views built the first time it is shown) and the
// two-way sync of its store with the widget model.
import { createCohortEditor } from "../core/cohortEditor";
import { h } from "../core/dom";
import { kernelLink } from "../core/jobs";
import { modelState, syncWithModel, type WidgetModel } from "../core/sync";
import { tabBar } from "../core/tabs";
import type { View } from "../core/view";
import { type TabularArrays, TabularData, type TabularMeta } from "./data";
import { createDependencePlot } from "./dependence/view";
import { createImportanceDistribution } from "./distribution/view";
import { createDataExplorer } from "./explorer/view";
import { createHeader } from "./header";
import { createIcePlot } from "./ice";
import { createImportanceChart } from "./importance";
import { createInteractionMatrix } from "./interactions";
import { createLocalChart } from "./local";
import { createMetricsView } from "./metrics/view";
import { attachPopulation } from "./population";
import { createRowTable } from "./rows";
import { type Tab, type TabularState, TabularStore } from "./store";
import { createWhatIf } from "./whatIf";

export type TabularView = View<TabularState>;
export type TabularViewFactory = (store: TabularStore) => TabularView;
export type TabViews = Partial<Record<Tab, TabularViewFactory[]>>; // a tab left out has no views (tests)

export const TABULAR_VIEWS: TabViews = {
  importance: [createImportanceChart, createImportanceDistribution, createInteractionMatrix, createDependencePlot],
  explorer: [createDataExplorer],
  rows: [createRowTable, createLocalChart, createWhatIf, createIcePlot],
  performance: [createMetricsView],
  cohorts: [createCohortEditor],
};

const TAB_LABELS: [Tab, string][] = [
  ["importance", "Feature importance"],
  ["explorer", "Data explorer"],
  ["rows", "Individual rows"],
  ["performance", "Model performance"],
  ["cohorts", "Cohorts"],
];
const isTab = (t: string): t is Tab => TAB_LABELS.some(([id]) => id === t);

export function renderTabular(model: WidgetModel, root: HTMLElement, tabs: TabViews = TABULAR_VIEWS): () => void {
  const data = new TabularData(model.get("meta") as TabularMeta, model.get("arrays") as TabularArrays);
  const store = new TabularStore(data, modelState(model));

  store.kernel = kernelLink(model);
  // A large explanation (meta.population): its figures over every row; the kernel computes a new cohort's.
  const live = (model.get("kernel") as { population?: boolean } | undefined)?.population === true;
  const population = attachPopulation(store, store.kernel, live);
  const header = createHeader(store);
  const panels = new Map<Tab, HTMLElement>(TAB_LABELS.map(([tab]) => [tab, h("div", { cls: "rw-panel" })]));
  const panel = (tab: Tab) => panels.get(tab) as HTMLElement;
  const views: TabularView[] = [header];
  const built = new Set<Tab>();
  const current = (): Tab => (isTab(store.state.tab) ? store.state.tab : "importance");
  const buildTab = (tab: Tab) => {
    // Views of a tab are built the first time it is shown: the first render stays fast.
    if (built.has(tab)) return;
    built.add(tab);
    for (const make of tabs[tab] ?? []) {
      const view = make(store);
      views.push(view);
      panel(tab).appendChild(view.el);
    }
  };
  buildTab(current());
  const bar = tabBar(
    TAB_LABELS.map(([tab, label]) => [tab, label, panel(tab)]),
    current(),
    (tab) => store.update({ tab }),
  );
  root.append(header.el, bar.bar, ...bar.panels);

  const disconnect = syncWithModel(store, model, (changed) => {
    if (changed.has("tab")) {
      buildTab(current());
      bar.show(current());
    }
    if (changed.has("depFeature") && store.state.tab !== "importance") store.update({ tab: "importance" });
    if (changed.has("active") || changed.has("cohorts")) population?.sync();
    for (const view of views) view.update(changed);
  });

  return () => {
    disconnect();
    for (const view of views) view.destroy?.();
    population?.destroy();
  };
}
