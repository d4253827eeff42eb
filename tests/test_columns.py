"""The column spec: one definition of the cohort columns per kind, the same in the kernel and on the wire."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from payload_cases import CASES, regression_near_a_million
from sklearn.linear_model import LinearRegression, LogisticRegression
from wire_columns import columns, floats

import rai_widget as rw
from rai_widget.explanations import _columns


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cohort_columns_frame_selects_the_same_rows_as_the_spec(case):
    """exp.cohort_columns() (a DataFrame, for people) is a faithful copy of the spec cohorts filter on."""
    exp = case.build()
    frame = exp.cohort_columns()
    assert list(frame.columns) == list(exp.column_spec())
    for cohort in case.cohorts:
        np.testing.assert_array_equal(cohort.mask(frame), cohort.mask(exp), err_msg=cohort.name)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_save_and_load_keep_the_columns(case, tmp_path):
    exp = case.build()
    back = rw.load(exp.save(tmp_path / "e"))
    a, b = exp.column_spec(), back.column_spec()
    assert list(a) == list(b)
    for name in a:
        assert a[name].kind == b[name].kind and a[name].role == b[name].role, name
        pd.testing.assert_series_equal(a[name].to_series(), b[name].to_series(), check_dtype=False, obj=name)


def test_regression_error_is_computed_at_float64_then_compared_at_float32():
    exp = regression_near_a_million()
    error = exp.column_spec()["error"]
    np.testing.assert_array_equal(error.values, exp.y_pred - exp.y_true)
    # float32 minus float32, as the browser once computed it, is 0.125: row 0 would leave the cohort
    assert np.float32(1e6 + 0.1) - np.float32(1e6) == 0.125
    small = rw.Cohort("small", [rw.Filter("error", "<=", 0.11)])
    assert small.mask(exp).tolist()[:2] == [True, False]
    shipped = floats(columns(rw.ExplanationDashboard(exp).arrays)["error"])
    assert shipped[0] == np.float32(0.1) and shipped[0] <= np.float32(0.11)


def test_a_numeric_column_declared_categorical_is_a_category_everywhere():
    X = pd.DataFrame({"zip": [10, 2, 10, 33, 2, 2, 10, 33] * 10, "rooms": np.arange(80) % 4 + 1.0})
    y = X["rooms"] * 2 + (X["zip"] == 10)
    exp = rw.MimicExplainer(LinearRegression().fit(X, y), X, categorical_features=["zip"]).explain(X)
    col = exp.column_spec()["zip"]
    assert col.kind == "category" and col.role == "feature" and col.categories == ("2", "10", "33")
    assert rw.Cohort("c", [rw.Filter("zip", "==", 10)]).count(exp) == 30
    assert rw.Cohort("c", [rw.Filter("zip", "in", ["2", 33])]).count(exp) == 50
    with pytest.raises(ValueError, match=re.escape("'>' is not defined for categorical column 'zip'")):
        rw.Cohort("c", [rw.Filter("zip", ">", 5)]).mask(exp)
    wire = columns(rw.ExplanationDashboard(exp).arrays)["zip"]
    assert wire["kind"] == "category" and wire["categories"] == ["2", "10", "33"]
    assert [wire["categories"][c] for c in wire["codes"][:4]] == ["10", "2", "10", "33"]


def test_boolean_class_labels_are_boolean_columns():
    X = np.linspace(-1, 1, 60)[:, None]
    y = X[:, 0] > 0.1
    exp = rw.MimicExplainer(LogisticRegression().fit(X, y), X).explain(X, y_true=y)
    spec = exp.column_spec()
    assert spec["y_true"].kind == spec["y_pred"].kind == "bool"
    assert rw.Cohort("c", [rw.Filter("y_true", "==", True)]).count(exp) == int(y.sum())
    with pytest.raises(ValueError, match="is boolean"):
        rw.Cohort("c", [rw.Filter("y_pred", "==", "True")]).mask(exp)
    wire = columns(rw.ExplanationDashboard(exp).arrays)
    assert wire["y_true"]["kind"] == "bool" and wire["y_true"]["values"].tolist() == y.astype(int).tolist()


def test_integer_labels_keep_every_digit_in_correct():
    classes = [123456, 123457]
    X = np.r_[np.zeros(20), np.ones(20)][:, None]
    y = np.where(X[:, 0] > 0.5, classes[1], classes[0])
    model = LogisticRegression().fit(X, y)
    y_true = y.copy()
    y_true[:3] = classes[1]  # three rows the model gets wrong
    exp = rw.MimicExplainer(model, X).explain(X, y_true=y_true)
    correct = exp.column_spec()["correct"]
    assert correct.values.tolist() == (exp.y_true == exp.y_pred).astype(int).tolist()
    assert int((correct.values == 0).sum()) == 3
    assert columns(rw.ExplanationDashboard(exp).arrays)["correct"]["values"].tolist() == correct.values.tolist()


def test_a_feature_wins_over_a_special_column_of_the_same_name():
    X = pd.DataFrame({"index": np.arange(40.0) + 5, "a": np.arange(40.0) % 7})
    exp = rw.MimicExplainer(LinearRegression().fit(X, X["a"]), X).explain(X)
    spec = exp.column_spec()
    assert spec["index"].role == "feature" and spec["index"].values.tolist()[:3] == [5, 6, 7]
    assert list(spec) == ["index", "a", "y_pred"]


def test_category_keeps_given_order_then_extra_values_and_missing():
    col = _columns.category(["b", None, "z", "a", np.nan, "b"], ["a", "b", "c"])
    assert col.categories == ("a", "b", "c", "z") and col.codes.tolist() == [1, -1, 3, 0, -1, 1]
    kept = _columns.category(["b", "z"], ["a", "b", "c"], keep={"b"})
    assert kept.categories == ("b", "z")
    # two values with the same text are one category
    same = _columns.category_of_series(pd.Series([1, "1", 2], dtype=object))
    assert same.categories == ("1", "2") and same.codes.tolist() == [0, 0, 1]


def test_labels_pick_their_kind_from_the_classes():
    assert _columns.labels(np.array([True, False]), [False, True]).kind == "bool"
    assert _columns.labels(np.array([3, 1]), [1, 3]).kind == "number"
    col = _columns.labels(np.array(["b", "x"]), ["a", "b"])
    assert col.kind == "category" and col.categories == ("a", "b", "x")
    assert _columns.equal(np.array([1, 2]), np.array([1.0, 3.0])).tolist() == [True, False]
    assert _columns.equal(np.array(["1", "2"]), np.array([1, 2])).tolist() == [False, False]


SAVED_V1 = Path(__file__).parent / "saved_v1"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_files_saved_before_the_column_spec_load_with_the_same_columns(case):
    """tests/saved_v1/ holds the cases as rai-widget 0.1.0 at 704e16e saved them (format 1, before the
    explanations package): they load, with the columns and cohort rows of the same case built today.
    A new case needs its file written by that release (a worktree of 704e16e on PYTHONPATH)."""
    old, new = rw.load(SAVED_V1 / f"{case.name}.npz"), case.build()
    assert list(old.column_spec()) == list(new.column_spec())
    for cohort in case.cohorts:
        np.testing.assert_array_equal(cohort.mask(old), cohort.mask(new), err_msg=cohort.name)


def test_every_kind_converts_to_shap_for_all_outputs_or_one():
    """to_shap(output=None) on every kind: all outputs, or one output by name or index."""
    for case in CASES:
        exp = case.build()
        everything = exp.to_shap()
        if exp.kind == "image":  # each image was explained for its own predicted class
            with pytest.raises(ValueError, match=re.escape("image 0 was explained for ['class 3'], not 'class 7'")):
                exp.to_shap(output="class 7")
            exp.targets = np.full(len(exp), 7)
            first = exp.to_shap(output="class 7")
            np.testing.assert_array_equal(first.values, exp.attributions)
            continue
        first = exp.to_shap(output=exp.output_names[0])
        if exp.kind == "detection":  # one row per detection; one class's detections
            assert len(everything.values) == sum(map(len, exp.detections))
            assert first.output_names == ["cat"] * sum(d["label"] == "cat" for dets in exp.detections for d in dets)
            continue
        assert len(everything.values) == len(first.values) > 0
        if exp.kind == "tabular":
            np.testing.assert_array_equal(first.values, exp.values[:, :, 0])
        if exp.kind == "text":
            np.testing.assert_array_equal(first.values[1], exp.values[1][:, 0])
