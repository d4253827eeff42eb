"""What the D-RISE maps' checks cost, beside what explain() itself costs, per image.

    python bench/detection_checks.py [--detector squares|trained] [--size 96] [--masks 1000] [--objects 4]
                                     [--repeat 3]

The checks (rai_widget/explainers/_detection_checks.py) call no detector:
- localisation: per detection, the pointing game and the share of saliency in its box, from the stored maps
  (a max, a median and a few sums per map); timed on explain()'s own maps.
- convergence: explain() keeps the pooled running sum of its masks at the end of each of 4 subsets (4 block
  poolings per image, and at most 3 batches' products split in two, which cost what the whole ones do), then
  correlates the halves. Timed directly (the poolings, the figures), and as D-RISE's mask loop with and
  without the bookkeeping, whose difference is below the loop's own timing noise.

Detectors:
- squares (default): bright squares on a dark image, found with scipy connected components (numpy; cheap, so
  D-RISE's own work weighs more and the checks' share is the largest it gets).
- trained: the demo's shipped CenterNet-style CNN (torch on one thread) on its synthetic scenes.

Figures taken while the machine is busy (load average above half the cores) are flagged and do not count.
"""

import argparse
import os
import platform
import sys
import time

import numpy as np
from scipy import ndimage

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))

import rai_widget as rw  # noqa: E402
from rai_widget.explainers import _detection_checks as checks  # noqa: E402


def squares_detector(images):
    out = []
    for img in images:
        gray = img.astype(np.float32).mean(axis=2)
        regions, _ = ndimage.label(gray > 128)
        boxes, scores = [], []
        for k, (ys, xs) in enumerate(ndimage.find_objects(regions), start=1):
            boxes.append([xs.start, ys.start, xs.stop, ys.stop])
            scores.append(gray[regions == k].mean() / 255)
        out.append(
            {
                "boxes": np.array(boxes, dtype=float).reshape(-1, 4),
                "scores": np.array(scores),
                "labels": np.zeros(len(scores), dtype=int),
            }
        )
    return out


def squares_image(size: int, objects: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), 20, dtype=np.uint8)
    side = max(4, size // 6)
    for k in range(objects):  # a diagonal of squares, none touching
        x0 = int(k * size / objects) + 1
        y0 = int(rng.uniform(0, size - side))
        img[y0 : y0 + side, x0 : x0 + min(side, size // objects - 2)] = 230
    return img


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", choices=["squares", "trained"], default="squares")
    parser.add_argument("--size", type=int, default=96, help="image side for the squares detector")
    parser.add_argument("--masks", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=4, help="squares per image (squares detector)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    load = os.getloadavg()
    busy = load[0] > (os.cpu_count() or 1) / 2
    if args.detector == "trained":
        import torch

        from rai_widget.demos import detection as demo

        torch.set_num_threads(1)
        detector = demo.load_detector()
        image = demo.demo_scenes(detector, n=1)[0].image
        kind = "the demo's shape detector (torch, 1 thread), one of its 96 x 96 scenes"
    else:
        detector = squares_detector
        image = squares_image(args.size, args.objects)
        kind = f"bright squares (scipy connected components), {args.size} x {args.size}"
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{v:.2f}' for v in load)}{' (BUSY: these figures do not count)' if busy else ''}"
    )
    explainer = rw.DetectionExplainer(detector, num_masks=args.masks, mask_res=(8, 8), batch_size=16)
    target = explainer.detect([image])[0]
    print(f"detector: {kind}; {len(target)} detections; {args.masks} masks; batch 16")

    explain = best(lambda: explainer.explain([image]), args.repeat)
    exp = explainer.explain([image])
    plain = best(lambda: explainer.saliency(image, target), args.repeat)
    kept = best(lambda: explainer.saliency(image, target, subsets=[]), args.repeat)
    sums: list = []
    explainer.saliency(image, target, subsets=sums)
    figures = best(lambda: checks.convergence(sums, [len(target)], args.masks, explainer.keep_prob), args.repeat * 5)
    # the bookkeeping itself: 4 poolings of the running sum (the split products cost what the whole ones do)
    tracker = checks.SubsetSums(args.masks, len(target), image.shape[:2])
    total = np.zeros((len(target), image.shape[0] * image.shape[1]))
    pooling = best(lambda: [tracker._pooled(total) for _ in range(checks.SUBSETS)], args.repeat * 5)
    local = best(lambda: checks.localisation(exp.images, exp.detections, exp.saliency), args.repeat * 5)

    def ms(seconds: float) -> str:
        return f"{seconds * 1e3:9.2f} ms"

    print(f"explain() per image, checks included:           {ms(explain)}")
    print(f"  D-RISE's mask loop alone:                     {ms(plain)}")
    print(f"  the same loop keeping the 4 subset sums:      {ms(kept)}  (difference {ms(kept - plain).strip()}: noise)")
    print(f"  of which the 4 poolings of the running sum:   {ms(pooling)}")
    print(f"  convergence figures from the kept sums:       {ms(figures)}")
    print(f"  localisation of its {len(target)} detections:            {ms(local)}")
    extra = pooling + figures + local
    print(f"checks' cost per image: {ms(extra).strip()}, {extra / explain:.2%} of explain()'s time")
    after = os.getloadavg()
    print(f"load average after: {' '.join(f'{v:.2f}' for v in after)}")
    if busy or after[0] > (os.cpu_count() or 1) / 2:
        print("warning: the machine was busy; re-run on a quiet machine for figures that count")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
