"""The robustness table of Erichson et al. 2021, Table 3, for four models trained on one task.

``nn.LSTM`` ("lstm"), the antisymmetric RNN (Chang et al. 2019), the Lipschitz RNN (Erichson et
al. 2021, eq. 15) and a Sparse Combo Net with Theorem-1 blocks (Kozachkov et al. 2022, Sec. 3)
are each built at about the same number of trainable parameters (``--params``, default 3000),
trained by ``neurodyn.train.run`` with the same options and seed, and evaluated by
``neurodyn.robustness.robustness`` on the test split: clean accuracy, accuracy under ℓ∞ and ℓ2
PGD (7 steps of 0.01, ε = 0.05; :data:`neurodyn.robustness.DEFAULT_PGD`), the Gaussian and
salt-and-pepper noise curves (Fig. 3) and λ_max, tr and κ of the Hessian of the *training* loss
over the recurrent weights (Sec. 6.4, eq. 21) with the loss landscape along its two top
eigenvectors (eq. 22, Fig. 4).

What differs from the paper: the task is the small ``digits`` set (8×8 images as 64-step
pixel sequences), not (permuted) MNIST; the models are trained for a few epochs on one CPU
core, so the accuracies are far below the paper's and the table compares models at this
budget only; the step sizes are those of ``bench_train_table.py`` (``MODEL_OPTIONS``: ε = Δt
= 0.1 for the antisymmetric and Lipschitz RNNs, whose T = 784 defaults stay at chance over 64
steps), with gradient clipping at 1 as there; the Hessian batch is ``--hessian-samples``
training sequences, its trace has ``--probes`` Hutchinson probes (the s.e. is printed).

Writes into ``--out`` (default ``robustness_out``): ``results.json`` (every
``RobustnessResult.to_dict()`` plus the training history and timings), ``table.md``,
``noise.png`` (all models on one figure) and ``landscape_<model>.png``; prints the table and
the wall time.

    python benchmarks/robustness_table.py --out /tmp/rob     # ≈ 2 min on one core (measured 110 s)
    python benchmarks/robustness_table.py --quick --out /tmp/rob   # 2 epochs, coarse Hessian
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch

from neurodyn.data import load
from neurodyn.robustness import noise_figure, robustness, robustness_table
from neurodyn.train import run

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_train_table import MODEL_OPTIONS  # the same short-sequence step sizes

#: (model name, label in the table and figures)
MODELS = [
    ("lstm", "nn.LSTM"),
    ("antisymmetric", "antisymmetric RNN"),
    ("lipschitz", "Lipschitz RNN"),
    ("scn", "Sparse Combo Net"),
]


def _fmt(v: float, spec: str) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def markdown(results, extra: dict[str, dict]) -> str:
    """The Table-3 rows as a markdown table (accuracies in %)."""
    rows = [r.row() for r in results]
    attacks = list(dict.fromkeys(k for r in rows for k in r if k.startswith("PGD")))
    head = ["model", "params", "epochs", "clean", *attacks, "λ_max(H)", "tr(H) ± s.e.", "κ(H)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for res, r in zip(results, rows, strict=True):
        e = extra[res.model]
        pct = [_fmt(100 * r[k], ".1f") + "%" if k in r else "—" for k in ["clean", *attacks]]
        tr = f"{_fmt(r['trace'], '.4g')} ± {_fmt(r['trace_stderr'], '.2g')}"
        cells = [e["label"], str(res.n_params), str(e["epochs"]), *pct,
                 _fmt(r["lambda_max"], ".4g"), tr, _fmt(r["kappa"], ".4g")]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("robustness_out"))
    ap.add_argument("--task", default="digits")
    ap.add_argument("--params", type=int, default=3000, help="target trainable parameters")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--draws", type=int, default=3, help="noise draws per level")
    ap.add_argument("--probes", type=int, default=20, help="Hutchinson probes")
    ap.add_argument("--grid", type=int, default=13, help="landscape grid points per axis")
    ap.add_argument("--hessian-samples", type=int, default=64)
    ap.add_argument("--only", nargs="*", default=None, help="model names (default all four)")
    ap.add_argument("--quick", action="store_true", help="2 epochs, 8 probes, 7×7 landscape")
    args = ap.parse_args()
    if args.quick:
        args.epochs, args.probes, args.grid, args.draws = 2, 8, 7, 2
    torch.set_num_threads(1)
    t_all = time.perf_counter()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    train_ds = load(args.task, "train", seed=args.seed)
    test_ds = load(args.task, "test", seed=args.seed)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread")
    print(f"task {args.task}: {len(train_ds.y)} train / {len(test_ds.y)} test sequences, "
          f"T = {train_ds.seq_len}; ~{args.params} parameters, {args.epochs} epochs, "
          f"Adam lr {args.lr}, seed {args.seed}\n")  # fmt: skip
    hess = {"probes": args.probes, "grid": args.grid, "power_iters": 50, "radius": 1.0}
    results, extra, dump = [], {}, []
    for name, label in MODELS:
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        tr = run(name, args.task, params=args.params, epochs=args.epochs, lr=args.lr,
                 seed=args.seed, monitors=None, progress=False, clip=1.0,
                 model_options=MODEL_OPTIONS.get(name))  # fmt: skip
        t1 = time.perf_counter()
        losses = [h["train_loss"] for h in tr.history]
        finite = all(math.isfinite(v) for v in losses) and all(
            bool(torch.isfinite(p).all()) for p in tr.model.parameters()
        )
        if not finite:
            print(f"{label}: training diverged (train losses {losses}); skipped")
            dump.append({"model": name, "label": label, "diverged": True, "losses": losses})
            continue
        res = robustness(tr.model, test_ds, hessian=hess, hessian_data=train_ds,
                         hessian_samples=args.hessian_samples, draws=args.draws, seed=args.seed,
                         task=args.task)  # fmt: skip
        t2 = time.perf_counter()
        results.append(res)
        extra[name] = {"label": label, "epochs": args.epochs, "train_s": t1 - t0,
                       "robustness_s": t2 - t1}  # fmt: skip
        print(f"{label:18s} {res.n_params:5d} params  test acc {tr.test['accuracy']:.3f}  "
              f"train {t1 - t0:6.1f} s  robustness {t2 - t1:6.1f} s  "
              f"({res.hessian.n_params} Hessian params)", flush=True)  # fmt: skip
        d = res.to_dict()
        d.update({**extra[name], "train_history": tr.history, "test": tr.test})
        dump.append(d)
        title = (
            f"{label}: loss along the two top Hessian eigenvectors (Erichson et al. 2021, Fig. 4)"
        )
        res.hessian.plot(title).savefig(out / f"landscape_{name}.png", dpi=100)
    if results:
        curves = {extra[r.model]["label"]: r.noise for r in results}
        title = f"Accuracy under input noise on {args.task} (Erichson et al. 2021, Fig. 3)"
        noise_figure(curves, title=title).savefig(out / "noise.png", dpi=100)
        (out / "table.md").write_text(markdown(results, extra))
    wall = time.perf_counter() - t_all
    meta = {"task": args.task, "params": args.params, "epochs": args.epochs, "lr": args.lr,
            "seed": args.seed, "hessian": hess, "hessian_samples": args.hessian_samples,
            "draws": args.draws, "wall_s": wall, "torch": torch.__version__}  # fmt: skip
    (out / "results.json").write_text(json.dumps({"meta": meta, "results": dump}, indent=1))
    from rich.console import Console

    print()
    Console(width=140).print(robustness_table(results, title=f"Erichson et al. 2021, Table 3 "
                                              f"columns, {args.task}"))  # fmt: skip
    print(
        f"\nwall time {wall:.1f} s; wrote {out}/results.json, table.md, noise.png, "
        "landscape_<model>.png"
    )


if __name__ == "__main__":
    main()
