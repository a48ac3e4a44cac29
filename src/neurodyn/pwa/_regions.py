"""Linear regions of piecewise-linear networks (Drgoňa et al., Spectral analysis, Sec. 3 and
Sec. 4 on the effects of activation functions): region ids of points, and the exact
enumeration of every region that meets a box."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor, nn

from neurodyn._core import Box, Progress
from neurodyn.pwa._enumerate import METHODS, Stage, enumerate_regions
from neurodyn.pwa._network import ActivationLayer, AffineLayer, parse_network
from neurodyn.pwa._pieces import piece_table
from neurodyn.pwa._region_set import LinearRegion, LinearRegions
from neurodyn.pwa._walk import check_finite_weights, walk

__all__ = ["activation_pattern", "linear_regions", "region_ids", "region_of"]


def activation_pattern(net: nn.Module, x: Tensor) -> Tensor:
    """The local affine piece of every unit at every point, ``(B, 2·units)``.

    Each unit contributes (slope, intercept) of the affine piece σ(z) = s z + c it sits on at z
    (slope by autograd, intercept c = σ(z) − s z), which identifies the piece exactly for
    piecewise-linear activations — including Hardtanh's two flat pieces, which share slope 0.
    Intercepts are as computed (with rounding noise); :func:`region_ids` snaps them to a grid.

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


def region_ids(net: nn.Module, x: Tensor) -> Tensor:
    """Linear-region id of each point, ``(B,)`` int64, numbered 0, 1, … in order of first
    appearance in ``x``. Two points share an id iff every unit sits on the same affine piece,
    so the network is one affine map J x + c on each region (constant Jacobian J). A*(x) and
    b*(x) of :func:`neurodyn.linearize` are constant on each region only when every piece of
    every activation passes through (0, σ(0)) (ReLU, LeakyReLU, PReLU, RReLU, Hardshrink); for
    Hardtanh, ReLU6, Hardsigmoid and Softshrink, Λ(z) = (σ(z) − σ(0))/z is a secant that varies
    along a piece.

    (Until 0.1 this was ``linear_regions(net, x)``; that name now enumerates the regions of a
    box, see :func:`linear_regions`.)

    Example:
        >>> import torch, neurodyn
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU()).double()
        >>> ids = neurodyn.pwa.region_ids(net, torch.randn(100, 2, dtype=torch.float64))
        >>> ids.shape
        torch.Size([100])
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


def _stages(net: nn.Module) -> tuple[list[Stage], np.ndarray, np.ndarray, int]:
    """The network as stages z = W h + b → σ (consecutive affine layers composed), float64."""
    layers = parse_network(net)
    check_finite_weights(layers)
    n = None
    for layer in layers:
        if isinstance(layer, AffineLayer):
            n = layer.weight.shape[1]
            break
    if n is None:
        raise ValueError("linear_regions: the network has no nn.Linear layer to fix its input.")
    W, b = np.eye(n), np.zeros(n)
    stages: list[Stage] = []
    for step in walk(layers, n):
        if (affine := step.affine) is not None:
            w = affine.weight.detach().double().cpu().numpy()
            W = w @ W
            b = w @ b
            if affine.bias is not None:
                b = b + affine.bias.detach().double().cpu().numpy()
            continue
        layer: ActivationLayer = step.activation
        if not layer.spec.piecewise_linear:
            raise ValueError(
                f"{layer.source}: {layer.spec.name} is not piecewise linear, so A*(x) varies "
                "continuously with x and the network has no finite set of linear regions to "
                "enumerate. Piecewise-linear activations: ReLU, LeakyReLU, PReLU, RReLU, "
                "Hardtanh, ReLU6, Hardsigmoid, Softshrink, Hardshrink. For smooth activations "
                "sample the box instead (neurodyn.certify without exact=True)."
            )
        stages.append(Stage(W, b, piece_table(layer.spec, step.width_in)))
        W, b = np.eye(step.width_in), np.zeros(step.width_in)
    return stages, W, b, n


def linear_regions(
    net: nn.Module,
    low,
    high=None,
    *,
    max_regions: int | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    min_radius: float | None = None,
    witnesses: int | None = None,
    seed: int = 0,
    method: str = "auto",
) -> LinearRegions:
    """Every linear region of a piecewise-linear network that meets the box [low, high].

    On each region every unit sits on one affine piece of its activation, so the network is one
    affine map f(x) = A x + b there (Drgoňa et al., Spectral analysis, Lemma 3 and Sec. 3); each
    region is returned as the H-polytope {x ∈ box : H x ≤ c} with its A, b, activation pattern
    and Chebyshev centre. The enumeration is exact up to ``min_radius``: a candidate pattern
    counts as a region only if a ball of radius > ``min_radius`` fits inside it (so patterns
    feasible only on a hyperplane — zero volume — are never counted). Layer-wise refinement
    (``neurodyn.pwa._enumerate``): in input dimension ≤ 6 each cell carries its vertex set, so
    whether a unit's hyperplane cuts a cell is read off the vertices (z's extremes over a
    polytope are attained there) and the children's vertices follow by the double-description
    step (``neurodyn.pwa._vertices``); an LP is solved per region (its Chebyshev centre) and
    only for children no witness point decides. In higher dimension, or where a cut is
    numerically ill-conditioned, interval pruning, witness points and warm-started HiGHS LPs
    decide every child.

    Args:
        net: a feedforward network accepted by :func:`neurodyn.linearize` whose activations
            are all piecewise linear (ReLU, LeakyReLU, PReLU, RReLU, Hardtanh, ReLU6,
            Hardsigmoid, Softshrink, Hardshrink).
        low, high: the box corners, sequences of n floats; or ``low`` a
            :class:`neurodyn.dynamics.Box` or ``[(low, high), …]`` pairs and ``high`` omitted.
        max_regions: stop after this many regions (the result is then ``partial``).
        time_limit: stop after this many seconds (``partial``).
        progress: ``progress(done, total)`` after each cell of the first activation layer
            (the :class:`neurodyn._core.Progress` protocol).
        min_radius: the interior margin; default 1e-6 × the box's largest width (above HiGHS's
            1e-7 feasibility tolerance, so the LP's verdict is not rounding).
        witnesses: number of seeded uniform points used as interior witnesses (default
            256·n, at most 8192).
        seed: their seed.
        method: "auto" (vertex sets where they apply: input dimension ≤ 6 and
            ``min_radius`` ≥ 2e-7 × the box's largest width), "vertex" (force them) or "lp"
            (interval bounds, witnesses and LPs only). All three return the same regions.

    Returns:
        :class:`LinearRegions` (``partial`` and ``reason`` say whether a budget stopped it; a
        warning is issued then too).

    Raises:
        ValueError: a smooth activation (no finite set of regions), a bad box, a network
            without ``nn.Linear``, an unknown ``method``, or ``method="vertex"`` with a
            ``min_radius`` below the vertex sets' resolution.
        TypeError: a module the affine form does not support.

    Example:
        >>> import torch, neurodyn
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(),
        ...                           torch.nn.Linear(8, 2)).double()
        >>> regs = neurodyn.pwa.linear_regions(net, (-2, -2), (2, 2))
        >>> r = regs[0]
        >>> x = r.center.unsqueeze(0)
        >>> torch.allclose(net(x), x @ r.A.T + r.b)
        True

    (Before 0.1, ``linear_regions(net, x)`` returned region ids of points; that call still
    works, with a DeprecationWarning, and is :func:`region_ids` now.)
    """
    if high is None and isinstance(low, Tensor):
        warnings.warn(
            "linear_regions(net, x) with a tensor of points is deprecated: use "
            "neurodyn.pwa.region_ids(net, x) for region ids of points; linear_regions(net, low, "
            "high) now enumerates the regions of a box.",
            DeprecationWarning,
            stacklevel=2,
        )
        return region_ids(net, low)
    if method not in METHODS:
        raise ValueError(f"linear_regions: method must be one of {METHODS}, got {method!r}.")
    box = _as_box(low, high)
    stages, W_out, b_out, n = _stages(net)
    if n != box.dim:
        raise ValueError(f"the box has {box.dim} dimensions but the network has {n} inputs.")
    lo = np.asarray(box.low, dtype=np.float64)
    hi = np.asarray(box.high, dtype=np.float64)
    width = float(np.max(hi - lo))
    if min_radius is None:
        min_radius = 1e-6 * width
    if witnesses is None:
        witnesses = min(8192, 256 * n)
    tables = tuple(s.table for s in stages)
    constant = all(t.through_sigma0 for t in tables)
    if not stages:  # an affine network: the box is one region
        reg = LinearRegion(
            torch.zeros(0, dtype=torch.long),
            torch.as_tensor(W_out),
            torch.as_tensor(b_out),
            torch.zeros(0, n, dtype=torch.float64),
            torch.zeros(0, dtype=torch.float64),
            torch.as_tensor((lo + hi) / 2),
            float(np.min(hi - lo)) / 2,
        )
        return LinearRegions((reg,), box, (), min_radius, 0, 0, 0, 0, 0, 0.0, False, None, True)
    found, stats, seconds, reason = enumerate_regions(
        stages,
        W_out,
        b_out,
        lo,
        hi,
        min_radius=min_radius,
        witnesses=witnesses,
        seed=seed,
        max_regions=max_regions,
        time_limit=time_limit,
        progress=progress,
        method=method,
    )
    regions = tuple(
        LinearRegion(
            torch.as_tensor(f.pattern),
            torch.as_tensor(f.A),
            torch.as_tensor(f.b),
            torch.as_tensor(f.rows),
            torch.as_tensor(f.rhs),
            torch.as_tensor(f.center),
            f.radius,
        )
        for f in found
    )
    if reason is not None:
        warnings.warn(
            f"linear_regions stopped early ({reason}) after {len(regions)} regions; the result "
            "is labelled partial=True and covers only part of the box. Raise the budget for the "
            "full enumeration.",
            RuntimeWarning,
            stacklevel=2,
        )
    return LinearRegions(
        regions,
        box,
        tuple(t.slopes.shape[0] for t in tables),
        min_radius,
        stats.lps,
        stats.candidates,
        stats.witnessed,
        stats.pruned,
        stats.slivers,
        seconds,
        reason is not None,
        reason,
        constant,
        tables,
    )


def region_of(net: nn.Module, regions: LinearRegions, x: Tensor) -> Tensor:
    """Index into ``regions`` of the region holding each point, ``(B,)`` (−1 if none).

    Each unit's piece is decided with the tie rule of :func:`activation_pattern` (the piece
    autograd's derivative selects at a breakpoint), so a point on a boundary is assigned to
    exactly one of the regions it touches.
    """
    stages, _, _, _ = _stages(net)
    h = x.detach().double().cpu().numpy()
    pre = []
    for st in stages:
        z = h @ st.weight.T + st.bias
        pre.append(torch.as_tensor(z))
        idx = st.table.index(z)
        rows = np.arange(z.shape[1])[None]
        h = st.table.slopes[rows, idx] * z + st.table.intercepts[rows, idx]
    return regions.locate(pre)


def _as_box(low, high) -> Box:
    if high is None:
        try:
            return Box.coerce(low)
        except (TypeError, ValueError) as err:
            raise type(err)(
                f"linear_regions(net, low, high): {err} Give the box as low=(…), high=(…), a "
                "Box, or [(low, high), …] pairs."
            ) from err
    low = low.tolist() if isinstance(low, Tensor) else low
    high = high.tolist() if isinstance(high, Tensor) else high
    if not isinstance(low, Sequence) or not isinstance(high, Sequence):
        raise TypeError("low and high must be sequences of floats (one per input).")
    return Box(tuple(float(v) for v in low), tuple(float(v) for v in high))
