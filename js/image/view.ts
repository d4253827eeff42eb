// The image view: a paged thumbnail grid split into incorrect / correct predictions, filterable by
// class and by cohort (the shared cohort editor, in its own tab); clicking an image shows it beside
// its attribution maps, one panel per method when several were computed (each with its caption and
// colour bar, all under one set of overlay controls), and the predicted / true labels with
// probabilities. Cohorts, the active cohort and the selected image go through the same Store and
// widget traits as the other views (syncWithModel); a selection outside the active cohort is dropped
// when the user changes the cohort, and marked when it comes from the kernel (core/selection.ts).
import { createCohortEditor } from "../core/cohortEditor";
import { createCohortPicker } from "../core/cohortPicker";
import { countOfText, rowNoun } from "../core/cohortSize";
import { labelOf } from "../core/columns";
import { fmt, h, option } from "../core/dom";
import { canvasPng, exportControls } from "../core/export";
import { imagePainter } from "../core/images";
import { clipValue, colorBar, createOverlayControls, DEFAULT_OVERLAY, drawOverlay, mapCanvas, type OverlayOptions } from "../core/overlay";
import { keepSelectionInCohort, outsideCohort } from "../core/selection";
import { Store } from "../core/store";
import { modelState, syncWithModel, type WidgetModel } from "../core/sync";
import { tabBar } from "../core/tabs";
import { thumbGrid } from "../core/thumbs";
import { classesPresent, classMask, type ImageArrays, ImageData, type ImageMeta, mapSlice, methodMaps, panelOptions } from "./data";
import { trustBlock } from "./trust";

/** Canvas size of an image in the detail: small images are enlarged to be seen, big ones fit; with
 *  several method panels side by side each is smaller, so a row of them fits a notebook's width. */
export function displaySize(hgt: number, wid: number, panels = 1): [number, number] {
  const fit = panels > 1 ? 240 : 420;
  const grow = panels > 1 ? 200 : 256;
  const s = Math.min(fit / Math.max(hgt, wid), Math.max(1, grow / Math.max(hgt, wid)));
  return [Math.max(1, Math.round(hgt * s)), Math.max(1, Math.round(wid * s))];
}

const IMAGES = rowNoun("image");

export function renderImage(model: WidgetModel, root: HTMLElement): () => void {
  const data = new ImageData(model.get("meta") as ImageMeta, model.get("arrays") as ImageArrays);
  const { meta, arrays, n, methods, maps, probs, yPred, yTrue, correct } = data;
  const names = meta.output_names;
  const store = new Store(data.dataset, { ...modelState(model), tab: "images" });

  let opts: OverlayOptions = { ...DEFAULT_OVERLAY, sign: methods.some((m) => m.signed) ? "signed" : "positive" };
  let target = 0; // which of the selected image's targets is shown
  let classFilter = -1;
  const selected = (): number | null => {
    const s = store.state.selected[0];
    return s !== undefined && s >= 0 && s < n ? s : null;
  };

  // --- header: what is shown, cohort and class filter
  const picker = createCohortPicker(store, "Active cohort: the grid shows its images");
  const classSelect = h("select", {
    cls: "rw-class-filter",
    testid: "class-select",
    title: "Show only images of this class (predicted or true)",
  });
  classSelect.appendChild(option("-1", "all classes", true));
  for (const k of classesPresent(data.dataset)) classSelect.appendChild(option(String(k), names[k]));
  const count = h("span", { cls: "rw-muted", testid: "image-count" });
  const cohortError = h("span", { cls: "rw-error" });
  const what = methods.length > 1 ? `${methods.map((m) => m.label).join(" · ")} attributions` : `${methods[0].label} attributions`;
  const header = h("div", { cls: "rw-header" }, [
    h("span", { cls: "rw-muted", text: `${what} (${meta.units})` }),
    h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), picker.el]),
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
    return yTrue && correct?.[i] !== 1 ? `${p} (true: ${t})` : p;
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
    checks: h("div", { cls: "rw-trust-slot" }),
  }));
  // Export of a method's panel: the map alone on the current colours, and the overlay as drawn.
  let drawn: { i: number; opts: OverlayOptions[]; scales: number[] } | null = null;
  const exportPanel = (j: number, canvas: HTMLCanvasElement) => {
    const need = () => {
      if (!drawn) throw new Error("no image is shown");
      return drawn;
    };
    const stem = (what: string) => () => {
      const { i } = need();
      return `image-${i}-${methods[j].method}-${names[meta.targets[i][target]] ?? target}-${what}`;
    };
    const label = methods.length > 1 ? `the ${methods[j].label} map` : "the attribution map";
    return exportControls(label, [
      {
        format: "png",
        label: "Map PNG",
        what: `${label} alone`,
        testid: "export-map-png",
        fileName: stem("map"),
        build: () => {
          const { i, opts: o, scales } = need();
          const [, , mh, mw] = maps[i].shape;
          return canvasPng(mapCanvas({ data: mapSlice(maps[i], j, target), h: mh, w: mw }, o[j], scales[j]));
        },
      },
      {
        format: "png",
        label: "Overlay PNG",
        what: `${label} over the image`,
        testid: "export-overlay-png",
        fileName: stem("overlay"),
        build: () => {
          need();
          return canvasPng(canvas);
        },
      },
    ]);
  };
  const targetSelect = h("select", { testid: "target-select", title: "Which explained output's map to overlay" });
  const targetCtl = h("label", { cls: "rw-control" }, [h("span", { text: "Explained output" }), targetSelect]);
  const labels = h("div", { cls: "rw-media-labels", testid: "image-labels" });
  const outsideNote = h("div", { cls: "rw-outside-note", testid: "selection-outside" });
  const controls = createOverlayControls(opts, (o) => {
    opts = o;
    drawDetail();
  });
  const detail = h("div", { cls: "rw-media-detail", testid: "image-detail" }, [
    outsideNote,
    controls,
    h("div", { cls: "rw-toolbar" }, [targetCtl]),
    h("div", { cls: "rw-media-pair" }, [
      panel("Original", canvasOrig, null, "image-panel-original"),
      ...overlays.map((o, j) => {
        const fig = panel(o.info.label, o.canvas, o.legend, "method-panel", o.info.method);
        fig.appendChild(exportPanel(j, o.canvas));
        fig.appendChild(o.checks);
        return fig;
      }),
      labels,
    ]),
  ]);
  const editor = createCohortEditor(store, { noun: rowNoun("image") });
  const imagesPanel = h("div", { cls: "rw-panel" }, [detail, grids]);
  const tabs: [string, string, HTMLElement][] = [
    ["images", "Images", imagesPanel],
    ["cohorts", "Cohorts", h("div", { cls: "rw-panel" }, [editor.el])],
  ];
  const tabsUi = tabBar(tabs, store.state.tab, (tab) => store.update({ tab }));
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
    drawn = { i, opts: panelOpts, scales };
    overlays.forEach((o, j) => {
      o.legend.replaceChildren(colorBar(panelOpts[j], scales[j], (v) => fmt(v)));
      o.checks.replaceChildren(trustBlock(methods, j, i, target));
    });
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
      const ok = correct?.[i] === 1; // the kernel's `correct` column
      rows.push(
        h("div", {}, [
          h("span", { cls: "rw-muted", text: "True: " }),
          h("strong", { text: t, testid: "true-label" }),
          correct ? h("span", { cls: ok ? "rw-ok" : "rw-error", text: ok ? "  ✓ correct" : "  ✗ incorrect" }) : null,
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

  classSelect.addEventListener("change", () => {
    classFilter = Number(classSelect.value);
    redraw();
  });

  function redraw() {
    picker.draw();
    const { mask, error } = store.maskOf(store.activeCohort());
    cohortError.textContent = error ? `invalid cohort: ${error}` : "";
    const cls = classFilter >= 0 ? classMask(data.dataset, names[classFilter]) : null;
    const shown: number[] = [];
    for (let i = 0; i < n; i++) if (mask[i] && (!cls || cls[i])) shown.push(i);
    count.textContent = countOfText(shown.length, n, IMAGES);
    const sel = selected();
    const outside = sel === null ? null : outsideCohort(store, sel, `Image ${sel}`);
    const filtered = sel !== null && !outside && cls !== null && !cls[sel];
    outsideNote.textContent = outside
      ? `${outside}: it is shown, but not in the grid. Pick an image from the grid.`
      : filtered
        ? `Image ${sel} is not of the class '${names[classFilter]}': it is shown, but not in the grid.`
        : "";
    outsideNote.hidden = !outsideNote.textContent;
    wrong.set(correct ? shown.filter((i) => !correct[i]) : shown, sel);
    right.set(correct ? shown.filter((i) => correct[i]) : [], sel);
    drawLabels();
    drawDetail();
  }

  const stopKeeping = keepSelectionInCohort(store);
  let lastSelected = selected();
  const disconnect = syncWithModel(store, model, (changed) => {
    editor.update(changed);
    if (changed.has("tab")) tabsUi.show(store.state.tab);
    if (changed.has("selected") && selected() !== lastSelected) {
      lastSelected = selected();
      target = 0;
    }
    if (changed.has("cohorts") || changed.has("active") || changed.has("selected")) redraw();
  });
  redraw();
  return () => {
    stopKeeping();
    disconnect();
    editor.destroy?.();
    el.remove();
  };
}
