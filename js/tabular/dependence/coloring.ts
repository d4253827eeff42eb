// How the dependence plot colours its points: by cohort (the first cohort each row is in) or by a
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

export type LegendEntry = { color: string; label: string } | { ramp: [string, string]; low: string; high: string; label: string };

export interface Coloring {
  bins: Uint8Array; // palette index of each point
  palette: string[]; // drawn in this order: later entries on top
  legend: LegendEntry[];
}

/** Colour of each point by cohort: the first cohort (other than `allData`, every row) it belongs to, else grey. */
export function colorByCohort(
  rows: Int32Array,
  cohorts: Cohort[],
  maskOf: (c: Cohort) => { mask: Uint8Array; error: string | null },
  allData: string,
): Coloring {
  const bins = new Uint8Array(rows.length);
  const palette = [GREY];
  const legend: LegendEntry[] = [];
  let unassigned = rows.length;
  cohorts.forEach((c, s) => {
    if (c.name === allData || palette.length > 250) return;
    const { mask, error } = maskOf(c);
    if (error) return;
    const color = SERIES_COLORS[s % SERIES_COLORS.length];
    const b = palette.length;
    palette.push(color);
    let hits = 0;
    for (let p = 0; p < rows.length; p++) {
      if (bins[p] === 0 && mask[rows[p]]) {
        bins[p] = b;
        hits++;
      }
    }
    unassigned -= hits;
    legend.push({ color, label: c.name });
  });
  if (!legend.length) legend.push({ color: GREY, label: "all rows (make cohorts to colour them)" });
  else if (unassigned > 0) legend.push({ color: GREY, label: "in no other cohort" });
  return { bins, palette, legend };
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
    for (let p = 0; p < rows.length; p++) {
      const v = vals[p];
      bins[p] = Number.isNaN(v) || v < 0 || v >= nCat ? 0 : v + 1;
    }
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
  return { bins, palette, legend };
}
