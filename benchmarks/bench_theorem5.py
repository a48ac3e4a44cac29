"""Kozachkov et al. 2022, Thm. 5 (a diagonal metric P with g²WᵀPW − P ≺ 0): optimal diagonal
scaling (``theorem5(method="scaling")``, the default) against the SCS LMI
(``theorem5(method="lmi")``, what main ran before), both including their re-checks.

Instances (g = 1): W = Φ⁻¹W₀Φ, W₀ Gaussian scaled to ‖W₀‖₂ = 0.9 (feasible: P = Φ² works, while
‖W‖₂ ≈ 2.5–3.5 so P = I does not) or 1.2 (infeasible for this draw: the scaling's minimum is
≈ 1.13–1.16, and both paths say so), Φ = diag(e^{U[−1,1]}). Verdicts must agree; ratios of
medians are printed. One BLAS thread, interleaved.

    python benchmarks/bench_theorem5.py                       # n = 64, 256 (+ scaling at 1024)
    python benchmarks/bench_theorem5.py --sizes 64,256,1024 --lmi-max-n 1024 --repeats 1
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from neurodyn import contraction as C


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
    a = ap.parse_args()
    threadpool_limits(1)
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
