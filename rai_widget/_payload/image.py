"""The image payload: one image explanation, or several (methods) of the same images side by side.

Maps travel per image as float32 (m, t, mh, mw) (method, target, rows, columns), downsampled so the
long side is at most MAX_MAP_SIDE; everything else comes from the first explanation.
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
        {"method": e.method, "label": label, "signed": s, "params": json_params(e.params)}
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
