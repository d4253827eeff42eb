// The rasteriser of the dependence plot: points painted as small squares straight into an RGBA
// buffer, one colour batch after another (100,000 points in a few milliseconds, no canvas calls per point).

/** Point indices grouped by bin (counting sort): each batch is drawn with one fillStyle. */
export function batches(bins: Uint8Array, nBins: number): Int32Array[] {
  const counts = new Int32Array(nBins);
  for (let p = 0; p < bins.length; p++) counts[bins[p]]++;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(nBins);
  for (let p = 0; p < bins.length; p++) out[bins[p]][fill[bins[p]]++] = p;
  return out;
}

/** #rrggbb as [r, g, b]. */
export function rgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
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
