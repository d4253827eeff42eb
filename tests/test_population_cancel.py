"""The dashboard's population job on a real cluster (a LocalCluster of 2 worker processes x 1 thread): a newer
request, a cancel or the widget closing cancels the running pass's tasks on the cluster, no figure of a cancelled
pass reaches the view, and the pass reports "x of y partitions" as they finish.

Slow partitions are deterministic, not timed: while a gate file exists each call of the model takes a ticket
(logging which cohort's rows it was given) and waits for its go file, so the test knows which tasks ran and
lets them finish one by one. Two workers x one thread each: once two
calls are logged, both workers are held and every other task of the pass is waiting for one; a cancelled pass's
waiting tasks must then never run (the log says so), and its held ones' results go nowhere. Ground truth for the
next request's answer is explain() of the same rows as one pandas frame."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import dask.dataframe as dd  # the dask extra, installed with the dev extra: a missing one fails, not skips
import numpy as np
import pandas as pd
import pytest
from dask_cluster import local_cluster

import rai_widget as rw
from rai_widget._population import json_safe

pytestmark = pytest.mark.slow  # a cluster of two processes, numba compiling the kernel in each

ROWS, PARTS = 8000, 8
UP = rw.Cohort("up", [rw.Filter("b", ">", 0)])
DOWN = rw.Cohort("down", [rw.Filter("b", "<=", 0)])
WAIT = 120  # s: the most any step may take on a loaded machine (each is far quicker when the code works)


class Held:
    """A binary classifier whose calls wait their turn while the file `gated` exists: each call takes the next
    ticket (the file `call-<i>`, created exclusively, holding which cohort the rows belong to: "up" for b > 0,
    "down", or "mixed") and waits until `go-<i>` exists or the gate is lifted. While the file `broken` exists
    every call raises."""

    classes_ = np.array(["no", "yes"])

    def __init__(self, folder: str):
        self.folder = folder
        self.gate = os.path.join(folder, "gated")

    def predict_proba(self, X):
        b = X["b"].to_numpy()
        if os.path.exists(os.path.join(self.folder, "broken")):
            raise RuntimeError("sensor value out of range")
        if os.path.exists(self.gate):
            which = "up" if (b > 0).all() else "down" if (b <= 0).all() else "mixed"
            i = 0
            while True:
                try:
                    fd = os.open(os.path.join(self.folder, f"call-{i}"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                    break
                except FileExistsError:
                    i += 1
            os.write(fd, which.encode())
            os.close(fd)
            go, deadline = os.path.join(self.folder, f"go-{i}"), time.monotonic() + WAIT
            while os.path.exists(self.gate) and not os.path.exists(go) and time.monotonic() < deadline:
                time.sleep(0.01)
        z = 0.8 * X["a"].to_numpy() - 0.5 * b + (X["city"] == "Lima").to_numpy()
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "city": rng.choice(["Lima", "Oslo", "Pune"], n)}
    )


def until(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s: {what}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(sys.modules[__name__]) as client:  # the workers cannot import this test module
        yield client


@pytest.fixture(scope="module")
def explained(cluster, tmp_path_factory):
    folder = tmp_path_factory.mktemp("held")
    model = Held(str(folder))
    X = make_data(ROWS, 1)
    ddf = dd.from_pandas(X, npartitions=PARTS)
    y = pd.Series(np.where(model.predict_proba(X)[:, 1] > 0.5, "yes", "no"))
    explainer = rw.MimicExplainer(model, make_data(2000, 0), surrogate_params={"n_estimators": 20})
    large = explainer.explain(ddf, y_true=dd.from_pandas(y, npartitions=PARTS), sample_rows=400, progress=False)
    full = explainer.explain(ddf.compute(), y_true=y, progress=False)
    return large, full, model


@pytest.fixture
def held(explained):
    """The model's calls held (each waits for its go file, or the gate lifted; lifted at the end whatever
    happens), none logged yet."""
    large, full, model = explained
    folder = Path(model.folder)
    for f in folder.glob("call-*"):
        f.unlink()
    for f in folder.glob("go-*"):
        f.unlink()
    Path(model.gate).touch()
    yield model
    Path(model.gate).unlink(missing_ok=True)


def calls(model) -> list[str]:
    """Which cohort each call of the model was for, in the order they came (while the gate is up)."""
    tickets = sorted(Path(model.folder).glob("call-*"), key=lambda f: int(f.name.split("-")[1]))
    return [f.read_text() for f in tickets]


def lift(model) -> None:
    Path(model.gate).unlink()


def on_cluster(client, name: str) -> tuple[list, list]:
    """The states of the cohort pass tasks of cohort `name` that the scheduler and the workers hold (a task
    carries the cohort's JSON among its arguments)."""

    def states(tasks, name=name):
        return [
            ts.state
            for ts in tasks.values()
            if "cohort_task" in str(ts.key) and repr(name) in repr(getattr(ts.run_spec, "args", ()))
        ]

    scheduler = client.run_on_scheduler(lambda dask_scheduler: states(dask_scheduler.tasks))
    workers = client.run(lambda dask_worker: states(dask_worker.state.tasks))
    return scheduler, [s for w in workers.values() for s in w]


def record(dash) -> list:
    """Every status and result the view is sent, in order, with when."""
    sent: list = []

    def keep(change):
        sent.append((change["name"], dict(change["new"]), time.monotonic()))

    dash.observe(keep, names=["population_status", "population_result"])
    return sent


def statuses(sent, state=None) -> list[dict]:
    return [s for name, s, _ in sent if name == "population_status" and state in (None, s["state"])]


def results(sent) -> list[dict]:
    return [r for name, r, _ in sent if name == "population_result"]


def ask(dash, cohort, job_id):
    dash.population_request = {"id": job_id, "params": {"cohort": cohort.to_json()}}
    return dash.jobs["population"]._thread


def same_as_pandas(result, full, cohort):
    mask = cohort.mask(full)
    assert result["rows"] == int(mask.sum()) != 0
    for k, name in enumerate(full.output_names):
        np.testing.assert_allclose(result["importance"][name], np.abs(full.values[mask, :, k]).mean(axis=0), rtol=1e-9)
    accuracy = next(m for m in result["metrics"] if m["metric"] == "accuracy")
    assert accuracy["value"] == pytest.approx(float((full.y_pred == full.y_true)[mask].mean()), rel=1e-12)


def both_workers_held(model, cohort="up"):
    until(lambda: calls(model) == [cohort, cohort], f"both workers running the pass: {calls(model)}")


def test_a_newer_request_cancels_the_running_pass_on_the_cluster(cluster, explained, held):
    large, full, model = explained
    dash = large.show()
    sent = record(dash)
    first = ask(dash, UP, 1)
    both_workers_held(model)
    scheduler, workers = on_cluster(cluster, "up")
    assert len(scheduler) == PARTS and workers.count("executing") == 2  # the rest of the pass waits for a worker

    second = ask(dash, DOWN, 2)
    # the first pass stops at once: its waiting tasks are gone from the cluster; its two running tasks cannot be
    # stopped (they are held), and what they compute goes nowhere
    first.join(WAIT)
    assert not first.is_alive(), "the superseded job still waits for its pass"
    until(lambda: on_cluster(cluster, "up") == ([], ["cancelled"] * 2), "the pass cancelled on the cluster")

    lift(model)  # the two held tasks end, the second pass runs
    second.join(WAIT)
    status, result = dash.population_status, dash.population_result
    assert status["state"] == "done" and status["id"] == 2, status
    assert result["id"] == 2 and result["cohort"]["name"] == "down"
    same_as_pandas(result, full, DOWN)
    assert {k: v for k, v in result.items() if k not in ("id", "cohort")} == json_safe(large.population(DOWN))
    # no task of the cancelled pass ran after the cancel, and nothing of it reached the view
    assert calls(model) == ["up", "up"]
    until(lambda: on_cluster(cluster, "up") == ([], []), "the held tasks ended")
    assert results(sent) == [result]
    assert [s["state"] for s in statuses(sent) if s["id"] == 1] == ["running"]


@pytest.mark.parametrize("how", ["cancel", "close"])
def test_a_cancel_or_the_widget_closing_stops_the_pass(cluster, explained, held, how):
    large, full, model = explained
    dash = large.show()
    sent = record(dash)
    job = ask(dash, UP, 5)
    both_workers_held(model)
    if how == "cancel":
        dash.population_request = {"id": 5, "cancel": True}
    else:
        dash.close()
    job.join(WAIT)
    assert not job.is_alive(), f"the job still waits for its pass after a {how}"
    until(lambda: on_cluster(cluster, "up") == ([], ["cancelled"] * 2), "the pass cancelled on the cluster")
    lift(model)
    until(lambda: on_cluster(cluster, "up") == ([], []), "the held tasks ended")
    assert calls(model) == ["up", "up"]
    assert not results(sent)
    assert statuses(sent)[-1] == {"id": 5, "state": "cancelled", "progress": None, "message": "cancelled"}


def test_the_pass_reports_the_partitions_done_as_they_finish(cluster, explained, held):
    large, full, model = explained
    dash = large.show()
    assert dash.meta["population"]["partitions"] == PARTS
    sent = record(dash)
    job = ask(dash, UP, 9)
    both_workers_held(model)
    assert [s["progress"] for s in statuses(sent, "running")] == [0.0]
    for i in range(3):
        Path(model.folder, f"go-{i}").touch()
    # three partitions done, the next two held: the view is told 3 of 8 (the last change is always sent)
    until(lambda: len(calls(model)) == 5, f"the fourth and fifth calls held: {calls(model)}")
    until(lambda: dash.population_status["progress"] == 3 / PARTS, f"3 of 8 reported: {dash.population_status}")
    lift(model)
    job.join(WAIT)
    assert dash.population_status["state"] == "done", dash.population_status
    same_as_pandas(dash.population_result, full, UP)
    running = [(s["progress"], t) for name, s, t in sent if name == "population_status" and s["state"] == "running"]
    # every share is a whole number of partitions, growing; no more than one report per interval (0.25 s)
    done = [p * PARTS for p, _ in running]
    assert all(d == round(d) for d in done) and done == sorted(done) and len(set(done)) == len(done)
    assert 3 in done and done[-1] <= PARTS
    gaps = np.diff([t for _, t in running[1:]])
    assert (gaps >= 0.2).all(), gaps


def test_population_checks_progress_and_draws_a_bar_over_the_partitions(explained, capsys):
    large, full, model = explained
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        large.population(UP, progress="yes")
    result = large.population(UP, progress=True)
    err = capsys.readouterr().err
    assert f"{PARTS}/{PARTS}" in err and "Cohort 'up'" in err
    same_as_pandas(result, full, UP)
    large.population(UP)  # off by default: the dashboard's job calls it where a bar would land in any cell
    assert "partition" not in capsys.readouterr().err


def test_an_error_on_the_cluster_is_shown_in_words(cluster, explained, capfd):
    large, full, model = explained
    broken = Path(model.folder, "broken")
    broken.touch()
    try:
        dash = large.show()
        ask(dash, UP, 3).join(WAIT)
    finally:
        broken.unlink()
    status = dash.population_status
    assert status["state"] == "error", status
    assert "sensor value out of range" in status["message"] and "partition" in status["message"], status
    assert "internal error" not in status["message"] and "Traceback" not in capfd.readouterr().err
