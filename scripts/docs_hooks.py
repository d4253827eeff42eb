"""mkdocs hooks (mkdocs.yml `hooks:`): the demo notebooks in the site, offline.

- The four notebooks live in notebooks/ (the test suite runs them there), outside docs/: `on_files` adds
  them to the site as `notebooks/<name>.ipynb`, before mkdocs-jupyter picks them up (a higher priority),
  so there is one copy of each and no symlink.
- nbconvert's page links MathJax, mermaid and the widget manager from CDNs and embeds the saved widget
  state (megabytes of bundle and buffers). `on_page_content` drops every script loaded from the network
  and the state, puts a note where each dashboard was (it needs a kernel, or save_html's report) and drops
  the progress bars (tqdm's widgets: without a kernel they are a frozen copy of a finished bar).
  It then fails the build if the page still names an http(s) script, stylesheet or image source.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("tabular", "text", "image", "detection")

_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", re.I)
_EMPTY_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=(?:\"\"|'')[^>]*>\s*</script>", re.I)  # MathJax with no URL
_WIDGET_STATE = re.compile(r"<script\b[^>]*application/vnd\.jupyter\.widget-state\+json[^>]*>.*?</script>", re.I | re.S)
_WIDGET_VIEW = re.compile(r"<script\b[^>]*application/vnd\.jupyter\.widget-view\+json[^>]*>.*?</script>", re.I | re.S)
# Scripts nbconvert inlines to start MathJax / mermaid / the widget manager from their CDNs.
_LOADER = re.compile(
    r"<script\b[^>]*>(?:(?!</script>).)*?(?:cdnjs|unpkg|jsdelivr|MathJax\.Hub|mermaid)(?:(?!</script>).)*?</script>",
    re.I | re.S,
)
# What a browser would fetch by itself (links people click are fine).
_REMOTE_REF = re.compile(
    r"<(?:script|img|iframe|source|video|audio)\b[^>]*\bsrc=[\"']?(?:https?:)?//|<link\b[^>]*\bhref=[\"']?(?:https?:)?//"
    r"|@import\s+(?:url\()?[\"']?(?:https?:)?//",
    re.I,
)
WIDGET_NOTE = (
    '<div class="admonition note"><p class="admonition-title">Interactive view</p><p>The dashboard is drawn '
    'here when the notebook runs in a kernel; <a href="{page}">the {name} page</a> shows it, and '
    "<code>dash.save_html(path)</code> makes an offline copy that opens in any browser.</p></div>"
)


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files, config):
    for name in NOTEBOOKS:
        src = ROOT / "notebooks" / f"{name}.ipynb"
        if not src.is_file():
            raise FileNotFoundError(f"{src} is missing: the site renders the four demo notebooks.")
        files.append(
            File(
                f"notebooks/{name}.ipynb",
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


_MODEL_ID = re.compile(r"\"model_id\"\s*:\s*\"([^\"]+)\"")


def dashboards(notebook: Path) -> set[str]:
    """The model ids of the notebook's saved rai-widget dashboards (the other widgets are progress bars)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    state = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return {
        model_id
        for model_id, model in state.get("state", {}).items()
        if str(model.get("state", {}).get("_anywidget_id", "")).startswith("rai_widget.")
    }


def offline_notebook_html(html: str, note: str, dashboard_ids: set[str]) -> str:
    """The notebook page without network scripts or widget state: a note where each dashboard was, and no
    progress bar (without a kernel, a frozen copy of a finished one)."""

    def view(match: re.Match) -> str:
        model_id = _MODEL_ID.search(match.group(0))
        return note if model_id and model_id.group(1) in dashboard_ids else ""

    html = _WIDGET_STATE.sub("", html)
    html = _WIDGET_VIEW.sub(view, html)
    html = _REMOTE_SCRIPT.sub("", html)
    html = _EMPTY_SCRIPT.sub("", html)
    html = _LOADER.sub("", html)
    return html


def on_page_content(html, page, config, files):
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    name = page.file.src_uri.rsplit("/", 1)[-1].removesuffix(".ipynb")
    modality = files.get_file_from_path(f"{name}.md")
    link = modality.url_relative_to(page.file) if modality is not None else "../index.html"
    note = WIDGET_NOTE.format(page=link, name=name)
    html = offline_notebook_html(html, note, dashboards(Path(page.file.abs_src_path)))
    remote = _REMOTE_REF.search(html)
    if remote:
        context = html[max(0, remote.start() - 80) : remote.end() + 80]
        raise ValueError(f"{page.file.src_uri}: the rendered page still loads from the network: ...{context}...")
    return html
