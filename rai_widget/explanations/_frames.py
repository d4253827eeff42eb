"""Explanations as pandas tables (exp.to_frame) and Parquet files (exp.to_parquet).

One naming rule for every column that belongs to an output: ``<what>[<output>]`` (``model_output[yes]``,
``probability[yes]``, ``surrogate_output[yes]``, ``base_value[yes]``) and ``value[<feature>][<output>]`` for
an attribution, the output written as ``str(name)``. Flat strings, so the frame reads the same in pandas,
in a Parquet file and in any tool that opens one (polars, DuckDB, R's arrow); ``df.filter(like="value[")``
selects every attribution. The long forms have one column per field instead: row id, ``output``,
``feature`` (or token ``position``), ``value``.
"""

from __future__ import annotations

import importlib
import os
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from rai_widget._checks import shown

if TYPE_CHECKING:
    from rai_widget.explanations._base import Explanation
    from rai_widget.explanations.tabular import TabularExplanation
    from rai_widget.explanations.text import TextExplanation

PARQUET_INSTALL = 'pip install "rai-widget[parquet]"'
PREDICTED = "predicted"
STR = "str" if int(pd.__version__.split(".")[0]) >= 3 else object  # pandas 2: text columns are object
TABULAR_LONG = ("output", "feature", "feature_value", "value")

# What each kind without a table offers instead (the error of its to_frame()).
INSTEAD = {
    "image": (
        "its attributions are one map per image (exp.attributions, (n, H, W)); use exp.to_shap() for a "
        "shap.Explanation, or exp.faithfulness.to_frame() for the per-map deletion / insertion figures"
    ),
    "detection": (
        "its saliency is one map per detection (exp.saliency[i], (m_i, H, W)); use exp.to_shap() for a "
        "shap.Explanation, or exp.detections for the boxes, labels and scores"
    ),
}


def check_long(long) -> bool:
    if not isinstance(long, (bool, np.bool_)):
        raise TypeError(f"long must be True or False, not {shown(long)}.")
    return bool(long)


def output_slots(exp: Explanation, output, every: list[int]) -> list[tuple[object, np.ndarray]]:
    """The outputs a frame holds, each as (its name, the output index per row): `every` (the indices the
    kind holds for output=None), one output by name or index, or each row's predicted output ("predicted")."""
    n = len(exp)
    if output is None:
        return [(exp.output_names[k], np.full(n, k)) for k in every]
    if isinstance(output, str) and output == PREDICTED and PREDICTED not in exp.output_names:
        return [(PREDICTED, exp.predicted_index())]
    k = exp.output_index(output)  # ValueError listing the outputs
    return [(exp.output_names[k], np.full(n, k))]


def no_frame(exp: Explanation) -> TypeError:
    name = type(exp).__name__
    instead = INSTEAD.get(exp.kind, "use exp.to_shap() for a shap.Explanation")
    return TypeError(f"{name} has no to_frame(): {instead}.")


def _row_index(index: pd.Index) -> pd.Index:
    """The explanation's row ids, an unnamed index named "row" (each unnamed level of several: row_<i>)."""
    index = index.copy()
    if index.nlevels == 1:
        return index.rename(index.name if index.name is not None else "row")
    return index.set_names([n if n is not None else f"row_{i}" for i, n in enumerate(index.names)])


def _pick(arr: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """arr[i, ..., ks[i]] per row i (the last axis is the output's)."""
    return np.take_along_axis(arr, ks.reshape((-1,) + (1,) * (arr.ndim - 1)), axis=-1)[..., 0]


def _labels(values):
    """Labels as a column: numbers and booleans as they are, anything else as text (pandas' string dtype), so
    that every column is of one type and fits Parquet."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf":
        return arr
    inferred = pd.Series(arr.tolist(), dtype=object).infer_objects()
    if inferred.dtype.kind in "biuf":
        return inferred.to_numpy()
    return pd.array([str(v) for v in arr.tolist()], dtype=STR)


def _outcome_columns(exp: Explanation, slots, kinds) -> dict:
    """y_true and y_pred (per output when multi-label), then per output: model_output, probability, ..."""
    cols: dict = {}
    for name in ("y_true", "y_pred"):
        labels = getattr(exp, name)
        if labels is None:
            continue
        labels = np.asarray(labels)
        if labels.ndim == 2:  # multi-label: one boolean per output
            for o, ks in slots:
                cols[f"{name}[{o}]"] = _pick(labels, ks)
        else:
            cols[name] = _labels(labels)
    for what, arr in kinds:
        if arr is None:
            continue
        for o, ks in slots:
            cols[f"{what}[{o}]"] = _pick(np.asarray(arr), ks)
    return cols


def tabular_frame(exp: TabularExplanation, output, long) -> pd.DataFrame:
    long = check_long(long)
    n, k = len(exp), len(exp.output_names)
    binary = exp.task == "classification" and k == 2
    slots = output_slots(exp, output, [1] if binary else list(range(k)))
    if long:
        return _tabular_long(exp, slots)
    base = np.broadcast_to(exp.base_values, (n, k))
    kinds = [
        ("model_output", exp.model_output),
        ("probability", exp.probabilities),
        ("surrogate_output", exp.surrogate_output),
        ("base_value", base),
    ]
    cols = _outcome_columns(exp, slots, kinds)
    for o, ks in slots:
        picked = exp._per_row_values(ks)  # (n, f)
        for j, feature in enumerate(exp.feature_names):
            cols[f"value[{feature}][{o}]"] = picked[:, j]
    frame = pd.DataFrame(cols, index=_row_index(exp.data.index))
    frame.attrs = {"units": exp.units, "task": exp.task}
    return frame


def _tabular_long(exp: TabularExplanation, slots) -> pd.DataFrame:
    n, f = len(exp), len(exp.feature_names)
    s = len(slots)
    index = _row_index(exp.data.index)
    clash = [name for name in index.names if name in TABULAR_LONG]
    if clash:
        raise ValueError(
            f"the data's row index is named {clash[0]!r}, as a column of the long frame is; rename it first, e.g. "
            "exp.data.index.name = 'row'."
        )
    rows = index.repeat(s * f).to_frame(index=False)
    values = np.stack([exp._per_row_values(ks) for _, ks in slots], axis=1)  # (n, s, f)
    data = exp.data.to_numpy(dtype=object)  # each feature's values as the data holds them (None / NaN missing)
    feature_value = pd.Series(np.broadcast_to(data[:, None, :], (n, s, f)).ravel(), dtype=object).infer_objects()
    names = np.empty(s, dtype=object)
    names[:] = [o for o, _ in slots]
    rows["output"] = pd.Series(np.tile(np.repeat(names, f), n), dtype=object).infer_objects()
    rows["feature"] = _labels(np.tile(np.asarray(exp.feature_names, dtype=object), n * s))
    rows["feature_value"] = feature_value
    rows["value"] = values.ravel()
    rows.attrs = {"units": exp.units, "task": exp.task}
    return rows


def text_frame(exp: TextExplanation, output, long) -> pd.DataFrame:
    long = check_long(long)
    n, k = len(exp), len(exp.output_names)
    slots = output_slots(exp, output, list(range(k)))
    kinds = [("model_output", exp.model_output), ("probability", exp.probabilities), ("base_value", exp.base_values)]
    if not long:
        cols = {"text": _labels(np.asarray(exp.texts, dtype=object)), "tokens": [len(t) for t in exp.tokens]}
        cols["truncated"] = exp.truncated
        cols |= _outcome_columns(exp, slots, kinds)
        frame = pd.DataFrame(cols, index=pd.RangeIndex(n, name="row"))
        frame.attrs = {"units": exp.units, "task": exp.task}
        return frame
    lengths = np.array([len(t) for t in exp.tokens], dtype=np.int64)
    s = len(slots)
    row = np.repeat(np.arange(n), lengths * s)
    slot = np.concatenate([np.repeat(np.arange(s), t) for t in lengths]) if n else np.zeros(0, dtype=np.int64)
    position = np.concatenate([np.tile(np.arange(t), s) for t in lengths]) if n else np.zeros(0, dtype=np.int64)
    ks = np.stack([sk for _, sk in slots], axis=1)[row, slot] if len(row) else np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    flat = starts[row] + position  # the token's place in all tokens
    tokens = np.asarray([w for t in exp.tokens for w in t], dtype=object)
    spans = np.concatenate([np.asarray(o, dtype=np.int64).reshape(-1, 2) for o in exp.offsets]) if n else None
    values = np.concatenate([np.asarray(v, dtype=np.float64).reshape(-1, k) for v in exp.values]) if n else None
    names = np.empty(s, dtype=object)
    names[:] = [o for o, _ in slots]
    empty = np.zeros(0)
    frame = pd.DataFrame(
        {
            "row": row,
            "output": pd.Series(names[slot], dtype=object).infer_objects(),
            "position": position,
            "token": _labels(tokens[flat]) if len(row) else _labels(np.zeros(0, dtype=object)),
            "start": spans[flat, 0] if spans is not None else empty.astype(np.int64),
            "end": spans[flat, 1] if spans is not None else empty.astype(np.int64),
            "value": values[flat, ks] if values is not None else empty,
            "model_output": np.asarray(exp.model_output)[row, ks],
            "base_value": np.asarray(exp.base_values)[row, ks],
        }
    )
    frame.attrs = {"units": exp.units, "task": exp.task}
    return frame


# --- Parquet ---------------------------------------------------------------------------------------------------


def check_parquet_path(path) -> Path:
    """The file to write: a str or PathLike whose folder exists and is writable, not a folder itself."""
    if not isinstance(path, (str, PathLike)):
        raise TypeError(f"exp.to_parquet needs a file path (a str or pathlib.Path), not {type(path).__name__}.")
    out = Path(path)
    if out.is_dir():
        raise IsADirectoryError(
            f"exp.to_parquet({str(path)!r}): {str(path)!r} is a folder; give the file's name, e.g. "
            f"{str(out / 'attributions.parquet')!r}."
        )
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"exp.to_parquet({str(path)!r}): the folder {str(folder)!r} does not exist; create it first."
        )
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"exp.to_parquet({str(path)!r}): the folder {str(folder)!r} is not writable.")
    return out


def check_parquet_target(path):
    """(file, pyarrow, pyarrow.parquet): the path checked and pyarrow imported, before any work is done."""
    out = check_parquet_path(path)
    try:  # (by name: pyarrow ships no type information for mypy)
        pa = importlib.import_module("pyarrow")
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise ImportError(f"exp.to_parquet needs pyarrow, an optional extra: {PARQUET_INSTALL}") from None
    return out, pa, pq


def to_parquet(exp: Explanation, path, output) -> Path:
    """Write ``exp.to_frame(output=output)`` to `path` with pyarrow (Arrow columns and pandas' JSON metadata, no
    pickle); the path and pyarrow are checked before any work, and nothing is written on an error."""
    out, pa, pq = check_parquet_target(path)
    frame = exp.to_frame(output=output)
    clash = [name for name in frame.index.names if name in frame.columns]
    if clash:
        raise ValueError(
            f"the row index is named {clash[0]!r}, as a column is; rename it (exp.data.index.name = 'row') to write "
            "both."
        )
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)  # a RangeIndex as metadata, any other as columns
    except (pa.ArrowException, TypeError) as err:  # e.g. row ids of mixed types
        raise ValueError(
            f"exp.to_parquet({str(path)!r}): a column does not fit a Parquet column ({err}). Row ids and labels "
            "must each be of one type (e.g. all strings)."
        ) from None
    pq.write_table(table, out)
    return out
