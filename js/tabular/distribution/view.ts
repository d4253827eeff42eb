// SCAFFOLD (session 6): replaced by the helper that owns this file. Distribution of local importances
import { h } from "../../core/dom";
import type { TabularView } from "../dashboard";
import type { TabularStore } from "../store";

export function createImportanceDistribution(_store: TabularStore): TabularView {
  const el = h("section", { cls: "rw-section", testid: "importance-distribution" });
  el.appendChild(h("h3", { text: "Distribution of local importances" }));
  return { el, update() {} };
}
