"""The attractor type of an autonomous map over a box (point, multipoint, line, cycle, chaotic,
divergent), with the evidence for it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor

from neurodyn._core import Box, notify, register_result
from neurodyn._core._validate import prepare_model
from neurodyn.dynamics._common import as_box, check_states, escaped, state_dtype
from neurodyn.dynamics._fixed_points import fixed_points
from neurodyn.systems import TangentMap, complete_map
from neurodyn.systems._tangent import few_threads

__all__ = ["ATTRACTOR_KINDS", "AttractorResult", "classify_attractor"]

#: The six attractor types of Drgoňa et al., Spectral analysis, App. C (Fig. 6), in the paper's
#: order.
ATTRACTOR_KINDS = ("point", "multipoint", "line", "cycle", "chaotic", "divergent")


@register_result
@dataclass(frozen=True)
class AttractorResult:
    """The attractor type of an autonomous map over a box, with the evidence for it.

    ``kind`` is one of :data:`ATTRACTOR_KINDS`. ``evidence`` holds the measured quantities the
    rule in :func:`classify_attractor` used.
    """

    kind: str
    evidence: dict = field(default_factory=dict)
    rule: str = ""

    def __repr__(self) -> str:
        ev = self.evidence
        lam = ev.get("max_lyapunov")
        lam_s = "" if lam is None else f", max λ₁={lam:.3g}"
        return f"AttractorResult({self.kind!r} from {ev.get('trajectories', '?')} starts{lam_s})"

    def to_dict(self) -> dict:
        return {
            "result_type": "AttractorResult",
            "kind": self.kind,
            "evidence": self.evidence,
            "rule": self.rule,
        }

    @classmethod
    def from_dict(cls, d: dict) -> AttractorResult:
        """Inverse of :meth:`to_dict`."""
        return cls(d["kind"], dict(d.get("evidence", {})), d.get("rule", ""))


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


#: Memory :func:`classify_attractor` may use for its grid of trajectories unless told otherwise.
MEMORY_BUDGET = 2**30


@torch.no_grad()
def classify_attractor(
    map,
    low: tuple[float, ...] | Box | None = None,
    high: tuple[float, ...] | None = None,
    *,
    starts: Tensor | None = None,
    resolution: int = 12,
    transient: int = 1000,
    window: int = 200,
    tol: float = 1e-6,
    lyap_tol: float = 0.01,
    max_points: int = 8,
    max_period: int = 32,
    bound: float = 1e6,
    memory_budget: int = MEMORY_BUDGET,
    progress=None,
) -> AttractorResult:
    """Classify the long-run behaviour of x_{t+1} = f(x_t) on the box [low, high] into the six
    attractor types of Drgoňa et al., Spectral analysis (App. C, Fig. 6): point, multipoint,
    line, cycle, chaotic, divergent.

    The rule (also in ``result.rule``) is stated in :data:`_RULE`; every quantity it uses is in
    ``result.evidence``. Trajectories start on a ``resolution``-per-axis :meth:`Box.grid` over
    ``low, high`` (or a :class:`Box` passed as ``low``), built in the map's dtype, or at your own
    ``starts``. A grid has ``resolution**n`` points: in high dimension pass ``starts`` (e.g.
    ``Box(...).sample(1000)``) or use :func:`neurodyn.dynamics.attractors`, which also tells
    which start reaches which attractor.

    Args:
        starts: ``(S, n)`` initial states in the map's dtype, instead of the grid.
        memory_budget: bytes the grid's trajectories may take (default 1 GiB).
        progress: ``progress(done, total)`` per step (``total = transient + window``).

    Raises:
        ValueError: the grid would exceed ``memory_budget`` (the message gives the size it
            would need and what to pass instead); neither a box nor starts; wrong dimensions;
            empty or non-finite starts; a NaN/inf parameter (named). float16 / bfloat16 modules
            run as a float32 copy (with a warning).
    """
    map, starts = prepare_model(map, starts, what="classify_attractor")
    f = complete_map(map)
    dtype, device = state_dtype(f)
    if starts is not None:
        check_states(f, starts, "starts", allow_empty=False)
        x = starts
    else:
        box = as_box(low, high, f.dim)
        n_grid = box.grid_size(resolution)
        itemsize = torch.empty(0, dtype=dtype).element_size()
        need = n_grid * f.dim * itemsize * (max_period + 6)  # history, state, tangent, buffers
        if need > memory_budget:
            raise ValueError(
                f"classify_attractor: a {resolution}-per-axis grid in {f.dim} dimensions is "
                f"{n_grid:.3g} trajectories and would need about {_bytes(need)} (budget "
                f"{_bytes(memory_budget)}). Pass starts=Box(...).sample(1000) (your own "
                "starting states), a smaller resolution, or use neurodyn.dynamics.attractors."
            )
        x = box.grid(resolution, dtype=dtype, device=device)
    n_traj = x.shape[0]
    diverged = torch.zeros(n_traj, dtype=torch.bool, device=x.device)
    # λ₁ by one tangent vector (TangentMap with k = 1), renormalised every step with a floor
    # so a singular Jacobian (v ↦ 0) gives log(tiny), not NaN
    tangent = TangentMap(f, 1)
    v = torch.ones(n_traj, f.dim, 1, dtype=x.dtype, device=x.device) / math.sqrt(f.dim)
    log_growth = torch.zeros(n_traj, dtype=x.dtype, device=x.device)
    history: list[Tensor] = []
    total = transient + window
    tiny = torch.finfo(x.dtype).tiny
    with few_threads(n_traj, f.dim):
        for t in range(total):
            nxt, v = tangent.step(x, v)
            diverged |= escaped(nxt, bound)
            nxt = torch.where(diverged.unsqueeze(1), x, nxt)
            norm = torch.linalg.vector_norm(v, dim=1).clamp(min=tiny)  # (B, 1)
            if t >= transient:
                log_growth += torch.log(norm.squeeze(1))
            v = v / norm.unsqueeze(1)
            x = nxt
            if t >= total - max_period - 1:
                history.append(x)
            notify(progress, t + 1, total)
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


def _bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.3g} {unit}"
        n /= 1000
    return f"{n:.3g} PB"
