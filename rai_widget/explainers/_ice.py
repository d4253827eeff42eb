"""ICE curves and partial dependence: the model's own output as one feature sweeps a grid of values.

An ICE curve (individual conditional expectation) is one row with one feature set to each value of a
grid in turn, every other value kept; the partial dependence (PDP) is the mean of the curves over many
rows. Both are of the *model* (not the surrogate), in the explanation's units: log-odds of one class
for a classifier (`MimicExplainer._model_output`), the output itself for a regression.

Every row x grid value goes to the model in one batched call (`model_scores` on a frame of n x G rows),
cut into calls of at most ICE_CHUNK_ROWS rows only for memory. The dashboard's "ice" job (`ice_job`)
and the offline report's precompute (`offline_ice`) use the same functions, so what the view draws is
what `explainer.ice(...)` returns.
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from rai_widget._checks import shown
from rai_widget._payload._wire import array_to_wire
from rai_widget.explainers._tabular_data import BOOL, CATEGORY, NUMERIC

ICE_CHUNK_ROWS = 200_000  # model rows per call: one call below this, several (for memory) above
JOB_CHUNK_ROWS = 25_000  # the job's calls are smaller, so a cancel or a progress report comes between them
PDP_MAX_ROWS = 500  # rows of the active cohort the view's PDP averages (a fixed sample above this)
MAX_CURVES = 50  # selected rows the view draws curves for
MAX_STEPS = 200  # grid values of a numeric feature the view may ask for
DEFAULT_STEPS = 20
OFFLINE_FEATURES = 5  # the top features (global importance) a report precomputes
OFFLINE_ROWS = 5  # rows of the active cohort a report precomputes when none is selected


# --------------------------------------------------------------------------- arguments


def _is_index(value) -> bool:
    """A whole number (Python's or numpy's), not a boolean."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def feature_name(explainer, feature) -> str:
    """The feature named `feature` (a name, or a position in explainer.feature_names)."""
    names = explainer.feature_names
    if _is_index(feature):
        if not -len(names) <= int(feature) < len(names):
            raise ValueError(f"feature index {int(feature)} is out of range: the model has {len(names)} features.")
        return names[int(feature)]
    if isinstance(feature, str) and feature in names:
        return feature
    if not isinstance(feature, str):
        raise TypeError(f"feature must be a feature's name (or its position), not {shown(feature)}.")
    close = difflib.get_close_matches(feature, names, n=3)
    hint = f" Did you mean {shown(close[0]) if len(close) == 1 else 'one of ' + shown(close)}?" if close else ""
    raise ValueError(f"{shown(feature)} is not a feature of this model.{hint} Features: {shown(names, 10)}.")


def output_index(explainer, output) -> int:
    """The output an ICE curve follows: a class (or output) name, else an index. None: the positive class of
    a binary classifier, the one output of a regression; a classifier of more classes must be told which."""
    names = explainer.output_names
    if output is None:
        if explainer.task != "classification":
            return 0
        if len(names) == 2:
            return 1
        raise ValueError(
            f"this model has {len(names)} classes, so ICE needs the class to follow: pass output= one of "
            f"{shown(names)} (or its index)."
        )
    for k, name in enumerate(names):
        if isinstance(name, bool) == isinstance(output, bool) and type(name) is not str and name == output:
            return k
        if isinstance(name, str) and isinstance(output, str) and name == output:
            return k
    if _is_index(output) and 0 <= int(output) < len(names):
        return int(output)
    what = "classes" if explainer.task == "classification" else "outputs"
    raise ValueError(f"output {shown(output)} is neither a name nor an index of the model's {what}: {shown(names)}.")


def _kind(explainer, name: str) -> str:
    return explainer.schema.kinds[explainer.feature_names.index(name)]


def _whole(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(finite.size) and bool(np.all(finite == np.round(finite)))


def _train_column(explainer, name: str) -> pd.Series:
    return explainer.train_sample[explainer.schema.columns[explainer.feature_names.index(name)]]


def numeric_grid(explainer, name: str, steps: int, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """`steps` values from lo to hi (default: X_train's observed range); whole numbers when the feature holds
    whole numbers in X_train and there are fewer than `steps` of them in the range."""
    observed = explainer.train_ranges.get(name)
    if observed is None and (lo is None or hi is None):
        raise ValueError(
            f"feature {name!r} has no observed values in X_train (all missing), so it has no range: pass the "
            "values to try, e.g. grid=[0, 1, 2]."
        )
    lo = observed[0] if lo is None else float(lo)
    hi = observed[1] if hi is None else float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ValueError(f"the range of {name!r} must be two finite numbers, low <= high; got {shown([lo, hi])}.")
    if lo == hi:
        return np.array([lo])
    train = pd.to_numeric(_train_column(explainer, name), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if _whole(train) and (observed is None or _whole(np.array(observed))):
        whole = np.arange(np.ceil(lo), np.floor(hi) + 1)
        if 0 < len(whole) < steps:
            return whole
    return np.linspace(lo, hi, steps)


def _levels(explainer, name: str) -> list:
    """X_train's categories of a category feature, as the model takes them (not their text)."""
    levels = explainer.schema.categories[name]
    train = _train_column(explainer, name)
    if isinstance(train.dtype, pd.CategoricalDtype):
        by_text = {str(c): c for c in train.cat.categories}
    else:
        by_text = {str(v): v for v in train.dropna().tolist()}
        if pd.api.types.is_numeric_dtype(train.dtype):  # a level outside the sample: its text as a number
            by_text = {t: by_text.get(t, pd.to_numeric(t, errors="coerce")) for t in levels}
    return [by_text.get(t, t) for t in levels]


def make_grid(explainer, name: str, grid) -> tuple[list, list[str]]:
    """(the values to try, their labels): see MimicExplainer.ice for the rules."""
    kind = _kind(explainer, name)
    if _is_index(grid):
        if grid < 2:
            raise ValueError(f"grid must be at least 2 steps (or a list of values), not {int(grid)}.")
        if kind == CATEGORY:
            values = _levels(explainer, name)
        elif kind == BOOL:
            values = [False, True]
        else:
            values = numeric_grid(explainer, name, int(grid)).tolist()
        return values, [_label(v) for v in values]
    if isinstance(grid, (str, bytes, dict)) or not isinstance(grid, (Sequence, np.ndarray, pd.Index, pd.Series)):
        raise TypeError(f"grid must be a number of steps (e.g. 20) or a list of the values to try, not {shown(grid)}.")
    values = list(np.asarray(grid, dtype=object).ravel().tolist()) if not isinstance(grid, list) else list(grid)
    if not values:
        raise ValueError("grid is empty: pass a number of steps (e.g. 20) or at least one value to try.")
    if kind == CATEGORY:
        levels = explainer.schema.categories[name]
        by_text = dict(zip(levels, _levels(explainer, name), strict=True))
        unseen = [v for v in values if str(v) not in by_text]
        if unseen:
            raise ValueError(
                f"grid has values of {name!r} not seen in X_train: {shown(unseen, 5)}; its categories are "
                f"{shown(levels, 10)}."
            )
        values = [by_text[str(v)] for v in values]
    elif kind == BOOL:
        bad = [
            v
            for v in values
            if not (
                isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, float, np.number)) and float(v) in (0.0, 1.0))
            )
        ]
        if bad:
            raise ValueError(f"{name!r} is a boolean feature: grid values must be True / False, not {shown(bad, 5)}.")
        values = [bool(v) for v in values]
    else:
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(float(v))]
        if bad:
            raise ValueError(f"{name!r} is numeric: grid values must be finite numbers, not {shown(bad, 5)}.")
        values = [float(v) for v in values]
    return values, [_label(v) for v in values]


def _label(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


# --------------------------------------------------------------------------- the model on the grid


def _column_values(frame: pd.DataFrame, column, values: list, repeat: int) -> object:
    """The grid values tiled over `repeat` rows, in the dtype of frame[column] where it can hold them."""
    dtype = frame[column].dtype
    tiled = values * repeat
    if isinstance(dtype, pd.CategoricalDtype):
        missing = [v for v in dict.fromkeys(values) if v not in dtype.categories]
        if missing:  # these rows' categorical lacks a level of X_train's: add it rather than make it NaN
            dtype = pd.CategoricalDtype([*dtype.categories, *missing], ordered=dtype.ordered)
        return pd.Categorical(tiled, dtype=dtype)
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return (
            pd.array(tiled, dtype=dtype) if not pd.api.types.is_object_dtype(dtype) else np.array(tiled, dtype=object)
        )
    array = np.asarray(tiled, dtype=np.float64)
    if pd.api.types.is_integer_dtype(dtype) and np.all(array == np.round(array)):
        return (
            pd.array(array.astype(np.int64), dtype=dtype)
            if pd.api.types.is_extension_array_dtype(dtype)
            else array.astype(dtype)
        )
    return array


def ice_outputs(
    explainer,
    frame: pd.DataFrame,
    name: str,
    values: list,
    output: int,
    chunk_rows: int | None = None,
    between: Callable[[float], None] | None = None,
) -> np.ndarray:
    """(n, G): the model's output (explanation units, output `output`) for each row of `frame` (X_train's
    columns) with feature `name` set to each of `values`. Rows x values go to the model in one call, or in
    calls of at most `chunk_rows` rows; `between(share done)` runs after each call."""
    n, g = len(frame), len(values)
    column = explainer.schema.columns[explainer.feature_names.index(name)]
    per_call = max(1, (chunk_rows or ICE_CHUNK_ROWS) // max(g, 1))
    out = np.empty((n, g))
    for start in range(0, n, per_call):
        part = frame.iloc[start : start + per_call]
        big = part.iloc[np.repeat(np.arange(len(part)), g)].reset_index(drop=True)
        big[column] = _column_values(part, column, values, len(part))
        scores = explainer.model_scores(big)
        out[start : start + len(part)] = explainer._model_output(scores)[:, output].reshape(len(part), g)
        if between is not None:
            between(min(1.0, (start + len(part)) / n))
    return out


def ice(explainer, X, feature, grid=DEFAULT_STEPS, output=None) -> pd.DataFrame:
    name = feature_name(explainer, feature)
    k = output_index(explainer, output)
    values, _ = make_grid(explainer, name, grid)
    frame = explainer.schema.to_frame(X, "X")
    curves = ice_outputs(explainer, frame, name, values, k)
    index = frame.index
    columns = pd.Index(values, name=name, dtype=object if _kind(explainer, name) != NUMERIC else np.float64)
    result = pd.DataFrame(curves, index=index, columns=columns)
    result.attrs.update(units=explainer.units, output=explainer.output_names[k], feature=name)
    return result


def partial_dependence(explainer, feature, X=None, grid=DEFAULT_STEPS, output=None) -> pd.Series:
    rows = explainer.train_sample if X is None else X
    curves = ice(explainer, rows, feature, grid, output)
    pdp = curves.mean(axis=0)
    pdp.name = f"partial dependence ({explainer.units})"
    pdp.attrs.update(curves.attrs, rows=len(curves))
    return pdp


# --------------------------------------------------------------------------- the dashboard's job


def _sample(n: int, limit: int) -> np.ndarray:
    """Positions of at most `limit` of n rows: all of them, or a fixed random sample in order."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, limit, replace=False))


def _actual(explanation, rows: list[int], name: str, labels: list[str], kind: str) -> list:
    """Each row's own value of the feature as an x position: the number, or the grid position of its level."""
    column = explanation.data.iloc[rows, explanation.feature_names.index(name)]
    out: list = []
    for v in column.tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            out.append(None)
        elif kind == NUMERIC:
            out.append(float(v))
        else:
            text = _label(bool(v)) if kind == BOOL else str(v)
            out.append(labels.index(text) if text in labels else None)
    return out


def _params_rows(params: dict, n: int) -> list[int]:
    rows = params.get("rows")
    if not isinstance(rows, list) or any(isinstance(r, bool) or not isinstance(r, int) for r in rows):
        raise ValueError("the ICE request needs the rows to draw, as a list of row indices.")
    bad = [r for r in rows if not 0 <= r < n]
    if bad:
        raise ValueError(f"rows {shown(bad, 5)} are not rows of this explanation (0 to {n - 1}).")
    return list(dict.fromkeys(rows))[:MAX_CURVES]


def _job_grid(explainer, name: str, params: dict) -> list:
    kind = _kind(explainer, name)
    steps = params.get("steps", DEFAULT_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 2 to {MAX_STEPS}, not {shown(steps)}.")
    span = params.get("range")
    if kind != NUMERIC or span is None:
        return make_grid(explainer, name, steps)[0]
    if (
        not isinstance(span, list)
        or len(span) != 2
        or any(v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))) for v in span)
    ):
        raise ValueError(
            f"the range of {name!r} must be two numbers, low and high (None: observed); got {shown(span)}."
        )
    lo, hi = (None if v is None else float(v) for v in span)
    return numeric_grid(explainer, name, steps, lo, hi).tolist()


def ice_result(dash, rows: list[int], name: str, values: list, k: int, ctx=None) -> dict:
    """What the view draws for one feature: the rows' curves, their own values, and the active cohort's PDP."""
    explainer, exp = dash.explainer, dash.explanation
    kind = _kind(explainer, name)
    labels = [_label(v) for v in values]
    cohort = dash.active_cohort
    members = np.flatnonzero(dash.cohort(cohort).mask(dash._columns))
    pdp_rows = members[_sample(len(members), PDP_MAX_ROWS)]
    # The selected rows and the PDP's sample as one frame: one model call (or a few, for a cancel between).
    frame = exp.data.iloc[np.concatenate([np.asarray(rows, dtype=np.int64), pdp_rows])]
    between = None if ctx is None else ctx.progress
    curves = ice_outputs(explainer, frame, name, values, k, JOB_CHUNK_ROWS if ctx else None, between)
    own, pdp = curves[: len(rows)], curves[len(rows) :]
    x = np.asarray(values, dtype=np.float64) if kind == NUMERIC else np.arange(len(values), dtype=np.float64)
    return {
        "feature": name,
        "kind": kind,
        "output": k,
        "units": explainer.units,
        "grid": array_to_wire(x),
        "labels": labels,
        "rows": rows,
        "curves": array_to_wire(own.reshape(len(rows), len(values))),
        "actual": _actual(exp, rows, name, labels, kind),
        "actual_output": [float(exp.model_output[r, k]) for r in rows],
        "pdp": array_to_wire(pdp.mean(axis=0)) if len(pdp_rows) else None,
        "pdp_rows": len(pdp_rows),
        "cohort_rows": len(members),
        "cohort": cohort,
    }


def _job_output(explainer, output) -> int:
    """The view names an output by its index (a class named 1 would otherwise be ambiguous)."""
    if output is None:
        return output_index(explainer, None)
    k = len(explainer.output_names)
    if isinstance(output, bool) or not isinstance(output, int) or not 0 <= output < k:
        raise ValueError(f"output must be the index of one of the model's {k} outputs, not {shown(output)}.")
    return output


def ice_job(dash, params: dict, ctx) -> dict:
    """The dashboard's "ice" job. params (from the view): rows (indices, the first MAX_CURVES drawn),
    feature (a name), steps (default 20), range ([low, high] of a numeric feature; default X_train's),
    output (an index; default as MimicExplainer.ice)."""
    explainer = dash.explainer
    name = feature_name(explainer, params.get("feature"))
    k = _job_output(explainer, params.get("output"))
    rows = _params_rows(params, len(dash.explanation))
    values = _job_grid(explainer, name, params)
    ctx.check()
    return ice_result(dash, rows, name, values, k, ctx)


# --------------------------------------------------------------------------- the offline report


def offline_rows(dash) -> tuple[list[int], str]:
    """The rows a report precomputes: the selected ones (the first MAX_CURVES), else the first OFFLINE_ROWS
    of the active cohort; and how the view should say which."""
    selected = list(dict.fromkeys(dash.selected_rows))
    if selected:
        rows = selected[:MAX_CURVES]
        more = f" (the first {MAX_CURVES} of {len(selected)})" if len(selected) > MAX_CURVES else ""
        return rows, f"ICE was computed when this report was saved, for the rows selected then{more}."
    members = np.flatnonzero(dash.cohort(dash.active_cohort).mask(dash._columns))
    rows = [int(r) for r in members[:OFFLINE_ROWS]]
    return rows, (
        f"No rows were selected when this report was saved, so ICE was computed for the first {len(rows)} "
        f"rows of {dash.active_cohort!r}."
    )


def offline_ice(dash) -> dict:
    """ICE and PDP of the report's rows for the top OFFLINE_FEATURES features (by global importance), at
    the default grid, for the view of an offline report. {} without an explainer; {"error"} when the model
    fails (the report says so rather than failing to save)."""
    from rai_widget._errors import ModelPredictError

    explainer, exp = dash.explainer, dash.explanation
    if explainer is None:
        return {}
    rows, note = offline_rows(dash)
    if not rows:
        return {"error": f"the active cohort {dash.active_cohort!r} has no rows", "features": []}
    if explainer.task == "classification" and len(explainer.output_names) > 2:
        k = int(np.bincount(exp.predicted_index()[rows]).argmax())  # the class most of the rows are predicted
    else:
        k = output_index(explainer, None)
    top = exp.global_importance().index[:OFFLINE_FEATURES].tolist()
    features = []
    try:
        for name in top:
            values = make_grid(explainer, name, DEFAULT_STEPS)[0]
            features.append(ice_result(dash, rows, name, values, k))
    except (ValueError, TypeError, ModelPredictError) as err:
        return {"error": str(err), "features": []}
    return {"rows": rows, "note": note, "output": k, "steps": DEFAULT_STEPS, "features": features}
