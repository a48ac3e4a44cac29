"""How far A*(x) is from the Jacobian ∂f/∂x, per activation (numbers for docs/pwa.md).

Net: Linear(2, 16) → σ → Linear(16, 16) → σ → Linear(16, 2), default torch init (seed 0),
float64, 10 000 points uniform in [−6, 6]². Prints a markdown table of the median and max of
‖A* − J‖₂ / ‖J‖₂ and of |ρ(A*) − ρ(J)|.
"""

import torch
from torch import nn

import neurodyn
from neurodyn.stability import norm2, spectral_radius

ACTS = ["ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "SiLU", "Softplus", "ELU", "SELU"]


def main() -> None:
    print("| activation | median rel. ‖A*−J‖₂ | max rel. ‖A*−J‖₂ | median \\|ρ(A*)−ρ(J)\\| |")
    print("|---|---|---|---|")
    for name in ACTS:
        torch.manual_seed(0)
        act = getattr(nn, name)
        net = nn.Sequential(nn.Linear(2, 16), act(), nn.Linear(16, 16), act(), nn.Linear(16, 2))
        net = net.double()
        x = (torch.rand(10000, 2, dtype=torch.float64) - 0.5) * 12
        with torch.no_grad():
            A = neurodyn.linearize(net, x).A
        J = neurodyn.as_map(net).jacobian(x)
        rel = norm2(A - J) / norm2(J).clamp(min=1e-300)
        drho = (spectral_radius(A) - spectral_radius(J)).abs()
        print(f"| {name} | {rel.median():.2e} | {rel.max():.2e} | {drho.median():.2e} |")


if __name__ == "__main__":
    main()
