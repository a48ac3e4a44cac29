"""FORCE target learning (Sussillo & Abbott 2009; Vogt, dissertation, §3.4.1 and App. A),
checked against what it did not compute: ridge regression (RLS with P₀ = I/α is its recursive
form), the training loop's own Euler step, torch.func.jacrev of the closed loop, and a target
it must learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurodyn
from neurodyn.train import force, four_sine, rls


def test_rls_equals_ridge_regression():
    """After m RLS steps from w = 0, P = I/α: w = (RᵀR + αI)⁻¹ Rᵀ f, P = (RᵀR + αI)⁻¹."""
    rng = np.random.default_rng(0)
    m, N, alpha = 40, 7, 0.5
    R, f = rng.standard_normal((m, N)), rng.standard_normal(m)
    P, w = np.eye(N) / alpha, np.zeros(N)
    for r, ft in zip(R, f, strict=True):
        rls(P, w, r, ft)
    G = R.T @ R + alpha * np.eye(N)
    np.testing.assert_allclose(w, np.linalg.solve(G, R.T @ f), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(P, np.linalg.inv(G), rtol=1e-10, atol=1e-12)


def test_closed_loop_is_the_training_step_with_w_frozen_and_has_the_exact_jacobian():
    res = force(four_sine(1), N=24, g=1.3, epochs=1, seed=2)
    fmap = neurodyn.as_map(res.closed_loop)
    x = torch.as_tensor(res.x_end)[None]
    zero = torch.zeros(1, 1, dtype=torch.float64)
    r = np.tanh(res.x_end)
    by_hand = res.x_end + res.dt * (-res.x_end + res.g * res.J @ r + res.u * (res.w @ r))
    with torch.no_grad():
        stepped = fmap.step(x, zero)[0].numpy()
    np.testing.assert_allclose(stepped, by_hand, rtol=0, atol=1e-13)
    J = fmap.jacobian(x, zero)[0].detach()
    ref = torch.func.jacrev(lambda h: fmap.step(h[None], zero)[0])(x[0])
    torch.testing.assert_close(J, ref, rtol=1e-12, atol=1e-12)


def test_force_learns_a_four_sine_in_the_weakly_chaotic_regime():
    """g = 1.4, N = 256: free-running MAE after 15 epochs 0.002–0.26 over seeds 0–3 (the
    target has |f| ≤ 1); seed 0 reaches 0.003. Without training (w = 0) the output is 0, whose
    MAE is mean |f| ≈ 0.3."""
    target = four_sine(0)
    res = force(target, N=256, g=1.4, epochs=15, seed=0)
    baseline = float(np.mean(np.abs(target(np.arange(1200) * 0.1))))
    assert res.mae < 0.02 < 0.2 < baseline
    assert res.train_mae.shape == (15,) and res.train_mae[-1] < 0.02


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="g must be a positive number"):
        force(four_sine(0), N=8, g=0.0)
    with pytest.raises(ValueError, match="N must be a positive int"):
        force(four_sine(0), N=0)
    with pytest.raises(ValueError, match="finite signal"):
        force(np.array([0.0, np.nan]), N=8)
