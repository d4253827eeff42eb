"""An inference twin of an eval-mode image model for gradient paths: batch norms folded into their convolutions.

Integrated gradients (and XRAI, which runs it) push 50 path points per image through the model forward
and backward. In an eval-mode network a BatchNorm2d after a convolution is a per-channel affine map, so
it can be folded into the convolution's weights (torch's own ``fuse_conv_bn_weights``): the function is
the same, its input gradient is the same, and the batch norm's own forward and backward passes, about a
quarter of EfficientNet-Lite0's time, disappear. A zero padding module right before a convolution with
no padding of its own becomes that convolution's padding when it is symmetric (it saves a copy per pass).

The twin is a ``torch.fx`` trace of the user's model that shares its parameters and never changes it.
Models that cannot be traced, have hooks, or whose twin does not reproduce the model's outputs on the
real input are used as they are.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.nn.utils.fusion import fuse_conv_bn_weights

_CONV_FUNCTIONS = (torch.conv2d, F.conv2d)
_CONV_ARGS = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")


def _fetch(root: nn.Module, target: str):
    return functools.reduce(getattr, target.split("."), root)


def _conv_call(node: fx.Node, modules: dict) -> dict | None:
    """The arguments of a 2-d convolution node with fixed weights, by name, or None for any other node."""
    if node.op == "call_module" and type(modules.get(node.target)) is nn.Conv2d:
        conv = modules[node.target]
        if conv.padding_mode != "zeros":
            return None
        return {
            "input": node.args[0],
            "weight": conv.weight,
            "bias": conv.bias,
            "stride": conv.stride,
            "padding": conv.padding,
            "dilation": conv.dilation,
            "groups": conv.groups,
        }
    if node.op == "call_function" and node.target in _CONV_FUNCTIONS:
        call = dict(zip(_CONV_ARGS, node.args, strict=False)) | dict(node.kwargs)
        for name, default in zip(_CONV_ARGS[2:], (None, 1, 0, 1, 1), strict=True):
            call.setdefault(name, default)
        for name in ("weight", "bias"):  # folding needs the tensors themselves, not computed values
            v = call[name]
            if v is None and name == "bias":
                continue
            if not (isinstance(v, fx.Node) and v.op == "get_attr" and isinstance(v.target, str)):
                return None
            root = node.graph.owning_module
            assert root is not None, "a traced graph belongs to its GraphModule"
            call[name] = _fetch(root, v.target)
        if any(isinstance(call[k], fx.Node) for k in _CONV_ARGS[3:]):
            return None
        return call
    return None


def _symmetric_zero_pad(node: fx.Node, modules: dict) -> tuple[int, int] | None:
    """(top, left) for a ZeroPad2d node padding both sides of each axis alike, else None."""
    pad = modules.get(node.target) if node.op == "call_module" else None
    if type(pad) is not nn.ZeroPad2d:
        return None
    left, right, top, bottom = pad.padding
    return (top, left) if left == right and top == bottom else None


def _no_padding(padding) -> bool:
    return padding != "same" and all(p == 0 for p in ((padding,) * 2 if isinstance(padding, int) else padding))


def _fold(gm: fx.GraphModule) -> int:
    """Fold eval batch norms and symmetric zero pads into the convolutions of ``gm``; the number folded."""
    modules = dict(gm.named_modules())
    graph, folded = gm.graph, 0
    for node in list(graph.nodes):
        bn = modules.get(node.target) if node.op == "call_module" else None
        if (
            not isinstance(bn, nn.BatchNorm2d)
            or bn.training
            or bn.running_mean is None
            or bn.running_var is None
            or len(node.args) != 1
        ):
            continue
        producer = node.args[0]
        call = _conv_call(producer, modules) if isinstance(producer, fx.Node) else None
        if call is None or len(producer.users) != 1:
            continue
        with torch.no_grad():
            weight, bias = fuse_conv_bn_weights(
                call["weight"], call["bias"], bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
            )
        source = call["input"]
        padding = call["padding"]
        pad = _symmetric_zero_pad(source, modules) if isinstance(source, fx.Node) else None
        if pad is not None and len(source.users) == 1 and _no_padding(padding):
            source, padding = source.args[0], pad
        names = [f"rw_folded{folded}_{k}" for k in ("weight", "bias")]
        for name, value in zip(names, (weight, bias), strict=True):
            gm.register_buffer(name, value.detach().requires_grad_(False))
        with graph.inserting_before(node):
            w, b = (graph.get_attr(n) for n in names)
            conv = graph.call_function(
                F.conv2d, (source, w, b, call["stride"], padding, call["dilation"], call["groups"])
            )
        node.replace_all_uses_with(conv)
        graph.erase_node(node)
        graph.erase_node(producer)
        folded += 1
    graph.eliminate_dead_code()
    gm.recompile()
    return folded


def _has_hooks(model: nn.Module) -> bool:
    return any(
        m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks for m in model.modules()
    )


def folded_twin(model: nn.Module, example: torch.Tensor, tolerance: float = 1e-4) -> nn.Module:
    """The model with its eval batch norms folded into its convolutions, or the model itself when that
    cannot be done or would not give the same outputs on ``example`` (a model-input batch)."""
    if model.training or _has_hooks(model) or not any(isinstance(m, nn.BatchNorm2d) for m in model.modules()):
        return model
    try:
        gm = fx.symbolic_trace(model)
        if not _fold(gm):
            return model
        with torch.inference_mode():
            want, got = model(example), gm(example)
    except Exception:  # noqa: BLE001  (any model fx cannot trace or run is explained as it is)
        return model
    if not (isinstance(want, torch.Tensor) and isinstance(got, torch.Tensor) and want.shape == got.shape):
        return model
    scale = want.abs().max().item()
    if not torch.isfinite(got).all() or (got - want).abs().max().item() > tolerance * max(scale, 1.0):
        return model
    return gm
