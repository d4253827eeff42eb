// The explorer's legend, drawn as the dependence plot's: a swatch per colour drawn (a cohort is a button
// that puts it on top), a ramp for numbers, and no swatch, with the reason, for a cohort with no point.
import { h } from "../../core/dom";
import type { LegendEntry, SwatchEntry } from "../dependence/coloring";

export function swatchItem(e: SwatchEntry, onPick: (cohort: string) => void): HTMLElement {
  const parts: Node[] = [
    e.hidden ? h("span", { cls: "rw-dep-noswatch" }) : h("span", { cls: "rw-swatch", attrs: { style: `background:${e.color}` } }),
    h("span", { text: e.label }, [e.hidden ? h("span", { cls: "rw-muted", text: `: ${e.hidden}` }) : null]),
  ];
  const count = e.drawn === undefined ? "" : `${e.drawn.toLocaleString()} ${e.drawn === 1 ? "point" : "points"}`;
  const attrs: Record<string, string> = { "data-color": e.color, "data-drawn": e.hidden ? "0" : String(e.drawn ?? "") };
  if (!e.cohort) return h("span", { cls: "rw-legend-item", title: count || undefined, attrs }, parts);
  const cohort = e.cohort;
  const item = h(
    "button",
    {
      cls: `rw-legend-item rw-dep-pick${e.onTop ? " rw-active" : ""}`,
      title: e.onTop ? `${count}; drawn on top` : `${count ? `${count}. ` : ""}Click to draw "${cohort}" on top`,
      attrs: { ...attrs, type: "button", "aria-pressed": String(!!e.onTop), "data-cohort": cohort },
    },
    parts,
  );
  item.addEventListener("click", () => onPick(cohort));
  return item;
}

export function legendItem(e: LegendEntry, onPick: (cohort: string) => void): HTMLElement {
  if (!("ramp" in e)) return swatchItem(e, onPick);
  return h("span", { cls: "rw-legend-item" }, [
    h("span", { cls: "rw-muted", text: `${e.label}: ${e.low}` }),
    h("span", { cls: "rw-dep-ramp", attrs: { style: `background:linear-gradient(to right,${e.ramp[0]},${e.ramp[1]})` } }),
    h("span", { cls: "rw-muted", text: e.high }),
  ]);
}
