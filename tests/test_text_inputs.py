"""TextExplainer on the inputs people get wrong, or that once gave a raw traceback or a wrong value.

Each class of input is tried with several members: the explainer either explains it right (checked
against the model itself: additivity, the exact Owen value of one token) or refuses it with a
ValueError / TypeError (or rw.ModelPredictError) that names the argument and says how to fix it.
"""

import os
import re

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from test_text import as_pipeline, assert_additive, bag_of_words, tiny_bert  # noqa: E402

import rai_widget as rw  # noqa: E402
from rai_widget.explainers.text import TextModelError, TextModelOutputError  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def bert():
    return tiny_bert()


def explain(texts, model=bag_of_words, **kwargs):
    return rw.TextExplainer(model, **kwargs).explain(texts)


# --- texts of fewer than two pieces: one word, punctuation, empty, whitespace ------------------------


@pytest.mark.parametrize(
    "texts",
    [["good movie", "bad"], ["excellent"], ["!"], ["excellent", "a b c"], ["x", "y", "z"], ["  excellent  "]],
    ids=["mixed", "one-hot-word", "punctuation", "one-then-three", "all-single", "padded"],
)
def test_one_token_texts_are_explained_exactly(texts):
    e = explain(texts, classes=["neg", "pos"])
    assert len(e) == len(texts)
    np.testing.assert_allclose(e.model_output, bag_of_words(texts), atol=0)
    assert_additive(e, atol=1e-12)
    for i, text in enumerate(texts):
        if len(e.tokens[i]) == 1:  # one player: its value is output - f(everything masked)
            np.testing.assert_allclose(e.base_values[i], bag_of_words(["..."])[0], atol=1e-12)
            np.testing.assert_allclose(e.values[i][0], e.model_output[i] - e.base_values[i], atol=1e-12)
            assert e.tokens[i] == [text.strip()]
            assert text[slice(*e.offsets[i][0])] == text.strip()
    if texts[0] == "excellent":
        assert e.values[0][0, 1] > 0.5  # "excellent" is what raises class 1


def test_one_word_texts_with_a_transformers_model_and_a_pipeline(bert):
    model, tok = bert
    texts = ["good", "the movie was great", "!"]
    for explainer in (rw.TextExplainer((model, tok)), rw.TextExplainer(as_pipeline(model, tok))):
        e = explainer.explain(texts)
        assert e.tokens[0] == ["good"] and e.tokens[2] == ["!"]
        assert_additive(e, atol=1e-6)
        enc = tok(texts, padding=True, return_tensors="pt")
        expected = torch.softmax(model(**enc).logits, -1).detach().numpy()
        np.testing.assert_allclose(e.model_output, expected, atol=1e-5)
        np.testing.assert_allclose(e.values[0][0], e.model_output[0] - e.base_values[0], atol=1e-6)


@pytest.mark.parametrize("blank", ["", " ", "\n\t ", "\u00a0"])
def test_empty_and_whitespace_texts_have_no_tokens_and_base_equal_to_output(blank, bert):
    for model in (bag_of_words, bert):
        e = rw.TextExplainer(model).explain([blank, "an excellent film"])
        assert e.tokens[0] == [] and e.values[0].shape == (0, 2) and e.offsets[0].shape == (0, 2)
        np.testing.assert_allclose(e.base_values[0], e.model_output[0], atol=0)
        assert_additive(e, atol=1e-6)
        assert e.cohort_columns()["length"].tolist() == [0, 3]


def test_a_model_that_reads_whitespace_stays_additive():
    """Masked texts keep the text's own whitespace, so base + sum(values) is the model's own score."""

    def spaces(texts):  # class 1 rises with every whitespace character, and with "!"
        z = np.array([sum(c.isspace() for c in t) + 2.0 * t.count("!") for t in texts]) / 4
        return np.column_stack([1 / (1 + np.exp(z)), 1 / (1 + np.exp(-z))])

    texts = ["a  b\n\nc", "wow !  ", "  lead", "x\x00", "\x00 y \x00"]
    e = rw.TextExplainer(spaces).explain(texts)
    np.testing.assert_allclose(e.model_output, spaces(texts), atol=0)
    assert_additive(e, atol=1e-12)
    assert e.tokens[3] == ["x", "\x00"] and e.texts[3] == "x\x00"


# --- what the model returns -------------------------------------------------------------------------


def _pipeline_style(texts):
    return [[{"label": "neg", "score": 0.4}, {"label": "pos", "score": 0.6}] for _ in texts]


@pytest.mark.parametrize(
    "model, message",
    [
        (lambda t: [{"label": "pos", "score": 0.9} for _ in t], r"dicts \(keys \['label', 'score'\]\).*top_k=None"),
        (_pipeline_style, r"returned dicts .*pipeline itself"),
        (lambda t: {"logits": np.zeros((len(t), 2))}, r"returned dicts \(keys \['logits'\]\)"),
        (lambda t: ["pos"] * len(t), r"returned strings \(e\.g\. 'pos'\).*probabilities"),
        (lambda t: np.array(["pos"] * len(t), dtype=object), r"returned strings"),
        (lambda t: [[b"x", b"y"]] * len(t), r"returned strings"),
        (lambda t: None, r"returned None for \d+ texts"),
        (lambda t: [[0.5, 0.5], [1.0]][: len(t)] + [[0.1]] * (len(t) - 2), r"rows of different lengths"),
        (lambda t: np.ones((len(t), 2)) * 1j, r"complex numbers"),
        (lambda t: np.ones((len(t), 0)), r"shape \(\d+, 0\)"),
        (lambda t: np.full((len(t), 2), np.nan), r"NaN or infinite scores for 2 of 2 texts.*'good'"),
        (lambda t: np.full((len(t), 2), np.inf), r"NaN or infinite"),
    ],
    ids=["top-label-dicts", "all-label-dicts", "dict", "strings", "object-strings", "bytes", "none", "ragged",
         "complex", "no-columns", "nan", "inf"],
)  # fmt: skip
def test_unusable_model_output_is_a_clear_error(model, message):
    with pytest.raises(TextModelOutputError, match=message) as info:
        rw.TextExplainer(model).explain(["good", "a dull film"])
    assert isinstance(info.value, ValueError) and isinstance(info.value, rw.ModelPredictError)
    assert "model" in str(info.value)


def test_model_output_that_goes_bad_on_masked_texts_names_the_text():
    def nan_when_masked(texts):
        out = bag_of_words(texts)
        out[["..." in t for t in texts]] = np.nan
        return out

    with pytest.raises(TextModelOutputError, match=re.escape("masked variants of texts[1]")):
        rw.TextExplainer(nan_when_masked).explain(["", "an excellent film"])


def test_torch_tensors_are_scores():
    def tensor(texts):
        return torch.tensor(bag_of_words(texts), requires_grad=True)

    e = rw.TextExplainer(tensor).explain(["an excellent film", "bad"])
    np.testing.assert_allclose(e.model_output, bag_of_words(["an excellent film", "bad"]))


def test_one_score_per_text_needs_two_columns_or_multilabel():
    one = lambda t: bag_of_words(t)[:, 1:]  # noqa: E731
    with pytest.raises(TextModelError, match=r"1 score per text.*column_stack.*multilabel=True"):
        rw.TextExplainer(one).explain(["good"])
    e = rw.TextExplainer(one, multilabel=True, classes=["excellent"]).explain(["excellent film", "film"])
    assert e.task == "multilabel" and e.y_pred.tolist() == [[True], [False]]


def test_multilabel_needs_probabilities_to_threshold():
    logits = lambda t: np.log(bag_of_words(t))  # noqa: E731
    with pytest.raises(TextModelError, match=r"multilabel=True.*probabilities in \[0, 1\].*sigmoid"):
        rw.TextExplainer(logits, multilabel=True).explain(["good film"])


def test_a_transformers_model_with_one_output_is_one_label():
    model, tok = tiny_bert(num_labels=1)
    e = rw.TextExplainer((model, tok)).explain(["good movie", "bad"])
    assert e.task == "multilabel" and e.y_pred.shape == (2, 1)
    np.testing.assert_array_equal(e.y_pred[:, 0], e.model_output[:, 0] >= 0.5)


# --- a model that raises ----------------------------------------------------------------------------


def test_a_callable_that_raises_is_a_model_predict_error_naming_the_texts():
    def broken(texts):
        raise KeyError("vocab")

    with pytest.raises(rw.ModelPredictError, match=r"raised KeyError while scoring 2 texts .*'good'.*'bad'") as info:
        rw.TextExplainer(broken).explain(["good", "bad"])
    assert isinstance(info.value.__cause__, KeyError)

    def fails_on_masks(texts):
        if any("..." in t for t in texts):
            raise RuntimeError("cannot read '...'")
        return bag_of_words(texts)

    with pytest.raises(rw.ModelPredictError, match=re.escape("masked variants of texts[0]")) as info:
        rw.TextExplainer(fails_on_masks).explain(["an excellent film"])
    assert isinstance(info.value.__cause__, RuntimeError)


def test_a_transformers_model_that_raises_is_a_model_predict_error(bert):
    model, tok = bert

    class Broken(torch.nn.Module):
        config = model.config

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Linear(1, 1)

        def forward(self, **kwargs):
            raise ValueError("out of memory")

    with pytest.raises(rw.ModelPredictError, match="raised ValueError while scoring") as info:
        rw.TextExplainer(Broken(), tokenizer=tok).explain(["good"])
    assert isinstance(info.value.__cause__, ValueError)


# --- arguments ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"threshold": "high"}, TypeError, r"threshold must be a number between 0 and 1.*'high'"),
        ({"threshold": None}, TypeError, r"threshold must be a number"),
        ({"threshold": True}, TypeError, r"threshold must be a number"),
        ({"threshold": [0.5]}, TypeError, r"threshold must be a number"),
        ({"threshold": 0}, ValueError, r"threshold must be between 0 and 1.*got 0;"),
        ({"threshold": 1}, ValueError, r"threshold must be between 0 and 1"),
        ({"threshold": 1.5}, ValueError, r"threshold must be between 0 and 1.*1\.5"),
        ({"threshold": -0.2}, ValueError, r"threshold"),
        ({"threshold": float("nan")}, ValueError, r"threshold"),
        ({"threshold": np.float64(np.inf)}, ValueError, r"got inf"),
        ({"max_length": -5}, ValueError, r"max_length must be an integer >= 1, got -5"),
        ({"max_length": 0}, ValueError, r"max_length must be an integer >= 1"),
        ({"max_length": 2.5}, TypeError, r"max_length must be an integer"),
        ({"max_length": "10"}, TypeError, r"max_length must be an integer.*'10'"),
        ({"max_length": True}, TypeError, r"max_length"),
        ({"max_length": 10}, ValueError, r"max_length=10 counts a transformers tokenizer's tokens.*callable"),
        ({"max_evals": 2}, ValueError, r"max_evals must be an integer >= 3, got 2"),
        ({"max_evals": 100.0}, TypeError, r"max_evals"),
        ({"max_evals": np.int64(1)}, ValueError, r"got 1\."),
        ({"batch_size": 0}, ValueError, r"batch_size must be an integer >= 2"),
        ({"batch_size": "auto"}, TypeError, r"batch_size"),
        ({"multilabel": "yes"}, TypeError, r"multilabel must be True or False, not 'yes'"),
        ({"exact": None}, TypeError, r"exact must be True or False"),
        ({"mask_token": 3}, TypeError, r"mask_token must be a non-empty string"),
        ({"mask_token": ""}, TypeError, r"mask_token"),
        ({"classes": ["a", "a"]}, ValueError, r"classes names 'a' more than once"),
        ({"classes": [1, "1"]}, ValueError, r"classes names '1' more than once"),
        ({"classes": "ab"}, TypeError, r"classes must be a list of class names"),
        ({"classes": []}, ValueError, r"classes is empty"),
        ({"classes": [None, "x"]}, TypeError, r"classes must hold strings"),
        ({"classes": ["a\x00", "b"]}, ValueError, r"classes has a name with a NUL character"),
    ],
    ids=lambda v: repr(v)[:40] if not isinstance(v, type) else "",
)
def test_bad_arguments_are_refused_at_construction(kwargs, error, message):
    with pytest.raises(error, match=message):
        rw.TextExplainer(bag_of_words, **kwargs)


def test_max_length_of_a_transformers_model_is_checked(bert):
    model, tok = bert
    with pytest.raises(ValueError, match=r"max_length=2 leaves no room for text: the tokenizer adds 2 special"):
        rw.TextExplainer((model, tok), max_length=2)
    with pytest.raises(ValueError, match=r"max_length=65 is longer than the model reads \(64 positions\)"):
        rw.TextExplainer((model, tok), max_length=65)
    with pytest.raises(ValueError, match="max_length must be an integer >= 1, got -5"):
        rw.TextExplainer((model, tok), max_length=-5)
    with pytest.warns(rw.RaiWidgetWarning, match="1 of 2 texts are longer than the model's 3 tokens"):
        e = rw.TextExplainer((model, tok), max_length=3).explain(["good movie", "bad"])
    assert e.tokens == [["good"], ["bad"]] and e.truncated.tolist() == [True, False]


def test_classes_of_the_wrong_length_for_a_pipeline(bert):
    with pytest.raises(
        ValueError, match=r"classes has 3 names but the model has 2 outputs \(\['LABEL_0', 'LABEL_1'\]\)"
    ):
        rw.TextExplainer(as_pipeline(*bert), classes=["a", "b", "c"])


def test_left_truncation_keeps_spans_in_the_given_text():
    model, tok = tiny_bert(max_length=5)
    tok.truncation_side = "left"
    text = "the movie was great but boring"
    with pytest.warns(rw.RaiWidgetWarning, match="truncated"):
        e = rw.TextExplainer((model, tok)).explain([text])
    assert e.tokens[0] == ["great", "but", "boring"]
    assert [text[a:b] for a, b in e.offsets[0]] == e.tokens[0]
    assert_additive(e)


# --- texts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "texts, error, message",
    [
        (None, TypeError, r"texts must be a list of strings, not NoneType"),
        ("one text", TypeError, r"explain\(\[text\]\)"),
        (b"bytes", TypeError, r"explain\(\[text\]\)"),
        ({"a": 1}, TypeError, r"not dict"),
        (5, TypeError, r"not int"),
        ([], ValueError, r"texts is empty"),
        (["good", None], TypeError, r"texts\[1\] is a NoneType, not a string"),
        (["good", b"bad"], TypeError, r"texts\[1\] is bytes.*decode"),
        ([3.5], TypeError, r"texts\[0\] is a float"),
    ],
)
def test_bad_texts(texts, error, message):
    with pytest.raises(error, match=message):
        rw.TextExplainer(bag_of_words).explain(texts)


def test_texts_as_numpy_strings_work():
    e = rw.TextExplainer(bag_of_words).explain(np.array(["an excellent film", "bad"]))
    assert e.texts == ["an excellent film", "bad"] and type(e.texts[0]) is str


# --- y_true -------------------------------------------------------------------------------------------

NAMES = ["neg", "pos"]


@pytest.mark.parametrize(
    "y_true, error, message",
    [
        (["pos"], ValueError, r"y_true has 1 labels for 2 texts"),
        (["pos", "neg", "pos"], ValueError, r"y_true has 3 labels for 2 texts"),
        (["pos", "maybe"], ValueError, r"y_true holds labels that are not outputs \['neg', 'pos'\]: \['maybe'\]"),
        (np.array(["pos", "maybe"]), ValueError, r"not outputs \['neg', 'pos'\]: \['maybe'\]"),
        ([["pos"], ["neg"]], ValueError, r"y_true\[0\] is \['pos'\], a list.*multilabel=True"),
        (np.array([[0, 1], [1, 0]]), ValueError, r"y_true\[0\] is \[0, 1\], a list.*multilabel=True"),
        ([0, 2], ValueError, r"y_true holds 2, which is not a class index \(0 to 1\)"),
        ([-1, 0], ValueError, r"y_true holds -1"),
        ("pos", TypeError, r"y_true must hold one label per text"),
        (5, TypeError, r"y_true must hold one label per text"),
        ([None, "pos"], ValueError, r"not outputs .*\['None'\]"),
    ],
)
def test_bad_single_label_y_true(y_true, error, message):
    with pytest.raises(error, match=message):
        rw.TextExplainer(bag_of_words, classes=NAMES).explain(["excellent", "dull"], y_true=y_true)


def test_single_label_y_true_by_name_index_or_equal_number():
    ex = rw.TextExplainer(bag_of_words, classes=NAMES)
    assert ex.explain(["excellent", "dull"], y_true=["pos", "neg"]).y_true.tolist() == ["pos", "neg"]
    assert ex.explain(["excellent", "dull"], y_true=np.array([1, 0])).y_true.tolist() == ["pos", "neg"]
    numbered = rw.TextExplainer(bag_of_words, classes=[0, 1])
    assert numbered.explain(["excellent", "dull"], y_true=[1.0, 0.0]).y_true.tolist() == [1, 0]
    assert numbered.explain(["excellent", "dull"], y_true=np.array([1, 0])).y_true.tolist() == [1, 0]
    shifted = rw.TextExplainer(bag_of_words, classes=[1, 2])  # numbers are labels, never indices
    with pytest.raises(ValueError, match=r"not outputs \[1, 2\]: \['0'\]"):
        shifted.explain(["excellent", "dull"], y_true=[0, 1])


def _multilabel_explainer(names=("funny", "sad", "long")):
    def three(texts):
        return np.column_stack([bag_of_words(texts)[:, 1], np.full(len(texts), 0.2), np.full(len(texts), 0.7)])

    return rw.TextExplainer(three, multilabel=True, classes=list(names))


@pytest.mark.parametrize(
    "y_true",
    [[[1, 0, 1], [0, 0, 0]], [(True, False, True), (False, False, False)], np.array([[1, 0, 1], [0, 0, 0]]),
     [["funny", "long"], []], [{"funny", "long"}, set()], np.array([[1.0, 0, 1], [0, 0, 0]])],
    ids=["int-lists", "bool-tuples", "int-array", "name-lists", "name-sets", "float-array"],
)  # fmt: skip
def test_multilabel_y_true_as_indicators_or_names(y_true):
    e = _multilabel_explainer().explain(["excellent", "dull"], y_true=y_true)
    assert e.y_true.dtype == bool and e.y_true.tolist() == [[True, False, True], [False, False, False]]


@pytest.mark.parametrize(
    "y_true, message",
    [
        ([[1, 0, 1]], r"y_true has 1 labels for 2 texts"),
        (np.ones((2, 2)), r"an \(2, 3\) 0/1 array.*got shape \(2, 2\)"),
        (np.array([[2, 0, 1], [0, 0, 0]]), r"must hold 0/1 or True/False, not 2"),
        (np.array([[np.nan, 0, 1], [0, 0, 0]]), r"must hold 0/1 or True/False, not nan"),
        ([["funny", "odd"], []], r"y_true has labels \['odd'\] that are not outputs"),
        (["funny", "sad"], r"an \(2, 3\) 0/1 array .*or one list of label names per text, got shape \(2,\)"),
        ([["funny"], "sad"], r"y_true\[1\] is 'sad': give each text a list of label names"),
    ],
)
def test_bad_multilabel_y_true(y_true, message):
    with pytest.raises(ValueError, match=message):
        _multilabel_explainer().explain(["excellent", "dull"], y_true=y_true)


def test_multilabel_y_true_that_could_be_either_is_refused():
    ex = _multilabel_explainer(names=(0, 1, 2))
    with pytest.raises(ValueError, match=r"ambiguous.*np\.asarray\(y_true, dtype=bool\).*sets"):
        ex.explain(["excellent", "dull"], y_true=[[1, 0, 1], [0, 1, 0]])
    assert ex.explain(["excellent", "dull"], y_true=[{1}, {0, 2}]).y_true.tolist() == [
        [False, True, False],
        [True, False, True],
    ]
    arr = np.array([[1, 0, 1], [0, 1, 0]], dtype=bool)
    assert ex.explain(["excellent", "dull"], y_true=arr).y_true.tolist() == arr.tolist()


def test_messages_show_plain_values():
    with pytest.raises(ValueError) as info:
        rw.TextExplainer(bag_of_words, classes=NAMES).explain(["a", "b"], y_true=np.array(["pos", "maybe"]))
    assert "np.str_" not in str(info.value) and "np.int64" not in str(info.value)
    with pytest.raises(ValueError) as info:
        rw.TextExplainer(bag_of_words, max_evals=np.int64(0))
    assert "np.int64" not in str(info.value)


def test_output_names_in_messages_are_plain():
    e = rw.TextExplainer(bag_of_words, classes=np.array([3, 7])).explain(["excellent"])
    with pytest.raises(ValueError, match=r"output 5 is out of range; outputs: \[3, 7\]") as info:
        e.output_index(np.int64(5))
    assert "np.int64" not in str(info.value)
    with pytest.raises(ValueError, match=r"unknown output 'x'; outputs: \[3, 7\]"):
        e.global_importance(output=np.str_("x"))
