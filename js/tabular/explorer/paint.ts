// The data explorer's pixels: the scatter painted into one ImageData in colour batches (dependence/raster.ts:
// 100,000 points in a few ms, no canvas call per point), the aggregate view's bars and boxes (a few dozen
// marks, as Scene items so the canvas and the exported SVG / PNG draw the same), rings round the selected
// rows, and the picture for export.
import type { SceneItem } from "../../core/export";
import { batches, paintPoints } from "../dependence/raster";
import { linearScale } from "../dependence/scales";
import { binLabel, type PlotPicture } from "./export";
import { type BinFrame, type Frame, type ScatterFrame, xTicksOf, yTicksOf } from "./frames";

/** Paint the points; keeps each point's css px on the frame (hover, click, brush). Returns the ImageData (reused next time). */
export function paintScatter(ctx: CanvasRenderingContext2D, f: ScatterFrame, W: number, H: number, dpr: number, reuse: ImageData | null) {
  const m = f.rows.length;
  const px = new Float32Array(m);
  const py = new Float32Array(m);
  const dx = new Float32Array(m);
  const dy = new Float32Array(m);
  const { xs, ys, tx, ty } = f;
  for (let p = 0; p < m; p++) {
    px[p] = xs(tx[p]);
    py[p] = ys(ty[p]);
    dx[p] = px[p] * dpr;
    dy[p] = py[p] * dpr;
  }
  f.px = px;
  f.py = py;
  const size = Math.max(1, Math.round((m > 20000 ? 2 : m > 2000 ? 3 : 4) * dpr));
  const alpha = m > 5000 ? 0.55 : 0.85;
  const image = reuse && reuse.width === W && reuse.height === H ? reuse : ctx.createImageData(W, H);
  if (image === reuse) image.data.fill(0);
  const groups = batches(f.coloring.bins, f.coloring.palette.length);
  const { order, palette } = f.coloring;
  paintPoints(
    image.data,
    W,
    H,
    dx,
    dy,
    order.map((b) => groups[b]),
    order.map((b) => palette[b]),
    size,
    alpha,
  );
  ctx.putImageData(image, 0, 0);
  return image;
}

/** Rings round the selected rows that are drawn: dark inside, light outside, so they show on any point and theme. */
export function paintRings(ctx: CanvasRenderingContext2D, f: Frame, selected: readonly number[], dpr: number): void {
  if (f.mode !== "individual" || !f.px || !f.py || !selected.length) return;
  const want = new Set(selected);
  ctx.save();
  for (let p = 0; p < f.rows.length; p++) {
    if (!want.has(f.rows[p])) continue;
    const x = f.px[p] * dpr;
    const y = f.py[p] * dpr;
    ctx.strokeStyle = "#000000";
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    ctx.arc(x, y, 6 * dpr, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = dpr;
    ctx.beginPath();
    ctx.arc(x, y, 7.5 * dpr, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.restore();
}

/** A y value of the aggregate view in plot units (log10 on a log axis). */
const yUnits = (f: BinFrame, v: number) => (f.logY ? Math.log10(v) : v);

/** The bars or boxes of the aggregate view, in px from the scales X (bin units) and Y (plot units of y). */
export function binMarks(f: BinFrame, X: (b: number) => number, Y: (t: number) => number): SceneItem[] {
  const items: SceneItem[] = [];
  const { summary, stat, colour } = f;
  const [d0, d1] = f.ys.domain;
  const baseY = Y(f.logY ? d0 : Math.max(d0, Math.min(0, d1))); // bars stand on 0, or on the bottom of a log axis
  const at = (v: number) => Y(yUnits(f, v));
  for (let b = 0; b < summary.counts.length; b++) {
    const x0 = X(b);
    const x1 = X(b + 1);
    const pad = Math.min(6, (x1 - x0) * 0.12);
    const bw = Math.max(1, Math.min(stat === "box" ? 72 : 160, x1 - x0 - 2 * pad)); // centred in its bin
    const bx = (x0 + x1 - bw) / 2;
    if (stat === "count" || stat === "mean") {
      const v = stat === "count" ? summary.counts[b] : summary.means[b];
      if (!Number.isFinite(v) || (stat === "count" && v === 0)) continue;
      const top = at(v);
      items.push({
        kind: "rect",
        x: bx,
        y: Math.min(top, baseY),
        w: bw,
        h: Math.max(1, Math.abs(baseY - top)),
        fill: colour,
        title: `${binLabel(f.x, f.spec, b)}: ${v}`,
      });
      continue;
    }
    const box = summary.boxes[b];
    if (!box?.n) continue;
    const mid = bx + bw / 2;
    const cap = Math.min(bw / 2, 8);
    const line = (x1: number, y1: number, x2: number, y2: number): SceneItem => ({
      kind: "line",
      x1,
      y1,
      x2,
      y2,
      stroke: colour,
      width: 1.5,
    });
    items.push(
      line(mid, at(box.whiskerLow), mid, at(box.q1)),
      line(mid, at(box.q3), mid, at(box.whiskerHigh)),
      line(mid - cap, at(box.whiskerLow), mid + cap, at(box.whiskerLow)),
      line(mid - cap, at(box.whiskerHigh), mid + cap, at(box.whiskerHigh)),
      { kind: "rect", x: bx, y: at(box.q3), w: bw, h: Math.max(1, at(box.q1) - at(box.q3)), fill: colour, title: binLabel(f.x, f.spec, b) },
      { kind: "line", x1: bx, y1: at(box.median), x2: bx + bw, y2: at(box.median), stroke: "#ffffff", width: 2 },
    );
  }
  return items;
}

/** Paint the aggregate view's marks on the canvas (css px scaled to device px). */
export function paintBins(ctx: CanvasRenderingContext2D, f: BinFrame, W: number, H: number, dpr: number): void {
  ctx.clearRect(0, 0, W, H);
  ctx.save();
  ctx.scale(dpr, dpr);
  for (const it of binMarks(f, f.xs, f.ys)) {
    if (it.kind === "rect") {
      ctx.fillStyle = it.fill;
      ctx.fillRect(it.x, it.y, it.w, it.h);
    } else if (it.kind === "line") {
      ctx.strokeStyle = it.stroke;
      ctx.lineWidth = it.width ?? 1;
      ctx.beginPath();
      ctx.moveTo(it.x1, it.y1);
      ctx.lineTo(it.x2, it.y2);
      ctx.stroke();
    }
  }
  ctx.restore();
}

/** The frame as a picture for export (core/export.ts turns it into SVG and PNG): the same marks, ticks and titles. */
export function pictureOf(f: Frame, xTitle: string, yTitle: string, legend: { color: string; label: string }[]): PlotPicture {
  return {
    title: `Data explorer: ${xTitle}; ${yTitle}`,
    xAxis: { domain: f.xs.domain, ticks: xTicksOf(f), title: xTitle },
    yAxis: { domain: f.ys.domain, ticks: yTicksOf(f), title: yTitle },
    legend,
    marks: (w, h) => {
      const X = linearScale(f.xs.domain, [0, w]);
      const Y = linearScale(f.ys.domain, [h, 0]);
      if (f.mode === "aggregate") return binMarks(f, X, Y);
      const items: SceneItem[] = [];
      const r = f.rows.length > 2000 ? 1.5 : 2.5;
      const opacity = f.rows.length > 5000 ? 0.55 : 0.85;
      for (const b of f.coloring.order)
        for (let p = 0; p < f.rows.length; p++)
          if (f.coloring.bins[p] === b)
            items.push({ kind: "circle", cx: X(f.tx[p]), cy: Y(f.ty[p]), r, fill: f.coloring.palette[b], opacity });
      return items;
    },
  };
}
