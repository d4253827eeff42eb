"""A 100,000 x 30 binary explanation opens in JupyterLab with every comm message under 5 MB (rai_widget._transport):
the kernel's websocket frames are counted and measured, the view shows its loading progress while the chunks
arrive and then draws its bars; after a reload (the kernel still running) the new view asks for the data and
gets it again. Light and dark, 1024 and 1440 px, loading and loaded. In marimo (no display bundle, buffers as
base64 text) the view asks for the chunks and every frame stays under the cap; in Voila too. A notebook saved
with its widget state holds the descriptor, not the rows, and reopened with a new kernel its view says the data
is not in it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CAP = 5_000_000
REPO_ROOT = Path(__file__).resolve().parents[2]
KEY = "__rw_transport__"
ROWS, FEATURES = 100_000, 30

SETUP = f"""
import time, numpy as np, pandas as pd, rai_widget as rw
from rai_widget.explanations import TabularExplanation
rng = np.random.default_rng(0)
n, f = {ROWS}, {FEATURES}
X = pd.DataFrame(rng.normal(size=(n, f)), columns=[f"feature_{{i}}" for i in range(f)])
v1 = rng.normal(size=(n, f)) * (0.02 * (1 + np.arange(f)))
values = np.stack([-v1, v1], axis=2)
out = np.array([0.2, -0.2]) + values.sum(axis=1)
p1 = 1 / (1 + np.exp(-out[:, 1]))
exp = TabularExplanation(data=X, feature_names=list(X.columns), feature_kinds=["numeric"] * f, values=values,
    base_values=np.array([0.2, -0.2]), surrogate_output=out, model_output=out, output_names=["no", "yes"],
    task="classification", units="log-odds", y_pred=np.where(p1 > 0.5, "yes", "no"),
    y_true=np.where(rng.random(n) < p1, "yes", "no"), probabilities=np.column_stack([1 - p1, p1]),
    fidelity={{"r2": 1.0, "agreement": 1.0}})
"""

# Every text the loading note ever shows, recorded from the page's start (it may be on screen for only a moment).
RECORD_LOADING = """
window.__rwLoading = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll('[data-testid="data-loading-text"]')) {
    const t = el.textContent;
    if (t && window.__rwLoading[window.__rwLoading.length - 1] !== t) window.__rwLoading.push(t);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def _frame_bytes(payload) -> int:
    return len(payload.encode("utf-8")) if isinstance(payload, str) else len(payload)


def test_100k_rows_open_in_chunks_under_5_mb(
    lab_page, run_notebook, run_cell, cell_locator, notebook_driver, set_theme, screenshot
):
    page = lab_page
    received: list[int] = []
    requests: list[int] = []

    def on_websocket(ws):
        if "/api/kernels/" not in ws.url:
            return
        ws.on("framereceived", lambda payload: received.append(_frame_bytes(payload)))
        ws.on(
            "framesent",
            lambda payload: (
                requests.append(1)
                if (b'"rw_transport":"request"' in (payload.encode() if isinstance(payload, str) else payload))
                else None
            ),
        )

    page.on("websocket", on_websocket)
    page.add_init_script(RECORD_LOADING)
    run_notebook(page, [SETUP], timeout=300)

    # 1. Open: from running the cell to the bars on screen.
    received.clear()
    t0 = time.perf_counter()
    run_cell(page, "dash = rw.ExplanationDashboard(exp)\ndash", timeout=120)
    output = cell_locator(page, 1).locator(".jp-OutputArea")
    bars = output.locator('[data-testid="importance-bar"]')
    bars.first.wait_for(state="visible", timeout=60_000)
    opened = time.perf_counter() - t0
    frames_at_open = list(received)
    print(
        f"\n100k x 30 opened in {opened:.2f} s (run cell -> bars; loaded machine): {len(frames_at_open)} frames, "
        f"largest {max(frames_at_open) / 1e6:.2f} MB, {sum(frames_at_open) / 1e6:.1f} MB in all; "
        f"loading texts seen: {page.evaluate('window.__rwLoading')}"
    )
    assert max(frames_at_open) < CAP
    assert sum(frames_at_open) > 20_000_000  # the data did cross (~27 MB)
    assert sum(1 for b in frames_at_open if b > 1_000_000) >= 5  # in chunks
    assert bars.count() == 10
    assert not requests, "the view asked although the kernel said the data was coming"

    # 2. The loading state, held on screen by a cell still running after the display (the chunks follow the cell).
    cells_before = 2
    path = notebook_driver._path(page)
    page.evaluate(
        """([path, source]) => {
          const app = window.jupyterapp;
          const panel = [...app.shell.widgets('main')].find((w) => w.context && w.context.path === path);
          const nb = panel.content;
          nb.model.sharedModel.insertCell(nb.model.cells.length, {cell_type: 'code', source});
          app.shell.activateById(panel.id);
          nb.activeCellIndex = nb.model.cells.length - 1;
          nb.deselectAll();
          app.commands.execute('notebook:run-cell');  // not awaited: its promise ends with the cell
        }""",
        [path, "dash2 = rw.ExplanationDashboard(exp)\ndisplay(dash2)\ntime.sleep(30)"],
    )
    loading = cell_locator(page, cells_before).locator('[data-testid="data-loading"]')
    loading.wait_for(state="visible", timeout=60_000)
    text = loading.locator('[data-testid="data-loading-text"]')
    assert re.fullmatch(r"Loading data: 0 of 2\d MB", text.inner_text()), text.inner_text()
    assert loading.locator("progress").count() == 1
    note = loading.locator('[data-testid="data-not-saved"]')
    note.wait_for(state="visible", timeout=20_000)
    assert note.inner_text() == "The kernel sends the data when the cell that displayed it has finished."
    for theme in ("light", "dark"):
        if theme == "dark":
            set_theme(page, "dark")
        for width in (1440, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            screenshot(page, f"transport_loading_{theme}_{width}", cell_locator(page, cells_before))
    set_theme(page, "light")
    # the cell ends, the chunks follow, the view draws
    cell_locator(page, cells_before).locator('[data-testid="importance-bar"]').first.wait_for(
        state="visible", timeout=90_000
    )
    assert not requests

    # 3. Reload with the kernel running: the saved notebook's outputs re-render, the views ask and get the data.
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !document.querySelector('.jp-mod-dirty')", timeout=30_000
    )  # saved before the reload drops the outputs
    received.clear()
    page.reload(wait_until="domcontentloaded")
    bars = page.locator('.jp-CodeCell [data-testid="importance-bar"]')
    bars.first.wait_for(state="visible", timeout=120_000)
    assert requests, "a reloaded view asks for its data"
    seen = page.evaluate("window.__rwLoading")
    assert any(t.startswith("Loading data:") for t in seen), seen
    assert max(received) < CAP
    assert sum(1 for b in received if b > 1_000_000) >= 5

    for theme in ("light", "dark"):
        if theme == "dark":
            set_theme(page, "dark")
        for width in (1440, 1024):
            page.set_viewport_size({"width": width, "height": 1100})
            screenshot(page, f"transport_loaded_{theme}_{width}", cell_locator(page, 1))
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors


MARIMO_APP = """
import marimo

app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    import rai_widget as rw
    from test_transport import binary

    exp = binary(30_000, 12)  # 3 MB of arrays: in chunks under a 1 MB cap
    dashboard = mo.ui.anywidget(rw.ExplanationDashboard(exp, max_message_bytes=1_000_000))
    dashboard
    return
"""


def test_marimo_gets_the_chunks_under_the_cap(browser, tmp_path):
    # marimo displays no output bundle (no "coming"): the view asks, and marimo's websocket carries the buffers
    # as base64 text, which the chunk size leaves room for
    from test_marimo import marimo_run, open_app

    app = tmp_path / "chunked_app.py"
    app.write_text(MARIMO_APP)
    (tmp_path / "run").mkdir()
    frames: list[int] = []
    new_page = browser.new_page

    def recording_page(**kwargs):
        page = new_page(**kwargs)
        page.on("websocket", lambda ws: ws.on("framereceived", lambda b: frames.append(_frame_bytes(b))))
        return page

    with marimo_run(app, tmp_path / "run") as server:
        browser.new_page = recording_page
        try:
            opened = open_app(browser, server)
        finally:
            del browser.new_page
        page = opened.page
        bars = page.get_by_test_id("importance-bar")
        bars.first.wait_for(state="visible", timeout=180_000)
        assert bars.count() == 10
        assert sum(frames) > 3_000_000 and max(frames) < 1_000_000, (len(frames), max(frames), sum(frames))
        assert not opened.errors, opened.errors
        page.close()


SAVED_SETUP = f"""
import sys
sys.path.insert(0, {str(REPO_ROOT / "tests")!r})
import rai_widget as rw
from test_transport import binary
dash = rw.ExplanationDashboard(binary(30_000, 12), max_message_bytes=1_000_000)
dash
"""


def _widget_settings(server, save_state: bool) -> None:
    body = json.dumps({"raw": json.dumps({"saveState": save_state})}).encode()
    url = server.url + "/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin"
    urllib.request.urlopen(urllib.request.Request(url, data=body, method="PUT"), timeout=10).close()


def test_a_saved_notebook_holds_no_rows_and_says_so_without_its_kernel(
    lab_page, jupyter_lab, run_notebook, cell_locator, screenshot
):
    page = lab_page
    _widget_settings(jupyter_lab, True)  # JupyterLab saves the widgets' state with the notebook
    try:
        run_notebook(page, [SAVED_SETUP], name="saved_state.ipynb", timeout=180)
        cell_locator(page, 0).locator('[data-testid="importance-bar"]').first.wait_for(state="visible")
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        saved = jupyter_lab.notebook_dir / "saved_state.ipynb"
        deadline = time.monotonic() + 30
        while "application/vnd.jupyter.widget-state+json" not in saved.read_text():
            assert time.monotonic() < deadline, "the notebook was not saved with its widget state"
            time.sleep(0.25)
        text = saved.read_text()
        assert KEY in text  # the descriptor, not the rows
        assert len(text.encode()) < 1_000_000, len(text.encode())  # the arrays are 3 MB

        # Reopened with a new kernel, which has not run the cell: the view comes from the saved state alone.
        jupyter_lab.shutdown_kernels()
        page.goto(f"{jupyter_lab.url}/lab/tree/saved_state.ipynb", wait_until="domcontentloaded")
        note = cell_locator(page, 0).locator('[data-testid="data-not-saved"]')
        note.wait_for(state="visible", timeout=60_000)
        assert "not in the saved notebook: run the cell" in note.inner_text()
        assert "dash.save_html(path)" in note.inner_text()
        assert cell_locator(page, 0).locator('[data-testid="importance-bar"]').count() == 0
        screenshot(page, "transport_saved_no_kernel", cell_locator(page, 0))
    finally:
        _widget_settings(jupyter_lab, False)


def test_voila_gets_the_chunks_under_the_cap(browser, tmp_path):
    # Voila runs the notebook, then the page connects: every frame under the cap, the bars drawn
    import nbformat
    from test_voila import _free_port

    app = tmp_path / "app"
    app.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SAVED_SETUP)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(app / "chunked.ipynb"))
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "HOME", "MPLCONFIGDIR"):
        env[var] = str(tmp_path / var.lower())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    port = _free_port()
    cmd = [
        sys.executable, "-m", "voila", str(app / "chunked.ipynb"), "--no-browser", "--Voila.ip=127.0.0.1",
        f"--port={port}", "--Voila.port_retries=0", f"--Voila.connection_dir_root={tmp_path}",
    ]  # fmt: skip
    with open(tmp_path / "voila.log", "wb") as log:
        proc = subprocess.Popen(cmd, cwd=app, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    page = None
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/voila/static/", timeout=5).close()
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "voila.log").read_text()
                time.sleep(0.25)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        frames: list[int] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda b: frames.append(_frame_bytes(b))))
        page.goto(url + "/", wait_until="domcontentloaded")
        bars = page.locator('[data-testid="importance-bar"]')
        bars.first.wait_for(state="visible", timeout=120_000)
        assert bars.count() == 10
        assert sum(frames) > 3_000_000 and max(frames) < 1_000_000, (len(frames), max(frames), sum(frames))
    finally:
        if page is not None:
            page.close()
        proc.send_signal(signal.SIGTERM)  # Voila stops its kernels on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()  # that one PID only
            proc.wait(timeout=10)
