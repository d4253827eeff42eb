// Data explorer: any two of the explanation's columns, probabilities and SHAP values against each other
// for the rows of the active cohort. Individual: every row a point, painted into one ImageData (100,000
// points in a few ms; dependence/raster.ts); aggregate: x binned (bins.ts, numpy's rules) with a count,
// mean or box of y per bin. A brushed region becomes a cohort (brush.ts); a click selects a row. Axes,
// ticks, legend and tooltip are DOM over the canvas, so they follow the theme and stay text.
// Over 500 lines: one view with two modes sharing its axes, brush, tooltip and export.
import "./explorer.css";
import type { Cohort } from "../../core/cohorts";
import { fmt, h, option, SERIES_COLORS } from "../../core/dom";
import { canvasPng, exportControls, type SceneItem, sceneToCanvas, sceneToSvg } from "../../core/export";
import type { TabularView } from "../dashboard";
import { type Coloring, colorByCohort, type LegendEntry, type SwatchEntry } from "../dependence/coloring";
import { JITTER, jitter } from "../dependence/points";
import { batches, paintPoints } from "../dependence/raster";
import { allWhole, linearScale, niceTicks, paddedExtent, type Scale } from "../dependence/scales";
import { cohortBinNames } from "../export";
import type { TabularStore } from "../store";
import { towardPhrase, unitsPhrase } from "../wording";
import { type Axis, AxisValues, axisLabel, type ShapOutput, shapOutputKey, shapOutputOf } from "./axes";
import { type BinSpec, type BinSummary, binEdges, binSummary, finiteExtent, levelBins } from "./bins";
import { type AxisRange, type BrushOutcome, brushOutcome } from "./brush";
import { colorByAxis, colourGroupOf } from "./colour";
import { binLabel, binsCsv, plotScene, pointsCsv, type Stat } from "./export";

const PLOT_H = 320; // css px of the plot area
const MARGIN = { left: 60, right: 14, top: 10, bottom: 44 };
const FALLBACK_W = 620; // when the element is not laid out (hidden tab, jsdom)
export const BIN_CHOICES = [5, 10, 20, 30, 50, 100];
const Y_JITTER_SEED = 0x51ed27; // a second stream of jitter, so x and y do not move together

export type Mode = "individual" | "aggregate";

export interface ExplorerSettings {
  mode: Mode;
  x: string; // axis ids
  y: string;
  colour: string; // "cohort" or an axis id
  logX: boolean;
  logY: boolean;
  bins: number;
  stat: Stat;
  /** The output of SHAP axes; null follows the store's (its average: each row's predicted class). */
  output: ShapOutput | null;
}

interface Plot {
  xs: Scale; // plot units (log10 on a log axis; bin units in the aggregate view) -> css px
  ys: Scale;
  width: number;
}

interface ScatterFrame extends Plot {
  mode: "individual";
  x: Axis;
  y: Axis;
  xv: Float32Array;
  yv: Float32Array;
  rows: Int32Array; // the plotted rows
  tx: Float32Array; // plot units of each point (jittered on discrete axes)
  ty: Float32Array;
  coloring: Coloring;
  colourAxis: Axis | null;
  colourValues: Float32Array | null;
  logX: boolean;
  logY: boolean;
  xInteger: boolean;
  yInteger: boolean;
  px?: Float32Array; // css px of each point (hover, click, brush)
  py?: Float32Array;
}

interface BinFrame extends Plot {
  mode: "aggregate";
  x: Axis;
  y: Axis;
  xv: Float32Array;
  yv: Float32Array;
  rows: Int32Array; // the cohort's rows
  spec: BinSpec;
  summary: BinSummary;
  stat: Stat;
  logY: boolean;
  xInteger: boolean;
  colour: string;
}

type Frame = ScatterFrame | BinFrame;

/** The axes a fresh explorer shows: the most important feature against the explained class's probability (or the prediction). */
export function defaultSettings(store: TabularStore, axes: AxisValues): ExplorerSettings {
  const { data } = store;
  const imp = store.importance(store.activeCohort());
  let top = 0;
  for (let j = 1; j < data.f; j++) if (imp[j] > imp[top]) top = j;
  const xName = data.meta.feature_names[top];
  const out = shapOutputOf(data, store.state.output);
  const yId =
    [out.kind === "output" ? `probability:${out.index}` : "confidence", "confidence", "y_pred", "index"].find((id) => axes.get(id)) ??
    axes.axes[0].id;
  return {
    mode: "individual",
    x: axes.get(`feature:${xName}`) ? `feature:${xName}` : axes.axes[0].id,
    y: yId,
    colour: "cohort",
    logX: false,
    logY: false,
    bins: 10,
    stat: "count",
    output: null,
  };
}

/** The points' place on an axis: the value (log10 on a log axis), a level's code jittered in its band. */
function plotUnits(axis: Axis, values: Float32Array, rows: Int32Array, log: boolean, seed: number): Float32Array {
  const out = new Float32Array(rows.length);
  if (axis.kind !== "number") for (let p = 0; p < rows.length; p++) out[p] = values[rows[p]] + JITTER * jitter(rows[p] ^ seed);
  else if (log) for (let p = 0; p < rows.length; p++) out[p] = Math.log10(values[rows[p]]);
  else for (let p = 0; p < rows.length; p++) out[p] = values[rows[p]];
  return out;
}

/** Ticks of a log10 axis (domain in log10 units): powers of ten, with 2 and 5 between when few. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const a = Math.floor(lo);
  const b = Math.ceil(hi);
  for (let e = a; e <= b; e++) for (const m of b - a <= 2 ? [1, 2, 5] : [1]) out.push(Math.log10(m * 10 ** e));
  return out.filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9);
}

export function createDataExplorer(store: TabularStore): TabularView {
  const { data } = store;
  const axes = new AxisValues(data);
  let settings = defaultSettings(store, axes);
  let frame: Frame | null = null;
  let image: ImageData | null = null;
  let onTop: string | null = null; // the cohort put on top by a legend click
  let pending: Cohort | null = null;
  let note = ""; // a refusal (log scale, brush) shown until the next change
  let draws = 0;

  // ------------------------------------------------------------------ controls
  const axisSelect = (title: string, testid: string, withCohort: boolean) => {
    const s = h("select", { title, testid });
    if (withCohort) s.append(option("cohort", "cohort"));
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const a of axes.axes) {
      let g = groups.get(a.group);
      if (!g) {
        g = document.createElement("optgroup");
        g.label = a.group;
        groups.set(a.group, g);
        s.append(g);
      }
      g.append(option(a.id, a.label));
    }
    return s;
  };
  const control = (label: string, input: HTMLElement, cls = "") =>
    h("label", { cls: `rw-control ${cls}`.trim() }, [h("span", { text: label }), input]);
  const modeSelect = h("select", { title: "Every row as a point, or x in bins", testid: "explorer-mode" });
  modeSelect.append(option("individual", "individual rows"), option("aggregate", "aggregate by x"));
  const xSelect = axisSelect("What the x axis shows", "explorer-x", false);
  const ySelect = axisSelect("What the y axis shows", "explorer-y", false);
  const colourSelect = axisSelect("What colours the points", "explorer-colour", true);
  const logX = h("input", { testid: "explorer-logx", attrs: { type: "checkbox" } });
  const logY = h("input", { testid: "explorer-logy", attrs: { type: "checkbox" } });
  const binsSelect = h("select", { title: "Number of equal-width bins of a numeric x", testid: "explorer-bins" });
  binsSelect.append(...BIN_CHOICES.map((b) => option(String(b), String(b))));
  const statSelect = h("select", { title: "What each bin shows", testid: "explorer-stat" });
  statSelect.append(option("count", "count of rows"), option("mean", "mean of y"), option("box", "box of y"));
  const outputSelect = h("select", { title: "The output the SHAP values are toward", testid: "explorer-output" });
  if (data.meta.task === "classification") {
    outputSelect.append(...data.meta.output_names.map((name, c) => option(`output:${c}`, `class ${name}`)));
    outputSelect.append(option("predicted", "each row's predicted class"));
  } else outputSelect.append(...data.meta.output_names.map((name, c) => option(`output:${c}`, name)));
  const colourControl = control("Colour by", colourSelect);
  const logXControl = h("label", { cls: "rw-control rw-ex-check" }, [logX, h("span", { text: "log x" })]);
  const logYControl = h("label", { cls: "rw-control rw-ex-check" }, [logY, h("span", { text: "log y" })]);
  const binsControl = control("Bins", binsSelect);
  const statControl = control("Show", statSelect);
  const outputControl = control("SHAP toward", outputSelect);

  const legend = h("div", { cls: "rw-legend rw-ex-legend", testid: "explorer-legend" });
  const message = h("div", { cls: "rw-empty rw-ex-message", testid: "explorer-message" });
  const noteLine = h("div", { cls: "rw-warn-text rw-ex-note", testid: "explorer-note", attrs: { role: "status" } });
  const yTitle = h("div", { cls: "rw-dep-ytitle rw-ex-ytitle" });
  const canvas = h("canvas", { cls: "rw-dep-canvas" });
  const grid = h("div", { cls: "rw-dep-grid" });
  const brush = h("div", { cls: "rw-ex-brush" });
  brush.hidden = true;
  const tooltip = h("div", { cls: "rw-dep-tooltip rw-ex-tooltip", testid: "explorer-tooltip" });
  tooltip.hidden = true;
  const area = h("div", { cls: "rw-dep-area rw-ex-area", testid: "explorer-area" }, [grid, canvas, brush, tooltip]);
  const yTicks = h("div", { cls: "rw-dep-yticks" });
  const xTicks = h("div", { cls: "rw-dep-xticks" });
  const xTitle = h("div", { cls: "rw-dep-xtitle rw-ex-xtitle" });
  const plot = h("div", { cls: "rw-dep-plot" }, [yTicks, area, xTicks, xTitle]);
  const makeButton = h("button", { cls: "rw-dep-make", testid: "explorer-make-cohort", attrs: { type: "button" } });
  const clearBrush = h("button", {
    text: "×",
    title: "Clear the selected region",
    attrs: { type: "button", "aria-label": "Clear the selected region" },
  });
  const brushBar = h("div", { cls: "rw-dep-brushbar rw-ex-brushbar" }, [makeButton, clearBrush]);
  brushBar.hidden = true;
  const hint = h("div", { cls: "rw-muted rw-ex-hint" });
  const selection = h("div", { cls: "rw-muted rw-ex-selection", testid: "explorer-selection", attrs: { "aria-live": "polite" } });
  const body = h("div", { cls: "rw-ex-body" }, [yTitle, legend, plot, brushBar, hint, selection]);
  let exportUi: ReturnType<typeof exportControls> | null = null;
  const el = h("section", { cls: "rw-section rw-ex", testid: "data-explorer" }, [
    h("div", { cls: "rw-toolbar rw-ex-toolbar" }, [
      control("View", modeSelect),
      control("x", xSelect),
      control("y", ySelect),
      colourControl,
      outputControl,
      logXControl,
      logYControl,
      binsControl,
      statControl,
      exportExplorer(),
    ]),
    noteLine,
    message,
    body,
  ]);
  plot.style.height = `${MARGIN.top + PLOT_H + MARGIN.bottom}px`;
  Object.assign(area.style, { top: `${MARGIN.top}px`, right: `${MARGIN.right}px`, height: `${PLOT_H}px` });

  const change = (patch: Partial<ExplorerSettings>) => {
    settings = { ...settings, ...patch };
    note = "";
    rebuild();
  };
  modeSelect.addEventListener("change", () => change({ mode: modeSelect.value as Mode }));
  xSelect.addEventListener("change", () => change({ x: xSelect.value, logX: false }));
  ySelect.addEventListener("change", () => change({ y: ySelect.value, logY: false }));
  colourSelect.addEventListener("change", () => change({ colour: colourSelect.value }));
  logX.addEventListener("change", () => change({ logX: logX.checked }));
  logY.addEventListener("change", () => change({ logY: logY.checked }));
  binsSelect.addEventListener("change", () => change({ bins: Number(binsSelect.value) }));
  statSelect.addEventListener("change", () => change({ stat: statSelect.value as Stat }));
  outputSelect.addEventListener("change", () => {
    const v = outputSelect.value;
    change({ output: v === "predicted" ? { kind: "predicted" } : { kind: "output", index: Number(v.slice(7)) } });
  });

  const shapOutput = (): ShapOutput => settings.output ?? shapOutputOf(data, store.state.output);
  const axisTitle = (a: Axis): string => {
    if (!AxisValues.isShap(a)) return a.label;
    const o = shapOutput();
    return `${a.label} ${towardPhrase(data.meta, o.kind === "output" ? o : { kind: "predicted" })} (${unitsPhrase(data.meta)})`;
  };

  // ------------------------------------------------------------------ rows of the active cohort
  let rowsCache: { mask: Uint8Array; rows: Int32Array } | null = null;
  const cohortRows = (mask: Uint8Array, count: number): Int32Array => {
    if (rowsCache?.mask === mask) return rowsCache.rows;
    const rows = new Int32Array(count);
    let p = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) rows[p++] = i;
    rowsCache = { mask, rows };
    return rows;
  };

  // ------------------------------------------------------------------ export
  function exportExplorer(): HTMLElement {
    const stem = () => {
      const f = frame;
      const what = f ? (f.mode === "individual" ? `${f.x.short}-vs-${f.y.short}` : `${f.x.short}-bins-${f.stat}`) : "points";
      return `data-explorer-${what}-${store.state.active}`;
    };
    const need = () => {
      if (!frame) throw new Error("nothing is drawn");
      return frame;
    };
    const scene = () => plotScene(picture(need()));
    const csv = () => {
      const f = need();
      if (f.mode === "aggregate") return binsCsv(f.x, f.stat === "count" ? null : f.y, f.spec, f.summary, f.stat);
      const binNames = cohortBinNames(store.state.cohorts, store.dataset.allData, (c) => store.maskOf(c).error, "in no other cohort");
      const groupOf = colourGroupOf(f.coloring, binNames, f.colourAxis, f.colourValues, f.rows);
      return pointsCsv(f.x, f.y, f.xv, f.yv, f.rows, f.coloring, groupOf, f.colourAxis ? `colour_${f.colourAxis.short}` : "colour_cohort");
    };
    const what = "the data explorer's chart";
    exportUi = exportControls(what, [
      { format: "png", what, fileName: stem, build: () => canvasPng(sceneToCanvas(scene())) },
      { format: "svg", what, fileName: stem, build: () => sceneToSvg(scene()) },
      { format: "csv", what: "the data explorer's figures", fileName: stem, build: csv },
    ]);
    return exportUi;
  }

  const areaWidth = () => {
    const left = Number.parseFloat(area.style.left) || MARGIN.left;
    return Math.max(160, Math.round(area.clientWidth || (el.clientWidth ? el.clientWidth - left - MARGIN.right : FALLBACK_W)));
  };

  const syncControls = () => {
    const s = settings;
    modeSelect.value = s.mode;
    xSelect.value = s.x;
    ySelect.value = s.y;
    colourSelect.value = s.colour;
    binsSelect.value = String(s.bins);
    statSelect.value = s.stat;
    outputSelect.value = shapOutputKey(shapOutput());
    const x = axes.get(s.x);
    const y = axes.get(s.y);
    const aggregate = s.mode === "aggregate";
    const numericX = x?.kind === "number";
    colourControl.hidden = aggregate;
    binsControl.hidden = !aggregate;
    statControl.hidden = !aggregate;
    binsSelect.disabled = !numericX;
    binsSelect.title = numericX ? "Number of equal-width bins of x" : "A category or boolean x has one bin per level";
    const colour = axes.get(s.colour);
    const shapShown = [x, aggregate && s.stat === "count" ? undefined : y, aggregate ? undefined : colour].some(
      (a) => a && AxisValues.isShap(a),
    );
    outputControl.hidden = !shapShown || outputSelect.options.length < 2;
    logXControl.hidden = aggregate;
    logX.disabled = !numericX;
    logX.checked = s.logX;
    const yMatters = !aggregate || s.stat !== "count";
    logYControl.hidden = !yMatters;
    logY.disabled = y?.kind !== "number";
    logY.checked = s.logY;
    noteLine.textContent = note;
  };

  const showMessage = (text: string) => {
    message.textContent = text;
    body.hidden = frame === null;
    exportUi?.setEnabled(frame !== null);
    el.dataset.points = frame?.mode === "individual" ? String(frame.rows.length) : "";
  };

  /** Refuse a log scale on an axis with values <= 0 among the rows: say so, and keep it linear. */
  const refuseLog = (axis: Axis, values: Float32Array, rows: Int32Array): boolean => {
    let min = Number.POSITIVE_INFINITY;
    for (let p = 0; p < rows.length; p++) {
      const v = values[rows[p]];
      if (v < min) min = v;
    }
    if (min > 0) return false;
    note = `Log scale needs positive values: ${axis.short} has values ≤ 0 here (the smallest is ${fmt(min)}), so its axis stays linear.`;
    return true;
  };

  // ------------------------------------------------------------------ rebuild: data for the current settings
  const rebuild = () => {
    hideBrush();
    frame = null;
    const x = axes.get(settings.x);
    const y = axes.get(settings.y);
    if (!x || !y) {
      syncControls();
      return showMessage("Choose what the x and y axes show.");
    }
    const cohort = store.activeCohort();
    const res = store.maskOf(cohort);
    if (res.error) {
      syncControls();
      return showMessage(`Cohort "${cohort.name}" cannot be evaluated: ${res.error}`);
    }
    const cohortRowsNow = cohortRows(res.mask, res.count);
    if (!cohortRowsNow.length) {
      syncControls();
      return showMessage(`No rows in cohort "${cohort.name}": edit its filters in the Cohorts tab, or pick another cohort.`);
    }
    const out = shapOutput();
    const xv = axes.values(x, out);
    const yv = axes.values(y, out);
    const width = areaWidth();
    if (settings.mode === "aggregate") buildBins(x, y, xv, yv, cohortRowsNow, cohort, width);
    else buildScatter(x, y, xv, yv, cohortRowsNow, cohort, width);
    syncControls();
    if (!frame) return;
    showMessage("");
    drawLegend();
    draw();
  };

  const buildScatter = (x: Axis, y: Axis, xv: Float32Array, yv: Float32Array, all: Int32Array, cohort: Cohort, width: number) => {
    if (settings.logX && (x.kind !== "number" || refuseLog(x, xv, all))) settings.logX = false;
    if (settings.logY && (y.kind !== "number" || refuseLog(y, yv, all))) settings.logY = false;
    const { logX: lx, logY: ly } = settings;
    // rows with both values (and positive ones on a log axis) are drawn
    let m = 0;
    const keep = new Int32Array(all.length);
    for (let p = 0; p < all.length; p++) {
      const i = all[p];
      const a = xv[i];
      const b = yv[i];
      if (Number.isNaN(a) || Number.isNaN(b) || (lx && !(a > 0)) || (ly && !(b > 0))) continue;
      keep[m++] = i;
    }
    const rows = keep.slice(0, m);
    const dropped = all.length - m;
    if (!m) return showMessage(`Every row of "${cohort.name}" is missing ${x.short} or ${y.short}.`);
    const tx = plotUnits(x, xv, rows, lx, 0);
    const ty = plotUnits(y, yv, rows, ly, Y_JITTER_SEED);
    const colourAxis = settings.colour === "cohort" ? null : (axes.get(settings.colour) ?? null);
    const colourValues = colourAxis ? axes.values(colourAxis, shapOutput()) : null;
    const coloring =
      colourAxis && colourValues
        ? colorByAxis(colourAxis, colourValues, rows)
        : colorByCohort(rows, store.state.cohorts, (c) => store.maskOf(c), store.dataset.allData, store.state.active, onTop);
    const domain = (a: Axis, t: Float32Array): [number, number] => (a.kind === "number" ? paddedExtent(t) : [-0.5, a.levels.length - 0.5]);
    const rowValues = (v: Float32Array) => Float32Array.from(rows, (i) => v[i]);
    frame = {
      mode: "individual",
      x,
      y,
      xv,
      yv,
      rows,
      tx,
      ty,
      coloring,
      colourAxis,
      colourValues,
      logX: lx,
      logY: ly,
      xInteger: x.kind === "number" && !lx && allWhole(rowValues(xv)),
      yInteger: y.kind === "number" && !ly && allWhole(rowValues(yv)),
      xs: linearScale(domain(x, tx), [4, width - 4]),
      ys: linearScale(domain(y, ty), [PLOT_H - 4, 4]),
      width,
    };
    hint.textContent =
      `Drag a rectangle to make a cohort of its rows (across the full height: x only; the full width: y only); click a point to select its row.` +
      (dropped
        ? ` ${dropped.toLocaleString()} ${dropped === 1 ? "row" : "rows"} of "${cohort.name}" with a missing${lx || ly ? " or non-positive" : ""} value not drawn.`
        : "");
  };

  const buildBins = (x: Axis, y: Axis, xv: Float32Array, yv: Float32Array, rows: Int32Array, cohort: Cohort, width: number) => {
    settings.logX = false;
    const stat = settings.stat;
    if (settings.logY && (y.kind !== "number" || stat === "count" || refuseLog(y, yv, rows))) settings.logY = false;
    const spec: BinSpec =
      x.kind === "number"
        ? (() => {
            const [lo, hi] = finiteExtent(xv, rows);
            return { edges: binEdges(lo, hi, settings.bins) };
          })()
        : levelBins(x.levels.length);
    const summary = binSummary(xv, stat === "count" ? null : yv, rows, spec);
    const nb = summary.counts.length;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    const take = (v: number) => {
      if (!Number.isFinite(v)) return;
      const t = settings.logY ? Math.log10(v) : v;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    };
    for (let b = 0; b < nb; b++) {
      if (stat === "count") take(summary.counts[b]);
      else if (stat === "mean") take(summary.means[b]);
      else {
        take(summary.boxes[b].whiskerLow);
        take(summary.boxes[b].whiskerHigh);
      }
    }
    if (stat === "count" || (stat === "mean" && !settings.logY)) {
      lo = Math.min(0, lo);
      hi = Math.max(0, hi);
    }
    const yDomain: [number, number] = lo <= hi ? paddedExtent([lo, hi], stat === "count" ? 0 : 0.05) : [0, 1];
    if (stat === "count") yDomain[0] = 0;
    const s = store.state.cohorts.findIndex((c) => c.name === cohort.name);
    frame = {
      mode: "aggregate",
      x,
      y,
      xv,
      yv,
      rows,
      spec,
      summary,
      stat,
      logY: settings.logY,
      xInteger: x.kind === "number" && allWhole(Float32Array.from(rows, (i) => xv[i])),
      colour: SERIES_COLORS[Math.max(0, s) % SERIES_COLORS.length],
      xs: linearScale([0, nb], [4, width - 4]),
      ys: linearScale(yDomain, [PLOT_H, 4]),
      width,
    };
    const unb = summary.unbinned;
    hint.textContent =
      `Drag across bins to make a cohort of their rows; hover a bin for its figures.` +
      (unb ? ` ${unb.toLocaleString()} ${unb === 1 ? "row" : "rows"} of "${cohort.name}" with a missing ${x.short} in no bin.` : "");
  };

  // ------------------------------------------------------------------ legend
  const swatchItem = (e: SwatchEntry): HTMLElement => {
    const parts: Node[] = [
      e.hidden ? h("span", { cls: "rw-dep-noswatch" }) : h("span", { cls: "rw-swatch", attrs: { style: `background:${e.color}` } }),
      h("span", { text: e.label }, [e.hidden ? h("span", { cls: "rw-muted", text: `: ${e.hidden}` }) : null]),
    ];
    const count = e.drawn === undefined ? "" : `${e.drawn.toLocaleString()} points`;
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
    item.addEventListener("click", () => {
      onTop = cohort;
      rebuild();
      Array.from(legend.querySelectorAll<HTMLElement>(".rw-dep-pick"))
        .find((b) => b.dataset.cohort === cohort)
        ?.focus();
    });
    return item;
  };
  const legendItem = (e: LegendEntry): HTMLElement =>
    "ramp" in e
      ? h("span", { cls: "rw-legend-item" }, [
          h("span", { cls: "rw-muted", text: `${e.label}: ${e.low}` }),
          h("span", { cls: "rw-dep-ramp", attrs: { style: `background:linear-gradient(to right,${e.ramp[0]},${e.ramp[1]})` } }),
          h("span", { cls: "rw-muted", text: e.high }),
        ])
      : swatchItem(e);
  const drawLegend = () => {
    if (!frame) return;
    if (frame.mode === "aggregate") {
      const what =
        frame.stat === "count"
          ? "rows per bin"
          : frame.stat === "mean"
            ? `mean of ${frame.y.short} per bin`
            : `box of ${frame.y.short} per bin`;
      const items = [swatchItem({ color: frame.colour, label: `"${store.state.active}": ${what}` })];
      if (frame.stat === "box")
        items.push(
          h("span", {
            cls: "rw-muted rw-dep-legend-hint",
            text: "Box: quartiles and median; whiskers: the furthest values within 1.5 IQR.",
          }),
        );
      legend.replaceChildren(...items);
      return;
    }
    const entries = frame.coloring.legend.filter((e) => e.label !== "");
    legend.replaceChildren(...entries.map(legendItem));
  };

  // ------------------------------------------------------------------ drawing
  const setMargin = (labels: string[]) => {
    // room for the widest y tick label (a category name can be long), up to 160 px
    let widest = 0;
    for (const l of labels) widest = Math.max(widest, l.length);
    const left = Math.min(160, Math.max(MARGIN.left, 14 + widest * 6.5));
    area.style.left = `${left}px`;
    xTitle.style.left = `${left}px`;
    return left;
  };

  /** Ticks of a scatter axis: levels (thinned to `gap` px apart), powers of ten on a log axis, or round numbers. */
  const ticksOf = (axis: Axis, s: Scale, log: boolean, integer: boolean, gap: number): { v: number; label: string }[] => {
    const [lo, hi] = s.domain;
    const length = Math.abs(s.range[1] - s.range[0]);
    if (axis.kind !== "number") {
      const n = axis.levels.length;
      const every = Math.max(1, Math.ceil((n * gap) / length));
      const out = [];
      for (let k = 0; k < n; k += every) out.push({ v: k, label: axis.levels[k] });
      return out;
    }
    if (log) return logTicks(lo, hi).map((v) => ({ v, label: fmt(10 ** v) }));
    return niceTicks(lo, hi, Math.max(3, Math.floor(length / (gap + 10))), integer).map((v) => ({ v, label: fmt(v) }));
  };

  const yTicksOf = (f: Frame): { v: number; label: string }[] => {
    if (f.mode === "individual") return ticksOf(f.y, f.ys, f.logY, f.yInteger, 50);
    const [lo, hi] = f.ys.domain;
    if (f.logY) return logTicks(lo, hi).map((v) => ({ v, label: fmt(10 ** v) }));
    return niceTicks(lo, hi, 5, f.stat === "count").map((v) => ({ v, label: fmt(v) }));
  };
  const xTicksOf = (f: Frame) => (f.mode === "individual" ? ticksOf(f.x, f.xs, f.logX, f.xInteger, 70) : binTicks(f));

  const binTicks = (f: BinFrame): { v: number; label: string }[] => {
    const nb = f.summary.counts.length;
    if (!("edges" in f.spec)) {
      const every = Math.max(1, Math.ceil((nb * 70) / f.width));
      const out = [];
      for (let b = 0; b < nb; b += every) out.push({ v: b + 0.5, label: f.x.levels[b] ?? String(b) });
      return out;
    }
    const e = f.spec.edges;
    const lo = e[0];
    const hi = e[nb];
    return niceTicks(lo, hi, Math.max(3, Math.floor(f.width / 80)), f.xInteger).map((v) => ({
      v: ((v - lo) / (hi - lo)) * nb,
      label: fmt(v),
    }));
  };

  const draw = () => {
    if (!frame) return;
    const t0 = performance.now();
    const f = frame;
    const yt = yTicksOf(f);
    const left = setMargin(yt.map((t) => t.label));
    const width = areaWidth();
    if (width !== f.width) {
      f.width = width;
      f.xs = linearScale(f.xs.domain, [4, width - 4]);
    }
    const cohortName = store.state.active;
    yTitle.textContent =
      f.mode === "individual" || f.stat !== "count"
        ? `y: ${axisTitle(f.y)}${f.mode === "aggregate" ? (f.stat === "mean" ? ", mean per bin" : ", box per bin") : ""}`
        : "y: rows per bin";
    const n = f.mode === "individual" ? f.rows.length : f.rows.length - f.summary.unbinned;
    xTitle.textContent = `x: ${axisTitle(f.x)} (${n.toLocaleString()} rows of "${cohortName}")`;
    yTicks.replaceChildren(
      ...yt.map((t) =>
        h("span", {
          cls: "rw-dep-tick",
          text: t.label,
          title: t.label,
          attrs: { style: `top:${MARGIN.top + f.ys(t.v)}px;width:${left - 8}px` },
        }),
      ),
    );
    grid.replaceChildren(...yt.map((t) => h("span", { cls: "rw-dep-gridline", attrs: { style: `top:${f.ys(t.v)}px` } })));
    const xt = xTicksOf(f);
    const slot = xt.length > 1 ? Math.max(40, Math.min(160, Math.abs(f.xs(xt[1].v) - f.xs(xt[0].v)) - 6)) : 160;
    xTicks.replaceChildren(
      ...xt.map((t) =>
        h("span", {
          cls: "rw-dep-tick",
          text: t.label,
          title: t.label,
          attrs: { style: `left:${left + f.xs(t.v)}px;max-width:${slot}px` },
        }),
      ),
    );
    const dpr = Math.max(1, (typeof window !== "undefined" && window.devicePixelRatio) || 1);
    const W = Math.round(width * dpr);
    const H = Math.round(PLOT_H * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${PLOT_H}px`;
    if (canvas.width !== W) canvas.width = W;
    if (canvas.height !== H) canvas.height = H;
    const ctx = canvas.getContext("2d");
    el.dataset.mode = f.mode;
    if (!ctx) return;
    if (f.mode === "individual") paintScatter(ctx, f, W, H, dpr);
    else paintBins(ctx, f, W, H, dpr);
    el.dataset.drawMs = (performance.now() - t0).toFixed(1);
    el.dataset.draws = String(++draws); // tests and bench/explorer.py wait for the next draw
  };

  const paintScatter = (ctx: CanvasRenderingContext2D, f: ScatterFrame, W: number, H: number, dpr: number) => {
    const m = f.rows.length;
    const px = new Float32Array(m);
    const py = new Float32Array(m);
    const dx = new Float32Array(m);
    const dy = new Float32Array(m);
    const { xs, ys, tx, ty } = f;
    for (let p = 0; p < m; p++) {
      px[p] = xs(tx[p]);
      py[p] = ys(ty[p]);
      dx[p] = px[p] * dpr;
      dy[p] = py[p] * dpr;
    }
    f.px = px;
    f.py = py;
    const size = Math.max(1, Math.round((m > 20000 ? 2 : m > 2000 ? 3 : 4) * dpr));
    const alpha = m > 5000 ? 0.55 : 0.85;
    if (!image || image.width !== W || image.height !== H) image = ctx.createImageData(W, H);
    else image.data.fill(0);
    const groups = batches(f.coloring.bins, f.coloring.palette.length);
    paintPoints(
      image.data,
      W,
      H,
      dx,
      dy,
      f.coloring.order.map((b) => groups[b]),
      f.coloring.order.map((b) => f.coloring.palette[b]),
      size,
      alpha,
    );
    ctx.putImageData(image, 0, 0);
    paintSelection(ctx, dpr);
  };

  /** Rings around the selected rows that are drawn (over the pixels, redrawn without recomputing them). */
  const paintSelection = (ctx: CanvasRenderingContext2D | null, dpr: number) => {
    const f = frame;
    const picked = store.state.selected;
    selection.textContent = picked.length
      ? `Selected: ${picked.length === 1 ? `row ${picked[0]}` : `${picked.length} rows`} (see the Individual rows tab). Shift-click adds or removes a row.`
      : "";
    if (!ctx || f?.mode !== "individual" || !f.px || !f.py || !picked.length) return;
    const want = new Set(picked);
    ctx.save();
    ctx.lineWidth = 2 * dpr;
    for (let p = 0; p < f.rows.length; p++) {
      if (!want.has(f.rows[p])) continue;
      ctx.strokeStyle = "#000000";
      ctx.beginPath();
      ctx.arc(f.px[p] * dpr, f.py[p] * dpr, 6 * dpr, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 1 * dpr;
      ctx.beginPath();
      ctx.arc(f.px[p] * dpr, f.py[p] * dpr, 7.5 * dpr, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 2 * dpr;
    }
    ctx.restore();
  };

  const paintBins = (ctx: CanvasRenderingContext2D, f: BinFrame, W: number, H: number, dpr: number) => {
    ctx.clearRect(0, 0, W, H);
    ctx.save();
    ctx.scale(dpr, dpr);
    for (const it of binMarks(
      f,
      (b) => f.xs(b),
      (v) => f.ys(f.logY ? Math.log10(v) : v),
    )) {
      if (it.kind === "rect") {
        ctx.fillStyle = it.fill;
        ctx.fillRect(it.x, it.y, it.w, it.h);
      } else if (it.kind === "line") {
        ctx.strokeStyle = it.stroke;
        ctx.lineWidth = it.width ?? 1;
        ctx.beginPath();
        ctx.moveTo(it.x1, it.y1);
        ctx.lineTo(it.x2, it.y2);
        ctx.stroke();
      }
    }
    ctx.restore();
    paintSelection(ctx, dpr);
  };

  // ------------------------------------------------------------------ the picture for export
  const picture = (f: Frame) => {
    const title = `Data explorer: ${xTitle.textContent ?? ""}; ${yTitle.textContent ?? ""}`;
    const H = 380 - 44 - 56;
    const W = 680 - 16 - 60;
    const yDomain = f.ys.domain;
    const sy = linearScale(yDomain, [H, 0]);
    const yTicksNow = yTicksOf(f);
    const xDomain = f.xs.domain;
    const sx = (w: number) => linearScale(xDomain, [0, w]);
    const xTicksNow = xTicksOf(f);
    const legendNow =
      f.mode === "individual"
        ? f.coloring.legend.flatMap((e) => ("ramp" in e || e.hidden ? [] : [{ color: e.color, label: e.label }]))
        : [{ color: f.colour, label: store.state.active }];
    return {
      title,
      xAxis: { ticks: xTicksNow.map((t) => ({ at: sx(W)(t.v), label: t.label })), title: xTitle.textContent ?? "" },
      yAxis: { ticks: yTicksNow.map((t) => ({ at: sy(t.v), label: t.label })), title: yTitle.textContent ?? "" },
      legend: legendNow,
      marks: (w: number, hgt: number): SceneItem[] => {
        const X = sx(w);
        const Y = linearScale(yDomain, [hgt, 0]);
        if (f.mode === "aggregate") return binMarks(f, X, (v) => Y(f.logY ? Math.log10(v) : v));
        const items: SceneItem[] = [];
        const r = f.rows.length > 2000 ? 1.5 : 2.5;
        const opacity = f.rows.length > 5000 ? 0.55 : 0.85;
        for (const b of f.coloring.order)
          for (let p = 0; p < f.rows.length; p++)
            if (f.coloring.bins[p] === b)
              items.push({ kind: "circle", cx: X(f.tx[p]), cy: Y(f.ty[p]), r, fill: f.coloring.palette[b], opacity });
        return items;
      },
    };
  };

  /** The bars or boxes of the aggregate view, in px given the scales (bin units, y values). */
  const binMarks = (f: BinFrame, X: (b: number) => number, Y: (v: number) => number): SceneItem[] => {
    const items: SceneItem[] = [];
    const { summary, stat, colour } = f;
    const [d0, d1] = f.ys.domain;
    const baseY = f.logY ? Y(10 ** d0) : Y(Math.max(d0, Math.min(0, d1))); // bars stand on 0, or on the bottom of a log axis
    for (let b = 0; b < summary.counts.length; b++) {
      const x0 = X(b);
      const x1 = X(b + 1);
      const pad = Math.min(6, (x1 - x0) * 0.12);
      const bw = Math.max(1, Math.min(stat === "box" ? 72 : 160, x1 - x0 - 2 * pad)); // a box or bar, centred in its bin
      const bx = (x0 + x1 - bw) / 2;
      if (stat === "count" || stat === "mean") {
        const v = stat === "count" ? summary.counts[b] : summary.means[b];
        if (!Number.isFinite(v) || (stat === "count" && v === 0)) continue;
        const top = Y(v);
        items.push({
          kind: "rect",
          x: bx,
          y: Math.min(top, baseY),
          w: bw,
          h: Math.max(1, Math.abs(baseY - top)),
          fill: colour,
          title: binLabel(f.x, f.spec, b),
        });
      } else {
        const box = summary.boxes[b];
        if (!box?.n) continue;
        const mid = bx + bw / 2;
        const cap = Math.min(bw / 2, 8);
        items.push(
          { kind: "line", x1: mid, y1: Y(box.whiskerLow), x2: mid, y2: Y(box.q1), stroke: colour, width: 1.5 },
          { kind: "line", x1: mid, y1: Y(box.q3), x2: mid, y2: Y(box.whiskerHigh), stroke: colour, width: 1.5 },
          { kind: "line", x1: mid - cap, y1: Y(box.whiskerLow), x2: mid + cap, y2: Y(box.whiskerLow), stroke: colour, width: 1.5 },
          { kind: "line", x1: mid - cap, y1: Y(box.whiskerHigh), x2: mid + cap, y2: Y(box.whiskerHigh), stroke: colour, width: 1.5 },
          { kind: "rect", x: bx, y: Y(box.q3), w: bw, h: Math.max(1, Y(box.q1) - Y(box.q3)), fill: colour },
          { kind: "line", x1: bx, y1: Y(box.median), x2: bx + bw, y2: Y(box.median), stroke: "#ffffff", width: 2 },
        );
      }
    }
    return items;
  };

  // ------------------------------------------------------------------ pointer: brush, click, hover
  let dragFrom: { x: number; y: number } | null = null;
  const local = (e: MouseEvent) => {
    const r = area.getBoundingClientRect();
    const w = frame ? frame.width : FALLBACK_W;
    return { x: Math.min(w, Math.max(0, e.clientX - r.left)), y: Math.min(PLOT_H, Math.max(0, e.clientY - r.top)) };
  };
  const hideBrush = () => {
    brush.hidden = true;
    brushBar.hidden = true;
    pending = null;
  };
  const setBrush = (a: { x: number; y: number }, b: { x: number; y: number }) => {
    brush.hidden = false;
    const aggregate = frame?.mode === "aggregate";
    brush.style.left = `${Math.min(a.x, b.x)}px`;
    brush.style.width = `${Math.abs(b.x - a.x)}px`;
    brush.style.top = aggregate ? "0px" : `${Math.min(a.y, b.y)}px`;
    brush.style.height = aggregate ? `${PLOT_H}px` : `${Math.abs(b.y - a.y)}px`;
  };

  /** The ranges and rows a brushed rectangle (css px of the area) stands for. */
  const brushRegion = (
    a: { x: number; y: number },
    b: { x: number; y: number },
  ): { ranges: AxisRange[]; rows: () => Int32Array } | null => {
    const f = frame;
    if (!f) return null;
    const [x0, x1] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
    const [y0, y1] = [Math.min(a.y, b.y), Math.max(a.y, b.y)];
    if (f.mode === "aggregate") {
      const nb = f.summary.counts.length;
      const b0 = Math.max(0, Math.floor(f.xs.invert(x0)));
      const b1 = Math.min(nb - 1, Math.ceil(f.xs.invert(x1)) - 1);
      if (b1 < b0) return null;
      const spec = f.spec;
      const range: AxisRange =
        "edges" in spec
          ? {
              axis: f.x,
              lo: spec.edges[b0],
              hi: spec.edges[b1 + 1],
              span: spec.edges[nb] - spec.edges[0],
              integer: f.xInteger,
              upperOpen: b1 < nb - 1,
            }
          : { axis: f.x, lo: b0, hi: b1, span: nb, integer: false };
      const rows = () => {
        const out: number[] = [];
        for (let p = 0; p < f.rows.length; p++) if (f.summary.bin[p] >= b0 && f.summary.bin[p] <= b1) out.push(f.rows[p]);
        return Int32Array.from(out);
      };
      return { ranges: [range], rows };
    }
    const fullWidth = x0 <= 2 && x1 >= f.width - 2;
    const fullHeight = y0 <= 2 && y1 >= PLOT_H - 2;
    const toData = (axis: Axis, log: boolean, v: number) => (axis.kind === "number" && log ? 10 ** v : v);
    const ranges: AxisRange[] = [];
    const xr = [f.xs.invert(x0), f.xs.invert(x1)];
    const yr = [f.ys.invert(y1), f.ys.invert(y0)];
    const span = (s: Scale, axis: Axis, log: boolean) => Math.abs(toData(axis, log, s.domain[1]) - toData(axis, log, s.domain[0]));
    if (!fullWidth)
      ranges.push({
        axis: f.x,
        lo: toData(f.x, f.logX, xr[0]),
        hi: toData(f.x, f.logX, xr[1]),
        span: span(f.xs, f.x, f.logX),
        integer: f.xInteger,
      });
    if (!fullHeight)
      ranges.push({
        axis: f.y,
        lo: toData(f.y, f.logY, yr[0]),
        hi: toData(f.y, f.logY, yr[1]),
        span: span(f.ys, f.y, f.logY),
        integer: f.yInteger,
      });
    const rows = () => {
      const out: number[] = [];
      const { px, py } = f;
      if (!px || !py) return Int32Array.from(out);
      for (let p = 0; p < f.rows.length; p++) if (px[p] >= x0 && px[p] <= x1 && py[p] >= y0 && py[p] <= y1) out.push(f.rows[p]);
      return Int32Array.from(out);
    };
    return { ranges, rows };
  };

  const finishBrush = (a: { x: number; y: number }, b: { x: number; y: number }) => {
    const region = brushRegion(a, b);
    if (!region) return hideBrush();
    let outcome: BrushOutcome;
    if (!region.ranges.length)
      outcome = { kind: "note", note: "The region covers the whole plot: every row of the cohort is in it already." };
    else
      outcome = brushOutcome(
        region.ranges,
        store.activeCohort(),
        store.state.cohorts.map((c) => c.name),
        region.rows,
        data.dataset.columns.get("index")?.role === "special",
      );
    brushBar.hidden = false;
    if (outcome.kind === "note") {
      pending = null;
      makeButton.disabled = true;
      makeButton.textContent = outcome.note;
      makeButton.title = "";
      return;
    }
    pending = outcome.cohort;
    const count = store.maskOf(outcome.cohort).count;
    const scope =
      !outcome.byIndex && !(store.activeCohort().combine === "all" || store.activeCohort().filters.length <= 1)
        ? ` of all data: "${store.state.active}" ORs its filters`
        : "";
    makeButton.disabled = count === 0;
    makeButton.textContent = `Make cohort ${outcome.phrase} (${count.toLocaleString()} ${count === 1 ? "row" : "rows"}${scope})`;
    makeButton.title = `New cohort "${outcome.cohort.name}"`;
  };

  const nearest = (mx: number, my: number): number => {
    const f = frame;
    if (f?.mode !== "individual" || !f.px || !f.py) return -1;
    let best = -1;
    let bestD = 49;
    const { px, py } = f;
    for (let p = 0; p < px.length; p++) {
      const ddx = px[p] - mx;
      if (ddx > 7 || ddx < -7) continue;
      const d = ddx * ddx + (py[p] - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    return best;
  };

  const select = (e: PointerEvent, at: { x: number; y: number }) => {
    const p = nearest(at.x, at.y);
    if (p < 0 || frame?.mode !== "individual") return;
    const row = frame.rows[p];
    const picked = store.state.selected;
    const next = e.shiftKey ? (picked.includes(row) ? picked.filter((r) => r !== row) : [...picked, row]) : [row];
    store.update({ selected: next });
  };

  const hover = (e: MouseEvent) => {
    const f = frame;
    if (!f) return;
    const at = local(e);
    let text = "";
    let tx = at.x;
    let ty = at.y;
    if (f.mode === "individual") {
      const p = nearest(at.x, at.y);
      if (p >= 0 && f.px && f.py) {
        const i = f.rows[p];
        const parts = [`row ${i}`, `${f.x.short} = ${axisLabel(f.x, f.xv[i])}`, `${f.y.short} = ${axisLabel(f.y, f.yv[i])}`];
        if (f.colourAxis && f.colourValues && f.colourAxis.id !== f.x.id && f.colourAxis.id !== f.y.id)
          parts.push(`${f.colourAxis.short} = ${axisLabel(f.colourAxis, f.colourValues[i])}`);
        text = parts.join(" · ");
        tx = f.px[p];
        ty = f.py[p];
      }
    } else {
      const b = Math.floor(f.xs.invert(at.x));
      if (b >= 0 && b < f.summary.counts.length) {
        const where = `${f.x.short} ${binLabel(f.x, f.spec, b)}`;
        const n = `${f.summary.counts[b].toLocaleString()} rows`;
        const box = f.summary.boxes[b];
        text =
          f.stat === "count"
            ? `${where}: ${n}`
            : f.stat === "mean"
              ? `${where}: ${n}, mean ${f.y.short} ${fmt(f.summary.means[b], 4)}`
              : box?.n
                ? `${where}: ${n}; ${f.y.short} median ${fmt(box.median, 4)}, quartiles ${fmt(box.q1, 4)} – ${fmt(box.q3, 4)}, whiskers ${fmt(box.whiskerLow, 4)} – ${fmt(box.whiskerHigh, 4)}, min ${fmt(box.min, 4)}, max ${fmt(box.max, 4)}`
                : `${where}: ${n}, no ${f.y.short} value`;
      }
    }
    if (!text) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = text;
    tooltip.hidden = false;
    tooltip.style.left = `${Math.max(0, Math.min(tx + 10, f.width - 300))}px`;
    tooltip.style.top = `${Math.max(0, ty - 30)}px`;
  };

  area.addEventListener("pointerdown", (e: PointerEvent) => {
    if (!frame || e.button !== 0) return;
    e.preventDefault();
    dragFrom = local(e);
    area.setPointerCapture?.(e.pointerId);
    tooltip.hidden = true;
  });
  area.addEventListener("pointermove", (e: PointerEvent) => {
    if (dragFrom !== null) setBrush(dragFrom, local(e));
    else hover(e);
  });
  area.addEventListener("pointerup", (e: PointerEvent) => {
    if (dragFrom === null) return;
    const from = dragFrom;
    dragFrom = null;
    const to = local(e);
    if (Math.abs(to.x - from.x) < 3 && Math.abs(to.y - from.y) < 3) {
      hideBrush();
      select(e, to);
      return;
    }
    setBrush(from, to);
    finishBrush(from, to);
  });
  area.addEventListener("pointerleave", () => {
    tooltip.hidden = true;
  });
  clearBrush.addEventListener("click", hideBrush);
  makeButton.addEventListener("click", () => {
    const cohort = pending;
    if (!cohort) return;
    hideBrush();
    store.update({ cohorts: [...store.state.cohorts, cohort], active: cohort.name });
  });

  // Redraw at the new width when the notebook resizes (drawing only).
  let raf = 0;
  const ro =
    typeof ResizeObserver !== "undefined"
      ? new ResizeObserver(() => {
          cancelAnimationFrame(raf);
          raf = requestAnimationFrame(() => {
            if (frame && areaWidth() !== frame.width) {
              hideBrush();
              draw();
            }
          });
        })
      : null;
  ro?.observe(area);

  rebuild();
  return {
    el,
    update(changed) {
      if (changed.has("active")) onTop = null; // a newly active (e.g. just brushed) cohort goes on top
      if (changed.has("active") || changed.has("cohorts") || (changed.has("output") && settings.output === null)) rebuild();
      else if (changed.has("selected")) {
        const ctx = canvas.getContext("2d");
        if (frame?.mode === "individual" && image && ctx) {
          ctx.putImageData(image, 0, 0); // the points as painted, then the new rings
          paintSelection(ctx, canvas.width / frame.width || 1);
        } else paintSelection(null, 1);
      } else if (changed.has("tab") && frame && areaWidth() !== frame.width) draw();
    },
    destroy() {
      ro?.disconnect();
      cancelAnimationFrame(raf);
    },
  };
}
