"""Synthetic scenes for the detection demo (numpy only), and how detections are scored against them.

Filled circles, squares and triangles of random colour, size and rotation on a noisy gradient background,
with clutter that is *not* an object: hollow shapes (the outlines of the same three shapes), lines (some
crossing the shapes) and dots, in the same colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CLASSES = ("circle", "square", "triangle")
SCENE_SIZE = 96
# Fresh scenes for accuracy figures: never drawn in training (training seeds are 0, 1, 2, ...; see train_detector).
EVAL_SEED = 1_000_003


@dataclass
class Scene:
    """One synthetic image and its ground truth: boxes (m, 4) xyxy, tight around the drawn pixels; labels (m,)
    indices into CLASSES."""

    image: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray


def _shape_mask(kind: str, size: float, angle: float, yy: np.ndarray, xx: np.ndarray, outline: float = 0.0):
    """Pixels (pixel centres yy, xx relative to the shape's centre) covered by a filled shape of the given size,
    or with `outline` > 0 by its outline only, that many pixels wide (a hollow shape)."""
    c, s = math.cos(angle), math.sin(angle)
    u, v = c * xx + s * yy, -s * xx + c * yy  # coordinates in the shape's frame
    if kind == "circle":
        depth = size / 2 - np.sqrt(u * u + v * v)  # distance inside the edge
    elif kind == "square":
        depth = size / 2 - np.maximum(np.abs(u), np.abs(v))
    elif kind == "triangle":  # equilateral, side `size`, centred on its centroid
        inradius = size / (2 * math.sqrt(3))
        depth = np.full(u.shape, np.inf, dtype=np.float32)
        for k in range(3):  # distance to each edge along its outward normal
            a = math.radians(90 + 120 * k)
            depth = np.minimum(depth, inradius + u * math.cos(a) + v * math.sin(a))
    else:
        raise ValueError(kind)
    return (depth >= 0) & (depth < outline) if outline > 0 else depth >= 0


def _colour(rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
    """A random colour at least a little away from the background (some are faint); shapes and clutter draw
    from the same colours, so colour never tells them apart."""
    for _ in range(100):
        rgb = rng.uniform(0, 255, 3)
        if np.abs(rgb - background).mean() >= 30:
            return rgb
    return 255 - background


def make_scene(rng: np.random.Generator, size: int = SCENE_SIZE, max_objects: int = 4) -> Scene:
    """One scene: 1 to `max_objects` filled shapes (10 to 30 px, not overlapping) among clutter that is not an
    object: hollow shapes (outlines of circles, squares and triangles), lines (some across the shapes) and dots,
    on a noisy gradient."""
    h = w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    base = rng.uniform(0, 160, 3)
    slope = rng.uniform(-40, 40, (2, 3)) / size
    img = base + (yy[..., None] - h / 2) * slope[0] + (xx[..., None] - w / 2) * slope[1]
    img = img + rng.normal(0, rng.uniform(4, 20), (h, w, 3))

    def paint(mask, colour):
        img[mask] = colour + rng.normal(0, 6, (int(mask.sum()), 3))

    def line():
        (x0, y0), (x1, y1) = rng.uniform(0, size, (2, 2))
        length = max(math.hypot(x1 - x0, y1 - y0), 1e-6)
        t = np.clip(((xx - x0) * (x1 - x0) + (yy - y0) * (y1 - y0)) / length**2, 0, 1)
        paint(np.hypot(xx - x0 - t * (x1 - x0), yy - y0 - t * (y1 - y0)) <= rng.uniform(0.6, 1.3), _colour(rng, base))

    for _ in range(rng.integers(0, 4)):  # lines and dots behind everything
        line()
    for _ in range(rng.integers(0, 6)):
        cx, cy = rng.uniform(0, size, 2)
        paint(np.hypot(xx - cx, yy - cy) <= rng.uniform(1.2, 3.0), _colour(rng, base))

    taken: list[tuple[float, float, float, float]] = []

    def place(extent: float):
        for _ in range(50):
            cx, cy = rng.uniform(extent / 2 + 1, size - extent / 2 - 1, 2)
            box = (cx - extent / 2 - 2, cy - extent / 2 - 2, cx + extent / 2 + 2, cy + extent / 2 + 2)
            if all(box[2] <= b[0] or b[2] <= box[0] or box[3] <= b[1] or b[3] <= box[1] for b in taken):
                taken.append(box)
                return cx, cy
        return None

    def shape(label: int, outline: float = 0.0):
        side = rng.uniform(10, 30)
        angle = rng.uniform(0, 2 * math.pi) if label != 1 else rng.uniform(-0.3, 0.3)
        where = place(side * (1.45 if label == 1 else 1.0))  # a rotated square reaches further out
        if where is None:
            return None
        mask = _shape_mask(CLASSES[label], side, angle, yy - where[1], xx - where[0], outline)
        paint(mask, _colour(rng, base))
        ys, xs = np.nonzero(mask)
        return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]

    boxes, labels = [], []
    for _ in range(rng.integers(1, max_objects + 1)):
        label = int(rng.integers(len(CLASSES)))
        box = shape(label)
        if box is not None:
            boxes.append(box)
            labels.append(label)
    for _ in range(rng.integers(0, 3)):  # hollow shapes: the right outline, but not an object
        shape(int(rng.integers(len(CLASSES))), outline=rng.uniform(1.5, 3.0))
    for _ in range(rng.integers(0, 3)):  # lines in front: some cross the shapes
        line()
    image = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return Scene(image, np.array(boxes, dtype=np.float64).reshape(-1, 4), np.array(labels, dtype=np.int64))


def make_scenes(n: int, seed: int = EVAL_SEED, size: int = SCENE_SIZE) -> list[Scene]:
    """`n` scenes from one seed: the same seed gives the same scenes."""
    rng = np.random.default_rng(seed)
    return [make_scene(rng, size) for _ in range(n)]


# --- scoring (numpy only) ------------------------------------------------------------------------------------


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from rai_widget.explainers.detection import box_iou

    return box_iou(np.asarray(a, dtype=np.float64).reshape(-1, 4), np.asarray(b, dtype=np.float64).reshape(-1, 4))


def match(boxes, labels, true_boxes, true_labels, iou: float = 0.5) -> np.ndarray:
    """For each detection (in the order given, best score first), the index of the ground-truth object it finds
    (same class, IoU >= `iou`, each object found at most once), or -1 (a false positive)."""
    found = np.full(len(boxes), -1)
    if len(boxes) == 0 or len(true_boxes) == 0:
        return found
    overlap = _iou(boxes, true_boxes)
    used = np.zeros(len(true_boxes), dtype=bool)
    for j in range(len(boxes)):
        ok = (overlap[j] >= iou) & ~used & (np.asarray(true_labels) == labels[j])
        if ok.any():
            k = int(np.argmax(np.where(ok, overlap[j], -1)))
            found[j], used[k] = k, True
    return found


def evaluate(detector, scenes: list[Scene], iou: float = 0.5) -> dict:
    """Precision and recall at IoU >= `iou` (a detection counts when its class is right too), overall and per
    class, with the counts behind them."""
    outputs = detector([s.image for s in scenes])
    tp = np.zeros(len(CLASSES), int)
    fp = np.zeros(len(CLASSES), int)
    n_true = np.zeros(len(CLASSES), int)
    for scene, out in zip(scenes, outputs, strict=True):
        order = np.argsort(-np.asarray(out["scores"]), kind="stable")
        labels = np.asarray(out["labels"])[order]
        found = match(np.asarray(out["boxes"])[order], labels, scene.boxes, scene.labels, iou)
        np.add.at(tp, labels[found >= 0], 1)
        np.add.at(fp, labels[found < 0], 1)
        np.add.at(n_true, scene.labels, 1)
    per_class = {
        name: {"precision": float(tp[k] / max(tp[k] + fp[k], 1)), "recall": float(tp[k] / max(n_true[k], 1))}
        for k, name in enumerate(CLASSES)
    }
    return {
        "precision": float(tp.sum() / max(tp.sum() + fp.sum(), 1)),
        "recall": float(tp.sum() / max(n_true.sum(), 1)),
        "iou": iou,
        "scenes": len(scenes),
        "objects": int(n_true.sum()),
        "true_positives": int(tp.sum()),
        "false_positives": int(fp.sum()),
        "per_class": per_class,
    }
