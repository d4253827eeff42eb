"""The tabular payload: attributions and outputs as float32 buffers; features travel as columns."""

from __future__ import annotations

import numpy as np

from rai_widget._payload._common import columns_to_wire, common_meta
from rai_widget._payload._wire import array_to_wire
from rai_widget.explainers.tabular import FIDELITY_FLOORS
from rai_widget.explanations import TabularExplanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations.tabular import R2_TOLERANCE


def payload(exps: list[TabularExplanation], spec: CohortColumns) -> tuple[dict, dict]:
    (exp,) = exps
    # Binary classification: class 0's values are exactly minus class 1's (the explanation stores class 1's);
    # send one, the view derives the other.
    mirror = (
        exp.mirrored
        and exp.base_values[0] == -exp.base_values[1]
        and np.array_equal(exp.model_output[:, 0], -exp.model_output[:, 1])
    )  # (probabilities from shap are not mirrored: p0 = 1 - p1; they go as they are)
    values = exp.output_values(1) if mirror else exp.values
    surrogate = exp.surrogate_output[:, 1:] if mirror else exp.surrogate_output
    model = exp.model_output[:, 1:] if mirror else exp.model_output
    meta = {
        **common_meta(exp),
        "feature_names": exp.feature_names,
        "base_values": [float(b) for b in exp.base_values],
        "binary_mirror": mirror,
        "source": exp.source,  # "shap" (rw.from_shap): no surrogate, the header says so instead of a fidelity
        "fidelity": {key: v for key, v in exp.fidelity.items() if key in ("r2", "agreement")},
        "fidelity_floors": dict(FIDELITY_FLOORS),
        "r2_tolerance": R2_TOLERANCE,  # the rule of surrogate_fidelity, which the view applies per cohort
    }
    arrays = {
        "columns": columns_to_wire(spec),
        "values": array_to_wire(values.astype(np.float32)),
        "surrogate_output": array_to_wire(surrogate.astype(np.float32)),
        "model_output": array_to_wire(model.astype(np.float32)),
    }
    if exp.probabilities is not None:  # classification: the data explorer's probability axes, the metrics
        arrays["probabilities"] = array_to_wire(np.asarray(exp.probabilities, dtype=np.float32))
    if exp.attribution_agreement is not None:  # the header's badge beside the fidelity's (check_attributions)
        meta["attribution_agreement"] = {k: v for k, v in exp.attribution_agreement.items() if k != "features"}
    if exp.interactions is not None:  # the importance tab's heatmap, once explainer.interactions(exp) computed it
        output = exp.interactions.attrs.get("output")
        arrays["interactions"] = array_to_wire(exp.interactions.to_numpy(dtype=np.float32))
        meta["interactions"] = {
            "output": None if output is None else exp.output_index(output),  # None: the average over outputs
            "rows": exp.interactions.attrs["rows"],
        }
    return meta, arrays
