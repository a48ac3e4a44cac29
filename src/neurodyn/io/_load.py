"""Loading a saved model (:func:`load_model`, ``neurodyn.load_model``), the one loader behind
``neurodyn analyze`` and ``neurodyn lyapunov``, and a file of driving inputs (:func:`load_inputs`).

What a file may hold, tried in this order (:func:`load_model`):

* a TorchScript archive (``torch.jit.save``) or a ``torch.export`` archive (``torch.export.save``):
  the module's kind is read from the archive (its submodules' class names or its graph's
  operators) and rebuilt as plain torch modules, checked against the archive on random inputs;
* a ``state_dict`` (``torch.load(..., weights_only=True)``, which cannot run code): an
  ``nn.RNN/LSTM/GRU`` (or cell) is read off the parameter names and shapes (``weight_ih_l{k}``,
  ``weight_hh_l{k}``: gate count 1 → RNN, 3 → GRU, 4 → LSTM, ``weight_hr_l{k}`` → projection);
  a feedforward net needs ``--arch`` (a state dict records no activations);
* a checkpoint dict (``{'model': state_dict, 'epoch': 3}``): ``key`` picks the entry; without it
  the error lists the entries that look like state dicts;
* a pickled ``nn.Module``, only with ``unsafe=True`` (``weights_only=False``), for trusted files.

float16 / bfloat16 weights are upcast to float32 (the QR and eigen-solvers need it); the
:class:`Loaded` result says so in ``notes``. A plain RNN's state dict does not record its
nonlinearity, so ``kind="auto"`` asks for ``rnn_tanh`` or ``rnn_relu``. A state dict of a module
with a parametrization (``parametrizations.<name>.original*`` keys) holds the parametrization's
factors, not the weight, and the parametrization's settings are not saved in it: the error says
how to save the weights instead.
"""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from neurodyn._core import LoadError
from neurodyn.io._archive import load_archive
from neurodyn.io._state import KINDS, LOW_PRECISION, from_state, upcast

__all__ = ["Loaded", "load_inputs", "load_model", "load_recurrent_module", "sha256"]

_RECURRENT = (nn.RNNBase, nn.RNNCellBase)
_MODEL_SUFFIXES = (".pt", ".pth", ".pt2", ".ckpt", ".bin")


@dataclass(frozen=True)
class Loaded:
    """A loaded model: the module, what it is and where it came from.

    Attributes:
        module: an ``nn.Module`` in eval mode (float32 or float64).
        kind: ``"feedforward"``, ``"recurrent"`` (torch RNN/LSTM/GRU or cell) or ``"map"``
            (a module with ``__neurodyn_map__``).
        source: how the file was read, e.g. ``"state dict"``, ``"checkpoint entry 'model'"``,
            ``"TorchScript archive"``.
        path: the model file; ``sha256``: its hash; ``saved_dtype``: the weights' dtype on disk.
        notes: what was changed on loading (an upcast), in words for the user.
    """

    module: nn.Module
    kind: str
    source: str
    path: Path
    sha256: str
    saved_dtype: str
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "file": str(self.path),
            "sha256": self.sha256,
            "format": self.source,
            "kind": self.kind,
            "module": type(self.module).__name__,
            "saved_dtype": self.saved_dtype,
            "dtype": str(next(self.module.parameters()).dtype).replace("torch.", ""),
            "notes": list(self.notes),
        }


def sha256(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------- reading the file


def _file_format(path: Path) -> str:
    """``"torchscript"``, ``"export"``, ``"torch"`` (torch.save zip or legacy pickle)."""
    if path.is_dir():
        found = sorted(p.name for p in path.iterdir() if p.suffix in _MODEL_SUFFIXES)
        inside = (
            f" It holds {', '.join(found[:5])}{', …' if len(found) > 5 else ''}." if found else ""
        )
        raise LoadError(
            f"{path} is a directory, not a model file: pass the file itself (one written by "
            f"torch.save, torch.jit.save or torch.export.save, e.g. {path / 'model.pt'}).{inside}"
        )
    if not path.is_file():
        raise LoadError(f"no such model file: {path}")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK"):
        try:
            names = zipfile.ZipFile(path).namelist()
        except zipfile.BadZipFile as err:
            raise LoadError(f"{path} looks like a zip file but cannot be read: {err}.") from err
        if any(n.endswith("/archive_format") for n in names):
            return "export"
        if any("/code/" in n for n in names) and any(n.endswith("constants.pkl") for n in names):
            return "torchscript"
        return "torch"
    if head[:1] == b"\x80":  # a pickle (torch's legacy format starts with the protocol byte)
        return "torch"
    raise LoadError(
        f"{path} is not a PyTorch file (it starts with {head!r}, neither a torch.save zip archive "
        "nor a pickle). Save the model with torch.save(model.state_dict(), path), "
        "torch.jit.save(torch.jit.script(model), path) or torch.export.save(...)."
    )


def _torch_load(path: Path, unsafe: bool):
    try:
        return torch.load(path, map_location="cpu", weights_only=not unsafe)
    except pickle.UnpicklingError as err:
        if unsafe:
            raise LoadError(f"{path}: torch.load cannot read it: {err}") from err
        raise LoadError(
            f"{path} holds more than tensors (probably a pickled nn.Module), which "
            "torch.load(weights_only=True) refuses because unpickling can run code. Re-save it "
            "with torch.save(model.state_dict(), path) (or as TorchScript / torch.export), or "
            "pass --unsafe-load if you trust the file."
        ) from err
    except (RuntimeError, EOFError, OSError) as err:
        raise LoadError(
            f"{path}: torch.load cannot read it ({type(err).__name__}: {err})."
        ) from err


def _is_state_dict(obj) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(isinstance(v, Tensor) for v in obj.values())


def _pick(obj, key: str | None, path: Path) -> tuple[object, str]:
    """The entry of a checkpoint dict: ``key`` (``a/b`` for nested dicts) or the only choice."""
    if key is not None:
        where = obj
        for part in key.split("/"):
            if not isinstance(where, dict) or part not in where:
                keys = sorted(map(str, where)) if isinstance(where, dict) else []
                raise LoadError(f"{path}: no entry {part!r} for --key {key}; entries: {keys}.")
            where = where[part]
        return where, f"checkpoint entry {key!r}"
    if _is_state_dict(obj) or not isinstance(obj, dict):
        return obj, "state dict"
    candidates = [k for k, v in obj.items() if _is_state_dict(v) or isinstance(v, nn.Module)]
    keys = ", ".join(map(str, obj))
    if candidates:
        hint = " or ".join(f"--key {k}" for k in candidates)
        raise LoadError(
            f"{path} holds a checkpoint dict (entries: {keys}); the weights look to be under "
            f"{', '.join(map(repr, candidates))}: pass {hint}."
        )
    raise LoadError(
        f"{path} holds a dict (entries: {keys}) with no state dict in it; pass --key NAME for "
        "the entry that holds the model's state_dict."
    )


# ---------------------------------------------------------------------- public


def _kind_of(module: nn.Module) -> str:
    if getattr(type(module), "__neurodyn_map__", None) is not None:
        return "map"
    if isinstance(module, _RECURRENT):
        return "recurrent"
    return "feedforward"


def _from_module(obj: nn.Module, path: Path) -> nn.Module:
    if _kind_of(obj) != "feedforward":
        return obj
    rec = [m for m in obj.modules() if isinstance(m, _RECURRENT)]
    if len(rec) == 1:
        return rec[0]
    if len(rec) > 1:
        raise LoadError(f"{path}: found {len(rec)} recurrent submodules; need exactly one.")
    return obj


def load_model(
    path: str | Path,
    *,
    arch: str | None = None,
    key: str | None = None,
    prefix: str | None = None,
    kind: str = "auto",
    unsafe: bool = False,
) -> Loaded:
    """A model from ``path`` (see the module docstring for what the file may hold).

    Args:
        path: the model file.
        arch: a feedforward layer spec (``2-64-tanh-64-2``) for a state dict of an MLP.
        key: the checkpoint entry holding the model (``model``, or ``a/b`` when nested).
        prefix: key prefix of the module in the state dict (``core`` or ``core.``).
        kind: for recurrent state dicts, one of :data:`KINDS`.
        unsafe: allow a pickled module (``torch.load(weights_only=False)``).

    Returns:
        :class:`Loaded`.

    Raises:
        LoadError: (a ``ValueError``) anything the file or the options do not allow, with a
            message that says what to pass instead.
    """
    path = Path(path)
    if kind not in KINDS:
        raise LoadError(f"--kind must be one of {', '.join(KINDS)}, got {kind!r}.")
    fmt = _file_format(path)
    digest = sha256(path)
    if fmt in ("torchscript", "export"):
        module, source = load_archive(path, fmt)
    else:
        obj, source = _pick(_torch_load(path, unsafe), key, path)
        if isinstance(obj, nn.Module):
            module, source = _from_module(obj, path), "pickled module"
        elif _is_state_dict(obj):
            module = None
        else:
            raise LoadError(
                f"{path} holds a {type(obj).__name__}, not a state dict, a checkpoint dict or a "
                "module."
            )
        if module is None:
            state, saved, notes = upcast(obj)
            module = from_state(state, path, arch=arch, kind=kind, prefix=prefix)
            return Loaded(module.eval(), _kind_of(module), source, path, digest, saved, notes)
    params = list(module.parameters())
    saved = str(params[0].dtype).replace("torch.", "") if params else "none"
    notes: tuple[str, ...] = ()
    if params and params[0].dtype in LOW_PRECISION:
        module = module.float()
        notes = (f"weights saved as {saved}, upcast to float32 for the analysis",)
    return Loaded(module.eval(), _kind_of(module), source, path, digest, saved, notes)


def load_recurrent_module(
    path: Path, *, kind: str = "auto", prefix: str | None = None, unsafe: bool = False
) -> nn.Module:
    """A torch recurrent module (or a module with ``__neurodyn_map__``) from a file
    (:func:`load_model`).

    Raises:
        LoadError: the file holds no recurrent model (or see :func:`load_model`).
    """
    loaded = load_model(path, kind=kind, prefix=prefix, unsafe=unsafe)
    if loaded.kind == "feedforward":
        raise LoadError(
            f"{path} holds a feedforward {type(loaded.module).__name__}, not a recurrent module; "
            "use neurodyn analyze for it."
        )
    return loaded.module


def load_inputs(path: Path, key: str | None, dtype: torch.dtype) -> Tensor:
    """A ``(B, T, input_size)`` tensor of inputs from ``path``: a tensor, or a dict of them
    (``key`` picks one; without it the error lists the keys).

    Raises:
        LoadError: not a torch file of a tensor, a dict without ``key``, not 3-D, no sequences
            or no time steps, integer entries, or NaN / ±inf entries (the first one named).
    """
    if _file_format(Path(path)) != "torch":
        raise LoadError(f"--inputs {path}: expected a torch.save file of a tensor.")
    obj = _torch_load(Path(path), unsafe=False)
    if isinstance(obj, dict):
        tensors = [k for k, v in obj.items() if isinstance(v, Tensor)]
        if key is None:
            raise LoadError(
                f"--inputs {path} holds a dict (entries: {', '.join(map(str, obj))}); pass "
                f"--inputs-key with one of the tensors: {', '.join(map(str, tensors))}."
            )
        if key not in obj or not isinstance(obj[key], Tensor):
            raise LoadError(f"--inputs {path}: no tensor entry {key!r}; tensors: {tensors}.")
        obj = obj[key]
    elif key is not None:
        raise LoadError(f"--inputs-key {key} given but {path} holds a single tensor, not a dict.")
    if not isinstance(obj, Tensor):
        raise LoadError(f"--inputs {path} holds a {type(obj).__name__}, not a tensor.")
    if obj.ndim != 3:
        raise LoadError(
            f"--inputs {path}: need a (batch, time, input_size) tensor, got shape "
            f"{tuple(obj.shape)}."
        )
    if obj.shape[0] == 0 or obj.shape[1] == 0:
        what = "no sequences (batch 0)" if obj.shape[0] == 0 else "no time steps (length 0)"
        raise LoadError(
            f"--inputs {path} holds {what}: its shape is {tuple(obj.shape)}; save a "
            "(batch, time, input_size) tensor with at least one sequence and more time steps "
            "than --warmup."
        )
    if not obj.is_floating_point():
        raise LoadError(
            f"--inputs {path} holds a {str(obj.dtype).replace('torch.', '')} tensor; save the "
            "inputs as floats."
        )
    bad = ~torch.isfinite(obj)
    if bad.any():
        what = "NaN" if torch.isnan(obj).any() else "±inf"
        first = tuple(int(i) for i in bad.nonzero()[0])
        raise LoadError(
            f"--inputs {path} contains {what} ({int(bad.sum())} of {obj.numel()} entries, the "
            f"first at (sequence, step, feature) = {first}); the exponents would be NaN. Clean "
            "or drop those sequences first."
        )
    return obj.to(dtype)
