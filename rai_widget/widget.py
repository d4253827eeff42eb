"""ExplanationDashboard: the anywidget that shows an explanation inline in a notebook.

What crosses the comm (docs/architecture.md, "The wire format"): `kind`, `meta` (names, settings: small
JSON), `arrays` (numpy as binary buffers, float32/int32, and the column spec cohorts filter on; built by
rai_widget._payload), and the interactive state synced both ways: `cohorts`, `active_cohort`,
`selected_rows`. State lives in traits, so saved notebook widget state and the
offline HTML report rebuild the view without a kernel.
"""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

import anywidget
import traitlets

from rai_widget._payload import payload
from rai_widget.cohorts import ALL_DATA, Cohort
from rai_widget.explanations import Explanation, ImageExplanation, TabularExplanation
from rai_widget.explanations._columns import CohortColumns

_STATIC = pathlib.Path(__file__).parent / "static"


def _cohorts_to_json(cohorts, widget):
    return [c.to_json() for c in cohorts]


def _cohorts_from_json(data, widget):
    return [Cohort.from_json(d) for d in data]


class ExplanationDashboard(anywidget.AnyWidget):
    """Interactive view of an explanation. Display it as the last expression of a notebook cell.

    `explanation` is one explanation, or a list of ImageExplanations of the same images (one per
    attribution method), shown side by side: ``rw.ExplanationDashboard([exp_ig, exp_gradcam])``.
    Cohorts are evaluated on the first (they share images, labels and predictions).

    dash.cohorts, dash.active_cohort and dash.selected_rows follow what the user does in the view,
    and setting them from Python updates the view.
    """

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    kind = traitlets.Unicode("").tag(sync=True)
    meta = traitlets.Dict().tag(sync=True)
    arrays = traitlets.Dict().tag(sync=True)
    cohorts = traitlets.List(traitlets.Instance(Cohort)).tag(
        sync=True, to_json=_cohorts_to_json, from_json=_cohorts_from_json
    )
    active_cohort = traitlets.Unicode(ALL_DATA).tag(sync=True)
    selected_rows = traitlets.List(traitlets.Int()).tag(sync=True)

    def __init__(self, explanation: Explanation | Sequence[ImageExplanation], cohorts=None, **kwargs):
        methods: list[Explanation] | None = None
        if isinstance(explanation, (list, tuple)):
            # Several image explanations (one per method) of the same images: drawn side by side.
            from rai_widget.explanations.image import comparable_images

            methods = list(comparable_images(explanation))
            explanation = methods[0]
        if not isinstance(explanation, Explanation):
            raise TypeError(
                f"ExplanationDashboard needs an explanation (e.g. from MimicExplainer(...).explain(X)), "
                f"not {type(explanation).__name__}."
            )
        if not (_STATIC / "widget.js").exists():
            raise RuntimeError(
                "rai_widget's front-end bundle is missing (rai_widget/static/widget.js). Reinstall the "
                "package, or in a source checkout run `npm install && npm run build`."
            )
        self.explanation = explanation
        self.explanations = [explanation] if methods is None else methods
        super().__init__(**kwargs)
        spec = explanation.column_spec()  # computed once: the payload ships it, cohorts are evaluated on it
        self._columns = spec
        self.kind = explanation.kind
        self.meta, self.arrays = payload(self.explanations, spec)
        self.cohorts = self._initial_cohorts(cohorts or [], spec)
        if self.active_cohort not in {c.name for c in self.cohorts}:
            self.active_cohort = self.cohorts[0].name

    def _initial_cohorts(self, cohorts, spec: CohortColumns) -> list[Cohort]:
        cohorts = [c if isinstance(c, Cohort) else Cohort.from_json(c) for c in cohorts]
        names = [c.name for c in cohorts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"cohort names must be unique; repeated: {dupes}.")
        for c in cohorts:
            c.mask(spec)  # fail now, with the reason, rather than in the browser
        if ALL_DATA not in names:
            cohorts.insert(0, Cohort(ALL_DATA, []))
        return cohorts

    @traitlets.validate("active_cohort")
    def _check_active(self, proposal):
        name = proposal["value"]
        if self.cohorts and name not in {c.name for c in self.cohorts}:
            raise traitlets.TraitError(f"no cohort named {name!r}; cohorts: {[c.name for c in self.cohorts]}")
        return name

    @traitlets.validate("selected_rows")
    def _check_rows(self, proposal):
        n = len(self.explanation.model_output)
        rows = [int(r) for r in proposal["value"]]
        bad = [r for r in rows if not 0 <= r < n]
        if bad:
            raise traitlets.TraitError(f"selected_rows must be row indices in [0, {n}); got {bad[:5]}")
        return rows

    def cohort(self, name: str) -> Cohort:
        """The cohort called `name`."""
        for c in self.cohorts:
            if c.name == name:
                return c
        raise KeyError(f"no cohort named {name!r}; cohorts: {[c.name for c in self.cohorts]}")

    def cohort_rows(self, name: str | None = None):
        """The explained rows (a DataFrame) of a cohort, by default the active one."""
        mask = self.cohort(name or self.active_cohort).mask(self._columns)
        return self.explanation.data[mask] if isinstance(self.explanation, TabularExplanation) else mask

    def save_html(self, path, title: str | None = None):
        """Write this view, with its cohorts, to one HTML file that opens offline without a kernel."""
        from rai_widget.report import save_html

        return save_html(self, path, title)

    def __repr__(self) -> str:  # stable across runs, for notebook output comparison
        methods = f", {len(self.explanations)} methods" if len(self.explanations) > 1 else ""
        return f"ExplanationDashboard({self.kind}, {self.meta.get('n_rows', 0)} rows{methods})"
