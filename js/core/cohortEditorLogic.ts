// The cohort editor's logic, without DOM (unit-tested in tests/js/cohortEditorLogic.test.ts): which
// ops a column takes, a new filter's starting value, what survives an op change, why a filter or a
// name cannot be saved, and how cohorts read in the list. Works on any Dataset's columns.

import { countText, type Noun, ROW } from "./cohortSize";
import { type Cohort, type Filter, OPS, type Op, type Scalar, TOKEN_OPS, uniqueName, validateFilter } from "./cohorts";
import type { Columns, ColumnValues, Dataset, TokensColumn } from "./columns";

const NUMBER_OPS: Op[] = ["==", "!=", "<", "<=", ">", ">=", "between", "in", "not in"];
const EQUALITY_OPS: Op[] = ["==", "!=", "in", "not in"];
export const LIST_OPS: readonly Op[] = ["in", "not in"];
/** How the op select shows an op. */
export const OP_LABELS: Partial<Record<Op, string>> = { "==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "not contains": "does not contain" };
export const SUGGESTED_TOKENS = 200; // frequent words offered while typing a token

/** The ops a column of this kind supports (all of them for a column the data does not have). */
export function opsFor(col: ColumnValues | undefined): Op[] {
  if (!col) return [...OPS];
  if (col.kind === "tokens") return [...TOKEN_OPS];
  return [...(col.kind === "number" ? NUMBER_OPS : EQUALITY_OPS)];
}

/** The op a new filter on this column starts with: `>` where it applies, else the first op. */
export function firstOp(col: ColumnValues | undefined): Op {
  const ops = opsFor(col);
  return ops.includes(">") ? ">" : ops[0];
}

/** The column's words by how many texts use them (lower-cased; stop-words and tokens without a letter left out). */
export function frequentTokens(col: TokensColumn, k: number, stopWords: ReadonlySet<string> = new Set()): string[] {
  const docs = new Map<string, number>();
  for (let i = 0; i + 1 < col.offsets.length; i++) {
    const seen = new Set<string>();
    for (let t = col.offsets[i]; t < col.offsets[i + 1]; t++) seen.add(String(col.tokens[t]).toLowerCase());
    for (const w of seen) if (/\p{L}/u.test(w) && !/\s/.test(w) && !stopWords.has(w)) docs.set(w, (docs.get(w) ?? 0) + 1);
  }
  return [...docs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([w]) => w);
}

/** A filter as people read it, e.g. `age between 30 and 40`, `sex in ["F", "X"]`. */
export function filterText(f: Filter): string {
  const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));
  if (f.op === "between" && Array.isArray(f.value)) return `${f.column} between ${show(f.value[0])} and ${show(f.value[1])}`;
  const value = Array.isArray(f.value) ? `[${f.value.map(show).join(", ")}]` : show(f.value);
  return `${f.column} ${f.op} ${value}`;
}

/** A cohort's filters as people read them, joined by AND / OR. */
export function cohortSummary(c: Cohort): string {
  if (!c.filters.length) return "no filters: every row";
  return c.filters.map(filterText).join(c.combine === "all" ? " AND " : " OR ");
}

export interface NumberStats {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

/** 4 significant digits: the starting values the editor proposes. */
export const round4 = (v: number) => Number(v.toPrecision(4));

/** Min, quartiles and max of the non-missing values (lower order statistics, no interpolation); null when all are missing. */
export function numberStats(values: Float32Array): NumberStats | null {
  const xs = Float64Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort();
  if (!xs.length) return null;
  const q = (p: number) => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1)))];
  return { min: xs[0], q1: q(0.25), median: q(0.5), q3: q(0.75), max: xs[xs.length - 1] };
}

/** A decimal number as typed (no hex, no empty string); anything else stays a string, so validation names it. */
export function parseNumber(text: string): number | string {
  const t = text.trim();
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : t;
}

/** Why the filter cannot be saved, in words for the user (the editor's own words for empty inputs, else validateFilter's); null when it can. */
export function filterProblem(f: Filter, columns: Columns): string | null {
  const col = columns.get(f.column);
  const values = Array.isArray(f.value) ? f.value : [f.value];
  if (col?.kind === "number" && values.some((v) => v === null || v === "")) {
    return f.op === "between" ? "Enter both ends of the range." : `Enter a number for '${f.column}'.`;
  }
  if (col?.kind === "tokens" && f.value === "") return "Enter a word to look for.";
  return validateFilter(f, columns);
}

/** Why a draft named `name` cannot be saved (empty, or another cohort's name), or null. `original`: its name before editing. */
export function nameProblem(name: string, original: string | null, taken: readonly string[]): string | null {
  const trimmed = name.trim();
  if (!trimmed) return "Give the cohort a name.";
  if (trimmed !== original && taken.includes(trimmed)) return `Another cohort is already called "${trimmed}"; names must be unique.`;
  return null;
}

/** The name a new cohort starts with: Cohort 1, Cohort 2... whichever is free. */
export function nextCohortName(taken: readonly string[]): string {
  for (let k = 1; ; k++) if (!taken.includes(`Cohort ${k}`)) return `Cohort ${k}`;
}

/** The name of a duplicate of `name`: "x (copy)", then "x (copy) (2)"... */
export function copyName(name: string, taken: readonly string[]): string {
  return uniqueName(`${name} (copy)`, taken);
}

/** "6 rows (100.0%)", "1 text (25.0%)": a cohort's size in the list, counted in the modality's noun. */
export function sizeText(count: number, n: number, noun: Noun = ROW): string {
  const share = n ? ` (${((100 * count) / n).toFixed(1)}%)` : "";
  return `${countText(count, noun)}${share}`;
}

/** The dataset's columns as the column select groups them: features, labels and predictions, words. */
export function columnGroups(data: Dataset): { features: string[]; special: string[]; words: string[] } {
  const features: string[] = [];
  const special: string[] = [];
  const words: string[] = [];
  for (const col of data.columns.values()) {
    if (col.role === "feature") features.push(col.name);
    else if (col.kind === "tokens") words.push(col.name);
    else special.push(col.name);
  }
  return { features, special, words };
}

/**
 * What the editor knows of each column, computed once per column: number stats and frequent words,
 * and from them a new filter's starting value and the value kept when the op changes.
 */
export class ColumnHints {
  private stats = new Map<string, NumberStats | null>();
  private words = new Map<string, string[]>();

  constructor(
    readonly columns: Columns,
    private readonly stopWords: ReadonlySet<string> = new Set(),
  ) {}

  statsOf(name: string): NumberStats | null {
    const col = this.columns.get(name);
    if (col?.kind !== "number") return null;
    let s = this.stats.get(name);
    if (s === undefined) {
      s = numberStats(col.values);
      this.stats.set(name, s);
    }
    return s;
  }

  /** The column's most used words (a tokens column), for suggestions while typing. */
  wordsOf(name: string): string[] {
    const col = this.columns.get(name);
    if (col?.kind !== "tokens") return [];
    let w = this.words.get(name);
    if (!w) {
      w = frequentTokens(col, SUGGESTED_TOKENS, this.stopWords);
      this.words.set(name, w);
    }
    return w;
  }

  /** A sensible starting value, so a new filter is valid at once and the count means something. */
  defaultValue(column: string, op: Op): Filter["value"] {
    const col = this.columns.get(column);
    const list = LIST_OPS.includes(op);
    if (col?.kind === "number") {
      const s = this.statsOf(column);
      if (!s) return op === "between" ? [0, 0] : list ? [] : 0;
      if (op === "between") return [round4(s.q1), round4(s.q3)];
      return list ? [round4(s.median)] : round4(s.median);
    }
    if (col?.kind === "bool") return list ? [true] : true;
    if (col?.kind === "category") return list ? [] : (col.categories[0] ?? "");
    if (col?.kind === "tokens") return this.wordsOf(column)[0] ?? "";
    return null;
  }

  /** The value of `f` after its op changes to `to`: what the user entered, where it still fits. */
  coerceValue(f: Filter, to: Op): Filter["value"] {
    const { op: from, value: v } = f;
    const col = this.columns.get(f.column);
    if (to === "between") {
      if (from === "between") return v;
      const s = this.statsOf(f.column);
      if (typeof v === "number" && s) return [v, Math.max(v, round4(s.max))];
      return this.defaultValue(f.column, to);
    }
    if (LIST_OPS.includes(to)) {
      if (LIST_OPS.includes(from)) return v;
      if (from === "between") return Array.isArray(v) ? v.filter((x) => x !== null) : [];
      if (col?.kind === "category" || col?.kind === "bool" || col?.kind === "number") return v === null ? [] : [v as Scalar];
      return [v as Scalar];
    }
    if (Array.isArray(v)) return v.length ? v[0] : this.defaultValue(f.column, to);
    return v;
  }

  /** A new filter: on the first feature (else the first column), with its first op and a starting value. */
  newFilter(order: readonly string[]): Filter {
    const column = order[0] ?? "";
    const op = firstOp(this.columns.get(column));
    return { column, op, value: this.defaultValue(column, op) };
  }
}
