import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createCohortEditor } from "../../js/core/cohortEditor";
import { cohortSummary, frequentTokens, opsFor } from "../../js/core/cohortEditorLogic";
import type { Cohort } from "../../js/core/cohorts";
import { Store } from "../../js/core/store";
import { TabularData } from "../../js/tabular/data";
import { TextData } from "../../js/text/data";
import { type TinyOptions, textColumns, tinyData, tinyPayload, wire } from "./fixtures";

const EVIL = "<img src=x onerror=alert(1)>";

// 6 rows: age (numeric), sex (category), smoker (bool); binary classifier with labels and confidence.
const OPTIONS: TinyOptions = {
  values: Array.from({ length: 6 }, () => [[0.1], [0.2], [0.3]]),
  data: [
    [25, 0, 0],
    [35, 1, 1],
    [45, 0, 1],
    [55, 1, 0],
    [65, 0, NaN],
    [NaN, 1, 1],
  ],
  featureNames: ["age", "sex", "smoker"],
  featureKinds: ["numeric", "category", "bool"],
  categories: { sex: ["F", "M"] },
  outputNames: ["no", "yes"],
  binaryMirror: true,
  model: [[-1], [1], [2], [-2], [0.5], [-0.5]],
  yTrue: [0, 1, 0, 0, 1, 1],
  confidence: [0.9, 0.8, 0.7, 0.6, 0.55, 0.95],
};
const data = () => tinyData(OPTIONS);

const ALL: Cohort = { name: "All data", combine: "all", filters: [] };
const OLD: Cohort = { name: "old", combine: "all", filters: [{ column: "age", op: ">", value: 50 }] };

function setup(cohorts: Cohort[] = [ALL, OLD], active?: string) {
  const store = new Store(data().dataset, { cohorts, active });
  const view = createCohortEditor(store);
  store.subscribe((changed) => view.update(changed)); // what core/sync.ts passes on to every view
  document.body.replaceChildren(view.el);
  const q = <T extends Element = HTMLElement>(testid: string, root: ParentNode = view.el) =>
    root.querySelector(`[data-testid="${testid}"]`) as T | null;
  const qa = <T extends Element = HTMLElement>(testid: string, root: ParentNode = view.el) =>
    Array.from(root.querySelectorAll(`[data-testid="${testid}"]`)) as T[];
  const item = (name: string) => qa("cohort-item").find((it) => it.querySelector(".rw-ce-name")!.textContent === name)!;
  return { store, view, q, qa, item };
}

function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
}

function choose(select: HTMLSelectElement, value: string) {
  select.value = value;
  expect(select.value).toBe(value); // the option exists
  select.dispatchEvent(new Event("change", { bubbles: true }));
}

function chooseLabel(select: HTMLSelectElement, label: string) {
  const opt = Array.from(select.options).find((o) => o.textContent === label);
  expect(opt, `option "${label}"`).toBeTruthy();
  choose(select, opt!.value);
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("cohort editor: list", () => {
  it("lists every cohort with its row count and filters; All data cannot be edited or deleted", () => {
    const { view, qa, item } = setup();
    expect(view.el.dataset.testid).toBe("cohort-editor");
    expect(qa("cohort-item").map((it) => it.querySelector(".rw-ce-name")!.textContent)).toEqual(["All data", "old"]);
    expect(item("All data").querySelector('[data-testid="cohort-count"]')!.textContent).toBe("6 rows (100.0%)");
    // age > 50: rows 3 and 4 (row 5 is missing)
    expect(item("old").querySelector('[data-testid="cohort-count"]')!.textContent).toBe("2 rows (33.3%)");
    expect(item("old").textContent).toContain("age > 50");
    expect((item("All data").querySelector('[data-testid="cohort-edit"]') as HTMLButtonElement).disabled).toBe(true);
    expect((item("All data").querySelector('[data-testid="cohort-delete"]') as HTMLButtonElement).disabled).toBe(true);
    expect((item("old").querySelector('[data-testid="cohort-edit"]') as HTMLButtonElement).disabled).toBe(false);
  });

  it("states each cohort's size with a cohort-size element (invalid cohorts say why instead)", () => {
    const bad: Cohort = { name: "bad", combine: "all", filters: [{ column: "sex", op: "<", value: "M" }] };
    const { qa } = setup([ALL, OLD, bad]);
    const sizes = qa("cohort-size");
    expect(sizes.map((e) => [e.dataset.cohort, e.dataset.rows ?? null])).toEqual([
      ["All data", "6"],
      ["old", "2"],
      ["bad", null],
    ]);
    expect(sizes[2].dataset.invalid).toBe("'<' is not defined for categorical column 'sex'; use ==, !=, in or not in");
    expect(sizes.every((e) => e.closest('[data-testid="cohort-item"]') !== null)).toBe(true);
  });

  it("the cohort of every row is the kernel's meta.all_data, whatever its name", () => {
    const { meta, arrays } = tinyPayload(OPTIONS);
    const data = new TabularData({ ...meta, all_data: "Everyone" }, arrays);
    const store = new Store(data.dataset, {});
    expect(store.state.cohorts).toEqual([{ name: "Everyone", combine: "all", filters: [] }]);
    const view = createCohortEditor(store);
    const edit = view.el.querySelector<HTMLButtonElement>('[data-testid="cohort-edit"]');
    expect(edit?.disabled).toBe(true);
    expect(edit?.title).toBe('"Everyone" is every row and cannot be edited');
  });

  it("duplicates a cohort right after the original, under a new name", () => {
    const { store, item } = setup([ALL, OLD, { name: "x", combine: "any", filters: [] }]);
    (item("old").querySelector('[data-testid="cohort-duplicate"]') as HTMLButtonElement).click();
    expect(store.state.cohorts.map((c) => c.name)).toEqual(["All data", "old", "old (copy)", "x"]);
    expect(store.state.cohorts[2].filters).toEqual(OLD.filters);
    expect(store.state.cohorts[2].filters).not.toBe(OLD.filters); // a copy, not shared
    (item("old").querySelector('[data-testid="cohort-duplicate"]') as HTMLButtonElement).click();
    expect(store.state.cohorts.map((c) => c.name)).toEqual(["All data", "old", "old (copy) (2)", "old (copy)", "x"]);
    expect(item("old (copy) (2)")).toBeTruthy();
  });

  it("deletes a cohort; deleting the active one makes the first cohort active", () => {
    const young: Cohort = { name: "young", combine: "all", filters: [{ column: "age", op: "<", value: 40 }] };
    const { store, item, qa } = setup([ALL, OLD, young], "young");
    (item("old").querySelector('[data-testid="cohort-delete"]') as HTMLButtonElement).click();
    expect(store.state.cohorts.map((c) => c.name)).toEqual(["All data", "young"]);
    expect(store.state.active).toBe("young");
    (item("young").querySelector('[data-testid="cohort-delete"]') as HTMLButtonElement).click();
    expect(store.state.cohorts.map((c) => c.name)).toEqual(["All data"]);
    expect(store.state.active).toBe("All data");
    expect(qa("cohort-item").length).toBe(1);
  });

  it("follows cohorts set from outside (Python) and marks the active one", () => {
    const { store, qa, item } = setup();
    store.update(
      { cohorts: [ALL, OLD, { name: "smokers", combine: "all", filters: [{ column: "smoker", op: "==", value: true }] }] },
      "model",
    );
    expect(qa("cohort-item").length).toBe(3);
    expect(item("smokers").querySelector('[data-testid="cohort-count"]')!.textContent).toBe("3 rows (50.0%)");
    store.update({ active: "smokers" }, "model");
    expect(item("smokers").classList.contains("rw-ce-active")).toBe(true);
    expect(item("old").classList.contains("rw-ce-active")).toBe(false);
  });

  it("renders HTML in cohort names, categories and values as text", () => {
    const evilCohort: Cohort = { name: EVIL, combine: "all", filters: [{ column: "sex", op: "in", value: [EVIL] }] };
    const { view, item, q } = setup([ALL, evilCohort]);
    expect(view.el.querySelector("img")).toBeNull();
    expect(item(EVIL).querySelector(".rw-ce-name")!.textContent).toBe(EVIL);
    expect(item(EVIL).textContent).toContain(`sex in ["${EVIL}"]`);
    (item(EVIL).querySelector('[data-testid="cohort-edit"]') as HTMLButtonElement).click();
    expect(q<HTMLInputElement>("cohort-name")!.value).toBe(EVIL);
    // the value the data does not have stays visible, as text
    expect(q("filter-value")!.textContent).toContain(`${EVIL} (not in the data)`);
    expect(view.el.querySelector("img")).toBeNull();
  });
});

describe("cohort editor: editing", () => {
  it("creates a cohort with two filters; Save writes the cohort JSON and makes it active", () => {
    const { store, q, qa } = setup();
    q<HTMLButtonElement>("cohort-new")!.click();
    expect(q<HTMLInputElement>("cohort-name")!.value).toBe("Cohort 1");
    type(q<HTMLInputElement>("cohort-name")!, "older women");

    q<HTMLButtonElement>("filter-add")!.click();
    let rows = qa("filter-row");
    expect(rows.length).toBe(1);
    expect(q<HTMLSelectElement>("filter-column", rows[0])!.value).toBe("age");
    choose(q<HTMLSelectElement>("filter-op", rows[0])!, ">=");
    type(q<HTMLInputElement>("filter-value", rows[0])!, "45");

    q<HTMLButtonElement>("filter-add")!.click();
    rows = qa("filter-row");
    choose(q<HTMLSelectElement>("filter-column", rows[1])!, "sex");
    expect(q<HTMLSelectElement>("filter-op", rows[1])!.value).toBe("==");
    chooseLabel(q<HTMLSelectElement>("filter-value", rows[1])!, "F");

    expect(q<HTMLButtonElement>("cohort-save")!.disabled).toBe(false);
    q<HTMLButtonElement>("cohort-save")!.click();
    expect(store.state.cohorts).toEqual([
      ALL,
      OLD,
      {
        name: "older women",
        combine: "all",
        filters: [
          { column: "age", op: ">=", value: 45 },
          { column: "sex", op: "==", value: "F" },
        ],
      },
    ]);
    expect(store.state.active).toBe("older women");
    expect(q("cohort-form")).toBeNull(); // the form closed
    expect(qa("cohort-item").length).toBe(3);
  });

  it("counts the draft's rows as you type", () => {
    const { q } = setup();
    q<HTMLButtonElement>("cohort-new")!.click();
    const count = q("cohort-draft-count")!;
    expect(count.textContent).toBe("6 of 6 rows");
    q<HTMLButtonElement>("filter-add")!.click();
    const value = q<HTMLInputElement>("filter-value")!;
    type(value, "30");
    vi.advanceTimersByTime(150);
    expect(count.textContent).toBe("4 of 6 rows"); // 35, 45, 55, 65 (NaN never matches >)
    expect(count.classList.contains("rw-ce-pending")).toBe(false);
    type(value, "60");
    expect(count.classList.contains("rw-ce-pending")).toBe(true); // debounced: the old count, dimmed
    expect(count.textContent).toBe("4 of 6 rows");
    vi.advanceTimersByTime(150);
    expect(count.textContent).toBe("1 of 6 rows");
    // OR with a second filter
    choose(q<HTMLSelectElement>("cohort-combine")!, "any");
    q<HTMLButtonElement>("filter-add")!.click();
    const rows = Array.from(document.querySelectorAll('[data-testid="filter-row"]'));
    choose(rows[1].querySelector('[data-testid="filter-column"]') as HTMLSelectElement, "correct");
    chooseLabel(rows[1].querySelector('[data-testid="filter-value"]') as HTMLSelectElement, "false");
    vi.advanceTimersByTime(150);
    // y_pred from the model output: no yes yes no yes no; y_true: no yes no no yes yes -> wrong at rows 2, 5
    expect(count.textContent).toBe("3 of 6 rows");
  });

  it("an invalid value says why inline and disables Save", () => {
    const { store, q, qa } = setup();
    q<HTMLButtonElement>("cohort-new")!.click();
    q<HTMLButtonElement>("filter-add")!.click();
    const row = qa("filter-row")[0];
    const save = q<HTMLButtonElement>("cohort-save")!;
    expect(save.disabled).toBe(false);
    type(q<HTMLInputElement>("filter-value", row)!, "");
    expect(q("filter-error", row)!.textContent).toBe("Enter a number for 'age'.");
    expect(save.disabled).toBe(true);
    expect(q("cohort-draft-count")!.textContent).toBe("—");

    // between with lo > hi: validateFilter's own message
    choose(q<HTMLSelectElement>("filter-op", row)!, "between");
    const [lo, hi] = [q<HTMLInputElement>("filter-value", row)!, q<HTMLInputElement>("filter-value-hi", row)!];
    type(lo, "50");
    type(hi, "40");
    expect(q("filter-error", row)!.textContent).toBe("'between' needs [lo, hi]: two numbers with lo <= hi, got [50,40]");
    expect(save.disabled).toBe(true);
    save.click(); // ignored
    expect(store.state.cohorts.length).toBe(2);
    type(hi, "60");
    expect(q("filter-error", row)!.textContent).toBe("");
    expect(save.disabled).toBe(false);

    // a numeric list with a word in it
    choose(q<HTMLSelectElement>("filter-op", row)!, "in");
    type(q<HTMLInputElement>("filter-value", row)!, "25, abc");
    expect(q("filter-error", row)!.textContent).toBe(`column 'age' is numeric: "abc" is not a number`);
    expect(save.disabled).toBe(true);
    type(q<HTMLInputElement>("filter-value", row)!, "25, 45");
    vi.advanceTimersByTime(150);
    expect(save.disabled).toBe(false);
    expect(q("cohort-draft-count")!.textContent).toBe("2 of 6 rows");
  });

  it("a filter from Python that cannot apply says why when edited", () => {
    const bad: Cohort = { name: "bad", combine: "all", filters: [{ column: "sex", op: "<", value: "M" }] };
    const { q, item } = setup([ALL, bad]);
    expect(item("bad").querySelector('[data-testid="cohort-count"]')!.textContent).toBe("invalid");
    (item("bad").querySelector('[data-testid="cohort-edit"]') as HTMLButtonElement).click();
    expect(q("filter-error")!.textContent).toBe("'<' is not defined for categorical column 'sex'; use ==, !=, in or not in");
    expect(q<HTMLButtonElement>("cohort-save")!.disabled).toBe(true);
    choose(q<HTMLSelectElement>("filter-op")!, "==");
    expect(q<HTMLButtonElement>("cohort-save")!.disabled).toBe(false);
  });

  it("names must be non-empty and unique; renaming keeps the cohort's position", () => {
    const young: Cohort = { name: "young", combine: "all", filters: [{ column: "age", op: "<", value: 40 }] };
    const { store, q, item } = setup([ALL, OLD, young]);
    (item("old").querySelector('[data-testid="cohort-edit"]') as HTMLButtonElement).click();
    const name = q<HTMLInputElement>("cohort-name")!;
    const save = q<HTMLButtonElement>("cohort-save")!;
    expect(save.disabled).toBe(false); // its own name is fine
    type(name, "  ");
    expect(q("cohort-name-error")!.textContent).toBe("Give the cohort a name.");
    expect(save.disabled).toBe(true);
    type(name, "young");
    expect(q("cohort-name-error")!.textContent).toBe('Another cohort is already called "young"; names must be unique.');
    expect(save.disabled).toBe(true);
    type(name, "All data");
    expect(save.disabled).toBe(true);
    type(name, " senior ");
    expect(q("cohort-name-error")!.textContent).toBe("");
    save.click();
    expect(store.state.cohorts.map((c) => c.name)).toEqual(["All data", "senior", "young"]);
    expect(store.state.cohorts[1].filters).toEqual(OLD.filters);
    expect(store.state.active).toBe("senior");
  });

  it("a cohort from Python that takes the draft's name makes the name invalid", () => {
    const { store, q } = setup();
    q<HTMLButtonElement>("cohort-new")!.click();
    type(q<HTMLInputElement>("cohort-name")!, "mine");
    expect(q<HTMLButtonElement>("cohort-save")!.disabled).toBe(false);
    store.update({ cohorts: [ALL, OLD, { name: "mine", combine: "all", filters: [] }] }, "model");
    expect(q<HTMLButtonElement>("cohort-save")!.disabled).toBe(true);
  });

  it("Cancel discards the draft", () => {
    const { store, q, item } = setup();
    const before = JSON.stringify(store.state);
    (item("old").querySelector('[data-testid="cohort-edit"]') as HTMLButtonElement).click();
    type(q<HTMLInputElement>("cohort-name")!, "changed");
    q<HTMLButtonElement>("filter-add")!.click();
    q<HTMLButtonElement>("cohort-cancel")!.click();
    expect(q("cohort-form")).toBeNull();
    expect(JSON.stringify(store.state)).toBe(before);
  });

  it("removing a filter updates the draft", () => {
    const two: Cohort = {
      name: "two",
      combine: "all",
      filters: [
        { column: "age", op: ">", value: 30 },
        { column: "smoker", op: "==", value: true },
      ],
    };
    const { store, q, qa, item } = setup([ALL, two]);
    (item("two").querySelector('[data-testid="cohort-edit"]') as HTMLButtonElement).click();
    expect(q("cohort-draft-count")!.textContent).toBe("2 of 6 rows"); // 35 and 45 smoke
    q<HTMLButtonElement>("filter-remove", qa("filter-row")[0])!.click();
    expect(qa("filter-row").length).toBe(1);
    vi.advanceTimersByTime(150);
    expect(q("cohort-draft-count")!.textContent).toBe("3 of 6 rows");
    q<HTMLButtonElement>("cohort-save")!.click();
    expect(store.state.cohorts[1]).toEqual({ name: "two", combine: "all", filters: [{ column: "smoker", op: "==", value: true }] });
  });
});

describe("cohort editor: inputs follow the column kind", () => {
  it("offers only the ops valid for the column's kind", () => {
    const { q } = setup();
    q<HTMLButtonElement>("cohort-new")!.click();
    q<HTMLButtonElement>("filter-add")!.click();
    const col = q<HTMLSelectElement>("filter-column")!;
    const ops = () => Array.from(q<HTMLSelectElement>("filter-op")!.options).map((o) => o.value);
    expect(ops()).toEqual(["==", "!=", "<", "<=", ">", ">=", "between", "in", "not in"]);
    choose(col, "sex");
    expect(ops()).toEqual(["==", "!=", "in", "not in"]);
    choose(col, "smoker");
    expect(ops()).toEqual(["==", "!=", "in", "not in"]);
    choose(col, "confidence");
    expect(ops()).toContain("between");
    choose(col, "y_pred");
    expect(ops()).toEqual(["==", "!=", "in", "not in"]);
    expect(opsFor(undefined)).toContain("between");
  });

  it("lists features first, then the special columns", () => {
    const { q } = setup();
    q<HTMLButtonElement>("cohort-new")!.click();
    q<HTMLButtonElement>("filter-add")!.click();
    const col = q<HTMLSelectElement>("filter-column")!;
    expect(Array.from(col.options).map((o) => o.value)).toEqual([
      "age",
      "sex",
      "smoker",
      "index",
      "y_true",
      "y_pred",
      "correct",
      "confidence",
    ]);
    expect(Array.from(col.querySelectorAll("optgroup")).map((g) => g.label)).toEqual(["Features", "Labels and predictions"]);
  });

  it("uses checkboxes for in / not in on categories and booleans; a true/false select for ==", () => {
    const { store, q } = setup();
    q<HTMLButtonElement>("cohort-new")!.click();
    type(q<HTMLInputElement>("cohort-name")!, "c");
    q<HTMLButtonElement>("filter-add")!.click();
    choose(q<HTMLSelectElement>("filter-column")!, "smoker");
    const value = () => q("filter-value")!;
    expect(value().tagName).toBe("SELECT");
    expect(Array.from((value() as HTMLSelectElement).options).map((o) => o.textContent)).toEqual(["true", "false"]);
    choose(q<HTMLSelectElement>("filter-column")!, "y_true");
    choose(q<HTMLSelectElement>("filter-op")!, "not in");
    const boxes = value().querySelectorAll<HTMLInputElement>('input[type="checkbox"]');
    expect(Array.from(value().querySelectorAll("label")).map((l) => l.textContent)).toEqual(["no", "yes"]);
    expect(Array.from(boxes).map((b) => b.checked)).toEqual([true, false]); // "== no" became "not in [no]"
    boxes[0].checked = false;
    boxes[0].dispatchEvent(new Event("change"));
    boxes[1].checked = true;
    boxes[1].dispatchEvent(new Event("change"));
    vi.advanceTimersByTime(150);
    expect(q("cohort-draft-count")!.textContent).toBe("3 of 6 rows");
    q<HTMLButtonElement>("cohort-save")!.click();
    expect(store.cohort("c")!.filters).toEqual([{ column: "y_true", op: "not in", value: ["yes"] }]);
  });

  it("switching op keeps the value where it fits", () => {
    const { q } = setup();
    q<HTMLButtonElement>("cohort-new")!.click();
    q<HTMLButtonElement>("filter-add")!.click();
    type(q<HTMLInputElement>("filter-value")!, "40");
    choose(q<HTMLSelectElement>("filter-op")!, "in");
    expect(q<HTMLInputElement>("filter-value")!.value).toBe("40");
    choose(q<HTMLSelectElement>("filter-op")!, "<");
    expect(q<HTMLInputElement>("filter-value")!.value).toBe("40");
    choose(q<HTMLSelectElement>("filter-op")!, "between");
    expect(q<HTMLInputElement>("filter-value")!.value).toBe("40");
    expect(Number(q<HTMLInputElement>("filter-value-hi")!.value)).toBe(65);
  });

  it("summarises filters for the list", () => {
    expect(
      cohortSummary({
        name: "x",
        combine: "any",
        filters: [
          { column: "age", op: "between", value: [30, 40] },
          { column: "sex", op: "in", value: ["F"] },
        ],
      }),
    ).toBe('age between 30 and 40 OR sex in ["F"]');
    expect(cohortSummary(ALL)).toBe("no filters: every row");
  });
});

describe("cohort editor: words of a text explanation", () => {
  // 4 texts; "film" is in 3 of them, "boring" in 2 ("Boring" and "boring"), "the" is a stop-word
  function textStore(cohorts: Cohort[] = [ALL]) {
    const docs = [
      ["the", "film", "is", "boring"],
      ["Boring", "film"],
      ["a", "great", "film", "!"],
      ["the", "plot"],
    ];
    const tokens = docs.flat();
    const texts = docs.map((d) => d.join(" "));
    const spans: number[] = tokens.flatMap(() => [-1, -1]);
    const data = new TextData(
      {
        output_names: ["neg", "pos"],
        task: "classification",
        units: "probability",
        n_rows: 4,
        all_data: "All data",
        threshold: null,
        texts,
        stop_words: ["the", "a", "is"],
      },
      {
        columns: textColumns({ tokens: docs, classes: ["neg", "pos"], yPred: [0, 0, 1, 1] }),
        spans: wire(spans, [tokens.length, 2], "int32"),
        values: wire(new Array(tokens.length * 2).fill(0.1), [tokens.length, 2]),
        base_values: wire(new Array(8).fill(0.5), [4, 2]),
        model_output: wire([0.9, 0.1, 0.8, 0.2, 0.1, 0.9, 0.4, 0.6], [4, 2]),
      },
    );
    const store = new Store(data.dataset, { cohorts });
    const view = createCohortEditor(store, { stopWords: data.stopWords });
    store.subscribe((changed) => view.update(changed));
    document.body.replaceChildren(view.el);
    const q = <T extends Element = HTMLElement>(testid: string) => view.el.querySelector(`[data-testid="${testid}"]`) as T;
    return { store, view, q, data };
  }

  it("offers contains / does not contain on the tokens column, starting from the most used word", () => {
    const { store, q } = textStore();
    q<HTMLButtonElement>("cohort-new").click();
    q<HTMLButtonElement>("filter-add").click();
    const column = q<HTMLSelectElement>("filter-column");
    expect(Array.from(column.querySelectorAll("optgroup")).map((g) => g.label)).toEqual(["Labels and predictions", "Words"]);
    choose(column, "tokens");
    expect(Array.from(q<HTMLSelectElement>("filter-op").options).map((o) => o.textContent)).toEqual(["contains", "does not contain"]);
    const word = q<HTMLInputElement>("filter-value");
    expect(word.value).toBe("film"); // most texts; "the" is a stop-word
    vi.advanceTimersByTime(150);
    expect(q("cohort-draft-count").textContent).toBe("3 of 4 rows");
    // suggestions while typing: frequent words, as option values (text, not markup)
    const suggested = Array.from(document.querySelectorAll<HTMLOptionElement>("datalist option")).map((o) => o.value);
    expect(suggested.slice(0, 2)).toEqual(["film", "boring"]);

    type(word, "BORING ");
    vi.advanceTimersByTime(150);
    expect(q("cohort-draft-count").textContent).toBe("2 of 4 rows");
    choose(q<HTMLSelectElement>("filter-op"), "not contains");
    expect(q<HTMLInputElement>("filter-value").value).toBe("BORING");
    vi.advanceTimersByTime(150);
    expect(q("cohort-draft-count").textContent).toBe("2 of 4 rows");
    type(q<HTMLInputElement>("cohort-name"), "no boring");
    q<HTMLButtonElement>("cohort-save").click();
    expect(store.cohort("no boring")).toEqual({
      name: "no boring",
      combine: "all",
      filters: [{ column: "tokens", op: "not contains", value: "BORING" }],
    });
    expect(store.maskOf(store.cohort("no boring")!).count).toBe(2);
    expect(store.state.active).toBe("no boring");
  });

  it("says why a word cannot be saved: empty, or two words", () => {
    const { q } = textStore();
    q<HTMLButtonElement>("cohort-new").click();
    q<HTMLButtonElement>("filter-add").click();
    choose(q<HTMLSelectElement>("filter-column"), "tokens");
    type(q<HTMLInputElement>("filter-value"), "  ");
    expect(q("filter-error").textContent).toBe("Enter a word to look for.");
    expect(q<HTMLButtonElement>("cohort-save").disabled).toBe(true);
    type(q<HTMLInputElement>("filter-value"), "not good");
    expect(q("filter-error").textContent).toContain("'contains' needs one token, a word without spaces");
    expect(q<HTMLButtonElement>("cohort-save").disabled).toBe(true);
  });

  it("flags contains on a column that is not the tokens column (a cohort from Python)", () => {
    const bad: Cohort = { name: "bad", combine: "all", filters: [{ column: "y_pred", op: "contains", value: "neg" }] };
    const { view } = textStore([ALL, bad]);
    expect(view.el.textContent).toContain("'contains' works on the tokens column of a text explanation; column 'y_pred' is categorical");
  });

  it("lists the ops of a tokens column and the frequent words", () => {
    const col = { kind: "tokens" as const, offsets: new Int32Array([0, 2, 4]), tokens: ["Good", "good", "the", "GOOD"] };
    expect(opsFor(col)).toEqual(["contains", "not contains"]);
    expect(frequentTokens(col, 5, new Set(["the"]))).toEqual(["good"]);
    expect(frequentTokens(col, 5)).toEqual(["good", "the"]); // the stop-words are the kernel's: none given, none left out
  });
});
