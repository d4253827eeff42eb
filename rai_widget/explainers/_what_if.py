"""What-if: the model and the surrogate on edited rows, and where the surrogate cannot be trusted there.

`what_if(explainer, X)` is MimicExplainer.what_if: the model's new prediction, the surrogate's local
attribution (TreeSHAP, exactly what `explainer.explain(X)` gives), the surrogate/model gap, and the
findings that say when a point leaves the region the surrogate was fit on (a number outside X_train's
range, a category X_train never had, a gap larger than on 99% of X_train). `what_if_job` is the
dashboard's kernel job behind the view's what-if panel (rai_widget._jobs): one model call of one row
and TreeSHAP of one row per edit. The kept points are in _what_if_points.py.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rai_widget._checks import shown
from rai_widget._payload._wire import array_to_wire
from rai_widget.explainers import _treeshap
from rai_widget.explainers._tabular_data import BOOL, CATEGORY, NUMERIC

# Finding kinds (the view and the tests rely on these names).
ABOVE_RANGE, BELOW_RANGE, NO_TRAINING_VALUES = "above_range", "below_range", "no_training_values"
UNSEEN_CATEGORY, SURROGATE_GAP = "unseen_category", "surrogate_gap"


@dataclass(frozen=True)
class WhatIfFinding:
    """One reason to read a what-if point's attribution with care.

    row: the point's position in the edited rows. feature: the feature concerned (None for a gap).
    output: the output concerned (a gap), else None. kind: one of "above_range", "below_range",
    "no_training_values", "unseen_category", "surrogate_gap". message: what it means, for people."""

    row: int
    feature: str | None
    output: object
    kind: str
    message: str

    def to_json(self) -> dict:
        output = self.output.item() if isinstance(self.output, np.generic) else self.output
        return {"feature": self.feature, "output": output, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class WhatIf:
    """What `explainer.what_if(X)` returns: the model and its surrogate on the edited rows.

    data: the rows as the model received them (X_train's columns). scores: the model's class
    probabilities (classification) or its output (regression, one column), (n, k). model_output: the
    model's output in the explanation's units (log-odds for classification), (n, k). prediction: the
    predicted class (classification) or value (regression), (n,). values: the surrogate's TreeSHAP
    attribution, (n, features, k), and base_values (k,): the same as `explainer.explain(data)` gives.
    surrogate_output: base_values + the values summed, (n, k). gap: |model_output - surrogate_output|
    (n, k). findings: why a point's attribution may not reflect the model (see WhatIfFinding)."""

    data: pd.DataFrame
    feature_names: list[str]
    output_names: list
    task: str
    units: str
    scores: np.ndarray
    model_output: np.ndarray
    prediction: np.ndarray
    values: np.ndarray
    base_values: np.ndarray
    surrogate_output: np.ndarray
    gap: np.ndarray
    findings: list[WhatIfFinding] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.data)

    def findings_of(self, row: int = 0) -> list[WhatIfFinding]:
        """The findings of one edited row."""
        return [f for f in self.findings if f.row == row]

    def local_importance(self, row: int = 0, output=None) -> pd.Series:
        """One edited row's attribution toward an output (default: its predicted class), sorted by |value|,
        named as `exp.local_importance(row)` names a real row's, to compare them side by side."""
        k = self._output(row, output)
        series = pd.Series(
            self.values[row, :, k],
            index=pd.Index(self.feature_names, name="feature"),
            name=f"value for {self.output_names[k]} ({self.units})",
        )
        return series.iloc[np.argsort(-np.abs(series.to_numpy()), kind="stable")]

    def _output(self, row: int, output) -> int:
        if output is None:
            return int(np.argmax(self.scores[row])) if self.task == "classification" else 0
        names = [str(o) for o in self.output_names]
        if isinstance(output, (int, np.integer)) and not isinstance(output, bool) and 0 <= output < len(names):
            return int(output)
        if str(output) in names:
            return names.index(str(output))
        raise ValueError(f"no output {shown(output)}; outputs: {shown(self.output_names)}.")

    def to_frame(self) -> pd.DataFrame:
        """One row per edited row: its feature values ("value: <feature>"), the prediction, the model's
        probabilities ("probability: <class>") or output, the surrogate/model gap and the attribution
        ("attribution: <feature>" toward each output, "... -> <class>" for classification), and the
        findings' messages ("findings", one per line)."""
        records = _layout(
            [{n: self.data.iloc[i, j] for j, n in enumerate(self.feature_names)} for i in range(len(self))],
            self.prediction.tolist(),
            self.scores,
            self.model_output,
            self.gap,
            self.values,
            [[f.message for f in self.findings_of(i)] for i in range(len(self))],
            self.feature_names,
            self.output_names,
            self.task,
        )
        return pd.DataFrame(records, index=self.data.index)


# --------------------------------------------------------------------------- edited rows


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _text(value) -> str:
    """A category value as the text categories compare by (as the schema reads a column)."""
    return str(pd.Series([value], dtype=object).astype("string").iloc[0])


def _category_value(value, series: pd.Series, reference: pd.Series):
    """The value a category feature holds, in its column's own type: the text of a level (what the view
    sends) becomes the level itself (e.g. 3 for "3" in an integer column declared categorical)."""
    if not isinstance(value, str):
        return value
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        for level in dtype.categories:
            if _text(level) == value:
                return level
    for level in pd.unique(pd.concat([series, reference], ignore_index=True).dropna()):
        if isinstance(level, str) and level == value:
            return level
        if _text(level) == value:
            return level
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
        if not _missing(number):
            return number
    return value  # a category X_train does not have: the model gets it as it is


def _cell(value, name: str, kind: str, series: pd.Series, reference: pd.Series) -> pd.Series:
    """A one-row column holding `value` for feature `name`, in the column's dtype where it can be; a
    ValueError / TypeError naming the feature and what it takes otherwise."""
    dtype = series.dtype
    index = series.index
    if isinstance(value, np.generic):
        value = value.item()
    if kind == NUMERIC:
        if _missing(value):
            if pd.api.types.is_extension_array_dtype(dtype):
                return pd.Series(pd.array([pd.NA], dtype=dtype), index=index)
            return pd.Series([np.nan], index=index, dtype=np.float64)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"feature {name!r} takes a number (or None for missing), not {shown(value)}.")
        if not math.isfinite(value):
            raise ValueError(f"feature {name!r} takes a finite number (or None for missing), not {shown(value)}.")
        out = pd.Series([value], index=index)
        if pd.api.types.is_integer_dtype(dtype) and float(value).is_integer():
            return out.astype(dtype)
        if pd.api.types.is_float_dtype(dtype):
            return out.astype(dtype)
        return out.astype(np.float64)
    if kind == BOOL:
        if _missing(value):
            return pd.Series(pd.array([pd.NA], dtype="boolean"), index=index)
        if not isinstance(value, bool) and value not in (0, 1):
            raise TypeError(f"feature {name!r} takes True or False (or None for missing), not {shown(value)}.")
        out = pd.Series([bool(value)], index=index)
        return out.astype(dtype) if pd.api.types.is_bool_dtype(dtype) else out
    if not (_missing(value) or isinstance(value, (str, numbers.Number))):
        raise TypeError(f"feature {name!r} takes one of its categories (or None for missing), not {shown(value)}.")
    level = None if _missing(value) else _category_value(value, series, reference)
    if isinstance(dtype, pd.CategoricalDtype):
        categories = list(dtype.categories)
        if level is not None and level not in categories:
            categories.append(level)  # an unseen category reaches the model as itself
        return pd.Series(pd.Categorical([level], categories=categories, ordered=dtype.ordered), index=index)
    if level is None:
        return pd.Series([np.nan if pd.api.types.is_numeric_dtype(dtype) else None], index=index, dtype=dtype)
    out = pd.Series([level], index=index)
    try:
        return out.astype(dtype)
    except (TypeError, ValueError):
        return out.astype(object)


def edited_rows(explainer, base: pd.DataFrame, values: Mapping) -> pd.DataFrame:
    """`base` (one row, X_train's columns) with `values` ({feature: value or None}) put in."""
    if not isinstance(values, Mapping):
        raise TypeError(f"the edited values must be a dict {{feature: value}}, not {type(values).__name__}.")
    names = explainer.feature_names
    unknown = [k for k in values if k not in names]
    if unknown:
        raise ValueError(f"{shown(unknown[0])} is not a feature; the features are {shown(names)}.")
    frame = base.copy()
    reference = explainer.train_sample
    for name, value in values.items():
        j = names.index(name)
        column = frame.columns[j]
        frame[column] = _cell(value, name, explainer.schema.kinds[j], frame[column], reference.iloc[:, j])
    return frame


def _as_rows(explainer, X) -> pd.DataFrame:
    """X as a DataFrame of X_train's columns: a DataFrame (or array) of rows, or a dict of one row."""
    if isinstance(X, Mapping):
        names = explainer.feature_names
        missing = [n for n in names if n not in X]
        unknown = [k for k in X if k not in names]
        if unknown:
            raise ValueError(f"{shown(unknown[0])} is not a feature; the features are {shown(names)}.")
        if missing:
            raise ValueError(
                f"a what-if row needs a value for every feature (None for missing); it has none for {shown(missing)}."
            )
        X = edited_rows(explainer, explainer.train_sample.iloc[:1], X).reset_index(drop=True)
    return explainer.schema.to_frame(X, "X")


# --------------------------------------------------------------------------- the model and the surrogate


def _feature_finding(name: str, kind: str, x: float, value, ranges: dict) -> tuple[str, str] | None:
    """(kind, message) of one feature's value outside the surrogate's region, else None."""
    if kind == NUMERIC and not math.isnan(x):
        if name not in ranges:
            message = (
                f"{name} = {x:.6g}, but X_train has no value of it (all missing): the surrogate knows nothing of it."
            )
            return NO_TRAINING_VALUES, message
        lo, hi = ranges[name]
        side, edge = ("above", hi) if x > hi else ("below", lo) if x < lo else (None, None)
        if side:
            return (ABOVE_RANGE if side == "above" else BELOW_RANGE), (
                f"{name} = {x:.6g} is {side} X_train's range ({lo:.6g} to {hi:.6g}): the surrogate was not trained "
                f"there and reads it as {edge:.6g}."
            )
    if kind == CATEGORY and math.isnan(x) and not _missing(value):  # encoded as missing, but not missing
        return UNSEEN_CATEGORY, (
            f"{name} = {_text(value)!r} is a category X_train does not have: the surrogate treats it as missing."
        )
    return None


def _findings(explainer, frame: pd.DataFrame, encoded: np.ndarray, gap: np.ndarray) -> list[WhatIfFinding]:
    out: list[WhatIfFinding] = []
    schema, k = explainer.schema, gap.shape[1]
    binary = explainer.task == "classification" and k == 2
    for i in range(len(frame)):
        for j, (name, kind) in enumerate(zip(schema.feature_names, schema.kinds, strict=True)):
            found = _feature_finding(name, kind, encoded[i, j], frame.iloc[i, j], explainer.train_ranges)
            if found:
                out.append(WhatIfFinding(i, name, None, *found))
        for m in [1] if binary else range(k):  # a binary model's two gaps are one
            limit = float(explainer.train_gap[m])
            if gap[i, m] > limit:
                output = explainer.output_names[m]
                toward = f" for class {output}" if explainer.task == "classification" and k > 2 else ""
                units = " log-odds" if explainer.task == "classification" else ""  # a regression's units are its own
                message = (
                    f"the surrogate is {gap[i, m]:.3g}{units} from the model's output here{toward}: further than on "
                    f"99% of X_train (at most {limit:.3g} there), so its attribution may not reflect the model."
                )
                out.append(WhatIfFinding(i, None, output, SURROGATE_GAP, message))
    return out


def what_if(explainer, X) -> WhatIf:
    """MimicExplainer.what_if (see its docstring)."""
    frame = _as_rows(explainer, X)
    with warnings.catch_warnings():
        # an unseen category is a finding of its own, said next to the attribution
        warnings.filterwarnings("ignore", message=".*category values not seen in X_train.*")
        encoded = explainer.schema.encode(frame, "X")
    scores = explainer.model_scores(frame)
    per_surrogate = [
        _treeshap.shap_values(booster, packed, encoded)
        for booster, packed in zip(explainer.surrogates, explainer._packed, strict=True)
    ]
    values, base = explainer._assemble(per_surrogate, len(frame))
    model_output = explainer._model_output(scores)
    surrogate_output = base + values.sum(axis=1)
    gap = np.abs(model_output - surrogate_output)
    if explainer.task == "classification":
        from rai_widget.explainers.tabular import _labels

        prediction = _labels(explainer.output_names, np.argmax(scores, axis=1))
    else:
        prediction = scores[:, 0].copy()
    return WhatIf(
        data=frame,
        feature_names=explainer.feature_names,
        output_names=explainer.output_names,
        task=explainer.task,
        units=explainer.units,
        scores=scores,
        model_output=model_output,
        prediction=prediction,
        values=values,
        base_values=base,
        surrogate_output=surrogate_output,
        gap=gap,
        findings=_findings(explainer, frame, encoded, gap),
    )


# --------------------------------------------------------------------------- the dashboard's job


def _number(v) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None  # JSON has no NaN


def _plain(v):
    """A feature value or label as JSON holds it."""
    if isinstance(v, np.generic):
        v = v.item()
    if _missing(v):
        return None
    if isinstance(v, float):
        return _number(v)
    return v if isinstance(v, (str, bool, int)) else str(v)


def _check_row(row, n: int) -> int:
    if isinstance(row, bool) or not isinstance(row, numbers.Integral):
        raise TypeError(f"the what-if row must be a row number (0 to {n - 1}), not {shown(row)}.")
    if not 0 <= int(row) < n:
        raise ValueError(f"row {shown(row)} is out of range: the explanation has {n} rows (0 to {n - 1}).")
    return int(row)


def what_if_job(dash, params: dict, ctx) -> dict:
    """The view's what-if edit: params {"row": the explained row it starts from, "values": {feature:
    value or None}}. Returns the edited row's prediction, attribution (wire float32, features x outputs),
    base values, surrogate output, gap and findings, JSON-ready."""
    explainer, exp = dash.explainer, dash.explanation
    row = _check_row(params.get("row"), len(exp))
    values = params.get("values") or {}
    frame = edited_rows(explainer, exp.data.iloc[[row]], values)
    ctx.check()
    point = what_if(explainer, frame)
    return {
        "row": row,
        "values": {k: _plain(v) for k, v in values.items()},
        **point_json(point),
        "attribution": array_to_wire(point.values[0].astype(np.float32)),
    }


def point_json(point: WhatIf, i: int = 0) -> dict:
    """Row i of a what-if as JSON (the attribution as nested lists, features x outputs)."""
    classification = point.task == "classification"
    return {
        "prediction": {
            "label": _plain(point.prediction[i]),
            "model_output": [_number(v) for v in point.model_output[i]],
            "probabilities": [_number(v) for v in point.scores[i]] if classification else None,
        },
        "attribution": [[_number(v) for v in row] for row in point.values[i]],
        "base_values": [_number(v) for v in point.base_values],
        "surrogate_output": [_number(v) for v in point.surrogate_output[i]],
        "gap": [_number(v) for v in point.gap[i]],
        "findings": [f.to_json() for f in point.findings_of(i)],
    }


def _layout(rows, predictions, scores, model_output, gap, values, findings, features, outputs, task) -> list:
    """The columns of a what-if table (WhatIf.to_frame, dash.what_if), one dict per point."""
    classification = task == "classification"
    k = len(outputs)
    shown_outputs = [1] if classification and k == 2 else list(range(k))
    out = []
    for i, row in enumerate(rows):
        record: dict = {f"value: {name}": row.get(name) for name in features}
        record["prediction"] = predictions[i]
        for m, o in enumerate(outputs):
            key = f"probability: {o}" if classification else ("model output" if k == 1 else f"model output: {o}")
            record[key] = scores[i][m]
        for m in shown_outputs:
            suffix = "" if k == 1 else f" ({outputs[m]})"
            record[f"gap{suffix}"] = gap[i][m]
        for m in shown_outputs:
            for j, name in enumerate(features):
                toward = "" if k == 1 else f" -> {outputs[m]}"
                record[f"attribution: {name}{toward}"] = values[i][j][m]
        record["findings"] = "\n".join(findings[i])
        out.append(record)
    return out
