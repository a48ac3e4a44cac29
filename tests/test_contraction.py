"""Contraction certificates of eq. 1 (Kozachkov et al. 2022, Thms. 1–5, 7), checked independently.

Every certified metric is re-checked here at the 2ⁿ vertices of the slope box [0, g]ⁿ (exact:
M J(D) + J(D)ᵀ M is affine in D) and at random interior slopes — a computation the certificate
did not do (it checks each theorem's own relaxation).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodyn import contraction as C


def _worst(W, M, g=1.0, tau=1.0, seed=0):
    """max over vertices and 50 random slope matrices of λ_max(M J + Jᵀ M)."""
    n = len(W)
    rng = np.random.default_rng(seed)
    ds = [np.array(v) * g for v in itertools.product((0.0, 1.0), repeat=n)]
    ds += list(rng.uniform(0, g, (50, n)))
    worst = -np.inf
    for d in ds:
        J = (-np.eye(n) + W * d[None, :]) / tau
        worst = max(worst, np.linalg.eigvalsh(M @ J + J.T @ M)[-1])
    return worst


def _assert_contracts(cert, W, g=1.0, tau=1.0):
    assert cert.proven, cert
    M = np.array(cert.evidence["metric"])
    assert M.shape == W.shape
    assert np.linalg.eigvalsh(M)[0] > 0
    worst = _worst(W, M, g, tau)
    # the certified rate: M J + Jᵀ M ⪯ −β M ⇒ λ_max ≤ −β λ_min(M) < 0 (1e-9 rounding)
    assert worst <= -cert.margin * np.linalg.eigvalsh(M)[0] + 1e-9


def _sparse(n, rng, density=0.3, scale=0.5):
    W = rng.uniform(-scale, scale, (n, n)) * (rng.random((n, n)) < density)
    np.fill_diagonal(W, 0)
    return W


@settings(max_examples=8)
@given(st.integers(2, 6), st.integers(0, 10_000))
def test_theorem1_certified_instances_contract_at_vertices(n, seed):
    rng = np.random.default_rng(seed)
    W = _sparse(n, rng, 0.5, 1.0)
    c = C.theorem1(W)
    rho = np.abs(np.linalg.eigvals(np.abs(W))).max()
    assert c.holds == (rho < 1 - 1e-9) or abs(rho - 1) < 1e-6  # g=1: ρ(|W|) < 1 ⇔ Hurwitz
    if c.holds:
        _assert_contracts(c, W)
        assert (
            np.count_nonzero(
                np.array(c.evidence["metric"]) - np.diag(np.diag(c.evidence["metric"]))
            )
            == 0
        )


def test_theorem1_ignores_negative_self_weights_and_paper_counterexample():
    W = np.array([[-9.0, 0.3], [0.3, 0.0]])  # |W|_11 → 0 since W_11 ≤ 0
    _assert_contracts(C.theorem1(W), W)
    # the paper's counterexample: identity metric fails at D = diag(0, 1) (eigenvalue 1/4)
    Wc = np.array([[-9.0, 2.5], [2.5, 0.0]])
    J = -np.eye(2) + Wc * np.array([0.0, 1.0])[None, :]
    assert np.isclose(np.linalg.eigvalsh(0.5 * (J + J.T))[-1], 0.25)


@settings(max_examples=8)
@given(st.integers(2, 6), st.integers(0, 10_000), st.floats(0.5, 2.0))
def test_theorem2_symmetric_metric_contracts_at_vertices(n, seed, g):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n))
    W = X + X.T
    W = W - (np.linalg.eigvalsh(W)[-1] - 0.9 / g) * np.eye(n)  # λ_max(gW) = 0.9
    W = 0.5 * (W + W.T)
    c = C.theorem2(W, g=g)
    _assert_contracts(c, W, g=g)


def test_theorem2_not_applicable_to_asymmetric():
    assert not C.theorem2(np.array([[0.0, 1.0], [0.0, 0.0]])).holds


def test_theorem3_factorised_weights():
    rng = np.random.default_rng(3)
    n = 5
    X = rng.standard_normal((n, n))
    Q = X @ X.T + 0.1 * np.eye(n)
    P1, P2 = np.diag(rng.uniform(0.5, 2, n)), np.diag(rng.uniform(0.5, 2, n))
    W = -P1 @ Q @ P2
    c = C.theorem3(W, g=3.0)
    _assert_contracts(c, W, g=3.0)
    M = np.array(c.evidence["metric"])
    assert np.allclose(M, np.linalg.inv(P1 @ Q @ P1) * (M[0, 0] / np.linalg.inv(P1 @ Q @ P1)[0, 0]))
    assert not C.theorem3(rng.standard_normal((n, n))).holds


def test_theorem4_triangular():
    rng = np.random.default_rng(4)
    W = np.tril(rng.uniform(-3, 3, (5, 5)), -1) + np.diag([0.5, -2.0, 0.9, 0.0, 0.3])
    c = C.theorem4(W)
    _assert_contracts(c, W)
    W[2, 2] = 1.2  # gW − I no longer Hurwitz
    assert not C.theorem4(W).holds
    assert not C.theorem4(rng.standard_normal((3, 3))).holds


@settings(max_examples=6)
@given(st.integers(2, 7), st.integers(0, 10_000))
def test_theorem5_lmi_metric_contracts(n, seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, n)) / np.sqrt(n)
    W *= 0.8 / np.linalg.norm(W, 2) * rng.uniform(1.0, 1.4)  # often beyond ‖W‖ < 1
    c = C.theorem5(W)
    if np.linalg.norm(W, 2) < 0.999:
        assert c.holds  # P = I is feasible
    if c.holds:
        P = np.array(c.evidence["metric"])
        assert np.linalg.eigvalsh(W.T @ P @ W - P)[-1] < 0
        _assert_contracts(c, W)


@pytest.mark.parametrize("metric", ["diagonal", "full"])
def test_sector_lmi_contracts_and_matches_cvxpy(metric):
    rng = np.random.default_rng(5)
    W = rng.standard_normal((5, 5)) * 0.45
    c = C.sector(W, metric=metric)
    _assert_contracts(c, W)
    ref = C.sector_lmi_cvxpy(1.0, A=-np.eye(5), B=W, C=np.eye(5), metric=metric)
    assert ref.solved  # an independent construction of the same LMI agrees it is feasible


def test_sector_contains_theorem5():
    rng = np.random.default_rng(6)
    for _ in range(3):
        W = rng.standard_normal((6, 6)) * 0.4
        if C.theorem5(W).holds:
            assert C.sector(W, metric="diagonal").holds


@pytest.mark.parametrize("c", [2.0, 2.5, 3.0, 5.0])
def test_theorem7_infeasible_for_c_at_least_2(c):
    cert = C.theorem7(c)
    assert not cert.holds
    assert cert.evidence["solver_status"] != "solved"
    # yet W_sym − I = −I ≺ 0: the symmetric-part heuristic holds (it is not sufficient)
    W = np.array([[0.0, -c], [c, 0.0]])
    assert C.matsuoka(W).holds and C.matsuoka(W).kind == "heuristic"


@pytest.mark.parametrize("c", [0.5, 1.0, 1.9])
def test_theorem7_feasible_below_2(c):
    cert = C.theorem7(c)
    W = np.array([[0.0, -c], [c, 0.0]])
    _assert_contracts(cert, W)


def test_theorem7_scales_with_g():
    assert not C.theorem7(1.0, g=2.0).holds  # gc = 2
    assert C.theorem7(1.0, g=1.5).holds


def test_certify_dispatch_tensor_and_report():
    W = torch.tensor([[0.0, 0.5], [0.5, 0.0]], dtype=torch.float64)
    rep = C.certify(W, g=1.0)
    names = [c.name for c in rep]
    assert {"theorem1", "theorem2", "theorem5", "sector_full", "vertex"} <= set(names)
    for cert in rep:
        if cert.proven:
            _assert_contracts(cert, W.numpy())
    assert rep.to_dict()["certificates"][0]["name"] == "theorem1"


def test_certify_with_activation_module():
    W = np.array([[0.0, 3.0], [0.0, 0.0]])
    rep = C.certify(W, activation=torch.nn.Sigmoid())  # g = 1/4
    assert rep["theorem4"].holds
    with pytest.raises(ValueError, match="no slope bound"):
        C.certify(W, activation=torch.nn.GELU())


def test_bad_inputs():
    with pytest.raises(ValueError, match="square"):
        C.certify(np.ones((2, 3)))
    with pytest.raises(ValueError, match="slope bound"):
        C.certify(np.eye(2), g=None)
    with pytest.raises(ValueError, match="positive"):
        C.certify(np.eye(2), g=-1.0)
    with pytest.raises(TypeError, match="Supported"):
        C.certify("W")
    with pytest.raises(TypeError, match="does not support"):
        C.certify(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="NaN"):
        C.certify(np.array([[np.nan, 0], [0, 0]]))
    with pytest.raises(ValueError, match="positive definite"):
        C.carry_over(
            -np.eye(2), 0.5, -np.eye(2), np.eye(2), np.eye(2), g=1.0, dt=0.1, method="euler"
        )
    with pytest.raises(ValueError, match="both dt and method"):
        C.ctrnn(np.eye(2) * 0.1, dt=0.1)
