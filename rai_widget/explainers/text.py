"""TextExplainer: SHAP token attributions (Partition explainer, Owen values) for text classifiers.

The model is a transformers text-classification pipeline, a (model, tokenizer) pair, or any
callable f(list[str]) -> (n, k) scores. SHAP's Partition explainer masks the text with the model's
own tokenizer (or word by word for a plain callable); the masked texts are scored by our batched
scorer: large batches, padding to the batch's longest input, torch.inference_mode, and a cache of
identical masked texts. Pieces are then merged into the words people read.

torch and transformers are imported only when a transformers model is explained.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np

from rai_widget._warnings import RaiWidgetWarning
from rai_widget.explainers import _text_tokens
from rai_widget.explanations import TextExplanation

_PROBE = ["a short probe sentence"]
_SEED = 0  # Partition breaks ties between equal priorities at random; fixed for reproducible values
SHAP_NODE_BATCH = 5  # shap.maskers.Text.default_batch_size: tree nodes Partition expands per step


class TextModelError(ValueError):
    """The model cannot be explained as given; the message says how to fix it."""


def _is_pipeline(model) -> bool:
    return any(c.__name__ == "Pipeline" and c.__module__.startswith("transformers") for c in type(model).__mro__)


def _is_torch_module(model) -> bool:
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(model).__mro__)


def _sensible_max_length(model, tokenizer) -> int | None:
    """The longest input the model reads: the tokenizer's limit, else the position embeddings'."""
    limit = getattr(tokenizer, "model_max_length", None)
    if limit is not None and limit < 1_000_000:
        return int(limit)
    positions = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    return int(positions) if positions else None


class _TransformersScorer:
    """(n, k) scores of a transformers classifier for a list of texts, computed fast.

    Distinct texts only (a cache keyed by the masked text), sorted by length so each batch pads
    little, `batch_size` texts per forward pass under torch.inference_mode.
    """

    def __init__(self, model, tokenizer, activation: str, max_length: int | None, batch_size: int):
        self.model, self.tokenizer = model.eval(), tokenizer
        self.activation, self.max_length, self.batch_size = activation, max_length, batch_size
        self.cache: dict[str, np.ndarray] = {}
        self.forward_passes = 0

    def __call__(self, texts) -> np.ndarray:
        import torch

        texts = [str(t) for t in texts]
        todo = sorted({t for t in texts if t not in self.cache}, key=len)
        device = next(self.model.parameters()).device
        for i in range(0, len(todo), self.batch_size):
            chunk = todo[i : i + self.batch_size]
            enc = self.tokenizer(
                chunk,
                padding=True,
                truncation=self.max_length is not None,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(device)
            with torch.inference_mode():
                logits = self.model(**enc).logits.float()
            if self.activation == "softmax":
                logits = torch.softmax(logits, dim=-1)
            elif self.activation == "sigmoid":
                logits = torch.sigmoid(logits)
            self.cache.update(zip(chunk, logits.cpu().numpy().astype(np.float64), strict=True))
            self.forward_passes += 1
        return np.stack([self.cache[t] for t in texts])


class _CallableScorer:
    """A plain f(list[str]) -> (n, k) callable, with the same cache and batching, and shape checks."""

    def __init__(self, fn: Callable, batch_size: int):
        self.fn, self.batch_size = fn, batch_size
        self.cache: dict[str, np.ndarray] = {}
        self.k: int | None = None
        self.forward_passes = 0

    def __call__(self, texts) -> np.ndarray:
        texts = [str(t) for t in texts]
        todo = list(dict.fromkeys(t for t in texts if t not in self.cache))
        for i in range(0, len(todo), self.batch_size):
            chunk = todo[i : i + self.batch_size]
            out = np.asarray(self.fn(chunk), dtype=np.float64)
            if out.ndim != 2 or out.shape[0] != len(chunk) or (self.k is not None and out.shape[1] != self.k):
                want = f"({len(chunk)}, {self.k if self.k else 'n_classes'})"
                hint = (
                    " For a binary model returning p(class 1), return np.column_stack([1 - p, p])."
                    if out.ndim == 1
                    else ""
                )
                raise TextModelError(
                    f"the model returned an array of shape {out.shape} for {len(chunk)} texts; it must return "
                    f"{want} scores, one row per text and one column per class.{hint}"
                )
            if not np.isfinite(out).all():
                raise TextModelError("the model returned NaN or infinite scores; it must return finite numbers.")
            self.k = out.shape[1]
            self.cache.update(zip(chunk, out, strict=True))
            self.forward_passes += 1
        return np.stack([self.cache[t] for t in texts])


class TextExplainer:
    """Token attributions for a text classifier, with SHAP's Partition explainer.

    Parameters
    ----------
    model : a transformers ``pipeline("text-classification", ..., top_k=None)``, a
        ``(model, tokenizer)`` pair (or a transformers model with ``tokenizer=``), or any callable
        ``f(list[str]) -> (n, k)`` scores (then texts are masked word by word).
    classes : output names (default: the model's ``id2label``, else 0..k-1).
    multilabel : independent labels (sigmoid scores, ``y_pred`` by `threshold`) instead of one
        class (softmax). A transformers model configured as ``multi_label_classification`` is
        multi-label whatever this says.
    max_evals : model evaluations per text (SHAP's budget; 500 as in shap).
    batch_size : masked texts per forward pass.
    threshold : score at or above which a label is predicted (multi-label).
    tokenizer : the tokenizer, when `model` is a bare transformers model.
    max_length : the model's input length in tokens (default: the tokenizer's ``model_max_length``).
        Longer texts are cut as the tokenizer truncates them; ``exp.truncated`` says which.
    mask_token : what replaces a masked piece (default: the tokenizer's mask token, or "..." for callables).
    exact : expand SHAP's partition tree in shap's own order (5 nodes, 10 masked texts, per step), so
        the values equal ``shap.Explainer(pipeline)``'s. False expands ``batch_size // 2`` nodes per
        step: fuller forward passes (about 2x faster in bench/text.py), but when `max_evals` runs
        out before the tree is fully expanded, slightly different nodes get evaluated (rank
        correlation 0.999 with shap's values there). Additivity holds either way.

    Transformers models are explained in probability space (softmax or sigmoid of the logits, the
    scores a pipeline returns); a callable in the space of its own scores.

    Example
    -------
    >>> clf = transformers.pipeline("text-classification", model=m, tokenizer=tok, top_k=None)
    >>> exp = rw.TextExplainer(clf).explain(["a gripping, beautifully shot film"], y_true=["POSITIVE"])
    >>> exp.tokens[0], exp.values[0][:, 1]     # words and their contributions to class 1
    >>> exp.global_importance(stop_words="english").head()
    """

    tokenizer: Callable | None  # the model's tokenizer; None for a plain callable, masked word by word
    max_length: int | None
    output_names: list | None  # None until the first explain() for a callable without classes=
    scorer: _TransformersScorer | _CallableScorer
    activation: str  # transformers models: "softmax" or "sigmoid"

    def __init__(
        self,
        model,
        classes: Sequence | None = None,
        multilabel: bool = False,
        max_evals: int = 500,
        batch_size: int = 64,
        threshold: float = 0.5,
        *,
        tokenizer=None,
        max_length: int | None = None,
        mask_token: str | None = None,
        exact: bool = True,
    ):
        if not isinstance(max_evals, (int, np.integer)) or max_evals < 3:
            raise ValueError(f"max_evals must be an integer >= 3, got {max_evals!r}.")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 2:
            raise ValueError(f"batch_size must be an integer >= 2, got {batch_size!r}.")
        self.model, self.max_evals, self.batch_size = model, int(max_evals), int(batch_size)
        self.threshold, self.multilabel, self.mask_token = float(threshold), bool(multilabel), mask_token
        self.exact = bool(exact)
        self.tokenizer = None
        if isinstance(model, tuple):
            if len(model) != 2:
                raise TypeError("pass a transformers model and its tokenizer as model=(model, tokenizer).")
            model, tokenizer = model
        if _is_pipeline(model):
            self._init_pipeline(model, max_length)
        elif _is_torch_module(model) or tokenizer is not None:
            if tokenizer is None:
                raise TypeError(
                    "a transformers model needs its tokenizer: TextExplainer((model, tokenizer)) "
                    "or TextExplainer(model, tokenizer=tokenizer)."
                )
            if not hasattr(model, "config"):
                raise TypeError(
                    f"{type(model).__name__} is not a transformers model; pass a callable "
                    "f(list[str]) -> (n, k) scores instead."
                )
            problem = getattr(model.config, "problem_type", None)
            self.multilabel = self.multilabel or problem == "multi_label_classification"
            self._init_transformers(model, tokenizer, max_length)
        elif callable(model):
            self.scorer = _CallableScorer(model, self.batch_size)
            self.max_length = None
            self.output_names = None if classes is None else list(classes)
        else:
            raise TypeError(
                f"model must be a transformers pipeline, a (model, tokenizer) pair or a callable "
                f"f(list[str]) -> (n, k) scores; got {type(model).__name__}."
            )
        if classes is not None:
            if self.output_names is not None and len(classes) != len(self.output_names):
                raise ValueError(
                    f"classes has {len(classes)} names but the model has {len(self.output_names)} "
                    f"outputs ({self.output_names})."
                )
            self.output_names = list(classes)

    # --- model set-up ---------------------------------------------------------------------------
    def _init_transformers(self, model, tokenizer, max_length):
        self.tokenizer = tokenizer
        self.max_length = max_length or _sensible_max_length(model, tokenizer)
        num_labels = model.config.num_labels
        self.activation = "sigmoid" if self.multilabel or num_labels == 1 else "softmax"
        id2label = getattr(model.config, "id2label", None) or {}
        self.output_names = [id2label.get(i, i) for i in range(num_labels)]
        self.scorer = _TransformersScorer(model, tokenizer, self.activation, self.max_length, self.batch_size)

    def _init_pipeline(self, pipe, max_length):
        config = pipe.model.config
        function = pipe._postprocess_params.get("function_to_apply")
        function = getattr(function, "value", function)
        if function is None:  # the pipeline's own default, see TextClassificationPipeline.postprocess
            sigmoid = config.problem_type == "multi_label_classification" or config.num_labels == 1
            function = "sigmoid" if sigmoid else "softmax"
        if config.problem_type == "regression" or function == "none":
            raise TextModelError(
                "this pipeline returns raw regression scores; TextExplainer explains classifiers. "
                "Pass a callable f(list[str]) -> (n, k) instead."
            )
        self.multilabel = self.multilabel or function == "sigmoid"
        self._init_transformers(pipe.model, pipe.tokenizer, max_length)
        # The pipeline must score every class: check it, and that our scorer reproduces it.
        answer = pipe(list(_PROBE))[0]
        if isinstance(answer, dict) or len(answer) != config.num_labels:
            raise TextModelError(
                "the pipeline returns only its top label, but every class needs a score. Create it with "
                "top_k=None: pipeline('text-classification', model=..., tokenizer=..., top_k=None)."
            )
        if self.activation == function:
            expected = np.zeros(config.num_labels)
            for d in answer:
                expected[config.label2id[d["label"]]] = d["score"]
            got = self.scorer(_PROBE)[0]
            if np.abs(got - expected).max() > 1e-4:
                raise TextModelError(f"internal check failed: our scores {got} differ from the pipeline's {expected}.")

    # --- explaining -----------------------------------------------------------------------------
    def _masker(self):
        import shap

        if self.tokenizer is not None:
            return shap.maskers.Text(self.tokenizer, mask_token=self.mask_token)
        return shap.maskers.Text(_text_tokens.WordTokenizer(), mask_token=self.mask_token)

    def explain(self, texts: Sequence[str], y_true=None) -> TextExplanation:
        """Attributions for each text: one value per displayed token and output.

        y_true: the true class of each text (a name or index), or for multi-label an (n, k)
        0/1 array or one list of label names per text.
        """
        import shap

        texts = _check_texts(texts)
        kept, truncated = list(texts), np.zeros(len(texts), dtype=bool)
        if self.max_length is not None:
            for i, text in enumerate(texts):
                kept[i], truncated[i] = _text_tokens.truncate(self.tokenizer, text, self.max_length)
            if truncated.any():
                warnings.warn(
                    f"{int(truncated.sum())} of {len(texts)} texts are longer than the model's "
                    f"{self.max_length} tokens and were truncated as the model truncates them: only the "
                    "part it reads is explained (see exp.truncated).",
                    RaiWidgetWarning,
                    stacklevel=2,
                )
        self.scorer.cache.clear()
        model_output = self.scorer(kept)
        k = model_output.shape[1]
        if self.output_names is None:
            self.output_names = list(range(k))
        elif len(self.output_names) != k:
            raise ValueError(f"classes has {len(self.output_names)} names but the model returned {k} scores per text.")

        masker = self._masker()
        explainer = shap.explainers.Partition(self.scorer, masker, output_names=[str(o) for o in self.output_names])
        state = np.random.get_state()
        np.random.seed(_SEED)
        try:
            nodes = SHAP_NODE_BATCH if self.exact else max(1, self.batch_size // 2)  # 2 masked texts per node
            sv = explainer(kept, max_evals=self.max_evals, batch_size=nodes, silent=True)
        finally:
            np.random.set_state(state)

        tokens, offsets, values = [], [], []
        base_values = np.asarray(sv.base_values, dtype=np.float64).reshape(len(texts), k).copy()
        tokenizer = masker.tokenizer
        for i, text in enumerate(kept):
            piece_values = np.asarray(sv.values[i], dtype=np.float64).reshape(-1, k)
            group, spans = _text_tokens.word_groups(tokenizer, text)
            if len(group) != len(piece_values):
                raise RuntimeError(f"internal error: {len(group)} pieces vs {len(piece_values)} SHAP values")
            word_values = np.zeros((len(spans), k))
            np.add.at(word_values, group[group >= 0], piece_values[group >= 0])
            base_values[i] += piece_values[group < 0].sum(axis=0)  # special tokens: part of the base
            values.append(word_values)
            # spans are (start, end) characters, or the words' texts when the tokenizer gives no offsets
            words, word_offsets = [], []
            for span in spans:
                if isinstance(span, str):
                    words.append(span)
                    word_offsets.append((-1, -1))
                else:
                    words.append(text[span[0] : span[1]])
                    word_offsets.append(span)
            tokens.append(words)
            offsets.append(np.asarray(word_offsets, dtype=np.int64).reshape(-1, 2))

        task = "multilabel" if self.multilabel else "classification"
        in_unit_interval = bool(((model_output >= 0) & (model_output <= 1)).all())
        is_proba = self.tokenizer is not None or (
            in_unit_interval and (self.multilabel or np.allclose(model_output.sum(axis=1), 1, atol=1e-6))
        )
        names = np.asarray(self.output_names)
        if self.multilabel:
            y_pred = model_output >= self.threshold
        else:
            y_pred = names[np.argmax(model_output, axis=1)]
        return TextExplanation(
            texts=list(texts),
            tokens=tokens,
            offsets=offsets,
            values=values,
            base_values=base_values,
            model_output=model_output,
            probabilities=model_output.copy() if is_proba else None,
            output_names=list(self.output_names),
            task=task,
            units="probability" if is_proba else "output",
            y_pred=y_pred,
            y_true=_check_y_true(y_true, len(texts), list(self.output_names), self.multilabel),
            truncated=truncated,
            threshold=self.threshold if self.multilabel else None,
            params={
                "max_evals": self.max_evals,
                "batch_size": self.batch_size,
                "max_length": self.max_length,
                "exact": self.exact,
                "masker": "tokenizer" if self.tokenizer is not None else f"words ({_text_tokens.WORD_PATTERN})",
            },
        )


def _check_texts(texts) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings; for one text use explain([text]).")
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"texts must be a list of strings, got {type(texts).__name__}.") from None
    if not texts:
        raise ValueError("texts is empty: pass at least one string, e.g. explain(['a great film']).")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(
                f"texts[{i}] is a {type(t).__name__}, not a string: convert it, e.g. "
                "[str(t) for t in texts], or drop it."
            )
        if not t.strip():
            raise ValueError(
                f"texts[{i}] is empty: there is nothing to attribute; drop empty texts before "
                "explaining, e.g. [t for t in texts if t.strip()]."
            )
    return texts


def _check_y_true(y_true, n: int, names: list, multilabel: bool):
    if y_true is None:
        return None
    if multilabel:
        if len(y_true) and all(isinstance(r, (list, tuple, set)) for r in y_true):
            unknown = {lab for r in y_true for lab in r} - set(names)
            if unknown:
                raise ValueError(f"y_true has labels {sorted(map(str, unknown))} that are not outputs {names}.")
            arr = np.array([[name in r for name in names] for r in y_true], dtype=bool)
        else:
            arr = np.asarray(y_true)
            if arr.shape != (n, len(names)):
                raise ValueError(
                    f"multi-label y_true must be an ({n}, {len(names)}) 0/1 array or one list of "
                    f"label names per text, got shape {arr.shape}."
                )
            arr = arr.astype(bool)
        return arr
    arr = np.asarray(y_true)
    if arr.shape != (n,):
        raise ValueError(f"y_true needs one label per text ({n}), got shape {arr.shape}.")
    known = {str(v) for v in names}
    if {str(v) for v in arr} <= known:
        return np.asarray(names)[[[str(v) for v in names].index(str(v)) for v in arr]]
    if arr.dtype.kind in "iu" and ((arr >= 0) & (arr < len(names))).all():
        return np.asarray(names)[arr]  # class indices -> names
    raise ValueError(f"y_true holds labels that are not outputs {names}: {sorted({str(v) for v in arr} - known)[:5]}.")
