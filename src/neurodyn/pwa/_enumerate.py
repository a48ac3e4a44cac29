"""Exact enumeration of the linear regions of a piecewise-linear network inside a box.

Layer-wise refinement (Drgoňa et al., Spectral analysis, Sec. 3 and Lemma 3: on each region every
unit sits on one affine piece, so f(x) = A x + b there): a depth-first walk splits the box by
the units of the first activation layer one at a time, then each cell by the next layer's units
(whose pre-activations are affine on the cell), and so on. A child cell is kept only if it has
an interior: the Chebyshev LP of its half-spaces has radius > ``min_radius``. Most children
are decided without an LP:

* a unit whose pre-activation z_j = p_jᵀx + q_j cannot cross a breakpoint on the cell (interval
  bound of z_j over the cell's bounding box, the input box refined by LPs when many units are
  undecided) splits nothing and adds no row;
* witness points — a seeded sample of the box plus the centre of every LP solved so far — that
  lie in the cell with every constraint slack > ``min_radius`` decide a child feasible (a ball of
  that radius fits) without an LP; only children no witness lies in need one.

The HiGHS model follows the walk (rows pushed on descent, popped on return, warm basis).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from neurodyn._core import Progress, notify
from neurodyn.pwa._lp import ChebyshevLP
from neurodyn.pwa._pieces import PieceTable

__all__ = ["Stage", "enumerate_regions"]


@dataclass(frozen=True)
class Stage:
    """z = W h + b (composite of the affine layers before an activation), then the activation."""

    weight: np.ndarray  # (width, width_in)
    bias: np.ndarray  # (width,)
    table: PieceTable


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass
class _Stats:
    lps: int = 0
    witnessed: int = 0
    pruned: int = 0
    candidates: int = 0
    slivers: int = 0


@dataclass
class _Found:
    pattern: np.ndarray
    A: np.ndarray
    b: np.ndarray
    rows: np.ndarray
    rhs: np.ndarray
    center: np.ndarray
    radius: float


def enumerate_regions(
    stages: list[Stage],
    out_weight: np.ndarray,
    out_bias: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    min_radius: float,
    witnesses: int,
    seed: int,
    max_regions: int | None,
    time_limit: float | None,
    progress: Progress | None,
    use_highspy: bool = True,
    refine: bool = True,
) -> tuple[list[_Found], _Stats, float, str | None]:
    """Depth-first layer-wise refinement; returns (regions, stats, seconds, stop reason)."""
    t0 = time.perf_counter()
    n = low.shape[0]
    lp = ChebyshevLP(low, high, use_highspy=use_highspy)
    stats = _Stats()
    found: list[_Found] = []
    rng = np.random.default_rng(seed)
    pts0 = low + (high - low) * rng.random((witnesses, n))
    box_slack = np.minimum(pts0 - low, high - pts0).min(axis=1)
    keep = box_slack > min_radius
    pts0, slack0 = pts0[keep], box_slack[keep]
    units = [s.table.slopes.shape[0] for s in stages]
    total_units = sum(units)
    offsets = np.concatenate([[0], np.cumsum(units)]).astype(int)
    pattern = np.zeros(total_units, dtype=np.int64)
    deadline = None if time_limit is None else t0 + time_limit

    def check_time() -> None:
        if deadline is not None and time.perf_counter() > deadline:
            raise _Stop(f"time_limit={time_limit:g} s reached")

    def lp_child() -> tuple[np.ndarray, float]:
        check_time()
        stats.lps += 1
        return lp.chebyshev()

    def bbox_lp() -> tuple[np.ndarray, np.ndarray]:
        """Bounding box of the current cell (2n LPs), padded outward by 1e-7·(1 + width): HiGHS
        meets its constraints to 1e-7, and a wider box only costs LPs, never a region."""
        lo, hi = lp.extremes()
        stats.lps += 2 * n
        pad = 1e-7 * (1.0 + (high - low))
        return np.maximum(lo - pad, low), np.minimum(hi + pad, high)

    def visit(si: int, j: int, P, q, pts, slack, blo, bhi) -> None:
        """Unit j of stage si, given z = P x + q of that stage on the current cell."""
        stage = stages[si]
        width = P.shape[0]
        table = stage.table
        while j < width:
            zrow, zq = P[j], q[j]
            mid = 0.5 * (blo + bhi)
            rad = 0.5 * (bhi - blo)
            zc = float(zrow @ mid + zq)
            zr = float(np.abs(zrow) @ rad)
            zr += 1e-12 * (abs(zc) + zr + 1.0)
            zlo, zhi = zc - zr, zc + zr
            bps = table.breakpoints[j]
            inside = (bps > zlo) & (bps < zhi)
            if not inside.any():
                pattern[offsets[si] + j] = _piece_of(table, j, zc)
                j += 1
                stats.pruned += 1
                continue
            break
        if j == width:
            finish(si, P, q, pts, slack, blo, bhi)
            return
        # unit j may cross a breakpoint on this cell: try each piece
        zrow, zq = P[j], q[j]
        norm = float(np.linalg.norm(zrow))
        mid = 0.5 * (blo + bhi)
        rad = 0.5 * (bhi - blo)
        zc = float(zrow @ mid + zq)
        zr = float(np.abs(zrow) @ rad) * (1 + 1e-12) + 1e-12
        bps = table.breakpoints[j]
        first = int(np.searchsorted(bps, zc - zr, side="right"))
        last = int(np.searchsorted(bps, zc + zr, side="left"))
        zp = pts @ zrow + zq
        for piece in range(first, last + 1):
            stats.candidates += 1
            lo_b = bps[piece - 1] if piece > 0 else -np.inf
            hi_b = bps[piece] if piece < bps.shape[0] else np.inf
            pushed = 0
            new_slack = slack.copy()
            if np.isfinite(lo_b) and lo_b > zc - zr:  # z ≥ lo_b  ⇔  −pᵀx ≤ q − lo_b
                lp.push(-zrow / norm, (zq - lo_b) / norm)
                pushed += 1
                new_slack = np.minimum(new_slack, (zp - lo_b) / norm)
            if np.isfinite(hi_b) and hi_b < zc + zr:  # z ≤ hi_b
                lp.push(zrow / norm, (hi_b - zq) / norm)
                pushed += 1
                new_slack = np.minimum(new_slack, (hi_b - zp) / norm)
            ok = new_slack > min_radius
            cpts, cslack = pts[ok], new_slack[ok]
            if cpts.shape[0]:
                stats.witnessed += 1
            else:
                center, r = lp_child()
                if r <= min_radius:
                    if r > 0:
                        stats.slivers += 1
                    lp.pop(pushed)
                    continue
                cpts, cslack = center[None], np.array([r])
            pattern[offsets[si] + j] = piece
            clo, chi = blo, bhi
            # the cell shrank: a tighter box pays when many of this stage's units are undecided
            if refine and _undecided(table, P, q, blo, bhi, j + 1) > 3 * n:
                clo, chi = bbox_lp()
            visit(si, j + 1, P, q, cpts, cslack, clo, chi)
            lp.pop(pushed)

    def finish(si, P, q, pts, slack, blo, bhi) -> None:
        """All units of stage si assigned: compose the next stage's z (or emit a region)."""
        table = stages[si].table
        idx = pattern[offsets[si] : offsets[si + 1]]
        rows_u = np.arange(P.shape[0])
        s = table.slopes[rows_u, idx]
        c = table.intercepts[rows_u, idx]
        Ph, qh = s[:, None] * P, s * q + c
        if si + 1 == len(stages):
            A = out_weight @ Ph
            b = out_weight @ qh + out_bias
            emit(A, b, pts, slack)
            return
        nxt = stages[si + 1]
        P2 = nxt.weight @ Ph
        q2 = nxt.weight @ qh + nxt.bias
        if si == 0:  # phase 1 stops here; phase 2 refines each first-layer cell in turn
            cells.append(
                (list(lp.rows), list(lp.rhs), pattern.copy(), P2, q2, pts, slack, blo, bhi)
            )
            return
        descend(si + 1, P2, q2, pts, slack, blo, bhi)

    def descend(si, P, q, pts, slack, blo, bhi) -> None:
        # refine the bounding box when many units of this stage are undecided by it
        if lp.rows and _undecided(stages[si].table, P, q, blo, bhi) > 2 * n:
            blo, bhi = bbox_lp()
        visit(si, 0, P, q, pts, slack, blo, bhi)

    def emit(A, b, pts, slack) -> None:
        if max_regions is not None and len(found) >= max_regions:
            raise _Stop(f"max_regions={max_regions} reached")
        center, r = lp_child()
        if r <= min_radius:  # cannot happen after a witnessed descent, but stay exact
            if r > 0:
                stats.slivers += 1
            return
        found.append(
            _Found(
                pattern.copy(),
                A,
                b,
                np.asarray(lp.rows).reshape(-1, n),
                np.asarray(lp.rhs, dtype=np.float64),
                center,
                r,
            )
        )

    cells: list[tuple] = []
    reason: str | None = None
    try:
        visit(0, 0, stages[0].weight, stages[0].bias, pts0, slack0, low.copy(), high.copy())
        for i, (rows, rhs, pat, P2, q2, pts, slack, blo, bhi) in enumerate(cells):
            lp.reset(rows, rhs)
            pattern[:] = pat
            descend(1, P2, q2, pts, slack, blo, bhi)
            notify(progress, i + 1, len(cells))
    except _Stop as stop:
        reason = stop.reason
    return found, stats, time.perf_counter() - t0, reason


def _piece_of(table: PieceTable, j: int, z: float) -> int:
    row = np.zeros((1, table.breakpoints.shape[0]))
    row[0, j] = z
    return int(table.index(row)[0, j])


def _undecided(table: PieceTable, P, q, blo, bhi, start: int = 0) -> int:
    """How many units from ``start`` on may cross a breakpoint over the box [blo, bhi]."""
    P, q = P[start:], q[start:]
    mid, rad = 0.5 * (blo + bhi), 0.5 * (bhi - blo)
    zc = P @ mid + q
    zr = np.abs(P) @ rad
    bp = table.breakpoints[start:]
    return int(((bp > (zc - zr)[:, None]) & (bp < (zc + zr)[:, None])).any(axis=1).sum())
