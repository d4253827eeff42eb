"""check_attributions (rai_widget/explainers/_agreement.py): do the surrogate's attributions agree with the
model's own SHAP values? Known answers: a surrogate that reproduces its model agrees (rank rho > 0.95, top-5
overlap near 5), one tree of depth 1 does not; the TreeExplainer path gives shap's own values, the
permutation path the exact values of an additive model; the summary survives save / load."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import rai_widget as rw
from rai_widget.explainers import _agreement
from rai_widget.explainers._agreement import FLOORS, compare

F = 8
# distinct importances, not in feature order: a ranking to recover that ties broken by position cannot fake
COEF = np.array([1.3, -3.0, 0.6, 2.0, -1.0, -2.5, 0.8, 1.6])


def _data(n=1500, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, F)), columns=[f"x{j}" for j in range(F)])
    logit = scale * X.to_numpy() @ COEF
    y = (logit + rng.logistic(size=n) > 0).astype(int)
    return X, y


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)
        return fn(*args, **kwargs)


@functools.cache
def _gbc():
    X, y = _data()
    return X, GradientBoostingClassifier(n_estimators=150, max_depth=2, random_state=0).fit(X, y)


@functools.cache
def _pipeline():
    X, y = _data(seed=1, scale=0.4)  # log-odds well inside the explanation's clip at +-13.8: additive
    return X, make_pipeline(StandardScaler(), LogisticRegression(C=10.0)).fit(X, y)


def test_a_surrogate_that_reproduces_a_tree_model_agrees_on_the_tree_path():
    X, model = _gbc()
    explainer = rw.MimicExplainer(model, X, surrogate_params={"n_estimators": 300})
    exp = explainer.explain(X.iloc[:600], progress=False)
    result = explainer.check_attributions(exp, progress=False)
    assert result.method == "tree" and result.reason is None
    assert "TreeExplainer" in result.method_detail and "GradientBoostingClassifier" in result.method_detail
    assert result.rows == 200 and result.outputs == [1]
    f = result.figures
    assert f["rank_rho"] > 0.95 and f["row_rank_rho"] > 0.9
    assert f["top_k_overlap"] * 5 > 4.5 and f["sign_agreement"] > 0.95
    assert not result.poor and result.problems == []
    # the exact side is shap's own TreeExplainer on the model, on the sampled rows, in log-odds
    rows = X.iloc[:600].iloc[result.row_index]
    expected = shap.TreeExplainer(model).shap_values(rows)
    np.testing.assert_allclose(result.exact_values[:, :, 0], expected, atol=1e-9)
    np.testing.assert_allclose(result.surrogate_values[:, :, 0], exp.values[result.row_index, :, 1])
    # the summary is kept on the explanation, as JSON
    summary = exp.attribution_agreement
    assert summary["method"] == "tree" and summary["rows"] == 200 and summary["poor"] is False
    assert summary["features"]["feature"] == list(X.columns)
    assert len(summary["features"]["importance_exact"]) == F


def test_one_tree_of_depth_one_scores_low():
    X, model = _gbc()
    explainer = _quiet(rw.MimicExplainer, model, X, surrogate_params={"n_estimators": 1, "max_depth": 1})
    exp = _quiet(explainer.explain, X.iloc[:600], progress=False)
    result = explainer.check_attributions(exp, progress=False)
    assert result.method == "tree"
    assert result.figures["rank_rho"] < 0.7  # x0 first, every other feature tied at 0
    assert result.figures["top_k_overlap"] * 5 < 2.5
    assert result.poor and exp.attribution_agreement["poor"] is True
    assert any("rank rho" in p for p in result.problems) and any("top-5 overlap" in p for p in result.problems)
    assert "POOR" in repr(result)


def test_a_pipeline_takes_the_permutation_path_and_finds_the_exact_values_of_an_additive_model():
    X, model = _pipeline()
    explainer = rw.MimicExplainer(model, X, surrogate_params={"n_estimators": 300})
    exp = explainer.explain(X.iloc[:300], progress=False)
    state = np.random.get_state()
    result = explainer.check_attributions(exp, n=40, progress=False)
    assert np.random.get_state()[1].tolist() == state[1].tolist(), "numpy's global stream is the user's"
    assert result.method == "permutation"
    assert "Pipeline" in result.reason and "100 background rows" in result.method_detail
    assert result.background_rows == 100 and result.max_evals == _agreement.PERMUTATIONS * (2 * F + 1)
    # log-odds of a logistic regression are additive: feature j's SHAP value is w_j (x_j - background mean),
    # a line in x_j of slope coef_j / scale_j, which the permutation explainer finds exactly
    rows = X.iloc[:300].iloc[result.row_index]
    scaler, lr = model[0], model[-1]
    for j in range(F):
        slope, _ = np.polyfit(rows.iloc[:, j], result.exact_values[:, j, 0], 1)
        assert slope == pytest.approx(lr.coef_[0, j] / scaler.scale_[j], rel=1e-6)
    f = result.figures
    assert f["rank_rho"] > 0.95 and f["top_k_overlap"] * 5 > 4.5 and not result.poor
    assert exp.attribution_agreement["method"] == "permutation"
    assert exp.attribution_agreement["background_rows"] == 100


def test_a_forest_regressor_takes_the_tree_path_in_its_own_units():
    rng = np.random.default_rng(2)
    X = pd.DataFrame(rng.normal(size=(800, 5)), columns=list("abcde"))
    y = 3 * X.a - 2 * X.b + X.c * X.d
    model = RandomForestRegressor(n_estimators=30, max_depth=6, random_state=0).fit(X, y)
    explainer = rw.MimicExplainer(model, X)
    result = explainer.check_attributions(X.iloc[:300], n=100, progress=False)
    assert result.method == "tree" and result.rows == 100 and result.outputs == ["output"]
    rows = X.iloc[:300].iloc[result.row_index]
    np.testing.assert_allclose(result.exact_values[:, :, 0], shap.TreeExplainer(model).shap_values(rows), atol=1e-9)
    assert result.figures["rank_rho"] > 0.8


def test_a_forest_classifier_adds_up_to_probabilities_so_it_takes_the_permutation_path():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["p", "q", "r"])
    y = (X.p + X.q > 0).astype(int)
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0).fit(X, y)
    explainer = _quiet(rw.MimicExplainer, model, X)
    result = explainer.check_attributions(X, n=10, progress=False)
    assert result.method == "permutation"
    assert "add up to another output" in result.reason and "log-odds" in result.reason


def test_a_multiclass_model_is_compared_per_class():
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(600, 3)), columns=["u", "v", "w"])
    y = np.argmax(np.column_stack([X.u, X.v, -X.u - X.v]) + rng.normal(0, 0.3, (600, 3)), axis=1)
    model = LogisticRegression().fit(X, y)
    explainer = rw.MimicExplainer(model, X)
    exp = explainer.explain(X.iloc[:200], progress=False)
    result = explainer.check_attributions(exp, n=15, progress=False)
    assert result.method == "permutation" and result.outputs == [0, 1, 2]
    assert set(result.per_output) == {"0", "1", "2"}
    assert list(result.features.output.unique()) == [0, 1, 2] and len(result.features) == 9
    assert result.top_k == 3
    overall = np.mean([result.per_output[k]["rank_rho"] for k in "012"])
    assert result.figures["rank_rho"] == pytest.approx(overall)


def test_save_and_load_keep_the_summary(tmp_path):
    X, model = _gbc()
    explainer = rw.MimicExplainer(model, X)
    exp = explainer.explain(X.iloc[:300], progress=False)
    assert exp.attribution_agreement is None
    explainer.check_attributions(exp, n=50, progress=False)
    back = rw.load(exp.save(tmp_path / "checked.npz"))
    assert back.attribution_agreement == exp.attribution_agreement
    plain = rw.load(explainer.explain(X.iloc[:50], progress=False).save(tmp_path / "plain.npz"))
    assert plain.attribution_agreement is None
    # a loaded explanation is checked with the explainer that made it
    again = explainer.check_attributions(back, n=50, progress=False)
    assert again.figures == pytest.approx(explainer.check_attributions(exp, n=50, progress=False).figures)


def test_files_saved_before_the_check_load_with_none():
    for path in sorted((Path(__file__).parent / "saved_v1").glob("tabular_*.npz")):
        assert rw.load(path).attribution_agreement is None, path.name


def test_the_summary_is_json_without_nan():
    import json

    surrogate = np.zeros((4, 3))  # a surrogate that attributes nothing: its rank correlations are undefined
    exact = np.arange(12.0).reshape(4, 3) + 1
    figures, per_feature = compare(surrogate, exact)
    assert np.isnan(figures["rank_rho"]) and np.isnan(figures["row_rank_rho"])
    X, model = _gbc()
    explainer = rw.MimicExplainer(model, X)
    exp = explainer.explain(X.iloc[:40], progress=False)
    explainer.check_attributions(exp, progress=False)
    text = json.dumps(exp.attribution_agreement, allow_nan=False)
    assert exp.attribution_agreement["rows"] == 40 and "NaN" not in text


def test_the_figures_on_known_values():
    exact = np.array([[4.0, -3.0, 2.0, 1.0, 0.0, 0.5], [1.0, 2.0, -3.0, 4.0, 0.0, -0.5]])
    same, _ = compare(exact * 2.0, exact)
    assert same["rank_rho"] == pytest.approx(1.0) and same["row_rank_rho"] == pytest.approx(1.0)
    assert same["sign_agreement"] == 1.0 and same["top_k_overlap"] == 1.0
    flipped, per_feature = compare(-exact, exact)
    assert flipped["sign_agreement"] == 0.0 and flipped["rank_rho"] == pytest.approx(1.0)
    assert np.isnan(per_feature["sign_agreement"][4])  # a value of 0 has no sign to agree on
    # each row's top 5 of the model leaves out its 0 (x4: below 5% of the mean |value|, its rank is noise); the
    # surrogate's top 5 of the row reversed holds 4 of those 5 in both rows
    reversed_, _ = compare(exact[:, ::-1].copy(), exact)
    assert reversed_["top_k_overlap"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"X": None}, TypeError, "needs the rows to check"),
        ({"n": 0}, ValueError, "n must be an integer >= 1"),
        ({"n": 5.0}, TypeError, "n must be an integer"),
        ({"random_state": -1}, ValueError, "random_state must be between 0"),
        ({"random_state": "0"}, TypeError, "random_state must be an integer"),
        ({"progress": "yes"}, TypeError, "progress must be True, False or None"),
    ],
)
def test_bad_arguments_say_what_to_pass(kwargs, error, message):
    X, model = _gbc()
    explainer = rw.MimicExplainer(model, X)
    args = {"X": X.iloc[:20]} | kwargs
    with pytest.raises(error, match=message):
        explainer.check_attributions(**args)


def test_an_explanation_of_another_explainer_is_refused():
    X, model = _gbc()
    explainer = rw.MimicExplainer(model, X)
    exp = explainer.explain(X.iloc[:30], progress=False)
    renamed = X.rename(columns={"x7": "extra"})
    other = rw.MimicExplainer(lambda frame: model.predict_proba(frame.set_axis(X.columns, axis=1)), renamed)
    with pytest.raises(ValueError, match="not made by this explainer: its features"):
        other.check_attributions(exp)
    X2, model2 = _pipeline()
    with pytest.raises(ValueError, match="made with another model"):
        rw.MimicExplainer(model2, X2).check_attributions(exp)
    with pytest.raises(ValueError, match="columns"):
        explainer.check_attributions(X.iloc[:10, :3])


def test_progress_shows_a_bar_when_asked(capsys, monkeypatch):
    X, model = _gbc()
    explainer = rw.MimicExplainer(model, X)
    seen = []
    real = _agreement.tqdm

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(_agreement, "tqdm", spy)
    explainer.check_attributions(X.iloc[:20], progress=True)
    explainer.check_attributions(X.iloc[:20])
    explainer.check_attributions(X.iloc[:20], progress=False)
    assert [(s["disable"], s["delay"]) for s in seen] == [(False, 0), (False, 2.0), (True, 2.0)]
    assert seen[0]["total"] == 20 and seen[0]["desc"] == "Checking attributions"


def test_floors_are_stated():
    assert FLOORS == {"rank_rho": 0.8, "top_k_overlap": 0.7}


def test_the_dashboard_gets_the_summary_in_its_meta_only_once_checked():
    from rai_widget._payload import payload

    X, model = _gbc()
    explainer = rw.MimicExplainer(model, X)
    exp = explainer.explain(X.iloc[:60], progress=False)
    meta, _ = payload([exp])
    assert "attribution_agreement" not in meta
    explainer.check_attributions(exp, progress=False)
    meta, _ = payload([exp])
    sent = meta["attribution_agreement"]
    assert sent["figures"] == exp.attribution_agreement["figures"] and sent["method"] == "tree"
    assert "features" not in sent  # the per-feature table stays in the kernel: the badge shows the figures


def test_no_rows_means_the_last_explanation_this_explainer_made():
    X, model = _gbc()
    explainer = rw.MimicExplainer(model, X)
    exp = explainer.explain(X.iloc[:40])
    result = explainer.check_attributions(n=20, progress=False)
    assert exp.attribution_agreement is not None and exp.attribution_agreement["rows"] == result.rows == 20
    del exp
    import gc

    gc.collect()
    with pytest.raises(TypeError, match="no explanation alive"):
        explainer.check_attributions(n=20)
