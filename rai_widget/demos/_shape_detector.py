"""The detection demo's detector: a CenterNet-style CNN (a class heatmap, box size and centre offset on a
grid of stride 4), ~80k parameters, trained on CPU in two to three minutes on the generated scenes. Its
weights ship in ``rai_widget/demos/data/detector.npz`` (plain arrays, no pickle); ``train_detector``
regenerates them deterministically. Needs torch.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from rai_widget.demos import MissingExtraError
from rai_widget.demos._scenes import CLASSES, EVAL_SEED, SCENE_SIZE, Scene, _iou, evaluate, make_scene, make_scenes

EXTRA = "demo-full"
STRIDE = 4
WEIGHTS = Path(__file__).parent / "data" / "detector.npz"


def _torch():
    try:
        import torch
    except ImportError:
        raise MissingExtraError(
            'The detection demo trains and runs a small torch CNN: pip install "rai-widget[demo-full]" '
            "(or any torch >= 2.2).",
            EXTRA,
        ) from None
    return torch


# Layers as (in, out, stride, dilation) 3x3 convolutions, each followed by batch norm and ReLU, then a 1x1 head.
LAYERS = ((3, 16, 1, 1), (16, 24, 2, 1), (24, 32, 2, 1), (32, 48, 1, 1), (48, 48, 1, 2), (48, 48, 1, 4), (48, 32, 1, 1))
HEAD = len(CLASSES) + 4  # class heatmap logits, log box size (w, h) in cells, centre offset (x, y) in cells


def build_net():
    """The untrained network: images (B, 3, H, W) scaled to about [-2, 2] -> (B, 7, H/4, W/4)."""
    nn = _torch().nn
    layers: list = []
    for cin, cout, stride, dilation in LAYERS:
        layers += [
            nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
        ]
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
        local_max = np.max([padded[dy : dy + gh, dx : dx + gw] for dy in range(3) for dx in range(3)], axis=0)
        ys, xs = np.nonzero((best >= local_max) & (best >= self.score_threshold))
        order = np.argsort(-best[ys, xs], kind="stable")[: self.max_detections * 2]
        ys, xs = ys[order], xs[order]
        wh = np.exp(np.clip(raw[k : k + 2, ys, xs], -3, 4)) * STRIDE
        cx = (xs + raw[k + 2, ys, xs]) * STRIDE
        cy = (ys + raw[k + 3, ys, xs]) * STRIDE
        boxes = np.stack([cx - wh[0] / 2, cy - wh[1] / 2, cx + wh[0] / 2, cy + wh[1] / 2], axis=1)
        boxes = np.clip(boxes, 0, [size[1], size[0], size[1], size[0]])
        keep = _nms(boxes, 0.5)[: self.max_detections]
        ys, xs, boxes = ys[keep], xs[keep], boxes[keep]
        return {
            "boxes": boxes,
            "scores": best[ys, xs].astype(np.float64),
            "labels": heat[:, ys, xs].argmax(axis=0),
            "class_scores": heat[:, ys, xs].T.astype(np.float64),
        }


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
            g = np.exp(-((gx - ix) ** 2 + (gy - iy) ** 2) / (2 * sigma**2))
            heat[i, label] = np.maximum(heat[i, label], g)
            reg[i, :, iy, ix] = (math.log(w), math.log(h), cx - ix, cy - iy)
            where[i, iy, ix] = True
    return heat, reg, where


def _loss(torch, out, heat, reg, where):
    k = len(CLASSES)
    p = torch.sigmoid(out[:, :k]).clamp(1e-4, 1 - 1e-4)
    pos = heat == 1
    # CenterNet's focal loss: peaks pulled to 1, the rest pushed to 0 less hard near a peak
    focal = torch.where(pos, (1 - p) ** 2 * torch.log(p), (1 - heat) ** 4 * p**2 * torch.log(1 - p))
    n = pos.sum().clamp(min=1)
    box = (
        torch.nn.functional.l1_loss(
            out[:, k:].permute(0, 2, 3, 1)[where], reg.permute(0, 2, 3, 1)[where], reduction="sum"
        )
        / n
    )
    return -focal.sum() / n + box


def _bar(total, desc, show):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="step", disable=not show)


def train_detector(
    out: Path | str = WEIGHTS,
    steps: int = 800,
    batch_size: int = 32,
    lr: float = 4e-3,
    seed: int = 0,
    eval_scenes: int = 300,
    progress: bool = True,
    echo=print,
) -> dict:
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
        metrics.update(
            train_seconds=round(seconds, 1), steps=steps, batch_size=batch_size, seed=seed, torch=torch.__version__
        )
        save_detector(net, out, metrics)
        echo(
            f"trained in {seconds:.0f} s; on {eval_scenes} fresh scenes: precision {metrics['precision']:.3f}, "
            f"recall {metrics['recall']:.3f} at IoU >= 0.5; weights: {out}"
        )
        return metrics
    finally:
        torch.set_num_threads(threads)


def save_detector(net, path: Path | str, metrics: dict) -> Path:
    """Weights as float32 arrays named like the state dict, batch-norm statistics included, and the metrics as
    JSON text: an .npz that loads without pickle."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        name: t.detach().numpy().astype(np.float32)
        for name, t in net.state_dict().items()
        if not name.endswith("num_batches_tracked")
    }
    meta = {"classes": list(CLASSES), "scene_size": SCENE_SIZE, "stride": STRIDE, "layers": LAYERS, "metrics": metrics}
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
