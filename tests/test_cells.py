"""neurodyn.nn recurrent cells: each step checked against its paper's equation written out here
independently, forward = iterating the Map's step, the nn.RNN calling convention, Lyapunov
spectra (autograd route and analytic values), noise only in training, clear errors.
The Jacobian = jacrev check of every cell is in tests/test_map_conformance.py."""

from __future__ import annotations

import math
import os

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import neurodyn
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.nn import CTRNN, LEM, AntisymmetricRNN, CoRNN, LipschitzRNN, NoisyRNN
from neurodyn.systems import CallableMap, FlowMap
from neurodyn.testing import check_map

F64 = torch.float64
EXTENSIVE = bool(os.environ.get("NEURODYN_EXTENSIVE_TESTS"))

CELLS = {
    "lipschitz-euler": lambda **kw: LipschitzRNN(3, 4, **kw),
    "lipschitz-imex": lambda **kw: LipschitzRNN(3, 4, method="imex", **kw),
    "lipschitz-imex-half": lambda **kw: LipschitzRNN(3, 4, method="imex", rho=0.5, **kw),
    "antisymmetric": lambda **kw: AntisymmetricRNN(3, 4, eps=0.1, **kw),
    "cornn": lambda **kw: CoRNN(3, 4, **kw),
    "lem": lambda **kw: LEM(3, 4, dt=0.5, **kw),
    "noisy": lambda **kw: NoisyRNN(3, 4, **kw),
    "ctrnn-euler": lambda **kw: CTRNN(3, 4, tau=2.0, **kw),
    "ctrnn-imex": lambda **kw: CTRNN(3, 4, method="imex", dt=0.5, nonlinearity="sigmoid", **kw),
    "ctrnn-rk4": lambda **kw: CTRNN(3, 4, method="rk4", nonlinearity="relu", **kw),
}


def _make(name: str, seed: int = 0, **kw):
    torch.manual_seed(seed)
    return CELLS[name](**kw).double().eval()


def _seq(T: int, B: int, F: int = 3, seed: int = 1, dtype=F64):
    return torch.randn(T, B, F, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _iterate(cell, x, h):
    """The Map's step applied along the sequence x (T, B, F) from h (B, n)."""
    f = neurodyn.as_map(cell)
    states = []
    for t in range(x.shape[0]):
        h = f.step(h, x[t])
        states.append(h)
    return torch.stack(states)


# --- forward = the Map ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CELLS))
def test_forward_equals_iterating_the_map(name):
    """Output (the y part) and final state of forward equal the Map iterated step by step."""
    cell = _make(name)
    x = _seq(12, 3)
    h0 = 0.3 * torch.randn(3, cell.state_size, dtype=F64)
    with torch.no_grad():
        out, hT = cell(x, h0)
        states = _iterate(cell, x, h0)
    # up to rounding (forward projects the inputs of all steps in one matmul, the Map per step)
    torch.testing.assert_close(out, states[..., : cell.hidden_size], atol=1e-13, rtol=0)
    torch.testing.assert_close(hT, states[-1], atol=1e-13, rtol=0)
    assert out.shape == (12, 3, cell.hidden_size) and hT.shape == (3, cell.state_size)


@pytest.mark.parametrize("name", [*sorted(CELLS), "ctrnn-rk4-tau"])
def test_fused_forward_loop_equals_the_generic_loop_values_and_gradients(name):
    """CoRNN, LEM and CTRNN run a fused time loop (state in parts, 1/τ folded into W); its
    outputs and the gradients of every parameter, of h0 and of the input equal the generic loop
    over ``_update`` (the Map's step). float64, tolerance 1e-12: the two differ only in the
    order of roundings (e.g. W φ/τ vs (W/τ) φ), ~1e-16 per step over 12 steps."""
    if name == "ctrnn-rk4-tau":
        torch.manual_seed(0)
        cell = CTRNN(3, 4, method="rk4", tau=0.7, dt=0.2).double()
    else:
        cell = _make(name)
    x = _seq(12, 3).requires_grad_(True)
    h0 = (0.3 * torch.randn(3, cell.state_size, dtype=F64)).requires_grad_(True)
    leaves = [x, h0, *cell.parameters()]

    def run(loop):
        w = cell._weights()
        outs, hT = loop(cell, h0, cell._drive(x, w), w)
        out = outs if isinstance(outs, torch.Tensor) else torch.stack(outs)
        return out, hT, torch.autograd.grad((out**2).sum() + hT.sum(), leaves)

    fused, generic = run(type(cell)._loop), run(neurodyn.nn.RecurrentCell._loop)
    torch.testing.assert_close(fused[0], generic[0], atol=1e-12, rtol=0)
    torch.testing.assert_close(fused[1], generic[1], atol=1e-12, rtol=0)
    for a, b in zip(fused[2], generic[2], strict=True):
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("name", ["lipschitz-imex", "cornn", "lem", "ctrnn-euler"])
def test_batch_first_h0_default_and_unbatched(name):
    cell = _make(name)
    bf = _make(name, batch_first=True)
    bf.load_state_dict(cell.state_dict())
    x = _seq(7, 2)
    with torch.no_grad():
        out, hT = cell(x)
        out_bf, hT_bf = bf(x.transpose(0, 1))
        out0, _ = cell(x, torch.zeros(2, cell.state_size, dtype=F64))
        out_u, hT_u = cell(x[:, 1])  # unbatched (T, F)
        _, hT_u2 = cell(x[:, 1], hT[1])  # unbatched with a (n,) state
        ref2 = cell(x[:, 1:2], hT[1:2])
    torch.testing.assert_close(out_bf, out.transpose(0, 1), atol=0, rtol=0)
    torch.testing.assert_close(hT_bf, hT, atol=0, rtol=0)
    torch.testing.assert_close(out0, out, atol=0, rtol=0)  # h0=None is zeros
    assert out_u.shape == (7, cell.hidden_size) and hT_u.shape == (cell.state_size,)
    torch.testing.assert_close(out_u, out[:, 1], atol=1e-14, rtol=0)
    torch.testing.assert_close(hT_u2, ref2[1][0], atol=1e-14, rtol=0)


def test_cells_train_through_autograd():
    """A loss on the output back-propagates into every parameter (parametrized A, W included)."""
    for name in ("lipschitz-imex", "antisymmetric", "cornn", "lem", "noisy", "ctrnn-rk4"):
        cell = _make(name).train()
        out, hT = cell(_seq(6, 2))
        (out.square().sum() + hT.sum()).backward()
        for pname, p in cell.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), (name, pname)


# --- each step against its paper's equation, written out here -------------------------------


def _x_h(cell, B=4, seed=3):
    g = torch.Generator().manual_seed(seed)
    return (
        0.5 * torch.randn(B, cell.state_size, generator=g, dtype=F64),
        torch.randn(B, cell.input_size, generator=g, dtype=F64),
    )


def test_lipschitz_euler_is_eq15_and_a_w_have_their_own_beta_gamma():
    torch.manual_seed(0)
    cell = LipschitzRNN(3, 5, beta_a=1.0, gamma_a=0.3, beta_w=0.6, gamma_w=0.05, dt=0.1).double()
    A, W = cell.A.detach(), cell.W.detach()
    MA = cell.parametrizations.A.original0.detach()
    MW = cell.parametrizations.W.original0.detach()
    eye = torch.eye(5, dtype=F64)
    torch.testing.assert_close(A, (MA - MA.T) - 0.3 * eye)  # β_A = 1: skew part only
    torch.testing.assert_close(W, 0.4 * (MW + MW.T) + 0.6 * (MW - MW.T) - 0.05 * eye)
    h, x = _x_h(cell)
    z = h @ W.T + x @ cell.weight_ih.detach().T + cell.bias.detach()
    want = h + 0.1 * h @ A.T + 0.1 * torch.tanh(z)  # Erichson et al. 2021, eq. 15
    with torch.no_grad():
        torch.testing.assert_close(neurodyn.as_map(cell).step(h, x), want, atol=1e-14, rtol=0)


@pytest.mark.parametrize("rho", [1.0, 0.5, 0.0])
def test_lipschitz_imex_step_solves_eq14(rho):
    """(I − ρ dt A) h' − (I + (1−ρ) dt A) h − dt tanh(z) = 0 to rounding (residual ≤ 1e-12)."""
    torch.manual_seed(2)
    cell = LipschitzRNN(2, 6, method="imex", rho=rho, dt=0.5, beta_a=0.6).double()
    A, W = cell.A.detach(), cell.W.detach()
    h, x = _x_h(cell)
    with torch.no_grad():
        new = neurodyn.as_map(cell).step(h, x)
    z = h @ W.T + x @ cell.weight_ih.detach().T + cell.bias.detach()
    lhs = new - 0.5 * (1 - rho) * h @ A.T - 0.5 * rho * new @ A.T
    residual = lhs - h - 0.5 * torch.tanh(z)  # eq. 14 rearranged
    assert residual.abs().max() < 1e-12
    assert cell.rho == rho and cell.method == "imex"


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.6])
def test_lipschitz_alpha_is_eq16_in_the_step_the_jacobian_and_the_certificate(alpha):
    """Erichson et al. 2021, eq. 16: h' = h + α·dt·A h + dt·tanh(W h + U x + b), written out;
    the Map's Jacobian against torch.func.jacrev; IMEX and certify integrate ḣ = αAh + φ."""
    from torch.func import jacrev

    from neurodyn.contraction import certify, lipschitz_rnn

    torch.manual_seed(3)
    cell = LipschitzRNN(3, 5, dt=0.2, alpha=alpha).double()
    A, W = cell.A.detach(), cell.W.detach()
    h, x = _x_h(cell)
    z = h @ W.T + x @ cell.weight_ih.detach().T + cell.bias.detach()
    want = h + alpha * 0.2 * h @ A.T + 0.2 * torch.tanh(z)
    f = neurodyn.as_map(cell)
    with torch.no_grad():
        torch.testing.assert_close(f.step(h, x), want, atol=1e-14, rtol=0)
        J = f.jacobian(h, x)
    auto = torch.stack([jacrev(lambda v, u=u: f.step(v[None], u[None])[0])(v)
                        for v, u in zip(h, x, strict=True)])  # fmt: skip
    torch.testing.assert_close(J, auto, atol=1e-12, rtol=0)
    # IMEX with α: (I − ρ dt αA) h' = (I + (1−ρ) dt αA) h + dt tanh(z), residual to rounding
    imex = LipschitzRNN(3, 5, dt=0.2, alpha=alpha, method="imex", rho=0.5).double()
    imex.load_state_dict(cell.state_dict())
    with torch.no_grad():
        new = neurodyn.as_map(imex).step(h, x)
    aA = alpha * A
    residual = new - 0.1 * new @ aA.T - h - 0.1 * h @ aA.T - 0.2 * torch.tanh(z)
    assert residual.abs().max() < 1e-12
    # the certificate is the one of the ODE's linear part α A
    got, ref = certify(cell), lipschitz_rnn(aA, W, g=1.0, dt=0.2, method="euler")
    assert [(c.name, c.holds) for c in got.certificates] == [
        (c.name, c.holds) for c in ref.certificates]  # fmt: skip
    for a, b in zip(got.certificates, ref.certificates, strict=True):
        assert a.margin == b.margin or (a.margin != a.margin and b.margin != b.margin)


def test_lipschitz_alpha_one_is_the_lipschitz_rnn_and_bad_alphas_are_refused():
    torch.manual_seed(4)
    a, b = LipschitzRNN(3, 5, dt=0.1).double(), LipschitzRNN(3, 5, dt=0.1, alpha=1.0).double()
    b.load_state_dict(a.state_dict())
    xs = torch.randn(7, 2, 3, dtype=F64)
    assert torch.equal(a(xs)[0], b(xs)[0])  # bit for bit: α = 1 multiplies by nothing
    for bad in (-0.1, float("inf"), float("nan"), True, "1"):
        with pytest.raises(ValueError, match="alpha must be a finite number"):
            LipschitzRNN(3, 5, alpha=bad)
    assert "alpha=0.0" in repr(LipschitzRNN(3, 5, alpha=0.0))


def test_antisymmetric_is_eq33():
    torch.manual_seed(0)
    cell = AntisymmetricRNN(3, 5, eps=0.2, gamma=0.1).double()
    X = cell.parametrizations.weight_hh.original0.detach()
    L = torch.tril(X, -1)
    K = L - L.T - 0.1 * torch.eye(5, dtype=F64)
    torch.testing.assert_close(cell.weight_hh.detach(), K)
    h, x = _x_h(cell)
    want = h + 0.2 * torch.tanh(h @ K.T + x @ cell.weight_ih.detach().T + cell.bias.detach())
    with torch.no_grad():
        torch.testing.assert_close(neurodyn.as_map(cell).step(h, x), want, atol=1e-14, rtol=0)


def test_cornn_is_rusch_mishra_eq3():
    cell = _make("cornn")
    N, dt, g, e = 4, cell.dt, cell.gamma, cell.epsilon
    h, x = _x_h(cell)
    y, z = h[:, :N], h[:, N:]
    Wy, Wz = cell.weight_hh.detach()[:, :N], cell.weight_hh.detach()[:, N:]
    a = y @ Wy.T + z @ Wz.T + x @ cell.weight_ih.detach().T + cell.bias.detach()
    z2 = z + dt * (torch.tanh(a) - g * y - e * z)
    y2 = y + dt * z2
    with torch.no_grad():
        got = neurodyn.as_map(cell).step(h, x)
    torch.testing.assert_close(got, torch.cat([y2, z2], 1), atol=1e-14, rtol=0)


def test_lem_is_eq38_39():
    cell = _make("lem")
    N, dt = 4, cell.dt
    h, x = _x_h(cell)
    y, z = h[:, :N], h[:, N:]
    V = (x @ cell.weight_ih.detach().T + cell.bias.detach()).split(N, 1)  # V_1, V_2, V_z, V_y
    W1, W2, Wz = cell.weight_hh.detach().split(N, 0)
    dtn = dt * torch.sigmoid(y @ W1.T + V[0])
    dtb = dt * torch.sigmoid(y @ W2.T + V[1])
    z2 = (1 - dtn) * z + dtn * torch.tanh(y @ Wz.T + V[2])  # eq. 3.8
    y2 = (1 - dtb) * y + dtb * torch.tanh(z2 @ cell.weight_zy.detach().T + V[3])  # eq. 3.9
    with torch.no_grad():
        got = neurodyn.as_map(cell).step(h, x)
    torch.testing.assert_close(got, torch.cat([y2, z2], 1), atol=1e-14, rtol=0)


@pytest.mark.parametrize("method", ["euler", "imex"])
def test_ctrnn_is_eq1_through_flowmap(method):
    torch.manual_seed(0)
    cell = CTRNN(3, 5, tau=2.0, dt=0.3, method=method).double()
    f = neurodyn.as_map(cell)
    assert isinstance(f, FlowMap) and f.dt == 0.3 and f.scheme == method
    h, x = _x_h(cell)
    W, U, b = cell.weight_hh.detach(), cell.weight_ih.detach(), cell.bias.detach()
    drive = torch.tanh(h) @ W.T + x @ U.T + b
    r = 0.3 / 2.0
    want = h + r * (-h + drive) if method == "euler" else (h + r * drive) / (1 + r)
    with torch.no_grad():
        torch.testing.assert_close(f.step(h, x), want, atol=1e-14, rtol=0)


def test_slope_bounds_and_attribute_names():
    assert [CTRNN(1, 2, nonlinearity=a).slope_bound for a in ("tanh", "relu", "sigmoid")] == [
        1.0,
        1.0,
        0.25,
    ]
    c = CTRNN(1, 3, tau=0.5, dt=0.05, method="rk4")
    assert (c.tau, c.dt, c.method, c.nonlinearity) == (0.5, 0.05, "rk4", "tanh")
    assert c.weight_hh.shape == (3, 3)
    lip = LipschitzRNN(2, 3)
    assert (lip.dt, lip.method, lip.rho, lip.slope_bound) == (0.01, "euler", 0.0, 1.0)
    assert lip.A.shape == lip.W.shape == (3, 3)
    assert CoRNN(1, 2).state_size == LEM(1, 2).state_size == 4


# --- noise -----------------------------------------------------------------------------------


def test_noisy_rnn_noise_only_in_training_and_its_map_is_the_eval_map():
    cell = _make("noisy")
    lip = LipschitzRNN(3, 4).double()
    lip.load_state_dict(cell.state_dict())
    x = _seq(10, 2)
    with torch.no_grad():
        out_eval1, h1 = cell.eval()(x)
        out_eval2, h2 = cell(x)
        ref = lip(x)
        cell.train()
        noisy1, noisy2 = cell(x)[1], cell(x)[1]
        states = _iterate(cell, x, torch.zeros(2, 4, dtype=F64))  # map in training mode
    assert torch.equal(h1, h2) and torch.equal(out_eval1, out_eval2)
    torch.testing.assert_close(h1, ref[1], atol=0, rtol=0)  # eval = LipschitzRNN Euler step
    assert (noisy1 - noisy2).abs().max() > 1e-4 and (noisy1 - h1).abs().max() > 1e-4
    # the Map is noise-free: equal to the eval forward up to the rounding of its other
    # summation order (the forward's fused loop vs. one step at a time; 1.6 ulp seen), far
    # below the noise (> 1e-4) it checks for
    torch.testing.assert_close(states[-1], h1, atol=0, rtol=8 * torch.finfo(F64).eps)


# --- Lyapunov spectra ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CELLS))
def test_each_cell_runs_under_lyapunov_spectrum(name):
    """The module passed directly, with inputs; equal to the autograd route (an independent
    Jacobian: vmap(jacrev) of the step) to 1e-9."""
    cell = _make(name)
    x = _seq(40, 3).transpose(0, 1)  # (B, T, F); the cell is batch_first=False
    with torch.no_grad():
        res = lyapunov_spectrum(cell, x.transpose(0, 1), warmup=5)
        f = neurodyn.as_map(cell)
        auto = CallableMap(f.step, f.dim, input_size=f.input_size, dt=f.dt, dtype=F64)
        ref = lyapunov_spectrum(auto, x, warmup=5)
    assert res.exponents.shape == (cell.state_size,) and torch.isfinite(res.exponents).all()
    torch.testing.assert_close(res.per_sample, ref.per_sample, atol=1e-9, rtol=0)


def test_lyapunov_spectrum_reads_the_cells_batch_first():
    cell = _make("cornn", batch_first=True)
    x = _seq(30, 2).transpose(0, 1)
    with torch.no_grad():
        a = lyapunov_spectrum(cell, x)
        b = lyapunov_spectrum(cell, x.transpose(0, 1), batch_first=False)
    torch.testing.assert_close(a.exponents, b.exponents, atol=0, rtol=0)


def test_antisymmetric_rest_state_exponents_are_analytic():
    """γ = 0, no bias, zero input: h = 0 is a fixed point with J = I + εK, K skew. J is normal
    with singular values √(1 + ε²ω_j²) (±iω_j the eigenvalues of K), so every finite-time
    exponent lies in [½ log(1 + ε²ω_min²), ½ log(1 + ε²ω_max²)] ⊂ [0, ½ε²‖K‖₂²] and their sum
    is exactly Σ_j ½ log(1 + ε²ω_j²) = log|det J| per step (QR's R multiplies to the product)."""
    torch.manual_seed(0)
    eps = 0.01
    cell = AntisymmetricRNN(2, 6, eps=eps, gamma=0.0, bias=False).double()
    K = cell.weight_hh.detach()
    omega = torch.linalg.eigvals(K).imag
    per_mode = 0.5 * torch.log1p(eps**2 * omega**2)
    with torch.no_grad():
        res = lyapunov_spectrum(cell, torch.zeros(300, 1, 2, dtype=F64))
    lam = res.exponents
    assert float(lam.sum()) == pytest.approx(float(per_mode.sum()), abs=1e-13)
    assert lam.min() >= per_mode.min() - 1e-13 and lam.max() <= per_mode.max() + 1e-13
    assert lam.abs().max() <= 0.5 * eps**2 * torch.linalg.matrix_norm(K, 2) ** 2 + 1e-13


def test_antisymmetric_small_eps_exponents_near_zero_along_driven_trajectories():
    """γ = 0, random inputs: every singular value of J = I + ε diag(φ') K lies in
    [1 − ε‖K‖₂, 1 + ε‖K‖₂] (0 ≤ φ' ≤ 1), so every exponent per step lies in
    [log(1 − ε‖K‖₂), log(1 + ε‖K‖₂)] — the tolerance, ≈ ±2e-2 here; an nn.RNN of the same size
    has exponents of order 1."""
    torch.manual_seed(1)
    eps = 0.01
    cell = AntisymmetricRNN(3, 8, eps=eps, gamma=0.0).double()
    bound = eps * float(torch.linalg.matrix_norm(cell.weight_hh.detach(), 2))
    with torch.no_grad():
        res = lyapunov_spectrum(cell, _seq(400, 4), warmup=50)
    assert res.per_sample.max() <= math.log1p(bound) and res.per_sample.min() >= math.log1p(-bound)
    assert res.exponents.abs().max() < 0.1 * bound  # observed: far inside the bound


# --- bad input -------------------------------------------------------------------------------


def test_bad_input_gives_clear_errors():
    cell = _make("cornn")
    x = _seq(5, 2)
    with pytest.raises(ValueError, match=r"h0 of shape \(2, 8\).*\[y, z\]"):
        cell(x, torch.zeros(2, 4, dtype=F64))  # hidden_size instead of the full state
    with pytest.raises(ValueError, match=r"h0 of shape \(2, 8\)"):
        cell(x, torch.zeros(1, 2, 8, dtype=F64))  # torch's (num_layers, B, H) layout
    with pytest.raises(ValueError, match=r"h0 of shape \(8,\)"):
        cell(x[:, 0], torch.zeros(2, 8, dtype=F64))  # unbatched input, batched state
    with pytest.raises(ValueError, match="input_size = 3"):
        cell(_seq(5, 2, F=2))
    with pytest.raises(ValueError, match="input_size = 3"):
        cell(torch.zeros(5, 2, 3, 1, dtype=F64))
    with pytest.raises(TypeError, match=r"float32.*float64"):
        cell(x.float())
    with pytest.raises(ValueError, match="empty"):
        cell(x[:0])
    with pytest.raises(ValueError, match=r"state of shape \(B, 8\)"):
        neurodyn.as_map(cell).step(torch.zeros(2, 4, dtype=F64), x[0])
    with pytest.raises(ValueError, match=r"x of shape \(2, 3\)"):
        neurodyn.as_map(cell).step(torch.zeros(2, 8, dtype=F64), x[0, :, :2])
    for make in (
        lambda: LipschitzRNN(2, 3, nonlinearity="gelu"),
        lambda: CTRNN(2, 3, nonlinearity="softsign"),
        lambda: AntisymmetricRNN(2, 3, nonlinearity=torch.tanh),
    ):
        with pytest.raises(ValueError, match="not supported; use one of"):
            make()
    with pytest.raises(ValueError, match="method must be one of"):
        LipschitzRNN(2, 3, method="rk4")
    with pytest.raises(ValueError, match="rho is the IMEX weight"):
        LipschitzRNN(2, 3, rho=0.5)
    with pytest.raises(ValueError, match="rho must lie in"):
        LipschitzRNN(2, 3, method="imex", rho=1.5)
    with pytest.raises(ValueError, match="beta"):
        LipschitzRNN(2, 3, beta_a=1.5)
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        CoRNN(2, 0)
    with pytest.raises(ValueError, match="dt must be a positive"):
        CTRNN(2, 3, dt=-0.1)
    with pytest.raises(ValueError, match="noise_add"):
        NoisyRNN(2, 3, noise_add=-1.0)


# --- property test over options --------------------------------------------------------------

_OPTIONS = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["lip", "asym", "cornn", "lem", "noisy", "ctrnn"]),
        "method": st.sampled_from(["euler", "imex", "rk4"]),
        "input_size": st.integers(1, 3),
        "hidden_size": st.integers(1, 4),
        "batch_first": st.booleans(),
        "bias": st.booleans(),
        "dtype": st.sampled_from([torch.float32, torch.float64]),
        "seed": st.integers(0, 2**16),
    }
)


def _build(o):
    kw = {"batch_first": o["batch_first"], "bias": o["bias"]}
    m, n = o["input_size"], o["hidden_size"]
    if o["kind"] == "lip":
        return LipschitzRNN(m, n, method="imex" if o["method"] == "imex" else "euler", **kw)
    if o["kind"] == "ctrnn":
        return CTRNN(m, n, method=o["method"], dt=0.2, **kw)
    cls = {"asym": AntisymmetricRNN, "cornn": CoRNN, "lem": LEM, "noisy": NoisyRNN}[o["kind"]]
    return cls(m, n, **kw)


@settings(max_examples=100 if EXTENSIVE else 12, deadline=None)
@given(_OPTIONS)
def test_property_forward_is_map_iteration_and_jacobian_is_autograd(o):
    torch.manual_seed(o["seed"])
    cell = _build(o).to(o["dtype"]).eval()
    B, T = 2, 5
    g = torch.Generator().manual_seed(o["seed"])
    x = torch.randn(T, B, o["input_size"], generator=g, dtype=F64).to(o["dtype"])
    h0 = 0.5 * torch.randn(B, cell.state_size, generator=g, dtype=F64).to(o["dtype"])
    with torch.no_grad():
        out, hT = cell(x.transpose(0, 1) if o["batch_first"] else x, h0)
        states = _iterate(cell, x, h0)
    if o["batch_first"]:
        out = out.transpose(0, 1)
    assert out.dtype == hT.dtype == o["dtype"]
    # equal up to rounding: forward projects the whole sequence in one matmul, the Map one step
    # at a time (different blocking); a few ulps per step over 5 steps of O(1) states
    tol = 1e-12 if o["dtype"] == F64 else 1e-5
    torch.testing.assert_close(out, states[..., : cell.hidden_size], atol=tol, rtol=0)
    torch.testing.assert_close(hT, states[-1], atol=tol, rtol=0)
    check_map(cell, h0, x[0], fused_exact=True)  # jacrev to 1e-10 (f64) / 1e-4 (f32)
