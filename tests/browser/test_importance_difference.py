"""The importance chart's Difference mode and whiskers: offline report (Chromium, file://, no request allowed)
and JupyterLab.

Difference mode draws exp.compare(a, b)'s differences and intervals (read from each row's data attributes
and from the CSV export), marks the planted feature's interval as excluding 0, and the whiskers of the plain
bars are _compare.importance_intervals' (ticked on, then off). The explanation's values are float32 numbers,
so the view's float32 wire holds the kernel's numbers and both agree to 1e-9. No script error, no request.
Screenshots light and dark, 1024 and 1440 px wide.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kernel_io import kernel_json
from offline import open_offline

import rai_widget as rw
from rai_widget.explanations import TabularExplanation, _compare

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
TIMEOUT = 60_000  # ms: 1,000 resamples of two cohorts, on a loaded machine
N = 600
NAMES = ["income", "age", "debt", "tenure", "<b>score</b>"]
GROUP_A = rw.Cohort("group a", [rw.Filter("group", "==", "a")])
GROUP_B = rw.Cohort("group b", [rw.Filter("group", "==", "b")])

ROWS = """(panel) => Array.from(panel.querySelectorAll('[data-testid="difference-bar"]')).map((r) => ({
  feature: r.dataset.feature, difference: +r.dataset.difference, low: +r.dataset.low, high: +r.dataset.high,
  meanA: +r.dataset.meanA, meanB: +r.dataset.meanB, excludes: r.dataset.excludesZero,
  text: r.querySelector('.rw-diff-value').textContent,
  solid: r.querySelector('.rw-diff-bar').classList.contains('rw-diff-solid')}))"""


def _float32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32).astype(np.float64)


@pytest.fixture(scope="module")
def explanation():
    """A regression whose feature 0 ("income") moves the prediction twice as much in group a."""
    rng = np.random.default_rng(3)
    group = np.where(rng.random(N) < 0.5, "a", "b")
    data = pd.DataFrame({name: _float32(rng.normal(size=N)) for name in NAMES[:4]})
    data[NAMES[4]] = _float32(rng.normal(size=N))
    data["group"] = pd.Categorical(group)
    values = rng.normal(size=(N, 6, 1)) * np.array([1.0, 0.8, 0.6, 0.4, 0.3, 0.05])[None, :, None]
    values[group == "a", 0] *= 2
    values = _float32(values)
    out = _float32(values.sum(axis=1) + 1.0)
    return TabularExplanation(
        data=data,
        feature_names=[*NAMES, "group"],
        feature_kinds=["numeric"] * 5 + ["category"],
        values=values,
        base_values=np.ones(1),
        surrogate_output=out,
        model_output=out,
        output_names=["price"],
        task="regression",
        units="price",
        y_pred=out[:, 0],
        fidelity={"r2": 1.0},
    )


@pytest.fixture(scope="module")
def report(explanation, tmp_path_factory):
    path = tmp_path_factory.mktemp("difference") / "difference.html"
    return explanation.save_html(path, cohorts=[GROUP_A, GROUP_B])


def _open(browser, report, scheme="light", width=1100, **options):
    opened = open_offline(browser, report, scheme=scheme, width=width, height=1000, **options)
    chart = opened.page.locator('[data-testid="importance-chart"]')
    chart.wait_for(state="visible", timeout=20_000)
    return opened, chart


def _difference(page, chart, a: str, b: str):
    chart.locator('[data-testid="importance-mode"][data-mode="difference"]').click()
    panel = chart.locator('[data-testid="importance-difference"]')
    panel.wait_for(state="visible", timeout=TIMEOUT)
    chart.locator('[data-testid="difference-a"]').select_option(a)
    chart.locator('[data-testid="difference-b"]').select_option(b)
    page.wait_for_function(
        "([el, a, b]) => el.dataset.a === a && el.dataset.b === b && el.dataset.state === 'done'",
        arg=[panel.element_handle(), a, b],
        timeout=TIMEOUT,
    )
    return panel


def _same(got: float, want: float, what: str) -> None:
    assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (what, got, want)


def _check_rows(rows: list[dict], df: pd.DataFrame, top: int) -> None:
    assert [r["feature"] for r in rows] == list(df.index[:top])  # exp.compare's order: largest |difference| first
    for r in rows:
        want = df.loc[r["feature"]]
        for key, col in (
            ("difference", "difference"),
            ("low", "ci_low"),
            ("high", "ci_high"),
            ("meanA", "mean_abs_a"),
            ("meanB", "mean_abs_b"),
        ):
            _same(r[key], float(want[col]), f"{r['feature']} {col}")
        excludes = bool(want.excludes_zero)
        assert r["excludes"] == str(excludes).lower()
        assert ("✱" in r["text"]) == excludes and r["solid"] == excludes, r  # text and shape, not colour alone


def test_difference_mode_draws_exp_compare(browser, report, explanation):
    opened, chart = _open(browser, report, accept_downloads=True)
    page = opened.page
    panel = _difference(page, chart, "group a", "group b")
    df = explanation.compare(GROUP_A, GROUP_B)
    rows = panel.evaluate(ROWS)
    _check_rows(rows, df, top=len(rows))
    assert len(rows) == min(10, len(NAMES) + 1)
    assert df.loc["income"].excludes_zero and df.index[0] == "income"  # the planted effect
    caption = panel.locator('[data-testid="difference-caption"]').text_content()
    assert "“group a” − “group b”" in caption and "95% bootstrap intervals (1,000 resamples" in caption
    assert "seed 0" in caption
    assert panel.locator("b").count() == 0  # a feature named <b>score</b> is text
    assert panel.get_by_text("<b>score</b>", exact=True).count() == 1

    # the CSV export holds every feature, in the same order, with the same numbers
    with page.expect_download(timeout=TIMEOUT) as info:
        chart.get_by_role("button", name="Save the importances per cohort as CSV").click()
    name = info.value.suggested_filename
    assert name == "importance-difference-group_a-vs-group_b-price.csv", name
    table = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert [t["feature"] for t in table] == list(df.index)
    for t in table:
        want = df.loc[t["feature"]]
        for col in ("mean_abs_a", "mean_abs_b", "difference", "ci_low", "ci_high"):
            _same(float(t[col]), float(want[col]), f"csv {t['feature']} {col}")
        assert t["excludes_zero"] == str(bool(want.excludes_zero)).lower()
        assert (t["cohort_a"], t["rows_a"], t["n_boot"], t["seed"]) == ("group a", str(df.attrs["rows_a"]), "1000", "0")
    for fmt in ("SVG", "PNG"):
        with page.expect_download(timeout=TIMEOUT) as info:
            chart.get_by_role("button", name=f"Save the importance chart as {fmt}").click()
        assert info.value.suggested_filename.startswith("importance-difference-group_a-vs-group_b")
        assert Path(info.value.path()).stat().st_size > 1000

    # the other way round: the differences change sign
    _difference(page, chart, "group b", "group a")
    _check_rows(panel.evaluate(ROWS), explanation.compare(GROUP_B, GROUP_A), top=6)
    assert opened.errors == [] and opened.blocked == [] and opened.dialogs == []


def test_whiskers_on_the_plain_bars_toggle(browser, report, explanation):
    opened, chart = _open(browser, report)
    page = opened.page
    box = chart.locator('[data-testid="importance-whiskers"]')
    bars = chart.locator('[data-testid="importance-bar"]')
    assert chart.locator(".rw-imp-whisker").count() == 0
    box.check()
    page.wait_for_function(
        "(el) => el.dataset.state === 'done'", arg=chart.locator(".rw-bars").element_handle(), timeout=TIMEOUT
    )
    got = bars.evaluate_all(
        """(bars) => bars.map((b) => ({cohort: b.dataset.cohort, feature: b.closest('.rw-bar-group').dataset.feature,
             low: +b.dataset.low, high: +b.dataset.high}))"""
    )
    assert {g["cohort"] for g in got} == {"All data", "group a", "group b"}
    for cohort in (None, GROUP_A, GROUP_B):
        want = _compare.importance_intervals(explanation, cohort)
        for g in (g for g in got if g["cohort"] == want.attrs["cohort"]):
            _same(g["low"], float(want.loc[g["feature"], "ci_low"]), f"{g} low")
            _same(g["high"], float(want.loc[g["feature"], "ci_high"]), f"{g} high")
    assert chart.locator(".rw-imp-whisker").count() == len(got)
    box.uncheck()
    assert chart.locator(".rw-imp-whisker").count() == 0
    assert bars.first.get_attribute("data-low") is None
    assert opened.errors == [] and opened.blocked == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_screenshots(browser, report, scheme, width):
    opened, chart = _open(browser, report, scheme=scheme, width=width)
    SCREENSHOTS.mkdir(exist_ok=True)
    box = chart.locator('[data-testid="importance-whiskers"]')
    box.check()
    opened.page.wait_for_function(
        "(el) => el.dataset.state === 'done'", arg=chart.locator(".rw-bars").element_handle(), timeout=TIMEOUT
    )
    chart.screenshot(path=str(SCREENSHOTS / f"importance_whiskers_{scheme}_{width}.png"))
    _difference(opened.page, chart, "group a", "group b")
    chart.screenshot(path=str(SCREENSHOTS / f"importance_difference_{scheme}_{width}.png"))
    assert opened.errors == []


AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                     resultTypes: ['violations']});
  return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations(browser, report, scheme):
    """axe-core (as tests/browser/test_accessibility.py runs it) over the whiskered bars and the difference."""
    opened, chart = _open(browser, report, scheme=scheme, bypass_csp=True)
    page = opened.page
    page.add_script_tag(path=str(AXE))
    chart.locator('[data-testid="importance-whiskers"]').check()
    page.wait_for_function(
        "(el) => el.dataset.state === 'done'", arg=chart.locator(".rw-bars").element_handle(), timeout=TIMEOUT
    )
    assert page.evaluate(RUN_AXE) == []
    _difference(page, chart, "group a", "group b")
    assert page.evaluate(RUN_AXE) == []


def test_it_renders_in_jupyterlab(lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot):
    page = lab_page
    run_notebook(
        page,
        [
            "import numpy as np, rai_widget as rw\n"
            "from sklearn.datasets import load_breast_cancer\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "d = load_breast_cancer(as_frame=True); X, y = d.data.iloc[:, :8], d.target\n"
            "model = LogisticRegression(max_iter=2000).fit(X, y)\n"
            "exp = rw.MimicExplainer(model, X).explain(X, y_true=y)\n"
            "big = rw.Cohort('large radius', [rw.Filter('mean radius', '>', 15)])",
            "exp.show(cohorts=[big])",
        ],
    )
    chart = cell_locator(page, 1).locator('[data-testid="importance-chart"]')
    chart.wait_for(state="visible", timeout=30_000)
    chart.locator('[data-testid="importance-mode"][data-mode="difference"]').click()
    panel = chart.locator('[data-testid="importance-difference"]')
    page.wait_for_function("(el) => el.dataset.state === 'done'", arg=panel.element_handle(), timeout=TIMEOUT)
    # the active cohort is all data: the other cohort is a, all data b
    assert (panel.get_attribute("data-a"), panel.get_attribute("data-b")) == ("large radius", "All data")
    rows = panel.evaluate(ROWS)
    assert len(rows) == 8 and all(np.isfinite(r["low"]) and np.isfinite(r["high"]) for r in rows)
    want = kernel_json(run_cell, page, "exp.compare(big, None)[['difference', 'ci_low', 'ci_high']].T.to_dict()")
    assert [r["feature"] for r in rows] == list(want)
    for r in rows:  # the wire's float32 values: the same to float32's precision
        w = want[r["feature"]]
        assert (r["difference"], r["low"], r["high"]) == pytest.approx(
            (w["difference"], w["ci_low"], w["ci_high"]), rel=1e-4, abs=1e-6
        ), r
    screenshot(page, "importance_difference_lab_light", chart)
    set_theme(page, "dark")
    screenshot(page, "importance_difference_lab_dark", chart)
    assert page.rw_errors == []  # type: ignore[attr-defined]
