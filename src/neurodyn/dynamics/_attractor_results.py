"""Result types of :func:`neurodyn.dynamics.attractors`: one :class:`Attractor` per attracting
set found, and :class:`AttractorsResult` with the label of every start."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn._core import json_float, register_result, tensor_from_json, tensor_to_json

__all__ = ["ATTRACTOR_TYPES", "Attractor", "AttractorsResult", "fraction_summary"]

#: What :attr:`Attractor.kind` may be.
ATTRACTOR_TYPES = ("fixed_point", "cycle", "quasi_periodic", "chaotic")


@dataclass(frozen=True)
class Attractor:
    """One attracting set, found by recurrence.

    Attributes:
        kind: one of :data:`ATTRACTOR_TYPES`.
        points: ``(m, n)``: the fixed point (m = 1, Newton-polished); the cycle's points in orbit
            order starting at the lexicographically smallest (m = period); otherwise up to
            ``max_points`` states of one trajectory on the set.
        period: the cycle's period (1 for a fixed point), None if not periodic within
            ``max_period`` (chaotic, quasi-periodic, or a longer cycle).
        lyapunov: the largest Lyapunov exponent along it (per unit time); for fixed points and
            cycles log ρ(M)/(period·dt) from the multiplier, else measured by tangent-vector
            renormalisation over the recording window.
        multiplier: ρ(M) of the Jacobian (fixed point) or of the product of Jacobians around the
            cycle (Floquet multiplier); None for the other kinds.
        cells: number of tessellation cells its trajectories visited.
    """

    kind: str
    points: Tensor
    period: int | None
    lyapunov: float | None
    multiplier: float | None
    cells: int

    def __repr__(self) -> str:
        p = ", ".join(f"{v:.4g}" for v in self.points[0].tolist()[:3])
        more = ", …" if self.points.shape[1] > 3 else ""
        extra = f", period {self.period}" if self.period and self.period > 1 else ""
        lam = "" if self.lyapunov is None else f", λ₁={self.lyapunov:.3g}"
        return f"Attractor({self.kind}{extra}, at ({p}{more}){lam}, {self.cells} cells)"

    def to_dict(self) -> dict:
        return {
            "result_type": "Attractor",
            "kind": self.kind,
            "period": self.period,
            "lyapunov": None if self.lyapunov is None else json_float(self.lyapunov),
            "multiplier": None if self.multiplier is None else json_float(self.multiplier),
            "cells": self.cells,
            "points": tensor_to_json(self.points),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Attractor:
        """Inverse of :meth:`to_dict`."""
        lam, mult = d.get("lyapunov"), d.get("multiplier")
        return cls(
            d["kind"],
            tensor_from_json(d["points"]),
            d.get("period"),
            None if lam is None else float(lam),
            None if mult is None else float(mult),
            int(d["cells"]),
        )


def fraction_summary(labels: Tensor, n_attractors: int, sampled: bool) -> tuple[dict, dict]:
    """Fractions of ``labels`` per attractor (``attractor_k``), ``divergent`` (−1) and ``other``
    (−2); and, for sampled starts, their standard errors √(p(1 − p)/N) (binomial; empty dict
    for a grid, whose fractions are areas, not estimates)."""
    total = labels.numel()
    keys = [(f"attractor_{k}", k) for k in range(n_attractors)] + [("divergent", -1), ("other", -2)]
    frac = {name: float((labels == k).sum()) / total if total else 0.0 for name, k in keys}
    se = {}
    if sampled and total:
        se = {name: math.sqrt(p * (1 - p) / total) for name, p in frac.items()}
    return frac, se


@register_result
@dataclass(frozen=True)
class AttractorsResult:
    """The attractors reached from a set of starts, and the label of each start.

    Attributes:
        attractors: the :class:`Attractor` s, sorted by their first point.
        labels: ``(S,)`` int: k ≥ 0 → the start's trajectory ends on ``attractors[k]``; −1 →
            it escaped (‖x‖₂ > ``bound`` or non-finite); −2 → unresolved (still in a transient
            after ``steps + window`` steps, or on an unstable invariant set hit exactly).
        starts: ``(S, n)`` the starting states.
        sampled: True when the starts were drawn at random (then :meth:`stderr` is meaningful).
        cell_size: ``(n,)`` edge lengths of the tessellation cells.
        steps, window: transient steps, then steps recorded for the recurrence test.
        bound: escape radius.
    """

    attractors: tuple[Attractor, ...]
    labels: Tensor
    starts: Tensor
    sampled: bool
    cell_size: tuple[float, ...]
    steps: int
    window: int
    bound: float

    def __len__(self) -> int:
        return len(self.attractors)

    def __getitem__(self, k: int) -> Attractor:
        return self.attractors[k]

    def fractions(self) -> dict[str, float]:
        """Fraction of starts per attractor (``attractor_k``), ``divergent`` and ``other``."""
        return fraction_summary(self.labels, len(self), self.sampled)[0]

    def stderr(self) -> dict[str, float]:
        """Standard errors √(p(1 − p)/N) of :meth:`fractions` (sampled starts only; else {})."""
        return fraction_summary(self.labels, len(self), self.sampled)[1]

    def __repr__(self) -> str:
        kinds = ", ".join(
            a.kind + (f"({a.period})" if a.kind == "cycle" and a.period else "")
            for a in self.attractors[:6]
        )
        more = ", …" if len(self) > 6 else ""
        fr = self.fractions()
        return (
            f"AttractorsResult({len(self)} attractors [{kinds}{more}] from "
            f"{self.labels.numel()} starts; divergent {fr['divergent']:.3g}, "
            f"unresolved {fr['other']:.3g})"
        )

    def to_dict(self) -> dict:
        return {
            "result_type": "AttractorsResult",
            "attractors": [a.to_dict() for a in self.attractors],
            "fractions": self.fractions(),
            "fraction_stderr": self.stderr(),
            "sampled": self.sampled,
            "cell_size": list(self.cell_size),
            "steps": self.steps,
            "window": self.window,
            "bound": self.bound,
            "labels": tensor_to_json(self.labels),
            "starts": tensor_to_json(self.starts),
        }

    @classmethod
    def from_dict(cls, d: dict) -> AttractorsResult:
        """Inverse of :meth:`to_dict`."""
        return cls(
            tuple(Attractor.from_dict(a) for a in d["attractors"]),
            tensor_from_json(d["labels"]),
            tensor_from_json(d["starts"]),
            bool(d["sampled"]),
            tuple(float(c) for c in d["cell_size"]),
            int(d["steps"]),
            int(d["window"]),
            float(d["bound"]),
        )


def empty_labels(n: int, device=None) -> Tensor:
    return torch.full((n,), -2, dtype=torch.long, device=device)
