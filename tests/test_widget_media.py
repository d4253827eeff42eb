"""The dashboard's payloads for image and detection explanations: PNG images, float32 maps, label columns."""

import io

import numpy as np
import pytest
from PIL import Image

import rai_widget as rw
from rai_widget._media_payload import MAX_MAP_SIDE, downsample_map, encode_image
from rai_widget._serialize import wire_to_array
from rai_widget.explanations import DetectionExplanation, ImageExplanation


def _png(wire) -> np.ndarray:
    assert set(wire) == {"png"} and bytes(wire["png"][:8]) == b"\x89PNG\r\n\x1a\n"
    return np.asarray(Image.open(io.BytesIO(bytes(wire["png"]))))


def image_explanation(n=5, size=(20, 30), multi=False):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, *size, 3), dtype=np.uint8)
    probs = rng.dirichlet(np.ones(3), n)
    pred = probs.argmax(1)
    names = ["cat", "dog", "<b>bird</b>"]
    attributions = rng.normal(size=(n, 2, *size) if multi else (n, *size)).astype(np.float32)
    targets = np.stack([pred, (pred + 1) % 3], 1) if multi else pred
    return ImageExplanation(images=images, attributions=attributions, targets=targets, method="integrated_gradients",
                            params={}, output_names=names, task="classification", units="logit",
                            y_pred=np.array(names)[pred], model_output=np.log(probs), probabilities=probs,
                            y_true=np.array(names)[[0, 1, 2, 0, 1][:n]])


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
        a = wire_to_array(arrays["attributions"][i])
        assert a.dtype == np.float32 and a.shape == (1, 20, 30)
        np.testing.assert_array_equal(a[0], exp.attributions[i])
    assert arrays["y_pred"]["kind"] == "category" and arrays["y_pred"]["categories"] == meta["output_names"]
    np.testing.assert_array_equal(wire_to_array(arrays["y_pred"]["codes"]), exp.probabilities.argmax(1))
    np.testing.assert_array_equal(wire_to_array(arrays["y_true"]["codes"]), [0, 1, 2, 0, 1])
    np.testing.assert_allclose(wire_to_array(arrays["confidence"]), exp.probabilities.max(1), rtol=1e-6)
    assert wire_to_array(arrays["probabilities"]).shape == (5, 3)
    # cohorts on the special columns work on images too
    dash2 = rw.ExplanationDashboard(exp, cohorts=[rw.Cohort("wrong", [rw.Filter("correct", "==", False)])])
    assert dash2.cohort_rows("wrong").sum() == (exp.y_true != exp.y_pred).sum()


def test_image_payload_several_targets_and_sizes():
    exp = image_explanation(n=3, multi=True)
    dash = rw.ExplanationDashboard(exp)
    assert [len(t) for t in dash.meta["targets"]] == [2, 2, 2]
    assert wire_to_array(dash.arrays["attributions"][0]).shape == (2, 20, 30)
    # images of different sizes
    rng = np.random.default_rng(1)
    ims = [rng.integers(0, 256, s + (3,), dtype=np.uint8) for s in [(10, 12), (600, 300)]]
    exp2 = ImageExplanation(images=ims, attributions=[np.ones(im.shape[:2]) for im in ims], targets=[0, 0],
                            method="gradcam", params={}, output_names=["a", "b"], task="classification",
                            units="logit", y_pred=np.array(["a", "a"]), model_output=np.zeros((2, 2)))
    dash2 = rw.ExplanationDashboard(exp2)
    assert dash2.meta["sizes"] == [[10, 12], [600, 300]]
    assert dash2.meta["map_sizes"] == [[10, 12], [200, 100]]  # long side <= 256, block-averaged
    assert dash2.meta["signed"] is False and "confidence" not in dash2.arrays
    assert max(_png(dash2.arrays["thumbs"][1]).shape[:2]) == 96
    np.testing.assert_array_equal(_png(dash2.arrays["images"][1]), ims[1])  # full resolution original


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
    from rai_widget import _media_payload

    monkeypatch.setattr(_media_payload, "_pil", lambda: None)
    img = np.random.default_rng(0).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    wire = encode_image(img)
    np.testing.assert_array_equal(wire_to_array(wire), img)
    assert max(wire_to_array(encode_image(img, 96)).shape[:2]) <= 100


def test_detection_payload():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, 16, 24, 3), dtype=np.uint8)
    dets = [[{"box": [1, 2, 10, 12], "label": "<i>box</i>", "score": 0.9}, {"box": [5, 5, 8, 8], "label": 3,
                                                                             "score": 0.2}], []]
    sal = [rng.random((2, 16, 24)).astype(np.float32), np.zeros((0, 16, 24), np.float32)]
    exp = DetectionExplanation(images=images, detections=dets, saliency=sal, output_names=["<i>box</i>", 3],
                               model_output=np.zeros((2, 2)))
    dash = rw.ExplanationDashboard(exp)
    meta, arrays = dash.meta, dash.arrays
    assert dash.kind == "detection" and meta["n_rows"] == 2
    assert meta["detections"][0] == [{"box": [1.0, 2.0, 10.0, 12.0], "label": "<i>box</i>", "score": 0.9},
                                     {"box": [5.0, 5.0, 8.0, 8.0], "label": "3", "score": 0.2}]
    assert meta["detections"][1] == [] and meta["sizes"] == [[16, 24]] * 2
    np.testing.assert_array_equal(_png(arrays["images"][0]), images[0])
    np.testing.assert_array_equal(wire_to_array(arrays["saliency"][0]), sal[0])
    assert wire_to_array(arrays["saliency"][1]).shape == (0, 16, 24)
    np.testing.assert_allclose(wire_to_array(arrays["confidence"]), [0.9, 0.0])
    y = arrays["y_pred"]
    assert [y["categories"][c] for c in wire_to_array(y["codes"])] == ["<i>box</i>, 3", ""]


@pytest.mark.parametrize("kind", ["image", "detection"])
def test_media_report_is_one_file(tmp_path, kind):
    exp = image_explanation() if kind == "image" else DetectionExplanation(
        images=np.zeros((1, 8, 8, 3), np.uint8), detections=[[{"box": [0, 0, 4, 4], "label": "a", "score": 1.0}]],
        saliency=[np.ones((1, 8, 8))], output_names=["a"], model_output=np.ones((1, 1)))
    path = exp.save_html(tmp_path / "r.html")
    text = path.read_text()
    assert '"__b64__"' in text and "<b>bird" not in text
