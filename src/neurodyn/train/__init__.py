"""Train and compare sequence models: models by name, a trainer with stability monitors.

* :func:`build_model` / :data:`MODELS`: ``nn.LSTM``, ``nn.GRU``, ``nn.RNN`` and neurodyn's cells
  (antisymmetric, coRNN, LEM, Lipschitz, noisy, CT-RNN, Sparse Combo Nets) as
  :class:`SequenceClassifier`, at a hidden size or a target parameter count, for a task kind
  (classification, regression, a label per step), with ``init_scale=p`` drawing the recurrent
  weights (:func:`recurrent_weights`) from U[−p, p];
  :func:`save_model` / :func:`load_model` keep one in a file that says what it is.
* :func:`fit` / :func:`run` / :func:`evaluate` and :class:`TrainResult`: a trainer (loss and
  metric from the task's kind: cross-entropy and accuracy, or MSE; Adam/SGD,
  schedules, clipping, early stopping, seeds) with checkpoints that resume exactly and
  stability monitors (:class:`Monitors`: contraction certificates, A/W spectra of the
  Lipschitz RNN, the LE spectrum over training); :func:`plot_history` draws a history.
* :func:`force`: FORCE target learning of a rank-1 RNN (Sussillo & Abbott 2009; Vogt,
  dissertation, §3.4.1), :func:`four_sine` its target; the closed loop is a CT-RNN Map.
* :func:`recipe` / :class:`Recipe`: the options :func:`run` and ``neurodyn train`` use when none
  are given, per task and model (tuned with ``neurodyn sweep``; docs/train.md, "Recipes").

Example:
    >>> from neurodyn.data import load
    >>> from neurodyn.train import build_model
    >>> ds = load("digits", "train")
    >>> model = build_model("lipschitz", ds.input_size, ds.num_classes, hidden_size=16, seed=0)
    >>> model(ds.x[:4]).shape
    torch.Size([4, 10])
"""

from neurodyn.train._fit import OPTIMIZERS, SCHEDULES, TrainResult, evaluate, fit, run
from neurodyn.train._floss import Floss, floss_loss
from neurodyn.train._force import ForceResult, FourSine, force, four_sine, rls
from neurodyn.train._models import (
    INIT_SCALE_RANGES,
    MODELS,
    ModelSpec,
    SequenceClassifier,
    build_model,
    count_parameters,
    load_model,
    recurrent_weights,
    save_model,
)
from neurodyn.train._monitors import Monitors
from neurodyn.train._plot import history_table, plot_history, plot_lyapunov_training
from neurodyn.train._recipes import MODEL_RECIPES, TASK_RECIPES, Recipe, recipe

__all__ = [
    "INIT_SCALE_RANGES",
    "MODELS",
    "MODEL_RECIPES",
    "OPTIMIZERS",
    "SCHEDULES",
    "TASK_RECIPES",
    "Floss",
    "ForceResult",
    "FourSine",
    "ModelSpec",
    "Monitors",
    "Recipe",
    "SequenceClassifier",
    "TrainResult",
    "build_model",
    "count_parameters",
    "evaluate",
    "fit",
    "floss_loss",
    "force",
    "four_sine",
    "history_table",
    "load_model",
    "plot_history",
    "plot_lyapunov_training",
    "recipe",
    "recurrent_weights",
    "rls",
    "run",
    "save_model",
]
