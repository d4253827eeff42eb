"""rw.from_shap: every shap explainer's Explanation becomes our explanation, checked against shap's own numbers."""

import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import shap
import torch
from payload_cases import CASES
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from wire_columns import floats

import rai_widget as rw
from rai_widget._payload._wire import wire_to_array


@pytest.fixture(scope="module")
def multiclass():
    X, y = make_classification(120, 5, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    X = pd.DataFrame(X, columns=["age", "income", "debt", "tenure", "score"])
    return X, np.array(["low", "mid", "high"])[y]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# --- TreeExplainer ------------------------------------------------------------------------------------------------
def test_tree_regression_values_base_names_and_importances():
    X, y = make_regression(100, 4, random_state=0)
    X = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = lgb.LGBMRegressor(n_estimators=20, verbose=-1).fit(X, y)
    sv = shap.TreeExplainer(model)(X.iloc[:30])
    exp = rw.from_shap(sv, y_true=y[:30])
    assert isinstance(exp, rw.TabularExplanation)
    assert exp.task == "regression" and exp.units == "output" and exp.output_names == ["output"]
    assert exp.feature_names == ["a", "b", "c", "d"]
    assert np.array_equal(exp.values[:, :, 0], sv.values)  # to the bit
    assert exp.base_values[0] == sv.base_values[0]
    np.testing.assert_allclose(exp.y_pred, model.predict(X.iloc[:30]), rtol=1e-6)  # base + sum = the model
    np.testing.assert_array_equal(exp.y_true, y[:30])
    np.testing.assert_array_equal(exp.data.to_numpy(), X.iloc[:30].to_numpy())
    by_hand = np.abs(sv.values).mean(axis=0)
    imp = exp.global_importance()
    np.testing.assert_allclose(imp[["a", "b", "c", "d"]].to_numpy(), by_hand, rtol=1e-12)
    local = exp.local_importance(3)
    np.testing.assert_array_equal(local[["a", "b", "c", "d"]].to_numpy(), sv.values[3])
    assert list(local.index) == [["a", "b", "c", "d"][j] for j in np.argsort(-np.abs(sv.values[3]), kind="stable")]


def test_tree_binary_lightgbm_one_log_odds_output_becomes_two_mirrored_classes():
    X, y = make_classification(150, 4, random_state=1)
    model = lgb.LGBMClassifier(n_estimators=15, verbose=-1).fit(X, y)
    sv = shap.TreeExplainer(model)(X[:40])
    assert sv.values.shape == (40, 4)  # shap gives the positive class's log-odds only
    exp = rw.from_shap(sv, y_true=y[:40])
    assert exp.task == "classification" and exp.units == "log-odds" and exp.output_names == [0, 1]
    assert exp.feature_names == ["Feature 0", "Feature 1", "Feature 2", "Feature 3"]  # shap's default names
    assert np.array_equal(exp.values[:, :, 1], sv.values) and np.array_equal(exp.values[:, :, 0], -sv.values)
    assert exp.base_values.tolist() == [-sv.base_values[0], sv.base_values[0]]
    np.testing.assert_allclose(exp.probabilities, model.predict_proba(X[:40]), atol=1e-9)
    np.testing.assert_array_equal(exp.y_pred, model.predict(X[:40]))
    imp = exp.global_importance(output=1)
    np.testing.assert_allclose(imp[exp.feature_names].to_numpy(), np.abs(sv.values).mean(axis=0), rtol=1e-12)


def test_tree_multiclass_carries_classes_and_per_class_base_values(multiclass):
    X, y = multiclass
    model = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(X, y)
    explainer = shap.TreeExplainer(model)
    sv = explainer(X.iloc[:25])
    exp = rw.from_shap(sv, y_true=y[:25], output_names=list(model.classes_))
    assert exp.output_names == list(model.classes_) and exp.units == "log-odds"
    assert np.array_equal(exp.values, sv.values)
    np.testing.assert_array_equal(exp.base_values, explainer.expected_value)  # one per class
    np.testing.assert_allclose(exp.probabilities, model.predict_proba(X.iloc[:25]), atol=1e-9)  # softmax of margins
    np.testing.assert_array_equal(exp.y_pred, model.predict(X.iloc[:25]))
    for k in range(3):
        imp = exp.global_importance(output=model.classes_[k])
        np.testing.assert_allclose(imp[exp.feature_names].to_numpy(), np.abs(sv.values[:, :, k]).mean(0), rtol=1e-12)
    # without output_names, string labels that shap's "Output i" do not name are refused with the fix
    with pytest.raises(
        ValueError,
        match=r"labels \['.*'\] that are not among the output names \['Output 0', 'Output 1', 'Output 2'\]: "
        r"shap named the outputs itself: pass output_names=",
    ):
        rw.from_shap(sv, y_true=y[:25])


def test_tree_random_forest_probabilities_are_probability_units(multiclass):
    X, y = multiclass
    model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
    sv = shap.TreeExplainer(model)(X.iloc[:20])
    exp = rw.from_shap(sv, output_names=list(model.classes_), model_output=model.predict_proba(X.iloc[:20]))
    assert exp.units == "probability"
    np.testing.assert_allclose(exp.probabilities, model.predict_proba(X.iloc[:20]), atol=1e-12)
    assert np.array_equal(exp.values, sv.values)


# --- Permutation and Kernel ---------------------------------------------------------------------------------------
def test_permutation_additivity_checked_against_the_model(multiclass):
    X, y = multiclass
    model = LogisticRegression(max_iter=500).fit(X, y)
    sv = shap.explainers.Permutation(model.predict_proba, X.iloc[:10])(X.iloc[:8], max_evals=2 * 5 + 1, silent=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exp = rw.from_shap(sv, y_true=y[:8], output_names=list(model.classes_), model_output=model.predict_proba(X[:8]))
    assert exp.units == "probability" and exp.feature_names == list(X.columns)
    assert np.array_equal(exp.values, sv.values)
    np.testing.assert_array_equal(exp.base_values, sv.base_values[0])
    # outputs of another order (the classes shuffled) do not add up: a warning says by how much
    wrong = model.predict_proba(X[:8])[:, [2, 0, 1]]
    with pytest.warns(rw.AdditivityWarning, match=r"do not add up to model_output on \d+ of 8 rows \(row \d+"):
        off = rw.from_shap(sv, output_names=list(model.classes_), model_output=wrong)
    assert off.source == "shap" and off.fidelity["r2"] < 0.9  # base + values vs model_output say it too
    assert exp.fidelity["r2"] > 0.999


def test_kernel_explainer_call_returns_an_explanation_in_shap_0_51(multiclass):
    X, y = multiclass
    model = LogisticRegression(max_iter=500).fit(X, y)
    ke = shap.KernelExplainer(model.predict_proba, X.iloc[:10])
    sv = ke(X.iloc[:3], silent=True)  # shap 0.51: an Explanation (n, f, k); older shap returned a list
    assert isinstance(sv, shap.Explanation) and sv.values.shape == (3, 5, 3)
    exp = rw.from_shap(sv, output_names=list(model.classes_), model_output=model.predict_proba(X.iloc[:3]))
    assert np.array_equal(exp.values, sv.values)
    np.testing.assert_array_equal(exp.base_values, ke.expected_value)
    assert exp.feature_names == list(X.columns)
    np.testing.assert_allclose(exp.probabilities, model.predict_proba(X.iloc[:3]), atol=1e-9)
    legacy = ke.shap_values(X.iloc[:3], silent=True)
    with pytest.raises(TypeError, match=r"not the arrays of explainer.shap_values\(X\).*shap.Explanation\(values"):
        rw.from_shap(legacy)


# --- DeepExplainer (torch) ----------------------------------------------------------------------------------------
def test_deep_explainer_tabular_needs_the_base_values_shap_leaves_out():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).eval()
    X = torch.randn(30, 4)
    de = shap.DeepExplainer(model, X[:10])
    sv = de(X[10:20])
    with pytest.raises(ValueError, match=r"no base values.*base_values=explainer.expected_value"):
        rw.from_shap(sv)
    with torch.no_grad():
        logits = model(X[10:20]).numpy().astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # additive within the stated tolerance on a float32 model
        exp = rw.from_shap(sv, base_values=de.expected_value, model_output=logits)
    assert (
        exp.task == "classification"
        and exp.units == "log-odds"
        and exp.output_names
        == [
            "Output 0",
            "Output 1",
            "Output 2",
        ]
    )
    assert np.array_equal(exp.values, sv.values.astype(np.float64))
    np.testing.assert_array_equal(exp.data.to_numpy(), X[10:20].numpy())
    np.testing.assert_array_equal(exp.y_pred, np.array(exp.output_names)[logits.argmax(1)])


def test_deep_explainer_cnn_channels_first_images():
    torch.manual_seed(0)
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(4, 3),
    ).eval()
    images = torch.rand(6, 3, 8, 8)
    de = shap.DeepExplainer(cnn, images[:3])
    sv = de(images[3:])
    assert sv.values.shape == (3, 3, 8, 8, 3)  # (n, C, H, W, k)
    with pytest.raises(ValueError, match=r"without base values.*base_values=explainer.expected_value"):
        rw.from_shap(sv)
    exp = rw.from_shap(sv, base_values=de.expected_value, output_names=["cat", "dog", "fox"])
    assert isinstance(exp, rw.ImageExplanation) and exp.units == "logit" and exp.method == "shap"
    maps = np.moveaxis(sv.values.sum(axis=1), -1, 1)  # summed over the channels, one map per class
    np.testing.assert_allclose(exp.attributions, maps, rtol=1e-12)
    assert exp.targets.tolist() == [[0, 1, 2]] * 3
    pixels = np.moveaxis(images[3:].numpy(), 1, 3)
    np.testing.assert_array_equal(exp.images, np.round(pixels * 255).astype(np.uint8))
    with torch.no_grad():
        np.testing.assert_allclose(exp.model_output, cnn(images[3:]).numpy(), atol=1e-5)
    back = rw.from_shap(exp.to_shap())  # several maps per image: targets and outputs survive the round trip
    assert np.array_equal(back.attributions, exp.attributions) and back.targets.tolist() == exp.targets.tolist()
    np.testing.assert_array_equal(back.model_output, exp.model_output)
    dash = back.show()
    assert dash.kind == "image" and dash.meta["output_names"] == ["cat", "dog", "fox"]


# --- Partition: text and images -----------------------------------------------------------------------------------
WORDS = {"good": [2.0, -1, 0], "bad": [-2.0, 1.5, 0], "fine": [0, 0, 1.5], "awful": [-3.0, 2, 0.5]}


def _text_classifier(texts):
    scores = np.array(
        [sum((np.array(WORDS.get(w.strip(".,!"), [0.0, 0, 0])) for w in t.lower().split()), np.zeros(3)) for t in texts]
    )
    z = np.exp(scores - scores.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def test_partition_text_multiclass_tokens_and_values_per_class():
    texts = ["A good film, not bad!", "fine  fine film", "awful, truly awful"]
    explainer = shap.Explainer(_text_classifier, shap.maskers.Text(r"\W+"), output_names=["pos", "neg", "meh"])
    sv = explainer(texts, silent=True)
    exp = rw.from_shap(sv, y_true=["pos", "meh", "neg"])
    assert isinstance(exp, rw.TextExplanation)
    assert exp.output_names == ["pos", "neg", "meh"] and exp.units == "probability"
    # shap's tokens keep their whitespace: joined, they are the text (its Text masker drops a final "!")
    assert exp.texts == ["".join(d) for d in sv.data] and exp.texts[0] == "A good film, not bad"
    assert exp.tokens == [list(f) for f in sv.feature_names]  # the words as shap names them
    given = rw.from_shap(sv, texts=texts)
    assert given.texts == texts and given.tokens == exp.tokens
    for i in range(3):
        assert np.array_equal(exp.values[i], sv.values[i])
        np.testing.assert_array_equal(exp.base_values[i], sv.base_values[i])
        for e in (exp, given):
            for (a, b), tok in zip(e.offsets[i].tolist(), e.tokens[i], strict=True):
                assert e.texts[i][a:b] == tok
    np.testing.assert_allclose(exp.probabilities, _text_classifier(texts), atol=1e-12)
    assert exp.y_pred.tolist() == list(np.array(exp.output_names)[_text_classifier(texts).argmax(1)])
    back = rw.from_shap(exp.to_shap())
    assert back.texts == exp.texts and back.tokens == exp.tokens and back.output_names == exp.output_names
    assert all(np.array_equal(a, b) for a, b in zip(back.values, exp.values, strict=True))
    dash = exp.show()
    assert dash.kind == "text" and dash.meta["texts"] == exp.texts
    np.testing.assert_allclose(wire_to_array(dash.arrays["values"]), np.concatenate(sv.values), rtol=1e-6, atol=1e-7)
    table = exp.global_importance(output="neg")
    awful = [sv.values[2][j, 1] for j, t in enumerate(sv.feature_names[2]) if t.strip(",") == "awful"]
    assert table.loc[table["token"] == "awful,", "mean"].item() == sv.values[2][0, 1]
    assert table.loc[table["token"] == "awful", "mean"].item() == awful[-1]


def _image_model(x):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(8 * 8 * 3, 4))
    z = np.asarray(x, dtype=np.float64).reshape(len(x), -1) / 255 @ w
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def photos():
    return np.random.default_rng(1).integers(0, 256, size=(3, 8, 8, 3)).astype(np.float64)


def test_partition_image_maps_equal_shaps(photos):
    # shap's "blur(8,8)" masker needs OpenCV, which is not a dependency: a constant mask value masks the same way
    explainer = shap.Explainer(_image_model, shap.maskers.Image(128.0, photos[0].shape), output_names=list("abcd"))
    sv = explainer(photos, max_evals=200, batch_size=100, silent=True)
    exp = rw.from_shap(sv, y_true=["a", "b", "a"])
    assert isinstance(exp, rw.ImageExplanation)
    assert exp.output_names == list("abcd") and exp.units == "probability" and exp.task == "classification"
    np.testing.assert_array_equal(exp.attributions, np.moveaxis(sv.values.sum(axis=3), -1, 1))
    np.testing.assert_array_equal(exp.images, photos.astype(np.uint8))
    np.testing.assert_allclose(exp.model_output, _image_model(photos), atol=1e-12)  # base + the map's sum
    assert exp.y_pred.tolist() == list(np.array(list("abcd"))[_image_model(photos).argmax(1)])


def test_partition_image_top_outputs_per_image_need_the_models_scores(photos):
    explainer = shap.Explainer(_image_model, shap.maskers.Image(128.0, photos[0].shape), output_names=list("abcd"))
    sv = explainer(photos, max_evals=100, batch_size=100, outputs=shap.Explanation.argsort.flip[:2], silent=True)
    with pytest.raises(ValueError, match=r"selection of outputs per image.*pass model_output=f\(images\)"):
        rw.from_shap(sv)
    scores = _image_model(photos)
    exp = rw.from_shap(sv, model_output=scores, output_names=list("abcd"))
    assert exp.targets.tolist() == np.argsort(-scores, axis=1)[:, :2].tolist()
    np.testing.assert_array_equal(exp.attributions, np.moveaxis(sv.values.sum(axis=3), -1, 1))


# --- round trips --------------------------------------------------------------------------------------------------
def _same_shap(a, b):
    assert type(a.values) is type(b.values)
    if a.values.dtype == object:
        assert all(np.array_equal(x, y) for x, y in zip(a.values, b.values, strict=True))
        assert all(list(x) == list(y) for x, y in zip(a.data, b.data, strict=True))
    else:
        assert np.array_equal(a.values, b.values) and np.array_equal(a.data, b.data, equal_nan=a.data.dtype.kind == "f")
    assert (a.base_values is None) == (b.base_values is None)
    if a.base_values is not None:
        assert np.array_equal(a.base_values, b.base_values)
    assert a.feature_names == b.feature_names
    assert list(a.output_names) == list(b.output_names)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name.split("_")[0] in ("tabular", "text", "image")], ids=lambda c: c.name
)
def test_round_trip_is_lossless(case):
    exp = case.build()
    shap_exp = exp.to_shap()
    back = rw.from_shap(shap_exp)
    assert type(back) is type(exp) and back.output_names == exp.output_names
    assert back.task == exp.task and back.units == exp.units
    np.testing.assert_array_equal(back.model_output, exp.model_output)
    np.testing.assert_array_equal(np.asarray(back.y_pred), np.asarray(exp.y_pred))
    if exp.y_true is not None:
        np.testing.assert_array_equal(np.asarray(back.y_true), np.asarray(exp.y_true))
    if exp.kind == "tabular":
        assert np.array_equal(back.values, exp.values) and np.array_equal(back.base_values, exp.base_values)
        assert back.feature_names == exp.feature_names and back.feature_kinds == exp.feature_kinds
        pd.testing.assert_frame_equal(back.data, exp.data)
        assert back.fidelity == exp.fidelity
    elif exp.kind == "text":
        assert back.texts == exp.texts and back.tokens == exp.tokens
        assert all(np.array_equal(a, b) for a, b in zip(back.values, exp.values, strict=True))
        assert np.array_equal(back.base_values, exp.base_values)
    else:
        assert np.array_equal(back.attributions, exp.attributions) and np.array_equal(back.images, exp.images)
        np.testing.assert_array_equal(back.targets, exp.targets)
    _same_shap(back.to_shap(), shap_exp)
    if exp.kind == "tabular":
        assert back.data is not exp.data  # the new explanation owns its data


def test_round_trip_from_shap_side_without_the_carried_fields(multiclass):
    """A shap.Explanation made fresh (a slice drops what to_shap attached): what shap carries survives."""
    X, y = multiclass
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    sv = shap.TreeExplainer(model)(X.iloc[:10])
    exp = rw.from_shap(sv, output_names=list(model.classes_))
    again = rw.from_shap(exp.to_shap()[:10])  # sliced: the attached dict is gone
    assert np.array_equal(again.values, exp.values) and np.array_equal(again.base_values, exp.base_values)
    assert again.output_names == exp.output_names and again.feature_names == exp.feature_names
    _same_shap(again.to_shap(), exp.to_shap())


# --- shapes it cannot take ----------------------------------------------------------------------------------------
def _tab(values, base=0.0, data=None, **kw):
    n, k = len(values), (np.shape(values)[2:] or (0,))[0]
    return shap.Explanation(
        values=values,
        base_values=np.full((n, k) if k else n, base),
        data=data if data is not None else np.zeros(np.shape(values)[:2]),
        **kw,
    )


def test_errors_say_what_is_wrong_and_the_fix():
    with pytest.raises(ValueError, match=r"shape \(4,\), one row.*shap_values\[0:1\]"):
        rw.from_shap(shap.Explanation(values=np.zeros(4), base_values=0.0, data=np.zeros(4)))
    inter = shap.Explanation(values=np.zeros((5, 3, 3)), base_values=np.zeros(5), data=np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"shape \(5, 3, 3\): SHAP interaction values.*values.sum\(axis=2\)"):
        rw.from_shap(inter)
    with pytest.raises(ValueError, match=r"explain 5 rows but the data holds 4: pass the rows"):
        rw.from_shap(_tab(np.zeros((5, 3))), data=np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"3 features but the data has 2 columns"):
        rw.from_shap(_tab(np.zeros((5, 3))), data=np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"feature_names has 2 names for 3 features"):
        rw.from_shap(_tab(np.zeros((5, 3))), feature_names=["a", "b"])
    with pytest.raises(ValueError, match=r"names \['a'\] more than once"):
        rw.from_shap(_tab(np.zeros((5, 3))), feature_names=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"base values differ between rows.*one background"):
        rw.from_shap(
            shap.Explanation(values=np.zeros((3, 2)), base_values=np.array([0.0, 1, 2]), data=np.zeros((3, 2)))
        )
    with pytest.raises(ValueError, match=r"regression explanation has one output, but these values explain 2"):
        rw.from_shap(_tab(np.zeros((3, 2, 2)), output_names=["x", "y"]), task="regression")
    with pytest.raises(ValueError, match=r"lie in \[0, 1\] but do not sum to 1.*task='multilabel'"):
        rw.from_shap(
            shap.Explanation(
                values=np.zeros((3, 2, 2)) + 0.1,
                base_values=np.zeros((3, 2)),
                data=np.zeros((3, 2)),
                output_names=["x", "y"],
            )
        )
    with pytest.raises(TypeError, match=r"takes a shap.Explanation \(what explainer\(X\) returns\)"):
        rw.from_shap({"values": 1})
    with pytest.raises(ValueError, match=r"holds no data.*pass data=X_explained"):
        rw.from_shap(shap.Explanation(values=np.zeros((3, 2)), base_values=np.zeros(3)))
    images = np.zeros((2, 8, 8, 3))
    with pytest.raises(
        ValueError, match=r"image values of shape \(2, 8, 7, 3\) do not match images of shape \(2, 8, 8, 3\)"
    ):
        rw.from_shap(shap.Explanation(values=np.zeros((2, 8, 7, 3)), base_values=np.zeros(2), data=images))
    with pytest.raises(ValueError, match=r"text 1 has 2 tokens but 3 values"):
        vals = np.empty(2, dtype=object)
        vals[:] = [np.zeros(1), np.zeros(3)]
        toks = (np.array(["a"], dtype=object), np.array(["b ", "c"], dtype=object))
        rw.from_shap(shap.Explanation(values=vals, base_values=np.zeros(2), data=toks))
    with pytest.raises(ValueError, match=r"shape \(5, 3, 3, 2\): SHAP interaction values"):
        rw.from_shap(_tab(np.zeros((5, 3, 3, 2)), output_names=["a", "b"]))
    with pytest.raises(ValueError, match=r"base values have shape \(4,\), which fits neither 5 rows nor 1 output:"):
        rw.from_shap(shap.Explanation(values=np.zeros((5, 3)), base_values=np.zeros(4), data=np.zeros((5, 3))))
    with pytest.raises(ValueError, match=r"neither its last nor its second axis holds 1, 3 or 4 colour channels"):
        rw.from_shap(
            shap.Explanation(values=np.zeros((2, 5, 6, 7)), base_values=np.zeros(2), data=np.zeros((2, 5, 6, 7)))
        )
    with pytest.raises(ValueError, match=r"a text explanation needs each row's tokens as its data"):
        rw.from_shap(_tab(np.zeros((3, 2))), kind="text")
    with pytest.raises(ValueError, match=r"kind is 'audio'; from_shap makes one of tabular, text, image"):
        rw.from_shap(_tab(np.zeros((3, 2))), kind="audio")
    with pytest.raises(ValueError, match=r"output_names has 3 names but the values explain two classes"):
        rw.from_shap(_tab(np.zeros((4, 2))), task="classification", output_names=["a", "b", "c"])


def test_missing_feature_names_default_to_shaps():
    exp = rw.from_shap(_tab(np.ones((4, 3)) * [[1, 2, 3]], base=0.5))
    assert exp.feature_names == ["Feature 0", "Feature 1", "Feature 2"] and exp.task == "regression"
    assert rw.from_shap(_tab(np.ones((4, 3))), feature_names=["x", "y", "z"]).feature_names == ["x", "y", "z"]


def test_kind_override_and_text_guess_for_one_length():
    sv = shap.Explanation(
        values=np.ones((2, 2)),
        base_values=np.zeros(2),
        data=(np.array(["hi ", "there"], dtype=object), np.array(["so ", "so"], dtype=object)),
    )
    assert isinstance(rw.from_shap(sv), rw.TextExplanation)  # same length rows: still text, by its strings


# --- the dashboard --------------------------------------------------------------------------------------------------
def test_dashboard_payload_holds_shaps_values(multiclass):
    X, y = multiclass
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    sv = shap.TreeExplainer(model)(X.iloc[:15])
    dash = rw.from_shap(sv, y_true=y[:15], output_names=list(model.classes_)).show()
    assert isinstance(dash, rw.ExplanationDashboard) and dash.kind == "tabular"
    assert dash.meta["output_names"] == list(model.classes_) and dash.meta["feature_names"] == list(X.columns)
    np.testing.assert_allclose(wire_to_array(dash.arrays["values"]), sv.values, rtol=1e-6, atol=1e-7)
    from wire_columns import columns

    np.testing.assert_allclose(floats(columns(dash.arrays)["age"]), X["age"].iloc[:15], rtol=1e-6)


def test_one_output_sliced_from_several_keeps_its_name():
    sv = shap.Explanation(
        values=np.ones((3, 2, 3)), base_values=np.zeros((3, 3)), data=np.zeros((3, 2)), output_names=["a", "b", "c"]
    )
    one = rw.from_shap(sv[:, :, 1])
    assert one.task == "regression" and one.output_names == ["b"]
    np.testing.assert_array_equal(one.values[:, :, 0], np.ones((3, 2)))
    binary = rw.from_shap(sv[:, :, 1], y_true=[0, 1, 1])  # 0 / 1 labels: the positive class of a binary classifier
    assert binary.task == "classification" and binary.output_names == [0, 1]


def test_converted_explanations_save_and_load(tmp_path, photos):
    data = np.array([[25, "Oslo", True], [40, "Lima", False], [33, "Oslo", True]], dtype=object)
    tab = rw.from_shap(
        shap.Explanation(
            values=np.arange(9.0).reshape(3, 3),
            base_values=np.zeros(3),
            data=data,
            feature_names=["age", "city", "own"],
        )
    )  # shap keeps a DataFrame of mixed columns as an object array: numbers, categories and booleans again
    assert tab.feature_kinds == ["numeric", "category", "bool"]
    toks = (np.array(["good ", "film"], dtype=object), np.array(["bad"], dtype=object))
    vals = np.empty(2, dtype=object)
    vals[:] = [np.array([1.0, 0.2]), np.array([-1.5])]
    text = rw.from_shap(shap.Explanation(values=vals, base_values=np.zeros(2), data=toks), y_true=["pos", "neg"])
    assert text.output_names == ["neg", "pos"] and text.y_pred.tolist() == ["pos", "neg"]  # one output: the second
    image = rw.from_shap(
        shap.Explanation(values=np.ones((3, 8, 8, 3, 2)) / 768, base_values=np.full((3, 2), 0.25), data=photos)
    )
    for exp in (tab, text, image):
        back = rw.load(exp.save(tmp_path / exp.kind))
        assert type(back) is type(exp) and back.output_names == exp.output_names
        np.testing.assert_array_equal(back.model_output, exp.model_output)


def test_normalised_pixels_are_stretched_for_display_unless_images_are_given(photos):
    normalised = (photos - 128) / 64  # as a model's preprocessing leaves them
    sv = shap.Explanation(values=np.zeros((3, 8, 8, 3, 2)), base_values=np.full((3, 2), 0.5), data=normalised)
    with pytest.warns(rw.RaiWidgetWarning, match=r"range from -1.98 to 1.98.*pass images= with the originals"):
        stretched = rw.from_shap(sv)
    assert stretched.images.dtype == np.uint8 and stretched.images.min() == 0 and stretched.images.max() == 255
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        given = rw.from_shap(sv, images=photos.astype(np.uint8))
    np.testing.assert_array_equal(given.images, photos.astype(np.uint8))


def test_values_from_shap_say_so_instead_of_a_surrogate_fidelity(multiclass, tmp_path):
    X, y = multiclass
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y)
    exp = rw.from_shap(shap.TreeExplainer(model)(X.iloc[:20]), y_true=y[:20], output_names=list(model.classes_))
    # base + values against the model is additivity (checked at conversion), not a surrogate's fidelity
    assert exp.source == "shap" and exp.fidelity == {}
    assert "values from shap, no surrogate" in repr(exp)
    assert rw.load(exp.save(tmp_path / "from_shap.npz")).source == "shap"
    assert rw.from_shap(exp.to_shap()).source == "shap"
    dash = rw.ExplanationDashboard(exp)
    assert dash.meta["source"] == "shap" and dash.meta["fidelity"] == {}
    assert not dash.kernel["available"] and "came from shap" in dash.kernel["reason"]
    explainer = rw.MimicExplainer(model, X)
    with pytest.raises(ValueError, match="came from shap"):
        rw.ExplanationDashboard(exp, explainer=explainer)


def test_a_surrogates_values_round_trip_as_a_surrogates(multiclass):
    X, y = multiclass
    model = LogisticRegression(max_iter=500).fit(X, y)
    exp = rw.MimicExplainer(model, X).explain(X.iloc[:40], progress=False)
    back = rw.from_shap(exp.to_shap())
    assert exp.source == back.source == "mimic" and back.fidelity == exp.fidelity
    assert rw.ExplanationDashboard(back).meta["source"] == "mimic"
