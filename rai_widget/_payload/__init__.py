"""Explanation -> wire: what ExplanationDashboard syncs to the view, one module per kind.

`payload(explanations)` returns the `meta` (JSON) and `arrays` (JSON holding binary buffers) traits;
docs/architecture.md ("The wire format") describes both. Every payload carries the explanation's
column spec (`arrays["columns"]`), so the browser evaluates cohorts on the kernel's own columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rai_widget.explanations import Explanation
from rai_widget.explanations._columns import CohortColumns


def _builders() -> dict[str, Callable]:
    from rai_widget._payload import detection, image, tabular, text

    return {"tabular": tabular.payload, "text": text.payload, "image": image.payload, "detection": detection.payload}


def payload(explanations: Sequence[Explanation], spec: CohortColumns | None = None) -> tuple[dict, dict]:
    """(meta, arrays) for one explanation, or several image explanations of the same images (checked by
    the caller). `spec` is the first explanation's column spec, when the caller already has it."""
    exp = explanations[0]
    build = _builders().get(exp.kind)
    if build is None:
        raise TypeError(f"the dashboard cannot show {type(exp).__name__} explanations (kind {exp.kind!r}).")
    return build(list(explanations), exp.column_spec() if spec is None else spec)
