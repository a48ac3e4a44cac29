"""The frequency-domain disproof of the sector LMI (B = I): the identity it rests on, the scalar
case worked by hand, agreement with SCS, and refusal of tampered certificates."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurodyn.contraction as C
from neurodyn.contraction._lmi import sector_lmi, sector_matrix, sector_riccati
from neurodyn.contraction._sector_dual import check_frequency_dual, frequency_dual


def _instance(n, s, seed):
    rng = np.random.default_rng(seed)
    A = C.prop2_bounds(rng.standard_normal((n, n)) / np.sqrt(n), 0.8, 1.0)[0]
    return A, s * rng.standard_normal((n, n)) / np.sqrt(n)


def test_the_metric_terms_cancel_on_the_frequency_response():
    """[x; u]* G(M, Λ) [x; u] = 2 Σ_j λ_j c_j for u = jωx − Ax, whatever M: the identity the
    certificate rests on, here with a random symmetric M and Λ ≥ 0 (no LMI solution needed)."""
    rng = np.random.default_rng(0)
    n, g = 5, 0.7
    A, W = _instance(n, 1.0, 1)
    M = rng.standard_normal((n, n))
    M = M + M.T
    lam = rng.uniform(0, 2, n)
    G = sector_matrix(M, lam, g, A=A, B=np.eye(n), C=W)
    for omega in (0.0, 0.3, 4.0):
        x = rng.standard_normal(n) + 1j * rng.standard_normal(n)
        u = 1j * omega * x - A @ x
        z = np.r_[x, u]
        c = g * np.real(np.conj(u) * (W @ x)) - np.abs(u) ** 2
        assert np.real(z.conj() @ G @ z) == pytest.approx(2 * lam @ c, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize(("w", "infeasible"), [(3.0, True), (1.5, True), (0.9, False),
                                                (0.5, False), (-2.0, False)])  # fmt: skip
def test_scalar_case_by_hand(w, infeasible):
    """n = 1, A = −a, C = w: 4aMλ > (M + gwλ)² has a solution iff gw < a (discriminant
    16a(a − gw)); the dual at ω = 0 exists iff gw > a (c = |u|²(gw/a − 1))."""
    d = frequency_dual(1.0, np.array([[-1.0]]), np.array([[w]]))
    assert (d is not None) == infeasible
    if d is not None:
        assert d["slack"] > 0 and 0.0 in d["omega"]


def test_a_disproof_re_checks_and_tampering_is_refused():
    A, W = _instance(24, 1.6, 1)
    d = frequency_dual(1.0, A, W)
    assert d is not None
    args = (1.0, A, W, d["omega"], d["x"], d["weights"])
    assert check_frequency_dual(*args) == pytest.approx(d["slack"]) and d["slack"] > 0
    assert check_frequency_dual(1.0, A, 0.2 * W, *args[3:]) < 0  # a feasible system: refused
    bad = d["weights"].copy()
    bad[0] = -bad[0]
    assert check_frequency_dual(1.0, A, W, d["omega"], d["x"], bad) == -np.inf
    assert check_frequency_dual(1.0, A, W, d["omega"], 0 * d["x"], d["weights"]) == -np.inf
    assert check_frequency_dual(1.0, A, W, d["omega"][:-1], d["x"], d["weights"]) == -np.inf


def test_lipschitz_sector_reports_the_disproof_as_evidence():
    A, W = _instance(24, 1.6, 1)
    cert = C.lipschitz_sector(A, W, metric="full")
    assert not cert.holds and cert.kind == "proof"
    assert "frequency-domain dual" in cert.method and cert.evidence["dual_slack"] > 0
    ev = cert.evidence
    X = np.asarray(ev["dual_x_re"]) + 1j * np.asarray(ev["dual_x_im"])  # real: saved as JSON
    assert check_frequency_dual(1.0, A, W, ev["dual_omega"], X, ev["dual_weights"]) > 0
    from neurodyn._core import to_jsonable

    json.dumps(to_jsonable(cert.to_dict()))
    assert not sector_lmi(1.0, A=A, B=np.eye(24), C=W, metric="full").solved  # SCS agrees


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 6), st.floats(0.3, 3.0), st.integers(0, 10**6))
def test_never_a_disproof_of_a_solvable_lmi(n, s, seed):
    """Soundness against independent solvers: a found disproof means neither a re-checked
    Riccati solution nor SCS's SDP exists; a solution found means no disproof."""
    A, W = _instance(n, s, seed)
    d = frequency_dual(1.0, A, W)
    ric = sector_riccati(1.0, A=A, B=np.eye(n), C=W)
    if ric.solved:
        G = sector_matrix(ric.metric, ric.multiplier, 1.0, A=A, B=np.eye(n), C=W)
        if np.linalg.eigvalsh(G)[-1] < -1e-9 and np.linalg.eigvalsh(ric.metric)[0] > 1e-9:
            assert d is None
    if d is not None:
        assert not sector_lmi(1.0, A=A, B=np.eye(n), C=W, metric="full").solved


def test_kozachkov_sector_is_disproven_through_the_exact_congruence():
    """τẋ = −x + Wφ(x) (A = −I/τ, B = W/τ, C = I) is congruent to the B = I form (aI, I, W/τ):
    the disproof is checked there, and SCS agrees on the original LMI."""
    from neurodyn.contraction._lmi import _dual_form

    rng = np.random.default_rng(4)
    n = 12
    W = 2.0 * rng.standard_normal((n, n)) / np.sqrt(n)
    cert = C.sector(W)
    assert not cert.holds and "frequency-domain dual" in cert.method
    ev = cert.evidence
    X = np.asarray(ev["dual_x_re"]) + 1j * np.asarray(ev["dual_x_im"])
    assert check_frequency_dual(1.0, -np.eye(n), W, ev["dual_omega"], X, ev["dual_weights"]) > 0
    assert not sector_lmi(1.0, A=-np.eye(n), B=W, C=np.eye(n), metric="full").solved
    singular = W.copy()
    singular[0] = singular[1]
    assert _dual_form(-np.eye(n), singular, np.eye(n)) is None  # no congruence: no disproof
    assert _dual_form(-2 * np.eye(n), W, W) is None  # C ≠ I: C·B would be rounded


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 6), st.floats(0.3, 3.0), st.integers(0, 10**6))
def test_kozachkov_sector_verdict_equals_scs(n, s, seed):
    W = s * np.random.default_rng(seed).standard_normal((n, n)) / np.sqrt(n)
    ours = C.sector(W)
    scs = sector_lmi(1.0, A=-np.eye(n), B=W, C=np.eye(n), metric="full")
    if "frequency-domain dual" in ours.method:
        assert not scs.solved
    if ours.holds:
        assert ours.proven  # a re-checked metric is a proof whatever SCS says
