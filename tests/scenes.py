"""Known-answer scenes shared by the detection tests (API and browser)."""

import numpy as np
from scipy import ndimage


def square_detector(images):
    """Known-answer detector: bright connected regions are objects, score = mean brightness / 255,
    label 1 when the region reaches into the right half of the image, else 0 (so two classes appear)."""
    out = []
    for img in images:
        gray = img.astype(np.float32).mean(axis=2)
        regions, _ = ndimage.label(gray > 128)
        boxes, scores, labels = [], [], []
        for k, (ys, xs) in enumerate(ndimage.find_objects(regions), start=1):
            boxes.append([xs.start, ys.start, xs.stop, ys.stop])
            scores.append(gray[regions == k].mean() / 255)
            labels.append(int(xs.stop > img.shape[1] // 2))
        out.append(
            {
                "boxes": np.array(boxes, dtype=float).reshape(-1, 4),
                "scores": np.array(scores),
                "labels": np.array(labels, dtype=int),
            }
        )
    return out
