"""State dicts rebuilt as torch modules: an ``nn.RNN/LSTM/GRU`` (or cell) read off its parameter
names and shapes, a feedforward net from an ``--arch`` spec (:mod:`neurodyn.io._arch`).

``weight_ih_l{k}``, ``weight_hh_l{k}``: the gate count 1 → RNN, 3 → GRU, 4 → LSTM;
``weight_hr_l{k}`` → a projection. A plain RNN's state dict does not record its nonlinearity, so
``kind="auto"`` asks for ``rnn_tanh`` or ``rnn_relu``. A state dict of a module with a
parametrization (``parametrizations.<name>.original*`` keys) holds the parametrization's
factors, not the weight: the error says how to save the weights instead. Used by the file
loader (:mod:`neurodyn.io._load`) and by the ``torch.export`` reader (:mod:`neurodyn.io._archive`).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn

from neurodyn._core import LoadError
from neurodyn.io._arch import load_arch_state, suggest_arch

__all__ = ["KINDS", "LOW_PRECISION", "from_state", "recurrent_from_state", "upcast"]

#: What ``kind`` may be (``--kind``).
KINDS = ("auto", "rnn_tanh", "rnn_relu", "lstm", "gru")
#: Weight dtypes upcast to float32 on loading (the QR and eigen-solvers need it).
LOW_PRECISION = (torch.float16, torch.bfloat16)
_GATES = {1: "rnn", 3: "gru", 4: "lstm"}


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


def upcast(state: dict) -> tuple[dict, str, tuple[str, ...]]:
    dtypes = {v.dtype for v in state.values() if v.is_floating_point()}
    saved = ", ".join(sorted(str(d).replace("torch.", "") for d in dtypes)) or "none"
    if dtypes & set(LOW_PRECISION):
        state = {k: v.float() if v.dtype in LOW_PRECISION else v for k, v in state.items()}
        return state, saved, (f"weights saved as {saved}, upcast to float32 for the analysis",)
    return state, saved, ()


def recurrent_from_state(state: dict, kind: str, prefix: str | None) -> nn.Module:
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


def from_state(state: dict, path: Path, *, arch, kind, prefix) -> nn.Module:
    _check_parametrized(state, path)
    recurrent = any(re.search(r"weight_ih(_l0)?$", k) for k in state)
    if recurrent and arch is None:
        return recurrent_from_state(state, kind, prefix)
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
            f"activations: pass --arch, e.g. --arch 2-64-tanh-64-2{hint}.",
            needs=f"--arch {guess or '2-64-tanh-64-2'}",
        )
    return load_arch_state(arch, state, str(path))
