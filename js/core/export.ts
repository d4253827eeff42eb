// Export of every chart: its data as CSV, its picture as SVG and PNG, saved with no network request.
// A chart describes what it draws as a Scene (rects, lines, circles, text in css px on a white page);
// sceneToSvg builds the SVG with createElementNS and textContent only (a string from data is text,
// never markup) and sceneToCanvas paints the same scene for the PNG, so the two agree and no SVG has
// to be loaded as an image (which a file:// page's canvas may refuse to export). Canvas charts (maps,
// overlays) are saved from their own canvas. Files are saved through an <a download> on a blob: URL:
// a download, not a fetch, so the offline report's CSP (default-src 'none') allows it, as does Lab.
import { h } from "./dom";

const SVG_NS = "http://www.w3.org/2000/svg";

// ------------------------------------------------------------------ CSV (RFC 4180)

export type Cell = string | number | boolean | null | undefined;

/** What a spreadsheet would run as a formula: a text cell starting with = + - @, a tab or a CR. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: numbers in full (shortest round-trip) precision, NaN / inf as Python reads them;
 *  text guarded against formula injection by a leading single quote, quoted when it must be. */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (v === Number.POSITIVE_INFINITY) return "inf";
    if (v === Number.NEGATIVE_INFINITY) return "-inf";
    return String(v);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  const text = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV document: a header line, then one line per row, CRLF line ends (RFC 4180). */
export function toCsv(header: string[], rows: Cell[][]): string {
  const lines = [header.map(csvCell).join(",")];
  for (const r of rows) lines.push(r.map(csvCell).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

// ------------------------------------------------------------------ file names and saving

/** A file name that says what is in it and is safe everywhere: letters, digits, . _ - only. */
export function safeFileName(stem: string, ext: string): string {
  const clean =
    stem
      .normalize("NFKD")
      .replace(/[^A-Za-z0-9._-]+/g, "_")
      .replace(/\.{2,}/g, ".")
      .replace(/_+/g, "_")
      .replace(/^[._-]+|[._-]+$/g, "")
      .slice(0, 120) || "export";
  return `${clean}.${ext}`;
}

/** Save a Blob as a file: an <a download> on an object URL, clicked, then both let go. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000); // the download has read it by then
}

export const csvBlob = (text: string) => new Blob([text], { type: "text/csv;charset=utf-8" });

export function svgBlob(svg: SVGSVGElement): Blob {
  const text = new XMLSerializer().serializeToString(svg);
  return new Blob([`<?xml version="1.0" encoding="UTF-8"?>\n${text}\n`], { type: "image/svg+xml;charset=utf-8" });
}

export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the browser could not encode the picture"))), "image/png");
  });
}

// ------------------------------------------------------------------ scenes: one description, SVG and PNG

export type SceneItem =
  | { kind: "rect"; x: number; y: number; w: number; h: number; fill: string; title?: string }
  | { kind: "line"; x1: number; y1: number; x2: number; y2: number; stroke: string; width?: number; dash?: boolean }
  | { kind: "circle"; cx: number; cy: number; r: number; fill: string; opacity?: number }
  | {
      kind: "text";
      x: number;
      y: number; // the baseline
      text: string;
      size?: number;
      fill?: string;
      anchor?: "start" | "middle" | "end";
      bold?: boolean;
      rotate?: boolean; // -90 degrees about (x, y): a y-axis title
    };

export interface Scene {
  width: number;
  height: number;
  title: string; // the SVG's <title>: what the picture shows
  items: SceneItem[];
}

export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
export const INK = "#1f1f1f";
export const MUTED = "#595959";

let measureCtx: CanvasRenderingContext2D | null | undefined;
/** Width in px of text at a font size (canvas metrics; an estimate where there is no canvas, e.g. jsdom). */
export function textWidth(text: string, size = 12, bold = false): number {
  if (measureCtx === undefined) {
    try {
      measureCtx = document.createElement("canvas").getContext("2d");
    } catch {
      measureCtx = null;
    }
  }
  if (!measureCtx) return text.length * size * 0.6;
  measureCtx.font = `${bold ? "600 " : ""}${size}px ${FONT}`;
  return measureCtx.measureText(text).width;
}

/** Text shortened with an ellipsis to fit maxWidth px (for names only; numbers are never shortened). */
export function fitText(text: string, maxWidth: number, size = 12): string {
  if (textWidth(text, size) <= maxWidth + 0.5) return text; // + 0.5: rounding of widths summed elsewhere
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${text.slice(0, mid)}…`, size) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

const num = (v: number) => String(Math.round(v * 100) / 100);

/** The scene as an SVG element. Every string goes in as textContent or an attribute value. */
export function sceneToSvg(scene: Scene): SVGSVGElement {
  const el = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>) => {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  const svg = el("svg", {
    xmlns: SVG_NS,
    width: num(scene.width),
    height: num(scene.height),
    viewBox: `0 0 ${num(scene.width)} ${num(scene.height)}`,
    "font-family": FONT,
  });
  const title = el("title", {});
  title.textContent = scene.title;
  svg.appendChild(title);
  svg.appendChild(el("rect", { x: "0", y: "0", width: num(scene.width), height: num(scene.height), fill: "#ffffff" }));
  for (const it of scene.items) {
    if (it.kind === "rect") {
      const r = el("rect", { x: num(it.x), y: num(it.y), width: num(Math.max(0, it.w)), height: num(Math.max(0, it.h)), fill: it.fill });
      if (it.title !== undefined) {
        const t = el("title", {});
        t.textContent = it.title;
        r.appendChild(t);
      }
      svg.appendChild(r);
    } else if (it.kind === "line") {
      const attrs: Record<string, string> = {
        x1: num(it.x1),
        y1: num(it.y1),
        x2: num(it.x2),
        y2: num(it.y2),
        stroke: it.stroke,
        "stroke-width": String(it.width ?? 1),
      };
      if (it.dash) attrs["stroke-dasharray"] = "4 3";
      svg.appendChild(el("line", attrs));
    } else if (it.kind === "circle") {
      const attrs: Record<string, string> = { cx: num(it.cx), cy: num(it.cy), r: num(it.r), fill: it.fill };
      if (it.opacity !== undefined) attrs["fill-opacity"] = String(it.opacity);
      svg.appendChild(el("circle", attrs));
    } else {
      const attrs: Record<string, string> = {
        x: num(it.x),
        y: num(it.y),
        "font-size": String(it.size ?? 12),
        fill: it.fill ?? INK,
        "text-anchor": it.anchor ?? "start",
      };
      if (it.bold) attrs["font-weight"] = "600";
      if (it.rotate) attrs.transform = `rotate(-90 ${num(it.x)} ${num(it.y)})`;
      const t = el("text", attrs);
      t.setAttribute("xml:space", "preserve");
      t.textContent = it.text;
      svg.appendChild(t);
    }
  }
  return svg;
}

/** The scene painted on a canvas at `ratio` device pixels per css px (2: sharp when printed or zoomed). */
export function sceneToCanvas(scene: Scene, ratio = 2): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(scene.width * ratio));
  canvas.height = Math.max(1, Math.round(scene.height * ratio));
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  ctx.scale(ratio, ratio);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, scene.width, scene.height);
  for (const it of scene.items) {
    if (it.kind === "rect") {
      ctx.fillStyle = it.fill;
      ctx.fillRect(it.x, it.y, Math.max(0, it.w), Math.max(0, it.h));
    } else if (it.kind === "line") {
      ctx.strokeStyle = it.stroke;
      ctx.lineWidth = it.width ?? 1;
      ctx.setLineDash(it.dash ? [4, 3] : []);
      ctx.beginPath();
      ctx.moveTo(it.x1, it.y1);
      ctx.lineTo(it.x2, it.y2);
      ctx.stroke();
    } else if (it.kind === "circle") {
      ctx.globalAlpha = it.opacity ?? 1;
      ctx.fillStyle = it.fill;
      ctx.beginPath();
      ctx.arc(it.cx, it.cy, it.r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.globalAlpha = 1;
    } else {
      ctx.font = `${it.bold ? "600 " : ""}${it.size ?? 12}px ${FONT}`;
      ctx.fillStyle = it.fill ?? INK;
      ctx.textAlign = it.anchor === "middle" ? "center" : it.anchor === "end" ? "right" : "left";
      ctx.textBaseline = "alphabetic";
      if (it.rotate) {
        ctx.save();
        ctx.translate(it.x, it.y);
        ctx.rotate(-Math.PI / 2);
        ctx.fillText(it.text, 0, 0);
        ctx.restore();
      } else ctx.fillText(it.text, it.x, it.y);
    }
  }
  return canvas;
}

// ------------------------------------------------------------------ the export controls

export type ExportFormat = "png" | "svg" | "csv";

export interface ExportAction {
  format: ExportFormat;
  /** The button's text; the format's name by default ("PNG"). */
  label?: string;
  /** What the file holds, for the accessible name: "Save <what> as PNG". */
  what: string;
  /** The file name without extension; sanitised by safeFileName. */
  fileName: () => string;
  /** The file's content: CSV text, an SVG element, or a PNG Blob. */
  build: () => string | SVGSVGElement | Blob | Promise<Blob>;
  testid?: string;
}

/** "Export: [PNG] [SVG] [CSV]", native buttons with accessible names; the same in every view. */
export function exportControls(chart: string, actions: ExportAction[]): HTMLElement & { setEnabled(on: boolean): void } {
  const status = h("span", { cls: "rw-export-status rw-warn-text", attrs: { role: "status" } });
  const buttons = actions.map((a) => {
    const ext = a.format;
    const text = a.label ?? ext.toUpperCase();
    // the visible text is part of the accessible name (WCAG 2.5.3): "Map PNG: save the map as PNG"
    const name = a.label ? `${text}: save ${a.what} as ${ext.toUpperCase()}` : `Save ${a.what} as ${ext.toUpperCase()}`;
    const b = h("button", {
      cls: "rw-export-button",
      text,
      title: name,
      testid: a.testid ?? `export-${ext}`,
      attrs: { type: "button", "aria-label": name, "data-export": chart },
    });
    b.addEventListener("click", async () => {
      status.textContent = "";
      try {
        const out = await a.build();
        const blob = typeof out === "string" ? csvBlob(out) : out instanceof Blob ? out : svgBlob(out);
        downloadBlob(blob, safeFileName(a.fileName(), ext));
      } catch (err) {
        status.textContent = `Could not save the ${ext.toUpperCase()}: ${err instanceof Error ? err.message : String(err)}`;
      }
    });
    return b;
  });
  const group = h("div", { cls: "rw-export", testid: "export", attrs: { role: "group", "aria-label": `Export ${chart}` } }, [
    h("span", { cls: "rw-export-label rw-muted", text: "Export" }),
    ...buttons,
    status,
  ]);
  return Object.assign(group, {
    setEnabled(on: boolean) {
      for (const b of buttons) b.disabled = !on;
    },
  });
}
