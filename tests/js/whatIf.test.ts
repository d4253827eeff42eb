import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { kernelLink } from "../../js/core/jobs";
import type { TabularData } from "../../js/tabular/data";
import { TabularStore } from "../../js/tabular/store";
import { createWhatIf, DEBOUNCE_MS } from "../../js/tabular/whatIf";
import {
  compareBars,
  decodePoint,
  fieldOf,
  keptJson,
  keptPoints,
  numberText,
  parseNumber,
  predictionText,
  type WhatIfPoint,
  whatIfCsv,
  whatIfScene,
  withEdit,
  wrapText,
} from "../../js/tabular/whatIfLogic";
import { EVIL, FakeModel, makeData, wireOf } from "./fixtures";

const NAMES = ["income", "city", "owner", "age"];

// row i: income i + 0.5, city code i % 2 (row 3: missing), owner i % 2 (row 2: missing), age 30 + i;
// SHAP value of feature j: (j + 1) * (i % 2 ? 1 : -1) / 10
function sample(): TabularData {
  return makeData({
    n: 6,
    names: NAMES,
    kinds: ["numeric", "category", "bool", "numeric"],
    categories: { city: ["Lima", EVIL] },
    feature: (i, j) => [i + 0.5, i === 3 ? Number.NaN : i % 2, i === 2 ? Number.NaN : i % 2, 30 + i][j],
    value: (i, j) => ((j + 1) * (i % 2 ? 1 : -1)) / 10,
  });
}

/** A what_if job result as the kernel sends it (attribution: wire float32, features x outputs). */
function result(id: number, row: number, values: Record<string, unknown>, findings: unknown[] = []) {
  const attribution = Float32Array.from([-0.5, 0.5, 2, -2, 0.25, -0.25, -1, 1]); // toward "yes": 0.5, -2, -0.25, 1
  return {
    id,
    row,
    values,
    prediction: { label: "yes", model_output: [-1.2, 1.2], probabilities: [0.23, 0.77] },
    attribution: wireOf(attribution, [4, 2]),
    base_values: [-0.25, 0.25],
    surrogate_output: [-1, 1],
    gap: [0.2, 0.2],
    findings,
  };
}

function point(data: TabularData, values = { income: 9 }): WhatIfPoint {
  const p = decodePoint(result(1, 1, values), data.f, data.k);
  if (!p) throw new Error("not a point");
  return p;
}

describe("what-if logic", () => {
  it("reads a row's fields by kind, missing as null", () => {
    const data = sample();
    expect(fieldOf(data, 1, 0)).toMatchObject({ kind: "numeric", original: 1.5 });
    expect(fieldOf(data, 1, 1)).toMatchObject({ kind: "category", original: EVIL, categories: ["Lima", EVIL] });
    expect(fieldOf(data, 3, 1).original).toBeNull();
    expect(fieldOf(data, 1, 2)).toMatchObject({ kind: "bool", original: true });
    expect(fieldOf(data, 2, 2).original).toBeNull();
  });
  it("shows a float32 value as its shortest text", () => {
    expect(numberText(Math.fround(51.3))).toBe("51.3");
    expect(numberText(Math.fround(0.1))).toBe("0.1");
    expect(numberText(123456789)).toBe("123456790");
    expect(numberText(-2.5)).toBe("-2.5");
  });
  it("parses number inputs: empty is missing, text is an error", () => {
    expect(parseNumber("")).toEqual({ value: null });
    expect(parseNumber(" 2.5 ")).toEqual({ value: 2.5 });
    expect(parseNumber("-1e3")).toEqual({ value: -1000 });
    expect(parseNumber("abc")).toHaveProperty("error");
    expect(parseNumber("", true)).toHaveProperty("error"); // the browser could not read what was typed
  });
  it("drops an edit that gives back the original value (at float32)", () => {
    const data = sample();
    const income = fieldOf(data, 1, 0);
    const edits = withEdit({}, income, 7);
    expect(edits).toEqual({ income: 7 });
    expect(withEdit(edits, income, 1.5)).toEqual({});
    const city = fieldOf(data, 1, 1);
    expect(withEdit({}, city, null)).toEqual({ city: null });
    expect(withEdit({ city: null }, city, EVIL)).toEqual({});
  });
  it("decodes the job's result and a kept point alike", () => {
    const data = sample();
    const p = point(data);
    expect(Array.from(p.attribution)).toEqual([-0.5, 0.5, 2, -2, 0.25, -0.25, -1, 1]);
    expect(p.prediction).toEqual({ label: "yes", modelOutput: [-1.2, 1.2], probabilities: [0.23, 0.77] });
    const json = keptJson("a", p, data.f, data.k);
    expect(json.attribution).toEqual([
      [-0.5, 0.5],
      [2, -2],
      [0.25, -0.25],
      [-1, 1],
    ]);
    const back = keptPoints(JSON.parse(JSON.stringify([json])), data.f, data.k);
    expect(back.map((k) => k.name)).toEqual(["a"]);
    expect(back[0].point).toEqual(p);
    expect(keptPoints([{ name: "bad", row: 1, attribution: [[1]] }, "x", null], data.f, data.k)).toEqual([]);
  });
  it("puts the row's attribution beside the what-if's, sorted by |what-if value|", () => {
    const data = sample();
    const bars = compareBars(data, 1, 1, point(data), 3);
    expect(bars.map((b) => b.name)).toEqual(["city", "age", "income", "other 1 feature"]);
    expect(bars.map((b) => b.edited)).toEqual([-2, 1, 0.5, -0.25]);
    expect(bars.map((b) => b.original)).toEqual([0.2, 0.4, 0.1, 0.3].map(Math.fround));
    expect(bars[2]).toMatchObject({ changed: true, originalShown: "1.5", editedShown: "9" });
    expect(bars[0]).toMatchObject({ changed: false, originalShown: EVIL, editedShown: EVIL });
    // toward the other class of a binary model: the mirror
    expect(compareBars(data, 1, 0, point(data), 1)[0]).toMatchObject({ name: "city", edited: 2, original: expect.closeTo(-0.2, 6) });
  });
  it("states predictions with the shown class's probability", () => {
    const data = sample();
    expect(predictionText(data, "yes", [0.23, 0.77], 1)).toBe("yes (probability of yes: 0.770)");
    expect(predictionText(data, "no", null, 1)).toBe("no");
    expect(predictionText(data, "yes", [0.00002, 0.99998], 1)).toBe("yes (probability of yes: > 0.999)");
    expect(predictionText(data, "no", [0.99998, 0.00002], 1)).toBe("no (probability of yes: < 0.001)");
  });
  it("exports every feature as CSV and the chart as a scene", () => {
    const data = sample();
    const p = point(data);
    const csv = whatIfCsv(data, 1, 1, p).split("\r\n");
    expect(csv[0]).toBe("row,output,feature,row_value,what_if_value,edited,row_shap_value,what_if_shap_value");
    expect(csv[1]).toBe(`1,yes,city,${EVIL},${EVIL},false,${Math.fround(0.2)},-2`);
    expect(csv).toContain(`1,yes,income,1.5,9,true,${Math.fround(0.1)},0.5`);
    const scene = whatIfScene(data, 1, 1, p, compareBars(data, 1, 1, p, 4));
    expect(scene.title).toBe("What-if of row 1: SHAP values toward class yes, in log-odds");
    expect(scene.items.filter((i) => i.kind === "rect")).toHaveLength(8);
    // a finding wider than the picture wraps onto more lines, none cut
    const long = { ...p, findings: [{ feature: null, output: "yes", kind: "surrogate_gap", message: "word ".repeat(80).trim() }] };
    const lines = whatIfScene(data, 1, 1, long, compareBars(data, 1, 1, long, 4)).items.filter(
      (i) => i.kind === "text" && i.text.includes("word"),
    );
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.map((i) => (i.kind === "text" ? i.text : "")).join(" ")).toBe(`⚠ ${"word ".repeat(80).trim()}`);
    expect(wrapText("a b c", 1)).toEqual(["a", "b", "c"]);
  });
});

// ------------------------------------------------------------------ the view, on a fake widget model

interface Setup {
  el: HTMLElement;
  model: FakeModel;
  requests: Record<string, unknown>[];
  store: TabularStore;
  reply: (r: Record<string, unknown>) => void;
  fail: (message: string) => void;
}

function mount(opts: { available?: boolean; points?: unknown[]; selected?: number[] } = {}): Setup {
  const data = sample();
  const requests: Record<string, unknown>[] = [];
  const model = new FakeModel({
    kernel:
      opts.available === false
        ? { available: false, reason: "is not available in an offline report: it needs the model." }
        : { available: true, reason: "" },
    what_if_points: opts.points ?? [],
  });
  model.on("change:what_if_request", () => requests.push(model.get("what_if_request") as Record<string, unknown>));
  const store = new TabularStore(data, { selected: opts.selected ?? [] });
  store.kernel = kernelLink(model);
  const view = createWhatIf(store);
  store.subscribe((changed) => view.update(changed));
  document.body.appendChild(view.el);
  const lastId = () => (requests[requests.length - 1] as { id: number }).id;
  return {
    el: view.el,
    model,
    requests,
    store,
    reply(r) {
      model.set("what_if_result", { ...r, id: lastId() });
      model.set("what_if_status", { id: lastId(), state: "done", progress: 1, message: "" });
    },
    fail(message) {
      model.set("what_if_status", { id: lastId(), state: "error", progress: null, message });
    },
  };
}

const q = <T extends Element = HTMLElement>(el: Element, sel: string) => el.querySelector(sel) as T;
const input = (el: Element, feature: string) =>
  q<HTMLInputElement | HTMLSelectElement>(el, `[data-testid="what-if-input"][data-feature="${feature}"]`);

function type(el: Element, feature: string, value: string) {
  const i = input(el, feature);
  i.value = value;
  i.dispatchEvent(new Event(i instanceof HTMLSelectElement ? "change" : "input"));
}

describe("the what-if view", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    document.body.replaceChildren();
  });

  it("starts from the first selected row and asks the kernel once per burst of edits", () => {
    const s = mount({ selected: [4, 2] });
    expect(q<HTMLInputElement>(s.el, '[data-testid="what-if-row"]').value).toBe("4");
    expect(input(s.el, "income").value).toBe("4.5");
    type(s.el, "income", "1");
    type(s.el, "income", "12");
    expect(q(s.el, '[data-testid="what-if-status"]').textContent).toBe("computing…");
    expect(s.requests).toHaveLength(0);
    vi.advanceTimersByTime(DEBOUNCE_MS);
    expect(s.requests.map((r) => r.params)).toEqual([{ row: 4, values: { income: 12 } }]);
    type(s.el, "city", "__missing__");
    type(s.el, "owner", "false"); // row 4's own value: no edit
    type(s.el, "age", "");
    vi.advanceTimersByTime(DEBOUNCE_MS);
    expect(s.requests[1].params).toEqual({ row: 4, values: { income: 12, city: null, age: null } });
  });

  it("draws the kernel's attribution beside the row's, the prediction and the findings", () => {
    const s = mount({ selected: [1] });
    type(s.el, "income", "9");
    vi.advanceTimersByTime(DEBOUNCE_MS);
    const finding = { feature: "income", output: null, kind: "above_range", message: `income = 9 is above X_train's range ${EVIL}` };
    s.reply(result(0, 1, { income: 9 }, [finding]));
    const bars = Array.from(s.el.querySelectorAll<HTMLElement>('[data-testid="what-if-bar"]'));
    expect(bars.map((b) => b.dataset.feature ?? "other")).toEqual(["city", "age", "income", "owner"]);
    expect(bars.map((b) => Number(b.dataset.value))).toEqual([-2, 1, 0.5, -0.25]);
    expect(bars.map((b) => Number(b.dataset.original))).toEqual([0.2, 0.4, 0.1, 0.3].map(Math.fround));
    expect(q(s.el, '[data-testid="what-if-after"]').textContent).toContain("predicted yes (probability of yes: 0.770)");
    expect(q(s.el, '[data-testid="what-if-before"]').textContent).toContain("row 1 (as explained)");
    expect(q(s.el, '[data-testid="what-if-gap"]').textContent).toContain("0.2 log-odds from the model's output");
    const items = s.el.querySelectorAll('[data-testid="what-if-finding"]');
    expect(items).toHaveLength(1);
    expect(items[0].textContent).toBe(finding.message); // as text, never markup
    expect(s.el.querySelector("img")).toBeNull();
    expect(q(s.el, '[data-testid="what-if-findings"]').textContent).toContain("⚠ Read this attribution with care");
    expect(q(s.el, '[data-testid="what-if-status"]').textContent).toBe("");
  });

  it("ignores a result of an older request", () => {
    const s = mount({ selected: [1] });
    type(s.el, "income", "9");
    vi.advanceTimersByTime(DEBOUNCE_MS);
    s.model.set("what_if_result", { ...result(0, 1, { income: 9 }), id: 12345 });
    expect(s.el.querySelectorAll('[data-testid="what-if-bar"]')).toHaveLength(0);
    expect(q(s.el, '[data-testid="what-if-status"]').textContent).toBe("computing…");
  });

  it("shows the kernel's error message", () => {
    const s = mount({ selected: [1] });
    type(s.el, "income", "9");
    vi.advanceTimersByTime(DEBOUNCE_MS);
    s.fail("the model's predict_proba failed on 1 row: Input X contains NaN.");
    const status = q(s.el, '[data-testid="what-if-status"]');
    expect(status.textContent).toBe("The what-if could not be computed: the model's predict_proba failed on 1 row: Input X contains NaN.");
    expect(status.classList.contains("rw-error")).toBe(true);
  });

  it("does not ask the kernel about text that is not a number, and resets fields", () => {
    const s = mount({ selected: [1] });
    const income = input(s.el, "income") as HTMLInputElement;
    Object.defineProperty(income, "validity", { value: { badInput: true } });
    income.value = "";
    income.dispatchEvent(new Event("input"));
    vi.advanceTimersByTime(DEBOUNCE_MS);
    expect(s.requests).toHaveLength(0);
    expect(income.getAttribute("aria-invalid")).toBe("true");
    expect(q(s.el, '[data-testid="what-if-status"]').textContent).toContain("income: enter a number");
    type(s.el, "age", "40");
    q<HTMLButtonElement>(s.el, '[data-feature="age"] .rw-wi-reset').click();
    q<HTMLButtonElement>(s.el, '[data-testid="what-if-reset-all"]').click();
    expect(input(s.el, "age").value).toBe("31");
    expect((input(s.el, "income") as HTMLInputElement).value).toBe("1.5");
    vi.advanceTimersByTime(DEBOUNCE_MS);
    expect(s.requests).toHaveLength(0);
  });

  it("keeps a point by name in what_if_points, lists it and deletes it", () => {
    const s = mount({ selected: [1] });
    type(s.el, "income", "9");
    vi.advanceTimersByTime(DEBOUNCE_MS);
    s.reply(result(0, 1, { income: 9 }));
    const name = q<HTMLInputElement>(s.el, '[data-testid="what-if-name"]');
    expect(name.value).toBe("row 1 what-if");
    name.value = EVIL;
    q<HTMLButtonElement>(s.el, '[data-testid="what-if-keep"]').click();
    const points = s.model.get("what_if_points") as Record<string, unknown>[];
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ name: EVIL, row: 1, values: { income: 9 }, base_values: [-0.25, 0.25], gap: [0.2, 0.2] });
    expect((points[0].attribution as number[][])[1]).toEqual([2, -2]);
    expect(JSON.parse(JSON.stringify(points))).toEqual(points);
    const card = q(s.el, '[data-testid="what-if-point"]');
    expect(card.dataset.name).toBe(EVIL);
    expect(card.textContent).toContain("from row 1: income = 9");
    expect(card.textContent).toContain("predicted yes");
    expect(name.value).toBe(`${EVIL} (2)`);
    q<HTMLButtonElement>(card, '[data-testid="what-if-delete"]').click();
    expect(s.model.get("what_if_points")).toEqual([]);
    expect(s.el.querySelectorAll('[data-testid="what-if-point"]')).toHaveLength(0);
  });

  it("redraws the kept points the kernel sends (a set from Python, or a refused one undone)", () => {
    const data = sample();
    const s = mount();
    s.model.set("what_if_points", [keptJson("from python", point(data), data.f, data.k)]);
    expect(s.el.querySelector('[data-testid="what-if-point"]')?.getAttribute("data-name")).toBe("from python");
  });

  it("reads a regression's prediction as a number, with no placeholder units", () => {
    const data = makeData({
      n: 3,
      names: ["a", "b"],
      kinds: ["numeric", "numeric"],
      feature: (i, j) => i + j,
      value: (i, j) => (j ? 1 : -1) * (i + 1),
      task: "regression",
    });
    const requests: unknown[] = [];
    const model = new FakeModel({ kernel: { available: true, reason: "" }, what_if_points: [] });
    model.on("change:what_if_request", () => requests.push(model.get("what_if_request")));
    const store = new TabularStore(data, { selected: [2] });
    store.kernel = kernelLink(model);
    const view = createWhatIf(store);
    document.body.appendChild(view.el);
    type(view.el, "a", "7");
    vi.advanceTimersByTime(DEBOUNCE_MS);
    const id = (requests[0] as { id: number }).id;
    model.set("what_if_result", {
      id,
      row: 2,
      values: { a: 7 },
      prediction: { label: 12.345678, model_output: [12.345678], probabilities: null },
      attribution: wireOf(Float32Array.from([4, 0.5]), [2, 1]),
      base_values: [0.25],
      surrogate_output: [4.75],
      gap: [7.6],
      findings: [],
    });
    expect(q(view.el, '[data-testid="what-if-after"]').textContent).toContain("predicted 12.35");
    expect(q(view.el, '[data-testid="what-if-after"]').textContent).toContain("model output 12.3");
    expect(q(view.el, '[data-testid="what-if-after"]').textContent).not.toContain("units");
    expect(q(view.el, '[data-testid="what-if-gap"]').textContent).toBe("surrogateoutput 4.757.6 from the model's output");
    expect(view.el.textContent).toContain("red pushes the prediction up");
    const bars = Array.from(view.el.querySelectorAll<HTMLElement>('[data-testid="what-if-bar"]'));
    expect(bars.map((b) => [b.dataset.feature, Number(b.dataset.value), Number(b.dataset.original)])).toEqual([
      ["a", 4, -3],
      ["b", 0.5, 3],
    ]);
  });

  it("without a kernel: no editing, the reason, the kept points read-only, no request", () => {
    const data = sample();
    const s = mount({ available: false, points: [keptJson("kept", point(data), data.f, data.k)], selected: [1] });
    expect(q(s.el, '[data-testid="what-if-unavailable"]').textContent).toBe(
      "Editing is off: what-if is not available in an offline report: it needs the model.",
    );
    expect(s.el.querySelector('[data-testid="what-if-input"]')).toBeNull();
    expect(s.el.querySelectorAll('[data-testid="what-if-point"]')).toHaveLength(1);
    expect(s.el.querySelector('[data-testid="what-if-delete"]')).toBeNull();
    s.store.update({ selected: [2] });
    vi.advanceTimersByTime(1000);
    expect(s.requests).toHaveLength(0);
  });
});
