import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { aboveMinimum, detectionAt, visibleDetections } from "../../js/detection/data";
import { renderDetection } from "../../js/detection/view";
import { FakeModel, wire, wireColumns } from "./fixtures";

describe("detection helpers", () => {
  const dets = [
    { box: [0, 0, 10, 10] as [number, number, number, number], label: "a", score: 0.9 },
    { box: [2, 2, 5, 5] as [number, number, number, number], label: "b", score: 0.3 },
  ];
  it("threshold hides weak detections", () => {
    expect(visibleDetections(dets, 0)).toEqual([0, 1]);
    expect(visibleDetections(dets, 0.5)).toEqual([0]);
    expect(visibleDetections(dets, 0.95)).toEqual([]);
  });
  it("a click picks the smallest visible box under it", () => {
    expect(detectionAt(dets, [0, 1], 3, 3)).toBe(1);
    expect(detectionAt(dets, [0], 3, 3)).toBe(0);
    expect(detectionAt(dets, [0, 1], 8, 8)).toBe(0);
    expect(detectionAt(dets, [0, 1], 20, 3)).toBe(-1);
  });
  it("saliency is shown above its floor", () => {
    expect(Array.from(aboveMinimum(Float32Array.from([0.3, 0.5, 0.4])))).toEqual([0, expect.closeTo(0.2), expect.closeTo(0.1)]);
  });
});

describe("renderDetection with the cohort editor", () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => null) as never);
    URL.createObjectURL = () => "blob:test";
  });
  afterEach(() => vi.restoreAllMocks());

  it("the cohort select filters the image list; detections and confidence are cohort columns", () => {
    const png = () => ({ png: new Uint8Array([137, 80, 78, 71]) });
    const box = (label: string, score: number) => ({ box: [0, 0, 2, 2] as [number, number, number, number], label, score });
    const detections = [[box("a", 0.9), box("b", 0.3)], [], [box("b", 0.5)]];
    const model = new FakeModel({
      kind: "detection",
      meta: {
        n_rows: 3,
        output_names: ["a", "b"],
        task: "detection",
        units: "score",
        all_data: "All data",
        detections,
        sizes: Array(3).fill([4, 4]),
      },
      arrays: {
        columns: wireColumns([
          { name: "index", kind: "number", values: [0, 1, 2] },
          { name: "y_pred", kind: "category", codes: [1, 0, 2], categories: ["", "a, b", "b"] },
          { name: "detections", kind: "number", values: [2, 0, 1] },
          { name: "confidence", kind: "number", values: [0.9, 0, 0.5] },
        ]),
        images: [png(), png(), png()],
        thumbs: [png(), png(), png()],
        saliency: [wire(Array(32).fill(1), [2, 4, 4]), wire([], [0, 4, 4]), wire(Array(16).fill(1), [1, 4, 4])],
      },
      cohorts: [
        { name: "All data", combine: "all", filters: [] },
        { name: "found", combine: "all", filters: [{ column: "detections", op: ">", value: 0 }] },
      ],
      active_cohort: "All data",
      selected_rows: [],
    });
    const root = document.createElement("div");
    const cleanup = renderDetection(model, root);
    const thumbs = () => Array.from(root.querySelectorAll<HTMLElement>('[data-testid="image-thumb"]')).map((b) => Number(b.dataset.index));
    expect(thumbs()).toEqual([0, 1, 2]);
    const select = root.querySelector<HTMLSelectElement>('[data-testid="cohort-select"]')!;
    select.value = "found";
    select.dispatchEvent(new Event("change"));
    expect(model.get("active_cohort")).toBe("found");
    expect(thumbs()).toEqual([0, 2]);
    expect(root.querySelector('[data-testid="cohort-editor"]')).not.toBeNull();
    root.querySelector<HTMLElement>('[data-testid="image-thumb"][data-index="2"]')!.click();
    expect(model.get("selected_rows")).toEqual([2]);
    expect(root.querySelector('[data-testid="detection-list"]')!.textContent).toContain("Image 2");
    cleanup();
  });
});
