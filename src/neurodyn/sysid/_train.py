"""Identification: multi-step (N-step) prediction training with Adam and early stopping."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from neurodyn._core import notify
from neurodyn.data import SysIdData, Trajectories
from neurodyn.sysid._models import NeuralSSM

__all__ = ["Evaluation", "FitResult", "evaluate", "fit", "windows"]


def windows(traj: Trajectories, norm, horizon: int, *, stride: int = 1, dtype=torch.float64):
    """All length-``horizon`` windows of a split, normalised: ``(W, N + 1, n)``, ``(W, N, m)``.

    Raises:
        ValueError: ``horizon`` longer than the trajectories.
    """
    T = traj.u.shape[1]
    if not 1 <= horizon <= T:
        raise ValueError(f"horizon must be in [1, {T}] (the trajectory length), got {horizon}.")
    x, u = norm.x(traj.x), norm.u(traj.u)
    starts = np.arange(0, T - horizon + 1, stride)
    xw = np.stack([x[:, s : s + horizon + 1] for s in starts], axis=1).reshape(
        -1, horizon + 1, x.shape[-1]
    )
    uw = np.stack([u[:, s : s + horizon] for s in starts], axis=1).reshape(-1, horizon, u.shape[-1])
    return torch.as_tensor(xw, dtype=dtype), torch.as_tensor(uw, dtype=dtype)


def _nstep_mse(model: NeuralSSM, xw: Tensor, uw: Tensor) -> Tensor:
    pred = model.rollout(xw[:, 0], uw)
    return ((pred[:, 1:] - xw[:, 1:]) ** 2).mean()


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` did: losses per epoch (normalised N-step MSE), the best epoch, timing."""

    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    best_epoch: int
    best_val: float
    horizon: int
    seconds: float
    stopped_early: bool

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / max(1, self.epochs)

    def __repr__(self) -> str:
        return (
            f"FitResult(epochs={self.epochs}, best_epoch={self.best_epoch}, "
            f"best_val={self.best_val:.3g}, {self.seconds_per_epoch * 1e3:.1f} ms/epoch)"
        )

    def to_dict(self) -> dict:
        return {
            "train_loss": list(self.train_loss),
            "val_loss": list(self.val_loss),
            "best_epoch": self.best_epoch,
            "best_val": self.best_val,
            "horizon": self.horizon,
            "seconds": self.seconds,
            "seconds_per_epoch": self.seconds_per_epoch,
            "stopped_early": self.stopped_early,
        }


def fit(
    model: NeuralSSM,
    data: SysIdData,
    *,
    horizon: int = 10,
    epochs: int = 200,
    lr: float = 3e-3,
    batch_size: int = 128,
    patience: int = 30,
    stride: int = 1,
    seed: int = 0,
    progress=None,
) -> FitResult:
    """Train ``model`` on N-step open-loop rollouts of the training split, Adam, early stopping.

    Loss: the mean squared error of x̂_{s+1..s+N} rolled out from the true x_s through the true
    inputs, in normalised coordinates, over every window of the training trajectories. After
    every epoch the same loss on the validation split is computed; training stops after
    ``patience`` epochs without improvement and the best weights are restored. The data's
    :class:`~neurodyn.data.Normalizer` is attached as ``model.normalizer``.

    Args:
        model: a :class:`NeuralSSM` of the data's n and m.
        data: :func:`neurodyn.data.trajectories` output.
        horizon: N, the prediction horizon of the loss.
        epochs, lr, batch_size, patience: optimisation (Adam).
        stride: spacing of the window starts.
        seed: seeds the minibatch order.
        progress: a ``progress(done, total)`` callable (neurodyn's progress protocol).

    Returns:
        :class:`FitResult`.

    Raises:
        ValueError: model and data dimensions differ; a non-finite loss (the step is named).
    """
    n, m = data.train.x.shape[-1], data.train.u.shape[-1]
    if (model.n, model.m) != (n, m):
        raise ValueError(f"model is (n={model.n}, m={model.m}) but the data is (n={n}, m={m}).")
    dtype = model.dtype
    xw, uw = windows(data.train, data.norm, horizon, stride=stride, dtype=dtype)
    xv, uv = windows(data.val, data.norm, horizon, stride=stride, dtype=dtype)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    best, best_state, best_epoch, bad = float("inf"), copy.deepcopy(model.state_dict()), -1, 0
    tr_hist: list[float] = []
    va_hist: list[float] = []
    stopped = False
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(xw.shape[0], generator=gen)
        total = 0.0
        for i in range(0, xw.shape[0], batch_size):
            idx = perm[i : i + batch_size]
            loss = _nstep_mse(model, xw[idx], uw[idx])
            if not torch.isfinite(loss):
                raise ValueError(
                    f"fit: the loss became {float(loss)} at epoch {epoch}; lower lr (now {lr})."
                )
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * idx.numel()
        model.eval()
        with torch.no_grad():
            val = float(_nstep_mse(model, xv, uv))
        tr_hist.append(total / xw.shape[0])
        va_hist.append(val)
        if val < best:
            best, best_epoch, bad = val, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            bad += 1
        notify(progress, epoch + 1, epochs)
        if bad >= patience:
            stopped = True
            break
    seconds = time.perf_counter() - t0
    model.load_state_dict(best_state)
    model.normalizer = data.norm
    return FitResult(tuple(tr_hist), tuple(va_hist), best_epoch, best, horizon, seconds, stopped)


@dataclass(frozen=True)
class Evaluation:
    """Held-out prediction errors, normalised units (1 ≈ predicting the mean).

    Attributes:
        nstep_mse: mean squared N-step prediction error over every window of the split.
        open_loop_mse: mean squared error of one rollout over each whole trajectory from its
            true x₀ through its inputs only.
        open_loop_max: the largest absolute error of those rollouts.
    """

    split: str
    horizon: int
    nstep_mse: float
    open_loop_mse: float
    open_loop_max: float

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@torch.no_grad()
def evaluate(model: NeuralSSM, data: SysIdData, *, split: str = "test", horizon: int = 10):
    """N-step and whole-trajectory open-loop errors of ``model`` on a split of ``data``."""
    traj = getattr(data, split)
    xw, uw = windows(traj, data.norm, horizon, dtype=model.dtype)
    nstep = float(_nstep_mse(model, xw, uw))
    x = torch.as_tensor(data.norm.x(traj.x), dtype=model.dtype)
    u = torch.as_tensor(data.norm.u(traj.u), dtype=model.dtype)
    err = model.rollout(x[:, 0], u) - x
    return Evaluation(split, horizon, nstep, float((err**2).mean()), float(err.abs().max()))
