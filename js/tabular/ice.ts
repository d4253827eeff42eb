// SCAFFOLD (session 6): replaced by the helper that owns this file. ICE and partial dependence
import { h } from "../core/dom";
import type { TabularView } from "./dashboard";
import type { TabularStore } from "./store";

export function createIcePlot(_store: TabularStore): TabularView {
  const el = h("section", { cls: "rw-section", testid: "ice-plot" });
  el.appendChild(h("h3", { text: "ICE and partial dependence" }));
  return { el, update() {} };
}
