import { describe, expect, it } from "vitest";
import type { TextArrays, TextMeta } from "../../js/text/data";
import { approximationSentence, change, cohortSummary, faithSentence, quantity, TextChecks } from "../../js/text/faithfulness";
import { renderText } from "../../js/text/view";
import { FakeModel, textColumns, wire } from "./fixtures";

// three texts, two outputs: "a great film" (4 words with '!'), "the plot", "" (no word)
const TEXTS = ["a great film !", "the plot", ""];
const DOCS = [["a", "great", "film", "!"], ["the", "plot"], []];
const KS = [1, 3, 0.5];

function payload(checks = true): { meta: TextMeta; arrays: TextArrays } {
  const spans = [0, 1, 2, 7, 8, 12, 13, 14, 0, 3, 4, 8];
  const v1 = [0, 0.8, 0.05, 0, -0.1, 0.2];
  const meta: TextMeta = {
    output_names: ["neg", "pos"],
    task: "classification",
    units: "probability",
    n_rows: 3,
    all_data: "All data",
    threshold: null,
    texts: TEXTS,
    stop_words: ["the", "a"],
  };
  const arrays: TextArrays = {
    columns: textColumns({ tokens: DOCS, classes: ["neg", "pos"], yPred: [1, 0, 1] }),
    spans: wire(spans, [6, 2], "int32"),
    values: wire(
      v1.flatMap((v) => [-v, v]),
      [6, 2],
    ),
    base_values: wire([0.15, 0.85, 0.5, 0.5, 0.6, 0.4], [3, 2]),
    model_output: wire([0.15, 0.85, 0.6, 0.4, 0.4, 0.6], [3, 2]),
  };
  if (!checks) return { meta, arrays };
  meta.faithfulness = { ks: KS, labels: ["1", "3", "50%"], output: null };
  meta.approximation = { max_evals: 500, exact_steps: true };
  // text 0 (class pos, p 0.85): k = 1, 3, 2; text 1 (class neg, p 0.6): k = 1, 2 (capped), 1; text 2: none
  arrays.faithfulness_k = wire([1, 3, 2, 1, 2, 1, 0, 0, 0], [3, 3], "int32");
  arrays.faithfulness_class = wire([1, 0, 1], [3], "int32");
  arrays.faithfulness_full = wire([0.85, 0.6, 0.6], [3]);
  arrays.faithfulness_removed = wire([0.25, 0.2, 0.22, 0.5, 0.45, 0.5, 0.6, 0.6, 0.6], [3, 3]);
  arrays.faithfulness_kept = wire([0.8, 0.84, 0.83, 0.55, 0.6, 0.55, 0.6, 0.6, 0.6], [3, 3]);
  arrays.faithfulness_random_removed = wire([0.8, 0.5, 0.7, 0.58, 0.45, 0.58, 0.6, 0.6, 0.6], [3, 3]);
  arrays.faithfulness_random_kept = wire([0.3, 0.4, 0.35, 0.52, 0.6, 0.52, 0.6, 0.6, 0.6], [3, 3]);
  arrays.approximation_exact = wire([0, 1, 1], [3], "uint8");
  arrays.approximation_needed = wire([2046, 2, 0], [3], "int32");
  arrays.approximation_gap = wire([0, 0, 0], [3]);
  arrays.approximation_diff = wire([0.0123, 0, Number.NaN], [3]);
  return { meta, arrays };
}

function checksOf(p = payload()) {
  return new TextChecks(3, p.meta.faithfulness, p.meta.approximation, p.arrays);
}

function render(p = payload(), selected: number[] = []) {
  const model = new FakeModel({
    kind: "text",
    meta: p.meta,
    arrays: p.arrays,
    cohorts: [
      { name: "All data", combine: "all", filters: [] },
      { name: "short", combine: "all", filters: [{ column: "length", op: "<", value: 3 }] },
    ],
    active_cohort: "All data",
    selected_rows: selected,
  });
  const root = document.createElement("div");
  const cleanup = renderText(model, root);
  const text = (id: string) => root.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
  return { model, root, cleanup, text };
}

describe("TextChecks", () => {
  it("gives each k's drops and the AOPC over a text's distinct k's", () => {
    const t = checksOf().textFaith(0);
    expect(t).not.toBeNull();
    expect(t?.cls).toBe(1);
    expect(t?.rows.map((r) => r.words)).toEqual([1, 3, 2]);
    expect(t?.rows[0].comprehensiveness).toBeCloseTo(0.6, 6);
    expect(t?.rows[0].sufficiency).toBeCloseTo(0.05, 6);
    expect(t?.rows[1].randomComprehensiveness).toBeCloseTo(0.35, 6);
    expect(t?.aopc.comprehensiveness).toBeCloseTo((0.6 + 0.65 + 0.63) / 3, 6);
    // text 1's k's are 1, 2, 1 once capped: the AOPC averages k = 1 and 2 once each
    const t1 = checksOf().textFaith(1);
    expect(t1?.aopc.comprehensiveness).toBeCloseTo((0.1 + 0.15) / 2, 6);
    expect(t1?.aopc.randomSufficiency).toBeCloseTo((0.08 + 0) / 2, 6);
    // a text without words has no figures
    expect(checksOf().textFaith(2)).toBeNull();
  });

  it("is empty when the payload has no checks", () => {
    const c = checksOf(payload(false));
    expect(c.faith).toBeNull();
    expect(c.approx).toBeNull();
    expect(c.textFaith(0)).toBeNull();
    expect(approximationSentence(c, 0)).toBeNull();
    expect(cohortSummary(c, [0, 1], "All data", "probability", "x")).toBeNull();
    // one line per check
    expect(cohortSummary(checksOf(), [0, 1, 2], "All data", "probability", "x")?.length).toBe(2);
  });
});

describe("wording", () => {
  it("says 'the top word' and 'it' for k = 1", () => {
    const c = checksOf();
    const t = c.textFaith(0);
    if (!t) throw new Error("no figures");
    expect(faithSentence(t, t.rows[0], "output", "pos", 4)).toBe(
      "Removing the top word lowers the output for 'pos' by 0.6 (from 0.85 to 0.25); keeping only it lowers it by 0.05. A random word: removed, lowers it by 0.05; kept alone, lowers it by 0.55.",
    );
  });

  it("names the quantity in the explanation's units", () => {
    expect(quantity("probability", "pos")).toBe("p(pos)");
    expect(quantity("output", "pos")).toBe("the output for 'pos'");
    expect(change(0.412)).toBe("lowers it by 0.412");
    expect(change(-0.02)).toBe("raises it by 0.02");
    expect(change(1e-5)).toBe("leaves it as it is");
  });

  it("says 'exact' without a number when the budget expanded the tree, and how far otherwise", () => {
    const c = checksOf();
    const exact = approximationSentence(c, 1)?.text ?? "";
    expect(exact).toMatch(/^SHAP values: exact\. max_evals 500 expanded this text's whole partition tree/);
    expect(exact).not.toMatch(/at most|from the exact/);
    const approx = approximationSentence(c, 0)?.text ?? "";
    expect(approx).toContain("SHAP values: approximate. max_evals 500 of the 2,046 masked texts");
    expect(approx).toContain("base + Σ values = output");
    expect(approx).toContain("at most 0.0123 from the exact values (checked by an exact run)");
    const p = payload();
    p.arrays.approximation_diff = wire([Number.NaN, 0, Number.NaN], [3]);
    expect(approximationSentence(checksOf(p), 0)?.text).toContain(
      "not compared with an exact run (explainer.approximation_error(exp) does)",
    );
    p.meta.approximation = { max_evals: 500, exact_steps: false };
    expect(approximationSentence(checksOf(p), 0)?.text).toContain("in larger steps than shap's, exact=False");
  });
});

describe("the text view's checks", () => {
  it("shows the figures under the heatmap: a sentence, a table per k and AOPC, the approximation", () => {
    const { root, text, cleanup } = render();
    expect(text("faithfulness-headline")).toBe(
      "Removing the top 3 words lowers p(pos) by 0.65 (from 0.85 to 0.2); keeping only them lowers it by 0.01. 3 random words: removed, lowers it by 0.35; kept alone, lowers it by 0.45.",
    );
    const rows = Array.from(root.querySelectorAll('[data-testid="faithfulness-row"]')).map((r) =>
      Array.from(r.children).map((c) => c.textContent),
    );
    expect(rows).toEqual([
      ["1", "0.6", "0.05", "0.05", "0.55"],
      ["3", "0.65", "0.01", "0.35", "0.45"],
      ["50% (2)", "0.63", "0.02", "0.15", "0.5"],
    ]);
    expect(text("faithfulness-aopc")).toContain("mean (AOPC)");
    expect(text("text-faithfulness")).toContain("Faithfulness for 'pos, the predicted class'");
    expect(text("text-approximation")).toContain("SHAP values: approximate");
    cleanup();
  });

  it("follows the selected text; a text without words says so", () => {
    const { model, text, cleanup } = render(payload(), [1]);
    expect(text("faithfulness-headline")).toBe(
      "Removing the top 2 words (all of them) lowers p(neg) by 0.15 (from 0.6 to 0.45); keeping only them leaves it as it is. 2 random words: removed, lowers it by 0.15; kept alone, leaves it as it is.",
    );
    expect(text("text-approximation")).toMatch(/^SHAP values: exact\./);
    model.set("selected_rows", [2]);
    expect(text("faithfulness-headline")).toBe("Faithfulness: this text has no word to remove.");
    cleanup();
  });

  it("says which class the figures are for when the colours explain another", () => {
    const { root, text, cleanup } = render();
    const select = root.querySelector<HTMLSelectElement>('[data-testid="class-select"]');
    if (!select) throw new Error("no class select");
    select.value = "0";
    select.dispatchEvent(new Event("change"));
    expect(text("text-faithfulness")).toContain("Faithfulness for 'pos, the predicted class' (the colours explain 'neg')");
    cleanup();
  });

  it("sums up the active cohort's texts in the summary line", () => {
    const { model, root, text, cleanup } = render();
    const summary = root.querySelector<HTMLElement>('[data-testid="faithfulness-summary"]');
    expect(summary?.hidden).toBe(false);
    // texts 0 and 1 have figures (k = 3 is 3 and 2 words): (0.65 + 0.15) / 2 = 0.4; kept (0.01 + 0) / 2
    expect(text("faithfulness-summary")).toContain(
      "Over 'All data' (2 texts, each for its predicted class): removing each text's top 3 words lowers its class's probability by 0.4 on average (random words: lowers it by 0.25); keeping only them lowers it by 0.005 (random words: lowers it by 0.225).",
    );
    expect(text("faithfulness-summary")).toContain(
      "SHAP values exact for 2 of 3 texts, approximate for the others (max_evals 500); of 1 approximate text checked by an exact run, the largest difference is 0.0123.",
    );
    model.set("active_cohort", "short"); // texts of fewer than 3 words: 1 and 2
    expect(text("faithfulness-summary")).toContain("Over 'short' (1 text,");
    expect(text("faithfulness-summary")).toContain("SHAP values exact for all 2 texts");
    cleanup();
  });

  it("leaves the view as it was without checks", () => {
    const { root, text, cleanup } = render(payload(false));
    expect(root.querySelector('[data-testid="text-faithfulness"]')).toBeNull();
    expect(root.querySelector<HTMLElement>('[data-testid="faithfulness-summary"]')?.hidden).toBe(true);
    expect(text("text-output")).toContain("output 0.85");
    cleanup();
  });
});
