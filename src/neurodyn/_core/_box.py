"""``Box``: the one axis-aligned box type, with one grid ordering, used by every algorithm that
grids, samples or bounds a region of state space."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["Box"]


@dataclass(frozen=True)
class Box:
    """The box [low₀, high₀] × … × [low_{n−1}, high_{n−1}] in ℝⁿ.

    Grid ordering (the same everywhere in neurodyn): coordinate 0 varies fastest, so a grid of
    ``(r₀, …, r_{n−1})`` points reshapes to ``(r_{n−1}, …, r₀, n)``; in 2-D,
    ``points.reshape(ny, nx, 2)[i, j] = (xs[j], ys[i])``, ready for ``imshow``.

    Args:
        low, high: ``n`` finite floats each with ``low[i] < high[i]``.

    Raises:
        ValueError: unequal lengths, non-finite bounds or ``low[i] ≥ high[i]``.

    Example:
        >>> box = Box((-1.0, -2.0), (1.0, 2.0))
        >>> box.grid(3).shape
        torch.Size([9, 2])
        >>> box.grid(3)[:3, 0].tolist()   # coordinate 0 fastest
        [-1.0, 0.0, 1.0]
    """

    low: tuple[float, ...]
    high: tuple[float, ...]

    def __post_init__(self) -> None:
        low = tuple(float(v) for v in self.low)
        high = tuple(float(v) for v in self.high)
        if len(low) != len(high) or not low:
            raise ValueError(
                f"Box: low and high need the same positive number of entries, got {low}, {high}."
            )
        for i, (lo, hi) in enumerate(zip(low, high, strict=True)):
            if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
                raise ValueError(f"Box dimension {i}: need finite low < high, got ({lo}, {hi}).")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @classmethod
    def from_pairs(cls, pairs: Sequence[tuple[float, float]]) -> Box:
        """A box from one ``(low, high)`` pair per dimension, e.g. ``[(-6, 6), (-6, 6)]``."""
        try:
            pairs = [(float(lo), float(hi)) for lo, hi in pairs]
        except (TypeError, ValueError) as err:
            raise TypeError(
                "a box is one (low, high) pair per dimension, e.g. [(-6, 6), (-6, 6)]; "
                f"got {pairs!r}."
            ) from err
        return cls(tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))

    @classmethod
    def coerce(cls, box) -> Box:
        """``box`` if it is a Box, else :meth:`from_pairs` of it."""
        return box if isinstance(box, Box) else cls.from_pairs(box)

    @property
    def dim(self) -> int:
        return len(self.low)

    @property
    def pairs(self) -> list[tuple[float, float]]:
        return list(zip(self.low, self.high, strict=True))

    def _resolution(self, resolution: int | Sequence[int]) -> tuple[int, ...]:
        res = (resolution,) * self.dim if isinstance(resolution, int) else tuple(resolution)
        if len(res) != self.dim or any(not isinstance(r, int) or r < 2 for r in res):
            raise ValueError(
                f"resolution must be an int ≥ 2 or {self.dim} of them (one per axis), "
                f"got {resolution!r}."
            )
        return res

    def axes(
        self, resolution: int | Sequence[int], *, dtype=torch.float64, device=None
    ) -> list[Tensor]:
        """The grid's axes, one ``(r_i,)`` tensor per dimension (``linspace`` of each edge)."""
        res = self._resolution(resolution)
        return [
            torch.linspace(lo, hi, r, dtype=dtype, device=device)
            for (lo, hi), r in zip(self.pairs, res, strict=True)
        ]

    def grid(self, resolution: int | Sequence[int], *, dtype=torch.float64, device=None) -> Tensor:
        """Grid points ``(∏ r_i, n)``, coordinate 0 fastest (see the class docstring)."""
        axes = self.axes(resolution, dtype=dtype, device=device)
        mesh = torch.meshgrid(*reversed(axes), indexing="ij")
        return torch.stack([m.reshape(-1) for m in reversed(mesh)], dim=1)

    def grid_size(self, resolution: int | Sequence[int]) -> int:
        """Number of points :meth:`grid` would return (check it before building a huge grid)."""
        return math.prod(self._resolution(resolution))

    def sample(self, count: int, *, seed: int = 0, dtype=torch.float64, device=None) -> Tensor:
        """``count`` points uniform in the box ``(count, n)``, from a generator seeded ``seed``."""
        gen = torch.Generator().manual_seed(seed)
        lo = torch.tensor(self.low, dtype=dtype)
        hi = torch.tensor(self.high, dtype=dtype)
        u = torch.rand(count, self.dim, generator=gen, dtype=dtype)
        return (lo + (hi - lo) * u).to(device)

    def corners(self, *, dtype=torch.float64, device=None) -> Tensor:
        """The 2ⁿ corners ``(2ⁿ, n)``, in grid order."""
        return self.grid(2, dtype=dtype, device=device)

    def contains(self, x: Tensor) -> Tensor:
        """``(B,)`` bool: which rows of ``x`` ``(B, n)`` lie in the closed box."""
        lo = torch.tensor(self.low, dtype=x.dtype, device=x.device)
        hi = torch.tensor(self.high, dtype=x.dtype, device=x.device)
        return ((x >= lo) & (x <= hi)).all(dim=-1)

    def to_dict(self) -> dict:
        return {"low": list(self.low), "high": list(self.high)}
