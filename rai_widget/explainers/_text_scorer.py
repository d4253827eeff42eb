"""Scoring texts for TextExplainer: a transformers classifier or a plain callable, fast and checked.

Both scorers keep a cache of the texts they scored (masked variants repeat within a text) and
check what the model returns; the transformers scorer tokenizes a call's texts once, cuts them into
forward passes that pad little (`batches`) and, when the model reads only its first token, skips
the rest of the last layer's feed-forward (`_first_token`). torch is imported only by the
transformers scorer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from rai_widget._checks import shown
from rai_widget._errors import ModelPredictError

# texts of different lengths, so the first-token check runs on a padded batch as explain() does
_FIRST_TOKEN_PROBE = ["a short probe sentence", "a second probe sentence, rather longer, so that the first is padded"]
# What one forward pass costs beyond its tokens, in tokens (a 1-text pass of MiniLM-L6 costs as much as ~60
# tokens of a full one): what batches weighs a pass against padding with.
PASS_COST_TOKENS = 64
# Scored texts kept between steps (about 300 distinct masked texts per text at max_evals=500).
CACHE_LIMIT = 100_000


class TextModelError(ValueError):
    """The model cannot be explained as given; the message says how to fix it."""


class TextModelOutputError(TextModelError, ModelPredictError):
    """The model returned something that cannot be read as scores (a ValueError, and an rw.ModelPredictError)."""


def is_pipeline(model) -> bool:
    return any(c.__name__ == "Pipeline" and c.__module__.startswith("transformers") for c in type(model).__mro__)


def is_torch_module(model) -> bool:
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(model).__mro__)


def sensible_max_length(model, tokenizer) -> int | None:
    """The longest input the model reads: the tokenizer's limit, else the position embeddings'."""
    limit = getattr(tokenizer, "model_max_length", None)
    if limit is not None and limit < 1_000_000:
        return int(limit)
    positions = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    return int(positions) if positions else None


def _which(texts: Sequence[str], limit: int = 3) -> str:
    """A few texts of a batch, for a message."""
    head = ", ".join(repr(t if len(t) <= 40 else t[:40] + "...") for t in texts[:limit])
    return head + (f", ... ({len(texts)} in all)" if len(texts) > limit else "")


class Scorer:
    """What both scorers share: a cache of scored texts, and a note of what is being scored (for messages)."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size
        self.cache: dict[str, np.ndarray] = {}
        self.forward_passes = 0
        self.scored = 0  # distinct texts scored since the last clear()
        self.context = "the texts to explain"  # set by explain(): "masked variants of texts[3]", ...

    def clear(self) -> None:
        self.cache.clear()
        self.scored = 0

    def trim_cache(self) -> None:
        """Forget the scored texts once there are many: a cache hit is a text masked alike within one text."""
        if len(self.cache) > CACHE_LIMIT:
            self.cache.clear()

    def _failed(self, err: Exception, chunk: list[str]) -> ModelPredictError:
        return ModelPredictError(
            f"the model raised {type(err).__name__} while scoring {len(chunk)} texts ({self.context}: "
            f"{_which(chunk)}): {err}. Check that the model accepts a list of strings and returns (n, k) scores."
        )


class TransformersScorer(Scorer):
    """(n, k) scores of a transformers classifier for a list of texts, computed fast.

    Distinct texts only (a cache keyed by the masked text), tokenized once and cut into forward
    passes of at most `batch_size` texts that pad little (see batches), under torch.inference_mode;
    the last layer's feed-forward on the first token only when the model reads nothing else (see
    _first_token).
    """

    def __init__(self, model, tokenizer, activation: str, max_length: int | None, batch_size: int):
        super().__init__(batch_size)
        self.model, self.tokenizer = model.eval(), tokenizer
        self.activation, self.max_length = activation, max_length
        # whether the last layer's feed-forward runs on the first token only (see _first_token); None: not checked yet
        self.first_token_only: bool | None = None
        self._attention: Any = None  # the torch module the shortcut hooks, once checked

    def _tokenize(self, texts: list[str]):
        return self.tokenizer(texts, truncation=self.max_length is not None, max_length=self.max_length)

    def _encode(self, texts: list[str]):
        return self._pad(self._tokenize(texts))

    def _pad(self, encoded):
        return self.tokenizer.pad(encoded, return_tensors="pt").to(next(self.model.parameters()).device)

    def _shortcut(self):
        """The last layer's attention when the first-token shortcut fits this model (checked once), else None."""
        if self.first_token_only is None:
            import torch

            from rai_widget.explainers import _first_token

            attention = _first_token.last_attention(self.model)
            enc = self._encode(_FIRST_TOKEN_PROBE)

            def logits():
                with torch.inference_mode():
                    return self.model(**enc).logits.float()

            self.first_token_only = attention is not None and _first_token.fits(logits, attention)
            self._attention = attention
        return self._attention if self.first_token_only else None

    def __call__(self, texts) -> np.ndarray:
        import torch

        from rai_widget.explainers._first_token import first_token_only

        texts = [str(t) for t in texts]
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        attention = self._shortcut() if todo else None
        try:
            ids = self._tokenize(todo) if todo else {}
        except Exception as err:
            raise self._failed(err, todo) from err
        for rows in batches([len(t) for t in ids["input_ids"]] if todo else [], self.batch_size):
            chunk = [todo[j] for j in rows]
            try:
                enc = self._pad({key: [column[j] for j in rows] for key, column in ids.items()})
                with torch.inference_mode():
                    if attention is None:
                        logits = self.model(**enc).logits.float()
                    else:
                        with first_token_only(attention):
                            logits = self.model(**enc).logits.float()
            except Exception as err:  # the user's model: report it as theirs, keep the original
                raise self._failed(err, chunk) from err
            if self.activation == "softmax":
                logits = torch.softmax(logits, dim=-1)
            elif self.activation == "sigmoid":
                logits = torch.sigmoid(logits)
            scores = logits.cpu().numpy().astype(np.float64)
            _check_finite(scores, chunk, self.context)
            self.cache.update(zip(chunk, scores, strict=True))
            self.forward_passes += 1
            self.scored += len(chunk)
        return np.stack([self.cache[t] for t in texts])


def batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Texts (by their token counts) in forward passes of at most `batch_size` that pad least.

    A pass costs about its texts x its longest text in tokens, plus PASS_COST_TOKENS for the pass
    itself. Texts sorted by length, the cheapest cut into consecutive batches is a small dynamic
    programme (n x batch_size steps): fewer tokens of padding than equal batches when one call
    mixes short and long texts (30% of the work in the text demo).
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    sorted_lengths = np.asarray([lengths[j] for j in order], dtype=np.float64)
    n = len(order)
    cost, cut = np.zeros(n + 1), np.zeros(n + 1, dtype=np.int64)
    for end in range(1, n + 1):  # called once per step of explain(): the inner loop is numpy's
        starts = np.arange(max(0, end - batch_size), end)
        options = cost[starts] + (end - starts) * sorted_lengths[end - 1] + PASS_COST_TOKENS
        best = int(np.argmin(options))
        cost[end], cut[end] = options[best], starts[best]
    batches, end = [], n
    while end > 0:
        batches.append(order[int(cut[end]) : end])
        end = int(cut[end])
    return batches[::-1]


class CallableScorer(Scorer):
    """A plain f(list[str]) -> (n, k) callable, with the same cache and batching, and checks of its output."""

    def __init__(self, fn: Callable, batch_size: int):
        super().__init__(batch_size)
        self.fn = fn
        self.k: int | None = None

    def __call__(self, texts) -> np.ndarray:
        texts = [str(t) for t in texts]
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for i in range(0, len(todo), self.batch_size):
            chunk = todo[i : i + self.batch_size]
            try:
                out = self.fn(chunk)
            except Exception as err:  # the user's model: report it as theirs, keep the original
                raise self._failed(err, chunk) from err
            scores = _as_scores(out, chunk, self.k, self.context)
            self.k = scores.shape[1]
            self.cache.update(zip(chunk, scores, strict=True))
            self.forward_passes += 1
            self.scored += len(chunk)
        return np.stack([self.cache[t] for t in texts])


_RETURN = "the model must return an (n, k) array of scores for n texts: one row per text, one column per class"


def _looks_like_pipeline(value) -> bool:
    if isinstance(value, Mapping):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0 and isinstance(value[0], Mapping)


def _as_scores(out, chunk: list[str], k: int | None, context: str) -> np.ndarray:
    """A callable's output as (len(chunk), k) finite float scores, or TextModelOutputError saying what it returned."""
    n = len(chunk)
    if out is None:
        raise TextModelOutputError(f"the model returned None for {n} texts; {_RETURN}.")
    if hasattr(out, "detach") and hasattr(out, "cpu"):  # a torch tensor, perhaps on a GPU or needing grad
        out = out.detach().cpu().numpy()
    if isinstance(out, Mapping) or (isinstance(out, (list, tuple)) and out and _looks_like_pipeline(out[0])):
        sample = out if isinstance(out, Mapping) else out[0] if isinstance(out[0], Mapping) else out[0][0]
        keys = sorted(map(str, sample))
        raise TextModelOutputError(
            f"the model returned dicts (keys {keys}), as a transformers pipeline does, not scores. Pass the "
            "pipeline itself, TextExplainer(pipeline('text-classification', ..., top_k=None)), or make the "
            f"model return the scores: {_RETURN} (e.g. the pipeline's scores in a fixed class order)."
        )
    try:
        arr = np.asarray(out)
    except (ValueError, TypeError):  # ragged lists
        raise TextModelOutputError(f"the model returned rows of different lengths; {_RETURN}.") from None
    if arr.dtype.kind in "US" or (arr.dtype == object and any(isinstance(v, (str, bytes)) for v in arr.flat)):
        first = next((v for v in arr.flat if isinstance(v, (str, bytes, np.str_))), "")
        raise TextModelOutputError(
            f"the model returned strings (e.g. {shown(first)}), not scores: a model that predicts labels cannot be "
            f"explained by its labels. Return its class probabilities instead; {_RETURN}."
        )
    if arr.dtype.kind == "c":
        raise TextModelOutputError(f"the model returned complex numbers; {_RETURN}.")
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TextModelOutputError(f"the model returned {arr.dtype} values, not numbers; {_RETURN}.") from None
    arr = arr.astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] == 0 or (k is not None and arr.shape[1] != k):
        want = f"({n}, {k if k else 'n_classes'})"
        hint = " For a binary model returning p(class 1), return np.column_stack([1 - p, p])." if arr.ndim == 1 else ""
        raise TextModelOutputError(
            f"the model returned an array of shape {arr.shape} for {n} texts; it must return "
            f"{want} scores, one row per text and one column per class.{hint}"
        )
    _check_finite(arr, chunk, context)
    return arr


def _check_finite(scores: np.ndarray, chunk: list[str], context: str) -> None:
    bad = np.flatnonzero(~np.isfinite(scores).all(axis=1))
    if len(bad):
        raise TextModelOutputError(
            f"the model returned NaN or infinite scores for {len(bad)} of {len(chunk)} texts ({context}: "
            f"{_which([chunk[i] for i in bad])}); it must return finite numbers."
        )
