// Aggregate feature importance: mean |value| per feature, one bar per cohort side by side.
import { markCohortSize } from "../core/cohortSize";
import { fmt, h, option, SERIES_COLORS } from "../core/dom";
import { canvasPng, exportControls, sceneToCanvas, sceneToSvg } from "../core/export";
import type { View } from "../core/view";
import { importanceCsv, importanceScene, outputSlug } from "./export";
import { fidelityText } from "./header";
import { topFeatures } from "./stats";
import type { TabularState, TabularStore } from "./store";
import { countRows, importanceCaption } from "./wording";

const MAX_SERIES = SERIES_COLORS.length;

export function createImportanceChart(store: TabularStore): View<TabularState> {
  const { data } = store;
  const slider = h("input", { attrs: { type: "range", min: "1", max: String(data.f), step: "1" }, title: "How many features to show" });
  const sliderValue = h("span", { cls: "rw-muted" });
  const sortSelect = h("select", { title: "Which cohort's importances order the bars" });
  const legend = h("div", { cls: "rw-legend" });
  const axis = h("div", { cls: "rw-axis" });
  const chart = h("div", { cls: "rw-bars" });
  const message = h("div", { cls: "rw-empty" });
  const el = h("div", { cls: "rw-importance", testid: "importance-chart" }, [
    h("div", { cls: "rw-toolbar" }, [
      h("label", { cls: "rw-control" }, [h("span", { text: "Top" }), slider, sliderValue]),
      h("label", { cls: "rw-control" }, [h("span", { text: "Sort by" }), sortSelect]),
      exportImportance(store),
    ]),
    legend,
    axis,
    message,
    chart,
  ]);

  slider.addEventListener("input", () => store.update({ topK: Number(slider.value) }));
  sortSelect.addEventListener("change", () => store.update({ sortBy: sortSelect.value }));

  const draw = () => {
    const { state } = store;
    slider.value = String(state.topK);
    sliderValue.textContent = `${state.topK} of ${data.f} features`;
    const cohorts = state.cohorts.slice(0, MAX_SERIES);
    sortSelect.replaceChildren(...cohorts.map((c) => option(c.name, c.name, c.name === state.sortBy)));

    const series = cohorts.map((cohort, s) => {
      const res = store.maskOf(cohort);
      return { cohort, color: SERIES_COLORS[s], count: res.count, error: res.error, imp: store.importance(cohort) };
    });
    legend.replaceChildren(
      ...series.map((s) => {
        const fid = s.count ? fidelityText(store, s.cohort.name) : { text: s.error ? "invalid" : "no rows", poor: false };
        const item = h("span", { cls: `rw-legend-item${s.cohort.name === state.active ? " rw-active" : ""}` }, [
          h("span", { cls: "rw-swatch", attrs: { style: `background:${s.color}` } }),
          h("span", { text: s.cohort.name }),
          h("span", { cls: `rw-muted${fid.poor ? " rw-warn-text" : ""}`, text: ` ${countRows(s.count)} · ${fid.text}` }),
        ]);
        return markCohortSize(item, s.cohort.name, s);
      }),
    );
    if (state.cohorts.length > MAX_SERIES) legend.appendChild(h("span", { cls: "rw-muted", text: `(first ${MAX_SERIES} cohorts shown)` }));
    axis.textContent = importanceCaption(data.meta, state.output);

    const sortSeries = series.find((s) => s.cohort.name === state.sortBy) ?? series[0];
    const drawable = series.filter((s) => s.count > 0);
    if (!drawable.length) {
      message.textContent = `No rows in cohort "${sortSeries.cohort.name}": edit its filters in the Cohorts tab.`;
      chart.replaceChildren();
      return;
    }
    message.textContent =
      sortSeries.count === 0 ? `Cohort "${sortSeries.cohort.name}" has no rows; bars are ordered by the first cohort with rows.` : "";
    const order = topFeatures((sortSeries.count ? sortSeries : drawable[0]).imp, state.topK);
    let max = 1e-12;
    for (const j of order) for (const s of drawable) max = Math.max(max, s.imp[j]);

    // a redraw replaces the bars: keep the keyboard focus on the feature that had it
    const focused = chart.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.feature : undefined;
    chart.replaceChildren(
      ...order.map((j) => {
        const name = data.meta.feature_names[j];
        const group = h("div", {
          cls: `rw-bar-group${state.depFeature === j ? " rw-selected" : ""}`,
          title: `${name}: click (or Enter) for its dependence plot`,
          attrs: { role: "button", tabindex: "0", "aria-pressed": String(state.depFeature === j) },
        });
        group.dataset.feature = name;
        group.appendChild(h("span", { cls: "rw-bar-label", text: name }));
        const bars = h("span", { cls: "rw-bar-stack" });
        for (const s of drawable) {
          const bar = h("span", { cls: "rw-bar-line", testid: "importance-bar" });
          bar.dataset.cohort = s.cohort.name;
          bar.title = `${name} · ${s.cohort.name}: ${fmt(s.imp[j])}`;
          const fill = h("span", { cls: "rw-bar", attrs: { style: `width:${(100 * s.imp[j]) / max}%;background:${s.color}` } });
          bar.append(fill, h("span", { cls: "rw-bar-value", text: fmt(s.imp[j]) }));
          bars.appendChild(bar);
        }
        group.appendChild(bars);
        group.addEventListener("click", () => store.update({ depFeature: j }));
        group.addEventListener("keydown", (ev) => {
          if (ev.key !== "Enter" && ev.key !== " ") return;
          ev.preventDefault(); // Space would scroll the page
          store.update({ depFeature: j });
        });
        return group;
      }),
    );
    if (focused !== undefined)
      Array.from(chart.querySelectorAll<HTMLElement>(".rw-bar-group"))
        .find((g) => g.dataset.feature === focused)
        ?.focus();
  };
  draw();
  return {
    el,
    update(changed) {
      const keys: (keyof TabularState)[] = ["cohorts", "output", "topK", "sortBy", "depFeature", "active"];
      if (keys.some((k) => changed.has(k))) draw();
    },
  };
}

/** PNG, SVG and CSV of the importance chart, named by the output it explains. */
function exportImportance(store: TabularStore): HTMLElement {
  const stem = () => `importance-${outputSlug(store.data, store.state.output)}`;
  const what = "the importance chart";
  return exportControls("the importance chart", [
    { format: "png", what, fileName: stem, build: () => canvasPng(sceneToCanvas(importanceScene(store))) },
    { format: "svg", what, fileName: stem, build: () => sceneToSvg(importanceScene(store)) },
    { format: "csv", what: "the importances per cohort", fileName: stem, build: () => importanceCsv(store) },
  ]);
}
