"""The points a sampled certificate is evaluated on."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from neurodyn._core import Box

__all__ = ["fmt_point", "sample_domain", "sample_points", "worst_index"]


def sample_domain(
    domain,
    *,
    dim: int,
    resolution: int = 101,
    samples: int = 10000,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device=None,
) -> tuple[Tensor, dict]:
    """Points of a domain and a record of how they were obtained.

    ``domain`` is a ``(B, n)`` tensor of points (used as given), a
    :class:`neurodyn.dynamics.Box`, or a box as one ``(low, high)`` pair per dimension. A box
    with n ≤ 2 is sampled on the regular grid :meth:`Box.grid` of ``resolution`` points per axis
    (coordinate 0 fastest); larger boxes by ``samples`` uniform random points
    (:meth:`Box.sample`, seeded) plus the 2ⁿ corners for n ≤ 10.

    Returns:
        ``(points (B, n), record)``; ``record`` has ``type``, ``count`` and, for a box, ``box``
        (the pairs) and ``sampling`` (in words).

    Raises:
        TypeError: ``domain`` is neither points nor a box.
        ValueError: wrong dimension, or a box edge that is not finite low < high.
    """
    pts, record, _ = sample_points(
        domain, dim=dim, resolution=resolution, samples=samples, seed=seed, dtype=dtype
    )
    return pts.to(device), record


def sample_points(domain, *, dim, resolution, samples, seed, dtype) -> tuple[Tensor, dict, int]:
    """:func:`sample_domain` plus how many leading points are in drawn (not grid) order."""
    if isinstance(domain, Tensor):
        if domain.ndim != 2 or domain.shape[1] != dim:
            raise ValueError(
                f"domain points must have shape (B, {dim}), got {tuple(domain.shape)}."
            )
        return domain, {"type": "points", "count": int(domain.shape[0])}, int(domain.shape[0])
    try:
        box = Box.coerce(domain)
    except TypeError as err:
        raise TypeError(
            "domain must be a (B, n) tensor of points or a box given as one (low, high) pair per "
            f"dimension, e.g. [(-6, 6), (-6, 6)]; got {domain!r}."
        ) from err
    except ValueError as err:
        raise ValueError(str(err).replace("Box dimension", "box dimension")) from err
    if box.dim != dim:
        raise ValueError(
            f"the box has {box.dim} (low, high) pairs but the network has {dim} inputs."
        )
    pairs = box.pairs
    if dim <= 2:
        pts = box.grid(resolution, dtype=dtype)
        how, n_random = f"regular grid, {resolution} per axis", 0
    else:
        pts = box.sample(samples, seed=seed, dtype=dtype)
        how, n_random = f"{samples} uniform random points (seed {seed})", samples
        if dim <= 10:
            pts = torch.cat([pts, box.corners(dtype=dtype)])
            how += f" + {2**dim} corners"
    record = {"type": "box", "box": pairs, "sampling": how, "count": int(pts.shape[0])}
    return pts, record, n_random


def worst_index(values: Tensor, pts: Tensor, n_random: int) -> int:
    """Index of the largest of ``values`` ``(B,)``; among exact ties, the first of the leading
    ``n_random`` drawn points, else the lexicographically smallest grid or corner point.

    Grid and corners are in :class:`Box` order (coordinate 0 fastest); the lexicographic
    tie-break picks the same worst point whatever the grid order (ReLU nets, constant on
    regions, tie at many points).
    """
    ties = (values == values.max()).nonzero().squeeze(1)
    drawn = ties[ties < n_random]
    if drawn.numel():
        return int(drawn[0])
    if ties.numel() == 1:
        return int(ties[0])
    cand = pts[ties]
    order = torch.arange(ties.numel(), device=ties.device)
    for k in reversed(range(pts.shape[1])):  # stable sorts, last key first = lexicographic
        order = order[torch.sort(cand[order, k], stable=True).indices]
    return int(ties[order[0]])


def fmt_point(x: Tensor) -> str:
    """A point as ``(x₀, x₁, …)`` with 4 significant digits, for conclusions; a coordinate
    below 10⁻¹² of the largest (a grid's rounding, e.g. −8.3e-17 for 0) is written 0."""
    vals = [float(v) for v in x.reshape(-1).tolist()]
    scale = max((abs(v) for v in vals if math.isfinite(v)), default=0.0)
    return "(" + ", ".join("0" if abs(v) <= 1e-12 * scale else f"{v:.4g}" for v in vals) + ")"
