"""Skip the last layer's feed-forward for every token but the first, when the classifier reads only that one.

A BERT-style classifier (BERT, RoBERTa, ELECTRA, DeBERTa, ...) reads the last layer's hidden state of
its first token ([CLS] / <s>) and nothing else. In that layer every other token's attention output,
feed-forward and layer norm are computed and thrown away: about a tenth of the encoder's work. A
forward hook on the last block's attention keeps only the first token's output, so the feed-forward
runs on one token per text. The last block's attention still reads every token (keys and values).

Whether a model reads only its first token is checked, not assumed: on a padded batch of the user's
own texts, the scores with the hook must equal the scores without it (up to float32 rounding). A
model that pools every token (a mean, the last token) fails the check and runs unchanged. The hook is
registered only around our own forward passes, so the user's model is left as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import torch

# Hooked and plain scores differ by float32 rounding only (the feed-forward's matrix shapes change):
# ~1e-7 of the logits. A model the shortcut does not fit differs by orders of magnitude more.
AGREEMENT_RTOL = 1e-5


def last_attention(model: torch.nn.Module) -> torch.nn.Module | None:
    """The attention block of the model's last transformer layer, or None when there is no such layer."""
    found = None
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) > 0:
            attention = getattr(module[-1], "attention", None)
            if isinstance(attention, torch.nn.Module):
                found = attention  # the last such list in module order: the encoder's layers
    return found


def _first_token_only(_module, _inputs, output):
    if isinstance(output, tuple):
        return (output[0][:, :1], *output[1:])
    return output[:, :1]


@contextlib.contextmanager
def first_token_only(attention: torch.nn.Module) -> Iterator[None]:
    """While open, `attention` passes on only its first token's output."""
    handle = attention.register_forward_hook(_first_token_only)
    try:
        yield
    finally:
        handle.remove()


def fits(logits: Callable[[], torch.Tensor], attention: torch.nn.Module) -> bool:
    """Whether the model's logits are the same with the first-token shortcut as without (`logits` runs the model)."""
    try:
        plain = logits()
        with first_token_only(attention):
            short = logits()
    except Exception:  # a layer that cannot take the cut (or a model that fails anyway): run unchanged
        return False
    if short.shape != plain.shape:
        return False
    scale = max(1.0, float(plain.abs().max()))
    return bool((short - plain).abs().max() <= AGREEMENT_RTOL * scale)
