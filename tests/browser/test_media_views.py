"""The image and detection views in real Chromium, through the offline report (no JupyterLab needed)."""

from pathlib import Path

import numpy as np
import pytest
from offline import open_offline
from scenes import square_detector
from scipy import ndimage
from tiny_models import tiny_cnn as _tiny_cnn

import rai_widget as rw

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

SCREENSHOTS = Path(__file__).parent / "screenshots"
EVIL_CLASS = "<img src=x onerror=alert(3)>"
SQUARES = [(6, 6, 20, 20), (38, 8, 54, 22), (14, 38, 30, 56)]


def tiny_cnn(k=3):
    return _tiny_cnn(k, seed=0)


def scene(values=(230, 200, 150)):
    img = np.full((64, 64, 3), 20, dtype=np.uint8)
    for (x0, y0, x1, y1), v in zip(SQUARES, values, strict=True):
        img[y0:y1, x0:x1] = v
    return img


@pytest.fixture(scope="module")
def image_report(tmp_path_factory):
    rng = np.random.default_rng(0)
    raw = rng.random((12, 32, 32, 3))
    smooth = np.stack([ndimage.gaussian_filter(im, sigma=(2, 2, 0)) for im in raw])
    images = ((smooth - smooth.min()) / (smooth.max() - smooth.min()) * 255).astype(np.uint8)
    images = np.repeat(images.mean(axis=3, keepdims=True), 3, axis=3).astype(np.uint8)  # grey: the overlay reads
    classes = ["cat", "dog", EVIL_CLASS]
    y_true = np.array(classes)[np.arange(12) % 3]
    exp = rw.ImageExplainer(tiny_cnn(), classes=classes, n_steps=16).explain(images, y_true=y_true)
    cohorts = [rw.Cohort("wrong", [rw.Filter("correct", "==", False)])]
    path = exp.save_html(tmp_path_factory.mktemp("img") / "images.html", cohorts=cohorts)
    return exp, path


@pytest.fixture(scope="module")
def detection_report(tmp_path_factory):
    exp = rw.DetectionExplainer(square_detector, classes=["left", "right"], num_masks=300, mask_res=(6, 6)).explain(
        [scene(), scene((240, 140, 180))]
    )
    path = exp.save_html(tmp_path_factory.mktemp("det") / "detection.html")
    return exp, path


def _open(browser, path, scheme="light"):
    opened = open_offline(browser, path, scheme=scheme)
    return opened.page, opened.dialogs, opened.errors


def _wait_drawn(page, selector, prefix):
    """Until the canvas says it drew (dataset.drawn starts with prefix). A function, not a string: the
    report's CSP forbids eval."""
    page.wait_for_function(
        "([sel, p]) => (document.querySelector(sel)?.dataset.drawn ?? null)?.startsWith(p)",
        arg=[selector, prefix],
        timeout=10_000,
    )


CANVAS_STATS = """(sel) => {
  const c = document.querySelector(sel);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let lit = 0, sum = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] + d[i+1] + d[i+2] > 30) lit++;
    sum += d[i] * 3 + d[i+1] * 5 + d[i+2] * 7;
  }
  return { w: c.width, h: c.height, lit, sum, url: c.toDataURL() };
}"""

DIFF = """([a, b]) => {
  const x = document.querySelector(a), y = document.querySelector(b);
  const p = x.getContext('2d').getImageData(0, 0, x.width, x.height).data;
  const q = y.getContext('2d').getImageData(0, 0, y.width, y.height).data;
  let n = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (Math.abs(p[i] - q[i]) + Math.abs(p[i+1] - q[i+1]) + Math.abs(p[i+2] - q[i+2]) > 24) n++;
  }
  return n / (p.length / 4);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_image_view_overlays_attributions(browser, image_report, scheme):
    exp, path = image_report
    page, dialogs, errors = _open(browser, path, scheme)
    view = page.locator('[data-testid="image-view"]')
    view.wait_for(state="visible", timeout=15_000)
    thumbs = page.locator('[data-testid="image-thumb"]')
    assert thumbs.count() == 12
    correct = int((exp.y_true == exp.y_pred).sum())
    assert f"Incorrect ({12 - correct})" in view.inner_text()
    # click an incorrect image: the overlay differs from the original in a good share of pixels
    thumbs.first.click()
    _wait_drawn(page, '[data-testid="image-overlay"]', "")
    i = int(thumbs.first.get_attribute("data-index"))
    stats = page.evaluate(CANVAS_STATS, '[data-testid="image-overlay"]')
    assert stats["w"] == 256 and stats["lit"] > 0.5 * stats["w"] * stats["h"]
    changed = page.evaluate(DIFF, ['[data-testid="image-overlay"]', '[data-testid="image-original"]'])
    assert changed > 0.05, changed
    labels = page.locator('[data-testid="image-labels"]')
    assert labels.locator('[data-testid="pred-label"]').inner_text() == str(exp.y_pred[i])
    assert labels.locator('[data-testid="true-label"]').inner_text() == str(exp.y_true[i])
    assert "%" in labels.inner_text()
    # opacity 0 leaves the original; the sign choice changes the overlay
    page.locator('[data-testid="overlay-sign"]').select_option("positive")
    pos = page.evaluate(CANVAS_STATS, '[data-testid="image-overlay"]')["url"]
    assert pos != stats["url"]
    page.locator('[data-testid="overlay-opacity"]').fill("0")
    assert page.evaluate(DIFF, ['[data-testid="image-overlay"]', '[data-testid="image-original"]']) == 0
    page.locator('[data-testid="overlay-opacity"]').fill("0.6")
    page.locator('[data-testid="overlay-sign"]').select_option("signed")
    # the HTML class label is text: as a caption, in the class filter, in the labels
    page.locator('[data-testid="class-select"]').select_option(label=EVIL_CLASS)
    shown = int(((exp.y_true == EVIL_CLASS) | (exp.y_pred == EVIL_CLASS)).sum())
    assert thumbs.count() == shown
    caption = page.locator(".rw-thumb-caption").filter(has_text=EVIL_CLASS).first
    assert caption.is_visible() and EVIL_CLASS in caption.text_content()
    thumbs.first.click()
    assert EVIL_CLASS in page.locator('[data-testid="image-labels"]').inner_text()
    page.wait_for_timeout(300)
    srcs = page.locator("#rw-app img").evaluate_all("els => els.map(e => e.getAttribute('src'))")
    assert all(s.startswith("blob:") for s in srcs)
    assert not dialogs and not errors, (dialogs, errors)
    page.locator('[data-testid="class-select"]').select_option("-1")
    # the cohort select filters the grid with the browser's cohort evaluator, as Python would
    page.locator('[data-testid="cohort-select"]').select_option("wrong")
    assert thumbs.count() == int((exp.y_true != exp.y_pred).sum()) < 12
    assert page.evaluate("window.rwModel.get('active_cohort')") == "wrong"
    page.locator('[data-testid="cohort-select"]').select_option("All data")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"image_view_{scheme}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_detection_view_boxes_threshold_and_switching(browser, detection_report, scheme):
    exp, path = detection_report
    page, dialogs, errors = _open(browser, path, scheme)
    page.locator('[data-testid="detection-view"]').wait_for(state="visible", timeout=15_000)
    canvas = '[data-testid="detection-canvas"]'
    _wait_drawn(page, canvas, "0:0")
    items = page.locator('[data-testid="detection-item"]')
    assert items.count() == len(exp.detections[0]) == 3
    first = page.evaluate(CANVAS_STATS, canvas)
    # boxes: the box colour of detection 0 sits on its left edge
    x0, y0, x1, y1 = exp.detections[0][0]["box"]
    s = first["w"] / 64
    px = page.evaluate(f"""() => Array.from(document.querySelector('{canvas}').getContext('2d')
        .getImageData({int(x0 * s)}, {int((y0 + y1) / 2 * s)}, 1, 1).data)""")
    assert px[:3] == [255, 212, 0], px
    # picking another detection in the list changes the overlay
    items.nth(1).click()
    _wait_drawn(page, canvas, "0:1")
    second = page.evaluate(CANVAS_STATS, canvas)
    assert second["url"] != first["url"]
    # clicking inside a box picks that detection
    bx0, by0, bx1, by1 = exp.detections[0][2]["box"]
    page.locator(canvas).click(position={"x": (bx0 + bx1) / 2 * s, "y": (by0 + by1) / 2 * s})
    _wait_drawn(page, canvas, "0:2")
    # the threshold hides weak detections (image 1: scores 0.94, 0.55, 0.71)
    page.locator('[data-testid="thumb"], [data-testid="image-thumb"]').nth(1).click()
    _wait_drawn(page, canvas, "1:")
    assert items.count() == 3
    page.locator('[data-testid="score-threshold"]').fill("0.6")
    scores = sorted(d["score"] for d in exp.detections[1])
    assert items.count() == sum(sc >= 0.6 for sc in scores) == 2
    page.locator('[data-testid="score-threshold"]').fill("0.99")
    assert items.count() == 0
    page.locator('[data-testid="score-threshold"]').fill("0")
    assert not dialogs and not errors, (dialogs, errors)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"detection_view_{scheme}.png"), full_page=True)
    page.close()


def test_raw_images_without_pillow(browser, tmp_path, monkeypatch):
    """Without Pillow the kernel sends raw uint8 arrays; the view draws them just the same."""
    from rai_widget._payload import _images

    monkeypatch.setattr(_images, "_pil", lambda: None)
    img = scene()
    exp = rw.DetectionExplainer(square_detector, num_masks=50, mask_res=(6, 6)).explain([img])
    dash = rw.ExplanationDashboard(exp)
    assert dash.meta["image_format"] == "raw" and "png" not in dash.arrays["images"][0]
    page, dialogs, errors = _open(browser, dash.save_html(tmp_path / "raw.html"))
    canvas = '[data-testid="detection-canvas"]'
    page.locator(canvas).wait_for(state="visible", timeout=15_000)
    _wait_drawn(page, canvas, "0:")
    page.locator('[data-testid="overlay-opacity"]').fill("0")
    s = page.evaluate(CANVAS_STATS, canvas)["w"] / 64
    # the background pixel (20, 20, 20) of the image, drawn from the raw array
    px = page.evaluate(f"""() => Array.from(document.querySelector('{canvas}').getContext('2d')
        .getImageData({int(60 * s)}, {int(60 * s)}, 1, 1).data)""")
    assert px == [20, 20, 20, 255], px
    assert page.locator("#rw-app img").first.get_attribute("src").startswith("data:image/png")
    assert not dialogs and not errors
    page.close()


# --------------------------------------------------------------------------- several methods side by side

METHODS = {"integrated_gradients": "Integrated Gradients", "gradcam": "Grad-CAM", "guided_backprop": "Guided Backprop"}


@pytest.fixture(scope="module")
def compare_report(tmp_path_factory, image_report):
    exp, _ = image_report
    model, classes = tiny_cnn(), exp.output_names
    exps = [exp] + [
        rw.ImageExplainer(model, m, classes=classes).explain(exp.images, y_true=exp.y_true)
        for m in ("gradcam", "guided_backprop")
    ]
    dash = rw.ExplanationDashboard(exps)
    return exps, dash.save_html(tmp_path_factory.mktemp("cmp") / "compare.html")


def _legend_max(page, j):
    """The value at the top of panel j's colour bar (its colour scale), as a number."""
    legend = page.locator('[data-testid="method-legend"]').nth(j)
    return float(legend.locator(".rw-colorbar-wrap > span").last.inner_text())


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_several_methods_side_by_side(browser, compare_report, scheme):
    exps, path = compare_report
    page, dialogs, errors = _open(browser, path, scheme)
    page.locator('[data-testid="image-view"]').wait_for(state="visible", timeout=15_000)
    assert "Integrated Gradients · Grad-CAM · Guided Backprop attributions" in page.locator(".rw-header").inner_text()
    thumbs = page.locator('[data-testid="image-thumb"]')
    thumbs.nth(1).click()
    i = int(thumbs.nth(1).get_attribute("data-index"))
    overlays = [f'[data-testid="image-overlay"][data-method="{m}"]' for m in METHODS]
    for sel in overlays:
        _wait_drawn(page, sel, str(i))
    panels = page.locator('[data-testid="method-panel"]')
    assert panels.count() == 3
    assert [panels.nth(j).get_attribute("data-method") for j in range(3)] == list(METHODS)
    captions = page.locator('[data-testid="method-caption"]').all_inner_texts()
    assert captions == ["Original", *METHODS.values()]
    # the panels sit side by side, in one row, at the same size
    boxes = [page.locator(sel).bounding_box() for sel in ['[data-testid="image-original"]', *overlays]]
    assert len({round(b["y"]) for b in boxes}) == 1 and len({round(b["width"]) for b in boxes}) == 1
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"] < boxes[3]["x"]
    # each panel draws its own method's map: the overlays differ from the original and from each other
    urls = [page.evaluate(CANVAS_STATS, sel)["url"] for sel in overlays]
    assert len(set(urls)) == 3
    for sel in overlays:  # (Grad-CAM of this untrained net lights a small area only)
        assert page.evaluate(DIFF, [sel, '[data-testid="image-original"]']) > 0.01

    # each panel's colour scale is the 99th percentile of |its own map| (per image), as numpy computes it
    def p99(maps):
        return np.percentile(np.abs(np.concatenate([np.asarray(m, np.float32).ravel() for m in maps])), 99)

    for j, e in enumerate(exps):
        assert _legend_max(page, j) == pytest.approx(p99([e.attributions[i]]), rel=5e-3)
    # shared scale: per method, over every image
    page.locator('[data-testid="overlay-scale"]').select_option("shared")
    for j, e in enumerate(exps):
        assert _legend_max(page, j) == pytest.approx(p99(e.attributions), rel=5e-3)
    shared_urls = [page.evaluate(CANVAS_STATS, sel)["url"] for sel in overlays]
    assert shared_urls != urls
    # one set of controls drives every panel: opacity 0 leaves each the original
    page.locator('[data-testid="overlay-opacity"]').fill("0")
    for sel in overlays:
        assert page.evaluate(DIFF, [sel, '[data-testid="image-original"]']) == 0
    page.locator('[data-testid="overlay-opacity"]').fill("0.6")
    page.locator('[data-testid="overlay-scale"]').select_option("image")
    assert [page.evaluate(CANVAS_STATS, sel)["url"] for sel in overlays] == urls
    assert not dialogs and not errors, (dialogs, errors)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator('[data-testid="image-detail"]').screenshot(path=str(SCREENSHOTS / f"image_compare_{scheme}.png"))
    # at 600 px the panels wrap: nothing sticks out sideways
    page.set_viewport_size({"width": 600, "height": 900})
    page.wait_for_timeout(100)
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    tops = {round(page.locator(sel).bounding_box()["y"]) for sel in overlays}
    assert len(tops) > 1
    page.close()


def test_detection_view_cohort_editor_filters_the_images(browser, detection_report):
    exp, path = detection_report
    page, dialogs, errors = _open(browser, path)
    page.locator('[data-testid="detection-view"]').wait_for(state="visible", timeout=15_000)
    thumbs = page.locator('[data-testid="image-thumb"]')
    assert thumbs.count() == 2
    best = exp.cohort_columns()["confidence"].to_numpy()
    cut = round(float(best.mean()), 4)
    want = rw.Cohort("confident", [rw.Filter("confidence", ">", cut)])
    assert 0 < want.count(exp) < 2
    page.locator('[data-testid="tab-cohorts"]').click()
    editor = page.locator('[data-testid="cohort-editor"]')
    editor.locator('[data-testid="cohort-new"]').click()
    editor.locator('[data-testid="cohort-name"]').fill("confident")
    editor.locator('[data-testid="filter-add"]').click()
    row = editor.locator('[data-testid="filter-row"]').first
    columns = row.locator('[data-testid="filter-column"] option').all_inner_texts()
    assert columns == ["index", "y_pred", "detections", "confidence"]
    row.locator('[data-testid="filter-column"]').select_option("confidence")
    row.locator('[data-testid="filter-op"]').select_option(">")
    row.locator('[data-testid="filter-value"]').fill(str(cut))
    editor.locator('[data-testid="cohort-save"]').click()
    assert page.evaluate("window.rwModel.get('cohorts')")[-1] == want.to_json()
    assert page.evaluate("window.rwModel.get('active_cohort')") == "confident"
    page.locator('[data-testid="tab-images"]').click()
    shown = [int(thumbs.nth(k).get_attribute("data-index")) for k in range(thumbs.count())]
    assert shown == list(np.flatnonzero(want.mask(exp)))
    assert page.locator('[data-testid="image-count"]').inner_text() == f"{len(shown)} of 2 images"
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


# --------------------------------------------------------------------------- in JupyterLab: cohorts to the kernel

LAB_SETUP = [
    "import numpy as np, torch, rai_widget as rw\n"
    "torch.manual_seed(0); torch.set_num_threads(1)\n"
    "net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),\n"
    "                          torch.nn.Flatten(), torch.nn.Linear(4, 2)).eval()\n"
    "images = np.random.default_rng(0).integers(0, 256, (10, 24, 24, 3), dtype=np.uint8)\n"
    "y = np.array(['a', 'b'])[np.arange(10) % 2]\n"
    "exps = [rw.ImageExplainer(net, m, classes=['a', 'b'], **kw).explain(images, y_true=y)\n"
    "        for m, kw in [('integrated_gradients', {'n_steps': 8}), ('gradcam', {})]]\n"
    "dash = rw.ExplanationDashboard(exps)",
    "dash",
]


def _lab_view_and_pick(page, run_notebook, run_cell, cell_locator, setup, testid, k):
    """Run the setup notebook, wait for the view, click its k-th thumbnail; the kernel must learn the
    image as dash.selected_rows. Returns the view and the image's index."""
    from kernel_io import wait_for_kernel

    run_notebook(page, setup)
    view = cell_locator(page, 1).locator(".jp-OutputArea").get_by_test_id(testid)
    view.wait_for(state="visible")
    thumb = view.get_by_test_id("image-thumb").nth(k)
    thumb.click()
    i = int(thumb.get_attribute("data-index"))
    assert wait_for_kernel(run_cell, page, "dash.selected_rows", lambda v: v == [i]) == [i]
    return view, i


def test_image_view_cohort_editor_reaches_the_kernel(lab_page, run_notebook, run_cell, cell_locator, screenshot):
    from cohort_editor import draft_cohort
    from kernel_io import kernel_json, wait_for_kernel
    from playwright.sync_api import expect

    page = lab_page
    # click an image: the kernel learns which image; both methods side by side
    view, i = _lab_view_and_pick(page, run_notebook, run_cell, cell_locator, LAB_SETUP, "image-view", 2)
    expect(view.get_by_test_id("method-panel")).to_have_count(2)
    thumbs = view.get_by_test_id("image-thumb")

    conf = kernel_json(run_cell, page, "sorted(exps[0].cohort_columns()['confidence'].round(4).tolist())")
    cut = conf[len(conf) // 2]
    want = {"name": "unsure", "combine": "all", "filters": [{"column": "confidence", "op": "<", "value": cut}]}
    editor = draft_cohort(view, "unsure", "confidence", "<", str(cut))
    expected = kernel_json(run_cell, page, f"rw.Cohort.from_json({want!r}).mask(exps[0]).tolist()")
    expect(editor.get_by_test_id("cohort-draft-count")).to_have_text(f"{sum(expected)} of 10 images")
    editor.get_by_test_id("cohort-save").click()
    cohorts = wait_for_kernel(run_cell, page, "[c.to_json() for c in dash.cohorts]", lambda cs: want in cs)
    assert cohorts == [{"name": "All data", "combine": "all", "filters": []}, want]
    assert kernel_json(run_cell, page, "dash.active_cohort") == "unsure"
    assert kernel_json(run_cell, page, "dash.cohort_rows().tolist()") == expected
    # the grid shows the cohort's images, as the kernel counts them
    view.get_by_test_id("tab-images").click()
    expect(view.get_by_test_id("image-count")).to_have_text(f"{sum(expected)} of 10 images")
    shown = sorted(int(t.get_attribute("data-index")) for t in thumbs.all())
    assert shown == [k for k, m in enumerate(expected) if m]
    # and a cohort set from Python becomes the view's
    run_cell(
        page,
        "dash.cohorts = dash.cohorts + [rw.Cohort('first three', [rw.Filter('index', '<', 3)])]\n"
        "dash.active_cohort = 'first three'",
    )
    expect(view.get_by_test_id("image-count")).to_have_text("3 of 10 images")
    assert not page.rw_dialogs and not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors
    screenshot(page, "image_view_lab", view)


DETECTION_LAB_SETUP = [
    "import numpy as np, rai_widget as rw\n"
    "def detector(images):  # the bright square in each half of the image, if any\n"
    "    out = []\n"
    "    for im in images:\n"
    "        g = im.mean(2)\n"
    "        boxes, scores, labels = [], [], []\n"
    "        for label, x0 in enumerate((0, 32)):\n"
    "            ys, xs = np.nonzero(g[:, x0:x0 + 32] > 100)\n"
    "            if len(xs):\n"
    "                boxes.append([x0 + xs.min(), ys.min(), x0 + xs.max() + 1, ys.max() + 1])\n"
    "                scores.append(float(g[ys, x0 + xs].mean() / 255)); labels.append(label)\n"
    "        out.append({'boxes': np.array(boxes, float).reshape(-1, 4), 'scores': np.array(scores),\n"
    "                    'labels': np.array(labels, int)})\n"
    "    return out\n"
    "scenes = np.full((5, 64, 64, 3), 20, dtype=np.uint8)\n"
    "for k in range(5):\n"
    "    scenes[k, 10:24, 6:20] = 150 + 20 * k\n"
    "    if k % 2 == 0:\n"
    "        scenes[k, 30:44, 40:54] = 240\n"
    "exp = rw.DetectionExplainer(detector, classes=['left', 'right'], num_masks=60, mask_res=(4, 4)).explain(scenes)\n"
    "dash = rw.ExplanationDashboard(exp)",
    "dash",
]


def test_detection_view_cohort_editor_reaches_the_kernel(lab_page, run_notebook, run_cell, cell_locator):
    """A cohort built in the detection view's editor arrives in dash.cohorts and selects the kernel's rows;
    a clicked image becomes dash.selected_rows; a cohort set from Python filters the view."""
    from cohort_editor import draft_cohort
    from kernel_io import kernel_json, wait_for_kernel
    from playwright.sync_api import expect

    page = lab_page
    view, i = _lab_view_and_pick(page, run_notebook, run_cell, cell_locator, DETECTION_LAB_SETUP, "detection-view", 3)
    thumbs = view.get_by_test_id("image-thumb")

    want = {"name": "two objects", "combine": "all", "filters": [{"column": "detections", "op": ">=", "value": 2}]}
    editor = draft_cohort(view, "two objects", "detections", ">=", "2")
    expected = kernel_json(run_cell, page, f"rw.Cohort.from_json({want!r}).mask(exp).tolist()")
    assert expected == [True, False, True, False, True]  # the scenes with a second square
    expect(editor.get_by_test_id("cohort-draft-count")).to_have_text("3 of 5 images")
    editor.get_by_test_id("cohort-save").click()
    cohorts = wait_for_kernel(run_cell, page, "[c.to_json() for c in dash.cohorts]", lambda cs: want in cs)
    assert cohorts == [{"name": "All data", "combine": "all", "filters": []}, want]
    assert kernel_json(run_cell, page, "dash.active_cohort") == "two objects"
    view.get_by_test_id("tab-images").click()
    expect(view.get_by_test_id("image-count")).to_have_text("3 of 5 images")
    assert sorted(int(t.get_attribute("data-index")) for t in thumbs.all()) == [0, 2, 4]

    run_cell(
        page,
        "dash.cohorts = dash.cohorts + [rw.Cohort('first two', [rw.Filter('index', '<', 2)])]\n"
        "dash.active_cohort = 'first two'",
    )
    expect(view.get_by_test_id("image-count")).to_have_text("2 of 5 images")
    assert not page.rw_dialogs and not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors


# --------------------------------------------------------------------------- hundreds of images


def test_three_hundred_images_page_through_the_grid(browser, tmp_path):
    rng = np.random.default_rng(1)
    images = (rng.random((300, 24, 24, 3)) * 255).astype(np.uint8)
    classes = ["cat", "dog", "fox"]
    exp = rw.ImageExplainer(tiny_cnn(), "gradcam", classes=classes).explain(
        images, y_true=np.array(classes)[np.arange(300) % 3]
    )
    n_wrong = int((exp.y_pred != exp.y_true).sum())
    assert 40 < n_wrong < 260  # both sections span several pages
    path = exp.save_html(tmp_path / "many.html")
    page, dialogs, errors = _open(browser, path)
    page.locator('[data-testid="image-view"]').wait_for(state="visible", timeout=15_000)
    sections = page.locator(".rw-grid-section")
    wrong, right = sections.nth(0), sections.nth(1)
    assert wrong.locator(".rw-grid-head").inner_text() == f"Incorrect ({n_wrong})"
    assert right.locator(".rw-grid-head").inner_text() == f"Correct ({300 - n_wrong})"
    pages = -(-n_wrong // 40)
    assert wrong.locator(".rw-pager .rw-muted").inner_text() == f"page 1 of {pages}"
    thumbs = wrong.locator('[data-testid="image-thumb"]')
    assert thumbs.count() == 40
    first_page = thumbs.evaluate_all("els => els.map(e => e.dataset.index)")
    # thumbnails are decoded images, not placeholders
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.rw-grid-section img'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= 40",
        timeout=10_000,
    )
    wrong.locator(".rw-pager button", has_text="next").click()
    assert wrong.locator(".rw-pager .rw-muted").inner_text() == f"page 2 of {pages}"
    second_page = thumbs.evaluate_all("els => els.map(e => e.dataset.index)")
    assert not set(first_page) & set(second_page)
    wanted = np.flatnonzero(exp.y_pred != exp.y_true)
    assert [int(i) for i in first_page + second_page] == list(wanted[: len(first_page) + len(second_page)])
    # an image on page 2 opens in the detail view, drawn over its own map
    pick = int(second_page[5])
    thumbs.nth(5).click()
    _wait_drawn(page, '[data-testid="image-overlay"]', str(pick))
    assert page.evaluate("window.rwModel.get('selected_rows')") == [pick]
    assert str(exp.y_true[pick]) in page.locator('[data-testid="image-labels"]').inner_text()
    # the colour bar; and where the map has nothing to draw (Grad-CAM has no negative side), a note instead
    legend = page.locator('[data-testid="method-legend"]')
    assert exp.attributions[pick].max() > 0 and legend.locator("canvas").count() == 1
    page.locator('[data-testid="overlay-sign"]').select_option("negative")
    assert legend.locator('[data-testid="empty-map"]').inner_text() == "this map has no negative values"
    assert legend.locator("canvas").count() == 0
    assert not dialogs and not errors, (dialogs, errors)
    page.close()
