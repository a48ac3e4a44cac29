"""A small, honest trainer for sequence tasks: :func:`fit`, :func:`run`, :func:`evaluate`.

The loss and metric follow the task's kind (:mod:`neurodyn.train._objective`): cross-entropy and
accuracy on the logits of a :class:`~neurodyn.train.SequenceClassifier` (any module
``model(x (B, T, F)) -> logits (B, C)`` works) for classification, per step for
sequence-classification (the copy task), mean squared error for regression (the adding
problem). Adam or SGD with momentum, a per-epoch learning
rate schedule, gradient clipping by global norm, early stopping on the validation metric,
stability monitors (:mod:`neurodyn.train._monitors`) and checkpoints after every epoch that
``resume=True`` continues from exactly (same batches, same losses).

Checkpoint folder (``out=``), each file written atomically (temporary file + ``os.replace``):

* ``last.pt`` — the model after the last finished epoch (:func:`~neurodyn.train.save_model`);
* ``best.pt`` — the model at the best validation metric so far (same format);
* ``trainer.pt`` — optimizer and scheduler state, the torch and shuffling RNG states, the epoch,
  the early-stopping counters and the history (plain values and tensors only);
* ``history.json`` — provenance and one row per epoch (strict JSON);
* ``.neurodyn.json`` — the marker that makes it a training run's folder: ``out`` must be new,
  empty, or such a folder (an older one is known by its ``history.json``); anything else is
  refused with ``OutputExistsError`` before training starts (docs/cli.md, "Output paths").

All ``.pt`` files load with ``torch.load(weights_only=True)``: no code is unpickled.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from neurodyn._core import dump_json, register_result
from neurodyn._core._files import atomic_write, claim_folder, mark_folder
from neurodyn.errors import DivergenceError
from neurodyn.train._floss import FlossStats, floss_before_training, resolve_floss
from neurodyn.train._models import MODELS, SequenceClassifier, count_parameters, save_model
from neurodyn.train._monitors import resolve_monitors, run_monitors
from neurodyn.train._objective import data as _data
from neurodyn.train._objective import dtype_of as _dtype
from neurodyn.train._objective import evaluate, objective
from neurodyn.train._progress import Bar as _Bar

__all__ = ["OPTIMIZERS", "SCHEDULES", "TrainResult", "evaluate", "fit", "run"]

OPTIMIZERS = ("adam", "sgd")
SCHEDULES = (None, "cosine", "step")
#: width :func:`run` builds when neither ``hidden_size`` nor ``params`` is given
DEFAULT_HIDDEN = 64
_TRAINER_FORMAT = "neurodyn.train.trainer/1"
_STATE_FORMAT = "neurodyn.train.state_dict/1"
#: fit options that must match when resuming (the batches and updates depend on them)
_RESUME_KEYS = ("batch_size", "lr", "optimizer", "momentum", "weight_decay", "schedule", "clip",
                "seed", "floss")  # fmt: skip


# ---------------------------------------------------------------------- evaluation


def _plain(obj):
    """JSON-plain copy (str for anything else, e.g. torch's TorchVersion), so that the file
    loads with ``torch.load(weights_only=True)``."""
    import json

    return json.loads(json.dumps(obj, default=str))


# ---------------------------------------------------------------------- result


@register_result
@dataclass
class TrainResult:
    """What :func:`fit` / :func:`run` return.

    Attributes:
        history: one dict per epoch 0..E (epoch 0 is the initial model): ``epoch``,
            ``train_loss``, ``train_acc`` (epoch 0: an eval pass over the training set; later:
            running means over the epoch's batches, in train mode), ``val_loss``, ``val_acc``
            (None without a validation set) — for a regression task ``train_mse`` /
            ``val_mse`` instead of the accuracies (``metric`` says which) —
            ``lr`` (used in that epoch), ``grad_norm`` (largest
            pre-clipping global gradient norm of the epoch), ``seconds`` (training time of the
            epoch), the monitor keys (:mod:`neurodyn.train._monitors`) and what callbacks added.
        model: the trained model. With ``patience`` (early stopping) it holds the weights of the
            best validation epoch (``restored_best`` is True); otherwise those of the last epoch.
        best_epoch, best_val_acc: the epoch of the highest validation accuracy (first one on
            ties) and that accuracy; without validation data the last epoch and None.
            Regression: ``best_val_acc`` is None and ``best_val_mse`` holds the lowest
            validation MSE, of ``best_epoch``.
        metric: ``"accuracy"`` or ``"mse"``, the task's metric (:mod:`neurodyn.train._objective`).
        test: ``{"loss", "accuracy"}`` (regression: ``{"loss", "mse"}``) on the test split
            (:func:`run`), else None.
        stopped: "completed", "early_stopping" or "interrupted" (Ctrl-C; resume with
            ``resume=True`` and the same ``out``).
        monitor_results: epoch → ``{"certificate": CertificateReport, "lyapunov":
            LyapunovResult}`` for the epochs run in this process (a resumed run has only its own).
        provenance: model, task, fit options, seed, versions, date.
        out: the checkpoint folder, or None.
    """

    history: list[dict]
    model: nn.Module | None = None
    best_epoch: int = 0
    best_val_acc: float | None = None
    test: dict | None = None
    stopped: str = "completed"
    restored_best: bool = False
    monitor_results: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    out: Path | None = None
    metric: str = "accuracy"
    best_val_mse: float | None = None

    @property
    def final(self) -> dict:
        """The last history row."""
        return self.history[-1]

    @property
    def best_val(self) -> float | None:
        """The best validation value of :attr:`metric` (accuracy or MSE)."""
        return self.best_val_mse if self.metric == "mse" else self.best_val_acc

    def to_dict(self) -> dict:
        """JSON-ready summary (the history rows, provenance, best epoch, test); no weights."""
        return {
            "result_type": "TrainResult",
            "provenance": self.provenance,
            "history": self.history,
            "best_epoch": self.best_epoch,
            "best_val_acc": self.best_val_acc,
            "metric": self.metric,
            "best_val_mse": self.best_val_mse,
            "test": self.test,
            "stopped": self.stopped,
            "restored_best": self.restored_best,
            "out": None if self.out is None else str(self.out),
        }

    @classmethod
    def from_dict(cls, d: dict) -> TrainResult:
        """The summary back (``model`` is None: load it with ``load_model(out / "best.pt")``)."""
        return cls(
            history=list(d["history"]),
            best_epoch=int(d["best_epoch"]),
            best_val_acc=d.get("best_val_acc"),
            metric=d.get("metric", "accuracy"),
            best_val_mse=d.get("best_val_mse"),
            test=d.get("test"),
            stopped=d.get("stopped", "completed"),
            restored_best=bool(d.get("restored_best", False)),
            provenance=dict(d.get("provenance", {})),
            out=None if d.get("out") is None else Path(d["out"]),
        )

    def table(self, *, title: str | None = None):
        """A ``rich.table.Table`` of the history: loss, accuracy or MSE, lr, certificate,
        λ_max."""
        from neurodyn.train._plot import history_table

        return history_table(self, title=title)

    def plot(self):
        """Loss and accuracy (or MSE) over epochs and, where recorded, the LE spectrum over training
        (:func:`neurodyn.train.plot_history`); returns a matplotlib Figure."""
        from neurodyn.train._plot import plot_history

        return plot_history(self.history, title=self.provenance.get("title"))


# ---------------------------------------------------------------------- checkpoints


def _save_weights(model: nn.Module, path: Path, **meta) -> None:
    if isinstance(model, SequenceClassifier) and model.name in MODELS:
        atomic_write(path, lambda p: save_model(model, p, **meta))
    else:  # any other module: a bare state dict with a format tag
        blob = {"format": _STATE_FORMAT, "state_dict": model.state_dict(), "metadata": meta}
        atomic_write(path, lambda p: torch.save(blob, p))


def _load_weights(path: Path) -> tuple[dict, dict]:
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or "state_dict" not in blob:
        raise ValueError(f"{path} is not a neurodyn checkpoint (no state_dict entry).")
    return blob["state_dict"], dict(blob.get("metadata", {}))


def _write_history(out: Path, result: TrainResult) -> None:
    atomic_write(out / "history.json", lambda p: dump_json(result.to_dict(), p))


# ---------------------------------------------------------------------- fit


def _positive(v, name, kind=float):
    ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
    if not ok or (kind is int and int(v) != v):
        raise ValueError(f"fit: {name} must be a positive {kind.__name__}, got {v!r}.")
    return kind(v)


def _optimizer(model, name, lr, momentum, weight_decay):
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("fit: the model has no trainable parameters.")
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def _scheduler(opt, schedule, epochs):
    if schedule is None:
        return None
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))
    return torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.1)


def _model_info(model: nn.Module) -> dict:
    info = {"class": type(model).__name__, "parameters": count_parameters(model)}
    if isinstance(model, SequenceClassifier):
        info.update(name=model.name, options=model.options, kind=model.kind,
                    hidden_size=int(getattr(model.body, "hidden_size", 0)) or None)  # fmt: skip
    return info


def _task_info(ds) -> dict:
    info = {k: v for k, v in dict(getattr(ds, "info", {}) or {}).items() if k != "permutation"}
    return {
        "name": getattr(ds, "name", None),
        "seed": getattr(ds, "seed", None),
        "description": getattr(ds, "description", None),
        "sequences": len(ds.y),
        "info": info,
    }


def fit(
    model: nn.Module,
    train_ds,
    val_ds=None,
    *,
    epochs: int = 10,
    batch_size: int = 64,
    lr: float = 1e-3,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    schedule: str | None = None,
    clip: float | None = None,
    patience: int | None = None,
    seed: int = 0,
    out=None,
    resume: bool = False,
    monitors="default",
    callbacks=(),
    progress: bool = True,
    momentum: float = 0.9,
    provenance: dict | None = None,
    floss=None,
) -> TrainResult:
    """Train ``model`` on the sequences of ``train_ds``: cross-entropy on its logits (per step
    for a sequence-classification task), or the mean squared error for a regression task.

    Each epoch draws one permutation of the training set from a ``torch.Generator`` seeded
    with ``seed`` (``torch.manual_seed(seed)`` is also called once at the start, for noise in
    e.g. ``NoisyRNN``), takes ``batch_size`` sequences at a time straight from ``train_ds.x`` /
    ``train_ds.y``, clips the global gradient norm to ``clip`` and steps the optimizer; the
    learning rate schedule steps once per epoch. Epoch 0 evaluates the initial model. After
    every epoch the validation set is evaluated, the monitors run, the callbacks are called and
    (with ``out``) the checkpoints are written.

    Args:
        model: ``model(x (B, T, F)) -> logits (B, C)`` (``(B, T, C)`` per step, ``(B, 1)`` for
            regression: build it with ``kind=train_ds.kind``); a
            :class:`~neurodyn.train.SequenceClassifier` for monitors and ``save_model``
            checkpoints (other modules are saved as bare state dicts).
        train_ds, val_ds: :class:`~neurodyn.data.SequenceDataset` splits (``val_ds`` optional;
            needed for ``patience`` and used for the LE monitor's held-out sequences).
        epochs: number of passes over the training set (0: evaluate and monitor only).
        batch_size: sequences per step. lr: learning rate (> 0).
        optimizer: "adam" or "sgd" (with ``momentum``, default 0.9). weight_decay: L2 ≥ 0.
        schedule: None, "cosine" (``CosineAnnealingLR``, ``T_max=epochs``) or "step" (×0.1
            every ``max(1, epochs // 3)`` epochs).
        clip: max global gradient norm (``clip_grad_norm_``), or None.
        patience: early stopping — stop after ``patience`` epochs without a better validation
            metric (higher accuracy, lower MSE) and **restore the best epoch's weights**.
        seed: seeds the shuffling generator and ``torch.manual_seed``.
        out: checkpoint folder (created; see the module docstring), or None.
        resume: continue from ``out`` (``trainer.pt`` + ``last.pt``) if it holds a run, else
            start afresh. The options in ``_RESUME_KEYS`` must match the saved run; ``epochs``
            may be raised (not with the cosine schedule, whose length is ``epochs``).
        monitors: "default" (:class:`~neurodyn.train.Monitors`\\ ()), None (off), a dict of
            ``Monitors`` options or a ``Monitors``.
        callbacks: ``cb(epoch, model, row) -> dict | None``, called at epoch 0 and after every
            epoch; a returned dict (JSON-able) is merged into that epoch's row.
        progress: show a rich progress bar.
        provenance: extra entries for the provenance record (:func:`run` passes the task).
        floss: gradient flossing (Engelken 2023): None (off), k, a dict of
            :class:`~neurodyn.train.Floss` options or a ``Floss`` (its docstring says what is
            done when and what the history records).

    Returns:
        :class:`TrainResult`. Ctrl-C (``KeyboardInterrupt``, also raised by a callback) stops
        cleanly: the model is set back to the last finished epoch, which is what ``out``
        holds, and the result has ``stopped == "interrupted"``.

    Raises:
        DivergenceError: a non-finite loss or gradient norm, naming the epoch and batch (the
            last finished epoch stays in ``out``); lower ``lr`` or pass ``clip``.
        ValueError / TypeError: bad options or datasets, a resume whose options differ.

    Example:
        >>> from neurodyn.data import load
        >>> from neurodyn.train import build_model, fit
        >>> tr, va = load("digits", "train"), load("digits", "val")
        >>> m = build_model("gru", 1, 10, hidden_size=8, seed=0)
        >>> res = fit(m, tr, va, epochs=1, monitors=None, progress=False)
        >>> [row["epoch"] for row in res.history]
        [0, 1]
    """
    epochs = int(epochs)
    if epochs < 0:
        raise ValueError(f"fit: epochs must be ≥ 0, got {epochs}.")
    batch_size = _positive(batch_size, "batch_size", int)
    lr = _positive(lr, "lr")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"fit: optimizer must be one of {OPTIMIZERS}, got {optimizer!r}.")
    if schedule not in SCHEDULES:
        raise ValueError(f"fit: schedule must be one of {SCHEDULES}, got {schedule!r}.")
    if clip is not None:
        clip = _positive(clip, "clip")
    if not (isinstance(weight_decay, int | float) and weight_decay >= 0):
        raise ValueError(f"fit: weight_decay must be ≥ 0, got {weight_decay!r}.")
    if patience is not None:
        patience = _positive(patience, "patience", int)
        if val_ds is None:
            raise ValueError("fit: patience (early stopping) needs a validation set val_ds.")
    mon = resolve_monitors(monitors)
    fl = resolve_floss(floss, model)
    obj = objective(train_ds)
    if val_ds is not None and objective(val_ds).kind != obj.kind:
        raise ValueError(f"fit: train_ds is a {obj.kind} task but val_ds a "
                         f"{objective(val_ds).kind} task; pass splits of one task.")  # fmt: skip
    if isinstance(model, SequenceClassifier) and model.kind != obj.kind:
        raise ValueError(
            f"fit: the model is built for a {model.kind} task but the data is a {obj.kind} "
            f"task; build it with build_model(..., kind={obj.kind!r}) (or use neurodyn.train.run,"
            " which does)."
        )
    dtype = _dtype(model)
    X, Y = _data(train_ds, dtype)
    Xv = _data(val_ds, dtype)[0] if val_ds is not None else None
    with torch.no_grad():
        probe = model(X[:2])
    obj.check(probe, Y)
    key = obj.key
    x_held = Xv if Xv is not None else X
    options = {
        "epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": optimizer,
        "momentum": momentum, "weight_decay": float(weight_decay), "schedule": schedule,
        "clip": clip, "patience": patience, "seed": int(seed),
        "monitors": None if mon is None else mon.to_dict(),
        "floss": None if fl is None else fl.to_dict(),
    }  # fmt: skip
    out = None if out is None else claim_folder(out, "train-run", what="fit: out")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        mark_folder(out, "train-run")

    from neurodyn._core import provenance as _provenance

    prov = _provenance(model=_model_info(model), options=options, seed=int(seed))
    prov["task"] = _task_info(train_ds)
    prov["objective"] = {"kind": obj.kind, "loss": obj.loss_unit, "metric": obj.metric}
    prov.update(provenance or {})

    torch.manual_seed(int(seed))
    gen = torch.Generator().manual_seed(int(seed))
    opt = _optimizer(model, optimizer, lr, momentum, float(weight_decay))
    sched = _scheduler(opt, schedule, epochs)
    result = TrainResult(history=[], model=model, provenance=prov, out=out, metric=obj.metric)
    best_state = None
    bad_epochs = 0
    start = 0

    if resume and out is not None and (out / "trainer.pt").exists():
        state = torch.load(out / "trainer.pt", map_location="cpu", weights_only=True)
        if state.get("format") != _TRAINER_FORMAT:
            raise ValueError(f"{out / 'trainer.pt'} is not a neurodyn trainer state.")
        saved = state["options"]
        diff = [k for k in _RESUME_KEYS if saved.get(k) != options[k]]
        if schedule == "cosine" and saved.get("epochs") != epochs:
            diff.append("epochs (the cosine schedule's length)")
        if diff:
            raise ValueError(
                f"fit: cannot resume from {out}: {', '.join(diff)} differ from the saved run "
                f"({ {k: saved.get(k) for k in _RESUME_KEYS} }); pass the same options or a "
                "new out folder."
            )
        weights, meta = _load_weights(out / "last.pt")
        if meta.get("epoch") != state["epoch"]:
            raise ValueError(
                f"fit: {out}/last.pt is from epoch {meta.get('epoch')} but trainer.pt from "
                f"epoch {state['epoch']} (a crash between the two writes?); delete {out} or "
                "resume from a consistent copy."
            )
        model.load_state_dict(weights)
        opt.load_state_dict(state["optimizer"])
        if sched is not None:
            sched.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        gen.set_state(state["shuffle_rng"])
        result.history = list(state["history"])
        result.best_epoch, result.best_val_acc = state["best_epoch"], state["best_val_acc"]
        result.best_val_mse = state.get("best_val_mse")
        result.provenance = {**state["provenance"], "resumed_at_epoch": [
            *state["provenance"].get("resumed_at_epoch", []), int(state["epoch"])]}  # fmt: skip
        bad_epochs, start = int(state["bad_epochs"]), int(state["epoch"]) + 1
        if (out / "best.pt").exists():
            best_state = _load_weights(out / "best.pt")[0]
        if state["stopped"] == "early_stopping":
            result.stopped, start = "early_stopping", epochs + 1

    last_state = copy.deepcopy(model.state_dict())
    n, nb = len(Y), math.ceil(len(Y) / batch_size)
    bar = _Bar(progress, total=nb * epochs, done=nb * max(0, start - 1))

    def finish_epoch(epoch: int, row: dict) -> None:
        nonlocal best_state, bad_epochs, last_state
        mrow, objs = run_monitors(mon, model, epoch, epochs, x_held)
        row.update(mrow)
        if objs:
            result.monitor_results[epoch] = objs
        for cb in callbacks:
            extra = cb(epoch, model, row)
            if extra:
                row.update(extra)
        result.history.append(row)
        val = row[f"val_{key}"]
        improved = val is not None and obj.better(val, result.best_val)
        if improved:
            result.best_epoch, bad_epochs = epoch, 0
            if obj.metric == "mse":
                result.best_val_mse = val
            else:
                result.best_val_acc = val
            best_state = copy.deepcopy(model.state_dict())
        elif val is not None:
            bad_epochs += 1
        else:
            result.best_epoch = epoch
        if patience is not None and bad_epochs >= patience:
            result.stopped = "early_stopping"
        last_state = copy.deepcopy(model.state_dict())
        if out is not None:
            meta = {
                "epoch": epoch,
                f"val_{key}": val,
                "provenance": _plain(_meta_prov(result)),
            }
            if improved:
                _save_weights(model, out / "best.pt", **meta)
            _save_weights(model, out / "last.pt", **meta)
            trainer = {
                "format": _TRAINER_FORMAT, "epoch": epoch, "options": _plain(options),
                "optimizer": opt.state_dict(),
                "scheduler": None if sched is None else sched.state_dict(),
                "torch_rng": torch.get_rng_state(), "shuffle_rng": gen.get_state(),
                "history": result.history, "best_epoch": result.best_epoch,
                "best_val_acc": result.best_val_acc, "best_val_mse": result.best_val_mse,
                "bad_epochs": bad_epochs,
                "stopped": result.stopped, "provenance": _plain(result.provenance),
            }  # fmt: skip
            atomic_write(out / "trainer.pt", lambda p: torch.save(trainer, p))
            _write_history(out, result)

    try:
        if start == 0:
            floss_row = (
                {}
                if fl is None
                else floss_before_training(
                    model,
                    X,
                    fl,
                    lambda: _optimizer(model, optimizer, lr, momentum, float(weight_decay)),
                    clip,
                    seed,
                    lambda v, what, i: _diverged(what, v, 0, i, fl.before, lr, clip, out),
                )
            )
            ev = evaluate(model, train_ds)
            va = evaluate(model, val_ds) if val_ds is not None else None
            row = {
                "epoch": 0, "train_loss": ev["loss"], f"train_{key}": ev[obj.metric],
                "val_loss": va and va["loss"], f"val_{key}": va and va[obj.metric],
                "lr": opt.param_groups[0]["lr"], "grad_norm": None, "seconds": 0.0,
                **floss_row,
            }  # fmt: skip
            finish_epoch(0, row)
            start = 1
        params = [p for p in model.parameters() if p.requires_grad]
        for epoch in range(start, epochs + 1):
            if result.stopped == "early_stopping":
                break
            t0 = time.perf_counter()
            model.train()
            lr_now = opt.param_groups[0]["lr"]
            perm = torch.randperm(n, generator=gen)
            tot, score, gmax = 0.0, 0.0, 0.0
            stats = FlossStats()
            for b in range(nb):
                idx = perm[b * batch_size : (b + 1) * batch_size]
                xb, yb = X[idx], Y[idx]
                opt.zero_grad(set_to_none=True)
                out_b = model(xb)
                loss = obj.loss(out_b, yb)
                lval = float(loss.detach())
                if not math.isfinite(lval):
                    raise _diverged("loss", lval, epoch, b, nb, lr_now, clip, out)
                if fl is not None and fl.every is not None and b % fl.every == 0:
                    f_loss = stats.term(model, xb, fl)
                    if not math.isfinite(stats.losses[-1]):
                        raise _diverged("flossing loss", stats.losses[-1], epoch, b, nb, lr_now,
                                        clip, out)  # fmt: skip
                    loss = loss + f_loss
                loss.backward()
                gn = float(nn.utils.clip_grad_norm_(params, clip if clip else math.inf))
                if not math.isfinite(gn):
                    raise _diverged("gradient norm", gn, epoch, b, nb, lr_now, clip, out)
                opt.step()
                gmax = max(gmax, gn)
                tot += lval * len(idx)
                score += obj.score(out_b.detach(), yb)
                bar.advance(
                    f"epoch {epoch}/{epochs} loss {tot / ((b * batch_size) + len(idx)):.3f}"
                )
            if sched is not None:
                sched.step()
            seconds = time.perf_counter() - t0
            va = evaluate(model, val_ds) if val_ds is not None else None
            row = {
                "epoch": epoch, "train_loss": tot / n, f"train_{key}": score / n,
                "val_loss": va and va["loss"], f"val_{key}": va and va[obj.metric],
                "lr": lr_now, "grad_norm": gmax, "seconds": seconds,
                **({} if fl is None else stats.row()),
            }  # fmt: skip
            finish_epoch(epoch, row)
            if va is not None:
                bar.describe(f"epoch {epoch}/{epochs} val {key} {va[obj.metric]:.3f}")
    except KeyboardInterrupt:
        model.load_state_dict(last_state)
        result.stopped = "interrupted"
    finally:
        bar.close()
    if result.stopped == "early_stopping" and best_state is not None:
        model.load_state_dict(best_state)
        result.restored_best = True
    if out is not None:
        _write_history(out, result)
    return result


def _meta_prov(result: TrainResult) -> dict:
    p = result.provenance
    return {k: p.get(k) for k in ("model", "task", "options", "seed", "versions")}


def _diverged(what, value, epoch, b, nb, lr, clip, out) -> DivergenceError:
    saved = f"; the last finished epoch ({epoch - 1}) is saved in {out}" if out else ""
    hint = "lower lr" + ("" if clip else " or clip gradients (clip=1.0)")
    return DivergenceError(
        f"training diverged: non-finite {what} ({value}) at epoch {epoch}, batch {b + 1}/{nb} "
        f"with lr={lr:g}{'' if clip is None else f', clip={clip:g}'}; {hint}{saved}.",
        step=(epoch - 1) * nb + b + 1,
        what=what,
    )


# ---------------------------------------------------------------------- run

#: the fit options a recipe sets (the keys of ``Recipe.fit_options`` but epochs)
_FIT_OPTION_KEYS = ("batch_size", "lr", "optimizer", "schedule", "clip", "patience",
                    "weight_decay")  # fmt: skip


def run(
    model="lstm",
    task: str = "digits-permuted",
    *,
    epochs: int | None = None,
    seed: int = 0,
    out=None,
    hidden_size: int | None = None,
    params: int | None = None,
    model_options: dict | None = None,
    task_options: dict | None = None,
    init_scale: float | None = None,
    recipe: bool = True,
    **fit_kwargs,
) -> TrainResult:
    """Load a task, build a model, :func:`fit` it with the recipe for the pair and evaluate the
    test split.

    Every :func:`fit` option and model option not given comes from
    :func:`~neurodyn.train.recipe` (``recipe(model, task)``: epochs, batch, learning rate,
    schedule, clipping, early stopping, and a cell's time-scale option such as ``dt``; docs/
    train.md, "Recipes"); what is given overrides it. The values used and which were
    overridden are recorded in ``provenance["recipe"]``.

    Args:
        model: a name in :data:`~neurodyn.train.MODELS` (or an already built module, then
            ``hidden_size``/``params``/``model_options`` must be left out).
        task: a name in :data:`neurodyn.data.TASKS`; its train / val / test splits of ``seed``
            are loaded with ``task_options``.
        epochs, seed, out: as :func:`fit` (``seed`` also splits the data and builds the model);
            ``epochs=None``: the recipe's.
        hidden_size / params: the width, or a target parameter count (default: hidden size
            :data:`DEFAULT_HIDDEN` = 64).
        model_options: passed to the model (e.g. ``{"beta_a": 0.8}`` for "lipschitz").
        init_scale: p: the recurrent weights drawn from U[−p, p]
            (:func:`~neurodyn.train.build_model`; the same as ``model_options={"init_scale":
            p}``, here so that it is a sweep grid key).
        recipe: False: no recipe; what is not given is :func:`fit`'s and the model's own
            default (10 epochs, Adam 1e-3, no schedule, no clipping).
        **fit_kwargs: the rest of :func:`fit`'s options (a ``provenance`` dict is merged into
            the provenance record, e.g. ``{"command": sys.argv}``).

    The model is built for the task's kind (``kind=``, ``num_classes=`` the task's
    ``output_size``): a last-step readout, a per-step readout, or one number for regression.

    Returns:
        :class:`TrainResult` with ``test = {"loss", "accuracy"}`` (regression: ``{"loss",
        "mse"}``) of the final model (the best epoch's with ``patience``), also written to
        ``out/history.json``.

    Example:
        >>> from neurodyn.train import run
        >>> res = run("gru", "digits", epochs=1, hidden_size=8, monitors=None, progress=False)
        >>> sorted(res.test)
        ['accuracy', 'loss']
    """
    from neurodyn.data import load
    from neurodyn.train._models import build_model
    from neurodyn.train._recipes import planned_epochs
    from neurodyn.train._recipes import recipe as _recipe

    if out is not None:  # before the data is loaded (fit checks it again)
        claim_folder(out, "train-run", what="run: out")
    given = sorted(k for k in fit_kwargs if k in _FIT_OPTION_KEYS)
    given += ["epochs"] if epochs is not None else []
    rec = None
    if recipe:
        rec = _recipe(None if isinstance(model, nn.Module) else model, task)
        fit_kwargs = {**{k: v for k, v in rec.fit_options.items() if k != "epochs"},
                      **fit_kwargs}  # fmt: skip
    epochs = planned_epochs(None if isinstance(model, nn.Module) else model, task, epochs, recipe)
    topt = dict(task_options or {})
    splits = {s: load(task, s, seed=int(seed), **topt) for s in ("train", "val", "test")}
    tr = splits["train"]
    mopts = dict(model_options or {})
    if init_scale is not None:
        if "init_scale" in mopts:
            raise ValueError("run: init_scale is given twice (and in model_options); give one.")
        mopts["init_scale"] = init_scale
    if rec is not None and not isinstance(model, nn.Module):
        given += [f"model_options.{k}" for k in rec.model_options if k in mopts]
        mopts = {**rec.model_options, **mopts}
    if isinstance(model, nn.Module):
        if hidden_size is not None or params is not None or mopts:
            raise ValueError("run: hidden_size, params, model_options and init_scale are for a "
                             "model name.")  # fmt: skip
        net = model
    else:
        if hidden_size is None and params is None:
            hidden_size = DEFAULT_HIDDEN
        kind = getattr(tr, "kind", "classification")
        net = build_model(model, tr.input_size, tr.output_size, hidden_size=hidden_size,
                          params=params, seed=int(seed), kind=kind, **mopts)  # fmt: skip
    prov = {"task": {**_task_info(tr), "options": topt},
            "title": f"{getattr(net, 'name', type(net).__name__)} on {task}"}  # fmt: skip
    prov["recipe"] = None if rec is None else {**rec.to_dict(), "overridden": sorted(given)}
    prov.update(fit_kwargs.pop("provenance", None) or {})
    result = fit(net, tr, splits["val"], epochs=epochs, seed=seed, out=out, provenance=prov,
                 **fit_kwargs)  # fmt: skip
    if result.stopped != "interrupted":
        result.test = evaluate(result.model, splits["test"])
        if result.out is not None:
            _write_history(result.out, result)
    return result
