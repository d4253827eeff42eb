import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ImageArrays, ImageMeta, MethodInfo } from "../../js/image/data";
import { bestOf, completenessText, deletionText, insertionText, SANITY_WARNING, sanityText, sig3, two } from "../../js/image/trust";
import { renderImage } from "../../js/image/view";
import { FakeModel, wire, wireColumns } from "./fixtures";

describe("the texts of the checks", () => {
  it("AUCs read with two decimals and which way is better", () => {
    expect(deletionText(0.1234)).toBe("deletion AUC 0.12, lower is better");
    expect(insertionText(0.7061)).toBe("insertion AUC 0.71, higher is better");
    expect(two(-0.001)).toBe("0.00");
    expect(two(1)).toBe("1.00");
  });
  it("the completeness gap in the model's units, and as a share of f(x) - f(baseline)", () => {
    expect(completenessText({ attribution_sum: 2.64, output_difference: 2.61, gap: 0.031, relative_gap: 0.0119 })).toBe(
      "completeness gap +0.0310: the map sums to 2.64, f(x) − f(baseline) is 2.61 (1.2% of it)",
    );
    expect(completenessText({ attribution_sum: 0, output_difference: 0, gap: -1.5, relative_gap: null })).toBe(
      "completeness gap -1.50: the map sums to 0, f(x) − f(baseline) is 0",
    );
    expect(sig3(12.71)).toBe("12.7");
    expect(sig3(0.0031234)).toBe("0.00312");
  });
  it("the sanity check: a warning when the maps barely change, the figures either way", () => {
    const failed = sanityText({ rank_correlation: 0.994, ssim: 0.98, passed: false }, 3);
    expect(failed.startsWith(SANITY_WARNING)).toBe(true);
    expect(SANITY_WARNING).toBe("maps barely change when the model's top layers are randomised: this map may not reflect the model");
    expect(failed).toContain("rank correlation 0.99, SSIM 0.98 with the map of a model whose top 3 layers were randomised");
    expect(sanityText({ rank_correlation: 0.12, ssim: null, passed: true }, 1)).toBe(
      "sanity check passed: rank correlation 0.12 with the map of a model whose top 1 layer was randomised",
    );
  });
  it("the best method of an image and target, among those with curves (none for one method)", () => {
    const curve = (d: number, i: number) => ({ deletion_auc: d, insertion_auc: i, deletion: [1, 0], insertion: [0, 1] });
    const m = (rows: ReturnType<typeof curve>[]): MethodInfo => ({
      method: "x",
      label: "x",
      signed: true,
      faithfulness: { steps: 1, baseline: "blur", score: "probability", per_image: [rows] },
    });
    const methods = [m([curve(0.3, 0.6)]), m([curve(0.1, 0.5)]), { method: "y", label: "y", signed: true }];
    expect(bestOf(methods, 0, 0, "deletion_auc")).toBe(1);
    expect(bestOf(methods, 0, 0, "insertion_auc")).toBe(0);
    expect(bestOf(methods.slice(0, 1), 0, 0, "deletion_auc")).toBe(-1);
  });
});

function payload(): { meta: ImageMeta; arrays: ImageArrays } {
  const n = 2;
  const png = () => ({ png: new Uint8Array([137, 80, 78, 71]) });
  const curve = (d: number, i: number) => ({
    deletion_auc: d,
    insertion_auc: i,
    deletion: [0.9, 0.5, 0.1],
    insertion: [0.1, 0.6, 0.9],
  });
  const methods: MethodInfo[] = [
    {
      method: "integrated_gradients",
      label: "Integrated Gradients",
      signed: true,
      faithfulness: { steps: 2, baseline: "blur", score: "probability", per_image: [[curve(0.25, 0.5)], [curve(0.2, 0.9)]] },
      completeness: {
        per_image: [
          [{ attribution_sum: 1.2, output_difference: 1, gap: 0.2, relative_gap: 0.2 }],
          [{ attribution_sum: 2, output_difference: 2, gap: 0, relative_gap: 0 }],
        ],
      },
      sanity: {
        layers: ["fc", "conv"],
        threshold: 0.8,
        per_image: [[{ rank_correlation: 0.3, ssim: 0.2, passed: true }], [{ rank_correlation: 0.4, ssim: 0.3, passed: true }]],
      },
    },
    {
      method: "guided_backprop",
      label: "Guided Backprop",
      signed: true,
      faithfulness: { steps: 2, baseline: "blur", score: "probability", per_image: [[curve(0.125, 0.375)], [curve(0.5, 0.5)]] },
      sanity: {
        layers: ["fc", "conv"],
        threshold: 0.8,
        per_image: [[{ rank_correlation: 0.99, ssim: 0.97, passed: false }], [{ rank_correlation: 0.98, ssim: 0.9, passed: false }]],
      },
    },
    { method: "gradcam", label: "Grad-CAM", signed: false },
  ];
  return {
    meta: {
      n_rows: n,
      output_names: ["cat", "dog"],
      task: "classification",
      units: "logit",
      all_data: "All data",
      method: "integrated_gradients",
      methods,
      signed: true,
      targets: [[0], [1]],
      sizes: Array(n).fill([4, 4]),
      map_sizes: Array(n).fill([4, 4]),
    },
    arrays: {
      images: Array.from({ length: n }, png),
      thumbs: Array.from({ length: n }, png),
      attributions: Array.from({ length: n }, () =>
        wire(
          Array.from({ length: 3 * 16 }, (_, k) => k % 5),
          [3, 1, 4, 4],
        ),
      ),
      columns: wireColumns([
        { name: "index", kind: "number", values: [0, 1] },
        { name: "y_pred", kind: "category", codes: [0, 1], categories: ["cat", "dog"] },
      ]),
    },
  };
}

describe("the checks under each map", () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => null) as never);
    URL.createObjectURL = () => "blob:test";
  });
  afterEach(() => vi.restoreAllMocks());

  const q = (root: HTMLElement, id: string) => Array.from(root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));

  function setup(selected: number) {
    const p = payload();
    const model = new FakeModel({
      kind: "image",
      meta: p.meta,
      arrays: p.arrays,
      active_cohort: "All data",
      selected_rows: [selected],
      cohorts: [{ name: "All data", combine: "all", filters: [] }],
    });
    const root = document.createElement("div");
    document.body.appendChild(root);
    return { model, root, cleanup: renderImage(model, root) };
  }

  it("each method's panel shows its AUCs, sparklines, the gap and the verdict; the best of the methods is marked", () => {
    const { root, cleanup } = setup(0);
    const panels = q(root, "method-panel");
    expect(panels.map((p) => p.dataset.method)).toEqual(["integrated_gradients", "guided_backprop", "gradcam"]);
    const text = (p: HTMLElement, id: string) => p.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
    const auc = (p: HTMLElement, kind: string) => p.querySelector(`[data-testid="faithfulness-${kind}"] .rw-trust-text`)?.textContent;
    const best = (p: HTMLElement, kind: string) => p.querySelector(`[data-testid="faithfulness-${kind}"] .rw-trust-best`)?.textContent;
    expect(auc(panels[0], "deletion")).toBe("deletion AUC 0.25, lower is better");
    expect(auc(panels[0], "insertion")).toBe("insertion AUC 0.50, higher is better");
    expect(auc(panels[1], "deletion")).toBe("deletion AUC 0.13, lower is better");
    expect([best(panels[0], "deletion"), best(panels[1], "deletion")]).toEqual([undefined, " best of 2"]);
    expect([best(panels[0], "insertion"), best(panels[1], "insertion")]).toEqual([" best of 2", undefined]);
    expect(text(panels[0], "completeness-gap")).toContain("completeness gap +0.200");
    expect(text(panels[1], "completeness-gap")).toBeNull();
    expect(text(panels[0], "sanity-passed")).toContain("sanity check passed: rank correlation 0.30");
    expect(text(panels[0], "sanity-warning")).toBeNull();
    expect(text(panels[1], "sanity-warning")).toContain(SANITY_WARNING);
    expect(panels[1].querySelector('[data-testid="sanity-warning"]')?.getAttribute("role")).toBe("note");
    expect(panels[0].querySelectorAll("canvas.rw-spark")).toHaveLength(2);
    expect(panels[0].querySelector("canvas.rw-spark")?.getAttribute("aria-label")).toBe(
      "deletion curve: the score goes from 0.90 to 0.10 as pixels are removed in the map's order",
    );
    expect(panels[2].querySelector<HTMLElement>('[data-testid="map-checks"]')?.hidden).toBe(true); // none computed
    cleanup();
  });

  it("another image shows its own figures", () => {
    const { root, model, cleanup } = setup(0);
    model.set("selected_rows", [1]);
    const panels = q(root, "method-panel");
    expect(panels[0].querySelector('[data-testid="faithfulness-insertion"] .rw-trust-text')?.textContent).toBe(
      "insertion AUC 0.90, higher is better",
    );
    expect(panels[0].querySelector('[data-testid="completeness-gap"]')?.textContent).toContain("completeness gap +0:");
    expect(panels[1].querySelector('[data-testid="sanity-warning"]')?.textContent).toContain("rank correlation 0.98");
    cleanup();
  });
});
