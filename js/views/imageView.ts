// The image view: a paged thumbnail grid split into incorrect / correct predictions, filterable by
// class and by cohort; clicking an image shows it with its attribution overlaid, the overlay controls,
// and the predicted and true labels with probabilities.
import { decodeArray, WireArray } from "../arrays";
import { Cohort, Column, evaluateCohort } from "../cohorts";
import type { WidgetModel } from "../dashboard";
import { fmt, h, option } from "../dom";
import { clipValue, colorBar, createOverlayControls, DEFAULT_OVERLAY, drawOverlay, imageUrl, loadImage, OverlayOptions, WireImage } from "../media";

type WireColumn = { kind: "number"; values: WireArray } | { kind: "category"; codes: WireArray; categories: string[] };

export interface ImageMeta {
  n_rows: number;
  output_names: string[];
  task: string;
  units: string;
  method: string;
  targets: number[][];
  sizes: [number, number][];
  map_sizes: [number, number][];
}

export interface ImageArrays {
  images: WireImage[];
  thumbs: WireImage[];
  attributions: WireArray[];
  y_pred: WireColumn;
  y_true?: WireColumn;
  probabilities?: WireArray;
  confidence?: WireArray;
}

export function decodeColumn(w: WireColumn): Column {
  if (w.kind === "number") return { kind: "number", values: decodeArray(w.values).data as Float32Array };
  return { kind: "category", codes: decodeArray(w.codes).data as Int32Array, categories: w.categories };
}

export function labelOf(col: Column | null, i: number): string {
  if (!col) return "";
  if (col.kind === "category") return col.codes[i] >= 0 ? col.categories[col.codes[i]] : "missing";
  if (col.kind === "number") return Number.isNaN(col.values[i]) ? "missing" : fmt(col.values[i], 5);
  return col.values[i] === 1 ? "true" : "false";
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
      const b = h("button", { cls: "rw-thumb", testid: "image-thumb", title: caption(i), attrs: { type: "button", "data-index": String(i) } }, [img, cap]);
      b.classList.toggle("rw-selected", i === selected);
      b.addEventListener("click", () => onPick(i));
      grid.appendChild(b);
    }
    el.hidden = items.length === 0;
  };
  prev.addEventListener("click", () => { page--; draw(); });
  next.addEventListener("click", () => { page++; draw(); });
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

function displaySize(hgt: number, wid: number): [number, number] {
  // small images are enlarged to be seen, big ones fit the panel
  const s = Math.min(420 / Math.max(hgt, wid), Math.max(1, 256 / Math.max(hgt, wid)));
  return [Math.max(1, Math.round(hgt * s)), Math.max(1, Math.round(wid * s))];
}

export function renderImage(model: WidgetModel, root: HTMLElement): () => void {
  const meta = model.get("meta") as ImageMeta;
  const arrays = model.get("arrays") as ImageArrays;
  const n = meta.n_rows;
  const names = meta.output_names;
  const maps = arrays.attributions.map((w) => decodeArray(w));
  const yPred = decodeColumn(arrays.y_pred);
  const yTrue = arrays.y_true ? decodeColumn(arrays.y_true) : null;
  const probs = arrays.probabilities ? decodeArray(arrays.probabilities) : null;
  const confidence = arrays.confidence ? (decodeArray(arrays.confidence).data as Float32Array) : null;

  const columns: Record<string, Column> = {};
  columns.index = { kind: "number", values: Float32Array.from({ length: n }, (_, i) => i) };
  if (yTrue) columns.y_true = yTrue;
  columns.y_pred = yPred;
  const correct = yTrue ? Uint8Array.from({ length: n }, (_, i) => (labelOf(yTrue, i) === labelOf(yPred, i) ? 1 : 0)) : null;
  if (correct) columns.correct = { kind: "bool", values: correct };
  if (confidence) columns.confidence = { kind: "number", values: confidence };

  let opts: OverlayOptions = { ...DEFAULT_OVERLAY, sign: (meta as { signed?: boolean }).signed === false ? "positive" : "signed" };
  let selected: number | null = model.get("selected_rows")?.[0] ?? null;
  let target = 0; // which of the selected image's targets is shown
  let classFilter = -1;

  // --- toolbar: cohort and class filter
  const cohortSelect = h("select", { testid: "cohort-select", title: "Active cohort: the grid shows its images" });
  const classSelect = h("select", { testid: "class-select", title: "Show only images of this class (predicted or true)" });
  classSelect.appendChild(option("-1", "all classes", true));
  names.forEach((name, k) => classSelect.appendChild(option(String(k), name)));
  const count = h("span", { cls: "rw-muted" });
  const cohortError = h("span", { cls: "rw-error" });
  const header = h("div", { cls: "rw-header" }, [
    h("span", { cls: "rw-muted", text: `${meta.method.replace(/_/g, " ")} attributions (${meta.units})` }),
    h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), cohortSelect]),
    h("label", { cls: "rw-control" }, [h("span", { text: "Class" }), classSelect]),
    count,
    cohortError,
  ]);

  const pick = (i: number) => {
    selected = i;
    target = 0;
    model.set("selected_rows", [i]);
    model.save_changes();
    redraw();
  };
  const caption = (i: number) => {
    const p = labelOf(yPred, i);
    const t = yTrue ? labelOf(yTrue, i) : "";
    return yTrue && t !== p ? `${p} (true: ${t})` : p;
  };
  const wrong = thumbGrid(correct ? "Incorrect" : "Images", arrays.thumbs, caption, pick);
  const right = thumbGrid("Correct", arrays.thumbs, caption, pick);
  const grids = h("div", { cls: "rw-grids" }, [wrong.el, right.el]);

  // --- detail: overlay of the selected image
  const canvasOrig = h("canvas", { cls: "rw-media-canvas", testid: "image-original" });
  const canvas = h("canvas", { cls: "rw-media-canvas", testid: "image-overlay" });
  const targetSelect = h("select", { testid: "target-select", title: "Which explained output's map to overlay" });
  const targetCtl = h("label", { cls: "rw-control" }, [h("span", { text: "Explained output" }), targetSelect]);
  const labels = h("div", { cls: "rw-media-labels", testid: "image-labels" });
  const legend = h("div", { cls: "rw-legend" });
  const controls = createOverlayControls(opts, (o) => { opts = o; drawDetail(); });
  const detail = h("div", { cls: "rw-media-detail", testid: "image-detail" }, [
    controls,
    h("div", { cls: "rw-toolbar" }, [targetCtl, legend]),
    h("div", { cls: "rw-media-pair" }, [canvasOrig, canvas, labels]),
  ]);
  const el = h("div", { cls: "rw-media", testid: "image-view" }, [header, detail, grids]);
  root.appendChild(el);

  const sharedCache = new Map<string, number>();
  const scaleFor = (i: number, t: number): number => {
    if (opts.scale === "shared") {
      const key = `${opts.sign}|${opts.clip}`;
      let v = sharedCache.get(key);
      if (v === undefined) {
        v = clipValue(maps.map((m) => mapOf(m, 0)), opts.sign, opts.clip);
        sharedCache.set(key, v);
      }
      return v;
    }
    return clipValue([mapOf(maps[i], t)], opts.sign, opts.clip);
  };
  const mapOf = (m: { data: ArrayLike<number>; shape: number[] }, t: number) => {
    const [, mh, mw] = m.shape;
    return (m.data as Float32Array).subarray(t * mh * mw, (t + 1) * mh * mw);
  };

  let loaded: { i: number; img: CanvasImageSource } | null = null;
  let drawToken = 0;
  const drawDetail = () => {
    detail.hidden = selected === null;
    if (selected === null) return;
    const i = selected;
    const [ih, iw] = meta.sizes[i];
    const [dh, dw] = displaySize(ih, iw);
    for (const c of [canvasOrig, canvas]) {
      if (c.width !== dw) c.width = dw;
      if (c.height !== dh) c.height = dh;
    }
    const m = maps[i];
    const [, mh, mw] = m.shape;
    const scale = scaleFor(i, target);
    const paint = (img: CanvasImageSource | null) => {
      drawOverlay(canvasOrig, img, null, opts, scale);
      drawOverlay(canvas, img, { data: mapOf(m, target), h: mh, w: mw }, opts, scale);
      canvas.dataset.drawn = String(i);
    };
    legend.replaceChildren(colorBar(opts, scale, (v) => fmt(v)));
    const have = loaded;
    if (have && have.i === i) paint(have.img);
    else {
      const token = ++drawToken;
      loadImage(arrays.images[i]).then((img) => {
        if (token !== drawToken) return;
        loaded = { i, img };
        paint(img);
      }, () => paint(null));
    }
  };

  const drawLabels = () => {
    if (selected === null) return;
    const i = selected;
    targetSelect.replaceChildren(...meta.targets[i].map((t, j) => option(String(j), names[t] ?? String(t), j === target)));
    targetCtl.hidden = meta.targets[i].length <= 1;
    const rows: HTMLElement[] = [h("div", { cls: "rw-media-title", text: `Image ${i}` })];
    const p = labelOf(yPred, i);
    rows.push(h("div", {}, [h("span", { cls: "rw-muted", text: "Predicted: " }), h("strong", { text: p, testid: "pred-label" })]));
    if (yTrue) {
      const t = labelOf(yTrue, i);
      rows.push(h("div", {}, [h("span", { cls: "rw-muted", text: "True: " }), h("strong", { text: t, testid: "true-label" }),
        h("span", { cls: t === p ? "rw-ok" : "rw-error", text: t === p ? "  ✓ correct" : "  ✗ incorrect" })]));
    }
    rows.push(h("div", { cls: "rw-muted", text: `Overlay: ${names[meta.targets[i][target]] ?? ""}` }));
    if (probs) {
      const k = probs.shape[1];
      const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => probs.data[i * k + b] - probs.data[i * k + a]).slice(0, 5);
      const list = h("table", { cls: "rw-prob-table" });
      for (const c of order) {
        const v = probs.data[i * k + c];
        const bar = h("span", { cls: "rw-prob-bar" });
        bar.style.width = `${Math.round(80 * v)}px`;
        list.appendChild(h("tr", {}, [h("td", { text: names[c] ?? String(c) }), h("td", {}, [bar]), h("td", { cls: "rw-muted", text: `${(100 * v).toFixed(1)}%` })]));
      }
      rows.push(h("div", { cls: "rw-muted", text: "Probabilities" }), list);
    }
    labels.replaceChildren(...rows);
  };
  targetSelect.addEventListener("change", () => { target = Number(targetSelect.value); drawLabels(); drawDetail(); });

  const cohorts = (): Cohort[] => model.get("cohorts") ?? [];
  const drawToolbar = () => {
    const active = model.get("active_cohort");
    cohortSelect.replaceChildren(...cohorts().map((c) => option(c.name, c.name, c.name === active)));
  };
  cohortSelect.addEventListener("change", () => {
    model.set("active_cohort", cohortSelect.value);
    model.save_changes();
    redraw();
  });
  classSelect.addEventListener("change", () => { classFilter = Number(classSelect.value); redraw(); });

  function redraw() {
    const cohort = cohorts().find((c) => c.name === model.get("active_cohort"));
    let mask: Uint8Array;
    cohortError.textContent = "";
    try {
      mask = cohort ? evaluateCohort(cohort, columns, n) : new Uint8Array(n).fill(1);
    } catch (e) {
      mask = new Uint8Array(n);
      cohortError.textContent = (e as Error).message;
    }
    const cls = classFilter >= 0 ? names[classFilter] : null;
    const shown: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      if (cls !== null && labelOf(yPred, i) !== cls && labelOf(yTrue, i) !== cls) continue;
      shown.push(i);
    }
    count.textContent = `${shown.length} of ${n} images`;
    wrong.set(correct ? shown.filter((i) => !correct[i]) : shown, selected);
    right.set(correct ? shown.filter((i) => correct[i]) : [], selected);
    drawLabels();
    drawDetail();
  }

  const onModel = () => {
    const s = model.get("selected_rows")?.[0];
    if (s !== undefined && s !== selected) { selected = s; target = 0; }
    drawToolbar();
    redraw();
  };
  for (const t of ["cohorts", "active_cohort", "selected_rows"]) model.on(`change:${t}`, onModel);
  drawToolbar();
  redraw();
  return () => {
    for (const t of ["cohorts", "active_cohort", "selected_rows"]) model.off(`change:${t}`, onModel);
    el.remove();
  };
}
