import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { imagePainter } from "../../js/core/images";
import { applySign, clipValue, colorAt, colorBar, DEFAULT_OVERLAY, overlayPixels, percentile, type Sign } from "../../js/core/overlay";

describe("colour maps", () => {
  it("diverging red/blue: blue below zero, white at zero, red above", () => {
    expect(colorAt("red-blue", 0)).toEqual([33, 102, 172]);
    expect(colorAt("red-blue", 0.5)).toEqual([247, 247, 247]);
    expect(colorAt("red-blue", 1)).toEqual([178, 24, 43]);
  });
  it("interpolates between stops and clamps", () => {
    expect(colorAt("gray", 0.5)).toEqual([128, 128, 128]);
    expect(colorAt("gray", -3)).toEqual([0, 0, 0]);
    expect(colorAt("gray", 7)).toEqual([255, 255, 255]);
    expect(colorAt("gray", NaN)).toEqual([0, 0, 0]);
    expect(colorAt("viridis", 1)).toEqual([253, 231, 37]);
  });
});

describe("sign and percentiles", () => {
  it("keeps one side or the magnitude", () => {
    expect([2, -3].map((v) => applySign(v, "positive"))).toEqual([2, 0]);
    expect([2, -3].map((v) => applySign(v, "negative"))).toEqual([0, 3]);
    expect([2, -3].map((v) => applySign(v, "absolute"))).toEqual([2, 3]);
    expect([2, -3].map((v) => applySign(v, "signed"))).toEqual([2, -3]);
  });
  it("percentile interpolates like numpy", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBeCloseTo(2.5);
    expect(percentile([5, 1, 3], 100)).toBe(5);
    expect(percentile([5, 1, 3], 0)).toBe(1);
    expect(percentile([], 99)).toBe(0);
    expect(percentile([0, 10], 99)).toBeCloseTo(9.9);
  });
  it("clip value per image or shared across maps, ignoring NaN", () => {
    const a = Float32Array.from([0, 1, -4, NaN]);
    const b = Float32Array.from([10, -20]);
    expect(clipValue([a], "absolute", 100)).toBe(4);
    expect(clipValue([a], "positive", 100)).toBe(1);
    expect(clipValue([a, b], "negative", 100)).toBe(20);
    expect(clipValue([a, b], "signed", 100)).toBe(20);
    // sampling keeps the answer close on big maps
    const big = Float32Array.from({ length: 1_000_000 }, (_, i) => i / 1_000_000);
    expect(clipValue([big], "absolute", 50, 10_000)).toBeCloseTo(0.5, 2);
    // the stride runs over the arrays laid end to end: every 3rd of 0..9 is 0, 3, 6, 9 (median 4.5)
    const lo = Float32Array.from([0, 1, 2, 3, 4]),
      hi = Float32Array.from([5, 6, 7, 8, 9]);
    expect(clipValue([lo, hi], "absolute", 50, 4)).toBe(4.5);
    expect(clipValue([lo, hi], "absolute", 100, 4)).toBe(9);
  });
  it("a sparse map keeps a scale: the percentile of its non-zero values when the plain one is 0", () => {
    const sparse = new Float32Array(1000);
    sparse[10] = 2;
    sparse[20] = 4; // 0.2% of the pixels: the 99th percentile of all of them is 0
    expect(percentile(Array.from(sparse), 99)).toBe(0);
    expect(clipValue([sparse], "positive", 99)).toBeCloseTo(3.98);
    expect(clipValue([sparse], "negative", 99)).toBe(0); // nothing there at all
    expect(clipValue([new Float32Array(50)], "signed", 99)).toBe(0);
  });
});

describe("overlayPixels", () => {
  it("zero is transparent, the clip value is full opacity, beyond is clipped", () => {
    const px = overlayPixels(Float32Array.from([0, 1, -1, 5]), { ...DEFAULT_OVERLAY, opacity: 1 }, 1);
    expect(px[3]).toBe(0);
    expect(Array.from(px.slice(4, 8))).toEqual([178, 24, 43, 255]);
    expect(Array.from(px.slice(8, 12))).toEqual([33, 102, 172, 255]);
    expect(Array.from(px.slice(12, 16))).toEqual([178, 24, 43, 255]);
  });
  it("opacity scales alpha; the sign choice hides the other side", () => {
    const px = overlayPixels(Float32Array.from([0.5, -0.5]), { ...DEFAULT_OVERLAY, opacity: 0.5, sign: "positive" }, 1);
    expect(px[3]).toBe(64);
    expect(px[7]).toBe(0);
    const neg = overlayPixels(Float32Array.from([-1]), { ...DEFAULT_OVERLAY, opacity: 1, sign: "negative" }, 1);
    expect(Array.from(neg)).toEqual([33, 102, 172, 255]); // negative side keeps its blue
  });
  it("sequential map: magnitude goes from the low to the high end", () => {
    const px = overlayPixels(Float32Array.from([1, 0.001]), { ...DEFAULT_OVERLAY, cmap: "viridis", sign: "absolute", opacity: 1 }, 1);
    expect(Array.from(px.slice(0, 4))).toEqual([253, 231, 37, 255]);
    expect(px[7]).toBe(0);
  });
  it("a zero scale draws nothing instead of NaN", () => {
    const px = overlayPixels(Float32Array.from([3]), DEFAULT_OVERLAY, 0);
    expect(px[3]).toBe(0);
  });
});

describe("imagePainter", () => {
  const image = (w: number) => ({ view: new DataView(new Uint8Array(w * 2 * 3).buffer), dtype: "uint8", shape: [2, w, 3] });
  const widthOf = (img: CanvasImageSource | null) => (img as HTMLCanvasElement | null)?.width ?? -1;

  it("paints only the latest request, and repaints the last image from its cache", async () => {
    const painter = imagePainter([image(3), image(5)]);
    const painted: number[] = [];
    painter(0, (img) => painted.push(widthOf(img)));
    painter(1, (img) => painted.push(widthOf(img))); // overtakes image 0 before it is decoded
    await new Promise((r) => setTimeout(r, 0));
    expect(painted).toEqual([5]);
    painter(1, (img) => painted.push(widthOf(img))); // cached: painted at once, no decode
    expect(painted).toEqual([5, 5]);
  });
});

describe("colorBar", () => {
  beforeEach(() => {
    vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation((() => null) as never);
  });
  afterEach(() => vi.restoreAllMocks());
  const fmt = (v: number) => v.toFixed(1);

  it("labels the ends of the scale: -s..s signed, 0..s one-sided", () => {
    expect(colorBar({ ...DEFAULT_OVERLAY, sign: "signed" }, 2, fmt).textContent).toBe("-2.02.0");
    expect(colorBar({ ...DEFAULT_OVERLAY, sign: "positive" }, 2, fmt).textContent).toBe("0.02.0");
  });
  it("says the map is empty instead of drawing a 0..0 bar", () => {
    const note = (sign: Sign) => colorBar({ ...DEFAULT_OVERLAY, sign }, 0, fmt);
    expect(note("signed").textContent).toBe("this map is zero everywhere");
    expect(note("positive").textContent).toBe("this map has no positive values");
    expect(note("negative").textContent).toBe("this map has no negative values");
    expect(note("absolute").querySelector("canvas")).toBeNull();
    expect(note("absolute").dataset.testid).toBe("empty-map");
  });
});
