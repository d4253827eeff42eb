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

A tabular explanation of more rows than ``max_rows`` (default ``DEFAULT_MAX_ROWS``) is not embedded whole: the
report holds a stratified sample of its rows (rai_widget/explanations/_sample.py: every (true, predicted)
class pair kept) and, beside it, the figures over every row (global importance per output, fidelity,
metrics), in the shape a large explanation's dashboard sends them (``meta["population"]``,
rai_widget/_population.py), so the view labels each figure "all N rows" or "sample of n" as it does for one.
``ReportSample`` is that shape for an ordinary explanation; ``sample_dashboard`` makes the report's dashboard
from it, with the cohorts, selection and kept what-if points mapped onto the sample's rows.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import numbers
import warnings
from pathlib import Path
from typing import Any, cast

import numpy as np

from rai_widget._checks import shown
from rai_widget._warnings import RaiWidgetWarning

_STATIC = Path(__file__).parent / "static"

# The rows a tabular report embeds by default. Measured (one binary classifier, every row embedded): about 155
# bytes per row with 10 features, 370 with 30, 910 with 30 features and 4 classes; 50,000 rows keep those
# reports at 8, 18 and 45 MB. max_rows=None embeds every row.
DEFAULT_MAX_ROWS = 50_000

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


def _all_rows(widget) -> int | None:
    """Every row of a report whose view draws a sample of them (meta["population"]), else None."""
    population = widget.meta.get("population")
    return int(population["rows"]) if isinstance(population, dict) and "rows" in population else None


def default_title(widget) -> str:
    """What a report is of, for people: "Tabular explanation: 1,000 rows, 2 classes" (every row, also when the
    report holds a sample of them)."""
    meta = widget.meta
    kind = widget.kind or "model"
    one, many = _ITEMS.get(kind, ("row", "rows"))
    total = _all_rows(widget)
    parts = [_count(int(meta.get("n_rows", 0)) if total is None else total, one, many)]
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


def sample_note(widget) -> str:
    """What the report's note says of a sample it holds ("" when it holds every row)."""
    total = _all_rows(widget)
    if total is None:
        return ""
    n = int(widget.meta["population"].get("sample_rows", widget.meta.get("n_rows", 0)))
    every = _count(total, "row", "rows")
    return (
        f" This report holds a stratified sample of {n:,} of the {every}: figures marked “all {every}” are over "
        "every row, the others over the sample."
    )


# --- many rows: a stratified sample, and the figures over every row ----------------------------------------------
def check_max_rows(max_rows) -> int | None:
    """max_rows as given (None: every row), or a ValueError saying what it takes."""
    if max_rows is None:
        return None
    if isinstance(max_rows, bool) or not isinstance(max_rows, numbers.Integral) or max_rows < 1:
        raise ValueError(
            f"max_rows must be a whole number of rows >= 1 (e.g. {DEFAULT_MAX_ROWS:_}) or None (embed every row), "
            f"not {shown(max_rows)}."
        )
    return int(max_rows)


class ReportSample:
    """An ordinary TabularExplanation of more rows than a report embeds, in the shape of a large explanation
    (``rai_widget._population.is_large``): ``sample`` is a stratified sample of its rows
    (``rai_widget.explanations._sample``, every (true, predicted) class pair kept; ``positions`` are its rows'
    positions in ``full``), and the figures ``population_meta`` reads (``global_importance`` per output,
    ``fidelity``, ``metrics``) are ``full``'s own over every row. Made for a report's dashboard, never shown in a
    kernel: ``population`` of a cohort built in the view is not offered (the report has no kernel).

    Parameters
    ----------
    exp : TabularExplanation
        Every row.
    max_rows : int
        The most rows the sample holds.
    random_state : int, optional
        The sample's seed.
    """

    kind = "tabular"

    def __init__(self, exp, max_rows: int, random_state: int = 0):
        from rai_widget.explanations._sample import sample_positions, subset

        self.full = exp
        self.positions = sample_positions(exp, max_rows, random_state)
        self.sample = subset(exp, self.positions)
        self.n_rows = len(exp)
        self.feature_names, self.feature_kinds = list(exp.feature_names), list(exp.feature_kinds)
        self.output_names, self.task, self.units = list(exp.output_names), exp.task, exp.units
        self.fidelity = dict(exp.fidelity)  # measured on every row by explain()

    def __len__(self) -> int:
        return self.n_rows

    def global_importance(self, cohort=None, output=None):
        return self.full.global_importance(cohort, output=output)

    def metrics(self, cohort=None):
        return self.full.metrics(cohort, n_boot=0)  # point figures, as a large explanation's (no intervals)

    def population(self, cohort=None, progress: bool = False) -> dict:
        raise NotImplementedError(
            "a report's sample has no kernel to compute a cohort's figures over every row; show the explanation "
            "itself (exp.show()) for that."
        )

    # --- the dashboard's state, from every row's positions to the sample's ----------------------------------------
    def sample_rows(self, rows) -> list[int]:
        """The sample positions of those of `rows` (positions in full) that the sample holds."""
        rows = np.asarray(list(rows), dtype=np.int64)
        at = np.searchsorted(self.positions, rows)
        held = (at < len(self.positions)) & (self.positions[np.minimum(at, len(self.positions) - 1)] == rows)
        return at[held].tolist()

    def cohort(self, cohort):
        """The cohort over the sample's rows: a filter on ``index`` (a row's position) is mapped from positions in
        full to the sample's, so it selects exactly the sample's rows of the cohort (ordered comparisons too:
        the sample keeps full's order); filters on any other column are the sample's own."""
        from rai_widget.cohorts import Cohort, Filter

        if isinstance(cohort, dict):
            cohort = Cohort.from_json(cohort)
        if "index" in self.feature_names or not any(f.column == "index" for f in cohort.filters):
            return cohort
        at = self.positions.astype(np.float64)
        below = lambda v: int(np.searchsorted(at, float(v), side="left"))  # noqa: E731  rows before v
        upto = lambda v: int(np.searchsorted(at, float(v), side="right"))  # noqa: E731  rows at or before v

        def number(v) -> bool:
            return not isinstance(v, bool) and isinstance(v, numbers.Real) and math.isfinite(float(v))

        def one(v):  # the sample position of full position v, -1 (no row) when the sample does not hold it
            held = self.sample_rows([int(v)]) if number(v) and float(v).is_integer() else []
            return held[0] if held else -1

        filters = []
        for f in cohort.filters:
            v = f.value
            if f.column == "index":
                if f.op in ("==", "!=") and number(v):
                    f = Filter("index", f.op, one(v))
                elif f.op in ("in", "not in") and isinstance(v, list) and all(map(number, v)):
                    f = Filter("index", f.op, [p for p in map(one, v) if p >= 0])
                elif f.op in ("<", "<=", ">", ">=") and number(v):
                    op, bound = {"<": ("<", below), "<=": ("<", upto), ">": (">=", upto), ">=": (">=", below)}[f.op]
                    f = Filter("index", op, bound(v))
                elif f.op == "between" and isinstance(v, list) and len(v) == 2 and all(map(number, v)):
                    lo, hi = below(v[0]), upto(v[1]) - 1
                    f = Filter("index", "between", [lo, hi]) if lo <= hi else Filter("index", "==", -1)
            filters.append(f)  # anything else as given: the dashboard's check says what is wrong with it
        return Cohort(cohort.name, filters, combine=cohort.combine)


def sample_dashboard(
    exp, max_rows: int, cohorts=None, *, explainer=None, state: dict | None = None, stacklevel: int = 3
):
    """The dashboard a report of `exp` (a TabularExplanation of more than max_rows rows) shows: a stratified
    sample of max_rows of its rows, with the figures over every row in meta["population"]; cohorts, and the
    dashboard state `state` (active_cohort, selected_rows, what_if_points) mapped onto the sample's rows. Warns
    (RaiWidgetWarning) that the report holds a sample, and of any selected row or kept point it leaves out."""
    from rai_widget.widget import ExplanationDashboard

    state = dict(state or {})
    sampled = ReportSample(exp, max_rows)
    kwargs: dict[str, Any] = {}
    if state.get("active_cohort") is not None:
        kwargs["active_cohort"] = state["active_cohort"]
    left_out = []
    selected = list(state.get("selected_rows") or [])
    if selected:
        kwargs["selected_rows"] = sampled.sample_rows(selected)
        if len(kwargs["selected_rows"]) < len(selected):
            left_out.append(_count(len(selected) - len(kwargs["selected_rows"]), "selected row", "selected rows"))
    points = []
    for point in state.get("what_if_points") or []:
        row = sampled.sample_rows([point["row"]])
        if row:
            points.append({**point, "row": row[0]})
    if len(points) < len(state.get("what_if_points") or []):
        gone = len(state["what_if_points"]) - len(points)
        left_out.append(_count(gone, "kept what-if point", "kept what-if points"))
    mapped = None if cohorts is None else [sampled.cohort(c) for c in cohorts]
    dash = ExplanationDashboard(cast(Any, sampled), cohorts=mapped, explainer=explainer, **kwargs)
    if points:
        dash.what_if_points = points
    n, total = len(sampled.sample), _count(len(exp), "row", "rows")
    warnings.warn(
        f"save_html: the explanation has {total}, more than max_rows={max_rows:,}, so the report holds a stratified "
        f"sample of {n:,} of them (every (true, predicted) class pair kept), with global importance, fidelity and "
        f"metrics over all {total} beside it; the report labels each figure 'all {total}' or 'sample of n'"
        + (f". Not in the sample, so not in the report: {' and '.join(left_out)}" if left_out else "")
        + ". Pass max_rows=None to embed every row (a larger file).",
        RaiWidgetWarning,
        stacklevel=stacklevel,  # the user's save_html call
    )
    return dash


def _bounded(widget, max_rows: int | None):
    """`widget` itself, or, for an ordinary tabular explanation of more than max_rows rows, the dashboard of a
    stratified sample of them (sample_dashboard) with the widget's cohorts and state."""
    from rai_widget.explanations.tabular import TabularExplanation

    exp = widget.explanation
    large = getattr(widget, "large", None)
    if max_rows is None or large is not None or not isinstance(exp, TabularExplanation) or len(exp) <= max_rows:
        return widget
    state = {
        "active_cohort": widget.active_cohort,
        "selected_rows": widget.selected_rows,
        "what_if_points": widget.what_if_points,
    }
    # the user's call: dash.save_html -> save_html -> _bounded -> sample_dashboard
    return sample_dashboard(exp, max_rows, list(widget.cohorts), explainer=widget.explainer, state=state, stacklevel=5)


def save_html(widget, path, title: str | None = None, max_rows: int | None = DEFAULT_MAX_ROWS) -> Path:
    """Write `widget`'s current view (cohorts included) to one offline HTML file; returns the path.

    title: the page's header and its browser tab's title, shown as text (default: what the report is
    of, e.g. "Tabular explanation: 1,000 rows, 2 classes").
    max_rows: the most rows of a tabular explanation the report embeds (default DEFAULT_MAX_ROWS); with more,
    it holds a stratified sample of max_rows of them and the figures over every row, says so in its note and
    labels, and a RaiWidgetWarning says so here. None embeds every row. A large explanation's report holds
    its own sample (explain()'s sample_rows); other kinds embed every item."""
    bundle = _STATIC / "widget.js"
    if not bundle.exists():
        raise RuntimeError("rai_widget's front-end bundle is missing; reinstall the package or run `npm run build`.")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None, not {type(title).__name__}.")
    max_rows = check_max_rows(max_rows)
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        path = path.with_name(path.name + ".html")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"save_html({str(path)!r}): the folder {str(path.parent)!r} does not exist; create it first."
        )
    widget = _bounded(widget, max_rows)
    if getattr(widget, "explainer", None) is not None:  # ICE for the report's rows, while the model is here
        from rai_widget.explainers._ice import offline_ice

        widget.ice_offline = offline_ice(widget)
    css_file = _STATIC / "widget.css"
    shown_title, summary = report_title(widget, title), default_title(widget)
    about = "" if shown_title == summary else f"{summary}. "
    page = _PAGE.format(
        csp=_CSP,
        title=html.escape(shown_title),  # escaped: the title is text in the page, never markup
        note=html.escape(
            f"{about}rai-widget report: interactive and offline; changes made here are not saved.{sample_note(widget)}"
        ),
        state=_script_safe_json(widget_state(widget)),
        bundle=_b64(bundle.read_text(encoding="utf-8")),
        css=_b64(css_file.read_text(encoding="utf-8") if css_file.exists() else ""),
        runtime=_RUNTIME,
    )
    path.write_text(page, encoding="utf-8", newline="\n")  # the runtime's CSP hash is of its exact bytes
    return path
