"""Sequence models by name: a recurrent body + a linear readout of its hidden outputs.

:data:`MODELS` maps a name (the ``--model`` of ``neurodyn train``) to a :class:`ModelSpec`;
:func:`build_model` builds one at a given hidden size or at a target parameter count (the
comparison tables match parameters, as Kozachkov et al. 2022 Table 1 and Erichson et al. 2021
Table 1 do), for a task kind (the readout of the last step, or of every step), optionally with
its recurrent weights drawn from U[−p, p] (``init_scale=p``, Vogt, dissertation, App. A).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

__all__ = [
    "INIT_SCALE_RANGES",
    "MODELS",
    "ModelSpec",
    "SequenceClassifier",
    "build_model",
    "count_parameters",
    "load_model",
    "recurrent_weights",
    "save_model",
]


def count_parameters(module: nn.Module) -> int:
    """Trainable parameters (``requires_grad``), each tensor counted once."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class SequenceClassifier(nn.Module):
    """``logits = readout(y_T)``: a recurrent body read out at the last step (or at every step).

    Args:
        body: a batch-first recurrent module with ``nn.RNN``'s convention,
            ``body(x (B, T, F)) -> (outputs (B, T, H), h_T)`` (``nn.LSTM``/``GRU``/``RNN`` with
            ``batch_first=True``, neurodyn's cells, ``SparseComboNet``).
        readout: ``nn.Linear(H, num_classes)``, or None when the body's outputs already are the
            logits (``SparseComboNet`` has its own readout layer).
        name: the model name in :data:`MODELS` (kept for checkpoints and reports).
        options: the options it was built with (for rebuilding from a checkpoint).
        kind: the task kind it is built for (``neurodyn.data.KINDS``): ``"classification"``
            and ``"regression"`` read out the last step, ``"sequence-classification"`` and
            ``"sequence-regression"`` every step.

    Forward: ``model(x (B, T, F))`` -> ``(B, num_classes)`` logits (classification), ``(B, 1)``
    (regression), ``(B, T, num_classes)`` logits (sequence-classification) or ``(B, T, D)``
    outputs (sequence-regression, ``num_classes`` = D).
    ``neurodyn.as_map(model.body)`` is the recurrent map whose Jacobians, certificates and
    Lyapunov spectrum the monitors use.
    """

    def __init__(
        self,
        body: nn.Module,
        readout: nn.Module | None,
        *,
        name: str = "",
        options: dict | None = None,
        kind: str = "classification",
    ):
        super().__init__()
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}.")
        self.body, self.readout = body, readout
        self.name, self.options, self.kind = name, dict(options or {}), kind

    def forward(self, x: Tensor) -> Tensor:
        out, _ = self.body(x)
        read = out if self.kind in _PER_STEP else out[:, -1]
        return read if self.readout is None else self.readout(read)


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


def _orthogonal_rnn(input_size, hidden_size, num_classes, **options):
    """nn.RNN (tanh) whose W_hh is kept orthogonal by ``torch.nn.utils.parametrizations.
    orthogonal`` (W_hhᵀ W_hh = I through training): the orthogonal/unitary family of Erichson et
    al. 2021, Table 3 (one layer)."""
    from torch.nn.utils import parametrizations

    if options.get("num_layers", 1) != 1:
        raise ValueError("orthogonal: one layer only (num_layers=1).")
    body = nn.RNN(input_size, hidden_size, batch_first=True, nonlinearity="tanh", **options)
    parametrizations.orthogonal(body, "weight_hh_l0")
    return body, nn.Linear(hidden_size, num_classes)


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
    ("orthogonal", _orthogonal_rnn, "torch.nn.RNN, tanh, orthogonal W_hh (parametrizations)", 1),
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

_KINDS = ("classification", "regression", "sequence-classification", "sequence-regression")
_PER_STEP = ("sequence-classification", "sequence-regression")

#: the ranges of the initialisation parameter p that Vogt, dissertation, App. A, Table A1 swept
#: on sequential MNIST (hidden size 64); a guide for ``init_scale`` sweeps, not a limit
INIT_SCALE_RANGES: dict[str, tuple[float, float]] = {
    "lstm": (0.1, 3.0), "gru": (0.1, 3.0), "rnn": (0.1, 3.0), "antisymmetric": (0.1, 30.0),
    "cornn": (0.1, 30.0), "lipschitz": (0.1, 20.0), "noisy": (0.1, 5.0), "lem": (0.1, 10.0),
}  # fmt: skip

#: per model, the parameters ``init_scale`` draws from U[−p, p] (see :func:`recurrent_weights`):
#: a name prefix (torch's layers: every layer's ``weight_hh_l{k}``) or exact names of the cells'
#: free parameters
_RECURRENT = {
    "lstm": ("weight_hh_l",), "gru": ("weight_hh_l",), "rnn": ("weight_hh_l",),
    "antisymmetric": ("parametrizations.weight_hh.original0",),
    "cornn": ("weight_hh",), "lem": ("weight_hh", "weight_zy"),
    "lipschitz": ("parametrizations.A.original0", "parametrizations.W.original0"),
    "noisy": ("parametrizations.A.original0", "parametrizations.W.original0"),
    "ctrnn": ("weight_hh",),
}  # fmt: skip
#: the input weights that ``init_scope="weights"`` draws as well
_INPUT = {"lstm": ("weight_ih_l",), "gru": ("weight_ih_l",), "rnn": ("weight_ih_l",)}
INIT_SCOPES = ("recurrent", "weights")


def recurrent_weights(model: SequenceClassifier, scope: str = "recurrent") -> dict[str, Tensor]:
    """The parameters of ``model.body`` that ``init_scale`` draws, by name.

    ``scope="recurrent"`` (the default of :func:`build_model`) — the hidden-to-hidden weights:

    * ``lstm``, ``gru``, ``rnn``: ``weight_hh_l{k}`` of every layer (all gates), as torch
      stores them; ``weight_ih``, biases and the readout keep torch's default init.
    * ``antisymmetric``: the free matrix X of ``weight_hh = X_< − X_<ᵀ − γI`` (X_<: the strict
      lower triangle; ``parametrizations.weight_hh.original0``), so that W_hh's off-diagonal
      entries are themselves U[−p, p] and its diagonal stays −γ.
    * ``cornn``: ``weight_hh`` = [W | 𝒲] (H × 2H, the couplings of y and z; Rusch & Mishra
      2021, eq. 3).
    * ``lem``: ``weight_hh`` = [W₁; W₂; W_z] (3H × H) and ``weight_zy`` (W_y) (Rusch et al.
      2022, eq. 3).
    * ``lipschitz``, ``noisy``: the free matrices M_A and M_W of ``A = (1−β)(M_A + M_Aᵀ) +
      β(M_A − M_Aᵀ) − γI`` and W alike (Erichson et al. 2021, eq. 9;
      ``parametrizations.A.original0`` / ``W.original0``): ``init_scale`` is the scale of the
      free parameter, and A, W are what the parametrization makes of it.
    * ``ctrnn``: ``weight_hh`` (W).
    * ``scn``, ``scn-svd``: none (ValueError): Sparse Combo Net blocks are drawn to satisfy
      Kozachkov et al. 2022's contraction conditions and are not a free U[−p, p] draw.

    ``scope="weights"`` adds, for ``lstm``/``gru``/``rnn``, every layer's ``weight_ih_l{k}``:
    every weight matrix of the recurrent layer but no bias, what Vogt et al.'s released code
    (lyapunov-hyperopt, ``models.py``) initialises; for the other models it is the same as
    ``"recurrent"``.
    """
    name = getattr(model, "name", None)
    if scope not in INIT_SCOPES:
        raise ValueError(f"init_scope must be one of {INIT_SCOPES}, got {scope!r}.")
    if name not in _RECURRENT:
        raise ValueError(
            f"init_scale is not defined for model {name!r}: its recurrent weights are not one "
            f"free U[-p, p] draw (Sparse Combo Net blocks satisfy Kozachkov et al. 2022's "
            f"contraction conditions; the orthogonal RNN's W_hh is an orthogonal matrix); models "
            f"with init_scale: {', '.join(_RECURRENT)}."
        )
    keys = _RECURRENT[name] + (_INPUT.get(name, ()) if scope == "weights" else ())
    params = dict(model.body.named_parameters())
    found = {k: p for k, p in params.items() if any(k == s or (s.endswith("_l") and
             k.startswith(s)) for s in keys)}  # fmt: skip
    if not found or any(s not in params for s in keys if not s.endswith("_l")):
        raise RuntimeError(f"internal error: {name} has parameters {sorted(params)}, "
                           f"expected {keys}; please report this.")  # fmt: skip
    return found


def _init_uniform(model: SequenceClassifier, p, scope: str) -> None:
    import math

    ok = isinstance(p, int | float) and not isinstance(p, bool) and math.isfinite(p) and p > 0
    if not ok:
        raise ValueError(f"init_scale must be a finite number > 0 (the p of U[-p, p]), got {p!r}.")
    with torch.no_grad():
        for w in recurrent_weights(model, scope).values():
            w.uniform_(-float(p), float(p))


def build_model(
    name: str,
    input_size: int,
    num_classes: int,
    *,
    hidden_size: int | None = None,
    params: int | None = None,
    seed: int | None = None,
    kind: str = "classification",
    init_scale: float | None = None,
    init_scope: str = "recurrent",
    **options,
) -> SequenceClassifier:
    """Build the sequence model ``name`` (a key of :data:`MODELS`).

    Args:
        name: ``"lstm"``, ``"gru"``, ``"rnn"``, ``"antisymmetric"``, ``"cornn"``, ``"lem"``,
            ``"lipschitz"``, ``"noisy"``, ``"ctrnn"``, ``"scn"``, ``"scn-svd"``.
        input_size, num_classes: F of the sequences and the outputs per read-out step: the
            number of classes, 1 for ``kind="regression"``, D (the target's width) for
            ``kind="sequence-regression"``.
        hidden_size: the body's width; or
        params: a target trainable-parameter count: the width whose count is closest to it
            is chosen (ties: the smaller). Give exactly one of the two.
        seed: seeds ``torch.manual_seed`` before building, so the initial weights are reproducible.
        kind: the task kind (``neurodyn.data.KINDS``; a dataset's ``.kind``): the readout of
            the last step (``"classification"``, ``"regression"``) or of every step
            (``"sequence-classification"``, ``"sequence-regression"``).
        init_scale: p > 0: draw the recurrent weights from U[−p, p] after building (Vogt,
            dissertation, App. A, Table A1; :data:`INIT_SCALE_RANGES` has its ranges);
            :func:`recurrent_weights` says which weights, per model. None: the model's own init.
            Recorded in ``model.options``, so it works as ``--option init_scale=p`` of
            ``neurodyn train`` and as a sweep grid key.
        init_scope: ``"recurrent"`` (hidden-to-hidden weights only) or ``"weights"`` (also the
            input weights of ``lstm``/``gru``/``rnn``, as Vogt et al.'s code does).
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
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}.")
    if kind == "regression" and num_classes != 1:
        raise ValueError(f"a regression model gives one number per sequence: pass "
                         f"num_classes=1, not {num_classes}.")  # fmt: skip
    spec = MODELS[name]
    recorded = dict(options)
    if init_scale is not None:
        recorded.update(init_scale=init_scale, init_scope=init_scope)

    def make(h: int) -> SequenceClassifier:
        if seed is not None:
            torch.manual_seed(seed)
        body, readout = spec.build(input_size, h, num_classes, **options)
        model = SequenceClassifier(body, readout, name=name, options=recorded, kind=kind)
        if init_scale is not None:
            _init_uniform(model, init_scale, init_scope)
        return model

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
    back by :func:`load_model` with ``torch.load(weights_only=True)``; and ``"kind"`` (files
    without it are classification models). ``metadata``: anything
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
            "kind": model.kind,
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
                        hidden_size=blob["hidden_size"],
                        kind=blob.get("kind", "classification"), **blob["options"])  # fmt: skip
    model.load_state_dict(blob["state_dict"])
    return model, dict(blob["metadata"])
