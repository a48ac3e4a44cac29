"""Training recipes: the options :func:`~neurodyn.train.run` and ``neurodyn train`` use when the
caller gives none, per task and per model × task (docs/train.md, "Recipes").

A :class:`Recipe` is the fit options (epochs, batch, Adam's learning rate, the schedule,
clipping, early stopping) plus the model options that set a cell's time scale (``dt``, or
``eps`` for the antisymmetric RNN) and where each came from. :func:`recipe` builds it from two
tables:

* :data:`TASK_RECIPES` — per task: the fit options (one entry per task of
  :data:`neurodyn.data.TASKS`; a test checks that every task has one and that its recorded
  sequence length is the data's);
* :data:`MODEL_RECIPES` — per model: the learning rate where a model needs its own, and the
  time-scale option, tuned per task on digits (T = 64, also the "short" class, T ≤ 128),
  mnist5k-t98 and adding-100 by the sweep ``benchmarks/recipes/tune.yaml`` (run with
  ``neurodyn sweep``; its table is in docs/train.md); the "long" class (T > 128) takes the values
  the cells' papers used at T = 784, which are the constructors' defaults, not tuned here.

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
        """One line: ``150 epochs, batch 64, adam lr 0.01, cosine, clip 1, patience 40; dt=0.3``."""
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
_CH2 = (
    "not tuned: the short-task values (lr 0.01, cosine, clip 1); the training loss is flat "
    "at the end (benchmarks/ch2_study.py checks it per model)"
)
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
    "xor": _task(51, 60, 20, _FAMILY.format("adding-100")),
    **{f"xor-{t}": _task(t + 1, 60, 20, _FAMILY.format("adding-100")) for t in (10, 25, 50, 100,
                                                                               200)},
    "pydoc-chars": _task(100, 30, 10, _CH2),
    "lorenz96": _task(100, 60, 20, _CH2),
}  # fmt: skip

_PAPER = "{}, the constructor's default (its paper's value at T = 784); not tuned here"
_DIGITS = _SWEEP + ", on digits (T = 64)"
_T98 = _SWEEP + ", on mnist5k-t98 (T = 98)"
_ADD = _SWEEP + ", on adding-100 (T = 100)"


def _e(source: str, lr: float | None = None, **model_options) -> dict:
    entry = {"source": source, "model_options": model_options}
    return entry if lr is None else {**entry, "lr": lr}


#: model -> {"short": entry (T ≤ SHORT_T), "long": entry, "tasks": {task: entry}}, each entry
#: ``{"lr"?, "model_options", "source"}``: the value with the best validation metric in the
#: tuning sweep (benchmarks/recipes/table.py prints its table) or the paper's
MODEL_RECIPES: dict[str, dict] = {
    "lstm": {"short": _e(_DIGITS, 0.01),
             "tasks": {"mnist5k-t98": _e(_T98, 0.01), "adding-100": _e(_ADD, 0.01)}},
    "gru": {"short": _e(_DIGITS, 0.01),
            "tasks": {"mnist5k-t98": _e(_T98, 0.01), "adding-100": _e(_ADD, 0.01)}},
    "rnn": {"short": _e(_DIGITS, 0.003),
            "tasks": {"mnist5k-t98": _e(_T98, 0.003), "adding-100": _e(_ADD, 0.01)}},
    "orthogonal": {"short": _e("not tuned: nn.RNN's values from the " + _SWEEP, 0.003),
                   "tasks": {"adding-100": _e("not tuned: nn.RNN's values from the " + _SWEEP,
                                              0.01)}},
    "antisymmetric": {
        "short": _e(_DIGITS, eps=0.1),
        "long": _e(_PAPER.format("Chang et al. 2019"), eps=0.01),
        "tasks": {"mnist5k-t98": _e(_T98, eps=0.1), "adding-100": _e(_ADD, eps=0.1)},
    },
    "cornn": {
        "short": _e(_DIGITS, dt=0.1),
        "long": _e(_PAPER.format("Rusch & Mishra 2021"), dt=0.042),
        "tasks": {"mnist5k-t98": _e(_T98, dt=0.3), "adding-100": _e(_ADD, dt=0.1)},
    },
    "lem": {
        "short": _e(_DIGITS, dt=1.0),
        "long": _e(_PAPER.format("Rusch et al. 2022"), dt=1.0),
        "tasks": {"mnist5k-t98": _e(_T98, dt=1.0), "adding-100": _e(_ADD, dt=1.0)},
    },
    "lipschitz": {
        "short": _e(_DIGITS, dt=0.3),
        "long": _e(_PAPER.format("Erichson et al. 2021 (released code)"), dt=0.01),
        "tasks": {"mnist5k-t98": _e(_T98, dt=0.3), "adding-100": _e(_ADD, dt=0.1)},
    },
    "noisy": {
        "short": _e(_DIGITS, dt=0.3),
        "long": _e(_PAPER.format("Lim et al. 2021"), dt=0.01),
        "tasks": {"mnist5k-t98": _e(_T98, dt=0.3), "adding-100": _e(_ADD, dt=0.1)},
    },
    "ctrnn": {"short": _e(_DIGITS, dt=1.0),
              "tasks": {"mnist5k-t98": _e(_T98, dt=0.1), "adding-100": _e(_ADD, dt=0.3)}},
    "scn": {"short": _e(_DIGITS, 0.01),
            "tasks": {"mnist5k-t98": _e(_T98, 0.01), "adding-100": _e(_ADD, 0.01)}},
    "scn-svd": {"short": _e(_DIGITS, 0.01),
                "tasks": {"mnist5k-t98": _e(_T98, 0.01), "adding-100": _e(_ADD, 0.01)}},
}  # fmt: skip


#: tasks that take a tuned task's model entry (the nearest tuned setting: same kind, similar T)
_NEAREST = {"adding": "adding-100", "copy": "adding-100", "copy-100": "adding-100",
            "mnist5k-rows": "mnist5k-t98"}  # fmt: skip


def _model_entry(model: str, task: str, length: int) -> dict | None:
    entries = MODEL_RECIPES.get(model, {})
    tasks = entries.get("tasks", {})
    for name in (task, _NEAREST.get(task)):
        if name in tasks:
            return tasks[name]
    entry = entries.get("short" if length <= SHORT_T else "long")
    if entry is None and "short" in entries:  # learning rate only; default time scale
        entry = {"lr": entries["short"].get("lr"), "source": entries["short"]["source"]}
    return entry


def recipe(model: str | None, task: str) -> Recipe:
    """The recipe for ``model`` (a name in :data:`~neurodyn.train.MODELS`, or None for a
    module neurodyn does not know: the task's options only) on ``task``.

    The task's fit options (:data:`TASK_RECIPES`), then the model's entry
    (:data:`MODEL_RECIPES`): the entry tuned on this task (or on its nearest tuned task:
    adding/copy ≤ 120 steps take adding-100's, mnist5k-rows takes mnist5k-t98's), else the one
    for the task's length class ("short", T ≤ 128, tuned on digits; "long": the papers' T = 784
    values). A model without a "long" entry keeps its "short" learning rate and its
    constructor's time scale.

    Raises:
        ValueError: an unknown task or model name.

    Example:
        >>> from neurodyn.train import recipe
        >>> r = recipe("lipschitz", "digits")
        >>> r.epochs, r.lr, r.model_options
        (150, 0.01, {'dt': 0.3})
    """
    from neurodyn.train._models import MODELS

    if task not in TASK_RECIPES:
        raise ValueError(f"recipe: no recipe for task {task!r}; tasks: {', '.join(TASK_RECIPES)}.")
    if model is not None and model not in MODELS:
        raise ValueError(f"recipe: unknown model {model!r}; models: {', '.join(MODELS)}.")
    t = dict(TASK_RECIPES[task])
    length, src = t.pop("length"), {"task": t.pop("source")}
    fields = dict(t)
    entry = None if model is None else _model_entry(model, task, length)
    if entry:
        if entry.get("lr") is not None:
            fields["lr"] = entry["lr"]
        fields["model_options"] = dict(entry.get("model_options", {}))
        src["model"] = entry["source"]
    return Recipe(**fields, source=src)


#: epochs :func:`~neurodyn.train.run` trains for without a recipe (:func:`~neurodyn.train.fit`'s)
FIT_DEFAULT_EPOCHS = 10


def planned_epochs(model: str | None, task: str, epochs: int | None = None,
                   use_recipe: bool = True) -> int:  # fmt: skip
    """The epochs :func:`~neurodyn.train.run` trains for: ``epochs`` if given, else the
    recipe's for ``(model, task)`` (model None: a module neurodyn does not name, the task's),
    else (``use_recipe=False``) :data:`FIT_DEFAULT_EPOCHS`."""
    if epochs is not None:
        return int(epochs)
    return recipe(model, task).epochs if use_recipe else FIT_DEFAULT_EPOCHS
