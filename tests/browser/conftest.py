"""Real-browser tests: the widget inside a real JupyterLab, driven by Playwright on Debian's Chromium.

Session-scoped: one Chromium (``browser``) and one JupyterLab server (``jupyter_lab``). Per test: a
fresh browser context and page (``lab_page``) that records dialogs, page errors and console errors.

Helpers (fixtures returning callables; all take the ``page``):

- ``run_notebook(page, cells, name=None, theme="light")``: writes ``cells`` to a new .ipynb in the
  server's notebook dir, opens it in Lab, waits for the status bar to say "Idle", runs all cells and
  waits until every code cell has finished. A cell that raises fails the test with its traceback.
- ``run_cell(page, source) -> str``: appends one more code cell to that notebook, runs it in the same
  kernel and returns its text output (stdout + text/plain results), e.g. to read state back.
- ``cell_output(page, index) -> str``: the text output of code cell ``index`` (0-based, in the notebook).
- ``set_theme(page, "light" | "dark")``: switches JupyterLab's theme with ``apputils:change-theme``.
- ``screenshot(page, name, target=None) -> Path``: saves ``tests/browser/screenshots/<name>.png``
  (of ``target``, a locator, when given; else of the viewport).

How the kernel finds ``rai_widget``: the server is ``sys.executable -m jupyter lab`` and the notebooks
use a kernelspec written for the test session (in a temporary ``JUPYTER_PATH`` dir) whose argv starts
with the same ``sys.executable`` and whose ``env`` puts the repository root first on ``PYTHONPATH``.
So the kernel runs the tests' interpreter and imports the working tree under test, whether or not the
package is installed (editable or not, even a stale copy in site-packages loses), and although the
kernel's cwd is the temporary notebook dir. ``test_infrastructure.py`` and ``test_widget_renders.py``
check this from inside the kernel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENSHOT_DIR = HERE / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KERNEL_NAME = "rai-widget-test"
THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}
SERVER_START_TIMEOUT = 90  # s
KERNEL_IDLE_TIMEOUT = 90  # s: kernel start and first "Idle"
DEFAULT_CELL_TIMEOUT = 120  # s: a whole "Run All"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --------------------------------------------------------------------------- pytest hooks


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every test in this folder is a browser test, marked or not, and in the slow tier.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium. "
            "Install it with `bash scripts/install_browser.sh` (apt-get install chromium). "
            "Do not run `playwright install`: its download cannot work here.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the Python package `playwright` is missing: pip install -e '.[dev]' (or pip install playwright)",
            pytrace=False,
        )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


# --------------------------------------------------------------------------- JupyterLab server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


@dataclass
class JupyterLabServer:
    url: str  # http://127.0.0.1:PORT
    notebook_dir: Path
    proc: subprocess.Popen
    log_path: Path
    counter: int = 0
    open_notebooks: dict = field(default_factory=dict)  # id(page) -> notebook path (relative)

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def api(self, method: str, path: str) -> object:
        req = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel (one per opened notebook), so tests don't pile them up on 2 cores."""
        try:
            for s in self.api("GET", "/api/sessions") or []:
                self.api("DELETE", f"/api/sessions/{s['id']}")
        except Exception:  # noqa: BLE001 - best effort cleanup
            pass


@pytest.fixture(scope="session")
def jupyter_lab():
    tmp = Path(tempfile.mkdtemp(prefix="rw-browser-"))
    config_dir = tmp / "config"
    data_path = tmp / "data"  # extra JUPYTER_PATH entry: just our kernelspec
    notebook_dir = tmp / "notebooks"
    runtime_dir = tmp / "runtime"
    for d in (config_dir, data_path, notebook_dir, runtime_dir):
        d.mkdir(parents=True)

    settings = config_dir / "lab" / "user-settings" / "@jupyterlab"
    # No "Jupyter news" toast, no update check.
    _write_json(
        settings / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    _write_json(settings / "apputils-extension" / "themes.jupyterlab-settings", {"theme": THEMES["light"]})
    # Render every cell (no virtual scrolling), so cells and outputs are all in the DOM.
    _write_json(settings / "notebook-extension" / "tracker.jupyterlab-settings", {"windowingMode": "none"})

    # The kernel: this interpreter, with the repository root first on sys.path (see module docstring).
    pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    _write_json(
        data_path / "kernels" / KERNEL_NAME / "kernel.json",
        {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python (rai-widget tests)",
            "language": "python",
            "env": {"PYTHONPATH": pythonpath},
            "metadata": {"debugger": False},
        },
    )

    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTER_PATH=os.pathsep.join(p for p in (str(data_path), os.environ.get("JUPYTER_PATH", "")) if p),
        JUPYTER_RUNTIME_DIR=str(runtime_dir),
        IPYTHONDIR=str(tmp / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("JUPYTERLAB_SETTINGS_DIR", None)
    env.pop("JUPYTERLAB_WORKSPACES_DIR", None)

    port = _free_port()
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={notebook_dir}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run commands
        "--LabApp.news_url=",
        f"--MultiKernelManager.default_kernel_name={KERNEL_NAME}",
    ]  # fmt: skip
    log_path = tmp / "jupyterlab.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        cmd, cwd=notebook_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = JupyterLabServer(f"http://127.0.0.1:{port}", notebook_dir, proc, log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}", pytrace=False)
            try:
                server.api("GET", "/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {SERVER_START_TIMEOUT}s:\n{server.log_tail()}")
                time.sleep(0.25)
        yield server
    finally:
        server.shutdown_kernels()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()  # that one PID only
                proc.wait(timeout=10)
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- per-test page


@pytest.fixture
def lab_page(browser, jupyter_lab: JupyterLabServer):
    """A fresh page; ``page.rw_dialogs``, ``page.rw_errors`` collect dialogs and JS errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.rw_dialogs = []  # type: ignore[attr-defined]
    page.rw_errors = []  # type: ignore[attr-defined]

    def on_dialog(dialog):
        page.rw_dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: page.rw_errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and page.rw_errors.append(f"console: {msg.text}"))
    try:
        yield page
    finally:
        jupyter_lab.open_notebooks.pop(id(page), None)
        context.close()
        jupyter_lab.shutdown_kernels()


# --------------------------------------------------------------------------- notebook helpers

# JavaScript run in the page. `window.jupyterapp` exists thanks to --LabApp.expose_app_in_browser.
_JS_FIND_PANEL = """
function findPanel(path) {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.model) return w;
  }
  return null;
}
"""

_JS_STATE = (
    "(path) => {"
    + _JS_FIND_PANEL
    + """
  const panel = findPanel(path);
  if (!panel) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  for (const cell of panel.content.widgets) {
    const m = cell.model;
    if (m.type !== 'code') continue;
    cells.push({count: m.executionCount, outputs: m.outputs.toJSON()});
  }
  return {kernel: kernel ? kernel.status : null, cells};
}"""
)

_JS_APPEND_CELL = (
    "([path, source]) => {"
    + _JS_FIND_PANEL
    + """
  const panel = findPanel(path);
  const nb = panel.content;
  const n = nb.model.cells.length;
  nb.model.sharedModel.insertCell(n, {cell_type: 'code', source});
  window.jupyterapp.shell.activateById(panel.id);
  nb.activeCellIndex = n;
  nb.deselectAll();
  return n;
}"""
)


def _outputs_text(outputs: list[dict]) -> str:
    parts = []
    for o in outputs:
        if o.get("output_type") == "stream" and o.get("name") == "stdout":
            parts.append(o["text"] if isinstance(o["text"], str) else "".join(o["text"]))
        elif o.get("output_type") in ("execute_result", "display_data"):
            t = o.get("data", {}).get("text/plain")
            if t is not None and "application/vnd.jupyter.widget-view+json" not in o.get("data", {}):
                parts.append((t if isinstance(t, str) else "".join(t)) + "\n")
    return "".join(parts)


def _first_error(cells: list[dict]) -> str | None:
    for i, c in enumerate(cells):
        for o in c["outputs"]:
            if o.get("output_type") == "error":
                tb = ANSI.sub("", "\n".join(o.get("traceback", [])))
                return f"code cell {i} raised {o.get('ename')}: {o.get('evalue')}\n{tb}"
    return None


class NotebookDriver:
    def __init__(self, server: JupyterLabServer):
        self.server = server

    def _path(self, page) -> str:
        try:
            return self.server.open_notebooks[id(page)]
        except KeyError:
            raise AssertionError("no notebook open in this page: call run_notebook(page, cells) first") from None

    def _state(self, page, path: str) -> dict | None:
        return page.evaluate(_JS_STATE, path)

    def _wait_done(self, page, path: str, cell_indices: list[int] | None, timeout: float) -> list[dict]:
        """Wait until the given code cells (all when None) have an execution count and the kernel is idle.

        Fails at once if a cell raised (Lab then drops the queued cells, which would never finish)."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self._state(page, path)
            if state is not None:
                err = _first_error(state["cells"])
                if err:
                    raise AssertionError(err + self._page_errors(page))
                cells = state["cells"]
                wanted = cells if cell_indices is None else [cells[i] for i in cell_indices if i < len(cells)]
                if wanted and all(c["count"] is not None for c in wanted) and state["kernel"] == "idle":
                    return cells
            time.sleep(0.25)
        raise AssertionError(
            f"cells of {path} did not finish in {timeout}s; last state: {json.dumps(state)[:2000]}"
            + self._page_errors(page)
        )

    @staticmethod
    def _page_errors(page) -> str:
        errs = getattr(page, "rw_errors", [])
        return ("\npage errors:\n" + "\n".join(errs[-20:])) if errs else ""

    def set_theme(self, page, theme: str) -> None:
        name = THEMES[theme]
        page.evaluate("(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", name)
        light = "true" if theme == "light" else "false"
        page.wait_for_function(
            """([name, light]) => document.body.dataset.jpThemeName === name
                 && document.body.dataset.jpThemeLight === light""",
            arg=[name, light],
            timeout=30_000,
        )
        # The theme CSS is swapped after the attribute; wait until its variables apply.
        bg_is_dark = "(v) => { const m = v.match(/\\d+/g); return m && (+m[0] + +m[1] + +m[2]) < 200; }"
        page.wait_for_function(
            f"""(dark) => {{
                const v = getComputedStyle(document.querySelector('.jp-Notebook') || document.body)
                           .backgroundColor;
                return ({bg_is_dark})(v) === dark;
            }}""",
            arg=theme == "dark",
            timeout=30_000,
        )
        # Lab covers the page with its splash screen while it swaps themes.
        page.wait_for_function("() => !document.getElementById('jupyterlab-splash')", timeout=30_000)

    def run_notebook(
        self, page, cells: list[str], name: str | None = None, theme: str = "light", timeout: float = 120
    ) -> None:
        self.server.counter += 1
        name = name or f"test_{self.server.counter:03d}.ipynb"
        nb = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": f"c{i}",
                    "metadata": {},
                    "outputs": [],
                    "source": src,
                }
                for i, src in enumerate(cells)
            ],
            "metadata": {
                "kernelspec": {
                    "name": KERNEL_NAME,
                    "display_name": "Python (rai-widget tests)",
                    "language": "python",
                },
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (self.server.notebook_dir / name).write_text(json.dumps(nb))
        self.server.open_notebooks[id(page)] = name

        # ?reset: start from an empty workspace, so notebooks of earlier tests are not reopened.
        page.goto(f"{self.server.url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
        page.wait_for_function(
            "(path) => {" + _JS_FIND_PANEL + " return findPanel(path) !== null; }", arg=name, timeout=60_000
        )
        # The toolbar's kernel indicator says idle before the kernel exists: wait for the status bar.
        page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\bIdle\b")).first.wait_for(
            timeout=KERNEL_IDLE_TIMEOUT * 1000
        )
        if page.evaluate("() => document.body.dataset.jpThemeName") != THEMES[theme]:
            self.set_theme(page, theme)
        page.evaluate(
            "(path) => {"
            + _JS_FIND_PANEL
            + """
              window.jupyterapp.shell.activateById(findPanel(path).id);
              return window.jupyterapp.commands.execute('notebook:run-all-cells');
            }""",
            name,
        )
        self._wait_done(page, name, None, timeout)

    def run_cell(self, page, source: str, timeout: float = 60) -> str:
        path = self._path(page)
        before = len(self._state(page, path)["cells"])
        page.evaluate(_JS_APPEND_CELL, [path, source])
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
        cells = self._wait_done(page, path, [before], timeout)
        return _outputs_text(cells[before]["outputs"])

    def cell_output(self, page, index: int) -> str:
        state = self._state(page, self._path(page))
        return _outputs_text(state["cells"][index]["outputs"])

    def cell_locator(self, page, index: int):
        """The DOM cell of code cell ``index`` (all cells are code cells in run_notebook)."""
        return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell").nth(index)

    def screenshot(self, page, name: str, target=None) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        if target is not None:
            target.scroll_into_view_if_needed()
            target.screenshot(path=str(path))
        else:
            page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="session")
def notebook_driver(jupyter_lab) -> NotebookDriver:
    return NotebookDriver(jupyter_lab)


@pytest.fixture
def run_notebook(notebook_driver):
    return notebook_driver.run_notebook


@pytest.fixture
def run_cell(notebook_driver):
    return notebook_driver.run_cell


@pytest.fixture
def cell_output(notebook_driver):
    return notebook_driver.cell_output


@pytest.fixture
def cell_locator(notebook_driver):
    return notebook_driver.cell_locator


@pytest.fixture
def set_theme(notebook_driver):
    return notebook_driver.set_theme


@pytest.fixture
def screenshot(notebook_driver):
    return notebook_driver.screenshot
