"""``Measurement`` (what a constraint guarantees, measured on the weight) and its tolerance."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["Measurement", "default_atol", "stack_measurements", "violation"]

# Floors of the relative membership tolerance, multiplied by max(1, ‖X‖₂) of the measured matrix.
# float32: the forward passes round at ~n·eps ≈ 1e-6 for n ≤ 8 (eps = 1.2e-7), with ×10 room for
# eigenvalue conditioning. float64: ~5e5·eps, room for eigenvalue condition numbers up to ~1e4 of
# the non-normal matrices (Perron–Frobenius, complex Gershgorin).
_RELATIVE_ATOL = {torch.float32: 1e-5, torch.float64: 1e-10}
# The size-dependent part: c·n·eps, the worst-case rounding of a length-n inner product (Higham
# 2002, eq. 3.5) with c = 4 for the two to three products a forward pass chains.
_ROUNDING_C = 4.0


def _rel(dtype: torch.dtype, n: int) -> float:
    eps = torch.finfo(dtype).eps
    return max(_RELATIVE_ATOL.get(dtype, 100 * eps), _ROUNDING_C * n * eps)


@dataclass(frozen=True)
class Measurement:
    """What a constraint guarantees, measured on the current weight.

    For a stack of blocks (a weight of shape ``(*, m, n)``) the guarantee is per block: ``blocks``
    holds one :class:`Measurement` per block (in row-major order of the leading dimensions), and
    the stack's fields summarise them (``values`` stacked to ``(*, k)``, the loosest ``lower`` and
    ``upper``, the largest ``violation``); all blocks share the stack's ``atol``, so the stack
    holds exactly when every block does.

    Attributes:
        constraint: the constraint's name (a ``CONSTRAINTS`` key, or ``"spectral_svd_soft"``).
        quantity: what ``values`` are, in words.
        values: the measured quantity (float64 or complex128, computed in float64).
        lower: the guaranteed lower bound on ``values`` (``-inf`` where there is none).
        upper: the guaranteed upper bound on ``values``.
        violation: how far the weight lies outside the guaranteed set, in the units of ``values``
            (``≤ 0`` inside; the maximum over all sub-conditions listed in ``quantity``).
        atol: the default tolerance :meth:`holds` compares ``violation`` with
            (:func:`default_atol` of the measured matrix).
        guaranteed: ``False`` for the soft (regularised) variant, whose bounds are only targets.
        blocks: per-block measurements of a stack; ``()`` for a single matrix.
    """

    constraint: str
    quantity: str
    values: Tensor
    lower: float
    upper: float
    violation: float
    atol: float
    guaranteed: bool = True
    blocks: tuple[Measurement, ...] = ()

    def holds(self, atol: float | None = None) -> bool:
        """``violation ≤ atol`` (the default tolerance when ``atol`` is None)."""
        return self.violation <= (self.atol if atol is None else atol)

    def block_holds(self, atol: float | None = None) -> Tensor:
        """Per block of a stack, whether it holds: a bool tensor of the stack's batch shape.

        For a single matrix, a 0-d tensor equal to :meth:`holds`.
        """
        if not self.blocks:
            return torch.tensor(self.holds(atol))
        flags = torch.tensor([b.holds(atol) for b in self.blocks])
        return flags.reshape(self.values.shape[:-1])

    @property
    def block_violations(self) -> Tensor:
        """Per block of a stack, the violation (float64, the stack's batch shape)."""
        if not self.blocks:
            return torch.tensor(self.violation, dtype=torch.float64)
        v = torch.tensor([b.violation for b in self.blocks], dtype=torch.float64)
        return v.reshape(self.values.shape[:-1])


def default_atol(W: Tensor, dtype: torch.dtype | None = None) -> float:
    """The default membership tolerance for ``W``: ``rel(dtype, n) · max(1, ‖W‖₂)``.

    ``rel = max(floor, 4·n·eps)`` with ``n`` the larger side of ``W``, ``eps`` the machine epsilon
    of ``dtype`` and ``floor`` 1e-5 for float32, 1e-10 for float64 (100·eps for other dtypes):
    the constructions are exact in exact arithmetic, so the tolerance only has to absorb the
    rounding of the forward pass (``4·n·eps`` bounds the chained length-n inner products, Higham
    2002 eq. 3.5; it exceeds the float32 floor from n = 21 on) and the conditioning of the
    eigenvalue solver (the floors). ``dtype`` (default ``W.dtype``) is the precision the matrix
    was built in, when ``W`` is an upcast copy. For a stack ``(*, m, n)`` the largest block norm.
    """
    dtype = W.dtype if dtype is None else dtype
    n = max(W.shape[-2:]) if W.ndim >= 2 else 1
    if W.numel() == 0:
        return _rel(dtype, n)
    scale = float(torch.linalg.matrix_norm(W.detach().double(), ord=2).max())
    return _rel(dtype, n) * max(1.0, scale)


def violation(values: Tensor, lower: float, upper: float) -> float:
    """``max(lower − min(values), max(values) − upper)`` (0 for no values)."""
    if values.numel() == 0:
        return 0.0
    return max(float(lower - values.min()), float(values.max() - upper))


def stack_measurements(blocks: list[Measurement], batch: tuple[int, ...]) -> Measurement:
    """The stack's :class:`Measurement` from its per-block ones (one shared ``atol``)."""
    atol = max(b.atol for b in blocks)
    blocks = [dataclasses.replace(b, atol=atol) for b in blocks]
    first = blocks[0]
    return Measurement(
        first.constraint,
        f"{first.quantity}; per block of a {tuple(batch)} stack (see .blocks)",
        torch.stack([b.values for b in blocks]).reshape(*batch, -1),
        min(b.lower for b in blocks),
        max(b.upper for b in blocks),
        max(b.violation for b in blocks),
        atol,
        first.guaranteed,
        tuple(blocks),
    )
