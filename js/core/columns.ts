// The cohort columns of an explanation as the kernel ships them (docs/architecture.md, "The column
// spec"): Python computes every column once (rai_widget/explanations/_columns.py) and sends them in
// `arrays.columns`; this module decodes them once into a Dataset. Nothing here derives a column.
import { decodeArray, type WireArray } from "./arrays";

export type Role = "feature" | "special";

/** A column's values: numbers (NaN missing), category codes (-1 missing), booleans (1 / 0, 255 missing), or each row's tokens. */
export type NumberColumn = { kind: "number"; values: Float32Array };
export type CategoryColumn = { kind: "category"; codes: Int32Array; categories: string[] };
export type BoolColumn = { kind: "bool"; values: Uint8Array };
/** Row i's tokens are tokens[offsets[i] .. offsets[i + 1]). */
export type TokensColumn = { kind: "tokens"; offsets: Int32Array; tokens: string[] };
export type ColumnValues = NumberColumn | CategoryColumn | BoolColumn | TokensColumn;

/** A decoded column: its values, its name and whether it is a model input ("feature") or not ("special"). */
export type Column = ColumnValues & { name: string; role: Role };

/** What the cohort evaluator reads: columns by name. A Map, so any name (even `__proto__`) is just a name. */
export type Columns = ReadonlyMap<string, ColumnValues>;

/** One column as it travels (see _payload/_common.py). */
export type WireColumn = { name: string; role: Role } & (
  | { kind: "number"; values: WireArray }
  | { kind: "category"; codes: WireArray; categories: string[] }
  | { kind: "bool"; values: WireArray }
  | { kind: "tokens"; offsets: WireArray; tokens: string[] }
);

/** The meta every payload has. */
export interface CommonMeta {
  n_rows: number;
  output_names: string[];
  task: string;
  units: string;
  all_data: string; // the name of the cohort of every row
}

/** The rows of an explanation as cohorts see them, whatever the modality. */
export interface Dataset {
  readonly n: number;
  /** Every column, in the kernel's display order (features first, in feature order). */
  readonly columns: ReadonlyMap<string, Column>;
  readonly outputNames: string[];
  readonly task: string;
  readonly units: string;
  /** The name of the cohort of every row, as the kernel names it (meta.all_data). */
  readonly allData: string;
}

function typed<T extends Float32Array | Int32Array | Uint8Array>(
  w: WireArray,
  ctor: { new (...a: never[]): T; name: string },
  what: string,
): T {
  const data = decodeArray(w).data;
  if (!(data instanceof ctor)) throw new Error(`${what} should travel as ${ctor.name}, got dtype ${w.dtype}`);
  return data;
}

/** Decode one wire column, checking its length against the number of rows. */
export function decodeColumn(w: WireColumn, n: number): Column {
  const what = `column '${w.name}'`;
  const { name, role } = w;
  let col: Column;
  if (w.kind === "number") col = { name, role, kind: "number", values: typed(w.values, Float32Array, what) };
  else if (w.kind === "category") col = { name, role, kind: "category", codes: typed(w.codes, Int32Array, what), categories: w.categories };
  else if (w.kind === "bool") col = { name, role, kind: "bool", values: typed(w.values, Uint8Array, what) };
  else if (w.kind === "tokens") col = { name, role, kind: "tokens", offsets: typed(w.offsets, Int32Array, what), tokens: w.tokens };
  else throw new Error(`${what} has an unknown kind`);
  const rows = col.kind === "tokens" ? col.offsets.length - 1 : col.kind === "category" ? col.codes.length : col.values.length;
  if (rows !== n) throw new Error(`${what} has ${rows} rows, the explanation ${n}`);
  if (col.kind === "tokens" && col.offsets[n] !== col.tokens.length)
    throw new Error(`${what}: offsets do not match its ${col.tokens.length} tokens`);
  return col;
}

/** The Dataset of a payload: common meta and `arrays.columns`. */
export function decodeDataset(meta: CommonMeta, columns: WireColumn[]): Dataset {
  const n = meta.n_rows;
  const map = new Map<string, Column>();
  for (const w of columns) {
    if (map.has(w.name)) throw new Error(`two columns are named '${w.name}'`);
    map.set(w.name, decodeColumn(w, n));
  }
  return { n, columns: map, outputNames: meta.output_names, task: meta.task, units: meta.units, allData: meta.all_data };
}

/** The special (non-feature) column of that name, if the kernel sent one: a feature of the same name shadows it. */
export function special(data: Dataset, name: string): Column | null {
  const col = data.columns.get(name);
  return col && col.role === "special" ? col : null;
}

/** A special bool column's values (`correct`, `truncated`), or null. */
export function boolColumn(data: Dataset, name: string): Uint8Array | null {
  const col = special(data, name);
  return col?.kind === "bool" ? col.values : null;
}

/** A special number column's values (`confidence`, `error`, `detections`), or null. */
export function numberColumn(data: Dataset, name: string): Float32Array | null {
  const col = special(data, name);
  return col?.kind === "number" ? col.values : null;
}

/** How a number reads: integers in full, other numbers to 6 significant digits. */
export function numberLabel(v: number): string {
  if (Number.isNaN(v)) return "missing";
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
}

/** How row i of a column reads to people ("missing" for a missing value; "" for no column). Display only. */
export function labelOf(col: ColumnValues | null, i: number): string {
  if (!col) return "";
  if (col.kind === "category") return col.codes[i] >= 0 ? col.categories[col.codes[i]] : "missing";
  if (col.kind === "number") return numberLabel(col.values[i]);
  if (col.kind === "tokens") return col.tokens.slice(col.offsets[i], col.offsets[i + 1]).join(" ");
  return col.values[i] === 1 ? "true" : col.values[i] === 0 ? "false" : "missing";
}

/** A sort key for row i of a column: the number, the category code or the boolean; NaN when missing. */
export function sortKeyOf(col: ColumnValues, i: number): number {
  if (col.kind === "number") return col.values[i];
  if (col.kind === "category") return col.codes[i] >= 0 ? col.codes[i] : Number.NaN;
  if (col.kind === "bool") return col.values[i] <= 1 ? col.values[i] : Number.NaN;
  return col.offsets[i + 1] - col.offsets[i];
}
