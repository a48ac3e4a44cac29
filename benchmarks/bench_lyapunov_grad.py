"""The differentiable Lyapunov spectrum (gradient flossing, Engelken 2023) against the baseline a
user would write, and the trainer's epoch with flossing against without.

1. Forward + backward of L = Σ_i λ_i² for a tanh RNN (``torch.nn.RNN``, n hidden units, one
   input feature, B sequences of T steps, QR every step, float32, one thread):
   * neurodyn: ``lyapunov_spectrum(rnn, x, k=k, differentiable=True)`` then ``L.backward()``
     (analytic Jacobians, batched QR, one graph);
   * baseline: ``torch.func.grad`` of a plain loop per sequence (the step's Jacobian by
     ``torch.func.jacrev``, ``torch.linalg.qr``, Σ log|R_ii|), ``torch.func.vmap``-ed over the B
     sequences.
   Both start from the same identity frame; their gradients are compared (relative error,
   float32) before timing, so the ratio is between two computations of the same number.
2. ``neurodyn.train.fit`` epoch (Adam, batch 64, the delayed XOR at D = 100, 1,400 sequences)
   plain, and with ``floss=Floss(k=16, every=10)`` (the exponent loss on every 10th batch).

A and B interleaved, medians of ``--repeats``; ratios printed.

    python benchmarks/bench_lyapunov_grad.py
    python benchmarks/bench_lyapunov_grad.py --sizes 80,75,55 --repeats 3 --skip-epoch
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import func

from neurodyn.lyapunov import lyapunov_spectrum


def ours(rnn, x, k):
    res = lyapunov_spectrum(rnn, x, k=k, differentiable=True, q0="identity")
    loss = (res.exponents**2).sum()
    grads = torch.autograd.grad(loss, [rnn.weight_hh_l0, rnn.weight_ih_l0, rnn.bias_hh_l0])
    return loss.detach(), grads


def baseline(rnn, x, k):
    params = {n: p.detach() for n, p in rnn.named_parameters()}
    n = rnn.hidden_size

    def step(p, h, u):
        return torch.tanh(p["weight_ih_l0"] @ u + p["bias_ih_l0"] + p["weight_hh_l0"] @ h
                          + p["bias_hh_l0"])  # fmt: skip

    def spectrum(p, seq):  # seq (T, 1)
        h = torch.zeros(n, dtype=seq.dtype)
        q = torch.eye(n, k, dtype=seq.dtype)
        logs = torch.zeros(k, dtype=seq.dtype)
        for u in seq:
            jac = func.jacrev(step, argnums=1)(p, h, u)
            h = step(p, h, u)
            q, r = torch.linalg.qr(jac @ q)
            logs = logs + torch.log(torch.abs(torch.diagonal(r)))
        return logs / seq.shape[0]

    def loss(p):
        lam = func.vmap(spectrum, in_dims=(None, 0))(p, x).mean(0)
        return (lam**2).sum()

    g = func.grad(loss)(params)
    return None, (g["weight_hh_l0"], g["weight_ih_l0"], g["bias_hh_l0"])


def time_once(f, *a) -> float:
    t0 = time.perf_counter()
    f(*a)
    return time.perf_counter() - t0


def bench_spectrum(n, k, T, B, repeats):
    torch.manual_seed(0)
    rnn = torch.nn.RNN(1, n, batch_first=True)
    with torch.no_grad():  # gain 1: near the edge of chaos, where flossing is used
        rnn.weight_hh_l0.normal_(0, 1 / n**0.5)
    x = torch.randn(B, T, 1)
    _, ga = ours(rnn, x, k)
    _, gb = baseline(rnn, x, k)
    err = max(float((a - b).norm() / b.norm()) for a, b in zip(ga, gb, strict=True))
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(time_once(ours, rnn, x, k))
        tb.append(time_once(baseline, rnn, x, k))
    a, b = statistics.median(ta), statistics.median(tb)
    print(f"| {n} | {k} | {T} | {B} | {a:.3f} | {b:.3f} | {b / a:.1f}× | {err:.1e} |", flush=True)


def bench_epoch(model_name, hidden, repeats):
    from neurodyn.data import load
    from neurodyn.train import Floss, build_model, fit

    train = load("xor-100", "train", seed=0)
    model = build_model(model_name, train.input_size, train.num_classes, hidden_size=hidden, seed=0)

    def one(floss):
        fit(model, train, epochs=1, lr=1e-3, monitors=None, progress=False, floss=floss)

    arms = {"plain": None, "floss every 10": Floss(k=16, every=10, sequences=16)}
    times = {a: [] for a in arms}
    for _ in range(repeats):
        for a, f in arms.items():
            times[a].append(time_once(one, f))
    p, f = (statistics.median(times[a]) for a in arms)
    print(f"| {model_name} | {hidden} | {p:.2f} | {f:.2f} | {f / p:.2f}× |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="80,75,55;256,32,200", help="n,k,T;n,k,T;...")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-epoch", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    print("| n | k | T | B | neurodyn fwd+bwd s | torch.func baseline s | ratio | grad rel. err |")
    print("|---|---|---|---|---|---|---|---|")
    for size in a.sizes.split(";"):
        n, k, T = (int(v) for v in size.split(","))
        bench_spectrum(n, k, T, a.batch, a.repeats)
    if not a.skip_epoch:
        print("\n| model | hidden | epoch s, plain | epoch s, floss every 10 | ratio |")
        print("|---|---|---|---|---|")
        for model_name in ("rnn", "lstm"):
            for hidden in (32, 80):
                bench_epoch(model_name, hidden, a.repeats)


if __name__ == "__main__":
    main()
