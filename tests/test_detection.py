"""DetectionExplainer (D-RISE): known answers on a bright-square detector, the output adapters, clear errors."""

import os
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest
from scenes import square_detector

import rai_widget as rw
from rai_widget.explainers import detection as drise
from rai_widget.explainers.detection import MaskSampler, apply_masks, box_iou, mask_weights, parse_detections

SQUARES = [(6, 6, 20, 20), (38, 8, 54, 22), (14, 38, 30, 56)]  # x0, y0, x1, y1 (exclusive ends)


def scene(size=(64, 64), squares=SQUARES, value=230):
    img = np.full((*size, 3), 20, dtype=np.uint8)
    for x0, y0, x1, y1 in squares:
        img[y0:y1, x0:x1] = value
    return img


def box_mask(shape, box):
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    inside = np.zeros(shape, dtype=bool)
    inside[y0:y1, x0:x1] = True
    return inside


def explain(images, detector=square_detector, **kw):
    kw = {"num_masks": 300, "mask_res": (8, 8), **kw}
    return rw.DetectionExplainer(detector, **kw).explain(images)


@pytest.fixture(scope="module")
def three_squares():
    return explain([scene()], num_masks=500, mask_res=(6, 6))  # grid cells (11 px) about the squares' size


# --- ground truth ---------------------------------------------------------------------------------


def test_each_square_saliency_peaks_inside_its_own_square(three_squares):
    exp = three_squares
    dets, maps = exp.detections[0], exp.saliency[0]
    assert sorted(tuple(d["box"]) for d in dets) == sorted(tuple(map(float, s)) for s in SQUARES)
    assert maps.shape == (3, 64, 64) and maps.dtype == np.float32
    for det, sal in zip(dets, maps, strict=True):
        inside = box_mask(sal.shape, det["box"])
        peak = np.unravel_index(np.argmax(sal), sal.shape)
        assert inside[peak], f"peak {peak} of {det['box']} is outside its box"
        # the map has a floor near the mean mask weight (masks that spare the square by chance): compare ratios
        assert sal[inside].mean() > 1.2 * sal[~inside].mean()
        for other in dets:  # and it is the detection's own square that matters, not bright squares in general
            if other is not det:
                assert sal[inside].mean() > 1.2 * sal[box_mask(sal.shape, other["box"])].mean()


def test_saliency_is_normalised_by_the_expected_mask_total(three_squares):
    # sum_i w_i M_i / (N p): bounded by the largest possible weight (IoU 1 x score) ...
    sal = three_squares.saliency[0]
    assert sal.min() >= 0 and sal.max() <= 1.0 / 0.5
    # ... and with a detector that matches perfectly under every mask (w_i = 1), it estimates E[M]/p = 1.
    fixed = {"boxes": np.array([[0.0, 0, 10, 10]]), "scores": np.array([1.0]), "labels": np.array([0])}
    exp = explain([scene()], detector=lambda imgs: [fixed] * len(imgs), num_masks=400)
    assert abs(exp.saliency[0].mean() - 1.0) < 0.02


def test_weights_match_a_one_detection_at_a_time_computation():
    rng = np.random.default_rng(3)
    target = parse_detections({"boxes": [[0, 0, 10, 10], [20, 20, 40, 30]], "scores": [0.9, 0.8], "labels": [0, 1]})
    found = []
    for m in (0, 1, 3, 5):
        xy = rng.uniform(0, 30, (m, 2))
        found.append(
            parse_detections(
                {
                    "boxes": np.c_[xy, xy + rng.uniform(1, 15, (m, 2))],
                    "scores": rng.uniform(0, 1, m),
                    "labels": rng.integers(0, 2, m),
                }
            )
        )

    def iou(a, b):
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)

    expected = np.zeros((2, len(found)))
    for t in range(2):
        for i, d in enumerate(found):
            sims = [
                iou(target.boxes[t], d.boxes[j]) * d.scores[j] * float(target.labels[t] == d.labels[j])
                for j in range(len(d))
            ]
            expected[t, i] = max(sims, default=0.0)
    np.testing.assert_allclose(mask_weights(target, found), expected, atol=1e-12)


def test_class_scores_give_cosine_similarity():
    target = parse_detections(
        {"boxes": [[0, 0, 10, 10]], "scores": [1.0], "labels": [0], "class_scores": [[0.6, 0.8, 0.0]]}
    )
    found = parse_detections(
        {
            "boxes": [[0, 0, 10, 10], [0, 0, 10, 20]],
            "scores": [0.5, 1.0],
            "labels": [2, 2],
            "class_scores": [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]],
        }
    )
    # cosines 0.8 and 0.6; IoU 1 and 0.5; scores 0.5 and 1: 0.4 vs 0.3 (labels differ, so one-hot would give 0)
    np.testing.assert_allclose(mask_weights(target, [found]), [[0.4]])


def test_masks_are_rise_masks():
    sampler = MaskSampler((40, 30), (4, 3), keep_prob=0.3, random_state=0)
    masks = sampler.sample(2000)
    assert masks.shape == (2000, 40, 30) and masks.dtype == np.float32
    assert masks.min() >= 0 and masks.max() <= 1
    assert abs(masks.mean() - 0.3) < 0.01  # bilinear interpolation keeps E[M] = keep_prob at every pixel
    assert np.abs(masks.mean(axis=0) - 0.3).max() < 0.06
    assert (masks < 0.01).mean() > 0.2 and (masks > 0.99).mean() > 0.02  # binary cells, smooth edges between
    np.testing.assert_allclose(
        box_iou(np.array([[0.0, 0, 2, 2]]), np.array([[1.0, 1, 3, 3], [5, 5, 5, 5]])), [[1 / 7, 0.0]]
    )


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_masked_images_are_the_rounded_products(channels):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (23, 31, channels)).astype(np.uint8)
    masks = MaskSampler((23, 31), (4, 5), keep_prob=0.5, random_state=1).sample(6)
    masks[0, :3, :3] = 0.5  # exact halves: rint rounds them to even
    expected = np.rint(image[None].astype(np.float32) * masks[..., None]).astype(np.uint8)
    out = apply_masks(image, masks)
    assert out.shape == (6, 23, 31, channels) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)


def test_weights_of_masked_images_without_detections_are_zero_and_negative_affinities_stay():
    target = parse_detections({"boxes": [[0, 0, 10, 10]], "scores": [1.0], "labels": [0], "class_scores": [[1.0, 0.0]]})
    empty = parse_detections({"boxes": np.zeros((0, 4)), "scores": [], "labels": [], "class_scores": np.zeros((0, 2))})
    opposite = parse_detections(
        {
            "boxes": [[0, 0, 10, 10], [0, 0, 5, 10]],
            "scores": [1.0, 1.0],
            "labels": [1, 1],
            "class_scores": [[-1.0, 0.0], [-1.0, 0.0]],
        }
    )
    # the best match of an all-negative image is its largest (least negative) affinity, -0.5, not 0
    np.testing.assert_allclose(mask_weights(target, [empty, opposite, empty]), [[0.0, -0.5, 0.0]])


def test_more_masks_give_a_more_stable_map():
    img = [scene()]

    def corr(n):
        a, b = (explain(img, num_masks=n, random_state=s).saliency[0][0].ravel() for s in (1, 2))
        return np.corrcoef(a, b)[0, 1]

    low, high = corr(100), corr(800)
    assert high > low and high > 0.9, (low, high)


def test_reproducible_under_random_state_and_independent_of_batch_size():
    img = [scene()]
    a = explain(img, num_masks=200, random_state=7, batch_size=32).saliency[0]
    b = explain(img, num_masks=200, random_state=7, batch_size=32).saliency[0]
    np.testing.assert_array_equal(a, b)
    for batch_size in (1, 13, 500):
        c = explain(img, num_masks=200, random_state=7, batch_size=batch_size).saliency[0]
        np.testing.assert_allclose(c, a, rtol=0, atol=1e-6)
    d = explain(img, num_masks=200, random_state=8).saliency[0]
    assert np.abs(d - a).max() > 1e-3


class FakeClock:
    """Time that passes only when a fake detector says so: batch-size choices without timing anything."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize(
    "cost, expected",
    [
        (lambda n: 5.0 + 0.1 * n, 64),  # a fixed cost per call (GPU, served model): the largest batch wins
        (lambda n: 0.5 * n * n, 1),  # time per image grows with the batch (a CPU model out of cache): one at a time
        (lambda n: n * (1.0 + 4.0 / n + (n / 8.0) ** 2), 4),  # a sweet spot: 2.25 per image at 4, 2.5 at 8
    ],
)
def test_auto_batch_size_settles_where_the_detector_is_fastest_per_image(monkeypatch, cost, expected):
    clock = FakeClock()
    monkeypatch.setattr(drise, "_clock", clock)
    sizes = []

    def detector(images):
        sizes.append(len(images))
        clock.now += cost(len(images))
        return square_detector(images)

    exp = explain([scene()], detector=detector, num_masks=400, batch_size="auto")
    masked = sizes[1:]  # after the unmasked pass
    assert sum(masked) == 400 and masked[:2] == [1, 1]  # starts at 1, two batches per size
    settled = masked[-2]  # (the last batch may be short)
    assert settled == expected, masked
    fixed = explain([scene()], num_masks=400, batch_size=32)
    np.testing.assert_allclose(exp.saliency[0], fixed.saliency[0], rtol=0, atol=1e-6)  # same maps either way


def test_auto_batch_size_is_shared_between_images_and_bounded_by_memory(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(drise, "_clock", clock)
    monkeypatch.setattr(drise, "AUTO_MAX_BYTES", 64 * 64 * 11 * 8)  # room for 8 masked 64 x 64 RGB images
    sizes = []

    def detector(images):
        sizes.append(len(images))
        clock.now += 5.0 + 0.1 * len(images)
        return square_detector(images)

    explain([scene(), scene()], detector=detector, num_masks=200, batch_size="auto")
    second = sizes[-25:]  # the second image: 200 masks in batches of 8, searched once for both images
    assert second == [8] * 25 and max(sizes[1:]) == 8


def test_batches_bound_the_detector_calls_and_an_image_does_not_depend_on_its_neighbours():
    sizes = []

    def recording(images):
        sizes.append(len(images))
        return square_detector(images)

    one = scene()
    two = scene(squares=[(10, 10, 30, 30)])
    exp = explain([one, two], detector=recording, num_masks=100, batch_size=16)
    assert max(sizes) == 16 and sum(sizes) == 2 + 2 * 100  # one unmasked pass, then masks in batches
    alone = explain([two], num_masks=100, batch_size=16)
    np.testing.assert_array_equal(exp.saliency[1], alone.saliency[0])


def test_explanation_fields(three_squares):
    exp = rw.DetectionExplainer(square_detector, classes=["left", "right"], num_masks=50).explain(
        np.stack([scene(), scene(squares=[SQUARES[0]])])
    )
    assert exp.task == "detection" and exp.units == "saliency" and exp.y_true is None
    assert exp.output_names == ["left", "right"]
    assert exp.images.shape == (2, 64, 64, 3) and exp.images.dtype == np.uint8
    assert sorted(exp.y_pred[0]) == ["left", "left", "right"] and exp.y_pred[1] == ["left"]
    assert {d["label"] for d in exp.detections[0]} == {"left", "right"}
    assert exp.model_output.shape == (2, 2)
    np.testing.assert_allclose(exp.model_output, [[230 / 255, 230 / 255], [230 / 255, 0.0]], atol=1e-6)
    assert list(exp.cohort_columns()["detections"]) == [3, 1]
    assert three_squares.output_names == [0, 1]  # no classes: the labels seen
    shap_exp = exp.to_shap()  # one row per detection, image by image
    assert shap_exp.values.shape == (4, 64, 64) and shap_exp.data.shape == (4, 64, 64, 3)
    assert shap_exp.output_names == [str(d["label"]) for dets in exp.detections for d in dets]
    np.testing.assert_array_equal(shap_exp.values[3], exp.saliency[1][0])
    np.testing.assert_array_equal(shap_exp.data[3], exp.images[1])
    left = exp.to_shap("left")
    assert left.values.shape == (3, 64, 64) and left.output_names == ["left"] * 3


# --- detector output adapters -----------------------------------------------------------------------


def _as_yolo(images):
    return [np.c_[d["boxes"], d["scores"], d["labels"]] for d in square_detector(images)]


def _as_records(images):
    return [
        [
            {"box": list(b), "score": s, "label": int(lab)}
            for b, s, lab in zip(d["boxes"], d["scores"], d["labels"], strict=True)
        ]
        for d in square_detector(images)
    ]


def _as_torchvision(images):
    import torch

    return [
        {
            "boxes": torch.tensor(d["boxes"], dtype=torch.float32, requires_grad=True),
            "scores": torch.tensor(d["scores"], dtype=torch.float32),
            "labels": torch.tensor(d["labels"]),
        }
        for d in square_detector(images)
    ]


def _as_torch_yolo(images):
    import torch

    return [torch.from_numpy(a) for a in _as_yolo(images)]


def _as_ultralytics(images):
    return [
        types.SimpleNamespace(boxes=types.SimpleNamespace(xyxy=d["boxes"], conf=d["scores"], cls=d["labels"]))
        for d in square_detector(images)
    ]


@pytest.mark.parametrize("adapter", [_as_yolo, _as_records, _as_torchvision, _as_torch_yolo, _as_ultralytics])
def test_detector_output_adapters_agree(adapter, three_squares):
    if "torch" in adapter.__name__:
        torch = pytest.importorskip("torch")
        torch.set_num_threads(1)
    exp = explain([scene()], detector=adapter, num_masks=500, mask_res=(6, 6))
    assert [d["label"] for d in exp.detections[0]] == [d["label"] for d in three_squares.detections[0]]
    assert all(isinstance(d["label"], int) for d in exp.detections[0])
    # torch float32 boxes/scores round differently from float64: compare the maps loosely
    np.testing.assert_allclose(exp.saliency[0], three_squares.saliency[0], atol=1e-4)


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "output, message",
    [
        (
            {"scores": [1.0], "labels": [0]},
            r"detector output for image 0 has no 'boxes' key; got keys \['labels', 'scores'\]",
        ),
        (
            {"boxes": np.zeros((3, 5)), "scores": np.ones(3), "labels": np.zeros(3)},
            r"boxes must be \(m, 4\) xyxy; got \(3, 5\)",
        ),
        (
            {"boxes": np.zeros((3, 4)), "scores": np.ones(2), "labels": np.zeros(3)},
            r"scores must be \(3,\), one per box; got \(2,\)",
        ),
        ({"boxes": np.zeros((2, 4)), "scores": np.ones(2), "labels": np.zeros((2, 1))}, r"labels must be \(2,\)"),
        ({"boxes": [[5, 0, 1, 4]], "scores": [1.0], "labels": [0]}, r"box 0 is \[5.0, 0.0, 1.0, 4.0\].*xyxy"),
        ({"boxes": [[0, 0, np.nan, 4]], "scores": [1.0], "labels": [0]}, "must be finite"),
        (
            {"boxes": np.zeros((1, 4)), "scores": [1.0], "labels": [0], "class_scores": [1.0]},
            r"class_scores must be \(1, k\)",
        ),
        ([{"box": [0, 0, 1, 1], "label": 0}], "detection 0 has no 'score' key"),
        (np.zeros((2, 5)), r"an \(m, 6\) array .*; got ndarray of shape \(2, 5\)"),
        ("boxes", "must be a dict with 'boxes'"),
    ],
)
def test_malformed_detector_output_names_what_is_wrong(output, message):
    with pytest.raises(ValueError, match=message):
        explain([scene()], detector=lambda imgs: [output] * len(imgs), num_masks=10)


def test_wrong_number_of_outputs_is_reported():
    with pytest.raises(ValueError, match="returned 1 outputs for 2 images"):
        explain([scene(), scene()], detector=lambda imgs: square_detector(imgs)[:1], num_masks=10)
    with pytest.raises(ValueError, match="must return a list with one output per image; got dict"):
        explain([scene()], detector=lambda imgs: square_detector(imgs)[0], num_masks=10)


def test_malformed_output_on_masked_images_is_reported():
    calls = []

    def flaky(images):
        calls.append(1)
        return square_detector(images) if len(calls) == 1 else [{"boxes": []}] * len(images)

    with pytest.raises(ValueError, match="detector output for masked image 0 has no 'scores' key"):
        explain([scene()], detector=flaky, num_masks=10)


@pytest.mark.parametrize(
    "images, error, message",
    [
        (
            np.zeros((64, 64, 3), np.uint8),
            ValueError,
            r"got an array of shape \(64, 64, 3\). For one image pass \[image\]",
        ),
        ([np.zeros((3, 64, 64), np.uint8)], ValueError, r"image 0 must be \(H, W, C\) .*HWC, not CHW.*\(3, 64, 64\)"),
        ([np.zeros((64, 64), np.uint8)], ValueError, r"image 0 must be \(H, W, C\)"),
        ([scene(), np.full((8, 8, 3), 0.5)], ValueError, r"image 1 must be uint8.*\[0.5, 0.5\].*\* 255"),
        (
            [np.full((8, 8, 3), 300)],
            ValueError,
            r"image 0 must be uint8 \(0-255\); got int64 with values in \[300, 300\]",
        ),
        ([np.zeros((8, 8, 3), bool)], ValueError, "got dtype bool"),
        ([], ValueError, "images is empty"),
        ("image.png", TypeError, "images must be an"),
    ],
)
def test_bad_images_are_rejected_clearly(images, error, message):
    with pytest.raises(error, match=message):
        explain(images, num_masks=10)


def test_integral_non_uint8_images_are_accepted_losslessly(three_squares):
    exp = explain([scene().astype(np.int64)], num_masks=500, mask_res=(6, 6))
    np.testing.assert_array_equal(exp.saliency[0], three_squares.saliency[0])


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"num_masks": 0}, "num_masks must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer or 'auto'"),
        ({"batch_size": "fast"}, "batch_size must be a positive integer or 'auto'; got 'fast'"),
        ({"mask_res": (8, 0)}, r"mask_res must be \(rows, cols\)"),
        ({"keep_prob": 1.0}, "keep_prob must be between 0 and 1"),
    ],
)
def test_bad_parameters(kw, message):
    with pytest.raises(ValueError, match=message):
        rw.DetectionExplainer(square_detector, **kw)


def test_image_without_detections_gives_an_empty_explanation_with_a_warning():
    blank = np.zeros((40, 50, 3), np.uint8)
    with pytest.warns(UserWarning, match="found nothing in image 1"):
        exp = explain([scene(), blank], num_masks=50)
    assert exp.detections[1] == [] and exp.saliency[1].shape == (0, 40, 50) and exp.y_pred[1] == []
    assert isinstance(exp.images, list) and exp.images[1].shape == (40, 50, 3)
    assert exp.saliency[0].shape == (3, 64, 64)
    np.testing.assert_array_equal(exp.model_output[1], 0.0)


def test_masks_that_remove_every_detection_give_zero_weight():
    calls = []

    def only_unmasked(images):
        calls.append(1)
        return square_detector(images) if len(calls) == 1 else [{"boxes": [], "scores": [], "labels": []}] * len(images)

    exp = explain([scene()], detector=only_unmasked, num_masks=20)
    np.testing.assert_array_equal(exp.saliency[0], 0.0)


# --- persistence and side effects ------------------------------------------------------------------


def test_save_load_round_trip(tmp_path):
    blank = np.zeros((40, 50, 3), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        exp = rw.DetectionExplainer(square_detector, classes=["left", "right"], num_masks=30).explain(
            [scene(), blank, scene((48, 80), [(50, 5, 70, 25)])]
        )
    path = exp.save(tmp_path / "det")
    assert path.name == "det.npz"
    back = rw.load(path)
    assert isinstance(back, rw.DetectionExplanation)
    assert back.detections == exp.detections and back.y_pred == exp.y_pred
    assert back.output_names == ["left", "right"] and back.task == "detection" and back.units == "saliency"
    assert back.params == exp.params
    for a, b in zip(exp.saliency, back.saliency, strict=True):
        assert a.shape == b.shape and b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    for a, b in zip(exp.images, back.images, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.model_output, exp.model_output)
    # integer labels and one image size survive too (images come back as one array)
    ints = explain([scene()], num_masks=20)
    back = rw.load(ints.save(tmp_path / "ints.npz"))
    assert back.detections == ints.detections and back.images.shape == (1, 64, 64, 3)
    assert all(type(d["label"]) is int for d in back.detections[0])


def test_writes_no_files_and_import_does_not_load_torch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    explain([scene()], num_masks=40)
    assert os.listdir(tmp_path) == []
    code = "import sys, rai_widget; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_progress_bar_is_off_for_small_runs_and_can_be_forced(capsys):
    explain([scene()], num_masks=20)
    assert "D-RISE" not in capsys.readouterr().err
    explain([scene()], num_masks=20, progress=True)
    assert "D-RISE" in capsys.readouterr().err


def test_explain_takes_progress_too_and_it_wins_over_the_explainers(capsys):
    explainer = rw.DetectionExplainer(square_detector, num_masks=20, mask_res=(8, 8), progress=True)
    explainer.explain([scene()], progress=False)
    assert "D-RISE" not in capsys.readouterr().err
    rw.DetectionExplainer(square_detector, num_masks=20, mask_res=(8, 8)).explain([scene()], progress=True)
    assert "D-RISE" in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        explainer.explain([scene()], progress=1)
