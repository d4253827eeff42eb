"""The dependence plot, row table and local chart in a real JupyterLab (breast cancer, 569 rows).

Clicking an importance bar draws that feature's dependence plot on canvas; selecting two rows in the
row table sets `dash.selected_rows` in the kernel and shows two local charts; brushing a range in the
dependence plot makes a cohort that reaches `dash.cohorts`. Light and dark screenshots of both tabs.
"""

from __future__ import annotations

import pytest
from kernel_io import kernel_json, wait_for_kernel

pytestmark = pytest.mark.browser

SETUP = [
    "import json, numpy as np, rai_widget as rw\n"
    "from sklearn.datasets import load_breast_cancer\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    "d = load_breast_cancer(as_frame=True); X, y = d.data, d.target\n"
    "model = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)\n"
    "exp = rw.MimicExplainer(model, X).explain(X, y_true=y)\n"
    "dash = rw.ExplanationDashboard(exp)",
    "dash",
]
DASHBOARD_CELL = 1
N_ROWS = 569

# Pixels the canvas has painted (alpha > 0), read back from the page.
_PAINTED = """(canvas) => {
  const ctx = canvas.getContext('2d');
  const {data} = ctx.getImageData(0, 0, canvas.width, canvas.height);
  let n = 0;
  for (let k = 3; k < data.length; k += 4) if (data[k] > 0) n++;
  return n;
}"""


def test_dependence_rows_and_local_views(lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot):
    page = lab_page
    run_notebook(page, SETUP)
    output = cell_locator(page, DASHBOARD_CELL).locator(".jp-OutputArea")
    top_feature = run_cell(page, "print(exp.global_importance().index[0])").strip()

    # 1. Clicking the top bar opens its dependence plot, drawn on canvas for every row.
    bars = output.locator('[data-testid="importance-bar"]')
    bars.first.wait_for(state="visible")
    bars.first.click()
    plot = output.locator('[data-testid="dependence-plot"]')
    plot.wait_for(state="visible")
    canvas = plot.locator("canvas")
    canvas.wait_for(state="visible")
    page.wait_for_function("(el) => el.dataset.points !== undefined", arg=plot.element_handle())
    assert plot.get_attribute("data-points") == str(N_ROWS)
    assert plot.locator("select").first.evaluate("s => s.selectedOptions[0].textContent") == top_feature
    painted = canvas.evaluate(_PAINTED)
    assert painted > 1000, f"the dependence canvas looks blank ({painted} painted pixels)"
    assert float(plot.get_attribute("data-draw-ms")) < 100
    assert top_feature in plot.locator(".rw-dep-xtitle").inner_text()
    y_title = plot.locator(".rw-dep-ytitle").inner_text()
    assert y_title.startswith(f"SHAP value of {top_feature} toward ") and y_title.endswith("(log-odds)"), y_title
    screenshot(page, "views_dependence_light", plot)

    # 2. Two rows selected in the table reach the kernel and get a local chart each.
    output.locator('[data-testid="tab-rows"]').click()
    table = output.locator('[data-testid="row-table"]')
    table.wait_for(state="visible")
    rows = table.locator('[data-testid="row"]')
    rows.first.wait_for(state="visible")
    assert 10 < rows.count() < 60, f"{rows.count()} rows in the DOM: the table should be virtualised"
    table.locator('[data-row="3"]').click()
    table.locator('[data-row="7"]').click()
    selected = wait_for_kernel(run_cell, page, "dash.selected_rows", lambda v: v == [3, 7])
    assert selected == [3, 7]
    assert "2 selected" in table.inner_text()
    local = output.locator('[data-testid="local-chart"]')
    cards = local.locator('[data-testid="local-row"]')
    cards.first.wait_for(state="visible")
    assert [cards.nth(i).get_attribute("data-row") for i in range(cards.count())] == ["3", "7"]
    assert "toward class" in cards.first.inner_text()
    assert "model output" in cards.first.inner_text()
    screenshot(page, "views_rows_local_light", cell_locator(page, DASHBOARD_CELL))

    # 3. Dark theme: the same views, redrawn with JupyterLab's dark variables.
    set_theme(page, "dark")
    cards.first.wait_for(state="visible")
    screenshot(page, "views_rows_local_dark", cell_locator(page, DASHBOARD_CELL))
    output.locator('[data-testid="tab-importance"]').click()
    plot.wait_for(state="visible")
    assert canvas.evaluate(_PAINTED) > 1000
    screenshot(page, "views_dependence_dark", plot)
    set_theme(page, "light")

    # 4. Brushing an x range makes a cohort of those rows, which becomes active in the kernel.
    area = plot.locator(".rw-dep-area")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.up()
    make = plot.locator(".rw-dep-make")
    make.wait_for(state="visible")
    label = make.inner_text()
    assert label.startswith(f"Make cohort from {top_feature} between "), label
    n_rows = int(label.rsplit("(", 1)[1].split()[0].replace(",", ""))
    make.click()
    cohorts = wait_for_kernel(run_cell, page, "[c.name for c in dash.cohorts]", lambda v: len(v) == 2)
    assert cohorts[0] == "All data" and cohorts[1].startswith(f"{top_feature} in ["), cohorts
    assert kernel_json(run_cell, page, "dash.active_cohort") == cohorts[1]
    assert kernel_json(run_cell, page, "int(dash.cohorts[1].mask(exp).sum())") == n_rows
    page.wait_for_function("([el, n]) => el.dataset.points === String(n)", arg=[plot.element_handle(), n_rows])
    screenshot(page, "views_dependence_brushed_light", cell_locator(page, DASHBOARD_CELL))

    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors
