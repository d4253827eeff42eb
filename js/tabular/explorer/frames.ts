// What the data explorer draws for one choice of axes, cohort and settings (a frame), and what a place on
// it means: the ticks, the points or bins under the pointer, the rows and ranges of a brushed region.
// Pure functions over the axes' values; the view (view.ts) owns the DOM and paint.ts the pixels.
import { fmt } from "../../core/dom";
import type { Coloring } from "../dependence/coloring";
import { JITTER, jitter } from "../dependence/points";
import { allWhole, linearScale, niceTicks, paddedExtent, type Scale } from "../dependence/scales";
import { type Axis, axisLabel } from "./axes";
import { type BinSpec, type BinSummary, binEdges, binSummary, finiteExtent, levelBins } from "./bins";
import type { AxisRange } from "./brush";
import { binLabel, type Stat } from "./export";

export const PLOT_H = 320; // css px of the plot area
const INSET = 4; // css px between the area's edges and the outermost points or bins
const Y_JITTER_SEED = 0x51ed27; // a second stream of jitter, so a row's x and y do not move together

interface Plot {
  xs: Scale; // plot units (log10 on a log axis; bin units in the aggregate view) -> css px of the area
  ys: Scale;
  width: number;
}

export interface ScatterFrame extends Plot {
  mode: "individual";
  x: Axis;
  y: Axis;
  xv: Float32Array; // every row's value
  yv: Float32Array;
  rows: Int32Array; // the plotted rows
  tx: Float32Array; // plot units of each point (jittered on discrete axes)
  ty: Float32Array;
  coloring: Coloring;
  colourAxis: Axis | null;
  colourValues: Float32Array | null;
  logX: boolean;
  logY: boolean;
  xInteger: boolean; // every plotted value a whole number
  yInteger: boolean;
  dropped: number; // rows of the cohort not drawn (a value missing, or not positive on a log axis)
  px?: Float32Array; // css px of each point, from the last paint (hover, click, brush)
  py?: Float32Array;
}

export interface BinFrame extends Plot {
  mode: "aggregate";
  x: Axis;
  y: Axis;
  xv: Float32Array;
  yv: Float32Array;
  rows: Int32Array; // the cohort's rows
  spec: BinSpec;
  summary: BinSummary;
  stat: Stat;
  logY: boolean;
  xInteger: boolean;
  colour: string;
}

export type Frame = ScatterFrame | BinFrame;

export interface Tick {
  v: number; // plot units
  label: string;
}

/** Why a log scale cannot show these rows of an axis (a value <= 0), or null when it can. */
export function logRefusal(axis: Axis, values: Float32Array, rows: Int32Array): string | null {
  if (axis.kind !== "number") return `${axis.short} is not a number axis: it has no log scale.`;
  let min = Number.POSITIVE_INFINITY;
  for (let p = 0; p < rows.length; p++) {
    const v = values[rows[p]];
    if (v < min) min = v;
  }
  if (min > 0) return null;
  return `Log scale needs positive values: ${axis.short} has values ≤ 0 here (the smallest is ${fmt(min)}), so its axis stays linear.`;
}

/** The points' place on an axis: the value (log10 on a log axis), or a level's code jittered in its band. */
function plotUnits(axis: Axis, values: Float32Array, rows: Int32Array, log: boolean, seed: number): Float32Array {
  const out = new Float32Array(rows.length);
  if (axis.kind !== "number") for (let p = 0; p < rows.length; p++) out[p] = values[rows[p]] + JITTER * jitter(rows[p] ^ seed);
  else if (log) for (let p = 0; p < rows.length; p++) out[p] = Math.log10(values[rows[p]]);
  else for (let p = 0; p < rows.length; p++) out[p] = values[rows[p]];
  return out;
}

export interface ScatterInput {
  x: Axis;
  y: Axis;
  xv: Float32Array;
  yv: Float32Array;
  rows: Int32Array; // the cohort's rows
  logX: boolean; // already checked by logRefusal
  logY: boolean;
  colourAxis: Axis | null;
  colourValues: Float32Array | null;
  /** The colours of the plotted rows (by cohort, or by the colour axis). */
  colour: (rows: Int32Array) => Coloring;
  width: number;
}

/** The scatter of every cohort row with both values; null when no row has them. */
export function scatterFrame(o: ScatterInput): ScatterFrame | null {
  const { x, y, xv, yv, logX, logY } = o;
  let m = 0;
  const keep = new Int32Array(o.rows.length);
  for (let p = 0; p < o.rows.length; p++) {
    const i = o.rows[p];
    const a = xv[i];
    const b = yv[i];
    if (Number.isNaN(a) || Number.isNaN(b) || (logX && !(a > 0)) || (logY && !(b > 0))) continue;
    keep[m++] = i;
  }
  if (!m) return null;
  const rows = keep.slice(0, m);
  const tx = plotUnits(x, xv, rows, logX, 0);
  const ty = plotUnits(y, yv, rows, logY, Y_JITTER_SEED);
  const domain = (a: Axis, t: Float32Array): [number, number] => (a.kind === "number" ? paddedExtent(t) : [-0.5, a.levels.length - 0.5]);
  const whole = (a: Axis, log: boolean, v: Float32Array) => a.kind === "number" && !log && allWhole(Float32Array.from(rows, (i) => v[i]));
  return {
    mode: "individual",
    x,
    y,
    xv,
    yv,
    rows,
    tx,
    ty,
    coloring: o.colour(rows),
    colourAxis: o.colourAxis,
    colourValues: o.colourValues,
    logX,
    logY,
    xInteger: whole(x, logX, xv),
    yInteger: whole(y, logY, yv),
    dropped: o.rows.length - m,
    xs: linearScale(domain(x, tx), [INSET, o.width - INSET]),
    ys: linearScale(domain(y, ty), [PLOT_H - INSET, INSET]),
    width: o.width,
  };
}

export interface BinInput {
  x: Axis;
  y: Axis;
  xv: Float32Array;
  yv: Float32Array;
  rows: Int32Array;
  bins: number; // equal-width bins of a number x
  stat: Stat;
  logY: boolean; // already checked by logRefusal
  colour: string;
  width: number;
}

/** x binned over the cohort's rows (bins.ts: numpy's rules), and y's count, mean or box per bin. */
export function binFrame(o: BinInput): BinFrame {
  const { x, xv, rows, stat, logY } = o;
  const spec: BinSpec =
    x.kind === "number"
      ? (() => {
          const [lo, hi] = finiteExtent(xv, rows);
          return { edges: binEdges(lo, hi, o.bins) };
        })()
      : levelBins(x.levels.length);
  const summary = binSummary(xv, stat === "count" ? null : o.yv, rows, spec);
  const nb = summary.counts.length;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const take = (v: number) => {
    if (!Number.isFinite(v)) return;
    const t = logY ? Math.log10(v) : v;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  };
  for (let b = 0; b < nb; b++) {
    if (stat === "count") take(summary.counts[b]);
    else if (stat === "mean") take(summary.means[b]);
    else {
      take(summary.boxes[b].whiskerLow);
      take(summary.boxes[b].whiskerHigh);
    }
  }
  if (stat === "count" || (stat === "mean" && !logY)) {
    // bars stand on 0
    lo = Math.min(0, lo);
    hi = Math.max(0, hi);
  }
  const yDomain: [number, number] = lo <= hi ? paddedExtent([lo, hi], stat === "count" ? 0 : 0.05) : [0, 1];
  if (stat === "count") yDomain[0] = 0;
  return {
    mode: "aggregate",
    x,
    y: o.y,
    xv,
    yv: o.yv,
    rows,
    spec,
    summary,
    stat,
    logY,
    xInteger: x.kind === "number" && allWhole(Float32Array.from(rows, (i) => xv[i])),
    colour: o.colour,
    xs: linearScale([0, nb], [INSET, o.width - INSET]),
    ys: linearScale(yDomain, [PLOT_H, INSET]),
    width: o.width,
  };
}

/** Ticks of a log10 axis (domain in log10 units): powers of ten, with 2 and 5 between when there are few. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const a = Math.floor(lo);
  const b = Math.ceil(hi);
  for (let e = a; e <= b; e++) for (const m of b - a <= 2 ? [1, 2, 5] : [1]) out.push(Math.log10(m * 10 ** e));
  return out.filter((t) => t >= lo - 1e-9 && t <= hi + 1e-9);
}

/** Ticks of a scatter axis: its levels (thinned to `gap` px apart), powers of ten on a log axis, or round numbers. */
function axisTicks(axis: Axis, s: Scale, log: boolean, integer: boolean, gap: number): Tick[] {
  const [lo, hi] = s.domain;
  const length = Math.abs(s.range[1] - s.range[0]);
  if (axis.kind !== "number") {
    const n = axis.levels.length;
    const every = Math.max(1, Math.ceil((n * gap) / length));
    const out: Tick[] = [];
    for (let k = 0; k < n; k += every) out.push({ v: k, label: axis.levels[k] });
    return out;
  }
  if (log) return logTicks(lo, hi).map((v) => ({ v, label: fmt(10 ** v) }));
  return niceTicks(lo, hi, Math.max(3, Math.floor(length / (gap + 10))), integer).map((v) => ({ v, label: fmt(v) }));
}

export function yTicksOf(f: Frame): Tick[] {
  if (f.mode === "individual") return axisTicks(f.y, f.ys, f.logY, f.yInteger, f.y.kind === "number" ? 50 : 16);
  const [lo, hi] = f.ys.domain;
  if (f.logY) return logTicks(lo, hi).map((v) => ({ v, label: fmt(10 ** v) }));
  return niceTicks(lo, hi, 5, f.stat === "count").map((v) => ({ v, label: fmt(v) }));
}

export function xTicksOf(f: Frame): Tick[] {
  if (f.mode === "individual") return axisTicks(f.x, f.xs, f.logX, f.xInteger, 70);
  const nb = f.summary.counts.length;
  if (!("edges" in f.spec)) {
    const every = Math.max(1, Math.ceil((nb * 70) / f.width));
    const out: Tick[] = [];
    for (let b = 0; b < nb; b += every) out.push({ v: b + 0.5, label: f.x.levels[b] ?? String(b) });
    return out;
  }
  const e = f.spec.edges;
  const lo = e[0];
  const hi = e[nb];
  return niceTicks(lo, hi, Math.max(3, Math.floor(f.width / 80)), f.xInteger).map((v) => ({
    v: ((v - lo) / (hi - lo)) * nb,
    label: fmt(v),
  }));
}

export interface Point2 {
  x: number;
  y: number;
}

/** The ranges (of the axes the region limits) and the rows of a region brushed from a to b (css px of the area). */
export function brushRegion(f: Frame, a: Point2, b: Point2): { ranges: AxisRange[]; rows: () => Int32Array } | null {
  const [x0, x1] = [Math.min(a.x, b.x), Math.max(a.x, b.x)];
  const [y0, y1] = [Math.min(a.y, b.y), Math.max(a.y, b.y)];
  if (f.mode === "aggregate") {
    const nb = f.summary.counts.length;
    const b0 = Math.max(0, Math.floor(f.xs.invert(x0)));
    const b1 = Math.min(nb - 1, Math.ceil(f.xs.invert(x1)) - 1);
    if (b1 < b0) return null;
    const spec = f.spec;
    const range: AxisRange =
      "edges" in spec
        ? {
            axis: f.x,
            lo: spec.edges[b0],
            hi: spec.edges[b1 + 1],
            span: spec.edges[nb] - spec.edges[0],
            integer: f.xInteger,
            upperOpen: b1 < nb - 1,
          }
        : { axis: f.x, lo: b0, hi: b1, span: nb, integer: false };
    const rows = () => {
      const out: number[] = [];
      for (let p = 0; p < f.rows.length; p++) if (f.summary.bin[p] >= b0 && f.summary.bin[p] <= b1) out.push(f.rows[p]);
      return Int32Array.from(out);
    };
    return { ranges: [range], rows };
  }
  // A side dragged across the whole plot does not limit that axis.
  const fullWidth = x0 <= 2 && x1 >= f.width - 2;
  const fullHeight = y0 <= 2 && y1 >= PLOT_H - 2;
  const toData = (axis: Axis, log: boolean, v: number) => (axis.kind === "number" && log ? 10 ** v : v);
  const span = (s: Scale, axis: Axis, log: boolean) => Math.abs(toData(axis, log, s.domain[1]) - toData(axis, log, s.domain[0]));
  const ranges: AxisRange[] = [];
  if (!fullWidth)
    ranges.push({
      axis: f.x,
      lo: toData(f.x, f.logX, f.xs.invert(x0)),
      hi: toData(f.x, f.logX, f.xs.invert(x1)),
      span: span(f.xs, f.x, f.logX),
      integer: f.xInteger,
    });
  if (!fullHeight)
    ranges.push({
      axis: f.y,
      lo: toData(f.y, f.logY, f.ys.invert(y1)),
      hi: toData(f.y, f.logY, f.ys.invert(y0)),
      span: span(f.ys, f.y, f.logY),
      integer: f.yInteger,
    });
  const rows = () => {
    const out: number[] = [];
    const { px, py } = f;
    if (px && py) for (let p = 0; p < f.rows.length; p++) if (px[p] >= x0 && px[p] <= x1 && py[p] >= y0 && py[p] <= y1) out.push(f.rows[p]);
    return Int32Array.from(out);
  };
  return { ranges, rows };
}

/** The point nearest (mx, my) within 7 px, or -1. */
export function nearestPoint(f: Frame, mx: number, my: number): number {
  if (f.mode !== "individual" || !f.px || !f.py) return -1;
  let best = -1;
  let bestD = 49;
  const { px, py } = f;
  for (let p = 0; p < px.length; p++) {
    const dx = px[p] - mx;
    if (dx > 7 || dx < -7) continue;
    const d = dx * dx + (py[p] - my) ** 2;
    if (d < bestD) {
      bestD = d;
      best = p;
    }
  }
  return best;
}

/** What the tooltip says at a place of the area, and where it points; null over nothing. */
export function hoverText(f: Frame, at: Point2): { text: string; x: number; y: number } | null {
  if (f.mode === "individual") {
    const p = nearestPoint(f, at.x, at.y);
    if (p < 0 || !f.px || !f.py) return null;
    const i = f.rows[p];
    const parts = [`row ${i}`, `${f.x.short} = ${axisLabel(f.x, f.xv[i])}`, `${f.y.short} = ${axisLabel(f.y, f.yv[i])}`];
    if (f.colourAxis && f.colourValues && f.colourAxis.id !== f.x.id && f.colourAxis.id !== f.y.id)
      parts.push(`${f.colourAxis.short} = ${axisLabel(f.colourAxis, f.colourValues[i])}`);
    return { text: parts.join(" · "), x: f.px[p], y: f.py[p] };
  }
  const b = Math.floor(f.xs.invert(at.x));
  if (b < 0 || b >= f.summary.counts.length) return null;
  const where = `${f.x.short} ${binLabel(f.x, f.spec, b)}`;
  const n = `${f.summary.counts[b].toLocaleString()} ${f.summary.counts[b] === 1 ? "row" : "rows"}`;
  const box = f.summary.boxes[b];
  const y = f.y.short;
  const v = (x: number) => fmt(x, 4);
  let text: string;
  if (f.stat === "count") text = `${where}: ${n}`;
  else if (f.stat === "mean") text = `${where}: ${n}, mean ${y} ${v(f.summary.means[b])}`;
  else if (box?.n)
    text =
      `${where}: ${n}; ${y} median ${v(box.median)}, quartiles ${v(box.q1)} – ${v(box.q3)}, ` +
      `whiskers ${v(box.whiskerLow)} – ${v(box.whiskerHigh)}, min ${v(box.min)}, max ${v(box.max)}`;
  else text = `${where}: ${n}, no ${y} value`;
  return { text, x: at.x, y: at.y };
}
