// Dependence plot: a feature's value (x) against its SHAP value (y) for every row of the active
// cohort. Points go on one canvas in a few colour batches (fast for 100,000 rows); axes, labels,
// legend and the brush are DOM on top, so they follow the JupyterLab theme and stay text.
import type { Cohort, Filter } from "../cohorts";
import { fmt, h, option, SERIES_COLORS } from "../dom";
import type { TabularData } from "../model";
import type { Store } from "../store";
import { outputLabel } from "../stats";
import type { View } from "./view";

export const ALL_DATA = "All data";
export const GREY = "#9e9e9e";
/** Low and high ends of the continuous colour ramp (shap's blue-to-red through purple). */
export const RAMP_LOW = "#008bfb";
export const RAMP_HIGH = "#ff0052";
const RAMP_BINS = 12;
/** Half-width of a category's band of jittered points, in category units. */
export const JITTER = 0.35;
const PLOT_H = 300; // css px of the points area
const MARGIN = { left: 56, right: 14, top: 10, bottom: 44 };
const MISSING_W = 40; // css px of the "missing" band at the left of the points area
const MISSING_GAP = 10;
const FALLBACK_W = 560; // when the element is not laid out (hidden tab, jsdom)

// ------------------------------------------------------------------ pure helpers (unit-tested)

export interface Scale {
  (v: number): number;
  invert(px: number): number;
  domain: [number, number];
  range: [number, number];
}

/** A linear map from domain to range; a zero-width domain maps to the middle of the range. */
export function linearScale(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const k = span === 0 ? 0 : (r1 - r0) / span;
  const s = ((v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + (v - d0) * k)) as Scale;
  s.invert = (px: number) => (k === 0 ? d0 : d0 + (px - r0) / k);
  s.domain = [d0, d1];
  s.range = [r0, r1];
  return s;
}

/** About `count` round tick values (1, 2 or 5 times a power of ten) inside [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  let step = 10 ** Math.floor(Math.log10(raw));
  const err = raw / step;
  if (err >= 7.5) step *= 10;
  else if (err >= 3.5) step *= 5;
  else if (err >= 1.5) step *= 2;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** A deterministic pseudo-random number in [-1, 1) for row i (same row, same place, every redraw). */
export function jitter(i: number): number {
  let x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return ((x >>> 0) / 4294967296) * 2 - 1;
}

/** Domain [lo, hi] padded by `pad` of its span (a constant becomes +-1 around it); NaNs ignored. */
export function paddedExtent(values: ArrayLike<number>, pad = 0.04, include?: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (include !== undefined) {
    lo = Math.min(lo, include);
    hi = Math.max(hi, include);
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) return [lo - (Math.abs(lo) * 0.1 || 1), hi + (Math.abs(hi) * 0.1 || 1)];
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** Quantile q of the finite values (linear interpolation). NaN when there are none. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(Array.prototype.filter.call(values, (x: number) => Number.isFinite(x)) as number[]);
  if (!v.length) return NaN;
  v.sort();
  const pos = (v.length - 1) * Math.min(1, Math.max(0, q));
  const a = Math.floor(pos);
  const b = Math.min(v.length - 1, a + 1);
  return v[a] + (v[b] - v[a]) * (pos - a);
}

function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** t in [0, 1] along the ramp, as #rrggbb. */
export function rampColor(t: number): string {
  const a = hexToRgb(RAMP_LOW);
  const b = hexToRgb(RAMP_HIGH);
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  return (
    "#" +
    a
      .map((x, i) =>
        Math.round(x + (b[i] - x) * u)
          .toString(16)
          .padStart(2, "0"),
      )
      .join("")
  );
}

/** `base`, or `base (2)`, `base (3)`...: the first not in `existing`. */
export function uniqueName(base: string, existing: readonly string[]): string {
  const taken = new Set(existing);
  if (!taken.has(base)) return base;
  for (let k = 2; ; k++) if (!taken.has(`${base} (${k})`)) return `${base} (${k})`;
}

/** Round [lo, hi] outward to 3 significant digits of `span`, so labels and filter agree exactly. */
export function roundRange(lo: number, hi: number, span: number): [number, number] {
  if (!(span > 0) || !Number.isFinite(span)) return [lo, hi];
  const e = Math.floor(Math.log10(span)) - 2;
  const step = 10 ** e;
  const dec = Math.min(20, Math.max(0, -e));
  const a = Number((Math.floor(lo / step + 1e-9) * step).toFixed(dec));
  const b = Number((Math.ceil(hi / step - 1e-9) * step).toFixed(dec));
  return [a, Math.max(a, b)];
}

export interface BrushPick {
  filter: Filter;
  /** How the range reads: "[1.5, 3]" for numbers, "{a, b}" for categories. */
  label: string;
  /** "between 1.5 and 3" or "in {a, b}", for the button. */
  phrase: string;
}

/**
 * The filter a brushed x range [lo, hi] stands for (data units; categories sit at their codes).
 * Numbers: `between`, rounded outward to 3 significant digits of the axis span (about a pixel),
 * or, for whole-number features, the whole numbers inside. Categories: `in` the names it touches.
 */
export function brushFilter(data: TabularData, j: number, lo: number, hi: number, span: number, integer = false): BrushPick | null {
  const name = data.meta.feature_names[j];
  const kind = data.meta.feature_kinds[j];
  if (!(hi >= lo)) return null;
  if (kind === "numeric") {
    // Whole-number features (counts, ages): the whole numbers inside the range.
    const [a, b] = integer ? [Math.ceil(lo), Math.floor(hi)] : roundRange(lo, hi, span);
    if (a > b) return null;
    return { filter: { column: name, op: "between", value: [a, b] }, label: `[${a}, ${b}]`, phrase: `between ${a} and ${b}` };
  }
  // A category is in the range when the range touches its band of jittered points.
  const n = kind === "bool" ? 2 : (data.meta.categories[name] ?? []).length;
  const codes: number[] = [];
  for (let k = 0; k < n; k++) if (hi >= k - JITTER - 0.05 && lo <= k + JITTER + 0.05) codes.push(k);
  if (!codes.length) return null;
  const labels = codes.map((k) => data.featureLabel(j, k));
  const value = kind === "bool" ? codes.map((k) => k === 1) : labels;
  const label = `{${labels.join(", ")}}`;
  return { filter: { column: name, op: "in", value }, label, phrase: `in ${label}` };
}

/** Whether a cohort's rows are exactly "all its filters": then new filters can be ANDed on. */
export function canRefine(c: Cohort): boolean {
  return c.combine === "all" || c.filters.length <= 1;
}

/** The cohort the brush makes: the active cohort's filters (when they can be ANDed) plus the range. */
export function brushCohort(active: Cohort, existing: readonly string[], feature: string, pick: BrushPick): Cohort {
  const inherit = canRefine(active) ? active.filters : [];
  return { name: uniqueName(`${feature} in ${pick.label}`, existing), combine: "all", filters: [...inherit, pick.filter] };
}

export interface Points {
  rows: Int32Array; // row index of each point
  x: Float32Array; // data units (category codes jittered); NaN when missing
  y: Float32Array;
  missing: number; // how many points have a missing x
}

/** Every row of `mask`: x = feature j (jittered when categorical), y = its value toward outputOf(row). */
export function computePoints(data: TabularData, j: number, mask: Uint8Array, outputOf: (row: number) => number): Points {
  let n = 0;
  for (let i = 0; i < data.n; i++) n += mask[i] ? 1 : 0;
  const rows = new Int32Array(n);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const discrete = data.meta.feature_kinds[j] !== "numeric";
  let p = 0;
  let missing = 0;
  for (let i = 0; i < data.n; i++) {
    if (!mask[i]) continue;
    const v = data.feature(i, j);
    rows[p] = i;
    if (Number.isNaN(v)) missing++;
    x[p] = discrete && !Number.isNaN(v) ? v + JITTER * jitter(i) : v;
    y[p] = data.value(i, j, outputOf(i));
    p++;
  }
  return { rows, x, y, missing };
}

export type LegendEntry = { color: string; label: string } | { ramp: [string, string]; low: string; high: string; label: string };

export interface Coloring {
  bins: Uint8Array; // palette index of each point
  palette: string[]; // drawn in this order: later entries on top
  legend: LegendEntry[];
}

/** Colour of each point by cohort: the first cohort (other than "All data") it belongs to, else grey. */
export function colorByCohort(
  rows: Int32Array,
  cohorts: Cohort[],
  maskOf: (c: Cohort) => { mask: Uint8Array; error: string | null },
): Coloring {
  const bins = new Uint8Array(rows.length);
  const palette = [GREY];
  const legend: LegendEntry[] = [];
  let unassigned = rows.length;
  cohorts.forEach((c, s) => {
    if (c.name === ALL_DATA || palette.length > 250) return;
    const { mask, error } = maskOf(c);
    if (error) return;
    const color = SERIES_COLORS[s % SERIES_COLORS.length];
    const b = palette.length;
    palette.push(color);
    let hits = 0;
    for (let p = 0; p < rows.length; p++) {
      if (bins[p] === 0 && mask[rows[p]]) {
        bins[p] = b;
        hits++;
      }
    }
    unassigned -= hits;
    legend.push({ color, label: c.name });
  });
  if (!legend.length) legend.push({ color: GREY, label: "all rows (make cohorts to colour them)" });
  else if (unassigned > 0) legend.push({ color: GREY, label: "in no other cohort" });
  return { bins, palette, legend };
}

/** Colour of each point by feature j's value: a ramp (numbers, many categories) or a colour per value. */
export function colorByFeature(data: TabularData, j: number, rows: Int32Array): Coloring {
  const kind = data.meta.feature_kinds[j];
  const name = data.meta.feature_names[j];
  const bins = new Uint8Array(rows.length); // 0 = missing
  const vals = new Float32Array(rows.length);
  for (let p = 0; p < rows.length; p++) vals[p] = data.feature(rows[p], j);
  const nCat = kind === "bool" ? 2 : kind === "category" ? (data.meta.categories[name] ?? []).length : 0;
  const legend: LegendEntry[] = [];
  const palette = [GREY];
  if (kind !== "numeric" && nCat <= SERIES_COLORS.length) {
    for (let k = 0; k < nCat; k++) {
      const color = kind === "bool" ? (k ? RAMP_HIGH : RAMP_LOW) : SERIES_COLORS[k];
      palette.push(color);
      legend.push({ color, label: data.featureLabel(j, k) });
    }
    for (let p = 0; p < rows.length; p++) {
      const v = vals[p];
      bins[p] = Number.isNaN(v) || v < 0 || v >= nCat ? 0 : v + 1;
    }
  } else {
    // Numbers: the ramp spans the 5th to 95th percentile, so a few outliers don't wash it out.
    let lo = kind === "numeric" ? quantile(vals, 0.05) : 0;
    let hi = kind === "numeric" ? quantile(vals, 0.95) : nCat - 1;
    if (!(hi > lo)) {
      lo = Number.isFinite(lo) ? lo : 0;
      hi = lo + 1;
    }
    for (let b = 0; b < RAMP_BINS; b++) palette.push(rampColor(b / (RAMP_BINS - 1)));
    for (let p = 0; p < rows.length; p++) {
      const v = vals[p];
      if (Number.isNaN(v)) continue;
      const t = Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
      bins[p] = 1 + Math.round(t * (RAMP_BINS - 1));
    }
    legend.push({ ramp: [RAMP_LOW, RAMP_HIGH], low: data.featureLabel(j, lo), high: data.featureLabel(j, hi), label: name });
  }
  let missing = 0;
  for (let p = 0; p < rows.length; p++) if (Number.isNaN(vals[p])) missing++;
  if (missing) legend.push({ color: GREY, label: "missing" });
  return { bins, palette, legend };
}

/** Point indices grouped by bin (counting sort): each batch is drawn with one fillStyle. */
export function batches(bins: Uint8Array, nBins: number): Int32Array[] {
  const counts = new Int32Array(nBins);
  for (let p = 0; p < bins.length; p++) counts[bins[p]]++;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(nBins);
  for (let p = 0; p < bins.length; p++) out[bins[p]][fill[bins[p]]++] = p;
  return out;
}

/** Whether every finite value is a whole number (NaN ignored). */
export function allWhole(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v) && v !== Math.round(v)) return false;
  }
  return true;
}

/** #rrggbb as [r, g, b]. */
export function rgb(hex: string): [number, number, number] {
  return hexToRgb(hex);
}

/**
 * Paint square points into an RGBA pixel buffer (width x height, non-premultiplied, as ImageData),
 * blending each over what is there with opacity `alpha`. Batches are drawn in order, later on top.
 * One pass over the points; much faster than a fillRect per point on software-rendered canvases
 * (100,000 fillRects take 80-190 ms in headless Chromium, this about 10 ms). Returns how many
 * pixels were blank before.
 */
export function paintPoints(
  buf: Uint8ClampedArray,
  width: number,
  height: number,
  px: Float32Array,
  py: Float32Array,
  groups: Int32Array[],
  palette: string[],
  size: number,
  alpha: number,
): number {
  const keepA = 1 - alpha;
  let painted = 0;
  for (let b = 0; b < groups.length; b++) {
    const g = groups[b];
    if (!g.length) continue;
    const [cr, cg, cb] = rgb(palette[b]);
    const r = cr * alpha;
    const gg = cg * alpha;
    const bl = cb * alpha;
    for (let q = 0; q < g.length; q++) {
      const p = g[q];
      let x0 = Math.round(px[p] - size / 2);
      let y0 = Math.round(py[p] - size / 2);
      let x1 = x0 + size;
      let y1 = y0 + size;
      if (x0 < 0) x0 = 0;
      if (y0 < 0) y0 = 0;
      if (x1 > width) x1 = width;
      if (y1 > height) y1 = height;
      for (let y = y0; y < y1; y++) {
        let k = (y * width + x0) * 4;
        for (let x = x0; x < x1; x++, k += 4) {
          const da = buf[k + 3];
          if (da === 0) {
            buf[k] = cr;
            buf[k + 1] = cg;
            buf[k + 2] = cb;
            buf[k + 3] = alpha * 255;
            painted++;
          } else {
            const keep = (da / 255) * keepA;
            const oa = alpha + keep;
            buf[k] = (r + buf[k] * keep) / oa;
            buf[k + 1] = (gg + buf[k + 1] * keep) / oa;
            buf[k + 2] = (bl + buf[k + 2] * keep) / oa;
            buf[k + 3] = oa * 255;
          }
        }
      }
    }
  }
  return painted;
}

// ------------------------------------------------------------------ the view

interface Frame {
  j: number;
  points: Points;
  coloring: Coloring;
  xs: Scale; // data -> css px inside the points area (main band)
  ys: Scale;
  width: number;
  hasMissing: boolean;
  xSpan: number;
  integer: boolean; // every x is a whole number
  px?: Float32Array; // css px of each point, from the last draw (for hover)
  py?: Float32Array;
}

export function createDependencePlot(store: Store): View {
  const { data } = store;
  const names = data.meta.feature_names;
  const featureSelect = h("select", { title: "Feature on the x axis" });
  featureSelect.append(option("", "choose a feature…"), ...names.map((n, j) => option(String(j), n)));
  const colorSelect = h("select", { title: "What colours the points" });
  colorSelect.append(option("cohort", "cohort"), ...names.map((n) => option(`feature:${n}`, n)));
  const legend = h("div", { cls: "rw-legend rw-dep-legend" });
  const message = h("div", { cls: "rw-empty rw-dep-message" });
  const yTitle = h("div", { cls: "rw-dep-ytitle" });
  const canvas = h("canvas", { cls: "rw-dep-canvas" });
  const grid = h("div", { cls: "rw-dep-grid" });
  const brush = h("div", { cls: "rw-dep-brush" });
  brush.hidden = true;
  const missingBand = h("div", { cls: "rw-dep-missing" });
  const tooltip = h("div", { cls: "rw-dep-tooltip" });
  tooltip.hidden = true;
  const area = h("div", { cls: "rw-dep-area", title: "Drag across to select a range of values" }, [
    missingBand,
    grid,
    canvas,
    brush,
    tooltip,
  ]);
  const yTicks = h("div", { cls: "rw-dep-yticks" });
  const xTicks = h("div", { cls: "rw-dep-xticks" });
  const xTitle = h("div", { cls: "rw-dep-xtitle" });
  const plot = h("div", { cls: "rw-dep-plot" }, [yTicks, area, xTicks, xTitle]);
  const makeButton = h("button", { cls: "rw-dep-make", attrs: { type: "button" } });
  const clearBrush = h("button", {
    cls: "rw-dep-clear",
    text: "×",
    title: "Clear the selected range",
    attrs: { type: "button", "aria-label": "clear range" },
  });
  const brushBar = h("div", { cls: "rw-dep-brushbar" }, [makeButton, clearBrush]);
  brushBar.hidden = true;
  const body = h("div", { cls: "rw-dep-body" }, [yTitle, legend, plot, brushBar]);
  const el = h("div", { cls: "rw-dep", testid: "dependence-plot" }, [
    h("div", { cls: "rw-toolbar" }, [
      h("label", { cls: "rw-control" }, [h("span", { text: "Dependence of" }), featureSelect]),
      h("label", { cls: "rw-control" }, [h("span", { text: "Colour by" }), colorSelect]),
    ]),
    message,
    body,
  ]);
  plot.style.height = `${MARGIN.top + PLOT_H + MARGIN.bottom}px`;
  Object.assign(area.style, { left: `${MARGIN.left}px`, right: `${MARGIN.right}px`, top: `${MARGIN.top}px`, height: `${PLOT_H}px` });

  featureSelect.addEventListener("change", () =>
    store.update({ depFeature: featureSelect.value === "" ? null : Number(featureSelect.value) }),
  );
  colorSelect.addEventListener("change", () =>
    store.update({ depColor: colorSelect.value === "cohort" ? "cohort" : colorSelect.value.slice(8) }),
  );

  let frame: Frame | null = null;
  let image: ImageData | null = null; // reused pixel buffer of the canvas
  let pending: { lo: number; hi: number; cohort: Cohort } | null = null;

  const areaWidth = () =>
    Math.max(120, Math.round(area.clientWidth || (el.clientWidth ? el.clientWidth - MARGIN.left - MARGIN.right : FALLBACK_W)));

  const showMessage = (text: string) => {
    message.textContent = text;
    body.hidden = text !== "" && frame === null;
  };

  /** Recompute the points (feature, cohort, output or colour changed), then draw. */
  const rebuild = () => {
    hideBrush();
    frame = null;
    const { state } = store;
    featureSelect.value = state.depFeature === null ? "" : String(state.depFeature);
    colorSelect.value = state.depColor === "cohort" || !names.includes(state.depColor) ? "cohort" : `feature:${state.depColor}`;
    const j = state.depFeature;
    if (j === null || j < 0 || j >= data.f) return showMessage("Click a bar to see how a feature's value drives its importance");
    const cohort = store.activeCohort();
    const res = store.maskOf(cohort);
    if (res.error) return showMessage(`Cohort "${cohort.name}" cannot be evaluated: ${res.error}`);
    if (res.count === 0)
      return showMessage(`No rows in cohort "${cohort.name}": edit its filters in the Cohorts tab, or pick another cohort.`);
    const points = computePoints(data, j, res.mask, (i) => store.outputFor(i));
    const colorJ = names.indexOf(state.depColor);
    const coloring =
      state.depColor !== "cohort" && colorJ >= 0
        ? colorByFeature(data, colorJ, points.rows)
        : colorByCohort(points.rows, state.cohorts, (c) => store.maskOf(c));
    const kind = data.meta.feature_kinds[j];
    const nCat = kind === "bool" ? 2 : kind === "category" ? Math.max(1, (data.meta.categories[names[j]] ?? []).length) : 0;
    const xDomain: [number, number] = kind === "numeric" ? paddedExtent(points.x) : [-0.5, nCat - 0.5];
    const yDomain = paddedExtent(points.y, 0.05, 0);
    const width = areaWidth();
    const hasMissing = points.missing > 0;
    const x0 = hasMissing ? MISSING_W + MISSING_GAP : 0;
    frame = {
      j,
      points,
      coloring,
      xs: linearScale(xDomain, [x0 + 4, width - 4]),
      ys: linearScale(yDomain, [PLOT_H, 0]),
      width,
      hasMissing,
      xSpan: xDomain[1] - xDomain[0],
      integer: kind === "numeric" && allWhole(points.x),
    };
    showMessage(points.missing === points.rows.length ? `Every row of "${cohort.name}" is missing ${names[j]}.` : "");
    body.hidden = false;
    drawLegend();
    draw();
  };

  const drawLegend = () => {
    if (!frame) return;
    legend.replaceChildren(
      ...frame.coloring.legend
        .filter((e) => e.label !== "")
        .map((e) =>
          "ramp" in e
            ? h("span", { cls: "rw-legend-item" }, [
                h("span", { cls: "rw-muted", text: `${e.label}: ${e.low}` }),
                h("span", { cls: "rw-dep-ramp", attrs: { style: `background:linear-gradient(to right,${e.ramp[0]},${e.ramp[1]})` } }),
                h("span", { cls: "rw-muted", text: e.high }),
              ])
            : h("span", { cls: "rw-legend-item" }, [
                h("span", { cls: "rw-swatch", attrs: { style: `background:${e.color}` } }),
                h("span", { text: e.label }),
              ]),
        ),
    );
  };

  /** Draw axes and points for the current frame at the current width. */
  const draw = () => {
    if (!frame) return;
    const t0 = performance.now();
    const width = areaWidth();
    if (width !== frame.width) {
      frame.width = width;
      frame.xs = linearScale(frame.xs.domain, [frame.xs.range[0], width - 4]);
    }
    const { points, coloring, xs, ys, j } = frame;
    const name = names[j];
    const units = data.meta.units;
    const o = store.state.output;
    const forWhat = o.kind === "output" ? outputLabel(data, o) : "each row's predicted class";
    yTitle.textContent = `SHAP value (${units}) of ${name}, toward ${forWhat}`;
    xTitle.textContent = `${name} (${points.rows.length.toLocaleString()} rows of "${store.state.active}")`;

    // Axes (DOM): y ticks with grid lines, x ticks or category labels, the missing band.
    const yt = niceTicks(ys.domain[0], ys.domain[1], 5);
    yTicks.replaceChildren(
      ...yt.map((v) => h("span", { cls: "rw-dep-tick", text: fmt(v), attrs: { style: `top:${MARGIN.top + ys(v)}px` } })),
    );
    grid.replaceChildren(
      ...yt.map((v) => h("span", { cls: "rw-dep-gridline" + (v === 0 ? " rw-dep-zero" : ""), attrs: { style: `top:${ys(v)}px` } })),
    );
    const kind = data.meta.feature_kinds[j];
    let xt: { v: number; label: string }[];
    if (kind === "numeric") {
      xt = niceTicks(xs.domain[0], xs.domain[1], Math.max(3, Math.floor(width / 80))).map((v) => ({ v, label: fmt(v) }));
    } else {
      const n = Math.round(xs.domain[1] + 0.5);
      const every = Math.max(1, Math.ceil((n * 70) / width)); // keep labels ~70px apart
      xt = [];
      for (let k = 0; k < n; k += every) xt.push({ v: k, label: data.featureLabel(j, k) });
    }
    const slot =
      kind === "numeric" ? 90 : Math.max(40, Math.min(160, (xs(1) - xs(0)) * Math.max(1, xt.length > 1 ? xt[1].v - xt[0].v : 1) - 4));
    const ticks = xt.map((t) =>
      h("span", {
        cls: "rw-dep-tick",
        text: t.label,
        title: t.label,
        attrs: { style: `left:${MARGIN.left + xs(t.v)}px;max-width:${slot}px` },
      }),
    );
    if (frame.hasMissing)
      ticks.push(
        h("span", { cls: "rw-dep-tick rw-dep-tick-missing", text: "missing", attrs: { style: `left:${MARGIN.left + MISSING_W / 2}px` } }),
      );
    xTicks.replaceChildren(...ticks);
    missingBand.hidden = !frame.hasMissing;
    missingBand.style.width = `${MISSING_W}px`;

    // Points (canvas): one pass to place them, then paint them in colour batches into one pixel buffer.
    const dpr = Math.max(1, (typeof window !== "undefined" && window.devicePixelRatio) || 1);
    const W = Math.round(width * dpr);
    const H = Math.round(PLOT_H * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${PLOT_H}px`;
    if (canvas.width !== W) canvas.width = W;
    if (canvas.height !== H) canvas.height = H;
    const ctx = canvas.getContext("2d");
    const n = points.rows.length;
    el.dataset.points = String(n);
    if (!ctx) return;
    const px = new Float32Array(n);
    const py = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      const xv = points.x[p];
      px[p] = Number.isNaN(xv) ? MISSING_W / 2 + (MISSING_W / 2 - 4) * jitter(points.rows[p]) : xs(xv);
      py[p] = ys(points.y[p]);
    }
    frame.px = px;
    frame.py = py;
    const size = Math.max(1, Math.round((n > 20000 ? 2 : n > 2000 ? 3 : 4) * dpr));
    const alpha = n > 5000 ? 0.55 : 0.85;
    if (!image || image.width !== W || image.height !== H) image = ctx.createImageData(W, H);
    else image.data.fill(0);
    const dx = new Float32Array(n);
    const dy = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      dx[p] = px[p] * dpr;
      dy[p] = py[p] * dpr;
    }
    paintPoints(image.data, W, H, dx, dy, batches(coloring.bins, coloring.palette.length), coloring.palette, size, alpha);
    ctx.putImageData(image, 0, 0);
    el.dataset.drawMs = (performance.now() - t0).toFixed(1);
  };

  // ---------------------------------------------------------------- brushing
  const hideBrush = () => {
    brush.hidden = true;
    brushBar.hidden = true;
    pending = null;
  };
  let dragFrom: number | null = null;
  const localX = (e: MouseEvent) => {
    const r = area.getBoundingClientRect();
    return Math.min(frame ? frame.width : FALLBACK_W, Math.max(0, e.clientX - r.left));
  };
  const setBrush = (a: number, b: number) => {
    brush.hidden = false;
    brush.style.left = `${Math.min(a, b)}px`;
    brush.style.width = `${Math.abs(b - a)}px`;
  };
  const finishBrush = (a: number, b: number) => {
    if (!frame) return;
    const lo = Math.max(Math.min(a, b), frame.xs.range[0] - 4);
    const hi = Math.max(a, b);
    if (hi - lo < 3) return hideBrush();
    setBrush(lo, hi);
    const j = frame.j;
    const pick = brushFilter(data, j, frame.xs.invert(lo), frame.xs.invert(hi), frame.xSpan, frame.integer);
    if (!pick) {
      brushBar.hidden = false;
      makeButton.disabled = true;
      makeButton.textContent = `No ${names[j]} value in the selected range`;
      return;
    }
    const active = store.activeCohort();
    const cohort = brushCohort(
      active,
      store.state.cohorts.map((c) => c.name),
      names[j],
      pick,
    );
    const count = store.maskOf(cohort).count;
    const scope = canRefine(active) ? "" : ` of all data: "${active.name}" ORs its filters`;
    pending = { lo, hi, cohort };
    makeButton.disabled = count === 0;
    makeButton.textContent = `Make cohort from ${names[j]} ${pick.phrase} (${count.toLocaleString()} rows${scope})`;
    makeButton.title = `New cohort "${cohort.name}"`;
    brushBar.hidden = false;
  };
  area.addEventListener("pointerdown", (e: PointerEvent) => {
    if (!frame || e.button !== 0) return;
    e.preventDefault();
    dragFrom = localX(e);
    area.setPointerCapture?.(e.pointerId);
    tooltip.hidden = true;
  });
  area.addEventListener("pointermove", (e: PointerEvent) => {
    if (dragFrom !== null) setBrush(dragFrom, localX(e));
    else hover(e);
  });
  area.addEventListener("pointerup", (e: PointerEvent) => {
    if (dragFrom === null) return;
    const from = dragFrom;
    dragFrom = null;
    finishBrush(from, localX(e));
  });
  area.addEventListener("pointerleave", () => {
    tooltip.hidden = true;
  });
  clearBrush.addEventListener("click", hideBrush);
  makeButton.addEventListener("click", () => {
    if (!pending) return;
    const { cohort } = pending;
    hideBrush();
    store.update({ cohorts: [...store.state.cohorts, cohort], active: cohort.name });
  });

  // Hover: the nearest point within 6 px, as "row i: feature = x, value y".
  const hover = (e: MouseEvent) => {
    if (!frame?.px || !frame.py) return;
    const r = area.getBoundingClientRect();
    const mx = e.clientX - r.left;
    const my = e.clientY - r.top;
    let best = -1;
    let bestD = 36;
    const { px, py } = frame;
    for (let p = 0; p < px.length; p++) {
      const dx = px[p] - mx;
      if (dx > 6 || dx < -6) continue;
      const d = dx * dx + (py[p] - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    if (best < 0) {
      tooltip.hidden = true;
      return;
    }
    const row = frame.points.rows[best];
    const j = frame.j;
    tooltip.textContent = `row ${row}: ${names[j]} = ${data.featureLabel(j, data.feature(row, j))}, value ${fmt(frame.points.y[best])}`;
    tooltip.hidden = false;
    tooltip.style.left = `${Math.min(px[best] + 8, Math.max(0, frame.width - 220))}px`;
    tooltip.style.top = `${Math.max(0, py[best] - 28)}px`;
  };

  // Redraw at the new width when the notebook resizes (drawing only; points are kept).
  let raf = 0;
  const ro =
    typeof ResizeObserver !== "undefined"
      ? new ResizeObserver(() => {
          cancelAnimationFrame(raf);
          raf = requestAnimationFrame(() => {
            if (frame && areaWidth() !== frame.width) {
              hideBrush();
              draw();
            }
          });
        })
      : null;
  ro?.observe(area);

  rebuild();
  return {
    el,
    update(changed) {
      if (["depFeature", "depColor", "active", "cohorts", "output"].some((k) => changed.has(k as never))) rebuild();
      else if (changed.has("tab") && frame && areaWidth() !== frame.width) draw();
    },
    destroy() {
      ro?.disconnect();
      cancelAnimationFrame(raf);
    },
  };
}
