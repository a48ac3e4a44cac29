"""Built-in example networks (the seed 000 model grid arrives with its own issue)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["demo_net"]


def demo_net(dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A 2-D, 3-layer tanh network used as x_{t+1} = f(x_t) by ``neurodyn demo``.

    ``Linear(2, 8) → Tanh → Linear(8, 8) → Tanh → Linear(8, 2)``, weights from a seeded
    generator (seed 0) around a hand-set structure: four hidden units share a steep direction
    (≈ 2·x₁ + 0.4·x₂), which makes the map bistable — two stable spiral equilibria near
    x₁ ≈ ±1 and a saddle between them — so the demo shows basins, a saddle and an expanding
    region of A*(x) around the separatrix.
    """
    net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        w0 = torch.randn(8, 2, generator=g, dtype=torch.float64) * 0.8
        w0[:4] = torch.tensor([[2.0, 0.4]], dtype=torch.float64) + 0.1 * torch.randn(
            4, 2, generator=g, dtype=torch.float64
        )
        b0 = 0.1 * torch.randn(8, generator=g, dtype=torch.float64)
        w1 = 1.2 * torch.eye(8, dtype=torch.float64) + 0.05 * torch.randn(
            8, 8, generator=g, dtype=torch.float64
        )
        w2 = torch.zeros(2, 8, dtype=torch.float64)
        w2[0, :4] = 0.3
        w2[1, 4:] = 0.15 * torch.randn(4, generator=g, dtype=torch.float64)
        w2[1, :4] = 0.05
        net[0].weight.copy_(w0)
        net[0].bias.copy_(b0)
        net[2].weight.copy_(w1)
        net[2].bias.zero_()
        net[4].weight.copy_(w2)
        net[4].bias.copy_(torch.tensor([0.05, 0.0], dtype=torch.float64))
    return net.to(dtype).eval()
