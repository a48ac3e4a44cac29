"""Vertex sets of the enumeration's cells: the double-description update for one cut.

A cell of the layer-wise refinement is a polytope inside the box. In low input dimension its
vertex set is small (tens of vertices in 2–6-D), and carrying it turns the enumeration's two
questions into arithmetic on vertices instead of LPs:

* does unit j's hyperplane z_j = b cut the cell?  The extremes of an affine z over a polytope
  are attained at vertices, so ``min_V z`` and ``max_V z`` are z's exact range on the cell;
* the two children of a cut are again polytopes whose vertices are the parent's vertices on
  each side plus one new vertex on every edge whose end points lie strictly on opposite
  sides (the double-description step of Motzkin, Raiffa, Thompson and Thrall, 1953; Fukuda and
  Prodon, 1996, the combinatorial adjacency test below).

Each vertex carries its incidence set (the facets tight at it, a 0/1 row of ``T``, one column
per box facet then one per stacked half-space). Two vertices u, w are joined by an edge iff no
other vertex is tight on every facet tight at both (the smallest face holding u and w is cut
out by Z(u) ∩ Z(w); it is an edge iff it has exactly two vertices); in a simple polytope
(every vertex tight on exactly n facets) this reduces to |Z(u) ∩ Z(w)| = n − 1.

Rounding: a vertex within ``tol`` of the hyperplane is taken to lie on it (it goes to both
children and gains the new facet), so near-degenerate cuts become exactly degenerate ones
instead of near-duplicate vertices. A new vertex on edge (u, w) is u + t (w − u) with
t = s_u / (s_u − s_w); when s_u − s_w < ``guard`` the edge is nearly parallel to the
hyperplane, t is ill-conditioned, and :func:`split` returns None — the caller then falls back
to the LP path for that subtree rather than carry a doubtful vertex set. The caller keeps a
margin (``safety``) larger than the accumulated displacement (≤ depth × tol) between any
decision it takes from the vertices and the ``min_radius`` it must decide.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

__all__ = ["Cell", "box_cell", "split"]


class Cell(NamedTuple):
    """Vertices ``V`` (m, n) and incidence ``T`` (m, facets) 0/1 float32; ``simple``: every
    vertex is tight on exactly n facets."""

    V: np.ndarray
    T: np.ndarray
    simple: bool


def box_cell(low: np.ndarray, high: np.ndarray) -> Cell:
    """The box's 2ⁿ corners; facet 2k is x_k ≤ high_k, facet 2k + 1 is −x_k ≤ −low_k (the order
    :class:`neurodyn.pwa._lp.ChebyshevLP` stacks them in)."""
    n = low.shape[0]
    bits = np.array(list(itertools.product((0, 1), repeat=n)), dtype=bool)  # 1 → high
    V = np.where(bits, high[None], low[None]).astype(np.float64)
    T = np.zeros((bits.shape[0], 2 * n), dtype=np.float32)
    T[:, 0::2] = bits
    T[:, 1::2] = ~bits
    return Cell(V, T, True)


def split(
    cell: Cell, s: np.ndarray, col: int, tol: float, guard: float
) -> tuple[Cell, Cell] | None:
    """The two children {s ≤ 0} and {s ≥ 0} of ``cell`` cut by a hyperplane, s its signed
    distance at each vertex; the hyperplane becomes facet ``col`` of both (columns of ``T``
    from ``col`` on are dropped: they belong to rows popped since). Requires vertices strictly
    on both sides (|s| > tol). None when a cut edge is too parallel to the hyperplane (see the
    module docstring) or the cut's vertex count is impossible for an n-polytope."""
    V, T = cell.V, cell.T if cell.T.shape[1] == col else cell.T[:, :col]
    n = V.shape[1]
    pos = s > tol
    neg = s < -tol
    zero = ~(pos | neg)
    ip, ineg = np.flatnonzero(pos), np.flatnonzero(neg)
    if not ip.size or not ineg.size:
        return None
    Tp, Tn = T[ip], T[ineg]
    common = Tp @ Tn.T  # |Z(u) ∩ Z(w)|, exact small integers in float32
    if cell.simple:
        pu, pw = np.nonzero(common == n - 1)
    else:
        pu, pw = np.nonzero(common >= n - 1)
        if pu.size:
            Z = Tp[pu] * Tn[pw]  # (K, F): facets tight at both ends
            holds = (T @ Z.T) >= Z.sum(axis=1)[None] - 0.5  # vertex x tight on all of Z
            edge = holds.sum(axis=0) == 2
            pu, pw = pu[edge], pw[edge]
    u, w = ip[pu], ineg[pw]
    su, sw = s[u], s[w]
    nz = int(zero.sum())
    if u.size + nz < n or (su - sw < guard).any():
        return None
    t = (su / (su - sw))[:, None]
    Vnew = V[u] + t * (V[w] - V[u])
    Tnew = Tp[pu] * Tn[pw]
    one = np.ones((u.size, 1), dtype=np.float32)
    children = []
    for side in (neg, pos):
        keep = side | zero
        Vc = np.concatenate([V[keep], Vnew])
        Tc = np.concatenate(
            [
                np.concatenate([T[keep], zero[keep, None].astype(np.float32)], axis=1),
                np.concatenate([Tnew, one], axis=1),
            ]
        )
        simple = bool((Tc.sum(axis=1) == n).all())
        children.append(Cell(Vc, Tc, simple))
    return children[0], children[1]
