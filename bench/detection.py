"""Detection benchmark: rw.DetectionExplainer (batched D-RISE) against one mask at a time, in one run.

    python bench/detection.py [--size 128] [--masks 1000] [--batch-size 32] [--vem-python PATH]

Both sides explain every detection of the same image with the same detector and the same masks (the
one-at-a-time side draws them one by one from the same random streams), so their maps must agree to
float rounding; the script prints both times, the ratio and the largest difference.

The detector is a small torch CNN (fixed weights: a 3x3 blur of the grey image, then a 1x1 layer
giving an objectness map) followed by thresholding and connected components in scipy, so a call has
the fixed costs a real detector has (tensor conversion, framework dispatch, post-processing) plus a
per-image cost. Its per-call and per-image costs are measured and printed.

With --vem-python, the python of an environment where vision-explanation-methods imports, its
DRISE_saliency runs on the same image and detector too; its masks differ (nearest upsampling, its own
random draws) and it min-max normalises, so only its time and the correlation of its maps with ours are
comparable. Not available here: vision-explanation-methods 0.1.1 declares numpy, tqdm, ml-wrappers and
matplotlib<3.7 but imports torchvision, and PyPI's torchvision 0.28.0 (the one pinned to torch==2.13.0)
is the CUDA build, which fails to load beside torch 2.13.0+cpu ("operator torchvision::nms does not
exist"); the matching CPU wheel is only on download.pytorch.org.

Use the ratio with care: batching amortises what a detector pays per call, so the speed-up depends on
the detector (--detector torch-cnn shows a CPU model with no per-call overhead to save).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
from scipy import ndimage
from threadpoolctl import threadpool_limits

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, REPO)

TARGET_SPEEDUP = 5


class TorchSquareDetector:
    """Bright blobs as objects. A fixed-weight CNN (a 3x3 conv from RGB, then 7 more 3x3 convs, each followed by
    a ReLU) computes a smoothed grey level in [0, 1] as objectness; regions above 0.5 become boxes, found for the
    whole batch at once (scipy connected components on the (B, H, W) stack), score = mean objectness inside.

    Label 1 for regions reaching into the right half of the image, else 0.
    """

    def __init__(self, depth: int = 8):
        import torch

        torch.set_num_threads(1)
        self.torch = torch
        layers = []
        for i in range(depth):
            conv = torch.nn.Conv2d(3 if i == 0 else 1, 1, 3, padding=1)
            with torch.no_grad():
                conv.weight.fill_(1.0 / (27 * 255) if i == 0 else 1.0 / 9)
                conv.bias.zero_()
            layers += [conv, torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*layers).eval()

    def objectness(self, images: list) -> np.ndarray:
        x = self.torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float()
        with self.torch.inference_mode():
            return self.net(x)[:, 0].numpy()

    def __call__(self, images: list) -> list:
        obj = self.objectness(images)
        separate = np.zeros((3, 3, 3), dtype=bool)
        separate[1] = ndimage.generate_binary_structure(2, 1)  # regions never span two images
        regions, count = ndimage.label(obj > 0.5, structure=separate)
        slices = ndimage.find_objects(regions)
        scores = ndimage.mean(obj, regions, np.arange(1, count + 1)) if count else []
        out = [{"boxes": [], "scores": [], "labels": []} for _ in images]
        for (bs, ys, xs), score in zip(slices, scores, strict=True):
            d = out[bs.start]
            d["boxes"].append([xs.start, ys.start, xs.stop, ys.stop])
            d["scores"].append(float(score))
            d["labels"].append(int(xs.stop > obj.shape[2] // 2))
        return [
            {
                "boxes": np.array(d["boxes"], dtype=float).reshape(-1, 4),
                "scores": np.array(d["scores"]),
                "labels": np.array(d["labels"], dtype=int),
            }
            for d in out
        ]


class OverheadSquareDetector(TorchSquareDetector):
    """The same bright-blob detector in numpy (objectness = grey level, batched), plus a fixed cost per
    call (sleep) standing in for what a served or GPU detector pays per call whatever the batch: transfer,
    kernel launches and synchronisation, request round trip."""

    def __init__(self, overhead_ms: float = 5.0):
        self.overhead = overhead_ms / 1e3

    def objectness(self, images: list) -> np.ndarray:
        time.sleep(self.overhead)
        return np.stack(images).mean(axis=3, dtype=np.float32) / 255


def make_image(size: int) -> np.ndarray:
    """Three bright squares of different sizes on a noisy dark background."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 60, (size, size, 3)).astype(np.uint8)
    for fx0, fy0, fw in ((0.1, 0.1, 0.2), (0.55, 0.15, 0.3), (0.25, 0.6, 0.25)):
        x0, y0, w = int(fx0 * size), int(fy0 * size), int(fw * size)
        img[y0 : y0 + w, x0 : x0 + w] = 220
    return img


def one_mask_at_a_time(detector, image, num_masks, mask_res, keep_prob, random_state):
    """Plain D-RISE: for each mask, mask the image, detect, score each target against each detection in
    Python, add the weighted mask. Same masks and the same math as rw.DetectionExplainer."""
    from rai_widget.explainers.detection import MaskSampler, parse_detections

    def iou(a, b):
        iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        inter = iw * ih
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return inter / union if union > 0 else 0.0

    targets = parse_detections(detector([image])[0])
    sampler = MaskSampler(image.shape[:2], mask_res, keep_prob, random_state)
    saliency = np.zeros((len(targets), *image.shape[:2]))
    for _ in range(num_masks):
        mask = sampler.sample(1)[0]
        masked = np.rint(image.astype(np.float32) * mask[..., None]).astype(np.uint8)
        found = parse_detections(detector([masked])[0])
        for t in range(len(targets)):
            weight = max(
                (
                    iou(targets.boxes[t], found.boxes[j])
                    * found.scores[j]
                    * float(targets.labels[t] == found.labels[j])
                    for j in range(len(found))
                ),
                default=0.0,
            )
            saliency[t] += weight * mask
    return (saliency / (num_masks * keep_prob)).astype(np.float32)


VEM_SCRIPT = r"""
import json, sys, time
import numpy as np, torch
sys.path.insert(0, sys.argv[1])
from detection import TorchSquareDetector, make_image
from vision_explanation_methods.explanations import drise
from vision_explanation_methods.explanations.common import DetectionRecord, GeneralObjectDetectionModelWrapper

size, masks = int(sys.argv[2]), int(sys.argv[3])
det = TorchSquareDetector()

class Wrapped(GeneralObjectDetectionModelWrapper):
    def predict(self, x):
        imgs = [np.rint(i.permute(1, 2, 0).numpy() * 255).astype(np.uint8) for i in x]
        recs = []
        for d in det(imgs):
            recs.append(DetectionRecord(torch.tensor(d["boxes"], dtype=torch.float32),
                                        torch.tensor(d["scores"], dtype=torch.float32),
                                        torch.nn.functional.one_hot(torch.tensor(d["labels"]).long(), 2).float()))
        return recs

model = Wrapped()
img = torch.from_numpy(make_image(size)).permute(2, 0, 1).float()[None] / 255
torch.manual_seed(0)
targets = model.predict(img)
start = time.perf_counter()
maps = drise.DRISE_saliency(model, img, targets, masks, mask_res=(16, 16))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "maps": [m["detection"][0].numpy().tolist() for m in maps[0]]}))
"""


def run_vem(python, size, masks):
    proc = subprocess.run([python, "-c", VEM_SCRIPT, BENCH, str(size), str(masks)], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["maps"] = np.array(result["maps"], dtype=np.float32)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=128, help="image side in pixels")
    parser.add_argument("--masks", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--detector",
        choices=["overhead", "torch-cnn"],
        default="overhead",
        help="overhead: numpy detector + 5 ms per call; torch-cnn: 8-layer torch CNN on CPU",
    )
    parser.add_argument("--vem-python", default=None, help="python of an env with vision-explanation-methods")
    args = parser.parse_args()

    import torch

    import rai_widget as rw

    torch.set_num_threads(1)
    detector = TorchSquareDetector() if args.detector == "torch-cnn" else OverheadSquareDetector()
    image = make_image(args.size)
    mask_res, keep_prob = (16, 16), 0.5
    load = os.getloadavg()[0]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load:.1f}; "
        f"torch {torch.__version__} and BLAS on 1 thread"
    )
    if load > (os.cpu_count() or 1) / 2:
        print("warning: the machine is busy; absolute times are inflated (the ratio less so)")

    detector([image] * 4)  # warm up
    reps = 20
    start = time.perf_counter()
    for _ in range(reps):
        detector([image])
    single = (time.perf_counter() - start) / reps
    start = time.perf_counter()
    for _ in range(reps // 4):
        detector([image] * args.batch_size)
    batched = (time.perf_counter() - start) / (reps // 4)
    per_image = (batched - single) / (args.batch_size - 1)
    kind = (
        "torch CNN (8 x [3x3 conv, ReLU], fixed weights)"
        if args.detector == "torch-cnn"
        else "numpy grey level + 5 ms fixed cost per call (sleep)"
    )
    print(
        f"detector: {kind} + batched scipy connected components; "
        f"{args.size}x{args.size} image: {single * 1e3:.2f} ms per call of 1 image, {batched * 1e3:.2f} ms per "
        f"call of {args.batch_size} (fixed cost ~{(single - per_image) * 1e3:.2f} ms + ~{per_image * 1e3:.2f} ms "
        "per image)"
    )
    print(f"detections: {len(detector([image])[0]['scores'])}; {args.masks} masks at {mask_res}, keep_prob {keep_prob}")

    explainer = rw.DetectionExplainer(
        detector,
        num_masks=args.masks,
        mask_res=mask_res,
        batch_size=args.batch_size,
        keep_prob=keep_prob,
        progress=False,
    )
    start = time.perf_counter()
    ours = explainer.explain([image]).saliency[0]
    ours_s = time.perf_counter() - start

    start = time.perf_counter()
    plain = one_mask_at_a_time(detector, image, args.masks, mask_res, keep_prob, 0)
    plain_s = time.perf_counter() - start

    targets = detector([image])[0]
    fixed = rw.DetectionExplainer(
        lambda imgs: [targets] * len(imgs),
        num_masks=args.masks,
        mask_res=mask_res,
        batch_size=args.batch_size,
        keep_prob=keep_prob,
        progress=False,
    )
    start = time.perf_counter()
    fixed.explain([image])
    own_s = time.perf_counter() - start

    ratio = plain_s / ours_s
    print(f"rw.DetectionExplainer (batch_size={args.batch_size}): {ours_s:.2f} s per image")
    print(f"one mask at a time (same masks, same math):  {plain_s:.2f} s per image")
    print(f"  of which D-RISE's own work in ours (masks, masking, weights; a free detector): {own_s:.2f} s")
    print(f"speed-up: {ratio:.1f}x (target >= {TARGET_SPEEDUP}x) {'OK' if ratio >= TARGET_SPEEDUP else 'BELOW TARGET'}")
    print(f"max |difference| between the maps: {np.abs(ours - plain).max():.2e} (map values up to {ours.max():.3f})")

    if args.vem_python:
        vem = run_vem(args.vem_python, args.size, args.masks)
        if "error" in vem:
            print(f"vision-explanation-methods: failed: {vem['error']}")
        else:
            corr = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(ours, vem["maps"], strict=False)]
            print(
                f"vision-explanation-methods DRISE_saliency: {vem['seconds']:.2f} s per image "
                f"({vem['seconds'] / ours_s:.1f}x ours); correlation of its maps with ours: "
                + ", ".join(f"{c:.2f}" for c in corr)
            )
    else:
        print("vision-explanation-methods: not run (pass --vem-python; see this file's docstring)")


if __name__ == "__main__":
    with threadpool_limits(1):  # BLAS threads fight torch's on a small busy machine: one thread, like torch
        main()
