// Header: active cohort, which output the charts show, the surrogate's fidelity on the cohort, and (once
// explainer.check_attributions(exp) ran) whether its attributions agree with the model's own SHAP values.
import { createCohortPicker } from "../core/cohortPicker";
import { h, option } from "../core/dom";
import type { View } from "../core/view";
import { createAgreementBadge } from "./agreement";
import { populationOf, type Scope, scopeChip } from "./population";
import { cohortFidelity, fidelityIsPoor, type OutputChoice } from "./stats";
import type { TabularState, TabularStore } from "./store";
import { binaryNote, countRows, mirrored, type OutputsMeta, outputNoun, unitsPhrase } from "./wording";

function encodeOutput(o: OutputChoice): string {
  return o.kind === "output" ? `output:${o.index}` : o.kind;
}

function decodeOutput(v: string): OutputChoice {
  if (v.startsWith("output:")) return { kind: "output", index: Number(v.slice(7)) };
  return v === "predicted" ? { kind: "predicted" } : { kind: "average" };
}

/**
 * The outputs the header offers, as select options (value, label): only choices that draw something
 * different. A binary classifier offers its second class and each row's predicted class: its first
 * class mirrors the second (same |values|, signs flipped) and the average over both is either one.
 * One output (a regression) offers nothing to choose.
 */
export function outputOptions(meta: OutputsMeta): [string, string][] {
  const k = meta.output_names.length;
  if (k <= 1) return [];
  if (mirrored(meta))
    return [
      ["output:1", meta.output_names[1]],
      ["predicted", "predicted class"],
    ];
  const opts: [string, string][] = meta.output_names.map((name, i) => [`output:${i}`, name]);
  if (meta.task === "classification") opts.push(["predicted", "predicted class"]);
  opts.push(["average", "average over outputs"]);
  return opts;
}

function choiceLabel(meta: OutputsMeta, o: OutputChoice): string {
  if (o.kind === "output") return meta.output_names[o.index] ?? String(o.index);
  return o.kind === "predicted" ? "predicted class" : "average over outputs";
}

/** The surrogate's fidelity on a cohort, as the header and the legend show it; for a large explanation over
 * every row of the cohort once the engine computed it (scope says which rows; null for other explanations). */
export function fidelityText(store: TabularStore, cohortName: string, useAll = true): { text: string; poor: boolean; scope: Scope | null } {
  const cohort = store.cohort(cohortName);
  const population = populationOf(store);
  if (!cohort) return { text: "", poor: false, scope: null };
  const { mask, count } = store.maskOf(cohort);
  const all = useAll ? population?.figures(cohort) : null;
  const scope: Scope | null = population ? (all ? { kind: "all", rows: all.rows } : { kind: "sample", rows: count }) : null;
  if ((all ? all.rows : count) === 0) return { text: "no rows", poor: false, scope };
  const fid = all
    ? {
        r2: all.fidelity.r2 ?? Number.NaN,
        agreement: store.data.meta.task === "classification" ? (all.fidelity.agreement ?? Number.NaN) : null,
      }
    : cohortFidelity(store.data, mask);
  const parts = [`R² ${Number.isNaN(fid.r2) ? "n/a" : fid.r2.toFixed(3)}`];
  if (fid.agreement !== null) parts.push(`agreement ${(100 * fid.agreement).toFixed(1)}%`);
  return {
    text: parts.join(", "),
    poor: fidelityIsPoor({ r2: Number.isNaN(fid.r2) ? null : fid.r2, agreement: fid.agreement }, store.data.meta.fidelity_floors),
    scope,
  };
}

export function createHeader(store: TabularStore): View<TabularState> {
  const { meta } = store.data;
  const picker = createCohortPicker(store, "Active cohort: every view shows its rows");
  const outputSelect = h("select", { testid: "class-select", title: "Which output the charts explain" });
  const badge = h("span", { cls: "rw-fidelity", testid: "fidelity" });
  const rows = h("span", { cls: "rw-muted", testid: "header-rows" });
  const population = populationOf(store);
  const populationNote = population
    ? h("p", { cls: "rw-muted rw-population-note", testid: "population-note", attrs: { role: "status" } })
    : null;
  const single = meta.output_names.length <= 1;
  const outputControl = single
    ? h("span", { cls: "rw-control" }, [
        h("span", { text: "Output" }),
        h("span", { testid: "output-fixed", text: `${outputNoun(meta, 0)}, in ${unitsPhrase(meta)}` }),
      ])
    : h("label", { cls: "rw-control" }, [h("span", { text: meta.task === "classification" ? "Class" : "Output" }), outputSelect]);
  const note = binaryNote(meta);
  const agreement = createAgreementBadge(store);
  const el = h("div", { cls: "rw-header" }, [
    h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), picker.el]),
    rows,
    outputControl,
    note ? h("span", { cls: "rw-muted rw-output-note", testid: "output-note", text: note }) : null,
    badge,
    agreement?.el,
    populationNote,
  ]);

  outputSelect.addEventListener("change", () => store.update({ output: decodeOutput(outputSelect.value) }));

  const drawCohorts = () => {
    picker.draw();
    const { count, error } = store.maskOf(store.activeCohort());
    rows.textContent = error ? `invalid cohort: ${error}` : `${count.toLocaleString()} of ${countRows(store.data.n)}`;
    if (population && !error) drawPopulation();
  };
  /** A large explanation: the active cohort's rows over all data, or in the sample, labelled; and the note. */
  const drawPopulation = () => {
    if (!population || !populationNote) return;
    const active = store.activeCohort();
    const scope = population.scope(active);
    const of =
      scope.kind === "all"
        ? scope.rows === population.total
          ? ""
          : ` of ${population.total.toLocaleString()}`
        : ` of ${population.sampleRows.toLocaleString()} sampled from ${countRows(population.total)}`;
    rows.replaceChildren(scopeChip(scope, "rows-scope"), document.createTextNode(of));
    population.drawNote(populationNote); // its text and state, and how far the kernel's pass is
  };
  const drawOutputs = () => {
    if (single) return;
    const opts = outputOptions(meta).map(([value, label]) => option(value, label));
    const current = encodeOutput(store.state.output);
    // a choice set from code (or saved) that the list does not offer still shows as it is
    if (!opts.some((o) => o.value === current)) opts.push(option(current, choiceLabel(meta, store.state.output)));
    outputSelect.replaceChildren(...opts);
    outputSelect.value = current;
  };
  const drawFidelity = () => {
    if (meta.source === "shap") {
      // no surrogate; given model_output=, rw.from_shap measured how well base + values add up to the model's
      const measured = meta.fidelity.r2 !== undefined && meta.fidelity.r2 !== null;
      const { text, poor } = measured ? fidelityText(store, store.state.active) : { text: "", poor: false };
      badge.textContent = measured ? `Values from shap, summed vs the model: ${text}` : "Values from shap: no surrogate";
      badge.title =
        "These attributions were computed by shap and converted with rw.from_shap: no surrogate model is involved. " +
        (measured
          ? "The figures compare the base value plus the values with the model's outputs given as model_output=."
          : "Pass model_output= to rw.from_shap to check that the values add up to the model's outputs.");
      badge.classList.toggle("rw-warn", poor);
      badge.classList.toggle("rw-neutral", !measured);
      return;
    }
    const { text, poor, scope } = fidelityText(store, store.state.active);
    badge.textContent = `Surrogate fidelity: ${text}`;
    if (scope) badge.appendChild(scopeChip(scope, "fidelity-scope"));
    badge.title =
      "How well the surrogate model (whose attributions you see) replicates your model on this cohort: " +
      "R² of its outputs and, for classifiers, the share of rows where both predict the same class." +
      (agreement ? "" : " explainer.check_attributions(exp) checks its attributions against the model's own SHAP values.");
    badge.classList.toggle("rw-warn", poor);
  };
  drawCohorts();
  drawOutputs();
  drawFidelity();
  const unwatch = population?.watch(() => {
    drawCohorts();
    drawFidelity();
  });
  return {
    el,
    destroy() {
      unwatch?.();
    },
    update(changed) {
      if (changed.has("cohorts") || changed.has("active")) {
        drawCohorts();
        drawFidelity();
      }
      if (changed.has("output")) {
        drawOutputs();
        agreement?.draw();
      }
    },
  };
}
