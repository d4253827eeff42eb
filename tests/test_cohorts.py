import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rai_widget import cohorts  # noqa: E402
from rai_widget.explanations._columns import kind_of

Cohort, Filter = cohorts.Cohort, cohorts.Filter

CASES = json.loads((Path(__file__).parent / "cohort_cases.json").read_text())


def build_frame(columns: dict, categories_as: str = "category") -> pd.DataFrame:
    """The shared column table as the kernel would hold it: float64/int64 numbers (cast to
    float32 by the evaluator), categoricals (or plain object columns), bool / nullable boolean."""
    data = {}
    for name, col in columns.items():
        values = col["values"]
        if col["kind"] == "number":
            if all(isinstance(v, int) for v in values):
                data[name] = np.array(values, dtype=np.int64)
            else:
                data[name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif col["kind"] == "category":
            data[name] = pd.Series(values, dtype=categories_as)
        elif col["kind"] == "tokens":  # as TextExplanation.cohort_columns() holds them: one tuple per text
            data[name] = pd.Series([tuple(v) for v in values], dtype=object)
        else:
            data[name] = pd.array(values, dtype="boolean") if None in values else np.array(values, dtype=bool)
    return pd.DataFrame(data)


FRAMES = {kind: build_frame(CASES["columns"], kind) for kind in ("category", "object", "string")}


@pytest.mark.parametrize("categories_as", FRAMES)
@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_shared_case(case, categories_as):
    mask = Cohort.from_json(case["cohort"]).mask(FRAMES[categories_as])
    assert mask.dtype == bool
    assert np.flatnonzero(mask).tolist() == case["expected"]


@pytest.mark.parametrize("case", CASES["errors"], ids=[c["name"] for c in CASES["errors"]])
def test_shared_error(case):
    with pytest.raises(ValueError, match=re.escape(case["error"])):
        Cohort.from_json(case["cohort"]).mask(FRAMES["category"])


def test_frame_columns_are_the_kinds_the_cases_expect():
    df = FRAMES["category"]
    assert df["index"].dtype == np.int64 and df["age"].dtype == np.float64
    assert df["correct"].dtype == bool and df["flag"].dtype == "boolean"
    assert kind_of(df["tokens"]) == "tokens" and kind_of(df["color"]) == "category"


def _as_written(value):
    """A cohort's JSON as to_json() writes it: infinity (1e400 in the file) as the largest float64."""
    if isinstance(value, dict):
        return {k: _as_written(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_written(v) for v in value]
    if isinstance(value, float) and math.isinf(value):
        return math.copysign(sys.float_info.max, value)
    return value


@pytest.mark.parametrize("case", CASES["cases"] + CASES["errors"][:1], ids=lambda c: c["name"])
def test_json_round_trip(case):
    c = Cohort.from_json(case["cohort"])
    assert c.to_json() == _as_written(case["cohort"])
    assert Cohort.from_json(json.loads(json.dumps(c.to_json(), allow_nan=False))) == c


def test_python_construction_and_equality():
    c = Cohort("older", [Filter("age", ">", np.int64(40)), Filter("grade", "in", ("1", "2"))])
    assert c.combine == "all"
    assert c.filters[0].value == 40 and type(c.filters[0].value) is int
    assert c.to_json()["filters"][1] == {"column": "grade", "op": "in", "value": ["1", "2"]}
    assert c == Cohort("older", [{"column": "age", "op": ">", "value": 40}, c.filters[1]])
    assert c != Cohort("older", c.filters, combine="any")
    assert repr(c.filters[0]) == "Filter('age', '>', 40)"
    shown = repr(Cohort("x", [Filter("a", "==", "b")], "any"))
    assert shown == "Cohort('x', [Filter('a', '==', 'b')], combine='any')"
    assert Cohort("everyone").filters == []


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Filter("age", "~", 1), "valid ops: ==, !=, <, <=, >, >=, in, not in, between"),
        (lambda: Filter("age", "between", [3, 1]), "lo <= hi"),
        (lambda: Filter("age", "between", [1, True]), "two numbers"),
        (lambda: Filter("age", "between", [1, float("nan")]), "two numbers"),
        (lambda: Filter("color", "in", "red"), "'in' needs a list"),
        (lambda: Filter("color", "==", ["red"]), "needs a single value"),
        (lambda: Cohort("c", combine="and"), "combine must be 'all' or 'any'"),
        (lambda: Cohort("  "), "non-empty"),
        (lambda: Cohort("c", [{"column": "age", "op": ">"}]), "column, op and value"),
        (lambda: Cohort.from_json({"filters": []}), "needs at least a name"),
        (lambda: Filter("age", ">", float("nan")), "filter value NaN matches no row"),
        (lambda: Filter("age", "==", np.float64("nan")), "NaN"),
        (lambda: Filter("age", "in", [1, float("nan")]), "NaN"),
        (
            lambda: Cohort.from_json({"name": "c", "filters": [{"column": "a", "op": "<", "value": float("nan")}]}),
            "NaN",
        ),
    ],
)
def test_construction_errors(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Cohort("c", {"column": "age", "op": ">", "value": 40}),
         "filters must be a list of filters, not a dict; for one filter, wrap it in a list: "
         "Cohort('c', [{'column': 'age', 'op': '>', 'value': 40}])"),
        (lambda: Cohort("c", Filter("age", ">", 40)), "filters must be a list of filters, not a Filter"),
        (lambda: Cohort("c", "age > 40"), "not a str"),
        (lambda: Cohort("c", 3), "not a int"),
        (lambda: Cohort("c", [("age", ">", 40)]), "filters[0] is a tuple; give an rw.Filter(column, op, value)"),
        (lambda: Cohort.from_json({"name": "c", "filters": {"column": "age", "op": ">", "value": 40}}), "not a dict"),
    ],
)  # fmt: skip
def test_filters_given_other_than_as_a_list(make, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        make()
    assert Cohort("everyone", None).filters == []


BIG = pd.DataFrame({"a": [1.0, 3e38, np.nan, -5.0], "n": np.array([1, 2, 3, 4], dtype=np.int64)})


@pytest.mark.parametrize(
    "value, op, rows",
    [
        (10**400, ">", []), (10**400, "<", [0, 1, 3]), (-(10**400), ">", [0, 1, 3]), (float("inf"), "<=", [0, 1, 3]),
        (float("-inf"), "<", []), (1e39, "<", [0, 1, 3]), (sys.float_info.max, "<", [0, 1, 3]),
        ([-(10**400), 0], "between", [3]), ([0, float("inf")], "between", [0, 1]), ([10**400], "in", []),
        (float("inf"), "!=", [0, 1, 2, 3]),
    ],
)  # fmt: skip
def test_numbers_beyond_float_range_are_infinity_on_both_sides(value, op, rows):
    """10**400 cannot become a float; like 1e39 (beyond float32) and inf it compares as infinity, as the browser's
    Math.fround does; cohort JSON, which has no infinity, writes it as the largest float64 and reads that back."""
    c = Cohort("c", [Filter("a", op, value)])
    assert np.flatnonzero(c.mask(BIG)).tolist() == rows
    text = json.dumps(c.to_json(), allow_nan=False)  # valid JSON, as the comm and the report need
    back = Cohort.from_json(json.loads(text))
    assert back == c and np.flatnonzero(back.mask(BIG)).tolist() == rows
    assert Cohort("c", [Filter("n", op, value)]).mask(BIG).dtype == bool


def test_infinity_is_not_a_category_or_a_boolean():
    df = pd.DataFrame({"zip": pd.Categorical(["1", "2"]), "b": [True, False]})
    with pytest.raises(ValueError, match="column 'zip' is categorical: Infinity is not a string"):
        Cohort("c", [Filter("zip", "==", 10**400)]).mask(df)
    with pytest.raises(ValueError, match="column 'b' is boolean"):
        Cohort("c", [Filter("b", "==", float("inf"))]).mask(df)


def test_mask_on_a_dataframe_with_numpy_and_pandas_dtypes():
    df = pd.DataFrame(
        {
            "age": pd.array([30, None, 50], dtype="Int64"),
            "y_pred": pd.Categorical(["yes", "no", "yes"]),
            "correct": np.array([True, False, True]),
            "confidence": np.array([0.9, 0.55, 0.7], dtype=np.float32),
            "done": pd.Series([True, None, False], dtype=object),
            "pclass": pd.Categorical([1, 2, 3]),
        }
    )
    c = Cohort("c", [Filter("age", "!=", 30), Filter("y_pred", "==", "yes")])
    assert c.mask(df).tolist() == [False, False, True]
    assert Cohort("c", [Filter("confidence", "<=", 0.7)]).mask(df).tolist() == [False, True, True]
    assert Cohort("c", [Filter("done", "==", False)]).mask(df).tolist() == [False, False, True]
    assert Cohort("c", [Filter("pclass", "in", [1, "3"])]).mask(df).tolist() == [True, False, True]
    assert Cohort("c", [Filter("correct", "==", True)]).count(df) == 2
    assert Cohort("everyone", combine="any").count(df) == 3


def test_mask_on_an_object_with_cohort_columns():
    class Stub:
        def cohort_columns(self):
            return pd.DataFrame({"index": np.arange(5), "error": [-2.0, -0.5, 0.0, 0.5, 2.0]})

    c = Cohort("small errors", [Filter("error", "between", [-1, 1])])
    assert np.flatnonzero(c.mask(Stub())).tolist() == [1, 2, 3]
    assert c.count(Stub()) == 3
    with pytest.raises(ValueError, match="unknown column 'age'; available columns: index, error"):
        Cohort("c", [Filter("age", ">", 1)]).mask(Stub())


def test_mask_rejects_other_objects():
    with pytest.raises(TypeError, match="cohort_columns"):
        Cohort("c").mask([1, 2, 3])


def test_float32_is_why_python_and_the_browser_agree():
    df = pd.DataFrame({"x": [0.1 + 0.2]})
    assert not (df["x"] <= 0.3).any()  # float64 says no
    assert Cohort("c", [Filter("x", "<=", 0.3)]).mask(df).tolist() == [True]  # the browser says yes


# --- cohort= of global_importance and every other per-cohort method: Explanation.cohort_mask -----------


@pytest.fixture(scope="module", params=["text_classification", "tabular_mixed_binary"])
def explained(request):
    from payload_cases import CASES as EXPLANATIONS

    return next(c for c in EXPLANATIONS if c.name == request.param).build()


@pytest.mark.parametrize(
    "cohort, error, message",
    [
        ([0, 99], ValueError, r"cohort: row indices must be in \[0, (8|12)\); got \[99\]"),
        ([-1], ValueError, r"row indices must be in .*got \[-1\]"),
        (np.array([3, 10**6]), ValueError, r"got \[1000000\]"),
        (np.int64(50), ValueError, r"got \[50\]"),
        (np.ones(3, dtype=bool), ValueError, r"a boolean mask needs one value per row \((8|12)\), got shape \(3,\)"),
        (np.ones((2, 4), dtype=bool), ValueError, r"a boolean mask needs one value per row"),
        ([True, False], ValueError, r"a boolean mask needs one value per row"),
        ([0.5, 1.0], TypeError, r"cohort must be an rw.Cohort, a boolean mask of \d+ values or a list of row indices"),
        (np.array([[0, 1]]), TypeError, r"cohort must be an rw.Cohort"),
        ("older", TypeError, r"cohort='older': pass an rw.Cohort \(e.g. dash.cohort\('older'\)\)"),
        ({"name": "x", "filters": [{"column": "nope", "op": ">", "value": 1}]}, ValueError, "unknown column 'nope'"),
        (Cohort("x", [Filter("nope", ">", 1)]), ValueError, "unknown column 'nope'"),
    ],
)
def test_cohort_arguments_out_of_range_or_of_the_wrong_form(explained, cohort, error, message):
    with pytest.raises(error, match=message):
        explained.global_importance(cohort=cohort)
    with pytest.raises(error, match=message):
        explained.cohort_mask(cohort)


def test_cohort_arguments_that_are_fine(explained):
    n = len(explained)
    assert explained.cohort_mask(None).all()
    assert np.flatnonzero(explained.cohort_mask([2, 0, 2])).tolist() == [0, 2]
    assert np.flatnonzero(explained.cohort_mask(np.int64(1))).tolist() == [1]
    assert not explained.cohort_mask([]).any()
    mask = np.arange(n) % 2 == 0
    out = explained.cohort_mask(mask)
    assert out.tolist() == mask.tolist() and out is not mask
    assert explained.cohort_mask({"name": "all", "filters": []}).all()
