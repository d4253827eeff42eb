"""Text features: the pieces the masker splits a text into, and the words people read them as.

SHAP's text masker attributes to the tokenizer's pieces (``play`` ``##ing``, ``Ġmovie``, ``▁the``,
``[CLS]``). `word_groups` maps each piece to a displayed word (sub-word pieces of one word share it)
or to -1 for special tokens and empty pieces, whose values the explainer folds into the base value.

Example
-------
>>> group, spans = word_groups(tokenizer, "unbelievably good")
>>> group          # [CLS] un ##bel ##ie ##va ##bly good [SEP]
array([-1,  0,  0,  0,  0,  0,  1, -1])
>>> spans          # character spans of the two words in the text
[(0, 12), (13, 17)]
"""

from __future__ import annotations

import re

import numpy as np

# Word-level masking for plain callables: words, and runs of punctuation, are the tokens.
WORD_PATTERN = r"\w+|[^\w\s]+"
_CONTINUATION = "##"  # WordPiece marks a piece that continues the previous one
_WORD_START = ("Ġ", "▁")  # byte-level BPE and SentencePiece mark a piece that starts a word


class WordTokenizer:
    """A word tokenizer for shap.maskers.Text: tokens are words and runs of punctuation.

    Each token's offsets start where the previous token ends, so the whitespace before a word
    travels with it: masking "an" in "an excellent film" gives "... excellent film" (shap's regex
    tokenizer gives "...excellent film" and drops trailing punctuation).
    """

    def __init__(self, pattern: str = WORD_PATTERN):
        self.pattern = re.compile(pattern)

    def spans(self, s: str) -> list[tuple[int, int]]:
        return [m.span() for m in self.pattern.finditer(s)]

    def __call__(self, s: str, return_offsets_mapping: bool = True) -> dict[str, list[str] | list[tuple[int, int]]]:
        spans = self.spans(s)
        starts = [0] + [end for _, end in spans[:-1]]
        ends = [end for _, end in spans[:-1]] + [len(s)] if spans else []
        out: dict[str, list[str] | list[tuple[int, int]]] = {"input_ids": [s[a:b] for a, b in spans]}
        if return_offsets_mapping:
            out["offset_mapping"] = list(zip(starts, ends, strict=False))
        return out


def merge_pieces(pieces: list[str]) -> tuple[np.ndarray, list[str]]:
    """Group tokenizer pieces into words by their markers (for tokenizers without offsets).

    "" marks a special token (group -1). Returns (group per piece, word texts).

    >>> merge_pieces(["", "play", "##ing", "well", ""])
    (array([-1,  0,  0,  1, -1]), ['playing', 'well'])
    >>> merge_pieces(["Ġthe", "Ġmov", "ie"])[1]
    ['the', 'movie']
    """
    marks_start = any(p.startswith(_WORD_START) for p in pieces)
    group = np.full(len(pieces), -1, dtype=np.int64)
    words: list[str] = []
    for i, piece in enumerate(pieces):
        if not piece:
            continue
        starts = piece.startswith(_WORD_START) if marks_start else not piece.startswith(_CONTINUATION)
        text = piece.lstrip("".join(_WORD_START)) if marks_start else piece.removeprefix(_CONTINUATION)
        if starts or not words:
            words.append(text)
        else:
            words[-1] += text
        group[i] = len(words) - 1
    return group, words


def word_groups(tokenizer, text: str) -> tuple[np.ndarray, list[tuple[int, int]] | list[str]]:
    """For each piece the masker sees in `text`: its word index (-1: special or empty).

    Returns (group, spans) with spans[w] the (start, end) characters of word w in `text`; for a
    tokenizer that gives no offsets, spans holds the words' texts instead.
    """
    if isinstance(tokenizer, WordTokenizer):
        word_spans = tokenizer.spans(text)
        return np.arange(len(word_spans)), word_spans
    if not hasattr(tokenizer, "convert_ids_to_tokens"):  # another callable tokenizer: each piece a word
        offsets = tokenizer(text, return_offsets_mapping=True)["offset_mapping"]
        special, word_ids = [False] * len(offsets), list(range(len(offsets)))
    else:
        try:
            enc = tokenizer(text, return_offsets_mapping=True, return_special_tokens_mask=True)
        except (NotImplementedError, TypeError):
            enc = tokenizer(text, return_special_tokens_mask=True)
            pieces = tokenizer.convert_ids_to_tokens(enc["input_ids"])
            return merge_pieces(["" if s else p for p, s in zip(pieces, enc["special_tokens_mask"], strict=True)])
        # the added special tokens ([CLS], [SEP], <s>); unlike all_special_ids this leaves [UNK] a word
        special = enc["special_tokens_mask"]
        offsets = enc["offset_mapping"]
        try:
            word_ids = enc.word_ids()  # the pre-tokenizer's words: sub-word pieces share one id
        except (AttributeError, ValueError):
            word_ids = list(range(len(offsets)))
    offsets = [(0, 0) if o is None else tuple(o) for o in offsets]
    group = np.full(len(offsets), -1, dtype=np.int64)
    spans: list[tuple[int, int]] = []
    last_word = None
    for i, ((start, end), is_special, wid) in enumerate(zip(offsets, special, word_ids, strict=True)):
        if is_special or wid is None or end <= start or not text[start:end].strip():
            continue
        if wid == last_word and spans:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
            last_word = wid
        group[i] = len(spans) - 1
    return group, spans


def truncate(tokenizer, text: str, max_length: int) -> tuple[str, bool, int]:
    """`text` cut to what the model sees at `max_length` tokens (specials included), whether it was cut,
    and where the kept part starts in `text` (not 0 when the tokenizer truncates on the left).

    Cuts where the tokenizer's own truncation (``truncation=True``, its ``truncation_side``) cuts,
    so the explained text gives the model exactly the tokens it would have read.
    """
    full = tokenizer(text)["input_ids"]
    if len(full) <= max_length:
        return text, False, 0
    enc = tokenizer(
        text, truncation=True, max_length=max_length, return_offsets_mapping=True, return_special_tokens_mask=True
    )
    special = enc["special_tokens_mask"]
    kept = [o for o, s in zip(enc["offset_mapping"], special, strict=True) if not s and o[1] > o[0]]
    if not kept:
        return "", True, 0
    if getattr(tokenizer, "truncation_side", "right") == "left":
        return text[kept[0][0] :], True, int(kept[0][0])
    return text[: kept[-1][1]], True, 0


_WORD_MASKER: list[type] = []


def word_masker(mask_token: str | None = None):
    """shap's Text masker over `WordTokenizer`, except that a masked text keeps the text's own whitespace
    and characters: masking nothing gives back the text itself (shap's collapses whitespace and strips
    it, and numpy's string arrays drop trailing NUL characters), so base + sum(values) is exactly the
    model's score of the text, whatever the model makes of whitespace. Masked words become `mask_token`
    ("..."), one per run of masked words, as in shap."""
    if not _WORD_MASKER:
        import shap

        class WordMasker(shap.maskers.Text):
            def token_segments(self, s):  # WordTokenizer's offsets tile the text (shap's fails on no token)
                enc = self.tokenizer(s, return_offsets_mapping=True)
                return [s[a:b] for a, b in enc["offset_mapping"]], enc["input_ids"]

            def _update_s_cache(self, s):
                if self._s != s:  # type: ignore[has-type]
                    self._s = s
                    segments, ids = self.token_segments(s)
                    self._tokenized_s = np.array(ids, dtype=object).reshape(-1)
                    self._segments_s = np.array(segments, dtype=object).reshape(-1)

            def __call__(self, mask, s):
                mask = self._standardize_mask(mask, s)
                self._update_s_cache(s)
                parts, previous_masked = [], False
                for keep, segment in zip(mask, self._segments_s, strict=True):
                    if keep:
                        parts.append(segment)
                        previous_masked = False
                        continue
                    core = segment.strip()
                    start = segment.index(core) if core else len(segment)
                    lead, trail = segment[:start], segment[start + len(core) :]
                    if not (self.collapse_mask_token and previous_masked):
                        parts.append(lead + self.mask_token)
                    parts.append(trail)
                    previous_masked = True
                return (np.array(["".join(parts)], dtype=object),)

        _WORD_MASKER.append(WordMasker)
    return _WORD_MASKER[0](WordTokenizer(), mask_token=mask_token)
