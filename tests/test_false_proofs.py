"""Every re-check that turns a solver's answer into a "proof" refuses an answer just on the wrong
side of it, and the exact region maxima refuse a net inside their rounding allowance.

The solvers (SCS through ``neurodyn.contraction._lmi``) are replaced by a function returning a
crafted metric; what is checked is neurodyn's re-check, never the solver. Each crafted answer
comes with the analytic fact that makes a "proof" from it wrong or unjustified:

* sector LMI, W = cI, M = Λ = I: ``G = [[−2I, (1 + c)I], [(1 + c)I, −2I]]``, λ_max(G) = c − 1
  exactly; for c > 1 the Jacobian −I + WD at D = I has eigenvalue c − 1 > 0 (no contraction);
  for 1 − c below the eigensolver's backward error the sign of λ_max is not established.
* M = −I: for ``ḣ = h + tanh(0.1h)`` (Lipschitz RNN, A = I) and for the Euler step
  ``x' = −2x`` (eq. 1, W = 0, dt = 3), ``G ≺ 0`` holds (eigenvalues computed below), although
  both expand every state.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import neurodyn
from neurodyn import contraction as C
from neurodyn.contraction._lmi import LMIResult, sector_matrix

F64 = torch.float64
EPS = np.finfo(float).eps


def _answer(M, lam=None):
    """A solver result 'solved' with metric M and multiplier lam."""

    def solve(*args, **kwargs):
        return LMIResult("solved", np.asarray(M, float), None if lam is None else
                         np.asarray(lam, float), "crafted", 0.0)  # fmt: skip

    return solve


# -- (a) the sector certificate's λ_max + tol < 0 -----------------------------------------------


@pytest.mark.parametrize(
    "c",
    [
        1 + 1e-9,  # λ_max(G) = +1e-9: not contracting (J(I) = (c − 1)I)
        1.0,  # λ_max(G) = 0: the boundary
        1 - 1e-15,  # λ_max(G) = −1e-15, inside the rounding tolerance (≈ 4e-14 here)
    ],
)
def test_sector_refuses_lambda_max_just_above_minus_tol(monkeypatch, c):
    W = c * np.eye(2)
    monkeypatch.setattr("neurodyn.contraction._theorems.sector_solve", _answer(np.eye(2), [1, 1]))
    cert = C.sector(W, metric="full")
    G = sector_matrix(np.eye(2), [1.0, 1.0], 1.0, A=-np.eye(2), B=W, C=np.eye(2))
    assert np.linalg.eigvalsh(G)[-1] == pytest.approx(c - 1, abs=1e-15)
    assert cert.evidence["lambda_max"] > -cert.evidence["tolerance"]
    assert not cert.holds and not cert.proven


def test_sector_accepts_the_same_answer_with_room():
    """The same crafted answer for c = 0.5 (λ_max = −0.5): the re-check is not just 'refuse'."""
    monkeypatch = pytest.MonkeyPatch()
    with monkeypatch.context() as mp:
        mp.setattr("neurodyn.contraction._theorems.sector_solve", _answer(np.eye(2), [1, 1]))
        cert = C.sector(0.5 * np.eye(2), metric="full")
    assert cert.proven and cert.margin == pytest.approx(0.5 - cert.evidence["tolerance"])


# -- (b) the sector certificate's M ≻ 0 ------------------------------------------------------------


def test_lipschitz_sector_refuses_a_negative_metric(monkeypatch):
    A, W = np.eye(2), 0.1 * np.eye(2)  # ḣ = h + tanh(0.1 h): expands every state
    M, lam = -np.eye(2), np.ones(2)
    G = sector_matrix(M, lam, 1.0, A=A, B=np.eye(2), C=W)
    assert np.linalg.eigvalsh(G)[-1] < -1  # G ≺ 0 with room: only M ≻ 0 can refuse it
    monkeypatch.setattr("neurodyn.contraction._lipschitz.sector_solve", _answer(M, lam))
    cert = C.lipschitz_sector(A, W, metric="full")
    assert not cert.holds


def test_discrete_sector_refuses_a_negative_metric(monkeypatch):
    F_A, F_B, Cm, _, _ = C.step_matrices("ctrnn", "euler", 3.0, W=np.zeros((2, 2)))
    assert np.allclose(F_A, -2 * np.eye(2))  # x' = −2x
    M, lam = -np.eye(2), np.ones(2)
    G = sector_matrix(M, lam, 1.0, B=F_B, C=Cm, F_A=F_A, discrete=True)
    assert np.linalg.eigvalsh(G)[-1] < -0.5
    monkeypatch.setattr("neurodyn.contraction._discrete.sector_lmi", _answer(M, lam))
    lmi, _ = C.discrete(F_A, F_B, Cm, metric="full")
    assert lmi.name == "discrete_sector_full" and not lmi.holds


# -- the vertex and Theorem-5 re-checks ------------------------------------------------------------


def test_vertex_refuses_a_negative_metric_through_the_zero_vertex(monkeypatch):
    """No separate M ≻ 0 check (see _theorems.vertex): the D = 0 vertex refuses M = −I."""
    monkeypatch.setattr("neurodyn.contraction._theorems.vertex_lmi", _answer(-np.eye(2)))
    cert = C.vertex(np.array([[0.0, -1.0], [1.0, 0.0]]))
    assert not cert.holds and cert.evidence["worst_vertex_lambda_max"] > 0


def test_vertex_refuses_lambda_max_within_tol(monkeypatch):
    """W = (1 − 1e-15)I, M = I: at D = I, MJ + JᵀM = −2e-15·I, inside the tolerance."""
    monkeypatch.setattr("neurodyn.contraction._theorems.vertex_lmi", _answer(np.eye(2)))
    assert not C.vertex((1 - 1e-15) * np.eye(2)).holds
    assert C.vertex(0.5 * np.eye(2)).proven


@pytest.mark.parametrize(("P", "c"), [(-np.eye(2), 2.0), (np.eye(2), 1 + 1e-12)])
def test_theorem5_refuses_wrong_side_answers(monkeypatch, P, c):
    """P = −I with W = 2I: g²WᵀPW − P = −3I ≺ 0, but P is no metric; P = I with ‖W‖ = 1 + 1e-12:
    g²WᵀPW − P = +2e-12·I (Theorem 5 needs ‖P^½WP^-½‖ < 1/g)."""
    monkeypatch.setattr("neurodyn.contraction._theorems.theorem5_lmi", _answer(P))
    assert not C.theorem5(c * np.eye(2), method="lmi").holds


# -- (c) the exact region maxima keep the forming error of A_r -----------------------------------


def test_exact_dissipativity_refuses_a_net_inside_the_rounding_allowance():
    """x ↦ W₂ ReLU(W₁x), W₁ = I, W₂ = cI, c = 1 − 20·eps: every region's A_r = c·diag(s), so
    max ‖A_r‖₂ = c < 1 by 20 eps, while the allowance is c·(16 + 8)·eps (SVD: 8·2·eps; forming:
    (Σ widths = 8)·eps·‖|W₁|‖‖|W₂|‖): 1 − 20 eps + 24 eps > 1, so no proof. Without the forming
    term the bound would be 1 − 4 eps < 1."""
    c = 1 - 20 * EPS
    net = nn.Sequential(nn.Linear(2, 2, bias=False), nn.ReLU(), nn.Linear(2, 2, bias=False))
    net = net.double()
    with torch.no_grad():
        net[0].weight.copy_(torch.eye(2, dtype=F64))
        net[2].weight.copy_(c * torch.eye(2, dtype=F64))
    rep = neurodyn.certify(net, [(-1.0, 1.0)] * 2, exact=True, equilibria=torch.zeros(0, 2))
    diss, t6 = rep["dissipativity"], rep["theorem6_necessary"]
    assert diss.kind == t6.kind == "proof"
    assert diss.evidence["max_norm2_computed"] == c  # the SVD of c·I is exact
    assert not diss.holds and diss.evidence["max_norm2"] >= 1
    assert not t6.holds  # ρ bound = min(ρ + Elsner, ‖A_r‖₂ bound) ≥ 1 too
    # with room (c = 1 − 1e-9) both are proofs
    with torch.no_grad():
        net[2].weight.copy_((1 - 1e-9) * torch.eye(2, dtype=F64))
    rep = neurodyn.certify(net, [(-1.0, 1.0)] * 2, exact=True, equilibria=torch.zeros(0, 2))
    assert rep["dissipativity"].proven and rep["theorem6_necessary"].proven


# -- (d) the running Lyapunov estimate is per unit time -------------------------------------------


def test_running_estimate_and_ftle_divide_by_time_not_steps():
    """x ↦ 0.5·x with dt = 0.25: every step multiplies the tangent by 0.5, so λ = ln 0.5 / 0.25
    per unit time, and so is the running estimate after every QR block and every FTLE."""
    from neurodyn.systems import CallableMap

    dt = 0.25
    halve = CallableMap(lambda h: 0.5 * h, 1, dt=dt)
    res = neurodyn.lyapunov_spectrum(
        halve, h0=torch.ones(3, 1, dtype=F64), steps=60, t_on=7, keep_history=True
    )
    lam = np.log(0.5) / dt
    assert res.exponents.item() == pytest.approx(lam, rel=1e-12)
    assert torch.allclose(res.running, torch.full_like(res.running, lam), rtol=1e-12)
    assert torch.allclose(res.ftle, torch.full_like(res.ftle, lam), rtol=1e-12)
    assert res.drift.abs().max() < 1e-12
