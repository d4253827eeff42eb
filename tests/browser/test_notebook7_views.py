"""The widget in Jupyter Notebook 7, in real Chromium: the proof marimo and Voila have, in one notebook.

The session's Jupyter server (conftest.py's ``jupyter_lab``) serves Notebook 7 at ``/notebooks/<path>``
with the same kernelspec and settings. Notebook 7 does not expose its app object (``window.jupyterapp``
is Lab's), so everything goes through its own UI, as a user would: "Run > Run All Cells", cells added
with ``b`` and run with Ctrl+Enter to read the kernel's state (``kernel_io.kernel_json`` over
``nb7_run_cell``), the theme from "Settings > Theme". One notebook, one kernel, one page load:

(1) the tabular dashboard draws a bar per feature of the data;
(2) a cohort built in the view's editor reaches the kernel: ``dash.cohorts`` holds its name and filters,
    and the rows Python counts equal the data's own count (pandas) and the count the view showed;
(3) a text, an image and a detection dashboard (tiny local models, nothing downloaded) draw their content;
(4) no dialog, and no page or console error once the notebook is open (Notebook 7 served by the Lab
    server logs its own at startup, before any cell runs: here one page error, "reading 'schema'").
Screenshots of the page, light and dark, 1024 and 1440 px, in ``RW_NB7_SHOTS`` (default: screenshots/).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from cohort_editor import draft_cohort
from kernel_io import kernel_json, wait_for_kernel
from playwright.sync_api import expect
from test_keyboard import KERNEL_NAME, wait_kernel_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
TESTS_DIR = HERE.parent  # tiny_models.py, scenes.py: the kernel's PYTHONPATH has only the repository root
SHOTS = Path(os.environ.get("RW_NB7_SHOTS", HERE / "screenshots"))
NAME = "views_nb7.ipynb"
N_ROWS = 240
FEATURES = {"age", "income", "region"}
VIEW_TIMEOUT = 180_000  # ms: Run All (training, explaining, the torch import) under load
CELL_TIMEOUT = 60  # s: one cell added to read the kernel's state
DONE = "rw-nb7-cell-done"  # printed last by nb7_run_cell's cells: their output is complete

CELLS = [
    # 0: a tabular explanation of a small forest
    f"import sys\nsys.path.insert(0, {str(TESTS_DIR)!r})\n"
    "import numpy as np, pandas as pd, rai_widget as rw\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    "rng = np.random.default_rng(0)\n"
    f"n = {N_ROWS}\n"
    "X = pd.DataFrame({'age': rng.integers(18, 80, n).astype(float), 'income': rng.normal(50, 15, n).round(1),\n"
    "                  'region': pd.Categorical(rng.choice(['north', 'south', 'east'], n))})\n"
    "y = np.where(X.age < 35, 'young', np.where(X.income > 55, 'rich', 'other'))\n"
    "codes = {'north': 0, 'south': 1, 'east': 2}\n"
    "numeric = lambda f: f.assign(region=f.region.astype(str).map(codes))\n"
    "model = RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0).fit(numeric(X), y)\n"
    "predict_proba = lambda f: model.predict_proba(numeric(f))\n"
    "exp = rw.MimicExplainer(predict_proba, X, task='classification', classes=list(model.classes_))"
    ".explain(X, y_true=y, progress=False)\n"
    "dash = rw.ExplanationDashboard(exp)",
    # 1: the tabular dashboard
    "dash",
    # 2: text: a bag-of-words model in which only "excellent" moves the class
    "def bag_of_words(texts):\n"
    "    counts = np.array([t.lower().split().count('excellent') for t in texts], dtype=float)\n"
    "    p = 1 / (1 + np.exp(-(3 * counts - 1)))\n"
    "    return np.column_stack([1 - p, p])\n"
    "texts = ['an excellent film with a dull plot', 'the plot was dull and the acting was bad']\n"
    "rw.ExplanationDashboard(rw.TextExplainer(bag_of_words, classes=['neg', 'pos'])"
    ".explain(texts, y_true=['pos', 'neg'], progress=False))",
    # 3: image: tests/tiny_models.py's CNN (random weights) on six smooth images
    "from scipy import ndimage\nfrom tiny_models import tiny_cnn\n"
    "smooth = ndimage.gaussian_filter(rng.random((6, 24, 24, 3)), sigma=(0, 2, 2, 0))\n"
    "images = ((smooth - smooth.min()) / np.ptp(smooth) * 255).astype(np.uint8)\n"
    "rw.ExplanationDashboard(rw.ImageExplainer(tiny_cnn(3), classes=['cat', 'dog', 'bird'], n_steps=8)"
    ".explain(images, y_true=['cat', 'dog', 'bird'] * 2, progress=False))",
    # 4: detection: bright squares are the objects (tests/scenes.py)
    "from scenes import square_detector\n"
    "scene = np.full((48, 48, 3), 20, dtype=np.uint8)\n"
    "for (x0, y0, x1, y1), v in zip([(4, 4, 16, 16), (28, 6, 42, 18), (10, 28, 24, 42)], (230, 200, 150)):\n"
    "    scene[y0:y1, x0:x1] = v\n"
    "rw.ExplanationDashboard(rw.DetectionExplainer(square_detector, classes=['left', 'right'], num_masks=300,"
    " mask_res=(6, 6)).explain([scene], progress=False))",
]
TABULAR, TEXT, IMAGE, DETECTION = 1, 2, 3, 4


def write_notebook(server) -> None:
    cells = [
        {"cell_type": "code", "execution_count": None, "id": f"v{i}", "metadata": {}, "outputs": [], "source": src}
        for i, src in enumerate(CELLS)
    ]
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": KERNEL_NAME, "display_name": KERNEL_NAME, "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (server.notebook_dir / NAME).write_text(json.dumps(nb))


def cells(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")


def menu(page, *path: str) -> None:
    """Click through Notebook 7's menu bar, e.g. menu(page, "Run", "Run All Cells")."""
    page.locator(".lm-MenuBar-itemLabel").get_by_text(path[0], exact=True).click()
    for label in path[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel").get_by_text(label, exact=True).last.click()


def nb7_run_cell(page, source: str, timeout: float = CELL_TIMEOUT) -> str:
    """Add a code cell at the end (``b`` in command mode), type ``source``, run it with Ctrl+Enter; return
    its text output. A run_cell for kernel_io, through Notebook 7's UI only."""
    all_cells = cells(page)
    n = all_cells.count()
    all_cells.nth(n - 1).locator(".jp-InputPrompt").click()  # command mode on the last cell
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    expect(all_cells).to_have_count(n + 1)
    new = all_cells.nth(n)
    expect(new).to_have_class(re.compile(r"\bjp-mod-active\b"))
    page.keyboard.press("Enter")
    new.locator(".cm-content").wait_for()
    # insert_text: no key events, so the editor neither closes brackets nor indents for us
    page.keyboard.insert_text(f"{source}\nprint({DONE!r})")
    page.keyboard.press("Control+Enter")
    output = new.locator(".jp-OutputArea")
    deadline = time.monotonic() + timeout
    while True:
        error = new.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
        if error.count():
            raise AssertionError(f"the added cell raised:\n{source}\n{error.inner_text()}")
        text = output.inner_text() if output.count() else ""
        if DONE in text:
            return text.split(DONE)[0]
        assert time.monotonic() < deadline, f"the added cell did not finish in {timeout}s:\n{source}\n{text}"
        time.sleep(0.25)


def set_nb7_theme(page, theme: str) -> None:
    """Notebook 7's Settings > Theme menu; then wait until the page and the notebook are that colour."""
    name = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}[theme]
    menu(page, "Settings", "Theme", name)
    page.wait_for_function(
        "([name, light]) => document.body.dataset.jpThemeName === name && document.body.dataset.jpThemeLight === light",
        arg=[name, "true" if theme == "light" else "false"],
        timeout=30_000,
    )
    page.wait_for_function(  # the theme's CSS applies after the attribute: the notebook and the header
        """(dark) => ['.jp-Notebook', '#top-panel-wrapper'].every((sel) => {
            const m = getComputedStyle(document.querySelector(sel)).backgroundColor.match(/\\d+/g);
            return (+m[0] + +m[1] + +m[2] < 200) === dark;
        })""",
        arg=theme == "dark",
        timeout=30_000,
    )


def shoot(page, theme: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        for part, index in (("tabular", TABULAR), ("text_image", TEXT), ("detection", DETECTION)):
            cells(page).nth(index).locator(".jp-OutputArea").evaluate("e => e.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(SHOTS / f"nb7_{part}_{theme}_{width}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


def test_views_render_and_cohort_reaches_the_kernel_in_notebook_7(lab_page, jupyter_lab):
    try:
        from notebook import __version__ as notebook_version
    except ImportError:
        notebook_version = "none"
    if not notebook_version.startswith("7."):
        pytest.fail(f"Notebook 7 is needed (found {notebook_version}): pip install -e '.[dev]'", pytrace=False)
    page = lab_page
    write_notebook(jupyter_lab)
    page.goto(f"{jupyter_lab.url}/notebooks/{NAME}", wait_until="domcontentloaded")
    expect(cells(page)).to_have_count(len(CELLS), timeout=60_000)
    wait_kernel_idle(page, jupyter_lab, NAME)
    startup_errors = len(page.rw_errors)  # Notebook 7's own, before any output (so before the widget) exists
    assert page.evaluate("() => document.body.dataset.notebook") == "notebooks", "not Notebook 7's notebook page"

    menu(page, "Run", "Run All Cells")
    views = {TABULAR: "importance-chart", TEXT: "text-view", IMAGE: "image-view", DETECTION: "detection-view"}
    for index, testid in views.items():
        view = cells(page).nth(index).locator(".jp-OutputArea").get_by_test_id(testid)
        try:
            view.wait_for(state="visible", timeout=VIEW_TIMEOUT)
        except Exception:
            raise AssertionError(
                f"cell {index} drew no {testid}; page errors: {page.rw_errors}\n"
                f"notebook text: {page.locator('.jp-Notebook').inner_text()[:3000]}"
            ) from None

    # (1) the tabular view: one bar per feature of the data
    tabular = cells(page).nth(TABULAR).locator(".jp-OutputArea")
    bars = tabular.locator(".rw-bar-label")
    expect(bars).to_have_count(len(FEATURES))
    assert set(bars.all_inner_texts()) == FEATURES

    # (2) a cohort built in the view reaches the kernel
    run_cell = nb7_run_cell
    truth = kernel_json(run_cell, page, "int(((X.age > 45) & X.region.isin(['north', 'east'])).sum())")
    assert 0 < truth < N_ROWS, truth
    editor = draft_cohort(tabular, "older north/east", "age", ">", "45")
    editor.get_by_test_id("filter-add").click()
    region = editor.get_by_test_id("filter-row").nth(1)
    region.get_by_test_id("filter-column").select_option("region")
    region.get_by_test_id("filter-op").select_option("in")
    for value in ("north", "east"):
        region.get_by_test_id("filter-value").get_by_label(value, exact=True).check()
    count = editor.get_by_test_id("cohort-draft-count")
    expect(count).to_have_text(f"{truth} of {N_ROWS} rows")  # the view counts what pandas counts
    shown = int(re.fullmatch(rf"(\d+) of {N_ROWS} rows", count.inner_text().strip()).group(1))
    editor.get_by_test_id("cohort-save").click()
    want = {
        "name": "older north/east",
        "combine": "all",
        "filters": [
            {"column": "age", "op": ">", "value": 45},
            {"column": "region", "op": "in", "value": ["east", "north"]},  # in the data's category order
        ],
    }
    cohorts = wait_for_kernel(run_cell, page, "[c.to_json() for c in dash.cohorts]", lambda cs: want in cs)
    assert cohorts == [{"name": "All data", "combine": "all", "filters": []}, want]
    held = kernel_json(
        run_cell, page, "[type(dash.cohorts[1]).__name__, dash.cohorts[1].count(exp), dash.active_cohort]"
    )
    assert held == ["Cohort", shown, "older north/east"], held
    expect(tabular.get_by_test_id("cohort-select")).to_have_value("older north/east")
    tabular.get_by_test_id("tab-importance").click()

    # (3) text, image and detection views with their content
    tokens = cells(page).nth(TEXT).get_by_test_id("token")
    expect(tokens.first).to_be_visible()
    assert tokens.all_inner_texts() == "an excellent film with a dull plot".split()
    image = cells(page).nth(IMAGE).get_by_test_id("image-view")
    expect(image.get_by_test_id("image-thumb")).to_have_count(6)
    thumb = image.get_by_test_id("image-thumb").nth(1)
    thumb.click()  # its attribution map, drawn over it
    page.wait_for_function(
        "([el, i]) => el.querySelector('[data-testid=\"image-overlay\"]')?.dataset.drawn === i",
        arg=[image.element_handle(), thumb.get_attribute("data-index")],
    )
    detection = cells(page).nth(DETECTION).get_by_test_id("detection-view")
    expect(detection.get_by_test_id("detection-item")).to_have_count(3)  # the scene's three squares
    assert {t.split()[0] for t in detection.get_by_test_id("detection-item").all_inner_texts()} <= {"left", "right"}

    # the page, light and dark (Notebook 7's own theme menu), at 1024 and 1440 px
    shoot(page, "light")
    set_nb7_theme(page, "dark")
    shoot(page, "dark")
    set_nb7_theme(page, "light")

    # (4) nothing went wrong on the page
    assert not page.rw_dialogs, page.rw_dialogs
    assert not page.rw_errors[startup_errors:], page.rw_errors
