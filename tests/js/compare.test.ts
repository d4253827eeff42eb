// Cohort differences in the browser equal exp.compare(): the shared vectors of tests/compare_cases.json
// (written by tests/test_compare_cases.py from the Python implementation) hold the tabular payload and, per
// pair of cohorts and output, each cohort's mean |value|, the difference and its bootstrap interval; and per
// cohort the interval of its mean alone (the whiskers of the plain bars).
import { describe, expect, it } from "vitest";
import { type Cohort, evaluateCohort } from "../../js/core/cohorts";
import {
  COMPARE_SETTINGS,
  compareCohorts,
  compareRuns,
  differenceOf,
  importanceIntervals,
  maskRows,
  ResampleRun,
} from "../../js/tabular/compare";
import { type TabularArrays, TabularData, type TabularMeta } from "../../js/tabular/data";
import type { OutputChoice } from "../../js/tabular/stats";
import cases from "../compare_cases.json";

interface DifferenceCheck {
  a: Cohort;
  b: Cohort;
  output: OutputChoice;
  rows_a: number;
  rows_b: number;
  order: string[];
  mean_abs_a: number[];
  mean_abs_b: number[];
  difference: number[];
  ci_low: number[];
  ci_high: number[];
  excludes_zero: boolean[];
}

interface IntervalCheck {
  cohort: Cohort;
  output: OutputChoice;
  mean_abs: number[];
  ci_low: number[];
  ci_high: number[];
}

interface Case {
  name: string;
  meta: unknown;
  arrays: unknown;
  differences: DifferenceCheck[];
  intervals: IntervalCheck[];
}

function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value !== null && typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.__b64__ === "string") {
      const text = atob(v.__b64__);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      return new DataView(bytes.buffer);
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  }
  return value;
}

const dataOf = (c: Case) => new TabularData(revive(c.meta) as TabularMeta, revive(c.arrays) as TabularArrays);
const maskOf = (data: TabularData, cohort: Cohort) => evaluateCohort(cohort, data.dataset.columns, data.n);
const settings = { ci: cases.settings.ci, nBoot: cases.settings.n_boot, seed: cases.settings.random_state };

/** The same numbers to 1e-9 (relative beyond 1). */
function expectSame(actual: ArrayLike<number>, expected: number[], what: string) {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((e, j) => {
    expect(Math.abs(actual[j] - e), `${what}[${j}]: ${actual[j]} vs ${e}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));
  });
}

describe("the differences of every case equal exp.compare()", () => {
  for (const c of cases.cases as Case[]) {
    it(c.name, () => {
      const data = dataOf(c);
      for (const check of c.differences) {
        const where = `${c.name}: ${check.a.name} vs ${check.b.name}, ${JSON.stringify(check.output)}`;
        const d = compareCohorts(data, maskOf(data, check.a), maskOf(data, check.b), check.output, settings);
        expect([d.rowsA, d.rowsB], where).toEqual([check.rows_a, check.rows_b]);
        expectSame(d.meanA, check.mean_abs_a, `${where} mean_abs_a`);
        expectSame(d.meanB, check.mean_abs_b, `${where} mean_abs_b`);
        expectSame(d.difference, check.difference, `${where} difference`);
        expectSame(d.low, check.ci_low, `${where} ci_low`);
        expectSame(d.high, check.ci_high, `${where} ci_high`);
        expect(Array.from(d.excludesZero, Boolean), where).toEqual(check.excludes_zero);
        expect(
          d.order.map((j) => data.meta.feature_names[j]),
          where,
        ).toEqual(check.order);
      }
    });
  }
});

describe("each cohort's interval alone equals importance_intervals()", () => {
  for (const c of cases.cases as Case[]) {
    it(c.name, () => {
      const data = dataOf(c);
      for (const check of c.intervals) {
        const where = `${c.name}: ${check.cohort.name}, ${JSON.stringify(check.output)}`;
        const got = importanceIntervals(data, maskOf(data, check.cohort), check.output, settings);
        expectSame(got.mean, check.mean_abs, `${where} mean_abs`);
        expectSame(got.low, check.ci_low, `${where} ci_low`);
        expectSame(got.high, check.ci_high, `${where} ci_high`);
      }
    });
  }
});

describe("the runs", () => {
  const c = (cases.cases as Case[]).find((x) => x.name === "multiclass") as Case;
  const data = dataOf(c);
  const check = c.differences[0];
  const [maskA, maskB] = [maskOf(data, check.a), maskOf(data, check.b)];

  it("have the importances at once and the interval only when every resample of both is done", () => {
    const { a, b } = compareRuns(data, maskA, maskB, check.output, settings);
    expect(b.offset).toBe(settings.nBoot * check.rows_a); // b's draws follow all of a's
    expect(a.step(15)).toBe(false);
    expect(a.done).toBe(15);
    const early = differenceOf(a, b, settings.ci);
    expectSame(early.difference, check.difference, "difference before the resamples");
    expect(Array.from(early.low).every(Number.isNaN)).toBe(true);
    expect(early.excludesZero.every((v) => v === 0)).toBe(true);
    while (!a.step(7)) {}
    while (!b.step(11)) {}
    const d = differenceOf(a, b, settings.ci);
    expectSame(d.low, check.ci_low, "ci_low in steps");
    expectSame(d.high, check.ci_high, "ci_high in steps");
  });

  it("give no interval for n_boot = 0, and none for a cohort without rows", () => {
    const d = compareCohorts(data, maskA, maskB, check.output, { ...settings, nBoot: 0 });
    expect(Array.from(d.low).every(Number.isNaN)).toBe(true);
    const empty = new ResampleRun(new Float64Array(0), data.f, 10, 0, 0);
    expect(empty.finished).toBe(true);
    expect(Array.from(empty.mean)).toEqual(new Array(data.f).fill(0));
  });

  it("keep the rows of a mask in increasing order", () => {
    expect(Array.from(maskRows(new Uint8Array([0, 1, 1, 0, 1])))).toEqual([1, 2, 4]);
  });

  it("default to exp.compare()'s settings", () => {
    expect(COMPARE_SETTINGS).toEqual({ ci: 0.95, nBoot: 1000, seed: 0 });
  });
});
