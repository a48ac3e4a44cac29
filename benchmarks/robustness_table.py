"""The robustness table of Erichson et al. 2021, Table 3, on models trained with their recipes.

The paper's rows — a "neural ODE RNN" (the ablation unit of eq. 16 with α = 0), the
antisymmetric RNN (Chang et al. 2019) and the Lipschitz RNN (eq. 15) — and beside them nn.LSTM
and an orthogonal RNN (the unitary/orthogonal family), each built at about the same number of
trainable parameters (``--params``, default 3000), trained by ``neurodyn.train.run`` with its
recipe (``neurodyn.train.recipe``: epochs, lr, cosine schedule, clipping, early stopping, time
scale) on the T = 98 MNIST task (``mnist5k-t98``: each 28×28 image of the 5,000-image set as 98
steps of 8 pixels, the paper's setting) and evaluated by ``neurodyn.robustness.robustness`` on
the test split: clean accuracy, ℓ∞/ℓ2 PGD (7 steps of 0.01, ε = 0.05), DeepFool ℓ2/ℓ∞ (7
iterations, the same balls), the noise curves (Fig. 3) and λ_max, tr, κ of the Hessian of the
*training* loss over the recurrent weights (Sec. 6.4, eq. 21) with the eq.-22 landscape.

A model whose clean test accuracy is below ``--min-clean`` (default 0.90) is marked "not
converged" and its robustness is not compared; κ(H) with λ_min ≤ 0 is "not at a minimum" (the
Hessian is indefinite there), not a number. What differs from the paper: 5,000 images instead of
70,000; the paper's radius r is not given (ε = 0.05 here); its PGD column does not say the norm.

Writes into ``--out`` (default ``robustness_out``): ``results.json``, ``table.md`` (with the
paper's numbers), ``noise.png`` and ``landscape_<model>.png``; prints the table and wall time.

    python benchmarks/robustness_table.py --out /tmp/rob            # ≈ 30 min on one core
    python benchmarks/robustness_table.py --quick --out /tmp/rob    # 2 epochs, digits, coarse
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import platform
import time
from pathlib import Path

import torch

from neurodyn.data import load
from neurodyn.robustness import noise_figure, robustness, robustness_table
from neurodyn.train import run

#: (key, model name, model options, label in the table and figures)
MODELS = [
    ("node", "lipschitz", {"alpha": 0.0}, "neural ODE RNN (eq. 16, α = 0)"),
    ("antisymmetric", "antisymmetric", {}, "antisymmetric RNN"),
    ("lipschitz", "lipschitz", {}, "Lipschitz RNN"),
    ("lstm", "lstm", {}, "nn.LSTM"),
    ("orthogonal", "orthogonal", {}, "orthogonal RNN"),
]
#: Erichson et al. 2021, Table 3 (ordered pixel MNIST at T = 98): PGD, DF2, DFinf (%), λ_max, tr, κ
PAPER = {
    "node": (88.5, 69.6, 44.5, 0.30, 4.7, 37.6),
    "antisymmetric": (84.7, 83.4, 44.3, 0.24, 4.8, 35.5),
    "lipschitz": (93.0, 89.2, 54.1, 0.14, 3.1, 23.2),
}


def _fmt(v: float, spec: str) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, spec)


def markdown(results, extra: dict[str, dict], min_clean: float) -> str:
    """The Table-3 rows as a markdown table (accuracies in %), the paper's row under each."""
    rows = [r.row() for r in results]
    attacks = list(dict.fromkeys(k for r in rows for k in r if k.startswith(("PGD", "DF"))))
    head = ["model", "params", "epochs", "clean", *attacks, "λ_max(H)", "tr(H) ± s.e.", "κ(H)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for res, r in zip(results, rows, strict=True):
        e = extra[res.model]
        pct = [_fmt(100 * r[k], ".1f") + "%" if k in r else "—" for k in ["clean", *attacks]]
        tr = f"{_fmt(r['trace'], '.4g')} ± {_fmt(r['trace_stderr'], '.2g')}"
        label = e["label"] + ("" if r["clean"] >= min_clean else " — not converged")
        cells = [label, str(res.n_params), str(e["epochs"]), *pct,
                 _fmt(r["lambda_max"], ".4g"), tr,
                 res.hessian.kappa_text() if res.hessian else "—"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
        if e["key"] in PAPER:
            pgd, df2, dfi, lam, trace, kap = PAPER[e["key"]]
            paper = {"PGD-ℓ∞ ε=0.05": f"{pgd}% (PGD)", "DF-ℓ2 ε=0.05": f"{df2}%",
                     "DF-ℓ∞ ε=0.05": f"{dfi}%"}  # fmt: skip
            cells = ["  paper (Table 3)", "", "", "—", *[paper.get(k, "") for k in attacks],
                     str(lam), str(trace), str(kap)]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("robustness_out"))
    ap.add_argument("--task", default="mnist5k-t98")
    ap.add_argument("--params", type=int, default=3000, help="target trainable parameters")
    ap.add_argument("--epochs", type=int, default=None, help="default: the recipe's")
    ap.add_argument("--min-clean", type=float, default=0.90, help="converged: clean accuracy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--draws", type=int, default=3, help="noise draws per level")
    ap.add_argument("--probes", type=int, default=20, help="Hutchinson probes")
    ap.add_argument("--grid", type=int, default=13, help="landscape grid points per axis")
    ap.add_argument("--hessian-samples", type=int, default=64)
    ap.add_argument("--only", nargs="*", default=None, help="model keys (default all)")
    ap.add_argument("--no-deepfool", action="store_true", help="skip DF2 / DFinf")
    ap.add_argument("--quick", action="store_true",
                    help="digits, 2 epochs, 8 probes, 7×7 landscape")  # fmt: skip
    args = ap.parse_args()
    if args.quick:
        args.task, args.epochs, args.probes, args.grid, args.draws = "digits", 2, 8, 7, 2
    torch.set_num_threads(1)
    t_all = time.perf_counter()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    train_ds = load(args.task, "train", seed=args.seed)
    test_ds = load(args.task, "test", seed=args.seed)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, 1 thread")
    print(
        f"task {args.task}: {len(train_ds.y)} train / {len(test_ds.y)} test sequences, "
        f"T = {train_ds.seq_len}; ~{args.params} parameters, each model's recipe"
        f"{'' if args.epochs is None else f' but {args.epochs} epochs'}, seed {args.seed}\n"
    )
    hess = {"probes": args.probes, "grid": args.grid, "power_iters": 50, "radius": 1.0}
    results, extra, dump = [], {}, []
    from neurodyn.robustness import DEFAULT_DEEPFOOL
    from neurodyn.train import MODELS as KNOWN

    for key, name, options, label in MODELS:
        if (args.only and key not in args.only) or name not in KNOWN:
            continue
        t0 = time.perf_counter()
        tr = run(name, args.task, params=args.params, epochs=args.epochs, seed=args.seed,
                 monitors=None, progress=False, model_options=options or None)  # fmt: skip
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
                         task=args.task,
                         deepfool=None if args.no_deepfool else DEFAULT_DEEPFOOL)  # fmt: skip
        res = dataclasses.replace(res, model=key)  # two rows are Lipschitz RNNs: key them apart
        t2 = time.perf_counter()
        results.append(res)
        extra[key] = {"key": key, "label": label, "epochs": tr.history[-1]["epoch"],
                      "train_s": t1 - t0, "robustness_s": t2 - t1,
                      "recipe": tr.provenance.get("recipe")}  # fmt: skip
        print(f"{label:18s} {res.n_params:5d} params  test acc {tr.test['accuracy']:.3f}  "
              f"train {t1 - t0:6.1f} s  robustness {t2 - t1:6.1f} s  "
              f"({res.hessian.n_params} Hessian params)", flush=True)  # fmt: skip
        d = res.to_dict()
        d.update({**extra[key], "train_history": tr.history, "test": tr.test})
        dump.append(d)
        title = (
            f"{label}: loss along the two top Hessian eigenvectors (Erichson et al. 2021, Fig. 4)"
        )
        res.hessian.plot(title).savefig(out / f"landscape_{key}.png", dpi=100)
    if results:
        curves = {extra[r.model]["label"]: r.noise for r in results}
        title = f"Accuracy under input noise on {args.task} (Erichson et al. 2021, Fig. 3)"
        noise_figure(curves, title=title).savefig(out / "noise.png", dpi=100)
        (out / "table.md").write_text(markdown(results, extra, args.min_clean))
    wall = time.perf_counter() - t_all
    meta = {"task": args.task, "params": args.params, "epochs": args.epochs,
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
