"""The text view in a real browser, through the offline report: heatmap, class switch, no HTML from data."""

import re
from pathlib import Path

import numpy as np
import pytest
from kernel_io import kernel_json, wait_for_kernel
from offline import open_offline
from playwright.sync_api import expect

import rai_widget as rw

SCREENSHOTS = Path(__file__).parent / "screenshots"
EVIL = "<img src=x onerror=alert(1)> excellent <script>alert(2)</script> acting"
TEXTS = [
    "an excellent film with a dull plot",
    "the plot was dull and the acting was bad",
    EVIL,
    "excellent acting , excellent music , very long and boring story though",
]
RGBA = re.compile(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)")


def bag_of_words(texts):
    """Only the word "excellent" moves class 1: p1 = sigmoid(3 * count - 1)."""
    counts = np.array([t.lower().split().count("excellent") for t in texts], dtype=float)
    p = 1 / (1 + np.exp(-(3 * counts - 1)))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    exp = rw.TextExplainer(bag_of_words, classes=["neg", "pos"]).explain(TEXTS, y_true=["pos", "neg", "neg", "pos"])
    dash = rw.ExplanationDashboard(exp, cohorts=[rw.Cohort("long", [rw.Filter("length", ">", 8)])])
    dash.selected_rows = [0]
    return exp, dash.save_html(tmp_path_factory.mktemp("text") / "text.html")


def token_colors(page):
    """(text, title, r, g, b, alpha) of each token of the shown text."""
    out = []
    for t in page.locator('[data-testid="token"]').all():
        text, title, bg = t.evaluate("e => [e.textContent, e.title, getComputedStyle(e).backgroundColor]")
        r, g, b, a = RGBA.match(bg).groups()
        out.append((text, title, int(r), int(g), int(b), 1.0 if a is None else float(a)))
    return out


def open_report(browser, path, scheme="light"):
    opened = open_offline(browser, path, scheme=scheme, height=800)
    page, dialogs, errors = opened.page, opened.dialogs, opened.errors
    page.locator('[data-testid="text-view"]').wait_for(state="visible", timeout=15_000)
    page.locator('[data-testid="token"]').first.wait_for(state="visible", timeout=15_000)
    return page, dialogs, errors


def test_text_heatmap_class_switch_and_no_html(browser, report):
    exp, path = report
    page, dialogs, errors = open_report(browser, path)
    assert not errors, errors
    toks = token_colors(page)
    assert [t[0] for t in toks] == exp.tokens[0]
    strongest = max(toks, key=lambda t: t[5])
    assert strongest[0] == "excellent" and strongest[5] > 0.8
    assert [t for t in toks if t[0] != "excellent" and t[5] > 0.01] == []
    value = exp.values[0][1, 1]  # predicted class is 'pos'
    assert f"+{value:.4g}"[:5] in strongest[1] and "'pos'" in strongest[1]
    assert strongest[2] > strongest[4]  # red: raises 'pos'
    legend = page.locator('[data-testid="text-legend"]').inner_text()
    assert "base" in legend and "output" in legend and f"{exp.model_output[0, 1]:.3g}" in legend

    # the class select recolours: 'excellent' lowers 'neg', so it turns blue
    options = page.locator('[data-testid="class-select"] option').all_text_contents()
    assert options == ["neg", "pos", "predicted class"]
    page.locator('[data-testid="class-select"]').select_option(label="neg")
    excellent = [t for t in token_colors(page) if t[0] == "excellent"][0]
    assert excellent[4] > excellent[2] and excellent[5] > 0.8 and "'neg'" in excellent[1] and "-" in excellent[1]

    # the cohort chart and the top tokens show 'excellent' first
    assert page.locator('[data-testid="top-tokens"] .rw-bar-label').first.inner_text() == "excellent"
    assert page.locator('[data-testid="cohort-tokens"] .rw-bar-label').first.inner_text() == "excellent"

    # correct / incorrect grouping and the cohort select (length > 8 tokens)
    listing = page.locator('[data-testid="doc-list"]').inner_text()
    assert "Incorrect (1)" in listing and "Correct (3)" in listing
    page.locator('[data-testid="cohort-select"]').select_option(label="long")
    long_docs = sum(len(t) > 8 for t in exp.tokens)
    assert f"{long_docs} of 4 texts" in page.locator(".rw-header").inner_text()
    page.locator('[data-testid="cohort-select"]').select_option(label="All data")
    page.locator('[data-testid="contains-token"]').fill("dull")
    assert "2 of 4 texts" in page.locator(".rw-header").inner_text()
    page.locator('[data-testid="contains-token"]').fill("")

    # a review that is HTML shows as text and runs nothing
    page.locator('[data-testid="doc-item"]').filter(has_text="onerror").click()
    doc = page.locator('[data-testid="doc-text"]')
    assert "<img src=x onerror=alert(1)>" in doc.inner_text() and "<script>alert(2)</script>" in doc.inner_text()
    page.wait_for_timeout(300)
    assert not dialogs and page.locator("#rw-app script, #rw-app img").count() == 0
    assert not errors, errors
    page.close()


WEIGHTS = {
    "excellent": 2.0,
    "great": 1.3,
    "good": 0.7,
    "fine": 0.3,
    "not": -0.6,
    "dull": -0.9,
    "boring": -1.4,
    "terrible": -2.2,
}
REVIEWS = [
    "A great cast and an excellent script, but the middle hour is dull and a little boring.",
    "Not good: terrible pacing, boring dialogue, and a fine score that cannot save it.",
    "Good fun. The acting is great and the ending is excellent.",
]


def graded(texts):
    """A sentiment model with graded word weights, so the heatmap shows several intensities."""
    logit = np.array([sum(WEIGHTS.get(w.strip(".,:").lower(), 0.0) for w in t.split()) for t in texts])
    p = 1 / (1 + np.exp(-logit))
    return np.column_stack([1 - p, p])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_view_screenshots(browser, tmp_path, scheme):
    exp = rw.TextExplainer(graded, classes=["negative", "positive"]).explain(
        REVIEWS, y_true=["negative", "negative", "positive"]
    )
    path = exp.save_html(tmp_path / "graded.html")
    page, dialogs, errors = open_report(browser, path, scheme=scheme)
    alphas = [t[5] for t in token_colors(page)]
    assert len({round(a, 2) for a in alphas if a > 0}) >= 3  # graded, not on/off
    assert not errors and not dialogs
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"text_view_{scheme}.png"), full_page=True)
    page.close()


# A bag-of-words model over TEXTS, explained and shown in a JupyterLab notebook (cell 1 draws the dashboard).
LAB_CELLS = [
    "import numpy as np, rai_widget as rw\n"
    "def bag_of_words(texts):\n"
    "    counts = np.array([t.lower().split().count('excellent') for t in texts], dtype=float)\n"
    "    p = 1 / (1 + np.exp(-(3 * counts - 1)))\n"
    "    return np.column_stack([1 - p, p])\n"
    f"texts = {TEXTS!r}\n"
    "explainer = rw.TextExplainer(bag_of_words, classes=['neg', 'pos'])\n"
    "exp = explainer.explain(texts, y_true=['pos', 'neg', 'neg', 'pos'])\n"
    "dash = rw.ExplanationDashboard(exp)",
    "dash",
]


def test_text_view_in_jupyterlab_syncs_selection(lab_page, run_notebook, run_cell, cell_locator, screenshot):
    page = lab_page
    run_notebook(page, LAB_CELLS)
    output = cell_locator(page, 1).locator(".jp-OutputArea")
    output.locator('[data-testid="token"]').first.wait_for(state="visible")
    output.locator('[data-testid="doc-item"]').filter(has_text="onerror").click()
    page.wait_for_timeout(500)
    assert run_cell(page, "print(dash.selected_rows)").strip() == "[2]"
    assert "<img src=x onerror=alert(1)>" in output.locator('[data-testid="doc-text"]').inner_text()
    run_cell(page, "dash.selected_rows = [3]")
    output.locator('[data-testid="text-view"]').get_by_text("Text #3").wait_for(state="visible")
    assert output.locator("img").count() == 0 and not page.rw_dialogs, page.rw_dialogs
    screenshot(page, "text_view_jupyterlab", output)


def test_contains_token_cohorts_from_the_editor_and_the_shortcut_reach_the_kernel(
    lab_page, run_notebook, run_cell, cell_locator, set_theme, screenshot
):
    """Build `tokens contains "Dull"` in the cohort editor, then narrow it with the Contains box's
    "Save as cohort": both arrive in dash.cohorts as rw.Cohort and select the rows the kernel selects."""
    page = lab_page
    run_notebook(page, LAB_CELLS)
    output = cell_locator(page, 1).locator(".jp-OutputArea")
    output.locator('[data-testid="token"]').first.wait_for(state="visible")
    output.get_by_test_id("tab-cohorts").click()
    editor = output.get_by_test_id("cohort-editor")
    editor.get_by_test_id("cohort-new").click()
    name = editor.get_by_test_id("cohort-name")
    name.fill("")
    name.press_sequentially("mentions dull")  # real keys: JupyterLab's shortcuts must not take them
    editor.get_by_test_id("filter-add").click()
    row = editor.get_by_test_id("filter-row").nth(0)
    row.get_by_test_id("filter-column").select_option("tokens")
    ops = row.get_by_test_id("filter-op").evaluate("s => Array.from(s.options).map(o => o.textContent)")
    assert ops == ["contains", "does not contain"]
    word = row.get_by_test_id("filter-value")
    word.fill("")
    expect(row.get_by_test_id("filter-error")).to_have_text("Enter a word to look for.")
    expect(editor.get_by_test_id("cohort-save")).to_be_disabled()
    word.press_sequentially("Dull")
    expect(editor.get_by_test_id("cohort-draft-count")).to_have_text("2 of 4 texts")  # texts 0 and 1, any case
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, f"text_contains_editor_{theme}", editor)
    set_theme(page, "light")
    editor.get_by_test_id("cohort-save").click()

    dull = {"column": "tokens", "op": "contains", "value": "Dull"}
    want = {"name": "mentions dull", "combine": "all", "filters": [dull]}
    cohorts = wait_for_kernel(run_cell, page, "[c.to_json() for c in dash.cohorts]", lambda cs: want in cs)
    assert cohorts == [{"name": "All data", "combine": "all", "filters": []}, want]
    assert kernel_json(run_cell, page, "[type(c).__name__ for c in dash.cohorts]") == ["Cohort", "Cohort"]
    assert kernel_json(run_cell, page, "dash.cohort_rows('mentions dull').tolist()") == [True, True, False, False]
    assert kernel_json(run_cell, page, "dash.active_cohort") == "mentions dull"

    # the Contains box narrows the active cohort live; "Save as cohort" makes that a cohort too
    output.get_by_test_id("tab-texts").click()
    box = output.get_by_test_id("contains-token")
    box.press_sequentially("excellent")
    expect(output.get_by_test_id("text-count")).to_have_text("1 of 4 texts")
    expect(output.get_by_test_id("doc-item")).to_have_count(1)
    for theme in ("light", "dark"):
        set_theme(page, theme)
        screenshot(page, f"text_contains_box_{theme}", output.get_by_test_id("text-view"))
    set_theme(page, "light")
    output.get_by_test_id("contains-save").click()
    name2 = 'mentions dull + contains "excellent"'
    want2 = {
        "name": name2,
        "combine": "all",
        "filters": [dull, {"column": "tokens", "op": "contains", "value": "excellent"}],
    }
    cohorts = wait_for_kernel(run_cell, page, "[c.to_json() for c in dash.cohorts]", lambda cs: want2 in cs)
    assert cohorts[-1] == want2
    assert kernel_json(run_cell, page, "dash.active_cohort") == name2
    assert kernel_json(run_cell, page, f"dash.cohort_rows({name2!r}).tolist()") == [True, False, False, False]
    expect(output.get_by_test_id("cohort-select")).to_have_value(name2)
    expect(box).to_have_value("")
    assert not page.rw_dialogs and not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors
