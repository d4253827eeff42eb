"""The demo notebooks' saved progress bars read as they ended, not "0%" (scripts/run_notebooks.py).

tqdm.auto's notebook bar is a widget; its output's text/plain, the fallback GitHub's notebook view and text
diffs show, is the bar's text when it was displayed, before any update: "0%| | 0/5". Only the saved widget
state held the final figures. run_notebooks.py now writes a finished bar's final text and drops a bar that
hid itself when done (leave=False), as the live notebook shows neither a 0% bar nor a hidden one.
"""

import html
import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
# tqdm's text: "desc: 100%|██████████| 20/20 [03:04<00:00, 14.62s/text]"
TQDM_TEXT = re.compile(r"^(?P<left>.*?)\s*(?P<pct>\d+)%\|(?P<bar>[^|]*)\|\s*(?P<n>\d+)/(?P<total>\d+)\b")


def _script():
    spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts" / "run_notebooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ref(value: str) -> str:
    assert value.startswith("IPY_MODEL_")
    return value.removeprefix("IPY_MODEL_")


def _bars(nb: dict) -> list[tuple[dict, dict]]:
    """(output, figures) of each output that shows tqdm's widget: an HBox of HTML, a progress bar, HTML.
    figures: the saved state's value, max, the left text and whether the bar's layout is hidden."""
    state = nb["metadata"].get("widgets", {}).get(STATE, {}).get("state", {})
    found = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            model_id = output.get("data", {}).get(VIEW, {}).get("model_id")
            box = state.get(model_id, {})
            if box.get("model_name") != "HBoxModel":
                continue
            children = [state[_ref(c)] for c in box["state"]["children"]]
            if [c["model_name"] for c in children][::2] != ["HTMLModel", "HTMLModel"]:
                continue
            if not children[1]["model_name"].endswith("ProgressModel"):
                continue
            layout = state[_ref(box["state"]["layout"])]["state"]
            found.append(
                (
                    output,
                    {
                        "value": children[1]["state"]["value"],
                        "max": children[1]["state"]["max"],
                        "left": html.unescape(children[0]["state"]["value"]).replace("\u2007", " "),
                        "hidden": layout.get("visibility") == "hidden",
                    },
                )
            )
    return found


def _text(output: dict) -> str:
    text = output["data"].get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_saved_bars_read_as_they_ended(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for output, saved in _bars(nb):
        # a bar that hid itself when done (leave=False) is not in the live notebook: not in the file either
        assert not saved["hidden"], f"a hidden progress bar is still saved: {_text(output)!r}"
        m = TQDM_TEXT.match(_text(output))
        assert m, _text(output)
        # the text says what the saved widget says: its count, its share, its description
        assert (int(m["n"]), int(m["total"])) == (saved["value"], saved["max"]), _text(output)
        assert int(m["pct"]) == round(100 * saved["value"] / saved["max"]), _text(output)
        assert f"{m['left']} {m['pct']}%".strip() == saved["left"].strip() or saved["left"].endswith(f"{m['pct']}%")
        assert len(m["bar"]) == 10 and m["bar"].count("█") == 10 * saved["value"] // saved["max"]


def test_the_notebooks_hold_a_finished_bar_and_no_zero_percent_text():
    """Not vacuous: the text tour keeps its SHAP bar (leave=True), now at 100%; no saved text reads 0%."""
    finished = []
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        finished += [_text(o) for o, saved in _bars(nb) if saved["value"] == saved["max"]]
        texts = [_text(o) for c in nb["cells"] for o in c.get("outputs", []) if "data" in o]
        assert not [t for t in texts if re.search(r"\b0%\|", t)], path.name
    assert any(t.startswith("SHAP text: 100%|██████████| 20/20 [") for t in finished), finished


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_are_what_the_script_writes(path):
    """run_notebooks.py --normalize-only leaves the committed files as they are: they were written by it."""
    script = _script()
    nb = nbformat.read(path, as_version=4)
    assert nbformat.writes(script.normalize(nb)) + "\n" == path.read_text(encoding="utf-8")


SOURCE = """\
import ipywidgets
from tqdm.auto import tqdm
for _ in tqdm(range(5), desc="stays"):
    pass
for _ in tqdm(range(3), desc="hides", leave=False):
    pass
ipywidgets.IntSlider(value=7)
"""


@pytest.mark.slow  # starts a kernel
def test_a_freshly_run_notebook_gets_its_bars_settled(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE)])
    NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    raw = json.loads(nbformat.writes(nb))
    bars = _bars(raw)
    assert [s["hidden"] for _, s in bars] == [False, True]
    # the problem, as nbclient saves it: the text of the bar when it was displayed
    assert all(TQDM_TEXT.match(_text(o))["pct"] == "0" for o, _ in bars)
    before = set(raw["metadata"]["widgets"][STATE]["state"])

    settled = json.loads(nbformat.writes(_script().normalize(nb)))
    outputs = settled["cells"][0]["outputs"]
    (bar, saved), *rest = _bars(settled)
    assert not rest  # the hidden bar's output is gone
    assert _text(bar).startswith("stays: 100%|██████████| 5/5 [") and saved["value"] == 5
    slider = [o for o in outputs if o.get("data", {}).get(VIEW) and o is not bar]
    assert len(slider) == 1 and _text(slider[0]).startswith("IntSlider(value=7")  # other widgets: as they were
    # the models only the hidden bar used are gone from the state; the others stay
    state = settled["metadata"]["widgets"][STATE]["state"]
    gone = before - set(state)
    assert len(gone) >= 4 and all(m in before for m in state)
    assert slider[0]["data"][VIEW]["model_id"] in state and bar["data"][VIEW]["model_id"] in state
