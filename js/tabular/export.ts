// What the tabular charts export: the CSV of the numbers each chart draws and the Scene of its picture
// (core/export.ts turns a Scene into SVG and PNG). Pure functions of the store, unit-tested.
import type { Cohort } from "../core/cohorts";
import { fmt, NEG_COLOR, POS_COLOR, SERIES_COLORS } from "../core/dom";
import { type Cell, fitText, INK, MUTED, type Scene, type SceneItem, textWidth, toCsv } from "../core/export";
import type { CompareSettings, Difference, Interval } from "./compare";
import { type ComputedOn, computedOnCsv } from "./computedOn";
import type { TabularData } from "./data";
import type { Coloring } from "./dependence/coloring";
import type { Points } from "./dependence/points";
import { linearScale, niceTicks, paddedExtent } from "./dependence/scales";
import { MAX_TABLE_ROWS, type RowExplanation, rowBars } from "./local";
import { type Scope, scopeText } from "./population";
import { sampleNote, sampleScope, sampleText, shownImportance } from "./sampleLabels";
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
  /** A large explanation: whether the bars are over every row of the cohort or its rows in the sample. */
  scope: Scope | null;
}

/** The cohorts the importance chart draws (the first SERIES_COLORS.length with rows), in its colours; for a large
 *  explanation the bars it shows (over every row when known and no whisker is drawn, else the sample's). */
function importanceSeries(store: TabularStore, all = false, withIntervals = false): Series[] {
  const cohorts = all ? store.state.cohorts : store.state.cohorts.slice(0, SERIES_COLORS.length);
  return cohorts
    .map((cohort, s) => {
      const shown = shownImportance(store, cohort, withIntervals);
      return { cohort, color: SERIES_COLORS[s % SERIES_COLORS.length], count: shown.rows, imp: shown.imp, scope: shown.scope };
    })
    .filter((s) => s.count > 0);
}

/** Features in the chart's order: by the sorting cohort's importances (the first cohort with rows if it has none). */
function importanceOrder(store: TabularStore, series: Series[], k: number): number[] {
  const sort = series.find((s) => s.cohort.name === store.state.sortBy) ?? series[0];
  return sort ? topFeatures(sort.imp, k) : [];
}

/** Mean |SHAP value| of every feature in every cohort with rows, for the chosen output: one line per cohort x feature;
 *  with `intervals` (the chart's whiskers), each value's bootstrap interval too. */
export function importanceCsv(store: TabularStore, intervals?: (c: Cohort) => Interval | null): string {
  const { data } = store;
  const series = importanceSeries(store, true, intervals !== undefined);
  const order = importanceOrder(store, series, data.f);
  const output = outputLabel(data, store.state.output);
  const rows: Cell[][] = [];
  const on: ComputedOn[] = []; // a large explanation: each line says which rows its figure is over
  for (const s of series) {
    const ci = intervals?.(s.cohort);
    for (const j of order) {
      const row: Cell[] = [s.cohort.name, s.count, output, data.meta.feature_names[j], s.imp[j]];
      if (intervals) row.push(ci?.low[j] ?? Number.NaN, ci?.high[j] ?? Number.NaN);
      rows.push(row);
      on.push(s.scope?.kind ?? null);
    }
  }
  const header = ["cohort", "rows", "output", "feature", "mean_abs_shap", ...(intervals ? ["ci_low", "ci_high"] : [])];
  return computedOnCsv(header, rows, (k) => on[k]);
}

/** The importance chart as drawn: the top features, a bar per cohort (with `intervals`, its whisker), the caption and a legend. */
export function importanceScene(store: TabularStore, intervals?: (c: Cohort) => Interval | null, _note = ""): Scene {
  const { data } = store;
  const series = importanceSeries(store, false, intervals !== undefined);
  const order = importanceOrder(store, series, store.state.topK);
  const names = data.meta.feature_names;
  const caption = importanceCaption(data.meta, store.state.output);
  const labelW = Math.min(MAX_LABEL_W, Math.max(60, ...order.map((j) => textWidth(names[j]))));
  const left = 12 + labelW + 8;
  const barW = 360;
  const valueW = 70;
  // a large explanation: the file says, as the chart does, which bars are over every row and which the sample's
  const largeNote = !series.some((s) => s.scope)
    ? ""
    : series.every((s) => s.scope?.kind === "sample")
      ? "Every bar is computed on the cohort's rows in the stratified sample, not on all rows."
      : "Bars marked “all … rows” are over every row of the cohort; “sample of …”, over its rows in the stratified sample.";
  const width = Math.max(left + barW + valueW + 12, textWidth(caption) + 24, largeNote ? textWidth(largeNote, 11) + 24 : 0);
  const items: SceneItem[] = [{ kind: "text", x: 12, y: 20, text: caption, bold: true, size: 13 }];
  let x = 12;
  let y = 42;
  for (const s of series) {
    // a large explanation's legend says which rows the bars are over, as the chart's labels do
    const label = `${s.cohort.name} (${s.scope ? scopeText(s.scope) : `${s.count.toLocaleString()} rows`})`;
    const w = textWidth(label) + 26;
    if (x + w > width - 12 && x > 12) {
      x = 12;
      y += 18;
    }
    items.push({ kind: "rect", x, y: y - 10, w: 12, h: 12, fill: s.color }, { kind: "text", x: x + 16, y, text: label, fill: MUTED });
    x += w;
  }
  y += 16;
  const whiskers = new Map(series.map((s) => [s, intervals?.(s.cohort) ?? null]));
  let max = 1e-12;
  for (const j of order) for (const s of series) max = Math.max(max, s.imp[j], whiskers.get(s)?.high[j] ?? 0);
  const barH = 12;
  for (const j of order) {
    const groupH = series.length * (barH + 2);
    items.push({ kind: "text", x: left - 8, y: y + groupH / 2 + 4, text: fitText(names[j], labelW), anchor: "end" });
    for (const s of series) {
      const w = (barW * s.imp[j]) / max;
      const ci = whiskers.get(s);
      items.push({ kind: "rect", x: left, y, w, h: barH, fill: s.color, title: `${names[j]} · ${s.cohort.name}: ${s.imp[j]}` });
      let textX = left + w + 4;
      if (ci) {
        const [x0, x1] = [left + (barW * ci.low[j]) / max, left + (barW * ci.high[j]) / max];
        items.push(...whisker(x0, x1, y + barH / 2, barH / 2, INK));
        textX = Math.max(textX, x1 + 4);
      }
      const label = ci ? `${fmt(s.imp[j])} [${fmt(ci.low[j])}, ${fmt(ci.high[j])}]` : fmt(s.imp[j]);
      items.push({ kind: "text", x: textX, y: y + barH - 2, text: label, size: 11, fill: MUTED });
      y += barH + 2;
    }
    y += 8;
  }
  if (intervals && series.length) {
    items.push({
      kind: "text",
      x: 12,
      y: y + 8,
      text: "Whiskers: each bar's bootstrap interval (exp.compare's resamples).",
      size: 11,
      fill: MUTED,
    });
    y += 16;
  }
  if (largeNote) {
    items.push({ kind: "text", x: 12, y: y + 8, text: largeNote, size: 11, fill: MUTED });
    y += 16;
  }
  if (!series.length) items.push({ kind: "text", x: 12, y: y + 12, text: "No rows in any cohort.", fill: MUTED });
  return { width: intervals ? width + 90 : width, height: y + 12, title: `Feature importance: ${caption}`, items };
}

/** An interval as a horizontal line with end caps, centred on y. */
function whisker(x0: number, x1: number, y: number, half: number, stroke: string): SceneItem[] {
  return [
    { kind: "line", x1: x0, y1: y, x2: x1, y2: y, stroke, width: 1.5 },
    { kind: "line", x1: x0, y1: y - half, x2: x0, y2: y + half, stroke, width: 1.5 },
    { kind: "line", x1: x1, y1: y - half, x2: x1, y2: y + half, stroke, width: 1.5 },
  ];
}

// ------------------------------------------------------------------ the difference of two cohorts

/** What the importance chart's difference mode shows: cohorts a and b in their colours, and exp.compare(a, b). */
export interface DifferenceExport {
  a: Cohort;
  b: Cohort;
  colorA: string;
  colorB: string;
  d: Difference;
  settings: CompareSettings;
  /** Rows in both cohorts (the bootstrap resamples each cohort on its own). */
  shared: number;
  /** Both cohorts' resamples are done: the intervals are known. */
  done: boolean;
}

/** A difference with its sign: "+0.12", "−0.03" (a true minus sign), "0". */
export function signed(v: number): string {
  if (Number.isNaN(v)) return "n/a";
  return v > 0 ? `+${fmt(v)}` : v < 0 ? `−${fmt(-v)}` : "0";
}

/** The cohorts in a file name: "x0_gt_0.5-vs-All_data" (safeFileName cleans the rest). */
export function differenceSlug(v: DifferenceExport): string {
  const clean = (name: string) => name.replace(/>/g, "gt").replace(/</g, "lt").replace(/=/g, "eq");
  return `${clean(v.a.name)}-vs-${clean(v.b.name)}`;
}

/** The line above the difference chart: what is subtracted from what, and how the intervals were drawn. */
export function differenceCaption(data: TabularData, output: OutputChoice, v: DifferenceExport): string {
  const { ci, nBoot, seed } = v.settings;
  const what = importanceCaption(data.meta, output).replace(/^mean \|SHAP value\|/, "Difference in mean |SHAP value|");
  const overlap = v.shared
    ? ` The cohorts share ${v.shared.toLocaleString()} ${v.shared === 1 ? "row" : "rows"}; each is resampled on its own.`
    : "";
  return `${what}: “${v.a.name}” − “${v.b.name}”, largest first, with ${Math.round(ci * 100)}% bootstrap intervals (${nBoot.toLocaleString()} resamples of each cohort's rows, seed ${seed}); exp.compare(a, b) gives the same numbers.${overlap}`;
}

/** exp.compare(a, b) as a table: every feature, largest |difference| first; for a large explanation a computed_on
 *  column ("sample": the bootstrap resamples the cohorts' rows in the sample). */
export function differenceCsv(store: TabularStore, v: DifferenceExport): string {
  const { data } = store;
  const { d, settings } = v;
  const output = outputLabel(data, store.state.output);
  const rows: Cell[][] = d.order.map((j) => [
    data.meta.feature_names[j],
    output,
    v.a.name,
    d.rowsA,
    v.b.name,
    d.rowsB,
    d.meanA[j],
    d.meanB[j],
    d.difference[j],
    d.low[j],
    d.high[j],
    Number.isFinite(d.low[j]) ? d.excludesZero[j] === 1 : null,
    settings.ci,
    settings.nBoot,
    settings.seed,
  ]);
  const header = ["feature", "output", "cohort_a", "rows_a", "cohort_b", "rows_b", "mean_abs_a", "mean_abs_b", "difference"];
  const on = sampleScope(store, d.rowsA)?.kind ?? null;
  return computedOnCsv([...header, "ci_low", "ci_high", "excludes_zero", "ci", "n_boot", "seed"], rows, on);
}

/** The difference chart as drawn: the top features by |difference|, a bar from 0 (solid when the interval
 *  excludes 0, hollow when it covers it) with its whisker, the zero line, the caption and the key. */
export function differenceScene(store: TabularStore, v: DifferenceExport): Scene {
  const { data } = store;
  const { d } = v;
  const names = data.meta.feature_names;
  const order = d.order.slice(0, store.state.topK);
  const caption = differenceCaption(data, store.state.output, v);
  const labelW = Math.min(MAX_LABEL_W, Math.max(60, ...order.map((j) => textWidth(names[j]))));
  const left = 12 + labelW + 8;
  const plotW = 360;
  const valueText = (j: number) => {
    const known = Number.isFinite(d.low[j]);
    const range = known ? ` [${signed(d.low[j])}, ${signed(d.high[j])}]` : "";
    return `${signed(d.difference[j])}${range}${d.excludesZero[j] === 1 ? " ✱" : ""}`;
  };
  const valueW = Math.max(60, ...order.map((j) => textWidth(valueText(j), 11)));
  const title = `Difference in feature importance: ${v.a.name} − ${v.b.name}`;
  const width = Math.max(left + plotW + 8 + valueW + 12, 560, textWidth(title, 13, true) + 24);
  const items: SceneItem[] = [{ kind: "text", x: 12, y: 20, text: title, bold: true, size: 13 }];
  let y = 38;
  // a large explanation: the file says, as the chart does, that both cohorts' rows are the sample's
  const text = [caption, sampleNote(store)].filter(Boolean).join(" ");
  for (const line of wrapText(text, width - 24, 12)) {
    items.push({ kind: "text", x: 12, y, text: line, size: 12, fill: MUTED });
    y += 16;
  }
  y += 6;
  let x = 12;
  const rowsOf = (rows: number) => sampleText(store, rows) ?? `${rows.toLocaleString()} rows`;
  const key: [string, string | null][] = [
    [`larger in a: ${v.a.name} (${rowsOf(d.rowsA)})`, v.colorA],
    [`larger in b: ${v.b.name} (${rowsOf(d.rowsB)})`, v.colorB],
    ["✱ solid: interval excludes 0; hollow: covers 0", null],
  ];
  for (const [label, color] of key) {
    const w = textWidth(label) + (color ? 26 : 8);
    if (x + w > width - 12 && x > 12) {
      x = 12;
      y += 18;
    }
    if (color) items.push({ kind: "rect", x, y: y - 10, w: 12, h: 12, fill: color });
    items.push({ kind: "text", x: color ? x + 16 : x, y, text: label, fill: MUTED });
    x += w;
  }
  y += 16;
  let scale = 1e-12;
  for (const j of order)
    for (const t of [d.difference[j], d.low[j], d.high[j]]) if (Number.isFinite(t)) scale = Math.max(scale, Math.abs(t));
  const xs = linearScale([-scale, scale], [left, left + plotW]);
  const top = y;
  const barH = 12;
  for (const j of order) {
    const diff = d.difference[j];
    const known = Number.isFinite(d.low[j]);
    const excludes = d.excludesZero[j] === 1;
    const color = diff >= 0 ? v.colorA : v.colorB;
    const x0 = xs(Math.min(0, diff));
    const w = Math.max(1, xs(Math.max(0, diff)) - x0);
    items.push({ kind: "text", x: left - 8, y: y + barH - 2, text: fitText(names[j], labelW), anchor: "end" });
    if (excludes) items.push({ kind: "rect", x: x0, y, w, h: barH, fill: color, title: `${names[j]}: ${diff}` });
    else
      items.push(
        { kind: "rect", x: x0, y, w, h: barH, fill: "#ffffff", title: `${names[j]}: ${diff}` },
        { kind: "line", x1: x0, y1: y, x2: x0 + w, y2: y, stroke: color, width: 1.5 },
        { kind: "line", x1: x0, y1: y + barH, x2: x0 + w, y2: y + barH, stroke: color, width: 1.5 },
        { kind: "line", x1: x0, y1: y, x2: x0, y2: y + barH, stroke: color, width: 1.5 },
        { kind: "line", x1: x0 + w, y1: y, x2: x0 + w, y2: y + barH, stroke: color, width: 1.5 },
      );
    if (known) items.push(...whisker(xs(d.low[j]), xs(d.high[j]), y + barH / 2, barH / 2 - 1, INK));
    items.push({ kind: "text", x: left + plotW + 8, y: y + barH - 2, text: valueText(j), size: 11, fill: MUTED });
    y += barH + 6;
  }
  items.push({ kind: "line", x1: xs(0), y1: top - 4, x2: xs(0), y2: y, stroke: MUTED });
  for (const [t, anchor] of [
    [-scale, "start"],
    [0, "middle"],
    [scale, "end"],
  ] as const)
    items.push({ kind: "text", x: xs(t), y: y + 12, text: t ? signed(t) : "0", size: 11, fill: MUTED, anchor });
  y += 18;
  return { width, height: y + 8, title, items };
}

/** Words of `text` in lines of at most maxWidth px. */
function wrapText(text: string, maxWidth: number, size: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size) > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
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

/** The dependence plot's points: row, feature value, SHAP value, its colour and colour group; `on` "sample" (a large
 *  explanation: the points are the sample's rows) adds a computed_on column. */
export function dependenceCsv(
  data: TabularData,
  j: number,
  points: Points,
  coloring: Coloring,
  groupOf: (p: number) => string,
  on: ComputedOn = null,
): string {
  const numeric = data.kinds[j] === "numeric";
  const out: Cell[][] = [];
  for (let p = 0; p < points.rows.length; p++) {
    const row = points.rows[p];
    const v = data.feature(row, j);
    out.push([row, numeric ? v : data.featureLabel(j, v), points.y[p], groupOf(p), coloring.palette[coloring.bins[p]]]);
  }
  return computedOnCsv(["row", data.meta.feature_names[j], "shap_value", "colour_group", "colour"], out, on);
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
