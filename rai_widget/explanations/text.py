"""TextExplanation: token attributions for texts (from TextExplainer)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from rai_widget.explanations import _columns as C
from rai_widget.explanations._base import Explanation
from rai_widget.explanations._columns import CohortColumns
from rai_widget.explanations._format import outcome_from_arrays, outcome_to_arrays

# What the view's "hide stop-words" hides: scikit-learn's English stop words and punctuation tokens.
PUNCTUATION = tuple(",.!?;:'\"-()")


def view_stop_words() -> list[str]:
    """The words the view's token chart can hide (global_importance(stop_words=...) takes the same list)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(set(ENGLISH_STOP_WORDS) | set(PUNCTUATION))


class TextExplanation(Explanation):
    """Token attributions for texts (from TextExplainer).

    tokens[i] are text i's words as people read them (sub-word pieces merged, special tokens
    dropped), offsets[i] their (start, end) characters in texts[i] (-1 when unknown), values[i]
    a (t_i, k) array in `units`, and base_values[i] + values[i].sum(0) == model_output[i]
    (special tokens' values are part of base_values). truncated[i] says whether text i was longer
    than the model reads: then only the part it reads has tokens.

    Example
    -------
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
    ):
        self.texts = list(texts)
        self.tokens = [list(t) for t in tokens]
        self.offsets = offsets
        self.values = values
        self.base_values = base_values
        self.model_output = model_output
        self.output_names = list(output_names)
        self.task = task
        self.units = units
        self.y_pred = y_pred
        self.y_true = y_true
        self.probabilities = probabilities
        self.truncated = np.zeros(len(texts), dtype=bool) if truncated is None else np.asarray(truncated, dtype=bool)
        self.threshold = threshold
        self.params = params or {}
        self._validate()

    def __repr__(self) -> str:
        return (
            f"TextExplanation({len(self)} texts, {sum(map(len, self.tokens))} tokens, task={self.task!r}, "
            f"outputs={self.output_names}, units={self.units!r}, truncated={int(self.truncated.sum())})"
        )

    def __len__(self) -> int:
        return len(self.texts)

    def predicted_index(self) -> np.ndarray:
        """Per text, the index of the top output (for multi-label too)."""
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

        Tokens are grouped case-insensitively. output: None or "predicted" uses each text's predicted
        (top) output, or an output's name or index. stop_words: None keeps every token, "english"
        drops scikit-learn's English stop words, or any collection of words to drop.
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
        """A shap.Explanation over texts: values (n, t_i, k), or (n, t_i) for one output (name or index)."""
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
        return shap.Explanation(values=ragged, base_values=base, data=data, output_names=names)

    def _to_arrays(self):
        lengths = np.array([len(t) for t in self.tokens], dtype=np.int64)
        k = len(self.output_names)
        meta, arrays = outcome_to_arrays(self)
        arrays |= {
            "texts": np.array(self.texts, dtype=str),
            "token_offsets": np.concatenate([[0], np.cumsum(lengths)]),  # text i's tokens: [o[i], o[i+1])
            "tokens": np.array([w for t in self.tokens for w in t] or [""], dtype=str)[: lengths.sum()],
            "spans": np.concatenate([np.asarray(o, dtype=np.int64).reshape(-1, 2) for o in self.offsets]),
            "values": np.concatenate([np.asarray(v, dtype=np.float64).reshape(-1, k) for v in self.values]),
            "base_values": self.base_values,
            "truncated": self.truncated,
        }
        return {**meta, "threshold": self.threshold, "params": self.params}, arrays

    @classmethod
    def _from_arrays(cls, meta, arrays):
        o = arrays["token_offsets"]
        parts = range(len(o) - 1)
        tokens = [[str(w) for w in arrays["tokens"][o[i] : o[i + 1]]] for i in parts]
        return cls(
            texts=[str(t) for t in arrays["texts"]],
            tokens=tokens,
            offsets=[arrays["spans"][o[i] : o[i + 1]] for i in parts],
            values=[arrays["values"][o[i] : o[i + 1]] for i in parts],
            base_values=arrays["base_values"],
            truncated=arrays["truncated"],
            threshold=meta.get("threshold"),
            params=meta.get("params"),
            **outcome_from_arrays(meta, arrays),
        )
