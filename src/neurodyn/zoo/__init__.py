"""Model zoo: the built-in demo network and the experimental grid of Drgoňa et al., Spectral
analysis (App. D, Table 1).

``grid()`` lists the 828 configurations of App. D; ``build(config)`` returns one as a plain
``nn.Sequential``; ``paper_model(name)`` gives the curated models of Table 1 by name.
"""

from neurodyn.zoo._demo import demo_net
from neurodyn.zoo._grid import (
    ACTIVATIONS,
    DEPTHS,
    EIGEN_RANGES,
    FACTORIZATIONS,
    ZooConfig,
    build,
    grid,
)
from neurodyn.zoo._paper import (
    NOT_REPRODUCED,
    PAPER_MODELS,
    PAPER_SEEDS,
    SCAN_LIMIT,
    PaperModel,
    paper_config,
    paper_model,
)

__all__ = [
    "ACTIVATIONS",
    "DEPTHS",
    "EIGEN_RANGES",
    "FACTORIZATIONS",
    "NOT_REPRODUCED",
    "PAPER_MODELS",
    "PAPER_SEEDS",
    "SCAN_LIMIT",
    "PaperModel",
    "ZooConfig",
    "build",
    "demo_net",
    "grid",
    "paper_config",
    "paper_model",
]
