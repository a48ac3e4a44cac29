"""Contraction certificates for recurrent models and their combinations.

``certify(obj, g=1.0, ...)`` takes a recurrent matrix of ``τẋ = −x + Wφ(x) + u`` (Kozachkov et
al. 2022, eq. 1), an :class:`Assembly`, a ``neurodyn.nn.SparseComboNet``, or a CT-RNN /
Lipschitz-RNN cell, and returns a ``CertificateReport``. Every proof that holds carries its
constant metric ``evidence["metric"]`` (re-checked by eigenvalues before it is called a proof);
sampled checks say "sampled"; the wrong or incomplete claims of the papers are kind "heuristic".
See docs/contraction.md for the theorem table.

Example:
    >>> import numpy as np
    >>> from neurodyn import contraction
    >>> rep = contraction.certify(np.array([[0.0, 0.5], [0.5, 0.0]]), g=1.0)
    >>> rep["theorem1"].proven
    True
"""

from neurodyn.contraction._certify import (
    assembly_of,
    block_diag,
    certify,
    ctrnn,
    lipschitz_rnn,
    network_certificates,
)
from neurodyn.contraction._combination import (
    Assembly,
    block_rate,
    certify_assembly,
    feedback_gain,
    skew_interconnection,
    skew_residual,
)
from neurodyn.contraction._common import lyapunov_metric, metzler_diagonal_metric, slope_bound_of
from neurodyn.contraction._discrete import carry_over, discrete, sampled, step_matrices
from neurodyn.contraction._lipschitz import lipschitz_norm, lipschitz_sector, prop1, prop2_bounds
from neurodyn.contraction._lmi import LMIResult, sector_lmi, sector_lmi_cvxpy, theorem5_lmi
from neurodyn.contraction._theorems import (
    matsuoka,
    sector,
    theorem1,
    theorem2,
    theorem3,
    theorem4,
    theorem5,
    theorem7,
    vertex,
)

__all__ = [
    "Assembly",
    "LMIResult",
    "assembly_of",
    "block_diag",
    "block_rate",
    "carry_over",
    "certify",
    "certify_assembly",
    "ctrnn",
    "discrete",
    "feedback_gain",
    "lipschitz_norm",
    "lipschitz_rnn",
    "lipschitz_sector",
    "lyapunov_metric",
    "matsuoka",
    "metzler_diagonal_metric",
    "network_certificates",
    "prop1",
    "prop2_bounds",
    "sampled",
    "sector",
    "sector_lmi",
    "sector_lmi_cvxpy",
    "skew_interconnection",
    "skew_residual",
    "slope_bound_of",
    "step_matrices",
    "theorem1",
    "theorem2",
    "theorem3",
    "theorem4",
    "theorem5",
    "theorem5_lmi",
    "theorem7",
    "vertex",
]
