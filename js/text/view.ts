// The text view: document list, the selected document as a token heatmap, its top tokens, and a
// token chart over the active cohort. Cohorts, the active cohort and the selected document go
// through the core Store and its sync with the widget traits; the cohort picker and editor are core's.
//
// "Contains" is the cohort op `{"column": "tokens", "op": "contains", "value": word}` (core/cohorts.ts, the
// same in Python): the header box applies it live on top of the active cohort, and "Save as cohort"
// turns it into a real cohort (active cohort's filters + the word) that Python reads back.
//
// The detail shows the selected text when there is one, else the first text listed. A selection
// outside what the list shows (the active cohort and the Contains word) is dropped when the user
// changes the cohort (core/selection.ts); otherwise it is shown marked as outside, on its own colour
// scale: the list's shared scale says nothing about a text that is not in it.

import { createCohortEditor } from "../core/cohortEditor";
import { createCohortPicker } from "../core/cohortPicker";
import { countOfText, countText, type Noun, rowNoun } from "../core/cohortSize";
import { type Cohort, containsToken, copyCohort, type Filter, uniqueName, validateFilter } from "../core/cohorts";
import { labelOf } from "../core/columns";
import { fmt, h, NEG_COLOR, option, POS_COLOR } from "../core/dom";
import { canvasPng, exportControls, sceneToCanvas, sceneToSvg } from "../core/export";
import { keepSelectionInCohort, outsideCohort } from "../core/selection";
import { Store } from "../core/store";
import { modelState, syncWithModel, type WidgetModel } from "../core/sync";
import { tabBar } from "../core/tabs";
import type { View } from "../core/view";
import { type TextArrays, TextData, type TextMeta, type TextOutput, textRuns } from "./data";
import { cohortSummary, textChecksBlock } from "./faithfulness";
import { aggregateTokens, colorScale, heatmapScene, tokenColor, tokensCsv, topTokens, topTokensTitle } from "./tokens";

const LIST_LIMIT = 300; // documents listed per group
const TOP_K = 10;
const COHORT_K = 15;
const TEXTS = rowNoun("text");
const TOKENS: Noun = { one: "token", many: "tokens" };

/** Horizontal bars: length by |value| (or `size`), red when value (or `sign`) is positive, blue when negative. */
function bars(items: { label: string; value: number; title: string; sign?: number }[], testid: string): HTMLElement {
  const max = Math.max(1e-12, ...items.map((x) => Math.abs(x.value)));
  return h(
    "div",
    { cls: "rw-tx-bars", testid },
    items.map((x) =>
      h("div", { cls: "rw-tx-barrow", title: x.title }, [
        h("span", { cls: "rw-bar-label", text: x.label }),
        h("span", { cls: "rw-tx-bartrack" }, [
          h("span", {
            cls: "rw-bar",
            attrs: {
              style: `width:${((100 * Math.abs(x.value)) / max).toFixed(1)}%;background:${(x.sign ?? x.value) < 0 ? NEG_COLOR : POS_COLOR}`,
            },
          }),
        ]),
        h("span", { cls: "rw-bar-value", text: fmt(x.value) }),
      ]),
    ),
  );
}

export function renderText(model: WidgetModel, root: HTMLElement): () => void {
  const data = new TextData(model.get("meta") as TextMeta, model.get("arrays") as TextArrays);
  const { meta } = data;
  const store = new Store(data.dataset, { ...modelState(model), tab: "texts" });
  const classification = meta.task !== "regression";
  let output: TextOutput = classification && data.k > 1 ? "predicted" : 0;
  let shared = false; // colour scale shared across the cohort's documents, or per document
  let contains = "";
  let stop = true;

  // --- controls -----------------------------------------------------------------------------------
  const picker = createCohortPicker(store, "Active cohort: the list and the cohort chart show its texts");
  const classSelect = h("select", { testid: "class-select", title: "Which output the colours and charts explain" });
  classSelect.append(...meta.output_names.map((name, c) => option(String(c), name)));
  if (classification && data.k > 1) classSelect.append(option("predicted", "predicted class"));
  classSelect.value = String(output);
  const scaleSelect = h("select", { testid: "scale-select", title: "Colour scale: per document, or shared by the cohort's texts" }, [
    option("doc", "per document"),
    option("shared", "shared across documents"),
  ]);
  const containsInput = h("input", {
    testid: "contains-token",
    attrs: { type: "search", placeholder: "contains token…", size: "14" },
    title: "Only texts with this word (a whole token, any case), within the active cohort",
  });
  const containsSave = h("button", {
    testid: "contains-save",
    text: "Save as cohort",
    attrs: { type: "button" },
  });
  const count = h("span", { cls: "rw-muted", testid: "text-count" });
  const header = h("div", { cls: "rw-header" }, [
    h("label", { cls: "rw-control" }, [h("span", { text: "Cohort" }), picker.el]),
    h("label", { cls: "rw-control" }, [h("span", { text: "Contains" }), containsInput]),
    containsSave,
    count,
    h("label", { cls: "rw-control" }, [h("span", { text: classification ? "Class" : "Output" }), classSelect]),
    h("label", { cls: "rw-control" }, [h("span", { text: "Scale" }), scaleSelect]),
  ]);

  // --- panels -------------------------------------------------------------------------------------
  const list = h("div", { cls: "rw-tx-list", testid: "doc-list" });
  const docHead = h("div", { cls: "rw-tx-dochead" });
  const docText = h("div", { cls: "rw-tx-doc", testid: "doc-text" });
  const docChecks = h("div", {}); // the text's faithfulness and SHAP approximation, under its heatmap
  const summary = h("div", { cls: "rw-tx-summary", testid: "faithfulness-summary" });
  summary.hidden = true;
  const legend = h("div", { cls: "rw-tx-legend", testid: "text-legend" });
  const topChart = h("div", { cls: "rw-tx-chart" });
  const topTitle = h("div", { cls: "rw-tx-title", testid: "top-tokens-title", text: `Top ${TOP_K} tokens of this text` });
  const outsideNote = h("div", { cls: "rw-outside-note", testid: "selection-outside" });
  const stopBox = h("input", { attrs: { type: "checkbox" } });
  stopBox.checked = stop;
  const cohortChart = h("div", { cls: "rw-tx-chart" });
  const cohortTitle = h("div", { cls: "rw-tx-title" });
  // Export of the shown text: what drawDoc drew last (text, output, colour scale)
  let shownDoc: { sel: number; c: number; scale: number } | null = null;
  const needDoc = () => {
    if (!shownDoc) throw new Error("no text is shown");
    return shownDoc;
  };
  const docScene = () => {
    const { sel, c, scale } = needDoc();
    return heatmapScene(data, sel, c, scale, textRuns(data, sel));
  };
  const heatWhat = "the text's heatmap";
  const docExport = exportControls("the shown text", [
    { format: "png", what: heatWhat, fileName: () => `text-${needDoc().sel}-heatmap`, build: () => canvasPng(sceneToCanvas(docScene())) },
    { format: "svg", what: heatWhat, fileName: () => `text-${needDoc().sel}-heatmap`, build: () => sceneToSvg(docScene()) },
    {
      format: "csv",
      what: "the text's token values",
      fileName: () => `text-${needDoc().sel}-tokens`,
      build: () => tokensCsv(data, needDoc().sel),
    },
  ]);
  const docPanel = h("div", { cls: "rw-tx-main" }, [
    list,
    h("div", { cls: "rw-tx-right" }, [
      summary,
      outsideNote,
      docHead,
      docExport,
      legend,
      docText,
      docChecks,
      h("div", { cls: "rw-tx-charts" }, [
        h("div", { cls: "rw-tx-chartbox" }, [topTitle, topChart]),
        h("div", { cls: "rw-tx-chartbox" }, [
          cohortTitle,
          h("label", { cls: "rw-control" }, [stopBox, h("span", { text: "hide stop-words" })]),
          cohortChart,
        ]),
      ]),
    ]),
  ]);
  const editor = createCohortEditor(store, { stopWords: data.stopWords, noun: rowNoun("text") });
  const tabs: [string, string, HTMLElement][] = [
    ["texts", "Texts", docPanel],
    ["cohorts", "Cohorts", h("div", { cls: "rw-panel" }, [editor.el])],
  ];
  const tabsUi = tabBar(tabs, store.state.tab, (tab) => store.update({ tab }));
  const el = h("div", { cls: "rw-text", testid: "text-view" }, [header, tabsUi.bar, ...tabsUi.panels]);
  root.appendChild(el);

  // --- state helpers ------------------------------------------------------------------------------
  const containsFilter = (): Filter | null => (contains ? { column: "tokens", op: "contains", value: contains } : null);
  /** Why the box's word cannot be a filter (e.g. two words), or null. */
  const containsProblem = (): string | null => {
    const f = containsFilter();
    return f ? validateFilter(f, data.dataset.columns) : null;
  };
  /** The texts listed (the active cohort's, with the Contains word when there is one), and the word's hits. */
  const visibleDocs = (): { docs: number[]; hit: Uint8Array | null } => {
    const { mask } = store.maskOf(store.activeCohort());
    const word = containsProblem() === null ? containsFilter() : null;
    const hit = word ? containsToken(data.words, contains, data.n) : null;
    const docs: number[] = [];
    for (let i = 0; i < data.n; i++) if (mask[i] && (!hit || hit[i])) docs.push(i);
    return { docs, hit };
  };
  /** The cohort "Save as cohort" would add: the active cohort's filters and the word, or why it cannot. */
  const containsCohort = (): { cohort: Cohort | null; why: string } => {
    const f = containsFilter();
    if (!f) return { cohort: null, why: "Type a word in Contains first" };
    const problem = containsProblem();
    if (problem) return { cohort: null, why: problem };
    const active = store.activeCohort();
    if (active.combine === "any" && active.filters.length > 1)
      return { cohort: null, why: `'${active.name}' combines its filters with OR: build this cohort in the Cohorts tab` };
    const base = active.filters.length ? `${active.name} + ` : "";
    const taken = store.state.cohorts.map((c) => c.name);
    const name = uniqueName(`${base}contains "${contains}"`, taken);
    const filters = [...copyCohort(active).filters, f];
    return {
      cohort: { name, combine: "all", filters },
      why: `Add the cohort '${name}' (${active.name === data.dataset.allData ? "" : `${active.name}'s filters and `}tokens contains "${contains}")`,
    };
  };
  /** The text in the detail: the selection, else the first text listed; and why it is not listed, when it is not. */
  const detailDoc = (docs: number[], hit: Uint8Array | null): { sel: number | null; outside: string | null } => {
    const s = store.state.selected[0];
    if (s === undefined || s < 0 || s >= data.n) return { sel: docs[0] ?? null, outside: null };
    const notInCohort = outsideCohort(store, s, `Text #${s}`);
    if (notInCohort) return { sel: s, outside: notInCohort };
    if (hit && !hit[s]) return { sel: s, outside: `Text #${s} does not contain '${contains}'` };
    return { sel: s, outside: null };
  };
  const outputName = (c: number) => meta.output_names[c] ?? String(c);

  // --- drawing ------------------------------------------------------------------------------------
  const drawControls = (docs: number[]) => {
    picker.draw();
    const { error } = store.maskOf(store.activeCohort());
    const problem = containsProblem();
    count.textContent = error ? `invalid cohort: ${error}` : problem ? `Contains: ${problem}` : countOfText(docs.length, data.n, TEXTS);
    count.classList.toggle("rw-warn-text", Boolean(error || problem));
    const { cohort, why } = containsCohort();
    containsSave.disabled = cohort === null;
    containsSave.title = why;
  };

  const drawList = (docs: number[], sel: number | null) => {
    const groups: [string, number[]][] = [];
    const correct = data.correct;
    if (correct) {
      groups.push(["Incorrect", docs.filter((i) => correct[i] === 0)], ["Correct", docs.filter((i) => correct[i] !== 0)]);
    } else groups.push(["Texts", docs]);
    const nodes: HTMLElement[] = [];
    for (const [name, members] of groups) {
      nodes.push(h("div", { cls: "rw-tx-group", text: `${name} (${members.length})` }));
      for (const i of members.slice(0, LIST_LIMIT)) {
        const text = meta.texts[i] ?? "";
        const labels = [data.yTrue ? `true: ${labelOf(data.yTrue, i)}` : "", `pred: ${labelOf(data.yPred, i)}`].filter(Boolean).join(" · ");
        const item = h("button", { cls: `rw-tx-item${i === sel ? " rw-selected" : ""}`, testid: "doc-item", attrs: { type: "button" } }, [
          h("span", { cls: "rw-tx-snippet", text: `#${i} ${text.length > 90 ? `${text.slice(0, 90)}…` : text}` }),
          h("span", { cls: "rw-muted rw-tx-labels", text: labels }),
        ]);
        item.addEventListener("click", () => store.update({ selected: [i] }));
        nodes.push(item);
      }
      if (members.length > LIST_LIMIT)
        nodes.push(h("div", { cls: "rw-muted", text: `… and ${members.length - LIST_LIMIT} more (narrow the cohort)` }));
    }
    list.replaceChildren(...nodes);
  };

  const drawDoc = (docs: number[], sel: number | null, outside: string | null) => {
    outsideNote.textContent = outside
      ? `${outside}: it is shown, but not listed, and coloured on its own scale. Pick a text from the list.`
      : "";
    outsideNote.hidden = outside === null;
    shownDoc = null;
    docExport.setEnabled(sel !== null);
    if (sel === null) {
      docHead.textContent = data.n
        ? `No text in the cohort '${store.state.active}'${contains ? ` containing '${contains}'` : ""}.`
        : "No text.";
      docText.replaceChildren();
      docChecks.replaceChildren();
      legend.replaceChildren();
      topTitle.textContent = `Top ${TOP_K} tokens of this text`;
      topChart.replaceChildren();
      return;
    }
    const c = data.outputOf(sel, output);
    // the shared scale is the listed texts': a text outside the list keeps its own
    const onShared = shared && outside === null && docs.length > 0;
    const scale = colorScale(data, onShared ? docs : [sel], output);
    shownDoc = { sel, c, scale };
    const labels = [data.yTrue ? `true ${labelOf(data.yTrue, sel)}` : "", `predicted ${labelOf(data.yPred, sel)}`];
    docHead.replaceChildren(
      h("b", { text: `Text #${sel}` }),
      h("span", {
        cls: "rw-muted",
        text: ` · ${labels.filter(Boolean).join(" · ")} · ${countText(data.length(sel), TOKENS)} · colours explain '${outputName(c)}'`,
      }),
    );
    // legend: the scale, the base value and the model output
    const base = data.baseValue(sel, c);
    const out = data.modelOutput(sel, c);
    legend.replaceChildren(
      h("span", { cls: "rw-muted", text: `lowers '${outputName(c)}'` }),
      h("span", { cls: "rw-tx-scale-end", text: fmt(-scale) }),
      h("span", {
        cls: "rw-tx-gradient",
        title: `colour intensity ∝ |value|; full colour at ±${fmt(scale)} (${onShared ? "shared across the texts listed" : "this text"})`,
      }),
      h("span", { cls: "rw-tx-scale-end", text: `+${fmt(scale)}` }),
      h("span", { cls: "rw-muted", text: `raises it (${meta.units})` }),
      h("span", {
        cls: "rw-tx-formula",
        testid: "text-output",
        text: `base ${fmt(base)} + Σ tokens ${fmt(out - base)} = output ${fmt(out)}`,
      }),
    );
    const nodes: Node[] = [];
    for (const run of textRuns(data, sel)) {
      if ("gap" in run) {
        nodes.push(document.createTextNode(run.gap));
        continue;
      }
      const v = data.value(run.t, c);
      const col = tokenColor(v, scale);
      const span = h("span", {
        cls: "rw-token",
        testid: "token",
        text: run.text,
        title: `${data.tokenText(run.t)}: ${v >= 0 ? "+" : ""}${fmt(v, 4)} toward '${outputName(c)}'`,
        attrs: { "data-value": String(v) },
      });
      span.style.backgroundColor = col.background;
      span.style.setProperty("--rw-token-dark", col.darkBackground);
      nodes.push(span);
    }
    if (data.truncated?.[sel] === 1)
      nodes.push(h("div", { cls: "rw-warn-text", text: "Truncated: the model reads only the text up to its last coloured token." }));
    docText.replaceChildren(...nodes);
    const checks = textChecksBlock(data.checks, sel, meta.units, outputName, data.length(sel), c);
    docChecks.replaceChildren(...(checks ? [checks] : []));
    // a token that does not move the output is not a top token: fewer than TOP_K may be left
    const top = topTokens(data, sel, c, TOP_K).filter(({ value }) => value !== 0);
    topTitle.textContent = topTokensTitle(top.length, data.length(sel), TOP_K);
    topChart.replaceChildren(
      top.length
        ? bars(
            top.map(({ t, value }) => ({
              label: data.tokenText(t),
              value,
              title: `${data.tokenText(t)}: ${fmt(value, 4)}`,
            })),
            "top-tokens",
          )
        : h("div", { cls: "rw-empty", text: "No token of this text changes this output." }),
    );
  };

  const drawSummary = (docs: number[]) => {
    const cohort = `${store.state.active}${contains ? ` containing '${contains}'` : ""}`;
    const asked = data.checks.faith?.meta.output;
    const text = cohortSummary(data.checks, docs, cohort, meta.units, asked == null ? "each for its predicted class" : `for '${asked}'`);
    summary.replaceChildren(...(text ?? []).map((line) => h("div", { text: line })));
    summary.hidden = text === null;
  };

  const drawCohortChart = (docs: number[]) => {
    const mask = new Uint8Array(data.n);
    for (const i of docs) mask[i] = 1;
    // tokens with no effect anywhere in the cohort are left out
    const stats = aggregateTokens(data, mask, output, stop ? data.stopWords : undefined)
      .filter((s) => s.meanAbs > 0)
      .slice(0, COHORT_K);
    cohortTitle.textContent = `Tokens over '${store.state.active}'${contains ? ` containing '${contains}'` : ""} (${countText(docs.length, TEXTS)}): mean |value| toward ${
      output === "predicted" ? "each text's predicted class" : `'${outputName(output)}'`
    }; red raises it on average, blue lowers it`;
    cohortChart.replaceChildren(
      stats.length
        ? bars(
            stats.map((s) => ({
              label: s.token,
              value: s.meanAbs,
              sign: s.mean,
              title: `${s.token}: mean |value| ${fmt(s.meanAbs, 4)}, mean ${fmt(s.mean, 4)}, ${s.count}×`,
            })),
            "cohort-tokens",
          )
        : h("div", { cls: "rw-empty", text: "No token of these texts changes this output." }),
    );
  };

  const draw = (what: { list?: boolean; doc?: boolean; cohort?: boolean }) => {
    const { docs, hit } = visibleDocs();
    const { sel, outside } = detailDoc(docs, hit);
    drawControls(docs);
    if (what.list) drawList(docs, outside ? null : sel);
    if (what.doc) drawDoc(docs, sel, outside);
    if (what.cohort) {
      drawCohortChart(docs);
      drawSummary(docs);
    }
  };
  const ALL = { list: true, doc: true, cohort: true };
  draw(ALL);

  classSelect.addEventListener("change", () => {
    output = classSelect.value === "predicted" ? "predicted" : Number(classSelect.value);
    draw({ doc: true, cohort: true });
  });
  scaleSelect.addEventListener("change", () => {
    shared = scaleSelect.value === "shared";
    draw({ doc: true });
  });
  containsInput.addEventListener("input", () => {
    contains = containsInput.value.trim();
    draw(ALL);
  });
  containsSave.addEventListener("click", () => {
    const { cohort } = containsCohort();
    if (!cohort) return;
    contains = "";
    containsInput.value = "";
    store.update({ cohorts: [...store.state.cohorts, cohort], active: cohort.name });
  });
  stopBox.addEventListener("change", () => {
    stop = stopBox.checked;
    draw({ cohort: true });
  });

  const stopKeeping = keepSelectionInCohort(store);
  const disconnect = syncWithModel(store, model, (changed) => {
    editor.update(changed);
    if (changed.has("tab")) tabsUi.show(store.state.tab);
    if (changed.has("cohorts") || changed.has("active")) draw(ALL);
    else if (changed.has("selected")) draw({ list: true, doc: true });
  });
  const views: View[] = [editor];
  return () => {
    stopKeeping();
    disconnect();
    for (const v of views) v.destroy?.();
    el.remove();
  };
}
