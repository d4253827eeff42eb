"""Keys pressed on the view's controls stay in the view; Jupyter's shortcuts still work outside it.

JupyterLab and Notebook 7 bind notebook commands to plain keys in command mode (ArrowLeft: go to the
heading above; D D: delete the cell), and focus on a slider or a select leaves the notebook in command
mode. Lumino skips a shortcut when an element with `data-lm-suppress-shortcuts` lies between the key's
target and the element the shortcut's selector matches; command-mode selectors end in `:focus` and match
the focused control itself, so the view marks each element as it takes focus (js/index.ts). Each test
checks both sides: inside the widget the control gets the key and the notebook is unchanged; outside it,
in command mode on another cell, D D deletes that cell and Shift+Enter in an editor runs its cell.
"""

from __future__ import annotations

import json
import re
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Four features, so the Top slider can move; a tiny linear model, so the cell runs in a few seconds.
SETUP = (
    "import numpy as np, pandas as pd, rai_widget as rw\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "rng = np.random.default_rng(0)\n"
    "X = pd.DataFrame(rng.normal(size=(200, 4)), columns=['a', 'b', 'c', 'd'])\n"
    "y = (X.a + X.b > 0).astype(int)\n"
    "model = LogisticRegression().fit(X, y)\n"
    "dash = rw.ExplanationDashboard(rw.MimicExplainer(model, X).explain(X, y_true=y))"
)
KERNEL_NAME = "rai-widget-test"  # the kernelspec of the session's server (conftest.py)
HEADING = "# Keyboard check"
SCRATCH = "scratch = 1"
SHIFT_ENTER = "ran_by_shift_enter = True"
# The heading first, so that ArrowLeft on the dashboard cell, were it a notebook shortcut, would move away.
CELLS = [("markdown", HEADING), ("code", SETUP), ("code", "dash"), ("code", SCRATCH), ("code", SHIFT_ENTER)]
DASHBOARD = 2  # index among all cells
SETTLE_S = 0.5  # Lumino waits up to 1 s for the second key of a chord; D D is pressed well within it

# The notebook as the page shows it, the same in Lab and Notebook 7: each cell's source, the active cell
# and the mode (from the DOM, as windowing is off in the test server's settings).
_JS_NOTEBOOK = """() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  if (!nb) return null;
  const cells = [...nb.querySelectorAll('.jp-Cell')];
  const has = (name) => nb.classList.contains(name);
  const source = (c) => {
    const editor = c.querySelector('.jp-InputArea-editor .cm-content');
    return editor ? editor.textContent : null;
  };
  const mode = has('jp-mod-commandMode') ? 'command' : has('jp-mod-editMode') ? 'edit' : null;
  return {
    sources: cells.map(source),
    active: cells.findIndex((c) => c.classList.contains('jp-mod-active')),
    mode,
  };
}"""


def write_notebook(server, name: str) -> None:
    cells = []
    for i, (kind, src) in enumerate(CELLS):
        cell = {"cell_type": kind, "id": f"k{i}", "metadata": {}, "source": src}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": KERNEL_NAME, "display_name": KERNEL_NAME, "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (server.notebook_dir / name).write_text(json.dumps(nb))


def notebook_state(page) -> dict:
    state = page.evaluate(_JS_NOTEBOOK)
    assert state is not None, "no notebook panel is the current widget"
    return state


def wait_for_notebook(page, predicate, what: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = notebook_state(page)
        if predicate(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout} s; notebook now {state}")
        time.sleep(0.1)


def wait_kernel_idle(page, server, name: str) -> None:
    """The notebook's kernel is up and idle, for the server and the page (Lab and Notebook 7 alike)."""
    deadline = time.monotonic() + 90
    while not any(
        s["path"] == name and s["kernel"]["execution_state"] == "idle" for s in server.api("GET", "/api/sessions")
    ):
        assert time.monotonic() < deadline, f"no idle kernel for {name} after 90 s:\n{server.log_tail()}"
        time.sleep(0.25)
    page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for(timeout=30_000)


def run_setup(page, cell) -> None:
    """Run the setup and dashboard cells with Shift+Enter in edit mode, as a user would."""
    for index in (1, 2):
        cell(index).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
    cell(DASHBOARD).get_by_test_id("importance-chart").wait_for(state="visible", timeout=90_000)


def keys_that_left_the_widget(page, cell) -> list[str]:
    """Press keys on the widget's controls; return what reached the notebook instead (empty: nothing)."""
    problems = []
    before = notebook_state(page)
    output = cell(DASHBOARD).locator(".jp-OutputArea")

    # ArrowLeft on the Top slider moves the slider, not the notebook's active cell.
    slider = output.get_by_test_id("importance-chart").locator('input[type="range"]')
    slider.focus()
    page.wait_for_function("() => document.activeElement && document.activeElement.type === 'range'")
    active = notebook_state(page)["active"]
    value = int(slider.input_value())
    assert value > 1, f"the Top slider starts at {value}: nothing to move"
    page.keyboard.press("ArrowLeft")
    time.sleep(SETTLE_S)
    if int(slider.input_value()) != value - 1:
        problems.append(f"ArrowLeft did not move the Top slider (still {slider.input_value()})")
    after = notebook_state(page)
    if after["active"] != active:
        problems.append(f"ArrowLeft on the slider moved the active cell from {active} to {after['active']}")
    if not slider.evaluate("el => el === document.activeElement"):
        problems.append("ArrowLeft on the slider took the focus away")

    # D D on a focused select leaves the notebook's cells alone.
    select = output.get_by_test_id("importance-chart").locator("select").first
    select.focus()
    page.keyboard.press("d")
    page.keyboard.press("d")
    time.sleep(SETTLE_S)
    after = notebook_state(page)
    if after["sources"] != before["sources"]:
        problems.append(f"D D on a select deleted cells: {len(before['sources'])} -> {len(after['sources'])}")
    return problems


def check_shortcuts_work_outside(page, cell) -> None:
    # D D in command mode on the scratch cell deletes it.
    before = notebook_state(page)
    cell(3).locator(".jp-InputPrompt").click()
    wait_for_notebook(page, lambda s: s["active"] == 3 and s["mode"] == "command", "the scratch cell in command mode")
    page.keyboard.press("d")
    page.keyboard.press("d")
    after = wait_for_notebook(page, lambda s: len(s["sources"]) < len(before["sources"]), "D D deleted a cell")
    assert SCRATCH not in after["sources"], after["sources"]

    # Shift+Enter in a cell's editor runs it (the cell that was after the scratch one).
    last = notebook_state(page)["sources"].index(SHIFT_ENTER)
    cell(last).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    cell(last).locator(".jp-InputPrompt").filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=20_000)


def open_notebook(page, server, url: str, name: str):
    """Open `name` at `url`, wait for its kernel; return cell(index) -> the locator of that cell."""
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function(f"() => ({_JS_NOTEBOOK})() !== null", timeout=60_000)
    wait_kernel_idle(page, server, name)

    def cell(index: int):
        return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").nth(index)

    return cell


def check_keyboard(page, server, url: str, name: str, host: str) -> None:
    cell = open_notebook(page, server, url, name)
    host_errors = len(page.rw_errors)  # Notebook 7 served by the Lab server logs two of its own at startup
    run_setup(page, cell)
    problems = keys_that_left_the_widget(page, cell)
    assert not problems, f"keys pressed in the widget reached {host}:\n" + "\n".join(problems)
    check_shortcuts_work_outside(page, cell)
    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors[host_errors:] if "pageerror" in e], page.rw_errors


def test_keys_stay_in_widget_in_jupyterlab(lab_page, jupyter_lab):
    name = "keyboard_lab.ipynb"
    write_notebook(jupyter_lab, name)
    check_keyboard(lab_page, jupyter_lab, f"{jupyter_lab.url}/lab/tree/{name}?reset", name, "JupyterLab")


def test_keys_stay_in_widget_in_notebook_7(lab_page, jupyter_lab):
    # The session's Jupyter server serves Notebook 7 too (its server extension is on when the package is
    # installed, as the dev extra does), at /notebooks/<path>, with the same kernelspec and settings.
    try:
        from notebook import __version__ as notebook_version
    except ImportError:
        notebook_version = "none"
    if not notebook_version.startswith("7."):
        pytest.fail(f"Notebook 7 is needed (found {notebook_version}): pip install -e '.[dev]'", pytrace=False)
    name = "keyboard_nb7.ipynb"
    write_notebook(jupyter_lab, name)
    check_keyboard(lab_page, jupyter_lab, f"{jupyter_lab.url}/notebooks/{name}", name, "Notebook 7")
