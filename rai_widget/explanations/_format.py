"""The save format: one compressed .npz file, arrays plus a JSON header, never pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rai_widget.explanations._base import Explanation

FORMAT_VERSION = 1


def jsonable(value):
    """numpy scalars as the Python values JSON can hold."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def label_array(values) -> np.ndarray:
    """Labels as a numpy array that np.savez can store without pickle."""
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([str(v) for v in arr])
    return arr


def outcome_to_arrays(exp: Explanation) -> tuple[dict, dict]:
    """What every kind with predictions saves alike: meta (output names, task, units) and arrays
    (model_output, y_pred, and y_true and probabilities when there are any)."""
    meta = {"output_names": [jsonable(o) for o in exp.output_names], "task": exp.task, "units": exp.units}
    arrays = {"model_output": exp.model_output, "y_pred": label_array(exp.y_pred)}
    if exp.y_true is not None:
        arrays["y_true"] = label_array(exp.y_true)
    probabilities = getattr(exp, "probabilities", None)
    if probabilities is not None:
        arrays["probabilities"] = probabilities
    return meta, arrays


def outcome_from_arrays(meta: dict, arrays: dict) -> dict:
    """The constructor's keywords for what `outcome_to_arrays` saved."""
    return {
        "output_names": meta["output_names"],
        "task": meta["task"],
        "units": meta["units"],
        "model_output": arrays["model_output"],
        "y_pred": arrays["y_pred"],
        "y_true": arrays.get("y_true"),
        "probabilities": arrays.get("probabilities"),
    }


def save(exp: Explanation, path) -> Path:
    """Write `exp` to `path` (".npz" is added when missing); returns the path written."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    meta, arrays = exp._to_arrays()
    meta = {"format": "rai-widget", "version": FORMAT_VERSION, "kind": exp.kind, **meta}
    for name, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise TypeError(f"internal error: array {name!r} would need pickle")
    # numpy's stub (>= 2.1) matches **arrays against savez_compressed's allow_pickle: bool; our array names
    # are never "allow_pickle", and numpy < 2.1 (we support 1.24+) has no such parameter to pass by name
    np.savez_compressed(path, __meta__=np.array(json.dumps(meta, default=jsonable)), **arrays)  # type: ignore[arg-type]
    return path


def load(path) -> Explanation:
    """Load any explanation written by `exp.save(path)`."""
    from rai_widget.explanations._base import Explanation

    path = Path(path)
    if not path.exists() and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved explanation at {path}") from None
    except (ValueError, OSError) as err:
        raise ValueError(f"{path} is not a file written by rai_widget's exp.save(): {err}") from err
    if "__meta__" not in arrays:
        raise ValueError(f"{path} is not a file written by rai_widget's exp.save() (no header).")
    meta = json.loads(str(arrays.pop("__meta__")))
    if meta.get("format") != "rai-widget":
        raise ValueError(f"{path} is not a file written by rai_widget's exp.save().")
    if meta.get("version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by a newer rai-widget (format {meta['version']}); upgrade rai-widget to read it."
        )
    cls = Explanation._registry.get(meta.get("kind", ""))
    if cls is None:
        raise ValueError(f"{path} holds an explanation of unknown kind {meta.get('kind')!r}.")
    return cls._from_arrays(meta, arrays)
