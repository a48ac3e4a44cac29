"""AeLLE: latent Lyapunov exponent embedding (Vogt, dissertation, Ch. 3).

An autoencoder reconstructs standardised Lyapunov spectra Z through a latent code φ(Z) while a
linear head ξ predicts the network's accuracy T from the same code (eq. 3.5–3.6); PCA of the
latent codes gives the AeLLE space, in which the median of PC1 (or the 2^d median cells of the
first d PCs, Table 3.3) separates high- from low-accuracy networks. The baselines of Appendix B
(median of the mean LE, of the max LE, of PC1 of the raw spectra) are in ``_classifiers``, the
decision rules both use in ``_boundary``.

Classes. ``y`` is a score where *higher is better* (accuracy; pass ``-loss`` for a loss). A
network is "high accuracy" when ``y > threshold_``; ``threshold_`` is the median of the training
``y`` unless ``threshold`` is given (the dissertation's median split of the loss). A ``y`` with
exactly two distinct values is taken as class labels (threshold = their midpoint, the larger value
is "high"), so 0/1 labels can be passed directly.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from neurodyn.aelle._boundary import BOUNDARIES, _f1, _median_predict, fit_boundary

__all__ = ["AeLLE"]


# --------------------------------------------------------------------------- input checks


def _require_finite(a: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(a)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        shown = ", ".join(str(int(r)) for r in rows[:10]) + (" …" if rows.size > 10 else "")
        raise ValueError(
            f"{name} contains NaN or inf ({int(bad.sum())} entries, in rows {shown}); Lyapunov "
            "spectra and accuracies must be finite: drop those runs or recompute their spectra "
            "(a diverged run's spectrum is not a number AeLLE can embed)."
        )


def _check_spectra(X: Any) -> np.ndarray:
    """A plain (n, L) float64 array of finite spectra, for the free functions."""
    a = np.asarray(X, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(
            f"expected Lyapunov spectra as a 2-D array (n_networks, n_exponents); got shape "
            f"{a.shape}. Stack one spectrum per row (neurodyn.sweep.read interpolates spectra "
            "of different lengths to a common one)."
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(
            f"expected at least one spectrum with at least one exponent; got {a.shape}"
        )
    _require_finite(a, "X")
    return a


def _labels(y: np.ndarray, threshold: float | None) -> tuple[np.ndarray, float]:
    """Median split (or a given threshold) of a higher-is-better score: 1 = high accuracy.

    A ``y`` with exactly two distinct values is read as class labels (the larger is "high"):
    the threshold is then their midpoint, since a median split of tied labels can be empty.
    """
    if threshold is not None:
        t = float(threshold)
    else:
        values = np.unique(y)
        t = float(values.mean()) if values.size == 2 else float(np.median(y))
    labels = (y > t).astype(np.int64)
    if labels.min() == labels.max():
        side = "above" if labels[0] else "at or below"
        raise ValueError(
            f"all {y.size} training scores lie {side} the threshold {t:g}, so there is no "
            "high/low split to learn; pass a threshold between the scores (for 0/1 labels use "
            "threshold=0.5) or give networks whose accuracies differ."
        )
    return labels, t


def _fit_validate(est: BaseEstimator, X: Any, y: Any, min_samples: int = 2):
    if y is not None:
        y_arr = np.asarray(y) if isinstance(y, (list, tuple, np.ndarray)) else None
        if y_arr is not None and y_arr.dtype.kind == "f":  # others: validate_data says what's wrong
            _require_finite(y_arr, "y")
    X, y = validate_data(
        est,
        X,
        y,
        dtype=np.float64,
        ensure_all_finite=False,
        y_numeric=True,
        ensure_min_samples=min_samples,
    )
    _require_finite(X, "X")
    y = np.asarray(y, dtype=np.float64)
    _require_finite(y, "y")
    return X, y


def _predict_validate(est: BaseEstimator, X: Any) -> np.ndarray:
    check_is_fitted(est)
    X = validate_data(est, X, dtype=np.float64, ensure_all_finite=False, reset=False)
    _require_finite(X, "X")
    return X


def _check_threshold(threshold: Any) -> None:
    if threshold is not None and (
        not isinstance(threshold, numbers.Real) or not np.isfinite(threshold)
    ):
        raise ValueError(
            f"threshold must be None (median split) or a finite number; got {threshold!r}"
        )


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer ≥ {minimum}; got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- autoencoder


class _HighAccuracyScore:
    """What the three estimators share: ``y`` is required (a score, higher is better), and
    :meth:`score` is the F1 of :meth:`predict` against ``y > threshold_`` (high accuracy =
    positive)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def score(self, X: Any, y: Any) -> float:
        """F1 of :meth:`predict` against ``y > threshold_`` (high accuracy = positive)."""
        y = np.asarray(y, dtype=np.float64)
        _require_finite(y, "y")
        return _f1(self.predict(X), (y > self.threshold_).astype(np.int64))


class _AeNet(nn.Module):
    """Encoder φ, decoder ψ (fully connected, one tanh hidden layer each) and linear head ξ."""

    def __init__(self, n_in: int, hidden: int, latent: int):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, n_in))
        self.head = nn.Linear(latent, 1)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        code = self.encoder(z)
        return code, self.decoder(code), self.head(code).squeeze(-1)


class AeLLE(_HighAccuracyScore, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Latent Lyapunov exponent embedding (Vogt, dissertation, Ch. 3, eq. 3.5–3.6, Fig. 3.6).

    Trains ``Ẑ = (ψ∘φ)(Z)`` and ``T̂ = (ξ∘φ)(Z)`` (eq. 3.5) on standardised spectra Z and
    standardised scores T by minimising, per epoch e (eq. 3.6),

        L_e = mean‖Z − Ẑ‖² + α_e · mean|T − T̂|^l,   α_e = alpha · min(1, e / warmup_epochs),

    i.e. the prediction weight α is ramped up linearly from 0 so that the reconstruction settles
    first (the dissertation: "α is gradually being increased … once the reconstruction error has
    converged"; its exact schedule is not given). Then PCA(n_components) of the latent codes φ(Z)
    is the AeLLE space. ``predict`` is the classifier on PC1: the training median of PC1
    (Figs. 3.7–3.9, the default) or, with ``boundary="best-f1"``, the PC1 value with the best
    training F1 (Table 3.2); see :func:`neurodyn.aelle.best_f1_boundary`.

    Args:
        latent_size: dimension of φ(Z) (32 in the dissertation).
        hidden_size: width of the one hidden layer of encoder and decoder.
        alpha: final weight α of the prediction term.
        warmup_epochs: epochs of the linear ramp of α (0: α from the start).
        epochs, lr, batch_size: Adam training (full passes over the shuffled training set).
        n_components: number of principal components kept by :meth:`transform`.
        threshold: score above which a network is "high accuracy"; None = median of training y.
        boundary: where ``predict`` splits PC1: "median" or "best-f1" (on the training set).
        prediction_norm: l in eq. 3.6 (1 or 2), applied as a batch mean.
        random_state: seeds weight initialisation and batch order (None: fresh randomness).

    Fitted attributes: ``threshold_``, ``scaler_mean_``/``scaler_scale_`` (per-exponent
    standardisation), ``y_mean_``/``y_scale_``, ``net_`` (the torch module), ``pca_``,
    ``pc1_median_``, ``pc1_boundary_`` (the split ``predict`` uses: the median, or the best-F1
    value), ``side_`` (+1: high accuracy above ``pc1_boundary_``, −1: at/below),
    ``loss_curve_`` (dict of per-epoch ``reconstruction``, ``prediction`` and ``alpha``).

    Input: ``X`` (n, L) Lyapunov spectra (descending, nats per step), ``y`` (n,) score, higher is
    better. NaN/inf raise ``ValueError``.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = np.sort(rng.normal(size=(60, 8)), axis=1)[:, ::-1]
        >>> model = AeLLE(epochs=5, random_state=0).fit(X, -X[:, 0])
        >>> model.transform(X).shape, set(model.predict(X)) <= {0, 1}
        ((60, 2), True)
    """

    def __init__(
        self,
        latent_size: int = 32,
        hidden_size: int = 64,
        alpha: float = 1.0,
        warmup_epochs: int = 100,
        epochs: int = 300,
        lr: float = 1e-3,
        batch_size: int = 64,
        n_components: int = 2,
        threshold: float | None = None,
        prediction_norm: int = 2,
        random_state: int | np.random.RandomState | None = None,
        boundary: str = "median",
    ):
        self.latent_size = latent_size
        self.hidden_size = hidden_size
        self.alpha = alpha
        self.warmup_epochs = warmup_epochs
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.n_components = n_components
        self.threshold = threshold
        self.prediction_norm = prediction_norm
        self.random_state = random_state
        self.boundary = boundary

    def _check_params(self) -> None:
        _positive_int("latent_size", self.latent_size)
        _positive_int("hidden_size", self.hidden_size)
        _positive_int("epochs", self.epochs)
        _positive_int("batch_size", self.batch_size)
        _positive_int("warmup_epochs", self.warmup_epochs, minimum=0)
        _positive_int("n_components", self.n_components)
        if self.n_components > self.latent_size:
            raise ValueError(
                f"n_components={self.n_components} exceeds latent_size={self.latent_size}: PCA "
                "of the latent codes cannot have more components than latent dimensions."
            )
        for name in ("alpha", "lr"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
                raise ValueError(f"{name} must be a finite number; got {v!r}")
        if self.alpha < 0:
            raise ValueError(
                f"alpha must be ≥ 0 (the weight of the prediction loss); got {self.alpha}"
            )
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0; got {self.lr}")
        if self.prediction_norm not in (1, 2):
            raise ValueError(
                f"prediction_norm must be 1 or 2 (l in eq. 3.6); got {self.prediction_norm!r}"
            )
        _check_threshold(self.threshold)
        if self.boundary not in BOUNDARIES:
            raise ValueError(f"boundary must be one of {BOUNDARIES}; got {self.boundary!r}")

    def fit(self, X: Any, y: Any) -> AeLLE:
        """Train the autoencoder on spectra ``X`` (n, L) and scores ``y`` (n,), then fit the PCA."""
        self._check_params()
        X, y = _fit_validate(self, X, y)
        n = X.shape[0]
        if n < self.n_components:
            raise ValueError(
                f"n_components={self.n_components} needs at least as many spectra; "
                f"got {n} sample(s)."
            )
        labels, self.threshold_ = _labels(y, self.threshold)

        self.scaler_mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scaler_scale_ = np.where(scale > 0, scale, 1.0)
        self.y_mean_ = float(y.mean())
        ys = float(y.std())
        self.y_scale_ = ys if ys > 0 else 1.0

        seed = int(check_random_state(self.random_state).randint(0, 2**31 - 1))
        gen = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = _AeNet(X.shape[1], self.hidden_size, self.latent_size).double()
        z = torch.tensor((X - self.scaler_mean_) / self.scaler_scale_, dtype=torch.float64)
        t = torch.tensor((y - self.y_mean_) / self.y_scale_, dtype=torch.float64)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr)
        curve: dict[str, list[float]] = {"reconstruction": [], "prediction": [], "alpha": []}
        for epoch in range(self.epochs):
            a = self.alpha * (min(1.0, epoch / self.warmup_epochs) if self.warmup_epochs else 1.0)
            perm = torch.randperm(n, generator=gen)
            rec_sum = pred_sum = 0.0
            for start in range(0, n, self.batch_size):
                idx = perm[start : start + self.batch_size]
                _, z_hat, t_hat = net(z[idx])
                rec = ((z[idx] - z_hat) ** 2).mean()
                err = (t[idx] - t_hat).abs()
                pred = (err if self.prediction_norm == 1 else err**2).mean()
                loss = rec + a * pred
                opt.zero_grad()
                loss.backward()
                opt.step()
                rec_sum += rec.item() * idx.numel()
                pred_sum += pred.item() * idx.numel()
            curve["reconstruction"].append(rec_sum / n)
            curve["prediction"].append(pred_sum / n)
            curve["alpha"].append(a)
        net.eval()
        self.net_ = net
        self.loss_curve_ = {k: np.asarray(v) for k, v in curve.items()}

        self.pca_ = PCA(n_components=self.n_components, svd_solver="full").fit(self._latent(X))
        pc1 = self.pca_.transform(self._latent(X))[:, 0]
        self.pc1_median_ = float(np.median(pc1))
        self.pc1_boundary_, self.side_ = fit_boundary(pc1, labels, self.boundary)
        self._n_features_out = self.n_components
        return self

    def _latent(self, X: np.ndarray) -> np.ndarray:
        z = torch.tensor((X - self.scaler_mean_) / self.scaler_scale_, dtype=torch.float64)
        with torch.no_grad():
            return self.net_.encoder(z).numpy()

    def latent(self, X: Any) -> np.ndarray:
        """Latent codes φ(Z) of spectra ``X`` (n, L) → (n, latent_size)."""
        return self._latent(_predict_validate(self, X))

    def transform(self, X: Any) -> np.ndarray:
        """AeLLE coordinates: the first ``n_components`` PCs of φ(Z), (n, n_components)."""
        codes = self.latent(X)  # validates and checks fitted before pca_ is touched
        return self.pca_.transform(codes)

    def predict(self, X: Any) -> np.ndarray:
        """(n,) int: 1 where PC1 lies on the high-accuracy side of ``pc1_boundary_``."""
        return _median_predict(self.transform(X)[:, 0], self.pc1_boundary_, self.side_)

    def predict_accuracy(self, X: Any) -> np.ndarray:
        """(n,) the linear head's regression of the score, in the units of the training ``y``."""
        z = torch.tensor(
            (_predict_validate(self, X) - self.scaler_mean_) / self.scaler_scale_,
            dtype=torch.float64,
        )
        with torch.no_grad():
            t_hat = self.net_(z)[2].numpy()
        return t_hat * self.y_scale_ + self.y_mean_

    # ------------------------------------------------ the latent space (Vogt, dissertation, §3.6)

    def _head(self) -> tuple[np.ndarray, float]:
        """θ (latent_size,) and the bias of the linear head, in standardised score units."""
        check_is_fitted(self, "net_")
        w = self.net_.head.weight.detach().numpy()[0].astype(np.float64)
        return w, float(self.net_.head.bias.detach().numpy()[0])

    def _codes(self, latent: Any) -> np.ndarray:
        check_is_fitted(self, "net_")
        L = np.asarray(latent, dtype=np.float64)
        if L.ndim != 2 or L.shape[1] != self.latent_size:
            raise ValueError(
                f"latent codes must be (n, {self.latent_size}) (latent_size), got {L.shape}; "
                "get them from .latent(X)."
            )
        _require_finite(L, "latent")
        return L

    def predict_latent(self, latent: Any) -> np.ndarray:
        """(n,) the head's score prediction ``θ L + b`` at latent codes ``latent``
        (n, latent_size), in the units of the training ``y`` (as :meth:`predict_accuracy`)."""
        w, b = self._head()
        return (self._codes(latent) @ w + b) * self.y_scale_ + self.y_mean_

    def decode(self, latent: Any) -> np.ndarray:
        """Spectra ψ(L) (n, L_exponents) decoded from latent codes (n, latent_size), in the
        units of the training spectra (the decoder of eq. 3.5, un-standardised)."""
        L = torch.tensor(self._codes(latent), dtype=torch.float64)
        with torch.no_grad():
            z = self.net_.decoder(L).numpy()
        return z * self.scaler_scale_ + self.scaler_mean_

    def perturb(self, X: Any, delta: float) -> np.ndarray:
        """Latent codes moved so that the predicted score changes by ``delta`` (Vogt,
        dissertation, eq. 3.7): ``L' = φ(Z) + θ⁺ ΔT``, θ⁺ = θᵀ/‖θ‖² the pseudo-inverse of the
        linear head (ΔT in the units of the training ``y``, so ``predict_latent(L')`` =
        ``predict_accuracy(X) + delta``). The step is the smallest that does it (along θ).
        ``decode`` maps the result back to spectra, ``pca_.transform`` into AeLLE coordinates.
        """
        w, _ = self._head()
        if not np.isfinite(delta):
            raise ValueError(f"delta must be finite, got {delta!r}.")
        return self.latent(X) + w * (float(delta) / self.y_scale_ / float(w @ w))

    def level_set(self, X: Any, value: float) -> np.ndarray:
        """The latent codes φ(Z) of ``X`` projected orthogonally onto the head's level set
        ``{L : θ L + b = value}`` (the dissertation's "zero-loss" set of Fig. 3.15 is the level
        set of the best score): ``L + θ⁺(value − prediction)``. The set is ``L₀ + null(θ)``, of
        dimension latent_size − 1; the projections of the networks give points of it where the
        networks are. ``null_space`` gives its directions."""
        L = self.latent(X)
        w, b = self._head()
        t = (float(value) - self.y_mean_) / self.y_scale_
        return L + np.outer(t - (L @ w + b), w) / float(w @ w)

    def null_space(self) -> np.ndarray:
        """(latent_size, latent_size − 1) orthonormal basis of null(θ): the latent directions
        the linear head cannot see (``scipy.linalg.null_space``)."""
        import scipy.linalg

        w, _ = self._head()
        return scipy.linalg.null_space(w[None, :])
