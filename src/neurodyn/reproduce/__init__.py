"""Papers' figures and claims as data, regenerated and checked with neurodyn.

Drgoňa et al., Spectral analysis (*Spectral Analysis and Stability of Deep Neural Dynamics*,
docs/references.md) (Table 1, Figs. 2–8): :data:`CLAIMS` holds what the paper says about each
figure, the quantity measured and the pass rule; :func:`evaluate` checks them from per-model
measurements, :func:`shows_behaviour` / :func:`find_seed` use them for the zoo's seed search
(:data:`neurodyn.zoo.PAPER_SEEDS`), and :func:`paper_figures` regenerates the figures with the
claims table (``neurodyn paper-figures``).
"""

from neurodyn.reproduce._claims import (
    BOX,
    CLAIMS,
    NOT_REPRODUCED_REASONS,
    Claim,
    claims_about,
    evaluate,
    find_seed,
    measure_model,
    shows_behaviour,
)
from neurodyn.reproduce._figures import FIGURES, paper_figures

__all__ = [
    "BOX",
    "CLAIMS",
    "FIGURES",
    "NOT_REPRODUCED_REASONS",
    "Claim",
    "claims_about",
    "evaluate",
    "find_seed",
    "measure_model",
    "paper_figures",
    "shows_behaviour",
]
