"""Matplotlib figures for neurodyn results (Drgoňa et al., Spectral analysis, Figs. 2–8).

Every function only *draws* what it is given — trajectories, fixed points, basins, spectral
radii, eigenvalues, region ids — and computes nothing about the dynamics itself. Figures are
built with :class:`matplotlib.figure.Figure` directly (no pyplot, no global backend, no state
leaks); each function takes an optional ``ax`` and returns the figure the axes live on, to be
saved by the caller with ``fig.savefig(path)``.

Tensors may be torch tensors (any float dtype, any device) or numpy arrays. Grids are the
uniform axes of :func:`neurodyn.dynamics.grid_points`: ``xs`` ``(nx,)``, ``ys`` ``(ny,)`` and
values ``(ny, nx)`` (a flat ``(ny·nx,)`` array in ``grid_points`` order is reshaped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import TwoSlopeNorm, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from neurodyn.plot._projection import Projection, make_projection

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from torch import Tensor

    from neurodyn.dynamics import FixedPointsResult, Trajectory

__all__ = [
    "FIXED_POINT_STYLES",
    "eigenvalue_cloud",
    "phase_portrait",
    "regions_map",
    "spectral_radius_map",
]

#: Marker style of each fixed-point kind (``FixedPoint.kind``).
FIXED_POINT_STYLES: dict[str, dict[str, Any]] = {
    "stable": {"marker": "o", "facecolors": "black", "edgecolors": "black", "s": 55},
    "unstable": {"marker": "o", "facecolors": "white", "edgecolors": "black", "s": 55},
    "saddle": {"marker": "X", "facecolors": "black", "edgecolors": "white", "s": 80},
    "non-hyperbolic": {"marker": "D", "facecolors": "gold", "edgecolors": "black", "s": 50},
}
_OTHER_KIND = {"marker": "*", "facecolors": "magenta", "edgecolors": "black", "s": 90}

_TRAJ_COLOR = "tab:blue"
_DIVERGED_COLOR = "tab:red"


# --------------------------------------------------------------------------- helpers


def _np(t: Any, dtype: Any = np.float64) -> np.ndarray:
    """A tensor / array / sequence as a numpy array (detached, on the CPU)."""
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    arr = np.asarray(t)
    if dtype is not None and not np.iscomplexobj(arr):
        arr = arr.astype(dtype, copy=False)
    return arr


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5.6, 4.8)) -> tuple[Axes, Any]:
    if ax is None:
        fig = Figure(figsize=figsize, layout="compressed")
        ax = fig.subplots()
    return ax, ax.figure


def _grid_values(xs: Any, ys: Any, values: Any, name: str, dtype: Any = np.float64):
    x = _np(xs).reshape(-1)
    y = _np(ys).reshape(-1)
    v = _np(values, dtype)
    if v.ndim == 1 and v.size == x.size * y.size:
        v = v.reshape(y.size, x.size)
    if v.shape != (y.size, x.size):
        raise ValueError(
            f"{name} must have shape (ny, nx) = ({y.size}, {x.size}) to match ys and xs, "
            f"got {v.shape}."
        )
    return x, y, v


def _extent(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """imshow extent of a uniform grid whose pixels are centred on the grid points."""
    dx = (x[-1] - x[0]) / (x.size - 1) if x.size > 1 else 1.0
    dy = (y[-1] - y[0]) / (y.size - 1) if y.size > 1 else 1.0
    return (x[0] - dx / 2, x[-1] + dx / 2, y[0] - dy / 2, y[-1] + dy / 2)


def _finish_phase_axes(fig, ax, proj, title, legend: bool, handles) -> Figure:
    """Axis labels and title from the projection, and the legend outside the axes (shared by the
    phase portrait and the basins map)."""
    _phase_labels(ax, proj)
    if proj.title(title):
        ax.set_title(proj.title(title), fontsize="medium" if proj.note else None)
    if legend and handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            fontsize="small",
            frameon=False,
        )
    return fig


def _phase_labels(ax: Axes, proj: Projection | None = None) -> None:
    ax.set_xlabel(r"$x_1$" if proj is None else proj.xlabel)
    ax.set_ylabel(r"$x_2$" if proj is None else proj.ylabel)
    ax.set_aspect("equal")


def _lighten(color: Any, amount: float) -> tuple[float, float, float]:
    r, g, b = to_rgb(color)
    return (1 - amount * (1 - r), 1 - amount * (1 - g), 1 - amount * (1 - b))


def _qualitative(n: int) -> list[tuple[float, float, float]]:
    """n distinct-ish qualitative colours (tab10, then tab20/b/c cycled)."""
    base = list(colormaps["tab10"].colors)
    if n > len(base):
        base = [
            *colormaps["tab20"].colors,
            *colormaps["tab20b"].colors,
            *colormaps["tab20c"].colors,
        ]
    return [tuple(base[i % len(base)]) for i in range(n)]


# --------------------------------------------------------------------------- phase portrait


def phase_portrait(
    trajectories: Trajectory | None,
    *,
    fixed_points: FixedPointsResult | None = None,
    vector_field: tuple[Tensor, Tensor, Tensor] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
    max_arrows: int = 25,
    dims: tuple[int, int] | None = None,
    projection: str | None = None,
) -> Figure:
    """Phase portrait of a map (Drgoňa et al., Spectral analysis, Figs. 2, 4, 6); above 2-D through
    two coordinates or a PCA projection, labelled as such.

    Args:
        trajectories: a :class:`~neurodyn.dynamics.Trajectory` with ``states`` ``(B, T+1, n)``
            (None to draw only the field and fixed points). Bounded trajectories are thin blue
            lines, diverged ones dashed red; a dot marks each start. For n > 2 pass ``dims`` or
            ``projection`` (default for n > 2: ``"pca"``).
        dims: ``(i, j)``: draw coordinates i and j (axis labels x_{i+1}, x_{j+1}; the title
            says the other coordinates are not shown).
        projection: ``"pca"``: draw the first two principal components of the bounded
            trajectories' states (NumPy SVD); the axis labels give each component's share of the
            variance ("PC1 (63 % var)"), the title says it is a projection. Fixed points are
            projected the same way.
        fixed_points: a :class:`~neurodyn.dynamics.FixedPointsResult`; each point is marked by
            kind — stable ●, unstable ○, saddle ✕, non-hyperbolic ◆.
        vector_field: ``(xs, ys, step_vectors)`` with step vectors f(x) − x of shape
            ``(ny, nx, 2)`` on the grid; drawn as light-grey unit-length arrows (at most
            ``max_arrows`` per axis). The axis limits are then the grid box.
        ax: axes to draw on; a new figure when None.
        title: axes title.
        legend: draw the legend (outside the axes, on the right).
    """
    ax, fig = _axes(ax, figsize=(6.6, 4.8) if legend else (5.0, 4.8))
    handles: list[Any] = []
    box: tuple[float, float, float, float] | None = None
    proj, states, diverged = _project_trajectories(trajectories, fixed_points, dims, projection)

    if vector_field is not None:
        if proj.kind != "identity":
            raise ValueError("vector_field is drawn for 2-D maps only (not a slice / projection).")
        xs, ys, vec = vector_field
        x = _np(xs).reshape(-1)
        y = _np(ys).reshape(-1)
        v = _np(vec)
        if v.shape != (y.size, x.size, 2):
            raise ValueError(
                f"vector_field step_vectors must have shape (ny, nx, 2) = ({y.size}, {x.size}, 2),"
                f" got {v.shape}."
            )
        box = (float(x.min()), float(x.max()), float(y.min()), float(y.max()))
        sx = max(1, int(np.ceil(x.size / max_arrows)))
        sy = max(1, int(np.ceil(y.size / max_arrows)))
        xq, yq, vq = x[::sx], y[::sy], v[::sy, ::sx]
        norm = np.linalg.norm(vq, axis=-1)
        ok = np.isfinite(norm) & (norm > 0)
        unit = np.zeros_like(vq)
        np.divide(vq, norm[..., None], out=unit, where=ok[..., None])
        step_x = (xq[-1] - xq[0]) / max(xq.size - 1, 1) if xq.size > 1 else 1.0
        step_y = (yq[-1] - yq[0]) / max(yq.size - 1, 1) if yq.size > 1 else 1.0
        length = 0.7 * min(abs(step_x), abs(step_y))
        gx, gy = np.meshgrid(xq, yq)
        ax.quiver(
            gx[ok],
            gy[ok],
            length * unit[..., 0][ok],
            length * unit[..., 1][ok],
            angles="xy",
            scale_units="xy",
            scale=1.0,
            pivot="mid",
            color="0.72",
            width=0.0035,
            headwidth=3.5,
            headlength=4.0,
            zorder=1,
        )
        handles.append(
            Line2D(
                [],
                [],
                color="0.72",
                marker=r"$\rightarrow$",
                ls="none",
                markersize=10,
                label=r"direction of $f(x)-x$",
            )
        )

    if states is not None:
        for i in range(states.shape[0]):
            path = states[i]
            if diverged[i]:
                ax.plot(
                    path[:, 0],
                    path[:, 1],
                    ls="--",
                    lw=0.9,
                    color=_DIVERGED_COLOR,
                    alpha=0.8,
                    zorder=2,
                )
            else:
                ax.plot(
                    path[:, 0], path[:, 1], ls="-", lw=0.8, color=_TRAJ_COLOR, alpha=0.75, zorder=2
                )
        starts = states[:, 0]
        ax.scatter(
            starts[:, 0],
            starts[:, 1],
            s=9,
            c=np.where(diverged[:, None], to_rgb(_DIVERGED_COLOR), to_rgb(_TRAJ_COLOR)),
            zorder=3,
            linewidths=0,
            gid="trajectory_starts",
        )
        if (~diverged).any():
            handles.append(Line2D([], [], color=_TRAJ_COLOR, lw=1.2, label="trajectory"))
        if diverged.any():
            handles.append(
                Line2D(
                    [],
                    [],
                    color=_DIVERGED_COLOR,
                    lw=1.2,
                    ls="--",
                    label=f"diverged ({int(diverged.sum())})",
                )
            )
        handles.append(
            Line2D([], [], color="0.3", marker="o", ls="none", markersize=3.5, label="start")
        )

    fp_xy = np.zeros((0, 2))
    if fixed_points is not None and len(fixed_points.points):
        by_kind: dict[str, list[np.ndarray]] = {}
        for p in fixed_points.points:
            by_kind.setdefault(p.kind, []).append(proj(_np(p.x).reshape(-1)))
        order = [*FIXED_POINT_STYLES, *sorted(set(by_kind) - set(FIXED_POINT_STYLES))]
        for kind in order:
            if kind not in by_kind:
                continue
            pts = np.stack(by_kind[kind])
            style = FIXED_POINT_STYLES.get(kind, _OTHER_KIND)
            label = f"{kind} fixed point" + (f" ({len(pts)})" if len(pts) > 1 else "")
            handles.append(
                ax.scatter(
                    pts[:, 0],
                    pts[:, 1],
                    linewidths=1.2,
                    zorder=5,
                    label=label,
                    gid=f"fixed_points:{kind}",
                    **style,
                )
            )
        fp_xy = np.concatenate([np.stack(v) for v in by_kind.values()])

    if box is None:
        box = _auto_box(states, diverged, fp_xy)
    if box is not None:
        ax.set_xlim(box[0], box[1])
        ax.set_ylim(box[2], box[3])
    return _finish_phase_axes(fig, ax, proj, title, legend, handles)


def _project_trajectories(trajectories, fixed_points, dims, projection):
    """(projection, projected states (B, T+1, 2) or None, diverged (B,) or None)."""
    if trajectories is None:
        n = 2
        if fixed_points is not None and len(fixed_points.points):
            n = int(_np(fixed_points.points[0].x).size)
        pts = np.stack([_np(p.x).reshape(-1) for p in fixed_points.points]) if n > 2 else None
        return make_projection(pts, n, dims=dims, projection=projection), None, None
    states = _np(trajectories.states)
    if states.ndim != 3 or states.shape[2] < 2:
        raise ValueError(
            f"phase_portrait draws trajectories (B, T+1, n) with n ≥ 2, got {states.shape}."
        )
    diverged = _np(trajectories.diverged, bool).reshape(-1)
    if states.shape[2] > 2 and dims is None and projection is None:
        projection = "pca"  # above 2-D, by default: the first two principal components
    fit = states[~diverged] if (~diverged).any() else states
    proj = make_projection(fit, states.shape[2], dims=dims, projection=projection)
    return proj, proj(states), diverged


def _auto_box(states: np.ndarray | None, diverged: np.ndarray | None, fp_xy: np.ndarray):
    """Limits from the bounded trajectories, all start points and the fixed points (diverged
    trajectories are frozen far out and would squash the picture)."""
    parts = [fp_xy]
    if states is not None:
        parts.append(states[:, 0])
        parts.append(states[~diverged].reshape(-1, 2))
    pts = np.concatenate([p.reshape(-1, 2) for p in parts])
    pts = pts[np.isfinite(pts).all(axis=1)]
    if pts.shape[0] == 0:
        return None
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.05 * np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad, hi + pad
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


# --------------------------------------------------------------------------- spectral radius


def spectral_radius_map(
    xs: Tensor,
    ys: Tensor,
    rho: Tensor,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    threshold: float = 1.0,
) -> Figure:
    """ρ(A*(x)) over the phase plane (Drgoňa et al., Spectral analysis, Figs. 3, 7).

    A diverging colormap centred at ``threshold`` (blue below: locally contracting; red above:
    locally expanding), a black contour where ρ = ``threshold`` and a colorbar.

    Args:
        xs, ys: grid axes ``(nx,)``, ``(ny,)`` (uniform, as from ``grid_points``).
        rho: ``(ny, nx)`` spectral radii (or flat ``(ny·nx,)`` in ``grid_points`` order).
    """
    x, y, r = _grid_values(xs, ys, rho, "rho")
    ax, fig = _axes(ax)
    finite = np.isfinite(r)
    data = np.ma.masked_invalid(r)
    eps = 0.01 * max(abs(threshold), 1.0)
    rmin = float(r[finite].min()) if finite.any() else threshold
    rmax = float(r[finite].max()) if finite.any() else threshold
    norm = TwoSlopeNorm(
        vcenter=threshold, vmin=min(rmin, threshold - eps), vmax=max(rmax, threshold + eps)
    )
    cmap = colormaps["RdBu_r"].with_extremes(bad="0.5")
    im = ax.imshow(
        data,
        origin="lower",
        extent=_extent(x, y),
        cmap=cmap,
        norm=norm,
        interpolation="nearest",
        aspect="equal",
    )
    if finite.any() and rmin < threshold < rmax:
        cs = ax.contour(x, y, data, levels=[threshold], colors="black", linewidths=1.0)
        cs.set_gid("rho_threshold")
    cbar = fig.colorbar(im, ax=ax, shrink=0.9)
    cbar.set_label(r"$\rho(A^*(x))$")
    if threshold != 1.0:
        cbar.ax.axhline(threshold, color="black", lw=1.0)
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(y.min(), y.max())
    _phase_labels(ax)
    if title:
        ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- eigenvalues


def eigenvalue_cloud(
    eigenvalues: Tensor,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    max_points: int = 20000,
    seed: int = 0,
) -> Figure:
    """Eigenvalues of A*(x) over many points in the complex plane.

    As in Drgoňa et al., Spectral analysis, Figs. 2, 5, 8.

    Args:
        eigenvalues: ``(B, n)`` complex (or real) tensor; flattened, non-finite values dropped,
            randomly subsampled (seeded) to ``max_points``.
    """
    lam = _np(eigenvalues, None).reshape(-1).astype(np.complex128)
    lam = lam[np.isfinite(lam)]
    total = lam.size
    if lam.size > max_points:
        keep = np.random.default_rng(seed).choice(lam.size, size=max_points, replace=False)
        lam = lam[np.sort(keep)]
    ax, fig = _axes(ax, figsize=(5.0, 4.8))
    ax.axhline(0.0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0.0, color="0.85", lw=0.8, zorder=0)
    ax.add_patch(Circle((0.0, 0.0), 1.0, fill=False, ls="--", lw=1.0, color="0.3", zorder=1))
    ax.scatter(
        lam.real,
        lam.imag,
        s=5,
        alpha=0.25,
        color="tab:blue",
        linewidths=0,
        zorder=2,
        rasterized=lam.size > 2000,
        gid="eigenvalues",
    )
    rmax = float(np.abs(lam).max()) if lam.size else 0.0
    reach = max(
        1.15,
        1.08 * float(np.abs(lam.real).max(initial=0.0)),
        1.08 * float(np.abs(lam.imag).max(initial=0.0)),
    )
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.set_xlabel(r"Re $\lambda$")
    ax.set_ylabel(r"Im $\lambda$")
    shown = f"{lam.size} of {total}" if lam.size < total else f"{total}"
    ax.text(
        0.02,
        0.98,
        f"max $|\\lambda|$ = {rmax:.3g}\n{shown} eigenvalues",
        transform=ax.transAxes,
        va="top",
        ha="left",
        fontsize="small",
        bbox={"boxstyle": "round", "fc": "white", "ec": "0.8", "alpha": 0.85},
    )
    if title:
        ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- linear regions


def _region_colors(ids: np.ndarray, palette_size: int, seed: int) -> np.ndarray:
    """A palette index per region such that 4-neighbouring regions on the grid differ (greedy,
    random starting colour per region so the picture does not band); -1 never happens while
    each region has fewer than ``palette_size`` neighbours, else colours are reused."""
    n = int(ids.max()) + 1
    pairs = [
        np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], 1),
        np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], 1),
    ]
    edges = np.concatenate(pairs)
    edges = edges[edges[:, 0] != edges[:, 1]]
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        neighbours[a].append(int(b))
        neighbours[b].append(int(a))
    rng = np.random.default_rng(seed)
    start = rng.integers(palette_size, size=n)
    color = np.full(n, -1, dtype=np.int64)
    for r in rng.permutation(n):
        used = {int(color[q]) for q in neighbours[r] if color[q] >= 0}
        for k in range(palette_size):
            cand = (int(start[r]) + k) % palette_size
            if cand not in used:
                color[r] = cand
                break
        else:
            color[r] = int(start[r])
    return color


def regions_map(
    xs: Tensor,
    ys: Tensor,
    region_ids: Tensor,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    seed: int = 0,
) -> Figure:
    """Linear regions of a piecewise-affine net over the phase plane.

    As in Drgoňa et al., Spectral analysis, Fig. 3 (ReLU).

    Args:
        xs, ys: grid axes ``(nx,)``, ``(ny,)``.
        region_ids: ``(ny, nx)`` integer ids (or flat ``(ny·nx,)`` from ``region_ids``).
            Colours come from a shuffled qualitative palette, chosen so that adjacent regions
            differ. The title reports the number of distinct regions on the grid.
    """
    x, y, raw = _grid_values(xs, ys, region_ids, "region_ids", np.int64)
    _, ids = np.unique(raw, return_inverse=True)
    ids = ids.reshape(raw.shape)
    n_regions = int(ids.max()) + 1 if ids.size else 0
    palette = [
        *colormaps["tab20"].colors,
        *colormaps["Set3"].colors,
        *colormaps["Pastel1"].colors,
        *colormaps["Dark2"].colors,
    ]
    color = _region_colors(ids, len(palette), seed)
    rgb = np.asarray(palette)[color][ids]
    ax, fig = _axes(ax, figsize=(5.0, 4.8))
    ax.imshow(rgb, origin="lower", extent=_extent(x, y), interpolation="nearest", aspect="equal")
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(y.min(), y.max())
    _phase_labels(ax)
    count = f"{n_regions} linear region" + ("" if n_regions == 1 else "s")
    ax.set_title(f"{title} ({count})" if title else count)
    return fig
