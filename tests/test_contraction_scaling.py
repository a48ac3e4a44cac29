"""Kozachkov et al. 2022, Thm. 5 by optimal diagonal scaling (``contraction._scaling``), checked
against things it did not compute: the analytic Perron optimum of a nonnegative W, torch's
autograd of ``svdvals``, the SCS LMI (verdicts and, by bisection on g, the infimum), and the
slope-box vertices of eq. 1 (``test_contraction._assert_contracts``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.test_contraction import _assert_contracts

from neurodyn import contraction as C
from neurodyn.contraction._scaling import diagonal_scaling, infeasibility_certificate


def _sigma(W, d):
    return float(np.linalg.norm(d[:, None] * W / d[None, :], 2))


def test_gradient_of_sigma_max_is_sigma_times_a2_minus_b2():
    """∂σ_max(e^U W e^{-U})/∂u_k = σ (a_k² − b_k²), against torch autograd of svdvals."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((7, 7))
    u = rng.standard_normal(7)
    ut = torch.tensor(u, requires_grad=True)
    Wt = torch.tensor(W)
    torch.linalg.svdvals(torch.exp(ut)[:, None] * Wt * torch.exp(-ut)[None, :])[0].backward()
    M = np.exp(u)[:, None] * W * np.exp(-u)[None, :]
    U, s, Vt = np.linalg.svd(M)
    np.testing.assert_allclose(s[0] * (U[:, 0] ** 2 - Vt[0] ** 2), ut.grad.numpy(), rtol=1e-10,
                               atol=1e-12)  # fmt: skip


@pytest.mark.parametrize("n", [5, 40])
def test_nonnegative_w_reaches_its_spectral_radius(n):
    """For W ≥ 0 the Perron scaling is optimal: min_D σ_max(DWD⁻¹) = ρ(W) (module docstring),
    while ρ(W) ≤ σ_max(DWD⁻¹) for every D: the result must sit on ρ(W) to rounding."""
    rng = np.random.default_rng(n)
    W = rng.uniform(0, 1, (n, n)) * np.exp(rng.uniform(-2, 2, n))[None, :]
    rho = float(np.abs(np.linalg.eigvals(W)).max())
    res = diagonal_scaling(W)
    assert res.start == "perron"
    assert _sigma(W, res.d) == pytest.approx(rho, rel=1e-6)
    assert _sigma(W, res.d) >= rho * (1 - 1e-12)


def _instance(n, norm, seed):
    """W = Φ⁻¹W₀Φ with ‖W₀‖ = norm: D = Φ gives σ = norm, D = I gives far more."""
    rng = np.random.default_rng(seed)
    W0 = rng.standard_normal((n, n))
    phi = np.exp(rng.uniform(-1, 1, n))
    return (norm * W0 / np.linalg.norm(W0, 2)) * phi[None, :] / phi[:, None]


@pytest.mark.parametrize("n", [6, 12])
def test_infimum_matches_bisection_with_the_scs_lmi(n):
    """Independent infimum: the LMI of Thm. 5 (SCS) is feasible at g = 0.995/σ* and infeasible
    at g = 1.005/σ*, σ* our minimum (SCS's feasibility tolerance decides within ±0.5 %)."""
    W = _instance(n, 1.0, n)
    sigma = _sigma(W, diagonal_scaling(W).d)
    assert sigma <= 1.0 + 1e-9  # D = Φ is a candidate
    assert C.theorem5(W, g=0.995 / sigma, method="lmi").holds
    assert not C.theorem5(W, g=1.005 / sigma, method="lmi").holds


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 10), st.floats(0.5, 1.6), st.integers(0, 10_000))
def test_verdicts_equal_the_scs_path(n, norm, seed):
    W = _instance(n, norm, seed)
    sigma = _sigma(W, diagonal_scaling(W).d)
    if abs(sigma - 1) < 2e-3:
        return  # at the boundary SCS's tolerance, not the method, decides
    fast, lmi = C.theorem5(W), C.theorem5(W, method="lmi")
    assert fast.holds == lmi.holds
    if fast.holds:
        _assert_contracts(fast, W)
        assert "scaling" in fast.method


def test_infeasible_answers_carry_a_checked_proof():
    W = _instance(30, 1.3, 1)
    cert = C.theorem5(W)
    assert not cert.holds and cert.kind == "proof"
    Z = np.array(cert.evidence["dual"])
    assert np.linalg.eigvalsh(Z)[0] > -1e-12 and np.trace(Z) == pytest.approx(1.0)
    assert (np.diag(Z) <= np.diag(W @ Z @ W.T) + 1e-12).all()
    # so no diagonal P ≥ 0 can work: ⟨P − WᵀPW, Z⟩ ≤ 0 for random P
    for p in np.random.default_rng(0).uniform(0, 1, (5, 30)):
        assert np.trace((np.diag(p) - W.T @ np.diag(p) @ W) @ Z) <= 1e-12
    # the LMI agrees there is none
    assert not C.theorem5(W, method="lmi").holds


def test_spectral_radius_bound_and_wrong_duals_are_refused():
    cert = C.theorem5(np.diag([1.5, 0.2, 0.1]))
    assert not cert.holds and "ρ(W)" in cert.method
    W = _instance(8, 0.5, 2)  # feasible: no Z can exist, so a candidate set must be refused
    cand = np.random.default_rng(0).standard_normal((20, 8))
    assert infeasibility_certificate(W, 1.0, cand / np.linalg.norm(cand, axis=1)[:, None]) is None


def test_nilpotent_w_is_certified_inside_the_scaling_box():
    """Strictly triangular W: the infimum 0 is approached only as d → 0/∞; the bounded descent
    still proves a metric. P = D² then spans ~30 decades, beyond an unscaled float64 check, so
    the slope-box vertices are checked in D-coordinates: D⁻¹(PJ + JᵀP)D⁻¹ = K + Kᵀ with
    K = D J D⁻¹ = (−I + (DWD⁻¹)S)/τ for each vertex slope S (S and D commute)."""
    import itertools

    W = np.triu(np.random.default_rng(3).standard_normal((6, 6)) * 5, 1)
    cert = C.theorem5(W)
    assert cert.proven and cert.margin > 0
    d = np.array(cert.evidence["scaling"])
    np.testing.assert_allclose(np.array(cert.evidence["metric"]), np.diag(d**2))
    M = d[:, None] * W / d[None, :]
    for v in itertools.product((0.0, 1.0), repeat=6):
        K = -np.eye(6) + M * np.array(v)[None, :]
        assert np.linalg.eigvalsh(K + K.T)[-1] <= -cert.margin + 1e-12
