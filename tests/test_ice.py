"""ICE curves and partial dependence (MimicExplainer.ice / .partial_dependence, the dashboard's "ice" job and
the offline report's precompute): the model's output on a grid, equal to the formula of a known model."""

import json
import re

import numpy as np
import pandas as pd
import pytest

import rai_widget as rw
from rai_widget._payload._wire import wire_to_array
from rai_widget.explainers import _ice
from rai_widget.report import widget_state


class Counting:
    """A model function that counts its calls and the rows of each."""

    def __init__(self, fn):
        self.fn, self.calls = fn, []

    def __call__(self, X):
        self.calls.append(len(X))
        return self.fn(X)


def _regression_data(n=300):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x0": rng.normal(size=n),
            "x1": rng.uniform(-2, 2, n),
            "kids": rng.integers(0, 5, n),  # whole numbers, 5 of them
            "age": rng.integers(18, 90, n),  # whole numbers, 72 of them
            "city": rng.choice(["Lima", "Oslo", "Pune"], n),
            "owner": rng.random(n) > 0.5,
        }
    )


def formula(X):
    """f(X) = 2 x0 + x1^2, plus small known effects of the other features."""
    return (
        2 * X["x0"].to_numpy()
        + X["x1"].to_numpy() ** 2
        + 0.1 * X["kids"].to_numpy()
        + 0.01 * X["age"].to_numpy()
        + (X["city"] == "Oslo").to_numpy() * 1.5
        + X["owner"].to_numpy() * 0.5
    )


@pytest.fixture(scope="module")
def regression():
    X = _regression_data()
    model = Counting(formula)
    return rw.MimicExplainer(model, X, task="regression"), X, model


def _expected(X, feature, values):
    """The formula with `feature` set to each value, row by row: (n, G)."""
    out = np.empty((len(X), len(values)))
    for g, v in enumerate(values):
        out[:, g] = formula(X.assign(**{feature: v}))
    return out


def test_ice_of_a_known_regression_equals_the_formula(regression):
    explainer, X, _ = regression
    rows = X.iloc[[3, 10, 42]]
    curves = explainer.ice(rows, "x1", grid=20)
    lo, hi = X["x1"].min(), X["x1"].max()
    np.testing.assert_allclose(curves.columns.to_numpy(dtype=float), np.linspace(lo, hi, 20))
    assert list(curves.index) == [3, 10, 42]  # X's index
    np.testing.assert_allclose(curves.to_numpy(), _expected(rows, "x1", curves.columns.tolist()), rtol=1e-12)
    # 2 x0 + x1^2: the curves are parabolas shifted by each row's other values
    shifted = curves.to_numpy() - curves.to_numpy()[:, :1]
    np.testing.assert_allclose(shifted, np.broadcast_to(curves.columns.to_numpy(float) ** 2 - lo**2, shifted.shape))
    assert curves.attrs["units"] == "output"


def test_ice_of_a_known_classifier_is_its_log_odds():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x0": rng.normal(size=300), "x1": rng.normal(size=300)})

    def predict_proba(frame):
        z = 1.5 * frame["x0"].to_numpy() - frame["x1"].to_numpy()
        p = 1 / (1 + np.exp(-z))
        return np.column_stack([1 - p, p])

    explainer = rw.MimicExplainer(predict_proba, X, task="classification", classes=["no", "yes"])
    assert explainer.units == "log-odds"
    rows = X.iloc[:5]
    curves = explainer.ice(rows, "x0", grid=[-1.0, 0.0, 2.0])
    z = 1.5 * np.array([-1.0, 0.0, 2.0])[None, :] - rows["x1"].to_numpy()[:, None]
    np.testing.assert_allclose(curves.to_numpy(), z, rtol=1e-6, atol=1e-9)
    assert curves.attrs["output"] == "yes"  # the positive class by default
    np.testing.assert_allclose(explainer.ice(rows, "x0", [-1.0, 0.0, 2.0], output="no").to_numpy(), -z, atol=1e-9)
    np.testing.assert_allclose(explainer.ice(rows, "x0", [-1.0, 0.0, 2.0], output=0).to_numpy(), -z, atol=1e-9)


def test_the_grid_rules(regression):
    explainer, X, _ = regression
    rows = X.iloc[:4]
    # whole numbers, fewer than the steps: every whole number of the range
    assert explainer.ice(rows, "kids", grid=20).columns.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    # whole numbers, more than the steps: even steps over the range
    age = explainer.ice(rows, "age", grid=20).columns.to_numpy(float)
    np.testing.assert_allclose(age, np.linspace(X.age.min(), X.age.max(), 20))
    # categories: every level of X_train, whatever the number; booleans: False, True
    city = explainer.ice(rows, "city", grid=2)
    assert city.columns.tolist() == ["Lima", "Oslo", "Pune"]
    np.testing.assert_allclose(city.to_numpy(), _expected(rows, "city", ["Lima", "Oslo", "Pune"]))
    owner = explainer.ice(rows, "owner", grid=7)
    assert owner.columns.tolist() == [False, True]
    np.testing.assert_allclose(owner.to_numpy(), _expected(rows, "owner", [False, True]))
    # explicit values, in the order given
    explicit = explainer.ice(rows, "x0", grid=[3, -1, 0.5])
    assert explicit.columns.tolist() == [3.0, -1.0, 0.5]
    np.testing.assert_allclose(explicit.to_numpy(), _expected(rows, "x0", [3, -1, 0.5]))
    assert explainer.ice(rows, "city", grid=["Pune"]).columns.tolist() == ["Pune"]
    # a position names the feature too
    assert explainer.ice(rows, 0, grid=[1.0]).attrs["feature"] == "x0"


def test_categories_keep_their_dtype_and_a_numpy_x_train_works():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"v": rng.normal(size=200), "grade": pd.Categorical(rng.choice(["lo", "hi"], 200), ["lo", "hi"])})
    seen = []

    def f(frame):
        seen.append(frame["grade"].dtype)
        return frame["v"].to_numpy() + (frame["grade"] == "hi").to_numpy() * 3.0

    explainer = rw.MimicExplainer(f, X, task="regression")
    curves = explainer.ice(X.iloc[:3], "grade")
    assert curves.columns.tolist() == ["lo", "hi"]  # the categorical's own order
    np.testing.assert_allclose(curves["hi"] - curves["lo"], 3.0)
    assert seen[-1] == X["grade"].dtype

    A = rng.normal(size=(200, 2))
    arr = rw.MimicExplainer(lambda a: 2 * a[:, 0] + a[:, 1] ** 2, A, task="regression", features=["p", "q"])
    got = arr.ice(A[:4], "q", grid=[0.0, 1.0, 2.0])
    np.testing.assert_allclose(got.to_numpy(), 2 * A[:4, :1] + np.array([[0.0, 1.0, 4.0]]))


def test_partial_dependence_is_the_mean_ice_curve(regression):
    explainer, X, _ = regression
    pdp = explainer.partial_dependence("x1", X.iloc[:40], grid=9)
    ice = explainer.ice(X.iloc[:40], "x1", grid=9)
    pd.testing.assert_series_equal(pdp, ice.mean(axis=0), check_names=False)
    assert pdp.attrs["rows"] == 40
    # X=None: the explainer's sample of X_train (here all 300 rows)
    default = explainer.partial_dependence("city")
    sample = explainer.ice(explainer.train_sample, "city")
    np.testing.assert_allclose(default.to_numpy(), sample.mean(axis=0).to_numpy())
    assert default.attrs["rows"] == len(explainer.train_sample) == 300


def test_ten_rows_by_fifty_steps_is_one_model_call(regression, monkeypatch):
    explainer, X, model = regression
    model.calls.clear()
    explainer.ice(X.iloc[:10], "x1", grid=50)
    assert model.calls == [500]
    # past the chunk size, several calls of at most that many rows, the same curves
    whole = explainer.ice(X.iloc[:30], "x1", grid=50)
    model.calls.clear()
    monkeypatch.setattr(_ice, "ICE_CHUNK_ROWS", 400)
    chunked = explainer.ice(X.iloc[:30], "x1", grid=50)
    assert model.calls == [400] * 3 + [300]
    pd.testing.assert_frame_equal(chunked, whole)


@pytest.mark.parametrize(
    ("feature", "grid", "output", "error", "message"),
    [
        ("x_1", 20, None, ValueError, r"'x_1' is not a feature of this model\. Did you mean 'x1'\?"),
        ("nothing", 20, None, ValueError, r"Features: \['x0', 'x1'"),
        (None, 20, None, TypeError, "feature must be a feature's name"),
        ("x1", 1, None, ValueError, "at least 2 steps"),
        ("x1", 2.5, None, TypeError, "a number of steps"),
        ("x1", True, None, TypeError, "a number of steps"),
        ("x1", "abc", None, TypeError, "a number of steps"),
        ("x1", [], None, ValueError, "grid is empty"),
        ("x1", [1, "a"], None, ValueError, "must be finite numbers"),
        ("city", ["Lima", "Rome"], None, ValueError, r"not seen in X_train: \['Rome'\]; its categories are"),
        ("owner", ["yes"], None, ValueError, "True / False"),
        ("x1", 20, "price", ValueError, r"neither a name nor an index of the model's outputs: \['output'\]"),
    ],
)
def test_clear_errors(regression, feature, grid, output, error, message):
    explainer, X, _ = regression
    with pytest.raises(error, match=message):
        explainer.ice(X.iloc[:3], feature, grid, output)


def test_a_multiclass_model_needs_its_class():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})

    def proba(frame):
        z = np.column_stack([frame["a"], frame["b"], -frame["a"] - frame["b"]])
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    explainer = rw.MimicExplainer(proba, X, task="classification", classes=["red", "green", "blue"])
    with pytest.raises(ValueError, match=r"3 classes.*pass output= one of \['red', 'green', 'blue'\]"):
        explainer.ice(X.iloc[:2], "a")
    p = proba(X.iloc[:2].assign(a=1.0))
    got = explainer.ice(X.iloc[:2], "a", grid=[1.0], output="green")
    np.testing.assert_allclose(got.to_numpy()[:, 0], np.log(p[:, 1] / (1 - p[:, 1])), rtol=1e-9)


# --- the dashboard's job


@pytest.fixture(scope="module")
def dashboard(regression):
    explainer, X, _ = regression
    exp = explainer.explain(X.iloc[:120])
    return exp.show(), explainer, X


def _run(dash, params, job_id=1):
    dash.ice_request = {"id": job_id, "params": params}
    dash.jobs["ice"].wait(30)
    return dash.ice_status, dash.ice_result


def test_the_job_returns_what_explainer_ice_does(dashboard):
    dash, explainer, X = dashboard
    status, result = _run(dash, {"rows": [2, 7, 30], "feature": "x1", "steps": 12})
    assert status["state"] == "done", status
    assert result["id"] == 1 and result["rows"] == [2, 7, 30] and result["kind"] == "numeric"
    expected = explainer.ice(dash.explanation.data.iloc[[2, 7, 30]], "x1", grid=12)
    np.testing.assert_allclose(wire_to_array(result["grid"]), expected.columns.to_numpy(float), rtol=1e-6)
    np.testing.assert_allclose(wire_to_array(result["curves"]), expected.to_numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(result["actual"], dash.explanation.data["x1"].iloc[[2, 7, 30]])
    np.testing.assert_allclose(result["actual_output"], dash.explanation.model_output[[2, 7, 30], 0])
    # the PDP of the active cohort: every one of its 120 rows (fewer than PDP_MAX_ROWS)
    pdp = explainer.partial_dependence("x1", dash.explanation.data, grid=12)
    np.testing.assert_allclose(wire_to_array(result["pdp"]), pdp.to_numpy(), rtol=1e-5, atol=1e-5)
    assert (result["pdp_rows"], result["cohort_rows"], result["cohort"]) == (120, 120, "All data")


def test_the_job_takes_a_range_and_follows_the_active_cohort(dashboard):
    dash, explainer, X = dashboard
    dash.cohorts = [rw.Cohort("owners", [rw.Filter("owner", "==", True)])]
    dash.active_cohort = "owners"
    try:
        status, result = _run(dash, {"rows": [5], "feature": "x0", "steps": 5, "range": [-1, 1]}, job_id=2)
        assert status["state"] == "done", status
        np.testing.assert_allclose(wire_to_array(result["grid"]), [-1, -0.5, 0, 0.5, 1])
        members = dash.explanation.data[dash.explanation.data["owner"]]
        pdp = explainer.partial_dependence("x0", members, grid=[-1, -0.5, 0, 0.5, 1])
        np.testing.assert_allclose(wire_to_array(result["pdp"]), pdp.to_numpy(), rtol=1e-5, atol=1e-5)
        assert result["pdp_rows"] == len(members) and result["cohort"] == "owners"
        _, half = _run(dash, {"rows": [5], "feature": "x0", "steps": 3, "range": [None, 0]}, job_id=6)
        np.testing.assert_allclose(wire_to_array(half["grid"]), [X["x0"].min(), X["x0"].min() / 2, 0], rtol=1e-6)
        _, cats = _run(dash, {"rows": [0, 1], "feature": "city"}, job_id=3)
        assert cats["labels"] == ["Lima", "Oslo", "Pune"]
        assert cats["actual"] == [["Lima", "Oslo", "Pune"].index(c) for c in dash.explanation.data["city"].iloc[:2]]
    finally:
        dash.active_cohort = "All data"


def test_the_pdp_of_a_large_cohort_is_a_fixed_sample(dashboard, monkeypatch):
    dash, explainer, _ = dashboard
    monkeypatch.setattr(_ice, "PDP_MAX_ROWS", 50)
    _, first = _run(dash, {"rows": [0], "feature": "x1", "steps": 4}, job_id=4)
    _, again = _run(dash, {"rows": [0], "feature": "x1", "steps": 4}, job_id=5)
    assert first["pdp_rows"] == 50 and first["cohort_rows"] == 120
    np.testing.assert_array_equal(wire_to_array(first["pdp"]), wire_to_array(again["pdp"]))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rows": [1], "feature": "x_1"}, "'x_1' is not a feature of this model. Did you mean 'x1'?"),
        ({"rows": [1], "feature": "x1", "steps": 1}, "steps must be a whole number from 2 to 200"),
        ({"rows": [999], "feature": "x1"}, "rows [999] are not rows of this explanation"),
        ({"rows": [1], "feature": "x1", "range": [3, 1]}, "low <= high"),
        ({"rows": [1], "feature": "x1", "output": 4}, "index of one of the model's 1 outputs"),
    ],
)
def test_job_errors_reach_the_status_with_their_message(dashboard, params, message):
    dash, _, _ = dashboard
    status, _ = _run(dash, params, job_id=10)
    assert status["state"] == "error" and message in status["message"], status


def test_a_failing_model_reaches_the_status_in_its_own_words():
    X = _regression_data(200)
    state = {"fail": False}

    def f(frame):
        if state["fail"]:
            raise RuntimeError("the scoring service is down")
        return formula(frame)

    dash = rw.MimicExplainer(f, X, task="regression").explain(X.iloc[:20]).show()
    state["fail"] = True
    status, _ = _run(dash, {"rows": [0], "feature": "x1"})
    assert status["state"] == "error" and "the scoring service is down" in status["message"], status


# --- the offline report


def _report_state(path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="rw-state">(.*?)</script>', text, re.S).group(1))


def test_the_report_embeds_ice_for_the_selected_rows_and_top_features(dashboard, tmp_path):
    dash, explainer, X = dashboard
    dash.selected_rows = [4, 9]
    try:
        state = _report_state(dash.save_html(tmp_path / "r.html"))
    finally:
        dash.selected_rows = []
    offline = state["ice_offline"]
    assert offline["rows"] == [4, 9] and "rows selected then" in offline["note"]
    top = dash.explanation.global_importance().index[: _ice.OFFLINE_FEATURES].tolist()
    assert [f["feature"] for f in offline["features"]] == top
    first = offline["features"][0]
    curves = np.frombuffer(__import__("base64").b64decode(first["curves"]["view"]["__b64__"]), np.float32)
    expected = explainer.ice(dash.explanation.data.iloc[[4, 9]], first["feature"])
    np.testing.assert_allclose(curves.reshape(first["curves"]["shape"]), expected.to_numpy(), rtol=1e-5, atol=1e-5)
    assert state["kernel"]["available"] is False


def test_a_report_without_a_selection_says_which_rows_it_used(dashboard, tmp_path):
    dash, _, _ = dashboard
    offline = _report_state(dash.save_html(tmp_path / "r.html"))["ice_offline"]
    assert offline["rows"] == [0, 1, 2, 3, 4]
    assert "No rows were selected" in offline["note"] and "first 5 rows of 'All data'" in offline["note"]


def test_no_ice_in_a_report_without_an_explainer(dashboard, tmp_path):
    dash, _, _ = dashboard
    loaded = rw.load(dash.explanation.save(tmp_path / "e.npz"))
    state = _report_state(rw.ExplanationDashboard(loaded).save_html(tmp_path / "plain.html"))
    assert "ice_offline" not in state
    assert "ice_offline" not in widget_state(dash.explanation.show())  # only save_html computes it


def test_a_model_failing_at_save_time_is_said_in_the_report(tmp_path):
    X = _regression_data(200)
    state = {"fail": False}

    def f(frame):
        if state["fail"]:
            raise RuntimeError("the scoring service is down")
        return formula(frame)

    dash = rw.MimicExplainer(f, X, task="regression").explain(X.iloc[:20]).show()
    state["fail"] = True
    offline = _report_state(dash.save_html(tmp_path / "r.html"))["ice_offline"]
    assert "the scoring service is down" in offline["error"] and offline["features"] == []
