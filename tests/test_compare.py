"""exp.compare(a, b): known answers (a planted effect is found, a null difference is covered at about the
stated rate), the figures against a direct numpy computation of the same draws, the cohort forms, the
outputs and the errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rai_widget as rw
from rai_widget.explanations import TabularExplanation, _compare, _metrics


def regression(values: np.ndarray) -> TabularExplanation:
    n, f, _ = values.shape
    names = [f"x{j}" for j in range(f)]
    data = pd.DataFrame(np.arange(n * f, dtype=float).reshape(n, f) % 7, columns=names)
    data["x0"] = np.arange(n, dtype=float)
    out = values.sum(axis=1)
    return TabularExplanation(
        data=data,
        feature_names=names,
        feature_kinds=["numeric"] * f,
        values=values,
        base_values=np.zeros(1),
        model_output=out,
        output_names=["y"],
        task="regression",
        units="y",
        y_pred=out[:, 0],
    )


def classification(values: np.ndarray, classes: list[str]) -> TabularExplanation:
    n, f, k = values.shape
    names = [f"x{j}" for j in range(f)]
    logits = values.sum(axis=1)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return TabularExplanation(
        data=pd.DataFrame({name: np.arange(n, dtype=float) for name in names}),
        feature_names=names,
        feature_kinds=["numeric"] * f,
        values=values,
        base_values=np.zeros(k),
        model_output=logits,
        output_names=classes,
        task="classification",
        units="log-odds",
        y_pred=np.array(classes)[np.argmax(p, axis=1)],
        probabilities=p,
    )


def planted(n: int, f: int, seed: int, effect: float = 2.0) -> TabularExplanation:
    """Rows 0 .. n/2-1 (cohort a) have feature 0's values `effect` times the others'."""
    values = np.random.default_rng(seed).normal(size=(n, f, 1))
    values[: n // 2, 0] *= effect
    return regression(values)


def direct_bootstrap(values: np.ndarray, n_boot: int, seed: int, offset: int) -> np.ndarray:
    """Each resample's mean, drawing row floor(u * n / 2**32) in integers and averaging the drawn rows."""
    n = len(values)
    out = np.empty((n_boot, values.shape[1]))
    for r in range(n_boot):
        u = _metrics.mulberry32(seed, offset + r * n, n).astype(np.uint64)
        rows = ((u * np.uint64(n)) >> np.uint64(32)).astype(np.int64)
        out[r] = values[rows].mean(axis=0)
    return out


A = np.arange(100)
B = np.arange(100, 200)


def test_a_planted_effect_has_an_interval_excluding_zero():
    exp = planted(200, 4, 0)
    df = exp.compare(A, B)
    assert df.index[0] == "x0"  # the largest |difference| first
    x0 = df.loc["x0"]
    assert x0.excludes_zero and x0.ci_low > 0 and x0.difference > 0
    assert x0.ci_low < x0.difference < x0.ci_high
    # the others are the same distribution in both cohorts: 0 in their intervals, most of the time
    assert df.excludes_zero.sum() <= 2


def test_a_null_difference_covers_zero_at_about_the_stated_rate():
    """200 simulated explanations whose two cohorts have the same distribution: a 90% interval covers 0 in
    about 180 of them (binomial sd 4.2: within 3.5 sd), at 200 resamples each."""
    ci, seeds = 0.9, 200
    covered = 0
    for seed in range(seeds):
        exp = regression(np.random.default_rng(1000 + seed).normal(size=(240, 1, 1)))
        df = exp.compare(np.arange(120), np.arange(120, 240), ci=ci, n_boot=200, random_state=seed)
        covered += not bool(df.excludes_zero.iloc[0])
    sd = np.sqrt(seeds * ci * (1 - ci))
    assert abs(covered - ci * seeds) <= 3.5 * sd, covered


def test_the_figures_equal_a_direct_numpy_computation():
    exp = planted(37, 3, 1)
    a, b = np.arange(0, 37, 2), np.arange(1, 37, 3)
    n_boot, seed, ci = 60, 12345, 0.8
    df = exp.compare(a, b, ci=ci, n_boot=n_boot, random_state=seed)
    va, vb = np.abs(exp.values[a, :, 0]), np.abs(exp.values[b, :, 0])
    expected = pd.DataFrame({"mean_abs_a": va.mean(axis=0), "mean_abs_b": vb.mean(axis=0)}, index=exp.feature_names)
    expected["difference"] = expected.mean_abs_a - expected.mean_abs_b
    boot = direct_bootstrap(va, n_boot, seed, 0) - direct_bootstrap(vb, n_boot, seed, n_boot * len(a))
    expected["ci_low"], expected["ci_high"] = np.quantile(boot, [0.1, 0.9], axis=0)
    got = df.loc[exp.feature_names]
    for col in ("mean_abs_a", "mean_abs_b", "difference", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[col].to_numpy(), expected[col].to_numpy(), rtol=1e-12, atol=1e-15, err_msg=col)
    np.testing.assert_array_equal(got.excludes_zero, (expected.ci_low > 0) | (expected.ci_high < 0))
    np.testing.assert_allclose(df.mean_abs_a.loc[exp.feature_names], exp.global_importance(a)[exp.feature_names])
    assert list(df.columns) == _compare.COLUMNS
    assert df.index.name == "feature"
    order = np.argsort(-np.abs(expected.difference.to_numpy()), kind="stable")
    assert list(df.index) == [exp.feature_names[j] for j in order]
    assert df.attrs == {
        "a": "a",
        "b": "b",
        "rows_a": len(a),
        "rows_b": len(b),
        "output": "mean |value|, averaged over outputs (y)",
        "ci": ci,
        "n_boot": n_boot,
        "random_state": seed,
    }


def test_chunks_do_not_change_the_draws(monkeypatch):
    exp = planted(50, 2, 2)
    whole = exp.compare(np.arange(25), np.arange(25, 50), n_boot=30)
    monkeypatch.setattr(_compare, "CELLS_PER_CHUNK", 7)  # fewer rows than a cohort: one resample per chunk
    pd.testing.assert_frame_equal(exp.compare(np.arange(25), np.arange(25, 50), n_boot=30), whole)


def test_a_cohorts_intervals_alone_are_its_draws_in_compare():
    """importance_intervals (the bars' whiskers) draws cohort a's resamples of compare: outputs r*n + j."""
    exp = planted(80, 3, 3)
    a = np.arange(30)
    df = _compare.importance_intervals(exp, a, n_boot=50, random_state=4, ci=0.9)
    boot = direct_bootstrap(np.abs(exp.values[a, :, 0]), 50, 4, 0)
    np.testing.assert_allclose(df.ci_low, np.quantile(boot, 0.05, axis=0), rtol=1e-12)
    np.testing.assert_allclose(df.ci_high, np.quantile(boot, 0.95, axis=0), rtol=1e-12)
    np.testing.assert_allclose(df.mean_abs, exp.global_importance(a)[exp.feature_names], rtol=1e-12)
    assert list(df.index) == exp.feature_names
    assert df.attrs["cohort"] == "" and df.attrs["rows"] == 30
    assert _compare.importance_intervals(exp).attrs["cohort"] == "All data"


def test_every_form_of_cohort_gives_the_same_answer():
    exp = planted(60, 2, 4)
    cohort = rw.Cohort("first half", [rw.Filter("x0", "<", 30)])
    rest = rw.Cohort("second half", [rw.Filter("x0", ">=", 30)])
    by_cohort = exp.compare(cohort, rest, n_boot=20)
    assert (by_cohort.attrs["a"], by_cohort.attrs["b"]) == ("first half", "second half")
    for a, b in (
        (cohort.to_json(), rest.to_json()),
        (exp.cohort_mask(cohort), exp.cohort_mask(rest)),
        (np.arange(30), list(range(30, 60))),
    ):
        other = exp.compare(a, b, n_boot=20)
        pd.testing.assert_frame_equal(other, by_cohort, check_like=False)
    assert exp.compare(cohort.to_json(), rest.to_json(), n_boot=20).attrs["a"] == "first half"


def test_outputs_as_in_global_importance():
    rng = np.random.default_rng(5)
    three = classification(rng.normal(size=(40, 3, 3)), ["low", "mid", "high"])
    a, b = np.arange(20), np.arange(20, 40)
    for output in (None, "predicted", "mid", 2):
        df = three.compare(a, b, output=output, n_boot=10)
        names = three.feature_names
        np.testing.assert_allclose(
            df.mean_abs_a.loc[names], three.global_importance(a, output=output)[names], rtol=1e-12
        )
        np.testing.assert_allclose(
            df.mean_abs_b.loc[names], three.global_importance(b, output=output)[names], rtol=1e-12
        )
    assert three.compare(a, b, output="mid", n_boot=0).attrs["output"] == "mean |value| for mid (log-odds)"
    v = rng.normal(size=(30, 2, 1))
    binary = classification(np.concatenate([-v, v], axis=2), ["no", "yes"])
    # binary classes mirror each other: every output choice gives the same figures
    first = binary.compare(np.arange(15), np.arange(15, 30), n_boot=25)
    for output in ("yes", "no", "predicted"):
        other = binary.compare(np.arange(15), np.arange(15, 30), output=output, n_boot=25)
        np.testing.assert_allclose(other.to_numpy(dtype=float), first.to_numpy(dtype=float), rtol=1e-12)


def test_no_resamples_no_interval():
    df = planted(20, 2, 6).compare(np.arange(10), np.arange(10, 20), n_boot=0)
    assert df.ci_low.isna().all() and df.ci_high.isna().all()
    assert not df.excludes_zero.any()


def test_errors_say_what_is_wrong():
    exp = planted(20, 2, 7)
    nobody = rw.Cohort("nobody", [rw.Filter("x0", ">", 1e9)])
    with pytest.raises(ValueError, match=r"cohort b \('nobody'\) has no rows"):
        exp.compare(np.arange(5), nobody)
    with pytest.raises(ValueError, match="cohort a has no rows"):
        exp.compare([], np.arange(5))
    with pytest.raises(ValueError, match="ci is the interval's level"):
        exp.compare(np.arange(5), np.arange(5, 10), ci=95)
    with pytest.raises(ValueError, match="n_boot is the number of bootstrap resamples"):
        exp.compare(np.arange(5), np.arange(5, 10), n_boot=-1)
    with pytest.raises(ValueError, match="random_state must be from 0 to 2\\*\\*32 - 1"):
        exp.compare(np.arange(5), np.arange(5, 10), random_state=-3)
    with pytest.raises(ValueError, match="unknown output"):
        exp.compare(np.arange(5), np.arange(5, 10), output="nope")
    with pytest.raises(TypeError, match="progress must be"):
        exp.compare(np.arange(5), np.arange(5, 10), progress="yes")


def test_the_stream_wraps_past_2_32_draws_as_the_browsers_does():
    values = np.abs(np.random.default_rng(8).normal(size=(5, 2)))
    offset = 2**32 - 7  # resample 1 draws across the counter's wrap mod 2**32
    got = _compare.resampled_means(values, 3, 9, offset)
    np.testing.assert_allclose(got, direct_bootstrap(values, 3, 9, offset), rtol=1e-12)
