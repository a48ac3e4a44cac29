"""``neurodyn.contraction.certify`` on the library's own cells, end to end.

Each certificate is re-checked here by something it did not compute: the cell's own analytic
step Jacobians at sampled states (Jᵀ M J − M ≺ 0 in the certificate's metric), a norm condition
recomputed with numpy, or trajectories of the module itself converging."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurodyn import contraction
from neurodyn.nn import CTRNN, AntisymmetricRNN, LipschitzRNN
from neurodyn.systems import complete_map


def _jacobians(cell, n_states=64, seed=0):
    gen = torch.Generator().manual_seed(seed)
    m = complete_map(cell)
    h = 3.0 * torch.randn(n_states, m.dim, generator=gen, dtype=torch.float64)
    x = torch.randn(n_states, m.input_size, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        return m.jacobian(h, x).numpy()


def test_ctrnn_step_certificate_metric_holds_at_the_cells_own_jacobians():
    torch.manual_seed(0)
    cell = CTRNN(2, 6, dt=0.1).double()
    rep = contraction.certify(cell)
    cert = rep["discrete_sector_full"]
    assert cert.proven
    M = np.array(cert.evidence["metric"])
    assert np.linalg.eigvalsh(M).min() > 0
    # the Euler step's Jacobian at any state is I + dt/τ (−I + W D(φ'(x))) with D in [0, 1]:
    # the LMI covered every such D, so the cell's Jacobians at random states must contract in M.
    for J in _jacobians(cell):
        assert np.linalg.eigvalsh(J.T @ M @ J - M).max() < 0


def test_lipschitz_rnn_certified_cell_contracts_along_its_own_trajectories():
    torch.manual_seed(1)
    cell = LipschitzRNN(2, 8, gamma_a=1.0, dt=0.1).double()
    with torch.no_grad():
        for name in ("A", "W"):
            for p in getattr(cell.parametrizations, name).parameters():
                p.mul_(0.1)
    A, W = cell.A.detach().numpy(), cell.W.detach().numpy()
    mu2 = np.linalg.eigvalsh((A + A.T) / 2).max()
    assert mu2 + np.linalg.norm(W, 2) < 0  # the sound norm condition, recomputed here
    rep = contraction.certify(cell)
    assert rep["lipschitz_norm"].proven
    assert rep["discrete_sector_full"].proven
    # two trajectories of the module under one input sequence approach each other
    u = torch.randn(200, 1, 2, dtype=torch.float64)
    h0 = torch.randn(2, 8, dtype=torch.float64)
    with torch.no_grad():
        _, h_a = cell(u, h0[:1])
        _, h_b = cell(u, h0[1:])
    assert float((h_a - h_b).norm()) < 0.5 * float((h0[0] - h0[1]).norm())


def test_default_lipschitz_rnn_is_not_called_contracting():
    torch.manual_seed(0)
    rep = contraction.certify(LipschitzRNN(2, 8).double())
    # β = 0.75, γ = 1e-3 leaves A with eigenvalues near the imaginary axis: nothing is proven
    assert not any(c.proven for c in rep)


def test_rk4_ctrnn_certifies_the_flow_and_says_the_step_is_not_covered():
    cell = CTRNN(2, 4, method="rk4").double()
    rep = contraction.certify(cell)
    assert "step_not_certified" in rep.domain and "rk4" in rep.domain["step_not_certified"]
    assert not any(c.name.startswith("discrete") for c in rep)


def test_cells_without_a_contraction_theory_are_refused_by_name():
    with pytest.raises(TypeError, match="AntisymmetricRNN"):
        contraction.certify(AntisymmetricRNN(2, 4))
