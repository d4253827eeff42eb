"""Values from shap in the view: an offline report (Chromium, file://, every request refused) of rw.from_shap's
explanation says its values came from shap where a Mimic explanation shows its surrogate's fidelity, and the
interactions note does not send the user to an explainer that does not exist; the bars are shap's own means."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import shap
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["age", "income", "debt", "tenure"])
    y = np.where(X["income"] - 2 * X["debt"] + rng.logistic(size=300) > 0, "approve", "deny")
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    sv = shap.TreeExplainer(model)(X.iloc[:120])
    exp = rw.from_shap(sv, y_true=y[:120], output_names=list(model.classes_))
    folder = tmp_path_factory.mktemp("from_shap")
    path = exp.save_html(folder / "from_shap.html")
    # with the model's own outputs (log-odds: TreeExplainer's units), the badge says how well the values add up
    raw = model.predict(X.iloc[:120], raw_score=True)
    checked = rw.from_shap(sv, y_true=y[:120], output_names=list(model.classes_), model_output=raw)
    return path, sv, checked.save_html(folder / "checked.html")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_report_of_shap_values_says_where_they_came_from(browser, report, scheme, width):
    path, sv, _ = report
    opened = open_offline(browser, path, scheme=scheme, width=width)
    page = opened.page
    badge = page.locator('[data-testid="fidelity"]')
    badge.wait_for(state="visible", timeout=20_000)
    assert badge.inner_text() == "Values from shap: no surrogate"
    # a fact, not a good figure: the neutral border, not the success colour of a fidelity badge
    assert "rw-neutral" in (badge.get_attribute("class") or "")
    assert "Surrogate fidelity" not in page.locator(".rw-header").inner_text()
    legend = page.locator('[data-testid="importance-chart"]').locator("xpath=..").inner_text()
    assert "120 rows" in legend and "R²" not in legend and "agreement" not in legend
    note = page.locator('[data-testid="interaction-note"]')
    assert "came from shap" in note.inner_text() and "explainer.interactions(exp)" not in note.inner_text()
    # the bars are shap's mean |value| for the positive class, largest first
    order = page.locator('[data-testid="importance-chart"] .rw-bar-group').evaluate_all(
        "els => els.map(e => e.dataset.feature)"
    )
    means = np.abs(sv.values).mean(axis=0)
    expected = [sv.feature_names[j] for j in np.argsort(-means, kind="stable")]
    assert order[: len(expected)] == expected
    page.screenshot(path=str(SCREENSHOTS / f"from-shap-{scheme}-{width}.png"))
    assert opened.errors == [] and opened.blocked == [] and opened.dialogs == []
    page.close()


def test_given_the_models_outputs_the_badge_says_how_well_the_values_add_up(browser, report):
    opened = open_offline(browser, report[2])
    badge = opened.page.locator('[data-testid="fidelity"]')
    badge.wait_for(state="visible", timeout=20_000)
    assert badge.inner_text().startswith("Values from shap, summed vs the model: R² 1.000")
    assert not {"rw-warn", "rw-neutral"} & set((badge.get_attribute("class") or "").split())
    assert opened.errors == [] and opened.blocked == []
    opened.page.close()
