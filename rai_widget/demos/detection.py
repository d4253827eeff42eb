"""Detection demo: a small shape detector, trained here on synthetic scenes, explained with D-RISE, offline.

Scenes (numpy, generated from a seed): filled circles, squares and triangles of random colour, size and
rotation on a noisy gradient background, with clutter that is *not* an object: hollow shapes (the outlines
of the same three shapes), lines (some crossing the shapes) and dots, in the same colours. The detector is
a CenterNet-style CNN (a class heatmap, box size and centre offset on a grid of stride 4), ~80k parameters,
trained on CPU in two to three minutes. Its weights ship in ``rai_widget/demos/data/detector.npz`` (plain
arrays, no pickle), so nothing is downloaded or retrained; ``python -m rai_widget.demos.detection --retrain``
regenerates them deterministically.

Needs torch (``pip install "rai-widget[demo-full]"``); the scene generator and the scoring are numpy only.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rai_widget.demos import save_explanation

TITLE = "rai-widget demo: what a shape detector looks at (D-RISE)"
REPORT = "detection_report.html"
EXTRA = "demo-full"

CLASSES = ("circle", "square", "triangle")
SCENE_SIZE = 96
STRIDE = 4
WEIGHTS = Path(__file__).parent / "data" / "detector.npz"
# Fresh scenes for accuracy figures: never drawn in training (training seeds are 0, 1, 2, ...; see train_detector).
EVAL_SEED = 1_000_003
DEMO_SEED = 2_000_003


# --- scenes (numpy only) -------------------------------------------------------------------------------------

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
        t = np.clip(((xx - x0) * (x1 - x0) + (yy - y0) * (y1 - y0)) / length ** 2, 0, 1)
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
    return {"precision": float(tp.sum() / max(tp.sum() + fp.sum(), 1)),
            "recall": float(tp.sum() / max(n_true.sum(), 1)), "iou": iou, "scenes": len(scenes),
            "objects": int(n_true.sum()), "true_positives": int(tp.sum()), "false_positives": int(fp.sum()),
            "per_class": per_class}


# --- the detector (torch) ------------------------------------------------------------------------------------

def _torch():
    try:
        import torch
    except ImportError:
        err = ImportError('The detection demo trains and runs a small torch CNN: pip install "rai-widget[demo-full]" '
                          '(or any torch >= 2.2).')
        err.extra = EXTRA
        raise err from None
    return torch


# Layers as (in, out, stride, dilation) 3x3 convolutions, each followed by batch norm and ReLU, then a 1x1 head.
LAYERS = ((3, 16, 1, 1), (16, 24, 2, 1), (24, 32, 2, 1), (32, 48, 1, 1), (48, 48, 1, 2), (48, 48, 1, 4), (48, 32, 1, 1))
HEAD = len(CLASSES) + 4  # class heatmap logits, log box size (w, h) in cells, centre offset (x, y) in cells


def build_net():
    """The untrained network: images (B, 3, H, W) scaled to about [-2, 2] -> (B, 7, H/4, W/4)."""
    nn = _torch().nn
    layers: list = []
    for cin, cout, stride, dilation in LAYERS:
        layers += [nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
                   nn.BatchNorm2d(cout), nn.ReLU()]
    head = nn.Conv2d(LAYERS[-1][1], HEAD, 1)
    nn.init.constant_(head.bias[: len(CLASSES)], -4.0)  # start with "nothing here" (CenterNet's prior)
    return nn.Sequential(*layers, head)


def _to_tensor(torch, images):
    """(B, 3, H, W) float32 around 0 from a list of HxWx3 uint8 images."""
    x = torch.from_numpy(np.ascontiguousarray(np.stack(images))).permute(0, 3, 1, 2).float()
    return (x - 127.5) / 64.0


class ShapeDetector:
    """The trained CNN as a D-RISE-ready detector: ``detector(list of HxWx3 uint8) -> list of dicts`` with
    ``"boxes"`` (m, 4) xyxy in pixels, ``"scores"`` (m,), ``"labels"`` (m,) indices into CLASSES and
    ``"class_scores"`` (m, 3), the heatmap of every class at the detection's centre (so D-RISE can tell a
    detection that changed its mind about the class from one that vanished).

    A detection is a local maximum (3x3) of the heatmap's best class, scoring at least `score_threshold`;
    boxes overlapping a better one by IoU > 0.5 are dropped. Any image size works (fully convolutional).

    >>> detector = load_detector()
    >>> scene = make_scenes(1)[0]
    >>> detector([scene.image])[0]["labels"], scene.labels
    """

    classes = CLASSES

    def __init__(self, net, score_threshold: float = 0.3, max_detections: int = 20):
        self.net = net.eval()
        self.score_threshold = float(score_threshold)
        self.max_detections = int(max_detections)

    def __call__(self, images) -> list[dict]:
        torch = _torch()
        images = [np.asarray(im) for im in images]
        out: list = [None] * len(images)
        by_size: dict = {}
        for i, im in enumerate(images):
            if im.ndim != 3 or im.shape[2] != 3:
                raise ValueError(f"image {i} must be (H, W, 3) uint8 RGB; got shape {im.shape}.")
            by_size.setdefault(im.shape, []).append(i)
        for idx in by_size.values():
            with torch.inference_mode():
                raw = self.net(_to_tensor(torch, [images[i] for i in idx])).numpy()
            for i, r in zip(idx, raw, strict=True):
                out[i] = self._decode(r, images[i].shape[:2])
        return out

    def _decode(self, raw: np.ndarray, size: tuple[int, int]) -> dict:
        k = len(CLASSES)
        heat = 1 / (1 + np.exp(-raw[:k]))
        best = heat.max(axis=0)
        padded = np.pad(best, 1, constant_values=-1)
        gh, gw = best.shape
        local_max = np.max([padded[dy:dy + gh, dx:dx + gw] for dy in range(3) for dx in range(3)], axis=0)
        ys, xs = np.nonzero((best >= local_max) & (best >= self.score_threshold))
        order = np.argsort(-best[ys, xs], kind="stable")[: self.max_detections * 2]
        ys, xs = ys[order], xs[order]
        wh = np.exp(np.clip(raw[k:k + 2, ys, xs], -3, 4)) * STRIDE
        cx = (xs + raw[k + 2, ys, xs]) * STRIDE
        cy = (ys + raw[k + 3, ys, xs]) * STRIDE
        boxes = np.stack([cx - wh[0] / 2, cy - wh[1] / 2, cx + wh[0] / 2, cy + wh[1] / 2], axis=1)
        boxes = np.clip(boxes, 0, [size[1], size[0], size[1], size[0]])
        keep = _nms(boxes, 0.5)[: self.max_detections]
        ys, xs, boxes = ys[keep], xs[keep], boxes[keep]
        return {"boxes": boxes, "scores": best[ys, xs].astype(np.float64), "labels": heat[:, ys, xs].argmax(axis=0),
                "class_scores": heat[:, ys, xs].T.astype(np.float64)}


def _nms(boxes: np.ndarray, iou: float) -> list[int]:
    """Greedy non-maximum suppression over boxes sorted best first."""
    keep: list[int] = []
    overlap = _iou(boxes, boxes)
    for j in range(len(boxes)):
        if all(overlap[j, i] <= iou for i in keep):
            keep.append(j)
    return keep


# --- training ------------------------------------------------------------------------------------------------

def _targets(scenes: list[Scene], grid: int) -> tuple[np.ndarray, ...]:
    """CenterNet targets: per-class Gaussian heatmaps peaking at 1 on each object's centre cell, and at those
    cells the log box size and the centre's offset within the cell."""
    k = len(CLASSES)
    heat = np.zeros((len(scenes), k, grid, grid), np.float32)
    reg = np.zeros((len(scenes), 4, grid, grid), np.float32)
    where = np.zeros((len(scenes), grid, grid), bool)
    gy, gx = np.mgrid[0:grid, 0:grid]
    for i, scene in enumerate(scenes):
        for (x0, y0, x1, y1), label in zip(scene.boxes, scene.labels, strict=True):
            cx, cy, w, h = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE, (x1 - x0) / STRIDE, (y1 - y0) / STRIDE
            ix, iy = min(int(cx), grid - 1), min(int(cy), grid - 1)
            sigma = max(0.6, (w + h) / 12)
            g = np.exp(-((gx - ix) ** 2 + (gy - iy) ** 2) / (2 * sigma ** 2))
            heat[i, label] = np.maximum(heat[i, label], g)
            reg[i, :, iy, ix] = (math.log(w), math.log(h), cx - ix, cy - iy)
            where[i, iy, ix] = True
    return heat, reg, where


def _loss(torch, out, heat, reg, where):
    k = len(CLASSES)
    p = torch.sigmoid(out[:, :k]).clamp(1e-4, 1 - 1e-4)
    pos = heat == 1
    # CenterNet's focal loss: peaks pulled to 1, the rest pushed to 0 less hard near a peak
    focal = torch.where(pos, (1 - p) ** 2 * torch.log(p), (1 - heat) ** 4 * p ** 2 * torch.log(1 - p))
    n = pos.sum().clamp(min=1)
    box = torch.nn.functional.l1_loss(out[:, k:].permute(0, 2, 3, 1)[where], reg.permute(0, 2, 3, 1)[where],
                                      reduction="sum") / n
    return -focal.sum() / n + box


def _bar(total, desc, show):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", disable=not show)


def train_detector(out: Path | str = WEIGHTS, steps: int = 800, batch_size: int = 32, lr: float = 4e-3,
                   seed: int = 0, eval_scenes: int = 300, progress: bool = True, echo=print) -> dict:
    """Train the detector on fresh synthetic scenes and write its weights (plus its measured accuracy) to `out`.

    Deterministic: scenes of step s come from seed (seed, s); torch's seed is fixed and training runs on one
    thread, so the same torch version writes the same weights. ~2 minutes on one CPU core.

    >>> metrics = train_detector("detector.npz", steps=50)   # a quick, weak detector
    """
    torch = _torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    try:
        net = build_net()
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
        grid = SCENE_SIZE // STRIDE
        start = time.perf_counter()
        net.train()
        with _bar(steps, "training the shape detector", progress) as bar:
            for step in range(steps):
                rng = np.random.default_rng([seed, step])
                scenes = [make_scene(rng) for _ in range(batch_size)]
                heat, reg, where = (torch.from_numpy(a) for a in _targets(scenes, grid))
                x = _to_tensor(torch, [s.image for s in scenes])
                loss = _loss(torch, net(x), heat, reg, where)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                bar.update(1)
                if progress:
                    bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
        seconds = time.perf_counter() - start
        net.eval()
        metrics = evaluate(ShapeDetector(net), make_scenes(eval_scenes, EVAL_SEED))
        metrics.update(train_seconds=round(seconds, 1), steps=steps, batch_size=batch_size, seed=seed,
                       torch=torch.__version__)
        save_detector(net, out, metrics)
        echo(f"trained in {seconds:.0f} s; on {eval_scenes} fresh scenes: precision {metrics['precision']:.3f}, "
             f"recall {metrics['recall']:.3f} at IoU >= 0.5; weights: {out}")
        return metrics
    finally:
        torch.set_num_threads(threads)


def save_detector(net, path: Path | str, metrics: dict) -> Path:
    """Weights as float32 arrays named like the state dict, batch-norm statistics included, and the metrics as
    JSON text: an .npz that loads without pickle."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {name: t.detach().numpy().astype(np.float32) for name, t in net.state_dict().items()
              if not name.endswith("num_batches_tracked")}
    meta = {"classes": list(CLASSES), "scene_size": SCENE_SIZE, "stride": STRIDE, "layers": LAYERS,
            "metrics": metrics}
    np.savez_compressed(path, __meta__=np.array(json.dumps(meta, default=float)), **arrays)
    return path


def detector_info(path: Path | str = WEIGHTS) -> dict:
    """What the weights file says about itself: classes, training settings and the accuracy measured after
    training (numpy only)."""
    with np.load(path, allow_pickle=False) as f:
        return json.loads(str(f["__meta__"]))


def load_detector(path: Path | str = WEIGHTS, score_threshold: float = 0.3) -> ShapeDetector:
    """The shipped (or a retrained) detector, ready for rw.DetectionExplainer. Offline; no training.

    >>> detector = load_detector()
    >>> exp = rw.DetectionExplainer(detector, classes=CLASSES, num_masks=500).explain(images)
    """
    torch = _torch()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no detector weights at {path}: run `python -m rai_widget.demos.detection --retrain`.")
    net = build_net()
    with np.load(path, allow_pickle=False) as f:
        state = {name: torch.from_numpy(f[name]) for name in f.files if name != "__meta__"}
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ValueError(f"{path} does not fit this network: missing {missing}, unexpected {unexpected}.")
    return ShapeDetector(net, score_threshold=score_threshold)


# --- reading the maps ----------------------------------------------------------------------------------------

def saliency_summary(saliency: np.ndarray, box, others=()) -> dict:
    """Where one D-RISE map puts its weight, relative to its detection's box.

    The *hot region* is the map's most salient pixels, as many as the box holds (so a map that points exactly at
    its box has all of them inside, whatever the box's size). Returns `focus`, the share of the hot region inside
    the box; `in_others`, its share inside each box of `others` (the image's other detections); `peak` (x, y) and
    whether it is inside the box; `hot_centre` (x, y), the hot region's centroid.
    """
    sal = np.asarray(saliency, dtype=np.float64)

    def inside(b):
        x0, y0, x1, y1 = (int(round(v)) for v in b)
        m = np.zeros(sal.shape, dtype=bool)
        m[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
        return m.ravel()

    own = inside(box)
    hot = np.argsort(-sal.ravel(), kind="stable")[: max(int(own.sum()), 1)]
    hy, hx = np.unravel_index(hot, sal.shape)
    py, px = np.unravel_index(int(np.argmax(sal)), sal.shape)
    return {"focus": float(own[hot].mean()), "in_others": [float(inside(b)[hot].mean()) for b in others],
            "peak": (int(px), int(py)), "peak_inside": bool(own[hot[0]]),
            "hot_centre": (int(round(hx.mean())), int(round(hy.mean())))}


def describe(exp, image: int, truth: Scene | None = None) -> list[str]:
    """One line per detection of `image`: what it is, whether it is right (when `truth` is given), and which
    part of the image its D-RISE map relies on (see saliency_summary)."""
    dets = exp.detections[image]
    verdicts = [""] * len(dets)
    if truth is not None:
        labels = np.array([CLASSES.index(d["label"]) for d in dets], dtype=int)
        boxes = np.array([d["box"] for d in dets]).reshape(-1, 4)
        found = match(boxes, labels, truth.boxes, truth.labels)
        for j in range(len(dets)):
            if found[j] >= 0:
                verdicts[j] = " (right)"
                continue
            overlap = _iou(boxes[j:j + 1], truth.boxes)[0] if len(truth.boxes) else np.zeros(0)
            k = int(np.argmax(overlap)) if len(overlap) else -1
            verdicts[j] = (f" (WRONG: it is a {CLASSES[truth.labels[k]]})" if k >= 0 and overlap[k] >= 0.5
                           else " (WRONG: no object there)")
    lines = []
    for j, det in enumerate(dets):
        others = [d for i, d in enumerate(dets) if i != j]
        s = saliency_summary(exp.saliency[image][j], det["box"], [d["box"] for d in others])
        if s["focus"] >= 0.6:
            reading = "its own box"
        elif s["focus"] >= 0.3:
            reading = "partly its box, partly elsewhere"
        else:
            best = int(np.argmax(s["in_others"])) if others else -1
            reading = (f"the {others[best]['label']} at {_fmt_box(others[best]['box'])}, not its own box"
                       if best >= 0 and s["in_others"][best] >= 0.3
                       else f"pixels outside its box, around {s['hot_centre']}")
        lines.append(f"{det['label']:>8} {det['score']:.2f} at {_fmt_box(det['box'])}{verdicts[j]}: relies on "
                     f"{reading} ({s['focus']:.0%} of its hot region in the box; peak at {s['peak']}, "
                     f"{'inside' if s['peak_inside'] else 'outside'})")
    return lines


def _fmt_box(box) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in box) + "]"


# --- the demo ------------------------------------------------------------------------------------------------

def demo_scenes(detector, n: int = 3) -> list[Scene]:
    """The scenes the demo explains: the first `n` scenes of DEMO_SEED's stream, then the next one where the
    detector finds an object but names it wrongly (a wrong class at IoU >= 0.5), so there is a mistake to read."""
    rng = np.random.default_rng(DEMO_SEED)
    scenes = [make_scene(rng) for _ in range(n)]
    for _ in range(500):
        scene = make_scene(rng)
        out = detector([scene.image])[0]
        if len(out["scores"]) == 0 or len(scene.boxes) == 0:
            continue
        overlap = _iou(out["boxes"], scene.boxes)
        nearest = overlap.argmax(axis=1)
        if ((overlap.max(axis=1) >= 0.5) & (scene.labels[nearest] != out["labels"])).any():
            return scenes + [scene]
    return scenes


def run_demo(out_dir: Path, echo=print, num_masks: int = 500):
    """Load the shipped detector, report its accuracy on fresh scenes, explain a few scenes with D-RISE, print
    what each detection relies on, and save the explanation in `out_dir`. Returns the DetectionExplanation."""
    torch = _torch()
    import rai_widget as rw

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small CNN: one thread is as fast, and leaves the other cores alone
    try:
        info = detector_info()["metrics"]
        echo(f"Loading the shipped shape detector (CenterNet-style CNN, classes: {', '.join(CLASSES)}; trained "
             f"{info['steps']} steps on synthetic scenes) ...")
        detector = load_detector()
        fresh = make_scenes(200, seed=EVAL_SEED + 1)
        acc = evaluate(detector, fresh)
        echo(f"  on {acc['scenes']} fresh scenes ({acc['objects']} objects): precision {acc['precision']:.1%}, "
             f"recall {acc['recall']:.1%} at IoU >= 0.5 (class must match)")

        scenes = demo_scenes(detector)
        echo(f"\nExplaining {len(scenes)} scenes with D-RISE ({num_masks} random masks each; in the last one the "
             "detector names an object wrongly) ...")
        start = time.perf_counter()
        # batch_size="auto": this CPU model is fastest in small batches (about 4), not the default 32
        exp = rw.DetectionExplainer(detector, classes=CLASSES, num_masks=num_masks, mask_res=(8, 8),
                                    batch_size="auto", random_state=0).explain([s.image for s in scenes])
        echo(f"  {(time.perf_counter() - start) / len(scenes):.1f} s per scene")
        for i, scene in enumerate(scenes):
            truth = ", ".join(f"{CLASSES[k]} at {_fmt_box(b)}" for b, k in zip(scene.boxes, scene.labels, strict=True))
            echo(f"\nScene {i}: {len(exp.detections[i])} detections; truth: {truth}")
            for line in describe(exp, i, scene):
                echo("  " + line)
            boxes = np.array([d["box"] for d in exp.detections[i]]).reshape(-1, 4)
            overlap = _iou(scene.boxes, boxes).max(axis=1, initial=0.0)
            for k in np.flatnonzero(overlap < 0.5):  # no detection of any class on it
                echo(f"  missed: the {CLASSES[scene.labels[k]]} at {_fmt_box(scene.boxes[k])}")
        echo("\nReading the maps: a detection whose hot region sits in its own box relies on the object itself; a "
             "wrong label with a focused map means the detector looked at the right thing and misnamed it. Small "
             "objects (under a mask cell, here 12 px) need a finer grid, mask_res=(16, 16), and more masks.")
    finally:
        torch.set_num_threads(threads)

    save_explanation(exp, out_dir / "detection_explanation", echo)
    return exp


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rai_widget.demos.detection", description=__doc__.splitlines()[0])
    parser.add_argument("--retrain", action="store_true", help=f"train the detector again and write {WEIGHTS.name}")
    parser.add_argument("--steps", type=int, default=800, help="training steps of 32 scenes (default: %(default)s)")
    parser.add_argument("--weights", default=str(WEIGHTS), help="where --retrain writes (default: the shipped file)")
    parser.add_argument("--out", default="rai-widget-demo", help="folder for the demo's outputs (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.retrain:
        train_detector(args.weights, steps=args.steps)
        return 0
    exp = run_demo(Path(args.out))
    report = exp.save_html(Path(args.out) / REPORT, title=TITLE)
    print(f"Report: {report.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
