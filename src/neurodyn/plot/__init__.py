"""Matplotlib figures of neurodyn results: phase portraits, basins, spectral-radius maps,
eigenvalue clouds and linear regions (Drgoňa et al., Spectral analysis, Figs. 2–8), and Lyapunov
spectra. Above 2-D, phase portraits and basins are drawn through two coordinates (a slice) or a PCA
projection, and say so in their axis labels and title.

Each function draws given results (it computes no dynamics), takes an optional ``ax`` and
returns a :class:`matplotlib.figure.Figure`; save it with ``fig.savefig(path)``. No pyplot state
is touched and no backend is set.

Example:
    >>> import tempfile, pathlib, torch, neurodyn
    >>> from neurodyn.dynamics import grid_points
    >>> from neurodyn.plot import spectral_radius_map
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    >>> xs, ys, pts = grid_points((-6, -6), (6, 6), 200)
    >>> rho = neurodyn.spectral_radius(neurodyn.linearize(net, pts).A).reshape(200, 200)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     spectral_radius_map(xs, ys, rho).savefig(pathlib.Path(tmp) / "rho.png")
"""

from neurodyn.plot._basins import basins_map
from neurodyn.plot._figures import (
    FIXED_POINT_STYLES,
    eigenvalue_cloud,
    phase_portrait,
    regions_map,
    spectral_radius_map,
)
from neurodyn.plot._lyapunov import ftle_convergence_plot, lyapunov_spectrum_plot

__all__ = [
    "FIXED_POINT_STYLES",
    "basins_map",
    "eigenvalue_cloud",
    "ftle_convergence_plot",
    "lyapunov_spectrum_plot",
    "phase_portrait",
    "regions_map",
    "spectral_radius_map",
]
