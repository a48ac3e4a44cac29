"""What the training monitors show on real training runs (digits, a few epochs).

* A Lipschitz RNN with β_A = 1 keeps max Re λ(A) = −γ_A exactly (Erichson et al. 2021,
  Prop. 2 with β = 1: A = skew − γI) and Re λ(W) within Prop. 2's bounds at every epoch, and its
  contraction certificate (μ₂(A) + g‖W‖₂ < 0) holds at every epoch; the monitored certificate
  is checked against μ₂(A) and ‖W‖₂ computed here with NumPy from the weights of that epoch.
* A tanh ``nn.RNN`` trained with a large learning rate moves its largest finite-time Lyapunov
  exponent much further (towards 0) than with a small one.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurodyn.data import SequenceDataset, load
from neurodyn.train import build_model, fit

pytestmark = pytest.mark.usefixtures("one_thread")


def _subset(ds, n: int) -> SequenceDataset:
    return SequenceDataset(
        ds.x[:n], ds.y[:n], name=ds.name, split=ds.split, seed=ds.seed,
        num_classes=ds.num_classes, description=ds.description,
    )  # fmt: skip


@pytest.fixture(scope="module")
def digits():
    return _subset(load("digits", "train", seed=0), 512), _subset(load("digits", "val", seed=0), 64)


def _independent(epoch, model, row):
    """μ₂(A), ‖W‖₂ and Prop. 2's bounds on Re λ(W) from this epoch's weights (NumPy)."""
    body = model.body
    A = body.A.detach().double().numpy()
    W = body.W.detach().double().numpy()
    M_W = body.parametrizations.W.original0.detach().double().numpy()
    ev = np.linalg.eigvalsh(M_W + M_W.T)
    return {
        "np_mu2_A": float(np.linalg.eigvalsh((A + A.T) / 2).max()),
        "np_norm_W": float(np.linalg.norm(W, 2)),
        "np_re_A": float(np.linalg.eigvals(A).real.max()),
        "np_re_W": float(np.linalg.eigvals(W).real.max()),
        "np_W_upper": (1 - body.beta_w) * float(ev.max()) - body.gamma_w,
    }


def test_lipschitz_rnn_keeps_its_certificate_every_epoch(digits):
    """β_A = 1, γ_A = 4: A = (M_A − M_Aᵀ) − 4I, so μ₂(A) = max Re λ(A) = −4 whatever training
    does; the certificate needs ‖W‖₂ < 4 (g = 1 for tanh), which holds at initialisation
    (‖W‖₂ ≈ 1.86) and, at lr 3e-3 for 3 epochs, throughout: the margin −2(μ₂(A) + ‖W‖₂)
    stays at ≈ 4.3 (observed: 4.28 → 4.32). The test asserts μ₂(A) + ‖W‖₂ < −1.5. β_W = 0.8
    leaves W free apart from Prop. 2's bound Re λ(W) ≤ 0.2·λ_max(M_W + M_Wᵀ) − γ_W.
    """
    train, val = digits
    gamma_a = 4.0
    model = build_model("lipschitz", 1, 10, hidden_size=12, seed=0, beta_a=1.0,
                        gamma_a=gamma_a, beta_w=0.8, gamma_w=1e-3)  # fmt: skip
    mon = {"lyapunov_every": None, "lmi": "none"}  # the norm certificate only: fast
    res = fit(model, train, val, epochs=3, lr=3e-3, seed=0, progress=False, monitors=mon,
              callbacks=[_independent])  # fmt: skip
    hist = res.history
    assert [h["epoch"] for h in hist] == [0, 1, 2, 3]
    first = hist[0]["np_norm_W"]
    assert any(abs(h["np_norm_W"] - first) > 1e-3 for h in hist[1:]), "W did not train"
    for h in hist:
        # max Re λ(A) = −γ_A exactly for β_A = 1 (rounding of a 12×12 eigensolve: 1e-12)
        assert h["A_max_re"] == pytest.approx(-gamma_a, abs=1e-12)
        assert h["np_mu2_A"] == pytest.approx(-gamma_a, abs=1e-12)
        # Prop. 2 for W (float32 weights: eigenvalues to ~1e-5)
        assert h["W_max_re"] <= h["np_W_upper"] + 1e-5
        assert h["W_max_re"] == pytest.approx(h["np_re_W"], abs=1e-5)
        # the certificate, and its margin recomputed from the weights (float32 → 1e-4)
        bound = h["np_mu2_A"] + h["np_norm_W"]
        assert bound < -1.5
        assert h["cert_applicable"] and h["cert_holds"] and h["cert_proven"]
        assert h["cert_kind"] == "proof"
        assert "lipschitz_norm" in h["cert_proofs"]
        if h["cert_name"] == "lipschitz_norm":
            assert h["cert_margin"] == pytest.approx(-2 * bound, rel=1e-4)
        assert h["cert_margin"] > 0


def _le_max(lr: float, seed: int, train, val) -> list[float]:
    model = build_model("rnn", 1, 10, hidden_size=16, seed=seed)
    mon = {"certificate_every": None, "spectra_every": None, "lyapunov_every": 1,
           "lyapunov_k": 4, "lyapunov_sequences": 16}  # fmt: skip
    res = fit(model, train, val, epochs=3, lr=lr, seed=seed, monitors=mon, progress=False)
    assert all(h["cert_applicable"] is False for h in res.history if "cert_applicable" in h)
    return [h["le_max"] for h in res.history]


@pytest.mark.parametrize("seed", [0, 1])
def test_rnn_large_learning_rate_moves_the_top_lyapunov_exponent(digits, seed):
    """tanh ``nn.RNN`` (hidden 16) on 512 digit sequences, Adam, 3 epochs; λ₁ is the largest of
    k = 4 finite-time exponents over T = 64 steps on 16 validation sequences (nats/step).

    Observed (seeds 0 and 1, this data): at lr 1e-3 λ₁ stays at its initial −0.61 / −0.63
    (changes < 0.02 in 4 epochs); at lr 3e-2 it rises to −0.29 / −0.14 after one epoch and
    to ≈ −0.04 / +0.03 after two, i.e. to the edge of chaos (λ₁ ≈ 0), then wanders near it.
    At lr 0.1 it is not monotone: it reaches ≈ 0 and falls back (seed 1: to −1.3, saturated
    units), so no claim is made there. Asserted: the large rate raises max λ₁ over training
    by > 0.3 above its initial value, the small rate moves it by < 0.05, and it stays below
    +0.2 (no sustained chaos in a trained classifier).
    """
    train, val = digits
    small = _le_max(1e-3, seed, train, val)
    large = _le_max(3e-2, seed, train, val)
    assert small[0] == pytest.approx(large[0], abs=1e-9)  # same initial model, same probes
    assert small[0] < -0.4
    assert max(abs(v - small[0]) for v in small) < 0.05
    assert max(large[1:]) - large[0] > 0.3
    assert max(large) < 0.2


def test_weights_gone_nan_are_recorded_by_the_monitor_not_raised():
    """A model whose weights became NaN mid-training: the Lyapunov monitor records why the
    spectrum was not computed (naming the parameter) instead of stopping the run."""
    import torch

    from neurodyn.train._monitors import lyapunov_row

    gru = torch.nn.GRU(2, 4, batch_first=True)
    with torch.no_grad():
        gru.weight_hh_l0[0, 0] = float("nan")
    row, res = lyapunov_row(gru, torch.randn(3, 20, 2), k=2)
    assert res is None and "weight_hh_l0" in row["le_error"] and "NaN" in row["le_error"]
