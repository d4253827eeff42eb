"""Kernel jobs (rai_widget._jobs): trait-driven work on a thread, cancellable, errors as the view shows them;
and the dashboard's link to the explainer that the jobs need."""

import threading

import numpy as np
import pandas as pd
import pytest
import traitlets
from sklearn.linear_model import LogisticRegression

import rai_widget as rw
from rai_widget._errors import ModelPredictError
from rai_widget._jobs import JobCancelled, KernelJob
from rai_widget.report import widget_state


class Host(traitlets.HasTraits):
    demo_request = traitlets.Dict()
    demo_status = traitlets.Dict()
    demo_result = traitlets.Dict()


def _job(handler):
    host = Host()
    return host, KernelJob(host, "demo", handler)


def test_a_request_runs_the_handler_and_sends_its_result():
    host, job = _job(lambda params, ctx: {"double": params["x"] * 2})
    host.demo_request = {"id": 7, "params": {"x": 21}}
    job.wait(10)
    assert host.demo_result == {"id": 7, "double": 42}
    assert host.demo_status == {"id": 7, "state": "done", "progress": 1.0, "message": ""}


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (ValueError("feature 'age' is not a feature"), "feature 'age' is not a feature"),
        (
            ModelPredictError("the model's predict_proba failed on 20 rows: boom"),
            "predict_proba failed on 20 rows: boom",
        ),
        (KeyError("no row 99"), "no row 99"),
        (ZeroDivisionError("division by zero"), "internal error (ZeroDivisionError: division by zero)"),
    ],
)
def test_errors_reach_the_view_with_their_message(error, message, capsys):
    def fail(params, ctx):
        raise error

    host, job = _job(fail)
    host.demo_request = {"id": 1, "params": {}}
    job.wait(10)
    assert host.demo_status["state"] == "error"
    assert message in host.demo_status["message"]
    assert host.demo_result == {}  # no result for a failed job


def test_a_cancel_request_stops_the_job_at_its_next_check():
    started, release = threading.Event(), threading.Event()

    def slow(params, ctx):
        started.set()
        release.wait(10)
        ctx.check()
        return {"never": True}

    host, job = _job(slow)
    host.demo_request = {"id": 3, "params": {}}
    assert started.wait(10)
    assert host.demo_status["state"] == "running"
    host.demo_request = {"id": 3, "cancel": True}
    release.set()
    job.wait(10)
    assert host.demo_status == {"id": 3, "state": "cancelled", "progress": None, "message": "cancelled"}
    assert host.demo_result == {}


def test_a_newer_request_supersedes_the_running_one():
    gate = threading.Event()
    seen = []

    def handler(params, ctx):
        seen.append(params["n"])
        if params["n"] == 1:
            gate.wait(10)
            ctx.check()  # cancelled by the second request
        return {"n": params["n"]}

    host, job = _job(handler)
    host.demo_request = {"id": 1, "params": {"n": 1}}
    first = job._thread
    host.demo_request = {"id": 2, "params": {"n": 2}}
    job.wait(10)
    gate.set()
    first.join(10)
    assert host.demo_result == {"id": 2, "n": 2}
    assert host.demo_status["id"] == 2 and host.demo_status["state"] == "done"


def test_progress_is_reported_and_cancel_of_another_id_is_ignored():
    reports = []

    def handler(params, ctx):
        ctx._last = -1.0  # report at once
        ctx.progress(0.5)
        reports.append(dict(host.demo_status))
        return {}

    host, job = _job(handler)
    host.demo_request = {"id": 5, "cancel": True}  # nothing runs: ignored
    assert host.demo_status == {}
    host.demo_request = {"id": 6, "params": {}}
    job.wait(10)
    assert reports == [{"id": 6, "state": "running", "progress": 0.5, "message": ""}]


def test_check_raises_once_cancelled():
    event = threading.Event()
    from rai_widget._jobs import JobContext

    ctx = JobContext(event, lambda share: None)
    ctx.check()
    event.set()
    with pytest.raises(JobCancelled):
        ctx.check()


# --- the dashboard and its explainer


def _binary():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = (X["a"] + 0.5 * X["b"] > 0).map({True: "yes", False: "no"})
    model = LogisticRegression().fit(X, y)
    return rw.MimicExplainer(model, X), X, y


def test_an_explanation_made_in_this_kernel_has_its_jobs_from_show(tmp_path):
    explainer, X, y = _binary()
    exp = explainer.explain(X.iloc[:50], y_true=y.iloc[:50])
    assert exp.explainer is explainer
    dash = exp.show()
    assert dash.kernel == {"available": True, "reason": ""}
    assert set(dash.jobs) == {"ice", "what_if"}
    loaded = rw.load(exp.save(tmp_path / "e.npz"))
    assert loaded.explainer is None
    plain = rw.ExplanationDashboard(loaded)
    assert plain.kernel["available"] is False and "explainer=explainer" in plain.kernel["reason"]
    assert plain.jobs == {}
    linked = rw.ExplanationDashboard(loaded, explainer=explainer)
    assert linked.kernel["available"] is True and linked.explainer is explainer


def test_a_mismatched_explainer_is_refused():
    explainer, X, y = _binary()
    exp = explainer.explain(X.iloc[:20])
    other = rw.MimicExplainer(LogisticRegression().fit(X[["a"]], y), X[["a"]])
    with pytest.raises(ValueError, match="their features differ"):
        rw.ExplanationDashboard(exp, explainer=other)
    with pytest.raises(TypeError, match="MimicExplainer"):
        rw.ExplanationDashboard(exp, explainer="explainer")


def test_the_offline_state_says_jobs_need_a_kernel():
    explainer, X, y = _binary()
    state = widget_state(explainer.explain(X.iloc[:20]).show())
    assert state["kernel"]["available"] is False and "offline report" in state["kernel"]["reason"]
    assert not [k for k in state if k.endswith(("_request", "_status", "_result"))]
