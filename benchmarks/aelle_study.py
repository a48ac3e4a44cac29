"""AeLLE study: do Lyapunov spectra predict which recurrent networks train well?

After Vogt, dissertation, Sec. 3.3 (the SMNIST study, Tables 3.1-3.2): many small networks
of several families (``nn.LSTM``, ``nn.GRU``, ``nn.RNN`` and neurodyn's antisymmetric, coRNN,
LEM, Lipschitz, noisy and CT-RNN cells, each over a small grid of learning rate / step size dt /
diffusion) are trained on row-wise sequential digits with ``neurodyn.sweep``, whose
``train_job`` records each network's Lyapunov spectrum at init, 10 %, 50 % and 100 % of training.
Then, on held-out networks:

* the F1 of predicting the final-accuracy class (above / below the training networks' median)
  from the final spectrum: AeLLE against the median classifiers on the mean exponent, the largest
  exponent and the spectra's first principal component, and the 2^d-cell median classifiers;
* early prediction: fitted on final spectra, applied to the spectra at init / 10 % / 50 % of
  training, against a median classifier on the validation loss at that point;
* the AeLLE embedding (its latent codes' PC1-PC2, coloured by final accuracy and by family).

All from one config file (``benchmarks/aelle_study.yaml``); the store is resumable (a rerun
skips finished jobs), and :func:`analyse` only reads it (``neurodyn.sweep.read``)::

    python benchmarks/aelle_study.py --out runs/aelle [--engine pool|ray|sequential]
        [--workers 2] [--seeds N] [--smoke] [--compare-engines] [--analysis-only]

Writes into ``--out``: the sweep store (read it with ``pyarrow.dataset.dataset(DIR)`` or
``neurodyn.sweep.read(DIR)``) and ``_analysis/`` with ``study.json``, ``study.md`` (tables) and
the PNGs.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = HERE / "aelle_study.yaml"
#: the CLI's engine names -> neurodyn.sweep backends
ENGINES = {"pool": "local", "sequential": "sequential", "ray": "ray"}
STUDY_FILE = "_study.json"  # the sweep runs of the store (engine, wall time)
#: the analysis outputs and the engine-comparison stores live under names that start with "_",
#: which pyarrow.dataset skips, so ``pyarrow.dataset.dataset(DIR)`` still reads just the store
ANALYSIS = "_analysis"
ENGINES_DIR = "_engines"
#: exponents below this (nats per step) are clipped to it: −inf comes from an exactly singular
#: Jacobian (a tanh saturated to a zero derivative in float32), and log(2⁻²⁴), float32's relative
#: resolution, is the strongest contraction per step a float32 product can resolve
FLOOR = float(np.log(2.0**-24))


# -- the config --------------------------------------------------------------------------------


def load_study(path: str | Path = DEFAULT_CONFIG) -> dict:
    """The study config (YAML): ``common``, ``seeds``, ``families``, ``analysis``, ``smoke``,
    ``compare_engines`` (see ``benchmarks/aelle_study.yaml``).

    Raises:
        FileNotFoundError / ValueError: a missing file, or one without ``families``.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"study config {str(path)!r} does not exist.")
    study = yaml.safe_load(path.read_text())
    if not isinstance(study, dict) or not isinstance(study.get("families"), dict):
        raise ValueError(f"{path}: a study config needs 'families: {{name: {{model, grid}}}}'.")
    return study


def _pick(values: list, indices) -> list:
    return [values[int(i)] for i in indices] if indices is not None else list(values)


def family_sweeps(
    study: dict,
    *,
    families=None,
    seeds: int | None = None,
    variants=None,
    epochs: int | None = None,
) -> dict[str, dict]:
    """One ``neurodyn.sweep`` config per family: ``common`` + the family's fixed keys, its grid
    (restricted to the grid points ``variants``, indices into each grid list, when given) and
    ``seeds`` = 0..N-1 (``N`` = ``seeds`` or the config's).

    The sweep config format is one Cartesian grid, and families have different options (``dt``
    is no LSTM option); :func:`study_sweep` joins these per-family configs into one sweep.
    """
    names = list(study["families"]) if families is None else list(families)
    unknown = [n for n in names if n not in study["families"]]
    if unknown:
        raise ValueError(f"unknown families {unknown}; the config has {list(study['families'])}.")
    n_seeds = int(seeds if seeds is not None else study.get("seeds", 5))
    if n_seeds < 1:
        raise ValueError(f"seeds must be ≥ 1, got {n_seeds}.")
    out = {}
    for name in names:
        fam = copy.deepcopy(study["families"][name])
        grid = fam.pop("grid", {}) or {}
        cfg = {**copy.deepcopy(study.get("common", {})), **fam}
        cfg["grid"] = {k: _pick(list(v), variants) for k, v in grid.items()}
        cfg["seeds"] = list(range(n_seeds))
        if epochs is not None:
            cfg["epochs"] = int(epochs)
        out[name] = cfg
    return out


# -- running -----------------------------------------------------------------------------------


def _read_study_file(out: Path) -> dict:
    f = out / STUDY_FILE
    return json.loads(f.read_text()) if f.is_file() else {"runs": []}


def _write_study_file(out: Path, body: dict) -> None:
    tmp = out / f".{STUDY_FILE}.tmp"
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, out / STUDY_FILE)


def study_job(config: dict) -> list[dict]:
    """The study's job: ``neurodyn.sweep.train_job`` on the config with its ``variant`` (one
    family's grid point: ``family``, ``model``, its options) merged in; every row gets a
    ``family`` column."""
    from neurodyn.sweep import train_job

    cfg = dict(config)
    variant = dict(cfg.pop("variant"))
    family = variant.pop("family")
    rows = train_job({**cfg, **variant})
    return [{**row, "family": family} for row in rows]


#: the job path the sweep workers import (this file's folder is put on their PYTHONPATH)
STUDY_JOB = "aelle_study:study_job"


def study_sweep(sweeps: dict[str, dict]) -> dict:
    """All families as ONE sweep config: the keys every family shares are fixed, each family's
    grid points (with the keys in which the family differs, and its name) are the values of one
    grid key ``variant``, run by :func:`study_job`. One sweep keeps one process pool (each
    worker pays torch's and the data's first-call cost once, not once per family) and one
    manifest."""
    from neurodyn.sweep import expand

    points = {name: expand({**cfg, "seeds": [0]})[1] for name, cfg in sweeps.items()}
    all_pts = [p for pts in points.values() for p in pts]
    keys = set.intersection(*(set(p) for p in all_pts)) - {"seed"}
    first = all_pts[0]
    fixed = {k: first[k] for k in sorted(keys) if all(p[k] == first[k] for p in all_pts)}
    variants = [
        {"family": name, **{k: v for k, v in p.items() if k != "seed" and k not in fixed}}
        for name, pts in points.items()
        for p in pts
    ]
    seeds = sorted({s for cfg in sweeps.values() for s in cfg["seeds"]})
    return {**fixed, "job": STUDY_JOB, "seeds": seeds, "grid": {"variant": variants}}


def run_study(
    sweeps: dict[str, dict],
    out: str | Path,
    *,
    engine: str = "pool",
    workers: int = 2,
    timeout: float = 600.0,
    progress: bool = True,
) -> dict:
    """Run (or resume) the families' sweeps as one sweep (:func:`study_sweep`) into the store
    ``out``; returns the run's record ``{"engine", "workers", "wall_s", "jobs", "ran",
    "skipped", "failed", "finished_at"}``, also appended to ``out/_study.json``.

    Ray (``--engine ray``) is started here (``ray.init(num_cpus=workers)``; its start-up is
    part of ``wall_s``) and shut down at the end.
    """
    from neurodyn import sweep

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    from _workers import worker_path  # benchmarks/_workers.py

    worker_path()
    cfg = study_sweep(sweeps)
    t0 = time.perf_counter()
    ray = None
    if engine == "ray":
        import ray

        ray.init(num_cpus=int(workers), include_dashboard=False, log_to_driver=False)
    try:
        s = sweep.run(
            cfg,
            out,
            backend=ENGINES[engine],
            workers=int(workers),
            timeout=float(timeout),
            progress=progress,
        )
    finally:
        if ray is not None:
            ray.shutdown()
    for h, err in s.failures.items():
        print(f"  job {h} failed: {err.splitlines()[0][:200]}", file=sys.stderr)
    run = {
        "engine": engine,
        "workers": int(workers),
        "wall_s": round(time.perf_counter() - t0, 2),
        "jobs": s.total,
        "ran": s.ok + s.failed,
        "skipped": s.skipped,
        "failed": s.failed,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    record = _read_study_file(out)
    record.setdefault("runs", []).append(run)
    _write_study_file(out, record)
    return run


def compare_engines(
    study: dict,
    out: str | Path,
    *,
    workers: int = 2,
    engines=("sequential", "pool", "ray"),
    spec: dict | None = None,
) -> dict:
    """Wall time of the ``compare_engines`` subset of the config on each engine, each into a
    fresh store ``out/_engines/<engine>``, and the speed-ups over sequential. An engine that
    cannot run (Ray not installed) is reported with its error instead."""
    spec = spec if spec is not None else study.get("compare_engines") or {}
    sweeps = family_sweeps(
        study,
        families=spec.get("families"),
        seeds=spec.get("seeds"),
        variants=spec.get("variants"),
        epochs=spec.get("epochs"),
    )
    keys = ("families", "variants", "seeds", "epochs")
    result: dict = {"subset": {k: spec.get(k) for k in keys}}
    for engine in engines:
        store = Path(out) / ENGINES_DIR / engine
        shutil.rmtree(store, ignore_errors=True)
        try:
            run = run_study(sweeps, store, engine=engine, workers=workers, progress=False)
        except ImportError as err:
            result[engine] = {"error": str(err)}
            continue
        seconds = _job_seconds(store)
        result[engine] = {
            "wall_s": run["wall_s"],
            "jobs": run["jobs"],
            "failed": run["failed"],
            "job_seconds_sum": round(float(seconds.sum()), 2),
        }
        print(f"  {engine:>10}: {run['jobs']} jobs in {run['wall_s']:.1f} s", flush=True)
    base = result.get("sequential", {}).get("wall_s")
    for engine in engines:
        wall = result.get(engine, {}).get("wall_s")
        if base and wall:
            result[engine]["speedup_vs_sequential"] = round(base / wall, 2)
    return result


def _job_seconds(store: Path) -> np.ndarray:
    from neurodyn import sweep

    df = sweep.read(store, spectrum_length=None, config_columns=False)
    return df.groupby("config_hash")["seconds"].first().to_numpy(dtype=float)


# -- the analysis ------------------------------------------------------------------------------


def networks(out: str | Path, spectrum_length: int = 32, fractions=(0.0, 0.1, 0.5)) -> dict:
    """The store as one record per finished network.

    Returns:
        ``{"hash", "family", "acc" (n,) final test accuracy, "X" (n, L) final spectra, "early":
        {f: {"X" (n, L), "val_loss" (n,), "epoch" (n,)}}, "failed": count, "seconds" (n,)}``
        for the networks whose job finished and recorded every needed checkpoint. Spectra are
        resampled to ``spectrum_length`` relative ranks by ``neurodyn.sweep.read``; the
        checkpoint of fraction f is epoch ``round(f · epochs)`` (``neurodyn.sweep.record_epochs``).
        Exponents below :data:`FLOOR` (−inf included) are clipped to it; ``"clipped"`` counts
        the spectra that had one.

    Raises:
        ValueError: a store without finished jobs.
    """
    from neurodyn import sweep

    out = Path(out)
    df = sweep.read(out, spectrum_length=int(spectrum_length))
    if df.empty or "status" not in df or not (df["status"] == "ok").any():
        raise ValueError(f"{out}: the store holds no finished jobs; run the sweep first.")
    failed = int(df.loc[df["status"] == "failed", "config_hash"].nunique())
    ok = df[df["status"] == "ok"]
    rec: dict = {"hash": [], "family": [], "acc": [], "X": [], "val_loss": [], "seconds": []}
    rec["failed"] = failed
    early: dict = {float(f): {"X": [], "val_loss": [], "epoch": []} for f in fractions}
    skipped = 0
    for h, g in ok.groupby("config_hash", sort=True):
        job_cfg = json.loads(g["config"].iloc[0])
        job_cfg.update(job_cfg.pop("variant", None) or {})
        epochs = int(job_cfg["epochs"])
        by_epoch = {int(e): r for e, r in zip(g["epoch"], g.itertuples(), strict=True)}
        last = by_epoch.get(epochs)
        want = {f: sweep.record_epochs([f], epochs)[0] for f in early}
        if last is None or any(e not in by_epoch for e in want.values()) or last.test_acc is None:
            skipped += 1
            continue
        rec["hash"].append(h)
        rec["family"].append(str(job_cfg.get("family", job_cfg["model"])))
        rec["acc"].append(float(last.test_acc))
        rec["X"].append(np.asarray(last.spectrum, dtype=float))
        rec["val_loss"].append(float(last.val_loss))
        rec["seconds"].append(float(last.seconds))
        for f, e in want.items():
            early[f]["X"].append(np.asarray(by_epoch[e].spectrum, dtype=float))
            early[f]["val_loss"].append(float(by_epoch[e].val_loss))
            early[f]["epoch"].append(e)
    rec["incomplete"] = skipped
    rec["clipped"] = 0
    for arrs in [rec["X"], *[d["X"] for d in early.values()]]:
        for i, a in enumerate(arrs):
            # −inf is clipped; NaN (a diverged run) is left for AeLLE to refuse, naming the rows
            if not np.isnan(a).any() and (a < FLOOR).any():
                rec["clipped"] += 1
                arrs[i] = np.maximum(a, FLOOR)
    for key in ("acc", "X", "val_loss", "seconds"):
        rec[key] = np.asarray(rec[key], dtype=float)
    rec["family"] = np.asarray(rec["family"])
    rec["early"] = {f: {k: np.asarray(v) for k, v in d.items()} for f, d in early.items()}
    return rec


def _splits(n: int, repeats: int, random_state: int, fractions=(0.7, 0.1, 0.2)):
    """``repeats`` random (train, val, test) index splits of n networks (70 / 10 / 20 as in
    Vogt, dissertation, Sec. 3.3), each with ≥ 2 test networks."""
    if n < 5:
        raise ValueError(f"{n} finished networks are too few to split 70/10/20; run more jobs.")
    n_tr = max(2, round(fractions[0] * n))
    n_va = max(1, round(fractions[1] * n))
    if n - n_tr - n_va < 2:
        n_tr = n - n_va - 2
    for r in range(repeats):
        perm = np.random.default_rng(random_state + r).permutation(n)
        yield perm[:n_tr], perm[n_tr : n_tr + n_va], perm[n_tr + n_va :]


def _prf(truth: np.ndarray, pred: np.ndarray) -> dict:
    from sklearn.metrics import f1_score, precision_score, recall_score

    kw = {"zero_division": 0}
    return {
        "precision": float(precision_score(truth, pred, **kw)),
        "recall": float(recall_score(truth, pred, **kw)),
        "f1": float(f1_score(truth, pred, **kw)),
    }


def _high(acc_train: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """The accuracy class: 1 where the accuracy is above the training networks' median."""
    return (acc > np.median(acc_train)).astype(int)


def _val_loss_classifier(loss_train, acc_train, loss_test, acc_test) -> dict:
    """Median classifier on the validation loss (the baseline of Vogt, dissertation,
    Tables 3.1-3.2): 'high accuracy' where the loss is below the training networks' median
    loss at the same checkpoint."""
    pred = (loss_test < np.median(loss_train)).astype(int)
    return _prf(_high(acc_train, acc_test), pred)


def _mean_sd(rows: list[dict]) -> dict:
    """{classifier: {metric: [values over splits]}} → {classifier: {metric: (mean, sd)}}."""
    out: dict = {}
    for row in rows:
        for clf, metrics in row.items():
            for m, v in metrics.items():
                out.setdefault(clf, {}).setdefault(m, []).append(float(v))
    return {
        clf: {
            m: [float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0, len(v)]
            for m, v in ms.items()
        }
        for clf, ms in out.items()
    }


def _compare(X_tr, y_tr, X_te, y_te, *, cells, aelle: dict, random_state: int) -> dict:
    """``neurodyn.aelle.compare_classifiers`` once per number of cell dimensions d in ``cells``
    (one AeLLE fit each, same seed): the rows of the first d, plus the 2^d-cell row of the
    others. Returns {classifier: {"precision", "recall", "f1", "predicted_high"}}."""
    from neurodyn.aelle import compare_classifiers

    rows: dict = {}
    for i, d in enumerate(cells):
        res = compare_classifiers(
            X_tr,
            y_tr,
            X_te,
            y_te,
            random_state=random_state,
            n_cells=int(d),
            **aelle,
        )
        for name, metrics in res.items():
            if i == 0 or "cells" in name:
                rows[str(name)] = {m: float(v) for m, v in metrics.items()}
    return rows


class _Early:
    """The classifiers of one split fitted once on the training networks' final spectra, then
    applied to the test networks' spectra of any checkpoint (Vogt, dissertation, Tables
    3.1-3.2): AeLLE (PC1 median, and its 2^d median cells as in ``compare_classifiers``) and
    the mean-LE / max-LE / LE-PC1 median classifiers."""

    def __init__(self, X_tr, y_tr, *, d: int, aelle: dict, random_state: int):
        from neurodyn.aelle import AeLLE, MedianClassifier

        params = {**aelle, "n_components": max(2, d, int(aelle.get("n_components", 2)))}
        self.aelle = AeLLE(random_state=random_state, **params).fit(X_tr, y_tr)
        self.threshold = self.aelle.threshold_
        high = (np.asarray(y_tr) > self.threshold).astype(int)
        Z = self.aelle.transform(X_tr)[:, :d]
        self.d, self.medians = d, np.median(Z, axis=0)
        codes = self._codes(Z)
        # a cell is "high" when most of its training networks are (ties: low)
        self.high_cells = [c for c in np.unique(codes) if high[codes == c].mean() > 0.5]
        self.median = {
            name: MedianClassifier(feature=f, threshold=self.threshold).fit(X_tr, y_tr)
            for name, f in (("Mean LE", "mean"), ("Max LE", "max"), ("LE PC1", "pc1"))
        }

    def _codes(self, Z):
        return ((Z > self.medians).astype(int) * (2 ** np.arange(self.d))).sum(axis=1)

    def scores(self, X_te, y_te) -> dict:
        truth = (np.asarray(y_te) > self.threshold).astype(int)
        cells = np.isin(self._codes(self.aelle.transform(X_te)[:, : self.d]), self.high_cells)
        preds = {
            "AeLLE PC1 median": self.aelle.predict(X_te),
            f"AeLLE 2^d cells (d={self.d})": cells.astype(int),
        }
        preds.update({name: clf.predict(X_te) for name, clf in self.median.items()})
        return {name: _prf(truth, p) for name, p in preds.items()}


def analyse(out: str | Path, study: dict | None = None, *, splits: int | None = None) -> dict:
    """Read the store ``out`` and write ``study.json``, ``study.md`` and the PNGs into
    ``out/_analysis``.

    Classes: 1 = final test accuracy above the training networks' median. For each of
    ``splits`` random 70/10/20 splits of the networks (the validation tenth is not used for
    fitting; the classifiers have no hyper-parameters chosen here): ``compare_classifiers`` on
    the final spectra (AeLLE, mean-LE / max-LE / LE-PC1 median classifiers, 2^d cells), and the
    early prediction — fitted on the training networks' final spectra, applied to the test
    networks' spectra at each fraction of training — with the validation-loss median classifier
    at that checkpoint beside it. Returns the study.json content.
    """
    study = study or load_study()
    acfg = dict(study.get("analysis") or {})
    out = Path(out)
    L = int(acfg.get("spectrum_length", 32))
    fractions = [float(f) for f in acfg.get("fractions", [0, 0.1, 0.5])]
    rs = int(acfg.get("random_state", 0))
    repeats = int(splits if splits is not None else acfg.get("splits", 5))
    cells = [int(d) for d in acfg.get("cell_dims", [2, 1, 3])]
    aelle = {"latent_size": int(acfg.get("latent_size", 32)), **dict(acfg.get("aelle") or {})}
    net = networks(out, L, fractions)
    n = len(net["acc"])
    final_rows, early_rows = [], {f: [] for f in [*fractions, 1.0]}
    first = None
    for r, (tr, _va, te) in enumerate(_splits(n, repeats, rs)):
        X, y = net["X"], net["acc"]
        final_rows.append(
            _compare(X[tr], y[tr], X[te], y[te], cells=cells, aelle=aelle, random_state=rs + r)
        )
        early = _Early(X[tr], y[tr], d=cells[0], aelle=aelle, random_state=rs + r)
        first = first or (early, tr, te)
        for f in [*fractions, 1.0]:
            Xf, loss = (
                (X, net["val_loss"])
                if f == 1.0
                else (net["early"][f]["X"], net["early"][f]["val_loss"])
            )
            row = early.scores(Xf[te], y[te])
            row["val-loss median"] = _val_loss_classifier(loss[tr], y[tr], loss[te], y[te])
            early_rows[f].append(row)
    result = {
        "networks": n,
        "failed_jobs": net["failed"],
        "incomplete_jobs": net["incomplete"],
        "splits": repeats,
        "split_sizes": [len(a) for a in next(iter(_splits(n, 1, rs)))],
        "families": _family_table(net),
        "job_seconds": {
            "mean": float(net["seconds"].mean()),
            "max": float(net["seconds"].max()),
            "sum": float(net["seconds"].sum()),
        },
        "final": _mean_sd(final_rows),
        "early": {str(f): _mean_sd(rows) for f, rows in early_rows.items()},
        "early_epochs": {
            str(f): sorted({int(e) for e in net["early"][f]["epoch"]}) for f in fractions
        },
        "runs": _read_study_file(out).get("runs", []),
    }
    # the 100 % column (classifiers fitted here) against compare_classifiers' own rows: the
    # same fits with the same seeds, so the two F1 columns must agree
    shared = [c for c in result["final"] if c in result["early"]["1.0"]]
    result["check_f1_max_abs_diff"] = max(
        abs(result["final"][c]["f1"][0] - result["early"]["1.0"][c]["f1"][0]) for c in shared
    )
    res_dir = out / ANALYSIS
    res_dir.mkdir(parents=True, exist_ok=True)
    result["figures"] = _figures(res_dir, net, *first)
    (res_dir / "study.json").write_text(json.dumps(result, indent=2) + "\n")
    (res_dir / "study.md").write_text(_markdown(result))
    return result


def _family_table(net: dict) -> dict:
    table = {}
    for fam in dict.fromkeys(net["family"].tolist()):
        a = net["acc"][net["family"] == fam]
        table[fam] = {
            "networks": int(a.size),
            "min": float(a.min()),
            "median": float(np.median(a)),
            "max": float(a.max()),
        }
    return table


def _figures(out: Path, net: dict, early: _Early, tr, te) -> list[str]:
    """The AeLLE embedding (PC1-PC2 of the latent codes of every network, AeLLE fitted on the
    first split's training networks), coloured by final accuracy and by family; and the final
    accuracies per family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    P = np.asarray(early.aelle.transform(net["X"]), dtype=float)[:, :2]
    ev = early.aelle.pca_.explained_variance_ratio_
    is_test = np.zeros(len(P), bool)
    is_test[te] = True
    files = []

    def axes_labels(ax, title):
        ax.set_xlabel(f"PC1 of the AeLLE latent codes ({100 * ev[0]:.0f} % of variance)")
        ax.set_ylabel(f"PC2 ({100 * ev[1]:.0f} %)")
        ax.set_title(title, fontsize=10)

    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    sc = ax.scatter(
        P[~is_test, 0],
        P[~is_test, 1],
        c=net["acc"][~is_test],
        cmap="viridis",
        vmin=0,
        vmax=1,
        s=22,
        label="training networks",
    )
    ax.scatter(
        P[is_test, 0],
        P[is_test, 1],
        c=net["acc"][is_test],
        cmap="viridis",
        vmin=0,
        vmax=1,
        s=40,
        marker="^",
        edgecolors="k",
        linewidths=0.5,
        label="held-out networks",
    )
    fig.colorbar(sc, ax=ax, label="final test accuracy")
    axes_labels(ax, "AeLLE embedding of the final Lyapunov spectra (Vogt, dissertation, Sec. 3.3)")
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "embedding_accuracy.png", dpi=120)
    plt.close(fig)
    files.append("embedding_accuracy.png")

    fams = list(dict.fromkeys(net["family"].tolist()))
    cmap = plt.get_cmap("tab10")
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    for i, fam in enumerate(fams):
        m = net["family"] == fam
        ax.scatter(
            P[m, 0], P[m, 1], s=22, color=cmap(i % 10), label=fam, marker="os^vD<>pXh"[i % 10]
        )
    axes_labels(ax, "AeLLE embedding of the final Lyapunov spectra, by family")
    ax.legend(loc="best", fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(out / "embedding_family.png", dpi=120)
    plt.close(fig)
    files.append("embedding_family.png")

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    rng = np.random.default_rng(0)
    for i, fam in enumerate(fams):
        a = net["acc"][net["family"] == fam]
        ax.scatter(i + rng.uniform(-0.2, 0.2, a.size), a, s=14, color=cmap(i % 10))
    ax.axhline(
        np.median(net["acc"][tr]),
        color="k",
        lw=0.8,
        ls="--",
        label="median of the training networks (the class threshold)",
    )
    ax.set_xticks(range(len(fams)), fams, rotation=30, ha="right")
    ax.set_ylabel("final test accuracy")
    ax.set_ylim(0, 1)
    ax.set_title("Final accuracies per family (the spread AeLLE has to predict)", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "accuracy_by_family.png", dpi=120)
    plt.close(fig)
    files.append("accuracy_by_family.png")
    return files


def _fmt(ms) -> str:
    mean, sd, _n = ms
    return f"{mean:.3f} ± {sd:.3f}"


def _markdown(res: dict) -> str:
    lines = ["# AeLLE study (after Vogt, dissertation, Sec. 3.3)", ""]
    lines += [
        f"{res['networks']} networks finished ({res['failed_jobs']} failed jobs, "
        f"{res['incomplete_jobs']} without every checkpoint); {res['splits']} random "
        f"splits of {res['split_sizes'][0]} / {res['split_sizes'][1]} / "
        f"{res['split_sizes'][2]} networks (train / validation / test); mean ± sd over "
        "the splits. Class 1: final test accuracy above the training networks' median.",
        "",
    ]
    js = res["job_seconds"]
    lines += [
        f"Job time: mean {js['mean']:.2f} s, max {js['max']:.2f} s, sum {js['sum']:.0f} s.",
        "",
    ]
    if res["runs"]:
        lines += [
            "| sweep run | engine | workers | jobs | ran | skipped | failed | wall (s) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in res["runs"]:
            lines.append(
                f"| {r['finished_at']} | {r['engine']} | {r['workers']} | {r['jobs']} | "
                f"{r['ran']} | {r['skipped']} | {r['failed']} | {r['wall_s']:.1f} |"
            )
        lines.append("")
    lines += [
        "## Final accuracy per family",
        "",
        "| family | networks | min | median | max |",
        "|---|---|---|---|---|",
    ]
    for fam, t in res["families"].items():
        lines.append(
            f"| {fam} | {t['networks']} | {t['min']:.3f} | {t['median']:.3f} | {t['max']:.3f} |"
        )
    lines += [
        "",
        "## Held-out networks, final spectra",
        "",
        "| classifier | precision | recall | F1 |",
        "|---|---|---|---|",
    ]
    for clf, m in res["final"].items():
        lines.append(f"| {clf} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} |")
    lines += [
        "",
        "## Early prediction (F1 on held-out networks)",
        "",
        "Fitted on the training networks' final spectra, applied to the test networks' "
        "spectra at a fraction of training (cf. Vogt, dissertation, Tables "
        "3.1-3.2); 'val-loss median' classifies by the validation loss at that "
        "checkpoint.",
        "",
    ]
    fracs = list(res["early"])
    clfs = list(dict.fromkeys(c for f in fracs for c in res["early"][f]))
    head = []
    for f in fracs:
        ep = res["early_epochs"].get(f)
        head.append(
            f"{100 * float(f):.0f} %" + (f" (epoch {', '.join(map(str, ep))})" if ep else "")
        )
    lines += ["| classifier | " + " | ".join(head) + " |", "|---" * (len(fracs) + 1) + "|"]
    for clf in clfs:
        cells = [_fmt(res["early"][f][clf]["f1"]) if clf in res["early"][f] else "—" for f in fracs]
        lines.append(f"| {clf} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Check: the 100 % column against `compare_classifiers` (same fits, same "
        f"seeds): max |ΔF1| = {res['check_f1_max_abs_diff']:.2g}.",
        "",
    ]
    lines += ["", "Figures: " + ", ".join(f"`{f}`" for f in res.get("figures", [])), ""]
    return "\n".join(lines)


# -- the CLI -----------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="the study's store and report folder")
    ap.add_argument("--config", default=str(DEFAULT_CONFIG), help="the study YAML")
    ap.add_argument("--engine", choices=list(ENGINES), default="pool")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=None, help="seeds per grid point")
    ap.add_argument("--smoke", action="store_true", help="the config's small smoke subset")
    ap.add_argument(
        "--compare-engines",
        action="store_true",
        help="also time the compare_engines subset on sequential / pool / ray",
    )
    ap.add_argument("--analysis-only", action="store_true", help="only analyse the store")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per job")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    study = load_study(args.config)
    out = Path(args.out)
    splits = None
    if args.smoke:
        sm = study.get("smoke") or {}
        sweeps = family_sweeps(
            study,
            families=sm.get("families"),
            seeds=args.seeds or sm.get("seeds"),
            variants=sm.get("variants"),
            epochs=sm.get("epochs"),
        )
        splits = sm.get("splits")
        study["analysis"] = {**(study.get("analysis") or {}), **(sm.get("analysis") or {})}
    else:
        sweeps = family_sweeps(study, seeds=args.seeds)
    if not args.analysis_only:
        from neurodyn.sweep import expand

        n_jobs = len(expand(study_sweep(sweeps))[1])
        print(
            f"sweep: {len(sweeps)} families, {n_jobs} jobs, engine {args.engine}, "
            f"{args.workers} workers -> {out}",
            flush=True,
        )
        run = run_study(sweeps, out, engine=args.engine, workers=args.workers, timeout=args.timeout)
        print(
            f"sweep wall time: {run['wall_s']:.1f} s ({run['ran']} jobs ran, "
            f"{run['skipped']} skipped, {run['failed']} failed)",
            flush=True,
        )
    engines = None
    if args.compare_engines:
        print("comparing engines on the compare_engines subset:", flush=True)
        spec = (study.get("smoke") or {}).get("compare_engines") if args.smoke else None
        engines = compare_engines(study, out, workers=args.workers, spec=spec)
        for e in ("pool", "ray"):
            sp = (engines.get(e) or {}).get("speedup_vs_sequential")
            if sp is not None:
                print(f"  speed-up of {e} over sequential: {sp:.2f}×", flush=True)
    res = analyse(out, study, splits=splits)
    if engines is not None:
        res["engines"] = engines
        (out / ANALYSIS / "study.json").write_text(json.dumps(res, indent=2) + "\n")
        with (out / ANALYSIS / "study.md").open("a") as fh:
            fh.write(_engines_markdown(engines))
    print((out / ANALYSIS / "study.md").read_text())
    return 0


def _engines_markdown(engines: dict) -> str:
    sub = engines.get("subset", {})
    lines = [
        "## Engines",
        "",
        f"Subset: families {sub.get('families')}, grid points "
        f"{sub.get('variants')}, {sub.get('seeds')} seeds, "
        f"epochs {sub.get('epochs') or 'as configured'}; "
        "each engine into a fresh store (Ray's start-up included in its wall time).",
        "",
        "| engine | jobs | wall (s) | Σ job seconds | speed-up vs sequential |",
        "|---|---|---|---|---|",
    ]
    for e in ("sequential", "pool", "ray"):
        r = engines.get(e)
        if not r:
            continue
        if "error" in r:
            lines.append(f"| {e} | — | — | — | not run: {r['error']} |")
            continue
        lines.append(
            f"| {e} | {r['jobs']} | {r['wall_s']:.1f} | {r['job_seconds_sum']:.1f} | "
            f"{r.get('speedup_vs_sequential', math.nan):.2f}× |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
