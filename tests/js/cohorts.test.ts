import { describe, expect, it } from "vitest";
import { type Cohort, countRows, evaluateCohort, uniqueName, validateCohort, validateFilter } from "../../js/core/cohorts";
import type { ColumnValues } from "../../js/core/columns";
// As text, then JSON.parse: an imported .json becomes an object literal, where a "__proto__" key would set
// the prototype instead of naming a column (one of the shared cases).
import casesText from "../cohort_cases.json?raw";

type JsonColumn =
  | { kind: "number" | "category" | "bool"; values: (number | string | boolean | null)[] }
  | { kind: "tokens"; values: string[][] };
interface Table {
  columns: Record<string, JsonColumn>;
  cases: { name: string; cohort: Cohort; expected: number[] }[];
  errors: { name: string; cohort: Cohort; error: string }[];
}

// The cases are checked against the real types by running them.
const table = JSON.parse(casesText) as Table;

/** The shared JSON columns in the form the widget sends them. */
function toColumn(c: JsonColumn): ColumnValues {
  if (c.kind === "tokens") {
    const offsets = new Int32Array(c.values.length + 1);
    for (const [i, t] of c.values.entries()) offsets[i + 1] = offsets[i] + t.length;
    return { kind: "tokens", offsets, tokens: c.values.flat() };
  }
  if (c.kind === "number") return { kind: "number", values: Float32Array.from(c.values, (v) => (v === null ? NaN : (v as number))) };
  if (c.kind === "bool") return { kind: "bool", values: Uint8Array.from(c.values, (v) => (v === null ? 255 : v ? 1 : 0)) };
  const categories = [...new Set(c.values.filter((v): v is string => v !== null))];
  return { kind: "category", categories, codes: Int32Array.from(c.values, (v) => (v === null ? -1 : categories.indexOf(v as string))) };
}

const columns = new Map(Object.entries(table.columns).map(([k, c]) => [k, toColumn(c)]));
const nRows = table.columns.index.values.length;
const rows = (mask: Uint8Array) => [...mask.keys()].filter((i) => mask[i] === 1);

describe("shared cohort cases", () => {
  it.each(table.cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    expect(validateCohort(c.cohort, columns)).toBeNull();
    const mask = evaluateCohort(c.cohort, columns, nRows);
    expect(mask).toBeInstanceOf(Uint8Array);
    expect(rows(mask)).toEqual(c.expected);
    expect(countRows(mask)).toBe(c.expected.length);
  });
});

describe("shared error cases", () => {
  it.each(table.errors.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const reason = validateCohort(c.cohort, columns);
    expect(reason).toContain(c.error);
    expect(() => evaluateCohort(c.cohort, columns, nRows)).toThrow(reason!);
  });
});

describe("validateFilter", () => {
  it("returns null for a valid filter and a reason for an invalid one", () => {
    expect(validateFilter({ column: "age", op: ">", value: 40 }, columns)).toBeNull();
    expect(validateFilter({ column: "color", op: "<=", value: "b" }, columns)).toMatch(/categorical column 'color'/);
  });
  it("reports the first bad filter of a cohort", () => {
    const cohort: Cohort = {
      name: "c",
      combine: "any",
      filters: [
        { column: "age", op: ">", value: 1 },
        { column: "nope", op: ">", value: 1 },
        { column: "age", op: ">", value: "x" },
      ],
    };
    expect(validateCohort(cohort, columns)).toMatch(/^unknown column 'nope'/);
  });
});

describe("countRows", () => {
  it("counts ones", () => {
    expect(countRows(new Uint8Array([1, 0, 1, 1]))).toBe(3);
    expect(countRows(new Uint8Array(0))).toBe(0);
  });
});

describe("column names are names", () => {
  it("a column called __proto__ or constructor is filtered like any other", () => {
    const cols = new Map<string, ColumnValues>([
      ["__proto__", { kind: "number", values: Float32Array.from([1, 2, 3]) }],
      ["constructor", { kind: "category", codes: Int32Array.from([0, 1, -1]), categories: ["a", "b"] }],
    ]);
    const c = (column: string, op: "==" | ">", value: number | string): Cohort => ({
      name: "c",
      combine: "all",
      filters: [{ column, op, value }],
    });
    expect(Array.from(evaluateCohort(c("__proto__", ">", 1), cols, 3))).toEqual([0, 1, 1]);
    expect(Array.from(evaluateCohort(c("constructor", "==", "b"), cols, 3))).toEqual([0, 1, 0]);
    expect(validateFilter({ column: "toString", op: "==", value: 1 }, cols)).toMatch(/^unknown column 'toString'/);
  });
});

describe("uniqueName", () => {
  it("keeps a free name and numbers a taken one as 'x (2)', 'x (3)'...", () => {
    expect(uniqueName("a", [])).toBe("a");
    expect(uniqueName("a", ["a"])).toBe("a (2)");
    expect(uniqueName("a", ["a", "a (2)"])).toBe("a (3)");
    expect(uniqueName("a (2)", ["a", "a (2)"])).toBe("a (2) (2)");
  });
});
