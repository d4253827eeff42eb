"""Export in the offline report: every chart's PNG / SVG / CSV button saves a file, with no network
request, and the file holds what the explanation says (checked against the explanation in Python)."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from offline import open_offline
from PIL import Image

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
EVIL = "<img src=x onerror=alert(1)>"
FORMULA = "=HYPERLINK(1)"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def open_report(browser, path, width=1100, scheme="light"):
    """The report opened from disk with every request but file: aborted and counted."""
    opened = open_offline(browser, path, scheme=scheme, width=width, accept_downloads=True)
    opened.page.locator("#rw-app [data-testid]").first.wait_for(state="visible", timeout=15_000)
    return opened.page, opened.blocked, opened.errors, opened.dialogs


def save(page, button):
    """Click an export button; (suggested file name, bytes of the saved file)."""
    with page.expect_download(timeout=10_000) as info:
        button.click(timeout=5_000)
    dl = info.value
    return dl.suggested_filename, Path(dl.path()).read_bytes()


def read_csv(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    assert not [e for e in root.iter() if not e.tag.startswith(SVG)], "only SVG elements"
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def png(data: bytes, keep: str | None = None) -> Image.Image:
    """The PNG decoded; `keep` also writes it to screenshots/ for people to look at."""
    assert data.startswith(PNG_MAGIC)
    if keep:
        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / f"export-file-{keep}.png").write_bytes(data)
    return Image.open(io.BytesIO(data)).convert("RGBA")


def assert_quiet(page, blocked, errors, dialogs):
    assert blocked == [], blocked
    assert errors == [], errors
    assert dialogs == [], dialogs
    assert page.locator(".rw-export-status").evaluate_all("els => els.map(e => e.textContent).join('')") == ""


# ---------------------------------------------------------------------------------------- tabular


@pytest.fixture(scope="module")
def tabular_report(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n).astype(float),
            EVIL: rng.normal(50, 10, n),
            "city": rng.choice(["Oslo", FORMULA], n),
        }
    )
    logit = (X["age"] - 45) / 8 + (X[EVIL] - 50) / 10 + np.where(X["city"] == "Oslo", 0.5, -0.5)

    def predict_proba(frame):
        z = (frame["age"] - 45) / 8 + (frame[EVIL] - 50) / 10 + np.where(frame["city"] == "Oslo", 0.5, -0.5)
        p = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
        return np.column_stack([1 - p, p])

    y = np.where(logit > 0, "yes", "no")
    exp = rw.MimicExplainer(predict_proba, X, task="classification", classes=["no", "yes"]).explain(X, y_true=y)
    older = rw.Cohort("older", [rw.Filter("age", ">", 45)])
    dash = rw.ExplanationDashboard(exp, cohorts=[older])
    dash.selected_rows = [3, 17]
    return exp, older, dash.save_html(tmp_path_factory.mktemp("export") / "tabular.html")


def test_tabular_exports(browser, tabular_report):
    exp, older, path = tabular_report
    page, blocked, errors, dialogs = open_report(browser, path)
    chart = page.locator('[data-testid="importance-chart"]')
    chart.locator('[data-testid="importance-bar"]').first.wait_for(state="visible")
    yes = exp.output_names.index("yes")

    # importance: every feature of every cohort, toward class yes, as Python computes it
    name, data = save(page, chart.get_by_role("button", name="Save the importances per cohort as CSV"))
    assert name == "importance-class_yes.csv"
    rows = read_csv(data)
    assert {r["cohort"] for r in rows} == {"All data", "older"}
    assert {r["output"] for r in rows} == {"class yes"}
    for cohort_name, cohort in [("All data", None), ("older", older)]:
        expected = exp.global_importance(cohort, output=yes)
        got = {r["feature"]: float(r["mean_abs_shap"]) for r in rows if r["cohort"] == cohort_name}
        assert set(got) == set(exp.feature_names)  # the HTML-like name is a plain cell
        for feature, value in expected.items():
            assert got[feature] == pytest.approx(value, rel=1e-6, abs=1e-6)
        assert {int(r["rows"]) for r in rows if r["cohort"] == cohort_name} == {int(exp.cohort_mask(cohort).sum())}
    name, data = save(page, chart.get_by_role("button", name="Save the importance chart as SVG"))
    assert name == "importance-class_yes.svg"
    texts = svg_texts(data)
    assert EVIL in texts and "age" in texts
    name, data = save(page, chart.get_by_role("button", name="Save the importance chart as PNG"))
    assert name == "importance-class_yes.png" and png(data, "importance").width > 300

    # dependence of age: the points of the active cohort, their SHAP values toward yes
    chart.locator('.rw-bar-group[data-feature="age"]').click()
    dep = page.locator('[data-testid="dependence-plot"]')
    name, data = save(page, dep.get_by_role("button", name="Save the dependence plot's points as CSV"))
    assert name == "dependence-age-All_data-class_yes.csv"
    rows = read_csv(data)
    j = exp.feature_names.index("age")
    assert sorted(int(r["row"]) for r in rows) == list(range(len(exp)))
    for r in rows:
        i = int(r["row"])
        assert float(r["age"]) == exp.data["age"].iloc[i]
        assert float(r["shap_value"]) == pytest.approx(exp.values[i, j, yes], rel=1e-6, abs=1e-6)
    # coloured by cohort: the points of "older" are drawn in its colour
    in_older = exp.cohort_mask(older)
    assert {r["colour_group"] for r in rows if in_older[int(r["row"])]} == {"older"}
    assert {r["colour_group"] for r in rows if not in_older[int(r["row"])]} == {"in no other cohort"}
    page.locator('[data-testid="cohort-select"]').select_option(label="older")
    _, data = save(page, dep.get_by_role("button", name="Save the dependence plot's points as CSV"))
    assert sorted(int(r["row"]) for r in read_csv(data)) == list(np.flatnonzero(in_older))
    _, data = save(page, dep.get_by_role("button", name="Save the dependence plot as SVG"))
    root = ET.fromstring(data)
    assert len(list(root.iter(f"{SVG}circle"))) == int(in_older.sum())
    _, data = save(page, dep.get_by_role("button", name="Save the dependence plot as PNG"))
    assert png(data, "dependence").width >= 640

    # local explanation of the selected rows 3 and 17: every feature's value, feature value and output
    page.locator('[data-testid="tab-rows"]').click()
    local = page.locator('[data-testid="local-chart"]')
    local.locator('[data-testid="local-row"]').first.wait_for(state="visible")
    name, data = save(page, local.get_by_role("button", name="Save the selected rows' values as CSV"))
    assert name == "local-rows_3_17.csv"
    rows = read_csv(data)
    assert len(rows) == 2 * len(exp.feature_names)
    for r in rows:
        i, f = int(r["row"]), exp.feature_names.index(r["feature"])
        assert r["output"] == "yes"
        assert float(r["shap_value"]) == pytest.approx(exp.values[i, f, yes], rel=1e-6, abs=1e-6)
        value = exp.data[r["feature"]].iloc[i]
        if r["feature"] == "city":
            # a value that a spreadsheet would run is guarded by a leading quote
            assert r["feature_value"] == ("'" + value if value == FORMULA else value)
        else:
            assert float(r["feature_value"]) == pytest.approx(value, rel=1e-6)
        assert float(r["model_output"]) == pytest.approx(exp.model_output[i, yes], rel=1e-5, abs=1e-6)
    _, data = save(page, local.get_by_role("button", name="Save the local explanation of the selected rows as SVG"))
    texts = svg_texts(data)
    assert "Row 3: class yes" in texts and "Row 17: class yes" in texts
    _, data = save(page, local.get_by_role("button", name="Save the local explanation of the selected rows as PNG"))
    png(data, "local")
    assert_quiet(page, blocked, errors, dialogs)


def test_export_buttons_are_keyboard_operable(browser, tabular_report):
    _, _, path = tabular_report
    page, blocked, errors, dialogs = open_report(browser, path)
    button = page.locator('[data-testid="importance-chart"] [data-testid="export-csv"]')
    button.focus()
    label = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert label == "Save the importances per cohort as CSV"
    with page.expect_download(timeout=10_000) as info:
        page.keyboard.press("Enter")
    assert info.value.suggested_filename == "importance-class_yes.csv"
    group = page.locator('[data-testid="importance-chart"] [data-testid="export"]')
    assert group.get_attribute("role") == "group" and group.get_attribute("aria-label") == "Export the importance chart"
    assert_quiet(page, blocked, errors, dialogs)


# ---------------------------------------------------------------------------------------- text

TEXTS = ["an excellent film with a dull plot", "=cmd excellent acting", "the plot was dull"]


def bag_of_words(texts):
    counts = np.array([t.lower().split().count("excellent") for t in texts], dtype=float)
    p = 1 / (1 + np.exp(-(3 * counts - 1)))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def text_report(tmp_path_factory):
    exp = rw.TextExplainer(bag_of_words, classes=["neg", "pos"]).explain(TEXTS)
    dash = rw.ExplanationDashboard(exp)
    dash.selected_rows = [1]
    return exp, dash.save_html(tmp_path_factory.mktemp("export") / "text.html")


def test_text_exports(browser, text_report):
    exp, path = text_report
    page, blocked, errors, dialogs = open_report(browser, path)
    page.locator('[data-testid="token"]').first.wait_for(state="visible", timeout=15_000)
    view = page.locator('[data-testid="text-view"]')
    name, data = save(page, view.get_by_role("button", name="Save the text's token values as CSV"))
    assert name == "text-1-tokens.csv"
    rows = read_csv(data)
    assert [r["token"] for r in rows] == [("'" + t if t.startswith("=") else t) for t in exp.tokens[1]]
    values = np.array([[float(r[f"value_{o}"]) for o in exp.output_names] for r in rows])
    np.testing.assert_allclose(values, exp.values[1], rtol=1e-6, atol=1e-6)
    for r, t in zip(rows, exp.tokens[1], strict=True):
        assert TEXTS[1][int(r["start"]) : int(r["end"])] == t
    name, data = save(page, view.get_by_role("button", name="Save the text's heatmap as SVG"))
    assert name == "text-1-heatmap.svg"
    texts = svg_texts(data)
    for t in exp.tokens[1]:
        assert t in texts
    name, data = save(page, view.get_by_role("button", name="Save the text's heatmap as PNG"))
    assert name == "text-1-heatmap.png"
    img = png(data, "heatmap")
    # the token 'excellent' raises 'pos': some pixels are clearly red
    px = np.asarray(img).astype(int)
    reds = ((px[..., 0] > 180) & (px[..., 1] < 120) & (px[..., 2] < 120)).sum()
    assert reds > 100
    assert_quiet(page, blocked, errors, dialogs)


# ---------------------------------------------------------------------------------------- image, detection


@pytest.fixture(scope="module")
def image_report(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("captum")
    from tiny_models import tiny_cnn

    rng = np.random.default_rng(0)
    images = (rng.random((4, 32, 32, 3)) * 255).astype(np.uint8)
    exp = rw.ImageExplainer(tiny_cnn(3, seed=0), classes=["cat", "dog", EVIL], n_steps=8).explain(images)
    dash = rw.ExplanationDashboard(exp)
    dash.selected_rows = [2]
    return exp, dash, dash.save_html(tmp_path_factory.mktemp("export") / "image.html")


def test_image_exports(browser, image_report):
    exp, dash, path = image_report
    page, blocked, errors, dialogs = open_report(browser, path)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"image-overlay\"]')?.dataset.drawn === '2'", timeout=10_000
    )
    panel = page.locator('[data-testid="method-panel"]').first
    name, data = save(page, panel.locator('[data-testid="export-map-png"]'))
    assert name.startswith("image-2-") and name.endswith("-map.png")
    img = png(data, "image-map")
    mh, mw = dash.meta["map_sizes"][2]
    assert img.width % mw == 0 and img.height % mh == 0 and img.width // mw == img.height // mh
    px = np.asarray(img)
    assert len(np.unique(px.reshape(-1, 4), axis=0)) > 4  # the map in colours, not blank
    assert (px[..., 3] == 255).all()  # opaque: the colour is the value
    name, data = save(page, panel.locator('[data-testid="export-overlay-png"]'))
    assert name.endswith("-overlay.png")
    over = png(data, "image-overlay")
    size = page.locator('[data-testid="image-overlay"]').first.evaluate("c => [c.width, c.height]")
    assert [over.width, over.height] == size
    assert_quiet(page, blocked, errors, dialogs)


@pytest.fixture(scope="module")
def detection_report(tmp_path_factory):
    pytest.importorskip("torch")
    from scenes import square_detector

    img = np.full((64, 64, 3), 20, dtype=np.uint8)
    img[6:20, 6:20] = 230
    img[8:22, 38:54] = 200
    explainer = rw.DetectionExplainer(square_detector, classes=["left", "right"], num_masks=100, mask_res=(6, 6))
    exp = explainer.explain([img])
    return exp, exp.save_html(tmp_path_factory.mktemp("export") / "detection.html")


def test_detection_exports(browser, detection_report):
    exp, path = detection_report
    page, blocked, errors, dialogs = open_report(browser, path)
    page.wait_for_function(
        "() => (document.querySelector('[data-testid=\"detection-canvas\"]')?.dataset.drawn ?? '').startsWith('0:')",
        timeout=10_000,
    )
    view = page.locator('[data-testid="detection-view"]')
    name, data = save(page, view.locator('[data-testid="export-detections-csv"]'))
    assert name == "detection-0-detections.csv"
    rows = read_csv(data)
    assert len(rows) == len(exp.detections[0]) > 0
    for r, d in zip(rows, exp.detections[0], strict=True):
        assert r["label"] == str(d["label"])
        assert float(r["score"]) == pytest.approx(d["score"], abs=1e-6)
        assert [float(r[k]) for k in ("x0", "y0", "x1", "y1")] == pytest.approx(list(d["box"]), abs=1e-4)
    name, data = save(page, view.locator('[data-testid="export-saliency-png"]'))
    assert name.startswith("detection-0-0-") and name.endswith("-saliency.png")
    img = png(data, "saliency")
    size = page.locator('[data-testid="detection-canvas"]').evaluate("c => [c.width, c.height]")
    assert [img.width, img.height] == size
    assert len(np.unique(np.asarray(img).reshape(-1, 4), axis=0)) > 4
    assert_quiet(page, blocked, errors, dialogs)


# ---------------------------------------------------------------------------------------- how they look


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_export_controls_screenshots(
    browser, tabular_report, text_report, image_report, detection_report, scheme, width
):
    """Screenshots for people to look at (tests/browser/screenshots/export-*.png); the controls are visible."""
    SCREENSHOTS.mkdir(exist_ok=True)
    reports = [("tabular", tabular_report[2]), ("text", text_report[1])]
    reports += [("image", image_report[2]), ("detection", detection_report[1])]
    for kind, path in reports:
        page, blocked, errors, _ = open_report(browser, path, width=width, scheme=scheme)
        if kind == "text":
            page.locator('[data-testid="token"]').first.wait_for(state="visible", timeout=15_000)
        elif kind == "tabular":
            page.locator('.rw-bar-group[data-feature="age"]').click()
        else:
            page.locator('[data-testid="export"]').first.wait_for(state="visible", timeout=15_000)
        controls = page.locator('[data-testid="export"]')
        assert controls.count() >= 1
        for k in range(controls.count()):
            if controls.nth(k).is_visible():
                box = controls.nth(k).bounding_box()
                assert box and box["x"] + box["width"] <= width
        page.screenshot(path=str(SCREENSHOTS / f"export-{kind}-{scheme}-{width}.png"), full_page=True)
        if kind == "tabular":  # the local explanation's controls, on the rows tab
            page.locator('[data-testid="tab-rows"]').click()
            page.locator('[data-testid="local-chart"] [data-testid="export"]').wait_for(state="visible")
            page.screenshot(path=str(SCREENSHOTS / f"export-rows-{scheme}-{width}.png"), full_page=True)
        assert blocked == [] and errors == []
        page.close()


# ---------------------------------------------------------------------------------------- JupyterLab

LAB_CELLS = [
    "import numpy as np, pandas as pd, rai_widget as rw\n"
    "rng = np.random.default_rng(0)\n"
    "X = pd.DataFrame({'age': rng.normal(40, 10, 200), 'income': rng.normal(50, 10, 200)})\n"
    "def f(frame):\n"
    "    p = 1 / (1 + np.exp(-((frame['age'] - 40) / 10).to_numpy()))\n"
    "    return np.column_stack([1 - p, p])\n"
    "exp = rw.MimicExplainer(f, X, task='classification', classes=['no', 'yes']).explain(X)",
    "rw.ExplanationDashboard(exp)",
]


def test_export_in_jupyterlab(lab_page, run_notebook, run_cell, cell_locator):
    """The same <a download> on a blob: URL saves the file from a notebook's output in JupyterLab."""
    page = lab_page
    run_notebook(page, LAB_CELLS)
    output = cell_locator(page, 1).locator(".jp-OutputArea")
    output.locator('[data-testid="importance-bar"]').first.wait_for(state="visible")
    name, data = save(page, output.get_by_role("button", name="Save the importances per cohort as CSV"))
    assert name == "importance-class_yes.csv"
    got = {r["feature"]: float(r["mean_abs_shap"]) for r in read_csv(data)}
    expected = run_cell(page, "print(exp.global_importance(output=1).to_json())")
    for feature, value in json.loads(expected).items():
        assert got[feature] == pytest.approx(value, rel=1e-6, abs=1e-6)
    name, data = save(page, output.get_by_role("button", name="Save the importance chart as PNG"))
    assert name == "importance-class_yes.png" and data.startswith(PNG_MAGIC)
