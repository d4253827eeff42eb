"""What every payload carries: the common meta fields and the column spec on the wire."""

from __future__ import annotations

import numpy as np

from rai_widget._payload._wire import array_to_wire
from rai_widget.cohorts import ALL_DATA
from rai_widget.explanations._base import Explanation
from rai_widget.explanations._columns import (
    BoolColumn,
    CategoryColumn,
    CohortColumns,
    Column,
    NumberColumn,
    TokensColumn,
)


def common_meta(exp: Explanation) -> dict:
    return {
        "n_rows": int(len(exp)),
        "output_names": [str(o) for o in exp.output_names],
        "task": exp.task,
        "units": exp.units,
        "all_data": ALL_DATA,
    }


def column_to_wire(name: str, col: Column) -> dict:
    """One column as the browser decodes it (js/core/columns.ts); numbers at float32, the precision
    both evaluators compare at."""
    out: dict = {"name": name, "role": col.role, "kind": col.kind}
    if isinstance(col, NumberColumn):
        out["values"] = array_to_wire(col.float32())
    elif isinstance(col, CategoryColumn):
        out["codes"] = array_to_wire(np.asarray(col.codes, dtype=np.int32))
        out["categories"] = list(col.categories)
    elif isinstance(col, BoolColumn):
        out["values"] = array_to_wire(np.asarray(col.values, dtype=np.uint8))
    elif isinstance(col, TokensColumn):
        out["offsets"] = array_to_wire(np.asarray(col.offsets, dtype=np.int32))
        out["tokens"] = list(col.tokens)
    else:  # pragma: no cover - the four kinds above are all there are
        raise TypeError(f"internal error: no wire form for column {name!r} of type {type(col).__name__}")
    return out


def columns_to_wire(spec: CohortColumns) -> list[dict]:
    """The column spec, in display order: a list, so any name (even "__proto__") is just a name."""
    return [column_to_wire(name, col) for name, col in spec.items()]
