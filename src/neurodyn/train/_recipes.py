"""Training recipes: the options :func:`~neurodyn.train.run` and ``neurodyn train`` use when the
caller gives none, per task and per model × task (docs/train.md, "Recipes").

A :class:`Recipe` is the fit options (epochs, batch, Adam's learning rate, the schedule,
clipping, early stopping) plus the model options that set a cell's time scale (``dt``, or
``eps`` for the antisymmetric RNN) and where each came from. :func:`recipe` builds it from two
tables:

* :data:`TASK_RECIPES` — per task: the fit options (one entry per task of
  :data:`neurodyn.data.TASKS`; a test checks that every task has one and that its recorded
  sequence length is the data's);
* :data:`MODEL_RECIPES` — per model and sequence-length class: the learning rate where a model
  needs its own, and the time-scale option. ``"short"`` (T ≤ 128) values come from the tuning
  sweep ``benchmarks/recipes/tune.yaml`` (run with ``neurodyn sweep``; its table is in
  docs/train.md); ``"long"`` (T > 128) values are the ones the cells' papers used at T = 784,
  which are the constructors' defaults, not tuned here.

Every value is a default: an option given to ``run`` / ``neurodyn train`` overrides it, and
``run(..., recipe=False)`` uses :func:`~neurodyn.train.fit`'s plain defaults instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["MODEL_RECIPES", "TASK_RECIPES", "Recipe", "recipe"]

#: sequences longer than this get the "long" model options (the papers' T = 784 values)
SHORT_T = 128
_SWEEP = "tuning sweep benchmarks/recipes/tune.yaml (neurodyn sweep, 1 seed, 2026-12-07)"
_ISSUE = "measured on digits: lr 0.01, cosine, 150 epochs (nn.LSTM 97.0 %, LEM 99.3 %)"


@dataclass(frozen=True)
class Recipe:
    """The training options for one model on one task.

    Attributes:
        epochs, batch_size, lr, optimizer, schedule, clip, patience, weight_decay: the options
            of :func:`~neurodyn.train.fit` (``patience``: early stopping on the validation
            metric, restoring the best epoch).
        model_options: options of the model's constructor (e.g. ``{"dt": 0.1}``).
        source: where the values came from, one entry per part (``"task"``, ``"model"``).
    """

    epochs: int
    batch_size: int = 64
    lr: float = 0.01
    optimizer: str = "adam"
    schedule: str | None = "cosine"
    clip: float | None = 1.0
    patience: int | None = None
    weight_decay: float = 0.0
    model_options: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)

    FIT_KEYS = ("epochs", "batch_size", "lr", "optimizer", "schedule", "clip", "patience",
                "weight_decay")  # fmt: skip

    @property
    def fit_options(self) -> dict:
        """The :func:`~neurodyn.train.fit` keyword arguments."""
        return {k: getattr(self, k) for k in self.FIT_KEYS}

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """One line: ``150 epochs, batch 64, adam lr 0.01, cosine, clip 1, patience 40; dt=0.1``."""
        parts = [f"{self.epochs} epochs", f"batch {self.batch_size}",
                 f"{self.optimizer} lr {self.lr:g}", self.schedule or "constant lr"]  # fmt: skip
        if self.clip is not None:
            parts.append(f"clip {self.clip:g}")
        if self.patience is not None:
            parts.append(f"patience {self.patience}")
        if self.weight_decay:
            parts.append(f"weight decay {self.weight_decay:g}")
        text = ", ".join(parts)
        if self.model_options:
            text += "; " + ", ".join(f"{k}={v:g}" for k, v in self.model_options.items())
        return text


def _task(length: int, epochs: int, patience: int, source: str, **kw) -> dict:
    return {"length": length, "epochs": epochs, "patience": patience, "source": source, **kw}


_FAMILY = "the values tuned on {}, not tuned on this task"
#: task -> its sequence length T and fit options (:class:`Recipe` fields) with their source
TASK_RECIPES: dict[str, dict] = {
    "digits": _task(64, 150, 40, _ISSUE),
    "digits-permuted": _task(64, 150, 40, _FAMILY.format("digits")),
    "digits-noise-padded": _task(1000, 60, 20, _FAMILY.format("digits")),
    "mnist1d": _task(40, 100, 30, _FAMILY.format("digits")),
    "mnist1d-permuted": _task(40, 100, 30, _FAMILY.format("digits")),
    "mnist5k-rows": _task(28, 60, 20, _FAMILY.format("mnist5k-t98")),
    "mnist5k-t98": _task(98, 60, 20, _SWEEP),
    "mnist5k-pixels": _task(784, 60, 20, _FAMILY.format("mnist5k-t98")),
    "mnist5k-pixels-permuted": _task(784, 60, 20, _FAMILY.format("mnist5k-t98")),
    "adding": _task(100, 60, 20, _SWEEP),
    "adding-100": _task(100, 60, 20, _SWEEP),
    **{f"adding-{t}": _task(t, 60, 20, _FAMILY.format("adding-100")) for t in (500, 1000, 2000,
                                                                              5000)},
    "copy": _task(120, 60, 20, _FAMILY.format("adding-100")),
    **{f"copy-{t}": _task(t + 20, 60, 20, _FAMILY.format("adding-100")) for t in (100, 200, 500,
                                                                                  1000)},
}  # fmt: skip

_PAPER = "{}, the constructor's default (its paper's value at T = 784); not tuned here"
#: model -> length class ("short": T ≤ SHORT_T, "long") -> {"lr"?, "model_options"?, "source"}
MODEL_RECIPES: dict[str, dict[str, dict]] = {
    "lstm": {"short": {"lr": 0.01, "source": _SWEEP}},
    "gru": {"short": {"lr": 0.01, "source": _SWEEP}},
    "rnn": {"short": {"lr": 0.003, "source": _SWEEP}},
    "antisymmetric": {
        "short": {"model_options": {"eps": 0.1}, "source": _SWEEP},
        "long": {"model_options": {"eps": 0.01}, "source": _PAPER.format("Chang et al. 2019")},
    },
    "cornn": {
        "short": {"model_options": {"dt": 0.1}, "source": _SWEEP},
        "long": {"model_options": {"dt": 0.042}, "source": _PAPER.format("Rusch & Mishra 2021")},
    },
    "lem": {
        "short": {"model_options": {"dt": 1.0}, "source": _SWEEP},
        "long": {"model_options": {"dt": 1.0}, "source": _PAPER.format("Rusch et al. 2022")},
    },
    "lipschitz": {
        "short": {"model_options": {"dt": 0.1}, "source": _SWEEP},
        "long": {"model_options": {"dt": 0.01},
                 "source": _PAPER.format("Erichson et al. 2021 (released code)")},
    },
    "noisy": {
        "short": {"model_options": {"dt": 0.1}, "source": _SWEEP},
        "long": {"model_options": {"dt": 0.01}, "source": _PAPER.format("Lim et al. 2021")},
    },
    "ctrnn": {"short": {"model_options": {"dt": 0.3}, "source": _SWEEP}},
    "scn": {"short": {"lr": 0.01, "source": _SWEEP}},
    "scn-svd": {"short": {"lr": 0.01, "source": _SWEEP}},
}  # fmt: skip


def recipe(model: str | None, task: str) -> Recipe:
    """The recipe for ``model`` (a name in :data:`~neurodyn.train.MODELS`, or None for a
    module neurodyn does not know: the task's options only) on ``task``.

    The task's fit options (:data:`TASK_RECIPES`), then the model's entry for the task's length
    class (:data:`MODEL_RECIPES`; a model without a "long" entry uses its "short" one's
    learning rate and no time-scale option, i.e. its constructor's default).

    Raises:
        ValueError: an unknown task or model name.

    Example:
        >>> from neurodyn.train import recipe
        >>> r = recipe("lipschitz", "digits")
        >>> r.epochs, r.lr, r.model_options
        (150, 0.01, {'dt': 0.1})
    """
    from neurodyn.train._models import MODELS

    if task not in TASK_RECIPES:
        raise ValueError(f"recipe: no recipe for task {task!r}; tasks: {', '.join(TASK_RECIPES)}.")
    if model is not None and model not in MODELS:
        raise ValueError(f"recipe: unknown model {model!r}; models: {', '.join(MODELS)}.")
    t = dict(TASK_RECIPES[task])
    length, src = t.pop("length"), {"task": t.pop("source")}
    fields = dict(t)
    if model is not None:
        entries = MODEL_RECIPES.get(model, {})
        cls = "short" if length <= SHORT_T else "long"
        entry = entries.get(cls)
        if entry is None and "short" in entries:  # learning rate only; default time scale
            entry = {"lr": entries["short"].get("lr"), "source": entries["short"]["source"]}
        if entry:
            if entry.get("lr") is not None:
                fields["lr"] = entry["lr"]
            fields["model_options"] = dict(entry.get("model_options", {}))
            src["model"] = entry["source"]
    return Recipe(**fields, source=src)
