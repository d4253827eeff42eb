"""The image payload: one image explanation, or several (methods) of the same images side by side.

Maps travel per image as float32 (m, t, mh, mw) (method, target, rows, columns), downsampled so the
long side is at most MAX_MAP_SIDE; everything else comes from the first explanation. Each method's checks, when
computed, travel in its ``meta.methods`` entry, per image and target (``per_image[i][j]`` is image i's j-th target):
``faithfulness`` (the curves, rounded to 4 decimals, and their AUCs), ``completeness`` and ``sanity``.
"""

from __future__ import annotations

import numpy as np

from rai_widget._payload._common import columns_to_wire, common_meta
from rai_widget._payload._images import MAX_MAP_SIDE, downsample_map, image_format, images_and_thumbs, json_params
from rai_widget._payload._wire import array_to_wire
from rai_widget.explanations import ImageExplanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations.image import targets_of

METHOD_NAMES = {
    "integrated_gradients": "Integrated Gradients",
    "guided_backprop": "Guided Backprop",
    "gradcam": "Grad-CAM",
    "guided_gradcam": "Guided Grad-CAM",
    "xrai": "XRAI",
    "shap": "SHAP",
}


def method_labels(exps: list[ImageExplanation]) -> list[str]:
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


def _per_image(exp: ImageExplanation, rows: list[dict]) -> list[list[dict]]:
    """Rows of a check (one per map, in the explanation's order) grouped per image."""
    out: list[list[dict]] = [[] for _ in range(len(exp))]
    for (i, _), row in zip(exp.pairs(), rows, strict=True):
        out[i].append(row)
    return out


def _number(v) -> float | None:
    return float(v) if np.isfinite(v) else None


def checks_meta(e: ImageExplanation) -> dict:
    """The checks of one explanation, for its entry in meta.methods (absent keys: not computed)."""
    out: dict = {}
    f = e.faithfulness
    if f is not None:
        rows = [
            {
                "deletion_auc": float(d_auc),
                "insertion_auc": float(i_auc),
                "deletion": np.round(d, 4).tolist(),
                "insertion": np.round(ins, 4).tolist(),
            }
            for d_auc, i_auc, d, ins in zip(f.deletion_auc, f.insertion_auc, f.deletion, f.insertion, strict=True)
        ]
        out["faithfulness"] = {
            "steps": len(f.fractions) - 1,
            "baseline": f.baseline,
            "score": f.score,
            "per_image": _per_image(e, rows),
        }
    c = e.completeness
    if c is not None:
        rows = [
            {"attribution_sum": float(a), "output_difference": float(d), "gap": float(g), "relative_gap": _number(r)}
            for a, d, g, r in zip(c.attribution_sum, c.output_difference, c.gap, c.relative_gap, strict=True)
        ]
        out["completeness"] = {"per_image": _per_image(e, rows)}
    s = e.sanity
    if s is not None:
        rows = [
            {"rank_correlation": float(r), "ssim": _number(m), "passed": bool(p)}
            for r, m, p in zip(s.rank_correlation, s.ssim, s.passed, strict=True)
        ]
        out["sanity"] = {"layers": s.layers, "threshold": s.threshold, "per_image": _per_image(e, rows)}
    return out


def payload(exps: list[ImageExplanation], spec: CohortColumns) -> tuple[dict, dict]:
    """`exps` are already checked to show the same images (explanations.image.comparable_images)."""
    exp = exps[0]
    n = len(exp)
    targets, sizes, map_sizes, maps = [], [], [], []
    for i in range(n):
        per_method = []
        for e in exps:
            a = np.asarray(e.attributions[i], dtype=np.float32)
            per_method.append(a[None] if a.ndim == 2 else a)
        small = downsample_map(np.stack(per_method))
        targets.append(targets_of(exp, i))
        sizes.append(list(np.shape(exp.images[i])[:2]))
        map_sizes.append(list(small.shape[-2:]))
        maps.append(array_to_wire(small))
    signed = [bool(any(np.asarray(e.attributions[i]).min() < 0 for i in range(n))) for e in exps]
    methods = [
        {"method": e.method, "label": label, "signed": s, "params": json_params(e.params), **checks_meta(e)}
        for e, label, s in zip(exps, method_labels(exps), signed, strict=True)
    ]
    meta = {
        **common_meta(exp),
        "method": exp.method,
        "methods": methods,
        "targets": targets,
        "sizes": sizes,
        "map_sizes": map_sizes,
        "max_map_side": MAX_MAP_SIDE,
        "signed": any(signed),
        "image_format": image_format(),
    }
    arrays: dict = {"columns": columns_to_wire(spec), **images_and_thumbs(exp.images), "attributions": maps}
    if exp.probabilities is not None:
        arrays["probabilities"] = array_to_wire(np.asarray(exp.probabilities, dtype=np.float32))
    return meta, arrays
