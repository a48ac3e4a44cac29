"""Membership checks on parametrized modules: ``measure``, ``check`` and the constraint extras."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils import parametrize

from neurodyn._core import Certificate
from neurodyn.nn.parametrizations._base import Parametrization
from neurodyn.nn.parametrizations._contracting_svd import ContractingSVD
from neurodyn.nn.parametrizations._measurement import Measurement
from neurodyn.nn.parametrizations._registry import CONSTRAINTS
from neurodyn.nn.parametrizations._spectral_svd import SoftSpectralSVD

__all__ = [
    "certificate",
    "check",
    "contraction_metric",
    "measure",
    "orthogonality_penalty",
    "parametrization_of",
]


def parametrization_of(module: nn.Module, name: str) -> tuple[Parametrization, tuple[Tensor, ...]]:
    """The neurodyn parametrization on ``module.<name>`` and its originals.

    Raises:
        ValueError: the tensor is not parametrized by exactly one neurodyn parametrization.
    """
    if not parametrize.is_parametrized(module, name):
        raise ValueError(f"{type(module).__name__}.{name} is not parametrized.")
    plist = module.parametrizations[name]
    if len(plist) != 1 or not isinstance(plist[0], Parametrization):
        raise ValueError(
            f"{type(module).__name__}.{name} must carry exactly one neurodyn parametrization "
            f"(got {[type(p).__name__ for p in plist]})."
        )
    originals = tuple(getattr(plist, f"original{i}") for i in range(plist.ntensors))
    return plist[0], originals


def measure(module: nn.Module, name: str = "weight") -> Measurement:
    """Measure the guaranteed quantity of a parametrized ``module.<name>``.

    For a stack of blocks ``(*, m, n)`` the measurement is per block (``Measurement.blocks``,
    ``Measurement.block_holds()``).

    Args:
        module: a module parametrized by one of this package's registrars.
        name: the parametrized tensor.

    Returns:
        A :class:`Measurement` (values, bounds, violation, default tolerance).

    Raises:
        ValueError: the tensor is not parametrized by exactly one neurodyn parametrization.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> lin = P.skew_symmetric(torch.nn.Linear(3, 3), gamma=0.5)
        >>> P.measure(lin).holds()
        True
    """
    p, originals = parametrization_of(module, name)
    with torch.no_grad():
        W = getattr(module, name)
    return p.measure(W, *originals)


def check(module: nn.Module, name: str = "weight", *, atol: float | None = None) -> bool:
    """Whether ``module.<name>`` (every block of a stack) satisfies its guarantee within ``atol``.

    ``atol`` defaults to ``default_atol`` of the measured matrix: ``max(floor, 4·n·eps)`` times
    ``max(1, ‖·‖₂)``, with floors 1e-5 (float32) and 1e-10 (float64) — the rounding of the
    forward pass in the dtype the weight was built in, not a slack on the guarantee.
    """
    return measure(module, name).holds(atol)


def contraction_metric(module: nn.Module, name: str = "weight") -> Tensor:
    """The metric ``P = Φ²`` certifying a ``contracting_svd`` weight, ``(*, n, n)``."""
    p, originals = parametrization_of(module, name)
    if not isinstance(p, ContractingSVD):
        raise ValueError(f"{name} is parametrized by {p.name}, not contracting_svd.")
    return torch.diag_embed(torch.exp(2 * originals[0].detach()))


def orthogonality_penalty(module: nn.Module, name: str = "weight") -> Tensor:
    """Drgoňa et al. 2022, eq. 22 for a ``spectral_svd(..., soft=True)`` weight (differentiable).

    ``Σ_{X∈{U,V}} ‖I − XXᵀ‖_F + ‖I − XᵀX‖_F`` for square factors; for a tall factor (m×r, r < m)
    only ``‖I_r − XᵀX‖_F`` — ``I − XXᵀ`` has rank ≥ m − r and can never vanish (the paper's
    formula assumes square factors). The paper writes ``‖·‖₂``; we use the Frobenius norm. For a
    stack, the sum over blocks.

    Raises:
        ValueError: the weight is not parametrized with ``spectral_svd(..., soft=True)``; the
            exact variant needs no penalty (its factors are orthonormal by construction).
    """
    p, originals = parametrization_of(module, name)
    if not isinstance(p, SoftSpectralSVD):
        raise ValueError(
            f"{name} is parametrized by {p.name}; orthogonality_penalty applies to "
            "spectral_svd(..., soft=True) only (the exact variant is orthogonal by construction)."
        )
    total = originals[0].new_zeros(())
    for X in originals[:2]:
        r = X.shape[-1]
        eye_r = torch.eye(r, dtype=X.dtype, device=X.device)
        total = total + torch.linalg.matrix_norm(eye_r - X.mT @ X).sum()
        if X.shape[-2] == r:
            total = total + torch.linalg.matrix_norm(eye_r - X @ X.mT).sum()
    return total


def certificate(
    module: nn.Module, name: str = "weight", *, atol: float | None = None
) -> Certificate:
    """The guarantee of a parametrized ``module.<name>`` as a :class:`neurodyn._core.Certificate`.

    ``kind="proof"`` for a guaranteed constraint: the violation is bounded from well-conditioned
    float64 quantities of the weight as stored (singular values, the numerical range
    ``(W + Wᵀ)/2``, Gershgorin discs of ``W``, row sums; see ``_proofs``) and rounded up by
    ``8·n·eps64·‖·‖_F``; ``holds`` when that bound is ≤ ``atol`` (default: the measurement's
    rounding-aware tolerance, i.e. the rounding of the forward pass in the weight's dtype). The
    soft variant (no guarantee) gives ``kind="sampled"``: a measurement of this weight only. For a
    stack of blocks, the worst block.

    Args:
        module: a module parametrized by one of this package's registrars.
        name: the parametrized tensor.
        atol: the tolerance (default ``Measurement.atol``).

    Returns:
        A ``Certificate`` named after the constraint, ``margin = atol − bound``, with the
        measurement in ``evidence``.

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> cert = P.certificate(P.spectral_svd(torch.nn.Linear(4, 4), sigma_min=0, sigma_max=1))
        >>> cert.kind, cert.holds
        ('proof', True)
    """
    p, originals = parametrization_of(module, name)
    with torch.no_grad():
        W = getattr(module, name)
    m = p.measure(W, *originals)
    tol = m.atol if atol is None else float(atol)
    spec = CONSTRAINTS.get(p.name)
    guarantee = spec.guarantee if spec is not None else m.quantity
    proven = p.proven(W, *originals) if m.guaranteed else None
    evidence = {
        "quantity": m.quantity,
        "lower": m.lower,
        "upper": m.upper,
        "violation": m.violation,
        "atol": tol,
        "dtype": str(W.dtype).removeprefix("torch."),
        "shape": list(W.shape),
        "blocks": max(1, len(m.blocks)),
    }
    if proven is not None:
        bound, how = proven
        evidence["proven_violation"] = bound
        return Certificate(
            name=p.name, holds=bound <= tol, margin=tol - bound, kind="proof",
            method=f"{how}; bound on the violation {bound:.3e} vs atol {tol:.3e}",
            conclusion=f"{guarantee} (to within atol = {tol:.3e}, the forward pass's rounding)",
            assumptions=(
                "LAPACK float64 SVD / symmetric eigensolver backward error ≤ 8·n·eps64·‖W‖_F",
            ),
            evidence=evidence,
        )  # fmt: skip
    return Certificate(
        name=p.name, holds=m.holds(tol), margin=tol - m.violation, kind="sampled",
        method=f"measured {m.quantity} in float64 (not rounded up)",
        conclusion=f"this weight's {m.quantity} within [{m.lower:.6g}, {m.upper:.6g}] at the "
        "time of measurement; nothing is guaranteed after further training",
        evidence=evidence,
    )  # fmt: skip
