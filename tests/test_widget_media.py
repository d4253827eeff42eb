"""The dashboard's payloads for image and detection explanations: PNG images, float32 maps, label columns."""

import io
import re

import numpy as np
import pytest
from PIL import Image
from wire_columns import columns, floats, labels

import rai_widget as rw
from rai_widget._payload._images import MAX_MAP_SIDE, downsample_map, encode_image
from rai_widget._payload._wire import wire_to_array
from rai_widget.explanations import DetectionExplanation, ImageExplanation


def _png(wire) -> np.ndarray:
    assert set(wire) == {"png"} and bytes(wire["png"][:8]) == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(bytes(wire["png"]))))


def image_explanation(n=5, size=(20, 30), multi=False, method="integrated_gradients", seed=0, params=None):
    rng = np.random.default_rng(0)
    maps = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, *size, 3), dtype=np.uint8)
    probs = rng.dirichlet(np.ones(3), n)
    pred = probs.argmax(1)
    names = ["cat", "dog", "<b>bird</b>"]
    attributions = maps.normal(size=(n, 2, *size) if multi else (n, *size))
    if method in ("gradcam", "xrai"):
        attributions = np.abs(attributions)  # unsigned methods
    targets = np.stack([pred, (pred + 1) % 3], 1) if multi else pred
    return ImageExplanation(
        images=images,
        attributions=attributions,
        targets=targets,
        method=method,
        params=params or {},
        output_names=names,
        task="classification",
        units="logit",
        y_pred=np.array(names)[pred],
        model_output=np.log(probs),
        probabilities=probs,
        y_true=np.array(names)[[0, 1, 2, 0, 1][:n]],
    )


def test_image_payload_pngs_maps_and_labels():
    exp = image_explanation()
    dash = rw.ExplanationDashboard(exp)
    assert dash.kind == "image"
    meta, arrays = dash.meta, dash.arrays
    assert meta["n_rows"] == 5 and meta["output_names"] == ["cat", "dog", "<b>bird</b>"]
    assert meta["sizes"] == [[20, 30]] * 5 and meta["map_sizes"] == [[20, 30]] * 5
    assert meta["targets"] == [[int(t)] for t in exp.targets] and meta["signed"] is True
    assert meta["image_format"] == "png"
    for i in range(5):
        np.testing.assert_array_equal(_png(arrays["images"][i]), exp.images[i])  # lossless round trip
        assert _png(arrays["thumbs"][i]).shape == (20, 30, 3)  # already small: not enlarged
        a = wire_to_array(arrays["attributions"][i])  # (methods, targets, H, W)
        assert a.dtype == np.float32 and a.shape == (1, 1, 20, 30)
        np.testing.assert_array_equal(a[0, 0], exp.attributions[i].astype(np.float32))
    cols = columns(arrays)
    assert list(cols) == ["index", "y_true", "y_pred", "correct", "confidence"]
    assert cols["y_pred"]["kind"] == "category" and cols["y_pred"]["categories"] == meta["output_names"]
    np.testing.assert_array_equal(cols["y_pred"]["codes"], exp.probabilities.argmax(1))
    np.testing.assert_array_equal(cols["y_true"]["codes"], [0, 1, 2, 0, 1])
    np.testing.assert_array_equal(cols["correct"]["values"], exp.y_true == exp.y_pred)
    np.testing.assert_allclose(floats(cols["confidence"]), exp.probabilities.max(1), rtol=1e-6)
    assert wire_to_array(arrays["probabilities"]).shape == (5, 3)
    # cohorts on the special columns work on images too
    dash2 = rw.ExplanationDashboard(exp, cohorts=[rw.Cohort("wrong", [rw.Filter("correct", "==", False)])])
    assert dash2.cohort_rows("wrong").sum() == (exp.y_true != exp.y_pred).sum()


def test_image_payload_several_targets_and_sizes():
    exp = image_explanation(n=3, multi=True)
    dash = rw.ExplanationDashboard(exp)
    assert [len(t) for t in dash.meta["targets"]] == [2, 2, 2]
    assert wire_to_array(dash.arrays["attributions"][0]).shape == (1, 2, 20, 30)
    # images of different sizes
    rng = np.random.default_rng(1)
    ims = [rng.integers(0, 256, s + (3,), dtype=np.uint8) for s in [(10, 12), (600, 300)]]
    exp2 = ImageExplanation(
        images=ims,
        attributions=[np.ones(im.shape[:2]) for im in ims],
        targets=[0, 0],
        method="gradcam",
        params={},
        output_names=["a", "b"],
        task="classification",
        units="logit",
        y_pred=np.array(["a", "a"]),
        model_output=np.zeros((2, 2)),
    )
    dash2 = rw.ExplanationDashboard(exp2)
    assert dash2.meta["sizes"] == [[10, 12], [600, 300]]
    assert dash2.meta["map_sizes"] == [[10, 12], [200, 100]]  # long side <= 256, block-averaged
    assert dash2.meta["signed"] is False and "confidence" not in dash2.arrays
    assert max(_png(dash2.arrays["thumbs"][1]).shape[:2]) == 96
    np.testing.assert_array_equal(_png(dash2.arrays["images"][1]), ims[1])  # full resolution original


def test_several_methods_side_by_side_carry_each_methods_maps():
    ig = image_explanation(params={"n_steps": 32})
    cam = image_explanation(method="gradcam", seed=1)
    xrai = image_explanation(method="xrai", seed=2)
    dash = rw.ExplanationDashboard([ig, cam, xrai])
    assert dash.kind == "image" and dash.explanation is ig and dash.explanations == [ig, cam, xrai]
    assert repr(dash) == "ExplanationDashboard(image, 5 rows, 3 methods)"
    methods = dash.meta["methods"]
    assert [m["method"] for m in methods] == ["integrated_gradients", "gradcam", "xrai"]
    assert [m["label"] for m in methods] == ["Integrated Gradients", "Grad-CAM", "XRAI"]
    assert [m["signed"] for m in methods] == [True, False, False] and dash.meta["signed"] is True
    assert methods[0]["params"] == {"n_steps": 32}
    for i in range(5):
        a = wire_to_array(dash.arrays["attributions"][i])
        assert a.dtype == np.float32 and a.shape == (3, 1, 20, 30)
        for j, e in enumerate([ig, cam, xrai]):  # each method's own map, exactly as float32
            np.testing.assert_array_equal(a[j, 0], e.attributions[i].astype(np.float32))
    # one set of images, labels and predictions (from the first) and cohorts on them
    assert len(dash.arrays["images"]) == 5 and dash.meta["targets"] == [[int(t)] for t in ig.targets]
    np.testing.assert_array_equal(_png(dash.arrays["images"][2]), ig.images[2])
    dash.cohorts = [*dash.cohorts, rw.Cohort("wrong", [rw.Filter("correct", "==", False)])]
    assert dash.cohort_rows("wrong").tolist() == list(ig.y_true != ig.y_pred)
    # a single explanation's payload is the same as before, in the same shape
    one = rw.ExplanationDashboard(cam)
    assert repr(one) == "ExplanationDashboard(image, 5 rows)" and one.explanations == [cam]
    assert [m["label"] for m in one.meta["methods"]] == ["Grad-CAM"] and one.meta["signed"] is False
    first = wire_to_array(one.arrays["attributions"][0])
    np.testing.assert_array_equal(first[0, 0], cam.attributions[0].astype(np.float32))


def test_label_columns_keep_only_classes_some_image_has():
    """1,000 ImageNet classes would fill the cohort editor's lists: the view gets the classes present."""
    names = [f"class {k}" for k in range(1000)]
    pred, true = np.array([7, 999, 7]), np.array([7, 3, 500])
    probs = np.full((3, 1000), 1e-4)
    probs[np.arange(3), pred] = 0.9
    exp = ImageExplanation(
        images=np.zeros((3, 8, 8, 3), np.uint8),
        attributions=np.ones((3, 8, 8)),
        targets=pred,
        method="gradcam",
        params={},
        output_names=names,
        task="classification",
        units="logit",
        y_pred=np.array(names)[pred],
        model_output=np.log(probs),
        probabilities=probs,
        y_true=np.array(names)[true],
    )
    dash = rw.ExplanationDashboard(exp)
    for key, want in (("y_pred", pred), ("y_true", true)):
        col = columns(dash.arrays)[key]
        assert col["categories"] == ["class 3", "class 7", "class 500", "class 999"]
        assert labels(col) == [names[k] for k in want]
    assert len(dash.meta["output_names"]) == 1000  # names of the probabilities stay complete
    dash.cohorts = [*dash.cohorts, rw.Cohort("absent", [rw.Filter("y_pred", "==", "class 0")])]
    assert dash.cohort_rows("absent").sum() == 0


def test_two_runs_of_one_method_are_told_apart_by_their_parameters():
    a = image_explanation(params={"n_steps": 16, "baseline": "black"})
    b = image_explanation(seed=1, params={"n_steps": 64, "baseline": "black"})
    dash = rw.ExplanationDashboard((a, b))
    assert [m["label"] for m in dash.meta["methods"]] == [
        "Integrated Gradients (n_steps=16)",
        "Integrated Gradients (n_steps=64)",
    ]


def test_several_targets_per_image_side_by_side():
    ig, cam = image_explanation(n=3, multi=True), image_explanation(n=3, multi=True, method="gradcam", seed=4)
    dash = rw.ExplanationDashboard([ig, cam])
    a = wire_to_array(dash.arrays["attributions"][1])
    assert a.shape == (2, 2, 20, 30)
    np.testing.assert_array_equal(a[1, 1], cam.attributions[1][1].astype(np.float32))


def _changed(exp, **changes):
    fields = dict(
        images=exp.images,
        attributions=exp.attributions,
        targets=exp.targets,
        method="gradcam",
        params={},
        output_names=exp.output_names,
        task=exp.task,
        units=exp.units,
        y_pred=exp.y_pred,
        model_output=exp.model_output,
        probabilities=exp.probabilities,
        y_true=exp.y_true,
    )
    return ImageExplanation(**{**fields, **changes})


def test_side_by_side_needs_the_same_images_targets_and_predictions(tmp_path):
    ig = image_explanation()

    def renamed(labels):  # the same classes under other names (labels must be output names)
        return np.array(["a", "b", "c"])[[ig.output_names.index(v) for v in labels]]

    other_images = ig.images.copy()
    other_images[3, 0, 0] += 1
    cases = [
        (
            _changed(ig, images=other_images),
            "image 3 differs between explanation 0 (integrated_gradients) and explanation 1 (gradcam)",
        ),
        (_changed(ig, targets=(ig.targets + 1) % 3), "image 0 was explained for outputs"),
        (_changed(ig, y_pred=np.roll(ig.y_pred, 1)), "come from different models"),
        (_changed(ig, y_true=None), "true labels (y_true) of explanation 1 (gradcam) differ"),
        (
            _changed(ig, output_names=["a", "b", "c"], y_pred=renamed(ig.y_pred), y_true=renamed(ig.y_true)),
            "use the same classes",
        ),
        (image_explanation(n=4, method="gradcam"), "explains 4 images but explanation 0"),
    ]
    for other, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            rw.ExplanationDashboard([ig, other])
    with pytest.raises(ValueError, match="empty list"):
        rw.ExplanationDashboard([])
    X = np.random.default_rng(0).normal(size=(50, 2))
    tab = rw.MimicExplainer(lambda X: X[:, 0], X).explain(X[:5])
    with pytest.raises(TypeError, match="item 1 is a TabularExplanation"):
        rw.ExplanationDashboard([ig, tab])
    # the offline report carries every method
    path = rw.ExplanationDashboard([ig, _changed(ig, attributions=ig.attributions * 2)]).save_html(tmp_path / "r")
    text = path.read_text()
    assert text.count('"method": "gradcam"') == 1 and '"label": "Grad-CAM"' in text


def test_downsample_map_is_block_mean():
    m = np.arange(600 * 10, dtype=np.float32).reshape(600, 10)
    small = downsample_map(m)
    assert max(small.shape) <= MAX_MAP_SIDE and small.dtype == np.float32
    np.testing.assert_allclose(small[0, 0], m[:3, :3].mean())
    assert downsample_map(np.ones((2, 40, 40))).shape == (2, 40, 40)


def test_grayscale_and_float_images_encode():
    g = (np.arange(64).reshape(8, 8, 1) * 4).astype(np.uint8)
    np.testing.assert_array_equal(_png(encode_image(g)), g[:, :, 0])
    f = np.full((4, 4, 3), 0.5)
    assert _png(encode_image(f)).max() == 127


def test_raw_fallback_without_pillow(monkeypatch):
    from rai_widget._payload import _images

    monkeypatch.setattr(_images, "_pil", lambda: None)
    img = np.random.default_rng(0).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    wire = encode_image(img)
    np.testing.assert_array_equal(wire_to_array(wire), img)
    assert max(wire_to_array(encode_image(img, 96)).shape[:2]) <= 100


def test_detection_payload():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 16, 24, 3), dtype=np.uint8)
    dets = [
        [{"box": [1, 2, 10, 12], "label": "<i>box</i>", "score": 0.9}, {"box": [5, 5, 8, 8], "label": 3, "score": 0.2}],
        [],
    ]
    sal = [rng.random((2, 16, 24)).astype(np.float32), np.zeros((0, 16, 24), np.float32)]
    exp = DetectionExplanation(
        images=images, detections=dets, saliency=sal, output_names=["<i>box</i>", 3], model_output=np.zeros((2, 2))
    )
    dash = rw.ExplanationDashboard(exp)
    meta, arrays = dash.meta, dash.arrays
    assert dash.kind == "detection" and meta["n_rows"] == 2
    assert meta["detections"][0] == [
        {"box": [1.0, 2.0, 10.0, 12.0], "label": "<i>box</i>", "score": 0.9},
        {"box": [5.0, 5.0, 8.0, 8.0], "label": "3", "score": 0.2},
    ]
    assert meta["detections"][1] == [] and meta["sizes"] == [[16, 24]] * 2
    np.testing.assert_array_equal(_png(arrays["images"][0]), images[0])
    np.testing.assert_array_equal(wire_to_array(arrays["saliency"][0]), sal[0])
    assert wire_to_array(arrays["saliency"][1]).shape == (0, 16, 24)
    cols = columns(arrays)
    assert list(cols) == ["index", "y_pred", "detections", "confidence"]
    np.testing.assert_allclose(floats(cols["confidence"]), [0.9, 0.0])
    assert floats(cols["detections"]).tolist() == [2, 0]
    assert labels(cols["y_pred"]) == ["<i>box</i>, 3", ""]


@pytest.mark.parametrize("kind", ["image", "detection"])
def test_media_report_is_one_file(tmp_path, kind):
    exp = (
        image_explanation()
        if kind == "image"
        else DetectionExplanation(
            images=np.zeros((1, 8, 8, 3), np.uint8),
            detections=[[{"box": [0, 0, 4, 4], "label": "a", "score": 1.0}]],
            saliency=[np.ones((1, 8, 8))],
            output_names=["a"],
            model_output=np.ones((1, 1)),
        )
    )
    path = exp.save_html(tmp_path / "r.html")
    text = path.read_text()
    assert '"__b64__"' in text and "<b>bird" not in text
