// Cohort editor: list, create, edit, duplicate and delete cohorts. While editing, the row count of
// the draft updates as you type and each invalid filter says why (validateFilter's words).
// A text explanation's `tokens` column offers contains / not contains with a word box.
import {
  Cohort,
  CohortColumn,
  countRows,
  evaluateCohort,
  Filter,
  Op,
  OPS,
  Scalar,
  TOKEN_OPS,
  TokensColumn,
  validateFilter,
} from "../cohorts";
import { fmt, h, option } from "../dom";
import type { Store } from "../store";
import { STOP_WORDS } from "../text";
import type { View } from "./view";

/** The cohort of every row, added by the kernel: it cannot be edited or deleted. */
export const ALL_DATA = "All data";

const NUMBER_OPS: Op[] = ["==", "!=", "<", "<=", ">", ">=", "between", "in", "not in"];
const EQUALITY_OPS: Op[] = ["==", "!=", "in", "not in"];
const LIST_OPS: readonly Op[] = ["in", "not in"];
const OP_LABELS: Partial<Record<Op, string>> = { "==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "not contains": "does not contain" };
const COUNT_DELAY = 100; // ms: the live count waits this long after the last keystroke
const SUGGESTED_TOKENS = 200; // frequent words offered while typing a token

/** The ops a column of this kind supports (all of them for a column the data does not have). */
export function opsFor(col: CohortColumn | undefined): Op[] {
  if (!col) return [...OPS];
  if (col.kind === "tokens") return [...TOKEN_OPS];
  return [...(col.kind === "number" ? NUMBER_OPS : EQUALITY_OPS)];
}

/** The column's words by how many texts use them (lower-cased; stop-words and punctuation left out). */
export function frequentTokens(col: TokensColumn, k: number): string[] {
  const docs = new Map<string, number>();
  for (let i = 0; i + 1 < col.offsets.length; i++) {
    const seen = new Set<string>();
    for (let t = col.offsets[i]; t < col.offsets[i + 1]; t++) seen.add(String(col.tokens[t]).toLowerCase());
    for (const w of seen) if (/\p{L}/u.test(w) && !/\s/.test(w) && !STOP_WORDS.has(w)) docs.set(w, (docs.get(w) ?? 0) + 1);
  }
  return [...docs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([w]) => w);
}

let datalistIds = 0;

/** A filter as people read it, e.g. `age between 30 and 40`, `sex in ["F", "X"]`. */
export function filterText(f: Filter): string {
  const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));
  if (f.op === "between" && Array.isArray(f.value)) return `${f.column} between ${show(f.value[0])} and ${show(f.value[1])}`;
  const value = Array.isArray(f.value) ? `[${f.value.map(show).join(", ")}]` : show(f.value);
  return `${f.column} ${f.op} ${value}`;
}

export function cohortSummary(c: Cohort): string {
  if (!c.filters.length) return "no filters: every row";
  return c.filters.map(filterText).join(c.combine === "all" ? " AND " : " OR ");
}

/** `base`, or `base 2`, `base 3`... whichever is not taken. */
function uniqueName(base: string, taken: string[]): string {
  if (!taken.includes(base)) return base;
  for (let i = 2; ; i++) if (!taken.includes(`${base} ${i}`)) return `${base} ${i}`;
}

interface NumberStats {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

const round4 = (v: number) => Number(v.toPrecision(4));

function numberStats(values: Float32Array): NumberStats | null {
  const xs = Float64Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort();
  if (!xs.length) return null;
  const q = (p: number) => xs[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1)))];
  return { min: xs[0], q1: q(0.25), median: q(0.5), q3: q(0.75), max: xs[xs.length - 1] };
}

/** A decimal number as typed (no hex, no empty string); anything else stays a string, so validation names it. */
function parseNumber(text: string): number | string {
  const t = text.trim();
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? Number(t) : t;
}

export function createCohortEditor(store: Store): View {
  const { data } = store;
  const columns: Record<string, CohortColumn> = data.columns();
  const features = new Set(data.meta.feature_names);
  const names = Object.keys(columns);
  const featureColumns = names.filter((c) => features.has(c));
  const tokenColumns = names.filter((c) => columns[c].kind === "tokens" && !features.has(c));
  const specialColumns = names.filter((c) => !features.has(c) && !tokenColumns.includes(c));
  const suggestions = new Map<string, string[]>();
  const suggestionsOf = (name: string): string[] => {
    const col = columns[name];
    if (col?.kind !== "tokens") return [];
    if (!suggestions.has(name)) suggestions.set(name, frequentTokens(col, SUGGESTED_TOKENS));
    return suggestions.get(name)!;
  };
  const statsCache = new Map<string, NumberStats | null>();
  const statsOf = (name: string): NumberStats | null => {
    const col = columns[name];
    if (col?.kind !== "number") return null;
    if (!statsCache.has(name)) statsCache.set(name, numberStats(col.values));
    return statsCache.get(name) ?? null;
  };

  /** A sensible starting value, so a new filter is valid at once and the count means something. */
  const defaultValue = (column: string, op: Op): Filter["value"] => {
    const col = columns[column];
    const list = LIST_OPS.includes(op);
    if (col?.kind === "number") {
      const s = statsOf(column);
      if (!s) return op === "between" ? [0, 0] : list ? [] : 0;
      if (op === "between") return [round4(s.q1), round4(s.q3)];
      return list ? [round4(s.median)] : round4(s.median);
    }
    if (col?.kind === "bool") return list ? [true] : true;
    if (col?.kind === "category") return list ? [] : (col.categories[0] ?? "");
    if (col?.kind === "tokens") return suggestionsOf(column)[0] ?? "";
    return null;
  };

  /** Keep what the user entered when switching op, where it still fits. */
  const coerceValue = (f: Filter, to: Op): Filter["value"] => {
    const { op: from, value: v } = f;
    const col = columns[f.column];
    if (to === "between") {
      if (from === "between") return v;
      const s = statsOf(f.column);
      if (typeof v === "number" && s) return [v, Math.max(v, round4(s.max))];
      return defaultValue(f.column, to);
    }
    if (LIST_OPS.includes(to)) {
      if (LIST_OPS.includes(from)) return v;
      if (from === "between") return Array.isArray(v) ? v.filter((x) => x !== null) : [];
      if (col?.kind === "category" || col?.kind === "bool" || col?.kind === "number") return v === null ? [] : [v as Scalar];
      return [v as Scalar];
    }
    if (Array.isArray(v)) return v.length ? v[0] : defaultValue(f.column, to);
    return v;
  };

  // ---------------------------------------------------------------- the list of cohorts
  const list = h("div", { cls: "rw-ce-list", attrs: { role: "list" } });
  const newButton = h("button", { cls: "rw-ce-new", text: "New cohort", testid: "cohort-new", attrs: { type: "button" } });
  const formHost = h("div", { cls: "rw-ce-form-host" });
  const el = h("div", { cls: "rw-ce", testid: "cohort-editor" }, [
    h("div", { cls: "rw-ce-head" }, [
      h("span", { cls: "rw-ce-intro", text: "A cohort is a named set of rows; the active one (chosen at the top) drives every view." }),
      newButton,
    ]),
    list,
    formHost,
  ]);

  const cohortNames = () => store.state.cohorts.map((c) => c.name);

  const duplicate = (c: Cohort) => {
    const copy: Cohort = JSON.parse(JSON.stringify(c));
    copy.name = uniqueName(`${c.name} (copy)`, cohortNames());
    const cohorts = [...store.state.cohorts];
    cohorts.splice(cohorts.findIndex((x) => x.name === c.name) + 1, 0, copy);
    store.update({ cohorts });
  };

  const remove = (c: Cohort) => {
    const cohorts = store.state.cohorts.filter((x) => x.name !== c.name);
    if (!cohorts.length) return;
    const active = store.state.active === c.name ? cohorts[0].name : store.state.active;
    if (editing?.original === c.name) closeForm();
    store.update({ cohorts, active });
  };

  const renderList = () => {
    const { cohorts, active } = store.state;
    list.replaceChildren(
      ...cohorts.map((c) => {
        const { count, error } = store.maskOf(c);
        const fixed = c.name === ALL_DATA;
        const isActive = c.name === active;
        const button = (text: string, testid: string, title: string, onClick: () => void, disabled = false) => {
          const b = h("button", { text, testid, title, attrs: { type: "button" } });
          b.disabled = disabled;
          b.addEventListener("click", onClick);
          return b;
        };
        const share = data.n ? ` (${((100 * count) / data.n).toFixed(1)}%)` : "";
        const item = h("div", { cls: "rw-ce-item", testid: "cohort-item", attrs: { role: "listitem" } }, [
          h("div", { cls: "rw-ce-item-main" }, [
            h("span", { cls: "rw-ce-name", text: c.name, title: c.name }),
            isActive ? h("span", { cls: "rw-ce-badge", text: "active", title: "The cohort every view shows" }) : null,
            h("span", {
              cls: "rw-ce-count" + (error ? " rw-ce-invalid" : ""),
              testid: "cohort-count",
              text: error ? "invalid" : `${count.toLocaleString()} rows${share}`,
            }),
          ]),
          h("div", { cls: "rw-ce-summary" + (error ? " rw-ce-invalid" : ""), text: error ?? cohortSummary(c), title: cohortSummary(c) }),
          h("div", { cls: "rw-ce-actions" }, [
            button(
              "Edit",
              "cohort-edit",
              fixed ? `"${ALL_DATA}" is every row and cannot be edited` : "Edit this cohort",
              () => openForm(c),
              fixed,
            ),
            button("Duplicate", "cohort-duplicate", "Make a copy of this cohort", () => duplicate(c)),
            button(
              "Delete",
              "cohort-delete",
              fixed ? `"${ALL_DATA}" cannot be deleted` : cohorts.length < 2 ? "The last cohort cannot be deleted" : "Delete this cohort",
              () => remove(c),
              fixed || cohorts.length < 2,
            ),
          ]),
        ]);
        item.classList.toggle("rw-ce-active", isActive);
        item.classList.toggle("rw-ce-editing", editing?.original === c.name);
        return item;
      }),
    );
  };

  // ---------------------------------------------------------------- the form that edits one cohort
  interface FilterRow {
    filter: Filter;
    el: HTMLElement;
    error: HTMLElement;
  }
  interface Editing {
    original: string | null; // the cohort's name before editing; null for a new cohort
    draft: Cohort;
    rows: FilterRow[];
    form: HTMLElement;
    nameInput: HTMLInputElement;
    nameError: HTMLElement;
    filterList: HTMLElement;
    count: HTMLElement;
    save: HTMLButtonElement;
    status: HTMLElement;
    timer: ReturnType<typeof setTimeout> | null;
  }
  let editing: Editing | null = null;

  const closeForm = () => {
    if (editing?.timer) clearTimeout(editing.timer);
    editing = null;
    formHost.replaceChildren();
    renderList();
  };

  /** Why the draft's name cannot be saved, or null. */
  const nameProblem = (e: Editing): string | null => {
    const name = e.draft.name.trim();
    if (!name) return "Give the cohort a name.";
    if (name !== e.original && cohortNames().includes(name)) return `Another cohort is already called "${name}"; names must be unique.`;
    return null;
  };

  const filterProblem = (f: Filter): string | null => {
    const col = columns[f.column];
    const values = Array.isArray(f.value) ? f.value : [f.value];
    if (col?.kind === "number" && values.some((v) => v === null || v === "")) {
      return f.op === "between" ? "Enter both ends of the range." : `Enter a number for '${f.column}'.`;
    }
    if (col?.kind === "tokens" && f.value === "") return "Enter a word to look for.";
    return validateFilter(f, columns);
  };

  const showCount = (e: Editing) => {
    e.timer = null;
    e.count.classList.remove("rw-ce-pending");
    try {
      const n = countRows(evaluateCohort({ ...e.draft, name: "draft" }, columns, data.n));
      e.count.textContent = `${n.toLocaleString()} of ${data.n.toLocaleString()} rows`;
      e.count.classList.toggle("rw-ce-zero", n === 0);
      e.count.title = n === 0 ? "No row matches: the views will have nothing to show for this cohort." : "";
    } catch (err) {
      e.count.textContent = "—";
      e.count.title = (err as Error).message;
    }
  };

  /** Re-check everything after any change: messages and Save at once, the count after a short pause. */
  const changed = () => {
    const e = editing;
    if (!e) return;
    const nameMsg = nameProblem(e);
    e.nameError.textContent = nameMsg ?? "";
    e.nameInput.setAttribute("aria-invalid", String(nameMsg !== null));
    let bad = 0;
    for (const row of e.rows) {
      const msg = filterProblem(row.filter);
      row.error.textContent = msg ?? "";
      row.el.classList.toggle("rw-ce-bad", msg !== null);
      if (msg) bad++;
    }
    e.save.disabled = nameMsg !== null || bad > 0;
    e.status.textContent = bad
      ? `Fix ${bad === 1 ? "the filter" : `${bad} filters`} marked in red to save.`
      : nameMsg
        ? "Fix the name to save."
        : "";
    if (e.timer) clearTimeout(e.timer);
    if (bad) {
      e.count.textContent = "—";
      e.count.title = "The count appears once every filter is valid.";
      e.count.classList.remove("rw-ce-zero");
    } else {
      e.count.classList.add("rw-ce-pending");
      e.timer = setTimeout(() => showCount(e), COUNT_DELAY);
    }
  };

  const columnSelect = (f: Filter): HTMLSelectElement => {
    const sel = h("select", { cls: "rw-ce-column", testid: "filter-column", attrs: { "aria-label": "Column" } });
    const group = (label: string, cols: string[]) => {
      const g = h("optgroup");
      g.label = label; // a property, not markup
      for (const c of cols) g.appendChild(option(c, c, c === f.column));
      return g;
    };
    if (!(f.column in columns)) sel.appendChild(option(f.column, `${f.column} (not in the data)`, true));
    if (featureColumns.length) sel.appendChild(group("Features", featureColumns));
    if (specialColumns.length) sel.appendChild(group("Labels and predictions", specialColumns));
    if (tokenColumns.length) sel.appendChild(group("Words", tokenColumns));
    sel.value = f.column;
    return sel;
  };

  const fillOps = (sel: HTMLSelectElement, f: Filter) => {
    const ops = opsFor(columns[f.column]);
    if (!ops.includes(f.op)) ops.push(f.op); // e.g. a cohort from Python with '<' on a category: say why
    sel.replaceChildren(...ops.map((op) => option(op, OP_LABELS[op] ?? op, op === f.op)));
    sel.value = f.op;
  };

  const numberInput = (value: Scalar | undefined, label: string, onInput: (v: number | null) => void) => {
    const input = h("input", { cls: "rw-ce-number", attrs: { type: "number", step: "any", "aria-label": label } });
    input.value = typeof value === "number" ? String(value) : "";
    input.addEventListener("input", () => {
      onInput(input.value.trim() === "" ? null : (parseNumber(input.value) as number));
    });
    return input;
  };

  /** The value input(s) fitting the column's kind and the op. */
  const fillValue = (cell: HTMLElement, f: Filter) => {
    const col = columns[f.column];
    const list = LIST_OPS.includes(f.op);
    cell.replaceChildren();
    if (col?.kind === "number") {
      if (f.op === "between") {
        const [lo, hi] = Array.isArray(f.value) ? f.value : [null, null];
        const range: (number | null)[] = [typeof lo === "number" ? lo : null, typeof hi === "number" ? hi : null];
        const lower = numberInput(lo, "From", (v) => {
          range[0] = v;
          f.value = [...range];
          changed();
        });
        const upper = numberInput(hi, "To", (v) => {
          range[1] = v;
          f.value = [...range];
          changed();
        });
        lower.dataset.testid = "filter-value";
        upper.dataset.testid = "filter-value-hi";
        cell.append(lower, h("span", { cls: "rw-ce-and", text: "and" }), upper);
      } else if (list) {
        const input = h("input", {
          cls: "rw-ce-list-input",
          testid: "filter-value",
          attrs: { type: "text", placeholder: "numbers, comma-separated", "aria-label": "Values" },
        });
        input.value = Array.isArray(f.value) ? f.value.join(", ") : "";
        input.addEventListener("input", () => {
          f.value = input.value
            .split(",")
            .filter((t) => t.trim() !== "")
            .map(parseNumber);
          changed();
        });
        cell.append(input);
      } else {
        const input = numberInput(Array.isArray(f.value) ? undefined : f.value, "Value", (v) => {
          f.value = v;
          changed();
        });
        input.dataset.testid = "filter-value";
        cell.append(input);
      }
      const s = statsOf(f.column);
      cell.append(h("span", { cls: "rw-ce-hint", text: s ? `range ${fmt(s.min, 4)} to ${fmt(s.max, 4)}` : "no values" }));
      return;
    }
    if (col?.kind === "tokens") {
      const listId = `rw-ce-words-${++datalistIds}`;
      const words = h("datalist", { attrs: { id: listId } });
      words.append(...suggestionsOf(f.column).map((w) => option(w, w)));
      const input = h("input", {
        cls: "rw-ce-list-input rw-ce-token-input",
        testid: "filter-value",
        attrs: { type: "text", list: listId, placeholder: "a word, e.g. boring", "aria-label": "Word", spellcheck: "false" },
      });
      input.value = typeof f.value === "string" ? f.value : JSON.stringify(f.value);
      input.addEventListener("input", () => {
        f.value = input.value.trim();
        changed();
      });
      cell.append(input, words, h("span", { cls: "rw-ce-hint", text: "whole word, any case" }));
      return;
    }
    if (col?.kind === "category" || col?.kind === "bool") {
      const choices: { label: string; value: Scalar }[] =
        col.kind === "bool"
          ? [
              { label: "true", value: true },
              { label: "false", value: false },
            ]
          : col.categories.map((c) => ({ label: c, value: c }));
      const same = (a: Scalar, b: Scalar) => (col.kind === "bool" ? a === b : a !== null && b !== null && String(a) === String(b));
      // Values the data does not have (from Python, say) stay visible so they can be seen and removed.
      const current = Array.isArray(f.value) ? f.value : [f.value];
      for (const v of current) {
        if (!choices.some((c) => same(c.value, v))) choices.push({ label: `${String(v)} (not in the data)`, value: v });
      }
      if (list) {
        const box = h("div", { cls: "rw-ce-checks", testid: "filter-value", attrs: { role: "group", "aria-label": "Values" } });
        const checks = choices.map((c) => {
          const input = h("input", { attrs: { type: "checkbox" } });
          input.checked = current.some((v) => same(c.value, v));
          input.addEventListener("change", () => {
            f.value = choices.filter((_, k) => checks[k].checked).map((x) => x.value);
            changed();
          });
          box.appendChild(h("label", { cls: "rw-ce-check" }, [input, h("span", { text: c.label })]));
          return input;
        });
        if (!choices.length) box.appendChild(h("span", { cls: "rw-ce-hint", text: "no values" }));
        cell.append(box);
      } else {
        const sel = h("select", { cls: "rw-ce-choice", testid: "filter-value", attrs: { "aria-label": "Value" } });
        sel.replaceChildren(...choices.map((c, k) => option(String(k), c.label, same(c.value, f.value as Scalar))));
        const k = choices.findIndex((c) => same(c.value, f.value as Scalar));
        sel.value = String(Math.max(0, k));
        sel.addEventListener("change", () => {
          f.value = choices[Number(sel.value)].value;
          changed();
        });
        cell.append(sel);
      }
      return;
    }
    // A column the data does not have: show the value as JSON so nothing is hidden.
    const input = h("input", { cls: "rw-ce-list-input", testid: "filter-value", attrs: { type: "text", "aria-label": "Value" } });
    input.value = JSON.stringify(f.value);
    input.addEventListener("input", () => {
      try {
        f.value = JSON.parse(input.value);
      } catch {
        f.value = input.value;
      }
      changed();
    });
    cell.append(input);
  };

  const filterRow = (e: Editing, f: Filter): FilterRow => {
    const colSel = columnSelect(f);
    const opSel = h("select", { cls: "rw-ce-op", testid: "filter-op", attrs: { "aria-label": "Operator" } });
    const valueCell = h("span", { cls: "rw-ce-value" });
    const removeButton = h("button", {
      cls: "rw-ce-remove",
      text: "Remove",
      testid: "filter-remove",
      title: "Remove this filter",
      attrs: { type: "button" },
    });
    const error = h("div", { cls: "rw-ce-error", testid: "filter-error", attrs: { "aria-live": "polite" } });
    const el = h("div", { cls: "rw-ce-filter", testid: "filter-row" }, [
      h("div", { cls: "rw-ce-filter-line" }, [colSel, opSel, valueCell, removeButton]),
      error,
    ]);
    fillOps(opSel, f);
    fillValue(valueCell, f);

    colSel.addEventListener("change", () => {
      f.column = colSel.value;
      const ops = opsFor(columns[f.column]);
      if (!ops.includes(f.op)) f.op = ops.includes(">") ? ">" : ops[0];
      f.value = defaultValue(f.column, f.op);
      fillOps(opSel, f);
      fillValue(valueCell, f);
      changed();
    });
    opSel.addEventListener("change", () => {
      const to = opSel.value as Op;
      f.value = coerceValue(f, to);
      f.op = to;
      fillValue(valueCell, f);
      changed();
    });
    removeButton.addEventListener("click", () => {
      e.draft.filters = e.draft.filters.filter((x) => x !== f);
      renderFilters(e);
      changed();
    });
    return { filter: f, el, error };
  };

  const renderFilters = (e: Editing) => {
    e.rows = e.draft.filters.map((f) => filterRow(e, f));
    e.filterList.replaceChildren(...e.rows.map((r) => r.el));
    if (!e.rows.length) e.filterList.appendChild(h("div", { cls: "rw-ce-hint", text: "No filters: the cohort is every row." }));
  };

  const newFilter = (): Filter => {
    const column = featureColumns[0] ?? names[0];
    const ops = opsFor(columns[column]);
    const op: Op = ops.includes(">") ? ">" : ops[0];
    return { column, op, value: defaultValue(column, op) };
  };

  const save = () => {
    const e = editing;
    if (!e) return;
    changed();
    if (e.save.disabled) return;
    const cohort: Cohort = { ...JSON.parse(JSON.stringify(e.draft)), name: e.draft.name.trim() };
    const cohorts = [...store.state.cohorts];
    const at = e.original === null ? -1 : cohorts.findIndex((c) => c.name === e.original);
    if (at >= 0) cohorts[at] = cohort;
    else cohorts.push(cohort);
    closeForm();
    store.update({ cohorts, active: cohort.name });
  };

  function openForm(source: Cohort | null) {
    if (editing?.timer) clearTimeout(editing.timer);
    const draft: Cohort = source
      ? JSON.parse(JSON.stringify({ name: source.name, combine: source.combine, filters: source.filters }))
      : { name: nextCohortName(), combine: "all", filters: [] };
    const nameInput = h("input", { cls: "rw-ce-name-input", testid: "cohort-name", attrs: { type: "text", "aria-label": "Cohort name" } });
    nameInput.value = draft.name;
    const combine = h("select", { cls: "rw-ce-combine", testid: "cohort-combine", attrs: { "aria-label": "Combine filters" } }, [
      option("all", "all filters (AND)", draft.combine === "all"),
      option("any", "any filter (OR)", draft.combine === "any"),
    ]);
    combine.value = draft.combine;
    const addButton = h("button", { cls: "rw-ce-add", text: "Add filter", testid: "filter-add", attrs: { type: "button" } });
    const saveButton = h("button", { cls: "rw-ce-save", text: "Save", testid: "cohort-save", attrs: { type: "submit" } });
    const cancelButton = h("button", { cls: "rw-ce-cancel", text: "Cancel", testid: "cohort-cancel", attrs: { type: "button" } });
    const e: Editing = {
      original: source ? source.name : null,
      draft,
      rows: [],
      form: h("form", { cls: "rw-ce-form", testid: "cohort-form", attrs: { novalidate: "" } }),
      nameInput,
      nameError: h("div", { cls: "rw-ce-error", testid: "cohort-name-error", attrs: { "aria-live": "polite" } }),
      filterList: h("div", { cls: "rw-ce-filters" }),
      count: h("span", { cls: "rw-ce-draft-count", testid: "cohort-draft-count", attrs: { "aria-live": "polite" } }),
      save: saveButton,
      status: h("span", { cls: "rw-ce-status" }),
      timer: null,
    };
    e.form.append(
      h("div", { cls: "rw-ce-form-title", text: source ? "Edit cohort" : "New cohort" }),
      h("div", { cls: "rw-ce-fields" }, [
        h("label", { cls: "rw-ce-field rw-ce-field-name" }, [h("span", { text: "Name" }), nameInput]),
        h("label", { cls: "rw-ce-field" }, [h("span", { text: "Rows matching" }), combine]),
      ]),
      e.nameError,
      e.filterList,
      h("div", { cls: "rw-ce-form-foot" }, [
        addButton,
        h("span", { cls: "rw-ce-count-line" }, [h("span", { cls: "rw-ce-muted", text: "Count: " }), e.count]),
      ]),
      h("div", { cls: "rw-ce-buttons" }, [saveButton, cancelButton, e.status]),
    );
    nameInput.addEventListener("input", () => {
      draft.name = nameInput.value;
      changed();
    });
    combine.addEventListener("change", () => {
      draft.combine = combine.value === "any" ? "any" : "all";
      changed();
    });
    addButton.addEventListener("click", () => {
      draft.filters.push(newFilter());
      renderFilters(e);
      changed();
      const rows = e.filterList.querySelectorAll<HTMLSelectElement>('[data-testid="filter-column"]');
      rows[rows.length - 1]?.focus();
    });
    cancelButton.addEventListener("click", closeForm);
    e.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      save();
    });
    e.form.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") closeForm();
    });
    editing = e;
    renderFilters(e);
    formHost.replaceChildren(e.form);
    renderList();
    changed();
    if (e.timer) clearTimeout(e.timer);
    showCount(e); // no wait for the first count
    nameInput.focus();
  }

  const nextCohortName = () => {
    const taken = cohortNames();
    for (let k = 1; ; k++) if (!taken.includes(`Cohort ${k}`)) return `Cohort ${k}`;
  };

  newButton.addEventListener("click", () => openForm(null));
  renderList();

  return {
    el,
    update(changedKeys) {
      if (changedKeys.has("cohorts") || changedKeys.has("active")) {
        renderList();
        if (editing) changed(); // a cohort from Python may now take the draft's name
      }
    },
    destroy() {
      if (editing?.timer) clearTimeout(editing.timer);
    },
  };
}
