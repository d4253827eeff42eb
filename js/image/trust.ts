// How far to trust each map, as the kernel computed it (rai_widget/explainers/_faithfulness.py, _sanity.py):
// under each method's panel, the deletion and insertion AUCs with their curves as sparklines (so methods side by
// side can be ranked on this image), integrated gradients' completeness gap, and the sanity check's verdict, a
// warning when the maps barely change on a randomised model. Present only when the payload has them.
import { h } from "../core/dom";
import type { CompletenessRow, MethodInfo, SanityRow } from "./data";
import "./trust.css";

export const SANITY_WARNING = "maps barely change when the model's top layers are randomised: this map may not reflect the model";

/** A figure as the view prints it: two decimals (AUCs, correlations live in [0, 1] or [-1, 1]), no "-0.00". */
export const two = (v: number): string => (Math.abs(v) < 0.005 ? 0 : v).toFixed(2);

/** Three significant digits for the model's units (a completeness gap may be 0.0031 or 12.7). */
export function sig3(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v))));
  return v.toFixed(Math.min(digits, 6));
}

export const deletionText = (auc: number) => `deletion AUC ${two(auc)}, lower is better`;
export const insertionText = (auc: number) => `insertion AUC ${two(auc)}, higher is better`;

export function completenessText(c: CompletenessRow): string {
  const share = c.relative_gap === null ? "" : ` (${(100 * Math.abs(c.relative_gap)).toFixed(1)}% of it)`;
  return `completeness gap ${c.gap >= 0 ? "+" : ""}${sig3(c.gap)}: the map sums to ${sig3(c.attribution_sum)}, f(x) − f(baseline) is ${sig3(c.output_difference)}${share}`;
}

export function sanityText(s: SanityRow, layers: number): string {
  const ssim = s.ssim === null ? "" : `, SSIM ${two(s.ssim)}`;
  const figures = `rank correlation ${two(s.rank_correlation)}${ssim} with the map of a model whose top ${layers} layer${layers === 1 ? " was" : "s were"} randomised`;
  return s.passed ? `sanity check passed: ${figures}` : `${SANITY_WARNING} (${figures})`;
}

/** The method (index) with the best AUC of this image and target among those that have one, or -1 (one method). */
export function bestOf(methods: MethodInfo[], i: number, t: number, key: "deletion_auc" | "insertion_auc"): number {
  let best = -1;
  let have = 0;
  methods.forEach((m, j) => {
    const row = m.faithfulness?.per_image[i]?.[t];
    if (!row) return;
    have++;
    const b = best >= 0 ? methods[best].faithfulness?.per_image[i]?.[t] : undefined;
    if (!b || (key === "deletion_auc" ? row[key] < b[key] : row[key] > b[key])) best = j;
  });
  return have > 1 ? best : -1;
}

/** A small canvas at devicePixelRatio: the curve over the share of pixels (0..1), scores 0..1, area filled. */
export function sparkline(values: number[], label: string): HTMLCanvasElement {
  const w = 72;
  const hgt = 22;
  const canvas = h("canvas", { cls: "rw-spark", attrs: { role: "img", "aria-label": label } });
  const dpr = Math.max(1, (typeof window !== "undefined" && window.devicePixelRatio) || 1);
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${hgt}px`;
  const ctx = canvas.getContext?.("2d");
  if (!ctx || values.length < 2) return canvas;
  ctx.scale(dpr, dpr);
  const x = (k: number) => 1 + (k / (values.length - 1)) * (w - 2);
  const y = (v: number) => 1 + (1 - Math.min(1, Math.max(0, v))) * (hgt - 2);
  ctx.strokeStyle = "rgba(128, 128, 128, 0.5)";
  ctx.lineWidth = 1;
  ctx.strokeRect(0.5, 0.5, w - 1, hgt - 1);
  ctx.beginPath();
  ctx.moveTo(x(0), y(0));
  for (let k = 0; k < values.length; k++) ctx.lineTo(x(k), y(values[k]));
  ctx.lineTo(x(values.length - 1), y(0));
  ctx.closePath();
  ctx.fillStyle = "rgba(31, 119, 180, 0.25)";
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(x(0), y(values[0]));
  for (let k = 1; k < values.length; k++) ctx.lineTo(x(k), y(values[k]));
  ctx.strokeStyle = "rgb(31, 119, 180)";
  ctx.lineWidth = 1.5;
  ctx.stroke();
  return canvas;
}

/** The checks of method j on image i, target t: an element to put under its panel (empty when none). */
export function trustBlock(methods: MethodInfo[], j: number, i: number, t: number): HTMLElement {
  const m = methods[j];
  const rows: HTMLElement[] = [];
  const f = m.faithfulness?.per_image[i]?.[t];
  if (f) {
    const n = methods.filter((o) => o.faithfulness).length;
    const line = (kind: "deletion" | "insertion", text: string, curve: number[], auc: number) => {
      const best = bestOf(methods, i, t, `${kind}_auc`) === j;
      const verb = kind === "deletion" ? "removed" : "restored";
      const spark = sparkline(
        curve,
        `${kind} curve: the score goes from ${two(curve[0])} to ${two(curve[curve.length - 1])} as pixels are ${verb} in the map's order`,
      );
      const attrs: Record<string, string> = { "data-auc": String(auc) };
      if (best) attrs["data-best"] = "true";
      return h("div", { cls: "rw-trust-row", testid: `faithfulness-${kind}`, attrs }, [
        spark,
        h("span", {}, [
          h("span", { cls: "rw-trust-text", text }),
          best ? h("span", { cls: "rw-trust-best", text: ` best of ${n}` }) : null,
        ]),
      ]);
    };
    rows.push(line("deletion", deletionText(f.deletion_auc), f.deletion, f.deletion_auc));
    rows.push(line("insertion", insertionText(f.insertion_auc), f.insertion, f.insertion_auc));
  }
  const c = m.completeness?.per_image[i]?.[t];
  if (c) rows.push(h("div", { cls: "rw-trust-row rw-muted", testid: "completeness-gap", text: completenessText(c) }));
  const s = m.sanity?.per_image[i]?.[t];
  if (s) {
    const text = sanityText(s, m.sanity?.layers.length ?? 0);
    rows.push(
      s.passed
        ? h("div", { cls: "rw-trust-row rw-muted", testid: "sanity-passed", text })
        : h("div", { cls: "rw-trust-warning", testid: "sanity-warning", attrs: { role: "note" }, text }),
    );
  }
  const block = h("div", { cls: "rw-trust", testid: "map-checks" }, rows);
  block.hidden = rows.length === 0;
  return block;
}
