// ICE and partial dependence of the selected rows: one curve per row of the model's own output as one
// feature sweeps a grid (its own value marked by a dot), and the active cohort's mean curve (PDP), thick.
// The curves come from the kernel's "ice" job (store.kernel: request, progress, cancel, errors in the
// model's words); in an offline report, from what save_html precomputed (`ice_offline`). Lines go on a
// canvas; axes, legend and messages are DOM on top, so they follow the theme and stay text.
import "./ice.css";
import { fmt, h, option } from "../core/dom";
import { canvasPng, exportControls, sceneToCanvas, sceneToSvg } from "../core/export";
import type { JobStatus } from "../core/jobs";
import type { TabularView } from "./dashboard";
import { niceTicks } from "./dependence/scales";
import {
  curveAt,
  curveColor,
  DEFAULT_STEPS,
  decodeIce,
  decodeOffline,
  defaultFeature,
  type IceCurves,
  type IceParams,
  iceAxis,
  iceCsv,
  iceFileStem,
  iceOutput,
  iceRows,
  iceScales,
  iceScene,
  iceXTicks,
  MAX_CURVES,
  MAX_STEPS,
  MIN_STEPS,
  ownValue,
  parseRange,
  parseSteps,
  pdpLabel,
} from "./iceData";
import type { TabularStore } from "./store";
import { unitsPhrase } from "./wording";

const PLOT_H = 280; // css px of the curves' area
const MARGIN = { left: 56, right: 14, top: 10, bottom: 44 };
const FALLBACK_W = 560; // when the element is not laid out (hidden tab, jsdom)
const REQUEST_DELAY = 150; // ms: a shift-click range or quick edits make one request

export function createIcePlot(store: TabularStore): TabularView {
  const { data } = store;
  const names = data.meta.feature_names;
  const kernel = store.kernel;
  const live = kernel?.available === true;
  const offline = live ? null : decodeOffline(kernel?.offline?.("ice") ?? null);
  const offlineFeatures = offline?.features ?? [];
  const units = unitsPhrase(data.meta);

  const featureSelect = h("select", { title: "The feature whose values the curves sweep", testid: "ice-feature" });
  const featureList = live ? names.map((_, j) => j) : offlineFeatures.map((c) => names.indexOf(c.feature)).filter((j) => j >= 0);
  featureSelect.append(...featureList.map((j) => option(String(j), names[j])));
  const multiclass = data.meta.task === "classification" && data.k > 2;
  const classSelect = h("select", { title: "The class whose log-odds the curves show", testid: "ice-class" });
  classSelect.append(...data.meta.output_names.map((name, c) => option(String(c), name)));
  const loInput = h("input", { cls: "rw-ice-range", title: "Low end of the range (empty: the lowest value in X_train)", testid: "ice-lo" });
  const hiInput = h("input", {
    cls: "rw-ice-range",
    title: "High end of the range (empty: the highest value in X_train)",
    testid: "ice-hi",
  });
  for (const input of [loInput, hiInput]) Object.assign(input, { type: "number", step: "any" });
  const stepsInput = h("input", { cls: "rw-ice-steps", title: `Grid values from ${MIN_STEPS} to ${MAX_STEPS}`, testid: "ice-steps" });
  Object.assign(stepsInput, { type: "number", min: String(MIN_STEPS), max: String(MAX_STEPS), step: "1", value: String(DEFAULT_STEPS) });
  const rangeControl = h("span", { cls: "rw-control rw-ice-rangebox" }, [
    h("span", { text: "Range" }),
    loInput,
    h("span", { cls: "rw-muted", text: "to" }),
    hiInput,
  ]);
  const classControl = h("label", { cls: "rw-control" }, [h("span", { text: "Class" }), classSelect]);
  const stepsControl = h("label", { cls: "rw-control" }, [h("span", { text: "Steps" }), stepsInput]);
  classControl.hidden = !multiclass || !live;
  rangeControl.hidden = !live;
  stepsControl.hidden = !live;

  const statusText = h("span", { cls: "rw-ice-status-text", attrs: { role: "status" } });
  const cancelButton = h("button", { text: "Cancel", title: "Stop computing the curves", attrs: { type: "button" }, testid: "ice-cancel" });
  const retryButton = h("button", { text: "Compute again", attrs: { type: "button" }, testid: "ice-retry" });
  const progress = h("progress", { cls: "rw-ice-progress", attrs: { max: "1", "aria-label": "ICE progress" } });
  const statusLine = h("div", { cls: "rw-ice-status", testid: "ice-status" }, [progress, statusText, cancelButton, retryButton]);
  const message = h("div", { cls: "rw-empty rw-ice-message", testid: "ice-message" });
  const note = h("div", { cls: "rw-muted rw-ice-note" });
  const legend = h("div", { cls: "rw-legend rw-ice-legend", testid: "ice-legend" });
  const yTitle = h("div", { cls: "rw-dep-ytitle" });
  const canvas = h("canvas", { cls: "rw-dep-canvas" });
  const grid = h("div", { cls: "rw-dep-grid" });
  const tooltip = h("div", { cls: "rw-dep-tooltip" });
  tooltip.hidden = true;
  const area = h("div", { cls: "rw-dep-area rw-ice-area" }, [grid, canvas, tooltip]);
  const yTicks = h("div", { cls: "rw-dep-yticks" });
  const xTicks = h("div", { cls: "rw-dep-xticks" });
  const xTitle = h("div", { cls: "rw-dep-xtitle" });
  const plot = h("div", { cls: "rw-dep-plot" }, [yTicks, area, xTicks, xTitle]);
  const body = h("div", { cls: "rw-ice-body" }, [yTitle, legend, plot]);
  const exportUi = exportControls("the ICE plot", [
    { format: "png", what: "the ICE plot", fileName: () => iceFileStem(need()), build: () => canvasPng(sceneToCanvas(scene())) },
    { format: "svg", what: "the ICE plot", fileName: () => iceFileStem(need()), build: () => sceneToSvg(scene()) },
    { format: "csv", what: "the ICE curves", fileName: () => iceFileStem(need()), build: () => iceCsv(need(), units) },
  ]);
  const toolbar = h("div", { cls: "rw-toolbar" }, [
    h("label", { cls: "rw-control" }, [h("span", { text: "ICE of" }), featureSelect]),
    classControl,
    rangeControl,
    stepsControl,
    exportUi,
  ]);
  const el = h("section", { cls: "rw-section rw-ice", testid: "ice-plot" }, [
    h("h3", { text: "ICE and partial dependence" }),
    toolbar,
    statusLine,
    message,
    note,
    body,
  ]);
  plot.style.height = `${MARGIN.top + PLOT_H + MARGIN.bottom}px`;
  Object.assign(area.style, { left: `${MARGIN.left}px`, right: `${MARGIN.right}px`, top: `${MARGIN.top}px`, height: `${PLOT_H}px` });

  let feature: number | null = null; // the feature chosen (null: the default, the most important one)
  let shown: IceCurves | null = null; // what is drawn
  let lastId: number | null = null; // the request whose answer is awaited or drawn
  let asked = ""; // that request's params, so an unchanged state asks nothing again
  let timer: ReturnType<typeof setTimeout> | null = null;
  let px: { x: Float32Array; y: Float32Array } | null = null; // css px of every point, for hover

  function need(): IceCurves {
    if (!shown) throw new Error("there are no curves to save yet");
    return shown;
  }
  const scene = () => iceScene(need(), yTitle.textContent ?? "", xTitle.textContent ?? "");
  const currentFeature = (): number => {
    if (feature !== null && featureList.includes(feature)) return feature;
    const top = defaultFeature(store);
    return featureList.includes(top) ? top : (featureList[0] ?? 0);
  };

  // ---------------------------------------------------------------- what is shown
  const setBody = (curves: IceCurves | null) => {
    shown = curves;
    body.hidden = curves === null;
    exportUi.setEnabled(curves !== null);
    el.dataset.curves = String(curves ? curves.rows.length : 0);
    if (curves) {
      el.dataset.feature = curves.feature;
      drawLegend();
      draw();
    } else {
      delete el.dataset.feature;
      legend.replaceChildren();
    }
  };

  const showStatus = (s: JobStatus | null) => {
    const state = s?.state ?? "idle";
    el.dataset.state = state;
    statusLine.hidden = state === "idle" || state === "done";
    progress.hidden = state !== "running";
    cancelButton.hidden = state !== "running";
    retryButton.hidden = state !== "error" && state !== "cancelled";
    statusText.className = `rw-ice-status-text${state === "error" ? " rw-error" : ""}`;
    if (state === "running") {
      const share = s?.progress ?? 0;
      progress.value = share;
      statusText.textContent = `Computing the ICE curves in the kernel… ${Math.round(share * 100)}%`;
    } else if (state === "error") statusText.textContent = `Could not compute the ICE curves: ${s?.message ?? ""}`;
    else if (state === "cancelled") statusText.textContent = "Cancelled.";
    else statusText.textContent = "";
  };

  /** The state changed (selection, feature, cohort, grid): ask the kernel, or show what the report holds. */
  const refresh = (force = false) => {
    const j = currentFeature();
    featureSelect.value = String(j);
    const numeric = data.kinds[j] === "numeric";
    rangeControl.hidden = !live || !numeric;
    const rows = iceRows(store.state.selected, data.n);
    if (!live) return showOffline(j, rows);
    if (!rows.length) {
      message.textContent = "Select rows in the table to see their ICE curves: the model's output as one feature changes.";
      note.textContent = "";
      lastId = null;
      asked = "";
      showStatus(null);
      return setBody(null);
    }
    const steps = parseSteps(stepsInput.value);
    const { range, error } = parseRange(loInput.value, hiInput.value);
    const problem = steps === null ? `Steps must be a whole number from ${MIN_STEPS} to ${MAX_STEPS}.` : numeric ? error : "";
    if (problem) {
      message.textContent = problem;
      return;
    }
    message.textContent = "";
    const output = multiclass ? Number(classSelect.value) : iceOutput(store, rows);
    const params: IceParams = { rows, feature: names[j], steps: steps ?? DEFAULT_STEPS, range: numeric ? range : null, output };
    const key = JSON.stringify([params, store.state.active, store.activeCohort().filters]);
    if (key === asked && !force) return;
    asked = key;
    const more = store.state.selected.length > MAX_CURVES ? ` Showing the first ${MAX_CURVES} selected rows.` : "";
    note.textContent = `The model's own output (not the surrogate's), one curve per selected row; the dot is the row's own value.${more}`;
    lastId = kernel?.request("ice", params) ?? null;
    showStatus({ id: lastId ?? 0, state: "running", progress: 0, message: "" });
  };

  const schedule = (force = false) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      refresh(force);
    }, REQUEST_DELAY);
  };

  /** An offline report: the precomputed curves of feature j, for the selected rows among those precomputed. */
  function showOffline(j: number, selected: number[]) {
    showStatus(null);
    if (!offline || (!offline.features.length && !offline.error)) {
      message.textContent = `ICE ${kernel?.reason ?? "needs the model, in a running kernel"}`;
      note.textContent = "";
      return setBody(null);
    }
    if (offline.error) {
      message.textContent = `ICE curves could not be computed when this report was saved: ${offline.error}`;
      note.textContent = "";
      return setBody(null);
    }
    const all = offline.features.find((c) => c.feature === names[j]) ?? offline.features[0];
    const picked = selected.filter((r) => all.rows.includes(r));
    const keep = picked.length ? picked : all.rows;
    const at = keep.map((r) => all.rows.indexOf(r));
    const g = all.grid.length;
    const curves = new Float32Array(at.length * g);
    at.forEach((k, i) => {
      curves.set(all.curves.subarray(k * g, (k + 1) * g), i * g);
    });
    message.textContent = "";
    const which =
      picked.length || !selected.length
        ? ""
        : ` The selected rows were not among them: showing rows ${all.rows.join(", ")}. Select one of those in the table to see it alone.`;
    note.textContent = `${offline.note} Range and steps are fixed in a report (${g} values); open the notebook to change them.${which}`;
    // A binary classifier's two classes mirror each other: the other class's log-odds are minus these.
    const want = iceOutput(store, keep);
    const flip = data.meta.task === "classification" && data.k === 2 && want !== all.output ? -1 : 1;
    if (flip < 0)
      curves.forEach((v, i) => {
        curves[i] = -v;
      });
    setBody({
      ...all,
      output: flip < 0 ? want : all.output,
      rows: keep,
      curves,
      actual: at.map((k) => all.actual[k]),
      actualOutput: at.map((k) => flip * all.actualOutput[k]),
      pdp: all.pdp && flip < 0 ? all.pdp.map((v) => -v) : all.pdp,
    });
  }

  const onKernel = () => {
    if (!kernel || lastId === null) return;
    const s = kernel.status("ice");
    if (s.id === lastId) showStatus(s);
    const raw = kernel.result("ice");
    if (raw && raw.id === lastId && (!shown || raw !== drawnRaw)) {
      drawnRaw = raw;
      const curves = decodeIce(raw);
      if (curves) {
        showStatus({ ...s, state: "done" });
        if (curves.kind === "numeric") {
          loInput.placeholder = fmt(curves.grid[0], 4);
          hiInput.placeholder = fmt(curves.grid[curves.grid.length - 1], 4);
        }
        setBody(curves);
      }
    }
  };
  let drawnRaw: Record<string, unknown> | null = null;
  const unwatch = kernel && live ? kernel.watch("ice", onKernel) : null;

  // ---------------------------------------------------------------- drawing
  const legendSwatch = (color: string, thick: boolean) =>
    h("span", { cls: `rw-ice-swatch${thick ? " rw-ice-swatch-pdp" : ""}`, attrs: { style: `border-top-color:${color}` } });

  function drawLegend() {
    const c = shown;
    if (!c) return;
    const j = names.indexOf(c.feature);
    const items = c.rows.map((row, k) => {
      const values = Array.from({ length: c.grid.length }, (_, g) => String(Number(curveAt(c, k, g).toPrecision(7))));
      return h(
        "span",
        {
          cls: "rw-legend-item",
          testid: "ice-curve",
          title: `row ${row}: ${c.feature} = ${j >= 0 ? ownValue(data, row, j) : "?"}`,
          attrs: { "data-row": String(row), "data-values": values.join(","), "data-color": curveColor(k) },
        },
        [legendSwatch(curveColor(k), false), h("span", { text: `row ${row}` })],
      );
    });
    if (c.pdp)
      items.push(
        h("span", { cls: "rw-legend-item", testid: "ice-pdp", attrs: { "data-rows": String(c.pdpRows) } }, [
          legendSwatch("currentColor", true),
          h("span", { text: pdpLabel(c) }),
        ]),
      );
    items.push(h("span", { cls: "rw-muted rw-ice-legend-hint", text: "● the row's own value" }));
    legend.replaceChildren(...items);
  }

  const areaWidth = () =>
    Math.max(120, Math.round(area.clientWidth || (el.clientWidth ? el.clientWidth - MARGIN.left - MARGIN.right : FALLBACK_W)));

  function draw() {
    const c = shown;
    if (!c) return;
    const width = areaWidth();
    const { xs, ys, discrete } = iceScales(c, width, PLOT_H);
    yTitle.textContent = iceAxis(data.meta, c.output);
    xTitle.textContent =
      c.kind === "numeric"
        ? `${c.feature} (${c.grid.length} values from ${fmt(c.grid[0])} to ${fmt(c.grid[c.grid.length - 1])})`
        : `${c.feature} (${c.kind === "bool" ? "false, true" : `${c.grid.length} categories`})`;
    const yt = niceTicks(ys.domain[0], ys.domain[1], 5);
    yTicks.replaceChildren(
      ...yt.map((v) => h("span", { cls: "rw-dep-tick", text: fmt(v), attrs: { style: `top:${MARGIN.top + ys(v)}px` } })),
    );
    grid.replaceChildren(
      ...yt.map((v) => h("span", { cls: `rw-dep-gridline${v === 0 ? " rw-dep-zero" : ""}`, attrs: { style: `top:${ys(v)}px` } })),
    );
    const xt = iceXTicks(c, xs, width);
    const slot = discrete ? Math.max(40, Math.min(160, xs(1) - xs(0) - 4)) : 90;
    xTicks.replaceChildren(
      ...xt.map((t) =>
        h("span", {
          cls: "rw-dep-tick",
          text: t.label,
          title: t.label,
          attrs: { style: `left:${MARGIN.left + xs(t.v)}px;max-width:${slot}px` },
        }),
      ),
    );

    const dpr = Math.max(1, (typeof window !== "undefined" && window.devicePixelRatio) || 1);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${PLOT_H}px`;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(PLOT_H * dpr);
    const n = c.grid.length;
    const x = new Float32Array(c.rows.length * n);
    const y = new Float32Array(c.rows.length * n);
    for (let k = 0; k < c.rows.length; k++)
      for (let g = 0; g < n; g++) {
        x[k * n + g] = xs(c.grid[g]);
        y[k * n + g] = ys(curveAt(c, k, g));
      }
    px = { x, y };
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, PLOT_H);
    ctx.lineJoin = "round";
    const ink = (typeof getComputedStyle !== "undefined" && getComputedStyle(el).color) || "#1f1f1f";
    const path = (value: (g: number) => number, color: string, lineWidth: number) => {
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = lineWidth;
      ctx.beginPath();
      for (let g = 0; g < n; g++) {
        const X = xs(c.grid[g]);
        const Y = ys(value(g));
        if (g === 0) ctx.moveTo(X, Y);
        else ctx.lineTo(X, Y);
      }
      ctx.stroke();
      if (discrete || n === 1)
        for (let g = 0; g < n; g++) {
          ctx.beginPath();
          ctx.arc(xs(c.grid[g]), ys(value(g)), lineWidth > 2 ? 3.5 : 2.5, 0, 2 * Math.PI);
          ctx.fill();
        }
    };
    ctx.globalAlpha = c.rows.length > 12 ? 0.7 : 0.95;
    c.rows.forEach((_, k) => {
      path((g) => curveAt(c, k, g), curveColor(k), 1.5);
    });
    ctx.globalAlpha = 1;
    const pdp = c.pdp;
    if (pdp) path((g) => pdp[g], ink, 3.5);
    let dots = 0;
    c.rows.forEach((_, k) => {
      const v = c.actual[k];
      const out = c.actualOutput[k];
      if (v === null || v < xs.domain[0] || v > xs.domain[1] || !Number.isFinite(out)) return;
      ctx.beginPath();
      ctx.arc(xs(v), ys(out), 5, 0, 2 * Math.PI);
      ctx.fillStyle = curveColor(k);
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = ink;
      ctx.stroke();
      dots++;
    });
    el.dataset.dots = String(dots);
  }

  // Hover: the nearest point of a curve within 8 px, as "row i: feature = value -> output".
  area.addEventListener("pointermove", (e: PointerEvent) => {
    const c = shown;
    if (!c || !px) return;
    const r = area.getBoundingClientRect();
    const mx = e.clientX - r.left;
    const my = e.clientY - r.top;
    let best = -1;
    let bestD = 64;
    for (let p = 0; p < px.x.length; p++) {
      const d = (px.x[p] - mx) ** 2 + (px.y[p] - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    if (best < 0) {
      tooltip.hidden = true;
      return;
    }
    const n = c.grid.length;
    const k = Math.floor(best / n);
    const g = best % n;
    tooltip.textContent = `row ${c.rows[k]}: ${c.feature} = ${c.labels[g]} → ${fmt(curveAt(c, k, g))}`;
    tooltip.hidden = false;
    tooltip.style.left = `${Math.min(px.x[best] + 8, Math.max(0, areaWidth() - 220))}px`;
    tooltip.style.top = `${Math.max(0, px.y[best] - 28)}px`;
  });
  area.addEventListener("pointerleave", () => {
    tooltip.hidden = true;
  });

  // ---------------------------------------------------------------- controls
  featureSelect.addEventListener("change", () => {
    feature = Number(featureSelect.value);
    loInput.value = "";
    hiInput.value = "";
    loInput.placeholder = "";
    hiInput.placeholder = "";
    refresh();
  });
  classSelect.addEventListener("change", () => refresh());
  for (const input of [loInput, hiInput, stepsInput]) input.addEventListener("change", () => refresh());
  cancelButton.addEventListener("click", () => kernel?.cancel("ice"));
  retryButton.addEventListener("click", () => refresh(true));
  if (multiclass) classSelect.value = String(iceOutput(store, iceRows(store.state.selected, data.n)));

  const ro =
    typeof ResizeObserver !== "undefined"
      ? new ResizeObserver(() => {
          if (shown) draw();
        })
      : null;
  ro?.observe(area);

  showStatus(null);
  setBody(null);
  refresh();
  return {
    el,
    update(changed) {
      if (changed.has("output") && multiclass && store.state.output.kind === "output") classSelect.value = String(store.state.output.index);
      if (["selected", "active", "cohorts", "output"].some((k) => changed.has(k as never))) schedule();
      else if (changed.has("tab") && shown) draw();
    },
    destroy() {
      unwatch?.();
      ro?.disconnect();
      if (timer) clearTimeout(timer);
    },
  };
}
