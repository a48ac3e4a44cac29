"""Excitation signals for system identification: steps, random walks and PRBS, seeded.

Every signal is a ``(T, m)`` float64 NumPy array inside the box ``[low, high]`` (per channel),
one value per sample time; the simulators hold each value over its sample time (zero-order
hold). The same seed gives the same signal.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SIGNALS", "prbs", "random_walk", "signal", "steps"]


def _bounds(low, high, m: int | None) -> tuple[np.ndarray, np.ndarray]:
    lo = np.atleast_1d(np.asarray(low, dtype=np.float64))
    hi = np.atleast_1d(np.asarray(high, dtype=np.float64))
    if m is not None:
        lo, hi = np.broadcast_to(lo, (m,)).copy(), np.broadcast_to(hi, (m,)).copy()
    if lo.shape != hi.shape or lo.ndim != 1:
        raise ValueError(
            f"low and high must be scalars or (m,) arrays, got {lo.shape}, {hi.shape}."
        )
    if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (lo <= hi).all()):
        raise ValueError(f"need finite low ≤ high per channel, got low={lo}, high={hi}.")
    return lo, hi


def _length(T: int) -> int:
    if not isinstance(T, int | np.integer) or T < 1:
        raise ValueError(f"T (number of samples) must be a positive int, got {T!r}.")
    return int(T)


def steps(T: int, low, high, *, hold: int = 20, seed: int = 0, m: int | None = None) -> np.ndarray:
    """Piecewise-constant random steps: a new uniform value in [low, high] every ``hold`` samples.

    Args:
        T: number of samples.
        low, high: bounds, scalars or ``(m,)``.
        hold: samples per level (≥ 1).
        seed: NumPy seed.
        m: number of channels when ``low`` / ``high`` are scalars (default 1).

    Returns:
        ``(T, m)`` float64.

    Example:
        >>> u = steps(100, 0.0, 0.5, hold=25, seed=1, m=2)
        >>> u.shape, bool(((u >= 0) & (u <= 0.5)).all()), len(set(u[:, 0].tolist()))
        ((100, 2), True, 4)
    """
    T = _length(T)
    lo, hi = _bounds(low, high, m)
    if hold < 1:
        raise ValueError(f"hold must be ≥ 1, got {hold}.")
    rng = np.random.default_rng(seed)
    n_levels = -(-T // hold)
    levels = lo + (hi - lo) * rng.random((n_levels, lo.size))
    return np.repeat(levels, hold, axis=0)[:T]


def random_walk(
    T: int, low, high, *, sigma: float = 0.05, seed: int = 0, m: int | None = None
) -> np.ndarray:
    """A random walk u_{k+1} = u_k + σ·(high − low)·ε_k, reflected at the bounds.

    It starts from a uniform random value.

    Reflection (not clipping) keeps every value strictly a walk inside [low, high].

    Example:
        >>> u = random_walk(500, -3.0, 3.0, sigma=0.1, seed=0)
        >>> bool((u >= -3).all() and (u <= 3).all()), u.shape
        (True, (500, 1))
    """
    T = _length(T)
    lo, hi = _bounds(low, high, m)
    rng = np.random.default_rng(seed)
    width = hi - lo
    u = np.empty((T, lo.size))
    u[0] = lo + width * rng.random(lo.size)
    incr = sigma * width * rng.standard_normal((T - 1, lo.size))
    for k in range(1, T):
        v = u[k - 1] + incr[k - 1]
        # reflect into [lo, hi] (a zero-width channel stays at lo)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(width > 0, np.mod(v - lo, 2 * width), 0.0)
        u[k] = lo + np.where(r > width, 2 * width - r, r)
    return u


def prbs(T: int, low, high, *, hold: int = 5, p: float = 0.5, seed: int = 0, m: int | None = None):
    """Pseudo-random binary sequence: each channel at ``low`` or ``high``, switching with
    probability ``p`` at every multiple of ``hold`` samples (minimum dwell ``hold``).

    Example:
        >>> u = prbs(60, 0.1, 0.4, hold=3, seed=2)
        >>> sorted(set(u[:, 0].round(12).tolist()))
        [0.1, 0.4]
    """
    T = _length(T)
    lo, hi = _bounds(low, high, m)
    if hold < 1 or not 0 <= p <= 1:
        raise ValueError(f"need hold ≥ 1 and 0 ≤ p ≤ 1, got hold={hold}, p={p}.")
    rng = np.random.default_rng(seed)
    n_levels = -(-T // hold)
    start = rng.random(lo.size) < 0.5
    flips = rng.random((n_levels, lo.size)) < p
    flips[0] = False
    state = start ^ (np.cumsum(flips, axis=0) % 2 == 1)
    levels = np.where(state, hi, lo)
    return np.repeat(levels, hold, axis=0)[:T]


#: The signal kinds :func:`signal` accepts.
SIGNALS = {"steps": steps, "random_walk": random_walk, "prbs": prbs}


def signal(kind: str, T: int, low, high, *, seed: int = 0, **options) -> np.ndarray:
    """One of :data:`SIGNALS` by name (``"steps"``, ``"random_walk"``, ``"prbs"``).

    Raises:
        ValueError: an unknown kind, naming the known ones.
    """
    if kind not in SIGNALS:
        raise ValueError(f"unknown signal {kind!r}; choose one of {sorted(SIGNALS)}.")
    return SIGNALS[kind](T, low, high, seed=seed, **options)
