// What the distribution chart shows, from the store: the cohorts and features of the importance chart
// (same order, count and colours), and per feature per cohort a "cell": its SHAP values toward the chosen
// output, their box, and (computed when a mode first needs them) the violin's density and the beeswarm's
// layers and colours. Cells are cached by cohort definition, output and feature, so a mode switch only
// redraws and a class switch recomputes only the values.
import type { Cohort } from "../../core/cohorts";
import { SERIES_COLORS } from "../../core/dom";
import { type BoxStats, boxStats, sortedFloat32 } from "../../core/quantiles";
import type { TabularData } from "../data";
import { topFeatures } from "../stats";
import type { TabularStore } from "../store";
import { colorRange, type Density, kde, type Swarm, swarmLayers } from "./stats";

export const MAX_SERIES = SERIES_COLORS.length; // the importance chart's limit
/** Colours of the beeswarm's ramp (bin 0 is missing, grey). */
export const RAMP_STEPS = 32;
const CACHE_VALUES = 8_000_000; // values kept in cells before the cache is emptied (32 MB of float32)

export interface Series {
  cohort: Cohort;
  color: string; // the importance chart's colour for this cohort
  count: number;
  error: string | null;
  rows: Int32Array; // the cohort's rows, ascending
}

export interface Cell {
  values: Float32Array; // SHAP value of each of the cohort's rows (in row order) toward the chosen output
  box: BoxStats;
  below: Float64Array; // values under the lower whisker, ascending
  above: Float64Array; // values over the upper whisker, ascending
  density?: Density | null; // violin (null: no spread, drawn as a line)
  swarm?: Swarm; // beeswarm layers
}

/** The cohorts the importance chart draws a bar for (its first MAX_SERIES), with its colours; empty ones included. */
export function chartSeries(store: TabularStore): Series[] {
  return store.state.cohorts.slice(0, MAX_SERIES).map((cohort, s) => {
    const res = store.maskOf(cohort);
    return { cohort, color: SERIES_COLORS[s], count: res.count, error: res.error, rows: rowsOf(res.mask, res.count) };
  });
}

function rowsOf(mask: Uint8Array, count: number): Int32Array {
  const rows = new Int32Array(count);
  let m = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) rows[m++] = i;
  return rows;
}

/** The importance chart's features: its top K by the sorting cohort (the first cohort with rows when that one has none). */
export function chartFeatures(store: TabularStore, series: Series[]): number[] {
  const drawable = series.filter((s) => s.count > 0);
  if (!drawable.length) return [];
  const sort = series.find((s) => s.cohort.name === store.state.sortBy) ?? series[0];
  return topFeatures(store.importance(sort.count ? sort.cohort : drawable[0].cohort), store.state.topK);
}

const cohortKey = (c: Cohort) => JSON.stringify([c.combine, c.filters]);

/** Feature j's SHAP values at `rows`, toward output c, or each row's predicted class when c is null. */
export function gatherValues(data: TabularData, j: number, rows: Int32Array, c: number | null): Float32Array {
  const out = new Float32Array(rows.length);
  const { values, f, k } = data;
  const mirror = data.meta.binary_mirror;
  for (let p = 0; p < rows.length; p++) {
    const i = rows[p];
    const cc = c ?? data.predictedIndex(i);
    out[p] = mirror ? (cc === 0 ? -values[i * f + j] : values[i * f + j]) : values[(i * f + j) * k + cc];
  }
  return out;
}

export class CellCache {
  private cells = new Map<string, Cell>();
  private colourCache = new Map<string, Uint8Array>();
  private held = 0;

  constructor(private readonly store: TabularStore) {}

  /** The output index every row uses (a class chosen), or null (each row's predicted class). */
  outputIndex(): number | null {
    const o = this.store.state.output;
    return o.kind === "output" ? o.index : null;
  }

  cell(series: Series, j: number): Cell {
    const c = this.outputIndex();
    const key = `${cohortKey(series.cohort)}|${c ?? "predicted"}|${j}`;
    let hit = this.cells.get(key);
    if (!hit) {
      const values = gatherValues(this.store.data, j, series.rows, c);
      const sorted = sortedFloat32(values);
      const box = boxStats(sorted);
      let lo = 0;
      while (lo < sorted.length && sorted[lo] < box.whiskerLow) lo++;
      let hi = sorted.length;
      while (hi > lo && sorted[hi - 1] > box.whiskerHigh) hi--;
      hit = { values, box, below: sorted.slice(0, lo), above: sorted.slice(hi) };
      if (this.held + values.length > CACHE_VALUES) this.clear();
      this.held += values.length;
      this.cells.set(key, hit);
    }
    return hit;
  }

  density(cell: Cell): Density | null {
    if (cell.density === undefined) cell.density = kde(cell.values);
    return cell.density;
  }

  swarm(cell: Cell): Swarm {
    if (!cell.swarm) cell.swarm = swarmLayers(cell.values);
    return cell.swarm;
  }

  /**
   * The beeswarm colour of each of the series' rows by feature j's value: 0 missing (grey), else 1 to
   * RAMP_STEPS along the ramp. Numbers over shap's trimmed range (5th to 95th percentile), categories by
   * code (first to last), booleans false / true at the two ends. Independent of the output.
   */
  colours(series: Series, j: number): Uint8Array {
    const key = `${cohortKey(series.cohort)}|${j}`;
    let hit = this.colourCache.get(key);
    if (!hit) {
      const data = this.store.data;
      const fv = data.featureValues(j);
      const rows = series.rows;
      let lo = 0;
      let hi = 1;
      if (data.kinds[j] === "numeric") [lo, hi] = colorRange(sortedFloat32(fv, rows));
      else hi = Math.max(1, data.levels(j) - 1);
      const span = hi > lo ? hi - lo : 0;
      hit = new Uint8Array(rows.length);
      for (let p = 0; p < rows.length; p++) {
        const v = fv[rows[p]];
        if (Number.isNaN(v)) continue;
        const t = span ? Math.min(1, Math.max(0, (v - lo) / span)) : 0.5;
        hit[p] = 1 + Math.round(t * (RAMP_STEPS - 1));
      }
      this.colourCache.set(key, hit);
    }
    return hit;
  }

  /** The range the colour ramp spans for feature j in these rows (as colours() maps it). */
  colourRange(series: Series, j: number): [number, number] {
    const data = this.store.data;
    if (data.kinds[j] !== "numeric") return [0, Math.max(1, data.levels(j) - 1)];
    return colorRange(sortedFloat32(data.featureValues(j), series.rows));
  }

  clear(): void {
    this.cells.clear();
    this.colourCache.clear();
    this.held = 0;
  }
}
