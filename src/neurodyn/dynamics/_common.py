"""Pieces every dynamics algorithm shares: the box of initial states, the state checks (shape,
finiteness, the map's dtype) and the one divergence test."""

from __future__ import annotations

import torch
from torch import Tensor

from neurodyn._core import Box
from neurodyn._core._validate import check_batch
from neurodyn.systems import MapBase
from neurodyn.systems._map import require_dtype

__all__ = ["as_box", "check_states", "escaped", "grid_points", "state_dtype"]


def grid_points(
    low: tuple[float, float],
    high: tuple[float, float],
    resolution: int | tuple[int, int],
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """A 2-D grid over the box [low₀, high₀] × [low₁, high₁] (a thin wrapper of
    :meth:`neurodyn.dynamics.Box.grid`).

    Returns:
        ``(xs, ys, points)``: axes ``(nx,)``, ``(ny,)`` and points ``(ny·nx, 2)`` in row-major
        order (``points.reshape(ny, nx, 2)[i, j] = (xs[j], ys[i])``), ready for ``imshow``.
    """
    nx, ny = (resolution, resolution) if isinstance(resolution, int) else resolution
    if nx < 2 or ny < 2:
        raise ValueError(f"resolution must be at least 2 per axis, got {(nx, ny)}.")
    if not (high[0] > low[0] and high[1] > low[1]):
        raise ValueError(f"grid box needs high > low on both axes, got low={low}, high={high}.")
    box = Box(tuple(low), tuple(high))
    xs, ys = box.axes((nx, ny), dtype=dtype, device=device)
    return xs, ys, box.grid((nx, ny), dtype=dtype, device=device)


def as_box(low, high, dim: int) -> Box:
    """``low`` if it is a :class:`Box` (``high`` None), else ``Box(low, high)``; ``dim`` entries."""
    if isinstance(low, Box):
        if high is not None:
            raise ValueError("pass either a Box or low=..., high=..., not both.")
        box = low
    else:
        if low is None or high is None:
            raise ValueError(
                "give seeds (S, n), a Box, or both low=... and high=... (one entry per state)."
            )
        if len(low) != dim or len(high) != dim:
            raise ValueError(f"low and high need {dim} entries (one per state), got {low}, {high}.")
        box = Box(tuple(low), tuple(high))
    if box.dim != dim:
        raise ValueError(f"the box has {box.dim} dimensions but the map has dim {dim}.")
    return box


def state_dtype(f: MapBase) -> tuple[torch.dtype, torch.device | None]:
    """The dtype and device grids are built in: the map's where it declares them; else float64
    if a float64 probe step runs, else float32 if a float32 one does (an autograd-fallback
    ``as_map(lambda h: module(h), dim=n)`` around a float32 module declares nothing)."""
    if f.dtype is not None:
        return f.dtype, f.device
    if f.input_size is not None:
        return torch.float64, f.device
    errors = []
    for dtype in (torch.float64, torch.float32):
        try:
            with torch.no_grad():
                f.step(torch.zeros(1, f.dim, dtype=dtype, device=f.device))
            return dtype, f.device
        except (RuntimeError, TypeError) as err:
            errors.append(err)
    raise errors[0]


def check_states(f: MapBase, x0: Tensor, what: str = "x0", *, allow_empty: bool = True) -> None:
    """``x0`` must be ``(B, n)``, finite (the message names the rows that are not), in the map's
    dtype / device, and with ``B ≥ 1`` unless ``allow_empty`` (clear errors)."""
    dim = f.dim
    if not isinstance(x0, Tensor) or x0.ndim != 2 or x0.shape[1] != dim:
        shape = tuple(x0.shape) if isinstance(x0, Tensor) else type(x0).__name__
        raise ValueError(f"{what} must have shape (B, {dim}), got {shape}.")
    require_dtype(f, x0, what)
    if x0.shape[0] or not allow_empty:
        check_batch(x0, what)


def escaped(x: Tensor, bound: float) -> Tensor:
    """``(B,)`` bool: rows of ``x`` that are NaN/inf or have ‖x‖₂ > ``bound`` — the one
    divergence test of simulate, basins and classify_attractor."""
    return ~torch.isfinite(x).all(dim=1) | (torch.linalg.vector_norm(x, dim=1) > bound)
