"""Detection demo: a small shape detector, trained here on synthetic scenes, explained with D-RISE, offline.

Scenes (numpy, generated from a seed, see ``_scenes``): filled circles, squares and triangles, with
clutter that is not an object (hollow shapes, lines, dots). The detector (``_shape_detector``) is a
CenterNet-style CNN, ~80k parameters, trained on CPU in two to three minutes. Its weights ship in
``rai_widget/demos/data/detector.npz`` (plain arrays, no pickle), so nothing is downloaded or retrained;
``python -m rai_widget.demos.detection --retrain`` regenerates them deterministically.

Needs torch (``pip install "rai-widget[demo-full]"``); the scene generator and the scoring are numpy only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from rai_widget.demos import default_demo_folder, save_explanation
from rai_widget.demos._scenes import (  # noqa: F401  (the demo's public names: notebooks and tests use them)
    CLASSES,
    EVAL_SEED,
    SCENE_SIZE,
    Scene,
    _iou,
    _shape_mask,
    evaluate,
    make_scene,
    make_scenes,
    match,
)
from rai_widget.demos._shape_detector import (  # noqa: F401
    STRIDE,
    WEIGHTS,
    ShapeDetector,
    _torch,
    detector_info,
    load_detector,
    train_detector,
)

TITLE = "rai-widget demo: what a shape detector looks at (D-RISE)"
REPORT = "detection_report.html"
EXTRA = "demo-full"

DEMO_SEED = 2_000_003


# --- reading the maps ----------------------------------------------------------------------------------------


def saliency_summary(saliency: np.ndarray, box, others=()) -> dict:
    """Where one D-RISE map puts its weight, relative to its detection's box.

    The *hot region* is the map's most salient pixels, as many as the box holds (so a map that points exactly at
    its box has all of them inside, whatever the box's size). Returns `focus`, the share of the hot region inside
    the box; `in_others`, its share inside each box of `others` (the image's other detections); `peak` (x, y) and
    whether it is inside the box; `hot_centre` (x, y), the hot region's centroid.
    """
    sal = np.asarray(saliency, dtype=np.float64)

    def inside(b):
        x0, y0, x1, y1 = (int(round(v)) for v in b)
        m = np.zeros(sal.shape, dtype=bool)
        m[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
        return m.ravel()

    own = inside(box)
    hot = np.argsort(-sal.ravel(), kind="stable")[: max(int(own.sum()), 1)]
    hy, hx = np.unravel_index(hot, sal.shape)
    py, px = np.unravel_index(int(np.argmax(sal)), sal.shape)
    return {
        "focus": float(own[hot].mean()),
        "in_others": [float(inside(b)[hot].mean()) for b in others],
        "peak": (int(px), int(py)),
        "peak_inside": bool(own[hot[0]]),
        "hot_centre": (int(round(hx.mean())), int(round(hy.mean()))),
    }


def describe(exp, image: int, truth: Scene | None = None) -> list[str]:
    """One line per detection of `image`: what it is, whether it is right (when `truth` is given), and which
    part of the image its D-RISE map relies on (see saliency_summary)."""
    dets = exp.detections[image]
    verdicts = [""] * len(dets)
    if truth is not None:
        labels = np.array([CLASSES.index(d["label"]) for d in dets], dtype=int)
        boxes = np.array([d["box"] for d in dets]).reshape(-1, 4)
        found = match(boxes, labels, truth.boxes, truth.labels)
        for j in range(len(dets)):
            if found[j] >= 0:
                verdicts[j] = " (right)"
                continue
            overlap = _iou(boxes[j : j + 1], truth.boxes)[0] if len(truth.boxes) else np.zeros(0)
            k = int(np.argmax(overlap)) if len(overlap) else -1
            verdicts[j] = (
                f" (WRONG: it is a {CLASSES[truth.labels[k]]})"
                if k >= 0 and overlap[k] >= 0.5
                else " (WRONG: no object there)"
            )
    lines = []
    for j, det in enumerate(dets):
        others = [d for i, d in enumerate(dets) if i != j]
        s = saliency_summary(exp.saliency[image][j], det["box"], [d["box"] for d in others])
        if s["focus"] >= 0.6:
            reading = "its own box"
        elif s["focus"] >= 0.3:
            reading = "partly its box, partly elsewhere"
        else:
            best = int(np.argmax(s["in_others"])) if others else -1
            reading = (
                f"the {others[best]['label']} at {_fmt_box(others[best]['box'])}, not its own box"
                if best >= 0 and s["in_others"][best] >= 0.3
                else f"pixels outside its box, around {s['hot_centre']}"
            )
        lines.append(
            f"{det['label']:>8} {det['score']:.2f} at {_fmt_box(det['box'])}{verdicts[j]}: relies on "
            f"{reading} ({s['focus']:.0%} of its hot region in the box; peak at {s['peak']}, "
            f"{'inside' if s['peak_inside'] else 'outside'})"
        )
    return lines


def masks_verdict(exp) -> str:
    """The convergence check's verdict on `exp`'s masks, with what it means for reading the maps."""
    conv = exp.convergence
    if conv is None:
        return "Convergence check: none (an explanation saved before the check)."
    line = f"Convergence check: {conv['verdict']}"
    if conv["enough"] is False:
        line += (
            " (r compares the maps of the first and the second half of the masks; 1 is the same map.) Below "
            f"r {conv['threshold']:.1f} the maps still change with the random masks: trust where each hot region "
            "lies, not its exact shape or small differences between maps, or explain again with that many masks."
        )
    return line


def _fmt_box(box) -> str:
    return "[" + ", ".join(f"{v:.0f}" for v in box) + "]"


# --- the demo ------------------------------------------------------------------------------------------------


def demo_scenes(detector, n: int = 3) -> list[Scene]:
    """The scenes the demo explains: the first `n` scenes of DEMO_SEED's stream, then the next one where the
    detector finds an object but names it wrongly (a wrong class at IoU >= 0.5), so there is a mistake to read."""
    rng = np.random.default_rng(DEMO_SEED)
    scenes = [make_scene(rng) for _ in range(n)]
    for _ in range(500):
        scene = make_scene(rng)
        out = detector([scene.image])[0]
        if len(out["scores"]) == 0 or len(scene.boxes) == 0:
            continue
        overlap = _iou(out["boxes"], scene.boxes)
        nearest = overlap.argmax(axis=1)
        if ((overlap.max(axis=1) >= 0.5) & (scene.labels[nearest] != out["labels"])).any():
            return scenes + [scene]
    return scenes


# Masks per scene: enough for the convergence check (_detection_checks) to call every map of the demo's
# scenes settled, with a margin. Its halves' r follows 1 / (1 + c / N) here (measured on the demo's scenes,
# 16,000 masks each): the slowest map needs about 4,500 masks for r 0.9 on average, and random_state=0's
# run gives r 0.92-0.96 at 6,000. 500 masks gave r 0.43-0.67, maps that correlate 0.76-0.95 with an
# 8,000-mask reference. Cost: about 1.6 ms a mask on one core, so about 40 s for the four scenes.
DEMO_MASKS = 6_000


def run_demo(out_dir: Path, echo=print, num_masks: int = DEMO_MASKS):
    """Load the shipped detector, report its accuracy on fresh scenes, explain a few scenes with D-RISE, print
    what each detection relies on and whether the masks were enough (the convergence check's verdict), and
    save the explanation in `out_dir`. Returns the DetectionExplanation."""
    torch = _torch()
    import rai_widget as rw

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small CNN: one thread is as fast, and leaves the other cores alone
    try:
        info = detector_info()["metrics"]
        echo(
            f"Loading the shipped shape detector (CenterNet-style CNN, classes: {', '.join(CLASSES)}; trained "
            f"{info['steps']} steps on synthetic scenes) ..."
        )
        detector = load_detector()
        fresh = make_scenes(200, seed=EVAL_SEED + 1)
        acc = evaluate(detector, fresh)
        echo(
            f"  on {acc['scenes']} fresh scenes ({acc['objects']} objects): precision {acc['precision']:.1%}, "
            f"recall {acc['recall']:.1%} at IoU >= 0.5 (class must match)"
        )

        scenes = demo_scenes(detector)
        echo(
            f"\nExplaining {len(scenes)} scenes with D-RISE ({num_masks:,} random masks each; in the last one the "
            "detector names an object wrongly) ..."
        )
        start = time.perf_counter()
        # batch_size="auto": this CPU model is fastest in small batches (about 4), not the default 32
        exp = rw.DetectionExplainer(
            detector, classes=CLASSES, num_masks=num_masks, mask_res=(8, 8), batch_size="auto", random_state=0
        ).explain([s.image for s in scenes])
        echo(f"  {(time.perf_counter() - start) / len(scenes):.1f} s per scene")
        for i, scene in enumerate(scenes):
            truth = ", ".join(f"{CLASSES[k]} at {_fmt_box(b)}" for b, k in zip(scene.boxes, scene.labels, strict=True))
            echo(f"\nScene {i}: {len(exp.detections[i])} detections; truth: {truth}")
            for line in describe(exp, i, scene):
                echo("  " + line)
            boxes = np.array([d["box"] for d in exp.detections[i]]).reshape(-1, 4)
            overlap = _iou(scene.boxes, boxes).max(axis=1, initial=0.0)
            for k in np.flatnonzero(overlap < 0.5):  # no detection of any class on it
                echo(f"  missed: the {CLASSES[scene.labels[k]]} at {_fmt_box(scene.boxes[k])}")
        echo("\n" + masks_verdict(exp))
        echo(
            "\nReading the maps: a detection whose hot region sits in its own box relies on the object itself; a "
            "wrong label with a focused map means the detector looked at the right thing and misnamed it. Small "
            "objects (under a mask cell, here 12 px) need a finer grid, mask_res=(16, 16), and more masks."
        )
    finally:
        torch.set_num_threads(threads)

    save_explanation(exp, out_dir / "detection_explanation", echo)
    return exp


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rai_widget.demos.detection", description=__doc__.splitlines()[0])
    parser.add_argument("--retrain", action="store_true", help=f"train the detector again and write {WEIGHTS.name}")
    parser.add_argument("--steps", type=int, default=800, help="training steps of 32 scenes (default: %(default)s)")
    parser.add_argument("--weights", default=str(WEIGHTS), help="where --retrain writes (default: the shipped file)")
    parser.add_argument("--out", default=None, help=f"folder for the demo's outputs (default: {default_demo_folder()})")
    args = parser.parse_args(argv)
    if args.retrain:
        train_detector(args.weights, steps=args.steps)
        return 0
    out = Path(args.out) if args.out is not None else default_demo_folder()
    print(f"Writing the demo's outputs to {out.resolve()}")
    exp = run_demo(out)
    report = exp.save_html(out / REPORT, title=TITLE)
    print(f"Report: {report.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
