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

**The step that is run** (h = dt/τ, v = W_in u + b_in, D = diag φ'(x) ∈ [0, g]):

* ``method="imex"`` (default): the linear part (−I + L)/τ implicit, Wφ(x) explicit,
  ``((1 + h)I − hL) x' = x + h(Wφ(x) + v)``, solved exactly (one n×n solve per forward).
  Jacobian ``J = R(I + hWD)``, ``R = ((1 + h)I − hL)⁻¹``. In the metric M,
  ``M^½LM^-½ = S`` is skew (``ML + LᵀM = 0``), so ``(1 + h)I − hS`` is normal with singular
  values ``|1 + h − iωh| ≥ 1 + h``: ``‖R‖_M ≤ 1/(1 + h)`` **whatever the trained B**, and
  ``‖J‖_M ≤ κ(h) = max_i ‖I + hW_iD_i‖_{M_i} / (1 + h)``. The stored L is the rounded result
  of ``B − M⁻¹BᵀM`` (float32: ``ML + LᵀM`` ~1e-7 relative, not 0), so the certificate uses
  ``1 + h − he/2`` in place of ``1 + h``, e ≥ ‖M^-½(ML + LᵀM)M^-½‖₂ bounded from the stored
  weights (:func:`neurodyn.contraction.skew_residual`): B enters only through e. Per block
  (P_i = M_i diagonal),
  ``‖I + hW_iD_i‖_{M_i} ≤ ‖I + h g P_i^½|W_i|P_i^-½‖₂`` (sparse blocks: zero diagonal, so
  ``|I + hW_iD_i| ≤ I + hg|W_i|`` entrywise) or ``≤ 1 + hg‖Φ_iW_iΦ_i⁻¹‖₂`` (svd blocks,
  ``P_i = Φ_i²``). ``κ(h) < 1`` ⇔ ``JᵀMJ − M ≺ 0`` for every D: the step contracts in M
  (Kozachkov et al. 2022, App. 5.1, the discrete condition). For svd blocks
  ``g‖ΦWΦ⁻¹‖ < 1`` (Theorem 5) gives κ(h) < 1 for every h; for Theorem-1 blocks
  ``‖I + hN‖₂ − (1 + h)`` (N = gP^½|W|P^-½) is convex in h, 0 at h = 0 with slope
  ``λ_max(sym N) − 1 < 0`` (Theorem 1 in P), so the certified steps are an interval
  ``(0, h_max)``, found by bisection.
* ``method="euler"``: ``x' = x + h(−x + Wφ(x) + Lx + v)``, certified only by the carry-over
  bound ``dt < β/L²`` of :func:`neurodyn.contraction.discrete.carry_over` at the current
  weights. With the paper's blocks (3.3 % density, entries ±6) the block metrics span up to
  ~9 decades, ``‖M^½LM^-½‖₂`` is in the thousands and the Euler step at dt = 0.1 diverges
  (λ₁ ≈ +56 per unit time), although the flow contracts.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import torch
from torch import Tensor, nn

__all__ = ["SCN_METHODS", "SparseComboNet", "sample_theorem1_blocks", "step_bound"]

_ACTS = {"relu": (torch.relu, 1.0), "tanh": (torch.tanh, 1.0)}
#: the steps SparseComboNet can run (module docstring)
SCN_METHODS = ("imex", "euler")
#: the step used when dt is not given, if certified (else the largest certified step · 0.9)
_DEFAULT_DT = 0.1


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


def step_bound(
    W, metrics, h: float, *, g: float = 1.0, blocks: str = "sparse", skew_residual: float = 0.0
) -> float:
    """κ(h): ``‖J‖_M ≤ κ`` for the IMEX step's Jacobian at every slope pattern and every B.

    Args:
        W: the blocks ``(p, C, C)``. metrics: the diagonals of their metrics ``(p, C)``.
        h: dt/τ > 0. g: the slope bound. blocks: ``"sparse"`` (zero-diagonal Theorem-1
            blocks: ``‖I + hgP^½|W|P^-½‖₂``) or ``"svd"`` (``1 + hg‖P^½WP^-½‖₂``).
        skew_residual: an upper bound e on ``‖M^-½(ML + LᵀM)M^-½‖₂`` (0 for an exactly
            M-skew L; :func:`neurodyn.contraction.skew_residual` for stored weights).

    Returns ``max_i(block bound)/(1 + h − he/2)`` (module docstring for the derivation; the
    symmetric part of ``M^½LM^-½`` has norm ≤ e/2, so ``σ_min((1 + h)I − hM^½LM^-½) ≥ 1 + h −
    he/2``); the step contracts in ``M = blockdiag(diag(metrics))`` when it is < 1.
    """
    W = np.asarray(W, dtype=np.float64)
    r = np.sqrt(np.asarray(metrics, dtype=np.float64))
    X = r[:, :, None] * W / r[:, None, :]  # P^½ W P^-½, block by block
    if blocks == "sparse":
        if np.any(np.diagonal(W, axis1=1, axis2=2) != 0):
            raise ValueError("step_bound(blocks='sparse') needs zero-diagonal blocks.")
        eye = np.eye(W.shape[-1])
        norms = np.linalg.norm(eye + (h * g) * np.abs(X), 2, axis=(1, 2))
    else:
        norms = 1.0 + h * g * np.linalg.norm(X, 2, axis=(1, 2))
    low = 1.0 + h - 0.5 * h * skew_residual
    return float(norms.max() / low) if low > 0 else float("inf")


#: κ must be below 1 by this much to count (float64 rounding of the norms is ~1e-15)
_KAPPA_TOL = 1e-12


def _imex_h_max(W, metrics, g: float, blocks: str, e: float = 0.0, cap: float = 1e6) -> float:
    """The largest h with κ(h) < 1 (an interval (0, h_max), module docstring); inf if none."""

    def ok(h):
        return step_bound(W, metrics, h, g=g, blocks=blocks, skew_residual=e) < 1.0 - _KAPPA_TOL

    if ok(cap):
        return float("inf")
    lo, hi = 0.0, cap
    for _ in range(200):
        mid = 0.5 * (lo + hi) if lo > 0 else min(hi / 2, 1.0)
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
        if lo > 0 and hi - lo < 1e-6 * lo:
            break
    return lo


class SparseComboNet(nn.Module):
    """Sparse Combo Net: p contracting C-unit blocks in metric-skew feedback (module docstring).

    Args:
        input_size, output_size: i and o.
        num_blocks, block_size: p and C (n = p·C units).
        blocks: ``"sparse"`` (Theorem-1 rejection sampling, frozen) or ``"svd"`` (Theorem 5,
            trained through ``contracting_svd``).
        density, pre_scale, post_scale: the sampler's settings (Kozachkov et al. 2022 App. 5.4.1;
            defaults: the paper's 16×32 best, 3.3 % density, entries in [−6, 6]).
        tau: eq. 1's time constant.
        dt: the step (module docstring). None (default): 0.1 if the step is certified there,
            else 0.9 × the largest certified step (``dt_max``). A given dt that is not
            certified raises ValueError naming ``dt_max``: a step that does not contract
            makes a different, possibly diverging network than the contracting flow.
        method: ``"imex"`` (default: leak and interconnection implicit, certified for every
            trained B) or ``"euler"`` (certified at the initial weights only, by the
            carry-over bound; with the paper's blocks it needs dt ≲ 1e-6).
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
        post_scale: float = 1.0, tau: float = 1.0, dt: float | None = None,
        method: str = "imex", activation: str = "relu",
        batch_first: bool = True, max_candidates: int = 200_000,
        generator: torch.Generator | None = None, dtype: torch.dtype | None = None,
    ):  # fmt: skip
        super().__init__()
        if activation not in _ACTS:
            raise ValueError(f"activation must be one of {sorted(_ACTS)}, got {activation!r}.")
        if blocks not in ("sparse", "svd"):
            raise ValueError(f"blocks must be 'sparse' or 'svd', got {blocks!r}.")
        if method not in SCN_METHODS:
            raise ValueError(f"method must be one of {SCN_METHODS}, got {method!r}.")
        if not (tau > 0 and (dt is None or dt > 0)):
            raise ValueError(f"tau and dt must be positive, got tau={tau}, dt={dt}.")
        self.method = method
        self.input_size, self.output_size = int(input_size), int(output_size)
        self.num_blocks, self.block_size = int(num_blocks), int(block_size)
        self.hidden_size = n = self.num_blocks * self.block_size
        self.blocks_kind, self.activation = blocks, activation
        self.phi, self.slope_bound = _ACTS[activation]
        self.tau, self.batch_first = float(tau), bool(batch_first)
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
        self.dt = self._choose_dt(dt)

    def _choose_dt(self, dt: float | None) -> float:
        """The certified step (constructor docstring): ``dt`` checked, or chosen if None."""
        self.dt = _DEFAULT_DT if dt is None else float(dt)
        cert = self.step_certificate()
        if cert.holds:
            return self.dt
        dt_max = cert.evidence["dt_max"]
        if dt is None and self.method == "imex" and dt_max > 0:
            return 0.9 * dt_max
        fix = f"pass dt < {dt_max:.3g}" + (" or method='imex'" if self.method == "euler" else "")
        raise ValueError(
            f"SparseComboNet: the {self.method} step with dt = {self.dt:g} (τ = {self.tau:g}) "
            f"is not certified to contract in the blocks' metric (certificate {cert.name!r}, "
            f"largest certified dt = {dt_max:.3g}); {fix}."
        )

    def step_certificate(self):
        """Does the step that forward runs contract in the metric M = blockdiag(M_i)?

        ``"imex"``: κ(dt/τ) < 1 (:func:`step_bound`), a proof in which the interconnection B
        enters only through the rounding residual e of the stored ``L`` (evidence
        ``skew_residual``; 0 in exact arithmetic), so it holds through training for sparse
        blocks (frozen) and svd blocks (Theorem 5 keeps κ < 1 for every dt) while e stays
        below the margin. ``"euler"``: the carry-over bound at the current weights
        (:func:`neurodyn.contraction.discrete.carry_over`); training B can break it.

        Returns a :class:`neurodyn.Certificate` (kind "proof") with evidence ``dt``,
        ``dt_max`` (the largest certified step at these weights) and, for imex, ``kappa``.
        """
        from neurodyn.contraction._combination import skew_residual
        from neurodyn.contraction._common import make

        g, h = self.slope_bound, self.dt / self.tau
        with torch.no_grad():
            W = self.block_weights.detach().double().cpu().numpy()
            P = self.block_metrics.detach().double().cpu().numpy()
        if self.method == "euler":
            return self._euler_certificate(W, P)
        with torch.no_grad():  # the L forward runs, in the model's dtype, copied exactly
            L = self.interconnection().detach().double().cpu().numpy()
        # L is M-skew only up to the rounding of B − M⁻¹BᵀM in the model's dtype: bound it
        e = skew_residual(L, np.diag(P.reshape(-1)))
        kappa = step_bound(W, P, h, g=g, blocks=self.blocks_kind, skew_residual=e)
        dt_max = self.tau * _imex_h_max(W, P, g, self.blocks_kind, e)
        ok = kappa < 1.0 - _KAPPA_TOL
        return make(
            "scn_imex_step", ok, 1.0 - kappa, "proof",
            "‖J‖_M ≤ κ = max_i ‖I + hW_iD_i‖_{M_i}/(1 + h − he/2) for the IMEX step "
            "((1 + h)I − hL)x' = x + h(Wφ(x) + v), h = dt/τ, since M^½LM^-½ is skew up to the "
            "rounding residual e ≥ ‖M^-½(ML + LᵀM)M^-½‖₂ of the stored weights "
            "(Kozachkov et al. 2022, App. 5.1 discrete condition JᵀMJ − M ≺ 0)",
            f"the IMEX step with dt = {self.dt:g} contracts in M by κ = {kappa:.6g} per step "
            "for every slope pattern (the bound depends on B only through e)" if ok else
            f"not certified at dt = {self.dt:g}: κ = {kappa:.6g} ≥ 1",
            ("0 ≤ φ' ≤ g", "M = blockdiag(diag(block_metrics))"),
            kappa=kappa, dt=self.dt, dt_max=dt_max, h=h, skew_residual=e,
        )  # fmt: skip

    def _euler_certificate(self, W, P):
        from neurodyn.contraction._combination import block_rate
        from neurodyn.contraction._discrete import carry_over

        g, tau, n = self.slope_bound, self.tau, self.hidden_size
        beta = min(block_rate(w, np.diag(m), g=g, tau=tau)[0] for w, m in zip(W, P, strict=True))
        with torch.no_grad():
            L = self.interconnection().detach().double().cpu().numpy()
        Wfull = scipy.linalg.block_diag(*W)
        eye = np.eye(n)
        cert = carry_over(
            np.diag(P.reshape(n)), beta, (L - eye) / tau, Wfull / tau, eye, g=g, dt=self.dt,
            method="euler",
        )  # fmt: skip
        return cert

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

    def step_matrices(self) -> tuple[Tensor, Tensor, Tensor | None]:
        """``(P, Q, R)``: one step is ``x' = P x + Q φ(x) + h·R v`` (h = dt/τ, ``(n, n)`` each).

        Euler: ``P = (1 − h)I + hL``, ``Q = hW``, R = None (identity). IMEX: ``R = ((1 + h)I −
        hL)⁻¹``, ``P = R``, ``Q = hRW`` (one solve for both). Differentiable in B (and in the
        svd blocks).
        """
        n, h = self.hidden_size, self.dt / self.tau
        W, L = self.recurrent_matrix(), self.interconnection()
        eye = torch.eye(n, dtype=W.dtype, device=W.device)
        if self.method == "euler":
            return (1.0 - h) * eye + h * L, h * W, None
        RQ = torch.linalg.solve((1.0 + h) * eye - h * L, torch.cat([eye, h * W], 1))
        return RQ[:, :n], RQ[:, n:], RQ[:, :n]

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(
                f"SparseComboNet expects input (B, T, {self.input_size}) (batch_first="
                f"{self.batch_first}), got {tuple(x.shape)}."
            )
        if not self.batch_first:
            x = x.transpose(0, 1)
        Bsz = x.shape[0]
        n = self.hidden_size
        h = x.new_zeros(Bsz, n) if h0 is None else h0
        if h.shape != (Bsz, n):
            raise ValueError(f"h0 must be ({Bsz}, {n}), got {tuple(h.shape)}.")
        P, Q, R = self.step_matrices()
        hstep = self.dt / self.tau
        # the drive h·R v_t of every step in one matmul: h·R W_in u + h·R b_in
        Win, bin_ = self.input_layer.weight, self.input_layer.bias
        if R is not None:
            Win, bin_ = R @ Win, R @ bin_
        V = torch.nn.functional.linear(x, hstep * Win, hstep * bin_)
        states = []
        for v in V.unbind(1):  # unbind: one backward stack, not T full-size zero fills
            h = torch.addmm(torch.addmm(v, h, P.T), self.phi(h), Q.T)
            states.append(h)
        out = self.output_layer(torch.stack(states, 1))
        return (out if self.batch_first else out.transpose(0, 1)), h

    def __neurodyn_map__(self):
        """The step forward runs (``method``) as a ``FlowMap`` with its analytic Jacobian.

        Input of the map: the raw input ``(B, i)``; a snapshot of the current weights.
        Euler: field ``(−x + Wφ(x) + Lx + v)/τ``, Jacobian ``(−I + W diag(φ'(x)) + L)/τ``.
        IMEX: linear part ``(−I + L)/τ`` (implicit), explicit field ``(Wφ(x) + v)/τ``.
        """
        from neurodyn.systems import FlowMap

        imex = self.method == "imex"
        # built with gradients enabled (a differentiable spectrum), the Euler map keeps the graph
        # to the parameters; IMEX's implicit linear part is a float64 constant of the FlowMap
        graph = torch.is_grad_enabled() and not imex
        with torch.set_grad_enabled(graph):
            W, L = self.recurrent_matrix(), self.interconnection()
            Win, bin_ = self.input_layer.weight, self.input_layer.bias
            if not graph:
                W, L, Win, bin_ = (z.detach() for z in (W, L, Win, bin_))
        act, tau, n = self.activation, self.tau, self.hidden_size
        cache: dict = {}

        def weights(like):  # the snapshot in the state's dtype and device (follows the input)
            key = (like.dtype, like.device)
            if key not in cache:
                cache[key] = [z.to(like) for z in (W, L, Win, bin_)]
            return cache[key]

        def field(h, x):
            W_, L_, Win_, b_ = weights(h)
            if imex:
                return (self.phi(h) @ W_.T + x @ Win_.T + b_) / tau
            return self._field(h, x @ Win_.T + b_, W_, L_)

        def jac(h, x):
            W_, L_, _, _ = weights(h)
            d = (h > 0).to(h.dtype) if act == "relu" else 1 - torch.tanh(h) ** 2
            if imex:
                return W_[None] * d[:, None, :] / tau
            eye = torch.eye(n, dtype=h.dtype, device=h.device)
            return (-eye + W_[None] * d[:, None, :] + L_[None]) / tau

        eye64 = torch.eye(n, dtype=torch.float64)
        linear = (L.double() - eye64) / tau if imex else None
        flow = FlowMap(
            field, self.dt, self.method, dim=n, input_size=self.input_size,
            vector_field_jacobian=jac, linear=linear,
        )  # fmt: skip
        if imex:
            flow.not_differentiable = (
                "a Sparse Combo Net with method='imex' steps its linear part (−I + L)/τ "
                "implicitly with a constant resolvent, so no gradient reaches L; build it with "
                "method='euler' (and a dt its certificate allows) to differentiate its spectrum"
            )
        return flow

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.output_size}, num_blocks={self.num_blocks}, "
            f"block_size={self.block_size}, blocks={self.blocks_kind!r}, tau={self.tau}, "
            f"dt={self.dt:g}, method={self.method!r}, activation={self.activation!r}"
        )
