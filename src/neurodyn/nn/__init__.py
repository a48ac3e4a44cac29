"""Layers and weight parametrizations with guarantees (``neurodyn.nn.parametrizations``)."""

from neurodyn.nn import parametrizations

# -- Sparse Combo Net (Kozachkov et al. 2022, Sec. 3) --
from neurodyn.nn._sparse_combo import SparseComboNet, sample_theorem1_blocks

__all__ = ["SparseComboNet", "parametrizations", "sample_theorem1_blocks"]
