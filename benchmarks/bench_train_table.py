"""The comparison table: nine recurrent classifiers at matched parameter counts on four tasks.

Every model of ``MODELS`` below is built by ``neurodyn.train.build_model(name, ..., params=P)``
(the width whose trainable-parameter count is closest to P, as Kozachkov et al. 2022, Table 1
and Erichson et al. 2021, Table 1 match parameters) and trained by ``neurodyn.train.run`` on
each task of ``neurodyn.data.TASKS`` below, for ``--seeds`` seeds (the seed splits the data,
initialises the model and shuffles the batches). One optimizer for all: Adam, lr 1e-2, batch 64,
no schedule, gradient clipping at global norm 1.0 — a single setting, not tuned per model. In a
6-epoch check on digits-permuted (seed 0, P = 3000, no clipping) lr 1e-2 beat 3e-3 for nn.LSTM,
nn.GRU, coRNN, LEM and both Sparse Combo Nets (e.g. LSTM 39 % vs 31 %, LEM 50 % vs 31 %) and
lost only for nn.RNN (22 % vs 55 %, gradient norms up to 8: the clipping at 1.0 is for it); the
published learning rates of coRNN, LEM and the Lipschitz RNN (~2e-3–6e-3) are for hundreds of
epochs, not ten.

Step sizes (``MODEL_OPTIONS``): the cells' defaults are the papers' settings for T = 784
(pixel MNIST): ε = 0.01 for the antisymmetric RNN (Chang et al. 2019), Δt = 0.01 for the
Lipschitz RNN (Erichson et al. 2021). Over the T = 28–64 steps of these tasks that integrates
only 0.3–0.6 time units and both stay at chance (10 %, 13 % after 6 epochs), so the table uses
ε = Δt = 0.1 (48 %, 53 %; ε = 1 gave 40 %, Δt = 0.5 gave 23 %). coRNN keeps its default
Δt = 0.042 (Rusch & Mishra 2021; Δt = 0.1 was no better, 23 % vs 20 %), LEM its Δt = 1.

Per cell (model × task) the table gives the test accuracy (mean ± sd over seeds, of the model
after the last epoch), the parameter count, the median seconds per training epoch (over all
epochs of all seeds; training only, one thread), the contraction certificate after the last
epoch (how many seeds hold one and its kind — "proof", "sampled" or "heuristic" — from the
trainer's certificate monitor, ``neurodyn.contraction.certify``; "—" where certify does not
apply: nn.LSTM/GRU/RNN, antisymmetric RNN, coRNN, LEM) and the largest Lyapunov exponent after
the last epoch (the trainer's LE monitor: ``lyapunov_spectrum`` of the recurrent body driven by
32 validation sequences, k = 8, nats per step; Vogt, dissertation, Alg. 2). The certificate and
LE monitors run at epoch 0, every ``--monitor-every`` epochs and at the last epoch.

Writes into ``--out DIR``:

* ``runs/<task>__<model>__P<params>__E<epochs>__lr<lr>__s<seed>.json`` — one file per finished
  run (history rows, test accuracy, provenance), written atomically; a run whose file exists is
  skipped, so an interrupted table resumes where it stopped (at most one run is lost). A run
  that diverges (non-finite loss) is recorded as such and not retried.
* ``results.json`` — every run of the current options and the per-cell summary;
* ``table.md`` — one row per model, a column group per task;
* ``table.png`` — test accuracy per model per task (sd error bars) and max LE vs accuracy.

Usage (from the repository root):

    PYTHONPATH=src python benchmarks/bench_train_table.py --out /tmp/table          # full
    PYTHONPATH=src python benchmarks/bench_train_table.py --out /tmp/t --smoke      # < 2 min
    PYTHONPATH=src python benchmarks/bench_train_table.py --out /tmp/table --table-only

Expected wall time of the default run (9 models × 4 tasks × 3 seeds = 108 runs, P = 3000,
10 epochs, one thread, sequential): measured ~1.1 s per epoch on average over the models
(0.3–2.4 s; LEM, coRNN and nn.GRU slowest; mnist1d the slowest task), ~13 s per run with
evaluation, data loading and the monitors, so about 25 minutes (≤ 30) on one core of the
2-core development machine; more when other jobs share the cores. ``--workers 2`` runs two
at a time on a local process pool (one thread each).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

#: (name in neurodyn.train.MODELS, label in the table)
MODELS = [
    ("lstm", "nn.LSTM"),
    ("gru", "nn.GRU"),
    ("rnn", "nn.RNN (tanh)"),
    ("antisymmetric", "antisymmetric RNN"),
    ("cornn", "coRNN"),
    ("lem", "LEM"),
    ("lipschitz", "Lipschitz RNN"),
    ("scn", "Sparse Combo Net"),
    ("scn-svd", "Sparse Combo Net (SVD)"),
]
TASKS = ["digits-permuted", "digits", "mnist1d", "mnist5k-rows"]
SMOKE_TASKS = ["digits", "mnist5k-rows"]
#: the one optimizer setting every model trains with (see the module docstring)
FIT = {"lr": 1e-2, "batch_size": 64, "optimizer": "adam", "clip": 1.0}
LE = {"lyapunov_k": 8, "lyapunov_sequences": 32}
#: step sizes for T = 28-64 sequences instead of the cells' T = 784 defaults (module docstring)
MODEL_OPTIONS = {"antisymmetric": {"eps": 0.1}, "lipschitz": {"dt": 0.1}}


# ---------------------------------------------------------------------- one run


def _key(task: str, model: str, params: int, epochs: int, lr: float, seed: int) -> str:
    return f"{task}__{model}__P{params}__E{epochs}__lr{lr:g}__s{seed}"


def _fin(v):
    """A float, or None where it is missing or not finite (results.json is strict JSON)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def train_one(job: dict) -> dict:
    """Train one (task, model, seed) and write its JSON file; returns the record.

    ``job``: task, model, seed, params, epochs, lr, monitor_every, path (the JSON to write).
    """
    import torch

    torch.set_num_threads(1)
    from neurodyn._core._files import atomic_write
    from neurodyn.errors import DivergenceError
    from neurodyn.train import run

    fit = {**FIT, "lr": job["lr"]}
    every = job["monitor_every"]
    monitors = {"certificate_every": every, "spectra_every": every, "lyapunov_every": every, **LE}
    rec = {k: job[k] for k in ("task", "model", "seed", "params", "epochs", "lr")}
    model_options = MODEL_OPTIONS.get(job["model"], {})
    rec.update(fit=fit, monitors=monitors, model_options=model_options)
    t0 = time.perf_counter()
    try:
        res = run(job["model"], job["task"], params=job["params"], epochs=job["epochs"],
                  seed=job["seed"], model_options=model_options, monitors=monitors, progress=False,
                  **fit)  # fmt: skip
    except DivergenceError as err:
        rec.update(status="diverged", error=" ".join(str(err).split()))
    else:
        hist = res.history
        last = hist[-1]
        first = hist[0]
        rec.update(
            status=res.stopped,
            parameters=res.provenance["model"]["parameters"],
            hidden_size=res.provenance["model"].get("hidden_size"),
            test_acc=res.test["accuracy"],
            test_loss=_fin(res.test["loss"]),
            best_val_acc=res.best_val_acc,
            best_epoch=res.best_epoch,
            epoch_seconds=[row["seconds"] for row in hist[1:]],
            cert_applicable=last.get("cert_applicable"),
            cert_holds=last.get("cert_holds"),
            cert_kind=last.get("cert_kind"),
            cert_name=last.get("cert_name"),
            cert_margin=_fin(last.get("cert_margin")),
            cert_holds_init=first.get("cert_holds"),
            le_max=_fin(last.get("le_max")),
            le_max_init=_fin(first.get("le_max")),
            le_error=last.get("le_error"),
            history=res.to_dict()["history"],
        )
    rec["wall_seconds"] = time.perf_counter() - t0
    text = json.dumps(rec, indent=1, default=str, allow_nan=False)
    atomic_write(Path(job["path"]), lambda p: Path(p).write_text(text))
    return rec


# ---------------------------------------------------------------------- summary


def _mean_sd(vals: list[float]) -> tuple[float | None, float | None]:
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, None
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)


def summarize(records: list[dict]) -> dict:
    """(model, task) -> the cell: accuracy mean/sd, parameters, s/epoch, certificate, LE."""
    cells: dict = {}
    for r in records:
        cells.setdefault((r["model"], r["task"]), []).append(r)
    out = {}
    for (model, task), rs in cells.items():
        ok = [r for r in rs if r["status"] != "diverged"]
        acc_m, acc_sd = _mean_sd([r["test_acc"] for r in ok])
        le_m, le_sd = _mean_sd([r["le_max"] for r in ok])
        secs = [s for r in ok for s in r["epoch_seconds"]]
        applicable = [r for r in ok if r.get("cert_applicable")]
        kinds = Counter(r["cert_kind"] for r in applicable if r["cert_holds"])
        names = Counter(r["cert_name"] for r in applicable)
        out[f"{model}|{task}"] = {
            "model": model,
            "task": task,
            "runs": len(rs),
            "diverged": len(rs) - len(ok),
            "seeds": sorted(r["seed"] for r in rs),
            "acc_mean": acc_m,
            "acc_sd": acc_sd,
            "parameters": sorted({r["parameters"] for r in ok}),
            "hidden_size": sorted({r["hidden_size"] for r in ok if r["hidden_size"]}),
            "sec_per_epoch_median": statistics.median(secs) if secs else None,
            "cert_applicable": bool(applicable),
            "cert_holds": sum(bool(r["cert_holds"]) for r in applicable),
            "cert_kind": kinds.most_common(1)[0][0] if kinds else None,
            "cert_names": dict(names),
            "le_max_mean": le_m,
            "le_max_sd": le_sd,
            "le_max_init_mean": _mean_sd([r["le_max_init"] for r in ok])[0],
        }
    return out


def _cell_text(c: dict | None) -> list[str]:
    if c is None:
        return ["", "", "", "", ""]
    if c["acc_mean"] is None:
        return [f"diverged {c['diverged']}/{c['runs']}", "", "", "", ""]
    one = c["runs"] - c["diverged"] == 1  # no sd from one seed
    acc = f"{100 * c['acc_mean']:.1f}" + ("" if one else f" ± {100 * c['acc_sd']:.1f}")
    if c["diverged"]:
        acc += f" ({c['diverged']} div.)"
    params = "/".join(str(p) for p in c["parameters"])
    sec = f"{c['sec_per_epoch_median']:.2f}"
    n = c["runs"] - c["diverged"]
    if not c["cert_applicable"]:
        cert = "—"
    elif c["cert_holds"]:
        cert = f"✓ {c['cert_holds']}/{n} {c['cert_kind']}"
    else:
        cert = f"✗ 0/{n}"
    le = "" if c["le_max_mean"] is None else f"{c['le_max_mean']:+.3f}"
    if le and not one:
        le += f" ± {c['le_max_sd']:.3f}"
    return [acc, params, sec, cert, le]


def write_table(cells: dict, models: list[str], tasks: list[str], opts: dict, path: Path):
    labels = dict(MODELS)
    head = ["model"]
    for t in tasks:
        head += [f"{t}: acc %", f"{t}: params", f"{t}: s/epoch", f"{t}: cert", f"{t}: λ₁"]
    lines = [
        "# Recurrent classifiers at matched parameter counts",
        "",
        f"Target parameters {opts['params']}, {opts['epochs']} epochs, seeds "
        f"{opts['seeds']}; Adam lr {opts['lr']:g}, batch {FIT['batch_size']}, clip "
        f"{FIT['clip']:g} for every model. Test accuracy after the last epoch (mean ± sd "
        "over seeds, %); trainable parameters; median seconds per training epoch (one "
        "thread); contraction certificate after the last epoch (seeds holding / kind; — = "
        "certify does not apply); λ₁ = largest Lyapunov exponent after the last epoch (nats "
        "per step, 32 validation sequences, mean ± sd). Step sizes: antisymmetric RNN ε = "
        f"{MODEL_OPTIONS['antisymmetric']['eps']:g}, Lipschitz RNN Δt = "
        f"{MODEL_OPTIONS['lipschitz']['dt']:g} (the cells' defaults are for T = 784).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for m in models:
        row = [labels.get(m, m)]
        for t in tasks:
            row += _cell_text(cells.get(f"{m}|{t}"))
        lines.append("| " + " | ".join(row) + " |")
    names = sorted({n for c in cells.values() for n in c["cert_names"]})
    if names:
        lines += ["", "Certificates reported (best holding, else closest proof): "
                  + "; ".join(names) + "."]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


def write_figure(cells: dict, models: list[str], tasks: list[str], opts: dict, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = dict(MODELS)
    fig, (ax, bx) = plt.subplots(
        1, 2, figsize=(15, 5.6), gridspec_kw={"width_ratios": [1.7, 1]}, layout="constrained"
    )
    width = 0.8 / max(1, len(tasks))
    tcolors = plt.get_cmap("Set2")(np.arange(len(tasks)) % 8)  # tab10 is the models' in (b)
    x = np.arange(len(models))
    for j, t in enumerate(tasks):
        cs = [cells.get(f"{m}|{t}") for m in models]
        mean = [100 * c["acc_mean"] if c and c["acc_mean"] is not None else np.nan for c in cs]
        sd = [100 * c["acc_sd"] if c and c["acc_sd"] is not None else 0.0 for c in cs]
        ax.bar(x + (j - (len(tasks) - 1) / 2) * width, mean, width, yerr=sd, capsize=2,
               color=tcolors[j], label=t, error_kw={"lw": 0.8})  # fmt: skip
    ax.set_xticks(x, [labels.get(m, m) for m in models], rotation=30, ha="right")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 112)  # headroom for the legend above the 100 % line
    ax.set_yticks(range(0, 101, 20))
    ax.axhline(10, color="0.5", lw=0.8, ls=":")
    ax.text(-0.5, 10.5, " chance", color="0.4", ha="left", va="bottom", fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(title="task", fontsize=8, ncols=min(4, len(tasks)), loc="upper center")
    ax.set_title(
        f"Test accuracy, mean ± sd over seeds ({opts['params']} parameters, "
        f"{opts['epochs']} epochs)"
    )

    mcolors = plt.get_cmap("tab10")(np.arange(len(models)) % 10)
    markers = ["o", "s", "^", "D", "v", "P"]
    for i, m in enumerate(models):
        for j, t in enumerate(tasks):
            c = cells.get(f"{m}|{t}")
            if not c or c["acc_mean"] is None or c["le_max_mean"] is None:
                continue
            bx.errorbar(c["le_max_mean"], 100 * c["acc_mean"], xerr=c["le_max_sd"],
                        yerr=100 * c["acc_sd"], fmt=markers[j % len(markers)], ms=6,
                        color=mcolors[i], mec="k", mew=0.4, elinewidth=0.7, capsize=0)  # fmt: skip
    bx.axvline(0, color="0.5", lw=0.8, ls=":")
    bx.set_xlabel("λ₁ after training (nats per step)")
    bx.set_ylabel("test accuracy (%)")
    bx.set_title("Largest Lyapunov exponent vs accuracy")
    bx.grid(alpha=0.3)
    from matplotlib.lines import Line2D

    h_models = [Line2D([], [], ls="", marker="o", color=mcolors[i], mec="k", mew=0.4,
                       label=labels.get(m, m)) for i, m in enumerate(models)]  # fmt: skip
    h_tasks = [Line2D([], [], ls="", marker=markers[j % len(markers)], color="0.6", mec="k",
                      mew=0.4, label=t) for j, t in enumerate(tasks)]  # fmt: skip
    leg = bx.legend(handles=h_models, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1),
                    title="model")  # fmt: skip
    bx.add_artist(leg)
    bx.legend(handles=h_tasks, fontsize=7, loc="lower left", bbox_to_anchor=(1.01, 0), title="task")
    fig.savefig(path, dpi=130)
    plt.close(fig)


# ---------------------------------------------------------------------- main


def _names(text: str, known: list[str], what: str) -> list[str]:
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in chosen if s not in known]
    if bad or not chosen:
        raise SystemExit(f"unknown {what} {bad or text!r}; choose from {', '.join(known)}.")
    return chosen


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="output folder (resumable)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--params", type=int, default=3000, help="target trainable parameters")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0 .. N-1")
    ap.add_argument("--tasks", default=None, help=f"default {','.join(TASKS)}")
    ap.add_argument("--models", default=",".join(m for m, _ in MODELS))
    ap.add_argument("--lr", type=float, default=FIT["lr"])
    ap.add_argument("--monitor-every", type=int, default=5, help="epochs between LE/cert checks")
    ap.add_argument("--workers", type=int, default=1, help="1: this process; 2+: a local pool")
    ap.add_argument("--smoke", action="store_true", help="1 seed, 1 epoch, 2 tasks by default")
    ap.add_argument("--table-only", action="store_true", help="rewrite the outputs, train nothing")
    a = ap.parse_args(argv)
    if a.smoke:
        a.seeds, a.epochs, a.tasks = 1, 1, a.tasks or ",".join(SMOKE_TASKS)
    a.tasks = a.tasks or ",".join(TASKS)
    if a.epochs < 1 or a.seeds < 1 or a.params < 10 or a.workers < 1 or a.monitor_every < 1:
        raise SystemExit("--epochs, --seeds, --workers, --monitor-every ≥ 1 and --params ≥ 10.")

    from neurodyn.data import TASKS as ALL_TASKS
    from neurodyn.train import MODELS as ALL_MODELS

    models = _names(a.models, [m for m in ALL_MODELS if m in dict(MODELS)], "model")
    tasks = _names(a.tasks, list(ALL_TASKS), "task")
    runs_dir = a.out / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    for task in tasks:  # task-major: a finished task's columns fill in first
        for seed in range(a.seeds):
            for model in models:
                key = _key(task, model, a.params, a.epochs, a.lr, seed)
                jobs.append({"task": task, "model": model, "seed": seed, "params": a.params,
                             "epochs": a.epochs, "lr": a.lr, "monitor_every": a.monitor_every,
                             "path": str(runs_dir / f"{key}.json")})  # fmt: skip
    todo = [] if a.table_only else [j for j in jobs if not Path(j["path"]).exists()]
    print(f"{len(jobs)} runs, {len(jobs) - len(todo)} already done, {len(todo)} to train "
          f"({a.workers} worker(s)) -> {a.out}", flush=True)  # fmt: skip

    t_start = time.perf_counter()

    def report(i: int, rec: dict) -> None:
        el = time.perf_counter() - t_start
        eta = el / i * (len(todo) - i)
        if rec["status"] == "diverged":
            what = f"DIVERGED: {rec['error'][:120]}"
        else:
            cert = ("—" if not rec["cert_applicable"]
                    else f"{'✓' if rec['cert_holds'] else '✗'} {rec['cert_kind']}")  # fmt: skip
            le = "nan" if rec["le_max"] is None else f"{rec['le_max']:+.3f}"
            sec = statistics.median(rec["epoch_seconds"])
            what = (f"P={rec['parameters']} acc={rec['test_acc']:.3f} s/ep={sec:.2f} "
                    f"cert={cert} λ₁={le}")  # fmt: skip
        print(f"[{i}/{len(todo)}] {rec['task']} {rec['model']} s{rec['seed']}: {what} "
              f"({rec['wall_seconds']:.1f} s; elapsed {el / 60:.1f} min, eta {eta / 60:.1f} min)",
              flush=True)  # fmt: skip

    if todo and a.workers == 1:
        for i, job in enumerate(todo, 1):
            report(i, train_one(job))
    elif todo:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(a.workers, mp_context=mp.get_context("spawn")) as pool:
            futs = [pool.submit(train_one, j) for j in todo]
            for i, f in enumerate(as_completed(futs), 1):
                report(i, f.result())

    records = []
    for j in jobs:
        p = Path(j["path"])
        if p.exists():
            records.append(json.loads(p.read_text()))
    cells = summarize(records)
    opts = {"params": a.params, "epochs": a.epochs, "seeds": list(range(a.seeds)), "lr": a.lr,
            "monitor_every": a.monitor_every, "tasks": tasks, "models": models,
            "fit": {**FIT, "lr": a.lr}, "lyapunov": LE, "model_options": MODEL_OPTIONS}  # fmt: skip
    import platform

    import torch

    meta = {"machine": platform.platform(), "processor": platform.processor(),
            "python": sys.version.split()[0], "torch": torch.__version__,
            "cpu_count": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "missing_runs": len(jobs) - len(records)}  # fmt: skip
    blob = {"options": opts, "meta": meta, "cells": cells, "runs": records}
    (a.out / "results.json").write_text(json.dumps(blob, indent=1, allow_nan=False, default=str))
    write_table(cells, models, tasks, opts, a.out / "table.md")
    write_figure(cells, models, tasks, opts, a.out / "table.png")
    print((a.out / "table.md").read_text())
    print(f"wrote {a.out / 'results.json'}, table.md, table.png "
          f"({len(records)}/{len(jobs)} runs)")  # fmt: skip


if __name__ == "__main__":
    main()
