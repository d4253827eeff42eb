"""The offline report of an ordinary explanation of more rows than max_rows, in Chromium: it reads as a large
explanation's does. The header, the fidelity badge and All data's importance bars say "all 300,000 rows" (with
Python's figures over every row), the row-level views "sample of n" (n: Python's count of the sample's rows),
the page's note and the view's note name the stratified sample; a cohort given at save time shows its rows in
the sample. The explanation is tests/test_report_max_rows.py's 300,000-row one (arrays, no model)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from offline import open_offline
from playwright.sync_api import expect
from test_report_max_rows import synthetic

import rai_widget as rw
from rai_widget.explanations import _sample

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
N_ROWS, MAX_ROWS = 300_000, 3_000
TIMEOUT = 30_000  # ms, under load


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    exp = synthetic(N_ROWS)
    high = rw.Cohort("x0 high", [rw.Filter("x0", ">", 1)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.RaiWidgetWarning)  # that it holds a sample: tests/test_report_max_rows.py
        path = exp.save_html(tmp_path_factory.mktemp("sample_view") / "big.html", max_rows=MAX_ROWS, cohorts=[high])
    sample = _sample.subset(exp, _sample.sample_positions(exp, MAX_ROWS))
    return exp, sample, high, path


def _scope(locator, scope: str, rows: int, text: str):
    expect(locator).to_have_attribute("data-scope", scope, timeout=TIMEOUT)
    expect(locator).to_have_attribute("data-rows", str(rows))
    expect(locator).to_have_text(text)


def test_the_report_of_a_sample_labels_every_figure_all_rows_or_sample(browser, saved):
    exp, sample, high, path = saved
    opened = open_offline(browser, path, width=1024, height=1000)
    page = opened.page
    expect(page.get_by_test_id("importance-bar").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator("#rw-report-title")).to_have_text("Tabular explanation: 300,000 rows, 3 classes")
    expect(page.locator(".rw-report-note")).to_contain_text("stratified sample of 3,000 of the 300,000 rows")
    expect(page.get_by_test_id("population-note")).to_contain_text("stratified sample of 3,000 of 300,000 rows")

    # All data: the header, the fidelity badge and the bars over every row, with Python's figures
    _scope(page.get_by_test_id("rows-scope"), "all", N_ROWS, "all 300,000 rows")
    _scope(page.get_by_test_id("fidelity-scope"), "all", N_ROWS, "all 300,000 rows")
    expect(page.get_by_test_id("fidelity")).to_contain_text(f"agreement {exp.fidelity['agreement']:.1%}")
    page.get_by_test_id("class-select").select_option("output:2")  # "reject", the rare class
    bars = page.locator('[data-testid="importance-bar"][data-cohort="All data"]')
    expect(bars.first).to_have_attribute("data-scope", "all", timeout=TIMEOUT)
    everywhere, on_sample = exp.global_importance(output="reject"), sample.global_importance(output="reject")
    for feature in exp.feature_names:
        bar = page.locator(
            f'.rw-bar-group[data-feature="{feature}"] [data-testid="importance-bar"][data-cohort="All data"]'
        )
        shown = float(bar.get_attribute("data-value"))
        assert shown == pytest.approx(everywhere[feature], rel=1e-12), feature
        assert shown != pytest.approx(on_sample[feature], rel=1e-6), feature  # not the sample's

    # the row-level views draw the sample
    n_high = high.count(sample)
    assert 0 < n_high < MAX_ROWS
    dist = page.get_by_test_id("importance-distribution")
    chips = dist.locator('.rw-dist-legend [data-testid="scope"]')
    expect(chips).to_have_count(2, timeout=TIMEOUT)
    assert chips.all_inner_texts() == ["sample of 3,000", f"sample of {n_high:,}"]

    # the model's performance over every row
    page.get_by_test_id("tab-performance").click()
    accuracy = page.locator('[data-testid="metric-cell"][data-cohort="All data"][data-metric="accuracy"]')
    expect(accuracy).to_have_attribute("data-scope", "all", timeout=TIMEOUT)
    expect(accuracy).to_contain_text(f"{(exp.y_true == exp.y_pred).mean():.3f}")

    # a cohort saved with the report: its rows in the sample (the report has no kernel for all of them)
    page.get_by_test_id("cohort-select").select_option("x0 high")
    _scope(page.get_by_test_id("rows-scope"), "sample", n_high, f"sample of {n_high:,}")
    expect(page.get_by_test_id("population-note")).to_have_attribute("data-state", "offline")
    page.close()
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_screenshots_of_the_report_of_a_sample(browser, saved, scheme, width):
    *_, path = saved
    opened = open_offline(browser, path, scheme=scheme, width=width, height=900)
    page = opened.page
    expect(page.get_by_test_id("importance-distribution")).to_have_attribute("data-complete", "true", timeout=TIMEOUT)
    _scope(page.get_by_test_id("rows-scope"), "all", N_ROWS, "all 300,000 rows")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"report_sample_{scheme}_{width}.png"))
    page.close()
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)
