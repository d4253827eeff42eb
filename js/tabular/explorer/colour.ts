// Colour of the explorer's points by an axis's value: a colour per level (booleans blue / red, as the
// dependence plot), or the blue-to-red ramp over the 5th to 95th percentile for numbers and for more
// levels than there are colours. Colour by cohort is dependence/coloring.ts's colorByCohort, as is.
import { SERIES_COLORS } from "../../core/dom";
import { type Coloring, GREY, type LegendEntry, RAMP_HIGH, RAMP_LOW, rampColor, type SwatchEntry } from "../dependence/coloring";
import { quantile } from "../dependence/scales";
import { type Axis, axisLabel } from "./axes";

const RAMP_BINS = 12;

/** Colour of each point (rows[p]) by the axis's values; the legend lists only what is drawn. */
export function colorByAxis(axis: Axis, values: Float32Array, rows: Int32Array): Coloring {
  const m = rows.length;
  const bins = new Uint8Array(m); // 0: missing
  const palette = [GREY];
  const legend: LegendEntry[] = [];
  const nLevels = axis.levels.length;
  let missing = 0;
  if (axis.kind !== "number" && nLevels <= SERIES_COLORS.length) {
    const counts = new Int32Array(nLevels + 1);
    for (let p = 0; p < m; p++) {
      const v = values[rows[p]];
      const b = v >= 0 && v < nLevels ? v + 1 : 0;
      bins[p] = b;
      counts[b]++;
    }
    for (let k = 0; k < nLevels; k++) {
      const color = axis.kind === "bool" ? (k ? RAMP_HIGH : RAMP_LOW) : SERIES_COLORS[k];
      palette.push(color);
      const entry: SwatchEntry = { color, label: axis.levels[k], drawn: counts[k + 1], inPlot: counts[k + 1] };
      if (counts[k + 1]) legend.push(entry); // only what is drawn
    }
    missing = counts[0];
  } else {
    const sample = new Float32Array(m);
    for (let p = 0; p < m; p++) sample[p] = values[rows[p]];
    let lo = axis.kind === "number" ? quantile(sample, 0.05) : 0;
    let hi = axis.kind === "number" ? quantile(sample, 0.95) : nLevels - 1;
    if (!(hi > lo)) {
      lo = Number.isFinite(lo) ? lo : 0;
      hi = lo + 1;
    }
    for (let b = 0; b < RAMP_BINS; b++) palette.push(rampColor(b / (RAMP_BINS - 1)));
    for (let p = 0; p < m; p++) {
      const v = sample[p];
      if (Number.isNaN(v)) {
        missing++;
        continue;
      }
      const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
      bins[p] = 1 + Math.round(t * (RAMP_BINS - 1));
    }
    if (missing < m) legend.push({ ramp: [RAMP_LOW, RAMP_HIGH], low: axisLabel(axis, lo), high: axisLabel(axis, hi), label: axis.short });
  }
  if (missing) legend.push({ color: GREY, label: "missing", drawn: missing, inPlot: missing });
  return { bins, palette, order: palette.map((_, b) => b), legend };
}

/** The colour group of point p as words: a cohort's name (by palette bin) or the axis's value. */
export function colourGroupOf(
  coloring: Coloring,
  binNames: string[] | null,
  axis: Axis | null,
  values: Float32Array | null,
  rows: Int32Array,
) {
  if (axis && values) return (p: number) => axisLabel(axis, values[rows[p]]);
  return (p: number) => binNames?.[coloring.bins[p]] ?? "";
}
