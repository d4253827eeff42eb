"""The Dask engine's pure parts, without a cluster (fast tier): stratified sampling and the aggregates.

Aggregates summed over parts must give the figures a TabularExplanation computes on all the rows at once
(importance, fidelity, metrics), whatever way the rows are split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rai_widget.explainers._distributed import Layout, Summary, merge_all, summarize
from rai_widget.explainers.tabular import PartResult, log_odds
from rai_widget.explanations import _sample
from rai_widget.explanations.large import fidelity, importance, metrics_frame
from rai_widget.explanations.tabular import TabularExplanation


def test_allocate_represents_every_stratum_and_fills_the_sample():
    counts = np.array([100_000, 5, 0, 40_000, 2_000])
    quota = _sample.allocate(counts, 10_000)
    assert quota.sum() == 10_000
    assert (quota <= counts).all() and quota[2] == 0
    assert quota[1] == 5  # a rare stratum keeps all it has
    assert quota[4] >= 10_000 // (2 * 4)  # every non-empty stratum has its floor
    assert quota[0] > quota[3] > quota[4]  # the rest in proportion
    np.testing.assert_array_equal(_sample.allocate(counts, 10**6), counts)  # fewer rows than asked: all
    assert _sample.allocate(np.array([3, 9, 1]), 2).tolist() == [1, 1, 0]  # fewer rows than strata: the largest


def test_stratified_rows_are_deterministic_and_keep_every_label():
    rng = np.random.default_rng(0)
    labels = rng.choice(["a", "b", "c"], size=50_000, p=[0.9, 0.0999, 0.0001])
    rows = _sample.stratified_rows(labels, 1000, random_state=3)
    assert len(rows) == 1000 and len(np.unique(rows)) == 1000 and (np.diff(rows) > 0).all()
    assert set(labels[rows]) == {"a", "b", "c"}
    assert (labels[rows] == "c").sum() == (labels == "c").sum()  # the rare label whole
    np.testing.assert_array_equal(rows, _sample.stratified_rows(labels, 1000, random_state=3))
    assert not np.array_equal(rows, _sample.stratified_rows(labels, 1000, random_state=4))
    with pytest.raises(ValueError, match="sample_rows"):
        _sample.stratified_rows(labels, 0)


def test_split_quotas_spreads_each_stratum_over_the_partitions():
    counts = np.array([[10, 0, 3], [50, 2, 0], [40, 0, 1]])
    quota = np.array([20, 2, 4])
    shares = _sample.split_quotas(counts, quota, random_state=1)
    np.testing.assert_array_equal(shares.sum(axis=0), [20, 2, 4])
    assert (shares <= counts).all()
    np.testing.assert_array_equal(shares, _sample.split_quotas(counts, quota, random_state=1))
    codes = np.array([0] * 10 + [2] * 3)
    rows = _sample.part_rows(codes, shares[0], random_state=1, part=0)
    assert np.bincount(codes[rows], minlength=3).tolist() == shares[0].tolist()


def fake(task: str, k: int, n: int, seed: int):
    """A TabularExplanation of random rows, and the PartResult it was made of."""
    rng = np.random.default_rng(seed)
    f = 3
    data = pd.DataFrame({"x": rng.normal(size=n), "c": rng.integers(0, 4, n).astype(float), "z": rng.normal(size=n)})
    if task == "classification":
        logits = rng.normal(size=(n, k)) * 2
        scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        model_output = log_odds(scores)
        if k == 2:
            model_output[:, 0] = -model_output[:, 1]
        slots = 1 if k == 2 else k
        names = [f"c{i}" for i in range(k)]
        y_true = np.array(names)[rng.integers(0, k, n)]
        y_pred = np.array(names)[np.argmax(scores, axis=1)]
    else:
        scores = rng.normal(size=(n, 1)) * 3 + 5
        model_output = scores.copy()
        slots, names = 1, ["price"]
        y_true = scores[:, 0] + rng.normal(size=n)
        y_true[::9] = np.nan
        y_pred = scores[:, 0]
    values = rng.normal(size=(n, f, slots)) * 0.5
    base = np.zeros(slots)
    raw = base + values.sum(axis=1)
    surrogate = np.column_stack([-raw[:, 0], raw[:, 0]]) if task == "classification" and k == 2 else raw
    part = PartResult(values, surrogate, model_output, scores)
    exp = TabularExplanation(
        data=data,
        feature_names=list(data.columns),
        feature_kinds=["numeric"] * f,
        values=values[:, :, 0] if slots == 1 and task == "classification" else values,
        base_values=np.array([0.0, 0.0]) if task == "classification" and k == 2 else np.zeros(len(names)),
        surrogate_output=surrogate,
        model_output=model_output,
        output_names=names,
        task=task,
        units="log-odds" if task == "classification" else "output",
        y_pred=y_pred,
        y_true=y_true,
        probabilities=scores if task == "classification" else None,
    )
    edges = [np.quantile(data["x"], np.linspace(0, 1, 6)), np.arange(5.0), np.array([-1.0, 0.0, 1.0])]
    layout = Layout(task, names, list(data.columns), ["numeric"] * f, slots, edges, [5, 4, 2], has_truth=True)
    return exp, part, layout, data.to_numpy()


@pytest.mark.parametrize(("task", "k"), [("classification", 2), ("classification", 3), ("regression", 1)])
def test_aggregates_over_parts_give_the_figures_of_all_rows(task, k):
    exp, part, layout, encoded = fake(task, k, 3000, seed=k)
    cuts = [0, 700, 701, 2200, 3000]  # uneven, one part of a single row
    parts = [
        summarize(
            layout,
            PartResult(*(getattr(part, a)[lo:hi] for a in ("values", "surrogate_output", "model_output", "scores"))),
            exp.y_true[lo:hi],
            encoded[lo:hi],
        )
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)
    ]
    parts.append(Summary.empty(layout))  # an empty partition changes nothing
    merged = merge_all(*parts)
    assert merged.n == 3000
    got = fidelity(layout, merged)
    want = exp.fidelity if exp.fidelity else None
    from rai_widget.explanations.tabular import surrogate_fidelity

    want = surrogate_fidelity(exp.model_output, exp.surrogate_output, task, exp.output_names)
    assert got.keys() == want.keys()
    np.testing.assert_allclose(got["r2"], want["r2"], rtol=1e-10)
    assert got.get("agreement") == want.get("agreement")
    for output in [None, "predicted", *range(len(exp.output_names))]:
        imp, label = importance(layout, merged, output, exp.output_index)
        reference = exp.global_importance(output=output)
        np.testing.assert_allclose(imp, reference[exp.feature_names].to_numpy(), rtol=1e-10)
        assert reference.name.startswith(label)
    table, reference = metrics_frame(layout, merged), exp.metrics(n_boot=0)
    assert list(table["metric"]) == list(reference["metric"])
    assert list(table["n"]) == list(reference["n"])
    for name, a, b in zip(reference["metric"], table["value"], reference["value"], strict=True):
        tolerance = 2e-3 if name.startswith("ROC AUC") else 1e-10  # histograms of 16k to 65k bins
        np.testing.assert_allclose(a, b, rtol=tolerance, err_msg=name)
    assert table.attrs["left_out"] == reference.attrs["left_out"]
    # dependence: the counts of every bin add up to the rows; a bin's mean value is the rows' mean
    assert merged.dep_count[0].sum() == 3000
    first = np.searchsorted(layout.edges[0][1:-1], encoded[:, 0], side="right") == 0
    np.testing.assert_allclose(merged.dep_value[0][0, 0] / merged.dep_count[0][0], part.values[first, 0, 0].mean())


def test_stratified_sample_of_a_pandas_explanation_keeps_row_ids_and_values():
    exp, _, _, _ = fake("classification", 3, 5000, seed=9)
    exp.data.index = pd.RangeIndex(100, 5100)
    sample = _sample.stratified_sample(exp, 300, random_state=2)
    assert len(sample) == 300
    rows = exp.data.index.get_indexer(sample.data.index)
    np.testing.assert_array_equal(sample.values, exp.values[rows])
    pairs = set(zip(exp.y_true.tolist(), exp.y_pred.tolist(), strict=True))
    assert set(zip(sample.y_true.tolist(), sample.y_pred.tolist(), strict=True)) == pairs
    assert _sample.stratified_sample(exp, 10_000) is exp
