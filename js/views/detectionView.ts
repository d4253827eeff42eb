// The detection view: an image list filtered by the active cohort (built in the shared cohort editor,
// its own tab); for the selected image its boxes and labels drawn on a canvas (labels as canvas text),
// a detection list, a score threshold that hides weak detections, and the picked detection's D-RISE
// saliency overlaid with the shared overlay controls.
import { decodeArray, WireArray } from "../arrays";
import type { Cohort } from "../cohorts";
import { syncWithModel, WidgetModel } from "../dashboard";
import { fmt, h, option, tabBar } from "../dom";
import {
  clipValue,
  colorBar,
  createOverlayControls,
  decodeColumn,
  DEFAULT_OVERLAY,
  detectionColumns,
  drawOverlay,
  imagePainter,
  mediaStoreData,
  OverlayOptions,
  WireColumn,
  WireImage,
} from "../media";
import type { TabularData } from "../model";
import { Store } from "../store";
import { createCohortEditor } from "./cohortEditor";
import { thumbGrid } from "./imageView";

export interface Detection {
  box: [number, number, number, number];
  label: string;
  score: number;
}

interface DetectionMeta {
  n_rows: number;
  output_names: string[];
  detections: Detection[][];
  sizes: [number, number][];
}

interface DetectionArrays {
  images: WireImage[];
  thumbs: WireImage[];
  saliency: WireArray[];
  y_pred: WireColumn;
  confidence: WireArray;
}

const BOX_COLORS = ["#ffd400", "#00e5ff", "#ff4081", "#76ff03", "#ff9100", "#e040fb"];

/** Indices of detections at or above the threshold. */
export function visibleDetections(dets: Detection[], threshold: number): number[] {
  return dets.map((d, j) => (d.score >= threshold ? j : -1)).filter((j) => j >= 0);
}

/** The detection whose box holds (x, y) in image pixels; the smallest such box wins. -1 if none. */
export function detectionAt(dets: Detection[], visible: number[], x: number, y: number): number {
  let best = -1;
  let bestArea = Infinity;
  for (const j of visible) {
    const [x0, y0, x1, y1] = dets[j].box;
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) {
      const area = (x1 - x0) * (y1 - y0);
      if (area < bestArea) {
        best = j;
        bestArea = area;
      }
    }
  }
  return best;
}

/** A D-RISE map minus its minimum: the maps carry a large constant floor (every mask keeps some of the
 *  object), and only the part above it says where the detection looks. */
export function aboveMinimum(map: Float32Array): Float32Array {
  let lo = Infinity;
  for (let i = 0; i < map.length; i++) if (map[i] < lo) lo = map[i];
  if (!Number.isFinite(lo)) return map;
  return map.map((v) => v - lo);
}

function perDetection(m: { data: ArrayLike<number>; shape: number[] }): Float32Array[] {
  const [k, mh, mw] = m.shape;
  return Array.from({ length: k }, (_, j) => (m.data as Float32Array).subarray(j * mh * mw, (j + 1) * mh * mw));
}

export function renderDetection(model: WidgetModel, root: HTMLElement): () => void {
  const meta = model.get("meta") as DetectionMeta;
  const arrays = model.get("arrays") as DetectionArrays;
  const n = meta.n_rows;
  const maps = arrays.saliency.map((w) => decodeArray(w));
  const columns = detectionColumns(
    meta.detections.map((d) => d.length),
    decodeColumn(arrays.y_pred),
    decodeArray(arrays.confidence).data as Float32Array,
  );
  const store = new Store(mediaStoreData(n, meta.output_names, "detection", columns) as unknown as TabularData, {
    cohorts: model.get("cohorts") as Cohort[],
    active: model.get("active_cohort"),
    selected: model.get("selected_rows"),
    tab: "rows",
  });
  let opts: OverlayOptions = { ...DEFAULT_OVERLAY, sign: "positive", cmap: "hot" };
  let selected = store.state.selected[0] ?? 0;
  let picked = -1;
  let threshold = 0;

  const total = meta.detections.reduce((a, d) => a + d.length, 0);
  const slider = h("input", { testid: "score-threshold", attrs: { type: "range", min: "0", max: "1", step: "0.01", value: "0" } });
  const sliderValue = h("span", { cls: "rw-muted", text: "0" });
  const cohortSelect = h("select", { testid: "cohort-select", title: "Active cohort: the image list shows its images" });
  const count = h("span", { cls: "rw-muted", testid: "image-count" });
  const header = h("div", { cls: "rw-header" }, [
    h("span", { cls: "rw-muted", text: `D-RISE saliency (above each map's minimum): ${n} images, ${total} detections` }),
    h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), cohortSelect]),
    count,
    h("label", { cls: "rw-control" }, [h("span", { text: "Score threshold" }), slider, sliderValue]),
  ]);

  const canvas = h("canvas", { cls: "rw-media-canvas rw-det-canvas", testid: "detection-canvas" });
  const list = h("div", { cls: "rw-det-list", testid: "detection-list" });
  const legend = h("div", { cls: "rw-legend" });
  const controls = createOverlayControls(opts, (o) => {
    opts = o;
    draw();
  });
  const detail = h("div", { cls: "rw-media-detail" }, [controls, legend, h("div", { cls: "rw-media-pair" }, [canvas, list])]);
  const caption = (i: number) => `#${i} · ${meta.detections[i].length} det.`;
  const grid = thumbGrid("Images", arrays.thumbs, caption, (i) => store.update({ selected: [i] }));
  const editor = createCohortEditor(store);
  const tabs: [string, string, HTMLElement][] = [
    ["images", "Images", h("div", { cls: "rw-panel" }, [detail, grid.el])],
    ["cohorts", "Cohorts", h("div", { cls: "rw-panel" }, [editor.el])],
  ];
  const tabsUi = tabBar(tabs, "images");
  const el = h("div", { cls: "rw-media", testid: "detection-view" }, [header, tabsUi.bar, ...tabsUi.panels]);
  root.appendChild(el);
  cohortSelect.addEventListener("change", () => store.update({ active: cohortSelect.value }));

  const paintImage = imagePainter(arrays.images);
  let geometry = { sx: 1, sy: 1 };

  const visible = () => visibleDetections(meta.detections[selected] ?? [], threshold);

  function ensurePicked() {
    const vis = visible();
    if (!vis.includes(picked)) picked = vis.length ? vis[0] : -1;
  }

  function paint(img: CanvasImageSource | null) {
    const i = selected;
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
    }
    canvas.dataset.drawn = `${i}:${picked}`;
  }

  function draw() {
    const i = selected;
    if (i === undefined || i >= n) return;
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
    const dets = meta.detections[selected] ?? [];
    const vis = visible();
    const items: HTMLElement[] = [
      h("div", { cls: "rw-media-title", text: `Image ${selected}: ${vis.length} of ${dets.length} detections shown` }),
    ];
    if (!dets.length) items.push(h("div", { cls: "rw-empty", text: "The detector found nothing in this image." }));
    for (const j of vis) {
      const d = dets[j];
      const sw = h("span", { cls: "rw-swatch" });
      sw.style.background = BOX_COLORS[j % BOX_COLORS.length];
      const b = h("button", { cls: "rw-det-item", testid: "detection-item", attrs: { type: "button", "data-index": String(j) } }, [
        sw,
        h("span", { text: d.label }),
        h("span", { cls: "rw-muted", text: d.score.toFixed(3) }),
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
    list.replaceChildren(...items);
  }

  canvas.addEventListener("click", (ev) => {
    const r = canvas.getBoundingClientRect();
    const x = ((ev.clientX - r.left) * (canvas.width / r.width)) / geometry.sx;
    const y = ((ev.clientY - r.top) * (canvas.height / r.height)) / geometry.sy;
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
    ensurePicked();
    cohortSelect.replaceChildren(...store.state.cohorts.map((c) => option(c.name, c.name, c.name === store.state.active)));
    const { mask, error } = store.maskOf(store.activeCohort());
    const shown = Array.from({ length: n }, (_, i) => i).filter((i) => mask[i]);
    count.textContent = error ? `invalid cohort: ${error}` : `${shown.length} of ${n} images`;
    grid.set(shown, selected);
    drawList();
    draw();
  }
  const disconnect = syncWithModel(store, model, (changed) => {
    editor.update(changed);
    const s = store.state.selected[0];
    if (changed.has("selected") && s !== undefined && s >= 0 && s < n && s !== selected) {
      selected = s;
      picked = -1;
    }
    if (changed.has("selected") || changed.has("cohorts") || changed.has("active")) refresh();
  });
  refresh();
  return () => {
    disconnect();
    editor.destroy?.();
    el.remove();
  };
}
