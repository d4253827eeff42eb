// anywidget entry: one ES module exporting render({ model, el }); the payload's `kind` picks the modality.
import { h } from "./core/dom";
import type { WidgetModel } from "./core/sync";
import { initialize, withData } from "./core/transport";
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

/**
 * A view drawn in a shadow root (marimo draws every widget in one) cannot be reached by the stylesheet's
 * `body[data-jp-theme-light]` and `prefers-color-scheme` selectors, and the page defines no JupyterLab
 * variables: the root then carries the page's theme as `data-rw-theme`, and style.css gives the dark one its
 * colours. The page says dark by marimo's `dark` class on body, JupyterLab's attribute, else the OS scheme.
 * Returns the function that stops following it.
 */
function followHostTheme(root: HTMLElement): () => void {
  if (!(root.getRootNode() instanceof ShadowRoot)) return () => {};
  const body = document.body;
  const scheme = window.matchMedia?.("(prefers-color-scheme: dark)");
  const update = () => {
    const jp = body.dataset.jpThemeLight;
    const dark = body.classList.contains("dark") || (jp !== undefined ? jp === "false" : !!scheme?.matches);
    root.dataset.rwTheme = dark ? "dark" : "light";
  };
  update();
  const observer = new MutationObserver(update);
  observer.observe(body, { attributes: true, attributeFilter: ["class", "data-jp-theme-light"] });
  scheme?.addEventListener("change", update);
  return () => {
    observer.disconnect();
    scheme?.removeEventListener("change", update);
  };
}

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
  const unfollow = followHostTheme(root);
  let cleanup = () => {};
  try {
    const kind = String(model.get("kind"));
    const draw = RENDERERS.get(kind);
    if (draw) cleanup = withData(model, root, (m) => draw(m, root));
    else root.appendChild(h("div", { cls: "rw-empty", text: `This version of the view cannot show '${kind}' explanations yet.` }));
  } catch (err) {
    root.appendChild(h("div", { cls: "rw-error", text: `rai-widget could not draw this explanation: ${(err as Error).message}` }));
    console.error(err);
  }
  return () => {
    cleanup();
    unfollow();
    root.remove();
  };
}

export default { initialize, render };
