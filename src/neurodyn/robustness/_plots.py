"""Figures of robustness results: accuracy-vs-noise curves per model (Erichson et al. 2021,
Fig. 3) and the loss landscape along the two dominant Hessian eigenvectors (Fig. 4).

Each function returns a :class:`matplotlib.figure.Figure` (no pyplot state, no backend set);
save it with ``fig.savefig(path)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

__all__ = ["landscape_figure", "noise_figure"]

_KIND_LABELS = {
    "gaussian": ("Gaussian noise", "noise std σ"),
    "salt_pepper": ("salt-and-pepper noise", "fraction α of corrupted inputs"),
}


def noise_figure(curves: Mapping[str, Sequence], title: str | None = None) -> Figure:
    """Test accuracy ± s.e. over noise draws against the noise level, one line per model and
    one panel per noise kind.

    Args:
        curves: model label -> its :class:`~neurodyn.robustness.NoiseCurve` s (any kinds).
    """
    kinds = sorted({c.kind for cs in curves.values() for c in cs})
    if not kinds:
        raise ValueError("no noise curves to plot.")
    fig = Figure(figsize=(5.2 * len(kinds), 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(kinds)))
    for ax, kind in zip(axes, kinds, strict=True):
        for label, cs in curves.items():
            for c in (c for c in cs if c.kind == kind):
                lv = c.levels.numpy()
                m, s = c.mean.numpy() * 100, c.stderr.numpy() * 100
                (line,) = ax.plot(lv, m, marker="o", ms=3.5, label=label)
                ax.fill_between(lv, m - s, m + s, color=line.get_color(), alpha=0.2, lw=0)
        name, xlabel = _KIND_LABELS.get(kind, (kind, "level"))
        ax.set(title=name, xlabel=xlabel, ylabel="test accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title or "Accuracy under input noise (Erichson et al. 2021, Sec. 6.4, Fig. 3)")
    return fig


def landscape_figure(eta1, eta2, loss, title: str | None = None) -> Figure:
    """``L̃(η₁, η₂)`` (Erichson et al. 2021, eq. 22) as filled contours and a 3-D surface.

    Args:
        eta1, eta2: ``(G,)`` grid along the first / second eigenvector; loss: ``(G, G)`` with
            ``loss[i, j]`` at ``(eta1[i], eta2[j])``.
    """
    e1, e2 = np.asarray(eta1, dtype=float), np.asarray(eta2, dtype=float)
    z = np.asarray(loss, dtype=float)
    if z.shape != (e1.size, e2.size):
        raise ValueError(f"loss grid {z.shape} does not match the axes ({e1.size}, {e2.size}).")
    X, Y = np.meshgrid(e1, e2, indexing="ij")
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    ax = fig.add_subplot(1, 2, 1)
    cs = ax.contourf(X, Y, z, levels=20, cmap="viridis")
    ax.contour(X, Y, z, levels=20, colors="k", linewidths=0.3, alpha=0.5)
    ax.plot([0], [0], marker="*", color="w", ms=12, mec="k", label="θ (trained weights)")
    ax.set(xlabel="η₁ (along v₁, top eigenvector)", ylabel="η₂ (along v₂)", aspect="equal")
    ax.legend(loc="upper right", fontsize=8)
    fig.colorbar(cs, ax=ax, label="loss L̃(η₁, η₂)")
    ax3 = fig.add_subplot(1, 2, 2, projection="3d")
    ax3.plot_surface(X, Y, z, cmap="viridis", linewidth=0, antialiased=True)
    ax3.set(xlabel="η₁", ylabel="η₂", zlabel="loss")
    fig.suptitle(title or "Loss landscape along the two dominant Hessian eigenvectors "
                 "(Erichson et al. 2021, eq. 22, Fig. 4)")  # fmt: skip
    return fig
