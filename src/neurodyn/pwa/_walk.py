"""One walk over the parsed layers of a feedforward network, shared by every consumer.

:func:`linearize` (the stacked A*, c, h recursion), ``FeedforwardMap.jacobian`` (the tangent
recursion), :func:`activation_pattern` (per-unit affine pieces) and the certificate layer bounds
all visit the same alternating sequence of affine maps and elementwise activations. :func:`walk`
yields each layer with the widths around it and whether the state is still the identity (no
layer has acted yet), so every consumer writes only what it does at one layer.

Activations are evaluated through :class:`~neurodyn.activations.ActivationSpec`, whose module
is out of place (``activation_spec`` replaces an ``inplace=True`` module by a twin with
``inplace=False``): a walk never overwrites a tensor it still needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn.pwa._network import ActivationLayer, AffineLayer, Layer

__all__ = ["LayerStep", "check_finite_weights", "input_width", "walk"]


@dataclass(frozen=True)
class LayerStep:
    """One layer of a walk.

    Attributes:
        layer: the :class:`AffineLayer` or :class:`ActivationLayer`.
        index: its position in the parsed list.
        width_in: the width of the hidden state entering it.
        width_out: the width leaving it (equal to ``width_in`` for an activation).
        first: True when no earlier layer acted (the state is still h = x: A = I, c = 0).
    """

    layer: Layer
    index: int
    width_in: int
    width_out: int
    first: bool

    @property
    def affine(self) -> AffineLayer | None:
        return self.layer if isinstance(self.layer, AffineLayer) else None

    @property
    def activation(self) -> ActivationLayer | None:
        return self.layer if isinstance(self.layer, ActivationLayer) else None


def input_width(layers: list[Layer]) -> int | None:
    """Input width of the first affine layer (None if the net has no affine layer)."""
    for layer in layers:
        if isinstance(layer, AffineLayer):
            return layer.weight.shape[1]
    return None


def walk(layers: list[Layer], width: int | None = None) -> Iterator[LayerStep]:
    """Yield every layer with its widths, in order.

    Args:
        layers: from :func:`neurodyn.pwa.parse_network`.
        width: input width; by default that of the first affine layer.

    Raises:
        ValueError: the input width is unknown (no affine layer and no ``width``).
    """
    if width is None:
        width = input_width(layers)
        if width is None:
            raise ValueError("the network has no nn.Linear layer to fix its input width.")
    for i, layer in enumerate(layers):
        out = layer.weight.shape[0] if isinstance(layer, AffineLayer) else width
        yield LayerStep(layer, i, width, out, i == 0)
        width = out


def check_finite_weights(layers: list[Layer]) -> None:
    """Raise if a weight or bias holds NaN or inf: the affine form would be NaN everywhere.

    Raises:
        ValueError: naming the layer.
    """
    for layer in layers:
        if isinstance(layer, AffineLayer):
            tensors = [layer.weight] if layer.bias is None else [layer.weight, layer.bias]
            for t in tensors:
                if not bool(torch.isfinite(t.detach()).all()):
                    raise ValueError(
                        f"{layer.source} has NaN or inf in its weight or bias; A*(x), b*(x) "
                        "and every spectrum of this network would be NaN. Fix the parameters "
                        "(e.g. a diverged training run) first."
                    )
        else:
            params: list[Tensor] = list(layer.spec.module.parameters())
            for t in params:
                if not bool(torch.isfinite(t.detach()).all()):
                    raise ValueError(f"{layer.source} has NaN or inf in its parameters.")
