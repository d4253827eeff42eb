// The value inputs of one filter in the cohort editor: a number, a range or a list of numbers; a
// choice or checkboxes of categories and booleans; a word (with suggestions) for a tokens column; and
// the JSON of a value on a column the data does not have, so nothing from Python is hidden.

import { type ColumnHints, LIST_OPS, parseNumber } from "./cohortEditorLogic";
import type { Filter, Scalar } from "./cohorts";
import type { ColumnValues } from "./columns";
import { fmt, h, option } from "./dom";

let datalistIds = 0;

function numberInput(value: Scalar | undefined, label: string, onInput: (v: number | null) => void): HTMLInputElement {
  const input = h("input", { cls: "rw-ce-number", attrs: { type: "number", step: "any", "aria-label": label } });
  input.value = typeof value === "number" ? String(value) : "";
  input.addEventListener("input", () => {
    onInput(input.value.trim() === "" ? null : (parseNumber(input.value) as number));
  });
  return input;
}

/**
 * Fill `cell` with the value input(s) fitting the column's kind and the filter's op. Editing them
 * writes the filter's value (the draft's filter, in place) and calls `changed`.
 */
export function fillValue(cell: HTMLElement, f: Filter, col: ColumnValues | undefined, hints: ColumnHints, changed: () => void): void {
  const list = LIST_OPS.includes(f.op);
  cell.replaceChildren();
  if (col?.kind === "number") {
    if (f.op === "between") {
      const [lo, hi] = Array.isArray(f.value) ? f.value : [null, null];
      const range: (number | null)[] = [typeof lo === "number" ? lo : null, typeof hi === "number" ? hi : null];
      const lower = numberInput(lo, "From", (v) => {
        range[0] = v;
        f.value = [...range];
        changed();
      });
      const upper = numberInput(hi, "To", (v) => {
        range[1] = v;
        f.value = [...range];
        changed();
      });
      lower.dataset.testid = "filter-value";
      upper.dataset.testid = "filter-value-hi";
      cell.append(lower, h("span", { cls: "rw-ce-and", text: "and" }), upper);
    } else if (list) {
      const input = h("input", {
        cls: "rw-ce-list-input",
        testid: "filter-value",
        attrs: { type: "text", placeholder: "numbers, comma-separated", "aria-label": "Values" },
      });
      input.value = Array.isArray(f.value) ? f.value.join(", ") : "";
      input.addEventListener("input", () => {
        f.value = input.value
          .split(",")
          .filter((t) => t.trim() !== "")
          .map(parseNumber);
        changed();
      });
      cell.append(input);
    } else {
      const input = numberInput(Array.isArray(f.value) ? undefined : f.value, "Value", (v) => {
        f.value = v;
        changed();
      });
      input.dataset.testid = "filter-value";
      cell.append(input);
    }
    const s = hints.statsOf(f.column);
    cell.append(h("span", { cls: "rw-ce-hint", text: s ? `range ${fmt(s.min, 4)} to ${fmt(s.max, 4)}` : "no values" }));
    return;
  }
  if (col?.kind === "tokens") {
    const listId = `rw-ce-words-${++datalistIds}`;
    const words = h("datalist", { attrs: { id: listId } });
    words.append(...hints.wordsOf(f.column).map((w) => option(w, w)));
    const input = h("input", {
      cls: "rw-ce-list-input rw-ce-token-input",
      testid: "filter-value",
      attrs: { type: "text", list: listId, placeholder: "a word, e.g. boring", "aria-label": "Word", spellcheck: "false" },
    });
    input.value = typeof f.value === "string" ? f.value : JSON.stringify(f.value);
    input.addEventListener("input", () => {
      f.value = input.value.trim();
      changed();
    });
    cell.append(input, words, h("span", { cls: "rw-ce-hint", text: "whole word, any case" }));
    return;
  }
  if (col?.kind === "category" || col?.kind === "bool") {
    const choices: { label: string; value: Scalar }[] =
      col.kind === "bool"
        ? [
            { label: "true", value: true },
            { label: "false", value: false },
          ]
        : col.categories.map((c) => ({ label: c, value: c }));
    const same = (a: Scalar, b: Scalar) => (col.kind === "bool" ? a === b : a !== null && b !== null && String(a) === String(b));
    // Values the data does not have (from Python, say) stay visible so they can be seen and removed.
    const current = Array.isArray(f.value) ? f.value : [f.value];
    for (const v of current) {
      if (!choices.some((c) => same(c.value, v))) choices.push({ label: `${String(v)} (not in the data)`, value: v });
    }
    if (list) {
      const box = h("div", { cls: "rw-ce-checks", testid: "filter-value", attrs: { role: "group", "aria-label": "Values" } });
      const checks = choices.map((c) => {
        const input = h("input", { attrs: { type: "checkbox" } });
        input.checked = current.some((v) => same(c.value, v));
        input.addEventListener("change", () => {
          f.value = choices.filter((_, k) => checks[k].checked).map((x) => x.value);
          changed();
        });
        box.appendChild(h("label", { cls: "rw-ce-check" }, [input, h("span", { text: c.label })]));
        return input;
      });
      if (!choices.length) box.appendChild(h("span", { cls: "rw-ce-hint", text: "no values" }));
      cell.append(box);
    } else {
      const sel = h("select", { cls: "rw-ce-choice", testid: "filter-value", attrs: { "aria-label": "Value" } });
      sel.replaceChildren(...choices.map((c, k) => option(String(k), c.label, same(c.value, f.value as Scalar))));
      const k = choices.findIndex((c) => same(c.value, f.value as Scalar));
      sel.value = String(Math.max(0, k));
      sel.addEventListener("change", () => {
        f.value = choices[Number(sel.value)].value;
        changed();
      });
      cell.append(sel);
    }
    return;
  }
  // A column the data does not have: show the value as JSON so nothing is hidden.
  const input = h("input", { cls: "rw-ce-list-input", testid: "filter-value", attrs: { type: "text", "aria-label": "Value" } });
  input.value = JSON.stringify(f.value);
  input.addEventListener("input", () => {
    try {
      f.value = JSON.parse(input.value);
    } catch {
      f.value = input.value;
    }
    changed();
  });
  cell.append(input);
}
