"""The default job: train one model (``neurodyn.train.run``) and record its Lyapunov spectrum
and validation loss / accuracy at chosen points of training."""

from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["record_epochs", "train_job"]

#: config keys train_job reads itself; every other key is passed to ``neurodyn.train.run``
_OWN = ("task", "model", "epochs", "seed", "record_at", "spectrum", "certify", "eigenvalues")
#: the certificate columns ``certify:`` adds (``neurodyn.train._monitors.certificate_row``)
CERT_COLUMNS = ("cert_applicable", "cert_holds", "cert_proven", "cert_kind", "cert_name",
                "cert_margin")  # fmt: skip


def record_epochs(record_at, epochs: int) -> list[int]:
    """The epochs at which fractions ``record_at`` ∈ [0, 1] of ``epochs`` fall: ``round(f ·
    epochs)``, sorted, each once (epoch 0 is the initial model, before any step).

    Raises:
        ValueError: a fraction outside [0, 1], or no fractions.
    """
    fractions = [float(f) for f in record_at]
    if not fractions or any(not (0.0 <= f <= 1.0) for f in fractions):
        raise ValueError(
            f"record_at must be a non-empty list of fractions of the epochs in [0, 1] "
            f"(e.g. [0, 0.1, 0.5, 1.0]), got {list(record_at)}."
        )
    return sorted({round(f * int(epochs)) for f in fractions})


def check_train_configs(configs: list[dict]) -> None:
    """Refuse, before any job starts, configs that :func:`train_job` would fail on every time:
    a missing ``task`` / ``model`` / ``epochs``, or a task or model name neurodyn does not know.

    Raises:
        InputError: naming the key or value and the valid names.
    """
    from neurodyn._core import InputError
    from neurodyn.data import TASKS
    from neurodyn.train import MODELS

    for cfg in configs:
        missing = [k for k in ("task", "model") if k not in cfg]
        if missing:
            raise InputError(
                f"sweep config: every job needs {missing} (task and model, as keys or grid "
                "entries; epochs and the other options default to the recipe); see "
                "docs/sweep.md."
            )
        for key, known in (("task", TASKS), ("model", MODELS)):
            if cfg[key] not in known:
                raise InputError(
                    f"sweep config: unknown {key} {cfg[key]!r}; known: {', '.join(known)}."
                )


def train_job(config: dict) -> list[dict]:
    """Train ``config["model"]`` on ``config["task"]`` and return one row per recorded epoch.

    Config keys: ``task``, ``model`` (names of ``neurodyn train``), ``seed``; ``epochs`` and
    every option not given are the recipe's (``neurodyn.train.recipe``; ``recipe: false``:
    ``run``'s plain defaults);
    ``record_at`` (fractions of ``epochs``, default ``[0, 0.1, 0.5, 1.0]``); ``spectrum``
    (``{"k": None, "sequences": 32, "warmup": 0}``: the number of exponents, None for all n; how
    many validation sequences drive the map; warm-up steps); ``certify`` (``"diagonal"``,
    ``"auto"``, ``"none"``: the metric search of ``neurodyn.contraction.certify``; adds the
    kept model's certificate to the last row as ``cert_*`` columns); ``eigenvalues`` (true: at
    each recorded epoch also the eigenvalues of the one-step Jacobian ∂h_t/∂h_{t−1} at one random
    (x, h) — a random validation sequence and step, the state the network reaches there — as
    ``eig_re`` / ``eig_im`` columns, Vogt, dissertation, eq. 3.4 and Fig. 3.2); every other key
    (``hidden_size``,
    ``params``, ``lr``, ``batch_size``, ...) goes to ``neurodyn.train.run``.

    At each recorded epoch the spectrum is ``neurodyn.lyapunov_spectrum(model.body, x)`` of the
    recurrent body driven by the first ``sequences`` validation sequences ``x`` (B, T, F) — Vogt,
    dissertation, Alg. 2, exponents in nats per step, averaged over the batch.

    Returns:
        Rows with ``epoch``, ``fraction``, ``spectrum`` (list, k values, descending),
        ``spectrum_k``, ``lambda_max``, ``train_loss``, ``val_loss``, ``val_acc``, ``val_mse``
        (None where the task's metric is the other one), and on the last row ``test_loss`` /
        ``test_acc`` / ``test_mse`` of the trained model, ``best_epoch`` and ``stopped``
        ("completed" or "early_stopping"), ``trained_with`` (JSON: the fit options, the recipe
        and the model as built; the config hash covers only the keys the config sets, so this
        says what a recipe filled in). With early stopping the last row is the epoch
        training stopped at, with the spectrum and validation numbers of the best epoch's
        weights, which are the ones kept and tested.
    """
    from neurodyn.data import load
    from neurodyn.lyapunov import lyapunov_spectrum
    from neurodyn.train import run
    from neurodyn.train._recipes import planned_epochs

    missing = [k for k in ("task", "model") if k not in config]
    if missing:
        raise ValueError(f"train_job needs config keys {missing} (task, model).")
    seed = int(config.get("seed", 0))
    given = config.get("epochs")
    epochs = planned_epochs(config["model"], config["task"], given, config.get("recipe", True))
    at = record_epochs(config.get("record_at", [0, 0.1, 0.5, 1.0]), epochs)
    spec = {"k": None, "sequences": 32, "warmup": 0, **dict(config.get("spectrum") or {})}
    unknown = set(spec) - {"k", "sequences", "warmup"}
    if unknown:
        raise ValueError(f"spectrum: unknown keys {sorted(unknown)} (use k, sequences, warmup).")
    rest = {k: v for k, v in config.items() if k not in _OWN}
    task_options = rest.get("task_options") or {}
    x = load(config["task"], "val", seed=seed, **task_options).x[: int(spec["sequences"])]
    spectra: dict[int, list[float]] = {}
    eigs: dict[int, tuple[list[float], list[float]]] = {}
    # the (sequence, step) of the Jacobian eigenvalues: one draw per job, the same every epoch
    pick = np.random.default_rng(seed).integers([x.shape[0], x.shape[1]])

    def spectrum_of(model) -> list[float]:
        was = model.training
        model.eval()
        res = lyapunov_spectrum(model.body, x, k=spec["k"], warmup=int(spec["warmup"]))
        model.train(was)
        return [float(v) for v in res.exponents.reshape(-1).tolist()]

    def measure(epoch, model) -> None:
        spectra[epoch] = spectrum_of(model)
        if config.get("eigenvalues"):
            eigs[epoch] = jacobian_eigenvalues(model.body, x[pick[0]], int(pick[1]))

    def record(epoch, model, row):
        if epoch not in at:
            return None
        measure(epoch, model)
        return {"lambda_max": spectra[epoch][0]}

    result = run(
        model=config["model"],
        task=config["task"],
        epochs=given,  # None: run takes the recipe's (the same planned_epochs) and says so
        seed=seed,
        callbacks=(record,),
        progress=False,
        **rest,
    )
    history = {int(r["epoch"]): r for r in result.history}
    last = int(result.history[-1]["epoch"])
    if result.restored_best or last not in spectra:  # early stopping: record the model kept
        measure(last, result.model)
    rows = []
    for epoch in sorted(spectra):
        h = history.get(epoch, {})
        rows.append(
            {
                "epoch": epoch,
                "fraction": epoch / epochs if epochs else 1.0,
                "spectrum": spectra[epoch],
                "spectrum_k": len(spectra[epoch]),
                "lambda_max": spectra[epoch][0],
                "train_loss": _num(h.get("train_loss")),
                "val_loss": _num(h.get("val_loss")),
                "val_acc": _num(h.get("val_acc")),
                "val_mse": _num(h.get("val_mse")),
                "test_loss": None,
                "test_acc": None,
                "test_mse": None,
                "best_epoch": None,
                "stopped": None,
                **(
                    {"eig_re": eigs[epoch][0], "eig_im": eigs[epoch][1]}
                    if config.get("eigenvalues")
                    else {}
                ),
            }
        )
    rows[-1]["best_epoch"], rows[-1]["stopped"] = int(result.best_epoch), result.stopped
    # what the job ran with: the stored config names only what it set; the recipe filled the rest
    used = {"options": result.provenance.get("options"), "recipe": result.provenance.get("recipe"),
            "model": result.provenance.get("model")}  # fmt: skip
    for row in rows:
        row["trained_with"] = None
    rows[-1]["trained_with"] = json.dumps(used, sort_keys=True, default=str)
    if config.get("certify"):  # the contraction certificate of the kept model, last row only
        from neurodyn.train._monitors import certificate_row

        cert, _ = certificate_row(result.model.body, str(config["certify"]))
        for row in rows:
            row.update(dict.fromkeys(CERT_COLUMNS))
        rows[-1].update({k: cert.get(k) for k in CERT_COLUMNS})
    if result.restored_best:  # the last row describes the best epoch's weights, as kept
        h = history[int(result.best_epoch)]
        for key in ("train_loss", "val_loss", "val_acc", "val_mse"):
            rows[-1][key] = _num(h.get(key))
    if rows and result.test:
        rows[-1]["test_loss"] = _num(result.test.get("loss"))
        rows[-1]["test_acc"] = _num(result.test.get("accuracy"))
        rows[-1]["test_mse"] = _num(result.test.get("mse"))
    return rows


def jacobian_eigenvalues(body, seq, step: int) -> tuple[list[float], list[float]]:
    """Eigenvalues of the one-step Jacobian ∂h_{t+1}/∂h_t of the recurrent ``body`` (any module
    ``neurodyn.as_map`` takes) at the state h_t it reaches driven by ``seq`` (T, F) from its zero
    state, with input ``seq[step]`` (Vogt, dissertation, eq. 3.4: the Jacobian of one step at a
    random input and hidden state). Returns (real parts, imaginary parts), each (n,), sorted by
    decreasing modulus; computed in float64 (``torch.linalg.eigvals``)."""
    import torch

    from neurodyn.systems import as_map

    m = as_map(body)
    seq = seq.to(m.dtype or seq.dtype)
    with torch.no_grad():
        h = m.zero_state(1, dtype=seq.dtype)
        for t in range(int(step)):
            h = m.step(h, seq[t : t + 1])
        J = m.jacobian(h, seq[step : step + 1])[0].double()
    ev = torch.linalg.eigvals(J)
    ev = ev[torch.argsort(ev.abs(), descending=True)]
    return ev.real.tolist(), ev.imag.tolist()


def _num(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)
