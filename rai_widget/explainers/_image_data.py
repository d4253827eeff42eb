"""What the image explainer takes in, checked, and its maps back at each image's own size.

Images are (H, W, C) uint8 arrays (float arrays in [0, 1] are scaled to uint8 first; PIL images are
converted); baselines are images too. Maps are resized back to an image's (H, W) by a linear interpolation
that keeps each map's sum, so IG's completeness holds at any size. The constructor's settings, explain()'s
targets and true labels are checked here, once per call, each bad value a ValueError / TypeError that names
the argument and says what it must be. numpy (and scipy for the blur) only: no torch here.
"""

from __future__ import annotations

import difflib
from os import PathLike

import numpy as np

from rai_widget._checks import plain
from rai_widget.explanations.image import shown

BLUR_SIGMA = 1 / 16  # "blur" baselines: Gaussian with sigma = this share of the longer side
BASELINES = ("black", "white", "blur")


def default_preprocess(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / 255.0


def to_uint8(image, i: int) -> np.ndarray:
    """Image i as an (H, W, C) uint8 array, or a ValueError / TypeError saying what is wrong with it."""
    if image is None or isinstance(image, (str, bytes, PathLike)):
        hint = " Open image files first, e.g. np.asarray(PIL.Image.open(path))." if image is not None else ""
        raise TypeError(f"image {i} is {shown(image)}: images are arrays or PIL images.{hint}")
    if hasattr(image, "convert") and hasattr(image, "mode"):  # PIL
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    if hasattr(image, "detach"):  # a torch tensor (H, W, C), without importing torch
        image = image.detach().cpu().numpy()
    try:
        arr = np.asarray(image)
    except ValueError as err:  # numpy: a ragged nested list
        raise ValueError(f"image {i} is not a rectangular array of pixels ({err}).") from None
    if arr.dtype.kind in "OSUV":
        raise TypeError(f"image {i} holds {arr.dtype} values; images are uint8 (0..255) or float (0..1) arrays.")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"image {i} has shape {arr.shape}; expected (H, W, C) or (H, W).")
    if min(arr.shape) < 1:
        raise ValueError(
            f"image {i} has shape {arr.shape}: an image needs at least one row, one column and one channel."
        )
    if arr.shape[2] not in (1, 3, 4) and arr.shape[0] in (1, 3):
        raise ValueError(
            f"image {i} has shape {arr.shape}, which looks channels-first; pass (H, W, C) images "
            f"(np.transpose(images, (0, 2, 3, 1)) for a batch)."
        )
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            raise ValueError(
                f"float image {i} has NaN or infinite values ({int((~finite).sum())} of {arr.size}): images must "
                "hold numbers in [0, 1] (float) or 0..255 (uint8) everywhere."
            )
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(
                f"float image {i} has values in [{arr.min():.3g}, {arr.max():.3g}]; float images "
                f"must be in [0, 1] (pass uint8 for 0..255, and normalise in `preprocess`)."
            )
        return np.round(arr * 255).astype(np.uint8)
    if arr.dtype.kind in "iu":
        if arr.min() >= 0 and arr.max() <= 255:
            return arr.astype(np.uint8)
        raise ValueError(
            f"integer image {i} has values in [{arr.min()}, {arr.max()}]; integer images must be in 0..255 "
            "(uint8), float images in [0, 1]."
        )
    raise ValueError(f"image {i} has dtype {arr.dtype}; pass uint8 (0..255) or float (0..1) images.")


def as_images(images) -> list[np.ndarray]:
    """A list of (H, W, C) uint8 images from a batch array, one image, or a list (PIL or arrays)."""
    if images is None or isinstance(images, (str, bytes, PathLike)):
        raise TypeError(
            f"images must be an (N, H, W, C) array, one image, or a list of arrays or PIL images; got {shown(images)}."
        )
    if hasattr(images, "detach"):  # a torch tensor: a batch (N, H, W, C) or one image, as an array would be
        images = images.detach().cpu().numpy()
    if isinstance(images, np.ndarray):
        if images.ndim < 2:
            raise ValueError(
                f"images has shape {images.shape}; pass an (N, H, W, C) array, one (H, W, C) or (H, W) image, "
                "or a list of images."
            )
        # one image: (H, W), or (H, W, C) with C in 1, 3, 4; (N, H, W) is a stack of gray images
        single = images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (1, 3, 4))
        images = [images] if single else list(images)
    elif not isinstance(images, (list, tuple)):
        images = [images]
    if len(images) == 0:
        raise ValueError("no images to explain.")
    return [to_uint8(im, i) for i, im in enumerate(images)]


def pixel_values(arr: np.ndarray) -> np.ndarray:
    """A checked image-like array as float32 pixel values 0..255: integers as they are, floats (0..1) x 255."""
    arr = np.asarray(arr)
    return arr.astype(np.float32) if arr.dtype.kind in "iu" else (arr * 255).astype(np.float32)


def check_baseline(baseline, argument: str = "baseline") -> None:
    """A baseline is 'black', 'white', 'blur' or an (H, W, C) image (uint8 0..255 or float 0..1); its size is
    checked against each image when explaining."""
    if isinstance(baseline, str):
        if baseline not in BASELINES:
            raise ValueError(f"{argument} must be 'black', 'white', 'blur' or an (H, W, C) image, not {baseline!r}.")
        return
    try:
        arr = np.asarray(baseline)
    except ValueError as err:
        raise ValueError(f"{argument} is not a rectangular image array ({err}).") from None
    if arr.dtype.kind not in "iuf" or arr.ndim != 3:
        raise TypeError(
            f"{argument} must be 'black', 'white', 'blur' or an (H, W, C) image array; got "
            f"{type(baseline).__name__} of dtype {arr.dtype}, shape {arr.shape}."
        )
    if arr.size == 0 or min(arr.shape) < 1:
        raise ValueError(f"{argument} has shape {arr.shape}: a baseline image needs pixels.")
    top, kind = (1, "float images in [0, 1]") if arr.dtype.kind == "f" else (255, "integer images in 0..255")
    if not np.isfinite(arr).all():
        raise ValueError(f"{argument} has NaN or infinite values; baselines are {kind}.")
    if arr.min() < 0 or arr.max() > top:
        raise ValueError(f"{argument} has values in [{arr.min():.4g}, {arr.max():.4g}]; baselines are {kind}.")


def blur(image: np.ndarray) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    sigma = max(image.shape[:2]) * BLUR_SIGMA
    return gaussian_filter(image.astype(np.float32), sigma=(sigma, sigma, 0))


def baseline_image(baseline, image: np.ndarray) -> np.ndarray:
    """A baseline in pixel space, (H, W, C) float: 'black', 'white', 'blur' or a user array."""
    if isinstance(baseline, str):
        if baseline == "black":
            return np.zeros(image.shape, np.float32)
        if baseline == "white":
            return np.full(image.shape, 255, np.float32)
        if baseline == "blur":
            return blur(image)
        raise ValueError(f"baseline must be 'black', 'white', 'blur' or an (H, W, C) image, not {baseline!r}.")
    arr = np.asarray(baseline)
    if arr.shape != image.shape:
        raise ValueError(f"the baseline image has shape {arr.shape}, the image {image.shape}; they must match.")
    return pixel_values(arr)


def resize_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) linear-interpolation weights (pixel centres), each input pixel's weights summing to 1."""
    pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    r = np.zeros((n_out, n_in))
    np.add.at(r, (np.arange(n_out), lo), 1 - (pos - lo))
    np.add.at(r, (np.arange(n_out), hi), pos - lo)
    mass = r.sum(0, keepdims=True)
    return r / np.where(mass > 0, mass, 1)


def to_image_size(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(t, h, w) maps resized (bilinear) to (t, H, W) so that each map keeps its sum (mass-preserving)."""
    if a.shape[1:] == tuple(size):
        return a
    ry, rx = resize_matrix(size[0], a.shape[1]), resize_matrix(size[1], a.shape[2])
    return ry @ a @ rx.T  # two matrix products: einsum's three-operand contraction took ~3,000x longer


# --- settings, targets and true labels: what explain() and the constructor take, checked -------------------

# Settings checked in the constructor beside each method's own names (explainers.image.METHODS): what each must be.
COUNTS = ("n_steps", "internal_batch_size", "max_evals", "batch_size")  # positive integers
SIZES = ("min_size", "dilation_radius", "min_pixel_diff")  # non-negative integers
FLAGS = ("fold_batchnorm", "relu_attributions")
CHOICES = {
    "integration": ("riemann_left", "riemann_right", "riemann_middle", "riemann_trapezoid", "gausslegendre"),
    "interpolate_mode": ("nearest", "bilinear", "bicubic", "area", "nearest-exact"),  # torch's modes for (N, C, H, W)
    "algorithm": ("full", "fast"),
}


def is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def check_params(params: dict) -> dict:
    """A method's settings, each checked (ValueError / TypeError naming it and what it must be); counts as int."""
    out = dict(params)
    for name, v in params.items():
        if name in COUNTS or name in SIZES:
            low = 1 if name in COUNTS else 0
            what = "a positive integer" if low else "an integer >= 0"
            if not is_int(v):
                raise TypeError(f"{name} must be {what}, not {shown(v)} ({type(v).__name__}).")
            if v < low:
                raise ValueError(f"{name} must be {what}; got {shown(v)}.")
            out[name] = int(v)
        elif name in FLAGS:
            if not isinstance(v, (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, not {shown(v)}.")
            out[name] = bool(v)
        elif name in CHOICES:
            if not isinstance(v, str) or v not in CHOICES[name]:
                close = difflib.get_close_matches(str(v), CHOICES[name], n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                what = "XRAI algorithm" if name == "algorithm" else name
                choices = " or ".join(repr(c) for c in CHOICES[name])
                raise ValueError(f"{what} must be {choices}, not {shown(v)}.{hint}")
        elif name == "baseline":
            check_baseline(v)
        elif name == "baselines":
            if isinstance(v, (str, np.ndarray)) or not isinstance(v, (list, tuple)) or len(v) == 0:
                got = "an array" if isinstance(v, np.ndarray) else shown(v)
                raise TypeError(
                    "baselines must be a non-empty list of baselines, e.g. ['black', 'white'] (each 'black', "
                    f"'white', 'blur' or an (H, W, C) image); got {got}."
                )
            for j, b in enumerate(v):
                check_baseline(b, f"baselines[{j}]")
        elif name == "scales":
            if isinstance(v, str) or not isinstance(v, (list, tuple, np.ndarray)) or len(v) == 0:
                raise TypeError(f"scales must be a non-empty list of positive numbers (segment sizes); got {shown(v)}.")
            bad = [x for x in v if not is_number(x) or not np.isfinite(x) or x <= 0]
            if bad:
                raise ValueError(f"scales must be positive numbers; {shown(bad[0])} is not.")
        elif name == "sigma":
            if not is_number(v):
                raise TypeError(f"sigma must be a number >= 0 (the segmentation's Gaussian smoothing), not {shown(v)}.")
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"sigma must be a finite number >= 0; got {shown(v)}.")
    return out


def check_baseline_sizes(params: dict, images: list[np.ndarray]) -> None:
    """Array baselines must have every image's shape (string baselines fit any image)."""
    arrays = [("baseline", params.get("baseline"))] + [
        (f"baselines[{j}]", b) for j, b in enumerate(params.get("baselines") or ())
    ]
    for name, b in arrays:
        if b is None or isinstance(b, str):
            continue
        shape = np.shape(b)
        bad = [i for i, im in enumerate(images) if im.shape != shape]
        if bad:
            raise ValueError(
                f"{name} is an image of shape {shape} but image {bad[0]} is {images[bad[0]].shape}: an array "
                "baseline needs every image's shape (use 'black', 'white' or 'blur' for images of several sizes)."
            )


def jsonable_param(v):
    """A setting as the explanation keeps it (saved as JSON): arrays (image baselines) as the word "array"."""
    if isinstance(v, np.ndarray):
        return "array"
    if isinstance(v, (list, tuple)):
        return type(v)(jsonable_param(x) for x in v)
    return plain(v)


def target_index(t, names: list) -> int:
    """An output index from a target given by index or by class name."""
    t = plain(t.item() if isinstance(t, np.ndarray) and t.ndim == 0 else t)
    k = len(names)
    if is_int(t):
        if 0 <= t < k:
            return int(t)
        if t in names:  # an integer class name beyond the indices (classes=[10, 20]: 20 is index 1)
            return names.index(t)
        raise ValueError(f"target {t} is out of range: targets are output indices 0..{k - 1} or class names.")
    if isinstance(t, str):
        for j, name in enumerate(names):
            if str(name) == t:
                return j
        close = difflib.get_close_matches(t, [str(n) for n in names], n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown target {t!r}.{hint} Outputs: {shown(names, 20)}.")
    for j, name in enumerate(names):  # a float or boolean class name
        if type(name) is type(t) and name == t:
            return j
    hint = f" (did you mean {int(t)}?)" if isinstance(t, float) and t.is_integer() else ""
    raise TypeError(f"targets are output indices (integers) or class names; {shown(t)} is a {type(t).__name__}{hint}.")


def target_indices(targets, n: int, names: list) -> tuple[list[list[int]], bool]:
    """Given targets (one for all, one per image, or a list per image; by index or name) as output indices per
    image, and whether images were given lists of targets."""
    if isinstance(targets, (list, tuple, range)):
        targets = list(targets)
    elif hasattr(targets, "__array__"):  # numpy arrays, tensors, pandas Series: rows of a 2-d array are lists
        arr = np.asarray(targets, dtype=object)
        targets = [arr.item()] * n if arr.ndim == 0 else list(arr)
    elif isinstance(targets, (str, bytes)) or not hasattr(targets, "__iter__"):
        targets = [targets] * n  # one target (an index or a class name) for every image
    else:
        raise TypeError(
            "targets must be one target for all images, or a list with one target (or a list of targets) "
            f"per image; got a {type(targets).__name__}."
        )
    if len(targets) != n:
        raise ValueError(
            f"targets has {len(targets)} entries for {n} images; give one target (or a list "
            f"of targets) per image, or one target for all."
        )
    multi = any(isinstance(t, (list, tuple, np.ndarray)) for t in targets)
    per_image = [list(t) if isinstance(t, (list, tuple, np.ndarray)) else [t] for t in targets]
    for i, ts in enumerate(per_image):
        if len(ts) == 0:
            raise ValueError(f"targets[{i}] is empty: every image needs at least one target.")
        if any(isinstance(t, (list, tuple)) or np.ndim(t) > 0 for t in ts):
            raise TypeError(f"targets[{i}] is {shown(ts)}: give each image one target or a flat list of targets.")
    return [[target_index(t, names) for t in ts] for ts in per_image], multi


def label_lookup(names: list):
    """label -> index into names, or None: a class name (strings match by text, numbers by value: 1.0 is 1), or
    an integer index when the classes are not numbers themselves (then an integer could mean either)."""
    texts = {str(c): j for j, c in enumerate(names)}
    numbers = all(is_number(c) for c in names)

    def index(v) -> int | None:
        if isinstance(v, str):
            return texts.get(v)
        if isinstance(v, bool):
            return next((j for j, c in enumerate(names) if isinstance(c, bool) and c == v), None)
        if not is_number(v) or not np.isfinite(v):
            return None
        if numbers:
            return next((j for j, c in enumerate(names) if c == v), None)
        if float(v).is_integer() and 0 <= v < len(names):
            return int(v)
        return None

    return index


def true_labels(y_true, n: int, names: list, multilabel: bool) -> np.ndarray | None:
    """y_true as the explanation holds it: class names (single-label) or (n, k) booleans (multilabel); unknown
    labels, the wrong shape or number are a ValueError / TypeError saying which and what to pass."""
    if y_true is None:
        return None
    k = len(names)
    scalar = not isinstance(y_true, (list, tuple)) and not hasattr(y_true, "__len__")
    if isinstance(y_true, (str, bytes)) or scalar or (isinstance(y_true, np.ndarray) and y_true.ndim == 0):
        raise TypeError(f"y_true must hold one label per image ({n} in all), not {shown(y_true)}.")
    if multilabel:
        try:
            arr = np.asarray(y_true)
        except ValueError:  # a ragged nested list (label names per image, say)
            arr = None
        if arr is None or arr.shape != (n, k) or arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
            got = (
                "a ragged list"
                if arr is None
                else f"{arr.dtype} values"
                if arr.shape == (n, k)
                else f"shape {arr.shape}"
            )
            raise ValueError(
                f"y_true of a multilabel explainer must be booleans (or 0/1) of shape ({n}, {k}): one row per "
                f"image, one column per class ({shown(names)}); got {got}."
            )
        return arr.astype(bool)
    try:
        values = np.asarray(y_true, dtype=object)
    except ValueError:
        values = None
    if values is None or values.ndim != 1:
        shape = "a ragged list" if values is None else f"shape {values.shape}"
        raise ValueError(f"y_true must hold one label per image, ({n},); got {shape}.")
    if len(values) != n:
        raise ValueError(f"y_true has {len(values)} labels for {n} images.")
    index = label_lookup(names)
    labels = [plain(v) for v in values.tolist()]
    picked = [index(v) for v in labels]
    unknown = [v for v, j in zip(labels, picked, strict=True) if j is None]
    if unknown:
        by = "class names" if all(is_number(c) for c in names) else f"class names or indices 0..{k - 1}"
        raise ValueError(
            f"y_true has labels that are not classes: {shown(unknown)}. Give {by}; the classes: {shown(names, 20)}."
        )
    return np.array([names[j] for j in picked])
