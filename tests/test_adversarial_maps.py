"""Adversarial property suite (hypothesis) over the RNN adapters' Jacobians and
lyapunov_spectrum: float32 and float64, non-contiguous and expanded inputs, batch_first both
ways, extreme scales. Each case is exact within a stated rounding-aware tolerance, or a clear
error. ``NEURODYN_EXTENSIVE_TESTS=1`` runs 10× the examples.

Tolerances:
* float64 Jacobians: 1e-10·(1 + |J|) against jacrev in float64 (the same float64 parameters).
* float32 Jacobians against the float64 Jacobian of the *same* (float32-representable)
  parameters and inputs: every entry is a short product/sum of gate derivatives and weights,
  each carrying O(ε₃₂) relative error, so |ΔJ| ≤ 64·ε₃₂·(1 + |J|)·(1 + ‖W‖∞)^L for L layers
  (each layer's chain-rule block multiplies the error by up to ‖W‖∞); the input scale does
  not enter, since gate derivatives are bounded and saturate rather than grow.
* spectra: Σλ = log|det A| per step for a linear map (an identity, Oseledets), to 1e-9 (float64)
  or 1e-3 (float32) relative to 1 + Σ|log|eig||; else a DivergenceError naming the tangent.
"""

from __future__ import annotations

import math
import os

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neurodyn.errors import DivergenceError
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.systems import LinearMap, as_map

F64 = torch.float64
EXAMPLES = 200 if os.environ.get("NEURODYN_EXTENSIVE_TESTS") else 20
EPS32 = torch.finfo(torch.float32).eps

MODULES = {
    "rnn_tanh": lambda L, bf: torch.nn.RNN(3, 4, num_layers=L, batch_first=bf),
    "rnn_relu": lambda L, bf: torch.nn.RNN(3, 4, num_layers=L, nonlinearity="relu",
                                           batch_first=bf),
    "lstm": lambda L, bf: torch.nn.LSTM(3, 4, num_layers=L, batch_first=bf),
    "gru": lambda L, bf: torch.nn.GRU(3, 4, num_layers=L, batch_first=bf),
}  # fmt: skip


def _module(kind, layers, batch_first, seed, dtype):
    torch.manual_seed(seed)
    return MODULES[kind](layers, batch_first).to(dtype).eval()


def _layout(t: torch.Tensor, layout: str) -> torch.Tensor:
    """The same values as ``t`` in a contiguous, transposed-storage or expanded tensor."""
    if layout == "transposed":
        return t.T.contiguous().T  # non-contiguous, same values
    if layout == "expanded":
        return t[:1].expand_as(t)  # stride 0 along the batch: every row is row 0
    return t


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    kind=st.sampled_from(sorted(MODULES)),
    layers=st.integers(1, 2),
    dtype=st.sampled_from([torch.float32, F64]),
    layout=st.sampled_from(["contiguous", "transposed", "expanded"]),
    log_scale=st.sampled_from([-6.0, -2.0, 0.0, 1.0, 3.0]),
    seed=st.integers(0, 2**16),
)
def test_rnn_adapter_jacobians_are_exact_or_rounding_bounded(
    kind, layers, dtype, layout, log_scale, seed
):
    module = _module(kind, layers, True, seed, dtype)
    m = as_map(module)
    gen = torch.Generator().manual_seed(seed)
    scale = 10.0**log_scale
    h = _layout(scale * torch.randn(3, m.dim, generator=gen, dtype=F64), layout).to(dtype)
    x = _layout(scale * torch.randn(3, 3, generator=gen, dtype=F64), layout).to(dtype)
    with torch.no_grad():
        J = m.jacobian(h, x)
    assert J.dtype == dtype and J.shape == (3, m.dim, m.dim)
    assert torch.isfinite(J).all()
    # reference: float64 copies of the same parameters and inputs, jacrev row by row
    ref_map = as_map(_module(kind, layers, True, seed, dtype).double())
    h64, x64 = h.double(), x.double()
    ref = torch.stack(
        [
            torch.func.jacrev(lambda hi, i=i: ref_map.step(hi[None], x64[i : i + 1])[0])(h64[i])
            for i in range(3)
        ]
    )
    if dtype == F64:
        bound = 1e-10 * (1 + ref.abs())
    else:
        w = max(float(p.detach().abs().sum(1).max()) for p in module.parameters() if p.dim() == 2)
        bound = 64 * EPS32 * (1 + ref.abs()) * (1 + w) ** layers
    err = (J.double() - ref).abs()
    assert bool((err <= bound).all()), float((err / bound).max())


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    kind=st.sampled_from(sorted(MODULES)),
    batch_first=st.booleans(),
    layout=st.sampled_from(["contiguous", "transposed"]),
    seed=st.integers(0, 2**16),
)
def test_spectrum_reads_inputs_in_the_modules_layout(kind, batch_first, layout, seed):
    """The same sequences in the module's own layout (either way, contiguous or not) give the
    spectrum of the (B, T, F) Map reading, to 1e-12."""
    module = _module(kind, 1, batch_first, seed, F64)
    gen = torch.Generator().manual_seed(seed)
    x_btf = torch.randn(3, 25, 3, generator=gen, dtype=F64)
    x_mod = x_btf if batch_first else x_btf.transpose(0, 1)
    if layout == "transposed":
        x_mod = x_mod.transpose(0, 1).contiguous().transpose(0, 1)
    if layout == "contiguous":
        x_mod = x_mod.contiguous()
    ref = lyapunov_spectrum(as_map(module), x_btf.contiguous())
    got = lyapunov_spectrum(module, x_mod)
    torch.testing.assert_close(got.per_sample, ref.per_sample, atol=1e-12, rtol=0)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    log_moduli=st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=4),
    t_on=st.sampled_from([1, 3, 40, 400]),
    dtype=st.sampled_from([torch.float32, F64]),
    seed=st.integers(0, 2**16),
)
@example(log_moduli=[0.0, 0.75], t_on=40, dtype=F64, seed=0)  # found in a fresh CI clone
def test_spectrum_of_linear_maps_is_exact_or_refused(log_moduli, t_on, dtype, seed):
    """Σλ = log|det A| (each QR block's Σ log|R_ii| = log|det Jᵗ|) within the QR's rounding, at
    any scale of the eigenvalues and any t_on — or a DivergenceError saying the tangent vectors
    overflowed or lost rank, never a NaN or a wrong sum.

    Rounding bound: Householder QR is backward stable, so each |R_ii| carries a relative error
    ≲ 16·n·ε·max_j|R_jj| / |R_ii| ≤ 16·n·ε·e^(t_on·spread) per block (A normal, spread = max − min
    log-modulus); summed over the blocks and divided by the steps. Near the rank-loss threshold
    (|R_ii|/max|R_jj| ≈ 64 ε) this is far above 1e-9: e.g. moduli (1, e^0.75) at t_on = 40 give
    |R_22|/|R_11| ≈ e^−30 and an exponent sum off by 1.8e-8, which a flat 1e-9 called wrong."""
    n = len(log_moduli)
    gen = torch.Generator().manual_seed(seed)
    V = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=F64))[0]
    signs = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0).to(F64)
    eig = signs * torch.tensor(log_moduli, dtype=F64).exp()
    A = V @ torch.diag(eig) @ V.T
    steps = 2 * t_on
    try:
        res = lyapunov_spectrum(
            LinearMap(A), h0=torch.zeros(2, n, dtype=dtype), steps=steps, t_on=t_on
        )
    except DivergenceError as err:
        assert err.what == "tangent" and "t_on" in str(err)
        return
    assert torch.isfinite(res.exponents).all()
    want = math.fsum(log_moduli)
    scale = 1 + sum(abs(v) for v in log_moduli)
    eps = torch.finfo(dtype).eps
    blocks = math.ceil(steps / t_on)
    spread = max(log_moduli) - min(log_moduli)
    qr_rounding = blocks * 16 * n * eps * math.exp(t_on * spread) / steps
    tol = (1e-9 if dtype == F64 else 1e-3) * scale + qr_rounding
    assert abs(float(res.exponents.sum()) - want) <= tol


def test_float32_overflow_is_refused_too():
    """e^(5·40) = e^200 overflows float32 (e^88) within one t_on block: refused, with the fix."""
    A = torch.diag(torch.tensor([math.exp(5.0), 0.5], dtype=F64))
    with pytest.raises(DivergenceError, match="smaller t_on"):
        lyapunov_spectrum(LinearMap(A), h0=torch.zeros(1, 2), steps=80, t_on=40)
