// How far to trust a text's explanation, as the kernel computed it (rai_widget/explainers/_text_faithfulness.py):
// ERASER's comprehensiveness (the drop in the explained output when the top-k words are removed) and
// sufficiency (the drop when only they are kept), beside a random choice of k words; and whether SHAP's budget
// expanded the text's whole partition tree (exact values) or how far it left them. Present only when the
// payload has them (explainer.faithfulness(exp); explain() gives the approximation).
import { decodeArray, type WireArray } from "../core/arrays";
import { fmt, h } from "../core/dom";
import "./faithfulness.css";

export interface FaithfulnessMeta {
  ks: number[]; // as asked: whole words, or shares of a text's words in (0, 1]
  labels: string[]; // "3", "20%"
  output: string | null; // null: each text's predicted output
}

export interface ApproximationMeta {
  max_evals: number;
  exact_steps: boolean; // the explainer's exact= (shap's own steps)
}

export interface CheckArrays {
  faithfulness_k?: WireArray;
  faithfulness_class?: WireArray;
  faithfulness_full?: WireArray;
  faithfulness_removed?: WireArray;
  faithfulness_kept?: WireArray;
  faithfulness_random_removed?: WireArray;
  faithfulness_random_kept?: WireArray;
  approximation_exact?: WireArray;
  approximation_needed?: WireArray;
  approximation_gap?: WireArray;
  approximation_diff?: WireArray;
}

interface Faith {
  meta: FaithfulnessMeta;
  m: number;
  k: Int32Array;
  cls: Int32Array;
  full: Float32Array;
  removed: Float32Array;
  kept: Float32Array;
  randomRemoved: Float32Array | null;
  randomKept: Float32Array | null;
}

interface Approx {
  meta: ApproximationMeta;
  exact: Uint8Array;
  needed: Int32Array;
  gap: Float32Array;
  diff: Float32Array;
}

/** One k of one text: its number of words, and the drops (output - output with the words removed / kept only). */
export interface FaithRow {
  label: string;
  words: number;
  comprehensiveness: number;
  sufficiency: number;
  randomComprehensiveness: number | null;
  randomSufficiency: number | null;
}

export interface TextFaith {
  cls: number;
  full: number;
  rows: FaithRow[];
  /** Means over the text's distinct k's (ERASER's AOPC), as TextFaithfulness.*_aopc. */
  aopc: { comprehensiveness: number; sufficiency: number; randomComprehensiveness: number | null; randomSufficiency: number | null };
}

const f32 = (w: WireArray | undefined) => (w ? (decodeArray(w).data as Float32Array) : null);

export class TextChecks {
  readonly faith: Faith | null = null;
  readonly approx: Approx | null = null;

  constructor(
    readonly n: number,
    faithMeta: FaithfulnessMeta | undefined,
    approxMeta: ApproximationMeta | undefined,
    arrays: CheckArrays,
  ) {
    if (faithMeta && arrays.faithfulness_k && arrays.faithfulness_class && arrays.faithfulness_full) {
      const m = faithMeta.ks.length;
      const faith: Faith = {
        meta: faithMeta,
        m,
        k: decodeArray(arrays.faithfulness_k).data as Int32Array,
        cls: decodeArray(arrays.faithfulness_class).data as Int32Array,
        full: f32(arrays.faithfulness_full) as Float32Array,
        removed: f32(arrays.faithfulness_removed) as Float32Array,
        kept: f32(arrays.faithfulness_kept) as Float32Array,
        randomRemoved: f32(arrays.faithfulness_random_removed),
        randomKept: f32(arrays.faithfulness_random_kept),
      };
      if (faith.k.length !== n * m || faith.removed?.length !== n * m || faith.kept?.length !== n * m)
        throw new Error("faithfulness arrays do not match texts x k's");
      this.faith = faith;
    }
    if (approxMeta && arrays.approximation_exact && arrays.approximation_needed && arrays.approximation_gap && arrays.approximation_diff) {
      this.approx = {
        meta: approxMeta,
        exact: decodeArray(arrays.approximation_exact).data as Uint8Array,
        needed: decodeArray(arrays.approximation_needed).data as Int32Array,
        gap: f32(arrays.approximation_gap) as Float32Array,
        diff: f32(arrays.approximation_diff) as Float32Array,
      };
    }
  }

  /** Text i's figures, or null when there are none (no check, or a text without words). */
  textFaith(i: number): TextFaith | null {
    const f = this.faith;
    if (!f) return null;
    const full = f.full[i];
    const rows: FaithRow[] = [];
    const sums = { c: 0, s: 0, rc: 0, rs: 0, n: 0 };
    const seen = new Set<number>();
    for (let j = 0; j < f.m; j++) {
      const words = f.k[i * f.m + j];
      if (words <= 0) return null;
      const at = i * f.m + j;
      const row: FaithRow = {
        label: f.meta.labels[j] ?? String(f.meta.ks[j]),
        words,
        comprehensiveness: full - f.removed[at],
        sufficiency: full - f.kept[at],
        randomComprehensiveness: f.randomRemoved ? full - f.randomRemoved[at] : null,
        randomSufficiency: f.randomKept ? full - f.randomKept[at] : null,
      };
      rows.push(row);
      if (seen.has(words)) continue; // AOPC averages a text's distinct k's
      seen.add(words);
      sums.n++;
      sums.c += row.comprehensiveness;
      sums.s += row.sufficiency;
      sums.rc += row.randomComprehensiveness ?? 0;
      sums.rs += row.randomSufficiency ?? 0;
    }
    if (!rows.length) return null;
    const random = f.randomRemoved !== null && f.randomKept !== null;
    return {
      cls: f.cls[i],
      full,
      rows,
      aopc: {
        comprehensiveness: sums.c / sums.n,
        sufficiency: sums.s / sums.n,
        randomComprehensiveness: random ? sums.rc / sums.n : null,
        randomSufficiency: random ? sums.rs / sums.n : null,
      },
    };
  }

  /** The k the sentences name: 3 words when asked for, else the first k. */
  headlineIndex(): number {
    const f = this.faith;
    if (!f) return 0;
    const three = f.meta.ks.indexOf(3);
    return Math.max(three, 0);
  }
}

// --- wording ---------------------------------------------------------------------------------------

/** "p(fresh)" for probabilities, else "the output for 'fresh'". */
export function quantity(units: string, name: string): string {
  return units === "probability" ? `p(${name})` : `the output for '${name}'`;
}

/** "lowers it by 0.41" / "raises it by 0.02" / "leaves it as it is". */
export function change(drop: number, it = "it"): string {
  if (!Number.isFinite(drop)) return `leaves ${it} unknown`;
  if (Math.abs(drop) < 5e-4) return `leaves ${it} as it is`;
  return drop > 0 ? `lowers ${it} by ${fmt(drop)}` : `raises ${it} by ${fmt(-drop)}`;
}

/** The sentence over a text's figures, for one k: what removing the top words does, and keeping only them. */
export function faithSentence(t: TextFaith, row: FaithRow, units: string, name: string, length: number): string {
  const all = row.words >= length && length > 1 ? " (all of them)" : "";
  const top = row.words === 1 ? "the top word" : `the top ${row.words} words${all}`;
  const q = quantity(units, name);
  const removed = `Removing ${top} ${change(row.comprehensiveness, q)} (from ${fmt(t.full)} to ${fmt(t.full - row.comprehensiveness)})`;
  const kept = `keeping only ${row.words === 1 ? "it" : "them"} ${change(row.sufficiency)}`;
  const random =
    row.randomComprehensiveness !== null && row.randomSufficiency !== null
      ? ` ${row.words === 1 ? "A random word" : `${row.words} random words`}: removed, ${change(row.randomComprehensiveness)}; kept alone, ${change(row.randomSufficiency)}.`
      : "";
  return `${removed}; ${kept}.${random}`;
}

/** Text i's approximation in words: "exact" when the budget expanded the whole tree, else how far it got. */
export function approximationSentence(checks: TextChecks, i: number): { text: string; warn: boolean } | null {
  const a = checks.approx;
  if (!a) return null;
  const maxEvals = a.meta.max_evals.toLocaleString("en-US");
  const needed = a.needed[i];
  const gap = a.gap[i];
  const additive = gap < 1e-6 ? "base + Σ values = output" : `base + Σ values misses the output by ${fmt(gap)}`;
  if (a.exact[i]) {
    const calls = needed > 0 ? ` (${needed.toLocaleString("en-US")} masked texts)` : "";
    return {
      text: `SHAP values: exact. max_evals ${maxEvals} expanded this text's whole partition tree${calls}; ${additive}.`,
      warn: gap >= 1e-6,
    };
  }
  const diff = a.diff[i];
  const steps = a.meta.exact_steps ? "" : " (in larger steps than shap's, exact=False)";
  const checked = Number.isFinite(diff)
    ? `at most ${fmt(diff)} from the exact values (checked by an exact run)`
    : "not compared with an exact run (explainer.approximation_error(exp) does)";
  return {
    text: `SHAP values: approximate. max_evals ${maxEvals} of the ${needed.toLocaleString("en-US")} masked texts a full expansion of this text's tree scores${steps}; ${additive}; ${checked}.`,
    warn: gap >= 1e-6,
  };
}

const cell = (v: number | null, testid?: string) => h("td", { text: v === null ? "–" : fmt(v), testid });

/** The per-text block under the heatmap: a sentence, the table over every k and AOPC, and the approximation. */
export function textChecksBlock(
  checks: TextChecks,
  i: number,
  units: string,
  outputName: (c: number) => string,
  length: number,
  shownClass: number,
): HTMLElement | null {
  const t = checks.textFaith(i);
  const approx = approximationSentence(checks, i);
  if (!checks.faith && !approx) return null;
  const parts: HTMLElement[] = [];
  if (checks.faith && !t) {
    parts.push(h("div", { cls: "rw-muted", testid: "faithfulness-headline", text: "Faithfulness: this text has no word to remove." }));
  } else if (t) {
    const name = outputName(t.cls);
    const q = quantity(units, name);
    const random = t.aopc.randomComprehensiveness !== null;
    const which = checks.faith?.meta.output === null ? `${name}, the predicted class` : name;
    const other = t.cls !== shownClass ? ` (the colours explain '${outputName(shownClass)}')` : "";
    parts.push(
      h("div", {
        cls: "rw-tx-check-title",
        text: `Faithfulness for '${which}'${other}: how ${q} changes without the words the explanation ranks first`,
      }),
      h("div", {
        testid: "faithfulness-headline",
        text: faithSentence(t, t.rows[checks.headlineIndex()] ?? t.rows[0], units, name, length),
      }),
    );
    const head = ["top k words", "removed: drop", "kept alone: drop", ...(random ? ["random k removed", "random k kept alone"] : [])];
    const rows = t.rows.map((r) =>
      h("tr", { testid: "faithfulness-row" }, [
        h("th", { attrs: { scope: "row" }, text: r.label === String(r.words) ? r.label : `${r.label} (${r.words})` }),
        cell(r.comprehensiveness),
        cell(r.sufficiency),
        ...(random ? [cell(r.randomComprehensiveness), cell(r.randomSufficiency)] : []),
      ]),
    );
    rows.push(
      h("tr", { cls: "rw-tx-aopc", testid: "faithfulness-aopc" }, [
        h("th", { attrs: { scope: "row" }, text: "mean (AOPC)" }),
        cell(t.aopc.comprehensiveness),
        cell(t.aopc.sufficiency),
        ...(random ? [cell(t.aopc.randomComprehensiveness), cell(t.aopc.randomSufficiency)] : []),
      ]),
    );
    parts.push(
      h("table", { cls: "rw-tx-checks-table", testid: "faithfulness-table" }, [
        h("thead", {}, [
          h(
            "tr",
            {},
            head.map((x) => h("th", { attrs: { scope: "col" }, text: x })),
          ),
        ]),
        h("tbody", {}, rows),
      ]),
      h("div", {
        cls: "rw-muted",
        text: `Drops in ${units}, the words ranked by their value toward '${name}' and removed as SHAP masks them. A large drop when removed (comprehensiveness) and a small one when kept alone (sufficiency) say the top words carry the output; random words show what no ranking gives.`,
      }),
    );
  }
  if (approx) parts.push(h("div", { cls: approx.warn ? "rw-warn-text" : "rw-muted", testid: "text-approximation", text: approx.text }));
  return h("div", { cls: "rw-tx-checks", testid: "text-faithfulness" }, parts);
}

/** The cohort lines: mean figures over the listed texts (each for its own class), and how many are exact. */
export function cohortSummary(checks: TextChecks, docs: number[], cohort: string, units: string, classWording: string): string[] | null {
  const f = checks.faith;
  const a = checks.approx;
  if (!f && !a) return null;
  const out: string[] = [];
  if (f) {
    const j = checks.headlineIndex();
    const label = f.meta.labels[j] ?? String(f.meta.ks[j]);
    const sums = { c: 0, s: 0, rc: 0, rs: 0, ac: 0, as: 0, n: 0 };
    for (const i of docs) {
      const t = checks.textFaith(i);
      if (!t) continue;
      const r = t.rows[j];
      sums.n++;
      sums.c += r.comprehensiveness;
      sums.s += r.sufficiency;
      sums.rc += r.randomComprehensiveness ?? 0;
      sums.rs += r.randomSufficiency ?? 0;
      sums.ac += t.aopc.comprehensiveness;
      sums.as += t.aopc.sufficiency;
    }
    const unit = units === "probability" ? "its class's probability" : "its class's output";
    if (!sums.n) out.push(`Faithfulness: no text of '${cohort}' has words to remove.`);
    else {
      const random = f.randomRemoved !== null && f.randomKept !== null;
      const k = /^\d+$/.test(label) ? (label === "1" ? "top word" : `top ${label} words`) : `top ${label} of its words`;
      const rnd = (x: number) => (random ? ` (random words: ${change(x / sums.n)})` : "");
      out.push(
        `Over '${cohort}' (${sums.n} ${sums.n === 1 ? "text" : "texts"}, ${classWording}): removing each text's ${k} ${change(sums.c / sums.n, unit)} on average${rnd(sums.rc)}; keeping only them ${change(sums.s / sums.n)}${rnd(sums.rs)}. AOPC over k = ${f.meta.labels.join(", ")}: comprehensiveness ${fmt(sums.ac / sums.n)}, sufficiency ${fmt(sums.as / sums.n)}.`,
      );
    }
  }
  if (a) {
    let exact = 0;
    let worst = Number.NaN;
    let checked = 0;
    for (const i of docs) {
      if (a.exact[i]) exact++;
      else if (Number.isFinite(a.diff[i])) {
        checked++;
        worst = Number.isFinite(worst) ? Math.max(worst, a.diff[i]) : a.diff[i];
      }
    }
    const far = checked
      ? `; of ${checked} approximate ${checked === 1 ? "text" : "texts"} checked by an exact run, the largest difference is ${fmt(worst)}`
      : "";
    const budget = `max_evals ${a.meta.max_evals.toLocaleString("en-US")}`;
    const noun = docs.length === 1 ? "text" : "texts";
    if (exact === docs.length)
      out.push(
        `SHAP values exact for ${docs.length === 1 ? "the" : `all ${docs.length}`} ${noun}: ${budget} expanded every partition tree.`,
      );
    else out.push(`SHAP values exact for ${exact} of ${docs.length} ${noun}, approximate for the others (${budget})${far}.`);
  }
  return out;
}
