"""Train / validation / test trajectory datasets from a simulator, and their normalisation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neurodyn.data._signals import signal as make_signal
from neurodyn.data._simulators import ODESystem

__all__ = ["Normalizer", "SysIdData", "Trajectories", "trajectories"]


@dataclass(frozen=True)
class Normalizer:
    """Affine normalisation x̃ = (x − x_mean)/x_std, ũ = (u − u_mean)/u_std (per channel).

    Fitted on the training split only; saved with the model (:meth:`to_dict` /
    :meth:`from_dict`) so an identified model can be un-normalised.
    """

    x_mean: np.ndarray
    x_std: np.ndarray
    u_mean: np.ndarray
    u_std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, u: np.ndarray) -> Normalizer:
        """From states ``(..., n)`` and inputs ``(..., m)``; a constant channel gets std 1."""
        xs, us = x.reshape(-1, x.shape[-1]), u.reshape(-1, u.shape[-1])
        sx, su = xs.std(axis=0), us.std(axis=0)
        return cls(
            xs.mean(axis=0), np.where(sx > 0, sx, 1.0), us.mean(axis=0), np.where(su > 0, su, 1.0)
        )

    def x(self, x):
        """Normalised states."""
        return (x - self.x_mean) / self.x_std

    def u(self, u):
        """Normalised inputs."""
        return (u - self.u_mean) / self.u_std

    def x_inverse(self, xn):
        """Physical states from normalised ones."""
        return xn * self.x_std + self.x_mean

    def u_inverse(self, un):
        """Physical inputs from normalised ones."""
        return un * self.u_std + self.u_mean

    def to_dict(self) -> dict:
        return {k: getattr(self, k).tolist() for k in ("x_mean", "x_std", "u_mean", "u_std")}

    @classmethod
    def from_dict(cls, d: dict) -> Normalizer:
        return cls(
            *(np.asarray(d[k], dtype=np.float64) for k in ("x_mean", "x_std", "u_mean", "u_std"))
        )


@dataclass(frozen=True)
class Trajectories:
    """One split: ``x`` ``(N, T + 1, n)`` states and ``u`` ``(N, T, m)`` inputs, physical units."""

    x: np.ndarray
    u: np.ndarray
    split: str

    def __len__(self) -> int:
        return self.x.shape[0]

    def __repr__(self) -> str:
        return f"Trajectories({self.split!r}, N={self.x.shape[0]}, T={self.u.shape[1]})"

    def to_dict(self) -> dict:
        return {"split": self.split, "x": self.x.tolist(), "u": self.u.tolist()}


@dataclass(frozen=True)
class SysIdData:
    """Train / validation / test trajectories of one system with the training normalisation."""

    system: str
    ts: float
    train: Trajectories
    val: Trajectories
    test: Trajectories
    norm: Normalizer
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"SysIdData({self.system!r}, train={len(self.train)}, val={len(self.val)}, "
            f"test={len(self.test)}, T={self.train.u.shape[1]})"
        )

    def box(self, what: str = "x", *, normalized: bool = True, split: str = "train"):
        """Bounding box ``(low, high)`` of a split's states (``"x"``) or inputs (``"u"``)."""
        tr = getattr(self, split)
        a = tr.x if what == "x" else tr.u
        if normalized:
            a = self.norm.x(a) if what == "x" else self.norm.u(a)
        a = a.reshape(-1, a.shape[-1])
        return a.min(axis=0), a.max(axis=0)

    def to_dict(self) -> dict:
        return {"system": self.system, "ts": self.ts, "norm": self.norm.to_dict(), **self.info}


def trajectories(
    system: ODESystem,
    *,
    n_train: int = 8,
    n_val: int = 2,
    n_test: int = 2,
    length: int = 200,
    signal: str = "steps",
    seed: int = 0,
    rtol: float = 1e-8,
    **signal_options,
) -> SysIdData:
    """Simulate seeded train / validation / test trajectories and fit the normalisation.

    Each trajectory starts from a uniform random state in ``[system.x0_low, system.x0_high]``
    and is driven by an excitation ``signal`` (see :func:`neurodyn.data.signal`) inside the
    system's input box; every split has its own seeds drawn from ``np.random.SeedSequence(seed)``,
    so the same arguments give the same data bit for bit.

    Args:
        system: a simulator (:class:`TwoTank`, :class:`CSTR`).
        n_train, n_val, n_test: trajectories per split.
        length: samples per trajectory T (inputs ``(T, m)``, states ``(T + 1, n)``).
        signal: ``"steps"``, ``"random_walk"`` or ``"prbs"``.
        seed: the seed of everything.
        rtol: solver tolerance (see :meth:`ODESystem.simulate`).
        **signal_options: passed to the signal (e.g. ``hold=20``).

    Returns:
        :class:`SysIdData`.

    Example:
        >>> from neurodyn.data import TwoTank, trajectories
        >>> data = trajectories(TwoTank(), n_train=2, n_val=1, n_test=1, length=20, seed=3)
        >>> data.train.x.shape, data.test.u.shape
        ((2, 21, 2), (1, 20, 2))
    """
    counts = {"train": n_train, "val": n_val, "test": n_test}
    if any(c < 1 for c in counts.values()) or length < 1:
        raise ValueError(f"need at least one trajectory per split and length ≥ 1, got {counts}.")
    seqs = np.random.SeedSequence(seed).spawn(3)
    splits = {}
    for (name, count), ss in zip(counts.items(), seqs, strict=True):
        rng = np.random.default_rng(ss)
        x0 = system.x0_low + (system.x0_high - system.x0_low) * rng.random((count, system.n))
        useeds = rng.integers(0, 2**31, size=count)
        u = np.stack(
            [
                make_signal(
                    signal, length, system.u_low, system.u_high, seed=int(s), **signal_options
                )
                for s in useeds
            ]
        )
        x = system.simulate(u, x0, rtol=rtol)
        splits[name] = Trajectories(x, u, name)
    norm = Normalizer.fit(splits["train"].x, splits["train"].u)
    info = {"signal": signal, "seed": seed, "length": length, "signal_options": signal_options}
    return SysIdData(
        system.name, system.ts, splits["train"], splits["val"], splits["test"], norm, info
    )
