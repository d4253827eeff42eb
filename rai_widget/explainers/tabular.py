"""Mimic: explain any tabular model through a LightGBM surrogate distilled on its outputs.

The surrogate learns the model's soft outputs (per-class log-odds for classification, the raw
output for regression) on X_train; exact path-dependent TreeSHAP on the surrogate then gives
local values for every explained row. How faithful the surrogate is on those rows is measured
and reported (`exp.fidelity`), with a FidelityWarning, naming the likely cause, when it is poor.

The validation boundary of the tabular explainer is here (the constructor and explain()) and in
TabularExplanation._validate: every LightGBM parameter in `surrogate_params` is either honoured or
refused with the reason (the table below covers LightGBM's whole parameter list), and after every fit
the attributions are checked to add up to the surrogate's own predictions.
This module runs past 500 lines for that table: one place says what the surrogate accepts.
"""

from __future__ import annotations

import difflib
import warnings
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from rai_widget._checks import check_progress, shown
from rai_widget._warnings import RaiWidgetWarning
from rai_widget.explainers import _treeshap
from rai_widget.explainers._malloc import empty_without_huge_pages
from rai_widget.explainers._model import ModelAdapter
from rai_widget.explainers._tabular_data import TabularSchema
from rai_widget.explanations import TabularExplanation
from rai_widget.explanations._frames import check_parquet_target
from rai_widget.explanations.tabular import (
    ADDITIVITY_TOLERANCE,
    R2_TOLERANCE,
    label_index,
    surrogate_fidelity,
)

if TYPE_CHECKING:
    import lightgbm as lgb
    import pandas as pd

    from rai_widget.explainers._agreement import AttributionAgreement
    from rai_widget.explainers._what_if import WhatIf

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
# Fewer explained rows than this make a fidelity figure too noisy to blame the surrogate for.
FIDELITY_MIN_ROWS = 30
# LightGBM stores its targets as float32: a regression output whose variation float32 keeps less of is refused.
FLOAT32_KEPT_VARIANCE = 0.99
# The training rows on which each fit is checked to add up (more would only repeat explain()'s check).
FIT_CHECK_ROWS = 256
# The training rows on which the surrogate's in-sample fidelity is measured (to name a poor fidelity's cause).
TRAIN_FIDELITY_ROWS = 5_000
# The share of X_train rows on which the surrogate is closer to the model than `train_gap` (per output).
TRAIN_GAP_QUANTILE = 0.99
PROGRESS_MIN_ROWS = 20_000
# explain() checks additivity against LightGBM's predictions on every row up to twice this, else on this
# many rows with missing values and this many spread over the rest (LightGBM's predict costs ~2.5 s per
# million rows here: the whole of a large X would double the cost of explaining it).
ADDITIVITY_CHECK_ROWS = 5_000
# explain() works through X this many rows at a time (model call, encoding, TreeSHAP), so its extra memory is
# a chunk's temporaries plus the result, whatever the size of X.
CHUNK_ROWS = 50_000
# The most rows of a dask X_train the surrogate is fit on (a uniform sample).
SURROGATE_ROWS = 300_000
# What explain(dtype=...) stores the values as.
VALUE_DTYPES = ("float64", "float32")


def log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
    return np.log(p) - np.log1p(-p)


@dataclass
class PartResult:
    """What explaining one part of the rows gives (`MimicExplainer._explain_part`): the same for a chunk of a
    pandas frame and for a partition of a dask frame, so every engine computes the same numbers."""

    values: np.ndarray  # (m, f, s): one slice per surrogate (a binary classifier's: class 1 only), in `dtype`
    surrogate_output: np.ndarray  # (m, k) float64: base + the values, summed before any rounding to `dtype`
    model_output: np.ndarray  # (m, k) float64, in the explainer's units
    scores: np.ndarray  # (m, k) float64: probabilities (classification) or the regression output


class FidelityWarning(RaiWidgetWarning):
    """The surrogate replicates the model poorly on the explained rows: read its explanations with care."""


def warn_if_poor_fidelity(fidelity: dict, floors: dict = FIDELITY_FLOORS, cause: str | None = None) -> None:
    """Warn, with the numbers and the likely cause, when the surrogate's fidelity is below the floors."""
    problems = []
    r2 = fidelity.get("r2")
    if r2 is not None and np.isfinite(r2) and r2 < floors["r2"]:
        problems.append(f"R^2 {r2:.3f} < {floors['r2']}")
    agreement = fidelity.get("agreement")
    if agreement is not None and np.isfinite(agreement) and agreement < floors["agreement"]:
        problems.append(f"class agreement {agreement:.1%} < {floors['agreement']:.0%}")
    if problems:
        cause = cause or (
            "Try a larger surrogate (surrogate_params={'n_estimators': 400, 'num_leaves': 63}) or more X_train rows."
        )
        warnings.warn(
            "The surrogate replicates the model poorly on the explained rows ("
            + "; ".join(problems)
            + f"). Its attributions may not reflect the model. Likely cause: {cause}",
            FidelityWarning,
            stacklevel=3,
        )


# --- surrogate_params: every LightGBM parameter, honoured or refused with the reason ----------------------------
# Honoured, with the type LightGBM reads (None: lists and other shapes LightGBM checks itself).
_INT, _NUMBER, _BOOL, _STR = "an integer", "a number", "True or False", "a string"
_HONOURED: dict[str, str | None] = {
    **dict.fromkeys(
        "num_iterations num_leaves max_depth min_data_in_leaf bagging_freq bagging_seed feature_fraction_seed "
        "extra_seed data_random_seed max_drop drop_seed min_data_per_group max_cat_threshold max_cat_to_onehot "
        "top_k max_bin min_data_in_bin bin_construct_sample_cnt num_threads verbosity num_grad_quant_bins "
        "gpu_platform_id gpu_device_id num_gpu seed".split(),
        _INT,
    ),
    **dict.fromkeys(
        "learning_rate min_sum_hessian_in_leaf bagging_fraction feature_fraction feature_fraction_bynode "
        "max_delta_step lambda_l1 lambda_l2 min_gain_to_split drop_rate skip_drop top_rate other_rate cat_l2 "
        "cat_smooth cegb_tradeoff cegb_penalty_split path_smooth monotone_penalty histogram_pool_size".split(),
        _NUMBER,
    ),
    **dict.fromkeys(
        "extra_trees xgboost_dart_mode uniform_drop is_enable_sparse enable_bundle feature_pre_filter "
        "deterministic force_col_wise force_row_wise boost_from_average use_quantized_grad quant_train_renew_leaf "
        "stochastic_rounding gpu_use_dp linear_tree reg_sqrt use_missing zero_as_missing".split(),
        _BOOL,
    ),
    **dict.fromkeys(
        "boosting objective data_sample_strategy device_type tree_learner monotone_constraints_method "
        "forcedsplits_filename forcedbins_filename gpu_device_id_list".split(),
        _STR,
    ),
    **dict.fromkeys(
        "monotone_constraints interaction_constraints feature_contri max_bin_by_feature cegb_penalty_feature_lazy "
        "cegb_penalty_feature_coupled num_class".split(),
        None,
    ),
}
_REGRESSION_OBJECTIVES = {"regression", "regression_l2", "l2", "mean_squared_error", "mse", "l2_root"}
_REGRESSION_OBJECTIVES |= {"root_mean_squared_error", "rmse"}
_NOT_EXACT = (
    "TreeSHAP explains sums of trees with constant leaves, read as LightGBM reads the encoded data, so "
    "the attributions would not add up to the surrogate's output"
)
# Honoured only at these values, with the reason (the value is called as a test).
_ONLY: dict[str, tuple] = {
    "objective": (
        lambda v: isinstance(v, str) and v in _REGRESSION_OBJECTIVES,
        "the surrogate regresses the model's outputs (least squares), so that its own output is the quantity "
        "explained; other objectives explain a transformed score, or another task",
    ),
    "boosting": (
        lambda v: v in ("gbdt", "gbrt", "dart", "goss"),
        f"boosting='rf' averages its trees; {_NOT_EXACT}",
    ),
    "linear_tree": (lambda v: not v, f"linear_tree fits a linear model in each leaf; {_NOT_EXACT}"),
    "reg_sqrt": (lambda v: not v, "reg_sqrt fits the square root of the output and squares its predictions"),
    "use_missing": (
        lambda v: v,
        "missing values reach the surrogate as NaN (categories as codes from 0); use_missing=False reads "
        "them as 0, the first category's code",
    ),
    "zero_as_missing": (
        lambda v: not v,
        "missing values reach the surrogate as NaN and the first category as code 0; zero_as_missing=True "
        "would read that category as missing",
    ),
    "tree_learner": (
        lambda v: v in ("serial",),
        "distributed tree learners need a cluster of machines; the surrogate is fit in this process",
    ),
    "num_class": (lambda v: v == 1, "the surrogate of each output has one output"),
}
_NO_VALIDATION = "the surrogate is fit without validation data, so it would have no effect"
_OTHER_OBJECTIVE = "it sets a parameter of an objective the surrogate does not use (least squares regression)"
_PROGRAM = (
    "it is a setting of LightGBM's command-line program (files, prediction, distributed training); "
    "MimicExplainer fits the surrogate in memory and predicts with it itself"
)
_REFUSED: dict[str, str] = {
    "categorical_feature": "MimicExplainer tells LightGBM its categories: pass categorical_features= to it instead",
    "input_model": "the surrogate is a new model, fit on the model's outputs",
    "refit_decay_rate": "it applies to refitting a model, which the surrogate never is",
    "linear_lambda": "it applies to linear_tree, which TreeSHAP cannot explain exactly",
    **dict.fromkeys(
        "early_stopping_round early_stopping_min_delta metric metric_freq is_provide_training_metric "
        "first_metric_only eval_at multi_error_top_k auc_mu_weights".split(),
        _NO_VALIDATION,
    ),
    **dict.fromkeys(
        "alpha fair_c poisson_max_delta_step tweedie_variance_power sigmoid is_unbalance scale_pos_weight "
        "label_gain lambdarank_truncation_level lambdarank_norm lambdarank_position_bias_regularization "
        "objective_seed pos_bagging_fraction neg_bagging_fraction bagging_by_query".split(),
        _OTHER_OBJECTIVE,
    ),
    **dict.fromkeys(
        "task data valid config output_model output_result snapshot_freq save_binary saved_feature_importance_type "
        "header label_column weight_column group_column ignore_column parser_config_file two_round "
        "precise_float_parser machines machine_list_filename num_machines local_listen_port time_out pre_partition "
        "convert_model convert_model_language predict_raw_score predict_leaf_index predict_contrib "
        "predict_disable_shape_check pred_early_stop pred_early_stop_freq pred_early_stop_margin "
        "start_iteration_predict num_iteration_predict".split(),
        _PROGRAM,
    ),
}


@cache
def lightgbm_aliases() -> dict[str, str]:
    """Every name LightGBM reads (its parameters and their aliases) -> the parameter's own name."""
    from lightgbm.basic import _ConfigAliases

    return {
        alias: name for name, aliases in _ConfigAliases._get_all_param_aliases().items() for alias in [name, *aliases]
    }


def _typed(value, kind: str | None, name: str):
    """The value as LightGBM should read it, or a TypeError naming the parameter."""
    ok = True
    if kind == _INT:
        ok = isinstance(value, (int, np.integer, float, np.floating)) and not isinstance(value, (bool, np.bool_))
        ok = ok and float(value).is_integer()
        value = int(value) if ok else value
    elif kind == _NUMBER:
        ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
        ok = ok and bool(np.isfinite(value))
        value = float(value) if ok else value
    elif kind == _BOOL:
        ok = isinstance(value, (bool, np.bool_))
        value = bool(value) if ok else value
    elif kind == _STR:
        ok = isinstance(value, str)
    if not ok:
        raise TypeError(f"surrogate_params[{name!r}] must be {kind}, not {shown(value)}.")
    return value


def resolve_surrogate_params(surrogate_params, random_state: int) -> tuple[dict, dict]:
    """(what the user asked merged over the defaults, under the names they used; the parameters to train with,
    under LightGBM's own names). Raises naming the parameter when one cannot be honoured."""
    if surrogate_params is None:
        surrogate_params = {}
    if not isinstance(surrogate_params, Mapping):
        raise TypeError(
            f"surrogate_params must be a dict of LightGBM parameters, e.g. {{'n_estimators': 300}}, not "
            f"{type(surrogate_params).__name__}."
        )
    aliases = lightgbm_aliases()
    asked: dict[str, tuple[str, Any]] = {}
    for key, value in surrogate_params.items():
        if not isinstance(key, str):
            raise TypeError(f"surrogate_params names parameters with strings, not {shown(key)}.")
        name = aliases.get(key)
        if name is None:
            usable = [a for a, name in aliases.items() if name in _HONOURED]
            close = difflib.get_close_matches(key, usable, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"surrogate_params[{key!r}] is not a LightGBM parameter.{hint}")
        if name in asked and asked[name][1] != value:
            raise ValueError(
                f"surrogate_params sets LightGBM's {name!r} twice: {asked[name][0]}={shown(asked[name][1])} and "
                f"{key}={shown(value)}. Keep one."
            )
        if name in _REFUSED:
            raise ValueError(f"surrogate_params[{key!r}] cannot be used: {_REFUSED[name]}.")
        if name not in _HONOURED:
            raise ValueError(
                f"surrogate_params[{key!r}] is a LightGBM parameter rai_widget does not know to keep the "
                "attributions exact with; leave it out."
            )
        value = _typed(value, _HONOURED[name], key)
        if name in _ONLY and not _ONLY[name][0](value):
            raise ValueError(f"surrogate_params[{key!r}]={shown(value)} cannot be used: {_ONLY[name][1]}.")
        asked[name] = (key, value)

    if "seed" in asked and asked["seed"][1] != random_state:
        key, seed = asked["seed"]
        raise ValueError(
            f"surrogate_params[{key!r}]={shown(seed)} contradicts random_state={shown(random_state)}, the "
            f"surrogate's seed: pass random_state={shown(seed)} instead."
        )
    if "num_iterations" in asked and asked["num_iterations"][1] < 1:
        key, rounds = asked["num_iterations"]
        raise ValueError(f"surrogate_params[{key!r}] is {rounds}: the surrogate needs at least 1 tree.")
    merged: dict[str, Any] = {k: v for k, v in DEFAULT_SURROGATE_PARAMS.items() if aliases.get(k, k) not in asked}
    merged |= {key: value for key, value in asked.values()}

    params: dict[str, Any] = {aliases.get(k, k): v for k, v in merged.items()}
    params.setdefault("objective", "regression")
    params |= {"seed": random_state}
    params.setdefault("deterministic", True)
    params.setdefault("verbosity", -1)
    # Bin edges from 50k sampled rows are as good for distillation and cut Dataset construction.
    params.setdefault("bin_construct_sample_cnt", 50_000)
    if "force_row_wise" not in params:
        params.setdefault("force_col_wise", True)  # deterministic=True wants one of the two fixed
    return merged, params


class MimicExplainer:
    """Global surrogate explainer for any tabular model (the *Mimic* method).

    A LightGBM model, the surrogate, is trained on X_train to reproduce the model's outputs (per-class
    log-odds of its probabilities for a classifier, the raw output for a regression); exact TreeSHAP on the
    surrogate gives every explained row's attributions, and the surrogate's fidelity to the model is
    measured on those rows.

    Parameters
    ----------
    model : object
        A fitted model with ``predict_proba`` (classification) or ``predict`` (regression), a
        scikit-learn pipeline, a LightGBM Booster, or a plain callable ``f(X) -> scores``. It is called on
        data exactly as you pass it (DataFrame or array). A classifier without ``predict_proba`` is
        refused: its labels are not probabilities.
    X_train : DataFrame or array
        The 2-D data the surrogate learns the model's behaviour on.
    task : str
        ``"auto"``, ``"classification"`` or ``"regression"``. ``"auto"`` means classification when the
        model has ``predict_proba``; otherwise (a plain callable, a model with only ``predict``) when its
        output is rows of probabilities.
    classes : sequence, optional
        Class names (default: ``model.classes_``, else 0..k-1); for a regression, one name for the output.
    features : sequence of str, optional
        Column names when X_train is a numpy array.
    categorical_features : sequence, optional
        Names or indices of numeric columns to treat as categories (a list, or one name); strings, bytes,
        booleans and pandas categoricals are detected.
    surrogate_params : dict, optional
        LightGBM parameters (any of LightGBM's names for them) that override ``DEFAULT_SURROGATE_PARAMS``
        (100 trees of depth 6, learning rate 0.2). Parameters TreeSHAP cannot explain exactly, or that
        would have no effect, are refused with the reason.
    random_state : int
        Seed for the surrogate; results are deterministic for a given seed.
    surrogate_rows : int
        When X_train is a ``dask.dataframe.DataFrame``: the surrogate is fit on a uniform sample of at most
        this many of its rows, drawn on the cluster (default 300,000). A pandas X_train is used whole.

    Raises
    ------
    ValueError
        Bad settings or data (named, with the fix), before any long work.
    TypeError
        An argument of the wrong type.
    ModelPredictError
        The model raised on X_train, or returned something that is not scores.

    Examples
    --------
    >>> ex = rw.MimicExplainer(model, X_train)
    >>> exp = ex.explain(X_test, y_true=y_test)
    >>> exp.fidelity, exp.global_importance().head()
    """

    _last_explanation: weakref.ReferenceType | None = None

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
        surrogate_rows: int = SURROGATE_ROWS,
    ):
        if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)):
            raise TypeError(f"random_state must be an integer seed, not {shown(random_state)}.")
        random_state = int(random_state)
        if isinstance(surrogate_rows, (bool, np.bool_)) or not isinstance(surrogate_rows, (int, np.integer)):
            raise TypeError(f"surrogate_rows must be a number of rows, not {shown(surrogate_rows)}.")
        if surrogate_rows < 2:
            raise ValueError(f"surrogate_rows must be at least 2 (rows to fit the surrogate on); got {surrogate_rows}.")
        if _is_dask(X_train):  # the surrogate learns from a sample: X_train itself may not fit in memory
            from rai_widget.explainers._distributed import fit_sample

            X_train = fit_sample(X_train, surrogate_rows=int(surrogate_rows), random_state=random_state)
        self.surrogate_params, self._lgb_params = resolve_surrogate_params(surrogate_params, random_state)
        self.schema, train_frame = TabularSchema.from_training_data(X_train, features, categorical_features)
        encoded = self.schema.encode(train_frame, "X_train")
        self.schema.check_saveable(train_frame, "X_train")
        self.model = model
        self._adapter = ModelAdapter(model, task, classes)
        self.random_state = random_state

        scores = self._adapter.scores(X_train, len(train_frame))
        self.task = self._adapter.task
        self.classes = self._adapter.classes
        if self.task == "regression" and self.classes is not None and len(self.classes) != 1:
            raise ValueError(
                f"classes names {len(self.classes)} outputs, but the model is a regression of one output: pass "
                "classes=None, or one name for the output (classes=['price'])."
            )
        targets = self._distilled_targets(scores)
        self.surrogates = [self._fit_surrogate(encoded, targets[:, m]) for m in range(targets.shape[1])]
        self._packed = [_treeshap.pack_lightgbm(b) for b in self.surrogates]
        for m, booster in enumerate(self.surrogates):
            self._check_learned(booster, targets[:, m], len(encoded))
            rows = encoded[:FIT_CHECK_ROWS]
            vals, expected = _treeshap.shap_values(booster, self._packed[m], rows)
            self._check_additivity(booster, vals, expected, rows, "X_train")
        # In-sample fidelity, which tells a surrogate too small for the model from rows unlike X_train when
        # explain() finds the fidelity poor; on a sample, since it only names the cause.
        sample = np.sort(np.random.default_rng(0).permutation(len(encoded))[:TRAIN_FIDELITY_ROWS])
        sample_model, sample_surrogate = self._model_output(scores[sample]), self._surrogate_output(encoded[sample])
        self._train_fidelity = surrogate_fidelity(sample_model, sample_surrogate, self.task, self.output_names)
        self._train_rows = len(encoded)
        # What ICE and what-if need of X_train: the rows (a sample, as the model takes them), each numeric
        # feature's observed range, and how far the surrogate strays from the model there (per output).
        self.train_sample = train_frame.iloc[sample]
        with np.errstate(all="ignore"):
            self.train_ranges = {
                name: (float(np.nanmin(encoded[:, j])), float(np.nanmax(encoded[:, j])))
                for j, (name, kind) in enumerate(zip(self.feature_names, self.schema.kinds, strict=True))
                if kind == "numeric" and not np.isnan(encoded[:, j]).all()
            }
        self.train_gap = np.quantile(np.abs(sample_model - sample_surrogate), TRAIN_GAP_QUANTILE, axis=0)

    # --- public attributes -----------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        """The features, in X_train's column order."""
        return list(self.schema.feature_names)

    @property
    def output_names(self) -> list:
        """The classes (classification), or the one name of a regression's output (default ``"output"``)."""
        if self.task == "classification":
            assert self.classes is not None, "the adapter names the classes on the first probabilities it checks"
            return [c.item() if isinstance(c, np.generic) else c for c in self.classes]
        return list(self.classes) if self.classes is not None and len(self.classes) == 1 else ["output"]

    @property
    def units(self) -> str:
        """What the attributions and outputs are in: ``"log-odds"`` (classification) or ``"output"``."""
        return "log-odds" if self.task == "classification" else "output"

    # --- fitting ---------------------------------------------------------------------------
    def _distilled_targets(self, scores: np.ndarray) -> np.ndarray:
        """What the surrogate learns: one column per surrogate."""
        self._n_outputs = scores.shape[1]
        if self.task == "classification":
            if scores.shape[1] == 2:  # class 0's log-odds is minus class 1's: one surrogate suffices
                return log_odds(scores[:, 1:2])
            return log_odds(scores)  # one-vs-rest log-odds per class
        target = scores[:, 0]
        spread = float(target.std())
        # (a spread at float64's own rounding, 1e-14 of the size, is a constant output: nothing to lose)
        lost = float((target - target.astype(np.float32)).std()) ** 2 / spread**2 if spread else 0.0
        kept = 1.0 - lost
        if spread > 1e-14 * float(np.abs(target).max()) and kept < FLOAT32_KEPT_VARIANCE:
            raise ValueError(
                f"the model's outputs vary too little for their size ({target.min():.12g} to {target.max():.12g}) "
                "for float32, in which LightGBM stores the surrogate's targets: it would keep "
                f"{max(kept, 0):.1%} of their variation. Explain the output minus an offset, e.g. "
                f"MimicExplainer(lambda X: model.predict(X) - {float(np.median(target)):.12g}, X_train)."
            )
        return scores

    def _fit_surrogate(self, encoded: np.ndarray, target: np.ndarray) -> lgb.Booster:
        import lightgbm as lgb  # here, not at the top: it brings scikit-learn, 0.7 s of `import rai_widget`

        params = dict(self._lgb_params)
        cats = self.schema.categorical_indices()
        data = lgb.Dataset(
            encoded, target, categorical_feature=cats or "auto", free_raw_data=True, params={"verbosity": -1}
        )
        try:
            return lgb.train(params, data, num_boost_round=params["num_iterations"])
        except lgb.basic.LightGBMError as err:
            raise ValueError(
                f"LightGBM could not fit the surrogate with surrogate_params={self.surrogate_params}: {err}. "
                "Check the values against LightGBM's parameter documentation."
            ) from None

    def _check_learned(self, booster, target: np.ndarray, n_rows: int) -> None:
        """A surrogate without a single split attributes nothing to any feature: refuse it unless the model's
        output is constant too (then zero attributions are the truth)."""
        floor = 1.0 if self.task == "classification" else 0.0  # log-odds, as surrogate_fidelity reads them
        constant = np.ptp(target) <= R2_TOLERANCE * max(float(np.abs(target).max()), floor)
        leaf = int(self._lgb_params.get("min_data_in_leaf", 20))
        if booster.feature_importance("split").sum() > 0 or (constant and n_rows >= 2 * leaf):
            return
        spread = float(target.std())
        if n_rows < 2 * leaf:
            why = (
                f"X_train has {n_rows} row{'s' if n_rows > 1 else ''}, and each side of a split needs "
                f"min_child_samples={leaf} of them. Pass more X_train rows (hundreds at least), or lower "
                "surrogate_params={'min_child_samples': ...}"
            )
        elif spread < 1e-6:
            why = (
                f"The model's outputs vary by only {spread:.3g} (standard deviation), too little for LightGBM to "
                "split on: explain a rescaled output, e.g. MimicExplainer(lambda X: model.predict(X) * 1e6, X_train)"
            )
        else:
            why = (
                "no split improved the fit under these surrogate_params (min_gain_to_split, "
                "min_sum_hessian_in_leaf, feature_fraction, ...): loosen them"
            )
        raise ValueError(
            "the surrogate learned nothing from X_train: its trees have no split, so every attribution would be "
            f"0. {why}."
        )

    def _check_additivity(self, booster, vals: np.ndarray, expected: float, encoded: np.ndarray, where: str) -> None:
        """base + sum(values) must be the surrogate's own raw prediction, row by row."""
        raw = booster.predict(encoded, raw_score=True)
        total = expected + vals.sum(axis=1)
        size = np.abs(raw) + abs(expected)
        if vals.size:  # the largest |value| of each row, without an (n, f) temporary
            size = size + vals.shape[1] * np.maximum(vals.max(axis=1), -vals.min(axis=1))
        off = np.abs(total - raw) > ADDITIVITY_TOLERANCE * size + 1e-300
        if off.any():
            worst = float(np.abs(total - raw).max())
            message = (
                f"the surrogate's attributions do not add up to its predictions on {int(off.sum())} rows of {where} "
                f"(off by up to {worst:.3g})"
            )
            if self.surrogate_params != DEFAULT_SURROGATE_PARAMS:
                raise ValueError(
                    f"{message} with surrogate_params={self.surrogate_params}: TreeSHAP explains plain gradient-"
                    "boosted trees exactly; leave out the parameters that change how the trees predict."
                )
            raise RuntimeError(f"internal error: {message}. Please report it with the data that shows it.")

    def _model_output(self, scores: np.ndarray) -> np.ndarray:
        """The model's outputs in the explained space: log-odds (classification), raw outputs (regression)."""
        if self.task != "classification":
            return scores
        out = log_odds(scores)
        if scores.shape[1] == 2:
            out[:, 0] = -out[:, 1]  # exactly antisymmetric, as the surrogate is
        return out

    def _surrogate_output(self, encoded: np.ndarray) -> np.ndarray:
        raw = np.column_stack([b.predict(encoded, raw_score=True) for b in self.surrogates])
        if self.task == "classification" and self._n_outputs == 2:
            return np.column_stack([-raw[:, 0], raw[:, 0]])
        return raw

    # --- explaining ------------------------------------------------------------------------
    def explain(
        self, X, y_true=None, progress: bool | None = None, dtype="float64", out=None, sample_rows: int = 100_000
    ):
        """Local values for every row of X, fidelity on those rows, and the model's predictions.

        Parameters
        ----------
        X : DataFrame, array or dask DataFrame
            The rows to explain, with X_train's columns. A ``dask.dataframe.DataFrame`` is explained on its
            cluster, partition by partition, and gives a ``LargeTabularExplanation`` (the ``dask`` extra).
        y_true : array_like, optional
            The true labels (class names, or the regression target), one per row; needed for the
            dashboard's model performance and the ``correct`` / ``error`` cohort columns (for a dask X, a
            dask Series with X's partitions).
        progress : bool, optional
            Show a progress bar (default: only for 20,000 rows or more).
        out : str or Path, optional
            Also write the attributions to this Parquet file (``exp.to_parquet(out)``; for a dask X, a
            Parquet dataset written by the workers, one file per partition, complete or not there at all).
        sample_rows : int
            For a dask X: the rows of the stratified sample the dashboard draws (default 100,000).
        dtype : str
            What the values are stored as: ``"float64"`` (the default) or ``"float32"`` (half the memory;
            about 7 significant digits, as the dashboard draws them). Outputs stay float64.

        Returns
        -------
        TabularExplanation or LargeTabularExplanation
            The attributions in ``self.units``, the surrogate's fidelity on these rows (a
            ``FidelityWarning`` when it is poor) and the model's predictions. X is worked through in
            chunks of ``CHUNK_ROWS`` rows (model call, encoding, TreeSHAP), so the extra memory is the
            result's plus one chunk's; a binary classifier's values are stored once (class 1's).

        Raises
        ------
        ValueError
            Columns that differ from X_train's, ``y_true`` of the wrong length, values the model or the
            surrogate cannot take, a dtype other than float64 / float32.
        ModelPredictError
            The model raised on X, or returned something unusable.
        """
        progress = check_progress(progress)
        dtype = _value_dtype(dtype)
        if _is_dask(X):
            from rai_widget.explainers._distributed import explain_dask

            return explain_dask(
                self, X, y_true=y_true, out=out, dtype=dtype, sample_rows=sample_rows, progress=progress
            )
        if out is not None:
            check_parquet_target(out)  # a bad path or a missing pyarrow says so now, not after the work
        frame = self.schema.to_frame(X, "X")
        n = len(frame)
        y_true = self._check_y_true(y_true, n)
        try:
            self.schema.check_saveable(frame, "X")
        except (TypeError, ValueError):
            self.schema.encode(frame, "X")  # a column the surrogate cannot read says so first, as it is the cause
            raise
        f, k = len(self.feature_names), self._n_outputs
        mirrored = self.task == "classification" and k == 2
        values = empty_without_huge_pages((n, f) if mirrored else (n, f, k), dtype=dtype)
        surrogate_output, model_output, scores = (empty_without_huge_pages((n, k)) for _ in range(3))
        show = n >= PROGRESS_MIN_ROWS if progress is None else progress
        check_rows = -(-2 * ADDITIVITY_CHECK_ROWS * CHUNK_ROWS // n)  # ~2x ADDITIVITY_CHECK_ROWS in all
        with tqdm(total=n, disable=not show, unit="row", desc="Explaining rows") as bar:
            for start in range(0, n, CHUNK_ROWS):
                sl = slice(start, min(n, start + CHUNK_ROWS))
                into = values[sl, :, None] if mirrored else values[sl]  # views of the result's rows
                part = self._explain_part(frame.iloc[sl], dtype, check_rows=check_rows, X=_rows_of(X, sl), into=into)
                surrogate_output[sl], model_output[sl], scores[sl] = (
                    part.surrogate_output,
                    part.model_output,
                    part.scores,
                )
                bar.update(sl.stop - sl.start)

        y_pred, probabilities = self._predictions(scores)
        exp = TabularExplanation(
            data=frame,
            feature_names=self.feature_names,
            feature_kinds=list(self.schema.kinds),
            values=values,
            base_values=self.base_values,
            # float64 values sum to the surrogate's outputs exactly as the parts summed them: the explanation
            # computes them (checking given ones costs a pass over the values); float32 ones would not, so
            # the float64 sums are given (and checked at float32's tolerance)
            surrogate_output=None if dtype == np.float64 else surrogate_output,
            model_output=model_output,
            output_names=self.output_names,
            task=self.task,
            units=self.units,
            y_pred=y_pred,
            y_true=y_true,
            probabilities=probabilities,
        )
        exp.fidelity = surrogate_fidelity(model_output, exp.surrogate_output, self.task, self.output_names)
        exp.explainer = self  # the dashboard's ICE and what-if need the model (exp.show() finds it here)
        self._last_explanation = weakref.ref(exp)  # check_attributions() with no rows checks it
        self._warn_about_fidelity(exp.fidelity, scores)
        if out is not None:
            exp.to_parquet(out)
        return exp

    @property
    def base_values(self) -> np.ndarray:
        """(k,): the surrogate's expected output per output (a binary classifier's: minus and plus class 1's)."""
        expected = np.array(
            [
                p.expected_value if p is not None else _expected_value(b)
                for b, p in zip(self.surrogates, self._packed, strict=True)
            ]
        )
        if self.task == "classification" and self._n_outputs == 2:
            return np.array([-expected[0], expected[0]])
        return expected

    def _explain_part(
        self, frame: pd.DataFrame, dtype="float64", check_rows: int = 256, X=None, into: np.ndarray | None = None
    ) -> PartResult:
        """Explain one part of the rows (a chunk of explain()'s X, or a partition of a dask frame): the model's
        scores, TreeSHAP on the surrogates, additivity checked on `check_rows` of them against LightGBM.

        `frame` has X_train's columns (as `schema.to_frame` returns them); `X` is what the model is called on
        (default: the frame as X_train was given, a DataFrame or its values); `into`, an (m, f, s) array of
        `dtype` the values are written to (explain() passes its result's rows: no copy), else a new one."""
        dtype = _value_dtype(dtype)
        m = len(frame)
        encoded = self.schema.encode(frame, "X")
        if X is None:
            X = frame if self.schema.is_frame else frame.to_numpy()
        scores = self._adapter.scores(X, m)
        if scores.shape[1] != self._n_outputs:
            raise ValueError(f"the model returned {scores.shape[1]} outputs on X but {self._n_outputs} on X_train.")
        f = len(self.feature_names)
        values = np.empty((m, f, len(self.surrogates)), dtype=dtype) if into is None else into
        raw = np.empty((m, len(self.surrogates)))
        rows = _additivity_rows(encoded, check_rows)
        for j, (booster, packed) in enumerate(zip(self.surrogates, self._packed, strict=True)):
            # one float64 surrogate's values go straight where they are kept
            direct = values.shape[2] == 1 and dtype == np.float64
            vals, expected = _treeshap.shap_values(booster, packed, encoded, out=values[:, :, 0] if direct else None)
            self._check_additivity(booster, vals[rows], expected, encoded[rows], "X")
            raw[:, j] = expected + vals.sum(axis=1)
            if not direct:
                values[:, :, j] = vals
        if self.task == "classification" and self._n_outputs == 2:
            surrogate_output = np.column_stack([-raw[:, 0], raw[:, 0]])
        else:
            surrogate_output = raw
        return PartResult(values, surrogate_output, self._model_output(scores), scores)

    def _predictions(self, scores: np.ndarray):
        """(y_pred, probabilities) from the model's scores: the most probable class and the probabilities
        (classification), or the output and None (regression)."""
        if self.task == "classification":
            return _labels(self.output_names, np.argmax(scores, axis=1)), scores
        return scores[:, 0], None

    def model_scores(self, frame) -> np.ndarray:
        """The model's scores on rows given as an explanation's ``data`` frame.

        The rows are passed to the model as X_train was (a DataFrame, or its values as an array) and the
        scores checked as ``explain()`` checks them.

        Parameters
        ----------
        frame : DataFrame
            Rows with X_train's columns, e.g. ``exp.data``.

        Returns
        -------
        ndarray
            ``(n, k)`` class probabilities, or the regression output as ``(n, 1)``.

        Raises
        ------
        ModelPredictError
            The model raised, or returned something unusable.
        """
        X = frame if self.schema.is_frame else frame.to_numpy()
        scores = self._adapter.scores(X, len(frame))
        if scores.shape[1] != self._n_outputs:
            raise ValueError(f"the model returned {scores.shape[1]} outputs here but {self._n_outputs} on X_train.")
        return scores

    def ice(self, X, feature, grid=20, output=None) -> pd.DataFrame:
        """ICE curves: the model's output for each row of X as ``feature`` takes each value of a grid.

        Each row's other values are kept. Every row x grid value goes to the model in one batched call
        (several only past 200,000 rows).

        Parameters
        ----------
        X : DataFrame or array
            The rows, with X_train's columns.
        feature : str
            The feature to sweep.
        grid : int or list
            A number of steps over X_train's observed range of a numeric feature (whole numbers when the
            feature holds whole numbers and the range has fewer than that many); every X_train category of
            a categorical; False, True for a boolean (the number is then ignored). Or a list of the values
            to try.
        output : str or int, optional
            A class (or output) name, else its index. None: the positive (second) class of a binary
            classifier, the output of a regression; a classifier of more classes needs it (the error
            lists them).

        Returns
        -------
        DataFrame
            X's index, one column per grid value, in the explanation's units (``self.units``: log-odds
            for a classifier, the output itself for a regression).

        Raises
        ------
        ValueError
            An unknown feature or output, or grid values the feature cannot take.
        ModelPredictError
            The model failed on the edited rows.
        """
        from rai_widget.explainers._ice import ice

        return ice(self, X, feature, grid, output)

    def partial_dependence(self, feature, X=None, grid=20, output=None) -> pd.Series:
        """Partial dependence: the mean ICE curve (see ``ice``) over the rows of X.

        Parameters
        ----------
        feature : str
            The feature to sweep.
        X : DataFrame or array, optional
            The rows to average over. None uses ``train_sample``, the X_train rows the explainer keeps
            (all of them up to 5,000, else a fixed random 5,000).
        grid : int or list
            As in ``ice``: a number of steps, or the values to try.
        output : str or int, optional
            As in ``ice``: the class or output whose curve to compute.

        Returns
        -------
        Series
            The mean output in ``self.units``, indexed by the grid values.

        Raises
        ------
        ValueError
            An unknown feature or output, or grid values the feature cannot take.
        """
        from rai_widget.explainers._ice import partial_dependence

        return partial_dependence(self, feature, X, grid, output)

    def interactions(self, X=None, n=2000, random_state=0, output=None, progress=None) -> pd.DataFrame:
        """The surrogate's SHAP interaction values, averaged as |value| over rows.

        Exact path-dependent TreeSHAP interactions, as ``shap.TreeExplainer(surrogate).shap_interaction_values``
        defines them (and right on categorical splits, where shap's are not: shap#1644). Cost: about d^2 table
        look-ups per row and leaf (d: the features on a leaf's path), bounded by n; on 30 features 2,000 rows
        cost about what ``explain()`` takes on 5,000 to 10,000 (bench/interactions.py).

        Parameters
        ----------
        X : TabularExplanation, DataFrame or array, optional
            Rows like ``explain()``'s X, or a TabularExplanation (its rows; the matrix is then stored on it
            as ``exp.interactions``, which its dashboard shows and ``exp.save`` keeps). None:
            ``train_sample``.
        n : int
            At most this many rows, a fixed random sample (``random_state``) when X has more.
        random_state : int
            Seed of that sample.
        output : str or int, optional
            A class (or output) name or index; None averages the outputs' matrices, as
            ``global_importance`` averages over outputs (a binary classifier's two classes mirror each
            other, so that is the positive class's).
        progress : bool, optional
            Show a progress bar (default: only for large work).

        Returns
        -------
        DataFrame
            Features x features, in feature order. Off the diagonal, entry (i, j) = (j, i) is the mean
            |Phi_ij|, shap's half of the pair's interaction (each row of a row's matrix sums to its SHAP
            value); on the diagonal, the main effects. ``attrs``: ``output`` and ``rows``.

        Raises
        ------
        ValueError
            An unknown output, or rows unlike X_train.
        """
        from rai_widget.explainers._interactions import interactions

        return interactions(self, X, n=n, random_state=random_state, output=output, progress=progress)

    def what_if(self, X) -> WhatIf:
        """The model and the surrogate on edited rows.

        What the model predicts there, the surrogate's local attribution (TreeSHAP: the same values and base
        values as ``explain(X)``), how far the surrogate is from the model, and where the point leaves the
        region the surrogate was fit on.

        Parameters
        ----------
        X : DataFrame, array or dict
            Rows with X_train's columns (a DataFrame, or an array when X_train was one), or a dict of one
            row ``{feature: value}`` (None for a missing value).

        Returns
        -------
        WhatIf
            ``prediction``, ``scores`` (probabilities, or the regression output), ``model_output``,
            ``values`` (rows x features x outputs), ``base_values``, ``surrogate_output``, ``gap`` and
            ``findings`` (a number outside X_train's range, a category X_train does not have, a gap larger
            than on 99% of X_train); ``.to_frame()`` lays it out as a table, ``.local_importance(row)`` as
            ``exp.local_importance`` does.

        Raises
        ------
        ValueError
            Unknown features, or values of the wrong kind.
        ModelPredictError
            The model failed on the edited rows.

        Examples
        --------
        >>> row = X_test.iloc[[0]].assign(income=250_000)
        >>> w = explainer.what_if(row)
        >>> w.prediction, w.local_importance(0).head(), [f.message for f in w.findings]
        """
        from rai_widget.explainers._what_if import what_if

        return what_if(self, X)

    def check_attributions(self, X=None, n=200, random_state=0, progress=None) -> AttributionAgreement:
        """Do the surrogate's attributions agree with the model's own?

        On a sample of n rows of X, the model's exact SHAP values against the surrogate's TreeSHAP values,
        both in the explanation's units. The model's SHAP values come from ``shap.TreeExplainer`` on the
        model itself when shap reads it (a scikit-learn, LightGBM or XGBoost tree ensemble, not a Pipeline)
        and its values add up to the explanation's units (checked on the rows); otherwise from shap's
        permutation explainer on the model's outputs in those units, with 100 background rows of X_train and
        2 permutations per row. Cost: TreeExplainer, milliseconds; the permutation explainer,
        n x 2 x (2 x features + 1) x 100 model rows (200 rows of 10 features: 840,000), bounded by n.

        Parameters
        ----------
        X : TabularExplanation, DataFrame or array, optional
            A TabularExplanation this explainer made (its rows and values; the summary is then kept on it
            as ``exp.attribution_agreement``, which its dashboard and offline report show and ``exp.save``
            keeps), or rows as ``explain()`` takes them. None: the last explanation this explainer made,
            while it exists.
        n : int
            At most this many rows, a fixed random sample when X has more.
        random_state : int
            Seed of that sample, the background and the permutations.
        progress : bool, optional
            Show a progress bar (default: once the work has taken 2 seconds).

        Returns
        -------
        AttributionAgreement
            ``figures`` (rank_rho: Spearman of the global importances; row_rank_rho: mean per-row Spearman
            of |values|; sign_agreement: share of cells of the same sign, near-zero values left out;
            top_k_overlap: share of the model's top 5 features per row in the surrogate's top 5),
            ``per_output``, ``features`` (a DataFrame per output and feature), ``poor`` (rank_rho < 0.8 or
            top-5 overlap < 3.5/5), ``method`` and ``method_detail``.

        Raises
        ------
        ValueError
            No X and no live explanation of this explainer, or rows unlike X_train.
        ModelPredictError
            The model failed on the sampled rows.

        Examples
        --------
        >>> result = explainer.check_attributions(exp)
        >>> result.figures, exp.attribution_agreement["poor"]
        """
        from rai_widget.explainers._agreement import check_attributions

        if X is None and self._last_explanation is not None:
            X = self._last_explanation()  # None once the user has dropped it: then the error says what to pass
        return check_attributions(self, X, n=n, random_state=random_state, progress=progress)

    def _warn_about_fidelity(self, fidelity: dict, scores: np.ndarray) -> None:
        """A FidelityWarning when the figures are poor (naming the likely cause) or cannot be measured."""
        n = fidelity["rows"]
        undefined = [name for name, r2 in fidelity["r2_per_output"].items() if not np.isfinite(r2)]
        if n < 2:
            warnings.warn(
                f"The surrogate's R^2 cannot be measured on {n} explained row: R^2 compares variation across "
                "rows (exp.fidelity['r2'] is NaN). Explain more rows to measure how faithful the surrogate is.",
                FidelityWarning,
                stacklevel=3,
            )
        elif undefined:
            warnings.warn(
                f"The model's output for {shown(undefined, 5)} is constant on the explained rows, but the "
                "surrogate's is not: R^2 is undefined there (NaN in exp.fidelity['r2_per_output']), and the "
                "attributions to that output are the surrogate's error, not the model's behaviour.",
                FidelityWarning,
                stacklevel=3,
            )
        warn_if_poor_fidelity(fidelity, cause=self._likely_cause(fidelity, scores))

    def _likely_cause(self, fidelity: dict, scores: np.ndarray) -> str:
        n, train = fidelity["rows"], self._train_fidelity
        if n < FIDELITY_MIN_ROWS:
            return f"the figure is measured on only {n} rows, too few to be stable: explain more rows."
        floors = FIDELITY_FLOORS
        in_sample_poor = train["r2"] < floors["r2"] or train.get("agreement", 1.0) < floors["agreement"]
        if not in_sample_poor:
            return (
                f"the surrogate follows the model well on X_train (R^2 {train['r2']:.3f}), so the explained rows "
                "are unlike X_train's: fit the explainer on rows like the ones you explain (e.g. include them in "
                "X_train)."
            )
        cause = (
            f"the surrogate follows the model poorly on X_train too (R^2 {train['r2']:.3f}): the model is more "
            "complex than the surrogate's trees. Give it more capacity, e.g. "
            "surrogate_params={'n_estimators': 400, 'num_leaves': 63}"
        )
        if self._train_rows < 1000:
            cause += f", and more X_train rows (it has {self._train_rows})"
        if self.task == "classification":
            saturated = float(((scores <= PROBABILITY_CLIP) | (scores >= 1 - PROBABILITY_CLIP)).any(axis=1).mean())
            if saturated > 0.2:
                cause += (
                    f". {saturated:.0%} of the rows have probabilities of 0 or 1, whose log-odds are clipped at "
                    "+-13.8: steps that trees approximate coarsely, so class agreement is the better guide"
                )
        return cause + "."

    def _assemble(self, per_surrogate, n):
        """(n, f, k) values and (k,) base values from each surrogate's (values, expected value)."""
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
            index = label_index(y, self.output_names)
            if (index < 0).any():
                unknown = list({str(v): v for v in y[index < 0].tolist()}.values())
                raise ValueError(
                    f"y_true has labels the model does not predict: {shown(unknown)}; the model's classes are "
                    f"{shown(self.output_names)}. Pass classes= if the model's class names differ."
                )
            # the class objects themselves, so y_true == y_pred compares like with like
            return _labels(self.output_names, index)
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"y_true must be numeric for a regression model; it holds {shown(y[:3])}...") from None
        if np.isinf(y).any():
            raise ValueError("y_true has infinite values; mark unknown targets as NaN.")
        return y


def _additivity_rows(encoded: np.ndarray, budget: int = ADDITIVITY_CHECK_ROWS) -> np.ndarray:
    """The rows whose attributions are checked against LightGBM's own predictions: every row with a missing
    value (where tree paths take their default branches: the case that once went wrong), up to `budget` of
    them, and as many rows evenly spread over the rest."""
    n = len(encoded)
    budget = max(1, budget)
    if n <= 2 * budget:
        return np.arange(n)
    missing = np.flatnonzero(np.isnan(encoded).any(axis=1))
    if len(missing) > budget:
        missing = missing[np.linspace(0, len(missing) - 1, budget).astype(np.int64)]
    spread = np.linspace(0, n - 1, budget).astype(np.int64)
    return np.union1d(missing, spread)


def _is_dask(X) -> bool:
    """A dask DataFrame (or Series), told without importing dask."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "npartitions")


def _value_dtype(dtype) -> np.dtype:
    """explain()'s dtype= as a numpy dtype: float64 or float32, else a ValueError saying so."""
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.name not in VALUE_DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32' (what the values are stored as), not {shown(dtype)}.")
    return resolved


def _rows_of(X, sl: slice):
    """Rows `sl` of X, of the type the user gave (the model is called on what it was given: a DataFrame's rows
    by position, an array's or a list's by slicing)."""
    return X.iloc[sl] if hasattr(X, "iloc") else X[sl]


def _expected_value(booster) -> float:
    """A deep surrogate's (no packed tables) expected output, as pred_contrib gives it."""
    contrib = booster.predict(np.zeros((1, booster.num_feature())), pred_contrib=True)
    return float(contrib[0, -1])


def _labels(classes: list, index: np.ndarray) -> np.ndarray:
    """The classes at `index`, as a plain bool, int, float or string array (by the classes' own types)."""
    if all(isinstance(c, bool) for c in classes):
        kind: type = bool
    elif all(isinstance(c, int) and not isinstance(c, bool) and -(2**63) <= c < 2**63 for c in classes):
        kind = np.int64
    elif all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in classes):
        kind = np.float64
    else:
        kind = str
    return np.asarray(classes, dtype=object).astype(kind)[index]
