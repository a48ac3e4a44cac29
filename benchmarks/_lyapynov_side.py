"""lyapynov's side of ``bench_lyapunov_lorenz.py``, run in its own environment ``benchmarks/_env``.

lyapynov (PyPI, 1.0.1) is never a project dependency; this script imports only it and numpy.
For each starting point it builds ``lyapynov.ContinuousDS(x0, 0, f, jac, dt)`` and calls
``lyapynov.mLCE(system, n_forward, n_compute, False)`` (λ₁ only, its cheapest route; ``--p 3``
calls ``lyapynov.LCE`` for the full spectrum instead; ``--system henon`` uses
``lyapynov.DiscreteDS`` with the Hénon map), one starting point after another, as its
API works on one trajectory at a time. Prints one JSON object: the exponents and the seconds
spent in lyapynov's calls (interpreter start-up and imports excluded).

Run: ``benchmarks/_env/bin/python benchmarks/_lyapynov_side.py --dt 0.02 --points '[[...], ...]'``.
"""

from __future__ import annotations

import argparse
import json
import time

import lyapynov
import numpy as np

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0


def f(x, t):
    return np.array(
        [SIGMA * (x[1] - x[0]), RHO * x[0] - x[1] - x[0] * x[2], x[0] * x[1] - BETA * x[2]]
    )


def jac(x, t):
    return np.array([[-SIGMA, SIGMA, 0.0], [RHO - x[2], -1.0, -x[0]], [x[1], x[0], -BETA]])


A, B = 1.4, 0.3


def henon(x, t):
    return np.array([1 - A * x[0] ** 2 + x[1], B * x[0]])


def henon_jac(x, t):
    return np.array([[-2 * A * x[0], 1.0], [B, 0.0]])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dt", type=float, default=0.02)
    ap.add_argument("--T", type=float, default=400.0, help="accumulated time")
    ap.add_argument("--transient", type=float, default=20.0)
    ap.add_argument("--points", type=str, required=True, help="JSON list of [x, y, z]")
    ap.add_argument("--p", type=int, default=1, help="1: mLCE (λ₁ only); >1: LCE with p")
    ap.add_argument("--seed", type=int, default=0, help="numpy seed (mLCE's random w)")
    ap.add_argument("--system", choices=("lorenz", "henon"), default="lorenz")
    ap.add_argument("--steps", type=int, default=None, help="n_compute in steps (overrides T)")
    args = ap.parse_args()
    np.random.seed(args.seed)  # noqa: NPY002 - mLCE draws its w from numpy's global state
    points = json.loads(args.points)
    n_forward = round(args.transient / args.dt)
    n_compute = round(args.T / args.dt) if args.steps is None else args.steps
    out = []
    t0 = time.perf_counter()
    for x0 in points:
        if args.system == "henon":
            system = lyapynov.DiscreteDS(np.array(x0, dtype=float), 0, henon, henon_jac)
        else:
            system = lyapynov.ContinuousDS(np.array(x0, dtype=float), 0.0, f, jac, args.dt)
        if args.p == 1:
            out.append([float(lyapynov.mLCE(system, n_forward, n_compute, False))])
        else:
            out.append(
                [float(v) for v in lyapynov.LCE(system, args.p, n_forward, n_compute, False)]
            )
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "exponents": out, "version": lyapynov.__version__}))


if __name__ == "__main__":
    main()
