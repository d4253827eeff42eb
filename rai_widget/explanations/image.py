"""ImageExplanation: pixel attributions for images (from ImageExplainer)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from rai_widget._checks import shown as _shown
from rai_widget.explanations import _columns as C
from rai_widget.explanations._base import Explanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations._format import outcome_from_arrays, outcome_to_arrays
from rai_widget.explanations._image_checks import CHECKS, Completeness, Faithfulness, SanityCheck

# The attribution methods an ImageExplanation can hold (rai_widget.explainers.image.METHODS has their parameters).
METHODS = ("integrated_gradients", "guided_backprop", "gradcam", "guided_gradcam", "xrai", "shap")
UNITS = ("logit", "log-odds", "probability")


def shown(value, limit: int = 10) -> str:
    """`_checks.shown` for any value, numpy 0-d arrays included (a scalar of the user's, for a message)."""
    return _shown(value.tolist() if isinstance(value, np.ndarray) else value, limit)


def check_images(images, n: int) -> None:
    """Stored images: n arrays (H, W, C) of uint8 with no empty dimension (shared with detection)."""
    if len(images) != n:
        raise ValueError(f"images has {len(images)} images for {n} explained items.")
    for i, im in enumerate(images):
        shape, dtype = np.shape(im), np.asarray(im).dtype
        if len(shape) != 3 or min(shape) < 1 or dtype != np.uint8:
            raise ValueError(
                f"image {i} is a {dtype} array of shape {shape}; stored images are (H, W, C) uint8 with H, W, C >= 1."
            )


def check_maps(maps, n: int, name: str, shape_of, per: str = "target") -> None:
    """n numeric, finite maps; shape_of(i) is map i's expected shape (one map per `per` at the image's size)."""
    if len(maps) != n:
        raise ValueError(f"{name} has {len(maps)} entries for {n} images: one per image.")
    for i, a in enumerate(maps):
        a = np.asarray(a)
        want = shape_of(i)
        if a.shape != want:
            raise ValueError(f"{name}[{i}] has shape {a.shape}, not {want}: one map per {per} at image {i}'s size.")
        if a.dtype.kind not in "iuf":
            raise TypeError(f"{name}[{i}] holds {a.dtype}, not numbers.")
        if not np.isfinite(a).all():
            raise ValueError(f"{name}[{i}] has NaN or infinite values: a map of image {i} is not a number everywhere.")


def unknown_labels(values, names: Sequence) -> list:
    """The values that are not among `names` (compared as text, as the cohort columns compare them)."""
    texts = {str(c) for c in names}
    return [v for v in np.asarray(values, dtype=object).ravel().tolist() if str(v) not in texts]


def _flags(y):
    """A multilabel (n, k) array of 0/1 numbers as booleans (files and callers may hold ints); anything else as is."""
    if y is None:
        return None
    arr = np.asarray(y)
    if arr.dtype.kind in "iuf" and arr.size and np.isin(arr, (0, 1)).all():
        return arr.astype(bool)
    return arr


def _stack_if_same(items: list):
    """One array when every item has the same shape, else the list."""
    if items and all(np.shape(a) == np.shape(items[0]) and a.dtype == items[0].dtype for a in items):
        return np.stack(items)
    return list(items)


class ImageExplanation(Explanation):
    """Pixel attributions for images (from ``ImageExplainer.explain``).

    Every parameter is also the attribute of that name. The checks of the maps against the model
    (``faithfulness``, ``completeness``, ``sanity``) are None until computed, and saved and loaded with
    the explanation.

    Parameters
    ----------
    images : array or list
        (n, H, W, C) uint8, or a list of (H_i, W_i, C) arrays when sizes differ.
    attributions : array or list
        One map per image at the image's own resolution: (n, H, W) (or a list of (H_i, W_i)) with one
        target per image; (n, t, H, W) (or a list of (t_i, H_i, W_i)) when targets were given as a list
        per image or chosen per label (multilabel).
    targets : array or list
        Output index explained, (n,) ints; or (n, t) / a list of int arrays per image.
    method : str
        The attribution method (``"integrated_gradients"``, ``"gradcam"``, ...).
    params : dict
        The method's settings, as the explainer used them.
    output_names : list
        The classes.
    task : str
        ``"classification"`` (y_pred: names, (n,)) or ``"multilabel"`` (y_pred: (n, k) bool).
    units : str
        What ``model_output`` is in: ``"logit"``, ``"log-odds"`` for multilabel logits, or
        ``"probability"``.
    y_pred : ndarray
        The predicted class of each image (multilabel: an (n, k) boolean array).
    model_output : ndarray
        (n, k) scores as the model returned them, in ``units``.
    probabilities : ndarray, optional
        (n, k) softmax / sigmoid of the scores.
    y_true : ndarray, optional
        The true labels, when given to ``explain()``.
    faithfulness : Faithfulness, optional
        Deletion / insertion curves and AUCs per map (``ImageExplainer.faithfulness(exp)``).
    completeness : Completeness, optional
        Integrated gradients' sum of attributions against f(x) - f(baseline) (set by ``explain()``).
    sanity : SanityCheck, optional
        How much the maps change on a randomised model (``ImageExplainer.sanity_check(exp)``).

    Raises
    ------
    ValueError
        Fields that do not make one consistent explanation (shapes, targets, labels), named.
    TypeError
        A field of the wrong type.
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
        faithfulness: Faithfulness | None = None,
        completeness: Completeness | None = None,
        sanity: SanityCheck | None = None,
    ):
        self.images = _stack_if_same([np.asarray(im) for im in images])
        self.attributions = _stack_if_same([np.asarray(a) for a in attributions])
        self.targets = _stack_if_same([np.asarray(t) for t in targets])
        self.method = method
        self.params = dict(params) if isinstance(params, dict) else params  # (anything else: _validate says so)
        self.output_names = list(output_names)
        self.task = task
        self.units = units
        self.y_pred = np.asarray(y_pred) if task != "multilabel" else _flags(y_pred)
        self.model_output = np.asarray(model_output)
        self.probabilities = probabilities
        self.y_true = None if y_true is None else np.asarray(y_true) if task != "multilabel" else _flags(y_true)
        self.faithfulness = faithfulness
        self.completeness = completeness
        self.sanity = sanity
        self._validate()

    def __len__(self) -> int:
        return len(self.images)

    def _validate(self) -> None:
        """The base checks, then: images (H, W, C) uint8; targets output indices, one per image or a non-empty
        list per image (all alike); one finite map per target at each image's size; a known method;
        probabilities (n, k) in [0, 1] (rows summing to 1 for single-label); labels among the output names
        (single-label) or (n, k) booleans (multilabel)."""
        super()._validate()
        n, k = len(self), len(self.output_names)
        check_images(self.images, n)
        if self.method not in METHODS:
            raise ValueError(f"method is {shown(self.method)}; an ImageExplanation has one of {', '.join(METHODS)}.")
        if not isinstance(self.params, dict):
            raise TypeError(f"params must be a dict of the method's settings, not {type(self.params).__name__}.")
        if self.units not in UNITS:
            raise ValueError(f"units is {shown(self.units)}; an ImageExplanation's are one of {', '.join(UNITS)}.")
        if len(self.targets) != n:
            raise ValueError(f"targets has {len(self.targets)} entries for {n} images: one per image.")
        targets = [np.asarray(t) for t in self.targets]
        ndims = {t.ndim for t in targets}
        if len(ndims) != 1 or not ndims <= {0, 1}:
            raise ValueError(
                "targets must be one output index per image, or one list of output indices per image (for every "
                f"image alike); got entries with {sorted(ndims)} dimensions."
            )
        for i, t in enumerate(targets):
            if t.dtype.kind not in "iu" or t.size == 0 or t.min() < 0 or t.max() >= k:
                raise ValueError(
                    f"targets[{i}] is {shown(t)}; targets are output indices 0..{k - 1} (at least one per image)."
                )
        multi = ndims == {1}

        def map_shape(i: int) -> tuple:
            size = tuple(np.shape(self.images[i])[:2])
            return (len(targets[i]), *size) if multi else size

        check_maps(self.attributions, n, "attributions", map_shape)
        self.check_results()
        if self.probabilities is not None:
            p = np.asarray(self.probabilities)
            if p.shape != (n, k) or p.dtype.kind not in "iuf":
                raise ValueError(
                    f"probabilities has shape {p.shape}, not ({n}, {k}): one row per image, one column per output."
                )
            if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
                raise ValueError("probabilities must be finite numbers in [0, 1].")
            if self.task == "classification" and not np.allclose(p.sum(1), 1, atol=1e-3):
                raise ValueError("probabilities of a single-label classification must sum to 1 in every row.")
        for name in ("y_pred", "y_true"):
            y = getattr(self, name)
            if y is None:
                continue
            if self.task == "multilabel":
                if y.shape != (n, k) or y.dtype != bool:
                    raise ValueError(
                        f"{name} of a multilabel explanation must be ({n}, {k}) booleans, one column per output; "
                        f"got {y.dtype} of shape {y.shape}."
                    )
                continue
            if y.ndim != 1:
                raise ValueError(f"{name} must hold one label per image, shape ({n},); got shape {y.shape}.")
            unknown = unknown_labels(y, self.output_names)
            if unknown:
                raise ValueError(f"{name} has labels that are not output names: {shown(unknown)}.")

    def __repr__(self) -> str:
        sizes = {tuple(np.shape(im)[:2]) for im in self.images}
        size = f"{sizes.pop()}" if len(sizes) == 1 else f"{len(sizes)} sizes"
        return (
            f"ImageExplanation({len(self)} images {size}, method={self.method!r}, task={self.task!r}, "
            f"outputs={len(self.output_names)}, units={self.units!r})"
        )

    def pairs(self) -> list[tuple[int, int]]:
        """The (image, output index) pair of each map, in order: the rows of the checks.

        Returns
        -------
        list of tuple of int
            One ``(image, output index)`` pair per map.
        """
        return [(i, t) for i in range(len(self)) for t in targets_of(self, i)]

    def check_results(self) -> None:
        """Each check present is of its class and has one row per map, in order (computed on these maps)."""
        pairs = self.pairs()
        for name, cls in CHECKS.items():
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, cls):
                raise TypeError(f"{name} must be a {cls.__name__} or None, not {type(value).__name__}.")
            value.check_rows(pairs, name)

    @property
    def multi_target(self) -> bool:
        """True when each image has a list of targets (attributions[i] is (t_i, H, W))."""
        return np.ndim(self.targets[0]) == 1

    def attribution(self, i: int, output=None) -> np.ndarray:
        """One image's map for one output.

        Parameters
        ----------
        i : int
            The image.
        output : str or int, optional
            The output (name or index); default the image's first target.

        Returns
        -------
        ndarray
            The (H, W) map, at the image's resolution.

        Raises
        ------
        ValueError
            The image was not explained for that output.
        """
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
        """The explanation as a ``shap.Explanation``, so shap's plots work too.

        Parameters
        ----------
        output : str or int, optional
            One output (name or index): each image's map for it, (n, H, W). None: values (n, H, W), or
            (n, t, H, W) when images have several targets.

        Returns
        -------
        shap.Explanation
            Values, the images as data, and the output names. With every output it also carries, as a dict
            attribute ``.rai_widget``, what shap has no field for (targets, method, model outputs, task, units),
            so ``rw.from_shap(exp.to_shap())`` gives this explanation back; shap ignores it.

        Raises
        ------
        ValueError
            Images of several sizes (shap needs one array), or an output some image was not explained for.
        """
        import shap

        if isinstance(self.attributions, list):
            raise ValueError("to_shap() needs images of one size (these differ).")
        if output is None:
            from rai_widget.explanations._from_shap import carry

            # what shap has no field for, as `.rai_widget`, so rw.from_shap(exp.to_shap()) gives this explanation back
            result = shap.Explanation(values=self.attributions, data=self.images, output_names=self.output_names)
            return carry(result, self, targets=self.targets, method=self.method, params=self.params)
        k = self.output_index(output)
        maps = np.stack([self.attribution(i, k) for i in range(len(self))])
        return shap.Explanation(values=maps, data=self.images, output_names=None)

    def _to_arrays(self):
        meta, arrays = outcome_to_arrays(self)
        for i in range(len(self)):
            arrays[f"image_{i}"] = np.asarray(self.images[i])
            arrays[f"attributions_{i}"] = np.asarray(self.attributions[i])
            arrays[f"targets_{i}"] = np.asarray(self.targets[i])
        meta = {**meta, "n": len(self), "method": self.method, "params": self.params}
        for name in CHECKS:
            check = getattr(self, name)
            if check is not None:
                meta[name], more = check.to_arrays(name)
                arrays.update(more)
        return meta, arrays

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
            **{name: cls.from_arrays(name, meta.get(name), arrays) for name, cls in CHECKS.items()},
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
