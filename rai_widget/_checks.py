"""Argument checks every explainer shares, so a bad input gets the same clear message everywhere.

Each check raises ValueError / TypeError naming the argument and saying how to fix it. Messages show
values as Python prints them (``0``, ``'no'``), not as numpy's reprs (``np.int64(0)``, ``np.str_('no')``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """numpy scalars (and containers of them) as the Python values they hold, for messages."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def shown(value: Any, limit: int = 10) -> str:
    """A value (or the first `limit` items of a sequence) for an error message."""
    v = plain(value)
    if isinstance(v, (list, tuple)) and len(v) > limit:
        return repr(list(v[:limit]))[:-1] + f", ... ({len(v)} in all)]"
    return repr(v)


def check_classes(classes: Sequence | None, argument: str = "classes") -> list | None:
    """Class names: a list of distinct, hashable scalars whose text is distinct too (1 and "1", or 1
    and 1.0, cannot be told apart once they are labels in a cohort filter or on screen)."""
    if classes is None:
        return None
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
    dupes = sorted({t for t in texts if texts.count(t) > 1})
    if dupes:
        raise ValueError(
            f"{argument} names {', '.join(repr(d) for d in dupes)} more than once ({shown(names)}): class names "
            "must be distinct, also as text (1 and '1' read the same in a cohort filter)."
        )
    return names
