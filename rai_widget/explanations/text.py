"""TextExplanation: token attributions for texts (from TextExplainer)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from rai_widget._checks import shown
from rai_widget.explanations import _columns as C
from rai_widget.explanations._base import Explanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations._format import (
    outcome_from_arrays,
    outcome_to_arrays,
    strings_from_arrays,
    strings_to_arrays,
)
from rai_widget.explanations._text_trust import TextApproximation, TextFaithfulness

# What the view's "hide stop-words" hides: scikit-learn's English stop words and punctuation tokens.
PUNCTUATION = tuple(",.!?;:'\"-()")


def view_stop_words() -> list[str]:
    """The words the view's token chart can hide (global_importance(stop_words=...) takes the same list)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(set(ENGLISH_STOP_WORDS) | set(PUNCTUATION))


class TextExplanation(Explanation):
    """Token attributions for texts (from ``TextExplainer.explain``).

    ``base_values[i] + values[i].sum(0) == model_output[i]`` (special tokens' values are part of
    ``base_values``). Every parameter is also the attribute of that name.

    Parameters
    ----------
    texts : list of str
        The explained texts.
    tokens : list of list of str
        ``tokens[i]``: text i's words as people read them (sub-word pieces merged, special tokens dropped).
    offsets : list of ndarray
        ``offsets[i]``: their (start, end) characters in ``texts[i]`` (-1 when unknown).
    values : list of ndarray
        ``values[i]``: a (t_i, k) array in ``units``.
    base_values : ndarray
        (n, k): each text's base value per output.
    model_output : ndarray
        (n, k): the model's output per text, in ``units``.
    output_names : list
        The classes or labels.
    task : str
        ``"classification"``, ``"multilabel"`` or ``"regression"``.
    units : str
        ``"probability"`` (transformers models) or ``"output"``.
    y_pred : ndarray
        The predicted class of each text (multi-label: an (n, k) boolean array).
    y_true : ndarray, optional
        The true labels, when given to ``explain()``.
    probabilities : ndarray, optional
        (n, k) probabilities, when the scores are probabilities.
    truncated : ndarray, optional
        ``truncated[i]``: whether text i was longer than the model reads (then only the part it reads has
        tokens).
    threshold : float, optional
        Multi-label: the probability at or above which a label is predicted.
    params : dict, optional
        The explainer's settings (``max_evals``, ``batch_size``, ...).
    faithfulness : TextFaithfulness, optional
        From ``explainer.faithfulness(exp)``: per text, how much removing its top-k words lowers the
        explained output and how much keeping only them does (ERASER).
    approximation : TextApproximation, optional
        From ``explain()``: per text, whether SHAP's budget gave the exact Owen values, the additivity gap
        and, where checked, the largest difference from an exact run.

    Raises
    ------
    ValueError
        Fields that do not make one consistent explanation (tokens, spans, values, additivity, labels).
    TypeError
        A field of the wrong type.

    Examples
    --------
    >>> exp.tokens[0][:3], exp.values[0][:3, exp.output_index("positive")]
    >>> exp.global_importance(output="positive", stop_words="english").head(10)
    """

    kind = "text"
    tasks = ("classification", "multilabel", "regression")

    def __init__(
        self,
        *,
        texts: list[str],
        tokens: list[list[str]],
        offsets: list[np.ndarray],
        values: list[np.ndarray],
        base_values: np.ndarray,
        model_output: np.ndarray,
        output_names: list,
        task: str,
        units: str,
        y_pred: np.ndarray,
        y_true: np.ndarray | None = None,
        probabilities: np.ndarray | None = None,
        truncated: np.ndarray | None = None,
        threshold: float | None = None,
        params: dict | None = None,
        faithfulness: TextFaithfulness | None = None,
        approximation: TextApproximation | None = None,
    ):
        self.texts = list(texts)
        self.tokens = [list(t) if isinstance(t, (list, tuple, np.ndarray)) else t for t in tokens]
        self.offsets = [np.asarray(o) for o in offsets]
        self.values = [np.asarray(v) for v in values]
        self.base_values = np.asarray(base_values)
        self.model_output = np.asarray(model_output)
        self.output_names = list(output_names)
        self.task = task
        self.units = units
        self.y_pred = y_pred
        self.y_true = y_true
        self.probabilities = probabilities
        self.truncated = np.zeros(len(texts), dtype=bool) if truncated is None else np.asarray(truncated)
        self.threshold = threshold
        self.params = {} if params is None else params
        self.faithfulness = faithfulness
        self.approximation = approximation
        self._validate()

    def _validate(self) -> None:
        """The outcome checks every explanation runs, then the text's own: per text, its tokens, their spans
        (the very characters of the token, or -1 when unknown) and values (t_i, k) agree, base_values +
        values.sum(0) == model_output, probabilities are (n, k) in [0, 1], multi-label labels are (n, k)
        booleans. What explain() returns and what rw.load() reads pass the same checks."""
        n = len(self.texts)
        for name in ("tokens", "offsets", "values"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries for {n} texts: one per text.")
        super()._validate()
        k = len(self.output_names)
        for i, (text, toks, spans, vals) in enumerate(
            zip(self.texts, self.tokens, self.offsets, self.values, strict=True)
        ):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is a {type(text).__name__}, not a string.")
            if not isinstance(toks, list) or not all(isinstance(t, str) for t in toks):
                raise TypeError(f"tokens[{i}] must be a list of strings (text {i}'s words).")
            t = len(toks)
            if spans.shape != (t, 2) or (t and spans.dtype.kind not in "iu"):
                raise ValueError(f"offsets[{i}] has shape {spans.shape}, not ({t}, 2): a (start, end) per token.")
            if vals.shape != (t, k) or (t and vals.dtype.kind not in "biuf"):
                raise ValueError(f"values[{i}] has shape {vals.shape}, not ({t}, {k}): one value per token and output.")
            if not np.isfinite(vals).all():
                raise ValueError(f"values[{i}] has NaN or infinite values.")
            for j, (a, b) in enumerate(spans.tolist()):
                if (a, b) != (-1, -1) and not (0 <= a <= b <= len(text) and text[a:b] == toks[j]):
                    raise ValueError(
                        f"offsets[{i}][{j}] = {(a, b)} does not give token {shown(toks[j])} in texts[{i}]: a token's "
                        "span is its characters in the text, or (-1, -1) when unknown."
                    )
        base = self.base_values
        if base.shape != (n, k) or base.dtype.kind not in "biuf" or not np.isfinite(base).all():
            raise ValueError(f"base_values must be finite numbers of shape ({n}, {k}), got shape {base.shape}.")
        total = base + np.stack([v.sum(axis=0) for v in self.values]).reshape(n, k) if n else base
        scale = np.maximum(1.0, np.abs(self.model_output).max(axis=1, initial=0))
        off = np.abs(total - self.model_output).max(axis=1, initial=0) > 1e-5 * scale
        if off.any():
            raise ValueError(
                f"base_values + values.sum(0) differs from model_output for texts {shown(np.flatnonzero(off))}: the "
                "token values of a text must add up to its output."
            )
        p = self.probabilities  # (n, k) in [0, 1]: checked by the base
        if p is not None and self.task == "classification" and k > 1 and (np.abs(p.sum(axis=1) - 1) > 1e-3).any():
            raise ValueError("probabilities of a single-label classification must sum to 1 per text.")
        if self.task == "classification":
            known = {str(o) for o in self.output_names}
            for name in ("y_pred", "y_true"):
                labels = getattr(self, name)
                if labels is None:
                    continue
                unknown = sorted({str(v) for v in np.asarray(labels).tolist()} - known)
                if unknown:
                    raise ValueError(
                        f"{name} holds labels {shown(unknown)} that are not outputs {shown(self.output_names)}."
                    )
        elif self.y_pred is not None and np.asarray(self.y_pred).dtype.kind not in "biuf":
            raise ValueError("a regression y_pred holds numbers.")
        if self.truncated.shape != (n,) or self.truncated.dtype.kind not in "bui":
            raise ValueError(f"truncated must be {n} booleans (one per text), got shape {self.truncated.shape}.")
        self.truncated = self.truncated.astype(bool)
        th = self.threshold
        if th is not None and (isinstance(th, bool) or not isinstance(th, (int, float)) or not 0 < th < 1):
            raise ValueError(f"threshold must be None or a number in (0, 1), got {shown(th)}.")
        if not isinstance(self.params, dict):
            raise TypeError(f"params must be a dict, not {type(self.params).__name__}.")
        self.check_trust()

    def check_trust(self) -> None:
        """ValueError unless faithfulness and approximation (when present) fit these texts and outputs."""
        if self.faithfulness is not None:
            if not isinstance(self.faithfulness, TextFaithfulness):
                raise TypeError(
                    f"faithfulness must be a TextFaithfulness or None, not {type(self.faithfulness).__name__}."
                )
            self.faithfulness.check(len(self.texts), len(self.output_names))
        if self.approximation is not None:
            if not isinstance(self.approximation, TextApproximation):
                raise TypeError(
                    f"approximation must be a TextApproximation or None, not {type(self.approximation).__name__}."
                )
            self.approximation.check(len(self.texts))

    def __repr__(self) -> str:
        return (
            f"TextExplanation({len(self)} texts, {sum(map(len, self.tokens))} tokens, task={self.task!r}, "
            f"outputs={self.output_names}, units={self.units!r}, truncated={int(self.truncated.sum())})"
        )

    def __len__(self) -> int:
        return len(self.texts)

    def predicted_index(self) -> np.ndarray:
        """Per text, the index of the top output (for multi-label too).

        Returns
        -------
        ndarray
            (n,) int.
        """
        return np.argmax(self.model_output, axis=1)

    def _row_outputs(self, output) -> np.ndarray:
        predicted = isinstance(output, str) and output == "predicted" and "predicted" not in self.output_names
        if output is None or predicted:
            return self.predicted_index()
        return np.full(len(self), self.output_index(output))

    def global_importance(
        self, cohort=None, output=None, stop_words: str | Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Token table over a cohort's texts: mean value, mean |value| and count per token, by mean |value|.

        Tokens are grouped case-insensitively.

        Parameters
        ----------
        cohort : Cohort, dict, array or list, optional
            An ``rw.Cohort``, a boolean mask or text indices; None: every text.
        output : str or int, optional
            None or ``"predicted"`` uses each text's predicted (top) output, or an output's name or index.
        stop_words : str or iterable of str, optional
            None keeps every token, ``"english"`` drops scikit-learn's English stop words, or any collection
            of words to drop.

        Returns
        -------
        DataFrame
            One row per token: token, mean, mean_abs, count; largest mean |value| first.
        """
        mask = self.cohort_mask(cohort)
        ks = self._row_outputs(output)
        words = [w.lower() for i in np.flatnonzero(mask) for w in self.tokens[i]]
        vals = [self.values[i][:, ks[i]] for i in np.flatnonzero(mask)]
        table = pd.DataFrame({"token": words, "value": np.concatenate(vals) if vals else np.zeros(0)})
        if stop_words is not None:
            if isinstance(stop_words, str):
                if stop_words != "english":
                    raise ValueError(f"stop_words must be None, 'english' or a collection of words: {stop_words!r}.")
                from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

                stop_words = ENGLISH_STOP_WORDS
            table = table[~table["token"].isin({str(w).lower() for w in stop_words})]
        table = table.assign(abs_value=table["value"].abs())
        out = table.groupby("token", sort=False).agg(
            mean=("value", "mean"), mean_abs=("abs_value", "mean"), count=("value", "size")
        )
        out = out.sort_values("mean_abs", ascending=False, kind="stable").reset_index()
        out.attrs["units"] = self.units
        return out

    def to_frame(self, output=None, long: bool = True) -> pd.DataFrame:
        """The token values as a pandas table, one row per token and output (or one row per text).

        Long form (the default): one row per (text, output, token position), in that order, on a
        RangeIndex, with columns ``row`` (the text's position in ``texts``), ``output`` (the output's name),
        ``position`` (the token's position in ``tokens[row]``), ``token`` (the word as shown to people),
        ``start`` and ``end`` (its characters in the text, -1 when unknown), ``value`` (its attribution, in
        ``units``), and the text's ``model_output`` and ``base_value`` for that output: per text and output,
        ``base_value`` plus the sum of ``value`` equals ``model_output``.

        Wide form (``long=False``): one row per text (index ``row``), no token values: ``text``, ``tokens``
        (how many), ``truncated``, ``y_true`` (when known) and ``y_pred`` (multi-label: ``y_true[o]`` and
        ``y_pred[o]`` per output), then per output ``o``: ``model_output[o]``, ``probability[o]`` (when the
        explanation has probabilities) and ``base_value[o]``. Outputs are written as ``str(name)``.

        Parameters
        ----------
        output : str, int or None, optional
            Which output's values: an output's name or index, or ``"predicted"`` for each text's top output
            (``output`` then says ``"predicted"``; ``exp.y_pred`` names it). None (the default): every output
            (a text model's outputs are explained independently, so none is dropped).
        long : bool, optional
            True (the default) for the token rows, False for the per-text rows.

        Returns
        -------
        pandas.DataFrame
            ``attrs`` holds ``units`` and ``task``.

        Raises
        ------
        ValueError
            An output that is not one of ``output_names`` (the message lists them).
        TypeError
            ``long`` that is not True or False.

        Examples
        --------
        >>> exp = rw.TextExplainer(pipe).explain(texts)
        >>> tokens = exp.to_frame(output="positive")
        >>> tokens.nlargest(10, "value")[["row", "token", "value"]]
        >>> exp.to_frame(long=False)[["text", "y_pred", "model_output[positive]"]]
        """
        from rai_widget.explanations._frames import text_frame

        return text_frame(self, output, long)

    def to_parquet(self, path, output=None):
        """Write ``to_frame(output)`` (the token rows) to a Parquet file, with pyarrow.

        The file holds Arrow columns and pandas' JSON metadata, no pickle: ``pd.read_parquet(path)`` gives
        the same frame back. Only ``path`` is written (replaced when it exists).

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write, e.g. ``"tokens.parquet"``; its folder must exist.
        output : str, int or None, optional
            Which outputs, as in ``to_frame``.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        ImportError
            pyarrow is not installed: ``pip install "rai-widget[parquet]"``.
        IsADirectoryError
            ``path`` is a folder.
        FileNotFoundError
            ``path``'s folder does not exist.
        ValueError
            As ``to_frame``.

        Examples
        --------
        >>> path = exp.to_parquet("tokens.parquet")
        >>> pd.read_parquet(path).equals(exp.to_frame())
        True
        """
        from rai_widget.explanations._frames import to_parquet

        return to_parquet(self, path, output)

    def column_spec(self) -> CohortColumns:
        """index, y_true, y_pred, correct, confidence (single-label) or error, length, truncated, tokens."""
        cols = C.outcome_columns(
            n=len(self),
            task=self.task,
            output_names=self.output_names,
            y_pred=self.y_pred,
            y_true=self.y_true,
            probabilities=self.probabilities if self.task == "classification" else None,
        )
        cols["length"] = C.number([len(t) for t in self.tokens])
        cols["truncated"] = C.boolean(self.truncated)
        cols["tokens"] = C.tokens(self.tokens)  # each text's words, for the "contains" op
        return CohortColumns(cols, len(self))

    def to_shap(self, output=None):
        """The explanation as a ``shap.Explanation`` over texts, so shap's text plots work too.

        Parameters
        ----------
        output : str or int, optional
            One output, by name or index; None: every output.

        Returns
        -------
        shap.Explanation
            Values (n, t_i, k), or (n, t_i) for one output.
        """
        import shap

        names: list | None = self.output_names
        values, base = self.values, self.base_values
        if output is not None:
            k = self.output_index(output)
            values, base, names = [v[:, k] for v in values], base[:, k], None
        ragged = np.empty(len(self), dtype=object)
        ragged[:] = values
        data = np.empty(len(self), dtype=object)
        data[:] = [np.array(t, dtype=object) for t in self.tokens]
        result = shap.Explanation(values=ragged, base_values=base, data=data, output_names=names)
        if output is not None:
            return result
        from rai_widget.explanations._from_shap import carry

        # what shap has no field for, as `.rai_widget`, so rw.from_shap(exp.to_shap()) gives this explanation back
        return carry(
            result,
            self,
            texts=self.texts,
            tokens=self.tokens,
            offsets=self.offsets,
            truncated=self.truncated,
            threshold=self.threshold,
            params=self.params,
        )

    def _to_arrays(self):
        lengths = np.array([len(t) for t in self.tokens], dtype=np.int64)
        k = len(self.output_names)
        meta, arrays = outcome_to_arrays(self)
        texts, text_offsets = strings_to_arrays(self.texts)
        tokens, token_bytes = strings_to_arrays([w for t in self.tokens for w in t])
        arrays |= {
            "texts_utf8": texts,  # text i: texts_utf8[text_bytes[i]:text_bytes[i+1]], UTF-8
            "text_bytes": text_offsets,
            "token_offsets": np.concatenate([[0], np.cumsum(lengths)]),  # text i's tokens: [o[i], o[i+1])
            "tokens_utf8": tokens,
            "token_bytes": token_bytes,
            "spans": np.concatenate([np.asarray(o, dtype=np.int64).reshape(-1, 2) for o in self.offsets]),
            "values": np.concatenate([np.asarray(v, dtype=np.float64).reshape(-1, k) for v in self.values]),
            "base_values": self.base_values,
            "truncated": self.truncated,
        }
        meta = {**meta, "threshold": self.threshold, "params": self.params}
        for name in ("faithfulness", "approximation"):  # optional: files without them load as None
            part = getattr(self, name)
            if part is not None:
                part_meta, part_arrays = part.to_arrays()
                meta[name] = part_meta
                arrays |= part_arrays
        return meta, arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        o = np.asarray(arrays["token_offsets"])
        if o.ndim != 1 or o.dtype.kind not in "iu" or len(o) == 0 or o[0] != 0 or (np.diff(o) < 0).any():
            raise ValueError("token_offsets do not cut the tokens into texts")
        if meta["version"] >= 2:  # format 2: UTF-8, every character kept
            texts = strings_from_arrays(arrays["texts_utf8"], arrays["text_bytes"])
            words = strings_from_arrays(arrays["tokens_utf8"], arrays["token_bytes"])
        else:  # format 1: numpy string arrays
            texts = [str(t) for t in arrays["texts"]]
            words = [str(w) for w in arrays["tokens"]]
        if o[-1] != len(words) or len(o) != len(texts) + 1:
            raise ValueError(
                f"token_offsets cover {o[-1]} tokens of {len(words)} for {len(o) - 1} of {len(texts)} texts"
            )
        spans, values = np.asarray(arrays["spans"]), np.asarray(arrays["values"])
        if len(spans) != len(words) or len(values) != len(words):
            raise ValueError(f"{len(spans)} spans and {len(values)} values for {len(words)} tokens")
        parts = range(len(o) - 1)
        tokens = [words[o[i] : o[i + 1]] for i in parts]
        return cls(
            texts=texts,
            tokens=tokens,
            offsets=[spans[o[i] : o[i + 1]] for i in parts],
            values=[values[o[i] : o[i + 1]] for i in parts],
            base_values=arrays["base_values"],
            truncated=arrays["truncated"],
            threshold=meta.get("threshold"),
            params=meta.get("params"),
            faithfulness=(
                TextFaithfulness.from_arrays(meta["faithfulness"], arrays) if meta.get("faithfulness") else None
            ),
            approximation=(
                TextApproximation.from_arrays(meta["approximation"], arrays) if meta.get("approximation") else None
            ),
            **outcome_from_arrays(meta, arrays),
        )
