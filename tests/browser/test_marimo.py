"""The widget in marimo, started by the test: `marimo run` of notebooks/marimo_app.py (the example app users
copy) and of tests/browser/apps/marimo_media.py, driven in Chromium.

(1) the tabular dashboard renders inside marimo's <marimo-anywidget> shadow root, with the data's features;
(2) a cohort built in the view's editor reaches the kernel: the app's reactive cell prints it as Python
holds it (name, the rows Python counts, filters), and the count is the data's own;
(3) a kernel job (ICE) runs in marimo: the curve drawn is explainer.ice's for that row;
(4) one text, one image and one detection dashboard render with their real content.
marimo serves everything itself: every request to another host is refused and must not happen. HOME and
marimo's config live in tmp_path (the config sets theme "system", so emulating a colour scheme switches it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cohort_editor import draft_cohort
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_APP = REPO_ROOT / "notebooks" / "marimo_app.py"
MEDIA_APP = Path(__file__).resolve().parent / "apps" / "marimo_media.py"
START_TIMEOUT = 60  # s: until the server answers /health
SCREENSHOT_DIR = Path(__file__).resolve().parent / "screenshots"  # git-ignored, as conftest's
APP_TIMEOUT = 180_000  # ms: the app's cells (training, explaining) until the view is drawn, under load


@dataclass
class Marimo:
    url: str
    log: Path

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:]) if self.log.exists() else ""


@contextmanager
def marimo_run(app: Path, tmp: Path) -> Iterator[Marimo]:
    """`marimo run app` on a free 127.0.0.1 port, headless, no token, HOME and config under `tmp`; the kernel
    imports this checkout's rai_widget first (and tests/ for the media app's tiny models)."""
    home = tmp / "home"
    config = home / ".config" / "marimo"
    config.mkdir(parents=True)
    (config / "marimo.toml").write_text('[display]\ntheme = "system"\n')
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)  # marimo changes behaviour (its update check's URL) under pytest
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        MARIMO_SKIP_UPDATE_CHECK="1",
        PYTHONPATH=os.pathsep.join(
            p for p in (str(REPO_ROOT), str(REPO_ROOT / "tests"), os.environ.get("PYTHONPATH", "")) if p
        ),
        PYTHONUNBUFFERED="1",
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable, "-m", "marimo", "run", str(app),
        "--headless", "--host", "127.0.0.1", "--port", str(port), "--no-token", "--no-sandbox",
    ]  # fmt: skip
    log_path = tmp / "marimo.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        server = Marimo(f"http://127.0.0.1:{port}", log_path)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"marimo exited with {proc.returncode}:\n{server.log_tail()}", pytrace=False)
                try:
                    urllib.request.urlopen(server.url + "/health", timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"marimo did not answer in {START_TIMEOUT}s:\n{server.log_tail()}", pytrace=False)
                    time.sleep(0.2)
            yield server
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()  # that one PID only
                    proc.wait(timeout=10)


@dataclass
class Opened:
    page: Any
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # requests to anything but the marimo server


def open_app(browser, server: Marimo, width: int = 1440) -> Opened:
    """The app in a fresh page (a new marimo session: the app's cells run for it), light theme."""
    page = browser.new_page(viewport={"width": width, "height": 1000}, color_scheme="light")
    page.set_default_timeout(30_000)
    opened = Opened(page)
    page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: opened.errors.append(str(e)))

    def only_marimo(route):
        if route.request.url.startswith((server.url + "/", "ws://127.0.0.1", "blob:", "data:")):
            route.continue_()
        else:
            opened.blocked.append(route.request.url)
            route.abort()

    page.route("**/*", only_marimo)
    page.goto(server.url + "/", wait_until="domcontentloaded")
    return opened


def wait_for_view(opened: Opened, server: Marimo, testid: str):
    view = opened.page.get_by_test_id(testid)
    try:
        view.first.wait_for(state="visible", timeout=APP_TIMEOUT)
    except Exception:  # noqa: BLE001 - say why, with the server's log
        pytest.fail(f"{testid} did not appear; page errors {opened.errors}\nmarimo log:\n{server.log_tail()}")
    return view


def shots(opened: Opened, name: str, widths=(1024, 1440)) -> None:
    """Screenshots of the viewport in light and dark (marimo follows the emulated scheme), at each width."""
    page = opened.page
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        page.wait_for_function("(dark) => document.body.classList.contains('dark') === dark", arg=theme == "dark")
        for width in widths:
            page.set_viewport_size({"width": width, "height": 1000})
            page.screenshot(path=str(SCREENSHOT_DIR / f"marimo_{name}_{theme}_{width}.png"))
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1440, "height": 1000})


def no_trouble(opened: Opened) -> None:
    assert not opened.dialogs, opened.dialogs
    assert not opened.errors, opened.errors
    assert not opened.blocked, f"the page asked for something besides marimo: {opened.blocked}"


@pytest.fixture(scope="module")
def example_app(tmp_path_factory) -> Iterator[Marimo]:
    with marimo_run(EXAMPLE_APP, tmp_path_factory.mktemp("marimo-app")) as server:
        yield server


@pytest.fixture(scope="module")
def media_app(tmp_path_factory) -> Iterator[Marimo]:
    with marimo_run(MEDIA_APP, tmp_path_factory.mktemp("marimo-media")) as server:
        yield server


def the_example_model():
    """The example app's data, split and model, made here as the app makes them (deterministic)."""
    from sklearn.model_selection import train_test_split

    from rai_widget.demos.tabular import load_hmda, train_loan_model

    X, y = load_hmda()
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.4, random_state=0, stratify=y)
    return X_train, X_test, train_loan_model(X_train, y_train)


def ice_of(model, X_train, row, feature: str, steps: int = 20) -> np.ndarray:
    """The model's log-odds of "yes" for `row` as `feature` sweeps its default ICE grid: X_train's range, in
    whole numbers when the feature holds fewer than `steps` of them, else `steps` even values."""
    column = X_train[feature].to_numpy(np.float64)
    lo, hi = column.min(), column.max()
    whole = np.arange(np.ceil(lo), np.floor(hi) + 1)
    grid = whole if np.all(column == np.round(column)) and len(whole) < steps else np.linspace(lo, hi, steps)
    rows = row.loc[row.index.repeat(len(grid))].reset_index(drop=True)
    rows[feature] = grid
    p = model.predict_proba(rows)[:, list(model.classes_).index("yes")]
    return np.log(p / (1 - p))


def test_example_app_cohorts_reach_python_and_jobs_run(browser, example_app):
    opened = open_app(browser, example_app)
    page = opened.page
    X_train, X_test, model = the_example_model()  # while the app's kernel trains the same model
    chart = wait_for_view(opened, example_app, "importance-chart")
    view = page.locator(".rw-root")
    assert view.count() == 1
    # drawn in marimo's shadow root (Playwright's CSS locators pierce open shadow roots)
    assert view.evaluate("el => el.getRootNode() instanceof ShadowRoot && el.getRootNode().host.localName") == (
        "marimo-anywidget"
    )
    # (1) real content: the data's features, as many rows as the app explained
    expect(chart).to_contain_text("consumer_credit_score")
    labels = chart.locator(".rw-bar-label").all_inner_texts()
    assert len(labels) == len(set(labels)) == 10 and set(labels) <= set(X_test.columns), labels
    expect(page.get_by_test_id("cohort-select").locator("option").first).to_have_attribute(
        "data-rows", str(len(X_test))
    )
    output = page.locator("pre").filter(has_text="'All data'")
    expect(output).to_have_text(f"'All data': {len(X_test)} rows, filters []  (active)")

    # (2) a cohort built in the view's editor reaches Python: the reactive cell re-runs and prints it
    editor = draft_cohort(view, "high debt", "debt_to_income", ">", "0.4")
    editor.get_by_test_id("cohort-save").click()
    rows = int((X_test["debt_to_income"].to_numpy(np.float32) > np.float32(0.4)).sum())  # the data's own count
    assert 0 < rows < len(X_test)
    expect(output).to_have_text(
        f"'All data': {len(X_test)} rows, filters []\n"
        f"'high debt': {rows} rows, filters [{{'column': 'debt_to_income', 'op': '>', 'value': 0.4}}]  (active)",
        timeout=60_000,
    )
    expect(page.get_by_test_id("cohort-select")).to_have_value("high debt")
    shots(opened, "cohorts")

    # (3) a kernel job: the ICE curve of a selected row, computed in marimo's kernel with the model
    view.get_by_test_id("tab-rows").click()
    plot = view.get_by_test_id("ice-plot")
    plot.wait_for(state="visible")
    first = view.get_by_test_id("row-table").get_by_test_id("row").first  # a row of the active cohort
    row = int(first.get_attribute("data-row"))
    assert X_test["debt_to_income"].iloc[row] > 0.4
    first.click()
    page.wait_for_function(
        "(el) => el.dataset.curves === '1' && el.dataset.state === 'done'", arg=plot.element_handle(), timeout=60_000
    )
    feature = plot.get_attribute("data-feature")
    drawn = plot.get_by_test_id("ice-curve").get_attribute("data-values")
    np.testing.assert_allclose(
        [float(v) for v in drawn.split(",")], ice_of(model, X_train, X_test.iloc[[row]], feature), rtol=1e-5, atol=1e-5
    )
    plot.scroll_into_view_if_needed()
    shots(opened, "ice")
    view.get_by_test_id("tab-importance").click()
    shots(opened, "importance")
    no_trouble(opened)
    page.close()


def sigmoid(z: float) -> float:
    return float(1 / (1 + np.exp(-z)))


DIFF = """([a, b]) => {
  const p = a.getContext('2d').getImageData(0, 0, a.width, a.height).data;
  const q = b.getContext('2d').getImageData(0, 0, b.width, b.height).data;
  let n = 0;
  for (let i = 0; i < p.length; i += 4) {
    if (Math.abs(p[i] - q[i]) + Math.abs(p[i+1] - q[i+1]) + Math.abs(p[i+2] - q[i+2]) > 24) n++;
  }
  return n / (p.length / 4);
}"""


@pytest.fixture(scope="module")
def media_page(browser, media_app) -> Iterator[Opened]:
    """One session of the media app for the tests below (each page is a session that runs the app)."""
    opened = open_app(browser, media_app)
    yield opened
    opened.page.close()


def test_text_image_and_detection_views_render(media_page, media_app):
    opened = media_page
    page = opened.page
    text = wait_for_view(opened, media_app, "text-view")
    image = wait_for_view(opened, media_app, "image-view")
    detection = wait_for_view(opened, media_app, "detection-view")
    assert page.locator("marimo-anywidget").count() == 3

    # text: the selected text's tokens, and the one that moves the model (p = sigmoid(3 * count - 1)) has
    # the exact Shapley value sigmoid(2) - sigmoid(-1), from base sigmoid(-1) to output sigmoid(2)
    tokens = text.get_by_test_id("token")
    expect(tokens).to_have_text(["an", "excellent", "film", "with", "a", "dull", "plot"])
    legend = text.get_by_test_id("text-legend").inner_text()
    for value in (sigmoid(-1), sigmoid(2) - sigmoid(-1), sigmoid(2)):
        assert f"{value:.3g}" in legend, legend
    assert f"+{sigmoid(2) - sigmoid(-1):.4g}" in tokens.nth(1).get_attribute("title")

    # image: six thumbnails; the chosen image's overlay is drawn and differs from the image
    thumbs = image.get_by_test_id("image-thumb")
    expect(thumbs).to_have_count(6)
    thumbs.first.click()
    overlay, original = image.get_by_test_id("image-overlay"), image.get_by_test_id("image-original")
    page.wait_for_function("(c) => c.dataset.drawn !== undefined", arg=overlay.element_handle())
    changed = page.evaluate(DIFF, [overlay.element_handle(), original.element_handle()])
    assert changed > 0.05, changed

    # detection: the three bright squares square_detector finds, scored by their brightness
    items = detection.get_by_test_id("detection-item")
    expect(items).to_have_count(3)
    listed = " ".join(items.all_inner_texts())
    for score in (230 / 255, 200 / 255, 150 / 255):
        assert f"{score:.3f}" in listed, listed
    canvas = detection.get_by_test_id("detection-canvas")
    page.wait_for_function("(c) => (c.dataset.drawn ?? '').startsWith('0:')", arg=canvas.element_handle())

    shots(opened, "media")
    detection.scroll_into_view_if_needed()
    shots(opened, "detection")
    no_trouble(opened)


# The contrast of a root's text colour on what lies behind it (its own background, else the page's), in
# the dark theme; colours as getComputedStyle gives them, rgb()/rgba() or color(srgb ...).
DARK_CONTRASTS = """(roots) => {
  const rgb = (v) => {
    const n = (v.match(/[\\d.]+/g) || []).map(Number);
    const srgb = v.startsWith('color(');
    const c = n.slice(0, 3).map((x) => (srgb ? x : x / 255));
    return { c, a: n.length > 3 ? n[3] : 1 };
  };
  const lum = ({ c }) => {
    const [r, g, b] = c.map((x) => (x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return roots.map((el) => {
    const own = rgb(getComputedStyle(el).backgroundColor);
    const back = own.a > 0 ? own : rgb(getComputedStyle(document.body).backgroundColor);
    const [hi, lo] = [lum(rgb(getComputedStyle(el).color)), lum(back)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  });
}"""


def test_dark_theme_is_readable_in_marimo(media_page, media_app):
    page = media_page.page
    wait_for_view(media_page, media_app, "detection-view")
    page.emulate_media(color_scheme="dark")
    try:
        page.wait_for_function("() => document.body.classList.contains('dark')")
        contrasts = page.locator(".rw-root").evaluate_all(DARK_CONTRASTS)
    finally:
        page.emulate_media(color_scheme="light")
    assert len(contrasts) == 3 and min(contrasts) >= 4.5, contrasts
