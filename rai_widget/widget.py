"""ExplanationDashboard: the anywidget that shows an explanation inline in a notebook.

What crosses the comm: `meta` (names, settings: small JSON), `arrays` (numpy as binary buffers,
float32/int32, see _serialize.py), and the interactive state synced both ways: `cohorts`,
`active_cohort`, `selected_rows`. State lives in traits, so saved notebook widget state and the
offline HTML report rebuild the view without a kernel.
"""

from __future__ import annotations

import pathlib

import anywidget
import numpy as np
import traitlets

from rai_widget._serialize import array_to_wire
from rai_widget.cohorts import Cohort
from rai_widget.explanations import Explanation, TabularExplanation, TextExplanation

_STATIC = pathlib.Path(__file__).parent / "static"
ALL_DATA = "All data"


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
        sync=True, to_json=_cohorts_to_json, from_json=_cohorts_from_json)
    active_cohort = traitlets.Unicode(ALL_DATA).tag(sync=True)
    selected_rows = traitlets.List(traitlets.Int()).tag(sync=True)

    def __init__(self, explanation: Explanation | list, cohorts=None, **kwargs):
        explanations = [explanation]
        if isinstance(explanation, (list, tuple)):
            # Several image explanations (one per method) of the same images: drawn side by side.
            from rai_widget._media_payload import comparable_images

            explanations = comparable_images(explanation)
            explanation = explanations[0]
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
        self.explanations = explanations
        super().__init__(**kwargs)
        self.kind = explanation.kind
        if isinstance(explanation, TabularExplanation):
            self.meta, self.arrays = _tabular_payload(explanation)
        elif isinstance(explanation, TextExplanation):
            self.meta, self.arrays = _text_payload(explanation)
        elif explanation.kind in ("image", "detection"):
            from rai_widget import _media_payload

            if explanation.kind == "image":
                self.meta, self.arrays = _media_payload.image_payload(explanations, _label_column)
            else:
                self.meta, self.arrays = _media_payload.detection_payload(explanation)
        self.cohorts = self._initial_cohorts(cohorts or [])
        if self.active_cohort not in {c.name for c in self.cohorts}:
            self.active_cohort = self.cohorts[0].name

    def _initial_cohorts(self, cohorts) -> list[Cohort]:
        cohorts = [c if isinstance(c, Cohort) else Cohort.from_json(c) for c in cohorts]
        names = [c.name for c in cohorts]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"cohort names must be unique; repeated: {dupes}.")
        for c in cohorts:
            c.mask(self.explanation)  # fail now, with the reason, rather than in the browser
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
        mask = self.cohort(name or self.active_cohort).mask(self.explanation)
        return self.explanation.data[mask] if isinstance(self.explanation, TabularExplanation) else mask

    def save_html(self, path, title: str | None = None):
        """Write this view, with its cohorts, to one HTML file that opens offline without a kernel."""
        from rai_widget.report import save_html

        return save_html(self, path, title)

    def __repr__(self) -> str:  # stable across runs, for notebook output comparison
        methods = f", {len(self.explanations)} methods" if len(self.explanations) > 1 else ""
        return f"ExplanationDashboard({self.kind}, {self.meta.get('n_rows', 0)} rows{methods})"


def _label_column(labels, output_names) -> dict:
    """Class labels as codes into output_names (-1 when unknown), or numbers as they are."""
    labels = np.asarray(labels)
    if all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in output_names) or labels.dtype.kind == "f":
        return {"kind": "number", "values": array_to_wire(labels.astype(np.float32))}
    lookup = {str(o): i for i, o in enumerate(output_names)}
    codes = np.array([lookup.get(str(v), -1) for v in labels.tolist()], dtype=np.int32)
    return {"kind": "category", "codes": array_to_wire(codes), "categories": [str(o) for o in output_names]}


def _tabular_payload(exp: TabularExplanation) -> tuple[dict, dict]:
    k = len(exp.output_names)
    # Binary classification: class 0's values are exactly minus class 1's; send one, derive the other.
    mirror = exp.task == "classification" and k == 2
    values = exp.values[:, :, 1] if mirror else exp.values
    surrogate = exp.surrogate_output[:, 1:] if mirror else exp.surrogate_output
    model = exp.model_output[:, 1:] if mirror else exp.model_output
    categories = {}
    for name, kind, col in zip(exp.feature_names, exp.feature_kinds, exp.data.columns, strict=True):
        if kind == "category":
            categories[name] = [str(c) for c in exp.data[col].astype("category").cat.categories]
    meta = {
        "feature_names": exp.feature_names,
        "feature_kinds": exp.feature_kinds,
        "categories": categories,
        "output_names": [str(o) for o in exp.output_names],
        "task": exp.task,
        "units": exp.units,
        "n_rows": int(len(exp)),
        "base_values": [float(b) for b in exp.base_values],
        "binary_mirror": mirror,
        "fidelity": {k2: v for k2, v in exp.fidelity.items() if k2 in ("r2", "agreement")},
    }
    arrays = {
        "values": array_to_wire(values.astype(np.float32)),
        "data": array_to_wire(exp.numeric_data().astype(np.float32)),
        "surrogate_output": array_to_wire(surrogate.astype(np.float32)),
        "model_output": array_to_wire(model.astype(np.float32)),
        "y_pred": _label_column(exp.y_pred, exp.output_names),
    }
    if exp.y_true is not None:
        arrays["y_true"] = _label_column(exp.y_true, exp.output_names)
    if exp.probabilities is not None:
        arrays["confidence"] = array_to_wire(exp.probabilities.max(axis=1).astype(np.float32))
    return meta, arrays


def _joined_label_column(flags, output_names) -> dict:
    """Multi-label sets as one category per distinct set, named like the cohort column ("a, b")."""
    joined = [", ".join(str(o) for o, f in zip(output_names, row, strict=True) if f) for row in np.asarray(flags)]
    categories = sorted(set(joined))
    lookup = {c: i for i, c in enumerate(categories)}
    codes = np.array([lookup[j] for j in joined], dtype=np.int32)
    return {"kind": "category", "codes": array_to_wire(codes), "categories": categories}


def _text_payload(exp: TextExplanation) -> tuple[dict, dict]:
    """Texts and token strings as JSON (they are strings); every number as a binary array.

    Token t of text i is flat index token_offsets[i] + t into `tokens` (meta), `spans` (T, 2)
    character ranges in texts[i] (-1 when unknown) and `values` (T, k).
    """
    k = len(exp.output_names)
    lengths = np.array([len(t) for t in exp.tokens], dtype=np.int64)
    total = int(lengths.sum())
    spans = [np.asarray(o, dtype=np.int64).reshape(-1, 2) for o in exp.offsets]
    values = [np.asarray(v, dtype=np.float64).reshape(-1, k) for v in exp.values]
    labels = _joined_label_column if exp.task == "multilabel" else _label_column
    meta = {
        "output_names": [str(o) for o in exp.output_names],
        "task": exp.task,
        "units": exp.units,
        "n_rows": int(len(exp)),
        "threshold": exp.threshold,
        "texts": [str(t) for t in exp.texts],
        "tokens": [str(w) for t in exp.tokens for w in t],
    }
    arrays = {
        "token_offsets": array_to_wire(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)),
        "spans": array_to_wire(np.concatenate(spans).astype(np.int32) if total else np.zeros((0, 2), np.int32)),
        "values": array_to_wire(np.concatenate(values).astype(np.float32) if total else np.zeros((0, k), np.float32)),
        "base_values": array_to_wire(np.asarray(exp.base_values, dtype=np.float32).reshape(-1, k)),
        "model_output": array_to_wire(np.asarray(exp.model_output, dtype=np.float32).reshape(-1, k)),
        "truncated": array_to_wire(np.asarray(exp.truncated, dtype=np.uint8)),
        "y_pred": labels(exp.y_pred, exp.output_names),
    }
    if exp.y_true is not None:
        arrays["y_true"] = labels(exp.y_true, exp.output_names)
    if exp.probabilities is not None:
        arrays["probabilities"] = array_to_wire(np.asarray(exp.probabilities, dtype=np.float32).reshape(-1, k))
        if exp.task == "classification":
            arrays["confidence"] = array_to_wire(exp.probabilities.max(axis=1).astype(np.float32))
    return meta, arrays
