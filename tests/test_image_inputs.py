"""ImageExplainer on the inputs an adversarial user tries: every bad one a clear error before the long work (the
type asserted, the message naming the argument and the fix), no silently wrong map, and show() working for
everything explain() accepts. Each class of input is tried with every method it applies to."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")
pytest.importorskip("skimage")
from PIL import Image  # noqa: E402
from tiny_models import tiny_cnn  # noqa: E402

import rai_widget as rw  # noqa: E402


def cnn(k=4, channels=3, seed=0):
    return tiny_cnn(k, seed, channels, width=4)


torch.set_num_threads(1)
METHODS = ["integrated_gradients", "guided_backprop", "gradcam", "guided_gradcam", "xrai", "shap"]
FAST = {"integrated_gradients": {"n_steps": 2}, "xrai": {"n_steps": 2}, "shap": {"max_evals": 16}}
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)


def explainer(method, model=None, **kw):
    return rw.ImageExplainer(cnn() if model is None else model, method, **{**FAST.get(method, {}), **kw})


class Counting(torch.nn.Module):
    """Counts forward passes: a bad argument must be refused before the long work (at most one probe pass)."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, x):
        self.calls += 1
        return self.model(x)


# --- images ------------------------------------------------------------------------------------------------

NAN = np.full((8, 8, 3), 0.5)
NAN[2, 3, 1] = np.nan
BAD_IMAGES = [
    ("all NaN", np.full((1, 8, 8, 3), np.nan), ValueError, r"float image 0 has NaN or infinite values"),
    ("one NaN pixel", [IMAGES[0] / 255, NAN], ValueError, r"float image 1 has NaN or infinite values \(1 of 192\)"),
    ("inf", np.full((1, 8, 8, 3), np.inf), ValueError, r"NaN or infinite values.*\[0, 1\]"),
    ("-inf float32", np.full((1, 8, 8, 3), -np.inf, np.float32), ValueError, "NaN or infinite"),
    ("0 x 0", np.zeros((1, 0, 0, 3), np.uint8), ValueError, r"image 0 has shape \(0, 0, 3\): an image needs at least"),
    ("0 rows", [np.zeros((0, 5, 3), np.uint8)], ValueError, r"image 0 has shape \(0, 5, 3\)"),
    ("0 columns", [IMAGES[0], np.zeros((5, 0), np.uint8)], ValueError, r"image 1 has shape \(5, 0, 1\)"),
    ("0 channels", [np.zeros((5, 5, 0), np.uint8)], ValueError, r"image 0 has shape \(5, 5, 0\)"),
    ("None", None, TypeError, "images must be an .*got None"),
    ("a file name", "cat.png", TypeError, "images must be an .*'cat.png'"),
    ("a None image", [IMAGES[0], None], TypeError, r"image 1 is None: images are arrays or PIL images"),
    ("a path", [__import__("pathlib").Path("cat.png")], TypeError, r"Open image files first"),
    ("ragged", [[[0, 0, 0], [0, 0]]], ValueError, "image 0 is not a rectangular array"),
    ("strings", [np.full((4, 4, 3), "a")], TypeError, "image 0 holds <U1 values"),
    ("negative ints", np.full((1, 4, 4, 3), -1), ValueError, r"integer image 0 has values in \[-1, -1\].*0\.\.255"),
    ("ints above 255", np.full((1, 4, 4, 3), 256), ValueError, r"integer image 0 has values in \[256, 256\]"),
    ("floats above 1", np.full((1, 4, 4, 3), 2.0), ValueError, r"float images must be in \[0, 1\]"),
    ("booleans", np.zeros((1, 4, 4, 3), bool), ValueError, "image 0 has dtype bool"),
    ("a 0-d array", np.array(3), ValueError, r"images has shape \(\)"),
    ("empty list", [], ValueError, "no images to explain"),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case, images, error, message", BAD_IMAGES, ids=[c[0] for c in BAD_IMAGES])
def test_bad_images_are_refused_before_the_model_runs(method, case, images, error, message):
    model = Counting(cnn())
    with pytest.raises(error, match=message):
        explainer(method, model).explain(images)
    assert model.calls == 0


def test_torch_tensors_and_pandas_series_are_inputs_too():
    import pandas as pd

    model = cnn()
    ref = rw.ImageExplainer(model, "gradcam", classes=list("abcd")).explain(IMAGES, targets=[0, 1, 2], y_true=[0, 1, 3])
    x = torch.tensor(IMAGES / 255, dtype=torch.float32, requires_grad=True)
    for images in (x, list(x)):
        got = rw.ImageExplainer(model, "gradcam", classes=list("abcd")).explain(
            images, targets=torch.tensor([0, 1, 2]), y_true=pd.Series(["a", "b", "d"])
        )
        np.testing.assert_array_equal(got.images, ref.images)
        np.testing.assert_allclose(got.attributions, ref.attributions, rtol=1e-5)
        assert got.y_true.tolist() == ["a", "b", "d"] and got.targets.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="looks channels-first"):
        rw.ImageExplainer(model, "gradcam").explain(x.permute(0, 3, 1, 2))


def test_a_single_image_with_a_channel_axis_is_one_image():
    """(H, W, 1) is one gray image, not H images of W x 1 pixels."""
    gray = IMAGES[0, :, :, :1]
    exp = rw.ImageExplainer(cnn(channels=1), "gradcam").explain(gray)
    assert len(exp) == 1 and exp.images.shape == (1, 8, 8, 1)


# --- the model's output ----------------------------------------------------------------------------------


class Poisoned(torch.nn.Module):
    """A CNN whose scores are `value` (NaN or inf) for bright images (mean > 0.6) only."""

    def __init__(self, value):
        super().__init__()
        self.model, self.value = cnn(), value

    def forward(self, x):
        y = self.model(x)
        bright = (x.mean(dim=(1, 2, 3)) > 0.6)[:, None]
        return torch.where(bright, torch.full_like(y, self.value), y)


def with_bright_image(i=1, n=3):
    images = IMAGES[:n].copy() // 2
    images[i] = 250
    return images


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("targets", [None, 0])
def test_nan_or_infinite_scores_are_a_model_error_naming_the_images(method, value, targets):
    with pytest.raises(rw.ModelPredictError, match=r"the model returned NaN or infinite scores for images? \[?1\]?"):
        explainer(method, Poisoned(value)).explain(with_bright_image(), targets=targets)


def test_nan_scores_of_a_numpy_model_for_shap():
    def f(batch):
        out = np.tile(batch.mean(axis=(1, 2, 3))[:, None], (1, 2))
        out[batch.mean(axis=(1, 2, 3)) > 0.6] = np.nan
        return out

    with pytest.raises(rw.ModelPredictError, match=r"NaN or infinite scores for images \[1\]"):
        rw.ImageExplainer(f, "shap", max_evals=16).explain(with_bright_image())
    with pytest.raises(rw.ModelPredictError, match=r"NaN or infinite scores for masked copies of image 0"):
        # finite on the image, NaN on its masked copies (their mean falls below 0.1): found during SHAP itself
        rw.ImageExplainer(
            lambda b: np.where(b.mean(axis=(1, 2, 3), keepdims=True)[:, :, 0, 0] > 0.1, 1.0, np.nan) * np.ones((1, 2)),
            "shap",
            max_evals=16,
            baseline="black",
        ).explain(np.full((1, 8, 8, 3), 200, np.uint8))


class SqrtModel(torch.nn.Module):
    """Finite scores, infinite gradients where a convolution's output is 0 (d sqrt(|u|) / du at u = 0)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv, self.head = torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Linear(4, 2)
        with torch.no_grad():
            self.conv.bias.zero_()

    def forward(self, x):
        return self.head(torch.sqrt(self.conv(x).abs()).mean(dim=(2, 3)))


@pytest.mark.parametrize("method", ["integrated_gradients", "guided_backprop", "gradcam", "guided_gradcam", "xrai"])
def test_non_finite_gradients_are_a_model_error_not_a_nan_map(method):
    images = np.zeros((2, 8, 8, 3), np.uint8)
    images[1] = 200  # the black image 0 is where the gradient is infinite
    with pytest.raises(rw.ModelPredictError, match=rf"the {method} maps of images \[0\] have NaN or infinite"):
        explainer(method, SqrtModel()).explain(images)


class Raising(torch.nn.Module):
    def __init__(self, after=0):
        super().__init__()
        self.model, self.after, self.calls = cnn(), after, 0

    def forward(self, x):
        self.calls += 1
        if self.calls > self.after:
            raise KeyError("the model's own bug")
        return self.model(x)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("after", [0, 1])  # the first pass, or the next one (inside captum / shap)
def test_a_model_that_raises_is_a_model_predict_error_with_the_cause(method, after):
    model = Raising(after)
    with pytest.raises(rw.ModelPredictError, match=r"KeyError.*the model's own bug") as info:
        explainer(method, model).explain(IMAGES[:2])
    assert isinstance(info.value.__cause__, KeyError)


def test_a_numpy_model_that_raises_or_returns_strings():
    def raises(batch):
        raise ZeroDivisionError("boom")

    with pytest.raises(rw.ModelPredictError, match=r"the model raised ZeroDivisionError on images \[0, 1\]: boom"):
        rw.ImageExplainer(raises, "shap", max_evals=16).explain(IMAGES[:2])
    with pytest.raises(TypeError, match="the model must return numeric scores.*<U3"):
        rw.ImageExplainer(lambda b: np.full((len(b), 2), "cat"), "shap", max_evals=16).explain(IMAGES[:2])


# --- settings ----------------------------------------------------------------------------------------------

COUNT_PARAMS = {
    "integrated_gradients": ["n_steps", "internal_batch_size", "batch_size"],
    "xrai": ["n_steps", "internal_batch_size", "batch_size", "min_size", "dilation_radius", "min_pixel_diff"],
    "shap": ["max_evals", "batch_size"],
    "guided_backprop": ["batch_size"],
    "gradcam": ["batch_size"],
    "guided_gradcam": ["batch_size"],
}
COUNT_CASES = [(m, p) for m, ps in COUNT_PARAMS.items() for p in ps]


@pytest.mark.parametrize("method, name", COUNT_CASES)
@pytest.mark.parametrize(
    "value, error",
    [
        (0, ValueError),
        (-3, ValueError),
        (2.5, TypeError),
        (4.0, TypeError),
        (True, TypeError),
        ("4", TypeError),
        (None, TypeError),
    ],
)
def test_counts_are_positive_integers_checked_in_the_constructor(method, name, value, error):
    if value == 0 and name in ("min_size", "dilation_radius", "min_pixel_diff"):
        explainer(method, **{name: 0})  # sizes may be 0
        return
    with pytest.raises(error, match=rf"{name} must be (a positive integer|an integer >= 0)"):
        explainer(method, **{name: value})


@pytest.mark.parametrize(
    "method, kw, error, message",
    [
        ("integrated_gradients", {"integration": "simpson"}, ValueError, r"integration must be 'riemann_left' or"),
        ("xrai", {"integration": None}, ValueError, "integration must be"),
        ("gradcam", {"interpolate_mode": "linear"}, ValueError, r"interpolate_mode must be 'nearest' or 'bilinear'"),
        ("guided_gradcam", {"interpolate_mode": "bilinar"}, ValueError, r"Did you mean 'bilinear'\?"),
        ("xrai", {"algorithm": "fastest"}, ValueError, r"XRAI algorithm must be 'full' or 'fast'"),
        ("gradcam", {"relu_attributions": "yes"}, TypeError, "relu_attributions must be True or False"),
        ("integrated_gradients", {"fold_batchnorm": 1}, TypeError, "fold_batchnorm must be True or False"),
        ("shap", {"fold_batchnorm": None}, TypeError, "fold_batchnorm must be True or False"),
        ("integrated_gradients", {"baseline": "grey"}, ValueError, r"baseline must be 'black', 'white', 'blur'"),
        ("shap", {"baseline": None}, TypeError, "baseline must be 'black', 'white', 'blur' or an"),
        ("shap", {"baseline": np.full((8, 8, 3), np.nan)}, ValueError, "baseline has NaN or infinite values"),
        ("shap", {"baseline": np.full((8, 8, 3), 2.0)}, ValueError, r"baseline has values in \[2, 2\]"),
        ("integrated_gradients", {"baseline": np.zeros((8, 8))}, TypeError, r"an \(H, W, C\) image array"),
        ("xrai", {"baselines": "black"}, TypeError, r"baselines must be a non-empty list.*\['black', 'white'\]"),
        ("xrai", {"baselines": []}, TypeError, "baselines must be a non-empty list"),
        ("xrai", {"baselines": ["black", "gray"]}, ValueError, r"baselines\[1\] must be 'black', 'white', 'blur'"),
        ("xrai", {"scales": 50}, TypeError, "scales must be a non-empty list of positive numbers"),
        ("xrai", {"scales": (50, -1)}, ValueError, "scales must be positive numbers; -1 is not"),
        ("xrai", {"sigma": "0.8"}, TypeError, "sigma must be a number >= 0"),
        ("xrai", {"sigma": -1.0}, ValueError, "sigma must be a finite number >= 0"),
        ("gradcam", {"steps": 3}, ValueError, r"unknown parameter\(s\) \['steps'\] for method 'gradcam'"),
    ],
)
def test_settings_are_checked_in_the_constructor(method, kw, error, message):
    with pytest.raises(error, match=message):
        explainer(method, **kw)


@pytest.mark.parametrize("method", METHODS)
def test_constructor_arguments_of_every_method(method):
    model = cnn()
    for bad, error, message in [
        (None, TypeError, "method must be a string, one of integrated_gradients"),
        (["gradcam"], TypeError, "method must be a string"),
        ("gradient", ValueError, "unknown method 'gradient'"),
    ]:
        with pytest.raises(error, match=message):
            rw.ImageExplainer(model, bad)
    cases = [
        ({"classes": ["a", "a", "b", "c"]}, ValueError, r"classes names 'a' more than once"),
        ({"classes": [1, "1", 2, 3]}, ValueError, r"classes names '1' more than once.*1 and '1'"),
        ({"classes": [(0, 1), (1, 0), (1, 1), (0, 0)]}, TypeError, r"classes must hold strings, numbers or booleans"),
        ({"classes": "abcd"}, TypeError, r"classes must be a list of class names"),
        ({"classes": []}, ValueError, "classes is empty"),
        ({"multilabel": "no"}, TypeError, "multilabel must be True or False, not 'no'"),
        ({"preprocess": "resize"}, TypeError, r"preprocess must be a function"),
    ]
    for kw, error, message in cases:
        with pytest.raises(error, match=message):
            explainer(method, model, **kw)


def test_integer_baseline_arrays_are_pixel_values_not_scaled_again():
    """An int64 baseline of 0..255 was multiplied by 255 (all white): it is the same baseline as its uint8 twin."""
    model = cnn()
    base = RNG.integers(0, 256, (8, 8, 3))
    a = rw.ImageExplainer(model, n_steps=64, baseline=base).explain(IMAGES, targets=1)
    b = rw.ImageExplainer(model, n_steps=64, baseline=base.astype(np.uint8)).explain(IMAGES, targets=1)
    c = rw.ImageExplainer(model, n_steps=64, baseline=base / 255).explain(IMAGES, targets=1)
    white = rw.ImageExplainer(model, n_steps=64, baseline="white").explain(IMAGES, targets=1)
    np.testing.assert_allclose(a.attributions, b.attributions, rtol=1e-6)
    np.testing.assert_allclose(c.attributions, b.attributions, rtol=1e-4, atol=1e-7)
    assert np.abs(a.attributions - white.attributions).max() > 0.1 * np.abs(white.attributions).max()
    x = torch.as_tensor(IMAGES.transpose(0, 3, 1, 2) / 255, dtype=torch.float32)
    x0 = torch.as_tensor(base.transpose(2, 0, 1)[None] / 255, dtype=torch.float32)
    with torch.no_grad():
        gap = (model(x)[:, 1] - model(x0)[:, 1]).numpy()
    np.testing.assert_allclose(a.attributions.sum(axis=(1, 2)), gap, rtol=0.02, atol=1e-5)  # completeness


def test_an_array_baseline_of_another_size_is_refused_before_the_work():
    model = Counting(cnn())
    with pytest.raises(ValueError, match=r"baseline is an image of shape \(4, 4, 3\) but image 0 is \(8, 8, 3\)"):
        rw.ImageExplainer(model, baseline=np.zeros((4, 4, 3), np.uint8)).explain(IMAGES)
    with pytest.raises(ValueError, match=r"baselines\[1\] is an image of shape"):
        rw.ImageExplainer(model, "xrai", baselines=["black", np.zeros((4, 4, 3), np.uint8)]).explain(IMAGES)
    assert model.calls == 0


@pytest.mark.parametrize("method", METHODS)
def test_preprocess_output_is_checked(method):
    def nan_normalise(im):  # a standard deviation of 0
        return torch.as_tensor(im.transpose(2, 0, 1) / 255.0 / 0.0, dtype=torch.float32)

    with pytest.raises(ValueError, match=r"preprocess returned NaN or infinite values for images \[0, 1, 2\]"):
        explainer(method, preprocess=nan_normalise).explain(IMAGES)
    with pytest.raises(TypeError, match=r"preprocess must return one \(C, h, w\) float tensor or numpy array.*Image"):
        explainer(method, preprocess=Image.fromarray).explain(IMAGES)


# --- targets -----------------------------------------------------------------------------------------------

BAD_TARGETS = [
    (1.0, TypeError, r"targets are output indices \(integers\) or class names; 1.0 is a float \(did you mean 1\?\)"),
    (np.float64(2.0), TypeError, "2.0 is a float"),
    ([1.0, 2, 3], TypeError, "1.0 is a float"),
    (np.array([0.0, 1.0, 2.0]), TypeError, "0.0 is a float"),
    (True, TypeError, "True is a bool"),
    (None, None, None),  # the default: the predicted class
    (-1, ValueError, r"target -1 is out of range: targets are output indices 0..3"),
    (4, ValueError, r"target 4 is out of range"),
    ([0, 1, 99], ValueError, r"target 99 is out of range"),
    ("zebra", ValueError, r"unknown target 'zebra'"),
    ([0, 1], ValueError, r"targets has 2 entries for 3 images"),
    ([[0], [], [1]], ValueError, r"targets\[1\] is empty"),
    ([[0, [1]], [1], [2]], TypeError, r"targets\[0\] is \[0, \[1\]\]: give each image one target or a flat list"),
    ({0, 1, 2}, TypeError, "targets must be one target for all images, or a list.*set"),
    ({"a": 0}, TypeError, "got a dict"),
    (object(), TypeError, "is a object"),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("targets, error, message", BAD_TARGETS, ids=[repr(c[0])[:20] for c in BAD_TARGETS])
def test_bad_targets_are_refused_before_the_attributions(method, targets, error, message):
    if error is None:
        return
    model = Counting(cnn())
    with pytest.raises(error, match=message):
        explainer(method, model).explain(IMAGES, targets=targets)
    assert model.calls <= 1  # the scores pass (or one image, for methods that take scores from their own pass)


@pytest.mark.parametrize("method", METHODS)
def test_targets_by_name_index_and_class_values(method):
    """Names, indices, integer class names beyond the indices, numpy scalars and arrays all mean the same output."""
    model = cnn()
    names = ["a", "b", "c", "d"]
    ref = explainer(method, model, classes=names).explain(IMAGES, targets=[0, 2, 3])
    forms = (["a", "c", "d"], np.array([0, 2, 3]), [np.int64(0), 2, "d"], (0, 2, 3))
    for targets in forms if method not in ("xrai", "shap") else forms[2:3]:  # (xrai's segmentation takes a while)
        got = explainer(method, model, classes=names).explain(IMAGES, targets=targets)
        np.testing.assert_array_equal(got.targets, [0, 2, 3])
        np.testing.assert_allclose(got.attributions, ref.attributions, rtol=1e-5, atol=1e-8)
    if method in ("xrai", "shap"):
        return
    ids = explainer(method, model, classes=[10, 20, 30, 40]).explain(IMAGES, targets=[0, 30, 40])
    np.testing.assert_array_equal(ids.targets, [0, 2, 3])  # 0 is an index; 30 and 40 name classes


def test_float_class_names_are_targets_by_value():
    exp = explainer("gradcam", classes=[0.5, 1.5, 2.5, 3.5]).explain(IMAGES, targets=1.5)
    np.testing.assert_array_equal(exp.targets, [1, 1, 1])


# --- true labels -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "classes, y_true, error, message",
    [
        (list("abcd"), ["a", "b", "zebra"], ValueError, r"y_true has labels that are not classes: \['zebra'\]"),
        (list("abcd"), [-1, 0, 1], ValueError, r"not classes: \[-1\]\. Give class names or indices 0..3"),
        (list("abcd"), [0, 4, 1], ValueError, r"not classes: \[4\]"),
        (list("abcd"), [0, 1.5, 1], ValueError, r"not classes: \[1.5\]"),
        (list("abcd"), ["a", None, np.nan], ValueError, r"not classes: \[None, nan\]"),
        (None, [7, 0, 1], ValueError, r"not classes: \[7\]\. Give class names; the classes: \[0, 1, 2, 3\]"),
        (None, [-1, 0, 1], ValueError, r"not classes: \[-1\]"),
        (None, [True, 0, 1], ValueError, r"not classes: \[True\]"),
        (list("abcd"), ["a", "b"], ValueError, r"y_true has 2 labels for 3 images"),
        (list("abcd"), [["a", "b"], ["a", "b"], ["a", "b"]], ValueError, r"one label per image, \(3,\); got shape"),
        (list("abcd"), "abc", TypeError, r"y_true must hold one label per image \(3 in all\), not 'abc'"),
        (list("abcd"), 0, TypeError, "y_true must hold one label per image"),
    ],
)
def test_bad_true_labels_are_refused_before_the_attributions(method, classes, y_true, error, message):
    model = Counting(cnn())
    with pytest.raises(error, match=message):
        explainer(method, model, classes=classes).explain(IMAGES, y_true=y_true)
    assert model.calls <= 1


def test_true_labels_by_name_index_or_value_are_stored_as_class_names():
    """Checked against the truth: the `correct` column is y_true == y_pred as the classes say."""
    model = cnn()
    exp = rw.ImageExplainer(model, "gradcam", classes=list("abcd")).explain(IMAGES)
    pred = list(exp.y_pred)
    index = [list("abcd").index(p) for p in pred]
    wrong = ["a" if p != "a" else "b" for p in pred]
    for y_true in (pred, index, np.array(index, dtype=float), [np.int64(i) for i in index]):
        got = rw.ImageExplainer(model, "gradcam", classes=list("abcd")).explain(IMAGES, y_true=y_true)
        assert list(got.y_true) == pred and got.cohort_columns()["correct"].tolist() == [True] * 3
    got = rw.ImageExplainer(model, "gradcam", classes=list("abcd")).explain(IMAGES, y_true=wrong)
    assert got.cohort_columns()["correct"].tolist() == [False] * 3
    ints = rw.ImageExplainer(model, "gradcam").explain(IMAGES, y_true=[float(i) for i in index])
    assert ints.y_true.tolist() == index and ints.cohort_columns()["correct"].tolist() == [True] * 3
    text = rw.ImageExplainer(model, "gradcam").explain(IMAGES, y_true=[str(i) for i in index])
    assert text.y_true.tolist() == index  # "2" names the class 2


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "y_true, message",
    [
        (np.zeros((3, 2)), r"booleans \(or 0/1\) of shape \(3, 4\).*got shape \(3, 2\)"),
        ([0, 1, 2], r"got shape \(3,\)"),
        (np.zeros((2, 4)), r"got shape \(2, 4\)"),
        (np.full((3, 4), 2), r"got int64 values"),
        (np.full((3, 4), 0.5), r"got float64 values"),
        ([["cat"], ["dog", "sky"], []], r"of shape \(3, 4\).*got a ragged list"),
        (np.full((3, 4), "1"), r"got <U1 values"),
    ],
)
def test_multilabel_true_labels_must_be_n_by_k_flags(method, y_true, message):
    model = Counting(cnn())
    with pytest.raises(ValueError, match=message):
        explainer(method, model, multilabel=True).explain(IMAGES, y_true=y_true)
    assert model.calls <= 1


# --- Grad-CAM's layer ----------------------------------------------------------------------------------------


class WithUnused(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net, self.spare = cnn(), torch.nn.Conv2d(3, 3, 1)

    def forward(self, x):
        return self.net(x)


@pytest.mark.parametrize("method", ["gradcam", "guided_gradcam"])
@pytest.mark.parametrize(
    "layer, message",
    [
        ("6", r"target_layer '6' \(Linear\) outputs a tensor of shape \(1, 4\), not an \(N, C, H, W\) feature map"),
        (lambda m: m[6], r"target_layer '6' \(Linear\)"),
        ("5", r"target_layer '5' \(Flatten\) outputs a tensor of shape \(1, 4\)"),
    ],
)
def test_gradcam_on_a_layer_without_a_feature_map(method, layer, message):
    model = cnn()
    counting = Counting(model)
    ex = rw.ImageExplainer(counting, method, target_layer=layer(model) if callable(layer) else f"model.{layer}")
    with pytest.raises(ValueError, match=message.replace("'6'", "'model.6'").replace("'5'", "'model.5'")) as info:
        ex.explain(IMAGES, targets=0)
    assert "Pass target_layer= a convolutional layer (the model's last Conv2d layers: 'model.0', 'model.2')" in str(
        info.value
    )
    assert counting.calls == 1  # one image, before any attribution
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) feature map"):
        ex.explain(IMAGES)  # the default targets too


@pytest.mark.parametrize("method", ["gradcam", "guided_gradcam"])
def test_gradcam_on_a_layer_outside_the_model_or_not_run(method):
    with pytest.raises(ValueError, match="target_layer is a Conv2d that is not a layer of the model"):
        rw.ImageExplainer(cnn(), method, target_layer=torch.nn.Conv2d(3, 3, 1))
    with pytest.raises(ValueError, match=r"target_layer 'spare' did not run when the model ran"):
        rw.ImageExplainer(WithUnused(), method, target_layer="spare").explain(IMAGES)
    with pytest.raises(ValueError, match=r"no layer named 'conv'"):
        rw.ImageExplainer(cnn(), method, target_layer="conv")


# --- everything explain() accepts, shown and saved ---------------------------------------------------------


def five_channels():
    return rw.ImageExplainer(cnn(channels=5), "gradcam").explain(RNG.integers(0, 256, (2, 6, 7, 5), dtype=np.uint8))


def two_channels():
    return rw.ImageExplainer(cnn(channels=2), "guided_backprop").explain(RNG.random((2, 5, 5, 2)))


ACCEPTED = {
    "gray (H, W) images": lambda: rw.ImageExplainer(cnn(channels=1), "gradcam").explain(IMAGES[..., 0]),
    "one gray (H, W, 1) image": lambda: rw.ImageExplainer(cnn(channels=1), "integrated_gradients", n_steps=2).explain(
        IMAGES[0, :, :, :1]
    ),
    "RGBA images": lambda: rw.ImageExplainer(cnn(channels=4), "guided_gradcam").explain(
        RNG.integers(0, 256, (2, 8, 8, 4), dtype=np.uint8)
    ),
    "two channels": two_channels,
    "five channels": five_channels,
    "1 x 1 images": lambda: explainer("integrated_gradients").explain(np.zeros((2, 1, 1, 3), np.uint8)),
    "1 x 300 images": lambda: explainer("gradcam").explain(RNG.integers(0, 256, (1, 1, 300, 3), dtype=np.uint8)),
    "300 x 2 images": lambda: explainer("shap", max_evals=8).explain(RNG.random((1, 300, 2, 3))),
    "PIL images of two sizes": lambda: explainer("guided_backprop").explain(
        [Image.fromarray(IMAGES[0]), Image.fromarray(IMAGES[1, :5]).convert("L").convert("RGB")]
    ),
    "float images": lambda: explainer("xrai").explain(IMAGES / 255),
    "several targets": lambda: explainer("gradcam", classes=list("abcd")).explain(
        IMAGES, targets=[["a", 3], [1], [0, 1, 2]], y_true=["a", "b", "c"]
    ),
    "true labels as indices": lambda: explainer("shap", classes=["no", "yes", "maybe", "never"]).explain(
        IMAGES, y_true=[0, 1.0, np.int64(3)]
    ),
    "multilabel with 0/1 labels": lambda: explainer("integrated_gradients", multilabel=True).explain(
        IMAGES, y_true=[[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    ),
    "multilabel with boolean labels and targets": lambda: explainer(
        "guided_gradcam", multilabel=True, classes=["cat", "dog", "sky", "sea"]
    ).explain(IMAGES, targets=[["sky"], ["cat", "dog"], [3]], y_true=np.eye(4, dtype=bool)[:3]),
    "boolean classes": lambda: rw.ImageExplainer(cnn(k=2), "gradcam", classes=[False, True]).explain(
        IMAGES, y_true=[True, False, True], targets=True
    ),
    "huge logits": lambda: explainer("gradcam", Poisoned(3e38), multilabel=True).explain(with_bright_image()),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_everything_explain_accepts_shows_saves_and_loads(case, tmp_path):
    exp = ACCEPTED[case]()
    for e in (exp, rw.load(exp.save(tmp_path / "exp"))):
        dash = e.show()
        assert dash.kind == "image" and dash.meta["n_rows"] == len(exp)
        assert len(dash.arrays["images"]) == len(exp) and len(dash.arrays["attributions"]) == len(exp)
        dash.save_html(tmp_path / "report.html")
        assert e.cohort_columns().shape[0] == len(exp)
    back = rw.load(exp.save(tmp_path / "again"))
    for name in ("model_output", "y_pred", "y_true", "probabilities"):
        np.testing.assert_array_equal(getattr(back, name), getattr(exp, name))
    assert back.cohort_columns().equals(exp.cohort_columns())


def test_a_dashboard_of_five_channel_images_shows_the_first_three():
    exp = five_channels()
    dash = exp.show()
    png = np.asarray(Image.open(__import__("io").BytesIO(bytes(dash.arrays["images"][0]["png"]))))
    np.testing.assert_array_equal(png, exp.images[0][:, :, :3])


# --- damaged or tampered files -------------------------------------------------------------------------------


def _tamper(path, out, **changes):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = __import__("json").loads(str(arrays["__meta__"]))
    for key, value in changes.items():
        if key.startswith("meta_"):
            meta[key[5:]] = value
        elif value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    arrays["__meta__"] = np.array(__import__("json").dumps(meta))
    np.savez_compressed(out, **arrays)
    return out


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    single = explainer("gradcam", classes=list("abcd")).explain(IMAGES, y_true=["a", "b", "c"])
    multi = explainer("gradcam", multilabel=True).explain(IMAGES, y_true=np.eye(4, dtype=bool)[:3])
    return single.save(folder / "single"), multi.save(folder / "multi")


@pytest.mark.parametrize(
    "which, changes, message",
    [
        (0, {"attributions_1": np.zeros((8, 7))}, r"attributions\[1\] has shape \(8, 7\), not \(8, 8\)"),
        (0, {"attributions_0": np.full((8, 8), np.nan)}, r"attributions\[0\] has NaN or infinite values"),
        (0, {"attributions_2": np.full((8, 8), "x")}, r"attributions\[2\] holds <U1"),
        (0, {"targets_0": np.array(9)}, r"targets\[0\] is 9; targets are output indices 0..3"),
        (0, {"targets_0": np.array(-1)}, r"targets\[0\] is -1"),
        (0, {"targets_0": np.array(1.5)}, r"targets\[0\] is 1.5"),
        (0, {"targets_1": np.array([0, 1])}, r"targets must be one output index per image, or one list"),
        (0, {"meta_method": "lime"}, r"method is 'lime'; an ImageExplanation has one of integrated_gradients"),
        (0, {"meta_units": "dollars"}, r"units is 'dollars'"),
        (0, {"meta_params": [1, 2]}, r"params must be a dict"),
        (0, {"y_pred": np.array(["a", "b", "zebra"])}, r"y_pred has labels that are not output names: \['zebra'\]"),
        (0, {"y_true": np.array(["a", "b", "-1"])}, r"y_true has labels that are not output names: \['-1'\]"),
        (0, {"probabilities": np.full((3, 4), 0.5)}, r"probabilities .*sum to 1"),
        (0, {"probabilities": np.full((3, 3), 1 / 3)}, r"probabilities"),
        (0, {"probabilities": np.full((3, 4), np.nan)}, r"probabilities"),
        (0, {"image_1": np.zeros((8, 8, 3))}, r"image 1 is a float64 array of shape \(8, 8, 3\); stored images"),
        (0, {"image_1": np.zeros((0, 8, 3), np.uint8)}, r"image 1 is a uint8 array of shape \(0, 8, 3\)"),
        (0, {"image_2": None}, r"missing 'image_2'"),
        (0, {"meta_n": 2}, r"model_output has shape \(3, 4\), not \(2, 4\)"),
        (1, {"y_true": np.zeros((3, 2), bool)}, r"multi-?label y_true .*\(3, 4\)"),
        (1, {"y_true": np.full((3, 4), 2)}, r"y_true"),
        (1, {"y_pred": np.array(["a", "b", "c"])}, r"y_pred"),
        (1, {"targets_0": np.array([[0, 1]])}, r"targets must be one output index per image, or one list"),
        (1, {"attributions_0": np.zeros((3, 8, 8))}, r"attributions\[0\] has shape \(3, 8, 8\), not \(\d, 8, 8\)"),
    ],
)
def test_a_tampered_image_file_does_not_load(saved, tmp_path, which, changes, message):
    path = _tamper(saved[which], tmp_path / "bad.npz", **changes)
    with pytest.raises(rw.ExplanationFileError, match=message):
        rw.load(path)
