// Dependence plot: a feature's value (x) against its SHAP value (y) for every row of the active
// cohort. Points go on one canvas in a few colour batches (fast for 100,000 rows); axes, labels,
// legend and the brush are DOM on top, so they follow the JupyterLab theme and stay text. A large explanation's
// plot draws its stratified sample: the legend, the x title and the brush's count say so (sampleLabels.ts).
import type { Cohort } from "../../core/cohorts";
import { fmt, h, option } from "../../core/dom";
import { canvasPng, exportControls, sceneToCanvas, sceneToSvg } from "../../core/export";
import type { View } from "../../core/view";
import { cohortBinNames, dependenceCsv, dependenceGroupOf, dependenceScene, outputSlug } from "../export";
import { defaultDependenceColor } from "../interactions";
import { sampledRows, sampleLegendItem, sampleScope } from "../sampleLabels";
import type { TabularState, TabularStore } from "../store";
import { dependenceAxis } from "../wording";
import { brushCohort, brushFilter, canRefine } from "./brush";
import { type Coloring, colorByCohort, colorByFeature, type LegendEntry, type SwatchEntry } from "./coloring";
import { computePoints, jitter, type Points } from "./points";
import { batches, paintPoints } from "./raster";
import { allWhole, linearScale, niceTicks, paddedExtent, type Scale } from "./scales";

const PLOT_H = 300; // css px of the points area
const MARGIN = { left: 56, right: 14, top: 10, bottom: 44 };
const MISSING_W = 40; // css px of the "missing" band at the left of the points area
const MISSING_GAP = 10;
const FALLBACK_W = 560; // when the element is not laid out (hidden tab, jsdom)

interface Frame {
  j: number;
  points: Points;
  coloring: Coloring;
  xs: Scale; // data -> css px inside the points area (main band)
  ys: Scale;
  width: number;
  hasMissing: boolean;
  xSpan: number;
  integer: boolean; // every x is a whole number
  px?: Float32Array; // css px of each point, from the last draw (for hover)
  py?: Float32Array;
}

export function createDependencePlot(store: TabularStore): View<TabularState> {
  const { data } = store;
  const names = data.meta.feature_names;
  let exportUi: ReturnType<typeof exportControls> | null = null; // set while the toolbar is built
  const featureSelect = h("select", { title: "Feature on the x axis" });
  featureSelect.append(option("", "choose a feature…"), ...names.map((n, j) => option(String(j), n)));
  const colorSelect = h("select", { title: "What colours the points" });
  colorSelect.append(option("cohort", "cohort"), ...names.map((n) => option(`feature:${n}`, n)));
  const legend = h("div", { cls: "rw-legend rw-dep-legend" });
  const message = h("div", { cls: "rw-empty rw-dep-message" });
  const yTitle = h("div", { cls: "rw-dep-ytitle" });
  const canvas = h("canvas", { cls: "rw-dep-canvas" });
  const grid = h("div", { cls: "rw-dep-grid" });
  const brush = h("div", { cls: "rw-dep-brush" });
  brush.hidden = true;
  const missingBand = h("div", { cls: "rw-dep-missing" });
  const tooltip = h("div", { cls: "rw-dep-tooltip" });
  tooltip.hidden = true;
  const area = h("div", { cls: "rw-dep-area", title: "Drag across to select a range of values" }, [
    missingBand,
    grid,
    canvas,
    brush,
    tooltip,
  ]);
  const yTicks = h("div", { cls: "rw-dep-yticks" });
  const xTicks = h("div", { cls: "rw-dep-xticks" });
  const xTitle = h("div", { cls: "rw-dep-xtitle" });
  const plot = h("div", { cls: "rw-dep-plot" }, [yTicks, area, xTicks, xTitle]);
  const makeButton = h("button", { cls: "rw-dep-make", attrs: { type: "button" } });
  const clearBrush = h("button", {
    cls: "rw-dep-clear",
    text: "×",
    title: "Clear the selected range",
    attrs: { type: "button", "aria-label": "clear range" },
  });
  const brushBar = h("div", { cls: "rw-dep-brushbar" }, [makeButton, clearBrush]);
  brushBar.hidden = true;
  const body = h("div", { cls: "rw-dep-body" }, [yTitle, legend, plot, brushBar]);
  const el = h("div", { cls: "rw-dep", testid: "dependence-plot" }, [
    h("div", { cls: "rw-toolbar" }, [
      h("label", { cls: "rw-control" }, [h("span", { text: "Dependence of" }), featureSelect]),
      h("label", { cls: "rw-control" }, [h("span", { text: "Colour by" }), colorSelect]),
      exportDependence(),
    ]),
    message,
    body,
  ]);
  plot.style.height = `${MARGIN.top + PLOT_H + MARGIN.bottom}px`;
  Object.assign(area.style, { left: `${MARGIN.left}px`, right: `${MARGIN.right}px`, top: `${MARGIN.top}px`, height: `${PLOT_H}px` });

  featureSelect.addEventListener("change", () =>
    store.update({ depFeature: featureSelect.value === "" ? null : Number(featureSelect.value) }),
  );
  // Until the user picks a colour here, it is the feature's strongest interaction partner when the kernel
  // computed the interactions (exp.interactions), else the cohorts: it follows the feature.
  let picked = store.state.depColor !== "cohort";
  colorSelect.addEventListener("change", () => {
    picked = true;
    store.update({ depColor: colorSelect.value === "cohort" ? "cohort" : colorSelect.value.slice(8) });
  });
  const followFeature = (): boolean => {
    const color = defaultDependenceColor(data, store.state.depFeature);
    if (picked || color === store.state.depColor) return false;
    store.update({ depColor: color }); // this view redraws on that update
    return true;
  };
  followFeature();

  let frame: Frame | null = null;
  let image: ImageData | null = null; // reused pixel buffer of the canvas
  let pending: { lo: number; hi: number; cohort: Cohort } | null = null;
  let onTop: string | null = null; // the cohort the user put on top of the others (legend click)

  // Export: the points of the active cohort as drawn (the frame), named by feature, cohort and output.
  function exportDependence(): HTMLElement {
    const stem = () => {
      const j = frame?.j ?? 0;
      return `dependence-${names[j]}-${store.state.active}-${outputSlug(data, store.state.output)}`;
    };
    const need = () => {
      if (!frame) throw new Error("choose a feature first");
      return frame;
    };
    const scene = () => {
      const f = need();
      const legend = f.coloring.legend.flatMap((e) => ("ramp" in e || e.hidden ? [] : [{ color: e.color, label: e.label }]));
      return dependenceScene(data, f.j, f.points, f.coloring, yTitle.textContent ?? "", xTitle.textContent ?? "", legend);
    };
    const csv = () => {
      const f = need();
      const bins = cohortBinNames(store.state.cohorts, store.dataset.allData, (c) => store.maskOf(c).error, "in no other cohort");
      const groupOf = dependenceGroupOf(data, f.points, f.coloring, store.state.depColor, bins);
      return dependenceCsv(data, f.j, f.points, f.coloring, groupOf, sampleScope(store, f.points.rows.length)?.kind ?? null);
    };
    const what = "the dependence plot";
    exportUi = exportControls(what, [
      { format: "png", what, fileName: stem, build: () => canvasPng(sceneToCanvas(scene())) },
      { format: "svg", what, fileName: stem, build: () => sceneToSvg(scene()) },
      { format: "csv", what: "the dependence plot's points", fileName: stem, build: csv },
    ]);
    return exportUi;
  }

  const areaWidth = () =>
    Math.max(120, Math.round(area.clientWidth || (el.clientWidth ? el.clientWidth - MARGIN.left - MARGIN.right : FALLBACK_W)));

  const showMessage = (text: string) => {
    message.textContent = text;
    body.hidden = text !== "" && frame === null;
    exportUi?.setEnabled(frame !== null);
  };

  /** Recompute the points (feature, cohort, output or colour changed), then draw. */
  const rebuild = () => {
    hideBrush();
    frame = null;
    const { state } = store;
    featureSelect.value = state.depFeature === null ? "" : String(state.depFeature);
    colorSelect.value = state.depColor === "cohort" || !names.includes(state.depColor) ? "cohort" : `feature:${state.depColor}`;
    const j = state.depFeature;
    if (j === null || j < 0 || j >= data.f) return showMessage("Click a bar to see how a feature's value drives its importance");
    const cohort = store.activeCohort();
    const res = store.maskOf(cohort);
    if (res.error) return showMessage(`Cohort "${cohort.name}" cannot be evaluated: ${res.error}`);
    if (res.count === 0)
      return showMessage(`No rows in cohort "${cohort.name}": edit its filters in the Cohorts tab, or pick another cohort.`);
    const points = computePoints(data, j, res.mask, (i) => store.outputFor(i));
    const colorJ = names.indexOf(state.depColor);
    const coloring =
      state.depColor !== "cohort" && colorJ >= 0
        ? colorByFeature(data, colorJ, points.rows)
        : colorByCohort(points.rows, state.cohorts, (c) => store.maskOf(c), store.dataset.allData, state.active, onTop);
    const kind = data.kinds[j];
    const nCat = kind === "numeric" ? 0 : Math.max(1, data.levels(j));
    const xDomain: [number, number] = kind === "numeric" ? paddedExtent(points.x) : [-0.5, nCat - 0.5];
    const yDomain = paddedExtent(points.y, 0.05, 0);
    const width = areaWidth();
    const hasMissing = points.missing > 0;
    const x0 = hasMissing ? MISSING_W + MISSING_GAP : 0;
    frame = {
      j,
      points,
      coloring,
      xs: linearScale(xDomain, [x0 + 4, width - 4]),
      ys: linearScale(yDomain, [PLOT_H, 0]),
      width,
      hasMissing,
      xSpan: xDomain[1] - xDomain[0],
      integer: kind === "numeric" && allWhole(points.x),
    };
    showMessage(points.missing === points.rows.length ? `Every row of "${cohort.name}" is missing ${names[j]}.` : "");
    body.hidden = false;
    drawLegend();
    draw();
  };

  const swatchItem = (e: SwatchEntry): HTMLElement => {
    const parts: Node[] = [
      e.hidden ? h("span", { cls: "rw-dep-noswatch" }) : h("span", { cls: "rw-swatch", attrs: { style: `background:${e.color}` } }),
      h("span", { text: e.label }, [e.hidden ? h("span", { cls: "rw-muted", text: `: ${e.hidden}` }) : null]),
    ];
    const drawnNote =
      e.drawn === undefined || e.inPlot === undefined
        ? ""
        : e.drawn === e.inPlot
          ? `${e.drawn.toLocaleString()} points`
          : `${e.drawn.toLocaleString()} of its ${e.inPlot.toLocaleString()} points in this colour, the others hidden under cohorts on top`;
    const attrs: Record<string, string> = { "data-color": e.color, "data-drawn": e.hidden ? "0" : String(e.drawn ?? "") };
    if (!e.cohort) return h("span", { cls: "rw-legend-item", title: drawnNote || undefined, attrs }, parts);
    const cohort = e.cohort;
    const item = h(
      "button",
      {
        cls: `rw-legend-item rw-dep-pick${e.onTop ? " rw-active" : ""}`,
        title: e.onTop ? `${drawnNote}; drawn on top` : `${drawnNote ? `${drawnNote}. ` : ""}Click to draw "${cohort}" on top`,
        attrs: { ...attrs, type: "button", "aria-pressed": String(!!e.onTop), "data-cohort": cohort },
      },
      parts,
    );
    item.addEventListener("click", () => {
      onTop = cohort;
      rebuild(); // redraws the legend: keep the keyboard focus on this cohort's new button
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
    const entries = frame.coloring.legend.filter((e) => e.label !== "");
    const pickable = entries.filter((e) => "cohort" in e && e.cohort).length;
    const items = entries.map(legendItem);
    // a large explanation: the points are the active cohort's rows in the sample
    const sample = sampleLegendItem(store, store.state.active, frame.points.rows.length);
    if (sample) items.unshift(sample);
    if (pickable > 1)
      items.push(
        h("span", {
          cls: "rw-muted rw-dep-legend-hint",
          text: "A point in several cohorts takes the colour of the one on top: click a cohort to put it there.",
        }),
      );
    legend.replaceChildren(...items);
  };

  /** Draw axes and points for the current frame at the current width. */
  const draw = () => {
    if (!frame) return;
    const t0 = performance.now();
    const width = areaWidth();
    if (width !== frame.width) {
      frame.width = width;
      frame.xs = linearScale(frame.xs.domain, [frame.xs.range[0], width - 4]);
    }
    const { points, coloring, xs, ys, j } = frame;
    const name = names[j];
    yTitle.textContent = dependenceAxis(data.meta, store.state.output, name);
    const drawnRows = points.rows.length;
    xTitle.textContent = `${name} (${sampledRows(store, drawnRows) ?? `${drawnRows.toLocaleString()} rows`} of "${store.state.active}")`;

    // Axes (DOM): y ticks with grid lines, x ticks or category labels, the missing band.
    const yt = niceTicks(ys.domain[0], ys.domain[1], 5);
    yTicks.replaceChildren(
      ...yt.map((v) => h("span", { cls: "rw-dep-tick", text: fmt(v), attrs: { style: `top:${MARGIN.top + ys(v)}px` } })),
    );
    grid.replaceChildren(
      ...yt.map((v) => h("span", { cls: `rw-dep-gridline${v === 0 ? " rw-dep-zero" : ""}`, attrs: { style: `top:${ys(v)}px` } })),
    );
    const kind = data.kinds[j];
    let xt: { v: number; label: string }[];
    if (kind === "numeric") {
      xt = niceTicks(xs.domain[0], xs.domain[1], Math.max(3, Math.floor(width / 80)), frame.integer).map((v) => ({ v, label: fmt(v) }));
    } else {
      const n = Math.round(xs.domain[1] + 0.5);
      const every = Math.max(1, Math.ceil((n * 70) / width)); // keep labels ~70px apart
      xt = [];
      for (let k = 0; k < n; k += every) xt.push({ v: k, label: data.featureLabel(j, k) });
    }
    const slot =
      kind === "numeric" ? 90 : Math.max(40, Math.min(160, (xs(1) - xs(0)) * Math.max(1, xt.length > 1 ? xt[1].v - xt[0].v : 1) - 4));
    const ticks = xt.map((t) =>
      h("span", {
        cls: "rw-dep-tick",
        text: t.label,
        title: t.label,
        attrs: { style: `left:${MARGIN.left + xs(t.v)}px;max-width:${slot}px` },
      }),
    );
    if (frame.hasMissing)
      ticks.push(
        h("span", { cls: "rw-dep-tick rw-dep-tick-missing", text: "missing", attrs: { style: `left:${MARGIN.left + MISSING_W / 2}px` } }),
      );
    xTicks.replaceChildren(...ticks);
    missingBand.hidden = !frame.hasMissing;
    missingBand.style.width = `${MISSING_W}px`;

    // Points (canvas): one pass to place them, then paint them in colour batches into one pixel buffer.
    const dpr = Math.max(1, (typeof window !== "undefined" && window.devicePixelRatio) || 1);
    const W = Math.round(width * dpr);
    const H = Math.round(PLOT_H * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${PLOT_H}px`;
    if (canvas.width !== W) canvas.width = W;
    if (canvas.height !== H) canvas.height = H;
    const ctx = canvas.getContext("2d");
    const n = points.rows.length;
    el.dataset.points = String(n);
    if (!ctx) return;
    const px = new Float32Array(n);
    const py = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      const xv = points.x[p];
      px[p] = Number.isNaN(xv) ? MISSING_W / 2 + (MISSING_W / 2 - 4) * jitter(points.rows[p]) : xs(xv);
      py[p] = ys(points.y[p]);
    }
    frame.px = px;
    frame.py = py;
    const size = Math.max(1, Math.round((n > 20000 ? 2 : n > 2000 ? 3 : 4) * dpr));
    const alpha = n > 5000 ? 0.55 : 0.85;
    if (!image || image.width !== W || image.height !== H) image = ctx.createImageData(W, H);
    else image.data.fill(0);
    const dx = new Float32Array(n);
    const dy = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      dx[p] = px[p] * dpr;
      dy[p] = py[p] * dpr;
    }
    const groups = batches(coloring.bins, coloring.palette.length);
    paintPoints(
      image.data,
      W,
      H,
      dx,
      dy,
      coloring.order.map((b) => groups[b]),
      coloring.order.map((b) => coloring.palette[b]),
      size,
      alpha,
    );
    ctx.putImageData(image, 0, 0);
    el.dataset.drawMs = (performance.now() - t0).toFixed(1);
  };

  // ---------------------------------------------------------------- brushing
  const hideBrush = () => {
    brush.hidden = true;
    brushBar.hidden = true;
    pending = null;
  };
  let dragFrom: number | null = null;
  const localX = (e: MouseEvent) => {
    const r = area.getBoundingClientRect();
    return Math.min(frame ? frame.width : FALLBACK_W, Math.max(0, e.clientX - r.left));
  };
  const setBrush = (a: number, b: number) => {
    brush.hidden = false;
    brush.style.left = `${Math.min(a, b)}px`;
    brush.style.width = `${Math.abs(b - a)}px`;
  };
  const finishBrush = (a: number, b: number) => {
    if (!frame) return;
    const lo = Math.max(Math.min(a, b), frame.xs.range[0] - 4);
    const hi = Math.max(a, b);
    if (hi - lo < 3) return hideBrush();
    setBrush(lo, hi);
    const j = frame.j;
    const pick = brushFilter(data, j, frame.xs.invert(lo), frame.xs.invert(hi), frame.xSpan, frame.integer);
    if (!pick) {
      brushBar.hidden = false;
      makeButton.disabled = true;
      makeButton.textContent = `No ${names[j]} value in the selected range`;
      return;
    }
    const active = store.activeCohort();
    const cohort = brushCohort(
      active,
      store.state.cohorts.map((c) => c.name),
      names[j],
      pick,
    );
    const count = store.maskOf(cohort).count;
    const scope = canRefine(active) ? "" : ` of all data: "${active.name}" ORs its filters`;
    pending = { lo, hi, cohort };
    makeButton.disabled = count === 0;
    makeButton.textContent = `Make cohort from ${names[j]} ${pick.phrase} (${sampledRows(store, count) ?? `${count.toLocaleString()} rows`}${scope})`;
    makeButton.title = `New cohort "${cohort.name}"`;
    brushBar.hidden = false;
  };
  area.addEventListener("pointerdown", (e: PointerEvent) => {
    if (!frame || e.button !== 0) return;
    e.preventDefault();
    dragFrom = localX(e);
    area.setPointerCapture?.(e.pointerId);
    tooltip.hidden = true;
  });
  area.addEventListener("pointermove", (e: PointerEvent) => {
    if (dragFrom !== null) setBrush(dragFrom, localX(e));
    else hover(e);
  });
  area.addEventListener("pointerup", (e: PointerEvent) => {
    if (dragFrom === null) return;
    const from = dragFrom;
    dragFrom = null;
    finishBrush(from, localX(e));
  });
  area.addEventListener("pointerleave", () => {
    tooltip.hidden = true;
  });
  clearBrush.addEventListener("click", hideBrush);
  makeButton.addEventListener("click", () => {
    if (!pending) return;
    const { cohort } = pending;
    hideBrush();
    store.update({ cohorts: [...store.state.cohorts, cohort], active: cohort.name });
  });

  // Hover: the nearest point within 6 px, as "row i: feature = x, value y".
  const hover = (e: MouseEvent) => {
    if (!frame?.px || !frame.py) return;
    const r = area.getBoundingClientRect();
    const mx = e.clientX - r.left;
    const my = e.clientY - r.top;
    let best = -1;
    let bestD = 36;
    const { px, py } = frame;
    for (let p = 0; p < px.length; p++) {
      const dx = px[p] - mx;
      if (dx > 6 || dx < -6) continue;
      const d = dx * dx + (py[p] - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    if (best < 0) {
      tooltip.hidden = true;
      return;
    }
    const row = frame.points.rows[best];
    const j = frame.j;
    tooltip.textContent = `row ${row}: ${names[j]} = ${data.featureLabel(j, data.feature(row, j))}, value ${fmt(frame.points.y[best])}`;
    tooltip.hidden = false;
    tooltip.style.left = `${Math.min(px[best] + 8, Math.max(0, frame.width - 220))}px`;
    tooltip.style.top = `${Math.max(0, py[best] - 28)}px`;
  };

  // Redraw at the new width when the notebook resizes (drawing only; points are kept).
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
      const keys: (keyof TabularState)[] = ["depFeature", "depColor", "active", "cohorts", "output"];
      if (changed.has("active")) onTop = null; // a newly active (e.g. just brushed) cohort goes on top
      if (changed.has("depFeature") && !changed.has("depColor") && followFeature()) return;
      if (keys.some((k) => changed.has(k))) rebuild();
      else if (changed.has("tab") && frame && areaWidth() !== frame.width) draw();
    },
    destroy() {
      ro?.disconnect();
      cancelAnimationFrame(raf);
    },
  };
}
