"""The browser-test machinery itself: Lab opens, a kernel runs cells, a plain ipywidget renders."""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


def test_ipywidget_renders_and_cells_read_back(lab_page, run_notebook, run_cell, cell_output):
    run_notebook(lab_page, ["print(6 * 7)", "import ipywidgets\nipywidgets.IntSlider(value=3)"])
    assert cell_output(lab_page, 0).strip() == "42"
    lab_page.locator(".jupyter-widgets.widget-slider").first.wait_for()
    out = run_cell(lab_page, "import sys\nprint(sys.executable)\nsys.path[:3]")
    exe, _, rest = out.partition("\n")
    assert exe == sys.executable
    assert repr(str(REPO_ROOT)) in rest  # the repo root is on the kernel's sys.path
    assert not lab_page.rw_dialogs


def test_dark_theme_switch(lab_page, run_notebook, set_theme, cell_locator, screenshot):
    run_notebook(lab_page, ["import ipywidgets\nipywidgets.IntSlider(value=3, description='dark')"], theme="dark")
    lab_page.locator(".jupyter-widgets.widget-slider").first.wait_for()
    assert lab_page.evaluate("() => document.body.dataset.jpThemeLight") == "false"
    screenshot(lab_page, "infra_slider_dark", cell_locator(lab_page, 0))
    set_theme(lab_page, "light")
    assert lab_page.evaluate("() => document.body.dataset.jpThemeName") == "JupyterLab Light"
    screenshot(lab_page, "infra_page_light")
