"""Spectra over point sets, stability and dissipativity certificates, fixed points and basins."""

from neurodyn.stability._spectra import eigvals, norm2, singular_values, spectral_radius

__all__ = ["eigvals", "norm2", "singular_values", "spectral_radius"]
