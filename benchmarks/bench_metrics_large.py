"""Contraction metrics at the sizes people use (n = 64 … 1024), against what main ran before.

1. Kozachkov et al. 2022, Thm. 5 (a diagonal metric P with g²WᵀPW − P ≺ 0): optimal diagonal
   scaling (``theorem5(method="scaling")``, the default) against the SCS LMI
   (``theorem5(method="lmi")``), both including their re-checks.
2. The full-metric sector LMI of a Lipschitz RNN (``lipschitz_sector(A, W, metric="full")``:
   the Riccati equation at Λ = I first, the SDP if that fails) against the SCS SDP alone
   (``sector_lmi`` + the same re-check). A = A_{0.8,1} of Erichson et al. 2021, eq. 9 from a
   Gaussian M; W = s·N(0, 1/n) with s = 0.8 (Λ = I works) or 1.6 (it does not: the fallback).

Instances (g = 1): W = Φ⁻¹W₀Φ, W₀ Gaussian scaled to ‖W₀‖₂ = 0.9 (feasible: P = Φ² works, while
‖W‖₂ ≈ 2.5–3.5 so P = I does not) or 1.2 (infeasible for this draw: the scaling's minimum is
≈ 1.13–1.16, and both paths say so), Φ = diag(e^{U[−1,1]}). Verdicts must agree; ratios of
medians are printed. One BLAS thread, interleaved.

    python benchmarks/bench_metrics_large.py                  # n = 64, 256 (+ scaling at 1024)
    python benchmarks/bench_metrics_large.py --sizes 64,256,1024 --lmi-max-n 1024 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from neurodyn import contraction as C
from neurodyn.contraction._lipschitz import _sector_certificate
from neurodyn.contraction._lmi import sector_lmi


def instance(n, norm, seed=1):
    rng = np.random.default_rng(seed)
    W0 = rng.standard_normal((n, n))
    phi = np.exp(rng.uniform(-1, 1, n))
    return (norm * W0 / np.linalg.norm(W0, 2)) * phi[None, :] / phi[:, None]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="64,256,1024")
    ap.add_argument("--lmi-max-n", type=int, default=256, help="largest n the SCS path runs at")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sector-sizes", default="64,256")
    a = ap.parse_args()
    threadpool_limits(1)
    theorem5_table(a)
    sector_table(a)


def sector_table(a) -> None:
    print("\n| n | W scale | Riccati-first s | verdict, how | SCS SDP s | verdict | ratio |")
    print("|---|---|---|---|---|---|---|")
    for n in (int(v) for v in a.sector_sizes.split(",")):
        rng = np.random.default_rng(1)
        A = C.prop2_bounds(rng.standard_normal((n, n)) / np.sqrt(n), 0.8, 1.0)[0]
        W0 = rng.standard_normal((n, n)) / np.sqrt(n)
        for s in (0.8, 1.6):
            W = s * W0

            def scs(A=A, W=W, n=n):
                res = sector_lmi(1.0, A=A, B=np.eye(n), C=W, metric="full")
                return _sector_certificate("scs", res, 1.0, A=A, B=np.eye(n), C=W, assumptions=())

            fns = {"ours": lambda A=A, W=W: C.lipschitz_sector(A, W, metric="full"), "scs": scs}
            reps = a.repeats if n <= 64 else 1
            times = {k: [] for k in fns}
            outs = {}
            for _ in range(reps):
                for k, f in fns.items():
                    t, outs[k] = timed(f)
                    times[k].append(t)
            to, ts = statistics.median(times["ours"]), statistics.median(times["scs"])
            c, r = outs["ours"], outs["scs"]
            how = ("frequency-domain dual" if "frequency-domain dual," in c.method else
                   "SDP fallback" if "SCS" in c.method else "Riccati")  # fmt: skip
            agree = "" if c.holds == r.holds else " DISAGREE"
            print(f"| {n} | {s} | {to:.2f} | {c.holds}, {how} | {ts:.1f} | {r.holds}{agree} | "
                  f"{ts / to:.1f}× |", flush=True)  # fmt: skip


def theorem5_table(a) -> None:
    print("| n | instance | scaling s | verdict, how | SCS LMI s | verdict | ratio |")
    print("|---|---|---|---|---|---|---|")
    for n in (int(v) for v in a.sizes.split(",")):
        for norm, label in ((0.9, "feasible"), (1.2, "infeasible")):
            W = instance(n, norm)
            fns = {"scaling": lambda W=W: C.theorem5(W)}
            if n <= a.lmi_max_n:
                fns["lmi"] = lambda W=W: C.theorem5(W, method="lmi")
            times = {k: [] for k in fns}
            outs = {}
            for _ in range(a.repeats if n <= 256 else 1):
                for k, f in fns.items():
                    t, outs[k] = timed(f)
                    times[k].append(t)
            ts = statistics.median(times["scaling"])
            c = outs["scaling"]
            how = (f"metric, rate {c.margin:.3f}" if c.holds else
                   "dual Z" if "dual" in c.evidence else
                   "ρ(W)" if "ρ(W)" in c.method else "LMI fallback")  # fmt: skip
            if "lmi" in outs:
                tl = statistics.median(times["lmi"])
                lm = outs["lmi"]
                agree = "" if lm.holds == c.holds else " DISAGREE"
                print(f"| {n} | {label} | {ts:.3f} | {c.holds}, {how} | {tl:.2f} | "
                      f"{lm.holds}{agree} | {tl / ts:.1f}× |", flush=True)  # fmt: skip
            else:
                print(f"| {n} | {label} | {ts:.2f} | {c.holds}, {how} | — | — | — |", flush=True)


if __name__ == "__main__":
    main()
