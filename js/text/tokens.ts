// The text view's numbers: the diverging colour of a token, the colour scale over texts, and the
// token table over a cohort (as TextExplanation.global_importance computes it in Python).
import { fmt } from "../core/dom";
import { type Cell, MUTED, type Scene, type SceneItem, textWidth, toCsv } from "../core/export";
import type { TextData, TextOutput } from "./data";

export const POS_RGB: [number, number, number] = [214, 39, 40]; // pushes the output up: red
export const NEG_RGB: [number, number, number] = [31, 119, 180]; // pushes it down: blue
/** The strongest colour: over white, black text on it keeps 4.7:1 (red) and 5.2:1 (blue), so the light
 *  theme's tokens keep black text at every value (style.css), and the dark theme's white text over 5:1. */
export const MAX_ALPHA = 0.9;

export interface TokenColor {
  alpha: number; // 0..MAX_ALPHA, proportional to |value| / scale
  background: string; // rgba(), drawn over the theme's background
  /** The same colour for a dark theme (style.css picks it): alpha MAX_ALPHA * sqrt(share). A faint tint
   *  of red or blue over a near-black page is all but invisible where the same tint over white reads,
   *  so small values get more colour; white text on it keeps over 5:1 at any alpha. */
  darkBackground: string;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** The diverging colour of a value on a scale of [-scale, scale]; values beyond it saturate. */
export function tokenColor(value: number, scale: number): TokenColor {
  const share = scale > 0 && Number.isFinite(value) ? Math.min(1, Math.abs(value) / scale) : 0;
  const alpha = round3(share * MAX_ALPHA);
  const [r, g, b] = value >= 0 ? POS_RGB : NEG_RGB;
  return {
    alpha,
    background: `rgba(${r}, ${g}, ${b}, ${alpha})`,
    darkBackground: `rgba(${r}, ${g}, ${b}, ${round3(Math.sqrt(share) * MAX_ALPHA)})`,
  };
}

/** Max |value| over the tokens of the given texts, each toward its output (0 when none). */
export function colorScale(data: TextData, docs: Iterable<number>, output: TextOutput): number {
  let m = 0;
  for (const i of docs) {
    const c = data.outputOf(i, output);
    for (let t = data.offsets[i]; t < data.offsets[i + 1]; t++) m = Math.max(m, Math.abs(data.value(t, c)));
  }
  return m;
}

// --- token aggregation ----------------------------------------------------------------------------

export interface TokenStat {
  token: string; // lower-cased
  mean: number;
  meanAbs: number;
  count: number;
}

/** Mean value and mean |value| per token (case-insensitive) over the texts where mask is 1, by mean |value|. */
export function aggregateTokens(data: TextData, mask: ArrayLike<number>, output: TextOutput, stopWords?: ReadonlySet<string>): TokenStat[] {
  const acc = new Map<string, { sum: number; abs: number; count: number }>();
  for (let i = 0; i < data.n; i++) {
    if (!mask[i]) continue;
    const c = data.outputOf(i, output);
    for (let t = data.offsets[i]; t < data.offsets[i + 1]; t++) {
      const word = data.tokenText(t).toLowerCase();
      if (stopWords?.has(word)) continue;
      const v = data.value(t, c);
      const a = acc.get(word);
      if (a) {
        a.sum += v;
        a.abs += Math.abs(v);
        a.count++;
      } else acc.set(word, { sum: v, abs: Math.abs(v), count: 1 });
    }
  }
  const out: TokenStat[] = [];
  for (const [token, a] of acc) out.push({ token, mean: a.sum / a.count, meanAbs: a.abs / a.count, count: a.count });
  // stable: ties keep first appearance, as pandas' stable sort does in global_importance
  return out.sort((x, y) => y.meanAbs - x.meanAbs);
}

/** Text i's tokens by |value| toward output c, the largest first. */
export function topTokens(data: TextData, i: number, c: number, k: number): { t: number; value: number }[] {
  const out: { t: number; value: number }[] = [];
  for (let t = data.offsets[i]; t < data.offsets[i + 1]; t++) out.push({ t, value: data.value(t, c) });
  return out.sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, k);
}

/** The title over a text's top tokens, true to how many are shown: the top k, or every token of a
 *  shorter text, or the few that move the output at all (tokens whose value is 0 are not listed). */
export function topTokensTitle(shown: number, length: number, k: number): string {
  if (shown >= k || shown === 0) return `Top ${k} tokens of this text`;
  if (shown === length) return length === 1 ? "The one token of this text" : `All ${length} tokens of this text`;
  return shown === 1
    ? `The one token of this text's ${length} that moves this output`
    : `The ${shown} tokens of this text's ${length} that move this output`;
}

// --- export ---------------------------------------------------------------------------------------

/** Text i's tokens: index, token, its characters in the text (empty when unknown) and its value toward every output. */
export function tokensCsv(data: TextData, i: number): string {
  const rows: Cell[][] = [];
  for (let t = data.offsets[i]; t < data.offsets[i + 1]; t++) {
    const s = data.spans[2 * t];
    const e = data.spans[2 * t + 1];
    const known = s >= 0 && e >= s;
    const row: Cell[] = [t - data.offsets[i], data.tokenText(t), known ? s : null, known ? e : null];
    for (let c = 0; c < data.k; c++) row.push(data.value(t, c));
    rows.push(row);
  }
  return toCsv(["token_index", "token", "start", "end", ...data.meta.output_names.map((n) => `value_${n}`)], rows);
}

const HEAT_W = 760;
const HEAT_FONT = 14;
const HEAT_LINE = 24;

/** Text i as a heatmap picture: the text wrapped at HEAT_W, each token on its colour (the light theme's),
 *  under a title and the colour scale. Tokens are text items, so a token that looks like HTML stays text. */
export function heatmapScene(
  data: TextData,
  i: number,
  c: number,
  scale: number,
  runs: ({ gap: string } | { t: number; text: string })[],
): Scene {
  const name = data.meta.output_names[c] ?? String(c);
  const items: SceneItem[] = [
    { kind: "text", x: 12, y: 20, text: `Text #${i}: colours explain '${name}'`, bold: true, size: 13 },
    {
      kind: "text",
      x: 12,
      y: 38,
      size: 11,
      fill: MUTED,
      text: `red raises '${name}', blue lowers it; full colour at ±${fmt(scale)} (${data.meta.units})`,
    },
  ];
  const left = 12;
  let x = left;
  let y = 64;
  let right = 420; // the picture is as wide as its longest line (and the titles)
  for (const it of items) if (it.kind === "text") right = Math.max(right, textWidth(it.text, it.size ?? 12, it.bold) + 2 * left);
  const place = (text: string, fill: string | null, title?: string) => {
    const w = textWidth(text, HEAT_FONT);
    if (x + w > HEAT_W - 12 && x > left && text.trim() !== "") {
      x = left;
      y += HEAT_LINE;
    }
    if (fill) items.push({ kind: "rect", x, y: y - HEAT_FONT - 2, w, h: HEAT_FONT + 7, fill, title });
    items.push({ kind: "text", x, y, text, size: HEAT_FONT });
    x += w;
    right = Math.max(right, x + left);
  };
  for (const run of runs) {
    if ("gap" in run) {
      run.gap.split(/(\n)/).forEach((part) => {
        if (part === "\n") {
          x = left;
          y += HEAT_LINE;
        } else if (part) place(part.replace(/\s+/g, " "), null);
      });
      continue;
    }
    const v = data.value(run.t, c);
    place(run.text, tokenColor(v, scale).background, `${data.tokenText(run.t)}: ${v}`);
  }
  return { width: Math.min(HEAT_W, Math.ceil(right)), height: y + 16, title: `Text #${i}, token values toward '${name}'`, items };
}
