"""The offline report of a large explanation in Chromium: the files it saves say what they were computed on.

The data explorer's CSV and the Difference mode's CSV are downloaded from the report and read: every line has
a computed_on column reading "sample" (they draw the stratified sample), and their figures are Python's on the
sample's rows (the explorer's points: the rows of the cohort in the sample, their feature value and
probability; the Difference: exp.compare(a, b) of the sample). The same files of an ordinary explanation of the
same rows have no such column. The Difference picture says the cohorts' rows are the sample's (its PNG is kept
in tests/browser/screenshots to look at).

The large explanation is tests/population_fake.py's stand-in (every row a pandas explanation)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from offline import open_offline
from playwright.sync_api import expect
from population_fake import FakeLarge, credit_model

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
N_ROWS, SAMPLE_ROWS = 1200, 200
TIMEOUT = 30_000  # ms, under load
OLDER = rw.Cohort("older", [rw.Filter("age", ">", 40)])


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    explainer, X, y = credit_model(N_ROWS)
    large = FakeLarge(explainer, X, y, sample_rows=SAMPLE_ROWS)
    out = tmp_path_factory.mktemp("large_exports")
    dashboard = rw.ExplanationDashboard
    large_path = dashboard(large, cohorts=[OLDER], active_cohort="older").save_html(out / "large.html")
    ordinary = dashboard(large.sample, cohorts=[OLDER], active_cohort="older").save_html(out / "ordinary.html")
    return large, large_path, ordinary


def _open(browser, path):
    opened = open_offline(browser, path, width=1024, height=1000, accept_downloads=True)
    expect(opened.page.get_by_test_id("importance-bar").first).to_be_visible(timeout=TIMEOUT)
    return opened


def _save(page, button) -> tuple[str, bytes]:
    with page.expect_download(timeout=TIMEOUT) as info:
        button.click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def _table(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _explorer_csv(page) -> tuple[list[str], list[dict[str, str]]]:
    page.get_by_test_id("tab-explorer").click()
    explorer = page.get_by_test_id("data-explorer")
    expect(explorer.locator(".rw-ex-xtitle")).to_contain_text('of "older"', timeout=TIMEOUT)
    name, data = _save(page, explorer.get_by_test_id("export-csv"))
    assert name.startswith("data-explorer-") and name.endswith(".csv"), name
    return _table(data)


def _difference(page):
    chart = page.get_by_test_id("importance-chart")
    chart.locator('[data-testid="importance-mode"][data-mode="difference"]').click()
    panel = chart.locator('[data-testid="importance-difference"]')
    page.wait_for_function(
        "(el) => el.dataset.a === 'older' && el.dataset.b === 'All data' && el.dataset.state === 'done'",
        arg=panel.element_handle(),
        timeout=TIMEOUT,
    )
    return chart, panel


def test_the_explorer_and_difference_files_of_a_large_explanation_say_sample(browser, reports):
    large, path, _ = reports
    sample = large.sample
    older = np.flatnonzero(OLDER.mask(sample))  # positions in the sample: the view's rows
    assert 0 < len(older) < SAMPLE_ROWS
    opened = _open(browser, path)
    page = opened.page

    # the data explorer: one line per row of older in the sample, each computed on the sample
    header, rows = _explorer_csv(page)
    assert header[-1] == "computed_on", header
    assert {r["computed_on"] for r in rows} == {"sample"}
    assert sorted(int(r["row"]) for r in rows) == older.tolist()
    x, y = header[1], header[2]
    assert x in sample.feature_names and y == "P(yes)", header
    yes = sample.output_names.index("yes")
    for r in rows:
        i = int(r["row"])
        assert float(r[x]) == pytest.approx(float(sample.data[x].iloc[i]), rel=1e-6)  # float32 on the wire
        assert float(r[y]) == pytest.approx(float(sample.probabilities[i, yes]), rel=1e-6, abs=1e-7)

    # the Difference mode: exp.compare(older, All data) of the sample, each line computed on the sample
    page.get_by_test_id("tab-importance").click()
    chart, panel = _difference(page)
    expect(panel.get_by_test_id("difference-scope")).to_contain_text("Computed on the sample")
    name, data = _save(page, chart.get_by_test_id("export-csv"))
    assert name.startswith("importance-difference-older-vs-All_data"), name
    header, table = _table(data)
    assert header[-1] == "computed_on", header
    want = sample.compare(OLDER, rw.Cohort("All data", []), output="yes")
    assert [t["feature"] for t in table] == list(want.index)
    for t in table:
        assert t["computed_on"] == "sample"
        assert (t["rows_a"], t["rows_b"]) == (str(len(older)), str(SAMPLE_ROWS))
        for col in ("mean_abs_a", "mean_abs_b", "difference", "ci_low", "ci_high"):
            # the view's values are the wire's float32: means agree to ~1e-9, so their differences to ~1e-9 absolute
            assert float(t[col]) == pytest.approx(float(want.loc[t["feature"], col]), rel=1e-9, abs=1e-8), col
    _, svg = _save(page, chart.get_by_test_id("export-svg"))
    text = svg.decode("utf-8")
    assert f"larger in a: older (sample of {len(older)})" in text
    assert f"larger in b: All data (sample of {SAMPLE_ROWS})" in text
    assert "stratified sample of 200 of 1,200 rows." in text
    _, png = _save(page, chart.get_by_test_id("export-png"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "large_exports_difference.png").write_bytes(png)
    page.close()
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)


def test_an_ordinary_explanations_files_have_no_computed_on(browser, reports):
    large, _, path = reports
    opened = _open(browser, path)
    page = opened.page
    header, rows = _explorer_csv(page)
    assert "computed_on" not in header and len(rows) == int(OLDER.mask(large.sample).sum())
    page.get_by_test_id("tab-importance").click()
    chart, _ = _difference(page)
    header, _ = _table(_save(page, chart.get_by_test_id("export-csv"))[1])
    assert header[-1] == "seed", header
    assert "sample of" not in _save(page, chart.get_by_test_id("export-svg"))[1].decode("utf-8")
    page.close()
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)
