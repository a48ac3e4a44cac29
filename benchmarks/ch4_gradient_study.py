"""Vogt, dissertation, §4.3.1 / §4.4.1 and App. B–C in the paper's setting: the per-step
gradient tensor ΔV_t of a tanh RNN (H = 128) on row-wise MNIST (``mnist5k-rows``, T = 28, the
offline 5,000-image set), its SVD, the cosines of the Q-vectors with its first and last 5
singular vectors (eq. 4.15; Fig. 4.1, 4.2, C2), the participation ratio per step (Fig. B1) and
the R-value profile of Fig. 4.3, at epochs 0 … 5.

    PYTHONPATH=src python benchmarks/ch4_gradient_study.py [--epochs 5] [--hidden 128]
        [--n-seq 25] [--out runs/ch4_gradient]
    PYTHONPATH=src python benchmarks/ch4_gradient_study.py --quick    # < 1 min

Trains with ``neurodyn.train.fit`` (Adam, lr 1e-3, batch 64, clip 1); at epoch 0 and after
each epoch :func:`neurodyn.aelle.recurrent_weight_gradient` runs on ``--n-seq`` test images,
each from its own random h_0 ~ U[−a, a]^H, a = ``--h0-scale`` (default 1; the paper: "twenty
five different random initializations of h_0", their distribution not stated). Writes
gradient_study.json, fig4_1.png, fig4_2.png, figC2.png, figB1.png, fig4_3.png under ``--out``.
Not a timing benchmark.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

from neurodyn.aelle import mean_log_r, q_index_sets, recurrent_weight_gradient
from neurodyn.data import load

TASK = "mnist5k-rows"
#: Vogt, dissertation, §4.4.1 (Fig. 4.1): std of the cosines with the first 5 singular vectors
PAPER_STD = {"first": (0.089, 0.200), "last": (0.089, 0.051), "random": (0.088, 0.067)}


def analyse(model, test, n_seq: int, seed: int, side: str, h0_scale: float = 1.0):
    gen = torch.Generator().manual_seed(seed)
    h0 = torch.rand(n_seq, model.body.hidden_size, generator=gen, dtype=torch.float64) * 2 - 1
    h0 = h0 * h0_scale
    return recurrent_weight_gradient(model, test.x[:n_seq], test.y[:n_seq], h0=h0, side=side)


def summarise(res, sets) -> dict:
    pr = res.participation_ratio()
    return {
        "loss_final_step": float(res.loss[:, -1].mean()),
        "std_leading": {k: res.alignment_std(v, "leading") for k, v in sets.items()},
        "std_trailing": {k: res.alignment_std(v, "trailing") for k, v in sets.items()},
        "pr_mean": pr.mean(0).tolist(),
        "pr_std": pr.std(0).tolist(),
        "rank_mean": res.numerical_rank().double().mean(0).tolist(),
    }


def fig_4_1(results, sets, out: Path, which: str, name: str):
    from matplotlib.figure import Figure

    epochs = sorted(results)
    fig = Figure(figsize=(9, 2.6 * len(epochs)), layout="constrained")
    axes = fig.subplots(len(epochs), 3, sharex=True, squeeze=False)
    edges = torch.linspace(-0.6, 0.6, 61).tolist()
    for r, ep in enumerate(epochs):
        res = results[ep]["left"]
        for c, (label, idx) in enumerate(sets.items()):
            ax = axes[r, c]
            vals = getattr(res, f"cos_{which}")[:, :, list(idx)].flatten()
            ax.hist(vals.tolist(), bins=edges, density=True, color=f"C{c}", alpha=0.8)
            ax.text(0.03, 0.92, f"std {float(vals.std()):.3f}", transform=ax.transAxes,
                    fontsize=9, va="top")  # fmt: skip
            ax.set_title(f"epoch {ep}: {label} ten Q-vectors", fontsize=9)
            if r == len(epochs) - 1:
                ax.set_xlabel("cos(q_i(t), u_j(t))")
        axes[r, 0].set_ylabel("density")
    fig.suptitle(f"Q-vectors q_i(t) against the {which} 5 (left) singular vectors u_j(t) of ΔV_t, "
                 "all steps (Vogt, dissertation, eq. 4.15)", fontsize=10)  # fmt: skip
    fig.savefig(out / name, dpi=110)


def fig_4_2(results, sets, out: Path):
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.figure import Figure

    epochs = [min(results), max(results)]
    fig = Figure(figsize=(10, 6.4), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True, sharey=True)
    cmap = colormaps["viridis"]
    for r, ep in enumerate(epochs):
        res = results[ep]["left"]
        for c, which in enumerate(("leading", "trailing")):
            ax = axes[r, c]
            by = res.std_by_index(which)  # (T, H)
            T, H = by.shape
            for t in range(T):
                ax.plot(range(1, H + 1), by[t].tolist(), ".", ms=2.5, color=cmap(t / (T - 1)))
            base = res.alignment_std(sets["random"], which)
            ax.axhline(base, color="red", lw=1.2, label=f"random set ({base:.3f})")
            ax.axhline(1 / math.sqrt(H), color="k", ls=":", lw=1, label="1/√H")
            ax.set_title(f"epoch {ep}: {which} 5 singular vectors", fontsize=9)
            ax.legend(fontsize=7, loc="upper right")
            if r == 1:
                ax.set_xlabel("Q-vector index i")
        axes[r, 0].set_ylabel("std of cos over sequences")
    sm = ScalarMappable(cmap=cmap)
    sm.set_clim(1, T)
    fig.colorbar(sm, ax=axes, label="step t (row)", shrink=0.8)
    fig.suptitle("Std of the Q-vector–ΔV_t cosines per Q index and step (cf. Fig. 4.2)",
                 fontsize=10)  # fmt: skip
    fig.savefig(out / "fig4_2.png", dpi=110)


def fig_b1(summaries, history, out: Path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.4), layout="constrained")
    a0, a1 = fig.subplots(1, 2, width_ratios=(1, 2.2))
    a0.plot([h["epoch"] for h in history], [h["train_loss"] for h in history], "o-")
    a0.set(xlabel="epoch", ylabel="training loss (nats)", title="training")
    for ep, s in sorted(summaries.items()):
        t = range(1, len(s["pr_mean"]) + 1)
        a1.errorbar(t, s["pr_mean"], yerr=s["pr_std"], capsize=2, lw=1, label=f"epoch {ep}")
    a1.axhline(0.4, color="k", ls=":", lw=1)
    a1.set(xlabel="step t (rows read)", ylabel="P = Σs² / (Σs)²", ylim=(0, 1.05),
           title="participation ratio of ΔV_t (cf. App. B, Fig. B1)")  # fmt: skip
    a1.legend(fontsize=7, ncol=3)
    fig.savefig(out / "figB1.png", dpi=110)


def fig_4_3(res, out: Path, sample: int = 0):
    from matplotlib.figure import Figure

    r = res.r_values[sample]  # (T, H)
    T = r.shape[0]
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    a0, a1 = fig.subplots(1, 2)
    lr1 = torch.log(r[:, 0])
    t = torch.arange(1, T + 1)
    a0.plot(t, lr1.tolist(), ".-", label="log r¹_t")
    a0.plot(t, (lr1.cumsum(0) / t).tolist(), "k-", lw=2, label="FTLE λ¹(t) = mean of log r¹")
    a0.set(xlabel="step t", ylabel="nats", title="first R-value over the sequence")
    a0.legend(fontsize=8)
    for n in (1, 10, 100):
        if n <= r.shape[1]:
            a1.plot(range(1, T + 1), mean_log_r(r, n).sort(descending=True).values.tolist(),
                    ".-", label=f"n = {n}")  # fmt: skip
    a1.set(xlabel="steps ranked by value", ylabel="(1/n) Σ_{i≤n} log r^i_t",
           title="sorted mean log of the first n R-values")  # fmt: skip
    a1.legend(fontsize=8)
    fig.suptitle("R-value profile of one test sequence (cf. Vogt, dissertation, Fig. 4.3)",
                 fontsize=10)  # fmt: skip
    fig.savefig(out / "fig4_3.png", dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--n-seq", type=int, default=25)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--h0-scale", type=float, default=1.0, help="h_0 ~ U[−a, a]^H (0: zeros)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="runs/ch4_gradient")
    args = ap.parse_args()
    torch.set_num_threads(1)
    from neurodyn.train import build_model, evaluate, fit

    tr, va = load(TASK, "train", seed=args.seed), load(TASK, "val", seed=args.seed)
    test = load(TASK, "test", seed=args.seed)
    if args.quick:
        args.epochs, args.hidden, args.n_seq = 1, 32, 6
        args.out = args.out if args.out != "runs/ch4_gradient" else "runs/ch4_gradient_quick"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = build_model("rnn", tr.input_size, 10, hidden_size=args.hidden, seed=args.seed)
    sets = q_index_sets(args.hidden, 10 if args.hidden >= 30 else args.hidden // 3, args.seed)
    results, summaries = {}, {}

    def probe(epoch, m, row):
        sides = ("left", "right") if epoch in (0, args.epochs) else ("left",)
        results[epoch] = {
            s: analyse(m, test, args.n_seq, args.seed, s, args.h0_scale) for s in sides
        }
        summaries[epoch] = {s: summarise(results[epoch][s], sets) for s in sides}
        lead = summaries[epoch]["left"]["std_leading"]
        print(f"epoch {epoch}: val acc {row['val_acc']:.3f}; std cos (first 5 left SVs) "
              + ", ".join(f"{k} {v:.3f}" for k, v in lead.items()), flush=True)  # fmt: skip

    res = fit(model, tr, va, epochs=args.epochs, batch_size=64, lr=args.lr, clip=1.0,
              seed=args.seed, monitors=None, callbacks=(probe,), progress=False)  # fmt: skip
    acc = evaluate(res.model, test)
    e0, e1 = 0, args.epochs
    lines = [f"test accuracy after {args.epochs} epochs: {acc['accuracy']:.3f}", "",
             "set | SVs | epoch 0 (ours / paper) | epoch 5 (ours / paper)",
             "--- | --- | --- | ---"]  # fmt: skip
    for side in ("left", "right"):
        for which in ("leading", "trailing"):
            for k in sets:
                a = summaries[e0][side][f"std_{which}"][k]
                b = summaries[e1][side][f"std_{which}"][k]
                p = PAPER_STD[k] if which == "leading" else ("–", "–")
                lines.append(f"{k} | {which} 5 {side} | {a:.3f} / {p[0]} | {b:.3f} / {p[1]}")
    lines.append("")
    lines.append("epoch | P(t) for t = 1, 2, 3, 4, 7, 14, 28 | max P over t ≥ 4")
    for ep, s in sorted(summaries.items()):
        pr = s["left"]["pr_mean"]
        pick = [pr[i] for i in (0, 1, 2, 3, 6, 13, len(pr) - 1) if i < len(pr)]
        lines.append(f"{ep} | " + ", ".join(f"{v:.3f}" for v in pick) + f" | {max(pr[3:]):.3f}")
    print("\n".join(lines))
    record = {"task": TASK, "hidden": args.hidden, "h0_scale": args.h0_scale,
              "epochs": args.epochs, "lr": args.lr, "n_seq": args.n_seq, "test": acc,
              "sets": sets, "history": res.history, "summaries": summaries,
              "paper_std_leading": PAPER_STD, "table": lines}  # fmt: skip
    (out / "gradient_study.json").write_text(json.dumps(record, indent=2, default=float))
    ends = {e0: results[e0], e1: results[e1]}
    fig_4_1(ends, sets, out, "leading", "fig4_1.png")
    fig_4_1(ends, sets, out, "trailing", "figC2.png")
    fig_4_2(ends, sets, out)
    fig_b1({k: v["left"] for k, v in summaries.items()}, res.history, out)
    fig_4_3(results[e1]["left"], out)
    print(f"wrote {out}/")


if __name__ == "__main__":
    main()
