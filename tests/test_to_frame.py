"""exp.to_frame() and exp.to_parquet(): the explanation's own arrays as a table, the way a user reads them.

Ground truth is the explanation itself: every value, output and label in a frame is checked against the
array it came from (exp.values, exp.model_output, exp.surrogate_output, exp.base_values, exp.y_true,
exp.tokens), the long form against the wide one by pivoting, and the Parquet file against to_frame().
"""

import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import rai_widget as rw

N, FEATURES = 150, ["age", "income", "region"]


def _data(seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, N).astype(float),
            "income": rng.normal(50, 10, N),
            "region": rng.integers(0, 3, N),
        },
        index=pd.Index([f"id-{i:03d}" for i in range(N)], name=None),
    )
    score = 0.05 * (X["age"] - 45) + 0.1 * (X["income"] - 50) + X["region"]
    return X, score.to_numpy(), rng


FAST = {"n_estimators": 60, "num_leaves": 15, "min_child_samples": 5}


@pytest.fixture(scope="module")
def regression():
    X, score, rng = _data(0)
    y = score + rng.normal(0, 0.1, N)
    model = LinearRegression().fit(X, y)
    return rw.MimicExplainer(model, X, surrogate_params=FAST).explain(X, y_true=y)


@pytest.fixture(scope="module")
def binary():
    X, score, _ = _data(1)
    y = np.where(score > np.median(score), "yes", "no")
    model = LogisticRegression(max_iter=500).fit(X, y)
    return rw.MimicExplainer(model, X, surrogate_params=FAST).explain(X, y_true=y)


@pytest.fixture(scope="module")
def multiclass():
    X, score, _ = _data(2)
    y = np.array(["low", "mid", "high"])[np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))]
    model = LogisticRegression(max_iter=1000).fit(X, y)
    return rw.MimicExplainer(model, X, surrogate_params=FAST).explain(X, y_true=y)


def _check_wide(exp, frame, outputs):
    """Every column of a wide frame against the array it came from; `outputs` the output indices it holds."""
    names = [str(exp.output_names[k]) for k in outputs]
    expected = ["y_true", "y_pred"]
    expected += [f"model_output[{o}]" for o in names]
    if exp.task == "classification":
        expected += [f"probability[{o}]" for o in names]
    expected += [f"surrogate_output[{o}]" for o in names] + [f"base_value[{o}]" for o in names]
    expected += [f"value[{f}][{o}]" for o in names for f in exp.feature_names]
    assert list(frame.columns) == expected
    assert frame.index.equals(exp.data.index) and frame.index.name == "row"
    np.testing.assert_array_equal(frame["y_true"].to_numpy(), exp.y_true)
    np.testing.assert_array_equal(frame["y_pred"].to_numpy(), exp.y_pred)
    for k, o in zip(outputs, names, strict=True):
        np.testing.assert_array_equal(frame[f"model_output[{o}]"], exp.model_output[:, k])
        np.testing.assert_array_equal(frame[f"surrogate_output[{o}]"], exp.surrogate_output[:, k])
        np.testing.assert_array_equal(frame[f"base_value[{o}]"], np.full(len(exp), exp.base_values[k]))
        if exp.task == "classification":
            np.testing.assert_array_equal(frame[f"probability[{o}]"], exp.probabilities[:, k])
        for j, f in enumerate(exp.feature_names):
            np.testing.assert_array_equal(frame[f"value[{f}][{o}]"], exp.values[:, j, k])
        # additivity holds in the table too: base + the row's values = the surrogate's output
        total = frame[f"base_value[{o}]"] + frame[[f"value[{f}][{o}]" for f in exp.feature_names]].sum(axis=1)
        np.testing.assert_allclose(total, frame[f"surrogate_output[{o}]"], rtol=1e-9, atol=1e-9)


def _check_long(exp, long, wide, outputs):
    """The long form: one row per (row, output, feature), the data's value beside the attribution, and
    pivoted it gives the wide form's value columns back."""
    names = [exp.output_names[k] for k in outputs]
    f = len(exp.feature_names)
    assert list(long.columns) == ["row", "output", "feature", "feature_value", "value"]
    assert len(long) == len(exp) * len(outputs) * f
    assert isinstance(long.index, pd.RangeIndex)
    rows = np.repeat(exp.data.index.to_numpy(), len(outputs) * f)
    np.testing.assert_array_equal(long["row"].to_numpy(), rows)
    np.testing.assert_array_equal(long["output"].to_numpy(), np.tile(np.repeat(names, f), len(exp)))
    np.testing.assert_array_equal(long["feature"].to_numpy(), np.tile(exp.feature_names, len(exp) * len(outputs)))
    expected_values = exp.values[:, :, outputs].transpose(0, 2, 1).ravel()
    np.testing.assert_array_equal(long["value"].to_numpy(), expected_values)
    data = exp.data.to_numpy()
    expected_data = np.broadcast_to(data[:, None, :], (len(exp), len(outputs), f)).ravel()
    np.testing.assert_array_equal(long["feature_value"].to_numpy(dtype=float), expected_data.astype(float))
    pivot = long.assign(output=long["output"].astype(str)).pivot(index="row", columns=["output", "feature"])["value"]
    pivot.columns = [f"value[{feat}][{o}]" for o, feat in pivot.columns]
    value_cols = [c for c in wide.columns if c.startswith("value[")]
    pd.testing.assert_frame_equal(pivot.loc[wide.index, value_cols], wide[value_cols], check_names=False)


# --- tabular: wide -------------------------------------------------------------------------------------------


def test_regression_wide_has_the_explanations_arrays_and_row_ids(regression):
    frame = regression.to_frame()
    _check_wide(regression, frame, [0])
    assert frame.index[0] == "id-000"  # the data's own row ids, not positions
    assert frame.attrs["units"] == regression.units


def test_binary_wide_is_the_positive_class_by_default(binary):
    assert binary.output_names == ["no", "yes"]
    _check_wide(binary, binary.to_frame(), [1])
    for output in (0, "no"):
        _check_wide(binary, binary.to_frame(output=output), [0])


def test_multiclass_wide_has_every_class_and_one_when_asked(multiclass):
    _check_wide(multiclass, multiclass.to_frame(), [0, 1, 2])
    k = multiclass.output_names.index("mid")
    pd.testing.assert_frame_equal(multiclass.to_frame(output="mid"), multiclass.to_frame(output=k))
    _check_wide(multiclass, multiclass.to_frame(output="mid"), [k])


def test_predicted_output_takes_each_rows_predicted_class(multiclass):
    frame = multiclass.to_frame(output="predicted")
    k = multiclass.predicted_index()
    rows = np.arange(len(multiclass))
    np.testing.assert_array_equal(frame["model_output[predicted]"], multiclass.model_output[rows, k])
    np.testing.assert_array_equal(frame["probability[predicted]"], multiclass.probabilities[rows, k])
    for j, f in enumerate(multiclass.feature_names):
        np.testing.assert_array_equal(frame[f"value[{f}][predicted]"], multiclass.values[rows, j, k])
    # the y_pred column names the class each row's values are for
    assert (frame["y_pred"].to_numpy() == np.asarray(multiclass.output_names)[k]).all()


def test_named_index_and_no_y_true():
    X, score, _ = _data(3)
    X.index = pd.Index(np.arange(100, 100 + N), name="customer")
    model = LinearRegression().fit(X, score)
    exp = rw.MimicExplainer(model, X, surrogate_params=FAST).explain(X)
    frame = exp.to_frame()
    assert frame.index.name == "customer" and list(frame.index) == list(range(100, 100 + N))
    assert "y_true" not in frame.columns and frame.columns[0] == "y_pred"
    long = exp.to_frame(long=True)
    assert long.columns[0] == "customer"
    np.testing.assert_array_equal(long["customer"], np.repeat(X.index, len(FEATURES)))


# --- tabular: long -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "output", "outputs"),
    [("regression", None, [0]), ("binary", None, [1]), ("binary", "no", [0]), ("multiclass", None, [0, 1, 2])],
)
def test_long_equals_the_arrays_and_pivots_to_the_wide_form(request, name, output, outputs):
    exp = request.getfixturevalue(name)
    _check_long(exp, exp.to_frame(output=output, long=True), exp.to_frame(output=output), outputs)


def test_long_keeps_category_and_text_feature_values():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(
        {
            "size": rng.normal(0, 1, N),
            "colour": pd.Categorical(rng.choice(["red", "blue"], N)),
            "owner": rng.random(N) < 0.5,
        }
    )
    y = X["size"] + (X["colour"] == "red") + X["owner"]
    model = lambda frame: (frame["size"] + (frame["colour"] == "red") + frame["owner"]).to_numpy()  # noqa: E731
    exp = rw.MimicExplainer(model, X, task="regression", surrogate_params=FAST).explain(X, y_true=y)
    long = exp.to_frame(long=True)
    for feature in X.columns:
        part = long[long["feature"] == feature]
        assert part["feature_value"].tolist() == X[feature].tolist()
        np.testing.assert_array_equal(part["value"], exp.values[:, exp.feature_names.index(feature), 0])


# --- tabular: errors -----------------------------------------------------------------------------------------


def test_unknown_output_lists_the_outputs(multiclass):
    with pytest.raises(ValueError, match=r"unknown output 'medium'.*'high', 'low', 'mid'"):
        multiclass.to_frame(output="medium")
    with pytest.raises(ValueError, match=r"output 7 is out of range.*'high'"):
        multiclass.to_frame(output=7)


def test_long_must_be_a_boolean(regression):
    with pytest.raises(TypeError, match=r"long must be True or False"):
        regression.to_frame(long="yes")


# --- Parquet -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["regression", "binary", "multiclass"])
def test_parquet_round_trip_equals_to_frame(request, tmp_path, name):
    exp = request.getfixturevalue(name)
    path = tmp_path / "attributions.parquet"
    assert exp.to_parquet(path) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attributions.parquet"]  # nothing else written
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, exp.to_frame(), check_exact=True)
    assert back.index.name == "row" and back.index[0] == "id-000"
    assert back.attrs == {"units": exp.units, "task": exp.task}


def test_parquet_of_one_output_and_a_range_index(tmp_path, multiclass):
    path = multiclass.to_parquet(str(tmp_path / "mid.parquet"), output="mid")
    pd.testing.assert_frame_equal(pd.read_parquet(path), multiclass.to_frame(output="mid"), check_exact=True)
    X, score, _ = _data(5)
    X = X.reset_index(drop=True)
    exp = rw.MimicExplainer(LinearRegression().fit(X, score), X, surrogate_params=FAST).explain(X)
    back = pd.read_parquet(exp.to_parquet(tmp_path / "range.parquet"))
    pd.testing.assert_frame_equal(back, exp.to_frame(), check_exact=True)
    assert isinstance(back.index, pd.RangeIndex)


def test_parquet_path_errors(tmp_path, regression):
    with pytest.raises(IsADirectoryError, match=r"is a folder; give the file's name, e\.g\. .*attributions\.parquet"):
        regression.to_parquet(tmp_path)
    missing = tmp_path / "no such folder" / "a.parquet"
    with pytest.raises(FileNotFoundError, match=r"the folder .*no such folder.* does not exist; create it first"):
        regression.to_parquet(missing)
    with pytest.raises(TypeError, match=r"needs a file path"):
        regression.to_parquet(3)
    assert list(tmp_path.iterdir()) == []


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, regression, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    with pytest.raises(ImportError, match=r'pip install "rai-widget\[parquet\]"'):
        regression.to_parquet(tmp_path / "a.parquet")
    assert list(tmp_path.iterdir()) == []


# --- text ----------------------------------------------------------------------------------------------------


def bag_of_words(texts):
    """Only "excellent" moves class 1: p1 = sigmoid(3 * count - 1)."""
    counts = np.array([t.lower().split().count("excellent") for t in texts], dtype=float)
    p = 1 / (1 + np.exp(-(3 * counts - 1)))
    return np.column_stack([1 - p, p])


TEXTS = ["an excellent film", "dull and slow", "excellent acting , excellent plot"]


@pytest.fixture(scope="module")
def text():
    return rw.TextExplainer(bag_of_words, classes=["neg", "pos"]).explain(TEXTS, y_true=["pos", "neg", "pos"])


def test_text_long_rows_are_the_tokens_and_their_values(text):
    long = text.to_frame()
    assert list(long.columns) == [
        "row",
        "output",
        "position",
        "token",
        "start",
        "end",
        "value",
        "model_output",
        "base_value",
    ]
    k = len(text.output_names)
    assert len(long) == sum(len(t) for t in text.tokens) * k
    for i, tokens in enumerate(text.tokens):
        for c, name in enumerate(text.output_names):
            part = long[(long["row"] == i) & (long["output"] == name)]
            assert part["token"].tolist() == tokens
            assert part["position"].tolist() == list(range(len(tokens)))
            np.testing.assert_array_equal(part["value"], text.values[i][:, c])
            np.testing.assert_array_equal(part[["start", "end"]].to_numpy(), text.offsets[i])
            assert (part["model_output"] == text.model_output[i, c]).all()
            assert (part["base_value"] == text.base_values[i, c]).all()
            np.testing.assert_allclose(part["value"].sum() + text.base_values[i, c], text.model_output[i, c])
    one = text.to_frame(output="pos")
    assert set(one["output"]) == {"pos"}
    np.testing.assert_array_equal(one["value"], np.concatenate([v[:, 1] for v in text.values]))
    predicted = text.to_frame(output="predicted")
    ks = text.predicted_index()
    np.testing.assert_array_equal(
        predicted["value"], np.concatenate([v[:, c] for v, c in zip(text.values, ks, strict=True)])
    )


def test_text_wide_is_one_row_per_text(text):
    wide = text.to_frame(long=False)
    assert wide["text"].tolist() == TEXTS
    assert wide["tokens"].tolist() == [len(t) for t in text.tokens]
    assert wide["y_true"].tolist() == ["pos", "neg", "pos"]
    np.testing.assert_array_equal(wide["y_pred"], text.y_pred)
    for c, name in enumerate(text.output_names):
        np.testing.assert_array_equal(wide[f"model_output[{name}]"], text.model_output[:, c])
        np.testing.assert_array_equal(wide[f"base_value[{name}]"], text.base_values[:, c])
        np.testing.assert_array_equal(wide[f"probability[{name}]"], text.probabilities[:, c])


def test_text_multilabel_has_labels_per_output(tmp_path):
    y = np.array([[True, False], [False, True], [True, True]])
    exp = rw.TextExplainer(bag_of_words, classes=["a", "b"], multilabel=True).explain(TEXTS, y_true=y)
    wide = exp.to_frame(long=False)
    for c, name in enumerate(exp.output_names):
        np.testing.assert_array_equal(wide[f"y_true[{name}]"], y[:, c])
        np.testing.assert_array_equal(wide[f"y_pred[{name}]"], exp.y_pred[:, c])
        np.testing.assert_array_equal(wide[f"model_output[{name}]"], exp.model_output[:, c])
    path = exp.to_parquet(tmp_path / "multilabel.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), exp.to_frame(), check_exact=True)


def test_text_parquet_round_trip_and_errors(tmp_path, text):
    path = text.to_parquet(tmp_path / "tokens.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), text.to_frame(), check_exact=True)
    with pytest.raises(ValueError, match=r"unknown output 'neutral'.*'neg', 'pos'"):
        text.to_frame(output="neutral")


# --- image and detection: no table of their own --------------------------------------------------------------


def test_image_to_frame_says_what_to_use_instead(tmp_path):
    exp = rw.ImageExplanation(
        images=np.zeros((2, 4, 4, 3), dtype=np.uint8),
        attributions=np.zeros((2, 4, 4)),
        targets=np.array([0, 1]),
        method="integrated_gradients",
        params={},
        output_names=["a", "b"],
        task="classification",
        units="logit",
        model_output=np.zeros((2, 2)),
        y_pred=np.array(["a", "a"]),
    )
    with pytest.raises(TypeError, match=r"ImageExplanation has no to_frame\(\).*to_shap\(\)"):
        exp.to_frame()
    with pytest.raises(TypeError, match=r"ImageExplanation has no to_frame\(\)"):
        exp.to_parquet(tmp_path / "never-written.parquet")
    assert list(tmp_path.iterdir()) == []


def test_detection_to_frame_says_what_to_use_instead(tmp_path):
    exp = rw.DetectionExplanation(
        images=np.zeros((1, 8, 8, 3), dtype=np.uint8),
        detections=[[{"box": [1, 1, 5, 5], "label": "cat", "score": 0.9}]],
        saliency=[np.zeros((1, 8, 8), np.float32)],
        output_names=["cat"],
        model_output=np.full((1, 1), 0.9),
    )
    with pytest.raises(TypeError, match=r"DetectionExplanation has no to_frame\(\).*to_shap\(\).*exp\.detections"):
        exp.to_frame(long=True)
    with pytest.raises(TypeError, match=r"DetectionExplanation has no to_frame\(\)"):
        exp.to_parquet(tmp_path / "d.parquet")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "index",
    [
        pd.Index([f"id-{i:03d}" for i in range(N)], name="loan"),
        pd.Index(np.arange(N) * 7 + 1000, name="customer"),
        pd.Index(np.arange(N) / 4),
        pd.DatetimeIndex(pd.date_range("2026-01-01", periods=N, freq="h").to_numpy(), name="when"),
    ],
    ids=["str", "int", "float", "datetime"],
)
def test_saved_and_loaded_row_ids_are_the_datas(tmp_path, regression, index):
    exp = regression
    original = exp.data.index
    exp.data.index = index
    try:
        back = rw.load(exp.save(tmp_path / "ids.npz"))
        pd.testing.assert_index_equal(back.data.index, index, check_exact=True)
        pd.testing.assert_frame_equal(back.to_frame(), exp.to_frame())  # the table joins back to the user's
    finally:
        exp.data.index = original


def test_row_ids_a_file_cannot_keep_load_as_positions(tmp_path, regression):
    exp = regression
    original = exp.data.index
    exp.data.index = pd.MultiIndex.from_arrays([np.arange(N) % 3, np.arange(N)], names=["branch", "n"])
    try:
        back = rw.load(exp.save(tmp_path / "multi.npz"))
        pd.testing.assert_index_equal(back.data.index, pd.RangeIndex(N))
    finally:
        exp.data.index = original


def test_out_writes_the_attributions_as_parquet(tmp_path):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y, out=tmp_path / "attributions.parquet")
    back = pd.read_parquet(tmp_path / "attributions.parquet")
    pd.testing.assert_frame_equal(back, exp.to_frame(), check_index_type=False)


def test_a_bad_out_path_is_refused_before_any_work(tmp_path):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    calls = []
    plain = model.predict_proba
    model.predict_proba = lambda rows: calls.append(len(rows)) or plain(rows)
    explainer = rw.MimicExplainer(model, X)
    assert calls, "the probe must see the model's calls"
    calls.clear()
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        explainer.explain(X, out=tmp_path / "missing" / "attributions.parquet")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        explainer.explain(X, out=tmp_path)
    assert calls == []  # the model was never asked: the user learns of the typo at once, not after the work
