// Interactions: the surrogate's mean |SHAP interaction| per pair of features (explainer.interactions(exp),
// computed in the kernel) as a heatmap, the importance chart's features in its order. A cell (row i,
// column j) opens the dependence plot of i coloured by j; the diagonal holds main effects, outlined and
// off the colour scale (they are often far larger than any interaction). Without the matrix, a note
// says how to compute it. The dependence plot colours by `strongestPartner` by default.
import "./interactions.css";
import { fmt, h } from "../core/dom";
import {
  canvasPng,
  exportControls,
  fitText,
  INK,
  MUTED,
  type Scene,
  type SceneItem,
  sceneToCanvas,
  sceneToSvg,
  toCsv,
} from "../core/export";
import type { View } from "../core/view";
import type { TabularData } from "./data";
import { topFeatures } from "./stats";
import type { TabularState, TabularStore } from "./store";
import { countRows, mirrored, outputNoun, unitsPhrase } from "./wording";

/** Ends of the cells' colour ramp (opaque, so a cell reads the same on either theme); text is black or white by luminance. */
export const IX_LOW = "#f2f6fc";
export const IX_HIGH = "#08306b";
const CELL_MAX = 56; // css px
const CELL_MIN = 18;
const TEXT_MIN = 34; // below this cell size the value is in the tooltip only
const LABEL_W = 150; // css px for the row labels
const FALLBACK_W = 640;

const hex = (c: string) => [1, 3, 5].map((i) => Number.parseInt(c.slice(i, i + 2), 16));
const lin = (v: number) => {
  const s = v / 255;
  return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
};

/** t in [0, 1] along the ramp, as #rrggbb. */
export function interactionColor(t: number): string {
  const a = hex(IX_LOW);
  const b = hex(IX_HIGH);
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  return `#${a
    .map((x, i) =>
      Math.round(x + (b[i] - x) * u)
        .toString(16)
        .padStart(2, "0"),
    )
    .join("")}`;
}

/** Black or white, whichever has the higher contrast on the colour (both >= 4.5:1 on every ramp colour but the crossover's ~4.6). */
export function inkOn(color: string): string {
  const [r, g, b] = hex(color).map(lin);
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
}

/** Mean |interaction| of features i and j (the matrix is symmetric). */
export function interactionOf(data: TabularData, i: number, j: number): number {
  return data.interactions ? data.interactions[i * data.f + j] : Number.NaN;
}

/** The feature j interacts with most (off the diagonal), or null without a matrix or any interaction. */
export function strongestPartner(data: TabularData, j: number): number | null {
  const m = data.interactions;
  if (!m || j < 0 || j >= data.f) return null;
  let best: number | null = null;
  for (let c = 0; c < data.f; c++) {
    if (c === j || !(m[j * data.f + c] > 0)) continue;
    if (best === null || m[j * data.f + c] > m[j * data.f + best]) best = c;
  }
  return best;
}

/** The dependence plot's colour when the user has not picked one: the strongest partner, else the cohorts. */
export function defaultDependenceColor(data: TabularData, j: number | null): string {
  const p = j === null ? null : strongestPartner(data, j);
  return p === null ? "cohort" : data.meta.feature_names[p];
}

/** The importance chart's features, in its order: the sort cohort's importances (the first cohort with rows when it has none), top k. */
export function heatmapFeatures(store: TabularStore): number[] {
  const { cohorts, sortBy, topK } = store.state;
  const withRows = cohorts.filter((c) => store.maskOf(c).count > 0);
  if (!withRows.length) return [];
  const sort = cohorts.find((c) => c.name === sortBy);
  const by = sort && store.maskOf(sort).count > 0 ? sort : withRows[0];
  return topFeatures(store.importance(by), topK);
}

/** What the matrix is of, in a sentence. */
export function interactionCaption(data: TabularData): string {
  const { meta } = data;
  const info = meta.interactions;
  const units = unitsPhrase(meta);
  let toward = "";
  if (info && info.output === null && meta.output_names.length > 1) toward = ` averaged over the ${meta.output_names.length} outputs`;
  else if (info && info.output !== null && meta.task === "classification")
    toward = mirrored(meta) ? `, the same for ${outputNoun(meta, 1)} and ${outputNoun(meta, 0)}` : ` for ${outputNoun(meta, info.output)}`;
  const rows = info ? `, over ${countRows(info.rows)} (a sample)` : "";
  return `Mean |SHAP interaction| of the surrogate in ${units}${toward}${rows}. Off the diagonal: a pair's interaction (shap's half of it); on the diagonal, outlined: main effects.`;
}

export function createInteractionMatrix(store: TabularStore): View<TabularState> {
  const { data } = store;
  const names = data.meta.feature_names;
  const caption = h("div", { cls: "rw-ix-caption rw-muted" });
  const hint = h("div", {
    cls: "rw-ix-hint rw-muted",
    text: "Click a cell for the dependence plot of its row's feature, coloured by its column's.",
  });
  const table = h("table", { cls: "rw-ix-table", testid: "interaction-matrix" });
  const colorBar = h("div", { cls: "rw-ix-colorbar" });
  const message = h("div", { cls: "rw-empty" });
  const note = h("div", {
    cls: "rw-muted rw-ix-note",
    testid: "interaction-note",
    text:
      data.meta.source === "shap"
        ? "Interactions are computed from a MimicExplainer's surrogate; these values came from shap (rw.from_shap). shap.TreeExplainer(model).shap_interaction_values(X) gives a tree model's own."
        : "Interactions are not computed for this explanation: run explainer.interactions(exp) before showing it (exact TreeSHAP interactions of the surrogate on up to 2,000 rows).",
  });
  const exportUi = data.interactions ? exportMatrix(store, () => shown) : null;
  const body = h("div", { cls: "rw-ix-body" }, [table, colorBar]);
  const el = h("div", { cls: "rw-ix" }, [
    h("div", { cls: "rw-toolbar" }, [h("span", { cls: "rw-ix-title", text: "Interactions" }), exportUi]),
    data.interactions ? caption : note,
    data.interactions ? hint : null,
    message,
    data.interactions ? body : null,
  ]);
  let shown: number[] = [];
  let focusAt: [number, number] = [0, 0]; // the cell that takes the keyboard focus (roving tabindex)

  const width = () => el.clientWidth || FALLBACK_W;

  const open = (a: number, b: number) => {
    const j = shown[a];
    const color = a === b ? defaultDependenceColor(data, j) : names[shown[b]];
    store.update({ depFeature: j, depColor: color });
  };

  const draw = () => {
    if (!data.interactions) return;
    shown = heatmapFeatures(store);
    caption.textContent = interactionCaption(data);
    message.textContent = shown.length ? "" : "No cohort has rows: edit the filters in the Cohorts tab.";
    body.hidden = !shown.length;
    if (!shown.length) return;
    const k = shown.length;
    const cell = Math.max(CELL_MIN, Math.min(CELL_MAX, Math.floor((width() - LABEL_W - 24) / k)));
    let max = 0;
    for (const a of shown) for (const b of shown) if (a !== b) max = Math.max(max, interactionOf(data, a, b));
    const { depFeature, depColor } = store.state;
    focusAt = [Math.min(focusAt[0], k - 1), Math.min(focusAt[1], k - 1)];
    const hadFocus = table.contains(document.activeElement);

    const head = h("tr", {}, [
      h("th", { cls: "rw-ix-corner", attrs: { scope: "col" } }, [
        h("span", { cls: "rw-ix-axis rw-ix-axis-col", text: "colours by →" }),
        h("span", { cls: "rw-ix-axis rw-ix-axis-row", text: "feature ↓" }),
      ]),
      ...shown.map((j) =>
        h("th", { cls: "rw-ix-collabel", title: names[j], attrs: { scope: "col", style: `width:${cell}px` } }, [
          h("span", { text: names[j] }),
        ]),
      ),
    ]);
    const rows = shown.map((i, a) =>
      h("tr", {}, [
        h("th", { cls: "rw-ix-rowlabel", text: names[i], title: names[i], attrs: { scope: "row", style: `max-width:${LABEL_W}px` } }),
        ...shown.map((j, b) => {
          const v = interactionOf(data, i, j);
          const diagonal = a === b;
          const fill = diagonal ? "" : interactionColor(max > 0 ? v / max : 0);
          const what = diagonal ? `${names[i]}: main effect ${fmt(v)}` : `${names[i]} × ${names[j]}: ${fmt(v)}`;
          const action = diagonal
            ? `open the dependence plot of ${names[i]}`
            : `open the dependence plot of ${names[i]} coloured by ${names[j]}`;
          // the diagonal stands for the feature with its default colour, unless that pair's own cell is in the row
          const pairShown = shown.some((c) => c !== i && names[c] === depColor);
          const selected = depFeature === i && (diagonal ? !pairShown : depColor === names[j]);
          const text = cell >= TEXT_MIN ? fmt(v, 2) : "";
          const button = h("button", {
            cls: `rw-ix-cell${diagonal ? " rw-ix-diagonal" : ""}${selected ? " rw-selected" : ""}`,
            text,
            title: `${what} (click: ${action})`,
            attrs: {
              type: "button",
              "aria-label": `${text ? `${text}: ` : ""}${what}; ${action}`, // the visible text first (WCAG 2.5.3)
              tabindex: a === focusAt[0] && b === focusAt[1] ? "0" : "-1",
              style: `width:${cell}px;height:${Math.min(cell, 32)}px${diagonal ? "" : `;background-color:${fill};color:${inkOn(fill)}`}`,
              "data-row": names[i],
              "data-col": names[j],
              "data-value": String(v),
            },
          });
          button.addEventListener("click", () => {
            focusAt = [a, b];
            open(a, b);
          });
          button.addEventListener("keydown", (e) => keydown(e, a, b));
          return h("td", {}, [button]);
        }),
      ]),
    );
    table.replaceChildren(h("thead", {}, [head]), h("tbody", {}, rows));
    drawColorBar(max);
    if (hadFocus) cellAt(focusAt[0], focusAt[1])?.focus();
  };

  const cellAt = (a: number, b: number) => table.querySelectorAll<HTMLButtonElement>("tbody tr")[a]?.querySelectorAll("button")[b];

  const keydown = (e: KeyboardEvent, a: number, b: number) => {
    const k = shown.length;
    const moves: Record<string, [number, number]> = {
      ArrowUp: [Math.max(0, a - 1), b],
      ArrowDown: [Math.min(k - 1, a + 1), b],
      ArrowLeft: [a, Math.max(0, b - 1)],
      ArrowRight: [a, Math.min(k - 1, b + 1)],
      Home: [a, 0],
      End: [a, k - 1],
    };
    const to = moves[e.key];
    if (!to) return;
    e.preventDefault();
    cellAt(a, b)?.setAttribute("tabindex", "-1");
    focusAt = to;
    const next = cellAt(to[0], to[1]);
    next?.setAttribute("tabindex", "0");
    next?.focus();
  };

  const drawColorBar = (max: number) => {
    const units = unitsPhrase(data.meta);
    colorBar.replaceChildren(
      h("span", { cls: "rw-muted", text: "0" }),
      h("span", { cls: "rw-ix-ramp", attrs: { style: `background:linear-gradient(to right,${IX_LOW},${IX_HIGH})` } }),
      h("span", { cls: "rw-muted", text: fmt(max) }),
      h("span", { cls: "rw-muted", text: `mean |interaction| (${units}) of the pairs shown` }),
    );
  };

  draw();
  return {
    el,
    update(changed) {
      const keys: (keyof TabularState)[] = ["cohorts", "output", "topK", "sortBy", "active", "depFeature", "depColor"];
      if (keys.some((key) => changed.has(key))) draw();
      else if (changed.has("tab")) draw(); // laid out now: the cells get their width
    },
  };
}

/** PNG, SVG and CSV of the heatmap as shown (its features, in its order). */
function exportMatrix(store: TabularStore, shownFeatures: () => number[]): HTMLElement {
  const { data } = store;
  const names = data.meta.feature_names;
  const stem = () => "interactions";
  const csv = () => {
    const js = shownFeatures();
    return toCsv(
      ["feature", ...js.map((j) => names[j])],
      js.map((i) => [names[i], ...js.map((j) => interactionOf(data, i, j))]),
    );
  };
  const what = "the interaction matrix";
  return exportControls(what, [
    { format: "png", what, fileName: stem, build: () => canvasPng(sceneToCanvas(matrixScene(data, shownFeatures()))) },
    { format: "svg", what, fileName: stem, build: () => sceneToSvg(matrixScene(data, shownFeatures())) },
    { format: "csv", what: "the interaction matrix's values", fileName: stem, build: csv },
  ]);
}

/** The heatmap as a Scene: numbered row labels, the numbers over the columns, cells with values, a colour bar. */
export function matrixScene(data: TabularData, js: number[]): Scene {
  const names = data.meta.feature_names;
  const cell = 44;
  const left = 170;
  const top = 40;
  const k = js.length;
  let max = 0;
  for (const a of js) for (const b of js) if (a !== b) max = Math.max(max, interactionOf(data, a, b));
  const items: SceneItem[] = [{ kind: "text", x: 8, y: 18, text: interactionCaption(data).split(". ")[0], size: 12, fill: INK }];
  js.forEach((_, b) => {
    items.push({ kind: "text", x: left + b * cell + cell / 2, y: top - 6, text: String(b + 1), size: 11, fill: MUTED, anchor: "middle" });
  });
  js.forEach((i, a) => {
    const y = top + a * cell;
    items.push({
      kind: "text",
      x: left - 8,
      y: y + cell / 2 + 4,
      text: `${a + 1}. ${fitText(names[i], left - 34, 11)}`,
      size: 11,
      fill: INK,
      anchor: "end",
    });
    js.forEach((j, b) => {
      const v = interactionOf(data, i, j);
      const x = left + b * cell;
      const fill = a === b ? "#ffffff" : interactionColor(max > 0 ? v / max : 0);
      items.push({ kind: "rect", x: x + 1, y: y + 1, w: cell - 2, h: cell - 2, fill, title: `${names[i]} × ${names[j]}: ${v}` });
      if (a === b) {
        for (const [x1, y1, x2, y2] of [
          [x + 1, y + 1, x + cell - 1, y + 1],
          [x + cell - 1, y + 1, x + cell - 1, y + cell - 1],
          [x + cell - 1, y + cell - 1, x + 1, y + cell - 1],
          [x + 1, y + cell - 1, x + 1, y + 1],
        ])
          items.push({ kind: "line", x1, y1, x2, y2, stroke: MUTED, dash: true });
      }
      items.push({
        kind: "text",
        x: x + cell / 2,
        y: y + cell / 2 + 4,
        text: fmt(v, 2),
        size: 10,
        fill: a === b ? INK : inkOn(fill),
        anchor: "middle",
      });
    });
  });
  const barY = top + k * cell + 16;
  const steps = 24;
  for (let s = 0; s < steps; s++)
    items.push({
      kind: "rect",
      x: left + (s * 160) / steps,
      y: barY,
      w: 160 / steps + 0.5,
      h: 10,
      fill: interactionColor(s / (steps - 1)),
    });
  items.push({ kind: "text", x: left - 6, y: barY + 9, text: "0", size: 10, fill: MUTED, anchor: "end" });
  items.push({
    kind: "text",
    x: left + 166,
    y: barY + 9,
    text: `${fmt(max)} mean |interaction| (${unitsPhrase(data.meta)}); diagonal: main effects`,
    size: 10,
    fill: MUTED,
  });
  const width = Math.max(left + k * cell + 16, left + 520);
  return { width, height: barY + 28, title: "Mean |SHAP interaction| per pair of features", items };
}
