"""Spectra over point sets, stability and dissipativity certificates, fixed points and basins."""

from neurodyn.stability._certify import Certificate, CertificateReport, certify, sample_domain
from neurodyn.stability._dynamics import (
    ATTRACTOR_KINDS,
    AttractorResult,
    BasinsResult,
    FixedPoint,
    FixedPointsResult,
    Trajectory,
    basins,
    classify_attractor,
    fixed_points,
    grid_points,
    simulate,
)
from neurodyn.stability._spectra import eigvals, norm2, singular_values, spectral_radius

__all__ = [
    "ATTRACTOR_KINDS",
    "AttractorResult",
    "BasinsResult",
    "Certificate",
    "CertificateReport",
    "FixedPoint",
    "FixedPointsResult",
    "Trajectory",
    "basins",
    "certify",
    "classify_attractor",
    "eigvals",
    "fixed_points",
    "grid_points",
    "norm2",
    "sample_domain",
    "simulate",
    "singular_values",
    "spectral_radius",
]
