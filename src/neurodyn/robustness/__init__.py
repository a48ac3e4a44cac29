"""Robustness of sequence classifiers to input and parameter perturbations (Erichson et al.
2021, Sec. 6.4, Table 3, Figs. 3–4).

* input noise: :func:`noise_robustness` → :class:`NoiseCurve` (Gaussian, salt and pepper,
  eq. 17–19), accuracy mean ± s.e. over noise draws;
* adversarial inputs: :func:`pgd_attack`, :func:`pgd_robustness` → :class:`PGDResult`
  (ℓ2 / ℓ∞ PGD, eq. 20); :func:`deepfool_attack`, :func:`deepfool_robustness` →
  :class:`DeepFoolResult` (DF₂ / DF∞, Moosavi-Dezfooli et al. 2016, Alg. 2 and Sec. 3.2);
* parameter perturbations: :func:`hessian_analysis` → :class:`HessianResult` (λ_max by power
  iteration and Lanczos, tr(H) by Hutchinson, κ(H) = λ_max/λ_min, the eq.-22 landscape) from
  Hessian-vector products (:class:`HessianOperator`);
* everything for one model: :func:`robustness` → :class:`RobustnessResult` (a Table-3 row),
  :func:`robustness_table`; figures :func:`noise_figure`, :func:`landscape_figure`.

docs/robustness.md has the definitions and what differs from the paper.
"""

from neurodyn.robustness._deepfool import DeepFoolResult, deepfool_attack, deepfool_robustness
from neurodyn.robustness._hessian import (
    HessianOperator,
    HessianResult,
    hessian_analysis,
    hutchinson_trace,
    lanczos_extremes,
    loss_landscape,
    power_iteration,
    select_parameters,
)
from neurodyn.robustness._noise import (
    NOISE_KINDS,
    NoiseCurve,
    accuracy,
    gaussian_noise,
    noise_robustness,
    salt_and_pepper,
)
from neurodyn.robustness._pgd import PGDResult, pgd_attack, pgd_robustness
from neurodyn.robustness._plots import landscape_figure, noise_figure
from neurodyn.robustness._result import (
    DEFAULT_DEEPFOOL,
    DEFAULT_PGD,
    RobustnessResult,
    robustness,
    robustness_table,
)

__all__ = [
    "DEFAULT_DEEPFOOL",
    "DEFAULT_PGD",
    "NOISE_KINDS",
    "DeepFoolResult",
    "HessianOperator",
    "HessianResult",
    "NoiseCurve",
    "PGDResult",
    "RobustnessResult",
    "accuracy",
    "deepfool_attack",
    "deepfool_robustness",
    "gaussian_noise",
    "hessian_analysis",
    "hutchinson_trace",
    "lanczos_extremes",
    "landscape_figure",
    "loss_landscape",
    "noise_figure",
    "noise_robustness",
    "pgd_attack",
    "pgd_robustness",
    "power_iteration",
    "robustness",
    "robustness_table",
    "salt_and_pepper",
    "select_parameters",
]
