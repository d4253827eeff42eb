"""Re-run the demo notebooks in place and write them the way JupyterLab would save them.

    python scripts/run_notebooks.py                   # run every notebooks/*.ipynb, then normalize it
    python scripts/run_notebooks.py tabular.ipynb     # just that one
    python scripts/run_notebooks.py --normalize-only  # rewrite without running (metadata, numbers)

The notebooks are committed executed, with their widget state, so viewers that support widgets draw the
dashboards. Opening one in JupyterLab must not mark it modified, and saving it from Lab must give the
same bytes (tests/browser/test_notebooks_open_clean.py), so the file is written as Lab writes it back:

- `metadata.kernelspec` is the installed kernelspec's, word for word: Lab replaces a kernelspec that
  differs from the kernel it starts ("Python 3" where ipykernel's says "Python 3 (ipykernel)"), which
  marks the notebook modified as soon as it opens;
- a float with an integral value (a progress bar's `max: 5.0`) is written as an integer: the browser's
  JSON has one number type, so Lab saves it back as `5`.

Progress bars (tqdm.auto's widgets) are saved as they ended, not as they started (`settle_progress_bars`).
A widget output's text/plain is the bar's text when it was displayed, before its first update, so it read
"0%| | 0/5" wherever the widget is not drawn (GitHub's notebook view, a text diff); only the widget state
held the final figures. So, from that state:

- a bar that finished and stays (tqdm's `leave=True`) gets its final text as text/plain,
  "desc: 100%|██████████| 5/5 [00:13<00:00, 2.21s/it]", as tqdm itself prints it;
- a bar that hid itself when done (`leave=False`: its layout is `visibility: hidden`) is not in the live
  notebook either, so its output goes, and with it the widget models only it used.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from tqdm.std import Bar

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL = "python3"
JS_EXPONENT_FROM = 1e21  # JSON.stringify writes integral numbers from here on with an exponent


def _number_as_the_browser_writes_it(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < JS_EXPONENT_FROM else value


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_REF = re.compile(r"^IPY_MODEL_([0-9a-f]+)$")
BAR_WIDTH = 10  # tqdm's bar, in characters, when it has no ncols (a notebook's)


def _refs(value) -> list[str]:
    """The model ids a widget's state refers to ("IPY_MODEL_<id>"), in lists and dicts too."""
    if isinstance(value, str):
        match = _REF.match(value)
        return [match.group(1)] if match else []
    if isinstance(value, list):
        return [ref for v in value for ref in _refs(v)]
    if isinstance(value, dict):
        return [ref for v in value.values() for ref in _refs(v)]
    return []


def _reachable(state: dict, roots) -> set[str]:
    seen: set[str] = set()
    todo = [r for r in roots if r in state]
    while todo:
        model_id = todo.pop()
        if model_id not in seen:
            seen.add(model_id)
            todo += [r for r in _refs(state[model_id].get("state", {})) if r in state]
    return seen


def progress_bar(state: dict, model_id: str) -> dict | None:
    """tqdm's notebook bar saved as widget `model_id` (an HBox of an HTML, a progress bar and an HTML, as
    tqdm.notebook builds it): its `text` as tqdm prints it, from the saved figures, and whether it was
    `hidden` when done (leave=False); None for any other widget."""
    box = state.get(model_id)
    if box is None or box.get("model_name") != "HBoxModel":
        return None
    children = [m for c in box["state"].get("children", []) for m in _refs(c)]
    models = [state.get(c, {}) for c in children]
    names = [m.get("model_name") for m in models]
    if len(models) != 3 or names[0] != "HTMLModel" or names[2] != "HTMLModel":
        return None
    if names[1] not in ("FloatProgressModel", "IntProgressModel"):
        return None
    left, bar, right = (m["state"] for m in models)
    span = bar.get("max", 100) - bar.get("min", 0)
    frac = (bar.get("value", 0) - bar.get("min", 0)) / span if span else 1.0
    fill = format(Bar(min(max(frac, 0.0), 1.0), BAR_WIDTH, charset=Bar.UTF), "")

    def plain(v) -> str:
        return html.unescape(str(v or "")).replace("\u2007", " ")  # tqdm pads the widget's text with U+2007

    layout = [m for m in _refs(box["state"].get("layout", "")) if m in state]
    hidden = bool(layout) and state[layout[0]]["state"].get("visibility") == "hidden"
    return {"text": f"{plain(left.get('value'))}|{fill}|{plain(right.get('value'))}", "hidden": hidden}


def settle_progress_bars(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Progress bars as they ended (see the module's docstring): a finished bar's text/plain from its saved
    widget state; a bar that hid itself removed, with the widget models nothing else uses."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    removed: list[str] = []
    kept: list[str] = []
    for cell in nb.cells:
        outputs = []
        for output in cell.get("outputs", []):
            model_id = output.get("data", {}).get(WIDGET_VIEW, {}).get("model_id")
            bar = progress_bar(state, model_id) if model_id else None
            if bar is not None and bar["hidden"]:
                removed.append(model_id)
                continue
            if bar is not None:
                output["data"]["text/plain"] = bar["text"]
            if model_id:
                kept.append(model_id)
            outputs.append(output)
        if "outputs" in cell:
            cell["outputs"] = outputs
    if removed:
        # what only the removed bars use; other widgets (the dashboards) and their references stay
        unused = _reachable(state, removed) - _reachable(state, kept)
        for model_id in unused:
            del state[model_id]
    return nb


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as Lab would save it back: the installed kernelspec, integral floats as integers, and
    the progress bars as they ended."""
    nb = settle_progress_bars(nb)
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    nb.metadata["kernelspec"] = {"display_name": spec.display_name, "language": spec.language, "name": KERNEL}
    text = json.dumps(nb)
    return nbformat.from_dict(json.loads(text, parse_float=_number_as_the_browser_writes_it))


def run(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    # store_widget_state (the default): the dashboards' state goes into metadata.widgets.
    NotebookClient(nb, kernel_name=KERNEL, timeout=1800, resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebooks in notebooks/ (default: all)")
    parser.add_argument("--normalize-only", action="store_true", help="rewrite without running the cells")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / n for n in args.names] or sorted(NOTEBOOKS.glob("*.ipynb"))
    for path in paths:
        nb = nbformat.read(path, as_version=4) if args.normalize_only else run(path)
        nbformat.validate(nb)
        nbformat.write(normalize(nb), path)
        print(f"wrote {path.relative_to(NOTEBOOKS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
