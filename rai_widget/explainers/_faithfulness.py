"""Faithfulness of image maps: deletion and insertion curves (Petsiuk et al. 2018, RISE), and integrated
gradients' completeness gap.

Deletion: pixels of the image are replaced by the baseline's, in the map's order, and the model scores the image
at each of `steps` + 1 shares of pixels (0, 1/S, ..., 1); insertion starts from the baseline and restores the
image's pixels in the same order. The score is the explained target's probability (softmax, or sigmoid for
multilabel; probabilities the model returns are kept), so each curve's trapezoid area over the share of pixels is
in [0, 1]. A map that ranks the pixels the model uses first drops the deletion curve at once (low AUC) and lifts
the insertion curve at once (high AUC).

Choices, the same for every method so their figures compare:
- baseline: the image blurred (``_image_data.blur``: a Gaussian of sigma 1/16 of the long side). A black or
  mean-grey fill puts sharp edges the model never saw at every step; the blur removes the detail while keeping
  the image's colours (RISE's insertion baseline; we use it for deletion too, so both curves share one end).
- order: decreasing value. Signed maps (integrated gradients, guided backprop, guided Grad-CAM, SHAP) rank their
  positive evidence for the target first and the negative last; unsigned maps (Grad-CAM, XRAI) rank by strength.
  Ties (Grad-CAM's zeros, XRAI's flat regions) go in a random order drawn from seed 0.
- cost: 2 x (steps + 1) forward passes per map (42 at 20 steps), scored in batches of up to BATCH images, so a
  map's curves take one or a few model calls.
"""

from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from rai_widget._checks import check_progress
from rai_widget.explainers._image_data import as_images, baseline_image, is_int
from rai_widget.explanations._image_checks import Completeness, Faithfulness
from rai_widget.explanations.image import ImageExplanation, shown, targets_of

STEPS = 20
BASELINE = "blur"
BATCH = 64  # images per model call while scoring the curves: one map's 42 steps in one call
TIE_SEED = 0


def pixel_order(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Flat pixel indices of an (H, W) map, highest value first; ties in `rng`'s random order."""
    flat = np.asarray(a, dtype=np.float64).ravel()
    return np.lexsort((rng.random(flat.size), -flat))


def _probabilities(scores: np.ndarray, units: str) -> np.ndarray:
    """The explanation's units decide, not the batch: scores in `units` as probabilities."""
    if units == "probability":
        return np.clip(scores, 0, 1)
    if units == "log-odds":
        with np.errstate(over="ignore"):
            return 1 / (1 + np.exp(-scores))
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def steps_variants(image: np.ndarray, base: np.ndarray, order: np.ndarray, steps: int) -> np.ndarray:
    """(2 (steps + 1), H, W, C) uint8: the deletion images (step 0 = the image), then the insertion images
    (step 0 = the baseline)."""
    h, w, c = image.shape
    counts = np.round(np.linspace(0, h * w, steps + 1)).astype(np.int64)
    img, bas = image.reshape(-1, c), base.reshape(-1, c)
    out = np.empty((2, steps + 1, h * w, c), dtype=np.uint8)
    rank = np.empty(h * w, dtype=np.int64)
    rank[order] = np.arange(h * w)  # pixel -> its place in the order: pixel p is moved once step's count > rank
    for s, k in enumerate(counts):
        moved = (rank < k)[:, None]
        out[0, s] = np.where(moved, bas, img)
        out[1, s] = np.where(moved, img, bas)
    return out.reshape(2 * (steps + 1), h, w, c)


def check_steps(steps) -> int:
    if not is_int(steps):
        raise TypeError(f"steps must be a positive integer (the curve's points after the first), not {shown(steps)}.")
    if steps < 2 or steps > 1000:
        raise ValueError(f"steps must be an integer from 2 to 1000 (20 is the usual); got {shown(steps)}.")
    return int(steps)


def check_explanation(exp, images, explainer) -> list[np.ndarray]:
    """The images the maps are of: exp's own, or the given ones, which must be the same."""
    if not isinstance(exp, ImageExplanation):
        raise TypeError(
            f"faithfulness() needs the ImageExplanation whose maps it checks (what explain() returned), not "
            f"{type(exp).__name__}."
        )
    own = [np.asarray(im) for im in exp.images]
    if images is None:
        return own
    given = as_images(images)
    if len(given) != len(own) or any(
        a.shape != b.shape or not np.array_equal(a, b) for a, b in zip(given, own, strict=True)
    ):
        raise ValueError(
            "images are not the explanation's images: pass the images explain() was given (or none: the explanation "
            "keeps them)."
        )
    k = len(explainer.classes) if explainer.classes is not None else None
    if k is not None and k != len(exp.output_names):
        raise ValueError(f"the explainer has {k} classes but the explanation {len(exp.output_names)} outputs.")
    return own


def _same_scores(explainer, exp: ImageExplanation, i: int, first: np.ndarray) -> None:
    """The explainer's model gives the explanation's scores on image i (step 0 of deletion is the image itself)."""
    want = np.asarray(exp.model_output[i], dtype=np.float64)
    if first.shape != want.shape or not np.allclose(first, want, rtol=1e-3, atol=1e-3 * max(1.0, np.abs(want).max())):
        raise ValueError(
            f"the explainer's model scores image {i} differently from the explanation (largest difference "
            f"{np.abs(first - want).max() if first.shape == want.shape else 'in shape'}): pass the explainer (model "
            "and preprocess) that made this explanation."
        )


def faithfulness(explainer, exp, images=None, steps: int = STEPS, progress: bool | None = None) -> Faithfulness:
    """Deletion and insertion curves of every map of `exp` on `explainer`'s model; stored on exp and returned."""
    steps = check_steps(steps)
    progress = check_progress(progress)
    originals = check_explanation(exp, images, explainer)
    rng = np.random.default_rng(TIE_SEED)
    rows: list = []
    deletion, insertion = [], []
    bar = tqdm(
        range(len(exp)), desc="faithfulness", disable=not (len(exp) >= 2 if progress is None else progress), leave=False
    )
    for i in bar:
        image = originals[i]
        base = baseline_image(BASELINE, image).round().clip(0, 255).astype(np.uint8)
        inputs0 = None
        for t in targets_of(exp, i):
            order = pixel_order(exp.attribution(i, t), rng)
            variants = steps_variants(image, base, order, steps)
            inputs = [explainer._model_input(v) for v in variants]
            fast = explainer._fast_model(inputs[0][None].to(explainer._device())) if explainer.is_torch else None
            scores = explainer._scores(
                inputs,
                expect=len(exp.output_names),
                fast=fast,
                where=f"deleted / inserted copies of image {i}",
                batch_size=BATCH,
            )
            if inputs0 is None:
                _same_scores(explainer, exp, i, scores[0])
                inputs0 = True
            p = _probabilities(scores, exp.units)[:, t]
            deletion.append(p[: steps + 1])
            insertion.append(p[steps + 1 :])
            rows.append((i, t))
    result = Faithfulness(
        image=np.array([r[0] for r in rows]),
        target=np.array([r[1] for r in rows]),
        fractions=np.linspace(0, 1, steps + 1),
        deletion=np.stack(deletion),
        insertion=np.stack(insertion),
        baseline=BASELINE,
    )
    exp.faithfulness = result
    baseline = exp.params.get("baseline")
    if exp.method == "integrated_gradients" and exp.completeness is None and isinstance(baseline, str):
        exp.completeness = completeness(explainer, exp, originals, baseline)
    return result


def completeness(explainer, exp: ImageExplanation, originals: list[np.ndarray], baseline) -> Completeness:
    """Integrated gradients' sums against f(x) - f(baseline): one batched pass over the baselines (images of
    one size share a black or white baseline: one input)."""
    bases = [
        explainer._model_input(baseline_image(baseline, im).round().clip(0, 255).astype(np.uint8)) for im in originals
    ]
    f0 = explainer._scores(bases, expect=len(exp.output_names), where="the integrated gradients baselines")
    pairs = exp.pairs()
    return Completeness(
        image=np.array([i for i, _ in pairs]),
        target=np.array([t for _, t in pairs]),
        attribution_sum=np.array([exp.attribution(i, t).sum() for i, t in pairs]),
        output_difference=np.array([exp.model_output[i, t] - f0[i, t] for i, t in pairs]),
    )
