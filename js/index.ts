// anywidget entry: one ES module exporting render({ model, el }).
import { renderTabular, TabViews, WidgetModel } from "./dashboard";
import { h } from "./dom";
import { createCohortEditor } from "./views/cohortEditor";
import { createDependencePlot } from "./views/dependence";
import { createImportanceChart } from "./views/importance";
import { createLocalChart } from "./views/local";
import { createRowTable } from "./views/rows";
import { renderText } from "./views/text";
import { renderDetection } from "./views/detectionView";
import { renderImage } from "./views/imageView";
import "./style.css";

const TABULAR_VIEWS: TabViews = {
  importance: [createImportanceChart, createDependencePlot],
  rows: [createRowTable, createLocalChart],
  cohorts: [createCohortEditor],
};

function render({ model, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  const root = h("div", { cls: "rw-root" });
  el.appendChild(root);
  let cleanup = () => {};
  try {
    const kind = model.get("kind");
    if (kind === "tabular") cleanup = renderTabular(model, root, TABULAR_VIEWS);
    else if (kind === "text") cleanup = renderText(model, root);
    else if (kind === "image") cleanup = renderImage(model, root);
    else if (kind === "detection") cleanup = renderDetection(model, root);
    else root.appendChild(h("div", { cls: "rw-empty", text: `This version of the view cannot show '${kind}' explanations yet.` }));
  } catch (err) {
    root.appendChild(h("div", { cls: "rw-error", text: `rai-widget could not draw this explanation: ${(err as Error).message}` }));
    console.error(err);
  }
  return () => {
    cleanup();
    root.remove();
  };
}

export default { render };
