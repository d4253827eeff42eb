"""The dashboard's Python side: what it syncs to the view, and the binary wire format."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import rai_widget as rw
from rai_widget._serialize import array_to_wire, wire_to_array


@pytest.mark.parametrize("dtype, wire_dtype", [(np.float64, "float32"), (np.int64, "int32"),
                                               (np.float32, "float32"), (np.bool_, "bool")])
def test_wire_round_trip_narrows_dtypes(dtype, wire_dtype):
    a = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    wire = array_to_wire(a)
    assert wire["dtype"] == wire_dtype and wire["shape"] == [3, 4]
    assert isinstance(wire["view"], memoryview)
    np.testing.assert_array_equal(wire_to_array(wire), a)


def test_dashboard_syncs_importance_as_binary_and_meta_as_json():
    d = load_iris(as_frame=True)
    y = d.target.map(dict(enumerate(d.target_names)))
    model = LogisticRegression(max_iter=500).fit(d.data, y)
    exp = rw.MimicExplainer(model, d.data).explain(d.data, y_true=y)
    dash = exp.show()
    assert isinstance(dash, rw.ExplanationDashboard)
    assert dash.kind == "tabular"
    assert dash.meta["feature_names"] == list(d.data.columns)
    assert dash.meta["output_names"] == ["setosa", "versicolor", "virginica"]
    assert dash.meta["units"] == "log-odds"
    assert set(dash.meta["fidelity"]) == {"r2", "agreement"}
    imp = wire_to_array(dash.importance)
    assert imp.dtype == np.float32 and imp.shape == (4, 3)
    np.testing.assert_allclose(imp, np.abs(exp.values).mean(0), rtol=1e-6)
    # the full state is small: no per-row data goes over the wire yet
    state = dash.get_state()
    assert isinstance(state["importance"]["view"], memoryview)
    assert repr(dash) == "ExplanationDashboard(tabular, 150 rows)"


def test_dashboard_rejects_non_explanations():
    with pytest.raises(TypeError, match="needs an explanation"):
        rw.ExplanationDashboard({"values": [1, 2]})
