"""The image and detection views in real Chromium, through the offline report (no JupyterLab needed)."""

from pathlib import Path

import numpy as np
import pytest
from scenes import square_detector
from scipy import ndimage

import rai_widget as rw

torch = pytest.importorskip("torch")
pytest.importorskip("captum")

SCREENSHOTS = Path(__file__).parent / "screenshots"
EVIL_CLASS = "<img src=x onerror=alert(3)>"
SQUARES = [(6, 6, 20, 20), (38, 8, 54, 22), (14, 38, 30, 56)]


def tiny_cnn(k=3):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 8, 3, padding=1), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(8, k)).eval()


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
    exp = rw.DetectionExplainer(square_detector, classes=["left", "right"], num_masks=300, mask_res=(6, 6)
                                ).explain([scene(), scene((240, 140, 180))])
    path = exp.save_html(tmp_path_factory.mktemp("det") / "detection.html")
    return exp, path


def _open(browser, path, scheme="light"):
    page = browser.new_page(viewport={"width": 1100, "height": 900}, color_scheme=scheme)
    dialogs, errors = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    local = ("file://", "blob:", "data:")
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(local) else r.abort())
    page.goto(path.as_uri())
    return page, dialogs, errors


def _wait_drawn(page, selector, prefix):
    """Until the canvas says it drew (dataset.drawn starts with prefix). A function, not a string: the
    report's CSP forbids eval."""
    page.wait_for_function("([sel, p]) => (document.querySelector(sel)?.dataset.drawn ?? null)?.startsWith(p)",
                           arg=[selector, prefix], timeout=10_000)


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
    from rai_widget import _media_payload

    monkeypatch.setattr(_media_payload, "_pil", lambda: None)
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
