"""The dashboard of a large explanation (rai_widget._population): the sample drawn, the all-row figures of
"All data" in the payload's meta, and the population job that pushes a cohort built in the view down to the
engine. Checked against a stand-in whose every row is a pandas explanation (tests/population_fake.py): the
job's answer must be the figures pandas, numpy and scikit-learn give for that cohort on all rows."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from population_fake import FakeLarge, credit_model
from sklearn.metrics import accuracy_score, roc_auc_score

import rai_widget as rw
from rai_widget._population import is_large, json_safe, population_job
from rai_widget.report import widget_state

OLD = rw.Cohort("old", [rw.Filter("age", ">", 40)])
SOUTH = rw.Cohort("south", [rw.Filter("region", "==", "south")])


@pytest.fixture(scope="module")
def model():
    return credit_model()


@pytest.fixture
def large(model):
    explainer, X, y = model
    return FakeLarge(explainer, X, y, sample_rows=60)


def _pandas_figures(large, cohort):
    """A cohort's figures computed here from the rows themselves (not through the explanation's methods)."""
    full = large.full
    mask = cohort.mask(full)
    values = np.abs(full.values[mask])  # (rows, features, 2)
    y_true = np.asarray(full.y_true)[mask]
    y_pred = np.asarray(full.y_pred)[mask]
    return {
        "rows": int(mask.sum()),
        "importance": {name: values[:, :, k].mean(axis=0) for k, name in enumerate(full.output_names)},
        "accuracy": accuracy_score(y_true, y_pred),
        "auc": roc_auc_score(y_true == "yes", full.probabilities[mask, 1]),
        "agreement": float(np.mean(full.model_output[mask].argmax(1) == full.surrogate_output[mask].argmax(1))),
    }


def _run(dash, cohort, job_id=1):
    dash.population_request = {"id": job_id, "params": {"cohort": cohort.to_json()}}
    dash.jobs["population"].wait(60)
    return dash.population_status, dash.population_result


def test_a_large_explanation_is_drawn_from_its_sample_with_the_all_row_figures_in_the_meta(large):
    dash = rw.ExplanationDashboard(large)
    assert dash.explanation is large.sample and dash.large is large
    assert dash.meta["n_rows"] == 60  # what the view draws: the sample's rows
    pop = dash.meta["population"]
    assert pop["rows"] == 400 and pop["sample_rows"] == 60
    truth = _pandas_figures(large, rw.Cohort("All data", []))
    for name in ("no", "yes"):
        np.testing.assert_allclose(pop["importance"][name], truth["importance"][name], rtol=1e-12)
    assert pop["fidelity"]["rows"] == 400
    assert pop["fidelity"]["agreement"] == pytest.approx(truth["agreement"])
    figures = {m["metric"]: m for m in pop["metrics"]}
    assert figures["accuracy"]["value"] == pytest.approx(truth["accuracy"])
    assert figures["ROC AUC"]["value"] == pytest.approx(truth["auc"])
    assert figures["accuracy"]["n"] == 400
    assert dash.kernel["population"] is True
    assert dash.kernel["available"] is True  # the sample's explainer: ICE and what-if run on its rows
    # the meta is what the comm carries: plain JSON
    import json

    json.dumps(dash.meta, allow_nan=False)


def test_an_ordinary_explanation_has_no_population(model):
    explainer, X, y = model
    dash = explainer.explain(X.iloc[:50], y_true=y.iloc[:50]).show()
    assert "population" not in dash.meta and "population" not in dash.kernel
    assert dash.large is None and "population" not in dash.jobs
    assert not is_large(dash.explanation)


@pytest.mark.parametrize("cohort", [OLD, SOUTH, rw.Cohort("old or south", OLD.filters + SOUTH.filters, combine="any")])
def test_the_population_job_answers_the_figures_of_the_cohort_on_all_rows(large, cohort):
    dash = rw.ExplanationDashboard(large)
    status, result = _run(dash, cohort, 7)
    assert status["state"] == "done", status
    assert result["id"] == 7 and result["cohort"] == cohort.to_json()
    assert {k: v for k, v in result.items() if k not in ("id", "cohort")} == json_safe(large.population(cohort))
    truth = _pandas_figures(large, cohort)
    assert result["rows"] == truth["rows"] == large.cohort_count(cohort)
    assert result["rows"] != cohort.count(large.sample)  # all rows, not the sample's
    for name in ("no", "yes"):
        np.testing.assert_allclose(result["importance"][name], truth["importance"][name], rtol=1e-12)
    figures = {m["metric"]: m for m in result["metrics"]}
    assert figures["accuracy"]["value"] == pytest.approx(truth["accuracy"])
    assert figures["ROC AUC"]["value"] == pytest.approx(truth["auc"])
    assert figures["accuracy"]["n"] == truth["rows"]
    assert result["fidelity"]["rows"] == truth["rows"]
    assert result["fidelity"]["agreement"] == pytest.approx(truth["agreement"])


def test_a_newer_request_supersedes_the_running_one_and_a_cancel_stops_it(large):
    dash = rw.ExplanationDashboard(large)
    large.gate = gate = threading.Event()
    dash.population_request = {"id": 1, "params": {"cohort": OLD.to_json()}}
    first = dash.jobs["population"]._thread
    dash.population_request = {"id": 2, "params": {"cohort": SOUTH.to_json()}}
    assert dash.population_status == {"id": 2, "state": "running", "progress": 0.0, "message": ""}
    gate.set()
    first.join(30)
    dash.jobs["population"].wait(30)
    assert dash.population_result["id"] == 2 and dash.population_result["cohort"]["name"] == "south"
    assert dash.population_result["rows"] == large.cohort_count(SOUTH)
    assert dash.population_status["state"] == "done" and dash.population_status["id"] == 2

    gate.clear()
    dash.population_request = {"id": 3, "params": {"cohort": OLD.to_json()}}
    dash.population_request = {"id": 3, "cancel": True}
    gate.set()
    dash.jobs["population"].wait(30)
    assert dash.population_status == {"id": 3, "state": "cancelled", "progress": None, "message": "cancelled"}
    assert dash.population_result["id"] == 2  # the cancelled job answered nothing


def test_a_cohort_the_sample_cannot_evaluate_is_an_error_the_view_shows(large):
    dash = rw.ExplanationDashboard(large)
    status, result = _run(dash, rw.Cohort("x", [rw.Filter("salary", ">", 3)]))
    assert status["state"] == "error" and "salary" in status["message"] and "cannot be evaluated" in status["message"]
    assert result == {}
    dash.population_request = {"id": 2, "params": {"cohort": "old"}}
    dash.jobs["population"].wait(30)
    assert dash.population_status["state"] == "error" and "cohort's JSON" in dash.population_status["message"]


def test_the_engine_failing_reaches_the_view_as_its_message(large):
    def fail(cohort):
        raise ValueError("the cluster lost worker tcp://127.0.0.1:4000 while computing the cohort")

    large.population = fail
    dash = rw.ExplanationDashboard(large)
    status, _ = _run(dash, OLD)
    assert status["state"] == "error" and "lost worker" in status["message"]


def test_the_job_needs_a_large_explanation(model):
    explainer, X, y = model
    dash = explainer.explain(X.iloc[:50]).show()
    with pytest.raises(ValueError, match="large explanation"):
        population_job(dash, {"cohort": OLD.to_json()}, None)


def test_the_offline_report_keeps_the_all_row_figures_and_says_the_job_needs_the_kernel(large):
    dash = rw.ExplanationDashboard(large, cohorts=[OLD])
    state = widget_state(dash)
    assert state["meta"]["population"] == dash.meta["population"]
    assert state["kernel"]["available"] is False and "population" not in state["kernel"]
    assert not any(k.startswith("population_") for k in state)


def test_json_safe_turns_numpy_and_non_finite_numbers_into_json():
    value = {"a": np.float32(1.5), "b": [np.int64(3), float("nan")], 2: (np.inf, True, np.bool_(False), "x")}
    assert json_safe(value) == {"a": 1.5, "b": [3, None], "2": [None, True, False, "x"]}


def test_a_cohort_of_sample_rows_by_index_is_the_same_rows_over_all_rows(large):
    # brushed on a SHAP axis: `index in [...]` of the sample's positions, which are other rows' positions overall
    dash = rw.ExplanationDashboard(large)
    picked = rw.Cohort("brushed", [rw.Filter("index", "in", [0, 3, 5])])
    status, result = _run(dash, picked)
    assert status["state"] == "done", status
    rows = large.sample.data.index[[0, 3, 5]].tolist()
    assert rows != [0, 3, 5]  # the sample's positions are not the global ones, so a mapping is needed
    assert result["rows"] == 3 and result["cohort"] == picked.to_json()
    truth = np.abs(large.full.values[rows]).mean(axis=0)
    np.testing.assert_allclose(result["importance"]["yes"], truth[:, 1], rtol=1e-12)
    np.testing.assert_allclose(
        result["importance"]["yes"], large.sample.global_importance(picked, "yes")[large.feature_names], rtol=1e-9
    )

    status, _ = _run(dash, rw.Cohort("first rows", [rw.Filter("index", "<", 10)]), 2)
    assert status["state"] == "error" and "position in the sample" in status["message"]
