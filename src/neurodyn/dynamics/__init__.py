"""Dynamics of maps: simulation, fixed points and their stability, basins and attractor types."""

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
    "FixedPoint",
    "FixedPointsResult",
    "Trajectory",
    "basins",
    "classify_attractor",
    "fixed_points",
    "grid_points",
    "simulate",
]
