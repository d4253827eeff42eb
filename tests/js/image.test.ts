import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeDataset } from "../../js/core/columns";
import { DEFAULT_OVERLAY } from "../../js/core/overlay";
import { thumbGrid } from "../../js/core/thumbs";
import {
  classCohort,
  classesPresent,
  classMask,
  type ImageArrays,
  type ImageMeta,
  mapSlice,
  methodMaps,
  methodsOf,
  panelOptions,
} from "../../js/image/data";
import { displaySize, renderImage } from "../../js/image/view";
import { FakeModel, type TestColumn, wire, wireColumns } from "./fixtures";

describe("maps of several methods", () => {
  // 2 methods x 2 targets of a 2 x 3 map: value = 100 * method + 10 * target + pixel
  const data = Float32Array.from({ length: 2 * 2 * 6 }, (_, k) => 100 * Math.floor(k / 12) + 10 * (Math.floor(k / 6) % 2) + (k % 6));
  const m = { data, shape: [2, 2, 2, 3] };
  it("mapSlice picks one method's map for one target", () => {
    expect(Array.from(mapSlice(m, 0, 0))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(mapSlice(m, 1, 0))).toEqual([100, 101, 102, 103, 104, 105]);
    expect(Array.from(mapSlice(m, 1, 1))).toEqual([110, 111, 112, 113, 114, 115]);
  });
  it("methodMaps gathers one method over every image and target (the shared scale's sample)", () => {
    const all = methodMaps([m, m], 1);
    expect(all).toHaveLength(4);
    expect(Math.min(...all.map((a) => Math.min(...a)))).toBe(100);
    expect(Math.max(...all.map((a) => Math.max(...a)))).toBe(115);
  });
  it("payloads without meta.methods still describe their one method", () => {
    const meta = { method: "guided_gradcam", signed: true } as ImageMeta;
    expect(methodsOf(meta)).toEqual([{ method: "guided_gradcam", label: "guided gradcam", signed: true }]);
  });
  it("an unsigned method draws its magnitudes under 'signed'; the user's other choices stand", () => {
    const cam = { method: "gradcam", label: "Grad-CAM", signed: false };
    const ig = { method: "integrated_gradients", label: "IG", signed: true };
    expect(panelOptions(DEFAULT_OVERLAY, cam)).toEqual({ ...DEFAULT_OVERLAY, sign: "positive" });
    expect(panelOptions(DEFAULT_OVERLAY, ig)).toBe(DEFAULT_OVERLAY);
    const abs = { ...DEFAULT_OVERLAY, sign: "absolute" as const };
    expect(panelOptions(abs, cam)).toBe(abs);
  });
  it("panels shrink when several methods sit side by side", () => {
    expect(displaySize(32, 32)).toEqual([256, 256]);
    expect(displaySize(32, 32, 3)).toEqual([200, 200]);
    expect(displaySize(300, 600, 3)).toEqual([120, 240]);
    expect(displaySize(300, 600)).toEqual([210, 420]);
  });
});

describe("the class filter: predicted or true is this class, evaluated as a cohort", () => {
  const dataset = (names: string[], cols: TestColumn[]) =>
    decodeDataset({ n_rows: 3, output_names: names, task: "classification", units: "logit", all_data: "All data" }, wireColumns(cols));
  it("category labels compare by name", () => {
    const names = ["ant", "bee", "cat", "dog"];
    const data = dataset(names, [
      { name: "y_true", kind: "category", codes: [0, 1, 3], categories: names },
      { name: "y_pred", kind: "category", codes: [3, 1, 1], categories: names },
    ]);
    expect(Array.from(classMask(data, "dog"))).toEqual([1, 0, 1]);
    expect(Array.from(classMask(data, "cat"))).toEqual([0, 0, 0]);
    expect(classCohort(data, "dog")).toEqual({
      name: "class dog",
      combine: "any",
      filters: [
        { column: "y_pred", op: "==", value: "dog" },
        { column: "y_true", op: "==", value: "dog" },
      ],
    });
    expect(classesPresent(data)).toEqual([0, 1, 3]);
  });
  it("the classes listed are those some image is predicted or labelled as (no y_true: predicted only)", () => {
    const names = ["ant", "bee", "cat", "dog"];
    const data = dataset(names, [{ name: "y_pred", kind: "category", codes: [3, 1, 1], categories: names }]);
    expect(classesPresent(data)).toEqual([1, 3]);
  });
  it("integer class labels compare as numbers, in full (123456 is not 123457)", () => {
    const names = ["123456", "123457"];
    const data = dataset(names, [
      { name: "y_true", kind: "number", values: [123456, 123457, 123457] },
      { name: "y_pred", kind: "number", values: [123456, 123456, 123457] },
    ]);
    expect(Array.from(classMask(data, "123457"))).toEqual([0, 1, 1]);
    expect(Array.from(classMask(data, "123456"))).toEqual([1, 1, 0]);
  });
  it("boolean class labels compare as booleans", () => {
    const data = dataset(["false", "true"], [{ name: "y_pred", kind: "bool", values: [1, 0, 1] }]);
    expect(Array.from(classMask(data, "true"))).toEqual([1, 0, 1]);
    expect(Array.from(classMask(data, "false"))).toEqual([0, 1, 0]);
    expect(Array.from(classMask(data, "maybe"))).toEqual([0, 0, 0]);
  });
});

// ------------------------------------------------------------------ the view, in jsdom (no canvas drawing)

function imagePayload(methods = 3): { meta: ImageMeta; arrays: ImageArrays } {
  const n = 4;
  const png = () => ({ png: new Uint8Array([137, 80, 78, 71]) });
  const labels = ["cat", "<b>dog</b>"];
  return {
    meta: {
      n_rows: n,
      output_names: labels,
      task: "classification",
      units: "logit",
      all_data: "All data",
      method: "integrated_gradients",
      methods: [
        { method: "integrated_gradients", label: "Integrated Gradients", signed: true },
        { method: "gradcam", label: "Grad-CAM", signed: false },
        { method: "xrai", label: "XRAI", signed: false },
      ].slice(0, methods),
      signed: true,
      targets: [[0], [1], [1], [0]],
      sizes: Array(n).fill([4, 4]),
      map_sizes: Array(n).fill([4, 4]),
    },
    arrays: {
      images: Array.from({ length: n }, png),
      thumbs: Array.from({ length: n }, png),
      attributions: Array.from({ length: n }, (_, i) =>
        wire(
          Array.from({ length: methods * 16 }, (_, k) => (k % 7) - 3 + i),
          [methods, 1, 4, 4],
        ),
      ),
      columns: wireColumns([
        { name: "index", kind: "number", values: [0, 1, 2, 3] },
        { name: "y_true", kind: "category", codes: [0, 1, 0, 1], categories: labels },
        { name: "y_pred", kind: "category", codes: [0, 1, 1, 0], categories: labels },
        { name: "correct", kind: "bool", values: [1, 1, 0, 0] },
        { name: "confidence", kind: "number", values: [0.9, 0.8, 0.6, 0.55] },
      ]),
      probabilities: wire([0.9, 0.1, 0.2, 0.8, 0.4, 0.6, 0.55, 0.45], [n, 2]),
    },
  };
}

describe("renderImage", () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => null) as never);
    URL.createObjectURL = () => "blob:test";
  });
  afterEach(() => vi.restoreAllMocks());

  function setup(methods = 3, extra: Record<string, unknown> = {}) {
    const p = imagePayload(methods);
    const model = new FakeModel({
      kind: "image",
      meta: p.meta,
      arrays: p.arrays,
      active_cohort: "All data",
      selected_rows: [],
      cohorts: [{ name: "All data", combine: "all", filters: [] }],
      ...extra,
    });
    const root = document.createElement("div");
    document.body.appendChild(root);
    const cleanup = renderImage(model, root);
    return { model, root, cleanup };
  }
  const q = (root: HTMLElement, id: string) => Array.from(root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));

  it("clicking a thumbnail shows one panel per method, captioned, with its own colour bar", () => {
    const { model, root, cleanup } = setup();
    expect(q(root, "image-detail")[0].hidden).toBe(true);
    expect(q(root, "image-thumb")).toHaveLength(4);
    q(root, "image-thumb")[0].click();
    expect(model.get("selected_rows")).toEqual([Number(q(root, "image-thumb")[0].dataset.index)]);
    expect(q(root, "image-detail")[0].hidden).toBe(false);
    const panels = q(root, "method-panel");
    expect(panels.map((p) => p.dataset.method)).toEqual(["integrated_gradients", "gradcam", "xrai"]);
    expect(q(root, "method-caption").map((c) => c.textContent)).toEqual(["Original", "Integrated Gradients", "Grad-CAM", "XRAI"]);
    expect(q(root, "method-legend")).toHaveLength(3);
    expect(q(root, "image-overlay")).toHaveLength(3);
    // several panels: smaller canvases (4 px images enlarged to 200, not 256)
    expect((q(root, "image-overlay")[0] as HTMLCanvasElement).width).toBe(200);
    cleanup();
  });

  it("one method: one panel, as before", () => {
    const { root, cleanup } = setup(1, { selected_rows: [2] });
    expect(q(root, "method-panel")).toHaveLength(1);
    expect((q(root, "image-overlay")[0] as HTMLCanvasElement).width).toBe(256);
    expect(q(root, "pred-label")[0].textContent).toBe("<b>dog</b>"); // text, not markup
    cleanup();
  });

  it("the class filter shows the images predicted or labelled as the class; options state cohort sizes", () => {
    const { root, cleanup } = setup();
    const classSelect = q(root, "class-select")[0] as HTMLSelectElement;
    expect(Array.from(classSelect.options).map((o) => o.textContent)).toEqual(["all classes", "cat", "<b>dog</b>"]);
    classSelect.value = "1";
    classSelect.dispatchEvent(new Event("change"));
    expect(
      q(root, "image-thumb")
        .map((b) => Number(b.dataset.index))
        .sort(),
    ).toEqual([1, 2, 3]);
    expect(q(root, "image-count")[0].textContent).toBe("3 of 4 images");
    const options = Array.from((q(root, "cohort-select")[0] as HTMLSelectElement).options);
    expect(options.map((o) => [o.dataset.testid, o.dataset.cohort, o.dataset.rows])).toEqual([["cohort-size", "All data", "4"]]);
    cleanup();
  });

  it("a cohort saved in the editor reaches the model, becomes active and filters the grid", () => {
    const { model, root, cleanup } = setup();
    q(root, "tab-cohorts")[0].click();
    expect(q(root, "cohort-editor")[0].closest<HTMLElement>(".rw-panel")!.hidden).toBe(false);
    q(root, "cohort-new")[0].click();
    const name = q(root, "cohort-name")[0] as HTMLInputElement;
    name.value = "unsure";
    name.dispatchEvent(new Event("input"));
    q(root, "filter-add")[0].click();
    const col = q(root, "filter-column")[0] as HTMLSelectElement;
    expect(Array.from(col.options).map((o) => o.value)).toEqual(["index", "y_true", "y_pred", "correct", "confidence"]);
    col.value = "confidence";
    col.dispatchEvent(new Event("change"));
    const op = q(root, "filter-op")[0] as HTMLSelectElement;
    op.value = "<";
    op.dispatchEvent(new Event("change"));
    const value = q(root, "filter-value")[0] as HTMLInputElement;
    value.value = "0.7";
    value.dispatchEvent(new Event("input"));
    q(root, "cohort-save")[0].click();
    expect(model.get("cohorts")).toEqual([
      { name: "All data", combine: "all", filters: [] },
      { name: "unsure", combine: "all", filters: [{ column: "confidence", op: "<", value: 0.7 }] },
    ]);
    expect(model.get("active_cohort")).toBe("unsure");
    expect((q(root, "cohort-select")[0] as HTMLSelectElement).value).toBe("unsure");
    expect(
      q(root, "image-thumb")
        .map((b) => Number(b.dataset.index))
        .sort(),
    ).toEqual([2, 3]);
    expect(q(root, "image-count")[0].textContent).toBe("2 of 4 images");
    // a cohort set from Python filters the grid too
    model.set("cohorts", [
      { name: "All data", combine: "all", filters: [] },
      { name: "wrong", combine: "all", filters: [{ column: "correct", op: "==", value: false }] },
    ]);
    model.set("active_cohort", "wrong");
    expect(
      q(root, "image-thumb")
        .map((b) => Number(b.dataset.index))
        .sort(),
    ).toEqual([2, 3]);
    model.set("active_cohort", "All data");
    expect(q(root, "image-thumb")).toHaveLength(4);
    cleanup();
  });
});

describe("thumbGrid pages hundreds of images", () => {
  beforeEach(() => {
    URL.createObjectURL = () => "blob:test";
  });
  const png = () => ({ png: new Uint8Array([137, 80, 78, 71]) });
  const shownIndices = (el: HTMLElement) =>
    Array.from(el.querySelectorAll<HTMLElement>('[data-testid="image-thumb"]')).map((b) => Number(b.dataset.index));
  const buttons = (el: HTMLElement) => {
    const [prev, next] = Array.from(el.querySelectorAll<HTMLButtonElement>(".rw-pager button"));
    return { prev, next, info: el.querySelector(".rw-pager .rw-muted")!.textContent };
  };

  it("shows one page of 40 at a time, with prev / next and the page count", () => {
    const picked: number[] = [];
    const grid = thumbGrid(
      "Images",
      Array.from({ length: 500 }, png),
      (i) => `#${i}`,
      (i) => picked.push(i),
    );
    const items = Array.from({ length: 250 }, (_, k) => 2 * k); // every other image, e.g. after a filter
    grid.set(items, null);
    expect(shownIndices(grid.el)).toEqual(items.slice(0, 40));
    expect(grid.el.querySelector(".rw-grid-head")!.textContent).toBe("Images (250)");
    let b = buttons(grid.el);
    expect(b.info).toBe("page 1 of 7");
    expect(b.prev.disabled).toBe(true);
    for (let p = 0; p < 6; p++) buttons(grid.el).next.click();
    b = buttons(grid.el);
    expect(b.info).toBe("page 7 of 7");
    expect(b.next.disabled).toBe(true);
    expect(shownIndices(grid.el)).toEqual(items.slice(240)); // the last 10
    b.prev.click();
    expect(shownIndices(grid.el)).toEqual(items.slice(200, 240));
    grid.el.querySelector<HTMLButtonElement>('[data-index="410"]')!.click();
    expect(picked).toEqual([410]);
  });

  it("a selection opens its page; new items start at page 1; one page hides the pager", () => {
    const grid = thumbGrid(
      "Images",
      Array.from({ length: 300 }, png),
      (i) => `#${i}`,
      () => {},
    );
    const items = Array.from({ length: 300 }, (_, k) => k);
    grid.set(items, 123);
    expect(buttons(grid.el).info).toBe("page 4 of 8");
    expect(grid.el.querySelector(".rw-selected")!.getAttribute("data-index")).toBe("123");
    buttons(grid.el).next.click();
    grid.set(items.slice(0, 100), null); // other items (a cohort): back to the first page
    expect(buttons(grid.el).info).toBe("page 1 of 3");
    grid.set([5, 6], null);
    expect(grid.el.querySelector<HTMLElement>(".rw-pager")!.hidden).toBe(true);
    expect(shownIndices(grid.el)).toEqual([5, 6]);
  });
});
