"""Weight parametrizations with spectral guarantees (``torch.nn.utils.parametrize`` style).

Each registrar ``fn(module, name="weight", *, ...)`` constrains a 2-D weight (any ``nn.Linear``)
by construction, before and after training; :func:`check` / :func:`measure` verify membership with
an explicit tolerance. Guarantee table and deviations from the seeds: ``docs/parametrizations.md``.

Example:
    >>> import torch
    >>> from neurodyn.nn import parametrizations as P
    >>> lin = P.gershgorin(torch.nn.Linear(8, 8), center=0.0, radius=0.9)
    >>> P.check(lin)
    True
"""

from neurodyn.nn._parametrizations import (
    CONSTRAINTS,
    ConstraintSpec,
    ContractingSVD,
    Gershgorin,
    Measurement,
    PerronFrobenius,
    SkewSymmetric,
    SoftSpectralSVD,
    SpectralSVD,
    SymmetricSkew,
    Symplectic,
    check,
    contracting_svd,
    contraction_metric,
    default_atol,
    gershgorin,
    measure,
    orthogonality_penalty,
    perron_frobenius,
    skew_symmetric,
    spectral_svd,
    symmetric_skew,
    symplectic,
)

__all__ = [
    "CONSTRAINTS",
    "ConstraintSpec",
    "ContractingSVD",
    "Gershgorin",
    "Measurement",
    "PerronFrobenius",
    "SkewSymmetric",
    "SoftSpectralSVD",
    "SpectralSVD",
    "SymmetricSkew",
    "Symplectic",
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
