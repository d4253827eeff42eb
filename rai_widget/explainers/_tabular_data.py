"""Tabular inputs: validate what users pass and encode it for the LightGBM surrogate.

The model always receives the data exactly as the user gave it; only the surrogate sees the
encoding (numbers as float64, booleans as 0/1, categories as integer codes, missing as NaN).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rai_widget._checks import shown
from rai_widget._warnings import RaiWidgetWarning

NUMERIC, BOOL, CATEGORY = "numeric", "bool", "category"


# pandas >= 3 always copies on write, so a shallow copy of the caller's frame is a snapshot; before, only a deep one.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or pd.options.mode.copy_on_write is True


def _as_2d(X, what: str):
    """A DataFrame stays a DataFrame; anything else becomes a 2-D numpy array."""
    if isinstance(X, pd.DataFrame):
        return X
    if X is None:
        raise TypeError(f"{what} is None: pass the rows as a pandas DataFrame or a 2-D array (rows x features).")
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{what} is {shown(X if not isinstance(X, os.PathLike) else str(X))}, not data: pass the rows themselves "
            f"(e.g. {what} = pd.read_csv(path)) as a DataFrame or a 2-D array."
        )
    if isinstance(X, Mapping):
        raise TypeError(f"{what} is a {type(X).__name__}: make it a DataFrame first, pd.DataFrame({what}).")
    if isinstance(X, pd.Series):
        raise TypeError(f"{what} is a pandas Series; pass a DataFrame (e.g. {what}.to_frame()) or a 2-D array.")
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(f"{what} is a sparse matrix; pass a dense array ({what}.toarray()) or a DataFrame.")
    try:
        arr = np.asarray(X)
    except Exception as err:
        raise TypeError(f"{what} must be a pandas DataFrame or a 2-D array, not {type(X).__name__} ({err}).") from None
    if arr.ndim == 0:
        raise TypeError(
            f"{what} is a single value ({shown(X)}), not rows: pass a DataFrame or a 2-D array (rows x features)."
        )
    if arr.ndim == 1 and arr.dtype == object and len(arr) and all(isinstance(v, Mapping) for v in arr.tolist()):
        raise TypeError(f"{what} is a list of records: make it a DataFrame first, pd.DataFrame({what}).")
    if arr.ndim != 2:
        hint = (
            f" For a single row use {what}.reshape(1, -1); for a single feature {what}.reshape(-1, 1)."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(f"{what} must be 2-D (rows x features); got an array of shape {arr.shape}.{hint}")
    return arr


def _decode_bytes(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of bytes as text (UTF-8; undecodable bytes as \\x escapes), so that they are categories like strings."""
    decoded = {}
    for col in frame.columns[[pd.api.types.is_object_dtype(t) for t in frame.dtypes]]:
        series = frame[col]
        if pd.api.types.infer_dtype(series, skipna=True) in ("bytes", "mixed") and any(
            isinstance(v, bytes) for v in series.tolist()
        ):
            decoded[col] = series.map(
                lambda v: v.decode("utf-8", "backslashreplace") if isinstance(v, bytes) else v, na_action="ignore"
            )
    if decoded:
        frame = frame.copy(deep=False)  # replacing whole columns leaves the caller's frame as it was
        for col, values in decoded.items():
            frame[col] = values
    return frame


def _text(series: pd.Series) -> pd.Series:
    """Category values as the text they are compared by."""
    return series.astype("string")


def _column_kind(series: pd.Series, name: str, categorical: bool) -> str:
    dtype = series.dtype
    if categorical or isinstance(dtype, pd.CategoricalDtype):
        return CATEGORY
    if pd.api.types.is_bool_dtype(dtype):
        return BOOL
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        raise TypeError(
            f"column {name!r} holds dates/times ({dtype}); convert it to numbers first "
            "(e.g. days since a reference date) so the surrogate can split on it."
        )
    if pd.api.types.is_complex_dtype(dtype):
        raise TypeError(f"column {name!r} holds complex numbers, which cannot be explained.")
    if pd.api.types.is_numeric_dtype(dtype):
        return NUMERIC
    values = series.dropna()
    if len(values) and values.map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return BOOL
    return CATEGORY  # strings and other objects: compared by their text


@dataclass
class TabularSchema:
    """The features of X_train: names, kinds and category levels, used to check and encode later data."""

    feature_names: list[str]
    kinds: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    columns: list = field(default_factory=list)  # the DataFrame's original column labels
    is_frame: bool = True

    @classmethod
    def from_training_data(
        cls, X_train, features: Sequence[str] | None = None, categorical_features: Sequence | None = None
    ) -> tuple[TabularSchema, pd.DataFrame]:
        X_train = _as_2d(X_train, "X_train")
        if isinstance(features, (str, bytes)):
            raise TypeError(f"features must be a list of column names, e.g. ['age', 'income'], not {shown(features)}.")
        if isinstance(X_train, pd.DataFrame):
            columns = list(X_train.columns)
            names = [str(c) for c in columns]
            if features is not None and [str(f) for f in features] != names:
                raise ValueError(
                    "features= names the columns of a numpy X_train; X_train is a DataFrame, whose own "
                    "column names are used. Rename its columns instead."
                )
            frame = X_train
            is_frame = True
        else:
            n_cols = X_train.shape[1]
            if features is None:
                names = [f"feature_{i}" for i in range(n_cols)]
            else:
                names = [str(f) for f in features]
                if len(names) != n_cols:
                    raise ValueError(f"features has {len(names)} names but X_train has {n_cols} columns.")
            columns = names
            frame = pd.DataFrame(X_train, columns=names)
            frame = frame.infer_objects()
            is_frame = False
        if len(frame) == 0:
            raise ValueError("X_train has no rows; the surrogate needs data to learn the model's behaviour from.")
        if frame.shape[1] == 0:
            raise ValueError("X_train has no columns.")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"feature names must be unique; repeated: {dupes}.")

        frame = _decode_bytes(frame)
        categorical = _resolve_categorical(categorical_features, names, columns)
        kinds, cats = [], {}
        for col, name in zip(frame.columns, names, strict=True):
            kind = _column_kind(frame[col], name, name in categorical)
            kinds.append(kind)
            if kind == CATEGORY:
                cats[name] = _levels(frame[col])
        schema = cls(names, kinds, cats, columns, is_frame)
        schema.check_finite(frame, "X_train")
        return schema, frame

    def check_saveable(self, frame: pd.DataFrame, what: str) -> None:
        """Every column must come back from exp.save() / rw.load() with its dtype: refuse the few that cannot
        (e.g. intervals), tried on a few rows through the save format itself. Call it after `encode`, which
        says more precisely what is wrong with a column of the wrong kind."""
        from rai_widget.explanations.tabular import column_from_arrays, column_to_arrays

        head = frame.head(20)
        for j, (col, name, kind) in enumerate(zip(head.columns, self.feature_names, self.kinds, strict=True)):
            series = head[col]
            try:
                col_meta, arrays = column_to_arrays(series, kind, j)
                back = pd.Series(column_from_arrays(col_meta, arrays, j, name))
                same = back.dtype == series.dtype
            except (TypeError, ValueError):
                same = False
            if not same:
                raise TypeError(
                    f"column {name!r} of {what} has dtype {series.dtype}, which an explanation cannot save and load "
                    f"back as it is. Convert it first, to text ({what}[{name!r}].astype(str)) or to numbers."
                )

    def check_finite(self, frame: pd.DataFrame, what: str) -> None:
        bad = {}
        for col, name, kind in zip(frame.columns, self.feature_names, self.kinds, strict=True):
            if kind == NUMERIC:
                values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                n_inf = int(np.isinf(values).sum())
                if n_inf:
                    bad[name] = n_inf
        if bad:
            listed = ", ".join(f"{k!r} ({v} rows)" for k, v in bad.items())
            raise ValueError(
                f"{what} has infinite values in {listed}. Replace them with NaN (treated as missing) "
                "or with finite numbers."
            )

    def to_frame(self, X, what: str = "X") -> pd.DataFrame:
        """Check that X has X_train's features (names, order, count) and return it as a DataFrame."""
        X = _as_2d(X, what)
        if isinstance(X, pd.DataFrame):
            got = [str(c) for c in X.columns]
            if got != self.feature_names:
                raise ValueError(_column_mismatch(got, self.feature_names, what))
            frame = X.copy(deep=not _COPY_ON_WRITE)  # the explanation keeps these rows: not the caller's object
        else:
            if self.is_frame:
                raise TypeError(
                    f"{what} is a numpy array but X_train was a DataFrame; pass a DataFrame with the same "
                    f"columns ({len(self.feature_names)}: {self.feature_names[:5]}...)."
                )
            if X.shape[1] != len(self.feature_names):
                raise ValueError(f"{what} has {X.shape[1]} columns but X_train had {len(self.feature_names)}.")
            frame = pd.DataFrame(X, columns=self.feature_names, copy=True).infer_objects()
        if len(frame) == 0:
            raise ValueError(f"{what} has no rows to explain.")
        frame = _decode_bytes(frame)
        self.check_finite(frame, what)
        return frame

    def encode(self, frame: pd.DataFrame, what: str = "X") -> np.ndarray:
        """(n, f) float64 for the surrogate; categories as codes of X_train's levels, NaN when missing."""
        out = np.empty((len(frame), len(self.feature_names)), dtype=np.float64)
        unseen = {}
        for j, (col, name, kind) in enumerate(zip(frame.columns, self.feature_names, self.kinds, strict=True)):
            series = frame[col]
            if kind == CATEGORY:
                levels = self.categories[name]
                text = _text(series)
                known = text.isin(levels).to_numpy()
                codes = pd.Categorical(text.where(known), categories=levels).codes.astype(np.float64)
                n_unseen = int((~known & text.notna().to_numpy()).sum())
                if n_unseen:
                    unseen[name] = n_unseen
                codes[codes < 0] = np.nan
                out[:, j] = codes
            elif kind == BOOL:
                out[:, j] = _bool_values(series, name, what)
            else:
                out[:, j] = _numbers(series, name, what)
        if unseen:
            listed = ", ".join(f"{k!r} ({v} rows)" for k, v in unseen.items())
            warnings.warn(
                f"{what} has category values not seen in X_train in {listed}; the surrogate treats them as missing.",
                RaiWidgetWarning,
                stacklevel=3,
            )
        return out

    def categorical_indices(self) -> list[int]:
        return [i for i, k in enumerate(self.kinds) if k == CATEGORY]


def _bool_values(series: pd.Series, name: str, what: str) -> np.ndarray:
    """A boolean feature as 1.0 / 0.0 (NaN missing): booleans, or the numbers 0 and 1."""
    try:
        return pd.array(series, dtype="boolean").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        values = series.dropna().tolist()
        bad = [v for v in dict.fromkeys(values) if not (isinstance(v, (bool, np.bool_)) or v in (0, 1))][:3] or [
            values[0]
        ]
        raise TypeError(
            f"column {name!r} of {what} holds {shown(bad)}, but it was boolean in X_train: it must hold True / False "
            f"(or 0 / 1; missing as None). Convert it, e.g. {what}[{name!r}] = {what}[{name!r}] == {shown(bad[0])}."
        ) from None


def _numbers(series: pd.Series, name: str, what: str) -> np.ndarray:
    """A numeric feature as float64 (NaN missing)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiu":  # plain numpy numbers: nothing to convert or check
        return series.to_numpy(dtype=np.float64)
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        raise TypeError(f"column {name!r} of {what} holds dates/times ({dtype}), but it was numeric in X_train.")
    try:
        return pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        numeric = pd.to_numeric(series, errors="coerce")
        bad = list(dict.fromkeys(series[numeric.isna() & series.notna()].tolist()))[:3]
        raise TypeError(
            f"column {name!r} of {what} holds non-numbers ({shown(bad)}), but it was numeric in X_train. Pass "
            f"{what} with X_train's dtypes (e.g. {what}[{name!r}] = pd.to_numeric({what}[{name!r}]))."
        ) from None


def _levels(series: pd.Series) -> list[str]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [str(c) for c in series.cat.categories]
    return sorted(set(_text(series).dropna()))


def _resolve_categorical(categorical_features, names: list[str], columns: list) -> set[str]:
    """The features named (or indexed) by categorical_features: a list of names or indices, or one of them."""
    if categorical_features is None:
        return set()
    if isinstance(categorical_features, (str, bytes, int, np.integer)):
        categorical_features = [categorical_features]  # one column ("zip"), not its characters
    elif isinstance(categorical_features, Mapping) or not isinstance(
        categorical_features, (Sequence, np.ndarray, pd.Index, set, frozenset)
    ):
        raise TypeError(
            f"categorical_features must be a list of column names or indices, e.g. ['zip'], not "
            f"{type(categorical_features).__name__}."
        )
    resolved = set()
    for c in categorical_features:
        if isinstance(c, bytes):
            c = c.decode("utf-8", "backslashreplace")
        if isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c not in columns:
            if not 0 <= c < len(names):
                raise ValueError(f"categorical_features index {c} is out of range for {len(names)} features.")
            resolved.add(names[c])
        elif str(c) in names:
            resolved.add(str(c))
        else:
            raise ValueError(f"categorical_features names {shown(c)}, which is not a feature. Features: {names}.")
    return resolved


def _column_mismatch(got: list[str], expected: list[str], what: str) -> str:
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"unexpected {extra}")
        return (
            f"{what}'s columns differ from X_train's: {'; '.join(parts)}. "
            f"Pass the same columns the model was trained on: {what}[explainer.feature_names]."
        )
    moved = [c for c, e in zip(got, expected, strict=True) if c != e]
    return (
        f"{what} has X_train's columns in a different order (first out of place: {moved[:3]}). "
        f"Reorder them: {what} = {what}[explainer.feature_names]."
    )
