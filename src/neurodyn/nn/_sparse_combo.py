"""Sparse Combo Net (Kozachkov et al. 2022, Sec. 3, App. 5.4.1): contracting blocks in feedback.

``τẋ = −x + Wφ(x) + Lx + W_in u + b_in``, ``y = W_out x + b_out``, ``W = blockdiag(W_1..W_p)``.

* ``blocks="sparse"``: each ``W_i`` (C × C) drawn by Theorem-1 rejection sampling — density d,
  entries uniform in ``[−pre_scale, pre_scale]``, zero diagonal; a candidate is kept when
  ``g|W_i| − I`` is Hurwitz, i.e. ``ρ(g|W_i|) < 1`` (nonnegative matrix), which we test by one
  batched linear solve: ``x = (I − g|W_i|)⁻¹1 > 0`` ⇔ ``ρ < 1`` (M-matrix / Collatz–Wielandt);
  kept blocks are multiplied by ``post_scale ≤ 1``, then frozen (buffers). Block metric: the
  diagonal of the Lyapunov solution ``M_iA_i + A_iᵀM_i = −I`` (``A_i = g|W_i| − I``), as the
  paper does, kept only if it passes Theorem 1's inequality; otherwise Theorem 1's exact
  diagonal metric ``diag(w/v)`` (``w = (I − g|W_i|)⁻ᵀ1``, ``v = (I − g|W_i|)⁻¹1``).
* ``blocks="svd"``: each ``W_i = Φ_i⁻¹U_iΣ_iV_iᵀΦ_i`` trained through
  ``parametrizations.contracting_svd`` (Theorem 5, batched over blocks), metric ``Φ_i²``.
* Interconnection ``L = B − M⁻¹BᵀM`` from a trained strictly block-lower-triangular B, so that
  ``ML + LᵀM = 0`` with ``M = blockdiag(M_i)``: the network contracts in M whatever B is.
  (The public kozleo/rnns-of-rnns code uses ``B − MBᵀM⁻¹``, which does not keep this.)

Trainable parameters (sparse blocks): ``(n² − pC²)/2 + i·n + n·o + n + o`` (App. 5.4.1).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import torch
from torch import Tensor, nn

__all__ = ["SparseComboNet", "sample_theorem1_blocks"]

_ACTS = {"relu": (torch.relu, 1.0), "tanh": (torch.tanh, 1.0)}


def sample_theorem1_blocks(
    num_blocks: int, block_size: int, *, density: float, pre_scale: float,
    post_scale: float = 1.0, g: float = 1.0, batch: int = 2048,
    max_candidates: int = 200_000, generator: torch.Generator | None = None,
) -> tuple[Tensor, dict]:  # fmt: skip
    """Draw ``num_blocks`` blocks satisfying Kozachkov et al. 2022, Thm. 1 (module docstring).

    Vectorised: candidates are drawn ``batch`` at a time and tested by one batched solve.

    Returns:
        ``(W, stats)``: W ``(p, C, C)`` float64 (post-scaled), stats with ``drawn``,
        ``accepted``, ``acceptance_rate``.

    Raises:
        ValueError: bad density/scales (``post_scale`` must be in (0, 1] to keep the guarantee).
        RuntimeError: the budget ``max_candidates`` ran out; names the acceptance rate seen.
    """
    if not 0 < density <= 1:
        raise ValueError(f"density must be in (0, 1], got {density}.")
    if not pre_scale > 0 or not 0 < post_scale <= 1:
        raise ValueError(
            f"need pre_scale > 0 and 0 < post_scale ≤ 1 (a post scale > 1 can break Theorem 1), "
            f"got pre_scale={pre_scale}, post_scale={post_scale}."
        )
    C = block_size
    kept, drawn, accepted, passed = [], 0, 0, 0
    ones = torch.ones(C, 1, dtype=torch.float64)
    eye = torch.eye(C, dtype=torch.float64)
    while accepted < num_blocks:
        if drawn >= max_candidates:
            rate = passed / max(drawn, 1)
            raise RuntimeError(
                f"Theorem-1 rejection sampling filled only {accepted} of {num_blocks} blocks of "
                f"size {C} in {drawn} candidates (acceptance rate {rate:.3%}). Lower density or "
                "pre_scale, or raise max_candidates."
            )
        k = min(batch, max_candidates - drawn)
        opts = {"dtype": torch.float64, "generator": generator}
        mask = torch.rand(k, C, C, **opts) < density
        W = (2 * torch.rand(k, C, C, **opts) - 1) * pre_scale * mask
        W.diagonal(dim1=-2, dim2=-1).zero_()
        x = torch.linalg.solve(eye - g * W.abs(), ones.expand(k, C, 1))
        ok = torch.isfinite(x).all(dim=(-2, -1)) & (x > 0).all(dim=(-2, -1))
        good = W[ok]
        passed += len(good)
        kept.append(good[: num_blocks - accepted])
        accepted += min(len(good), num_blocks - accepted)
        drawn += k
    W = torch.cat(kept) * post_scale
    return W, {"drawn": drawn, "passed": passed, "acceptance_rate": passed / drawn}


def _block_metric(W: np.ndarray, g: float) -> tuple[np.ndarray, str]:
    """Diagonal metric of a Theorem-1 block (module docstring): Lyapunov diagonal, else w/v."""
    C = len(W)
    A = g * np.abs(W) - np.eye(C)
    M = scipy.linalg.solve_continuous_lyapunov(A.T, -np.eye(C))
    p = np.diag(M).copy()
    S = p[:, None] * A + A.T * p[None, :]
    if (p > 0).all() and np.linalg.eigvalsh(S)[-1] < -1e-9 * np.abs(S).max():
        return p / p.max(), "lyapunov"
    v = np.linalg.solve(-A, np.ones(C))
    w = np.linalg.solve(-A.T, np.ones(C))
    p = w / v
    return p / p.max(), "theorem1"


class SparseComboNet(nn.Module):
    """Sparse Combo Net: p contracting C-unit blocks in metric-skew feedback (module docstring).

    Args:
        input_size, output_size: i and o.
        num_blocks, block_size: p and C (n = p·C units).
        blocks: ``"sparse"`` (Theorem-1 rejection sampling, frozen) or ``"svd"`` (Theorem 5,
            trained through ``contracting_svd``).
        density, pre_scale, post_scale: the sampler's settings (Kozachkov et al. 2022 App. 5.4.1;
            defaults: the paper's 16×32 best, 3.3 % density, entries in [−6, 6]).
        tau, dt: eq. 1's time constant and the Euler step of the forward pass.
        activation: ``"relu"`` (the paper's) or ``"tanh"``; slope bound 1.
        batch_first: inputs ``(B, T, i)`` if True (default), else ``(T, B, i)``.
        max_candidates: the sampler's budget; generator: its RNG; dtype: parameter dtype.

    Forward: ``net(x, h0=None) → (outputs, h_n)``: ``outputs`` the readout ``W_out x_t + b_out``
    at every step, ``(B, T, o)`` (``(T, B, o)`` if not batch_first; logits for classification
    are ``outputs[:, -1]``), ``h_n`` the final state ``(B, n)``.

    Example:
        >>> import torch
        >>> from neurodyn.nn import SparseComboNet
        >>> net = SparseComboNet(1, 10, num_blocks=4, block_size=8, density=0.3, pre_scale=1.0)
        >>> out, h = net(torch.randn(2, 5, 1))
        >>> out.shape, h.shape
        (torch.Size([2, 5, 10]), torch.Size([2, 32]))
    """

    def __init__(
        self, input_size: int, output_size: int, num_blocks: int = 16, block_size: int = 32, *,
        blocks: str = "sparse", density: float = 0.033, pre_scale: float = 6.0,
        post_scale: float = 1.0, tau: float = 1.0, dt: float = 0.1, activation: str = "relu",
        batch_first: bool = True, max_candidates: int = 200_000,
        generator: torch.Generator | None = None, dtype: torch.dtype | None = None,
    ):  # fmt: skip
        super().__init__()
        if activation not in _ACTS:
            raise ValueError(f"activation must be one of {sorted(_ACTS)}, got {activation!r}.")
        if blocks not in ("sparse", "svd"):
            raise ValueError(f"blocks must be 'sparse' or 'svd', got {blocks!r}.")
        if not (tau > 0 and dt > 0):
            raise ValueError(f"tau and dt must be positive, got tau={tau}, dt={dt}.")
        self.input_size, self.output_size = int(input_size), int(output_size)
        self.num_blocks, self.block_size = int(num_blocks), int(block_size)
        self.hidden_size = n = self.num_blocks * self.block_size
        self.blocks_kind, self.activation = blocks, activation
        self.phi, self.slope_bound = _ACTS[activation]
        self.tau, self.dt, self.batch_first = float(tau), float(dt), bool(batch_first)
        dtype = dtype or torch.get_default_dtype()
        g = self.slope_bound
        p, C = self.num_blocks, self.block_size
        if blocks == "sparse":
            W, self.sampler_stats = sample_theorem1_blocks(
                p, C, density=density, pre_scale=pre_scale, post_scale=post_scale, g=g,
                max_candidates=max_candidates, generator=generator,
            )  # fmt: skip
            mets, how = zip(*(_block_metric(w, g) for w in W.numpy()), strict=True)
            self.metric_source = tuple(how)
            self.register_buffer("_block_weights", W.to(dtype))
            self.register_buffer("_block_metrics", torch.tensor(np.stack(mets), dtype=dtype))
        else:
            from neurodyn.nn.parametrizations import contracting_svd

            holder = nn.Module()
            holder.weight = nn.Parameter(torch.zeros(p, C, C, dtype=dtype))
            contracting_svd(holder, g=g, init="random", generator=generator)
            self.svd = holder
            self.sampler_stats, self.metric_source = {}, ("phi",) * p
        rows, cols = [], []
        for bi in range(p):
            for bj in range(bi):
                r, c = np.meshgrid(np.arange(C) + bi * C, np.arange(C) + bj * C, indexing="ij")
                rows.append(r.ravel())
                cols.append(c.ravel())
        idx = np.concatenate(rows) if rows else np.zeros(0, int)
        jdx = np.concatenate(cols) if cols else np.zeros(0, int)
        self.register_buffer("_rows", torch.as_tensor(idx, dtype=torch.long))
        self.register_buffer("_cols", torch.as_tensor(jdx, dtype=torch.long))
        gen_opts = {"generator": generator, "dtype": dtype}
        self.coupling = nn.Parameter(torch.randn(len(idx), **gen_opts) / n**0.5)
        self.input_layer = nn.Linear(self.input_size, n, dtype=dtype)
        self.output_layer = nn.Linear(n, self.output_size, dtype=dtype)

    # -- weights ----------------------------------------------------------------------------

    @property
    def block_weights(self) -> Tensor:
        """The blocks ``W_i``, ``(p, C, C)``."""
        return self._block_weights if self.blocks_kind == "sparse" else self.svd.weight

    @property
    def block_metrics(self) -> Tensor:
        """The diagonal of each block's metric ``M_i``, ``(p, C)``."""
        if self.blocks_kind == "sparse":
            return self._block_metrics
        return torch.exp(2 * self.svd.parametrizations.weight.original0)

    def interconnection(self) -> Tensor:
        """``L = B − M⁻¹BᵀM`` ``(n, n)`` (differentiable in B and, for svd blocks, in M)."""
        n = self.hidden_size
        B = self.coupling.new_zeros(n, n).index_put((self._rows, self._cols), self.coupling)
        m = self.block_metrics.reshape(n).to(B.dtype)
        return B - B.T * m[None, :] / m[:, None]

    def recurrent_matrix(self) -> Tensor:
        """``blockdiag(W_i)`` ``(n, n)``."""
        return torch.block_diag(*self.block_weights.unbind(0))

    # -- dynamics ---------------------------------------------------------------------------

    def _field(self, h, u, W, L):
        return (-h + self.phi(h) @ W.T + h @ L.T + u) / self.tau

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(
                f"SparseComboNet expects input (B, T, {self.input_size}) (batch_first="
                f"{self.batch_first}), got {tuple(x.shape)}."
            )
        if not self.batch_first:
            x = x.transpose(0, 1)
        Bsz, T, _ = x.shape
        n = self.hidden_size
        h = x.new_zeros(Bsz, n) if h0 is None else h0
        if h.shape != (Bsz, n):
            raise ValueError(f"h0 must be ({Bsz}, {n}), got {tuple(h.shape)}.")
        U = self.input_layer(x)
        W, L = self.recurrent_matrix(), self.interconnection()
        states = []
        for t in range(T):
            h = h + self.dt * self._field(h, U[:, t], W, L)
            states.append(h)
        out = self.output_layer(torch.stack(states, 1))
        return (out if self.batch_first else out.transpose(0, 1)), h

    def __neurodyn_map__(self):
        """The Euler step of the CT-RNN dynamics as a ``FlowMap`` with its analytic Jacobian.

        Input of the map: the raw input ``(B, i)``; a snapshot of the current weights.
        Jacobian of the field: ``(−I + W diag(φ'(h)) + L)/τ``.
        """
        from neurodyn.systems import FlowMap

        with torch.no_grad():
            W, L = self.recurrent_matrix().detach(), self.interconnection().detach()
            Win, bin_ = self.input_layer.weight.detach(), self.input_layer.bias.detach()
        act, tau, n = self.activation, self.tau, self.hidden_size
        cache: dict = {}

        def weights(like):  # the snapshot in the state's dtype and device (follows the input)
            key = (like.dtype, like.device)
            if key not in cache:
                cache[key] = [z.to(like) for z in (W, L, Win, bin_)]
            return cache[key]

        def field(h, x):
            W_, L_, Win_, b_ = weights(h)
            return self._field(h, x @ Win_.T + b_, W_, L_)

        def jac(h, x):
            W_, L_, _, _ = weights(h)
            d = (h > 0).to(h.dtype) if act == "relu" else 1 - torch.tanh(h) ** 2
            eye = torch.eye(n, dtype=h.dtype, device=h.device)
            return (-eye + W_[None] * d[:, None, :] + L_[None]) / tau

        return FlowMap(
            field, self.dt, "euler", dim=n, input_size=self.input_size,
            vector_field_jacobian=jac,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.output_size}, num_blocks={self.num_blocks}, "
            f"block_size={self.block_size}, blocks={self.blocks_kind!r}, tau={self.tau}, "
            f"dt={self.dt}, activation={self.activation!r}"
        )
