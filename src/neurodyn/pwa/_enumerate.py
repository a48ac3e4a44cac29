"""Exact enumeration of the linear regions of a piecewise-linear network inside a box.

Layer-wise refinement (Drgoňa et al., Spectral analysis, Sec. 3 and Lemma 3: on each region every
unit sits on one affine piece, so f(x) = A x + b there): a depth-first walk splits the box by
the units of the first activation layer one at a time, then each cell by the next layer's units
(whose pre-activations are affine on the cell), and so on. A child cell is kept only if it has
an interior: a ball of radius > ``min_radius`` fits in it. Every region found gets one
Chebyshev LP (its centre and radius). The children are decided in one of two ways.

**Vertex path** (``method="vertex"``, the default for input dimension ≤ 6). Each cell carries
its vertex set and facet incidence (:mod:`neurodyn.pwa._vertices`). An affine z_j attains its
extremes over a polytope at vertices, so [min_V z_j, max_V z_j] is z_j's exact range on the
cell: a unit whose breakpoints all lie outside it (to within a rounding ``tol``) splits nothing
and adds no row. A unit that cuts the cell splits its vertex set by the double-description step;
a child is rejected when no vertex lies deeper than ``min_radius − safety`` inside a new
half-space (a ball of radius > ``min_radius`` has its centre that deep, and the centre lies in
the convex hull of the vertices), and accepted when a witness point or the centroid of its
vertices has slack > ``min_radius`` to every row (a ball of that radius fits). Only children
neither test decides get an LP. Exactness: the rejection test is implied by radius ≤
``min_radius``, the acceptance test implies radius > ``min_radius``; vertex coordinates are
computed to ≪ ``safety``, and a cut whose new vertices would be ill-conditioned sends its
subtree to the LP path instead.

**LP path** (``method="lp"``, and the fallback). Most children are still decided without an LP:

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
from neurodyn.pwa._vertices import Cell, box_cell, split

__all__ = ["METHODS", "Stage", "enumerate_regions", "vertex_method_applies"]


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
    vertex_rejected: int = 0
    fallbacks: int = 0


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
    method: str = "auto",
) -> tuple[list[_Found], _Stats, float, str | None]:
    """Depth-first layer-wise refinement; returns (regions, stats, seconds, stop reason).

    ``method``: "vertex" carries each cell's vertex set (:mod:`neurodyn.pwa._vertices`), "lp"
    decides children by interval bounds, witnesses and LPs only, "auto" is "vertex" where it
    applies (:func:`vertex_method_applies`)."""
    t0 = time.perf_counter()
    n = low.shape[0]
    scale = float(np.max(high - low))
    use_vertices = _pick_method(method, n, min_radius, scale)
    tol, guard, safety = _VTOL * scale, _VGUARD * scale, _VSAFETY * scale
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
                (list(lp.rows), list(lp.rhs), pattern.copy(), P2, q2, pts, slack, blo, bhi, None)
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

    def vbox(cell: Cell) -> tuple[np.ndarray, np.ndarray]:
        """Bounding box of a cell's vertices, padded like :func:`bbox_lp`'s plus ``safety``."""
        pad = safety + 1e-7 * (1.0 + (high - low))
        return np.maximum(cell.V.min(axis=0) - pad, low), np.minimum(cell.V.max(axis=0) + pad, high)

    def centre_slack(V: np.ndarray) -> tuple[np.ndarray, float]:
        """The vertex centroid and its least slack over the box and every stacked row."""
        c = V.mean(axis=0)
        sl = float(np.minimum(c - low, high - c).min())
        if lp.rows:
            H = np.asarray(lp.rows)
            sl = min(sl, float((np.asarray(lp.rhs) - H @ c).min()))
        return c, sl

    def vvisit(si: int, j: int, P, q, nrm, pts, slack, cell: Cell) -> None:
        """:func:`visit` on a cell whose vertex set is known: z's range on the cell is
        [min_V z, max_V z], so a unit is decided, or a child rejected, with no LP."""
        table = stages[si].table
        width = P.shape[0]
        off = offsets[si]
        if j == width:
            vfinish(si, P, q, pts, slack, cell)
            return
        Z = cell.V @ P[j:].T + q[j:]
        zmin, zmax = Z.min(axis=0), Z.max(axis=0)
        bps = table.breakpoints[j:]
        band = tol * nrm[j:, None]
        if finite[si]:
            below = zmax[:, None] - bps <= band  # the cell lies on or below breakpoint k
            above = zmin[:, None] - bps >= -band
        else:
            with np.errstate(invalid="ignore"):  # inf − inf for merged breakpoints: not "above"
                below = zmax[:, None] - bps <= band
                above = zmin[:, None] - bps >= -band
        flat = nrm[j:] == 0  # a constant unit: its piece by the tie rule
        dec = (below | above).all(axis=1) | flat
        k = int(np.argmin(dec)) if not dec.all() else dec.shape[0]
        if k:
            pattern[off + j : off + j + k] = above[:k].sum(axis=1)
            for i in np.flatnonzero(flat[:k]):
                pattern[off + j + i] = _piece_of(table, j + i, float(q[j + i]))
            stats.pruned += k
        if j + k == width:
            vfinish(si, P, q, pts, slack, cell)
            return
        zv, pmin = Z[:, k], int(above[k].sum())
        pmax = bps.shape[1] - int(below[k].sum())  # breakpoints pmin … pmax − 1 cut the cell
        j += k
        zrow, zq, nm = P[j], q[j], float(nrm[j])
        bpj = table.breakpoints[j]
        d = 2 * n + len(lp.rows)
        first: dict[int, tuple[Cell, Cell] | None] = {}

        def cut_cell(kk: int) -> tuple[Cell, Cell] | None:
            if kk not in first:
                first[kk] = split(cell, (zv - bpj[kk]) / nm, d, tol, guard)
            return first[kk]

        zp = pts @ zrow + zq
        for piece in range(pmin, pmax + 1):
            stats.candidates += 1
            child: Cell | None = cell
            pushed = 0
            new_slack = slack
            if piece > pmin:  # z ≥ β_{piece−1}
                res = cut_cell(piece - 1)
                child = None if res is None else res[1]
                lp.push(-zrow / nm, (zq - bpj[piece - 1]) / nm)
                pushed += 1
                new_slack = np.minimum(new_slack, (zp - bpj[piece - 1]) / nm)
            if piece < pmax:  # z ≤ β_piece
                if piece == pmin:
                    res = cut_cell(piece)
                elif child is not None:
                    res = split(child, (child.V @ zrow + zq - bpj[piece]) / nm, d + 1, tol, guard)
                child = None if res is None else res[0]
                lp.push(zrow / nm, (bpj[piece] - zq) / nm)
                pushed += 1
                new_slack = np.minimum(new_slack, (bpj[piece] - zp) / nm)
            ok = new_slack > min_radius
            cpts, cslack = pts[ok], new_slack[ok]
            if child is None:  # an ill-conditioned cut: the LP path takes this subtree
                stats.fallbacks += 1
                center, r = lp_child()
                if r <= min_radius:
                    stats.slivers += r > 0
                    lp.pop(pushed)
                    continue
                if not cpts.shape[0]:
                    cpts, cslack = center[None], np.array([r])
                pattern[off + j] = piece
                visit(si, j + 1, P, q, cpts, cslack, *vbox(cell))
                lp.pop(pushed)
                continue
            # a ball of radius > min_radius lies deeper than min_radius in every new half-space
            H = np.asarray(lp.rows[-pushed:])
            depth = (np.asarray(lp.rhs[-pushed:])[None] - child.V @ H.T).max(axis=0)
            if (depth <= min_radius - safety).any():
                stats.vertex_rejected += 1
                lp.pop(pushed)
                continue
            if cpts.shape[0]:
                stats.witnessed += 1
            else:
                c, sl = centre_slack(child.V)
                if sl > min_radius:
                    stats.witnessed += 1
                    cpts, cslack = c[None], np.array([sl])
                else:
                    center, r = lp_child()
                    if r <= min_radius:
                        stats.slivers += r > 0
                        lp.pop(pushed)
                        continue
                    cpts, cslack = center[None], np.array([r])
            pattern[off + j] = piece
            vvisit(si, j + 1, P, q, nrm, cpts, cslack, child)
            lp.pop(pushed)

    def vfinish(si, P, q, pts, slack, cell: Cell) -> None:
        """:func:`finish` for a cell with its vertex set."""
        Ph, qh = _compose(stages[si].table, pattern[offsets[si] : offsets[si + 1]], P, q)
        if si + 1 == len(stages):
            emit(out_weight @ Ph, out_weight @ qh + out_bias, pts, slack)
            return
        nxt = stages[si + 1]
        P2 = nxt.weight @ Ph
        q2 = nxt.weight @ qh + nxt.bias
        if si == 0:
            cells.append(
                (list(lp.rows), list(lp.rhs), pattern.copy(), P2, q2, pts, slack, 0, 0, cell)
            )
            return
        vvisit(si + 1, 0, P2, q2, np.linalg.norm(P2, axis=1), pts, slack, cell)

    finite = [bool(np.isfinite(st.table.breakpoints).all()) for st in stages]
    cells: list[tuple] = []
    reason: str | None = None
    try:
        W0, b0 = stages[0].weight, stages[0].bias
        if use_vertices:
            vvisit(0, 0, W0, b0, np.linalg.norm(W0, axis=1), pts0, slack0, box_cell(low, high))
        else:
            visit(0, 0, W0, b0, pts0, slack0, low.copy(), high.copy())
        for i, (rows, rhs, pat, P2, q2, pts, slack, blo, bhi, cell) in enumerate(cells):
            lp.reset(rows, rhs)
            pattern[:] = pat
            if cell is None:
                descend(1, P2, q2, pts, slack, blo, bhi)
            else:
                vvisit(1, 0, P2, q2, np.linalg.norm(P2, axis=1), pts, slack, cell)
            notify(progress, i + 1, len(cells))
    except _Stop as stop:
        reason = stop.reason
    return found, stats, time.perf_counter() - t0, reason


# Vertex path tolerances, relative to the box's largest width: a vertex within _VTOL of a
# hyperplane lies on it; a cut edge whose ends are closer than _VGUARD to it sends the subtree
# to the LP path; decisions keep a margin _VSAFETY (≫ depth × _VTOL) from min_radius.
_VTOL = 1e-9
_VGUARD = 1e-5
_VSAFETY = 1e-7
_VMAX_DIM = 6
METHODS = ("auto", "vertex", "lp")


def vertex_method_applies(n: int, min_radius: float, scale: float) -> bool:
    """ "auto" uses vertex sets for input dimension ≤ 6 (a cell has tens to a few hundred
    vertices there) when ``min_radius`` ≥ 2·_VSAFETY·scale (the default 1e-6·scale is)."""
    return n <= _VMAX_DIM and min_radius >= 2 * _VSAFETY * scale


def _pick_method(method: str, n: int, min_radius: float, scale: float) -> bool:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}.")
    if method == "vertex" and min_radius < 2 * _VSAFETY * scale:
        raise ValueError(
            f"method='vertex' needs min_radius ≥ {2 * _VSAFETY:g} × the box's largest width "
            f"(got {min_radius:g}; the vertex sets are exact only to ~1e-8 of it); use "
            "method='lp' or a larger min_radius."
        )
    return method == "vertex" or (method == "auto" and vertex_method_applies(n, min_radius, scale))


def _compose(table: PieceTable, idx: np.ndarray, P, q) -> tuple[np.ndarray, np.ndarray]:
    """h = σ(z) on the pieces ``idx`` as an affine map of x: (Ph, qh)."""
    rows_u = np.arange(P.shape[0])
    s = table.slopes[rows_u, idx]
    c = table.intercepts[rows_u, idx]
    return s[:, None] * P, s * q + c


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
