"""Cohorts: named subsets of the explained rows, defined by filters on columns.

A cohort is plain data, the same JSON in Python and in the browser (``js/core/cohorts.ts``)::

    {"name": "older", "combine": "all", "filters": [{"column": "age", "op": ">", "value": 40}]}

Both evaluators follow these rules, pinned by the shared vectors in ``tests/cohort_cases.json``:

- ``combine="all"`` keeps rows matching every filter, ``"any"`` rows matching at least one.
  A cohort with no filters selects every row, whatever ``combine`` says.
- Ops: ``==, !=, <, <=, >, >=, in, not in, between, contains, not contains``. ``in``/``not in``
  take a list; ``between`` takes ``[lo, hi]`` (two numbers, lo <= hi, both ends inclusive);
  ``contains``/``not contains`` take one token (a non-empty string without whitespace).
- Each column has a kind: *number*, *categorical*, *boolean* or *tokens* (each text's words). An
  explanation declares its columns and their kinds once, in its column spec
  (``exp.column_spec()``, see docs/architecture.md), and the browser receives those very columns.
  A DataFrame's column takes its kind from its dtype: boolean (bool, nullable boolean, or an object
  column holding only booleans), number (any other numeric dtype), tokens (an object column whose
  every value is a list or tuple of strings) or categorical (everything else: category, string,
  object). Values are checked against the kind when a cohort is evaluated:
  - number: values must be numbers (a numeric string such as ``"40"`` is an error). Column and
    value are both cast to float32 before comparing, because the browser only ever sees float32
    copies of numeric columns; comparing at float64 here would let the kernel and the view
    disagree about rows near a threshold (e.g. ``0.1 + 0.2 <= 0.3`` is false at float64 and true
    at float32). Integers above 2**24 lose precision the same way on both sides. A value beyond
    float32's range (``1e39``, ``10**400``, ``float("inf")``) is infinity on both sides: ``> inf``
    keeps no row, ``< inf`` every row with a value. JSON has no infinity, so cohort JSON writes
    ±infinity as ±1.7976931348623157e308 (the largest float64, which float32 also rounds to
    infinity) and reads that number back as ±infinity. NaN is refused when the filter is made: it
    matches no row and cannot be written as JSON.
  - categorical: compared by string value (``str(category)``), case-sensitive, with
    ``==, !=, in, not in`` only; ordering ops are an error. Filter values must be strings;
    integers are accepted and compared as their decimal string, so ``1`` matches category ``1``.
  - boolean: values must be ``True``/``False``, with ``==, !=, in, not in`` only.
  - tokens: ``contains`` / ``not contains`` only, and only on tokens columns. ``contains "boring"``
    keeps texts with a token equal to "boring" ignoring case (``str.lower`` / ``toLowerCase``):
    whole tokens, so "bore" does not match "boring". E.g. ``Filter("tokens", "contains", "boring")``.
- Missing values (NaN, None, pd.NA, a missing category) match no filter except ``!=`` and
  ``not in``: a missing value is never equal to, inside or ordered against anything, so it is
  "not equal" to every value. This is IEEE NaN behaviour, the same in numpy and JavaScript.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rai_widget.explanations._columns import BoolColumn, CohortColumns, Column, NumberColumn, TokensColumn

OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "between", "contains", "not contains")
_EQUALITY_OPS = ("==", "!=", "in", "not in")
_ORDERING_OPS = ("<", "<=", ">", ">=", "between")
_LIST_OPS = ("in", "not in")
_TOKEN_OPS = ("contains", "not contains")
_WHITESPACE = re.compile(r"\s")
_LABELS = {"number": "numeric", "category": "categorical", "bool": "boolean"}
_MAX_SAFE_INT = 2**53 - 1
_INF_JSON = sys.float_info.max  # how cohort JSON writes infinity (JSON has none); float32 rounds it to infinity
ALL_DATA = "All data"  # the cohort of every row, which every dashboard has (the view gets the name from the kernel)


def _fmt(value: Any) -> str:
    """A value as JSON, so messages read the same as in the browser."""
    return json.dumps(value, default=repr)


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, tuples -> lists (so to_json() and == behave)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _canonical(value: Any) -> Any:
    """A filter value with every number as both evaluators compare it: integers beyond float64's range and
    the JSON form of infinity (±_INF_JSON) become ±inf; NaN is refused."""
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > _INF_JSON:
        return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError(
                "filter value NaN matches no row (a missing value equals nothing) and cannot be written as JSON; "
                "give a number"
            )
        if abs(value) == _INF_JSON:
            return math.copysign(math.inf, value)
    return value


def _json_value(value: Any) -> Any:
    """A (canonical) filter value as JSON can hold it: ±inf as ±_INF_JSON."""
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return math.copysign(_INF_JSON, value)
    return value


def _is_number(v: Any) -> bool:
    if isinstance(v, float):
        return not math.isnan(v)
    return isinstance(v, int) and not isinstance(v, bool)


@dataclass
class Filter:
    """One condition on one column, e.g. ``Filter("age", ">", 40)``.

    Parameters
    ----------
    column : str
        A feature name, or a special column: ``index``, ``y_true``, ``y_pred``, ``correct``, ``error``,
        ``confidence`` (and per kind ``length``, ``tokens``, ``detections``, ...: ``exp.cohort_columns()``
        lists them).
    op : str
        One of ``==, !=, <, <=, >, >=, in, not in, between, contains, not contains``.
    value : object
        A value of the column's kind; a list for ``in`` / ``not in``; ``[lo, hi]`` for ``between`` (both
        ends inclusive); one word for ``contains`` / ``not contains`` (whole words, any case).

    Raises
    ------
    ValueError
        An unknown op, or a value of the wrong form for it (NaN included).

    Examples
    --------
    >>> rw.Filter("age", "between", [30, 40])
    >>> rw.Filter("tokens", "contains", "boring")
    """

    column: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        self.value = _plain(self.value)
        if not isinstance(self.column, str) or not self.column:
            raise ValueError("filter column must be a non-empty string")
        if self.op not in OPS:
            raise ValueError(f"unknown op '{self.op}'; valid ops: {', '.join(OPS)}")
        v = self.value
        if self.op == "between":
            if not (isinstance(v, list) and len(v) == 2 and all(map(_is_number, v)) and v[0] <= v[1]):
                raise ValueError(f"'between' needs [lo, hi]: two numbers with lo <= hi, got {_fmt(v)}")
        elif self.op in _LIST_OPS:
            if not isinstance(v, list):
                raise ValueError(f"'{self.op}' needs a list of values, got {_fmt(v)}")
        elif self.op in _TOKEN_OPS:
            if not isinstance(v, str) or not v or _WHITESPACE.search(v):
                raise ValueError(
                    f"'{self.op}' needs one token, a word without spaces, got {_fmt(v)}; "
                    "for several words use one filter per word"
                )
        elif isinstance(v, list):
            raise ValueError(f"'{self.op}' needs a single value, not a list")
        self.value = _canonical(v)

    def to_json(self) -> dict:
        """The filter as JSON-ready data.

        Returns
        -------
        dict
            ``{"column", "op", "value"}`` (infinity written as +-1.7976931348623157e308).
        """
        return {"column": self.column, "op": self.op, "value": _json_value(_plain(self.value))}

    @classmethod
    def from_json(cls, d: dict) -> Filter:
        """A filter from its JSON form (``to_json``'s output).

        Parameters
        ----------
        d : dict
            ``{"column", "op", "value"}``.

        Returns
        -------
        Filter
            The filter, checked.

        Raises
        ------
        ValueError
            A key missing, or an invalid filter.
        """
        if not isinstance(d, dict) or not {"column", "op", "value"} <= d.keys():
            raise ValueError(f"a filter needs the keys column, op and value, got {_fmt(d)}")
        return cls(d["column"], d["op"], d["value"])

    def __repr__(self) -> str:
        return f"Filter({self.column!r}, {self.op!r}, {self.value!r})"


@dataclass
class Cohort:
    """A named set of filters combined with "all" (AND) or "any" (OR).

    A cohort is plain data, the same JSON in Python and in the view:
    ``{"name", "combine", "filters": [{"column", "op", "value"}]}``. Missing values match no filter except
    ``!=`` and ``not in``; numbers compare at float32 on both sides. A cohort with no filters selects
    every row.

    Parameters
    ----------
    name : str
        The cohort's name (unique within a dashboard).
    filters : list of Filter
        The conditions (``rw.Filter`` or their JSON dicts).
    combine : str
        ``"all"`` keeps rows matching every filter (AND), ``"any"`` rows matching at least one (OR).

    Raises
    ------
    ValueError
        An empty name, an unknown ``combine``, or an invalid filter.
    TypeError
        ``filters`` that is not a list of filters.

    Examples
    --------
    >>> older = rw.Cohort("older applicants", [rw.Filter("age", ">", 40), rw.Filter("correct", "==", False)])
    >>> older.mask(exp).sum(), exp.global_importance(cohort=older).head()
    """

    name: str
    filters: list[Filter] = field(default_factory=list)
    combine: str = "all"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("cohort name must be a non-empty string")
        if self.combine not in ("all", "any"):
            raise ValueError(f"combine must be 'all' or 'any', got '{self.combine}'")
        given: Any = [] if self.filters is None else self.filters  # typed as a list, but anything may come
        if isinstance(given, (Filter, dict, str)) or not isinstance(given, (list, tuple)):
            raise TypeError(
                f"cohort {self.name!r}: filters must be a list of filters, not a {type(given).__name__}; "
                f"for one filter, wrap it in a list: Cohort({self.name!r}, [{_short(given)}])"
            )
        filters = []
        for i, f in enumerate(given):
            if not isinstance(f, (Filter, dict)):
                raise TypeError(
                    f"cohort {self.name!r}: filters[{i}] is a {type(f).__name__}; give an rw.Filter(column, op, "
                    "value) or its JSON {'column': ..., 'op': ..., 'value': ...}"
                )
            filters.append(f if isinstance(f, Filter) else Filter.from_json(f))
        self.filters = filters

    def to_json(self) -> dict:
        """The cohort as JSON-ready data, the form the view and ``from_json`` read.

        Returns
        -------
        dict
            ``{"name", "combine", "filters": [{"column", "op", "value"}, ...]}``.
        """
        return {"name": self.name, "combine": self.combine, "filters": [f.to_json() for f in self.filters]}

    @classmethod
    def from_json(cls, d: dict) -> Cohort:
        """A cohort from its JSON form (``to_json``'s output; ``filters`` and ``combine`` may be left out).

        Parameters
        ----------
        d : dict
            ``{"name", "combine", "filters"}``.

        Returns
        -------
        Cohort
            The cohort, checked.

        Raises
        ------
        ValueError
            No name, or an invalid filter or combine.
        """
        if not isinstance(d, dict) or "name" not in d:
            raise ValueError(f"a cohort needs at least a name, got {_fmt(d)}")
        return cls(d["name"], d.get("filters", []), d.get("combine", "all"))

    def __repr__(self) -> str:
        return f"Cohort({self.name!r}, {self.filters!r}, combine={self.combine!r})"

    def mask(self, obj: Any) -> np.ndarray:
        """Which rows of ``obj`` are in the cohort.

        Parameters
        ----------
        obj : Explanation or DataFrame
            An explanation, a DataFrame, or anything with ``cohort_columns()`` returning one.

        Returns
        -------
        ndarray
            A boolean array, one entry per row.

        Raises
        ------
        ValueError
            A filter on a column ``obj`` does not have, or of the wrong kind for it (every filter is
            checked before any is evaluated).
        """
        columns = columns_of(obj)
        # Check every filter before evaluating any, so a bad cohort fails whole.
        picked = [_check(f, columns) for f in self.filters]
        if not self.filters:
            return np.ones(columns.n_rows, dtype=bool)
        hits = [_evaluate(f, col) for f, col in zip(self.filters, picked, strict=True)]
        return np.logical_and.reduce(hits) if self.combine == "all" else np.logical_or.reduce(hits)

    def count(self, obj: Any) -> int:
        """How many rows of ``obj`` are in the cohort.

        Parameters
        ----------
        obj : Explanation or DataFrame
            As in ``mask``.

        Returns
        -------
        int
            The number of rows.
        """
        return int(self.mask(obj).sum())


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def columns_of(obj: Any) -> CohortColumns:
    """The columns cohorts filter on: an explanation's column spec, or a DataFrame's columns."""
    if isinstance(obj, CohortColumns):
        return obj
    if hasattr(obj, "column_spec"):
        return obj.column_spec()
    if hasattr(obj, "cohort_columns"):
        obj = obj.cohort_columns()
    if isinstance(obj, pd.DataFrame):
        return CohortColumns.from_frame(obj)
    raise TypeError("mask() needs a DataFrame or an object with cohort_columns()")


def _category_value(v: Any) -> str | None:
    if isinstance(v, str):
        return v
    if _is_number(v) and abs(v) <= _MAX_SAFE_INT and float(v).is_integer():
        return str(int(v))
    return None


def _check(f: Filter, columns: CohortColumns) -> Column:
    """The filter's column, or ValueError with the reason the filter cannot apply to it."""
    if f.column not in columns:
        raise ValueError(f"unknown column '{f.column}'; available columns: {', '.join(map(str, columns))}")
    col = columns[f.column]
    kind = col.kind
    if kind == "tokens":
        if f.op not in _TOKEN_OPS:
            raise ValueError(f"column '{f.column}' holds each text's tokens: use contains or not contains")
        return col
    if f.op in _TOKEN_OPS:
        raise ValueError(
            f"'{f.op}' works on the tokens column of a text explanation; column '{f.column}' is {_LABELS[kind]}"
        )
    values = f.value if isinstance(f.value, list) else [f.value]
    if kind == "number":
        bad = [v for v in values if not _is_number(v)]
        if bad:
            raise ValueError(f"column '{f.column}' is numeric: {_fmt(bad[0])} is not a number")
        return col
    label = _LABELS[kind]
    if f.op in _ORDERING_OPS:
        raise ValueError(f"'{f.op}' is not defined for {label} column '{f.column}'; use ==, !=, in or not in")
    for v in values:
        if kind == "bool" and not isinstance(v, bool):
            raise ValueError(f"column '{f.column}' is boolean: {_fmt(v)} is not true or false")
        if kind == "category" and _category_value(v) is None:
            raise ValueError(f"column '{f.column}' is categorical: {_fmt(v)} is not a string")
    return col


def _evaluate(f: Filter, col: Column) -> np.ndarray:
    """True where a row matches one (already checked) filter; the same steps as js/core/cohorts.ts."""
    op, v = f.op, f.value
    if isinstance(col, TokensColumn):
        eq = col.lower() == v.lower()
        ends = np.concatenate([[0], np.cumsum(eq, dtype=np.int64)])
        hit = ends[col.offsets[1:]] > ends[col.offsets[:-1]]  # some token of the row equals the word
        return hit if op == "contains" else ~hit
    if isinstance(col, NumberColumn):
        x = col.float32()
        with np.errstate(over="ignore"):
            v = np.asarray(v, dtype=np.float32)
        # NaN compares false to everything and != to everything: the missing-value rule for free.
        if op == "between":
            return (x >= v[0]) & (x <= v[1])
        if op in _LIST_OPS:
            hit = np.isin(x, v)
            return hit if op == "in" else ~hit
        return {"==": x == v, "!=": x != v, "<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v}[op]

    wanted = v if isinstance(v, list) else [v]
    if isinstance(col, BoolColumn):
        hit = np.isin(col.values, [int(w) for w in wanted])  # BOOL_MISSING is never wanted
    else:
        names = {_category_value(w) for w in wanted}
        codes = [k for k, c in enumerate(col.categories) if c in names]
        hit = np.isin(col.codes, codes)  # code -1 (missing) is never wanted
    return hit if op in ("==", "in") else ~hit
