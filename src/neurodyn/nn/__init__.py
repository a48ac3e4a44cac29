"""Layers and weight parametrizations with guarantees (``neurodyn.nn.parametrizations``) and
recurrent cells that are Maps with exact Jacobians (docs/cells.md)."""

from neurodyn.nn import parametrizations

__all__ = ["parametrizations"]

# --- recurrent cells (docs/cells.md) ---
from neurodyn.nn._cells import (
    CTRNN,
    LEM,
    AntisymmetricRNN,
    CellMap,
    CoRNN,
    CTRNNFlow,
    LipschitzRNN,
    NoisyRNN,
    RecurrentCell,
)

__all__ += [
    "CTRNN",
    "LEM",
    "AntisymmetricRNN",
    "CTRNNFlow",
    "CellMap",
    "CoRNN",
    "LipschitzRNN",
    "NoisyRNN",
    "RecurrentCell",
]
# --- end recurrent cells ---
