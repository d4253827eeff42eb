"""The attribution-agreement badge in Chromium: an offline report (every request refused) of an explanation
checked with explainer.check_attributions shows the figures beside the fidelity badge, in words when they are
poor, and names the method in its details; a report of an unchecked explanation has no badge; in JupyterLab,
exp.show() after the check shows the kernel's figures."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kernel_io import kernel_json
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOTS = Path(__file__).parent / "screenshots"
TIMEOUT = 60_000  # ms, on a loaded machine
BADGE = '[data-testid="attribution-agreement"]'
TEXT = '[data-testid="attribution-agreement-text"]'


def _sentence(summary: dict) -> str:
    """The badge's words for the summary's own figures (js/tabular/agreement.ts, agreementText)."""
    f, k, floors = summary["figures"], summary["top_k"], summary["floors"]
    rho, overlap = f["rank_rho"], f["top_k_overlap"]
    low_rho, low_overlap = rho < floors["rank_rho"], overlap < floors["top_k_overlap"]
    lead = "Poor agreement with exact SHAP" if low_rho or low_overlap else "Attributions agree with exact SHAP"
    rho_text = f"rank ρ {rho:.2f}" + (f" (below {floors['rank_rho']})" if low_rho else "")
    overlap_text = f"top-{k} overlap {overlap * k:.1f}/{k}" + (
        f" (below {floors['top_k_overlap'] * k:.1f})" if low_overlap else ""
    )
    return f"{lead} on {summary['rows']} rows: {rho_text}, {overlap_text}"


def _model(n=1200, seed=0):
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 7)), columns=[f"x{j}" for j in range(7)])
    coef = np.array([1.3, -3.0, 0.6, 2.0, -1.0, -2.5, 1.6])
    y = (X.to_numpy() @ coef + rng.logistic(size=n) > 0).astype(int)
    return X, GradientBoostingClassifier(n_estimators=120, max_depth=2, random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agreement")
    X, model = _model()
    explainer = rw.MimicExplainer(model, X, surrogate_params={"n_estimators": 300})
    exp = explainer.explain(X.iloc[:400], progress=False)
    plain = exp.save_html(folder / "plain.html")
    explainer.check_attributions(exp, progress=False)
    good = exp.save_html(folder / "good.html")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)
        weak = rw.MimicExplainer(model, X, surrogate_params={"n_estimators": 1, "max_depth": 1})
        poor_exp = weak.explain(X.iloc[:400], progress=False)
    weak.check_attributions(poor_exp, progress=False)
    poor = poor_exp.save_html(folder / "poor.html")
    return {"plain": plain, "good": (good, exp.attribution_agreement), "poor": (poor, poor_exp.attribution_agreement)}


def _badge(browser, path, scheme="light", width=1024):
    opened = open_offline(browser, path, scheme=scheme, width=width, height=800)
    opened.page.locator('[data-testid="fidelity"]').wait_for(timeout=TIMEOUT)
    return opened, opened.page.locator(BADGE)


def test_the_report_shows_the_figures_beside_the_fidelity_badge(browser, reports):
    path, summary = reports["good"]
    assert not summary["poor"] and summary["method"] == "tree"
    for scheme in ("light", "dark"):
        for width in (1024, 1440):
            opened, badge = _badge(browser, path, scheme, width)
            assert badge.locator(TEXT).text_content() == _sentence(summary)
            assert badge.get_attribute("data-poor") == "false" and badge.get_attribute("data-method") == "tree"
            # beside the fidelity badge: the next element of the header
            assert (
                opened.page.evaluate(
                    "() => document.querySelector('[data-testid=\"fidelity\"]').nextElementSibling.dataset.testid"
                )
                == "attribution-agreement"
            )
            opened.page.screenshot(path=str(SCREENSHOTS / f"agreement-{scheme}-{width}.png"))
            badge.locator(TEXT).click()
            body = badge.locator(".rw-agreement-body")
            body.wait_for(state="visible", timeout=TIMEOUT)
            assert "shap.TreeExplainer on the model (GradientBoostingClassifier)" in body.text_content()
            opened.page.screenshot(path=str(SCREENSHOTS / f"agreement-open-{scheme}-{width}.png"))
            assert opened.blocked == [] and opened.errors == [] and opened.dialogs == []
            opened.page.close()


def test_a_poor_agreement_is_said_in_words(browser, reports):
    path, summary = reports["poor"]
    assert summary["poor"]
    opened, badge = _badge(browser, path)
    text = badge.locator(TEXT).text_content()
    assert text == _sentence(summary) and text.startswith("Poor agreement with exact SHAP on 200 rows")
    assert "(below 0.8)" in text
    assert badge.get_attribute("data-poor") == "true"
    for scheme in ("light", "dark"):
        page = open_offline(browser, path, scheme=scheme, width=1024, height=800).page
        page.locator(BADGE).wait_for(timeout=TIMEOUT)
        page.screenshot(path=str(SCREENSHOTS / f"agreement-poor-{scheme}-1024.png"))
        page.close()
    assert opened.blocked == [] and opened.errors == []


def test_an_unchecked_explanation_has_no_badge(browser, reports):
    opened, badge = _badge(browser, reports["plain"])
    assert badge.count() == 0
    title = opened.page.locator('[data-testid="fidelity"]').get_attribute("title")
    assert "explainer.check_attributions(exp)" in title
    assert opened.blocked == []


SETUP = [
    "import numpy as np, pandas as pd, rai_widget as rw\n"
    "from sklearn.ensemble import GradientBoostingClassifier\n"
    "rng = np.random.default_rng(0)\n"
    "X = pd.DataFrame(rng.normal(size=(800, 6)), columns=[f'x{j}' for j in range(6)])\n"
    "y = (X.to_numpy() @ np.array([1.3, -3.0, 0.6, 2.0, -1.0, -2.5]) + rng.logistic(size=800) > 0).astype(int)\n"
    "model = GradientBoostingClassifier(n_estimators=100, max_depth=2, random_state=0).fit(X, y)\n"
    "explainer = rw.MimicExplainer(model, X)\n"
    "exp = explainer.explain(X.iloc[:300])\n"
    "result = explainer.check_attributions(exp)\n"
    "dash = exp.show()",
    "dash",
]


def test_jupyterlab_shows_the_kernels_figures(lab_page, run_notebook, run_cell, cell_locator):
    page = lab_page
    run_notebook(page, SETUP)
    badge = cell_locator(page, 1).locator(".jp-OutputArea").locator(BADGE)
    badge.wait_for(timeout=TIMEOUT)
    summary = kernel_json(run_cell, page, "exp.attribution_agreement")
    assert badge.locator(TEXT).text_content() == _sentence(summary)
    assert badge.get_attribute("data-method") == "tree"


AXE = Path(__file__).parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE_ON_HEADER = """async () => {
  const r = await axe.run(document.querySelector('.rw-header'), {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']});
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.help);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("case", ["good", "poor"])
def test_axe_finds_nothing_serious_in_the_header_with_the_badge_closed_and_open(browser, reports, case, scheme):
    path, _ = reports[case]
    page = open_offline(browser, path, scheme=scheme, width=1024, height=800, bypass_csp=True).page
    page.locator(BADGE).wait_for(timeout=TIMEOUT)
    page.add_script_tag(path=str(AXE))
    assert page.evaluate(RUN_AXE_ON_HEADER) == []
    page.locator(TEXT).click()
    page.locator(f"{BADGE} .rw-agreement-body").wait_for(state="visible", timeout=TIMEOUT)
    assert page.evaluate(RUN_AXE_ON_HEADER) == []
    page.close()
