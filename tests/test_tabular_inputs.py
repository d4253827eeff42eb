"""MimicExplainer and TabularExplanation on the inputs an adversarial user tries: one test per class of input.

Each class either gets a clear ValueError / TypeError that names the argument and the fix (never a raw error
from pandas, numpy or LightGBM), or, where the result used to be silently wrong, a result checked against
ground truth. rw.load runs the same checks as explain() (TabularExplanation._validate).
"""

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.multioutput import MultiOutputClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import rai_widget as rw
from rai_widget._checks import plain
from rai_widget.explainers import tabular as T
from rai_widget.explanations.tabular import surrogate_fidelity

RNG = np.random.default_rng(7)
N = 400


@pytest.fixture(scope="module")
def frame():
    X = pd.DataFrame(RNG.normal(size=(N, 3)), columns=["a", "b", "c"])
    y = (X["a"] + 0.5 * RNG.normal(size=N) > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def logistic(frame):
    X, y = frame
    return LogisticRegression().fit(X, y)


def _quiet(fn, *args, **kwargs):
    """Run with rai_widget's warnings recorded (not errors), returning (result, messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rw.RaiWidgetWarning)
        out = fn(*args, **kwargs)
    return out, [str(w.message) for w in caught if issubclass(w.category, rw.RaiWidgetWarning)]


def linear(A):
    return A["a"].to_numpy() * 2 + A["b"].to_numpy()


# --- the task, decided from the model --------------------------------------------------------------


class LabelsWithClasses:
    classes_ = np.array(["barolo", "chianti"])

    def predict(self, A):
        return self.classes_[(A["a"] > 0).astype(int)]


class StringPredict:
    def predict(self, A):
        return np.where(A["a"] > 0, "yes", "no")


@pytest.mark.parametrize(
    "make",
    [
        lambda X, y: SVC().fit(X, y),
        lambda X, y: SVC().fit(X, np.where(y == 1, "barolo", "chianti")),
        lambda X, y: make_pipeline(StandardScaler(), SVC()).fit(X, y),
        lambda X, y: LabelsWithClasses(),
    ],
    ids=["svc", "svc-string-labels", "pipeline", "classes_-attribute"],
)
def test_a_classifier_without_predict_proba_is_refused_with_what_to_pass(frame, make):
    # It used to be explained as a regression of its labels (R^2 1.0, no warning); with string labels it
    # failed with numpy's "could not convert string to float: np.str_('barolo')".
    X, y = frame
    with pytest.raises(
        TypeError, match=r"is a classifier .*without predict_proba.*CalibratedClassifierCV\(model\)"
    ) as info:
        rw.MimicExplainer(make(X, y), X)
    assert "np.str_" not in str(info.value)


@pytest.mark.parametrize(
    "model",
    [StringPredict(), lambda A: (A["a"] > 0).to_numpy(), lambda A: np.where(A["a"] > 0, "x", "y")],
    ids=["predict-strings", "callable-bools", "callable-strings"],
)
def test_a_model_returning_labels_says_so(frame, model):
    X, _ = frame
    with pytest.raises(TypeError, match=r"returned labels \(\[.*\]\), not numbers.*probabilit"):
        rw.MimicExplainer(model, X)


def test_task_regression_explains_numeric_labels_on_request_but_not_strings(frame):
    X, y = frame
    exp = rw.MimicExplainer(SVC().fit(X, y), X, task="regression").explain(X)
    np.testing.assert_array_equal(exp.y_pred, SVC().fit(X, y).predict(X))  # what was asked for, explicitly
    with pytest.raises(TypeError, match=r"predict returned labels \(\['(barolo|chianti)', '(barolo|chianti)'\]\)"):
        rw.MimicExplainer(SVC().fit(X, np.where(y == 1, "barolo", "chianti")), X, task="regression")


def test_the_classifier_the_message_suggests_is_explained(frame):
    X, y = frame
    model = CalibratedClassifierCV(SVC()).fit(X, y)
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y)
    assert exp.task == "classification" and exp.output_names == [0, 1]
    np.testing.assert_allclose(exp.probabilities, model.predict_proba(X))


def test_a_predict_that_returns_probabilities_is_a_classification(frame):
    X, _ = frame

    class Keras:  # predict() gives the class probabilities, as Keras models do
        def predict(self, A):
            p = 1 / (1 + np.exp(-A["a"].to_numpy()))
            return np.column_stack([1 - p, p])

    exp = rw.MimicExplainer(Keras(), X).explain(X)
    assert exp.task == "classification" and exp.global_importance().index[0] == "a"


# --- probabilities that are not a distribution -------------------------------------------------------


@pytest.mark.parametrize(
    "scores",
    [
        lambda A: np.full((len(A), 2), 0.1),  # the issue's [[0.1, 0.1], ...]
        lambda A: np.column_stack([1 / (1 + np.exp(-A["a"])), 1 / (1 + np.exp(-A["b"]))]),  # two sigmoids
        lambda A: np.column_stack([np.full(len(A), 0.7), np.full(len(A), 0.7), np.full(len(A), 0.6)]),
    ],
    ids=["constant-0.1", "independent-sigmoids", "sum-2"],
)
def test_probability_rows_that_do_not_sum_to_one_are_refused(frame, scores):
    X, _ = frame

    class Model:
        def predict_proba(self, A):
            return scores(A)

    for model, task in ((Model(), "auto"), (scores, "classification")):
        with pytest.raises(ValueError, match=r"rows that do not sum to 1 .*row 0: \[.*\] sums to .*each class"):
            rw.MimicExplainer(model, X, task=task)


def test_float32_probabilities_that_sum_to_one_up_to_rounding_are_accepted(frame):
    X, _ = frame

    def softmax32(A):
        z = np.column_stack([A["a"], A["b"], A["c"], -A["a"]]).astype(np.float32)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    exp = rw.MimicExplainer(softmax32, X).explain(X)
    assert exp.task == "classification" and len(exp.output_names) == 4


# --- categorical_features and features ------------------------------------------------------------


@pytest.mark.parametrize("spec", ["zip", b"zip", 3, ["zip"], np.array([3]), ("zip",)])
def test_categorical_features_given_as_one_name_or_index_marks_that_column_only(spec):
    # "zip" used to mark the columns z, i and p.
    X = pd.DataFrame(RNG.integers(0, 5, size=(N, 4)).astype(float), columns=["z", "i", "p", "zip"])
    ex = rw.MimicExplainer(lambda A: (A["zip"] == 3).to_numpy() + 0.1 * A["z"].to_numpy(), X, categorical_features=spec)
    assert dict(zip(ex.feature_names, ex.schema.kinds, strict=True)) == {
        "z": "numeric",
        "i": "numeric",
        "p": "numeric",
        "zip": "category",
    }


@pytest.mark.parametrize(
    "spec, error, match",
    [
        (3.0, TypeError, r"categorical_features must be a list of column names or indices, e.g. \['zip'\]"),
        ({"a": 1}, TypeError, "categorical_features must be a list"),
        ("nope", ValueError, r"categorical_features names 'nope', which is not a feature"),
        ([9], ValueError, "categorical_features index 9 is out of range"),
    ],
)
def test_bad_categorical_features(frame, spec, error, match):
    X, _ = frame
    with pytest.raises(error, match=match):
        rw.MimicExplainer(linear, X, categorical_features=spec)


def test_features_given_as_a_string_is_refused():
    with pytest.raises(TypeError, match=r"features must be a list of column names.*not 'abc'"):
        rw.MimicExplainer(lambda A: A[:, 0], RNG.normal(size=(50, 3)), features="abc")


# --- surrogate_params: honoured, or refused with the reason ----------------------------------------


def _regression_X():
    return RNG.normal(size=(N, 3))


def f_reg(A):
    return 2 * A[:, 0] + A[:, 1] ** 2


def test_every_lightgbm_parameter_is_either_honoured_or_refused():
    names = set(T.lightgbm_aliases().values())
    unclassified = sorted(names - set(T._HONOURED) - set(T._REFUSED))
    assert not unclassified, f"classify these LightGBM parameters in explainers/tabular.py: {unclassified}"
    assert not set(T._HONOURED) & set(T._REFUSED)
    assert set(T._ONLY) <= set(T._HONOURED)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"linear_tree": True}, r"\['linear_tree'\]=True cannot be used: linear_tree fits a linear model"),
        ({"linear_trees": True}, r"\['linear_trees'\]=True cannot be used"),
        ({"boosting": "rf"}, r"\['boosting'\]='rf' cannot be used: boosting='rf' averages its trees"),
        ({"boosting_type": "rf", "bagging_freq": 1, "bagging_fraction": 0.5}, r"\['boosting_type'\]='rf'"),
        ({"boost": "rf"}, r"\['boost'\]='rf'"),
        ({"use_missing": False}, r"\['use_missing'\]=False cannot be used: missing values reach"),
        ({"zero_as_missing": True}, r"\['zero_as_missing'\]=True cannot be used"),
        ({"reg_sqrt": True}, r"\['reg_sqrt'\]=True cannot be used: reg_sqrt fits the square root"),
        ({"objective": "huber"}, r"\['objective'\]='huber' cannot be used: the surrogate regresses"),
        ({"objective": "poisson"}, r"\['objective'\]='poisson'"),
        ({"loss": "binary"}, r"\['loss'\]='binary'"),
        ({"application": "multiclass"}, r"\['application'\]='multiclass'"),
        ({"num_class": 3}, r"\['num_class'\]=3 cannot be used"),
        ({"tree_learner": "data"}, r"\['tree_learner'\]='data' cannot be used: distributed"),
        ({"categorical_feature": [0]}, r"\['categorical_feature'\] cannot be used: .*categorical_features="),
        ({"early_stopping_rounds": 5}, r"\['early_stopping_rounds'\] cannot be used: .*without validation data"),
        ({"metric": "l2"}, r"\['metric'\] cannot be used: .*no effect"),
        ({"alpha": 0.5}, r"\['alpha'\] cannot be used: it sets a parameter of an objective"),
        ({"output_model": "m.txt"}, r"\['output_model'\] cannot be used: it is a setting of LightGBM's command-line"),
        ({"machines": "10.0.0.1:12400"}, r"\['machines'\] cannot be used"),
        ({"pred_early_stop": True}, r"\['pred_early_stop'\] cannot be used"),
        ({"input_model": "m.txt"}, r"\['input_model'\] cannot be used"),
    ],
)
def test_surrogate_params_treeshap_cannot_explain_exactly_or_that_would_do_nothing_are_refused(params, match):
    with pytest.raises(ValueError, match=r"surrogate_params" + match):
        rw.MimicExplainer(f_reg, _regression_X(), surrogate_params=params)


ROUNDS_ALIASES = sorted(a for a, name in T.lightgbm_aliases().items() if name == "num_iterations")


@pytest.mark.parametrize("alias", ROUNDS_ALIASES)
def test_every_name_for_the_number_of_trees_is_honoured(alias):
    # {"num_iterations": 7} used to fit the default 100 trees.
    ex = rw.MimicExplainer(f_reg, _regression_X(), surrogate_params={alias: 7})
    assert ex.surrogates[0].num_trees() == 7
    assert ex.surrogate_params[alias] == 7 and "n_estimators" not in ex.surrogate_params or alias == "n_estimators"


@pytest.mark.parametrize("alias", ["seed", "random_seed", "random_state"])
def test_a_seed_agreeing_with_random_state_is_honoured_and_one_contradicting_it_is_refused(alias):
    X = _regression_X()
    bag = {"bagging_fraction": 0.5, "bagging_freq": 1}
    a = rw.MimicExplainer(f_reg, X, random_state=3, surrogate_params={alias: 3, **bag}).explain(X[:50])
    b = rw.MimicExplainer(f_reg, X, random_state=3, surrogate_params=bag).explain(X[:50])
    np.testing.assert_array_equal(a.values, b.values)
    with pytest.raises(ValueError, match=rf"\['{alias}'\]=5 contradicts random_state=0.*pass random_state=5"):
        rw.MimicExplainer(f_reg, X, surrogate_params={alias: 5})


@pytest.mark.parametrize("objective", ["regression", "l2", "mse", "regression_l2", "mean_squared_error"])
def test_least_squares_objectives_under_any_name_are_honoured(objective):
    ex = rw.MimicExplainer(f_reg, _regression_X(), surrogate_params={"objective": objective, "n_estimators": 5})
    assert ex.surrogates[0].num_trees() == 5


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_estimators": "ten"}, TypeError, r"surrogate_params\['n_estimators'\] must be an integer, not 'ten'"),
        ({"n_estimators": True}, TypeError, r"must be an integer, not True"),
        ({"n_estimators": 2.5}, TypeError, r"must be an integer, not 2.5"),
        ({"learning_rate": "fast"}, TypeError, r"\['learning_rate'\] must be a number, not 'fast'"),
        ({"learning_rate": float("nan")}, TypeError, r"must be a number, not nan"),
        ({"extra_trees": 1}, TypeError, r"\['extra_trees'\] must be True or False, not 1"),
        ({"boosting": None}, TypeError, r"\['boosting'\] must be a string, not None"),
        ({"n_estimators": 0}, ValueError, r"\['n_estimators'\] is 0: the surrogate needs at least 1 tree"),
        (
            {"n_estimator": 50},
            ValueError,
            r"\['n_estimator'\] is not a LightGBM parameter. Did you mean 'n_estimators'",
        ),
        ({"class_weight": "balanced"}, ValueError, r"\['class_weight'\] is not a LightGBM parameter"),
        ({"n_estimators": 10, "num_trees": 7}, ValueError, r"sets LightGBM's 'num_iterations' twice"),
        ({1: 2}, TypeError, r"surrogate_params names parameters with strings, not 1"),
        ("n_estimators=10", TypeError, r"surrogate_params must be a dict of LightGBM parameters"),
        ({"learning_rate": -1.0}, ValueError, r"LightGBM could not fit the surrogate with surrogate_params="),
    ],
)
def test_surrogate_params_of_the_wrong_type_or_name(params, error, match):
    with pytest.raises(error, match=match):
        rw.MimicExplainer(f_reg, _regression_X(), surrogate_params=params)


@pytest.mark.parametrize(
    "params",
    [{"boosting": "dart"}, {"data_sample_strategy": "goss"}, {"extra_trees": True}, {"use_quantized_grad": True}],
)
def test_other_boosting_variants_are_honoured_and_add_up_to_the_surrogates_predictions(params):
    X = _regression_X()
    ex = rw.MimicExplainer(f_reg, X, surrogate_params=params)
    exp = ex.explain(X)
    np.testing.assert_allclose(exp.surrogate_output[:, 0], ex.surrogates[0].predict(X, raw_score=True), atol=1e-9)


def test_attributions_that_do_not_add_up_fail_loudly(monkeypatch):
    X = _regression_X()
    ex = rw.MimicExplainer(f_reg, X)
    real = T._treeshap.shap_values

    def off(booster, packed, rows, out=None):
        vals, expected = real(booster, packed, rows)
        if out is None:
            return vals + 0.01, expected
        out[:] = vals + 0.01
        return out, expected

    monkeypatch.setattr(T._treeshap, "shap_values", off)
    with pytest.raises(RuntimeError, match=r"do not add up to its predictions on 400 rows of X"):
        ex.explain(X)
    with pytest.raises(ValueError, match=r"do not add up .* with surrogate_params=.*leave out the parameters"):
        rw.MimicExplainer(f_reg, X, surrogate_params={"n_estimators": 20})


def test_an_unseen_category_is_attributed_as_lightgbm_predicts_it():
    # Additivity against the surrogate's own predictions found this: LightGBM >= 4 sends NaN (an unseen
    # category) right at every categorical split; the kernel read it as the first category.
    X = pd.DataFrame({"k": RNG.choice(["a", "b", "c", "d"], N), "x": RNG.normal(size=N)})
    ex = rw.MimicExplainer(lambda A: (A["k"] == "a") * 2.0 + (A["k"] == "c") + A["x"], X)
    rows = X.head(30).assign(k=["zzz"] * 10 + list(X["k"][10:30]))
    exp, messages = _quiet(ex.explain, rows)
    assert any("not seen in X_train in 'k' (10 rows)" in m for m in messages)
    encoded, _ = _quiet(ex.schema.encode, exp.data)
    raw = ex.surrogates[0].predict(encoded, raw_score=True)
    np.testing.assert_allclose(exp.surrogate_output[:, 0], raw, atol=1e-9)


@pytest.mark.parametrize("n_rows", [1, 5, 19])
def test_a_surrogate_that_learned_nothing_is_refused(n_rows):
    # X_train too small for a split: every attribution used to be 0 (the CLI's --rows 1), with exit code 0.
    X = RNG.normal(size=(n_rows, 3))
    with pytest.raises(
        ValueError, match=rf"learned nothing from X_train.*X_train has {n_rows} rows?, .*more X_train rows"
    ):
        rw.MimicExplainer(lambda A: A[:, 0], X + np.arange(n_rows)[:, None])


def test_a_constant_model_gives_zero_attributions_without_complaint():
    X = _regression_X()
    exp = rw.MimicExplainer(lambda A: np.full(len(A), 3.0), X).explain(X)
    assert np.all(exp.values == 0) and exp.fidelity["r2"] == 1.0


# --- fidelity ------------------------------------------------------------------------------------


def _three_classes_one_constant(A):
    """Class 'z' has probability 0.2 on every row, up to the float noise of a softmax."""
    p = 1 / (1 + np.exp(-A["a"].to_numpy()))
    z = np.log(np.column_stack([0.8 * p, 0.8 * (1 - p), np.full(len(A), 0.2)]))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_a_class_of_constant_probability_is_perfectly_replicated_not_minus_8e15(frame):
    X, _ = frame
    exp = rw.MimicExplainer(_three_classes_one_constant, X, classes=["x", "y", "z"]).explain(X)  # no FidelityWarning
    assert np.ptp(exp.model_output[:, 2]) > 0  # the noise that used to make R^2 -8e15
    assert exp.fidelity["r2_per_output"]["z"] == 1.0
    assert exp.fidelity["r2"] > 0.95
    np.testing.assert_allclose(exp.values[:, :, 2], 0, atol=1e-6)  # nothing to explain: nothing attributed


def test_r2_of_a_constant_output_reads_one_when_reproduced_and_nan_when_not():
    c = np.full(50, -1.3862943611198906)
    noisy = c + np.random.default_rng(0).normal(scale=1e-16, size=50)
    names = ["a", "b"]
    same = surrogate_fidelity(np.column_stack([-noisy, noisy]), np.column_stack([-c, c]), "classification", names)
    assert same["r2"] == 1.0
    other = surrogate_fidelity(
        np.column_stack([-noisy, noisy]), np.column_stack([-c, c + np.linspace(0, 1, 50)]), "classification", names
    )
    assert np.isnan(other["r2"])


def test_fidelity_on_one_row_warns_that_it_cannot_be_measured(frame, logistic):
    X, _ = frame
    exp, messages = _quiet(rw.MimicExplainer(logistic, X).explain, X.head(1))
    assert np.isnan(exp.fidelity["r2"])
    assert any("R^2 cannot be measured on 1 explained row" in m and "Explain more rows" in m for m in messages)


def test_a_constant_output_the_surrogate_misses_is_named(frame):
    X, _ = frame
    ex = rw.MimicExplainer(_three_classes_one_constant, X, classes=["x", "y", "z"])
    rows = X.head(40)
    # make the model's 'z' constant on the explained rows but the surrogate's not: a model that changed
    ex._adapter._proba = lambda A: np.tile(_three_classes_one_constant(A)[:1], (len(A), 1))
    ex._adapter._proba.__name__ = "predict_proba"
    _, messages = _quiet(ex.explain, rows)
    assert any("constant on the explained rows, but the surrogate's is not" in m for m in messages)


@pytest.mark.parametrize("scale", [1e39, -1e39, 1e300])
def test_regression_outputs_beyond_float32_are_refused(frame, scale):
    # LightGBM stores targets as float32: they were capped silently and fidelity was NaN.
    X, _ = frame
    with pytest.raises(ValueError, match=r"beyond float32's range.*Explain a rescaled output"):
        rw.MimicExplainer(lambda A: A["a"].to_numpy() * scale, X)


@pytest.mark.parametrize("offset", [1e9, -3e12])
def test_regression_outputs_float32_cannot_resolve_are_refused(frame, offset):
    X, _ = frame
    with pytest.raises(ValueError, match=r"vary too little for their size.*float32.*minus an offset"):
        rw.MimicExplainer(lambda A: offset + A["a"].to_numpy(), X)


def test_large_and_tiny_but_representable_outputs(frame):
    X, _ = frame
    exp = rw.MimicExplainer(lambda A: 1e30 * A["a"].to_numpy(), X).explain(X)
    assert exp.fidelity["r2"] > 0.95 and exp.global_importance().index[0] == "a"
    with pytest.raises(ValueError, match=r"vary by only .* too little for LightGBM to split on.*rescaled"):
        rw.MimicExplainer(lambda A: 1e-30 * A["a"].to_numpy(), X)


def test_the_fidelity_warning_names_the_likely_cause(frame, logistic):
    X, y = frame
    # a surrogate too small for the model: poor on X_train too
    small = {"n_estimators": 1, "num_leaves": 2, "learning_rate": 0.05}
    with pytest.warns(rw.FidelityWarning, match=r"Likely cause: the surrogate follows the model poorly on X_train too"):
        rw.MimicExplainer(logistic, X, surrogate_params=small).explain(X)
    # rows unlike X_train: the surrogate is fine where it learned, and a bigger one would not help
    narrow = X[X["a"].between(-0.5, 0.5)]
    far = X.assign(a=X["a"] * 4)
    with pytest.warns(rw.FidelityWarning, match=r"Likely cause: .*explained rows are unlike X_train") as info:
        rw.MimicExplainer(lambda A: 1 / (1 + np.exp(-np.column_stack([A["a"], -A["a"]]))), narrow).explain(far)
    assert "larger surrogate" not in str(info[0].message) and "more capacity" not in str(info[0].message)
    # too few rows to tell
    with pytest.warns(rw.FidelityWarning, match=r"Likely cause: the figure is measured on only 6 rows"):
        rw.MimicExplainer(logistic, X, surrogate_params=small).explain(X.head(6))


# --- data: bytes, snapshots, dtypes ----------------------------------------------------------------


def test_a_bytes_column_is_decoded_and_explained():
    # It was encoded as all-missing (importance 0) with a warning that contradicted itself.
    X = pd.DataFrame({"x": RNG.normal(size=N), "code": RNG.choice([b"yes", b"no", b"caf\xe9"], N)})
    X["code"] = X["code"].astype(object)

    def model(A):
        return A["x"].to_numpy() + 2.0 * (A["code"] == b"yes").to_numpy()

    exp, messages = _quiet(rw.MimicExplainer(model, X).explain, X)
    assert not messages
    imp = exp.global_importance()
    assert imp["code"] > 0.5 * imp["x"]
    assert sorted(set(exp.data["code"])) == ["caf\\xe9", "no", "yes"]  # undecodable bytes escaped, not lost
    assert rw.Cohort("yes", [rw.Filter("code", "==", "yes")]).mask(exp).sum() == (X["code"] == b"yes").sum()
    assert X["code"].iloc[0] in (b"yes", b"no", b"caf\xe9")  # the caller's frame is untouched


def test_exp_data_is_a_snapshot_not_the_callers_frame(frame, logistic, tmp_path):
    X, _ = frame
    X = X.copy()
    ex = rw.MimicExplainer(logistic, X)
    exp = ex.explain(X)
    before = exp.data.copy()
    X.loc[0, "a"] = 999.0
    X["b"] = 0.0
    pd.testing.assert_frame_equal(exp.data, before)
    pd.testing.assert_frame_equal(rw.load(exp.save(tmp_path / "e")).data, before.reset_index(drop=True))
    exp.data.loc[1, "c"] = -5.0
    assert X.loc[1, "c"] != -5.0
    A = RNG.normal(size=(N, 3))
    exp2 = rw.MimicExplainer(lambda M: M[:, 0], A).explain(A)
    A[0, 0] = 1e6
    assert exp2.data.iloc[0, 0] != 1e6


def test_dtypes_come_back_from_save_and_load(tmp_path):
    n = 300
    X = pd.DataFrame(
        {
            "i64": pd.array(RNG.integers(0, 5, n), dtype="Int64"),
            "f64": pd.array(RNG.normal(size=n), dtype="Float64"),
            "text": pd.array(RNG.choice(["a", "b", None], n), dtype="string"),
            "when": pd.Series(pd.period_range("2024-01", periods=n, freq="D")),
            "level": pd.Categorical(RNG.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi"], ordered=True),
            "icat": pd.Categorical(RNG.choice([1, 2, 30], n)),
            "flag": pd.array(RNG.choice([True, False, None], n), dtype="boolean"),
            "small": RNG.integers(0, 3, n).astype(np.uint8),
            "obj": pd.Series(RNG.choice(["u", "v"], n), dtype=object),
            "zip": RNG.choice([10, 2, 33], n),
        }
    )
    X.loc[3, "i64"] = pd.NA
    X.loc[4, "f64"] = pd.NA
    ex = rw.MimicExplainer(
        lambda A: A["f64"].fillna(0).to_numpy(float) + (A["zip"] == 2), X, categorical_features="zip"
    )
    exp = ex.explain(X)
    back = rw.load(exp.save(tmp_path / "e")).data
    for col in X.columns:
        assert back[col].dtype == X[col].dtype, col
        pd.testing.assert_series_equal(back[col], X[col], check_names=False, obj=col)


def test_columns_whose_dtype_cannot_be_saved_are_refused_at_explain(frame):
    X = pd.DataFrame({"span": pd.interval_range(0, N), "x": np.arange(N, dtype=float)})
    with pytest.raises(TypeError, match=r"column 'span' of X_train has dtype interval.*astype\(str\)"):
        rw.MimicExplainer(lambda A: A["x"].to_numpy(), X)


@pytest.mark.parametrize(
    "values, match",
    [
        (["yes", "no"], r"column 'flag' of X holds \['yes', 'no'\], but it was boolean in X_train"),
        ([2, 0], r"column 'flag' of X holds \[2\], but it was boolean"),
    ],
)
def test_a_boolean_column_given_other_values(values, match):
    X = pd.DataFrame({"x": RNG.normal(size=N), "flag": RNG.random(N) < 0.5})
    ex = rw.MimicExplainer(lambda A: A["x"].to_numpy() + A["flag"].to_numpy(), X)
    with pytest.raises(TypeError, match=match + r".*True / False"):
        ex.explain(X.assign(flag=np.resize(values, N)))
    assert ex.explain(X.assign(flag=X["flag"].astype(int))).values.shape == (N, 2, 1)  # 0 / 1 still read


def test_a_numeric_column_given_text(frame, logistic):
    X, _ = frame
    ex = rw.MimicExplainer(logistic, X)
    with pytest.raises(TypeError, match=r"column 'b' of X holds non-numbers \(\['n/a'\]\), but it was numeric"):
        ex.explain(X.assign(b=["n/a"] + list(X["b"][1:])))


@pytest.mark.parametrize(
    "X, error, match",
    [
        (None, TypeError, r"X is None: pass the rows as a pandas DataFrame or a 2-D array"),
        ("data.csv", TypeError, r"X is 'data.csv', not data: pass the rows themselves .*pd.read_csv"),
        (Path("data.csv"), TypeError, r"X is 'data.csv', not data"),
        (5, TypeError, r"X is a single value \(5\)"),
        ({"a": [1]}, TypeError, r"X is a dict: make it a DataFrame first"),
        ([{"a": 1, "b": 2, "c": 3}], TypeError, r"X is a list of records"),
        ([[1, 2], [3]], TypeError, r"X must be a pandas DataFrame or a 2-D array"),
        (np.zeros(3), ValueError, r"For a single row use X.reshape\(1, -1\)"),
        (np.zeros((2, 3, 1)), ValueError, r"must be 2-D .* shape \(2, 3, 1\)"),
    ],
)
def test_x_that_is_not_rows(X, error, match):
    ex = rw.MimicExplainer(lambda A: A[:, 0], RNG.normal(size=(N, 3)))
    with pytest.raises(error, match=match) as info:
        ex.explain(X)
    assert "reshape" not in str(info.value) or np.ndim(X) == 1


# --- classes and labels -----------------------------------------------------------------------------


def _binary(A):
    p = 1 / (1 + np.exp(-A["a"].to_numpy()))
    return np.column_stack([1 - p, p])


@pytest.mark.parametrize(
    "classes, error, match",
    [
        (["a", "a"], ValueError, r"classes names 'a' more than once"),
        ([1, "1"], ValueError, r"classes names '1' more than once"),
        ([(0, 1), (1, 0)], TypeError, r"classes must hold strings, numbers or booleans; \(0, 1\) is a tuple"),
        ("ab", TypeError, r"classes must be a list of class names"),
        ([np.int64(0), np.int64(0)], ValueError, r"classes names '0' more than once \(\[0, 0\]\)"),
    ],
)
def test_class_names_that_cannot_be_told_apart(frame, classes, error, match):
    X, _ = frame
    with pytest.raises(error, match=match) as info:
        rw.MimicExplainer(_binary, X, classes=classes)
    assert "np.int64" not in str(info.value)


def test_a_models_own_class_names_are_checked_too(frame):
    X, _ = frame

    class Twice:
        classes_ = np.array(["no", "no"])

        def predict_proba(self, A):
            return _binary(A)

    with pytest.raises(ValueError, match=r"the model's classes_ \(Twice.classes_\) names 'no' more than once"):
        rw.MimicExplainer(Twice(), X)


def test_multi_output_classifiers_are_refused(frame):
    X, y = frame
    model = MultiOutputClassifier(LogisticRegression()).fit(X, np.column_stack([y, 1 - y]))
    with pytest.raises(TypeError, match=r"one array of classes per output .*one output at a time"):
        rw.MimicExplainer(model, X)

    def lists(A):
        return [_binary(A), _binary(A)]

    with pytest.raises(TypeError, match=r"returned a list of 2 arrays, one per output"):
        rw.MimicExplainer(lists, X, task="classification")


@pytest.mark.parametrize(
    "model",
    [
        lambda A: A[["a", "b"]].to_numpy(),
        "linear-2d",
    ],
)
def test_multi_output_regression_is_refused_with_what_to_do(frame, model):
    # It was accepted, and then every cohort failed.
    X, _ = frame
    if model == "linear-2d":
        model = LinearRegression().fit(X, X[["a", "b"]].to_numpy())
    with pytest.raises(ValueError, match=r"returned 2 outputs per row .*explains one regression output.*\[:, 0\]"):
        rw.MimicExplainer(model, X)


def test_classes_for_a_regression_must_name_its_one_output(frame):
    X, _ = frame
    assert rw.MimicExplainer(linear, X, classes=["price"]).output_names == ["price"]
    with pytest.raises(ValueError, match=r"classes names 2 outputs, but the model is a regression of one output"):
        rw.MimicExplainer(linear, X, classes=["u", "v"])


@pytest.mark.parametrize(
    "convert", [lambda y: y.astype(float), lambda y: y.astype(str), lambda y: y.astype(bool), lambda y: y.to_list()]
)
def test_labels_equal_to_the_classes_are_accepted(frame, logistic, convert):
    # 0.0 / 1.0 for the classes 0 / 1 used to be "labels the model does not predict".
    X, y = frame
    exp = rw.MimicExplainer(logistic, X).explain(X, y_true=convert(y))
    assert exp.y_true.dtype == np.int64
    np.testing.assert_array_equal(exp.y_true, y.to_numpy())
    np.testing.assert_array_equal(exp.cohort_columns()["correct"], logistic.predict(X) == y.to_numpy())


@pytest.mark.parametrize("bad", [1.5, np.nan, "2", np.int64(7)])
def test_labels_that_are_no_class_are_refused_as_python_prints_them(frame, logistic, bad):
    X, y = frame
    labels = y.to_numpy().astype(object)
    labels[[3, 5]] = bad
    with pytest.raises(ValueError, match=r"y_true has labels the model does not predict: \[.+\]; .*\[0, 1\]") as info:
        rw.MimicExplainer(logistic, X).explain(X, y_true=labels)
    assert "np." not in str(info.value) and repr(plain(bad)) in str(info.value)


# --- the model's failures, rows of the explanation ---------------------------------------------------


def test_local_importance_row_checks(frame, logistic):
    X, _ = frame
    exp = rw.MimicExplainer(logistic, X).explain(X.head(50))
    for row, error, match in [
        (10**6, ValueError, r"row 1000000 is out of range: this explanation has 50 rows \(0 to 49\)"),
        (50, ValueError, r"row 50 is out of range"),
        (-51, ValueError, r"row -51 is out of range"),
        ("3", TypeError, r"row must be a row number \(an int from 0 to 49\), not '3'"),
        (2.0, TypeError, r"not 2.0"),
        (True, TypeError, r"not True"),
        (None, TypeError, r"not None"),
    ]:
        with pytest.raises(error, match=match):
            exp.local_importance(row)
    pd.testing.assert_series_equal(exp.local_importance(-1), exp.local_importance(49))
    pd.testing.assert_series_equal(exp.local_importance(np.int64(3)), exp.local_importance(3))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"task": None}, ValueError, r"task must be 'auto', 'classification' or 'regression', not None"),
        ({"random_state": "0"}, TypeError, r"random_state must be an integer seed, not '0'"),
        ({"random_state": 1.5}, TypeError, r"random_state must be an integer seed, not 1.5"),
    ],
)
def test_constructor_arguments(frame, kwargs, error, match):
    X, _ = frame
    with pytest.raises(error, match=match):
        rw.MimicExplainer(linear, X, **kwargs)


def test_model_output_problems_are_named(frame):
    X, _ = frame
    with pytest.raises(TypeError, match=r"model must have predict_proba / predict, or be a callable.*NoneType"):
        rw.MimicExplainer(None, X)
    with pytest.raises(TypeError, match=r"predict_proba returned \['high', 'low'\], not numbers"):

        class Words:
            def predict_proba(self, A):
                return np.where(np.column_stack([A["a"] > 0, A["a"] <= 0]), "high", "low")

        rw.MimicExplainer(Words(), X)
    with pytest.raises(TypeError, match=r"returned values of dtype complex128, not real numbers"):
        rw.MimicExplainer(lambda A: A["a"].to_numpy() + 1j, X)


# --- rw.load runs the same checks as explain() --------------------------------------------------------


@pytest.fixture(scope="module")
def saved_tabular(tmp_path_factory, frame, logistic):
    X, y = frame
    exp = rw.MimicExplainer(logistic, X).explain(X.head(300), y_true=y[:300])
    path = exp.save(tmp_path_factory.mktemp("tab") / "exp")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return arrays, json.loads(str(arrays.pop("__meta__")))


def _edit(arrays, meta, **changes):
    arrays, meta = dict(arrays), json.loads(json.dumps(meta))
    for key, value in changes.items():
        if key.startswith("meta_"):
            meta[key[5:]] = value
        else:
            arrays[key] = value(arrays[key]) if callable(value) else value
    return arrays, meta


TAMPERED = {
    "output names of the wrong length": (dict(meta_output_names=[0, 1, 2]), r"model_output has shape \(300, 2\), not"),
    "y_pred of 3 rows": (dict(y_pred=lambda a: a[:3]), r"y_pred has 3 values for 300"),
    "unknown task": (dict(meta_task="ranking"), r"task is 'ranking'"),
    "regression with two outputs": (dict(meta_task="regression"), r"a regression explanation has one output, not 2"),
    "values of the wrong shape": (dict(values=lambda a: a[:, :2]), r"values must be numbers of shape \(300, 3, 2\)"),
    "values that do not add up": (dict(values=lambda a: a * 1.1), r"differ from surrogate_output on 300 rows"),
    "base_values of the wrong length": (dict(base_values=np.zeros(3)), r"base_values must be numbers of shape \(2,\)"),
    "NaN in the values": (dict(values=lambda a: np.where(a > 0.5, np.nan, a)), r"values has NaN or infinite"),
    "probabilities that do not sum to 1": (
        dict(probabilities=lambda p: p * 0.5),
        r"probabilities of 300 rows do not sum to 1",
    ),
    "no probabilities": (dict(probabilities=None), r"needs probabilities"),
    "y_pred not the most probable class": (dict(y_pred=lambda a: 1 - a), r"y_pred is not the most probable class"),
    "y_true not a class": (dict(y_true=lambda a: a + 5), r"y_true has labels that are not among the classes \[0, 1\]"),
    "unknown feature kind": (dict(meta_feature_kinds=["numeric", "text", "numeric"]), r"feature_kinds must name"),
    "a feature too few": (dict(meta_feature_names=["a", "b"]), r"the header names 2 features but describes 3 columns"),
    "duplicate feature names": (dict(meta_feature_names=["a", "a", "c"]), r"feature_names must be distinct"),
    "text in a numeric column": (dict(data_0=np.full(300, "x")), r"the data of feature 'a' is <U1 of shape \(300,\)"),
}


@pytest.mark.parametrize("case", list(TAMPERED), ids=list(TAMPERED))
def test_tampered_tabular_files_fail_to_load_naming_what_is_wrong(saved_tabular, tmp_path, case):
    arrays, meta = saved_tabular
    changes, match = TAMPERED[case]
    arrays, meta = _edit(arrays, meta, **changes)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path = tmp_path / "t.npz"
    np.savez_compressed(path, __meta__=np.array(json.dumps(meta)), **arrays)
    with pytest.raises(rw.ExplanationFileError, match=match):
        rw.load(path)  # and so no dashboard is ever built from it


def test_the_same_checks_refuse_an_inconsistent_explanation_built_by_hand(saved_tabular, tmp_path):
    arrays, meta = saved_tabular
    np.savez_compressed(tmp_path / "ok.npz", __meta__=np.array(json.dumps(meta)), **arrays)
    exp = rw.load(tmp_path / "ok.npz")
    with pytest.raises(ValueError, match=r"y_pred has 3 values for 300"):
        rw.TabularExplanation(
            data=exp.data,
            feature_names=exp.feature_names,
            feature_kinds=exp.feature_kinds,
            values=exp.values,
            base_values=exp.base_values,
            surrogate_output=exp.surrogate_output,
            model_output=exp.model_output,
            output_names=exp.output_names,
            task=exp.task,
            units=exp.units,
            y_pred=exp.y_pred[:3],
            probabilities=exp.probabilities,
        )


# --- no files written as a side effect ----------------------------------------------------------------


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_explaining_writes_no_file_into_a_read_only_install_or_anywhere(tmp_path):
    # numba's cache=True wrote rai_widget/explainers/__pycache__/*.nbi/.nbc into the installed package.
    site = tmp_path / "site"
    shutil.copytree(Path(rw.__file__).parent, site / "rai_widget", ignore=shutil.ignore_patterns("__pycache__"))
    before = _listing(site)
    for p in [site, *site.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "PYTHON", "XDG_")) and k != "HOME"} | {
        "PYTHONPATH": str(site),
        "HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    code = (
        "import numpy as np, rai_widget as rw; "
        f"assert rw.__file__.startswith({str(site)!r}), rw.__file__; "
        "X = np.random.default_rng(0).normal(size=(500, 3)); "
        "exp = rw.MimicExplainer(lambda A: A[:, 0] + A[:, 1] * A[:, 2], X).explain(X); "
        "print(exp.fidelity['r2'] > 0.9)"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)
    finally:
        for p in [site, *site.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
    assert _listing(site) == before  # nothing written into the package
    assert _listing(home) == set() and _listing(work) == set()  # nor into the user's home (caches) or cwd
