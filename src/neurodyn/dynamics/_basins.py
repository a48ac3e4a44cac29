"""Basins of attraction in any dimension: on a 2-D grid (the phase plane, or a 2-D slice of a
higher-dimensional state space), or on given / sampled starts."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from neurodyn._core import Box, notify, register_result, tensor_from_json, tensor_to_json
from neurodyn._core._validate import prepare_model
from neurodyn.dynamics._attractor_results import AttractorsResult, fraction_summary
from neurodyn.dynamics._common import as_box, check_states, escaped, state_dtype
from neurodyn.dynamics._fixed_points import FixedPointsResult
from neurodyn.dynamics._recurrence import find_attractors
from neurodyn.systems import complete_map

__all__ = ["BasinsResult", "basins"]


@register_result
@dataclass(frozen=True)
class BasinsResult:
    """Which attractor each start reaches: a grid (2-D map, or a 2-D slice) or a set of starts.

    Attributes:
        xs, ys: grid axes ``(nx,)``, ``(ny,)`` of coordinates ``dims``; None for given starts.
        labels: ``(ny, nx)`` on a grid, ``(S,)`` for given starts; int: k ≥ 0 → reaches
            ``attractors[k]``; −1 → diverged; −2 → bounded but not on an attractor (unresolved
            transient, or an unstable invariant set hit exactly; with target fixed points: not
            within ``tol`` of one).
        attractors: ``(K, n)`` one point per attractor (the fixed point; the first point of a
            cycle; a point on a chaotic / quasi-periodic set). ``found`` has the full description.
        steps, tol: transient steps; the arrival distance (target fixed points only).
        dims: the two grid coordinates (slice); at: ``(n,)`` the state whose other coordinates
            the slice holds fixed (None for a 2-D map or given starts).
        starts: ``(S, n)`` for given / sampled starts, else None. sampled: drawn at random.
        found: the :class:`AttractorsResult` behind the labels (recurrence), or None when the
            targets were given fixed points.
    """

    xs: Tensor | None
    ys: Tensor | None
    labels: Tensor
    attractors: Tensor
    steps: int
    tol: float
    dims: tuple[int, int] = (0, 1)
    at: Tensor | None = None
    starts: Tensor | None = None
    sampled: bool = False
    found: AttractorsResult | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kind of each attractor ("fixed_point", "cycle", ...)."""
        if self.found is None:
            return ("fixed_point",) * self.attractors.shape[0]
        return tuple(a.kind for a in self.found.attractors)

    def fractions(self) -> dict[str, float]:
        """Fraction of starts per attractor (``attractor_k``), ``divergent`` and ``other``."""
        return fraction_summary(self.labels, self.attractors.shape[0], self.sampled)[0]

    def stderr(self) -> dict[str, float]:
        """Standard errors √(p(1 − p)/N) of :meth:`fractions` for sampled starts ({} on a grid)."""
        return fraction_summary(self.labels, self.attractors.shape[0], self.sampled)[1]

    def __repr__(self) -> str:
        where = (
            f"grid {len(self.xs)}×{len(self.ys)} over x{self.dims[0] + 1}, x{self.dims[1] + 1}"
            if self.xs is not None
            else f"{self.labels.numel()} {'sampled' if self.sampled else 'given'} starts"
        )
        fr = self.fractions()
        parts = ", ".join(
            f"{kind} {fr[f'attractor_{k}']:.3g}" for k, kind in enumerate(self.kinds[:4])
        )
        more = ", …" if len(self.kinds) > 4 else ""
        return (
            f"BasinsResult({where}; {len(self.kinds)} attractors [{parts}{more}], "
            f"divergent {fr['divergent']:.3g}, other {fr['other']:.3g})"
        )

    def to_dict(self) -> dict:
        out = {"result_type": "BasinsResult"}
        if self.xs is not None:
            out["resolution"] = [len(self.xs), len(self.ys)]
            out["box"] = [
                [float(self.xs[0]), float(self.ys[0])],
                [float(self.xs[-1]), float(self.ys[-1])],
            ]
        out.update(
            {
                "attractors": self.attractors.tolist(),
                "kinds": list(self.kinds),
                "fractions": self.fractions(),
                "fraction_stderr": self.stderr(),
                "steps": self.steps,
                "tol": self.tol,
                "dims": list(self.dims),
                "sampled": self.sampled,
                "arrays": {
                    name: tensor_to_json(getattr(self, name))
                    for name in ("xs", "ys", "labels", "attractors", "at", "starts")
                },
                "found": None if self.found is None else self.found.to_dict(),
            }
        )
        return out

    @classmethod
    def from_dict(cls, d: dict) -> BasinsResult:
        """Inverse of :meth:`to_dict`."""
        arr = {k: tensor_from_json(v) for k, v in d["arrays"].items()}
        found = d.get("found")
        return cls(
            arr["xs"],
            arr["ys"],
            arr["labels"],
            arr["attractors"],
            int(d["steps"]),
            float(d["tol"]),
            tuple(d.get("dims", (0, 1))),
            arr.get("at"),
            arr.get("starts"),
            bool(d.get("sampled", False)),
            None if found is None else AttractorsResult.from_dict(found),
        )


def _targets(f, attractors, dtype, device) -> Tensor:
    if isinstance(attractors, FixedPointsResult):
        stable = attractors.stable()
        attractors = (
            torch.stack([p.x for p in stable]) if stable else torch.zeros(0, f.dim, dtype=dtype)
        )
    return attractors.to(dtype=dtype, device=device)


def _label_by_targets(f, pts, targets, steps, tol, bound, progress) -> Tensor:
    """The 2-D method for given fixed points: iterate ``steps`` times, label by the target the
    end state is within ``tol`` (∞-norm) of; −1 diverged; −2 otherwise."""
    traj_end = pts
    diverged = torch.zeros(pts.shape[0], dtype=torch.bool, device=pts.device)
    for t in range(steps):
        nxt = f.step(traj_end)
        diverged |= escaped(nxt, bound)
        traj_end = torch.where(diverged.unsqueeze(1), traj_end, nxt)
        notify(progress, t + 1, steps)
    labels = torch.full((pts.shape[0],), -2, dtype=torch.long, device=pts.device)
    if targets.shape[0]:
        dist = (traj_end.unsqueeze(1) - targets.unsqueeze(0)).abs().amax(dim=2)
        best, idx = dist.min(dim=1)
        labels = torch.where(best <= tol, idx, labels)
    return torch.where(diverged, -1, labels)


@torch.no_grad()
def basins(
    map,
    low: tuple[float, ...] | Box | None = None,
    high: tuple[float, ...] | None = None,
    *,
    resolution: int = 200,
    steps: int = 500,
    attractors: Tensor | FixedPointsResult | None = None,
    tol: float = 1e-3,
    bound: float = 1e6,
    starts: Tensor | None = None,
    samples: int | None = None,
    seed: int = 0,
    dims: tuple[int, int] = (0, 1),
    at: Tensor | None = None,
    window: int = 500,
    cells: int = 32,
    cell_size: float | tuple[float, ...] | None = None,
    progress=None,
) -> BasinsResult:
    """Basins of attraction of x_{t+1} = f(x_t) in any dimension: each start is labelled by the
    attractor its trajectory ends on — fixed points, cycles, quasi-periodic and chaotic sets alike
    (attractors found by recurrence, :func:`neurodyn.dynamics.attractors`), −1 if it diverged.

    Where the starts are:

    * 2-D map: a ``resolution``-per-axis :meth:`Box.grid` over the box (coordinate 0 fastest),
      labels ``(ny, nx)``.
    * n > 2, no starts: a 2-D slice: coordinates ``dims = (i, j)`` on the grid over the box's
      edges i and j, the others held at ``at`` (default: the box centre), labels ``(ny, nx)``.
    * ``starts=(S, n)`` given, or ``samples=S`` drawn uniformly from the box (``seed``): labels
      ``(S,)``; for sampled starts :meth:`BasinsResult.stderr` gives the binomial standard
      error of each basin fraction.

    With ``attractors`` given (fixed points as ``(K, n)`` or a :class:`FixedPointsResult`, whose
    stable points are used) the older rule applies instead: after ``steps`` steps a start is
    labelled by the target within ``tol`` (∞-norm), −2 if none.

    Args:
        map: a Map or a square feedforward net (autonomous).
        low, high: the box (two sequences of n) or a :class:`Box` as ``low``.
        resolution: grid points per axis (grid and slice).
        steps: transient steps before the recurrence window (``window`` steps recorded; see
            :data:`neurodyn.dynamics.RECURRENCE_RULE` for ``cells`` / ``cell_size``).
        progress: ``progress(done, total)`` in iteration steps; the last call has done == total
            (``with neurodyn.rich_progress("basins") as bar: basins(..., progress=bar)``).

    Raises:
        ValueError: a box of the wrong dimension; bad ``dims``; starts of the wrong shape, empty
            or non-finite; a NaN/inf parameter (named). float16 / bfloat16 modules run as a
            float32 copy (with a warning).
        TypeError: starts not in the map's dtype / device.

    Example:
        >>> import torch
        >>> from neurodyn.dynamics import basins
        >>> from neurodyn.systems import LinearMap
        >>> res = basins(LinearMap(0.5 * torch.eye(3, dtype=torch.float64)), [(-1, 1)] * 3,
        ...              samples=200, steps=50, window=50)
        >>> res.kinds, res.fractions()["attractor_0"]
        (('fixed_point',), 1.0)
    """
    map, starts = prepare_model(map, starts, what="basins")
    f = complete_map(map)
    dtype, device = state_dtype(f)
    box = None
    if low is not None:
        box = Box.coerce(low) if high is None else as_box(low, high, f.dim)
        if box.dim != f.dim:
            raise ValueError(f"the box has {box.dim} dimensions but the map has dim {f.dim}.")
    xs = ys = at_t = None
    sampled = False
    if starts is None and samples is not None:
        if box is None:
            raise ValueError("samples=... needs a box to draw from (low, high or a Box).")
        starts, sampled = box.sample(samples, seed=seed, dtype=dtype, device=device), True
    if starts is not None:
        check_states(f, starts, "starts", allow_empty=False)
        pts = starts
    else:
        if box is None:
            raise ValueError("basins needs a box (low, high or a Box), or starts=(S, n).")
        i, j = dims
        if not (0 <= i < f.dim and 0 <= j < f.dim and i != j):
            raise ValueError(
                f"dims must be two different coordinates of 0..{f.dim - 1}, got {dims}."
            )
        plane = Box((box.low[i], box.low[j]), (box.high[i], box.high[j]))
        xs, ys = plane.axes(resolution, dtype=dtype, device=device)
        grid = plane.grid(resolution, dtype=dtype, device=device)
        if f.dim == 2 and dims == (0, 1):
            pts = grid
        else:
            centre = [(lo + hi) / 2 for lo, hi in box.pairs]
            at_t = (
                torch.tensor(centre, dtype=dtype, device=device)
                if at is None
                else torch.as_tensor(at, dtype=dtype, device=device).reshape(f.dim)
            )
            pts = at_t.repeat(grid.shape[0], 1)
            pts[:, i], pts[:, j] = grid[:, 0], grid[:, 1]
    found = None
    if attractors is not None:
        targets = _targets(f, attractors, dtype, pts.device)
        labels = _label_by_targets(f, pts, targets, steps, tol, bound, progress)
    else:
        found = find_attractors(
            f,
            pts,
            steps=steps,
            window=window,
            cells=cells,
            cell_size=None if cell_size is None else tuple(_cells(cell_size, f.dim)),
            sampled=sampled,
            bound=bound,
            progress=progress,
        )
        labels = found.labels
        targets = (
            torch.stack([a.points[0] for a in found.attractors])
            if len(found)
            else torch.zeros(0, f.dim, dtype=dtype, device=pts.device)
        )
    if xs is not None:
        labels = labels.reshape(len(ys), len(xs))
    return BasinsResult(
        xs, ys, labels, targets, steps, tol, tuple(dims), at_t, starts, sampled, found
    )


def _cells(cell_size, dim: int) -> tuple[float, ...]:
    if isinstance(cell_size, int | float):
        return (float(cell_size),) * dim
    if len(cell_size) != dim:
        raise ValueError(f"cell_size needs {dim} entries, got {cell_size}.")
    return tuple(float(c) for c in cell_size)
