"""Stability and dissipativity certificates of feedforward maps, and the batched spectra they use.

Spectra (eigenvalues, ρ, singular values, ‖·‖₂) live in neurodyn's bottom layer and are
re-exported here; simulation, fixed points, basins and attractors are in ``neurodyn.dynamics``.
"""

from neurodyn._core import (
    CERTIFICATE_KINDS,
    Certificate,
    CertificateReport,
    eigvals,
    norm2,
    singular_values,
    spectral_radius,
)
from neurodyn.stability._certify import certify, sample_domain

__all__ = [
    "CERTIFICATE_KINDS",
    "Certificate",
    "CertificateReport",
    "certify",
    "eigvals",
    "norm2",
    "sample_domain",
    "singular_values",
    "spectral_radius",
]
