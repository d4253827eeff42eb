"""Every cohort's size, as each view states it (data-testid="cohort-size"), equals the kernel's count.

Offline reports of the shared payload cases (tests/payload_cases.py: every kind, and the inputs that once
made the kernel and the view disagree) open in Chromium; every element that states a cohort's size must
say what `Cohort.count` says in Python, and every cohort must be stated at least once.
"""

from __future__ import annotations

import pytest
from payload_cases import CASES

import rai_widget as rw

VIEWS = {"tabular": "importance-chart", "text": "text-view", "image": "image-view", "detection": "detection-view"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_cohort_size_in_the_report_is_the_kernels(browser, tmp_path, case):
    dash = rw.ExplanationDashboard(case.build(), cohorts=case.cohorts)
    path = dash.save_html(tmp_path / f"{case.name}.html")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.locator(f'[data-testid="{VIEWS[dash.kind]}"]').first.wait_for(state="attached", timeout=15_000)
    stated = page.locator('[data-testid="cohort-size"]').evaluate_all(
        "els => els.map(e => [e.dataset.cohort, e.dataset.rows ?? null, e.dataset.invalid ?? null])"
    )
    page.close()
    assert not errors, errors
    expected = {c.name: str(c.count(dash.explanation)) for c in dash.cohorts}
    assert {name for name, _, _ in stated} == set(expected)  # every cohort, and nothing else
    for name, rows, invalid in stated:
        assert invalid is None and rows == expected[name], (name, rows, invalid, expected[name])
