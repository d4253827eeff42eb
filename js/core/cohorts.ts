// Cohort evaluation in the browser: the same rules as rai_widget/cohorts.py (see its docstring),
// pinned by the shared vectors in tests/cohort_cases.json. Pure functions, no DOM.
//
// In short: numbers compare at float32 (the column already is; the value goes through
// Math.fround); categories compare by string with ==, !=, in, not in only; booleans take
// true/false. A missing value (NaN, category code -1, a bool byte other than 0/1) matches no
// filter except != and not in. A text explanation's `tokens` column takes contains / not contains:
// a whole token, ignoring case. Columns come ready-made from the kernel (core/columns.ts): this
// module evaluates cohorts on them and never derives one.
import type { Columns, ColumnValues, TokensColumn } from "./columns";

export const OPS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "between", "contains", "not contains"] as const;
export type Op = (typeof OPS)[number];
export type Scalar = string | number | boolean | null;

export interface Filter {
  column: string;
  op: Op;
  value: Scalar | Scalar[];
}

export interface Cohort {
  name: string;
  combine: "all" | "any";
  filters: Filter[];
}

const ORDERING: readonly string[] = ["<", "<=", ">", ">=", "between"];
export const TOKEN_OPS: readonly Op[] = ["contains", "not contains"];
const LABELS = { number: "numeric", category: "categorical", bool: "boolean" } as const;
const fmt = (v: unknown) => JSON.stringify(v);
const isNumber = (v: unknown): v is number => typeof v === "number" && !Number.isNaN(v);

/** The string a filter value stands for on a categorical column, or null if it cannot. */
function categoryValue(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (isNumber(v) && Number.isSafeInteger(v)) return String(v);
  return null;
}

/** Why `filter` cannot be applied to `columns`, in words for the user; null when it can. */
export function validateFilter(filter: Filter, columns: Columns): string | null {
  const { column, op, value } = filter;
  if (typeof column !== "string" || column === "") return "filter column must be a non-empty string";
  if (!(OPS as readonly string[]).includes(op)) return `unknown op '${op}'; valid ops: ${OPS.join(", ")}`;
  if (op === "between") {
    if (!(Array.isArray(value) && value.length === 2 && isNumber(value[0]) && isNumber(value[1]) && value[0] <= value[1]))
      return `'between' needs [lo, hi]: two numbers with lo <= hi, got ${fmt(value)}`;
  } else if (op === "in" || op === "not in") {
    if (!Array.isArray(value)) return `'${op}' needs a list of values, got ${fmt(value)}`;
  } else if (TOKEN_OPS.includes(op)) {
    if (typeof value !== "string" || value === "" || /\s/.test(value))
      return `'${op}' needs one token, a word without spaces, got ${fmt(value)}; for several words use one filter per word`;
  } else if (Array.isArray(value)) {
    return `'${op}' needs a single value, not a list`;
  }
  const col = columns.get(column);
  if (!col) return `unknown column '${column}'; available columns: ${[...columns.keys()].join(", ")}`;
  if (col.kind === "tokens")
    return TOKEN_OPS.includes(op) ? null : `column '${column}' holds each text's tokens: use contains or not contains`;
  if (TOKEN_OPS.includes(op)) return `'${op}' works on the tokens column of a text explanation; column '${column}' is ${LABELS[col.kind]}`;
  const values = Array.isArray(value) ? value : [value];
  if (col.kind === "number") {
    const bad = values.find((v) => !isNumber(v));
    return bad === undefined ? null : `column '${column}' is numeric: ${fmt(bad)} is not a number`;
  }
  const label = LABELS[col.kind];
  if (ORDERING.includes(op)) return `'${op}' is not defined for ${label} column '${column}'; use ==, !=, in or not in`;
  for (const v of values) {
    if (col.kind === "bool" && typeof v !== "boolean") return `column '${column}' is boolean: ${fmt(v)} is not true or false`;
    if (col.kind === "category" && categoryValue(v) === null) return `column '${column}' is categorical: ${fmt(v)} is not a string`;
  }
  return null;
}

/** Like validateFilter, for the whole cohort: name, combine, then each filter in order. */
export function validateCohort(cohort: Cohort, columns: Columns): string | null {
  if (typeof cohort.name !== "string" || cohort.name.trim() === "") return "cohort name must be a non-empty string";
  if (cohort.combine !== "all" && cohort.combine !== "any") return `combine must be 'all' or 'any', got '${cohort.combine}'`;
  for (const f of cohort.filters) {
    const reason = validateFilter(f, columns);
    if (reason !== null) return reason;
  }
  return null;
}

const lowerCache = new WeakMap<string[], string[]>();

/** The tokens lower-cased, computed once per column. */
function lowerTokens(col: TokensColumn): string[] {
  let lower = lowerCache.get(col.tokens);
  if (!lower) {
    lower = col.tokens.map((t) => String(t).toLowerCase());
    lowerCache.set(col.tokens, lower);
  }
  return lower;
}

/** Per text, whether one of its tokens equals `word`, ignoring case (what `contains` tests). */
export function containsToken(col: TokensColumn, word: string, nRows: number): Uint8Array {
  const w = word.toLowerCase();
  const lower = lowerTokens(col);
  const out = new Uint8Array(nRows);
  for (let i = 0; i < nRows; i++) {
    for (let t = col.offsets[i]; t < col.offsets[i + 1]; t++) {
      if (lower[t] === w) {
        out[i] = 1;
        break;
      }
    }
  }
  return out;
}

// 1 where a row matches one (already validated) filter.
function evaluateFilter(filter: Filter, col: ColumnValues, nRows: number): Uint8Array {
  const { op, value } = filter;
  if (col.kind === "tokens") {
    const hit = containsToken(col, value as string, nRows);
    if (op === "not contains") for (let i = 0; i < nRows; i++) hit[i] ^= 1;
    return hit;
  }
  const out = new Uint8Array(nRows);
  if (col.kind === "number") {
    const x = col.values;
    const v = Array.isArray(value) ? value.map((w) => Math.fround(w as number)) : [Math.fround(value as number)];
    const set = new Set(v);
    // Each test is false for NaN except != and not in, which are true: the missing-value rule.
    const tests: Record<Exclude<Op, "contains" | "not contains">, (a: number) => boolean> = {
      "==": (a: number) => a === v[0],
      "!=": (a: number) => a !== v[0],
      "<": (a: number) => a < v[0],
      "<=": (a: number) => a <= v[0],
      ">": (a: number) => a > v[0],
      ">=": (a: number) => a >= v[0],
      between: (a: number) => a >= v[0] && a <= v[1],
      in: (a: number) => set.has(a),
      "not in": (a: number) => !set.has(a),
    };
    const test = tests[op as keyof typeof tests]; // token ops never reach a number column (validated)
    for (let i = 0; i < nRows; i++) out[i] = test(x[i]) ? 1 : 0;
    return out;
  }
  const wanted = Array.isArray(value) ? value : [value];
  const positive = op === "==" || op === "in";
  // hit[k]: whether stored value k is one of the wanted ones; missing values never are.
  let hit: (i: number) => boolean;
  if (col.kind === "bool") {
    const t = wanted.includes(true);
    const f = wanted.includes(false);
    hit = (i) => (col.values[i] === 1 && t) || (col.values[i] === 0 && f);
  } else {
    const names = new Set(wanted.map(categoryValue));
    const codes = new Set(col.categories.flatMap((c, k) => (names.has(c) ? [k] : [])));
    hit = (i) => codes.has(col.codes[i]);
  }
  for (let i = 0; i < nRows; i++) out[i] = hit(i) === positive ? 1 : 0;
  return out;
}

/** 1 for each row in the cohort. Throws an Error with validateCohort's reason if it is invalid. */
export function evaluateCohort(cohort: Cohort, columns: Columns, nRows: number): Uint8Array {
  const reason = validateCohort(cohort, columns);
  if (reason !== null) throw new Error(reason);
  const all = cohort.combine === "all";
  const mask = new Uint8Array(nRows).fill(all || cohort.filters.length === 0 ? 1 : 0);
  for (const f of cohort.filters) {
    const col = columns.get(f.column);
    if (!col) throw new Error(`unknown column '${f.column}'`); // validateCohort said so already
    const m = evaluateFilter(f, col, nRows);
    for (let i = 0; i < nRows; i++) mask[i] = all ? mask[i] & m[i] : mask[i] | m[i];
  }
  return mask;
}

export function countRows(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  return n;
}

/** `base`, or `base (2)`, `base (3)`...: the first name not in `taken`. The one rule for new cohort names. */
export function uniqueName(base: string, taken: readonly string[]): string {
  const names = new Set(taken);
  if (!names.has(base)) return base;
  for (let k = 2; ; k++) if (!names.has(`${base} (${k})`)) return `${base} (${k})`;
}

/** A copy of a cohort that shares nothing with it (filters and list values included). */
export function copyCohort(c: Cohort): Cohort {
  return {
    name: c.name,
    combine: c.combine,
    filters: c.filters.map((f) => ({ column: f.column, op: f.op, value: Array.isArray(f.value) ? [...f.value] : f.value })),
  };
}
