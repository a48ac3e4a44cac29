"""neurodyn — neural networks as dynamical systems.

The handful of names a user needs first; everything else lives in the subpackages
(``neurodyn.systems``, ``neurodyn.pwa``, ``neurodyn.dynamics``, ``neurodyn.lyapunov``,
``neurodyn.stability``, ``neurodyn.activations``, ``neurodyn.nn``, ``neurodyn.plot``,
``neurodyn.report``, ``neurodyn.zoo``, ``neurodyn.testing``, ``neurodyn.io``). The ones not
imported here load on first use, so ``import neurodyn`` stays light while
``neurodyn.plot.phase_portrait`` (or ``neurodyn.load_model``) just works.

Example:
    >>> import torch, neurodyn
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    >>> form = neurodyn.linearize(net, torch.randn(100, 2))     # exact A*(x), b*(x)
    >>> report = neurodyn.certify(net, [(-6, 6), (-6, 6)])     # proofs and sampled checks
    >>> found = neurodyn.attractors(net, box=[(-6, 6), (-6, 6)], samples=50, steps=100, window=100)
    >>> back = neurodyn.load_result(found.to_dict())           # any result, back from JSON
    >>> # neurodyn.load_model("net.pt", arch="2-64-tanh-2")     # a saved model, any format
"""

import importlib

from neurodyn._core import Box, Certificate, load_result, rich_progress
from neurodyn.dynamics import attractors, basins, classify_attractor, fixed_points, simulate
from neurodyn.lyapunov import covariant_lyapunov_vectors, lyapunov_spectrum
from neurodyn.pwa import AffineForm, linear_regions, linearize
from neurodyn.stability import certify, eigvals, norm2, singular_values, spectral_radius
from neurodyn.systems import Map, MapBase, as_map

__version__ = "0.1.0"

#: Subpackages loaded on first attribute access (PEP 562) rather than by ``import neurodyn``.
_LAZY = (
    "activations",
    "aelle",
    "contraction",
    "data",
    "errors",
    "io",
    "nn",
    "plot",
    "report",
    "reproduce",
    "robustness",
    "sweep",
    "sysid",
    "testing",
    "train",
    "zoo",
)


#: Top-level names loaded on first use, with the subpackage that defines them.
_LAZY_NAMES = {"load_model": "neurodyn.io"}


def __getattr__(name: str):
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    if name in _LAZY:
        try:
            return importlib.import_module(f"neurodyn.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"neurodyn.{name}":
                raise
    raise AttributeError(f"module 'neurodyn' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY, *_LAZY_NAMES})


__all__ = [
    "AffineForm",
    "Box",
    "Certificate",
    "Map",
    "MapBase",
    "__version__",
    "as_map",
    "attractors",
    "basins",
    "certify",
    "classify_attractor",
    "covariant_lyapunov_vectors",
    "eigvals",
    "fixed_points",
    "linear_regions",
    "linearize",
    "load_model",
    "load_result",
    "lyapunov_spectrum",
    "norm2",
    "rich_progress",
    "simulate",
    "singular_values",
    "spectral_radius",
]
