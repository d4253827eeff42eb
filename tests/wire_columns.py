"""Test helper: the column spec as a payload carries it (arrays["columns"]), decoded back to numpy."""

import numpy as np

from rai_widget._payload._wire import wire_to_array


def columns(arrays: dict) -> dict:
    """name -> {"kind", "role", and "values" / "codes" + "categories" / "offsets" + "tokens"} with arrays decoded."""
    out = {}
    for col in arrays["columns"]:
        out[col["name"]] = {k: wire_to_array(v) if isinstance(v, dict) and "view" in v else v for k, v in col.items()}
    return out


def labels(col: dict) -> list:
    """A category column's value per row (None when missing)."""
    return [col["categories"][c] if c >= 0 else None for c in col["codes"]]


def floats(col: dict) -> np.ndarray:
    assert col["kind"] == "number" and col["values"].dtype == np.float32
    return col["values"]
