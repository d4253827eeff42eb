// Past 500 lines on purpose: the brush, click, hover and redraw handlers share the current frame and
// axes; the pure parts (axes, bins, brush, frames, paint, legend, controls, export) are their own modules.
// Data explorer: any two of the explanation's columns, class probabilities and SHAP values against each
// other for the rows of the active cohort. Individual: every row a point on one canvas (paint.ts);
// aggregate: x binned by numpy's rules (bins.ts) with a count, mean or box of y per bin. A brushed region
// becomes a cohort (brush.ts), a click selects a row. What is drawn is a frame (frames.ts); this module
// holds the controls, the DOM over the canvas (axes, legend, tooltip, brush: text that follows the theme)
// and the wiring to the store. A large explanation's explorer draws its stratified sample: the legend, the
// x title and the brush's count say so (sampleLabels.ts).
import "./explorer.css";
import type { Cohort } from "../../core/cohorts";
import { h, SERIES_COLORS } from "../../core/dom";
import { canvasPng, exportControls, sceneToCanvas, sceneToSvg } from "../../core/export";
import type { TabularView } from "../dashboard";
import { colorByCohort } from "../dependence/coloring";
import { linearScale } from "../dependence/scales";
import { cohortBinNames } from "../export";
import { sampledRows, sampleLegendItem, sampleScope } from "../sampleLabels";
import type { TabularStore } from "../store";
import { towardPhrase, unitsPhrase } from "../wording";
import { type Axis, AxisValues, type ShapOutput, shapOutputOf } from "./axes";
import { type BrushOutcome, brushOutcome } from "./brush";
import { colorByAxis, colourGroupOf } from "./colour";
import { type ExplorerSettings, explorerControls } from "./controls";
import { binsCsv, plotScene, pointsCsv } from "./export";
import {
  binFrame,
  brushRegion,
  type Frame,
  hoverText,
  logRefusal,
  nearestPoint,
  PLOT_H,
  type Point2,
  scatterFrame,
  xTicksOf,
  yTicksOf,
} from "./frames";
import { legendItem, swatchItem } from "./legend";
import { paintBins, paintRings, paintScatter, pictureOf } from "./paint";

const MARGIN = { left: 60, right: 14, top: 10, bottom: 44 };
const FALLBACK_W = 620; // when the element is not laid out (hidden tab, jsdom)

/** A fresh explorer: the most important feature against the explained class's probability (or the prediction). */
export function defaultSettings(store: TabularStore, axes: AxisValues): ExplorerSettings {
  const { data } = store;
  const imp = store.importance(store.activeCohort());
  let top = 0;
  for (let j = 1; j < data.f; j++) if (imp[j] > imp[top]) top = j;
  const xId = `feature:${data.meta.feature_names[top]}`;
  const out = shapOutputOf(data, store.state.output);
  const yWanted = [out.kind === "output" ? `probability:${out.index}` : "confidence", "confidence", "y_pred", "index"];
  return {
    mode: "individual",
    x: axes.get(xId) ? xId : axes.axes[0].id,
    y: yWanted.find((id) => axes.get(id)) ?? axes.axes[0].id,
    colour: "cohort",
    logX: false,
    logY: false,
    bins: 10,
    stat: "count",
    output: null,
  };
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export function createDataExplorer(store: TabularStore): TabularView {
  const { data } = store;
  const axes = new AxisValues(data);
  let settings = defaultSettings(store, axes);
  let frame: Frame | null = null;
  let image: ImageData | null = null; // the scatter's pixels, kept to redraw the selection rings alone
  let onTop: string | null = null; // the cohort put on top by a legend click
  let pending: Cohort | null = null;
  let note = ""; // a refusal (log scale) shown until the next change
  let draws = 0;

  const controls = explorerControls(axes, data, (patch) => {
    settings = { ...settings, ...patch };
    note = "";
    rebuild();
  });

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
  const exportUi = exportExplorer();
  const el = h("section", { cls: "rw-section rw-ex", testid: "data-explorer" }, [
    h("div", { cls: "rw-toolbar rw-ex-toolbar" }, [...controls.items, exportUi]),
    noteLine,
    message,
    body,
  ]);
  plot.style.height = `${MARGIN.top + PLOT_H + MARGIN.bottom}px`;
  Object.assign(area.style, { top: `${MARGIN.top}px`, right: `${MARGIN.right}px`, height: `${PLOT_H}px` });

  const shapOutput = (): ShapOutput => settings.output ?? shapOutputOf(data, store.state.output);
  const axisTitle = (a: Axis): string => {
    if (!AxisValues.isShap(a)) return a.label;
    return `${a.label} ${towardPhrase(data.meta, shapOutput())} (${unitsPhrase(data.meta)})`;
  };

  // The active cohort's rows, kept while its mask (cached by the store per definition) is the same.
  let rowsCache: { mask: Uint8Array; rows: Int32Array } | null = null;
  const cohortRows = (mask: Uint8Array, count: number): Int32Array => {
    if (rowsCache?.mask === mask) return rowsCache.rows;
    const rows = new Int32Array(count);
    let p = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i]) rows[p++] = i;
    rowsCache = { mask, rows };
    return rows;
  };

  function exportExplorer() {
    const stem = () => {
      const f = frame;
      const what = f ? (f.mode === "individual" ? `${f.x.short}-vs-${f.y.short}` : `${f.x.short}-bins-${f.stat}`) : "points";
      return `data-explorer-${what}-${store.state.active}`;
    };
    const need = () => {
      if (!frame) throw new Error("nothing is drawn");
      return frame;
    };
    const legendOf = (f: Frame) =>
      f.mode === "individual"
        ? f.coloring.legend.flatMap((e) => ("ramp" in e || e.hidden ? [] : [{ color: e.color, label: e.label }]))
        : [{ color: f.colour, label: store.state.active }];
    const scene = () => {
      const f = need();
      return plotScene(pictureOf(f, xTitle.textContent ?? "", yTitle.textContent ?? "", legendOf(f)));
    };
    const csv = () => {
      const f = need();
      const on = sampleScope(store, f.rows.length)?.kind ?? null; // a large explanation: the sample's rows
      if (f.mode === "aggregate") return binsCsv(f.x, f.stat === "count" ? null : f.y, f.spec, f.summary, f.stat, on);
      const binNames = cohortBinNames(store.state.cohorts, store.dataset.allData, (c) => store.maskOf(c).error, "in no other cohort");
      const groupOf = colourGroupOf(f.coloring, binNames, f.colourAxis, f.colourValues, f.rows);
      const colourName = f.colourAxis ? `colour_${f.colourAxis.short}` : "colour_cohort";
      return pointsCsv(f.x, f.y, f.xv, f.yv, f.rows, f.coloring, groupOf, colourName, on);
    };
    const what = "the data explorer's chart";
    return exportControls(what, [
      { format: "png", what, fileName: stem, build: () => canvasPng(sceneToCanvas(scene())) },
      { format: "svg", what, fileName: stem, build: () => sceneToSvg(scene()) },
      { format: "csv", what: "the data explorer's figures", fileName: stem, build: csv },
    ]);
  }

  const areaWidth = () => {
    const left = Number.parseFloat(area.style.left) || MARGIN.left;
    return Math.max(160, Math.round(area.clientWidth || (el.clientWidth ? el.clientWidth - left - MARGIN.right : FALLBACK_W)));
  };

  const syncControls = () => {
    controls.sync(settings, shapOutput());
    noteLine.textContent = note;
  };

  const showMessage = (text: string) => {
    message.textContent = text;
    body.hidden = frame === null;
    exportUi.setEnabled(frame !== null);
    el.dataset.points = frame?.mode === "individual" ? String(frame.rows.length) : "";
  };

  /** A log scale the rows cannot take is turned off, with a note that says why. */
  const keepLog = (on: boolean, axis: Axis, values: Float32Array, rows: Int32Array): boolean => {
    if (!on) return false;
    const why = logRefusal(axis, values, rows);
    if (why) note = why;
    return why === null;
  };

  // ------------------------------------------------------------------ rebuild: the frame for the current settings
  const rebuild = () => {
    hideBrush();
    frame = null;
    const x = axes.get(settings.x);
    const y = axes.get(settings.y);
    const cohort = store.activeCohort();
    const res = store.maskOf(cohort);
    let empty = "";
    if (!x || !y) empty = "Choose what the x and y axes show.";
    else if (res.error) empty = `Cohort "${cohort.name}" cannot be evaluated: ${res.error}`;
    else if (!res.count) empty = `No rows in cohort "${cohort.name}": edit its filters in the Cohorts tab, or pick another cohort.`;
    if (!x || !y || empty) {
      syncControls();
      return showMessage(empty);
    }
    const rows = cohortRows(res.mask, res.count);
    const out = shapOutput();
    const xv = axes.values(x, out);
    const yv = axes.values(y, out);
    const width = areaWidth();
    if (settings.mode === "aggregate") {
      settings.logX = false;
      settings.logY = settings.stat !== "count" && keepLog(settings.logY, y, yv, rows);
      const s = store.state.cohorts.findIndex((c) => c.name === cohort.name);
      const colour = SERIES_COLORS[Math.max(0, s) % SERIES_COLORS.length]; // the cohort's colour in the importance chart
      frame = binFrame({ x, y, xv, yv, rows, bins: settings.bins, stat: settings.stat, logY: settings.logY, colour, width });
      const unbinned = frame.summary.unbinned;
      hint.textContent =
        "Drag across bins to make a cohort of their rows; hover a bin for its figures." +
        (unbinned ? ` ${plural(unbinned, "row", "rows")} of "${cohort.name}" with a missing ${x.short} in no bin.` : "");
    } else {
      settings.logX = keepLog(settings.logX, x, xv, rows);
      settings.logY = keepLog(settings.logY, y, yv, rows);
      const colourAxis = settings.colour === "cohort" ? null : (axes.get(settings.colour) ?? null);
      const colourValues = colourAxis ? axes.values(colourAxis, out) : null;
      const scatter = scatterFrame({
        x,
        y,
        xv,
        yv,
        rows,
        logX: settings.logX,
        logY: settings.logY,
        colourAxis,
        colourValues,
        colour: (plotted) =>
          colourAxis && colourValues
            ? colorByAxis(colourAxis, colourValues, plotted)
            : colorByCohort(plotted, store.state.cohorts, (c) => store.maskOf(c), store.dataset.allData, store.state.active, onTop),
        width,
      });
      frame = scatter;
      if (!scatter) {
        syncControls();
        return showMessage(`Every row of "${cohort.name}" is missing ${x.short} or ${y.short}.`);
      }
      const d = scatter.dropped;
      hint.textContent =
        "Drag a rectangle to make a cohort of its rows (across the full height: x only; the full width: y only); click a point to select its row." +
        (d
          ? ` ${plural(d, "row", "rows")} of "${cohort.name}" with a missing${settings.logX || settings.logY ? " or non-positive" : ""} value not drawn.`
          : "");
    }
    syncControls();
    showMessage("");
    drawLegend();
    draw();
  };

  const pickOnTop = (cohort: string) => {
    onTop = cohort;
    rebuild(); // redraws the legend: keep the keyboard focus on this cohort's new button
    Array.from(legend.querySelectorAll<HTMLElement>(".rw-dep-pick"))
      .find((b) => b.dataset.cohort === cohort)
      ?.focus();
  };

  const drawLegend = () => {
    if (!frame) return;
    // a large explanation: what is drawn is the active cohort's rows in the sample
    const sample = sampleLegendItem(store, store.state.active, frame.rows.length);
    const scope = sample ? [sample] : [];
    if (frame.mode === "individual") {
      legend.replaceChildren(...scope, ...frame.coloring.legend.filter((e) => e.label !== "").map((e) => legendItem(e, pickOnTop)));
      return;
    }
    const y = frame.y.short;
    const what = frame.stat === "count" ? "rows per bin" : frame.stat === "mean" ? `mean of ${y} per bin` : `box of ${y} per bin`;
    const items = [swatchItem({ color: frame.colour, label: `"${store.state.active}": ${what}` }, pickOnTop)];
    if (frame.stat === "box")
      items.push(
        h("span", { cls: "rw-muted rw-dep-legend-hint", text: "Box: quartiles and median; whiskers: the furthest values within 1.5 IQR." }),
      );
    legend.replaceChildren(...scope, ...items);
  };

  // ------------------------------------------------------------------ drawing
  /** Room at the left for the widest y tick label (a category's name can be long), up to 160 px. */
  const setMargin = (labels: string[]) => {
    const widest = labels.reduce((w, l) => Math.max(w, l.length), 0);
    const left = Math.round(Math.min(160, Math.max(MARGIN.left, 14 + widest * 6.5)));
    area.style.left = `${left}px`;
    xTitle.style.left = `${left}px`;
    return left;
  };

  const draw = () => {
    if (!frame) return;
    const t0 = performance.now();
    const f = frame;
    const yt = yTicksOf(f);
    const left = setMargin(yt.map((t) => t.label));
    const width = areaWidth();
    if (width !== f.width) {
      // the notebook was resized: the same domain over the new width
      f.width = width;
      f.xs = linearScale(f.xs.domain, [f.xs.range[0], width - f.xs.range[0]]);
    }
    const g = f;
    const cohortName = store.state.active;
    const aggregate = g.mode === "aggregate";
    yTitle.textContent = aggregate
      ? g.stat === "count"
        ? "y: rows per bin"
        : `y: ${axisTitle(g.y)}, ${g.stat === "mean" ? "mean" : "box"} per bin`
      : `y: ${axisTitle(g.y)}`;
    const n = aggregate ? g.rows.length - g.summary.unbinned : g.rows.length;
    xTitle.textContent = `x: ${axisTitle(g.x)} (${sampledRows(store, n) ?? plural(n, "row", "rows")} of "${cohortName}")`;
    yTicks.replaceChildren(
      ...yt.map((t) =>
        h("span", {
          cls: "rw-dep-tick",
          text: t.label,
          title: t.label,
          attrs: { style: `top:${MARGIN.top + g.ys(t.v)}px;width:${left - 8}px` },
        }),
      ),
    );
    grid.replaceChildren(...yt.map((t) => h("span", { cls: "rw-dep-gridline", attrs: { style: `top:${g.ys(t.v)}px` } })));
    const xt = xTicksOf(g);
    const slot = xt.length > 1 ? Math.max(40, Math.min(160, Math.abs(g.xs(xt[1].v) - g.xs(xt[0].v)) - 6)) : 160;
    xTicks.replaceChildren(
      ...xt.map((t) =>
        h("span", {
          cls: "rw-dep-tick",
          text: t.label,
          title: t.label,
          attrs: { style: `left:${left + g.xs(t.v)}px;max-width:${slot}px` },
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
    el.dataset.mode = g.mode;
    const ctx = canvas.getContext("2d");
    if (ctx) {
      if (g.mode === "individual") image = paintScatter(ctx, g, W, H, dpr, image);
      else paintBins(ctx, g, W, H, dpr);
      paintRings(ctx, g, store.state.selected, dpr);
    }
    showSelection();
    el.dataset.drawMs = (performance.now() - t0).toFixed(1);
    el.dataset.draws = String(++draws); // tests and bench/explorer.py wait for the next draw
  };

  const showSelection = () => {
    const picked = store.state.selected;
    selection.textContent = picked.length
      ? `Selected: ${picked.length === 1 ? `row ${picked[0]}` : plural(picked.length, "row", "rows")} (see the Individual rows tab). Shift-click adds or removes a row.`
      : "";
  };

  // ------------------------------------------------------------------ pointer: brush, click, hover
  let dragFrom: Point2 | null = null;
  const local = (e: MouseEvent): Point2 => {
    const r = area.getBoundingClientRect();
    const w = frame ? frame.width : FALLBACK_W;
    return { x: Math.min(w, Math.max(0, e.clientX - r.left)), y: Math.min(PLOT_H, Math.max(0, e.clientY - r.top)) };
  };
  function hideBrush() {
    brush.hidden = true;
    brushBar.hidden = true;
    pending = null;
  }
  const setBrush = (a: Point2, b: Point2) => {
    const aggregate = frame?.mode === "aggregate"; // bins are brushed along x only
    brush.hidden = false;
    brush.style.left = `${Math.min(a.x, b.x)}px`;
    brush.style.width = `${Math.abs(b.x - a.x)}px`;
    brush.style.top = aggregate ? "0px" : `${Math.min(a.y, b.y)}px`;
    brush.style.height = aggregate ? `${PLOT_H}px` : `${Math.abs(b.y - a.y)}px`;
  };

  const finishBrush = (a: Point2, b: Point2) => {
    const region = frame && brushRegion(frame, a, b);
    if (!region) return hideBrush();
    const active = store.activeCohort();
    const outcome: BrushOutcome = region.ranges.length
      ? brushOutcome(
          region.ranges,
          active,
          store.state.cohorts.map((c) => c.name),
          region.rows,
          data.dataset.columns.get("index")?.role === "special",
        )
      : { kind: "note", note: "The region covers the whole plot: every row of the cohort is in it already." };
    brushBar.hidden = false;
    if (outcome.kind === "note") {
      pending = null;
      makeButton.disabled = true;
      makeButton.textContent = outcome.note;
      makeButton.removeAttribute("title");
      return;
    }
    pending = outcome.cohort;
    const count = store.maskOf(outcome.cohort).count;
    const ors = !outcome.byIndex && !(active.combine === "all" || active.filters.length <= 1);
    const scope = ors ? ` of all data: "${active.name}" ORs its filters` : "";
    makeButton.disabled = count === 0;
    // a list of rows already says how many it holds
    makeButton.textContent = outcome.byIndex
      ? `Make cohort of the ${outcome.phrase}`
      : `Make cohort ${outcome.phrase} (${sampledRows(store, count) ?? plural(count, "row", "rows")}${scope})`;
    makeButton.title = `New cohort "${outcome.cohort.name}"`;
  };

  const selectAt = (e: PointerEvent, at: Point2) => {
    if (frame?.mode !== "individual") return;
    const p = nearestPoint(frame, at.x, at.y);
    if (p < 0) return;
    const row = frame.rows[p];
    const picked = store.state.selected;
    const next = e.shiftKey ? (picked.includes(row) ? picked.filter((r) => r !== row) : [...picked, row]) : [row];
    store.update({ selected: next });
  };

  const hover = (e: MouseEvent) => {
    const tip = frame && hoverText(frame, local(e));
    if (!frame || !tip) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = tip.text;
    tooltip.hidden = false;
    tooltip.style.left = `${Math.max(0, Math.min(tip.x + 10, frame.width - 300))}px`;
    tooltip.style.top = `${Math.max(0, tip.y - 30)}px`;
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
      hideBrush(); // a click, not a drag
      selectAt(e, to);
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
            // hidden (another tab, JupyterLab swapping themes): keep the drawing, not one at a guessed width
            if (frame && area.clientWidth > 0 && areaWidth() !== frame.width) {
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
          paintRings(ctx, frame, store.state.selected, canvas.width / frame.width || 1);
        }
        showSelection();
      } else if (changed.has("tab") && frame && areaWidth() !== frame.width) draw();
    },
    destroy() {
      ro?.disconnect();
      cancelAnimationFrame(raf);
    },
  };
}
