"""The built-in example network of ``neurodyn demo``."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["demo_net"]


def demo_net(dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A 2-D tanh network used as x_{t+1} = f(x_t) by ``neurodyn demo``.

    ``Linear(2, 8) → Tanh → Linear(8, 2)``. Two hidden units carry a hand-set core
    f(x) ≈ R(0.5) diag(1, 0.8) tanh(diag(3, 1) x) (R a rotation by 0.5 rad), which alone is
    bistable with two stable spirals, two saddles and an unstable spiral at the origin. The other
    six units add seeded small weights (generator seed 0) and small biases; they break the
    symmetry, and one saddle and the unstable origin annihilate, leaving two stable spiral
    equilibria near ±(0.54, 1.0) and one saddle between them (checked in tests/test_cli.py).
    """
    g = torch.Generator().manual_seed(0)

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    c, s = math.cos(0.5), math.sin(0.5)
    w0 = 0.15 * randn(8, 2)
    w0[:2] = torch.tensor([[3.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    w1 = 0.05 * randn(2, 8)
    w1[:, :2] = torch.tensor([[c, -s], [s, c]], dtype=torch.float64) @ torch.diag(
        torch.tensor([1.0, 0.8], dtype=torch.float64)
    )
    net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    with torch.no_grad():
        net[0].weight.copy_(w0)
        net[0].bias.copy_(0.05 * randn(8))
        net[2].weight.copy_(w1)
        net[2].bias.copy_(0.02 * randn(2))
    return net.to(dtype).eval()
