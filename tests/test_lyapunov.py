"""Lyapunov spectra against reference values, identities and a second method (float64 unless
stated). Tolerances are the issue's; the run lengths are chosen so the statistical error of each
estimate is well inside them (stated per test)."""

from __future__ import annotations

import math

import pytest
import torch

from neurodyn.lyapunov import (
    covariant_lyapunov_vectors,
    kaplan_yorke_dimension,
    lyapunov_spectrum,
)
from neurodyn.systems import CallableMap, Henon, LinearMap, Logistic, Lorenz

F64 = torch.float64


def test_logistic_r4_is_ln2():
    h0 = torch.linspace(0.1, 0.9, 16, dtype=F64).unsqueeze(1) + 0.0123
    res = lyapunov_spectrum(Logistic(4.0), h0=h0, steps=20000, warmup=100)
    assert res.exponents.item() == pytest.approx(math.log(2), abs=5e-3)
    assert res.stderr.item() < 2e-3  # the tolerance is > 2 standard errors


def test_henon_reference_and_exact_sum():
    gen = torch.Generator().manual_seed(0)
    h0 = 0.1 * torch.randn(16, 2, generator=gen, dtype=F64)
    res = lyapunov_spectrum(Henon(1.4, 0.3), h0=h0, steps=20000, warmup=200)
    assert res.exponents[0].item() == pytest.approx(0.41922, abs=1e-2)
    assert res.exponents[1].item() == pytest.approx(-1.62319, abs=1e-2)
    # det J = −b at every step, so Σ log|R_ii| = T log b up to rounding
    assert res.exponents.sum().item() == pytest.approx(math.log(0.3), abs=1e-6)
    assert res.kaplan_yorke == pytest.approx(1 + 0.41922 / 1.62319, abs=1e-2)


@pytest.mark.slow
def test_lorenz_reference_and_trace_identity():
    gen = torch.Generator().manual_seed(1)
    h0 = torch.tensor([1.0, 1.0, 1.0], dtype=F64) + torch.randn(8, 3, generator=gen, dtype=F64)
    res = lyapunov_spectrum(Lorenz(dt=0.01), h0=h0, steps=20000, warmup=2000)
    ref = torch.tensor([0.9056, 0.0, -14.5723], dtype=F64)
    assert torch.all((res.exponents - ref).abs() < 0.05), res.exponents
    # Σλ = trace of the vector-field Jacobian = −(σ + 1 + β), up to the RK4 error O(dt⁴)
    assert res.exponents.sum().item() == pytest.approx(-(10 + 1 + 8 / 3), abs=1e-2)
    assert res.dt == 0.01


def test_linear_map_is_exactly_log_abs_eig():
    """A symmetric map has orthogonal eigenvectors: once the frame has aligned (warm-up), every
    step's R_ii is |λ_i| up to exponentially small terms."""
    gen = torch.Generator().manual_seed(2)
    V = torch.linalg.qr(torch.randn(4, 4, generator=gen, dtype=F64))[0]
    eig = torch.tensor([1.5, -0.9, 0.5, 0.2], dtype=F64)
    A = V @ torch.diag(eig) @ V.T
    res = lyapunov_spectrum(LinearMap(A), h0=torch.ones(2, 4, dtype=F64), steps=500, warmup=200)
    assert torch.allclose(res.exponents, eig.abs().log(), atol=1e-12)


def test_triangular_map_needs_a_generic_frame():
    """With the dissertation's identity frame an upper-triangular map keeps e₁ invariant, so λ₁
    comes out as log|a₁₁| instead of the largest exponent; the default random frame does not."""
    A = torch.tensor([[0.5, 1.0], [0.0, 2.0]], dtype=F64)
    h0 = torch.ones(1, 2, dtype=F64)
    seed_style = lyapunov_spectrum(LinearMap(A), h0=h0, steps=300, k=1, q0="identity")
    ours = lyapunov_spectrum(LinearMap(A), h0=h0, steps=300, k=1)
    assert seed_style.exponents.item() == pytest.approx(math.log(0.5), abs=1e-12)
    assert ours.exponents.item() == pytest.approx(math.log(2.0), abs=1e-2)


def test_partial_spectrum_and_t_on_agree_with_full():
    gen = torch.Generator().manual_seed(3)
    h0 = 0.1 * torch.randn(8, 2, generator=gen, dtype=F64)
    full = lyapunov_spectrum(Henon(), h0=h0, steps=5000, warmup=100)
    top = lyapunov_spectrum(Henon(), h0=h0, steps=5000, warmup=100, k=1)
    sparse = lyapunov_spectrum(Henon(), h0=h0, steps=5000, warmup=100, t_on=5)
    assert top.exponents.shape == (1,)
    assert top.exponents[0].item() == pytest.approx(full.exponents[0].item(), abs=1e-9)
    assert torch.allclose(sparse.exponents, full.exponents, atol=1e-9)


def test_bits_and_dt_units():
    h0 = torch.linspace(0.1, 0.9, 4, dtype=F64).unsqueeze(1) + 0.01
    nats = lyapunov_spectrum(Logistic(), h0=h0, steps=2000)
    bits = lyapunov_spectrum(Logistic(), h0=h0, steps=2000, base=2)
    assert bits.exponents.item() == pytest.approx(nats.exponents.item() / math.log(2), rel=1e-12)
    slow = CallableMap(lambda h: 4 * h * (1 - h), 1, dt=0.5)
    per_time = lyapunov_spectrum(slow, h0=h0, steps=2000)
    assert per_time.exponents.item() == pytest.approx(2 * nats.exponents.item(), rel=1e-12)


def test_autograd_fallback_gives_the_same_numbers():
    h0 = 0.1 * torch.ones(3, 2, dtype=F64)
    analytic = lyapunov_spectrum(Henon(), h0=h0, steps=500, warmup=10)
    fallback = CallableMap(Henon().step, 2)
    auto = lyapunov_spectrum(fallback, h0=h0, steps=500, warmup=10)
    assert torch.allclose(analytic.per_sample, auto.per_sample, atol=1e-10)


def test_float32_matches_float64_after_a_long_warmup():
    """The warm-up reorthonormalises, so 20 000 float32 warm-up steps of Lorenz (|λ₁|·t ≈ 180,
    e^180 overflows float32) stay finite; the float32 spectrum agrees with float64 within 0.1
    (chaos decorrelates the two trajectories, so only the statistics can agree)."""
    gen = torch.Generator().manual_seed(4)
    h0 = torch.tensor([1.0, 1.0, 1.0], dtype=F64) + torch.randn(8, 3, generator=gen, dtype=F64)
    r64 = lyapunov_spectrum(Lorenz(dt=0.01), h0=h0, steps=10000, warmup=20000)
    r32 = lyapunov_spectrum(Lorenz(dt=0.01), h0=h0.float(), steps=10000, warmup=20000)
    assert r32.exponents.dtype == torch.float32
    assert torch.all((r32.exponents.double() - r64.exponents).abs() < 0.1)
    hen64 = lyapunov_spectrum(Henon(), h0=h0[:, :2] * 0.1, steps=10000, warmup=20000)
    hen32 = lyapunov_spectrum(Henon(), h0=(h0[:, :2] * 0.1).float(), steps=10000, warmup=20000)
    assert torch.all((hen32.exponents.double() - hen64.exponents).abs() < 1e-2)


def test_result_fields_history_and_stats():
    h0 = torch.linspace(0.1, 0.9, 4, dtype=F64).unsqueeze(1) + 0.01
    res = lyapunov_spectrum(
        Logistic(), h0=h0, steps=1000, t_on=10, keep_history=True, keep_vectors=True
    )
    assert res.per_sample.shape == (4, 1) and res.ftle.shape == (4, 100, 1)
    assert res.q_vectors.shape == (4, 100, 1, 1) and res.r_values.shape == (4, 100, 1)
    assert torch.allclose(res.ftle.mean(1), res.per_sample)
    assert res.running.shape == (100, 1)
    assert res.running[-1].item() == pytest.approx(res.exponents.item(), abs=1e-12)
    d = res.to_dict()
    assert d["n_positive"] == 1 and d["units"] == "nats per unit time"
    single = lyapunov_spectrum(Logistic(), h0=h0[:1], steps=5000)
    assert 0 < single.stderr.item() < 0.05  # batch means along the run when B = 1


def test_kaplan_yorke_dimension():
    assert kaplan_yorke_dimension(torch.tensor([-0.1, -1.0])) == 0.0
    assert kaplan_yorke_dimension(torch.tensor([0.9056, 0.0, -14.5723])) == pytest.approx(
        2 + 0.9056 / 14.5723
    )
    assert kaplan_yorke_dimension(torch.tensor([0.5, 0.1])) == 2.0


def test_covariant_vectors_are_covariant_and_grow_at_the_exponents():
    gen = torch.Generator().manual_seed(5)
    h0 = 0.1 * torch.randn(2, 2, generator=gen, dtype=F64)
    henon = Henon()
    res = covariant_lyapunov_vectors(
        henon, h0=h0, steps=3000, warmup=200, transient=200, generator=gen
    )
    V, S = res.vectors, res.states
    J = henon.jacobian(S[:, :-1].reshape(-1, 2)).reshape(2, -1, 2, 2)
    JV = J @ V[:, :-1]
    cos = (JV * V[:, 1:]).sum(2) / torch.linalg.vector_norm(JV, dim=2)
    assert cos.abs().min() > 1 - 1e-9  # J v_i(t) ∥ v_i(t+1)
    assert res.exponents[0].item() == pytest.approx(0.41922, abs=2e-2)
    assert res.exponents[1].item() == pytest.approx(-1.62319, abs=2e-2)
    # covariant vectors are not orthogonal (Hénon's stable and unstable directions)
    dots = (V[:, :, :, 0] * V[:, :, :, 1]).sum(2).abs()
    assert dots.max() > 0.1


class _Blowup:
    dim, dt, input_size = 1, 1.0, None

    def step(self, h, x=None):
        return h * h + 1.0

    def jacobian(self, h, x=None):
        return (2 * h).unsqueeze(-1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"h0": torch.zeros(3, dtype=F64), "steps": 10}, ValueError, r"\(B, 2\)"),
        ({"h0": torch.zeros(3, 2, dtype=F64)}, ValueError, "needs h0"),
        ({"h0": torch.zeros(3, 2, dtype=F64), "steps": 4, "t_on": 5}, ValueError, "t_on"),
        ({"h0": torch.zeros(3, 2, dtype=F64), "steps": 10, "k": 3}, ValueError, r"\[1, 2\]"),
        ({"h0": torch.zeros(3, 2, dtype=F64), "steps": 10, "qr_method": "x"}, ValueError, "qr"),
        ({"inputs": torch.zeros(3, 5, 1), "steps": 2}, ValueError, "autonomous"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        lyapunov_spectrum(Henon(), **kwargs)


def test_nan_in_state_names_the_step():
    # 1, 2, 5, 26, …: the 11th iterate overflows to inf
    with pytest.raises(ValueError, match=r"at step 11 .*row\(s\) \[0, 1\]"):
        lyapunov_spectrum(_Blowup(), h0=torch.ones(2, 1, dtype=F64), steps=50)


def test_interrupt_keeps_finished_blocks():
    class Interrupting(_Blowup):
        calls = 0

        def step(self, h, x=None):
            Interrupting.calls += 1
            if Interrupting.calls > 100:
                raise KeyboardInterrupt
            return 0.5 * h

        def jacobian(self, h, x=None):
            return torch.full((h.shape[0], 1, 1), 0.5, dtype=h.dtype)

    res = lyapunov_spectrum(Interrupting(), h0=torch.ones(2, 1, dtype=F64), steps=1000)
    assert res.interrupted and res.steps == 100
    assert res.exponents.item() == pytest.approx(math.log(0.5), abs=1e-12)


def test_progress_reports_every_qr_up_to_the_total():
    calls = []
    lyapunov_spectrum(
        Henon(),
        h0=torch.full((2, 2), 0.1, dtype=F64),
        steps=25,
        warmup=10,
        t_on=4,
        progress=lambda done, total: calls.append((done, total)),
    )
    # warm-up QRs at 4, 8, 10; accumulation blocks end at 10 + 4, 8, …, 24 and the last at 35
    assert calls == [(4, 35), (8, 35), (10, 35), *[(10 + d, 35) for d in (4, 8, 12, 16, 20, 24)],
                     (35, 35)]  # fmt: skip


@pytest.mark.parametrize("gain", [0.5, 1.0, 3.0])
def test_tanh_rnn_gain_regimes_seed_fig_2_3(gain):
    """Seed 004 Fig. 2.3: a tanh RNN is stable, marginal or chaotic as the recurrent gain grows.
    W_hh = g·W₀/ρ(W₀) (ρ(W_hh) = g exactly), zero input: for g < 1 the state decays to 0 where
    J = W_hh, so λ_max = log g; g = 1 is marginal (λ_max → 0⁻); g = 3 is chaotic."""
    n = 64
    gen = torch.Generator().manual_seed(0)
    w0 = torch.randn(n, n, generator=gen, dtype=F64) / n**0.5
    w0 = w0 / torch.linalg.eigvals(w0).abs().max()
    rnn = torch.nn.RNN(4, n, bias=False, batch_first=True).double()
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(gain * w0)
        rnn.weight_ih_l0.copy_(0.1 * torch.randn(n, 4, generator=gen, dtype=F64))
    inputs = torch.zeros(4, 1500, 4, dtype=F64)
    h0 = torch.randn(4, n, generator=gen, dtype=F64)
    res = lyapunov_spectrum(rnn, inputs, h0=h0, warmup=500, k=4)
    lam = res.exponents[0].item()
    if gain < 1:
        assert lam == pytest.approx(math.log(gain), abs=5e-3)
    elif gain == 1:
        assert abs(lam) < 0.01
    else:
        assert lam > 0.1 and lam > 10 * res.stderr[0].item()


def test_lstm_spectrum_has_2n_exponents_and_h_only_option():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 6, num_layers=2, batch_first=True).double()
    inputs = torch.randn(3, 60, 3, dtype=F64)
    full = lyapunov_spectrum(lstm, inputs, warmup=10)
    assert full.exponents.shape == (2 * 2 * 6,)
    from neurodyn.systems import as_map

    h_only = lyapunov_spectrum(as_map(lstm, lstm_state="h"), inputs, warmup=10)
    assert h_only.exponents.shape == (2 * 6,)
    assert torch.isfinite(h_only.exponents).all() and torch.isfinite(full.exponents).all()


def test_driven_map_input_errors():
    rnn = torch.nn.RNN(2, 5, batch_first=True).double()
    with pytest.raises(ValueError, match=r"\(B, T, 2\)"):
        lyapunov_spectrum(rnn, torch.zeros(3, 10, dtype=F64))
    with pytest.raises(ValueError, match="driven"):
        lyapunov_spectrum(rnn, h0=torch.zeros(3, 5, dtype=F64), steps=5)
    with pytest.raises(ValueError, match="exceeds"):
        lyapunov_spectrum(rnn, torch.zeros(3, 10, 2, dtype=F64), steps=8, warmup=5)


@pytest.mark.parametrize(
    ("system", "h0", "t_on"),
    [
        (
            LinearMap(torch.diag(torch.tensor([3.0, 0.5], dtype=F64))),
            torch.tensor([[0.0, 1.0]]),
            700,
        ),
        (Henon(), torch.zeros(1, 2), 2000),
    ],
)
def test_tangent_overflow_between_qrs_is_an_error_not_nan(system, h0, t_on):
    """3^700 = e^769 and e^(0.42·2000) overflow float64 (e^709) before the first QR: the state
    stays finite but the tangent vectors do not, which used to give NaN exponents silently."""
    from neurodyn.errors import DivergenceError

    with pytest.raises(DivergenceError, match="smaller t_on") as err:
        lyapunov_spectrum(system, h0=h0.to(F64), steps=2 * t_on, t_on=t_on)
    assert err.value.what == "tangent" and err.value.rows == (0,)
    assert err.value.first_step == 1 and err.value.step == t_on
    # Hénon's gap λ₁ − λ₂ = 2.04: over 100 steps the columns are parallel to e^(−204), so the
    # second exponent would be −inf; that too is refused, and t_on = 10 works
    with pytest.raises(DivergenceError, match="numerically parallel") as lost:
        lyapunov_spectrum(system, h0=h0.to(F64), steps=2 * t_on, t_on=100)
    # the message says how many leading exponents are still within reach at this t_on
    assert "or k ≤ 1 exponents (column 2 on lost rank)" in str(lost.value)
    ok = lyapunov_spectrum(system, h0=h0.to(F64), steps=2 * t_on, t_on=10)
    assert torch.isfinite(ok.exponents).all()


def test_clvs_say_whether_the_transient_converged():
    """A non-normal map with exponents 0 and −0.006: the backward pass converges like
    e^(−0.006 t), so the default transient of 100 steps is far too short (needs ~1700)."""
    A = torch.tensor([[1.0, 0.5], [0.0, math.exp(-0.006)]], dtype=F64)
    h0 = torch.ones(1, 2, dtype=F64)
    gen = torch.Generator().manual_seed(0)
    with pytest.warns(RuntimeWarning, match="raise transient"):
        short = covariant_lyapunov_vectors(LinearMap(A), h0=h0, steps=5, generator=gen)
    assert not short.converged and short.min_spacing == pytest.approx(0.006, abs=1e-3)
    long = covariant_lyapunov_vectors(
        LinearMap(A), h0=h0, steps=5, warmup=2000, transient=2500, generator=gen
    )
    assert long.converged and long.to_dict()["converged"]
    # converged: the second covariant vector is A's eigenvector for e^(−0.006)
    ev = torch.linalg.eig(A).eigenvectors.real[:, 1]
    cos = (long.vectors[0, 0, :, 1] * ev).sum().abs() / ev.norm()
    assert cos.item() == pytest.approx(1.0, abs=1e-6)


def test_batch_first_follows_a_torch_module_like_torch_does():
    """A default nn.LSTM reads (T, B, F); passed directly, lyapunov_spectrum reads its inputs the
    same way (it used to read them as (B, T, F) silently). A Map reads (B, T, F); batch_first=
    forces either; a batch that disagrees with h0 names batch_first."""
    from neurodyn.systems import as_map

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 3).double()  # batch_first=False
    gen = torch.Generator().manual_seed(1)
    x_btf = torch.randn(4, 30, 2, generator=gen, dtype=F64)
    x_tbf = x_btf.transpose(0, 1).contiguous()
    ref = lyapunov_spectrum(as_map(lstm), x_btf)  # a Map: (B, T, F)
    direct = lyapunov_spectrum(lstm, x_tbf)  # the module's own convention: (T, B, F)
    assert direct.per_sample.shape == (4, 6)
    torch.testing.assert_close(direct.per_sample, ref.per_sample, atol=1e-13, rtol=0)
    forced = lyapunov_spectrum(as_map(lstm), x_tbf, batch_first=False)
    torch.testing.assert_close(forced.per_sample, ref.per_sample, atol=1e-13, rtol=0)
    # torch's own forward agrees on the layout: the state after T steps matches
    _, (h_n, c_n) = lstm(x_tbf)
    state = as_map(lstm).zero_state(4)
    for t in range(30):
        state = as_map(lstm).step(state, x_btf[:, t])
    torch.testing.assert_close(state, as_map(lstm).state_from_torch(h_n, c_n))
    with pytest.raises(ValueError, match="batch_first=True"):
        lyapunov_spectrum(lstm, x_btf, h0=torch.zeros(4, 6, dtype=F64))
