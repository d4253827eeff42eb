"""The data explorer tab in a real browser.

JupyterLab: a region brushed in the explorer becomes a cohort in `dash.cohorts` with the rows the kernel's
`Cohort.mask` selects (column axes: filters; a probability axis: the listed rows); a clicked point becomes
`dash.selected_rows`. Offline report with every request refused: the explorer renders, the aggregate view
draws boxes, switching axes responds, with no script error and no request. Screenshots in light and dark
at 1024 and 1440 px.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest
from kernel_io import kernel_json, wait_for_kernel
from offline import open_offline
from playwright.sync_api import expect

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
N_ROWS = 400

# Pixels of the explorer's canvas that are painted (alpha > 0), and how many have the given colour.
PAINTED = """(canvas) => {
  const {data} = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let k = 3; k < data.length; k += 4) if (data[k] > 0) n++;
  return n;
}"""


# Built the same way in the test process (offline report) and in the notebook's kernel (JupyterLab).
EXPLANATION = f"""
import numpy as np, pandas as pd, rai_widget as rw
rng = np.random.default_rng(0)
n = {N_ROWS}
X = pd.DataFrame({{
    "income": rng.normal(50, 12, n).round(2),
    "children": rng.integers(0, 5, n).astype(float),
    "region": pd.Categorical(rng.choice(["north", "south", "east"], n)),
}})

def predict_proba(frame):
    z = (frame["income"].to_numpy() - 50) / 8 + 0.4 * frame["children"].to_numpy() - 0.8
    p = 1 / (1 + np.exp(-z))
    return np.column_stack([1 - p, p])

predicted = np.where(predict_proba(X)[:, 1] > 0.5, "yes", "no")
y = np.where(np.arange(n) % 7 == 0, np.where(predicted == "yes", "no", "yes"), predicted)
exp = rw.MimicExplainer(predict_proba, X, task="classification", classes=["no", "yes"]).explain(X, y_true=y)
"""


def _explanation():
    scope: dict = {}
    exec(EXPLANATION, scope)  # noqa: S102 - the test's own code, shared with the notebook
    return scope["exp"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    exp = _explanation()
    cohorts = [rw.Cohort("many children", [rw.Filter("children", ">=", 3)])]
    return exp.save_html(tmp_path_factory.mktemp("explorer") / "explorer.html", cohorts=cohorts)


def _open_tab(root):
    root.get_by_test_id("tab-explorer").click()
    explorer = root.get_by_test_id("data-explorer")
    explorer.wait_for(state="visible", timeout=30_000)
    return explorer


def _drawn(page, explorer, mode: str = "individual"):
    page.wait_for_function(
        "([el, mode]) => el.dataset.mode === mode && el.dataset.drawMs !== undefined",
        arg=[explorer.element_handle(), mode],
        timeout=30_000,
    )


def _choose(page, explorer, testid: str, value: str, mode: str = "individual"):
    """Pick `value` in a select of the explorer and wait for the redraw it causes."""
    select = explorer.get_by_test_id(testid)
    if select.input_value() == value:
        return
    before = explorer.get_attribute("data-draws")
    select.select_option(value)
    page.wait_for_function(
        "([el, before, mode]) => el.dataset.draws !== before && el.dataset.mode === mode",
        arg=[explorer.element_handle(), before, mode],
        timeout=30_000,
    )


def _active(page, root, explorer, name: str):
    """Make `name` the active cohort (the header's picker) and wait for the explorer's redraw."""
    before = explorer.get_attribute("data-draws")
    root.get_by_test_id("cohort-select").first.select_option(name)
    page.wait_for_function("([el, before]) => el.dataset.draws !== before", arg=[explorer.element_handle(), before])


def _drag(page, area, fx0: float, fy0: float, fx1: float, fy1: float):
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    page.mouse.move(box["x"] + box["width"] * fx0, box["y"] + box["height"] * fy0)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * fx1, box["y"] + box["height"] * fy1, steps=6)
    page.mouse.up()


# --------------------------------------------------------------------------- offline report


def _assert_full_width(area):
    widths = area.evaluate("(a) => [a.clientWidth, parseFloat(a.querySelector('canvas').style.width)]")
    assert abs(widths[0] - widths[1]) <= 1, f"the canvas is {widths[1]} px wide in an area of {widths[0]} px"


def _save(page, explorer, fmt: str) -> tuple[str, bytes]:
    """Click the explorer's export button for `fmt`; (file name, bytes)."""
    with page.expect_download(timeout=15_000) as info:
        explorer.get_by_test_id(f"export-{fmt}").click()
    dl = info.value
    return dl.suggested_filename, Path(dl.path()).read_bytes()


def _csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_offline_explorer_renders_aggregates_and_responds(browser, report):
    opened = open_offline(browser, report, width=1200, height=1000, accept_downloads=True)
    page = opened.page
    explorer = _open_tab(page.locator("body"))
    _drawn(page, explorer)
    assert int(explorer.get_attribute("data-points")) == N_ROWS
    canvas = explorer.locator("canvas")
    assert canvas.evaluate(PAINTED) > 500, "the scatter paints no points"

    # hidden and shown again (another tab; JupyterLab swapping themes): drawn at the full width again
    frames = (
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r))))"
    )
    explorer.evaluate(f"async (el) => {{ el.closest('.rw-panel').hidden = true; await ({frames})(); }}")
    explorer.evaluate(f"async (el) => {{ el.closest('.rw-panel').hidden = false; await ({frames})(); }}")
    area = explorer.get_by_test_id("explorer-area")
    _assert_full_width(area)

    # switching axes responds: the title follows and the points are repainted
    _choose(page, explorer, "explorer-x", "feature:region")
    expect(explorer.locator(".rw-dep-xtitle")).to_contain_text("region")
    expect(explorer.locator(".rw-dep-xticks")).to_contain_text("north")
    _choose(page, explorer, "explorer-y", "shap:income")
    expect(explorer.locator(".rw-ex-ytitle")).to_contain_text("SHAP value of income toward class yes")
    _choose(page, explorer, "explorer-colour", "feature:children")
    legend = explorer.get_by_test_id("explorer-legend")
    expect(legend).to_contain_text("children")
    # the CSV holds the plotted rows' x, y and colour values
    name, data = _save(page, explorer, "csv")
    assert name.endswith(".csv") and "region" in name, name
    rows = _csv(data)
    assert len(rows) == N_ROWS
    assert set(rows[0]) == {"row", "region", "SHAP income", "colour_children", "colour"}, rows[0]
    assert {r["region"] for r in rows} == {"east", "north", "south"}
    name, data = _save(page, explorer, "svg")
    assert data.count(b"<circle") == N_ROWS, "the SVG draws every plotted row"

    # aggregate: a box per level of region
    _choose(page, explorer, "explorer-mode", "aggregate", mode="aggregate")
    _choose(page, explorer, "explorer-stat", "box", mode="aggregate")
    expect(explorer.get_by_test_id("explorer-legend")).to_contain_text("box of SHAP income per bin")
    assert canvas.evaluate(PAINTED) > 1000, "the aggregate view draws no boxes"
    # hovering a bin tells its figures
    box = area.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 6, box["y"] + box["height"] / 2)
    expect(explorer.get_by_test_id("explorer-tooltip")).to_contain_text("median")
    # a numeric x: bins chosen by the user
    _choose(page, explorer, "explorer-x", "feature:income", mode="aggregate")
    _choose(page, explorer, "explorer-bins", "20", mode="aggregate")
    _choose(page, explorer, "explorer-stat", "mean", mode="aggregate")
    assert canvas.evaluate(PAINTED) > 500
    # the CSV holds the bins' figures: 20 bins of income, every row in one
    _, data = _save(page, explorer, "csv")
    bins = _csv(data)
    assert len(bins) == 20 and sum(int(b["rows"]) for b in bins) == N_ROWS, bins
    assert list(bins[0]) == ["bin", "x_from", "x_to", "rows", "mean_SHAP income"], bins[0]
    _, data = _save(page, explorer, "png")
    assert data.startswith(b"\x89PNG")
    page.close()
    assert not opened.errors, opened.errors
    assert not opened.dialogs, opened.dialogs
    assert not opened.blocked, opened.blocked


@pytest.mark.parametrize("width", [1024, 1440])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_offline_explorer_screenshots(browser, report, scheme, width):
    opened = open_offline(browser, report, scheme=scheme, width=width, height=1000)
    page = opened.page
    explorer = _open_tab(page.locator("body"))
    _drawn(page, explorer)
    SCREENSHOTS.mkdir(exist_ok=True)
    explorer.screenshot(path=str(SCREENSHOTS / f"data_explorer_{scheme}_{width}.png"))
    # a brushed region on a probability axis, with the button that makes it a cohort, and a tooltip
    _drag(page, explorer.get_by_test_id("explorer-area"), 0.4, 0.3, 0.7, 0.7)
    expect(explorer.get_by_test_id("explorer-make-cohort")).to_contain_text("rows picked on")
    explorer.screenshot(path=str(SCREENSHOTS / f"data_explorer_brush_{scheme}_{width}.png"))
    _choose(page, explorer, "explorer-mode", "aggregate", mode="aggregate")
    _choose(page, explorer, "explorer-x", "feature:region", mode="aggregate")
    _choose(page, explorer, "explorer-stat", "box", mode="aggregate")
    explorer.screenshot(path=str(SCREENSHOTS / f"data_explorer_boxes_{scheme}_{width}.png"))
    page.close()
    assert not opened.errors, opened.errors
    assert not opened.blocked, opened.blocked


# --------------------------------------------------------------------------- JupyterLab

SETUP = [EXPLANATION + "import json\ndash = rw.ExplanationDashboard(exp)", "dash"]
DASHBOARD_CELL = 1


def _lab_explorer(page, run_notebook, cell_locator):
    run_notebook(page, SETUP)
    output = cell_locator(page, DASHBOARD_CELL).locator(".jp-OutputArea")
    output.get_by_test_id("importance-chart").wait_for(state="visible", timeout=60_000)
    explorer = _open_tab(output)
    _drawn(page, explorer)
    return output, explorer


def _made_cohort(page, explorer, run_cell) -> dict:
    make = explorer.get_by_test_id("explorer-make-cohort")
    make.wait_for(state="visible")
    expect(make).to_be_enabled()
    name = make.get_attribute("title").split('"', 1)[1].rsplit('"', 1)[0]
    count = int(re.findall(r"([\d,]+) rows?\b", make.text_content())[-1].replace(",", ""))
    make.click()
    cohorts = wait_for_kernel(
        run_cell, page, "[c.to_json() for c in dash.cohorts]", lambda cs: any(c["name"] == name for c in cs)
    )
    made = next(c for c in cohorts if c["name"] == name)
    assert kernel_json(run_cell, page, "dash.active_cohort") == name
    rows = kernel_json(
        run_cell, page, f"np.flatnonzero(dash.cohorts[{[c['name'] for c in cohorts].index(name)}].mask(exp)).tolist()"
    )
    assert len(rows) == count, f"the view counted {count} rows, the kernel's Cohort.mask selects {len(rows)}"
    return {"cohort": made, "rows": rows}


def test_lab_brushed_regions_become_cohorts_and_a_click_selects_a_row(
    lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot
):
    page = lab_page
    output, explorer = _lab_explorer(page, run_notebook, cell_locator)
    area = explorer.get_by_test_id("explorer-area")

    # column axes: income against children -> two between filters, the kernel's rows inside both ranges
    _choose(page, explorer, "explorer-x", "feature:income")
    _choose(page, explorer, "explorer-y", "feature:children")
    _drag(page, area, 0.3, 0.2, 0.7, 0.8)
    got = _made_cohort(page, explorer, run_cell)
    filters = got["cohort"]["filters"]
    assert [(f["column"], f["op"]) for f in filters] == [("income", "between"), ("children", "between")], filters
    x = kernel_json(run_cell, page, "exp.cohort_columns()[['income', 'children']].values.tolist()")
    (lo, hi), (clo, chi) = filters[0]["value"], filters[1]["value"]
    want = [i for i, (a, b) in enumerate(x) if np.float32(lo) <= np.float32(a) <= np.float32(hi) and clo <= b <= chi]
    assert got["rows"] == want

    # a probability axis is not a column: the brushed rows are listed (index in [...])
    _active(page, output, explorer, "All data")  # the brushed cohort is active: back to every row
    _choose(page, explorer, "explorer-x", "index")
    _choose(page, explorer, "explorer-y", "probability:1")
    _drag(page, area, 0.1, 0.1, 0.6, 0.6)
    got = _made_cohort(page, explorer, run_cell)
    (flt,) = got["cohort"]["filters"]
    assert flt["column"] == "index" and flt["op"] == "in", flt
    assert got["rows"] == sorted(flt["value"]) and got["rows"], got

    # a click on a point selects its row: index on both axes puts row i on the diagonal
    _active(page, output, explorer, "All data")
    _choose(page, explorer, "explorer-y", "index")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    selection = explorer.get_by_test_id("explorer-selection")
    expect(selection).to_contain_text("row ")
    row = int(re.search(r"row (\d+)", selection.text_content()).group(1))
    assert abs(row - N_ROWS / 2) < N_ROWS * 0.1, row
    assert wait_for_kernel(run_cell, page, "list(dash.selected_rows)", lambda r: r == [row]) == [row]
    for theme in ("light", "dark"):
        set_theme(page, theme)
        # Lab lays the page out again while it swaps themes: the plot is drawn at its full width after
        page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
        _assert_full_width(area)
        screenshot(page, f"data_explorer_lab_{theme}", explorer)
    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors
