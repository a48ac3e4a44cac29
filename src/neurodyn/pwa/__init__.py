"""Exact pointwise-affine forms of feedforward networks (seed 000 Lemma 3, seed 001 eq. 3–6)."""

from neurodyn.pwa._affine import AffineForm, LayerFactor, linearize
from neurodyn.pwa._network import ActivationLayer, AffineLayer, parse_network
from neurodyn.pwa._regions import activation_pattern, linear_regions
from neurodyn.pwa._walk import LayerStep, check_finite_weights, input_width, walk

__all__ = [
    "ActivationLayer",
    "AffineForm",
    "AffineLayer",
    "LayerFactor",
    "LayerStep",
    "activation_pattern",
    "check_finite_weights",
    "input_width",
    "linear_regions",
    "linearize",
    "parse_network",
    "walk",
]
