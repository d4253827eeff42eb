"""The text view's trust checks in Chromium: each text's faithfulness and SHAP approximation, and the cohort line.

An offline report (network refused) of a graded bag-of-words model, explained with a small budget so
some texts are approximate and one is checked by an exact run: the figures on screen are Python's
(exp.faithfulness, exp.approximation) to the 3 digits shown; the cohort line is their mean over the
active cohort. Then once in JupyterLab.
"""

import re

import numpy as np
import pytest
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WEIGHTS = {"superb": 2.5, "great": 2.0, "good": 1.2, "fine": 0.6, "dull": -1.5, "awful": -2.5}
TEXTS = [
    "a superb cast , a good story and fine music , only the ending is dull",
    "great",
    "the plot is dull and the jokes are awful but the music is fine",
    "good actors in a great film with a fine score and a dull first act",
]
LONG = rw.Cohort("long", [rw.Filter("length", ">", 5)])
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def graded(texts):
    z = np.array([sum(WEIGHTS.get(w, 0.0) for w in t.lower().split()) - 0.5 for t in texts])
    p = 1 / (1 + np.exp(-z))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    explainer = rw.TextExplainer(graded, classes=["neg", "pos"], max_evals=60)
    exp = explainer.explain(TEXTS, y_true=["pos", "pos", "neg", "pos"])
    explainer.faithfulness(exp)
    explainer.approximation_error(exp, n=1, random_state=0)
    dash = rw.ExplanationDashboard(exp, cohorts=[LONG])
    return exp, dash.save_html(tmp_path_factory.mktemp("faith") / "faith.html")


def close(shown: str, value: float) -> bool:
    """A number as the view prints it (3 significant digits) against Python's."""
    return abs(float(shown) - value) <= 5e-3 * max(abs(value), 1e-3) + 1e-9


def open_report(browser, path, scheme="light", width=1100):
    opened = open_offline(browser, path, scheme=scheme, width=width)
    opened.page.locator('[data-testid="text-faithfulness"]').wait_for(state="visible", timeout=30_000)
    return opened


def table(page) -> list[list[str]]:
    rows = page.locator('[data-testid="faithfulness-row"], [data-testid="faithfulness-aopc"]').all()
    return [r.locator("th, td").all_inner_texts() for r in rows]


def test_each_texts_figures_are_pythons(browser, report):
    exp, path = report
    f, a = exp.faithfulness, exp.approximation
    opened = open_report(browser, path)
    page = opened.page
    for i in range(len(TEXTS)):
        page.locator('[data-testid="doc-item"]').filter(has_text=f"#{i} ").click()
        page.get_by_text(f"Text #{i}", exact=True).wait_for()
        rows = table(page)
        assert len(rows) == len(f.ks) + 1
        for j, row in enumerate(rows[:-1]):
            label = {0.2: "20%"}.get(f.ks[j], str(f.ks[j]))
            assert row[0] == (label if label == str(f.k[i, j]) else f"{label} ({f.k[i, j]})")
            want = [f.comprehensiveness[i, j], f.sufficiency[i, j]]
            want += [f.full[i] - f.random_removed[i, j], f.full[i] - f.random_kept[i, j]]
            assert all(close(s, v) for s, v in zip(row[1:], want, strict=True)), (i, row, want)
        aopc = [f.comprehensiveness_aopc[i], f.sufficiency_aopc[i]]
        aopc += [f.random_comprehensiveness_aopc[i], f.random_sufficiency_aopc[i]]
        assert rows[-1][0] == "mean (AOPC)" and all(close(s, v) for s, v in zip(rows[-1][1:], aopc, strict=True))
        name = exp.output_names[f.class_index[i]]
        headline = page.locator('[data-testid="faithfulness-headline"]').inner_text()
        j = f.ks.index(3)
        words = "the top word" if f.k[i, j] == 1 else f"the top {f.k[i, j]} words"
        assert headline.startswith(f"Removing {words}") and f"p({name})" in headline
        assert close(NUMBER.findall(headline.split(f"p({name})")[1])[0], abs(f.comprehensiveness[i, j]))
        approx = page.locator('[data-testid="text-approximation"]').inner_text()
        if a.exact[i]:
            assert approx.startswith("SHAP values: exact.") and "from the exact values" not in approx
        else:
            assert approx.startswith("SHAP values: approximate. max_evals 60 of the ")
            assert f"{a.evaluations_needed[i]:,} masked texts" in approx
            if a.checked[i]:
                assert close(re.search(r"at most (\S+) from the exact", approx).group(1), a.max_abs_diff[i])
            else:
                assert "not compared with an exact run" in approx
    assert not opened.errors and not opened.dialogs and not opened.blocked, (opened.errors, opened.blocked)
    page.close()


def test_the_cohort_line_is_the_active_cohorts_mean(browser, report):
    exp, path = report
    f, a = exp.faithfulness, exp.approximation
    opened = open_report(browser, path)
    page = opened.page
    summary = page.locator('[data-testid="faithfulness-summary"]')
    j = f.ks.index(3)
    for cohort, rows in (("All data", np.arange(len(TEXTS))), ("long", np.flatnonzero(exp.cohort_mask(LONG)))):
        page.locator('[data-testid="cohort-select"]').select_option(label=cohort)
        page.wait_for_function(
            "name => document.querySelector('[data-testid=\"faithfulness-summary\"]').textContent.includes(name)",
            arg=f"Over '{cohort}' ({len(rows)} texts",
        )
        text = summary.inner_text()
        comp = re.search(r"words (lowers|raises) its class's probability by (\S+) on average", text).groups()
        suff = re.search(r"keeping only them (lowers|raises) it by (\S+) \(", text).groups()
        signed = [float(v) * (1 if way == "lowers" else -1) for way, v in (comp, suff)]
        assert close(str(signed[0]), f.comprehensiveness[rows, j].mean())
        assert close(str(signed[1]), f.sufficiency[rows, j].mean())
        aopc = re.search(r"comprehensiveness (\S+), sufficiency (\S+)\.", text).groups()
        assert close(aopc[0], f.comprehensiveness_aopc[rows].mean()) and close(aopc[1], f.sufficiency_aopc[rows].mean())
        assert f"SHAP values exact for {int(a.exact[rows].sum())} of {len(rows)} texts" in text
    assert not opened.errors and not opened.blocked
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_screenshots(browser, report, scheme, width):
    from test_text_view import SCREENSHOTS

    _, path = report
    opened = open_report(browser, path, scheme=scheme, width=width)
    SCREENSHOTS.mkdir(exist_ok=True)
    box = opened.page.locator('[data-testid="text-faithfulness"]').bounding_box()
    assert box and box["width"] > 300  # the block keeps to the text's column, at any width
    opened.page.screenshot(path=str(SCREENSHOTS / f"text_faithfulness_{scheme}_{width}.png"), full_page=True)
    opened.page.close()


LAB_CELLS = [
    "import numpy as np, rai_widget as rw\n"
    f"WEIGHTS = {WEIGHTS!r}\n"
    "def graded(texts):\n"
    "    z = np.array([sum(WEIGHTS.get(w, 0.0) for w in t.lower().split()) - 0.5 for t in texts])\n"
    "    p = 1 / (1 + np.exp(-z))\n"
    "    return np.column_stack([1 - p, p])\n"
    "explainer = rw.TextExplainer(graded, classes=['neg', 'pos'])\n"
    f"exp = explainer.explain({TEXTS!r})\n"
    "explainer.faithfulness(exp)\n"
    "dash = rw.ExplanationDashboard(exp)",
    "dash",
]


def test_the_checks_render_in_jupyterlab(lab_page, run_notebook, run_cell, cell_locator, screenshot):
    page = lab_page
    run_notebook(page, LAB_CELLS)
    output = cell_locator(page, 1).locator(".jp-OutputArea")
    block = output.locator('[data-testid="text-faithfulness"]')
    block.wait_for(state="visible")
    want = run_cell(page, "print(f'{exp.faithfulness.comprehensiveness[0, 0]:.6f}')").strip()
    assert close(output.locator('[data-testid="faithfulness-row"]').first.locator("td").first.inner_text(), float(want))
    assert output.locator('[data-testid="text-approximation"]').inner_text().startswith("SHAP values: exact.")
    assert "Over 'All data' (4 texts" in output.locator('[data-testid="faithfulness-summary"]').inner_text()
    assert not page.rw_dialogs
    screenshot(page, "text_faithfulness_jupyterlab", output)
