"""The baselines AeLLE is compared against (Vogt, dissertation, App. B, Tables 3.2–3.3, B2–B4).

:class:`MedianClassifier` splits one statistic of the raw spectra (mean LE, max LE, PC1) at its
training median or at its best training F1; :class:`MedianCellClassifier` takes the union of
2^d median cells in the first d PCs (of the raw spectra or of an :class:`AeLLE`);
:func:`compare_classifiers` scores them all beside AeLLE on a test set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.decomposition import PCA
from sklearn.metrics import precision_recall_fscore_support

from neurodyn.aelle._boundary import (
    BOUNDARIES,
    _cell_codes,
    _fit_cells,
    _median_predict,
    fit_boundary,
)
from neurodyn.aelle._embedding import (
    AeLLE,
    _check_spectra,
    _check_threshold,
    _fit_validate,
    _HighAccuracyScore,
    _labels,
    _positive_int,
    _predict_validate,
    _require_finite,
)
from neurodyn.lyapunov import kaplan_yorke_dimension

__all__ = ["MedianCellClassifier", "MedianClassifier", "compare_classifiers", "spectrum_features"]

_FEATURES = ("mean", "max", "pc1")


class MedianClassifier(_HighAccuracyScore, BaseEstimator):
    """Median classifier on one statistic of the raw spectra (Vogt, dissertation, App. B).

    ``feature`` = "mean" (mean LE), "max" (largest LE) or "pc1" (first principal component of
    the raw, centred spectra, PCA fitted on the training set). ``boundary="median"`` (the
    default, App. B) splits at the training median of the statistic, the high-accuracy side
    being the one whose training points are more often high accuracy (``y > threshold_``,
    threshold = median of ``y`` unless given); ``boundary="best-f1"`` splits where the training
    F1 is largest (Table 3.2, :func:`neurodyn.aelle.best_f1_boundary`).
    Fitted: ``threshold_``, ``median_`` (the statistic's training median), ``boundary_`` (the
    split used), ``side_`` (+1 above, −1 at/below), ``pca_`` ("pc1").
    """

    def __init__(
        self, feature: str = "mean", threshold: float | None = None, boundary: str = "median"
    ):
        self.feature = feature
        self.threshold = threshold
        self.boundary = boundary

    def _stat(self, X: np.ndarray) -> np.ndarray:
        if self.feature == "mean":
            return X.mean(axis=1)
        if self.feature == "max":
            return X.max(axis=1)
        return self.pca_.transform(X)[:, 0]

    def fit(self, X: Any, y: Any) -> MedianClassifier:
        """Fit the median boundary on spectra ``X`` (n, L) and scores ``y`` (n,)."""
        if self.feature not in _FEATURES:
            raise ValueError(f"feature must be one of {_FEATURES}; got {self.feature!r}")
        if self.boundary not in BOUNDARIES:
            raise ValueError(f"boundary must be one of {BOUNDARIES}; got {self.boundary!r}")
        _check_threshold(self.threshold)
        X, y = _fit_validate(self, X, y)
        labels, self.threshold_ = _labels(y, self.threshold)
        if self.feature == "pc1":
            self.pca_ = PCA(n_components=1, svd_solver="full").fit(X)
        z = self._stat(X)
        self.median_ = float(np.median(z))
        self.boundary_, self.side_ = fit_boundary(z, labels, self.boundary)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """(n,) int: 1 = on the high-accuracy side of ``boundary_``."""
        return _median_predict(self._stat(_predict_validate(self, X)), self.boundary_, self.side_)


class MedianCellClassifier(_HighAccuracyScore, BaseEstimator):
    """Union of median cells in the first d PCs (Vogt, dissertation, Table 3.3).

    The training median of each of the first ``n_components`` = d coordinates splits the space
    into 2^d cells; a cell is "high" when it holds more high- than low-accuracy training points
    (strict majority; cells without training points are low). ``embedding=None`` uses PCA of the
    raw centred spectra; an :class:`AeLLE` instance is cloned, given ``n_components=d`` and the
    same ``threshold``, and fitted, and its :meth:`AeLLE.transform` is used. With d = 1 and a
    median split this is :class:`MedianClassifier` on that PC1.
    Fitted: ``threshold_``, ``embedding_``, ``medians_`` (d,), ``high_cells_`` (cell indices
    Σ_k [z_k > median_k]·2^k).
    """

    def __init__(self, n_components: int = 2, embedding: AeLLE | None = None, threshold=None):
        self.n_components = n_components
        self.embedding = embedding
        self.threshold = threshold

    def fit(self, X: Any, y: Any) -> MedianCellClassifier:
        """Fit the embedding and the cells on spectra ``X`` (n, L) and scores ``y`` (n,)."""
        d = _positive_int("n_components", self.n_components)
        if d > 62:
            raise ValueError(f"n_components={d} > 62 cell bits is not supported")
        _check_threshold(self.threshold)
        if self.embedding is not None and not isinstance(self.embedding, AeLLE):
            raise ValueError(
                f"embedding must be None (PCA of raw spectra) or an AeLLE; got {self.embedding!r}"
            )
        X, y = _fit_validate(self, X, y)
        if self.embedding is None and d > min(X.shape):
            raise ValueError(
                f"n_components={d} exceeds min(n_samples, n_exponents)={min(X.shape)} of the "
                "raw spectra; use fewer components."
            )
        labels, self.threshold_ = _labels(y, self.threshold)
        if self.embedding is None:
            self.embedding_ = PCA(n_components=d, svd_solver="full").fit(X)
        else:
            self.embedding_ = clone(self.embedding).set_params(
                n_components=d, threshold=self.threshold
            )
            self.embedding_.fit(X, y)
        self.medians_, self.high_cells_ = _fit_cells(self.embedding_.transform(X), labels)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """(n,) int: 1 = in a high-accuracy cell."""
        X = _predict_validate(self, X)
        codes = _cell_codes(self.embedding_.transform(X), self.medians_)
        return np.isin(codes, self.high_cells_).astype(np.int64)


# --------------------------------------------------------------------------- helpers


def spectrum_features(X: Any) -> dict[str, np.ndarray]:
    """Mean LE, max LE and Kaplan–Yorke dimension of each spectrum.

    Args:
        X: (n, L) Lyapunov spectra (any order; Kaplan–Yorke sorts them, Vogt, dissertation,
            eq. 1.10–1.11 via :func:`neurodyn.lyapunov.kaplan_yorke_dimension`).

    Returns:
        ``{"mean": (n,), "max": (n,), "kaplan_yorke": (n,)}`` float64 arrays.
    """
    a = _check_spectra(X)
    ky = np.array([kaplan_yorke_dimension(torch.from_numpy(row.copy())) for row in a])
    return {"mean": a.mean(axis=1), "max": a.max(axis=1), "kaplan_yorke": ky}


def compare_classifiers(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    random_state: int = 0,
    n_cells: int = 2,
    threshold: float | None = None,
    **aelle_params: Any,
) -> dict[str, dict[str, float]]:
    """Precision, recall and F1 on a test set of AeLLE and the LE-statistic median classifiers.

    The shape of Vogt, dissertation, Tables B2–B4 (plus the 2^d-cell classifier of Table 3.3).
    One :class:`AeLLE` (``n_components = max(2, n_cells)``) is fitted on the training set and
    serves both AeLLE rows. Test labels use the *training* threshold (median of ``y_train``
    unless ``threshold`` is given); high accuracy is the positive class.

    Returns:
        ``{name: {"precision", "recall", "f1", "predicted_high"}}`` with names
        ``"AeLLE PC1 median"``, ``"AeLLE 2^d cells (d=…)"``, ``"Mean LE"``, ``"Max LE"``,
        ``"LE PC1"`` (``pandas.DataFrame(result).T`` gives the table).
    """
    d = _positive_int("n_cells", n_cells)
    params = {**aelle_params, "n_components": max(2, d, aelle_params.get("n_components", 2))}
    model = AeLLE(random_state=random_state, threshold=threshold, **params).fit(X_train, y_train)
    y_test = np.asarray(y_test, dtype=np.float64)
    if y_test.ndim != 1:
        raise ValueError(f"y_test must be 1-D (n_test,); got shape {y_test.shape}")
    _require_finite(y_test, "y_test")
    truth = (y_test > model.threshold_).astype(np.int64)

    labels = (np.asarray(y_train, dtype=np.float64) > model.threshold_).astype(np.int64)
    emb_train = model.transform(X_train)[:, :d]
    medians, high = _fit_cells(emb_train, labels)
    preds = {
        "AeLLE PC1 median": model.predict(X_test),
        f"AeLLE 2^d cells (d={d})": np.isin(
            _cell_codes(model.transform(X_test)[:, :d], medians), high
        ).astype(np.int64),
    }
    for name, feature in (("Mean LE", "mean"), ("Max LE", "max"), ("LE PC1", "pc1")):
        clf = MedianClassifier(feature=feature, threshold=model.threshold_).fit(X_train, y_train)
        preds[name] = clf.predict(X_test)
    out = {}
    for name, p in preds.items():
        prec, rec, f1, _ = precision_recall_fscore_support(
            truth, p, average="binary", zero_division=0.0
        )
        out[name] = {
            "precision": float(prec),
            "recall": float(rec),
            "f1": float(f1),
            "predicted_high": float(p.mean()),
        }
    return out
