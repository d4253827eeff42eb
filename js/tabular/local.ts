// Local explanations of the selected rows: per row a sorted bar chart of its SHAP values toward one
// output (top N features, the rest summed), with base value, surrogate and model output. Up to
// LAYOUT_CARDS rows side by side; more become one compact heat-table (a column per row).
import { labelOf } from "../core/columns";
import { fmt, h, NEG_COLOR, option, POS_COLOR } from "../core/dom";
import { canvasPng, exportControls, sceneToCanvas, sceneToSvg } from "../core/export";
import type { View } from "../core/view";
import type { TabularData } from "./data";
import { localCsv, localRows, localScene } from "./export";
import { localOrder } from "./stats";
import type { TabularState, TabularStore } from "./store";
import { outputTitle, signedValuesNote, unitsPhrase } from "./wording";

export const LAYOUT_CARDS = 6; // above this many rows, "auto" shows the heat-table
export const MAX_TABLE_ROWS = 60; // columns of the heat-table

// ------------------------------------------------------------------ pure helpers (unit-tested)

export interface Bar {
  feature: number | null; // null: the "other N features" bar
  label: string; // "name = value" or "other N features"
  name: string; // the feature's name, or "other N features"
  shown: string | null; // the row's value of the feature as shown; null for the "other" bar
  value: number;
}

export interface RowExplanation {
  row: number;
  output: number;
  bars: Bar[];
  base: number;
  surrogate: number;
  model: number;
  sum: number; // of every feature's value (not only the bars shown)
}

/** Row `row`'s values toward output c: the top `topN` by |value| (sorted), the rest summed in one bar. */
export function rowBars(data: TabularData, row: number, c: number, topN: number): RowExplanation {
  const order = localOrder(data, row, c);
  const n = Math.max(0, Math.min(topN, order.length));
  const names = data.meta.feature_names;
  const bars: Bar[] = order.slice(0, n).map((j) => {
    const shown = data.featureLabel(j, data.feature(row, j));
    return { feature: j, label: `${names[j]} = ${shown}`, name: names[j], shown, value: data.value(row, j, c) };
  });
  let sum = 0;
  for (let j = 0; j < data.f; j++) sum += data.value(row, j, c);
  const rest = order.length - n;
  if (rest > 0) {
    let other = 0;
    for (const j of order.slice(n)) other += data.value(row, j, c);
    const label = `other ${rest} feature${rest === 1 ? "" : "s"}`;
    bars.push({ feature: null, label, name: label, shown: null, value: other });
  }
  return { row, output: c, bars, base: data.baseValue(c), surrogate: data.surrogateOutput(row, c), model: data.modelOutput(row, c), sum };
}

/** The shared value domain of bar charts: always contains 0; [lo, hi]. */
export function barDomain(rows: RowExplanation[]): [number, number] {
  let lo = 0;
  let hi = 0;
  for (const r of rows)
    for (const b of r.bars) {
      lo = Math.min(lo, b.value);
      hi = Math.max(hi, b.value);
    }
  if (lo === hi) hi = lo + 1;
  return [lo, hi];
}

/** Left offset and width (in % of the track) of a bar from 0 to v, on domain [lo, hi]. */
export function barGeometry(v: number, [lo, hi]: [number, number]): { left: number; width: number } {
  const span = hi - lo;
  const zero = ((0 - lo) / span) * 100;
  const end = ((v - lo) / span) * 100;
  return { left: Math.min(zero, end), width: Math.abs(end - zero) };
}

/** Features for the heat-table: the top N by mean |value| over the rows (each toward its own output). */
export function tableFeatures(data: TabularData, rows: { row: number; output: number }[], topN: number): number[] {
  const score = new Float64Array(data.f);
  for (const { row, output } of rows) for (let j = 0; j < data.f; j++) score[j] += Math.abs(data.value(row, j, output));
  const idx = Array.from({ length: data.f }, (_, j) => j);
  idx.sort((a, b) => score[b] - score[a] || a - b);
  return idx.slice(0, Math.max(0, Math.min(topN, data.f)));
}

/** A value's colour with alpha growing with |v| / max: for heat-table cells. */
export function heatColor(v: number, max: number): string {
  const hex = v >= 0 ? POS_COLOR : NEG_COLOR;
  const n = parseInt(hex.slice(1), 16);
  const a = max > 0 ? Math.min(1, Math.abs(v) / max) * 0.6 : 0;
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a.toFixed(3)})`;
}

/** Cell text for the heat-table: fixed decimals for the table's scale (3 significant digits of its
 * largest value), so small values read as 0.00 rather than in exponent notation. */
export function cellText(v: number, max: number): string {
  const d = max > 0 ? Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(max)))) : 2;
  const t = Math.abs(v).toFixed(d);
  if (Number(t) === 0) return t;
  return (v > 0 ? "+" : "−") + t;
}

/** "predicted X", "true Y" for a row, and whether they agree (null without y_true). */
export function rowLabels(data: TabularData, row: number): { predicted: string; truth: string | null; correct: boolean | null } {
  const predicted = labelOf(data.yPred, row);
  const truth = data.yTrue ? labelOf(data.yTrue, row) : null;
  const ok = data.correct ? data.correct[row] : 255; // the kernel's `correct` column (classification with y_true)
  const correct = ok === 1 ? true : ok === 0 ? false : null;
  return { predicted, truth, correct };
}

// ------------------------------------------------------------------ the view

type Layout = "auto" | "bars" | "table";

export function createLocalChart(store: TabularStore): View<TabularState> {
  const { data } = store;
  const units = unitsPhrase(data.meta);
  const isClass = data.meta.task === "classification";
  const topSelect = h("select", { title: "How many features each chart shows; the rest are summed" });
  const tops = [5, 10, 15, 20].filter((k) => k < data.f);
  topSelect.append(
    ...tops.map((k) => option(String(k), String(k), k === Math.min(10, data.f))),
    option(String(data.f), `all ${data.f}`, data.f <= 10),
  );
  const layoutSelect = h("select", { title: "Bar charts side by side, or one table with a column per row" });
  layoutSelect.append(option("auto", "auto"), option("bars", "bar charts"), option("table", "table"));
  const note = h("div", { cls: "rw-muted rw-local-note" });
  const content = h("div", { cls: "rw-local-content" });
  const controls = h("div", { cls: "rw-toolbar" }, [
    h("label", { cls: "rw-control" }, [h("span", { text: "Features" }), topSelect]),
    h("label", { cls: "rw-control" }, [h("span", { text: "Layout" }), layoutSelect]),
  ]);
  const rowsStem = () => {
    const rows = localRows(store).map((r) => r.row);
    return `local-${rows.length === 1 ? `row_${rows[0]}` : rows.length <= 4 ? `rows_${rows.join("_")}` : `${rows.length}_rows`}`;
  };
  const topN = () => Number(topSelect.value) || Math.min(10, data.f);
  const what = "the local explanation of the selected rows";
  controls.appendChild(
    exportControls("the local explanation", [
      { format: "png", what, fileName: rowsStem, build: () => canvasPng(sceneToCanvas(localScene(store, topN()))) },
      { format: "svg", what, fileName: rowsStem, build: () => sceneToSvg(localScene(store, topN())) },
      { format: "csv", what: "the selected rows' values", fileName: rowsStem, build: () => localCsv(store) },
    ]),
  );
  const el = h("div", { cls: "rw-local", testid: "local-chart" }, [controls, note, content]);

  topSelect.addEventListener("change", draw);
  layoutSelect.addEventListener("change", draw);

  function outputName(c: number): string {
    return data.meta.output_names[c] ?? String(c);
  }

  function removeButton(row: number): HTMLButtonElement {
    const b = h("button", {
      cls: "rw-local-remove",
      text: "×",
      title: `Remove row ${row} from the selection`,
      attrs: { type: "button", "aria-label": `remove row ${row}` },
    });
    b.addEventListener("click", () => store.update({ selected: store.state.selected.filter((r) => r !== row) }));
    return b;
  }

  function labelLine(row: number): HTMLElement {
    const { predicted, truth, correct } = rowLabels(data, row);
    const parts: (Node | null)[] = [h("span", { text: `predicted ${predicted}` })];
    if (truth !== null) {
      parts.push(h("span", { cls: "rw-muted", text: " · " }), h("span", { text: `true ${truth}` }));
      if (correct !== null) parts.push(h("span", { cls: correct ? "rw-local-ok" : "rw-local-bad", text: correct ? " ✓" : " ✗ wrong" }));
    }
    return h("div", { cls: "rw-local-labels" }, parts);
  }

  function card(ex: RowExplanation, domain: [number, number]): HTMLElement {
    const bars = h("div", { cls: "rw-local-bars" });
    const zero = barGeometry(0, domain).left;
    for (const b of ex.bars) {
      const g = barGeometry(b.value, domain);
      const color = b.value >= 0 ? POS_COLOR : NEG_COLOR;
      const fill = h("span", {
        cls: "rw-local-fill",
        attrs: { style: `left:${g.left}%;width:${Math.max(g.width, 0.3)}%;background:${color}` },
      });
      const track = h("span", { cls: "rw-local-track" }, [h("span", { cls: "rw-local-zero", attrs: { style: `left:${zero}%` } }), fill]);
      // A long name is shortened (in full in the tooltip); the value after it never is: it wraps.
      const label =
        b.shown === null
          ? h("span", { cls: "rw-local-label rw-local-other rw-muted", text: b.label, title: b.label })
          : h("span", { cls: "rw-local-label", title: b.label }, [
              h("span", { cls: "rw-local-label-name", text: b.name }),
              h("span", { cls: "rw-local-label-value", text: ` = ${b.shown}` }),
            ]);
      bars.append(label, track, h("span", { cls: "rw-local-value", text: (b.value > 0 ? "+" : "") + fmt(b.value) }));
    }
    const out = h("div", { cls: "rw-local-card", testid: "local-row", attrs: { "data-row": String(ex.row) } }, [
      h("div", { cls: "rw-local-title" }, [h("span", { cls: "rw-local-rowname", text: `Row ${ex.row}` }), removeButton(ex.row)]),
      h("div", { cls: "rw-local-output", text: outputTitle(data.meta, ex.output) }),
      labelLine(ex.row),
      bars,
      h("div", { cls: "rw-local-footer" }, [
        h("div", {
          text: `base ${fmt(ex.base)} ${ex.sum >= 0 ? "+" : "−"} features ${fmt(Math.abs(ex.sum))} = surrogate ${fmt(ex.surrogate)}`,
        }),
        h("div", { text: `model output ${fmt(ex.model)} ${units}` }),
      ]),
    ]);
    return out;
  }

  function heatTable(rows: number[], topN: number): HTMLElement {
    const shown = rows.slice(0, MAX_TABLE_ROWS);
    const outs = shown.map((row) => ({ row, output: store.outputFor(row) }));
    const feats = tableFeatures(data, outs, topN);
    let max = 0;
    for (const { row, output } of outs) for (const j of feats) max = Math.max(max, Math.abs(data.value(row, j, output)));
    const headRow = h("tr", {}, [h("th", { text: "feature" })]);
    const outRow = h("tr", { cls: "rw-muted" }, [h("th", { text: isClass ? "toward class" : "toward" })]);
    for (const { row, output } of outs) {
      const th = h("th", { cls: "rw-local-col", attrs: { "data-row": String(row) } }, [
        h("span", { text: `row ${row}` }),
        removeButton(row),
      ]);
      headRow.appendChild(th);
      const toward = isClass ? outputName(output) : outputTitle(data.meta, output).replace(/^toward /, "");
      outRow.appendChild(h("td", { text: toward, title: toward }));
    }
    const thead = h("thead", {}, [headRow, outRow]);
    const tbody = h("tbody");
    const sums = outs.map(() => 0);
    for (const j of feats) {
      const name = data.meta.feature_names[j];
      const tr = h("tr", {}, [h("th", { cls: "rw-local-fname", text: name, title: name })]);
      outs.forEach(({ row, output }, k) => {
        const v = data.value(row, j, output);
        sums[k] += v;
        const td = h("td", {
          text: cellText(v, max),
          title: `${name} = ${data.featureLabel(j, data.feature(row, j))}: ${fmt(v)} ${units}`,
        });
        td.style.background = heatColor(v, max);
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    }
    const foot = (label: string, cell: (r: { row: number; output: number }, k: number) => string, cls = "") => {
      const tr = h("tr", { cls: `rw-local-foot ${cls}` }, [h("th", { text: label })]);
      for (const [k, o] of outs.entries()) {
        const text = cell(o, k);
        tr.appendChild(h("td", { text, title: text }));
      }
      return tr;
    };
    if (feats.length < data.f) {
      tbody.appendChild(
        foot(
          `other ${data.f - feats.length} features`,
          ({ row, output }, k) => {
            let s = 0;
            for (let j = 0; j < data.f; j++) s += data.value(row, j, output);
            return cellText(s - sums[k], max);
          },
          "rw-muted",
        ),
      );
    }
    tbody.append(
      foot("base value", ({ output }) => fmt(data.baseValue(output))),
      foot("surrogate", ({ row, output }) => fmt(data.surrogateOutput(row, output))),
      foot(`model (${units})`, ({ row, output }) => fmt(data.modelOutput(row, output))),
      foot("predicted", ({ row }) => rowLabels(data, row).predicted),
    );
    if (data.yTrue) tbody.appendChild(foot("true", ({ row }) => rowLabels(data, row).truth ?? ""));
    const wrap = h("div", { cls: "rw-local-tablewrap" }, [h("table", { cls: "rw-local-table" }, [thead, tbody])]);
    return wrap;
  }

  function draw(): void {
    const rows = store.state.selected.filter((r) => Number.isInteger(r) && r >= 0 && r < data.n);
    const topN = Number(topSelect.value) || Math.min(10, data.f);
    controls.hidden = rows.length === 0;
    if (!rows.length) {
      note.textContent = "";
      content.replaceChildren(h("div", { cls: "rw-empty", text: "Select rows in the table to see why the model predicted what it did" }));
      return;
    }
    const o = store.state.output;
    note.textContent =
      `${signedValuesNote(data.meta, o)}${o.kind === "output" ? "" : " Each chart names its row's class."} ` +
      `base value + all features = surrogate output, which approximates the model's output.`;
    const layout = layoutSelect.value as Layout;
    const asTable = layout === "table" || (layout === "auto" && rows.length > LAYOUT_CARDS);
    if (asTable) {
      const parts: HTMLElement[] = [heatTable(rows, topN)];
      if (rows.length > MAX_TABLE_ROWS)
        parts.unshift(
          h("div", { cls: "rw-muted", text: `Showing the first ${MAX_TABLE_ROWS} of ${rows.length.toLocaleString()} selected rows.` }),
        );
      content.replaceChildren(...parts);
      return;
    }
    const shown = rows.slice(0, MAX_TABLE_ROWS);
    const exs = shown.map((row) => rowBars(data, row, store.outputFor(row), topN));
    const domain = barDomain(exs);
    const cards = h(
      "div",
      { cls: "rw-local-cards" },
      exs.map((ex) => card(ex, domain)),
    );
    content.replaceChildren(
      ...(rows.length > MAX_TABLE_ROWS
        ? [h("div", { cls: "rw-muted", text: `Showing the first ${MAX_TABLE_ROWS} of ${rows.length.toLocaleString()} selected rows.` })]
        : []),
      cards,
    );
  }

  draw();
  return {
    el,
    update(changed) {
      if (changed.has("selected") || changed.has("output")) draw();
    },
  };
}
