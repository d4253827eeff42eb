import { describe, expect, it } from "vitest";
import { evaluateCohort } from "../../js/core/cohorts";
import { type TextArrays, TextData, type TextMeta, textRuns } from "../../js/text/data";
import { aggregateTokens, colorScale, MAX_ALPHA, tokenColor, topTokens } from "../../js/text/tokens";
import { renderText } from "../../js/text/view";
import { FakeModel, textColumns, wire } from "./fixtures";

// two texts, two outputs: "an excellent film" / "the film"
function payload(
  docs = [
    ["an", "excellent", "film"],
    ["the", "film"],
  ],
): { meta: TextMeta; arrays: TextArrays } {
  const texts = ["an excellent film", "the film"];
  const spans = [0, 2, 3, 12, 13, 17, 0, 3, 4, 8];
  const v1 = [0, 0.8, 0.1, -0.05, -0.3];
  const values = v1.flatMap((v) => [-v, v]);
  return {
    meta: {
      output_names: ["neg", "pos"],
      task: "classification",
      units: "probability",
      n_rows: 2,
      all_data: "All data",
      threshold: null,
      texts,
      stop_words: ["the", "an"],
    },
    arrays: {
      columns: textColumns({ tokens: docs, classes: ["neg", "pos"], yPred: [1, 0], yTrue: [1, 1], truncated: [0, 1] }),
      spans: wire(spans, [5, 2], "int32"),
      values: wire(values, [5, 2]),
      base_values: wire([0.5, 0.5, 0.5, 0.5], [2, 2]),
      model_output: wire([0.1, 0.9, 0.85, 0.15], [2, 2]),
    },
  };
}

function tiny(): TextData {
  const p = payload();
  return new TextData(p.meta, p.arrays);
}

describe("tokenColor", () => {
  it("is proportional to |value| and saturates at the scale", () => {
    expect(tokenColor(0, 1).alpha).toBe(0);
    expect(tokenColor(0.5, 1).alpha).toBeCloseTo(MAX_ALPHA / 2, 3);
    expect(tokenColor(-0.5, 1).alpha).toBeCloseTo(MAX_ALPHA / 2, 3);
    expect(tokenColor(3, 1).alpha).toBe(MAX_ALPHA);
    expect(tokenColor(0.1, 0).alpha).toBe(0);
    expect(tokenColor(Number.NaN, 1).alpha).toBe(0);
  });
  it("is red for positive and blue for negative values", () => {
    expect(tokenColor(0.5, 1).background.startsWith("rgba(214, 39, 40,")).toBe(true);
    expect(tokenColor(-0.5, 1).background.startsWith("rgba(31, 119, 180,")).toBe(true);
  });
  it("has a stronger colour for the dark theme, the same at zero and at full scale", () => {
    expect(tokenColor(0, 1).darkBackground).toBe("rgba(214, 39, 40, 0)");
    expect(tokenColor(0.25, 1).darkBackground).toBe(`rgba(214, 39, 40, ${MAX_ALPHA / 2})`);
    expect(tokenColor(-0.01, 0.1).darkBackground).toBe(`rgba(31, 119, 180, ${Math.round(Math.sqrt(0.1) * MAX_ALPHA * 1000) / 1000})`);
    expect(tokenColor(-2, 1).darkBackground).toBe(`rgba(31, 119, 180, ${MAX_ALPHA})`);
  });
});

describe("TextData", () => {
  it("decodes the payload; its cohort columns are the kernel's, in its order", () => {
    const d = tiny();
    expect(d.length(0)).toBe(3);
    expect(d.value(1, 1)).toBeCloseTo(0.8);
    expect(d.predictedIndex(0)).toBe(1);
    const cols = d.dataset.columns;
    expect([...cols.keys()]).toEqual(["index", "y_true", "y_pred", "correct", "length", "truncated", "tokens"]);
    expect(Array.from(d.truncated ?? [])).toEqual([0, 1]);
    expect(Array.from(d.correct ?? [])).toEqual([1, 0]);
    expect(d.tokenText(3)).toBe("the");
    expect([...d.stopWords]).toEqual(["the", "an"]);
    expect(cols.get("tokens")?.kind).toBe("tokens");
    // the same cohort op Python evaluates: whole token, any case
    const has = (word: string) =>
      Array.from(evaluateCohort({ name: "c", combine: "all", filters: [{ column: "tokens", op: "contains", value: word }] }, cols, d.n));
    expect(has("EXCELLENT")).toEqual([1, 0]);
    expect(has("film")).toEqual([1, 1]);
    expect(has("excel")).toEqual([0, 0]);
  });
  it("splits text into gaps and tokens from the spans", () => {
    const runs = textRuns(tiny(), 0);
    expect(runs).toEqual([{ t: 0, text: "an" }, { gap: " " }, { t: 1, text: "excellent" }, { gap: " " }, { t: 2, text: "film" }]);
  });
  it("scales per document or over several, toward each text's output", () => {
    const d = tiny();
    expect(colorScale(d, [1], 1)).toBeCloseTo(0.3);
    expect(colorScale(d, [0, 1], 1)).toBeCloseTo(0.8);
    // predicted class of text 1 is 'neg': its values are the negatives
    expect(colorScale(d, [1], "predicted")).toBeCloseTo(0.3);
    expect(topTokens(d, 0, 1, 2).map((x) => x.t)).toEqual([1, 2]);
  });
});

describe("aggregateTokens", () => {
  it("averages value and |value| per lower-cased token over the mask", () => {
    const d = tiny();
    const stats = aggregateTokens(d, [1, 1], 1);
    expect(stats[0].token).toBe("excellent");
    const film = stats.find((s) => s.token === "film")!;
    expect(film.count).toBe(2);
    expect(film.mean).toBeCloseTo((0.1 - 0.3) / 2);
    expect(film.meanAbs).toBeCloseTo((0.1 + 0.3) / 2);
    expect(aggregateTokens(d, [0, 1], 1).map((s) => s.token)).toEqual(["film", "the"]);
    expect(aggregateTokens(d, [1, 1], 1, d.stopWords).map((s) => s.token)).toEqual(["excellent", "film"]); // the kernel's stop-words
    // predicted output per text: text 1 predicts 'neg', so its film counts +0.3
    expect(aggregateTokens(d, [0, 1], "predicted").find((s) => s.token === "film")!.mean).toBeCloseTo(0.3);
  });
});

describe("renderText", () => {
  const EVIL = "<img src=x onerror=alert(1)>";
  function setup() {
    const p = payload([
      ["an", "excellent", "film"],
      [EVIL, "film"],
    ]);
    p.meta.texts[1] = `${EVIL} film`; // 'the' now spans the HTML: it must stay text
    const spans = new Int32Array([0, 2, 3, 12, 13, 17, 0, EVIL.length, EVIL.length + 1, EVIL.length + 5]);
    p.arrays.spans = { view: new DataView(spans.buffer), dtype: "int32", shape: [5, 2] };
    const model = new FakeModel({
      kind: "text",
      meta: p.meta,
      arrays: p.arrays,
      cohorts: [
        { name: "All data", combine: "all", filters: [] },
        { name: "short", combine: "all", filters: [{ column: "length", op: "<", value: 3 }] },
      ],
      active_cohort: "All data",
      selected_rows: [],
    });
    const root = document.createElement("div");
    const cleanup = renderText(model, root);
    return { model, root, cleanup };
  }
  const tokens = (root: HTMLElement) => Array.from(root.querySelectorAll<HTMLElement>('[data-testid="token"]'));

  it("draws the first text as coloured tokens, the strongest for the largest |value|", () => {
    const { root, cleanup } = setup();
    const spans = tokens(root);
    expect(spans.map((s) => s.textContent)).toEqual(["an", "excellent", "film"]);
    expect(spans[1].style.backgroundColor).toMatch(/^rgba\(214, 39, 40, 0\.9\)$/);
    expect(spans[1].title).toContain("+0.8");
    expect(root.querySelector('[data-testid="text-legend"]')!.textContent).toContain("output 0.9");
    cleanup();
  });

  it("switches class, selects texts both ways, follows the active cohort, and keeps HTML as text", () => {
    const { model, root, cleanup } = setup();
    const select = root.querySelector<HTMLSelectElement>('[data-testid="class-select"]')!;
    expect(Array.from(select.options).map((o) => o.textContent)).toEqual(["neg", "pos", "predicted class"]);
    select.value = "0";
    select.dispatchEvent(new Event("change"));
    expect(tokens(root)[1].style.backgroundColor).toMatch(/^rgba\(31, 119, 180, 0\.9\)$/);

    const items = root.querySelectorAll<HTMLButtonElement>('[data-testid="doc-item"]');
    expect(root.querySelector('[data-testid="doc-list"]')!.textContent).toContain("Incorrect (1)");
    const evil = Array.from(items).find((b) => b.textContent!.includes("onerror"))!;
    evil.click();
    expect(model.attrs.selected_rows).toEqual([1]);
    expect(model.saved).toBe(1);
    expect(tokens(root)[0].textContent).toBe(EVIL);
    expect(root.querySelector('[data-testid="doc-text"]')!.textContent).toContain(`${EVIL} film`);
    expect(root.querySelector('[data-testid="doc-text"]')!.textContent).toContain("Truncated");
    expect(root.querySelectorAll("img, script").length).toBe(0);

    model.set("selected_rows", [0]); // from Python
    expect(tokens(root).map((s) => s.textContent)).toEqual(["an", "excellent", "film"]);
    model.set("active_cohort", "short");
    expect(root.querySelector(".rw-header")!.textContent).toContain("1 of 2 texts");
    cleanup();
  });

  it("hides the kernel's stop-words (meta.stop_words) from the cohort chart while the box is ticked", () => {
    const p = payload(); // text 1 is "the film"; "the" is one of this payload's stop-words
    const root = document.createElement("div");
    const model = new FakeModel({ kind: "text", ...p, cohorts: [], active_cohort: "", selected_rows: [] });
    const cleanup = renderText(model, root);
    const labels = () => Array.from(root.querySelectorAll('[data-testid="cohort-tokens"] .rw-bar-label')).map((l) => l.textContent);
    expect(labels()).toEqual(["excellent", "film"]);
    const box = Array.from(root.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')).find((b) =>
      b.parentElement?.textContent?.includes("hide stop-words"),
    );
    if (!box) throw new Error("no stop-words box");
    box.checked = false;
    box.dispatchEvent(new Event("change"));
    expect(labels()).toEqual(["excellent", "film", "the"]);
    cleanup();
  });

  it("states each cohort's size on the picker's options (texts)", () => {
    const { root, cleanup } = setup();
    const options = Array.from(root.querySelectorAll<HTMLOptionElement>('[data-testid="cohort-select"] option'));
    expect(options.map((o) => [o.textContent, o.dataset.testid, o.dataset.cohort, o.dataset.rows])).toEqual([
      ["All data", "cohort-size", "All data", "2"],
      ["short", "cohort-size", "short", "1"],
    ]);
    cleanup();
  });

  it("narrows to texts containing a word and saves that as a cohort Python can read", () => {
    const { model, root, cleanup } = setup();
    const q = <T extends HTMLElement>(id: string) => root.querySelector<T>(`[data-testid="${id}"]`)!;
    const box = q<HTMLInputElement>("contains-token");
    const save = q<HTMLButtonElement>("contains-save");
    const listed = () => Array.from(root.querySelectorAll('[data-testid="doc-item"]')).map((b) => b.textContent!.slice(0, 3));
    expect(save.disabled).toBe(true);
    expect(listed().sort()).toEqual(["#0 ", "#1 "]);

    box.value = " Excellent ";
    box.dispatchEvent(new Event("input"));
    expect(listed()).toEqual(["#0 "]);
    expect(q("text-count").textContent).toBe("1 of 2 texts");
    box.value = "excellent film"; // two words: said, not silently ignored
    box.dispatchEvent(new Event("input"));
    expect(q("text-count").textContent).toContain("needs one token");
    expect(save.disabled).toBe(true);

    model.set("active_cohort", "short"); // the saved cohort keeps the active cohort's filters
    box.value = "film";
    box.dispatchEvent(new Event("input"));
    expect(listed()).toEqual(["#1 "]);
    expect(save.disabled).toBe(false);
    save.click();
    const added = {
      name: 'short + contains "film"',
      combine: "all",
      filters: [
        { column: "length", op: "<", value: 3 },
        { column: "tokens", op: "contains", value: "film" },
      ],
    };
    const cohorts = model.attrs.cohorts as unknown[];
    expect(cohorts[cohorts.length - 1]).toEqual(added);
    expect(model.attrs.active_cohort).toBe(added.name);
    expect(box.value).toBe("");
    expect(q("cohort-select").textContent).toContain(added.name);
    expect(listed()).toEqual(["#1 "]);
    cleanup();
  });
});
