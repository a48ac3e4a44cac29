"""Sequence-classification tasks that ship offline, behind one loader: ``load(name, split, seed)``.

Each task is a function returning every example of the task, ``(X, y)`` with ``X`` of shape
``(N, T, F)`` float32 and ``y`` ``(N,)`` integer labels, plus a description; :func:`load` splits it
deterministically (stratified, by ``seed``) into train / val / test and wraps the split in a
:class:`SequenceDataset`. Nothing here downloads: every source is a file installed with a package
(scikit-learn's digits) or generated locally.

Tasks (:data:`TASKS`):

* ``"digits"``: scikit-learn's bundled 8×8 digits (1,797 images), read pixel by pixel as a
  64-step sequence of one feature, scaled to [0, 1].
* ``"digits-permuted"``: the same sequences under one fixed pixel permutation (drawn once from a
  generator seeded with ``permutation_seed``, default 0, independent of the split ``seed``), as
  in the permuted sequential MNIST of Le et al. 2015 used by Kozachkov et al. 2022 and
  Erichson et al. 2021.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

__all__ = ["SPLITS", "TASKS", "SequenceDataset", "TaskData", "load", "register_task"]

#: split names and their fractions of the task's examples (stratified by label)
SPLITS: dict[str, float] = {"train": 0.7, "val": 0.15, "test": 0.15}


@dataclass(frozen=True)
class TaskData:
    """Every example of a task before splitting: ``x (N, T, F)`` float32, ``y (N,)`` int64."""

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    description: str
    info: dict = field(default_factory=dict)


class SequenceDataset(Dataset):
    """One split of a sequence-classification task: items ``(sequence (T, F) float32, label)``.

    Attributes:
        x: ``(N, T, F)`` float32 tensor of all sequences of the split (batch-first).
        y: ``(N,)`` int64 labels in ``[0, num_classes)``.
        name, split, seed: what :func:`load` was asked for.
        num_classes, seq_len (T), input_size (F), description, info (source, permutation, ...).
    """

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        *,
        name: str,
        split: str,
        seed: int,
        num_classes: int,
        description: str,
        info: dict | None = None,
    ):
        if x.dim() != 3 or y.dim() != 1 or x.shape[0] != y.shape[0]:
            raise ValueError(
                f"expected x (N, T, F) and y (N,), got {tuple(x.shape)}, {tuple(y.shape)}"
            )
        self.x, self.y = x, y
        self.name, self.split, self.seed = name, split, int(seed)
        self.num_classes, self.description = int(num_classes), description
        self.info = dict(info or {})

    @property
    def seq_len(self) -> int:
        return int(self.x.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.x.shape[2])

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def __getitem__(self, i) -> tuple[Tensor, Tensor]:
        return self.x[i], self.y[i]

    def __repr__(self) -> str:
        return (
            f"SequenceDataset({self.name!r}, split={self.split!r}, seed={self.seed}: "
            f"{len(self)} sequences of {self.seq_len}×{self.input_size}, "
            f"{self.num_classes} classes)"
        )


#: name -> function(**options) returning the whole task as :class:`TaskData`
TASKS: dict[str, Callable[..., TaskData]] = {}


def register_task(name: str):
    """Decorator adding a task builder to :data:`TASKS` under ``name``."""

    def deco(fn):
        TASKS[name] = fn
        return fn

    return deco


def _digits_pixels() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    d = load_digits()
    x = (d.data.astype(np.float32) / 16.0)[:, :, None]  # (1797, 64, 1), row-major pixel order
    return x, d.target.astype(np.int64)


@register_task("digits")
def _digits() -> TaskData:
    x, y = _digits_pixels()
    return TaskData(
        x,
        y,
        10,
        "scikit-learn digits, 8×8 pixels read row by row (T=64, F=1)",
        {"source": "sklearn.datasets.load_digits"},
    )


@register_task("digits-permuted")
def _digits_permuted(permutation_seed: int = 0) -> TaskData:
    x, y = _digits_pixels()
    perm = np.random.default_rng(permutation_seed).permutation(x.shape[1])
    return TaskData(
        x[:, perm],
        y,
        10,
        "scikit-learn digits, pixels in a fixed random order "
        f"(permutation_seed={permutation_seed}; T=64, F=1)",
        {
            "source": "sklearn.datasets.load_digits",
            "permutation": perm.tolist(),
            "permutation_seed": int(permutation_seed),
        },
    )


def _split_indices(y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Stratified, seeded train / val / test indices (each class split in SPLITS' fractions)."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    fr = np.cumsum([SPLITS[s] for s in SPLITS])
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        cuts = np.round(fr[:-1] * len(idx)).astype(int)
        for s, chunk in zip(SPLITS, np.split(idx, cuts), strict=True):
            parts[s].append(chunk)
    return {s: rng.permutation(np.concatenate(v)) for s, v in parts.items()}


def load(name: str, split: str = "train", seed: int = 0, **options) -> SequenceDataset:
    """One split of an offline sequence-classification task (module docstring lists them).

    Args:
        name: a key of :data:`TASKS` (``"digits"``, ``"digits-permuted"``, ...).
        split: ``"train"`` (70 %), ``"val"`` (15 %) or ``"test"`` (15 %), stratified by label;
            the three splits of one ``seed`` are disjoint and together cover the task.
        seed: the split's seed; the same ``(name, seed, options)`` always gives the same split.
        **options: the task's own settings (e.g. ``permutation_seed`` for ``"digits-permuted"``).

    Returns:
        A :class:`SequenceDataset` of ``(sequence (T, F) float32, label int64)``.

    Example:
        >>> from neurodyn.data import load
        >>> ds = load("digits-permuted", "train", seed=0)
        >>> ds.x.shape, ds.num_classes
        (torch.Size([1258, 64, 1]), 10)
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}.")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}.")
    task = TASKS[name](**options)
    idx = _split_indices(task.y, int(seed))[split]
    x = torch.from_numpy(np.ascontiguousarray(task.x[idx], dtype=np.float32))
    y = torch.from_numpy(task.y[idx].astype(np.int64))
    return SequenceDataset(
        x,
        y,
        name=name,
        split=split,
        seed=seed,
        num_classes=task.num_classes,
        description=task.description,
        info={**task.info, **options},
    )
