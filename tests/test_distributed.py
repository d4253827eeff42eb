"""explain() of a dask DataFrame on a real LocalCluster (2 worker processes, 1 thread each), against the pandas path.

Ground truth is explain() of the same rows as one pandas frame: values, importance, fidelity, metrics and cohort
counts over all rows must be the same (values to 1e-9; ROC AUC within the bound its histograms give), the
Parquet dataset must read back as exp.to_frame() does, and a failed or interrupted run leaves nothing at `out`.
The models are defined here and sent to the workers by value (cloudpickle), as a notebook's would be.
"""

from __future__ import annotations

import copy
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from dask_cluster import local_cluster

import rai_widget as rw
from rai_widget._errors import ModelPredictError

dd = pytest.importorskip("dask.dataframe")  # the dask extra (installed with the dev extra)
distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

pytestmark = pytest.mark.slow  # a cluster of two processes, numba compiling the kernel in each: ~40 s

ROWS, PARTS = 20_000, 8


class Binary:
    """Two string classes from two numbers, a category and a boolean."""

    classes_ = np.array(["no", "yes"])

    def predict_proba(self, X):
        z = 0.8 * X["a"].to_numpy() - 0.5 * X["b"].to_numpy() + (X["city"] == "Lima").to_numpy() * 1.0
        z = z + X["owner"].to_numpy() * 0.3
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])


class Three:
    """Three integer classes (softmax)."""

    classes_ = np.array([0, 1, 2])

    def predict_proba(self, X):
        a, b = X["a"].to_numpy(), X["b"].to_numpy()
        z = np.column_stack([a, b, 0.5 * a * b + (X["city"] == "Oslo").to_numpy()])
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


class Regressor:
    def predict(self, X):
        return 2.0 * X["a"].to_numpy() + np.sin(X["b"].to_numpy()) + (X["city"] == "Pune").to_numpy()


class FailsOnBigA(Binary):
    """Raises on any rows where a > 100 (one partition of the test data has such a row)."""

    def predict_proba(self, X):
        if (X["a"].to_numpy() > 100).any():
            raise RuntimeError("sensor value out of range")
        return super().predict_proba(X)


class Slow(Binary):
    def predict_proba(self, X):
        if len(X) > 1000:
            time.sleep(1.0)
        return super().predict_proba(X)


def never_called(*args, **kwargs):
    raise AssertionError("a pass over a stored dataset called the model or TreeSHAP")


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "city": rng.choice(["Lima", "Oslo", "Pune"], n),
            "owner": rng.random(n) < 0.4,
        }
    )


@pytest.fixture(scope="module")
def client():
    with local_cluster(sys.modules[__name__]) as c:  # the workers cannot import this test module
        yield c


@pytest.fixture(scope="module")
def frames():
    X_train, X = make_data(3000, 0), make_data(ROWS, 1)
    ddf = dd.from_pandas(X, npartitions=PARTS)
    # the pandas path explains the very rows the partitions hold (dask stores text as Arrow strings)
    return X_train, ddf.compute(), ddf


def labels_for(model, X, seed=2):
    p = model.predict_proba(X)
    u = np.random.default_rng(seed).random(len(X))
    return model.classes_[(p.cumsum(axis=1) < u[:, None]).sum(axis=1)]


def explainer(model, X_train):
    return rw.MimicExplainer(model, X_train, surrogate_params={"n_estimators": 30})


def same_importance(large, pandas_exp, cohort=None):
    outputs = [None, "predicted", *range(len(pandas_exp.output_names))]
    for output in outputs:
        got = large.global_importance(cohort, output=output)
        want = pandas_exp.global_importance(cohort, output=output)
        assert got.name == want.name
        assert list(got.index) == list(want.index)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9, atol=1e-12)


def same_fidelity(got, want):
    assert got.keys() == want.keys()
    assert got["rows"] == want["rows"]
    if "agreement" in want:
        assert got["agreement"] == want["agreement"]
    np.testing.assert_allclose(got["r2"], want["r2"], rtol=1e-9)
    assert got["r2_per_output"].keys() == want["r2_per_output"].keys()
    for key, value in want["r2_per_output"].items():
        np.testing.assert_allclose(got["r2_per_output"][key], value, rtol=1e-9)


def same_metrics(large_df, pandas_df):
    assert list(large_df["metric"]) == list(pandas_df["metric"])
    assert list(large_df["n"]) == list(pandas_df["n"])
    assert large_df["ci_low"].isna().all() and large_df["ci_high"].isna().all()
    for name, got, want in zip(pandas_df["metric"], large_df["value"], pandas_df["value"], strict=True):
        if name.startswith("ROC AUC") and "macro" not in name:
            bound = float(large_df.attrs["notes"][name].rsplit("within ", 1)[1].split(" ")[0])
            assert abs(got - want) <= bound + 1e-12, name
            assert bound < 1e-3  # the histogram is fine enough to be useful
        elif name == "ROC AUC (macro)":
            assert abs(got - want) < 1e-3
        else:
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=name)


def test_binary_equals_the_pandas_path_and_writes_a_complete_parquet_dataset(client, frames, tmp_path):
    X_train, X, ddf = frames
    model = Binary()
    y = labels_for(model, X)
    ex = explainer(model, X_train)
    out = tmp_path / "attributions.parquet"
    large = ex.explain(ddf, y_true=dd.from_pandas(pd.Series(y), npartitions=PARTS), out=out, sample_rows=2000)
    want = ex.explain(X, y_true=y, progress=False)

    assert isinstance(large, rw.LargeTabularExplanation)
    assert large.n_rows == len(large) == ROWS
    assert (large.feature_names, large.output_names, large.task, large.units) == (
        want.feature_names,
        want.output_names,
        want.task,
        want.units,
    )
    same_fidelity(large.fidelity, want.fidelity)
    same_importance(large, want)
    same_metrics(large.metrics(), want.metrics(n_boot=0))

    # the sample: ordinary explanation rows, at their global positions, with the pandas path's numbers
    sample = large.sample
    assert isinstance(sample, rw.TabularExplanation) and len(sample) == 2000
    rows = sample.data.index.to_numpy()
    assert len(set(rows)) == len(rows) and rows.min() >= 0 and rows.max() < ROWS
    np.testing.assert_allclose(sample.values, want.values[rows], rtol=0, atol=1e-9)
    np.testing.assert_allclose(sample.model_output, want.model_output[rows], rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(sample.data.reset_index(drop=True), X.iloc[rows].reset_index(drop=True))
    assert sample.explainer is ex
    # every (true, predicted) pair that occurs among all rows is in the sample: both classes, both outcomes
    pairs = set(zip(want.y_true.tolist(), want.y_pred.tolist(), strict=True))
    assert set(zip(sample.y_true.tolist(), sample.y_pred.tolist(), strict=True)) == pairs and len(pairs) == 4

    # the dataset at out reads back as the pandas path's to_frame (index: the global row position)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attributions.parquet"]  # no leftover temporary folder
    back = pd.read_parquet(out).sort_index()
    expected = want.to_frame()
    expected.index.name = "row"
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, rtol=1e-9, atol=1e-12)
    assert large.attributions.npartitions >= 1
    pd.testing.assert_frame_equal(
        large.attributions.compute().sort_index(), back, check_dtype=False, rtol=1e-12, atol=1e-12
    )

    # dependence: bin counts add up to every row, and one bin's means are pandas' on the same rows
    dep = large.dependence["a"]
    assert dep["count"].sum() == ROWS
    edges = np.r_[dep["low"].iloc[:-1].to_numpy(), dep["high"].iloc[-2]]
    b = np.searchsorted(edges[1:-1], X["a"].to_numpy(), side="right")
    in_bin = b == 3
    assert dep["count"].iloc[3] == in_bin.sum()
    np.testing.assert_allclose(dep["feature_value"].iloc[3], X["a"].to_numpy()[in_bin].mean(), rtol=1e-12)
    np.testing.assert_allclose(dep["value[yes]"].iloc[3], want.values[in_bin, 0, 1].mean(), rtol=1e-9)
    city = large.dependence["city"]
    assert list(city["bin"]) == ["Lima", "Oslo", "Pune", "missing"]
    assert list(city["count"].iloc[:3]) == [int((X["city"] == c).sum()) for c in ("Lima", "Oslo", "Pune")]

    # the dashboard draws the sample, with the all-row figures beside it
    dash = large.show()
    assert isinstance(dash, rw.ExplanationDashboard) and dash.large is large and dash.explanation is sample

    with pytest.raises(FileExistsError, match="never overwrites"):
        ex.explain(ddf, out=out)


COHORTS = [
    {"name": "high a", "combine": "all", "filters": [{"column": "a", "op": ">", "value": 0.3}]},
    {
        "name": "wrong in Lima",
        "combine": "all",
        "filters": [{"column": "correct", "op": "==", "value": False}, {"column": "city", "op": "==", "value": "Lima"}],
    },
    {"name": "confident", "combine": "any", "filters": [{"column": "confidence", "op": ">=", "value": 0.8}]},
    {"name": "late rows", "combine": "all", "filters": [{"column": "index", "op": "between", "value": [4999, 15000]}]},
    {
        "name": "owners said yes",
        "combine": "all",
        "filters": [{"column": "owner", "op": "==", "value": True}, {"column": "y_pred", "op": "in", "value": ["yes"]}],
    },
    {"name": "nobody", "combine": "all", "filters": [{"column": "a", "op": ">", "value": 1e6}]},
]


@pytest.mark.parametrize("stored", [False, True], ids=["recomputed", "read back from out"])
def test_a_cohort_pushed_down_gives_the_rows_and_figures_pandas_gives(client, frames, tmp_path, stored):
    X_train, X, ddf = frames
    model = Binary()
    y = labels_for(model, X)
    ex = explainer(model, X_train)
    out = tmp_path / "attributions.parquet" if stored else None
    large = ex.explain(ddf, y_true=dd.from_pandas(pd.Series(y), npartitions=PARTS), sample_rows=1000, out=out)
    want = ex.explain(X, y_true=y, progress=False)
    if stored:  # the passes read the dataset back: neither the model nor TreeSHAP may run
        large.explainer = copy.copy(ex)
        large.explainer.model_scores = never_called
        large.explainer._explain_part = never_called
    for cohort in COHORTS:
        count = rw.Cohort.from_json(cohort).count(want)
        assert large.cohort_count(cohort) == count, cohort["name"]
        population = large.population(rw.Cohort.from_json(cohort))
        assert set(population) == {"rows", "importance", "fidelity", "metrics"}
        assert population["rows"] == count
        for name in want.output_names:
            expected = want.global_importance(cohort, output=name)[want.feature_names].to_numpy()
            got = np.array(population["importance"][str(name)], dtype=float)
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
        if count:
            same_fidelity(population["fidelity"], want.cohort_fidelity(cohort))
            table = want.metrics(cohort, n_boot=0)
            got = {m["metric"]: m for m in population["metrics"]}
            assert list(got) == list(table["metric"])
            assert {m["n"] for m in population["metrics"]} == {count}
            np.testing.assert_allclose(got["accuracy"]["value"], table["value"].iloc[0], rtol=1e-12)
        else:
            assert population["fidelity"]["r2"] is None and population["fidelity"]["rows"] == 0
    import json

    json.dumps(large.population(COHORTS[1]), allow_nan=False)  # JSON-ready: no NaN
    with pytest.raises(ValueError, match="nope"):
        large.cohort_count({"name": "bad", "filters": [{"column": "nope", "op": "==", "value": 1}]})
    with pytest.raises(TypeError, match="rw.Cohort"):
        large.global_importance(np.ones(ROWS, dtype=bool))
    with pytest.raises(NotImplementedError, match="Parquet"):
        large.save("x.npz")


def test_multiclass_lazy_attributions_equal_the_pandas_path(client, frames):
    X_train, X, ddf = frames
    model = Three()
    y = labels_for(model, X)
    ex = explainer(model, X_train)
    large = ex.explain(ddf, y_true=dd.from_pandas(pd.Series(y), npartitions=PARTS), sample_rows=600, dtype="float32")
    want = ex.explain(X, y_true=y, progress=False, dtype="float32")
    same_fidelity(large.fidelity, want.fidelity)
    same_importance(large, want)
    same_metrics(large.metrics(), want.metrics(n_boot=0))
    assert len(large.sample) == 600
    assert set(large.sample.y_pred.tolist()) == {0, 1, 2} and set(large.sample.y_true.tolist()) == {0, 1, 2}
    lazy = large.attributions
    assert large.out is None and lazy.npartitions == PARTS
    expected = want.to_frame()
    expected.index.name = "row"
    pd.testing.assert_frame_equal(lazy.compute(), expected, check_dtype=False, rtol=1e-6, atol=1e-7)


def test_regression_with_unknown_targets(client, frames):
    X_train, X, ddf = frames
    model = Regressor()
    y = model.predict(X) + np.random.default_rng(3).normal(size=ROWS)
    y[::7] = np.nan
    ex = explainer(model, X_train)
    large = ex.explain(ddf, y_true=dd.from_pandas(pd.Series(y), npartitions=PARTS), sample_rows=500)
    want = ex.explain(X, y_true=y, progress=False)
    same_fidelity(large.fidelity, want.fidelity)
    same_importance(large, want)
    got, expected = large.metrics(), want.metrics(n_boot=0)
    same_metrics(got, expected)
    assert got.attrs["left_out"] == expected.attrs["left_out"] == int(np.isnan(y).sum())
    cohort = {"name": "big error", "filters": [{"column": "error", "op": ">", "value": 0.5}]}
    assert large.cohort_count(cohort) == rw.Cohort.from_json(cohort).count(want)
    # one partition (a single aggregate still goes through a merge on the cluster)
    head = X.iloc[:3000]
    one = ex.explain(dd.from_pandas(head, npartitions=1), y_true=dd.from_pandas(pd.Series(y[:3000]), npartitions=1))
    same_fidelity(one.fidelity, ex.explain(head, progress=False).fidelity)
    assert len(one.sample) == 3000  # no more rows than sample_rows: all of them


def test_a_failing_task_ends_in_a_clear_error_and_no_dataset(client, frames, tmp_path):
    X_train, X, _ = frames
    bad = X.copy()
    bad.loc[12_345, "a"] = 1000.0  # partition 4 of 8
    ex = explainer(FailsOnBigA(), X_train)
    out = tmp_path / "attributions.parquet"
    with pytest.raises(ModelPredictError, match=r"sensor value out of range.*partition 4 of 8.*Nothing was written"):
        ex.explain(dd.from_pandas(bad, npartitions=PARTS), out=out, progress=False)
    assert list(tmp_path.iterdir()) == []  # neither out nor the temporary folder


def test_a_restarted_cluster_ends_in_a_clear_error_and_no_dataset(client, frames, tmp_path):
    X_train, X, ddf = frames
    ex = explainer(Slow(), X_train)
    out = tmp_path / "attributions.parquet"
    caught: list = []

    def run():
        try:
            ex.explain(ddf, out=out, progress=False)
        except BaseException as err:  # what the user would see
            caught.append(err)

    def written(folder):
        return any(any(p.glob("part.*.parquet")) for p in folder.glob(".*partial"))

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not written(tmp_path):
        time.sleep(0.05)
    assert written(tmp_path), "the run never wrote its first partition"
    client.restart()
    thread.join(120)
    assert not thread.is_alive()
    assert len(caught) == 1 and isinstance(caught[0], RuntimeError), caught
    assert "restarted or closed during explain()" in str(caught[0]) and "Nothing was written to out" in str(caught[0])
    assert list(tmp_path.iterdir()) == []


def test_bad_input_is_refused_before_any_work(client, frames, tmp_path):
    X_train, X, ddf = frames
    ex = explainer(Binary(), X_train)
    with pytest.raises(ValueError, match="missing"):
        ex.explain(ddf.drop(columns="b"))
    with pytest.raises(TypeError, match="not a DataFrame"):
        ex.explain(ddf["a"])
    with pytest.raises(TypeError, match="dask Series"):
        ex.explain(ddf, y_true=np.zeros(ROWS))
    y = dd.from_pandas(pd.Series(labels_for(Binary(), X)), npartitions=3)
    with pytest.raises(ValueError, match="partitions"):
        ex.explain(ddf, y_true=y)
    shifted = pd.Series(labels_for(Binary(), X), index=X.index + 1)  # 8 partitions, but not X's rows
    with pytest.raises(ValueError, match=r"y_true's rows are not X's.*\(in partition \d of 8 \(rows"):
        ex.explain(ddf, y_true=dd.from_pandas(shifted, npartitions=PARTS), progress=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ex.explain(ddf, out=tmp_path / "no" / "such.parquet")
    with pytest.raises(ValueError, match="no rows"):
        ex.explain(dd.from_pandas(X.iloc[:0], npartitions=1))
    with pytest.raises(ValueError, match="sample_rows"):
        ex.explain(ddf, sample_rows=0)


def test_fit_sample_draws_a_uniform_sample_on_the_cluster(client, frames):
    from rai_widget.explainers._distributed import fit_sample

    _, X, ddf = frames
    a = fit_sample(ddf, surrogate_rows=1500, random_state=4)
    b = fit_sample(ddf, surrogate_rows=1500, random_state=4)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 1500 and a.index.is_unique and a.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(a, X.loc[a.index])  # real rows, as they are
    assert not fit_sample(ddf, surrogate_rows=1500, random_state=5).index.equals(a.index)
    # spread over the whole frame, not the first partitions
    assert a.index.min() < ROWS / 8 and a.index.max() > ROWS * 7 / 8
    whole = fit_sample(ddf, surrogate_rows=10 * ROWS)
    pd.testing.assert_frame_equal(whole, X)


def test_x_train_as_a_dask_frame_fits_on_a_sample_and_measures_fidelity_on_other_rows(client, frames):
    from rai_widget.explainers._distributed import fit_sample

    _, X, ddf = frames
    model = Binary()
    ex = rw.MimicExplainer(model, ddf, surrogate_rows=3000, surrogate_params={"n_estimators": 30})
    same = rw.MimicExplainer(model, fit_sample(ddf, 3000, random_state=0), surrogate_params={"n_estimators": 30})
    pd.testing.assert_frame_equal(ex.train_sample, same.train_sample)  # the surrogate saw that sample
    large = ex.explain(ddf, sample_rows=500, progress=False)
    assert large.fidelity["rows"] == ROWS  # over every row, 17,000 of which the surrogate never saw
    same_fidelity(large.fidelity, same.explain(X, progress=False).fidelity)
