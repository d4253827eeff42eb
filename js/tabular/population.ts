// A large explanation (rai_widget._population): the view draws its stratified sample, and the figures the
// engine computed over *every* row stand beside the sample's. "All data"'s come in meta.population; a cohort
// built in the view is pushed down by the kernel's "population" job, and its figures over all rows replace the
// sample's when they arrive. Every figure says which it is ("all N rows" or "sample of n", `scopeText`).
//
// `Population` holds what is known per cohort definition, asks the kernel for the active cohort when it is not
// known (a newer cohort supersedes, a switch cancels: the kernel cancels the pass on the cluster), and tells its
// watchers (header, importance bars, metrics) to redraw. While the kernel computes, the note says how far the
// pass is ("3 of 8 partitions", with a progress bar): the job's progress is the share of meta.population's
// partitions done, and only the note is redrawn for it. Offline (a report, no kernel), new cohorts keep the
// sample's figures, said so.
import { setSampledSizes } from "../core/cohortSize";
import type { Cohort } from "../core/cohorts";
import { h } from "../core/dom";
import type { KernelLink } from "../core/jobs";
import type { TabularMeta } from "./data";
import type { OutputChoice } from "./stats";
import type { TabularStore } from "./store";
import { countRows } from "./wording";
import "./population.css";

export const JOB = "population";
const CACHE = 64; // cohort definitions whose all-row figures are kept

export interface PopulationFigures {
  rows: number;
  /** Mean |value| per feature in feature order, per output name (null: NaN). */
  importance: Record<string, (number | null)[]>;
  fidelity: { r2?: number | null; agreement?: number | null; rows?: number };
  /** Point figures over all rows (no interval), named as exp.metrics() names them. */
  metrics: { metric: string; value: number | null; n: number | null }[];
}

export interface PopulationMeta extends PopulationFigures {
  sample_rows: number;
  /** The partitions a pass over every row goes over (a Dask explanation's); the job reports a share of them. */
  partitions?: number;
}

/** How far the kernel's pass over every row is: partitions done of all. */
export type PassProgress = { done: number; total: number };

/** Which rows a figure was computed on: every row of the cohort, or the cohort's rows in the sample. */
export type Scope = { kind: "all" | "sample"; rows: number };

export type PopulationState = "known" | "running" | "error" | "offline" | "invalid";

export function populationMeta(meta: TabularMeta): PopulationMeta | null {
  const p = (meta as TabularMeta & { population?: PopulationMeta }).population;
  return p && typeof p.rows === "number" ? p : null;
}

/** "all 12,345 rows" or "sample of 1,234": the label every figure of a large explanation carries. */
export function scopeText(scope: Scope): string {
  return scope.kind === "all" ? `all ${countRows(scope.rows)}` : `sample of ${scope.rows.toLocaleString()}`;
}

/** "3 of 8 partitions" */
export function partitionsText(p: PassProgress): string {
  return `${p.done.toLocaleString()} of ${p.total.toLocaleString()} ${p.total === 1 ? "partition" : "partitions"}`;
}

/** The label as an element (text only), marked with the scope and its rows for tests. */
export function scopeChip(scope: Scope, testid = "scope"): HTMLElement {
  const chip = h("span", {
    cls: `rw-scope rw-scope-${scope.kind}`,
    testid,
    text: scopeText(scope),
    title:
      scope.kind === "all"
        ? "Computed over every row of the cohort, not only the sample"
        : "Computed on the cohort's rows in the sample the view holds, not on every row",
  });
  chip.dataset.scope = scope.kind;
  chip.dataset.rows = String(scope.rows);
  return chip;
}

const definitionKey = (c: Cohort) => (c.filters.length ? JSON.stringify([c.combine, c.filters]) : "all");
const num = (v: number | null | undefined) => (typeof v === "number" ? v : Number.NaN);

/** Figures the kernel sent, checked for shape; null when they are not figures. */
export function decodeFigures(raw: unknown): PopulationFigures | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Partial<PopulationFigures>;
  if (typeof r.rows !== "number" || !r.importance || typeof r.importance !== "object") return null;
  return { rows: r.rows, importance: r.importance, fidelity: r.fidelity ?? {}, metrics: Array.isArray(r.metrics) ? r.metrics : [] };
}

/** Mean |value| per feature over all rows for the output the charts show; null when the engine has no such
 * figure (each row's predicted class of a multi-class model: its importance is per class). */
export function importanceFor(meta: TabularMeta, figures: PopulationFigures, output: OutputChoice): Float64Array | null {
  const names = meta.output_names;
  const list = (name: string | undefined) => (name === undefined ? undefined : figures.importance[name]);
  const any = () => names.map((n) => list(n)).find((l) => l !== undefined);
  let picked: (number | null)[] | undefined;
  if (meta.binary_mirror) picked = (output.kind === "output" ? list(names[output.index]) : undefined) ?? any();
  else if (output.kind === "output") picked = list(names[output.index]);
  else if (output.kind === "average") {
    const lists = names.map((n) => list(n));
    if (lists.some((l) => l === undefined)) return null;
    const f = meta.feature_names.length;
    const out = new Float64Array(f);
    for (const l of lists as (number | null)[][]) for (let j = 0; j < f; j++) out[j] += num(l[j]) / lists.length;
    return out;
  }
  if (!picked || picked.length !== meta.feature_names.length) return null;
  return Float64Array.from(picked, num);
}

export class Population {
  private known = new Map<string, PopulationFigures>();
  private asked: { key: string; id: number; name: string } | null = null;
  private failed: { key: string; message: string } | null = null;
  private watchers = new Set<() => void>();
  private unwatch: (() => void) | null = null;
  private noteEl: HTMLElement | null = null; // the note drawNote drew last: redrawn alone as the pass goes on

  constructor(
    private readonly store: TabularStore,
    readonly meta: PopulationMeta,
    private readonly kernel: KernelLink | null,
    /** Whether the kernel can run the job (a notebook with the large explanation; not an offline report). */
    readonly live: boolean,
  ) {
    this.known.set("all", meta);
    if (kernel && live) this.unwatch = kernel.watch(JOB, () => this.onKernel());
  }

  /** Every row of the large explanation, and the sample's. */
  get total(): number {
    return this.meta.rows;
  }
  get sampleRows(): number {
    return this.meta.sample_rows;
  }

  /** The cohort's figures over every row, when known. */
  figures(cohort: Cohort): PopulationFigures | null {
    return this.known.get(definitionKey(cohort)) ?? null;
  }

  /** Which rows the cohort's figures are on now: all of them, or its rows in the sample. */
  scope(cohort: Cohort): Scope {
    const f = this.figures(cohort);
    return f ? { kind: "all", rows: f.rows } : { kind: "sample", rows: this.store.maskOf(cohort).count };
  }

  /** Where the active cohort's all-row figures stand. */
  state(): { state: PopulationState; message: string } {
    const active = this.store.activeCohort();
    const key = definitionKey(active);
    if (this.known.has(key)) return { state: "known", message: "" };
    if (this.store.maskOf(active).error) return { state: "invalid", message: this.store.maskOf(active).error ?? "" };
    if (!this.live) return { state: "offline", message: "" };
    if (this.failed?.key === key) return { state: "error", message: this.failed.message };
    return { state: "running", message: "" };
  }

  /** How far the kernel's pass for the active cohort is, while it runs and the job says (null otherwise, or
   * when the number of partitions is not known). */
  progress(): PassProgress | null {
    const total = this.meta.partitions;
    if (!this.asked || !this.kernel || typeof total !== "number" || total < 1) return null;
    if (this.state().state !== "running") return null;
    const status = this.kernel.status(JOB);
    if (status.id !== this.asked.id || status.state !== "running" || typeof status.progress !== "number") return null;
    const done = Math.min(total, Math.max(0, Math.round(status.progress * total)));
    return { done, total };
  }

  /** The active cohort (or its definition) changed: ask the kernel for its figures unless they are known. */
  sync(): void {
    const active = this.store.activeCohort();
    const key = definitionKey(active);
    if (this.asked?.key === key) return; // already asked
    if (this.asked) this.kernel?.cancel(JOB); // another cohort's answer is no longer wanted
    this.asked = null;
    if (this.known.has(key) || !this.live || !this.kernel || this.store.maskOf(active).error) return;
    if (this.failed?.key === key) this.failed = null; // asked again: the error may have passed
    const id = this.kernel.request(JOB, { cohort: { name: active.name, combine: active.combine, filters: active.filters } });
    this.asked = { key, id, name: active.name };
  }

  /** Called on every change of the figures or of the job's state; returns the unsubscribe function. */
  watch(cb: () => void): () => void {
    this.watchers.add(cb);
    return () => this.watchers.delete(cb);
  }

  destroy(): void {
    this.unwatch?.();
    this.watchers.clear();
  }

  private onKernel(): void {
    const kernel = this.kernel as KernelLink;
    const asked = this.asked;
    if (!asked) return;
    const status = kernel.status(JOB);
    if (status.id !== asked.id) return; // an earlier request's news
    if (status.state === "running") {
      if (this.noteEl) this.drawNote(this.noteEl); // only how far the pass is changed
      return;
    }
    if (status.state === "done") {
      const raw = kernel.result(JOB);
      if (!raw || raw.id !== asked.id) return; // the result follows
      const figures = decodeFigures(raw);
      this.asked = null;
      if (figures) {
        if (this.known.size >= CACHE) this.known = new Map([["all", this.meta]]);
        this.known.set(asked.key, figures);
      } else this.failed = { key: asked.key, message: "the kernel's answer held no figures" };
    } else if (status.state === "error") {
      this.asked = null;
      this.failed = { key: asked.key, message: status.message };
    } else if (status.state === "cancelled") this.asked = null;
    for (const cb of this.watchers) cb();
  }

  /** The note under the header: what the figures are and where the active cohort's stand. */
  note(): { text: string; state: PopulationState } {
    const active = this.store.activeCohort();
    const { state, message } = this.state();
    const sample = `the row-level views (data explorer, distributions, dependence, rows) draw a stratified sample of ${this.sampleRows.toLocaleString()} of ${countRows(this.total)}.`;
    const n = this.store.maskOf(active).count.toLocaleString();
    const text: Record<PopulationState, string> = {
      known: `Figures marked “all … rows” are over every row of the cohort; ${sample}`,
      running: `Computing “${active.name}” over all ${countRows(this.total)} in the kernel${this.runningText()} Until then the figures are the sample's (${n} of its rows).`,
      error: `Could not compute “${active.name}” over all rows: ${message.replace(/\.?$/, ".")} The figures shown are the sample's (${n} of its rows).`,
      offline: `Figures over all rows for cohorts made in this view need the kernel (a running notebook); “${active.name}” shows the sample's (${n} of its rows). ${sample.charAt(0).toUpperCase()}${sample.slice(1)}`,
      invalid: `“${active.name}” cannot be evaluated: ${message}`,
    };
    return { text: text[state], state };
  }

  private runningText(): string {
    const p = this.progress();
    return p ? `: ${partitionsText(p)} done on the cluster.` : "…";
  }

  /** Draws the note into `el` (the header's): its text, its state (data-state), and while the pass runs a
   * progress bar of the partitions done. Text only, never HTML (a cohort's name is the user's). */
  drawNote(el: HTMLElement): void {
    const { text, state } = this.note();
    const p = this.progress();
    const label = h("span", { testid: "population-note-text", text });
    if (p) {
      const bar = h("progress", {
        cls: "rw-population-progress",
        testid: "population-progress",
        attrs: { max: String(p.total), value: String(p.done), "aria-label": `${partitionsText(p)} done` },
      });
      el.replaceChildren(label, bar);
    } else el.replaceChildren(label);
    el.dataset.state = state;
    el.classList.toggle("rw-error", state === "error");
    this.noteEl = el;
  }
}

const links = new WeakMap<TabularStore, Population>();

/** The Population of a store's large explanation, or null for any other explanation. */
export function populationOf(store: TabularStore): Population | null {
  return links.get(store) ?? null;
}

/** Makes the store's Population when its explanation is large (meta.population); asks for the active cohort. */
export function attachPopulation(store: TabularStore, kernel: KernelLink | null, live: boolean): Population | null {
  const meta = populationMeta(store.data.meta);
  if (!meta) return null;
  const population = new Population(store, meta, kernel, live);
  links.set(store, population);
  setSampledSizes(store, population); // the cohort picker's and editor's counts say "n of N sampled rows"
  population.sync();
  return population;
}
