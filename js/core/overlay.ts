// The attribution overlay of the image and detection views: colour maps, the sign choice, the
// clipping percentile, an RGBA layer of a map, and the controls and colour bar that go with them.
// The colour mapping is pure functions (unit-tested in tests/js/overlay.test.ts); only drawOverlay,
// the controls and the colour bar touch the DOM.
import { h, option } from "./dom";

export type ColorMapName = "red-blue" | "viridis" | "hot" | "gray";
export type Sign = "signed" | "positive" | "negative" | "absolute";
export type ScaleMode = "image" | "shared";

export interface OverlayOptions {
  opacity: number; // 0..1: alpha of the strongest value
  cmap: ColorMapName;
  sign: Sign;
  clip: number; // percentile (of |value| after the sign choice) mapped to full colour, e.g. 99
  scale: ScaleMode; // colour scale per image, or shared across all images
}

export const DEFAULT_OVERLAY: OverlayOptions = { opacity: 0.6, cmap: "red-blue", sign: "signed", clip: 99, scale: "image" };

export const COLOR_MAPS: Record<ColorMapName, { label: string; diverging: boolean; stops: [number, number, number][] }> = {
  // diverging: t = 0 is the most negative (blue), 0.5 is zero (white), 1 the most positive (red)
  "red-blue": {
    label: "red / blue (diverging)",
    diverging: true,
    stops: [
      [33, 102, 172],
      [146, 197, 222],
      [247, 247, 247],
      [244, 165, 130],
      [178, 24, 43],
    ],
  },
  viridis: {
    label: "viridis",
    diverging: false,
    stops: [
      [68, 1, 84],
      [59, 82, 139],
      [33, 145, 140],
      [94, 201, 98],
      [253, 231, 37],
    ],
  },
  hot: {
    label: "hot",
    diverging: false,
    stops: [
      [10, 0, 0],
      [180, 0, 0],
      [255, 120, 0],
      [255, 220, 60],
      [255, 255, 255],
    ],
  },
  gray: {
    label: "gray",
    diverging: false,
    stops: [
      [0, 0, 0],
      [255, 255, 255],
    ],
  },
};

/** The colour of t in [0, 1] on a colour map (linear between its stops; t is clamped). */
export function colorAt(cmap: ColorMapName, t: number): [number, number, number] {
  const stops = COLOR_MAPS[cmap].stops;
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** A value after the sign choice: positive and negative keep one side (as a magnitude), absolute |v|. */
export function applySign(v: number, sign: Sign): number {
  // biome-ignore lint/complexity/useMathMinMax: a NaN must become 0 here, and Math.max(NaN, 0) is NaN
  if (sign === "positive") return v > 0 ? v : 0;
  if (sign === "negative") return v < 0 ? -v : 0;
  if (sign === "absolute") return Math.abs(v);
  return v;
}

/** The p-th percentile (0..100, linear interpolation) of |applySign(v)| over finite values; at most
 *  `maxSamples` values are read (evenly strided) so large maps stay fast. When that percentile is 0 but
 *  the map is not (a sparse map: Grad-CAM after its ReLU, one sign of a mostly one-signed map), the
 *  percentile of the non-zero values, so what there is stays visible. 0 when there is nothing. */
export function clipValue(values: ArrayLike<number>[], sign: Sign, p: number, maxSamples = 200_000): number {
  let total = 0;
  for (const v of values) total += v.length;
  const step = Math.max(1, Math.ceil(total / maxSamples));
  const sample: number[] = [];
  let i = 0; // every step-th value of all the arrays laid end to end: the next one's index in `arr`
  for (const arr of values) {
    for (; i < arr.length; i += step) {
      const v = Math.abs(applySign(arr[i], sign));
      if (Number.isFinite(v)) sample.push(v);
    }
    i -= arr.length;
  }
  const value = percentile(sample, p);
  return value > 0
    ? value
    : percentile(
        sample.filter((v) => v > 0),
        p,
      );
}

/** The p-th percentile (0..100) of numbers, linear interpolation between order statistics. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const s = Float64Array.from(values).sort();
  const x = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const i = Math.floor(x);
  return i + 1 < s.length ? s[i] + (s[i + 1] - s[i]) * (x - i) : s[i];
}

/** RGBA pixels (mh x mw x 4) of a map: colour from the map, alpha = opacity x |value| / scale (clipped),
 *  so zero is transparent. Signed values on a sequential map use its whole range (zero in the middle). */
export function overlayPixels(map: ArrayLike<number>, opts: OverlayOptions, scale: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(map.length * 4);
  const { diverging } = COLOR_MAPS[opts.cmap];
  const inv = scale > 0 ? 1 / scale : 0;
  for (let i = 0; i < map.length; i++) {
    let u = applySign(map[i], opts.sign) * inv;
    if (!Number.isFinite(u)) u = 0;
    u = Math.max(-1, Math.min(1, u));
    // signed: [-1, 1] -> [0, 1]; one-sided magnitudes on a diverging map use the side they came from
    const t = opts.sign === "signed" ? (u + 1) / 2 : diverging ? (opts.sign === "negative" ? 0.5 - u / 2 : 0.5 + u / 2) : u;
    const [r, g, b] = colorAt(opts.cmap, t);
    out[i * 4] = r;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = b;
    out[i * 4 + 3] = Math.round(255 * opts.opacity * Math.abs(u));
  }
  return out;
}

/** Draw the image scaled to the canvas size, then the map (stretched over the image) on top. */
export function drawOverlay(
  canvas: HTMLCanvasElement,
  image: CanvasImageSource | null,
  map: { data: ArrayLike<number>; h: number; w: number } | null,
  opts: OverlayOptions,
  scale: number,
): void {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (image) ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  if (!map?.h || !map.w) return;
  const off = document.createElement("canvas");
  off.width = map.w;
  off.height = map.h;
  const octx = off.getContext("2d");
  if (!octx) return;
  const img = octx.createImageData(map.w, map.h);
  img.data.set(overlayPixels(map.data, opts, scale));
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** Opacity, colour map, sign, clipping percentile and scale controls; onChange gets the new options. */
export function createOverlayControls(initial: OverlayOptions, onChange: (o: OverlayOptions) => void, allowShared = true): HTMLElement {
  let opts = { ...initial };
  const set = (patch: Partial<OverlayOptions>) => {
    opts = { ...opts, ...patch };
    onChange(opts);
  };
  const opacity = h("input", {
    testid: "overlay-opacity",
    attrs: { type: "range", min: "0", max: "1", step: "0.05", value: String(opts.opacity) },
  });
  opacity.addEventListener("input", () => set({ opacity: Number(opacity.value) }));
  const cmap = h("select", { testid: "overlay-cmap" });
  for (const [k, v] of Object.entries(COLOR_MAPS)) cmap.appendChild(option(k, v.label, k === opts.cmap));
  cmap.addEventListener("change", () => set({ cmap: cmap.value as ColorMapName }));
  const sign = h("select", { testid: "overlay-sign" });
  for (const s of ["signed", "positive", "negative", "absolute"]) sign.appendChild(option(s, s, s === opts.sign));
  sign.addEventListener("change", () => set({ sign: sign.value as Sign }));
  const clip = h("input", {
    testid: "overlay-clip",
    attrs: { type: "number", min: "50", max: "100", step: "0.5", value: String(opts.clip) },
  });
  clip.addEventListener("change", () => {
    const v = Number(clip.value);
    if (Number.isFinite(v) && v > 0 && v <= 100) set({ clip: v });
  });
  const scale = h("select", { testid: "overlay-scale" });
  scale.appendChild(option("image", "per image", opts.scale === "image"));
  if (allowShared) scale.appendChild(option("shared", "shared across images", opts.scale === "shared"));
  scale.addEventListener("change", () => set({ scale: scale.value as ScaleMode }));
  const ctl = (label: string, el: HTMLElement) => h("label", { cls: "rw-control" }, [h("span", { text: label }), el]);
  return h("div", { cls: "rw-toolbar rw-overlay-controls", testid: "overlay-controls" }, [
    ctl("Opacity", opacity),
    ctl("Colours", cmap),
    ctl("Sign", sign),
    ctl("Clip at percentile", clip),
    ctl("Scale", scale),
  ]);
}

/** A colour bar (canvas) for the legend: from -scale to +scale (signed) or 0 to scale; a note instead
 *  when the map has nothing to draw (scale 0), so an empty overlay is not mistaken for a drawing bug. */
export function colorBar(opts: OverlayOptions, scale: number, fmt: (v: number) => string): HTMLElement {
  if (!(scale > 0)) {
    const text =
      opts.sign === "positive" || opts.sign === "negative" ? `this map has no ${opts.sign} values` : "this map is zero everywhere";
    return h("span", { cls: "rw-muted rw-empty-map", testid: "empty-map", text });
  }
  const canvas = h("canvas", { cls: "rw-colorbar", attrs: { width: "160", height: "10" } });
  const ctx = canvas.getContext("2d");
  if (ctx) {
    const signed = opts.sign === "signed";
    const vals = new Float32Array(160);
    for (let x = 0; x < 160; x++) vals[x] = signed ? (x / 159) * 2 - 1 : opts.sign === "negative" ? -x / 159 : x / 159;
    const px = overlayPixels(vals, { ...opts, opacity: 1, sign: opts.sign === "absolute" ? "positive" : opts.sign }, 1);
    for (let x = 3; x < px.length; x += 4) px[x] = 255; // the bar shows colours, not the overlay's transparency
    const img = ctx.createImageData(160, 10);
    for (let y = 0; y < 10; y++) img.data.set(px, y * 160 * 4);
    ctx.putImageData(img, 0, 0);
  }
  const lo = opts.sign === "signed" ? -scale : 0;
  const hiLabel = opts.sign === "negative" ? fmt(-scale) : fmt(scale);
  return h("span", { cls: "rw-colorbar-wrap" }, [
    h("span", { cls: "rw-muted", text: fmt(lo) }),
    canvas,
    h("span", { cls: "rw-muted", text: hiLabel }),
  ]);
}

/** A map alone on its colour map (opaque: the colour says the value), enlarged without smoothing to
 *  about `side` px on its long side, so each attribution cell stays a sharp square: for export. */
export function mapCanvas(
  map: { data: ArrayLike<number>; h: number; w: number },
  opts: OverlayOptions,
  scale: number,
  side = 512,
): HTMLCanvasElement {
  const px = overlayPixels(map.data, { ...opts, opacity: 1 }, scale);
  for (let x = 3; x < px.length; x += 4) px[x] = 255;
  const k = Math.max(1, Math.floor(side / Math.max(1, map.h, map.w)));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, map.w * k);
  canvas.height = Math.max(1, map.h * k);
  const ctx = canvas.getContext("2d");
  if (!ctx || !map.h || !map.w) return canvas;
  const img = ctx.createImageData(canvas.width, canvas.height);
  for (let y = 0; y < canvas.height; y++) {
    const sy = Math.floor(y / k);
    for (let x = 0; x < canvas.width; x++) {
      const s = (sy * map.w + Math.floor(x / k)) * 4;
      const d = (y * canvas.width + x) * 4;
      img.data[d] = px[s];
      img.data[d + 1] = px[s + 1];
      img.data[d + 2] = px[s + 2];
      img.data[d + 3] = px[s + 3];
    }
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}
