"""One timed run of the text demo's explain() as `rai-widget demo text` runs it; prints a JSON line.

    python bench/_text_demo_run.py VALUES.npy [--count]

Run by bench/text_demo.py in a fresh process, with PYTHONPATH pointing at the checkout to time (this
one or a git worktree of an older commit), so it uses only what every version of the demo has:
load_model, load_reviews, load_pipeline, N_TEXTS and TextExplainer(pipeline).explain(texts, y_true).
With --count (this checkout only) it also times the model's forward passes and lists the distinct
masked texts scored.
"""

import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> None:
    import numpy as np

    import rai_widget as rw
    from rai_widget.demos import text as demo

    values_path, count = sys.argv[1], "--count" in sys.argv[2:]
    model, tokenizer = demo.load_model()
    reviews = demo.load_reviews()
    texts, labels = list(reviews["text"][: demo.N_TEXTS]), list(reviews["label"][: demo.N_TEXTS])
    explainer = rw.TextExplainer(demo.load_pipeline(model, tokenizer))

    forward = {"seconds": 0.0}
    if count:
        plain = model.forward

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            out = plain(*args, **kwargs)
            forward["seconds"] += time.perf_counter() - t0
            return out

        model.forward = timed

    t0 = time.perf_counter()
    exp = explainer.explain(texts, y_true=labels)
    seconds = time.perf_counter() - t0
    np.save(values_path, np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in exp.values]))
    out = {"seconds": seconds, "package": os.path.dirname(rw.__file__), "texts": len(texts)}
    if count:
        lengths = [len(ids) for ids in tokenizer(list(explainer.scorer.cache))["input_ids"]]
        out |= {"forward_seconds": forward["seconds"], "lengths": lengths, "passes": explainer.scorer.forward_passes}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
