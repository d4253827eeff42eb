// anywidget entry: one ES module exporting render({ model, el }).
import { renderSummary, SummaryState } from "./summary";
import "./style.css";

interface Model {
  get(name: string): any;
  on(event: string, cb: () => void): void;
  off(event: string, cb: () => void): void;
}

function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  const root = document.createElement("div");
  root.className = "rw-root";
  el.appendChild(root);
  const draw = () => {
    const state: SummaryState = {
      kind: model.get("kind"),
      meta: model.get("meta"),
      importance: model.get("importance"),
    };
    renderSummary(root, state);
  };
  draw();
  model.on("change:meta", draw);
  model.on("change:importance", draw);
  return () => {
    model.off("change:meta", draw);
    model.off("change:importance", draw);
    root.remove();
  };
}

export default { render };
