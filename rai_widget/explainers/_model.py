"""Calling the user's model: task detection, class names, and predictions with clear errors.

The task is decided from the model, before anything is fitted: a model with predict_proba (or a
classifier LightGBM Booster) is a classification; a classifier without one (sklearn's is_classifier,
or a `classes_` attribute) is refused, since its labels are not an output a surrogate can distil; a
plain callable (or a model with only predict) is settled by its first output: rows of probabilities
mean classification, labels (strings, booleans) are refused, numbers are a regression of one output.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rai_widget._checks import check_classes, shown
from rai_widget._errors import ModelPredictError

__all__ = ["ModelAdapter", "ModelPredictError"]

TASKS = ("classification", "regression")
# How far a row of probabilities may sum from 1 (float32 softmax over many classes rounds by ~1e-5).
PROBABILITY_SUM_TOLERANCE = 1e-3
FLOAT32_MAX = float(np.finfo(np.float32).max)

_PROBABILISTIC = (
    "a classifier that gives probabilities, e.g. CalibratedClassifierCV(model) from sklearn.calibration, which "
    "wraps any classifier"
)


def _is_lightgbm_booster(model) -> bool:
    return type(model).__name__ == "Booster" and type(model).__module__.startswith("lightgbm")


def _booster_is_classifier(model) -> bool:
    objective = str(model.params.get("objective", "")) if hasattr(model, "params") else ""
    if not objective:
        objective = model.dump_model(num_iteration=0).get("objective", "")
    return objective.split(" ")[0] in {"binary", "multiclass", "softmax", "multiclassova", "ova", "cross_entropy"}


def _is_classifier(model) -> bool:
    """A classifier by scikit-learn's account (is_classifier: pipelines too), or any model with class labels."""
    if getattr(model, "classes_", None) is not None:
        return True
    if hasattr(model, "__sklearn_tags__") or type(model).__module__.split(".")[0] in {"sklearn", "imblearn"}:
        try:
            from sklearn.base import is_classifier

            return bool(is_classifier(model))
        except Exception:  # not an estimator sklearn can inspect
            return False
    return getattr(model, "_estimator_type", None) == "classifier"


def _model_classes(model) -> list | None:
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    try:
        return check_classes(list(classes), f"the model's classes_ ({type(model).__name__}.classes_)")
    except TypeError:
        if np.ndim(classes) > 1 or any(np.ndim(c) > 0 for c in classes):
            raise TypeError(
                f"{type(model).__name__}.classes_ holds one array of classes per output (a multi-output classifier); "
                "MimicExplainer explains one output at a time: wrap one output, e.g. "
                "MimicExplainer(model.estimators_[0], X_train)."
            ) from None
        raise


class ModelAdapter:
    """Wraps a model so the explainer can ask for (n, k) scores: probabilities or raw outputs."""

    def __init__(self, model, task: str = "auto", classes: Sequence | None = None):
        if not isinstance(task, str) or task not in ("auto", *TASKS):
            raise ValueError(f"task must be 'auto', 'classification' or 'regression', not {shown(task)}.")
        self.model = model
        self.classes = check_classes(classes, "classes")
        self._proba: Callable | None = None
        self._predict: Callable | None = None
        name = type(model).__name__
        if _is_lightgbm_booster(model):
            # A native Booster's predict() returns probabilities for classification objectives
            # (explained as raw outputs with task="regression").
            self._predict = model.predict
            if _booster_is_classifier(model):
                self._proba = model.predict
        else:
            if callable(getattr(model, "predict_proba", None)):
                self._proba = model.predict_proba
            if callable(getattr(model, "predict", None)):
                self._predict = model.predict
            if self._proba is None and self._predict is None:
                if model is None or not callable(model):
                    raise TypeError(
                        f"model must have predict_proba / predict, or be a callable f(X) -> scores; got {name}."
                    )
                self._predict = model
        self.is_callable = self._proba is None and not hasattr(model, "predict")
        model_classes = None if self.is_callable or _is_lightgbm_booster(model) else _model_classes(model)

        if task == "auto" and self._proba is not None:
            task = "classification"
        if self._proba is None and not self.is_callable and task != "regression" and _is_classifier(model):
            labels = "" if model_classes is None else f" (its labels: {shown(model_classes, 5)})"
            numeric = model_classes is not None and all(
                isinstance(c, (int, float)) and not isinstance(c, bool) for c in model_classes
            )
            raise TypeError(
                f"model ({name}) is a classifier{labels} without predict_proba: MimicExplainer explains class "
                f"probabilities, not predicted labels. Pass {_PROBABILISTIC}"
                + (". Or pass task='regression' to explain its numeric labels as numbers." if numeric else ".")
            )
        if task == "classification" and self._proba is None and not self.is_callable:
            raise TypeError(
                f"task='classification' needs class probabilities, but {name} has no "
                "predict_proba. Pass a probabilistic classifier (e.g. CalibratedClassifierCV(model)), or "
                "task='regression' to explain its raw predict() output."
            )
        if task == "regression" and self._predict is None:
            raise TypeError(
                f"task='regression' explains the output of predict(), but {name} has only "
                "predict_proba. Leave task='auto' (or 'classification') to explain its probabilities."
            )
        # "auto" remains for plain callables and models with only predict: their first output settles it
        self.task = task
        if self.classes is None and task == "classification":
            self.classes = model_classes

    def _call(self, fn: Callable, X, what: str) -> np.ndarray:
        try:
            raw = fn(X)
        except Exception as err:  # the user's code: report it as theirs, keep the original
            raise ModelPredictError(
                f"The model raised {type(err).__name__} in {what} on {len(X)} rows: {err}. "
                "Check that the model accepts data shaped like X_train (same columns and dtypes)."
            ) from err
        if isinstance(raw, (list, tuple)) and raw and all(np.ndim(r) == 2 for r in raw):
            raise TypeError(
                f"{what} returned a list of {len(raw)} arrays, one per output (a multi-output model); MimicExplainer "
                "explains one output at a time: wrap one, e.g. MimicExplainer(lambda X: f(X)[0], X_train)."
            )
        try:
            out = np.asarray(raw)
        except (TypeError, ValueError) as err:  # ragged rows
            raise TypeError(f"{what} returned {type(raw).__name__} that is not an array of scores: {err}") from None
        if out.dtype == object:
            flat = out.ravel().tolist()
            if all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in flat):
                out = out.astype(np.float64)
        if out.dtype.kind in "iuf":
            return out
        if out.dtype.kind in "bUSO":  # booleans, strings, objects: labels (or something else), not scores
            sample = list(dict.fromkeys(out.ravel().tolist()[:1000]))[:5]
            if what == "predict_proba":
                raise TypeError(
                    f"predict_proba returned {shown(sample)}, not numbers: it must return one probability per class."
                )
            raise TypeError(
                f"{what} returned labels ({shown(sample)}), not numbers: MimicExplainer explains class probabilities "
                f"or a numeric output. For a classifier, pass {_PROBABILISTIC}; for a function, return one probability "
                "per class (rows summing to 1)."
            )
        raise TypeError(f"{what} returned values of dtype {out.dtype}, not real numbers.")

    def scores(self, X, n_rows: int) -> np.ndarray:
        """(n, k) probabilities (classification) or outputs (regression), validated."""
        if self._proba is not None and self.task == "classification":
            what, out = "predict_proba", self._call(self._proba, X, "predict_proba")
        else:
            # classification with probabilities took the branch above; regression has predict (checked
            # in __init__); "auto" is left only for models whose function is _predict
            assert self._predict is not None, "every task but classification with predict_proba needs predict"
            what = "the model function" if self.is_callable else "predict"
            out = self._call(self._predict, X, what)
        out = out.astype(np.float64, copy=False)
        if self.task == "auto":  # probabilities decide
            self.task = "classification" if _looks_like_probabilities(out) else "regression"
        if self.task == "classification":
            return self._check_probabilities(out, n_rows, what)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != n_rows:
            raise ValueError(f"{what} returned shape {out.shape}; expected ({n_rows},) or ({n_rows}, 1).")
        if not np.all(np.isfinite(out)):
            bad = int((~np.isfinite(out)).any(axis=1).sum())
            raise ValueError(f"{what} returned NaN or infinite predictions for {bad} rows.")
        if out.shape[1] > 1:
            hint = (
                " If they are class probabilities, pass task='classification'."
                if out.min() >= 0 and out.max() <= 1
                else ""
            )
            raise ValueError(
                f"{what} returned {out.shape[1]} outputs per row (shape {out.shape}); MimicExplainer explains one "
                "regression output. Explain each with its own explainer, e.g. "
                f"MimicExplainer(lambda X: model.predict(X)[:, 0], X_train).{hint}"
            )
        biggest = float(np.abs(out).max())
        if biggest > FLOAT32_MAX:
            raise ValueError(
                f"{what} returned values up to {biggest:.3g}, beyond float32's range (±3.4e38), which the surrogate "
                "(LightGBM stores its targets as float32) and the dashboard use. Explain a rescaled output, e.g. "
                "MimicExplainer(lambda X: model.predict(X) / 1e30, X_train)."
            )
        return out

    def _check_probabilities(self, out: np.ndarray, n_rows: int, what: str) -> np.ndarray:
        if out.ndim == 1:
            # a binary classifier returning P(class 1) only (e.g. a LightGBM Booster)
            out = np.column_stack([1.0 - out, out])
        if out.ndim != 2 or out.shape[0] != n_rows or out.shape[1] < 2:
            raise ValueError(f"{what} returned shape {out.shape}; expected ({n_rows}, n_classes) probabilities.")
        if not np.all(np.isfinite(out)) or out.min() < -1e-6 or out.max() > 1 + 1e-6:
            raise ValueError(
                f"{what} returned values outside [0, 1] or non-finite; classification needs "
                "probabilities. Pass task='regression' to explain raw scores instead."
            )
        sums = out.sum(axis=1)
        off = np.abs(sums - 1.0) > PROBABILITY_SUM_TOLERANCE
        if off.any():
            i = int(np.argmax(off))
            raise ValueError(
                f"{what} returned rows that do not sum to 1 ({int(off.sum())} of {n_rows}; row {i}: "
                f"{shown(np.round(out[i], 6), 5)} sums to {sums[i]:.6g}). Classification needs one probability per "
                "class, summing to 1; scores of independent classes (one sigmoid per class, multi-label) are not. "
                "Explain each class as its own model, e.g. MimicExplainer(lambda X: f(X)[:, 1], X_train, "
                "task='regression'), or normalise the rows."
            )
        if self.classes is None:
            self.classes = list(range(out.shape[1]))
        if len(self.classes) != out.shape[1]:
            raise ValueError(
                f"classes has {len(self.classes)} names but the model returns {out.shape[1]} probability columns."
            )
        return np.clip(out, 0.0, 1.0)


def _looks_like_probabilities(out: np.ndarray) -> bool:
    """An output is read as class probabilities when it is (n, k>=2), in [0, 1], rows summing to 1."""
    if out.ndim != 2 or out.shape[1] < 2 or out.dtype.kind not in "fiu":
        return False
    out = out.astype(np.float64)
    return bool(
        np.all(np.isfinite(out))
        and out.min() >= 0
        and out.max() <= 1
        and np.all(np.abs(out.sum(axis=1) - 1.0) <= PROBABILITY_SUM_TOLERANCE)
    )
