// A compact summary of an explanation: fidelity and the top features by mean |value|.
// Every string that comes from data is set with textContent.

import { decodeArray, WireArray } from "./arrays";

export interface SummaryState {
  kind: string;
  meta: {
    feature_names?: string[];
    output_names?: string[];
    units?: string;
    fidelity?: { r2?: number; agreement?: number } | null;
    n_rows?: number;
  };
  importance?: WireArray | null; // (features, outputs) mean |value|
}

export interface RankedFeature {
  name: string;
  value: number;
}

/** Features ranked by mean |value| averaged over outputs, largest first. */
export function rankFeatures(names: string[], importance: Float32Array, nOutputs: number, top: number): RankedFeature[] {
  const ranked = names.map((name, i) => {
    let s = 0;
    for (let k = 0; k < nOutputs; k++) s += importance[i * nOutputs + k];
    return { name, value: s / nOutputs };
  });
  ranked.sort((a, b) => b.value - a.value);
  return ranked.slice(0, top);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function renderSummary(root: HTMLElement, state: SummaryState, top = 10): void {
  root.replaceChildren();
  const meta = state.meta ?? {};
  const fid = meta.fidelity;
  if (fid) {
    const parts: string[] = [];
    if (typeof fid.r2 === "number") parts.push(`R² ${fid.r2.toFixed(3)}`);
    if (typeof fid.agreement === "number") parts.push(`agreement ${(100 * fid.agreement).toFixed(1)}%`);
    const badge = el("div", "rw-fidelity", `Surrogate fidelity: ${parts.join(", ")}`);
    badge.dataset.testid = "fidelity";
    if ((fid.r2 ?? 1) < 0.8 || (fid.agreement ?? 1) < 0.9) badge.classList.add("rw-warn");
    root.appendChild(badge);
  }
  if (!state.importance || !meta.feature_names) return;
  const imp = decodeArray(state.importance);
  const nOut = imp.shape[1] ?? 1;
  const ranked = rankFeatures(meta.feature_names, imp.data as Float32Array, nOut, top);
  const max = ranked.length ? Math.max(ranked[0].value, 1e-12) : 1;
  const chart = el("div", "rw-importance");
  chart.dataset.testid = "importance-chart";
  chart.appendChild(el("div", "rw-axis", `mean |value| (${meta.units ?? "output"})`));
  for (const f of ranked) {
    const row = el("div", "rw-bar-row");
    row.dataset.testid = "importance-bar";
    row.appendChild(el("span", "rw-bar-label", f.name));
    const bar = el("span", "rw-bar");
    bar.style.width = `${(100 * f.value) / max}%`;
    row.appendChild(bar);
    row.appendChild(el("span", "rw-bar-value", f.value.toPrecision(3)));
    chart.appendChild(row);
  }
  root.appendChild(chart);
}
