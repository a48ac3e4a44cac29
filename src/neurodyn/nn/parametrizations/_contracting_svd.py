"""Contracting SVD weights: τẋ = −x + Wφ(x) contracts in P = Φ² (Kozachkov et al. 2022)."""

from __future__ import annotations

import contextlib

import numpy as np
import scipy.linalg
import torch
from torch import Tensor, nn

from neurodyn.nn.parametrizations._base import (
    Init,
    Parametrization,
    check_finite,
    register,
    square,
    weight_of,
)
from neurodyn.nn.parametrizations._factors import eye_like, orthonormal_factor, randn, unbounded
from neurodyn.nn.parametrizations._measurement import Measurement, default_atol, violation
from neurodyn.nn.parametrizations._proofs import singular_values_up

__all__ = ["ContractingSVD", "contracting_svd"]


def _scaled_block(Wn: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``(φ, ΦWΦ⁻¹)`` of one block: the given Φ, else the better of I and Osborne balancing."""
    n = Wn.shape[0]
    if phi is not None:
        cands = [np.log(phi.reshape(n))]
    else:
        _, (scale, _) = scipy.linalg.matrix_balance(Wn, permute=False, separate=True)
        cands = [np.zeros(n), -np.log(scale)]  # balanced = T⁻¹WT, so Φ = T⁻¹
    best = None
    for p in cands:
        B = Wn * np.exp(p[:, None] - p[None, :])
        nrm = np.linalg.norm(B, 2) if n else 0.0
        if best is None or nrm < best[0]:
            best = (nrm, p, B)
    return best[1], best[2]


class ContractingSVD(Parametrization):
    """``W = Φ⁻¹UΣVᵀΦ`` (Kozachkov et al. 2022, eq. 2): ``τẋ = −x + Wφ(x)`` contracts in ``Φ²``.

    ``Φ = diag(exp(φ))``, ``U = B_U·exp(Q − Qᵀ)``, ``V = B_V·exp(R − Rᵀ)`` (fixed orthogonal base
    buffers ``B_U``, ``B_V``; identity gives the paper's form; the orthogonal factor is re-
    orthonormalised below float64, see ``orthonormal_factor``), ``Σ = (1 − margin)/g ·
    sigmoid(raw)`` ∈ ``[0, (1 − margin)/g]``. Then ``‖ΦWΦ⁻¹‖₂ = max Σ < 1/g`` ⇔
    ``g²WᵀPW − P ≺ 0``, the paper's Theorem 5 condition. Originals: ``(φ, Q, R, raw)`` with the
    weight's leading (stack) dimensions; the guarantee is per block.
    """

    name = "contracting_svd"

    def __init__(
        self, n: int, g: float = 1.0, margin: float = 1e-6, phi: Tensor | None = None,
        init: Init = "project", generator=None, dtype=None, device=None,
        batch: tuple[int, ...] = (),
    ):  # fmt: skip
        super().__init__(init, generator)
        self.g, self.margin = float(g), float(margin)
        self.phi = None if phi is None else torch.as_tensor(phi, dtype=torch.float64).detach()
        eye = torch.eye(n, dtype=dtype, device=device).expand(*batch, n, n)
        self.register_buffer("base_u", eye.clone())
        self.register_buffer("base_v", eye.clone())

    @property
    def sigma_max(self) -> float:
        """The largest value Σ can take, ``(1 − margin)/g`` (< 1/g)."""
        return (1 - self.margin) / self.g

    def forward(self, phi: Tensor, q: Tensor, r: Tensor, raw: Tensor) -> Tensor:
        n = q.shape[-1]
        U = orthonormal_factor(self.base_u, q, n)
        V = orthonormal_factor(self.base_v, r, n)
        B = (U * (self.sigma_max * torch.sigmoid(raw))[..., None, :]) @ V.mT  # ΦWΦ⁻¹
        return B * torch.exp(phi[..., None, :] - phi[..., :, None])  # W_ij = B_ij Φ_j / Φ_i

    def _scaled(self, W: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """``(φ, ΦWΦ⁻¹)`` in float64 numpy, block by block."""
        Wn = W.detach().double().cpu().numpy()
        *batch, n, _ = Wn.shape
        given = None
        if self.phi is not None:
            given = np.broadcast_to(self.phi.cpu().numpy(), (*batch, n))
        phis, Bs = np.zeros((*batch, n)), np.zeros(Wn.shape)
        for idx in np.ndindex(*batch):
            phis[idx], Bs[idx] = _scaled_block(Wn[idx], None if given is None else given[idx])
        return phis, Bs

    def _project(self, W: Tensor) -> tuple[Tensor, ...]:
        phi, B = self._scaled(W)
        U, S, Vh = np.linalg.svd(B)
        like = {"dtype": W.dtype, "device": W.device}
        self.base_u.copy_(torch.as_tensor(U, **like))
        self.base_v.copy_(torch.as_tensor(np.swapaxes(Vh, -1, -2), **like))
        S = torch.as_tensor(S, **like)
        raw = unbounded(self.sigma_max - S.clamp(0, self.sigma_max), 0.0, self.sigma_max)
        zeros = W.new_zeros(W.shape)
        return torch.as_tensor(phi, **like), zeros, zeros.clone(), raw

    def _random(self, W: Tensor) -> tuple[Tensor, ...]:
        *batch, n, _ = W.shape
        eye = eye_like(W).expand(*batch, n, n)
        self.base_u.copy_(eye)
        self.base_v.copy_(eye)
        std = n**-0.5
        gen = self.generator
        return (
            randn((*batch, n), W, gen, 0.5), randn((*batch, n, n), W, gen, std),
            randn((*batch, n, n), W, gen, std), randn((*batch, n), W, gen),
        )  # fmt: skip

    def keeping(self, *originals: Tensor) -> contextlib.AbstractContextManager:
        """Project with the current metric ``Φ = exp(φ)`` (as if passed as ``phi=``)."""

        @contextlib.contextmanager
        def ctx():
            saved = self.phi
            self.phi = torch.exp(originals[0].detach().double())
            try:
                yield
            finally:
                self.phi = saved

        return ctx()

    def _measure(self, W: Tensor, *originals: Tensor) -> Measurement:
        if len(originals) < 1:
            raise ValueError("contracting_svd's metric depends on φ: pass it, measure(W, φ, …).")
        phi = originals[0].detach().double()
        B = W.detach().double() * torch.exp(phi[:, None] - phi[None, :])  # ΦWΦ⁻¹
        s = torch.linalg.svdvals(B)
        return Measurement(
            self.name, "singular values of ΦWΦ⁻¹ (Theorem 5: all < 1/g)",
            s, 0.0, 1 / self.g, violation(s, 0.0, 1 / self.g), default_atol(B, W.dtype),
        )  # fmt: skip

    def _proven(self, W: Tensor, *originals: Tensor) -> tuple[float, str]:
        phi = originals[0].detach().double()
        diff = phi[:, None] - phi[None, :]
        B = W.detach().double() * torch.exp(diff)  # ΦWΦ⁻¹
        _, hi, a = singular_values_up(B)
        # exp(φ_i − φ_j) and the product round at (2 + |φ_i − φ_j|)·eps64 relative per entry
        eps = torch.finfo(torch.float64).eps
        extra = (2 + float(diff.abs().max())) * eps * float(torch.linalg.vector_norm(B))
        return hi - 1 / self.g + a + extra, (
            "σmax(ΦWΦ⁻¹) in float64 from W and φ, widened by the SVD's backward error and the "
            "rounding of Φ (Weyl); g²WᵀΦ²W − Φ² ≺ 0 follows (Kozachkov et al. 2022, Theorem 5)"
        )

    def extra_repr(self) -> str:
        return f"g={self.g}, margin={self.margin}"


def contracting_svd(
    module: nn.Module, name: str = "weight", *, g: float = 1.0, margin: float = 1e-6,
    phi: Tensor | None = None, init: Init = "project", generator: torch.Generator | None = None,
) -> nn.Module:  # fmt: skip
    """Constrain ``module.<name>`` so that ``τẋ = −x + Wφ(x)`` contracts for ``0 ≤ φ' ≤ g``.

    Implements Kozachkov et al. 2022, eq. 2: ``W = Φ⁻¹UΣVᵀΦ``, ``Φ = diag(exp(φ))``,
    ``U = B_U·exp(Q − Qᵀ)``, ``V = B_V·exp(R − Rᵀ)``, ``Σ_ii = (1 − margin)/g · sigmoid(raw_i)
    ∈ [0, 1/g)``. Then ``‖ΦWΦ⁻¹‖₂ ≤ (1 − margin)/g < 1/g``, equivalently ``g²WᵀPW − P ≺ 0`` with
    ``P = Φ²`` (their Theorem 5), so the generalized Jacobian ``Φ(−I + WD)Φ⁻¹`` has matrix measure
    ``μ₂ ≤ −1 + g‖ΦWΦ⁻¹‖₂ < 0``. The base buffers ``B_U``, ``B_V`` (identity for
    ``init="random"``, the paper's form) let ``init="project"`` reach ``det W < 0``, which
    ``exp(Q − Qᵀ)`` factors alone cannot. Below float64 ``U`` and ``V`` get one Newton–Schulz
    re-orthonormalisation, so the bound holds in float32 after large optimiser steps.

    A stack ``(k, n, n)`` gives ``k`` independently contracting blocks, each with its own metric
    — the subnetworks of a Sparse Combo Net (Kozachkov et al. 2022, Sec. 3) before the
    stabilising feedback between them.

    Args:
        module: a module with a square ``module.<name>``, ``(n, n)`` or a stack ``(*, n, n)``.
        name: the tensor to parametrize.
        g: the slope bound of the activation, ``g > 0`` (1 for ReLU/tanh).
        margin: relative margin keeping Σ strictly below 1/g even when sigmoid rounds to 1,
            ``0 < margin < 1`` (default 1e-6).
        phi: optional positive diagonal of Φ (shape ``(n,)``, or ``(*, n)`` for a stack) to
            project with.
        init: ``"project"`` (default): Φ = ``phi`` if given, else the better (smaller
            ``‖ΦWΦ⁻¹‖₂``) of Φ = I and Osborne balancing of W; then the SVD of ``ΦWΦ⁻¹`` with
            singular values clamped to ``[0, (1 − margin)/g]``. W is unchanged when that norm is
            already ≤ ``(1 − margin)/g`` (to rounding; exactly-zero singular values become
            ≈ eps/g). ``"random"``: ``B = I``, Gaussian Q, R (std ``n^-1/2``), φ (std 0.5), raw.
        generator: RNG for ``init="random"``.

    Returns:
        ``module``; originals ``(φ, Q, R, raw)``. ``contraction_metric`` gives ``P = Φ²``.

    Raises:
        ValueError: non-square weight, ``g ≤ 0``, margin outside (0, 1), bad ``phi``.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> lin = P.contracting_svd(torch.nn.Linear(4, 4), g=1.0, init="random")
        >>> Pm = P.contraction_metric(lin)
        >>> W = lin.weight.detach()
        >>> bool(torch.linalg.eigvalsh(W.T @ Pm @ W - Pm).max() < 1e-5)
        True

    References:
        Kozachkov et al. 2022 (eq. 2, Theorem 5, Sec. 3).
    """
    who = "contracting_svd"
    W = weight_of(module, name, who)
    n = square(W, who, "contraction of τẋ = −x + Wφ(x) needs W: ℝⁿ → ℝⁿ")
    batch = tuple(W.shape[:-2])
    check_finite(g=g, margin=margin)
    if g <= 0:
        raise ValueError(f"contracting_svd needs g > 0 (the activation slope bound), got {g}.")
    if not 0 < margin < 1:
        raise ValueError(f"contracting_svd needs 0 < margin < 1, got {margin}.")
    if phi is not None:
        phi = torch.as_tensor(phi)
        if (
            phi.shape not in {(n,), (*batch, n)}
            or not bool((phi > 0).all())
            or not bool(torch.isfinite(phi).all())
        ):
            raise ValueError(
                f"phi must be the positive, finite diagonal of Φ with shape ({n},) "
                f"(or {(*batch, n)} for a stack), got shape {tuple(phi.shape)}."
            )
    p = ContractingSVD(
        n, g, margin, phi, init, generator, dtype=W.dtype, device=W.device, batch=batch
    )
    return register(module, name, p)
