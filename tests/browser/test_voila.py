"""The widget in Voila, the dashboard server for people who do not code, in real Chromium.

The test starts Voila itself on a notebook made from ``apps/voila_dashboard.py`` (a tabular dashboard with
a Label the kernel redraws from ``dash.observe(..., names=["cohorts", "active_cohort"])``, then a text,
an image and a detection view, all of tiny local models). Each page load is a fresh kernel that runs
the notebook. Checked: the tabular view draws the features' bars; it responds (a cohort built in the
editor reaches the kernel, whose Label shows its name, filters and size as Python reads them; a tab
switch; ICE curves, a kernel job, drawn from the kernel's answer); the text, image and detection views
draw their content; the dark theme reaches the view; nothing is fetched from outside 127.0.0.1 but
Voila's own icon font (refused). Screenshots at 1024 and 1440 px, light and dark.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from cohort_editor import draft_cohort
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
APP = HERE / "apps" / "voila_dashboard.py"
SHOTS = Path(os.environ.get("RW_VOILA_SHOTS", HERE / "screenshots"))
START_TIMEOUT = 60  # s: the server answers
PAGE_TIMEOUT = 120_000  # ms: a page load runs the whole notebook in a new kernel (torch import included)
FEATURES = {"age", "income", "region"}  # the app's columns
N_ROWS = 240
# Voila's page template asks a CDN for Font Awesome (its icons); refused here, and nothing else may go out.
VOILA_CDN = "https://cdn.jsdelivr.net/npm/@fortawesome/"


def app_notebook(path: Path) -> Path:
    """The app as a notebook: one code cell per "# %%" block of apps/voila_dashboard.py."""
    cells: list[list[str]] = []
    for line in APP.read_text().splitlines():
        if line == "# %%":
            cells.append([])
        elif cells:
            cells[-1].append(line)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("\n".join(c).strip()) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """Voila serving the app on 127.0.0.1; its URL. Config, data, runtime, connection files and HOME in tmp."""
    tmp = tmp_path_factory.mktemp("voila")
    root = tmp / "app"
    root.mkdir()
    notebook = app_notebook(root / "dashboard.ipynb")
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "HOME", "MPLCONFIGDIR"):
        env[var] = str(tmp / var.lower())
    # The kernel imports the working tree, and the tests' tiny models (tests/tiny_models.py, tests/scenes.py).
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), str(REPO_ROOT / "tests"), os.environ.get("PYTHONPATH", "")) if p
    )
    port = _free_port()
    cmd = [
        sys.executable, "-m", "voila", str(notebook),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--Voila.port_retries=0",
        f"--Voila.connection_dir_root={tmp}",
        "--show_tracebacks=True",  # a cell that raises shows its traceback in the page (and the failure message)
    ]  # fmt: skip
    log_path = tmp / "voila.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Voila exited with {proc.returncode}:\n{log_path.read_text()}", pytrace=False)
            try:  # a static file: "/" would run the notebook
                urllib.request.urlopen(url + "/voila/static/", timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"Voila did not answer in {START_TIMEOUT}s:\n{log_path.read_text()}", pytrace=False)
                time.sleep(0.25)
        yield url, log_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # Voila stops its kernels on SIGTERM
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()  # that one PID only
                proc.wait(timeout=10)


@pytest.fixture
def open_app(browser, voila):
    """open_app(theme) -> the app's page once every view is drawn, recording its errors and the requests it
    was refused. Each load is a kernel of its own; Voila stops them all when the server stops."""
    pages = []

    def opened(theme: str = "light"):
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        pages.append(page)
        return _load(page, voila, theme)

    yield opened
    for page in pages:
        page.close()


def _load(page, voila, theme: str):
    url, log_path = voila
    page.rw_errors, page.rw_dialogs, page.rw_refused = [], [], []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.rw_errors.append(str(e)))
    page.on("dialog", lambda d: (page.rw_dialogs.append(d.message), d.dismiss()))

    def local_only(route):
        if route.request.url.startswith((url, "blob:", "data:")):
            route.continue_()
        else:
            page.rw_refused.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    page.goto(f"{url}/?theme={theme}", timeout=PAGE_TIMEOUT, wait_until="domcontentloaded")
    try:
        for testid in ("importance-chart", "text-view", "image-view", "detection-view"):
            page.get_by_test_id(testid).first.wait_for(state="visible", timeout=PAGE_TIMEOUT)
    except Exception:
        tracebacks = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        raise AssertionError(
            f"the app did not draw every view; page errors: {page.rw_errors}\n"
            f"page text: {page.locator('body').inner_text()[:3000]}\n"
            f"stderr outputs: {tracebacks.all_inner_texts()}\nVoila log:\n{log_path.read_text()[-3000:]}"
        ) from None
    return page


def check_clean(page) -> None:
    assert not page.rw_dialogs, page.rw_dialogs
    assert not page.rw_errors, page.rw_errors
    assert all(u.startswith(VOILA_CDN) for u in page.rw_refused), page.rw_refused


def shoot(page, name: str) -> None:
    """The page at 1024 and 1440 px: at the tabular view, and at the image and detection views."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1024, 1440):
        page.set_viewport_size({"width": width, "height": 1000})
        for part, testid in (("tabular", "importance-chart"), ("media", "image-view")):
            page.get_by_test_id(testid).first.evaluate("e => e.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(SHOTS / f"voila_{name}_{part}_{width}.png"))


def test_voila_dashboard_renders_and_reaches_the_kernel(open_app):
    page = open_app()
    tabular = page.locator(".rw-root").filter(has=page.get_by_test_id("importance-chart"))
    label = page.locator(".kernel-cohorts")

    # (1) the tabular view draws every feature's bar, and the kernel's Label reads the starting state
    bars = tabular.locator(".rw-bar-label")
    expect(bars).to_have_count(len(FEATURES))
    assert set(bars.all_inner_texts()) == FEATURES
    expect(label).to_have_text(f"Kernel: active cohort 'All data'; cohorts: All data (every row, {N_ROWS} rows)")

    # (2) a cohort built in the view reaches the kernel: the Label, which only Python writes, shows its
    # name, filters and size as Python reads them; the size is the one the view counted
    editor = draft_cohort(tabular, "older north/east", "age", ">", "45")
    editor.get_by_test_id("filter-add").click()
    region = editor.get_by_test_id("filter-row").nth(1)
    region.get_by_test_id("filter-column").select_option("region")
    region.get_by_test_id("filter-op").select_option("in")
    for value in ("north", "east"):
        region.get_by_test_id("filter-value").get_by_label(value, exact=True).check()
    count = editor.get_by_test_id("cohort-draft-count")
    expect(count).not_to_have_text(f"{N_ROWS} of {N_ROWS} rows")
    n = int(re.fullmatch(rf"(\d+) of {N_ROWS} rows", count.inner_text().strip()).group(1))
    assert 0 < n < N_ROWS
    editor.get_by_test_id("cohort-save").click()
    expect(label).to_have_text(
        "Kernel: active cohort 'older north/east'; cohorts: All data (every row, 240 rows); "
        f"older north/east (age > 45 and region in ['east', 'north'], {n} rows)",  # in the categories' order
        timeout=30_000,
    )
    expect(tabular.locator("select").first).to_have_value("older north/east")  # the header's cohort select

    # a tab switch, and a kernel job: a row picked in the table gets its ICE curve from the kernel's model
    tabular.get_by_test_id("tab-rows").click()
    table = tabular.get_by_test_id("row-table")
    table.locator('[data-testid="row"]').first.click()
    plot = tabular.get_by_test_id("ice-plot")
    page.wait_for_function(
        "(el) => el.dataset.curves === '1' && el.dataset.state !== 'running'", arg=plot.element_handle(), timeout=60_000
    )
    assert plot.locator('[data-testid="ice-curve"]').count() == 1
    tabular.get_by_test_id("tab-importance").click()

    # (3) text, image and detection views with their content
    tokens = page.get_by_test_id("text-view").get_by_test_id("token")
    expect(tokens.first).to_be_visible()
    assert tokens.all_inner_texts() == "an excellent film with a dull plot".split()
    image = page.get_by_test_id("image-view")
    expect(image.get_by_test_id("image-thumb")).to_have_count(6)
    assert "6 of 6 images" in image.inner_text()
    thumb = image.get_by_test_id("image-thumb").nth(1)
    thumb.click()  # its attribution map, drawn over it
    page.wait_for_function(
        "([el, i]) => el.querySelector('[data-testid=\"image-overlay\"]')?.dataset.drawn === i",
        arg=[image.element_handle(), thumb.get_attribute("data-index")],
    )
    detection = page.get_by_test_id("detection-view")
    expect(detection.get_by_test_id("detection-item")).to_have_count(3)  # the scene's three squares
    assert {t.split()[0] for t in detection.get_by_test_id("detection-item").all_inner_texts()} <= {"left", "right"}
    check_clean(page)
    shoot(page, "light")


def _luminance(css: str) -> float:
    r, g, b = (float(v) for v in re.findall(r"[\d.]+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_voila_dark_theme_reaches_the_view(open_app):
    page = open_app("dark")
    assert page.evaluate("() => document.body.dataset.jpThemeLight") == "false"
    tabular = page.locator(".rw-root").filter(has=page.get_by_test_id("importance-chart"))
    text = _luminance(tabular.locator(".rw-bar-label").first.evaluate("e => getComputedStyle(e).color"))
    background = _luminance(page.evaluate("() => getComputedStyle(document.body).backgroundColor"))
    assert text > 0.6 and background < 0.3, (text, background)  # light text on a dark page
    check_clean(page)
    shoot(page, "dark")
