"""MimicExplainer: correctness against ground truth and shap, the inputs people have, clear errors."""

import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import rai_widget as rw
from rai_widget.explainers._model import ModelPredictError
from rai_widget.explainers.tabular import log_odds

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def cancer():
    d = load_breast_cancer(as_frame=True)
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(d.data, d.target)
    return d.data, d.target, model


@pytest.fixture(scope="module")
def iris():
    d = load_iris(as_frame=True)
    y = d.target.map(dict(enumerate(d.target_names)))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(d.data, y)
    return d.data, y, model


@pytest.fixture(scope="module")
def mixed():
    """A frame with numeric, bool, category and string columns and missing values."""
    n = 1500
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": rng.lognormal(10, 0.5, n),
            "owner": rng.random(n) < 0.4,
            "region": pd.Categorical(rng.choice(["north", "south", "east"], n)),
            "job": rng.choice(["clerk", "engineer", "artist", "nurse"], n).astype(object),
        }
    )
    df.loc[rng.random(n) < 0.1, "income"] = np.nan
    df.loc[rng.random(n) < 0.05, "job"] = None
    score = (
        0.04 * (df["age"] - 45)
        + 0.8 * df["owner"]
        + (df["job"] == "engineer") * 1.2
        - (df["region"] == "south") * 0.9
        + np.log(df["income"].fillna(20000)) * 0.3
        - 3
    )
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-score)), "approved", "denied")
    cat_cols = ["region", "job", "owner"]
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), cat_cols),
            ("num", make_pipeline(StandardScaler()), ["age"]),
            ("inc", "passthrough", ["income"]),
        ]
    )
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = make_pipeline(pre, HistGradientBoostingClassifier(max_iter=60, random_state=0))
    df_fit = df.assign(job=df["job"].fillna("unknown"))
    model.fit(df_fit, y)
    return df_fit, y, model


def _assert_additive(exp):
    np.testing.assert_allclose(
        exp.base_values[None, :] + exp.values.sum(axis=1), exp.surrogate_output, rtol=0, atol=1e-9
    )


# --- ground truth ------------------------------------------------------------------------------


def test_import_is_quick_lightgbm_and_sklearn_load_on_first_fit():
    import subprocess
    import sys

    code = "import sys, rai_widget; print(sorted(m for m in ('lightgbm', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"  # together 0.7 s of `import rai_widget`


def test_known_answer_regression_attributes_only_to_the_used_feature():
    X = RNG.normal(size=(2000, 6))

    def model(A):  # a plain callable that only looks at feature 3
        return 2.0 * A[:, 3] + np.sin(A[:, 3])

    exp = rw.MimicExplainer(model, X, features=list("abcdef")).explain(X)
    imp = exp.global_importance()
    assert imp.index[0] == "d"
    assert imp["d"] > 1.0
    # the surrogate may chase binning residue on other features, but at a trace level only
    assert imp.drop("d").max() < 0.01 * imp["d"]
    assert exp.task == "regression" and exp.units == "output"
    _assert_additive(exp)


def test_known_answer_classification_with_predict_proba():
    X = pd.DataFrame(RNG.normal(size=(1500, 5)), columns=[f"x{i}" for i in range(5)])

    class OnlyX2:
        classes_ = np.array(["no", "yes"])

        def predict_proba(self, A):
            p = 1 / (1 + np.exp(-3 * A["x2"].to_numpy()))
            return np.column_stack([1 - p, p])

    exp = rw.MimicExplainer(OnlyX2(), X).explain(X)
    imp = exp.global_importance(output="yes")
    assert imp.index[0] == "x2"
    assert imp.drop("x2").max() < 0.01 * imp["x2"]
    # local: rows with larger x2 get larger positive value toward "yes"
    corr = np.corrcoef(X["x2"], exp.values[:, 2, 1])[0, 1]
    assert corr > 0.95
    assert exp.fidelity["r2"] > 0.95


def test_soft_distillation_targets_are_log_odds(cancer):
    X, y, model = cancer
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y)
    p = model.predict_proba(X)
    np.testing.assert_allclose(exp.model_output[:, 1], log_odds(p[:, 1]))
    np.testing.assert_allclose(exp.model_output[:, 0], -exp.model_output[:, 1])
    np.testing.assert_allclose(exp.probabilities, p)
    assert exp.units == "log-odds"
    # binary: class 0's explanation mirrors class 1's
    np.testing.assert_allclose(exp.values[:, :, 0], -exp.values[:, :, 1])


def test_additivity_and_agreement_with_shap_tree_explainer_binary(cancer):
    X, y, model = cancer
    ex = rw.MimicExplainer(model, X)
    exp = ex.explain(X, y_true=y)
    _assert_additive(exp)
    booster = ex.surrogates[0]
    np.testing.assert_allclose(exp.surrogate_output[:, 1], booster.predict(X.to_numpy()), atol=1e-9)
    reference = shap.TreeExplainer(booster)
    np.testing.assert_allclose(exp.values[:, :, 1], reference.shap_values(X.to_numpy()), atol=1e-9)
    np.testing.assert_allclose(exp.base_values[1], reference.expected_value, atol=1e-9)
    assert exp.fidelity["r2"] > 0.95 and exp.fidelity["agreement"] > 0.97


def test_agreement_with_shap_on_missing_values_and_categories(mixed):
    X, y, model = mixed
    X = X.copy()
    X.loc[X.index[:50], "age"] = np.nan
    ex = rw.MimicExplainer(model, X)
    exp = ex.explain(X, y_true=y)
    encoded = ex.schema.encode(X)
    assert np.isnan(encoded).any()
    booster = ex.surrogates[0]
    cats = ex.schema.categorical_indices()
    assert cats, "string and categorical columns must reach LightGBM as categories"
    assert any(
        n.get("decision_type") == "==" for t in booster.dump_model()["tree_info"] for n in _nodes(t["tree_structure"])
    ), "expected categorical splits in the surrogate"
    reference = shap.TreeExplainer(booster).shap_values(encoded)
    np.testing.assert_allclose(exp.values[:, :, 1], reference, atol=1e-9)
    np.testing.assert_allclose(exp.surrogate_output[:, 1], booster.predict(encoded), atol=1e-9)


def _nodes(node):
    yield node
    for key in ("left_child", "right_child"):
        if key in node:
            yield from _nodes(node[key])


def test_multiclass_string_labels(iris):
    X, y, model = iris
    ex = rw.MimicExplainer(model, X)
    exp = ex.explain(X, y_true=y)
    assert exp.output_names == ["setosa", "versicolor", "virginica"]
    assert exp.values.shape == (150, 4, 3)
    _assert_additive(exp)
    for k, booster in enumerate(ex.surrogates):
        np.testing.assert_allclose(
            exp.values[:, :, k], shap.TreeExplainer(booster).shap_values(X.to_numpy()), atol=1e-9
        )
    assert set(exp.y_pred) <= set(exp.output_names)
    assert (exp.y_pred == model.predict(X)).all()
    assert exp.fidelity["agreement"] > 0.95
    assert set(exp.fidelity["r2_per_output"]) == {"setosa", "versicolor", "virginica"}
    pred = exp.global_importance(output="predicted")
    assert pred.index[0] in {"petal length (cm)", "petal width (cm)"}


def test_regression_with_sklearn_model():
    d = load_diabetes(as_frame=True)
    model = GradientBoostingRegressor(random_state=0).fit(d.data, d.target)
    exp = rw.MimicExplainer(model, d.data).explain(d.data, y_true=d.target)
    np.testing.assert_allclose(exp.model_output[:, 0], model.predict(d.data))
    np.testing.assert_allclose(exp.y_pred, model.predict(d.data))
    assert exp.fidelity["r2"] > 0.95
    assert "agreement" not in exp.fidelity
    cols = exp.cohort_columns()
    np.testing.assert_allclose(cols["error"], exp.y_pred - d.target.to_numpy())


def test_numpy_input_with_feature_names_and_linear_model():
    X = RNG.normal(size=(800, 4))
    y = X @ np.array([1.0, -2.0, 0.0, 0.5])
    model = LinearRegression().fit(X, y)
    exp = rw.MimicExplainer(model, X, features=["a", "b", "c", "d"]).explain(X[:100])
    assert list(exp.data.columns) == ["a", "b", "c", "d"]
    imp = exp.global_importance()
    assert list(imp.index[:2]) == ["b", "a"]
    assert imp["c"] < 0.05 * imp["b"]


def test_lightgbm_sklearn_and_native_booster(cancer):
    X, y, _ = cancer
    clf = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    exp1 = rw.MimicExplainer(clf, X).explain(X)
    assert exp1.task == "classification"
    exp2 = rw.MimicExplainer(clf.booster_, X).explain(X)
    assert exp2.task == "classification" and exp2.output_names == [0, 1]
    np.testing.assert_allclose(exp2.probabilities, clf.predict_proba(X), atol=1e-9)


def test_native_classifier_booster_with_task_regression_explains_its_predict_output(cancer):
    # Its predict() is P(class 1); task="regression" explains that output as it is. The adapter used to
    # keep no predict function for a classifier Booster and blamed the model for calling None.
    X, y, _ = cancer
    booster = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y).booster_
    exp = rw.MimicExplainer(booster, X, task="regression").explain(X)
    assert exp.task == "regression" and exp.units == "output"
    np.testing.assert_allclose(exp.model_output[:, 0], booster.predict(X), atol=1e-12)


def test_callable_returning_probabilities_is_classification():
    X = RNG.normal(size=(600, 3))

    def f(A):
        p = 1 / (1 + np.exp(-A[:, 0]))
        return np.column_stack([1 - p, p])

    exp = rw.MimicExplainer(f, X, classes=["neg", "pos"]).explain(X)
    assert exp.task == "classification" and exp.output_names == ["neg", "pos"]
    assert exp.global_importance().index[0] == "feature_0"


def test_mixed_frame_pipeline_with_string_labels(mixed):
    X, y, model = mixed
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y)
    assert exp.output_names == ["approved", "denied"]
    assert exp.y_true.dtype.kind == "U" and exp.y_pred.dtype.kind == "U"
    assert ((exp.y_true == exp.y_pred).mean()) > 0.5
    assert exp.fidelity["r2"] > 0.9
    kinds = dict(zip(exp.feature_names, exp.feature_kinds, strict=True))
    assert kinds == {"age": "numeric", "income": "numeric", "owner": "bool", "region": "category", "job": "category"}
    cols = exp.cohort_columns()
    assert {"age", "job", "index", "y_true", "y_pred", "correct", "confidence"} <= set(cols.columns)
    cohort = rw.Cohort("engineers", [rw.Filter("job", "==", "engineer")])
    mask = cohort.mask(exp)
    assert mask.sum() == (X["job"] == "engineer").sum()
    assert exp.global_importance(cohort=cohort).shape == (5,)


def test_unseen_category_warns_and_is_treated_as_missing(mixed):
    X, y, model = mixed
    ex = rw.MimicExplainer(model, X)
    X2 = X.head(200).copy()  # not 20: enough rows that the fidelity check does not warn too (scikit-learn 1.7)
    X2["job"] = X2["job"].astype(object)
    X2.iloc[0, X2.columns.get_loc("job")] = "astronaut"
    with pytest.warns(UserWarning, match=r"not seen in X_train in 'job' \(1 rows\)"):
        ex.explain(X2)


# --- fidelity ----------------------------------------------------------------------------------


def test_poor_fidelity_warns_with_numbers(cancer):
    X, y, model = cancer
    with pytest.warns(rw.FidelityWarning, match=r"R\^2 0\.\d+ < 0\.8"):
        exp = rw.MimicExplainer(
            model, X, surrogate_params={"n_estimators": 1, "num_leaves": 2, "learning_rate": 0.05}
        ).explain(X)
    assert exp.fidelity["r2"] < 0.8


def test_good_fidelity_does_not_warn(cancer):
    X, y, model = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("error", rw.FidelityWarning)
        rw.MimicExplainer(model, X).explain(X)


def test_deterministic_under_random_state(cancer):
    X, y, model = cancer
    a = rw.MimicExplainer(model, X, random_state=3, surrogate_params={"subsample": 0.7, "subsample_freq": 1}).explain(X)
    b = rw.MimicExplainer(model, X, random_state=3, surrogate_params={"subsample": 0.7, "subsample_freq": 1}).explain(X)
    c = rw.MimicExplainer(model, X, random_state=4, surrogate_params={"subsample": 0.7, "subsample_freq": 1}).explain(X)
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)


# --- results API -------------------------------------------------------------------------------


def test_global_importance_options(iris):
    X, y, model = iris
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y)
    avg = exp.global_importance()
    np.testing.assert_allclose(avg.sort_index(), np.abs(exp.values).mean(axis=(0, 2))[np.argsort(exp.feature_names)])
    assert avg.is_monotonic_decreasing
    by_name = exp.global_importance(output="virginica")
    by_index = exp.global_importance(output=2)
    pd.testing.assert_series_equal(by_name, by_index)
    setosa_rows = np.asarray(y == "setosa")
    sub = exp.global_importance(cohort=setosa_rows, output=0)
    np.testing.assert_allclose(
        sub.sort_index(), np.abs(exp.values[setosa_rows, :, 0]).mean(0)[np.argsort(exp.feature_names)]
    )
    assert "log-odds" in avg.name
    with pytest.raises(ValueError, match="unknown output 'rose'"):
        exp.global_importance(output="rose")


def test_to_shap(cancer):
    X, y, model = cancer
    exp = rw.MimicExplainer(model, X).explain(X)
    sx = exp.to_shap()
    assert isinstance(sx, shap.Explanation)
    assert sx.values.shape == (len(X), X.shape[1], 2)
    one = exp.to_shap(output=1)
    assert one.values.shape == (len(X), X.shape[1])
    np.testing.assert_allclose(one.base_values + one.values.sum(1), exp.surrogate_output[:, 1])
    assert one.feature_names == list(X.columns)


def test_save_load_round_trip_without_pickle(mixed, tmp_path):
    X, y, model = mixed
    exp = rw.MimicExplainer(model, X).explain(X.head(300), y_true=y[:300])
    path = exp.save(tmp_path / "loan")
    assert path.suffix == ".npz"
    with np.load(path, allow_pickle=False) as npz:  # readable without pickle
        assert "values" in npz.files
    back = rw.load(path)
    assert isinstance(back, rw.TabularExplanation)
    np.testing.assert_array_equal(back.values, exp.values)
    np.testing.assert_array_equal(back.y_true, exp.y_true)
    np.testing.assert_array_equal(back.y_pred, exp.y_pred)
    assert back.output_names == exp.output_names and back.fidelity == exp.fidelity
    assert back.feature_kinds == exp.feature_kinds
    for col in X.columns:
        left = exp.data[col].astype("string").fillna("<NA>").tolist()
        right = back.data[col].astype("string").fillna("<NA>").tolist()
        if exp.data[col].dtype.kind == "f":
            np.testing.assert_allclose(back.data[col].to_numpy(float), exp.data[col].to_numpy(float))
        else:
            assert left == right, col
    pd.testing.assert_series_equal(back.global_importance(), exp.global_importance())


def test_load_rejects_other_files(tmp_path):
    p = tmp_path / "x.npz"
    np.savez(p, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a file written by rai_widget"):
        rw.load(p)
    with pytest.raises(FileNotFoundError):
        rw.load(tmp_path / "missing.npz")


def test_progress_bar_for_many_rows_and_off_switch(capsys):
    X = RNG.normal(size=(25_000, 3))
    ex = rw.MimicExplainer(lambda A: A[:, 0] * 2, X[:2000], surrogate_params={"n_estimators": 10, "learning_rate": 0.5})
    ex.explain(X)
    assert "Explaining rows" in capsys.readouterr().err
    ex.explain(X, progress=False)
    assert "Explaining rows" not in capsys.readouterr().err
    ex.explain(X[:100])
    assert "Explaining rows" not in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        ex.explain(X[:100], progress="yes")


# --- bad input ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_frame_model():
    X = pd.DataFrame(RNG.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    return X, y, LogisticRegression().fit(X, y)


def test_missing_extra_and_reordered_columns_are_named(small_frame_model):
    X, y, model = small_frame_model
    ex = rw.MimicExplainer(model, X)
    with pytest.raises(ValueError, match=r"missing \['c'\]"):
        ex.explain(X[["a", "b"]])
    with pytest.raises(ValueError, match=r"unexpected \['d'\]"):
        ex.explain(X.assign(d=1.0))
    with pytest.raises(ValueError, match=r"different order.*X\[explainer.feature_names\]"):
        ex.explain(X[["c", "a", "b"]])


def test_wrong_shapes_and_types(small_frame_model):
    X, y, model = small_frame_model
    ex = rw.MimicExplainer(model, X)
    with pytest.raises(TypeError, match="numpy array but X_train was a DataFrame"):
        ex.explain(X.to_numpy())
    with pytest.raises(ValueError, match="must be 2-D"):
        rw.MimicExplainer(lambda A: A.sum(1), np.zeros(5))
    with pytest.raises(ValueError, match="X has 3 columns but X_train had 4"):
        rw.MimicExplainer(lambda A: A.sum(1), RNG.normal(size=(50, 4))).explain(RNG.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="features has 2 names but X_train has 3 columns"):
        rw.MimicExplainer(lambda A: A.sum(1), RNG.normal(size=(50, 3)), features=["a", "b"])
    with pytest.raises(TypeError, match="pandas Series"):
        rw.MimicExplainer(model, X["a"])


def test_y_true_checks(small_frame_model):
    X, y, model = small_frame_model
    ex = rw.MimicExplainer(model, X)
    with pytest.raises(ValueError, match="y_true has 299 values but X has 300 rows"):
        ex.explain(X, y_true=y[:-1])
    with pytest.raises(ValueError, match=r"labels the model does not predict: \[7\]; the model's classes are \[0, 1\]"):
        ex.explain(X, y_true=np.where(y == 1, 7, 0))


def test_empty_frames(small_frame_model):
    X, y, model = small_frame_model
    with pytest.raises(ValueError, match="X_train has no rows"):
        rw.MimicExplainer(model, X.iloc[:0])
    with pytest.raises(ValueError, match="X has no rows to explain"):
        rw.MimicExplainer(model, X).explain(X.iloc[:0])


def test_classification_without_predict_proba(small_frame_model):
    X, y, _ = small_frame_model

    class LabelsOnly:
        def predict(self, A):
            return (A["a"] > 0).astype(int)

    with pytest.raises(TypeError, match="no predict_proba.*CalibratedClassifierCV"):
        rw.MimicExplainer(LabelsOnly(), X, task="classification")


def test_regression_without_predict_says_so(small_frame_model):
    # It used to call a missing predict (None) and report a TypeError raised "by the model".
    X, y, _ = small_frame_model

    class ProbabilitiesOnly:
        def predict_proba(self, A):
            return np.column_stack([1 - (A["a"] > 0), A["a"] > 0]).astype(float)

    with pytest.raises(TypeError, match="task='regression' explains the output of predict.*only predict_proba"):
        rw.MimicExplainer(ProbabilitiesOnly(), X, task="regression")
    assert rw.MimicExplainer(ProbabilitiesOnly(), X).task == "classification"


def test_model_that_raises_is_reported_with_the_original_error_chained(small_frame_model):
    X, y, model = small_frame_model

    class Broken:
        def predict_proba(self, A):
            raise KeyError("column 'zip' not found")

    with pytest.raises(ModelPredictError, match="The model raised KeyError in predict_proba on 300 rows") as info:
        rw.MimicExplainer(Broken(), X)
    assert isinstance(info.value.__cause__, KeyError)


def test_infinities_are_rejected_with_the_column(small_frame_model):
    X, y, model = small_frame_model
    bad = X.copy()
    bad.iloc[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"infinite values in 'b' \(1 rows\)"):
        rw.MimicExplainer(model, bad)
    with pytest.raises(ValueError, match=r"X has infinite values in 'b'"):
        rw.MimicExplainer(model, X).explain(bad)


def test_model_output_problems(small_frame_model):
    X, y, _ = small_frame_model
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        rw.MimicExplainer(lambda A: np.column_stack([A["a"], -A["a"]]), X, task="classification")
    with pytest.raises(ValueError, match="NaN or infinite predictions for 300 rows"):
        rw.MimicExplainer(lambda A: np.full(len(A), np.nan), X)
    with pytest.raises(ValueError, match="task must be"):
        rw.MimicExplainer(lambda A: A["a"], X, task="clasification")
    with pytest.raises(TypeError, match="model must have predict_proba"):
        rw.MimicExplainer(42, X)


def test_unsupported_column_types(small_frame_model):
    X, y, model = small_frame_model
    with pytest.raises(TypeError, match="dates/times.*convert it to numbers"):
        rw.MimicExplainer(model, X.assign(when=pd.Timestamp("2024-01-01")))
    from scipy import sparse

    with pytest.raises(TypeError, match="sparse matrix"):
        rw.MimicExplainer(lambda A: A.sum(1), sparse.csr_matrix(np.eye(3)))


def test_cohort_fidelity_is_the_fidelity_on_the_cohorts_rows(iris):
    X, y, model = iris
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y)
    assert exp.cohort_fidelity() == exp.fidelity  # every row: what explain() measured
    wide = rw.Cohort("wide", [rw.Filter("sepal width (cm)", ">", 3.2)])
    mask = wide.mask(exp)
    fid = exp.cohort_fidelity(wide)
    assert fid["rows"] == mask.sum() == int((X["sepal width (cm)"] > 3.2).sum())
    agree = np.argmax(exp.surrogate_output[mask], 1) == np.argmax(exp.model_output[mask], 1)
    assert fid["agreement"] == agree.mean()
    r2 = [
        1 - ((m - s) ** 2).sum() / ((m - m.mean()) ** 2).sum()
        for m, s in zip(exp.model_output[mask].T, exp.surrogate_output[mask].T, strict=True)
    ]
    assert fid["r2"] == pytest.approx(np.mean(r2), rel=1e-12)
    empty = exp.cohort_fidelity(np.zeros(len(exp), dtype=bool))
    assert empty["rows"] == 0 and np.isnan(empty["r2"]) and np.isnan(empty["agreement"])
