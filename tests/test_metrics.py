"""exp.metrics(): scikit-learn's values on the same rows, bootstrap intervals that cover the truth at their
level, the mulberry32 stream the browser draws the same resamples from, and clear errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

import rai_widget as rw
from rai_widget.explanations import _metrics
from rai_widget.explanations.tabular import label_index

RNG = np.random.default_rng(0)


def _frame(n, f=4, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, f)), columns=[f"x{j}" for j in range(f)])


def _explain(model, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)
        return rw.MimicExplainer(model, X, **kwargs).explain(X, y_true=y, progress=False)


@pytest.fixture(scope="module")
def binary():
    X = _frame(300)
    y = np.where(X.x0 + 0.8 * X.x1 + RNG.normal(0, 1, len(X)) > 0, "yes", "no")
    model = LogisticRegression().fit(X, y)
    return _explain(model, X, y)


@pytest.fixture(scope="module")
def multiclass():
    X = _frame(360, seed=1)
    score = X.x0 + 0.5 * X.x2 + RNG.normal(0, 0.7, len(X))
    y = np.select([score < -0.5, score < 0.5], ["low", "mid"], "high")
    model = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(X, y)
    return _explain(model, X, y)


@pytest.fixture(scope="module")
def regression():
    X = _frame(250, seed=2)
    y = 3 * X.x0 - X.x1 + RNG.normal(0, 0.5, len(X))
    model = LinearRegression().fit(X, y)
    y = y.to_numpy().copy()
    y[[3, 50, 120]] = np.nan  # unknown targets
    return _explain(model, X, y)


def _row(df, metric):
    (row,) = df.index[df.metric == metric]
    return df.loc[row]


def _check_classification(exp, mask):
    df = exp.metrics(cohort=mask, n_boot=0)
    y, pred, p = exp.y_true[mask], exp.y_pred[mask], exp.probabilities[mask]
    classes = exp.output_names
    assert list(df.columns) == ["metric", "value", "ci_low", "ci_high", "n"]
    assert (df.n == mask.sum()).all()
    assert df.ci_low.isna().all() and df.ci_high.isna().all()  # n_boot=0: no intervals
    assert _row(df, "accuracy").value == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    per = skm.precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    macro = skm.precision_recall_fscore_support(y, pred, average="macro", zero_division=0)
    for m, metric in enumerate(("precision", "recall", "F1")):
        assert _row(df, f"{metric} (macro)").value == pytest.approx(macro[m], abs=1e-12)
        for c, name in enumerate(classes):
            assert _row(df, f"{metric}: {name}").value == pytest.approx(per[m][c], abs=1e-12)
    assert _row(df, "log loss").value == pytest.approx(skm.log_loss(y, p, labels=classes), abs=1e-12)
    return df, y, p


def test_binary_equals_sklearn(binary):
    for mask in (np.ones(len(binary), bool), binary.data.x2.to_numpy() > 0.3):
        df, y, p = _check_classification(binary, mask)
        auc = skm.roc_auc_score(y == binary.output_names[1], p[:, 1])
        assert _row(df, "ROC AUC").value == pytest.approx(auc, abs=1e-12)
        assert "ROC AUC: yes" not in set(df.metric)  # binary: one AUC, of the second class
    assert list(df.metric[:6]) == [
        "accuracy",
        "precision (macro)",
        "recall (macro)",
        "F1 (macro)",
        "ROC AUC",
        "log loss",
    ]


def test_multiclass_equals_sklearn(multiclass):
    mask = np.ones(len(multiclass), bool)
    df, y, p = _check_classification(multiclass, mask)
    classes = multiclass.output_names
    macro = skm.roc_auc_score(y, p, multi_class="ovr", average="macro", labels=classes)
    assert _row(df, "ROC AUC (macro)").value == pytest.approx(macro, abs=1e-12)
    for c, name in enumerate(classes):
        assert _row(df, f"ROC AUC: {name}").value == pytest.approx(skm.roc_auc_score(y == name, p[:, c]), abs=1e-12)


def test_a_class_absent_from_the_cohort(multiclass):
    # no row of the cohort has true class "high": its one-vs-rest AUC is undefined, the macro leaves it out
    mask = multiclass.y_true != "high"
    df, y, p = _check_classification(multiclass, mask)
    assert np.isnan(_row(df, "ROC AUC: high").value)
    assert "no row" in df.attrs["notes"]["ROC AUC: high"]
    defined = [
        skm.roc_auc_score(y == name, p[:, c]) for c, name in enumerate(multiclass.output_names) if name != "high"
    ]
    assert _row(df, "ROC AUC (macro)").value == pytest.approx(np.mean(defined), abs=1e-12)
    assert "left out: high" in df.attrs["notes"]["ROC AUC (macro)"]


def test_regression_equals_sklearn_and_leaves_out_unknown_targets(regression):
    for mask in (np.ones(len(regression), bool), regression.data.x3.to_numpy() < 0.2):
        df = regression.metrics(cohort=mask, n_boot=0)
        known = mask & ~np.isnan(regression.y_true)
        y, pred = regression.y_true[known], regression.y_pred[known]
        assert list(df.metric) == ["MAE", "RMSE", "R²", "mean error"]
        assert (df.n == known.sum()).all() and df.attrs["left_out"] == (mask & np.isnan(regression.y_true)).sum()
        expected = [
            skm.mean_absolute_error(y, pred),
            skm.root_mean_squared_error(y, pred),
            skm.r2_score(y, pred),
            np.mean(pred - y),
        ]
        np.testing.assert_allclose(df.value, expected, rtol=1e-12, atol=1e-12)
    assert df.attrs["left_out"] > 0 or regression.metrics().attrs["left_out"] == 3


def test_undefined_figures_say_why(regression, binary):
    constant = regression.metrics(cohort=[0], n_boot=0)  # one row: R² undefined
    assert np.isnan(_row(constant, "R²").value) and "fewer than 2" in constant.attrs["notes"]["R²"]
    assert _row(constant, "MAE").value == pytest.approx(abs(regression.y_pred[0] - regression.y_true[0]))
    empty = binary.metrics(cohort=[], n_boot=10)
    assert empty.value.isna().all() and (empty.n == 0).all()
    assert empty.attrs["notes"]["accuracy"] == "no rows"
    positives = np.flatnonzero(binary.y_true == "yes")
    one_class = binary.metrics(cohort=positives, n_boot=20)
    assert np.isnan(_row(one_class, "ROC AUC").value) and "every row" in one_class.attrs["notes"]["ROC AUC"]
    assert _row(one_class, "recall: no").value == 0.0  # zero_division=0, as sklearn's warning default


def test_a_constant_target_has_no_r2():
    exp = _synthetic_regression(np.full(6, 0.1), np.array([0.1, 0.2, 0.0, 0.1, 0.3, 0.1]))
    df = exp.metrics(n_boot=0)
    assert np.isnan(_row(df, "R²").value) and "constant" in df.attrs["notes"]["R²"]


def _synthetic_regression(y_true, y_pred):
    n = len(y_true)
    return rw.TabularExplanation(
        data=pd.DataFrame({"x": np.zeros(n)}),
        feature_names=["x"],
        feature_kinds=["numeric"],
        values=np.zeros((n, 1, 1)),
        base_values=np.zeros(1),
        surrogate_output=np.zeros((n, 1)),
        model_output=np.asarray(y_pred, dtype=float)[:, None],
        output_names=["y"],
        task="regression",
        units="y",
        y_pred=np.asarray(y_pred, dtype=float),
        y_true=np.asarray(y_true, dtype=float),
    )


def test_cohort_forms_agree(binary):
    cohort = rw.Cohort("wide x2", [rw.Filter("x2", ">", 0.3)])
    mask = cohort.mask(binary)
    by_cohort = binary.metrics(cohort=cohort, n_boot=30)
    pd.testing.assert_frame_equal(by_cohort, binary.metrics(cohort=cohort.to_json(), n_boot=30))
    pd.testing.assert_frame_equal(by_cohort, binary.metrics(cohort=mask, n_boot=30))
    pd.testing.assert_frame_equal(by_cohort, binary.metrics(cohort=np.flatnonzero(mask), n_boot=30))


# --- the bootstrap ------------------------------------------------------------------------------
def test_mulberry32_matches_the_reference_stream():
    # The first outputs of the published JavaScript (a += 0x6D2B79F5; ...) as uint32, run in node by hand:
    # seed 0 starts 0.26642920868471265 * 2**32.
    assert _metrics.mulberry32(0, 0, 5).tolist() == [1144304738, 1416247, 958946056, 627933444, 2007157716]
    assert _metrics.mulberry32(42, 0, 3).tolist() == [2581720956, 1925393290, 3661312704]
    assert _metrics.mulberry32(2**32 - 1, 0, 2).tolist() == [3850105811, 813802916]
    # counter based: output i on its own is output i of the stream
    assert _metrics.mulberry32(7, 1000, 4).tolist() == _metrics.mulberry32(7, 0, 1004)[1000:].tolist()
    # past 2**32 outputs the counter wraps, as Math.imul does
    assert _metrics.mulberry32(3, 2**32, 2).tolist() == _metrics.mulberry32(3, 0, 2).tolist()


def test_resamples_are_the_documented_draws():
    n = 13
    rows = _metrics.resample_rows(5, n, 2, 3)
    u = _metrics.mulberry32(5, 2 * n, 3 * n).astype(np.float64)
    assert rows.ravel().tolist() == np.floor(u * n / 2**32).astype(int).tolist()
    counts = _metrics.resample_counts(5, n, 2, 3)
    assert counts.tolist() == [np.bincount(r, minlength=n).tolist() for r in rows]


def test_each_resample_is_sklearn_on_the_resampled_rows(multiclass):
    # weights = counts is the metric of the rows drawn, repeated: check a few resamples against sklearn
    mask = np.ones(len(multiclass), bool)
    task, _ = _metrics.prepared(multiclass, mask)
    n = len(multiclass)
    rows = _metrics.resample_rows(0, n, 0, 4)
    values = _metrics.bootstrap(task, n, 4, 0)
    names = task.names()
    classes = multiclass.output_names
    for b in range(4):
        y, pred, p = multiclass.y_true[rows[b]], multiclass.y_pred[rows[b]], multiclass.probabilities[rows[b]]
        got = dict(zip(names, values[b], strict=True))
        assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
        assert got["F1 (macro)"] == pytest.approx(skm.f1_score(y, pred, average="macro", zero_division=0), abs=1e-12)
        assert got["log loss"] == pytest.approx(skm.log_loss(y, p, labels=classes), abs=1e-12)
        auc = skm.roc_auc_score(y, p, multi_class="ovr", labels=classes)
        assert got["ROC AUC (macro)"] == pytest.approx(auc, abs=1e-12)


def test_weighted_auc_equals_sklearn_with_ties():
    rng = np.random.default_rng(3)
    n = 200
    y = rng.random(n) < 0.4
    score = np.round(rng.random(n), 1)  # many ties
    proba = np.column_stack([1 - score, score])
    task = _metrics._Classification(["no", "yes"], y.astype(np.int64), (score > 0.5).astype(np.int64), proba)
    weights = rng.integers(0, 4, size=(3, n))
    got = task.auc(weights)[:, 0]
    expected = [skm.roc_auc_score(y, score, sample_weight=w) for w in weights]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_intervals_cover_the_truth_at_their_level():
    # 200 samples of 150 rows from a known population: the true accuracy is 0.8 and the true MAE of
    # errors ~ N(0, 1) is sqrt(2 / pi). A 90% interval should cover each about 180 times (binomial sd 4.2).
    rng = np.random.default_rng(11)
    sims, n, ci = 200, 150, 0.9
    covered = {"accuracy": 0, "MAE": 0}
    for s in range(sims):
        y = rng.integers(0, 2, n)
        correct = rng.random(n) < 0.8
        pred = np.where(correct, y, 1 - y)
        proba = np.where(pred[:, None] == np.arange(2), 0.7, 0.3)
        task = _metrics._Classification(["a", "b"], y, pred, proba)
        low, high = np.quantile(_metrics.bootstrap(task, n, 200, s)[:, 0], [(1 - ci) / 2, (1 + ci) / 2])
        covered["accuracy"] += low <= 0.8 <= high
        truth = rng.normal(size=n)
        reg = _metrics._Regression(truth, truth + rng.normal(size=n))
        low, high = np.quantile(_metrics.bootstrap(reg, n, 200, s)[:, 0], [(1 - ci) / 2, (1 + ci) / 2])
        covered["MAE"] += low <= np.sqrt(2 / np.pi) <= high
    for metric, hits in covered.items():
        # percentile intervals of small samples run a little narrow: allow 4 binomial sd below, 3 above
        assert sims * ci - 4 * 4.2 <= hits <= sims * ci + 3 * 4.2, (metric, hits)


def test_intervals_are_the_quantiles_of_the_resamples(binary):
    df = binary.metrics(n_boot=50, ci=0.8, random_state=9)
    task, _ = _metrics.prepared(binary, np.ones(len(binary), bool))
    resampled = _metrics.bootstrap(task, len(binary), 50, 9)
    acc = resampled[:, 0]
    assert (_row(df, "accuracy").ci_low, _row(df, "accuracy").ci_high) == tuple(np.quantile(acc, [0.1, 0.9]))
    assert df.attrs["ci"] == 0.8 and df.attrs["n_boot"] == 50 and df.attrs["random_state"] == 9
    assert (df.ci_low <= df.value + 1e-12).sum() >= len(df) - 2  # the point sits inside its interval, mostly


def test_chunks_do_not_change_the_draws(binary, monkeypatch):
    whole = binary.metrics(n_boot=40)
    monkeypatch.setattr(_metrics, "CELLS_PER_CHUNK", len(binary) * 3)  # 3 resamples per chunk
    pd.testing.assert_frame_equal(whole, binary.metrics(n_boot=40))


# --- errors -------------------------------------------------------------------------------------
def test_without_y_true_says_to_pass_it(binary):
    X = binary.data
    model = LogisticRegression().fit(X, binary.y_true)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)
        exp = rw.MimicExplainer(model, X).explain(X, progress=False)
    with pytest.raises(ValueError, match=r"pass y_true= to explain\(\)"):
        exp.metrics()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ci": 1.0}, ValueError, "between 0 and 1"),
        ({"ci": 0}, ValueError, "between 0 and 1"),
        ({"ci": "95%"}, ValueError, "between 0 and 1"),
        ({"ci": True}, ValueError, "between 0 and 1"),
        ({"n_boot": -1}, ValueError, "whole number >= 1"),
        ({"n_boot": 10.0}, ValueError, "whole number >= 1"),
        ({"random_state": None}, TypeError, "random_state"),
        ({"random_state": 2**32}, ValueError, "2\\*\\*32 - 1"),
        ({"random_state": -1}, ValueError, "2\\*\\*32 - 1"),
        ({"cohort": "All data"}, TypeError, "rw.Cohort"),
    ],
)
def test_bad_arguments(binary, kwargs, error, match):
    with pytest.raises(error, match=match):
        binary.metrics(**kwargs)


def test_class_names_are_as_python_prints_them():
    n = 40
    rng = np.random.default_rng(0)
    p1 = rng.random(n)
    proba = np.column_stack([1 - p1, p1])
    y_pred = np.where(p1 > 0.5, True, False)
    exp = rw.TabularExplanation(
        data=pd.DataFrame({"x": p1}),
        feature_names=["x"],
        feature_kinds=["numeric"],
        values=np.zeros((n, 1, 2)),
        base_values=np.zeros(2),
        model_output=np.log(proba),
        output_names=[False, True],
        task="classification",
        units="log-odds",
        y_pred=y_pred,
        y_true=rng.random(n) < p1,
        probabilities=proba,
    )
    df = exp.metrics(n_boot=0)
    assert "precision: True" in set(df.metric) and "recall: False" in set(df.metric)
    assert label_index(exp.y_true, exp.output_names).max() == 1
