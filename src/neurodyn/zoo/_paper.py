"""The curated models of Drgoňa et al., Spectral analysis, Table 1, by name, seeded and
reproducible.

The paper picked its figure models from the 828-model grid by their behaviour. We do the same,
openly: each name fixes Table 1's configuration (factorization, activation, depth, eigenvalue
range, bias) and a *behaviour* the figure shows; :func:`neurodyn.reproduce.find_seed` scans
generator seeds 0, 1, 2, … and keeps the first whose network passes the paper's claims about
that model (:data:`neurodyn.reproduce.CLAIMS`, measured with neurodyn's own analysis over the
box [−6, 6]²). The seeds found that way are frozen in :data:`PAPER_SEEDS`, and
``tests/test_zoo.py`` re-checks every behaviour at its frozen seed. Where no seed below the scan
limit shows the paper's behaviour, the name keeps seed 0 and :data:`NOT_REPRODUCED` says so —
the figure script reports it rather than tuning further.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from neurodyn.zoo._grid import ZooConfig, build

__all__ = [
    "NOT_REPRODUCED",
    "PAPER_MODELS",
    "PAPER_SEEDS",
    "SCAN_LIMIT",
    "PaperModel",
    "paper_config",
    "paper_model",
]


@dataclass(frozen=True)
class PaperModel:
    """A Table 1 row: its configuration (seed left open), the figure, and the behaviour."""

    factorization: str
    activation: str
    depth: int
    eig_range: tuple[float, float]
    bias: bool
    figure: str
    behaviour: str  # human-readable: what the paper shows (the claims check it)


def _row(fact, act, depth, rng, bias, fig, behaviour):
    return PaperModel(fact, act, depth, rng, bias, fig, behaviour)


GR, GC, SP, PF = "gershgorin-real", "gershgorin-complex", "spectral", "perron-frobenius"

#: Table 1, row by row, under the names of the issue.
PAPER_MODELS: dict[str, PaperModel] = {
    "fig2-stable": _row(
        GR,
        "tanh",
        8,
        (0.99, 1.00),
        False,
        "2",
        "converges to one equilibrium; ρ(A*) ≤ 1 on the grid",
    ),
    "fig2-bibo": _row(
        SP,
        "tanh",
        8,
        (0.99, 1.10),
        False,
        "2",
        "bounded (no trajectory diverges) with max ρ(A*) ≈ 1",
    ),
    "fig2-unstable": _row(
        GR, "softplus", 8, (1.00, 1.01), True, "2", "ρ(A*) > 1 somewhere and trajectories diverge"
    ),
    "fig3-relu": _row(GC, "relu", 4, (0.00, 1.00), False, "3", "ρ(A*) ≤ 1 on the grid"),
    "fig3-tanh": _row(GR, "tanh", 4, (0.00, 1.00), False, "3", "ρ(A*) ≤ 1 on the grid"),
    "fig3-sigmoid": _row(
        GR,
        "sigmoid",
        4,
        (0.00, 1.00),
        False,
        "3",
        "a region with ρ(A*) > 1 (seed: 'large unstable region')",
    ),
    "fig3-selu": _row(
        SP,
        "selu",
        4,
        (0.00, 1.00),
        False,
        "3",
        "globally stable dynamics (converges to one equilibrium)",
    ),
    "fig4-bias": _row(
        GC, "relu", 1, (0.00, 1.00), True, "4", "one stable equilibrium away from the origin"
    ),
    "fig4-nobias": _row(
        GC, "relu", 1, (0.00, 1.00), False, "4", "the origin is the stable equilibrium"
    ),
    **{
        f"fig5-{tag}-{depth}": _row(fact, "gelu", depth, rng, bias, "5", behaviour)
        for tag, fact, rng, bias, behaviour in (
            ("stable", GC, (0.00, 1.00), False, "spectral radii shrink with depth"),
            ("edge", GC, (0.99, 1.00), False, "spectral radii stay near 1"),
            ("unstable", GR, (0.99, 1.10), True, "spectral radii above 1 somewhere"),
        )
        for depth in (1, 4, 8)
    },
    "fig6-point": _row(GR, "relu", 1, (0.00, 1.00), False, "6", "attractor type: point"),
    "fig6-multipoint": _row(GR, "selu", 1, (-1.50, -1.10), True, "6", "attractor type: multipoint"),
    "fig6-line": _row(PF, "relu", 1, (1.00, 1.00), False, "6", "attractor type: line"),
    "fig6-cycle": _row(SP, "tanh", 8, (0.99, 1.10), False, "6", "attractor type: cycle"),
    "fig6-chaotic": _row(SP, "selu", 8, (0.99, 1.10), False, "6", "attractor type: chaotic"),
    "fig6-unstable": _row(GC, "softplus", 1, (0.99, 1.10), False, "6", "attractor type: divergent"),
}

#: Frozen result of :func:`neurodyn.reproduce.find_seed` (scan limit ``SCAN_LIMIT``).
PAPER_SEEDS: dict[str, int] = {
    "fig2-stable": 0,
    "fig2-bibo": 0,
    "fig2-unstable": 0,
    "fig3-relu": 0,
    "fig3-tanh": 0,
    "fig3-sigmoid": 0,
    "fig3-selu": 0,
    "fig4-bias": 0,
    "fig4-nobias": 0,
    "fig6-point": 0,
    "fig6-multipoint": 0,
    "fig6-line": 0,
    "fig6-cycle": 0,
    "fig6-chaotic": 8,
    "fig6-unstable": 1,
}
#: Names whose behaviour no seed below ``SCAN_LIMIT`` showed (seed 0 is used for them):
#: fig3-sigmoid — with the exact (σ(0)-offset) form, |Λ| ≤ 1/4 for Sigmoid, so a 4-layer net
#: with eigenvalues in [0, 1] cannot have ρ(A*) > 1; the paper's "large unstable region" comes
#: from its Λ = σ(z)/z, which blows up near z = 0 when σ(0) ≠ 0 (docs/zoo.md).
#: fig6-multipoint — every seed gives a period-2 orbit (eigenvalues near −1.3 flip the state
#: each step); in a phase portrait its two points look like "multiple points".
NOT_REPRODUCED: frozenset[str] = frozenset({"fig3-sigmoid", "fig6-multipoint"})
SCAN_LIMIT = 50


def paper_config(name: str, seed: int | None = None, width: int = 2) -> ZooConfig:
    """The :class:`ZooConfig` of a Table 1 model (frozen seed unless ``seed`` is given)."""
    if name not in PAPER_MODELS:
        raise KeyError(f"unknown paper model {name!r}; known: {', '.join(PAPER_MODELS)}.")
    row = PAPER_MODELS[name]
    chosen = PAPER_SEEDS.get(name, 0) if seed is None else seed
    return ZooConfig(
        row.factorization, row.eig_range, row.activation, row.depth, row.bias, width, chosen
    )


def paper_model(name: str, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """The Table 1 model ``name`` (e.g. ``"fig2-stable"``) as a plain network."""
    return build(paper_config(name), dtype=dtype)
