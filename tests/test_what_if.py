"""What-if (rai_widget/explainers/_what_if.py): the model and the surrogate on edited rows, the findings
that say when a point leaves the surrogate's region, the dashboard's job and its kept points."""

import functools
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

import rai_widget as rw
from rai_widget._payload._wire import wire_to_array
from rai_widget._warnings import RaiWidgetWarning
from rai_widget.explainers._what_if import point_json
from rai_widget.report import widget_state

N = 400


def _frame(seed=0, n=N):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.normal(50, 12, n),
            "children": rng.integers(0, 5, n),
            "city": pd.Categorical(rng.choice(["Lima", "Oslo", "Pune"], n)),
            "owner": rng.random(n) > 0.5,
        }
    )


def _codes(X):
    """The frame as numbers a scikit-learn model takes (NaN kept: HistGradientBoosting reads it as missing)."""
    out = X.copy()
    out["city"] = X["city"].cat.codes.replace(-1, np.nan).astype(float)
    out["owner"] = pd.array(X["owner"], dtype="boolean").astype("Float64").astype(float)
    return out.astype(float)


class Classifier:
    """A model on the raw frame (categories, booleans, NaN) that scikit-learn does not have to encode."""

    def __init__(self, X, y, **kwargs):
        self.model = HistGradientBoostingClassifier(max_iter=40, random_state=0, **kwargs).fit(_codes(X), y)
        self.classes_ = self.model.classes_

    def predict_proba(self, X):
        return self.model.predict_proba(_codes(X))


class Regressor:
    def __init__(self, X, y):
        self.model = HistGradientBoostingRegressor(max_iter=40, random_state=0).fit(_codes(X), y)

    def predict(self, X):
        return self.model.predict(_codes(X))


@functools.cache
def _binary():
    X = _frame()
    y = np.where(X["income"] / 12 + X["children"] * 0.5 - (X["city"] == "Oslo") > 4.5, "yes", "no")
    return rw.MimicExplainer(Classifier(X, y), X), X


def _multiclass():
    X = _frame(1)
    y = np.select([X["income"] > 58, X["city"] == "Lima"], ["rich", "lima"], "other")
    return rw.MimicExplainer(Classifier(X, y), X), X


def _regression():
    X = _frame(2)
    y = X["income"] * 2 + X["children"] - 5 * X["owner"] + (X["city"] == "Pune") * 10
    return rw.MimicExplainer(Regressor(X, y), X), X


KINDS = {"binary": _binary, "multiclass": _multiclass, "regression": _regression}


@pytest.fixture(scope="module", params=list(KINDS))
def setup(request):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)
        return KINDS[request.param]()


def _edited(X):
    """Rows that move every kind of feature, one with missing values (numeric, category, boolean)."""
    rows = X.iloc[:4].copy()
    rows["income"] = [20.0, 75.5, np.nan, 49.0]
    rows["city"] = pd.Categorical(["Pune", None, "Lima", "Oslo"], categories=X["city"].cat.categories)
    rows["owner"] = pd.array([True, None, False, True], dtype="boolean")
    return rows


def _explain(explainer, rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rw.FidelityWarning)  # a few rows: the fidelity cannot be measured
        return explainer.explain(rows)


def test_the_attribution_is_what_explain_gives(setup):
    explainer, X = setup
    rows = _edited(X)
    w = explainer.what_if(rows)
    exp = _explain(explainer, rows)
    np.testing.assert_array_equal(w.values, exp.values)
    np.testing.assert_array_equal(w.base_values, exp.base_values)
    np.testing.assert_allclose(w.surrogate_output, exp.surrogate_output, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(w.model_output, exp.model_output)
    assert list(w.prediction) == list(exp.y_pred)
    pd.testing.assert_series_equal(w.local_importance(1), exp.local_importance(1))
    np.testing.assert_allclose(w.gap, np.abs(exp.model_output - exp.surrogate_output), atol=1e-12)


def test_the_prediction_is_the_models(setup):
    explainer, X = setup
    rows = _edited(X)
    w = explainer.what_if(rows)
    model = explainer.model
    if explainer.task == "classification":
        np.testing.assert_array_equal(w.scores, model.predict_proba(rows))
        assert list(w.prediction) == list(model.classes_[np.argmax(model.predict_proba(rows), axis=1)])
    else:
        np.testing.assert_array_equal(w.prediction, model.predict(rows))


def test_a_dict_is_one_row_in_X_trains_dtypes():
    explainer, X = _binary()
    row = {"income": 61.0, "children": 3, "city": "Oslo", "owner": None}
    w = explainer.what_if(row)
    assert len(w) == 1 and list(w.data.columns) == list(X.columns)
    assert w.data["city"].dtype == X["city"].dtype and w.data["children"].dtype == X["children"].dtype
    frame = pd.DataFrame(
        {
            "income": [61.0],
            "children": [3],
            "city": pd.Categorical(["Oslo"], categories=X["city"].cat.categories),
            "owner": pd.array([None], dtype="boolean"),
        }
    )
    np.testing.assert_array_equal(w.values, explainer.what_if(frame).values)
    table = w.to_frame()
    assert table.loc[0, "value: city"] == "Oslo" and table.loc[0, "prediction"] == w.prediction[0]
    assert table.loc[0, "attribution: income -> yes"] == w.values[0, 0, 1]


@pytest.mark.parametrize(
    ("income", "kind"), [(200.0, "above_range"), (-80.0, "below_range"), (None, None), ("median", None)]
)
def test_the_out_of_range_finding_fires_outside_and_not_inside(income, kind):
    explainer, X = _binary()
    lo, hi = explainer.train_ranges["income"]
    assert (lo, hi) == (X["income"].min(), X["income"].max())
    value = {"median": float(X["income"].median()), None: hi}.get(income, income)
    w = explainer.what_if(X.iloc[[0]].assign(income=value))
    found = [f for f in w.findings if f.feature == "income"]
    if kind is None:
        assert found == []
    else:
        assert [f.kind for f in found] == [kind]
        assert "X_train's range" in found[0].message and f"{value:g}" in found[0].message


def test_the_unseen_category_finding_says_the_surrogate_reads_it_as_missing():
    explainer, X = _binary()
    frame = X.iloc[[0, 1]].copy()
    frame["city"] = frame["city"].cat.add_categories(["Quito"])
    frame.loc[frame.index[0], "city"] = "Quito"
    frame.loc[frame.index[1], "city"] = "Oslo"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RaiWidgetWarning)  # said as a finding, not as a warning
        w = explainer.what_if(frame)
    assert [(f.row, f.feature, f.kind) for f in w.findings if f.feature] == [(0, "city", "unseen_category")]
    assert "treats it as missing" in w.findings_of(0)[0].message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RaiWidgetWarning)
        np.testing.assert_array_equal(w.values, _explain(explainer, frame).values)
    missing = explainer.what_if(X.iloc[[0]].assign(city=pd.Categorical([None], categories=X["city"].cat.categories)))
    assert [f for f in missing.findings if f.feature == "city"] == []  # missing is not unseen


@functools.cache
def _spiky():
    """A model with a spike no training row sits on: the surrogate's trees cannot follow it."""
    grid = np.linspace(0, 1, 401)
    X = pd.DataFrame({"x": grid[np.abs(grid - 0.5) > 0.01], "z": 0.0})

    def model(frame):
        x = frame["x"].to_numpy()
        return x + 20.0 * (np.abs(x - 0.5) < 0.005)

    return rw.MimicExplainer(model, X, task="regression"), X


def test_the_gap_finding_fires_where_the_surrogate_strays_and_not_on_a_typical_row():
    explainer, X = _spiky()
    spike = explainer.what_if({"x": 0.5, "z": 0.0})
    assert spike.scores[0, 0] == pytest.approx(20.5)
    assert [f.kind for f in spike.findings] == ["surrogate_gap"]
    assert spike.gap[0, 0] > 10 and "further than on 99% of X_train" in spike.findings[0].message
    typical = explainer.what_if(X.iloc[[100]])
    assert typical.gap[0, 0] <= explainer.train_gap[0]
    assert typical.findings == []


def test_bad_input_says_which_feature_and_what_it_takes():
    explainer, X = _binary()
    with pytest.raises(ValueError, match="'age' is not a feature"):
        explainer.what_if({"age": 3, "income": 1, "children": 1, "city": "Lima", "owner": True})
    with pytest.raises(ValueError, match="none for \\['owner'\\]"):
        explainer.what_if({"income": 1, "children": 1, "city": "Lima"})
    with pytest.raises(TypeError, match="feature 'income' takes a number"):
        explainer.what_if({"income": "a lot", "children": 1, "city": "Lima", "owner": True})
    with pytest.raises(TypeError, match="feature 'owner' takes True or False"):
        explainer.what_if({"income": 1.0, "children": 1, "city": "Lima", "owner": "maybe"})
    with pytest.raises(TypeError, match="column 'income' of X holds non-numbers"):
        explainer.what_if(X.iloc[[0]].assign(income="a lot"))
    with pytest.raises(ValueError, match="unexpected \\['age'\\]"):
        explainer.what_if(X.iloc[[0]].assign(age=1))


# --- the dashboard: the job and the kept points


@functools.cache
def _explained():
    explainer, X = _binary()
    return _explain(explainer, X.iloc[:60])


@pytest.fixture
def dash():
    return _explained().show()


def _run(dash, params, job_id=1):
    dash.what_if_request = {"id": job_id, "params": params}
    dash.jobs["what_if"].wait(30)
    return dash.what_if_status, dash.what_if_result


def test_the_job_gives_what_explainer_what_if_gives(dash):
    status, result = _run(dash, {"row": 5, "values": {"income": 90.0, "city": "Pune", "owner": None}})
    assert status["state"] == "done", status
    edited = dash.explanation.data.iloc[[5]].assign(
        income=90.0,
        city=pd.Categorical(["Pune"], categories=dash.explanation.data["city"].cat.categories),
        owner=pd.array([None], dtype="boolean"),
    )
    w = dash.explainer.what_if(edited)
    assert result["id"] == 1 and result["row"] == 5
    assert result["values"] == {"income": 90.0, "city": "Pune", "owner": None}
    np.testing.assert_array_equal(wire_to_array(result["attribution"]), w.values[0].astype(np.float32))
    expected = point_json(w)
    for key in ("prediction", "base_values", "surrogate_output", "gap", "findings"):
        assert result[key] == expected[key], key
    assert result["prediction"]["label"] == w.prediction[0]
    assert result["prediction"]["probabilities"] == list(w.scores[0])
    json.dumps({k: v for k, v in result.items() if k != "attribution"}, allow_nan=False)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"row": 5, "values": {"age": 1}}, "'age' is not a feature"),
        ({"row": 5, "values": {"income": "lots"}}, "feature 'income' takes a number"),
        ({"row": 500, "values": {}}, "row 500 is out of range"),
        ({"values": {}}, "must be a row number"),
    ],
)
def test_bad_params_reach_the_status_with_a_message(dash, params, message):
    status, result = _run(dash, params)
    assert status["state"] == "error" and message in status["message"], status
    assert "Traceback" not in status["message"]


def test_the_models_own_error_reaches_the_status():
    X = _frame()

    def proba(frame):
        if frame["income"].isna().any():
            raise ValueError("Input X contains NaN.")
        p = 1 / (1 + np.exp(-(frame["income"].to_numpy() - 50) / 10))
        return np.column_stack([1 - p, p])

    exp = _explain(rw.MimicExplainer(proba, X, task="classification"), X.iloc[:30])
    status, _ = _run(exp.show(), {"row": 0, "values": {"income": None}})
    assert status["state"] == "error" and "Input X contains NaN." in status["message"], status


def _point(dash, name="high income", row=5, values=None):
    values = {"income": 90.0} if values is None else values
    _, result = _run(dash, {"row": row, "values": values})
    return {"name": name, "row": row, "values": values, **point_json_of(result)}


def point_json_of(result):
    """A job result as the view keeps it: the attribution as nested lists."""
    out = {k: v for k, v in result.items() if k not in ("id", "row", "values")}
    out["attribution"] = wire_to_array(result["attribution"]).astype(float).tolist()
    return out


def test_kept_points_are_a_dataframe_beside_real_rows(dash):
    exp = dash.explanation
    assert dash.what_if.empty and "attribution: income -> yes" in dash.what_if.columns
    first = _point(dash)
    second = _point(dash, "no children", 7, {"children": 0})
    dash.what_if_points = [first, second]
    table = dash.what_if
    assert list(table.index) == ["high income", "no children"] and table.index.name == "name"
    assert table.loc["high income", "row"] == 5 and table.loc["high income", "value: income"] == 90.0
    assert table.loc["high income", "value: children"] == exp.data["children"].iloc[5]  # the base row's
    assert table.loc["no children", "value: children"] == 0
    w = dash.explainer.what_if(exp.data.iloc[[5]].assign(income=90.0))
    assert table.loc["high income", "prediction"] == w.prediction[0]
    assert table.loc["high income", "probability: yes"] == pytest.approx(w.scores[0, 1])
    for feature in exp.feature_names:
        assert table.loc["high income", f"attribution: {feature} -> yes"] == pytest.approx(
            w.values[0, exp.feature_names.index(feature), 1], rel=1e-6, abs=1e-7
        )
    real = exp.local_importance(5, "yes")  # the real row beside its edited copy
    edited = table.loc["high income", [f"attribution: {f} -> yes" for f in real.index]].astype(float)
    side = pd.DataFrame({"row 5": real.to_numpy(), "high income": edited.to_numpy()}, index=real.index)
    assert side.loc["children", "high income"] == pytest.approx(w.values[0, 1, 1], rel=1e-6, abs=1e-7)
    assert side.loc["children", "row 5"] == exp.values[5, 1, 1]
    assert table.to_csv().startswith("name,row,value: income")
    state = widget_state(dash)
    assert [p["name"] for p in state["what_if_points"]] == ["high income", "no children"]
    json.dumps(state["what_if_points"], allow_nan=False)


def test_kept_points_are_checked_on_every_set(dash):
    point = _point(dash)
    with pytest.raises(ValueError, match="names must be unique; 'high income'"):
        dash.what_if_points = [point, point]
    with pytest.raises(ValueError, match="edits 'age', which is not a feature"):
        dash.what_if_points = [{**point, "values": {"age": 3}}]
    with pytest.raises(ValueError, match="needs a name"):
        dash.what_if_points = [{**point, "name": " "}]
    with pytest.raises(ValueError, match="row 99 is out of range"):
        dash.what_if_points = [{**point, "row": 99}]
    with pytest.raises(ValueError, match="attribution must be 4 x 2 numbers"):
        dash.what_if_points = [{**point, "attribution": [[1.0, 2.0]]}]
    with pytest.raises(ValueError, match="must be a list of points"):
        dash.what_if_points = point
    assert dash.what_if_points == []
    dash.what_if_points = [point]
    with pytest.raises(TypeError, match="cannot be edited in place"):
        dash.what_if_points.append(point)


def test_a_bad_point_from_the_view_is_undone_with_a_warning(dash):
    point = _point(dash)
    dash.what_if_points = [point]
    with pytest.warns(RaiWidgetWarning, match="edits 'age'"):
        dash.set_state({"what_if_points": [{**point, "values": {"age": 1}}]})
    assert [p["name"] for p in dash.what_if_points] == ["high income"]
    dash.set_state({"what_if_points": []})  # the view deletes it
    assert dash.what_if_points == []


def test_a_dashboard_without_an_explainer_keeps_its_points(tmp_path, dash):
    point = _point(dash)
    loaded = rw.load(dash.explanation.save(tmp_path / "e.npz"))
    plain = rw.ExplanationDashboard(loaded, what_if_points=[point])
    assert plain.kernel["available"] is False and list(plain.what_if.index) == ["high income"]
