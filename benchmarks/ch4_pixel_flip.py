"""Table 4.1, Fig. 4.4 and Fig. 4.5 of Vogt, dissertation, §4.4.2, in the paper's setting: a
tanh RNN (Xavier-normal weights) on permuted pixel MNIST (T = 784, the offline 5,000-image set
``mnist5k-pixels-permuted``), Algorithm 3 pixel flips of the k steps of largest R₁ against k
random steps, both designs also with up flips only and down flips only.

    # the paper's setting (512 units; about 75 s per epoch on one core, ~10 s on a GPU)
    PYTHONPATH=src python benchmarks/ch4_pixel_flip.py --hidden 512 --epochs 60 \\
        --out runs/ch4_flip_512
    # a quick check (< 1 min): 32 units, 1 epoch on 512 training images, small k
    PYTHONPATH=src python benchmarks/ch4_pixel_flip.py --quick

Stages: ``--stage train`` fits (``neurodyn.train.fit``, checkpoints under ``--out``, resumable),
``--stage analyze`` loads ``--out/last.pt`` and runs :func:`neurodyn.aelle.pixel_flipping`,
``--stage all`` (default) both. Writes history.json (training), flip.json, fig4_4.png and
fig4_5.png under ``--out``. Not a timing benchmark.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

from neurodyn.data import load

PAPER_TABLE_4_1 = {  # k: (μ_R − μ_rand, "Variance" column = s.e. of the difference, p)
    1: (-0.028, 0.009, 0.998), 5: (-0.008, 0.084, 0.540), 10: (0.025, 0.303, 0.468),
    20: (0.313, 0.341, 0.179), 30: (0.260, 0.359, 0.234), 50: (0.794, 0.523, 0.065),
    75: (0.814, 0.475, 0.043), 100: (1.050, 0.530, 0.024), 200: (1.363, 0.824, 0.049),
}  # fmt: skip
TASK = "mnist5k-pixels-permuted"


def xavier_rnn(hidden: int, seed: int):
    """``build_model("rnn", …)`` with every weight matrix re-drawn Xavier normal (§4.4.2:
    "initialize the weight matrices with the Xavier normal initialization"); biases keep
    torch's default U[−1/√H, 1/√H]."""
    from neurodyn.train import build_model

    model = build_model("rnn", 1, 10, hidden_size=hidden, seed=seed)
    gen_state = torch.random.get_rng_state()
    torch.manual_seed(seed + 1)
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim == 2:
                nn.init.xavier_normal_(p)
    torch.random.set_rng_state(gen_state)
    return model


def train(args, out: Path):
    from neurodyn.train import evaluate, fit

    tr, va = load(TASK, "train", seed=args.seed), load(TASK, "val", seed=args.seed)
    if args.n_train:
        tr = _subset(tr, args.n_train)
    model = xavier_rnn(args.hidden, args.seed)
    t0 = time.time()

    def clock(epoch, _model, row):
        el = time.time() - t0
        print(f"epoch {epoch}: train loss {row['train_loss']:.4f} acc {row['train_acc']:.3f}, "
              f"val loss {row['val_loss']:.4f} acc {row['val_acc']:.3f} ({el:.0f} s)",
              flush=True)  # fmt: skip
        return {"elapsed_s": el}

    res = fit(model, tr, va, epochs=args.epochs, batch_size=64, lr=args.lr, optimizer="adam",
              schedule=args.schedule, clip=1.0, seed=args.seed, out=out, resume=True,
              monitors=None, callbacks=(clock,), progress=False)  # fmt: skip
    test = evaluate(res.model, load(TASK, "test", seed=args.seed))
    (out / "test.json").write_text(json.dumps({"test": test, "hidden": args.hidden}, indent=2))
    print(f"test {test}", flush=True)
    return res.model


def _subset(ds, n):
    import copy

    s = copy.copy(ds)
    object.__setattr__(s, "x", ds.x[:n])
    object.__setattr__(s, "y", ds.y[:n])
    return s


def analyze(args, out: Path) -> None:
    from neurodyn.aelle import pixel_flipping
    from neurodyn.train import evaluate, load_model

    model, _ = load_model(out / "last.pt")
    model.eval()
    test = load(TASK, "test", seed=args.seed)
    acc = evaluate(model, test)
    print(f"test {acc}", flush=True)
    ks = tuple(int(k) for k in args.k.split(","))
    dtype = getattr(torch, args.dtype)
    res = {}
    for flips in ("both", "up", "down"):
        t0 = time.time()
        res[flips] = pixel_flipping(model, test, ks, n_samples=args.n_samples,
                                    n_random=args.n_random, seed=args.seed, flips=flips,
                                    dtype=dtype)  # fmt: skip
        print(f"flips={flips} ({time.time() - t0:.0f} s)\n{res[flips].table()}", flush=True)
    lines = table_4_1(res["both"])
    print("\n".join(lines))
    record = {"task": TASK, "hidden": args.hidden, "test": acc, "k": ks,
              "n_samples": args.n_samples, "n_random": args.n_random, "dtype": args.dtype,
              "paper": PAPER_TABLE_4_1, "table": lines,
              **{f"rows_{f}": r.rows for f, r in res.items()},
              "n_flipped_mean": {f: r.n_flipped.double().mean(1).tolist() for f, r in res.items()},
              "r_flip_up_fraction": (res["both"].up_flips.double().mean(1) /
                                     torch.tensor(ks, dtype=torch.float64)).tolist()}  # fmt: skip
    (out / "flip.json").write_text(json.dumps(record, indent=2, default=float))
    fig_4_4(res, out)
    fig_4_5(model, test, res["both"], out, k=100 if 100 <= max(ks) else max(ks), seed=args.seed)
    fig_4_3(model, test, out)
    print(f"wrote {out}/")


def table_4_1(res) -> list[str]:
    lines = ["k | Δμ ours | s.e. (unpaired) | p (unpaired) | p (paired) | Δμ paper | s.e. paper "
             "| p paper", "---|---|---|---|---|---|---|---"]  # fmt: skip
    for r in res.rows:
        p = PAPER_TABLE_4_1.get(r["k"], ("–", "–", "–"))
        lines.append(
            f"{r['k']} | {r['delta']:.3f} | {r['se_unpaired']:.3f} | "
            f"{r['p_unpaired']:.3g} | {r['p_paired']:.3g} | {p[0]} | {p[1]} | {p[2]}"
        )
    return lines


def fig_4_4(res, out: Path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 3.8), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    for ax, flips, color in zip(axes, ("both", "up", "down"), ("C2", "C0", "C1"), strict=True):
        r = res[flips]
        ks = list(r.k_values)
        for j, k in enumerate(ks):
            ax.scatter([k] * r.diff_r.shape[1], r.diff_r[j].tolist(), s=9, color=color)
        ax.plot(ks, r.diff_r.mean(1).tolist(), color=color, lw=2, label="largest R₁")
        ax.plot(ks, r.diff_random.mean((1, 2)).tolist(), "--", color="0.35", label="random")
        ax.fill_between(ks, r.diff_random.quantile(0.1, dim=2).mean(1).tolist(),
                        r.diff_random.quantile(0.9, dim=2).mean(1).tolist(), color="0.8",
                        alpha=0.6, label="random 10–90 %")  # fmt: skip
        for k in (20, 200):
            ax.axvline(k, color="k", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set(xlabel="flipped pixels k", title=f"{flips} flips")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("L(flipped) − L(original) (nats)")
    fig.suptitle("Loss change after k pixel flips (cf. Vogt, dissertation, Fig. 4.4)", fontsize=10)
    fig.savefig(out / "fig4_4.png", dpi=110)


def fig_4_5(model, test, res, out: Path, k: int, seed: int, n_show: int = 2):
    from matplotlib.figure import Figure

    from neurodyn.aelle import flip_pixels

    perm = torch.tensor(test.info["permutation"])
    inv = torch.argsort(perm)
    x = test.x[:n_show]
    top = torch.argsort(res.r1[:n_show], dim=1, descending=True)[:, :k]
    gen = torch.Generator().manual_seed(seed + 7)
    rand = [torch.rand(n_show, x.shape[1], generator=gen).argsort(1)[:, :k] for _ in range(4)]
    with torch.no_grad():
        lo = model(x)
        lr = model(flip_pixels(x, top))
        lrand = [model(flip_pixels(x, p)) for p in rand]
    xr = flip_pixels(x, top)
    fig = Figure(figsize=(10, 3.2 * n_show), layout="constrained")
    axes = fig.subplots(n_show, 3, width_ratios=(1, 1, 2.6), squeeze=False)
    w = 0.13
    for i in range(n_show):
        for c, img, title in ((0, x[i], "original"), (1, xr[i], f"{k} largest-R₁ flips")):
            axes[i, c].imshow(img[inv, 0].view(28, 28).numpy(), cmap="viridis")
            axes[i, c].set_title(f"{title} (label {int(test.y[i])})", fontsize=9)
            axes[i, c].axis("off")
        ax = axes[i, 2]
        cls = torch.arange(10).double()
        ax.bar((cls - 2.5 * w).tolist(), lo[i].tolist(), w, color="k", label="original")
        ax.bar((cls - 1.5 * w).tolist(), lr[i].tolist(), w, color="C0", label="R₁ flips")
        for j, (lj, col) in enumerate(zip(lrand, ("red", "orangered", "orange", "gold"),
                                          strict=True)):  # fmt: skip
            ax.bar((cls + (j - 0.5) * w).tolist(), lj[i].tolist(), w, color=col,
                   label="random flips" if j == 0 else None)  # fmt: skip
        ax.set_xticks(range(10))
        ax.set(xlabel="class", ylabel="logit")
        ax.legend(fontsize=7, ncol=3)
    fig.suptitle(f"Logits after {k} flips (cf. Vogt, dissertation, Fig. 4.5)", fontsize=10)
    fig.savefig(out / "fig4_5.png", dpi=110)


def fig_4_3(model, test, out: Path, sample: int = 0):
    from matplotlib.figure import Figure

    from neurodyn import as_map, lyapunov_spectrum
    from neurodyn.aelle import mean_log_r

    m = model.double()
    H = m.body.hidden_size
    n_max = min(100, H)
    with torch.no_grad():
        lyap = lyapunov_spectrum(as_map(m.body), test.x[sample : sample + 1].double(),
                                 k=n_max, t_on=1, keep_history=True)  # fmt: skip
    r = lyap.r_values[0]
    T = r.shape[0]
    t = torch.arange(1, T + 1)
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    a0, a1 = fig.subplots(1, 2)
    lr1 = torch.log(r[:, 0])
    a0.plot(t, lr1.tolist(), lw=0.6, label="log r¹_t")
    a0.plot(t, (lr1.cumsum(0) / t).tolist(), "k-", lw=2, label="FTLE λ¹(t)")
    a0.set(xlabel="pixel t", ylabel="nats", title="first R-value over the sequence")
    a0.legend(fontsize=8)
    for n in (1, 10, 100):
        if n <= n_max:
            a1.plot(t, mean_log_r(r, n).sort(descending=True).values.tolist(), label=f"n = {n}")
    a1.set(xlabel="pixels ranked by value", ylabel="(1/n) Σ_{i≤n} log r^i_t",
           title="sorted mean log of the first n R-values")  # fmt: skip
    a1.legend(fontsize=8)
    fig.suptitle("R-values of one test sequence (cf. Vogt, dissertation, Fig. 4.3)", fontsize=10)
    fig.savefig(out / "fig4_3.png", dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--schedule", default="cosine")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-train", type=int, default=0, help="first n training images (0: all)")
    ap.add_argument("--k", default="1,5,10,20,30,50,75,100,200,300")
    ap.add_argument("--n-samples", type=int, default=15)
    ap.add_argument("--n-random", type=int, default=50)
    ap.add_argument("--dtype", default="float32", help="of the flip analysis (float32 / float64)")
    ap.add_argument("--stage", choices=("train", "analyze", "all"), default="all")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default="runs/ch4_flip")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.quick:
        args.hidden, args.epochs, args.n_train, args.k = 32, 1, 512, "1,5,20,100"
        args.n_samples, args.n_random = 6, 8
        args.out = args.out if args.out != "runs/ch4_flip" else "runs/ch4_flip_quick"
    out = Path(args.out)
    if args.stage in ("train", "all"):
        train(args, out)
    if args.stage in ("analyze", "all"):
        analyze(args, out)


if __name__ == "__main__":
    main()
