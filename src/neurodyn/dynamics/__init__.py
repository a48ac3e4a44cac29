"""Dynamics of maps in any dimension: simulation, fixed points and their stability, attractors
found by recurrence (fixed points, cycles, quasi-periodic and chaotic sets), their basins, and the
attractor type of a map over a box."""

from neurodyn._core import Box
from neurodyn.dynamics._attractor_results import (
    ATTRACTOR_TYPES,
    Attractor,
    AttractorsResult,
)
from neurodyn.dynamics._attractors import ATTRACTOR_KINDS, AttractorResult, classify_attractor
from neurodyn.dynamics._basins import BasinsResult, basins
from neurodyn.dynamics._common import grid_points
from neurodyn.dynamics._fixed_points import FixedPoint, FixedPointsResult, fixed_points
from neurodyn.dynamics._recurrence import RECURRENCE_RULE, attractors
from neurodyn.dynamics._simulate import Trajectory, simulate

__all__ = [
    "ATTRACTOR_KINDS",
    "ATTRACTOR_TYPES",
    "RECURRENCE_RULE",
    "Attractor",
    "AttractorResult",
    "AttractorsResult",
    "BasinsResult",
    "Box",
    "FixedPoint",
    "FixedPointsResult",
    "Trajectory",
    "attractors",
    "basins",
    "classify_attractor",
    "fixed_points",
    "grid_points",
    "simulate",
]
