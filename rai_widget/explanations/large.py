"""LargeTabularExplanation: what ``MimicExplainer.explain`` of a Dask frame returns.

Every figure it holds is over *all* the explained rows, computed on the cluster from per-partition aggregates
(rai_widget.explainers._distributed.Summary): global importance, fidelity, model performance and binned
dependence. The rows themselves stay on the cluster (``attributions``: the Parquet dataset of ``out=``, or a lazy
dask frame); ``sample`` is a stratified sample of them as an ordinary TabularExplanation for the row-level views.
A cohort is pushed down: its JSON is evaluated on every partition by the same evaluator as for a pandas
explanation (``rai_widget.cohorts``), and the figures of its rows come back (``population``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from rai_widget._checks import check_progress, shown

if TYPE_CHECKING:
    from rai_widget.explainers._distributed import Layout, Summary, _Rows
    from rai_widget.explanations.tabular import TabularExplanation

PREDICTED = "predicted"
# The special columns a cohort can filter on without the model's predictions.
_WITHOUT_MODEL = {"index"}


def _nan_none(value):
    """A figure as JSON holds it: NaN (and infinities) as None."""
    if isinstance(value, dict):
        return {k: _nan_none(v) for k, v in value.items()}
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


# --- figures from aggregates ------------------------------------------------------------------------------------
def importance(layout: Layout, summary: Summary, output, output_index) -> tuple[np.ndarray, str]:
    """(mean |value| per feature, the label global_importance names it by), as TabularExplanation's."""
    n = summary.n
    denominator = max(n, 1)
    if output is None:
        imp = summary.abs_sum.mean(axis=1) / denominator
        label = "mean |value|, averaged over outputs"
    elif isinstance(output, str) and output == PREDICTED and PREDICTED not in layout.output_names:
        imp = summary.abs_pred / denominator
        label = "mean |value| for the predicted class"
    else:
        k = output_index(output)
        imp = summary.abs_sum[:, 0 if layout.mirrored else k] / denominator
        label = f"mean |value| for {layout.output_names[k]}"
    return (imp if n else np.zeros(len(layout.feature_names))), label


def _r2(n, ss_tot, ss_res, t_max, p_max, floor) -> float:
    """rai_widget.explanations.tabular._r2, from sums."""
    from rai_widget.explanations.tabular import R2_TOLERANCE

    if n < 2:
        return float("nan")
    scale = max(float(t_max), float(p_max), floor)
    negligible = n * (R2_TOLERANCE * scale) ** 2
    if ss_tot <= negligible:
        return 1.0 if ss_res <= negligible else float("nan")
    return 1.0 - float(ss_res) / float(ss_tot)


def fidelity(layout: Layout, summary: Summary) -> dict:
    """``surrogate_fidelity``'s dict (same keys, same definitions) from the sums of all the rows."""
    k, n = layout.k, summary.n
    outputs = [1] if layout.mirrored else range(k)
    floor = 1.0 if layout.task == "classification" else 0.0
    per_output = {
        str(layout.output_names[c]): _r2(
            n, summary.t_m2[c], summary.ss_res[c], summary.t_max[c], summary.p_max[c], floor
        )
        for c in outputs
    }
    defined = [v for v in per_output.values() if np.isfinite(v)]
    out: dict = {"r2": float(np.mean(defined)) if defined else float("nan")}
    if layout.task == "classification":
        out["agreement"] = summary.agree / n if n else float("nan")
    out["r2_per_output"] = per_output
    out["rows"] = int(n)
    return out


def _auc(hist: np.ndarray) -> tuple[float, float]:
    """(ROC AUC, the most it can be off) from a (bins, 2) histogram of scores by [negative, positive]: pairs in
    one bin count half, as ties do; a pair of different scores in one bin is off by half a pair."""
    neg, pos = hist[:, 0].astype(np.float64), hist[:, 1].astype(np.float64)
    pairs = pos.sum() * neg.sum()
    if pairs == 0:
        return float("nan"), 0.0
    below = np.cumsum(neg) - neg
    return float((pos * (below + neg / 2)).sum() / pairs), float((pos * neg).sum() / (2 * pairs))


def metrics_frame(layout: Layout, summary: Summary) -> pd.DataFrame:
    """The point figures of ``TabularExplanation.metrics`` (same names, same definitions) from the sums."""
    from rai_widget.explanations._metrics import COLUMNS, _Classification, _Regression

    notes: dict[str, str] = {}
    if layout.task == "classification":
        assert summary.confusion is not None and summary.auc is not None
        classes = [str(c) for c in layout.output_names]
        k = layout.k
        names = _Classification.names(cast(Any, _names_of(classes)))  # the names TabularExplanation.metrics gives
        cm = summary.confusion.astype(np.float64)
        total = cm.sum()
        tp = np.diagonal(cm)
        true_c, pred_c = cm.sum(axis=1), cm.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = np.where(pred_c > 0, tp / np.maximum(pred_c, 1), 0.0)
            recall = np.where(true_c > 0, tp / np.maximum(true_c, 1), 0.0)
            f1 = np.where(true_c + pred_c > 0, 2 * tp / np.maximum(true_c + pred_c, 1), 0.0)
        present = (true_c + pred_c) > 0

        def macro(v):
            return float(v[present].mean()) if present.any() else float("nan")

        aucs = []
        for a, c in enumerate(layout.auc_classes):
            value, off = _auc(summary.auc[a])
            aucs.append(value)
            name = "ROC AUC" if k == 2 else f"ROC AUC: {classes[c]}"
            if np.isfinite(value):
                notes[name] = f"from histograms of {layout.auc_bins} score bins: within {off:.2g} of the exact value"
            else:
                has = summary.auc[a][:, 1].sum() > 0
                notes[name] = f"undefined: {'every row' if has else 'no row'} of these has true class {classes[c]}"
        defined = [v for v in aucs if np.isfinite(v)]
        auc_macro = float(np.mean(defined)) if defined else float("nan")
        values = [
            tp.sum() / total if total else np.nan,
            macro(precision),
            macro(recall),
            macro(f1),
            aucs[0] if k == 2 else auc_macro,
            summary.log_loss / total if total else np.nan,
            *precision,
            *recall,
            *f1,
        ]
        if k > 2:
            values += aucs
        n = int(total)
        left_out = 0
    else:
        assert summary.reg is not None
        count, _, m2, sum_abs, sum_sq, sum_err, max_y = summary.reg
        names = _Regression.names()
        negligible = (1e-9 * max_y) ** 2
        if count:
            r2 = 1 - sum_sq / m2 if count >= 2 and m2 > count * negligible else np.nan
            values = [sum_abs / count, np.sqrt(sum_sq / count), r2, sum_err / count]
        else:
            values = [np.nan] * 4
        if count == 0:
            notes = {name: "no rows" for name in names}
        elif count < 2:
            notes = {"R²": "undefined on fewer than 2 rows"}
        elif not np.isfinite(values[2]):
            notes = {"R²": "undefined: y_true is constant on these rows"}
        n = int(count)
        left_out = int(summary.left_out)
    if n == 0:
        values = [np.nan] * len(names)
        notes = {name: "no rows" for name in names}
    nan = np.full(len(names), np.nan)
    df = pd.DataFrame({"metric": names, "value": np.asarray(values, dtype=np.float64), "ci_low": nan, "ci_high": nan})
    df["n"] = n
    df = df[COLUMNS]
    df.attrs = {"rows": int(summary.n), "left_out": left_out, "notes": notes, "ci": None, "n_boot": 0}
    return df


class _names_of:
    """What _Classification.names reads (the class names and their count)."""

    def __init__(self, classes: list[str]):
        self.classes, self.k = classes, len(classes)


def dependence(layout: Layout, summary: Summary) -> dict[str, pd.DataFrame]:
    """Per feature, its binned dependence over all rows (see LargeTabularExplanation.dependence)."""
    out = {}
    slots = [str(o) for o in layout.slot_names()]
    for j, name in enumerate(layout.feature_names):
        count = summary.dep_count[j]
        nb = layout.n_bins[j]
        e = layout.edges[j]
        if e is None:
            if layout.feature_kinds[j] == "bool":
                labels = ["False", "True"]
            else:
                labels = [str(c) for c in layout.categories[name]]
            low = high = np.full(nb, np.nan)
        else:
            low = e[:-1] if len(e) > 1 else e
            high = e[1:] if len(e) > 1 else e
            labels = [f"[{lo:.6g}, {hi:.6g})" for lo, hi in zip(low, high, strict=True)]
        with np.errstate(invalid="ignore", divide="ignore"):
            frame = pd.DataFrame(
                {
                    "bin": [*labels, "missing"],
                    "low": np.r_[low, np.nan],
                    "high": np.r_[high, np.nan],
                    "count": count,
                    "feature_value": np.where(count > 0, summary.dep_x[j] / np.maximum(count, 1), np.nan),
                    **{
                        f"value[{o}]": np.where(count > 0, summary.dep_value[j][:, s] / np.maximum(count, 1), np.nan)
                        for s, o in enumerate(slots)
                    },
                }
            )
        frame.attrs = {"feature": name, "kind": layout.feature_kinds[j]}
        out[name] = frame
    return out


class LargeTabularExplanation:
    """Local attributions for more rows than one machine holds: ``MimicExplainer.explain`` of a Dask frame.

    Every figure here covers *all* ``n_rows`` rows, computed on the cluster; the rows' attributions stay there
    (``attributions``), and ``sample`` holds a stratified sample of them as an ordinary
    ``TabularExplanation`` (every class, and both outcomes when y_true is known, represented; its
    ``data.index`` holds the rows' global positions 0..n_rows-1). A cohort is pushed down: ``population``,
    ``global_importance``, ``metrics`` and ``cohort_count`` of a cohort evaluate its JSON on every partition
    with ``rai_widget.cohorts``, as on a pandas explanation (numbers compared at float32), in one pass over X
    on the cluster. When explain() wrote ``out`` (and it is still there), each partition's predictions and
    attributions are read back from it: no model call, no TreeSHAP (a binary classifier's first-class
    probability is read as 1 - the second's, which may differ from the model's own in the last bit). Otherwise
    the model is called on every row when the cohort filters on a prediction column (``y_pred``, ``correct``,
    ``confidence``, ``error``) and TreeSHAP runs on the cohort's rows only.

    ``explain()`` makes it; its parameters are the engine's (rai_widget/explainers/_distributed.py), not built
    by hand.

    Parameters
    ----------
    explainer : MimicExplainer
        The explainer that explained the rows.
    X : dask DataFrame
        The explained rows.
    y_true : dask Series or None
        Their true labels, with X's partitions.
    rows : object
        The partitions' lengths and offsets.
    layout : Layout
        The shape of the aggregates (outputs, features, dependence bins).
    summary : Summary
        The aggregates over all rows.
    sample : TabularExplanation
        The stratified sample.
    out : pathlib.Path or None
        The Parquet dataset written.
    dtype : str
        What the values are computed as (``"float64"`` or ``"float32"``).

    Attributes
    ----------
    n_rows : int
        The explained rows.
    sample : TabularExplanation
        A stratified sample of at most ``sample_rows`` (explain()'s, default 100,000) of them, with the
        explainer attached (``sample.show()`` works as for any explanation).
    feature_names, feature_kinds, output_names, task, units
        As a TabularExplanation's.
    base_values : ndarray
        (outputs,): the surrogate's expected output.
    fidelity : dict
        ``r2``, ``agreement`` (classification), ``r2_per_output`` and ``rows`` over all rows, as
        ``surrogate_fidelity`` defines them.
    dependence : dict of DataFrame
        Per feature, its attributions binned by the feature's value: numeric features in bins at the quantiles
        of the explainer's fit sample (``train_sample``; the first and last bins also hold the values beyond
        them), categories and booleans one bin per value, and a last bin ``"missing"``. Columns: ``bin``,
        ``low``, ``high`` (NaN but for numeric bins), ``count``, ``feature_value`` (the mean value as the
        surrogate reads it: categories as codes) and per output ``value[<output>]``, the mean attribution (a
        binary classifier's positive class only). NaN means for an empty bin.
    attributions : dask DataFrame
        Every row's attributions with ``exp.to_frame()``'s columns and index (``row``: the global position):
        the Parquet dataset at ``out`` read lazily, else a lazy frame that explains X's partitions again when
        computed.
    out : pathlib.Path or None
        The Parquet dataset explain() wrote.
    explainer : MimicExplainer
        The explainer that made it (the cohort passes need its model).
    """

    kind = "tabular"

    def __init__(
        self,
        *,
        explainer,
        X,
        y_true,
        rows: _Rows,
        layout: Layout,
        summary: Summary,
        sample: TabularExplanation,
        out: Path | None,
        dtype: str,
    ):
        self.explainer = explainer
        self._X = X
        self._y_true = y_true
        self._rows = rows
        self._layout = layout
        self._summary = summary
        self.sample = sample
        self.out = out
        self.dtype = dtype
        self.n_rows = rows.n
        self.feature_names = list(layout.feature_names)
        self.feature_kinds = list(layout.feature_kinds)
        self.output_names = list(layout.output_names)
        self.task = layout.task
        self.units = explainer.units
        self.base_values = np.asarray(explainer.base_values)
        self.fidelity = fidelity(layout, summary)
        self.dependence = dependence(layout, summary)
        self._attributions: Any = None

    def __len__(self) -> int:
        return self.n_rows

    def __repr__(self) -> str:
        fid = ", ".join(f"{k}={v:.3f}" for k, v in self.fidelity.items() if isinstance(v, float))
        where = f"attributions in {str(self.out)!r}" if self.out is not None else "attributions lazy"
        return (
            f"LargeTabularExplanation({self.n_rows} rows x {len(self.feature_names)} features, task={self.task!r}, "
            f"outputs={self.output_names}, units={self.units!r}, sample of {len(self.sample)}, fidelity: {fid}, "
            f"{where})"
        )

    # --- rows ----------------------------------------------------------------------------------------------------
    @property
    def attributions(self):
        """Every row's attributions as a lazy dask DataFrame (see the class's docstring)."""
        if self._attributions is None:
            if self.out is not None:
                import dask.dataframe as dd

                self._attributions = dd.read_parquet(str(self.out))
            else:
                from rai_widget.explainers._distributed import lazy_attributions

                meta = self.sample.to_frame().iloc[:0]
                self._attributions = lazy_attributions(
                    self.explainer, self._X, self._y_true, self._rows, meta, np.dtype(self.dtype)
                )
        return self._attributions

    def output_index(self, output) -> int:
        """An output's index by name or position (as ``TabularExplanation.output_index``).

        Parameters
        ----------
        output : str or int
            An output's name (or its text), or an index.

        Returns
        -------
        int
            Its index in ``output_names``.
        """
        return self.sample.output_index(output)

    # --- cohorts, pushed down ------------------------------------------------------------------------------------
    def _cohort_json(self, cohort) -> dict | None:
        """The cohort's JSON (None: every row), checked on the sample's columns (so a bad cohort fails at once)."""
        from rai_widget.cohorts import Cohort

        if cohort is None:
            return None
        if isinstance(cohort, dict):
            cohort = Cohort.from_json(cohort)
        if not isinstance(cohort, Cohort):
            raise TypeError(
                f"a large explanation takes a cohort as an rw.Cohort or its JSON, not {shown(cohort)}: a mask or row "
                "indices would be one value per row of all the rows."
            )
        cohort.mask(self.sample)  # ValueError naming the filter a column spec cannot evaluate
        return None if not cohort.filters else cohort.to_json()

    def _needs_model(self, cohort_json: dict) -> bool:
        columns = {f["column"] for f in cohort_json["filters"]}
        return not columns <= (set(self.feature_names) | _WITHOUT_MODEL)

    def _summary_of(self, cohort, progress=None) -> Summary:
        from rai_widget.explainers._distributed import cohort_pass

        cohort_json = self._cohort_json(cohort)
        if cohort_json is None:
            return self._summary
        needs_model = self._needs_model(cohort_json)
        return cohort_pass(self, cohort_json, needs_model, "summary", f"Cohort {cohort_json['name']!r}", progress)

    def cohort_count(self, cohort) -> int:
        """How many of all the rows a cohort holds: its JSON evaluated on every partition (the model is called
        only when it filters on a prediction column).

        Parameters
        ----------
        cohort : Cohort or dict
            An ``rw.Cohort`` or its JSON.

        Returns
        -------
        int
        """
        from rai_widget.explainers._distributed import cohort_pass

        cohort_json = self._cohort_json(cohort)
        if cohort_json is None:
            return self.n_rows
        return cohort_pass(
            self, cohort_json, self._needs_model(cohort_json), "count", f"Counting {cohort_json['name']!r}"
        )

    def global_importance(self, cohort=None, output=None) -> pd.Series:
        """Mean |value| per feature over all of a cohort's rows, largest first (as TabularExplanation's).

        Parameters
        ----------
        cohort : Cohort or dict, optional
            None: every row (no pass); else a pass on the cluster.
        output : str or int, optional
            None averages over outputs, ``"predicted"`` uses each row's predicted class, or an output's name or
            index.

        Returns
        -------
        Series
            Indexed by feature, named after what it averages and the units.
        """
        summary = self._summary_of(cohort)
        imp, label = importance(self._layout, summary, output, self.output_index)
        series = pd.Series(imp, index=pd.Index(self.feature_names, name="feature"), name=f"{label} ({self.units})")
        return series.sort_values(ascending=False, kind="stable")

    def cohort_fidelity(self, cohort=None) -> dict:
        """The surrogate's fidelity over all of a cohort's rows.

        Parameters
        ----------
        cohort : Cohort or dict, optional
            None: every row (no pass); else a pass on the cluster.

        Returns
        -------
        dict
            ``fidelity``'s keys: ``r2``, ``agreement`` (classification), ``r2_per_output``, ``rows``.
        """
        return fidelity(self._layout, self._summary_of(cohort))

    def metrics(self, cohort=None) -> pd.DataFrame:
        """The model's performance over all of a cohort's rows: the point figures of ``TabularExplanation.metrics``.

        Same metric names and definitions, from counts and sums over every row. There are no intervals:
        ``ci_low`` and ``ci_high`` are NaN (a bootstrap would resample every row; over millions of rows the
        intervals are narrower than the figures' rounding anyway); ``exp.sample.metrics()`` has intervals for
        the sample. ROC AUC comes from histograms of the scores (65,536 bins for a binary classifier, 16,384 per
        class beyond): ``df.attrs["notes"]`` says how far it can be from the exact value (pairs of different
        scores in one bin count half, as ties do).

        Parameters
        ----------
        cohort : Cohort or dict, optional
            None: every row (no pass); else a pass on the cluster.

        Returns
        -------
        DataFrame
            Columns metric, value, ci_low, ci_high (NaN), n.

        Raises
        ------
        ValueError
            No y_true was given to explain().
        """
        if self._y_true is None:
            raise ValueError(
                "metrics compare predictions with the true labels, which this explanation does not have: pass "
                "y_true= (a dask Series with X's partitions) to explain()."
            )
        return metrics_frame(self._layout, self._summary_of(cohort))

    def population(self, cohort=None, progress: bool | None = False) -> dict:
        """A cohort's figures over all its rows, JSON-ready, in one pass on the cluster.

        Returns exactly::

            {"rows": int,                                    # the cohort's rows among all n_rows
             "importance": {str(output): [float, ...]},       # every output in output_names order: mean |value|
                                                             # per feature, in feature order (a binary
                                                             # classifier's two classes have the same)
             "fidelity": {"r2", "agreement" (classification), "r2_per_output": {str(output): r2}, "rows"},
             "metrics": [{"metric": str, "value": float, "n": int}, ...]}   # metrics()' figures; [] without y_true

        NaN figures (an empty cohort's, an undefined R²) are None, so the dict is valid JSON.

        Parameters
        ----------
        cohort : Cohort or dict, optional
            An ``rw.Cohort`` or its JSON; None: every row (no pass: the figures explain() computed).
        progress : bool or None, optional
            A progress bar over the partitions (tqdm, as explain()'s); None: for 20,000 rows or more. Off by
            default: the dashboard calls this from a kernel job, where a bar would land in whichever cell is
            running (its view shows "x of y partitions" instead, and a newer cohort cancels the pass).

        Returns
        -------
        dict
        """
        summary = self._summary_of(cohort, check_progress(progress))
        layout = self._layout
        imp = {
            str(name): [float(v) for v in importance(layout, summary, k, self.output_index)[0]]
            for k, name in enumerate(self.output_names)
        }
        result: dict = {"rows": int(summary.n), "importance": imp, "fidelity": _nan_none(fidelity(layout, summary))}
        records = []
        if self._y_true is not None:
            df = metrics_frame(layout, summary)
            records = [
                {"metric": str(m), "value": _nan_none(float(v)), "n": int(n)}
                for m, v, n in zip(df["metric"], df["value"], df["n"], strict=True)
            ]
        result["metrics"] = records
        result["importance"] = {k: [_nan_none(v) for v in vals] for k, vals in imp.items()}
        return result

    # --- display and files ---------------------------------------------------------------------------------------
    def show(self, **kwargs):
        """The dashboard: the sample drawn at once, the figures over every row beside it.

        Parameters
        ----------
        **kwargs
            Passed to ``ExplanationDashboard`` (``cohorts=``, ...).

        Returns
        -------
        ExplanationDashboard
        """
        from rai_widget.widget import ExplanationDashboard

        return ExplanationDashboard(cast(Any, self), **kwargs)

    def save(self, path=None):
        """Not available: a large explanation's rows live on the cluster.

        Parameters
        ----------
        path : str or Path, optional
            Ignored.

        Returns
        -------
        None
            It always raises.

        Raises
        ------
        NotImplementedError
            Always, saying what to do instead.
        """
        raise NotImplementedError(
            "a LargeTabularExplanation is not saved to one file: its rows' attributions are the Parquet dataset "
            "explain(X, out='attributions.parquet') writes (read it with dask.dataframe.read_parquet), and "
            "exp.sample.save(path) saves the sample as a TabularExplanation."
        )
