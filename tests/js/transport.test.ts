// The chunked data (js/core/transport.ts): reassembly into the arrays decodeArray reads, chunks in any order and
// twice, the loading progress, the errors in words, the note when no kernel answers, and the request a view sends.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeArray, type WireArray } from "../../js/core/arrays";
import { type Descriptor, initialize, KEY, NO_KERNEL_MS, PART, progressText, resetTransfers, withData } from "../../js/core/transport";
import widget from "../../js/index";
import { type TinyOptions, tinyPayload } from "./fixtures";

type Handler = (...args: unknown[]) => void;

/** A widget model with custom messages: `emit` delivers one from the kernel, `sent` holds what the view sent. */
class Model {
  sent: unknown[] = [];
  handlers = new Map<string, Set<Handler>>();
  constructor(public attrs: Record<string, unknown>) {}
  get(k: string) {
    return this.attrs[k];
  }
  set(k: string, v: unknown) {
    this.attrs[k] = v;
  }
  save_changes() {}
  on(e: string, cb: Handler) {
    if (!this.handlers.has(e)) this.handlers.set(e, new Set());
    this.handlers.get(e)?.add(cb);
  }
  off(e: string, cb: Handler) {
    this.handlers.get(e)?.delete(cb);
  }
  send(content: unknown) {
    this.sent.push(content);
  }
  emit(content: unknown, buffers: DataView[] = []) {
    for (const cb of [...(this.handlers.get("msg:custom") ?? [])]) cb(content, buffers);
  }
}

let nextId = 0;

/** What rai_widget/_transport.py makes of a value: the descriptor (every buffer of at least `min` bytes a
 * part, in one stream at 8-byte offsets) and the chunk messages. */
function chunked(value: unknown, chunkBytes: number, min = 64) {
  const parts: Uint8Array[] = [];
  const strip = (v: unknown): unknown => {
    if (v instanceof DataView) {
      if (v.byteLength < min) return v;
      parts.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      return { [PART]: parts.length - 1 };
    }
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
    return v;
  };
  const skeleton = strip(value);
  const offsets: [number, number][] = [];
  let total = 0;
  for (const p of parts) {
    const o = Math.ceil(total / 8) * 8;
    offsets.push([o, p.byteLength]);
    total = o + p.byteLength;
  }
  const stream = new Uint8Array(total);
  parts.forEach((p, i) => {
    stream.set(p, offsets[i][0]);
  });
  const id = `id${nextId++}`;
  const d: Descriptor = {
    version: 1,
    id,
    trait: "arrays",
    chunk_bytes: chunkBytes,
    total_bytes: total,
    parts: offsets,
    skeleton,
    skeleton_part: null,
  };
  const chunks = Array.from({ length: Math.ceil(total / chunkBytes) }, (_, k) => {
    const bytes = stream.slice(k * chunkBytes, Math.min((k + 1) * chunkBytes, total));
    // split in two buffers, as the kernel does where a chunk spans two parts
    const half = Math.floor(bytes.byteLength / 2);
    return {
      content: { rw_transport: "chunk", id, index: k, request: null },
      buffers: [new DataView(bytes.buffer, 0, half), new DataView(bytes.buffer, half)],
    };
  });
  return { descriptor: { [KEY]: d }, d, chunks, end: { rw_transport: "end", id, request: null } };
}

const TINY: TinyOptions = {
  values: Array.from({ length: 40 }, (_, i) => [[i % 7], [-(i % 3)], [0.5 * i]]),
  data: Array.from({ length: 40 }, (_, i) => [i, 2 * i, i % 2]),
  featureNames: ["age", "income", "<b>owner</b>"],
  outputNames: ["no", "yes"],
  binaryMirror: true,
  baseValues: [0.5, -0.5],
};

beforeEach(() => resetTransfers());
afterEach(() => vi.useRealTimers());

describe("reassembly", () => {
  it("gives the arrays decodeArray reads, bit for bit, with chunks in any order and repeated", () => {
    const { arrays } = tinyPayload(TINY);
    const { descriptor, chunks, end } = chunked(arrays, 100);
    expect(chunks.length).toBeGreaterThan(5);
    const model = new Model({ arrays: descriptor, meta: {} });
    let seen: unknown = null;
    const root = document.createElement("div");
    withData(model, root, (m) => {
      seen = m.get("arrays");
      return () => {};
    });
    model.emit(chunks[2].content, chunks[2].buffers);
    model.emit(chunks[2].content, chunks[2].buffers); // a duplicate counts once
    for (const c of [...chunks].reverse()) {
      expect(seen).toBeNull(); // drawn only once every chunk is in
      model.emit(c.content, c.buffers);
    }
    model.emit(end);
    expect(seen).not.toBeNull();
    const got = seen as typeof arrays;
    for (const key of ["values", "surrogate_output", "model_output"] as const) {
      const a = decodeArray(got[key] as WireArray);
      const b = decodeArray(arrays[key] as WireArray);
      expect(a.shape).toEqual(b.shape);
      expect(Array.from(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toEqual(
        Array.from(new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength)),
      );
    }
    expect(got.columns.map((c) => c.name)).toEqual(arrays.columns.map((c) => c.name));
  });

  it("reads a skeleton sent as a JSON part", () => {
    const meta = { n_rows: 2, texts: ["a <b>", "ü"] };
    const bytes = new TextEncoder().encode(JSON.stringify(meta));
    const d: Descriptor = {
      version: 1,
      id: "json",
      trait: "meta",
      chunk_bytes: 8,
      total_bytes: bytes.byteLength,
      parts: [[0, bytes.byteLength]],
      skeleton: null,
      skeleton_part: 0,
    };
    const model = new Model({ meta: { [KEY]: d }, arrays: {} });
    let seen: unknown = null;
    withData(model, document.createElement("div"), (m) => {
      seen = m.get("meta");
      return () => {};
    });
    for (let k = 0; k * 8 < bytes.byteLength; k++)
      model.emit({ rw_transport: "chunk", id: "json", index: k, request: null }, [
        new DataView(bytes.buffer, k * 8, Math.min(8, bytes.byteLength - k * 8)),
      ]);
    expect(seen).toEqual(meta);
  });
});

describe("the view while data arrives", () => {
  it("shows its progress as text and a <progress>, then draws the dashboard", () => {
    const { meta, arrays } = tinyPayload(TINY);
    const { descriptor, chunks, d } = chunked(arrays, 200);
    const model = new Model({ kind: "tabular", meta, arrays: descriptor, cohorts: [], active_cohort: "All data", selected_rows: [] });
    const el = document.createElement("div");
    document.body.appendChild(el);
    const cleanup = widget.render({ model, el });
    const text = () => el.querySelector('[data-testid="data-loading-text"]')?.textContent;
    expect(text()).toBe(progressText(0, d.total_bytes));
    expect(model.sent).toEqual([{ rw_transport: "request", id: d.id, request: expect.any(Number) }]);
    model.emit(chunks[0].content, chunks[0].buffers);
    expect(text()).toBe(progressText(200, d.total_bytes));
    const bar = el.querySelector("progress") as HTMLProgressElement;
    expect(bar.max).toBe(d.total_bytes);
    expect(bar.value).toBe(200);
    expect(el.querySelectorAll('[data-testid="importance-bar"]').length).toBe(0);
    for (const c of chunks.slice(1)) model.emit(c.content, c.buffers);
    expect(el.querySelector('[data-testid="data-loading"]')).toBeNull();
    expect(el.querySelectorAll('[data-testid="importance-bar"]').length).toBe(3);
    cleanup();
    el.remove();
  });

  it("words megabytes as people read them", () => {
    expect(progressText(12.3e6, 26.4e6)).toBe("Loading data: 12 of 26 MB");
    expect(progressText(0.4e6, 1.25e6)).toBe("Loading data: 0.4 of 1.3 MB");
  });

  it("sends no request when the model's own listener already has the chunks (initialize)", () => {
    const { arrays } = tinyPayload(TINY);
    const { descriptor, chunks } = chunked(arrays, 300);
    const model = new Model({ arrays: descriptor, meta: {} });
    const stop = initialize({ model });
    for (const c of chunks) model.emit(c.content, c.buffers); // the kernel's sending at creation, before any view
    let drawn = 0;
    withData(model, document.createElement("div"), () => {
      drawn++;
      return () => {};
    });
    expect(drawn).toBe(1);
    expect(model.sent).toEqual([]);
    // a second view of the same widget draws from the same transfer, at once
    withData(model, document.createElement("div"), () => {
      drawn++;
      return () => {};
    });
    expect(drawn).toBe(2);
    stop();
  });

  it("waits without asking when the kernel says the chunks are coming (the dashboard was just displayed)", () => {
    vi.useFakeTimers();
    const { arrays } = tinyPayload(TINY);
    const { descriptor, chunks, d } = chunked(arrays, 300);
    const model = new Model({ arrays: descriptor, meta: {} });
    const stop = initialize({ model });
    model.emit({ rw_transport: "coming", id: d.id });
    const root = document.createElement("div");
    let drawn = false;
    withData(model, root, () => {
      drawn = true;
      return () => {};
    });
    expect(model.sent).toEqual([]);
    expect(root.querySelector('[data-testid="data-loading-text"]')?.textContent).toBe(progressText(0, d.total_bytes));
    vi.advanceTimersByTime(NO_KERNEL_MS + 1); // a cell still running after the display
    expect(model.sent).toEqual([]);
    expect(root.querySelector('[data-testid="data-not-saved"]')?.textContent).toBe(
      "The kernel sends the data when the cell that displayed it has finished.",
    );
    for (const c of chunks) model.emit(c.content, c.buffers);
    expect(drawn).toBe(true);
    stop();
  });

  it("asks for everything when the kernel's first sending was partly missed", () => {
    const { arrays } = tinyPayload(TINY);
    const { descriptor, chunks, end, d } = chunked(arrays, 300);
    const model = new Model({ arrays: descriptor, meta: {} });
    const stop = initialize({ model });
    model.emit(chunks[0].content, chunks[0].buffers); // the first chunk came; the view sees data flowing
    const root = document.createElement("div");
    withData(model, root, () => () => {});
    expect(model.sent).toEqual([]);
    model.emit(end); // ... but the others were lost
    expect(model.sent).toEqual([{ rw_transport: "request", id: d.id, request: expect.any(Number) }]);
    expect(root.querySelector('[data-testid="data-error"]')).toBeNull();
    stop();
  });
});

describe("errors in words, never a blank cell", () => {
  it("a chunk of the wrong size", () => {
    const { arrays } = tinyPayload(TINY);
    const { descriptor, chunks } = chunked(arrays, 200);
    const model = new Model({ arrays: descriptor, meta: {} });
    const root = document.createElement("div");
    let drawn = false;
    withData(model, root, () => {
      drawn = true;
      return () => {};
    });
    model.emit(chunks[1].content, [new DataView(new ArrayBuffer(10))]);
    const error = root.querySelector('[data-testid="data-error"]');
    expect(error?.textContent).toBe(
      "rai-widget could not load this explanation's data (arrays): chunk 2 of " +
        `${chunks.length} has 10 bytes, not 200. Run the cell that shows it again.`,
    );
    expect(root.querySelector('[data-testid="data-loading"]')).toBeNull();
    expect(drawn).toBe(false);
  });

  it("a missing chunk at the end of the answer to the view's request", () => {
    const { arrays } = tinyPayload(TINY);
    const { descriptor, chunks, d } = chunked(arrays, 200);
    const model = new Model({ arrays: descriptor, meta: {} });
    const root = document.createElement("div");
    withData(model, root, () => () => {});
    const request = (model.sent[0] as { request: number }).request;
    for (const c of chunks) if (c.content.index !== 3) model.emit({ ...c.content, request }, c.buffers);
    model.emit({ rw_transport: "end", id: d.id, request });
    expect(root.querySelector('[data-testid="data-error"]')?.textContent).toContain(`chunk 4 of ${chunks.length} never arrived`);
  });

  it("the kernel's own reason", () => {
    const { arrays } = tinyPayload(TINY);
    const { descriptor, d } = chunked(arrays, 200);
    const model = new Model({ arrays: descriptor, meta: {} });
    const root = document.createElement("div");
    withData(model, root, () => () => {});
    model.emit({ rw_transport: "error", id: d.id, request: 1, message: "the kernel no longer holds <b>this</b> view's data" });
    const error = root.querySelector('[data-testid="data-error"]');
    expect(error?.textContent).toContain("the kernel no longer holds <b>this</b> view's data");
    expect(error?.querySelector("b")).toBeNull(); // text, not markup
  });

  it("without a kernel (a saved notebook), says the data is not in the saved notebook, and still takes a late answer", () => {
    vi.useFakeTimers();
    const { arrays } = tinyPayload(TINY);
    const { descriptor, chunks } = chunked(arrays, 200);
    const model = new Model({ arrays: descriptor, meta: {} });
    const root = document.createElement("div");
    let drawn = false;
    withData(model, root, () => {
      drawn = true;
      return () => {};
    });
    const note = root.querySelector('[data-testid="data-not-saved"]') as HTMLElement;
    expect(note.hidden).toBe(true);
    vi.advanceTimersByTime(NO_KERNEL_MS + 1);
    expect(note.hidden).toBe(false);
    expect(note.textContent).toContain("not in the saved notebook: run the cell");
    expect(note.textContent).toContain("dash.save_html(path)");
    expect(model.sent.length).toBe(1); // asked once, at render (no "coming"); not again
    for (const c of chunks) model.emit(c.content, c.buffers);
    expect(drawn).toBe(true);
  });
});
