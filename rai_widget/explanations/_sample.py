"""Stratified samples of explained rows: every stratum (class, outcome) represented, deterministic per seed.

A large explanation (``explain()`` of a Dask frame) keeps a sample of its rows as an ordinary
TabularExplanation for the row-level views. A uniform sample of 100,000 rows of a billion can miss a rare class,
or the few rows the model gets wrong, entirely; so the rows are drawn per *stratum*:

- classification: (true class, predicted class) when y_true is known (the diagonal is "correct", everything
  off it "incorrect": every class and both outcomes are strata), else the predicted class;
- regression: one stratum (a uniform sample).

``allocate`` gives each non-empty stratum at least ``n // (2 * strata)`` rows (or all it has), then the rest
in proportion to what each has left (largest remainder, ties to the first stratum). Within a stratum the rows
are uniform without replacement. ``stratified_rows(labels, n, random_state)`` is that on plain arrays; the
Dask engine draws the same way without collecting any row: from the per-partition stratum counts it splits
each stratum's quota over the partitions by a multivariate hypergeometric draw (which is exactly how a uniform
draw without replacement from the whole stratum falls over them), then each partition draws its share
(``part_rows``), seeded by (random_state, partition number).
"""

from __future__ import annotations

import numbers

import numpy as np

from rai_widget._checks import shown

DEFAULT_SAMPLE_ROWS = 100_000


def check_sample_rows(n) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"sample_rows must be a whole number of rows >= 1 (e.g. 100_000), not {shown(n)}.")
    return int(n)


def check_random_state(random_state) -> int:
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral) or random_state < 0:
        raise TypeError(f"random_state must be a whole number >= 0 (a seed), not {shown(random_state)}.")
    return int(random_state)


def strata(task: str, n_outputs: int, y_pred_index: np.ndarray, y_true_index: np.ndarray | None = None):
    """(codes per row, number of strata): see the module's docstring. Indices are class indices (0..k-1);
    a y_true index < 0 (unknown label) never happens after explain()'s checks."""
    y_pred_index = np.asarray(y_pred_index, dtype=np.int64)
    if task != "classification":
        return np.zeros(len(y_pred_index), dtype=np.int64), 1
    if y_true_index is None:
        return y_pred_index, n_outputs
    return np.asarray(y_true_index, dtype=np.int64) * n_outputs + y_pred_index, n_outputs * n_outputs


def allocate(counts, n: int) -> np.ndarray:
    """Rows to draw per stratum, at most `n` in all and at most each stratum's count: every non-empty stratum
    gets at least min(count, max(1, n // (2 * non-empty strata))), the rest in proportion to what is left."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.sum() <= n:
        return counts.copy()
    present = np.flatnonzero(counts > 0)
    quota = np.zeros_like(counts)
    if n < len(present):  # fewer rows than strata: one row each from the largest (ties: the first)
        order = present[np.argsort(-counts[present], kind="stable")]
        quota[order[:n]] = 1
        return quota
    quota[present] = np.minimum(counts[present], max(1, n // (2 * len(present))))
    left = n - int(quota.sum())
    room = counts - quota
    if left > 0 and room.sum() > 0:
        share = left * room / room.sum()
        base = np.floor(share).astype(np.int64)
        extra = left - int(base.sum())
        frac = share - base
        # largest remainders first, ties to the first stratum; a stratum only gains where it has room
        order = np.lexsort((np.arange(len(counts)), -frac))
        order = order[(base[order] < room[order])]
        base[order[:extra]] += 1
        quota += np.minimum(base, room)
    return quota


def stratified_rows(labels, n: int, random_state: int = 0) -> np.ndarray:
    """Sorted positions of at most n rows: `labels` (one stratum label per row, any comparable values) give the
    strata, `allocate` the rows per stratum, uniform without replacement within each; deterministic per seed."""
    n = check_sample_rows(n)
    rng = np.random.default_rng(check_random_state(random_state))
    labels = np.asarray(labels)
    if len(labels) <= n:
        return np.arange(len(labels))
    _, codes = np.unique(labels, return_inverse=True)
    codes = codes.ravel()
    counts = np.bincount(codes)
    quota = allocate(counts, n)
    picked = [rng.choice(np.flatnonzero(codes == s), q, replace=False) for s, q in enumerate(quota) if q]
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)


def sample_positions(exp, n: int = DEFAULT_SAMPLE_ROWS, random_state: int = 0) -> np.ndarray:
    """Sorted positions of at most n of exp's rows, stratified as the module says (every row when it has no
    more than n): the rows stratified_sample keeps."""
    from rai_widget.explanations.tabular import label_index

    n = check_sample_rows(n)
    if len(exp) <= n:
        return np.arange(len(exp))
    k = len(exp.output_names)
    pred = exp.predicted_index()
    classes = exp.task == "classification" and exp.y_true is not None  # other tasks: one stratum
    truth = label_index(exp.y_true, exp.output_names) if classes else None
    codes, _ = strata(exp.task, k, pred, truth)
    return stratified_rows(codes, n, random_state)


def stratified_sample(exp, n: int = DEFAULT_SAMPLE_ROWS, random_state: int = 0):
    """A TabularExplanation of at most n of exp's rows, stratified as the module says (its data keeps exp's
    row ids); exp itself when it has no more rows than that."""
    if len(exp) <= check_sample_rows(n):
        return exp
    return subset(exp, sample_positions(exp, n, random_state))


def subset(exp, rows: np.ndarray):
    """The TabularExplanation of some of exp's rows (positions), with their row ids."""
    from rai_widget.explanations.tabular import TabularExplanation, surrogate_fidelity

    stored = exp._values[rows] if hasattr(exp, "_values") else exp.values[rows]
    out = TabularExplanation(
        data=exp.data.iloc[rows],
        feature_names=exp.feature_names,
        feature_kinds=exp.feature_kinds,
        values=stored,
        base_values=exp.base_values,
        surrogate_output=exp.surrogate_output[rows],
        model_output=exp.model_output[rows],
        output_names=exp.output_names,
        task=exp.task,
        units=exp.units,
        y_pred=exp.y_pred[rows],
        y_true=None if exp.y_true is None else exp.y_true[rows],
        probabilities=None if exp.probabilities is None else exp.probabilities[rows],
        source=exp.source,
    )
    out.fidelity = surrogate_fidelity(out.model_output, out.surrogate_output, out.task, out.output_names)
    out.explainer = exp.explainer
    return out


def split_quotas(counts_per_part, quota, random_state: int) -> np.ndarray:
    """(partitions, strata): how many of each stratum's `quota` rows each partition draws, as a uniform draw
    without replacement from the whole stratum would spread them (multivariate hypergeometric)."""
    counts_per_part = np.asarray(counts_per_part, dtype=np.int64)
    rng = np.random.default_rng(check_random_state(random_state))
    out = np.zeros_like(counts_per_part)
    for s, q in enumerate(np.asarray(quota, dtype=np.int64)):
        if q:
            out[:, s] = rng.multivariate_hypergeometric(counts_per_part[:, s], int(q))
    return out


def part_rows(codes, quota, random_state: int, part: int) -> np.ndarray:
    """Sorted positions, within one partition, of its share of each stratum (`quota` per stratum code)."""
    codes = np.asarray(codes, dtype=np.int64)
    rng = np.random.default_rng([check_random_state(random_state), int(part)])
    picked = [rng.choice(np.flatnonzero(codes == s), int(q), replace=False) for s, q in enumerate(quota) if q]
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)
