"""Opening a committed demo notebook in JupyterLab leaves it unmodified, so autosave writes no diff.

Each notebook of notebooks/ is copied into the server's folder and opened. Once its kernel is idle and
Lab has applied the kernel's spec and language info to the notebook's metadata, the document must not be
dirty (no `jp-mod-dirty` on its tab, the model's `dirty` false). When it is, the message names what Lab
changed, from the model's JSON against the file. Lab rewrites `metadata.kernelspec` when it differs from
the kernelspec it starts (the demo notebooks once said "Python 3" where ipykernel's spec says
"Python 3 (ipykernel)"), and `language_info` when the kernel reports another one.

A notebook opened from a checkout is not trusted, so Lab shows its widget outputs as text: this test is
about the file, not the dashboards (the other browser tests draw those).
"""

from __future__ import annotations

import difflib
import json
import re
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
SETTLE_S = 2  # after the kernel info has reached the metadata: any later change lands in this

_JS_PANEL = """(path) => {
  if (!window.jupyterapp) return null;
  for (const w of window.jupyterapp.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.model) return w;
  }
  return null;
}"""

_JS_DOC_STATE = (
    "(path) => { const panel = ("
    + _JS_PANEL
    + """)(path);
  if (!panel) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {
    dirty: panel.context.model.dirty,
    tabDirty: panel.title.className.split(/\\s+/).includes('jp-mod-dirty'),
    kernel: kernel ? kernel.status : null,
    ready: panel.context.isReady,
    languageInfo: !!panel.model.getMetadata('language_info'),
  };
}"""
)

# What the model's JSON always adds and the server drops when it saves: not a change to the file.
TRANSIENT = re.compile(r"/metadata/trusted: added|/attachments: added null")

_JS_MODEL_JSON = "(path) => { const panel = (" + _JS_PANEL + ")(path); return panel.context.model.toJSON(); }"


def _differences(saved: dict, opened: dict, where: str = "") -> list[str]:
    """Where the notebook as Lab holds it differs from the file (paths into the JSON)."""
    if isinstance(saved, list) and isinstance(opened, str) and all(isinstance(s, str) for s in saved):
        saved = "".join(saved)  # multiline strings: the file splits them into lines, the model does not
    if isinstance(saved, dict) and isinstance(opened, dict):
        out = []
        for key in sorted(set(saved) | set(opened)):
            if key not in opened:
                out.append(f"{where}/{key}: dropped")
            elif key not in saved:
                out.append(f"{where}/{key}: added {json.dumps(opened[key])[:200]}")
            else:
                out += _differences(saved[key], opened[key], f"{where}/{key}")
        return out
    if isinstance(saved, list) and isinstance(opened, list) and len(saved) == len(opened):
        return [
            d for i, (a, b) in enumerate(zip(saved, opened, strict=True)) for d in _differences(a, b, f"{where}/{i}")
        ]
    if saved != opened:
        return [f"{where}: {json.dumps(saved)[:200]} -> {json.dumps(opened)[:200]}"]
    return []


def _assert_clean(page, name: str, saved: dict, when: str) -> None:
    state = page.evaluate(_JS_DOC_STATE, name)
    if state["dirty"] or state["tabDirty"]:
        opened = page.evaluate(_JS_MODEL_JSON, name)
        changes = [d for d in _differences(saved, opened) if not TRANSIENT.search(d)]
        pytest.fail(f"{when}, {name} is marked modified; Lab changed:\n" + "\n".join(changes[:30] or ["(nothing)"]))


def _first_difference(committed: str, written: str) -> str:
    diff = difflib.unified_diff(committed.splitlines(True), written.splitlines(True), "committed", "saved", n=1)
    return "".join(list(diff)[:40])[:3000]


@pytest.mark.parametrize("name", NAMES)
def test_opening_a_notebook_leaves_it_clean(lab_page, jupyter_lab, name):
    page = lab_page
    committed = (NOTEBOOKS / name).read_text()
    copy = jupyter_lab.notebook_dir / name
    copy.write_text(committed)
    saved = json.loads(committed)

    # 1. Opened (not trusted, as from a checkout), its kernel started: not modified.
    page.goto(f"{jupyter_lab.url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
    page.wait_for_function(f"(p) => ({_JS_PANEL})(p) !== null", arg=name, timeout=60_000)
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\bIdle\b")).first.wait_for(timeout=90_000)
    page.wait_for_function(
        f"(p) => {{ const s = ({_JS_DOC_STATE})(p); return s && s.ready && s.kernel === 'idle' && s.languageInfo; }}",
        arg=name,
        timeout=90_000,
    )
    time.sleep(SETTLE_S)
    _assert_clean(page, name, saved, "once opened")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)
    assert "jp-mod-dirty" not in (tab.get_attribute("class") or "")

    # 2. Trusted, so its dashboards are drawn from the saved widget state: still not modified.
    page.evaluate(
        f"(p) => {{ window.jupyterapp.shell.activateById(({_JS_PANEL})(p).id);"
        " window.jupyterapp.commands.execute('notebook:trust'); }",
        name,
    )
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .rw-root").first.wait_for(state="attached", timeout=30_000)
    time.sleep(SETTLE_S)
    _assert_clean(page, name, saved, "with its dashboards drawn")

    # 3. Saved as Lab saves it (autosave): the file is byte for byte the committed one.
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    written = copy.read_text()
    assert written == committed, f"saving {name} from Lab changes the file:\n{_first_difference(committed, written)}"
    assert not [e for e in page.rw_errors if "pageerror" in e], page.rw_errors
