"""save_html: one self-contained HTML file that shows a dashboard offline, with no kernel.

The file inlines the bundled view, the widget's state (binary arrays base64-encoded) and a small
stand-in for the widget model (get / set / on / off / save_changes / send), then calls the view's
render({model, el}). It makes no network request: everything is in the file. Cohorts, class
switches and every other view interaction keep working, since they run in the browser.

Its Content-Security-Policy is a second line of defence behind the view's textContent-only rendering:
the one inline script allowed is the runtime below, by its SHA-256 hash (no 'unsafe-inline'), and the
bundle it imports from a blob: URL; an inline event handler, an injected <script>, a javascript: URL
or eval cannot run, and Trusted Types make every HTML-from-a-string sink (innerHTML, ...) throw.
Nothing may leave the page: no fetches, no remote images or fonts, no form posts, no <base>.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
from pathlib import Path

_STATIC = Path(__file__).parent / "static"

# The stand-in model: state in memory, events for views, nothing to send to.
_RUNTIME = r"""
(async () => {
  const b64 = (s) => {  // a plain loop: Uint8Array.from(atob(s), mapFn) is several times slower on big arrays
    const bin = atob(s), u = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
    return u;
  };
  const text = (id) => new TextDecoder().decode(b64(document.getElementById(id).textContent.trim()));
  const revive = (v) => {
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === "object") {
      if (v.__b64__ !== undefined) { const u = b64(v.__b64__); return new DataView(u.buffer); }
      const o = {}; for (const k of Object.keys(v)) o[k] = revive(v[k]); return o;
    }
    return v;
  };
  const state = revive(JSON.parse(document.getElementById("rw-state").textContent));
  const handlers = new Map();
  const model = {
    get: (k) => state[k],
    set: (k, v) => { state[k] = v; (handlers.get("change:" + k) || []).forEach((cb) => cb()); },
    on: (e, cb) => { if (!handlers.has(e)) handlers.set(e, []); handlers.get(e).push(cb); },
    off: (e, cb) => { const l = handlers.get(e) || []; const i = l.indexOf(cb); if (i >= 0) l.splice(i, 1); },
    save_changes: () => {},
    send: () => {},
  };
  const style = document.createElement("style");
  style.textContent = text("rw-css");
  document.head.appendChild(style);
  const url = URL.createObjectURL(new Blob([text("rw-bundle")], { type: "text/javascript" }));
  const mod = await import(url);
  const widget = mod.default ?? mod;
  const el = document.getElementById("rw-app");
  widget.render({ model, el });
  window.rwModel = model;
})().catch((err) => {
  const el = document.getElementById("rw-app");
  el.textContent = "Could not render this report: " + err.message;
});
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
<style>
  body {{ margin: 0; padding: 16px; background: #fff; color: #1f1f1f; }}
  @media (prefers-color-scheme: dark) {{
    body {{ background: #111; color: #eee;
      --jp-layout-color1: #111; --jp-layout-color2: #222; --jp-ui-font-color1: #eee;
      --jp-ui-font-color2: #aaa; --jp-border-color1: #555; --jp-border-color2: #333; }}
  }}
  .rw-report-title {{ font: 600 18px/1.3 system-ui, sans-serif; margin: 0 0 2px; overflow-wrap: anywhere; }}
  .rw-report-note {{ font: 12px system-ui, sans-serif; color: #595959; margin-bottom: 8px; }}
  @media (prefers-color-scheme: dark) {{ .rw-report-note {{ color: #aaa; }} }}
</style>
</head>
<body>
<h1 class="rw-report-title" id="rw-report-title">{title}</h1>
<div class="rw-report-note">{note}</div>
<div id="rw-app"></div>
<script type="application/json" id="rw-state">{state}</script>
<script type="application/octet-stream" id="rw-bundle">{bundle}</script>
<script type="application/octet-stream" id="rw-css">{css}</script>
<script type="module">{runtime}</script>
</body>
</html>
"""

# Only the runtime (by its hash) and the bundle it imports run; nothing may leave the page (see the module's doc).
_RUNTIME_HASH = base64.b64encode(hashlib.sha256(_RUNTIME.encode("utf-8")).digest()).decode("ascii")
_CSP = (
    f"default-src 'none'; script-src 'sha256-{_RUNTIME_HASH}' blob:; style-src 'unsafe-inline'; "
    "img-src data: blob:; base-uri 'none'; form-action 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'"
)

_SYNCED_ONLY = (
    "_model_module",
    "_model_name",
    "_view_module",
    "_view_name",
    "_model_module_version",
    "_view_module_version",
    "_view_count",
    "_esm",
    "_css",
    "_dom_classes",
    "layout",
    "tabbable",
    "tooltip",
    "_anywidget_id",
)


def _encode_state(value):
    if isinstance(value, (memoryview, bytes, bytearray)):
        return {"__b64__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {k: _encode_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_state(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # NaN (e.g. an undefined R^2) and infinity are not JSON (cohort JSON writes its own infinity)
    return value


def _script_safe_json(value) -> str:
    """JSON that cannot end the <script> element it sits in, whatever strings the data holds."""
    text = json.dumps(value, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


OFFLINE = "is not available in an offline report: it needs the model, in a running kernel."


def widget_state(widget) -> dict:
    """What the view needs to render `widget` without a kernel: its data and state traits, JSON-ready
    (binary buffers as {"__b64__": base64}). The report embeds it; tests/payloads holds it per case.
    Kernel jobs are left out (there is no kernel to run them): `kernel` says so; what save_html precomputed
    for the report (`ice_offline`) stays, when there is any."""
    state = {
        k: v
        for k, v in widget.get_state().items()
        if k not in _SYNCED_ONLY
        and not k.endswith(("_request", "_status", "_result"))
        and not (k == "ice_offline" and not v)
    }
    state["kernel"] = {"available": False, "reason": OFFLINE}
    for k in ("meta", "arrays"):  # whole: the comm may send them in chunks (rai_widget._transport), a page has no comm
        state[k] = getattr(widget, k)
    return _encode_state(state)


# What the report's default title counts, per kind: (one, many).
_ITEMS = {
    "tabular": ("row", "rows"),
    "text": ("text", "texts"),
    "image": ("image", "images"),
    "detection": ("image", "images"),
}


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def default_title(widget) -> str:
    """What a report is of, for people: "Tabular explanation: 1,000 rows, 2 classes"."""
    meta = widget.meta
    kind = widget.kind or "model"
    one, many = _ITEMS.get(kind, ("row", "rows"))
    parts = [_count(int(meta.get("n_rows", 0)), one, many)]
    k, task = len(meta.get("output_names", [])), meta.get("task")
    if task == "regression":
        parts.append("regression")
    elif task == "multilabel":
        parts.append(_count(k, "label", "labels"))
    elif k:
        parts.append(_count(k, "class", "classes"))
    if len(widget.explanations) > 1:
        parts.append(_count(len(widget.explanations), "method", "methods"))
    return f"{kind.capitalize()} explanation: {', '.join(parts)}"


def report_title(widget, title: str | None) -> str:
    """The title the page shows and the browser tab names: the given one on one line, else default_title."""
    text = " ".join((title or "").split())
    return text or default_title(widget)


def save_html(widget, path, title: str | None = None) -> Path:
    """Write `widget`'s current view (cohorts included) to one offline HTML file; returns the path.

    title: the page's header and its browser tab's title, shown as text (default: what the report is
    of, e.g. "Tabular explanation: 1,000 rows, 2 classes")."""
    bundle = _STATIC / "widget.js"
    if not bundle.exists():
        raise RuntimeError("rai_widget's front-end bundle is missing; reinstall the package or run `npm run build`.")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, not {type(title).__name__}.")
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        path = path.with_name(path.name + ".html")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"save_html({str(path)!r}): the folder {str(path.parent)!r} does not exist; create it first."
        )
    if getattr(widget, "explainer", None) is not None:  # ICE for the report's rows, while the model is here
        from rai_widget.explainers._ice import offline_ice

        widget.ice_offline = offline_ice(widget)
    css_file = _STATIC / "widget.css"
    shown_title, summary = report_title(widget, title), default_title(widget)
    about = "" if shown_title == summary else f"{summary}. "
    page = _PAGE.format(
        csp=_CSP,
        title=html.escape(shown_title),  # escaped: the title is text in the page, never markup
        note=html.escape(f"{about}rai-widget report: interactive and offline; changes made here are not saved."),
        state=_script_safe_json(widget_state(widget)),
        bundle=_b64(bundle.read_text(encoding="utf-8")),
        css=_b64(css_file.read_text(encoding="utf-8") if css_file.exists() else ""),
        runtime=_RUNTIME,
    )
    path.write_text(page, encoding="utf-8", newline="\n")  # the runtime's CSP hash is of its exact bytes
    return path
