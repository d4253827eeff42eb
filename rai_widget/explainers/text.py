"""TextExplainer: SHAP token attributions (Partition explainer, Owen values) for text classifiers.

The model is a transformers text-classification pipeline, a (model, tokenizer) pair, or any
callable f(list[str]) -> (n, k) scores. SHAP's text masker masks the text with the model's own
tokenizer (or word by word for a plain callable); SHAP's Partition recursion (Owen values, run as a
generator in _owen so every text's steps share forward passes) decides what to mask next; the
masked texts are scored by the batched scorer of _text_scorer. Pieces are then merged into the
words people read.

One validation boundary: the constructor checks every argument, explain() checks the texts, the
model's scores and y_true before any SHAP work; the TextExplanation it returns checks itself
(additivity included). Texts of fewer than two pieces, which SHAP's partition tree cannot split,
are explained exactly (one piece: its value is output - base; none: the base is the output).

torch and transformers are imported only when a transformers model is explained.

This module runs past 500 lines on purpose: the checks of that boundary (the texts, y_true in its
single- and multi-label forms) sit beside the explainer that calls them.

This module runs past 500 lines: the explainer's checks of every kind of model it takes (pipelines, pairs,
callables) sit beside the interleaved jobs that share its forward passes; the checks' work is in helpers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator, Mapping, Sequence

import numpy as np
from tqdm.auto import tqdm

from rai_widget._checks import check_classes, check_flag, check_fraction, check_int, check_progress, plain, shown
from rai_widget._errors import ModelPredictError
from rai_widget._warnings import RaiWidgetWarning
from rai_widget.explainers import _owen, _text_faithfulness, _text_tokens
from rai_widget.explainers._text_scorer import (  # noqa: F401  (the errors are part of this module's API)
    CallableScorer,
    TextModelError,
    TextModelOutputError,
    TransformersScorer,
    is_pipeline,
    is_torch_module,
    sensible_max_length,
)
from rai_widget.explanations import TextExplanation
from rai_widget.explanations._text_trust import TextApproximation, TextFaithfulness

_PROBE = ["a short probe sentence"]
_SEED = 0  # Partition breaks ties between equal priorities at random; fixed for reproducible values
SHAP_NODE_BATCH = 5  # shap.maskers.Text.default_batch_size: shap's batch size (masks per step, less one node)
# Texts whose recursions advance together, their steps scored in one scorer call: enough to fill forward
# passes (about 6 masked texts per text and step), few enough to bound memory (a text's node masks are
# (2 pieces) x pieces booleans).
JOBS_IN_FLIGHT = 64
# Show a progress bar by default from this many model evaluations (texts x max_evals) on.
PROGRESS_MIN_EVALS = 5_000
_RESIDUAL_TOL = 1e-6  # |output - base - sum(values)| above this is a residual (see _TextJob.words)


class TextExplainer:
    """Token attributions for a text classifier, with SHAP's Partition explainer.

    Transformers models are explained in probability space (softmax or sigmoid of the logits, the
    scores a pipeline returns); a callable in the space of its own scores. Empty texts and texts of
    one word are explained too (no token, or one token worth output - base).

    Parameters
    ----------
    model : pipeline, tuple or callable
        A transformers ``pipeline("text-classification", ..., top_k=None)``, a ``(model, tokenizer)``
        pair (or a transformers model with ``tokenizer=``), or any callable ``f(list[str]) -> (n, k)``
        scores (then texts are masked word by word).
    classes : sequence, optional
        Output names (default: the model's ``id2label``, else 0..k-1).
    multilabel : bool
        Independent labels (sigmoid scores, ``y_pred`` by ``threshold``) instead of one class
        (softmax). A transformers model configured as ``multi_label_classification``, or with one
        output, is multi-label whatever this says.
    max_evals : int
        Model evaluations per text (SHAP's budget; 500 as in shap).
    batch_size : int
        Masked texts per forward pass.
    threshold : float
        Probability at or above which a label is predicted (multi-label), in (0, 1).
    tokenizer : object, optional
        The tokenizer, when ``model`` is a bare transformers model.
    max_length : int, optional
        The model's input length in tokens (default: the tokenizer's ``model_max_length``). Longer texts
        are cut as the tokenizer truncates them; ``exp.truncated`` says which. Only for transformers
        models (a callable reads whole texts).
    mask_token : str, optional
        What replaces a masked piece (default: the tokenizer's mask token, or ``"..."`` for callables).
    exact : bool
        Expand SHAP's partition tree in shap's own steps (up to 6 masked texts per text and step), so
        the values equal ``shap.Explainer(pipeline)``'s (to 1e-7 in bench/text.py). False expands
        ``batch_size // 2`` nodes per step: fewer steps (about 5% faster in bench/text.py, since the
        steps of all texts already share forward passes), but when ``max_evals`` runs out before the
        tree is fully expanded, different nodes get evaluated (max difference 7e-3, worst per-text rank
        correlation 0.95 there). Additivity holds either way.

    Raises
    ------
    ValueError
        A setting out of range (named, with the fix).
    TypeError
        A model that is neither a transformers model nor a callable, or a setting of the wrong type.

    Examples
    --------
    >>> clf = transformers.pipeline("text-classification", model=m, tokenizer=tok, top_k=None)
    >>> exp = rw.TextExplainer(clf).explain(["a gripping, beautifully shot film"], y_true=["POSITIVE"])
    >>> exp.tokens[0], exp.values[0][:, 1]     # words and their contributions to class 1
    >>> exp.global_importance(stop_words="english").head()
    """

    tokenizer: Callable | None  # the model's tokenizer; None for a plain callable, masked word by word
    max_length: int | None
    output_names: list | None  # None until the first explain() for a callable without classes=
    scorer: TransformersScorer | CallableScorer
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
        self.max_evals = check_int(max_evals, "max_evals", 3)
        self.batch_size = check_int(batch_size, "batch_size", 2)
        self.threshold = check_fraction(
            threshold, "threshold", "the probability at or above which a label is predicted"
        )
        self.multilabel, self.exact = check_flag(multilabel, "multilabel"), check_flag(exact, "exact")
        classes = check_classes(classes)
        if max_length is not None:
            max_length = check_int(max_length, "max_length", 1, " (the model's input length in tokens), or None")
        if mask_token is not None and (not isinstance(mask_token, str) or not mask_token.strip()):
            raise TypeError(f"mask_token must be a non-empty string (e.g. '...') or None, not {shown(mask_token)}.")
        self.model, self.mask_token = model, mask_token
        self.tokenizer = None
        self._names_from = "classes"
        if isinstance(model, tuple):
            if len(model) != 2:
                raise TypeError("pass a transformers model and its tokenizer as model=(model, tokenizer).")
            model, tokenizer = model
        if is_pipeline(model):
            self._init_pipeline(model, max_length)
        elif is_torch_module(model) or tokenizer is not None:
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
            if max_length is not None:
                raise ValueError(
                    f"max_length={max_length} counts a transformers tokenizer's tokens, but the model is a plain "
                    "callable, which reads whole texts: drop max_length, or shorten the texts before explaining."
                )
            self.scorer = CallableScorer(model, self.batch_size)
            self.max_length = None
            self.output_names = None
        else:
            raise TypeError(
                f"model must be a transformers pipeline, a (model, tokenizer) pair or a callable "
                f"f(list[str]) -> (n, k) scores; got {type(model).__name__}."
            )
        if classes is not None:
            if self.output_names is not None and len(classes) != len(self.output_names):
                raise ValueError(
                    f"classes has {len(classes)} names but the model has {len(self.output_names)} "
                    f"outputs ({shown(self.output_names)})."
                )
            self.output_names, self._names_from = list(classes), "classes"

    # --- model set-up ---------------------------------------------------------------------------
    def _init_transformers(self, model, tokenizer, max_length):
        self.tokenizer = tokenizer
        longest = sensible_max_length(model, tokenizer)
        if max_length is not None:
            specials = getattr(tokenizer, "num_special_tokens_to_add", lambda: 0)()
            if max_length <= specials:
                raise ValueError(
                    f"max_length={max_length} leaves no room for text: the tokenizer adds {specials} special tokens. "
                    f"Give max_length > {specials}, or None for the model's own limit ({longest})."
                )
            positions = getattr(model.config, "max_position_embeddings", None)
            if positions and max_length > positions:
                raise ValueError(
                    f"max_length={max_length} is longer than the model reads ({positions} positions): give "
                    f"max_length <= {positions}, or None for the tokenizer's limit."
                )
        self.max_length = max_length or longest
        num_labels = model.config.num_labels
        self.multilabel = self.multilabel or num_labels == 1  # one sigmoid output: one independent label
        self.activation = "sigmoid" if self.multilabel else "softmax"
        id2label = getattr(model.config, "id2label", None) or {}
        self.output_names = [id2label.get(i, i) for i in range(num_labels)]
        self._names_from = "model"
        self.scorer = TransformersScorer(model, tokenizer, self.activation, self.max_length, self.batch_size)

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
        try:
            answer = pipe(list(_PROBE))[0]
        except Exception as err:
            raise ModelPredictError(f"the pipeline raised {type(err).__name__} on a probe sentence: {err}") from err
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
        if self.tokenizer is not None:
            import shap

            return shap.maskers.Text(self.tokenizer, mask_token=self.mask_token)
        return _text_tokens.word_masker(self.mask_token)

    def _outputs(self, model_output: np.ndarray) -> list:
        """The output names for k scores per text (checked against what the model returned)."""
        k = model_output.shape[1]
        if self.output_names is None:
            self.output_names, self._names_from = list(range(k)), "the first explain()"
        elif len(self.output_names) != k:
            origin = {"classes": "classes has", "model": "the model's config has"}.get(self._names_from)
            raise ValueError(
                f"{origin or 'an earlier explain() gave'} {len(self.output_names)} names ({shown(self.output_names)}) "
                f"but the model returned {k} scores per text: give one class name per score column."
            )
        if k == 1 and not self.multilabel:
            raise TextModelError(
                "the model returned 1 score per text; a classifier needs one per class. For a binary model "
                "returning p(class 1), return np.column_stack([1 - p, p]); for one independent label, pass "
                "multilabel=True."
            )
        if self.multilabel and not ((model_output >= 0) & (model_output <= 1)).all():
            raise TextModelError(
                f"multilabel=True predicts a label when its score is >= threshold ({self.threshold}), so the model "
                f"must return probabilities in [0, 1]; it returned scores from {plain(model_output.min()):.4g} to "
                f"{plain(model_output.max()):.4g}. Return sigmoid(logits) instead."
            )
        return list(self.output_names)

    def explain(self, texts: Sequence[str], y_true=None, progress: bool | None = None) -> TextExplanation:
        """Attributions for each text: one value per displayed token and output.

        Parameters
        ----------
        texts : sequence of str
            The texts to explain.
        y_true : array_like, optional
            The true class of each text (a name or, for named classes, an index), or for multi-label an
            (n, k) 0/1 array or one list (or set) of label names per text.
        progress : bool, optional
            Show a progress bar (default: from ``len(texts) * max_evals >= 5,000`` on).

        Returns
        -------
        TextExplanation
            Each text's words as people read them and their values, base values and the model's outputs,
            with ``approximation`` (whether ``max_evals`` gave the exact Owen values for each text).

        Raises
        ------
        ValueError
            Texts that are not strings, or ``y_true`` that does not match the texts or the classes.
        ModelPredictError
            The model raised, or returned something that is not scores.
        """
        texts = _check_texts(texts)
        progress = check_progress(progress)
        show = len(texts) * self.max_evals >= PROGRESS_MIN_EVALS if progress is None else progress
        kept, truncated = list(texts), np.zeros(len(texts), dtype=bool)
        shifts = np.zeros(len(texts), dtype=np.int64)  # where kept[i] starts in texts[i] (left truncation)
        if self.max_length is not None:
            for i, text in enumerate(texts):
                kept[i], truncated[i], shifts[i] = _text_tokens.truncate(self.tokenizer, text, self.max_length)
            if truncated.any():
                warnings.warn(
                    f"{int(truncated.sum())} of {len(texts)} texts are longer than the model's "
                    f"{self.max_length} tokens and were truncated as the model truncates them: only the "
                    "part it reads is explained (see exp.truncated).",
                    RaiWidgetWarning,
                    stacklevel=2,
                )
        self.scorer.clear()
        self.scorer.context = "the texts to explain"
        model_output = self.scorer(kept)
        names = self._outputs(model_output)
        y_true = _check_y_true(y_true, len(texts), names, self.multilabel)
        k = len(names)

        nodes = SHAP_NODE_BATCH if self.exact else max(1, self.batch_size // 2)
        pieces = [self._explain_pieces(text, model_output[i], nodes) for i, text in enumerate(kept)]
        self._run_interleaved(pieces, show)
        tokens, offsets, values, base_values, residual = [], [], [], np.zeros((len(texts), k)), []
        for i, job in enumerate(pieces):
            words, spans, word_values, base_values[i], gap = job.words(model_output[i])
            if gap:
                residual.append(i)
            tokens.append(words)
            offsets.append(np.where(spans >= 0, spans + shifts[i], spans))
            values.append(word_values)
        if residual:
            warnings.warn(
                f"the model scores texts {shown(residual)} differently once shap's masker has normalised their "
                "whitespace; the difference is part of base_values, so base + sum(values) is still the output.",
                RaiWidgetWarning,
                stacklevel=2,
            )

        in_unit_interval = bool(((model_output >= 0) & (model_output <= 1)).all())
        is_proba = self.tokenizer is not None or (
            in_unit_interval and (self.multilabel or np.allclose(model_output.sum(axis=1), 1, atol=1e-6))
        )
        if self.multilabel:
            y_pred = model_output >= self.threshold
        else:
            y_pred = np.asarray(names)[np.argmax(model_output, axis=1)]
        exp = TextExplanation(
            texts=list(texts),
            tokens=tokens,
            offsets=offsets,
            values=values,
            base_values=base_values,
            model_output=model_output,
            probabilities=model_output.copy() if is_proba else None,
            output_names=names,
            task="multilabel" if self.multilabel else "classification",
            units="probability" if is_proba else "output",
            y_pred=y_pred,
            y_true=y_true,
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
        needed = [job.evaluations_needed for job in pieces]
        exp.approximation = _text_faithfulness.approximation_of(exp, np.asarray(needed), self.max_evals)
        return exp

    def faithfulness(
        self,
        exp: TextExplanation,
        ks=_text_faithfulness.DEFAULT_KS,
        output=None,
        random_baseline: bool = True,
        random_state: int = 0,
        progress: bool | None = None,
    ) -> TextFaithfulness:
        """Comprehensiveness and sufficiency (ERASER) of each text's explanation.

        For each text and output, its words ranked by their value toward it (the strongest positive
        evidence first): the model's output with the top k removed (comprehensiveness = output - that:
        higher, the words mattered) and with only them kept (sufficiency = output - that: lower, they
        suffice), removed as the SHAP values assumed (this explainer's masker and mask token). Cost: 2
        masked texts per k and ranking per text (16 by default, against about 300 for ``explain()`` at
        max_evals=500), scored 256 texts' worth a scorer call.

        Parameters
        ----------
        exp : TextExplanation
            An explanation this explainer made (the result is stored on it as ``exp.faithfulness``).
        ks : sequence of int or float
            Numbers of words, or shares of a text's words (0.2: a fifth, rounded up), each capped at the
            text's length; AOPC averages a text's distinct k's.
        output : str or int, optional
            The output to explain; None: each text's predicted output.
        random_baseline : bool
            Also score k words drawn at random, what a useless ranking scores.
        random_state : int
            Seed of the random words.
        progress : bool, optional
            Show a progress bar (default: for large work).

        Returns
        -------
        TextFaithfulness
            Per text and k: comprehensiveness, sufficiency, their random yardsticks and AOPC;
            ``.table(output_names)`` lays them out as a DataFrame.

        Raises
        ------
        ValueError
            An explanation of another model, or ks out of range.
        TypeError
            ``exp`` is not a TextExplanation, or ks are not numbers.
        ModelPredictError
            The model failed on the masked texts.
        """
        exp.faithfulness = _text_faithfulness.faithfulness(
            self, exp, ks, output, random_baseline, random_state, progress
        )
        exp.check_trust()
        return exp.faithfulness

    def approximation_error(
        self,
        exp: TextExplanation,
        n: int = 10,
        random_state: int = 0,
        limit: int = _text_faithfulness.EXACT_EVALS_LIMIT,
        progress: bool | None = None,
    ) -> TextApproximation:
        """How far SHAP's budget left the values from the exact ones.

        Each text whose partition tree ``max_evals`` did not fully expand is approximate. ``n`` of them,
        among those a full expansion scores at most ``limit`` masked texts for, are explained again with a
        budget that expands every node (the exact Owen values). Cost: up to ``limit`` masked texts per text
        checked.

        Parameters
        ----------
        exp : TextExplanation
            An explanation this explainer made (the result is stored on it as ``exp.approximation``).
        n : int
            How many approximate texts to check, drawn at random.
        random_state : int
            Seed of that draw.
        limit : int
            Check only texts whose full expansion needs at most this many masked texts.
        progress : bool, optional
            Show a progress bar (default: for large work).

        Returns
        -------
        TextApproximation
            Per text, whether its values are exact, and ``max_abs_diff``: the largest difference over its
            words and outputs (NaN for texts not checked; 0 for exact ones).

        Raises
        ------
        ValueError
            An explanation of another model, or n or limit out of range.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RaiWidgetWarning)  # explain()'s truncation note was given once
            exp.approximation = _text_faithfulness.approximation_error(self, exp, n, random_state, limit, progress)
        exp.check_trust()
        return exp.approximation

    def _explain_pieces(self, text: str, output: np.ndarray, nodes: int) -> _TextJob:
        """One text's explanation as a job: a generator that yields masked texts and receives their scores.

        SHAP's partition tree needs two pieces or more; with fewer the Owen value is exact by hand:
        no piece, nothing to attribute (base = output); one piece, its value is output - f(masked).
        """
        masker = self._masker()  # one per text: the tokenizer masker caches the tokens of its last text
        group, spans = _text_tokens.word_groups(masker.tokenizer, text)
        n_pieces = int(np.prod(masker.mask_shapes(text)[0]))
        if len(group) != n_pieces:
            raise RuntimeError(f"internal error: {len(group)} pieces vs {n_pieces} masker pieces")
        job = _TextJob(text, group, spans)
        clustering = masker.clustering(text) if spans and n_pieces >= 2 else None
        if clustering is not None:
            job.evaluations_needed = _text_faithfulness.full_expansion_evals(clustering)

        def steps():
            k = len(output)
            if not spans:  # nothing people read as a word (empty, whitespace, only special tokens)
                return np.zeros((n_pieces, k)), output.copy()
            if clustering is None:
                (base,) = yield [str(masker(np.zeros(n_pieces, dtype=bool), text)[0][0])]
                return (output - base).reshape(1, k), base
            ends = [str(masker(np.full(n_pieces, keep), text)[0][0]) for keep in (False, True)]
            f00, f11 = yield ends
            owen = _owen.owen_values(clustering, f00, f11, self.max_evals - 2, nodes, np.random.RandomState(_SEED))
            try:
                masks = next(owen)
                while True:
                    scores = yield [str(masker(m, text)[0][0]) for m in masks]
                    masks = owen.send(scores)
            except StopIteration as done:
                return np.asarray(done.value, dtype=np.float64).reshape(-1, k), f00.copy()

        job.steps = steps()
        return job

    def _run_interleaved(self, jobs: list[_TextJob], progress: bool) -> None:
        """Run every job's recursion, the steps of up to JOBS_IN_FLIGHT texts scored in one scorer call."""
        waiting = iter(range(len(jobs)))
        active: dict[int, list[str]] = {}  # job -> the masked texts whose scores it waits for

        with tqdm(total=len(jobs), desc="SHAP text", unit="text", disable=not progress) as bar:

            def step(i: int, scores) -> None:
                try:
                    active[i] = jobs[i].steps.send(scores)
                except StopIteration as done:
                    jobs[i].piece_values, jobs[i].base = done.value
                    bar.update(1)

            def fill() -> None:
                while len(active) < JOBS_IN_FLIGHT and (i := next(waiting, None)) is not None:
                    step(i, None)

            fill()
            while active:
                ids = list(active)
                named = ", ".join(f"texts[{i}]" for i in ids[:3])
                more = f" and {len(ids) - 3} more texts" if len(ids) > 3 else ""
                self.scorer.context = f"masked variants of {named}{more}"
                self.scorer.trim_cache()
                scores = self.scorer([t for i in ids for t in active[i]])
                at = 0
                for i in ids:
                    n = len(active.pop(i))
                    step(i, scores[at : at + n])
                    at += n
                fill()


class _TextJob:
    """One text in explain(): its pieces, the recursion that values them, then the words people read."""

    def __init__(self, text: str, group: np.ndarray, spans: list):
        self.text, self.group, self.spans = text, group, spans
        self.steps: Generator[list[str], np.ndarray, tuple[np.ndarray, np.ndarray]]
        self.evaluations_needed = 0  # masked texts a full expansion of its partition tree scores
        self.piece_values: np.ndarray | None = None  # (pieces, k), once the recursion is done
        self.base: np.ndarray | None = None

    def words(self, output: np.ndarray):
        """(words, spans (t, 2), word values (t, k), base value (k,), whether a residual was folded)."""
        k, group, spans, text = len(output), self.group, self.spans, self.text
        piece_values, base = self.piece_values, self.base
        assert piece_values is not None and base is not None, "words() before the recursion finished"
        word_values = np.zeros((len(spans), k))
        np.add.at(word_values, group[group >= 0], piece_values[group >= 0])
        base = base + piece_values[group < 0].sum(axis=0)  # special tokens: part of the base
        # shap's tokenizer masker scores the text with its whitespace normalised; a model that reads
        # whitespace differently leaves a residual, which belongs with what no token explains
        gap = output - base - word_values.sum(axis=0)
        folded = bool(np.abs(gap).max() > _RESIDUAL_TOL * max(1.0, float(np.abs(output).max())))
        base = base + gap
        # spans are (start, end) characters, or the words' texts when the tokenizer gives no offsets
        words, word_offsets = [], []
        for span in spans:
            if isinstance(span, str):
                words.append(span)
                word_offsets.append((-1, -1))
            else:
                words.append(text[span[0] : span[1]])
                word_offsets.append(span)
        return words, np.asarray(word_offsets, dtype=np.int64).reshape(-1, 2), word_values, base, folded


def _check_texts(texts) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a list of strings; for one text use explain([text]).")
    if texts is None or isinstance(texts, Mapping):
        raise TypeError(f"texts must be a list of strings, not {type(texts).__name__}.")
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"texts must be a list of strings, not {type(texts).__name__}.") from None
    if not texts:
        raise ValueError("texts is empty: pass at least one string, e.g. explain(['a great film']).")
    for i, t in enumerate(texts):
        if isinstance(t, bytes):
            raise TypeError(f"texts[{i}] is bytes, not a string: decode it, e.g. [t.decode('utf-8') for t in texts].")
        if not isinstance(t, str):
            raise TypeError(
                f"texts[{i}] is a {type(t).__name__}, not a string: convert it, e.g. "
                "[str(t) for t in texts], or drop it."
            )
    return [str(t) for t in texts]


def _label_key(v) -> str:
    """A label as text, with integral floats as integers (1.0 is the class 1), for matching labels to names."""
    v = plain(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _check_y_true(y_true, n: int, names: list, multilabel: bool):
    """y_true as the explanation holds it: names (single-label) or an (n, k) boolean array (multi-label)."""
    if y_true is None:
        return None
    if isinstance(y_true, (str, bytes, Mapping)) or not hasattr(y_true, "__len__"):
        raise TypeError(f"y_true must hold one label per text ({n} texts), not {shown(y_true)}.")
    if len(y_true) != n:
        raise ValueError(f"y_true has {len(y_true)} labels for {n} texts: give one label per text.")
    keys = {_label_key(v): i for i, v in enumerate(names)}
    if multilabel:
        return _multilabel_y_true(y_true, n, names, keys)
    rows = list(y_true)
    nested = [i for i, r in enumerate(rows) if isinstance(r, (list, tuple, set, frozenset, np.ndarray))]
    if nested:
        raise ValueError(
            f"y_true[{nested[0]}] is {shown(rows[nested[0]])}, a list: a single-label explainer takes one label per "
            "text. For several labels per text, pass multilabel=True to TextExplainer."
        )
    arr = np.asarray(rows)
    if arr.dtype.kind in "iu" and not any(isinstance(c, (int, float)) and not isinstance(c, bool) for c in names):
        bad = [v for v in arr if not 0 <= v < len(names)]
        if bad:
            raise ValueError(
                f"y_true holds {shown(bad[0])}, which is not a class index (0 to {len(names) - 1}) of outputs "
                f"{shown(names)}; give class names or indices."
            )
        return np.asarray(names)[arr]  # class indices -> names
    unknown = [v for v in rows if _label_key(v) not in keys]
    if unknown:
        odd = sorted({_label_key(v) for v in unknown})
        raise ValueError(
            f"y_true holds labels that are not outputs {shown(names)}: {shown(odd)}. Give each text's true class "
            "by name (or classes=[...] to the explainer)."
        )
    return np.asarray(names)[[keys[_label_key(v)] for v in rows]]


def _multilabel_y_true(y_true, n: int, names: list, keys: dict) -> np.ndarray:
    k = len(names)
    rows = list(y_true)  # a 2-D array gives arrays (indicator rows); lists of lists may be either
    listed = [isinstance(r, (list, tuple, set, frozenset)) for r in rows]
    if all(isinstance(r, (set, frozenset)) for r in rows) or (any(listed) and not all(listed)):
        return _label_sets(rows, names, keys)  # sets are names; a mix of lists and others: say which row
    if all(isinstance(r, (list, tuple, set, frozenset)) for r in rows):
        flat = [v for r in rows for v in r]
        indicator = all(len(r) == k and not isinstance(r, (set, frozenset)) for r in rows) and all(
            isinstance(v, (bool, np.bool_)) or (isinstance(v, (int, np.integer)) and v in (0, 1)) for v in flat
        )
        all_bools = all(isinstance(v, (bool, np.bool_)) for v in flat)
        name_like = all(_label_key(v) in keys for v in flat)
        if indicator and name_like and flat and not all_bools:
            raise ValueError(
                f"y_true {shown(rows[:2])} is ambiguous: 0/1 indicator rows, or lists of the labels "
                f"{shown(names)}? Pass np.asarray(y_true, dtype=bool) for indicator rows, or sets of names "
                "({...}) for label names."
            )
        if not indicator:
            return _label_sets(rows, names, keys)
    try:
        arr = np.asarray(y_true)
    except ValueError:
        arr = np.asarray(y_true, dtype=object)
    if arr.shape != (n, k):
        raise ValueError(
            f"multi-label y_true must be an ({n}, {k}) 0/1 array (one column per output {shown(names)}) or one "
            f"list of label names per text, got shape {arr.shape}."
        )
    if arr.dtype.kind not in "biuf" or not np.isin(arr, [0, 1]).all():
        odd = next((v for v in arr.ravel().tolist() if v not in (0, 1)), None)
        raise ValueError(f"multi-label y_true must hold 0/1 or True/False, not {shown(odd)}.")
    return arr.astype(bool)


def _label_sets(rows: list, names: list, keys: dict) -> np.ndarray:
    for i, r in enumerate(rows):
        if isinstance(r, str) or not isinstance(r, (list, tuple, set, frozenset)):
            raise ValueError(
                f"y_true[{i}] is {shown(r)}: give each text a list of label names, e.g. [{shown(names[0])}]."
            )
    unknown = sorted({_label_key(v) for r in rows for v in r} - set(keys))
    if unknown:
        raise ValueError(f"y_true has labels {shown(unknown)} that are not outputs {shown(names)}.")
    arr = np.zeros((len(rows), len(names)), dtype=bool)
    for i, r in enumerate(rows):
        for v in r:
            arr[i, keys[_label_key(v)]] = True
    return arr
