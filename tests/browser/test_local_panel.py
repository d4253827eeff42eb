"""Local-explanation panels keep every feature value readable at 1024 px (offline report, Chromium).

Long feature names (as in the HMDA demo: "housing_to_income_ratio = 0.2345") must not push the value
out of sight: a name may be shortened (in full in the tooltip), the number after it never is.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
NAMES = [
    "housing_expense_to_income_ratio",
    "total_debt_payments_to_income",
    "consumer_credit_score",
    "mortgage_credit_score",
    "loan_to_appraised_value",
    "county_unemployment_rate",
    "years_at_current_employer",
    "monthly_income_thousands",
]

# Texts of the feature values (after "name = ") and SHAP values that are not fully visible: clipped by
# an ancestor that hides overflow, or ellipsized. Each value is found as a Range over the label's text.
CUT_VALUES = """(root) => {
  const bad = [];
  const clippedBy = (rect, el) => {
    for (let a = el; a && a !== root; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const box = a.getBoundingClientRect();
      const outside = rect.left < box.left - 0.5 || rect.right > box.right + 0.5
        || rect.top < box.top - 0.5 || rect.bottom > box.bottom + 0.5;
      if (outside) return a;
    }
    return null;
  };
  const labels = root.querySelectorAll('[data-testid="local-row"] .rw-local-label');
  let checked = 0;
  for (const label of labels) {
    const text = label.textContent;
    const at = text.indexOf(' = ');
    if (at < 0) continue;  // the "other N features" bar
    const range = document.createRange();
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    let pos = 0, started = false, last = null, node;
    while ((node = walker.nextNode())) {
      if (!started && pos + node.data.length > at + 3) { range.setStart(node, at + 3 - pos); started = true; }
      last = node;
      pos += node.data.length;
    }
    range.setEnd(last, last.data.length);
    checked++;
    const holder = range.startContainer.parentElement;
    if (getComputedStyle(holder).textOverflow === 'ellipsis' && holder.scrollWidth > holder.clientWidth + 0.5) {
      bad.push(text + ' (ellipsized)');
      continue;
    }
    for (const r of range.getClientRects())
      if (r.width > 0 && clippedBy(r, holder)) { bad.push(text + ' (clipped)'); break; }
  }
  for (const v of root.querySelectorAll('[data-testid="local-row"] .rw-local-value'))
    if (v.scrollWidth > v.clientWidth + 0.5) bad.push('SHAP value ' + v.textContent);
  return {checked, bad};
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    rng = np.random.default_rng(3)
    n = 300
    X = pd.DataFrame({name: rng.normal(0.3 + k, 0.2 + k / 10, n) for k, name in enumerate(NAMES)})
    weights = np.linspace(1.5, 0.2, len(NAMES))

    def predict_proba(frame):
        z = ((frame.to_numpy() - frame.to_numpy().mean(axis=0)) * weights).sum(axis=1)
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])

    y = np.where(predict_proba(X)[:, 1] > 0.5, "denied", "approved")
    explainer = rw.MimicExplainer(predict_proba, X, task="classification", classes=["approved", "denied"])
    exp = explainer.explain(X, y_true=y)
    dash = rw.ExplanationDashboard(exp, selected_rows=[0, 1, 2, 3])
    return dash.save_html(tmp_path_factory.mktemp("local") / "local.html")


def _open_rows_tab(browser, report, width, scheme="light"):
    opened = open_offline(browser, report, scheme=scheme, width=width, height=1000)
    page, errors = opened.page, opened.errors
    page.locator('[data-testid="tab-rows"]').click()
    local = page.locator('[data-testid="local-chart"]')
    local.locator('[data-testid="local-row"]').first.wait_for(state="visible", timeout=15_000)
    return page, local, errors


def test_feature_values_are_fully_visible_at_1024px(browser, report):
    page, local, errors = _open_rows_tab(browser, report, 1024)
    assert local.locator('[data-testid="local-row"]').count() == 4
    result = local.evaluate(CUT_VALUES)
    assert result["checked"] >= 4 * len(NAMES) // 2, result
    assert result["bad"] == [], f"feature values cut off at 1024 px: {result['bad'][:5]}"
    # the full "name = value" stays in each label's tooltip
    label = local.locator('[data-testid="local-row"] .rw-local-label').first
    assert label.get_attribute("title") == label.text_content()
    page.close()
    assert not errors, errors


@pytest.mark.parametrize("width", [1024, 1440])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_local_panel_screenshots(browser, report, scheme, width):
    page, local, errors = _open_rows_tab(browser, report, width, scheme)
    assert local.evaluate(CUT_VALUES)["bad"] == []
    SCREENSHOTS.mkdir(exist_ok=True)
    local.screenshot(path=str(SCREENSHOTS / f"local_panel_{scheme}_{width}.png"))
    page.close()
    assert not errors, errors
