// The header's attribution-agreement badge (js/tabular/agreement.ts): shown beside the fidelity badge when the
// kernel sent explainer.check_attributions(exp)'s summary, with its figures, a warning in words when they are
// below the floors, and the method in its details; nothing when there is no summary.
import { describe, expect, it } from "vitest";
import type { Cohort } from "../../js/core/cohorts";
import { type AgreementSummary, agreementText } from "../../js/tabular/agreement";
import { renderTabular } from "../../js/tabular/dashboard";
import { EVIL, FakeModel, type TinyOptions, tinyPayload } from "./fixtures";

const BINARY: TinyOptions = {
  values: [
    [[1], [-2], [0]],
    [[3], [0.5], [0]],
    [[-1], [1], [0.25]],
  ],
  data: [
    [1, 10, 0],
    [2, 20, 1],
    [3, 30, 0],
  ],
  featureNames: ["age", "income", "city"],
  outputNames: ["no", "yes"],
  binaryMirror: true,
  baseValues: [0.5, -0.5],
};

const ALL: Cohort = { name: "All data", combine: "all", filters: [] };

function summary(over: Partial<AgreementSummary> = {}): AgreementSummary {
  return {
    method: "tree",
    method_detail: "shap.TreeExplainer on the model (GradientBoostingClassifier)",
    reason: null,
    rows: 200,
    background_rows: null,
    max_evals: null,
    top_k: 5,
    outputs: ["yes"],
    figures: { rank_rho: 0.9412, row_rank_rho: 0.88, sign_agreement: 0.97, top_k_overlap: 0.92 },
    per_output: { yes: { rank_rho: 0.9412, row_rank_rho: 0.88, sign_agreement: 0.97, top_k_overlap: 0.92 } },
    floors: { rank_rho: 0.8, top_k_overlap: 0.7 },
    poor: false,
    problems: [],
    ...over,
  };
}

function render(agreement?: AgreementSummary, options: TinyOptions = BINARY) {
  const { meta, arrays } = tinyPayload(options);
  const root = document.createElement("div");
  const model = new FakeModel({
    kind: "tabular",
    meta: agreement ? { ...meta, attribution_agreement: agreement } : meta,
    arrays,
    cohorts: [ALL],
    active_cohort: "All data",
    selected_rows: [],
  });
  const cleanup = renderTabular(model, root, { importance: [], rows: [], cohorts: [] });
  return { root, model, cleanup };
}

const badgeOf = (root: HTMLElement) => root.querySelector<HTMLElement>('[data-testid="attribution-agreement"]');

describe("the attribution agreement badge", () => {
  it("says how well the attributions agree, beside the fidelity badge", () => {
    const { root, cleanup } = render(summary());
    const badge = badgeOf(root);
    expect(badge).not.toBeNull();
    const text = badge?.querySelector('[data-testid="attribution-agreement-text"]')?.textContent;
    expect(text).toBe("Attributions agree with exact SHAP on 200 rows: rank ρ 0.94, top-5 overlap 4.6/5");
    expect(badge?.dataset.poor).toBe("false");
    expect(badge?.classList.contains("rw-warn")).toBe(false);
    // next to the fidelity badge, in the header
    const fidelity = root.querySelector('[data-testid="fidelity"]');
    expect(fidelity?.nextElementSibling).toBe(badge);
    const details = badge?.textContent ?? "";
    expect(details).toContain("shap.TreeExplainer on the model (GradientBoostingClassifier)");
    expect(details).toContain("sign agreement 97%");
    expect(details).toContain("per-row rank ρ 0.88");
    cleanup();
  });

  it("warns in words, not colour alone, when a figure is below its floor", () => {
    const poor = summary({
      figures: { rank_rho: 0.577, row_rank_rho: 0.4, sign_agreement: 1, top_k_overlap: 0.24 },
      poor: true,
      problems: ["rank rho 0.58 < 0.8", "top-5 overlap 1.2/5 < 3.5"],
    });
    const { root, cleanup } = render(poor);
    const badge = badgeOf(root);
    const text = badge?.querySelector('[data-testid="attribution-agreement-text"]')?.textContent;
    expect(text).toBe("Poor agreement with exact SHAP on 200 rows: rank ρ 0.58 (below 0.8), top-5 overlap 1.2/5 (below 3.5)");
    expect(badge?.dataset.poor).toBe("true");
    expect(badge?.classList.contains("rw-warn")).toBe(true);
    cleanup();
  });

  it("names the permutation path, its background and why TreeExplainer was not used", () => {
    const perm = summary({
      method: "permutation",
      method_detail:
        "shap's permutation explainer on the model's log-odds, 100 background rows from X_train, 2 permutations per row (max_evals 14)",
      reason: `the model is a scikit-learn Pipeline ${EVIL}`,
      background_rows: 100,
      max_evals: 14,
    });
    const { root, cleanup } = render(perm);
    const badge = badgeOf(root);
    expect(badge?.dataset.method).toBe("permutation");
    expect(badge?.textContent).toContain("100 background rows");
    expect(badge?.textContent).toContain(`Not TreeExplainer: the model is a scikit-learn Pipeline ${EVIL}`);
    expect(root.querySelector("img")).toBeNull(); // text from the kernel stays text
    cleanup();
  });

  it("is absent when the attributions were not checked", () => {
    const { root, cleanup } = render();
    expect(badgeOf(root)).toBeNull();
    expect(root.querySelector('[data-testid="fidelity"]')?.getAttribute("title")).toContain("explainer.check_attributions(exp)");
    cleanup();
  });

  it("shows n/a for an undefined figure and counts one row in the singular", () => {
    const s = summary({ rows: 1, top_k: 3, figures: { rank_rho: null, row_rank_rho: null, sign_agreement: null, top_k_overlap: 1 } });
    const { text, poor } = agreementText(s, null);
    expect(text).toBe("Attributions agree with exact SHAP on 1 row: rank ρ n/a, top-3 overlap 3.0/3");
    expect(poor).toBe(false);
  });

  it("follows the header's class for a classifier of more classes", () => {
    const per = {
      a: { rank_rho: 0.95, row_rank_rho: 0.9, sign_agreement: 0.9, top_k_overlap: 0.9 },
      b: { rank_rho: 0.5, row_rank_rho: 0.4, sign_agreement: 0.9, top_k_overlap: 0.9 },
      c: { rank_rho: 0.9, row_rank_rho: 0.9, sign_agreement: 0.9, top_k_overlap: 0.9 },
    };
    const s = summary({ outputs: ["a", "b", "c"], per_output: per, figures: { ...per.c, rank_rho: 0.7833 }, poor: true });
    expect(agreementText(s, "b").text).toBe(
      "Poor agreement with exact SHAP on 200 rows for b: rank ρ 0.50 (below 0.8), top-5 overlap 4.5/5",
    );
    expect(agreementText(s, "a").poor).toBe(false);
    expect(agreementText(s, null).text).toContain("rank ρ 0.78 (below 0.8)");
    const three: TinyOptions = {
      values: [[[1, 0, -1]], [[0, 2, 0]]],
      data: [[1], [2]],
      featureNames: ["x"],
      outputNames: ["a", "b", "c"],
    };
    const { root, cleanup } = render(s, three);
    const text = () => badgeOf(root)?.querySelector('[data-testid="attribution-agreement-text"]')?.textContent ?? "";
    const select = root.querySelector<HTMLSelectElement>('[data-testid="class-select"]');
    expect(select).not.toBeNull();
    if (!select) return;
    select.value = "output:1";
    select.dispatchEvent(new Event("change"));
    expect(text()).toContain("for b: rank ρ 0.50");
    select.value = "average";
    select.dispatchEvent(new Event("change"));
    expect(text()).toContain("on 200 rows: rank ρ 0.78");
    cleanup();
  });
});
