"""Next-step prediction tasks, offline and deterministic (registered in :data:`TASKS`).

They stand in for the two tasks of Vogt, dissertation, §2.6 whose data is not offline: the
CharRNN task on Tolstoy's *War and Peace* and the CMU motion-capture signal task.

* ``"pydoc-chars"`` [``length=100, max_chars=None``]: next-character prediction on the Python
  documentation that ships with the interpreter (``pydoc_data.topics``, the text of
  ``help()``: about 465,000 characters of English prose and code in Python 3.11; PSF License
  Version 2, see docs/data.md). The topics are joined in sorted order of their names, each
  followed by a newline. The text is cut into disjoint windows of ``length + 1`` characters
  (as the dissertation's CharRNN data, §3.4.2: sequences of l = 101 characters); the input is
  the one-hot code of the first ``length`` characters ``(T, 97)``, the target the index of the
  next character at every step (``y[t] = c[t + 1]``): a sequence-classification task, loss the
  cross-entropy per character. Splits are contiguous blocks of windows in text order
  (70 / 15 / 15 %), so validation text was never seen in training.
* ``"lorenz96"`` [``n=8, forcing=8.0, dt=0.1, length=100, num_samples=2000,
  generator_seed=0``]: next-step prediction of the Lorenz-96 ring
  (:class:`neurodyn.systems.Lorenz96`, integrated here by RK4 steps of 0.01 time units),
  sampled every ``dt``: ``num_samples`` independent trajectories, each started at F plus
  N(0, 0.01²) noise from ``numpy.random.default_rng(generator_seed)`` and run 20 time units
  onto the attractor before its ``length + 1`` samples are kept; input ``(T, n)`` the
  normalised state at steps 0..T−1, target ``(T, n)`` the state at steps 1..T (``y[t] =
  x[t + 1]``): a sequence-regression task, loss the MSE per step and channel. Normalised by
  one mean and one standard deviation pooled over all samples and channels (the ring is
  symmetric under rotation, so every channel has the same statistics).

The vocabulary (:data:`CHAR_VOCAB`): index 0 is the newline, 1..95 the printable ASCII
characters ``' '`` (32) .. ``'~'`` (126) in code order, and 96 (:data:`UNKNOWN`) every other
character (in the 3.11 text: 575 of them, typographic quotes and dashes, 0.12 %);
:func:`encode_chars` / :func:`decode_chars` map text to indices and back (96 decodes to
U+FFFD). ``info["baseline"]``: the loss of the best memoryless predictor (the training block's
character frequencies, nats per character) and of persistence (predict ``x[t]``, MSE).
"""

from __future__ import annotations

import functools
import hashlib
import sys

import numpy as np

from neurodyn.data._sequences import SPLITS, TaskData, _check_int, _read_only, register_task

__all__ = ["CHAR_VOCAB", "UNKNOWN", "decode_chars", "encode_chars", "pydoc_text"]

#: the characters of ``"pydoc-chars"`` by index; index :data:`UNKNOWN` is every other character
CHAR_VOCAB = "\n" + "".join(chr(c) for c in range(32, 127))
#: the index of characters outside :data:`CHAR_VOCAB` (decoded as U+FFFD)
UNKNOWN = len(CHAR_VOCAB)
_LOOKUP = np.full(128, UNKNOWN, np.int64)
_LOOKUP[[ord(c) for c in CHAR_VOCAB]] = np.arange(UNKNOWN)


def encode_chars(text: str) -> np.ndarray:
    """Indices of ``text``'s characters in :data:`CHAR_VOCAB` (:data:`UNKNOWN` for the others),
    int64 of length ``len(text)``.

    Example:
        >>> from neurodyn.data import decode_chars, encode_chars
        >>> encode_chars("Hi\\n").tolist(), decode_chars(encode_chars("Hi\\n"))
        ([41, 74, 0], 'Hi\\n')
    """
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    return _LOOKUP[np.minimum(codes, 127)] if len(codes) else np.zeros(0, np.int64)


def decode_chars(ids) -> str:
    """The text of indices ``ids`` (inverse of :func:`encode_chars` on :data:`CHAR_VOCAB`;
    :data:`UNKNOWN` becomes U+FFFD). Raises ValueError for an index outside 0..96."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    if len(ids) and (ids.min() < 0 or ids.max() > UNKNOWN):
        raise ValueError(
            f"character indices must be in 0..{UNKNOWN}, got {ids.min()}..{ids.max()}."
        )
    table = CHAR_VOCAB + "\ufffd"
    return "".join(table[i] for i in ids)


@functools.lru_cache(maxsize=1)
def pydoc_text() -> str:
    """The corpus of ``"pydoc-chars"``: the topics of ``pydoc_data.topics`` (the Python
    documentation behind ``help()``, shipped with the interpreter), in sorted order of their
    names, each followed by a newline."""
    from pydoc_data.topics import topics  # part of the standard library: no download

    return "".join(topics[k] + "\n" for k in sorted(topics))


@functools.lru_cache(maxsize=2)
def _char_arrays(length: int, max_chars: int | None) -> tuple[np.ndarray, np.ndarray]:
    ids = encode_chars(pydoc_text())
    if max_chars is not None:
        ids = ids[:max_chars]
    n = len(ids) // (length + 1)
    if n < 3:
        raise ValueError(
            f"pydoc-chars: {len(ids)} characters make {n} windows of length + 1 = {length + 1}; "
            "three are needed (one per split): lower length or raise max_chars."
        )
    win = ids[: n * (length + 1)].reshape(n, length + 1)
    x = np.zeros((n, length, UNKNOWN + 1), np.float32)
    np.put_along_axis(x, win[:, :-1, None], 1.0, axis=2)
    return _read_only(x, np.ascontiguousarray(win[:, 1:]))


@register_task("pydoc-chars", kind="sequence-classification")
def _pydoc_chars(length: int = 100, max_chars: int | None = None) -> TaskData:
    """Next-character prediction on the Python documentation: ``x (N, length, 97)`` one-hot,
    ``y (N, length)`` the next character's index at every step.

    Args:
        length: T, characters per sequence (>= 1); windows of ``length + 1`` characters are cut
            from the text without overlap.
        max_chars: use only the first ``max_chars`` characters of the text (None: all); memory
            about 390 bytes per character for the one-hot inputs.
    """
    length = _check_int("length", length, 1)
    if max_chars is not None:
        max_chars = _check_int("max_chars", max_chars, 3 * (length + 1))
    x, y = _char_arrays(length, max_chars)
    train = y[: round(SPLITS["train"] * len(y))].reshape(-1)
    freq = np.bincount(train, minlength=UNKNOWN + 1) / train.size
    unigram = float(-(freq[freq > 0] * np.log(freq[freq > 0])).sum())
    text = pydoc_text()
    return TaskData(
        x,
        y,
        UNKNOWN + 1,
        f"next character of the Python documentation (pydoc_data.topics, Python "
        f"{sys.version_info.major}.{sys.version_info.minor}), T={length}, one-hot F=97",
        {
            "source": "pydoc_data.topics (Python standard library; PSF License Version 2)",
            "python": sys.version.split()[0],
            "text_chars": len(text),
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "length": length,
            "max_chars": max_chars,
            "vocabulary": CHAR_VOCAB,
            "baseline": {
                "loss": unigram,
                "what": "memoryless: the training block's character frequencies (their "
                "entropy, nats per character)",
            },
        },
        kind="sequence-classification",
        contiguous=True,
    )


#: RK4 step of the Lorenz-96 integration (time units) and the transient dropped (time units)
L96_STEP, L96_TRANSIENT = 0.01, 20.0


@functools.lru_cache(maxsize=2)
def _l96_arrays(n, forcing, dt, length, num_samples, seed) -> tuple[np.ndarray, np.ndarray, dict]:
    import torch

    from neurodyn.systems import Lorenz96

    sub = max(1, round(dt / L96_STEP))
    m = Lorenz96(n=n, forcing=forcing, dt=dt / sub)
    rng = np.random.default_rng(seed)
    h = torch.from_numpy(forcing + 0.01 * rng.standard_normal((num_samples, n)))
    with torch.no_grad():
        for _ in range(round(L96_TRANSIENT / m.dt)):
            h = m.step(h)
        out = np.empty((num_samples, length + 1, n))
        for t in range(length + 1):
            out[:, t] = h.numpy()
            for _ in range(sub):
                h = m.step(h)
    if not np.isfinite(out).all():
        raise ValueError(f"lorenz96: the trajectories diverged (dt={dt}); use a smaller dt.")
    mean, std = float(out.mean()), float(out.std())
    z = ((out - mean) / std).astype(np.float32)
    x, y = np.ascontiguousarray(z[:, :-1]), np.ascontiguousarray(z[:, 1:])
    persistence = float(((y - x) ** 2).mean())
    return (*_read_only(x, y), {"mean": mean, "std": std, "persistence": persistence})


@register_task("lorenz96", kind="sequence-regression")
def _lorenz96(
    n: int = 8,
    forcing: float = 8.0,
    dt: float = 0.1,
    length: int = 100,
    num_samples: int = 2000,
    generator_seed: int = 0,
) -> TaskData:
    """Next-step prediction of Lorenz-96 trajectories: ``x (N, length, n)``, ``y (N, length,
    n)`` with ``y[:, t] = x[:, t + 1]`` (both normalised).

    Args:
        n: variables on the ring (>= 4), the channels F = D.
        forcing: F of Lorenz-96 (8: chaotic).
        dt: time between samples (RK4 steps of 0.01 in between; > 0).
        length: T, samples per sequence (>= 1).
        num_samples: independent trajectories (>= 3).
        generator_seed: seed of ``numpy.random.default_rng`` for the initial conditions.
    """
    n = _check_int("n", n, 4)
    length = _check_int("length", length, 1)
    num_samples = _check_int("num_samples", num_samples, 3)
    generator_seed = _check_int("generator_seed", generator_seed, 0)
    for name, v in (("forcing", forcing), ("dt", dt)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}.")
    if dt <= 0:
        raise ValueError(f"dt must be > 0, got {dt!r}.")
    x, y, stats = _l96_arrays(n, float(forcing), float(dt), length, num_samples, generator_seed)
    return TaskData(
        x,
        y,
        0,
        f"Lorenz-96 next-step prediction, n={n}, F={forcing:g}, dt={dt:g} (T={length}, "
        f"F=D={n}), normalised",
        {
            "source": "generated (neurodyn.systems.Lorenz96, RK4 steps of 0.01)",
            "n": n,
            "forcing": float(forcing),
            "dt": float(dt),
            "length": length,
            "num_samples": num_samples,
            "generator_seed": generator_seed,
            "normalisation": {"mean": stats["mean"], "std": stats["std"]},
            "baseline": {
                "loss": stats["persistence"],
                "what": "persistence: predict x[t] for x[t + 1] (MSE per step and channel)",
            },
        },
        kind="sequence-regression",
    )
