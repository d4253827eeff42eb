"""The checks an ImageExplanation can carry: how far to trust its maps, computed against the model.

- ``Faithfulness``: deletion and insertion curves per map (Petsiuk et al. 2018, RISE) and their AUCs.
- ``Completeness``: integrated gradients' sum of attributions against f(x) - f(baseline).
- ``SanityCheck``: model-parameter randomisation (Adebayo et al. 2018): how much the maps change when the
  model's top layers are randomised.

Each holds one row per (image, target) pair, in the explanation's order (image 0's targets, then image 1's, ...),
as plain arrays, so it saves in the .npz format without pickle (``to_arrays`` / ``from_arrays``: arrays named
``<prefix>_<field>``, settings as JSON in the header). numpy only: the explainers compute them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar

import numpy as np

# A map whose rank correlation with the randomised model's map is above this barely changed: the method fails the
# check. Adebayo et al. show guided backprop at ~0.9-1.0 under any randomisation; integrated gradients' |map| keeps
# the image's own edges through its (x - baseline) factor, so it stays near 0.5 even on a random model (0.21-0.53 on
# the demo's photos), while Grad-CAM falls to ~0. 0.8 separates "barely changes" from "changes".
RANK_LIMIT = 0.8


def trapezoid(curves: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """Area under each row of `curves` over `fractions` (0..1) by the trapezoid rule: in [0, 1] for scores in [0, 1]."""
    c = np.asarray(curves, dtype=np.float64)
    return ((c[..., 1:] + c[..., :-1]) / 2 * np.diff(fractions)).sum(-1)


def _rows(image, target) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(image, dtype=np.int64), np.asarray(target, dtype=np.int64)


@dataclass(eq=False)
class _Check:
    """Rows of (image, target) and a few settings; subclasses name their array fields in ARRAYS."""

    image: np.ndarray
    target: np.ndarray
    ARRAYS: ClassVar[tuple[str, ...]] = ()

    def to_arrays(self, prefix: str) -> tuple[dict, dict]:
        arrays = {f"{prefix}_{name}": np.asarray(getattr(self, name)) for name in self.ARRAYS}
        settings = {f.name: getattr(self, f.name) for f in fields(self) if f.init and f.name not in self.ARRAYS}
        return settings, arrays

    @classmethod
    def from_arrays(cls, prefix: str, settings: dict | None, arrays: dict):
        if settings is None:  # files written before this check existed
            return None
        return cls(**settings, **{name: arrays[f"{prefix}_{name}"] for name in cls.ARRAYS})

    def check_rows(self, pairs: list[tuple[int, int]], what: str) -> None:
        """The rows are the explanation's (image, target) pairs, in its order."""
        got = list(zip(np.asarray(self.image).tolist(), np.asarray(self.target).tolist(), strict=True))
        if got != pairs:
            raise ValueError(
                f"{what} has rows for (image, target) pairs {got[:5]}... but the explanation has {pairs[:5]}...: "
                "it was computed on another explanation."
            )

    def frame(self, output_names: list | None, **columns):
        import pandas as pd

        image, target = np.asarray(self.image), np.asarray(self.target)
        names = [output_names[t] for t in target] if output_names is not None else target
        return pd.DataFrame({"image": image, "target": names, **columns})


@dataclass(eq=False)
class Faithfulness(_Check):
    """Deletion and insertion curves of each map: the model's score for the explained target as pixels are
    replaced by the baseline in attribution order (deletion: from the image; lower area is better) or restored
    from it (insertion: from the baseline; higher is better). Pixels go in order of decreasing value: signed maps
    by their positive evidence first, unsigned ones (Grad-CAM, XRAI) by strength; ties in random order (seed 0).

    image, target : (r,) the row's image and output index. fractions : (S + 1,) the share of pixels removed /
    added at each step, 0 to 1. deletion, insertion : (r, S + 1) the target's score (``score``: a probability)
    at each step. baseline : what removed pixels become ("blur": the image blurred, the same for every method).
    """

    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    baseline: str = "blur"
    score: str = "probability"
    ARRAYS: ClassVar[tuple[str, ...]] = ("image", "target", "fractions", "deletion", "insertion")

    def __post_init__(self):
        self.image, self.target = _rows(self.image, self.target)
        self.fractions = np.asarray(self.fractions, dtype=np.float64)
        self.deletion = np.asarray(self.deletion, dtype=np.float64)
        self.insertion = np.asarray(self.insertion, dtype=np.float64)
        r, s = len(self.image), len(self.fractions)
        if self.target.shape != (r,) or s < 2:
            raise ValueError(f"faithfulness has {r} images for {len(self.target)} targets and {s} steps.")
        if not (self.fractions[0] == 0 and self.fractions[-1] == 1 and (np.diff(self.fractions) > 0).all()):
            raise ValueError("faithfulness fractions must rise from 0 to 1.")
        for name in ("deletion", "insertion"):
            c = getattr(self, name)
            if c.shape != (r, s) or not np.isfinite(c).all() or c.min() < 0 or c.max() > 1:
                raise ValueError(f"faithfulness {name} curves must be ({r}, {s}) scores in [0, 1]; got {c.shape}.")

    @property
    def deletion_auc(self) -> np.ndarray:
        """(r,) area under each deletion curve, in [0, 1]: lower is better (the score falls as soon as the
        pixels the map ranks first are gone)."""
        return trapezoid(self.deletion, self.fractions)

    @property
    def insertion_auc(self) -> np.ndarray:
        """(r,) area under each insertion curve, in [0, 1]: higher is better."""
        return trapezoid(self.insertion, self.fractions)

    def to_frame(self, output_names: list | None = None):
        """One row per (image, target): deletion_auc (lower is better), insertion_auc (higher is better)."""
        return self.frame(output_names, deletion_auc=self.deletion_auc, insertion_auc=self.insertion_auc)

    def __repr__(self) -> str:
        return (
            f"Faithfulness({len(self.image)} maps, {len(self.fractions) - 1} steps, baseline={self.baseline!r}: "
            f"mean deletion AUC {self.deletion_auc.mean():.3f} (lower is better), "
            f"mean insertion AUC {self.insertion_auc.mean():.3f} (higher is better))"
        )


@dataclass(eq=False)
class Completeness(_Check):
    """Integrated gradients' completeness: each map's sum against f(x) - f(baseline) for its target, in the
    model's units. ``gap`` is their difference (0 when the integral is exact; more n_steps shrink it)."""

    attribution_sum: np.ndarray
    output_difference: np.ndarray
    ARRAYS: ClassVar[tuple[str, ...]] = ("image", "target", "attribution_sum", "output_difference")

    def __post_init__(self):
        self.image, self.target = _rows(self.image, self.target)
        self.attribution_sum = np.asarray(self.attribution_sum, dtype=np.float64)
        self.output_difference = np.asarray(self.output_difference, dtype=np.float64)
        r = len(self.image)
        for name in ("target", "attribution_sum", "output_difference"):
            v = getattr(self, name)
            if v.shape != (r,) or not np.isfinite(v).all():
                raise ValueError(f"completeness {name} must be {r} finite numbers, one per map; got shape {v.shape}.")

    @property
    def gap(self) -> np.ndarray:
        """(r,) sum of attributions - (f(x) - f(baseline))."""
        return self.attribution_sum - self.output_difference

    @property
    def relative_gap(self) -> np.ndarray:
        """(r,) the gap as a share of |f(x) - f(baseline)| (NaN where that is 0)."""
        d = np.abs(self.output_difference)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d > 0, self.gap / d, np.nan)

    def to_frame(self, output_names: list | None = None):
        return self.frame(
            output_names,
            attribution_sum=self.attribution_sum,
            output_difference=self.output_difference,
            gap=self.gap,
            relative_gap=self.relative_gap,
        )


@dataclass(eq=False)
class SanityCheck(_Check):
    """Model-parameter randomisation (Adebayo et al. 2018): each map against the same method's map of the same
    image and target on a copy of the model whose top ``layers`` were randomised.

    rank_correlation : (r,) Spearman's rank correlation of |map| and |randomised map| (1: the same ranking; 0 when
    either map is constant). ssim : (r,) structural similarity of the two |maps|, each scaled by its 99th
    percentile (NaN for maps under 3 pixels a side). passed : the map changed (rank correlation <= threshold); a
    map that did not may not reflect the model.
    """

    rank_correlation: np.ndarray
    ssim: np.ndarray
    layers: list = field(default_factory=list)
    threshold: float = RANK_LIMIT
    random_state: int = 0
    ARRAYS: ClassVar[tuple[str, ...]] = ("image", "target", "rank_correlation", "ssim")

    def __post_init__(self):
        self.image, self.target = _rows(self.image, self.target)
        self.rank_correlation = np.asarray(self.rank_correlation, dtype=np.float64)
        self.ssim = np.asarray(self.ssim, dtype=np.float64)
        self.layers = [str(x) for x in self.layers]
        r = len(self.image)
        rho = self.rank_correlation
        bad = rho.shape != (r,) or not np.isfinite(rho).all() or np.abs(rho).max(initial=0) > 1
        if self.target.shape != (r,) or bad:
            raise ValueError(f"sanity check rank correlations must be {r} numbers in [-1, 1], one per map.")
        if self.ssim.shape != (r,):
            raise ValueError(f"sanity check SSIM must have {r} values, one per map; got shape {self.ssim.shape}.")

    @property
    def passed(self) -> np.ndarray:
        """(r,) bool: the map changed when the model was randomised."""
        return self.rank_correlation <= self.threshold

    def to_frame(self, output_names: list | None = None):
        return self.frame(output_names, rank_correlation=self.rank_correlation, ssim=self.ssim, passed=self.passed)

    def __repr__(self) -> str:
        failed = int((~self.passed).sum())
        verdict = (
            f"{failed} of {len(self.image)} maps barely change (rank correlation > {self.threshold}): they may not "
            "reflect the model"
            if failed
            else f"every map changes (rank correlation <= {self.threshold})"
        )
        return f"SanityCheck(randomised {self.layers}: {verdict})"


CHECKS: dict[str, type[_Check]] = {"faithfulness": Faithfulness, "completeness": Completeness, "sanity": SanityCheck}
