"""The documentation site (mkdocs.yml): complete docstrings for the API reference, and the strict build.

The fast test reads the API reference the way mkdocstrings does (griffe, numpy style, mkdocs.yml's member
filters, the `::: name` blocks of docs/api/*.md) and fails when a public name of ``rai_widget.__all__`` has
no API page, or when it or a public method or property on its page lacks a docstring, a Parameters entry
for each argument, a Returns section, or documents an argument its signature does not have. mkdocstrings
hides an undocumented member without a word, so this is what catches it.

The slow test builds the site with ``mkdocs build --strict`` (no broken reference, no griffe warning) into
a temporary folder and reads a few pages.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import griffe  # the docs extra (in dev): a missing one fails here rather than skipping the checks
import pytest
import yaml

import rai_widget

ROOT = Path(__file__).resolve().parent.parent
API_DIR = ROOT / "docs" / "api"
_BLOCK = re.compile(r"^::: *(\S+)\s*$")


def _mkdocstrings_options() -> dict:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            return plugin["mkdocstrings"]["handlers"]["python"]["options"]
    raise AssertionError("mkdocs.yml has no mkdocstrings plugin")


def _api_blocks() -> dict[str, dict]:
    """Every `::: identifier` of docs/api/*.md -> its options (the indented YAML under it, if any)."""
    blocks: dict[str, dict] = {}
    for page in sorted(API_DIR.glob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = _BLOCK.match(line)
            if not m:
                continue
            body = []
            for more in lines[i + 1 :]:
                if more and not more.startswith(" "):
                    break
                body.append(more)
            parsed = yaml.safe_load("\n".join(body)) if any(b.strip() for b in body) else None
            blocks[m.group(1)] = (parsed or {}).get("options", {})
    return blocks


def _shown(name: str, filters: list[str]) -> bool:
    """mkdocstrings' filter rule: the last matching filter decides; "!" excludes."""
    keep = True
    for pattern in filters:
        negate = pattern.startswith("!")
        if re.search(pattern[1:] if negate else pattern, name):
            keep = not negate
    return keep


def _sections(obj) -> tuple[dict, list[str]]:
    """The docstring's sections by kind, and griffe's warnings while parsing it (numpy style)."""
    messages: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Catch(level=logging.WARNING)
    logger = logging.getLogger("griffe")
    logger.addHandler(handler)
    try:
        parsed = obj.docstring.parse("numpy", warn_missing_types=False)
    finally:
        logger.removeHandler(handler)
    sections: dict[str, list] = {}
    for section in parsed:
        sections.setdefault(section.kind.value, []).append(section)
    return sections, messages


def _documented_params(sections: dict) -> list[str]:
    return [p.name.lstrip("*") for s in sections.get("parameters", []) for p in s.value]


def _signature_params(obj) -> list[str]:
    return [p.name for p in obj.parameters if p.name not in ("self", "cls")]


def _check_callable(obj, where: str, problems: list[str], returns: bool = True) -> None:
    sections, warnings = _sections(obj)
    problems += [f"{where}: griffe: {w}" for w in warnings]
    documented, signature = _documented_params(sections), _signature_params(obj)
    missing = [p for p in signature if p not in documented]
    extra = [p for p in documented if p not in signature]
    if missing:
        problems.append(f"{where}: parameters not in its docstring's Parameters section: {missing}")
    if extra:
        problems.append(f"{where}: documents parameters its signature does not have: {extra}")
    annotation = str(obj.returns) if obj.returns is not None else None
    if returns and annotation != "None" and "returns" not in sections:
        problems.append(f"{where}: no Returns section")


def _target(obj):
    return obj.final_target if obj.is_alias else obj


def _summary(obj) -> str:
    return obj.docstring.value.strip().splitlines()[0].strip() if obj.docstring else ""


def api_problems() -> list[str]:
    options = _mkdocstrings_options()
    filters = options.get("filters", ["!^_"])
    blocks = _api_blocks()
    package = griffe.load("rai_widget", search_paths=[str(ROOT)], docstring_parser="numpy", resolve_aliases=True)
    problems: list[str] = []
    seen: set[str] = set()
    for name in rai_widget.__all__:
        path = f"rai_widget.{name}"
        if path not in blocks:
            problems.append(f"{path} is public (rai_widget.__all__) but no docs/api/*.md page has '::: {path}'")
            continue
        obj = _target(package[name])
        if not _summary(obj):
            problems.append(f"{path}: no docstring")
            continue
        if obj.is_function:
            _check_callable(obj, path, problems)
            continue
        if not obj.is_class:
            continue
        if "__init__" in obj.all_members or obj.parameters:  # its own constructor (merged into the class)
            params = _signature_params(obj)
            if params:
                sections, warnings = _sections(obj)
                problems += [f"{path}: griffe: {w}" for w in warnings]
                documented = _documented_params(sections)
                missing = [p for p in params if p not in documented]
                extra = [p for p in documented if p not in params]
                if missing:
                    problems.append(f"{path}: constructor parameters not in the class docstring: {missing}")
                if extra:
                    problems.append(f"{path}: the class docstring documents parameters __init__ lacks: {extra}")
        wanted = blocks[path].get("members")
        for member_name, member in obj.all_members.items():
            if wanted is not None and member_name not in wanted:
                continue
            if not _shown(member_name, filters) or member.is_alias and not member.target_path.startswith("rai_"):
                continue
            member = _target(member)
            if not (member.is_function or "property" in member.labels):
                continue  # attributes: documented in the class docstring
            where = f"{path}.{member_name}"
            if member.path in seen:
                continue
            seen.add(member.path)
            if not _summary(member):
                problems.append(f"{where}: no docstring (mkdocstrings would leave it out of the API page)")
            elif member.is_function and "property" not in member.labels:
                _check_callable(member, where, problems)
    return problems


def test_public_api_docstrings_are_complete():
    problems = api_problems()
    assert not problems, "The API reference is incomplete:\n" + "\n".join(problems)


def test_the_check_finds_an_undocumented_parameter(tmp_path, monkeypatch):
    """The check itself can fail: a docstring that misses an argument and names one that is not there."""
    obj = griffe.Function(
        "f",
        parameters=griffe.Parameters(griffe.Parameter("x"), griffe.Parameter("y")),
        docstring=griffe.Docstring("Summary.\n\nParameters\n----------\nx : int\n    An x.\nz : int\n    No such.\n"),
    )
    obj.docstring.parent = obj
    problems: list[str] = []
    _check_callable(obj, "f", problems)
    assert any("not in its docstring's Parameters section: ['y']" in p for p in problems), problems
    assert any("does not have: ['z']" in p for p in problems), problems
    assert any("no Returns section" in p for p in problems), problems


@pytest.mark.slow
def test_site_builds_strict(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    for page in ("index", "tabular", "text", "image", "detection", "reading", "front-ends", "cli", "changelog"):
        assert (site / f"{page}.html").is_file(), page
    assert (site / "architecture.html").is_file()
    for notebook in ("tabular", "text", "image", "detection"):
        html = (site / "notebooks" / f"{notebook}.html").read_text(encoding="utf-8")
        assert "jp-Cell" in html and "application/vnd.jupyter.widget-state+json" not in html, notebook
    api = "".join(p.read_text(encoding="utf-8") for p in (site / "api").glob("*.html"))
    for name in rai_widget.__all__:
        assert f'id="rai_widget.{name}"' in api, f"{name} has no entry on the API pages"
    # Nothing in the site loads from the network: no web font, no CDN script or stylesheet.
    remote = re.compile(
        r"<(?:script|img|iframe)\b[^>]*\bsrc=[\"']?(?:https?:)?//|<link\b[^>]*\bhref=[\"']?(?:https?:)?//"
    )
    for page in site.rglob("*.html"):
        hit = remote.search(page.read_text(encoding="utf-8"))
        assert hit is None, f"{page.relative_to(site)} loads {hit.group(0)!r}"
    assert not (ROOT / ".cache" / "mkdocs-jupyter").exists(), "the build wrote a cache into the checkout"


def _hooks():
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "scripts" / "docs_hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebook_pages_lose_cdn_scripts_and_widget_state():
    """What nbconvert writes for a notebook with saved widgets, and what the site keeps of it."""
    hooks = _hooks()
    view = '<script type="application/vnd.jupyter.widget-view+json">{"version_major": 2, "model_id": "%s"}</script>'
    html = (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js"></script>'
        '<script src=""> </script>'
        "<script>MathJax.Hub.Config({tex2jax: {}});</script>"
        '<script type="application/vnd.jupyter.widget-state+json">{"state": {"dash": {}}}</script>'
        "<p>kept</p>" + view % "dash" + view % "bar"
    )
    out = hooks.offline_notebook_html(html, "NOTE", {"dash"})
    assert out == "<p>kept</p>NOTE", out
    assert hooks._REMOTE_REF.search('<link rel="stylesheet" href="https://fonts.googleapis.com/css">')
    assert not hooks._REMOTE_REF.search('<a href="https://anywidget.dev">a link people click</a>')
    ids = hooks.dashboards(ROOT / "notebooks" / "image.ipynb")
    assert len(ids) == 1, ids  # the image notebook's one dashboard; its eight other widgets are progress bars
