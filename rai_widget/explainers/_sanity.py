"""The sanity check of Adebayo et al. 2018 (model-parameter randomisation): does a method's map depend on the
model? The same method runs on a copy of the model (``copy.deepcopy``: the user's model is never touched) whose
top weight layers are re-drawn at random, and each map is compared with its randomised twin for the same image
and target: Spearman's rank correlation of |map| (the verdict: above ``RANK_LIMIT`` the map barely changed) and
the structural similarity (SSIM, scikit-image's) of the |maps| scaled to [0, 1].

"Top layers": the model's Conv2d and Linear modules in ``named_modules()`` order (for most models the order of
the forward pass), counted from the last. Their weights and biases become normal draws with the standard
deviation of the weights they replace (so activations keep their scale and the random model's outputs stay
finite), from a torch Generator seeded by random_state: torch's global random state is left alone.
"""

from __future__ import annotations

import copy

import numpy as np

from rai_widget.explainers._image_data import is_int
from rai_widget.explanations._image_checks import RANK_LIMIT, SanityCheck
from rai_widget.explanations.image import ImageExplanation, shown

# Layers randomised by default (fewer when the model has fewer): on the demo's EfficientNet-Lite0, the classifier,
# the head's 1x1 convolution and the last block's projection. With them Grad-CAM's maps fall to rank correlations
# of -0.75..0.32 while guided backprop's stay at 0.98..1.0 (as they do with 1 or 6 layers).
DEFAULT_LAYERS = 3


def weight_layers(model) -> list[str]:
    """Names of the model's Conv2d / Linear layers (and others of their kinds), in named_modules() order."""
    import torch

    kinds = (torch.nn.modules.conv._ConvNd, torch.nn.Linear)
    return [name for name, m in model.named_modules() if isinstance(m, kinds) and name]


def chosen_layers(model, layers) -> list[str]:
    """The names of the layers to randomise, top first: `layers` top ones (None: DEFAULT_LAYERS or all), or the
    named ones."""
    names = weight_layers(model)
    if layers is None:
        if not names:
            raise ValueError("the model has no Conv2d or Linear layer to randomise; pass layers= a list of names.")
        layers = min(DEFAULT_LAYERS, len(names))
    if is_int(layers):
        if not 1 <= layers <= len(names):
            raise ValueError(
                f"layers must be from 1 to {len(names)} (the model's Conv2d / Linear layers), or a list of layer "
                f"names; got {shown(layers)}."
            )
        return names[-int(layers) :][::-1]
    if isinstance(layers, str) or not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(
            f"layers must be a number of top layers to randomise (e.g. 2) or a list of layer names (as in "
            f"model.named_modules()), not {shown(layers)}."
        )
    everything = {name for name, _ in model.named_modules() if name}
    for name in layers:
        if name not in everything:
            raise ValueError(f"the model has no layer named {shown(name)}; its top layers: {shown(names[::-1][:5])}.")
        if not any(True for _ in model.get_submodule(name).parameters()):
            raise ValueError(f"layer {name!r} has no weights to randomise; its top layers: {shown(names[::-1][:5])}.")
    return [str(n) for n in layers]


def randomised_copy(model, names: list[str], random_state: int):
    """A deep copy of the model with the named layers' parameters re-drawn (the model itself is unchanged)."""
    import torch

    twin = copy.deepcopy(model)
    generator = torch.Generator().manual_seed(int(random_state))
    with torch.no_grad():
        for name in names:
            module = twin.get_submodule(name)
            weights = [p for p in module.parameters() if p.ndim >= 2] or list(module.parameters())
            scale = float(torch.cat([w.detach().flatten().cpu() for w in weights]).std()) if weights else 0.0
            for p in module.parameters():
                draw = torch.randn(p.shape, generator=generator, dtype=torch.float32) * (scale or 1.0)
                p.copy_(draw.to(device=p.device, dtype=p.dtype))
    return twin


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of |a| and |b|; 0 when either is constant (no ranking to share)."""
    from scipy.stats import rankdata

    x, y = (rankdata(np.abs(np.asarray(m, np.float64)).ravel()) for m in (a, b))
    x, y = x - x.mean(), y - y.mean()
    denominator = np.sqrt((x * x).sum() * (y * y).sum())
    return float(np.clip((x * y).sum() / denominator, -1, 1)) if denominator > 0 else 0.0


def _unit(a: np.ndarray) -> np.ndarray:
    m = np.abs(np.asarray(a, np.float64))
    top = np.percentile(m, 99)
    top = top if top > 0 else m.max()
    return np.clip(m / top, 0, 1) if top > 0 else m


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """scikit-image's SSIM of |a| and |b|, each scaled by its 99th percentile into [0, 1]; NaN under 3 pixels."""
    from skimage.metrics import structural_similarity

    side = min(np.shape(a))
    win = min(7, side if side % 2 else side - 1)
    if win < 3:
        return float("nan")
    return float(structural_similarity(_unit(a), _unit(b), data_range=1.0, win_size=win))


def sanity_check(explainer, images, targets=None, layers=None, random_state: int = 0, progress=None) -> SanityCheck:
    from rai_widget.explainers._torch_model import layer_name
    from rai_widget.explainers.image import ImageExplainer

    if not explainer.is_torch:
        raise TypeError("sanity_check() randomises the model's layers: the model must be a torch.nn.Module.")
    if not is_int(random_state):
        raise TypeError(f"random_state must be an integer seed, not {shown(random_state)}.")
    names = chosen_layers(explainer.model, layers)
    if isinstance(images, ImageExplanation):
        exp = images
        if targets is not None:
            raise ValueError("targets= is for images; an explanation's maps keep the targets they explain.")
        if exp.method != explainer.method:
            raise ValueError(
                f"the explanation holds {exp.method} maps but this explainer computes {explainer.method}: check the "
                f"maps with an ImageExplainer of method={exp.method!r} on the same model."
            )
        original = exp
    else:
        exp = None
        original = explainer.explain(images, targets=targets, progress=progress)
    twin_model = randomised_copy(explainer.model, names, random_state)
    kwargs = {}
    if explainer.layer is not None:
        kwargs["target_layer"] = layer_name(explainer.model, explainer.layer)
    twin = ImageExplainer(
        twin_model,
        explainer.method,
        classes=explainer.classes if explainer.classes is not None else original.output_names,
        preprocess=explainer.preprocess,
        multilabel=explainer.multilabel,
        **kwargs,
        **explainer.params,
    )
    per_image = [[int(t) for t in np.atleast_1d(original.targets[i])] for i in range(len(original))]
    given = per_image if original.multi_target else [ts[0] for ts in per_image]
    randomised = twin.explain(list(original.images), targets=given, progress=progress)
    pairs = original.pairs()
    maps = [(original.attribution(i, t), randomised.attribution(i, t)) for i, t in pairs]
    result = SanityCheck(
        image=np.array([i for i, _ in pairs]),
        target=np.array([t for _, t in pairs]),
        rank_correlation=np.array([rank_correlation(a, b) for a, b in maps]),
        ssim=np.array([ssim(a, b) for a, b in maps]),
        layers=names,
        threshold=RANK_LIMIT,
        random_state=int(random_state),
    )
    if exp is not None:
        exp.sanity = result
    return result
