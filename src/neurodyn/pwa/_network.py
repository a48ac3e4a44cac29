"""Reading a torch feedforward network as an alternating sequence of affine maps and activations."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from neurodyn.activations import (
    SUPPORTED_ACTIVATIONS,
    ActivationSpec,
    activation_spec,
    is_activation,
)

__all__ = ["ActivationLayer", "AffineLayer", "Layer", "parse_network"]


@dataclass(frozen=True)
class AffineLayer:
    """z = W h + b with ``weight`` ``(out, in)`` and ``bias`` ``(out,)`` or None."""

    weight: Tensor
    bias: Tensor | None
    source: str  # e.g. "Linear(2→8) at net.0"


@dataclass(frozen=True)
class ActivationLayer:
    """h = σ(z) elementwise."""

    spec: ActivationSpec
    source: str


Layer = AffineLayer | ActivationLayer

_PASS_THROUGH = (nn.Identity,)


def _batchnorm_as_affine(m: nn.modules.batchnorm._BatchNorm, where: str) -> AffineLayer:
    # PyTorch normalises with batch statistics in training mode and, in eval mode too, whenever
    # the running statistics are absent (track_running_stats=False).
    if (
        m.running_mean is None
        or m.running_var is None
        or (m.training and m.track_running_stats is False)
    ):
        raise ValueError(
            f"{where}: {type(m).__name__} without running statistics normalises with batch "
            "statistics, which couple the points of a batch; it has no pointwise-affine form."
        )
    if m.training:
        raise ValueError(
            f"{where}: {type(m).__name__} is in training mode (it normalises with batch "
            "statistics, so f(x) depends on the other points of the batch). Call net.eval() "
            "first; in eval mode it is the affine map (x − mean)·γ/√(var+ε) + β and is supported."
        )
    scale = torch.rsqrt(m.running_var + m.eps)
    if m.weight is not None:
        scale = scale * m.weight
    shift = -m.running_mean * scale
    if m.bias is not None:
        shift = shift + m.bias
    return AffineLayer(torch.diag(scale), shift, f"{type(m).__name__} at {where}")


def parse_network(net: nn.Module, *, name: str = "net") -> list[Layer]:
    """Flatten ``net`` into affine and activation layers, in order.

    Accepted: ``nn.Linear``; every activation in
    :data:`neurodyn.activations.SUPPORTED_ACTIVATIONS`; ``nn.Sequential`` (nested); pass-through
    modules ``nn.Identity``, ``nn.Flatten`` (on ``(B, n)`` inputs) and ``nn.Dropout`` in eval
    mode; ``nn.BatchNorm1d`` in eval mode (an affine map).

    Raises:
        TypeError: a module outside that list, naming it and its position in ``net``.
        ValueError: a supported module in a state without an affine form (training-mode
            Dropout, BatchNorm or RReLU), naming it and saying to call ``net.eval()``.
    """
    layers: list[Layer] = []

    def visit(m: nn.Module, where: str) -> None:
        if isinstance(m, nn.Sequential):
            # not named_children(): it skips a module instance that appears twice
            for child_name, child in m._modules.items():
                if child is not None:
                    visit(child, f"{where}.{child_name}")
        elif isinstance(m, nn.Linear):
            layers.append(
                AffineLayer(
                    m.weight,
                    m.bias,
                    f"Linear({m.in_features}→{m.out_features}) at {where}",
                )
            )
        elif is_activation(m):
            layers.append(ActivationLayer(activation_spec(m), f"{type(m).__name__} at {where}"))
        elif isinstance(m, _PASS_THROUGH):
            pass
        elif isinstance(m, nn.Flatten):
            if m.start_dim not in (1, -1) or m.end_dim != -1:
                raise TypeError(
                    f"{where}: nn.Flatten(start_dim={m.start_dim}, end_dim={m.end_dim}) is only "
                    "supported as the identity on (B, n) inputs (start_dim=1, end_dim=-1)."
                )
        elif isinstance(m, nn.modules.dropout._DropoutNd):
            if m.training and m.p > 0:
                raise ValueError(
                    f"{where}: {type(m).__name__}(p={m.p}) is in training mode and zeroes random "
                    "units, so the network is not a fixed function. Call net.eval() first."
                )
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and type(m) is nn.BatchNorm1d:
            layers.append(_batchnorm_as_affine(m, where))
        else:
            raise TypeError(
                f"{where}: {type(m).__name__} is not supported by neurodyn's exact "
                "pointwise-affine form. Supported: nn.Linear, nn.Sequential (nested), "
                "nn.Identity, nn.Flatten, nn.Dropout (eval), nn.BatchNorm1d (eval), and the "
                f"elementwise activations {', '.join(SUPPORTED_ACTIVATIONS)}. Nothing is "
                "approximated: rewrite the model with these modules (or call .eval()), or, if a "
                "local linearisation is enough, use the Jacobian from torch.func.jacrev."
            )

    visit(net, name)
    if not any(isinstance(layer, AffineLayer) for layer in layers) and not layers:
        raise ValueError(f"{name} contains no layers to linearize.")
    return layers
