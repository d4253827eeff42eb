"""The torch side of the gradient methods: which layer Grad-CAM reads, guided backprop for every ReLU
kind, and input-only backward passes. torch and captum are imported only when these are called.
"""

from __future__ import annotations

import difflib


def conv_names(model) -> list[str]:
    import torch

    return [name for name, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]


def resolve_layer(model, target_layer):
    """The module Grad-CAM attributes to: a name, a module, or None for the last Conv2d."""
    import torch

    convs = conv_names(model)
    if isinstance(target_layer, torch.nn.Module):
        if not any(m is target_layer for m in model.modules()):
            last = ", ".join(repr(c) for c in convs[-5:]) or "(none)"
            raise ValueError(
                f"target_layer is a {type(target_layer).__name__} that is not a layer of the model; pass one of "
                f"its modules (or its name, as in model.named_modules()). Its last Conv2d layers: {last}."
            )
        return target_layer
    if target_layer is None:
        if not convs:
            raise ValueError("the model has no torch.nn.Conv2d layer; pass target_layer= (a name or a module).")
        return model.get_submodule(convs[-1])
    names = [name for name, _ in model.named_modules() if name]
    if target_layer in names:
        return model.get_submodule(target_layer)
    close = difflib.get_close_matches(str(target_layer), names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(repr(c) for c in convs[-5:]) or "(none)"
    raise ValueError(f"the model has no layer named {target_layer!r}.{hint} Its last Conv2d layers: {shown}.")


def layer_name(model, layer) -> str:
    """The layer's name in ``model.named_modules()`` ("" for the model itself)."""
    return next((n for n, m in model.named_modules() if m is layer), "")


def check_feature_map(model, layer, outputs: list) -> None:
    """Grad-CAM reads `layer`'s output as an (N, C, H, W) feature map: `outputs` holds what a forward hook on it
    saw during one pass of the model; a ValueError names the layer and what to pass instead."""
    import torch

    name = layer_name(model, layer)
    convs = ", ".join(repr(c) for c in conv_names(model)[-5:]) or "(none)"
    fix = f"Pass target_layer= a convolutional layer (the model's last Conv2d layers: {convs}), or None for the last."
    if not outputs:
        raise ValueError(
            f"target_layer {name!r} did not run when the model ran: Grad-CAM needs a layer that the "
            f"forward pass uses. {fix}"
        )
    out = outputs[0]
    if not isinstance(out, torch.Tensor):
        got = f"a {type(out).__name__}"
    elif out.ndim != 4 or min(out.shape[1:]) < 1:
        got = f"a tensor of shape {tuple(out.shape)}"
    else:
        return
    raise ValueError(
        f"target_layer {name!r} ({type(layer).__name__}) outputs {got}, not an (N, C, H, W) feature map, which "
        f"Grad-CAM weighs by its gradients. {fix}"
    )


def guided_backprop(model):
    """captum's GuidedBackprop, extended from nn.ReLU to the other ReLU modules (ReLU6 in MobileNet- and
    EfficientNet-Lite-style models), which captum leaves with plain gradients."""
    import torch
    from captum.attr import GuidedBackprop
    from captum.attr._core import guided_backprop_deconvnet as captum_gb

    class ReluFamilyGuidedBackprop(GuidedBackprop):
        def _register_hooks(self, module):
            if isinstance(module, torch.nn.ReLU6):
                # captum's own hook registration (it also copes with in-place activations)
                self.backward_hooks.extend(captum_gb._register_backward_hook(module, self._backward_hook, self))
            else:
                super()._register_hooks(module)

    return ReluFamilyGuidedBackprop(model)


class FrozenParams:
    """Within the block, parameters need no gradient: backward computes input gradients only."""

    def __init__(self, model):
        self.params = [p for p in model.parameters() if p.requires_grad]

    def __enter__(self):
        for p in self.params:
            p.requires_grad_(False)

    def __exit__(self, *exc):
        for p in self.params:
            p.requires_grad_(True)
