"""Loading saved recurrent models safely for ``neurodyn lyapunov``.

``torch.load(..., weights_only=True)`` refuses arbitrary pickles, so by default a file must hold
a ``state_dict`` (or a dict of tensors); the architecture is read off the parameter names and
shapes (``weight_ih_l{k}``, ``weight_hh_l{k}``: gate count 1 → RNN, 3 → GRU, 4 → LSTM). A plain
RNN's state dict does not record its nonlinearity (tanh and ReLU have the same parameters), so
``kind="auto"`` refuses to guess and asks for ``rnn_tanh`` or ``rnn_relu``. A
pickled ``nn.Module`` loads only with ``unsafe=True`` (``weights_only=False``), for files the
user trusts.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import torch
from torch import nn

__all__ = ["KINDS", "load_recurrent_module"]

KINDS = ("auto", "rnn_tanh", "rnn_relu", "lstm", "gru")
_GATES = {1: "rnn", 3: "gru", 4: "lstm"}


def _strip_prefix(state: dict, prefix: str | None) -> dict:
    if prefix is None:
        heads = {k[: -len("weight_ih_l0")] for k in state if k.endswith("weight_ih_l0")}
        heads |= {k[: -len("weight_ih")] for k in state if k.endswith("weight_ih")}
        if len(heads) != 1:
            found = sorted(heads) or "none"
            raise ValueError(
                "cannot find one recurrent module in the state dict (looked for keys ending in "
                f"'weight_ih_l0' or 'weight_ih'; prefixes found: {found}). Pass --prefix."
            )
        prefix = heads.pop()
    out = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
    if not out:
        raise ValueError(f"no parameter in the state dict starts with the prefix {prefix!r}.")
    return out


def _module_from_state(state: dict, kind: str, prefix: str | None) -> nn.Module:
    state = _strip_prefix(state, prefix)
    cell = "weight_ih" in state and "weight_ih_l0" not in state
    w_hh = state["weight_hh" if cell else "weight_hh_l0"]
    w_ih = state["weight_ih" if cell else "weight_ih_l0"]
    hidden = w_hh.shape[1]
    gates = w_hh.shape[0] // hidden
    detected = _GATES.get(gates)
    if detected is None:
        raise ValueError(
            f"weight_hh has {w_hh.shape[0]} rows for hidden size {hidden}: "
            "not an RNN (1×), GRU (3×) or LSTM (4×)."
        )
    if kind == "auto" and detected == "rnn":
        raise ValueError(
            "the state dict is of a plain RNN, and a state dict does not record its "
            "nonlinearity (tanh and ReLU have the same parameters): pass --kind rnn_tanh or "
            "--kind rnn_relu."
        )
    if kind == "auto":
        kind = detected
    elif (kind.startswith("rnn") and detected != "rnn") or (
        not kind.startswith("rnn") and kind != detected
    ):
        raise ValueError(f"--kind {kind} does not match the weights, which look like {detected}.")
    bias = ("bias_ih" if cell else "bias_ih_l0") in state
    layers = (
        1 if cell else len({m.group(1) for k in state if (m := re.match(r"weight_ih_l(\d+)$", k))})
    )
    if any(k.endswith("_reverse") for k in state):
        raise ValueError("the state dict is of a bidirectional module, which is not a causal map.")
    args = {"input_size": w_ih.shape[1], "hidden_size": hidden, "bias": bias}
    if kind == "lstm":
        module = nn.LSTMCell(**args) if cell else nn.LSTM(num_layers=layers, **args)
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
    module.load_state_dict(state)
    return module.eval()


def load_recurrent_module(
    path: Path, *, kind: str = "auto", prefix: str | None = None, unsafe: bool = False
) -> nn.Module:
    """A torch recurrent module from a file: a state dict by default, a pickled module only
    when ``unsafe`` (see the module docstring)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such model file: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not unsafe)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"{path} holds more than tensors (probably a pickled nn.Module), which "
            "torch.load(weights_only=True) refuses because unpickling can run code. Re-save it "
            "with torch.save(model.state_dict(), path), or pass --unsafe-load if you trust the "
            "file."
        ) from err
    if isinstance(obj, nn.Module):
        if isinstance(obj, nn.RNNBase | nn.RNNCellBase):
            return obj.eval()
        modules = [m for m in obj.modules() if isinstance(m, nn.RNNBase | nn.RNNCellBase)]
        if len(modules) != 1:
            raise ValueError(
                f"{path}: found {len(modules)} recurrent submodules; need exactly one."
            )
        return modules[0].eval()
    if isinstance(obj, dict) and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return _module_from_state(obj, kind, prefix)
    raise ValueError(f"{path} holds a {type(obj).__name__}, not a state dict or a module.")
