"""Dask as the distributed engine: ``MimicExplainer.explain`` of a ``dask.dataframe.DataFrame``.

The per-partition work is the explainer's own ``_explain_part`` (the model's scores, TreeSHAP on the packed
surrogates, additivity checked), the same function explain() runs on each chunk of a pandas frame, so both
engines compute the same numbers. What runs where:

1. one light pass for X's partition lengths (global row positions are the row ids; y_true's partitions are
   checked against X's in each task: same length, same index);
2. the explainer (model + packed surrogate tables) is scattered to every worker once (``client.scatter(...,
   broadcast=True)``); one task per partition explains it with one thread (see ``_one_thread``), writes its
   Parquet file when ``out=`` is given and returns only aggregates (``Summary``: sums of |value|, the sums
   fidelity and the metrics need, confusion counts, score histograms for ROC AUC, binned dependence) and its
   rows per sample stratum; the aggregates are summed on the cluster by a tree of merge tasks, so nothing per
   row reaches the client;
3. the stratified sample (``rai_widget.explanations._sample``): each stratum's quota is split over the
   partitions from their counts, and one task per partition draws and explains its share: the strata of its
   rows stay on the cluster from the main pass (its result's third field), so X's partition is read again
   but the model and TreeSHAP run only on the drawn rows.

Parquet output is written into a hidden folder beside ``out`` and renamed to ``out`` only when everything has
succeeded; a failed or interrupted run removes it, so a dataset at ``out`` is always complete. A cohort is
pushed down (``population``): the same cohort JSON evaluated on each partition by ``rai_widget.cohorts`` on the
partition's column spec, built as ``TabularExplanation.column_spec()`` builds it (index = global position).

Dask is an optional extra: this module imports it only inside its functions.
"""

from __future__ import annotations

import copy
import importlib
import operator
import os
import shutil
import sys
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from rai_widget._checks import check_progress, shown
from rai_widget._errors import ModelPredictError
from rai_widget.explanations import _columns as C
from rai_widget.explanations import _sample

if TYPE_CHECKING:
    from rai_widget.explainers.tabular import MimicExplainer, PartResult
    from rai_widget.explanations.large import LargeTabularExplanation
    from rai_widget.explanations.tabular import TabularExplanation

DASK_INSTALL = 'pip install "rai-widget[dask]"'
# Dependence: this many bins per numeric feature, at the fit sample's quantiles (fewer when values repeat).
DEPENDENCE_BINS = 20
# ROC AUC over all rows from per-class histograms of the scores in [0, 1]: this many equal bins (one class
# of a binary classifier; 2**14 per class beyond two, to bound each partition's aggregate).
AUC_BINS = 1 << 16
AUC_BINS_MULTICLASS = 1 << 14
# Aggregates are merged on the cluster this many at a time (a tree of merge tasks).
MERGE_FAN_IN = 16
EPS = float(np.finfo(np.float64).eps)  # log loss clips probabilities to [EPS, 1 - EPS], as _metrics does
PART_FILE = "part.{:06d}.parquet"
# A pass over the partitions may be watched by whoever runs it in this thread (the dashboard's population job,
# rai_widget._population): `watch.started(client, futures)` once its tasks are submitted (another thread may then
# cancel them; raising stops the pass), `watch.update(done, total)` as each partition finishes.
PASS_WATCH: ContextVar[Any] = ContextVar("rai_widget_pass_watch", default=None)


# --- what a frame is ------------------------------------------------------------------------------------------
def is_dask_frame(obj) -> bool:
    """Whether obj is a ``dask.dataframe.DataFrame`` (without importing dask when it is not loaded)."""
    module = sys.modules.get("dask.dataframe")
    return module is not None and isinstance(obj, module.DataFrame)


def is_dask_series(obj) -> bool:
    module = sys.modules.get("dask.dataframe")
    return module is not None and isinstance(obj, module.Series)


def _dask():
    try:
        import dask
        import dask.dataframe  # noqa: F401
    except ImportError:
        raise ImportError(f"explaining a dask frame needs dask, an optional extra: {DASK_INSTALL}") from None
    return dask


def _client():
    """The dask.distributed Client the user started, or a clear error."""
    _dask()
    try:
        from distributed import default_client
    except ImportError:
        raise ImportError(f"explaining a dask frame needs dask.distributed: {DASK_INSTALL}") from None
    try:
        return default_client()
    except ValueError:
        raise ValueError(
            "explain() of a dask frame runs on a dask.distributed cluster, and none is connected: start one first, "
            "e.g. `from dask.distributed import Client; client = Client()` (a LocalCluster on this machine) or "
            "`Client('scheduler-address:8786')`."
        ) from None


@contextmanager
def _one_thread() -> Iterator[None]:
    """One thread for numba (TreeSHAP) and OpenMP / BLAS (LightGBM, the model) inside a task.

    Dask already runs one task per worker thread; a task that spins a thread per core on top of that
    oversubscribes the machine (two processes each running a thread per core ran 7x slower in this project's
    CI: 509 s against 72 s with one thread each). numba's count is per calling thread, so setting it here
    leaves the worker's other threads alone; it is restored afterwards."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:  # (by name: threadpoolctl ships no type information for mypy)
        limits: Any = importlib.import_module("threadpoolctl").threadpool_limits(1)
    except ImportError:  # (threadpoolctl comes with scikit-learn; without it, OMP_NUM_THREADS as the worker has it)
        limits = nullcontext()
    try:
        with limits:
            yield
    finally:
        numba.set_num_threads(before)


def _shippable(explainer: MimicExplainer) -> MimicExplainer:
    """The explainer as it travels to the workers: a shallow copy without its weak reference to the last
    explanation (which cannot be pickled, and which workers have no use for)."""
    shipped = copy.copy(explainer)
    shipped.__dict__.pop("_last_explanation", None)
    return shipped


def _scatter(client, explainer: MimicExplainer):
    """The explainer on every worker once, as a future the tasks take."""
    shipped = _shippable(explainer)
    try:
        importlib.import_module("cloudpickle").dumps(shipped)  # (dask's serializer; by name: no type information)
    except Exception as err:  # a model defined in a way cloudpickle cannot send
        raise TypeError(
            f"the explainer (with its model) cannot be sent to the dask workers: {type(err).__name__}: {err}. The "
            "model must be picklable (cloudpickle): define it at module level, or wrap it in a function."
        ) from None
    try:
        return client.scatter(shipped, broadcast=True, hash=False)
    except Exception as err:
        raise RuntimeError(
            f"the explainer could not be sent to the dask workers ({type(err).__name__}: {err}): is the cluster "
            "running? Run explain() again once it is."
        ) from None


# --- the layout of the aggregates -------------------------------------------------------------------------------
@dataclass
class Layout:
    """What every partition's aggregate has the shape of: fixed on the client before any task runs."""

    task: str
    output_names: list
    feature_names: list[str]
    feature_kinds: list[str]
    n_slots: int  # value slices per row: 1 for a binary classifier (class 1) and a regression, else k
    edges: list[np.ndarray | None]  # numeric: the dependence bin edges; else None (codes are the bins)
    n_bins: list[int]  # per feature, the bins besides the one of missing values
    categories: dict = field(default_factory=dict)  # category features' levels (X_train's)
    has_truth: bool = False

    @property
    def k(self) -> int:
        return len(self.output_names)

    @property
    def mirrored(self) -> bool:
        return self.task == "classification" and self.k == 2

    @property
    def auc_classes(self) -> list[int]:
        return [1] if self.k == 2 else list(range(self.k))

    @property
    def auc_bins(self) -> int:
        return AUC_BINS if len(self.auc_classes) == 1 else AUC_BINS_MULTICLASS

    @property
    def n_strata(self) -> int:
        if self.task != "classification":
            return 1
        return self.k * self.k if self.has_truth else self.k

    def slot_names(self) -> list:
        """The output each value slice belongs to (binary: class 1)."""
        return [self.output_names[1]] if self.mirrored else list(self.output_names)


def layout_of(explainer: MimicExplainer, has_truth: bool) -> Layout:
    """The layout for this explainer; dependence bins at the quantiles of its fit sample (``train_sample``)."""
    kinds = list(explainer.schema.kinds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoded = explainer.schema.encode(explainer.train_sample, "X_train")
    edges: list[np.ndarray | None] = []
    n_bins = []
    for j, (name, kind) in enumerate(zip(explainer.feature_names, kinds, strict=True)):
        if kind == "category":
            edges.append(None)
            n_bins.append(len(explainer.schema.categories[name]))
        elif kind == "bool":
            edges.append(None)
            n_bins.append(2)
        else:
            col = encoded[:, j]
            col = col[np.isfinite(col)]
            e = np.unique(np.quantile(col, np.linspace(0, 1, DEPENDENCE_BINS + 1))) if len(col) else np.zeros(1)
            edges.append(e)
            n_bins.append(max(1, len(e) - 1))
    k = explainer._n_outputs
    mirrored = explainer.task == "classification" and k == 2
    return Layout(
        task=explainer.task,
        output_names=explainer.output_names,
        feature_names=explainer.feature_names,
        feature_kinds=kinds,
        n_slots=1 if mirrored else len(explainer.surrogates),
        edges=edges,
        n_bins=n_bins,
        categories={name: list(levels) for name, levels in explainer.schema.categories.items()},
        has_truth=has_truth,
    )


def _bins(layout: Layout, j: int, x: np.ndarray) -> np.ndarray:
    """Feature j's dependence bin per row (encoded values); missing values in the last bin, n_bins[j]."""
    nb = layout.n_bins[j]
    missing = np.isnan(x)
    e = layout.edges[j]
    if e is None:
        b = np.where(missing, nb, np.nan_to_num(x, nan=0.0)).astype(np.int64)
    else:
        b = np.searchsorted(e[1:-1], x, side="right") if len(e) > 2 else np.zeros(len(x), dtype=np.int64)
        b = np.where(missing, nb, b)
    return b


# --- aggregates -------------------------------------------------------------------------------------------------
def _combine_moments(na, ma, sa, nb, mb, sb):
    """Chan et al.'s pairwise update of (count, mean, sum of squared deviations)."""
    n = na + nb
    if n == 0:
        return n, ma, sa
    delta = mb - ma
    return n, ma + delta * (nb / n), sa + sb + delta * delta * (na * nb / n)


@dataclass
class Summary:
    """Per-partition (or merged) sums: everything the all-row figures need, nothing per row.

    Fidelity per output: the model output's count, mean and sum of squared deviations (merged pairwise, which
    keeps R^2's denominator exact to rounding), the residual sum of squares, the largest |model| and
    |surrogate| output (R^2's constant check), and the rows where both predict the same class. Classification
    metrics: the confusion counts C[true, predicted], the summed log loss, per ROC AUC class a histogram of
    scores by outcome. Regression metrics: on rows with a y_true, its moments and the sums of |error|, error^2
    and error. Dependence: per feature and bin, the count, the summed feature value and summed values."""

    n: int
    abs_sum: np.ndarray  # (f, slots)
    abs_pred: np.ndarray  # (f,): |value| for each row's predicted class, summed
    t_mean: np.ndarray  # (k,) model output
    t_m2: np.ndarray
    ss_res: np.ndarray
    t_max: np.ndarray
    p_max: np.ndarray
    agree: int
    confusion: np.ndarray | None = None  # (k, k) int64
    log_loss: float = 0.0
    auc: np.ndarray | None = None  # (classes, bins, 2): [negatives, positives]
    reg: np.ndarray | None = None  # count, mean y, m2 y, sum |e|, sum e^2, sum e, max |y|
    left_out: int = 0
    dep_count: list = field(default_factory=list)
    dep_x: list = field(default_factory=list)
    dep_value: list = field(default_factory=list)

    @classmethod
    def empty(cls, layout: Layout) -> Summary:
        f, k, s = len(layout.feature_names), layout.k, layout.n_slots
        summary = cls(
            n=0,
            abs_sum=np.zeros((f, s)),
            abs_pred=np.zeros(f),
            t_mean=np.zeros(k),
            t_m2=np.zeros(k),
            ss_res=np.zeros(k),
            t_max=np.zeros(k),
            p_max=np.zeros(k),
            agree=0,
        )
        summary.dep_count = [np.zeros(b + 1, dtype=np.int64) for b in layout.n_bins]
        summary.dep_x = [np.zeros(b + 1) for b in layout.n_bins]
        summary.dep_value = [np.zeros((b + 1, s)) for b in layout.n_bins]
        if layout.has_truth and layout.task == "classification":
            summary.confusion = np.zeros((k, k), dtype=np.int64)
            summary.auc = np.zeros((len(layout.auc_classes), layout.auc_bins, 2), dtype=np.int64)
        elif layout.has_truth:
            summary.reg = np.zeros(7)
        return summary

    def merge(self, other: Summary) -> Summary:
        out = copy.copy(self)
        na, nb = self.n, other.n
        out.n, out.t_mean, out.t_m2 = _combine_moments(na, self.t_mean, self.t_m2, nb, other.t_mean, other.t_m2)
        out.abs_sum = self.abs_sum + other.abs_sum
        out.abs_pred = self.abs_pred + other.abs_pred
        out.ss_res = self.ss_res + other.ss_res
        out.t_max = np.maximum(self.t_max, other.t_max)
        out.p_max = np.maximum(self.p_max, other.p_max)
        out.agree = self.agree + other.agree
        if self.confusion is not None and other.confusion is not None:
            out.confusion = self.confusion + other.confusion
        if self.auc is not None and other.auc is not None:
            out.auc = self.auc + other.auc
        out.log_loss = self.log_loss + other.log_loss
        if self.reg is not None and other.reg is not None:
            a, b = self.reg, other.reg
            n, mean, m2 = _combine_moments(a[0], a[1], a[2], b[0], b[1], b[2])
            out.reg = np.array([n, mean, m2, a[3] + b[3], a[4] + b[4], a[5] + b[5], max(a[6], b[6])])
        out.left_out = self.left_out + other.left_out
        out.dep_count = [x + y for x, y in zip(self.dep_count, other.dep_count, strict=True)]
        out.dep_x = [x + y for x, y in zip(self.dep_x, other.dep_x, strict=True)]
        out.dep_value = [x + y for x, y in zip(self.dep_value, other.dep_value, strict=True)]
        return out


def summarize(layout: Layout, part: PartResult, y_true, encoded: np.ndarray, predicted=None) -> Summary:
    """The aggregates of explained rows: `part` (their PartResult), their checked y_true (or None) and their
    features as the surrogate reads them; `predicted`: y_pred's class indices when known (else the scores'
    argmax, as explain() takes them)."""
    from rai_widget.explanations.tabular import label_index

    out = Summary.empty(layout)
    m = len(part.scores)
    if m == 0:
        return out
    values = part.values
    mo, so = part.model_output, part.surrogate_output
    out.n = m
    out.abs_sum = np.abs(values).sum(axis=0, dtype=np.float64)
    if layout.task == "classification" and not layout.mirrored:
        predicted = np.argmax(mo, axis=1)  # as TabularExplanation.predicted_index
        out.abs_pred = np.abs(values[np.arange(m), :, predicted]).sum(axis=0, dtype=np.float64)
    else:
        out.abs_pred = out.abs_sum[:, 0].copy()
    out.t_mean = mo.mean(axis=0)
    out.t_m2 = ((mo - out.t_mean) ** 2).sum(axis=0)
    out.ss_res = ((mo - so) ** 2).sum(axis=0)
    out.t_max = np.abs(mo).max(axis=0)
    out.p_max = np.abs(so).max(axis=0)
    if layout.task == "classification":
        out.agree = int((np.argmax(so, axis=1) == np.argmax(mo, axis=1)).sum())
    if y_true is not None and layout.task == "classification":
        k = layout.k
        t = label_index(y_true, layout.output_names)
        p = np.argmax(part.scores, axis=1) if predicted is None else predicted  # y_pred, as explain() gives it
        out.confusion = np.bincount(t * k + p, minlength=k * k).reshape(k, k)
        p_true = part.scores[np.arange(m), t]
        out.log_loss = float(-np.log(np.clip(p_true, EPS, 1 - EPS)).sum())
        bins = layout.auc_bins
        hist = np.empty((len(layout.auc_classes), bins, 2), dtype=np.int64)
        for a, c in enumerate(layout.auc_classes):
            b = np.minimum((np.clip(part.scores[:, c], 0, 1) * bins).astype(np.int64), bins - 1)
            hist[a] = np.bincount(b * 2 + (t == c), minlength=2 * bins).reshape(bins, 2)
        out.auc = hist
    elif y_true is not None:
        y = np.asarray(y_true, dtype=np.float64)
        known = ~np.isnan(y)
        y, e = y[known], part.scores[known, 0] - y[known]
        n = len(y)
        mean = float(y.mean()) if n else 0.0
        out.reg = np.array(
            [
                n,
                mean,
                float(((y - mean) ** 2).sum()),
                float(np.abs(e).sum()),
                float((e * e).sum()),
                float(e.sum()),
                float(np.abs(y).max()) if n else 0.0,
            ]
        )
        out.left_out = int((~known).sum())
    for j in range(len(layout.feature_names)):
        b = _bins(layout, j, encoded[:, j])
        size = layout.n_bins[j] + 1
        out.dep_count[j] = np.bincount(b, minlength=size)
        out.dep_x[j] = np.bincount(b, weights=np.nan_to_num(encoded[:, j]), minlength=size)
        out.dep_value[j] = np.column_stack(
            [np.bincount(b, weights=values[:, j, s].astype(np.float64), minlength=size) for s in range(layout.n_slots)]
        )
    return out


def merge_all(*results) -> Summary:
    """Merge Summaries (or (Summary, ...) tuples a partition task returns): a merge task on the cluster."""
    summaries = [r[0] if isinstance(r, tuple) else r for r in results]
    total = summaries[0]
    for s in summaries[1:]:
        total = total.merge(s)
    return total


# --- per partition ----------------------------------------------------------------------------------------------
def _prepare(explainer, frame: pd.DataFrame, y_part):
    """One partition as explain() checks a frame, and its y_true (checked, aligned by index)."""
    checked = explainer.schema.to_frame(frame, "X")
    y = None
    if y_part is not None:
        if len(y_part) != len(frame) or not frame.index.equals(y_part.index):
            raise ValueError(
                "y_true's rows are not X's (their partitions hold other index values): build both from one frame, "
                "e.g. y_true = ddf['target'] and X = ddf.drop(columns='target')."
            )
        y = explainer._check_y_true(y_part.to_numpy(), len(checked))
    return checked, y


def _encoded(explainer, frame: pd.DataFrame) -> np.ndarray:
    with warnings.catch_warnings():  # explain_part has warned about unseen categories already
        warnings.simplefilter("ignore")
        return explainer.schema.encode(frame, "X")


def _strata(layout: Layout, scores: np.ndarray, y) -> np.ndarray:
    from rai_widget.explanations.tabular import label_index

    truth = label_index(y, layout.output_names) if y is not None and layout.task == "classification" else None
    codes, _ = _sample.strata(layout.task, layout.k, np.argmax(scores, axis=1), truth)
    return codes


def tabular_of(explainer, frame: pd.DataFrame, part: PartResult, y_true) -> TabularExplanation:
    """The TabularExplanation of explained rows, as explain() builds it (one stored output for a binary
    classifier)."""
    from rai_widget.explanations.tabular import TabularExplanation

    y_pred, probabilities = explainer._predictions(part.scores)
    mirrored = explainer.task == "classification" and explainer._n_outputs == 2
    return TabularExplanation(
        data=frame,
        feature_names=explainer.feature_names,
        feature_kinds=list(explainer.schema.kinds),
        values=part.values[:, :, 0] if mirrored else part.values,
        base_values=explainer.base_values,
        surrogate_output=part.surrogate_output,
        model_output=part.model_output,
        output_names=explainer.output_names,
        task=explainer.task,
        units=explainer.units,
        y_pred=y_pred,
        y_true=y_true,
        probabilities=probabilities,
    )


def attribution_frame(explainer, frame: pd.DataFrame, part: PartResult, y_true, offset: int) -> pd.DataFrame:
    """Rows' attributions as ``exp.to_frame()`` lays them out, indexed by their global positions ("row")."""
    rows = frame.set_axis(pd.RangeIndex(offset, offset + len(frame)))
    return tabular_of(explainer, rows, part, y_true).to_frame()


def _write(table_frame: pd.DataFrame, path: str) -> None:
    pa = importlib.import_module("pyarrow")  # (by name: pyarrow ships no type information for mypy)
    pq = importlib.import_module("pyarrow.parquet")
    try:
        table = pa.Table.from_pandas(table_frame, preserve_index=True)
    except (pa.ArrowException, TypeError) as err:
        raise ValueError(
            f"the attributions do not fit a Parquet column ({err}): labels must each be of one type (e.g. all strings)."
        ) from None
    partial = path + ".partial"
    pq.write_table(table, partial)
    os.replace(partial, path)  # a retried task rewrites the file whole


def explain_task(explainer, frame, y_part, offset: int, part_no: int, layout: Layout, dtype, check_rows: int, folder):
    """One partition of the main pass: (its Summary, its rows per stratum, each row's stratum); writes its Parquet
    file to `folder`. The strata (a byte or two per row) stay on the cluster for the sample pass."""
    with _one_thread():
        if len(frame) == 0:
            return Summary.empty(layout), np.zeros(layout.n_strata, dtype=np.int64), np.zeros(0, dtype=np.uint8)
        frame, y = _prepare(explainer, frame, y_part)
        part = explainer._explain_part(frame, dtype, check_rows=check_rows)
        summary = summarize(layout, part, y, _encoded(explainer, frame))
        codes = _strata(layout, part.scores, y)
        counts = np.bincount(codes, minlength=layout.n_strata)
        if folder is not None:
            _write(
                attribution_frame(explainer, frame, part, y, offset), os.path.join(folder, PART_FILE.format(part_no))
            )
        return summary, counts, codes.astype(np.min_scalar_type(max(layout.n_strata - 1, 0)))


def sample_task(
    explainer, frame, y_part, offset: int, part_no: int, layout: Layout, quota, random_state: int, dtype, first
):
    """One partition's share of the sample: its drawn rows (index: global positions), their PartResult and
    y_true. `first` is the partition's main-pass result, whose strata say which rows to draw from (so the model
    is not called on the whole partition again): only the drawn rows are explained."""
    with _one_thread():
        codes = first[2]
        if len(codes) != len(frame):
            raise RuntimeError(
                f"internal error: the partition has {len(frame)} rows now and had {len(codes)} in the main pass (X "
                "must give the same rows each time it is computed: a random or time-dependent source cannot be "
                "explained in two passes)."
            )
        rows = _sample.part_rows(codes, quota, random_state, part_no)
        drawn, y = _prepare(explainer, frame.iloc[rows], None if y_part is None else y_part.iloc[rows])
        part = explainer._explain_part(drawn, dtype, check_rows=len(rows))
        return drawn.set_axis(pd.Index(offset + rows)), part, y


def frame_task(explainer, frame, y_part, offset: int, dtype):
    """One partition of the lazy ``exp.attributions``."""
    with _one_thread():
        frame, y = _prepare(explainer, frame, y_part)
        part = explainer._explain_part(frame, dtype)
        return attribution_frame(explainer, frame, part, y, offset)


def cohort_columns(layout: Layout, frame: pd.DataFrame, offset: int, scores, y, y_pred=None) -> C.CohortColumns:
    """A partition's column spec, as TabularExplanation.column_spec() builds it (index: global positions);
    without scores (a cohort on features and index only) just those. `y_pred`: the labels when known (read
    back from the Parquet dataset), else the scores' most probable class."""
    from rai_widget.explanations.tabular import feature_column

    m = len(frame)
    cols: dict[str, C.Column] = {}
    for name, kind, col in zip(layout.feature_names, layout.feature_kinds, frame.columns, strict=True):
        cols[name] = feature_column(frame[col], kind)
    special: dict[str, C.Column] = {}
    if scores is not None:
        if layout.task == "classification":
            from rai_widget.explainers.tabular import _labels

            probabilities = scores
            if y_pred is None:
                y_pred = _labels(layout.output_names, np.argmax(scores, axis=1))
        else:
            y_pred, probabilities = scores[:, 0], None
        special = C.outcome_columns(
            n=m,
            task=layout.task,
            output_names=layout.output_names,
            y_pred=y_pred,
            y_true=y,
            probabilities=probabilities,
        )
    special["index"] = C.number(offset + np.arange(m))
    for name, col in special.items():
        cols.setdefault(name, col)  # a feature of the same name wins
    return C.CohortColumns(cols, m)


def read_part(layout: Layout, path: str, n: int, offset: int):
    """A partition's rows read back from the Parquet dataset explain() wrote: (PartResult, y_pred, y_true).

    Everything is as the main pass computed it, but a binary classifier's first-class probability, which the
    dataset (``to_frame()``'s columns) holds as the second's complement: ``1 - p``, which may differ from the
    model's own in the last bit (confidence, the larger of the two, likewise)."""
    from rai_widget.explainers.tabular import PartResult

    pq = importlib.import_module("pyarrow.parquet")
    df = pq.read_table(path).to_pandas()
    if len(df) != n or (n and int(df.index[0]) != offset):
        raise ValueError(
            f"the Parquet dataset holds {len(df)} rows from row {df.index[0] if len(df) else '-'} in {path!r}, where "
            f"X's partition has {n} from row {offset}: it was written for other rows. Explain X again."
        )
    slots = [str(o) for o in layout.slot_names()]
    features = layout.feature_names
    values = np.stack([df[[f"value[{f}][{o}]" for f in features]].to_numpy() for o in slots], axis=2)

    def cols(what: str, names) -> np.ndarray:
        return np.column_stack([df[f"{what}[{o}]"].to_numpy(dtype=np.float64) for o in names])

    if layout.mirrored:
        model_output, surrogate = cols("model_output", slots), cols("surrogate_output", slots)
        model_output, surrogate = np.hstack([-model_output, model_output]), np.hstack([-surrogate, surrogate])
        p1 = cols("probability", slots)
        scores = np.hstack([1.0 - p1, p1])
    else:
        names = [str(o) for o in layout.output_names]
        model_output, surrogate = cols("model_output", names), cols("surrogate_output", names)
        scores = cols("probability", names) if layout.task == "classification" else model_output.copy()
    y_true = df["y_true"].to_numpy() if "y_true" in df.columns else None
    return PartResult(values, surrogate, model_output, scores), df["y_pred"].to_numpy(), y_true


def cohort_task(
    explainer,
    frame,
    y_part,
    offset: int,
    layout: Layout,
    cohort_json: dict,
    needs_model: bool,
    mode: str,
    dtype,
    path: str | None = None,
):
    """One partition of a pushed-down cohort: its row count (mode "count") or the Summary of its rows. With
    `path` (the partition's file of the Parquet dataset explain() wrote) the predictions and attributions are
    read back from it, so neither the model nor TreeSHAP runs; else the model labels the rows the cohort needs
    it for and TreeSHAP explains the cohort's rows."""
    from rai_widget.cohorts import Cohort
    from rai_widget.explanations.tabular import label_index

    with _one_thread():
        if len(frame) == 0:
            return 0 if mode == "count" else Summary.empty(layout)
        if path is not None and not needs_model and mode == "count":
            path = None  # a count on features and index alone needs no predictions
        if path is not None:
            frame, _ = _prepare(explainer, frame, None)
            part, y_pred, y = read_part(layout, path, len(frame), offset)
            columns = cohort_columns(layout, frame, offset, part.scores, y, y_pred)
        else:
            frame, y = _prepare(explainer, frame, y_part)
            scores = explainer.model_scores(frame) if needs_model else None
            columns = cohort_columns(layout, frame, offset, scores, y)
        mask = Cohort.from_json(cohort_json).mask(columns)
        if mode == "count":
            return int(mask.sum())
        if not mask.any():
            return Summary.empty(layout)
        rows = frame.iloc[np.flatnonzero(mask)]
        y = None if y is None else y[mask]
        if path is None:  # TreeSHAP on the cohort's rows only (the model on them too)
            return summarize(layout, explainer._explain_part(rows, dtype), y, _encoded(explainer, rows))
        picked = type(part)(*(getattr(part, a)[mask] for a in ("values", "surrogate_output", "model_output", "scores")))
        predicted = label_index(y_pred[mask], layout.output_names) if layout.task == "classification" else None
        return summarize(layout, picked, y, _encoded(explainer, rows), predicted)


# --- the client's side ------------------------------------------------------------------------------------------
def _check_out(out) -> Path | None:
    if out is None:
        return None
    if not isinstance(out, (str, PathLike)):
        raise TypeError(
            f"out must be a path (a str or pathlib.Path) of the Parquet dataset to write, not {shown(out)}."
        )
    path = Path(out)
    if path.exists():
        raise FileExistsError(
            f"out={str(out)!r} exists already; explain() never overwrites a dataset. Remove it first "
            f"(shutil.rmtree({str(out)!r})) or give another path."
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"out={str(out)!r}: the folder {str(folder)!r} does not exist; create it first.")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"out={str(out)!r}: the folder {str(folder)!r} is not writable.")
    try:
        importlib.import_module("pyarrow")
    except ImportError:
        raise ImportError('explain(out=...) writes Parquet with pyarrow: pip install "rai-widget[parquet]"') from None
    return path


def _check_frames(explainer, X, y_true) -> None:
    from rai_widget.explainers._tabular_data import _column_mismatch

    if not is_dask_frame(X):
        raise TypeError(
            f"X is a dask {type(X).__name__}, not a DataFrame: pass the rows as a dask DataFrame with X_train's "
            "columns (a Series: X.to_frame())."
        )
    got = [str(c) for c in X.columns]
    if got != explainer.feature_names:
        raise ValueError(_column_mismatch(got, explainer.feature_names, "X"))
    if y_true is None:
        return
    if not is_dask_series(y_true):
        raise TypeError(
            f"y_true of a dask X must be a dask Series with X's partitions (e.g. y_true = ddf['target'], "
            f"X = ddf.drop(columns='target')), not {type(y_true).__name__}."
        )
    if y_true.npartitions != X.npartitions:
        raise ValueError(
            f"y_true has {y_true.npartitions} partitions but X has {X.npartitions}: build both from one frame "
            "(y_true = ddf['target'], X = ddf.drop(columns='target'))."
        )


class _Rows:
    """The partitions' lengths and where each starts (global row positions)."""

    def __init__(self, lengths):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.n = int(self.lengths.sum())

    def describe(self, i: int) -> str:
        start = int(self.offsets[i])
        return f"partition {i} of {len(self.lengths)} (rows {start} to {start + int(self.lengths[i]) - 1})"


def _lengths(client, X) -> _Rows:
    """X's partition lengths (one light pass). y_true's are checked in each task, against its partition of X."""
    from dask import delayed

    try:
        lengths = client.gather(client.compute([delayed(len)(p) for p in X.to_delayed()]))
    except Exception as err:
        raise ValueError(f"the length of X's partitions could not be computed: {type(err).__name__}: {err}") from None
    rows = _Rows(lengths)
    if rows.n == 0:
        raise ValueError("X has no rows to explain.")
    return rows


def _failure(err: BaseException, where: str, wrote: bool) -> Exception:
    """A task's error as the client raises it: its type when it is one of ours, naming the partition."""
    note = " Nothing was written to out." if wrote else ""
    message = f"{str(err).rstrip('.')} (in {where}).{note}"
    if isinstance(err, (ValueError, TypeError, ModelPredictError)):
        try:
            return type(err)(message)
        except Exception:  # an exception class that takes other arguments
            pass
    return RuntimeError(f"explain() failed in {where}: {type(err).__name__}: {str(err).rstrip('.')}.{note}")


def run_tasks(client, futures: list, rows: _Rows, indices: list[int], desc: str, show: bool, wrote: bool):
    """Wait for the partition futures with a progress bar; raise the first failure clearly (cancelling the rest).
    A PASS_WATCH set in this thread is told of the futures and of each partition done."""
    from distributed import as_completed

    where = {f.key: i for f, i in zip(futures, indices, strict=True)}
    watch = PASS_WATCH.get()
    try:
        if watch is not None:
            watch.started(client, futures)
        with tqdm(total=len(futures), disable=not show, unit="partition", desc=desc) as bar:
            for done, fut in enumerate(as_completed(futures), start=1):
                if fut.status == "error":
                    raise _failure(fut.exception(), rows.describe(where[fut.key]), wrote)
                if fut.status != "finished":
                    raise RuntimeError(
                        f"the work on {rows.describe(where[fut.key])} was cancelled: the cluster was restarted or "
                        "closed during explain(). Run it again." + (" Nothing was written to out." if wrote else "")
                    )
                bar.update(1)
                if watch is not None:
                    watch.update(done, len(futures))  # (not bar.n: a disabled bar counts nothing)
    except BaseException:
        client.cancel(futures)
        raise


def reduce_on_cluster(client, futures: list):
    """Merge the partitions' Summaries on the cluster (a tree of merge tasks) and fetch the one result."""
    level = list(futures)
    while True:  # at least one merge: it also takes a lone partition's Summary out of its (Summary, counts)
        level = [
            client.submit(merge_all, *level[i : i + MERGE_FAN_IN], pure=False)
            for i in range(0, len(level), MERGE_FAN_IN)
        ]
        if len(level) == 1:
            return level[0].result()


def _partitions(X, y_true):
    xs = X.to_delayed()
    ys = y_true.to_delayed() if y_true is not None else [None] * len(xs)
    return xs, ys


def explain_dask(
    explainer: MimicExplainer,
    X,
    y_true=None,
    out=None,
    dtype="float64",
    sample_rows: int = _sample.DEFAULT_SAMPLE_ROWS,
    progress: bool | None = None,
) -> LargeTabularExplanation:
    """``explainer.explain(X)`` of a dask DataFrame: see the module's docstring and LargeTabularExplanation."""
    from dask import delayed

    from rai_widget.explainers.tabular import ADDITIVITY_CHECK_ROWS, PROGRESS_MIN_ROWS, _value_dtype
    from rai_widget.explanations.large import LargeTabularExplanation

    progress = check_progress(progress)
    dtype = _value_dtype(dtype)
    sample_rows = _sample.check_sample_rows(sample_rows)
    _check_frames(explainer, X, y_true)
    target = _check_out(out)
    client = _client()
    rows = _lengths(client, X)
    show = rows.n >= PROGRESS_MIN_ROWS if progress is None else progress
    layout = layout_of(explainer, y_true is not None)
    xs, ys = _partitions(X, y_true)
    live = [i for i in range(len(xs)) if rows.lengths[i] > 0]
    check_rows = max(64, -(-2 * ADDITIVITY_CHECK_ROWS // len(live)))
    folder = None
    if target is not None:
        folder = target.parent / f".{target.name}.rai-widget-{uuid.uuid4().hex[:12]}.partial"
        folder.mkdir()
    futures: list = []
    first: list = []
    try:
        shipped = _scatter(client, explainer)
        tasks = [
            delayed(explain_task, pure=False)(
                shipped,
                xs[i],
                ys[i],
                int(rows.offsets[i]),
                i,
                layout,
                dtype,
                check_rows,
                None if folder is None else str(folder),
            )
            for i in live
        ]
        first = client.compute(tasks)
        run_tasks(client, first, rows, live, "Explaining partitions", show, folder is not None)
        summary = reduce_on_cluster(client, first)
        counts = np.array(client.gather([client.submit(operator.itemgetter(1), f) for f in first]))
        quota = _sample.allocate(counts.sum(axis=0), sample_rows)
        shares = _sample.split_quotas(counts, quota, explainer.random_state)
        drawn_parts = [j for j in range(len(live)) if shares[j].sum()]
        tasks = [
            delayed(sample_task, pure=False)(
                shipped,
                xs[live[j]],
                ys[live[j]],
                int(rows.offsets[live[j]]),
                live[j],
                layout,
                shares[j],
                explainer.random_state,
                dtype,
                first[j],
            )
            for j in drawn_parts
        ]
        futures = client.compute(tasks)
        run_tasks(client, futures, rows, [live[j] for j in drawn_parts], "Drawing the sample", show, folder is not None)
        drawn = client.gather(futures)
        futures = first = []
        sample = _sample_explanation(explainer, drawn)
        if folder is not None:
            assert target is not None
            os.rename(folder, target)  # complete: only now does `out` exist
            folder = None
    except BaseException:
        if futures or first:
            client.cancel(futures + first)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    large = LargeTabularExplanation(
        explainer=explainer,
        X=X,
        y_true=y_true,
        rows=rows,
        layout=layout,
        summary=summary,
        sample=sample,
        out=target,
        dtype=dtype.name,
    )
    scores = sample.probabilities if sample.probabilities is not None else sample.model_output
    explainer._warn_about_fidelity(large.fidelity, scores)
    return large


def _sample_explanation(explainer, drawn: list) -> TabularExplanation:
    """The sample's TabularExplanation from the partitions' drawn rows (in partition order)."""
    from rai_widget.explainers.tabular import PartResult
    from rai_widget.explanations.tabular import surrogate_fidelity

    frames = [d[0] for d in drawn]
    part = PartResult(
        *(
            np.concatenate([getattr(d[1], name) for d in drawn])
            for name in ("values", "surrogate_output", "model_output", "scores")
        )
    )
    y = None if drawn[0][2] is None else np.concatenate([d[2] for d in drawn])
    frame = pd.concat(frames) if len(frames) > 1 else frames[0]
    exp = tabular_of(explainer, frame, part, y)
    exp.fidelity = surrogate_fidelity(exp.model_output, exp.surrogate_output, exp.task, exp.output_names)
    exp.explainer = explainer
    return exp


def lazy_attributions(explainer, X, y_true, rows: _Rows, meta: pd.DataFrame, dtype):
    """``exp.attributions`` without ``out``: a dask frame whose partitions are explained when computed (the
    explainer travels in the graph, so it works on any later client)."""
    import dask.dataframe as dd
    from dask import delayed

    shipped = delayed(_shippable(explainer), pure=True, traverse=False)
    xs, ys = _partitions(X, y_true)
    live = [i for i in range(len(xs)) if rows.lengths[i] > 0]
    parts = [delayed(frame_task, pure=True)(shipped, xs[i], ys[i], int(rows.offsets[i]), dtype) for i in live]
    divisions = tuple(int(rows.offsets[i]) for i in live) + (rows.n - 1,)
    return dd.from_delayed(parts, meta=meta, divisions=divisions, verify_meta=False)


def cohort_pass(
    large: LargeTabularExplanation, cohort_json: dict, needs_model: bool, mode: str, desc: str, progress=None
):
    """A pushed-down cohort: the partition counts summed (mode "count"), or the merged Summary of its rows.
    `progress`: a bar over the partitions (None: for 20,000 rows or more)."""
    from dask import delayed

    from rai_widget.explainers.tabular import PROGRESS_MIN_ROWS

    client = _client()
    show = large._rows.n >= PROGRESS_MIN_ROWS if progress is None else progress
    xs, ys = _partitions(large._X, large._y_true)
    live = [i for i in range(len(xs)) if large._rows.lengths[i] > 0]
    futures: list = []
    try:
        shipped = _scatter(client, large.explainer)
        # the dataset explain() wrote, while it is there: read back instead of running the model and TreeSHAP
        stored = large.out if large.out is not None and large.out.is_dir() else None
        tasks = [
            delayed(cohort_task, pure=False)(
                shipped,
                xs[i],
                None if stored is not None else ys[i],
                int(large._rows.offsets[i]),
                large._layout,
                cohort_json,
                needs_model,
                mode,
                large.dtype,
                None if stored is None else str(stored / PART_FILE.format(i)),
            )
            for i in live
        ]
        futures = client.compute(tasks)
        run_tasks(client, futures, large._rows, live, desc, show, False)
        if mode == "count":
            return int(sum(client.gather(futures)))
        return reduce_on_cluster(client, futures)
    except BaseException:
        if futures:
            client.cancel(futures)
        raise


def fit_sample(X_train, surrogate_rows: int = 300_000, random_state: int = 0) -> pd.DataFrame:
    """A uniform random sample of at most ``surrogate_rows`` rows of a dask frame, drawn on the cluster.

    The partitions' lengths are computed first; the positions are drawn without replacement
    (``numpy.random.default_rng(random_state)``), and each partition returns only its drawn rows, in order,
    with their index. Every row when the frame has no more than ``surrogate_rows``."""
    dask = _dask()
    from dask import delayed

    if isinstance(surrogate_rows, bool) or not isinstance(surrogate_rows, (int, np.integer)) or surrogate_rows < 1:
        raise ValueError(f"surrogate_rows must be a whole number of rows >= 1, not {shown(surrogate_rows)}.")
    rs = _sample.check_random_state(random_state)
    parts = X_train.to_delayed()
    rows = _Rows(dask.compute(*[delayed(len)(p) for p in parts]))
    if rows.n == 0:
        raise ValueError("X_train has no rows; the surrogate needs data to learn the model's behaviour from.")
    if rows.n <= surrogate_rows:
        taken = dask.compute(*parts)
    else:
        chosen = np.sort(np.random.default_rng(rs).choice(rows.n, int(surrogate_rows), replace=False))
        bounds = np.searchsorted(chosen, np.concatenate([rows.offsets, [rows.n]]))
        picks = [(p, chosen[bounds[i] : bounds[i + 1]] - rows.offsets[i]) for i, p in enumerate(parts)]
        taken = dask.compute(*[delayed(_take)(p, local) for p, local in picks if len(local)])
    frames = [t for t in taken if len(t)]
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def _take(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return frame.iloc[positions]
