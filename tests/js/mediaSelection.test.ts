// The text, image and detection views keep their selection inside the active cohort (js/core/selection.ts),
// the top-tokens title says how many it lists, and detection thumbnails follow the score threshold.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeDataset } from "../../js/core/columns";
import { keepSelectionInCohort } from "../../js/core/selection";
import { Store } from "../../js/core/store";
import { renderDetection } from "../../js/detection/view";
import { topTokensTitle } from "../../js/text/tokens";
import { renderText } from "../../js/text/view";
import { FakeModel, textColumns, wire, wireColumns } from "./fixtures";

const ALL = { name: "All data", combine: "all" as const, filters: [] };

describe("keepSelectionInCohort", () => {
  const dataset = decodeDataset(
    { n_rows: 4, output_names: ["y"], task: "regression", units: "", all_data: "All data" },
    wireColumns([{ name: "index", kind: "number", values: [0, 1, 2, 3] }]),
  );
  const low = { name: "low", combine: "all" as const, filters: [{ column: "index", op: "<" as const, value: 2 }] };

  it("drops the selected rows outside the cohort the view makes active, and keeps those inside", () => {
    const store = new Store(dataset, { cohorts: [ALL, low], active: "All data", selected: [1, 3], tab: "" });
    const stop = keepSelectionInCohort(store);
    store.updateCore({ active: "low" });
    expect(store.state.selected).toEqual([1]);
    stop();
  });
  it("leaves a selection from the kernel alone (the views mark it instead)", () => {
    const store = new Store(dataset, { cohorts: [ALL, low], active: "All data", selected: [3], tab: "" });
    keepSelectionInCohort(store);
    store.updateCore({ active: "low" }, "model");
    expect(store.state.selected).toEqual([3]);
    store.updateCore({ selected: [2] }, "view"); // a selection itself is never overruled
    expect(store.state.selected).toEqual([2]);
  });
});

describe("topTokensTitle", () => {
  it("says how many tokens it lists", () => {
    expect(topTokensTitle(10, 30, 10)).toBe("Top 10 tokens of this text");
    expect(topTokensTitle(9, 9, 10)).toBe("All 9 tokens of this text");
    expect(topTokensTitle(1, 1, 10)).toBe("The one token of this text");
    expect(topTokensTitle(3, 12, 10)).toBe("The 3 tokens of this text's 12 that move this output");
    expect(topTokensTitle(1, 12, 10)).toBe("The one token of this text's 12 that moves this output");
    expect(topTokensTitle(0, 5, 10)).toBe("Top 10 tokens of this text"); // the chart says no token moves it
  });
});

describe("the text view and a selection outside the active cohort", () => {
  function setup(selected: number[]) {
    const docs = [["a", "good", "film"], ["dull"], ["a", "fine", "film", "indeed"]];
    const texts = docs.map((d) => d.join(" "));
    const spans: number[] = [];
    for (const d of docs) {
      let pos = 0;
      for (const w of d) {
        spans.push(pos, pos + w.length);
        pos += w.length + 1;
      }
    }
    const v = [0.1, 0.9, 0.05, -0.02, 0.01, 0.03, 0.02, 0];
    const model = new FakeModel({
      kind: "text",
      meta: {
        output_names: ["neg", "pos"],
        task: "classification",
        units: "probability",
        n_rows: 3,
        all_data: "All data",
        threshold: null,
        texts,
        stop_words: [],
      },
      arrays: {
        columns: textColumns({ tokens: docs, classes: ["neg", "pos"], yPred: [1, 0, 1] }),
        spans: wire(spans, [8, 2], "int32"),
        values: wire(
          v.flatMap((x) => [-x, x]),
          [8, 2],
        ),
        base_values: wire([0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [3, 2]),
        model_output: wire([0.1, 0.9, 0.6, 0.4, 0.2, 0.8], [3, 2]),
      },
      cohorts: [ALL],
      active_cohort: "All data",
      selected_rows: selected,
    });
    const root = document.createElement("div");
    const cleanup = renderText(model, root);
    const q = <T extends HTMLElement>(id: string) => root.querySelector<T>(`[data-testid="${id}"]`)!;
    return { model, root, cleanup, q };
  }

  it("Save as cohort drops a selected text the new cohort does not hold; the detail shows the cohort's first", () => {
    const { model, root, cleanup, q } = setup([1]);
    expect(root.querySelector(".rw-tx-dochead")!.textContent).toContain("Text #1");
    const box = q<HTMLInputElement>("contains-token");
    box.value = "film";
    box.dispatchEvent(new Event("input"));
    // while the word only narrows the list, the selection stays, marked
    expect(q("selection-outside").textContent).toContain("Text #1 does not contain 'film'");
    q<HTMLButtonElement>("contains-save").click();
    expect(model.attrs.selected_rows).toEqual([]);
    expect(root.querySelector(".rw-tx-dochead")!.textContent).toContain("Text #0");
    expect(q("selection-outside").hidden).toBe(true);
    expect(q("text-count").textContent).toBe("2 of 3 texts");
    cleanup();
  });

  it("a selection from the kernel outside the cohort is marked and coloured on its own scale", () => {
    const { model, root, cleanup, q } = setup([]);
    q<HTMLSelectElement>("scale-select").value = "shared";
    q("scale-select").dispatchEvent(new Event("change"));
    model.set("cohorts", [ALL, { name: "films", combine: "all", filters: [{ column: "tokens", op: "contains", value: "film" }] }]);
    model.set("active_cohort", "films");
    model.set("selected_rows", [1]);
    expect(model.attrs.selected_rows).toEqual([1]);
    expect(q("selection-outside").textContent).toContain("Text #1 is not in the cohort 'films'");
    // its one token is its own scale's maximum: full colour, not the films' 0.9 scale
    const token = root.querySelector<HTMLElement>('[data-testid="token"]')!;
    expect(token.textContent).toBe("dull");
    expect(token.style.backgroundColor).toBe("rgba(214, 39, 40, 0.9)"); // it raises its predicted 'neg'
    expect(root.querySelectorAll(".rw-tx-item.rw-selected").length).toBe(0);
    cleanup();
  });

  it("the top tokens title counts what it lists; counts are singular for one", () => {
    const { root, cleanup, q } = setup([0]);
    expect(q("top-tokens-title").textContent).toBe("All 3 tokens of this text");
    expect(root.querySelector(".rw-tx-dochead")!.textContent).toContain("3 tokens");
    root.querySelectorAll<HTMLElement>('[data-testid="doc-item"]')[1].click(); // a text of one token
    expect(root.querySelector(".rw-tx-dochead")!.textContent).toContain("1 token ·");
    cleanup();
  });
});

describe("detection thumbnails follow the score threshold", () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => null) as never);
    URL.createObjectURL = () => "blob:test";
  });
  afterEach(() => vi.restoreAllMocks());

  it("draws only the boxes at or above the threshold, and counts those in the caption", () => {
    const png = () => ({ png: new Uint8Array([137, 80, 78, 71]) });
    const box = (score: number) => ({ box: [0, 0, 2, 2] as [number, number, number, number], label: "a", score });
    const model = new FakeModel({
      kind: "detection",
      meta: {
        n_rows: 2,
        output_names: ["a"],
        task: "detection",
        units: "score",
        all_data: "All data",
        detections: [[box(0.9), box(0.3)], [box(0.5)]],
        sizes: [
          [4, 4],
          [4, 4],
        ],
      },
      arrays: {
        columns: wireColumns([
          { name: "index", kind: "number", values: [0, 1] },
          { name: "detections", kind: "number", values: [2, 1] },
        ]),
        images: [png(), png()],
        thumbs: [png(), png()],
        saliency: [wire(Array(32).fill(1), [2, 4, 4]), wire(Array(16).fill(1), [1, 4, 4])],
      },
      cohorts: [ALL],
      active_cohort: "All data",
      selected_rows: [],
    });
    const root = document.createElement("div");
    const cleanup = renderDetection(model, root);
    const thumb = (i: number) => root.querySelector<HTMLElement>(`[data-testid="image-thumb"][data-index="${i}"]`)!;
    const boxes = (i: number) => thumb(i).querySelectorAll("rect").length;
    expect([boxes(0), boxes(1)]).toEqual([2, 1]);
    expect(thumb(0).querySelector(".rw-thumb-caption")!.textContent).toBe("#0 · 2 det.");
    const slider = root.querySelector<HTMLInputElement>('[data-testid="score-threshold"]')!;
    slider.value = "0.6";
    slider.dispatchEvent(new Event("input"));
    expect([boxes(0), boxes(1)]).toEqual([1, 0]);
    expect(thumb(0).querySelector(".rw-thumb-caption")!.textContent).toBe("#0 · 1/2 det.");
    expect(thumb(1).title).toBe("Image 1: 0 of 1 detection at score ≥ 0.60");
    expect(root.querySelector('[data-testid="image-count"]')!.textContent).toBe("2 of 2 images");
    cleanup();
  });
});
