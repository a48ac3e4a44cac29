"""``check_parametrization``: the conformance check every weight parametrization must pass."""

from __future__ import annotations

import contextlib
import copy

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = ["check_parametrization"]


def _parametrization(module: nn.Module, name: str):
    if not parametrize.is_parametrized(module, name):
        raise ValueError(
            f"{type(module).__name__}.{name} is not parametrized; register a parametrization "
            "first (e.g. neurodyn.nn.parametrizations.spectral_svd(module, ...))."
        )
    plist = module.parametrizations[name]
    if len(plist) != 1 or not callable(getattr(plist[0], "measure", None)):
        raise ValueError(
            f"{type(module).__name__}.{name} must carry exactly one parametrization with a "
            f"measure(W, *originals) method (got {[type(p).__name__ for p in plist]}); the "
            "neurodyn.nn.parametrizations classes have one, or subclass "
            "neurodyn.nn.parametrizations.Parametrization."
        )
    originals = tuple(getattr(plist, f"original{i}") for i in range(plist.ntensors))
    return plist[0], originals


def _holds(what: str, m, atol: float | None) -> None:
    tol = m.atol if atol is None else atol
    if not m.violation <= tol:
        raise AssertionError(
            f"{what}: the guarantee fails — {m.quantity}: violation {m.violation:.3e} > atol "
            f"{tol:.3e} (bounds [{m.lower:.6g}, {m.upper:.6g}])."
        )


def check_parametrization(
    module: nn.Module,
    name: str = "weight",
    *,
    steps: int = 50,
    lr: float = 1.0,
    dtype: torch.dtype | None = None,
    atol: float | None = None,
    seed: int = 0,
    gradcheck: bool = True,
) -> None:
    """Check that a parametrized ``module.<name>`` keeps its guarantee; AssertionError if not.

    Four checks, each named in the error when it fails:

    1. **registration**: the current weight satisfies the guarantee (``measure(...).holds``).
    2. **round trip** (``init="project"``'s promise): assigning the current weight back,
       ``module.<name> = W`` (which runs ``right_inverse``, i.e. the projection), returns ``W``
       unchanged to ``atol`` — a member of the set is kept, not re-initialised. Where keeping a
       member needs extra information (``contracting_svd``'s metric Φ) the parametrization's
       ``keeping(*originals)`` supplies it, as passing ``phi=`` would.
    3. **training**: ``steps`` Adam steps with learning rate ``lr`` on a loss that pushes the weight
       out of the set — first half: chase a far random target ``T`` (entries ``10·max(1, |W|)``
       times N(0, 1)), second half: grow ``‖W‖_F`` — on a copy in ``dtype``; every original gets a
       finite gradient; the weight stays finite and the guarantee holds at ten checkpoints.
    4. **gradcheck**: ``torch.autograd.gradcheck`` in float64 of ``originals ↦ W`` at the
       registered originals plus a small random perturbation (a generic point, away from kinks
       such as ``max(1, ·)``).

    The module itself is not modified (checks 2–4 run on deep copies).

    Args:
        module: a module whose ``name`` tensor carries one parametrization with a
            ``measure(W, *originals)`` method returning a ``Measurement`` (every
            :mod:`neurodyn.nn.parametrizations` registrar; or subclass
            :class:`neurodyn.nn.parametrizations.Parametrization`).
        name: the parametrized tensor.
        steps: Adam steps of check 3 (0 skips it).
        lr: Adam's learning rate (default 1.0: aggressive on purpose).
        dtype: the dtype to train in (default: the module's own).
        atol: tolerance of checks 1–3 (default: the measurement's rounding-aware ``atol``).
        seed: seeds the target, the perturbation and gradcheck's random directions.
        gradcheck: run check 4.

    Raises:
        AssertionError: a check failed; the message names which, and by how much.
        ValueError: ``module.<name>`` is not parametrized, or carries no measurable
            parametrization, or its parametrization guarantees nothing (the soft variant).

    Example:
        >>> import torch
        >>> from neurodyn.nn import parametrizations as P
        >>> from neurodyn.testing import check_parametrization
        >>> lin = P.spectral_svd(torch.nn.Linear(6, 4), sigma_min=0.5, sigma_max=1.0)
        >>> check_parametrization(lin, steps=20)  # silent when every check passes
    """
    p, originals = _parametrization(module, name)
    what = f"check_parametrization({type(module).__name__}.{name}, {type(p).__name__})"
    with torch.no_grad():
        W0 = getattr(module, name).detach().clone()
    m = p.measure(W0, *originals)
    if not getattr(m, "guaranteed", True):
        raise ValueError(f"{what}: this parametrization guarantees nothing ({m.quantity}).")
    _holds(f"{what} at registration", m, atol)

    if callable(getattr(p, "right_inverse", None)):
        work = copy.deepcopy(module)
        pw, ow = _parametrization(work, name)
        keep = getattr(pw, "keeping", None)
        with keep(*ow) if callable(keep) else contextlib.nullcontext(), torch.no_grad():
            setattr(work, name, W0)
        W1 = getattr(work, name).detach()
        tol = m.atol if atol is None else atol
        err = float((W1 - W0).abs().max()) if W0.numel() else 0.0
        if not err <= tol:
            raise AssertionError(
                f"{what} round trip: projecting a member moved it by {err:.3e} > {tol:.3e} "
                "(init='project' / assignment must keep weights already in the set)."
            )

    gen = torch.Generator().manual_seed(seed)
    if steps > 0:
        work = copy.deepcopy(module)
        if dtype is not None:
            work = work.to(dtype)
        pw, ow = _parametrization(work, name)
        W = getattr(work, name).detach()
        scale = 10 * max(1.0, float(W.abs().max())) if W.numel() else 10.0
        target = scale * torch.randn(W.shape, generator=gen, dtype=torch.float64).to(W)
        params = [o for o in ow if o.requires_grad]
        opt = torch.optim.Adam(params, lr=lr)
        marks = {max(1, round(steps * k / 10)) for k in range(1, 11)}
        for step in range(1, steps + 1):
            opt.zero_grad()
            W = getattr(work, name)
            loss = (W - target).pow(2).mean() if step <= steps // 2 else -W.pow(2).mean()
            loss.backward()
            if step == 1:
                for i, o in enumerate(ow):
                    if o.requires_grad and (
                        o.grad is None or not bool(torch.isfinite(o.grad).all())
                    ):
                        raise AssertionError(
                            f"{what} training: original{i} gets "
                            f"{'no' if o.grad is None else 'a non-finite'} gradient."
                        )
            opt.step()
            if step in marks:
                with torch.no_grad():
                    W = getattr(work, name)
                if not bool(torch.isfinite(W).all()):
                    raise AssertionError(f"{what} training: non-finite weight after step {step}.")
                _holds(f"{what} after {step} Adam steps (lr={lr})", pw.measure(W, *ow), atol)

    if gradcheck:
        work = copy.deepcopy(module).double()
        pw, ow = _parametrization(work, name)
        inputs = tuple(
            (o.detach() + 1e-2 * torch.randn(o.shape, generator=gen, dtype=o.dtype))
            .requires_grad_(o.requires_grad)
            for o in ow
        )  # fmt: skip
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)  # fast_mode's random directions
                ok = torch.autograd.gradcheck(
                    lambda *o: pw(*o), inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=True
                )
        except RuntimeError as err:  # GradcheckError: analytic and numerical Jacobians differ
            raise AssertionError(f"{what} gradcheck (float64): {err}") from None
        if not ok:  # pragma: no cover - gradcheck raises by default
            raise AssertionError(f"{what} gradcheck (float64) failed.")
