// Header: active cohort, which output the charts show, and the surrogate's fidelity on the cohort.
import { createCohortPicker } from "../core/cohortPicker";
import { h, option } from "../core/dom";
import type { View } from "../core/view";
import { cohortFidelity, fidelityIsPoor, type OutputChoice } from "./stats";
import type { TabularState, TabularStore } from "./store";

function encodeOutput(o: OutputChoice): string {
  return o.kind === "output" ? `output:${o.index}` : o.kind;
}

function decodeOutput(v: string): OutputChoice {
  if (v.startsWith("output:")) return { kind: "output", index: Number(v.slice(7)) };
  return v === "predicted" ? { kind: "predicted" } : { kind: "average" };
}

export function fidelityText(store: TabularStore, cohortName: string): { text: string; poor: boolean } {
  const cohort = store.cohort(cohortName);
  if (!cohort) return { text: "", poor: false };
  const { mask, count } = store.maskOf(cohort);
  if (count === 0) return { text: "no rows", poor: false };
  const fid = cohortFidelity(store.data, mask);
  const parts = [`R² ${Number.isNaN(fid.r2) ? "n/a" : fid.r2.toFixed(3)}`];
  if (fid.agreement !== null) parts.push(`agreement ${(100 * fid.agreement).toFixed(1)}%`);
  return {
    text: parts.join(", "),
    poor: fidelityIsPoor({ r2: Number.isNaN(fid.r2) ? null : fid.r2, agreement: fid.agreement }, store.data.meta.fidelity_floors),
  };
}

export function createHeader(store: TabularStore): View<TabularState> {
  const picker = createCohortPicker(store, "Active cohort: every view shows its rows");
  const outputSelect = h("select", { testid: "class-select", title: "Which output the charts explain" });
  const badge = h("span", { cls: "rw-fidelity", testid: "fidelity" });
  const rows = h("span", { cls: "rw-muted" });
  const el = h("div", { cls: "rw-header" }, [
    h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), picker.el]),
    rows,
    h("label", { cls: "rw-control" }, [h("span", { text: store.data.meta.task === "classification" ? "Class" : "Output" }), outputSelect]),
    badge,
  ]);

  outputSelect.addEventListener("change", () => store.update({ output: decodeOutput(outputSelect.value) }));

  const drawCohorts = () => {
    picker.draw();
    const { count, error } = store.maskOf(store.activeCohort());
    rows.textContent = error ? `invalid cohort: ${error}` : `${count.toLocaleString()} of ${store.data.n.toLocaleString()} rows`;
  };
  const drawOutputs = () => {
    const { meta } = store.data;
    const opts = meta.output_names.map((name, i) => option(`output:${i}`, name));
    if (meta.output_names.length > 1) {
      if (meta.task === "classification") opts.push(option("predicted", "predicted class"));
      opts.push(option("average", "average over outputs"));
    }
    outputSelect.replaceChildren(...opts);
    outputSelect.value = encodeOutput(store.state.output);
  };
  const drawFidelity = () => {
    const { text, poor } = fidelityText(store, store.state.active);
    badge.textContent = `Surrogate fidelity: ${text}`;
    badge.title =
      "How well the surrogate model (whose attributions you see) replicates your model on this cohort: " +
      "R² of its outputs and, for classifiers, the share of rows where both predict the same class.";
    badge.classList.toggle("rw-warn", poor);
  };
  drawCohorts();
  drawOutputs();
  drawFidelity();
  return {
    el,
    update(changed) {
      if (changed.has("cohorts") || changed.has("active")) {
        drawCohorts();
        drawFidelity();
      }
      if (changed.has("output")) drawOutputs();
    },
  };
}
