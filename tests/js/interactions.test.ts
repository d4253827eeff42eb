import { afterEach, describe, expect, it, vi } from "vitest";
import type { TabularArrays, TabularMeta } from "../../js/tabular/data";
import { TabularData } from "../../js/tabular/data";
import { createDependencePlot } from "../../js/tabular/dependence/view";
import {
  createInteractionMatrix,
  defaultDependenceColor,
  heatmapFeatures,
  IX_HIGH,
  IX_LOW,
  inkOn,
  interactionColor,
  matrixScene,
  strongestPartner,
} from "../../js/tabular/interactions";
import { TabularStore } from "../../js/tabular/store";
import { tinyPayload, wire } from "./fixtures";

const NAMES = ["a", "b", "c", "d"];
// importance: |values| of c > a > d > b; interactions: a x d strongest for a, b x c for b and c.
const MATRIX = [
  [0.5, 0.01, 0.02, 0.3],
  [0.01, 0.1, 0.2, 0.05],
  [0.02, 0.2, 0.9, 0.04],
  [0.3, 0.05, 0.04, 0.2],
];

function payload(withMatrix: boolean, output: number | null = 1): { meta: TabularMeta; arrays: TabularArrays } {
  const n = 20;
  const p = tinyPayload({
    values: Array.from({ length: n }, (_, i) => [[0.5 + i * 0.01], [0.1], [-2], [(i % 2) * 0.6 - 0.3]]),
    data: Array.from({ length: n }, (_, i) => [i, i % 3, i * 2, i % 5]),
    featureNames: NAMES,
    outputNames: ["no", "yes"],
    binaryMirror: true,
  });
  if (withMatrix) {
    p.arrays.interactions = wire(MATRIX.flat(), [4, 4]);
    p.meta.interactions = { output, rows: 20 };
  }
  return p;
}

function storeOf(withMatrix: boolean, initial = {}): TabularStore {
  const { meta, arrays } = payload(withMatrix);
  return new TabularStore(new TabularData(meta, arrays), initial);
}

/** Wire views to their store as tabular/dashboard.ts does. */
function mount(store: TabularStore, ...views: { update(c: Set<never>): void }[]): void {
  store.subscribe((changed) => {
    for (const v of views) v.update(changed as Set<never>);
  });
}

const cells = (el: HTMLElement) => Array.from(el.querySelectorAll<HTMLButtonElement>("button.rw-ix-cell"));

afterEach(() => {
  vi.restoreAllMocks();
  document.body.replaceChildren();
});

describe("interaction matrix", () => {
  it("decodes the matrix and finds each feature's strongest partner", () => {
    const store = storeOf(true);
    expect(Array.from(store.data.interactions ?? [])).toEqual(MATRIX.flat().map((v) => Math.fround(v)));
    expect([0, 1, 2, 3].map((j) => strongestPartner(store.data, j))).toEqual([3, 2, 1, 0]);
    expect(defaultDependenceColor(store.data, 0)).toBe("d");
    expect(defaultDependenceColor(store.data, null)).toBe("cohort");
    expect(strongestPartner(storeOf(false).data, 0)).toBeNull();
    expect(defaultDependenceColor(storeOf(false).data, 0)).toBe("cohort");
  });

  it("orders its rows and columns as the importance chart, top k", () => {
    const store = storeOf(true, { topK: 3 });
    expect(heatmapFeatures(store)).toEqual([2, 0, 3]);
    const view = createInteractionMatrix(store);
    mount(store, view);
    const table = view.el.querySelector<HTMLElement>('[data-testid="interaction-matrix"]');
    expect(table).not.toBeNull();
    const rowLabels = Array.from(view.el.querySelectorAll("th.rw-ix-rowlabel")).map((t) => t.textContent);
    const colLabels = Array.from(view.el.querySelectorAll("th.rw-ix-collabel")).map((t) => t.textContent);
    expect(rowLabels).toEqual(["c", "a", "d"]);
    expect(colLabels).toEqual(["c", "a", "d"]);
    const first = cells(view.el).slice(0, 3);
    expect(first.map((b) => [b.dataset.row, b.dataset.col, Number(b.dataset.value)])).toEqual([
      ["c", "c", Math.fround(0.9)],
      ["c", "a", Math.fround(0.02)],
      ["c", "d", Math.fround(0.04)],
    ]);
    store.update({ topK: 4 });
    expect(cells(view.el)).toHaveLength(16);
    expect(view.el.querySelector(".rw-ix-caption")?.textContent).toContain("over 20 rows");
  });

  it("colours off-diagonal cells on one scale, the diagonal outlined off it", () => {
    const store = storeOf(true, { topK: 4 });
    const view = createInteractionMatrix(store);
    const byPair = new Map(cells(view.el).map((b) => [`${b.dataset.row}${b.dataset.col}`, b]));
    expect(byPair.get("ad")?.style.backgroundColor).toBe(hexToRgb(IX_HIGH)); // the largest off-diagonal value
    expect(byPair.get("cc")?.classList.contains("rw-ix-diagonal")).toBe(true);
    expect(byPair.get("cc")?.style.backgroundColor).toBe("");
    expect(byPair.get("ab")?.title).toContain("a × b: 0.01");
    expect(interactionColor(0)).toBe(IX_LOW);
    expect(interactionColor(1)).toBe(IX_HIGH);
    expect(inkOn(IX_LOW)).toBe("#000000");
    expect(inkOn(IX_HIGH)).toBe("#ffffff");
    expect(view.el.querySelector(".rw-ix-colorbar")?.textContent).toContain("0.3");
  });

  it("opens the dependence plot of the row's feature coloured by the column's on a click", () => {
    const store = storeOf(true, { topK: 4 });
    const view = createInteractionMatrix(store);
    mount(store, view);
    cells(view.el)
      .find((b) => b.dataset.row === "b" && b.dataset.col === "d")
      ?.click();
    expect(store.state.depFeature).toBe(1);
    expect(store.state.depColor).toBe("d");
    const selected = view.el.querySelector<HTMLButtonElement>(".rw-ix-cell.rw-selected");
    expect([selected?.dataset.row, selected?.dataset.col]).toEqual(["b", "d"]);
    // the diagonal: the feature coloured by its strongest partner
    cells(view.el)
      .find((b) => b.dataset.row === "a" && b.dataset.col === "a")
      ?.click();
    expect([store.state.depFeature, store.state.depColor]).toEqual([0, "d"]);
  });

  it("moves the focus between cells with the arrow keys", () => {
    const store = storeOf(true, { topK: 4 });
    const view = createInteractionMatrix(store);
    document.body.appendChild(view.el);
    const all = cells(view.el);
    expect(all.filter((b) => b.tabIndex === 0)).toHaveLength(1);
    all[0].focus();
    all[0].dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    expect(document.activeElement).toBe(all[1]);
    all[1].dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    expect(document.activeElement).toBe(all[5]);
    expect(all.filter((b) => b.tabIndex === 0)).toEqual([all[5]]);
  });

  it("says how to compute it when the explanation has no matrix", () => {
    const view = createInteractionMatrix(storeOf(false));
    expect(view.el.querySelector('[data-testid="interaction-matrix"]')).toBeNull();
    const note = view.el.querySelector('[data-testid="interaction-note"]');
    expect(note?.textContent).toContain("explainer.interactions(exp)");
    expect(note?.classList.contains("rw-muted")).toBe(true);
    expect(view.el.querySelector('[data-testid="export"]')).toBeNull();
  });

  it("exports a scene of the cells shown", () => {
    const store = storeOf(true, { topK: 2 });
    const scene = matrixScene(store.data, heatmapFeatures(store));
    const texts = scene.items.flatMap((it) => (it.kind === "text" ? [it.text] : []));
    expect(texts).toContain("0.9");
    expect(texts).toContain("0.02");
    expect(scene.items.filter((it) => it.kind === "rect" && it.title)).toHaveLength(4);
  });
});

describe("the dependence plot's default colour", () => {
  it("is the feature's strongest interaction partner when the matrix is present", () => {
    const store = storeOf(true);
    const plot = createDependencePlot(store);
    mount(store, plot);
    store.update({ depFeature: 1 });
    expect(store.state.depColor).toBe("c");
    expect(plot.el.querySelector<HTMLSelectElement>('select[title="What colours the points"]')?.value).toBe("feature:c");
    store.update({ depFeature: 0 }); // it follows the feature
    expect(store.state.depColor).toBe("d");
  });

  it("stays a colour the user picked", () => {
    const store = storeOf(true);
    const plot = createDependencePlot(store);
    mount(store, plot);
    const select = plot.el.querySelector<HTMLSelectElement>('select[title="What colours the points"]') as HTMLSelectElement;
    select.value = "cohort";
    select.dispatchEvent(new Event("change"));
    store.update({ depFeature: 1 });
    expect(store.state.depColor).toBe("cohort");
  });

  it("is the cohorts without a matrix", () => {
    const store = storeOf(false);
    const plot = createDependencePlot(store);
    mount(store, plot);
    store.update({ depFeature: 1 });
    expect(store.state.depColor).toBe("cohort");
  });
});

function hexToRgb(c: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
  return `rgb(${r}, ${g}, ${b})`;
}
