// How outputs, classes and units read in the tabular view's sentences. The kernel names a regression's
// one output "output" and its units "output"; printed as they are, they read "SHAP values in output
// toward output output". The `rai-widget` command builds the same phrases (rai_widget/cli.py); both are
// checked against tests/output_wording_cases.json.
import type { OutputChoice } from "./stats";

/** What the phrases need of the payload's meta. */
export interface OutputsMeta {
  task: string;
  output_names: string[];
  units: string;
  binary_mirror?: boolean;
}

const BARE_NAME = /^[\p{L}\p{N}_.+-]+$/u;

/** A class or output name inside a sentence: a plain word as it is, anything else (spaces, quotes, empty) quoted. */
export function quoteName(name: string): string {
  if (BARE_NAME.test(name)) return name;
  return name.includes("'") && !name.includes('"') ? `"${name}"` : `'${name}'`;
}

const isClassification = (meta: OutputsMeta) => meta.task === "classification";

/** The units SHAP values are in: "log-odds", "the model's output units" (a regression's placeholder), or the units given. */
export function unitsPhrase(meta: OutputsMeta): string {
  const units = meta.units.trim();
  if (!units || (!isClassification(meta) && units === "output")) return "the model's output units";
  return units;
}

/** A regression's output as a noun: "the prediction" unless the output has a name of its own. */
function predictionNoun(meta: OutputsMeta, index: number): string {
  const name = meta.output_names[index] ?? "";
  return name.trim() === "" || name === "output" ? "the prediction" : quoteName(name);
}

/** One output as a noun: "class yes", "class 'very high'", "the prediction", "price". */
export function outputNoun(meta: OutputsMeta, index: number): string {
  if (isClassification(meta)) return `class ${quoteName(meta.output_names[index] ?? String(index))}`;
  return predictionNoun(meta, index);
}

/** The output a signed chart's values point to (the view shows each row's predicted class for "average"). */
export function towardPhrase(meta: OutputsMeta, choice: OutputChoice): string {
  if (choice.kind === "output") {
    if (isClassification(meta)) return `toward ${outputNoun(meta, choice.index)}`;
    const noun = predictionNoun(meta, choice.index);
    return noun === "the prediction" ? "toward a higher prediction" : `toward a higher ${noun}`;
  }
  if (isClassification(meta)) return "toward each row's predicted class";
  return towardPhrase(meta, { kind: "output", index: 0 });
}

/** The title of one row's chart: "toward class yes", "toward a higher prediction". */
export function outputTitle(meta: OutputsMeta, index: number): string {
  return towardPhrase(meta, { kind: "output", index });
}

/** A binary classifier's values toward its first class are minus those toward the second. */
export function mirrored(meta: OutputsMeta): boolean {
  return isClassification(meta) && meta.output_names.length === 2;
}

/** The caption of the mean |SHAP value| chart. */
export function importanceCaption(meta: OutputsMeta, choice: OutputChoice): string {
  const units = unitsPhrase(meta);
  const k = meta.output_names.length;
  if (!isClassification(meta)) {
    if (choice.kind === "average" && k > 1) return `mean |SHAP value| averaged over the ${k} outputs, in ${units}`;
    const index = choice.kind === "output" ? choice.index : 0;
    return `mean |SHAP value| in ${units}: how much each feature moves ${predictionNoun(meta, index)}`;
  }
  if (mirrored(meta)) return `mean |SHAP value| in ${units}, the same for ${outputNoun(meta, 1)} and ${outputNoun(meta, 0)}`;
  if (choice.kind === "output") return `mean |SHAP value| for ${outputNoun(meta, choice.index)}, in ${units}`;
  if (choice.kind === "predicted") return `mean |SHAP value| for each row's predicted class, in ${units}`;
  return `mean |SHAP value| averaged over the ${k} classes, in ${units}`;
}

/** The line above charts of signed values (one row's, a dependence plot's): what red and blue mean. */
export function signedValuesNote(meta: OutputsMeta, choice: OutputChoice): string {
  const units = unitsPhrase(meta);
  if (!isClassification(meta)) return `SHAP values in ${units}: red pushes the prediction up, blue pushes it down.`;
  return `SHAP values in ${units} ${towardPhrase(meta, choice)}: red pushes toward that class, blue away from it.`;
}

/** The y axis of a dependence plot: "SHAP value of age toward class yes (log-odds)". */
export function dependenceAxis(meta: OutputsMeta, choice: OutputChoice, feature: string): string {
  return `SHAP value of ${feature} ${towardPhrase(meta, choice)} (${unitsPhrase(meta)})`;
}

/** Why a binary classifier offers one class: its two classes' values mirror each other. */
export function binaryNote(meta: OutputsMeta): string {
  if (!mirrored(meta)) return "";
  const [first, second] = meta.output_names.map(quoteName);
  return `Two classes: the values toward ${first} are minus those toward ${second}, so one class is offered.`;
}

/** "1 row", "1,000 rows". */
export function countRows(n: number): string {
  return `${n.toLocaleString()} ${n === 1 ? "row" : "rows"}`;
}
