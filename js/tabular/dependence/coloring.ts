// How the dependence plot colours its points: by cohort (the one on top of those each row is in) or by a
// feature's value (a colour per category, or a ramp for numbers), with the legend that says so.
import type { Cohort } from "../../core/cohorts";
import { SERIES_COLORS } from "../../core/dom";
import type { TabularData } from "../data";
import { rgb } from "./raster";
import { quantile } from "./scales";

export const GREY = "#9e9e9e";
/** Low and high ends of the continuous colour ramp (shap's blue-to-red through purple). */
export const RAMP_LOW = "#008bfb";
export const RAMP_HIGH = "#ff0052";
const RAMP_BINS = 12;

/** t in [0, 1] along the ramp, as #rrggbb. */
export function rampColor(t: number): string {
  const a = rgb(RAMP_LOW);
  const b = rgb(RAMP_HIGH);
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  return (
    "#" +
    a
      .map((x, i) =>
        Math.round(x + (b[i] - x) * u)
          .toString(16)
          .padStart(2, "0"),
      )
      .join("")
  );
}

/** A colour of the legend. `hidden` says why no point is drawn in it (the legend then shows no swatch). */
export interface SwatchEntry {
  color: string;
  label: string;
  hidden?: string;
  cohort?: string; // colour by cohort: the cohort this colour stands for
  onTop?: boolean; // that cohort is drawn over every other
  drawn?: number; // points drawn in this colour
  inPlot?: number; // points of the plot in that cohort (some may be drawn in another cohort's colour)
}
export interface RampEntry {
  ramp: [string, string];
  low: string;
  high: string;
  label: string;
}
export type LegendEntry = SwatchEntry | RampEntry;

export interface Coloring {
  bins: Uint8Array; // palette index of each point
  palette: string[];
  order: number[]; // palette indices in drawing order: later batches are painted over earlier ones
  legend: LegendEntry[];
}

/**
 * Colour of each point by cohort. A point in several cohorts takes the colour of the one on top:
 * the cohort the user put on top (`onTop`), else the active cohort (unless it is `allData`, every
 * row), then smaller cohorts (in this plot) over larger ones, so nested cohorts all show. Points in
 * no cohort but `allData` are grey. The legend keeps the cohorts' order and says which have no point
 * drawn in their colour, and why, instead of showing a swatch for them.
 */
export function colorByCohort(
  rows: Int32Array,
  cohorts: Cohort[],
  maskOf: (c: Cohort) => { mask: Uint8Array; error: string | null },
  allData: string,
  active: string = allData,
  onTop: string | null = null,
): Coloring {
  const bins = new Uint8Array(rows.length);
  const palette = [GREY];
  interface Candidate {
    cohort: Cohort;
    bin: number;
    mask: Uint8Array;
    inPlot: number;
    entry: SwatchEntry;
  }
  const candidates: Candidate[] = [];
  const legend: SwatchEntry[] = [];
  cohorts.forEach((c, s) => {
    if (c.name === allData || palette.length > 250) return;
    const color = SERIES_COLORS[s % SERIES_COLORS.length];
    const { mask, error } = maskOf(c);
    if (error) {
      legend.push({ color, label: c.name, hidden: "cannot be evaluated: fix its filters in the Cohorts tab" });
      return;
    }
    let inPlot = 0;
    for (let p = 0; p < rows.length; p++) if (mask[rows[p]]) inPlot++;
    const entry: SwatchEntry = { color, label: c.name, cohort: c.name, drawn: 0, inPlot };
    legend.push(entry);
    candidates.push({ cohort: c, bin: palette.length, mask, inPlot, entry });
    palette.push(color);
  });
  const rank = (c: Candidate) => (c.cohort.name === onTop ? 0 : c.cohort.name === active ? 1 : 2);
  const topFirst = candidates.slice().sort((a, b) => rank(a) - rank(b) || a.inPlot - b.inPlot); // stable: list order on ties
  const drawn = new Int32Array(palette.length);
  for (const c of topFirst)
    for (let p = 0; p < rows.length; p++)
      if (bins[p] === 0 && c.mask[rows[p]]) {
        bins[p] = c.bin;
        drawn[c.bin]++;
      }
  const nameOfBin = new Map(candidates.map((c) => [c.bin, c.cohort.name]));
  for (const c of candidates) {
    c.entry.drawn = drawn[c.bin];
    if (c.inPlot === 0) {
      delete c.entry.cohort; // nothing to bring on top
      c.entry.hidden = active === allData ? "no rows" : `no rows in "${active}"`;
    } else if (drawn[c.bin] === 0) {
      const over = new Set<number>();
      for (let p = 0; p < rows.length; p++) if (c.mask[rows[p]]) over.add(bins[p]);
      const all = c.inPlot === 1 ? "its one point is hidden under" : `all ${c.inPlot.toLocaleString()} points hidden under`;
      c.entry.hidden = over.size === 1 ? `${all} "${nameOfBin.get([...over][0])}"` : `${all} cohorts on top`;
    }
  }
  const top = topFirst.find((c) => drawn[c.bin] > 0);
  if (top) top.entry.onTop = true;
  let unassigned = 0;
  for (let p = 0; p < rows.length; p++) if (bins[p] === 0) unassigned++;
  if (!candidates.length) legend.push({ color: GREY, label: "all rows (make cohorts to colour them)" });
  else if (unassigned > 0) legend.push({ color: GREY, label: "in no other cohort" });
  const order = [0, ...topFirst.map((c) => c.bin).reverse()];
  return { bins, palette, order, legend };
}

/** Colour of each point by feature j's value: a ramp (numbers, many categories) or a colour per value. */
export function colorByFeature(data: TabularData, j: number, rows: Int32Array): Coloring {
  const kind = data.kinds[j];
  const name = data.meta.feature_names[j];
  const bins = new Uint8Array(rows.length); // 0 = missing
  const vals = new Float32Array(rows.length);
  for (let p = 0; p < rows.length; p++) vals[p] = data.feature(rows[p], j);
  const nCat = data.levels(j);
  const legend: LegendEntry[] = [];
  const palette = [GREY];
  if (kind !== "numeric" && nCat <= SERIES_COLORS.length) {
    for (let k = 0; k < nCat; k++) {
      const color = kind === "bool" ? (k ? RAMP_HIGH : RAMP_LOW) : SERIES_COLORS[k];
      palette.push(color);
      legend.push({ color, label: data.featureLabel(j, k) });
    }
    const counts = new Int32Array(nCat + 1);
    for (let p = 0; p < rows.length; p++) {
      const v = vals[p];
      bins[p] = Number.isNaN(v) || v < 0 || v >= nCat ? 0 : v + 1;
      counts[bins[p]]++;
    }
    legend.forEach((e, k) => {
      if (!counts[k + 1]) (e as SwatchEntry).hidden = "none in these rows";
    });
  } else {
    // Numbers: the ramp spans the 5th to 95th percentile, so a few outliers don't wash it out.
    let lo = kind === "numeric" ? quantile(vals, 0.05) : 0;
    let hi = kind === "numeric" ? quantile(vals, 0.95) : nCat - 1;
    if (!(hi > lo)) {
      lo = Number.isFinite(lo) ? lo : 0;
      hi = lo + 1;
    }
    for (let b = 0; b < RAMP_BINS; b++) palette.push(rampColor(b / (RAMP_BINS - 1)));
    for (let p = 0; p < rows.length; p++) {
      const v = vals[p];
      if (Number.isNaN(v)) continue;
      const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
      bins[p] = 1 + Math.round(t * (RAMP_BINS - 1));
    }
    legend.push({ ramp: [RAMP_LOW, RAMP_HIGH], low: data.featureLabel(j, lo), high: data.featureLabel(j, hi), label: name });
  }
  let missing = 0;
  for (let p = 0; p < rows.length; p++) if (Number.isNaN(vals[p])) missing++;
  if (missing) legend.push({ color: GREY, label: "missing" });
  return { bins, palette, order: palette.map((_, b) => b), legend };
}
