// What the distribution chart shows, from the store: the cohorts and features of the importance chart
// (same order, count and colours), and per feature per cohort a "cell": its SHAP values toward the chosen
// output, their box, and (computed when a mode first needs them) the violin's density and the beeswarm's
// layers and colours. Cells are cached by cohort definition, output and feature, so a mode switch only
// redraws and a class switch recomputes only the values.
import type { Cohort } from "../../core/cohorts";
import { SERIES_COLORS } from "../../core/dom";
import { type BoxStats, boxOf } from "../../core/quantiles";
import type { TabularData } from "../data";
import { topFeatures } from "../stats";
import type { TabularStore } from "../store";
import { colorRangeOf, type Density, kde, swarmLayers, visitOrder } from "./stats";

export const MAX_SERIES = SERIES_COLORS.length; // the importance chart's limit
/** Colours of the beeswarm's ramp (bin 0 is missing, grey). */
export const RAMP_STEPS = 32;
// What cells may hold before the least recently used go: two classes of 3 cohorts x 30 features x 100,000
// rows (72 MB) and their beeswarm dots (48 MB) fit, so switching back and forth recomputes nothing.
const CACHE_BYTES = 160e6;

export interface Series {
  cohort: Cohort;
  color: string; // the importance chart's colour for this cohort
  count: number;
  error: string | null;
  rows: Int32Array; // the cohort's rows, ascending
}

export interface Cell {
  values: Float32Array; // SHAP value of each of the cohort's rows (in row order) toward the chosen output
  count: number; // values that are not NaN (box.n)
  min: number; // their smallest and largest (the box's min and max), known before the box
  max: number;
  /** Whether the box is computed (it is on first read: a chart of millions of values reads them band by band). */
  boxed: () => boolean;
  box: BoxStats;
  below: Float64Array; // values under the lower whisker, ascending
  above: Float64Array; // values over the upper whisker, ascending
  density?: Density | null; // violin (null: no spread, drawn as a line)
  swarm?: Dots; // beeswarm dots
}

/** A beeswarm's dots in the order they are painted (the layering's visiting order): sequential reads when painting. */
export interface Dots {
  x: Float32Array; // SHAP value
  layer: Int32Array; // 0, +1, -1, ... (swarmLayers)
  depth: number;
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

/**
 * The SHAP values of features `js` at `rows`, toward output c, or each row's predicted class (`predicted`)
 * when c is null: one pass over the rows, reading each row's values together (one column per feature).
 */
export function gatherValues(
  data: TabularData,
  js: number[],
  rows: Int32Array,
  c: number | null,
  predicted: Uint8Array | null,
): Float32Array[] {
  const out = js.map(() => new Float32Array(rows.length));
  const { values, f, k } = data;
  const mirror = data.meta.binary_mirror;
  const m = js.length;
  for (let p = 0; p < rows.length; p++) {
    const i = rows[p];
    const cc = c ?? (predicted ? predicted[i] : data.predictedIndex(i));
    if (mirror) {
      const base = i * f;
      if (cc === 0) for (let t = 0; t < m; t++) out[t][p] = -values[base + js[t]];
      else for (let t = 0; t < m; t++) out[t][p] = values[base + js[t]];
    } else for (let t = 0; t < m; t++) out[t][p] = values[(i * f + js[t]) * k + cc];
  }
  return out;
}

/** A cell whose box (and outliers) are computed when first read; its extent at once (one cheap pass). */
function lazyCell(values: Float32Array): Cell {
  let count = 0;
  let min = Number.NaN;
  let max = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (!count++) min = max = v;
    else if (v < min) min = v;
    else if (v > max) max = v;
  }
  let made: ReturnType<typeof boxOf> | null = null;
  const boxes = () => {
    if (!made) made = boxOf(values);
    return made;
  };
  return {
    values,
    count,
    min,
    max,
    boxed: () => made !== null,
    get box() {
      return boxes().box;
    },
    get below() {
      return boxes().below;
    },
    get above() {
      return boxes().above;
    },
  };
}

/** Bytes a cell holds (its values, and its beeswarm dots once drawn), for the cache's budget. */
const cellBytes = (cell: Cell) => cell.values.byteLength * (cell.swarm ? 3 : 1);

export class CellCache {
  private cells = new Map<string, Cell>(); // in least recently used order
  private colourCache = new Map<string, Uint8Array>();
  private held = 0; // bytes
  private predicted: Uint8Array | null = null;

  constructor(private readonly store: TabularStore) {}

  /** The output index every row uses (a class chosen), or null (each row's predicted class). */
  outputIndex(): number | null {
    const o = this.store.state.output;
    return o.kind === "output" ? o.index : null;
  }

  private key(series: Series, j: number): string {
    return `${cohortKey(series.cohort)}|${this.outputIndex() ?? "predicted"}|${j}`;
  }

  /** Compute, in one pass per cohort, the cells of features `js` the cache does not hold. */
  prepare(series: Series, js: number[]): void {
    const missing = js.filter((j) => !this.cells.has(this.key(series, j)));
    if (!missing.length) return;
    const c = this.outputIndex();
    const data = this.store.data;
    if (c === null && !this.predicted && data.k <= 256)
      this.predicted = Uint8Array.from({ length: data.n }, (_, i) => data.predictedIndex(i));
    const columns = gatherValues(data, missing, series.rows, c, this.predicted);
    missing.forEach((j, t) => {
      this.put(this.key(series, j), lazyCell(columns[t]));
    });
  }

  cell(series: Series, j: number): Cell {
    const key = this.key(series, j);
    let hit = this.cells.get(key);
    if (!hit) {
      this.prepare(series, [j]);
      hit = this.cells.get(key) as Cell;
    } else {
      this.cells.delete(key); // most recently used last
      this.cells.set(key, hit);
    }
    return hit;
  }

  private put(key: string, cell: Cell): void {
    this.cells.set(key, cell);
    this.held += cellBytes(cell);
    for (const [k, old] of this.cells) {
      if (this.held <= CACHE_BYTES || k === key) break;
      this.cells.delete(k);
      this.held -= cellBytes(old);
    }
  }

  density(cell: Cell): Density | null {
    if (cell.density === undefined) cell.density = kde(cell.values);
    return cell.density;
  }

  swarm(cell: Cell): Dots {
    if (!cell.swarm) {
      const { layers, depth, x } = swarmLayers(cell.values, 100, true);
      this.held += cell.values.byteLength * 2;
      cell.swarm = { x: x as Float32Array, layer: layers, depth };
    }
    return cell.swarm;
  }

  /**
   * The beeswarm colour of each of the series' rows (in the dots' visiting order) by feature j's value: 0 missing (grey), else 1 to
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
      if (data.kinds[j] === "numeric") [lo, hi] = colorRangeOf(fv, rows);
      else hi = Math.max(1, data.levels(j) - 1);
      const span = hi > lo ? hi - lo : 0;
      const order = visitOrder(rows.length);
      hit = new Uint8Array(rows.length);
      for (let p = 0; p < rows.length; p++) {
        const v = fv[rows[order[p]]];
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
    return colorRangeOf(data.featureValues(j), series.rows);
  }

  clear(): void {
    this.cells.clear();
    this.colourCache.clear();
    this.held = 0;
  }
}
