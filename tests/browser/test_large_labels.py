"""The offline report of a large explanation in Chromium: the views drawn from its stratified sample say so.

The distribution chart, the dependence plot and the data explorer label the active cohort's rows "sample of
n" (n: the cohort's rows in the sample, as Python counts them); the cohort picker and the editor's list say
"n of 300 sampled rows", with "all 3,000 rows" for All data (its all-row figures came with the report); the
importance CSV saves what the chart shows (All data's bars over every row, the other cohort's the sample's),
equal to Python's figures, with a computed_on column, and its picture says so. The report of an ordinary
explanation of the same rows shows none of these labels.

The large explanation is tests/population_fake.py's stand-in (every row a pandas explanation, its figures
computed on all rows)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from offline import open_offline
from playwright.sync_api import expect
from population_fake import FakeLarge, credit_model

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
N_ROWS, SAMPLE_ROWS = 3000, 300
TIMEOUT = 30_000  # ms, under load
SVG_TEXT = "{http://www.w3.org/2000/svg}text"


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    explainer, X, y = credit_model(N_ROWS)
    large = FakeLarge(explainer, X, y, sample_rows=SAMPLE_ROWS)
    older = rw.Cohort("older", [rw.Filter("age", ">", 40)])
    out = tmp_path_factory.mktemp("large_labels")
    large_path = rw.ExplanationDashboard(large, cohorts=[older]).save_html(out / "large.html")
    ordinary_path = rw.ExplanationDashboard(large.sample, cohorts=[older]).save_html(out / "ordinary.html")
    return large, older, large_path, ordinary_path


def _open(browser, path, scheme="light", width=1024):
    opened = open_offline(browser, path, scheme=scheme, width=width, height=1000, accept_downloads=True)
    expect(opened.page.get_by_test_id("importance-bar").first).to_be_visible(timeout=TIMEOUT)
    return opened


def _save(page, button) -> bytes:
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click()
    return Path(info.value.path()).read_bytes()


def _chips(locator) -> list[tuple[str, str, str]]:
    """Each label inside `locator`: (scope, rows, text)."""
    return [
        (c.get_attribute("data-scope"), c.get_attribute("data-rows"), c.inner_text())
        for c in locator.locator('[data-testid="scope"]').all()
    ]


def test_a_large_explanations_row_level_views_say_they_draw_the_sample(browser, reports):
    large, older, path, _ = reports
    n_older = older.count(large.sample)
    assert 0 < n_older < SAMPLE_ROWS
    opened = _open(browser, path)
    page = opened.page
    yes = large.output_names.index("yes")

    # the picker: each cohort's rows in the sample; All data's over every row (they came with the report)
    options = page.get_by_test_id("cohort-select").locator("option").all_inner_texts()
    assert options == ["All data (300 of 300 sampled rows · all 3,000 rows)", f"older ({n_older} of 300 sampled rows)"]

    # the distribution chart: one label per cohort, in place of the count
    dist = page.get_by_test_id("importance-distribution")
    expect(dist.locator('[data-testid="scope"]')).to_have_count(2, timeout=TIMEOUT)
    assert _chips(dist.locator(".rw-dist-legend")) == [
        ("sample", "300", "sample of 300"),
        ("sample", str(n_older), f"sample of {n_older}"),
    ]
    assert "All data 300 rows" not in dist.locator(".rw-dist-legend").inner_text()

    # the importance export saves the chart's bars: All data's over all 3,000 rows, older's the sample's
    chart = page.get_by_test_id("importance-chart")
    rows = list(csv.DictReader(io.StringIO(_save(page, chart.get_by_test_id("export-csv")).decode(), newline="")))
    assert {(r["cohort"], r["rows"], r["computed_on"]) for r in rows} == {
        ("All data", "3000", "all rows"),
        ("older", str(n_older), "sample"),
    }
    for name, want in [
        ("All data", large.full.global_importance(output=yes)),  # every row: the engine's figure
        ("older", large.sample.global_importance(older, output=yes)),  # the sample's rows of older
    ]:
        got = {r["feature"]: float(r["mean_abs_shap"]) for r in rows if r["cohort"] == name}
        assert got == pytest.approx(want.to_dict(), rel=1e-6)
    bar = chart.locator('.rw-bar-group[data-feature="age"] [data-testid="importance-bar"][data-cohort="All data"]')
    age_all = next(float(r["mean_abs_shap"]) for r in rows if r["cohort"] == "All data" and r["feature"] == "age")
    assert float(bar.get_attribute("data-value")) == pytest.approx(age_all, rel=1e-12)  # what the screen shows
    texts = [t.text or "" for t in ET.fromstring(_save(page, chart.get_by_test_id("export-svg"))).iter(SVG_TEXT)]
    assert "All data (all 3,000 rows)" in texts and f"older (sample of {n_older})" in texts
    assert any(t.startswith("Bars marked “all … rows” are over every row") for t in texts)
    png = _save(page, chart.get_by_test_id("export-png"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "large_labels_importance_export.png").write_bytes(png)

    # the dependence plot of age, for older: the sample's rows of older
    page.get_by_test_id("cohort-select").select_option("older")
    chart.locator('.rw-bar-group[data-feature="age"]').click()
    dep = page.get_by_test_id("dependence-plot")
    expect(dep.locator(".rw-dep-xtitle")).to_have_text(f'age ({n_older} sampled rows of "older")', timeout=TIMEOUT)
    assert _chips(dep.locator(".rw-dep-legend")) == [("sample", str(n_older), f"sample of {n_older}")]

    # the data explorer
    page.get_by_test_id("tab-explorer").click()
    explorer = page.get_by_test_id("data-explorer")
    expect(explorer.locator(".rw-ex-xtitle")).to_contain_text(f'({n_older} sampled rows of "older")', timeout=TIMEOUT)
    assert _chips(explorer.get_by_test_id("explorer-legend")) == [("sample", str(n_older), f"sample of {n_older}")]

    # the cohort editor's list
    page.get_by_test_id("tab-cohorts").click()
    counts = page.get_by_test_id("cohort-count").all_inner_texts()
    assert counts == ["300 of 300 sampled rows · all 3,000 rows", f"{n_older} of 300 sampled rows"]
    page.locator(".rw-root").first.screenshot(path=str(SCREENSHOTS / "large_labels_cohorts_light_1024.png"))
    page.close()
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_screenshots_of_the_labelled_distribution_and_explorer(browser, reports, scheme, width):
    _, _, path, _ = reports
    opened = _open(browser, path, scheme, width)
    page = opened.page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dist = page.get_by_test_id("importance-distribution")
    expect(dist.locator('[data-testid="scope"]').first).to_be_visible(timeout=TIMEOUT)
    expect(dist).to_have_attribute("data-complete", "true", timeout=TIMEOUT)
    dist.screenshot(path=str(SCREENSHOTS / f"large_labels_distribution_{scheme}_{width}.png"))
    page.get_by_test_id("tab-explorer").click()
    explorer = page.get_by_test_id("data-explorer")
    expect(explorer.locator('[data-testid="scope"]')).to_be_visible(timeout=TIMEOUT)
    explorer.screenshot(path=str(SCREENSHOTS / f"large_labels_explorer_{scheme}_{width}.png"))
    page.close()
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)


def test_an_ordinary_explanations_views_carry_no_sample_label(browser, reports):
    large, older, _, path = reports
    opened = _open(browser, path)
    page = opened.page
    n_older = older.count(large.sample)
    options = page.get_by_test_id("cohort-select").locator("option").all_inner_texts()
    assert options == ["All data", "older"]
    legend = page.get_by_test_id("importance-distribution").locator(".rw-dist-legend .rw-legend-item")
    assert legend.all_text_contents()[:2] == ["All data 300 rows", f"older {n_older} rows"]
    chart = page.get_by_test_id("importance-chart")
    header = _save(page, chart.get_by_test_id("export-csv")).decode().splitlines()[0]
    assert header == "cohort,rows,output,feature,mean_abs_shap"
    chart.locator('.rw-bar-group[data-feature="age"]').click()
    expect(page.get_by_test_id("dependence-plot").locator(".rw-dep-xtitle")).to_have_text(
        'age (300 rows of "All data")'
    )
    page.get_by_test_id("tab-explorer").click()
    expect(page.get_by_test_id("data-explorer").locator(".rw-ex-xtitle")).to_contain_text('(300 rows of "All data")')
    page.get_by_test_id("tab-cohorts").click()
    assert page.get_by_test_id("cohort-count").all_inner_texts() == [
        "300 rows (100.0%)",
        f"{n_older} rows ({100 * n_older / 300:.1f}%)",
    ]
    assert page.locator('[data-testid="scope"], [data-testid="rows-scope"]').count() == 0
    page.close()
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)
