"""The column spec: the columns cohorts filter on, computed once, in Python.

Each explanation kind declares its columns in ``column_spec()``; the same objects are what
``Cohort.mask`` evaluates in the kernel and what the widget ships to the browser, which evaluates the
same cohort JSON on them (``js/core/cohorts.ts``). No column is re-derived anywhere else. See
docs/architecture.md ("The column spec") for the kinds, the roles and the precision rule.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

FEATURE, SPECIAL = "feature", "special"
BOOL_MISSING = 255  # a BoolColumn value that is neither true (1) nor false (0)


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, (float, np.floating)) and math.isnan(v)


@dataclass(frozen=True, eq=False)
class NumberColumn:
    """Numbers (NaN = missing), compared at float32 on both sides."""

    values: np.ndarray
    role: str = SPECIAL
    kind: ClassVar[str] = "number"

    def __len__(self) -> int:
        return len(self.values)

    def float32(self) -> np.ndarray:
        """The values as both evaluators compare them (and as the wire carries them)."""
        with np.errstate(over="ignore"):  # beyond float32's range -> inf, as Math.fround does
            return np.asarray(self.values, dtype=np.float32)

    def to_series(self) -> pd.Series:
        return pd.Series(self.values)


@dataclass(frozen=True, eq=False)
class CategoryColumn:
    """Codes into a list of distinct strings (code -1 = missing), compared by string."""

    codes: np.ndarray
    categories: tuple[str, ...]
    role: str = SPECIAL
    kind: ClassVar[str] = "category"

    def __len__(self) -> int:
        return len(self.codes)

    def to_series(self) -> pd.Series:
        return pd.Series(pd.Categorical.from_codes(self.codes, categories=list(self.categories)))


@dataclass(frozen=True, eq=False)
class BoolColumn:
    """uint8: 1 true, 0 false, BOOL_MISSING missing."""

    values: np.ndarray
    role: str = SPECIAL
    kind: ClassVar[str] = "bool"

    def __len__(self) -> int:
        return len(self.values)

    def to_series(self) -> pd.Series:
        if (self.values == BOOL_MISSING).any():
            return pd.Series(pd.array([None if v == BOOL_MISSING else bool(v) for v in self.values], dtype="boolean"))
        return pd.Series(self.values.astype(bool))


@dataclass(frozen=True, eq=False)
class TokensColumn:
    """Each row's words: row i's are tokens[offsets[i]:offsets[i + 1]] (a text explanation's `tokens`)."""

    offsets: np.ndarray
    tokens: tuple[str, ...]
    role: str = SPECIAL
    kind: ClassVar[str] = "tokens"
    _lower: list = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lower(self) -> np.ndarray:
        """The tokens lower-cased (what `contains` compares), computed once."""
        if not self._lower:
            self._lower.append(np.array([t.lower() for t in self.tokens], dtype=str))
        return self._lower[0]

    def to_series(self) -> pd.Series:
        rows = np.empty(len(self), dtype=object)
        for i in range(len(self)):  # one by one: equal-length tuples would broadcast into a 2-D array
            rows[i] = self.tokens[self.offsets[i] : self.offsets[i + 1]]
        return pd.Series(rows, dtype=object)


Column = NumberColumn | CategoryColumn | BoolColumn | TokensColumn


class CohortColumns(Mapping[str, Column]):
    """An ordered set of named columns of one length: what cohorts filter on."""

    def __init__(self, columns: Mapping[str, Column], n_rows: int):
        self._columns = dict(columns)
        self.n_rows = int(n_rows)
        for name, col in self._columns.items():
            if len(col) != self.n_rows:
                raise ValueError(f"internal error: column {name!r} has {len(col)} rows, not {self.n_rows}")

    def __getitem__(self, name: str) -> Column:
        return self._columns[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def features(self) -> list[str]:
        return [name for name, col in self._columns.items() if col.role == FEATURE]

    def to_frame(self) -> pd.DataFrame:
        """The columns as a DataFrame, for people (and `Cohort.mask` gives the same rows on it)."""
        data = {name: col.to_series() for name, col in self._columns.items()}
        return pd.DataFrame(data, index=pd.RangeIndex(self.n_rows))

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> CohortColumns:
        """A DataFrame's columns, each of the kind its dtype says (see `kind_of`)."""
        return cls({str(name): column_from_series(df[name]) for name in df.columns}, len(df))


# --- building columns ---------------------------------------------------------------------------


def kind_of(s: pd.Series) -> str:
    """The kind of a DataFrame column, from its dtype: bool (also an object column of booleans),
    category (category, string, object), number (other numeric dtypes) or tokens (an object column
    whose every value is a list or tuple of strings)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool"
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_numeric_dtype(s.dtype):
        return "number"
    if s.dtype == object and s.notna().any() and pd.api.types.infer_dtype(s, skipna=True) == "boolean":
        return "bool"
    if s.dtype == object and len(s) and all(isinstance(v, (list, tuple)) for v in s):
        return "tokens"
    return "category"


def column_from_series(s: pd.Series, role: str = SPECIAL) -> Column:
    kind = kind_of(s)
    if kind == "bool":
        return boolean(s, role)
    if kind == "number":
        return NumberColumn(s.to_numpy(dtype=np.float64, na_value=np.nan), role)
    if kind == "tokens":
        return tokens(s, role)
    return category_of_series(s, role)


def number(values, role: str = SPECIAL) -> NumberColumn:
    return NumberColumn(np.asarray(values, dtype=np.float64), role)


def boolean(values, role: str = SPECIAL) -> BoolColumn:
    """Booleans, with None / NA / NaN as missing."""
    arr = np.asarray(values) if not isinstance(values, pd.Series) else values.to_numpy(dtype=object)
    if arr.dtype == bool:
        return BoolColumn(arr.astype(np.uint8), role)
    out = np.array([BOOL_MISSING if _is_missing(v) else int(bool(v)) for v in arr.tolist()], dtype=np.uint8)
    return BoolColumn(out, role)


def _distinct(categories: Iterable[str], codes: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """Categories made distinct (two values with the same text are one category), codes remapped."""
    cats = list(categories)
    if len(set(cats)) == len(cats):
        return tuple(cats), codes
    first: dict[str, int] = {}
    remap = np.empty(len(cats) + 1, dtype=np.int32)
    for k, c in enumerate(cats):
        remap[k] = first.setdefault(c, len(first))
    remap[-1] = -1  # code -1 indexes the last slot: stays missing
    return tuple(first), remap[codes]


def category_of_series(s: pd.Series, role: str = SPECIAL) -> CategoryColumn:
    """A column's values as categories in pandas' order (a categorical's own, else sorted), by their text."""
    cat = s.array if isinstance(s.dtype, pd.CategoricalDtype) else pd.Categorical(s)
    codes = np.asarray(cat.codes, dtype=np.int32)
    categories, codes = _distinct((str(c) for c in cat.categories), codes)
    return CategoryColumn(codes, categories, role)


def _texts(values) -> list[str | None]:
    return [None if _is_missing(v) else str(v) for v in np.asarray(values, dtype=object).tolist()]


def category(
    values: Sequence | np.ndarray, categories: Sequence[str] = (), role: str = SPECIAL, keep: set[str] | None = None
) -> CategoryColumn:
    """Values as codes into `categories` (strings, in that order), followed by any other value seen
    (sorted). `keep`, when given, keeps only those categories (and the values seen). None / NaN are missing."""
    texts = _texts(values)
    seen = {t for t in texts if t is not None}
    cats = list(dict.fromkeys(str(c) for c in categories))
    cats += sorted(seen - set(cats))
    if keep is not None:
        cats = [c for c in cats if c in keep or c in seen]
    lookup = {c: k for k, c in enumerate(cats)}
    codes = np.array([-1 if t is None else lookup[t] for t in texts], dtype=np.int32)
    return CategoryColumn(codes, tuple(cats), role)


def tokens(rows: Iterable[Sequence[str]], role: str = SPECIAL) -> TokensColumn:
    rows = [list(r) for r in rows]
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(r) for r in rows])
    return TokensColumn(offsets, tuple(str(t) for r in rows for t in r), role)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def labels(values, classes: Sequence, keep: set[str] | None = None) -> Column:
    """A class-label column (y_true, y_pred): bool when the classes are booleans, number when they are
    numbers, else category over the class names (as strings) in output order, then any other label
    (only those in `keep`, when given)."""
    arr = np.asarray(values)
    if arr.dtype == bool or (len(classes) and all(isinstance(c, (bool, np.bool_)) for c in classes)):
        return boolean(arr)
    if arr.dtype.kind in "iuf" and all(_is_number(c) for c in classes):
        return number(arr)
    return category(arr, [str(c) for c in classes], keep=keep)


def joined(flags, names: Sequence) -> list[str]:
    """Multi-label sets as text: the names of each row's labels joined by ", "."""
    return [", ".join(str(n) for n, f in zip(names, row, strict=True) if f) for row in np.asarray(flags, dtype=bool)]


def equal(a, b) -> np.ndarray:
    """a == b row by row, as Python compares the values (1 == 1.0, "1" != 1)."""
    a, b = np.asarray(a), np.asarray(b)
    same_kind = (a.dtype.kind in "biuf" and b.dtype.kind in "biuf") or (a.dtype.kind in "US" and b.dtype.kind in "US")
    if same_kind:
        return np.asarray(a == b, dtype=bool)
    return np.array([x == y for x, y in zip(a.tolist(), b.tolist(), strict=True)], dtype=bool)


def outcome_columns(
    *, n: int, task: str, output_names: Sequence, y_pred, y_true=None, probabilities=None, present_only: bool = False
) -> dict[str, Column]:
    """The special columns every kind with predictions has: index, y_true, y_pred, and correct plus
    confidence (classification; confidence only for single-label) or error (regression).
    present_only: the label columns keep only the classes y_true or y_pred has (shared by both)."""
    cols: dict[str, Column] = {"index": number(np.arange(n))}
    if task == "multilabel":
        sets = [joined(y, output_names) for y in ([y_true] if y_true is not None else []) + [y_pred]]
        union = sorted({s for labels_ in sets for s in labels_})
        if y_true is not None:
            cols["y_true"] = category(sets[0], union)
        cols["y_pred"] = category(sets[-1], union)
        if y_true is not None:
            cols["correct"] = boolean((np.asarray(y_true, dtype=bool) == np.asarray(y_pred, dtype=bool)).all(axis=1))
        return cols
    if task == "regression":
        if y_true is not None:
            cols["y_true"] = number(y_true)
        cols["y_pred"] = number(y_pred)
        if y_true is not None:
            cols["error"] = number(np.asarray(y_pred, dtype=np.float64) - np.asarray(y_true, dtype=np.float64))
        return cols
    keep = None
    if present_only:
        keep = {t for y in (y_true, y_pred) if y is not None for t in _texts(y) if t is not None}
    if y_true is not None:
        cols["y_true"] = labels(y_true, output_names, keep)
    cols["y_pred"] = labels(y_pred, output_names, keep)
    if y_true is not None:
        cols["correct"] = boolean(equal(y_true, y_pred))
    if probabilities is not None:
        cols["confidence"] = number(np.asarray(probabilities, dtype=np.float64).max(axis=1))
    return cols
