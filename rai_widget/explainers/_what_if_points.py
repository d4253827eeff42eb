"""The dashboard's kept what-if points (the `what_if_points` trait): checked on every set, from Python or
from the view, and laid out as `dash.what_if`. A point is what the what_if job returned for an edit
(rai_widget/explainers/_what_if.py), with a name, as JSON (the attribution as features x outputs lists)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from rai_widget._checks import shown
from rai_widget.explainers._what_if import _check_row, _layout, _plain

# A kept point's name: shown in the view and used as the index of dash.what_if.
MAX_NAME_LENGTH = 200
# What a point holds besides its name, row and edited values: what the what_if job returned.
POINT_FIELDS = ("prediction", "attribution", "base_values", "surrogate_output", "gap", "findings")


def _scalar(v) -> bool:
    return v is None or isinstance(v, (str, bool, int, float))


def _numbers(v, shape: tuple, what: str) -> list:
    """A (nested) list of numbers (None for a number JSON could not hold) of the given shape."""
    try:
        a = np.asarray([[np.nan if x is None else x for x in r] for r in v] if len(shape) == 2 else v, dtype=object)
    except TypeError:
        a = np.asarray([], dtype=object)
    if a.shape != shape or not all(
        x is None or (isinstance(x, (int, float)) and not isinstance(x, bool)) for x in a.reshape(-1).tolist()
    ):
        raise ValueError(f"{what} must be {' x '.join(map(str, shape))} numbers.")
    return v


def check_points(value, dash) -> list[dict]:
    """The dashboard's kept what-if points, checked: a list of {"name", "row", "values", and the point's
    "prediction", "attribution", "base_values", "surrogate_output", "gap", "findings"} (as the what-if
    job returns them), names unique, rows explained rows, features known. Raises ValueError / TypeError."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"what_if_points must be a list of points (dicts), not {type(value).__name__}.")
    exp = dash.explanation
    names, f, k = exp.feature_names, len(exp.feature_names), len(exp.output_names)
    points, seen = [], set()
    for i, p in enumerate(value):
        where = f"what_if_points[{i}]"
        if not isinstance(p, Mapping):
            raise TypeError(f"{where} must be a dict, not {type(p).__name__}.")
        name = p.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
            raise ValueError(f"{where} needs a name: a non-empty string of at most {MAX_NAME_LENGTH} characters.")
        where = f"what-if point {name!r}"
        if name in seen:
            raise ValueError(f"what-if point names must be unique; {name!r} is used more than once.")
        seen.add(name)
        _check_row(p.get("row"), len(exp))
        values = p.get("values", {})
        if not isinstance(values, Mapping):
            raise TypeError(f"{where}: values must be a dict {{feature: value}}, not {type(values).__name__}.")
        unknown = [v for v in values if v not in names]
        if unknown:
            raise ValueError(f"{where} edits {shown(unknown[0])}, which is not a feature; features: {shown(names)}.")
        odd = [v for v in values.values() if not _scalar(v)]
        if odd:
            raise TypeError(f"{where}: edited values must be numbers, strings, booleans or None; got {shown(odd[0])}.")
        extra = sorted(set(p) - {"name", "row", "values", *POINT_FIELDS})
        if extra:
            raise ValueError(f"{where} has fields a point does not have: {shown(extra)}.")
        prediction = p.get("prediction")
        if not isinstance(prediction, Mapping) or not _scalar(prediction.get("label")):
            raise ValueError(f"{where} needs its prediction (as the what-if job returns it).")
        _numbers(prediction.get("model_output"), (k,), f"{where}: prediction.model_output")
        if prediction.get("probabilities") is not None:
            _numbers(prediction["probabilities"], (k,), f"{where}: prediction.probabilities")
        _numbers(p.get("attribution"), (f, k), f"{where}: attribution")
        for key in ("base_values", "surrogate_output", "gap"):
            _numbers(p.get(key), (k,), f"{where}: {key}")
        findings = p.get("findings", [])
        if not isinstance(findings, list) or not all(
            isinstance(x, Mapping) and isinstance(x.get("kind"), str) and isinstance(x.get("message"), str)
            for x in findings
        ):
            raise ValueError(f"{where}: findings must be a list of {{feature, kind, message}}.")
        points.append(
            {
                "name": name,
                "row": int(p["row"]),
                "values": dict(values),
                **{key: p[key] for key in POINT_FIELDS if key in p},
                "findings": [dict(x) for x in findings],
            }
        )
    return points


def points_frame(dash) -> pd.DataFrame:
    """dash.what_if: one row per kept point (index: its name): its base row, every feature's value (the
    base row's, with the point's edits), the prediction, probabilities or model output, the gap, the
    attribution toward each output and the findings."""
    exp = dash.explanation
    features, outputs = exp.feature_names, list(exp.output_names)
    points = list(dash.what_if_points)
    rows = []
    for p in points:
        base = exp.data.iloc[p["row"]]
        row = {name: _plain(base.iloc[j]) for j, name in enumerate(features)}
        row.update(p["values"])
        rows.append(row)
    nan = float("nan")

    def arr(v):
        return np.array([[nan if x is None else x for x in r] for r in v] if v and isinstance(v[0], list) else v)

    classification = exp.task == "classification"
    scores = [
        (p["prediction"].get("probabilities") if classification else None) or p["prediction"]["model_output"]
        for p in points
    ]
    records = _layout(
        rows,
        [p["prediction"]["label"] for p in points],
        [[nan if x is None else x for x in s] for s in scores],
        [p["prediction"]["model_output"] for p in points],
        [[nan if x is None else x for x in p["gap"]] for p in points],
        [arr(p["attribution"]) for p in points],
        [[x["message"] for x in p.get("findings", [])] for p in points],
        features,
        outputs,
        exp.task,
    )
    frame = pd.DataFrame(records, index=pd.Index([p["name"] for p in points], name="name"))
    frame.insert(0, "row", [p["row"] for p in points])
    if not points:  # the columns a point would have, so code that reads them works before the first point
        empty = _layout([{}], [None], [[nan] * len(outputs)], [[nan] * len(outputs)], [[nan] * len(outputs)],
                        [np.full((len(features), len(outputs)), nan)], [[]], features, outputs, exp.task)  # fmt: skip
        frame = pd.DataFrame(columns=["row", *empty[0]], index=pd.Index([], name="name"))
    return frame
