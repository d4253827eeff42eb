// The ICE plot's logic, apart from the DOM: what the view asks the kernel ("ice" job params), decoding
// what it answers (or what an offline report precomputed), the defaults (feature, output, steps), and
// the picture as a Scene and the curves as CSV for export. Pure functions, unit-tested.
import { decodeArray, type WireArray } from "../core/arrays";
import { fmt, SERIES_COLORS } from "../core/dom";
import { type Cell, fitText, MUTED, type Scene, type SceneItem, textWidth, toCsv } from "../core/export";
import type { TabularData } from "./data";
import { linearScale, niceTicks, paddedExtent, type Scale } from "./dependence/scales";
import type { TabularStore } from "./store";
import { type OutputsMeta, outputNoun, unitsPhrase } from "./wording";

export const MAX_CURVES = 50; // rows drawn (rai_widget.explainers._ice.MAX_CURVES)
export const DEFAULT_STEPS = 20;
export const MIN_STEPS = 2;
export const MAX_STEPS = 200;

/** One feature's ICE curves as the kernel sends them (rai_widget.explainers._ice.ice_result), decoded. */
export interface IceCurves {
  feature: string;
  kind: "numeric" | "category" | "bool";
  output: number;
  grid: Float32Array; // x of each grid value: the number, or its position for a level
  labels: string[];
  rows: number[];
  curves: Float32Array; // rows x grid, row-major
  actual: (number | null)[]; // each row's own x (null: missing, or a level X_train lacks)
  actualOutput: number[]; // the model's output at the row's own values
  pdp: Float32Array | null;
  pdpRows: number;
  cohortRows: number;
  cohort: string;
}

/** The params of an "ice" request. `range` null: X_train's observed range (the kernel's default). */
export interface IceParams {
  rows: number[];
  feature: string;
  steps: number;
  range: [number | null, number | null] | null;
  output: number;
  [key: string]: unknown;
}

const isWire = (v: unknown): v is WireArray => !!v && typeof v === "object" && "view" in v && "dtype" in v;

/** What the kernel (or the report) holds, checked and decoded; null when it is not an ICE result. */
export function decodeIce(raw: Record<string, unknown> | null | undefined): IceCurves | null {
  if (!raw || typeof raw.feature !== "string" || !isWire(raw.grid) || !isWire(raw.curves) || !Array.isArray(raw.rows)) return null;
  const grid = Float32Array.from(decodeArray(raw.grid).data as ArrayLike<number>);
  const curves = Float32Array.from(decodeArray(raw.curves).data as ArrayLike<number>);
  const rows = raw.rows as number[];
  if (curves.length !== rows.length * grid.length) return null;
  const pdp = isWire(raw.pdp) ? Float32Array.from(decodeArray(raw.pdp).data as ArrayLike<number>) : null;
  const kind = raw.kind === "category" || raw.kind === "bool" ? raw.kind : "numeric";
  const list = (v: unknown, n: number) => (Array.isArray(v) && v.length === n ? v : new Array(n).fill(null));
  return {
    feature: raw.feature,
    kind,
    output: typeof raw.output === "number" ? raw.output : 0,
    grid,
    labels: list(raw.labels, grid.length).map((l: unknown, g: number) => (typeof l === "string" ? l : fmt(grid[g]))),
    rows,
    curves,
    actual: list(raw.actual, rows.length).map((v: unknown) => (typeof v === "number" ? v : null)),
    actualOutput: list(raw.actual_output, rows.length).map((v: unknown) => (typeof v === "number" ? v : Number.NaN)),
    pdp: pdp && pdp.length === grid.length ? pdp : null,
    pdpRows: typeof raw.pdp_rows === "number" ? raw.pdp_rows : 0,
    cohortRows: typeof raw.cohort_rows === "number" ? raw.cohort_rows : 0,
    cohort: typeof raw.cohort === "string" ? raw.cohort : "",
  };
}

/** An offline report's precomputed ICE (the `ice_offline` trait): per feature, its curves; or why there are none. */
export interface OfflineIce {
  rows: number[];
  note: string;
  error: string;
  features: IceCurves[];
}

export function decodeOffline(raw: Record<string, unknown> | null | undefined): OfflineIce | null {
  if (!raw) return null;
  const features = Array.isArray(raw.features)
    ? (raw.features as Record<string, unknown>[]).map(decodeIce).filter((c): c is IceCurves => c !== null)
    : [];
  return {
    rows: Array.isArray(raw.rows) ? (raw.rows as number[]) : [],
    note: typeof raw.note === "string" ? raw.note : "",
    error: typeof raw.error === "string" ? raw.error : "",
    features,
  };
}

/** The rows to draw: the selected ones, valid and distinct, the first MAX_CURVES. */
export function iceRows(selected: readonly number[], n: number): number[] {
  const out: number[] = [];
  for (const r of selected) if (Number.isInteger(r) && r >= 0 && r < n && !out.includes(r)) out.push(r);
  return out.slice(0, MAX_CURVES);
}

/** The feature shown first: the most important one in the active cohort (toward the charts' output). */
export function defaultFeature(store: TabularStore): number {
  const imp = store.importance(store.activeCohort());
  let best = 0;
  for (let j = 1; j < imp.length; j++) if (imp[j] > imp[best]) best = j;
  return best;
}

/**
 * The output the curves follow: the charts' chosen output when it is one; else the positive class of a
 * binary classifier, the regression's output, or the class most of the rows are predicted.
 */
export function iceOutput(store: TabularStore, rows: readonly number[]): number {
  const { data } = store;
  const o = store.state.output;
  if (o.kind === "output") return o.index;
  if (data.meta.task !== "classification") return 0;
  if (data.k === 2) return 1;
  const counts = new Array(data.k).fill(0);
  for (const r of rows) counts[data.predictedIndex(r)]++;
  return counts.indexOf(Math.max(...counts));
}

/** Steps as typed: a whole number from MIN_STEPS to MAX_STEPS, or null. */
export function parseSteps(text: string): number | null {
  const v = Number(text);
  return Number.isInteger(v) && v >= MIN_STEPS && v <= MAX_STEPS ? v : null;
}

/** The range as typed: an empty end is X_train's observed end (null, the kernel's default); both given,
 *  low must be below high. `range` null: both ends observed. */
export function parseRange(lo: string, hi: string): { range: [number | null, number | null] | null; error: string } {
  const end = (t: string) => (t.trim() === "" ? null : Number(t));
  const a = end(lo);
  const b = end(hi);
  if (a === null && b === null) return { range: null, error: "" };
  if ((a !== null && !Number.isFinite(a)) || (b !== null && !Number.isFinite(b)))
    return { range: null, error: "The range's ends must be numbers (leave one empty for the observed end)." };
  if (a !== null && b !== null && a >= b) return { range: null, error: "The range's low end must be below its high end." };
  return { range: [a, b], error: "" };
}

/** The colour of row k's curve (the same order as the legend). */
export const curveColor = (k: number): string => SERIES_COLORS[k % SERIES_COLORS.length];

/** The y axis: "model output: log-odds of class yes", "model output: the prediction (the model's output units)". */
export function iceAxis(meta: OutputsMeta, output: number): string {
  const units = unitsPhrase(meta);
  if (meta.task === "classification") return `model output: ${units} of ${outputNoun(meta, output)}`;
  return `model output: ${outputNoun(meta, output)} (${units})`;
}

/** The PDP's legend: "mean of 120 rows of "All data"", "mean of 500 of 10,000 rows of "All data"". */
export function pdpLabel(c: IceCurves): string {
  const of = c.pdpRows < c.cohortRows ? `${c.pdpRows.toLocaleString()} of ${c.cohortRows.toLocaleString()}` : c.pdpRows.toLocaleString();
  return `PDP: mean of ${of} ${c.cohortRows === 1 ? "row" : "rows"} of "${c.cohort}"`;
}

/** Curve k's value at grid position g. */
export const curveAt = (c: IceCurves, k: number, g: number): number => c.curves[k * c.grid.length + g];

/** The picture's scales: x over the grid (levels at their positions), y over every value drawn. */
export function iceScales(c: IceCurves, width: number, height: number): { xs: Scale; ys: Scale; discrete: boolean } {
  const discrete = c.kind !== "numeric";
  const n = c.grid.length;
  const xDomain: [number, number] = discrete ? [-0.5, n - 0.5] : paddedExtent(c.grid, 0.02);
  const ys: number[] = Array.from(c.curves);
  if (c.pdp) ys.push(...c.pdp);
  c.actual.forEach((x, k) => {
    if (x !== null && x >= xDomain[0] && x <= xDomain[1]) ys.push(c.actualOutput[k]);
  });
  return { xs: linearScale(xDomain, [4, width - 4]), ys: linearScale(paddedExtent(ys, 0.06), [height, 0]), discrete };
}

/** x ticks: nice numbers for a numeric feature, every level (thinned to fit) for the others. */
export function iceXTicks(c: IceCurves, xs: Scale, width: number): { v: number; label: string }[] {
  if (c.kind === "numeric") {
    const whole = Array.from(c.grid).every((v) => v === Math.round(v));
    return niceTicks(xs.domain[0], xs.domain[1], Math.max(3, Math.floor(width / 80)), whole).map((v) => ({ v, label: fmt(v) }));
  }
  const every = Math.max(1, Math.ceil((c.labels.length * 70) / Math.max(1, width)));
  const out: { v: number; label: string }[] = [];
  for (let g = 0; g < c.labels.length; g += every) out.push({ v: g, label: c.labels[g] });
  return out;
}

/** The curves as drawn, one line per curve and grid value: the rows', then the PDP's. */
export function iceCsv(c: IceCurves, units: string): string {
  const rows: Cell[][] = [];
  c.rows.forEach((row, k) => {
    for (let g = 0; g < c.grid.length; g++) rows.push([`row ${row}`, row, c.feature, c.labels[g], curveAt(c, k, g)]);
  });
  if (c.pdp) for (let g = 0; g < c.grid.length; g++) rows.push([pdpLabel(c), null, c.feature, c.labels[g], c.pdp[g]]);
  return toCsv(["curve", "row", "feature", "feature_value", `model_output (${units})`], rows);
}

/** The ICE plot as a Scene (white page) for PNG and SVG: axes, curves, dots at the rows' values, PDP, legend. */
export function iceScene(c: IceCurves, yTitle: string, xTitle: string): Scene {
  const left = 64;
  const top = 34;
  const plotW = 460;
  const plotH = 280;
  const legendX = left + plotW + 20;
  const legend = [...c.rows.map((r, k) => ({ color: curveColor(k), label: `row ${r}`, thick: false }))];
  if (c.pdp) legend.push({ color: "#1f1f1f", label: pdpLabel(c), thick: true });
  const legendW = Math.min(260, Math.max(80, ...legend.map((e) => textWidth(e.label, 11) + 26)));
  const width = legendX + legendW + 12;
  const height = Math.max(top + plotH + 52, top + 16 * legend.length + 12);
  const { xs, ys, discrete } = iceScales(c, plotW, plotH);
  const X = (v: number) => left + xs(v);
  const Y = (v: number) => top + ys(v);
  const items: SceneItem[] = [{ kind: "text", x: 12, y: 20, text: `ICE curves of ${c.feature}`, bold: true, size: 13 }];
  for (const v of niceTicks(ys.domain[0], ys.domain[1], 5)) {
    items.push({ kind: "line", x1: left, y1: Y(v), x2: left + plotW, y2: Y(v), stroke: "#e0e0e0" });
    items.push({ kind: "text", x: left - 6, y: Y(v) + 4, text: fmt(v), size: 11, fill: MUTED, anchor: "end" });
  }
  items.push({ kind: "line", x1: left, y1: top, x2: left, y2: top + plotH, stroke: "#9e9e9e" });
  items.push({ kind: "line", x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, stroke: "#9e9e9e" });
  for (const t of iceXTicks(c, xs, plotW))
    items.push({ kind: "text", x: X(t.v), y: top + plotH + 16, text: fitText(t.label, 90, 11), size: 11, fill: MUTED, anchor: "middle" });
  items.push({ kind: "text", x: left + plotW / 2, y: top + plotH + 40, text: xTitle, size: 12, anchor: "middle" });
  items.push({ kind: "text", x: 14, y: top + plotH / 2, text: fitText(yTitle, plotH, 12), size: 12, anchor: "middle", rotate: true });
  const n = c.grid.length;
  const line = (value: (g: number) => number, color: string, w: number) => {
    for (let g = 1; g < n; g++)
      items.push({ kind: "line", x1: X(c.grid[g - 1]), y1: Y(value(g - 1)), x2: X(c.grid[g]), y2: Y(value(g)), stroke: color, width: w });
    if (discrete || n === 1)
      for (let g = 0; g < n; g++) items.push({ kind: "circle", cx: X(c.grid[g]), cy: Y(value(g)), r: w > 2 ? 3.5 : 2.5, fill: color });
  };
  c.rows.forEach((_, k) => {
    line((g) => curveAt(c, k, g), curveColor(k), 1.5);
  });
  const pdp = c.pdp;
  if (pdp) line((g) => pdp[g], "#1f1f1f", 3);
  c.rows.forEach((_, k) => {
    const x = c.actual[k];
    if (x === null || x < xs.domain[0] || x > xs.domain[1] || !Number.isFinite(c.actualOutput[k])) return;
    items.push({ kind: "circle", cx: X(x), cy: Y(c.actualOutput[k]), r: 5.5, fill: "#ffffff" });
    items.push({ kind: "circle", cx: X(x), cy: Y(c.actualOutput[k]), r: 4, fill: curveColor(k) });
  });
  legend.forEach((e, i) => {
    const y = top + 16 * i + 8;
    items.push({ kind: "line", x1: legendX, y1: y - 4, x2: legendX + 18, y2: y - 4, stroke: e.color, width: e.thick ? 3 : 1.5 });
    items.push({ kind: "text", x: legendX + 24, y, text: fitText(e.label, legendW - 26, 11), size: 11 });
  });
  return { width, height, title: `ICE curves of ${c.feature} for ${c.rows.length} rows`, items };
}

/** The file name's stem: "ice-age-row_3", "ice-age-rows_1_2", "ice-age-12_rows". */
export function iceFileStem(c: IceCurves): string {
  const r = c.rows;
  return `ice-${c.feature}-${r.length === 1 ? `row_${r[0]}` : r.length <= 4 ? `rows_${r.join("_")}` : `${r.length}_rows`}`;
}

/** Row i's own value of feature j as the legend shows it. */
export function ownValue(data: TabularData, row: number, j: number): string {
  return data.featureLabel(j, data.feature(row, j));
}
