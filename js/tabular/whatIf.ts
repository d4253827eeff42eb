// SCAFFOLD (session 6): replaced by the helper that owns this file. What-if
import { h } from "../core/dom";
import type { TabularView } from "./dashboard";
import type { TabularStore } from "./store";

export function createWhatIf(_store: TabularStore): TabularView {
  const el = h("section", { cls: "rw-section", testid: "what-if" });
  el.appendChild(h("h3", { text: "What-if" }));
  return { el, update() {} };
}
