"""What a text explanation carries about how far to trust it: faithfulness (ERASER) and SHAP's approximation.

`TextFaithfulness` holds, per text, the model's output for one class with the text whole, with its
top-k words removed and with only them kept (ERASER's comprehensiveness and sufficiency, DeYoung et
al. 2020), for a few k, and the same for a random choice of k words. `TextApproximation` says per
text whether SHAP's budget expanded the whole partition tree (then the values are the exact Owen
values), the additivity gap, and, where checked, the largest difference from an exact run.
Both are plain arrays, saved in the explanation's file (`to_arrays` / `from_arrays`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def k_label(k: int | float) -> str:
    """A requested k as people read it: 3 words, or 20% of the words."""
    return f"{k:g}" if isinstance(k, int) else f"{100 * k:g}%"


@dataclass
class TextFaithfulness:
    """Comprehensiveness and sufficiency of each text's explanation (ERASER), in the explanation's units.

    ks: the requested k's (whole words, or a share of a text's words in (0, 1)). k[i, j]: the number
    of words k_j is for text i (a share rounds up; capped at the text's length; 0 for a text without
    words, whose figures are NaN). class_index[i]: the output scored. full[i]: the model's output for
    it on the whole text; removed[i, j] / kept[i, j]: with text i's top-k[i, j] words (by their value
    toward that output) masked / with every other word masked, as the explainer's masker masks.
    random_removed / random_kept: the same for k words drawn at random (seed random_state).
    """

    ks: list
    k: np.ndarray
    class_index: np.ndarray
    full: np.ndarray
    removed: np.ndarray
    kept: np.ndarray
    random_removed: np.ndarray | None = None
    random_kept: np.ndarray | None = None
    output: str | int | None = None  # what was asked: None for each text's predicted output
    random_state: int | None = 0

    def __post_init__(self):
        self.k = np.asarray(self.k, dtype=np.int64)
        self.class_index = np.asarray(self.class_index, dtype=np.int64)
        for name in ("full", "removed", "kept", "random_removed", "random_kept"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, np.asarray(value, dtype=np.float64))

    def check(self, n: int, k: int) -> None:
        """ValueError unless every array fits n texts, len(ks) k's and k outputs."""
        m = len(self.ks)
        if not m or not all(_is_k(v) for v in self.ks):
            raise ValueError(f"faithfulness ks must be whole numbers >= 1 or shares in (0, 1], not {self.ks!r}.")
        shapes = {"k": (n, m), "class_index": (n,), "full": (n,), "removed": (n, m), "kept": (n, m)}
        if self.random_removed is not None or self.random_kept is not None:
            shapes |= {"random_removed": (n, m), "random_kept": (n, m)}
        for name, shape in shapes.items():
            value = getattr(self, name)
            if value is None or value.shape != shape:
                got = None if value is None else value.shape
                raise ValueError(f"faithfulness {name} has shape {got}, not {shape} ({n} texts, {m} k's).")
        if n and ((self.class_index < 0) | (self.class_index >= k)).any():
            raise ValueError(f"faithfulness class_index must name one of the {k} outputs.")
        if (self.k < 0).any():
            raise ValueError("faithfulness k holds a negative number of words.")

    # --- the figures ---------------------------------------------------------------------------
    def _figure(self, scores: np.ndarray) -> np.ndarray:
        out = self.full[:, None] - scores
        return np.where(self.k > 0, out, np.nan)

    @property
    def comprehensiveness(self) -> np.ndarray:
        """(n, len(ks)): how much removing the top-k words lowers the output (higher: the words mattered)."""
        return self._figure(self.removed)

    @property
    def sufficiency(self) -> np.ndarray:
        """(n, len(ks)): how much keeping only the top-k words lowers the output (lower: they suffice)."""
        return self._figure(self.kept)

    def _distinct(self) -> np.ndarray:
        """(n, len(ks)): the first of each text's k's that are equal once capped (AOPC averages distinct k's)."""
        first = np.ones(self.k.shape, dtype=bool)
        for j in range(1, self.k.shape[1]):
            first[:, j] = ~(self.k[:, :j] == self.k[:, j : j + 1]).any(axis=1)
        return first & (self.k > 0)

    def _aopc(self, figure: np.ndarray) -> np.ndarray:
        distinct = self._distinct()
        total = np.where(distinct, figure, 0.0).sum(axis=1)
        count = distinct.sum(axis=1)
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    @property
    def comprehensiveness_aopc(self) -> np.ndarray:
        """(n,): comprehensiveness averaged over each text's distinct k's (ERASER's AOPC)."""
        return self._aopc(self.comprehensiveness)

    @property
    def sufficiency_aopc(self) -> np.ndarray:
        """(n,): sufficiency averaged over each text's distinct k's."""
        return self._aopc(self.sufficiency)

    @property
    def random_comprehensiveness_aopc(self) -> np.ndarray | None:
        return None if self.random_removed is None else self._aopc(self._figure(self.random_removed))

    @property
    def random_sufficiency_aopc(self) -> np.ndarray | None:
        return None if self.random_kept is None else self._aopc(self._figure(self.random_kept))

    def table(self, output_names: list | None = None) -> pd.DataFrame:
        """One row per text: the class scored, its output, comprehensiveness and sufficiency per k and their AOPC."""
        names = list(output_names) if output_names is not None else None
        columns: dict = {
            "class": [names[c] for c in self.class_index] if names else self.class_index,
            "output": self.full,
        }
        comp, suff = self.comprehensiveness, self.sufficiency
        for j, k in enumerate(self.ks):
            columns[f"comprehensiveness@{k_label(k)}"] = comp[:, j]
        for j, k in enumerate(self.ks):
            columns[f"sufficiency@{k_label(k)}"] = suff[:, j]
        columns["comprehensiveness_aopc"] = self.comprehensiveness_aopc
        columns["sufficiency_aopc"] = self.sufficiency_aopc
        if self.random_removed is not None:
            columns["random_comprehensiveness_aopc"] = self.random_comprehensiveness_aopc
            columns["random_sufficiency_aopc"] = self.random_sufficiency_aopc
        return pd.DataFrame(columns)

    # --- the save format -----------------------------------------------------------------------
    def to_arrays(self) -> tuple[dict, dict]:
        meta = {"ks": list(self.ks), "output": self.output, "random_state": self.random_state}
        arrays = {
            "faithfulness_k": self.k,
            "faithfulness_class_index": self.class_index,
            "faithfulness_full": self.full,
            "faithfulness_removed": self.removed,
            "faithfulness_kept": self.kept,
        }
        if self.random_removed is not None and self.random_kept is not None:
            arrays |= {"faithfulness_random_removed": self.random_removed, "faithfulness_random_kept": self.random_kept}
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict) -> TextFaithfulness:
        ks = [int(v) if isinstance(v, int) else float(v) for v in meta["ks"]]
        return cls(
            ks=ks,
            k=arrays["faithfulness_k"],
            class_index=arrays["faithfulness_class_index"],
            full=arrays["faithfulness_full"],
            removed=arrays["faithfulness_removed"],
            kept=arrays["faithfulness_kept"],
            random_removed=arrays.get("faithfulness_random_removed"),
            random_kept=arrays.get("faithfulness_random_kept"),
            output=meta.get("output"),
            random_state=meta.get("random_state"),
        )


def _is_k(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return v >= 1
    return isinstance(v, float) and 0 < v <= 1


@dataclass
class TextApproximation:
    """How close each text's SHAP values are to the exact Owen values of the masker's partition tree.

    exact[i]: SHAP's budget (max_evals) expanded text i's whole tree, so its values are exact.
    evaluations_needed[i]: the masked texts a full expansion scores (the tree's internal nodes, each
    in every context the recursion reaches it). efficiency_gap[i]: max over outputs of
    |base + sum(values) - output| (additivity; Owen values keep it whatever the budget).
    max_abs_diff[i]: the largest |value - exact value| over text i's words and outputs, from an exact
    run (explainer.approximation_error); NaN where not checked.
    """

    max_evals: int
    exact: np.ndarray
    evaluations_needed: np.ndarray
    efficiency_gap: np.ndarray
    max_abs_diff: np.ndarray

    def __post_init__(self):
        self.max_evals = int(self.max_evals)
        self.exact = np.asarray(self.exact, dtype=bool)
        self.evaluations_needed = np.asarray(self.evaluations_needed, dtype=np.int64)
        self.efficiency_gap = np.asarray(self.efficiency_gap, dtype=np.float64)
        self.max_abs_diff = np.asarray(self.max_abs_diff, dtype=np.float64)

    def check(self, n: int) -> None:
        for name in ("exact", "evaluations_needed", "efficiency_gap", "max_abs_diff"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"approximation {name} has shape {getattr(self, name).shape}, not ({n},).")

    @property
    def checked(self) -> np.ndarray:
        """(n,): the texts compared with an exact run."""
        return ~np.isnan(self.max_abs_diff)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "exact": self.exact,
                "evaluations_needed": self.evaluations_needed,
                "max_evals": self.max_evals,
                "efficiency_gap": self.efficiency_gap,
                "max_abs_diff": self.max_abs_diff,
            }
        )

    def to_arrays(self) -> tuple[dict, dict]:
        return {"max_evals": self.max_evals}, {
            "approximation_exact": self.exact,
            "approximation_evaluations_needed": self.evaluations_needed,
            "approximation_efficiency_gap": self.efficiency_gap,
            "approximation_max_abs_diff": self.max_abs_diff,
        }

    @classmethod
    def from_arrays(cls, meta: dict, arrays: dict) -> TextApproximation:
        return cls(
            max_evals=meta["max_evals"],
            exact=arrays["approximation_exact"],
            evaluations_needed=arrays["approximation_evaluations_needed"],
            efficiency_gap=arrays["approximation_efficiency_gap"],
            max_abs_diff=arrays["approximation_max_abs_diff"],
        )
