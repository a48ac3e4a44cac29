"""SparseComboNet (Kozachkov et al. 2022, Sec. 3, App. 5.4.1): counts, sampler, certificates."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurodyn import contraction as C
from neurodyn.nn import SparseComboNet, sample_theorem1_blocks
from neurodyn.systems import as_map
from neurodyn.testing import check_map

F64 = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _trainable(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


@pytest.fixture(scope="module")
def paper_net():
    return SparseComboNet(1, 10, generator=_gen(), dtype=F64)


def test_parameter_counts_match_paper_formula(paper_net):
    n, p, C_ = 512, 16, 32

    def formula(i, o):
        return (n**2 - p * C_**2) // 2 + i * n + n * o + n + o

    assert _trainable(paper_net) == formula(1, 10) == 129_034
    assert _trainable(SparseComboNet(3, 10, generator=_gen(), dtype=F64)) == 130_058


def test_sampled_blocks_satisfy_theorem1_independently(paper_net):
    W = paper_net.block_weights.numpy()
    assert W.shape == (16, 32, 32)
    for w in W:
        assert (np.diag(w) == 0).all()
        assert np.abs(np.linalg.eigvals(np.abs(w))).max() < 1  # ρ(|W|) < 1, g = 1
        assert np.abs(w).max() <= 6.0
    assert not any(b.requires_grad for b in paper_net.buffers())
    for w, m in zip(W, paper_net.block_metrics.numpy(), strict=True):
        A = np.abs(w) - np.eye(32)
        assert np.linalg.eigvalsh(m[:, None] * A + A.T * m[None, :])[-1] < 0


def test_interconnection_is_metric_skew(paper_net):
    L = paper_net.interconnection().detach().numpy()
    m = paper_net.block_metrics.reshape(-1).numpy()
    K = m[:, None] * L + L.T * m[None, :]
    assert np.abs(K).max() < 1e-12 * np.abs(m[:, None] * L).max()
    Bl = np.tril(L, -1)  # strictly lower part below the blocks is B itself
    assert np.abs(np.triu(L, 1)).max() > 0 and np.abs(Bl).max() > 0


def test_assembly_certificate_at_init(paper_net):
    rep = C.certify(paper_net)
    assert rep["assembly"].proven
    assert all(rep[f"block{i}"].proven for i in range(16))


@pytest.mark.parametrize("blocks", ["sparse", "svd"])
def test_certificate_holds_after_adam_steps(blocks):
    net = SparseComboNet(
        2, 3, num_blocks=3, block_size=6, blocks=blocks, density=0.3, pre_scale=1.0,
        generator=_gen(1), dtype=F64,
    )  # fmt: skip
    opt = torch.optim.Adam(net.parameters(), lr=0.3)
    x, y = torch.randn(4, 6, 2, dtype=F64), torch.randn(4, 3, dtype=F64)
    W0 = net.block_weights.detach().clone()
    for _ in range(5):
        opt.zero_grad()
        out, _ = net(x)
        loss = ((out[:, -1] - y) ** 2).mean()
        loss.backward()
        opt.step()
    if blocks == "sparse":
        assert torch.equal(net.block_weights, W0)  # frozen
    else:
        assert not torch.allclose(net.block_weights, W0)  # trained through contracting_svd
    rep = C.certify(net)
    assert rep["assembly"].proven
    # independent check: the full Jacobian contracts in the certified metric at random slopes
    asm = C.assembly_of(net)
    M = np.array(rep["assembly"].evidence["metric"])
    rng = np.random.default_rng(0)
    for d in rng.uniform(0, 1, (20, 18)):
        J = asm.jacobian(d)
        assert np.linalg.eigvalsh(M @ J + J.T @ M)[-1] < 0


def test_sampler_fails_with_acceptance_rate():
    with pytest.raises(RuntimeError, match=r"acceptance rate 0\.0"):
        sample_theorem1_blocks(
            2, 16, density=0.9, pre_scale=5.0, max_candidates=512, batch=256, generator=_gen()
        )
    with pytest.raises(ValueError, match="post_scale"):
        sample_theorem1_blocks(2, 4, density=0.3, pre_scale=1.0, post_scale=2.0)


def test_forward_matches_manual_euler_and_batch_first():
    net = SparseComboNet(
        2, 3, num_blocks=2, block_size=4, density=0.4, pre_scale=1.0, generator=_gen(2),
        dtype=F64, dt=0.08, tau=2.0, method="euler",
    )  # fmt: skip
    x = torch.randn(3, 5, 2, dtype=F64)
    h0 = torch.randn(3, 8, dtype=F64)
    out, hn = net(x, h0)
    W = torch.block_diag(*net.block_weights.unbind(0))
    L = net.interconnection().detach()
    h = h0
    for t in range(5):
        u = x[:, t] @ net.input_layer.weight.T + net.input_layer.bias
        h = h + 0.08 / 2.0 * (-h + torch.relu(h) @ W.T + h @ L.T + u)
    assert torch.allclose(hn, h, atol=1e-12)
    assert torch.allclose(out[:, -1], net.output_layer(h), atol=1e-12)
    net.batch_first = False
    out2, hn2 = net(x.transpose(0, 1), h0)
    assert torch.allclose(out2.transpose(0, 1), out) and torch.allclose(hn2, hn)
    with pytest.raises(ValueError, match="h0"):
        net(x.transpose(0, 1), torch.zeros(2, 8, dtype=F64))


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_map_hook_analytic_jacobian(activation):
    net = SparseComboNet(
        2, 3, num_blocks=2, block_size=4, density=0.4, pre_scale=1.0, generator=_gen(3),
        dtype=F64, activation=activation,
    )  # fmt: skip
    mp = as_map(net)
    assert mp.dim == 8 and mp.input_size == 2
    check_map(mp, torch.randn(4, 8, dtype=F64), torch.randn(4, 2, dtype=F64))


def test_bad_construction():
    with pytest.raises(ValueError, match="activation"):
        SparseComboNet(1, 1, 2, 2, activation="gelu")
    with pytest.raises(ValueError, match="blocks"):
        SparseComboNet(1, 1, 2, 2, blocks="dense")
