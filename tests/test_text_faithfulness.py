"""Text explanations checked against the model: comprehensiveness and sufficiency (ERASER), SHAP's budget.

Known answers: a keyword model (high iff the text has "great") loses its output when its keyword
goes and keeps it with the keyword alone; a random ranking of words scores worse than the
explanation's; a budget that expands the whole partition tree gives the exact values.
"""

import os
from pathlib import Path

import numpy as np
import pytest

import rai_widget as rw
from rai_widget._payload._wire import wire_to_array
from rai_widget.explainers import _text_faithfulness as F
from rai_widget.explanations._text_trust import TextApproximation, TextFaithfulness

os.environ["HF_HUB_OFFLINE"] = "1"
SAVED_V1 = Path(__file__).parent / "saved_v1"
HIGH, LOW = 0.95, 0.05


def keyword(texts):
    """p(pos) is HIGH iff the text has the word "great", else LOW."""
    p = np.array([HIGH if "great" in t.lower().split() else LOW for t in texts])
    return np.column_stack([1 - p, p])


WEIGHTS = {"superb": 2.5, "great": 2.0, "good": 1.2, "fine": 0.6, "dull": -1.5, "awful": -2.5}


def graded(texts):
    """A bag of words with graded weights through a sigmoid: words matter by how much they weigh."""
    z = np.array([sum(WEIGHTS.get(w, 0.0) for w in t.lower().split()) - 0.5 for t in texts])
    p = 1 / (1 + np.exp(-z))
    return np.column_stack([1 - p, p])


KEYWORD_TEXTS = [
    "the movie was great but the acting was dull and slow",
    "a long story about a family that moves to a great city by the sea",
    "great",
    "nothing here works at all , sadly",
]
GRADED_TEXTS = [
    "a superb cast , a good story and fine music , only the ending is dull",
    "good actors in a great film with a fine score and a dull first act",
    "an awful script , dull scenes but a superb lead and good sets",
    "fine , good , great and superb : the critics agree on this one",
    "the plot is dull and the jokes are awful but the music is fine",
]


@pytest.fixture(scope="module")
def keyword_exp():
    explainer = rw.TextExplainer(keyword, classes=["neg", "pos"])
    exp = explainer.explain(KEYWORD_TEXTS)
    explainer.faithfulness(exp)
    return explainer, exp


# --- known answers -------------------------------------------------------------------------------


def test_removing_the_keyword_drops_the_output_and_keeping_it_keeps_it(keyword_exp):
    _, exp = keyword_exp
    f = exp.faithfulness
    assert isinstance(f, TextFaithfulness) and f.ks == [1, 3, 5, 0.2]
    assert list(f.class_index) == [1, 1, 1, 0]  # each text's predicted class
    np.testing.assert_allclose(f.full, [HIGH, HIGH, HIGH, 1 - LOW])
    # the keyword is each text's top word: k=1 removes it (the output falls to LOW), keeps it (stays HIGH)
    for i in range(3):
        assert f.comprehensiveness[i, 0] == pytest.approx(HIGH - LOW)
        assert f.sufficiency[i, 0] == pytest.approx(0, abs=1e-12)
        assert f.comprehensiveness_aopc[i] == pytest.approx(HIGH - LOW)
    # a text without the keyword: nothing moves its output
    np.testing.assert_allclose(f.comprehensiveness[3], 0, atol=1e-12)
    np.testing.assert_allclose(f.sufficiency[3], 0, atol=1e-12)
    # k's as words: 20% of 11 words rounds up to 3; the one-word text caps every k at 1
    assert f.k[0].tolist() == [1, 3, 5, 3] and f.k[2].tolist() == [1, 1, 1, 1]
    table = f.table(exp.output_names)
    assert table.loc[0, "class"] == "pos" and table.loc[0, "comprehensiveness@1"] == pytest.approx(0.9)
    assert "sufficiency@20%" in table and "random_comprehensiveness_aopc" in table


def test_a_random_ranking_scores_worse_than_the_explanations():
    explainer = rw.TextExplainer(graded, classes=["neg", "pos"])
    exp = explainer.explain(GRADED_TEXTS)
    f = explainer.faithfulness(exp, ks=(1, 2, 3), output="pos")
    assert (f.class_index == 1).all() and f.output == "pos"
    assert (f.comprehensiveness_aopc > f.random_comprehensiveness_aopc).all()
    assert (f.sufficiency_aopc < f.random_sufficiency_aopc).all()
    # and on average over seeds of the random ranking, not only this draw
    comp = [explainer.faithfulness(exp, ks=(1, 2, 3), random_state=s).random_comprehensiveness_aopc for s in range(5)]
    assert f.comprehensiveness_aopc.mean() > np.mean(comp) + 0.1


def test_removed_means_what_the_masker_masks():
    """The scored variants are the explainer's masker's: the mask token where the top words were."""
    seen = []

    def spy(texts):
        seen.extend(texts)
        return keyword(texts)

    explainer = rw.TextExplainer(spy, classes=["neg", "pos"], mask_token="[gone]")
    exp = explainer.explain(["a great film"])
    seen.clear()
    explainer.faithfulness(exp, ks=(1,), random_baseline=False)
    assert seen == ["a [gone] film", "[gone] great [gone]"]


def test_a_transformers_model_masks_with_its_mask_token():
    from test_text import as_pipeline, tiny_bert

    model, tok = tiny_bert()
    explainer = rw.TextExplainer(as_pipeline(model, tok))
    exp = explainer.explain(["the movie was great but the acting was terrible"])
    f = explainer.faithfulness(exp, ks=(1, 3))
    c = int(f.class_index[0])
    top = int(np.argmax(exp.values[0][:, c]))
    words = exp.tokens[0]
    removed = " ".join("[MASK]" if j == top else w for j, w in enumerate(words))
    np.testing.assert_allclose(f.removed[0, 0], explainer.scorer([removed])[0, c], atol=1e-6)
    np.testing.assert_allclose(f.full[0], exp.model_output[0, c])


# --- batching ------------------------------------------------------------------------------------


def test_every_texts_variants_share_one_scorer_call(monkeypatch):
    explainer = rw.TextExplainer(graded, classes=["neg", "pos"], batch_size=1000)
    exp = explainer.explain(GRADED_TEXTS)
    calls, model_calls = [], []
    inner = explainer.scorer.fn
    explainer.scorer.fn = lambda texts: (model_calls.append(len(texts)), inner(texts))[1]
    original = type(explainer.scorer).__call__

    def counted(self, texts):
        calls.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(type(explainer.scorer), "__call__", counted)
    explainer.faithfulness(exp)
    assert len(calls) == 1 and calls[0] == len(GRADED_TEXTS) * 4 * 4  # 4 k's x (removed, kept) x 2 rankings
    assert len(model_calls) == 1  # the model itself is called once for every distinct variant
    calls.clear()
    monkeypatch.setattr(F, "TEXTS_PER_CALL", 2)
    explainer.faithfulness(exp)
    assert len(calls) == 3  # 5 texts, 2 a call


# --- SHAP's budget -------------------------------------------------------------------------------


def test_a_budget_that_expands_the_whole_tree_is_exact_and_one_less_is_not():
    texts = GRADED_TEXTS[:2]
    needed = rw.TextExplainer(graded, classes=["neg", "pos"]).explain(texts).approximation.evaluations_needed
    exact = rw.TextExplainer(graded, classes=["neg", "pos"], max_evals=int(needed.max()) * 4).explain(texts)
    for i, n in enumerate(needed):
        enough = rw.TextExplainer(graded, classes=["neg", "pos"], max_evals=int(n) + 1).explain([texts[i]])
        short = rw.TextExplainer(graded, classes=["neg", "pos"], max_evals=int(n)).explain([texts[i]])
        assert enough.approximation.exact[0] and not short.approximation.exact[0]
        np.testing.assert_allclose(enough.values[0], exact.values[i], atol=1e-12)
        # one expansion short may miss only nodes whose words weigh alike; a quarter of the budget misses more
        quarter = rw.TextExplainer(graded, classes=["neg", "pos"], max_evals=int(n) // 4).explain([texts[i]])
        assert not quarter.approximation.exact[0] and np.abs(quarter.values[0] - exact.values[i]).max() > 1e-3


def test_approximation_error_against_an_exact_run():
    explainer = rw.TextExplainer(graded, classes=["neg", "pos"], max_evals=40, exact=False)
    exp = explainer.explain(GRADED_TEXTS + ["good"])
    a = exp.approximation
    assert isinstance(a, TextApproximation) and a.max_evals == 40
    assert a.exact.tolist() == [False] * 5 + [True]  # one word: exact by hand
    assert np.isnan(a.max_abs_diff).all() and (a.efficiency_gap < 1e-9).all()
    checked = explainer.approximation_error(exp, n=2, random_state=1)
    assert checked is exp.approximation
    assert checked.checked.sum() == 3 and checked.max_abs_diff[5] == 0  # 2 sampled, and the exact one
    reference = rw.TextExplainer(graded, classes=["neg", "pos"], max_evals=100_000).explain(GRADED_TEXTS)
    for i in np.flatnonzero(checked.checked[:5]):
        diff = np.abs(reference.values[i] - exp.values[i]).max()
        assert checked.max_abs_diff[i] == pytest.approx(diff, abs=1e-12) and diff > 1e-4


def test_an_exact_explanation_says_exact_and_needs_no_run():
    explainer = rw.TextExplainer(keyword, classes=["neg", "pos"])
    exp = explainer.explain(KEYWORD_TEXTS)
    assert exp.approximation.exact.all()
    explainer.approximation_error(exp)
    np.testing.assert_array_equal(exp.approximation.max_abs_diff, 0)


# --- saved, loaded, sent -------------------------------------------------------------------------


def test_save_and_load_keep_the_checks(keyword_exp, tmp_path):
    explainer, exp = keyword_exp
    explainer.approximation_error(exp)
    back = rw.load(exp.save(tmp_path / "text"))
    for name in ("k", "class_index", "full", "removed", "kept", "random_removed", "random_kept"):
        np.testing.assert_array_equal(getattr(back.faithfulness, name), getattr(exp.faithfulness, name))
    assert back.faithfulness.ks == [1, 3, 5, 0.2] and isinstance(back.faithfulness.ks[0], int)
    pd_back, pd_exp = back.approximation.table(), exp.approximation.table()
    assert pd_back.equals(pd_exp)
    plain = rw.TextExplainer(keyword, classes=["neg", "pos"]).explain(["great"])
    plain.approximation = None
    assert rw.load(plain.save(tmp_path / "plain")).faithfulness is None


def test_old_files_load_without_checks():
    for name in ("text_classification", "text_multilabel"):
        exp = rw.load(SAVED_V1 / f"{name}.npz")
        assert exp.faithfulness is None and exp.approximation is None
        meta, arrays = rw.ExplanationDashboard(exp).meta, rw.ExplanationDashboard(exp).arrays
        assert "faithfulness" not in meta and "approximation" not in meta
        assert not [k for k in arrays if k.startswith(("faithfulness", "approximation"))]


def test_the_payload_carries_the_figures(keyword_exp):
    _, exp = keyword_exp
    dash = rw.ExplanationDashboard(exp)
    meta, arrays = dash.meta, dash.arrays
    assert meta["faithfulness"] == {"ks": [1.0, 3.0, 5.0, 0.2], "labels": ["1", "3", "5", "20%"], "output": None}
    assert meta["approximation"] == {"max_evals": 500, "exact_steps": True}
    f = exp.faithfulness
    np.testing.assert_array_equal(wire_to_array(arrays["faithfulness_k"]), f.k)
    np.testing.assert_array_equal(wire_to_array(arrays["faithfulness_class"]), f.class_index)
    np.testing.assert_allclose(wire_to_array(arrays["faithfulness_removed"]), f.removed, atol=1e-7)
    np.testing.assert_allclose(wire_to_array(arrays["faithfulness_random_kept"]), f.random_kept, atol=1e-7)
    assert wire_to_array(arrays["approximation_exact"]).tolist() == [1, 1, 1, 1]


# --- bad arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "says"),
    [
        ({"ks": 3}, TypeError, "list of word counts"),
        ({"ks": "3"}, TypeError, "list of word counts"),
        ({"ks": []}, ValueError, "ks is empty"),
        ({"ks": [0]}, ValueError, "whole number >= 1"),
        ({"ks": [2.5]}, ValueError, "whole number >= 1"),
        ({"ks": [-0.2]}, ValueError, "share"),
        ({"ks": [True]}, TypeError, "number of words"),
        ({"ks": ["3"]}, TypeError, "number of words"),
        ({"output": "maybe"}, ValueError, "maybe"),
        ({"random_state": -1}, ValueError, "random_state"),
        ({"random_baseline": 1}, TypeError, "random_baseline"),
        ({"progress": "yes"}, TypeError, "progress"),
    ],
)
def test_bad_arguments_say_what_to_give(keyword_exp, kwargs, error, says):
    explainer, exp = keyword_exp
    with pytest.raises(error, match=says):
        explainer.faithfulness(exp, **kwargs)


def test_an_explanation_from_elsewhere_is_refused(keyword_exp):
    explainer, exp = keyword_exp
    with pytest.raises(TypeError, match="TextExplanation"):
        explainer.faithfulness("not an explanation")
    other = rw.TextExplainer(keyword, classes=["bad", "good"])
    with pytest.raises(ValueError, match="explainer that made it"):
        other.faithfulness(exp)
    words = rw.TextExplainer(keyword, classes=["neg", "pos"]).explain(["a great film"])
    words.texts = ["a great film , really"]  # other words than the explanation's
    with pytest.raises(ValueError, match="5 words for this explainer's masker than exp's 3"):
        explainer.faithfulness(words)
    words.texts = ["a good film"]
    with pytest.raises(ValueError, match="other words for this explainer's masker than exp's 3"):
        explainer.faithfulness(words)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        explainer.approximation_error(exp, n=0)


def test_a_text_without_words_has_no_figures():
    explainer = rw.TextExplainer(keyword, classes=["neg", "pos"])
    exp = explainer.explain(["", "great"])
    f = explainer.faithfulness(exp)
    assert np.isnan(f.comprehensiveness[0]).all() and np.isnan(f.sufficiency_aopc[0])
    assert f.k[0].tolist() == [0, 0, 0, 0] and f.comprehensiveness[1, 0] == pytest.approx(0.9)


def test_a_truncated_text_is_checked_on_what_the_model_reads():
    from test_text import as_pipeline, tiny_bert

    model, tok = tiny_bert()
    explainer = rw.TextExplainer(as_pipeline(model, tok), max_length=8)
    with pytest.warns(rw.RaiWidgetWarning, match="truncated"):
        exp = explainer.explain(["the movie was great but the acting was terrible and boring"])
    assert exp.truncated[0] and len(exp.tokens[0]) == 6
    f = explainer.faithfulness(exp, ks=(1, 0.5))
    assert f.k[0].tolist() == [1, 3] and np.isfinite(f.comprehensiveness).all()


def test_multilabel_and_a_named_output():
    def labels(texts):
        great = np.array([0.9 if "great" in t.split() else 0.1 for t in texts])
        dull = np.array([0.8 if "dull" in t.split() else 0.2 for t in texts])
        return np.column_stack([great, dull])

    explainer = rw.TextExplainer(labels, classes=["praise", "boredom"], multilabel=True)
    exp = explainer.explain(["a great but dull film", "dull dull dull"])
    f = explainer.faithfulness(exp, ks=(1,), output="boredom")
    assert (f.class_index == 1).all()
    assert f.comprehensiveness[0, 0] == pytest.approx(0.6) and f.sufficiency[0, 0] == pytest.approx(0)
    assert explainer.faithfulness(exp, ks=(1,)).class_index.tolist() == [0, 1]  # each text's top label


def test_progress_bar_on_request(keyword_exp, capsys):
    explainer, exp = keyword_exp
    explainer.faithfulness(exp, progress=True)
    assert "faithfulness" in capsys.readouterr().err
    explainer.faithfulness(exp)  # 4 texts: no bar by default
    assert "faithfulness" not in capsys.readouterr().err
