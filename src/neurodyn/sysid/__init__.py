"""Neural state-space models with inputs: identification and analysis (Drgoňa et al., Dissipative).

* :class:`NeuralSSM`: x_{t+1} = f(x_t) + g(u_t) or coupled f(x_t, u_t), plain or with
  spectrally constrained weights; a driven Map (``neurodyn.as_map(model)``).
* :func:`fit` (N-step rollout loss, Adam, early stopping), :func:`evaluate`.
* :func:`spectra`, :func:`equilibria`, :func:`certify_ssm` (dissipativity, bounded response
  with the input's contribution, Cor. 3 bounds, incremental ISS), :func:`outside_behaviour`,
  :func:`report`.
"""

from neurodyn.sysid._analysis import (
    EquilibriumSweep,
    Spectra,
    certify_ssm,
    equilibria,
    incremental_bound,
    outside_behaviour,
    spectra,
)
from neurodyn.sysid._models import ACTIVATIONS, NeuralSSM, SSMMap
from neurodyn.sysid._report import report
from neurodyn.sysid._train import Evaluation, FitResult, evaluate, fit, windows

__all__ = [
    "ACTIVATIONS",
    "EquilibriumSweep",
    "Evaluation",
    "FitResult",
    "NeuralSSM",
    "SSMMap",
    "Spectra",
    "certify_ssm",
    "equilibria",
    "evaluate",
    "fit",
    "incremental_bound",
    "outside_behaviour",
    "report",
    "spectra",
    "windows",
]
