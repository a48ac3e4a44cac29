"""Fixed points x̄ = f(x̄) by damped Newton iteration, with their linear stability."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn._core import (
    Box,
    notify,
    register_result,
    spectral_radius,
    tensor_from_json,
    tensor_to_json,
)
from neurodyn._core._validate import prepare_model
from neurodyn.dynamics._common import as_box, check_states, state_dtype
from neurodyn.systems import complete_map

__all__ = ["FixedPoint", "FixedPointsResult", "fixed_points"]


@dataclass(frozen=True)
class FixedPoint:
    """One fixed point x̄ = f(x̄) with its linear stability.

    ``eigenvalues`` are those of the Jacobian ∂f/∂x at x̄, which decides local stability
    (for smooth activations A*(x̄) is a secant, not the Jacobian; its spectral radius is
    reported as ``rho_affine`` for comparison). ``kind``: "stable" (all |λ| < 1), "unstable"
    (all |λ| > 1), "saddle" (some of each), "non-hyperbolic" (some |λ| = 1 within 1e-6).
    """

    x: Tensor
    eigenvalues: Tensor
    kind: str
    residual: float
    rho_affine: float | None = None

    def __repr__(self) -> str:
        x = ", ".join(f"{v:.4g}" for v in self.x.tolist()[:4])
        x += ", …" if self.x.numel() > 4 else ""
        rho = float(self.eigenvalues.abs().max())
        return f"FixedPoint({self.kind}, x=({x}), ρ(J)={rho:.4g})"

    def to_dict(self) -> dict:
        return {
            "x": self.x.tolist(),
            "eigenvalues": [[float(v.real), float(v.imag)] for v in self.eigenvalues],
            "spectral_radius": float(self.eigenvalues.abs().max()),
            "kind": self.kind,
            "residual": self.residual,
            "rho_affine": self.rho_affine,
            "x_tensor": tensor_to_json(self.x),
            "eigenvalues_tensor": tensor_to_json(self.eigenvalues),
        }

    @classmethod
    def from_dict(cls, d: dict) -> FixedPoint:
        """Inverse of :meth:`to_dict`."""
        return cls(
            tensor_from_json(d["x_tensor"]),
            tensor_from_json(d["eigenvalues_tensor"]),
            d["kind"],
            float(d["residual"]),
            d.get("rho_affine"),
        )


@register_result
@dataclass(frozen=True)
class FixedPointsResult:
    """Fixed points found by Newton's method from a set of seeds, deduplicated."""

    points: tuple[FixedPoint, ...]
    seeds: int
    converged: int
    tol: float

    def __len__(self) -> int:
        return len(self.points)

    def stack(self) -> Tensor:
        """All fixed points as ``(K, n)``."""
        if not self.points:
            return torch.zeros(0, 0)
        return torch.stack([p.x for p in self.points])

    def stable(self) -> tuple[FixedPoint, ...]:
        return tuple(p for p in self.points if p.kind == "stable")

    def __repr__(self) -> str:
        kinds: dict[str, int] = {}
        for p in self.points:
            kinds[p.kind] = kinds.get(p.kind, 0) + 1
        found = ", ".join(f"{k} {v}" for k, v in kinds.items()) or "none"
        return (
            f"FixedPointsResult({len(self)} fixed point{'' if len(self) == 1 else 's'} ({found}) "
            f"from {self.seeds} seeds, "
            f"{self.converged} converged, tol={self.tol:g})"
        )

    def to_dict(self) -> dict:
        return {
            "result_type": "FixedPointsResult",
            "points": [p.to_dict() for p in self.points],
            "seeds": self.seeds,
            "converged": self.converged,
            "tol": self.tol,
            "method": "damped Newton on f(x) − x with the exact Jacobian, from a grid of seeds",
        }

    @classmethod
    def from_dict(cls, d: dict) -> FixedPointsResult:
        """Inverse of :meth:`to_dict`."""
        points = tuple(FixedPoint.from_dict(p) for p in d["points"])
        return cls(points, int(d["seeds"]), int(d["converged"]), float(d["tol"]))


def _classify_eigs(eigs: Tensor, margin: float = 1e-6) -> str:
    mod = eigs.abs()
    if bool(((mod - 1).abs() <= margin).any()):
        return "non-hyperbolic"
    if bool((mod < 1).all()):
        return "stable"
    if bool((mod > 1).all()):
        return "unstable"
    return "saddle"


def _dedupe(points: Tensor, tol: float) -> list[int]:
    """Indices of a greedy subset with pairwise ∞-distance > tol·(1 + ‖p‖∞)."""
    if points.shape[0] == 0:
        return []
    dist = torch.cdist(points, points, p=float("inf"))
    scale = 1.0 + points.abs().amax(dim=1)
    close = (dist <= tol * scale.unsqueeze(1)).cpu().numpy()
    keep: list[int] = []
    taken = close[0] & False
    for i in range(points.shape[0]):
        if not taken[i]:
            keep.append(i)
            taken |= close[i]
    return keep


@torch.no_grad()
def fixed_points(
    map,
    seeds: Tensor | None = None,
    *,
    low: tuple[float, ...] | Box | None = None,
    high: tuple[float, ...] | None = None,
    resolution: int = 20,
    tol: float | None = None,
    max_iter: int = 100,
    max_step: float = 1.0,
    progress=None,
) -> FixedPointsResult:
    """Fixed points x̄ = f(x̄) by damped Newton iteration from many seeds.

    Newton on g(x) = f(x) − x: x ← x − (J(x) − I)⁻¹ g(x), with the step clipped to ``max_step``
    (∞-norm) so that seeds far from any root do not jump away. Converged points
    (‖g‖∞ ≤ tol·(1 + ‖x‖∞)) are deduplicated (∞-distance ≤ 1e3·tol, relative) and classified by
    the eigenvalues of the exact Jacobian.

    Args:
        map: a Map or square feedforward net.
        seeds: ``(S, n)`` starting points, in the map's dtype; if None, a
            ``resolution``-per-axis grid (:meth:`Box.grid`) over the box ``[low, high]``
            (required then, and only for n ≤ 3), built in the map's dtype.
        low, high: the box as two sequences, or ``low=Box(...)`` alone.
        tol: residual tolerance (default 1e-10 in float64, 1e-5 in float32).
        max_iter, max_step: Newton iterations and the ∞-norm step clip.
        progress: ``progress(done, total)`` after each Newton iteration (``total = max_iter``;
            the last call is ``(max_iter, max_iter)``, also when every seed converged early),
            e.g. :func:`neurodyn.rich_progress`.

    Raises:
        ValueError: neither seeds nor a box, a box of the wrong dimension, n > 3 for a grid,
            a NaN/inf parameter (named). float16 / bfloat16 modules run as a float32 copy
            (with a warning).
        TypeError: seeds not in the map's dtype / device.

    Example:
        >>> import torch
        >>> from neurodyn.dynamics import Box, fixed_points
        >>> from neurodyn.systems import Henon
        >>> res = fixed_points(Henon(), low=Box((-2.0, -1.0), (2.0, 1.0)), resolution=5)
        >>> [round(v, 6) for v in res.points[-1].x.tolist()]
        [0.631354, 0.189406]
    """
    map, seeds = prepare_model(map, seeds, what="fixed_points")
    f = complete_map(map)
    if seeds is None:
        box = as_box(low, high, f.dim)
        if f.dim > 3:
            raise ValueError(
                f"a grid of seeds in {f.dim} dimensions has resolution**{f.dim} points; pass "
                "seeds=... (e.g. states sampled from trajectories) instead."
            )
        dtype, device = state_dtype(f)
        seeds = box.grid(resolution).to(dtype=dtype, device=device)
    check_states(f, seeds, "seeds")
    if tol is None:
        tol = 1e-10 if seeds.dtype == torch.float64 else 1e-5
    x = seeds.clone()
    eye = torch.eye(f.dim, dtype=x.dtype, device=x.device)
    active = torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
    for it in range(max_iter):
        g = f.step(x) - x
        res = g.abs().amax(dim=1)
        done = res <= tol * (1 + x.abs().amax(dim=1))
        active = active & ~done & torch.isfinite(x).all(dim=1)
        if not bool(active.any()):
            break
        if it + 1 < max_iter:
            notify(progress, it + 1, max_iter)
        J = f.jacobian(x) - eye
        sol = torch.linalg.lstsq(J, -g.unsqueeze(-1)).solution.squeeze(-1)
        sol = torch.nan_to_num(sol, nan=0.0, posinf=0.0, neginf=0.0)
        scale = (sol.abs().amax(dim=1, keepdim=True) / max_step).clamp(min=1.0)
        x = torch.where(active.unsqueeze(1), x + sol / scale, x)
    notify(progress, max_iter, max_iter)
    finite = torch.isfinite(x).all(dim=1)
    x_safe = torch.where(finite.unsqueeze(1), x, torch.zeros_like(x))
    g = f.step(x_safe) - x_safe
    res = g.abs().amax(dim=1)
    ok = finite & (res <= tol * (1 + x_safe.abs().amax(dim=1)))
    found = x_safe[ok]
    keep = _dedupe(found, 1e3 * tol)
    found = found[keep]
    points: list[FixedPoint] = []
    if found.shape[0]:
        J = f.jacobian(found)
        eigs = torch.linalg.eigvals(J)
        rho_aff = _affine_rho(f, found)
        resid = (f.step(found) - found).abs().amax(dim=1)
        for i in range(found.shape[0]):
            points.append(
                FixedPoint(
                    found[i],
                    eigs[i],
                    _classify_eigs(eigs[i]),
                    float(resid[i]),
                    None if rho_aff is None else float(rho_aff[i]),
                )
            )
    points.sort(key=lambda p: tuple(p.x.tolist()))
    return FixedPointsResult(tuple(points), int(seeds.shape[0]), int(ok.sum()), tol)


def _affine_rho(f, x: Tensor) -> Tensor | None:
    form = f.affine_form(x)
    return None if form is None else spectral_radius(form.A)
