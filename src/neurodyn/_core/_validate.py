"""The checks every public entry point makes on the model and the data it is given, in one place.

``certify``, ``fixed_points``, ``attractors``, ``basins``, ``classify_attractor``, ``simulate``,
``lyapunov_spectrum`` and ``covariant_lyapunov_vectors`` call :func:`prepare_model` first (and
``contraction.certify`` :func:`check_finite_parameters`), so a library call refuses the same
inputs the CLI refuses, with a message that says what was wrong and what to do:

* a NaN or inf parameter (or buffer, or tensor a user's Map holds) is named — every state,
  Jacobian and spectrum computed from it would be NaN, which the algorithms would otherwise
  report as "divergent" or let the linear solvers fail on;
* float16 / bfloat16 modules are analysed as a float32 copy (the QR, eigenvalue and least-squares
  kernels have no half-precision versions on the CPU), said once with a ``UserWarning``; the
  caller's module is left unchanged;
* :func:`check_batch` refuses an empty batch and names the rows and time steps of non-finite
  inputs before anything is iterated.

Errors about the input are built by :func:`invalid_input` only (one place to re-type them).
"""

from __future__ import annotations

import copy
import sys
import types
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from neurodyn._core._errors import InputError

__all__ = [
    "LOW_PRECISION",
    "InvalidInput",
    "check_batch",
    "check_finite_parameters",
    "held_dtype",
    "invalid_input",
    "named_tensors",
    "prepare_model",
    "warn_user",
]

#: Floating dtypes the solvers cannot run in; modules in them are analysed in float32.
LOW_PRECISION = (torch.float16, torch.bfloat16)

# frames skipped to find the user's call: neurodyn's own and torch's (``@torch.no_grad()``)
_INTERNAL = (str(Path(__file__).resolve().parents[1]), str(Path(torch.__file__).resolve().parent))


#: The model or data given cannot be analysed as it is (kept as a name for the checks here).
InvalidInput = InputError


def invalid_input(message: str) -> InputError:
    """The error for a problem with the caller's model or data (``raise invalid_input(...)``):
    a :class:`neurodyn.errors.InputError`, which the command line reports as one line, exit 2."""
    return InputError(message)


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the first frame outside neurodyn and torch (the user's
    call), however deep inside neurodyn it is raised."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


_NOT_HOLDERS = (type, types.ModuleType, types.FunctionType, types.MethodType)


def named_tensors(obj, *, _depth: int = 0) -> list[tuple[str, Tensor]]:
    """The floating tensors a model or Map computes with, by name.

    A ``nn.Module``: its parameters and buffers (``named_parameters`` names). A Map over a
    module (a ``_module`` attribute, as :class:`~neurodyn.systems.ModuleMap` has): that module's.
    A tensor: itself (name ``""``). Any other object (a user's Map): its tensor attributes (its
    class's too), the tensors of its module attributes and of lists / tuples of tensors, one
    level into plain objects it holds (``as_map`` wrappers). Tensors a closure captures are not
    seen.
    """
    if isinstance(obj, Tensor):
        return [("", obj)] if obj.is_floating_point() else []
    if isinstance(obj, nn.Module):
        found = [*obj.named_parameters(), *obj.named_buffers()]
        return [(name, t) for name, t in found if t is not None and t.is_floating_point()]
    inner = getattr(obj, "_module", None)
    if isinstance(inner, nn.Module):
        return named_tensors(inner)
    attrs = {
        key: value
        for cls in reversed(type(obj).__mro__[:-1])
        for key, value in vars(cls).items()
        if isinstance(value, Tensor)
    }
    attrs.update(getattr(obj, "__dict__", {}))
    out: list[tuple[str, Tensor]] = []
    for key, value in attrs.items():
        if isinstance(value, Tensor | nn.Module):
            out += [(f"{key}.{n}" if n else key, t) for n, t in named_tensors(value)]
        elif isinstance(value, list | tuple):
            out += [
                (f"{key}[{i}]", t)
                for i, t in enumerate(value)
                if isinstance(t, Tensor) and t.is_floating_point()
            ]
        elif _depth == 0 and not isinstance(value, _NOT_HOLDERS) and hasattr(value, "__dict__"):
            out += [(f"{key}.{n}", t) for n, t in named_tensors(value, _depth=1)]
    return out


def held_dtype(obj) -> torch.dtype | None:
    """The one floating dtype of the tensors ``obj`` holds (:func:`named_tensors`), else None
    (no tensors, or several dtypes)."""
    dtypes = {t.dtype for _, t in named_tensors(obj)}
    return dtypes.pop() if len(dtypes) == 1 else None


def _describe(obj) -> str:
    if isinstance(obj, Tensor):
        return "the matrix"
    inner = getattr(obj, "_module", None)
    module = inner if isinstance(inner, nn.Module) else obj
    return f"the {type(module).__name__}"


def check_finite_parameters(obj, what: str) -> None:
    """Raise :func:`invalid_input` naming the first parameter of ``obj`` with a NaN or inf.

    ``obj`` is a module, a Map, a tensor or a numpy array (see :func:`named_tensors`);
    ``what`` names the calling function in the message.
    """
    if type(obj).__module__ == "numpy" and hasattr(obj, "dtype"):
        if obj.dtype.kind in "fc":
            obj = torch.from_numpy(obj)
        else:
            return
    for name, t in named_tensors(obj):
        t = t.detach()
        finite = torch.isfinite(t)
        if bool(finite.all()):
            continue
        bad = (~finite).nonzero()
        nans = int(torch.isnan(t).sum())
        infs = int(torch.isinf(t).sum())
        kinds = " and ".join(f"{c} {label}" for c, label in ((nans, "NaN"), (infs, "inf")) if c)
        where = f"parameter {name!r} of {_describe(obj)}" if name else _describe(obj)
        first = tuple(int(i) for i in bad[0]) if t.ndim else ()
        at = f", first at index {list(first)}" if first else ""
        raise invalid_input(
            f"{what}: {where} has {kinds} entr{'y' if nans + infs == 1 else 'ies'} (of "
            f"{t.numel()}{at}); every state, Jacobian and spectrum computed from it would be "
            "NaN. Fix or reload the weights (e.g. a checkpoint from before training diverged)."
        )


def _upcast_module(module: nn.Module, what: str, dtype: torch.dtype) -> nn.Module:
    try:
        work = copy.deepcopy(module)
    except Exception as err:  # any failure to copy: say how to upcast by hand
        raise invalid_input(
            f"{what}: the {type(module).__name__} has {_dtype_name(dtype)} weights, which the "
            "QR, eigenvalue and linear solvers cannot use, and it cannot be copied to upcast it "
            f"({type(err).__name__}: {err}); pass model.float() instead."
        ) from err
    work = work.float()
    warn_user(
        f"{what}: the {type(module).__name__} has {_dtype_name(dtype)} weights; analysing a "
        "float32 copy (the QR, eigenvalue and linear solvers have no "
        f"{_dtype_name(dtype)} kernels; your model is unchanged, and {_dtype_name(dtype)} "
        "states and inputs are upcast too). Pass model.float() to silence this."
    )
    return work


def prepare_model(model, *tensors, what: str):
    """``model`` checked and in a precision the solvers run in, with ``tensors`` to match.

    Raises :func:`invalid_input` for a NaN/inf parameter (named) or for a Map (not a module)
    that computes in float16 / bfloat16. A float16 / bfloat16 ``nn.Module`` is replaced by a
    float32 copy (one ``UserWarning``); then the half-precision tensors among ``tensors``
    (states, inputs; None passes through) are upcast to float32 as well.

    Returns:
        ``model`` alone if no ``tensors`` are given, else ``(model, *tensors)``.
    """
    check_finite_parameters(model, what)
    upcast = False
    if isinstance(model, nn.Module):
        low = {t.dtype for _, t in named_tensors(model)} & set(LOW_PRECISION)
        if low:
            model, upcast = _upcast_module(model, what, sorted(low, key=str)[0]), True
    else:
        dtype = getattr(model, "dtype", None)
        if dtype in LOW_PRECISION:
            raise invalid_input(
                f"{what}: {model!r} computes in {_dtype_name(dtype)}, which the QR, eigenvalue "
                "and linear solvers cannot use. Pass the module itself (neurodyn then analyses "
                "a float32 copy) or build the Map from module.float()."
            )
    if not tensors:
        return model
    if upcast:
        tensors = tuple(
            t.float() if isinstance(t, Tensor) and t.dtype in LOW_PRECISION else t for t in tensors
        )
    return (model, *tensors)


def _rows_steps(mask: Tensor, limit: int = 5) -> str:
    idx = mask.nonzero().tolist()
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return ", ".join(str(i[0]) for i in idx[:limit]) + more


def check_batch(t: Tensor, what: str, *, time_axis: int | None = None) -> None:
    """``t`` must have at least one batch row and be finite; else :func:`invalid_input`.

    Args:
        t: ``(B, n)`` states or ``(B, T, F)`` / ``(T, B, F)`` inputs.
        what: its name in the message (``"inputs"``, ``"h0"``, ``"starts"``).
        time_axis: the time axis of a sequence (1 for ``(B, T, F)``, 0 for ``(T, B, F)``), or
            None for states; the batch axis is the other of the first two.
    """
    batch_axis = 0 if time_axis in (None, 1) else 1
    if t.shape[batch_axis] == 0:
        raise invalid_input(
            f"{what} has an empty batch (shape {tuple(t.shape)}, batch axis {batch_axis}): pass "
            "at least one " + ("sequence." if time_axis is not None else "state.")
        )
    finite = torch.isfinite(t)
    if bool(finite.all()):
        return
    bad = ~finite.reshape(*t.shape[:2], -1).all(dim=-1) if t.ndim > 2 else ~finite.all(dim=1)
    kinds = " and ".join(
        k for k, f in (("NaN", torch.isnan), ("inf", torch.isinf)) if bool(f(t).any())
    )
    if time_axis is None:
        rows = _rows_steps(bad)
        raise invalid_input(
            f"{what} contains {kinds} in batch row(s) {rows}; replace them with finite values."
        )
    per_row = bad.any(dim=time_axis)
    per_step = bad.any(dim=batch_axis)
    layout = "[b, t]" if time_axis == 1 else "[t, b]"
    raise invalid_input(
        f"{what} contains {kinds} in batch row(s) {_rows_steps(per_row)} at time step(s) "
        f"{_rows_steps(per_step)} (0-based, {what}{layout}); clean or drop those sequences "
        "before the analysis."
    )
