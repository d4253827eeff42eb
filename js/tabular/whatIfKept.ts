// The kept what-if points (the `what_if_points` trait, dash.what_if in Python): one card per point, side by
// side, with its edits, prediction and top attributions; deletable where a kernel is behind the view.
import { fmt, h, NEG_COLOR, POS_COLOR } from "../core/dom";
import type { KeptTrait } from "../core/jobs";
import { barGeometry } from "./local";
import type { TabularStore } from "./store";
import { editsText, keptJson, keptPoints, predictionText, shownOutput, topAttributions, type WhatIfPoint } from "./whatIfLogic";
import { outputTitle, unitsPhrase } from "./wording";

const TOP = 5;

export interface KeptList {
  el: HTMLElement;
  draw(): void;
  /** The names in use. */
  names(): string[];
  /** Keep `point` as `name` (which must be free); the trait is set, the kernel checks it. */
  keep(name: string, point: WhatIfPoint): void;
  destroy(): void;
}

export function createKeptPoints(store: TabularStore, kept: KeptTrait | null, live: boolean): KeptList {
  const { data } = store;
  const units = unitsPhrase(data.meta);
  const el = h("div", { cls: "rw-wi-kept", testid: "what-if-kept" });
  const raw = (): unknown[] => {
    const v = kept?.get();
    return Array.isArray(v) ? [...v] : [];
  };

  function remove(name: string): void {
    kept?.set(raw().filter((p) => !(p && (p as { name?: unknown }).name === name)));
    draw();
  }

  function card(name: string, p: WhatIfPoint): HTMLElement {
    const c = shownOutput(data, store.state.output, p);
    const top = topAttributions(data, p, c, TOP);
    let max = 0;
    for (const [, v] of top) max = Math.max(max, Math.abs(v));
    const domain: [number, number] = [-max || -1, max || 1];
    const del = live
      ? h("button", {
          cls: "rw-local-remove",
          text: "×",
          title: `Delete the what-if point "${name}"`,
          testid: "what-if-delete",
          attrs: { type: "button", "aria-label": `delete what-if point ${name}` },
        })
      : null;
    del?.addEventListener("click", () => remove(name));
    const rows = top.flatMap(([feature, v]) => {
      const g = barGeometry(v, domain);
      return [
        h("span", { cls: "rw-wi-kfeat", text: feature, title: feature }),
        h("span", { cls: "rw-local-track" }, [
          h("span", { cls: "rw-local-zero", attrs: { style: "left:50%" } }),
          h("span", {
            cls: "rw-local-fill",
            attrs: { style: `left:${g.left}%;width:${Math.max(g.width, 0.3)}%;background:${v >= 0 ? POS_COLOR : NEG_COLOR}` },
          }),
        ]),
        h("span", { cls: "rw-local-value", text: (v > 0 ? "+" : "") + fmt(v) }),
      ];
    });
    const n = p.findings.length;
    return h("div", { cls: "rw-wi-kcard", testid: "what-if-point", attrs: { "data-name": name } }, [
      h("div", { cls: "rw-local-title" }, [h("span", { cls: "rw-local-rowname", text: name, title: name }), del]),
      h("div", { cls: "rw-muted", text: `from row ${p.row}: ${editsText(p.values)}` }),
      h("div", { text: `predicted ${predictionText(data, p.prediction.label, p.prediction.probabilities, c)}` }),
      h("div", { cls: "rw-muted", text: `${outputTitle(data.meta, c)}, in ${units}` }),
      h("div", { cls: "rw-wi-kbars" }, rows),
      n
        ? h("div", { cls: "rw-wi-kwarn", text: `⚠ ${n} finding${n === 1 ? "" : "s"}`, title: p.findings.map((f) => f.message).join("\n") })
        : null,
    ]);
  }

  function draw(): void {
    const points = keptPoints(kept?.get(), data.f, data.k);
    if (!points.length) {
      const empty = live ? 'No kept points yet: edit a row, then "Keep".' : "No kept what-if points.";
      el.replaceChildren(h("div", { cls: "rw-empty", text: empty }));
      return;
    }
    el.replaceChildren(
      h(
        "div",
        { cls: "rw-wi-kcards" },
        points.map(({ name, point }) => card(name, point)),
      ),
    );
  }

  const unwatch = kept ? kept.watch(draw) : () => {};
  draw();
  return {
    el,
    draw,
    names: () => keptPoints(kept?.get(), data.f, data.k).map((k) => k.name),
    keep(name, point) {
      kept?.set([...raw(), keptJson(name, point, data.f, data.k)]);
      draw();
    },
    destroy: unwatch,
  };
}
