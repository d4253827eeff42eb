"""Faithfulness of image maps: deletion / insertion curves on a known-answer model, batched model calls,
integrated gradients' completeness gap, save / load, clear errors."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("captum")
pytest.importorskip("skimage")
from tiny_models import tiny_cnn  # noqa: E402

import rai_widget as rw  # noqa: E402
from rai_widget.explainers._faithfulness import pixel_order, steps_variants  # noqa: E402
from rai_widget.explanations._image_checks import Faithfulness  # noqa: E402

torch.set_num_threads(1)
SIZE = 64
REGION = (slice(8, 20), slice(30, 44))  # the only pixels the known-answer model reads


class RegionMean(torch.nn.Module):
    """Class 0's logit is 20 x (the mean energy x**2 of REGION - 0.375), class 1's its negative: REGION holds a
    black and white checkerboard (energy 0.5), which the blur baseline turns grey (0.25). The right map of class 0
    is REGION's white pixels, and nothing outside REGION matters."""

    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(20.0))

    def forward(self, x):
        z = self.scale * ((x[:, :, REGION[0], REGION[1]] ** 2).mean(dim=(1, 2, 3)) - 0.375)
        return torch.stack([z, -z], dim=1)


@pytest.fixture(scope="module")
def region_images():
    """Random images with a checkerboard in REGION, and another elsewhere (which the model ignores)."""
    rng = np.random.default_rng(0)
    ims = (rng.random((3, SIZE, SIZE, 3)) * 255).astype(np.uint8)
    board = (np.indices((12, 14)).sum(0) % 2 * 255).astype(np.uint8)[:, :, None]
    for im in ims:
        im[REGION] = board
        im[40:52, 4:18] = board
    return ims


def with_maps(exp, maps) -> rw.ImageExplanation:
    """The same explanation with other maps (a random map: the control a good map must beat)."""
    return rw.ImageExplanation(
        images=exp.images,
        attributions=maps,
        targets=exp.targets,
        method=exp.method,
        params=exp.params,
        output_names=exp.output_names,
        task=exp.task,
        units=exp.units,
        y_pred=exp.y_pred,
        model_output=exp.model_output,
        probabilities=exp.probabilities,
    )


def test_the_right_map_beats_a_random_one(region_images):
    model = RegionMean()
    explainer = rw.ImageExplainer(model, "integrated_gradients", n_steps=32)
    exp = explainer.explain(region_images, targets=0)
    assert (np.abs(exp.attributions[:, 20:]) < 1e-9).all()  # IG of this model: nothing outside REGION
    right = explainer.faithfulness(exp)
    assert exp.faithfulness is right and isinstance(right, Faithfulness)
    rng = np.random.default_rng(1)
    random = with_maps(exp, rng.normal(size=exp.attributions.shape))
    control = explainer.faithfulness(random)
    assert (right.deletion_auc < control.deletion_auc - 0.2).all(), (right.deletion_auc, control.deletion_auc)
    assert (right.insertion_auc > control.insertion_auc + 0.2).all(), (right.insertion_auc, control.insertion_auc)
    # the curves: step 0 of deletion is the image itself (the model's own probability), the last the baseline
    np.testing.assert_allclose(right.deletion[:, 0], exp.probabilities[:, 0], rtol=1e-6)
    np.testing.assert_allclose(right.deletion[:, -1], right.insertion[:, 0], rtol=1e-6)
    np.testing.assert_allclose(right.insertion[:, -1], exp.probabilities[:, 0], rtol=1e-6)
    assert right.fractions[0] == 0 and right.fractions[-1] == 1 and len(right.fractions) == 21
    assert ((0 <= right.deletion_auc) & (right.deletion_auc <= 1)).all()
    frame = right.to_frame(exp.output_names)
    assert list(frame.columns) == ["image", "target", "deletion_auc", "insertion_auc"] and len(frame) == 3


def test_the_steps_move_pixels_in_the_maps_order():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    base = np.zeros_like(image)
    a = rng.normal(size=(4, 5))
    order = pixel_order(a, np.random.default_rng(0))
    assert a.ravel()[order[0]] == a.max() and a.ravel()[order[-1]] == a.min()
    v = steps_variants(image, base, order, steps=4)
    assert v.shape == (10, 4, 5, 3)
    np.testing.assert_array_equal(v[0], image)
    np.testing.assert_array_equal(v[4], base)
    np.testing.assert_array_equal(v[5], base)
    np.testing.assert_array_equal(v[9], image)
    deleted = (v[2] != image).any(-1).ravel()  # half the pixels (10 of 20), the top-ranked ones
    top = np.zeros(20, bool)
    top[order[:10]] = True
    assert not (deleted & ~top).any()
    np.testing.assert_array_equal(v[7].reshape(-1, 3)[order[:10]], image.reshape(-1, 3)[order[:10]])


def test_ties_are_broken_at_random_not_in_reading_order():
    order = pixel_order(np.zeros((10, 10)), np.random.default_rng(0))
    assert sorted(order) == list(range(100)) and list(order[:10]) != list(range(10))


def test_the_curves_take_one_batched_call_per_map(region_images):
    model = tiny_cnn(k=3)
    sizes: list[int] = []
    model.register_forward_hook(lambda m, args, out: sizes.append(len(args[0])))
    explainer = rw.ImageExplainer(model, "gradcam")
    exp = explainer.explain(region_images, targets=[[0, 2]] * 3)
    sizes.clear()
    explainer.faithfulness(exp, steps=20)
    curves = [s for s in sizes if s > 1]  # the channels-last probe runs one image
    assert curves == [42] * 6, sizes  # 3 images x 2 targets, each map's 2 x 21 steps in one call
    assert exp.faithfulness.deletion.shape == (6, 21)
    assert exp.faithfulness.target.tolist() == [0, 2] * 3


def test_explain_can_compute_it_too(region_images):
    explainer = rw.ImageExplainer(tiny_cnn(), "guided_backprop")
    exp = explainer.explain(region_images, faithfulness=True)
    assert exp.faithfulness is not None and exp.faithfulness.image.tolist() == [0, 1, 2]
    again = explainer.faithfulness(exp)
    np.testing.assert_array_equal(again.deletion, exp.faithfulness.deletion)  # deterministic (ties: seed 0)
    assert explainer.explain(region_images).faithfulness is None  # off by default: it costs 42 passes a map


def test_integrated_gradients_completeness_gap(region_images):
    model = tiny_cnn()
    exp = rw.ImageExplainer(model, n_steps=200).explain(region_images)
    c = exp.completeness
    x = torch.as_tensor(region_images.transpose(0, 3, 1, 2) / 255.0, dtype=torch.float32)
    with torch.no_grad():
        fx, f0 = model(x).numpy(), model(torch.zeros_like(x)).numpy()
    t = np.asarray(exp.targets)
    np.testing.assert_allclose(c.output_difference, fx[np.arange(3), t] - f0[np.arange(3), t], rtol=1e-5)
    np.testing.assert_allclose(c.attribution_sum, exp.attributions.sum(axis=(1, 2)))
    assert (np.abs(c.relative_gap) < 0.01).all()
    coarse = rw.ImageExplainer(model, n_steps=2, integration="riemann_left").explain(region_images).completeness
    assert np.abs(coarse.gap).max() > 10 * np.abs(c.gap).max()  # a crude integral shows a gap
    assert rw.ImageExplainer(model, "gradcam").explain(region_images).completeness is None


def test_saved_and_loaded(region_images, tmp_path: Path):
    explainer = rw.ImageExplainer(tiny_cnn(), n_steps=8)
    exp = explainer.explain(region_images, faithfulness=True)
    explainer.sanity_check(exp)
    back = rw.load(exp.save(tmp_path / "ig"))
    for name, fields in (
        ("faithfulness", ("image", "target", "fractions", "deletion", "insertion", "deletion_auc")),
        ("completeness", ("attribution_sum", "output_difference", "gap")),
        ("sanity", ("rank_correlation", "ssim", "passed")),
    ):
        a, b = getattr(exp, name), getattr(back, name)
        assert type(a) is type(b)
        for f in fields:
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert back.faithfulness.baseline == "blur" and back.sanity.layers == exp.sanity.layers


def test_old_files_load_without_checks():
    old = rw.load(Path(__file__).parent / "saved_v1" / "image_classification.npz")
    assert old.faithfulness is None and old.completeness is None and old.sanity is None


def test_a_check_of_other_maps_is_refused(region_images):
    explainer = rw.ImageExplainer(tiny_cnn(), "gradcam")
    exp = explainer.explain(region_images, targets=1)
    f = explainer.faithfulness(exp)
    two = explainer.explain(region_images[:2], targets=1)
    two.faithfulness = f
    with pytest.raises(ValueError, match="computed on another explanation"):
        two.check_results()
    exp.faithfulness = "good"
    with pytest.raises(TypeError, match="faithfulness must be a Faithfulness"):
        exp.check_results()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"steps": 1}, ValueError, "steps must be an integer from 2 to 1000"),
        ({"steps": 2.5}, TypeError, "steps must be a positive integer"),
        ({"progress": "yes"}, TypeError, "progress"),
    ],
)
def test_bad_arguments_are_clear(region_images, kwargs, error, match):
    explainer = rw.ImageExplainer(tiny_cnn(), "gradcam")
    exp = explainer.explain(region_images)
    with pytest.raises(error, match=match):
        explainer.faithfulness(exp, **kwargs)


def test_wrong_explanation_images_or_model_are_clear(region_images):
    explainer = rw.ImageExplainer(tiny_cnn(), "gradcam")
    exp = explainer.explain(region_images)
    with pytest.raises(TypeError, match="needs the ImageExplanation"):
        explainer.faithfulness(region_images)
    with pytest.raises(ValueError, match="not the explanation's images"):
        explainer.faithfulness(exp, region_images[::-1])
    other = rw.ImageExplainer(tiny_cnn(seed=5), "gradcam")
    with pytest.raises(ValueError, match="scores image 0 differently"):
        other.faithfulness(exp)
    with pytest.raises(TypeError, match="faithfulness must be True or False"):
        explainer.explain(region_images, faithfulness="yes")
