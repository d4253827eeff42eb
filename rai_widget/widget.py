"""ExplanationDashboard: the anywidget that shows an explanation inline in a notebook."""

from __future__ import annotations

import pathlib

import anywidget
import traitlets

from rai_widget._serialize import array_to_wire
from rai_widget.explanations import Explanation, TabularExplanation

_STATIC = pathlib.Path(__file__).parent / "static"


class ExplanationDashboard(anywidget.AnyWidget):
    """Interactive view of an explanation. Display it as the last expression of a notebook cell."""

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    kind = traitlets.Unicode("").tag(sync=True)
    meta = traitlets.Dict().tag(sync=True)
    importance = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, explanation: Explanation, **kwargs):
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
        super().__init__(**kwargs)
        self.kind = explanation.kind
        self.meta = self._meta(explanation)
        if isinstance(explanation, TabularExplanation):
            self.importance = array_to_wire(_importance_matrix(explanation))

    @staticmethod
    def _meta(exp: Explanation) -> dict:
        meta = {
            "output_names": [str(o) for o in exp.output_names],
            "task": exp.task,
            "units": exp.units,
            "n_rows": int(len(exp.model_output)),
        }
        if isinstance(exp, TabularExplanation):
            meta["feature_names"] = exp.feature_names
            meta["fidelity"] = {k: v for k, v in exp.fidelity.items() if k in ("r2", "agreement")}
        return meta

    def __repr__(self) -> str:  # stable across runs, for notebook output comparison
        return f"ExplanationDashboard({self.kind}, {self.meta.get('n_rows', 0)} rows)"


def _importance_matrix(exp: TabularExplanation):
    import numpy as np

    return np.abs(exp.values).mean(axis=0)  # (features, outputs)
