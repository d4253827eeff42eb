"""The dashboard renders inside a real JupyterLab, in light and dark themes, and treats data as text."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]

BREAST_CANCER = [
    "import numpy as np, rai_widget as rw\n"
    "from sklearn.datasets import load_breast_cancer\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    "d = load_breast_cancer(as_frame=True); X, y = d.data, d.target\n"
    "model = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)\n"
    "exp = rw.MimicExplainer(model, X).explain(X, y_true=y)",
    "rw.ExplanationDashboard(exp)",
]
DASHBOARD_CELL = 1

EVIL = "<img src=x onerror=alert(1)>"


def _luminance(css_color: str) -> float:
    """Relative brightness 0..1 of an `rgb(...)`/`rgba(...)` computed color."""
    r, g, b = (float(v) for v in css_color[css_color.index("(") + 1 : -1].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def _bar_label(bar) -> str:
    """The feature name a bar belongs to, as displayed in its group's label."""
    return bar.evaluate("el => el.closest('.rw-bar-group').querySelector('.rw-bar-label').textContent").strip()


def test_dashboard_renders_light_and_dark(lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot):
    page = lab_page
    run_notebook(page, BREAST_CANCER)

    # The kernel imported the working tree under test, with the tests' interpreter.
    out = run_cell(page, "import sys, rai_widget\nprint(rai_widget.__file__)\nprint(sys.executable)")
    module_file, executable = out.split("\n")[:2]
    assert Path(module_file).resolve().is_relative_to(REPO_ROOT), module_file
    top_feature = run_cell(page, "print(exp.global_importance().index[0])").rstrip("\n")
    assert top_feature

    output = cell_locator(page, DASHBOARD_CELL).locator(".jp-OutputArea")
    for theme in ("light", "dark"):
        if theme == "dark":
            set_theme(page, "dark")
        fidelity = output.locator('[data-testid="fidelity"]')
        fidelity.wait_for(state="visible")
        assert fidelity.inner_text().strip()
        bars = output.locator('[data-testid="importance-bar"]')
        bars.first.wait_for(state="visible")
        assert bars.count() == 10
        assert _bar_label(bars.first) == top_feature

        # Text follows JupyterLab's CSS variables: dark on light, light on dark.
        text_lum = _luminance(bars.first.evaluate("el => getComputedStyle(el).color"))
        if theme == "light":
            assert text_lum < 0.5, f"bar text too light in the light theme ({text_lum:.2f})"
        else:
            assert text_lum > 0.5, f"bar text too dark in the dark theme ({text_lum:.2f})"
        screenshot(page, f"dashboard_breast_cancer_{theme}", output)

    set_theme(page, "light")
    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors


def test_feature_names_are_text_not_html(lab_page, run_notebook, cell_locator, screenshot):
    page = lab_page
    run_notebook(
        page,
        [
            "import numpy as np, pandas as pd, rai_widget as rw\n"
            "from sklearn.ensemble import RandomForestClassifier\n"
            "rng = np.random.default_rng(0)\n"
            f"X = pd.DataFrame(rng.normal(size=(300, 3)), columns=[{EVIL!r}, 'b', 'c'])\n"
            f"y = (X[{EVIL!r}] > 0).astype(int)\n"
            "model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)\n"
            "exp = rw.MimicExplainer(model, X).explain(X, y_true=y)",
            "rw.ExplanationDashboard(exp)",
        ],
    )
    output = cell_locator(page, 1).locator(".jp-OutputArea")
    bars = output.locator('[data-testid="importance-bar"]')
    bars.first.wait_for(state="visible")
    labels = [_bar_label(bars.nth(i)) for i in range(bars.count())]
    assert EVIL in labels, labels
    assert output.get_by_text(EVIL, exact=True).first.is_visible()
    # Give an injected <img onerror> time to fire before checking nothing ran.
    page.wait_for_timeout(500)
    assert output.locator("img").count() == 0
    assert not page.rw_dialogs, page.rw_dialogs
    screenshot(page, "dashboard_feature_name_is_text", output)
