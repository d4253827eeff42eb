"""exp.interactions: the surrogate's mean |SHAP interaction| matrix, as explainer.interactions() makes it and
the save format holds it (a plain array, the feature names, the output and the rows in the header)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def interactions_frame(matrix, features: list[str], output, rows: int) -> pd.DataFrame:
    """features x features in feature order (the diagonal: main effects); `attrs`: output (a name, None: the
    average over outputs) and rows (how many the means are over)."""
    matrix = np.asarray(matrix, dtype=np.float64)
    f = len(features)
    if matrix.shape != (f, f) or not np.isfinite(matrix).all() or (matrix < 0).any():
        raise ValueError(f"interactions must be {f} x {f} finite numbers >= 0, one per pair of features.")
    index = pd.Index(list(features), name="feature")
    frame = pd.DataFrame(matrix, index=index, columns=index.rename("partner"))
    frame.attrs = {"output": output, "rows": int(rows)}
    return frame


def interactions_to_arrays(frame: pd.DataFrame | None) -> tuple[dict, dict]:
    if frame is None:
        return {}, {}
    meta = {"features": [str(c) for c in frame.index], "output": frame.attrs.get("output"), "rows": frame.attrs["rows"]}
    return {"interactions": meta}, {"interactions": frame.to_numpy(dtype=np.float64)}


def interactions_from_arrays(meta: dict, arrays: dict, features: list[str]) -> pd.DataFrame | None:
    """None for a file without them (every file before they existed)."""
    saved = meta.get("interactions")
    if saved is None:
        return None
    if not isinstance(saved, dict) or saved.get("features") != features:
        raise ValueError("its interactions name other features than the explanation's.")
    return interactions_frame(arrays["interactions"], features, saved.get("output"), saved["rows"])
