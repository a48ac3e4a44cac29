"""Layers and weight parametrizations with guarantees (``neurodyn.nn.parametrizations``),
recurrent cells that are Maps with exact Jacobians (docs/cells.md), and Sparse Combo Nets
(Kozachkov et al. 2022, Sec. 3; docs/contraction.md)."""

from neurodyn.nn import parametrizations
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
from neurodyn.nn._sparse_combo import SparseComboNet, sample_theorem1_blocks

__all__ = [
    "CTRNN",
    "LEM",
    "AntisymmetricRNN",
    "CTRNNFlow",
    "CellMap",
    "CoRNN",
    "LipschitzRNN",
    "NoisyRNN",
    "RecurrentCell",
    "SparseComboNet",
    "parametrizations",
    "sample_theorem1_blocks",
]
