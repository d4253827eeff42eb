"""Everything a mouse can do in the views, the keyboard can: reached with Tab, done with Enter / Space / arrows,
with a visible focus ring. Driven in the offline reports (the same bundle as in a notebook)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def tabular_report(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.normal(40, 10, 300), "income": rng.normal(50, 10, 300), "debt": rng.normal(size=300)})
    exp = rw.MimicExplainer(lambda f: np.asarray(f["age"] * 0.1 + f["debt"]), X).explain(X)
    return exp.save_html(tmp_path_factory.mktemp("keys") / "tabular.html")


def _open(browser, path: Path):
    page = open_offline(browser, path, width=1280).page
    page.locator(".rw-root").first.wait_for(state="visible", timeout=15_000)
    return page


def _tab_until(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches `selector` (it must be reachable without a mouse)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(sel) => document.activeElement?.matches(sel) ?? false", selector):
            return
    raise AssertionError(f"{selector} is not reachable with Tab in {limit} presses")


def _focus_ring(page) -> str:
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth; }"
    )


def test_importance_bars_open_the_dependence_plot_from_the_keyboard(browser, tabular_report):
    page = _open(browser, tabular_report)
    _tab_until(page, ".rw-bar-group")
    feature = page.evaluate("() => document.activeElement.dataset.feature")
    assert not _focus_ring(page).startswith("none"), "keyboard focus must be visible"
    page.keyboard.press("Enter")
    plot = page.locator('[data-testid="dependence-plot"]')
    plot.wait_for(state="visible", timeout=5_000)
    assert feature in plot.locator(".rw-dep-xtitle").inner_text()
    # the redraw keeps the focus on that feature, so the next Tab / Enter goes on from there
    assert page.evaluate("() => document.activeElement.dataset.feature") == feature
    assert page.evaluate("() => document.activeElement.getAttribute('aria-pressed')") == "true"


def test_rows_are_selected_and_sorted_from_the_keyboard(browser, tabular_report):
    page = _open(browser, tabular_report)
    page.get_by_role("tab", name="Individual rows").click()
    grid = page.locator('[role="grid"]')
    grid.wait_for(state="visible")
    _tab_until(page, '[role="columnheader"]')
    assert not _focus_ring(page).startswith("none")
    page.keyboard.press("Enter")  # sorts by that column (the index: descending now)
    first = page.locator('[data-testid="row"]').first.get_attribute("data-row")
    assert first == "299", f"Enter on the index header should sort it descending, first row is {first}"
    grid.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+Space")
    local = page.locator('[data-testid="local-row"]')
    local.first.wait_for(state="visible", timeout=5_000)
    assert sorted(int(r) for r in local.evaluate_all("els => els.map(e => e.dataset.row)")) == [297, 298]
    page.keyboard.press("End")
    assert page.locator('[data-testid="row-table"]').get_attribute("data-cursor-row") == "0"
    assert page.locator(".rw-rows-cursor").count() == 1


def test_text_image_and_detection_items_are_buttons(browser, tmp_path):
    texts = ["an excellent film", "a dull plot"]

    def scores(batch):
        p = np.array([0.9 if "excellent" in t else 0.2 for t in batch])
        return np.column_stack([1 - p, p])

    path = rw.TextExplainer(scores, classes=["neg", "pos"]).explain(texts).save_html(tmp_path / "t.html")
    page = _open(browser, path)
    _tab_until(page, '[data-testid="doc-item"]')
    page.keyboard.press("Tab")  # the second text
    page.keyboard.press("Enter")
    page.locator('[data-testid="doc-text"]').filter(has_text="dull").wait_for(timeout=5_000)
