// SCAFFOLD (session 6): replaced by the helper that owns this file. Model performance
import { h } from "../../core/dom";
import type { TabularView } from "../dashboard";
import type { TabularStore } from "../store";

export function createMetricsView(_store: TabularStore): TabularView {
  const el = h("section", { cls: "rw-section", testid: "metrics-table" });
  el.appendChild(h("h3", { text: "Model performance" }));
  return { el, update() {} };
}
