"""Argument checks every explainer shares, so a bad input gets the same clear message everywhere.

Each check raises ValueError / TypeError naming the argument and saying how to fix it. Messages show
values as Python prints them (``0``, ``'no'``), not as numpy's reprs (``np.int64(0)``, ``np.str_('no')``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """numpy scalars (and containers of them) as the Python values they hold, for messages."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def shown(value: Any, limit: int = 10) -> str:
    """A value (or the first `limit` items of a sequence) for an error message."""
    v = plain(value)
    if isinstance(v, (list, tuple)) and len(v) > limit:
        return repr(list(v[:limit]))[:-1] + f", ... ({len(v)} in all)]"
    return repr(v)


def check_classes(classes: Any, argument: str = "classes") -> list | None:
    """Class names: a list of distinct, hashable scalars whose text is distinct too (1 and "1", or 1
    and 1.0, cannot be told apart once they are labels in a cohort filter or on screen)."""
    if classes is None:
        return None
    if hasattr(classes, "tolist") and not isinstance(classes, np.ndarray):  # a pandas Index or Series
        classes = classes.tolist()
    if isinstance(classes, (str, bytes)) or not isinstance(classes, (Sequence, np.ndarray)):
        raise TypeError(f"{argument} must be a list of class names, e.g. ['no', 'yes'], not {shown(classes)}.")
    names = [plain(c) for c in classes]
    if not names:
        raise ValueError(f"{argument} is empty: give one name per class (per output).")
    bad = [c for c in names if not isinstance(c, (str, int, float, bool)) or (isinstance(c, float) and c != c)]
    if bad:
        raise TypeError(
            f"{argument} must hold strings, numbers or booleans; {shown(bad[0])} is a {type(bad[0]).__name__}. "
            "Name each class with a scalar (e.g. str(label))."
        )
    texts = [str(c) for c in names]
    nul = [t for t in texts if "\x00" in t]
    if nul:
        raise ValueError(
            f"{argument} has a name with a NUL character ({shown(nul[0])}): numpy's string arrays drop trailing NULs, "
            "so the name would not survive as a label; remove it (e.g. name.replace('\\x00', ''))."
        )
    dupes = sorted({t for t in texts if texts.count(t) > 1})
    if dupes:
        raise ValueError(
            f"{argument} names {', '.join(repr(d) for d in dupes)} more than once ({shown(names)}): class names "
            "must be distinct, also as text (1 and '1' read the same in a cohort filter)."
        )
    equal = [c for k, c in enumerate(names) if any(c == d for d in names[:k])]
    if equal:
        raise ValueError(
            f"{argument} has classes that are equal as values ({shown(names)}: {shown(equal[0])} equals an earlier "
            "one, as 1, 1.0 and True do): class names must be distinct."
        )
    return names


def check_int(value: Any, argument: str, low: int, hint: str = "") -> int:
    """An integer >= `low` (not a bool, not a float such as 10.0): TypeError / ValueError naming `argument`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument} must be an integer >= {low}, not {shown(value)}{hint}.")
    if value < low:
        raise ValueError(f"{argument} must be an integer >= {low}, got {shown(value)}{hint}.")
    return int(value)


def check_flag(value: Any, argument: str) -> bool:
    """True or False (numpy's bool too); anything else, even 0 / 1 or "yes", is a TypeError naming `argument`."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must be True or False, not {shown(value)}.")
    return bool(value)


def check_progress(value: Any) -> bool | None:
    """The `progress=` option every explainer takes: True, False, or None (automatic, by the size of the work)."""
    if value is not None and not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"progress must be True, False or None (automatic), not {shown(value)}.")
    return None if value is None else bool(value)


def check_fraction(value: Any, argument: str, meaning: str) -> float:
    """A number strictly between 0 and 1 (e.g. a probability threshold); `meaning` says what it is, for messages."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{argument} must be a number between 0 and 1 ({meaning}), not {shown(value)}; e.g. {argument}=0.5."
        )
    v = float(value)
    if not (math.isfinite(v) and 0 < v < 1):
        raise ValueError(
            f"{argument} must be between 0 and 1, exclusive ({meaning}), got {shown(value)}; e.g. {argument}=0.5."
        )
    return v
