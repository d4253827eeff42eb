"""What D-RISE reads from a detector: the images it takes and the detections it returns, checked.

A detector is any callable on a list of HxWxC uint8 images returning, per image, boxes (xyxy), scores,
labels and optionally per-class scores, in one of several common layouts (dicts, torchvision-style
records, YOLO-style arrays); `parse_detections` turns each into `Detections` or says what is wrong.
numpy only: tensors are read through their own `.detach()`, without importing torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rai_widget._checks import plain
from rai_widget._errors import ModelPredictError
from rai_widget.explanations.image import shown

# --- images ---------------------------------------------------------------------------------------


def check_images(images) -> list[np.ndarray]:
    """A list of HxWxC uint8 arrays (C in 1, 3, 4), or a clear error."""
    if isinstance(images, np.ndarray):
        if images.ndim != 4:
            raise ValueError(
                f"images must be an (n, H, W, C) uint8 array or a list of (H, W, C) arrays; got an array of shape "
                f"{images.shape}. For one image pass [image] or image[None]."
            )
        images = list(images)
    elif not isinstance(images, (list, tuple)):
        raise TypeError(
            f"images must be an (n, H, W, C) uint8 array or a list of (H, W, C) arrays, not {type(images)}."
        )
    if len(images) == 0:
        raise ValueError("images is empty: pass at least one image.")
    out = []
    for i, img in enumerate(images):
        try:
            arr = np.asarray(img)
        except ValueError as err:  # numpy: a ragged nested list
            raise ValueError(f"image {i} is not a rectangular array of pixels ({err}).") from None
        if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
            raise ValueError(
                f"image {i} must be (H, W, C) with C in 1, 3 or 4 channels (HWC, not CHW); got shape {arr.shape}."
            )
        if min(arr.shape[:2]) < 1:
            raise ValueError(f"image {i} is empty: shape {arr.shape}.")
        if arr.dtype != np.uint8:
            if arr.dtype.kind not in "iuf":
                raise ValueError(f"image {i} must be uint8 (0-255); got dtype {arr.dtype}.")
            if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                raise ValueError(f"image {i} has NaN or infinite values: images are uint8 (0-255).")
            lo, hi = float(np.min(arr)), float(np.max(arr))
            if lo < 0 or hi > 255 or not np.array_equal(arr, np.round(arr)):
                hint = (
                    " It looks like floats in [0, 1]: pass (image * 255).round().astype(np.uint8)."
                    if lo >= 0 and hi <= 1
                    else ""
                )
                raise ValueError(
                    f"image {i} must be uint8 (0-255); got {arr.dtype} with values in [{lo:g}, {hi:g}].{hint}"
                )
            arr = arr.astype(np.uint8)  # integral values in 0..255: lossless
        out.append(arr)
    return out


# --- detector outputs ---------------------------------------------------------------------------


@dataclass
class Detections:
    """One image's detections as arrays: boxes (m, 4) xyxy, scores (m,), labels (m,), class_scores (m, k)."""

    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    class_scores: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.scores)


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def _numbers(value, name: str, where: str) -> np.ndarray:
    """An array of real numbers as float64; strings, booleans, None or ragged lists are a TypeError naming `name`."""
    try:
        arr = _to_numpy(value)
    except ValueError:  # numpy: a ragged nested list
        raise TypeError(f"{where}: {name} is a ragged list; it must be a rectangular array of numbers.") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{where}: {name} must be numbers, not {arr.dtype} values ({shown(arr.ravel()[:3])}...).")
    return arr.astype(np.float64)


def _not_finite(arr: np.ndarray, name: str, where: str) -> ValueError | None:
    """A ValueError naming the first detection whose `name` has NaN or inf, or None when all are finite."""
    bad = ~np.isfinite(arr)
    if not bad.any():
        return None
    rows = np.flatnonzero(bad.reshape(len(arr), -1).any(axis=1))
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    return ValueError(
        f"{where}: the {name} of detection {rows[0]} is NaN or infinite ({shown(arr[rows[0]])}){more}; boxes, "
        "scores and class_scores must be finite numbers."
    )


def _labels(values: np.ndarray, where: str) -> np.ndarray:
    """Integral numbers as int64 (YOLO arrays carry labels as floats), strings as strings; anything else (None,
    NaN, 1.5, lists) is a TypeError / ValueError: a label is a class index or a class name."""
    if values.dtype.kind in "iub":
        return values.astype(np.int64)
    if values.dtype.kind == "f":
        ok = np.isfinite(values) & (values == np.round(values))
        if not ok.all():
            j = int(np.flatnonzero(~ok)[0])
            raise ValueError(
                f"{where}: detection {j} has label {shown(values[j])}; labels are class indices (integers) or names."
            )
        return values.astype(np.int64)
    if values.dtype.kind in "US":
        return values.astype(str)
    items = [plain(v) for v in values.tolist()]
    bad = [j for j, v in enumerate(items) if not isinstance(v, (str, int, float)) or isinstance(v, bool)]
    if bad:
        j = bad[0]
        raise TypeError(
            f"{where}: detection {j} has label {shown(items[j])} ({type(items[j]).__name__}); labels are class "
            "indices (integers) or class names (strings)."
        )
    if all(not isinstance(v, str) for v in items):  # numbers (records' labels): integral ones, as above
        return _labels(np.array(items, dtype=np.float64).reshape(len(items)), where)
    return np.array([str(v) for v in items], dtype=str).reshape(len(items))


def parse_detections(output, where: str = "detector output") -> Detections:
    """One image's detector output -> Detections; raises ValueError naming what is wrong.

    Accepted forms: a dict {"boxes": (m, 4) xyxy, "scores": (m,), "labels": (m,)} with an optional
    "class_scores": (m, k), of numpy arrays, lists or torch tensors (torchvision's detectors); a list
    of {"box", "score", "label"} dicts (rai-widget's own form); an (m, 6) array or tensor of rows
    [x0, y0, x1, y1, score, label] (YOLO style); or an object with ``.boxes.xyxy / .conf / .cls``
    (ultralytics' Results).
    """
    if hasattr(output, "boxes") and hasattr(output.boxes, "xyxy"):  # ultralytics Results
        b = output.boxes
        output = {"boxes": b.xyxy, "scores": b.conf, "labels": b.cls}
    if isinstance(output, (list, tuple)) and all(isinstance(d, dict) for d in output):
        for j, d in enumerate(output):
            missing = [key for key in ("box", "score", "label") if key not in d]
            if missing:
                raise ValueError(
                    f"{where}: detection {j} has no {missing[0]!r} key; got keys {sorted(d)}. "
                    "Each detection needs 'box' [x0, y0, x1, y1], 'score' and 'label'."
                )
        records = output
        for j, d in enumerate(records):
            box = _numbers(d["box"], f"box of detection {j}", where)
            if box.shape != (4,):
                raise ValueError(f"{where}: detection {j} has box {shown(d['box'])}; a box is [x0, y0, x1, y1].")
            for key in ("score", "label"):
                if np.ndim(_to_numpy(d[key])) != 0:
                    raise TypeError(f"{where}: detection {j} has {key} {shown(d[key])}; it must be one value.")
        output = {
            "boxes": np.array([_numbers(d["box"], "box", where) for d in records]).reshape(-1, 4),
            "scores": np.array([_numbers(d["score"], f"score of detection {j}", where) for j, d in enumerate(records)]),
            "labels": np.array([plain(_to_numpy(d["label"]).item()) for d in records], dtype=object),
        }
    if isinstance(output, dict):
        for key in ("boxes", "scores", "labels"):
            if key not in output:
                raise ValueError(
                    f"{where} has no {key!r} key; got keys {sorted(map(str, output))}. Expected "
                    "{'boxes': (m, 4) xyxy, 'scores': (m,), 'labels': (m,)}."
                )
        boxes = _numbers(output["boxes"], "boxes", where)
        scores = _numbers(output["scores"], "scores", where)
        try:
            labels = _to_numpy(output["labels"])
        except ValueError:
            raise TypeError(f"{where}: labels is a ragged list; give one label per box.") from None
        class_scores = output.get("class_scores")
        class_scores = None if class_scores is None else _numbers(class_scores, "class_scores", where)
    else:
        arr = _to_numpy(output)
        if arr.dtype.kind not in "iuf" or arr.ndim != 2 or arr.shape[1] != 6:
            raise ValueError(
                f"{where} must be a dict with 'boxes', 'scores', 'labels', a list of detection dicts, "
                f"or an (m, 6) array [x0, y0, x1, y1, score, label]; got {_describe(output)}."
            )
        arr = arr.astype(np.float64)
        boxes, scores, labels, class_scores = arr[:, :4], arr[:, 4], arr[:, 5], None
    if boxes.size == 0 and boxes.ndim < 2:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{where}: boxes must be (m, 4) xyxy; got {boxes.shape}.")
    m = len(boxes)
    if scores.shape != (m,):
        raise ValueError(f"{where}: scores must be ({m},), one per box; got {scores.shape}.")
    if labels.shape != (m,):
        raise ValueError(f"{where}: labels must be ({m},), one per box; got {labels.shape}.")
    if class_scores is not None and (class_scores.ndim != 2 or len(class_scores) != m):
        raise ValueError(f"{where}: class_scores must be ({m}, k), one row per box; got {class_scores.shape}.")
    fields: list[tuple[str, np.ndarray | None]] = [("box", boxes), ("score", scores), ("class_scores", class_scores)]
    for name, values in fields:
        err = None if values is None else _not_finite(values, name, where)
        if err is not None:
            raise err
    if np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1]):
        j = int(np.flatnonzero((boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1]))[0])
        raise ValueError(
            f"{where}: box {j} is {boxes[j].tolist()}, but boxes must be xyxy with x1 >= x0 and "
            "y1 >= y0 (convert xywh or cxcywh boxes to xyxy)."
        )
    return Detections(boxes, scores, _labels(labels, where), class_scores)


def _describe(value) -> str:
    shape = getattr(value, "shape", None)
    return f"{type(value).__name__} of shape {tuple(shape)}" if shape is not None else type(value).__name__


def run_detector(detector: Callable, images: list[np.ndarray], where: str) -> list[Detections]:
    """Call the detector on a list of images; one Detections per image. The detector raising is a
    ModelPredictError (the original error chained)."""
    try:
        outputs = detector(images)
    except Exception as err:  # noqa: BLE001  (the user's detector: report it as theirs, keep the original)
        raise ModelPredictError(
            f"the detector raised {type(err).__name__} on a batch of {len(images)} {where}(s): {err}. Check that it "
            "takes a list of (H, W, C) uint8 arrays."
        ) from err
    if isinstance(outputs, dict) or not hasattr(outputs, "__len__"):
        raise ValueError(f"the detector must return a list with one output per image; got {_describe(outputs)}.")
    if len(outputs) != len(images):
        raise ValueError(
            f"the detector returned {len(outputs)} outputs for {len(images)} images ({where}); "
            "it must return one output per image."
        )
    return [parse_detections(out, f"detector output for {where} {j}") for j, out in enumerate(outputs)]
