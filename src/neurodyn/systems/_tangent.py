"""``TangentMap``: a Map's state together with k tangent vectors, the system every Lyapunov
algorithm iterates.

One step maps (h, Q) to (F(h, x), J Q) with J = ∂F/∂h at (h, x) — the state the step starts
from — and Q an ``(n, k)`` frame of tangent vectors (Benettin et al. 1980; Shimada & Nagashima
1979). Every ``t_on`` steps the frame can be reorthonormalised, J Q = Q' R, so it never
overflows; log|R_ii| are the growth factors the Lyapunov exponents average. This is the
tangent-space derived system of DynamicalSystemsBase (``TangentDynamicalSystem``): the spectrum,
the covariant vectors and the attractor classifier all step it instead of each writing the loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn._core import DivergenceError
from neurodyn.systems._as_map import complete_map
from neurodyn.systems._map import MapBase

__all__ = ["SMALL_PROBLEM", "TangentBlock", "TangentMap", "check_finite", "few_threads"]


def check_finite(value: Tensor, what: str, first: int, last: int, advice: str) -> None:
    """Raise :class:`DivergenceError` if a row of ``value`` ``(B, ...)`` is NaN or inf.

    ``first``/``last``: the 1-based steps of the stretch checked (equal when checked every step).
    """
    finite = torch.isfinite(value.reshape(value.shape[0], -1)).all(dim=1)
    if bool(finite.all()):
        return
    bad = (~finite).nonzero().flatten().tolist()
    when = f"at step {last}" if first == last else f"between steps {first} and {last}"
    noun = "state" if what == "state" else "tangent vectors"
    raise DivergenceError(
        f"the {noun} became NaN or inf {when} (counting warm-up steps from 1), in batch "
        f"row(s) {bad[:10]}{' …' if len(bad) > 10 else ''}; {advice}",
        step=last,
        first_step=first,
        rows=bad,
        what=what,
    )


def _check_rank(R: Tensor, first: int, last: int, t_on: int) -> None:
    """Raise if the frame lost rank over a block of several steps: |R_ii| below 64 ε·max|R_jj|
    means column i was computed from rounding error (exponent gap × t_on ≳ −ln ε ≈ 36 in
    float64), so its exponent would be noise or −inf."""
    d = torch.diagonal(R, dim1=-2, dim2=-1).abs()
    if d.shape[-1] < 2:
        return
    eps = torch.finfo(R.dtype).eps
    lost_cols = d <= 64 * eps * d.amax(-1, keepdim=True)  # (B, k)
    lost = lost_cols.any(-1)
    if not bool(lost.any()):
        return
    bad = lost.nonzero().flatten().tolist()
    keep = int(lost_cols.any(0).float().argmax())  # columns before the first lost one are fine
    raise DivergenceError(
        f"the tangent vectors became numerically parallel between steps {first} and {last} "
        f"(|R_ii| / max|R_jj| ≤ 64 ε) in batch row(s) {bad[:10]}{' …' if len(bad) > 10 else ''}"
        f": the exponents are too far apart for t_on = {t_on} (gap × t_on must stay well below "
        f"−ln ε = {-math.log(eps):.0f}); use a smaller t_on"
        + (f", or k ≤ {keep} exponents (column {keep + 1} on lost rank)." if keep else "."),
        step=last,
        first_step=first,
        rows=bad,
        what="tangent",
    )


@dataclass(frozen=True)
class TangentBlock:
    """What :meth:`TangentMap.blocks` yields after each reorthonormalisation.

    Attributes:
        done: steps taken so far in this call (1-based count).
        length: steps since the previous QR (``t_on``, or fewer for the last block).
        h: ``(B, n)`` the state after ``done`` steps.
        Q: ``(B, k_t, k)`` the orthonormal frame after the QR.
        R: ``(B, k, k)`` its triangular factor: J_{block} Q_prev = Q R.
    """

    done: int
    length: int
    h: Tensor
    Q: Tensor
    R: Tensor


class TangentMap:
    """A Map together with k tangent vectors: (h, Q) ↦ (F(h, x), J(h, x) Q), with QR every
    ``t_on`` steps.

    It reuses one ``(B, k_t, k_t)`` Jacobian buffer (``step_and_jacobian(..., out=)``, written
    in place by maps that can, such as :class:`~neurodyn.systems.TorchRNNMap`) and two
    alternating ``(B, k_t, k)`` buffers for J Q, so large Jacobians are allocated once per run.

    Args:
        map: any Map (``complete_map`` is applied).
        k: number of tangent vectors (default: the map's ``tangent_dim``).
        t_on: steps between QR factorisations in :meth:`blocks`.
        qr_method: the :func:`neurodyn.lyapunov.qr` method (``"householder"``, ``"cholesky"``,
            ``"auto"``); the QR itself is passed in as ``qr`` to keep this layer below
            ``neurodyn.lyapunov``.

    Example:
        >>> import torch
        >>> from neurodyn.systems import Henon, TangentMap
        >>> tm = TangentMap(Henon(), k=2)
        >>> h = torch.ones(1, 2, dtype=torch.float64)
        >>> Q = torch.eye(2, dtype=torch.float64).expand(1, 2, 2)
        >>> h1, Q1 = tm.step(h, Q)
        >>> Q1[0].tolist()   # J at (1, 1) is [[-2a, 1], [b, 0]]
        [[-2.8, 1.0], [0.3, 0.0]]
    """

    def __init__(self, map, k: int | None = None, *, t_on: int = 1):
        self.map: MapBase = complete_map(map)
        kt = self.map.tangent_dim
        k = kt if k is None else k
        if not isinstance(k, int) or not 1 <= k <= kt:
            raise ValueError(f"k must be an int in [1, {kt}] (the tangent dimension), got {k!r}.")
        if not isinstance(t_on, int) or t_on < 1:
            raise ValueError(f"t_on must be a positive int, got {t_on!r}.")
        self.k, self.t_on = k, t_on
        self.dim, self.tangent_dim = self.map.dim, kt
        self.input_size, self.dt = self.map.input_size, float(self.map.dt)
        self._j_buf: Tensor | None = None
        self._q_bufs: list[Tensor] = []

    def __repr__(self) -> str:
        return f"TangentMap({self.map!r}, k={self.k}, t_on={self.t_on})"

    def _buffers(self, Q: Tensor) -> None:
        B, kt = Q.shape[0], self.tangent_dim
        j = self._j_buf
        if j is None or j.shape != (B, kt, kt) or j.dtype != Q.dtype or j.device != Q.device:
            self._j_buf = Q.new_empty(B, kt, kt)
            self._q_bufs = [torch.empty_like(Q), torch.empty_like(Q)]

    def step(self, h: Tensor, Q: Tensor, x: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One step: ``(F(h, x), J(h, x) Q)`` with h ``(B, n)`` and Q ``(B, k_t, k)``.

        The returned frame lives in one of two internal buffers: it stays valid through the
        next call, so copy it if you keep it longer (a QR makes a fresh tensor anyway). With
        gradients enabled (``torch.is_grad_enabled()``, as in a differentiable spectrum) no
        buffer is reused, so autograd can keep every step's J and Q.
        """
        if torch.is_grad_enabled():  # a differentiable run: fresh tensors, no out= buffers
            h_new, J = self.map.step_and_jacobian(h, x)
            return h_new, torch.bmm(J, Q)
        self._buffers(Q)
        h_new, J = self.map.step_and_jacobian(h, x, out=self._j_buf)
        bufs = self._q_bufs
        target = bufs[0] if Q.data_ptr() != bufs[0].data_ptr() else bufs[1]
        return h_new, torch.bmm(J, Q, out=target)

    def blocks(
        self,
        h: Tensor,
        Q: Tensor,
        steps: int,
        qr: Callable[[Tensor], tuple[Tensor, Tensor]],
        *,
        inputs: Tensor | None = None,
        offset: int = 0,
        check: bool = True,
    ) -> Iterator[TangentBlock]:
        """Step ``steps`` times, factor the frame every ``t_on`` steps and after the last.

        Args:
            h, Q: the state ``(B, n)`` and frame ``(B, k_t, k)`` to start from.
            steps: number of steps.
            qr: the QR factorisation ``(B, k_t, k) → (Q, R)``.
            inputs: ``(B, T, input_size)`` for driven maps; step t reads ``inputs[:, offset+t]``.
            offset: index of the first input (and the step count before this call, for the
                step numbers in error messages).
            check: raise :class:`DivergenceError` at each QR if the state (``what="state"``)
                or the tangent vectors (``what="tangent"``: they overflowed between QRs) are
                NaN or inf.

        Yields:
            :class:`TangentBlock` after each QR.
        """
        since = 0
        for t in range(steps):
            x = None if inputs is None else inputs[:, offset + t]
            h, Q = self.step(h, Q, x)
            since += 1
            if since == self.t_on or t + 1 == steps:
                first, last = offset + t + 2 - since, offset + t + 1
                # one fused test (a sum is non-finite if any entry is, or if it overflows,
                # which the detailed checks then clear); it costs one sync per block
                if check and not bool(torch.isfinite(h.sum() + Q.sum())):
                    check_finite(h, "state", first, last, "lower the input scale or check "
                                 "the model.")  # fmt: skip
                    check_finite(
                        Q,
                        "tangent",
                        first,
                        last,
                        f"the tangent vectors grew past the float range over t_on = {self.t_on}"
                        " steps; use a smaller t_on (growth e^(λ₁·t_on) must stay below "
                        f"{torch.finfo(Q.dtype).max:.3g}).",
                    )
                Q, R = qr(Q)
                if check and since > 1:
                    _check_rank(R, first, last, self.t_on)
                yield TangentBlock(t + 1, since, h, Q, R)
                since = 0


#: Below this many Jacobian entries per step (B·k_t²), torch's thread pool costs more than it
#: gives: a batched 2×2 QR took ~850 µs with 2 threads on a loaded 2-core machine, ~8 µs with 1.
SMALL_PROBLEM = 1 << 14


@contextmanager
def few_threads(batch: int, width: int):
    """Run the block with one intra-op thread when a step's tensors are tiny (B·width² below
    :data:`SMALL_PROBLEM`): small problems must not pay for threads they cannot use. The
    previous thread count is restored on exit."""
    before = torch.get_num_threads()
    if batch * width * width >= SMALL_PROBLEM or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
