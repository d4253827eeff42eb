// The header's second badge: do the surrogate's attributions agree with the model's own SHAP values?
// explainer.check_attributions(exp) computes it in the kernel (rai_widget/explainers/_agreement.py) and the
// payload passes its summary as meta.attribution_agreement; without one, the header shows no badge.
import "./agreement.css";
import { h } from "../core/dom";
import type { OutputChoice } from "./stats";
import type { TabularStore } from "./store";

export interface AgreementFigures {
  rank_rho: number | null;
  row_rank_rho: number | null;
  sign_agreement: number | null;
  /** A share of min(top_k, features): shown times top_k, "4.6/5". */
  top_k_overlap: number | null;
}

/** exp.attribution_agreement (AttributionAgreement.to_json, without its per-feature table). */
export interface AgreementSummary {
  method: string;
  method_detail: string;
  reason: string | null;
  rows: number;
  background_rows: number | null;
  max_evals: number | null;
  top_k: number;
  outputs: (string | number | boolean)[];
  figures: AgreementFigures;
  per_output: Record<string, AgreementFigures>;
  /** Below these a figure is poor: rank_rho, and top_k_overlap as a share. */
  floors: { rank_rho: number; top_k_overlap: number };
  poor: boolean;
  problems: string[];
}

const defined = (v: number | null | undefined): v is number => typeof v === "number" && Number.isFinite(v);
const rho = (v: number | null) => (defined(v) ? v.toFixed(2) : "n/a");

function figuresFor(s: AgreementSummary, output: string | null): { figures: AgreementFigures; label: string } {
  if (output !== null && s.outputs.length > 1 && s.per_output[output]) return { figures: s.per_output[output], label: ` for ${output}` };
  return { figures: s.figures, label: "" };
}

/**
 * The badge's sentence for one output (a class name, when the header shows one class of several; null: the
 * summary's own figures, the mean over outputs), and whether a figure is below its floor. The warning is in
 * the words ("Poor agreement", "below 0.8"), not only in the badge's colour.
 */
export function agreementText(s: AgreementSummary, output: string | null): { text: string; poor: boolean } {
  const { figures, label } = figuresFor(s, output);
  const k = s.top_k;
  const overlap = figures.top_k_overlap;
  const lowRho = defined(figures.rank_rho) && figures.rank_rho < s.floors.rank_rho;
  const lowOverlap = defined(overlap) && overlap < s.floors.top_k_overlap;
  const poor = lowRho || lowOverlap;
  const rhoText = `rank ρ ${rho(figures.rank_rho)}${lowRho ? ` (below ${s.floors.rank_rho})` : ""}`;
  const overlapText = `top-${k} overlap ${defined(overlap) ? (overlap * k).toFixed(1) : "n/a"}/${k}${
    lowOverlap ? ` (below ${(s.floors.top_k_overlap * k).toFixed(1)})` : ""
  }`;
  const rows = `${s.rows.toLocaleString()} ${s.rows === 1 ? "row" : "rows"}`;
  const lead = poor ? "Poor agreement with exact SHAP" : "Attributions agree with exact SHAP";
  return { text: `${lead} on ${rows}${label}: ${rhoText}, ${overlapText}`, poor };
}

function percent(v: number | null): string {
  return defined(v) ? `${Math.round(100 * v)}%` : "n/a";
}

function detailLines(s: AgreementSummary, output: string | null): string[] {
  const { figures } = figuresFor(s, output);
  const k = s.top_k;
  const lines = [`Computed by ${s.method_detail}.`];
  if (s.reason) lines.push(`Not TreeExplainer: ${s.reason}.`);
  lines.push(
    `Rank ρ: Spearman's correlation of the features' mean |value|, the surrogate's against the model's exact SHAP. ` +
      `Top-${k} overlap: per row, how many of the model's ${k} largest attributions are among the surrogate's ${k}.`,
    `Also: per-row rank ρ ${rho(figures.row_rank_rho)}, sign agreement ${percent(figures.sign_agreement)}.`,
    `Poor below rank ρ ${s.floors.rank_rho} or top-${k} overlap ${(s.floors.top_k_overlap * k).toFixed(1)}/${k}. ` +
      "exp.attribution_agreement holds every figure, per feature too.",
  );
  return lines;
}

function outputName(store: TabularStore, choice: OutputChoice): string | null {
  return choice.kind === "output" ? String(store.data.meta.output_names[choice.index] ?? "") : null;
}

/** The badge (a <details>: its summary is the sentence, its body the method and definitions), or null. */
export function createAgreementBadge(store: TabularStore): { el: HTMLElement; draw(): void } | null {
  const summary = store.data.meta.attribution_agreement;
  if (!summary) return null;
  const head = h("summary", { testid: "attribution-agreement-text" });
  const body = h("div", { cls: "rw-agreement-body" });
  const el = h("details", { cls: "rw-agreement", testid: "attribution-agreement" }, [head, body]);
  el.dataset.method = summary.method;
  const draw = () => {
    const output = outputName(store, store.state.output);
    const { text, poor } = agreementText(summary, output);
    head.textContent = text;
    head.title = "Do the surrogate's attributions agree with the model's own SHAP values? Open for the method.";
    body.replaceChildren(...detailLines(summary, output).map((line) => h("p", { text: line })));
    el.dataset.poor = String(poor);
    el.classList.toggle("rw-warn", poor);
  };
  draw();
  return { el, draw };
}
