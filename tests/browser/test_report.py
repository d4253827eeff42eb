"""save_html: the report opens from disk in Chromium with every network request refused, and responds."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

import rai_widget as rw

SCREENSHOTS = Path(__file__).parent / "screenshots"
EVIL = "<script>alert(1)</script>"
EVIL_CLASS = "<img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 70, 400).astype(float),
            "income": rng.normal(50, 10, 400),
            "city": rng.choice(["Oslo", "Lima", EVIL], 400),
        }
    )
    y = np.where((X["age"] > 45) ^ (X["city"] == "Lima"), "approve", "deny")
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(pd.get_dummies(X), y)

    def predict_proba(frame):
        return model.predict_proba(pd.get_dummies(frame).reindex(columns=model.feature_names_in_, fill_value=0))

    # a class label that is HTML must stay text too
    classes = ["approve", EVIL_CLASS]
    y = np.where(y == "deny", EVIL_CLASS, y)
    exp = rw.MimicExplainer(predict_proba, X, task="classification", classes=classes).explain(X, y_true=y)
    cohorts = [rw.Cohort("older", [rw.Filter("age", ">", 45)]), rw.Cohort(EVIL, [rw.Filter("city", "==", EVIL)])]
    path = exp.save_html(tmp_path_factory.mktemp("report") / "loan.html", cohorts=cohorts)
    return exp, path


def test_report_renders_offline_and_responds(browser, report):
    exp, path = report
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    requests, dialogs, errors = [], [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))

    def block(route):
        requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", block)
    page.goto(path.as_uri())
    bars = page.locator('[data-testid="importance-bar"]')
    bars.first.wait_for(state="visible", timeout=15_000)
    assert [u for u in requests if not u.startswith("file://")] == []
    assert not errors, errors

    # three cohorts side by side, 3 features each
    assert bars.count() == 9
    cohort_select = page.locator('[data-testid="cohort-select"]')
    assert cohort_select.locator("option").all_text_contents() == ["All data", "older", EVIL]
    # the class switch redraws the bars from the embedded values
    before = page.locator('[data-testid="importance-chart"]').inner_text()
    page.locator('[data-testid="class-select"]').select_option(label="average over outputs")
    after = page.locator('[data-testid="importance-chart"]').inner_text()
    assert "average over outputs" in after and before != after
    # switching the active cohort updates the row count the kernel would compute
    cohort_select.select_option(label="older")
    older = int((exp.data["age"] > 45).sum())
    assert f"{older} of {len(exp)} rows" in page.locator(".rw-header").inner_text()

    class_options = page.locator('[data-testid="class-select"] option').all_text_contents()
    assert EVIL_CLASS in class_options
    page.locator('[data-testid="tab-rows"]').click()  # y_true / y_pred labels in the row table
    assert page.locator('[data-testid="row-table"]').get_by_text(EVIL_CLASS).first.is_visible()
    page.wait_for_timeout(300)
    assert not dialogs and page.locator("#rw-app script, #rw-app img").count() == 0
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report_offline.png"), full_page=True)
    page.close()


def test_report_size_stays_reasonable(tmp_path):
    X = np.random.default_rng(1).normal(size=(10_000, 30))
    exp = rw.MimicExplainer(lambda A: A[:, 0] * 2 + A[:, 1] * A[:, 2], X).explain(X)
    path = exp.save_html(tmp_path / "big")
    assert path.suffix == ".html"
    assert path.stat().st_size < 4e6  # 10,000 rows x 30 features stay under a few MB
