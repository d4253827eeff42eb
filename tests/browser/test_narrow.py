"""The dashboard stays readable at 600 px: nothing sticks out of the page in any tab, light or dark."""

from pathlib import Path

import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

import rai_widget as rw

SCREENSHOTS = Path(__file__).parent / "screenshots"

OVERFLOW = """() => {
  const root = document.querySelector('.rw-root');
  const limit = document.documentElement.clientWidth;
  const out = [];
  for (const el of root.querySelectorAll('*')) {
    if (el.closest('.rw-rows-scroll, .rw-rows-viewport, [data-testid="row-table"] *')) continue;  // scrolls itself
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > limit + 1) out.push(el.className || el.tagName);
  }
  return out.slice(0, 5);
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    d = load_breast_cancer(as_frame=True)
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(d.data, d.target)
    exp = rw.MimicExplainer(model, d.data).explain(d.data, y_true=d.target)
    cohorts = [rw.Cohort("large tumours", [rw.Filter("worst area", ">", 1000)])]
    return exp.save_html(tmp_path_factory.mktemp("narrow") / "narrow.html", cohorts=cohorts)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_tab_fits_600px(browser, report, scheme):
    page = browser.new_page(viewport={"width": 600, "height": 900}, color_scheme=scheme)
    page.goto(report.as_uri())
    page.locator('[data-testid="importance-bar"]').first.wait_for(state="visible")
    page.locator(".rw-bar-group").first.click()  # opens the dependence plot
    page.locator('[data-testid="dependence-plot"] canvas').first.wait_for(state="visible")
    assert page.evaluate(OVERFLOW) == []
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"narrow_importance_{scheme}.png"), full_page=True)
    for tab in ("rows", "cohorts"):
        page.locator(f'[data-testid="tab-{tab}"]').click()
        page.wait_for_timeout(200)
        assert page.evaluate(OVERFLOW) == [], tab
        page.screenshot(path=str(SCREENSHOTS / f"narrow_{tab}_{scheme}.png"), full_page=True)
    page.close()
