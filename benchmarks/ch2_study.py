"""Ch. 2 study: does the maximum / mean Lyapunov exponent of trained LSTMs order their
validation loss? (Vogt, dissertation, §2.6, Figs. 2.7-2.8.)

The dissertation's two tasks are not offline (CharRNN on *War and Peace*, CMU motion capture),
so this runs the question on the two substitutes in ``neurodyn.data`` (docs/data.md):

* ``pydoc-chars`` — next-character prediction on the Python documentation that ships with the
  interpreter (cross-entropy per character), standing in for CharRNN;
* ``lorenz96`` — next-step prediction of an 8-channel Lorenz-96 ring (MSE per step), standing
  in for the 20-channel motion-capture signal task.

Per task, single-layer ``nn.LSTM`` networks over a grid of hidden size × learning rate ×
initialisation scale p (recurrent weights from U[−p, p], the dissertation's initialisation
parameter) × seeds are trained with ``neurodyn.train.run`` (Adam, cosine schedule, clip 1; the
recipe is printed in the results). As in the dissertation (§2.6, CharRNN) the epoch with the
lowest validation loss is kept. Of each kept network: its validation loss, and the Lyapunov
spectrum of its recurrent body driven by 32 validation sequences of 200 steps (50 warm-up,
``neurodyn.lyapunov_spectrum``), both of the exact (h, c) map (2H exponents) and of the
dissertation's h-only map (H exponents, ``as_map(lstm, lstm_state="h")``). Then the Spearman
rank correlation (``scipy.stats.spearmanr``) of the max and mean exponent with the validation
loss, per task, and a figure like Fig. 2.7 (spectra; loss against max and mean exponent).

The grid runs through ``neurodyn.sweep`` (job ``ch2_study:ch2_job``) into a resumable store:
a rerun skips finished networks, ``--analysis-only`` only reads the store::

    python benchmarks/ch2_study.py --out runs/ch2 [--quick] [--analysis-only]

Writes into ``--out``: the store, and ``_analysis/`` with ``ch2.json``, ``ch2.md`` (tables)
and ``ch2_exponents_vs_loss.png``.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANALYSIS = "_analysis"
JOB = "ch2_study:ch2_job"

#: the study: per task, the fixed options and the grid (hidden × lr × init_scale); seeds
STUDY = {
    "seeds": [0, 1],
    "spectrum": {"sequences": 32, "length": 200, "warmup": 50},
    # max / mean exponent during training (Fig. 2.8): at these epochs, on the first 8 sequences
    "during": {"epochs": [0, 1, 2, 5, 10, 20, 40, 60], "sequences": 8},
    "tasks": {
        "pydoc-chars": {
            "task_options": {"length": 25, "max_chars": 100000},
            "epochs": 40,
            "batch_size": 32,
            "grid": {"hidden_size": [16, 32, 64], "lr": [0.003, 0.01],
                     "init_scale": [0.1, 0.5, 2.0]},
        },
        "lorenz96": {
            "task_options": {"length": 50, "num_samples": 1000},
            "epochs": 60,
            "batch_size": 32,
            "grid": {"hidden_size": [16, 32, 64], "lr": [0.003, 0.01],
                     "init_scale": [0.1, 0.5, 2.0]},
        },
    },
}  # fmt: skip

#: --quick: the whole pipeline in well under a minute
QUICK = {
    "seeds": [0],
    "spectrum": {"sequences": 8, "length": 60, "warmup": 10},
    "during": {"epochs": [0, 2, 4], "sequences": 4},
    "tasks": {
        "pydoc-chars": {
            "task_options": {"length": 30, "max_chars": 15000},
            "epochs": 3,
            "batch_size": 32,
            "grid": {"hidden_size": [8, 16], "lr": [0.01], "init_scale": [0.1, 1.0]},
        },
        "lorenz96": {
            "task_options": {"length": 30, "num_samples": 150},
            "epochs": 4,
            "batch_size": 32,
            "grid": {"hidden_size": [8, 16], "lr": [0.01], "init_scale": [0.1, 1.0]},
        },
    },
}


def _flat(history: list[float], tail: float = 0.2) -> float:
    """Relative drop of the training loss over the last ``tail`` of the epochs: (L[-k-1] −
    L[-1]) / |L[-1]| (≈ 0: flattened)."""
    k = max(1, round(tail * (len(history) - 1)))
    return (history[-k - 1] - history[-1]) / max(abs(history[-1]), 1e-12)


def ch2_job(config: dict) -> list[dict]:
    """Train one LSTM (``neurodyn.train.run``), keep the lowest-validation-loss epoch, measure
    its Lyapunov spectra on validation sequences; one row."""
    import torch

    from neurodyn.data import load
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.systems import as_map
    from neurodyn.train import evaluate, run

    t0 = time.perf_counter()
    cfg = dict(config)
    spec = dict(cfg.pop("spectrum"))
    during = dict(cfg.pop("during"))
    task, topts = cfg["task"], dict(cfg.get("task_options") or {})
    best = {"loss": math.inf, "state": None, "epoch": None}
    # the spectrum: longer validation sequences of the same task (the same validation block of
    # the text / the same validation trajectories, run longer)
    sopts = {**topts, "length": int(spec["length"])}
    xs = load(task, "val", seed=int(cfg["seed"]), **sopts).x[: int(spec["sequences"])]
    trace: list[dict] = []

    def keep_best(epoch, model, row):
        v = row.get("val_loss")
        if v is not None and math.isfinite(v) and v < best["loss"]:
            best.update(loss=float(v), epoch=int(epoch),
                        state=copy.deepcopy(model.state_dict()))  # fmt: skip
        if epoch in during["epochs"] and v is not None:
            was = model.training
            model.eval()
            with torch.no_grad():
                r = lyapunov_spectrum(model.body, xs[: int(during["sequences"])],
                                      warmup=int(spec["warmup"]), batch_first=True)  # fmt: skip
            model.train(was)
            ex = r.exponents.reshape(-1)
            trace.append({"epoch": int(epoch), "val_loss": float(v), "max": float(ex.max()),
                          "mean": float(ex.mean())})  # fmt: skip
        return None

    res = run(
        "lstm",
        task,
        epochs=int(cfg["epochs"]),
        seed=int(cfg["seed"]),
        hidden_size=int(cfg["hidden_size"]),
        init_scale=float(cfg["init_scale"]),
        task_options=topts,
        lr=float(cfg["lr"]),
        batch_size=int(cfg["batch_size"]),
        patience=None,  # the whole schedule; the lowest-val-loss epoch is kept (keep_best)
        monitors=None,
        progress=False,
        callbacks=(keep_best,),
    )
    model = res.model
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    model.eval()
    val = load(task, "val", seed=int(cfg["seed"]), **topts)
    val_eval = evaluate(model, val)
    with torch.no_grad():
        full = lyapunov_spectrum(model.body, xs, warmup=int(spec["warmup"]), batch_first=True)
        honly = lyapunov_spectrum(as_map(model.body, lstm_state="h"), xs,
                                  warmup=int(spec["warmup"]))  # fmt: skip
    ex = [float(v) for v in full.exponents.reshape(-1)]
    eh = [float(v) for v in honly.exponents.reshape(-1)]
    train_hist = [float(r["train_loss"]) for r in res.history if r.get("train_loss") is not None]
    val_hist = [float(r["val_loss"]) for r in res.history if r.get("val_loss") is not None]
    finite = all(math.isfinite(v) for v in ex + eh + [val_eval["loss"]])
    return [
        {
            "val_loss": float(val_eval["loss"]),
            "val_metric": float(next(v for k, v in val_eval.items() if k != "loss")),
            "best_epoch": best["epoch"],
            "epochs_run": len(train_hist),
            "train_loss_final": train_hist[-1] if train_hist else None,
            "train_loss_flat": _flat(train_hist) if len(train_hist) > 2 else None,
            "train_losses": train_hist,
            "val_losses": val_hist,
            "exponents": sorted(ex, reverse=True),
            "exponents_h": sorted(eh, reverse=True),
            "lambda_max": max(ex),
            "lambda_mean": sum(ex) / len(ex),
            "lambda_max_h": max(eh),
            "lambda_mean_h": sum(eh) / len(eh),
            "finite": finite,
            "trace": json.dumps(trace),
            "recipe": json.dumps((res.provenance or {}).get("recipe"), default=str),
            "job_wall_s": time.perf_counter() - t0,
        }
    ]


def sweep_config(study: dict) -> dict:
    """The study as ONE neurodyn sweep: grid key ``variant`` lists every (task, grid point)."""
    variants = []
    for task, t in study["tasks"].items():
        g = t["grid"]
        for h in g["hidden_size"]:
            for lr in g["lr"]:
                for p in g["init_scale"]:
                    variants.append({"task": task, "task_options": t["task_options"],
                                     "epochs": t["epochs"], "batch_size": t["batch_size"],
                                     "hidden_size": h, "lr": lr, "init_scale": p})  # fmt: skip
    return {"job": "ch2_study:variant_job", "spectrum": study["spectrum"],
            "during": study["during"],
            "seeds": study["seeds"], "grid": {"variant": variants}}  # fmt: skip


def variant_job(config: dict) -> list[dict]:
    """:func:`ch2_job` on the config with its ``variant`` merged in (and spread into columns)."""
    cfg = dict(config)
    variant = dict(cfg.pop("variant"))
    rows = ch2_job({**cfg, **variant})
    flat = {k: v for k, v in variant.items() if k != "task_options"}
    return [{**row, **flat} for row in rows]


# -- analysis ----------------------------------------------------------------------------------

#: a training loss counts as flattened when it fell by less than this fraction over the last
#: 20 % of the epochs
FLAT = 0.02
STATS = (("lambda_max", "max λ, (h, c) map"), ("lambda_mean", "mean λ, (h, c) map"),
         ("lambda_max_h", "max λ, h only"), ("lambda_mean_h", "mean λ, h only"))  # fmt: skip


def _spearman(spearmanr, a, b) -> dict:
    if len(a) < 3:
        return {"rho": float("nan"), "p": float("nan"), "n": len(a)}
    r = spearmanr(a.astype(float), b.astype(float))
    return {"rho": float(r.statistic), "p": float(r.pvalue), "n": len(a)}


def _r(x: float, fmt: str = "+.2f") -> str:
    """A ρ or p for the tables: "—" where it is undefined (fewer than 3 models, or a constant
    column), not "nan"."""
    return "—" if math.isnan(x) else format(x, fmt)


def analyse(out: Path, study: dict) -> dict:
    """Spearman ρ of each exponent statistic with the validation loss, per task; tables and
    the figure into ``out/_analysis``."""
    from scipy.stats import spearmanr

    from neurodyn import sweep

    df = sweep.read(out, spectrum_length=None)
    df = df[df["status"] == "ok"] if "status" in df else df
    res: dict = {"tasks": {}}
    dest = out / ANALYSIS
    dest.mkdir(exist_ok=True)
    for task in study["tasks"]:
        d = df[(df["task"] == task) & df["finite"].astype(bool)]
        flat = d["train_loss_flat"].astype(float)
        entry = {"n": len(d), "n_flat": int((flat.abs() < FLAT).sum()),
                 "max_train_loss_drop_last_20pct": float(flat.max()) if len(d) else None,
                 "val_loss_range": [float(d["val_loss"].min()), float(d["val_loss"].max())]
                 if len(d) else None, "stats": {}}  # fmt: skip
        subsets = [("all", d), ("flat", d[flat.abs() < FLAT])]
        # within one hidden size (the exponent count 2H and the capacity fixed), and within one
        # (H, lr): the dissertation's MoCap design, only the initialisation p varied
        subsets += [(f"H={h}", g) for h, g in d.groupby("hidden_size")]
        for key, _ in STATS:
            for subset, dd in subsets:
                entry["stats"][f"{key}/{subset}"] = _spearman(spearmanr, dd[key], dd["val_loss"])
        by_hl = [_spearman(spearmanr, g["lambda_max"], g["val_loss"])["rho"]
                 for _, g in d.groupby(["hidden_size", "lr"])]  # fmt: skip
        by_hl_mean = [_spearman(spearmanr, g["lambda_mean"], g["val_loss"])["rho"]
                      for _, g in d.groupby(["hidden_size", "lr"])]  # fmt: skip
        entry["within_H_lr"] = {"groups": len(by_hl), "rho_max": by_hl, "rho_mean": by_hl_mean}
        res["tasks"][task] = entry
    res["wall_s_jobs"] = float(df["job_wall_s"].sum()) if len(df) else 0.0
    (dest / "ch2.json").write_text(json.dumps(res, indent=2) + "\n")
    lines = ["| task | statistic | n | Spearman ρ (vs val. loss) | p | ρ, only models whose "
             f"train loss fell < {FLAT:.0%} over the last 20 % of epochs (n) |",
             "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for task, e in res["tasks"].items():
        for key, label in STATS:
            a, f = e["stats"][f"{key}/all"], e["stats"][f"{key}/flat"]
            lines.append(f"| {task} | {label} | {a['n']} | {_r(a['rho'])} | {_r(a['p'], '.2g')} | "
                         f"{_r(f['rho'])} ({f['n']}) |")  # fmt: skip
    lines += [
        "",
        "Within one hidden size (Spearman ρ with val. loss, (h, c) map):",
        "",
        "| task | H | n | ρ max λ (p) | ρ mean λ (p) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for task, e in res["tasks"].items():
        for k in sorted((k for k in e["stats"] if k.startswith("lambda_max/H=")),
                        key=lambda k: int(k.split("=")[1])):  # fmt: skip
            h = k.split("=")[1]
            a, m = e["stats"][k], e["stats"][f"lambda_mean/H={h}"]
            lines.append(f"| {task} | {h} | {a['n']} | {_r(a['rho'])} ({_r(a['p'], '.2g')}) | "
                         f"{_r(m['rho'])} ({_r(m['p'], '.2g')}) |")  # fmt: skip
    lines += ["", "Within one (H, lr), only p and the seed varied (ρ per group, (h, c) map):", ""]
    for task, e in res["tasks"].items():
        w = e["within_H_lr"]
        lines.append(
            f"* {task}: max λ {', '.join(_r(r) for r in w['rho_max'])}; "
            f"mean λ {', '.join(_r(r) for r in w['rho_mean'])}"
        )
    lines += ["", "— : ρ undefined (fewer than 3 models, or a constant column)."]
    (dest / "ch2.md").write_text("\n".join(lines) + "\n")
    _figure(df, study, res, dest / "ch2_exponents_vs_loss.png")
    _figure_training(df, study, dest / "ch2_during_training.png")
    print("\n".join(lines))
    return res


def _figure(df, study, res, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    tasks = list(study["tasks"])
    fig, axes = plt.subplots(len(tasks), 3, figsize=(15, 4.4 * len(tasks)), squeeze=False)
    units = {"pydoc-chars": "val. loss (nats / char)", "lorenz96": "val. loss (MSE / step)"}
    markers = {8: "v", 16: "o", 32: "s", 64: "^"}
    for row, task in zip(axes, tasks, strict=True):
        d = df[(df["task"] == task) & df["finite"].astype(bool)]
        if not len(d):
            continue
        loss = d["val_loss"].astype(float).to_numpy()
        log = task == "lorenz96"  # MSE spans decades
        norm = (matplotlib.colors.LogNorm if log else matplotlib.colors.Normalize)(
            loss.min(), loss.max()
        )
        cmap = matplotlib.colormaps["viridis"]
        for ex, v in zip(d["exponents"], loss, strict=True):
            ex = np.asarray(ex, float)
            row[0].plot(np.arange(1, len(ex) + 1) / len(ex), ex, color=cmap(norm(v)), lw=0.8,
                        alpha=0.8)  # fmt: skip
        row[0].set(xlabel="exponent index / 2H", ylabel="λ (nats / step)",
                   title=f"{task}: spectra, (h, c) map")  # fmt: skip
        fig.colorbar(matplotlib.cm.ScalarMappable(norm, cmap), ax=row[0], label="val. loss")
        scales = sorted(d["init_scale"].astype(float).unique())
        pcol = {p: matplotlib.colormaps["plasma"](i / max(1, len(scales) - 1) * 0.85)
                for i, p in enumerate(scales)}  # fmt: skip
        for ax, key, label in ((row[1], "lambda_max", "max λ"), (row[2], "lambda_mean", "mean λ")):
            for (h, p), g in d.groupby(["hidden_size", "init_scale"]):
                ax.scatter(g[key].astype(float), g["val_loss"].astype(float),
                           marker=markers.get(int(h), "o"), color=pcol[float(p)], s=36,
                           edgecolor="k", lw=0.4, label=f"H={int(h)}, p={float(p):g}")  # fmt: skip
            st = res["tasks"][task]["stats"][f"{key}/all"]
            ax.set(
                xlabel=f"{label} (nats / step), (h, c) map",
                ylabel=units.get(task, "val. loss"),
                title=f"{task}: val. loss vs {label}",
            )
            ax.text(0.03, 0.97, f"Spearman ρ = {st['rho']:+.2f}\np = {st['p']:.1g}, n = {st['n']}",
                    transform=ax.transAxes, va="top", fontsize=9,
                    bbox={"fc": "white", "ec": "0.7", "alpha": 0.9})  # fmt: skip
        if task == "lorenz96":  # MSE spans decades
            for ax in row[1:]:
                ax.set_yscale("log")
        row[2].legend(fontsize=7, ncol=2, loc="best")
    fig.suptitle("Trained LSTMs: Lyapunov exponents vs validation loss (after Vogt, "
                 "dissertation, §2.6, Fig. 2.7)")  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _figure_training(df, study, path: Path) -> None:
    """Fig. 2.8's view: validation loss against max / mean exponent during training, one line
    per network, later epochs more opaque."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(study["tasks"])
    fig, axes = plt.subplots(len(tasks), 2, figsize=(11, 4.0 * len(tasks)), squeeze=False)
    for row, task in zip(axes, tasks, strict=True):
        d = df[(df["task"] == task) & df["finite"].astype(bool)]
        scales = sorted(d["init_scale"].astype(float).unique())
        pcol = {p: matplotlib.colormaps["plasma"](i / max(1, len(scales) - 1) * 0.85)
                for i, p in enumerate(scales)}  # fmt: skip
        for ax, key in ((row[0], "max"), (row[1], "mean")):
            for _, r in d.iterrows():
                tr = [t for t in json.loads(r["trace"]) if t["epoch"] > 0]
                if not tr:
                    continue
                c = pcol[float(r["init_scale"])]
                ax.plot([t[key] for t in tr], [t["val_loss"] for t in tr], color=c, lw=0.6,
                        alpha=0.35)  # fmt: skip
                n = len(tr)
                for i, t in enumerate(tr):
                    ax.scatter(t[key], t["val_loss"], color=c, s=12,
                               alpha=0.15 + 0.85 * (i + 1) / n, lw=0)  # fmt: skip
            for p, c in pcol.items():
                ax.plot([], [], color=c, marker="o", label=f"p = {p:g}")
            ax.set(xlabel=f"{key} λ (nats / step), (h, c) map, 8 val. sequences",
                   ylabel="val. loss",
                   title=f"{task}: epochs ≥ 1, opacity grows with epoch")  # fmt: skip
            ax.set_yscale("log" if task == "lorenz96" else "linear")
        row[1].legend(fontsize=8)
    fig.suptitle("During training (after Vogt, dissertation, §2.6, Fig. 2.8)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="runs/ch2")
    ap.add_argument("--quick", action="store_true", help="a < 1 min check of the pipeline")
    ap.add_argument("--analysis-only", action="store_true")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    study = QUICK if args.quick else STUDY
    out = Path(args.out)
    t0 = time.perf_counter()
    if not args.analysis_only:
        from _workers import worker_path  # benchmarks/_workers.py
        from neurodyn import sweep

        worker_path()
        out.mkdir(parents=True, exist_ok=True)
        summary = sweep.run(sweep_config(study), out, backend="sequential", threads=1,
                            progress=False, timeout=3000.0)  # fmt: skip
        print(summary)
    res = analyse(out, study)
    res["wall_s_this_run"] = time.perf_counter() - t0
    (out / ANALYSIS / "ch2.json").write_text(json.dumps(res, indent=2) + "\n")
    print(f"wall {res['wall_s_this_run']:.0f} s; sum of job times {res['wall_s_jobs']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
