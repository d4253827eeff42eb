import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  agreementText,
  type Convergence,
  convergenceText,
  type DetectionCheck,
  energyText,
  peakText,
  percent,
  pointingShare,
  pointingShareText,
} from "../../js/detection/checks";
import type { Detection } from "../../js/detection/data";
import { renderDetection } from "../../js/detection/view";
import { FakeModel, wire, wireColumns } from "./fixtures";

const check = (over: Partial<DetectionCheck> = {}): DetectionCheck => ({
  hit: true,
  peak: [3.5, 2.5],
  distance: 0,
  tied: 1,
  energy: 0.72,
  box_share: 0.05,
  ...over,
});

describe("the checks in words", () => {
  it("says where the peak is, as text", () => {
    expect(peakText(check(), 2.9)).toBe("peak inside the box");
    expect(peakText(check({ distance: 1.44 }), 2.88)).toBe("peak inside the box (1.4 px past its edge, within the 2.9 px tolerance)");
    expect(peakText(check({ hit: false, distance: 23.04 }), 2.9)).toBe("peak outside the box (23 px away)");
    expect(peakText(check({ hit: false, distance: 9, tied: 3 }), 2.9)).toBe("peak outside the box (3 tied peaks, the farthest 9 px away)");
    expect(peakText(check({ tied: 2 }), 2.9)).toBe("peak inside the box (2 tied peaks, all inside)");
    expect(peakText(check({ hit: false, peak: null, distance: null }), 2.9)).toBe("no peak: the map is flat");
  });
  it("gives the saliency inside the box beside the box's share of the image", () => {
    expect(energyText(check())).toBe("72% of the saliency inside the box (the box is 5% of the image)");
    expect(energyText(check({ energy: null }))).toBe("no saliency above the map's median");
    expect(percent(0.004)).toBe("0%");
    expect(percent(1)).toBe("100%");
  });
  const conv: Convergence = {
    num_masks: 1000,
    subsets: 4,
    threshold: 0.9,
    agreement: [[0.934, null]],
    noise: [[0.041, null]],
    median: 0.934,
    lowest: 0.934,
    enough: true,
    masks_needed: null,
    verdict: "1,000 masks: the two halves of the masks agree at r 0.93 (median of 1 detection, lowest 0.93): enough.",
  };
  it("shows Python's verdict, and says when there is none", () => {
    expect(convergenceText(conv)).toBe(conv.verdict);
    expect(convergenceText(null)).toMatch(
      /^D-RISE's mask agreement is not recorded: the explanation was saved before rai-widget checked it/,
    );
    expect(agreementText(conv, 0, 0)).toBe("mask halves agree at r 0.93; noise ±4% of the map's range");
    expect(agreementText(conv, 0, 1)).toBe("mask halves: no figure (a flat map)");
    expect(agreementText({ ...conv, num_masks: 2 }, 0, 1)).toBe("too few masks to compare");
    expect(agreementText(null, 0, 0)).toBe("mask agreement not recorded");
  });
  it("counts the pointing game's hits in a cohort above a score", () => {
    const d = (score: number): Detection => ({ box: [0, 0, 1, 1], label: "a", score });
    const dets = [[d(0.9), d(0.4)], [], [d(0.8)]];
    const loc = [[check(), check({ hit: false })], [], [check()]];
    expect(pointingShare(dets, loc, [1, 1, 1], 0)).toEqual({ hits: 2, detections: 3 });
    expect(pointingShare(dets, loc, [1, 1, 0], 0)).toEqual({ hits: 1, detections: 2 });
    expect(pointingShare(dets, loc, [1, 1, 1], 0.5)).toEqual({ hits: 2, detections: 2 });
    expect(pointingShareText({ hits: 2, detections: 3 }, "All data", 0)).toBe(
      "Pointing game in the cohort 'All data': 2 of 3 detections (67%) with the peak inside the box",
    );
    expect(pointingShareText({ hits: 1, detections: 1 }, "x", 0.5)).toBe(
      "Pointing game in the cohort 'x' at score ≥ 0.50: 1 of 1 detection (100%) with the peak inside the box",
    );
    expect(pointingShareText({ hits: 0, detections: 0 }, "x", 0)).toBe("Pointing game in the cohort 'x': no detection to check");
  });
});

describe("the detection view shows the checks", () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => null) as never);
    URL.createObjectURL = () => "blob:test";
  });
  afterEach(() => vi.restoreAllMocks());

  const png = () => ({ png: new Uint8Array([137, 80, 78, 71]) });
  const box = (label: string, score: number) => ({ box: [0, 0, 2, 2] as [number, number, number, number], label, score });
  function model(extra: Record<string, unknown>) {
    return new FakeModel({
      kind: "detection",
      meta: {
        n_rows: 3,
        output_names: ["a", "b"],
        task: "detection",
        units: "saliency",
        all_data: "All data",
        detections: [[box("a", 0.9), box("<b>b</b>", 0.3)], [], [box("b", 0.5)]],
        sizes: Array(3).fill([4, 4]),
        ...extra,
      },
      arrays: {
        columns: wireColumns([
          { name: "index", kind: "number", values: [0, 1, 2] },
          { name: "y_pred", kind: "category", codes: [1, 0, 2], categories: ["", "a, <b>b</b>", "b"] },
          { name: "detections", kind: "number", values: [2, 0, 1] },
          { name: "confidence", kind: "number", values: [0.9, 0, 0.5] },
        ]),
        images: [png(), png(), png()],
        thumbs: [png(), png(), png()],
        saliency: [wire(Array(32).fill(1), [2, 4, 4]), wire([], [0, 4, 4]), wire(Array(16).fill(1), [1, 4, 4])],
      },
      cohorts: [
        { name: "All data", combine: "all", filters: [] },
        { name: "last", combine: "all", filters: [{ column: "index", op: "==", value: 2 }] },
      ],
      active_cohort: "All data",
      selected_rows: [],
    });
  }
  const conv: Convergence = {
    num_masks: 6,
    subsets: 4,
    threshold: 0.9,
    agreement: [[0.2, 0.5], [], [0.8]],
    noise: [[0.3, 0.2], [], [0.1]],
    median: 0.5,
    lowest: 0.2,
    enough: false,
    masks_needed: 200,
    verdict: "Too few masks for 3 of 3 detections: ...",
  };
  const checks = {
    localisation: [[check(), check({ hit: false, distance: 3, energy: 0.1 })], [], [check({ energy: 0.5, box_share: 0.25 })]],
    tolerances: [0.12, 0.12, 0.12],
    convergence: conv,
  };
  const text = (root: HTMLElement, id: string) => Array.from(root.querySelectorAll(`[data-testid="${id}"]`), (e) => e.textContent);

  it("with each detection, the peak and the share of saliency in its box; the masks and the cohort's share above", () => {
    const m = model(checks);
    const root = document.createElement("div");
    const cleanup = renderDetection(m, root);
    expect(text(root, "detection-peak")).toEqual(["✓ peak inside the box", "✗ peak outside the box (3 px away)"]);
    expect(text(root, "detection-energy")).toEqual([
      "72% of the saliency inside the box (the box is 5% of the image)",
      "10% of the saliency inside the box (the box is 5% of the image)",
    ]);
    const peaks = root.querySelectorAll('[data-testid="detection-peak"]');
    expect(peaks[0].classList.contains("rw-det-hit") && peaks[1].classList.contains("rw-det-miss")).toBe(true);
    expect(text(root, "mask-agreement")).toEqual([conv.verdict]);
    expect(root.querySelector('[data-testid="mask-agreement"]')!.classList.contains("rw-warn-text")).toBe(true);
    expect(text(root, "detection-agreement")).toEqual([
      "The picked detection's map: mask halves agree at r 0.20; noise ±30% of the map's range",
    ]);
    expect(text(root, "pointing-game-share")).toEqual([
      "Pointing game in the cohort 'All data': 2 of 3 detections (67%) with the peak inside the box",
    ]);
    // picking the other detection moves the agreement line with it; labels are text, never markup
    root.querySelectorAll<HTMLElement>('[data-testid="detection-item"]')[1].click();
    expect(text(root, "detection-agreement")).toEqual([
      "The picked detection's map: mask halves agree at r 0.50; noise ±20% of the map's range",
    ]);
    expect(root.querySelector("b")).toBeNull();
    // the score threshold and the active cohort change the cohort's count
    const slider = root.querySelector<HTMLInputElement>('[data-testid="score-threshold"]')!;
    slider.value = "0.4";
    slider.dispatchEvent(new Event("input"));
    expect(text(root, "pointing-game-share")).toEqual([
      "Pointing game in the cohort 'All data' at score ≥ 0.40: 2 of 2 detections (100%) with the peak inside the box",
    ]);
    const select = root.querySelector<HTMLSelectElement>('[data-testid="cohort-select"]')!;
    select.value = "last";
    select.dispatchEvent(new Event("change"));
    expect(text(root, "pointing-game-share")).toEqual([
      "Pointing game in the cohort 'last' at score ≥ 0.40: 1 of 1 detection (100%) with the peak inside the box",
    ]);
    expect(text(root, "detection-energy")).toEqual(["50% of the saliency inside the box (the box is 25% of the image)"]);
    cleanup();
  });

  it("an explanation saved before the masks' check says so; a payload without checks still renders", () => {
    const root = document.createElement("div");
    const cleanup = renderDetection(model({ ...checks, convergence: null }), root);
    expect(text(root, "mask-agreement")[0]).toMatch(/^D-RISE's mask agreement is not recorded/);
    expect(text(root, "detection-agreement")).toEqual(["The picked detection's map: mask agreement not recorded"]);
    cleanup();
    const bare = document.createElement("div");
    const done = renderDetection(model({}), bare);
    expect(text(bare, "detection-item").length).toBe(2);
    expect(text(bare, "detection-peak")).toEqual([]);
    done();
  });
});
