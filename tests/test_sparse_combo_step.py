"""The step SparseComboNet runs (Kozachkov et al. 2022, Sec. 3, App. 5.1, App. 5.4.1).

With the paper's blocks (16 × 32, 3.3 % density, entries ±6) the flow contracts but its Euler step
at dt = 0.1 diverges; the IMEX step (leak and interconnection implicit) at the certified dt
contracts, and its bound κ ≥ ‖J‖_M is checked against dense Jacobians it did not produce.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from neurodyn import lyapunov_spectrum
from neurodyn.nn import SparseComboNet
from neurodyn.nn._sparse_combo import step_bound
from neurodyn.systems import as_map

F64 = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def paper_net():
    return SparseComboNet(1, 10, generator=_gen(), dtype=F64)  # the paper's 16 × 32 defaults


def _dense_jacobian(net, d: np.ndarray) -> np.ndarray:
    """J = R(I + hWD) of the IMEX step, from dense float64 matrices (not from step_bound)."""
    n, h = net.hidden_size, net.dt / net.tau
    W = net.recurrent_matrix().detach().numpy()
    L = net.interconnection().detach().numpy()
    eye = np.eye(n)
    return np.linalg.solve((1 + h) * eye - h * L, eye + h * W * d[None, :])


def _metric_norm(J: np.ndarray, m: np.ndarray) -> float:
    r = np.sqrt(m)
    return float(np.linalg.norm(r[:, None] * J / r[None, :], 2))


def test_paper_euler_step_diverges_and_is_refused(paper_net):
    # the issue, reproduced: Euler at dt = 0.1 on the same weights blows up from a small state
    W = paper_net.recurrent_matrix().detach()
    L = paper_net.interconnection().detach()
    h = 1e-3 * torch.randn(2, 512, dtype=F64, generator=_gen(1))
    for _ in range(60):
        h = h + 0.1 * (-h + torch.relu(h) @ W.T + h @ L.T)
    assert h.norm() > 1e6
    with pytest.raises(ValueError, match=r"euler step with dt = 0\.1 .*largest certified dt"):
        SparseComboNet(1, 10, generator=_gen(), dtype=F64, method="euler")
    with pytest.raises(ValueError, match=r"imex step with dt = 0\.2 .*largest certified dt"):
        SparseComboNet(1, 10, generator=_gen(), dtype=F64, dt=0.2)


def test_paper_imex_step_is_certified_and_contracts(paper_net):
    cert = paper_net.step_certificate()
    assert cert.holds and cert.kind == "proof"
    # dt = None chose 0.9 × the largest certified step, since 0.1 is not certified here
    assert cert.evidence["dt_max"] < 0.1
    assert paper_net.dt == pytest.approx(0.9 * cert.evidence["dt_max"])
    res = lyapunov_spectrum(
        paper_net, torch.rand(1, 70, 1, dtype=F64, generator=_gen(2)), k=1, warmup=10
    )
    assert res.exponents[0] < 0


def test_imex_bound_dominates_dense_jacobians_after_training_b(paper_net):
    """‖J‖_M ≤ κ < 1 for any B: scale the coupling up 30× and draw slope patterns."""
    net = SparseComboNet(1, 10, generator=_gen(), dtype=F64)
    with torch.no_grad():
        net.coupling.mul_(30.0)
    ev = net.step_certificate().evidence
    kappa = ev["kappa"]
    # independent of B but through the rounding residual e of the stored L (float64: ~1e-10
    # here), which moves κ = bound/(1 + h − he/2) by at most h·e
    assert 0 < ev["skew_residual"] < 1e-8
    assert kappa == pytest.approx(
        paper_net.step_certificate().evidence["kappa"], abs=ev["h"] * ev["skew_residual"]
    )
    m = net.block_metrics.reshape(-1).numpy()
    rng = np.random.default_rng(0)
    for d in [np.ones(512), rng.integers(0, 2, 512).astype(float)]:
        assert _metric_norm(_dense_jacobian(net, d), m) <= kappa * (1 + 1e-9) < 1


def test_block_bound_against_all_vertices():
    """The per-block bound ≥ max over all 2^C slope vertices of ‖I + hWD‖_P (convex in D)."""
    net = SparseComboNet(1, 1, 3, 5, density=0.5, pre_scale=1.5, generator=_gen(4), dtype=F64)
    W, P = net.block_weights.numpy(), net.block_metrics.numpy()
    for h in (0.05, 0.5, 3.0):
        worst = 0.0
        for w, p in zip(W, P, strict=True):
            for v in itertools.product((0.0, 1.0), repeat=5):
                worst = max(worst, _metric_norm(np.eye(5) + h * w * np.array(v)[None, :], p))
        bound = step_bound(W, P, h) * (1 + h)
        assert worst <= bound * (1 + 1e-12)
        # and the IMEX resolvent adds the factor 1/(1+h) exactly when L = 0
        assert step_bound(W, P, h) == pytest.approx(bound / (1 + h))


def test_dt_rules_and_svd_blocks():
    small = dict(num_blocks=2, block_size=4, density=0.4, pre_scale=1.0, dtype=F64)
    net = SparseComboNet(2, 3, generator=_gen(2), **small)
    assert net.dt == 0.1 and net.step_certificate().holds  # the default, certified here
    dt_max = net.step_certificate().evidence["dt_max"]
    ok = SparseComboNet(2, 3, generator=_gen(2), dt=0.99 * dt_max, **small)
    assert ok.step_certificate().holds
    with pytest.raises(ValueError, match="largest certified dt"):
        SparseComboNet(2, 3, generator=_gen(2), dt=1.01 * dt_max, **small)
    # Theorem-5 blocks: g‖ΦWΦ⁻¹‖ < 1 makes κ(h) < 1 for every step
    svd = SparseComboNet(2, 3, 3, 4, blocks="svd", generator=_gen(3), dtype=F64, dt=50.0)
    cert = svd.step_certificate()
    assert cert.holds and cert.evidence["dt_max"] == float("inf")
    with pytest.raises(ValueError, match="method"):
        SparseComboNet(2, 3, generator=_gen(2), method="rk4", **{**small})


def test_imex_forward_matches_map_and_manual_solve():
    net = SparseComboNet(
        2, 3, num_blocks=2, block_size=4, density=0.4, pre_scale=1.0, generator=_gen(5),
        dtype=F64, dt=0.3, tau=1.5,
    )  # fmt: skip
    x, h0 = torch.randn(3, 6, 2, dtype=F64), torch.randn(3, 8, dtype=F64)
    out, hn = net(x, h0)
    W = torch.block_diag(*net.block_weights.unbind(0))
    L = net.interconnection().detach()
    A = (1 + 0.2) * torch.eye(8, dtype=F64) - 0.2 * L  # h = dt/τ = 0.2
    mp = as_map(net)
    h, hm = h0, h0
    for t in range(6):
        u = x[:, t] @ net.input_layer.weight.T + net.input_layer.bias
        h = torch.linalg.solve(A, (h + 0.2 * (torch.relu(h) @ W.T + u)).T).T
        hm = mp.step(hm, x[:, t])
    assert torch.allclose(hn, h, atol=1e-12) and torch.allclose(hn, hm, atol=1e-12)
    assert torch.allclose(out[:, -1], net.output_layer(h), atol=1e-12)
