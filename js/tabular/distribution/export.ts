// The distribution chart's files: its figures as CSV (per feature per cohort) and its picture as a Scene
// (core/export.ts makes the SVG and the PNG of it). Pure functions of a drawn layout.
import { fmt } from "../../core/dom";
import { type Cell as CsvCell, canvasPng, fitText, MUTED, type Scene, type SceneItem, sceneToCanvas, textWidth } from "../../core/export";
import { computedOnCsv } from "../computedOn";
import type { TabularData } from "../data";
import { GREY } from "../dependence/coloring";
import { rgb } from "../dependence/raster";
import { niceTicks } from "../dependence/scales";
import { countRows } from "../wording";
import { type CellCache, RAMP_STEPS } from "./cells";
import { type Layout, layerStep, paintSwarm } from "./draw";

/** Beeswarm dots per feature in the SVG: a vector file of 100,000 circles per feature would not open. */
export const SVG_SWARM_POINTS = 1500;

/** n, min, whiskers, quartiles, median, max and mean of every feature x cohort the chart draws, in its order;
 *  `sampled` (a large explanation): a computed_on column says the figures are the stratified sample's. */
export function distributionCsv(data: TabularData, layout: Layout, output: string, sampled = false): string {
  const rows: CsvCell[][] = [];
  for (const band of layout.bands)
    for (const slot of band.slots) {
      const b = slot.cell.box;
      rows.push([
        data.meta.feature_names[band.j],
        slot.series.cohort.name,
        output,
        b.n,
        b.min,
        b.whiskerLow,
        b.q1,
        b.median,
        b.q3,
        b.whiskerHigh,
        b.max,
        b.mean,
      ]);
    }
  const header = ["feature", "cohort", "output", "n", "min", "whisker_low", "q1", "median", "q3", "whisker_high", "max", "mean"];
  return computedOnCsv(header, rows, sampled ? "sample" : null);
}

/** A colour mixed with white: the scene has no opacity for rects. */
function tint(hex: string, a: number): string {
  const [r, g, b] = rgb(hex).map((v) => Math.round(255 - (255 - v) * a));
  return `rgb(${r},${g},${b})`;
}

export interface SceneText {
  title: string; // the SVG's title
  caption: string;
  xTitle: string;
  legend: { color: string; label: string }[];
  rampLegend?: { low: string; high: string; colors: string[] };
}

/**
 * The chart as drawn (same bands, same scale), with labels, ticks and legend, on white. `swarm`:
 * "circles" draws up to SVG_SWARM_POINTS dots per feature (the SVG), "none" leaves the points to
 * the caller (the PNG paints them from the full raster at `plotOrigin`).
 */
export function distributionScene(
  data: TabularData,
  layout: Layout,
  cache: CellCache,
  text: SceneText,
  palette: string[],
  swarm: "circles" | "none" = "circles",
): { scene: Scene; plotOrigin: [number, number] } {
  const names = data.meta.feature_names;
  const labelW = Math.min(220, Math.max(60, ...layout.bands.map((b) => textWidth(names[b.j]))));
  const left = 12 + labelW + 10;
  const width = Math.max(left + layout.width + 16, textWidth(text.caption) + 24);
  const items: SceneItem[] = [{ kind: "text", x: 12, y: 20, text: text.caption, bold: true, size: 13 }];
  let x = 12;
  let y = 42;
  if (text.rampLegend) {
    const r = text.rampLegend;
    items.push({ kind: "text", x, y, text: r.low, fill: MUTED, size: 11 });
    x += textWidth(r.low, 11) + 4;
    const stepW = 80 / r.colors.length;
    r.colors.forEach((c, k) => {
      items.push({ kind: "rect", x: x + k * stepW, y: y - 10, w: stepW + 0.5, h: 12, fill: c });
    });
    x += 84;
    items.push({ kind: "text", x, y, text: r.high, fill: MUTED, size: 11 });
    x += textWidth(r.high, 11) + 16;
  }
  for (const e of text.legend) {
    const w = textWidth(e.label) + 26;
    if (x + w > width - 12 && x > 12) {
      x = 12;
      y += 18;
    }
    items.push({ kind: "rect", x, y: y - 10, w: 12, h: 12, fill: e.color }, { kind: "text", x: x + 16, y, text: e.label, fill: MUTED });
    x += w;
  }
  const top = y + 14;
  const ox = left;
  const { xs } = layout;
  const X = (v: number) => ox + xs(v);
  for (const t of niceTicks(xs.domain[0], xs.domain[1], Math.max(3, Math.floor(layout.width / 90)))) {
    items.push(
      { kind: "line", x1: X(t), y1: top, x2: X(t), y2: top + layout.height, stroke: t === 0 ? "#9e9e9e" : "#e6e6e6" },
      { kind: "text", x: X(t), y: top + layout.height + 14, text: fmt(t), size: 11, fill: MUTED, anchor: "middle" },
    );
  }
  items.push({ kind: "line", x1: ox, y1: top + layout.height, x2: ox + layout.width, y2: top + layout.height, stroke: MUTED });
  for (const band of layout.bands) {
    const by = top + band.top;
    items.push({ kind: "text", x: left - 8, y: by + band.height / 2 + 4, text: fitText(names[band.j], labelW), anchor: "end" });
    for (const slot of band.slots) {
      const b = slot.cell.box;
      if (!b.n) continue;
      const cy = top + slot.top + slot.height / 2;
      const color = slot.series.color;
      const title = `${names[band.j]} · ${slot.series.cohort.name}: median ${b.median}, Q1 ${b.q1}, Q3 ${b.q3}`;
      if (layout.mode === "box") {
        const half = Math.min(6, slot.height / 2 - 2);
        items.push(
          { kind: "line", x1: X(b.whiskerLow), y1: cy, x2: X(b.q1), y2: cy, stroke: color },
          { kind: "line", x1: X(b.q3), y1: cy, x2: X(b.whiskerHigh), y2: cy, stroke: color },
          { kind: "line", x1: X(b.whiskerLow), y1: cy - half / 2, x2: X(b.whiskerLow), y2: cy + half / 2, stroke: color },
          { kind: "line", x1: X(b.whiskerHigh), y1: cy - half / 2, x2: X(b.whiskerHigh), y2: cy + half / 2, stroke: color },
          { kind: "rect", x: X(b.q1), y: cy - half, w: Math.max(1, X(b.q3) - X(b.q1)), h: 2 * half, fill: tint(color, 0.45), title },
          { kind: "line", x1: X(b.median), y1: cy - half, x2: X(b.median), y2: cy + half, stroke: "#1f1f1f", width: 2 },
          { kind: "rect", x: X(b.mean) - 2.5, y: cy - 2.5, w: 5, h: 5, fill: "#1f1f1f" },
        );
        const marks = new Set<number>();
        for (const arr of [slot.cell.below, slot.cell.above]) for (let p = 0; p < arr.length; p++) marks.add(Math.round(X(arr[p])));
        for (const px of marks) items.push({ kind: "circle", cx: px, cy, r: 1.5, fill: color });
      } else if (layout.mode === "violin") {
        const d = cache.density(slot.cell);
        const half = slot.height / 2 - 2;
        if (!d) {
          items.push({ kind: "line", x1: X(b.median), y1: cy - half, x2: X(b.median), y2: cy + half, stroke: color, width: 2 });
          continue;
        }
        const peak = Math.max(...d.density) || 1;
        for (let g = 0; g + 1 < d.grid.length; g++) {
          const h = ((d.density[g] + d.density[g + 1]) / 2 / peak) * half;
          items.push({
            kind: "rect",
            x: X(d.grid[g]),
            y: cy - h,
            w: X(d.grid[g + 1]) - X(d.grid[g]) + 0.3,
            h: 2 * h,
            fill: tint(color, 0.5),
          });
        }
        items.push(
          { kind: "rect", x: X(b.q1), y: cy - 1.5, w: Math.max(1, X(b.q3) - X(b.q1)), h: 3, fill: "#1f1f1f", title },
          { kind: "circle", cx: X(b.median), cy, r: 2.5, fill: "#ffffff" },
        );
      } else if (swarm === "circles") {
        const dots = cache.swarm(slot.cell);
        const colours = cache.colours(slot.series, band.j);
        const n = dots.x.length;
        const every = Math.max(1, Math.ceil(n / SVG_SWARM_POINTS));
        const step = layerStep(slot.height, Math.max(1, Math.ceil(dots.depth / every)), 4);
        for (let p = 0; p < n; p += every) {
          if (Number.isNaN(dots.x[p])) continue;
          items.push({ kind: "circle", cx: X(dots.x[p]), cy: cy + (dots.layer[p] / every) * step, r: 1.6, fill: palette[colours[p]] });
        }
      }
    }
  }
  items.push({ kind: "text", x: ox + layout.width / 2, y: top + layout.height + 32, text: text.xTitle, size: 12, anchor: "middle" });
  return { scene: { width, height: top + layout.height + 44, title: text.title, items }, plotOrigin: [ox, top] };
}

/** The texts of the exported picture: the chart's caption and axis title, its legend (cohorts, or the colour ramp). */
/** The scene's words; `sample` (a large explanation) names each cohort's rows as the sample's ("sample of n"). */
export function sceneTextOf(
  layout: Layout,
  caption: string,
  xTitle: string,
  palette: string[],
  sample: (rows: number) => string | null = () => null,
): SceneText {
  const swarm = layout.mode === "beeswarm";
  return {
    title: `Distribution of local importances (${layout.mode}): ${caption}`,
    caption,
    xTitle,
    legend: swarm
      ? [{ color: GREY, label: "missing" }]
      : (layout.bands[0]?.slots.map((s) => ({
          color: s.series.color,
          label: `${s.series.cohort.name} (${sample(s.series.count) ?? countRows(s.series.count)})`,
        })) ?? []),
    rampLegend: swarm
      ? { low: "feature value: low", high: "high", colors: palette.slice(1).filter((_, k) => k % 4 === 0 || k === RAMP_STEPS - 1) }
      : undefined,
  };
}

/** The PNG: the scene painted at 2x, and for the beeswarm every dot from a raster at the same scale. */
export function distributionPng(
  data: TabularData,
  layout: Layout,
  cache: CellCache,
  text: SceneText,
  palette: string[],
  packed: Uint32Array,
): Promise<Blob> {
  const ratio = 2;
  const { scene, plotOrigin } = distributionScene(data, layout, cache, text, palette, "none");
  const out = sceneToCanvas(scene, ratio);
  if (layout.mode === "beeswarm") {
    const w = Math.round(layout.width * ratio);
    const h = Math.round(layout.height * ratio);
    const dots = document.createElement("canvas");
    dots.width = w;
    dots.height = h;
    const dctx = dots.getContext("2d");
    const octx = out.getContext("2d");
    if (dctx && octx) {
      const img = dctx.createImageData(w, h);
      paintSwarm(new Uint32Array(img.data.buffer), w, h, ratio, layout, cache, packed);
      dctx.putImageData(img, 0, 0);
      octx.setTransform(ratio, 0, 0, ratio, 0, 0);
      octx.drawImage(dots, plotOrigin[0], plotOrigin[1], layout.width, layout.height);
    }
  }
  return canvasPng(out);
}
