"""neurodyn — neural networks as dynamical systems.

The handful of names a user needs first; everything else lives in the subpackages
(``neurodyn.pwa``, ``neurodyn.stability``, ``neurodyn.activations``, ``neurodyn.systems``,
``neurodyn.plot``).

Example:
    >>> import torch, neurodyn
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    >>> form = neurodyn.linearize(net, torch.randn(100, 2))     # exact A*(x), b*(x)
    >>> report = neurodyn.certify(net, [(-6, 6), (-6, 6)])     # proofs and sampled checks
"""

from neurodyn.dynamics import basins, classify_attractor, fixed_points, simulate
from neurodyn.lyapunov import covariant_lyapunov_vectors, lyapunov_spectrum
from neurodyn.pwa import AffineForm, linear_regions, linearize
from neurodyn.stability import certify, eigvals, norm2, singular_values, spectral_radius
from neurodyn.systems import Map, as_map

__version__ = "0.1.0"

__all__ = [
    "AffineForm",
    "Map",
    "__version__",
    "as_map",
    "basins",
    "certify",
    "classify_attractor",
    "covariant_lyapunov_vectors",
    "eigvals",
    "fixed_points",
    "linear_regions",
    "linearize",
    "lyapunov_spectrum",
    "norm2",
    "simulate",
    "singular_values",
    "spectral_radius",
]
