"""TorchScript and ``torch.export`` archives rebuilt as plain torch modules.

neurodyn's exact affine forms and analytic Jacobians need the module's structure (which layers,
which activations), so an archive is read back into ``nn.Linear`` + activations (an MLP) or an
``nn.RNN/LSTM/GRU`` (or cell): TorchScript from its submodules' class names
(``original_name``) and attributes, ``torch.export`` from its graph's ``aten`` operators. The
rebuilt module is compared with the archive on random inputs (relative 1e-5 in float32), so a
misread archive fails instead of giving other numbers.
"""

from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import torch
from torch import nn

from neurodyn._core import LoadError
from neurodyn.activations import SUPPORTED_ACTIVATIONS
from neurodyn.io._state import recurrent_from_state

__all__ = ["load_archive"]

_RNN_NAMES = ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")
_RNN_ARGS = {
    **dict.fromkeys(
        ("RNN", "LSTM", "GRU"),
        ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "bidirectional",
         "proj_size", "nonlinearity"),
    ),
    **dict.fromkeys(("RNNCell", "LSTMCell", "GRUCell"),
                    ("input_size", "hidden_size", "bias", "nonlinearity")),
}  # fmt: skip
_ATEN_ACT = {
    "tanh": "Tanh",
    "relu": "ReLU",
    "sigmoid": "Sigmoid",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "softplus": "Softplus",
    "hardtanh": "Hardtanh",
    "selu": "SELU",
    "mish": "Mish",
    "celu": "CELU",
    "hardsigmoid": "Hardsigmoid",
    "hardswish": "Hardswish",
}
_ATEN_RNN = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN", "rnn_relu": "RNN"}


def _rebuild_script(m, where: str) -> nn.Module:
    name = m.original_name
    if name == "Sequential":
        return nn.Sequential(*(_rebuild_script(c, f"{where}.{n}") for n, c in m.named_children()))
    if name == "Linear":
        w = m.weight
        lin = nn.Linear(w.shape[1], w.shape[0], bias=m.bias is not None).to(w.dtype)
        lin.load_state_dict(m.state_dict())
        return lin
    if name in _RNN_NAMES:
        cls = getattr(nn, name)
        kw = {p: getattr(m, p) for p in _RNN_ARGS[name] if hasattr(m, p)}
        if name != "RNN" and name != "RNNCell":
            kw.pop("nonlinearity", None)
        if not kw.get("proj_size"):
            kw.pop("proj_size", None)
        rnn = cls(**kw).to(next(m.parameters()).dtype)
        rnn.load_state_dict(m.state_dict())
        return rnn
    if name in SUPPORTED_ACTIVATIONS:
        cls = getattr(nn, name)
        sig = inspect.signature(cls.__init__).parameters
        kw = {p: getattr(m, p) for p in sig if p not in ("self", "inplace") and hasattr(m, p)}
        act = cls(**kw)
        if m.state_dict():  # PReLU
            act.load_state_dict(m.state_dict())
        return act
    if name in ("Identity", "Dropout", "Flatten"):
        return nn.Identity()
    raise LoadError(
        f"TorchScript archive: submodule {where} is a {name}, which neurodyn cannot rebuild "
        "(supported: nn.Sequential of nn.Linear and elementwise activations, nn.RNN/LSTM/GRU and "
        "their cells). Save the state dict and pass --arch, or --unsafe-load a pickled module."
    )


def _rebuild_export(ep, path: Path) -> nn.Module:
    params = {**ep.state_dict, **getattr(ep, "constants", {})}
    to_param = {**ep.graph_signature.inputs_to_parameters, **ep.graph_signature.inputs_to_buffers}
    layers: list[nn.Module] = []
    calls = [
        (node, node.target.name().split("::")[-1].split(".")[0])
        for node in ep.graph_module.graph.nodes
        if node.op == "call_function" and hasattr(node.target, "name")
    ]
    rnn_calls = [(node, op) for node, op in calls if op in _ATEN_RNN]
    if rnn_calls:  # an nn.RNN/LSTM/GRU: its parameters carry the torch names (weight_ih_l0, ...)
        return _export_rnn(*rnn_calls[0], params)
    for node, op in calls:
        if op == "linear":
            w = params[to_param[node.args[1].name]]
            b = params[to_param[node.args[2].name]] if len(node.args) > 2 and node.args[2] else None
            lin = nn.Linear(w.shape[1], w.shape[0], bias=b is not None).to(w.dtype)
            with torch.no_grad():
                lin.weight.copy_(w)
                if b is not None:
                    lin.bias.copy_(b)
            layers.append(lin)
        elif op in _ATEN_ACT:
            cls = getattr(nn, _ATEN_ACT[op])
            extra = [a for a in node.args[1:] if isinstance(a, int | float)]
            layers.append(cls(*extra) if op in ("leaky_relu", "elu", "celu") and extra else cls())
        elif op in ("view", "reshape", "flatten", "dropout", "clone", "alias", "detach"):
            continue
        else:
            raise LoadError(
                f"{path}: the torch.export graph calls aten.{op}, which neurodyn cannot rebuild "
                "(supported: linear layers, elementwise activations, RNN/LSTM/GRU). Save the "
                "state dict and pass --arch instead."
            )
    if not layers:
        raise LoadError(f"{path}: the torch.export graph has no layer neurodyn recognises.")
    return nn.Sequential(*layers)


def _export_rnn(node, op: str, params: dict) -> nn.Module:
    """The nn.RNN/LSTM/GRU of an ``aten.{lstm,gru,rnn_tanh,rnn_relu}.input`` call: weights from
    the parameters, ``batch_first`` from the call's last argument (``(input, hx, params,
    has_biases, num_layers, dropout, train, bidirectional, batch_first)``), which the weights do
    not record (an exported ``batch_first=True`` GRU was rebuilt time-first and refused)."""
    kind = {"lstm": "lstm", "gru": "gru", "rnn_tanh": "rnn_tanh", "rnn_relu": "rnn_relu"}[op]
    module = recurrent_from_state(dict(params), kind, None)
    args = getattr(node, "args", ())
    if len(args) >= 9 and isinstance(args[8], bool) and isinstance(module, nn.RNNBase):
        module.batch_first = args[8]
    return module


def _check_same(rebuilt: nn.Module, original, source: str, shape=None) -> None:
    """Compare the rebuilt module with the archive's on random inputs (of ``shape`` when the
    archive fixes it)."""
    p = next(rebuilt.parameters())
    gen = torch.Generator().manual_seed(0)
    if shape is not None:
        x = torch.randn(*shape, generator=gen, dtype=p.dtype)
    elif isinstance(rebuilt, nn.RNNBase):
        x = torch.randn(5, 3, rebuilt.input_size, generator=gen, dtype=p.dtype)
        if rebuilt.batch_first:
            x = x.transpose(0, 1)
    elif isinstance(rebuilt, nn.RNNCellBase):
        x = torch.randn(3, rebuilt.input_size, generator=gen, dtype=p.dtype)
    else:
        first = next(m for m in rebuilt.modules() if isinstance(m, nn.Linear))
        x = torch.randn(16, first.in_features, generator=gen, dtype=p.dtype)
    with torch.no_grad():
        # a scripted nn.RNN/LSTM/GRU keeps its overloads as forward__0 (tensor input), ...
        call = original if hasattr(original, "forward") else original.forward__0
        want, got = call(x) if call is original else call(x, None), rebuilt(x)
    want = want[0] if isinstance(want, tuple) else want
    got = got[0] if isinstance(got, tuple) else got
    tol = 1e-5 if p.dtype != torch.float64 else 1e-10
    if want.shape != got.shape or not torch.allclose(got, want, rtol=tol, atol=tol):
        raise LoadError(
            f"{source}: the module rebuilt from the archive does not reproduce its outputs "
            "(it may compute more than its layers show, e.g. a custom forward); save the state "
            "dict and pass --arch, or --unsafe-load a pickled module you trust."
        )


def load_archive(path: Path, fmt: str) -> tuple[nn.Module, str]:
    """The module in a TorchScript (``fmt="torchscript"``) or ``torch.export`` archive."""
    try:
        with warnings.catch_warnings():
            # torch deprecates TorchScript; reading a user's archive should not print that
            warnings.simplefilter("ignore", DeprecationWarning)
            if fmt == "torchscript":
                original = torch.jit.load(str(path), map_location="cpu")
                module = _rebuild_script(original, "model")
                source, shape = "TorchScript archive", None
            else:
                ep = torch.export.load(str(path))
                original = ep.module()
                module = _rebuild_export(ep, path)
                source = "torch.export archive"
                example = getattr(ep, "example_inputs", None)
                shape = tuple(example[0][0].shape) if example and example[0] else None
    except LoadError:
        raise
    except (RuntimeError, ValueError, KeyError, AttributeError) as err:
        raise LoadError(
            f"{path}: cannot read the {fmt} archive ({type(err).__name__}: {err})."
        ) from err
    module = module.eval()
    if next(module.parameters()).dtype not in (torch.float16, torch.bfloat16):
        _check_same(module, original, f"{path}", shape)
    return module, source
