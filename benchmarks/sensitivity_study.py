"""Sensitivity study (Vogt, dissertation, Ch. 4) on a small trained model: the FTLE–gradient
identity, gradient–Q-vector alignment against random vectors (eq. 4.15, Fig. 4.1) and
Algorithm 3 pixel flipping with a Table 4.1-shaped table.

    PYTHONPATH=src python benchmarks/sensitivity_study.py [--model rnn] [--task digits-permuted]
        [--epochs 15] [--hidden 64] [--out runs/sensitivity]

Trains with ``neurodyn.train.run`` (the trainer contract); writes alignment.png,
pixel_flipping.png, ftle_gradient.png and sensitivity.json under ``--out``. Not a timing
benchmark: it prints statistics, not speeds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from neurodyn.aelle import ftle_gradient, gradient_alignment, pixel_flipping
from neurodyn.data import load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="rnn")
    ap.add_argument("--task", default="digits-permuted")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", default="1,2,4,8,12,16,24,32")
    ap.add_argument("--out", default="runs/sensitivity")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from neurodyn.train import run

    trained = run(
        model=args.model,
        task=args.task,
        epochs=args.epochs,
        seed=args.seed,
        hidden_size=args.hidden,
        lr=2e-3,
        clip=1.0,
        progress=False,
    )
    model = trained.model.eval()
    print(f"{args.model} on {args.task}: test {trained.test}")

    test = load(args.task, "test", seed=args.seed)
    grad = ftle_gradient(model, test.x[:32], test.y[:32])
    print(
        f"FTLE–gradient identity (corrected eq. 4.14): one-step residual "
        f"{grad.identity_residual():.2e}, q1 log-growth residual {grad.growth_residual():.2e} nats"
    )
    grad.plot().savefig(out / "ftle_gradient.png", dpi=120)

    align = gradient_alignment(grad, indices=(0, 1, 2, 4, 9), n_random=20, seed=args.seed)
    print(align.table())
    align.plot().savefig(out / "alignment.png", dpi=120)

    ks = tuple(int(k) for k in args.k.split(","))
    flips = pixel_flipping(model, test, ks, n_samples=15, n_random=50, seed=args.seed)
    print(flips.table())
    flips.plot().savefig(out / "pixel_flipping.png", dpi=120)

    record = {
        "model": args.model,
        "task": args.task,
        "epochs": args.epochs,
        "hidden": args.hidden,
        "test": trained.test,
        "identity_residual": grad.identity_residual(),
        "alignment": align.summary(),
        "table_4_1": flips.rows,
    }
    (out / "sensitivity.json").write_text(json.dumps(record, indent=2))
    print(f"wrote {out}/")


if __name__ == "__main__":
    main()
