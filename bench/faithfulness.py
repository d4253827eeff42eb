"""Image trust checks' cost: faithfulness (deletion + insertion curves) and the sanity check per image, beside the
explanation's own cost per image, for each method, in one run.

    python bench/faithfulness.py [--images chelsea coffee rocket] [--steps 20] [--n-steps 50] [--threads 1]
                                 [--methods integrated_gradients gradcam guided_backprop ...] [--repeat 1]

Model: the demo's ImageNet EfficientNet-Lite0 (rai_widget.demos.image: packaged weights, 224 x 224 photos from
scikit-image). Per method, seconds per image of
  explain       ImageExplainer(...).explain(images): the maps themselves
  faithfulness  explainer.faithfulness(exp, steps): 2 x (steps + 1) scored images per map, batched
  sanity        explainer.sanity_check(exp): the same method on a randomised deep copy of the model (its maps
                only; with images instead of an explanation it would also re-run explain())
and each check's cost as a multiple of explain()'s. Also the forward pass alone per image (the floor of
faithfulness: steps x 2 + 2 of them). The machine's load average (os.getloadavg) is printed before and after:
figures taken under load (above the number of threads asked plus 0.5) are flagged and do not count.
"""

import argparse
import os
import sys
import time

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))

import torch  # noqa: E402

import rai_widget as rw  # noqa: E402
from rai_widget.demos.image import class_names, load_model, load_photos, preprocess  # noqa: E402

PARAMS = {"integrated_gradients": ("n_steps",), "xrai": ("n_steps",)}


def best_of(repeat: int, fn, *args, **kwargs):
    """The fastest of `repeat` runs of fn(*args, **kwargs) (seconds) and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", nargs="+", default=["chelsea", "coffee", "rocket"])
    parser.add_argument("--methods", nargs="+", default=["integrated_gradients", "gradcam", "guided_backprop"])
    parser.add_argument("--steps", type=int, default=20, help="faithfulness steps (default 20: 42 passes a map)")
    parser.add_argument("--n-steps", type=int, default=50, help="integrated gradients' steps")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()
    model, names, images = load_model(), class_names(), load_photos(args.images)
    n = len(images)
    x = torch.stack([preprocess(im) for im in images])
    with torch.inference_mode():
        model(x[:1])
        forward, _ = best_of(3, model, x)
    print(
        f"EfficientNet-Lite0 on {n} photos ({', '.join(args.images)}), {args.threads} thread(s), torch "
        f"{torch.__version__}; forward pass alone {1000 * forward / n:.1f} ms per image"
    )
    print(f"faithfulness: {args.steps} steps, 2 x {args.steps + 1} = {2 * (args.steps + 1)} scored images per map\n")
    header = f"{'method':<22}{'explain s/img':>14}{'faithfulness':>14}{'x explain':>10}{'sanity':>10}{'x explain':>10}"
    print(header)
    print("-" * len(header))
    for method in args.methods:
        params = {"n_steps": args.n_steps} if "n_steps" in PARAMS.get(method, ()) else {}
        explainer = rw.ImageExplainer(model, method, classes=names, preprocess=preprocess, **params)
        explain, exp = best_of(args.repeat, explainer.explain, images, progress=False)
        faith, _ = best_of(args.repeat, explainer.faithfulness, exp, steps=args.steps, progress=False)
        sanity, check = best_of(args.repeat, explainer.sanity_check, exp, progress=False)
        print(
            f"{method:<22}{explain / n:>14.2f}{faith / n:>14.2f}{faith / explain:>10.1f}{sanity / n:>10.2f}"
            f"{sanity / explain:>10.1f}"
        )
        f = exp.faithfulness
        print(
            f"{'':<22}deletion AUC {np.mean(f.deletion_auc):.3f}, insertion AUC {np.mean(f.insertion_auc):.3f}; "
            f"sanity: rank correlation {np.round(check.rank_correlation, 2).tolist()}, "
            f"{int(check.passed.sum())} of {len(check.passed)} maps change"
        )
    load_after = os.getloadavg()
    limit = args.threads + 0.5
    loaded = max(load_before[0], load_after[0]) > limit
    print(
        f"\nload average (1, 5, 15 min): before {tuple(round(v, 2) for v in load_before)}, after "
        f"{tuple(round(v, 2) for v in load_after)}"
        + (f"  UNDER LOAD (> {limit}): these figures do not count" if loaded else "")
    )


if __name__ == "__main__":
    main()
