// The "Model performance" tab: every figure of exp.metrics() for every cohort side by side, each with its
// bootstrap interval (computed here, per cohort, when the tab is shown: in slices that yield to the page,
// cached by the cohort's definition), and the confusion matrix of the active cohort, whose cells make
// cohorts. The figures and the resampling are compute.ts's; this module only draws and schedules.

import { markCohortSize } from "../../core/cohortSize";
import { type Cohort, type Filter, uniqueName } from "../../core/cohorts";
import { special } from "../../core/columns";
import { h } from "../../core/dom";
import type { TabularView } from "../dashboard";
import { canRefine } from "../dependence/brush";
import { type PopulationFigures, populationOf, scopeChip } from "../population";
import type { TabularStore } from "../store";
import { type CohortInputs, cohortInputs, DEFAULT_SETTINGS, type MetricInputs, MetricsRun } from "./compute";
import "./metrics.css";

const SLICE_MS = 12; // work per slice before the page gets the event loop back
const CACHE = 64;

interface Entry {
  cohort: CohortInputs | null; // null: the cohort cannot be evaluated
  run: MetricsRun | null;
  rows: number;
  error: string | null;
}

/** A figure as the table shows it: 4 significant digits, exponents only for very large or small values. */
export function formatMetric(v: number): string {
  if (Number.isNaN(v)) return "n/a";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  const a = Math.abs(v);
  const text = a !== 0 && (a >= 1e6 || a < 1e-4) ? v.toExponential(3) : Number(v.toPrecision(4)).toString();
  return text.replace("-", "−");
}

/** What a figure is, in a sentence (the metric name's tooltip). */
export function definition(metric: string, positive?: string): string {
  const [name, cls = metric === "ROC AUC" ? positive : undefined] = metric.split(": ");
  const of = cls === undefined ? "" : ` of class ${cls} (one-vs-rest)`;
  const base = name.replace(/ \(macro\)$/, "");
  const macro = base !== name ? ", averaged over the classes present (macro)" : "";
  const text: Record<string, string> = {
    accuracy: "Share of rows whose predicted class is the true class",
    precision: `Share of the rows predicted as the class that truly are${of}${macro}`,
    recall: `Share of the class's true rows predicted as it${of}${macro}`,
    F1: `Harmonic mean of precision and recall${of}${macro}`,
    "ROC AUC": `Chance that a random row of the class scores higher than a random row of the others (ties count half)${of}${macro}`,
    "log loss": "Mean of -log(probability of the true class); lower is better",
    MAE: "Mean absolute error |y_pred - y_true|",
    RMSE: "Square root of the mean squared error",
    "R²": "1 - squared error / variance of y_true",
    "mean error": "Mean of y_pred - y_true: above 0, the model overestimates",
  };
  return text[base] ?? metric;
}

const keyOf = (c: Cohort) => JSON.stringify([c.combine, c.filters]);

export function createMetricsView(store: TabularStore): TabularView {
  const { data } = store;
  const settings = DEFAULT_SETTINGS;
  const classification = data.meta.task === "classification";
  const hasTruth = special(data.dataset, "y_true") !== null;
  const cache = new Map<string, Entry>();
  // A large explanation: a cohort whose figures the engine computed over every row shows those (point figures,
  // no interval); the others, the sample's with their intervals. Each column says which.
  const population = populationOf(store);
  const allRows = (c: Cohort): PopulationFigures | null => population?.figures(c) ?? null;

  const progress = h("div", { cls: "rw-muted rw-mt-progress", testid: "metrics-progress", attrs: { "aria-live": "polite" } });
  const tableWrap = h("div", { cls: "rw-mt-scroll" });
  const notesList = h("ul", { cls: "rw-mt-notes rw-muted", testid: "metrics-notes" });
  const matrixBox = h("div", { cls: "rw-mt-matrix-box" });
  const settingsText = `Each figure with its ${Math.round(settings.ci * 100)}% bootstrap interval (${settings.nBoot.toLocaleString()} resamples, seed ${settings.seed}): exp.metrics() gives the same numbers.`;
  const el = h("section", { cls: "rw-section rw-mt", testid: "metrics-view" }, [h("h3", { text: "Model performance" })]);
  if (!hasTruth) {
    el.appendChild(
      h("p", {
        cls: "rw-empty rw-mt-note",
        testid: "metrics-note",
        text: "Model performance compares predictions with the true labels, which this explanation does not have: pass y_true= to explain() (explainer.explain(X, y_true=y)).",
      }),
    );
    return { el, update() {} };
  }
  // a large explanation: its all-row figures are the engine's point figures, the intervals the sample's
  const largeText = `Columns marked “all … rows” are point figures over every row of the cohort (exp.metrics(cohort)); those marked “sample of …” are the sample's, each with its ${Math.round(settings.ci * 100)}% bootstrap interval (${settings.nBoot.toLocaleString()} resamples, seed ${settings.seed}): exp.sample.metrics() gives the same numbers.`;
  el.append(
    h("p", { cls: "rw-muted rw-mt-settings", testid: "metrics-settings", text: population ? largeText : settingsText }),
    progress,
    h("div", { cls: "rw-mt-body" }, [h("div", { cls: "rw-mt-figures" }, [tableWrap, notesList]), matrixBox]),
  );

  const entry = (cohort: Cohort): Entry => {
    const key = keyOf(cohort);
    let hit = cache.get(key);
    if (!hit) {
      const { mask, count, error } = store.maskOf(cohort);
      const inputs = error ? null : cohortInputs(data, mask);
      hit = { cohort: inputs, run: inputs ? new MetricsRun(inputs.inputs, settings) : null, rows: count, error };
      if (cache.size >= CACHE) cache.clear();
      cache.set(key, hit);
    }
    return hit;
  };

  // --- scheduling: one cohort at a time, in slices, only while the tab is shown ---------------------
  let timer: ReturnType<typeof setTimeout> | null = null;
  const shown = () => store.state.tab === "performance";
  const pending = () => store.state.cohorts.find((c) => entry(c).run?.finished === false);
  const schedule = () => {
    if (timer === null && shown() && pending()) timer = setTimeout(slice, 0);
  };
  const slice = () => {
    timer = null;
    const cohort = pending();
    if (!cohort || !shown()) {
      drawProgress();
      return;
    }
    const run = entry(cohort).run as MetricsRun;
    const start = performance.now();
    const per = Math.max(1, Math.floor(20000 / Math.max(1, run.table.n)));
    let finished = false;
    while (!finished && performance.now() - start < SLICE_MS) finished = run.step(per);
    if (finished) drawTable();
    drawProgress(cohort.name, run);
    schedule();
  };
  const drawProgress = (name?: string, run?: MetricsRun) => {
    const left = store.state.cohorts.filter((c) => entry(c).run?.finished === false).length;
    if (!left || !run || run.finished) {
      progress.textContent = left ? `Computing intervals: ${left} cohort${left === 1 ? "" : "s"} to go…` : "";
    } else {
      const pct = Math.floor((100 * run.done) / settings.nBoot);
      progress.textContent = `Computing intervals for “${name}”: ${pct}% (${left} cohort${left === 1 ? "" : "s"} to go)…`;
    }
    const table = tableWrap.firstElementChild as HTMLElement | null;
    if (table) table.dataset.state = left ? "running" : "done";
  };

  // --- the table ----------------------------------------------------------------------------------
  const drawTable = () => {
    const cohorts = store.state.cohorts;
    const entries = cohorts.map(entry);
    const names = entries.find((e) => e.run)?.run?.table.names ?? [];
    const head = h("tr", {}, [h("th", { cls: "rw-mt-metric", text: "Metric", attrs: { scope: "col" } })]);
    cohorts.forEach((c, s) => {
      const e = entries[s];
      const n = e.run?.table.n ?? 0;
      const left = e.cohort?.leftOut ?? 0;
      const nText = e.error
        ? `invalid: ${e.error}`
        : `n = ${n.toLocaleString()}${left ? ` (${left.toLocaleString()} without y_true)` : ""}`;
      const all = e.error ? null : allRows(c);
      const allN = all ? (all.metrics.find((m) => typeof m.n === "number")?.n ?? all.rows) : 0;
      const nEl = h("span", { cls: "rw-muted rw-mt-n", testid: "metrics-n", text: all ? `n = ${allN.toLocaleString()}` : nText });
      nEl.dataset.cohort = c.name;
      nEl.dataset.n = String(all ? allN : n);
      const size = markCohortSize(h("span", { cls: "rw-mt-cohort", text: c.name }), c.name, { count: e.rows, error: e.error });
      const chip = population && !e.error ? scopeChip(all ? { kind: "all", rows: all.rows } : { kind: "sample", rows: e.rows }) : null;
      head.appendChild(
        h("th", { cls: c.name === store.state.active ? "rw-mt-active" : "", attrs: { scope: "col" } }, [size, h("br"), nEl, chip]),
      );
    });
    const body = h("tbody");
    const notes: HTMLElement[] = [];
    names.forEach((metric, m) => {
      if (m === 6 && classification)
        body.appendChild(
          h("tr", { cls: "rw-mt-group" }, [
            h("th", { text: "Per class", attrs: { colspan: String(cohorts.length + 1), scope: "colgroup" } }),
          ]),
        );
      const row = h("tr", {}, [
        h("th", {
          cls: "rw-mt-metric",
          text: metric,
          title: definition(metric, classification && data.k === 2 ? data.meta.output_names[1] : undefined),
          attrs: { scope: "row" },
        }),
      ]);
      cohorts.forEach((c, s) => {
        row.appendChild(cell(c, entries[s], metric, m, notes));
      });
      body.appendChild(row);
    });
    const table = h("table", { cls: "rw-mt-table", testid: "metrics-table" }, [
      h("caption", { cls: "rw-muted", text: `${classification ? "Classification" : "Regression"} figures per cohort` }),
      h("thead", {}, [head]),
      body,
    ]);
    tableWrap.replaceChildren(table);
    notesList.replaceChildren(...notes);
    drawProgress();
  };

  const cell = (c: Cohort, e: Entry, metric: string, m: number, notes: HTMLElement[]): HTMLElement => {
    const td = h("td", { testid: "metric-cell" });
    td.dataset.metric = metric;
    td.dataset.cohort = c.name;
    const t = e.run?.table;
    if (!t) {
      td.append(h("span", { cls: "rw-mt-value", text: "n/a" }), h("span", { cls: "rw-mt-interval" }));
      td.title = e.error ? `invalid cohort: ${e.error}` : "";
      return td;
    }
    const all = allRows(c);
    if (all) {
      // the engine's figure over every row of the cohort: a point figure (the sample's interval would not be its)
      const figure = all.metrics.find((f) => f.metric === metric);
      const v = typeof figure?.value === "number" ? figure.value : Number.NaN;
      td.dataset.value = String(v);
      td.dataset.scope = "all";
      td.append(h("span", { cls: "rw-mt-value", text: formatMetric(v) }), h("span", { cls: "rw-mt-interval rw-muted", text: "" }));
      td.title = figure
        ? `${metric} on ${c.name}, over all ${all.rows.toLocaleString()} of its rows: ${formatMetric(v)} (no interval: every row counted)`
        : `${metric} was not computed over all rows`;
      return td;
    }
    if (population) td.dataset.scope = "sample";
    const value = t.value[m];
    td.dataset.value = String(value);
    td.dataset.low = String(t.low[m]);
    td.dataset.high = String(t.high[m]);
    const done = e.run?.finished === true;
    const interval = !done ? "…" : Number.isNaN(t.low[m]) ? "" : `[${formatMetric(t.low[m])}, ${formatMetric(t.high[m])}]`;
    td.append(h("span", { cls: "rw-mt-value", text: formatMetric(value) }), h("span", { cls: "rw-mt-interval rw-muted", text: interval }));
    const note = t.notes.get(metric);
    if (note) {
      td.title = note;
      td.classList.add("rw-mt-noted");
      notes.push(h("li", { text: `${c.name} · ${metric}: ${note}` }));
    } else if (done && !Number.isNaN(t.low[m])) {
      td.title = `${metric} on ${c.name}: ${formatMetric(value)}, ${Math.round(settings.ci * 100)}% interval ${interval}`;
    }
    return td;
  };

  // --- the confusion matrix of the active cohort -------------------------------------------------
  const drawMatrix = () => {
    if (!classification) {
      matrixBox.replaceChildren(
        h("p", {
          cls: "rw-muted rw-mt-note",
          testid: "confusion-note",
          text: "A regression has no confusion matrix: the table's mean error (y_pred − y_true) and the data explorer's error axis show where the model misses.",
        }),
      );
      return;
    }
    const active = store.activeCohort();
    const e = entry(active);
    const inputs = e.cohort?.inputs;
    if (inputs?.task !== "classification") {
      matrixBox.replaceChildren(h("p", { cls: "rw-muted", text: `No confusion matrix: ${e.error ?? "no rows"}.` }));
      return;
    }
    matrixBox.replaceChildren(matrix(active, inputs));
    // the matrix counts the rows the view holds: for a large explanation, the sample's
    if (population) matrixBox.querySelector("h4")?.appendChild(scopeChip({ kind: "sample", rows: e.rows }));
  };

  const labelValue = (column: "y_true" | "y_pred", name: string): Filter["value"] => {
    const col = special(data.dataset, column);
    if (col?.kind === "bool") return name === "True";
    if (col?.kind === "number") return Number(name);
    return name;
  };

  const makeCohort = (a: string, b: string) => {
    const active = store.activeCohort();
    const isAll = active.filters.length === 0;
    const base = `true ${a}, predicted ${b}`;
    const name = uniqueName(
      isAll ? base : `${active.name}: ${base}`,
      store.state.cohorts.map((c) => c.name),
    );
    const inherit = canRefine(active) ? active.filters : [];
    const cohort: Cohort = {
      name,
      combine: "all",
      filters: [
        ...inherit,
        { column: "y_true", op: "==", value: labelValue("y_true", a) },
        { column: "y_pred", op: "==", value: labelValue("y_pred", b) },
      ],
    };
    store.update({ cohorts: [...store.state.cohorts, cohort], active: name });
  };

  const matrix = (active: Cohort, inputs: MetricInputs & { task: "classification" }): HTMLElement => {
    const { classes, yTrue, yPred } = inputs;
    const k = classes.length;
    const counts = new Float64Array(k * k);
    for (let i = 0; i < yTrue.length; i++) counts[yTrue[i] * k + yPred[i]]++;
    const head = h("tr", {}, [h("td", { cls: "rw-cm-corner" }), h("td", { cls: "rw-cm-corner" })]);
    for (const p of classes) head.appendChild(h("th", { cls: "rw-cm-label", text: p, attrs: { scope: "col" } }));
    const rows = classes.map((t, a) => {
      let total = 0;
      for (let b = 0; b < k; b++) total += counts[a * k + b];
      const tr = h("tr");
      if (a === 0)
        tr.appendChild(h("th", { cls: "rw-cm-axis rw-cm-axis-true", text: "true", attrs: { rowspan: String(k), scope: "rowgroup" } }));
      tr.appendChild(h("th", { cls: "rw-cm-label", text: t, attrs: { scope: "row" } }));
      classes.forEach((p, b) => {
        const count = counts[a * k + b];
        const share = total ? count / total : 0;
        const shown = `${count.toLocaleString()} ${(100 * share).toFixed(1)}%`; // the visible text starts the accessible name
        const button = h(
          "button",
          {
            cls: `rw-cm-cell${a === b ? " rw-cm-diag" : ""}`,
            testid: "confusion-cell",
            attrs: {
              type: "button",
              "aria-label": `${shown}: rows of true ${t} predicted ${p} (${(100 * share).toFixed(1)}% of true ${t}); make a cohort of them`,
              style: `--rw-cm-share: ${Math.round(share * 100)}%`,
            },
            title: `Make a cohort of the rows with y_true == ${t} and y_pred == ${p}`,
          },
          [
            h("span", { cls: "rw-cm-count", text: count.toLocaleString() }),
            document.createTextNode(" "),
            h("span", { cls: "rw-cm-share", text: `${(100 * share).toFixed(1)}%` }),
          ],
        );
        button.dataset.true = t;
        button.dataset.pred = p;
        button.dataset.count = String(count);
        button.addEventListener("click", () => makeCohort(t, p));
        tr.appendChild(h("td", {}, [button]));
      });
      return tr;
    });
    return h("div", { cls: "rw-cm", testid: "confusion-matrix" }, [
      h("h4", { text: `Confusion matrix of “${active.name}”` }),
      h("p", {
        cls: "rw-muted rw-cm-hint",
        text: "Counts and the share of each true class's rows. Click a cell to make a cohort of its rows.",
      }),
      h("table", { cls: "rw-cm-table" }, [
        h("thead", {}, [
          h("tr", {}, [
            h("td", { cls: "rw-cm-corner", attrs: { colspan: "2" } }),
            h("th", { cls: "rw-cm-axis", text: "predicted", attrs: { colspan: String(k), scope: "colgroup" } }),
          ]),
          head,
        ]),
        h("tbody", {}, rows),
      ]),
    ]);
  };

  drawTable();
  drawMatrix();
  schedule();
  const unwatch = population?.watch(drawTable);
  return {
    el,
    update(changed) {
      if (changed.has("cohorts") || changed.has("active")) {
        drawTable();
        drawMatrix();
      }
      if (changed.has("cohorts") || changed.has("tab")) schedule();
    },
    destroy() {
      unwatch?.();
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
