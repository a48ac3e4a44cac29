"""What the trainer minimises and reports, by task kind (``neurodyn.data.KINDS``).

============================  ==========================  ======================  ===========
kind                          model output                loss                    metric
============================  ==========================  ======================  ===========
``classification``            logits ``(B, C)``           cross-entropy, nats     accuracy
                                                          per sequence
``sequence-classification``   logits ``(B, T, C)``        cross-entropy, nats     accuracy
                                                          per step (mean over     per step
                                                          all T steps)
``regression``                ``(B, 1)``                  mean squared error      MSE
``sequence-regression``       ``(B, T, D)``               mean squared error per  MSE
                                                          step (mean over all
                                                          T steps and D outputs)
============================  ==========================  ======================  ===========

The history of :func:`~neurodyn.train.fit` names the metric in its keys: ``train_acc`` /
``val_acc`` (accuracy, higher is better) or ``train_mse`` / ``val_mse`` (MSE, lower is better).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["KINDS", "Objective", "evaluate", "objective"]

#: the task kinds (the same tuple as ``neurodyn.data.KINDS``; train does not import data)
KINDS = ("classification", "regression", "sequence-classification", "sequence-regression")
_REGRESSION = ("regression", "sequence-regression")


@dataclass(frozen=True)
class Objective:
    """Loss and metric of one task kind.

    Attributes:
        kind: one of :data:`KINDS`.
        metric: ``"accuracy"`` or ``"mse"``; ``key`` its short name in the history
            (``"acc"`` / ``"mse"``); ``higher_is_better``: accuracy yes, MSE no.
        loss_unit: what the loss is, in words (for reports).
    """

    kind: str

    @property
    def metric(self) -> str:
        return "mse" if self.kind in _REGRESSION else "accuracy"

    @property
    def key(self) -> str:
        return "mse" if self.kind in _REGRESSION else "acc"

    @property
    def higher_is_better(self) -> bool:
        return self.kind not in _REGRESSION

    @property
    def loss_unit(self) -> str:
        return {
            "classification": "cross-entropy, nats per sequence",
            "sequence-classification": "cross-entropy, nats per step (mean over all steps)",
            "regression": "mean squared error",
            "sequence-regression": "mean squared error per step (mean over all steps and outputs)",
        }[self.kind]

    def better(self, new: float, old: float | None) -> bool:
        """Whether validation score ``new`` improves on ``old`` (None: nothing yet)."""
        return old is None or (new > old if self.higher_is_better else new < old)

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        """Mean loss of a batch (the training objective)."""
        if self.kind == "classification":
            return F.cross_entropy(out, y)
        if self.kind == "sequence-classification":
            return F.cross_entropy(out.flatten(0, 1), y.flatten())
        if self.kind == "sequence-regression":
            return F.mse_loss(out, y)
        return F.mse_loss(out.reshape(y.shape), y)

    def loss_sum(self, out: Tensor, y: Tensor) -> float:
        """Sum over the batch's sequences of the per-sequence loss (``/ N``: the mean loss)."""
        if self.kind == "classification":
            return float(F.cross_entropy(out, y, reduction="sum"))
        if self.kind == "sequence-classification":
            ce = F.cross_entropy(out.flatten(0, 1), y.flatten(), reduction="sum")
            return float(ce) / y.shape[1]
        if self.kind == "sequence-regression":
            return float(F.mse_loss(out, y, reduction="sum")) / (y.shape[1] * y.shape[2])
        return float(F.mse_loss(out.reshape(y.shape), y, reduction="sum"))

    def score(self, out: Tensor, y: Tensor) -> float:
        """Sum over the batch's sequences of the per-sequence metric (correct: 1/0, the fraction
        of correct steps, or the squared error), so that ``score / N`` is the metric."""
        if self.kind == "classification":
            return float((out.argmax(1) == y).sum())
        if self.kind == "sequence-classification":
            return float((out.argmax(2) == y).float().mean(1).sum())
        if self.kind == "sequence-regression":
            return float(((out - y) ** 2).mean((1, 2)).sum())
        return float(((out.reshape(y.shape) - y) ** 2).sum())

    def check(self, probe: Tensor, y: Tensor, where: str = "fit") -> None:
        """Raise ValueError when the model's output ``probe`` (for 2 sequences) does not fit
        targets ``y`` (all of them: the largest label must have a logit)."""
        build = "build_model(name, input_size, num_classes, kind=...)"
        if self.kind == "regression":
            if probe.dim() != 2 or probe.shape[1] != 1:
                raise ValueError(
                    f"{where}: a regression task needs outputs of shape (B, 1), the model gives "
                    f"{tuple(probe.shape)} for 2 sequences; build it with num_classes=1 and "
                    f"kind='regression' ({build})."
                )
            return
        if self.kind == "sequence-regression":
            if probe.shape[1:] != y.shape[1:]:
                raise ValueError(
                    f"{where}: a sequence-regression task needs outputs of shape (B, "
                    f"{y.shape[1]}, {y.shape[2]}), one vector per step; the model gives "
                    f"{tuple(probe.shape)} for 2 sequences; build it with num_classes="
                    f"{y.shape[2]} and kind='sequence-regression' ({build})."
                )
            return
        per_step = self.kind == "sequence-classification"
        dim = 3 if per_step else 2
        if probe.dim() != dim or (per_step and probe.shape[1] != y.shape[1]):
            shape = f"(B, {y.shape[1]}, C), one per step" if per_step else "(B, C)"
            raise ValueError(
                f"{where}: a {self.kind} task needs logits of shape {shape}; the model gives "
                f"{tuple(probe.shape)} for 2 sequences; build it with kind={self.kind!r} "
                f"({build})."
            )
        if probe.shape[-1] <= int(y.max()):
            raise ValueError(
                f"{where}: the model gives logits of shape {tuple(probe.shape)} for 2 sequences "
                f"but the labels go up to {int(y.max())}; build it with "
                f"num_classes={int(y.max()) + 1} or more ({build})."
            )


def objective(dataset) -> Objective:
    """The :class:`Objective` of ``dataset``'s kind (``dataset.kind``; classification when the
    dataset does not say)."""
    kind = getattr(dataset, "kind", "classification")
    if kind not in KINDS:
        raise ValueError(f"dataset kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    return Objective(kind)


def data(ds, dtype) -> tuple[Tensor, Tensor]:
    """``(x, y)`` of a dataset, checked against its kind; x cast to ``dtype``."""
    x, y = getattr(ds, "x", None), getattr(ds, "y", None)
    if not isinstance(x, Tensor) or not isinstance(y, Tensor):
        raise TypeError(
            f"expected a dataset with tensors .x (N, T, F) and .y (N,) (a "
            f"neurodyn.data.SequenceDataset from neurodyn.data.load), got {type(ds).__name__}."
        )
    obj = objective(ds)
    want = {"sequence-classification": "(N, T)", "sequence-regression": "(N, T, D)"}
    want = want.get(obj.kind, "(N,)")
    ok = x.dim() == 3 and len(x) == len(y) and len(y) > 0
    if obj.kind == "sequence-regression":
        ok = ok and y.dim() == 3 and y.shape[:2] == x.shape[:2]
    else:
        per_step = obj.kind == "sequence-classification"
        ok = ok and (y.shape == x.shape[:2] if per_step else y.dim() == 1)
    if not ok:
        raise ValueError(
            f"dataset needs x (N, T, F) and y {want} with N ≥ 1 for a {obj.kind} task, got "
            f"{tuple(x.shape)}, {tuple(y.shape)}."
        )
    return x.to(dtype), (y.to(dtype) if obj.kind in _REGRESSION else y.long())


def dtype_of(model: nn.Module) -> torch.dtype:
    p = next(iter(model.parameters()), None)
    return torch.float32 if p is None else p.dtype


def evaluate(model: nn.Module, dataset, batch_size: int = 256) -> dict:
    """Mean loss and the metric of ``model`` on ``dataset`` (in eval mode, no grad).

    Args:
        model: ``model(x (B, T, F))`` -> logits ``(B, C)`` (classification), ``(B, T, C)``
            (sequence-classification), ``(B, 1)`` (regression) or ``(B, T, D)``
            (sequence-regression), by ``dataset.kind``.
        dataset: a :class:`~neurodyn.data.SequenceDataset` (or any object with ``x`` and ``y``;
            without ``kind``: classification).
        batch_size: sequences per forward pass (memory only; the result does not depend on it
            beyond float rounding).

    Returns:
        ``{"loss": float, "accuracy": float in [0, 1]}`` for the classification kinds (loss in
        nats per sequence, or per step for sequence-classification; accuracy per step there),
        ``{"loss": float, "mse": float}`` (the same number) for the regression kinds (per step
        for sequence-regression). The model's
        train/eval mode is restored afterwards.
    """
    obj = objective(dataset)
    x, y = data(dataset, dtype_of(model))
    was = model.training
    model.eval()
    total, score = 0.0, 0.0
    try:
        with torch.no_grad():
            for i in range(0, len(y), int(batch_size)):
                out = model(x[i : i + batch_size])
                yb = y[i : i + batch_size]
                total += obj.loss_sum(out, yb)
                score += obj.score(out, yb)
    finally:
        model.train(was)
    return {"loss": total / len(y), obj.metric: score / len(y)}
