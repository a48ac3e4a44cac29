"""Train and compare sequence classifiers: models by name, a trainer with stability monitors.

* :func:`build_model` / :data:`MODELS`: ``nn.LSTM``, ``nn.GRU``, ``nn.RNN`` and neurodyn's cells
  (antisymmetric, coRNN, LEM, Lipschitz, noisy, CT-RNN, Sparse Combo Nets) as
  :class:`SequenceClassifier`, at a hidden size or a target parameter count;
  :func:`save_model` / :func:`load_model` keep one in a file that says what it is.

Example:
    >>> from neurodyn.data import load
    >>> from neurodyn.train import build_model
    >>> ds = load("digits", "train")
    >>> model = build_model("lipschitz", ds.input_size, ds.num_classes, hidden_size=16, seed=0)
    >>> model(ds.x[:4]).shape
    torch.Size([4, 10])
"""

from neurodyn.train._models import (
    MODELS,
    ModelSpec,
    SequenceClassifier,
    build_model,
    count_parameters,
    load_model,
    save_model,
)

__all__ = [
    "MODELS",
    "ModelSpec",
    "SequenceClassifier",
    "build_model",
    "count_parameters",
    "load_model",
    "save_model",
]
