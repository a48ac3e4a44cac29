"""PredNet: a small fully connected regressor of a network's final loss from its spectrum (Vogt,
dissertation, Sec. 3.1–3.2, Figs. 3.1 and 3.4).

The dissertation's first predictor, before AeLLE: one hidden layer (50 neurons on the Lyapunov
spectra of character-level LSTMs, Fig. 3.1; 10 neurons on antisymmetric RNNs, Fig. 3.4) trained
with Adam (lr 1e-4) on the validation loss, once on Lyapunov exponents and once on the Jacobian's
eigenvalues (their real and imaginary parts), to ask which of the two carries more information
about performance. Here it is scikit-learn's ``MLPRegressor`` on standardised inputs and a
standardised target, stepped one epoch at a time (``partial_fit``) so that the training and the
validation loss are recorded per epoch, as Fig. 3.4 plots them.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from neurodyn.aelle._embedding import _require_finite

__all__ = ["PredNet", "eigenvalue_features"]


def eigenvalue_features(re: Any, im: Any, form: str = "cartesian") -> np.ndarray:
    """The eigenvalue input of Vogt's PredNet (Sec. 3.2): per network its n eigenvalues' real
    parts then imaginary parts, (n_networks, 2n), each network's eigenvalues sorted by
    decreasing modulus (ties: decreasing imaginary part), so that row j compares like with like.

    Args:
        re, im: (n_networks, n) real and imaginary parts (any order within a row).
        form: "cartesian" (Re, Im: the dissertation's input) or "polar" (log|λ|, then arg λ in
            radians): log|λ| is the one-step growth rate, the quantity a Lyapunov exponent
            averages, so "polar" asks whether the exponents' advantage is only one of scale.
    """
    re, im = np.asarray(re, dtype=np.float64), np.asarray(im, dtype=np.float64)
    if re.shape != im.shape or re.ndim != 2:
        raise ValueError(
            f"re and im must be (n_networks, n) of one shape; got {re.shape} and {im.shape}."
        )
    if form not in ("cartesian", "polar"):
        raise ValueError(f"form must be 'cartesian' or 'polar'; got {form!r}.")
    order = np.lexsort((-im, -np.hypot(re, im)), axis=1)
    rows = np.arange(re.shape[0])[:, None]
    re, im = re[rows, order], im[rows, order]
    if form == "polar":
        with np.errstate(divide="ignore"):
            logmod = np.log(np.hypot(re, im))
        return np.concatenate([np.maximum(logmod, np.log(np.finfo(float).tiny)),
                               np.arctan2(im, re)], axis=1)  # fmt: skip
    return np.concatenate([re, im], axis=1)


def _positive(name: str, v: Any, integer: bool) -> None:
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(v, bool) or not isinstance(v, kind) or not np.isfinite(v) or v <= 0:
        raise ValueError(
            f"{name} must be a positive {'integer' if integer else 'number'}; got {v!r}"
        )


class PredNet(RegressorMixin, BaseEstimator):
    """One-hidden-layer regressor of a score (the final validation loss) from a spectrum.

    Args:
        hidden_size: neurons of the hidden layer (10 in Fig. 3.4, 50 in Fig. 3.1).
        epochs: passes over the training set (the dissertation: 15,000 at lr 1e-4).
        lr: Adam's learning rate.
        batch_size: minibatch size (``min(batch_size, n)``).
        alpha: L2 penalty of ``MLPRegressor`` (0: none, as the dissertation).
        shuffle: a fresh random batch order every epoch (False: the data's order).
        random_state: seeds the weights and the batch order.

    ``fit(X, y, eval_set=(X_val, y_val))`` also records the validation loss per epoch.
    Fitted: ``scaler_`` (inputs), ``y_mean_``/``y_scale_``, ``mlp_`` (the ``MLPRegressor``),
    ``loss_curve_`` (epochs,) training MSE and ``val_loss_curve_`` (epochs,) validation MSE, both
    in the units of ``y`` squared (None without ``eval_set``).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(80, 6)); y = X[:, 0] ** 2
        >>> net = PredNet(epochs=50, lr=1e-2, random_state=0).fit(X, y, eval_set=(X, y))
        >>> net.val_loss_curve_.shape, net.predict(X).shape
        ((50,), (80,))
    """

    def __init__(
        self,
        hidden_size: int = 10,
        epochs: int = 2000,
        lr: float = 1e-3,
        batch_size: int = 32,
        alpha: float = 0.0,
        shuffle: bool = True,
        random_state: int | None = 0,
    ):
        self.hidden_size = hidden_size
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.alpha = alpha
        self.shuffle = shuffle
        self.random_state = random_state

    def fit(self, X: Any, y: Any, eval_set: tuple[Any, Any] | None = None) -> PredNet:
        """Train on ``X`` (n, L) and ``y`` (n,); ``eval_set`` = (X_val, y_val) for the curve."""
        for name, integer in (("hidden_size", True), ("epochs", True), ("batch_size", True),
                              ("lr", False)):  # fmt: skip
            _positive(name, getattr(self, name), integer)
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True, ensure_min_samples=2)
        _require_finite(y, "y")
        self.scaler_ = StandardScaler().fit(X)
        self.y_mean_ = float(y.mean())
        self.y_scale_ = float(y.std()) or 1.0
        Xs, ys = self.scaler_.transform(X), (y - self.y_mean_) / self.y_scale_
        if eval_set is not None:
            Xv = validate_data(self, eval_set[0], dtype=np.float64, reset=False)
            yv = np.asarray(eval_set[1], dtype=np.float64).ravel()
            if yv.shape[0] != Xv.shape[0]:
                raise ValueError(f"eval_set: {Xv.shape[0]} rows of X_val, {yv.shape[0]} of y_val.")
        self.mlp_ = MLPRegressor(
            hidden_layer_sizes=(int(self.hidden_size),),
            solver="adam",
            learning_rate_init=float(self.lr),
            batch_size=min(int(self.batch_size), X.shape[0]),
            alpha=float(self.alpha),
            shuffle=bool(self.shuffle),
            # one RandomState for the whole run: MLPRegressor re-seeds from an int at every
            # partial_fit call, which would repeat one batch order in every epoch
            random_state=check_random_state(self.random_state),
        )
        train, val = [], []
        for _ in range(int(self.epochs)):
            self.mlp_.partial_fit(Xs, ys)
            train.append(float(np.mean((self.predict(X) - y) ** 2)))
            if eval_set is not None:
                val.append(float(np.mean((self.predict(Xv) - yv) ** 2)))
        self.loss_curve_ = np.asarray(train)
        self.val_loss_curve_ = np.asarray(val) if eval_set is not None else None
        return self

    def predict(self, X: Any) -> np.ndarray:
        """(n,) the predicted score, in the units of the training ``y``."""
        check_is_fitted(self, "mlp_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.mlp_.predict(self.scaler_.transform(X)) * self.y_scale_ + self.y_mean_
