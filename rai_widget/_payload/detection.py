"""The detection payload: boxes as JSON, one saliency map per detection as a float32 buffer per image, and the
maps' checks (localisation per detection, D-RISE's convergence) as JSON."""

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
        **checks_meta(exp),
        "sizes": sizes,
        "map_sizes": map_sizes,
        "max_map_side": MAX_MAP_SIDE,
        "image_format": image_format(),
    }
    arrays = {"columns": columns_to_wire(spec), **images_and_thumbs(exp.images), "saliency": maps}
    return meta, arrays


def _number(v) -> float | None:
    return None if v is None or not np.isfinite(v) else float(v)


def checks_meta(exp: DetectionExplanation) -> dict:
    """`localisation`: per image, per detection {hit, peak [x, y] | None, distance, tied, energy, box_share};
    `tolerances`: the pointing game's tolerance per image (px); `convergence`: exp.convergence (None for a
    file saved before it)."""
    table = exp.localisation
    per_image: list[list[dict]] = [[] for _ in range(len(exp))]
    tolerances: list[float | None] = [None] * len(exp)
    for row in table.itertuples(index=False):
        peak = None if not np.isfinite(row.peak_x) else [float(row.peak_x), float(row.peak_y)]
        per_image[int(row.image)].append(
            {
                "hit": bool(row.pointing_hit),
                "peak": peak,
                "distance": _number(row.peak_distance),
                "tied": int(row.tied_peaks),
                "energy": _number(row.energy_inside),
                "box_share": _number(row.box_share),
            }
        )
        tolerances[int(row.image)] = float(row.tolerance)
    return {"localisation": per_image, "tolerances": tolerances, "convergence": exp.convergence}
