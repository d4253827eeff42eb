"""Payloads of the image and detection views: what ExplanationDashboard syncs for kinds "image" / "detection".

Images travel as PNG bytes (`{"png": memoryview}`), with a small PNG thumbnail each; without Pillow they
fall back to raw uint8 arrays in the binary wire format (`{"view", "dtype", "shape"}`). Attribution and
saliency maps are float32 binary arrays at image resolution, or block-downsampled so the long side is
at most `MAX_MAP_SIDE` pixels (meta["map_sizes"] says the size sent; the view stretches maps over the image).
"""

from __future__ import annotations

import io

import numpy as np

from rai_widget._serialize import array_to_wire

MAX_MAP_SIDE = 256
THUMB_SIDE = 96


def _pil():
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow ships with matplotlib / scikit-image
        return None
    return Image


def _as_uint8_image(img) -> np.ndarray:
    a = np.asarray(img)
    if a.dtype != np.uint8:
        a = np.clip(a * 255 if a.dtype.kind == "f" and a.max(initial=0) <= 1 else a, 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
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


def _string_column(labels) -> dict:
    """Labels that are free strings (e.g. joined multilabel names) as category codes over their own values."""
    labels = [str(v) for v in labels]
    categories = sorted(set(labels))
    lookup = {c: i for i, c in enumerate(categories)}
    return {"kind": "category", "codes": array_to_wire(np.array([lookup[v] for v in labels], dtype=np.int32)),
            "categories": categories}


def image_payload(exp, label_column) -> tuple[dict, dict]:
    n = len(exp)
    names = [str(o) for o in exp.output_names]
    targets, sizes, map_sizes, maps = [], [], [], []
    for i in range(n):
        ts = np.atleast_1d(np.asarray(exp.targets[i])).astype(int)
        a = np.asarray(exp.attributions[i], dtype=np.float32)
        if a.ndim == 2:
            a = a[None]
        small = downsample_map(a)
        targets.append([int(t) for t in ts])
        sizes.append(list(np.shape(exp.images[i])[:2]))
        map_sizes.append(list(small.shape[-2:]))
        maps.append(array_to_wire(small))
    signed = bool(any(np.asarray(exp.attributions[i]).min() < 0 for i in range(n)))
    meta = {
        "n_rows": n, "output_names": names, "task": exp.task, "units": exp.units, "method": exp.method,
        "targets": targets, "sizes": sizes, "map_sizes": map_sizes, "max_map_side": MAX_MAP_SIDE,
        "signed": signed, "image_format": "png" if _pil() is not None else "raw",
    }
    arrays: dict = {
        "images": [encode_image(exp.images[i]) for i in range(n)],
        "thumbs": [encode_image(exp.images[i], THUMB_SIDE) for i in range(n)],
        "attributions": maps,
    }
    if exp.task == "multilabel":
        cols = exp._special_columns()
        arrays["y_pred"] = _string_column(cols["y_pred"])
        if "y_true" in cols:
            arrays["y_true"] = _string_column(cols["y_true"])
    else:
        arrays["y_pred"] = label_column(exp.y_pred, exp.output_names)
        if exp.y_true is not None:
            arrays["y_true"] = label_column(exp.y_true, exp.output_names)
    if exp.probabilities is not None:
        arrays["probabilities"] = array_to_wire(np.asarray(exp.probabilities, dtype=np.float32))
        arrays["confidence"] = array_to_wire(np.asarray(exp.probabilities).max(axis=1).astype(np.float32))
    return meta, arrays


def detection_payload(exp) -> tuple[dict, dict]:
    n = len(exp)
    detections, sizes, map_sizes, maps = [], [], [], []
    for i in range(n):
        detections.append([{"box": [float(v) for v in d["box"]], "label": str(d["label"]),
                            "score": float(d["score"])} for d in exp.detections[i]])
        h, w = np.shape(exp.images[i])[:2]
        sal = np.asarray(exp.saliency[i], dtype=np.float32).reshape(-1, h, w)
        small = downsample_map(sal)
        sizes.append([int(h), int(w)])
        map_sizes.append(list(small.shape[-2:]))
        maps.append(array_to_wire(small))
    cols = exp._special_columns()
    meta = {
        "n_rows": n, "output_names": [str(o) for o in exp.output_names], "task": exp.task, "units": exp.units,
        "detections": detections, "sizes": sizes, "map_sizes": map_sizes, "max_map_side": MAX_MAP_SIDE,
        "image_format": "png" if _pil() is not None else "raw",
    }
    arrays = {
        "images": [encode_image(exp.images[i]) for i in range(n)],
        "thumbs": [encode_image(exp.images[i], THUMB_SIDE) for i in range(n)],
        "saliency": maps,
        "y_pred": _string_column(cols["y_pred"]),
        "confidence": array_to_wire(np.asarray(cols["confidence"], dtype=np.float32)),
    }
    return meta, arrays
