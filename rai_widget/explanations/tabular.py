"""TabularExplanation: local feature attributions for tabular rows (from MimicExplainer).

This module runs past 500 lines: the result class, its validation and its save format per column dtype are
one boundary; metrics, comparisons and interactions are thin methods over their own modules.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from rai_widget._checks import shown
from rai_widget.explanations import _columns as C
from rai_widget.explanations._base import Explanation
from rai_widget.explanations._columns import CohortColumns, Column
from rai_widget.explanations._format import index_from_arrays, index_to_arrays, outcome_from_arrays, outcome_to_arrays
from rai_widget.explanations._interactions import interactions_from_arrays, interactions_to_arrays

FEATURE_KINDS = ("numeric", "bool", "category")
# Where a tabular explanation's values come from: a MimicExplainer's surrogate, or shap itself (rw.from_shap).
SOURCES = ("mimic", "shap")
# An output the model holds constant on some rows (its spread within R2_TOLERANCE of its scale: the wire's
# float32 resolves 6e-8) has no variation for R^2 to compare; see _r2.
R2_TOLERANCE = 1e-6
# base_values + values.sum(features) must equal surrogate_output to this share of the terms' size.
ADDITIVITY_TOLERANCE = 1e-6
# Each row of probabilities sums to 1, to this tolerance (the base checks that each lies in [0, 1]).
PROBABILITY_SUM_TOLERANCE = 1e-3


def _as_numbers(col: Column) -> np.ndarray:
    """A feature column as float64: numbers as they are, booleans 0/1, category codes; NaN missing."""
    if isinstance(col, C.CategoryColumn):
        out = col.codes.astype(np.float64)
        out[col.codes < 0] = np.nan
        return out
    if isinstance(col, C.BoolColumn):
        out = col.values.astype(np.float64)
        out[col.values == C.BOOL_MISSING] = np.nan
        return out
    assert isinstance(col, C.NumberColumn)
    return np.asarray(col.values, dtype=np.float64)


def feature_column(series: pd.Series, kind: str) -> Column:
    """A feature's cohort column, as its kind says."""
    if kind == "category":
        return C.category_of_series(series, C.FEATURE)
    if kind == "bool":
        return C.boolean(series, C.FEATURE)
    return C.NumberColumn(pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan), C.FEATURE)


def _check_feature_column(series: pd.Series, name: str, kind: str) -> None:
    dtype = series.dtype
    if kind == "numeric" and not pd.api.types.is_numeric_dtype(dtype):
        raise TypeError(f"feature {name!r} is numeric but its data column holds {dtype}.")
    if kind == "bool":
        if pd.api.types.is_bool_dtype(dtype):
            return
        if pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(series, skipna=True) in (
            "boolean",
            "empty",
        ):
            return
        if pd.api.types.is_numeric_dtype(dtype) and series.dropna().isin([0, 1]).all():
            return  # 0 / 1
        raise TypeError(f"feature {name!r} is boolean but its data column holds {dtype} other than 0 / 1.")


def label_index(labels, names) -> np.ndarray:
    """Per label, the index of the class it names (-1: none). A label names a class when both read the same as
    text ('1' names 1, as in a cohort filter) or are equal numbers (1.0 names 1; True names 1)."""
    arr = np.asarray(labels)
    if arr.dtype != object and len(arr) > 1_000:
        # Labels of one numpy type: each distinct label once (1,000,000 labels of 2 classes: 0.3 s -> 0.08 s).
        # Not for object arrays, where 1, 1.0 and True hash alike but read differently as text.
        codes, uniques = pd.factorize(arr)
        index = _label_index(np.asarray(uniques), names)[codes]
        unset = codes < 0  # NaN / NaT: as the rule below reads them
        if unset.any():
            index[unset] = _label_index(arr[unset], names)
        return index
    return _label_index(arr, names)


def _label_index(arr: np.ndarray, names) -> np.ndarray:
    """label_index, label by label."""
    by_text = {str(c): i for i, c in enumerate(names)}
    by_number = {float(c): i for i, c in enumerate(names) if isinstance(c, (bool, int, float))}
    text = pd.Series(arr.astype(str) if arr.dtype != object else [str(v) for v in arr.tolist()], dtype=object)
    index = np.array(text.map(by_text).to_numpy(dtype=np.float64, na_value=np.nan))  # writable
    for i in np.flatnonzero(np.isnan(index)):
        v = arr[i]
        if isinstance(v, (bool, int, float, np.bool_, np.number)) and float(v) in by_number:
            index[i] = by_number[float(v)]
    return np.where(np.isnan(index), -1, index).astype(np.int64)


# --- the save format of feature columns: their values, and their dtype to restore -------------------------------
_TEXT_DTYPES = ("object", "str", "string")


def column_to_arrays(series: pd.Series, kind: str, j: int) -> tuple[dict, dict[str, np.ndarray]]:
    """Feature j's column as the save format holds it: meta (kind, dtype, category levels) and arrays."""
    col = feature_column(series, kind)
    key, dtype = f"data_{j}", series.dtype
    meta: dict = {"kind": kind, "dtype": str(dtype)}
    if isinstance(col, C.CategoryColumn):
        meta["levels"] = list(col.categories)
        if isinstance(dtype, pd.CategoricalDtype):
            meta |= {"categories_dtype": str(dtype.categories.dtype), "ordered": bool(dtype.ordered)}
        return meta, {key: col.codes}
    if kind == "bool":
        return meta, {key: _as_numbers(col)}
    if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
        return meta, {key: series.to_numpy()}
    numpy_dtype = getattr(dtype, "numpy_dtype", None)  # pandas' nullable Int64, Float64, ... (and arrow's)
    if isinstance(numpy_dtype, np.dtype) and numpy_dtype.kind in "iuf":
        missing = series.isna().to_numpy()
        return meta, {key: series.to_numpy(dtype=numpy_dtype, na_value=0), f"{key}_missing": missing}
    return meta, {key: _as_numbers(col)}


def _typed(texts: list[str], dtype: str):
    if dtype in ("bool", "boolean"):
        return [t == "True" for t in texts]
    return pd.Index(texts, dtype=object).astype(dtype)


def column_from_arrays(meta: dict, arrays: dict, j: int, name: str = ""):
    """What `column_to_arrays` wrote, with its dtype (files of rai-widget 0.1.0 have none: as they were read)."""
    key, kind, dtype = f"data_{j}", meta["kind"], meta.get("dtype")
    raw = np.asarray(arrays[key])
    if raw.shape != (len(raw),) or raw.dtype.kind not in ("i" if kind == "category" else "biuf"):
        raise ValueError(
            f"the data of feature {name or j!r} is {raw.dtype} of shape {raw.shape}, not a column of numbers."
        )
    if kind == "category":
        cat = pd.Categorical.from_codes(raw, categories=meta["levels"], ordered=bool(meta.get("ordered", False)))
        if dtype is None or (dtype == "category" and meta.get("categories_dtype", "object") in _TEXT_DTYPES):
            return cat
        if dtype == "category":
            return cat.rename_categories(_typed(list(meta["levels"]), meta["categories_dtype"]))
        values = pd.Series(cat)
        if dtype in ("bool", "boolean"):
            values = values.map(dict(zip(meta["levels"], _typed(list(meta["levels"]), dtype), strict=True)))
        elif dtype == "object" or (dtype == "str" and int(pd.__version__.split(".")[0]) < 3):
            # (pandas 2 reads "str" as numpy's, which writes NaN as 'nan'; pandas 3 infers str from a bare array)
            return values.astype(object)
    elif kind == "bool":
        missing = np.isnan(raw)
        if dtype == "object":
            return pd.Series([None if m else bool(v) for v, m in zip(raw, missing, strict=True)], dtype=object)
        if dtype == "boolean" or missing.any():
            values = pd.array(np.where(missing, 0, raw).astype(bool), dtype="boolean")
            values[missing] = pd.NA
        else:
            values = raw.astype(bool)
    elif f"{key}_missing" in arrays:
        values = pd.array(raw, dtype=dtype)
        values[np.asarray(arrays[f"{key}_missing"], dtype=bool)] = pd.NA
    else:
        values = raw
    if dtype is None or str(values.dtype) == dtype:
        return values
    try:  # e.g. a boolean feature given as 0 / 1 integers, a numeric one declared categorical
        return pd.Series(values).astype(dtype)
    except (TypeError, ValueError):
        return values  # a file from elsewhere: as the kind reads it


def _r2(target: np.ndarray, pred: np.ndarray, scale_floor: float = 0.0) -> float:
    """R^2 of pred against target; NaN on fewer than 2 rows (R^2 compares variation across rows).

    When the target is constant up to rounding (its spread within R2_TOLERANCE of its scale, the largest
    |value| of either, and at least `scale_floor`), 1 - ss_res / ss_tot is rounding noise over rounding
    noise: R^2 is then 1.0 when pred reproduces the constant to the same tolerance, else NaN (undefined)."""
    n = len(target)
    if n < 2:
        return float("nan")
    scale = max(float(np.abs(target).max()), float(np.abs(pred).max()), scale_floor)
    negligible = n * (R2_TOLERANCE * scale) ** 2
    ss_tot = float(((target - target.mean()) ** 2).sum())
    ss_res = float(((target - pred) ** 2).sum())
    if ss_tot <= negligible:
        return 1.0 if ss_res <= negligible else float("nan")
    return 1.0 - ss_res / ss_tot


def surrogate_fidelity(model_output: np.ndarray, surrogate_output: np.ndarray, task: str, output_names) -> dict:
    """How well the surrogate replicates the model on some rows: `r2_per_output`, the R^2 of its outputs
    against the model's (binary classification: class 1 only, class 0 mirrors it), `r2` their mean over the
    outputs where it is defined, and for classification `agreement`, the share of rows where both predict the
    same class; `rows`. R^2 is NaN on fewer than 2 rows, and for an output the model holds constant on the
    rows that the surrogate does not reproduce (see _r2; log-odds count as constant within 1e-6, an output
    within 1e-6 of its largest value). The view computes the same per cohort (js/tabular/stats.ts,
    cohortFidelity); the payload fixtures check that both agree."""
    n, k = model_output.shape
    outputs = [1] if task == "classification" and k == 2 else range(k)
    floor = 1.0 if task == "classification" else 0.0  # log-odds: a spread below 1e-6 is no variation
    per_output = {str(output_names[c]): _r2(model_output[:, c], surrogate_output[:, c], floor) for c in outputs}
    defined = [v for v in per_output.values() if np.isfinite(v)]
    fidelity: dict = {"r2": float(np.mean(defined)) if defined else float("nan")}
    if task == "classification":
        same = np.argmax(surrogate_output, axis=1) == np.argmax(model_output, axis=1)
        fidelity["agreement"] = float(same.mean()) if n else float("nan")
    fidelity["r2_per_output"] = per_output
    fidelity["rows"] = int(n)
    return fidelity


def _stored_values(values: np.ndarray, task: str, k: int) -> tuple[np.ndarray, bool]:
    """What a TabularExplanation keeps of its values, and whether they are a mirrored binary pair: for a binary
    classifier, class 1's (n, f) values when class 0's are exactly their negation (or only class 1's are
    given); else the (n, f, k) values as given."""
    if task != "classification" or k != 2:
        return values, False
    if values.ndim == 2:
        return values, True
    if values.ndim == 3 and values.shape[2] == 2 and np.array_equal(values[:, :, 0], -values[:, :, 1]):
        return np.ascontiguousarray(values[:, :, 1]), True
    return values, False


class TabularExplanation(Explanation):
    """Local feature attributions for tabular rows (from ``MimicExplainer.explain``).

    ``values[i, j, k]`` is feature j's contribution to output k for row i, in ``units``;
    ``base_values[k] + values[i, :, k].sum() == surrogate_output[i, k]``. Every parameter is also the
    attribute of that name; ``explainer`` is the MimicExplainer that made it in this kernel (None once saved
    and loaded) and ``interactions`` the matrix ``explainer.interactions(exp)`` stored (else None).

    Parameters
    ----------
    data : DataFrame
        The explained rows, as given to ``explain()``.
    feature_names : list of str
        The features, in column order.
    feature_kinds : list of str
        Per feature, how the surrogate reads it (``"numeric"``, ``"category"``, ``"bool"``).
    values : ndarray
        (rows, features, outputs) attributions, in ``units``, float64 or float32. For a binary classifier,
        also (rows, features): class 1's values, class 0's being their negation. A binary explanation stores
        class 1's values only (given (n, f, 2) whose class 0 is minus class 1, it keeps one half):
        ``values`` builds the (n, f, 2) array, read-only, on first use; ``output_values(k)`` gives one
        output's (n, f) without it.
    base_values : ndarray
        (outputs,): the surrogate's average output.
    surrogate_output : ndarray, optional
        (rows, outputs): the surrogate's output; computed from the values when not given, checked when given.
    model_output : ndarray
        (rows, outputs): the model's output, in ``units``.
    output_names : list
        The classes, or the regression output's name.
    task : str
        ``"classification"`` or ``"regression"``.
    units : str
        ``"log-odds"`` (classification, per class one-vs-rest) or ``"output"`` (regression).
    y_pred : ndarray
        The model's predictions.
    y_true : ndarray, optional
        The true labels, when given to ``explain()``.
    probabilities : ndarray, optional
        (rows, classes): the model's class probabilities.
    fidelity : dict, optional
        The surrogate's fidelity on these rows: ``r2``, ``agreement`` (classification), ``r2_per_output``.
    attribution_agreement : dict, optional
        The summary ``explainer.check_attributions(exp)`` stored.
    source : str, optional
        Where the values come from: ``"mimic"`` (the default: a MimicExplainer's surrogate, whose fidelity
        ``fidelity`` measures) or ``"shap"`` (computed by shap and converted with ``rw.from_shap``: no
        surrogate is involved, ``surrogate_output`` is the base value plus the values, and the view says so
        instead of showing a surrogate fidelity).

    Raises
    ------
    ValueError
        Fields that do not make one consistent explanation (shapes, additivity, labels), named.
    TypeError
        A field of the wrong type.
    """

    kind = "tabular"
    tasks = ("classification", "regression")
    # The MimicExplainer that made this explanation in this kernel (None once saved and loaded): the
    # dashboard's model jobs (ICE, what-if) use it. Not part of the saved file.
    explainer: Any = None
    # The surrogate's mean |SHAP interaction| matrix once explainer.interactions(exp) computed it (saved).
    interactions: pd.DataFrame | None = None

    def __init__(
        self,
        *,
        data: pd.DataFrame,
        feature_names: list[str],
        feature_kinds: list[str],
        values: np.ndarray,
        base_values: np.ndarray,
        surrogate_output: np.ndarray | None = None,
        model_output: np.ndarray,
        output_names: list,
        task: str,
        units: str,
        y_pred: np.ndarray,
        y_true: np.ndarray | None = None,
        probabilities: np.ndarray | None = None,
        fidelity: dict | None = None,
        attribution_agreement: dict | None = None,
        source: str = "mimic",
    ):
        self.data = data
        self.feature_names = list(feature_names)
        self.feature_kinds = list(feature_kinds)
        self.output_names = list(output_names)
        self.task = task
        self._values, self.mirrored = _stored_values(np.asarray(values), task, len(self.output_names))
        self._full_values: np.ndarray | None = None
        self.base_values = np.asarray(base_values)
        # Not given (as explain() does): base + the values, by definition. Given (a saved file): checked.
        self._given_sums = surrogate_output is not None
        self.surrogate_output = (
            np.asarray(surrogate_output) if surrogate_output is not None else self.base_values + self._value_sums()
        )
        self.model_output = np.asarray(model_output)
        self.units = units
        self.y_pred = np.asarray(y_pred)
        self.y_true = None if y_true is None else np.asarray(y_true)
        self.probabilities = None if probabilities is None else np.asarray(probabilities)
        self.fidelity = fidelity or {}
        # explainer.check_attributions(exp)'s summary (JSON: rai_widget/explainers/_agreement.py); None until then
        self.attribution_agreement = attribution_agreement
        self.source = source
        self._validate()

    def _validate(self) -> None:
        """The common checks, then: data holds one row per explained row and one column per feature, of its
        kind; values (n, f, k), base_values (k,) and surrogate_output (n, k) are finite and add up; regression
        has one output; classification has probabilities (n, k) whose rows sum to 1, and labels among the
        classes, y_pred each row's most probable class."""
        super()._validate()
        n, k = len(self), len(self.output_names)
        names, kinds = self.feature_names, self.feature_kinds
        if not names or not all(isinstance(f, str) for f in names) or len(set(names)) != len(names):
            raise ValueError(f"feature_names must be distinct strings, one per feature; got {shown(names)}.")
        f = len(names)
        if len(kinds) != f or any(kd not in FEATURE_KINDS for kd in kinds):
            raise ValueError(
                f"feature_kinds must name one of {', '.join(FEATURE_KINDS)} per feature ({f}); got {shown(kinds)}."
            )
        if not isinstance(self.data, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame of the explained rows, not {type(self.data).__name__}.")
        if self.data.shape != (n, f):
            raise ValueError(
                f"data has shape {self.data.shape}, not ({n}, {f}): one row per explained row, one column per feature."
            )
        for name, kind, col in zip(names, kinds, self.data.columns, strict=True):
            _check_feature_column(self.data[col], name, kind)
        if self.task == "regression" and k != 1:
            raise ValueError(
                f"a regression explanation has one output, not {k} ({shown(self.output_names)}): explain each "
                "output with its own explainer."
            )
        binary = self.task == "classification" and k == 2
        stored = (n, f) if self.mirrored else (n, f, k)
        for field, shape in (("_values", stored), ("base_values", (k,)), ("surrogate_output", (n, k))):
            arr = getattr(self, field)
            field = field.lstrip("_")
            if arr.shape != shape or arr.dtype.kind not in "iuf":
                wanted = f"{(n, f, k)} (or {(n, f)}: class 1's)" if field == "values" and binary else str(shape)
                raise ValueError(f"{field} must be numbers of shape {wanted}; got {arr.dtype} of shape {arr.shape}.")
            if not np.isfinite(arr).all():
                raise ValueError(f"{field} has NaN or infinite values.")
        if self._given_sums:
            self._check_sums(n, f)
        if not isinstance(self.fidelity, dict):
            raise TypeError(f"fidelity must be a dict of figures, not {type(self.fidelity).__name__}.")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}; got {shown(self.source)}.")
        if self.attribution_agreement is not None and not isinstance(self.attribution_agreement, dict):
            raise TypeError(
                "attribution_agreement must be the dict explainer.check_attributions(exp) keeps, or None; not "
                f"{type(self.attribution_agreement).__name__}."
            )
        if self.task == "regression":
            self._validate_regression(n, k)
        else:
            self._validate_classification(n, k)

    @property
    def values(self) -> np.ndarray:
        """(rows, features, outputs) attributions in ``units``. A binary explanation stores class 1's values
        only: this builds the (n, f, 2) array once, read-only (``output_values(k)`` avoids it)."""
        if not self.mirrored:
            return self._values
        if self._full_values is None:
            full = np.stack([-self._values, self._values], axis=2)
            full.flags.writeable = False
            self._full_values = full
        return self._full_values

    def output_values(self, output, rows=None) -> np.ndarray:
        """One output's (rows, features) attributions, without building every output's.

        Parameters
        ----------
        output : str or int
            An output's name, else its index.
        rows : array_like, optional
            A boolean mask or row indices; None: every row.

        Returns
        -------
        ndarray
            (rows, features), in ``units`` and the stored dtype.
        """
        k = self.output_index(output)
        picked = self._values if rows is None else self._values[rows]
        if self.mirrored:
            return picked if k == 1 else -picked
        return picked[:, :, k]

    def values_at(self, rows) -> np.ndarray:
        """(len(rows), f, k) values of some rows, every output, without building every row's.

        Parameters
        ----------
        rows : array_like
            A boolean mask or row indices.

        Returns
        -------
        ndarray
            (rows, features, outputs), in ``units``.
        """
        picked = self._values[rows]
        return np.stack([-picked, picked], axis=2) if self.mirrored else picked

    def _per_row_values(self, ks: np.ndarray) -> np.ndarray:
        """(n, f): row i's values for output ks[i]."""
        if self.mirrored:
            return np.where((np.asarray(ks) == 1)[:, None], self._values, -self._values)
        return np.take_along_axis(self._values, np.asarray(ks).reshape(-1, 1, 1), axis=2)[:, :, 0]

    def _abs_mean_over_outputs(self, rows) -> np.ndarray:
        """Per feature, mean |value| over the rows and outputs (float64)."""
        picked = self._values[rows]
        if not len(picked):
            return np.zeros(len(self.feature_names))
        axes = (0,) if self.mirrored else (0, 2)  # a mirrored pair has the same |value| twice
        return np.abs(picked).mean(axis=axes, dtype=np.float64)

    def _value_sums(self) -> np.ndarray:
        """(n, k) float64 sums of the values over features."""
        if self.mirrored:
            total = self._values.sum(axis=1, dtype=np.float64)
            return np.column_stack([-total, total])
        return self._values.sum(axis=1, dtype=np.float64)

    def _check_sums(self, n: int, f: int) -> None:
        """A given surrogate_output must be base_values + the values summed over features."""
        total = self.base_values[None, :] + self._value_sums()
        size = np.abs(self.base_values)[None, :] + np.abs(self.surrogate_output)
        if f and n:  # the largest |value| of each row, without an (n, f, k) temporary
            biggest = np.maximum(self._values.max(axis=1), -self._values.min(axis=1)).astype(np.float64)
            size = size + f * (biggest[:, None] if self.mirrored else biggest)
        # float32 values sum with float32's rounding: allow it (a few ulps per term)
        tolerance = max(ADDITIVITY_TOLERANCE, 8 * float(np.finfo(self._values.dtype).eps))
        off = np.abs(total - self.surrogate_output) > tolerance * size + 1e-300
        if off.any():
            rows = np.flatnonzero(off.any(axis=1))
            i = int(rows[0])
            raise ValueError(
                f"base_values + values summed over features differ from surrogate_output on {len(rows)} "
                f"rows (row {i}: {shown(total[i], 4)} against {shown(self.surrogate_output[i], 4)}): the attributions "
                "do not add up."
            )

    def _validate_regression(self, n: int, k: int) -> None:
        if self.probabilities is not None:
            raise ValueError("probabilities are for classification; a regression explanation has none.")
        for field in ("y_pred", "y_true"):
            y = getattr(self, field)
            if y is None:
                continue
            if y.dtype.kind not in "biuf":
                raise ValueError(f"{field} must be one number per row; it holds {y.dtype}.")
            if np.isinf(y).any() or (field == "y_pred" and np.isnan(y).any()):
                raise ValueError(f"{field} has {'infinite' if np.isinf(y).any() else 'NaN'} values.")

    def _validate_classification(self, n: int, k: int) -> None:
        p = self.probabilities
        if p is None:
            raise ValueError("a classification explanation needs probabilities, one row per explained row.")
        off = np.abs(p.sum(axis=1) - 1.0) > PROBABILITY_SUM_TOLERANCE
        if off.any():
            i = int(np.argmax(off))
            raise ValueError(f"probabilities of {int(off.sum())} rows do not sum to 1 (row {i}: {shown(p[i], 5)}).")
        for field in ("y_pred", "y_true"):
            y = getattr(self, field)
            if y is None:
                continue
            index = label_index(y, self.output_names)
            unknown = index < 0
            if unknown.any():
                raise ValueError(
                    f"{field} has labels that are not among the classes {shown(self.output_names)}: "
                    f"{shown(list({str(v): v for v in y[unknown].tolist()}.values()), 5)}."
                )
            if field == "y_pred":
                wrong = index != np.argmax(p, axis=1)
                if wrong.any():
                    i = int(np.argmax(wrong))
                    raise ValueError(
                        f"y_pred is not the most probable class on {int(wrong.sum())} rows (row {i}: "
                        f"{shown(y[i])}, probabilities {shown(p[i], 5)})."
                    )

    def __repr__(self) -> str:
        n, f = len(self), len(self.feature_names)
        fid = ", ".join(f"{k}={v:.3f}" for k, v in self.fidelity.items() if isinstance(v, float))
        trust = "values from shap, no surrogate" if self.source == "shap" else f"fidelity: {fid}"
        return (
            f"TabularExplanation({n} rows x {f} features, task={self.task!r}, outputs={self.output_names}, "
            f"units={self.units!r}, {trust})"
        )

    def global_importance(self, cohort=None, output=None) -> pd.Series:
        """Mean |value| per feature over a cohort's rows, largest first.

        Parameters
        ----------
        cohort : Cohort, dict, array or list, optional
            An ``rw.Cohort`` (or its JSON), a boolean mask or row indices; None: every row.
        output : str or int, optional
            None averages over outputs, ``"predicted"`` uses each row's predicted class, or an output's name
            or index.

        Returns
        -------
        Series
            Indexed by feature, named after what it averages and the units.
        """
        mask = self.cohort_mask(cohort)
        zeros = np.zeros(len(self.feature_names))
        if output is None:
            imp = self._abs_mean_over_outputs(mask)
            label = "mean |value|, averaged over outputs"
        elif isinstance(output, str) and output == "predicted" and "predicted" not in self.output_names:
            if self.mirrored:  # |value| is the same for both classes
                imp = self._abs_mean_over_outputs(mask)
            else:
                vals = self._values[mask]
                idx = self.predicted_index()[mask]
                picked = vals[np.arange(len(vals)), :, idx]
                imp = np.abs(picked).mean(axis=0, dtype=np.float64) if len(vals) else zeros
            label = "mean |value| for the predicted class"
        else:
            k = self.output_index(output)
            vals = self.output_values(k, mask)
            imp = np.abs(vals).mean(axis=0, dtype=np.float64) if len(vals) else zeros
            label = f"mean |value| for {self.output_names[k]}"
        series = pd.Series(imp, index=pd.Index(self.feature_names, name="feature"), name=f"{label} ({self.units})")
        return series.sort_values(ascending=False, kind="stable")

    def cohort_fidelity(self, cohort=None) -> dict:
        """The surrogate's fidelity on a cohort's rows, as the view's fidelity badge shows it.

        Parameters
        ----------
        cohort : Cohort, dict, array or list, optional
            An ``rw.Cohort``, a boolean mask or row indices; None: every row.

        Returns
        -------
        dict
            ``r2``, ``agreement`` (classification), ``r2_per_output`` and ``rows`` (see ``surrogate_fidelity``).
        """
        mask = self.cohort_mask(cohort)
        return surrogate_fidelity(self.model_output[mask], self.surrogate_output[mask], self.task, self.output_names)

    def metrics(self, cohort=None, ci: float = 0.95, n_boot: int = 1000, random_state: int = 0) -> pd.DataFrame:
        """The model's performance on a cohort's rows, each figure with a bootstrap confidence interval.

        The view's "Model performance" tab draws the same resamples and shows the same intervals. Values
        equal scikit-learn's on the same rows (zero_division=0). Cost: O(n_boot x rows x (1 + classes with a
        ROC AUC)), in chunks of about 2 million row counts (no temporary above ~16 MB); 100,000 rows x 1,000
        resamples of a binary classifier take a few seconds. The definitions and the resampling are in
        rai_widget/explanations/_metrics.py.

        Parameters
        ----------
        cohort : Cohort, dict, array or list, optional
            None (every row), an ``rw.Cohort`` or its JSON, a boolean mask or row indices.
        ci : float
            The intervals' level, in (0, 1).
        n_boot : int
            Resamples (0: no intervals, NaN).
        random_state : int
            The bootstrap's seed, 0 to 2**32 - 1.

        Returns
        -------
        DataFrame
            Columns metric, value, ci_low, ci_high, n (the rows used). Classification: accuracy, precision /
            recall / F1 per class (``"precision: yes"``) and macro (``"precision (macro)"``), ROC AUC (binary:
            ``"ROC AUC"``, of the second class; else per class one-vs-rest and macro), log loss. Regression:
            MAE, RMSE, R², mean error (y_pred - y_true), on the rows whose y_true is not NaN
            (``df.attrs["left_out"]`` counts the others). An undefined figure is NaN and
            ``df.attrs["notes"][metric]`` says why.

        Raises
        ------
        ValueError
            No ``y_true`` (pass ``y_true=`` to ``explain()``), an empty cohort, or settings out of range.
        TypeError
            Settings of the wrong type.
        """
        from rai_widget.explanations._metrics import metrics

        return metrics(self, cohort, ci=ci, n_boot=n_boot, random_state=random_state)

    def compare(
        self, a, b, output=None, ci: float = 0.95, n_boot: int = 1000, random_state: int = 0, progress=None
    ) -> pd.DataFrame:
        """How the global importance of each feature differs between two cohorts, with a bootstrap interval.

        The importance chart's "Difference" mode draws the same numbers. Cost: O(n_boot x (rows of a + rows
        of b) x features), in chunks of about 2 million row draws (no temporary above ~16 MB); 1,000
        resamples of two cohorts of 100,000 rows x 30 features take seconds. The streams of a and b, and the
        definitions, are in rai_widget/explanations/_compare.py.

        Parameters
        ----------
        a : Cohort, dict, array or list
            The first cohort: an ``rw.Cohort`` or its JSON, a boolean mask or row indices; not empty.
        b : Cohort, dict, array or list
            The second cohort, likewise.
        output : str or int, optional
            As in ``global_importance`` (None: the mean over outputs; ``"predicted"``; an output's name or
            index).
        ci : float
            The interval's level, in (0, 1).
        n_boot : int
            Resamples (0: no interval, NaN).
        random_state : int
            The bootstrap's seed, 0 to 2**32 - 1.
        progress : bool, optional
            A progress bar (None: for 20 million row draws or more).

        Returns
        -------
        DataFrame
            Indexed by feature, largest |difference| first (ties in feature order), with columns mean_abs_a
            and mean_abs_b (``global_importance`` of each cohort), difference (a - b), ci_low, ci_high (its
            interval: each cohort's rows resampled independently) and excludes_zero (the interval lies above
            or below 0). ``attrs``: the cohorts' names (a, b), rows_a, rows_b, output, ci, n_boot,
            random_state.

        Raises
        ------
        ValueError
            An empty cohort, or settings out of range.
        TypeError
            Settings of the wrong type.
        """
        from rai_widget.explanations._compare import compare

        return compare(self, a, b, output, ci=ci, n_boot=n_boot, random_state=random_state, progress=progress)

    def local_importance(self, row: int, output=None) -> pd.Series:
        """One row's values for an output, sorted by |value|.

        Parameters
        ----------
        row : int
            The row's position in the explanation, 0 to len(exp) - 1 (negative counts from the end).
        output : str or int, optional
            An output's name or index; default the row's predicted class.

        Returns
        -------
        Series
            Indexed by feature, in ``units``.

        Raises
        ------
        ValueError
            A row out of range.
        TypeError
            A row that is not an integer.
        """
        n = len(self)
        if isinstance(row, (bool, np.bool_)) or not isinstance(row, (int, np.integer)):
            raise TypeError(f"row must be a row number (an int from 0 to {n - 1}), not {shown(row)}.")
        if not -n <= row < n:
            raise ValueError(f"row {shown(row)} is out of range: this explanation has {n} rows (0 to {n - 1}).")
        k = self.predicted_index()[row] if output is None else self.output_index(output)
        series = pd.Series(
            self.output_values(k, [row])[0].astype(np.float64),
            index=pd.Index(self.feature_names, name="feature"),
            name=f"value for {self.output_names[k]} ({self.units})",
        )
        return series.iloc[np.argsort(-np.abs(series.to_numpy()), kind="stable")]

    def to_frame(self, output=None, long: bool = False) -> pd.DataFrame:
        """The local values as a pandas table, with row ids, labels and the model's and surrogate's outputs.

        Wide form (the default): one row per explained row, indexed by the row ids the data had
        (``exp.data.index``; named ``"row"`` when it had no name). Columns, in this order:

        - ``y_true`` (when known) and ``y_pred``;
        - per output ``o``: ``model_output[o]`` (the model, in ``units``), ``probability[o]``
          (classification), ``surrogate_output[o]`` and ``base_value[o]`` (the surrogate's expected output,
          the same on every row);
        - per output, per feature ``f``: ``value[f][o]``, feature ``f``'s attribution.

        Each output is written as ``str(name)``, e.g. ``value[age][yes]``: flat strings, so the same names
        read in pandas (``df.filter(like="value[")``), in Parquet and in any tool that opens it. Per row and
        output, ``base_value[o]`` plus the ``value[...][o]`` columns equals ``surrogate_output[o]``. The
        features' own values are not repeated: ``exp.data.join(df)`` puts them beside (same index). A saved
        file keeps row ids of one level of integers, floats, strings or datetimes; others (a MultiIndex,
        mixed types) load as positions 0 to n - 1.

        Long form (``long=True``): one row per (row, output, feature), in that order, with columns the row
        id (the index's name, ``"row"`` when unnamed; one column per level of a MultiIndex), ``output``
        (the output's name), ``feature``, ``feature_value`` (the feature's value in ``exp.data``) and
        ``value`` (its attribution), on a RangeIndex. Pivoting it on the row id and (output, feature) gives
        the wide form's value columns.

        Parameters
        ----------
        output : str, int or None, optional
            Which output's values, as ``global_importance`` and ``local_importance`` take it: a class (or
            output) name or its index, or ``"predicted"`` for each row's predicted class (the columns then
            say ``[predicted]``; ``y_pred`` names the class). None (the default): every output the
            explanation holds independently: the one output of a regression, every class of a multiclass
            classifier, and the positive (second) class of a binary one, whose first class's values,
            outputs and base value are exactly the negation of the second's (pass ``output=0`` or its name
            for them).
        long : bool, optional
            False (the default) for the wide form, True for the long form.

        Returns
        -------
        pandas.DataFrame
            ``attrs`` holds ``units`` and ``task``.

        Raises
        ------
        ValueError
            An output that is not one of ``output_names`` (the message lists them); in the long form, a row
            index named like one of its columns (``output``, ``feature``, ``feature_value``, ``value``).
        TypeError
            ``long`` that is not True or False.

        Examples
        --------
        >>> exp = rw.MimicExplainer(model, X_train).explain(X_test, y_true=y_test)
        >>> df = exp.to_frame()                          # one row per row of X_test, X_test's index
        >>> df.filter(like="value[").abs().mean()        # mean |value| per feature and output
        >>> exp.data.join(exp.to_frame(output="yes"))    # the features beside the class "yes"'s values
        >>> long = exp.to_frame(long=True)
        >>> long.groupby("feature")["value"].describe()
        """
        from rai_widget.explanations._frames import tabular_frame

        return tabular_frame(self, output, long)

    def to_parquet(self, path, output=None):
        """Write ``to_frame(output)`` (the wide form) to a Parquet file, with pyarrow.

        The file holds Arrow columns and pandas' JSON metadata, no pickle: ``pd.read_parquet(path)`` gives
        the same frame back (index, column names, dtypes), and polars, DuckDB or R's arrow read it too.
        Only ``path`` is written (replaced when it exists).

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write, e.g. ``"attributions.parquet"``; its folder must exist.
        output : str, int or None, optional
            Which outputs, as in ``to_frame``.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        ImportError
            pyarrow is not installed: ``pip install "rai-widget[parquet]"``.
        IsADirectoryError
            ``path`` is a folder.
        FileNotFoundError
            ``path``'s folder does not exist.
        ValueError
            As ``to_frame``; or row ids of mixed types that Parquet cannot hold in one column.

        Examples
        --------
        >>> path = exp.to_parquet("attributions.parquet")
        >>> pd.read_parquet(path).equals(exp.to_frame())
        True
        """
        from rai_widget.explanations._frames import to_parquet

        return to_parquet(self, path, output)

    def column_spec(self) -> CohortColumns:
        """Every feature (as its kind says), then index, y_true, y_pred, correct or error, confidence."""
        cols: dict[str, Column] = {}
        for name, kind, col in zip(self.feature_names, self.feature_kinds, self.data.columns, strict=True):
            cols[name] = feature_column(self.data[col], kind)
        special = C.outcome_columns(
            n=len(self),
            task=self.task,
            output_names=self.output_names,
            y_pred=self.y_pred,
            y_true=self.y_true,
            probabilities=self.probabilities,
        )
        for name, col in special.items():
            cols.setdefault(name, col)  # a feature of the same name wins
        return CohortColumns(cols, len(self))

    def numeric_data(self) -> np.ndarray:
        """The features as numbers, as the view reads them.

        Returns
        -------
        ndarray
            (n, f) float64: numbers as they are, booleans 0/1, categories as codes (NaN missing).
        """
        spec = self.column_spec()
        out = np.empty((len(self.data), len(self.feature_names)))
        for j, name in enumerate(self.feature_names):
            out[:, j] = _as_numbers(spec[name])
        return out

    def to_shap(self, output=None):
        """The explanation as a ``shap.Explanation``, so shap's plots work too.

        With every output, it also carries what shap has no field for (task, units, model outputs, the data
        frame, fidelity) as a dict attribute ``.rai_widget``, so ``rw.from_shap(exp.to_shap())`` gives this
        explanation back; shap ignores it.

        Parameters
        ----------
        output : str or int, optional
            One output, by name or index; None: every output.

        Returns
        -------
        shap.Explanation
            Values (n, f, k), or (n, f) for one output.
        """
        import shap

        from rai_widget.explanations._from_shap import carry

        base = np.tile(self.base_values, (len(self), 1))
        values = self.values
        output_names: list | None = self.output_names
        if output is not None:
            k = self.output_index(output)
            values, base, output_names = values[:, :, k], base[:, k], None
        result = shap.Explanation(
            values=values,
            base_values=base,
            data=self.numeric_data(),
            display_data=self.data.to_numpy(),
            feature_names=self.feature_names,
            output_names=output_names,
        )
        if output is not None:
            return result
        return carry(
            result,
            self,
            data=self.data,
            feature_kinds=list(self.feature_kinds),
            fidelity=dict(self.fidelity),
            attribution_agreement=self.attribution_agreement,
            source=self.source,
        )

    def _to_arrays(self):
        meta, arrays = outcome_to_arrays(self)
        # A binary explanation saves class 1's (n, f) values, as it stores them; loading reads them back so.
        arrays |= {"values": self._values, "base_values": self.base_values, "surrogate_output": self.surrogate_output}
        columns_meta = []
        for j, (kind, col) in enumerate(zip(self.feature_kinds, self.data.columns, strict=True)):
            col_meta, col_arrays = column_to_arrays(self.data[col], kind, j)
            columns_meta.append(col_meta)
            arrays |= col_arrays
        row_ids, row_id_arrays = index_to_arrays(self.data.index)
        arrays |= row_id_arrays
        meta |= {
            "row_ids": row_ids,
            "feature_names": self.feature_names,
            "feature_kinds": self.feature_kinds,
            "fidelity": self.fidelity,
            "attribution_agreement": self.attribution_agreement,
            "source": self.source,
            "columns": columns_meta,
        }
        extra_meta, extra_arrays = interactions_to_arrays(self.interactions)
        return meta | extra_meta, arrays | extra_arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        names, columns = meta["feature_names"], meta["columns"]
        if not isinstance(names, list) or not isinstance(columns, list) or len(names) != len(columns):
            raise ValueError(f"the header names {len(names)} features but describes {len(columns)} columns.")
        data = {
            name: column_from_arrays(col, arrays, j, name)
            for j, (name, col) in enumerate(zip(names, columns, strict=True))
        }
        exp = cls(
            data=pd.DataFrame(data),
            feature_names=meta["feature_names"],
            feature_kinds=meta["feature_kinds"],
            values=arrays["values"],
            base_values=arrays["base_values"],
            surrogate_output=arrays["surrogate_output"],
            fidelity=meta.get("fidelity"),
            attribution_agreement=meta.get("attribution_agreement"),  # files before it: None
            source=meta.get("source", "mimic"),  # files before it: a MimicExplainer's
            **outcome_from_arrays(meta, arrays),
        )
        exp.interactions = interactions_from_arrays(meta, arrays, exp.feature_names)
        index = index_from_arrays(meta.get("row_ids"), arrays, len(exp))  # files before it: positions
        if index is not None:
            exp.data.index = index
        return exp
