// Aggregate feature importance: mean |value| per feature, one bar per cohort side by side, optionally with
// each bar's bootstrap interval; or, in "Difference" mode, the difference of two cohorts' importances with
// its interval (exp.compare(a, b)). The intervals are compare.ts's, computed here on demand in slices that
// yield to the page (only while the tab is shown), cached by cohort definition and output.
import { markCohortSize } from "../core/cohortSize";
import type { Cohort } from "../core/cohorts";
import { fmt, h, option, SERIES_COLORS } from "../core/dom";
import { canvasPng, exportControls, sceneToCanvas, sceneToSvg } from "../core/export";
import type { View } from "../core/view";
import { COMPARE_SETTINGS, type Difference, differenceOf, type Interval, intervals, magnitudes, maskRows, ResampleRun } from "./compare";
import { differenceKey, differenceRows } from "./difference";
import {
  type DifferenceExport,
  differenceCaption,
  differenceCsv,
  differenceScene,
  differenceSlug,
  importanceCsv,
  importanceScene,
  outputSlug,
} from "./export";
import { fidelityText } from "./header";
import { populationOf, scopeChip } from "./population";
import { shownImportance } from "./sampleLabels";
import { topFeatures } from "./stats";
import type { TabularState, TabularStore } from "./store";
import { countRows, importanceCaption } from "./wording";
import "./importance.css";

const MAX_SERIES = SERIES_COLORS.length;
const SLICE_MS = 12; // work per slice before the page gets the event loop back
const RUN_CACHE = 48;
const settings = COMPARE_SETTINGS;
type Mode = "bars" | "difference";
const MODES: [Mode, string, string][] = [
  ["bars", "Per cohort", "Each cohort's mean |SHAP value|, side by side"],
  ["difference", "Difference", "The difference of two cohorts' mean |SHAP value|, with its bootstrap interval"],
];
const percent = (ci: number) => `${Math.round(ci * 100)}%`;
const settingsText = `${settings.nBoot.toLocaleString()} resamples, seed ${settings.seed}`;
const whiskerText = `Whiskers: each bar's ${percent(settings.ci)} bootstrap interval (${settingsText}).`;

export function createImportanceChart(store: TabularStore): View<TabularState> {
  const { data } = store;
  const population = populationOf(store); // a large explanation: bars over every row where the engine has them
  let mode: Mode = "bars";
  let whiskers = false;
  let picked: [string | null, string | null] = [null, null];
  const runs = new Map<string, ResampleRun>();

  const slider = h("input", { attrs: { type: "range", min: "1", max: String(data.f), step: "1" }, title: "How many features to show" });
  const sliderValue = h("span", { cls: "rw-muted" });
  const sortSelect = h("select", { title: "Which cohort's importances order the bars" });
  const sortControl = h("label", { cls: "rw-control" }, [h("span", { text: "Sort by" }), sortSelect]);
  const modeButtons = MODES.map(([m, label, title]) =>
    h("button", {
      cls: "rw-segment rw-imp-mode",
      text: label,
      title,
      testid: "importance-mode",
      attrs: { type: "button", "data-mode": m },
    }),
  );
  const whiskerBox = h("input", { testid: "importance-whiskers", attrs: { type: "checkbox" } });
  const whiskerControl = h(
    "label",
    { cls: "rw-control rw-imp-whiskers", title: `Whiskers: each bar's ${percent(settings.ci)} bootstrap interval (${settingsText})` },
    [whiskerBox, h("span", { text: "Intervals" })],
  );
  const selectA = h("select", { testid: "difference-a", attrs: { "aria-label": "Cohort a" }, title: "Cohort a: the difference is a − b" });
  const selectB = h("select", { testid: "difference-b", attrs: { "aria-label": "Cohort b" }, title: "Cohort b: the difference is a − b" });
  const pairControl = h("span", { cls: "rw-control rw-imp-pair" }, [
    h("span", { text: "Difference" }),
    selectA,
    h("span", { cls: "rw-imp-minus", text: "−" }),
    selectB,
  ]);
  const legend = h("div", { cls: "rw-legend" });
  const axis = h("div", { cls: "rw-axis" });
  const chart = h("div", { cls: "rw-bars" });
  const message = h("div", { cls: "rw-empty" });
  const whiskerNote = h("div", { cls: "rw-muted rw-imp-note", testid: "importance-whiskers-note", attrs: { "aria-live": "polite" } });
  const barsPanel = h("div", { cls: "rw-imp-bars" }, [legend, axis, message, whiskerNote, chart]);
  const diffCaption = h("div", { cls: "rw-axis", testid: "difference-caption" });
  const diffKey = h("div", { cls: "rw-legend rw-diff-key" });
  const diffProgress = h("div", { cls: "rw-muted rw-imp-note", testid: "difference-progress", attrs: { "aria-live": "polite" } });
  const diffMessage = h("div", { cls: "rw-empty" });
  const diffChart = h("div", { cls: "rw-diff-rows" });
  const diffScope = h("div", { cls: "rw-muted rw-imp-note", testid: "difference-scope" });
  const diffPanel = h("div", { cls: "rw-imp-diff", testid: "importance-difference" }, [
    diffCaption,
    diffScope,
    diffKey,
    diffProgress,
    diffMessage,
    diffChart,
  ]);
  const el = h("div", { cls: "rw-importance", testid: "importance-chart" }, [
    h("div", { cls: "rw-toolbar" }, [
      h("label", { cls: "rw-control" }, [h("span", { text: "Top" }), slider, sliderValue]),
      h("div", { cls: "rw-control rw-segmented rw-imp-modes", attrs: { role: "group", "aria-label": "Importance chart" } }, [
        h("span", { text: "Show" }),
        ...modeButtons,
      ]),
      sortControl,
      whiskerControl,
      pairControl,
      exportImportance(store, () => exported()),
    ]),
    barsPanel,
    diffPanel,
  ]);

  slider.addEventListener("input", () => store.update({ topK: Number(slider.value) }));
  sortSelect.addEventListener("change", () => store.update({ sortBy: sortSelect.value }));
  for (const b of modeButtons)
    b.addEventListener("click", () => {
      mode = b.dataset.mode as Mode;
      draw();
    });
  whiskerBox.addEventListener("change", () => {
    whiskers = whiskerBox.checked;
    draw();
  });
  selectA.addEventListener("change", () => {
    picked = [selectA.value, selectB.value];
    draw();
  });
  selectB.addEventListener("change", () => {
    picked = [selectA.value, selectB.value];
    draw();
  });

  // --- the resamples: one run per cohort definition, output and stream offset ---------------------
  const outputKey = () => (data.meta.binary_mirror ? "binary" : JSON.stringify(store.state.output));
  const runFor = (cohort: Cohort, offset: number): ResampleRun => {
    const key = JSON.stringify([cohort.combine, cohort.filters, outputKey(), offset]);
    let run = runs.get(key);
    if (!run) {
      const rows = maskRows(store.maskOf(cohort).mask);
      run = new ResampleRun(magnitudes(data, rows, store.state.output), data.f, settings.nBoot, settings.seed, offset);
      if (runs.size >= RUN_CACHE) runs.clear();
      runs.set(key, run);
    }
    return run;
  };
  const intervalOf = (cohort: Cohort): Interval | null => {
    const run = runFor(cohort, 0);
    return run.finished && run.n ? intervals(run.boot, data.f, settings.ci) : null;
  };
  const colorOf = (cohort: Cohort) => SERIES_COLORS[Math.max(0, store.state.cohorts.indexOf(cohort)) % SERIES_COLORS.length];

  /** Cohorts a and b: the user's picks while they exist; else the active cohort against the sort cohort
   *  (or the first other), with all data as b when the active cohort is all data. */
  const pair = (): [Cohort, Cohort] | null => {
    const cohorts = store.state.cohorts;
    if (cohorts.length < 2) return null;
    const active = store.activeCohort();
    const sort = store.cohort(store.state.sortBy);
    const other = (c: Cohort) => (sort && sort.name !== c.name ? sort : (cohorts.find((x) => x.name !== c.name) as Cohort));
    const isAll = active.name === data.dataset.allData;
    let a = isAll ? other(active) : active;
    let b = isAll ? active : other(active);
    a = store.cohort(picked[0] ?? "") ?? a;
    b = store.cohort(picked[1] ?? "") ?? b;
    return [a, b];
  };
  const pairRuns = (a: Cohort, b: Cohort) => {
    const ra = runFor(a, 0);
    return { ra, rb: runFor(b, settings.nBoot * ra.n) };
  };

  // --- scheduling: the runs the chart shows, in slices, only while the tab is shown ----------------
  let timer: ReturnType<typeof setTimeout> | null = null;
  const needed = (): ResampleRun[] => {
    if (store.state.tab !== "importance") return [];
    if (mode === "difference") {
      const p = pair();
      if (!p || p.some((c) => !store.maskOf(c).count)) return [];
      const { ra, rb } = pairRuns(p[0], p[1]);
      return [ra, rb];
    }
    if (!whiskers) return [];
    return drawnCohorts().map((c) => runFor(c, 0));
  };
  const schedule = () => {
    if (timer === null && needed().some((r) => !r.finished)) timer = setTimeout(slice, 0);
  };
  const slice = () => {
    timer = null;
    const run = needed().find((r) => !r.finished);
    if (!run) return;
    const start = performance.now();
    const per = Math.max(1, Math.floor(20000 / Math.max(1, run.n * Math.max(1, data.f / 4))));
    let finished = false;
    while (!finished && performance.now() - start < SLICE_MS) finished = run.step(per);
    if (finished) draw();
    else drawProgress();
    schedule();
  };
  const progressText = (left: ResampleRun[], what: string) => {
    if (!left.length) return "";
    const total = left.length * settings.nBoot;
    const done = left.reduce((s, r) => s + r.done, 0);
    return `Computing ${what}: ${Math.floor((100 * done) / total)}%…`;
  };
  const drawProgress = () => {
    const all = needed();
    const left = all.filter((r) => !r.finished);
    const state = left.length ? "running" : "done";
    if (mode === "difference") {
      diffProgress.textContent = progressText(all.some((r) => !r.finished) ? all : [], "the intervals");
      diffPanel.dataset.state = state;
    } else {
      const text = progressText(left, "the intervals");
      whiskerNote.textContent = whiskers ? text || whiskerText : "";
      chart.dataset.state = whiskers ? state : "";
    }
  };

  // --- drawing --------------------------------------------------------------------------------
  const drawnCohorts = () =>
    store.state.cohorts.slice(0, MAX_SERIES).filter((c) => {
      const res = store.maskOf(c);
      return res.count > 0 && !res.error;
    });

  const draw = () => {
    const { state } = store;
    slider.value = String(state.topK);
    sliderValue.textContent = `${state.topK} of ${data.f} features`;
    for (const b of modeButtons) b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    el.dataset.mode = mode;
    sortControl.hidden = mode !== "bars";
    whiskerControl.hidden = mode !== "bars";
    pairControl.hidden = mode !== "difference";
    barsPanel.hidden = mode !== "bars";
    diffPanel.hidden = mode !== "difference";
    if (mode === "bars") drawBars();
    else drawDifference();
    drawProgress();
    schedule();
  };

  const drawBars = () => {
    const { state } = store;
    const cohorts = state.cohorts.slice(0, MAX_SERIES);
    sortSelect.replaceChildren(...cohorts.map((c) => option(c.name, c.name, c.name === state.sortBy)));

    const series = cohorts.map((cohort, s) => {
      const res = store.maskOf(cohort);
      const base = { cohort, color: SERIES_COLORS[s], count: res.count, error: res.error };
      // A large explanation: the engine's mean |value| over every row of the cohort, when it has them for this
      // output; the sample's otherwise, and always with whiskers (the bootstrap resamples the sample's rows).
      // The export saves the same bars (shownImportance).
      return { ...base, ...shownImportance(store, cohort, whiskers) };
    });
    legend.replaceChildren(
      ...series.map((s) => {
        const fid = s.rows
          ? fidelityText(store, s.cohort.name, s.scope?.kind !== "sample")
          : { text: s.error ? "invalid" : "no rows", poor: false, scope: null };
        const item = h("span", { cls: `rw-legend-item${s.cohort.name === state.active ? " rw-active" : ""}` }, [
          h("span", { cls: "rw-swatch", attrs: { style: `background:${s.color}` } }),
          h("span", { text: s.cohort.name }),
          // values from shap (rw.from_shap) have no surrogate whose fidelity the legend could show
          // a large explanation's label says the rows (all of the cohort's, or the sample's) in place of the count
          s.scope ? scopeChip(s.scope) : null,
          h("span", {
            cls: `rw-muted${fid.poor ? " rw-warn-text" : ""}`,
            text: `${s.scope ? "" : ` ${countRows(s.rows)}`}${data.meta.source === "shap" && s.count && data.meta.fidelity.r2 == null ? "" : ` · ${fid.text}`}`,
          }),
        ]);
        return markCohortSize(item, s.cohort.name, s);
      }),
    );
    if (state.cohorts.length > MAX_SERIES) legend.appendChild(h("span", { cls: "rw-muted", text: `(first ${MAX_SERIES} cohorts shown)` }));
    axis.textContent = importanceCaption(data.meta, state.output);

    const sortSeries = series.find((s) => s.cohort.name === state.sortBy) ?? series[0];
    const drawable = series.filter((s) => s.rows > 0);
    if (!drawable.length) {
      message.textContent = `No rows in cohort "${sortSeries.cohort.name}": edit its filters in the Cohorts tab.`;
      chart.replaceChildren();
      return;
    }
    message.textContent =
      sortSeries.rows === 0 ? `Cohort "${sortSeries.cohort.name}" has no rows; bars are ordered by the first cohort with rows.` : "";
    const order = topFeatures((sortSeries.rows ? sortSeries : drawable[0]).imp, state.topK);
    const whiskerOf = new Map(drawable.map((s) => [s, whiskers ? intervalOf(s.cohort) : null]));
    let max = 1e-12;
    for (const j of order) for (const s of drawable) max = Math.max(max, s.imp[j], whiskerOf.get(s)?.high[j] ?? 0);

    const focused = focusedFeature(chart);
    chart.replaceChildren(
      ...order.map((j) => {
        const name = data.meta.feature_names[j];
        const group = featureRow("rw-bar-group", j, name);
        group.appendChild(h("span", { cls: "rw-bar-label", text: name }));
        const bars = h("span", { cls: "rw-bar-stack" });
        for (const s of drawable) {
          const interval = whiskerOf.get(s);
          const bar = h("span", { cls: "rw-bar-line", testid: "importance-bar" });
          bar.dataset.cohort = s.cohort.name;
          bar.dataset.value = String(s.imp[j]);
          if (s.scope) bar.dataset.scope = s.scope.kind;
          const range = interval ? ` [${fmt(interval.low[j])}, ${fmt(interval.high[j])}]` : "";
          bar.title = `${name} · ${s.cohort.name}: ${fmt(s.imp[j])}${range && `, ${percent(settings.ci)} interval${range}`}`;
          const fill = h("span", { cls: "rw-bar", attrs: { style: `width:${(100 * s.imp[j]) / max}%;background:${s.color}` } });
          const value = h("span", { cls: "rw-bar-value", text: fmt(s.imp[j]) + range });
          if (interval) {
            // the bar and its whisker on a track of their own, the numbers in a column after it
            bar.dataset.low = String(interval.low[j]);
            bar.dataset.high = String(interval.high[j]);
            const left = (100 * interval.low[j]) / max;
            const width = (100 * (interval.high[j] - interval.low[j])) / max;
            const whisker = h("span", { cls: "rw-imp-whisker", attrs: { style: `left:${left}%;width:${width}%`, "aria-hidden": "true" } });
            bar.classList.add("rw-imp-ranged");
            bar.append(h("span", { cls: "rw-imp-track" }, [fill, whisker]), value);
          } else bar.append(fill, value);
          bars.appendChild(bar);
        }
        group.appendChild(bars);
        return group;
      }),
    );
    restoreFocus(chart, focused);
  };

  /** What difference mode draws now, for the chart and its export; null with a message when it cannot. */
  const differenceView = (): { view: DifferenceExport | null; why: string } => {
    const p = pair();
    if (!p)
      return { view: null, why: "The difference needs two cohorts: make another in the Cohorts tab (or brush one in the data explorer)." };
    const [a, b] = p;
    for (const c of p) {
      const res = store.maskOf(c);
      if (res.error) return { view: null, why: `Cohort “${c.name}” cannot be evaluated (${res.error}): pick another.` };
      if (!res.count) return { view: null, why: `Cohort “${c.name}” has no rows: pick another, or edit its filters in the Cohorts tab.` };
    }
    const { ra, rb } = pairRuns(a, b);
    const maskA = store.maskOf(a).mask;
    const maskB = store.maskOf(b).mask;
    let shared = 0;
    for (let i = 0; i < data.n; i++) if (maskA[i] && maskB[i]) shared++;
    const d: Difference = differenceOf(ra, rb, settings.ci);
    const view = { a, b, colorA: colorOf(a), colorB: colorOf(b), d, settings, shared, done: ra.finished && rb.finished };
    return { view, why: "" };
  };

  const drawDifference = () => {
    const { state } = store;
    const p = pair();
    const names = state.cohorts.map((c) => c.name);
    selectA.replaceChildren(...names.map((n) => option(n, n, n === p?.[0].name)));
    selectB.replaceChildren(...names.map((n) => option(n, n, n === p?.[1].name)));
    selectA.disabled = selectB.disabled = !p;
    const { view, why } = differenceView();
    diffMessage.textContent = why;
    diffPanel.dataset.a = p?.[0].name ?? "";
    diffPanel.dataset.b = p?.[1].name ?? "";
    diffPanel.dataset.ci = String(settings.ci);
    diffPanel.dataset.nBoot = String(settings.nBoot);
    diffPanel.dataset.seed = String(settings.seed);
    if (!view) {
      diffCaption.textContent = "";
      diffKey.replaceChildren();
      diffChart.replaceChildren();
      return;
    }
    const { d } = view;
    diffPanel.dataset.rowsA = String(d.rowsA);
    diffPanel.dataset.rowsB = String(d.rowsB);
    // the bootstrap resamples rows the view holds: for a large explanation, the sample's
    diffScope.replaceChildren(
      ...(population
        ? [
            document.createTextNode("Computed on the sample:"),
            scopeChip({ kind: "sample", rows: d.rowsA }),
            document.createTextNode(" and"),
            scopeChip({ kind: "sample", rows: d.rowsB }),
          ]
        : []),
    );
    diffCaption.textContent = differenceCaption(data, state.output, view);
    diffKey.replaceChildren(...differenceKey(view));
    const focused = focusedFeature(diffChart);
    diffChart.replaceChildren(...differenceRows(data.meta.feature_names, view, state.topK, featureRow));
    restoreFocus(diffChart, focused);
  };

  /** A feature's row: a button that opens its dependence plot. */
  const featureRow = (cls: string, j: number, name: string): HTMLElement => {
    const { state } = store;
    const row = h("div", {
      cls: `${cls}${state.depFeature === j ? " rw-selected" : ""}`,
      title: `${name}: click (or Enter) for its dependence plot`,
      attrs: { role: "button", tabindex: "0", "aria-pressed": String(state.depFeature === j) },
    });
    row.dataset.feature = name;
    row.addEventListener("click", () => store.update({ depFeature: j }));
    row.addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter" && ev.key !== " ") return;
      ev.preventDefault(); // Space would scroll the page
      store.update({ depFeature: j });
    });
    return row;
  };

  /** What the export group saves: the difference in difference mode, else the bars (with their intervals if shown). */
  const exported = () => {
    if (mode === "difference") {
      for (const r of needed()) r.finish(); // the file has the intervals even if the chart is still computing
      return { difference: differenceView().view };
    }
    if (!whiskers) return {};
    const finished = (c: Cohort) => {
      if (!store.maskOf(c).count) return null;
      runFor(c, 0).finish();
      return intervalOf(c);
    };
    return { intervals: finished };
  };

  draw();
  const unwatch = population?.watch(draw);
  return {
    el,
    update(changed) {
      const keys: (keyof TabularState)[] = ["cohorts", "output", "topK", "sortBy", "depFeature", "active"];
      if (keys.some((k) => changed.has(k))) draw();
      else if (changed.has("tab")) schedule();
    },
    destroy() {
      unwatch?.();
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

const focusedFeature = (container: HTMLElement) =>
  container.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.feature : undefined;

/** A redraw replaces the rows: keep the keyboard focus on the feature that had it. */
function restoreFocus(container: HTMLElement, feature: string | undefined): void {
  if (feature === undefined) return;
  Array.from(container.querySelectorAll<HTMLElement>("[data-feature]"))
    .find((g) => g.dataset.feature === feature)
    ?.focus();
}

type Exported = { difference?: DifferenceExport | null; intervals?: (c: Cohort) => Interval | null };

/** PNG, SVG and CSV of the importance chart (or of the difference it shows), named by what they hold. */
function exportImportance(store: TabularStore, exported: () => Exported): HTMLElement {
  const stem = () => {
    const { difference } = exported();
    const output = outputSlug(store.data, store.state.output);
    return difference ? `importance-difference-${differenceSlug(difference)}-${output}` : `importance-${output}`;
  };
  const what = "the importance chart";
  const scene = () => {
    const e = exported();
    if (e.difference === null) throw new Error("the difference needs two cohorts with rows");
    return e.difference ? differenceScene(store, e.difference) : importanceScene(store, e.intervals, e.intervals ? whiskerText : "");
  };
  const csv = () => {
    const e = exported();
    if (e.difference === null) throw new Error("the difference needs two cohorts with rows");
    return e.difference ? differenceCsv(store, e.difference) : importanceCsv(store, e.intervals);
  };
  return exportControls("the importance chart", [
    { format: "png", what, fileName: stem, build: () => canvasPng(sceneToCanvas(scene())) },
    { format: "svg", what, fileName: stem, build: () => sceneToSvg(scene()) },
    { format: "csv", what: "the importances per cohort", fileName: stem, build: csv },
  ]);
}
