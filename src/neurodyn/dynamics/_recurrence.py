"""Attractors in any dimension by recurrence on a tessellation of state space.

The idea is that of ``AttractorsViaRecurrences`` in DynamicalSystems.jl (Datseris & Wagemakers,
"Effortless estimation of basins of attraction", Chaos 32, 023104, 2022): cover state space with
cells of edge ``cell_size``; a trajectory that keeps revisiting a finite set of cells is on an
attractor, and trajectories whose cell sets overlap are on the same one. Here the test is
batched over all starts instead of run one trajectory at a time.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from torch import Tensor

from neurodyn._core import Box, notify
from neurodyn._core._validate import prepare_model
from neurodyn.dynamics._attractor_results import Attractor, AttractorsResult
from neurodyn.dynamics._common import check_states, escaped, state_dtype
from neurodyn.dynamics._fixed_points import fixed_points
from neurodyn.systems import TangentMap, complete_map
from neurodyn.systems._tangent import few_threads

__all__ = ["RECURRENCE_RULE", "attractors"]

RECURRENCE_RULE = (
    "Iterate every start `steps` steps (transient), then record `window` more. Space is "
    "tessellated into cells of edge `cell_size` (default: the per-coordinate extent of the "
    "recorded states of bounded trajectories / `cells`, never below 1e-6 of their scale). A "
    "trajectory "
    "escapes if ‖x‖₂ > bound or it turns non-finite. It is recurrent (on an attractor) if at "
    "least `recurrence` of the steps in the second half of its window land in cells it visited in "
    "the first half. Recurrent trajectories whose second-half cell sets overlap (directly or "
    "through others) are on one attractor. Its kind: period p ≤ max_period if ‖x_T − x_(T−p)‖∞ ≤ "
    "period_tol·(1+‖x_T‖∞) for most members (p = 1: a fixed point, Newton-polished); an "
    "attracting set only if its multiplier ρ (Jacobian, or product of Jacobians around the cycle) "
    "is ≤ 1 + 1e-6, else its trajectories are 'other'; otherwise the largest Lyapunov exponent λ₁ "
    "along one member over `window` steps decides: chaotic if λ₁ > lyap_tol, quasi-periodic if "
    "|λ₁| ≤ lyap_tol, else a fixed point if Newton from x_T lands within one cell, or a cycle of "
    "period > max_period. A non-recurrent trajectory whose second-half cells lie (≥ recurrence) "
    "in one attractor's cells joins its basin; the rest are 'other' (unresolved)."
)

_BYTES_PER_CHUNK = 2**27  # int64 cell rows held at once while testing recurrence (~128 MiB)


def _rank(v: Tensor) -> Tensor:
    return torch.unique(v, return_inverse=True)[1]


def row_ids(rows: Tensor) -> tuple[Tensor, int]:
    """Dense ids of the distinct rows of an integer ``(N, m)`` tensor (equal rows, equal ids) and
    their number: columns are combined one at a time through 1-D ranks, so no key overflows
    (``torch.unique(dim=0)`` does the same but is ~30× slower)."""
    if rows.shape[0] == 0:
        return torch.zeros(0, dtype=torch.long, device=rows.device), 0
    lo = rows.amin(dim=0)
    spans = (rows.amax(dim=0) - lo + 1).tolist()
    if math.prod(spans) < 2**62:  # one exact mixed-radix key, one sort
        strides = [math.prod(spans[j + 1 :]) for j in range(len(spans))]
        key = ((rows - lo) * torch.tensor(strides, dtype=torch.long, device=rows.device)).sum(dim=1)
        ids = _rank(key)
        return ids, int(ids.max()) + 1
    ids = _rank(rows[:, 0])
    for j in range(1, rows.shape[1]):
        col = _rank(rows[:, j])
        ids = _rank(ids * (int(col.max()) + 1) + col)
    return ids, int(ids.max()) + 1


def _canonical_cycle(points: Tensor) -> Tensor:
    """Rotate a cycle's points so the lexicographically smallest comes first."""
    keys = [tuple(p) for p in points.tolist()]
    start = min(range(len(keys)), key=keys.__getitem__)
    return torch.roll(points, -start, dims=0)


@torch.no_grad()
def _lyapunov_along(f, x0: Tensor, steps: int) -> tuple[float, Tensor]:
    """λ₁ (mean over the rows of ``x0``) by one renormalised tangent vector over ``steps`` steps,
    and the states of row 0."""
    tangent = TangentMap(f, 1)
    x = x0
    v = torch.ones(x.shape[0], f.dim, 1, dtype=x.dtype, device=x.device) / math.sqrt(f.dim)
    log_growth = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
    tiny = torch.finfo(x.dtype).tiny
    states = []
    with few_threads(x.shape[0], f.dim):
        for _ in range(steps):
            x, v = tangent.step(x, v)
            norm = torch.linalg.vector_norm(v, dim=1).clamp(min=tiny)
            log_growth += torch.log(norm.squeeze(1))
            v = v / norm.unsqueeze(1)
            states.append(x[0])
    return float(log_growth.mean()) / (steps * f.dt), torch.stack(states)


def _multiplier(f, points: Tensor) -> float:
    """ρ of J(x_{p−1})···J(x₀) around the cycle ``points`` (p = 1: ρ(J(x̄)))."""
    J = f.jacobian(points)
    M = J[0]
    for i in range(1, J.shape[0]):
        M = J[i] @ M
    return float(torch.linalg.eigvals(M).abs().max())


def _auto_cells(states: Tensor, ok: Tensor, cells: int) -> tuple[Tensor, Tensor]:
    """Cell edges = per-coordinate extent of the recorded states of bounded trajectories / cells
    (coordinates with no extent get the largest edge), origin = their minimum."""
    pts = states[ok].reshape(-1, states.shape[-1])
    if pts.shape[0] == 0:
        pts = states.reshape(-1, states.shape[-1])
    pts = pts[torch.isfinite(pts).all(dim=1)]
    if pts.shape[0] == 0:
        ones = torch.ones(states.shape[-1], dtype=states.dtype, device=states.device)
        return ones, 0 * ones
    lo, hi = pts.amin(dim=0), pts.amax(dim=0)
    edge = (hi - lo) / cells
    # never finer than rounding can resolve: 1e-6 (float64) or ~1e-4 (float32) of the scale
    scale = 1 + float(torch.maximum(lo.abs(), hi.abs()).max())
    big = max(float(edge.max()), max(1e-6, 1e3 * torch.finfo(pts.dtype).eps) * scale)
    edge = torch.where(edge > 1e-3 * big, edge, torch.full_like(edge, big))
    return edge, lo - 0.5 * edge


def _iterate(f, starts, steps, window, cell, origin, cells, bound, max_period, chunk, progress):
    """Per chunk of starts: transient, then the window. Returns, over all starts: diverged,
    recurrent fraction, x at window start, history (S, P+1, n), the (traj, cell) rows of the
    second half (unique), and the cell edges / origin used."""
    S, n = starts.shape
    half = window // 2
    out = {"diverged": [], "frac": [], "x_w0": [], "hist": [], "rows": []}
    done = 0
    total = -(-S // chunk) * (steps + window)
    for c0 in range(0, S, chunk):
        x = starts[c0 : c0 + chunk]
        b = x.shape[0]
        diverged = torch.zeros(b, dtype=torch.bool, device=x.device)

        def advance(x, diverged):
            nxt = f.step(x)
            diverged = diverged | escaped(nxt, bound)
            return torch.where(diverged.unsqueeze(1), x, nxt), diverged

        for _ in range(steps):
            x, diverged = advance(x, diverged)
            done += 1
            notify(progress, done, total)
        x_w0 = x
        states = torch.empty(b, window, n, dtype=x.dtype, device=x.device)
        for t in range(window):
            x, diverged = advance(x, diverged)
            states[:, t] = x
            done += 1
            if done < total:
                notify(progress, done, total)
        hist = states[:, -(max_period + 1) :].clone()
        if cell is None:
            cell, origin = _auto_cells(states, ~diverged, cells)
        q = torch.floor((states - origin) / cell).clamp(-(2.0**40), 2.0**40)
        cells_b = torch.nan_to_num(q).long()
        idx = torch.arange(b, device=x.device).view(b, 1, 1).expand(b, window, 1)
        rows = torch.cat([idx, cells_b], dim=2).reshape(-1, n + 1)
        del states, q, cells_b
        inv, n_uniq = row_ids(rows)
        first = torch.full((n_uniq,), rows.shape[0], dtype=torch.long, device=x.device)
        first.scatter_reduce_(0, inv, torch.arange(rows.shape[0], device=x.device), "amin")
        uniq = rows[first]
        inv = inv.view(b, window)
        seen = torch.zeros(n_uniq, dtype=torch.bool, device=x.device)
        seen[inv[:, :half].reshape(-1)] = True
        frac = seen[inv[:, half:]].float().mean(dim=1)
        second = torch.zeros(n_uniq, dtype=torch.bool, device=x.device)
        second[inv[:, half:].reshape(-1)] = True
        rows2 = uniq[second]
        rows2[:, 0] += c0
        out["diverged"].append(diverged)
        out["frac"].append(frac)
        out["x_w0"].append(x_w0)
        out["hist"].append(hist)
        out["rows"].append(rows2)
    res = {k: torch.cat(v) for k, v in out.items()}
    return res, cell, origin, total


def _periods(hist: Tensor, period_tol: float) -> Tensor:
    ends = hist[:, -1]
    scale = 1 + ends.abs().amax(dim=1, keepdim=True)
    gaps = (hist[:, :-1] - ends.unsqueeze(1)).abs().amax(dim=2) / scale
    within = gaps.flip(1) <= period_tol
    return torch.where(within.any(dim=1), within.float().argmax(dim=1) + 1, 0)


def _classify(f, run, idx, period, cell, dtype, window, lyap_tol, max_points, n_cells):
    """The Attractor of one component (members ``idx``), or None if it is not attracting."""
    periods = Counter(int(p) for p in period[idx].tolist() if p > 0)
    if periods and sum(periods.values()) * 2 >= idx.numel():
        p = periods.most_common(1)[0][0]
        rep = int(idx[period[idx] == p][0])
        pts = run["hist"][rep, -p:]
        if p == 1:
            polished = fixed_points(f, seeds=pts, max_step=0.1)
            if len(polished):
                pts = polished.points[0].x.unsqueeze(0).to(dtype)
        else:
            pts = _canonical_cycle(pts)
        mult = _multiplier(f, pts)
        if mult > 1 + 1e-6:
            return None  # an unstable fixed point / cycle that a start hit exactly
        lam = math.log(max(mult, 1e-300)) / (p * f.dt)
        return Attractor("fixed_point" if p == 1 else "cycle", pts, p, lam, mult, n_cells)
    sel = idx[: min(4, idx.numel())]
    lam, states = _lyapunov_along(f, run["x_w0"][sel], window)
    kind = "chaotic" if lam > lyap_tol else "quasi_periodic" if lam >= -lyap_tol else "cycle"
    stride = max(1, states.shape[0] // max_points)
    pts, per, mult = states[::stride][:max_points], None, None
    if kind == "cycle":  # contracting but no period ≤ max_period: slow fixed point or long cycle
        end = run["hist"][int(idx[0]), -1:]
        polished = fixed_points(f, seeds=end, max_step=0.1)
        if len(polished) and bool(((polished.points[0].x - end[0]).abs() <= cell).all()):
            kind, pts, per = "fixed_point", polished.points[0].x.unsqueeze(0), 1
            mult = _multiplier(f, pts)
    return Attractor(kind, pts.to(dtype), per, lam, mult, n_cells)


@torch.no_grad()
def find_attractors(
    f,
    starts: Tensor,
    *,
    steps: int,
    window: int,
    cells: int,
    cell_size: tuple[float, ...] | None,
    sampled: bool,
    bound: float = 1e6,
    recurrence: float = 0.9,
    max_period: int = 32,
    period_tol: float | None = None,
    lyap_tol: float = 0.01,
    max_points: int = 500,
    progress=None,
) -> AttractorsResult:
    """The recurrence engine behind :func:`attractors` and :func:`basins` (see RECURRENCE_RULE)."""
    S, n = starts.shape
    dtype, device = starts.dtype, starts.device
    if period_tol is None:
        period_tol = max(1e-6, 100 * torch.finfo(dtype).eps)
    cell = origin = None
    if cell_size is not None:
        cell = torch.tensor(cell_size, dtype=dtype, device=device)
        origin = torch.zeros(n, dtype=dtype, device=device)
    chunk = max(1, _BYTES_PER_CHUNK // (8 * window * (n + 1)))
    with few_threads(min(S, chunk), n):
        run, cell, origin, total = _iterate(
            f, starts, steps, window, cell, origin, cells, bound, max_period, chunk, progress
        )
    diverged = run["diverged"]
    recurrent = (run["frac"] >= recurrence) & ~diverged
    period = _periods(run["hist"], period_tol)
    rows = run["rows"]
    traj = rows[:, 0]
    cell_id, n_cells = row_ids(rows[:, 1:])
    # bipartite graph trajectory — cell over recurrent trajectories; components = attractors
    keep = recurrent[traj]
    t_np = traj[keep].cpu().numpy()
    c_np = cell_id[keep].cpu().numpy() + S
    graph = coo_matrix(
        (np.ones(t_np.size, dtype=np.int8), (t_np, c_np)), shape=(S + n_cells, S + n_cells)
    )
    _, comp = connected_components(graph, directed=False)
    comp_t = torch.as_tensor(comp[:S], device=device)
    labels = torch.full((S,), -2, dtype=torch.long, device=device)
    labels[diverged] = -1
    found: list[tuple[Attractor, Tensor]] = []  # (attractor, member mask)
    for c in sorted({int(v) for v in comp_t[recurrent].tolist()}):
        members = recurrent & (comp_t == c)
        idx = members.nonzero().squeeze(1)
        n_cells_c = int(torch.unique(cell_id[members[traj]]).numel())
        att = _classify(f, run, idx, period, cell, dtype, window, lyap_tol, max_points, n_cells_c)
        if att is not None:
            found.append((att, members))
    found.sort(key=lambda am: tuple(am[0].points[0].tolist()))
    cell_owner = torch.full((n_cells,), -1, dtype=torch.long, device=device)
    for k, (_, members) in enumerate(found):
        labels[members] = k
        cell_owner[cell_id[members[traj]]] = k
    # non-recurrent bounded trajectories whose late cells lie in one attractor's cells
    pending = (labels == -2) & ~recurrent & ~diverged
    if found and bool(pending.any()):
        rows_p = pending[traj]
        t_p, owner = traj[rows_p], cell_owner[cell_id[rows_p]]
        K = len(found)
        per_traj = torch.bincount(t_p, minlength=S).clamp(min=1)
        hit = owner >= 0
        counts = torch.bincount(t_p[hit] * K + owner[hit], minlength=S * K).view(S, K)
        best, k_best = counts.max(dim=1)
        joins = pending & (best.float() >= recurrence * per_traj.float())
        labels[joins] = k_best[joins]
    notify(progress, total, total)
    return AttractorsResult(
        tuple(a for a, _ in found),
        labels,
        starts,
        sampled,
        tuple(float(c) for c in cell.tolist()),
        steps,
        window,
        bound,
    )


def attractors(
    map,
    starts: Tensor | None = None,
    *,
    box: Box | None = None,
    samples: int = 1000,
    steps: int = 1000,
    window: int = 1000,
    cells: int = 32,
    cell_size: float | tuple[float, ...] | None = None,
    seed: int = 0,
    bound: float = 1e6,
    recurrence: float = 0.9,
    max_period: int = 32,
    lyap_tol: float = 0.01,
    progress=None,
) -> AttractorsResult:
    """The attractors of x_{t+1} = f(x_t) reached from a set of starts, in any dimension, found by
    recurrence (fixed points, cycles with their period, quasi-periodic and chaotic sets) — the
    method of DynamicalSystems.jl's ``AttractorsViaRecurrences`` (Datseris & Wagemakers 2022).

    The rule is :data:`RECURRENCE_RULE`: after a transient of ``steps``, a trajectory that keeps
    revisiting a finite set of tessellation cells over the ``window`` is on an attractor;
    trajectories sharing cells are on the same one; diverging trajectories are labelled −1.

    Args:
        map: a Map or a square feedforward net (autonomous).
        starts: ``(S, n)`` starting states in the map's dtype; if None, ``samples`` points drawn
            uniformly from ``box`` (:meth:`Box.sample` with ``seed``).
        box: a :class:`Box` (or ``[(low, high), ...]``) to sample starts from.
        steps, window: transient steps, then recorded steps (the window must be long enough
            for a chaotic trajectory to revisit its cells: window ≫ cells on the attractor).
        cells, cell_size: the cell edges are the extent of the recorded states (over the first
            chunk of starts, per coordinate) / ``cells``, or ``cell_size`` given directly. Two
            attractors closer than a cell are merged; too fine cells leave chaotic sets
            unresolved (label −2).
        bound: escape radius. recurrence: the revisit fraction of the rule.
        max_period, lyap_tol: see the rule.
        progress: ``progress(done, total)`` in iteration steps (any callable, e.g. from
            :func:`neurodyn.rich_progress`); the last call has done == total.

    Returns:
        :class:`AttractorsResult`: ``attractors`` (each with kind, points, period, λ₁,
        multiplier), ``labels`` per start, ``fractions()`` and, for sampled starts, ``stderr()``.

    Raises:
        ValueError: neither starts nor a box; a box or starts of the wrong dimension; empty or
            non-finite starts; a NaN/inf parameter (named). float16 / bfloat16 modules run as a
            float32 copy (with a warning).
        TypeError: starts not in the map's dtype / device.

    Example:
        >>> from neurodyn.dynamics import Box, attractors
        >>> from neurodyn.systems import Henon
        >>> res = attractors(Henon(), box=Box((-0.5, -0.2), (0.5, 0.2)), samples=20)
        >>> [a.kind for a in res], res.fractions()["attractor_0"]
        (['chaotic'], 1.0)
    """
    map, starts = prepare_model(map, starts, what="attractors")
    f = complete_map(map)
    sampled = starts is None
    if starts is None:
        if box is None:
            raise ValueError("attractors needs starts=(S, n) states or box=Box(...) to sample.")
        box = Box.coerce(box)
        if box.dim != f.dim:
            raise ValueError(f"the box has {box.dim} dimensions but the map has dim {f.dim}.")
        dtype, device = state_dtype(f)
        starts = box.sample(samples, seed=seed, dtype=dtype, device=device)
    check_states(f, starts, "starts", allow_empty=False)
    if isinstance(cell_size, int | float):
        cell_size = (float(cell_size),) * f.dim
    if cell_size is not None and (len(cell_size) != f.dim or any(not c > 0 for c in cell_size)):
        raise ValueError(f"cell_size needs {f.dim} positive entries, got {cell_size}.")
    if steps < 0 or window < 4:
        raise ValueError(f"need steps ≥ 0 and window ≥ 4, got steps={steps}, window={window}.")
    return find_attractors(
        f,
        starts,
        steps=steps,
        window=window,
        cells=cells,
        cell_size=None if cell_size is None else tuple(cell_size),
        sampled=sampled,
        bound=bound,
        recurrence=recurrence,
        max_period=max_period,
        lyap_tol=lyap_tol,
        progress=progress,
    )
