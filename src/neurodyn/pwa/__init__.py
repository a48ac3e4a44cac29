"""Exact pointwise-affine forms of feedforward networks (Drgoňa et al., Spectral analysis, Lemma 3;
Drgoňa et al., Dissipative, eq. 3–6) and the exact linear regions of piecewise-linear ones."""

from neurodyn.pwa._affine import AffineForm, LayerFactor, linearize
from neurodyn.pwa._network import ActivationLayer, AffineLayer, parse_network
from neurodyn.pwa._region_set import LinearRegion, LinearRegions, RegionFixedPoint
from neurodyn.pwa._regions import activation_pattern, linear_regions, region_ids, region_of
from neurodyn.pwa._walk import LayerStep, check_finite_weights, input_width, walk

__all__ = [
    "ActivationLayer",
    "AffineForm",
    "AffineLayer",
    "LayerFactor",
    "LayerStep",
    "LinearRegion",
    "LinearRegions",
    "RegionFixedPoint",
    "activation_pattern",
    "check_finite_weights",
    "input_width",
    "linear_regions",
    "linearize",
    "parse_network",
    "region_ids",
    "region_of",
    "walk",
]
