"""Weight parametrizations with spectral guarantees held by construction.

Every constraint is a :mod:`torch.nn.utils.parametrize` parametrization (a module with ``forward``
and ``right_inverse``) plus a one-line registrar ``fn(module, name="weight", ...)``. Factors made of
several tensors use a tuple-valued ``right_inverse``, so the parametrized tensor is stored as
``module.parametrizations[name].original0, original1, …`` and ``forward(*originals)`` rebuilds it.
Biases are never read or written.

Membership is checked by :func:`measure` / :func:`check`, with an explicit tolerance
(:func:`default_atol`); the generic conformance test in ``tests/test_parametrizations.py`` runs
every entry of :data:`CONSTRAINTS` through the same property check. See
``docs/parametrizations.md`` for the guarantee table and where we differ from the seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import scipy.linalg
import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

__all__ = [
    "CONSTRAINTS",
    "ConstraintSpec",
    "ContractingSVD",
    "Gershgorin",
    "Measurement",
    "PerronFrobenius",
    "SkewSymmetric",
    "SoftSpectralSVD",
    "SpectralSVD",
    "SymmetricSkew",
    "Symplectic",
    "check",
    "contracting_svd",
    "contraction_metric",
    "default_atol",
    "gershgorin",
    "measure",
    "orthogonality_penalty",
    "perron_frobenius",
    "skew_symmetric",
    "spectral_svd",
    "symmetric_skew",
    "symplectic",
]

Init = Literal["project", "random"]
_INITS = ("project", "random")

# Relative tolerances of the membership checks, multiplied by max(1, ‖X‖₂) of the measured matrix.
# float32: the forward passes round at ~n·eps ≈ 1e-6 for the sizes we test (eps = 1.2e-7), with
# ×10 room for eigenvalue conditioning. float64: ~5e5·eps, room for eigenvalue condition numbers
# up to ~1e4 of the non-normal matrices (Perron–Frobenius, complex Gershgorin).
_RELATIVE_ATOL = {torch.float32: 1e-5, torch.float64: 1e-10}


# ----------------------------------------------------------------------------------------------
# results and tolerances


@dataclass(frozen=True)
class Measurement:
    """What a constraint guarantees, measured on the current weight.

    Attributes:
        constraint: the constraint's name (a :data:`CONSTRAINTS` key, or ``"spectral_svd_soft"``).
        quantity: what ``values`` are, in words.
        values: the measured quantity (float64 or complex128, computed in float64).
        lower: the guaranteed lower bound on ``values`` (``-inf`` where there is none).
        upper: the guaranteed upper bound on ``values``.
        violation: how far the weight lies outside the guaranteed set, in the units of ``values``
            (``≤ 0`` inside; the maximum over all sub-conditions listed in ``quantity``).
        atol: the default tolerance :func:`check` compares ``violation`` with
            (:func:`default_atol` of the measured matrix).
        guaranteed: ``False`` for the soft (regularised) variant, whose bounds are only targets.
    """

    constraint: str
    quantity: str
    values: Tensor
    lower: float
    upper: float
    violation: float
    atol: float
    guaranteed: bool = True

    def holds(self, atol: float | None = None) -> bool:
        """``violation ≤ atol`` (the default tolerance when ``atol`` is None)."""
        return self.violation <= (self.atol if atol is None else atol)


def default_atol(W: Tensor, dtype: torch.dtype | None = None) -> float:
    """The default membership tolerance for a matrix ``W``: ``rel(dtype) · max(1, ‖W‖₂)``.

    ``rel`` is 1e-5 for float32 and 1e-10 for float64 (100·eps for other dtypes): constructions
    are exact in exact arithmetic, so the tolerance only has to absorb the rounding of the forward
    pass (a few ``n·eps·‖W‖``) and the conditioning of the eigenvalue solver. ``dtype`` (default
    ``W.dtype``) is the precision the matrix was built in, when ``W`` is an upcast copy.
    """
    dtype = W.dtype if dtype is None else dtype
    rel = _RELATIVE_ATOL.get(dtype, 100 * torch.finfo(dtype).eps)
    scale = float(torch.linalg.matrix_norm(W.detach().double(), ord=2)) if W.numel() else 0.0
    return rel * max(1.0, scale)


def _violation(values: Tensor, lower: float, upper: float) -> float:
    if values.numel() == 0:
        return 0.0
    return max(float(lower - values.min()), float(values.max() - upper))


# ----------------------------------------------------------------------------------------------
# helpers


def _bounded(raw: Tensor, lo: float, hi: float) -> Tensor:
    """``hi − (hi − lo)·sigmoid(raw)`` ∈ [lo, hi] (seed 000 eq. 21a / 23a)."""
    return hi - (hi - lo) * torch.sigmoid(raw)


def _unbounded(value: Tensor, lo: float, hi: float) -> Tensor:
    """A right inverse of :func:`_bounded` on ``value`` clamped to ``[lo, hi]``."""
    if hi == lo:
        return torch.zeros_like(value)
    eps = torch.finfo(value.dtype).eps
    t = ((hi - value) / (hi - lo)).clamp(eps, 1 - eps)
    return torch.logit(t)


def _skew(X: Tensor) -> Tensor:
    return X - X.mT


def _haar(n: int, like: Tensor, generator: torch.Generator | None) -> Tensor:
    """A Haar-random ``n×n`` orthogonal matrix (QR of a Gaussian with the sign fix)."""
    G = torch.randn(n, n, dtype=like.dtype, device=like.device, generator=generator)
    Q, R = torch.linalg.qr(G)
    d = torch.sign(torch.diagonal(R))
    return Q * torch.where(d == 0, torch.ones_like(d), d)


def _randn(shape, like: Tensor, generator: torch.Generator | None, std: float = 1.0) -> Tensor:
    return std * torch.randn(*shape, dtype=like.dtype, device=like.device, generator=generator)


def _offdiag(X: Tensor) -> Tensor:
    return X - torch.diag_embed(torch.diagonal(X))


def _eig(W: Tensor) -> Tensor:
    return torch.linalg.eigvals(W.detach().double())


class _Parametrization(nn.Module):
    """Base class: the one-shot ``init="random"`` switch and the measurement interface.

    ``right_inverse`` projects (see each subclass); with ``init="random"`` the *first* call (the
    one :func:`torch.nn.utils.parametrize.register_parametrization` makes) ignores the weight and
    draws fresh factors instead. Later assignments ``module.weight = X`` always project.
    """

    name: ClassVar[str] = ""

    def __init__(self, init: Init, generator: torch.Generator | None) -> None:
        super().__init__()
        if init not in _INITS:
            raise ValueError(f"init must be one of {_INITS}, got {init!r}.")
        self.init = init
        self._fresh = init == "random"
        self.generator = generator

    def right_inverse(self, W: Tensor) -> tuple[Tensor, ...]:
        if self._fresh:
            self._fresh = False
            return self._random(W)
        return self._project(W)

    def _project(self, W: Tensor) -> tuple[Tensor, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _random(self, W: Tensor) -> tuple[Tensor, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:  # pragma: no cover
        raise NotImplementedError

    def check(self, W: Tensor, *originals: Tensor, atol: float | None = None) -> bool:
        """Whether ``W`` (built from ``originals``) satisfies the guarantee within ``atol``."""
        return self.measure(W, *originals).holds(atol)


# ----------------------------------------------------------------------------------------------
# Perron–Frobenius (seed 000 eq. 21)


class PerronFrobenius(_Parametrization):
    """``W_ij = softmax(A')_ij · M_ij``, ``M = λmax − (λmax − λmin)·σ(M')`` (seed 000 eq. 21).

    Entries are nonnegative and each row sum is a convex combination of damping values in
    ``[λmin, λmax]``, so row sums — and hence the Perron root ρ(W) — lie in ``[λmin, λmax]``.
    Originals: ``(A', M')``, both ``n×n``.
    """

    name = "perron_frobenius"

    def __init__(self, lam_min: float, lam_max: float, init: Init = "project", generator=None):
        super().__init__(init, generator)
        self.lam_min, self.lam_max = float(lam_min), float(lam_max)

    def forward(self, logits: Tensor, damping: Tensor) -> Tensor:
        M = _bounded(damping, self.lam_min, self.lam_max)
        return torch.softmax(logits, dim=-1) * M

    def _project(self, W: Tensor) -> tuple[Tensor, Tensor]:
        absW = W.abs()
        tiny = torch.finfo(W.dtype).tiny
        logits = torch.log(absW.clamp_min(tiny))
        rows = absW.sum(dim=-1, keepdim=True).clamp(self.lam_min, self.lam_max)
        damping = _unbounded(rows, self.lam_min, self.lam_max).expand_as(W).clone()
        return logits, damping

    def _random(self, W: Tensor) -> tuple[Tensor, Tensor]:
        return _randn(W.shape, W, self.generator), _randn(W.shape, W, self.generator)

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        Wd = W.detach().double()
        rho = _eig(Wd).abs().max().reshape(1)
        rows = Wd.sum(dim=-1)
        lo, hi = self.lam_min, self.lam_max
        violation = max(
            _violation(rho, lo, hi), _violation(rows, lo, hi), float(-Wd.min()) if Wd.numel() else 0
        )
        return Measurement(
            self.name, "Perron root ρ(W) (also checked: row sums in range, W ≥ 0)",
            rho, lo, hi, violation, default_atol(W),
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"lam_min={self.lam_min}, lam_max={self.lam_max}"


# ----------------------------------------------------------------------------------------------
# spectral SVD (seed 000 eq. 22–23)


class SpectralSVD(_Parametrization):
    """``W = U diag(s) Vᵀ`` with exactly orthonormal ``U`` (m×r), ``V`` (n×r), r = min(m, n).

    ``U = (B_U · exp(A − Aᵀ))[:, :r]``, ``V = (B_V · exp(B − Bᵀ))[:, :r]`` where ``B_U``, ``B_V``
    are fixed orthogonal buffers (the base point, set at registration: the SVD factors of the
    projected weight, or Haar-random) and ``s = σmax − (σmax − σmin)·sigmoid(raw)`` (seed 000
    eq. 23a). The singular values of W are exactly ``s`` ∈ [σmin, σmax]. Originals: ``(A, B, raw)``.
    """

    name = "spectral_svd"

    def __init__(
        self, shape: tuple[int, int], sigma_min: float, sigma_max: float,
        init: Init = "project", generator=None, dtype=None, device=None,
    ):  # fmt: skip
        super().__init__(init, generator)
        m, n = shape
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)
        self.register_buffer("base_u", torch.eye(m, dtype=dtype, device=device))
        self.register_buffer("base_v", torch.eye(n, dtype=dtype, device=device))

    def factors(self, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
        """The orthonormal factors ``(U, V)`` built from the originals ``a``, ``b``."""
        r = min(a.shape[-1], b.shape[-1])
        U = self.base_u @ torch.linalg.matrix_exp(_skew(a))[:, :r]
        V = self.base_v @ torch.linalg.matrix_exp(_skew(b))[:, :r]
        return U, V

    def forward(self, a: Tensor, b: Tensor, raw: Tensor) -> Tensor:
        U, V = self.factors(a, b)
        s = _bounded(raw, self.sigma_min, self.sigma_max)
        return (U * s) @ V.mT

    def _project(self, W: Tensor) -> tuple[Tensor, ...]:
        U, S, Vh = torch.linalg.svd(W.double(), full_matrices=True)
        self.base_u.copy_(U.to(W.dtype))
        self.base_v.copy_(Vh.mT.to(W.dtype))
        m, n = W.shape
        raw = _unbounded(S.clamp(self.sigma_min, self.sigma_max), self.sigma_min, self.sigma_max)
        return W.new_zeros(m, m), W.new_zeros(n, n), raw.to(W.dtype)

    def _random(self, W: Tensor) -> tuple[Tensor, ...]:
        m, n = W.shape
        self.base_u.copy_(_haar(m, W, self.generator))
        self.base_v.copy_(_haar(n, W, self.generator))
        return W.new_zeros(m, m), W.new_zeros(n, n), _randn((min(m, n),), W, self.generator)

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        s = torch.linalg.svdvals(W.detach().double())
        lo, hi = self.sigma_min, self.sigma_max
        return Measurement(
            self.name, "singular values of W", s, lo, hi, _violation(s, lo, hi), default_atol(W)
        )

    def extra_repr(self) -> str:
        return f"sigma_min={self.sigma_min}, sigma_max={self.sigma_max}"


class SoftSpectralSVD(_Parametrization):
    """SOFT variant of seed 000 eq. 22–23: free factors ``U`` (m×r), ``V`` (n×r); no guarantee.

    ``W = U diag(s) Vᵀ`` with ``s`` bounded as in :class:`SpectralSVD`, but ``U`` and ``V`` are
    unconstrained parameters kept near orthonormal only by adding :func:`orthogonality_penalty`
    to the loss (seed 000 eq. 22). Singular values of W leave ``[σmin, σmax]`` as soon as the
    factors drift. Originals: ``(U, V, raw)``.
    """

    name = "spectral_svd_soft"

    def __init__(self, sigma_min: float, sigma_max: float, init: Init = "project", generator=None):
        super().__init__(init, generator)
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)

    def forward(self, U: Tensor, V: Tensor, raw: Tensor) -> Tensor:
        return (U * _bounded(raw, self.sigma_min, self.sigma_max)) @ V.mT

    def _project(self, W: Tensor) -> tuple[Tensor, ...]:
        U, S, Vh = torch.linalg.svd(W, full_matrices=False)
        raw = _unbounded(S.clamp(self.sigma_min, self.sigma_max), self.sigma_min, self.sigma_max)
        return U, Vh.mT.contiguous(), raw

    def _random(self, W: Tensor) -> tuple[Tensor, ...]:
        m, n = W.shape
        r = min(m, n)
        U = _haar(m, W, self.generator)[:, :r].contiguous()
        V = _haar(n, W, self.generator)[:, :r].contiguous()
        return U, V, _randn((r,), W, self.generator)

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        s = torch.linalg.svdvals(W.detach().double())
        lo, hi = self.sigma_min, self.sigma_max
        return Measurement(
            self.name, "singular values of W (soft: targets, not guaranteed)",
            s, lo, hi, _violation(s, lo, hi), default_atol(W), guaranteed=False,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"sigma_min={self.sigma_min}, sigma_max={self.sigma_max}, soft=True"


# ----------------------------------------------------------------------------------------------
# skew-symmetric with damping (seed 000 eq. 24) and the block "symplectic" form (eq. 25)


class SkewSymmetric(_Parametrization):
    """``W = L − Lᵀ − γI`` with ``L`` the strictly lower triangle of the original (seed 000 eq. 24).

    ``L − Lᵀ`` is skew-symmetric (exactly, also in floating point), so every eigenvalue of W has
    real part exactly ``−γ``. Original: ``(X,)``, ``n×n`` (its upper triangle and diagonal are
    unused and receive zero gradient).
    """

    name = "skew_symmetric"

    def __init__(self, gamma: float, init: Init = "project", generator=None):
        super().__init__(init, generator)
        self.gamma = float(gamma)

    def forward(self, X: Tensor) -> Tensor:
        eye = torch.eye(X.shape[-1], dtype=X.dtype, device=X.device)
        return _skew(torch.tril(X, -1)) - self.gamma * eye

    def _project(self, W: Tensor) -> tuple[Tensor]:
        return (torch.tril(0.5 * _skew(W), -1),)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        return (_randn(W.shape, W, self.generator, W.shape[-1] ** -0.5),)

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        re = _eig(W).real
        g = -self.gamma
        return Measurement(
            self.name, "real parts of eigenvalues", re, g, g, _violation(re, g, g), default_atol(W)
        )

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}"


class Symplectic(_Parametrization):
    """``W = [[0, A], [−Aᵀ, 0]]`` for even ``n = 2k`` (seed 000 eq. 25, named as in the seed).

    W is skew-symmetric, so its eigenvalues are ``±i·σ_j(A)``: on the imaginary axis. (It is
    Hamiltonian only for symmetric A, and not a symplectic matrix; see docs/parametrizations.md.)
    Original: ``(A,)``, ``k×k``.
    """

    name = "symplectic"

    def __init__(self, init: Init = "project", generator=None):
        super().__init__(init, generator)

    def forward(self, A: Tensor) -> Tensor:
        Z = torch.zeros_like(A)
        return torch.cat([torch.cat([Z, A], dim=-1), torch.cat([-A.mT, Z], dim=-1)], dim=-2)

    def _project(self, W: Tensor) -> tuple[Tensor]:
        k = W.shape[-1] // 2
        return (0.5 * (W[:k, k:] - W[k:, :k].mT),)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        k = W.shape[-1] // 2
        return (_randn((k, k), W, self.generator, k**-0.5),)

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        re = _eig(W).real
        return Measurement(
            self.name, "real parts of eigenvalues", re, 0.0, 0.0, _violation(re, 0.0, 0.0),
            default_atol(W),
        )  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Gershgorin discs (seed 000 eq. 26, App. D)


class Gershgorin(_Parametrization):
    """Eigenvalues inside the disc (``center``, ``radius``) by the Gershgorin circle theorem.

    ``complex=True``: ``W = λI + r·M/max(1, ‖M‖∞)`` with ``M`` the original (any signs, diagonal
    included) and ``‖M‖∞`` its largest absolute row sum. Row i's Gershgorin disc has centre
    λ + r·M̂_ii and radius r·Σ_{j≠i}|M̂_ij|, so it lies in |z − λ| ≤ r·Σ_j|M̂_ij| ≤ r: every
    eigenvalue is in the disc (λ, r); they may be complex. Seed 000 eq. 26 is the special case
    of a zero diagonal and every row sum exactly r — which in 2-D leaves only the signs free
    (W = ½[[1, ±1], [±1, 1]] for the range (0, 1), rank 1), so the trainable diagonal and row
    sums below r matter for the seed's own 2-D nets.

    ``complex=False`` (real variant): ``W = λI + r·N/max(1, ‖N‖∞)`` with ``N = (M + Mᵀ)/2``:
    W is symmetric (real spectrum) and ‖W − λI‖₂ ≤ r‖N̂‖∞ ≤ r, so the eigenvalues are real and
    in ``[λ − r, λ + r]``. Original: ``(M,)``, n×n. A weight already in the set is reproduced
    exactly by ``init="project"`` (M = (W − λI)/r, symmetrised for the real variant).
    """

    name = "gershgorin"

    def __init__(
        self, center: float, radius: float, complex: bool = False,
        init: Init = "project", generator=None,
    ):  # fmt: skip
        super().__init__(init, generator)
        self.center, self.radius, self.complex = float(center), float(radius), bool(complex)

    def forward(self, M: Tensor) -> Tensor:
        n = M.shape[-1]
        eye = torch.eye(n, dtype=M.dtype, device=M.device)
        N = M if self.complex else 0.5 * (M + M.mT)
        scale = N.abs().sum(dim=-1).amax().clamp_min(1.0)
        return self.center * eye + self.radius * (N / scale)

    def _project(self, W: Tensor) -> tuple[Tensor]:
        n = W.shape[-1]
        eye = torch.eye(n, dtype=W.dtype, device=W.device)
        M = (W - self.center * eye) / self.radius if self.radius > 0 else torch.zeros_like(W)
        return (M if self.complex else 0.5 * (M + M.mT),)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        return (_randn(W.shape, W, self.generator),)

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        lam = _eig(W)
        c, r = self.center, self.radius
        if self.complex:
            dist = (lam - c).abs()
            return Measurement(
                self.name, "eigenvalues (checked: |λ − center| ≤ radius)", lam, c - r, c + r,
                float(dist.max() - r), default_atol(W),
            )  # fmt: skip
        violation = max(_violation(lam.real, c - r, c + r), float(lam.imag.abs().max()))
        return Measurement(
            self.name, "eigenvalues (checked: real, in [center − radius, center + radius])",
            lam, c - r, c + r, violation, default_atol(W),
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"center={self.center}, radius={self.radius}, complex={self.complex}"


# ----------------------------------------------------------------------------------------------
# symmetric-skew decomposition (seed 003 eq. 9, Prop. 2)


class SymmetricSkew(_Parametrization):
    """``W = (1−β)(M + Mᵀ) + β(M − Mᵀ) − γI`` (seed 003 eq. 9), β ∈ [0, 1].

    Guarantee (seed 003 Prop. 2, corrected): every eigenvalue satisfies
    ``(1−β)λ_min(M+Mᵀ) − γ ≤ Re λ_i(W) ≤ (1−β)λ_max(M+Mᵀ) − γ``; for β = 1, ``Re λ_i = −γ``.
    Original: ``(M,)``, n×n.
    """

    name = "symmetric_skew"

    def __init__(self, beta: float, gamma: float, init: Init = "project", generator=None):
        super().__init__(init, generator)
        self.beta, self.gamma = float(beta), float(gamma)

    def forward(self, M: Tensor) -> Tensor:
        eye = torch.eye(M.shape[-1], dtype=M.dtype, device=M.device)
        Mt = M.mT
        return (1 - self.beta) * (M + Mt) + self.beta * (M - Mt) - self.gamma * eye

    def _project(self, W: Tensor) -> tuple[Tensor]:
        eye = torch.eye(W.shape[-1], dtype=W.dtype, device=W.device)
        S = 0.5 * (W + W.mT) + self.gamma * eye  # = (1−β)(M + Mᵀ)
        K = 0.5 * (W - W.mT)  # = β(M − Mᵀ)
        M = torch.zeros_like(W)
        if self.beta < 1:
            M = M + S / (2 * (1 - self.beta))
        if self.beta > 0:
            M = M + K / (2 * self.beta)
        return (M,)

    def _random(self, W: Tensor) -> tuple[Tensor]:
        return (_randn(W.shape, W, self.generator, W.shape[-1] ** -0.5),)

    def bounds(self, M: Tensor) -> tuple[float, float]:
        """Prop. 2's bounds on ``Re λ_i(W)`` for the original ``M``."""
        ev = torch.linalg.eigvalsh((M + M.mT).detach().double())
        return (
            (1 - self.beta) * float(ev.min()) - self.gamma,
            (1 - self.beta) * float(ev.max()) - self.gamma,
        )

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        if len(originals) != 1:
            raise ValueError("symmetric_skew's bound depends on M: pass it, measure(W, M).")
        lo, hi = self.bounds(originals[0])
        re = _eig(W).real
        return Measurement(
            self.name, "real parts of eigenvalues (bounds from M + Mᵀ, seed 003 Prop. 2)",
            re, lo, hi, _violation(re, lo, hi), default_atol(W),
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"beta={self.beta}, gamma={self.gamma}"


# ----------------------------------------------------------------------------------------------
# contracting SVD (seed 002 eq. 2, Theorem 5)


class ContractingSVD(_Parametrization):
    """``W = Φ⁻¹ U Σ Vᵀ Φ`` (seed 002 eq. 2): ``τẋ = −x + Wφ(x)`` contracts in metric ``P = Φ²``.

    ``Φ = diag(exp(φ))``, ``U = B_U·exp(Q − Qᵀ)``, ``V = B_V·exp(R − Rᵀ)`` (fixed orthogonal base
    buffers ``B_U``, ``B_V``; identity gives the seed's form), ``Σ = (1 − margin)/g · sigmoid(raw)``
    ∈ ``[0, (1 − margin)/g]``. Then ``‖ΦWΦ⁻¹‖₂ = max Σ < 1/g`` ⇔ ``g²WᵀPW − P ≺ 0``, which is
    seed 002 Theorem 5's condition. Originals: ``(φ, Q, R, raw)``.
    """

    name = "contracting_svd"

    def __init__(
        self, n: int, g: float = 1.0, margin: float = 1e-6, phi: Tensor | None = None,
        init: Init = "project", generator=None, dtype=None, device=None,
    ):  # fmt: skip
        super().__init__(init, generator)
        self.g, self.margin = float(g), float(margin)
        self.phi = None if phi is None else torch.as_tensor(phi, dtype=torch.float64).detach()
        self.register_buffer("base_u", torch.eye(n, dtype=dtype, device=device))
        self.register_buffer("base_v", torch.eye(n, dtype=dtype, device=device))

    @property
    def sigma_max(self) -> float:
        """The largest value Σ can take, ``(1 − margin)/g`` (< 1/g)."""
        return (1 - self.margin) / self.g

    def forward(self, phi: Tensor, q: Tensor, r: Tensor, raw: Tensor) -> Tensor:
        U = self.base_u @ torch.linalg.matrix_exp(_skew(q))
        V = self.base_v @ torch.linalg.matrix_exp(_skew(r))
        B = (U * (self.sigma_max * torch.sigmoid(raw))) @ V.mT  # ΦWΦ⁻¹
        return B * torch.exp(phi[None, :] - phi[:, None])  # W_ij = B_ij Φ_j / Φ_i

    def _scaled(self, W: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """``(φ, ΦWΦ⁻¹)`` in float64 numpy: the given Φ, else the better of I and balancing."""
        Wn = W.detach().double().cpu().numpy()
        n = Wn.shape[0]
        if self.phi is not None:
            d = self.phi.cpu().numpy().reshape(n)
            cands = [np.log(d)]
        else:
            _, (scale, _) = scipy.linalg.matrix_balance(Wn, permute=False, separate=True)
            cands = [np.zeros(n), -np.log(scale)]  # balanced = T⁻¹WT, so Φ = T⁻¹
        best = None
        for phi in cands:
            B = Wn * np.exp(phi[:, None] - phi[None, :])
            nrm = np.linalg.norm(B, 2) if n else 0.0
            if best is None or nrm < best[0]:
                best = (nrm, phi, B)
        return best[1], best[2]

    def _project(self, W: Tensor) -> tuple[Tensor, ...]:
        phi, B = self._scaled(W)
        U, S, Vh = np.linalg.svd(B)
        self.base_u.copy_(torch.as_tensor(U, dtype=W.dtype, device=W.device))
        self.base_v.copy_(torch.as_tensor(Vh.T, dtype=W.dtype, device=W.device))
        S = torch.as_tensor(S, dtype=W.dtype, device=W.device)
        raw = _unbounded(self.sigma_max - S.clamp(0, self.sigma_max), 0.0, self.sigma_max)
        n = W.shape[0]
        zeros = W.new_zeros(n, n)
        return torch.as_tensor(phi, dtype=W.dtype, device=W.device), zeros, zeros.clone(), raw

    def _random(self, W: Tensor) -> tuple[Tensor, ...]:
        n = W.shape[0]
        self.base_u.copy_(torch.eye(n, dtype=W.dtype, device=W.device))
        self.base_v.copy_(torch.eye(n, dtype=W.dtype, device=W.device))
        std = n**-0.5
        gen = self.generator
        return (
            _randn((n,), W, gen, 0.5), _randn((n, n), W, gen, std), _randn((n, n), W, gen, std),
            _randn((n,), W, gen),
        )  # fmt: skip

    def measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        if len(originals) < 1:
            raise ValueError("contracting_svd's metric depends on φ: pass it, measure(W, φ, …).")
        phi = originals[0].detach().double()
        B = W.detach().double() * torch.exp(phi[:, None] - phi[None, :])  # ΦWΦ⁻¹
        s = torch.linalg.svdvals(B)
        return Measurement(
            self.name, "singular values of ΦWΦ⁻¹ (Theorem 5: all < 1/g)",
            s, 0.0, 1 / self.g, _violation(s, 0.0, 1 / self.g), default_atol(B, W.dtype),
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"g={self.g}, margin={self.margin}"


# ----------------------------------------------------------------------------------------------
# registrars


def _weight(module: nn.Module, name: str, who: str) -> Tensor:
    if not isinstance(module, nn.Module):
        raise TypeError(
            f"{who} expects an nn.Module (e.g. nn.Linear), got {type(module).__name__}."
        )
    if parametrize.is_parametrized(module, name):
        raise ValueError(
            f"{type(module).__name__}.{name} is already parametrized; remove it first with "
            f"torch.nn.utils.parametrize.remove_parametrizations(module, {name!r})."
        )
    W = getattr(module, name, None)
    if not isinstance(W, Tensor) or W.ndim != 2:
        got = "missing" if W is None else f"shape {tuple(getattr(W, 'shape', ()))}"
        raise ValueError(f"{who} needs module.{name} to be a 2-D weight tensor ({got}).")
    if not W.is_floating_point():
        raise TypeError(f"{who} needs a floating-point weight, got {W.dtype}.")
    return W


def _square(W: Tensor, who: str, why: str) -> int:
    m, n = W.shape
    if m != n:
        raise ValueError(
            f"{who} needs a square weight ({why}); got {m}×{n} (a map from ℝ^{n} to ℝ^{m}), "
            "whose eigenvalues do not exist. For a rectangular map bound its singular values "
            "with neurodyn.nn.parametrizations.spectral_svd."
        )
    return n


def _finite(**kw: float) -> None:
    for k, v in kw.items():
        if not np.isfinite(float(v)):
            raise ValueError(f"{k} must be finite, got {v}.")


def _register(module: nn.Module, name: str, p: _Parametrization) -> nn.Module:
    parametrize.register_parametrization(module, name, p)
    return module


def perron_frobenius(
    module: nn.Module, name: str = "weight", *, lam_min: float, lam_max: float,
    init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` to a nonnegative matrix with Perron root in ``[λmin, λmax]``.

    Implements seed 000 eq. 21: ``W_ij = softmax_j(A'_i·)·M_ij`` with damping
    ``M = λmax − (λmax − λmin)·sigmoid(M')``. Each row sum is a convex combination of damping
    values, so ``λmin ≤ Σ_j W_ij ≤ λmax``, and the Perron root ρ(W) lies between the smallest and
    largest row sums. (Aside: this also gives ``‖W‖∞ ≤ λmax``.)

    Args:
        module: a module with a 2-D, square ``module.<name>`` (e.g. ``nn.Linear(n, n)``).
        name: the tensor to parametrize.
        lam_min, lam_max: ``0 ≤ lam_min ≤ lam_max`` (equal values give fixed row sums).
        init: ``"project"`` (default) keeps the current weight's pattern: logits ``log|W_ij|`` and
            per-row damping equal to the row sums of ``|W|`` clamped to ``[λmin, λmax]``; a
            nonnegative W with row sums in range is reproduced (to rounding), others are mapped to
            ``|W|`` with clamped row sums. ``"random"``: fresh Gaussian ``A'``, ``M'``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; originals ``parametrizations.<name>.original0`` (A'), ``original1`` (M').

    Raises:
        ValueError: a non-square weight (use :func:`spectral_svd`), ``lam_min < 0`` or
            ``lam_min > lam_max``, an already parametrized tensor, an unknown ``init``.

    Example:
        >>> import torch
        >>> lin = perron_frobenius(torch.nn.Linear(4, 4), lam_min=0.5, lam_max=0.9)
        >>> rho = torch.linalg.eigvals(lin.weight).abs().max()
        >>> bool(0.5 - 1e-5 <= rho <= 0.9 + 1e-5)
        True

    References:
        Seed 000 (App. B, eq. 21); Tuor et al. (2020).
    """
    who = "perron_frobenius"
    W = _weight(module, name, who)
    _square(W, who, "the guarantee bounds an eigenvalue")
    _finite(lam_min=lam_min, lam_max=lam_max)
    if not 0 <= lam_min <= lam_max:
        raise ValueError(
            f"perron_frobenius needs 0 ≤ lam_min ≤ lam_max, got lam_min={lam_min}, "
            f"lam_max={lam_max} (the Perron root of a nonnegative matrix is ≥ 0)."
        )
    return _register(module, name, PerronFrobenius(lam_min, lam_max, init, generator))


def spectral_svd(
    module: nn.Module, name: str = "weight", *, sigma_min: float, sigma_max: float,
    soft: bool = False, init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain the singular values of ``module.<name>`` to ``[σmin, σmax]`` (any shape).

    Implements seed 000 eq. 23 with exact orthogonal factors: ``W = U diag(s) Vᵀ``,
    ``U = (B_U·exp(A − Aᵀ))[:, :r]``, ``V = (B_V·exp(B − Bᵀ))[:, :r]``, r = min(m, n),
    ``s = σmax − (σmax − σmin)·sigmoid(raw)``. ``B_U``, ``B_V`` are orthogonal buffers fixed at
    registration (dynamic-trivialisation base point, as in ``torch.nn.utils.parametrizations.
    orthogonal``), which makes every W reachable (also ``det W < 0``).

    ``soft=True`` gives seed 000's regularised variant instead (SOFT, NO GUARANTEE): ``U``, ``V``
    are free parameters and :func:`orthogonality_penalty` (eq. 22) must be added to the loss.

    Args:
        module: a module with a 2-D ``module.<name>`` of shape ``(m, n)``.
        name: the tensor to parametrize.
        sigma_min, sigma_max: ``0 ≤ sigma_min ≤ sigma_max``.
        soft: use the regularised (unguaranteed) variant.
        init: ``"project"`` (default): SVD of the current weight with singular values clamped to
            ``[σmin, σmax]`` (W unchanged if already inside). ``"random"``: Haar-random factors
            and Gaussian ``raw``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; originals ``(A, B, raw)`` (soft: ``(U, V, raw)``).

    Raises:
        ValueError: ``sigma_min < 0`` or ``sigma_min > sigma_max`` (singular values are ≥ 0;
            seed 000 App. D's negative ranges have no meaning here), bad ``init``.

    Example:
        >>> import torch
        >>> lin = spectral_svd(torch.nn.Linear(5, 3), sigma_min=0.5, sigma_max=1.0)
        >>> s = torch.linalg.svdvals(lin.weight)
        >>> bool(s.min() >= 0.5 - 1e-5 and s.max() <= 1.0 + 1e-5)
        True

    References:
        Seed 000 (App. B, eq. 22–23); Zhang et al. (2018); Lezcano-Casado (2019).
    """
    who = "spectral_svd"
    W = _weight(module, name, who)
    _finite(sigma_min=sigma_min, sigma_max=sigma_max)
    if not 0 <= sigma_min <= sigma_max:
        raise ValueError(
            f"spectral_svd needs 0 ≤ sigma_min ≤ sigma_max, got sigma_min={sigma_min}, "
            f"sigma_max={sigma_max} (singular values are nonnegative)."
        )
    if soft:
        p: _Parametrization = SoftSpectralSVD(sigma_min, sigma_max, init, generator)
    else:
        p = SpectralSVD(
            tuple(W.shape), sigma_min, sigma_max, init, generator, dtype=W.dtype, device=W.device
        )
    return _register(module, name, p)


def skew_symmetric(
    module: nn.Module, name: str = "weight", *, gamma: float, init: Init = "project",
    generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` to ``L − Lᵀ − γI``: every eigenvalue has real part ``−γ``.

    Implements seed 000 eq. 24 (Haber & Ruthotto 2017), ``L`` strictly lower triangular.

    Args:
        module: a module with a square 2-D ``module.<name>``.
        name: the tensor to parametrize.
        gamma: the damping (any finite real; ``γ > 0`` makes ``ẋ = Wx`` asymptotically stable).
        init: ``"project"`` (default): the nearest member in Frobenius norm, i.e. the skew part
            ``(W − Wᵀ)/2`` kept and the symmetric part replaced by ``−γI`` (members unchanged).
            ``"random"``: Gaussian L with std ``n^-1/2``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; original ``(X,)`` whose strict lower triangle is L.

    Raises:
        ValueError: non-square weight, non-finite gamma, bad ``init``.

    Example:
        >>> import torch
        >>> lin = skew_symmetric(torch.nn.Linear(4, 4), gamma=0.1)
        >>> torch.allclose(torch.linalg.eigvals(lin.weight).real, torch.tensor(-0.1), atol=1e-5)
        True
    """
    who = "skew_symmetric"
    W = _weight(module, name, who)
    _square(W, who, "the guarantee is on eigenvalues")
    _finite(gamma=gamma)
    return _register(module, name, SkewSymmetric(gamma, init, generator))


def symplectic(
    module: nn.Module, name: str = "weight", *, init: Init = "project",
    generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` to ``[[0, A], [−Aᵀ, 0]]``: eigenvalues on the imaginary axis.

    Implements seed 000 eq. 25 under the seed's name. W is skew-symmetric, so its eigenvalues
    are ``±i·σ_j(A)``. The seed's claims that this is a symplectic matrix and that its dominant
    eigenvalue is 1 are wrong (see docs/parametrizations.md); the spectral radius is ``σmax(A)``.

    Args:
        module: a module with a square ``2k×2k`` ``module.<name>``.
        name: the tensor to parametrize.
        init: ``"project"`` (default): nearest member in Frobenius norm,
            ``A = (W₁₂ − W₂₁ᵀ)/2`` (members unchanged). ``"random"``: Gaussian A, std ``k^-1/2``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; original ``(A,)`` of shape ``k×k``.

    Raises:
        ValueError: a non-square or odd-sized weight.

    Example:
        >>> import torch
        >>> lin = symplectic(torch.nn.Linear(4, 4))
        >>> bool(torch.linalg.eigvals(lin.weight).real.abs().max() < 1e-5)
        True
    """
    who = "symplectic"
    W = _weight(module, name, who)
    n = _square(W, who, "the block form [[0, A], [−Aᵀ, 0]] is square")
    if n % 2:
        raise ValueError(
            f"symplectic needs an even size 2k (blocks [[0, A], [−Aᵀ, 0]] with A k×k), got {n}×{n}."
            " Use skew_symmetric(..., gamma=0) for odd sizes (also imaginary-axis eigenvalues)."
        )
    return _register(module, name, Symplectic(init, generator))


def gershgorin(
    module: nn.Module, name: str = "weight", *, center: float, radius: float,
    complex: bool = False, init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain every eigenvalue of ``module.<name>`` to the disc (``center``, ``radius``).

    Implements seed 000 eq. 26 (App. D's "real" and "complex" variants) with a trainable
    off-diagonal pattern; ``center`` and ``radius`` are fixed. App. D's ranges
    ``(λmin, λmax)`` correspond to ``center = (λmin + λmax)/2``, ``radius = (λmax − λmin)/2``.

    * ``complex=True``: ``W = λI + r·diag(1/s_i)·M₀``, ``s_i = Σ_{j≠i}|M₀_ij|`` (row sums): every
      Gershgorin row disc equals (λ, r), so all eigenvalues lie in it; they may be complex.
    * ``complex=False`` (default, "real"): ``W = λI + r·N/‖N‖∞`` with N symmetric, zero diagonal:
      eigenvalues are real and in ``[λ − r, λ + r]``.

    Args:
        module: a module with a square 2-D ``module.<name>``.
        name: the tensor to parametrize.
        center: the disc centre λ (real).
        radius: the disc radius ``r ≥ 0``.
        complex: the complex variant (see above).
        init: ``"project"`` (default) keeps the off-diagonal pattern of the current weight
            (its symmetric part for the real variant) and rescales it — each row to ℓ1 norm r
            (complex), or the whole matrix so that its largest row ℓ1 norm is r (real); the
            diagonal is set to λ. Members of the image are unchanged. ``"random"``: Gaussian
            pattern of both signs.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; original ``(M,)`` (n×n; diagonal unused).

    Raises:
        ValueError: non-square weight, ``radius < 0``, non-finite values, bad ``init``.

    Example:
        >>> import torch
        >>> lin = gershgorin(torch.nn.Linear(5, 5), center=0.5, radius=0.4, complex=True)
        >>> bool(((torch.linalg.eigvals(lin.weight) - 0.5).abs() <= 0.4 + 1e-5).all())
        True

    References:
        Seed 000 (App. B eq. 26, App. D); Varga, *Geršgorin and His Circles* (2004).
    """
    who = "gershgorin"
    W = _weight(module, name, who)
    _square(W, who, "Gershgorin discs bound eigenvalues")
    _finite(center=center, radius=radius)
    if radius < 0:
        raise ValueError(f"gershgorin needs radius ≥ 0, got {radius}.")
    return _register(module, name, Gershgorin(center, radius, complex, init, generator))


def symmetric_skew(
    module: nn.Module, name: str = "weight", *, beta: float, gamma: float,
    init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` to ``A_{β,γ} = (1−β)(M+Mᵀ) + β(M−Mᵀ) − γI`` (seed 003 eq. 9).

    Guarantee (seed 003 Prop. 2, stated correctly): for every eigenvalue,
    ``(1−β)λ_min(M+Mᵀ) − γ ≤ Re λ_i(W) ≤ (1−β)λ_max(M+Mᵀ) − γ`` (numerical range:
    ``Re v*Wv = (1−β) v*(M+Mᵀ)v − γ`` for unit v). The bound is relative to the current M; for
    ``β = 1`` it reads ``Re λ_i = −γ``.

    Args:
        module: a module with a square 2-D ``module.<name>``.
        name: the tensor to parametrize.
        beta: ``0 ≤ β ≤ 1`` (the seed recommends [0.5, 1]).
        gamma: ``γ ≥ 0``.
        init: ``"project"`` (default): ``M = S/(2(1−β)) + K/(2β)`` from the symmetric part
            ``S = (W+Wᵀ)/2 + γI`` and skew part ``K = (W−Wᵀ)/2``, which reproduces any W for
            0 < β < 1; for β = 1 (β = 0) the symmetric (skew) part is replaced as the form
            requires. ``"random"``: Gaussian M with std ``n^-1/2``.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; original ``(M,)``.

    Raises:
        ValueError: non-square weight, β outside [0, 1], γ < 0, bad ``init``.

    Example:
        >>> import torch
        >>> lin = symmetric_skew(torch.nn.Linear(4, 4), beta=1.0, gamma=0.2)
        >>> torch.allclose(torch.linalg.eigvals(lin.weight).real, torch.tensor(-0.2), atol=1e-5)
        True

    References:
        Seed 003 (eq. 9, Prop. 2); Erichson et al., Lipschitz recurrent neural networks.
    """
    who = "symmetric_skew"
    W = _weight(module, name, who)
    _square(W, who, "the guarantee is on eigenvalues")
    _finite(beta=beta, gamma=gamma)
    if not 0 <= beta <= 1:
        raise ValueError(f"symmetric_skew needs 0 ≤ beta ≤ 1, got {beta}.")
    if gamma < 0:
        raise ValueError(f"symmetric_skew needs gamma ≥ 0 (a left shift), got {gamma}.")
    return _register(module, name, SymmetricSkew(beta, gamma, init, generator))


def contracting_svd(
    module: nn.Module, name: str = "weight", *, g: float = 1.0, margin: float = 1e-6,
    phi: Tensor | None = None, init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` so that ``τẋ = −x + Wφ(x)`` contracts for ``0 ≤ φ' ≤ g``.

    Implements seed 002 eq. 2: ``W = Φ⁻¹UΣVᵀΦ``, ``Φ = diag(exp(φ))``, ``U = B_U·exp(Q − Qᵀ)``,
    ``V = B_V·exp(R − Rᵀ)``, ``Σ_ii = (1 − margin)/g · sigmoid(raw_i) ∈ [0, 1/g)``. Then
    ``‖ΦWΦ⁻¹‖₂ ≤ (1 − margin)/g < 1/g``, equivalently ``g²WᵀPW − P ≺ 0`` with ``P = Φ²``
    (seed 002 Theorem 5), so the generalized Jacobian ``Φ(−I + WD)Φ⁻¹`` has matrix measure
    ``μ₂ ≤ −1 + g‖ΦWΦ⁻¹‖₂ < 0``. The base buffers ``B_U``, ``B_V`` (identity for
    ``init="random"``, the seed's form) let ``init="project"`` reach ``det W < 0``, which
    ``exp(Q − Qᵀ)`` factors alone cannot.

    Args:
        module: a module with a square 2-D ``module.<name>``.
        name: the tensor to parametrize.
        g: the slope bound of the activation, ``g > 0`` (1 for ReLU/tanh).
        margin: relative margin keeping Σ strictly below 1/g even when sigmoid rounds to 1,
            ``0 < margin < 1`` (default 1e-6).
        phi: optional positive diagonal of Φ (shape ``(n,)``) to project with.
        init: ``"project"`` (default): Φ = ``phi`` if given, else the better (smaller
            ``‖ΦWΦ⁻¹‖₂``) of Φ = I and Osborne balancing of W; then the SVD of ``ΦWΦ⁻¹`` with
            singular values clamped to ``[0, (1 − margin)/g]``. W is unchanged when that norm is
            already ≤ ``(1 − margin)/g`` (to rounding; exactly-zero singular values become
            ≈ eps/g). ``"random"``: ``B = I``, Gaussian Q, R (std ``n^-1/2``), φ (std 0.5), raw.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; originals ``(φ, Q, R, raw)``. :func:`contraction_metric` gives ``P = Φ²``.

    Raises:
        ValueError: non-square weight, ``g ≤ 0``, margin outside (0, 1), bad ``phi``.

    Example:
        >>> import torch
        >>> lin = contracting_svd(torch.nn.Linear(4, 4), g=1.0, init="random")
        >>> P = contraction_metric(lin)
        >>> W = lin.weight.detach()
        >>> bool(torch.linalg.eigvalsh(W.T @ P @ W - P).max() < 1e-5)
        True

    References:
        Seed 002 (eq. 2, Theorem 5); Kozachkov et al., RNNs of RNNs (2022).
    """
    who = "contracting_svd"
    W = _weight(module, name, who)
    n = _square(W, who, "contraction of τẋ = −x + Wφ(x) needs W: ℝⁿ → ℝⁿ")
    _finite(g=g, margin=margin)
    if g <= 0:
        raise ValueError(f"contracting_svd needs g > 0 (the activation slope bound), got {g}.")
    if not 0 < margin < 1:
        raise ValueError(f"contracting_svd needs 0 < margin < 1, got {margin}.")
    if phi is not None:
        phi = torch.as_tensor(phi)
        if phi.shape != (n,) or not bool((phi > 0).all()) or not bool(torch.isfinite(phi).all()):
            raise ValueError(
                f"phi must be the positive, finite diagonal of Φ with shape ({n},), "
                f"got shape {tuple(phi.shape)}."
            )
    p = ContractingSVD(n, g, margin, phi, init, generator, dtype=W.dtype, device=W.device)
    return _register(module, name, p)


# ----------------------------------------------------------------------------------------------
# membership checks on modules


def _ours(module: nn.Module, name: str) -> tuple[_Parametrization, tuple[Tensor, ...]]:
    if not parametrize.is_parametrized(module, name):
        raise ValueError(f"{type(module).__name__}.{name} is not parametrized.")
    plist = module.parametrizations[name]
    if len(plist) != 1 or not isinstance(plist[0], _Parametrization):
        raise ValueError(
            f"{type(module).__name__}.{name} must carry exactly one neurodyn parametrization "
            f"(got {[type(p).__name__ for p in plist]})."
        )
    originals = tuple(getattr(plist, f"original{i}") for i in range(plist.ntensors))
    return plist[0], originals


def measure(module: nn.Module, name: str = "weight") -> Measurement:
    """Measure the guaranteed quantity of a parametrized ``module.<name>``.

    Args:
        module: a module parametrized by one of this module's registrars.
        name: the parametrized tensor.

    Returns:
        A :class:`Measurement` (values, bounds, violation, default tolerance).

    Raises:
        ValueError: the tensor is not parametrized by exactly one neurodyn parametrization.

    Example:
        >>> import torch
        >>> lin = skew_symmetric(torch.nn.Linear(3, 3), gamma=0.5)
        >>> measure(lin).holds()
        True
    """
    p, originals = _ours(module, name)
    with torch.no_grad():
        W = getattr(module, name)
    return p.measure(W, *originals)


def check(module: nn.Module, name: str = "weight", *, atol: float | None = None) -> bool:
    """Whether ``module.<name>`` satisfies its guarantee: ``violation ≤ atol``.

    ``atol`` defaults to :func:`default_atol` of the measured matrix (1e-5 float32, 1e-10
    float64, times ``max(1, ‖·‖₂)``).
    """
    return measure(module, name).holds(atol)


def contraction_metric(module: nn.Module, name: str = "weight") -> Tensor:
    """The metric ``P = Φ²`` (``n×n`` diagonal) certifying a :func:`contracting_svd` weight."""
    p, originals = _ours(module, name)
    if not isinstance(p, ContractingSVD):
        raise ValueError(f"{name} is parametrized by {p.name}, not contracting_svd.")
    return torch.diag(torch.exp(2 * originals[0].detach()))


def orthogonality_penalty(module: nn.Module, name: str = "weight") -> Tensor:
    """Seed 000 eq. 22 for a ``spectral_svd(..., soft=True)`` weight (differentiable).

    ``Σ_{X∈{U,V}} ‖I − XXᵀ‖_F + ‖I − XᵀX‖_F`` for square factors; for a tall factor (m×r, r < m)
    only ``‖I_r − XᵀX‖_F`` — ``I − XXᵀ`` has rank ≥ m − r and can never vanish (the seed's formula
    assumes square factors). The seed writes ``‖·‖₂``; we use the Frobenius norm.

    Raises:
        ValueError: the weight is not parametrized with ``spectral_svd(..., soft=True)``; the
            exact variant needs no penalty (its factors are orthonormal by construction).
    """
    p, originals = _ours(module, name)
    if not isinstance(p, SoftSpectralSVD):
        raise ValueError(
            f"{name} is parametrized by {p.name}; orthogonality_penalty applies to "
            "spectral_svd(..., soft=True) only (the exact variant is orthogonal by construction)."
        )
    total = originals[0].new_zeros(())
    for X in originals[:2]:
        r = X.shape[-1]
        eye_r = torch.eye(r, dtype=X.dtype, device=X.device)
        total = total + torch.linalg.matrix_norm(eye_r - X.mT @ X)
        if X.shape[-2] == r:
            total = total + torch.linalg.matrix_norm(eye_r - X @ X.mT)
    return total


# ----------------------------------------------------------------------------------------------
# the registry the conformance test runs over


@dataclass(frozen=True)
class ConstraintSpec:
    """One guaranteed constraint: its registrar and what it accepts.

    Attributes:
        name: registry key (the registrar's name).
        registrar: ``fn(module, name="weight", **hyper)``.
        shapes: ``"any"``, ``"square"`` or ``"even square"`` — other shapes raise ValueError.
        guarantee: one line, as in docs/parametrizations.md.
    """

    name: str
    registrar: Callable[..., nn.Module]
    shapes: str
    guarantee: str

    def accepts(self, m: int, n: int) -> bool:
        """Whether a weight of shape ``(m, n)`` is accepted."""
        if self.shapes == "any":
            return True
        if self.shapes == "square":
            return m == n
        return m == n and m % 2 == 0


CONSTRAINTS: dict[str, ConstraintSpec] = {
    s.name: s
    for s in (
        ConstraintSpec("perron_frobenius", perron_frobenius, "square",
                       "W ≥ 0, row sums and Perron root ρ(W) in [λmin, λmax]"),
        ConstraintSpec("spectral_svd", spectral_svd, "any",
                       "singular values in [σmin, σmax]"),
        ConstraintSpec("skew_symmetric", skew_symmetric, "square",
                       "Re λ_i(W) = −γ"),
        ConstraintSpec("symplectic", symplectic, "even square",
                       "Re λ_i(W) = 0"),
        ConstraintSpec("gershgorin", gershgorin, "square",
                       "|λ_i − center| ≤ radius (real variant: λ_i real)"),
        ConstraintSpec("symmetric_skew", symmetric_skew, "square",
                       "(1−β)λmin(M+Mᵀ) − γ ≤ Re λ_i(W) ≤ (1−β)λmax(M+Mᵀ) − γ"),
        ConstraintSpec("contracting_svd", contracting_svd, "square",
                       "‖ΦWΦ⁻¹‖₂ < 1/g ⇔ g²WᵀΦ²W − Φ² ≺ 0"),
    )
}  # fmt: skip
