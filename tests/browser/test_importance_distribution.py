"""The distribution of local importances: offline report (Chromium, file://, no request allowed) and JupyterLab.

Box, Violin and Beeswarm each paint the canvas (pixels read back) and say what they drew (data-shapes: one shape
per feature per cohort; data-points: one beeswarm dot per row of the active cohort per feature); switching the
class or the cohort redraws with other values; the CSV export holds numpy's quartiles of the explanation's
values. No script error, no request. Screenshots light and dark, 1024 and 1440 px wide.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
N = 400
TOP_K = 4

# Pixels with alpha > 0 on the canvas, and a checksum of them (to see a redraw change the picture).
PAINTED = """(canvas) => {
  const {data} = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let n = 0, sum = 0;
  for (let k = 0; k < data.length; k += 4) {
    if (data[k + 3] === 0) continue;
    n++;
    sum = (sum * 31 + data[k] + 7 * data[k + 1] + 13 * data[k + 2] + k) % 1000000007;
  }
  return [n, sum];
}"""


@pytest.fixture(scope="module")
def explanation():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "income": rng.lognormal(3.5, 0.4, N),
            "age": rng.integers(18, 80, N).astype(float),
            "region": pd.Categorical(rng.choice(["north", "south", "east"], N)),
            "owner": rng.random(N) < 0.4,
            "debt": rng.normal(10, 3, N),
        }
    )
    X.loc[::37, "age"] = np.nan

    def predict_proba(frame):
        z = (
            (np.log(frame["income"].to_numpy()) - 3.5) * 2
            - 0.03 * (np.nan_to_num(frame["age"].to_numpy(), nan=45.0) - 45)
            + 0.8 * (frame["region"].astype(str).to_numpy() == "south")
            - 0.15 * (frame["debt"].to_numpy() - 10)
        )
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])

    y = np.where(predict_proba(X)[:, 1] > 0.5, "yes", "no")
    return rw.MimicExplainer(predict_proba, X, task="classification", classes=["no", "yes"]).explain(X, y_true=y)


@pytest.fixture(scope="module")
def report(explanation, tmp_path_factory):
    cohorts = [
        rw.Cohort("south", [rw.Filter("region", "==", "south")]),
        rw.Cohort("nobody", [rw.Filter("debt", ">", 1e9)]),
    ]
    return explanation.save_html(tmp_path_factory.mktemp("distribution") / "distribution.html", cohorts=cohorts)


def _open(browser, report, scheme="light", width=1100, **options):
    opened = open_offline(browser, report, scheme=scheme, width=width, height=1000, **options)
    chart = opened.page.locator('[data-testid="importance-distribution"]')
    chart.wait_for(state="visible", timeout=20_000)
    slider = opened.page.locator('[data-testid="importance-chart"] input[type="range"]')
    slider.fill(str(TOP_K))
    opened.page.wait_for_function(
        "([el, k]) => JSON.parse(el.dataset.features).length === k", arg=[chart.element_handle(), TOP_K]
    )
    return opened, chart


def _mode(page, chart, mode: str) -> None:
    chart.locator(f'button[data-mode="{mode}"]').click()
    page.wait_for_function("([el, m]) => el.dataset.mode === m", arg=[chart.element_handle(), mode])


def _attrs(chart) -> dict:
    return chart.evaluate(
        """(el) => {
          const canvas = el.querySelector('canvas');
          return {features: JSON.parse(el.dataset.features), cohorts: JSON.parse(el.dataset.cohorts),
                  points: +canvas.dataset.points, shapes: +canvas.dataset.shapes,
                  message: el.querySelector('.rw-dist-message').textContent};
        }"""
    )


def test_each_mode_draws_and_switching_class_and_cohort_redraws(browser, report, explanation):
    opened, chart = _open(browser, report)
    page, canvas = opened.page, chart.locator("canvas")
    bars = page.locator('[data-testid="importance-chart"] .rw-bar-group')
    assert _attrs(chart)["features"] == [bars.nth(i).get_attribute("data-feature") for i in range(bars.count())]

    # Box and Violin: one shape per feature per cohort with rows, the empty cohort named as such
    south = int((explanation.cohort_columns()["region"] == "south").sum())
    for mode in ("box", "violin"):
        _mode(page, chart, mode)
        a = _attrs(chart)
        assert a["cohorts"] == ["All data", "south"], a
        assert a["shapes"] == TOP_K * 2, a
        assert 'No rows in cohort "nobody"' in a["message"]
        painted, _ = canvas.evaluate(PAINTED)
        assert painted > 500, f"{mode}: the canvas looks blank ({painted} painted pixels)"

    # Beeswarm: every row of the active cohort, once per feature
    _mode(page, chart, "beeswarm")
    assert _attrs(chart)["points"] == N * TOP_K
    before = canvas.evaluate(PAINTED)
    assert before[0] > 1000

    # the cohort: from the header's picker, the beeswarm redraws south's rows only
    page.locator('.rw-header [data-testid="cohort-select"]').select_option("south")
    page.wait_for_function(
        "([el, n]) => +el.querySelector('canvas').dataset.points === n", arg=[chart.element_handle(), south * TOP_K]
    )
    after_cohort = canvas.evaluate(PAINTED)
    assert after_cohort != before

    # the class: each row's predicted class instead of class yes moves the values of rows predicted "no"
    page.locator('[data-testid="class-select"]').select_option("predicted")
    page.wait_for_function(
        "(el) => el.querySelector('.rw-dist-caption').textContent.includes(\"each row's predicted class\")",
        arg=chart.element_handle(),
    )
    after_class = canvas.evaluate(PAINTED)
    assert after_class != after_cohort
    _mode(page, chart, "box")
    assert _attrs(chart)["shapes"] == TOP_K * 2

    # the empty cohort made active: the beeswarm says so and draws nothing
    page.locator('.rw-header [data-testid="cohort-select"]').select_option("nobody")
    _mode(page, chart, "beeswarm")
    a = _attrs(chart)
    assert a["points"] == 0 and 'No rows in cohort "nobody"' in a["message"], a
    assert opened.errors == [] and opened.dialogs == []
    assert opened.blocked == [], f"the report made requests: {opened.blocked}"


def test_the_csv_holds_numpys_box_of_each_feature_and_cohort(browser, report, explanation):
    opened, chart = _open(browser, report, accept_downloads=True)
    with opened.page.expect_download(timeout=10_000) as info:
        chart.locator('[data-testid="export-csv"]').click()
    download = info.value
    assert download.suggested_filename == "distribution-box-class_yes.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert len(rows) == TOP_K * 2
    south = (explanation.cohort_columns()["region"] == "south").to_numpy()
    values = explanation.values[:, :, 1] if explanation.values.ndim == 3 else explanation.values
    for r in rows:
        j = explanation.feature_names.index(r["feature"])
        v = values[:, j] if r["cohort"] == "All data" else values[south, j]
        v = v.astype(np.float32).astype(np.float64)  # the wire's float32
        q1, median, q3 = np.quantile(v, [0.25, 0.5, 0.75])
        assert int(r["n"]) == v.size
        for key, want in [
            ("q1", q1),
            ("median", median),
            ("q3", q3),
            ("min", v.min()),
            ("max", v.max()),
            ("mean", v.mean()),
        ]:
            assert float(r[key]) == pytest.approx(want, rel=1e-9, abs=1e-12), (r["feature"], r["cohort"], key)
        inside = v[(v >= q1 - 1.5 * (q3 - q1)) & (v <= q3 + 1.5 * (q3 - q1))]
        assert float(r["whisker_low"]) == pytest.approx(inside.min()) and float(r["whisker_high"]) == pytest.approx(
            inside.max()
        )
    assert opened.errors == [] and opened.blocked == []


def test_keyboard_reaches_the_controls_and_the_readout(browser, report):
    opened, chart = _open(browser, report)
    page = opened.page
    chart.locator('button[data-mode="violin"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_function("(el) => el.dataset.mode === 'violin'", arg=chart.element_handle())
    chart.locator(".rw-dist-area").focus()
    page.keyboard.press("ArrowDown")
    readout = chart.locator('[data-testid="distribution-readout"]').inner_text()
    first = _attrs(chart)["features"][0]
    assert readout.startswith(f"{first} · south: ") and "median" in readout, readout
    assert opened.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_screenshots(browser, report, scheme, width):
    opened, chart = _open(browser, report, scheme=scheme, width=width)
    SCREENSHOTS.mkdir(exist_ok=True)
    for mode in ("box", "violin", "beeswarm"):
        _mode(opened.page, chart, mode)
        chart.screenshot(path=str(SCREENSHOTS / f"distribution_{mode}_{scheme}_{width}.png"))
    assert opened.errors == []


# WCAG contrast of an element's text on its background (both opaque here).
CONTRAST = """(el) => {
  const lum = (css) => {
    const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map(Number).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const s = getComputedStyle(el);
  const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def test_it_renders_in_jupyterlab(lab_page, run_notebook, cell_locator, set_theme, screenshot):
    page = lab_page
    run_notebook(
        page,
        [
            "import numpy as np, rai_widget as rw\n"
            "from sklearn.datasets import load_breast_cancer\n"
            "from sklearn.linear_model import LogisticRegression\n"
            "d = load_breast_cancer(as_frame=True); X, y = d.data.iloc[:, :8], d.target\n"
            "model = LogisticRegression(max_iter=2000).fit(X, y)\n"
            "exp = rw.MimicExplainer(model, X).explain(X, y_true=y)",
            "exp.show()",
        ],
    )
    chart = cell_locator(page, 1).locator('[data-testid="importance-distribution"]')
    chart.wait_for(state="visible", timeout=30_000)
    page.wait_for_function("(el) => +el.querySelector('canvas').dataset.shapes > 0", arg=chart.element_handle())
    painted, _ = chart.locator("canvas").evaluate(PAINTED)
    assert painted > 200
    chart.locator('button[data-mode="beeswarm"]').click()
    page.wait_for_function("(el) => +el.querySelector('canvas').dataset.points > 0", arg=chart.element_handle())
    assert int(chart.locator("canvas").get_attribute("data-points")) == 569 * len(_attrs(chart)["features"])
    screenshot(page, "distribution_lab_light", chart)
    set_theme(page, "dark")
    pressed = chart.locator('button[aria-pressed="true"]')
    assert pressed.evaluate(CONTRAST) >= 4.5, "the pressed mode button's text is hard to read in Lab's dark theme"
    screenshot(page, "distribution_lab_dark", chart)
    assert page.rw_errors == []  # type: ignore[attr-defined]
