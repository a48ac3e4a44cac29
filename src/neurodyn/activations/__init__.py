"""Elementwise activations: their Λ_z scaling (Drgoňa et al., Dissipative, eq. 6) and stability
class (Drgoňa et al., Spectral analysis, §3.3)."""

from neurodyn.activations._classify import ActivationClass, activation_table, classify
from neurodyn.activations._registry import (
    SUPPORTED_ACTIVATIONS,
    ActivationSpec,
    activation_spec,
    is_activation,
)

__all__ = [
    "SUPPORTED_ACTIVATIONS",
    "ActivationClass",
    "ActivationSpec",
    "activation_spec",
    "activation_table",
    "classify",
    "is_activation",
]
