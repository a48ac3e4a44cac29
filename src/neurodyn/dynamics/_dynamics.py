"""Dynamics of autonomous maps x_{t+1} = f(x_t): trajectories, fixed points, basins, attractors.

All functions take a :class:`~neurodyn.systems.Map` (``neurodyn.as_map(net)`` for a square
feedforward net) and batched states ``(B, n)``. Results are frozen dataclasses with ``to_dict()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from neurodyn._core import Box, spectral_radius
from neurodyn.systems import complete_map

__all__ = [
    "ATTRACTOR_KINDS",
    "AttractorResult",
    "BasinsResult",
    "FixedPoint",
    "FixedPointsResult",
    "Trajectory",
    "basins",
    "classify_attractor",
    "fixed_points",
    "grid_points",
    "simulate",
]

#: The six attractor types of seed 000 App. C (Fig. 6), in the seed's order.
ATTRACTOR_KINDS = ("point", "multipoint", "line", "cycle", "chaotic", "divergent")


def grid_points(
    low: tuple[float, float],
    high: tuple[float, float],
    resolution: int | tuple[int, int],
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """A 2-D grid over the box [low₀, high₀] × [low₁, high₁].

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


def _check_states(x0: Tensor, dim: int, what: str = "x0") -> None:
    if not isinstance(x0, Tensor) or x0.ndim != 2 or x0.shape[1] != dim:
        shape = tuple(x0.shape) if isinstance(x0, Tensor) else type(x0).__name__
        raise ValueError(f"{what} must have shape (B, {dim}), got {shape}.")
    if not bool(torch.isfinite(x0).all()):
        raise ValueError(f"{what} contains NaN or inf.")


@dataclass(frozen=True)
class Trajectory:
    """Batched trajectories of an autonomous map.

    Attributes:
        states: ``(B, T+1, n)``; after divergence a trajectory is frozen at its last finite state.
        diverged: ``(B,)`` bool, True where ‖x_t‖ exceeded ``bound`` (or became non-finite).
        diverged_at: ``(B,)`` int, first step at which it did, −1 if never.
        bound: the escape radius used.
    """

    states: Tensor
    diverged: Tensor
    diverged_at: Tensor
    bound: float

    def to_dict(self) -> dict:
        return {
            "steps": self.states.shape[1] - 1,
            "batch": self.states.shape[0],
            "diverged": int(self.diverged.sum()),
            "bound": self.bound,
        }


@torch.no_grad()
def simulate(map, x0: Tensor, steps: int, *, bound: float = 1e6) -> Trajectory:
    """Iterate x_{t+1} = f(x_t) from a batch of initial states.

    Args:
        map: a Map or a square feedforward net.
        x0: ``(B, n)`` initial states.
        steps: number of steps T ≥ 1.
        bound: escape radius; a state with ‖x‖₂ > bound counts as diverged and is frozen.
    """
    f = complete_map(map)
    _check_states(x0, f.dim)
    if steps < 1:
        raise ValueError(f"steps must be ≥ 1, got {steps}.")
    x = x0
    out = [x0]
    diverged = torch.zeros(x0.shape[0], dtype=torch.bool, device=x0.device)
    diverged_at = torch.full((x0.shape[0],), -1, dtype=torch.long, device=x0.device)
    for t in range(1, steps + 1):
        nxt = f.step(x)
        bad = ~torch.isfinite(nxt).all(dim=1) | (torch.linalg.vector_norm(nxt, dim=1) > bound)
        new = bad & ~diverged
        diverged_at = torch.where(new, t, diverged_at)
        diverged = diverged | bad
        x = torch.where(diverged.unsqueeze(1), x, nxt)
        out.append(x)
    return Trajectory(torch.stack(out, dim=1), diverged, diverged_at, bound)


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

    def to_dict(self) -> dict:
        return {
            "x": self.x.tolist(),
            "eigenvalues": [[float(v.real), float(v.imag)] for v in self.eigenvalues],
            "spectral_radius": float(self.eigenvalues.abs().max()),
            "kind": self.kind,
            "residual": self.residual,
            "rho_affine": self.rho_affine,
        }


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

    def to_dict(self) -> dict:
        return {
            "points": [p.to_dict() for p in self.points],
            "seeds": self.seeds,
            "converged": self.converged,
            "tol": self.tol,
            "method": "damped Newton on f(x) − x with the exact Jacobian, from a grid of seeds",
        }


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
    low: tuple[float, ...] | None = None,
    high: tuple[float, ...] | None = None,
    resolution: int = 20,
    tol: float | None = None,
    max_iter: int = 100,
    max_step: float = 1.0,
) -> FixedPointsResult:
    """Fixed points x̄ = f(x̄) by damped Newton iteration from many seeds.

    Newton on g(x) = f(x) − x: x ← x − (J(x) − I)⁻¹ g(x), with the step clipped to ``max_step``
    (∞-norm) so that seeds far from any root do not jump away. Converged points
    (‖g‖∞ ≤ tol·(1 + ‖x‖∞)) are deduplicated (∞-distance ≤ 1e3·tol, relative) and classified by
    the eigenvalues of the exact Jacobian.

    Args:
        map: a Map or square feedforward net.
        seeds: ``(S, n)`` starting points; if None, a ``resolution``-per-axis grid over the box
            ``[low, high]`` (required then, and only for n ≤ 3).
        tol: residual tolerance (default 1e-10 in float64, 1e-5 in float32).
    """
    f = complete_map(map)
    if seeds is None:
        if low is None or high is None:
            raise ValueError("fixed_points: give seeds (S, n) or a box low=..., high=... to grid.")
        if len(low) != f.dim or len(high) != f.dim:
            raise ValueError(
                f"low and high need {f.dim} entries (one per state), got {low}, {high}."
            )
        if f.dim > 3:
            raise ValueError(
                f"a grid of seeds in {f.dim} dimensions has resolution**{f.dim} points; pass "
                "seeds=... (e.g. states sampled from trajectories) instead."
            )
        axes = [
            torch.linspace(lo, hi, resolution, dtype=torch.float64)
            for lo, hi in zip(low, high, strict=False)
        ]
        seeds = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, f.dim)
        ref = _param_like(f)
        if ref is not None:
            seeds = seeds.to(dtype=ref.dtype, device=ref.device)
    _check_states(seeds, f.dim, "seeds")
    if tol is None:
        tol = 1e-10 if seeds.dtype == torch.float64 else 1e-5
    x = seeds.clone()
    eye = torch.eye(f.dim, dtype=x.dtype, device=x.device)
    active = torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
    for _ in range(max_iter):
        g = f.step(x) - x
        res = g.abs().amax(dim=1)
        done = res <= tol * (1 + x.abs().amax(dim=1))
        active = active & ~done & torch.isfinite(x).all(dim=1)
        if not bool(active.any()):
            break
        J = f.jacobian(x) - eye
        sol = torch.linalg.lstsq(J, -g.unsqueeze(-1)).solution.squeeze(-1)
        sol = torch.nan_to_num(sol, nan=0.0, posinf=0.0, neginf=0.0)
        scale = (sol.abs().amax(dim=1, keepdim=True) / max_step).clamp(min=1.0)
        x = torch.where(active.unsqueeze(1), x + sol / scale, x)
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


def _param_like(f) -> Tensor | None:
    """An empty tensor in the map's dtype and device, or None if the map follows its input."""
    if f.dtype is None:
        return None
    return torch.empty(0, dtype=f.dtype, device=f.device)


def _affine_rho(f, x: Tensor) -> Tensor | None:
    form = f.affine_form(x)
    return None if form is None else spectral_radius(form.A)


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
    low: tuple[float, float],
    high: tuple[float, float],
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
    """
    f = complete_map(map)
    if f.dim != 2:
        raise ValueError(f"basins works on 2-D maps (phase plane); this map has dim {f.dim}.")
    ref = _param_like(f)
    dtype = ref.dtype if ref is not None else torch.float64
    device = ref.device if ref is not None else None
    xs, ys, pts = grid_points(low, high, resolution, dtype=dtype, device=device)
    if attractors is None:
        attractors = fixed_points(f, low=low, high=high, resolution=15)
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
        bad = ~torch.isfinite(nxt).all(dim=1) | (torch.linalg.vector_norm(nxt, dim=1) > bound)
        diverged |= bad
        traj_end = torch.where(diverged.unsqueeze(1), traj_end, nxt)
    labels = torch.full((pts.shape[0],), -2, dtype=torch.long, device=pts.device)
    if attractors.shape[0]:
        dist = (traj_end.unsqueeze(1) - attractors.unsqueeze(0)).abs().amax(dim=2)
        best, idx = dist.min(dim=1)
        labels = torch.where(best <= tol, idx, labels)
    labels = torch.where(diverged, -1, labels)
    ny, nx = len(ys), len(xs)
    return BasinsResult(xs, ys, labels.reshape(ny, nx), attractors, steps, tol)


@dataclass(frozen=True)
class AttractorResult:
    """The attractor type of an autonomous map over a box, with the evidence for it.

    ``kind`` is one of :data:`ATTRACTOR_KINDS`. ``evidence`` holds the measured quantities the
    rule in :func:`classify_attractor` used.
    """

    kind: str
    evidence: dict = field(default_factory=dict)
    rule: str = ""

    def to_dict(self) -> dict:
        return {"kind": self.kind, "evidence": self.evidence, "rule": self.rule}


_RULE = (
    "Iterate a grid of initial states (transient, then a recording window), tracking the largest "
    "Lyapunov exponent λ₁ of each trajectory by tangent-vector renormalisation. divergent: more "
    "than half the trajectories leave the escape radius. Each bounded trajectory is then: "
    "periodic with period p ≤ max_period if ‖x_T − x_(T−p)‖∞ ≤ tol·(1+‖x_T‖∞) (p = 1: a fixed "
    "point); otherwise chaotic if λ₁ > lyap_tol; otherwise Newton from x_T finds the nearest "
    "fixed point x̄, and the trajectory converges to it if ‖x_T − x̄‖ ≤ tol or the distance "
    "shrank by 1 % over the last max_period steps; if not, it is quasi-periodic (|λ₁| ≤ "
    "lyap_tol) or a cycle of longer period (λ₁ < −lyap_tol). Overall: chaotic if any "
    "trajectory is chaotic; else cycle "
    "if any is periodic (p ≥ 2) or quasi-periodic; else the distinct fixed points reached decide: "
    "1 → point; line (a continuum of equilibria) if more than max_points of them have a Jacobian "
    "eigenvalue within 1e-3 of 1; otherwise multipoint."
)


@torch.no_grad()
def classify_attractor(
    map,
    low: tuple[float, ...],
    high: tuple[float, ...],
    *,
    resolution: int = 12,
    transient: int = 1000,
    window: int = 200,
    tol: float = 1e-6,
    lyap_tol: float = 0.01,
    max_points: int = 8,
    max_period: int = 32,
    bound: float = 1e6,
) -> AttractorResult:
    """Classify the long-run behaviour of x_{t+1} = f(x_t) on the box [low, high] into the six
    attractor types of seed 000 App. C: point, multipoint, line, cycle, chaotic, divergent.

    The rule (also in ``result.rule``) is stated in :data:`_RULE`; every quantity it uses is in
    ``result.evidence``. Trajectories start on a ``resolution``-per-axis grid (n ≤ 3).
    """
    f = complete_map(map)
    if len(low) != f.dim or len(high) != f.dim:
        raise ValueError(f"low and high need {f.dim} entries, got {low}, {high}.")
    ref = _param_like(f)
    dtype = ref.dtype if ref is not None else torch.float64
    axes = [
        torch.linspace(lo, hi, resolution, dtype=dtype) for lo, hi in zip(low, high, strict=False)
    ]
    x = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, f.dim)
    if ref is not None:
        x = x.to(ref.device)
    n_traj = x.shape[0]
    diverged = torch.zeros(n_traj, dtype=torch.bool, device=x.device)
    v = torch.ones_like(x) / math.sqrt(f.dim)
    log_growth = torch.zeros(n_traj, dtype=x.dtype, device=x.device)
    history: list[Tensor] = []
    total = transient + window
    for t in range(total):
        J = f.jacobian(x)
        nxt = f.step(x)
        bad = ~torch.isfinite(nxt).all(dim=1) | (torch.linalg.vector_norm(nxt, dim=1) > bound)
        diverged |= bad
        nxt = torch.where(diverged.unsqueeze(1), x, nxt)
        v = torch.einsum("bij,bj->bi", J, v)
        norm = torch.linalg.vector_norm(v, dim=1).clamp(min=torch.finfo(x.dtype).tiny)
        if t >= transient:
            log_growth += torch.log(norm)
        v = v / norm.unsqueeze(1)
        x = nxt
        if t >= total - max_period - 1:
            history.append(x)
    frac_div = float(diverged.float().mean())
    evidence: dict = {
        "trajectories": n_traj,
        "fraction_divergent": frac_div,
        "transient": transient,
        "window": window,
    }
    if frac_div > 0.5:
        return AttractorResult("divergent", evidence, _RULE)
    bounded = ~diverged
    lyap = log_growth[bounded] / (window * f.dt)
    hist = torch.stack(history, dim=1)[bounded]  # (b, max_period + 1, n), last entry = x_T
    ends = hist[:, -1]
    scale = 1 + ends.abs().amax(dim=1, keepdim=True)
    gaps = (hist[:, :-1] - ends.unsqueeze(1)).abs().amax(dim=2) / scale  # (b, max_period)
    # gaps[:, -p] compares x_T with x_(T−p); the smallest such p within tol is the period
    within = gaps.flip(1) <= tol
    period = torch.where(within.any(dim=1), within.float().argmax(dim=1) + 1, 0)
    fixed = period == 1
    periodic = period >= 2
    chaotic = (period == 0) & (lyap > lyap_tol)
    quasi = torch.zeros_like(fixed)
    slow = (period == 0) & (lyap <= lyap_tol)  # contracting or neutral: still converging?
    if bool(slow.any()):
        # Newton from x_T; a trajectory is converging to that fixed point x̄ if it is close or
        # its distance to x̄ shrank over the last max_period steps (a circle keeps its distance)
        polished = fixed_points(f, seeds=ends[slow], max_step=0.1)
        slow_idx = slow.nonzero().squeeze(1)
        reached = torch.zeros(slow_idx.numel(), dtype=torch.bool, device=ends.device)
        targets = polished.stack().to(ends.dtype)
        if targets.numel():
            # Euclidean distances: a rotation about x̄ must keep them equal
            d_now, nearest = torch.cdist(ends[slow], targets).min(dim=1)
            d_then = torch.linalg.vector_norm(hist[slow, 0] - targets[nearest], dim=1)
            reached = (d_now <= tol * scale[slow, 0]) | (d_now < 0.99 * d_then)
        fixed[slow_idx[reached]] = True
        periodic[slow_idx[~reached] & (lyap[slow_idx[~reached]] < -lyap_tol)] = True
        quasi[slow_idx[reached]] = False
        quasi[slow_idx[~reached]] = lyap[slow_idx[~reached]] >= -lyap_tol
    evidence.update(
        {
            "fraction_fixed_point": float(fixed.float().mean()),
            "fraction_periodic": float(periodic.float().mean()),
            "fraction_quasi_periodic": float(quasi.float().mean()),
            "fraction_chaotic": float(chaotic.float().mean()),
            "periods": sorted({int(p) for p in period[period >= 2].tolist()}),
            "max_lyapunov": float(lyap.max()),
            "median_lyapunov": float(lyap.median()),
        }
    )
    if bool(chaotic.any()):
        return AttractorResult("chaotic", evidence, _RULE)
    if bool(periodic.any() | quasi.any()):
        return AttractorResult("cycle", evidence, _RULE)
    points = fixed_points(f, seeds=ends[fixed], max_step=0.1)
    evidence["distinct_end_points"] = len(points)
    if len(points) <= 1:
        kind = "point"
    else:
        # a continuum of equilibria: many distinct fixed points with a neutral direction
        neutral = sum(bool(((p.eigenvalues - 1).abs() <= 1e-3).any()) for p in points.points)
        evidence["neutral_end_points"] = neutral
        kind = "line" if neutral > max_points else "multipoint"
    if kind != "line":
        evidence["end_points"] = [p.x.tolist() for p in points.points]
    return AttractorResult(kind, evidence, _RULE)
