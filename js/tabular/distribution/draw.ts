// Where each feature's band and each cohort's box, violin or swarm goes (the layout, shared by the
// canvas and the exported picture), and the canvas painting: boxes and violins as paths, beeswarm
// points written straight into an ImageData (100,000 rows x 30 features in a few tens of milliseconds).
import { rgb } from "../dependence/raster";
import { linearScale, paddedExtent, type Scale } from "../dependence/scales";
import type { Cell, CellCache, Series } from "./cells";

export type Mode = "box" | "violin" | "beeswarm";

export const SLOT_H: Record<Mode, number> = { box: 18, violin: 28, beeswarm: 40 }; // css px per cohort in a band
export const BAND_PAD = 8; // css px between features

export interface Slot {
  series: Series;
  cell: Cell;
  top: number; // css px from the top of the plot area
  height: number;
}
export interface Band {
  j: number;
  top: number;
  height: number;
  slots: Slot[];
}
export interface Layout {
  mode: Mode;
  width: number; // css px of the plot area
  height: number;
  xs: Scale; // SHAP value -> css px
  bands: Band[];
}

/** Bands top to bottom in feature order; one slot per cohort with rows (beeswarm: the active cohort only). */
export function layoutChart(
  mode: Mode,
  features: number[],
  series: Series[],
  cellOf: (s: Series, j: number) => Cell,
  width: number,
): Layout {
  const bands: Band[] = [];
  let y = BAND_PAD / 2;
  const ends: number[] = [];
  for (const j of features) {
    const slots: Slot[] = [];
    const top = y;
    for (const s of series) {
      const cell = cellOf(s, j);
      slots.push({ series: s, cell, top: y, height: SLOT_H[mode] });
      y += SLOT_H[mode];
      if (cell.count) ends.push(cell.min, cell.max);
    }
    bands.push({ j, top: top - BAND_PAD / 2, height: y - top + BAND_PAD, slots });
    y += BAND_PAD;
  }
  const domain = paddedExtent(
    ends.filter((v) => Number.isFinite(v)),
    0.04,
    0,
  );
  return { mode, width, height: Math.max(y - BAND_PAD / 2, 1), xs: linearScale(domain, [6, width - 6]), bands };
}

const rgba = (hex: string, a: number) => {
  const [r, g, b] = rgb(hex);
  return `rgba(${r},${g},${b},${a})`;
};

/** A box per slot: Q1 to Q3 filled in the cohort's colour, the median in ink, whiskers and caps, the mean as a diamond, points beyond the whiskers. */
export function paintBoxes(ctx: CanvasRenderingContext2D, layout: Layout, ink: string, bands = layout.bands): void {
  const { xs } = layout;
  for (const band of bands)
    for (const slot of band.slots) {
      const b = slot.cell.box;
      if (!b.n) continue;
      const cy = slot.top + slot.height / 2;
      const half = Math.min(6, slot.height / 2 - 2);
      const color = slot.series.color;
      ctx.strokeStyle = color;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(xs(b.whiskerLow), cy);
      ctx.lineTo(xs(b.q1), cy);
      ctx.moveTo(xs(b.q3), cy);
      ctx.lineTo(xs(b.whiskerHigh), cy);
      for (const w of [b.whiskerLow, b.whiskerHigh]) {
        ctx.moveTo(xs(w), cy - half / 2);
        ctx.lineTo(xs(w), cy + half / 2);
      }
      ctx.stroke();
      const x0 = xs(b.q1);
      const x1 = Math.max(xs(b.q3), x0 + 1);
      ctx.fillStyle = rgba(color, 0.35);
      ctx.fillRect(x0, cy - half, x1 - x0, 2 * half);
      ctx.strokeRect(x0 + 0.5, cy - half + 0.5, Math.max(0, x1 - x0 - 1), 2 * half - 1);
      ctx.strokeStyle = ink;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(xs(b.median), cy - half);
      ctx.lineTo(xs(b.median), cy + half);
      ctx.stroke();
      paintMean(ctx, xs(b.mean), cy, ink);
      // points beyond the whiskers, one mark per pixel column
      ctx.fillStyle = rgba(color, 0.8);
      let last = Number.NaN;
      for (const arr of [slot.cell.below, slot.cell.above])
        for (let p = 0; p < arr.length; p++) {
          const px = Math.round(xs(arr[p]));
          if (px === last) continue;
          last = px;
          ctx.fillRect(px - 1, cy - 1, 2, 2);
        }
    }
}

function paintMean(ctx: CanvasRenderingContext2D, x: number, cy: number, ink: string): void {
  ctx.fillStyle = ink;
  ctx.beginPath();
  ctx.moveTo(x, cy - 3.5);
  ctx.lineTo(x + 3.5, cy);
  ctx.lineTo(x, cy + 3.5);
  ctx.lineTo(x - 3.5, cy);
  ctx.closePath();
  ctx.fill();
}

/**
 * A violin per slot: the density mirrored about the slot's centre line, each scaled to its own peak,
 * with the quartiles as a bar and the median as a gap in it. No spread (every value the same, or one
 * value): a line at the value across the slot.
 */
export function paintViolins(
  ctx: CanvasRenderingContext2D,
  layout: Layout,
  cache: CellCache,
  ink: string,
  paper: string,
  bands = layout.bands,
): void {
  const { xs } = layout;
  for (const band of bands)
    for (const slot of band.slots) {
      const b = slot.cell.box;
      if (!b.n) continue;
      const cy = slot.top + slot.height / 2;
      const half = slot.height / 2 - 2;
      const color = slot.series.color;
      const d = cache.density(slot.cell);
      if (!d) {
        ctx.strokeStyle = color;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(xs(b.median), cy - half);
        ctx.lineTo(xs(b.median), cy + half);
        ctx.stroke();
        continue;
      }
      let peak = 0;
      for (let g = 0; g < d.density.length; g++) peak = Math.max(peak, d.density[g]);
      const k = peak > 0 ? half / peak : 0;
      ctx.beginPath();
      ctx.moveTo(xs(d.grid[0]), cy);
      for (let g = 0; g < d.grid.length; g++) ctx.lineTo(xs(d.grid[g]), cy - d.density[g] * k);
      for (let g = d.grid.length - 1; g >= 0; g--) ctx.lineTo(xs(d.grid[g]), cy + d.density[g] * k);
      ctx.closePath();
      ctx.fillStyle = rgba(color, 0.45);
      ctx.fill();
      ctx.strokeStyle = color;
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.fillStyle = ink;
      ctx.fillRect(xs(b.q1), cy - 1.5, Math.max(1, xs(b.q3) - xs(b.q1)), 3);
      ctx.fillStyle = paper;
      ctx.beginPath();
      ctx.arc(xs(b.median), cy, 2.5, 0, 2 * Math.PI);
      ctx.fill();
      ctx.strokeStyle = ink;
      ctx.stroke();
    }
}

/** The colours of the beeswarm's palette, packed for a little-endian Uint32 view of RGBA bytes. */
export function packedPalette(palette: string[]): Uint32Array {
  return Uint32Array.from(palette, (hex) => {
    const [r, g, b] = rgb(hex);
    return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
  });
}

/** The css px a beeswarm layer moves a point: shap's 0.9 of half the row over the deepest layer, at most a dot apart. */
export function layerStep(slotHeight: number, depth: number, dot: number): number {
  return Math.min(dot, (0.9 * (slotHeight / 2 - 2)) / depth);
}

/**
 * The beeswarm into an RGBA buffer of the plot area at `dpr` device px per css px: each row a square
 * dot in its colour (by the feature's value), opaque, in the order the layering visited them (so
 * colours interleave as shap's shuffle makes them). Returns the number of points drawn.
 */
export function paintSwarm(
  buf: Uint32Array,
  width: number,
  height: number,
  dpr: number,
  layout: Layout,
  cache: CellCache,
  palette: Uint32Array,
): number {
  let drawn = 0;
  for (const band of layout.bands) drawn += paintSwarmBand(buf, width, height, dpr, layout, band, cache, palette);
  return drawn;
}

/** One feature's band of the beeswarm (paintSwarm), so the view can spread a large swarm over frames. */
export function paintSwarmBand(
  buf: Uint32Array,
  width: number,
  height: number,
  dpr: number,
  layout: Layout,
  band: Band,
  cache: CellCache,
  palette: Uint32Array,
): number {
  const { xs } = layout;
  let drawn = 0;
  for (const slot of band.slots) {
    const n = slot.cell.values.length;
    if (!n) continue;
    const swarm = cache.swarm(slot.cell);
    const colours = cache.colours(slot.series, band.j);
    const dot = n > 20000 ? 2 : n > 2000 ? 3 : 4; // css px
    // device px: dense swarms at most 3 (1.5 css px on a HiDPI screen), each dot being size^2 writes
    const size = Math.max(1, n > 20000 ? Math.min(3, Math.round(dot * dpr)) : Math.round(dot * dpr));
    const step = layerStep(slot.height, swarm.depth, dot) * dpr;
    const cy = (slot.top + slot.height / 2) * dpr;
    const k = (xs.range[1] - xs.range[0]) / (xs.domain[1] - xs.domain[0] || 1);
    const x0d = xs.range[0];
    const d0 = xs.domain[0];
    const { x: values, layer: layers } = swarm;
    // x and y of the dot's top-left device pixel, rounded by adding 0.5 and truncating (both >= 0 once clamped)
    const ax = (x0d - d0 * k) * dpr - size / 2 + 0.5;
    const kx = k * dpr;
    const ay = cy - size / 2 + 0.5;
    const maxX = width - size;
    const maxY = height - size;
    for (let p = 0; p < n; p++) {
      const v = values[p];
      if (!Number.isNaN(v)) {
        let xa = ax + v * kx;
        let ya = ay + layers[p] * step;
        xa = xa < 0 ? 0 : xa > maxX ? maxX : xa | 0;
        ya = ya < 0 ? 0 : ya > maxY ? maxY : ya | 0;
        const c = palette[colours[p]];
        let at = ya * width + xa;
        if (size === 2) {
          buf[at] = c;
          buf[at + 1] = c;
          buf[at + width] = c;
          buf[at + width + 1] = c;
        } else for (let y = 0; y < size; y++, at += width) for (let x = 0; x < size; x++) buf[at + x] = c;
        drawn++;
      }
    }
  }
  return drawn;
}
