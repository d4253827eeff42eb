// The importance chart's difference mode, drawn: the key and one row per feature (its bar from the zero
// line, solid with ✱ where the interval excludes 0, hollow where it covers it, the interval's whisker, the
// numbers), then the scale. The numbers are compare.ts's; importance.ts owns the controls and the schedule.
import { markCohortSize } from "../core/cohortSize";
import type { Cohort } from "../core/cohorts";
import { fmt, h } from "../core/dom";
import { type DifferenceExport, signed } from "./export";
import { countRows } from "./wording";

export const STAR = "✱";

/** Cohort a's and b's colours with their sizes, and what solid and hollow bars mean. */
export function differenceKey(view: DifferenceExport): HTMLElement[] {
  const { a, b, d } = view;
  const sized = (c: Cohort, rows: number, text: string, color: string) =>
    markCohortSize(
      h("span", { cls: "rw-legend-item" }, [
        h("span", { cls: "rw-swatch", attrs: { style: `background:${color}` } }),
        h("span", { text }),
        h("span", { cls: "rw-muted", text: ` ${countRows(rows)}` }),
      ]),
      c.name,
      { count: rows, error: null },
    );
  return [
    sized(a, d.rowsA, `larger in a: “${a.name}”`, view.colorA),
    sized(b, d.rowsB, `larger in b: “${b.name}”`, view.colorB),
    h("span", { cls: "rw-legend-item" }, [
      h("span", { cls: "rw-diff-swatch rw-diff-solid" }),
      h("span", { text: `${STAR} interval excludes 0` }),
    ]),
    h("span", { cls: "rw-legend-item" }, [h("span", { cls: "rw-diff-swatch rw-diff-hollow" }), h("span", { text: "interval covers 0" })]),
  ];
}

/** The top features by |difference|, each in a row made by `featureRow` (a button to its dependence plot), then the scale. */
export function differenceRows(
  names: string[],
  view: DifferenceExport,
  topK: number,
  featureRow: (cls: string, j: number, name: string) => HTMLElement,
): HTMLElement[] {
  const { a, b, d } = view;
  const ci = `${Math.round(view.settings.ci * 100)}%`;
  const order = d.order.slice(0, topK);
  let scale = 1e-12;
  for (const j of order)
    for (const v of [d.difference[j], d.low[j], d.high[j]]) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const x = (v: number) => 50 + (50 * v) / scale; // percent of the plot's width; 0 in the middle
  const rows = order.map((j) => {
    const name = names[j];
    const diff = d.difference[j];
    const excludes = d.excludesZero[j] === 1;
    const known = Number.isFinite(d.low[j]);
    const row = featureRow("rw-diff-row", j, name);
    row.setAttribute("data-testid", "difference-bar");
    Object.assign(row.dataset, {
      difference: String(diff),
      low: String(d.low[j]),
      high: String(d.high[j]),
      meanA: String(d.meanA[j]),
      meanB: String(d.meanB[j]),
      excludesZero: known ? String(excludes) : "",
    });
    const interval = known ? ` [${signed(d.low[j])}, ${signed(d.high[j])}]` : view.done ? "" : " […]";
    const verdict = known ? `; ${ci} interval${interval}, ${excludes ? "excludes 0" : "covers 0"}` : "";
    row.title = `${name}: ${fmt(d.meanA[j])} in “${a.name}” − ${fmt(d.meanB[j])} in “${b.name}” = ${signed(diff)}${verdict}. Click (or Enter) for its dependence plot`;
    const color = diff >= 0 ? view.colorA : view.colorB;
    const plot = h("span", { cls: "rw-diff-plot", attrs: { "aria-hidden": "true" } }, [
      h("span", { cls: "rw-diff-zero" }),
      h("span", {
        cls: `rw-diff-bar ${excludes ? "rw-diff-solid" : "rw-diff-hollow"}`,
        attrs: { style: `left:${x(Math.min(0, diff))}%;width:${x(Math.abs(diff)) - 50}%;--rw-diff-color:${color}` },
      }),
    ]);
    if (known)
      plot.appendChild(
        h("span", { cls: "rw-diff-whisker", attrs: { style: `left:${x(d.low[j])}%;width:${x(d.high[j]) - x(d.low[j])}%` } }),
      );
    row.append(
      h("span", { cls: "rw-bar-label", text: name }),
      plot,
      h("span", { cls: "rw-bar-value rw-diff-value", text: `${signed(diff)}${interval}${excludes ? ` ${STAR}` : ""}` }),
    );
    return row;
  });
  const ticks = h("div", { cls: "rw-diff-row rw-diff-scale", attrs: { "aria-hidden": "true" } }, [
    h("span"),
    h("span", { cls: "rw-diff-ticks" }, [
      h("span", { text: `−${fmt(scale)}` }),
      h("span", { text: "0" }),
      h("span", { text: `+${fmt(scale)}` }),
    ]),
    h("span"),
  ]);
  return [...rows, ticks];
}
