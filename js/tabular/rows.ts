// Row table: the rows of the active cohort, virtualised (fixed row height; only the visible rows
// plus an overscan are in the DOM, a spacer gives the full height), sortable by any column,
// filterable by correct / incorrect / selected. Click selects a row, shift-click a range.
import { type Column, labelOf, sortKeyOf } from "../core/columns";
import { fmt, h, option } from "../core/dom";
import type { View } from "../core/view";
import type { TabularData } from "./data";
import type { TabularState, TabularStore } from "./store";
import { countRows } from "./wording";

export const ROW_H = 24; // css px, fixed: the virtual window depends on it
export const OVERSCAN = 8;
const VIEWPORT_H = 360; // css px of the scroll area
const INDEX_W = 64;
const LABEL_W = 96;
const FEATURE_W = 104;

// ------------------------------------------------------------------ pure helpers (unit-tested)

/** Positions [start, end) to render for a scroll offset: the visible ones plus `overscan` each side. */
export function visibleRange(
  scrollTop: number,
  viewportH: number,
  rowH: number,
  total: number,
  overscan: number,
): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowH);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportH)) / rowH);
  const start = Math.max(0, Math.min(total, first - overscan));
  const end = Math.max(start, Math.min(total, last + overscan));
  return { start, end };
}

export interface RowColumn {
  key: string;
  label: string;
  width: number;
  /** Sort key; NaN for missing (sorted last in both directions). */
  sortKey(i: number): number;
  text(i: number): string;
  cls?(i: number): string;
}

/** The table's columns: index, y_true, y_pred, correct / error, confidence, then every feature. */
export function tableColumns(data: TabularData): RowColumn[] {
  const cols: RowColumn[] = [{ key: "index", label: "index", width: INDEX_W, sortKey: (i) => i, text: (i) => String(i) }];
  const labelCol = (key: "y_true" | "y_pred", col: Column | null) => {
    if (col) cols.push({ key, label: key, width: LABEL_W, sortKey: (i) => sortKeyOf(col, i), text: (i) => labelOf(col, i) });
  };
  labelCol("y_true", data.yTrue);
  labelCol("y_pred", data.yPred);
  const correct = data.correct;
  if (correct) {
    cols.push({
      key: "correct",
      label: "correct",
      width: 72,
      sortKey: (i) => (correct[i] <= 1 ? correct[i] : Number.NaN),
      text: (i) => (correct[i] === 1 ? "✓ yes" : correct[i] === 0 ? "✗ no" : "missing"),
      cls: (i) => (correct[i] === 1 ? "rw-rows-ok" : correct[i] === 0 ? "rw-rows-bad" : ""),
    });
  }
  const error = data.error;
  if (error) cols.push({ key: "error", label: "error", width: 84, sortKey: (i) => error[i], text: (i) => fmt(error[i]) });
  const conf = data.confidence;
  if (conf) cols.push({ key: "confidence", label: "confidence", width: 88, sortKey: (i) => conf[i], text: (i) => fmt(conf[i]) });
  data.meta.feature_names.forEach((name, j) => {
    cols.push({
      key: `feature:${j}`,
      label: name,
      width: FEATURE_W,
      sortKey: (i) => data.feature(i, j),
      text: (i) => data.featureLabel(j, data.feature(i, j)),
    });
  });
  return cols;
}

/** `rows` reordered by key (dir 1 ascending, -1 descending); missing keys last; ties keep row order. */
export function sortRows(rows: Int32Array, key: (i: number) => number, dir: 1 | -1): Int32Array {
  const keys = new Float64Array(rows.length);
  for (let p = 0; p < rows.length; p++) keys[p] = key(rows[p]);
  const pos = Array.from({ length: rows.length }, (_, p) => p);
  pos.sort((a, b) => {
    const ka = keys[a];
    const kb = keys[b];
    const na = Number.isNaN(ka);
    const nb = Number.isNaN(kb);
    if (na || nb) return na === nb ? a - b : na ? 1 : -1;
    return ka === kb ? a - b : (ka < kb ? -1 : 1) * dir;
  });
  return Int32Array.from(pos, (p) => rows[p]);
}

export type RowFilter = "all" | "correct" | "incorrect" | "selected";

/** Row indices where mask is 1 and the row passes `filter`, in index order. */
export function filterRows(data: TabularData, mask: Uint8Array, filter: RowFilter, selected: ReadonlySet<number>): Int32Array {
  const correct = data.correct;
  const want = filter === "correct" ? 1 : 0;
  const out: number[] = [];
  for (let i = 0; i < data.n; i++) {
    if (!mask[i]) continue;
    if (filter === "selected" && !selected.has(i)) continue;
    if ((filter === "correct" || filter === "incorrect") && correct && correct[i] !== want) continue;
    out.push(i);
  }
  return Int32Array.from(out);
}

/**
 * The selection after a click on the row at position `pos` of `order`: a plain click toggles the
 * row; a shift-click adds every row from the anchor's position to it (in the table's order).
 */
export function clickSelection(
  selected: readonly number[],
  order: Int32Array,
  pos: number,
  anchorPos: number | null,
  shift: boolean,
): number[] {
  const row = order[pos];
  if (shift && anchorPos !== null && anchorPos < order.length) {
    const have = new Set(selected);
    const out = [...selected];
    const [a, b] = anchorPos <= pos ? [anchorPos, pos] : [pos, anchorPos];
    const step = anchorPos <= pos ? 1 : -1;
    for (let p = anchorPos; step > 0 ? p <= b : p >= a; p += step) {
      if (!have.has(order[p])) {
        have.add(order[p]);
        out.push(order[p]);
      }
    }
    return out;
  }
  return selected.includes(row) ? selected.filter((r) => r !== row) : [...selected, row];
}

// ------------------------------------------------------------------ the view

export function createRowTable(store: TabularStore): View<TabularState> {
  const { data } = store;
  const columns = tableColumns(data);
  const template = columns.map((c) => `${c.width}px`).join(" ");
  const totalWidth = columns.reduce((a, c) => a + c.width, 0);
  const hasCorrect = columns.some((c) => c.key === "correct");

  const filterSelect = h("select", { title: "Which rows of the cohort to list" });
  filterSelect.append(option("all", "all rows"));
  if (hasCorrect) filterSelect.append(option("correct", "correct"), option("incorrect", "incorrect"));
  filterSelect.append(option("selected", "selected rows"));
  const count = h("span", { cls: "rw-muted" });
  const selCount = h("span", { cls: "rw-rows-selcount" });
  const clearButton = h("button", { text: "clear", title: "Clear the selection", attrs: { type: "button" } });
  const message = h("div", { cls: "rw-empty" });
  const head = h("div", { cls: "rw-rows-head", attrs: { role: "row" } });
  const bodyEl = h("div", { cls: "rw-rows-body", attrs: { role: "rowgroup" } });
  const inner = h("div", { cls: "rw-rows-inner" }, [head, bodyEl]);
  const scroller = h("div", { cls: "rw-rows-scroll", attrs: { role: "grid", tabindex: "0" } }, [inner]);
  const el = h("div", { cls: "rw-rows", testid: "row-table" }, [
    h("div", { cls: "rw-toolbar" }, [
      h("label", { cls: "rw-control" }, [h("span", { text: "Show" }), filterSelect]),
      count,
      h("span", { cls: "rw-control" }, [selCount, clearButton]),
      h("span", { cls: "rw-muted rw-rows-hint", text: "click a row to select it, shift-click for a range" }),
    ]),
    message,
    scroller,
  ]);
  inner.style.width = `${totalWidth}px`;
  scroller.style.height = `${VIEWPORT_H}px`;
  head.style.gridTemplateColumns = template;
  head.style.height = `${ROW_H}px`;

  let filter: RowFilter = "all";
  let sort: { key: string; dir: 1 | -1 } = { key: "index", dir: 1 };
  let order: Int32Array = new Int32Array(0); // row indices in display order
  let anchorPos: number | null = null;
  let cursor = -1; // the keyboard's display position in the grid (-1: none yet)
  let selected = new Set(store.state.selected);
  const rendered = new Map<number, HTMLElement>(); // display position -> row element
  let windowKey = "";

  const headCells = columns.map((c, k) => {
    const cell = h(
      "div",
      {
        cls: `rw-rows-th${k === 0 ? " rw-rows-sticky" : ""}`,
        title: `${c.label}: click (or Enter) to sort`,
        attrs: { role: "columnheader", tabindex: "0" },
      },
      [h("span", { cls: "rw-rows-thlabel", text: c.label }), h("span", { cls: "rw-rows-arrow" })],
    );
    const sortBy = () => {
      sort = sort.key === c.key ? { key: c.key, dir: sort.dir === 1 ? -1 : 1 } : { key: c.key, dir: 1 };
      rebuild();
    };
    cell.addEventListener("click", sortBy);
    cell.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter" && ev.key !== " ") return;
      ev.preventDefault();
      ev.stopPropagation(); // not the grid's own Enter / Space (select the row at the cursor)
      sortBy();
    });
    return cell;
  });
  head.append(...headCells);

  const drawHead = () => {
    columns.forEach((c, k) => {
      const on = c.key === sort.key;
      headCells[k].classList.toggle("rw-rows-sorted", on);
      headCells[k].setAttribute("aria-sort", on ? (sort.dir === 1 ? "ascending" : "descending") : "none");
      (headCells[k].lastChild as HTMLElement).textContent = on ? (sort.dir === 1 ? " ▲" : " ▼") : "";
    });
  };

  const drawSelection = () => {
    selected = new Set(store.state.selected);
    const n = store.state.selected.length;
    selCount.textContent = `${n.toLocaleString()} selected`;
    clearButton.disabled = n === 0;
    for (const row of rendered.values()) {
      const on = selected.has(Number(row.dataset.row));
      row.classList.toggle("rw-rows-selected", on);
      row.setAttribute("aria-selected", String(on));
    }
  };

  const makeRow = (pos: number): HTMLElement => {
    const i = order[pos];
    const row = h("div", { cls: "rw-rows-row", testid: "row", attrs: { role: "row", "data-row": String(i) } });
    row.style.top = `${pos * ROW_H}px`;
    row.style.gridTemplateColumns = template;
    row.style.height = `${ROW_H}px`;
    for (let k = 0; k < columns.length; k++) {
      const c = columns[k];
      const text = c.text(i);
      const cell = h("div", {
        cls: `rw-rows-td${k === 0 ? " rw-rows-sticky" : ""}${c.cls ? ` ${c.cls(i)}` : ""}`,
        text,
        attrs: { role: "gridcell" },
      });
      if (text.length > 12) cell.title = text;
      row.appendChild(cell);
    }
    const on = selected.has(i);
    row.classList.toggle("rw-rows-selected", on);
    row.classList.toggle("rw-rows-cursor", pos === cursor);
    row.setAttribute("aria-selected", String(on));
    return row;
  };

  /** Put the rows of the visible window (plus overscan) in the DOM; keep those already there. */
  const renderWindow = (force = false) => {
    const viewportH = scroller.clientHeight || VIEWPORT_H;
    const { start, end } = visibleRange(Math.max(0, scroller.scrollTop - ROW_H), viewportH, ROW_H, order.length, OVERSCAN);
    const key = `${start}:${end}`;
    if (!force && key === windowKey) return;
    windowKey = key;
    if (force) {
      rendered.clear();
      bodyEl.replaceChildren();
    }
    for (const [pos, row] of rendered) {
      if (pos < start || pos >= end) {
        row.remove();
        rendered.delete(pos);
      }
    }
    const fresh: HTMLElement[] = [];
    for (let pos = start; pos < end; pos++) {
      if (rendered.has(pos)) continue;
      const row = makeRow(pos);
      rendered.set(pos, row);
      fresh.push(row);
    }
    bodyEl.append(...fresh);
    el.dataset.rendered = String(rendered.size);
  };

  /** Recompute the listed rows (cohort, filter or sort changed) and redraw the window. */
  const rebuild = () => {
    const cohort = store.activeCohort();
    const res = store.maskOf(cohort);
    let rows = filterRows(data, res.mask, filter, selected);
    const col = columns.find((c) => c.key === sort.key) ?? columns[0];
    if (!(col.key === "index" && sort.dir === 1)) rows = sortRows(rows, (i) => col.sortKey(i), sort.dir);
    order = rows;
    anchorPos = null;
    cursor = -1;
    bodyEl.style.height = `${order.length * ROW_H}px`;
    count.textContent = `${order.length.toLocaleString()} of ${countRows(res.count)} in "${cohort.name}"`;
    if (res.error) message.textContent = `Cohort "${cohort.name}" cannot be evaluated: ${res.error}`;
    else if (res.count === 0)
      message.textContent = `No rows in cohort "${cohort.name}": edit its filters in the Cohorts tab, or pick another cohort.`;
    else if (order.length === 0)
      message.textContent = filter === "selected" ? "No selected rows in this cohort." : `No ${filter} rows in this cohort.`;
    else message.textContent = "";
    scroller.hidden = order.length === 0;
    drawHead();
    renderWindow(true);
  };

  let raf = 0;
  scroller.addEventListener("scroll", () => {
    if (raf) return;
    raf = requestAnimationFrame(() => {
      raf = 0;
      renderWindow();
    });
  });
  // The keyboard: arrows, Page Up / Down, Home / End move a cursor over the rows; Space or Enter
  // selects (or unselects) the row under it as a click does, with Shift from the last one picked.
  scroller.addEventListener("keydown", (e) => {
    if (!order.length || e.target !== scroller) return;
    const page = Math.max(1, Math.floor((scroller.clientHeight || VIEWPORT_H) / ROW_H) - 1);
    const steps: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      PageDown: page,
      PageUp: -page,
      Home: -order.length,
      End: order.length,
    };
    if (e.key in steps) {
      e.preventDefault();
      cursor = Math.min(order.length - 1, Math.max(0, cursor < 0 ? 0 : cursor + steps[e.key]));
      const top = cursor * ROW_H;
      const viewport = scroller.clientHeight || VIEWPORT_H;
      if (top < scroller.scrollTop + ROW_H) scroller.scrollTop = Math.max(0, top - ROW_H);
      else if (top + ROW_H > scroller.scrollTop + viewport) scroller.scrollTop = top + 2 * ROW_H - viewport;
      renderWindow(true);
      el.dataset.cursorRow = String(order[cursor]);
    } else if ((e.key === " " || e.key === "Enter") && cursor >= 0) {
      e.preventDefault();
      const next = clickSelection(store.state.selected, order, cursor, anchorPos, e.shiftKey);
      anchorPos = cursor;
      store.update({ selected: next });
    }
  });
  bodyEl.addEventListener("click", (e) => {
    const rowEl = (e.target as HTMLElement).closest<HTMLElement>(".rw-rows-row");
    if (!rowEl) return;
    const pos = Math.round(parseFloat(rowEl.style.top) / ROW_H);
    if (order[pos] !== Number(rowEl.dataset.row)) return;
    if (e.shiftKey) window.getSelection?.()?.removeAllRanges();
    const next = clickSelection(store.state.selected, order, pos, anchorPos, e.shiftKey);
    anchorPos = pos;
    store.update({ selected: next });
  });
  filterSelect.addEventListener("change", () => {
    filter = filterSelect.value as RowFilter;
    scroller.scrollTop = 0;
    rebuild();
  });
  clearButton.addEventListener("click", () => store.update({ selected: [] }));

  drawSelection();
  rebuild();
  return {
    el,
    update(changed) {
      if (changed.has("selected")) {
        drawSelection();
        if (filter === "selected") rebuild();
      }
      if (changed.has("active") || changed.has("cohorts")) rebuild();
      else if (changed.has("tab")) renderWindow(true); // the viewport may have been 0 px while hidden
    },
    destroy() {
      cancelAnimationFrame(raf);
    },
  };
}
