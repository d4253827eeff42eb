"""The dashboard's Python side: what it syncs to the view, and the binary wire format."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from wire_columns import columns, floats, labels

import rai_widget as rw
from rai_widget._payload._wire import array_to_wire, wire_to_array


@pytest.mark.parametrize(
    "dtype, wire_dtype", [(np.float64, "float32"), (np.int64, "int32"), (np.float32, "float32"), (np.bool_, "bool")]
)
def test_wire_round_trip_narrows_dtypes(dtype, wire_dtype):
    a = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    wire = array_to_wire(a)
    assert wire["dtype"] == wire_dtype and wire["shape"] == [3, 4]
    assert isinstance(wire["view"], memoryview)
    np.testing.assert_array_equal(wire_to_array(wire), a)


def _iris_explanation():
    d = load_iris(as_frame=True)
    y = d.target.map(dict(enumerate(d.target_names)))
    model = LogisticRegression(max_iter=500).fit(d.data, y)
    return rw.MimicExplainer(model, d.data).explain(d.data, y_true=y)


def test_dashboard_sends_arrays_as_binary_and_names_as_json():
    exp = _iris_explanation()
    dash = exp.show()
    assert isinstance(dash, rw.ExplanationDashboard)
    assert dash.kind == "tabular"
    assert dash.meta["feature_names"] == exp.feature_names
    assert dash.meta["output_names"] == ["setosa", "versicolor", "virginica"]
    assert dash.meta["units"] == "log-odds" and dash.meta["binary_mirror"] is False
    values = wire_to_array(dash.arrays["values"])
    assert values.dtype == np.float32 and values.shape == (150, 4, 3)
    np.testing.assert_allclose(values, exp.values, rtol=1e-6, atol=1e-6)
    cols = columns(dash.arrays)
    assert list(cols)[:4] == exp.feature_names and {cols[f]["role"] for f in exp.feature_names} == {"feature"}
    features = np.column_stack([floats(cols[f]) for f in exp.feature_names])
    np.testing.assert_allclose(features, exp.numeric_data(), rtol=1e-6)
    y_pred = cols["y_pred"]
    assert y_pred["kind"] == "category" and y_pred["categories"] == dash.meta["output_names"]
    assert labels(y_pred) == list(exp.y_pred)
    state = dash.get_state()
    assert isinstance(state["arrays"]["values"]["view"], memoryview)
    assert repr(dash) == "ExplanationDashboard(tabular, 150 rows)"


def test_binary_sends_one_output_and_payload_is_close_to_raw_float32():
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer(as_frame=True)
    model = LogisticRegression(max_iter=3000).fit(d.data, d.target)
    exp = rw.MimicExplainer(model, d.data).explain(d.data, y_true=d.target)
    dash = rw.ExplanationDashboard(exp)
    assert dash.meta["binary_mirror"] is True
    values = wire_to_array(dash.arrays["values"])
    np.testing.assert_allclose(values, exp.values[:, :, 1], rtol=1e-6, atol=1e-6)
    n, f = exp.values.shape[:2]
    buffers = sum(len(bytes(w["view"])) for w in _wires(dash.arrays))
    raw = 4 * (n * f * 2 + n * 6)  # values + feature columns, 2 outputs, index, 2 labels, confidence as 4 bytes
    assert buffers <= 1.2 * raw


def _wires(obj):
    if isinstance(obj, dict) and "view" in obj:
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _wires(v)


def test_cohorts_sync_as_json_and_come_back_as_cohort_objects():
    exp = _iris_explanation()
    petals = rw.Cohort("long petals", [rw.Filter("petal length (cm)", ">", 4.0)])
    dash = rw.ExplanationDashboard(exp, cohorts=[petals])
    assert [c.name for c in dash.cohorts] == ["All data", "long petals"]
    assert dash.get_state()["cohorts"][1] == petals.to_json()
    # what the browser sends back
    dash.set_state(
        {
            "cohorts": [c.to_json() for c in dash.cohorts]
            + [{"name": "setosa", "combine": "all", "filters": [{"column": "y_true", "op": "==", "value": "setosa"}]}],
            "active_cohort": "setosa",
            "selected_rows": [3, 7],
        }
    )
    assert isinstance(dash.cohorts[2], rw.Cohort) and dash.cohorts[2].filters[0].value == "setosa"
    assert dash.active_cohort == "setosa" and dash.selected_rows == [3, 7]
    assert len(dash.cohort_rows()) == 50
    with pytest.raises(Exception, match="no cohort named 'nope'"):
        dash.active_cohort = "nope"
    with pytest.raises(Exception, match="row indices"):
        dash.selected_rows = [999]
    with pytest.raises(ValueError, match="unknown column 'petal'"):
        rw.ExplanationDashboard(exp, cohorts=[rw.Cohort("bad", [rw.Filter("petal", ">", 1)])])


def test_dashboard_rejects_non_explanations():
    with pytest.raises(TypeError, match="needs an explanation"):
        rw.ExplanationDashboard({"values": [1, 2]})


def test_cohorts_are_in_the_widget_state_a_notebook_saves():
    from ipywidgets import Widget

    exp = _iris_explanation()
    dash = rw.ExplanationDashboard(exp, cohorts=[rw.Cohort("wide", [rw.Filter("sepal width (cm)", ">", 3.0)])])
    dash.active_cohort = "wide"
    dash.selected_rows = [1, 2, 40]
    saved = Widget.get_manager_state(drop_defaults=False, widgets=[dash])["state"][dash.model_id]["state"]
    assert [c["name"] for c in saved["cohorts"]] == ["All data", "wide"]
    assert saved["cohorts"][1]["filters"] == [{"column": "sepal width (cm)", "op": ">", "value": 3.0}]
    assert saved["active_cohort"] == "wide" and saved["selected_rows"] == [1, 2, 40]
