"""Loading a user's saved model for ``neurodyn analyze`` and ``neurodyn lyapunov`` (one loader).

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
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from neurodyn.cli._arch import LoadError, load_arch_state, suggest_arch

__all__ = [
    "KINDS",
    "LoadError",
    "Loaded",
    "check_out_dir",
    "load_inputs",
    "load_model",
    "load_recurrent_module",
    "sha256",
]

KINDS = ("auto", "rnn_tanh", "rnn_relu", "lstm", "gru")
_GATES = {1: "rnn", 3: "gru", 4: "lstm"}
_RECURRENT = (nn.RNNBase, nn.RNNCellBase)
_LOW_PRECISION = (torch.float16, torch.bfloat16)


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


# ---------------------------------------------------------------------- state dicts


def _check_parametrized(state: dict, path: Path) -> None:
    keys = [k for k in state if re.search(r"parametrizations\.[^.]+\.original\d*$", k)]
    if keys:
        names = sorted(
            {re.sub(r".*parametrizations\.([^.]+)\.original\d*$", r"\1", k) for k in keys}
        )
        raise LoadError(
            f"{path}: the state dict is of a module with a parametrization on {', '.join(names)} "
            f"(keys such as {keys[0]!r}): it holds the parametrization's factors, not the weight, "
            "and not the parametrization's settings, so the weight cannot be rebuilt from it. "
            "Save the weights themselves: torch.nn.utils.parametrize.remove_parametrizations("
            "module, name) on a copy, then torch.save(copy.state_dict(), path) (or save the "
            "module with torch.export.save)."
        )


def _strip_prefix(state: dict, prefix: str | None) -> dict:
    if prefix is None:
        heads = {k[: -len("weight_ih_l0")] for k in state if k.endswith("weight_ih_l0")}
        heads |= {k[: -len("weight_ih")] for k in state if k.endswith("weight_ih")}
        if len(heads) != 1:
            found = sorted(heads) or "none"
            raise LoadError(
                "cannot find one recurrent module in the state dict (looked for keys ending in "
                f"'weight_ih_l0' or 'weight_ih'; prefixes found: {found}). Pass --prefix."
            )
        prefix = heads.pop()
    elif prefix and not prefix.endswith(".") and any(k.startswith(prefix + ".") for k in state):
        prefix += "."  # --prefix core means the submodule core (keys core.weight_ih_l0, ...)
    out = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    if not out:
        heads = sorted({k.split(".")[0] for k in state})
        raise LoadError(
            f"no parameter in the state dict starts with the prefix {prefix!r}; top-level "
            f"names: {heads}."
        )
    return out


def _upcast(state: dict) -> tuple[dict, str, tuple[str, ...]]:
    dtypes = {v.dtype for v in state.values() if v.is_floating_point()}
    saved = ", ".join(sorted(str(d).replace("torch.", "") for d in dtypes)) or "none"
    if dtypes & set(_LOW_PRECISION):
        state = {k: v.float() if v.dtype in _LOW_PRECISION else v for k, v in state.items()}
        return state, saved, (f"weights saved as {saved}, upcast to float32 for the analysis",)
    return state, saved, ()


def _recurrent_from_state(state: dict, kind: str, prefix: str | None) -> nn.Module:
    state = _strip_prefix(state, prefix)
    cell = "weight_ih" in state and "weight_ih_l0" not in state
    w_hh = state["weight_hh" if cell else "weight_hh_l0"]
    w_ih = state["weight_ih" if cell else "weight_ih_l0"]
    proj = state.get("weight_hr_l0")
    hidden = w_hh.shape[1] if proj is None else proj.shape[1]
    gates = w_hh.shape[0] // hidden
    detected = _GATES.get(gates) if w_hh.shape[0] % hidden == 0 else None
    if detected is None:
        raise LoadError(
            f"weight_hh has {w_hh.shape[0]} rows for hidden size {hidden}: "
            "not an RNN (1×), GRU (3×) or LSTM (4×)."
        )
    if kind == "auto" and detected == "rnn":
        raise LoadError(
            "the state dict is of a plain RNN, and a state dict does not record its "
            "nonlinearity (tanh and ReLU have the same parameters): pass --kind rnn_tanh or "
            "--kind rnn_relu."
        )
    if kind == "auto":
        kind = detected
    elif (kind.startswith("rnn") and detected != "rnn") or (
        not kind.startswith("rnn") and kind != detected
    ):
        raise LoadError(f"--kind {kind} does not match the weights, which look like {detected}.")
    if any(k.endswith("_reverse") for k in state):
        raise LoadError("the state dict is of a bidirectional module, which is not a causal map.")
    bias = ("bias_ih" if cell else "bias_ih_l0") in state
    layers = (
        1 if cell else len({m.group(1) for k in state if (m := re.match(r"weight_ih_l(\d+)$", k))})
    )
    args = {"input_size": w_ih.shape[1], "hidden_size": hidden, "bias": bias}
    if kind == "lstm":
        extra = {} if proj is None else {"proj_size": proj.shape[0]}
        module = nn.LSTMCell(**args) if cell else nn.LSTM(num_layers=layers, **args, **extra)
    elif kind == "gru":
        module = nn.GRUCell(**args) if cell else nn.GRU(num_layers=layers, **args)
    else:
        nl = "relu" if kind == "rnn_relu" else "tanh"
        module = (
            nn.RNNCell(nonlinearity=nl, **args)
            if cell
            else nn.RNN(num_layers=layers, nonlinearity=nl, **args)
        )
    module = module.to(w_hh.dtype)
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise LoadError(
            f"the state dict does not fit {type(module).__name__}: {first[-1]}"
        ) from err
    return module.eval()


def _from_state(state: dict, path: Path, *, arch, kind, prefix) -> nn.Module:
    _check_parametrized(state, path)
    recurrent = any(re.search(r"weight_ih(_l0)?$", k) for k in state)
    if recurrent and arch is None:
        return _recurrent_from_state(state, kind, prefix)
    if prefix:
        if not prefix.endswith(".") and any(k.startswith(prefix + ".") for k in state):
            prefix += "."
        state = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        if not state:
            raise LoadError(f"{path}: no parameter in the state dict starts with {prefix!r}.")
    if arch is None:
        guess = suggest_arch(state)
        hint = f" (the weights read {guess}: name each ?)" if guess else ""
        raise LoadError(
            f"{path} holds a state dict of a feedforward net, which does not record its "
            f"activations: pass --arch, e.g. --arch 2-64-tanh-64-2{hint}."
        )
    return load_arch_state(arch, state, str(path))


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
    from neurodyn.cli._archive import load_archive

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
            state, saved, notes = _upcast(obj)
            module = _from_state(state, path, arch=arch, kind=kind, prefix=prefix)
            return Loaded(module.eval(), _kind_of(module), source, path, digest, saved, notes)
    params = list(module.parameters())
    saved = str(params[0].dtype).replace("torch.", "") if params else "none"
    notes: tuple[str, ...] = ()
    if params and params[0].dtype in _LOW_PRECISION:
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
    (``key`` picks one; without it the error lists the keys)."""
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
    return obj.to(dtype)


def check_out_dir(out: Path) -> None:
    """Refuse, before any work, an ``--out`` that is a file, a non-empty folder neurodyn did
    not write, or another kind of neurodyn output (a training run, a sweep store); an earlier
    report folder is replaced (docs/cli.md, "Output paths")."""
    from neurodyn._core._files import claim_folder

    claim_folder(out, "report", what="--out")
