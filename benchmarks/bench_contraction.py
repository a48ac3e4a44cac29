"""Contraction certificates and Sparse Combo Nets: what each costs against the obvious baseline.

1. Theorem-1 rejection sampling of 16 blocks of 32 at ~1 % acceptance: our vectorised sampler
   (candidates in batches, one batched M-matrix solve) vs one candidate at a time with
   ``numpy.linalg.eigvals`` (the paper's loop).
2. LMIs: Theorem 5 (diagonal metric) and the Lipschitz-RNN sector LMI (full metric) at n = 64
   and 256, SCS called directly with its linear solver named vs cvxpy + SCS (n = 64 only; cvxpy
   took 138 s and > 6 GB at n = 256 when the issue was filed). Each returned metric is re-checked
   by eigenvalues (part of the timed call).
3. Lyapunov-equation metric: SciPy's Bartels–Stewart at n = 512, vs the Kronecker solve
   (``(I⊗Aᵀ + Aᵀ⊗I) vec M = −vec Q``, what ``method="direct"`` does) at n = 64 only.
4. Lyapunov spectrum of a 16 × 32 Sparse Combo Net: analytic Jacobian vs ``vmap(jacrev)``.

Interleaved, one thread, medians. ``--quick``: fewer repeats, n = 64 only for the LMIs.

    .venv/bin/python benchmarks/bench_contraction.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import scipy.linalg
import torch

from neurodyn import contraction as C
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.nn import SparseComboNet, sample_theorem1_blocks
from neurodyn.systems import FlowMap, as_map


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def interleave(fns: dict, reps: int) -> dict:
    times = {k: [] for k in fns}
    outs = {}
    for _ in range(reps):
        for k, f in fns.items():
            t, outs[k] = timed(f)
            times[k].append(t)
    return {k: (statistics.median(v), outs[k]) for k, v in times.items()}


def one_at_a_time(p, C_, density, scale, rng):
    kept, drawn = [], 0
    while len(kept) < p:
        W = rng.uniform(-scale, scale, (C_, C_)) * (rng.random((C_, C_)) < density)
        np.fill_diagonal(W, 0)
        drawn += 1
        if np.abs(np.linalg.eigvals(np.abs(W))).max() < 1:
            kept.append(W)
    return drawn


def bench_sampling(reps):
    density, scale = 0.06, 10.0
    gen = torch.Generator().manual_seed(0)
    rng = np.random.default_rng(0)
    res = interleave(
        {
            "vectorised": lambda: sample_theorem1_blocks(
                16, 32, density=density, pre_scale=scale, generator=gen, max_candidates=10**6
            )[1],
            "one-at-a-time": lambda: one_at_a_time(16, 32, density, scale, rng),
        },
        reps,
    )
    rate = res["vectorised"][1]["acceptance_rate"]
    tv, to = res["vectorised"][0], res["one-at-a-time"][0]
    print(f"[sampling] 16×32, density {density}, entries ±{scale}: acceptance {rate:.2%}")
    print(f"  vectorised {tv:.3f} s   one-at-a-time {to:.3f} s   ratio {to / tv:.1f}×")


def bench_lmi(sizes, reps):
    rng = np.random.default_rng(1)
    for n in sizes:
        bench_lmi_one(n, reps, rng)


def bench_lmi_one(n, reps, rng):
    if True:
        W0 = rng.standard_normal((n, n))
        phi = np.exp(rng.uniform(-1, 1, n))  # W = Φ⁻¹W₀Φ: Thm. 5 feasible (P = Φ²), P = I not
        W = (0.9 * W0 / np.linalg.norm(W0, 2)) * phi[None, :] / phi[:, None]
        X = rng.standard_normal((n, n)) / np.sqrt(n)
        A = C.prop2_bounds(X, 0.8, 1.0)[0]
        Wl = 0.4 * rng.standard_normal((n, n)) / np.sqrt(n)
        fns = {
            "thm5 SCS cpu_dense": lambda: C.theorem5(W),
            "lipschitz full SCS cpu_indirect": lambda: C.lipschitz_sector(A, Wl, metric="full"),
            "lipschitz diagonal SCS": lambda: C.lipschitz_sector(A, Wl, metric="diagonal"),
        }
        if n <= 64:
            fns["lipschitz full cvxpy+SCS"] = lambda: C.sector_lmi_cvxpy(
                1.0, A=A, B=np.eye(n), C=Wl, metric="full"
            )
        res = interleave(fns, reps if n <= 64 else 1)
        print(f"[LMI] n = {n}")
        for k, (t, out) in res.items():
            ok = out.holds if hasattr(out, "holds") else out.solved
            print(f"  {k:34s} {t:8.2f} s   holds/solved={ok}")
        if "lipschitz full cvxpy+SCS" in res:
            r = res["lipschitz full cvxpy+SCS"][0] / res["lipschitz full SCS cpu_indirect"][0]
            print(f"  cvxpy / SCS-direct (full metric): {r:.1f}×")
        norm = C.lipschitz_norm(A, Wl)
        print(f"  norm condition μ₂(A) + ‖W‖ < 0 holds: {norm.holds} (sector LMI is never looser)")


def kron_lyapunov(A):
    n = len(A)
    K = np.kron(np.eye(n), A.T) + np.kron(A.T, np.eye(n))
    return np.linalg.solve(K, -np.eye(n).ravel()).reshape(n, n)


def bench_lyapunov(reps):
    rng = np.random.default_rng(2)
    A512 = rng.standard_normal((512, 512)) / np.sqrt(512) - 1.5 * np.eye(512)
    A64 = A512[:64, :64]
    res = interleave(
        {
            "bartels-stewart n=512": lambda: C.lyapunov_metric(A512),
            "bartels-stewart n=64": lambda: C.lyapunov_metric(A64),
            "kronecker n=64": lambda: kron_lyapunov(A64),
        },
        reps,
    )
    M64 = res["bartels-stewart n=64"][1]
    err = np.abs(M64 - res["kronecker n=64"][1]).max() / np.abs(M64).max()
    print("[Lyapunov metric]")
    for k, (t, _) in res.items():
        print(f"  {k:24s} {t:8.3f} s")
    ratio = res["kronecker n=64"][0] / res["bartels-stewart n=64"][0]
    print(f"  kronecker / bartels-stewart at n=64: {ratio:.0f}×  (agree to {err:.1e})")
    M = res["bartels-stewart n=512"][1]
    resid = np.abs(M @ A512 + A512.T @ M + np.eye(512)).max()
    print(f"  n=512 residual ‖MA + AᵀM + I‖_max = {resid:.1e}")
    _ = scipy.linalg


def bench_lyapunov_spectrum(reps, steps):
    # milder blocks than the paper's ±6 at 3.3 %: those metrics span ~9 decades, L = B − M⁻¹BᵀM
    # gets entries ∝ m_j/m_i and the Euler step diverges (docs/contraction.md)
    net = SparseComboNet(
        1,
        10,
        density=0.1,
        pre_scale=0.5,
        dt=0.05,
        generator=torch.Generator().manual_seed(0),
        dtype=torch.float64,
    )
    analytic = as_map(net)
    autograd = FlowMap(
        analytic._fn, analytic.dt, "euler", dim=analytic.dim, input_size=1
    )  # no Jacobian given → vmap(jacrev)
    inputs = torch.randn(4, steps, 1, dtype=torch.float64)
    res = interleave(
        {
            "analytic": lambda: lyapunov_spectrum(analytic, inputs, k=32, t_on=5),
            "vmap(jacrev)": lambda: lyapunov_spectrum(autograd, inputs, k=32, t_on=5),
        },
        reps,
    )
    a, b = res["analytic"], res["vmap(jacrev)"]
    diff = float((a[1].exponents - b[1].exponents).abs().max())
    print(f"[Lyapunov spectrum] 16×32 Sparse Combo Net, B=4, {steps} steps, k=32")
    print(
        f"  analytic {a[0]:.2f} s   vmap(jacrev) {b[0]:.2f} s   ratio {b[0] / a[0]:.1f}×   "
        f"max |Δλ| {diff:.1e}   λ_1 = {float(a[1].exponents.flatten()[0]):.3f}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    reps = 2 if args.quick else 3
    print(f"torch {torch.__version__}, 1 thread, medians of {reps}")
    bench_sampling(reps)
    bench_lmi([64] if args.quick else [64, 256], reps)
    bench_lyapunov(reps)
    bench_lyapunov_spectrum(reps, 100 if args.quick else 300)


if __name__ == "__main__":
    main()
