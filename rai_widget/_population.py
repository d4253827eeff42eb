"""The dashboard of a large explanation: its sample drawn at once, its figures over every row beside it.

A large explanation (``explain()`` of a Dask frame: ``rai_widget.explanations.large``) holds, computed on the
cluster, global importance, fidelity and metrics over *all* its rows, and a stratified sample of them as an
ordinary ``TabularExplanation``. The dashboard draws the sample (every row-level view works on it, cohorts are
evaluated on it in the view as for any explanation), and sends in ``meta["population"]`` the all-row figures of
"All data"; see docs/architecture.md, "A large explanation".

A cohort built in the view is pushed down to the engine by the ``population`` kernel job
(``population_job``): the same cohort JSON evaluated over every row by ``large.population(cohort)``; the view
replaces the sample's figures of that cohort with these when they arrive. This module imports nothing of
Dask: a large explanation is recognised by what it has (``is_large``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from rai_widget.cohorts import ALL_DATA, Cohort


def is_large(obj) -> bool:
    """Whether ``obj`` is a large explanation (its figures over all rows, and a sample to draw)."""
    return hasattr(obj, "population") and hasattr(obj, "sample")


def large_of(obj) -> Any:
    """``obj`` when it is a large explanation, else None."""
    return obj if is_large(obj) else None


def json_safe(value):
    """``value`` as JSON can hold it: numpy scalars as Python's, NaN and infinities as None (JSON has neither;
    the view reads null as "n/a"), tuples and arrays as lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _metric_records(metrics) -> list[dict]:
    """Point figures as the view reads them: ``[{"metric", "value", "n"}]``, from a DataFrame with those
    columns (``exp.metrics()``'s layout) or a list of such dicts."""
    if metrics is None:
        return []
    if hasattr(metrics, "to_dict"):  # a DataFrame
        metrics = metrics.to_dict("records")
    return [{"metric": str(m["metric"]), "value": m.get("value"), "n": m.get("n")} for m in metrics]


def _importance(large) -> dict[str, list[float]]:
    """Mean |value| per feature over every row, in feature order, for each output (by name)."""
    out = {}
    for name in large.output_names:
        series = large.global_importance(output=name)
        out[str(name)] = [float(series[f]) for f in large.feature_names]
    return out


def population_meta(large) -> dict:
    """What ``meta["population"]`` says of "All data": every row's count and the figures over them, and the
    sample's size. The figures are the large explanation's own (computed on the cluster when it was made)."""
    fidelity = {k: v for k, v in dict(large.fidelity).items() if k in ("r2", "agreement", "r2_per_output", "rows")}
    has_truth = getattr(large.sample, "y_true", None) is not None
    return json_safe(
        {
            "rows": int(large.n_rows),
            "sample_rows": len(large.sample),
            "all_data": ALL_DATA,
            "importance": _importance(large),
            "fidelity": fidelity,
            "metrics": _metric_records(large.metrics()) if has_truth else [],
        }
    )


_POSITION_OPS = ("==", "!=", "in", "not in")


def _pushed_down(dash, cohort: Cohort) -> Cohort:
    """The cohort as the engine evaluates it over every row. Only the ``index`` column differs: in the view it is
    a row's position in the sample (a cohort brushed on a SHAP axis is ``index in [...]`` of sample rows), over
    all rows its global position, which ``sample.data.index`` holds; equality filters are mapped, ordered ones
    have no counterpart over all rows."""
    if "index" in dash.explanation.feature_names or not any(f.column == "index" for f in cohort.filters):
        return cohort
    positions = np.asarray(dash.explanation.data.index)
    n = len(positions)

    def to_global(v):
        whole = isinstance(v, numbers.Real) and float(v).is_integer() and 0 <= float(v) < n
        return int(positions[int(v)]) if whole else -1  # -1: no row has it, as no sample row has v

    filters = []
    for f in cohort.filters:
        if f.column == "index":
            if f.op not in _POSITION_OPS:
                raise ValueError(
                    f"cohort {cohort.name!r} compares the row index with {f.op!r}: in the view the index is a row's "
                    "position in the sample, so only ==, !=, in and not in (e.g. rows brushed on a SHAP axis) can be "
                    "evaluated over all rows. Filter on a feature instead."
                )
            value = [to_global(v) for v in f.value] if isinstance(f.value, list) else to_global(f.value)
            f = type(f)(f.column, f.op, value)
        filters.append(f)
    return Cohort(cohort.name, filters, combine=cohort.combine)


def population_job(dash, params: dict, ctx) -> dict:
    """The dashboard's "population" job: the figures of one cohort over every row of the large explanation.

    params (from the view): ``cohort``, the cohort's JSON (as the view holds it). Returns
    ``{"cohort": <its JSON>, "rows", "importance", "fidelity", "metrics"}`` (``large.population(cohort)``).
    The engine's pass over the rows is one computation: a cancel (or a newer request) drops its answer when
    it ends (KernelJob sends nothing of a superseded job)."""
    large = getattr(dash, "large", None)
    if large is None:
        raise ValueError("full-population figures are for a large explanation (explain() of a Dask frame).")
    raw = params.get("cohort")
    if not isinstance(raw, dict):
        raise TypeError(f"the population job needs a cohort's JSON (a dict), not {type(raw).__name__}.")
    try:
        cohort = Cohort.from_json(raw)
        cohort.mask(dash._columns)  # evaluable here (on the sample's columns), with the reason if not
    except (TypeError, ValueError) as err:
        raise ValueError(f"cohort {raw.get('name')!r} cannot be evaluated: {err}") from None
    pushed = _pushed_down(dash, cohort)
    ctx.check()
    result = dict(large.population(pushed))
    ctx.check()
    answer = {key: result.get(key) for key in ("rows", "importance", "fidelity", "metrics")}
    answer["metrics"] = _metric_records(answer["metrics"])
    return json_safe({"cohort": cohort.to_json(), **answer})
