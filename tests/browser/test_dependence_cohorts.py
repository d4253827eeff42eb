"""The dependence plot draws what its legend lists, in the offline report (Chromium, from file://).

"Colour by: cohort" with cohorts that overlap: "group a" and "group b" cover every row and "model
errors" (listed after them) overlaps both; then a brushed cohort that overlaps all three. Every cohort
the legend shows with a swatch must have pixels of that colour on the canvas; a cohort with no point in
its colour is listed without a swatch. A whole-number feature gets whole-number ticks.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"

# Each legend item: its text and its swatch's colour (None when it shows no swatch).
LEGEND = """(legend) => Array.from(legend.querySelectorAll('.rw-legend-item')).map((item) => {
  const swatch = item.querySelector('.rw-swatch');
  return [item.textContent, swatch ? getComputedStyle(swatch).backgroundColor : null];
})"""

# How many canvas pixels have each colour (within 3 per channel: points painted over blank canvas keep theirs).
PIXELS = """(canvas, colours) => {
  const {data} = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  return colours.map(([r, g, b]) => {
    let n = 0;
    const near = (k) => Math.abs(data[k] - r) <= 3 && Math.abs(data[k + 1] - g) <= 3 && Math.abs(data[k + 2] - b) <= 3;
    for (let k = 0; k < data.length; k += 4) if (data[k + 3] > 0 && near(k)) n++;
    return n;
  });
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 12, n),
            "children": rng.integers(0, 5, n).astype(float),
            "group": np.where(np.arange(n) % 2 == 0, "a", "b"),
        }
    )

    def predict_proba(frame):
        z = (frame["income"].to_numpy() - 50) / 8 + 0.4 * frame["children"].to_numpy() - 0.8
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])

    predicted = np.where(predict_proba(X)[:, 1] > 0.5, "yes", "no")
    y = np.where(np.arange(n) % 7 == 0, np.where(predicted == "yes", "no", "yes"), predicted)  # every 7th row wrong
    exp = rw.MimicExplainer(predict_proba, X, task="classification", classes=["no", "yes"]).explain(X, y_true=y)
    cohorts = [
        rw.Cohort("group a", [rw.Filter("group", "==", "a")]),
        rw.Cohort("group b", [rw.Filter("group", "==", "b")]),
        rw.Cohort("model errors", [rw.Filter("correct", "==", False)]),
    ]
    return exp.save_html(tmp_path_factory.mktemp("dependence") / "cohorts.html", cohorts=cohorts)


def _open(browser, report, width=1024, scheme="light"):
    opened = open_offline(browser, report, scheme=scheme, width=width, height=1000)
    page, errors = opened.page, opened.errors
    plot = page.locator('[data-testid="dependence-plot"]')
    plot.wait_for(state="attached", timeout=15_000)
    return page, plot, errors


def _show(page, plot, feature: str):
    plot.locator("select").nth(0).select_option(label=feature)
    plot.locator("select").nth(1).select_option("cohort")
    plot.locator("canvas").wait_for(state="visible")
    page.wait_for_function("(el) => el.dataset.points !== undefined", arg=plot.element_handle())


def _rgb(css: str) -> tuple[int, int, int]:
    r, g, b = (int(v) for v in re.findall(r"\d+", css)[:3])
    return r, g, b


def _legend_pixels(plot) -> list[tuple[str, str | None, int | None]]:
    """(text, swatch colour or None, pixels of that colour on the canvas) per legend item."""
    items = plot.locator(".rw-dep-legend").evaluate(LEGEND)
    colours = [_rgb(c) for _, c in items if c]
    counts = iter(plot.locator("canvas").evaluate(PIXELS, colours) if colours else [])
    return [(text, colour, next(counts) if colour else None) for text, colour in items]


def _assert_legend_is_drawn(plot) -> list[tuple[str, str | None, int | None]]:
    legend = _legend_pixels(plot)
    assert legend, "the dependence legend is empty"
    for text, colour, pixels in legend:
        if colour is not None:
            assert pixels > 0, f"legend lists {text!r} in {colour}, but no pixel of the plot has that colour: {legend}"
        else:
            assert ":" in text, f"{text!r} has no swatch and does not say why"
    return legend


def test_every_cohort_the_legend_lists_is_drawn(browser, report):
    page, plot, errors = _open(browser, report)
    _show(page, plot, "income")
    legend = _assert_legend_is_drawn(plot)
    shown = {text: colour for text, colour, _ in legend}
    assert shown.get("model errors") is not None, f"model errors should be drawn (smallest on top): {legend}"

    # Brush a range: the new cohort becomes active and is drawn in its own colour.
    area = plot.locator(".rw-dep-area")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    page.mouse.up()
    make = plot.locator(".rw-dep-make")
    make.wait_for(state="visible")
    made = make.get_attribute("title").split('"')[1]
    make.click()
    title_names = "([el, name]) => el.querySelector('.rw-dep-xtitle').textContent.includes(name)"
    page.wait_for_function(title_names, arg=[plot.element_handle(), made])
    legend = _assert_legend_is_drawn(plot)
    brushed = [item for item in legend if item[0].startswith(made)]
    assert brushed and brushed[0][1] is not None, f"the brushed cohort {made!r} is not drawn: {legend}"

    # A click on "model errors" in the legend draws it on top of the brushed cohort.
    plot.locator('.rw-dep-pick[data-cohort="model errors"]').click()
    assert plot.locator('.rw-dep-pick[aria-pressed="true"]').get_attribute("data-cohort") == "model errors"
    legend = _assert_legend_is_drawn(plot)
    assert {text: colour for text, colour, _ in legend}.get("model errors") is not None, legend
    page.close()
    assert not errors, errors


def test_a_whole_number_feature_gets_whole_number_ticks(browser, report):
    page, plot, errors = _open(browser, report)
    _show(page, plot, "children")  # 0 to 4
    ticks = plot.locator(".rw-dep-xticks .rw-dep-tick").all_text_contents()
    assert ticks == ["0", "1", "2", "3", "4"], ticks
    page.close()
    assert not errors, errors


@pytest.mark.parametrize("width", [1024, 1440])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dependence_cohorts_screenshots(browser, report, scheme, width):
    page, plot, errors = _open(browser, report, width, scheme)
    _show(page, plot, "income")
    _assert_legend_is_drawn(plot)
    SCREENSHOTS.mkdir(exist_ok=True)
    plot.screenshot(path=str(SCREENSHOTS / f"dependence_cohorts_{scheme}_{width}.png"))
    page.close()
    assert not errors, errors
