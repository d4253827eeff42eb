"""save_html's title: the page's header and its tab's title, as text; a readable default.

In the browser: tests/browser/test_report_title.py."""

import html
import re

import numpy as np
import pandas as pd
import pytest

import rai_widget as rw
from rai_widget import report

EVIL = '<script>alert("t")</script> & <b>bold</b>'


@pytest.fixture(scope="module")
def binary():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=1000), "b": rng.normal(size=1000)})

    def predict_proba(frame):
        p = 1 / (1 + np.exp(-frame["a"].to_numpy(dtype=float)))
        return np.column_stack([1 - p, p])

    explainer = rw.MimicExplainer(predict_proba, X, task="classification", classes=["no", "yes"])
    return explainer.explain(X, progress=False)


@pytest.fixture(scope="module")
def regression():
    X = np.random.default_rng(1).normal(size=(1, 2))
    explainer = rw.MimicExplainer(lambda A: A[:, 0] * 2, np.random.default_rng(2).normal(size=(50, 2)))
    with pytest.warns(rw.FidelityWarning, match="1 explained row"):  # one row: a report of one row is still titled
        return explainer.explain(X, progress=False)


def _header(page: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    h1 = re.search(r'<h1 class="rw-report-title" id="rw-report-title">(.*?)</h1>', page, re.S)
    assert title and h1, "the page has a <title> and a visible <h1> header"
    return title.group(1), h1.group(1)


def test_default_title_says_what_the_report_is_of(binary, regression):
    assert report.default_title(binary.show()) == "Tabular explanation: 1,000 rows, 2 classes"
    assert report.default_title(regression.show()) == "Tabular explanation: 1 row, regression"


def test_given_title_is_the_header_and_the_tab_title_as_text(binary, tmp_path):
    page = binary.save_html(tmp_path / "r.html", title=EVIL).read_text(encoding="utf-8")
    tab, header = _header(page)
    assert tab == header == html.escape(EVIL)
    assert html.unescape(header) == EVIL
    assert "<b>bold</b>" not in page.split("<script", 1)[0]  # no markup from the title before the scripts
    # what the report is of stays said, below the title
    assert "Tabular explanation: 1,000 rows, 2 classes. rai-widget report: interactive and offline" in page


def test_no_title_means_the_default_and_never_a_python_repr(binary, tmp_path):
    page = binary.save_html(tmp_path / "r.html").read_text(encoding="utf-8")
    tab, header = _header(page)
    assert tab == header == "Tabular explanation: 1,000 rows, 2 classes"
    assert "ExplanationDashboard(" not in page and "TabularExplanation(" not in page
    assert "rai-widget report: interactive and offline; changes made here are not saved." in page


@pytest.mark.parametrize(
    ("given", "shown"),
    [("  Loans\n  2024 ", "Loans 2024"), ("", "Tabular explanation: 1 row, regression"), (" \t", None)],
)
def test_titles_are_one_line_and_blank_ones_fall_back(regression, given, shown):
    dash = regression.show()
    assert report.report_title(dash, given) == (shown or report.default_title(dash))
