"""neurodyn.sysid: models as driven Maps, training, and certificates with inputs — each checked
against something it did not produce (autograd Jacobians, SciPy root finding, sampling,
simulated trajectory pairs, singular values computed here)."""

import numpy as np
import pytest
import torch
from scipy.optimize import fsolve

import neurodyn
from neurodyn.data import TwoTank, trajectories
from neurodyn.sysid import (
    NeuralSSM,
    certify_ssm,
    equilibria,
    evaluate,
    fit,
    incremental_bound,
    outside_behaviour,
    spectra,
)
from neurodyn.systems import FrozenInput
from neurodyn.testing import check_map

XBOX = [(-2.0, 2.0), (-2.0, 2.0)]


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: intra-op threads only add synchronisation on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


UBOX = [(-1.0, 1.0), (-0.5, 1.5)]


def _scaled(model, factor):
    with torch.no_grad():
        for p in model.f.parameters():
            if p.dim() == 2:
                p.mul_(factor)
    return model


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"coupled": True},
        {"structure": "spectral"},
        {"g_hidden": (6,), "activation": "tanh"},
        {"coupled": True, "activation": "softplus", "structure": "spectral"},
    ],
)
def test_models_keep_the_map_contract(kw):
    """Analytic / forward-mode Jacobians equal torch.func.jacrev of step (check_map)."""
    model = NeuralSSM(2, 2, hidden=(8, 8), seed=1, **kw)
    m = neurodyn.as_map(model)
    assert (m.dim, m.input_size) == (2, 2)
    check_map(m)
    check_map(FrozenInput(m, torch.tensor([0.3, -0.2], dtype=torch.float64)))


@pytest.mark.parametrize("coupled", [False, True])
def test_affine_form_state_block_is_the_jacobian_for_relu(coupled):
    """For ReLU nets A*ₓ(x, u) = ∂x'/∂x (a.e.): compare with jacrev of the model."""
    model = NeuralSSM(2, 2, hidden=(16,), coupled=coupled, seed=2)
    x = torch.randn(20, 2, dtype=torch.float64)
    u = torch.randn(20, 2, dtype=torch.float64)
    A = model.affine_form(x, u).A
    J = torch.func.vmap(torch.func.jacrev(lambda a, b: model(a[None], b[None])[0]))(x, u)
    torch.testing.assert_close(A, J, rtol=1e-12, atol=1e-12)
    sp = spectra(model, x, u)
    torch.testing.assert_close(sp.norm2, torch.linalg.matrix_norm(J, ord=2), rtol=1e-10, atol=0)


def test_equilibria_under_constant_input_match_scipy():
    """FrozenInput + fixed_points finds x̄ = f(x̄) + g(ū); SciPy's fsolve from the same point
    agrees, and the stability label follows |eig(jacrev)|."""
    model = NeuralSSM(2, 2, hidden=(16,), activation="tanh", seed=3)
    inputs = torch.tensor([[0.5, -0.5], [1.0, 1.0]], dtype=torch.float64)
    sweep = equilibria(model, inputs, XBOX, resolution=6)
    assert all(len(r) >= 1 for r in sweep.results)
    for ub, res in zip(inputs, sweep.results, strict=True):
        for p in res.points:

            def g(x, ub=ub):
                xt = torch.tensor(x, dtype=torch.float64)[None]
                return (model(xt, ub[None])[0] - xt[0]).detach().numpy()

            sol = fsolve(g, p.x.numpy() + 1e-3, xtol=1e-13)
            np.testing.assert_allclose(sol, p.x.numpy(), atol=1e-9)
            J = torch.func.jacrev(lambda a, ub=ub: model(a[None], ub[None])[0])(p.x)
            stable = bool(torch.linalg.eigvals(J).abs().max() < 1)
            assert (p.kind == "stable") == stable


def test_structured_model_is_proven_dissipative_and_plain_scaled_is_not():
    """q ≥ ∏ svdvals_max(W_i) (computed here) and q < 1 for σ_max = 0.9; a plain net with its
    weights tripled fails the proof and the sampled check."""
    model = NeuralSSM(2, 2, hidden=(8, 8), structure="spectral", sigma_max=0.9, seed=4)
    rep = {c.name: c for c in certify_ssm(model, XBOX, UBOX, resolution=9)}
    q_here = np.prod(
        [
            float(torch.linalg.svdvals(m.weight.detach())[0])
            for m in model.f
            if isinstance(m, torch.nn.Linear)
        ]
    )
    assert rep["dissipativity_proof"].kind == "proof" and rep["dissipativity_proof"].holds
    assert q_here <= rep["dissipativity_proof"].evidence["q"] <= 0.9**3 * (1 + 1e-12)
    assert (
        rep["dissipativity_sampled"].evidence["max_norm2"]
        <= rep["dissipativity_proof"].evidence["q"]
    )
    plain = _scaled(NeuralSSM(2, 2, hidden=(8, 8), seed=4), 3.0)
    rep2 = {c.name: c for c in certify_ssm(plain, XBOX, UBOX, resolution=9)}
    assert not rep2["dissipativity_proof"].holds and not rep2["dissipativity_sampled"].holds


@pytest.mark.parametrize("g_hidden", [None, (6,)])
def test_input_bound_dominates_sampled_inputs(g_hidden):
    """G ≥ max ‖g(u)‖ over 4000 sampled inputs; for linear g it is attained (exact, at a vertex)."""
    model = NeuralSSM(
        2, 2, hidden=(8,), g_hidden=g_hidden, structure="spectral", sigma_max=0.9, seed=5
    )
    G = {c.name: c for c in certify_ssm(model, XBOX, UBOX, resolution=5)}[
        "bounded_response"
    ].evidence["G"]
    box = neurodyn.Box.coerce(UBOX)
    us = torch.cat([box.sample(4000, seed=0), box.corners()])
    with torch.no_grad():
        sampled = float(torch.linalg.vector_norm(model.g(us), dim=1).max())
    assert sampled <= G
    if g_hidden is None:
        assert sampled >= G * (1 - 1e-12)


@pytest.mark.parametrize("coupled", [False, True])
def test_absorbing_ball_and_incremental_bound_hold_on_simulations(coupled):
    """Trajectories under random inputs in U: starting inside the ball ‖x‖ ≤ r they stay inside;
    pairs (x, u), (y, v) satisfy ‖x_t − y_t‖ ≤ e_t (the incremental bound) at every t."""
    model = NeuralSSM(
        2, 2, hidden=(8, 8), coupled=coupled, structure="spectral", sigma_max=0.9, seed=6
    )
    rep = {c.name: c for c in certify_ssm(model, XBOX, UBOX, resolution=5)}
    r = rep["bounded_response"].evidence["radius"]
    L, gamma = rep["incremental_iss"].evidence["L"], rep["incremental_iss"].evidence["gamma"]
    assert rep["incremental_iss"].holds and np.isfinite(r)
    box = neurodyn.Box.coerce(UBOX)
    gen = torch.Generator().manual_seed(0)
    B, T = 64, 60
    u = box.sample(B * T, seed=1).reshape(B, T, 2)
    v = box.sample(B * T, seed=2).reshape(B, T, 2)
    d = torch.randn(B, 2, generator=gen, dtype=torch.float64)
    x0 = (
        d
        / torch.linalg.vector_norm(d, dim=1, keepdim=True)
        * r
        * torch.rand(B, 1, generator=gen, dtype=torch.float64)
    )
    y0 = x0 + torch.randn(B, 2, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        xs, ys = model.rollout(x0, u), model.rollout(y0, v)
    assert float(torch.linalg.vector_norm(xs, dim=-1).max()) <= r
    for b in range(B):
        du = torch.linalg.vector_norm(u[b] - v[b], dim=-1).numpy()
        e = incremental_bound(L, gamma, float(torch.linalg.vector_norm(x0[b] - y0[b])), du)
        got = torch.linalg.vector_norm(xs[b] - ys[b], dim=-1).numpy()
        assert (got <= e * (1 + 1e-10) + 1e-12).all()


def test_equilibrium_bounds_with_input_hold():
    model = NeuralSSM(2, 2, hidden=(8,), structure="spectral", sigma_max=0.95, seed=7)
    c = {c.name: c for c in certify_ssm(model, XBOX, UBOX, resolution=9)}["equilibrium_bounds"]
    assert c.holds and c.kind == "sampled" and c.evidence["equilibria"]
    assert all(row["within_radius"] for row in c.evidence["equilibria"])


def test_outside_behaviour_structured_bounded_plain_expanding_not():
    good = NeuralSSM(2, 2, hidden=(8,), structure="spectral", sigma_max=0.9, seed=8)
    assert outside_behaviour(good, XBOX, UBOX, steps=100)["bounded"]
    lin = NeuralSSM(2, 2, hidden=(8,), seed=8)
    with torch.no_grad():  # f(x) = W₂ relu(W₁ x + b) + c with a linear, expanding branch
        lin.f[0].weight.copy_(torch.cat([torch.eye(2), -torch.eye(2), torch.zeros(4, 2)]))
        lin.f[0].bias.zero_()
        lin.f[2].weight.copy_(
            torch.cat([1.5 * torch.eye(2), -1.5 * torch.eye(2), torch.zeros(2, 4)], 1)
        )
    assert not outside_behaviour(lin, XBOX, UBOX, steps=100)["bounded"]


def test_fit_reduces_loss_restores_best_and_is_deterministic():
    data = trajectories(TwoTank(), n_train=3, n_val=1, n_test=1, length=40, seed=0)

    def run():
        model = NeuralSSM(2, 2, hidden=(16,), seed=0)
        res = fit(model, data, horizon=5, epochs=12, lr=1e-2, batch_size=32, patience=50)
        return model, res

    m1, r1 = run()
    _m2, r2 = run()
    assert r1.train_loss == r2.train_loss
    assert r1.train_loss[-1] < r1.train_loss[0]
    ev = evaluate(m1, data, split="val", horizon=5)
    assert ev.nstep_mse == pytest.approx(r1.best_val, rel=1e-9)  # the best weights are restored
    pred = m1.predict(data.test.x[0, 0], data.test.u[0])
    assert pred.shape == data.test.x[0].shape
    x = torch.as_tensor(data.norm.x(data.test.x[:1]))
    u = torch.as_tensor(data.norm.u(data.test.u[:1]))
    with torch.no_grad():
        want = data.norm.x_inverse(m1.rollout(x[:, 0], u).numpy()[0])
    np.testing.assert_allclose(pred, want, rtol=1e-12)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="activation"):
        NeuralSSM(2, 1, activation="sigmoidx")
    with pytest.raises(ValueError, match="structure"):
        NeuralSSM(2, 1, structure="orthogonal")
    model = NeuralSSM(2, 1, hidden=(4,))
    with pytest.raises(ValueError, match="driven"):
        neurodyn.as_map(model).step(torch.zeros(1, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="predict needs"):
        model.predict(np.zeros(2), np.zeros((3, 1)))
