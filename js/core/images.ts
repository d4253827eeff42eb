// Images from the kernel: PNG bytes, or (without Pillow) a raw uint8 (H, W[, C]) array, turned into
// URLs for <img> and decoded images for canvases, each decoded once.
import { decodeArray, type WireArray } from "./arrays";

/** An image as Python sends it: PNG bytes, or a raw uint8 (H, W[, C]) array. */
export type WireImage = { png: DataView | ArrayBuffer | Uint8Array } | WireArray;

function bytesOf(v: DataView | ArrayBuffer | Uint8Array): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  return new Uint8Array(v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);
}

function rawToCanvas(wire: WireArray): HTMLCanvasElement {
  const { data, shape } = decodeArray(wire);
  const [hgt, wid] = shape;
  const c = shape.length > 2 ? shape[2] : 1;
  const canvas = document.createElement("canvas");
  canvas.width = wid;
  canvas.height = hgt;
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  const img = ctx.createImageData(wid, hgt);
  for (let i = 0; i < wid * hgt; i++) {
    for (let j = 0; j < 3; j++) img.data[i * 4 + j] = data[i * c + (c >= 3 ? j : 0)];
    img.data[i * 4 + 3] = c === 4 ? data[i * 4 + 3] : 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

const urlCache = new WeakMap<object, string>();

/** A URL for an <img> (a blob: URL of the PNG, or a data: URL of a raw array). */
export function imageUrl(wire: WireImage): string {
  const hit = urlCache.get(wire);
  if (hit) return hit;
  const url =
    "png" in wire ? URL.createObjectURL(new Blob([bytesOf(wire.png) as BlobPart], { type: "image/png" })) : rawToCanvas(wire).toDataURL();
  urlCache.set(wire, url);
  return url;
}

/** The image, decoded, ready for drawImage. */
export function loadImage(wire: WireImage): Promise<CanvasImageSource> {
  if (!("png" in wire)) return Promise.resolve(rawToCanvas(wire));
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("could not decode an image"));
    img.src = imageUrl(wire);
  });
}

/** Paints image i of `images` once decoded, for one canvas: the last decoded image is kept for redraws, and a
 * decode overtaken by a newer request is dropped. A failed decode paints null (the view draws a placeholder). */
export function imagePainter(images: WireImage[]): (i: number, paint: (img: CanvasImageSource | null) => void) => void {
  let loaded: { i: number; img: CanvasImageSource } | null = null;
  let token = 0;
  return (i, paint) => {
    if (loaded && loaded.i === i) return paint(loaded.img);
    const t = ++token;
    loadImage(images[i]).then(
      (img) => {
        if (t !== token) return;
        loaded = { i, img };
        paint(img);
      },
      () => {
        if (t === token) paint(null);
      },
    );
  };
}
