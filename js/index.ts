// anywidget entry: one ES module exporting render({ model, el }); the payload's `kind` picks the modality.
import { h } from "./core/dom";
import type { WidgetModel } from "./core/sync";
import { renderDetection } from "./detection/view";
import { renderImage } from "./image/view";
import { renderTabular } from "./tabular/dashboard";
import { renderText } from "./text/view";
import "./style.css";

const RENDERERS = new Map<string, (model: WidgetModel, root: HTMLElement) => () => void>([
  ["tabular", renderTabular],
  ["text", renderText],
  ["image", renderImage],
  ["detection", renderDetection],
]);

function render({ model, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  const root = h("div", { cls: "rw-root" });
  // Keys pressed in the view belong to the view. Lumino (JupyterLab, Notebook 7) skips a shortcut when
  // an element with data-lm-suppress-shortcuts lies on the way up from the key's target to the element
  // the shortcut's selector matches. Command-mode selectors end in ":focus" and so match the focused
  // control itself, before any ancestor is looked at: the attribute has to be on the control, so every
  // element gets it as it takes focus. Without it ArrowLeft on a slider jumps to the heading above and
  // "d d" on a select deletes the cell.
  root.addEventListener("focusin", (event) => {
    if (event.target instanceof Element) event.target.setAttribute("data-lm-suppress-shortcuts", "true");
  });
  el.appendChild(root);
  let cleanup = () => {};
  try {
    const kind = String(model.get("kind"));
    const draw = RENDERERS.get(kind);
    if (draw) cleanup = draw(model, root);
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
