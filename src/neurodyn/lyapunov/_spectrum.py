"""Lyapunov spectrum of a Map by QR reorthonormalisation (Vogt, dissertation, Alg. 1–2, done right).

For h_t = F(h_{t−1}, x_t) with Jacobians J_t = ∂F/∂h at (h_{t−1}, x_t), evolve k orthonormal
tangent vectors Q ← J_t Q and every ``t_on`` steps factor Q = Q'R; then

    λ_i = (1 / (T·dt)) Σ_blocks log|R_ii|                              (Vogt, dissertation, eq. 2.7)

in nats per unit time (``dt`` is the Map's time step: 1 for discrete maps). Differences from the
dissertation's published code (docs/lyapunov.md): J is evaluated at the state the step starts from
(Alg. 1 evaluates it after the update); Q is propagated by J, not Jᵀ; exponents are in nats, not
log₂; the LSTM state is (h, c); the warm-up reorthonormalises Q so it cannot overflow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from neurodyn._core import register_result, tensor_from_json, tensor_to_json, to_jsonable
from neurodyn._core._validate import check_batch, invalid_input, prepare_model
from neurodyn.lyapunov._qr import QR_METHODS, positive_qr, qr
from neurodyn.systems import TangentMap, complete_map
from neurodyn.systems._map import require_dtype
from neurodyn.systems._tangent import few_threads

__all__ = ["LyapunovResult", "kaplan_yorke_dimension", "lyapunov_spectrum"]


def kaplan_yorke_dimension(exponents: Tensor) -> float:
    """Kaplan–Yorke dimension D = j + Σ_{i≤j} λ_i / |λ_{j+1}| (Vogt, dissertation, eq. 1.10–1.11).

    ``exponents`` are sorted in descending order here. j is the largest index with
    Σ_{i≤j} λ_i ≥ 0; D = 0 if λ₁ < 0 and D = k if the partial sums never turn negative (then
    the estimate is only a lower bound when k < n).
    """
    lam = torch.sort(torch.as_tensor(exponents, dtype=torch.float64), descending=True).values
    sums = torch.cumsum(lam, 0)
    if float(lam[0]) < 0:
        return 0.0
    nonneg = (sums >= 0).nonzero()
    j = int(nonneg.max()) + 1  # number of leading exponents with non-negative partial sum
    if j == lam.numel():
        return float(j)
    return j + float(sums[j - 1]) / abs(float(lam[j]))


_ARRAYS = ("exponents", "stderr", "per_sample", "running", "drift", "ftle", "r_values", "q_vectors")


@register_result
@dataclass(frozen=True)
class LyapunovResult:
    """A Lyapunov spectrum with its uncertainty and diagnostics.

    Attributes:
        exponents: ``(k,)`` batch-mean exponents in the order of the QR columns (descending
            once converged; not re-sorted, so an unconverged ordering stays visible), in nats
            per unit time (or bits if ``base == 2``).
        stderr: ``(k,)`` standard error of the mean across the batch (B ≥ 2), or from 10 batch
            means along the run when B = 1.
        per_sample: ``(B, k)`` the spectrum of each input sequence / initial condition.
        running: ``(blocks, k)`` batch-mean running estimate after each QR block (convergence).
        drift: ``(k,)`` |running estimate at the end − at 80 % of the run|: a convergence check.
        steps, warmup, t_on, dt, base: what was run.
        ftle: ``(B, blocks, k)`` finite-time exponents per QR block (``keep_history=True``).
        r_values: ``(B, blocks, k)`` |R_ii| per block (``keep_history=True``; Vogt,
            dissertation, Ch. 4).
        q_vectors: ``(B, blocks, n, k)`` Q after each QR (``keep_vectors=True``).
        interrupted: True if the run was stopped early (Ctrl-C); ``steps`` then counts the
            steps actually accumulated.
    """

    exponents: Tensor
    stderr: Tensor
    per_sample: Tensor
    running: Tensor
    drift: Tensor
    steps: int
    warmup: int
    t_on: int
    dt: float
    base: float = math.e
    ftle: Tensor | None = field(default=None, repr=False)
    r_values: Tensor | None = field(default=None, repr=False)
    q_vectors: Tensor | None = field(default=None, repr=False)
    interrupted: bool = False

    @property
    def k(self) -> int:
        return self.exponents.numel()

    @property
    def kaplan_yorke(self) -> float:
        return kaplan_yorke_dimension(self.exponents)

    @property
    def max(self) -> float:
        return float(self.exponents.max())

    @property
    def mean(self) -> float:
        return float(self.exponents.mean())

    @property
    def variance(self) -> float:
        return float(self.exponents.var(unbiased=False))

    @property
    def n_positive(self) -> int:
        return int((self.exponents > 0).sum())

    def stats(self) -> dict:
        """The usual spectrum statistics (Vogt, dissertation, §1.3): max, mean, variance,
        #positive, D_KY."""
        return {
            "max": self.max,
            "mean": self.mean,
            "variance": self.variance,
            "n_positive": self.n_positive,
            "kaplan_yorke": self.kaplan_yorke,
            "sum": float(self.exponents.sum()),
        }

    def __repr__(self) -> str:
        lam = ", ".join(f"{v:.4g}" for v in self.exponents.tolist()[:4])
        more = f", … ({self.k} in all)" if self.k > 4 else ""
        se = float(self.stderr.max()) if self.stderr.numel() else float("nan")
        return (
            f"LyapunovResult(exponents=[{lam}{more}], max s.e. {se:.2g}, "
            f"batch={self.per_sample.shape[0]}, steps={self.steps}, t_on={self.t_on}"
            + (", interrupted" if self.interrupted else "")
            + ")"
        )

    def to_dict(self) -> dict:
        """The summary (exponents, stderr, drift, statistics, run settings) and, under
        ``"arrays"``, every tensor as a record :meth:`from_dict` reads back exactly."""
        return {
            "result_type": "LyapunovResult",
            "exponents": to_jsonable(self.exponents.tolist()),
            "stderr": to_jsonable(self.stderr.tolist()),
            "drift": to_jsonable(self.drift.tolist()),
            "units": "nats per unit time" if self.base == math.e else f"log base {self.base}",
            "steps": self.steps,
            "warmup": self.warmup,
            "t_on": self.t_on,
            "dt": self.dt,
            "batch": self.per_sample.shape[0],
            "interrupted": self.interrupted,
            "base": self.base,
            **to_jsonable(self.stats()),
            "arrays": {name: tensor_to_json(getattr(self, name)) for name in _ARRAYS},
        }

    @classmethod
    def from_dict(cls, d: dict) -> LyapunovResult:
        """Inverse of :meth:`to_dict`."""
        arrays = {name: tensor_from_json(d["arrays"].get(name)) for name in _ARRAYS}
        return cls(
            **arrays,
            steps=int(d["steps"]),
            warmup=int(d["warmup"]),
            t_on=int(d["t_on"]),
            dt=float(d["dt"]),
            base=float(d.get("base", math.e)),
            interrupted=bool(d.get("interrupted", False)),
        )

    def plot(self, *, ax=None, title: str | None = None, label=None):
        """The spectrum with ±2 standard errors and its statistics, as a matplotlib Figure
        (the same figure as :func:`neurodyn.plot.lyapunov_spectrum_plot`); ``ax`` to draw into,
        ``label`` for a legend entry."""
        from neurodyn.lyapunov._plot import spectrum_figure

        return spectrum_figure(
            self.exponents,
            self.stderr,
            stats=self.stats(),
            base=self.base,
            batch=self.per_sample.shape[0],
            steps=self.steps,
            ax=ax,
            title=title,
            label=label,
        )


def _stderr(per_sample: Tensor, block_logs: Tensor | None, block_time: Tensor | None) -> Tensor:
    batch = per_sample.shape[0]
    if batch >= 2:
        return per_sample.std(dim=0, unbiased=True) / math.sqrt(batch)
    if block_logs is None or block_logs.shape[0] < 10:
        return torch.full_like(per_sample[0], float("nan"))
    # B = 1: batch means over 10 contiguous stretches of the run
    chunks = torch.tensor_split(torch.arange(block_logs.shape[0]), 10)
    means = torch.stack([block_logs[c].sum(0) / block_time[c].sum() for c in chunks])
    return means.std(dim=0, unbiased=True) / math.sqrt(len(chunks))


def _initial_frame(q0, batch: int, n: int, k: int, like: Tensor) -> Tensor:
    if isinstance(q0, str):
        if q0 == "identity":
            frame = torch.eye(n, k, dtype=like.dtype)
        elif q0 == "random":
            gen = torch.Generator().manual_seed(0)
            frame = torch.linalg.qr(torch.randn(n, k, generator=gen, dtype=torch.float64))[0]
        else:
            raise ValueError(f'q0 must be "random", "identity" or a tensor, got {q0!r}.')
    else:
        frame = q0
        if frame.shape[-2:] != (n, k):
            raise ValueError(f"q0 must have shape (n, k) = ({n}, {k}) or (B, {n}, {k}).")
    return frame.to(dtype=like.dtype, device=like.device).expand(batch, n, k).clone()


@dataclass
class _Plan:
    """A validated run: the tangent map, the start state and batch-first inputs."""

    tangent: TangentMap
    h0: Tensor
    inputs: Tensor | None
    steps: int
    warmup: int
    upcast: bool = False  # the module was replaced by its float32 copy (prepare_model)


def _shape(t) -> object:
    return tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__


def _resolve_batch_first(map, batch_first: bool | None) -> bool:
    """``batch_first`` as given; else a module's own convention (torch ``nn.RNN/LSTM/GRU`` and
    neurodyn's cells: a boolean ``batch_first`` attribute, as the module reads its inputs); else
    True (neurodyn's ``(B, T, F)`` for every Map)."""
    if batch_first is not None:
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first must be True, False or None, got {batch_first!r}.")
        return batch_first
    if isinstance(map, nn.Module) and isinstance(getattr(map, "batch_first", None), bool):
        return map.batch_first
    return True


def _plan(map, inputs, h0, *, k, steps, warmup, t_on, qr_method, batch_first) -> _Plan:
    """Check every argument and say what to fix; the run itself assumes a valid plan."""
    if qr_method not in QR_METHODS:
        raise ValueError(f"qr_method must be one of {QR_METHODS}, got {qr_method!r}.")
    if not isinstance(t_on, int) or t_on < 1:
        raise ValueError(f"t_on must be a positive int, got {t_on!r}.")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int, got {warmup!r}.")
    first = _resolve_batch_first(map, batch_first)
    given = map
    map, inputs, h0 = prepare_model(map, inputs, h0, what="lyapunov_spectrum")
    f = complete_map(map)
    n, input_size = f.dim, f.input_size
    if input_size is not None:
        layout = "(B, T, {0})" if first else "(T, B, {0})"
        if inputs is None:
            raise ValueError(
                f"{type(f).__name__} is driven by inputs: pass inputs of shape "
                f"{layout.format(input_size)}."
            )
        if not isinstance(inputs, Tensor) or inputs.ndim != 3 or inputs.shape[2] != input_size:
            raise ValueError(
                f"inputs must have shape {layout.format(input_size)}, got {_shape(inputs)}."
            )
        check_batch(inputs, "inputs", time_axis=1 if first else 0)
        if not first:
            inputs = inputs.transpose(0, 1)  # a view: (B, T, F)
        require_dtype(f, inputs, "inputs")
        batch, total = inputs.shape[0], inputs.shape[1]
        if steps is None:
            read = f"read as {'(B, T, F)' if first else '(T, B, F)'}"
            if total == 0:
                raise invalid_input(
                    f"inputs have no time steps (shape {tuple(inputs.shape)}, {read}): pass "
                    "sequences of at least one step."
                )
            if warmup >= total:
                raise invalid_input(
                    f"warmup = {warmup} is not below the {total} time steps of inputs ({read}), "
                    f"so no step is left to accumulate: pass warmup < {total} (e.g. "
                    f"warmup={total // 2}) or longer inputs."
                )
            steps = total - warmup
        if warmup + steps > total:
            raise ValueError(
                f"warmup + steps = {warmup + steps} exceeds the {total} time steps of inputs "
                f"(read as {'(B, T, F)' if first else '(T, B, F)'}; batch_first={first})."
            )
        if h0 is None:
            h0 = f.zero_state(batch, dtype=inputs.dtype, device=inputs.device)
        elif isinstance(h0, Tensor) and h0.ndim == 2 and h0.shape[0] != batch:
            hint = (
                " The inputs look time-first: pass batch_first=False."
                if first and inputs.shape[1] == h0.shape[0]
                else " The inputs look batch-first: pass batch_first=True."
                if not first and inputs.shape[1] == h0.shape[0]
                else ""
            )
            raise ValueError(
                f"inputs have batch {batch} (read with batch_first={first}) but h0 has batch "
                f"{h0.shape[0]}.{hint}"
            )
    else:
        if inputs is not None:
            raise ValueError(f"{type(f).__name__} is autonomous: pass h0 and steps, not inputs.")
        if h0 is None or steps is None:
            raise ValueError("an autonomous map needs h0 of shape (B, n) and steps.")
    if not isinstance(h0, Tensor) or h0.ndim != 2 or h0.shape[1] != n:
        raise ValueError(f"h0 must have shape (B, {n}), got {_shape(h0)}.")
    if not h0.is_floating_point():
        raise TypeError(f"states and inputs must be floating point, got {h0.dtype}.")
    require_dtype(f, h0, "h0")
    check_batch(h0, "h0")
    if inputs is not None and h0.dtype != inputs.dtype:
        raise TypeError(f"h0 is {h0.dtype} but inputs are {inputs.dtype}: pass both in one dtype.")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}.")
    if steps < t_on:
        raise ValueError(
            f"steps = {steps} is fewer than t_on = {t_on}: no QR step would be accumulated. "
            "Run more steps or lower t_on."
        )
    return _Plan(TangentMap(f, k, t_on=t_on), h0, inputs, steps, warmup, map is not given)


@dataclass
class _Run:
    """What the accumulation collected: one entry per QR block."""

    logs: list[Tensor] = field(default_factory=list)  # (B, k) log|R_ii| per block
    lengths: list[int] = field(default_factory=list)
    frames: list[Tensor] = field(default_factory=list)
    done: int = 0
    interrupted: bool = False


def _run(
    plan: _Plan,
    Q: Tensor,
    qr_method: str,
    keep_vectors: bool,
    progress,
    grad_steps: int | None = None,
) -> _Run:
    """Warm-up (evolve and reorthonormalise, accumulate nothing), then the accumulation.

    ``grad_steps``: None for a run without gradients; ``"all"`` for the exact gradient (the
    graph of the warm-up and of every accumulated step); an int m for the graph of the last m
    accumulated steps only: everything before them runs under ``no_grad``, so the state and
    frame entering those m steps are constants (truncated backpropagation).
    """
    tm, h, warmup, steps = plan.tangent, plan.h0, plan.warmup, plan.steps
    total = warmup + steps
    differentiable = grad_steps is not None
    exact = grad_steps == "all"
    quiet = 0 if exact or not differentiable else steps - grad_steps  # steps without a graph

    def factor(Q: Tensor) -> tuple[Tensor, Tensor]:
        return positive_qr(Q, qr_method) if differentiable else qr(Q, qr_method)

    with torch.set_grad_enabled(exact):
        for block in tm.blocks(h, Q, warmup, factor, inputs=plan.inputs):
            h, Q = block.h, block.Q
            if progress is not None:
                progress(block.done, total)
    run = _Run()
    stretches = [(quiet, False), (steps - quiet, True)] if differentiable else [(steps, False)]
    try:
        for length, graph in stretches:
            if length == 0:
                continue
            offset = warmup + run.done
            with torch.set_grad_enabled(graph):
                for block in tm.blocks(h, Q, length, factor, inputs=plan.inputs, offset=offset):
                    h, Q = block.h, block.Q
                    run.logs.append(torch.log(torch.diagonal(block.R, dim1=-2, dim2=-1).abs()))
                    run.lengths.append(block.length)
                    if keep_vectors:
                        run.frames.append(block.Q)
                    run.done = offset - warmup + block.done
                    if progress is not None:
                        progress(warmup + run.done, total)
    except KeyboardInterrupt:
        if differentiable:  # a half-built graph is not a gradient of anything stated
            raise
        run.interrupted = True
        if run.done == 0:
            raise
    return run


def _result(plan: _Plan, run: _Run, base: float, keep_history: bool) -> LyapunovResult:
    """Exponents, standard errors, running estimates and the optional history of a run."""
    if not run.logs:  # pragma: no cover - guarded by steps >= t_on
        raise ValueError("no QR block was completed.")
    dt = plan.tangent.dt
    like = run.logs[0]
    scale = 1.0 / math.log(base)
    logs = torch.stack(run.logs, dim=1)  # (B, blocks, k)
    per_sample = logs.sum(1) / (run.done * dt) * scale
    lengths = torch.tensor(run.lengths, dtype=like.dtype, device=like.device)
    elapsed = torch.cumsum(lengths, 0) * dt
    running = torch.cumsum(logs.mean(0), 0) / elapsed.unsqueeze(1) * scale  # (blocks, k)
    mark = max(0, int(0.8 * running.shape[0]) - 1)
    batch = per_sample.shape[0]
    batch_mean_logs = logs.mean(0) if batch == 1 else None
    stderr = _stderr(per_sample, batch_mean_logs, lengths * dt) * (1.0 if batch >= 2 else scale)
    ftle = r_values = None
    if keep_history:
        ftle = logs / (lengths * dt).view(1, -1, 1) * scale
        r_values = logs.exp()
    return LyapunovResult(
        exponents=per_sample.mean(0),
        stderr=stderr,
        per_sample=per_sample,
        running=running,
        drift=(running[-1] - running[mark]).abs(),
        steps=run.done,
        warmup=plan.warmup,
        t_on=plan.tangent.t_on,
        dt=dt,
        base=base,
        ftle=ftle,
        r_values=r_values,
        q_vectors=torch.stack(run.frames, dim=1) if run.frames else None,
        interrupted=run.interrupted,
    )


def lyapunov_spectrum(
    map,
    inputs: Tensor | None = None,
    h0: Tensor | None = None,
    *,
    k: int | None = None,
    steps: int | None = None,
    warmup: int = 0,
    t_on: int = 1,
    base: float = math.e,
    qr_method: str = "householder",
    keep_history: bool = False,
    keep_vectors: bool = False,
    q0: Tensor | str = "random",
    progress: Callable[[int, int], None] | None = None,
    batch_first: bool | None = None,
    differentiable: bool = False,
    grad_steps: int | None = None,
) -> LyapunovResult:
    """The k largest Lyapunov exponents of a Map, batched over inputs or initial conditions.

    Implements Vogt, dissertation, Alg. 2 (warm-up, QR every ``t_on`` steps) with the conventions
    in the module docstring; the spirit of ChaosTools' ``lyapunovspectrum(ds, N, k; Ttr, Δt)``. The
    iteration is a :class:`~neurodyn.systems.TangentMap` (state + k tangent vectors).

    Args:
        map: a Map (``neurodyn.as_map(obj)`` is applied: torch RNN modules, reference systems,
            feedforward nets, any object with ``step``/``jacobian``).
        inputs: ``(B, T, input_size)`` for driven maps (``(T, B, input_size)`` with
            ``batch_first=False``). The first ``warmup`` steps consume the first ``warmup``
            inputs; ``steps`` defaults to ``T − warmup``.
        h0: ``(B, n)`` initial states (required for autonomous maps; zeros for driven ones),
            in the map's dtype where it has one (a float64 module needs float64 ``h0``).
        k: number of exponents (default: the tangent dimension n); k < n costs less.
        steps: accumulated steps T (required for autonomous maps).
        warmup: steps that evolve the state *and* the tangent vectors, reorthonormalising every
            ``t_on`` steps, without accumulating.
        t_on: steps between QR factorisations (Vogt, dissertation: T_ON). The tangent vectors grow
            by up to e^(λ₁·t_on) between QRs, which must stay inside the float range.
        base: logarithm base (e for nats, 2 for bits).
        qr_method: "householder", "cholesky" (CholeskyQR2 with fallback) or "auto".
        keep_history: keep FTLEs and R-values per block (Vogt, dissertation, Ch. 4).
        keep_vectors: keep Q after every QR (memory B·blocks·n·k).
        q0: initial tangent vectors: ``"random"`` (default; one orthonormal ``(n, k)`` frame
            from a generator seeded with 0, shared by the batch, so runs are reproducible and
            the k columns are generic), ``"identity"`` (the dissertation's choice: the first k
            columns of I, which can sit in an invariant subspace, e.g. for triangular maps), or a
            tensor ``(n, k)`` / ``(B, n, k)``.
        progress: called as ``progress(done, total)`` after every QR, warm-up included
            (``total = warmup + steps``), e.g. to drive a progress bar. Ctrl-C during the
            accumulation returns the finished blocks with ``interrupted=True``.
        batch_first: how ``inputs`` are laid out. None (default): as torch reads them for a
            torch ``nn.RNN``/``nn.LSTM``/``nn.GRU`` passed directly (its own ``batch_first``,
            False by default: ``(T, B, F)``), and ``(B, T, F)`` for every Map (including
            ``as_map(module)``). True / False force ``(B, T, F)`` / ``(T, B, F)``.
        differentiable: keep autograd's graph, so ``res.exponents`` (and ``per_sample``) can be
            differentiated with respect to the map's parameters, ``inputs`` and ``h0``: the
            "backprop-friendly QR" of Vogt, dissertation, §2.4, used by gradient flossing
            (Engelken 2023, :mod:`neurodyn.train`'s ``floss``). The tangent steps use the
            Map's analytic Jacobians (themselves differentiated) and the QR is sign-fixed
            (:func:`~neurodyn.lyapunov.positive_qr`); the values equal the default path's to
            rounding. The gradient is exact: through the warm-up and every step. Memory
            grows as ``(warmup + steps) · B · (n_t² + n_t·k)`` saved floats (each step's
            Jacobian and frame; docs/lyapunov.md measures it).
        grad_steps: with ``differentiable``: keep the graph of only the last ``grad_steps``
            accumulated steps (truncated backpropagation; default None: everything). The
            values are unchanged; the gradient then ignores how the state and frame entering
            those steps depend on the parameters (a bias docs/lyapunov.md measures), and
            memory grows with ``grad_steps`` instead.

    Returns:
        :class:`LyapunovResult`. Device and dtype follow ``inputs`` / ``h0``.

    Raises:
        ValueError: wrong shapes, k > n, too few steps for ``t_on``, a missing ``h0``/``steps``
            for an autonomous map, a batch mismatch between ``inputs`` and ``h0`` (naming
            ``batch_first`` when the layout looks swapped), ``warmup`` not below the inputs'
            length, an empty batch, NaN/inf in ``inputs`` / ``h0`` (naming the batch rows and
            time steps) or in a parameter (naming it). float16 / bfloat16 modules run as a
            float32 copy (with a warning).
        DivergenceError: (a ``ValueError``) a NaN/inf in the state (``what="state"``) or in the
            tangent vectors between QRs (``what="tangent"``: lower ``t_on``), with the steps.
        TypeError: ``h0`` / ``inputs`` not in the map's dtype or device (names both and the fix).

    Example:
        >>> import torch, neurodyn
        >>> from neurodyn.systems import Henon
        >>> res = neurodyn.lyapunov_spectrum(Henon(), h0=torch.zeros(8, 2, dtype=torch.float64),
        ...                                  steps=5000, warmup=100)
        >>> round(res.exponents.sum().item(), 6) == round(torch.log(torch.tensor(0.3)).item(), 6)
        True
    """
    if not isinstance(differentiable, bool):
        raise TypeError(f"differentiable must be True or False, got {differentiable!r}.")
    with torch.set_grad_enabled(differentiable):  # a Map built now may snapshot weights
        plan = _plan(
            map,
            inputs,
            h0,
            k=k,
            steps=steps,
            warmup=warmup,
            t_on=t_on,
            qr_method=qr_method,
            batch_first=batch_first,
        )
    if grad_steps is not None:
        if not differentiable:
            raise ValueError("grad_steps truncates the gradient: pass differentiable=True too.")
        if not isinstance(grad_steps, int) or not 1 <= grad_steps <= plan.steps:
            raise ValueError(
                f"grad_steps must be an int in [1, steps = {plan.steps}], got {grad_steps!r}."
            )
    reason = getattr(plan.tangent.map, "not_differentiable", None)
    if differentiable and reason:
        raise invalid_input(f"lyapunov_spectrum(differentiable=True): {reason}.")
    if differentiable and plan.upcast:
        raise invalid_input(
            "lyapunov_spectrum(differentiable=True): the module is in half precision, and "
            "neurodyn runs half-precision modules as a float32 copy, whose gradients would not "
            "reach your parameters. Pass module.float() (or .double()) and train that."
        )
    h = plan.h0
    tm = plan.tangent
    Q = _initial_frame(q0, h.shape[0], tm.tangent_dim, tm.k, h)
    keep = (grad_steps or "all") if differentiable else None
    with torch.no_grad() if not differentiable else torch.enable_grad():
        with few_threads(h.shape[0], tm.tangent_dim):
            run = _run(plan, Q, qr_method, keep_vectors, progress, keep)
        return _result(plan, run, base, keep_history)
