// The tab bar of every modality: buttons with role="tab" and data-testid `tab-<id>` over panels.
import { h } from "./dom";

export interface TabBar {
  bar: HTMLElement;
  panels: HTMLElement[];
  /** Show tab `id`'s panel and mark its button. */
  show(id: string): void;
}

/**
 * A tab bar over panels given as [id, label, panel]; `initial` shows first. A click calls `select(id)`
 * when given (e.g. to put the tab in the store, which then calls show), else shows the tab at once.
 */
export function tabBar(tabs: [string, string, HTMLElement][], initial: string, select?: (id: string) => void): TabBar {
  const bar = h("div", { cls: "rw-tabs", attrs: { role: "tablist" } });
  const buttons = tabs.map(([id, label]) => {
    const b = h("button", { cls: "rw-tab", text: label, testid: `tab-${id}`, attrs: { role: "tab", type: "button" } });
    b.addEventListener("click", () => (select ? select(id) : show(id)));
    bar.appendChild(b);
    return b;
  });
  function show(current: string): void {
    tabs.forEach(([id, , panel], j) => {
      panel.hidden = id !== current;
      buttons[j].classList.toggle("rw-tab-active", id === current);
      buttons[j].setAttribute("aria-selected", String(id === current));
    });
  }
  show(initial);
  return { bar, panels: tabs.map(([, , panel]) => panel), show };
}
