"""ImageExplanation: pixel attributions for images (from ImageExplainer)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from rai_widget.explanations import _columns as C
from rai_widget.explanations._base import Explanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations._format import outcome_from_arrays, outcome_to_arrays


def _stack_if_same(items: list):
    """One array when every item has the same shape, else the list."""
    if items and all(np.shape(a) == np.shape(items[0]) for a in items):
        return np.stack(items)
    return list(items)


class ImageExplanation(Explanation):
    """Pixel attributions for images (from ImageExplainer).

    images : (n, H, W, C) uint8, or a list of (H_i, W_i, C) arrays when sizes differ.
    attributions : one map per image at the image's own resolution: (n, H, W) (or a list of
        (H_i, W_i)) with one target per image; (n, t, H, W) (or a list of (t_i, H_i, W_i)) when
        targets were given as a list per image or chosen per label (multilabel).
    targets : output index explained, (n,) ints; or (n, t) / a list of int arrays per image.
    model_output : (n, k) scores as the model returned them, in `units` ("logit", "log-odds"
        for multilabel logits, or "probability"); `probabilities` (n, k) softmax / sigmoid of them.
    task : "classification" (y_pred: names, (n,)) or "multilabel" (y_pred: (n, k) bool).
    """

    kind = "image"
    tasks = ("classification", "multilabel")

    def __init__(
        self,
        *,
        images,
        attributions,
        targets,
        method: str,
        params: dict,
        output_names: list,
        task: str,
        units: str,
        y_pred: np.ndarray,
        model_output: np.ndarray,
        probabilities: np.ndarray | None = None,
        y_true: np.ndarray | None = None,
    ):
        self.images = _stack_if_same([np.asarray(im) for im in images])
        self.attributions = _stack_if_same([np.asarray(a) for a in attributions])
        self.targets = _stack_if_same([np.asarray(t) for t in targets])
        self.method = method
        self.params = dict(params)
        self.output_names = list(output_names)
        self.task = task
        self.units = units
        self.y_pred = np.asarray(y_pred)
        self.model_output = np.asarray(model_output)
        self.probabilities = probabilities
        self.y_true = None if y_true is None else np.asarray(y_true)
        self._validate()

    def __len__(self) -> int:
        return len(self.images)

    def __repr__(self) -> str:
        sizes = {tuple(np.shape(im)[:2]) for im in self.images}
        size = f"{sizes.pop()}" if len(sizes) == 1 else f"{len(sizes)} sizes"
        return (
            f"ImageExplanation({len(self)} images {size}, method={self.method!r}, task={self.task!r}, "
            f"outputs={len(self.output_names)}, units={self.units!r})"
        )

    @property
    def multi_target(self) -> bool:
        """True when each image has a list of targets (attributions[i] is (t_i, H, W))."""
        return np.ndim(self.targets[0]) == 1

    def attribution(self, i: int, output=None) -> np.ndarray:
        """Image i's (H, W) map for an output (name or index; default its first target)."""
        a, ts = self.attributions[i], np.atleast_1d(self.targets[i])
        if not self.multi_target:
            a = np.asarray(a)[None]
        if output is None:
            return np.asarray(a[0])
        k = self.output_index(output)
        if k not in ts:
            raise ValueError(
                f"image {i} was explained for {[self.output_names[t] for t in ts]}, not {self.output_names[k]!r}."
            )
        return np.asarray(a[int(np.flatnonzero(ts == k)[0])])

    def column_spec(self) -> CohortColumns:
        """index, y_true, y_pred, correct, confidence (single-label). Label columns keep only the classes
        some image has: 1,000 ImageNet classes would fill the cohort editor's lists."""
        cols = C.outcome_columns(
            n=len(self),
            task=self.task,
            output_names=self.output_names,
            y_pred=self.y_pred,
            y_true=self.y_true,
            probabilities=self.probabilities,
            present_only=True,
        )
        return CohortColumns(cols, len(self))

    def to_shap(self, output=None):
        """A shap.Explanation over the images (images of one size only): values (n, H, W), or (n, t, H, W)
        when images have several targets; for one output (name or index), each image's map for it (n, H, W)."""
        import shap

        if isinstance(self.attributions, list):
            raise ValueError("to_shap() needs images of one size (these differ).")
        if output is None:
            return shap.Explanation(values=self.attributions, data=self.images, output_names=self.output_names)
        k = self.output_index(output)
        maps = np.stack([self.attribution(i, k) for i in range(len(self))])
        return shap.Explanation(values=maps, data=self.images, output_names=None)

    def _to_arrays(self):
        meta, arrays = outcome_to_arrays(self)
        for i in range(len(self)):
            arrays[f"image_{i}"] = np.asarray(self.images[i])
            arrays[f"attributions_{i}"] = np.asarray(self.attributions[i])
            arrays[f"targets_{i}"] = np.asarray(self.targets[i])
        return {**meta, "n": len(self), "method": self.method, "params": self.params}, arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        n = meta["n"]
        return cls(
            images=[arrays[f"image_{i}"] for i in range(n)],
            attributions=[arrays[f"attributions_{i}"] for i in range(n)],
            targets=[arrays[f"targets_{i}"] for i in range(n)],
            method=meta["method"],
            params=meta["params"],
            **outcome_from_arrays(meta, arrays),
        )


def targets_of(exp, i: int) -> list[int]:
    return [int(t) for t in np.atleast_1d(np.asarray(exp.targets[i]))]


def comparable_images(explanations: Iterable[object]) -> list[ImageExplanation]:
    """The explanations, checked to be ImageExplanations of the same images, targets and predictions.

    Several methods on one set of images go side by side in one dashboard; anything that would make
    the panels disagree about what they show is an error that names the first difference.
    """
    items = list(explanations)
    if not items:
        raise ValueError(
            "ExplanationDashboard got an empty list: pass an explanation, or a list of "
            "ImageExplanations of the same images (one per method)."
        )
    exps: list[ImageExplanation] = []
    for j, e in enumerate(items):
        if not isinstance(e, ImageExplanation):
            raise TypeError(
                f"a list of explanations shows several attribution methods side by side, so every "
                f"item must be an ImageExplanation; item {j} is a {type(e).__name__}. Pass a single "
                f"explanation on its own."
            )
        exps.append(e)

    def name(j):
        return f"explanation {j} ({exps[j].method})"

    first = exps[0]
    for j, e in enumerate(exps[1:], start=1):
        if len(e) != len(first):
            raise ValueError(
                f"{name(j)} explains {len(e)} images but {name(0)} explains {len(first)}: "
                f"explain the same images with each method."
            )
        if [str(o) for o in e.output_names] != [str(o) for o in first.output_names]:
            raise ValueError(
                f"{name(j)} has outputs {e.output_names[:5]}... but {name(0)} has "
                f"{first.output_names[:5]}...: use the same classes for each method."
            )
        if e.task != first.task:
            raise ValueError(f"{name(j)} is a {e.task!r} explanation but {name(0)} is {first.task!r}.")
        for i in range(len(first)):
            a, b = np.asarray(first.images[i]), np.asarray(e.images[i])
            if a.shape != b.shape or not np.array_equal(a, b):
                raise ValueError(
                    f"image {i} differs between {name(0)} and {name(j)}: explain the same images, "
                    f"in the same order, with each method."
                )
            if targets_of(first, i) != targets_of(e, i):
                raise ValueError(
                    f"image {i} was explained for outputs {targets_of(first, i)} by {name(0)} but "
                    f"{targets_of(e, i)} by {name(j)}: pass the same targets= to every explain()."
                )
        if (first.y_true is None) != (e.y_true is None) or (
            first.y_true is not None and not np.array_equal(np.asarray(first.y_true), np.asarray(e.y_true))
        ):
            raise ValueError(
                f"the true labels (y_true) of {name(j)} differ from those of {name(0)}: pass the "
                f"same y_true= to every explain()."
            )
        same_pred = np.asarray(first.y_pred).shape == np.asarray(e.y_pred).shape and np.array_equal(
            np.asarray(first.y_pred), np.asarray(e.y_pred)
        )
        if not same_pred:
            raise ValueError(
                f"the predictions of {name(j)} differ from those of {name(0)}: the explanations come "
                f"from different models. Side by side compares methods on one model."
            )
    return exps
