"""Two plotting coordinates for states in n > 2 dimensions: two chosen coordinates, or the
first two principal components of the trajectories (PCA by NumPy's SVD, so no scikit-learn is
needed), with axis labels and a title note that say which."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Projection", "make_projection"]


@dataclass(frozen=True)
class Projection:
    """A linear map ℝⁿ → ℝ², ``y = (x − mean) @ basis``, and how to label it.

    Attributes:
        basis: ``(n, 2)`` columns: two unit coordinate vectors, or the first two principal axes.
        mean: ``(n,)`` subtracted first (zero for coordinates).
        xlabel, ylabel: e.g. ``"x3"``, ``"PC1 (63 % var)"``.
        note: what the figure shows, for the title, e.g. ``"PCA projection of 10-D states"``.
        kind: ``"identity"``, ``"coordinates"``, ``"slice"`` or ``"pca"``.
    """

    basis: np.ndarray
    mean: np.ndarray
    xlabel: str
    ylabel: str
    note: str
    kind: str

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``(..., n)`` → ``(..., 2)``."""
        return (np.asarray(x, dtype=np.float64) - self.mean) @ self.basis

    def title(self, title: str | None) -> str | None:
        """``title`` with the projection note appended (no note for a plain 2-D plane)."""
        if not self.note:
            return title
        return f"{title}\n{self.note}" if title else self.note


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def make_projection(
    states: np.ndarray,
    n: int,
    *,
    dims: tuple[int, int] | None = None,
    projection: str | None = None,
    at: np.ndarray | None = None,
) -> Projection:
    """The projection a figure of ``n``-D ``states`` (``(..., n)``, finite rows used) uses.

    * ``n == 2`` with neither option: the identity (labels x₁, x₂).
    * ``dims=(i, j)``: coordinates i and j; with ``at`` (the state a basin slice holds fixed)
      the labels say so: ``"x1 (slice x3=0)"``; without it they are a coordinate projection.
    * ``projection="pca"``: the first two principal axes of the states (centred); labels give
      each axis's share of the variance, ``"PC1 (63 % var)"``.

    Raises:
        ValueError: n > 2 with neither option; bad ``dims``; an unknown ``projection``.
    """
    if projection is not None and projection != "pca":
        raise ValueError(f"projection must be None or 'pca', got {projection!r}.")
    if projection is not None and dims is not None:
        raise ValueError("pass dims=(i, j) or projection='pca', not both.")
    if projection is None and dims is None:
        if n != 2:
            raise ValueError(
                f"the states are {n}-D: pass dims=(i, j) for two coordinates (a slice) or "
                "projection='pca' for the first two principal components."
            )
        dims = (0, 1)
    if dims is not None:
        i, j = (int(d) for d in dims)
        if not (0 <= i < n and 0 <= j < n and i != j):
            raise ValueError(f"dims must be two different coordinates of 0..{n - 1}, got {dims}.")
        basis = np.zeros((n, 2))
        basis[i, 0] = basis[j, 1] = 1.0
        if n == 2 and (i, j) == (0, 1):
            return Projection(basis, np.zeros(n), r"$x_1$", r"$x_2$", "", "identity")
        if at is not None:
            others = [k for k in range(n) if k not in (i, j)]
            fixed = ", ".join(f"x{k + 1}={_fmt(float(at[k]))}" for k in others[:3])
            if len(others) > 3:
                same = len({float(at[k]) for k in others}) == 1
                fixed = (
                    f"x{others[0] + 1}..x{others[-1] + 1}={_fmt(float(at[others[0]]))}"
                    if same
                    else fixed + ", …"
                )
            note = f"slice of {n}-D state space at {fixed}"
            return Projection(
                basis,
                np.zeros(n),
                f"x{i + 1} (slice {fixed})",
                f"x{j + 1}",
                note,
                "slice",
            )
        note = f"coordinates x{i + 1}, x{j + 1} of {n}-D states (the others not shown)"
        return Projection(basis, np.zeros(n), f"x{i + 1}", f"x{j + 1}", note, "coordinates")
    pts = np.asarray(states, dtype=np.float64).reshape(-1, n)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if pts.shape[0] < 2:
        raise ValueError("PCA needs at least two finite states.")
    mean = pts.mean(axis=0)
    _, s, vt = np.linalg.svd(pts - mean, full_matrices=False)
    var = s**2
    share = var / var.sum() if var.sum() > 0 else np.zeros_like(var)
    basis = np.zeros((n, 2))
    for k in range(min(2, vt.shape[0])):
        v = vt[k]
        basis[:, k] = v if v[np.argmax(np.abs(v))] >= 0 else -v  # deterministic sign
    pct = [100 * float(share[k]) if k < share.size else 0.0 for k in range(2)]
    return Projection(
        basis,
        mean,
        f"PC1 ({pct[0]:.0f} % var)",
        f"PC2 ({pct[1]:.0f} % var)",
        f"PCA projection of {n}-D states ({pct[0] + pct[1]:.0f} % of the variance shown)",
        "pca",
    )
