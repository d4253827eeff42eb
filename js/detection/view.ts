// The detection view: an image list filtered by the active cohort (built in the shared cohort editor,
// its own tab); for the selected image its boxes and labels drawn on a canvas (labels as canvas text),
// a detection list, a score threshold that hides weak detections (in the detail and on the
// thumbnails alike), and the picked detection's D-RISE saliency overlaid with the shared overlay
// controls. The image shown is the selection when there is one (marked when it is outside the active
// cohort, core/selection.ts), else the first image of the cohort.
import { createCohortEditor } from "../core/cohortEditor";
import { createCohortPicker } from "../core/cohortPicker";
import { countOfText, countText, type Noun, rowNoun } from "../core/cohortSize";
import { fmt, h } from "../core/dom";
import { canvasPng, exportControls, toCsv } from "../core/export";
import { imagePainter } from "../core/images";
import { clipValue, colorBar, createOverlayControls, DEFAULT_OVERLAY, drawOverlay, type OverlayOptions } from "../core/overlay";
import { keepSelectionInCohort, outsideCohort } from "../core/selection";
import { Store } from "../core/store";
import { modelState, syncWithModel, type WidgetModel } from "../core/sync";
import { tabBar } from "../core/tabs";
import { thumbGrid } from "../core/thumbs";
import { agreementText, convergenceText, energyText, peakText, pointingShare, pointingShareText } from "./checks";
import "./checks.css";
import {
  aboveMinimum,
  type Detection,
  type DetectionArrays,
  DetectionData,
  type DetectionMeta,
  detectionAt,
  perDetection,
  visibleDetections,
} from "./data";

const BOX_COLORS = ["#ffd400", "#00e5ff", "#ff4081", "#76ff03", "#ff9100", "#e040fb"];
const IMAGES = rowNoun("detection");
const DETECTIONS: Noun = { one: "detection", many: "detections" };
const SVG = "http://www.w3.org/2000/svg";

/** The boxes of the detections shown, over a thumbnail: an SVG in the image's own pixel coordinates. */
function thumbBoxes(dets: Detection[], shown: number[], size: [number, number]): SVGSVGElement {
  const [ih, iw] = size;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "rw-thumb-boxes");
  svg.setAttribute("viewBox", `0 0 ${iw} ${ih}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  svg.setAttribute("aria-hidden", "true");
  for (const j of shown) {
    const [x0, y0, x1, y1] = dets[j].box;
    const r = document.createElementNS(SVG, "rect");
    r.setAttribute("x", String(x0));
    r.setAttribute("y", String(y0));
    r.setAttribute("width", String(Math.max(0, x1 - x0)));
    r.setAttribute("height", String(Math.max(0, y1 - y0)));
    r.setAttribute("stroke", BOX_COLORS[j % BOX_COLORS.length]);
    r.setAttribute("data-index", String(j));
    svg.appendChild(r);
  }
  return svg;
}

/** The map's peak: a cross, white over black so it reads on any colour. */
function drawPeak(ctx: CanvasRenderingContext2D, x: number, y: number) {
  const r = 6;
  for (const [style, width] of [
    ["rgba(0,0,0,0.85)", 4],
    ["#ffffff", 2],
  ] as const) {
    ctx.strokeStyle = style;
    ctx.lineWidth = width;
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.moveTo(x - r, y);
    ctx.lineTo(x + r, y);
    ctx.moveTo(x, y - r);
    ctx.lineTo(x, y + r);
    ctx.stroke();
  }
}

export function renderDetection(model: WidgetModel, root: HTMLElement): () => void {
  const data = new DetectionData(model.get("meta") as DetectionMeta, model.get("arrays") as DetectionArrays);
  const { meta, arrays, n, maps } = data;
  const store = new Store(data.dataset, { ...modelState(model), tab: "images" });
  let opts: OverlayOptions = { ...DEFAULT_OVERLAY, sign: "positive", cmap: "hot" };
  let selected: number | null = null; // the image in the detail
  let picked = -1;
  let threshold = 0;

  const total = meta.detections.reduce((a, d) => a + d.length, 0);
  const slider = h("input", { testid: "score-threshold", attrs: { type: "range", min: "0", max: "1", step: "0.01", value: "0" } });
  const sliderValue = h("span", { cls: "rw-muted", text: "0" });
  const picker = createCohortPicker(store, "Active cohort: the image list shows its images");
  const count = h("span", { cls: "rw-muted", testid: "image-count" });
  const header = h("div", { cls: "rw-header" }, [
    h("span", {
      cls: "rw-muted",
      text: `D-RISE saliency (above each map's minimum): ${countText(n, IMAGES)}, ${countText(total, DETECTIONS)}`,
    }),
    h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), picker.el]),
    count,
    h("label", { cls: "rw-control" }, [h("span", { text: "Score threshold" }), slider, sliderValue]),
  ]);

  // the maps' checks: D-RISE's masks (Python's verdict) and the active cohort's pointing game
  const conv = meta.convergence ?? null;
  const masksLine = h("div", { cls: "rw-det-masks", testid: "mask-agreement", text: convergenceText(conv) });
  masksLine.classList.toggle("rw-warn-text", conv !== null && conv.enough === false);
  const pointingLine = h("div", { testid: "pointing-game-share" });
  const checksSummary = h("div", { cls: "rw-det-checks", testid: "detection-checks-summary" }, [masksLine, pointingLine]);
  const canvas = h("canvas", { cls: "rw-media-canvas rw-det-canvas", testid: "detection-canvas" });
  const list = h("div", { cls: "rw-det-list", testid: "detection-list" });
  const legend = h("div", { cls: "rw-legend" });
  const controls = createOverlayControls(opts, (o) => {
    opts = o;
    draw();
  });
  const outsideNote = h("div", { cls: "rw-outside-note", testid: "selection-outside" });
  // Export: the picked detection's saliency over the image as drawn, and the image's detections.
  const needImage = () => {
    if (selected === null) throw new Error("no image is shown");
    return selected;
  };
  const exporter = exportControls("the detections", [
    {
      format: "png",
      label: "Saliency PNG",
      what: "the picked detection's saliency map over the image",
      testid: "export-saliency-png",
      fileName: () => {
        const i = needImage();
        const d = meta.detections[i]?.[picked];
        return `detection-${i}-${d ? `${picked}-${d.label}` : "image"}-saliency`;
      },
      build: () => {
        needImage();
        return canvasPng(canvas);
      },
    },
    {
      format: "csv",
      label: "Detections CSV",
      what: "the image's detections",
      testid: "export-detections-csv",
      fileName: () => `detection-${needImage()}-detections`,
      build: () => {
        const i = needImage();
        const rows = (meta.detections[i] ?? []).map((d, j) => [i, j, d.label, d.score, ...d.box, d.score >= threshold]);
        return toCsv(["image", "detection", "label", "score", "x0", "y0", "x1", "y1", "above_threshold"], rows);
      },
    },
  ]);
  const detail = h("div", { cls: "rw-media-detail" }, [
    outsideNote,
    controls,
    legend,
    exporter,
    h("div", { cls: "rw-media-pair" }, [canvas, list]),
  ]);
  const empty = h("div", { cls: "rw-empty", testid: "detection-empty" });
  // thumbnails follow the score threshold: the boxes drawn and the count in the caption
  const shownOf = (i: number) => visibleDetections(meta.detections[i] ?? [], threshold);
  const caption = (i: number) => {
    const all = meta.detections[i]?.length ?? 0;
    const shown = shownOf(i).length;
    return `#${i} · ${shown === all ? all : `${shown}/${all}`} det.`; // short: a thumbnail is 80 px wide
  };
  const thumbTitle = (i: number) => {
    const all = meta.detections[i]?.length ?? 0;
    const shown = shownOf(i).length;
    return `Image ${i}: ${shown === all ? countText(all, DETECTIONS) : `${countOfText(shown, all, DETECTIONS)} at score ≥ ${threshold.toFixed(2)}`}`;
  };
  const grid = thumbGrid("Images", arrays.thumbs, caption, (i) => store.update({ selected: [i] }), {
    title: thumbTitle,
    overlay: (i) => thumbBoxes(meta.detections[i] ?? [], shownOf(i), meta.sizes[i]),
  });
  const editor = createCohortEditor(store, { noun: rowNoun("detection") });
  const tabs: [string, string, HTMLElement][] = [
    ["images", "Images", h("div", { cls: "rw-panel" }, [checksSummary, detail, empty, grid.el])],
    ["cohorts", "Cohorts", h("div", { cls: "rw-panel" }, [editor.el])],
  ];
  const tabsUi = tabBar(tabs, store.state.tab, (tab) => store.update({ tab }));
  const el = h("div", { cls: "rw-media", testid: "detection-view" }, [header, tabsUi.bar, ...tabsUi.panels]);
  root.appendChild(el);

  const paintImage = imagePainter(arrays.images);
  let geometry = { sx: 1, sy: 1 };

  const visible = () => (selected === null ? [] : shownOf(selected));

  function ensurePicked() {
    const vis = visible();
    if (!vis.includes(picked)) picked = vis.length ? vis[0] : -1;
  }

  function paint(img: CanvasImageSource | null) {
    const i = selected;
    if (i === null) return;
    const dets = meta.detections[i] ?? [];
    const m = maps[i];
    const [, mh, mw] = m.shape;
    const sal = picked >= 0 ? aboveMinimum((m.data as Float32Array).subarray(picked * mh * mw, (picked + 1) * mh * mw)) : null;
    const scale =
      opts.scale === "shared"
        ? clipValue(
            maps.flatMap((mm) => perDetection(mm).map(aboveMinimum)),
            opts.sign,
            opts.clip,
          )
        : sal
          ? clipValue([sal], opts.sign, opts.clip)
          : 0;
    drawOverlay(canvas, img, sal ? { data: sal, h: mh, w: mw } : null, opts, scale);
    legend.replaceChildren(colorBar(opts, scale, (v) => fmt(v)));
    const ctx = canvas.getContext("2d");
    if (ctx) {
      const font = Math.max(11, Math.round(canvas.width / 40));
      ctx.font = `${font}px sans-serif`;
      ctx.textBaseline = "top";
      for (const j of visible()) {
        const d = dets[j];
        const [x0, y0, x1, y1] = d.box;
        const color = BOX_COLORS[j % BOX_COLORS.length];
        ctx.lineWidth = j === picked ? 3 : 1.5;
        ctx.setLineDash(j === picked ? [] : [5, 3]);
        ctx.strokeStyle = color;
        ctx.strokeRect(x0 * geometry.sx, y0 * geometry.sy, (x1 - x0) * geometry.sx, (y1 - y0) * geometry.sy);
        const text = `${d.label} ${d.score.toFixed(2)}`; // canvas text: never parsed as HTML
        const tw = ctx.measureText(text).width + 6;
        const ty = Math.max(0, y0 * geometry.sy - font - 4);
        ctx.setLineDash([]);
        ctx.fillStyle = "rgba(0,0,0,0.7)";
        ctx.fillRect(x0 * geometry.sx, ty, tw, font + 4);
        ctx.fillStyle = color;
        ctx.fillText(text, x0 * geometry.sx + 3, ty + 2);
      }
      const peak = picked >= 0 ? meta.localisation?.[i]?.[picked]?.peak : null;
      if (peak) drawPeak(ctx, peak[0] * geometry.sx, peak[1] * geometry.sy);
    }
    canvas.dataset.drawn = `${i}:${picked}`;
  }

  function draw() {
    const i = selected;
    if (i === null) return;
    const [ih, iw] = meta.sizes[i];
    const s = Math.min(560 / Math.max(ih, iw), Math.max(1, 320 / Math.max(ih, iw)));
    const dw = Math.max(1, Math.round(iw * s));
    const dh = Math.max(1, Math.round(ih * s));
    if (canvas.width !== dw) canvas.width = dw;
    if (canvas.height !== dh) canvas.height = dh;
    geometry = { sx: dw / iw, sy: dh / ih };
    paintImage(i, paint);
  }

  function drawList() {
    if (selected === null) return;
    const dets = meta.detections[selected] ?? [];
    const vis = visible();
    const items: HTMLElement[] = [
      h("div", { cls: "rw-media-title", text: `Image ${selected}: ${countOfText(vis.length, dets.length, DETECTIONS)} shown` }),
    ];
    if (!dets.length) items.push(h("div", { cls: "rw-empty", text: "The detector found nothing in this image." }));
    for (const j of vis) {
      const d = dets[j];
      const sw = h("span", { cls: "rw-swatch" });
      sw.style.background = BOX_COLORS[j % BOX_COLORS.length];
      const check = meta.localisation?.[selected]?.[j];
      const lines = check
        ? [
            h("span", {
              cls: `rw-det-peak ${check.hit ? "rw-det-hit" : "rw-det-miss"}`,
              testid: "detection-peak",
              text: `${check.hit ? "✓" : "✗"} ${peakText(check, meta.tolerances?.[selected] ?? null)}`,
            }),
            h("span", { cls: "rw-det-energy", testid: "detection-energy", text: energyText(check) }),
          ]
        : [];
      const b = h("button", { cls: "rw-det-item", testid: "detection-item", attrs: { type: "button", "data-index": String(j) } }, [
        sw,
        h("span", { cls: "rw-det-what" }, [
          h("span", { cls: "rw-det-name" }, [h("span", { text: d.label }), h("span", { cls: "rw-muted", text: d.score.toFixed(3) })]),
          ...lines,
        ]),
      ]);
      b.classList.toggle("rw-selected", j === picked);
      b.setAttribute("aria-pressed", String(j === picked));
      b.addEventListener("click", () => {
        picked = j;
        drawList();
        draw();
      });
      items.push(b);
    }
    if (picked >= 0 && vis.includes(picked))
      items.push(
        h("div", {
          cls: "rw-muted rw-det-agreement",
          testid: "detection-agreement",
          text: `The picked detection's map: ${agreementText(conv, selected, picked)}`,
        }),
      );
    list.replaceChildren(...items);
  }

  canvas.addEventListener("click", (ev) => {
    const r = canvas.getBoundingClientRect();
    const x = ((ev.clientX - r.left) * (canvas.width / r.width)) / geometry.sx;
    const y = ((ev.clientY - r.top) * (canvas.height / r.height)) / geometry.sy;
    if (selected === null) return;
    const j = detectionAt(meta.detections[selected] ?? [], visible(), x, y);
    if (j >= 0 && j !== picked) {
      picked = j;
      drawList();
      draw();
    }
  });
  slider.addEventListener("input", () => {
    threshold = Number(slider.value);
    sliderValue.textContent = threshold.toFixed(2);
    refresh();
  });

  function refresh() {
    picker.draw();
    const { mask, error } = store.maskOf(store.activeCohort());
    const shown = Array.from({ length: n }, (_, i) => i).filter((i) => mask[i]);
    count.textContent = error ? `invalid cohort: ${error}` : countOfText(shown.length, n, IMAGES);
    pointingLine.textContent = error
      ? ""
      : meta.localisation
        ? pointingShareText(pointingShare(meta.detections, meta.localisation, mask, threshold), store.state.active, threshold)
        : "";
    // the selected image, else the cohort's first; a selection outside the cohort is said to be
    const s = store.state.selected[0];
    const next = s !== undefined && s >= 0 && s < n ? s : (shown[0] ?? null);
    if (next !== selected) picked = -1;
    selected = next;
    const outside = selected === null ? null : outsideCohort(store, selected, `Image ${selected}`);
    outsideNote.textContent = outside ? `${outside}: it is shown, but not listed below. Pick an image from the list.` : "";
    outsideNote.hidden = outside === null;
    detail.hidden = selected === null;
    empty.textContent = selected === null ? `No image in the cohort '${store.state.active}'.` : "";
    ensurePicked();
    grid.set(shown, selected);
    drawList();
    draw();
  }
  const stopKeeping = keepSelectionInCohort(store);
  const disconnect = syncWithModel(store, model, (changed) => {
    editor.update(changed);
    if (changed.has("tab")) tabsUi.show(store.state.tab);
    if (changed.has("selected") || changed.has("cohorts") || changed.has("active")) refresh();
  });
  refresh();
  return () => {
    stopKeeping();
    disconnect();
    editor.destroy?.();
    el.remove();
  };
}
