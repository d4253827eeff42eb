"""TextExplainer: known answers, additivity, agreement with shap, token display, clear errors.

Models are built here: a tiny randomly initialised BERT with a local vocabulary (no downloads) and
a bag-of-words callable whose answer is known.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
shap = pytest.importorskip("shap")

import rai_widget as rw  # noqa: E402
from rai_widget.explainers._text_tokens import merge_pieces, word_groups  # noqa: E402
from rai_widget.explainers.text import TextModelError  # noqa: E402

torch.set_num_threads(1)

WORDS = (
    "the a movie film was is great excellent terrible bad good plot acting and but not very boring "
    "fun to watch play ##ing ##ed ##s"
).split()
TEXTS = ["the movie was great but the acting was terrible", "a very boring film , not fun to watch !", "playing good"]


def tiny_bert(num_labels=2, problem_type=None, max_length=64):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "!", ",", "."] + WORDS
    tok = transformers.BertTokenizer(vocab={w: i for i, w in enumerate(vocab)}, model_max_length=max_length)
    torch.manual_seed(0)
    cfg = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        num_labels=num_labels,
        problem_type=problem_type,
        initializer_range=0.5,
    )
    return transformers.BertForSequenceClassification(cfg).eval(), tok


def as_pipeline(model, tok, **kwargs):
    return transformers.pipeline("text-classification", model=model, tokenizer=tok, top_k=None, **kwargs)


def bag_of_words(texts):
    """Only the word "excellent" moves class 1: p1 = sigmoid(3 * count - 1)."""
    counts = np.array([t.lower().split().count("excellent") for t in texts], dtype=float)
    p = 1 / (1 + np.exp(-(3 * counts - 1)))
    return np.column_stack([1 - p, p])


@pytest.fixture(scope="module")
def bert():
    return tiny_bert()


@pytest.fixture(scope="module")
def pipe(bert):
    return as_pipeline(*bert)


@pytest.fixture(scope="module")
def exp(pipe):
    return rw.TextExplainer(pipe).explain(TEXTS, y_true=["LABEL_0", "LABEL_1", "LABEL_1"])


@pytest.fixture(scope="module")
def reference(pipe):
    """shap's own explainer on the pipeline, with its defaults."""
    np.random.seed(0)
    return shap.Explainer(pipe)(TEXTS)


def assert_additive(e, atol=1e-4):
    for i in range(len(e)):
        np.testing.assert_allclose(e.base_values[i] + e.values[i].sum(axis=0), e.model_output[i], rtol=0, atol=atol)


# --- known answers -------------------------------------------------------------------------------


def test_bag_of_words_attributes_only_to_excellent():
    texts = ["an excellent film with a dull plot", "the plot was dull", "excellent acting , excellent music"]
    e = rw.TextExplainer(bag_of_words, classes=["neg", "pos"]).explain(texts, y_true=["pos", "neg", "pos"])
    assert e.tokens[0] == ["an", "excellent", "film", "with", "a", "dull", "plot"]
    assert e.units == "probability" and e.task == "classification"
    np.testing.assert_allclose(e.model_output, bag_of_words(texts))
    assert_additive(e, atol=1e-9)
    for toks, vals, out, base in zip(e.tokens, e.values, e.model_output, e.base_values, strict=True):
        hot = np.array([t == "excellent" for t in toks])
        np.testing.assert_allclose(vals[~hot], 0, atol=1e-12)
        np.testing.assert_allclose(vals[hot].sum(axis=0), out - base, atol=1e-12)
    # two occurrences share the effect equally (symmetry)
    np.testing.assert_allclose(e.values[2][0], e.values[2][3], atol=1e-12)
    assert e.values[0][1, 1] > 0.5
    assert list(e.y_pred) == ["pos", "neg", "pos"]


def test_global_importance_token_table_with_stop_words():
    texts = ["the excellent film", "the plot", "an excellent plot"]
    e = rw.TextExplainer(bag_of_words, classes=["neg", "pos"]).explain(texts)
    table = e.global_importance(output="pos")
    assert list(table.columns) == ["token", "mean", "mean_abs", "count"]
    assert table.iloc[0]["token"] == "excellent" and table.iloc[0]["count"] == 2
    expected = np.mean([e.values[0][1, 1], e.values[2][1, 1]])
    assert table.iloc[0]["mean"] == pytest.approx(expected) and table.iloc[0]["mean_abs"] == pytest.approx(expected)
    assert table.set_index("token").loc["the", "count"] == 2
    filtered = e.global_importance(output="pos", stop_words="english")
    assert "the" not in set(filtered["token"]) and "an" not in set(filtered["token"])
    assert set(e.global_importance(output="pos", stop_words={"plot"})["token"]) == {"excellent", "the", "film", "an"}
    # a cohort: only the second text, which has no "excellent"
    sub = e.global_importance(cohort=[1], output="pos")
    assert set(sub["token"]) == {"the", "plot"} and (sub["mean_abs"] == 0).all()
    with pytest.raises(ValueError, match="stop_words"):
        e.global_importance(stop_words="french")


# --- transformers models -------------------------------------------------------------------------


def test_pipeline_additivity_and_probability_space(exp, pipe):
    assert exp.units == "probability" and exp.task == "classification"
    assert exp.output_names == ["LABEL_0", "LABEL_1"]
    scores = np.array([[d["score"] for d in sorted(r, key=lambda d: d["label"])] for r in pipe(TEXTS)])
    np.testing.assert_allclose(exp.model_output, scores, atol=1e-6)
    np.testing.assert_allclose(exp.probabilities, exp.model_output)
    assert_additive(exp)
    assert np.abs(np.concatenate(exp.values)).max() > 1e-3, "the tiny model should react to its input"
    assert list(exp.y_pred) == [exp.output_names[i] for i in exp.model_output.argmax(axis=1)]


def test_agrees_with_shap_explainer_on_the_pipeline(exp, reference, pipe):
    for i, text in enumerate(TEXTS):
        group, _ = word_groups(pipe.tokenizer, text)
        ref = np.asarray(reference.values[i])
        merged = np.zeros_like(exp.values[i])
        np.add.at(merged, group[group >= 0], ref[group >= 0])
        np.testing.assert_allclose(merged, exp.values[i], rtol=0, atol=1e-6)
        base = np.asarray(reference.base_values[i]) + ref[group < 0].sum(axis=0)
        np.testing.assert_allclose(exp.base_values[i], base, rtol=0, atol=1e-6)


def test_subwords_merged_and_special_tokens_dropped(exp, reference):
    # "playing" is play + ##ing for the tokenizer; people read one word, valued at the pieces' sum
    assert list(reference.data[2]) == ["", "play", "ing ", "good", ""]
    assert exp.tokens[2] == ["playing", "good"]
    assert exp.offsets[2].tolist() == [[0, 7], [8, 12]]
    ref = np.asarray(reference.values[2])
    np.testing.assert_allclose(exp.values[2][0], ref[1] + ref[2], atol=1e-4)
    assert not any(t in ("[CLS]", "[SEP]", "") for toks in exp.tokens for t in toks)
    # the special tokens' values live in the base value, so additivity holds on the shown tokens
    np.testing.assert_allclose(exp.base_values[2], np.asarray(reference.base_values[2]) + ref[0] + ref[-1], atol=1e-4)
    # unknown words stay words; punctuation is its own token
    assert exp.tokens[1] == ["a", "very", "boring", "film", ",", "not", "fun", "to", "watch", "!"]


def test_model_and_tokenizer_pair_gives_the_pipeline_result(bert, exp):
    model, tok = bert
    pair = rw.TextExplainer((model, tok)).explain(TEXTS)
    keyword = rw.TextExplainer(model, tokenizer=tok).explain(TEXTS[:1])
    for i in range(len(TEXTS)):
        np.testing.assert_allclose(pair.values[i], exp.values[i], atol=1e-6)
    np.testing.assert_allclose(keyword.values[0], exp.values[0], atol=1e-6)


def test_merge_pieces_for_bpe_and_sentencepiece():
    assert merge_pieces(["", "play", "##ing", "well", ""])[1] == ["playing", "well"]
    group, words = merge_pieces(["<s>"[:0], "Ġthe", "Ġmov", "ie", "Ġ!"])
    assert words == ["the", "movie", "!"] and group.tolist() == [-1, 0, 1, 1, 2]
    assert merge_pieces(["▁un", "believ", "able", "▁film"])[1] == ["unbelievable", "film"]


def test_multilabel_sigmoid_scores_and_threshold():
    model, tok = tiny_bert(num_labels=3, problem_type="multi_label_classification")
    model.config.id2label = {0: "funny", 1: "sad", 2: "long"}
    model.config.label2id = {v: k for k, v in model.config.id2label.items()}
    p = as_pipeline(model, tok)
    e = rw.TextExplainer(p, threshold=0.5).explain(TEXTS, y_true=[["funny"], [], ["sad", "long"]])
    assert e.task == "multilabel" and e.units == "probability"
    logits = model(**tok(TEXTS, padding=True, return_tensors="pt")).logits.detach().numpy()
    np.testing.assert_allclose(e.model_output, 1 / (1 + np.exp(-logits)), atol=1e-5)
    assert e.y_pred.dtype == bool and (e.y_pred == (e.model_output >= 0.5)).all()
    assert e.y_true.tolist() == [[True, False, False], [False, False, False], [False, True, True]]
    assert_additive(e)
    cols = e.cohort_columns()
    assert cols["y_true"].tolist() == ["funny", "", "sad, long"]
    assert cols["correct"].tolist() == (e.y_true == e.y_pred).all(axis=1).tolist()
    # a softmax model explained as multi-label on request
    forced = rw.TextExplainer(tiny_bert(num_labels=3), multilabel=True).__dict__["activation"]
    assert forced == "sigmoid"


def test_long_texts_truncated_like_the_model():
    model, tok = tiny_bert(max_length=8)  # 6 words + [CLS] + [SEP]
    long = "the movie was great but the acting was terrible"
    with pytest.warns(UserWarning, match="truncated"):
        e = rw.TextExplainer((model, tok)).explain([long, "good film"])
    assert e.truncated.tolist() == [True, False]
    assert e.tokens[0] == ["the", "movie", "was", "great", "but", "the"]
    assert e.texts[0] == long  # the text as given; its tokens cover the part the model reads
    enc = tok([long], truncation=True, max_length=8, return_tensors="pt")
    expected = torch.softmax(model(**enc).logits, -1).detach().numpy()[0]
    np.testing.assert_allclose(e.model_output[0], expected, atol=1e-5)
    assert_additive(e)
    assert e.cohort_columns()["truncated"].tolist() == [True, False]


def test_cohort_length_column(exp):
    cols = exp.cohort_columns()
    assert cols["length"].tolist() == [9, 10, 2]
    assert {"index", "y_true", "y_pred", "correct", "confidence", "length"} <= set(cols.columns)
    long = rw.Cohort("long reviews", [rw.Filter("length", ">", 5)])
    assert long.mask(exp).tolist() == [True, True, False]
    table = exp.global_importance(cohort=long)
    assert table["count"].sum() == 19


def test_save_load_round_trip(exp, tmp_path):
    path = exp.save(tmp_path / "text")
    back = rw.load(path)
    assert isinstance(back, rw.TextExplanation)
    assert back.texts == exp.texts and back.tokens == exp.tokens
    for a, b, oa, ob in zip(back.values, exp.values, back.offsets, exp.offsets, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(oa, ob)
    for name in ("base_values", "model_output", "probabilities", "y_pred", "y_true", "truncated"):
        np.testing.assert_array_equal(getattr(back, name), getattr(exp, name))
    assert (back.output_names, back.task, back.units) == (exp.output_names, exp.task, exp.units)
    with np.load(path, allow_pickle=False) as npz:  # loads without pickle
        assert npz["values"].shape == (21, 2)


def test_to_shap(exp):
    s = exp.to_shap()
    assert len(s.values) == 3 and s.values[2].shape == (2, 2) and list(s.data[2]) == ["playing", "good"]
    one = exp.to_shap(output="LABEL_1")
    np.testing.assert_allclose(one.values[0], exp.values[0][:, 1])
    np.testing.assert_allclose(one.base_values, exp.base_values[:, 1])


# --- bad input -----------------------------------------------------------------------------------


def test_bad_texts_have_clear_messages():
    ex = rw.TextExplainer(bag_of_words)
    with pytest.raises(ValueError, match="texts is empty"):
        ex.explain([])
    with pytest.raises(TypeError, match=r"texts\[1\] is a int, not a string.*str\(t\)"):
        ex.explain(["good", 3])
    blank = ex.explain(["  ", "good"])  # nothing to attribute: no token, and the base is the output
    assert blank.tokens[0] == [] and (blank.base_values[0] == blank.model_output[0]).all()
    with pytest.raises(TypeError, match=r"explain\(\[text\]\)"):
        ex.explain("one text")


def test_pipeline_with_only_the_top_label_is_refused(bert):
    top_only = transformers.pipeline("text-classification", model=bert[0], tokenizer=bert[1])
    with pytest.raises(TextModelError, match="top_k=None"):
        rw.TextExplainer(top_only)


def test_callable_with_wrong_shape_is_refused():
    with pytest.raises(TextModelError, match=r"shape \(2,\).*column_stack"):
        rw.TextExplainer(lambda texts: np.ones(len(texts)) / 2).explain(["a", "b"])
    with pytest.raises(TextModelError, match=r"shape \(1, 2\) for 2 texts"):
        rw.TextExplainer(lambda texts: np.ones((1, 2))).explain(["a", "b"])
    with pytest.raises(ValueError, match="classes has 3 names"):
        rw.TextExplainer(bag_of_words, classes=["a", "b", "c"]).explain(["excellent"])
    with pytest.raises(TypeError, match="tokenizer"):
        rw.TextExplainer(tiny_bert()[0])


def test_import_does_not_load_torch():
    code = "import sys, rai_widget; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_no_warnings_on_plain_use(pipe):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rw.TextExplainer(pipe, max_evals=50).explain(["good film"])
