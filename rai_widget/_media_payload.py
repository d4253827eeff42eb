"""Payloads of the image and detection views: what ExplanationDashboard syncs for kinds "image" / "detection".

Images travel as PNG bytes (`{"png": memoryview}`), with a small PNG thumbnail each; without Pillow they
fall back to raw uint8 arrays in the binary wire format (`{"view", "dtype", "shape"}`). Attribution and
saliency maps are float32 binary arrays at image resolution, or block-downsampled so the long side is
at most `MAX_MAP_SIDE` pixels (meta["map_sizes"] says the size sent; the view stretches maps over the image).
"""

from __future__ import annotations

import io

import numpy as np

from rai_widget._serialize import array_to_wire, wire_to_array

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


def _json_params(params: dict) -> dict:
    """Parameters as JSON can carry them (numbers, strings, lists); anything else by its repr."""
    out = {}
    for k, v in params.items():
        if isinstance(v, (np.generic,)):
            v = v.item()
        if isinstance(v, tuple):
            v = list(v)
        out[str(k)] = v if isinstance(v, (str, int, float, bool, list, type(None))) else repr(v)
    return out


def _string_column(labels) -> dict:
    """Labels that are free strings (e.g. joined multilabel names) as category codes over their own values."""
    labels = [str(v) for v in labels]
    categories = sorted(set(labels))
    lookup = {c: i for i, c in enumerate(categories)}
    return {"kind": "category", "codes": array_to_wire(np.array([lookup[v] for v in labels], dtype=np.int32)),
            "categories": categories}


METHOD_NAMES = {"integrated_gradients": "Integrated Gradients", "guided_backprop": "Guided Backprop",
                "gradcam": "Grad-CAM", "guided_gradcam": "Guided Grad-CAM", "xrai": "XRAI", "shap": "SHAP"}


def _targets_of(exp, i: int) -> list[int]:
    return [int(t) for t in np.atleast_1d(np.asarray(exp.targets[i]))]


def comparable_images(explanations) -> list:
    """The explanations, checked to be ImageExplanations of the same images, targets and predictions.

    Several methods on one set of images go side by side in one dashboard; anything that would make
    the panels disagree about what they show is an error that names the first difference.
    """
    exps = list(explanations)
    if not exps:
        raise ValueError("ExplanationDashboard got an empty list: pass an explanation, or a list of "
                         "ImageExplanations of the same images (one per method).")
    for j, e in enumerate(exps):
        if getattr(e, "kind", None) != "image":
            raise TypeError(f"a list of explanations shows several attribution methods side by side, so every "
                            f"item must be an ImageExplanation; item {j} is a {type(e).__name__}. Pass a single "
                            f"explanation on its own.")

    def name(j):
        return f"explanation {j} ({exps[j].method})"

    first = exps[0]
    for j, e in enumerate(exps[1:], start=1):
        if len(e) != len(first):
            raise ValueError(f"{name(j)} explains {len(e)} images but {name(0)} explains {len(first)}: "
                             f"explain the same images with each method.")
        if [str(o) for o in e.output_names] != [str(o) for o in first.output_names]:
            raise ValueError(f"{name(j)} has outputs {e.output_names[:5]}... but {name(0)} has "
                             f"{first.output_names[:5]}...: use the same classes for each method.")
        if e.task != first.task:
            raise ValueError(f"{name(j)} is a {e.task!r} explanation but {name(0)} is {first.task!r}.")
        for i in range(len(first)):
            a, b = np.asarray(first.images[i]), np.asarray(e.images[i])
            if a.shape != b.shape or not np.array_equal(a, b):
                raise ValueError(f"image {i} differs between {name(0)} and {name(j)}: explain the same images, "
                                 f"in the same order, with each method.")
            if _targets_of(first, i) != _targets_of(e, i):
                raise ValueError(f"image {i} was explained for outputs {_targets_of(first, i)} by {name(0)} but "
                                 f"{_targets_of(e, i)} by {name(j)}: pass the same targets= to every explain().")
        if (first.y_true is None) != (e.y_true is None) or (
                first.y_true is not None and not np.array_equal(np.asarray(first.y_true), np.asarray(e.y_true))):
            raise ValueError(f"the true labels (y_true) of {name(j)} differ from those of {name(0)}: pass the "
                             f"same y_true= to every explain().")
        same_pred = np.asarray(first.y_pred).shape == np.asarray(e.y_pred).shape and np.array_equal(
            np.asarray(first.y_pred), np.asarray(e.y_pred))
        if not same_pred:
            raise ValueError(f"the predictions of {name(j)} differ from those of {name(0)}: the explanations come "
                             f"from different models. Side by side compares methods on one model.")
    return exps


def method_labels(exps) -> list[str]:
    """Captions: the method's name, plus the parameters that tell apart two runs of the same method."""
    labels = []
    for e in exps:
        label = METHOD_NAMES.get(e.method, str(e.method).replace("_", " "))
        twins = [o for o in exps if o is not e and o.method == e.method]
        if twins:
            keys = sorted(k for k in e.params if any(o.params.get(k) != e.params[k] for o in twins))
            label += " (" + ", ".join(f"{k}={e.params[k]}" for k in keys) + ")" if keys else f" #{exps.index(e) + 1}"
        labels.append(label)
    return labels


def _keep_present_categories(columns: list) -> None:
    """Category label columns keep only the classes some image has, in output order (in place).

    1,000 ImageNet classes would otherwise fill the cohort editor's value lists; cohorts compare labels
    as strings, so a class no image has still works in a filter (it matches nothing).
    """
    if not columns or any(c["kind"] != "category" for c in columns):
        return
    codes = [wire_to_array(c["codes"]) for c in columns]
    used = np.unique(np.concatenate(codes))
    used = used[used >= 0]
    remap = np.full(len(columns[0]["categories"]) + 1, -1, dtype=np.int32)  # last slot: code -1 stays -1
    remap[used] = np.arange(len(used), dtype=np.int32)
    kept = [columns[0]["categories"][k] for k in used]
    for col, c in zip(columns, codes, strict=True):
        col["codes"] = array_to_wire(remap[c])
        col["categories"] = kept


def image_payload(explanations, label_column) -> tuple[dict, dict]:
    """One image explanation, or several (methods) on the same images: maps travel per image as
    float32 (m, t, mh, mw) (method, target, rows, columns); everything else comes from the first."""
    exps = comparable_images(explanations if isinstance(explanations, (list, tuple)) else [explanations])
    exp = exps[0]
    n = len(exp)
    names = [str(o) for o in exp.output_names]
    targets, sizes, map_sizes, maps = [], [], [], []
    for i in range(n):
        per_method = []
        for e in exps:
            a = np.asarray(e.attributions[i], dtype=np.float32)
            per_method.append(a[None] if a.ndim == 2 else a)
        small = downsample_map(np.stack(per_method))
        targets.append(_targets_of(exp, i))
        sizes.append(list(np.shape(exp.images[i])[:2]))
        map_sizes.append(list(small.shape[-2:]))
        maps.append(array_to_wire(small))
    signed = [bool(any(np.asarray(e.attributions[i]).min() < 0 for i in range(n))) for e in exps]
    methods = [{"method": e.method, "label": label, "signed": s, "params": _json_params(e.params)}
               for e, label, s in zip(exps, method_labels(exps), signed, strict=True)]
    meta = {
        "n_rows": n, "output_names": names, "task": exp.task, "units": exp.units, "method": exp.method,
        "methods": methods, "targets": targets, "sizes": sizes, "map_sizes": map_sizes,
        "max_map_side": MAX_MAP_SIDE, "signed": any(signed), "image_format": "png" if _pil() is not None else "raw",
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
        _keep_present_categories([arrays[k] for k in ("y_pred", "y_true") if k in arrays])
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
