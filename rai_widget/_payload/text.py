"""The text payload: texts as JSON strings, every number as a binary buffer; tokens travel as a column.

Token t of text i is flat index offsets[i] + t of the `tokens` column, of `spans` (T, 2: its characters
in texts[i], -1 when unknown) and of `values` (T, k).

The checks travel only when the explanation has them: `meta.faithfulness` ({ks, labels, output}) with
arrays faithfulness_k (n, m) int32, faithfulness_class (n,) int32, faithfulness_full (n,) and
faithfulness_removed / _kept (n, m) float32 (and faithfulness_random_removed / _kept); `meta.approximation`
({max_evals, exact_steps}) with arrays approximation_exact (n,) uint8, approximation_needed (n,) int32,
approximation_gap and approximation_diff (n,) float32 (NaN: not checked).
"""

from __future__ import annotations

import numpy as np

from rai_widget._payload._common import columns_to_wire, common_meta
from rai_widget._payload._wire import array_to_wire
from rai_widget.explanations import TextExplanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations._text_trust import k_label
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
    _trust(exp, meta, arrays)
    return meta, arrays


def _trust(exp: TextExplanation, meta: dict, arrays: dict) -> None:
    n = len(exp)
    f = exp.faithfulness
    if f is not None:
        m = len(f.ks)
        meta["faithfulness"] = {
            "ks": [float(v) for v in f.ks],
            "labels": [k_label(v) for v in f.ks],
            "output": None if f.output is None else str(f.output),
        }

        def as32(values, shape):
            return array_to_wire(np.asarray(values, dtype=np.float32).reshape(shape))

        arrays["faithfulness_k"] = array_to_wire(np.asarray(f.k, dtype=np.int32).reshape(n, m))
        arrays["faithfulness_class"] = array_to_wire(np.asarray(f.class_index, dtype=np.int32).reshape(n))
        arrays["faithfulness_full"] = as32(f.full, (n,))
        arrays["faithfulness_removed"] = as32(f.removed, (n, m))
        arrays["faithfulness_kept"] = as32(f.kept, (n, m))
        if f.random_removed is not None and f.random_kept is not None:
            arrays["faithfulness_random_removed"] = as32(f.random_removed, (n, m))
            arrays["faithfulness_random_kept"] = as32(f.random_kept, (n, m))
    a = exp.approximation
    if a is not None:
        meta["approximation"] = {"max_evals": a.max_evals, "exact_steps": bool(exp.params.get("exact", True))}
        arrays["approximation_exact"] = array_to_wire(a.exact.astype(np.uint8))
        arrays["approximation_needed"] = array_to_wire(np.minimum(a.evaluations_needed, 2**31 - 1).astype(np.int32))
        arrays["approximation_gap"] = array_to_wire(a.efficiency_gap.astype(np.float32))
        arrays["approximation_diff"] = array_to_wire(a.max_abs_diff.astype(np.float32))
