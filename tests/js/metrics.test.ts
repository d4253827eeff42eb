// Model performance in the browser equals exp.metrics(): the shared vectors of tests/metrics_cases.json
// (written by tests/test_metrics_cases.py from the Python implementation) hold the cohort columns as the
// wire carries them and, per cohort, every figure with its bootstrap interval.
import { describe, expect, it } from "vitest";
import { decodeArray, type WireArray } from "../../js/core/arrays";
import { type Cohort, evaluateCohort } from "../../js/core/cohorts";
import { decodeDataset, type WireColumn } from "../../js/core/columns";
import { cohortInputs, computeMetrics, confusionMatrix, type MetricsData, MetricsRun } from "../../js/tabular/metrics/compute";
import { drawRow, mulberry32At, resampleCounts } from "../../js/tabular/metrics/prng";
import cases from "../metrics_cases.json";

interface Check {
  cohort: Cohort;
  n: number;
  left_out: number;
  metrics: { metric: string; value: number | null; ci_low: number | null; ci_high: number | null }[];
  notes: Record<string, string>;
}

interface Case {
  name: string;
  task: "classification" | "regression";
  n_rows: number;
  output_names: string[];
  arrays: { columns: unknown[]; probabilities?: unknown };
  checks: Check[];
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

function dataOf(c: Case): MetricsData {
  const arrays = revive(c.arrays) as { columns: WireColumn[]; probabilities?: WireArray };
  const meta = { n_rows: c.n_rows, output_names: c.output_names, task: c.task, units: "", all_data: "All data" };
  return {
    dataset: decodeDataset(meta, arrays.columns),
    n: c.n_rows,
    k: c.output_names.length,
    probabilities: arrays.probabilities ? (decodeArray(arrays.probabilities).data as Float32Array) : null,
    meta,
  };
}

const settings = { ci: cases.settings.ci, nBoot: cases.settings.n_boot, seed: cases.settings.random_state };

/** The same number to 1e-9 (relative beyond 1), or both undefined (null is NaN). */
function expectSame(actual: number, expected: number | null, what: string) {
  if (expected === null) {
    expect(Number.isNaN(actual), `${what}: ${actual}, expected NaN`).toBe(true);
    return;
  }
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

describe("mulberry32 and the resamples", () => {
  it("draws the kernel's stream, output for output", () => {
    for (const { seed, start, values } of cases.prng) {
      expect(values.map((_, i) => mulberry32At(seed, start + i))).toEqual(values);
    }
  });

  it("counts the rows of each resample as the kernel does", () => {
    for (const { seed, n, first, counts } of cases.resamples) {
      counts.forEach((expected, b) => {
        expect(Array.from(resampleCounts(seed, n, first + b, new Int32Array(n)))).toEqual(expected);
      });
    }
  });
});

describe("the figures of every case equal exp.metrics()", () => {
  for (const c of cases.cases as Case[]) {
    it(c.name, () => {
      const data = dataOf(c);
      for (const check of c.checks) {
        const mask = evaluateCohort(check.cohort, data.dataset.columns, data.n);
        const cohort = cohortInputs(data, mask);
        if (!cohort) throw new Error("no y_true");
        const table = computeMetrics(cohort.inputs, settings);
        const where = `${c.name} / ${check.cohort.name}`;
        expect(table.n, where).toBe(check.n);
        expect(cohort.leftOut, where).toBe(check.left_out);
        expect(table.names, where).toEqual(check.metrics.map((m) => m.metric));
        check.metrics.forEach((m, s) => {
          expectSame(table.value[s], m.value, `${where} ${m.metric}`);
          expectSame(table.low[s], m.ci_low, `${where} ${m.metric} ci_low`);
          expectSame(table.high[s], m.ci_high, `${where} ${m.metric} ci_high`);
        });
        expect(Object.fromEntries(table.notes), where).toEqual(check.notes);
      }
    });
  }
});

describe("MetricsRun", () => {
  const c = (cases.cases as Case[]).find((x) => x.name === "multiclass") as Case;
  const data = dataOf(c);
  const inputs = cohortInputs(data, new Uint8Array(data.n).fill(1))?.inputs;
  if (inputs?.task !== "classification") throw new Error("multiclass inputs");

  it("has the values at once and the intervals only when every resample is done", () => {
    const run = new MetricsRun(inputs, settings);
    expect(Number.isNaN(run.table.value[0])).toBe(false);
    expect(run.step(15)).toBe(false);
    expect(run.done).toBe(15);
    expect(Number.isNaN(run.table.low[0])).toBe(true);
    while (!run.step(7)) {}
    const whole = computeMetrics(inputs, settings);
    expect(Array.from(run.table.low)).toEqual(Array.from(whole.low));
    expect(Array.from(run.table.high)).toEqual(Array.from(whole.high));
  });

  it("gives no intervals for n_boot = 0", () => {
    const table = computeMetrics(inputs, { ...settings, nBoot: 0 });
    expect(table.low.every((v) => Number.isNaN(v))).toBe(true);
  });

  it("counts the confusion matrix of the rows", () => {
    const cm = confusionMatrix(inputs);
    const k = inputs.classes.length;
    let total = 0;
    for (let i = 0; i < inputs.yTrue.length; i++) expect(cm[inputs.yTrue[i] * k + inputs.yPred[i]]).toBeGreaterThan(0);
    for (const v of cm) total += v;
    expect(total).toBe(inputs.yTrue.length);
  });
});

describe("drawRow", () => {
  it("is floor(u * n / 2**32) exactly, for cohorts past 2**21 rows too", () => {
    const cases: [number, number][] = [
      [4294967295, 2097152],
      [4294967295, 3000001],
      [123456789, 5000000],
      [2147483648, 4194305],
      [0, 9999999],
    ];
    for (const [u, n] of cases) {
      const exact = Number((BigInt(u) * BigInt(n)) >> 32n);
      expect(drawRow(u, n), `${u} ${n}`).toBe(exact);
    }
  });
});
