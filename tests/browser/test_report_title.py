"""The offline report's header: the title save_html was given (or a readable default), drawn as text, the same
as the browser tab's title; and the regression / binary wording of the dashboard it shows."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline
from playwright.sync_api import expect

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
TITLE = 'Loans <img src=x onerror="window.pwned=1"> & <b>co</b>'


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"rooms": rng.integers(1, 8, 300).astype(float), "age": rng.normal(40, 10, 300)})
    return rw.MimicExplainer(lambda F: 3 * F["rooms"].to_numpy() - 0.1 * F["age"].to_numpy(), X).explain(X)


@pytest.fixture(scope="module")
def binary():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"income": rng.normal(50, 10, 300), "debt": rng.normal(20, 5, 300)})

    def predict_proba(frame):
        p = 1 / (1 + np.exp(-(frame["income"].to_numpy() - 2 * frame["debt"].to_numpy()) / 5))
        return np.column_stack([1 - p, p])

    return rw.MimicExplainer(predict_proba, X, task="classification", classes=["deny", "approve"]).explain(X)


def _open(browser, path: Path, width: int = 1024, scheme: str = "light"):
    opened = open_offline(browser, path, scheme=scheme, width=width, height=760)
    page = opened.page
    page.locator('[data-testid="importance-bar"]').first.wait_for(state="visible", timeout=15_000)
    assert not opened.errors and not opened.blocked, (opened.errors, opened.blocked)
    return page


def test_visible_header_is_the_given_title_as_text(browser, regression, tmp_path):
    page = _open(browser, regression.save_html(tmp_path / "titled.html", title=TITLE))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(TITLE, timeout=2_000)
    assert page.title() == TITLE
    assert page.locator("h1 img, h1 b").count() == 0 and page.evaluate("window.pwned") is None
    page.close()


def test_default_header_says_what_the_report_is_of(browser, regression, tmp_path):
    page = _open(browser, regression.save_html(tmp_path / "untitled.html"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tabular explanation: 300 rows, regression", timeout=2_000
    )
    assert page.title() == "Tabular explanation: 300 rows, regression"
    body = page.locator("body").inner_text()
    assert "ExplanationDashboard(" not in body and "TabularExplanation(" not in body
    # the regression reads in words: no "output output", no units called "output"
    axis = page.locator(".rw-axis").first.inner_text()  # the importance chart's axis
    assert axis == "mean |SHAP value| in the model's output units: how much each feature moves the prediction"
    assert page.get_by_test_id("output-fixed").inner_text() == "the prediction, in the model's output units"
    page.close()


def test_binary_report_offers_one_class_and_says_why(browser, binary, tmp_path):
    page = _open(browser, binary.save_html(tmp_path / "binary.html", title="Loan approvals"))
    options = page.get_by_test_id("class-select").locator("option").all_text_contents()
    assert options == ["approve", "predicted class"]
    note = page.get_by_test_id("output-note")
    expect(note).to_have_text(
        "Two classes: the values toward deny are minus those toward approve, so one class is offered."
    )
    assert note.is_visible()
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_report_screenshots(browser, binary, regression, tmp_path, scheme, width):
    SCREENSHOTS.mkdir(exist_ok=True)
    for name, exp, title in (("binary", binary, "Loan approvals"), ("regression", regression, None)):
        page = _open(browser, exp.save_html(tmp_path / f"{name}.html", title=title), width, scheme)
        page.screenshot(path=str(SCREENSHOTS / f"report_title_{name}_{scheme}_{width}.png"))
        page.close()
