// Past 500 lines on purpose: the controls, the readout's keyboard walk and the progressive draw share one
// state (mode, cells, the pending parts), which splitting would pass around as a bag of closures.
// Distribution of local importances: per feature (the importance chart's, in its order) the SHAP values
// of every row as a box, a violin or a beeswarm, per cohort side by side in the importance chart's
// colours (the beeswarm: the active cohort, coloured by the feature's value, as shap draws it). Shapes on
// one canvas at devicePixelRatio (beeswarm dots written into an ImageData); labels, ticks, grid and the
// readout are DOM, so they follow the JupyterLab theme and stay text. A large explanation's chart is its
// stratified sample's: the legend and the readout say "sample of n" (sampleLabels.ts).
import "./distribution.css";
import { markCohortSize } from "../../core/cohortSize";
import { fmt, h, option, SERIES_COLORS } from "../../core/dom";
import { exportControls, sceneToSvg, textWidth } from "../../core/export";
import type { View } from "../../core/view";
import { GREY, RAMP_HIGH, RAMP_LOW, rampColor } from "../dependence/coloring";
import { niceTicks } from "../dependence/scales";
import { outputSlug } from "../export";
import { sampleChip, sampleLegendItem, sampleNote, sampleText } from "../sampleLabels";
import { outputLabel } from "../stats";
import type { TabularState, TabularStore } from "../store";
import { countRows, towardPhrase, unitsPhrase } from "../wording";
import { type Cell, CellCache, chartFeatures, chartSeries, RAMP_STEPS, type Series } from "./cells";
import { type Layout, layoutChart, type Mode, packedPalette, paintBoxes, paintSwarmBand, paintViolins, type Slot } from "./draw";
import { distributionCsv, distributionPng, distributionScene, sceneTextOf } from "./export";

const MODES: [Mode, string][] = [
  ["box", "Box"],
  ["violin", "Violin"],
  ["beeswarm", "Beeswarm"],
];
const FALLBACK_W = 640; // when the element is not laid out (hidden tab, jsdom)
const RIGHT = 14;
const PALETTE = [GREY, ...Array.from({ length: RAMP_STEPS }, (_, k) => rampColor(k / (RAMP_STEPS - 1)))];
const PACKED = packedPalette(PALETTE);
// A first draw over millions of values (boxes and violins computing their figures, a beeswarm its
// layers and colours) is painted feature by feature within this many ms per frame, the rest in the
// frames after, so the page never blocks for more than a frame; data-complete says when all is painted.
const FRAME_BUDGET_MS = 45;
const PROGRESSIVE_VALUES = 300_000; // below this many dots (boxes, violins: values still to compute) painted in one go

/** The figures of one feature x cohort, as the readout and the hover say them; `sample` (a large explanation's
 *  "sample of n") in place of the count when the values are the stratified sample's. */
export function figuresText(feature: string, cohort: string, slot: Slot, noSpread: boolean, sample: string | null = null): string {
  const b = slot.cell.box;
  if (!b.n) return `${feature} · ${cohort}: no rows`;
  const parts = [
    sample ?? `${countRows(b.n)}`,
    `min ${fmt(b.min)}`,
    `whiskers ${fmt(b.whiskerLow)} to ${fmt(b.whiskerHigh)}`,
    `Q1 ${fmt(b.q1)}`,
    `median ${fmt(b.median)}`,
    `Q3 ${fmt(b.q3)}`,
    `max ${fmt(b.max)}`,
    `mean ${fmt(b.mean)}`,
  ];
  const note = noSpread ? (b.n === 1 ? " (one value: drawn as a line)" : " (every value the same: drawn as a line, no density)") : "";
  return `${feature} · ${cohort}: ${parts.join(" · ")}${note}`;
}

export function createImportanceDistribution(store: TabularStore): View<TabularState> {
  const { data } = store;
  const names = data.meta.feature_names;
  const cache = new CellCache(store);
  let mode: Mode = "box";
  let layout: Layout | null = null;
  let image: ImageData | null = null; // the beeswarm's pixel buffer, reused while the size stays
  let cursor = -1; // index into the layout's slots (keyboard and hover)
  let exportUi: ReturnType<typeof exportControls> | null = null;
  let pendingFrame = 0; // the animation frame painting the beeswarm's remaining features
  let pendingTask: ReturnType<typeof setTimeout> | undefined;

  const modeButtons = MODES.map(([m, label]) => {
    const b = h("button", {
      cls: "rw-segment rw-dist-mode",
      text: label,
      attrs: { type: "button", "aria-pressed": String(m === mode), "data-mode": m },
    });
    b.addEventListener("click", () => setMode(m));
    return b;
  });
  const cohortSelect = h("select", { title: "The cohort the beeswarm shows (the active cohort)" });
  const cohortControl = h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), cohortSelect]);
  const caption = h("div", { cls: "rw-axis rw-dist-caption" });
  const legend = h("div", { cls: "rw-legend rw-dist-legend" });
  const message = h("div", { cls: "rw-empty rw-dist-message" });
  const labels = h("div", { cls: "rw-dist-labels" });
  const grid = h("div", { cls: "rw-dist-grid" });
  const canvas = h("canvas", { cls: "rw-dist-canvas" });
  const highlight = h("div", { cls: "rw-dist-highlight" });
  highlight.hidden = true;
  const area = h(
    "div",
    {
      cls: "rw-dist-area",
      attrs: {
        tabindex: "0",
        role: "group",
        "aria-label": "Distribution chart: arrow keys move between features and cohorts, Enter opens the feature's dependence plot",
      },
    },
    [grid, highlight, canvas],
  );
  const xTicks = h("div", { cls: "rw-dist-xticks" });
  const xTitle = h("div", { cls: "rw-dist-xtitle" });
  const plot = h("div", { cls: "rw-dist-plot" }, [labels, area, xTicks, xTitle]);
  const readout = h("div", { cls: "rw-dist-readout rw-muted", testid: "distribution-readout", attrs: { role: "status" } });
  const body = h("div", { cls: "rw-dist-body" }, [plot, readout]);
  const el = h("div", { cls: "rw-dist", testid: "importance-distribution" }, [
    h("div", { cls: "rw-toolbar" }, [
      h("div", { cls: "rw-control rw-segmented rw-dist-modes", attrs: { role: "group", "aria-label": "Chart type" } }, [
        h("span", { text: "Distribution" }),
        ...modeButtons,
      ]),
      cohortControl,
      exportDistribution(),
    ]),
    caption,
    legend,
    message,
    body,
  ]);
  cohortSelect.addEventListener("change", () => store.update({ active: cohortSelect.value }));

  function setMode(m: Mode) {
    if (m === mode) return;
    mode = m;
    const focused = modeButtons.find((b) => b === document.activeElement);
    draw();
    focused?.focus();
  }

  function exportDistribution(): HTMLElement {
    const stem = () => `distribution-${mode}-${outputSlug(data, store.state.output)}`;
    const need = () => {
      if (!layout) throw new Error("nothing is drawn");
      return layout;
    };
    // a large explanation's file says, as the chart does, that its shapes are the stratified sample's
    const fileCaption = () => [caption.textContent ?? "", sampleNote(store)].filter(Boolean).join(" ");
    const sceneText = () => sceneTextOf(need(), fileCaption(), xTitle.textContent ?? "", PALETTE, (n) => sampleText(store, n));
    const png = () => distributionPng(data, need(), cache, sceneText(), PALETTE, PACKED);
    const what = "the distribution chart";
    exportUi = exportControls(what, [
      { format: "png", what, fileName: stem, build: png },
      { format: "svg", what, fileName: stem, build: () => sceneToSvg(distributionScene(data, need(), cache, sceneText(), PALETTE).scene) },
      {
        format: "csv",
        what: "the distribution figures per feature and cohort",
        fileName: stem,
        build: () => distributionCsv(data, need(), outputLabel(data, store.state.output), sampleNote(store) !== null),
      },
    ]);
    return exportUi;
  }

  /** The widest feature label as the page lays it out (its font is JupyterLab's), else an estimate; at most 240 px. */
  const labelWidth = (features: number[]) => {
    const probe = h("span", { cls: "rw-dist-label rw-dist-probe" });
    labels.appendChild(probe);
    let widest = 0;
    for (const j of features) {
      probe.textContent = names[j];
      widest = Math.max(widest, probe.offsetWidth);
    }
    probe.remove();
    if (!widest) widest = Math.max(...features.map((j) => textWidth(names[j], 13)));
    return Math.ceil(Math.min(240, Math.max(60, widest))) + 16;
  };
  const areaWidth = (labelW: number) => Math.max(160, Math.round((el.clientWidth || FALLBACK_W + labelW + RIGHT) - labelW - RIGHT));

  const captionText = (): string => {
    const { meta } = data;
    const o = store.state.output;
    const units = unitsPhrase(meta);
    const per =
      mode === "beeswarm"
        ? `one dot per row of "${store.state.active}", coloured by the feature's value`
        : `one ${mode} per cohort, side by side`;
    let text = `SHAP value of each feature ${towardPhrase(meta, o)}, in ${units}: ${per}.`;
    if (o.kind === "average")
      text +=
        meta.task === "classification"
          ? " Signed values do not average over classes: each row is shown toward its own predicted class."
          : " Signed values do not average over outputs: the first output is shown.";
    return text;
  };

  /** The series drawn: every cohort of the importance chart with rows, or the active cohort alone (beeswarm). */
  const drawnSeries = (all: Series[]): Series[] => {
    if (mode !== "beeswarm") return all.filter((s) => s.count > 0);
    const active = store.activeCohort();
    const found = all.find((s) => s.cohort.name === active.name);
    if (found) return found.count ? [found] : [];
    const res = store.maskOf(active);
    const index = store.state.cohorts.indexOf(active);
    const rows = new Int32Array(res.count);
    for (let i = 0, m = 0; i < res.mask.length; i++) if (res.mask[i]) rows[m++] = i;
    return res.count
      ? [{ cohort: active, color: SERIES_COLORS[index % SERIES_COLORS.length], count: res.count, error: res.error, rows }]
      : [];
  };

  const showMessage = (text: string, nothing: boolean) => {
    message.textContent = text;
    body.hidden = nothing;
    exportUi?.setEnabled(!nothing);
    if (nothing) {
      layout = null;
      el.dataset.complete = "true";
      el.dataset.features = "[]";
      el.dataset.cohorts = "[]";
      canvas.dataset.points = "0";
      canvas.dataset.shapes = "0";
    }
  };

  const drawLegend = (all: Series[]) => {
    if (mode === "beeswarm") {
      const items: Node[] = [
        h("span", { cls: "rw-legend-item" }, [
          h("span", { cls: "rw-muted", text: "Feature value: low" }),
          h("span", {
            cls: "rw-dist-ramp",
            attrs: { style: `background:linear-gradient(to right,${RAMP_LOW},${RAMP_HIGH})`, "aria-hidden": "true" },
          }),
          h("span", { cls: "rw-muted", text: "high" }),
        ]),
        h("span", { cls: "rw-legend-item" }, [
          h("span", { cls: "rw-swatch", attrs: { style: `background:${GREY}` } }),
          h("span", { cls: "rw-muted", text: "missing" }),
        ]),
        h("span", {
          cls: "rw-muted rw-dist-hint",
          text: "Categories by their order (first low, last high); true high, false low.",
        }),
      ];
      // a large explanation: the dots are the active cohort's rows in the sample
      const active = store.activeCohort();
      const sample = sampleLegendItem(store, active.name, store.maskOf(active).count);
      if (sample) items.unshift(sample);
      legend.replaceChildren(...items);
      return;
    }
    legend.replaceChildren(
      ...all.map((s) => {
        // a large explanation's shapes are drawn from the sample: its label stands in place of the count
        const chip = s.count && !s.error ? sampleChip(store, s.count) : null;
        const note = s.error ? "cannot be evaluated" : s.count ? countRows(s.count) : "no rows: not drawn";
        const item = h("span", { cls: `rw-legend-item${s.cohort.name === store.state.active ? " rw-active" : ""}` }, [
          // a swatch only for what is drawn (an empty cohort gets a dashed outline, as in the dependence legend)
          s.count ? h("span", { cls: "rw-swatch", attrs: { style: `background:${s.color}` } }) : h("span", { cls: "rw-dep-noswatch" }),
          h("span", { text: s.cohort.name }),
          chip ?? h("span", { cls: "rw-muted", text: ` ${note}` }),
        ]);
        return markCohortSize(item, s.cohort.name, s);
      }),
      h("span", {
        cls: "rw-muted rw-dist-hint",
        text:
          mode === "box"
            ? "Box: Q1 to Q3; line: median; diamond: mean; whiskers: furthest values within 1.5 IQR; dots: beyond them."
            : "Width: density of the values (Gaussian kernel, Scott's bandwidth); bar: Q1 to Q3; dot: median.",
      }),
    );
  };

  /** Recompute what is drawn (cohorts, features, output, mode or width changed) and draw it. */
  function draw() {
    const t0 = performance.now();
    if (pendingFrame) cancelAnimationFrame(pendingFrame);
    clearTimeout(pendingTask);
    pendingFrame = 0;
    const { state } = store;
    for (const b of modeButtons) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    cohortControl.hidden = mode !== "beeswarm";
    cohortSelect.replaceChildren(...state.cohorts.map((c) => option(c.name, c.name, c.name === state.active)));
    el.dataset.mode = mode;
    caption.textContent = captionText();
    const all = chartSeries(store);
    drawLegend(all);
    const series = drawnSeries(all);
    const features = chartFeatures(store, all);
    if (mode === "beeswarm" && !series.length) {
      const active = store.activeCohort();
      const res = store.maskOf(active);
      return showMessage(
        res.error
          ? `Cohort "${active.name}" cannot be evaluated: ${res.error}`
          : `No rows in cohort "${active.name}": the beeswarm shows the active cohort; pick one with rows.`,
        true,
      );
    }
    if (!series.length || !features.length) return showMessage("No rows in any cohort: edit their filters in the Cohorts tab.", true);
    const notes = mode === "beeswarm" ? [] : all.filter((s) => s.count === 0);
    showMessage(
      notes
        .map((s) =>
          s.error
            ? `Cohort "${s.cohort.name}" cannot be evaluated: ${s.error}`
            : `No rows in cohort "${s.cohort.name}": nothing is drawn for it.`,
        )
        .join(" "),
      false,
    );

    const labelW = labelWidth(features);
    const width = areaWidth(labelW);
    for (const s of series) cache.prepare(s, features); // one pass over each cohort's rows for what is missing
    const l = layoutChart(mode, features, series, (s, j) => cache.cell(s, j), width);
    layout = l;
    el.dataset.features = JSON.stringify(features.map((j) => names[j]));
    el.dataset.cohorts = JSON.stringify(series.map((s) => s.cohort.name));
    plot.style.height = `${l.height + 46}px`;
    Object.assign(area.style, { left: `${labelW}px`, width: `${width}px`, height: `${l.height}px` });
    xTitle.style.left = `${labelW}px`;
    xTitle.style.width = `${width}px`;
    xTitle.textContent = `SHAP value ${towardPhrase(data.meta, state.output)} (${unitsPhrase(data.meta)})`;

    // feature labels (DOM), centred on their bands; the dependence plot's feature is marked
    labels.style.width = `${labelW - 8}px`;
    labels.replaceChildren(
      ...l.bands.map((b) => {
        const label = h("span", {
          cls: `rw-dist-label${state.depFeature === b.j ? " rw-selected" : ""}`,
          text: names[b.j],
          title: names[b.j],
          attrs: { style: `top:${b.top + b.height / 2}px` },
        });
        label.dataset.feature = names[b.j];
        return label;
      }),
    );
    // grid: x ticks, the zero line, band separators
    const ticks = niceTicks(l.xs.domain[0], l.xs.domain[1], Math.max(3, Math.floor(width / 90)));
    grid.replaceChildren(
      ...l.bands.slice(1).map((b) => h("span", { cls: "rw-dist-sep", attrs: { style: `top:${b.top}px` } })),
      ...ticks.map((v) => h("span", { cls: `rw-dist-gridline${v === 0 ? " rw-dist-zero" : ""}`, attrs: { style: `left:${l.xs(v)}px` } })),
    );
    if (!ticks.includes(0)) grid.appendChild(h("span", { cls: "rw-dist-gridline rw-dist-zero", attrs: { style: `left:${l.xs(0)}px` } }));
    xTicks.replaceChildren(
      ...ticks.map((v) =>
        h("span", { cls: "rw-dist-tick", text: fmt(v), attrs: { style: `left:${labelW + l.xs(v)}px;top:${l.height + 3}px` } }),
      ),
    );

    // shapes (canvas at devicePixelRatio)
    const dpr = Math.max(1, (typeof window !== "undefined" && window.devicePixelRatio) || 1);
    const W = Math.round(width * dpr);
    const H = Math.round(l.height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${l.height}px`;
    if (canvas.width !== W) canvas.width = W;
    if (canvas.height !== H) canvas.height = H;
    const ctx = canvas.getContext("2d");
    let points = 0;
    let shapes = 0;
    for (const b of l.bands) for (const s of b.slots) if (s.cell.count) shapes++;
    // the rest of a progressive draw after this frame is painted (a task queued from the next frame's callback runs after its paint)
    const later = (paint: (since: number) => void) => {
      pendingFrame = requestAnimationFrame(() => {
        pendingTask = setTimeout(() => paint(performance.now()), 0);
      });
    };
    if (ctx) {
      const style = getComputedStyle(el);
      const ink = style.color || "#1f1f1f";
      let next = 0;
      if (mode === "beeswarm") {
        if (!image || image.width !== W || image.height !== H) image = ctx.createImageData(W, H);
        else image.data.fill(0);
        const img = image;
        const buf = new Uint32Array(img.data.buffer);
        let dots = 0;
        for (const b of l.bands) for (const s of b.slots) dots += s.cell.values.length;
        const budget = dots > PROGRESSIVE_VALUES ? FRAME_BUDGET_MS : Infinity; // small swarms at once
        const paintSome = (since: number) => {
          while (next < l.bands.length) {
            points += paintSwarmBand(buf, W, H, dpr, l, l.bands[next++], cache, PACKED);
            if (performance.now() - since > budget) break;
          }
          ctx.putImageData(img, 0, 0);
          canvas.dataset.points = String(points);
          el.dataset.complete = String(next >= l.bands.length);
          if (next < l.bands.length) later(paintSome);
        };
        paintSome(t0);
      } else {
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        ctx.clearRect(0, 0, width, l.height);
        const paper = mode === "violin" ? paperColour() : "";
        const computed = (c: Cell) => c.boxed() && (mode === "box" || c.density !== undefined);
        let pending = 0; // values whose box (violin: and density) is not computed yet
        for (const b of l.bands) for (const s of b.slots) if (!computed(s.cell)) pending += s.cell.values.length;
        const budget = pending > PROGRESSIVE_VALUES ? FRAME_BUDGET_MS : Infinity; // small charts at once
        const paintSome = (since: number) => {
          const from = next;
          while (next < l.bands.length) {
            for (const s of l.bands[next].slots) if (s.cell.box.n && mode === "violin") cache.density(s.cell);
            next++;
            if (performance.now() - since > budget) break;
          }
          ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
          const bands = l.bands.slice(from, next);
          if (mode === "box") paintBoxes(ctx, l, ink, bands);
          else paintViolins(ctx, l, cache, ink, paper, bands);
          el.dataset.complete = String(next >= l.bands.length);
          if (next < l.bands.length) later(paintSome);
        };
        paintSome(t0);
      }
    }
    if (mode !== "beeswarm") canvas.dataset.points = "0";
    if (!ctx) el.dataset.complete = "true";
    canvas.dataset.shapes = String(shapes);
    if (cursor >= slotList().length) cursor = -1;
    showCursor();
    el.dataset.drawMs = (performance.now() - t0).toFixed(1);
  }

  const paperColour = () => {
    let node: HTMLElement | null = el;
    while (node) {
      const bg = getComputedStyle(node).backgroundColor;
      if (bg && bg !== "transparent" && !/rgba\(.*,\s*0\)$/.test(bg)) return bg;
      node = node.parentElement;
    }
    return "#ffffff";
  };

  // ---------------------------------------------------------------- hover, keyboard, readout
  const slotList = (): { slot: Slot; j: number }[] =>
    layout ? layout.bands.flatMap((b) => b.slots.map((slot) => ({ slot, j: b.j }))) : [];
  const idleText = "Point at a shape, or focus the chart and use the arrow keys, for its figures; click a feature for its dependence plot.";

  function showCursor() {
    const list = slotList();
    const at = list[cursor];
    if (!at || !layout) {
      highlight.hidden = true;
      readout.textContent = idleText;
      return;
    }
    const { slot, j } = at;
    highlight.hidden = false;
    Object.assign(highlight.style, { top: `${slot.top}px`, height: `${slot.height}px` });
    const noSpread = mode === "violin" ? cache.density(slot.cell) === null : false;
    const sample = slot.cell.box.n ? sampleText(store, slot.cell.box.n) : null;
    readout.textContent = figuresText(names[j], slot.series.cohort.name, slot, noSpread, sample);
  }

  const slotAt = (clientY: number): number => {
    if (!layout) return -1;
    const y = clientY - area.getBoundingClientRect().top;
    const list = slotList();
    for (let k = 0; k < list.length; k++) {
      const s = list[k].slot;
      if (y >= s.top - 4 && y < s.top + s.height + 4) return k;
    }
    return -1;
  };
  area.addEventListener("pointermove", (e: PointerEvent) => {
    const k = slotAt(e.clientY);
    if (k !== cursor) {
      cursor = k;
      showCursor();
    }
  });
  area.addEventListener("pointerleave", () => {
    if (document.activeElement === area) return;
    cursor = -1;
    showCursor();
  });
  area.addEventListener("click", (e: MouseEvent) => {
    const at = slotList()[slotAt(e.clientY)];
    if (at) store.update({ depFeature: at.j });
  });
  area.addEventListener("keydown", (e: KeyboardEvent) => {
    const n = slotList().length;
    if (!n) return;
    let next = cursor;
    if (e.key === "ArrowDown" || e.key === "ArrowRight") next = Math.min(n - 1, cursor + 1);
    else if (e.key === "ArrowUp" || e.key === "ArrowLeft") next = Math.max(0, cursor - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = n - 1;
    else if (e.key === "Enter" || e.key === " ") {
      const at = slotList()[cursor];
      if (at) store.update({ depFeature: at.j });
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    cursor = next;
    showCursor();
  });
  area.addEventListener("focus", () => {
    if (cursor < 0 && slotList().length) {
      cursor = 0;
      showCursor();
    }
  });

  // Redraw at the new width when the notebook resizes.
  let raf = 0;
  let lastWidth = -1;
  const ro =
    typeof ResizeObserver !== "undefined"
      ? new ResizeObserver(() => {
          cancelAnimationFrame(raf);
          raf = requestAnimationFrame(() => {
            if (el.clientWidth && el.clientWidth !== lastWidth) {
              lastWidth = el.clientWidth;
              draw();
            }
          });
        })
      : null;
  ro?.observe(el);

  draw();
  return {
    el,
    update(changed) {
      const keys: (keyof TabularState)[] = ["cohorts", "output", "topK", "sortBy", "active", "depFeature"];
      if (keys.some((k) => changed.has(k))) draw();
      else if (changed.has("tab") && el.clientWidth && el.clientWidth !== lastWidth) {
        lastWidth = el.clientWidth;
        draw();
      }
    },
    destroy() {
      ro?.disconnect();
      cancelAnimationFrame(raf);
      if (pendingFrame) cancelAnimationFrame(pendingFrame);
      clearTimeout(pendingTask);
    },
  };
}
