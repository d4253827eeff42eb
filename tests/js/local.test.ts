import { afterEach, describe, expect, it } from "vitest";
import { NEG_COLOR, POS_COLOR } from "../../js/core/dom";
import type { TabularData } from "../../js/tabular/data";
import { barDomain, barGeometry, cellText, createLocalChart, heatColor, rowBars, rowLabels, tableFeatures } from "../../js/tabular/local";
import { TabularStore as Store } from "../../js/tabular/store";
import { EVIL, makeData } from "./fixtures";

// ---- a small TabularData built in memory (binary classification unless told otherwise) ----
// row i, feature j: value (j - 2) * (1 + i / 10) -> |value| order 0, 4, 1, 3, 2 (ties by index)
const NAMES = ["a", "b", "c", "d", "e"];

function sample(n = 20): TabularData {
  return makeData({
    n,
    names: NAMES,
    kinds: ["numeric", "numeric", "numeric", "numeric", "category"],
    categories: { e: ["lo", EVIL] },
    feature: (i, j) => (j === 4 ? i % 2 : i + j / 10),
    value: (i, j) => (j - 2) * (1 + i / 10) + (j === 4 ? 0.5 : 0),
    yTrue: (i) => i % 2,
  });
}

function mount<V extends { update(c: Set<never>): void }>(store: Store, view: V): V {
  store.subscribe((changed) => view.update(changed as Set<never>));
  return view;
}

afterEach(() => document.body.replaceChildren());

describe("a row's bars", () => {
  it("sorts by |value|, sums the rest into one bar, and adds up to the surrogate", () => {
    const data = sample();
    const ex = rowBars(data, 0, 1, 3);
    // values: a -2, b -1, c 0, d 1, e 2.5
    expect(ex.bars.map((b) => b.label)).toEqual(["e = lo", "a = 0", "b = 0.1", "other 2 features"]);
    expect(ex.bars.map((b) => b.value)).toEqual([2.5, -2, -1, 1]);
    expect(ex.base + ex.sum).toBeCloseTo(ex.surrogate, 5);
    expect(ex.model).toBeCloseTo(ex.surrogate + 0.01, 5);
    expect(rowBars(data, 0, 1, 10).bars.length).toBe(5); // no "other" bar when all fit
    expect(rowBars(data, 0, 1, 4).bars[4].label).toBe("other 1 feature");
  });
  it("flips sign toward the other class of a binary model", () => {
    const data = sample();
    expect(rowBars(data, 0, 0, 1).bars[0].value).toBe(-2.5);
    expect(rowBars(data, 0, 0, 1).base).toBe(-0.25);
  });
  it("shares one domain that contains zero, and places bars from zero", () => {
    const data = sample();
    const d = barDomain([rowBars(data, 0, 1, 5), rowBars(data, 10, 1, 5)]);
    expect(d[0]).toBeCloseTo(-4);
    expect(d[1]).toBeCloseTo(4.5);
    expect(barGeometry(0, [-1, 3])).toEqual({ left: 25, width: 0 });
    expect(barGeometry(3, [-1, 3])).toEqual({ left: 25, width: 75 });
    expect(barGeometry(-1, [-1, 3])).toEqual({ left: 0, width: 25 });
    expect(barDomain([])).toEqual([0, 1]);
  });
  it("picks table features by mean |value| and colours cells by sign", () => {
    const data = sample();
    expect(
      tableFeatures(
        data,
        [
          { row: 0, output: 1 },
          { row: 3, output: 1 },
        ],
        2,
      ),
    ).toEqual([4, 0]);
    expect(heatColor(1, 2)).toBe("rgba(214, 39, 40, 0.300)");
    expect(POS_COLOR).toBe("#d62728");
    expect(heatColor(-2, 2)).toMatch(/^rgba\(31, 119, 180, 0\.600\)$/);
    expect(NEG_COLOR).toBe("#1f77b4");
    expect(heatColor(1, 0)).toMatch(/0\.000\)$/);
  });
  it("formats heat-table cells at the table's scale", () => {
    expect(cellText(1.234, 2.4)).toBe("+1.23");
    expect(cellText(-0.0036, 2.4)).toBe("0.00");
    expect(cellText(-0.05, 2.4)).toBe("−0.05");
    expect(cellText(12.5, 40)).toBe("+12.5");
    expect(cellText(0.00123, 0.004)).toBe("+0.00123");
  });
  it("reads predicted and true labels", () => {
    const data = sample();
    const l = rowLabels(data, 0);
    expect(l.predicted).toBe("yes"); // output 0.25 + 0.5 > 0
    expect(l.truth).toBe("no");
    expect(l.correct).toBe(false);
  });
});

describe("the local chart view", () => {
  it("asks for rows until some are selected", () => {
    const store = new Store(sample(), {});
    const view = createLocalChart(store);
    expect(view.el.dataset.testid).toBe("local-chart");
    expect(view.el.textContent).toContain("Select rows in the table to see why the model predicted what it did");
    expect(view.el.querySelectorAll('[data-testid="local-row"]').length).toBe(0);
  });

  it("draws a chart per selected row, with output, footer and labels", () => {
    const data = sample();
    const store = new Store(data, {});
    const view = mount(store, createLocalChart(store));
    store.update({ selected: [3, 0] });
    const cards = Array.from(view.el.querySelectorAll<HTMLElement>('[data-testid="local-row"]'));
    expect(cards.map((c) => c.dataset.row)).toEqual(["3", "0"]);
    const card = cards[1];
    expect(card.querySelector(".rw-local-output")?.textContent).toBe("toward class yes");
    expect(Array.from(card.querySelectorAll(".rw-local-label"), (l) => l.textContent)).toEqual([
      "e = lo",
      "a = 0",
      "b = 0.1",
      "d = 0.3",
      "c = 0.2",
    ]);
    const fills = Array.from(card.querySelectorAll<HTMLElement>(".rw-local-fill"), (f) => f.style.background);
    expect(fills[0]).toMatch(/214, 39, 40|#d62728/); // positive: red
    expect(fills[1]).toMatch(/31, 119, 180|#1f77b4/); // negative: blue
    const footer = card.querySelector(".rw-local-footer")?.textContent ?? "";
    expect(footer).toContain("base 0.25");
    expect(footer).toContain(`surrogate ${Number(data.surrogateOutput(0, 1).toPrecision(3))}`);
    expect(footer).toContain(`model output ${Number(data.modelOutput(0, 1).toPrecision(3))} log-odds`);
    expect(card.textContent).toContain("predicted yes");
    expect(card.textContent).toContain("true no");
    expect(view.el.textContent).toContain("toward class yes");

    store.update({ output: { kind: "output", index: 0 } });
    expect(view.el.querySelector(".rw-local-output")?.textContent).toBe("toward class no");
    store.update({ output: { kind: "predicted" } });
    expect(view.el.textContent).toContain("each row's predicted class");
  });

  it("removes a row from the selection with its × button", () => {
    const store = new Store(sample(), { selected: [1, 2] });
    const view = mount(store, createLocalChart(store));
    (view.el.querySelector('[data-row="1"] .rw-local-remove') as HTMLButtonElement).click();
    expect(store.state.selected).toEqual([2]);
    expect(view.el.querySelectorAll('[data-testid="local-row"]').length).toBe(1);
  });

  it("switches to a compact table for many rows", () => {
    const store = new Store(sample(), { selected: [0, 1, 2, 3, 4, 5, 6, 7] });
    const view = mount(store, createLocalChart(store));
    expect(view.el.querySelectorAll('[data-testid="local-row"]').length).toBe(0);
    const table = view.el.querySelector("table")!;
    expect(Array.from(table.querySelectorAll("th.rw-local-col"), (t) => (t as HTMLElement).dataset.row)).toEqual([
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
    ]);
    expect(table.textContent).toContain("base value");
    expect(table.textContent).toContain("model (log-odds)");
    const layout = view.el.querySelectorAll("select")[1] as HTMLSelectElement;
    layout.value = "bars";
    layout.dispatchEvent(new Event("change"));
    expect(view.el.querySelectorAll('[data-testid="local-row"]').length).toBe(8);
  });

  it("shows names and values from data as text, never as HTML", () => {
    const data = makeData({
      n: 4,
      names: [EVIL, "b"],
      kinds: ["category", "numeric"],
      categories: { [EVIL]: [EVIL, "x"] },
      feature: (i, j) => (j ? i : 0),
      value: (_, j) => (j ? 0.1 : 1),
    });
    const store = new Store(data, { selected: [0] });
    const view = createLocalChart(store);
    document.body.appendChild(view.el);
    expect(view.el.querySelector("img")).toBeNull();
    expect(view.el.querySelector(".rw-local-label")?.textContent).toBe(`${EVIL} = ${EVIL}`);
  });
});
