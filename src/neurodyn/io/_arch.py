"""``--arch``: a feedforward layer spec such as ``2-64-tanh-64-2``, and loading a state dict
into the network it describes.

Tokens are separated by ``-``. The first integer is the input width; every later integer adds
an ``nn.Linear`` from the current width to it; a name adds an elementwise activation
(case-insensitive torch class name, e.g. ``tanh``, ``relu``, ``leakyrelu``, ``gelu``;
``leaky_relu`` with an underscore works too). So ``2-64-tanh-2`` is
``Sequential(Linear(2, 64), Tanh(), Linear(64, 2))`` and ``2-64-tanh-64-tanh-2`` has three
linear layers. When the layers do not match the state dict, the error shows the spec its weights
would need (``2-64-?-2``: name each ``?``).
"""

from __future__ import annotations

import re

import torch
from torch import Tensor, nn

from neurodyn._core import LoadError
from neurodyn.activations import SUPPORTED_ACTIVATIONS

__all__ = ["build_arch", "linear_pairs", "load_arch_state", "parse_arch", "suggest_arch"]


_NAMES = {name.lower(): name for name in SUPPORTED_ACTIVATIONS}


def parse_arch(spec: str) -> list[int | str]:
    """The tokens of ``spec``: widths as ints, activations as torch class names.

    Raises:
        LoadError: an empty or unknown token (named, with its position), or fewer than two
            widths.

    Example:
        >>> parse_arch("2-64-tanh-64-2")
        [2, 64, 'Tanh', 64, 2]
    """
    tokens = str(spec).strip().split("-")
    out: list[int | str] = []
    for i, tok in enumerate(tokens, start=1):
        t = tok.strip()
        if re.fullmatch(r"[0-9]+", t):
            if int(t) < 1:
                raise LoadError(f"--arch {spec!r}: token {i} ({tok!r}) is a width < 1.")
            out.append(int(t))
            continue
        name = _NAMES.get(t.lower().replace("_", ""))
        if name is None:
            what = "is empty" if not t else f"({tok!r}) is neither a width nor an activation"
            raise LoadError(
                f"--arch {spec!r}: token {i} {what}. Widths are positive integers; activations "
                f"are one of {', '.join(n.lower() for n in SUPPORTED_ACTIVATIONS)}."
            )
        out.append(name)
    if sum(isinstance(t, int) for t in out) < 2:
        raise LoadError(f"--arch {spec!r}: needs at least an input and an output width.")
    return out


def build_arch(spec: str, dtype: torch.dtype = torch.float32) -> nn.Sequential:
    """The ``nn.Sequential`` that ``spec`` describes (:func:`parse_arch`), default weights."""
    layers: list[nn.Module] = []
    width: int | None = None
    for tok in parse_arch(spec):
        if isinstance(tok, int):
            if width is not None:
                layers.append(nn.Linear(width, tok))
            width = tok
        else:
            layers.append(getattr(nn, tok)())
    return nn.Sequential(*layers).to(dtype)


def linear_pairs(state: dict[str, Tensor]) -> list[tuple[str, Tensor, Tensor | None]]:
    """The ``(name, weight, bias)`` of each 2-D ``<name>.weight`` in state-dict order."""
    pairs = []
    for key, value in state.items():
        if key.endswith("weight") and value.ndim == 2:
            head = key[: -len("weight")]
            pairs.append((head.rstrip("."), value, state.get(head + "bias")))
    return pairs


def load_arch_state(spec: str, state: dict[str, Tensor], source: str) -> nn.Sequential:
    """The network of ``spec`` with the weights of ``state``, matched in order by shape (the
    state dict's key names do not matter: ``0.weight``, ``fc1.weight``, ``net.2.weight``)."""
    pairs = linear_pairs(state)
    dtype = pairs[0][1].dtype if pairs else torch.float32
    net = build_arch(spec, dtype)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    want = "-".join(str(m.in_features) for m in linears[:1]) + "".join(
        f"→{m.out_features}" for m in linears
    )
    got = "-".join(f"{w.shape[1]}→{w.shape[0]}" for _, w, _ in pairs) or "none"
    if len(pairs) != len(linears):
        raise LoadError(
            f"{source}: --arch {spec} has {len(linears)} linear layers ({want}) but the state "
            f"dict has {len(pairs)} 2-D weights ({got})."
        )
    for i, (lin, (name, w, b)) in enumerate(zip(linears, pairs, strict=True)):
        if tuple(w.shape) != (lin.out_features, lin.in_features):
            raise LoadError(
                f"{source}: linear layer {i + 1} of --arch {spec} is {lin.in_features}→"
                f"{lin.out_features} but {name or 'weight'}.weight is {w.shape[1]}→{w.shape[0]}."
            )
        with torch.no_grad():
            lin.weight.copy_(w)
            if b is None:
                lin.bias = None
            else:
                lin.bias.copy_(b)
    return net.eval()


def suggest_arch(state: dict[str, Tensor]) -> str | None:
    """``2-64-?-64-2`` from the weight shapes of ``state`` (``?``: an activation to name)."""
    pairs = linear_pairs(state)
    if not pairs:
        return None
    parts = [str(pairs[0][1].shape[1])]
    for _, w, _ in pairs[:-1]:
        parts += [str(w.shape[0]), "?"]
    parts.append(str(pairs[-1][1].shape[0]))
    return "-".join(parts)
