"""The "Model performance" tab in the offline report (Chromium, from file://, every request refused).

The table shows what exp.metrics() gives for each cohort (values and bootstrap intervals, read from the
cells), the confusion matrix of the active cohort counts what sklearn's confusion_matrix counts, and
clicking a cell makes the cohort of those rows. A regression shows no matrix but a note; an explanation
without y_true says to pass it.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline
from sklearn.metrics import confusion_matrix

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
TIMEOUT = 60_000  # ms: the bootstrap of every cohort, on a loaded machine

CELLS = """(table) => Array.from(table.querySelectorAll('[data-testid="metric-cell"]')).map((td) => ({
  metric: td.dataset.metric, cohort: td.dataset.cohort, value: td.dataset.value, low: td.dataset.low,
  high: td.dataset.high, text: td.querySelector('.rw-mt-value').textContent,
  interval: td.querySelector('.rw-mt-interval').textContent, title: td.title}))"""


def _explain(predict, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)
        return rw.MimicExplainer(predict, X, **kwargs).explain(X, y_true=y, progress=False)


@pytest.fixture(scope="module")
def multiclass(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {"x0": rng.normal(size=n), "x1": rng.normal(size=n), "group": np.where(np.arange(n) % 3, "a", "b")}
    )

    def predict_proba(frame):
        z = np.column_stack([-frame.x0, 0.3 * frame.x1, frame.x0]).astype(float) * 1.5
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    truth = np.array(["low", "mid", "high"])[[rng.choice(3, p=p) for p in predict_proba(X)]]
    exp = _explain(predict_proba, X, truth, task="classification", classes=["low", "mid", "high"])
    cohorts = [
        rw.Cohort("group a", [rw.Filter("group", "==", "a")]),
        rw.Cohort("x0 > 0.5", [rw.Filter("x0", ">", 0.5)]),
    ]
    path = exp.save_html(tmp_path_factory.mktemp("metrics") / "multiclass.html", cohorts=cohorts)
    return exp, cohorts, path


@pytest.fixture(scope="module")
def regression(tmp_path_factory):
    rng = np.random.default_rng(1)
    n = 200
    X = pd.DataFrame({"x0": rng.normal(size=n), "x1": rng.normal(size=n)})
    y = 2 * X.x0.to_numpy() - X.x1.to_numpy() + rng.normal(0, 0.5, n)
    y[::17] = np.nan

    def predict(frame):
        return 2 * frame.x0.to_numpy() - frame.x1.to_numpy()

    exp = _explain(predict, X, y, task="regression")
    cohorts = [rw.Cohort("x1 < 0", [rw.Filter("x1", "<", 0)])]
    path = exp.save_html(tmp_path_factory.mktemp("metrics") / "regression.html", cohorts=cohorts)
    return exp, cohorts, path


def _open(browser, path, width=1024, scheme="light"):
    opened = open_offline(browser, path, scheme=scheme, width=width, height=1000)
    page = opened.page
    page.get_by_role("tab", name="Model performance").click(timeout=TIMEOUT)
    view = page.locator('[data-testid="metrics-view"]')
    view.wait_for(timeout=TIMEOUT)
    return opened, view


def _wait_done(view):
    view.locator('[data-testid="metrics-table"][data-state="done"]').wait_for(timeout=TIMEOUT)


def _shown(text: str) -> float:
    return math.nan if text in ("n/a", "") else float(text.replace("−", "-").replace(",", ""))


def _close_as_shown(shown: float, expected: float, what: str):
    """The text is the value to 4 significant digits (float32 inputs move the last of them by rounding at most)."""
    if math.isnan(expected):
        assert math.isnan(shown), what
        return
    unit = 10 ** (math.floor(math.log10(abs(expected))) - 3) if expected else 1e-4
    assert abs(shown - expected) <= 0.5 * unit + 1e-6 * abs(expected) + 1e-12, (what, shown, expected)


def _check_table(view, exp, cohorts):
    cells = view.locator('[data-testid="metrics-table"]').evaluate(CELLS)
    by = {(c["cohort"], c["metric"]): c for c in cells}
    for cohort in cohorts:
        df = exp.metrics(cohort=cohort)
        for r in df.itertuples():
            cell = by[(cohort.name, r.metric)]
            what = f"{cohort.name} / {r.metric}"
            for key, expected in (("value", r.value), ("low", r.ci_low), ("high", r.ci_high)):
                got = float(cell[key]) if cell[key] not in (None, "", "NaN") else math.nan
                if math.isnan(expected):
                    assert math.isnan(got), (what, key, got)
                else:  # float32 probabilities and targets on the wire: equal to about 1e-6
                    assert got == pytest.approx(expected, rel=2e-5, abs=2e-6), (what, key)
            _close_as_shown(_shown(cell["text"]), r.value, what)
            if np.isfinite(r.ci_low):
                numbers = re.findall(r"-?[\d.]+(?:e[+-]?\d+)?", cell["interval"].replace("−", "-"))
                low, high = (_shown(t) for t in numbers)
                _close_as_shown(low, r.ci_low, what + " low")
                _close_as_shown(high, r.ci_high, what + " high")
            if r.metric in df.attrs["notes"]:
                assert df.attrs["notes"][r.metric] in cell["title"], what
        head = view.locator(f'[data-testid="metrics-n"][data-cohort="{cohort.name}"]')
        assert head.get_attribute("data-n") == str(int(df.n.iloc[0]))
    return cells


def test_the_table_shows_exp_metrics_for_every_cohort(browser, multiclass):
    exp, cohorts, path = multiclass
    opened, view = _open(browser, path)
    _wait_done(view)
    all_data = rw.Cohort("All data", [])
    cells = _check_table(view, exp, [all_data, *cohorts])
    assert {c["cohort"] for c in cells} == {"All data", "group a", "x0 > 0.5"}
    settings = view.locator('[data-testid="metrics-settings"]').text_content()
    assert "95%" in settings and "1,000" in settings and "exp.metrics()" in settings
    assert opened.blocked == [] and opened.errors == [] and opened.dialogs == []


def test_the_confusion_matrix_counts_and_makes_cohorts(browser, multiclass):
    exp, cohorts, path = multiclass
    opened, view = _open(browser, path)
    matrix = view.locator('[data-testid="confusion-matrix"]')
    matrix.wait_for(timeout=TIMEOUT)
    assert "true" in matrix.text_content() and "predicted" in matrix.text_content()
    classes = exp.output_names
    expected = confusion_matrix(exp.y_true, exp.y_pred, labels=classes)
    for a, t in enumerate(classes):
        for b, p in enumerate(classes):
            cell = matrix.locator(f'[data-testid="confusion-cell"][data-true="{t}"][data-pred="{p}"]')
            assert cell.locator(".rw-cm-count").text_content() == f"{expected[a, b]:,}", (t, p)
            share = expected[a, b] / expected[a].sum()
            assert cell.locator(".rw-cm-share").text_content() == f"{100 * share:.1f}%", (t, p)
    # a cell makes the cohort of its rows, active at once
    cell = matrix.locator('[data-testid="confusion-cell"][data-true="low"][data-pred="mid"]')
    cell.click()
    picker = opened.page.locator('[data-testid="cohort-select"]')
    name = "true low, predicted mid"
    opened.page.wait_for_function(
        "(name) => document.querySelector('[data-testid=cohort-select]').value === name", arg=name, timeout=TIMEOUT
    )
    option = picker.locator(f'option[data-cohort="{name}"]')
    assert option.get_attribute("data-rows") == str(expected[0, 1])

    def count(t, p):
        return matrix.locator(
            f'[data-testid="confusion-cell"][data-true="{t}"][data-pred="{p}"] .rw-cm-count'
        ).text_content()

    assert count("low", "mid") == f"{expected[0, 1]:,}"
    assert count("mid", "mid") == "0"
    # the new cohort gets its own column, with what exp.metrics gives on those rows
    _wait_done(view)
    made = rw.Cohort(name, [rw.Filter("y_true", "==", "low"), rw.Filter("y_pred", "==", "mid")])
    assert made.mask(exp).sum() == expected[0, 1]
    _check_table(view, exp, [made])
    assert opened.blocked == [] and opened.errors == []


def test_regression_shows_a_note_instead_of_a_matrix(browser, regression):
    exp, cohorts, path = regression
    opened, view = _open(browser, path)
    _wait_done(view)
    _check_table(view, exp, [rw.Cohort("All data", []), *cohorts])
    assert view.locator('[data-testid="confusion-matrix"]').count() == 0
    note = view.locator('[data-testid="confusion-note"]').text_content()
    assert "regression" in note.lower()
    left = exp.metrics().attrs["left_out"]
    assert left > 0
    n_text = view.locator('[data-testid="metrics-n"][data-cohort="All data"]').text_content()
    assert f"{left} without y_true" in n_text
    assert opened.blocked == [] and opened.errors == []


def test_without_y_true_the_tab_says_to_pass_it(browser, tmp_path):
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"x0": rng.normal(size=80), "x1": rng.normal(size=80)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)
        exp = rw.MimicExplainer(lambda f: f.x0.to_numpy() * 2, X, task="regression").explain(X, progress=False)
    opened, view = _open(browser, exp.save_html(tmp_path / "no_truth.html"))
    note = view.locator('[data-testid="metrics-note"]').text_content()
    assert "y_true=" in note and "explain()" in note
    assert view.locator('[data-testid="metrics-table"]').count() == 0
    assert opened.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_screenshots(browser, multiclass, regression, scheme, width):
    for name, (_, _, path) in (("multiclass", multiclass), ("regression", regression)):
        opened, view = _open(browser, path, width=width, scheme=scheme)
        _wait_done(view)
        SCREENSHOTS.mkdir(exist_ok=True)
        opened.page.screenshot(path=str(SCREENSHOTS / f"metrics_{name}_{scheme}_{width}.png"), full_page=True)
        assert opened.errors == []
        opened.page.close()
