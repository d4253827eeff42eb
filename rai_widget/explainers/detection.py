"""D-RISE: saliency maps for any object detector, from its inputs and outputs alone.

Petsiuk et al., "Black-box Explanation of Object Detectors via Saliency Maps" (CVPR 2021). For each
image: N random binary grids at `mask_res` (each cell kept with probability `keep_prob`) are
bilinearly upsampled with a random sub-cell shift, the image is multiplied by each mask and run
through the detector. For a target detection d_t, the weight of mask i is the best match among the
masked image's detections d_j of IoU(box_t, box_j) x score_j x cos(class_t, class_j), and the
saliency map is the weighted sum of the masks.

numpy only: the detector is any callable, so this module never imports torch.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from tqdm.auto import tqdm

from rai_widget._checks import check_classes, check_progress, plain
from rai_widget._warnings import RaiWidgetWarning
from rai_widget.explainers._detection_checks import SUBSETS, SubsetSums, convergence
from rai_widget.explainers._detections import (  # noqa: F401  (parse_detections is part of this module's API)
    Detections,
    check_images,
    parse_detections,
    run_detector,
)
from rai_widget.explanations import DetectionExplanation
from rai_widget.explanations.image import shown

# Show a progress bar by default from this many detector evaluations (masks x images) on.
PROGRESS_MIN_EVALS = 5_000
# batch_size="auto": the largest batch it tries, and a bound on the masks' memory per batch (float32 masks plus
# the masked uint8 copies), so large images get smaller batches.
AUTO_MAX_BATCH = 64
AUTO_MAX_BYTES = 256 * 2**20
_clock = time.perf_counter  # replaced by a fake clock in tests


# --- the constructor's arguments -----------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _count(value, name: str, alternative: str | None = None) -> int:
    """A positive integer (or, for batch_size, the word `alternative`), else a TypeError / ValueError naming it."""
    what = "a positive integer" + (f" or {alternative!r}" if alternative else "")
    if isinstance(value, str) or _is_int(value):
        if isinstance(value, str) or value < 1:
            raise ValueError(f"{name} must be {what}; got {shown(value)}.")
        return int(value)
    raise TypeError(f"{name} must be {what}, not {shown(value)} ({type(value).__name__}).")


def _mask_res(mask_res) -> tuple[int, int]:
    if _is_int(mask_res):
        res: tuple = (mask_res, mask_res)
    elif isinstance(mask_res, (tuple, list, np.ndarray)):
        res = tuple(plain(mask_res))
    else:
        raise TypeError(f"mask_res must be (rows, cols) of positive integers, or one integer; got {shown(mask_res)}.")
    if len(res) != 2 or not all(_is_int(r) for r in res):
        raise TypeError(f"mask_res must be (rows, cols) of positive integers, or one integer; got {shown(res)}.")
    if min(res) < 1:
        raise ValueError(f"mask_res must be (rows, cols) of positive integers; got {shown(res)}.")
    return int(res[0]), int(res[1])


def _seed(random_state):
    """A seed numpy's SeedSequence takes (a non-negative integer, a list of them, or None)."""
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError(f"random_state must be a non-negative integer seed (or None), not {random_state}.")
    try:
        np.random.SeedSequence(plain(random_state))
    except (TypeError, ValueError) as err:
        raise (ValueError if _is_int(random_state) else TypeError)(
            f"random_state must be a non-negative integer seed (or None); got {shown(random_state)}."
        ) from err
    return plain(random_state)


# --- masks ----------------------------------------------------------------------------------------


def _bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix resizing a length-n_in signal to n_out samples, linear, half-pixel centres."""
    src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    frac = (src - lo).astype(np.float32)
    mat = np.zeros((n_out, n_in), dtype=np.float32)
    np.add.at(mat, (np.arange(n_out), lo), 1 - frac)
    np.add.at(mat, (np.arange(n_out), hi), frac)
    return mat


class MaskSampler:
    """RISE masks for one image size: a (gh, gw) grid of Bernoulli(keep_prob) cells, upsampled bilinearly to
    (gh + 1) x (gw + 1) cells and cropped to (H, W) at a random offset within one cell.

    Grids and shifts come from two generators that only ever draw float64 uniforms, so the stream of masks is
    the same whatever the batch sizes it is drawn in.
    """

    def __init__(self, size: tuple[int, int], mask_res: tuple[int, int], keep_prob: float, random_state):
        self.size = size
        self.grid = mask_res
        self.keep_prob = keep_prob
        (H, W), (gh, gw) = size, mask_res
        self.cell = (math.ceil(H / gh), math.ceil(W / gw))
        self._up_y = _bilinear_matrix(gh, (gh + 1) * self.cell[0])
        self._up_x = _bilinear_matrix(gw, (gw + 1) * self.cell[1])
        grid_seed, shift_seed = np.random.SeedSequence(random_state).spawn(2)
        self._grid_rng = np.random.default_rng(grid_seed)
        self._shift_rng = np.random.default_rng(shift_seed)

    def sample(self, count: int) -> np.ndarray:
        """(count, H, W) float32 masks in [0, 1]."""
        (H, W), (gh, gw) = self.size, self.grid
        grids = (self._grid_rng.random((count, gh, gw)) < self.keep_prob).astype(np.float32)
        shifts = np.floor(self._shift_rng.random((count, 2)) * self.cell).astype(int)
        rows = self._up_y[shifts[:, :1] + np.arange(H)]  # (count, H, gh)
        cols = self._up_x[shifts[:, 1:] + np.arange(W)]  # (count, W, gw)
        return rows @ grids @ cols.transpose(0, 2, 1)


def apply_masks(image: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """(B, H, W, C) uint8: the image times each mask, rounded.

    One channel at a time: numpy broadcasts a (B, H, W, 1) mask over a length-3 last axis slowly (short inner
    loops), while (B, H, W) products run contiguously; same float32 products, same rounding, ~4x faster.
    """
    out = np.empty((*masks.shape, image.shape[2]), dtype=np.uint8)
    product = np.empty(masks.shape, dtype=np.float32)
    for c in range(image.shape[2]):
        np.multiply(masks, image[..., c].astype(np.float32), out=product)
        out[..., c] = np.rint(product, out=product)
    return out


# --- affinity -------------------------------------------------------------------------------------


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) IoU of xyxy boxes."""
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)


def class_similarity(target: Detections, found: Detections) -> np.ndarray:
    """(t, m) cosine similarity of class vectors: of class_scores when both sides have them, else of one-hot
    labels (1 for the same label, 0 otherwise)."""
    if target.class_scores is not None and found.class_scores is not None:
        if target.class_scores.shape[1] != found.class_scores.shape[1]:
            raise ValueError(
                f"class_scores changed width from {target.class_scores.shape[1]} to "
                f"{found.class_scores.shape[1]} between calls of the detector."
            )
        return _unit_rows(target.class_scores) @ _unit_rows(found.class_scores).T
    if target.labels.dtype.kind != found.labels.dtype.kind:
        return np.zeros((len(target), len(found)))
    return (target.labels[:, None] == found.labels[None, :]).astype(np.float64)


def mask_weights(target: Detections, found: list[Detections]) -> np.ndarray:
    """(t, B) D-RISE weights: for each target and masked image, max over the masked image's detections of
    IoU x score x class similarity; 0 when the masked image has no detections."""
    counts = np.array([len(d) for d in found], dtype=np.int64)
    weights = np.zeros((len(target), len(found)))
    if counts.sum():
        merged = Detections(
            np.concatenate([d.boxes for d in found]),
            np.concatenate([d.scores for d in found]),
            np.concatenate([d.labels for d in found])
            if len({d.labels.dtype.kind for d in found if len(d)}) <= 1
            else np.array([str(v) for d in found for v in d.labels.tolist()]),
            np.concatenate([d.class_scores for d in found]) if all(d.class_scores is not None for d in found) else None,
        )
        sim = box_iou(target.boxes, merged.boxes) * merged.scores[None, :] * class_similarity(target, merged)
        # detections are concatenated image after image: a segmented max per masked image (reduceat is ~80x
        # faster than np.maximum.at); images without detections keep weight 0
        starts = np.cumsum(counts) - counts
        some = counts > 0
        weights[:, some] = np.maximum.reduceat(sim, starts[some], axis=1)
    return weights


# --- batch sizes ----------------------------------------------------------------------------------


class BatchSizer:
    """Batch sizes for ``batch_size="auto"``: start at 1 and double while the detector's time per image drops,
    then keep the fastest size. Each size is timed on at least two batches and 20 ms of detector time (the
    fastest batch counts, which shrugs off a busy machine's spikes); the search stops after two sizes in a row
    that do not beat the best by 3%, or at the cap. The trial batches are masks the run needs anyway.

    A GPU or served detector (a fixed cost per call) ends at large batches; a CPU model, whose time per image
    often grows with the batch (activations fall out of cache), at small ones.
    """

    MIN_SECONDS = 0.02

    def __init__(self, cap: int = AUTO_MAX_BATCH):
        self.cap = cap
        self.size = 1
        self.best: tuple[int, float] | None = None
        self.settled = False
        self._times: list[float] = []
        self._misses = 0

    def record(self, count: int, seconds: float) -> None:
        """Report that a batch of `count` images took `seconds` in the detector."""
        if self.settled or count != self.size:
            return  # a short last batch says little about this size
        self._times.append(seconds)
        if len(self._times) < 2 or (sum(self._times) < self.MIN_SECONDS and len(self._times) < 8):
            return
        per_image, self._times = min(self._times) / count, []
        if self.best is None or per_image < 0.97 * self.best[1]:
            self.best, self._misses = (count, per_image), 0
        else:
            self._misses += 1
        if self._misses >= 2 or self.size * 2 > self.cap:
            self.size, self.settled = self.best[0], True
        else:
            self.size *= 2


# --- the explainer --------------------------------------------------------------------------------


class DetectionExplainer:
    """D-RISE saliency maps for any object detector: one map per detection, at image resolution.

    The saliency map of target detection t is ``sum_i w_i M_i / (num_masks * keep_prob)``: the paper's
    weighted sum of masks, divided by its expected mask total as in RISE, so a pixel's value estimates the
    mean affinity of the target's best match when that pixel is kept (0 to 1 for scores in [0, 1]). Maps are
    not min-max rescaled, so they stay comparable between detections and images.

    Parameters
    ----------
    detector : callable
        ``f(list of HxWxC uint8 arrays) -> list`` with one output per image, each a dict
        ``{"boxes": (m, 4) xyxy, "scores": (m,), "labels": (m,)}`` (optionally ``"class_scores": (m, k)``),
        as numpy arrays, lists or torch tensors (torchvision detectors' output works as is), a list of
        ``{"box", "score", "label"}`` dicts, or an (m, 6) array ``[x0, y0, x1, y1, score, label]`` (YOLO).
    classes : sequence, optional
        Class names; integer labels are shown as ``classes[label]``.
    num_masks : int
        Masks per image (the paper uses 5,000; 1,000 gives usable maps on simple scenes); the explanation's
        ``convergence`` says whether they were enough (the two halves of the masks compared).
    mask_res : tuple of int, or int
        (rows, cols) of the random grid; coarser grids suit larger objects.
    batch_size : int or "auto"
        Masked images passed to the detector per call; memory is O(batch_size x image). Batching pays off
        when a call has a fixed cost (GPU, a served model); a CPU model may run faster with small batches
        (its time per image can grow with the batch). ``"auto"`` measures: it doubles the batch from 1 while
        the detector's time per image falls (up to 64, and less for very large images); maps change only by
        float rounding (~1e-7).
    random_state : int
        Seed; every image gets the same mask sequence, so an image's result does not depend on the other
        images explained with it, nor on batch_size.
    keep_prob : float
        Probability that a grid cell is kept (not masked).
    progress : bool, optional
        Show a progress bar (default: for ``num_masks x images >= 5,000``).

    Raises
    ------
    ValueError
        A setting out of range (named, with the fix).
    TypeError
        A detector that is not callable, or a setting of the wrong type.

    Examples
    --------
    >>> model = torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=...).eval()
    >>> to_tensor = lambda img: torch.from_numpy(img).permute(2, 0, 1).float() / 255
    >>> detector = lambda imgs: model([to_tensor(i) for i in imgs])   # torchvision output as is
    >>> exp = rw.DetectionExplainer(detector, classes=coco_names, num_masks=1000).explain(images)
    >>> exp.detections[0][0], exp.saliency[0].shape                  # {'box':..., 'label':..., 'score':...}, (m, H, W)
    """

    def __init__(
        self,
        detector: Callable,
        classes: Sequence | None = None,
        num_masks: int = 1000,
        mask_res: tuple[int, int] | int = (16, 16),
        batch_size: int | Literal["auto"] = 32,
        random_state: int = 0,
        keep_prob: float = 0.5,
        progress: bool | None = None,
    ):
        if not callable(detector):
            raise TypeError(f"detector must be a callable f(list of images) -> list of outputs, not {type(detector)}.")
        self.detector = detector
        self.classes = check_classes(classes)
        self.num_masks = _count(num_masks, "num_masks")
        self.mask_res = _mask_res(mask_res)
        self.batch_size: int | Literal["auto"] = (
            "auto" if isinstance(batch_size, str) and batch_size == "auto" else _count(batch_size, "batch_size", "auto")
        )
        self.random_state = _seed(random_state)
        if not _is_number(keep_prob):
            raise TypeError(f"keep_prob must be a number between 0 and 1 (exclusive), not {shown(keep_prob)}.")
        if not 0 < keep_prob < 1:
            raise ValueError(f"keep_prob must be between 0 and 1 (exclusive); got {shown(keep_prob)}.")
        self.keep_prob = float(keep_prob)
        self.progress = check_progress(progress)

    def detect(self, images) -> list[Detections]:
        """The detector's output on unmasked images, parsed and checked.

        Parameters
        ----------
        images : array or list
            An (n, H, W, C) uint8 array or a list of (H, W, C) uint8 arrays.

        Returns
        -------
        list of Detections
            Per image, its boxes, scores and labels as rai-widget reads them.

        Raises
        ------
        ValueError
            Images that are not uint8 (H, W, C), or a detector output it cannot read.
        ModelPredictError
            The detector raised.
        """
        images = check_images(images)
        step = AUTO_MAX_BATCH if self.batch_size == "auto" else self.batch_size
        found: list[Detections] = []
        for start in range(0, len(images), step):
            found += run_detector(self.detector, images[start : start + step], "image")
        return found

    def saliency(
        self, image: np.ndarray, target: Detections, bar=None, sizer: BatchSizer | None = None, subsets=None
    ) -> np.ndarray:
        """The D-RISE maps of one image's target detections (``explain()`` calls it per image).

        Parameters
        ----------
        image : ndarray
            One (H, W, C) uint8 image.
        target : Detections
            The detections to explain (``detect([image])[0]``).
        bar : tqdm, optional
            A progress bar to advance by the masks done.
        sizer : BatchSizer, optional
            With ``batch_size="auto"``, the batch size found so far (``explain()`` shares one between its
            images).
        subsets : list, optional
            Gets the (4, t, h, w) pooled sums of four equal runs of masks appended (the convergence
            check), or None when there are fewer than 4 masks.

        Returns
        -------
        ndarray
            (t, H, W) float32 maps, one per target detection.
        """
        H, W = image.shape[:2]
        sampler = MaskSampler((H, W), self.mask_res, self.keep_prob, self.random_state)
        total = np.zeros((len(target), H * W))
        kept = (
            SubsetSums(self.num_masks, len(target), (H, W))
            if subsets is not None and self.num_masks >= SUBSETS
            else None
        )
        # the batch size: fixed, or found as the run goes by a BatchSizer
        batches: int | BatchSizer = (
            sizer if sizer is not None else (BatchSizer() if self.batch_size == "auto" else self.batch_size)
        )
        cap = max(1, AUTO_MAX_BYTES // (H * W * (8 + image.shape[2])))  # float32 masks + products + uint8 copies
        done = 0
        while done < self.num_masks:
            batch = batches if isinstance(batches, int) else min(batches.size, cap)
            count = min(batch, self.num_masks - done)
            masks = sampler.sample(count)
            masked = list(apply_masks(image, masks))
            start = _clock()
            found = run_detector(self.detector, masked, "masked image")
            if isinstance(batches, BatchSizer):
                batches.record(count, _clock() - start)
            done += count
            weights = mask_weights(target, found).astype(np.float32)
            if kept is None:
                total += weights @ masks.reshape(count, -1)
            else:  # the same sum, split where a subset of masks ends
                kept.add(total, weights, masks.reshape(count, -1), done - count)
            if bar is not None:
                bar.update(count)
        if subsets is not None:
            subsets.append(None if kept is None else kept.subset_sums())
        total /= self.num_masks * self.keep_prob
        return total.reshape(len(target), H, W).astype(np.float32)

    def explain(self, images, progress: bool | None = None) -> DetectionExplanation:
        """Detect objects in each image and compute one D-RISE saliency map per detection.

        Parameters
        ----------
        images : array or list
            An (n, H, W, C) uint8 array or a list of (H, W, C) uint8 arrays (sizes may differ).
        progress : bool, optional
            Show a progress bar; None: the explainer's own ``progress`` (default: for
            ``num_masks x images >= 5,000``).

        Returns
        -------
        DetectionExplanation
            The detections and their maps, with the maps' checks, computed without another detector call:
            ``exp.localisation`` (per detection, the pointing game and the share of saliency inside its
            box) and ``exp.convergence`` (how well the two halves of the masks agree, with a verdict).

        Raises
        ------
        ValueError
            Images that are not uint8 (H, W, C), labels outside ``classes``, or a detector output it cannot
            read.
        ModelPredictError
            The detector raised.
        """
        progress = check_progress(progress)
        images = check_images(images)
        targets = self.detect(images)
        labels = self._label_names(targets)  # unknown labels are an error before the long part
        progress = self.progress if progress is None else progress
        show = len(images) * self.num_masks >= PROGRESS_MIN_EVALS if progress is None else progress
        saliency: list[np.ndarray] = []
        subsets: list = []  # per image, the convergence check's subset sums
        sizer = BatchSizer() if self.batch_size == "auto" else None
        with tqdm(total=len(images) * self.num_masks, disable=not show, desc="D-RISE", unit="mask") as bar:
            for i, (image, target) in enumerate(zip(images, targets, strict=True)):
                if len(target) == 0:
                    warnings.warn(
                        f"the detector found nothing in image {i}: it has no detections to explain "
                        "(an empty saliency array).",
                        RaiWidgetWarning,
                        stacklevel=2,
                    )
                    saliency.append(np.zeros((0, *image.shape[:2]), dtype=np.float32))
                    subsets.append(None)
                    bar.update(self.num_masks)
                    continue
                saliency.append(self.saliency(image, target, bar, sizer, subsets))
        return self._explanation(
            images,
            targets,
            labels,
            saliency,
            convergence(subsets, [len(t) for t in targets], self.num_masks, self.keep_prob),
        )

    def _label_names(self, targets: list[Detections]) -> list[list]:
        """Each detection's label as the explanation shows it: with classes, integer labels are indices into them
        and strings their names (any other label is a ValueError listing them); without, the labels as they are."""
        raw = [[v.item() for v in d.labels] for d in targets]
        if self.classes is None:
            seen = sorted({v for labels in raw for v in labels}, key=lambda v: (isinstance(v, str), v))
            if seen:
                check_classes(seen, "the detector's labels")
            return raw
        k, by_text = len(self.classes), {str(c): j for j, c in enumerate(self.classes)}
        found: dict = {}  # unknown label -> the images it is in
        names = []
        for i, labels in enumerate(raw):
            row = []
            for v in labels:
                j = (v if 0 <= v < k else None) if isinstance(v, int) else by_text.get(v)
                if j is None:
                    found.setdefault(v, []).append(i)
                    continue
                row.append(self.classes[j])
            names.append(row)
        if found:
            where = "; ".join(f"{shown(v)} in image(s) {shown(sorted(set(ii)))}" for v, ii in list(found.items())[:5])
            raise ValueError(
                f"the detector returned labels that are not among classes: {where}. Integer labels are indices "
                f"into classes (0..{k - 1}), strings are class names; classes: {shown(self.classes, 20)}. Pass "
                "classes= naming every label the detector returns (or leave it None to use the labels as they are)."
            )
        return names

    def _explanation(self, images, targets, labels, saliency, checks: dict | None = None) -> DetectionExplanation:
        detections = [
            [
                {"box": [float(v) for v in d.boxes[j]], "label": names[j], "score": float(d.scores[j])}
                for j in range(len(d))
            ]
            for d, names in zip(targets, labels, strict=True)
        ]
        if self.classes is not None:
            output_names = list(self.classes)
        else:
            seen = {det["label"] for dets in detections for det in dets}
            output_names = sorted(seen, key=lambda v: (isinstance(v, str), v))
        model_output = np.zeros((len(images), len(output_names)))
        index = {name: k for k, name in enumerate(output_names)}
        for i, dets in enumerate(detections):
            for det in dets:
                k = index.get(det["label"])
                if k is not None:
                    model_output[i, k] = max(model_output[i, k], det["score"])
        same_size = len({img.shape for img in images}) == 1
        return DetectionExplanation(
            images=np.stack(images) if same_size else images,
            detections=detections,
            saliency=saliency,
            output_names=output_names,
            model_output=model_output,
            params={
                "num_masks": self.num_masks,
                "mask_res": list(self.mask_res),
                "keep_prob": self.keep_prob,
                "random_state": self.random_state,
            },
            convergence=checks,
        )
