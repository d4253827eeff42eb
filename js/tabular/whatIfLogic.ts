// What-if's pure logic (unit-tested): a row's editable fields, the edits as the kernel's what_if job takes
// them, its result decoded, the original row's and the edited row's attributions side by side, the kept
// points (the `what_if_points` trait, checked again by the kernel), and the chart's CSV and Scene.
import { decodeArray, type WireArray } from "../core/arrays";
import { fmt, NEG_COLOR, POS_COLOR } from "../core/dom";
import { type Cell, fitText, MUTED, type Scene, type SceneItem, textWidth, toCsv } from "../core/export";
import type { FeatureKind, TabularData } from "./data";
import { linearScale } from "./dependence/scales";
import type { OutputChoice } from "./stats";
import { outputTitle, quoteName, unitsPhrase } from "./wording";

/** A feature value as the kernel takes it: a number, a category's text, a boolean; null is missing. */
export type EditValue = number | string | boolean | null;
export type Edits = Record<string, EditValue>;

/** Whether `edits` sets feature `name` (its own key: a feature may be called "constructor"). */
export function hasEdit(edits: Edits, name: string): boolean {
  return Object.keys(edits).includes(name);
}

export interface Field {
  j: number;
  name: string;
  kind: FeatureKind;
  categories: string[]; // a category feature's levels (the explanation's), else []
  original: EditValue;
}

/** Feature j of `row` as an editable field. Numbers are the payload's (float32). */
export function fieldOf(data: TabularData, row: number, j: number): Field {
  const col = data.featureColumns[j];
  const v = data.feature(row, j);
  const name = data.meta.feature_names[j];
  const missing = Number.isNaN(v);
  if (col.kind === "category")
    return { j, name, kind: "category", categories: col.categories, original: missing ? null : col.categories[v] };
  if (col.kind === "bool") return { j, name, kind: "bool", categories: [], original: missing ? null : v === 1 };
  return { j, name, kind: "numeric", categories: [], original: missing ? null : v };
}

/** A number as the shortest text that reads back as the same float32 (the payload's precision):
 *  51.3, not 51.29999923706055; a number the user typed (a float64) is that float32 too. */
export function numberText(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const f = Math.fround(v);
  for (let p = 1; p < 17; p++) {
    const t = Number(f.toPrecision(p));
    if (Math.fround(t) === f) return t.toString();
  }
  return f.toString();
}

/** How a field's value reads: "missing", "true", a category, a number to 6 significant digits. */
export function valueText(v: EditValue): string {
  if (v === null) return "missing";
  if (typeof v === "number") return Number(v.toPrecision(6)).toString();
  return String(v);
}

/** The text of a number input: "" is missing; anything else must be a finite number. */
export function parseNumber(text: string, badInput = false): { value: number | null } | { error: string } {
  const t = text.trim();
  if (badInput) return { error: "enter a number (leave it empty for missing)" };
  if (t === "") return { value: null };
  const v = Number(t);
  return Number.isFinite(v) ? { value: v } : { error: "enter a number (leave it empty for missing)" };
}

/** Whether an edit gives the field back its original value (then it is no edit). */
export function isOriginal(field: Field, v: EditValue): boolean {
  if (v === null || field.original === null) return v === field.original;
  if (typeof v === "number" && typeof field.original === "number") return Math.fround(v) === field.original;
  return v === field.original;
}

/** `edits` with feature `name` set to `v`, or removed when `v` is the field's original value. */
export function withEdit(edits: Edits, field: Field, v: EditValue): Edits {
  const out = { ...edits };
  if (isOriginal(field, v)) delete out[field.name];
  else out[field.name] = v;
  return out;
}

export interface Finding {
  feature: string | null;
  output: string | number | boolean | null;
  kind: string;
  message: string;
}

export interface Prediction {
  label: string | number | boolean | null;
  modelOutput: number[]; // per output, in the explanation's units
  probabilities: number[] | null; // classification
}

/** A what-if point: the job's result, or a kept point read back from `what_if_points`. */
export interface WhatIfPoint {
  row: number;
  values: Edits;
  prediction: Prediction;
  attribution: Float64Array; // features x outputs, row-major
  base: number[];
  surrogate: number[];
  gap: number[];
  findings: Finding[];
}

const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map((x) => (typeof x === "number" ? x : Number.NaN)) : []);

function findingsOf(v: unknown): Finding[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((x): x is Record<string, unknown> => !!x && typeof x === "object" && typeof (x as Finding).message === "string")
    .map((x) => ({
      feature: typeof x.feature === "string" ? x.feature : null,
      output: (x.output ?? null) as Finding["output"],
      kind: String(x.kind ?? ""),
      message: String(x.message),
    }));
}

function attributionOf(v: unknown, f: number, k: number): Float64Array | null {
  if (Array.isArray(v)) {
    if (v.length !== f || !v.every((r) => Array.isArray(r) && r.length === k)) return null;
    return Float64Array.from((v as unknown[][]).flat(), (x) => (typeof x === "number" ? x : Number.NaN));
  }
  if (v && typeof v === "object" && "view" in v) {
    const a = decodeArray(v as WireArray);
    return a.data.length === f * k ? Float64Array.from(a.data) : null;
  }
  return null;
}

/** A what_if job result or a kept point as a WhatIfPoint; null when it is not one (wrong shapes). */
export function decodePoint(raw: unknown, f: number, k: number): WhatIfPoint | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const p = (r.prediction ?? {}) as Record<string, unknown>;
  const attribution = attributionOf(r.attribution, f, k);
  if (!attribution || typeof r.row !== "number") return null;
  return {
    row: r.row,
    values: r.values && typeof r.values === "object" ? { ...(r.values as Edits) } : {},
    prediction: {
      label: (p.label ?? null) as Prediction["label"],
      modelOutput: nums(p.model_output),
      probabilities: Array.isArray(p.probabilities) ? nums(p.probabilities) : null,
    },
    attribution,
    base: nums(r.base_values),
    surrogate: nums(r.surrogate_output),
    gap: nums(r.gap),
    findings: findingsOf(r.findings),
  };
}

/** The output the what-if shows: the header's class, else the edited point's predicted class. */
export function shownOutput(data: TabularData, choice: OutputChoice, point: WhatIfPoint | null): number {
  if (choice.kind === "output") return choice.index;
  if (data.meta.task !== "classification" || !point) return 0;
  const m = point.prediction.modelOutput;
  let best = 0;
  for (let c = 1; c < m.length; c++) if (m[c] > m[best]) best = c;
  return best;
}

export interface CompareBar {
  feature: number | null; // null: the other features, summed
  name: string;
  originalShown: string | null; // the row's value, as text (null: the summed bar)
  editedShown: string | null;
  changed: boolean;
  original: number; // the row's attribution toward the output
  edited: number; // the what-if's
}

/** Per feature, the row's attribution beside the what-if's toward output c, sorted by |what-if value|
 *  (ties by feature order); past `topN`, the rest summed in one bar. */
export function compareBars(data: TabularData, row: number, c: number, point: WhatIfPoint, topN: number): CompareBar[] {
  const k = data.k;
  const names = data.meta.feature_names;
  const order = Array.from({ length: data.f }, (_, j) => j);
  const edited = (j: number) => point.attribution[j * k + c];
  order.sort((a, b) => Math.abs(edited(b)) - Math.abs(edited(a)) || a - b);
  const n = Math.max(0, Math.min(topN, data.f));
  const bars: CompareBar[] = order.slice(0, n).map((j) => {
    const field = fieldOf(data, row, j);
    const changed = hasEdit(point.values, names[j]);
    const now = changed ? point.values[names[j]] : field.original;
    return {
      feature: j,
      name: names[j],
      originalShown: valueText(field.original),
      editedShown: valueText(now ?? null),
      changed,
      original: data.value(row, j, c),
      edited: edited(j),
    };
  });
  const rest = order.slice(n);
  if (rest.length) {
    const label = `other ${rest.length} feature${rest.length === 1 ? "" : "s"}`;
    let o = 0;
    let e = 0;
    for (const j of rest) {
      o += data.value(row, j, c);
      e += edited(j);
    }
    bars.push({ feature: null, name: label, originalShown: null, editedShown: null, changed: false, original: o, edited: e });
  }
  return bars;
}

/** The shared domain of the side-by-side bars: always contains 0. */
export function compareDomain(bars: CompareBar[]): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const b of bars) {
    lo = Math.min(lo, b.original, b.edited);
    hi = Math.max(hi, b.original, b.edited);
  }
  return lo === hi ? [lo, lo + 1] : [lo, hi];
}

/** "yes (p = 0.83 for yes)", "12.5": a prediction as the view states it, toward output c. */
export function predictionText(data: TabularData, label: Prediction["label"], probabilities: number[] | null, c: number): string {
  const meta = data.meta;
  if (meta.task !== "classification") return typeof label === "number" ? fmt(label, 4) : valueText(label);
  const text = valueText(label);
  if (!probabilities || !Number.isFinite(probabilities[c])) return text;
  return `${text} (probability of ${quoteName(meta.output_names[c] ?? String(c))}: ${probabilityText(probabilities[c])})`;
}

/** A probability to 3 decimals; "> 0.999" and "< 0.001" rather than a 1 or 0 it is not. */
export function probabilityText(p: number): string {
  if (!Number.isFinite(p)) return "n/a";
  if (p >= 0.9995 && p < 1) return "> 0.999";
  if (p > 0 && p < 0.0005) return "< 0.001";
  return p.toFixed(3);
}

/** The row as explained: its prediction in the same words (from the payload's columns). */
export function rowPrediction(data: TabularData, row: number): Prediction {
  const k = data.k;
  const label = data.meta.task === "classification" ? (data.meta.output_names[data.predictedIndex(row)] ?? null) : data.modelOutput(row, 0);
  return {
    label,
    modelOutput: Array.from({ length: k }, (_, c) => data.modelOutput(row, c)),
    probabilities: data.probabilities ? Array.from({ length: k }, (_, c) => data.probability(row, c)) : null,
  };
}

/** "income = 90, city = Pune": a point's edits in words. */
export function editsText(edits: Edits): string {
  const parts = Object.entries(edits).map(([name, v]) => `${name} = ${valueText(v)}`);
  return parts.length ? parts.join(", ") : "no edits";
}

// ------------------------------------------------------------------ kept points (the what_if_points trait)

export interface KeptPoint {
  name: string;
  point: WhatIfPoint;
  raw: Record<string, unknown>;
}

/** The kept points the trait holds (entries that are not points are left out). */
export function keptPoints(raw: unknown, f: number, k: number): KeptPoint[] {
  if (!Array.isArray(raw)) return [];
  const out: KeptPoint[] = [];
  for (const r of raw) {
    if (!r || typeof r !== "object" || typeof (r as { name?: unknown }).name !== "string") continue;
    const point = decodePoint(r, f, k);
    if (point) out.push({ name: (r as { name: string }).name, point, raw: r as Record<string, unknown> });
  }
  return out;
}

const jsonNumber = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** A point as the trait keeps it (JSON: the attribution as features x outputs lists). */
export function keptJson(name: string, p: WhatIfPoint, f: number, k: number): Record<string, unknown> {
  const attribution: (number | null)[][] = [];
  for (let j = 0; j < f; j++) attribution.push(Array.from({ length: k }, (_, c) => jsonNumber(p.attribution[j * k + c])));
  return {
    name,
    row: p.row,
    values: { ...p.values },
    prediction: {
      label: p.prediction.label,
      model_output: p.prediction.modelOutput.map(jsonNumber),
      probabilities: p.prediction.probabilities ? p.prediction.probabilities.map(jsonNumber) : null,
    },
    attribution,
    base_values: p.base.map(jsonNumber),
    surrogate_output: p.surrogate.map(jsonNumber),
    gap: p.gap.map(jsonNumber),
    findings: p.findings.map((x) => ({ feature: x.feature, output: x.output, kind: x.kind, message: x.message })),
  };
}

/** The top `n` features of a point toward output c, by |value|: [name, value]. */
export function topAttributions(data: TabularData, p: WhatIfPoint, c: number, n: number): [string, number][] {
  const k = data.k;
  const idx = Array.from({ length: data.f }, (_, j) => j);
  idx.sort((a, b) => Math.abs(p.attribution[b * k + c]) - Math.abs(p.attribution[a * k + c]) || a - b);
  return idx.slice(0, n).map((j) => [data.meta.feature_names[j], p.attribution[j * k + c]]);
}

// ------------------------------------------------------------------ export

/** Every feature's attribution, the row's and the what-if's, toward output c. */
export function whatIfCsv(data: TabularData, row: number, c: number, p: WhatIfPoint): string {
  const rows: Cell[][] = compareBars(data, row, c, p, data.f).map((b) => {
    const j = b.feature as number;
    const field = fieldOf(data, row, j);
    const num = (v: EditValue) => (typeof v === "number" ? v : v === null ? null : String(v));
    const now = b.changed ? p.values[b.name] : field.original;
    return [row, data.meta.output_names[c] ?? String(c), b.name, num(field.original), num(now ?? null), b.changed, b.original, b.edited];
  });
  return toCsv(["row", "output", "feature", "row_value", "what_if_value", "edited", "row_shap_value", "what_if_shap_value"], rows);
}

/** Text cut into lines of at most maxWidth px, at spaces (a word wider than a line stays whole). */
export function wrapText(text: string, maxWidth: number, size = 12): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size) > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** The side-by-side chart as drawn: the row's bars on the left, the what-if's on the right. */
export function whatIfScene(data: TabularData, row: number, c: number, p: WhatIfPoint, bars: CompareBar[]): Scene {
  const labelOf = (b: CompareBar) =>
    b.feature === null ? b.name : `${b.name} = ${b.editedShown}${b.changed ? ` (was ${b.originalShown})` : ""}`;
  const labelW = Math.min(320, Math.max(100, ...bars.map((b) => textWidth(labelOf(b), 12, b.changed))));
  const left = 12 + labelW + 8;
  const barW = 220;
  const valueW = 64;
  const gutter = 16;
  const right = left + barW + valueW + gutter;
  const width = right + barW + valueW + 12;
  const domain = compareDomain(bars);
  const xsA = linearScale(domain, [left, left + barW]);
  const xsB = linearScale(domain, [right, right + barW]);
  const title = `What-if of row ${row}: SHAP values ${outputTitle(data.meta, c)}, in ${unitsPhrase(data.meta)}`;
  const items: SceneItem[] = [
    { kind: "text", x: 12, y: 20, text: fitText(title, width - 24, 13), bold: true, size: 13 },
    { kind: "text", x: left, y: 42, text: `row ${row} (as explained)`, fill: MUTED, size: 11 },
    { kind: "text", x: right, y: 42, text: "what-if", fill: MUTED, size: 11 },
  ];
  let y = 50;
  const top = y;
  for (const b of bars) {
    items.push({
      kind: "text",
      x: left - 8,
      y: y + 11,
      text: fitText(labelOf(b), labelW),
      anchor: "end",
      fill: b.feature === null ? MUTED : undefined,
      bold: b.changed,
    });
    for (const [xs, v, x0] of [
      [xsA, b.original, left],
      [xsB, b.edited, right],
    ] as const) {
      const a = xs(Math.min(0, v));
      const z = xs(Math.max(0, v));
      items.push(
        { kind: "rect", x: a, y: y + 2, w: Math.max(1, z - a), h: 11, fill: v >= 0 ? POS_COLOR : NEG_COLOR, title: `${b.name}: ${v}` },
        { kind: "text", x: x0 + barW + 6, y: y + 11, text: (v > 0 ? "+" : "") + fmt(v), size: 11, fill: MUTED },
      );
    }
    y += 16;
  }
  items.push(
    { kind: "line", x1: xsA(0), y1: top, x2: xsA(0), y2: y, stroke: MUTED },
    { kind: "line", x1: xsB(0), y1: top, x2: xsB(0), y2: y, stroke: MUTED },
  );
  const foot = `what-if: model output ${fmt(p.prediction.modelOutput[c])}, surrogate ${fmt(p.surrogate[c])} (gap ${fmt(p.gap[c])}) · row ${row}: model output ${fmt(data.modelOutput(row, c))}`;
  items.push({ kind: "text", x: 12, y: y + 16, text: fitText(foot, width - 24, 11), size: 11, fill: MUTED });
  y += 24;
  for (const f of p.findings)
    for (const line of wrapText(`⚠ ${f.message}`, width - 24, 11)) {
      items.push({ kind: "text", x: 12, y: y + 14, text: line, size: 11, fill: "#9a4a00" });
      y += 16;
    }
  return { width, height: y + 10, title, items };
}
