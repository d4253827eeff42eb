"""What-if in a real JupyterLab: an edit reaches the kernel's what_if job and its attribution is drawn (the
drawn values are explainer.what_if's, read back from the kernel), a kept point is in `dash.what_if`; in the
offline report (network refused) editing is off with the note, the kept points are listed, nothing is
requested. Screenshots light and dark at 1024 and 1440 px."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from kernel_io import kernel_json, wait_for_kernel
from offline import open_offline
from playwright.sync_api import expect

from rai_widget.report import OFFLINE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# axe-core (as test_accessibility.py runs it) on the what-if section only: WCAG 2.1 A and AA.
RUN_AXE = """async (el) => {
  const r = await axe.run(el, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                               resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""
ROW = 3

DATA = (
    "import numpy as np, pandas as pd, rai_widget as rw\n"
    "rng = np.random.default_rng(0)\n"
    "n = 300\n"
    "X = pd.DataFrame({'income': rng.normal(50, 12, n).round(1), 'children': rng.integers(0, 4, n).astype(float),\n"
    "                  'region': pd.Categorical(rng.choice(['north', 'south', 'east'], n)),\n"
    "                  'owner': rng.random(n) > 0.5})\n"
    "def predict_proba(frame):\n"
    "    if frame.isna().any().any():\n"
    "        raise ValueError('Input X contains NaN.')\n"
    "    z = (frame['income'].to_numpy() - 50) / 8 + 0.5 * frame['children'].to_numpy()\n"
    "    z = z - (frame['region'].astype(str) == 'south').to_numpy() + frame['owner'].astype(float).to_numpy() - 1\n"
    "    p = 1 / (1 + np.exp(-z))\n"
    "    return np.column_stack([1 - p, p])\n"
    "explainer = rw.MimicExplainer(predict_proba, X, task='classification', classes=['no', 'yes'])\n"
    "exp = explainer.explain(X.iloc[:80])\n"
)
SETUP = [DATA + f"dash = exp.show()\ndash.selected_rows = [{ROW}]", "dash"]
DASHBOARD_CELL = 1

# Each drawn bar's feature and values (data-feature is absent on the "other features" bar).
BARS = """(chart) => Array.from(chart.querySelectorAll('[data-testid="what-if-bar"]')).map((b) =>
  [b.dataset.feature ?? null, Number(b.dataset.value), Number(b.dataset.original)])"""


def _open_what_if(page, run_notebook, cell_locator, theme="light"):
    run_notebook(page, SETUP, theme=theme)
    output = cell_locator(page, DASHBOARD_CELL).locator(".jp-OutputArea")
    output.get_by_test_id("importance-chart").wait_for(state="visible")
    output.get_by_test_id("tab-rows").click()
    what_if = output.get_by_test_id("what-if")
    what_if.wait_for(state="visible")
    return what_if


def _edit(what_if, feature: str, value: str):
    field = what_if.locator(f'[data-testid="what-if-input"][data-feature="{feature}"]')
    if field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)


def _drawn(what_if, timeout=30_000):
    what_if.get_by_test_id("what-if-bar").first.wait_for(state="visible", timeout=timeout)
    return what_if.get_by_test_id("what-if-chart").evaluate(BARS)


def _no_errors(page):
    assert not page.rw_dialogs, page.rw_dialogs
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors


def test_an_edit_reaches_the_kernel_and_its_attribution_is_drawn(
    lab_page, run_notebook, run_cell, cell_locator, set_theme
):
    page = lab_page
    what_if = _open_what_if(page, run_notebook, cell_locator)
    expect(what_if.get_by_test_id("what-if-row")).to_have_value(str(ROW))
    _edit(what_if, "income", "140")
    _edit(what_if, "region", "south")
    expect(what_if.get_by_test_id("what-if-status")).to_have_text("", timeout=30_000)
    drawn = _drawn(what_if)
    status = kernel_json(run_cell, page, "dash.what_if_status")
    assert status["state"] == "done", status
    expected = kernel_json(
        run_cell,
        page,
        f"(lambda w: {{'values': w.values[0, :, 1].tolist(), 'findings': [f.kind for f in w.findings], "
        f"'label': str(w.prediction[0]), 'original': exp.values[{ROW}, :, 1].tolist(), 'names': exp.feature_names}})"
        f"(explainer.what_if(exp.data.iloc[[{ROW}]].assign(income=140.0, "
        "region=pd.Categorical(['south'], categories=X['region'].cat.categories))))",
    )
    by_name = dict(zip(expected["names"], zip(expected["values"], expected["original"], strict=True), strict=True))
    assert [d[0] for d in drawn] == sorted(by_name, key=lambda f: -abs(by_name[f][0]))
    for feature, value, original in drawn:
        assert value == pytest.approx(by_name[feature][0], rel=1e-6, abs=1e-6), feature
        assert original == pytest.approx(by_name[feature][1], rel=1e-6, abs=1e-6), feature
    assert "above_range" in expected["findings"]
    findings = what_if.get_by_test_id("what-if-finding")
    expect(findings.first).to_be_visible()
    kinds = findings.evaluate_all("items => items.map((i) => i.dataset.kind)")
    assert kinds == expected["findings"]
    expect(what_if.get_by_test_id("what-if-after")).to_contain_text(f"predicted {expected['label']}")

    # The chart's CSV holds every feature's two values, as the kernel has them; the PNG and SVG are pictures.
    with page.expect_download(timeout=10_000) as info:
        what_if.get_by_role("button", name="Save the what-if attribution as CSV").click()
    assert info.value.suggested_filename == f"what-if-row_{ROW}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"), newline="")))
    assert {r["feature"] for r in rows} == set(by_name)
    for r in rows:
        assert float(r["what_if_shap_value"]) == pytest.approx(by_name[r["feature"]][0], rel=1e-6, abs=1e-6)
        assert float(r["row_shap_value"]) == pytest.approx(by_name[r["feature"]][1], rel=1e-6, abs=1e-6)
    assert next(r for r in rows if r["feature"] == "income")["what_if_value"] == "140"
    for fmt, magic in (("PNG", b"\x89PNG"), ("SVG", b"<?xml")):
        with page.expect_download(timeout=10_000) as info:
            what_if.get_by_role("button", name=f"Save the what-if attribution as {fmt}").click()
        data = Path(info.value.path()).read_bytes()
        assert data.startswith(magic), fmt
        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / f"what_if_export.{fmt.lower()}").write_bytes(data)  # for people to look at

    # Keep it: the point is in dash.what_if, with the drawn attribution.
    name = what_if.get_by_test_id("what-if-name")
    name.fill("")
    name.press_sequentially("rich south")  # real keys: Lab's command-mode shortcuts must not take them
    what_if.get_by_test_id("what-if-keep").click()
    expect(what_if.get_by_test_id("what-if-point")).to_have_count(1)
    kept = wait_for_kernel(run_cell, page, "list(dash.what_if.index)", lambda v: v == ["rich south"])
    assert kept == ["rich south"]
    table = kernel_json(run_cell, page, "json.loads(dash.what_if.reset_index().to_json(orient='records'))[0]")
    assert table["row"] == ROW and table["value: income"] == 140.0 and table["value: region"] == "south"
    assert table["prediction"] == expected["label"]
    for feature, (value, _) in by_name.items():
        assert table[f"attribution: {feature} -> yes"] == pytest.approx(value, rel=1e-6, abs=1e-6)

    # A model error reaches the view in the model's words; a reset edit asks nothing more.
    _edit(what_if, "children", "")  # missing: this model cannot take it
    expect(what_if.get_by_test_id("what-if-status")).to_contain_text("Input X contains NaN.", timeout=30_000)
    what_if.get_by_test_id("what-if-reset-all").click()
    expect(what_if.get_by_test_id("what-if-input").first).to_have_value(
        str(kernel_json(run_cell, page, f"float(exp.data['income'].iloc[{ROW}])"))
    )
    _no_errors(page)


def test_screenshots_light_and_dark_and_no_accessibility_violations(
    lab_page, run_notebook, cell_locator, set_theme, screenshot
):
    page = lab_page
    what_if = _open_what_if(page, run_notebook, cell_locator)
    _edit(what_if, "income", "140")
    _drawn(what_if)
    what_if.get_by_test_id("what-if-keep").click()
    expect(what_if.get_by_test_id("what-if-point")).to_have_count(1)
    page.add_script_tag(path=str(AXE))
    for theme in ("light", "dark"):
        set_theme(page, theme)
        for width in (1024, 1440):
            page.set_viewport_size({"width": width, "height": 1100})
            expect(what_if.get_by_test_id("what-if-chart")).to_be_visible()
            screenshot(page, f"what_if_{theme}_{width}", what_if)
        assert what_if.evaluate(RUN_AXE) == [], theme
    _no_errors(page)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    namespace: dict = {}
    exec(DATA, namespace)  # the notebook's data and model, in this process
    exp = namespace["exp"]
    dash = exp.show()
    dash.what_if_request = {"id": 1, "params": {"row": ROW, "values": {"income": 140.0}}}
    dash.jobs["what_if"].wait(30)
    result = dict(dash.what_if_result)
    from rai_widget._payload._wire import wire_to_array

    point = {k: v for k, v in result.items() if k not in ("id",)}
    point["attribution"] = wire_to_array(result["attribution"]).astype(float).tolist()
    dash.what_if_points = [{"name": "kept <b>point</b>", **point}]
    return dash.save_html(tmp_path_factory.mktemp("what_if") / "what_if.html")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_offline_report_what_if_is_off_with_the_note(browser, report, scheme):
    for width in (1024, 1440):
        opened = open_offline(browser, report, scheme=scheme, width=width, height=1000)
        page = opened.page
        page.locator('[data-testid="tab-rows"]').click()
        what_if = page.get_by_test_id("what-if")
        what_if.wait_for(state="visible", timeout=15_000)
        expect(what_if.get_by_test_id("what-if-unavailable")).to_have_text("Editing is off: what-if " + OFFLINE)
        expect(what_if.get_by_test_id("what-if-input")).to_have_count(0)
        card = what_if.get_by_test_id("what-if-point")
        expect(card).to_have_count(1)
        assert card.get_attribute("data-name") == "kept <b>point</b>"
        expect(card.locator(".rw-local-rowname")).to_have_text("kept <b>point</b>")  # as text
        expect(what_if.get_by_test_id("what-if-delete")).to_have_count(0)
        what_if.scroll_into_view_if_needed()
        what_if.screenshot(path=str(SCREENSHOTS / f"what_if_offline_{scheme}_{width}.png"))
        page.close()
        assert not opened.errors and not opened.dialogs and not opened.blocked, (opened.errors, opened.blocked)
