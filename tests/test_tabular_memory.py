"""explain() at scale on one machine: one stored output for a binary classifier, float32 values, chunks.

What a large explain() keeps is a chunk's temporaries plus the result; these tests check that the result is
the same as before (whatever the chunk size, whichever dtype) and that a binary explanation holds class 1's
values once. The speed and peak memory figures live in bench/large.py, not here.
"""

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import rai_widget as rw
from rai_widget.explainers import tabular as tabular_explainer


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    return X, y, model


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=2000).fit(X, y)
    return X, y, model


class CountingModel:
    """A model that records the type and length of every X it is called on."""

    def __init__(self, model):
        self.model, self.calls = model, []
        self.classes_ = model.classes_

    def predict_proba(self, X):
        self.calls.append((type(X), len(X)))
        return self.model.predict_proba(X)


def test_binary_explanation_stores_class_one_values_once(cancer):
    X, y, model = cancer
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y)
    n, f = X.shape
    assert exp.mirrored and exp._values.shape == (n, f)
    assert exp.values.shape == (n, f, 2)
    np.testing.assert_array_equal(exp.values[:, :, 0], -exp.values[:, :, 1])
    np.testing.assert_array_equal(exp.output_values(1), exp.values[:, :, 1])
    np.testing.assert_array_equal(exp.output_values(0, [3, 5]), exp.values[[3, 5], :, 0])
    np.testing.assert_array_equal(exp.values_at([7]), exp.values[[7]])
    with pytest.raises(ValueError, match="read-only"):
        exp.values[0, 0, 0] = 1.0  # what is stored once cannot be edited in one of its views
    # the same numbers shap's TreeExplainer gives on the surrogate, for both classes
    booster = exp.explainer.surrogates[0]
    theirs = shap.TreeExplainer(booster).shap_values(exp.explainer.schema.encode(X))
    np.testing.assert_allclose(exp.output_values(1), theirs, atol=1e-9)
    np.testing.assert_allclose(exp.output_values("malignant" if 0 not in exp.output_names else 0), -theirs, atol=1e-9)


def test_binary_explanation_saves_one_output_and_loads_the_same(cancer, tmp_path):
    X, y, model = cancer
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y)
    path = exp.save(tmp_path / "cancer.npz")
    with np.load(path) as stored:
        assert stored["values"].shape == X.shape  # one output on disk too
    back = rw.load(path)
    assert back.mirrored
    np.testing.assert_array_equal(back.values, exp.values)
    pd.testing.assert_series_equal(back.global_importance(), exp.global_importance())


def test_given_mirrored_values_are_kept_once_and_others_as_given():
    n, f = 6, 2
    rng = np.random.default_rng(0)
    half = rng.normal(size=(n, f))
    logits = half.sum(axis=1)
    p1 = 1 / (1 + np.exp(-logits))
    common = dict(
        data=pd.DataFrame(rng.normal(size=(n, f)), columns=["a", "b"]),
        feature_names=["a", "b"],
        feature_kinds=["numeric", "numeric"],
        base_values=np.zeros(2),
        model_output=np.column_stack([-logits, logits]),
        output_names=[0, 1],
        task="classification",
        units="log-odds",
        y_pred=(p1 > 0.5).astype(int),
        probabilities=np.column_stack([1 - p1, p1]),
    )
    mirrored = rw.TabularExplanation(values=np.stack([-half, half], axis=2), **common)
    assert mirrored.mirrored and mirrored._values.shape == (n, f)
    two_dim = rw.TabularExplanation(values=half, **common)  # (n, f): class 1's
    np.testing.assert_array_equal(two_dim.values, mirrored.values)
    other = np.stack([-half * 0.5, half], axis=2)  # class 0 is not minus class 1: kept as given
    kept = rw.TabularExplanation(values=other, surrogate_output=other.sum(axis=1), **common)
    assert not kept.mirrored
    np.testing.assert_array_equal(kept.values, other)
    with pytest.raises(ValueError, match=r"values must be numbers of shape \(6, 2, 2\) \(or \(6, 2\): class 1's\)"):
        rw.TabularExplanation(values=half[:, :1], **common)


@pytest.mark.parametrize("dataset", ["cancer", "iris"])
def test_float32_values_are_the_float64_ones_rounded(dataset, request):
    X, y, model = request.getfixturevalue(dataset)
    ex = rw.MimicExplainer(model, X)
    exp64 = ex.explain(X, y_true=y)
    exp32 = ex.explain(X, y_true=y, dtype="float32")
    assert exp32._values.dtype == np.float32 and exp64._values.dtype == np.float64
    np.testing.assert_array_equal(exp32._values, exp64._values.astype(np.float32))
    # outputs stay float64, exact: the surrogate's own output, not a sum of rounded values
    np.testing.assert_array_equal(exp32.surrogate_output, exp64.surrogate_output)
    np.testing.assert_array_equal(exp32.model_output, exp64.model_output)
    assert exp32.fidelity == exp64.fidelity
    np.testing.assert_allclose(exp32.global_importance(), exp64.global_importance(), rtol=1e-6)


def test_float32_explanation_saves_and_loads_as_float32(cancer, tmp_path):
    X, y, model = cancer
    exp = rw.MimicExplainer(model, X).explain(X, dtype="float32")
    back = rw.load(exp.save(tmp_path / "f32.npz"))
    assert back._values.dtype == np.float32
    np.testing.assert_array_equal(back._values, exp._values)


@pytest.mark.parametrize("dtype", ["float16", "int64", "double precision"])
def test_unknown_dtype_is_refused_before_any_work(cancer, dtype):
    X, _, model = cancer
    counting = CountingModel(model)
    ex = rw.MimicExplainer(counting, X)
    calls = len(counting.calls)
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        ex.explain(X, dtype=dtype)
    assert len(counting.calls) == calls


@pytest.mark.parametrize("as_array", [False, True])
def test_results_do_not_depend_on_the_chunk_size(cancer, monkeypatch, as_array):
    X, y, model = cancer
    data = X.to_numpy() if as_array else X
    if as_array:  # a model that takes arrays, as the explainer then calls it with them
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(data, y)
    counting = CountingModel(model)
    ex = rw.MimicExplainer(counting, data, features=list(X.columns) if as_array else None)
    whole = ex.explain(data, y_true=y)
    monkeypatch.setattr(tabular_explainer, "CHUNK_ROWS", 100)
    counting.calls.clear()
    chunked = ex.explain(data, y_true=y)
    # the model is called on the rows as they were given (a frame's, an array's), a chunk at a time
    assert counting.calls == [(type(data), 100)] * 5 + [(type(data), len(X) - 500)]
    np.testing.assert_array_equal(chunked._values, whole._values)
    np.testing.assert_array_equal(chunked.surrogate_output, whole.surrogate_output)
    np.testing.assert_array_equal(chunked.model_output, whole.model_output)
    np.testing.assert_array_equal(chunked.y_pred, whole.y_pred)
    assert chunked.fidelity == whole.fidelity


def test_multiclass_keeps_every_output(iris):
    X, y, model = iris
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y)
    assert not exp.mirrored and exp._values.shape == (len(X), X.shape[1], 3)
    assert exp.values is exp._values  # nothing to build: the values are stored as they are
    np.testing.assert_allclose(exp.base_values + exp.values.sum(axis=1), exp.surrogate_output, atol=1e-9)
