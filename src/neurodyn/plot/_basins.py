"""The basins figure: a grid (2-D map or a 2-D slice of n-D state space) as an image, or given /
sampled starts in n-D as a scatter through two coordinates or a PCA projection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from neurodyn.plot._figures import (
    _axes,
    _extent,
    _finish_phase_axes,
    _grid_values,
    _lighten,
    _np,
    _qualitative,
)
from neurodyn.plot._projection import make_projection

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from neurodyn.dynamics import BasinsResult

__all__ = ["basins_map"]

_KIND_NAMES = {
    "fixed_point": "fixed point",
    "cycle": "cycle",
    "quasi_periodic": "quasi-periodic set",
    "chaotic": "chaotic set",
}


def _attractor_name(result, k: int, xy: np.ndarray) -> str:
    kinds = result.kinds
    where = f"({xy[k, 0]:.2f}, {xy[k, 1]:.2f})"
    if k >= len(kinds) or kinds[k] == "fixed_point":
        return f"basin of {where}"
    found = result.found
    period = found.attractors[k].period if found is not None else None
    kind = f"{period}-cycle" if kinds[k] == "cycle" and period else _KIND_NAMES[kinds[k]]
    return f"basin of {kind} near {where}"


def basins_map(
    result: BasinsResult,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
    dims: tuple[int, int] | None = None,
    projection: str | None = None,
) -> Figure:
    """Regions of attraction (Drgoňa et al., Spectral analysis, Fig. 2, top row) from a
    :class:`~neurodyn.dynamics.BasinsResult`: one colour per attractor's basin (fixed points,
    cycles, chaotic sets), dark grey for divergent points, light grey for bounded points that did
    not reach an attractor; attractors marked.

    A grid result (a 2-D map, or a slice of an n-D map from ``basins(..., dims=(i, j))``) is an
    image; the axis labels and title name the slice (``"x1 (slice x3=0)"``) and the attractors
    are drawn at their coordinates i, j (they need not lie in the slice). A result on given or
    sampled starts in n > 2 is a scatter of the starts through ``dims=(i, j)`` or, by default,
    ``projection="pca"`` of the starts, labelled as a projection.
    """
    att_full = _np(result.attractors)
    n = att_full.shape[1] if att_full.ndim == 2 and att_full.size else _state_dim(result)
    grid = result.xs is not None
    if grid:
        x, y, labels = _grid_values(result.xs, result.ys, result.labels, "labels", np.int64)
        proj = make_projection(
            None, n, dims=tuple(result.dims), at=_np(result.at) if n > 2 else None
        )
    else:
        starts = _np(result.starts)
        labels = _np(result.labels, np.int64).reshape(-1)
        if dims is None and projection is None:
            if n == 2:
                dims = (0, 1)
            else:
                projection = "pca"
        proj = make_projection(starts, n, dims=dims, projection=projection)
    att = proj(att_full.reshape(-1, n)) if att_full.size else np.zeros((0, 2))
    ax, fig = _axes(ax, figsize=(6.6, 4.8) if legend else (5.0, 4.8))
    present = np.unique(labels)
    cats = [int(c) for c in present]  # sorted: -2, -1, 0, 1, ...
    strong = _qualitative(max(att.shape[0], 1))
    colors: list[tuple[float, float, float]] = []
    names: list[str] = []
    for c in cats:
        if c == -2:
            colors.append(to_rgb("0.86"))
            names.append("bounded, not converged")
        elif c == -1:
            colors.append(to_rgb("0.3"))
            names.append("divergent")
        else:
            colors.append(_lighten(strong[c % len(strong)], 0.45))
            names.append(_attractor_name(result, c, att) if c < att.shape[0] else f"basin {c}")
    index = np.searchsorted(np.asarray(cats), labels)
    if grid:
        ax.imshow(
            index,
            origin="lower",
            extent=_extent(x, y),
            cmap=ListedColormap(colors),
            vmin=-0.5,
            vmax=len(cats) - 0.5,
            interpolation="nearest",
            aspect="equal",
        )
    else:
        xy = proj(starts)
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=10,
            c=[colors[i] for i in index],
            linewidths=0,
            zorder=2,
            gid="basin_starts",
        )
    handles: list[Any] = []
    n_basins = sum(c >= 0 for c in cats)
    for c, col, name in zip(cats, colors, names, strict=False):
        if c >= 0 and n_basins > 8:
            continue
        handles.append(Patch(facecolor=col, edgecolor="0.5", label=name))
    if n_basins > 8:
        handles.insert(
            0,
            Patch(facecolor=colors[-1], edgecolor="0.5", label=f"basins of {n_basins} attractors"),
        )
    if att.shape[0]:
        ax.scatter(
            att[:, 0],
            att[:, 1],
            marker="o",
            s=55,
            linewidths=1.2,
            zorder=4,
            c=[strong[k % len(strong)] for k in range(att.shape[0])],
            edgecolors="black",
            gid="attractors",
        )
        all_fixed = all(k == "fixed_point" for k in result.kinds)
        what = "stable fixed point" if all_fixed else "attractor (a point on it)"
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="none",
                markerfacecolor="0.5",
                markeredgecolor="black",
                markersize=7,
                label=f"{what} ({att.shape[0]})",
            )
        )
    if grid:
        ax.set_xlim(x.min(), x.max())
        ax.set_ylim(y.min(), y.max())
    return _finish_phase_axes(fig, ax, proj, title, legend, handles)


def _state_dim(result) -> int:
    if result.starts is not None:
        return int(_np(result.starts).shape[1])
    if result.at is not None:
        return int(_np(result.at).size)
    return 2
