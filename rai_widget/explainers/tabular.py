"""Mimic: explain any tabular model through a LightGBM surrogate distilled on its outputs.

The surrogate learns the model's soft outputs (per-class log-odds for classification, the raw
output for regression) on X_train; exact path-dependent TreeSHAP on the surrogate then gives
local values for every explained row. How faithful the surrogate is on those rows is measured
and reported (`exp.fidelity`), with a FidelityWarning when it is poor.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from rai_widget._warnings import RaiWidgetWarning
from rai_widget.explainers import _treeshap
from rai_widget.explainers._model import ModelAdapter
from rai_widget.explainers._tabular_data import TabularSchema
from rai_widget.explanations import TabularExplanation
from rai_widget.explanations.tabular import surrogate_fidelity

if TYPE_CHECKING:
    import lightgbm as lgb

# Shallow trees keep TreeSHAP cheap (its cost grows with trees x leaves x depth). On
# bench/tabular.py's teacher (smooth effects + interactions, 100k x 30), 100 rounds reached R^2 0.944
# at learning rate 0.1 and 0.968 at 0.2, for the same cost; raise n_estimators for more fidelity.
DEFAULT_SURROGATE_PARAMS = {
    "n_estimators": 100,
    "learning_rate": 0.2,
    "num_leaves": 31,
    "max_depth": 6,
    "min_child_samples": 10,
}
# Probabilities are clipped before taking log-odds so that p = 0 or 1 gives a finite target.
PROBABILITY_CLIP = 1e-6
# Below these a fidelity figure is poor: explain() warns, and the view marks the badge (it gets them in the payload).
FIDELITY_FLOORS = {"r2": 0.8, "agreement": 0.9}
PROGRESS_MIN_ROWS = 20_000
CHUNK_ROWS = 10_000


def log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
    return np.log(p) - np.log1p(-p)


class FidelityWarning(RaiWidgetWarning):
    """The surrogate replicates the model poorly on the explained rows: read its explanations with care."""


def warn_if_poor_fidelity(fidelity: dict, floors: dict = FIDELITY_FLOORS) -> None:
    """Warn, with the numbers, when the surrogate's fidelity is below the floors."""
    problems = []
    r2 = fidelity.get("r2")
    if r2 is not None and np.isfinite(r2) and r2 < floors["r2"]:
        problems.append(f"R^2 {r2:.3f} < {floors['r2']}")
    agreement = fidelity.get("agreement")
    if agreement is not None and agreement < floors["agreement"]:
        problems.append(f"class agreement {agreement:.1%} < {floors['agreement']:.0%}")
    if problems:
        warnings.warn(
            "The surrogate replicates the model poorly on the explained rows ("
            + "; ".join(problems)
            + "). Its attributions may not reflect the model. Try a larger surrogate "
            "(surrogate_params={'n_estimators': 400, 'num_leaves': 63}) or more X_train rows.",
            FidelityWarning,
            stacklevel=3,
        )


class MimicExplainer:
    """Global surrogate explainer for any tabular model.

    Parameters
    ----------
    model : a fitted model with ``predict_proba`` (classification) or ``predict`` (regression),
        a scikit-learn pipeline, a LightGBM Booster, or a plain callable ``f(X) -> scores``. It is
        called on data exactly as you pass it (DataFrame or array).
    X_train : DataFrame or 2-D array the surrogate learns the model's behaviour on.
    task : "auto", "classification" or "regression". "auto" means classification when the model
        has ``predict_proba``; for a plain callable, when it returns rows of probabilities.
    classes : class names (default: ``model.classes_``, else 0..k-1).
    features : column names when X_train is a numpy array.
    categorical_features : names or indices of numeric columns to treat as categories (strings,
        booleans and pandas categoricals are detected).
    surrogate_params : LightGBM parameters that override ``DEFAULT_SURROGATE_PARAMS``.
    random_state : seed for the surrogate; results are deterministic for a given seed.

    Example
    -------
    >>> ex = rw.MimicExplainer(model, X_train)
    >>> exp = ex.explain(X_test, y_true=y_test)
    >>> exp.fidelity, exp.global_importance().head()
    """

    def __init__(
        self,
        model,
        X_train,
        task: str = "auto",
        classes: Sequence | None = None,
        features: Sequence[str] | None = None,
        categorical_features: Sequence | None = None,
        surrogate_params: dict | None = None,
        random_state: int = 0,
    ):
        self.schema, train_frame = TabularSchema.from_training_data(X_train, features, categorical_features)
        self.model = model
        self._adapter = ModelAdapter(model, task, classes)
        self.surrogate_params = {**DEFAULT_SURROGATE_PARAMS, **(surrogate_params or {})}
        self.random_state = random_state

        scores = self._adapter.scores(X_train, len(train_frame))
        self.task = self._adapter.task
        self.classes = self._adapter.classes
        targets = self._distilled_targets(scores)
        encoded = self.schema.encode(train_frame, "X_train")
        self.surrogates = [self._fit_surrogate(encoded, targets[:, m]) for m in range(targets.shape[1])]
        self._packed = [_treeshap.pack_lightgbm(b) for b in self.surrogates]

    # --- public attributes -----------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        return list(self.schema.feature_names)

    @property
    def output_names(self) -> list:
        if self.task == "classification":
            assert self.classes is not None, "the adapter names the classes on the first probabilities it checks"
            return [c.item() if isinstance(c, np.generic) else c for c in self.classes]
        return (
            list(self.classes)
            if self.classes is not None and len(self.classes) == self._n_outputs
            else (["output"] if self._n_outputs == 1 else [f"output_{i}" for i in range(self._n_outputs)])
        )

    @property
    def units(self) -> str:
        return "log-odds" if self.task == "classification" else "output"

    # --- fitting ---------------------------------------------------------------------------
    def _distilled_targets(self, scores: np.ndarray) -> np.ndarray:
        """What the surrogate learns: one column per surrogate."""
        if self.task == "classification":
            self._n_outputs = scores.shape[1]
            if scores.shape[1] == 2:  # class 0's log-odds is minus class 1's: one surrogate suffices
                return log_odds(scores[:, 1:2])
            return log_odds(scores)  # one-vs-rest log-odds per class
        self._n_outputs = scores.shape[1]
        return scores

    def _fit_surrogate(self, encoded: np.ndarray, target: np.ndarray) -> lgb.Booster:
        import lightgbm as lgb  # here, not at the top: it brings scikit-learn, 0.7 s of `import rai_widget`

        params = dict(self.surrogate_params)
        rounds = int(params.pop("n_estimators", params.pop("num_iterations", 100)))
        params.update(objective="regression", seed=self.random_state, deterministic=True, verbosity=-1)
        # Bin edges from 50k sampled rows are as good for distillation and cut Dataset construction.
        params.setdefault("bin_construct_sample_cnt", 50_000)
        if "force_row_wise" not in params:
            params.setdefault("force_col_wise", True)  # deterministic=True wants one of the two fixed
        cats = self.schema.categorical_indices()
        data = lgb.Dataset(
            encoded, target, categorical_feature=cats or "auto", free_raw_data=True, params={"verbosity": -1}
        )
        try:
            return lgb.train(params, data, num_boost_round=rounds)
        except lgb.basic.LightGBMError as err:
            raise ValueError(f"LightGBM could not fit the surrogate with surrogate_params={params}: {err}") from err

    # --- explaining ------------------------------------------------------------------------
    def explain(self, X, y_true=None, progress: bool | None = None) -> TabularExplanation:
        """Local values for every row of X, fidelity on those rows, and the model's predictions.

        progress: show a progress bar (default: only for 20,000 rows or more).
        """
        frame = self.schema.to_frame(X, "X")
        n = len(frame)
        y_true = self._check_y_true(y_true, n)
        scores = self._adapter.scores(X, n)
        if scores.shape[1] != self._n_outputs:
            raise ValueError(f"the model returned {scores.shape[1]} outputs on X but {self._n_outputs} on X_train.")
        encoded = self.schema.encode(frame, "X")

        show = n >= PROGRESS_MIN_ROWS if progress is None else bool(progress)
        chunks = [slice(s, min(n, s + CHUNK_ROWS)) for s in range(0, n, CHUNK_ROWS)]
        per_surrogate = []
        with tqdm(total=n * len(self.surrogates), disable=not show, unit="row", desc="Explaining rows") as bar:
            for booster, packed in zip(self.surrogates, self._packed, strict=True):
                parts, expected = [], 0.0
                for sl in chunks:
                    vals, expected = _treeshap.shap_values(booster, packed, encoded[sl])
                    parts.append(vals)
                    bar.update(sl.stop - sl.start)
                per_surrogate.append((np.concatenate(parts), expected))

        values, base = self._assemble(per_surrogate, n)
        surrogate_output = base[None, :] + values.sum(axis=1)
        if self.task == "classification":
            model_output = log_odds(scores)
            if scores.shape[1] == 2:
                model_output[:, 0] = -model_output[:, 1]  # exactly antisymmetric, as the surrogate is
            y_pred = np.asarray(self.classes, dtype=object)[np.argmax(scores, axis=1)]
            y_pred = _tidy_labels(y_pred)
            probabilities = scores
        else:
            model_output = scores
            y_pred = scores[:, 0] if scores.shape[1] == 1 else scores
            probabilities = None

        fidelity = surrogate_fidelity(model_output, surrogate_output, self.task, self.output_names)
        warn_if_poor_fidelity(fidelity)
        return TabularExplanation(
            data=frame,
            feature_names=self.feature_names,
            feature_kinds=list(self.schema.kinds),
            values=values,
            base_values=base,
            surrogate_output=surrogate_output,
            model_output=model_output,
            output_names=self.output_names,
            task=self.task,
            units=self.units,
            y_pred=y_pred,
            y_true=y_true,
            probabilities=probabilities,
            fidelity=fidelity,
        )

    def _assemble(self, per_surrogate, n):
        f = len(self.feature_names)
        k = self._n_outputs
        values = np.empty((n, f, k))
        base = np.empty(k)
        if self.task == "classification" and k == 2:
            ((vals, expected),) = per_surrogate
            values[:, :, 1], base[1] = vals, expected
            values[:, :, 0], base[0] = -vals, -expected
        else:
            for m, (vals, expected) in enumerate(per_surrogate):
                values[:, :, m], base[m] = vals, expected
        return values, base

    def _check_y_true(self, y_true, n: int):
        if y_true is None:
            return None
        y = np.asarray(y_true)
        if y.ndim != 1:
            y = y.squeeze()
        if y.ndim != 1:
            raise ValueError(f"y_true must be 1-D (one label or value per row); got shape {np.shape(y_true)}.")
        if len(y) != n:
            raise ValueError(f"y_true has {len(y)} values but X has {n} rows.")
        if self.task == "classification" and self.classes is not None:
            unknown = sorted({str(v) for v in set(y.tolist())} - {str(c) for c in self.classes})
            if unknown:
                raise ValueError(
                    f"y_true has labels the model does not predict: {unknown[:10]}; the model's classes are "
                    f"{list(self.classes)}. Pass classes= if the model's class names differ."
                )
            # align to the class objects so y_true == y_pred compares like with like
            lookup = {str(c): c for c in self.classes}
            y = _tidy_labels(np.asarray([lookup[str(v)] for v in y.tolist()], dtype=object))
        elif self.task == "regression":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError):
                raise ValueError("y_true must be numeric for a regression model.") from None
        return y


def _tidy_labels(labels: np.ndarray) -> np.ndarray:
    """Object arrays of labels become plain bool, int, float or string arrays when they can."""
    head = labels[:100].tolist()
    if all(isinstance(v, (bool, np.bool_)) for v in head):
        return labels.astype(bool)
    if all(isinstance(v, (int, np.integer)) for v in head):
        return labels.astype(np.int64)
    if all(isinstance(v, (float, np.floating, int, np.integer)) for v in head):
        return labels.astype(np.float64)
    return labels.astype(str)
