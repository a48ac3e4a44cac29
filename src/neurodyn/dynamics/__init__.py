"""Dynamics of maps: simulation, fixed points and their stability, basins and attractor types."""

from neurodyn._core import Box
from neurodyn.dynamics._attractors import ATTRACTOR_KINDS, AttractorResult, classify_attractor
from neurodyn.dynamics._basins import BasinsResult, basins
from neurodyn.dynamics._common import grid_points
from neurodyn.dynamics._fixed_points import FixedPoint, FixedPointsResult, fixed_points
from neurodyn.dynamics._simulate import Trajectory, simulate

__all__ = [
    "ATTRACTOR_KINDS",
    "AttractorResult",
    "BasinsResult",
    "Box",
    "FixedPoint",
    "FixedPointsResult",
    "Trajectory",
    "basins",
    "classify_attractor",
    "fixed_points",
    "grid_points",
    "simulate",
]
