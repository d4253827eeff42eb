"""The dashboard of a large explanation in the browser: JupyterLab draws the sample at once, every figure
labelled "all N rows" or "sample of n"; a cohort built in the editor shows the sample's figures ("sample of
n", with a running note) until the kernel's population job answers, then its figures over every row ("all N
rows", N the count pandas gives for that cohort on all rows). An offline report keeps the all-row figures of
"All data" and says a new cohort's need the kernel.

The large explanation is tests/population_fake.py's stand-in (every row a pandas explanation, the figures of a
cohort computed on all its rows), held by a gate the test opens, so the sample's figures are seen first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cohort_editor import draft_cohort
from kernel_io import kernel_json
from offline import open_offline
from playwright.sync_api import expect

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TESTS_DIR = Path(__file__).resolve().parents[1]  # population_fake.py: the kernel's PYTHONPATH has only the repo root
SCREENSHOTS = Path(__file__).parent / "screenshots"
N_ROWS, SAMPLE_ROWS = 3000, 300
MODEL = (
    f"import sys, threading\nsys.path.insert(0, {str(TESTS_DIR)!r})\n"
    "import numpy as np, rai_widget as rw\n"
    "from population_fake import FakeLarge, credit_model\n"
    f"explainer, X, y = credit_model({N_ROWS})\n"
    f"large = FakeLarge(explainer, X, y, sample_rows={SAMPLE_ROWS})\n"
)
SETUP = [MODEL + "large.gate = threading.Event()  # the test opens it\ndash = rw.ExplanationDashboard(large)", "dash"]
OLDER = "rw.Cohort('older', [rw.Filter('age', '>', 40)])"
TIMEOUT = 60_000  # ms, under load


def _scope(locator, scope: str, rows: int):
    expect(locator).to_have_attribute("data-scope", scope, timeout=TIMEOUT)
    expect(locator).to_have_attribute("data-rows", str(rows), timeout=TIMEOUT)


def test_a_cohort_built_in_the_editor_shows_the_sample_then_all_its_rows(
    lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot
):
    page = lab_page
    run_notebook(page, SETUP)
    view = cell_locator(page, 1).locator(".jp-OutputArea")
    header = view.get_by_test_id("rows-scope")
    _scope(header, "all", N_ROWS)
    _scope(view.get_by_test_id("fidelity-scope"), "all", N_ROWS)
    assert "stratified sample of 300 of 3,000 rows" in view.get_by_test_id("population-note").inner_text()

    editor = draft_cohort(view, "older", "age", ">", "40")
    editor.get_by_test_id("cohort-save").click()
    in_sample, in_all = kernel_json(run_cell, page, f"[{OLDER}.count(large.sample), int((X['age'] > 40).sum())]")
    assert in_sample < in_all
    # first the sample's figures, labelled, while the kernel computes
    _scope(header, "sample", in_sample)
    expect(header).to_have_text(f"sample of {in_sample}")
    note = view.get_by_test_id("population-note")
    expect(note).to_have_attribute("data-state", "running")
    expect(note).to_contain_text("Computing “older” over all 3,000 rows in the kernel")
    _scope(view.get_by_test_id("fidelity-scope"), "sample", in_sample)
    view.get_by_test_id("tab-importance").click()
    older_bars = view.locator('[data-testid="importance-bar"][data-cohort="older"]')
    expect(older_bars.first).to_have_attribute("data-scope", "sample")
    assert kernel_json(run_cell, page, "dash.population_status['state']") == "running"
    screenshot(page, "population_running_light_1024", view)

    run_cell(page, "large.gate.set()")
    _scope(header, "all", in_all)  # the count pandas gives for the cohort on all rows
    expect(note).to_have_attribute("data-state", "known")
    _scope(view.get_by_test_id("fidelity-scope"), "all", in_all)
    expect(older_bars.first).to_have_attribute("data-scope", "all")
    drawn = {
        b.evaluate("(el) => el.closest('[data-feature]').dataset.feature"): float(b.get_attribute("data-value"))
        for b in older_bars.all()
    }
    truth = kernel_json(
        run_cell,
        page,
        f"dict(zip(large.feature_names, np.abs(large.full.values[{OLDER}.mask(large.full), :, 1]).mean(0).tolist()))",
    )
    assert drawn.keys() == truth.keys()
    np.testing.assert_allclose([drawn[f] for f in truth], list(truth.values()), rtol=1e-9)

    view.get_by_test_id("tab-performance").click()
    accuracy = view.locator('[data-testid="metric-cell"][data-cohort="older"][data-metric="accuracy"]')
    expect(accuracy).to_have_attribute("data-scope", "all", timeout=TIMEOUT)
    want = kernel_json(
        run_cell, page, f"float((large.full.y_pred == large.full.y_true)[{OLDER}.mask(large.full)].mean())"
    )
    assert float(accuracy.get_attribute("data-value")) == pytest.approx(want, rel=1e-12)
    n = view.locator('[data-testid="metrics-n"][data-cohort="older"]')
    expect(n).to_have_attribute("data-n", str(in_all))
    screenshot(page, "population_metrics_light_1024", view.get_by_test_id("metrics-view"))

    view.get_by_test_id("tab-importance").click()
    for theme in ("light", "dark"):
        set_theme(page, theme)
        for width in (1024, 1440):
            page.set_viewport_size({"width": width, "height": 1000})
            expect(older_bars.first).to_have_attribute("data-scope", "all")
            screenshot(page, f"population_lab_{theme}_{width}", view)
    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors


DASK = [
    MODEL.replace(f"large = FakeLarge(explainer, X, y, sample_rows={SAMPLE_ROWS})\n", "")
    + "import cloudpickle, dask.dataframe as dd, distributed, population_fake, warnings\n"
    "cloudpickle.register_pickle_by_value(population_fake)  # the workers need not import the tests' modules\n"
    "with warnings.catch_warnings():\n"
    "    warnings.simplefilter('ignore')\n"
    "    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,\n"
    "                                       host='127.0.0.1', scheduler_kwargs={'dashboard': False})\n"
    "client = distributed.Client(cluster)\n"
    f"large = explainer.explain(dd.from_pandas(X, npartitions=4), y_true=dd.from_pandas(y, npartitions=4),\n"
    f"                          sample_rows={SAMPLE_ROWS})\n"
    "dash = large.show()",
    "dash",
]
# Every label the header's row count shows, in order (the cluster may answer before a poll would see the sample's)
RECORD = """(el) => { window.rwScopes = [];
  new MutationObserver(() => { const c = el.querySelector('[data-testid="rows-scope"]');
    const s = c && `${c.dataset.scope}:${c.dataset.rows}`;
    if (s && window.rwScopes[window.rwScopes.length - 1] !== s) window.rwScopes.push(s); })
  .observe(el, {childList: true, subtree: true, attributes: true}); }"""


def test_a_dask_explanation_pushes_a_cohort_down_to_the_cluster(lab_page, run_notebook, run_cell, cell_locator):
    page = lab_page
    run_notebook(page, DASK, timeout=300)
    view = cell_locator(page, 1).locator(".jp-OutputArea")
    assert kernel_json(run_cell, page, "type(large).__name__") == "LargeTabularExplanation"
    header = view.get_by_test_id("rows-scope")
    _scope(header, "all", N_ROWS)
    view.get_by_test_id("header-rows").evaluate(RECORD)
    editor = draft_cohort(view, "older", "age", ">", "40")
    editor.get_by_test_id("cohort-save").click()
    in_sample, in_all = kernel_json(run_cell, page, f"[{OLDER}.count(large.sample), int((X['age'] > 40).sum())]")
    _scope(header, "all", in_all)  # the count pandas gives for the cohort on all rows, from the cluster
    assert page.evaluate("window.rwScopes") == [f"sample:{in_sample}", f"all:{in_all}"]
    assert kernel_json(run_cell, page, "dash.population_result['rows']") == in_all
    run_cell(page, "client.close(); cluster.close()")
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    namespace: dict = {}
    exec(MODEL, namespace)
    large = namespace["large"]
    older = rw.Cohort("older", [rw.Filter("age", ">", 40)])
    path = rw.ExplanationDashboard(large, cohorts=[older]).save_html(tmp_path_factory.mktemp("pop") / "large.html")
    return path, large, older


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_an_offline_report_keeps_all_data_and_says_new_cohorts_need_the_kernel(browser, report, scheme, width):
    path, large, older = report
    opened = open_offline(browser, path, scheme=scheme, width=width, height=1000)
    page = opened.page
    header = page.get_by_test_id("rows-scope")
    _scope(header, "all", N_ROWS)
    page.get_by_test_id("cohort-select").select_option("older")
    _scope(header, "sample", older.count(large.sample))
    note = page.get_by_test_id("population-note")
    expect(note).to_have_attribute("data-state", "offline")
    expect(note).to_contain_text("need the kernel")
    bars = page.locator('[data-testid="importance-bar"][data-cohort="All data"]')
    expect(bars.first).to_have_attribute("data-scope", "all")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".rw-root").first.screenshot(path=str(SCREENSHOTS / f"population_report_{scheme}_{width}.png"))
    page.close()
    assert not opened.blocked and not opened.errors and not opened.dialogs, (opened.blocked, opened.errors)
