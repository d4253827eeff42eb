// SCAFFOLD (session 6): replaced by the helper that owns this file. Data explorer
import { h } from "../../core/dom";
import type { TabularView } from "../dashboard";
import type { TabularStore } from "../store";

export function createDataExplorer(_store: TabularStore): TabularView {
  const el = h("section", { cls: "rw-section", testid: "data-explorer" });
  el.appendChild(h("h3", { text: "Data explorer" }));
  return { el, update() {} };
}
