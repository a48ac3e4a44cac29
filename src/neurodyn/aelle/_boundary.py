"""Decision rules on a 1-D statistic or a few coordinates (Vogt, dissertation, Ch. 3, App. B).

A network is predicted "high accuracy" when its statistic z lies on the high side of a boundary
t: ``z > t`` (side +1) or ``z ≤ t`` (side −1). Two ways to place t on training points:

* ``"median"``: t = the median of z (Figs. 3.7–3.9, Tables B2–B4), the high side the one whose
  training points are more often high accuracy;
* ``"best-f1"``: the t and side with the largest F1 on the training points (Table 3.2: "the
  value of the statistic that yields the best F1 score on the training set"), found exactly by
  one sort and two cumulative sums over the n + 1 distinct cuts.

The 2^d median cells (Table 3.3) split each of d coordinates at its median.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

BOUNDARIES = ("median", "best-f1")


def _median_side(z: np.ndarray, labels: np.ndarray) -> tuple[float, int]:
    """Median boundary of a 1-D statistic and the side (+1 above, −1 at/below) that is "high".

    The high side is the one whose training points are more often high accuracy (ties: above).
    """
    m = float(np.median(z))
    above = z > m
    frac_above = labels[above].mean() if above.any() else 0.0
    frac_below = labels[~above].mean() if (~above).any() else 0.0
    return m, (1 if frac_above >= frac_below else -1)


def best_f1_boundary(z, labels) -> tuple[float, int, float]:
    """The boundary of a 1-D statistic with the best F1 on these points (Vogt, dissertation,
    Table 3.2).

    Args:
        z: (n,) the statistic (mean LE, max LE, a principal component, ...), finite.
        labels: (n,) 0/1, 1 = high accuracy (the positive class), with at least one 1.

    Returns:
        ``(threshold, side, f1)``: predict high where ``z > threshold`` (side +1) or
        ``z ≤ threshold`` (side −1); ``f1`` is that rule's F1 on these points. The threshold is
        the midpoint between the two neighbouring distinct values of z at the cut (±inf for the
        cut that calls every point high), so it does not sit on a training point. Ties in F1:
        the cut nearest the median, then side +1.

    Every one of the 2(u + 1) rules (u distinct values, both sides) is scored, in
    O(n log n): F1 = 2 TP / (predicted positives + positives).
    """
    z = np.asarray(z, dtype=np.float64).ravel()
    lab = np.asarray(labels).ravel().astype(np.int64)
    if z.size != lab.size or z.size == 0:
        raise ValueError(f"z and labels must be 1-D of one length ≥ 1; got {z.size}, {lab.size}.")
    if not np.isfinite(z).all():
        raise ValueError("z contains NaN or inf; the boundary needs finite statistics.")
    n_pos = int(lab.sum())
    if n_pos == 0:
        raise ValueError("labels hold no high-accuracy (1) point: F1 is undefined.")
    order = np.argsort(z, kind="stable")
    zs, ls = z[order], lab[order]
    # cut i: points [0, i) are "below", [i, n) "above"; only cuts between distinct values
    cuts = np.concatenate([[0], np.nonzero(np.diff(zs) > 0)[0] + 1, [z.size]])
    below_pos = np.concatenate([[0], np.cumsum(ls)])[cuts]
    n_below = cuts
    f1_above = 2.0 * (n_pos - below_pos) / ((z.size - n_below) + n_pos)
    f1_below = 2.0 * below_pos / (n_below + n_pos)
    f1 = np.concatenate([f1_above, f1_below])
    side = np.concatenate([np.ones(cuts.size, int), -np.ones(cuts.size, int)])
    mid = z.size / 2
    dist = np.abs(np.concatenate([cuts, cuts]) - mid)
    best = np.lexsort((side < 0, dist, -f1))[0]
    i = cuts[best % cuts.size]
    lo = zs[i - 1] if i > 0 else -np.inf
    hi = zs[i] if i < z.size else np.inf
    t = -np.inf if i == 0 else (np.inf if i == z.size else 0.5 * (lo + hi))
    return float(t), int(side[best]), float(f1[best])


def fit_boundary(z: np.ndarray, labels: np.ndarray, boundary: str) -> tuple[float, int]:
    """``(threshold, side)`` of the rule ``boundary`` ("median" or "best-f1") on these points."""
    if boundary == "median":
        return _median_side(z, labels)
    if boundary == "best-f1":
        t, side, _ = best_f1_boundary(z, labels)
        return t, side
    raise ValueError(f"boundary must be one of {BOUNDARIES}; got {boundary!r}.")


def _median_predict(z: np.ndarray, m: float, side: int) -> np.ndarray:
    above = z > m
    return (above if side > 0 else ~above).astype(np.int64)


def _cell_codes(Z: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """Cell index Σ_k [z_k > median_k]·2^k of each row (d ≤ 62)."""
    bits = (Z > medians).astype(np.int64)
    return bits @ (np.int64(1) << np.arange(Z.shape[1], dtype=np.int64))


def _fit_cells(Z: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Medians of each column and the cells with more high- than low-accuracy points."""
    medians = np.median(Z, axis=0)
    codes = _cell_codes(Z, medians)
    cells, inv = np.unique(codes, return_inverse=True)
    n_high = np.bincount(inv, weights=labels, minlength=cells.size)
    n_all = np.bincount(inv, minlength=cells.size)
    return medians, cells[n_high > n_all - n_high]


def _f1(pred: np.ndarray, labels: np.ndarray) -> float:
    return float(f1_score(labels, pred, zero_division=0.0))
