"""``check_map``: the Map conformance check, for neurodyn's own maps and for yours."""

from __future__ import annotations

import torch
from torch import Tensor

from neurodyn._core._validate import held_dtype
from neurodyn.systems import MapBase, complete_map

__all__ = ["MAP_CHECKS", "check_map"]

#: The checks :func:`check_map` runs, by the names ``skip=`` takes.
MAP_CHECKS = ("jacobian", "rows", "dtype", "fused")


def _fail(m: MapBase, check: str, detail: str) -> None:
    raise AssertionError(f"check_map[{check}] failed for {m!r}: {detail}")


def _default_inputs(m: MapBase, batch: int, seed: int, dtype) -> tuple[Tensor, Tensor | None]:
    gen = torch.Generator().manual_seed(seed)
    h = 0.5 * torch.randn(batch, m.dim, generator=gen, dtype=torch.float64)
    x = None
    if m.input_size is not None:
        x = torch.randn(batch, m.input_size, generator=gen, dtype=torch.float64)
        x = x.to(dtype=dtype, device=m.device)
    return h.to(dtype=dtype, device=m.device), x


def _row(t: Tensor | None, i: int) -> Tensor | None:
    return None if t is None else t[i : i + 1]


def _close(got: Tensor, want: Tensor, atol: float) -> tuple[bool, float]:
    """|got − want| ≤ atol·(1 + |want|) elementwise; returns (ok, worst error)."""
    if got.shape != want.shape:
        return False, float("inf")
    err = (got - want).abs()
    ok = bool((err <= atol * (1 + want.abs())).all())
    return ok, float(err.max()) if err.numel() else 0.0


def _computes_in(m: MapBase, held: torch.dtype | None, seed: int) -> torch.dtype | None:
    """The dtype a map without a declared one computes in: None where it follows the state
    (one probe step in the other float dtype than the tensors it holds returns that dtype),
    else the dtype of the tensors it holds."""
    if held not in (torch.float32, torch.float64):
        return held
    other = torch.float32 if held == torch.float64 else torch.float64
    h, x = _default_inputs(m, 1, seed, other)
    try:
        with torch.no_grad():
            follows = m.step(h, x).dtype == other
    except (RuntimeError, TypeError):
        follows = False
    return None if follows else held


def _check_follows(m: MapBase, h: Tensor, x: Tensor | None) -> None:
    """A map that declares no dtype and holds no tensors must compute in the state's dtype."""
    other = torch.float32 if h.dtype != torch.float32 else torch.float64
    fix = (
        f"declare the dtype it computes in (a class attribute dtype = {h.dtype}; states are "
        f"then built in it) or make step/jacobian follow h.dtype"
    )
    try:
        with torch.no_grad():
            xo = None if x is None else x.to(other)
            got = (m.step(h.to(other), xo).dtype, m.jacobian(h.to(other), xo).dtype)
    except (RuntimeError, TypeError) as err:
        _fail(
            m,
            "dtype",
            f"the map declares no dtype, so it must follow the state's, but for a {other} state "
            f"step/jacobian raised {type(err).__name__} ({err}): {fix}.",
        )
    if got != (other, other):
        _fail(m, "dtype", f"for a {other} state step/jacobian returned {got}: {fix}.")


def check_map(
    map,
    h: Tensor | None = None,
    x: Tensor | None = None,
    *,
    atol: float | None = None,
    batch: int = 4,
    seed: int = 0,
    fused_exact: bool = False,
    skip: tuple[str, ...] = (),
) -> None:
    """Check that ``map`` keeps the Map contract; raise ``AssertionError`` naming what failed.

    The checks (names for ``skip``):

    * ``"jacobian"``: ``jacobian(h, x)`` equals ``torch.func.jacrev`` of ``step`` at each row,
      every row differentiated on its own (``(B, k, k)``; for ``tangent_dim < dim`` only the
      shape is checked), to ``atol·(1 + |J|)``.
    * ``"rows"``: rows of a batch are independent: ``step`` and ``jacobian`` of each row alone
      equal the batched rows (to 64 ε relative).
    * ``"dtype"``: outputs are in the state's dtype and on its device, and in the map's declared
      ``dtype`` when it has one. A map that declares none but holds tensors of one dtype
      (module parameters, tensor attributes: a float64 weight matrix) and does not follow a
      state in the other float dtype (one probe step tells) computes in the dtype it holds: it
      is checked there, like a declared one. Any other map without a declared dtype must follow
      its input: it is checked in float64 and also run in float32.
    * ``"fused"``: ``step_and_jacobian(h, x)`` equals ``step`` + ``jacobian`` (exactly when
      ``fused_exact``, else to 64 ε), also when given an ``out=`` buffer (filled with NaN
      first, so a map that reads it or leaves it half-written fails).

    Args:
        map: anything :func:`neurodyn.as_map` accepts (a plain class with ``dim``, ``step`` and
            ``jacobian`` is enough).
        h: ``(B, n)`` states to check at (default: ``batch`` rows of 0.5·N(0, 1), seeded, in
            the map's declared dtype, else the dtype it holds and computes in (see ``"dtype"``),
            else float64).
        x: ``(B, input_size)`` inputs for a driven map (default: N(0, 1) rows, seeded).
        atol: tolerance of the Jacobian check, relative to 1 + |J| (default 1e-10 in float64,
            1e-4 in float32 — rounding-aware: each float32 operation carries ~6e-8 relative
            error and jacrev and the analytic form round differently).
        batch, seed: size and seed of the default inputs.
        fused_exact: require the fused call to be bitwise equal to the separate calls.
        skip: names of checks not to run (e.g. ``("jacobian",)`` for a map whose Jacobian *is*
            autograd, where the check would compare autograd with itself).

    Raises:
        AssertionError: ``check_map[<check>] failed for <map>: <what differed>``.

    Example:
        >>> import torch
        >>> from neurodyn.testing import check_map
        >>> class Sine:                       # a user's map: only dim, step and jacobian
        ...     dim = 2
        ...     def step(self, h, x=None):
        ...         return torch.sin(h)
        ...     def jacobian(self, h, x=None):
        ...         return torch.diag_embed(torch.cos(h))
        >>> check_map(Sine())                 # passes silently
        >>> class Wrong(Sine):
        ...     def jacobian(self, h, x=None):
        ...         return torch.diag_embed(-torch.cos(h))
        >>> check_map(Wrong())  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AssertionError: check_map[jacobian] failed for ...
    """
    unknown = set(skip) - set(MAP_CHECKS)
    if unknown:
        raise ValueError(f"skip takes names from {MAP_CHECKS}, got {sorted(unknown)}.")
    m = complete_map(map)
    held = None if m.dtype is not None else _computes_in(m, held_dtype(map), seed)
    if h is None:
        h, x_default = _default_inputs(m, batch, seed, m.dtype or held or torch.float64)
        x = x_default if x is None else x
    elif x is None and m.input_size is not None:
        x = _default_inputs(m, h.shape[0], seed, h.dtype)[1].to(h.device)
    if atol is None:
        atol = 1e-10 if h.dtype == torch.float64 else 1e-4
    B, k = h.shape[0], m.tangent_dim
    try:
        with torch.no_grad():
            s = m.step(h, x)
            J = m.jacobian(h, x)
    except (RuntimeError, TypeError) as err:
        if held is None or h.dtype == held:
            raise
        _fail(
            m,
            "dtype",
            f"step/jacobian raised {type(err).__name__} ({err}) for a {h.dtype} state; the map "
            f"holds {held} tensors: pass h in {held}, or declare dtype = {held} on the map.",
        )
    if s.shape != (B, m.dim):
        _fail(m, "shape", f"step returned {tuple(s.shape)}, expected {(B, m.dim)}.")
    if J.shape != (B, k, k):
        _fail(m, "shape", f"jacobian returned {tuple(J.shape)}, expected {(B, k, k)}.")

    if "jacobian" not in skip and k == m.dim:
        refs = []
        for i in range(B):
            xi = _row(x, i)

            def one(hi, xi=xi):
                return m.step(hi.unsqueeze(0), xi)[0]

            refs.append(torch.func.jacrev(one)(h[i].detach()))
        ref = torch.stack(refs).detach()
        ok, err = _close(J, ref, atol)
        if not ok:
            _fail(
                m,
                "jacobian",
                f"jacobian differs from torch.func.jacrev of step by {err:.3g} "
                f"(allowed {atol:g}·(1 + |J|)).",
            )

    if "rows" not in skip:
        tight = 64 * torch.finfo(h.dtype).eps
        with torch.no_grad():
            for i in range(B):
                s_i, J_i = m.step(h[i : i + 1], _row(x, i)), m.jacobian(h[i : i + 1], _row(x, i))
                ok_s, err_s = _close(s_i[0], s[i], tight)
                ok_j, err_j = _close(J_i[0], J[i], tight)
                if not (ok_s and ok_j):
                    _fail(
                        m,
                        "rows",
                        f"row {i} computed alone differs from the batched row (step by "
                        f"{err_s:.3g}, jacobian by {err_j:.3g}): rows must not interact.",
                    )

    if "dtype" not in skip:
        for name, out in (("step", s), ("jacobian", J)):
            if out.dtype != h.dtype or out.device != h.device:
                _fail(
                    m,
                    "dtype",
                    f"{name} returned {out.dtype} on {out.device} for a state in {h.dtype} on "
                    f"{h.device}.",
                )
            if m.dtype is not None and out.dtype != m.dtype:
                _fail(m, "dtype", f"{name} returned {out.dtype}; the map declares {m.dtype}.")
        if m.dtype is None and held is None:
            _check_follows(m, h, x)

    if "fused" not in skip:
        tol = 0.0 if fused_exact else 64 * torch.finfo(h.dtype).eps
        with torch.no_grad():
            for label, out in (("", None), (" with out=", torch.full_like(J, float("nan")))):
                s2, J2 = m.step_and_jacobian(h, x, out=out)
                ok_s, err_s = _close(s2, s, tol)
                ok_j, err_j = _close(J2, J, tol)
                if not (ok_s and ok_j):
                    _fail(
                        m,
                        "fused",
                        f"step_and_jacobian{label} differs from step + jacobian (step by "
                        f"{err_s:.3g}, jacobian by {err_j:.3g}).",
                    )
