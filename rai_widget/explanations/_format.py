"""The save format: one compressed .npz file, arrays plus a JSON header, never pickle."""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rai_widget._errors import ExplanationFileError

if TYPE_CHECKING:
    from rai_widget.explanations._base import Explanation

# 1: rai-widget 0.1.0. 2: texts and tokens as UTF-8 bytes (strings_to_arrays), so every character survives
FORMAT_VERSION = 2


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


def strings_to_arrays(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as (UTF-8 bytes as uint8, offsets (n + 1,) int64): string i is bytes[o[i]:o[i+1]]. Unlike a numpy
    string array, which drops trailing NUL characters, this keeps every character (and needs no pickle)."""
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def strings_from_arrays(data: np.ndarray, offsets: np.ndarray) -> list[str]:
    """The strings `strings_to_arrays` wrote (ValueError when the arrays do not fit together)."""
    data, offsets = np.asarray(data), np.asarray(offsets)
    if data.dtype != np.uint8 or data.ndim != 1 or offsets.ndim != 1 or offsets.dtype.kind not in "iu":
        raise ValueError("text arrays of the wrong type")
    if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(data) or (np.diff(offsets) < 0).any():
        raise ValueError("text offsets that do not cut the text bytes into strings")
    raw = data.tobytes()
    return [
        raw[a:b].decode("utf-8", "surrogatepass")
        for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
    ]


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
    """The constructor's keywords for what `outcome_to_arrays` saved (TypeError when the header's fields
    are not of their types; the explanation checks the rest)."""
    for key, kind in (("output_names", list), ("task", str), ("units", str)):
        if not isinstance(meta[key], kind):
            raise TypeError(f"its header's {key} is {type(meta[key]).__name__}, not {kind.__name__}")
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
    path = _path(path, "exp.save")
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"exp.save({str(path)!r}): the folder {str(path.parent)!r} does not exist; create it first."
        )
    meta, arrays = exp._to_arrays()
    meta = {"format": "rai-widget", "version": FORMAT_VERSION, "kind": exp.kind, **meta}
    for name, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise TypeError(f"internal error: array {name!r} would need pickle")
    # numpy's stub (>= 2.1) matches **arrays against savez_compressed's allow_pickle: bool; our array names
    # are never "allow_pickle", and numpy < 2.1 (we support 1.24+) has no such parameter to pass by name
    np.savez_compressed(path, __meta__=np.array(json.dumps(meta, default=jsonable)), **arrays)  # type: ignore[arg-type]
    return path


def _path(path, caller: str) -> Path:
    if not isinstance(path, (str, PathLike)):
        raise TypeError(f"{caller} needs a file path (a str or pathlib.Path), not {type(path).__name__}.")
    return Path(path)


def _damaged(path: Path, why: str) -> ExplanationFileError:
    return ExplanationFileError(f"{path} is not a file written by rai_widget's exp.save(), or it is damaged: {why}")


def _read(path: Path) -> dict[str, np.ndarray]:
    """Every array of the archive. The file is opened here, so no error leaves its handle open."""
    try:
        with open(path, "rb") as fh:
            loaded = np.load(fh, allow_pickle=False)
            if not hasattr(loaded, "files"):
                raise _damaged(path, "it holds one array, not the .npz archive of arrays exp.save() writes")
            with loaded as npz:
                return {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"no saved explanation at {path}") from None
    except IsADirectoryError:
        raise _damaged(path, "it is a folder") from None
    except (ExplanationFileError, PermissionError):
        raise
    except ValueError as err:
        if "pickle" in str(err):  # numpy's message suggests allow_pickle=True: never, for a file from elsewhere
            raise _damaged(path, "it is not an .npz archive of plain arrays (it would need pickle to read)") from None
        raise _damaged(path, str(err)) from err
    except Exception as err:  # BadZipFile, zlib.error, EOFError, OSError, KeyError...: reading failed midway
        raise _damaged(path, f"{type(err).__name__}: {err}") from err


def load(path) -> Explanation:
    """Load any explanation written by ``exp.save(path)``.

    The loaded explanation passes the same checks as one that ``explain()`` returns. Files written by
    earlier releases (format 1) load too.

    Parameters
    ----------
    path : str or Path
        The ``.npz`` file.

    Returns
    -------
    Explanation
        A TabularExplanation, TextExplanation, ImageExplanation or DetectionExplanation, as saved.

    Raises
    ------
    ExplanationFileError
        A file that is not an explanation, or a damaged or inconsistent one (a ValueError), saying so.
    FileNotFoundError
        No such file.
    """
    from rai_widget.explanations._base import Explanation

    path = _path(path, "rw.load")
    if not path.exists() and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    arrays = _read(path)
    if "__meta__" not in arrays:
        raise _damaged(path, "it has no header")
    try:
        meta = json.loads(str(arrays.pop("__meta__")))
    except (ValueError, TypeError) as err:
        raise _damaged(path, f"its header is not JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != "rai-widget":
        raise _damaged(path, "its header does not say format 'rai-widget'")
    version = meta.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _damaged(path, f"its format version is {version!r}, not a version number")
    if version > FORMAT_VERSION:
        raise ExplanationFileError(
            f"{path} was written by a newer rai-widget (format {version}); upgrade rai-widget to read it."
        )
    cls = Explanation._registry.get(str(meta.get("kind", "")))
    if cls is None:
        raise _damaged(path, f"it holds an explanation of unknown kind {meta.get('kind')!r}")
    try:
        return cls._from_arrays(meta, arrays)
    except ExplanationFileError:
        raise
    except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError) as err:
        what = f"missing {err}" if isinstance(err, KeyError) else str(err)
        raise _damaged(path, what) from err


DATETIME_UNITS = tuple(f"datetime64[{unit}]" for unit in ("s", "ms", "us", "ns"))


def index_to_arrays(index: pd.Index) -> tuple[dict | None, dict]:
    """The rows' ids as the save format keeps them: one level of integers, floats, strings or datetimes
    (meta {"kind", "name"} and the array "row_ids"; strings as bytes + offsets). The default 0..n-1, and ids
    of other types (a MultiIndex, mixed types), are not written: they load as positions."""
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return None, {}
    if isinstance(index, pd.MultiIndex):
        return None, {}
    name = index.name if index.name is None or isinstance(index.name, str) else str(index.name)
    values = index.to_numpy()
    if values.dtype.kind in "iu":
        return {"kind": "int", "name": name}, {"row_ids": values.astype(np.int64)}
    if values.dtype.kind == "f":
        return {"kind": "float", "name": name}, {"row_ids": values.astype(np.float64)}
    dtype = str(index.dtype)  # the loaded index gets it back: datetime64's unit, pandas' string dtype or object
    if values.dtype.kind == "M" and getattr(index, "tz", None) is None:
        ns = values.astype("datetime64[ns]").view(np.int64)
        return {"kind": "datetime", "name": name, "dtype": dtype}, {"row_ids": ns}
    if all(isinstance(v, str) for v in values):
        data, offsets = strings_to_arrays(list(values))
        return {"kind": "str", "name": name, "dtype": dtype}, {"row_ids": data, "row_id_offsets": offsets}
    return None, {}


def index_from_arrays(meta: dict | None, arrays: dict, n: int) -> pd.Index | None:
    """The row ids `index_to_arrays` wrote (None: positions), checked to hold one id per row."""
    if meta is None:
        return None
    kind, name = meta.get("kind"), meta.get("name")
    if kind == "str":
        ids: Any = strings_from_arrays(arrays["row_ids"], arrays["row_id_offsets"])
        index = pd.Index(ids, dtype=object, name=name)
    elif kind == "datetime":
        index = pd.DatetimeIndex(np.asarray(arrays["row_ids"], dtype=np.int64).view("datetime64[ns]"), name=name)
    elif kind in ("int", "float"):
        index = pd.Index(np.asarray(arrays["row_ids"], dtype=np.int64 if kind == "int" else np.float64), name=name)
    else:
        raise ValueError(f"row ids of an unknown kind {kind!r}")
    if len(index) != n:
        raise ValueError(f"{len(index)} row ids for {n} rows")
    dtype = meta.get("dtype")
    if kind in ("str", "datetime") and dtype in ("object", "str", "string") + DATETIME_UNITS:
        index = index.astype(dtype)
    return index
