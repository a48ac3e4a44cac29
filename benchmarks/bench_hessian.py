"""λ_max, tr(H) and κ(H) of a training loss from Hessian-vector products against forming H.

The model is a Lipschitz RNN classifier (``neurodyn.train.build_model("lipschitz", 1, 10,
hidden_size=H)``, Erichson et al. 2021, eq. 15) trained for two epochs on
``neurodyn.data.load("digits", "train")`` (T = 64, one feature), float64, CPU, one thread. The
loss is the mean cross-entropy over the first 64 training sequences and θ the body's
parameters (``params="body"``: M_A, M_W, U, b; K = 2H² + 2H), the Hessian of Erichson et al.
2021, Sec. 6.4, eq. 21.

* neurodyn: :class:`neurodyn.robustness.HessianOperator` (records the graph once), then
  :func:`~neurodyn.robustness.power_iteration` (tol 1e-4), :func:`~neurodyn.robustness.
  hutchinson_trace` (100 Rademacher probes) and :func:`~neurodyn.robustness.lanczos_extremes`
  (ARPACK, the two largest and the smallest eigenvalue).
* baseline (what a user would write): ``torch.func.hessian`` of the loss as a function of the
  flat θ (K × K, forward-over-reverse), then ``torch.linalg.eigvalsh`` and ``torch.trace``.

Each repeat runs both, in an order alternating per repeat; medians are printed with the
ratio baseline / neurodyn. The agreement printed is against the dense eigenvalues: relative
errors of λ_max (Lanczos and power iteration), of λ_min and κ = λ_max/λ_min (Lanczos), and of
Hutchinson's trace with its error in units of its own standard error.

    python benchmarks/bench_hessian.py                  # hidden 12 and 16 (K = 312, 544), 3 repeats
    python benchmarks/bench_hessian.py --hidden 8 --repeats 2   # quick
    python benchmarks/bench_hessian.py --hidden 24      # K = 1200 (≈ 8 GB for the dense Hessian)
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call, hessian

from neurodyn.data import load
from neurodyn.robustness import (
    HessianOperator,
    hutchinson_trace,
    lanczos_extremes,
    power_iteration,
    select_parameters,
)
from neurodyn.train import build_model, fit

BATCH = 64
PROBES = 100


def trained_model(hidden: int, ds):
    """A Lipschitz RNN of width ``hidden`` after two Adam epochs on ``ds`` (float64)."""
    model = build_model("lipschitz", ds.input_size, ds.num_classes, hidden_size=hidden, seed=0)
    model = model.double()
    fit(model, ds, epochs=2, lr=3e-3, seed=0, monitors=None, progress=False)
    return model


def with_hvp(model, x, y) -> dict:
    """neurodyn: λ_max (power, Lanczos), tr(H) (Hutchinson), λ_min and κ (Lanczos), timed."""
    t0 = time.perf_counter()
    op = HessianOperator(model, x, y, "body")
    t1 = time.perf_counter()
    lam_pow, _, its = power_iteration(op, iters=200, tol=1e-4, seed=0)
    t2 = time.perf_counter()
    tr, se = hutchinson_trace(op, probes=PROBES, seed=0)
    t3 = time.perf_counter()
    top, _, lam_min = lanczos_extremes(op, k=2, seed=0)
    t4 = time.perf_counter()
    return {
        "s_setup": t1 - t0, "s_power": t2 - t1, "s_hutch": t3 - t2, "s_lanczos": t4 - t3,
        "s_total": t4 - t0, "power": lam_pow, "power_its": its, "trace": tr, "trace_se": se,
        "lmax": float(top[0]), "lmin": lam_min, "products": op.calls,
    }  # fmt: skip


def dense(model, x, y) -> dict:
    """Baseline: the full K × K Hessian by ``torch.func.hessian``, then ``eigvalsh``."""
    names = select_parameters(model, "body")
    base = {k: p.detach() for k, p in model.named_parameters()}
    shapes = [base[k].shape for k in names]
    sizes = [base[k].numel() for k in names]
    theta = torch.cat([base[k].reshape(-1) for k in names])

    def loss(flat):
        parts = dict(zip(names, torch.split(flat, sizes), strict=True))
        sub = {k: parts[k].reshape(s) for k, s in zip(names, shapes, strict=True)}
        return F.cross_entropy(functional_call(model, {**base, **sub}, (x,)), y)

    model.eval()
    t0 = time.perf_counter()
    H = hessian(loss)(theta)
    t1 = time.perf_counter()
    w = torch.linalg.eigvalsh(H)
    tr = float(torch.trace(H))
    t2 = time.perf_counter()
    return {
        "s_hessian": t1 - t0, "s_eig": t2 - t1, "s_total": t2 - t0, "lmax": float(w[-1]),
        "lmin": float(w[0]), "trace": tr, "asym": float((H - H.T).abs().max()), "K": H.shape[0],
    }  # fmt: skip


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def run(hidden: int, ds, reps: int) -> None:
    model = trained_model(hidden, ds)
    x, y = ds.x[:BATCH].double(), ds.y[:BATCH]
    hv, dn = [], []
    for r in range(reps):
        order = [with_hvp, dense] if r % 2 == 0 else [dense, with_hvp]
        for f in order:
            (hv if f is with_hvp else dn).append(f(model, x, y))
    med = {k: statistics.median(d[k] for d in hv) for k in hv[0] if k.startswith("s_")}
    dmed = {k: statistics.median(d[k] for d in dn) for k in dn[0] if k.startswith("s_")}
    a, d = hv[-1], dn[-1]
    print(f"hidden {hidden}: K = {d['K']} parameters, loss over {BATCH} sequences, {reps} repeats")
    print(f"  {'neurodyn (Hessian-vector products)':44s} {'s':>9s}")
    for k, label in [("s_setup", "HessianOperator (record graph)"),
                     ("s_power", f"power_iteration ({a['power_its']} its)"),
                     ("s_hutch", f"hutchinson_trace ({PROBES} probes)"),
                     ("s_lanczos", "lanczos_extremes (k=2 + λ_min)"),
                     ("s_total", f"total ({a['products']} products)")]:  # fmt: skip
        print(f"    {label:42s} {med[k]:9.3f}")
    per = (med["s_total"] - med["s_setup"]) / a["products"]
    print(f"    {'one product':42s} {per:9.4f}")
    print(f"  {'baseline (dense)':44s}")
    print(f"    {'torch.func.hessian':42s} {dmed['s_hessian']:9.3f}")
    print(f"    {'eigvalsh + trace':42s} {dmed['s_eig']:9.3f}")
    print(f"    {'total':42s} {dmed['s_total']:9.3f}")
    lanczos = med["s_setup"] + med["s_lanczos"]
    kd, ka = d["lmax"] / d["lmin"], a["lmax"] / a["lmin"]
    z = abs(a["trace"] - d["trace"]) / a["trace_se"]
    print(f"  ratio dense / neurodyn total:        {dmed['s_total'] / med['s_total']:6.2f}×")
    print(f"  ratio dense / neurodyn Lanczos only: {dmed['s_total'] / lanczos:6.2f}×  (λ_max, κ)")
    print(f"  agreement with the dense eigenvalues (dense: λ_max {d['lmax']:.6g}, "
          f"λ_min {d['lmin']:.6g}, tr {d['trace']:.6g}, κ {kd:.6g}; "
          f"|H − Hᵀ| {d['asym']:.1e})")  # fmt: skip
    print(
        f"    λ_max Lanczos rel. err. {rel(a['lmax'], d['lmax']):.1e}, "
        f"power iteration {rel(a['power'], d['lmax']):.1e}"
    )
    print(
        f"    λ_min Lanczos rel. err. {rel(a['lmin'], d['lmin']):.1e}, "
        f"κ rel. err. {rel(ka, kd):.1e}"
    )
    print(
        f"    trace Hutchinson {a['trace']:.6g} ± {a['trace_se']:.2g}: rel. err. "
        f"{rel(a['trace'], d['trace']):.1e} = {z:.2f} s.e."
    )
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, nargs="*", default=[12, 16])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ds = load("digits", "train", seed=0)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread")
    print(f"Lipschitz RNN on digits (T = {ds.seq_len}), float64, θ = body parameters; medians\n")
    for h in args.hidden:
        run(h, ds, args.repeats)


if __name__ == "__main__":
    main()
