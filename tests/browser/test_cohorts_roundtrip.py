"""Cohorts flow both ways between the kernel and the view in a real JupyterLab.

(a) a cohort built in the editor shows up in `dash.cohorts` as an `rw.Cohort` and becomes active;
(b) a cohort set from Python shows up in the header's cohort select and in the editor, with the
row count the kernel computes; (c) the class selector changes the importance bars to the kernel's
numbers for that class; (d) a cohort named like HTML stays text and runs nothing.
"""

from __future__ import annotations

import re

import pytest
from kernel_io import kernel_json, wait_for_kernel
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)>"
N_ROWS = 400

# Three classes, so each class has its own importances (a binary model's two classes mirror each
# other); a categorical feature, so the editor shows category inputs.
SETUP = [
    "import json, numpy as np, pandas as pd, rai_widget as rw\n"
    "from sklearn.compose import make_column_transformer\n"
    "from sklearn.ensemble import RandomForestClassifier\n"
    "from sklearn.pipeline import make_pipeline\n"
    "from sklearn.preprocessing import OrdinalEncoder\n"
    "rng = np.random.default_rng(0)\n"
    f"n = {N_ROWS}\n"
    "X = pd.DataFrame({'age': rng.integers(18, 80, n).astype(float), 'income': rng.normal(50, 15, n).round(1),\n"
    "                  'region': pd.Categorical(rng.choice(['north', 'south', 'east'], n)),\n"
    "                  'score': rng.normal(size=n).round(2)})\n"
    "y = np.where(X.age < 35, 'young', np.where(X.score > 0.3, 'high', 'other'))\n"
    "enc = make_column_transformer((OrdinalEncoder(), ['region']), remainder='passthrough')\n"
    "model = make_pipeline(enc, RandomForestClassifier(n_estimators=30, random_state=0)).fit(X, y)\n"
    "exp = rw.MimicExplainer(model, X).explain(X, y_true=y)\n"
    "dash = rw.ExplanationDashboard(exp)",
    "dash",
]
DASHBOARD_CELL = 1


def open_dashboard(page, run_notebook, cell_locator, theme: str = "light"):
    run_notebook(page, SETUP, theme=theme)
    output = cell_locator(page, DASHBOARD_CELL).locator(".jp-OutputArea")
    output.get_by_test_id("importance-chart").wait_for(state="visible")
    return output


def open_cohorts_tab(output):
    output.get_by_test_id("tab-cohorts").click()
    editor = output.get_by_test_id("cohort-editor")
    editor.wait_for(state="visible")
    return editor


def cohort_item(editor, name: str):
    return editor.get_by_test_id("cohort-item").filter(
        has=editor.page.locator(".rw-ce-name").get_by_text(name, exact=True)
    )


def option_texts(select) -> list[str]:
    return select.evaluate("s => Array.from(s.options).map(o => o.textContent)")


def no_errors(page):
    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors


def test_cohort_built_in_the_ui_reaches_the_kernel(
    lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot
):
    page = lab_page
    output = open_dashboard(page, run_notebook, cell_locator)
    expected = kernel_json(
        run_cell,
        page,
        "[rw.Cohort('x', [rw.Filter('age', '>', 45), rw.Filter('region', 'in', ['north', 'east'])]).count(exp),"
        " rw.Cohort('x', [rw.Filter('age', '>', 45)]).count(exp)]",
    )
    editor = open_cohorts_tab(output)
    editor.get_by_test_id("cohort-new").click()
    name = editor.get_by_test_id("cohort-name")
    name.fill("")
    # real keystrokes: JupyterLab's command-mode shortcuts (a, b, d d, m...) must not steal them
    name.press_sequentially("older north/east")
    expect(name).to_have_value("older north/east")
    count = editor.get_by_test_id("cohort-draft-count")
    expect(count).to_have_text(f"{N_ROWS} of {N_ROWS} rows")

    editor.get_by_test_id("filter-add").click()
    row = editor.get_by_test_id("filter-row").nth(0)
    row.get_by_test_id("filter-column").select_option("age")
    row.get_by_test_id("filter-op").select_option(">")
    row.get_by_test_id("filter-value").fill("45")
    expect(count).to_have_text(f"{expected[1]} of {N_ROWS} rows")  # live, before saving

    # an invalid value: the reason shows inline and Save is disabled
    row.get_by_test_id("filter-value").fill("")
    expect(row.get_by_test_id("filter-error")).to_have_text("Enter a number for 'age'.")
    expect(editor.get_by_test_id("cohort-save")).to_be_disabled()
    screenshot(page, "cohort_editor_invalid_light", editor)
    row.get_by_test_id("filter-value").fill("45")
    expect(editor.get_by_test_id("cohort-save")).to_be_enabled()

    editor.get_by_test_id("filter-add").click()
    row2 = editor.get_by_test_id("filter-row").nth(1)
    row2.get_by_test_id("filter-column").select_option("region")
    row2.get_by_test_id("filter-op").select_option("in")
    for label in ("north", "east"):
        row2.get_by_test_id("filter-value").get_by_label(label, exact=True).check()
    expect(count).to_have_text(f"{expected[0]} of {N_ROWS} rows")

    for theme in ("light", "dark"):
        set_theme(page, theme)
        expect(editor.get_by_test_id("cohort-form")).to_be_visible()
        screenshot(page, f"cohort_editor_form_{theme}", editor)

    # readable at 600 px: nothing sticks out sideways
    set_theme(page, "light")
    root = output.locator(".rw-root")
    root.evaluate("el => { el.style.width = '600px'; }")
    overflow = editor.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 1, f"the editor overflows 600 px by {overflow}px"
    screenshot(page, "cohort_editor_form_600px", root)
    root.evaluate("el => { el.style.width = ''; }")

    editor.get_by_test_id("cohort-save").click()
    expect(cohort_item(editor, "older north/east")).to_have_count(1)

    want = {
        "name": "older north/east",
        "combine": "all",
        "filters": [
            {"column": "age", "op": ">", "value": 45},
            {"column": "region", "op": "in", "value": ["east", "north"]},  # in the data's category order
        ],
    }
    cohorts = wait_for_kernel(run_cell, page, "[c.to_json() for c in dash.cohorts]", lambda cs: want in cs)
    assert cohorts == [{"name": "All data", "combine": "all", "filters": []}, want]
    assert kernel_json(run_cell, page, "[type(c).__name__ for c in dash.cohorts]") == ["Cohort", "Cohort"]
    assert kernel_json(run_cell, page, "isinstance(dash.cohorts[1], rw.Cohort)") is True
    assert kernel_json(run_cell, page, "dash.active_cohort") == "older north/east"
    assert kernel_json(run_cell, page, "dash.cohorts[1].count(exp)") == expected[0]
    # the header follows: the new cohort is selected
    expect(output.get_by_test_id("cohort-select")).to_have_value("older north/east")

    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, f"cohort_editor_list_{theme}", editor)
    set_theme(page, "light")
    no_errors(page)


def test_cohort_set_from_python_reaches_the_ui(lab_page, run_notebook, run_cell, cell_locator):
    page = lab_page
    output = open_dashboard(page, run_notebook, cell_locator)
    editor = open_cohorts_tab(output)
    count = kernel_json(
        run_cell,
        page,
        "(dash.__setattr__('cohorts', dash.cohorts + [rw.Cohort('under 30', [rw.Filter('age', '<', 30),"
        " rw.Filter('correct', '==', True)])]), dash.cohorts[-1].count(exp))[1]",
    )
    assert 0 < count < N_ROWS
    select = output.get_by_test_id("cohort-select")
    expect(select.locator("option")).to_have_count(2)
    assert option_texts(select) == ["All data", "under 30"]
    item = cohort_item(editor, "under 30")
    expect(item.get_by_test_id("cohort-count")).to_have_text(re.compile(rf"^{count} rows \("))
    expect(item).to_contain_text("age < 30 AND correct == true")

    # edit it in the view: the kernel sees the new filter, and the cohort keeps its place
    item.get_by_test_id("cohort-edit").click()
    row = editor.get_by_test_id("filter-row").nth(0)
    row.get_by_test_id("filter-value").fill("25")
    editor.get_by_test_id("cohort-save").click()
    cohorts = wait_for_kernel(
        run_cell,
        page,
        "[c.to_json() for c in dash.cohorts]",
        lambda cs: len(cs) == 2 and cs[1]["filters"][0]["value"] == 25,
    )
    assert cohorts[1] == {
        "name": "under 30",
        "combine": "all",
        "filters": [{"column": "age", "op": "<", "value": 25}, {"column": "correct", "op": "==", "value": True}],
    }
    no_errors(page)


def test_class_select_changes_the_bars(lab_page, run_notebook, run_cell, cell_locator):
    page = lab_page
    output = open_dashboard(page, run_notebook, cell_locator)
    bars = output.get_by_test_id("importance-bar")
    expect(bars).to_have_count(4)

    def drawn() -> dict[str, float]:
        return dict(
            output.locator(".rw-bar-group").evaluate_all(
                "gs => gs.map(g => [g.querySelector('.rw-bar-label').textContent,"
                " parseFloat(g.querySelector('.rw-bar-value').textContent)])"
            )
        )

    select = output.get_by_test_id("class-select")
    assert option_texts(select) == ["high", "other", "young", "predicted class", "average over outputs"]
    seen = []
    for label in ("young", "high"):
        select.select_option(label=label)
        expect(output.locator(".rw-axis").first).to_contain_text(f"class {label}")
        now = drawn()
        kernel = kernel_json(run_cell, page, f"exp.global_importance(output={label!r}).to_dict()")
        assert list(now) == list(kernel), (now, kernel)  # same order: largest first
        for name, value in now.items():
            assert value == pytest.approx(kernel[name], rel=0.01, abs=1e-3), (label, name, value, kernel[name])
        seen.append(now)
    assert seen[0] != seen[1]
    no_errors(page)


def test_html_cohort_name_is_text(lab_page, run_notebook, run_cell, cell_locator, screenshot):
    page = lab_page
    output = open_dashboard(page, run_notebook, cell_locator)
    editor = open_cohorts_tab(output)
    run_cell(page, f"dash.cohorts = dash.cohorts + [rw.Cohort({EVIL!r}, [rw.Filter('age', '>', 60)])]")
    select = output.get_by_test_id("cohort-select")
    expect(select.locator("option")).to_have_count(2)
    assert option_texts(select)[1] == EVIL
    item = cohort_item(editor, EVIL)
    expect(item).to_have_count(1)
    expect(item.locator(".rw-ce-name")).to_have_text(EVIL)

    # make it active from the header; the kernel gets the literal name back
    select.select_option(label=EVIL)
    assert wait_for_kernel(run_cell, page, "dash.active_cohort", lambda v: v == EVIL) == EVIL
    item.get_by_test_id("cohort-edit").click()
    expect(editor.get_by_test_id("cohort-name")).to_have_value(EVIL)

    page.wait_for_timeout(500)  # give an injected <img onerror> time to fire
    assert output.locator("img").count() == 0
    screenshot(page, "cohort_editor_html_name", editor)
    no_errors(page)
