"""Sequence classifiers by name: a recurrent body + a linear readout of its last hidden output.

:data:`MODELS` maps a name (the ``--model`` of ``neurodyn train``) to a :class:`ModelSpec`;
:func:`build_model` builds one at a given hidden size or at a target parameter count (the
comparison tables match parameters, as Kozachkov et al. 2022 Table 1 and Erichson et al. 2021
Table 1 do).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "MODELS",
    "ModelSpec",
    "SequenceClassifier",
    "build_model",
    "count_parameters",
    "load_model",
    "save_model",
]


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters (``requires_grad``), each tensor counted once."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class SequenceClassifier(nn.Module):
    """``logits = readout(y_T)``: a recurrent body read out at the last step.

    Args:
        body: a batch-first recurrent module with ``nn.RNN``'s convention,
            ``body(x (B, T, F)) -> (outputs (B, T, H), h_T)`` (``nn.LSTM``/``GRU``/``RNN`` with
            ``batch_first=True``, neurodyn's cells, ``SparseComboNet``).
        readout: ``nn.Linear(H, num_classes)``, or None when the body's outputs already are the
            logits (``SparseComboNet`` has its own readout layer).
        name: the model name in :data:`MODELS` (kept for checkpoints and reports).
        options: the options it was built with (for rebuilding from a checkpoint).

    Forward: ``model(x (B, T, F)) -> logits (B, num_classes)``. ``neurodyn.as_map(model.body)``
    is the recurrent map whose Jacobians, certificates and Lyapunov spectrum the monitors use.
    """

    def __init__(
        self,
        body: nn.Module,
        readout: nn.Module | None,
        *,
        name: str = "",
        options: dict | None = None,
    ):
        super().__init__()
        self.body, self.readout = body, readout
        self.name, self.options = name, dict(options or {})

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.body(x)
        last = out[:, -1]
        return last if self.readout is None else self.readout(last)


@dataclass(frozen=True)
class ModelSpec:
    """How to build a named model: ``body(input_size, hidden_size, num_classes, **options)``.

    ``hidden_size`` of the spec is the width that :func:`build_model` varies to match parameter
    counts (for ``scn`` it is num_blocks·block_size, a multiple of ``hidden_step``).
    """

    name: str
    build: Callable[..., tuple[nn.Module, nn.Module | None]]
    description: str
    hidden_step: int = 1


def _torch_rnn(cls, **fixed):
    def build(input_size, hidden_size, num_classes, **options):
        body = cls(input_size, hidden_size, batch_first=True, **{**fixed, **options})
        return body, nn.Linear(hidden_size, num_classes)

    return build


def _cell(path: str):
    def build(input_size, hidden_size, num_classes, **options):
        import neurodyn.nn as nnd

        body = getattr(nnd, path)(input_size, hidden_size, batch_first=True, **options)
        return body, nn.Linear(hidden_size, num_classes)

    return build


def _scn(blocks: str):
    def build(input_size, hidden_size, num_classes, block_size: int = 8, **options):
        from neurodyn.nn import SparseComboNet

        if hidden_size % block_size:
            raise ValueError(
                f"scn: hidden_size {hidden_size} is not a multiple of block_size {block_size}."
            )
        opts = {"density": 0.6, "pre_scale": 0.7, **options}  # App. 5.4.1 for 8-unit blocks
        body = SparseComboNet(
            input_size,
            num_classes,
            hidden_size // block_size,
            block_size,
            blocks=blocks,
            batch_first=True,
            **opts,
        )
        return body, None

    return build


_SPECS = [
    ("lstm", _torch_rnn(nn.LSTM), "torch.nn.LSTM (Hochreiter & Schmidhuber 1997)", 1),
    ("gru", _torch_rnn(nn.GRU), "torch.nn.GRU (Cho et al. 2014)", 1),
    ("rnn", _torch_rnn(nn.RNN, nonlinearity="tanh"), "torch.nn.RNN, tanh (Elman)", 1),
    ("antisymmetric", _cell("AntisymmetricRNN"), "antisymmetric RNN (Chang et al. 2019)", 1),
    ("cornn", _cell("CoRNN"), "coupled oscillatory RNN (Rusch & Mishra 2021)", 1),
    ("lem", _cell("LEM"), "long expressive memory (Rusch et al. 2022)", 1),
    ("lipschitz", _cell("LipschitzRNN"), "Lipschitz RNN (Erichson et al. 2021, eq. 14-15)", 1),
    ("noisy", _cell("NoisyRNN"), "noisy RNN (Lim et al. 2021)", 1),
    ("ctrnn", _cell("CTRNN"), "continuous-time RNN τẋ = −x + Wφ(x) + Ux + b", 1),
    (
        "scn",
        _scn("sparse"),
        "Sparse Combo Net, Theorem-1 blocks (Kozachkov et al. 2022, Sec. 3)",
        8,
    ),
    ("scn-svd", _scn("svd"), "Sparse Combo Net, SVD blocks (Kozachkov et al. 2022, Thm. 5)", 8),
]
#: model name -> :class:`ModelSpec` (the ``--model`` names of ``neurodyn train``)
MODELS: dict[str, ModelSpec] = {name: ModelSpec(name, *rest) for name, *rest in _SPECS}


def build_model(
    name: str,
    input_size: int,
    num_classes: int,
    *,
    hidden_size: int | None = None,
    params: int | None = None,
    seed: int | None = None,
    **options,
) -> SequenceClassifier:
    """Build the sequence classifier ``name`` (a key of :data:`MODELS`).

    Args:
        name: ``"lstm"``, ``"gru"``, ``"rnn"``, ``"antisymmetric"``, ``"cornn"``, ``"lem"``,
            ``"lipschitz"``, ``"noisy"``, ``"ctrnn"``, ``"scn"``, ``"scn-svd"``.
        input_size, num_classes: F of the sequences and the number of classes.
        hidden_size: the body's width; or
        params: a target trainable-parameter count: the width whose count is closest to it
            is chosen (ties: the smaller). Give exactly one of the two.
        seed: seeds ``torch.manual_seed`` before building, so the initial weights are reproducible.
        **options: passed to the body (e.g. ``beta_a=0.8`` for ``"lipschitz"``).

    Example:
        >>> from neurodyn.train import build_model, count_parameters
        >>> m = build_model("lstm", 1, 10, params=5000, seed=0)
        >>> m.body.hidden_size, count_parameters(m)
        (33, 5092)
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(MODELS)}.")
    if (hidden_size is None) == (params is None):
        raise ValueError("give exactly one of hidden_size= or params= (a target parameter count).")
    spec = MODELS[name]

    def make(h: int) -> SequenceClassifier:
        if seed is not None:
            torch.manual_seed(seed)
        body, readout = spec.build(input_size, h, num_classes, **options)
        return SequenceClassifier(body, readout, name=name, options=options)

    if hidden_size is None:
        hidden_size = _match_width(
            lambda h: count_parameters(make(h)), int(params), spec.hidden_step
        )
    return make(int(hidden_size))


def _match_width(count: Callable[[int], int], target: int, step: int) -> int:
    """Smallest-error width (a multiple of ``step``) for a monotone parameter count."""
    lo, hi = 1, 1
    while count(hi * step) < target:
        lo, hi = hi, hi * 2
        if hi > 1 << 16:
            raise ValueError(f"no width reaches {target} parameters")
    while hi - lo > 1:  # bisection on the multiplier
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid * step) < target else (lo, mid)
    cands = [m for m in (lo, hi) if m >= 1]
    return step * min(cands, key=lambda m: (abs(count(m * step) - target), m))


#: what :func:`save_model` writes beside the weights, so a file says what it is
_FORMAT = "neurodyn.train.SequenceClassifier/1"


def save_model(model: SequenceClassifier, path, **metadata) -> None:
    """Save ``model`` as a state dict plus what rebuilds it (safe to load: no pickled code).

    Writes one ``torch.save`` file holding ``{"format", "name", "input_size", "num_classes",
    "hidden_size", "options", "state_dict", "metadata"}`` (tensors and plain values only), read
    back by :func:`load_model` with ``torch.load(weights_only=True)``. ``metadata``: anything
    JSON-like to keep with it (task, seed, epoch, validation accuracy).
    """
    if not isinstance(model, SequenceClassifier) or model.name not in MODELS:
        raise TypeError("save_model expects a SequenceClassifier from neurodyn.train.build_model.")
    body = model.body
    num_classes = body.output_size if model.readout is None else model.readout.out_features
    torch.save(
        {
            "format": _FORMAT,
            "name": model.name,
            "input_size": int(body.input_size),
            "num_classes": int(num_classes),
            "hidden_size": int(body.hidden_size),
            "options": dict(model.options),
            "state_dict": model.state_dict(),
            "metadata": dict(metadata),
        },
        path,
    )


def load_model(path, map_location="cpu") -> tuple[SequenceClassifier, dict]:
    """Rebuild a model saved by :func:`save_model`; returns ``(model, metadata)``.

    Loads with ``weights_only=True`` (no code runs) and fails naming the file if it is not a
    neurodyn model file (e.g. a bare state dict: rebuild with :func:`build_model` and
    ``load_state_dict`` instead).
    """
    blob = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(blob, dict) or blob.get("format") != _FORMAT:
        raise ValueError(
            f"{path} is not a neurodyn model file (no format {_FORMAT!r}); for a bare state dict "
            "use build_model(name, ..., hidden_size=...) and model.load_state_dict(...)."
        )
    model = build_model(blob["name"], blob["input_size"], blob["num_classes"],
                        hidden_size=blob["hidden_size"], **blob["options"])  # fmt: skip
    model.load_state_dict(blob["state_dict"])
    return model, dict(blob["metadata"])
