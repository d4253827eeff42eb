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
    # a binary model offers one class (the other's values are its negatives) and the predicted class; the
    # importances are the same for both, and the switch runs from the embedded values
    class_select = page.locator('[data-testid="class-select"]')
    assert class_select.locator("option").all_text_contents() == [EVIL_CLASS, "predicted class"]
    before = page.locator('[data-testid="importance-chart"]').inner_text()
    class_select.select_option(label="predicted class")
    assert class_select.input_value() == "predicted"
    assert page.locator('[data-testid="importance-chart"]').inner_text() == before
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


# Markup an attacker might get into a page (the view never writes markup: textContent only). The CSP is the
# second line of defence: none of it may run, while the report itself still renders and responds.
INJECTED = (
    '<img src="data:," onerror="window.pwned = \'onerror\'">'
    '<script>window.pwned = "inline script"</script>'
    '<a id="rw-evil-link" href="javascript:window.pwned = \'javascript: url\'">link</a>'
    '<svg><animate onbegin="window.pwned = \'svg handler\'" attributeName="x" dur="1s"/></svg>'
)
ATTEMPTS_AFTER_LOAD = """() => {
  const results = {};
  const attempt = (name, fn) => { try { results[name] = String(fn()); } catch (e) { results[name] = e.name; } };
  attempt("onclick", () => {
    const b = document.createElement("button");
    b.setAttribute("onclick", "window.pwned = 'onclick set at run time'");
    document.body.appendChild(b);
    b.click();
    return "set";
  });
  attempt("handler property", () => {
    const b = document.createElement("button");
    b.onclick = "window.pwned = 'onclick property'";  // a string handler is ignored
    b.click();
    return "set";
  });
  attempt("html", () => document.body.insertAdjacentHTML("beforeend", "<img src=x onerror=\\"window.pwned = 1\\">"));
  attempt("script", () => {
    const s = document.createElement("script");
    s.textContent = "window.pwned = 'script element'";
    document.body.appendChild(s);
    return "appended";
  });
  return results;
}"""


def test_report_csp_blocks_injected_scripts_and_handlers(browser, report, tmp_path):
    _, path = report
    page_html = path.read_text(encoding="utf-8")
    csp = page_html.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert page_html.count('<div id="rw-app"></div>') == 1
    evil = tmp_path / "injected.html"
    evil.write_text(
        page_html.replace('<div id="rw-app"></div>', '<div id="rw-app"></div>' + INJECTED), encoding="utf-8"
    )

    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => "
        "(window.rwViolations = window.rwViolations || []).push(e.violatedDirective));"
    )
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    page.goto(evil.as_uri())
    bars = page.locator('[data-testid="importance-bar"]')
    bars.first.wait_for(state="visible", timeout=15_000)  # the hashed runtime and the blob bundle run
    assert bars.count() == 9 and not errors, errors
    results = page.evaluate(ATTEMPTS_AFTER_LOAD)
    page.locator("#rw-evil-link").click()
    page.wait_for_timeout(500)
    assert page.evaluate("window.pwned") is None, results
    # Trusted Types: no handler, HTML or script from strings, even from code the page runs (eval is not
    # tried here: Playwright's evaluate may use it whatever the CSP says; the CSP has no 'unsafe-eval')
    assert results == {"onclick": "TypeError", "handler property": "set", "html": "TypeError", "script": "TypeError"}
    assert "unsafe-eval" not in csp
    violations = page.evaluate("window.rwViolations || []")
    assert len(violations) >= 4 and {v.split("-")[0] for v in violations} >= {"script", "require"}, violations
    # and it still responds
    before = page.locator(".rw-header").inner_text()
    page.locator('[data-testid="cohort-select"]').select_option(label="older")
    assert page.locator(".rw-header").inner_text() != before
    page.close()


def test_report_with_infinite_cohort_bounds_renders_the_kernel_counts(browser, tmp_path):
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"age": rng.integers(20, 70, 60).astype(float), "income": rng.normal(50, 10, 60)})
    exp = rw.MimicExplainer(lambda A: A["age"].to_numpy() * 0.1 + A["income"].to_numpy(), X).explain(X)
    cohorts = [
        rw.Cohort("below inf", [rw.Filter("age", "<", float("inf"))]),
        rw.Cohort("above 10**400", [rw.Filter("age", ">", 10**400)]),
        rw.Cohort("band", [rw.Filter("age", "between", [-float("inf"), 40])]),
    ]
    path = exp.save_html(tmp_path / "inf.html", cohorts=cohorts)
    page = browser.new_page()
    page.goto(path.as_uri())
    page.locator('[data-testid="importance-bar"]').first.wait_for(state="visible", timeout=15_000)
    sizes = page.locator('[data-testid="cohort-select"] [data-testid="cohort-size"]')
    got = {
        sizes.nth(i).get_attribute("data-cohort"): sizes.nth(i).get_attribute("data-rows") for i in range(sizes.count())
    }
    assert got == {c.name: str(c.count(exp)) for c in [rw.Cohort("All data")] + cohorts}
    page.close()
