// How the tabular view words outputs, classes and units (js/tabular/wording.ts), on the cases the CLI
// is checked against too (tests/output_wording_cases.json). The DOM side: outputChoice.test.ts.
import { describe, expect, it } from "vitest";
import { outputOptions } from "../../js/tabular/header";
import type { OutputChoice } from "../../js/tabular/stats";
import {
  binaryNote,
  dependenceAxis,
  importanceCaption,
  type OutputsMeta,
  outputTitle,
  quoteName,
  signedValuesNote,
  towardPhrase,
  unitsPhrase,
} from "../../js/tabular/wording";
import casesText from "../output_wording_cases.json?raw";

interface Case {
  name: string;
  meta: OutputsMeta;
  units: string;
  quoted: string[];
  toward: Record<string, string>;
  caption: Record<string, string>;
}
const CASES: Case[] = JSON.parse(casesText).cases;

function choiceOf(key: string): OutputChoice {
  if (key.startsWith("output:")) return { kind: "output", index: Number(key.slice(7)) };
  return key === "predicted" ? { kind: "predicted" } : { kind: "average" };
}

describe.each(CASES)("wording: $name", (c) => {
  it("names the units, the outputs and what the values point to as the shared cases say", () => {
    expect(unitsPhrase(c.meta)).toBe(c.units);
    expect(c.meta.output_names.map(quoteName)).toEqual(c.quoted);
    for (const [key, text] of Object.entries(c.toward)) expect(towardPhrase(c.meta, choiceOf(key)), key).toBe(text);
    for (const [key, text] of Object.entries(c.caption)) expect(importanceCaption(c.meta, choiceOf(key)), key).toBe(text);
  });

  it("never repeats a word back to back, nor reads 'output output'", () => {
    const choices: OutputChoice[] = [
      ...c.meta.output_names.map((_, index) => ({ kind: "output", index }) as const),
      { kind: "predicted" },
      { kind: "average" },
    ];
    for (const choice of choices) {
      for (const text of [
        towardPhrase(c.meta, choice),
        importanceCaption(c.meta, choice),
        signedValuesNote(c.meta, choice),
        dependenceAxis(c.meta, choice, "age"),
      ]) {
        expect(text).not.toMatch(/\boutput output\b|in output\b|\(output\)/);
        expect(text).not.toMatch(/\b(\w+) \1\b/);
      }
    }
  });
});

describe("wording in sentences", () => {
  const regression: OutputsMeta = { task: "regression", output_names: ["output"], units: "output" };
  const binary: OutputsMeta = { task: "classification", output_names: ["no", "yes"], units: "log-odds" };

  it("reads naturally for a regression", () => {
    expect(signedValuesNote(regression, { kind: "output", index: 0 })).toBe(
      "SHAP values in the model's output units: red pushes the prediction up, blue pushes it down.",
    );
    expect(outputTitle(regression, 0)).toBe("toward a higher prediction");
    expect(dependenceAxis(regression, { kind: "output", index: 0 }, "rooms")).toBe(
      "SHAP value of rooms toward a higher prediction (the model's output units)",
    );
  });

  it("reads naturally for a classifier", () => {
    expect(signedValuesNote(binary, { kind: "output", index: 1 })).toBe(
      "SHAP values in log-odds toward class yes: red pushes toward that class, blue away from it.",
    );
    expect(outputTitle(binary, 0)).toBe("toward class no");
    expect(dependenceAxis(binary, { kind: "predicted" }, "age")).toBe("SHAP value of age toward each row's predicted class (log-odds)");
  });
});

describe("the output choices offered", () => {
  it("a binary classifier: its second class and the predicted class (the first class mirrors the second)", () => {
    const meta: OutputsMeta = { task: "classification", output_names: ["no", "yes"], units: "log-odds" };
    expect(outputOptions(meta)).toEqual([
      ["output:1", "yes"],
      ["predicted", "predicted class"],
    ]);
    expect(binaryNote(meta)).toBe("Two classes: the values toward no are minus those toward yes, so one class is offered.");
  });

  it("a multi-class model: every class, the predicted class and the average; a regression: nothing to choose", () => {
    const meta: OutputsMeta = { task: "classification", output_names: ["a", "b", "c"], units: "log-odds" };
    expect(outputOptions(meta).map(([, label]) => label)).toEqual(["a", "b", "c", "predicted class", "average over outputs"]);
    expect(binaryNote(meta)).toBe("");
    expect(outputOptions({ task: "regression", output_names: ["output"], units: "output" })).toEqual([]);
  });
});
