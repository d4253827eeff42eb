"""The text payload: texts as JSON strings, every number as a binary buffer; tokens travel as a column.

Token t of text i is flat index offsets[i] + t of the `tokens` column, of `spans` (T, 2: its characters
in texts[i], -1 when unknown) and of `values` (T, k).
"""

from __future__ import annotations

import numpy as np

from rai_widget._payload._common import columns_to_wire, common_meta
from rai_widget._payload._wire import array_to_wire
from rai_widget.explanations import TextExplanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations.text import view_stop_words


def payload(exps: list[TextExplanation], spec: CohortColumns) -> tuple[dict, dict]:
    (exp,) = exps
    k = len(exp.output_names)
    total = sum(len(t) for t in exp.tokens)
    spans = [np.asarray(o, dtype=np.int64).reshape(-1, 2) for o in exp.offsets]
    values = [np.asarray(v, dtype=np.float64).reshape(-1, k) for v in exp.values]
    meta = {
        **common_meta(exp),
        "threshold": exp.threshold,
        "texts": [str(t) for t in exp.texts],
        "stop_words": view_stop_words(),
    }
    arrays = {
        "columns": columns_to_wire(spec),
        "spans": array_to_wire(np.concatenate(spans).astype(np.int32) if total else np.zeros((0, 2), np.int32)),
        "values": array_to_wire(np.concatenate(values).astype(np.float32) if total else np.zeros((0, k), np.float32)),
        "base_values": array_to_wire(np.asarray(exp.base_values, dtype=np.float32).reshape(-1, k)),
        "model_output": array_to_wire(np.asarray(exp.model_output, dtype=np.float32).reshape(-1, k)),
    }
    if exp.probabilities is not None:
        arrays["probabilities"] = array_to_wire(np.asarray(exp.probabilities, dtype=np.float32).reshape(-1, k))
    return meta, arrays
