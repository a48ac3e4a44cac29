"""Recurrent cells with the ``nn.RNN`` calling convention, each a Map with an analytic Jacobian
of its full state (docs/cells.md)."""

from neurodyn.nn._cells._antisymmetric import AntisymmetricRNN
from neurodyn.nn._cells._base import CellMap, RecurrentCell
from neurodyn.nn._cells._cornn import CoRNN
from neurodyn.nn._cells._ctrnn import CTRNN, CTRNNFlow
from neurodyn.nn._cells._lem import LEM
from neurodyn.nn._cells._lipschitz import LipschitzRNN, NoisyRNN

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
]
