"""What makes TextExplainer fast must not change its values: the interleaved Owen recursion equals shap's
own explain_row, texts scored together get the values they get alone, and the first-token shortcut
skips work only on models that read nothing but their first token.
"""

import os
import re

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
shap = pytest.importorskip("shap")

from test_text import TEXTS, WORDS, as_pipeline, tiny_bert  # noqa: E402

import rai_widget as rw  # noqa: E402
from rai_widget.explainers import _first_token, _owen, _text_scorer  # noqa: E402
from rai_widget.explainers import text as text_module  # noqa: E402

torch.set_num_threads(1)

LONG = " ".join(WORDS[:20] + WORDS[:12])  # 32 pieces: max_evals below the full tree's size matters


@pytest.fixture(scope="module")
def pipe():
    return as_pipeline(*tiny_bert())


def owen_by_generator(scorer, tokenizer, text, max_evals, batch_size, seed):
    """Our recursion on one text, driven by hand as explain() drives it."""
    masker = shap.maskers.Text(tokenizer)
    pieces = masker.shape(text)[1]
    f00, f11 = scorer([masker(np.full(pieces, keep), text)[0][0] for keep in (False, True)])
    steps = _owen.owen_values(masker.clustering(text), f00, f11, max_evals - 2, batch_size, np.random.RandomState(seed))
    masks = next(steps)
    try:
        while True:
            masks = steps.send(scorer([masker(m, text)[0][0] for m in masks]))
    except StopIteration as done:
        return done.value, f00


@pytest.mark.parametrize(
    ("text", "max_evals", "batch_size", "seed"),
    [(TEXTS[0], 500, 5, 0), (TEXTS[1], 500, 32, 3), (LONG, 40, 5, 0), (LONG, 120, 7, 11), ("playing good", 500, 5, 0)],
    ids=["shap-defaults", "wide-steps", "budget-runs-out", "odd-batch", "subwords"],
)
def test_owen_generator_equals_shaps_explain_row(pipe, text, max_evals, batch_size, seed):
    scorer = rw.TextExplainer(pipe).scorer
    np.random.seed(seed)
    row = shap.explainers.Partition(scorer, shap.maskers.Text(pipe.tokenizer)).explain_row(
        text, max_evals=max_evals, main_effects=False, error_bounds=False, batch_size=batch_size, outputs=None,
        silent=True,
    )  # fmt: skip
    values, base = owen_by_generator(scorer, pipe.tokenizer, text, max_evals, batch_size, seed)
    np.testing.assert_allclose(values, row["values"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(base, row["expected_values"], rtol=0, atol=1e-12)
    assert np.abs(values).max() > 1e-4, "a model that does not react proves nothing"


def test_texts_explained_together_get_the_values_they_get_alone(pipe):
    texts = [TEXTS[0], "", "good", LONG, TEXTS[1], "playing good"]
    together = rw.TextExplainer(pipe).explain(texts)
    for i, text in enumerate(texts):
        alone = rw.TextExplainer(pipe).explain([text])
        assert alone.tokens[0] == together.tokens[i]
        np.testing.assert_allclose(alone.values[0], together.values[i], rtol=0, atol=1e-6)
        np.testing.assert_allclose(alone.base_values[0], together.base_values[i], rtol=0, atol=1e-6)


def test_texts_share_forward_passes(pipe, monkeypatch):
    monkeypatch.setattr(_text_scorer, "PASS_COST_TOKENS", 10**6)  # one pass per step: count steps, not padding
    texts = [TEXTS[0], TEXTS[1], LONG, "the acting was very good and the plot was fun"]
    together = rw.TextExplainer(pipe, batch_size=64)
    together.explain(texts)
    alone = []
    for text in texts:
        single = rw.TextExplainer(pipe, batch_size=64)
        single.explain([text])
        alone.append(single.scorer.forward_passes)
    # every step of all four texts fits one forward pass: as many passes as the longest text needs alone
    assert together.scorer.forward_passes <= max(alone) + 1 < sum(alone)


def test_the_window_of_texts_in_flight_and_the_cache_limit_do_not_change_values(pipe, monkeypatch):
    texts = [TEXTS[0], TEXTS[1], "", LONG, "playing good"]
    wide = rw.TextExplainer(pipe).explain(texts)
    monkeypatch.setattr(text_module, "JOBS_IN_FLIGHT", 1)
    monkeypatch.setattr(_text_scorer, "CACHE_LIMIT", 0)
    narrow = rw.TextExplainer(pipe).explain(texts)
    for a, b in zip(wide.values, narrow.values, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_batches_pad_little_and_keep_every_text_once():
    lengths = [5, 54, 6, 50, 5, 52, 7, 49] * 8
    batches = _text_scorer.batches(lengths, 16)
    assert sorted(j for b in batches for j in b) == list(range(len(lengths)))
    assert all(len(b) <= 16 for b in batches)
    padded = sum(len(b) * max(lengths[j] for j in b) for b in batches)
    assert padded <= 1.1 * sum(lengths), "short and long texts should not share a pass"
    # equal lengths: full batches, as few passes as the batch size allows
    assert len(_text_scorer.batches([20] * 40, 16)) == 3


def test_a_tie_break_stream_per_text_leaves_numpys_global_stream_alone(pipe):
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    rw.TextExplainer(pipe).explain(TEXTS)
    np.testing.assert_array_equal(np.random.rand(3), expected)


# --- the first-token shortcut --------------------------------------------------------------------------


def test_shortcut_runs_the_last_feed_forward_on_the_first_token_only(pipe):
    model, tok = pipe.model, pipe.tokenizer
    explainer = rw.TextExplainer((model, tok))
    explainer.scorer(["the check runs on the first call"])
    seen = []
    hook = model.bert.encoder.layer[-1].intermediate.register_forward_hook(lambda m, i, o: seen.append(i[0].shape))
    try:
        e = explainer.explain(TEXTS)
    finally:
        hook.remove()
    assert explainer.scorer.first_token_only is True
    assert {s[1] for s in seen} == {1}, "the last layer's feed-forward saw more than the first token"
    enc = tok(TEXTS, padding=True, return_tensors="pt")
    with torch.inference_mode():
        plain = torch.softmax(model(**enc).logits, dim=-1).numpy()
    np.testing.assert_allclose(e.model_output, plain, rtol=0, atol=1e-6)
    attention = model.bert.encoder.layer[-1].attention
    assert not attention._forward_hooks, "the user's model must be left as it was"


class MeanPooled(torch.nn.Module):
    """A classifier over the mean of every token's last hidden state: the shortcut must not apply."""

    def __init__(self, bert_model):
        super().__init__()
        self.bert, self.config = bert_model.bert, bert_model.config
        self.head = torch.nn.Linear(bert_model.config.hidden_size, bert_model.config.num_labels)

    def forward(self, input_ids, attention_mask=None, token_type_ids=None):
        hidden = self.bert(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
        weights = attention_mask.unsqueeze(-1).float()
        return transformers.modeling_outputs.SequenceClassifierOutput(
            logits=self.head((hidden * weights).sum(1) / weights.sum(1))
        )


def test_shortcut_refused_for_a_model_that_reads_every_token(pipe):
    model, tok = pipe.model, pipe.tokenizer
    torch.manual_seed(1)
    pooled = MeanPooled(model).eval()
    explainer = rw.TextExplainer((pooled, tok))
    e = explainer.explain(TEXTS[:2])
    assert explainer.scorer.first_token_only is False
    enc = tok(TEXTS[:2], padding=True, return_tensors="pt")
    with torch.inference_mode():
        plain = torch.softmax(pooled(**enc).logits, dim=-1).numpy()
    np.testing.assert_allclose(e.model_output, plain, rtol=0, atol=1e-6)
    # and the check is what refused it: with the shortcut forced, the scores would be wrong
    with torch.inference_mode(), _first_token.first_token_only(_first_token.last_attention(pooled)):
        forced = torch.softmax(pooled(**enc).logits, dim=-1).numpy()
    assert np.abs(forced - plain).max() > 1e-3


def test_no_transformer_layers_no_shortcut():
    assert _first_token.last_attention(torch.nn.Sequential(torch.nn.Linear(2, 2))) is None


# --- progress ------------------------------------------------------------------------------------------


def test_progress_bar_on_request_and_for_long_calls(pipe, capsys, monkeypatch):
    rw.TextExplainer(pipe, max_evals=50).explain(TEXTS, progress=True)
    assert re.search(r"SHAP text.*3/3", capsys.readouterr().err)
    rw.TextExplainer(pipe, max_evals=50).explain(TEXTS)  # 150 evaluations: quiet by default
    assert "SHAP text" not in capsys.readouterr().err
    monkeypatch.setattr(text_module, "PROGRESS_MIN_EVALS", 100)
    rw.TextExplainer(pipe, max_evals=50).explain(TEXTS)
    assert "SHAP text" in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        rw.TextExplainer(pipe).explain(TEXTS, progress="yes")


def test_numba_free_tree_helpers_equal_shaps(pipe):
    from shap.explainers._partition import lower_credit
    from shap.utils import make_masks

    clustering = shap.maskers.Text(pipe.tokenizer).clustering(LONG)
    np.testing.assert_array_equal(_owen.node_masks(clustering), make_masks(clustering).toarray().astype(bool))
    credit = np.random.default_rng(0).normal(size=(2 * len(clustering) + 1, 2))
    theirs = credit.copy()
    lower_credit(len(credit) - 1, 0, len(clustering) + 1, theirs, clustering)
    np.testing.assert_array_equal(_owen.push_credit_down(credit, clustering), theirs)
