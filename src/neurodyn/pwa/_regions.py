"""Linear regions of piecewise-linear networks (seed 000 §4, effects of activation functions)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from neurodyn.pwa._network import parse_network
from neurodyn.pwa._walk import walk

__all__ = ["activation_pattern", "linear_regions"]


def activation_pattern(net: nn.Module, x: Tensor) -> Tensor:
    """The local affine piece of every unit at every point, ``(B, 2·units)``.

    Each unit contributes (slope, intercept) of the affine piece σ(z) = s z + c it sits on at z
    (slope by autograd, intercept c = σ(z) − s z), which identifies the piece exactly for
    piecewise-linear activations — including Hardtanh's two flat pieces, which share slope 0.
    Intercepts are as computed (with rounding noise); :func:`linear_regions` snaps them to a grid.

    Raises:
        ValueError: if any activation is not piecewise linear (smooth activations have no
            linear regions; use the spectral-radius map instead).
    """
    layers = parse_network(net)
    h = x
    parts: list[Tensor] = []
    for step in walk(layers, x.shape[1]):
        if (affine := step.affine) is not None:
            h = torch.nn.functional.linear(h, affine.weight, affine.bias)
            continue
        layer = step.activation
        if not layer.spec.piecewise_linear:
            raise ValueError(
                f"{layer.source}: {layer.spec.name} is not piecewise linear, so the network has no "
                "linear regions. Piecewise-linear activations: ReLU, LeakyReLU, PReLU, RReLU, "
                "Hardtanh, ReLU6, Hardsigmoid, Hardshrink, Softshrink. For smooth activations map "
                "the spectral radius of A*(x) instead (neurodyn.stability.spectral_radius)."
            )
        out, slope = layer.spec.value_and_derivative(h)
        parts += [slope, out - slope * h]
        h = out
    return torch.cat(parts, dim=1) if parts else torch.zeros(x.shape[0], 0, dtype=x.dtype)


def linear_regions(net: nn.Module, x: Tensor) -> Tensor:
    """Linear-region id of each point, ``(B,)`` int64, numbered 0, 1, … in order of first
    appearance in ``x``. Two points share an id iff every unit sits on the same affine piece,
    so the network is one affine map J x + c on each region (constant Jacobian J). A*(x) and
    b*(x) of :func:`neurodyn.linearize` are constant on each region only when every activation
    is positively homogeneous (ReLU, LeakyReLU, PReLU, RReLU); for Hardtanh, ReLU6, Hardsigmoid,
    Softshrink and Hardshrink, Λ(z) = (σ(z) − σ(0))/z is a secant that varies along a piece.
    """
    pattern = activation_pattern(net, x)
    if pattern.shape[1] == 0:
        return torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
    # Intercepts σ(z) − s·z carry rounding noise that grows with |z| (and Hardsigmoid's autograd
    # slope is float32(1/6) even in float64, so its middle-piece intercept drifts by ~5e-9·z):
    # compared bit-for-bit, every point would be its own region. Snap the pattern to a grid of
    # 2^⌊0.4·log2 ε⌋ (2^-21 in float64, 2^-10 in float32) — far above that noise, far below
    # the O(1) gaps between the pieces of any activation.
    quantum = 2.0 ** (math.floor(math.log2(torch.finfo(pattern.dtype).eps)) * 2 // 5)
    pattern = torch.round(pattern / quantum)
    _, inverse = torch.unique(pattern, dim=0, return_inverse=True)
    # renumber by first appearance so ids are stable under the sort order of unique()
    first = torch.full((int(inverse.max()) + 1,), x.shape[0], dtype=torch.long, device=x.device)
    first.scatter_reduce_(0, inverse, torch.arange(x.shape[0], device=x.device), reduce="amin")
    order = torch.argsort(first)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=x.device)
    return rank[inverse]
