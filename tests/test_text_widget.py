"""The text view's payload: texts and tokens as JSON strings, every number as a binary array."""

import re

import numpy as np
import pytest
from wire_columns import columns, floats, labels

import rai_widget as rw
from rai_widget._payload._wire import wire_to_array


def bag_of_words(texts):
    """Only the word "excellent" moves class 1: p1 = sigmoid(3 * count - 1)."""
    counts = np.array([t.lower().split().count("excellent") for t in texts], dtype=float)
    p = 1 / (1 + np.exp(-(3 * counts - 1)))
    return np.column_stack([1 - p, p])


TEXTS = ["an excellent film with a dull plot", "the plot was dull", "excellent acting , excellent music"]


@pytest.fixture(scope="module")
def exp():
    return rw.TextExplainer(bag_of_words, classes=["neg", "pos"]).explain(TEXTS, y_true=["pos", "pos", "pos"])


def test_text_payload_layout(exp):
    dash = rw.ExplanationDashboard(exp)
    meta, arrays = dash.meta, dash.arrays
    assert dash.kind == "text" and meta["n_rows"] == 3 and meta["output_names"] == ["neg", "pos"]
    assert meta["texts"] == TEXTS and meta["units"] == exp.units and meta["task"] == "classification"
    assert meta["all_data"] == "All data" and "the" in meta["stop_words"] and "," in meta["stop_words"]
    cols = columns(arrays)
    assert list(cols) == ["index", "y_true", "y_pred", "correct", "confidence", "length", "truncated", "tokens"]
    tokens = cols["tokens"]
    assert tokens["kind"] == "tokens" and tokens["tokens"] == [w for t in exp.tokens for w in t]
    offsets = tokens["offsets"]
    assert offsets.dtype == np.int32 and offsets.tolist() == [0, 7, 11, 16]
    values = wire_to_array(arrays["values"])
    assert values.dtype == np.float32 and values.shape == (16, 2)
    np.testing.assert_allclose(values[offsets[2] : offsets[3]], exp.values[2], atol=1e-6)
    spans = wire_to_array(arrays["spans"])
    assert spans.dtype == np.int32 and spans.shape == (16, 2)
    s, e = spans[1]
    assert TEXTS[0][s:e] == "excellent"
    for key in ("base_values", "model_output", "probabilities"):
        a = wire_to_array(arrays[key])
        assert a.dtype == np.float32 and a.shape == (3, 2)
    np.testing.assert_allclose(wire_to_array(arrays["model_output"]), exp.model_output, atol=1e-6)
    assert cols["truncated"]["kind"] == "bool" and cols["truncated"]["values"].tolist() == [0, 0, 0]
    assert cols["y_pred"]["categories"] == ["neg", "pos"]
    assert cols["y_pred"]["codes"].tolist() == [1, 0, 1] and cols["y_true"]["codes"].tolist() == [1, 1, 1]
    assert cols["correct"]["values"].tolist() == [1, 0, 1] and floats(cols["length"]).tolist() == [7, 4, 5]
    np.testing.assert_allclose(floats(cols["confidence"]), exp.probabilities.max(axis=1), atol=1e-6)
    # no number travels as a JSON list
    assert "tokens" not in meta and "values" not in meta


def test_text_cohorts_on_length_and_correct(exp):
    cohorts = [
        rw.Cohort("long", [rw.Filter("length", ">", 5)]),
        rw.Cohort("wrong", [rw.Filter("correct", "==", False)]),
    ]
    dash = rw.ExplanationDashboard(exp, cohorts=cohorts)
    assert [c.name for c in dash.cohorts] == ["All data", "long", "wrong"]
    assert dash.cohort_rows("long").tolist() == [True, False, False]
    assert dash.cohort_rows("wrong").tolist() == [False, True, False]
    dash.selected_rows = [2]
    assert repr(dash) == "ExplanationDashboard(text, 3 rows)"


def test_text_cohorts_on_contained_tokens(exp):
    """ "contains" matches whole tokens ignoring case, and combines with the other columns."""
    dull = rw.Cohort("dull", [rw.Filter("tokens", "contains", "DULL")])
    no_excellent = rw.Cohort("no excellent", [rw.Filter("tokens", "not contains", "excellent")])
    dull_and_wrong = rw.Cohort(
        "dull and wrong", [rw.Filter("tokens", "contains", "dull"), rw.Filter("correct", "==", False)]
    )
    dash = rw.ExplanationDashboard(exp, cohorts=[dull, no_excellent, dull_and_wrong])
    assert dash.cohort_rows("dull").tolist() == [True, True, False]
    assert dash.cohort_rows("no excellent").tolist() == [False, True, False]
    assert dash.cohort_rows("dull and wrong").tolist() == [False, True, False]
    assert rw.Cohort("part of a word", [rw.Filter("tokens", "contains", "excel")]).count(exp) == 0
    # the global token table over a contains-cohort only has those texts' tokens
    table = exp.global_importance(cohort=dull, output="pos")
    assert set(table["token"]) == {w.lower() for i in (0, 1) for w in exp.tokens[i]}


@pytest.mark.parametrize(
    "flt, message",
    [
        (
            rw.Filter("y_pred", "contains", "pos"),
            "'contains' works on the tokens column of a text explanation; column 'y_pred' is categorical",
        ),
        (rw.Filter("tokens", "==", "dull"), "column 'tokens' holds each text's tokens: use contains or not contains"),
    ],
)
def test_misused_contains_fails_when_the_dashboard_is_made(exp, flt, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        rw.ExplanationDashboard(exp, cohorts=[rw.Cohort("c", [flt])])
    with pytest.raises(ValueError, match="a word without spaces"):
        rw.Filter("tokens", "contains", "dull plot")


def test_tabular_explanations_have_no_tokens_column():
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 3})
    model = LogisticRegression().fit(X, X["a"] > 29)
    tab = rw.MimicExplainer(model, X).explain(X)
    with pytest.raises(ValueError, match="unknown column 'tokens'"):
        rw.Cohort("c", [rw.Filter("tokens", "contains", "x")]).mask(tab)


def test_multilabel_labels_are_joined(exp):
    def two_labels(texts):
        has = np.array([[("excellent" in t), ("dull" in t)] for t in texts], dtype=float)
        return 0.1 + 0.8 * has

    e = rw.TextExplainer(two_labels, classes=["good", "dull"], multilabel=True).explain(TEXTS)
    cols = columns(rw.ExplanationDashboard(e).arrays)
    assert labels(cols["y_pred"]) == ["good, dull", "dull", "good"]
    assert "confidence" not in cols
