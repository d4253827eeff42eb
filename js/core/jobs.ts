// The view's side of kernel jobs (docs/architecture.md, "Kernel jobs"): work that needs the model
// (ICE curves, what-if points) is asked for through the widget's traits, never an RPC with a timeout.
// For a job named `name` the widget has three traits:
//   `<name>_request` (view -> kernel): {id, params} to start, {id, cancel: true} to cancel;
//   `<name>_status`  (kernel -> view): {id, state: "idle" | "running" | "done" | "error" | "cancelled",
//                                       progress: number in [0, 1] | null, message: string};
//   `<name>_result`  (kernel -> view): {id, ...the job's own fields (wire arrays allowed)}.
// and `kernel` (kernel -> view): {available: boolean, reason: string}, false with the reason in an
// offline report or without an explainer; `<name>_offline`, when there is one, holds what the report
// precomputed in place of the job (save_html's ICE).

export type JobState = "idle" | "running" | "done" | "error" | "cancelled";

export interface JobStatus {
  id: number;
  state: JobState;
  progress: number | null;
  message: string;
}

export interface KernelLink {
  /** Whether jobs can run (a kernel with the explainer behind this view); else why not. */
  readonly available: boolean;
  readonly reason: string;
  /** Start job `name` with `params`; returns the request's id (a later request supersedes it). */
  request(name: string, params: Record<string, unknown>): number;
  cancel(name: string): void;
  status(name: string): JobStatus;
  /** The last result of job `name`, or null. */
  result(name: string): Record<string, unknown> | null;
  /** Called on every status or result change of job `name`; returns the unsubscribe function. */
  watch(name: string, cb: () => void): () => void;
  /** What an offline report precomputed for job `name` (the `<name>_offline` trait), or null. */
  offline?(name: string): Record<string, unknown> | null;
  /** A trait the view keeps beside the jobs (e.g. `what_if_points`): read it, set it (the kernel validates
   * it, and sends its own value back when it refuses one), and watch its changes. Works offline too. */
  kept?(name: string): KeptTrait;
}

export interface KeptTrait {
  get(): unknown;
  set(value: unknown): void;
  /** Called on every change of the trait (the view's or the kernel's); returns the unsubscribe function. */
  watch(cb: () => void): () => void;
}

const IDLE: JobStatus = { id: 0, state: "idle", progress: null, message: "" };

/** The KernelLink of a widget model (the traits above). Request ids grow from a random start, so two
 * views of one widget (or a reloaded page) do not reuse an id the kernel has seen. */
export function kernelLink(model: {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: () => void): void;
  off(event: string, cb: () => void): void;
}): KernelLink {
  const info = (model.get("kernel") as { available?: boolean; reason?: string } | undefined) ?? {};
  let next = Math.floor(Math.random() * 1e9) + 1;
  const send = (name: string, value: Record<string, unknown>) => {
    model.set(`${name}_request`, value);
    model.save_changes();
  };
  const last = new Map<string, number>();
  return {
    available: info.available === true,
    reason: info.reason ?? "no kernel is behind this view",
    request(name, params) {
      const id = next++;
      last.set(name, id);
      send(name, { id, params });
      return id;
    },
    cancel(name) {
      const id = last.get(name);
      if (id !== undefined) send(name, { id, cancel: true });
    },
    status(name) {
      const s = model.get(`${name}_status`) as Partial<JobStatus> | undefined;
      return s && typeof s.id === "number" ? { ...IDLE, ...s } : IDLE;
    },
    result(name) {
      const r = model.get(`${name}_result`) as Record<string, unknown> | undefined;
      return r && typeof r.id === "number" ? r : null;
    },
    offline(name) {
      const o = model.get(`${name}_offline`) as Record<string, unknown> | undefined;
      return o && typeof o === "object" && Object.keys(o).length > 0 ? o : null;
    },
    kept(name) {
      return {
        get: () => model.get(name),
        set(value) {
          model.set(name, value);
          model.save_changes();
        },
        watch(cb) {
          model.on(`change:${name}`, cb);
          return () => model.off(`change:${name}`, cb);
        },
      };
    },
    watch(name, cb) {
      const events = [`change:${name}_status`, `change:${name}_result`];
      for (const e of events) model.on(e, cb);
      return () => {
        for (const e of events) model.off(e, cb);
      };
    },
  };
}
