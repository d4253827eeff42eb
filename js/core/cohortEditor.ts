// Cohort editor: list, create, edit, duplicate and delete cohorts, on any modality's store. While
// editing, the row count of the draft updates as you type and each invalid filter says why
// (validateFilter's words). A text explanation's `tokens` column offers contains / not contains with
// a word box. Its logic (ops, starting values, problems, names) is in cohortEditorLogic.ts.
// The value inputs of a filter are in filterInputs.ts. When the rows are a sample of a larger table (a large
// explanation: core/cohortSize.ts's SampledSizes), every count says so, with the all-row count once known.

import {
  ColumnHints,
  cohortSummary,
  columnGroups,
  copyName,
  filterProblem,
  firstOp,
  nameProblem,
  nextCohortName,
  OP_LABELS,
  opsFor,
  sizeText,
} from "./cohortEditorLogic";
import { countOfText, markCohortSize, type Noun, ROW, sampledSizesOf, sampledSizeText } from "./cohortSize";
import { type Cohort, copyCohort, countRows, evaluateCohort, type Filter, type Op } from "./cohorts";
import { h, option } from "./dom";
import { fillValue } from "./filterInputs";
import type { CoreState, Store } from "./store";
import type { View } from "./view";

const COUNT_DELAY = 100; // ms: the live count waits this long after the last keystroke

export interface CohortEditorOptions {
  /** Words the token suggestions leave out (a text explanation's stop-words). */
  stopWords?: ReadonlySet<string>;
  /** What one item of the data is called in counts (rowNoun(kind): rows, texts, images). */
  noun?: Noun;
}

export function createCohortEditor<S extends CoreState>(store: Store<S>, options: CohortEditorOptions = {}): View<S> {
  const data = store.dataset;
  const { columns } = data;
  const hints = new ColumnHints(columns, options.stopWords);
  const noun = options.noun ?? ROW;
  const groups = columnGroups(data);
  const sizes = sampledSizesOf(store); // a large explanation's sample: counts say "n of N sampled rows"
  const order = [...groups.features, ...groups.special, ...groups.words];

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
    const copy: Cohort = { ...copyCohort(c), name: copyName(c.name, cohortNames()) };
    const cohorts = [...store.state.cohorts];
    cohorts.splice(cohorts.findIndex((x) => x.name === c.name) + 1, 0, copy);
    store.updateCore({ cohorts });
  };

  const remove = (c: Cohort) => {
    const cohorts = store.state.cohorts.filter((x) => x.name !== c.name);
    if (!cohorts.length) return;
    const active = store.state.active === c.name ? cohorts[0].name : store.state.active;
    if (editing?.original === c.name) closeForm();
    store.updateCore({ cohorts, active });
  };

  const renderList = () => {
    const { cohorts, active } = store.state;
    list.replaceChildren(
      ...cohorts.map((c) => {
        const { count, error } = store.maskOf(c);
        const fixed = c.name === data.allData;
        const isActive = c.name === active;
        const button = (text: string, testid: string, title: string, onClick: () => void, disabled = false) => {
          const b = h("button", { text, testid, title, attrs: { type: "button" } });
          b.disabled = disabled;
          b.addEventListener("click", onClick);
          return b;
        };
        const main = h("div", { cls: "rw-ce-item-main" }, [
          h("span", { cls: "rw-ce-name", text: c.name, title: c.name }),
          isActive ? h("span", { cls: "rw-ce-badge", text: "active", title: "The cohort every view shows" }) : null,
          h("span", {
            cls: `rw-ce-count${error ? " rw-ce-invalid" : ""}`,
            testid: "cohort-count",
            text: error ? "invalid" : sizes ? sampledSizeText(sizes, c, count) : sizeText(count, data.n, noun),
          }),
        ]);
        const item = h("div", { cls: "rw-ce-item", testid: "cohort-item", attrs: { role: "listitem" } }, [
          markCohortSize(main, c.name, { count, error }),
          h("div", { cls: `rw-ce-summary${error ? " rw-ce-invalid" : ""}`, text: error ?? cohortSummary(c), title: cohortSummary(c) }),
          h("div", { cls: "rw-ce-actions" }, [
            button(
              "Edit",
              "cohort-edit",
              fixed ? `"${data.allData}" is every row and cannot be edited` : "Edit this cohort",
              () => openForm(c),
              fixed,
            ),
            button("Duplicate", "cohort-duplicate", "Make a copy of this cohort", () => duplicate(c)),
            button(
              "Delete",
              "cohort-delete",
              fixed
                ? `"${data.allData}" cannot be deleted`
                : cohorts.length < 2
                  ? "The last cohort cannot be deleted"
                  : "Delete this cohort",
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

  const showCount = (e: Editing) => {
    e.timer = null;
    e.count.classList.remove("rw-ce-pending");
    try {
      const n = countRows(evaluateCohort({ ...e.draft, name: "draft" }, columns, data.n));
      e.count.textContent = sizes ? sampledSizeText(sizes, e.draft, n) : countOfText(n, data.n, noun);
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
    const nameMsg = nameProblem(e.draft.name, e.original, cohortNames());
    e.nameError.textContent = nameMsg ?? "";
    e.nameInput.setAttribute("aria-invalid", String(nameMsg !== null));
    let bad = 0;
    for (const row of e.rows) {
      const msg = filterProblem(row.filter, columns);
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
    if (!columns.has(f.column)) sel.appendChild(option(f.column, `${f.column} (not in the data)`, true));
    if (groups.features.length) sel.appendChild(group("Features", groups.features));
    if (groups.special.length) sel.appendChild(group("Labels and predictions", groups.special));
    if (groups.words.length) sel.appendChild(group("Words", groups.words));
    sel.value = f.column;
    return sel;
  };

  const fillOps = (sel: HTMLSelectElement, f: Filter) => {
    const ops = opsFor(columns.get(f.column));
    if (!ops.includes(f.op)) ops.push(f.op); // e.g. a cohort from Python with '<' on a category: say why
    sel.replaceChildren(...ops.map((op) => option(op, OP_LABELS[op] ?? op, op === f.op)));
    sel.value = f.op;
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
    fillValue(valueCell, f, columns.get(f.column), hints, changed);

    colSel.addEventListener("change", () => {
      f.column = colSel.value;
      if (!opsFor(columns.get(f.column)).includes(f.op)) f.op = firstOp(columns.get(f.column));
      f.value = hints.defaultValue(f.column, f.op);
      fillOps(opSel, f);
      fillValue(valueCell, f, columns.get(f.column), hints, changed);
      changed();
    });
    opSel.addEventListener("change", () => {
      const to = opSel.value as Op;
      f.value = hints.coerceValue(f, to);
      f.op = to;
      fillValue(valueCell, f, columns.get(f.column), hints, changed);
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

  const save = () => {
    const e = editing;
    if (!e) return;
    changed();
    if (e.save.disabled) return;
    const cohort: Cohort = { ...copyCohort(e.draft), name: e.draft.name.trim() };
    const cohorts = [...store.state.cohorts];
    const at = e.original === null ? -1 : cohorts.findIndex((c) => c.name === e.original);
    if (at >= 0) cohorts[at] = cohort;
    else cohorts.push(cohort);
    closeForm();
    store.updateCore({ cohorts, active: cohort.name });
  };

  function openForm(source: Cohort | null) {
    if (editing?.timer) clearTimeout(editing.timer);
    const draft: Cohort = source ? copyCohort(source) : { name: nextCohortName(cohortNames()), combine: "all", filters: [] };
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
      draft.filters.push(hints.newFilter(order));
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

  newButton.addEventListener("click", () => openForm(null));
  renderList();
  // a cohort's count over every row arrived (the population job): the list, and a draft of the same definition
  const unwatch = sizes?.watch(() => {
    renderList();
    if (editing) changed();
  });

  return {
    el,
    update(changedKeys) {
      if (changedKeys.has("cohorts") || changedKeys.has("active")) {
        renderList();
        if (editing) changed(); // a cohort from Python may now take the draft's name
      }
    },
    destroy() {
      unwatch?.();
      if (editing?.timer) clearTimeout(editing.timer);
    },
  };
}
