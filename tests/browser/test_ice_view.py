"""ICE curves in the browser: rows selected in the table get their curves from the kernel's ice job in
JupyterLab (the values drawn are explainer.ice's), and an offline report draws what save_html precomputed,
switching features, with every network request refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from kernel_io import kernel_json
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOTS = Path(__file__).parent / "screenshots"

MODEL = (
    "import numpy as np, pandas as pd, rai_widget as rw\n"
    "rng = np.random.default_rng(0)\n"
    "n = 300\n"
    "X = pd.DataFrame({'income': rng.normal(50, 12, n), 'children': rng.integers(0, 5, n).astype(float),\n"
    "                  'group': np.where(np.arange(n) % 2 == 0, 'a', 'b')})\n"
    "def predict_proba(frame):\n"
    "    z = (frame['income'].to_numpy() - 50) / 8 + 0.4 * frame['children'].to_numpy() - 0.8"
    " + (frame['group'] == 'b').to_numpy() * 0.7\n"
    "    p = 1 / (1 + np.exp(-z))\n"
    "    return np.column_stack([1 - p, p])\n"
    "explainer = rw.MimicExplainer(predict_proba, X, task='classification', classes=['no', 'yes'])\n"
    "exp = explainer.explain(X)\n"
)
SETUP = [MODEL + "dash = exp.show()", "dash"]
DASHBOARD_CELL = 1

CURVES = """(plot) => Array.from(plot.querySelectorAll('[data-testid="ice-curve"]')).map(
  (c) => [Number(c.dataset.row), c.dataset.values.split(',').map(Number)])"""


def _drawn(page, plot, n: int, feature: str | None = None, timeout: float = 60_000):
    """Wait until `n` curves (of `feature`) are drawn and the job is done; return {row: values}."""
    page.wait_for_function(
        "([el, n, f]) => el.dataset.curves === String(n) && el.dataset.state !== 'running'"
        " && (f === null || el.dataset.feature === f)",
        arg=[plot.element_handle(), n, feature],
        timeout=timeout,
    )
    return dict(plot.evaluate(CURVES))


def test_selected_rows_get_their_ice_curves_from_the_kernel(
    lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot
):
    page = lab_page
    run_notebook(page, SETUP)
    output = cell_locator(page, DASHBOARD_CELL).locator(".jp-OutputArea")
    output.get_by_test_id("tab-rows").click()
    plot = output.get_by_test_id("ice-plot")
    plot.wait_for(state="visible")
    assert "Select rows in the table" in plot.get_by_test_id("ice-message").text_content()

    table = output.get_by_test_id("row-table")
    table.locator('[data-testid="row"][data-row="3"]').click()
    table.locator('[data-testid="row"][data-row="8"]').click()
    drawn = _drawn(page, plot, 2)
    feature = plot.get_attribute("data-feature")
    expected = kernel_json(
        run_cell, page, f"explainer.ice(exp.data.iloc[[3, 8]], {feature!r}, grid=20).values.tolist()"
    )
    assert sorted(drawn) == [3, 8]
    np.testing.assert_allclose([drawn[3], drawn[8]], expected, rtol=1e-5, atol=1e-5)
    assert kernel_json(run_cell, page, "dash.ice_status['state']") == "done"

    # Another feature, a narrower range and fewer steps: asked of the kernel, drawn as it answers.
    plot.get_by_test_id("ice-feature").select_option(label="children")
    drawn = _drawn(page, plot, 2, "children")
    assert all(len(v) == 5 for v in drawn.values()), drawn  # the whole numbers 0 to 4
    plot.get_by_test_id("ice-feature").select_option(label="income")
    plot.get_by_test_id("ice-lo").fill("40")
    plot.get_by_test_id("ice-hi").fill("60")
    plot.get_by_test_id("ice-steps").fill("5")
    plot.get_by_test_id("ice-steps").press("Tab")  # a change is committed when the field is left
    page.wait_for_function(
        "(el) => el.querySelector('.rw-dep-xtitle').textContent.includes('5 values from 40 to 60')",
        arg=plot.element_handle(),
        timeout=60_000,
    )
    drawn = _drawn(page, plot, 2, "income")
    expected = kernel_json(
        run_cell, page, "explainer.ice(exp.data.iloc[[3, 8]], 'income', grid=[40, 45, 50, 55, 60]).values.tolist()"
    )
    np.testing.assert_allclose([drawn[3], drawn[8]], expected, rtol=1e-5, atol=1e-5)

    for theme in ("light", "dark"):
        set_theme(page, theme)
        for width in (1024, 1440):
            page.set_viewport_size({"width": width, "height": 1000})
            page.wait_for_function("(el) => el.dataset.curves === '2'", arg=plot.element_handle())
            screenshot(page, f"ice_lab_{theme}_{width}", plot)
    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    namespace: dict = {}
    exec(MODEL, namespace)  # the notebook's model, here, to save its report and compare with
    exp, explainer = namespace["exp"], namespace["explainer"]
    dash = rw.ExplanationDashboard(exp, selected_rows=[4, 11])
    path = dash.save_html(tmp_path_factory.mktemp("ice") / "ice.html")
    return path, explainer, exp


def test_an_offline_report_draws_the_precomputed_ice_and_switches_features(browser, report):
    path, explainer, exp = report
    for scheme in ("light", "dark"):
        for width in (1024, 1440):
            opened = open_offline(browser, path, scheme=scheme, width=width, height=1000)
            page = opened.page
            page.get_by_test_id("tab-rows").click()
            plot = page.get_by_test_id("ice-plot")
            plot.wait_for(state="visible")
            top = exp.global_importance().index[0]
            drawn = _drawn(page, plot, 2, top, timeout=20_000)
            expected = explainer.ice(exp.data.iloc[[4, 11]], top)
            np.testing.assert_allclose([drawn[4], drawn[11]], expected.to_numpy(), rtol=1e-5, atol=1e-5)
            assert "computed when this report was saved" in plot.locator(".rw-ice-note").text_content()
            assert plot.get_by_test_id("ice-steps").is_hidden()  # fixed in a report
            plot.scroll_into_view_if_needed()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            plot.screenshot(path=str(SCREENSHOTS / f"ice_report_{scheme}_{width}.png"))

            other = next(f for f in exp.global_importance().index[1:5] if f != top)
            plot.get_by_test_id("ice-feature").select_option(label=other)
            drawn = _drawn(page, plot, 2, other, timeout=20_000)
            expected = explainer.ice(exp.data.iloc[[4, 11]], other)
            np.testing.assert_allclose([drawn[4], drawn[11]], expected.to_numpy(), rtol=1e-5, atol=1e-5)

            # a row of the precomputed ones alone: select it in the table (a click toggles row 4 off)
            page.get_by_test_id("row-table").locator('[data-testid="row"][data-row="4"]').click()
            assert set(_drawn(page, plot, 1, other, timeout=20_000)) == {11}
            page.close()
            assert not opened.blocked, opened.blocked
            assert not opened.errors and not opened.dialogs, (opened.errors, opened.dialogs)


def test_the_report_of_a_loaded_explanation_says_ice_needs_the_model(browser, report, tmp_path):
    _, _, exp = report
    loaded = rw.load(exp.save(tmp_path / "e.npz"))
    path = rw.ExplanationDashboard(loaded).save_html(tmp_path / "plain.html")
    opened = open_offline(browser, path)
    page = opened.page
    page.get_by_test_id("tab-rows").click()
    message = page.get_by_test_id("ice-plot").get_by_test_id("ice-message")
    message.wait_for(state="visible")
    assert message.text_content().startswith("ICE is not available in an offline report")
    page.close()
    assert not opened.errors, opened.errors
