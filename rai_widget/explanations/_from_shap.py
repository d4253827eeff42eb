"""rw.from_shap: a shap.Explanation (from any shap explainer) as this package's explanation of the matching kind.

shap's Explanation carries values, base values, data, feature names and output names, but not the task, the
units or the model's outputs; they are inferred (and can be given as keywords). `to_shap()` of our explanations
attaches what shap has no field for as a plain dict attribute, `CARRIED` (task, units, model outputs, texts,
image targets, ...), so `rw.from_shap(exp.to_shap())` gives back the same explanation; shap ignores the
attribute and slicing the shap.Explanation drops it.

This module runs past 500 lines: one job (reading shap's Explanation, whose shapes differ per explainer and kind)
for three kinds, each with the checks that turn a shape it cannot take into a message saying what to pass.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from rai_widget._checks import plain, shown
from rai_widget._warnings import RaiWidgetWarning

KINDS = ("tabular", "text", "image")
# The attribute to_shap() sets on the shap.Explanation it returns: a dict of what shap has no field for.
CARRIED = "rai_widget"
# base + sum(values) must equal a given model_output to this share of the row's scale (|base| + sum |values| +
# |output|), plus ADDITIVITY_ATOL. Exact explainers (Tree, Permutation, Kernel, Partition) add up to float64
# rounding; DeepExplainer on a float32 torch model to ~1e-7 of the scale; 1e-4 leaves room for both.
ADDITIVITY_RTOL = 1e-4
ADDITIVITY_ATOL = 1e-8
# Outputs read as probabilities when they lie in [0, 1] to this tolerance and (several outputs) sum to 1 to 1e-3.
PROBABILITY_TOLERANCE = 1e-6
SUM_TOLERANCE = 1e-3


class AdditivityWarning(RaiWidgetWarning):
    """shap's values do not add up to the model outputs given with `model_output=`.

    Raised by `rw.from_shap` when base value + sum of the values misses `model_output` by more than
    1e-4 of the row's scale (|base| + sum |values| + |output|, plus 1e-8) on some rows; the message
    names how many rows and the worst one. The values are kept as shap gave them, and a tabular
    explanation's fidelity badge shows the gap. To stop
    on it instead: ``warnings.simplefilter("error", rw.AdditivityWarning)``.
    """


def _array(x, name: str) -> Any:
    """numpy from numpy, torch tensors, pandas and lists (object arrays kept as they are)."""
    if x is None:
        return None
    if hasattr(x, "detach"):  # a torch tensor (DeepExplainer keeps the data as it was given)
        x = x.detach().cpu().numpy()
    if isinstance(x, (pd.DataFrame, pd.Series)):
        return x.to_numpy()
    if isinstance(x, (list, tuple)):
        return x
    return np.asarray(x)


def _numbers(x, name: str) -> np.ndarray:
    arr = np.asarray(_array(x, name))
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers; it holds {arr.dtype}.")
    return arr.astype(np.float64)


def _carried(explanation, n: int) -> dict:
    """What our to_shap() attached, when it is there and still fits the rows (else {})."""
    side = getattr(explanation, CARRIED, None)
    if isinstance(side, dict) and side.get("n") == n and side.get("kind") in KINDS:
        return side
    return {}


def _is_text_data(data) -> bool:
    """One sequence of token strings per row (shap's Partition on text gives a tuple of object arrays)."""
    if isinstance(data, np.ndarray) and data.dtype != object:
        return False
    rows = list(data) if isinstance(data, (list, tuple, np.ndarray)) else []
    if not rows or isinstance(data, np.ndarray) and data.ndim != 1:
        return False
    return all(isinstance(r, (list, tuple, np.ndarray)) and all(isinstance(t, str) for t in list(r)) for r in rows)


def _guess_kind(values, data) -> str:
    if data is not None and _is_text_data(data):
        return "text"
    shape = np.shape(data) if data is not None and not isinstance(data, (list, tuple)) else ()
    if len(shape) == 4:
        return "image"
    if data is None and isinstance(values, np.ndarray) and values.dtype == object:
        raise ValueError(
            "this shap.Explanation has values of different lengths per row but no data: from_shap reads the tokens "
            "of a text explanation from its data. Pass the Explanation shap's explainer returned."
        )
    return "tabular"


def from_shap(
    explanation,
    y_true=None,
    *,
    kind: str | None = None,
    task: str | None = None,
    output_names=None,
    units: str | None = None,
    base_values=None,
    model_output=None,
    probabilities=None,
    y_pred=None,
    feature_names=None,
    data=None,
    texts=None,
    images=None,
    targets=None,
):
    """Turn a ``shap.Explanation`` into the rai-widget explanation of the matching kind.

    Values from any shap explainer (``TreeExplainer``, ``Permutation``, ``KernelExplainer``, ``DeepExplainer``,
    ``Partition`` on text or images) become a `TabularExplanation`, `TextExplanation` or `ImageExplanation`, so
    ``rw.from_shap(shap_values).show()`` opens the cohort dashboard on values already computed. Values, base
    values, data, feature names and output names are carried over as shap holds them (an image's map is its
    values summed over the colour channels, as ``shap.image_plot`` draws it). What shap does not store (the
    task, the units, the model's outputs, the true labels) is inferred or taken from the keywords.

    Parameters
    ----------
    explanation : shap.Explanation
        What a shap explainer returned (``explainer(X)``). Its kind is read from its data: rows x features
        (2-D) is tabular; one sequence of token strings per row (shap's text masker) is text; (n, H, W, C) or
        (n, C, H, W) pixels are images.
    y_true : array-like, optional
        The true label (classification) or target (regression) of each row, for the metrics and the cohorts'
        ``correct`` / ``error`` columns.
    kind : str, optional
        "tabular", "text" or "image": overrides the kind read from the data.
    task : str, optional
        "classification", "regression" or "multilabel" (text and images). Default: classification when shap
        explained several outputs, or one output with class labels in ``y_true`` / ``y_pred`` (strings,
        booleans, or integers 0 and 1) or two ``output_names``; else regression. One output of a classification
        is the second class's score (a binary classifier's log-odds or probability, as TreeExplainer gives it);
        the first class gets its mirror (minus the values). Images are always classification (or multilabel).
    output_names : list, optional
        The class names (classification) or the target's name, one per output; default shap's own
        (``Output 0``, ... when the explainer was given none; integers 0..k-1 instead when the labels are those
        integers). For a binary classifier explained by one output, the two classes, e.g. ``model.classes_``.
    units : str, optional
        The values' units. Default: "probability" when every output lies in [0, 1] (and several outputs sum
        to 1 per row); else "log-odds" ("logit" for images) for classification, "output" for regression.
    base_values : array-like, optional
        The base values when the Explanation has none (``shap.DeepExplainer(...)(X)`` leaves them out): pass
        ``explainer.expected_value``.
    model_output : array-like, optional
        The model's outputs on the explained rows, in the values' units, (n,) or (n, k). When given, additivity
        is checked: base + sum(values) must equal it within ``ADDITIVITY_RTOL`` (1e-4) of each row's scale,
        else an `AdditivityWarning` says by how much (a tabular explanation's fidelity badge shows the same).
        Default: base + sum(values), which shap's exact explainers guarantee. Required for images explained
        for a per-image selection of outputs (``outputs=shap.Explanation.argsort.flip[:k]``): (n, k) for all
        k classes named in ``output_names``.
    probabilities : array-like, optional
        (n, k) class probabilities; default the outputs themselves (probability units), or their softmax
        (sigmoid for one output or multilabel).
    y_pred : array-like, optional
        The predicted labels; default the most probable class (regression: the output).
    feature_names : list of str, optional
        Tabular: one name per feature; default shap's, or the columns of a DataFrame given as ``data``, else
        ``Feature 0``, ``Feature 1``, ... (shap's own default names).
    data : pandas.DataFrame or array-like, optional
        Tabular: the explained rows (e.g. ``X_test`` with its categorical columns), when the Explanation's data
        lost their types or is missing.
    texts : list of str, optional
        Text: the explained texts; default the tokens joined (shap's tokens keep their whitespace; tokens
        without any are joined with spaces).
    images : array-like, optional
        Images: (n, H, W, C) uint8 to show; default the Explanation's data, scaled to 0-255 when it is in
        [0, 1] (other ranges are stretched per image, with a warning).
    targets : array-like, optional
        Images whose values are one (H, W) map per image (n, H, W): the output index each map explains.

    Returns
    -------
    TabularExplanation or TextExplanation or ImageExplanation
        The explanation, checked as ``explain()``'s results are; ``.show()`` opens the dashboard.

    Raises
    ------
    TypeError
        When ``explanation`` is not a shap.Explanation (e.g. the arrays of ``explainer.shap_values(X)``).
    ValueError
        For shapes it cannot take (1-D values, interaction values, values and data of different rows or sizes,
        per-row base values of a tabular explanation, no base values), and keywords that do not fit them.
        Each message says what to pass instead.

    Examples
    --------
    >>> import shap, rai_widget as rw
    >>> shap_values = shap.TreeExplainer(model)(X_test)
    >>> exp = rw.from_shap(shap_values, y_true=y_test, output_names=list(model.classes_))
    >>> exp.global_importance().head()
    >>> exp.show()  # the cohort dashboard, in a notebook cell
    """
    import shap

    if not isinstance(explanation, shap.Explanation):
        if isinstance(explanation, (np.ndarray, list, tuple)):
            raise TypeError(
                "from_shap takes a shap.Explanation, not the arrays of explainer.shap_values(X): call the explainer "
                "itself (explainer(X)), or wrap them: shap.Explanation(values, base_values=explainer.expected_value, "
                "data=X, feature_names=...)."
            )
        raise TypeError(f"from_shap takes a shap.Explanation (what explainer(X) returns), not a {type(explanation)}.")
    values = _array(explanation.values, "values")
    if values is None or isinstance(values, (list, tuple)):
        values = np.asarray(values, dtype=object) if values is not None else None
    if values is None or values.ndim == 0:
        raise ValueError("this shap.Explanation holds no values (one per row and feature): nothing to show.")
    if values.ndim == 1 and values.dtype != object:
        raise ValueError(
            f"the values have shape {values.shape}, one row: from_shap needs a row axis. An Explanation of one row "
            "(shap_values[0]) loses it; pass shap_values[0:1] (a slice keeps it)."
        )
    n = len(values)
    side = _carried(explanation, n)
    shap_data = _array(explanation.data, "data")
    if kind is None:
        kind = side.get("kind") or _guess_kind(values, shap_data)
    if kind not in KINDS:
        raise ValueError(f"kind is {shown(kind)}; from_shap makes one of {', '.join(KINDS)}.")
    if base_values is None:
        base_values = _array(explanation.base_values, "base_values")
    given = {
        "task": task,
        "output_names": output_names,
        "units": units,
        "model_output": model_output,
        "probabilities": probabilities,
        "y_pred": y_pred,
        "y_true": y_true,
    }
    from_side = {key: side.get(key) for key in given} if side.get("kind") == kind else {}
    args = {key: value if value is not None else from_side.get(key) for key, value in given.items()}
    shap_names = _array(explanation.output_names, "output_names")
    if kind == "tabular":
        return _tabular(
            values, base_values, shap_data, explanation.feature_names, shap_names, args, side, feature_names, data
        )
    if kind == "text":
        return _text(values, base_values, shap_data, shap_names, args, side, texts)
    return _image(values, base_values, shap_data, shap_names, args, side, images, targets)


# --- the outcome every kind shares: task, output names, units, model outputs, probabilities, labels ---------------
class _Outcome:
    def __init__(self, **fields):
        self.__dict__.update(fields)

    task: str
    output_names: list
    units: str
    model_output: np.ndarray
    probabilities: np.ndarray | None
    y_pred: Any
    y_true: Any
    mirror: bool  # one output of a binary classification: the first class is its mirror


def _labels_arg(y, n: int, name: str):
    if y is None:
        return None
    arr = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.DataFrame, pd.Index)) else _array(y, name))
    if arr.ndim == 0 or len(arr) != n:
        raise ValueError(f"{name} has {1 if arr.ndim == 0 else len(arr)} labels for {n} explained rows: one per row.")
    return arr


def _class_like(y) -> bool:
    """Labels that name classes: strings, booleans, or only the integers 0 and 1."""
    if y is None or y.ndim != 1:
        return False
    inferred = pd.api.types.infer_dtype(y, skipna=True)
    if inferred in ("string", "boolean", "mixed", "categorical", "bytes"):
        return True
    if inferred == "integer":
        return set(np.unique(y).tolist()) <= {0, 1}
    return False


def _base_rows(base, n: int, k: int) -> np.ndarray:
    """Base values as (n, k)."""
    if base is None or np.size(base) == 0 or (isinstance(base, np.ndarray) and base.dtype == object and not base.ndim):
        raise ValueError(
            "this shap.Explanation has no base values (shap.DeepExplainer(...)(X) leaves them out): pass "
            "base_values=explainer.expected_value."
        )
    b = _numbers(base, "base_values")
    if b.ndim == 0 or b.shape == (1,):
        return np.full((n, k), float(b.reshape(-1)[0]))
    if b.shape == (n,) and k == 1:
        return b[:, None]
    if b.shape == (k,):
        return np.tile(b, (n, 1))
    if b.shape in ((n, k), (n, 1)) and b.shape[1] == k:
        return b
    outputs = f"{k} output" if k == 1 else f"{k} outputs"
    raise ValueError(
        f"the base values have shape {b.shape}, which fits neither {n} rows nor {outputs}: shap's are (n,) or "
        f"(n, k); explainer.expected_value is one number or (k,)."
    )


def _default_names(names, prefix: str) -> bool:
    return all(str(x) == f"{prefix} {i}" for i, x in enumerate(names))


def _class_names(given, shap_names, k_raw: int, mirror: bool, task: str, labels: list) -> list:
    k = 2 if mirror else k_raw
    if given is not None:
        names = [plain(x) for x in (given.tolist() if isinstance(given, (np.ndarray, pd.Index, pd.Series)) else given)]
        if len(names) != k:
            what = "two classes (the first class's values are minus the second's)" if mirror else f"{k} outputs"
            raise ValueError(f"output_names has {len(names)} names but the values explain {what}: give {k} names.")
        return names
    if task == "regression":
        if shap_names is not None and np.ndim(shap_names) == 0:
            return [plain(shap_names)]  # one output of several, sliced: shap_values[:, :, j] keeps its name
        if shap_names is not None and np.ndim(shap_names) == 1 and len(shap_names) == 1:
            return [plain(shap_names[0])]
        return ["output"]
    distinct = list({v for y in labels for v in np.asarray(y).tolist()}) if labels else []
    try:
        seen = sorted(distinct)  # as np.unique sorts a classifier's classes_
    except TypeError:
        seen = sorted(distinct, key=str)
    if mirror:
        if len(seen) == 2:
            return seen
        if set(seen) <= {0, 1} or all(isinstance(v, bool) for v in seen):
            return [False, True] if seen and all(isinstance(v, bool) for v in seen) else [0, 1]
        raise ValueError(
            f"one output of a binary classifier, but the labels name {shown(seen)}, not two classes: pass "
            "output_names=[negative class, positive class] (e.g. list(model.classes_))."
        )
    if shap_names is not None and np.ndim(shap_names) == 1 and len(shap_names) == k:
        names = [plain(x) for x in shap_names]
        if (
            _default_names(names, "Output")
            and seen
            and set(seen) <= set(range(k))
            and not any(isinstance(v, bool) for v in seen)
        ):
            return list(range(k))
        return names
    return [f"Output {i}" for i in range(k)]


def _label_array(names: list, index: np.ndarray) -> np.ndarray:
    """The classes at `index` as a plain array of their own type (bool, int, float or str)."""
    if all(isinstance(c, bool) for c in names):
        kind: type = bool
    elif all(isinstance(c, int) and not isinstance(c, bool) for c in names):
        kind = np.int64
    elif all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in names):
        kind = np.float64
    else:
        kind = str
    return np.asarray(names, dtype=object).astype(kind)[index]


def _check_labels(names: list, labels: dict, named_by_shap: bool) -> None:
    from rai_widget.explanations.tabular import label_index

    for field, y in labels.items():
        if y is None or y.ndim != 1:
            continue
        unknown = y[label_index(y, names) < 0]
        if len(unknown):
            fix = (
                "shap named the outputs itself: pass output_names= with the classes in the model's order (e.g. "
                "list(model.classes_))"
                if named_by_shap
                else "pass output_names= that name them, in the model's order"
            )
            raise ValueError(
                f"{field} has labels {shown(list(dict.fromkeys(unknown.tolist())), 5)} that are not among the output "
                f"names {shown(names)}: {fix}."
            )


def _check_additivity(total: np.ndarray, given: np.ndarray, scale: np.ndarray) -> None:
    gap = np.abs(total - given)
    off = gap > ADDITIVITY_RTOL * (scale + np.abs(given)) + ADDITIVITY_ATOL
    if off.any():
        rows = np.flatnonzero(off.any(axis=1))
        i = int(rows[0])
        warnings.warn(
            f"shap's values do not add up to model_output on {len(rows)} of {len(total)} rows (row {i}: base + sum of "
            f"values = {shown(total[i], 4)}, model_output = {shown(given[i], 4)}; largest gap {float(gap.max()):.3g}, "
            f"tolerance {ADDITIVITY_RTOL:g} of the row's scale). The values may be approximate (e.g. "
            "GradientExplainer, a small max_evals) or explain another output than model_output holds (units, class "
            "order); the dashboard shows them as they are, and the fidelity figures say how far they are off.",
            AdditivityWarning,
            stacklevel=3,
        )


def _outcome(total, scale, args: dict, side: dict, shap_names, tasks: tuple, image: bool = False) -> _Outcome:
    """total: (n, k_raw) base + sum of values; scale: (n, k_raw) |base| + sum |values|, for the tolerance."""
    n, k_raw = total.shape
    y_true = _labels_arg(args["y_true"], n, "y_true")
    y_pred = _labels_arg(args["y_pred"], n, "y_pred")
    labels = [y for y in (y_true, y_pred) if y is not None and y.ndim == 1]
    names_given = args["output_names"]
    task = args["task"]
    if task is None:
        if image or k_raw > 1 or (names_given is not None and len(names_given) == 2):
            task = "classification"
        else:
            task = "classification" if any(_class_like(y) for y in labels) else "regression"
    if task not in tasks:
        raise ValueError(f"task is {shown(task)}; this kind of explanation has one of {', '.join(tasks)}.")
    if task == "regression" and k_raw != 1:
        raise ValueError(
            f"a regression explanation has one output, but these values explain {k_raw}: pass one at a time "
            "(rw.from_shap(shap_values[..., j])), or task='classification' if the outputs are classes."
        )
    mirror = task == "classification" and k_raw == 1
    names = _class_names(names_given, shap_names, k_raw, mirror, task, labels if task == "classification" else [])
    if task == "classification":
        _check_labels(names, {"y_true": y_true, "y_pred": y_pred}, names_given is None)
    given = args["model_output"]
    raw = total
    if given is not None:
        mo = _numbers(given, "model_output")
        mo = mo[:, None] if mo.ndim == 1 else mo
        k = len(names)
        if mo.shape not in ((n, k_raw), (n, k)):
            raise ValueError(
                f"model_output has shape {mo.shape}, not ({n}, {k_raw}): the model's outputs on the explained rows, "
                "in the values' units, one column per output shap explained."
            )
        raw = mo if mo.shape == (n, k_raw) else mo[:, 1:]
        if side.get("model_output") is not given:  # our own to_shap's: a surrogate's values need not add up
            _check_additivity(total, raw, scale)
    units = args["units"]
    if units is None:
        in01 = bool(((raw >= -PROBABILITY_TOLERANCE) & (raw <= 1 + PROBABILITY_TOLERANCE)).all())
        sums = bool((np.abs(raw.sum(axis=1) - 1) <= SUM_TOLERANCE).all())
        if task == "regression":
            units = "output"
        elif in01 and (k_raw == 1 or sums or task == "multilabel"):
            units = "probability"
        elif in01 and task == "classification":
            raise ValueError(
                f"the outputs lie in [0, 1] but do not sum to 1 per row (row 0 sums to {raw[0].sum():.4g}): if they "
                "are probabilities of some of the classes, explain every class; if they are independent scores, "
                "pass task='multilabel' (text, images); if they are in other units, say which with units=."
            )
        else:
            units = ("log-odds" if task == "multilabel" else "logit") if image else "log-odds"
    probability = units == "probability"
    if given is not None and mo.shape == (n, len(names)) and (mirror or k_raw == len(names)):
        final = mo
    elif mirror:
        final = np.column_stack([1 - raw[:, 0], raw[:, 0]] if probability else [-raw[:, 0], raw[:, 0]])
    else:
        final = raw
    p = args["probabilities"]
    if p is not None:
        p = _numbers(p, "probabilities")
    elif task == "regression":
        p = None
    elif probability:
        p = np.clip(final, 0.0, 1.0)
    elif mirror:
        s = 1 / (1 + np.exp(-raw[:, 0]))
        p = np.column_stack([1 - s, s])
    elif task == "multilabel":
        p = 1 / (1 + np.exp(-final))
    else:
        z = np.exp(final - final.max(axis=1, keepdims=True))
        p = z / z.sum(axis=1, keepdims=True)
    if y_pred is None:
        if task == "regression":
            y_pred = final[:, 0].copy()
        elif task == "multilabel":
            y_pred = p >= 0.5
        else:
            y_pred = _label_array(names, np.argmax(p, axis=1))
    return _Outcome(
        task=task, output_names=names, units=units, model_output=final, probabilities=p, y_pred=y_pred,
        y_true=y_true, mirror=mirror,
    )  # fmt: skip


def _mirrored(values: np.ndarray, axis: int) -> np.ndarray:
    """One output's values (..., 1) as the two classes' (..., 2): the first is minus the second."""
    return np.concatenate([-values, values], axis=axis)


def _mirror_base(base: np.ndarray, units: str) -> np.ndarray:
    """(..., 1) base values of the second class as both classes' (..., 2)."""
    first = 1 - base if units == "probability" else -base
    return np.concatenate([first, base], axis=-1)


# --- tabular -----------------------------------------------------------------------------------------------------
def _interactions_error(shape) -> ValueError:
    return ValueError(
        f"the values have shape {shape}: SHAP interaction values (explainer(X, interactions=True) or "
        "shap_interaction_values), one per pair of features. from_shap takes SHAP values, one per row, feature and "
        "output: call explainer(X) without interactions=True, or sum the interactions over their last feature axis "
        "(shap.Explanation(values.sum(axis=2), base_values=..., data=...)), which gives the SHAP values."
    )


def _feature_names(given, shap_features, frame_columns, f: int) -> list[str]:
    names = None
    if given is not None:
        names = list(given)
        source = "feature_names"
    elif shap_features is not None and np.ndim(shap_features) == 1 and len(shap_features) == f:
        names, source = list(shap_features), "the Explanation's feature_names"
        if _default_names(names, "Feature") and frame_columns is not None:
            names, source = list(frame_columns), "data's columns"
    elif frame_columns is not None:
        names, source = list(frame_columns), "data's columns"
    if names is None:
        return [f"Feature {j}" for j in range(f)]  # shap's own default names
    if len(names) != f:
        raise ValueError(f"{source} has {len(names)} names for {f} features: give one name per feature.")
    names = [str(x) for x in names]
    dupes = sorted({x for x in names if names.count(x) > 1})
    if dupes:
        raise ValueError(f"{source} names {shown(dupes)} more than once: pass feature_names= with distinct names.")
    return names


def _feature_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "numeric"
    return "category"


def _tabular(values, base, shap_data, shap_features, shap_names, args, side, feature_names, data):
    from rai_widget.explanations.tabular import TabularExplanation, surrogate_fidelity

    if values.dtype == object:
        raise ValueError(
            "the values have a different length per row, as a text explanation's do: pass kind='text' (with data "
            "holding each row's tokens), or give a tabular explanation one value per feature in every row."
        )
    if values.dtype.kind not in "biuf":
        raise TypeError(f"the values hold {values.dtype}, not numbers.")
    values = values.astype(np.float64)
    n = len(values)
    if values.ndim == 4 or (
        values.ndim == 3 and shap_names is None and values.shape[1] == values.shape[2] and not side
    ):
        raise _interactions_error(values.shape)
    if values.ndim not in (2, 3):
        raise ValueError(
            f"the values have shape {values.shape}: a tabular explanation has (rows, features) or (rows, features, "
            "outputs). Images are (n, H, W, C); pass kind='image' for those."
        )
    f = values.shape[1]
    vals3 = values if values.ndim == 3 else values[:, :, None]
    k_raw = vals3.shape[2]
    if isinstance(data, pd.DataFrame):
        frame = data.reset_index(drop=True)
    elif data is None and isinstance(side.get("data"), pd.DataFrame):
        frame = side["data"]  # our own to_shap's, with its dtypes (copied below: the new explanation owns its data)
    else:
        arr = shap_data if data is None else _array(data, "data")
        if arr is None:
            raise ValueError("this shap.Explanation holds no data (the explained rows): pass data=X_explained.")
        arr = np.asarray(arr)
        if arr.ndim != 2:
            raise ValueError(
                f"the data has shape {arr.shape}, not (rows, features): pass data= with the explained rows."
            )
        frame = pd.DataFrame(arr).infer_objects()
    if len(frame) != n:
        raise ValueError(
            f"the values explain {n} rows but the data holds {len(frame)}: pass the rows the values were computed on "
            "(data=X_explained), in the same order."
        )
    if frame.shape[1] != f:
        raise ValueError(f"the values have {f} features but the data has {frame.shape[1]} columns: one per feature.")
    names = _feature_names(feature_names, shap_features, frame.columns if isinstance(data, pd.DataFrame) else None, f)
    ours = frame is side.get("data")
    frame = frame.copy()
    if not ours:
        frame.columns = names
    kinds = side["feature_kinds"] if ours else [_feature_kind(frame[c]) for c in frame.columns]
    b = _base_rows(base, n, k_raw)
    spread = np.ptp(b, axis=0)
    if (spread > ADDITIVITY_RTOL * np.maximum(1.0, np.abs(b).max(axis=0))).any():
        j = int(np.argmax(spread))
        raise ValueError(
            f"the base values differ between rows (output {j}: from {b[:, j].min():.6g} to {b[:, j].max():.6g}), but a "
            "tabular explanation has one base value per output: explain the rows against one background (one "
            "masker / data set for every row)."
        )
    total = b + vals3.sum(axis=1)
    scale = np.abs(b) + np.abs(vals3).sum(axis=1)
    out = _outcome(total, scale, args, side, shap_names, ("classification", "regression"))
    base_k = b[0].copy()  # one per output (checked above): the first row's, to the bit
    if out.mirror:
        vals3, base_k = _mirrored(vals3, 2), _mirror_base(base_k, out.units)
    exp = TabularExplanation(
        data=frame,
        feature_names=names,
        feature_kinds=kinds,
        values=vals3,
        base_values=base_k,
        model_output=out.model_output,
        output_names=out.output_names,
        task=out.task,
        units=out.units,
        y_pred=out.y_pred,
        y_true=out.y_true,
        probabilities=out.probabilities if out.task == "classification" else None,
        fidelity=side.get("fidelity"),
        attribution_agreement=side.get("attribution_agreement"),
        # our own to_shap() carries where its values came from (a surrogate's stay a surrogate's)
        source=side.get("source", "shap"),
    )
    if exp.source == "shap" and args["model_output"] is None:
        # no surrogate and no model outputs: base + values is the output by definition, nothing to measure
        exp.fidelity = {}
    elif not exp.fidelity:
        # a surrogate's fidelity, or for shap's values with model_output= how well base + values add up to it
        exp.fidelity = surrogate_fidelity(exp.model_output, exp.surrogate_output, exp.task, exp.output_names)
    return exp


# --- text --------------------------------------------------------------------------------------------------------
def _spans(raw: list[str], text: str | None) -> tuple[str, list[str], np.ndarray]:
    """A text's stripped tokens and their (start, end) characters; the text itself when not given: shap's tokens
    keep their whitespace (joined as they are), tokens without any are joined with spaces."""
    tokens = [t.strip() for t in raw]
    spans = np.full((len(raw), 2), -1, dtype=np.int64)
    if text is None:
        sep = "" if any(t != s for t, s in zip(raw, tokens, strict=True)) else " "
        text = sep.join(raw)
        at = 0
        for j, (t, s) in enumerate(zip(raw, tokens, strict=True)):
            start = at + (len(t) - len(t.lstrip()))
            if s:
                spans[j] = (start, start + len(s))
            at += len(t) + len(sep)
        return text, tokens, spans
    at = 0
    for j, s in enumerate(tokens):
        found = text.find(s, at) if s else -1
        if found >= 0:
            spans[j] = (found, found + len(s))
            at = found + len(s)
    return text, tokens, spans


def _text(values, base, shap_data, shap_names, args, side, texts):
    from rai_widget.explanations.text import TextExplanation

    if shap_data is None or not _is_text_data(shap_data):
        raise ValueError(
            "a text explanation needs each row's tokens as its data (a sequence of strings per row, as shap's Text "
            "masker gives); this Explanation's data is "
            f"{'missing' if shap_data is None else f'of shape {np.shape(shap_data)}'}."
        )
    rows = [[str(t) for t in list(r)] for r in shap_data]
    n = len(values)
    if len(rows) != n:
        raise ValueError(f"the values explain {n} texts but the data holds the tokens of {len(rows)}: one per text.")
    per_row = [np.asarray(v, dtype=np.float64) for v in values]
    ndims = {v.ndim for v in per_row}
    if not ndims <= {1, 2} or len(ndims) > 1:
        raise ValueError(
            "a text's values are (tokens,) or (tokens, outputs) per text, alike for every text; got values with "
            f"{sorted(ndims)} dimensions."
        )
    per_row = [v[:, None] if v.ndim == 1 else v for v in per_row]
    ks = {v.shape[1] for v in per_row}
    if len(ks) > 1:
        raise ValueError(f"the texts' values explain different numbers of outputs ({sorted(ks)}): one set for all.")
    k_raw = ks.pop() if ks else 1
    for i, (toks, v) in enumerate(zip(rows, per_row, strict=True)):
        if len(toks) != len(v):
            raise ValueError(f"text {i} has {len(toks)} tokens but {len(v)} values: one value per token.")
    b = _base_rows(base, n, k_raw)
    total = b + np.stack([v.sum(axis=0) for v in per_row]).reshape(n, k_raw)
    scale = np.abs(b) + np.stack([np.abs(v).sum(axis=0) for v in per_row]).reshape(n, k_raw)
    out = _outcome(total, scale, args, side, shap_names, ("classification", "multilabel", "regression"))
    texts = side.get("texts") if texts is None else list(texts)
    if texts is not None and len(texts) != n:
        raise ValueError(f"texts has {len(texts)} texts for {n} explained: one per row, in order.")
    made = [_spans(toks, None if texts is None else str(texts[i])) for i, toks in enumerate(rows)]
    offsets = side.get("offsets") if texts is side.get("texts") and side.get("offsets") is not None else None
    if out.mirror:
        per_row, b = [_mirrored(v, 1) for v in per_row], _mirror_base(b, out.units)
    return TextExplanation(
        texts=[m[0] for m in made],
        tokens=[m[1] for m in made] if offsets is None else side["tokens"],
        offsets=[m[2] for m in made] if offsets is None else offsets,
        values=per_row,
        base_values=b,
        model_output=out.model_output,
        output_names=out.output_names,
        task=out.task,
        units=out.units,
        y_pred=out.y_pred,
        y_true=out.y_true,
        probabilities=out.probabilities,
        truncated=side.get("truncated"),
        threshold=side.get("threshold", 0.5 if out.task == "multilabel" else None),
        params=side.get("params", {"source": "shap"}),
    )


# --- images ------------------------------------------------------------------------------------------------------
def _channels_last(data: np.ndarray) -> tuple[np.ndarray, bool]:
    """(n, H, W, C) from (n, H, W, C), (n, C, H, W) or (n, H, W); and whether the data was channels-first."""
    if data.ndim == 3:
        return data[..., None], False
    if data.ndim != 4:
        raise ValueError(f"the data has shape {data.shape}: images are (n, H, W, C), (n, C, H, W) or (n, H, W).")
    if data.shape[3] in (1, 3, 4):
        return data, False
    if data.shape[1] in (1, 3, 4):
        return np.moveaxis(data, 1, 3), True
    raise ValueError(
        f"the data has shape {data.shape}: neither its last nor its second axis holds 1, 3 or 4 colour channels, so "
        "its layout is unclear. Pass images=(n, H, W, C) uint8 to show."
    )


def _display_images(pixels: np.ndarray) -> np.ndarray:
    """uint8 (n, H, W, C) to show: [0, 1] scaled to 0-255, 0-255 as it is, anything else stretched per image."""
    if pixels.dtype == np.uint8:
        return pixels
    x = pixels.astype(np.float64)
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0 and hi <= 1:
        return np.round(x * 255).astype(np.uint8)
    if lo >= 0 and hi <= 255:
        return np.round(x).astype(np.uint8)
    warnings.warn(
        f"the images' pixels range from {lo:.3g} to {hi:.3g} (normalised for the model?), so each image is stretched "
        "to 0-255 for display; pass images= with the originals as (n, H, W, C) uint8.",
        RaiWidgetWarning,
        stacklevel=4,
    )
    span = x.max(axis=(1, 2, 3), keepdims=True) - x.min(axis=(1, 2, 3), keepdims=True)
    out = (x - x.min(axis=(1, 2, 3), keepdims=True)) / np.where(span > 0, span, 1)
    return np.round(out * 255).astype(np.uint8)


def _image(values, base, shap_data, shap_names, args, side, images, targets):
    from rai_widget.explanations.image import ImageExplanation

    if shap_data is None:
        raise ValueError("an image explanation needs the images as its data: this shap.Explanation has none.")
    if values.dtype == object or values.dtype.kind not in "biuf":
        raise ValueError(f"image values must be one array of numbers, not {values.dtype} per image.")
    values = values.astype(np.float64)
    data = np.asarray(shap_data)
    n = len(values)
    if len(data) != n:
        raise ValueError(f"the values explain {n} images but the data holds {len(data)}: one image per row.")
    pixels, first = _channels_last(data)
    hw = pixels.shape[1:3]
    per_row_names = shap_names is not None and np.ndim(shap_names) == 2
    if values.shape in (data.shape, data.shape + (values.shape[-1],)) and values.ndim in (data.ndim, data.ndim + 1):
        # shap's own: the data's shape, then one axis per output; one map per output = sum over the channels
        vals = values if values.ndim == data.ndim + 1 else values[..., None]
        if data.ndim == 4:
            vals = vals.sum(axis=1 if first else 3)
        maps = np.moveaxis(vals, -1, 1)  # (n, k, H, W)
        b = base
        k_raw = maps.shape[1]
        scale_maps = np.abs(np.moveaxis(values if values.ndim == data.ndim + 1 else values[..., None], -1, 1))
        sums = maps.reshape(n, k_raw, -1).sum(axis=2)
        abs_sums = scale_maps.reshape(n, k_raw, -1).sum(axis=2)
    elif values.shape[0] == n and values.shape[-2:] == hw and values.ndim in (3, 4):
        # one (H, W) map per image (or (t, H, W) per image): what ImageExplanation.to_shap() gives
        maps = values[:, None] if values.ndim == 3 else values
        b, k_raw, sums, abs_sums = None, maps.shape[1], None, None
    else:
        raise ValueError(
            f"image values of shape {values.shape} do not match images of shape {data.shape}: shap's are the data's "
            "shape plus an axis per output, (n, H, W, C[, k]) or (n, C, H, W[, k]); or one map per image, (n, H, W)."
        )
    output_names, model_output = args["output_names"], args["model_output"]
    tgt = side.get("targets") if targets is None else targets
    if per_row_names:
        names_rows = np.asarray(shap_names)
        if output_names is None:
            output_names = list(dict.fromkeys(names_rows.ravel().tolist()))
        where = {str(c): i for i, c in enumerate(output_names)}
        missing = sorted({str(x) for x in names_rows.ravel()} - set(where))
        if missing:
            raise ValueError(f"the Explanation explains outputs {shown(missing)} that output_names does not name.")
        tgt = np.array([[where[str(x)] for x in row] for row in names_rows])
        if model_output is None:
            raise ValueError(
                "shap explained a selection of outputs per image (outputs=...), so the other classes' scores are "
                "unknown: pass model_output=f(images), (n, k) for the k classes, and output_names= naming them."
            )
    if b is not None and sums is not None and tgt is None:
        bb = _base_rows(b, n, k_raw)
        total, scale = bb + sums, np.abs(bb) + abs_sums
        args = {**args, "output_names": output_names}
        out = _outcome(total, scale, args, side, shap_names, ("classification", "multilabel"), image=True)
        if out.mirror:
            tgt = np.ones(n, dtype=np.int64)
        else:
            tgt = np.tile(np.arange(k_raw), (n, 1)) if k_raw > 1 else np.zeros(n, dtype=np.int64)
    else:
        if model_output is None:
            raise ValueError(
                "these image values come without base values, so the model's outputs cannot be inferred: pass "
                "base_values=explainer.expected_value (DeepExplainer(...)(X) leaves them out), or model_output=(n, k) "
                "scores of the model on the images (and output_names= for its classes)."
            )
        mo = _numbers(model_output, "model_output")
        mo = mo[:, None] if mo.ndim == 1 else mo
        if tgt is None:
            if maps.shape[1] != mo.shape[1] and maps.shape[1] != 1:
                raise ValueError(
                    f"{maps.shape[1]} maps per image for {mo.shape[1]} outputs: pass targets= with the output index "
                    "of each map."
                )
            tgt = np.tile(np.arange(maps.shape[1]), (n, 1)) if maps.shape[1] > 1 else np.argmax(mo, axis=1)
        args = {**args, "output_names": output_names, "model_output": mo}
        out = _outcome(mo, np.abs(mo), args, {"model_output": mo}, None, ("classification", "multilabel"), image=True)
        if out.mirror:
            raise ValueError("an image explanation of one output needs two classes: pass model_output=(n, 2) scores.")
    tgt = np.asarray(tgt)
    if tgt.ndim == 2 and tgt.shape[1] == 1 and maps.shape[1] == 1 and not per_row_names:
        tgt = tgt[:, 0]
    attributions = maps[:, 0] if tgt.ndim == 1 else maps
    shown_images = _display_images(pixels) if images is None else np.asarray(_array(images, "images"))
    return ImageExplanation(
        images=shown_images,
        attributions=attributions,
        targets=tgt,
        method=side.get("method", "shap"),
        params=side.get("params", {"source": "shap"}),
        output_names=out.output_names,
        task=out.task,
        units=out.units,
        y_pred=out.y_pred,
        y_true=out.y_true,
        model_output=out.model_output,
        probabilities=out.probabilities,
    )


def carry(shap_explanation, exp, **fields):
    """`shap_explanation` with what shap has no field for attached as `.rai_widget` (for from_shap's round trip)."""
    side = {
        "kind": exp.kind,
        "n": len(exp),
        "task": exp.task,
        "units": exp.units,
        "output_names": list(exp.output_names),
        "model_output": exp.model_output,
        "probabilities": getattr(exp, "probabilities", None),
        "y_pred": exp.y_pred,
        "y_true": exp.y_true,
        **fields,
    }
    setattr(shap_explanation, CARRIED, side)
    return shap_explanation
