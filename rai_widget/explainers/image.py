"""Image attributions for any PyTorch classifier: IG, Guided Backprop, Grad-CAM, Guided Grad-CAM, XRAI, SHAP.

Gradients come from captum, segments from scikit-image, SHAP values from shap's partition explainer
with an image masker. torch, captum and scikit-image are imported only when an explainer is used,
so `import rai_widget` stays torch-free.

Pixel space and model space: images are (H, W, C) uint8 arrays (float arrays in [0, 1] are scaled
to uint8 first; PIL images are converted). ``preprocess(image) -> (C, h, w)`` float tensor (or numpy
array) is what the model sees; the default divides by 255. Attributions are computed in model
space, reduced over channels, then resized back to each image's own (H, W) by a linear interpolation
that keeps each map's sum (IG's completeness holds at any size; values are per-pixel shares). This assumes
``preprocess`` resizes the whole image; with a crop, the map is stretched over the whole image.

One validation boundary: the constructor checks its arguments, explain() its images, targets and true labels
(the checks live in ``_image_data``) and the model's output as it runs (a model that raises, or returns NaN or
infinite scores or gradients, is a ModelPredictError naming the images), before any long work where it can;
ImageExplanation checks the result. This module runs past 500 lines to keep the six methods' calls and that
boundary in one place.

This module runs past 500 lines: one explainer class holds every method's settings, checks and batching
(the methods' numerics live in captum and in the private helpers); the trust checks are thin methods.
"""

from __future__ import annotations

import difflib
import sys
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager

import numpy as np
from tqdm.auto import tqdm

from rai_widget._checks import check_classes, check_progress
from rai_widget._errors import ModelPredictError
from rai_widget.explainers._image_data import (
    as_images,
    baseline_image,
    check_baseline_sizes,
    check_params,
    default_preprocess,
    jsonable_param,
    target_indices,
    to_image_size,
    true_labels,
)
from rai_widget.explainers._malloc import reuse_large_buffers
from rai_widget.explainers._torch_model import FrozenParams, guided_backprop, layer_name, resolve_layer
from rai_widget.explanations import ImageExplanation
from rai_widget.explanations.image import shown

# Each method's parameters and their defaults; anything else is an error that lists these.
METHODS: dict[str, dict] = {
    "integrated_gradients": {
        "baseline": "black",
        "n_steps": 50,
        "internal_batch_size": 6,
        "integration": "gausslegendre",
        "fold_batchnorm": True,
    },
    "guided_backprop": {},
    "gradcam": {"relu_attributions": True, "interpolate_mode": "bilinear"},
    "guided_gradcam": {"interpolate_mode": "nearest"},
    # XRAI as in PAIR's reference: IG from a black and a white baseline, averaged, max over channels.
    "xrai": {
        "baselines": ("black", "white"),
        "n_steps": 50,
        "internal_batch_size": 6,
        "algorithm": "full",
        "integration": "gausslegendre",
        "fold_batchnorm": True,
        "scales": (50, 100, 150, 250, 500, 1200),
        "sigma": 0.8,
        "min_size": 150,
        "dilation_radius": 5,
        "min_pixel_diff": 50,
    },
    "shap": {"baseline": "blur", "max_evals": 500, "fold_batchnorm": True},
}
BATCHED_METHODS = ("guided_backprop", "gradcam", "guided_gradcam")  # one backward pass: batched across images
COMMON_PARAMS = {"batch_size": 4}  # images per forward pass (model outputs, SHAP's masked images)


def _check_method(method) -> str:
    if isinstance(method, str) and method in METHODS:
        return method
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, one of {', '.join(METHODS)}; got {shown(method)}.")
    close = difflib.get_close_matches(method, METHODS, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown method {method!r}.{hint} Valid methods: {', '.join(METHODS)}.")


def _is_torch_module(model) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(model, torch.nn.Module)


def _check_finite_scores(scores: np.ndarray, where: str | None = None) -> None:
    bad = np.flatnonzero(~np.isfinite(scores).all(axis=1))
    if len(bad):
        raise ModelPredictError(
            f"the model returned NaN or infinite scores for {where or f'images {shown(bad)}'}: there is nothing to "
            "explain. Check those inputs and the model (and preprocess) on them."
        )


@contextmanager
def _model_errors(what: str, ours: tuple[type[BaseException], ...] = ()):
    """Within the block captum or shap run the user's model forward (and backward): anything it raises is a
    ModelPredictError naming what was being computed, with the original error chained. `ours`: errors our own
    callbacks raise with a clear message already (they pass as they are)."""
    passing: tuple[type[BaseException], ...] = (ModelPredictError, *ours)
    try:
        yield
    except passing:
        raise
    except Exception as err:  # noqa: BLE001  (the user's model inside captum / shap)
        raise ModelPredictError(
            f"computing the {what} failed: the model's forward or backward pass raised {type(err).__name__}: {err}"
        ) from err


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class ImageExplainer:
    """Explain an image classifier's predictions with one attribution method.

    Parameters
    ----------
    model : torch.nn.Module or callable
        A ``torch.nn.Module`` taking a float (N, C, h, w) batch and returning (N, k) logits (or
        probabilities). For ``method="shap"`` any callable ``f(batch) -> (N, k)`` works; it gets a numpy
        (N, C, h, w) float32 batch unless it is a torch module. The module is put in eval mode.
    method : str
        ``"integrated_gradients"``, ``"guided_backprop"``, ``"gradcam"``, ``"guided_gradcam"``,
        ``"xrai"`` or ``"shap"``.
    classes : sequence, optional
        Output names (default 0..k-1).
    target_layer : str or torch.nn.Module, optional
        Grad-CAM's layer: a module name (as in ``model.named_modules()``) or the module; default the last
        ``torch.nn.Conv2d``.
    preprocess : callable, optional
        ``f((H, W, C) uint8 array) -> (C, h, w)`` float tensor or array: resize and normalise as the model
        needs. Default: channels first, divided by 255.
    multilabel : bool
        Outputs are independent labels (sigmoid) rather than one class (softmax).
    **params
        The method's settings; see ``METHODS`` for each method's names and defaults, plus ``batch_size``
        (images per forward pass, also SHAP's masked images per call). integrated_gradients: ``baseline``
        (``"black"``, ``"blur"``, ``"white"`` or an (H, W, C) image), ``n_steps``, ``internal_batch_size``
        (path points per forward/backward pass; 6 was fastest on CPU, where larger ones fall out of cache:
        raise it on a GPU), ``integration`` (captum's ``method``), ``fold_batchnorm`` (run the path points
        through a twin of the model with its eval batch norms folded into the convolutions: the same
        function, about 30% faster; the twin is checked against the model and skipped when it differs or
        the model cannot be traced; False uses the model as it is). xrai: ``baselines`` (a list of those),
        ``algorithm`` (``"full"`` or ``"fast"``) and the segmentation settings. shap: ``baseline`` (what
        masked pixels become), ``max_evals``, ``fold_batchnorm`` (for its masked images).

    Raises
    ------
    ValueError
        An unknown method or parameter (the error lists the method's parameters), or a bad value.
    TypeError
        A model that is not a torch module (for a gradient method) or not callable, or a setting of the
        wrong type.

    Examples
    --------
    >>> ex = rw.ImageExplainer(model, method="integrated_gradients", classes=names, n_steps=64)
    >>> exp = ex.explain(images)                # (N, H, W, 3) uint8, or a list of PIL images
    >>> exp.attributions.shape                  # (N, H, W): one map per image, its predicted class
    >>> rw.ImageExplainer(model, "gradcam").explain(images, targets=[[0, 3]] * len(images))
    """

    def __init__(
        self,
        model,
        method: str = "integrated_gradients",
        classes: Sequence | None = None,
        target_layer=None,
        preprocess: Callable | None = None,
        multilabel: bool = False,
        **params,
    ):
        self.method = _check_method(method)
        allowed = {**METHODS[self.method], **COMMON_PARAMS}
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {unknown} for method {self.method!r}; its parameters: {sorted(allowed)}."
            )
        self.params = {**allowed, **check_params(params)}
        if not callable(model):
            raise TypeError(f"model must be a torch.nn.Module or a callable, not {type(model).__name__}.")
        self.model = model
        self.is_torch = _is_torch_module(model)
        if self.method != "shap" and not self.is_torch:
            raise TypeError(
                f"method {self.method!r} needs gradients: model must be a torch.nn.Module "
                f"(got {type(model).__name__}). method='shap' works with any callable."
            )
        if preprocess is not None and not callable(preprocess):
            raise TypeError(
                f"preprocess must be a function f((H, W, C) uint8 image) -> (C, h, w) tensor or array, or None; "
                f"got {type(preprocess).__name__}."
            )
        if not isinstance(multilabel, (bool, np.bool_)):
            raise TypeError(f"multilabel must be True or False, not {shown(multilabel)}.")
        self.classes = check_classes(classes)
        if self.is_torch:
            model.eval()
        self.layer = resolve_layer(model, target_layer) if self.method in ("gradcam", "guided_gradcam") else None
        self.preprocess = preprocess or default_preprocess
        self.multilabel = bool(multilabel)

    # --- the model ------------------------------------------------------------------------------
    def _model_input(self, image: np.ndarray):
        x = self.preprocess(image)
        if self.is_torch:
            import torch

            try:
                x = torch.as_tensor(x, dtype=torch.float32)
            except (TypeError, ValueError, RuntimeError):
                raise TypeError(
                    f"preprocess must return one (C, h, w) float tensor or numpy array; it returned {type(x).__name__}."
                ) from None
        elif not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf":
            x = np.asarray(x)
            if x.dtype.kind not in "biuf":
                raise TypeError(f"preprocess must return one (C, h, w) numeric array; it returned {x.dtype} values.")
        if x.ndim != 3:
            raise ValueError(f"preprocess returned shape {tuple(x.shape)}; it must return one (C, h, w) image.")
        if self.is_torch:
            import torch

            first = next((m for m in self.model.modules() if isinstance(m, torch.nn.Conv2d)), None)
            if first is not None and x.shape[0] != first.in_channels:
                what = "the images have" if self.preprocess is default_preprocess else "preprocess returns"
                raise ValueError(
                    f"{what} {x.shape[0]} channel(s) but the model's first Conv2d expects "
                    f"{first.in_channels}; convert the images (e.g. PIL's .convert('RGB'), "
                    f"np.repeat(gray, 3, axis=-1), or drop an alpha channel)."
                )
        return x

    def _device(self):
        return next(self.model.parameters()).device if any(True for _ in self.model.parameters()) else "cpu"

    def _fast_model(self, example):
        """(model, channels_last) for many passes over batches shaped like ``example`` (1, C, h, w): the
        twin with the batch norms folded when ``fold_batchnorm`` allows (see ``_fold``), and whether it
        takes channels-last batches (oneDNN's CPU convolutions run them about twice as fast; a model that
        ``.view()``s its input cannot take them). Rebuilt when the model's weights change."""
        import torch

        from rai_widget.explainers._fold import folded_twin

        state = [self.model.training, tuple(example.shape[1:])] + [
            (id(t), t._version) for t in (*self.model.parameters(), *self.model.buffers())
        ]
        if getattr(self, "_fast_state", None) != state:
            with torch.no_grad():
                model = folded_twin(self.model, example) if self.params.get("fold_batchnorm") else self.model
            channels_last = False
            if example.device.type == "cpu":
                try:
                    with torch.inference_mode():
                        model(example.contiguous(memory_format=torch.channels_last))
                    channels_last = True
                except Exception:  # noqa: BLE001  (a model that cannot take channels-last input gets NCHW; its own
                    pass  # errors, if any, surface where it runs on the real batches)
            self._fast, self._fast_state = (model, channels_last), state
        return self._fast

    def _scores(
        self,
        inputs: list,
        expect: int | None = None,
        fast: tuple | None = None,
        where: str | None = None,
        batch_size: int | None = None,
    ) -> np.ndarray:
        """(n, k) float64 model outputs for model-space inputs, in batches of inputs of the same shape
        (``fast``: ``_fast_model``'s (model, channels_last) to run them with, for SHAP's masked images; ``where``:
        what the inputs are, for messages, default "images i, j, ..."; ``batch_size``: inputs per call, default the
        explainer's). The model raising, or returning NaN or infinite scores, is a ModelPredictError saying for
        which images."""
        bs = int(batch_size or self.params["batch_size"])
        out: list = [None] * len(inputs)
        by_shape: dict = {}
        for i, x in enumerate(inputs):
            by_shape.setdefault(tuple(x.shape), []).append(i)
        for idx in by_shape.values():
            for s in range(0, len(idx), bs):
                chunk = idx[s : s + bs]
                try:
                    if self.is_torch:
                        import torch

                        xb = torch.stack([inputs[i] for i in chunk]).to(self._device())
                        model, channels_last = fast or (self.model, False)
                        xb = xb.contiguous(memory_format=torch.channels_last) if channels_last else xb
                        with torch.inference_mode():
                            y = model(xb)
                        y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else y
                    else:
                        y = self.model(np.stack([np.asarray(inputs[i]) for i in chunk]))
                except Exception as err:  # noqa: BLE001  (the user's model: report it as theirs, keep the original)
                    raise ModelPredictError(
                        f"the model raised {type(err).__name__} on {where or f'images {shown(chunk)}'}: {err}. "
                        "Check that it takes a float (N, C, h, w) batch of images as preprocess makes them."
                    ) from err
                if isinstance(y, (tuple, dict)):
                    y = None
                else:
                    y = np.asarray(y)
                    if y.dtype.kind not in "biuf":
                        raise TypeError(
                            f"the model must return numeric scores; for {where or f'images {shown(chunk)}'} it "
                            f"returned {y.dtype} values."
                        )
                    y = y.astype(np.float64)
                if y is None or y.ndim != 2 or y.shape[0] != len(chunk):
                    got = "a tuple or dict" if y is None else f"shape {y.shape}"
                    raise ValueError(
                        f"the model must return an (N, k) array of scores for a batch of N images; "
                        f"for N={len(chunk)} it returned {got}."
                    )
                for j, i in enumerate(chunk):
                    out[i] = y[j]
        scores = np.stack(out)
        k = expect if expect is not None else (len(self.classes) if self.classes is not None else None)
        if k is not None and scores.shape[1] != k:
            raise ValueError(f"the model returns {scores.shape[1]} scores per image but {k} classes were given.")
        _check_finite_scores(scores, where)
        return scores

    def _probe(self, inputs: list) -> np.ndarray:
        """The scores of `inputs` (all of them, or one to learn the number of outputs before a batched method's own
        pass); for Grad-CAM the same pass checks that target_layer's output is an (N, C, H, W) feature map."""
        from rai_widget.explainers._torch_model import check_feature_map

        if self.layer is None:
            return self._scores(inputs)
        seen: list = []
        hook = self.layer.register_forward_hook(lambda m, a, out: None if seen else seen.append(out))
        try:
            scores = self._scores(inputs)
        finally:
            hook.remove()
        check_feature_map(self.model, self.layer, seen)
        return scores

    def _probabilities(self, scores: np.ndarray) -> tuple[np.ndarray, str]:
        """Probabilities and the units of the scores: given probabilities are kept, logits are squashed."""
        in_unit = bool(((scores >= 0) & (scores <= 1)).all())
        if self.multilabel:
            if in_unit:
                return scores, "probability"
            with np.errstate(over="ignore"):  # exp(-z) overflows to inf for very negative logits: probability 0
                return 1 / (1 + np.exp(-scores)), "log-odds"
        if in_unit and np.allclose(scores.sum(1), 1, atol=1e-4):
            return scores, "probability"
        return _softmax(scores), "logit"

    # --- targets ----------------------------------------------------------------------------------
    def _default_targets(self, probabilities: np.ndarray) -> tuple[list[list[int]], bool]:
        """The predicted class; for multilabel each label with probability > 0.5, or the top one."""
        if not self.multilabel:
            return [[int(j)] for j in probabilities.argmax(1)], False
        return [np.flatnonzero(p > 0.5).tolist() or [int(p.argmax())] for p in probabilities], True

    # --- attributions -------------------------------------------------------------------------------
    def _attribute(self, image: np.ndarray, x, targets: list[int], index: int) -> np.ndarray:
        """(t, h, w) attributions in model space (or pixel space for shap) for one image (image `index`)."""
        if self.method == "shap":
            return self._shap(image, targets, index)
        import torch

        p, t = self.params, len(targets)
        xs = x.unsqueeze(0).expand(t, *x.shape).contiguous().to(self._device())
        if self.method in ("integrated_gradients", "xrai"):
            from captum.attr import IntegratedGradients

            names = [p["baseline"]] if self.method == "integrated_gradients" else list(p["baselines"])
            base = torch.stack(
                [self._model_input(baseline_image(b, image).round().clip(0, 255).astype(np.uint8)) for b in names]
            ).to(xs.device)
            nb = len(base)
            inputs = xs.repeat(nb, 1, 1, 1)
            baselines = base.repeat_interleave(t, dim=0)
            batch = max(int(p["internal_batch_size"]), len(inputs))
            model, channels_last = self._fast_model(inputs[:1])
            if channels_last:
                # NHWC: measured on EfficientNet-Lite0, 0.65 s instead of 1.2 s per 224 px image at 50 steps
                inputs, baselines = (v.contiguous(memory_format=torch.channels_last) for v in (inputs, baselines))
            with FrozenParams(self.model), _model_errors(f"integrated gradients of image {index}"):
                a = IntegratedGradients(model).attribute(
                    inputs,
                    baselines=baselines,
                    target=targets * nb,
                    n_steps=int(p["n_steps"]),
                    internal_batch_size=batch,
                    method=p["integration"],
                )
            a = a.detach().reshape(nb, t, *x.shape).mean(0).cpu().numpy()
            if self.method == "integrated_gradients":
                return a.sum(1)
            from rai_widget.explainers._xrai import segment_masks, xrai

            hwc = x.permute(1, 2, 0).cpu().numpy()
            masks = segment_masks(hwc, p["scales"], p["sigma"], p["min_size"], p["dilation_radius"])
            return np.stack([xrai(m.max(0), masks, p["algorithm"], p["min_pixel_diff"])[0] for m in a])
        raise AssertionError(self.method)  # the other methods run batched, in _gradient_batch

    def _gradient_batch(self, xs, targets: list[int], images: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """(b, h, w) guided backprop / Grad-CAM / guided Grad-CAM maps for a batch of model inputs (of `images`),
        and the (b, k) model outputs of the same forward pass (no extra pass for the predictions)."""
        from captum import attr as ca

        p, outputs = self.params, []
        hook = self.model.register_forward_hook(lambda module, args, out: outputs.append(out))
        try:
            with (
                FrozenParams(self.model),
                warnings.catch_warnings(),
                _model_errors(f"{self.method} of images {shown(sorted(set(images)))}"),
            ):
                warnings.filterwarnings("ignore", message="Setting backward hooks on ReLU")
                xs = xs.to(self._device()).requires_grad_(True)
                if self.method == "guided_backprop":
                    a = guided_backprop(self.model).attribute(xs, target=targets).sum(1)
                elif self.method == "gradcam":
                    a = ca.LayerGradCam(self.model, self.layer).attribute(
                        xs, target=targets, relu_attributions=bool(p["relu_attributions"])
                    )
                    a = ca.LayerAttribution.interpolate(a, tuple(xs.shape[2:]), interpolate_mode=p["interpolate_mode"])
                    a = a.sum(1)
                else:
                    method = ca.GuidedGradCam(self.model, self.layer)
                    method.guided_backprop = guided_backprop(self.model)
                    a = method.attribute(xs, target=targets, interpolate_mode=p["interpolate_mode"]).sum(1)
        finally:
            hook.remove()
        out = outputs[0]
        if not hasattr(out, "detach") or out.ndim != 2 or out.shape[0] != len(xs):
            self._scores([x.detach() for x in xs[:2]])
        return a.detach().cpu().numpy(), out.detach().cpu().numpy().astype(np.float64)

    def _shap(self, image: np.ndarray, targets: list[int], index: int) -> np.ndarray:
        import shap

        fast = self._fast_model(self._model_input(image)[None].to(self._device())) if self.is_torch else None
        where = f"masked copies of image {index}"

        def f(batch: np.ndarray) -> np.ndarray:
            imgs = np.clip(np.round(batch), 0, 255).astype(np.uint8)
            return self._scores([self._model_input(im) for im in imgs], expect=self._k, fast=fast, where=where)

        masker = shap.maskers.Image(baseline_image(self.params["baseline"], image), image.shape)
        explainer = shap.PartitionExplainer(f, masker)
        with _model_errors(f"SHAP values of image {index}", ours=(ValueError, TypeError)):
            sv = explainer(
                image[None].astype(np.float32),
                max_evals=int(self.params["max_evals"]),
                batch_size=int(self.params["batch_size"]),
                outputs=np.asarray(targets),
                silent=True,
            )
        values = np.asarray(sv.values)[0]  # (H, W, C, t)
        return np.moveaxis(values.sum(2), -1, 0)

    def _check_inputs(self, originals: list[np.ndarray], inputs: list) -> None:
        """Array baselines have each image's shape; preprocess gave finite numbers (the default always does)."""
        check_baseline_sizes(self.params, originals)
        if self.preprocess is not default_preprocess:
            finite = [
                bool(np.isfinite(x).all()) if isinstance(x, np.ndarray) else bool(x.isfinite().all()) for x in inputs
            ]
            bad = [i for i, ok in enumerate(finite) if not ok]
            if bad:
                raise ValueError(
                    f"preprocess returned NaN or infinite values for images {shown(bad)}: check its normalisation "
                    "(e.g. a standard deviation of 0)."
                )

    # --- the whole run ------------------------------------------------------------------------------
    def explain(
        self, images, targets=None, y_true=None, progress: bool | None = None, faithfulness: bool = False
    ) -> ImageExplanation:
        """Attributions for each image and target.

        Parameters
        ----------
        images : array or list
            An (N, H, W, C) uint8 or [0, 1] float array, or a list of such arrays or PIL images (sizes may
            differ).
        targets : optional
            None (the predicted class; for multilabel each label with probability > 0.5, or the top one),
            one class for all images, one per image, or a list of classes per image. Classes by name or
            index.
        y_true : array_like, optional
            True labels (names or indices; for multilabel an (N, k) 0/1 array).
        progress : bool, optional
            Show a progress bar (default: from two images or batches on).
        faithfulness : bool
            Also compute each map's deletion and insertion curves (``self.faithfulness``): 42 more forward
            passes per map, several times the cost of a Grad-CAM or guided backprop map (one forward and one
            backward pass) and about a third of an integrated gradients map at 50 steps
            (bench/faithfulness.py).

        Returns
        -------
        ImageExplanation
            ``attributions[i]`` is (H_i, W_i) with one target per image, or (t_i, H_i, W_i) when any image
            was given a list of targets (or multilabel defaults). Integrated gradients' explanations carry
            ``completeness`` (each map's sum against f(x) - f(baseline): one more forward pass per image).

        Raises
        ------
        ValueError
            Images of the wrong shape or range, unknown targets, ``y_true`` that does not match.
        TypeError
            Images that are not arrays or PIL images, or a preprocess that returns something else.
        """
        progress = check_progress(progress)
        if not isinstance(faithfulness, (bool, np.bool_)):
            raise TypeError(f"faithfulness must be True or False, not {shown(faithfulness)}.")
        originals = as_images(images)
        inputs = [self._model_input(im) for im in originals]
        self._check_inputs(originals, inputs)
        n, batched = len(originals), self.method in BATCHED_METHODS
        if batched and targets is not None:
            scores = None  # taken from the attribution's own forward pass; one image tells the number of outputs
            self._k = self._probe(inputs[:1]).shape[1]
        else:
            scores = self._probe(inputs)
            self._k = scores.shape[1]
        names = self.classes if self.classes is not None else list(range(self._k))
        if targets is None:
            assert scores is not None, "without targets every method starts with the model's scores"
            per_image, multi = self._default_targets(self._probabilities(scores)[0])
        else:
            per_image, multi = target_indices(targets, n, names)
        y_true = true_labels(y_true, n, names, self.multilabel)

        attributions: list = [None] * n
        if batched:
            row_scores: list = [None] * n
            rows = [(i, t) for i, ts in enumerate(per_image) for t in ts]
            by_shape: dict = {}
            for r in rows:
                by_shape.setdefault(tuple(inputs[r[0]].shape), []).append(r)
            bs = int(self.params["batch_size"])
            chunks = [g[s : s + bs] for g in by_shape.values() for s in range(0, len(g), bs)]
            maps: dict = {}
            show = len(chunks) >= 2 if progress is None else progress
            for chunk in tqdm(chunks, desc=self.method, disable=not show, leave=False):
                import torch

                a, out = self._gradient_batch(
                    torch.stack([inputs[i] for i, _ in chunk]), [t for _, t in chunk], [i for i, _ in chunk]
                )
                for j, (i, _) in enumerate(chunk):
                    maps.setdefault(i, []).append(a[j])
                    row_scores[i] = out[j] if row_scores[i] is None else row_scores[i]
            for i, image in enumerate(originals):
                attributions[i] = to_image_size(np.stack(maps[i]).astype(np.float64), image.shape[:2])
            if scores is None:
                scores = np.stack(row_scores)
                if scores.shape[1] != self._k:
                    raise ValueError(
                        f"the model returns {scores.shape[1]} scores per image but {self._k} classes were given."
                    )
                _check_finite_scores(scores)
        else:
            assert scores is not None, "only batched methods given targets take the scores from their own pass"
            work = zip(originals, inputs, per_image, strict=True)
            with reuse_large_buffers():  # many batched passes per image: keep their buffers between passes
                bar = tqdm(
                    work, total=n, desc=self.method, disable=not (n >= 2 if progress is None else progress), leave=False
                )
                for i, (image, x, ts) in enumerate(bar):
                    a = np.asarray(self._attribute(image, x, ts, i), dtype=np.float64)
                    attributions[i] = to_image_size(a, image.shape[:2])
        bad = [i for i, a in enumerate(attributions) if not np.isfinite(a).all()]
        if bad:
            raise ModelPredictError(
                f"the {self.method} maps of images {shown(bad)} have NaN or infinite values: the model's gradients "
                "(or its scores on changed copies of the image) are not finite there, so no map can be trusted."
            )
        probabilities, units = self._probabilities(scores)
        if self.multilabel:
            task, y_pred = "multilabel", probabilities > 0.5
        else:
            task, y_pred = "classification", np.array([names[j] for j in scores.argmax(1)])
        target_arr: list[int] | list[np.ndarray]
        if not multi:
            attributions = [a[0] for a in attributions]
            target_arr = [ts[0] for ts in per_image]
        else:
            target_arr = [np.asarray(ts, dtype=np.int64) for ts in per_image]
        params = {k: jsonable_param(v) for k, v in self.params.items()}
        if self.method in ("gradcam", "guided_gradcam"):
            params["target_layer"] = layer_name(self.model, self.layer)
        exp = ImageExplanation(
            images=originals,
            attributions=attributions,
            targets=target_arr,
            method=self.method,
            params=params,
            output_names=names,
            task=task,
            units=units,
            y_pred=y_pred,
            model_output=scores,
            probabilities=probabilities,
            y_true=y_true,
        )
        if self.method == "integrated_gradients":
            from rai_widget.explainers._faithfulness import completeness

            exp.completeness = completeness(self, exp, originals, self.params["baseline"])
        if faithfulness:
            self.faithfulness(exp, progress=progress)
        return exp

    # --- checks of the maps against the model -------------------------------------------------------
    def faithfulness(self, exp, images=None, steps: int = 20, progress: bool | None = None):
        """Deletion and insertion curves of each map of an explanation, and their AUCs.

        The target's probability as pixels are replaced by the blurred image in the map's order (deletion
        AUC, lower is better) or restored into it (insertion AUC, higher is better). The blurred image is
        the baseline of every method, so methods side by side rank for this model. Cost: 2 x (steps + 1)
        forward passes per map, a map's in one or a few batched calls.

        Parameters
        ----------
        exp : ImageExplanation
            An explanation of this model (any method); the result is stored on it as ``exp.faithfulness``.
        images : array or list, optional
            The images, as ``explain()`` takes them (default: the explanation's own).
        steps : int
            Shares of the pixels between 0 and all (``steps + 1`` points per curve).
        progress : bool, optional
            Show a progress bar (default: for large work).

        Returns
        -------
        Faithfulness
            The curves and AUCs per map; ``.to_frame()``: one row per map.

        Raises
        ------
        ValueError
            An explanation of another model (its outputs differ from this model's), or steps out of range.
        """
        from rai_widget.explainers._faithfulness import faithfulness

        return faithfulness(self, exp, images, steps=steps, progress=progress)

    def sanity_check(self, images, targets=None, layers=None, random_state: int = 0, progress: bool | None = None):
        """Model-parameter randomisation test (Adebayo et al. 2018).

        This method's maps on a copy of the model whose top ``layers`` are randomised, against its maps on
        the model; a method whose maps barely change (rank correlation of |map| above 0.8) may not reflect
        the model. The model itself is not touched. Cost: one ``explain()`` on the randomised copy (two when
        given images), and a copy of the model in memory.

        Parameters
        ----------
        images : ImageExplanation, array or list
            Images (as ``explain()`` takes them), or an ImageExplanation of this method: its maps, images
            and targets are used (no second run on the model) and the result is stored on its ``sanity``.
        targets : optional
            As in ``explain()`` (images only; both runs explain the same targets).
        layers : int or list of str, optional
            How many of the model's top weight layers (Conv2d / Linear, last first) to randomise (default 3,
            or all when the model has fewer), or a list of their names (as in ``model.named_modules()``).
        random_state : int
            Seed of the random weights (normal, with each layer's own weights' standard deviation).
        progress : bool, optional
            Show a progress bar (default: for large work).

        Returns
        -------
        SanityCheck
            ``.passed``, ``.rank_correlation``, ``.ssim`` per map; ``.to_frame()``.

        Raises
        ------
        ValueError
            Unknown layer names, or an explanation of another method.
        TypeError
            A model that is not a torch module.
        """
        from rai_widget.explainers._sanity import sanity_check

        return sanity_check(self, images, targets, layers=layers, random_state=random_state, progress=progress)
