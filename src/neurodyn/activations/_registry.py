"""Elementwise activations as the diagonal scaling Λ_z of the pointwise-affine form.

Every supported activation σ is written (Drgoňa et al., Dissipative, eq. 6a–6b; Drgoňa et al.,
Spectral analysis, eq. 4 and Remark 11) as

    σ(z) = Λ(z) · z + σ(0),      Λ(z) = (σ(z) − σ(0)) / z   for z ≠ 0,   Λ(0) = σ'(0).

The centred value g(z) = σ(z) − σ(0) is computed per activation *without cancellation* (for
Sigmoid, Softplus, LogSigmoid and Hardsigmoid, where σ(0) ≠ 0, through closed forms such as
sigmoid(z) − ½ = ½·tanh(z/2)), so Λ(z) = g(z)/z keeps full relative precision even for |z| near
machine epsilon, and the only point that needs a limit is z = 0 exactly, where Λ takes σ'(0) as
PyTorch's autograd defines it (ReLU'(0) = 0). That choice makes A* agree with
``torch.func.jacrev`` for positively homogeneous activations everywhere, including at z = 0.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["SUPPORTED_ACTIVATIONS", "ActivationSpec", "activation_spec", "is_activation"]


@dataclass(frozen=True)
class ActivationSpec:
    """What the pointwise-affine machinery needs to know about one elementwise activation.

    Attributes:
        name: the ``torch.nn`` class name, e.g. ``"Tanh"``.
        module: the module the spec was built from, or, when that one was built with
            ``inplace=True``, an out-of-place shallow copy sharing its parameters: an in-place
            activation would overwrite the pre-activation z that the affine form still needs
            (and break autograd on it).
        centered: g(z) = σ(z) − σ(0), elementwise and free of cancellation, any shape.
        sigma0: σ(0) as a float, or a ``(width,)`` tensor for per-channel PReLU.
        homogeneous: True when σ(c z) = c σ(z) for c > 0 (ReLU, LeakyReLU, PReLU, RReLU): then
            Λ_z equals σ'(z) and A*(x) is the Jacobian (Drgoňa et al., Spectral analysis, Prop. 12).
        piecewise_linear: True when σ is piecewise linear (has linear regions to count).
        lambda_bound: a *proven* upper bound on sup_z |Λ(z)| over all of ℝ (derivations in
            ``docs/activations.md``); certificates use it, never a sampled maximum. Since Λ is a
            secant slope through (0, σ(0)), any Lipschitz constant bounds it; for GELU, SiLU,
            Mish and Hardswish Λ is a CDF-like gate in (0, 1), which is tighter than Lipschitz.
        lipschitz_bound: a proven global Lipschitz constant of σ (sup |σ'|; ``inf`` for the
            discontinuous Hardshrink). Contraction certificates use it. Closed form where one
            exists (GELU: Φ(√2) + √2 φ(√2)); for SiLU, Mish and GELU-tanh the maximum of σ'
            evaluated on a 1e-5 grid, rounded up by 1e-4 (σ' is smooth and unimodal there).
    """

    name: str
    module: nn.Module
    centered: Callable[[Tensor], Tensor]
    sigma0: float | Tensor
    homogeneous: bool = False
    piecewise_linear: bool = False
    lambda_bound: float = 1.0
    lipschitz_bound: float = 1.0

    def __call__(self, z: Tensor) -> Tensor:
        """σ(z), exactly as the module computes it."""
        return self.module(z)

    def sigma0_like(self, z: Tensor) -> Tensor | float:
        """σ(0) broadcastable against ``z`` of shape ``(..., width)``."""
        if isinstance(self.sigma0, Tensor):
            return self.sigma0.to(dtype=z.dtype, device=z.device)
        return self.sigma0

    def dsigma0(self, z: Tensor) -> Tensor:
        """σ'(0) as autograd defines it, broadcastable against ``z`` of shape ``(..., width)``."""
        width = z.shape[-1] if z.ndim else 1
        zero = torch.zeros(1, width, dtype=z.dtype, device=z.device, requires_grad=True)
        with torch.enable_grad():
            (grad,) = torch.autograd.grad(self.module(zero).sum(), zero)
        return grad[0].detach()

    def value_and_derivative(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """``(σ(z), σ'(z))`` elementwise, σ' by one autograd backward of Σσ(z) (exact for an
        elementwise σ, with autograd's convention at kinks: ReLU'(0) = 0). Both detached."""
        with torch.enable_grad():
            zz = z.detach().requires_grad_(True)
            out = self.module(zz)
            (d,) = torch.autograd.grad(out.sum(), zz)
        return out.detach(), d

    def scaling(self, z: Tensor) -> Tensor:
        """Λ(z) = (σ(z) − σ(0)) / z elementwise, σ'(0) where z = 0 (Drgoňa et al., Spectral
        analysis, Remark 11)."""
        return self.scaling_and_output(z)[0]

    def scaling_and_output(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """``(Λ(z), σ(z))`` from one evaluation of g; σ(z) = g(z) + σ(0).

        At z = 0, Λ = σ'(0) (autograd's value). At a subnormal z (0 < |z| < tiny) the quotient
        g(z)/z has lost its significant bits (Sigmoid: ½·tanh(z/2) rounds to 0), so Λ is taken
        at z' = ±tiny/eps of the same sign: Λ is continuous from each side of 0, and
        |Λ(z) − Λ(z')| = O(|z'|) ≈ 1e-292 (float64), far below rounding. That keeps the
        one-sided slopes of ReLU-like units (Λ(0⁺) = 1 ≠ σ'(0) = 0) and σ'(0) for smooth ones.
        """
        g = self.centered(z)
        small = z.abs() < torch.finfo(z.dtype).tiny
        if not bool(small.any()):
            return g / z, g + self.sigma0_like(z)
        zero = z == 0
        normal = _normal_floor(z.dtype)
        z_eff = torch.where(small & ~zero, torch.copysign(torch.full_like(z, normal), z), z)
        z_eff = torch.where(zero, torch.ones_like(z), z_eff)
        lam = torch.where(small & ~zero, self.centered(z_eff), g) / z_eff
        if bool(zero.any()):
            lam = torch.where(zero, self.dsigma0(z).expand_as(z), lam)
        return lam, g + self.sigma0_like(z)

    def has_tiny(self, z: Tensor) -> bool:
        """True when some |z| < tiny (0 or subnormal): the fast Λ = g(z)/z needs the guards."""
        return bool((z.abs() < torch.finfo(z.dtype).tiny).any())


def _normal_floor(dtype: torch.dtype) -> float:
    """tiny/eps: the smallest magnitude at which g(z)/z keeps a full significand."""
    info = torch.finfo(dtype)
    return info.tiny / info.eps


_LN2 = math.log(2.0)


def _spec_relu(m: nn.ReLU) -> ActivationSpec:
    return ActivationSpec("ReLU", m, F.relu, 0.0, homogeneous=True, piecewise_linear=True)


def _spec_leaky(m: nn.LeakyReLU) -> ActivationSpec:
    bound = max(1.0, abs(float(m.negative_slope)))
    return ActivationSpec("LeakyReLU", m, m, 0.0, True, True, bound, bound)


def _spec_prelu(m: nn.PReLU) -> ActivationSpec:
    bound = max(1.0, float(m.weight.detach().abs().max()))
    return ActivationSpec("PReLU", m, m, 0.0, True, True, bound, bound)


def _spec_rrelu(m: nn.RReLU) -> ActivationSpec:
    if m.training:
        raise ValueError(
            "nn.RReLU in training mode draws a random slope on every call, so it has no "
            "deterministic affine form; call net.eval() first (eval uses slope (lower+upper)/2)."
        )
    bound = max(1.0, abs(m.lower + m.upper) / 2)
    return ActivationSpec("RReLU", m, m, 0.0, True, True, bound, bound)


def _spec_sigmoid(m: nn.Sigmoid) -> ActivationSpec:
    # sigmoid(z) − 1/2 = tanh(z/2)/2 — no cancellation near 0.
    # Λ(z) = tanh(z/2)/(2z) is even and decreasing in |z|: sup = Λ(0) = σ'(0) = 1/4.
    return ActivationSpec(
        "Sigmoid",
        m,
        lambda z: 0.5 * torch.tanh(0.5 * z),
        0.5,
        lambda_bound=0.25,
        lipschitz_bound=0.25,
    )


def _spec_softplus(m: nn.Softplus) -> ActivationSpec:
    beta, threshold = float(m.beta), float(m.threshold)
    # PyTorch: softplus(z) = z where β·z > threshold, log1p(exp(βz))/β elsewhere. σ(0) is
    # therefore ln2/β when threshold ≥ 0, but 0 for a negative threshold (legal in torch).
    if threshold < 0 and float(torch.tensor(threshold, dtype=torch.float32)) == 0:
        raise NotImplementedError(
            f"nn.Softplus(threshold={threshold:g}): a negative threshold this close to 0 rounds "
            "to 0 in float32, so σ(0) would be 0 in float64 but ln2/β in float32. Use "
            "threshold=0 or a negative threshold of at least 1e-44 in magnitude."
        )
    if threshold >= 0:

        def centered(z: Tensor) -> Tensor:
            # softplus(z) − ln2/β = log1p(expm1(βz)/2)/β on the smooth branch; z − ln2/β beyond
            # the threshold where PyTorch switches to the identity.
            bz = beta * z
            smooth = torch.log1p(torch.expm1(torch.clamp(bz, max=threshold)) / 2) / beta
            return torch.where(bz > threshold, z - _LN2 / beta, smooth)

        # Λ ∈ (0, ½] on the smooth branch; on the identity branch z > t/β, Λ = 1 − ln2/(βz) with
        # ln2/(βz) < ln2/t, so sup|Λ| ≤ max(1, ln2/t − 1) (∞ at t = 0: Λ → −∞ as z → 0⁺).
        bound = (
            1.0 if threshold >= _LN2 / 2 else (math.inf if threshold == 0 else _LN2 / threshold - 1)
        )
        # σ jumps by log1p(e^{−t})/β at z = t/β (≈ 2e-9 at the default t = 20): a Lipschitz
        # constant only where that jump is below the JUMP_TOL (1e-6) that classify uses.
        lip = 1.0 if math.log1p(math.exp(-threshold)) <= 1e-6 else math.inf
        return ActivationSpec(
            "Softplus", m, centered, _LN2 / beta, lambda_bound=bound, lipschitz_bound=lip
        )

    def centered_identity_at_zero(z: Tensor) -> Tensor:
        # σ(0) = 0: z on the identity branch (which contains 0), the smooth branch only for
        # β·z ≤ threshold < 0, where log1p(exp(βz))/β has no cancellation against σ(0) = 0.
        bz = beta * z
        smooth = torch.log1p(torch.exp(torch.clamp(bz, max=threshold))) / beta
        return torch.where(bz > threshold, z, smooth)

    # Λ = σ(z)/z is 1 on the identity branch. On the smooth branch, u = β|z| ≥ |t|:
    # |Λ| = log1p(e^{−u})/u, decreasing in u, so sup |Λ| = max(1, log1p(e^t)/|t|). σ jumps at
    # z = t/β (from log1p(e^t)/β to t/β), so it has no Lipschitz constant.
    bound = max(1.0, math.log1p(math.exp(threshold)) / abs(threshold))
    return ActivationSpec(
        "Softplus", m, centered_identity_at_zero, 0.0, lambda_bound=bound, lipschitz_bound=math.inf
    )


def _spec_logsigmoid(m: nn.LogSigmoid) -> ActivationSpec:
    # logsigmoid(z) − logsigmoid(0) = −(softplus(−z) − ln2) = −log1p(expm1(−z)/2), written so
    # that expm1 never overflows: for z < 0 use the mirrored identity.
    def centered(z: Tensor) -> Tensor:
        neg = -torch.log1p(torch.expm1(-torch.clamp(z, min=0.0)) / 2)
        pos = z - torch.log1p(torch.expm1(torch.clamp(z, max=0.0)) / 2)
        return torch.where(z >= 0, neg, pos)

    return ActivationSpec("LogSigmoid", m, centered, -_LN2)


def _spec_hardsigmoid(m: nn.Hardsigmoid) -> ActivationSpec:
    return ActivationSpec(
        "Hardsigmoid",
        m,
        lambda z: torch.clamp(z / 6.0, -0.5, 0.5),
        0.5,
        piecewise_linear=True,
        lambda_bound=0.1666666716337204,  # float32(1/6) ≥ 1/6: autograd's Λ(0) = σ'(0) uses it
        lipschitz_bound=1.0 / 6.0,
    )


def _spec_hardtanh(m: nn.Hardtanh) -> ActivationSpec:
    lo, hi = float(m.min_val), float(m.max_val)
    s0 = min(max(0.0, lo), hi)
    name = type(m).__name__  # Hardtanh or ReLU6 (a Hardtanh subclass)
    return ActivationSpec(name, m, lambda z: torch.clamp(z, lo, hi) - s0, s0, piecewise_linear=True)


def _zero_at_zero(name: str, piecewise_linear: bool = False, bound=lambda m: 1.0, lipschitz=None):
    """Activations with σ(0) = 0, where g = σ itself and Λ = σ(z)/z has no cancellation."""

    def build(m: nn.Module) -> ActivationSpec:
        lip = float(bound(m)) if lipschitz is None else float(lipschitz(m))
        return ActivationSpec(name, m, m, 0.0, False, piecewise_linear, float(bound(m)), lip)

    return build


def _elu_bound(m: nn.ELU) -> float:
    # z < 0: Λ = α(e^z − 1)/z lies between α e^z... and α, increasing to α as z → 0⁻.
    return max(1.0, abs(float(m.alpha)))


def _gelu_lipschitz(m: nn.GELU) -> float:
    if m.approximate == "tanh":
        return 1.1291  # max σ' ≈ 1.128993 at z ≈ 1.4185, rounded up
    # GELU'(z) = Φ(z) + z φ(z) peaks where GELU'' = φ(z)(2 − z²) = 0, at z = √2.
    return 0.5 * (1 + math.erf(1.0)) + math.exp(-1.0) / math.sqrt(math.pi)


def _celu_bound(m: nn.CELU) -> float:
    # α > 0: Λ = α(e^{z/α} − 1)/z ∈ (0, 1) on z < 0, → 1 as z → 0⁻. But autograd's CELU backward
    # (Λ(0) = σ'(0)) rounds 1/α to float32, so σ'(0) = α·fl32(1/α) can exceed 1 by ~6e-8: bound it.
    # α < 0 (PyTorch accepts it): Λ = (e^t − 1)/t with t = z/α → ∞ as z → −∞, no bound.
    alpha = float(m.alpha)
    if alpha < 0:
        return math.inf
    zero = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    with torch.enable_grad():
        (d0,) = torch.autograd.grad(m(zero).sum(), zero)
    return max(1.0, abs(float(d0)))


def _selu_bound(m: nn.SELU) -> float:
    # SELU = scale·ELU_α with scale ≈ 1.0507, α ≈ 1.6733: sup Λ = scale·α ≈ 1.7581 (> 1).
    return 1.0507009873554804934193349852946 * 1.6732632423543772848170429916717


_BUILDERS: dict[type[nn.Module], Callable[[nn.Module], ActivationSpec]] = {
    nn.ReLU: _spec_relu,
    nn.LeakyReLU: _spec_leaky,
    nn.PReLU: _spec_prelu,
    nn.RReLU: _spec_rrelu,
    nn.ELU: _zero_at_zero("ELU", bound=_elu_bound),
    nn.CELU: _zero_at_zero("CELU", bound=_celu_bound),
    nn.SELU: _zero_at_zero("SELU", bound=_selu_bound),
    nn.GELU: _zero_at_zero("GELU", lipschitz=_gelu_lipschitz),
    nn.SiLU: _zero_at_zero("SiLU", lipschitz=lambda m: 1.0999),
    nn.Mish: _zero_at_zero("Mish", lipschitz=lambda m: 1.0886),
    nn.Tanh: _zero_at_zero("Tanh"),
    nn.Sigmoid: _spec_sigmoid,
    nn.Hardtanh: _spec_hardtanh,
    nn.ReLU6: _spec_hardtanh,
    nn.Hardsigmoid: _spec_hardsigmoid,
    nn.Hardswish: _zero_at_zero("Hardswish", lipschitz=lambda m: 1.5),
    nn.Softplus: _spec_softplus,
    nn.Softsign: _zero_at_zero("Softsign"),
    nn.Softshrink: _zero_at_zero("Softshrink", piecewise_linear=True),
    nn.Hardshrink: _zero_at_zero("Hardshrink", piecewise_linear=True, lipschitz=lambda m: math.inf),
    nn.Tanhshrink: _zero_at_zero("Tanhshrink"),
    nn.LogSigmoid: _spec_logsigmoid,
}

#: The ``torch.nn`` activation classes neurodyn linearizes exactly, by name.
SUPPORTED_ACTIVATIONS: tuple[str, ...] = tuple(cls.__name__ for cls in _BUILDERS)


def is_activation(module: nn.Module) -> bool:
    """True if ``module`` is one of the supported elementwise activations."""
    return type(module) in _BUILDERS


def activation_spec(module: nn.Module) -> ActivationSpec:
    """The :class:`ActivationSpec` of a supported elementwise activation module.

    Raises:
        TypeError: ``module`` is not a supported activation (the message lists those that are).
    """
    builder = _BUILDERS.get(type(module))
    if builder is None:
        raise TypeError(
            f"{type(module).__name__} is not a supported elementwise activation. "
            f"Supported: {', '.join(SUPPORTED_ACTIVATIONS)}."
        )
    spec = builder(_out_of_place(module))
    _check_sigma0(spec)
    return spec


def _out_of_place(module: nn.Module) -> nn.Module:
    """``module`` itself, or a shallow copy with ``inplace=False`` that shares its parameters.

    An in-place activation writes σ(z) into z; in the affine-form recursions z is a view of the
    propagated state (and a leaf of autograd for σ'), so it must never be overwritten.
    """
    if not getattr(module, "inplace", False):
        return module
    twin = copy.copy(module)  # new __dict__, same parameter tensors
    twin.inplace = False
    return twin


_SIGMA0_CHECKED: set[tuple[type, str]] = set()


def _check_sigma0(spec: ActivationSpec) -> None:
    """σ(0) as assumed must be σ(0) as the module computes it (no silent offset).

    Evaluated once per (class, constructor arguments) — ``extra_repr`` holds them for every
    parameter-free activation; PReLU (the one with parameters) has σ(0) = 0 by its form.
    """
    module = spec.module
    if isinstance(module, nn.PReLU):
        return
    key = (type(module), module.extra_repr())
    if key in _SIGMA0_CHECKED:
        return
    s0 = spec.sigma0
    with torch.no_grad():
        actual = float(module(torch.zeros(1, 1, dtype=torch.float64)))
    want = float(s0)
    if not abs(actual - want) <= 4 * torch.finfo(torch.float64).eps * (1 + abs(want)):
        raise NotImplementedError(
            f"{spec.name} as constructed ({module!r}) has σ(0) = {actual}, but neurodyn's affine "
            f"form assumes {want}; this construction option is not supported. Please report "
            "it; meanwhile use torch.func.jacrev."
        )
    if len(_SIGMA0_CHECKED) < 4096:
        _SIGMA0_CHECKED.add(key)
