"""Images and maps on the wire, shared by the image and detection payloads.

Images travel as PNG bytes (`{"png": memoryview}`), with a small PNG thumbnail each; without Pillow they
fall back to raw uint8 arrays in the binary wire format (`{"view", "dtype", "shape"}`). Attribution and
saliency maps are float32 binary arrays at image resolution, or block-downsampled so the long side is
at most `MAX_MAP_SIDE` pixels (meta["map_sizes"] says the size sent; the view stretches maps over the image).
"""

from __future__ import annotations

import io

import numpy as np

from rai_widget._payload._wire import array_to_wire

MAX_MAP_SIDE = 256
THUMB_SIDE = 96


def _pil():
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow ships with matplotlib / scikit-image
        return None
    return Image


def _as_uint8_image(img) -> np.ndarray:
    """The image as a PNG can hold it, shown as the raw fallback shows it (js/core/images.ts): one or two
    channels as gray (the first), three as RGB, four as RGBA, more (a model's extra bands) as the first three."""
    a = np.asarray(img)
    if a.dtype != np.uint8:
        a = np.clip(a * 255 if a.dtype.kind == "f" and a.max(initial=0) <= 1 else a, 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] in (1, 2):
        a = a[:, :, 0]
    elif a.ndim == 3 and a.shape[2] > 4:
        a = a[:, :, :3]
    return np.ascontiguousarray(a)


def encode_image(img, max_side: int | None = None) -> dict:
    """One image as {"png": bytes} (downscaled to max_side on its long side when given), or a raw wire array."""
    a = _as_uint8_image(img)
    Image = _pil()
    if Image is None:
        if max_side and max(a.shape[:2]) > max_side:
            step = int(np.ceil(max(a.shape[:2]) / max_side))
            a = np.ascontiguousarray(a[::step, ::step])
        return array_to_wire(a)
    pil = Image.fromarray(a)
    if max_side and max(pil.size) > max_side:
        pil.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    pil.save(buf, format="PNG")
    return {"png": memoryview(buf.getvalue())}


def downsample_map(m, max_side: int = MAX_MAP_SIDE) -> np.ndarray:
    """A (..., H, W) float map shrunk by averaging whole blocks until its long side is <= max_side."""
    m = np.asarray(m, dtype=np.float32)
    h, w = m.shape[-2:]
    f = int(np.ceil(max(h, w) / max_side))
    if f <= 1:
        return np.ascontiguousarray(m)
    h2, w2 = -(-h // f), -(-w // f)
    pad = [(0, 0)] * (m.ndim - 2) + [(0, h2 * f - h), (0, w2 * f - w)]
    # pad by edge values so the border blocks average real pixels only (close enough for a display map)
    p = np.pad(m, pad, mode="edge")
    return np.ascontiguousarray(p.reshape(*m.shape[:-2], h2, f, w2, f).mean(axis=(-3, -1)), dtype=np.float32)


def json_params(params: dict) -> dict:
    """Parameters as JSON can carry them (numbers, strings, lists); anything else by its repr."""
    out = {}
    for k, v in params.items():
        if isinstance(v, (np.generic,)):
            v = v.item()
        if isinstance(v, tuple):
            v = list(v)
        out[str(k)] = v if isinstance(v, (str, int, float, bool, list, type(None))) else repr(v)
    return out


def images_and_thumbs(images) -> dict:
    """Every image at full resolution and as a thumbnail (long side THUMB_SIDE)."""
    return {"images": [encode_image(im) for im in images], "thumbs": [encode_image(im, THUMB_SIDE) for im in images]}


def image_format() -> str:
    return "png" if _pil() is not None else "raw"
