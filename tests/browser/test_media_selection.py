"""The text, image and detection views in Chromium (offline reports): a selection outside the active
cohort is dropped when the user changes the cohort, and marked (on its own colour scale) when the
kernel sets it; counts say texts and images, singular for one; the top tokens say how many they list;
detection thumbnails follow the score threshold; the dark theme's token heatmap is legible."""

import re
from pathlib import Path

import numpy as np
import pytest
from offline import open_offline
from scenes import square_detector

import rai_widget as rw

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).parent / "screenshots"
RGBA = re.compile(r"rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)")

# Text 5 has no "film" and exactly 9 words; texts 1, 3 and 6 mention "film". Every word moves the model.
TEXTS = [
    "a slow and quiet story about two brothers who never speak again",
    "the film is a bright and tender portrait of a small town",
    "dull pacing and flat acting sink this long and empty drama",
    "one more film where the plot hardly matters at all to anyone",
    "sharp writing and a great cast make every scene worth watching",
    "rarely has leukemia looked so shimmering and benign here",
    "an excellent film with a dull plot and a noisy soundtrack",
    "the best thing about it is the music and the quiet ending",
]


def word_weight(word):
    """A deterministic, never-zero weight per word: an additive model, so each word's value is its weight."""
    h = sum((k + 1) * ord(ch) for k, ch in enumerate(word.lower()))
    return ((h % 17) - 8.5) / 10


def additive(texts):
    logit = np.array([sum(word_weight(w) for w in t.split() if w.strip(".")) for t in texts]) / 4  # "..." masks
    p = 1 / (1 + np.exp(-logit))
    return np.column_stack([1 - p, p])


def open_report(browser, path, scheme="light", width=1100):
    opened = open_offline(browser, path, scheme=scheme, width=width)
    return opened.page, opened.dialogs, opened.errors


def set_model(page, name, value):
    """What the kernel would do: set a synced trait on the report's model stand-in."""
    page.evaluate("([k, v]) => window.rwModel.set(k, v)", [name, value])


def model_value(page, name):
    return page.evaluate("(k) => window.rwModel.get(k)", name)


def token_alphas(page):
    out = []
    for bg in page.locator('[data-testid="token"]').evaluate_all(
        "els => els.map(e => getComputedStyle(e).backgroundColor)"
    ):
        *_, a = RGBA.match(bg).groups()
        out.append(1.0 if a is None else float(a))
    return out


# --------------------------------------------------------------------------- text


@pytest.fixture(scope="module")
def text_report(tmp_path_factory):
    exp = rw.TextExplainer(additive, classes=["neg", "pos"]).explain(TEXTS)
    assert [len(t) for t in exp.tokens][5] == 9 and all(len(t) >= 10 for k, t in enumerate(exp.tokens) if k != 5)
    path = exp.save_html(tmp_path_factory.mktemp("sel-text") / "texts.html")
    return exp, path


def _open_text(browser, path, scheme="light", width=1100):
    page, dialogs, errors = open_report(browser, path, scheme, width)
    page.locator('[data-testid="token"]').first.wait_for(state="visible", timeout=15_000)
    return page, dialogs, errors


def test_save_as_cohort_drops_a_selected_text_outside_it(browser, text_report):
    exp, path = text_report
    page, dialogs, errors = _open_text(browser, path)
    head = page.locator(".rw-tx-dochead")
    page.locator('[data-testid="doc-item"]').filter(has_text="#5 ").click()
    assert head.inner_text().startswith("Text #5")
    page.locator('[data-testid="scale-select"]').select_option("shared")
    page.locator('[data-testid="contains-token"]').fill("film")
    films = [i for i, t in enumerate(exp.tokens) if "film" in t]
    assert films == [1, 3, 6]
    page.locator('[data-testid="contains-save"]').click()
    listed = page.locator('[data-testid="doc-item"]').evaluate_all("els => els.map(e => e.textContent.split(' ')[0])")
    assert listed == ["#1", "#3", "#6"]
    # the selection was outside the new cohort: it is gone, here and for the kernel
    assert model_value(page, "selected_rows") == []
    assert head.inner_text().startswith("Text #1")
    assert not page.locator('[data-testid="selection-outside"]').is_visible()
    assert page.locator('[data-testid="text-count"]').inner_text() == "3 of 8 texts"
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


def test_a_kernel_selection_outside_the_cohort_is_marked_and_keeps_its_own_scale(browser, text_report):
    exp, path = text_report
    page, dialogs, errors = _open_text(browser, path)
    page.locator('[data-testid="scale-select"]').select_option("shared")
    films = {"name": "films", "combine": "all", "filters": [{"column": "tokens", "op": "contains", "value": "film"}]}
    set_model(page, "cohorts", [{"name": "All data", "combine": "all", "filters": []}, films])
    set_model(page, "active_cohort", "films")
    set_model(page, "selected_rows", [5])
    note = page.locator('[data-testid="selection-outside"]')
    assert note.is_visible() and "Text #5 is not in the cohort 'films'" in note.inner_text()
    assert model_value(page, "selected_rows") == [5]  # the kernel's choice is not overruled
    # coloured on its own scale: its strongest word is full colour, as on the per-text scale
    alphas = token_alphas(page)
    assert max(alphas) == pytest.approx(0.9, abs=0.01)
    page.locator('[data-testid="scale-select"]').select_option("doc")
    assert token_alphas(page) == alphas
    assert page.locator(".rw-tx-item.rw-selected").count() == 0
    # a selection in the cohort is shown plainly again
    set_model(page, "selected_rows", [3])
    assert not note.is_visible()
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


def test_top_tokens_say_how_many_they_list_and_counts_are_singular_for_one(browser, text_report):
    exp, path = text_report
    page, dialogs, errors = _open_text(browser, path)
    title = page.locator(".rw-tx-chartbox .rw-tx-title").first
    bars = page.locator('[data-testid="top-tokens"] .rw-bar-label')
    assert title.inner_text() == "Top 10 tokens of this text" and bars.count() == 10
    page.locator('[data-testid="doc-item"]').filter(has_text="#5 ").click()
    assert bars.count() == 9 == len(exp.tokens[5])
    assert title.inner_text() == "All 9 tokens of this text"
    # one text left: "1 text", not "1 texts"
    page.locator('[data-testid="contains-token"]').fill("leukemia")
    assert page.locator('[data-testid="text-count"]').inner_text() == "1 of 8 texts"
    chart_title = page.locator(".rw-tx-chartbox .rw-tx-title").nth(1).inner_text()
    assert "(1 text)" in chart_title, chart_title
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


def _luminance(rgb):
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(float(c)) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _over(fg, alpha, bg):
    return [alpha * f + (1 - alpha) * b for f, b in zip(fg, bg, strict=True)]


TOKEN_LOOK = """els => els.map(e => {
  const s = getComputedStyle(e);
  return [s.backgroundColor, s.color];
})"""


def _heatmap(page):
    """Per token: its background blended over the page, its text colour blended over that, and its alpha."""
    page_bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    base = [float(c) for c in RGBA.match(page_bg).groups()[:3]]
    out = []
    for bg, color in page.locator('[data-testid="token"]').evaluate_all(TOKEN_LOOK):
        r, g, b, a = RGBA.match(bg).groups()
        alpha = 1.0 if a is None else float(a)
        back = _over([float(r), float(g), float(b)], alpha, base)
        tr, tg, tb, ta = RGBA.match(color).groups()
        text = _over([float(tr), float(tg), float(tb)], 1.0 if ta is None else float(ta), back)
        out.append((back, text, alpha))
    return base, out


def test_dark_heatmap_on_the_shared_scale_is_legible(browser, text_report):
    """On the shared scale most words are a small share of the largest value. In dark theme their colour
    must stand out from the page at least as much as in light theme; in both, the text on every token keeps 4.5:1."""
    exp, path = text_report
    seen = {}
    for scheme in ("light", "dark"):
        page, dialogs, errors = _open_text(browser, path, scheme)
        page.locator('[data-testid="scale-select"]').select_option("shared")
        base, tokens = _heatmap(page)
        assert (sum(base) < 150) == (scheme == "dark")
        for back, text, _ in tokens:
            assert _contrast(back, text) >= 4.5, (scheme, back, text)
        seen[scheme] = [(_contrast(back, base), alpha) for back, _, alpha in tokens]
        assert not dialogs and not errors, (dialogs, errors)
        page.close()
    # The same words on the same scale. Up to half the scale (most words), the dark tint stands at least as
    # far from its page as the light one; above it, where the light theme's colour is near black, the dark
    # one keeps 2:1 from its page.
    for (dark, _), (light, alpha) in zip(seen["dark"], seen["light"], strict=True):
        share = alpha / 0.9
        assert dark >= (light * 0.98 if share <= 0.5 else 2), (share, dark, light)
    assert sum(alpha / 0.9 <= 0.5 for _, alpha in seen["light"]) > len(seen["light"]) / 2


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1024, 1440])
def test_text_view_screenshots(browser, text_report, scheme, width):
    exp, path = text_report
    page, dialogs, errors = _open_text(browser, path, scheme, width)
    page.locator('[data-testid="scale-select"]').select_option("shared")
    films = {"name": "films", "combine": "all", "filters": [{"column": "tokens", "op": "contains", "value": "film"}]}
    set_model(page, "cohorts", [{"name": "All data", "combine": "all", "filters": []}, films])
    set_model(page, "active_cohort", "films")
    set_model(page, "selected_rows", [5])
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"text_selection_{scheme}_{width}.png"), full_page=True)
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


# --------------------------------------------------------------------------- image


@pytest.fixture(scope="module")
def image_report(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("captum")
    from tiny_models import tiny_cnn

    rng = np.random.default_rng(3)
    images = (rng.random((6, 16, 16, 3)) * 255).astype(np.uint8)
    classes = ["cat", "dog"]
    exp = rw.ImageExplainer(tiny_cnn(2, seed=0), classes=classes, n_steps=8).explain(
        images, y_true=np.array(classes)[np.arange(6) % 2]
    )
    cohorts = [rw.Cohort("first", [rw.Filter("index", "<", 1)])]
    path = exp.save_html(tmp_path_factory.mktemp("sel-img") / "images.html", cohorts=cohorts)
    return exp, path


def test_image_selection_outside_the_cohort(browser, image_report):
    exp, path = image_report
    page, dialogs, errors = open_report(browser, path)
    page.locator('[data-testid="image-view"]').wait_for(state="visible", timeout=15_000)
    detail = page.locator('[data-testid="image-detail"]')
    page.locator('[data-testid="image-thumb"][data-index="3"]').click()
    assert detail.is_visible() and "Image 3" in page.locator('[data-testid="image-labels"]').inner_text()
    # the user picks a cohort without image 3: the selection goes, and so does the detail
    page.locator('[data-testid="cohort-select"]').select_option("first")
    assert model_value(page, "selected_rows") == []
    assert not detail.is_visible()
    assert page.locator('[data-testid="image-count"]').inner_text() == "1 of 6 images"
    # the kernel selects an image outside the cohort: shown, and marked as outside
    set_model(page, "selected_rows", [4])
    note = page.locator('[data-testid="selection-outside"]')
    assert detail.is_visible() and note.is_visible()
    assert "Image 4 is not in the cohort 'first'" in note.inner_text()
    set_model(page, "selected_rows", [0])
    assert not note.is_visible()
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_image_view_screenshots(browser, image_report, scheme):
    exp, path = image_report
    page, dialogs, errors = open_report(browser, path, scheme)
    page.locator('[data-testid="image-view"]').wait_for(state="visible", timeout=15_000)
    page.locator('[data-testid="cohort-select"]').select_option("first")
    set_model(page, "selected_rows", [4])  # outside 'first': marked
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"image-overlay\"]')?.dataset.drawn === '4'", timeout=10_000
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"image_selection_{scheme}_{width}.png"), full_page=True)
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


# --------------------------------------------------------------------------- detection

SQUARES = [(6, 6, 20, 20), (38, 8, 54, 22), (14, 38, 30, 56)]


def scene(values):
    img = np.full((64, 64, 3), 20, dtype=np.uint8)
    for (x0, y0, x1, y1), v in zip(SQUARES, values, strict=True):
        img[y0:y1, x0:x1] = v
    return img


@pytest.fixture(scope="module")
def detection_report(tmp_path_factory):
    exp = rw.DetectionExplainer(square_detector, classes=["left", "right"], num_masks=60, mask_res=(4, 4)).explain(
        [scene((230, 200, 150)), scene((240, 140, 180))]
    )
    cohorts = [rw.Cohort("first", [rw.Filter("index", "<", 1)])]
    path = exp.save_html(tmp_path_factory.mktemp("sel-det") / "detection.html", cohorts=cohorts)
    return exp, path


def _wait_drawn(page, prefix):
    page.wait_for_function(
        "(p) => (document.querySelector('[data-testid=\"detection-canvas\"]')?.dataset.drawn ?? '').startsWith(p)",
        arg=prefix,
        timeout=10_000,
    )


def test_detection_selection_outside_the_cohort(browser, detection_report):
    exp, path = detection_report
    page, dialogs, errors = open_report(browser, path)
    page.locator('[data-testid="detection-view"]').wait_for(state="visible", timeout=15_000)
    page.locator('[data-testid="image-thumb"][data-index="1"]').click()
    _wait_drawn(page, "1:")
    page.locator('[data-testid="cohort-select"]').select_option("first")
    assert model_value(page, "selected_rows") == []
    _wait_drawn(page, "0:")  # the cohort's first image, not image 1
    assert page.locator('[data-testid="detection-list"]').inner_text().startswith("Image 0")
    assert page.locator('[data-testid="image-count"]').inner_text() == "1 of 2 images"
    set_model(page, "selected_rows", [1])
    _wait_drawn(page, "1:")
    note = page.locator('[data-testid="selection-outside"]')
    assert note.is_visible() and "Image 1 is not in the cohort 'first'" in note.inner_text()
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_detection_thumbnails_follow_the_score_threshold(browser, detection_report, scheme):
    exp, path = detection_report
    page, dialogs, errors = open_report(browser, path, scheme)
    page.locator('[data-testid="detection-view"]').wait_for(state="visible", timeout=15_000)
    thumb = page.locator('[data-testid="image-thumb"][data-index="1"]')
    caption = thumb.locator(".rw-thumb-caption")
    scores = [d["score"] for d in exp.detections[1]]
    assert len(scores) == 3 and sum(s >= 0.6 for s in scores) == 2
    assert caption.inner_text() == "#1 · 3 det."
    assert thumb.locator("rect").count() == 3
    page.locator('[data-testid="score-threshold"]').fill("0.6")
    assert caption.inner_text() == "#1 · 2/3 det."
    assert thumb.locator("rect").count() == 2
    kept = [j for j, s in enumerate(scores) if s >= 0.6]
    assert [int(r) for r in thumb.locator("rect").evaluate_all("rs => rs.map(r => r.dataset.index)")] == kept
    # the boxes sit on the objects: the box drawn for a detection covers its square in the thumbnail
    img = thumb.locator("img").bounding_box()
    for j in kept:
        box = thumb.locator(f'rect[data-index="{j}"]').bounding_box()
        x0, y0, x1, y1 = exp.detections[1][j]["box"]
        s = img["width"] / 64
        assert box["x"] == pytest.approx(img["x"] + x0 * s, abs=2)
        assert box["y"] == pytest.approx(img["y"] + y0 * s, abs=2)
        assert box["width"] == pytest.approx((x1 - x0) * s, abs=3)
        assert box["height"] == pytest.approx((y1 - y0) * s, abs=3)
    page.locator('[data-testid="score-threshold"]').fill("0.99")
    assert caption.inner_text() == "#1 · 0/3 det." and thumb.locator("rect").count() == 0
    page.locator('[data-testid="score-threshold"]').fill("0.6")
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"detection_threshold_{scheme}_{width}.png"), full_page=True)
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


def test_one_scene_is_counted_in_the_singular(browser, tmp_path):
    exp = rw.DetectionExplainer(square_detector, num_masks=30, mask_res=(4, 4)).explain([scene((230, 20, 20))])
    assert len(exp.detections[0]) == 1
    page, dialogs, errors = open_report(browser, exp.save_html(tmp_path / "one.html"))
    page.locator('[data-testid="detection-view"]').wait_for(state="visible", timeout=15_000)
    header = page.locator(".rw-header").inner_text()
    assert "1 image, 1 detection" in header, header
    assert page.locator('[data-testid="image-count"]').inner_text() == "1 of 1 image"
    assert page.locator('[data-testid="detection-list"]').inner_text().startswith("Image 0: 1 of 1 detection shown")
    assert not dialogs and not errors, (dialogs, errors)
    page.close()


# --------------------------------------------------------------------------- JupyterLab's dark theme

LAB_TEXT_CELLS = [
    "import numpy as np, rai_widget as rw\n"
    "def additive(texts):\n"
    "    w = lambda s: ((sum((k + 1) * ord(c) for k, c in enumerate(s.lower())) % 17) - 8.5) / 10\n"
    "    logit = np.array([sum(w(x) for x in t.split() if x.strip('.')) for t in texts]) / 4\n"
    "    p = 1 / (1 + np.exp(-logit))\n"
    "    return np.column_stack([1 - p, p])\n"
    f"exp = rw.TextExplainer(additive, classes=['neg', 'pos']).explain({TEXTS[:4]!r})\n"
    "dash = rw.ExplanationDashboard(exp)",
    "dash",
]


def test_dark_heatmap_in_jupyterlab_dark_theme(lab_page, run_notebook, cell_locator, screenshot):
    """Lab's dark theme (body[data-jp-theme-light=false]) draws the dark token colours, white text at 4.5:1."""
    page = lab_page
    run_notebook(page, LAB_TEXT_CELLS, theme="dark")
    view = cell_locator(page, 1).locator(".jp-OutputArea").get_by_test_id("text-view")
    view.get_by_test_id("token").first.wait_for(state="visible")
    view.get_by_test_id("scale-select").select_option("shared")
    looks = view.get_by_test_id("token").evaluate_all(
        """els => els.map(e => [getComputedStyle(e).backgroundColor, e.style.getPropertyValue('--rw-token-dark'),
                             getComputedStyle(e).color])"""
    )
    assert looks
    for bg, dark, _ in looks:  # the dark colour is drawn (the browser keeps alpha to 1/255)
        drawn, wanted = RGBA.match(bg).groups(), RGBA.match(dark.strip()).groups()
        assert drawn[:3] == wanted[:3] and float(drawn[3] or 1) == pytest.approx(float(wanted[3] or 1), abs=0.005)
    page_bg = view.evaluate("e => getComputedStyle(e.closest('.rw-root')).backgroundColor")
    base = [float(c) for c in RGBA.match(page_bg).groups()[:3]]
    assert sum(base) < 200  # a dark page
    for bg, _, color in looks:
        r, g, b, a = RGBA.match(bg).groups()
        back = _over([float(r), float(g), float(b)], 1.0 if a is None else float(a), base)
        assert color == "rgb(255, 255, 255)" and _contrast(back, [255, 255, 255]) >= 4.5, (bg, color)
    screenshot(page, "text_view_lab_dark", view)
