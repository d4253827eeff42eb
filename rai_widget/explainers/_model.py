"""Calling the user's model: task detection, class names, and predictions with clear errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from rai_widget._errors import ModelPredictError

__all__ = ["ModelAdapter", "ModelPredictError"]

TASKS = ("classification", "regression")


def _is_lightgbm_booster(model) -> bool:
    return type(model).__name__ == "Booster" and type(model).__module__.startswith("lightgbm")


def _booster_is_classifier(model) -> bool:
    objective = str(model.params.get("objective", "")) if hasattr(model, "params") else ""
    if not objective:
        objective = model.dump_model(num_iteration=0).get("objective", "")
    return objective.split(" ")[0] in {"binary", "multiclass", "softmax", "multiclassova", "ova", "cross_entropy"}


class ModelAdapter:
    """Wraps a model so the explainer can ask for (n, k) scores: probabilities or raw outputs."""

    def __init__(self, model, task: str = "auto", classes: Sequence | None = None):
        if task not in ("auto", *TASKS):
            raise ValueError(f"task must be 'auto', 'classification' or 'regression', not {task!r}.")
        self.model = model
        self._proba: Callable | None = None
        self._predict: Callable | None = None
        if _is_lightgbm_booster(model):
            # A native Booster's predict() returns probabilities for classification objectives
            # (explained as raw outputs with task="regression").
            self._predict = model.predict
            if _booster_is_classifier(model):
                self._proba = model.predict
        else:
            if hasattr(model, "predict_proba") and callable(model.predict_proba):
                self._proba = model.predict_proba
            if hasattr(model, "predict") and callable(model.predict):
                self._predict = model.predict
            if self._proba is None and self._predict is None:
                if not callable(model):
                    raise TypeError(
                        f"model must have predict_proba / predict, or be a callable f(X) -> scores; "
                        f"got {type(model).__name__}."
                    )
                self._predict = model
        self.is_callable = self._proba is None and not hasattr(model, "predict")

        if task == "auto" and not self.is_callable:
            task = "classification" if self._proba is not None else "regression"
        if task == "classification" and self._proba is None and not self.is_callable:
            raise TypeError(
                f"task='classification' needs class probabilities, but {type(model).__name__} has no "
                "predict_proba. Pass a probabilistic classifier (e.g. CalibratedClassifierCV(model)), or "
                "task='regression' to explain its raw predict() output."
            )
        if task == "regression" and self._predict is None:
            raise TypeError(
                f"task='regression' explains the output of predict(), but {type(model).__name__} has only "
                "predict_proba. Leave task='auto' (or 'classification') to explain its probabilities."
            )
        self.task = task  # "auto" remains only for plain callables, settled by their first output
        self.classes = None if classes is None else list(classes)
        if self.classes is None and task == "classification":
            model_classes = getattr(model, "classes_", None)
            if model_classes is not None:
                self.classes = list(model_classes)

    def _call(self, fn: Callable, X, what: str) -> np.ndarray:
        try:
            out = fn(X)
        except Exception as err:  # the user's code: report it as theirs, keep the original
            raise ModelPredictError(
                f"The model raised {type(err).__name__} in {what} on {len(X)} rows: {err}. "
                "Check that the model accepts data shaped like X_train (same columns and dtypes)."
            ) from err
        out = np.asarray(out)
        if out.dtype == object:
            try:
                out = out.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{what} returned non-numeric values ({out.dtype}).") from None
        return out

    def scores(self, X, n_rows: int) -> np.ndarray:
        """(n, k) probabilities (classification) or outputs (regression), validated."""
        if self._proba is not None and self.task == "classification":
            what, out = "predict_proba", self._call(self._proba, X, "predict_proba")
        else:
            # classification with probabilities took the branch above; regression has predict (checked
            # in __init__); "auto" is left only for plain callables, whose function is _predict
            assert self._predict is not None, "every task but classification with predict_proba needs predict"
            what = "the model function" if self.is_callable else "predict"
            out = self._call(self._predict, X, what)
        if self.task == "auto":  # a plain callable: probabilities decide
            self.task = "classification" if _looks_like_probabilities(out) else "regression"
        out = out.astype(np.float64, copy=False)
        if self.task == "classification":
            return self._check_probabilities(out, n_rows, what)
        if out.ndim == 1:
            out = out[:, None]
        if out.ndim != 2 or out.shape[0] != n_rows:
            raise ValueError(f"{what} returned shape {out.shape}; expected ({n_rows},) or ({n_rows}, k).")
        if not np.all(np.isfinite(out)):
            bad = int((~np.isfinite(out)).any(axis=1).sum())
            raise ValueError(f"{what} returned NaN or infinite predictions for {bad} rows.")
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
        if self.classes is None:
            self.classes = list(range(out.shape[1]))
        if len(self.classes) != out.shape[1]:
            raise ValueError(
                f"classes has {len(self.classes)} names but the model returns {out.shape[1]} probability columns."
            )
        return np.clip(out, 0.0, 1.0)


def _looks_like_probabilities(out: np.ndarray) -> bool:
    """A callable's output is read as class probabilities when it is (n, k>=2), in [0, 1], rows summing to 1."""
    if out.ndim != 2 or out.shape[1] < 2 or out.dtype.kind not in "fiu":
        return False
    out = out.astype(np.float64)
    return bool(
        np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1 and np.allclose(out.sum(axis=1), 1.0, atol=1e-5)
    )
