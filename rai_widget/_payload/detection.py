"""The detection payload: boxes as JSON, one saliency map per detection as a float32 buffer per image."""

from __future__ import annotations

import numpy as np

from rai_widget._payload._common import columns_to_wire, common_meta
from rai_widget._payload._images import MAX_MAP_SIDE, downsample_map, image_format, images_and_thumbs
from rai_widget._payload._wire import array_to_wire
from rai_widget.explanations import DetectionExplanation
from rai_widget.explanations._columns import CohortColumns


def payload(exps: list[DetectionExplanation], spec: CohortColumns) -> tuple[dict, dict]:
    (exp,) = exps
    detections, sizes, map_sizes, maps = [], [], [], []
    for i in range(len(exp)):
        detections.append(
            [
                {"box": [float(v) for v in d["box"]], "label": str(d["label"]), "score": float(d["score"])}
                for d in exp.detections[i]
            ]
        )
        h, w = np.shape(exp.images[i])[:2]
        small = downsample_map(np.asarray(exp.saliency[i], dtype=np.float32).reshape(-1, h, w))
        sizes.append([int(h), int(w)])
        map_sizes.append(list(small.shape[-2:]))
        maps.append(array_to_wire(small))
    meta = {
        **common_meta(exp),
        "detections": detections,
        "sizes": sizes,
        "map_sizes": map_sizes,
        "max_map_side": MAX_MAP_SIDE,
        "image_format": image_format(),
    }
    arrays = {"columns": columns_to_wire(spec), **images_and_thumbs(exp.images), "saliency": maps}
    return meta, arrays
