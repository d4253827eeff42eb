"""SHAP's Partition recursion (Owen values) as a generator, so the texts of one call share forward passes.

``shap.explainers.Partition.explain_row`` expands one text's partition tree a few nodes at a time
and calls the model at every step; which nodes come next depends on the scores of this step, so
one text's steps cannot be batched together. Written as a generator that yields each step's masks
and receives their scores, the steps of every text of an explain() call are scored together, in
forward passes of the scorer's full batch size instead of 6-10 masked texts.

The recursion is shap's ``Partition.owen`` with ``fixed_context=None`` (what ``explain_row`` runs),
step for step: the same priority queue, the same batch rule, the same budget; ``node_masks`` and
``push_credit_down`` are shap's ``make_masks`` and ``lower_credit`` without numba, whose first
call compiles for 3-5 s in every new kernel (a text has a few dozen nodes: plain numpy is instant).
The one difference: ties between equal priorities are broken by this text's own random stream
instead of numpy's global one, so a text's values do not depend on which other texts share the
call. Tests check the values against ``explain_row`` to 1e-12 on the same text and seed, and the
helpers against shap's.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator

import numpy as np

Masks = np.ndarray  # (n, M) bool: which pieces each masked variant keeps
Scores = np.ndarray  # (n, k) float64: the model's scores of those variants


def owen_values(
    clustering: np.ndarray,
    f00: np.ndarray,
    f11: np.ndarray,
    max_evals: int,
    batch_size: int,
    rng: np.random.RandomState,
) -> Generator[Masks, Scores, np.ndarray]:
    """Yield each step's masks, receive their scores; return the (M, k) Owen values of the M pieces.

    clustering: the masker's partition tree (shap's linkage format, 4 columns). f00 / f11: the
    scores with every piece masked / kept. max_evals: masked variants to score here (shap's
    max_evals minus the 2 for f00 and f11). batch_size: shap's batch_size (masks per step, less one
    node). rng: the tie-breaking stream (``np.random.RandomState(seed)`` reproduces shap after
    ``np.random.seed(seed)``).
    """
    M = clustering.shape[0] + 1
    masks_of = node_masks(clustering)
    dvalues = np.zeros((2 * M - 1, *np.shape(f00)))
    queue: list = [(0, 0, (np.zeros(M, dtype=bool), f00, f11, len(dvalues) - 1, 1.0))]
    eval_count = 0
    while queue:
        if eval_count >= max_evals:  # the budget is spent: what is left stays on the internal nodes
            while queue:
                _, _, (m00, f00, f11, ind, weight) = heapq.heappop(queue)
                dvalues[ind] += (f11 - f00) * weight
            break

        batch: list = []
        masks: list = []
        while queue and len(masks) < batch_size and eval_count + len(masks) < max_evals:
            _, _, (m00, f00, f11, ind, weight) = heapq.heappop(queue)
            distance = -1.0 if ind < M else (clustering[ind - M, 2] if clustering.shape[1] >= 3 else 1.0)
            if distance < 0:  # a leaf (or a group shap marks as not to be split): it keeps its credit
                dvalues[ind] += (f11 - f00) * weight
                continue
            lind, rind = int(clustering[ind - M, 0]), int(clustering[ind - M, 1])
            m10, m01 = m00 | masks_of[lind], m00 | masks_of[rind]
            batch.append((m00, m10, m01, f00, f11, ind, lind, rind, weight))
            masks += [m10, m01]

        if batch:
            fout = yield np.array(masks)
            eval_count += len(masks)
        for i, (m00, m10, m01, f00, f11, _ind, lind, rind, weight) in enumerate(batch):
            f10, f01 = fout[2 * i], fout[2 * i + 1]
            half = weight / 2
            for priority, args in (
                (f10 - f00, (m00, f00, f10, lind, half)),  # the left half, without the right
                (f01 - f00, (m00, f00, f01, rind, half)),  # the right half, without the left
                (f11 - f01, (m01, f01, f11, lind, half)),  # the left half, given the right
                (f11 - f10, (m10, f10, f11, rind, half)),  # the right half, given the left
            ):
                heapq.heappush(queue, (-np.max(np.abs(priority)) * half, rng.randn(), args))

    return push_credit_down(dvalues, clustering)[:M]


def node_masks(clustering: np.ndarray) -> np.ndarray:
    """(2M - 1, M) bool: the pieces under each node (M leaves, then the merges in linkage order)."""
    M = clustering.shape[0] + 1
    masks = np.zeros((2 * M - 1, M), dtype=bool)
    masks[np.arange(M), np.arange(M)] = True
    for j, (left, right) in enumerate(clustering[:, :2].astype(np.int64)):
        masks[M + j] = masks[left] | masks[right]  # a merge's children come before it
    return masks


def push_credit_down(dvalues: np.ndarray, clustering: np.ndarray) -> np.ndarray:
    """Each node's credit shared among its leaves in proportion to their number (shap's lower_credit)."""
    M = clustering.shape[0] + 1
    values = dvalues.copy()
    size = np.concatenate([np.ones(M), clustering[:, 3]])
    for i in range(2 * M - 2, M - 1, -1):  # a parent's index is above its children's: top down
        left, right = int(clustering[i - M, 0]), int(clustering[i - M, 1])
        values[left] += values[i] * size[left] / size[i]
        values[right] += values[i] * size[right] / size[i]
    return values
