// Cohort differences of global importance with bootstrap intervals, by the kernel's definitions
// (rai_widget/explanations/_compare.py, whose docstring is the reference): each cohort's mean |value| per
// feature, the difference a - b, and intervals from the same mulberry32 draws (metrics/prng.ts), so the
// numbers equal exp.compare()'s. Cohort a's resample r draws outputs r*n_a + j of the seed's stream; cohort
// b's, outputs nBoot*n_a + r*n_b + j. Pure functions and resumable runs (the view steps them in slices);
// checked by tests/js/compare.test.ts against tests/compare_cases.json, which the Python implementation writes.
import { quantile } from "../core/quantiles";
import type { TabularData } from "./data";
import { drawRow, mulberry32At } from "./metrics/prng";
import type { OutputChoice } from "./stats";

export interface CompareSettings {
  ci: number;
  nBoot: number;
  seed: number;
}

/** exp.compare()'s defaults, which the view uses too. */
export const COMPARE_SETTINGS: CompareSettings = { ci: 0.95, nBoot: 1000, seed: 0 };

/** The rows of a mask, in increasing order: the order the kernel's resamples index. */
export function maskRows(mask: Uint8Array): Int32Array {
  let m = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) m++;
  const rows = new Int32Array(m);
  m = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) rows[m++] = i;
  return rows;
}

/** (rows x f) row-major: |value| of each row and feature for the output, as global_importance takes them. */
export function magnitudes(data: TabularData, rows: Int32Array, choice: OutputChoice): Float64Array {
  const { f, k } = data;
  const mirror = data.meta.binary_mirror;
  const out = new Float64Array(rows.length * f);
  rows.forEach((i, r) => {
    for (let j = 0; j < f; j++) {
      let v: number;
      if (choice.kind === "average") {
        if (mirror)
          v = Math.abs(data.value(i, j, 1)); // |class 0| == |class 1|
        else {
          let s = 0;
          for (let c = 0; c < k; c++) s += Math.abs(data.value(i, j, c));
          v = s / k;
        }
      } else v = Math.abs(data.value(i, j, choice.kind === "output" ? choice.index : data.predictedIndex(i)));
      out[r * f + j] = v;
    }
  });
  return out;
}

/**
 * The resampled means of one cohort's magnitudes: resample r draws outputs offset + r*n + j (j < n) of the
 * seed's stream; `step(budget)` computes up to `budget` more resamples and says whether all are done, after
 * which `boot` (nBoot x f) holds each resample's mean per feature.
 */
export class ResampleRun {
  readonly n: number;
  readonly mean: Float64Array;
  readonly boot: Float64Array;
  done = 0;
  private counts: Int32Array;

  constructor(
    private values: Float64Array,
    readonly f: number,
    readonly nBoot: number,
    readonly seed: number,
    readonly offset: number,
  ) {
    const n = f ? values.length / f : 0;
    this.n = n;
    this.mean = new Float64Array(f);
    for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) this.mean[j] += values[i * f + j];
    if (n) for (let j = 0; j < f; j++) this.mean[j] /= n;
    this.boot = new Float64Array(n ? nBoot * f : 0);
    this.counts = new Int32Array(n);
    if (!n) this.done = nBoot;
  }

  get finished(): boolean {
    return this.done >= this.nBoot;
  }

  step(budget: number): boolean {
    const { n, f, values, counts, boot } = this;
    const end = Math.min(this.nBoot, this.done + Math.max(1, budget));
    for (; this.done < end; this.done++) {
      counts.fill(0);
      const start = this.offset + this.done * n;
      for (let j = 0; j < n; j++) counts[drawRow(mulberry32At(this.seed, start + j), n)]++;
      const at = this.done * f;
      for (let i = 0; i < n; i++) {
        const c = counts[i];
        if (!c) continue;
        const row = i * f;
        for (let j = 0; j < f; j++) boot[at + j] += c * values[row + j];
      }
      for (let j = 0; j < f; j++) boot[at + j] /= n;
    }
    if (this.finished) this.values = new Float64Array(0); // the resamples are all it needs from now on
    return this.finished;
  }

  /** Run to the end (tests, small cohorts). */
  finish(): this {
    while (!this.step(Number.MAX_SAFE_INTEGER)) {}
    return this;
  }
}

export interface Interval {
  low: Float64Array;
  high: Float64Array;
}

/** Per feature, numpy.quantile (linear) of the resamples at (1 - ci) / 2 and (1 + ci) / 2; NaN without resamples. */
export function intervals(boot: Float64Array, f: number, ci: number, minus: Float64Array | null = null): Interval {
  const nBoot = f ? boot.length / f : 0;
  const low = new Float64Array(f).fill(Number.NaN);
  const high = new Float64Array(f).fill(Number.NaN);
  const column = new Float64Array(nBoot);
  for (let j = 0; j < f; j++) {
    for (let r = 0; r < nBoot; r++) column[r] = boot[r * f + j] - (minus ? minus[r * f + j] : 0);
    column.sort();
    low[j] = quantile(column, (1 - ci) / 2);
    high[j] = quantile(column, (1 + ci) / 2);
  }
  return { low, high };
}

export interface Difference {
  rowsA: number;
  rowsB: number;
  meanA: Float64Array;
  meanB: Float64Array;
  difference: Float64Array;
  low: Float64Array; // NaN until both cohorts' resamples are done
  high: Float64Array;
  /** 1 where the interval lies above or below 0. */
  excludesZero: Uint8Array;
  /** Feature indices, largest |difference| first (ties in feature order), as exp.compare() orders its rows. */
  order: number[];
}

/** The difference of two cohorts' runs (b's offset nBoot * a's rows); its interval once both are finished. */
export function differenceOf(a: ResampleRun, b: ResampleRun, ci: number): Difference {
  const f = a.f;
  const difference = Float64Array.from(a.mean, (v, j) => v - b.mean[j]);
  const done = a.finished && b.finished && a.boot.length > 0 && b.boot.length > 0;
  const { low, high } = done
    ? intervals(a.boot, f, ci, b.boot)
    : { low: new Float64Array(f).fill(Number.NaN), high: new Float64Array(f).fill(Number.NaN) };
  const excludesZero = Uint8Array.from(low, (lo, j) => (lo > 0 || high[j] < 0 ? 1 : 0));
  const order = Array.from(difference, (_, j) => j).sort((x, y) => Math.abs(difference[y]) - Math.abs(difference[x]) || x - y);
  return { rowsA: a.n, rowsB: b.n, meanA: a.mean, meanB: b.mean, difference, low, high, excludesZero, order };
}

/** The runs of exp.compare(a, b): a's from offset 0, b's after all of a's draws. */
export function compareRuns(data: TabularData, maskA: Uint8Array, maskB: Uint8Array, choice: OutputChoice, settings: CompareSettings) {
  const rowsA = maskRows(maskA);
  const a = new ResampleRun(magnitudes(data, rowsA, choice), data.f, settings.nBoot, settings.seed, 0);
  const b = new ResampleRun(
    magnitudes(data, maskRows(maskB), choice),
    data.f,
    settings.nBoot,
    settings.seed,
    settings.nBoot * rowsA.length,
  );
  return { a, b };
}

/** exp.compare(a, b) at once (tests, small cohorts). */
export function compareCohorts(
  data: TabularData,
  maskA: Uint8Array,
  maskB: Uint8Array,
  choice: OutputChoice,
  settings: CompareSettings = COMPARE_SETTINGS,
): Difference {
  const { a, b } = compareRuns(data, maskA, maskB, choice, settings);
  return differenceOf(a.finish(), b.finish(), settings.ci);
}

/** One cohort's mean |value| per feature and its interval (_compare.importance_intervals, the bars' whiskers). */
export function importanceIntervals(
  data: TabularData,
  mask: Uint8Array,
  choice: OutputChoice,
  settings: CompareSettings = COMPARE_SETTINGS,
): Interval & { mean: Float64Array } {
  const run = new ResampleRun(magnitudes(data, maskRows(mask), choice), data.f, settings.nBoot, settings.seed, 0).finish();
  return { mean: run.mean, ...intervals(run.boot, data.f, settings.ci) };
}
