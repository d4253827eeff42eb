"""The dashboard of a large explanation: its sample drawn at once, its figures over every row beside it.

A large explanation (``explain()`` of a Dask frame: ``rai_widget.explanations.large``) holds, computed on the
cluster, global importance, fidelity and metrics over *all* its rows, and a stratified sample of them as an
ordinary ``TabularExplanation``. The dashboard draws the sample (every row-level view works on it, cohorts are
evaluated on it in the view as for any explanation), and sends in ``meta["population"]`` the all-row figures of
"All data"; see docs/architecture.md, "A large explanation".

A cohort built in the view is pushed down to the engine by the ``population`` kernel job
(``population_job``): the same cohort JSON evaluated over every row by ``large.population(cohort)``; the view
replaces the sample's figures of that cohort with these when they arrive. The job watches its pass on the
cluster (``PassWatch``): a newer request, a cancel or the widget closing cancels the pass's tasks there, and
the partitions done reach the view as the job's progress ("x of y partitions"). This module imports nothing
of Dask: a large explanation is recognised by what it has (``is_large``).
"""

from __future__ import annotations

import math
import numbers
import threading
import time
from contextlib import suppress
from typing import Any

import numpy as np

from rai_widget._errors import ModelPredictError
from rai_widget._jobs import PROGRESS_INTERVAL, JobCancelled
from rai_widget.cohorts import ALL_DATA, Cohort

# How often the job looks for a cancel (s), and the least time between two progress reports it sends the view:
# more than KernelJob's own interval, so none is dropped there, and the last one is always sent.
CANCEL_POLL = PROGRESS_INTERVAL
PROGRESS_EVERY = 0.25


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


def _partitions(large) -> int | None:
    """How many tasks a pass over the rows runs: the partitions that hold rows (None: not a Dask explanation)."""
    rows = getattr(large, "_rows", None)
    return None if rows is None else int((np.asarray(rows.lengths) > 0).sum())


def population_meta(large) -> dict:
    """What ``meta["population"]`` says of "All data": every row's count and the figures over them, the
    sample's size, and the partitions a pass goes over (the view reads the job's progress as a share of them).
    The figures are the large explanation's own (computed on the cluster when it was made)."""
    fidelity = {k: v for k, v in dict(large.fidelity).items() if k in ("r2", "agreement", "r2_per_output", "rows")}
    has_truth = getattr(large.sample, "y_true", None) is not None
    meta = {
        "rows": int(large.n_rows),
        "sample_rows": len(large.sample),
        "all_data": ALL_DATA,
        "importance": _importance(large),
        "fidelity": fidelity,
        "metrics": _metric_records(large.metrics()) if has_truth else [],
    }
    partitions = _partitions(large)
    if partitions is not None:
        meta["partitions"] = partitions
    return json_safe(meta)


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


class PassWatch:
    """The job's hold on its pass over the partitions (the engine's ``PASS_WATCH``, set in the job's thread).

    The engine tells it the pass's futures once they are submitted (``started``) and each partition done
    (``update``); ``cancel()``, from any thread, cancels the futures on the cluster: the tasks not yet running
    never run, and the engine's wait for them ends at once (a running task cannot be stopped; the scheduler drops
    its result). A cancel that comes before the futures do stops the pass when they come."""

    def __init__(self):
        self._lock = threading.Lock()
        self._client: Any = None
        self._futures: list = []
        self.cancelled = False
        self.done = 0
        self.total = 0

    def started(self, client, futures) -> None:
        with self._lock:
            self._client, self._futures = client, list(futures)
            self.done, self.total = 0, len(self._futures)
            if self.cancelled:
                raise JobCancelled  # the engine cancels the futures it submitted

    def update(self, done: int, total: int) -> None:
        self.done, self.total = int(done), int(total)

    def cancel(self) -> None:
        with self._lock:
            if self.cancelled:
                return
            self.cancelled = True
            client, futures = self._client, self._futures
        if futures:
            with suppress(Exception):  # a client already closed has nothing left to cancel
                client.cancel(futures)


def _follow(watch: PassWatch, ctx, finished: threading.Event) -> None:
    """The job's second thread while its pass runs: a cancel of the job cancels the pass on the cluster, and
    the partitions done go to the view as the job's progress, at most every PROGRESS_EVERY seconds (the last
    count is always sent: a count that changed is sent at the next report after it)."""
    sent, last = 0, time.monotonic()
    while not finished.wait(CANCEL_POLL):
        if ctx.cancelled:
            watch.cancel()
            return
        done, total, now = watch.done, watch.total, time.monotonic()
        if total and done != sent and now - last >= PROGRESS_EVERY:
            try:
                ctx.progress(done / total)
            except JobCancelled:
                watch.cancel()
                return
            sent, last = done, now


def _run_pass(dash, large, cohort: Cohort, ctx) -> dict:
    """``large.population(cohort)`` in this thread, its pass watched (see PassWatch): cancelled on the cluster
    when the job is, or when the widget closes; an error from the cluster in words."""
    from rai_widget.explainers._distributed import PASS_WATCH

    watch = PassWatch()
    finished = threading.Event()

    def on_close(change) -> None:
        if change["new"] is None:  # ipywidgets' close() drops the comm
            watch.cancel()

    dash.observe(on_close, names="comm")
    follower = None
    if ctx is not None:
        follower = threading.Thread(target=_follow, args=(watch, ctx, finished), name="rai-widget population watch")
        follower.daemon = True
        follower.start()
    token = PASS_WATCH.set(watch)
    try:
        return dict(large.population(cohort))
    except JobCancelled:
        raise
    except (ValueError, TypeError, KeyError, ModelPredictError):
        if watch.cancelled:
            raise JobCancelled from None
        raise
    except Exception as err:
        if watch.cancelled:  # the engine's wait ended on the futures cancelled
            raise JobCancelled from None
        message = f"the cluster could not compute {cohort.name!r} over all rows: {_cluster_error(err)}"
        raise ValueError(message) from None
    finally:
        PASS_WATCH.reset(token)
        finished.set()
        dash.unobserve(on_close, names="comm")
        if follower is not None:
            follower.join()


def _cluster_error(err: BaseException) -> str:
    """An error of the pass as words: the engine's own message (it names the partition), or what dask raised
    with its type (a worker lost, the scheduler gone), and what to do."""
    text = str(err).strip().rstrip(".") or "no message"
    if type(err) is RuntimeError:  # the engine's own message (explainers/_distributed.py: _failure, run_tasks)
        return f"{text}."
    return f"{type(err).__name__}: {text}. Check that the cluster is running, then choose the cohort again."


def population_job(dash, params: dict, ctx) -> dict:
    """The dashboard's "population" job: the figures of one cohort over every row of the large explanation.

    params (from the view): ``cohort``, the cohort's JSON (as the view holds it). Returns
    ``{"cohort": <its JSON>, "rows", "importance", "fidelity", "metrics"}`` (``large.population(cohort)``).
    The pass on the cluster is watched (``_run_pass``): a cancel, a newer request (KernelJob cancels the
    running job) or the widget closing cancels its tasks there, and nothing of it reaches the view; the
    partitions done are the job's progress."""
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
    result = _run_pass(dash, large, pushed, ctx)
    ctx.check()
    answer = {key: result.get(key) for key in ("rows", "importance", "fidelity", "metrics")}
    answer["metrics"] = _metric_records(answer["metrics"])
    return json_safe({"cohort": cohort.to_json(), **answer})
