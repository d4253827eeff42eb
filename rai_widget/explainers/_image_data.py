"""Pixel space for the image explainers: images in, baselines, and maps back at each image's own size.

Images are (H, W, C) uint8 arrays (float arrays in [0, 1] are scaled to uint8 first; PIL images are
converted). Maps are resized back to an image's (H, W) by a linear interpolation that keeps each map's
sum, so IG's completeness holds at any size. numpy (and scipy for the blur) only: no torch here.
"""

from __future__ import annotations

import numpy as np

BLUR_SIGMA = 1 / 16  # "blur" baselines: Gaussian with sigma = this share of the longer side


def default_preprocess(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / 255.0


def to_uint8(image, i: int) -> np.ndarray:
    if hasattr(image, "convert") and hasattr(image, "mode"):  # PIL
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"image {i} has shape {arr.shape}; expected (H, W, C) or (H, W).")
    if arr.shape[2] not in (1, 3, 4) and arr.shape[0] in (1, 3):
        raise ValueError(
            f"image {i} has shape {arr.shape}, which looks channels-first; pass (H, W, C) images "
            f"(np.transpose(images, (0, 2, 3, 1)) for a batch)."
        )
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind == "f":
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(
                f"float image {i} has values in [{arr.min():.3g}, {arr.max():.3g}]; float images "
                f"must be in [0, 1] (pass uint8 for 0..255, and normalise in `preprocess`)."
            )
        return np.round(arr * 255).astype(np.uint8)
    if arr.dtype.kind in "iu" and arr.min() >= 0 and arr.max() <= 255:
        return arr.astype(np.uint8)
    raise ValueError(f"image {i} has dtype {arr.dtype}; pass uint8 (0..255) or float (0..1) images.")


def as_images(images) -> list[np.ndarray]:
    """A list of (H, W, C) uint8 images from a batch array, one image, or a list (PIL or arrays)."""
    if isinstance(images, np.ndarray):
        single = images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (3, 4))
        images = [images] if single else list(images)  # (N, H, W) is a stack of gray images
    elif not isinstance(images, (list, tuple)):
        images = [images]
    if len(images) == 0:
        raise ValueError("no images to explain.")
    return [to_uint8(im, i) for i, im in enumerate(images)]


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
    return arr.astype(np.float32) if arr.dtype == np.uint8 else (arr * 255).astype(np.float32)


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
