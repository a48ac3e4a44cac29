"""Reference table for docs/lyapunov.md: the test-suite runs, printed as markdown."""

import math

import torch

from neurodyn.lyapunov import lyapunov_spectrum
from neurodyn.systems import Henon, Logistic, Lorenz

F64 = torch.float64


def row(case, expected, res, tol):
    ours = ", ".join(f"{v:.5f}" for v in res.exponents.tolist())
    err = ", ".join(f"{v:.1e}" for v in res.stderr.tolist())
    print(f"| {case} | {expected} | {ours} (± {err}) | {tol} |")


def main() -> None:
    print("| case | expected | ours (± s.e.) | tolerance |")
    print("|---|---|---|---|")
    h0 = torch.linspace(0.1, 0.9, 16, dtype=F64).unsqueeze(1) + 0.0123
    row(
        "logistic r = 4",
        "ln 2 = 0.69315",
        lyapunov_spectrum(Logistic(4.0), h0=h0, steps=20000, warmup=100),
        "5e-3",
    )
    gen = torch.Generator().manual_seed(0)
    h0 = 0.1 * torch.randn(16, 2, generator=gen, dtype=F64)
    res = lyapunov_spectrum(Henon(), h0=h0, steps=20000, warmup=200)
    row("Hénon (1.4, 0.3)", "0.41922, −1.62319", res, "1e-2")
    print(f"| Hénon sum | ln 0.3 = {math.log(0.3):.8f} | {res.exponents.sum():.8f} | 1e-6 |")
    gen = torch.Generator().manual_seed(1)
    h0 = torch.tensor([1.0, 1.0, 1.0], dtype=F64) + torch.randn(8, 3, generator=gen, dtype=F64)
    res = lyapunov_spectrum(Lorenz(dt=0.01), h0=h0, steps=20000, warmup=2000)
    row("Lorenz (10, 28, 8/3), RK4 dt 0.01", "0.9056, 0, −14.5723", res, "0.05")
    print(f"| Lorenz sum | −13.6667 | {res.exponents.sum():.4f} | 1e-2 |")


if __name__ == "__main__":
    main()
