"""The interaction heatmap of the importance tab: an offline report (Chromium, file://, every request refused)
shows the kernel's matrix (exp.interactions, read back from the cells' data attributes) in the importance
chart's order; a click on a cell opens the dependence plot of its row's feature coloured by its column's, and a
bar's click colours by the feature's strongest partner; without the matrix, a note says how to compute it.
One JupyterLab render. Screenshots light and dark, 1024 and 1440 px wide."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
N = 600
TOP_K = 5


def _scores(frame):
    # income x owner is the planted interaction; age and region act alone
    z = (
        1.5 * (frame["income"].to_numpy() - 1) * (frame["owner"].to_numpy() * 2 - 1)
        - 0.04 * (frame["age"].to_numpy() - 45)
        + 0.8 * (frame["region"].astype(str).to_numpy() == "south")
        + 0.1 * frame["debt"].to_numpy()
    )
    p = 1 / (1 + np.exp(-z))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def explainer_and_data():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(
        {
            "income": rng.normal(1, 1, N),
            "age": rng.integers(18, 80, N).astype(float),
            "region": pd.Categorical(rng.choice(["north", "south", "east"], N)),
            "owner": rng.random(N) < 0.5,
            "debt": rng.normal(0, 1, N),
            "noise": rng.normal(0, 1, N),
        }
    )
    return rw.MimicExplainer(_scores, X, task="classification", classes=["no", "yes"]), X


@pytest.fixture(scope="module")
def explanation(explainer_and_data):
    explainer, X = explainer_and_data
    exp = explainer.explain(X)
    explainer.interactions(exp, n=400)
    return exp


@pytest.fixture(scope="module")
def report(explanation, tmp_path_factory):
    return explanation.save_html(tmp_path_factory.mktemp("interactions") / "interactions.html")


@pytest.fixture(scope="module")
def plain_report(explainer_and_data, tmp_path_factory):
    explainer, X = explainer_and_data
    return explainer.explain(X.iloc[:100]).save_html(tmp_path_factory.mktemp("plain") / "plain.html")


def _open(browser, report, scheme="light", width=1100):
    opened = open_offline(browser, report, scheme=scheme, width=width, height=1000)
    matrix = opened.page.locator('[data-testid="interaction-matrix"]')
    matrix.wait_for(state="visible", timeout=20_000)
    opened.page.locator('[data-testid="importance-chart"] input[type="range"]').fill(str(TOP_K))
    opened.page.wait_for_function(
        "([el, k]) => el.querySelectorAll('button.rw-ix-cell').length === k * k", arg=[matrix.element_handle(), TOP_K]
    )
    return opened, matrix


def _cells(matrix) -> list[dict]:
    return matrix.evaluate(
        """(el) => Array.from(el.querySelectorAll('button.rw-ix-cell'),
             (b) => ({row: b.dataset.row, col: b.dataset.col, value: +b.dataset.value}))"""
    )


def test_the_heatmap_shows_the_kernels_values_in_the_importance_order(browser, report, explanation):
    opened, matrix = _open(browser, report)
    page = opened.page
    bars = page.locator('[data-testid="importance-chart"] .rw-bar-group')
    order = [bars.nth(i).get_attribute("data-feature") for i in range(bars.count())]
    assert len(order) == TOP_K
    assert order == list(explanation.global_importance(output="yes").index[:TOP_K])
    cells = _cells(matrix)
    assert [(c["row"], c["col"]) for c in cells] == [(a, b) for a in order for b in order]
    want = explanation.interactions.astype(np.float32)
    for c in cells:
        assert c["value"] == float(want.loc[c["row"], c["col"]]), c
    labels = matrix.locator("th.rw-ix-rowlabel").all_inner_texts()
    assert labels == order
    assert "over 400 rows" in page.locator(".rw-ix-caption").inner_text()
    assert opened.errors == [] and opened.dialogs == []
    assert opened.blocked == [], f"the report made requests: {opened.blocked}"


def test_a_click_opens_the_dependence_plot_coloured_by_the_partner(browser, report, explanation):
    opened, matrix = _open(browser, report)
    page = opened.page
    plot = page.locator('[data-testid="dependence-plot"]')
    names = explanation.feature_names
    matrix.locator('button.rw-ix-cell[data-row="income"][data-col="age"]').click()
    page.wait_for_function("(el) => +el.dataset.points > 0", arg=plot.element_handle())
    assert plot.locator('select[title="Feature on the x axis"]').input_value() == str(names.index("income"))
    assert plot.locator('select[title="What colours the points"]').input_value() == "feature:age"
    assert "age" in plot.locator(".rw-dep-legend").inner_text()
    assert matrix.locator("button.rw-selected").get_attribute("data-col") == "age"

    # a bar's click: the feature's strongest partner colours it (income's is owner, the planted pair)
    m = explanation.interactions.to_numpy().copy()
    np.fill_diagonal(m, -1)
    partner = names[int(m[names.index("income")].argmax())]
    assert partner == "owner"
    page.locator('[data-testid="importance-chart"] .rw-bar-group[data-feature="age"]').click()
    page.locator('[data-testid="importance-chart"] .rw-bar-group[data-feature="income"]').click()
    page.wait_for_function(
        "(el) => el.querySelector('select[title=\"What colours the points\"]').value === 'feature:owner'",
        arg=plot.element_handle(),
    )
    assert opened.errors == [] and opened.blocked == []


def test_without_the_matrix_a_note_says_how_to_compute_it(browser, plain_report):
    opened = open_offline(browser, plain_report, width=1100, height=900)
    note = opened.page.locator('[data-testid="interaction-note"]')
    note.wait_for(state="visible", timeout=20_000)
    assert "explainer.interactions(exp)" in note.inner_text()
    assert opened.page.locator('[data-testid="interaction-matrix"]').count() == 0
    opened.page.locator('[data-testid="importance-chart"] .rw-bar-group').first.click()
    plot = opened.page.locator('[data-testid="dependence-plot"]')
    assert plot.locator('select[title="What colours the points"]').input_value() == "cohort"
    assert opened.errors == [] and opened.blocked == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_screenshots(browser, report, scheme, width):
    opened, matrix = _open(browser, report, scheme=scheme, width=width)
    matrix.locator('button.rw-ix-cell[data-row="income"][data-col="owner"]').click()
    SCREENSHOTS.mkdir(exist_ok=True)
    opened.page.locator(".rw-ix").screenshot(path=str(SCREENSHOTS / f"interactions_{scheme}_{width}.png"))
    assert opened.errors == []


AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const r = await axe.run(document.querySelector('.rw-ix'),
                          {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_in_the_heatmap(browser, report, scheme):
    opened = open_offline(browser, report, scheme=scheme, width=1280, height=1000, bypass_csp=True)
    opened.page.locator('[data-testid="interaction-matrix"]').wait_for(state="visible", timeout=20_000)
    opened.page.locator('button.rw-ix-cell[data-row="income"][data-col="owner"]').click()
    opened.page.add_script_tag(path=str(AXE))
    assert opened.page.evaluate(RUN_AXE) == []


def test_it_renders_in_jupyterlab(lab_page, run_notebook, cell_locator, screenshot):
    page = lab_page
    run_notebook(
        page,
        [
            "import numpy as np, pandas as pd, rai_widget as rw\n"
            "rng = np.random.default_rng(0)\n"
            "X = pd.DataFrame(rng.normal(size=(800, 4)), columns=['x0', 'x1', 'x2', 'x3'])\n"
            "f = lambda X: (X['x0'] * X['x1'] + X['x2']).to_numpy()\n"
            "explainer = rw.MimicExplainer(f, X, task='regression')\n"
            "exp = explainer.explain(X)\n"
            "m = explainer.interactions(exp)",
            "exp.show()",
        ],
    )
    matrix = cell_locator(page, 1).locator('[data-testid="interaction-matrix"]')
    matrix.wait_for(state="visible", timeout=30_000)
    assert matrix.locator("button.rw-ix-cell").count() == 16
    strongest = max((c for c in _cells(matrix) if c["row"] != c["col"]), key=lambda c: c["value"])
    assert {strongest["row"], strongest["col"]} == {"x0", "x1"}
    screenshot(page, "interactions_lab_light", matrix)
    assert page.rw_errors == []  # type: ignore[attr-defined]
