"""Result types of the exact region enumeration: regions, the set of them, exact fixed points."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from neurodyn._core import Box
from neurodyn.pwa._pieces import PieceTable

__all__ = ["LinearRegion", "LinearRegions", "RegionFixedPoint"]


@dataclass(frozen=True)
class LinearRegion:
    """One linear region: f(x) = A x + b on {x ∈ box : H x ≤ c}.

    Attributes:
        pattern: the piece index of every unit, layer by layer (ReLU: 0 off, 1 on; Hardtanh:
            0 low, 1 linear, 2 high), ``(units,)`` int64.
        A: ``(m, n)`` the region's linear part (the Jacobian of f there); for activations whose
            pieces all pass through (0, σ(0)) also A*(x) of :func:`neurodyn.linearize`.
        b: ``(m,)`` the offset.
        H: ``(k, n)`` unit-norm rows, ``c`` ``(k,)``: the half-spaces cutting the region out of
            the box (those the walk found could bind; the box itself is not repeated).
        center: ``(n,)`` the Chebyshev centre, ``radius`` the radius of the largest ball around it
            inside the region (> ``min_radius`` of the enumeration).
    """

    pattern: Tensor
    A: Tensor
    b: Tensor
    H: Tensor
    c: Tensor
    center: Tensor
    radius: float

    def contains(self, x: Tensor, tol: float = 1e-9) -> Tensor:
        """``(B,)`` bool: H x ≤ c + tol (box not checked)."""
        if self.H.shape[0] == 0:
            return torch.ones(x.shape[0], dtype=torch.bool)
        return (x @ self.H.T <= self.c + tol).all(dim=1)

    def to_dict(self) -> dict:
        return {
            "pattern": self.pattern.tolist(),
            "A": self.A.tolist(),
            "b": self.b.tolist(),
            "H": self.H.tolist(),
            "c": self.c.tolist(),
            "center": self.center.tolist(),
            "radius": self.radius,
        }

    def __repr__(self) -> str:
        return (
            f"LinearRegion(units={self.pattern.numel()}, faces={self.H.shape[0]}, "
            f"center={[round(v, 4) for v in self.center.tolist()]}, radius={self.radius:.3g})"
        )


@dataclass(frozen=True)
class RegionFixedPoint:
    """An exact fixed point x̄ = A x̄ + b of the region(s) it lies in.

    ``eigenvalues`` are those of the region's A (the Jacobian of f on that region); ``kind`` is
    "stable" (all |λ| < 1), "unstable" (all > 1), "saddle" or "non-hyperbolic" (some |λ| = 1
    within 1e-9). ``regions`` lists the indices of every enumerated region whose closure holds x̄
    (more than one when x̄ lies on a boundary: then f is not differentiable there and each
    region's eigenvalues describe one side).
    """

    x: Tensor
    eigenvalues: Tensor
    kind: str
    regions: tuple[int, ...]
    residual: float

    @property
    def on_boundary(self) -> bool:
        return len(self.regions) > 1

    def to_dict(self) -> dict:
        return {
            "x": self.x.tolist(),
            "eigenvalues": [[float(v.real), float(v.imag)] for v in self.eigenvalues],
            "spectral_radius": float(self.eigenvalues.abs().max())
            if self.eigenvalues.numel()
            else 0.0,
            "kind": self.kind,
            "regions": list(self.regions),
            "residual": self.residual,
        }


@dataclass(frozen=True)
class LinearRegions:
    """Every linear region of a piecewise-linear network that meets a box (or, when ``partial``,
    those found before a budget ran out).

    Attributes:
        regions: the :class:`LinearRegion` s, in depth-first order.
        box: the :class:`neurodyn.dynamics.Box`.
        units: units per activation layer.
        min_radius: a candidate counts as a region only if a ball of this radius fits inside
            it (zero-volume patterns, feasible only on a hyperplane, are not regions).
        lps: LPs solved; ``candidates``: child cells tested; ``witnessed``: of those, decided
            feasible by a witness point without an LP; ``pruned``: unit tests settled by the
            interval bound (no split); ``slivers``: candidates with 0 < radius ≤ min_radius
            that were dropped.
        seconds: wall time.
        partial: True when a budget stopped the walk; ``reason`` says which.
        affine_constant: every activation's pieces pass through (0, σ(0)), so A*(x) and b*(x) of
            :func:`neurodyn.linearize` equal each region's A and b.
        tables: the piece table of each activation layer (breakpoints, slopes, intercepts).

    All tensors are float64 whatever the network's dtype (the LPs run in float64).
    """

    regions: tuple[LinearRegion, ...]
    box: Box
    units: tuple[int, ...]
    min_radius: float
    lps: int
    candidates: int
    witnessed: int
    pruned: int
    slivers: int
    seconds: float
    partial: bool
    reason: str | None
    affine_constant: bool
    tables: tuple[PieceTable, ...] = field(repr=False, default=())

    def __len__(self) -> int:
        return len(self.regions)

    def __iter__(self):
        return iter(self.regions)

    def __getitem__(self, i: int) -> LinearRegion:
        return self.regions[i]

    def __repr__(self) -> str:
        state = f"partial: {self.reason}" if self.partial else "complete"
        return (
            f"LinearRegions({len(self)} regions in {self.box.dim}-D box, {state}; "
            f"{self.lps} LPs, {self.seconds:.3g} s)"
        )

    @property
    def regions_per_second(self) -> float:
        return len(self) / self.seconds if self.seconds > 0 else float("inf")

    def patterns(self) -> Tensor:
        """``(R, units)`` int64, one row per region."""
        if not self.regions:
            return torch.zeros(0, sum(self.units), dtype=torch.long)
        return torch.stack([r.pattern for r in self.regions])

    def stack(self) -> tuple[Tensor, Tensor]:
        """``(A (R, m, n), b (R, m))`` of every region."""
        return torch.stack([r.A for r in self.regions]), torch.stack([r.b for r in self.regions])

    def locate(self, pre_activations: list[Tensor]) -> Tensor:
        """Region index of points given their pre-activations per layer (−1 if none matches).

        Prefer :func:`neurodyn.pwa.region_of`, which computes them from the network.
        """
        pieces = [
            torch.as_tensor(t.index(z.detach().double().cpu().numpy()))
            for t, z in zip(self.tables, pre_activations, strict=True)
        ]
        pat = torch.cat(pieces, dim=1) if pieces else torch.zeros(0, 0, dtype=torch.long)
        lookup = {tuple(r.pattern.tolist()): i for i, r in enumerate(self.regions)}
        return torch.tensor([lookup.get(tuple(row), -1) for row in pat.tolist()], dtype=torch.long)

    def fixed_points(
        self, *, tol: float = 1e-9, allow_partial: bool = False
    ) -> tuple[RegionFixedPoint, ...]:
        """Every fixed point of f in the box: x̄ = A x̄ + b solved in each region, kept when it
        lies in that region's closure (H x̄ ≤ c + tol·(1 + |c|), inside the box by tol).

        Complete for a complete enumeration (``partial`` False): f is affine on each region, so
        any fixed point in the box solves one region's system. Duplicates across a shared
        boundary are merged (∞-distance ≤ 1e3·tol·(1 + ‖x̄‖∞)).

        Args:
            tol: closure tolerance (relative to 1 + |c| and to the box widths).
            allow_partial: on a ``partial`` enumeration, return the fixed points of the regions
                found (not a complete list) instead of raising.

        Raises:
            ValueError: the network is not square (m ≠ n); some region has I − A singular
                and a solution there (a continuum of fixed points, not a finite list); or the
                enumeration is partial and ``allow_partial`` is False.
        """
        if self.partial and not allow_partial:
            raise ValueError(
                f"the enumeration stopped early ({self.reason}), so its fixed points are not the "
                "complete list; raise the budget, or pass allow_partial=True for those found."
            )
        out: list[RegionFixedPoint] = []
        if not self.regions:
            return ()
        m, n = self.regions[0].A.shape
        if m != n:
            raise ValueError(f"fixed points need a map ℝⁿ → ℝⁿ; this network maps ℝ^{n} → ℝ^{m}.")
        low = torch.tensor(self.box.low, dtype=torch.float64)
        high = torch.tensor(self.box.high, dtype=torch.float64)
        eye = torch.eye(n, dtype=torch.float64)
        for i, r in enumerate(self.regions):
            M = eye - r.A
            if float(torch.linalg.svdvals(M)[-1]) <= 1e-12 * (1 + float(torch.linalg.norm(r.A))):
                sol = torch.linalg.lstsq(M, r.b.unsqueeze(1)).solution.squeeze(1)
                if float((M @ sol - r.b).abs().max()) <= 1e-9 and _inside(r, sol, low, high, tol):
                    raise ValueError(
                        f"region {i} (pattern {r.pattern.tolist()}) has I − A singular and fixed "
                        "points on it: they form a continuum (an affine set), not a finite list."
                    )
                continue
            x = torch.linalg.solve(M, r.b)
            if not _inside(r, x, low, high, tol):
                continue
            scale = 1e3 * tol * (1 + float(x.abs().max()))
            dup = next(
                (k for k, p in enumerate(out) if float((p.x - x).abs().max()) <= scale), None
            )
            if dup is not None:
                p = out[dup]
                out[dup] = RegionFixedPoint(p.x, p.eigenvalues, p.kind, (*p.regions, i), p.residual)
                continue
            ev = torch.linalg.eigvals(r.A)
            out.append(
                RegionFixedPoint(x, ev, _kind(ev), (i,), float((r.A @ x + r.b - x).abs().max()))
            )
        return tuple(out)

    def to_dict(self) -> dict:
        return {
            "regions": [r.to_dict() for r in self.regions],
            "count": len(self),
            "box": self.box.pairs,
            "units": list(self.units),
            "min_radius": self.min_radius,
            "lps": self.lps,
            "candidates": self.candidates,
            "witnessed": self.witnessed,
            "pruned": self.pruned,
            "slivers": self.slivers,
            "seconds": self.seconds,
            "partial": self.partial,
            "reason": self.reason,
            "affine_constant": self.affine_constant,
        }


def _inside(r: LinearRegion, x: Tensor, low: Tensor, high: Tensor, tol: float) -> bool:
    width = high - low
    if bool((x < low - tol * width).any() or (x > high + tol * width).any()):
        return False
    if r.H.shape[0] == 0:
        return True
    return bool((r.H @ x <= r.c + tol * (1 + r.c.abs())).all())


def _kind(ev: Tensor) -> str:
    mod = ev.abs()
    if bool(((mod - 1).abs() <= 1e-9).any()):
        return "non-hyperbolic"
    if bool((mod < 1).all()):
        return "stable"
    if bool((mod > 1).all()):
        return "unstable"
    return "saddle"
