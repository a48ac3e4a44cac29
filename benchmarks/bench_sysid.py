"""Identification of the two-tank and CSTR models, their certificates, and rollout speed.

For each system × model (plain / spectral f(x) + g(u), plain coupled f(x, u)): train on N-step
rollouts, report test N-step MSE, whole-trajectory open-loop MSE (normalised units), ms/epoch,
the certificates that hold, and boundedness 10× outside the data box. Then the rollout speed of
the identified two-tank model (batched torch, B trajectories) against the solver it replaces
(scipy solve_ivp, DOP853 rtol 1e-8, the same B trajectories as one batched system), interleaved.

    python benchmarks/bench_sysid.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from neurodyn.data import CSTR, TwoTank, steps, trajectories
from neurodyn.sysid import NeuralSSM, certify_ssm, evaluate, fit, outside_behaviour

MODELS = {
    "plain f+g": dict(),
    "spectral f+g (σ≤0.99)": dict(structure="spectral", sigma_max=0.99),
    "plain coupled": dict(coupled=True),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    n_train, epochs = (8, 40) if args.quick else (16, 300)
    rows = []
    for sysc in (TwoTank, CSTR):
        sys = sysc()
        data = trajectories(sys, n_train=n_train, n_val=4, n_test=4, length=200, hold=20, seed=0)
        lo, hi = data.box("x")
        ulo, uhi = data.box("u")
        xbox = list(zip(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), strict=True))
        ubox = list(zip(ulo, uhi, strict=True))
        for name, kw in MODELS.items():
            model = NeuralSSM(sys.n, sys.m, hidden=(32, 32), dtype=torch.float32, **kw)
            lr = 1e-2 if "spectral" in name else 3e-3
            res = fit(model, data, horizon=10, epochs=epochs, lr=lr, batch_size=256, patience=40)
            ev = evaluate(model, data, horizon=10)
            model.double()
            certs = certify_ssm(model, xbox, ubox, resolution=41)
            held = [f"{c.name}({c.kind[0]})" for c in certs if c.holds]
            out = outside_behaviour(model, xbox, ubox, steps=300)
            rows.append(
                (
                    sys.name,
                    name,
                    ev.nstep_mse,
                    ev.open_loop_mse,
                    res.seconds_per_epoch * 1e3,
                    res.epochs,
                    held,
                    out["bounded"],
                    out["max_norm"],
                )
            )
            print(
                f"{sys.name:8s} {name:22s} N-step MSE {ev.nstep_mse:.2e}  open-loop MSE "
                f"{ev.open_loop_mse:.2e}  {res.seconds_per_epoch * 1e3:7.1f} ms/epoch "
                f"({res.epochs} ep)  10x-outside bounded={out['bounded']} "
                f"(max‖x‖ {out['max_norm']:.3g})\n    holds: {', '.join(held)}",
                flush=True,
            )
        if sysc is TwoTank:
            speed(sys, data, model_for_speed(data, args.quick))
    print(
        "\n| system | model | test N-step MSE (N=10) | open-loop MSE | ms/epoch | epochs | certificates that hold (p = proof, s = sampled) | 10× outside bounded |"  # noqa: E501
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r[0]} | {r[1]} | {r[2]:.2e} | {r[3]:.2e} | {r[4]:.1f} | {r[5]} | {', '.join(r[6])} | {r[7]} (max‖x‖ {r[8]:.3g}) |"  # noqa: E501
        )


def model_for_speed(data, quick):
    model = NeuralSSM(2, 2, hidden=(32, 32), dtype=torch.float32)
    fit(model, data, horizon=10, epochs=5 if quick else 30, batch_size=256)
    return model


def speed(sys, data, model):
    T = 200
    for B in (1, 64):
        u = np.stack([steps(T, 0.0, 0.5, hold=20, seed=s, m=2) for s in range(B)])
        x0 = np.full((B, 2), 0.2)
        t_ode, t_nn = [], []
        for _ in range(3):  # interleaved
            t = time.perf_counter()
            sys.simulate(u, x0)
            t_ode.append(time.perf_counter() - t)
            t = time.perf_counter()
            model.predict(x0, u)
            t_nn.append(time.perf_counter() - t)
        a, b = statistics.median(t_ode), statistics.median(t_nn)
        print(
            f"rollout T={T} B={B}: solve_ivp {a * 1e3:.1f} ms, NeuralSSM (torch) {b * 1e3:.2f} ms, "
            f"ratio {a / b:.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
