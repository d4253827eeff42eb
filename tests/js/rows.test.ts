import { afterEach, describe, expect, it } from "vitest";
import type { TabularData } from "../../js/tabular/data";
import { clickSelection, createRowTable, filterRows, OVERSCAN, ROW_H, sortRows, tableColumns, visibleRange } from "../../js/tabular/rows";
import { TabularStore as Store } from "../../js/tabular/store";
import { EVIL, makeData } from "./fixtures";

// ---- a small TabularData built in memory (binary classification unless told otherwise) ----

function sample(n = 100): TabularData {
  return makeData({
    n,
    names: ["x", "colour"],
    kinds: ["numeric", "category"],
    categories: { colour: ["red", EVIL] },
    feature: (i, j) => (j === 0 ? (i % 10 === 3 ? NaN : (i * 7) % 13) : i % 2),
    value: (i, j) => (j === 0 ? ((i % 5) - 2) / 2 : 0.1),
    yTrue: (i) => (i % 3 === 0 ? 0 : 1),
  });
}

function mount<V extends { update(c: Set<never>): void }>(store: Store, view: V): V {
  store.subscribe((changed) => view.update(changed as Set<never>));
  return view;
}

const rendered = (el: HTMLElement) => Array.from(el.querySelectorAll<HTMLElement>('[data-testid="row"]'), (r) => Number(r.dataset.row));
const frame = () => new Promise((r) => requestAnimationFrame(r));

afterEach(() => document.body.replaceChildren());

describe("virtual window", () => {
  it("covers the visible rows plus the overscan, clamped to the table", () => {
    expect(visibleRange(0, 240, 24, 100_000, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(2400, 240, 24, 100_000, 5)).toEqual({ start: 95, end: 115 });
    expect(visibleRange(2410, 240, 24, 100_000, 0)).toEqual({ start: 100, end: 111 });
    expect(visibleRange(24 * 99_995, 240, 24, 100_000, 5)).toEqual({ start: 99_990, end: 100_000 });
    expect(visibleRange(0, 240, 24, 3, 5)).toEqual({ start: 0, end: 3 });
    expect(visibleRange(500, 240, 24, 0, 5)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(-50, 240, 24, 100, 0)).toEqual({ start: 0, end: 10 });
  });
});

describe("sorting and filtering", () => {
  it("sorts ascending or descending, missing last, ties in row order", () => {
    const rows = Int32Array.from([0, 1, 2, 3, 4, 5]);
    const key = [3, NaN, 1, 3, NaN, 2];
    expect(Array.from(sortRows(rows, (i) => key[i], 1))).toEqual([2, 5, 0, 3, 1, 4]);
    expect(Array.from(sortRows(rows, (i) => key[i], -1))).toEqual([0, 3, 5, 2, 1, 4]);
  });
  it("filters by cohort, correctness and selection", () => {
    const data = sample(12);
    const all = new Uint8Array(12).fill(1);
    const correct = data.correct;
    if (!correct) throw new Error("the fixture has a correct column");
    const ok = filterRows(data, all, "correct", new Set());
    const bad = filterRows(data, all, "incorrect", new Set());
    expect(ok.length + bad.length).toBe(12);
    for (const i of ok) expect(correct[i]).toBe(1);
    for (const i of bad) expect(correct[i]).toBe(0);
    const mask = Uint8Array.from({ length: 12 }, (_, i) => (i < 6 ? 1 : 0));
    expect(Array.from(filterRows(data, mask, "all", new Set()))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(filterRows(data, mask, "selected", new Set([4, 2, 9])))).toEqual([2, 4]);
  });
  it("has index, labels, correct, confidence, then the features", () => {
    expect(tableColumns(sample()).map((c) => c.key)).toEqual([
      "index",
      "y_true",
      "y_pred",
      "correct",
      "confidence",
      "feature:0",
      "feature:1",
    ]);
    const reg = makeData({
      n: 5,
      names: ["a"],
      kinds: ["numeric"],
      feature: (i) => i,
      value: (i) => i,
      yTrue: () => 1,
      task: "regression",
    });
    const cols = tableColumns(reg);
    expect(cols.map((c) => c.key)).toEqual(["index", "y_true", "y_pred", "error", "feature:0"]);
    const err = cols.find((c) => c.key === "error")!;
    expect(Number(err.text(2))).toBeCloseTo(reg.modelOutput(2, 0) - 1, 2);
  });
});

describe("selection by click", () => {
  const order = Int32Array.from([9, 4, 7, 1, 3]);
  it("toggles a row", () => {
    expect(clickSelection([], order, 1, null, false)).toEqual([4]);
    expect(clickSelection([4, 7], order, 1, 1, false)).toEqual([7]);
  });
  it("adds the range from the anchor, in table order, without duplicates", () => {
    expect(clickSelection([4], order, 3, 1, true)).toEqual([4, 7, 1]);
    expect(clickSelection([1], order, 0, 3, true)).toEqual([1, 7, 4, 9]);
    expect(clickSelection([], order, 2, null, true)).toEqual([7]); // no anchor yet: a plain toggle
  });
});

describe("the row table view", () => {
  it("renders only a window of 100,000 rows, with a spacer for the full height", async () => {
    const data = makeData({
      n: 100_000,
      names: ["a", "b", "c"],
      kinds: ["numeric", "numeric", "numeric"],
      feature: (i, j) => i + j,
      value: () => 0.1,
      yTrue: (i) => i % 2,
    });
    const store = new Store(data, {});
    const view = mount(store, createRowTable(store));
    document.body.appendChild(view.el);
    expect(view.el.dataset.testid).toBe("row-table");
    const body = view.el.querySelector(".rw-rows-body") as HTMLElement;
    expect(body.style.height).toBe(`${100_000 * ROW_H}px`);
    const first = rendered(view.el);
    expect(first[0]).toBe(0);
    expect(first.length).toBeLessThan(40);
    const scroller = view.el.querySelector(".rw-rows-scroll") as HTMLElement;
    scroller.scrollTop = 50_000 * ROW_H;
    scroller.dispatchEvent(new Event("scroll"));
    await frame();
    const later = rendered(view.el);
    expect(later.length).toBeLessThan(40);
    expect(Math.min(...later)).toBeGreaterThanOrEqual(50_000 - OVERSCAN - 2);
    expect(Math.min(...later)).toBeLessThanOrEqual(50_000);
    const rowEl = view.el.querySelector<HTMLElement>('[data-row="50000"]')!;
    expect(rowEl.style.top).toBe(`${50_000 * ROW_H}px`);
  });

  it("lists the active cohort's rows and filters correct / incorrect", () => {
    const data = sample();
    const store = new Store(data, {
      cohorts: [
        { name: "All data", combine: "all", filters: [] },
        { name: "first ten", combine: "all", filters: [{ column: "index", op: "<", value: 10 }] },
        { name: "none", combine: "all", filters: [{ column: "index", op: "<", value: 0 }] },
      ],
    });
    const view = mount(store, createRowTable(store));
    store.update({ active: "first ten" });
    expect(rendered(view.el)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const select = view.el.querySelector("select") as HTMLSelectElement;
    expect(Array.from(select.options, (o) => o.value)).toEqual(["all", "correct", "incorrect", "selected"]);
    select.value = "incorrect";
    select.dispatchEvent(new Event("change"));
    const correct = data.correct;
    if (!correct) throw new Error("the fixture has a correct column");
    expect(rendered(view.el)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((i) => !correct[i]));
    select.value = "all";
    select.dispatchEvent(new Event("change"));
    store.update({ active: "none" });
    expect(view.el.textContent).toContain('No rows in cohort "none"');
  });

  it("selects by click and shift-click, shows the count, and clears", () => {
    const store = new Store(sample(), {});
    const view = mount(store, createRowTable(store));
    document.body.appendChild(view.el);
    const row = (i: number) => view.el.querySelector<HTMLElement>(`[data-row="${i}"]`)!;
    row(2).click();
    row(5).dispatchEvent(new MouseEvent("click", { bubbles: true, shiftKey: true }));
    expect(store.state.selected).toEqual([2, 3, 4, 5]);
    row(8).click();
    expect(store.state.selected).toEqual([2, 3, 4, 5, 8]);
    row(3).click();
    expect(store.state.selected).toEqual([2, 4, 5, 8]);
    expect(row(4).classList.contains("rw-rows-selected")).toBe(true);
    expect(row(3).classList.contains("rw-rows-selected")).toBe(false);
    expect(view.el.querySelector(".rw-rows-selcount")?.textContent).toBe("4 selected");
    const many = Array.from({ length: 40 }, (_, i) => i);
    store.update({ selected: many }, "model");
    expect(view.el.querySelector(".rw-rows-selcount")?.textContent).toBe("40 selected");
    (Array.from(view.el.querySelectorAll("button")).find((b) => b.textContent === "clear") as HTMLButtonElement).click();
    expect(store.state.selected).toEqual([]);
    expect(view.el.querySelectorAll(".rw-rows-selected").length).toBe(0);
  });

  it("sorts by a column header, then reverses", () => {
    const data = sample(20); // all 20 fit in the window
    const store = new Store(data, {});
    const view = mount(store, createRowTable(store));
    const header = Array.from(view.el.querySelectorAll<HTMLElement>(".rw-rows-th")).find((h) => h.textContent?.startsWith("x"))!;
    header.click();
    const asc = rendered(view.el).map((i) => data.feature(i, 0));
    const finite = asc.filter((v) => !Number.isNaN(v));
    expect(finite).toEqual([...finite].sort((a, b) => a - b));
    expect(asc.length).toBe(20);
    expect(asc.slice(-2).every((v) => Number.isNaN(v))).toBe(true); // rows 3 and 13 are missing
    expect(header.getAttribute("aria-sort")).toBe("ascending");
    header.click();
    const desc = rendered(view.el)
      .map((i) => data.feature(i, 0))
      .filter((v) => !Number.isNaN(v));
    expect(desc).toEqual([...finite].sort((a, b) => b - a));
  });

  it("shows feature names and category values as text, never as HTML", () => {
    const data = makeData({
      n: 6,
      names: [EVIL],
      kinds: ["category"],
      categories: { [EVIL]: ["a", EVIL] },
      feature: (i) => i % 2,
      value: () => 0,
    });
    const store = new Store(data, {});
    const view = mount(store, createRowTable(store));
    document.body.appendChild(view.el);
    expect(view.el.querySelector("img")).toBeNull();
    expect(Array.from(view.el.querySelectorAll(".rw-rows-th"), (t) => t.textContent)).toContain(EVIL);
    expect(view.el.querySelector('[data-row="1"]')?.textContent).toContain(EVIL);
  });
});
