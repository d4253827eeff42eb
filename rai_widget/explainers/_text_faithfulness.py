"""Checks of a text explanation against the model: ERASER's comprehensiveness and sufficiency, and SHAP's budget.

Faithfulness (DeYoung et al. 2020, ERASER): for each text and its explained output, the model's
output with the text whole, with its top-k words removed (comprehensiveness: how much the output
drops) and with only them kept (sufficiency: how much it drops when the rest goes). "Removed" is
what the SHAP values assumed: the explainer's own masker replaces the words' pieces by its mask
token, so the check asks the same question the values answer. Every text's masked variants go to
the explainer's scorer together, TEXTS_PER_CALL texts a call, so they share forward passes.

Approximation: SHAP's Partition explainer expands a text's partition tree until max_evals runs
out; when it expands the whole tree its values are the exact Owen values of that tree, whatever
the order it went in. `full_expansion_evals` counts what a full expansion scores (a node is reached
once per context: twice as often as its parent), so explain() can say per text whether the budget
sufficed; `approximation_error` re-runs a sample of texts with a budget that expands every node and
reports the largest difference.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from rai_widget._checks import check_int, check_progress, shown
from rai_widget.explainers import _text_tokens
from rai_widget.explanations import TextExplanation
from rai_widget.explanations._text_trust import TextApproximation, TextFaithfulness

if TYPE_CHECKING:
    from rai_widget.explainers.text import TextExplainer

DEFAULT_KS = (1, 3, 5, 0.2)
TEXTS_PER_CALL = 256  # texts whose masked variants go to the scorer in one call (one progress step)
EXACT_EVALS_LIMIT = 20_000  # approximation_error skips texts whose full expansion scores more masked texts
PROGRESS_MIN_TEXTS = 200  # a progress bar by default from this many texts on


def full_expansion_evals(clustering: np.ndarray) -> int:
    """Masked texts `_owen.owen_values` scores to expand every node of this partition tree.

    Expanding a node scores 2 masked texts and queues each child twice (without and given the
    other half), so a node at depth d is expanded 2**d times. A node shap marks as not to split
    (negative distance) keeps its credit, and nothing under it is reached.
    """
    clustering = np.asarray(clustering)
    M = clustering.shape[0] + 1
    if M < 2:
        return 0
    visits = np.zeros(2 * M - 1)
    visits[-1] = 1
    total = 0.0
    for ind in range(2 * M - 2, M - 1, -1):  # a parent comes after its children in linkage order
        if visits[ind] == 0 or (clustering.shape[1] >= 3 and clustering[ind - M, 2] < 0):
            continue
        total += 2 * visits[ind]
        for child in clustering[ind - M, :2].astype(np.int64):
            visits[child] += 2 * visits[ind]
    return int(min(total, 2**62))


def is_exact(evaluations_needed: int, max_evals: int) -> bool:
    """Whether owen_values, given max_evals - 2 (the two ends are scored first), expands every node.

    It starts an expansion while the masked texts scored so far are below its budget, so the last
    one (at evaluations_needed - 2) starts when evaluations_needed - 2 < max_evals - 2.
    """
    return evaluations_needed < max_evals


def check_ks(ks) -> list:
    """The k's as given (whole words >= 1, or shares in (0, 1]), without repeats, or an error saying what is wrong."""
    if isinstance(ks, (str, bytes)) or not isinstance(ks, Sequence):
        raise TypeError(f"ks must be a list of word counts or shares, e.g. ks=(1, 3, 5, 0.2), not {shown(ks)}.")
    out: list = []
    for v in ks:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"ks holds {shown(v)}: each k is a number of words (1, 3, ...) or a share in (0, 1] (0.2).")
        if isinstance(v, (int, np.integer)) or float(v) > 1:
            if float(v) != int(v) or int(v) < 1:
                raise ValueError(f"ks holds {shown(v)}: a number of words is a whole number >= 1.")
            v = int(v)
        elif not 0 < float(v) <= 1:
            raise ValueError(f"ks holds {shown(v)}: a share of a text's words is in (0, 1], e.g. 0.2.")
        else:
            v = float(v)
        if v not in out:
            out.append(v)
    if not out:
        raise ValueError("ks is empty: give at least one k, e.g. ks=(1, 3, 5, 0.2).")
    return out


def words_for(ks: list, length: int) -> np.ndarray:
    """Each k as a number of this text's words: a share rounds up, every k is capped at the length."""
    out = [v if isinstance(v, int) else int(np.ceil(v * length - 1e-9)) for v in ks]
    return np.minimum(np.maximum(np.asarray(out, dtype=np.int64), 1 if length else 0), length)


def check_explanation(explainer: TextExplainer, exp) -> None:
    if not isinstance(exp, TextExplanation):
        raise TypeError(f"exp must be the TextExplanation this explainer returned, not {type(exp).__name__}.")
    if explainer.output_names is not None and list(exp.output_names) != list(explainer.output_names):
        raise ValueError(
            f"exp explains outputs {shown(exp.output_names)} but this explainer's model has "
            f"{shown(explainer.output_names)}: check the explanation with the explainer that made it."
        )


class _Pieces:
    """A text as the explainer's masker cuts it: the text the model reads, its pieces, each piece's word."""

    def __init__(self, explainer: TextExplainer, exp: TextExplanation, i: int):
        text = exp.texts[i]
        if explainer.max_length is not None and explainer.tokenizer is not None:
            text = _text_tokens.truncate(explainer.tokenizer, text, explainer.max_length)[0]
        self.text, self.masker = text, explainer._masker()
        self.group, spans = _text_tokens.word_groups(self.masker.tokenizer, text)
        self.n_pieces = int(np.prod(self.masker.mask_shapes(text)[0]))
        words = [s if isinstance(s, str) else text[s[0] : s[1]] for s in spans]
        if words != exp.tokens[i]:
            size = f"{len(words)} words" if len(words) != len(exp.tokens[i]) else "other words"
            raise ValueError(
                f"texts[{i}] has {size} for this explainer's masker than exp's {len(exp.tokens[i])}: "
                "check the explanation with the explainer (and max_length) that made it."
            )

    def masked(self, words: np.ndarray, keep: bool) -> str:
        """The text with only `words` kept (keep) or with `words` masked (not keep); special pieces stay."""
        chosen = np.isin(self.group, words)
        mask = (chosen | (self.group < 0)) if keep else ~chosen
        return str(self.masker(mask, self.text)[0][0])


def faithfulness(
    explainer: TextExplainer,
    exp: TextExplanation,
    ks=DEFAULT_KS,
    output=None,
    random_baseline: bool = True,
    random_state: int = 0,
    progress: bool | None = None,
) -> TextFaithfulness:
    check_explanation(explainer, exp)
    ks = check_ks(ks)
    progress = check_progress(progress)
    random_state = check_int(random_state, "random_state", 0)
    if not isinstance(random_baseline, (bool, np.bool_)):
        raise TypeError(f"random_baseline must be True or False, not {shown(random_baseline)}.")
    n, m = len(exp), len(ks)
    classes = exp._row_outputs(output)  # None / "predicted": each text's top output
    rng = np.random.RandomState(random_state)
    k = np.zeros((n, m), dtype=np.int64)
    rankings: list[list[np.ndarray]] = []  # per text: the explanation's order, then a random one
    for i in range(n):
        length = len(exp.tokens[i])
        k[i] = words_for(ks, length)
        by_value = np.argsort(-exp.values[i][:, classes[i]], kind="stable") if length else np.zeros(0, np.int64)
        rankings.append([by_value, rng.permutation(length)] if random_baseline else [by_value])
    variants = 2 * len(rankings[0]) if n else 0  # removed and kept, per ranking and k

    scores = np.full((n, len(rankings[0]) if n else 1, 2, m), np.nan)
    show = n >= PROGRESS_MIN_TEXTS if progress is None else progress
    scorer = explainer.scorer
    scorer.clear()
    with tqdm(total=n, desc="faithfulness", unit="text", disable=not show) as bar:
        for start in range(0, n, TEXTS_PER_CALL):
            ids = range(start, min(n, start + TEXTS_PER_CALL))
            texts: list[str] = []
            for i in ids:
                if not len(exp.tokens[i]):
                    continue
                pieces = _Pieces(explainer, exp, i)
                for order in rankings[i]:
                    for keep in (False, True):
                        texts += [pieces.masked(order[:kj], keep) for kj in k[i]]
            scorer.context = f"the faithfulness check's masked variants of texts[{ids.start}] to texts[{ids.stop - 1}]"
            scored = scorer(texts) if texts else np.zeros((0, len(exp.output_names)))
            at = 0
            for i in ids:
                if not len(exp.tokens[i]):
                    continue
                block = scored[at : at + variants * m, classes[i]].reshape(-1, 2, m)
                scores[i] = block
                at += variants * m
            scorer.trim_cache()
            bar.update(len(ids))
    full = exp.model_output[np.arange(n), classes] if n else np.zeros(0)
    for i in range(n):  # a text without words: nothing to remove, the output stays
        if not len(exp.tokens[i]):
            scores[i] = full[i]
    return TextFaithfulness(
        ks=ks,
        k=k,
        class_index=classes,
        full=full,
        removed=scores[:, 0, 0, :],
        kept=scores[:, 0, 1, :],
        random_removed=scores[:, 1, 0, :] if random_baseline else None,
        random_kept=scores[:, 1, 1, :] if random_baseline else None,
        output=None if output is None or output == "predicted" else output,
        random_state=random_state,
    )


def approximation_of(exp: TextExplanation, evaluations_needed: np.ndarray, max_evals: int) -> TextApproximation:
    """What explain() knows for free: whether each text's tree was fully expanded, and the additivity gap."""
    n = len(exp)
    needed = np.asarray(evaluations_needed, dtype=np.int64)
    total = np.stack([v.sum(axis=0) for v in exp.values]).reshape(n, -1) if n else exp.base_values
    gap = np.abs(exp.base_values + total - exp.model_output).max(axis=1, initial=0) if n else np.zeros(0)
    return TextApproximation(
        max_evals=max_evals,
        exact=np.array([is_exact(int(e), max_evals) for e in needed], dtype=bool),
        evaluations_needed=needed,
        efficiency_gap=gap,
        max_abs_diff=np.full(n, np.nan),
    )


def evaluations_needed(explainer: TextExplainer, exp: TextExplanation) -> np.ndarray:
    """Per text, the masked texts a full expansion of its partition tree scores (0 below two pieces)."""
    out = np.zeros(len(exp), dtype=np.int64)
    for i in range(len(exp)):
        if not len(exp.tokens[i]):
            continue
        pieces = _Pieces(explainer, exp, i)
        if pieces.n_pieces >= 2:
            out[i] = full_expansion_evals(pieces.masker.clustering(pieces.text))
    return out


def approximation_error(
    explainer: TextExplainer,
    exp: TextExplanation,
    n: int = 10,
    random_state: int = 0,
    limit: int = EXACT_EVALS_LIMIT,
    progress: bool | None = None,
) -> TextApproximation:
    """exp's approximation with max_abs_diff filled in for a sample of `n` texts: each re-explained
    with a budget that expands its whole tree (only texts whose full expansion scores at most `limit`
    masked texts; texts already exact get 0 without a run)."""
    check_explanation(explainer, exp)
    n = check_int(n, "n", 1, " (texts to compare with an exact run)")
    random_state = check_int(random_state, "random_state", 0)
    limit = check_int(limit, "limit", 2, " (the most masked texts an exact run of one text may score)")
    progress = check_progress(progress)
    needed = evaluations_needed(explainer, exp)
    max_evals = int(exp.params.get("max_evals", explainer.max_evals))
    approx = exp.approximation if exp.approximation is not None else approximation_of(exp, needed, max_evals)
    approx = copy.deepcopy(approx)
    approx.evaluations_needed, approx.exact = needed, np.array([is_exact(int(e), max_evals) for e in needed])
    approx.max_abs_diff[approx.exact] = 0.0
    candidates = np.flatnonzero(~approx.exact & (needed <= limit))
    sample = np.sort(np.random.RandomState(random_state).permutation(candidates)[:n])
    if len(sample):
        exact = copy.copy(explainer)  # the same scorer and masker; a budget that expands every node
        exact.max_evals, exact.exact = int(needed[sample].max()) + 2, False
        again = exact.explain([exp.texts[i] for i in sample], progress=progress)
        for j, i in enumerate(sample):
            approx.max_abs_diff[i] = float(np.abs(again.values[j] - exp.values[i]).max(initial=0))
    return approx
