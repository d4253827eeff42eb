"""DetectionExplainer on the inputs an adversarial user tries: constructor arguments refused in the constructor,
detector outputs checked as they are read (in every output form), labels mapped to classes or refused, the
detector's own failures a ModelPredictError, and show() working for everything explain() accepts."""

import json
import types

import numpy as np
import pytest
from scenes import square_detector

import rai_widget as rw

SQUARES = [(6, 6, 20, 20), (38, 8, 54, 22)]


def scene(size=(40, 60), squares=SQUARES):
    img = np.full((*size, 3), 20, dtype=np.uint8)
    for x0, y0, x1, y1 in squares:
        img[y0:y1, x0:x1] = 230
    return img


def explain(detector, images="scene", **kw):
    kw = {"num_masks": 8, "mask_res": (4, 4), **kw}
    return rw.DetectionExplainer(detector, **kw).explain([scene()] if isinstance(images, str) else images)


def constant(output, masked=None):
    """A detector returning `output` for every image (and `masked` for masked images, when given)."""
    calls = []

    def detector(images):
        calls.append(len(images))
        return [output if masked is None or len(calls) == 1 else masked] * len(images)

    return detector


ONE = {"boxes": [[0.0, 0.0, 10.0, 10.0]], "scores": [0.9], "labels": [0]}


# --- the constructor -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, error, message",
    [
        ({"keep_prob": "0.5"}, TypeError, r"keep_prob must be a number between 0 and 1 \(exclusive\), not '0.5'"),
        ({"keep_prob": None}, TypeError, "keep_prob must be a number"),
        ({"keep_prob": True}, TypeError, "keep_prob must be a number"),
        ({"keep_prob": 0}, ValueError, r"keep_prob must be between 0 and 1 \(exclusive\); got 0"),
        ({"keep_prob": 1}, ValueError, "keep_prob must be between 0 and 1"),
        ({"keep_prob": -0.1}, ValueError, "keep_prob must be between 0 and 1"),
        ({"keep_prob": 1.5}, ValueError, "keep_prob must be between 0 and 1"),
        ({"keep_prob": float("nan")}, ValueError, r"keep_prob must be between 0 and 1 \(exclusive\); got nan"),
        ({"random_state": -1}, ValueError, r"random_state must be a non-negative integer seed \(or None\); got -1"),
        ({"random_state": 1.5}, TypeError, "random_state must be a non-negative integer seed"),
        ({"random_state": "seed"}, TypeError, "random_state must be a non-negative integer seed"),
        ({"random_state": True}, TypeError, "random_state must be a non-negative integer seed"),
        ({"random_state": [1, -2]}, TypeError, "random_state must be a non-negative integer seed"),
        ({"num_masks": 0}, ValueError, "num_masks must be a positive integer; got 0"),
        ({"num_masks": -5}, ValueError, "num_masks must be a positive integer; got -5"),
        ({"num_masks": 2.5}, TypeError, r"num_masks must be a positive integer, not 2.5 \(float\)"),
        ({"num_masks": 100.0}, TypeError, "num_masks must be a positive integer"),
        ({"num_masks": "10"}, ValueError, "num_masks must be a positive integer; got '10'"),
        ({"num_masks": True}, TypeError, r"num_masks must be a positive integer, not True \(bool\)"),
        ({"num_masks": None}, TypeError, "num_masks must be a positive integer"),
        ({"mask_res": 0}, ValueError, r"mask_res must be \(rows, cols\) of positive integers; got \(0, 0\)"),
        ({"mask_res": (0, 4)}, ValueError, r"mask_res must be \(rows, cols\)"),
        ({"mask_res": (-2, 4)}, ValueError, r"mask_res must be \(rows, cols\)"),
        ({"mask_res": 8.0}, TypeError, r"mask_res must be \(rows, cols\) of positive integers, or one integer"),
        ({"mask_res": None}, TypeError, r"mask_res must be \(rows, cols\)"),
        ({"mask_res": "8"}, TypeError, r"mask_res must be \(rows, cols\)"),
        ({"mask_res": (8,)}, TypeError, r"mask_res must be \(rows, cols\).*\(8,\)"),
        ({"mask_res": (8, 8, 8)}, TypeError, r"mask_res must be \(rows, cols\)"),
        ({"mask_res": (8, 2.5)}, TypeError, r"mask_res must be \(rows, cols\)"),
        ({"mask_res": (True, 4)}, TypeError, r"mask_res must be \(rows, cols\)"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer or 'auto'; got 0"),
        ({"batch_size": -1}, ValueError, "batch_size must be a positive integer or 'auto'"),
        ({"batch_size": "fast"}, ValueError, "batch_size must be a positive integer or 'auto'; got 'fast'"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be a positive integer or 'auto', not 2.0"),
        ({"batch_size": True}, TypeError, "batch_size must be a positive integer or 'auto'"),
        ({"batch_size": None}, TypeError, "batch_size must be a positive integer or 'auto'"),
        ({"progress": "yes"}, TypeError, r"progress must be True, False or None"),
        ({"classes": ["a", "a"]}, ValueError, "classes names 'a' more than once"),
        ({"classes": [1, "1"]}, ValueError, "classes names '1' more than once"),
        ({"classes": [("car", 1)]}, TypeError, "classes must hold strings, numbers or booleans"),
        ({"classes": "ab"}, TypeError, "classes must be a list of class names"),
        ({"classes": []}, ValueError, "classes is empty"),
    ],
)
def test_constructor_arguments_are_checked_in_the_constructor(kw, error, message):
    with pytest.raises(error, match=message):
        rw.DetectionExplainer(square_detector, **kw)


@pytest.mark.parametrize("seed", [None, 0, 7, np.int64(3), [1, 2]])
def test_valid_seeds_still_work(seed):
    exp = explain(square_detector, random_state=seed)
    assert exp.saliency[0].shape == (2, 40, 60)


def test_a_detector_that_is_not_callable():
    with pytest.raises(TypeError, match="detector must be a callable"):
        rw.DetectionExplainer("yolo.pt")


# --- labels ------------------------------------------------------------------------------------------------


def test_integer_labels_are_indices_into_classes():
    """Checked against the truth: square_detector labels squares in the right half 1, the left 0."""
    exp = explain(square_detector, classes=["left", "right"])
    assert [d["label"] for d in exp.detections[0]] == ["left", "right"]
    assert exp.output_names == ["left", "right"] and exp.y_pred == [["left", "right"]]
    assert exp.cohort_columns()["y_pred"].tolist() == ["left, right"]


@pytest.mark.parametrize(
    "labels, classes, message",
    [
        ([0, 1], ["left"], r"labels that are not among classes: 1 in image\(s\) \[0\]. Integer labels are indices"),
        ([0, -1], ["left", "right"], r"not among classes: -1 in image"),
        ([0, 5], ["a", "b"], r"not among classes: 5 in image.*classes: \['a', 'b'\]"),
        (["zebra", "left"], ["left", "right"], r"not among classes: 'zebra' in image"),
        ([2.0, 0.0], ["left", "right"], r"not among classes: 2 in image"),
    ],
)
def test_labels_outside_classes_are_refused_with_the_list(labels, classes, message):
    output = {"boxes": [[0, 0, 10, 10], [5, 5, 9, 9]], "scores": [0.9, 0.8], "labels": labels}
    calls = []

    def detector(images):
        calls.append(1)
        return [output] * len(images)

    with pytest.raises(ValueError, match=message):
        explain(detector, classes=classes)
    assert len(calls) == 1  # before any masked image


def test_string_labels_that_name_classes_are_kept():
    output = {"boxes": [[0, 0, 10, 10], [5, 5, 9, 9]], "scores": [0.9, 0.8], "labels": np.array(["cat", "dog"])}
    exp = explain(constant(output), classes=["dog", "cat"])
    assert [d["label"] for d in exp.detections[0]] == ["cat", "dog"]
    np.testing.assert_allclose(exp.model_output, [[0.8, 0.9]])


def test_labels_of_two_types_that_read_the_same_are_refused_without_classes():
    first = {"boxes": [[0, 0, 10, 10]], "scores": [0.9], "labels": [1]}
    second = {"boxes": [[0, 0, 10, 10]], "scores": [0.9], "labels": ["1"]}
    with pytest.raises(ValueError, match=r"the detector's labels names '1' more than once"):
        explain(lambda imgs: [first, second][: len(imgs)] if len(imgs) == 2 else [first] * len(imgs), [scene()] * 2)


FORMS = {
    "dict": lambda boxes, scores, labels: {"boxes": boxes, "scores": scores, "labels": labels},
    "records": lambda boxes, scores, labels: [
        {"box": b, "score": s, "label": lab} for b, s, lab in zip(boxes, scores, labels, strict=True)
    ],
    "yolo": lambda boxes, scores, labels: np.c_[np.asarray(boxes, float), scores, np.asarray(labels, float)],
    "ultralytics": lambda boxes, scores, labels: types.SimpleNamespace(
        boxes=types.SimpleNamespace(xyxy=np.asarray(boxes, float), conf=np.asarray(scores), cls=np.asarray(labels))
    ),
}


NAN_LABELS = [
    ([0, None], TypeError, r"detection 1 has label None \(NoneType\); labels are class indices"),
    ([0, np.nan], ValueError, r"detection 1 has label nan; labels are class indices"),
    ([1.5, 0], ValueError, r"detection 0 has label 1.5"),
    ([0, np.inf], ValueError, r"detection 1 has label inf"),
]


@pytest.mark.parametrize(
    "form, labels, error, message",
    # yolo and ultralytics outputs are numeric arrays: they cannot hold None
    [
        (form, *case)
        for form in FORMS
        for case in NAN_LABELS
        if not (form in ("yolo", "ultralytics") and case[0][1] is None)
    ],
)
def test_none_or_nan_labels_are_refused_in_every_output_form(form, labels, error, message):
    output = FORMS[form]([[0, 0, 10, 10], [2, 2, 8, 8]], [0.9, 0.8], labels)
    with pytest.raises(error, match=rf"detector output for image 0: {message}"):
        explain(constant(output))


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("field", ["box", "score"])
def test_non_finite_boxes_and_scores_are_refused_naming_the_detection(form, value, field):
    boxes, scores = [[0, 0, 10, 10], [2, 2, 8, 8]], [0.9, 0.8]
    if field == "box":
        boxes[1][2] = value
    else:
        scores[1] = value
    output = FORMS[form](boxes, scores, [0, 1])
    with pytest.raises(ValueError, match=rf"image 0: the {field} of detection 1 is NaN or infinite.*must be finite"):
        explain(constant(output))
    with pytest.raises(ValueError, match=rf"masked image \d+: the {field} of detection 1 is NaN or infinite"):
        explain(constant(FORMS[form]([[0, 0, 10, 10]] * 2, [0.9, 0.8], [0, 1]), masked=output))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_class_scores_are_refused_not_zero_saliency(value):
    output = {**ONE, "class_scores": [[value, 1.0]]}
    with pytest.raises(
        ValueError, match=r"image 0: the class_scores of detection 0 is NaN or infinite \(\[(nan|inf), 1"
    ):
        explain(constant(output))
    good = {**ONE, "class_scores": [[0.2, 0.8]]}
    with pytest.raises(ValueError, match=r"masked image 0: the class_scores of detection 0 is NaN"):
        explain(constant(good, masked=output))


def test_class_scores_give_the_cosine_weighted_map():
    """Checked against the truth: a detector that always finds the same box with class scores (0.6, 0.8) while the
    target has (0.8, 0.6) gives every mask the weight IoU x score x cosine = 1 x 1 x 0.96: a map of 0.96."""
    target = {"boxes": [[0, 0, 10, 10]], "scores": [1.0], "labels": [0], "class_scores": [[0.8, 0.6]]}
    found = {**target, "class_scores": [[0.6, 0.8]]}
    exp = explain(constant(target, masked=found), num_masks=400)
    assert abs(exp.saliency[0].mean() - 0.96) < 0.03


@pytest.mark.parametrize(
    "output, error, message",
    [
        ({**ONE, "boxes": [["0", "0", "10", "10"]]}, TypeError, r"boxes must be numbers, not <U2 values"),
        ({**ONE, "boxes": [["a", 0, 10, 10]]}, TypeError, r"boxes must be numbers"),
        ({**ONE, "boxes": [[None, 0, 10, 10]]}, TypeError, r"boxes must be numbers, not object values"),
        ({**ONE, "boxes": np.ones((1, 4), bool)}, TypeError, r"boxes must be numbers, not bool values"),
        ({**ONE, "boxes": [[0, 0, 10], [0, 0, 1, 1]]}, TypeError, r"boxes is a ragged list"),
        ({**ONE, "scores": ["0.9"]}, TypeError, r"scores must be numbers, not <U3 values"),
        ({**ONE, "scores": [None]}, TypeError, r"scores must be numbers, not object"),
        ({**ONE, "class_scores": [["a", "b"]]}, TypeError, r"class_scores must be numbers"),
        ({**ONE, "labels": [[0, 1]]}, ValueError, r"labels must be \(1,\), one per box"),
        ([{"box": ["0", 0, 10, 10], "score": 0.9, "label": 0}], TypeError, r"box of detection 0 must be numbers"),
        ([{"box": None, "score": 0.9, "label": 0}], TypeError, r"box of detection 0 must be numbers"),
        ([{"box": [0, 0, 10], "score": 0.9, "label": 0}], ValueError, r"detection 0 has box \[0, 0, 10\]"),
        ([{"box": [0, 0, 1, 1], "score": "high", "label": 0}], TypeError, r"score of detection 0 must be numbers"),
        ([{"box": [0, 0, 1, 1], "score": [0.9, 0.1], "label": 0}], TypeError, r"has score \[0.9, 0.1\]; it must be"),
        ([{"box": [0, 0, 1, 1], "score": 0.9, "label": [0, 1]}], TypeError, r"has label \[0, 1\]; it must be one"),
        ([{"box": [0, 0, 1, 1], "score": 0.9, "label": {"id": 0}}], TypeError, r"detection 0 has label \{'id': 0\}"),
    ],
)
def test_non_numeric_detector_output_is_a_type_error_naming_the_field(output, error, message):
    with pytest.raises(error, match=rf"detector output for image 0: .*{message}"):
        explain(constant(output))


@pytest.mark.parametrize("masked", [False, True])
def test_a_detector_that_raises_is_a_model_predict_error(masked):
    def detector(images):
        if masked and len(images) == 1 and images[0].mean() > 30:  # the unmasked scene passes
            return square_detector(images)
        raise RuntimeError("CUDA out of memory")

    with pytest.raises(rw.ModelPredictError, match="the detector raised RuntimeError on a batch of .*CUDA out of") as e:
        explain(detector, batch_size=4)
    assert isinstance(e.value.__cause__, RuntimeError)


@pytest.mark.parametrize(
    "images, error, message",
    [
        ([np.full((8, 8, 3), np.nan)], ValueError, "image 0 has NaN or infinite values"),
        ([scene(), np.full((8, 8, 3), np.inf)], ValueError, "image 1 has NaN or infinite values"),
        (np.zeros((1, 0, 0, 3), np.uint8), ValueError, r"image 0 is empty: shape \(0, 0, 3\)"),
        ([np.zeros((5, 0, 3), np.uint8)], ValueError, "image 0 is empty"),
        ([[[[0, 0, 0]], [[0, 0]]]], ValueError, "image 0 is not a rectangular array"),
        ([np.full((4, 4, 3), "a")], ValueError, "image 0 must be uint8"),
        (None, TypeError, "images must be an"),
    ],
)
def test_bad_images_are_refused_before_the_detector_runs(images, error, message):
    calls = []
    with pytest.raises(error, match=message):
        explain(lambda imgs: calls.append(1) or square_detector(imgs), images)
    assert calls == []


# --- everything explain() accepts, shown and saved ---------------------------------------------------------


def torch_output(images):
    torch = pytest.importorskip("torch")
    return [
        {
            "boxes": torch.tensor(d["boxes"], dtype=torch.float32),
            "scores": torch.tensor(d["scores"], dtype=torch.float32),
            "labels": torch.tensor(d["labels"]),
        }
        for d in square_detector(images)
    ]


def nothing(images):
    return [{"boxes": np.zeros((0, 4)), "scores": [], "labels": []} for _ in images]


ACCEPTED = {
    "labels mapped to classes": lambda: explain(square_detector, classes=["left", "right"]),
    "labels as they are": lambda: explain(square_detector),
    "string labels": lambda: explain(constant({**ONE, "labels": ["car"]})),
    "yolo float labels": lambda: explain(
        constant(np.array([[0, 0, 10, 10, 0.9, 1.0], [5, 5, 20, 20, 0.4, 0.0]])), classes=["a", "b"]
    ),
    "records": lambda: explain(constant([{"box": [0, 0, 10, 10], "score": 0.9, "label": "cat"}]), classes=["cat"]),
    "class scores": lambda: explain(constant({**ONE, "class_scores": [[0.2, 0.8]]})),
    "torch tensors": lambda: explain(torch_output, classes=["left", "right"]),
    "nothing detected, no classes": lambda: explain(nothing, [scene(), scene((9, 5))]),
    "nothing detected, with classes": lambda: explain(nothing, classes=["car"]),
    "images of several sizes and channels": lambda: explain(
        square_detector, [scene(), scene((30, 70))[:, :, :1], np.dstack([scene((20, 20)), np.full((20, 20), 255)])]
    ),
    "1 x 1 and 1 x 300 images": lambda: explain(
        constant({"boxes": [[0, 0, 1, 1]], "scores": [0.5], "labels": [0]}),
        [np.zeros((1, 1, 3), np.uint8), np.zeros((1, 300, 3), np.uint8)],
        mask_res=(2, 2),
    ),
    "integral int64 images": lambda: explain(square_detector, [scene().astype(np.int64)]),
    "boolean classes": lambda: explain(constant({**ONE, "labels": [1]}), classes=[False, True]),
    "numeric classes": lambda: explain(constant({**ONE, "labels": [1]}), classes=[10, 20]),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_everything_explain_accepts_shows_saves_and_loads(case, tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.RaiWidgetWarning)  # "the detector found nothing in image i"
        exp = ACCEPTED[case]()
    back = rw.load(exp.save(tmp_path / "exp"))
    assert back.detections == exp.detections and back.output_names == exp.output_names
    for e in (exp, back):
        dash = e.show()
        assert dash.kind == "detection" and dash.meta["n_rows"] == len(exp)
        assert [len(d) for d in dash.meta["detections"]] == [len(d) for d in exp.detections]
        dash.save_html(tmp_path / "report.html")
        assert e.cohort_columns().equals(exp.cohort_columns())
    assert all(d["label"] in exp.output_names for dets in exp.detections for d in dets)


# --- damaged or tampered files -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    exp = explain(square_detector, [scene(), scene((30, 30), [(2, 2, 12, 12)])], classes=["left", "right"])
    return exp.save(tmp_path_factory.mktemp("saved") / "det")


def _tamper(path, out, **changes):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["__meta__"]))
    for key, value in changes.items():
        if key.startswith("meta_"):
            meta[key[5:]] = value
        else:
            arrays[key] = value
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez_compressed(out, **arrays)
    return out


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"boxes_0": np.zeros((2, 3))}, r"missing|boxes|box"),
        ({"boxes_0": np.array([[0, 0, np.nan, 4], [0, 0, 1, 1]])}, r"detection 0 of image 0 has box \[0.0, 0.0, nan"),
        ({"boxes_0": np.array([[5, 0, 1, 4], [0, 0, 1, 1]])}, r"detection 0 of image 0 has box .*x1 >= x0"),
        ({"scores_1": np.array([np.inf])}, r"detection 0 of image 1 has score inf; scores must be finite"),
        (
            {"labels_0": np.array(["left", "zebra"])},
            r"detection 1 of image 0 has label 'zebra', which is not an output",
        ),
        ({"labels_1": np.array([7])}, r"detection 0 of image 1 has label 7"),
        (
            {"saliency_0": np.zeros((1, 40, 60), np.float32)},
            r"saliency\[0\] has shape \(1, 40, 60\), not \(2, 40, 60\)",
        ),
        ({"saliency_1": np.full((1, 30, 30), np.nan, np.float32)}, r"saliency\[1\] has NaN or infinite values"),
        ({"saliency_1": np.zeros((1, 30, 31), np.float32)}, r"saliency\[1\] has shape \(1, 30, 31\)"),
        ({"image_1": np.zeros((30, 30, 3))}, r"image 1 is a float64 array of shape \(30, 30, 3\)"),
        ({"model_output": np.zeros((2, 3))}, r"model_output has shape \(2, 3\), not \(2, 2\)"),
        ({"model_output": np.full((2, 2), np.nan)}, r"model_output has NaN"),
        ({"meta_output_names": ["left", "left"]}, r"output_names names 'left' more than once"),
        ({"meta_params": "none"}, r"params must be a dict"),
    ],
)
def test_a_tampered_detection_file_does_not_load(saved, tmp_path, changes, message):
    path = _tamper(saved, tmp_path / "bad.npz", **changes)
    with pytest.raises(rw.ExplanationFileError, match=message):
        rw.load(path)
