// Chunked data (rai_widget/_transport.py; docs/architecture.md, "The wire format"): past a share of the comm's
// message cap, a data trait (`meta`, `arrays`) is synced as a descriptor
//   {"__rw_transport__": {version, id, trait, chunk_bytes, total_bytes, parts: [[offset, bytes]], skeleton, skeleton_part}}
// and its large buffers arrive as custom messages: {rw_transport: "chunk", id, index, request} + buffers (joined:
// bytes [index * chunk_bytes, ...) of one stream), then {rw_transport: "end", id, request}. The view joins them
// into one ArrayBuffer (each chunk copied once, to its place), puts a DataView of each part where the skeleton
// says {"__rw_part__": i}, and draws from that: the same objects decodeArray reads when the data came whole.
//
// Guarantees: chunks may arrive in any order and more than once (each is placed by its index); the data is
// complete when every chunk has arrived; a chunk of the wrong size, parts outside the stream, or an "end" of the
// answer to our own request with chunks still missing is an error the view shows in words. When the dashboard is
// displayed the kernel sends {rw_transport: "coming", id} before the output, then the chunks after the cell
// (caught by `initialize`, the model's listener, whether or not a view exists yet); a view that finds no data
// coming asks for it ({rw_transport: "request", id, request}: a reloaded page, a host without initialize). With
// nothing after NO_KERNEL_MS (a notebook opened from its saved state, whose widget state holds the descriptor and
// no rows; or a busy kernel) the view says the data is not in the saved notebook, asks (once), and keeps waiting.
import { h } from "./dom";
import type { WidgetModel } from "./sync";

export const KEY = "__rw_transport__";
export const PART = "__rw_part__";
/** The traits that may arrive in chunks. */
export const DATA_TRAITS = ["meta", "arrays"] as const;
/** How long a view waits for a first chunk before it says the data may not be there at all. */
export const NO_KERNEL_MS = 4000;

export interface Descriptor {
  version: number;
  id: string;
  trait: string;
  chunk_bytes: number;
  total_bytes: number;
  parts: [number, number][];
  skeleton: unknown;
  skeleton_part: number | null;
}

type Buffer = ArrayBuffer | ArrayBufferView;

/** The model as anywidget hands it over: the store's part, plus custom messages. */
export interface TransportModel extends WidgetModel {
  send?(content: unknown, callbacks?: unknown, buffers?: Buffer[]): void;
  // biome-ignore lint/suspicious/noExplicitAny: anywidget's event callbacks take any arguments
  on(event: string, cb: (...args: any[]) => void): void;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  off(event: string, cb: (...args: any[]) => void): void;
}

interface Message {
  rw_transport?: string;
  id?: string;
  index?: number;
  request?: number | null;
  message?: string;
}

/** The descriptor a trait's value is, or null when the value came whole. */
export function descriptorOf(value: unknown): Descriptor | null {
  if (!value || typeof value !== "object" || !(KEY in value)) return null;
  return (value as Record<string, Descriptor>)[KEY];
}

function bytesOf(b: Buffer): Uint8Array {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

const mb = (bytes: number, total: number) => (bytes / 1e6).toFixed(total < 10e6 ? 1 : 0);

/** "Loading data: 12 of 26 MB" */
export function progressText(received: number, total: number): string {
  return `Loading data: ${mb(received, total)} of ${mb(total, total)} MB`;
}

/** One descriptor's stream, filled chunk by chunk. */
export class Transfer {
  readonly d: Descriptor;
  readonly stream: Uint8Array;
  private readonly got: Uint8Array;
  readonly nChunks: number;
  private nGot = 0;
  received = 0;
  value: unknown = undefined;
  done = false;
  error: string | null = null;
  /** The request this view sent (its answer's "end" with chunks missing is an error), or null. */
  requested: number | null = null;
  /** Fed by the model's own listener (initialize): views need not listen. */
  fed = false;
  /** The kernel said the chunks are coming (the dashboard was just displayed): no need to ask. */
  coming = false;
  private readonly listeners = new Set<() => void>();
  private asked: (() => void) | null = null;

  constructor(d: Descriptor) {
    this.d = d;
    this.stream = new Uint8Array(d.total_bytes);
    this.nChunks = Math.ceil(d.total_bytes / d.chunk_bytes);
    this.got = new Uint8Array(this.nChunks);
    for (const [offset, n] of d.parts) {
      if (!(offset >= 0 && n >= 0 && offset + n <= d.total_bytes)) {
        this.fail(`its parts do not fit its ${d.total_bytes.toLocaleString("en-US")} bytes`);
        break;
      }
    }
    if (this.nChunks === 0 && !this.error) this.finish();
  }

  /** Called on every change (progress, done, error); returns the unsubscribe function. */
  watch(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** What to do when an "end" arrives with chunks missing and nobody asked yet: ask (set by the first view). */
  onIncompletePush(ask: () => void): void {
    this.asked = ask;
  }

  private notify(): void {
    for (const cb of [...this.listeners]) cb();
  }

  private fail(message: string): void {
    if (this.error || this.done) return;
    this.error = message;
    this.notify();
  }

  /** A custom message of this transfer's id. */
  receive(msg: Message, buffers: Buffer[] = []): void {
    if (this.done || this.error) return;
    if (msg.rw_transport === "chunk") this.chunk(msg.index ?? -1, buffers);
    else if (msg.rw_transport === "end") this.end(msg.request ?? null);
    else if (msg.rw_transport === "coming") this.coming = true;
    else if (msg.rw_transport === "error") this.fail(msg.message || "the kernel could not send it");
  }

  private chunk(k: number, buffers: Buffer[]): void {
    const { chunk_bytes: size, total_bytes: total } = this.d;
    if (!Number.isInteger(k) || k < 0 || k >= this.nChunks) {
      this.fail(`chunk ${k} is not one of its ${this.nChunks}`);
      return;
    }
    const expected = Math.min(size, total - k * size);
    const pieces = buffers.map(bytesOf);
    const length = pieces.reduce((a, p) => a + p.byteLength, 0);
    if (length !== expected) {
      this.fail(`chunk ${k + 1} of ${this.nChunks} has ${length.toLocaleString("en-US")} bytes, not ${expected.toLocaleString("en-US")}`);
      return;
    }
    let at = k * size;
    for (const p of pieces) {
      this.stream.set(p, at); // the one copy: from the message into its place in the stream
      at += p.byteLength;
    }
    if (!this.got[k]) {
      this.got[k] = 1;
      this.nGot += 1;
      this.received += expected;
    }
    if (this.nGot === this.nChunks) this.finish();
    else this.notify();
  }

  private end(request: number | null): void {
    if (this.done) return;
    const missing: number[] = [];
    for (let k = 0; k < this.nChunks; k++) if (!this.got[k]) missing.push(k + 1);
    if (request !== null && request === this.requested) {
      const some = missing.slice(0, 5).join(", ") + (missing.length > 5 ? ", ..." : "");
      this.fail(`chunk${missing.length === 1 ? "" : "s"} ${some} of ${this.nChunks} never arrived`);
    } else if (request === null && this.requested === null && this.asked) {
      this.asked(); // the kernel's first sending was partly missed: ask for all of it
    }
  }

  private finish(): void {
    try {
      const parts = this.d.parts.map(([offset, n]) => new DataView(this.stream.buffer, offset, n));
      const skeleton =
        this.d.skeleton_part === null || this.d.skeleton_part === undefined
          ? this.d.skeleton
          : JSON.parse(new TextDecoder().decode(parts[this.d.skeleton_part]));
      const fill = (v: unknown): unknown => {
        if (v === null || typeof v !== "object" || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return v;
        if (Array.isArray(v)) return v.map(fill);
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o);
        if (keys.length === 1 && keys[0] === PART) {
          const part = parts[o[PART] as number];
          if (!part) throw new Error(`it names part ${String(o[PART])} of ${parts.length}`);
          return part;
        }
        const out: Record<string, unknown> = {};
        for (const k of keys) out[k] = fill(o[k]);
        return out;
      };
      this.value = fill(skeleton);
      this.done = true;
    } catch (err) {
      this.error = (err as Error).message;
    }
    this.notify();
  }
}

// Every transfer of this page (the module may be shared by several widgets): by descriptor id.
const TRANSFERS = new Map<string, Transfer>();

/** The transfer of a descriptor (one per id, shared by the model's listener and every view). */
export function transferOf(d: Descriptor): Transfer {
  let t = TRANSFERS.get(d.id);
  if (!t) {
    t = new Transfer(d);
    TRANSFERS.set(d.id, t);
  }
  return t;
}

/** Forget every transfer (tests). */
export function resetTransfers(): void {
  TRANSFERS.clear();
}

/** Route a custom message to the transfer of its id, finding the descriptor among the model's data traits. */
function route(model: TransportModel, msg: Message, buffers: Buffer[] | undefined, fed: boolean): Transfer | null {
  if (!msg || typeof msg !== "object" || typeof msg.rw_transport !== "string" || typeof msg.id !== "string") return null;
  let t = TRANSFERS.get(msg.id);
  if (!t) {
    for (const trait of DATA_TRAITS) {
      const d = descriptorOf(model.get(trait));
      if (d && d.id === msg.id) t = transferOf(d);
    }
  }
  if (!t || (t.fed && !fed)) return t ?? null;
  if (fed) t.fed = true;
  t.receive(msg, buffers ?? []);
  return t;
}

/** anywidget's `initialize({model})`: catch the chunks the kernel sends when the dashboard is made, before any
 * view exists. Returns the cleanup anywidget calls when the model goes. */
export function initialize({ model }: { model: TransportModel }): () => void {
  const ids = new Set<string>();
  const onMsg = (msg: Message, buffers?: Buffer[]) => {
    const t = route(model, msg, buffers, true);
    if (t) ids.add(t.d.id);
  };
  model.on("msg:custom", onMsg);
  return () => {
    model.off("msg:custom", onMsg);
    for (const id of ids) TRANSFERS.delete(id);
  };
}

let nextRequest = Math.floor(Math.random() * 1e9) + 1;

/** The model as the views read it: the data traits' reassembled values in place of their descriptors. */
function withValues(model: TransportModel, values: Map<string, unknown>): TransportModel {
  return {
    get: (k) => (values.has(k) ? values.get(k) : model.get(k)),
    set: (k, v) => model.set(k, v),
    save_changes: () => model.save_changes(),
    on: (e, cb) => model.on(e, cb),
    off: (e, cb) => model.off(e, cb),
    send: (content, callbacks, buffers) => model.send?.(content, callbacks, buffers),
  };
}

/**
 * Draw with the data: at once when every data trait came whole (as before; `draw`'s errors reach the caller);
 * else a loading note with its progress in `root` until every chunk is in, then `draw` with the model whose
 * data traits hold the reassembled values. Errors are shown in words. Returns the cleanup.
 */
export function withData(model: TransportModel, root: HTMLElement, draw: (model: TransportModel) => () => void): () => void {
  const pending = DATA_TRAITS.map((trait) => [trait, descriptorOf(model.get(trait))] as const).filter(
    (p): p is readonly [(typeof DATA_TRAITS)[number], Descriptor] => p[1] !== null,
  );
  if (pending.length === 0) return draw(model);
  const transfers = pending.map(([, d]) => transferOf(d));
  const total = transfers.reduce((a, t) => a + t.d.total_bytes, 0);
  const text = h("div", { testid: "data-loading-text" });
  const bar = h("progress", { testid: "data-loading-progress", attrs: { max: String(total), value: "0" } });
  const note = h("div", { cls: "rw-muted", testid: "data-not-saved" });
  note.hidden = true;
  const box = h("div", { cls: "rw-empty", testid: "data-loading" }, [text, bar, note]);
  box.setAttribute("role", "status");
  root.appendChild(box);
  let cleanup: (() => void) | null = null;
  let stopped = false;

  const onMsg = (msg: Message, buffers?: Buffer[]) => {
    route(model, msg, buffers, false);
  };
  const ask = (t: Transfer) => {
    t.requested = nextRequest++;
    model.send?.({ rw_transport: "request", id: t.d.id, request: t.requested });
  };
  const listening = transfers.some((t) => !t.fed);
  if (listening) model.on("msg:custom", onMsg);
  for (const t of transfers) {
    t.onIncompletePush(() => ask(t));
    if (!t.done && !t.error && t.received === 0 && !t.coming) ask(t);
  }
  const timer = setTimeout(() => {
    if (!transfers.every((t) => t.received === 0 && !t.done)) return;
    note.hidden = false;
    if (transfers.some((t) => t.coming)) {
      note.textContent = "The kernel sends the data when the cell that displayed it has finished.";
      return;
    }
    for (const t of transfers) if (t.requested === null) ask(t);
    note.textContent =
      "No data has come from the kernel yet (it may be busy). The data of a large explanation is not in the saved " +
      "notebook: run the cell to show it (or, to share a file that opens without a kernel, use dash.save_html(path)).";
  }, NO_KERNEL_MS);

  const unwatch = transfers.map((t) => t.watch(() => update()));
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    for (const u of unwatch) u();
    if (listening) model.off("msg:custom", onMsg);
  };
  const update = () => {
    if (stopped) return;
    const failed = transfers.find((t) => t.error);
    if (failed) {
      stop();
      box.remove();
      root.appendChild(
        h("div", {
          cls: "rw-error",
          testid: "data-error",
          text: `rai-widget could not load this explanation's data (${failed.d.trait}): ${failed.error}. Run the cell that shows it again.`,
        }),
      );
      return;
    }
    const received = transfers.reduce((a, t) => a + (t.done ? t.d.total_bytes : t.received), 0);
    text.textContent = progressText(received, total);
    bar.value = received;
    if (received > 0) note.hidden = true;
    if (!transfers.every((t) => t.done)) return;
    stop();
    box.remove();
    const values = new Map<string, unknown>(pending.map(([trait], i) => [trait, transfers[i].value]));
    try {
      cleanup = draw(withValues(model, values));
    } catch (err) {
      root.appendChild(h("div", { cls: "rw-error", text: `rai-widget could not draw this explanation: ${(err as Error).message}` }));
      console.error(err);
    }
  };
  update();
  return () => {
    stop();
    box.remove();
    cleanup?.();
  };
}
