// What the tabular charts export: the CSV of the numbers each chart draws and the Scene of its picture
// (core/export.ts turns a Scene into SVG and PNG). Pure functions of the store, unit-tested.
import type { Cohort } from "../core/cohorts";
import { fmt, NEG_COLOR, POS_COLOR, SERIES_COLORS } from "../core/dom";
import { type Cell, fitText, MUTED, type Scene, type SceneItem, textWidth, toCsv } from "../core/export";
import type { TabularData } from "./data";
import type { Coloring } from "./dependence/coloring";
import type { Points } from "./dependence/points";
import { linearScale, niceTicks, paddedExtent } from "./dependence/scales";
import { MAX_TABLE_ROWS, type RowExplanation, rowBars } from "./local";
import { type OutputChoice, outputLabel, topFeatures } from "./stats";
import type { TabularStore } from "./store";
import { importanceCaption } from "./wording";

const MAX_LABEL_W = 260;

/** The output choice in a file name: "class_yes", "average_over_classes", "predicted_class", "price". */
export function outputSlug(data: TabularData, choice: OutputChoice): string {
  const classification = data.meta.task === "classification";
  if (choice.kind === "output") {
    const name = data.meta.output_names[choice.index] ?? String(choice.index);
    return classification ? `class_${name}` : name;
  }
  if (choice.kind === "predicted") return "predicted_class";
  return classification ? "average_over_classes" : "average_over_outputs";
}

interface Series {
  cohort: Cohort;
  color: string;
  count: number;
  imp: Float64Array;
}

/** The cohorts the importance chart draws (the first SERIES_COLORS.length with rows), in its colours. */
function importanceSeries(store: TabularStore, all = false): Series[] {
  const cohorts = all ? store.state.cohorts : store.state.cohorts.slice(0, SERIES_COLORS.length);
  return cohorts
    .map((cohort, s) => ({
      cohort,
      color: SERIES_COLORS[s % SERIES_COLORS.length],
      count: store.maskOf(cohort).count,
      imp: store.importance(cohort),
    }))
    .filter((s) => s.count > 0);
}

/** Features in the chart's order: by the sorting cohort's importances (the first cohort with rows if it has none). */
function importanceOrder(store: TabularStore, series: Series[], k: number): number[] {
  const sort = series.find((s) => s.cohort.name === store.state.sortBy) ?? series[0];
  return sort ? topFeatures(sort.imp, k) : [];
}

/** Mean |SHAP value| of every feature in every cohort with rows, for the chosen output: one line per cohort x feature. */
export function importanceCsv(store: TabularStore): string {
  const { data } = store;
  const series = importanceSeries(store, true);
  const order = importanceOrder(store, series, data.f);
  const output = outputLabel(data, store.state.output);
  const rows: Cell[][] = [];
  for (const s of series) for (const j of order) rows.push([s.cohort.name, s.count, output, data.meta.feature_names[j], s.imp[j]]);
  return toCsv(["cohort", "rows", "output", "feature", "mean_abs_shap"], rows);
}

/** The importance chart as drawn: the top features, a bar per cohort, the caption and a legend. */
export function importanceScene(store: TabularStore): Scene {
  const { data } = store;
  const series = importanceSeries(store);
  const order = importanceOrder(store, series, store.state.topK);
  const names = data.meta.feature_names;
  const caption = importanceCaption(data.meta, store.state.output);
  const labelW = Math.min(MAX_LABEL_W, Math.max(60, ...order.map((j) => textWidth(names[j]))));
  const left = 12 + labelW + 8;
  const barW = 360;
  const valueW = 70;
  const width = Math.max(left + barW + valueW + 12, textWidth(caption) + 24);
  const items: SceneItem[] = [{ kind: "text", x: 12, y: 20, text: caption, bold: true, size: 13 }];
  let x = 12;
  let y = 42;
  for (const s of series) {
    const label = `${s.cohort.name} (${s.count.toLocaleString()} rows)`;
    const w = textWidth(label) + 26;
    if (x + w > width - 12 && x > 12) {
      x = 12;
      y += 18;
    }
    items.push({ kind: "rect", x, y: y - 10, w: 12, h: 12, fill: s.color }, { kind: "text", x: x + 16, y, text: label, fill: MUTED });
    x += w;
  }
  y += 16;
  let max = 1e-12;
  for (const j of order) for (const s of series) max = Math.max(max, s.imp[j]);
  const barH = 12;
  for (const j of order) {
    const groupH = series.length * (barH + 2);
    items.push({ kind: "text", x: left - 8, y: y + groupH / 2 + 4, text: fitText(names[j], labelW), anchor: "end" });
    for (const s of series) {
      const w = (barW * s.imp[j]) / max;
      items.push(
        { kind: "rect", x: left, y, w, h: barH, fill: s.color, title: `${names[j]} · ${s.cohort.name}: ${s.imp[j]}` },
        { kind: "text", x: left + w + 4, y: y + barH - 2, text: fmt(s.imp[j]), size: 11, fill: MUTED },
      );
      y += barH + 2;
    }
    y += 8;
  }
  if (!series.length) items.push({ kind: "text", x: 12, y: y + 12, text: "No rows in any cohort.", fill: MUTED });
  return { width, height: y + 12, title: `Feature importance: ${caption}`, items };
}

/** The selected rows the local charts explain (each toward its own output), in the selection's order. */
export function localRows(store: TabularStore): { row: number; output: number }[] {
  const { data } = store;
  return store.state.selected
    .filter((r) => Number.isInteger(r) && r >= 0 && r < data.n)
    .map((row) => ({ row, output: store.outputFor(row) }));
}

/** Every feature's value of every selected row: one line per row x feature, in the row's |value| order. */
export function localCsv(store: TabularStore): string {
  const { data } = store;
  const names = data.meta.feature_names;
  const out: Cell[][] = [];
  for (const { row, output } of localRows(store)) {
    const ex = rowBars(data, row, output, data.f);
    for (const b of ex.bars) {
      if (b.feature === null) continue;
      const j = b.feature;
      const v = data.feature(row, j);
      const featureValue = data.kinds[j] === "numeric" ? v : data.featureLabel(j, v);
      out.push([row, data.meta.output_names[output] ?? String(output), names[j], featureValue, b.value, ex.base, ex.surrogate, ex.model]);
    }
  }
  return toCsv(["row", "output", "feature", "feature_value", "shap_value", "base_value", "surrogate_output", "model_output"], out);
}

/** The selected rows' bar charts, one under the other, on one shared value scale. */
export function localScene(store: TabularStore, topN: number): Scene {
  const { data } = store;
  const exs: RowExplanation[] = localRows(store)
    .slice(0, MAX_TABLE_ROWS)
    .map(({ row, output }) => rowBars(data, row, output, topN));
  const labelW = Math.min(MAX_LABEL_W + 80, Math.max(80, ...exs.flatMap((e) => e.bars.map((b) => textWidth(b.label)))));
  const left = 12 + labelW + 8;
  const barW = 320;
  const width = left + barW + 80;
  let lo = 0;
  let hi = 0;
  for (const e of exs) for (const b of e.bars) [lo, hi] = [Math.min(lo, b.value), Math.max(hi, b.value)];
  if (lo === hi) hi = lo + 1;
  const xs = linearScale([lo, hi], [left, left + barW]);
  const items: SceneItem[] = [];
  let y = 8;
  for (const e of exs) {
    const title = `Row ${e.row}: ${outputLabel(data, { kind: "output", index: e.output })}`;
    items.push({ kind: "text", x: 12, y: y + 14, text: title, bold: true, size: 13 });
    y += 24;
    const top = y;
    for (const b of e.bars) {
      const x0 = xs(Math.min(0, b.value));
      const x1 = xs(Math.max(0, b.value));
      items.push(
        {
          kind: "text",
          x: left - 8,
          y: y + 11,
          text: b.shown === null ? b.label : `${fitText(b.name, labelW - textWidth(` = ${b.shown}`))} = ${b.shown}`,
          anchor: "end",
          fill: b.shown === null ? MUTED : undefined,
        },
        {
          kind: "rect",
          x: x0,
          y: y + 2,
          w: Math.max(1, x1 - x0),
          h: 11,
          fill: b.value >= 0 ? POS_COLOR : NEG_COLOR,
          title: `${b.label}: ${b.value}`,
        },
        { kind: "text", x: left + barW + 6, y: y + 11, text: (b.value > 0 ? "+" : "") + fmt(b.value), size: 11, fill: MUTED },
      );
      y += 16;
    }
    items.push({ kind: "line", x1: xs(0), y1: top, x2: xs(0), y2: y, stroke: MUTED });
    const foot = `base ${fmt(e.base)} ${e.sum >= 0 ? "+" : "−"} features ${fmt(Math.abs(e.sum))} = surrogate ${fmt(e.surrogate)} · model output ${fmt(e.model)}`;
    items.push({ kind: "text", x: 12, y: y + 14, text: foot, size: 11, fill: MUTED });
    y += 28;
  }
  return {
    width: Math.max(width, 420),
    height: y + 4,
    title: `Local explanation of ${exs.length === 1 ? `row ${exs[0].row}` : `${exs.length} rows`}`,
    items,
  };
}

/** The colour group of each point as words: the cohort it is drawn in (binNames, by palette bin), or
 *  the colouring feature's value. */
export function dependenceGroupOf(
  data: TabularData,
  points: Points,
  coloring: Coloring,
  colorBy: string,
  binNames: string[],
): (p: number) => string {
  const colorJ = data.meta.feature_names.indexOf(colorBy);
  if (colorBy !== "cohort" && colorJ >= 0) return (p) => data.featureLabel(colorJ, data.feature(points.rows[p], colorJ));
  return (p) => binNames[coloring.bins[p]] ?? "";
}

/** The cohort each palette bin of colorByCohort stands for: bin 0 is no cohort, then every evaluable cohort but all data, in order. */
export function cohortBinNames(cohorts: Cohort[], allData: string, errorOf: (c: Cohort) => string | null, noCohort: string): string[] {
  const names = [noCohort];
  for (const c of cohorts) if (c.name !== allData && names.length <= 250 && !errorOf(c)) names.push(c.name);
  return names;
}

/** The dependence plot's points: row, feature value, SHAP value, its colour and colour group. */
export function dependenceCsv(data: TabularData, j: number, points: Points, coloring: Coloring, groupOf: (p: number) => string): string {
  const numeric = data.kinds[j] === "numeric";
  const out: Cell[][] = [];
  for (let p = 0; p < points.rows.length; p++) {
    const row = points.rows[p];
    const v = data.feature(row, j);
    out.push([row, numeric ? v : data.featureLabel(j, v), points.y[p], groupOf(p), coloring.palette[coloring.bins[p]]]);
  }
  return toCsv(["row", data.meta.feature_names[j], "shap_value", "colour_group", "colour"], out);
}

/** The dependence plot as drawn: points in their colours (top cohort last), axes, ticks and titles. */
export function dependenceScene(
  data: TabularData,
  j: number,
  points: Points,
  coloring: Coloring,
  yTitle: string,
  xTitle: string,
  legend: { color: string; label: string }[],
): Scene {
  const W = 640;
  const H = 340;
  const m = { left: 64, right: 16, top: 40, bottom: 56 };
  const numeric = data.kinds[j] === "numeric";
  const finite = points.x.filter((v) => !Number.isNaN(v));
  const nCat = Math.max(1, data.levels(j));
  const xd: [number, number] = numeric ? paddedExtent(finite) : [-0.5, nCat - 0.5];
  const yd = paddedExtent(points.y, 0.05, 0);
  const xs = linearScale(xd, [m.left, W - m.right]);
  const ys = linearScale(yd, [H - m.bottom, m.top]);
  const items: SceneItem[] = [];
  let lx = 12;
  for (const e of legend) {
    items.push(
      { kind: "rect", x: lx, y: 12, w: 10, h: 10, fill: e.color },
      { kind: "text", x: lx + 14, y: 21, text: e.label, size: 11, fill: MUTED },
    );
    lx += textWidth(e.label, 11) + 28;
  }
  for (const v of niceTicks(yd[0], yd[1], 5)) {
    items.push(
      { kind: "line", x1: m.left, y1: ys(v), x2: W - m.right, y2: ys(v), stroke: v === 0 ? "#9e9e9e" : "#e0e0e0" },
      { kind: "text", x: m.left - 6, y: ys(v) + 4, text: fmt(v), size: 11, fill: MUTED, anchor: "end" },
    );
  }
  const xt = numeric
    ? niceTicks(xd[0], xd[1], 6).map((v) => ({ v, label: fmt(v) }))
    : Array.from({ length: nCat }, (_, k) => ({ v: k, label: data.featureLabel(j, k) }));
  for (const t of xt)
    items.push({ kind: "text", x: xs(t.v), y: H - m.bottom + 16, text: fitText(t.label, 90, 11), size: 11, fill: MUTED, anchor: "middle" });
  items.push(
    { kind: "line", x1: m.left, y1: H - m.bottom, x2: W - m.right, y2: H - m.bottom, stroke: MUTED },
    { kind: "text", x: (m.left + W - m.right) / 2, y: H - 12, text: xTitle, size: 12, anchor: "middle" },
    {
      kind: "text",
      x: 16,
      y: (m.top + H - m.bottom) / 2,
      text: fitText(yTitle, H - m.top - m.bottom + 40, 11),
      size: 11,
      anchor: "middle",
      rotate: true,
    },
  );
  const r = points.rows.length > 2000 ? 1.5 : 2.5;
  const opacity = points.rows.length > 5000 ? 0.55 : 0.85;
  for (const b of coloring.order)
    for (let p = 0; p < points.rows.length; p++) {
      if (coloring.bins[p] !== b || Number.isNaN(points.x[p])) continue;
      items.push({ kind: "circle", cx: xs(points.x[p]), cy: ys(points.y[p]), r, fill: coloring.palette[b], opacity });
    }
  return { width: W, height: H, title: `Dependence of ${data.meta.feature_names[j]}: ${yTitle}`, items };
}
