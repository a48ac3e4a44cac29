"""Basins of attraction over a 2-D grid."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn._core import Box
from neurodyn.dynamics._common import as_box, escaped, state_dtype
from neurodyn.dynamics._fixed_points import FixedPointsResult, fixed_points
from neurodyn.systems import complete_map

__all__ = ["BasinsResult", "basins"]


@dataclass(frozen=True)
class BasinsResult:
    """Which attractor each point of a 2-D grid reaches.

    Attributes:
        xs, ys: grid axes ``(nx,)``, ``(ny,)``.
        labels: ``(ny, nx)`` int: k ≥ 0 → converged to ``attractors[k]``; −1 → diverged;
            −2 → bounded but not converged to a fixed point (cycle, chaos or slow transient).
        attractors: ``(K, 2)`` the stable fixed points used as targets.
        steps, tol: iteration count and the distance under which a point counts as arrived.
    """

    xs: Tensor
    ys: Tensor
    labels: Tensor
    attractors: Tensor
    steps: int
    tol: float

    def fractions(self) -> dict[str, float]:
        total = self.labels.numel()
        out = {
            f"attractor_{k}": float((self.labels == k).sum()) / total
            for k in range(self.attractors.shape[0])
        }
        out["divergent"] = float((self.labels == -1).sum()) / total
        out["other"] = float((self.labels == -2).sum()) / total
        return out

    def to_dict(self) -> dict:
        return {
            "resolution": [len(self.xs), len(self.ys)],
            "box": [
                [float(self.xs[0]), float(self.ys[0])],
                [float(self.xs[-1]), float(self.ys[-1])],
            ],
            "attractors": self.attractors.tolist(),
            "fractions": self.fractions(),
            "steps": self.steps,
            "tol": self.tol,
        }


@torch.no_grad()
def basins(
    map,
    low: tuple[float, float] | Box,
    high: tuple[float, float] | None = None,
    *,
    resolution: int = 200,
    steps: int = 500,
    attractors: Tensor | FixedPointsResult | None = None,
    tol: float = 1e-3,
    bound: float = 1e6,
) -> BasinsResult:
    """Basins of attraction over a 2-D grid: iterate every grid point ``steps`` times and label it
    by the stable fixed point it ends within ``tol`` of (∞-norm), −1 if it diverged, −2 otherwise.

    ``attractors`` defaults to the stable fixed points that :func:`fixed_points` finds in the box.
    The box is ``low, high`` (two pairs) or a :class:`Box` as ``low``; the grid is
    :meth:`Box.grid` (coordinate 0 fastest) in the map's dtype.
    """
    f = complete_map(map)
    if f.dim != 2:
        raise ValueError(f"basins works on 2-D maps (phase plane); this map has dim {f.dim}.")
    box = as_box(low, high, 2)
    dtype, device = state_dtype(f)
    xs, ys = box.axes(resolution, dtype=dtype, device=device)
    pts = box.grid(resolution, dtype=dtype, device=device)
    if attractors is None:
        attractors = fixed_points(f, low=box, resolution=15)
    if isinstance(attractors, FixedPointsResult):
        stable = attractors.stable()
        attractors = (
            torch.stack([p.x for p in stable]) if stable else torch.zeros(0, 2, dtype=dtype)
        )
    attractors = attractors.to(dtype=dtype, device=pts.device)
    traj_end = pts
    diverged = torch.zeros(pts.shape[0], dtype=torch.bool, device=pts.device)
    for _ in range(steps):
        nxt = f.step(traj_end)
        diverged |= escaped(nxt, bound)
        traj_end = torch.where(diverged.unsqueeze(1), traj_end, nxt)
    labels = torch.full((pts.shape[0],), -2, dtype=torch.long, device=pts.device)
    if attractors.shape[0]:
        dist = (traj_end.unsqueeze(1) - attractors.unsqueeze(0)).abs().amax(dim=2)
        best, idx = dist.min(dim=1)
        labels = torch.where(best <= tol, idx, labels)
    labels = torch.where(diverged, -1, labels)
    ny, nx = len(ys), len(xs)
    return BasinsResult(xs, ys, labels.reshape(ny, nx), attractors, steps, tol)
