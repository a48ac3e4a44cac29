"""The full-metric sector LMI through a Riccati equation at Λ = I (``_lmi.sector_riccati``),
checked against what it did not compute: the slope-box vertices of J(D) = A + D W (the metric
must contract at each), the Riccati residual, and the SCS SDP's verdict on random instances
(the fallback must make the two agree).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from neurodyn import contraction as C
from neurodyn.contraction._lipschitz import _sector_certificate
from neurodyn.contraction._lmi import sector_lmi, sector_riccati


def _lipschitz_instance(n, scale, seed):
    rng = np.random.default_rng(seed)
    A = C.prop2_bounds(rng.standard_normal((n, n)) / np.sqrt(n), 0.8, 1.0)[0]
    return A, scale * rng.standard_normal((n, n)) / np.sqrt(n)


def _assert_contracts_at_vertices(cert, A, W):
    """MJ + JᵀM ≺ 0 at every vertex J = A + DW, D ∈ {0, 1}ⁿ (exact: affine in D)."""
    M = np.array(cert.evidence["metric"])
    for v in itertools.product((0.0, 1.0), repeat=len(A)):
        J = A + np.diag(v) @ W
        assert np.linalg.eigvalsh(M @ J + J.T @ M)[-1] < 0


def test_riccati_metric_contracts_at_every_vertex():
    A, W = _lipschitz_instance(8, 0.8, 0)
    assert not C.lipschitz_norm(A, W).holds  # M = I does not do it: the metric is needed
    cert = C.lipschitz_sector(A, W, metric="full")
    assert cert.proven and "Riccati" in cert.method
    _assert_contracts_at_vertices(cert, A, W)


def test_riccati_solution_solves_its_equation():
    """With Λ = I, B = I, C = W: X Ã + ÃᵀX + ½ X² + ½ WᵀW = −ε·s·I, Ã = A + W/2, for the first
    ε tried (1e-3, s = max(1, ‖½WᵀW‖₂)), to rounding."""
    A, W = _lipschitz_instance(6, 0.5, 1)
    res = sector_riccati(1.0, A=A, B=np.eye(6), C=W)
    assert res.solved
    X, At = res.metric, A + 0.5 * W
    q = 0.5 * W.T @ W
    R = X @ At + At.T @ X + 0.5 * X @ X + q
    scale = max(1.0, np.linalg.norm(q, 2))
    np.testing.assert_allclose(R, -1e-3 * scale * np.eye(6), atol=1e-9 * np.abs(X).max() ** 2)


def _instance(seed):
    rng = np.random.default_rng(seed)
    n = 4
    A = -np.diag(rng.uniform(0.2, 3, n)) + 0.3 * rng.standard_normal((n, n))
    W = np.diag(np.exp(rng.uniform(-2, 2, n))) @ rng.standard_normal((n, n)) * 0.5
    return A, W


def test_scaled_multiplier_rescues_a_uniform_failure():
    """Λ = I has no solution here; Λ = d² from the diagonal scaling of C(−A)⁻¹B has one (in
    57 draws like this where SCS found a metric and Λ = I did not, it rescued 49)."""
    A, W = _instance(38)
    assert not sector_riccati(1.0, A=A, B=np.eye(4), C=W).solved
    cert = C.lipschitz_sector(A, W, metric="full")
    assert cert.proven and "Λ = d²" in cert.method
    _assert_contracts_at_vertices(cert, A, W)


def test_falls_back_to_the_sdp_when_both_multipliers_fail():
    A, W = _instance(220)  # neither Λ = I nor Λ = d² works; an SDP multiplier does
    cert = C.lipschitz_sector(A, W, metric="full")
    assert cert.proven and "SCS" in cert.method and "(after " in cert.method
    assert cert.method.index("Riccati") > cert.method.index("(after ")  # tried before SCS


@pytest.mark.parametrize("seed", range(40))
def test_verdict_equals_the_scs_sdp(seed):
    """Many of these draws make SciPy return a Riccati 'solution' that is not one (G ⊀ 0): the
    re-check must reject it and the SDP decide."""
    A, W = _instance(seed)
    ours = C.lipschitz_sector(A, W, metric="full")
    res = sector_lmi(1.0, A=A, B=np.eye(4), C=W, metric="full")
    scs = _sector_certificate("scs", res, 1.0, A=A, B=np.eye(4), C=W, assumptions=())
    assert ours.holds == scs.holds
