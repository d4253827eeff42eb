// The shared vectors of tests/distribution_cases.json (written by tests/test_distribution_cases.py from numpy and
// scipy), decoded: NaN and infinities travel as strings, JSON having neither.
import text from "../distribution_cases.json?raw";

type Num = number | string;
const num = (v: Num): number => (typeof v === "number" ? v : v === "NaN" ? Number.NaN : v === "Infinity" ? Infinity : -Infinity);
const nums = (a: Num[]): number[] => a.map(num);

export interface DistributionCase {
  name: string;
  values: number[];
  quantiles: { q: number[]; numpy: number[] };
  box: Record<string, number>;
  kde: { grid: number[]; density: number[]; bandwidth: number } | null;
  colorRange: [number, number] | null;
  swarm?: { layers: number[]; bins: number[]; depth: number };
}

interface RawCase {
  name: string;
  values: Num[];
  quantiles: { q: number[]; numpy: Num[] };
  box: Record<string, Num>;
  kde: { grid: Num[]; density: Num[]; bandwidth: Num } | null;
  colorRange: Num[] | null;
  swarm?: { layers: number[]; bins: number[]; depth: number };
}

const cases = JSON.parse(text) as { kde_grid: number; cases: RawCase[] };

export const KDE_GRID_OF_CASES: number = cases.kde_grid;

export const CASES: DistributionCase[] = cases.cases.map((c) => ({
  name: c.name,
  values: nums(c.values),
  quantiles: { q: c.quantiles.q, numpy: nums(c.quantiles.numpy) },
  box: Object.fromEntries(Object.entries(c.box).map(([k, v]) => [k, num(v)])),
  kde: c.kde && { grid: nums(c.kde.grid), density: nums(c.kde.density), bandwidth: num(c.kde.bandwidth) },
  colorRange: c.colorRange && [num(c.colorRange[0]), num(c.colorRange[1])],
  swarm: c.swarm,
}));

export const caseNamed = (name: string): DistributionCase => {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name} in tests/distribution_cases.json`);
  return c;
};

/** |a - b| <= tol * max(|a|, |b|), NaN equal to NaN, infinities equal to themselves. */
export function close(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));
}
