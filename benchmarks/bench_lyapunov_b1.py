"""One trajectory (B = 1): Hénon and Lorenz full spectra, T = 20,000 steps, float64, identity
frame, QR every step — neurodyn against lyapynov (``LCE``, the same work), and against the
neurodyn of another checkout (``--before /path/to/src``) to record a change.

lyapynov runs in its own environment (``benchmarks/_env``, see ``_lyapynov_side.py``); its
exponents are printed next to ours as the correctness check (same trajectory start, same
number of steps: they agree to the finite-time statistics, ~1e-2).

Run: ``PYTHONPATH=src python benchmarks/bench_lyapunov_b1.py [--before /work/main/src]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

OURS = """
import json, sys, time, torch
from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.systems import Henon, Lorenz
name, steps = sys.argv[1], int(sys.argv[2])
m = Henon() if name == "henon" else Lorenz(dt=0.01)
h0 = torch.tensor([[0.1, 0.1]] if name == "henon" else [[1.0, 1.0, 1.0]], dtype=torch.float64)
lyapunov_spectrum(m, h0=h0, steps=200, q0="identity")
best = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    r = lyapunov_spectrum(m, h0=h0, steps=steps, q0="identity")
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "exponents": r.exponents.tolist()}))
"""


def ours(src: str, name: str, steps: int) -> dict:
    env = {**os.environ, "PYTHONPATH": src}
    out = subprocess.run(
        [sys.executable, "-c", OURS, name, str(steps)], env=env, capture_output=True, text=True
    )
    out.check_returncode()
    return json.loads(out.stdout)


def theirs(name: str, steps: int) -> dict | None:
    py = HERE / "_env" / "bin" / "python"
    if not py.exists():
        return None
    start = "[[0.1, 0.1]]" if name == "henon" else "[[1.0, 1.0, 1.0]]"
    args = [str(py), str(HERE / "_lyapynov_side.py"), "--system", name, "--dt", "0.01"]
    args += ["--points", start, "--p", "2" if name == "henon" else "3", "--transient", "0"]
    args += ["--steps", str(steps)]
    best = None
    for _ in range(3):
        res = json.loads(subprocess.run(args, capture_output=True, text=True).stdout)
        if best is None or res["seconds"] < best["seconds"]:
            best = res
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--before", default=None, help="src/ of the checkout to compare with")
    args = ap.parse_args()
    src = str(Path(__file__).resolve().parents[1] / "src")
    for name in ("henon", "lorenz"):
        t0 = time.perf_counter()
        row = {"system": name, "steps": args.steps, "neurodyn": ours(src, name, args.steps)}
        if args.before:
            row["neurodyn_before"] = ours(args.before, name, args.steps)
        row["lyapynov"] = theirs(name, args.steps)
        row["wall"] = time.perf_counter() - t0
        print(json.dumps(row))


if __name__ == "__main__":
    main()
