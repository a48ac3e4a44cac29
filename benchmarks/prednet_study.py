"""Eigenvalues vs Lyapunov exponents as predictors of performance (Vogt, dissertation, Sec. 3.1-3.2,
Figs. 3.1-3.4), on the store of ``benchmarks/recipes/asrnn_eigen.yaml``.

Per trained antisymmetric RNN: its final validation loss (the target), its Lyapunov spectrum and
the eigenvalues of its one-step Jacobian (eq. 3.4) at one random (x, h), both recorded by
``neurodyn.sweep.train_job`` (``eigenvalues: true``). Over random 80/20 splits of the networks
(the dissertation: one split, 252 / 63 networks), two PredNets with 10 hidden neurons
(``neurodyn.aelle.PredNet``) regress the final validation loss, one from the exponents, one from
the eigenvalues' real and imaginary parts (``neurodyn.aelle.eigenvalue_features``); their
validation loss per epoch is Fig. 3.4. A 50-neuron PredNet on the spectra at 40 % of training
predicting the final loss is Fig. 3.1's early prediction. Figures 3.2 and 3.3: the eigenvalues
and the spectra of the networks with γ = 0.1 at ε = 0.01 and ε = 1, coloured by validation loss.

    neurodyn sweep benchmarks/recipes/asrnn_eigen.yaml --out runs/asrnn_eigen --workers 2
    python benchmarks/prednet_study.py runs/asrnn_eigen [--splits 5] [--epochs 3000]

Writes ``prednet.json``, ``prednet.md`` and PNGs into ``STORE/_analysis``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from aelle_study import FLOOR  # the AeLLE study's floor for −inf exponents (this folder)


def networks(store: Path) -> dict:
    """One record per finished network: final and 40 % spectra, eigenvalues, losses, grid."""
    from neurodyn import sweep
    from neurodyn.aelle import eigenvalue_features

    df = sweep.read(store, spectrum_length=None)
    ok = df[df["status"] == "ok"]
    keys = ("X", "X40", "eig", "eig_polar", "loss", "acc", "sigma_p", "eps", "gamma")
    rec: dict = {k: [] for k in keys}
    for _h, g in ok.groupby("config_hash", sort=True):
        g = g.sort_values("epoch")
        cfg = json.loads(g["config"].iloc[0])
        last = g.iloc[-1]
        mid = g.iloc[int(np.argmin(np.abs(g["fraction"].to_numpy(float) - 0.4)))]  # 40 %
        if not np.isfinite(last["val_loss"]):
            continue
        rec["X"].append(np.maximum(np.asarray(last["spectrum"], float), FLOOR))
        rec["X40"].append(np.maximum(np.asarray(mid["spectrum"], float), FLOOR))
        rec["eig"].append(eigenvalue_features([last["eig_re"]], [last["eig_im"]])[0])
        rec["eig_polar"].append(
            eigenvalue_features([last["eig_re"]], [last["eig_im"]], form="polar")[0]
        )
        rec["loss"].append(float(last["val_loss"]))
        rec["acc"].append(float(last["test_acc"]))
        rec["sigma_p"].append(float(cfg["init_scale"]))
        rec["eps"].append(float(cfg["model_options"]["eps"]))
        rec["gamma"].append(float(cfg["model_options"]["gamma"]))
    if not rec["X"]:
        raise ValueError(f"{store}: no finished networks; run the sweep first.")
    return {k: np.asarray(v) for k, v in rec.items()}


def study(net: dict, splits: int, epochs: int, lr: float) -> dict:
    from scipy.stats import spearmanr

    from neurodyn.aelle import PredNet

    n = len(net["loss"])
    y = net["loss"]
    out: dict = {"curves": {}, "final": {}, "spearman": {}, "baseline": []}
    inputs = {
        "exponents": (net["X"], 10),
        "eigenvalues": (net["eig"], 10),
        "eigenvalues as log-modulus and angle": (net["eig_polar"], 10),
        "exponents at 40 % (Fig. 3.1)": (net["X40"], 50),
    }
    for name in inputs:
        out["curves"][name], out["final"][name], out["spearman"][name] = [], [], []
    for r in range(splits):
        perm = np.random.default_rng(r).permutation(n)
        k = round(0.8 * n)
        tr, va = perm[:k], perm[k:]
        out["baseline"].append(float(np.mean((y[va] - y[tr].mean()) ** 2)))
        for name, (X, hidden) in inputs.items():
            net_ = PredNet(hidden_size=hidden, epochs=epochs, lr=lr, random_state=r)
            net_.fit(X[tr], y[tr], eval_set=(X[va], y[va]))
            out["curves"][name].append(net_.val_loss_curve_)
            out["final"][name].append(float(net_.val_loss_curve_[-1]))
            out["spearman"][name].append(float(spearmanr(net_.predict(X[va]), y[va])[0]))
    return out


def _figures(res_dir: Path, net: dict, res: dict) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    for name, c, label in (
        ("eigenvalues", "tab:blue", "PredNet on the Jacobian's eigenvalues"),
        ("exponents", "tab:orange", "PredNet on the Lyapunov exponents"),
    ):
        C = np.asarray(res["curves"][name])
        ax.plot(C.mean(axis=0), color=c, label=f"{label} (mean of the splits; band: min-max)")
        ax.fill_between(np.arange(C.shape[1]), C.min(axis=0), C.max(axis=0), color=c, alpha=0.2)
    ax.axhline(np.mean(res["baseline"]), color="k", ls="--", lw=0.8, label="predict the mean")
    ax.set_xlabel("PredNet epoch")
    ax.set_ylabel("validation MSE of the predicted loss")
    ax.set_yscale("log")
    ax.set_title("PredNets on eigenvalues vs exponents (Vogt, dissertation, Fig. 3.4)", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14))  # off the curves
    fig.tight_layout()
    fig.savefig(res_dir / "prednet_curves.png", dpi=120)
    plt.close(fig)
    files.append("prednet_curves.png")

    loss = net["loss"]
    vmin, vmax = np.percentile(loss, [2, 98])
    sel = [(0.01, "ε = 0.01"), (1.0, "ε = 1")]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    for j, (eps, label) in enumerate(sel):
        m = (net["gamma"] == 0.1) & (net["eps"] == eps)
        n_eig = net["eig"].shape[1] // 2
        for i in np.nonzero(m)[0]:
            c = plt.cm.viridis((loss[i] - vmin) / (vmax - vmin + 1e-12))
            axes[0][j].scatter(net["eig"][i, :n_eig], net["eig"][i, n_eig:], s=6, color=c)
            axes[1][j].plot(net["X"][i], color=c, lw=0.9)
        axes[0][j].set_title(f"eigenvalues, γ = 0.1, {label} ({m.sum()} networks)", fontsize=9)
        axes[0][j].set_xlabel("Re")
        axes[0][j].set_ylabel("Im")
        axes[1][j].set_title(f"Lyapunov spectra, γ = 0.1, {label}", fontsize=9)
        axes[1][j].set_xlabel("exponent index")
        axes[1][j].set_ylabel("λ (nats / step)")
    sm = plt.cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(vmin, vmax))
    fig.colorbar(sm, ax=axes, label="final validation loss (purple: best)")
    fig.suptitle(
        "Eigenvalues (Fig. 3.2) and exponents (Fig. 3.3) of antisymmetric RNNs", fontsize=10
    )
    fig.savefig(res_dir / "eigen_vs_exponents.png", dpi=120)
    plt.close(fig)
    files.append("eigen_vs_exponents.png")
    return files


def _ms(v) -> str:
    return f"{np.mean(v):.4f} ± {np.std(v, ddof=1) if len(v) > 1 else 0.0:.4f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=3000)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    store = Path(args.store)
    net = networks(store)
    res = study(net, args.splits, args.epochs, args.lr)
    res_dir = store / "_analysis"
    res_dir.mkdir(exist_ok=True)
    figs = _figures(res_dir, net, res)
    summary = {
        "networks": len(net["loss"]),
        "loss_range": [float(net["loss"].min()), float(net["loss"].max())],
        "final_val_mse": {k: [float(np.mean(v)), float(np.std(v, ddof=1))]
                          for k, v in res["final"].items()},
        "spearman": {k: [float(np.mean(v)), float(np.std(v, ddof=1))]
                     for k, v in res["spearman"].items()},
        "baseline_val_mse": [float(np.mean(res["baseline"])), float(np.std(res["baseline"]))],
        "exponents_better_in_splits": int(sum(
            a < b for a, b in zip(res["final"]["exponents"], res["final"]["eigenvalues"],
                                  strict=True))),
        "splits": args.splits, "epochs": args.epochs, "lr": args.lr, "figures": figs,
    }  # fmt: skip
    (res_dir / "prednet.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        "# PredNet: eigenvalues vs Lyapunov exponents (Vogt, dissertation, Sec. 3.1-3.2)",
        "",
        f"{summary['networks']} antisymmetric RNNs, final validation loss "
        f"{summary['loss_range'][0]:.3f}–{summary['loss_range'][1]:.3f}; {args.splits} random "
        f"80/20 splits; PredNet Adam lr {args.lr}, {args.epochs} epochs.",
        "",
        "| input | hidden | validation MSE (final epoch) | Spearman ρ (pred vs true) |",
        "|---|---|---|---|",
    ]
    for k in res["final"]:
        hidden = 50 if "40" in k else 10
        lines.append(f"| {k} | {hidden} | {_ms(res['final'][k])} | {_ms(res['spearman'][k])} |")
    lines += [
        f"| predict the training mean | — | {_ms(res['baseline'])} | — |",
        "",
        f"Exponents beat eigenvalues in {summary['exponents_better_in_splits']} of "
        f"{args.splits} splits.",
        "",
        "Figures: " + ", ".join(f"`{f}`" for f in figs),
        "",
    ]
    (res_dir / "prednet.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
