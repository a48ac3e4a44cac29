"""Lipschitz RNN (Erichson et al. 2021), discrete steps, sampled checks, the combination rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodyn import contraction as C
from neurodyn.systems import FlowMap


def test_prop1_counterexample():
    """ḣ = −0.1h + tanh(5h): A = −0.1 passes Prop. 1, but the origin is unstable."""
    A, W = np.array([[-0.1]]), np.array([[5.0]])
    heur = C.prop1(A)
    assert heur.holds and heur.kind == "heuristic"
    assert -0.1 + 5 * 1.0 > 0  # linearisation at 0: A + tanh'(0)·W
    h = torch.tensor([[1e-3]], dtype=torch.float64)
    for _ in range(200):  # Euler, dt = 0.01: grows away from the equilibrium 0
        h = h + 0.01 * (-0.1 * h + torch.tanh(5 * h))
    assert h.abs().item() > 0.1
    rep = C.lipschitz_rnn(A, W)
    assert not rep["lipschitz_norm"].holds and not rep["lipschitz_sector_full"].holds


def _lip_contracts(cert, A, W, g=1.0, seed=0):
    M = np.array(cert.evidence["metric"])
    rng = np.random.default_rng(seed)
    n = len(A)
    ds = [np.zeros(n), np.full(n, g), *list(rng.integers(0, 2, (30, n)) * g)]
    ds += list(rng.uniform(0, g, (30, n)))
    for d in ds:
        J = A + d[:, None] * W
        assert np.linalg.eigvalsh(M @ J + J.T @ M)[-1] < 0


@settings(max_examples=6)
@given(st.integers(2, 6), st.integers(0, 10_000))
def test_lipschitz_sector_never_looser_than_norm(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n))
    A = C.prop2_bounds(X, 0.75, 1.5)[0]
    W = rng.standard_normal((n, n)) * rng.uniform(0.1, 0.6)
    norm = C.lipschitz_norm(A, W)
    sec = C.lipschitz_sector(A, W, metric="full")
    if norm.holds:
        assert sec.holds
    for c in (norm, sec):
        if c.holds:
            _lip_contracts(c, A, W)


def test_lipschitz_sector_tighter_on_hierarchical_instance():
    """Damped A with a little rotation, a feed-forward (strictly lower) W with ‖W‖₂ ≫ −μ₂(A)."""
    rng = np.random.default_rng(7)
    n = 6
    X = rng.standard_normal((n, n))
    A = -2.0 * np.eye(n) + 0.1 * (X - X.T)
    W = np.tril(3 * rng.standard_normal((n, n)), -1)
    assert not C.lipschitz_norm(A, W).holds
    sec = C.lipschitz_sector(A, W, metric="full")
    assert sec.proven
    _lip_contracts(sec, A, W)


@settings(max_examples=20)
@given(st.integers(1, 8), st.floats(0.5, 1.0), st.floats(0.0, 3.0), st.integers(0, 10_000))
def test_prop2_bounds(n, beta, gamma, seed):
    M = np.random.default_rng(seed).standard_normal((n, n))
    A, lo, hi = C.prop2_bounds(M, beta, gamma)
    re = np.linalg.eigvals(A).real
    tol = 1e-9 * (1 + np.abs(M).sum())
    assert (re >= lo - tol).all() and (re <= hi + tol).all()


def test_ctrnn_euler_step_fails_at_large_dt():
    """Certified continuous CT-RNN (identity metric), whose Euler step at dt = 1.5 is not."""
    c = 1.5
    W = np.array([[0.0, -c], [c, 0.0]])
    rep = C.ctrnn(W, dt=1.5, method="euler")
    assert rep["vertex"].proven and rep["sector_full"].proven
    # at D = I (tanh at x = 0) the step Jacobian (1 − h)I + hW has modulus √((1−h)² + h²c²) > 1
    assert not rep["discrete_spectral_radius"].holds
    assert not rep["discrete_sector_full"].holds
    assert not rep["continuous_carries_over"].holds
    # the map really separates nearby trajectories
    Wt = torch.tensor(W)
    x, y = torch.zeros(1, 2, dtype=torch.float64), torch.full((1, 2), 1e-6, dtype=torch.float64)
    for _ in range(20):
        x = x + 1.5 * (-x + torch.tanh(x) @ Wt.T)
        y = y + 1.5 * (-y + torch.tanh(y) @ Wt.T)
    assert (x - y).norm() > 1e-4
    # small dt: the continuous certificate carries over and the step LMI holds
    small = C.ctrnn(W, dt=0.05, method="euler")
    assert small["continuous_carries_over"].proven
    assert small["discrete_sector_full"].proven
    cert = small["continuous_carries_over"]
    assert 0.05 < cert.evidence["dt_max"]


def test_carry_over_bound_is_correct_at_vertices():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((4, 4)) * 0.3
    rep = C.ctrnn(W, dt=0.02, method="euler", lmi="full")
    cert = rep["continuous_carries_over"]
    assert cert.proven
    M = np.array(cert.evidence["metric"])
    Lc = np.linalg.cholesky(M)
    for d in rng.integers(0, 2, (16, 4)).astype(float):
        J = np.eye(4) + 0.02 * (-np.eye(4) + W * d[None, :])
        nrm = np.linalg.norm(Lc.T @ J @ np.linalg.inv(Lc.T), 2)
        assert nrm <= cert.evidence["factor_bound"] + 1e-12


@pytest.mark.parametrize("method", ["euler", "imex"])
def test_lipschitz_step_certificates(method):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((4, 4))
    A = C.prop2_bounds(X, 0.8, 3.0)[0]
    W = 0.3 * rng.standard_normal((4, 4))
    rep = C.lipschitz_rnn(A, W, dt=0.05, method=method, rho=0.5)
    cert = rep["discrete_sector_full"]
    assert cert.proven
    F_A, F_B, Cm, _, _ = C.step_matrices("lipschitz", method, 0.05, W=W, A=A, rho=0.5)
    M = np.array(cert.evidence["metric"])
    for d in rng.integers(0, 2, (16, 4)).astype(float):
        J = F_A + F_B @ (d[:, None] * Cm)
        assert np.linalg.eigvalsh(J.T @ M @ J - M)[-1] < 0


def test_sampled_check_along_trajectories():
    rng = np.random.default_rng(3)
    W = torch.tensor(rng.standard_normal((3, 3)) * 0.3)
    field = lambda h: -h + torch.tanh(h) @ W.T  # noqa: E731
    mp = FlowMap(field, 0.1, scheme="euler", dim=3)
    h0 = torch.randn(4, 3, dtype=torch.float64)
    rep = C.certify(W.numpy(), lmi="full")
    M = np.array(rep["sector_full"].evidence["metric"])
    disc = C.sampled(mp, h0, metric=M, steps=20)
    cont = C.sampled(mp, h0, metric=M, steps=20, continuous=True)
    assert disc.kind == cont.kind == "sampled"
    assert disc.holds and cont.holds
    # an expanding field is caught
    bad = FlowMap(lambda h: h, 0.1, scheme="euler", dim=3)
    assert not C.sampled(bad, h0, steps=3).holds


# -- combination -----------------------------------------------------------------------------


def _random_blocks(rng, sizes):
    blocks, metrics = [], []
    for k in sizes:
        X = rng.standard_normal((k, k))
        A = X - (np.linalg.eigvals(X).real.max() + 0.3) * np.eye(k)  # Hurwitz, non-normal
        blocks.append(A)
        metrics.append(C.lyapunov_metric(A))  # M A + Aᵀ M = −I, non-identity
    return blocks, metrics


def test_assembly_convention_ours_contracts_kozleo_fails():
    rng = np.random.default_rng(0)
    sizes = (3, 3, 3)
    failures = 0
    for _trial in range(20):
        blocks, metrics = _random_blocks(rng, sizes)
        M = C.block_diag(metrics)
        B = np.zeros((9, 9))
        for i in range(3):
            for j in range(i):
                B[3 * i : 3 * i + 3, 3 * j : 3 * j + 3] = 2 * rng.standard_normal((3, 3))
        ours = C.skew_interconnection(B, M)
        assert np.abs(M @ ours + ours.T @ M).max() < 1e-9 * np.abs(M).max() * np.abs(B).max()
        asm = C.Assembly(blocks, metrics, ours, linear=True)
        rep = C.certify(asm)
        assert rep["assembly"].proven and rep["assembly"].evidence["mode"] == "feedback"
        J = asm.jacobian()
        assert np.linalg.eigvalsh(M @ J + J.T @ M)[-1] < 0  # metric inequality preserved
        assert np.linalg.eigvals(J).real.max() < 0
        kozleo = B - M @ B.T @ np.linalg.inv(M)
        Jk = C.block_diag(blocks) + kozleo
        failures += np.linalg.eigvals(Jk).real.max() > 0
    assert failures > 0  # some instance with the kozleo convention is unstable


def test_feedback_gain_two_blocks():
    rng = np.random.default_rng(1)
    (A1, A2), (M1, M2) = _random_blocks(rng, (2, 3))
    G = rng.standard_normal((3, 2))
    B = C.feedback_gain(M1, M2, G)
    L = np.zeros((5, 5))
    L[:2, 2:], L[2:, :2] = B, G
    rep = C.certify(C.Assembly([A1, A2], [M1, M2], L, linear=True))
    assert rep["assembly"].proven


def test_hierarchical_assembly_eq1_blocks():
    rng = np.random.default_rng(2)
    W1 = np.array([[0.0, 0.4], [0.3, 0.0]])
    W2 = np.array([[0.0, -0.5], [0.2, 0.0]])
    p1, p2 = C.theorem1(W1).evidence["metric"], C.theorem1(W2).evidence["metric"]
    L = np.zeros((4, 4))
    L[2:, :2] = 5 * rng.standard_normal((2, 2))  # one-way coupling, large
    asm = C.Assembly([W1, W2], [np.array(p1), np.array(p2)], L)
    cert = C.certify(asm)["assembly"]
    assert cert.proven and cert.evidence["mode"] == "comparison"
    Mc = np.array(cert.evidence["metric"])
    for d in rng.integers(0, 2, (16, 4)).astype(float):
        J = asm.jacobian(d)
        assert np.linalg.eigvalsh(Mc @ J + J.T @ Mc)[-1] < 0


def test_assembly_bad_inputs():
    with pytest.raises(ValueError, match="one metric per block"):
        C.Assembly([np.eye(2)], [], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="positive definite"):
        C.Assembly([np.eye(2)], [-np.eye(2)], np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        C.Assembly([np.eye(2)], [np.eye(2)], np.zeros((3, 3)))
