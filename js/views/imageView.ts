// The image view: a paged thumbnail grid split into incorrect / correct predictions, filterable by
// class and by cohort (the shared cohort editor, in its own tab); clicking an image shows it beside
// its attribution maps, one panel per method when several were computed (each with its caption and
// colour bar, all under one set of overlay controls), and the predicted / true labels with
// probabilities. Cohorts, the active cohort and the selected image go through the same Store and
// widget traits as the other views (syncWithModel).
import { decodeArray, NDArray, WireArray } from "../arrays";
import type { Cohort } from "../cohorts";
import { syncWithModel, WidgetModel } from "../dashboard";
import { fmt, h, option, tabBar } from "../dom";
import {
  clipValue,
  colorBar,
  createOverlayControls,
  decodeColumn,
  DEFAULT_OVERLAY,
  drawOverlay,
  imageColumns,
  imageUrl,
  labelOf,
  imagePainter,
  classesPresent,
  mapSlice,
  mediaStoreData,
  MethodInfo,
  methodMaps,
  OverlayOptions,
  panelOptions,
  WireColumn,
  WireImage,
} from "../media";
import type { TabularData } from "../model";
import { Store } from "../store";
import { createCohortEditor } from "./cohortEditor";

export { decodeColumn, labelOf };

export interface ImageMeta {
  n_rows: number;
  output_names: string[];
  task: string;
  units: string;
  method: string;
  methods?: MethodInfo[]; // absent in payloads of older versions: one method, meta.method
  signed?: boolean;
  targets: number[][];
  sizes: [number, number][];
  map_sizes: [number, number][];
}

export interface ImageArrays {
  images: WireImage[];
  thumbs: WireImage[];
  attributions: WireArray[]; // per image: (m, t, mh, mw) float32
  y_pred: WireColumn;
  y_true?: WireColumn;
  probabilities?: WireArray;
  confidence?: WireArray;
}

/** A paged grid of thumbnails: `items` are image indices; `caption(i)` text under each; onPick(i). */
export function thumbGrid(
  title: string,
  thumbs: WireImage[],
  caption: (i: number) => string,
  onPick: (i: number) => void,
  pageSize = 40,
): { el: HTMLElement; set(items: number[], selected: number | null): void } {
  const head = h("div", { cls: "rw-grid-head" });
  const grid = h("div", { cls: "rw-thumb-grid" });
  const prev = h("button", { text: "‹ prev", attrs: { type: "button" } });
  const next = h("button", { text: "next ›", attrs: { type: "button" } });
  const pageInfo = h("span", { cls: "rw-muted" });
  const pager = h("span", { cls: "rw-pager" }, [prev, pageInfo, next]);
  const el = h("section", { cls: "rw-grid-section" }, [h("div", { cls: "rw-toolbar" }, [head, pager]), grid]);
  let items: number[] = [];
  let selected: number | null = null;
  let page = 0;
  const draw = () => {
    const pages = Math.max(1, Math.ceil(items.length / pageSize));
    page = Math.min(page, pages - 1);
    head.textContent = `${title} (${items.length})`;
    pageInfo.textContent = `page ${page + 1} of ${pages}`;
    pager.hidden = pages <= 1;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
    grid.replaceChildren();
    for (const i of items.slice(page * pageSize, (page + 1) * pageSize)) {
      const img = h("img", { attrs: { alt: "", loading: "lazy", src: imageUrl(thumbs[i]) } });
      const cap = h("span", { cls: "rw-thumb-caption", text: caption(i) });
      const b = h(
        "button",
        { cls: "rw-thumb", testid: "image-thumb", title: caption(i), attrs: { type: "button", "data-index": String(i) } },
        [img, cap],
      );
      b.classList.toggle("rw-selected", i === selected);
      b.addEventListener("click", () => onPick(i));
      grid.appendChild(b);
    }
    el.hidden = items.length === 0;
  };
  prev.addEventListener("click", () => {
    page--;
    draw();
  });
  next.addEventListener("click", () => {
    page++;
    draw();
  });
  return {
    el,
    set(newItems, sel) {
      if (newItems.join() !== items.join()) page = 0;
      items = newItems;
      selected = sel;
      if (sel !== null && items.includes(sel)) page = Math.floor(items.indexOf(sel) / pageSize);
      draw();
    },
  };
}

/** Canvas size of an image in the detail: small images are enlarged to be seen, big ones fit; with
 *  several method panels side by side each is smaller, so a row of them fits a notebook's width. */
export function displaySize(hgt: number, wid: number, panels = 1): [number, number] {
  const fit = panels > 1 ? 240 : 420;
  const grow = panels > 1 ? 200 : 256;
  const s = Math.min(fit / Math.max(hgt, wid), Math.max(1, grow / Math.max(hgt, wid)));
  return [Math.max(1, Math.round(hgt * s)), Math.max(1, Math.round(wid * s))];
}

/** The methods of the payload; payloads with one method and no meta.methods get one entry. */
export function methodsOf(meta: ImageMeta): MethodInfo[] {
  if (meta.methods?.length) return meta.methods;
  return [{ method: meta.method, label: meta.method.replace(/_/g, " "), signed: meta.signed !== false }];
}

/** Maps as NDArrays of shape (m, t, mh, mw), whatever shape they came in ((t, mh, mw) from older payloads). */
function asMethodMaps(w: WireArray): NDArray {
  const a = decodeArray(w);
  return a.shape.length === 4 ? a : { data: a.data, shape: [1, ...a.shape] };
}

export function renderImage(model: WidgetModel, root: HTMLElement): () => void {
  const meta = model.get("meta") as ImageMeta;
  const arrays = model.get("arrays") as ImageArrays;
  const n = meta.n_rows;
  const names = meta.output_names;
  const methods = methodsOf(meta);
  const maps = arrays.attributions.map(asMethodMaps);
  const yPred = decodeColumn(arrays.y_pred);
  const yTrue = arrays.y_true ? decodeColumn(arrays.y_true) : null;
  const probs = arrays.probabilities ? decodeArray(arrays.probabilities) : null;
  const confidence = arrays.confidence ? (decodeArray(arrays.confidence).data as Float32Array) : null;
  const columns = imageColumns(n, meta.task, yPred, yTrue, confidence);
  const correct = columns.correct?.kind === "bool" ? columns.correct.values : null;

  // The Store only needs n, k, meta.task / feature_names and columns() here (as in the text view).
  const store = new Store(mediaStoreData(n, names, meta.task, columns) as unknown as TabularData, {
    cohorts: model.get("cohorts") as Cohort[],
    active: model.get("active_cohort"),
    selected: model.get("selected_rows"),
    tab: "rows",
  });

  let opts: OverlayOptions = { ...DEFAULT_OVERLAY, sign: methods.some((m) => m.signed) ? "signed" : "positive" };
  let target = 0; // which of the selected image's targets is shown
  let classFilter = -1;
  const selected = (): number | null => {
    const s = store.state.selected[0];
    return s !== undefined && s >= 0 && s < n ? s : null;
  };

  // --- header: what is shown, cohort and class filter
  const cohortSelect = h("select", { testid: "cohort-select", title: "Active cohort: the grid shows its images" });
  const classSelect = h("select", {
    cls: "rw-class-filter",
    testid: "class-select",
    title: "Show only images of this class (predicted or true)",
  });
  classSelect.appendChild(option("-1", "all classes", true));
  for (const k of classesPresent(names, n, yPred, yTrue)) classSelect.appendChild(option(String(k), names[k]));
  const count = h("span", { cls: "rw-muted", testid: "image-count" });
  const cohortError = h("span", { cls: "rw-error" });
  const what = methods.length > 1 ? `${methods.map((m) => m.label).join(" · ")} attributions` : `${methods[0].label} attributions`;
  const header = h("div", { cls: "rw-header" }, [
    h("span", { cls: "rw-muted", text: `${what} (${meta.units})` }),
    h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), cohortSelect]),
    h("label", { cls: "rw-control" }, [h("span", { text: "Class" }), classSelect]),
    count,
    cohortError,
  ]);

  const pick = (i: number) => {
    target = 0;
    store.update({ selected: [i] });
  };
  const caption = (i: number) => {
    const p = labelOf(yPred, i);
    const t = yTrue ? labelOf(yTrue, i) : "";
    return yTrue && t !== p ? `${p} (true: ${t})` : p;
  };
  const wrong = thumbGrid(correct ? "Incorrect" : "Images", arrays.thumbs, caption, pick);
  const right = thumbGrid("Correct", arrays.thumbs, caption, pick);
  const grids = h("div", { cls: "rw-grids" }, [wrong.el, right.el]);

  // --- detail: the original and one overlay panel per method
  const panel = (label: string, canvas: HTMLCanvasElement, legend: HTMLElement | null, testid: string, method?: string) => {
    const fig = h("figure", { cls: "rw-media-panel", testid, attrs: method ? { "data-method": method } : {} }, [
      h("figcaption", { cls: "rw-media-caption", testid: "method-caption", text: label, title: label }),
      canvas,
      legend,
    ]);
    return fig;
  };
  const canvasOrig = h("canvas", { cls: "rw-media-canvas", testid: "image-original" });
  const overlays = methods.map((m) => ({
    info: m,
    canvas: h("canvas", { cls: "rw-media-canvas", testid: "image-overlay", attrs: { "data-method": m.method } }),
    legend: h("div", { cls: "rw-legend rw-media-legend", testid: "method-legend" }),
  }));
  const targetSelect = h("select", { testid: "target-select", title: "Which explained output's map to overlay" });
  const targetCtl = h("label", { cls: "rw-control" }, [h("span", { text: "Explained output" }), targetSelect]);
  const labels = h("div", { cls: "rw-media-labels", testid: "image-labels" });
  const controls = createOverlayControls(opts, (o) => {
    opts = o;
    drawDetail();
  });
  const detail = h("div", { cls: "rw-media-detail", testid: "image-detail" }, [
    controls,
    h("div", { cls: "rw-toolbar" }, [targetCtl]),
    h("div", { cls: "rw-media-pair" }, [
      panel("Original", canvasOrig, null, "image-panel-original"),
      ...overlays.map((o) => panel(o.info.label, o.canvas, o.legend, "method-panel", o.info.method)),
      labels,
    ]),
  ]);
  const editor = createCohortEditor(store);
  const imagesPanel = h("div", { cls: "rw-panel" }, [detail, grids]);
  const tabs: [string, string, HTMLElement][] = [
    ["images", "Images", imagesPanel],
    ["cohorts", "Cohorts", h("div", { cls: "rw-panel" }, [editor.el])],
  ];
  const tabsUi = tabBar(tabs, "images");
  const el = h("div", { cls: "rw-media", testid: "image-view" }, [header, tabsUi.bar, ...tabsUi.panels]);
  root.appendChild(el);

  // Colour scales: per panel (this image, this method), or per method shared across every image.
  const sharedCache = new Map<string, number>();
  const scaleFor = (i: number, j: number, t: number, o: OverlayOptions): number => {
    if (o.scale === "shared") {
      const key = `${j}|${o.sign}|${o.clip}`;
      let v = sharedCache.get(key);
      if (v === undefined) {
        v = clipValue(methodMaps(maps, j), o.sign, o.clip);
        sharedCache.set(key, v);
      }
      return v;
    }
    return clipValue([mapSlice(maps[i], j, t)], o.sign, o.clip);
  };

  const paintImage = imagePainter(arrays.images);
  const drawDetail = () => {
    const i = selected();
    detail.hidden = i === null;
    if (i === null) return;
    const [ih, iw] = meta.sizes[i];
    const [dh, dw] = displaySize(ih, iw, methods.length);
    for (const c of [canvasOrig, ...overlays.map((o) => o.canvas)]) {
      if (c.width !== dw) c.width = dw;
      if (c.height !== dh) c.height = dh;
    }
    const m = maps[i];
    const [, , mh, mw] = m.shape;
    const panelOpts = overlays.map((o) => panelOptions(opts, o.info));
    const scales = overlays.map((_, j) => scaleFor(i, j, target, panelOpts[j]));
    overlays.forEach((o, j) => o.legend.replaceChildren(colorBar(panelOpts[j], scales[j], (v) => fmt(v))));
    const paint = (img: CanvasImageSource | null) => {
      drawOverlay(canvasOrig, img, null, opts, 0);
      overlays.forEach((o, j) => {
        drawOverlay(o.canvas, img, { data: mapSlice(m, j, target), h: mh, w: mw }, panelOpts[j], scales[j]);
        o.canvas.dataset.drawn = String(i);
      });
    };
    paintImage(i, paint);
  };

  const drawLabels = () => {
    const i = selected();
    if (i === null) return;
    targetSelect.replaceChildren(...meta.targets[i].map((t, j) => option(String(j), names[t] ?? String(t), j === target)));
    targetCtl.hidden = meta.targets[i].length <= 1;
    const rows: HTMLElement[] = [h("div", { cls: "rw-media-title", text: `Image ${i}` })];
    const p = labelOf(yPred, i);
    rows.push(h("div", {}, [h("span", { cls: "rw-muted", text: "Predicted: " }), h("strong", { text: p, testid: "pred-label" })]));
    if (yTrue) {
      const t = labelOf(yTrue, i);
      rows.push(
        h("div", {}, [
          h("span", { cls: "rw-muted", text: "True: " }),
          h("strong", { text: t, testid: "true-label" }),
          h("span", { cls: t === p ? "rw-ok" : "rw-error", text: t === p ? "  ✓ correct" : "  ✗ incorrect" }),
        ]),
      );
    }
    rows.push(h("div", { cls: "rw-muted", text: `Maps explain: ${names[meta.targets[i][target]] ?? ""}` }));
    if (probs) {
      const k = probs.shape[1];
      const order = Array.from({ length: k }, (_, c) => c)
        .sort((a, b) => probs.data[i * k + b] - probs.data[i * k + a])
        .slice(0, 5);
      const list = h("table", { cls: "rw-prob-table" });
      for (const c of order) {
        const v = probs.data[i * k + c];
        const bar = h("span", { cls: "rw-prob-bar" });
        bar.style.width = `${Math.round(80 * v)}px`;
        list.appendChild(
          h("tr", {}, [
            h("td", { text: names[c] ?? String(c) }),
            h("td", {}, [bar]),
            h("td", { cls: "rw-muted", text: `${(100 * v).toFixed(1)}%` }),
          ]),
        );
      }
      rows.push(h("div", { cls: "rw-muted", text: "Probabilities" }), list);
    }
    labels.replaceChildren(...rows);
  };
  targetSelect.addEventListener("change", () => {
    target = Number(targetSelect.value);
    drawLabels();
    drawDetail();
  });

  cohortSelect.addEventListener("change", () => store.update({ active: cohortSelect.value }));
  classSelect.addEventListener("change", () => {
    classFilter = Number(classSelect.value);
    redraw();
  });

  function redraw() {
    cohortSelect.replaceChildren(...store.state.cohorts.map((c) => option(c.name, c.name, c.name === store.state.active)));
    const { mask, error } = store.maskOf(store.activeCohort());
    cohortError.textContent = error ? `invalid cohort: ${error}` : "";
    const cls = classFilter >= 0 ? names[classFilter] : null;
    const shown: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      if (cls !== null && labelOf(yPred, i) !== cls && labelOf(yTrue, i) !== cls) continue;
      shown.push(i);
    }
    count.textContent = `${shown.length} of ${n} images`;
    const sel = selected();
    wrong.set(correct ? shown.filter((i) => !correct[i]) : shown, sel);
    right.set(correct ? shown.filter((i) => correct[i]) : [], sel);
    drawLabels();
    drawDetail();
  }

  let lastSelected = selected();
  const disconnect = syncWithModel(store, model, (changed) => {
    editor.update(changed);
    if (changed.has("selected") && selected() !== lastSelected) {
      lastSelected = selected();
      target = 0;
    }
    if (changed.has("cohorts") || changed.has("active") || changed.has("selected")) redraw();
  });
  redraw();
  return () => {
    disconnect();
    editor.destroy?.();
    el.remove();
  };
}
