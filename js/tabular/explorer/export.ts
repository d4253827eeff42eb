// What the data explorer exports: the CSV of what it draws (each plotted row's x, y and colour, or each
// bin's figures) and the Scene of its picture (core/export.ts makes SVG and PNG of it). Pure functions.

import { fmt } from "../../core/dom";
import { type Cell, fitText, MUTED, type Scene, type SceneItem, textWidth } from "../../core/export";
import type { BoxStats } from "../../core/quantiles";
import { type ComputedOn, computedOnCsv } from "../computedOn";
import type { Coloring } from "../dependence/coloring";
import { linearScale } from "../dependence/scales";
import { type Axis, axisCell } from "./axes";
import type { BinSpec, BinSummary } from "./bins";

export type Stat = "count" | "mean" | "box";

/** The points as drawn: row, x, y (values, not jittered; levels by name), colour group and colour; `on` "sample" (a large
 *  explanation: the points are the sample's rows) adds a computed_on column. */
export function pointsCsv(
  x: Axis,
  y: Axis,
  xv: Float32Array,
  yv: Float32Array,
  rows: Int32Array,
  coloring: Coloring,
  groupOf: (p: number) => string,
  colourName: string,
  on: ComputedOn = null,
): string {
  const out: Cell[][] = [];
  for (let p = 0; p < rows.length; p++) {
    const i = rows[p];
    out.push([i, axisCell(x, xv[i]), axisCell(y, yv[i]), groupOf(p), coloring.palette[coloring.bins[p]]]);
  }
  return computedOnCsv(["row", x.short, y.short, colourName, "colour"], out, on);
}

/** How bin b reads: "[1.5, 3)" (the last "[4.5, 6]"), or a level's name. */
export function binLabel(x: Axis, spec: BinSpec, b: number): string {
  if (!("edges" in spec)) return x.levels[b] ?? String(b);
  const e = spec.edges;
  const last = b === e.length - 2;
  return `[${fmt(e[b], 4)}, ${fmt(e[b + 1], 4)}${last ? "]" : ")"}`;
}

/** One line per bin: its range or level, its count, and the mean or the box of y; `on` as pointsCsv's. */
export function binsCsv(x: Axis, y: Axis | null, spec: BinSpec, s: BinSummary, stat: Stat, on: ComputedOn = null): string {
  const numeric = "edges" in spec;
  const head = numeric ? ["bin", "x_from", "x_to"] : ["bin", x.short];
  const yName = y?.short ?? "y";
  const tail =
    stat === "count"
      ? ["rows"]
      : stat === "mean"
        ? ["rows", `mean_${yName}`]
        : ["rows", "n", "min", "whisker_low", "q1", "median", "q3", "whisker_high", "max", "mean"];
  const out: Cell[][] = [];
  for (let b = 0; b < s.counts.length; b++) {
    const where: Cell[] = numeric ? [b, spec.edges[b], spec.edges[b + 1]] : [b, x.levels[b] ?? String(b)];
    const box: BoxStats | undefined = s.boxes[b];
    const figures: Cell[] =
      stat === "count"
        ? [s.counts[b]]
        : stat === "mean"
          ? [s.counts[b], s.means[b]]
          : [s.counts[b], box?.n, box?.min, box?.whiskerLow, box?.q1, box?.median, box?.q3, box?.whiskerHigh, box?.max, box?.mean];
    out.push([...where, ...figures]);
  }
  return computedOnCsv([...head, ...tail], out, on);
}

/** An axis of the picture: its domain (plot units) and ticks in those units. */
export interface SceneAxis {
  domain: [number, number];
  ticks: { v: number; label: string }[];
  title: string;
}

export interface PlotPicture {
  title: string;
  xAxis: SceneAxis;
  yAxis: SceneAxis;
  legend: { color: string; label: string }[];
  /** The marks in a plot area of this size (px from its top left). */
  marks: (w: number, h: number) => SceneItem[];
}

/** A picture on white: legend, y ticks and grid, marks, x ticks, titles. */
export function plotScene(pic: PlotPicture): Scene {
  const W = 680;
  const H = 380;
  const yLabelW = Math.min(140, Math.max(30, ...pic.yAxis.ticks.map((t) => textWidth(t.label, 11))));
  const m = { left: yLabelW + 30, right: 16, top: 44, bottom: 56 };
  const w = W - m.left - m.right;
  const hgt = H - m.top - m.bottom;
  const X = linearScale(pic.xAxis.domain, [0, w]);
  const Y = linearScale(pic.yAxis.domain, [hgt, 0]);
  const items: SceneItem[] = [{ kind: "text", x: 12, y: 16, text: fitText(pic.yAxis.title, W - 24, 12), size: 12, bold: true }];
  let lx = 12;
  for (const e of pic.legend) {
    const label = fitText(e.label, 200, 11);
    items.push(
      { kind: "rect", x: lx, y: 24, w: 10, h: 10, fill: e.color },
      { kind: "text", x: lx + 14, y: 33, text: label, size: 11, fill: MUTED },
    );
    lx += textWidth(label, 11) + 28;
  }
  for (const t of pic.yAxis.ticks)
    items.push(
      { kind: "line", x1: m.left, y1: m.top + Y(t.v), x2: W - m.right, y2: m.top + Y(t.v), stroke: "#e0e0e0" },
      { kind: "text", x: m.left - 6, y: m.top + Y(t.v) + 4, text: fitText(t.label, yLabelW, 11), size: 11, fill: MUTED, anchor: "end" },
    );
  for (const it of pic.marks(w, hgt)) items.push(shift(it, m.left, m.top));
  items.push(
    { kind: "line", x1: m.left, y1: m.top + hgt, x2: W - m.right, y2: m.top + hgt, stroke: MUTED },
    { kind: "line", x1: m.left, y1: m.top, x2: m.left, y2: m.top + hgt, stroke: MUTED },
  );
  for (const t of pic.xAxis.ticks)
    items.push({
      kind: "text",
      x: m.left + X(t.v),
      y: m.top + hgt + 16,
      text: fitText(t.label, 90, 11),
      size: 11,
      fill: MUTED,
      anchor: "middle",
    });
  items.push({ kind: "text", x: m.left + w / 2, y: H - 14, text: fitText(pic.xAxis.title, W - 24, 12), size: 12, anchor: "middle" });
  return { width: W, height: H, title: pic.title, items };
}

function shift(it: SceneItem, dx: number, dy: number): SceneItem {
  if (it.kind === "rect" || it.kind === "text") return { ...it, x: it.x + dx, y: it.y + dy };
  if (it.kind === "circle") return { ...it, cx: it.cx + dx, cy: it.cy + dy };
  return { ...it, x1: it.x1 + dx, x2: it.x2 + dx, y1: it.y1 + dy, y2: it.y2 + dy };
}
