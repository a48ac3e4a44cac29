"""Weight parametrizations with spectral guarantees (``torch.nn.utils.parametrize`` style).

Each registrar ``fn(module, name="weight", *, ...)`` constrains a weight by construction, before
and after training: a 2-D weight (any ``nn.Linear``) or a stack ``(*, m, n)`` of blocks, with the
guarantee per block. :func:`check` / :func:`measure` verify membership with an explicit,
rounding-aware tolerance; :func:`certificate` gives the measurement as a
:class:`neurodyn._core.Certificate`. One file per constraint; shared factors in ``_factors``.
Guarantee table and deviations from the papers: ``docs/parametrizations.md``.

Example:
    >>> import torch
    >>> from neurodyn.nn import parametrizations as P
    >>> lin = P.gershgorin(torch.nn.Linear(8, 8), center=0.0, radius=0.9)
    >>> P.check(lin)
    True
"""

from neurodyn.nn.parametrizations._base import Parametrization
from neurodyn.nn.parametrizations._checks import (
    certificate,
    check,
    contraction_metric,
    measure,
    orthogonality_penalty,
)
from neurodyn.nn.parametrizations._contracting_svd import ContractingSVD, contracting_svd
from neurodyn.nn.parametrizations._gershgorin import Gershgorin, gershgorin
from neurodyn.nn.parametrizations._measurement import Measurement, default_atol
from neurodyn.nn.parametrizations._perron_frobenius import PerronFrobenius, perron_frobenius
from neurodyn.nn.parametrizations._registry import CONSTRAINTS, ConstraintSpec
from neurodyn.nn.parametrizations._skew_symmetric import SkewSymmetric, skew_symmetric
from neurodyn.nn.parametrizations._spectral_svd import SoftSpectralSVD, SpectralSVD, spectral_svd
from neurodyn.nn.parametrizations._symmetric_skew import SymmetricSkew, symmetric_skew
from neurodyn.nn.parametrizations._symplectic import Symplectic, symplectic

__all__ = [
    "CONSTRAINTS",
    "ConstraintSpec",
    "ContractingSVD",
    "Gershgorin",
    "Measurement",
    "Parametrization",
    "PerronFrobenius",
    "SkewSymmetric",
    "SoftSpectralSVD",
    "SpectralSVD",
    "SymmetricSkew",
    "Symplectic",
    "certificate",
    "check",
    "contracting_svd",
    "contraction_metric",
    "default_atol",
    "gershgorin",
    "measure",
    "orthogonality_penalty",
    "perron_frobenius",
    "skew_symmetric",
    "spectral_svd",
    "symmetric_skew",
    "symplectic",
]
