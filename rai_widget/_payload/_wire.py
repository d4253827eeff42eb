"""numpy <-> the widget's binary wire format: {"view": memoryview, "dtype", "shape"}.

float64 travels as float32 and int64 as int32 (the browser draws in single precision anyway).
"""

from __future__ import annotations

import numpy as np

_NARROW = {
    np.dtype(np.float64): np.float32,
    np.dtype(np.int64): np.int32,
    np.dtype(np.uint64): np.uint32,
    np.dtype(np.bool_): np.uint8,
}


def array_to_wire(arr) -> dict:
    a = np.asarray(arr)
    target = _NARROW.get(a.dtype)
    if target is not None:
        a = a.astype(target)
    a = np.ascontiguousarray(a)
    dtype = "bool" if np.asarray(arr).dtype == np.bool_ else str(a.dtype)
    # .data is the same memoryview as memoryview(a), typed as one (numpy's stubs give ndarray __buffer__ only on 3.12+)
    return {"view": a.reshape(-1).view(np.uint8).data, "dtype": dtype, "shape": list(a.shape)}


def wire_to_array(wire: dict) -> np.ndarray:
    dtype = np.uint8 if wire["dtype"] == "bool" else np.dtype(wire["dtype"])
    a = np.frombuffer(bytes(wire["view"]), dtype=dtype).reshape(wire["shape"])
    return a.astype(bool) if wire["dtype"] == "bool" else a
