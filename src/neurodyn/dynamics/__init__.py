"""Dynamics of maps: simulation, fixed points and their stability, basins and attractor types."""

from neurodyn._core import Box
from neurodyn.dynamics._dynamics import (
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
