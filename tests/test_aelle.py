"""AeLLE (Vogt, dissertation, Ch. 3) and its median classifiers, checked against scikit-learn's
estimator checks, hand computations and synthetic spectra whose class is a known function."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurodyn.aelle import (
    AeLLE,
    MedianCellClassifier,
    MedianClassifier,
    compare_classifiers,
    spectrum_features,
)

pytestmark = pytest.mark.usefixtures("one_thread")

FAST = {"latent_size": 8, "hidden_size": 16, "epochs": 60, "warmup_epochs": 20}


def _spectra(n: int, seed: int, L: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Descending spectra driven by two factors; accuracy = sigmoid(−3 · mean of λ₁..λ₃).

    Smaller leading exponents → higher accuracy, the trend of Vogt, dissertation, Fig. 3.3.
    """
    rng = np.random.default_rng(seed)
    k = np.arange(L)
    a, b = rng.normal(size=(2, n, 1))
    X = -0.2 * k + 0.5 * a * np.exp(-k / 3) + 0.3 * b + 0.05 * rng.normal(size=(n, L))
    X = -np.sort(-X, axis=1)
    acc = 1.0 / (1.0 + np.exp(3.0 * X[:, :3].mean(axis=1)))
    return X, acc


# ----------------------------------------------------------------- scikit-learn conformance


@parametrize_with_checks(
    [
        AeLLE(latent_size=4, hidden_size=8, epochs=3, warmup_epochs=1),
        MedianClassifier(feature="mean"),
        MedianClassifier(feature="pc1"),
        MedianCellClassifier(n_components=2),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    # every check passes; none is listed as an expected failure
    check(estimator)


# ----------------------------------------------------------------- AeLLE on synthetic spectra


def test_aelle_separates_a_known_accuracy_function_on_held_out_data():
    X, y = _spectra(300, seed=0)
    # 60 epochs: F1 0.94–0.98 over random_state 0–2 (0.87–0.92 at 30 epochs)
    model = AeLLE(epochs=60, warmup_epochs=20, random_state=0).fit(X[:200], y[:200])
    assert model.score(X[200:], y[200:]) >= 0.9
    # the head regresses the accuracy itself (eq. 3.5, T̂ = (ξ∘φ)Z)
    r = np.corrcoef(model.predict_accuracy(X[200:]), y[200:])[0, 1]
    assert r >= 0.9
    assert model.transform(X[200:]).shape == (100, 2)
    assert model.latent(X[200:]).shape == (100, 32)


def test_shuffled_labels_give_chance_f1():
    # with labels independent of the spectra, ~half the test set is predicted high and ~half
    # is high, so F1 ≈ 0.5; one seed's F1 on 100 test points has sd ≈ 0.07, the mean of three
    # ≈ 0.04, so [0.3, 0.7] is a ±5 sd band around chance, and the known function scores ≥ 0.9.
    scores = []
    for seed in range(3):
        X, y = _spectra(200, seed=10 + seed)
        y = np.random.default_rng(seed).permutation(y)
        model = AeLLE(random_state=seed, **FAST).fit(X[:100], y[:100])
        scores.append(model.score(X[100:], y[100:]))
    assert 0.3 <= np.mean(scores) <= 0.7, scores


def test_alpha_is_ramped_up_over_the_warmup():
    X, y = _spectra(64, seed=1)
    model = AeLLE(alpha=2.0, epochs=10, warmup_epochs=4, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.loss_curve_["alpha"], [0, 0.5, 1, 1.5, 2, 2, 2, 2, 2, 2])
    assert model.loss_curve_["reconstruction"][-1] < model.loss_curve_["reconstruction"][0]
    flat = AeLLE(alpha=2.0, epochs=3, warmup_epochs=0, random_state=0).fit(X, y)
    np.testing.assert_array_equal(flat.loss_curve_["alpha"], [2.0, 2.0, 2.0])


def test_prediction_norm_one_trains():
    X, y = _spectra(120, seed=2)
    model = AeLLE(prediction_norm=1, random_state=0, **FAST).fit(X, y)
    assert model.loss_curve_["prediction"][-1] < model.loss_curve_["prediction"][0]


def test_determinism_with_random_state():
    X, y = _spectra(80, seed=3)
    a = AeLLE(random_state=7, **FAST).fit(X, y).transform(X)
    b = AeLLE(random_state=7, **FAST).fit(X, y).transform(X)
    c = AeLLE(random_state=8, **FAST).fit(X, y).transform(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_predict_marks_the_high_side_of_the_training_pc1_median():
    X, y = _spectra(120, seed=4)
    model = AeLLE(random_state=0, **FAST).fit(X, y)
    pc1 = model.transform(X)[:, 0]
    above = pc1 > np.median(pc1)
    high = y > np.median(y)
    expected_side = 1 if high[above].mean() >= high[~above].mean() else -1
    assert model.side_ == expected_side
    np.testing.assert_array_equal(model.predict(X), above if expected_side > 0 else ~above)
    assert model.threshold_ == np.median(y)


def test_two_valued_y_is_taken_as_class_labels():
    X, y = _spectra(120, seed=5)
    labels = (y > np.quantile(y, 0.7)).astype(int)  # 30 % positive: a median split would be empty
    clf = MedianClassifier("max").fit(X, labels)
    assert clf.threshold_ == 0.5
    assert clf.score(X, labels) > 0.5


# ----------------------------------------------------------------- baselines


def test_median_classifier_against_a_hand_computation():
    X = np.array(
        [
            [0.5, -1.0, -3.0],  # mean −7/6, max 0.5
            [0.1, -0.2, -0.3],  # mean −0.4/3, max 0.1
            [0.9, 0.0, -0.3],  # mean 0.2, max 0.9
            [-0.1, -0.5, -0.6],  # mean −0.4, max −0.1
        ]
    )
    y = np.array([0.9, 0.8, 0.2, 0.1])  # median 0.5: rows 0 and 1 are high accuracy
    # mean LE: median of (−1.1667, −0.1333, 0.2, −0.4) is −0.2667; above = rows 1, 2 (one high
    # of two), below = rows 0, 3 (one high of two) → tie → the high side is "above"
    mean_clf = MedianClassifier("mean").fit(X, y)
    assert mean_clf.median_ == pytest.approx(-(0.4 / 3 + 0.4) / 2)
    np.testing.assert_array_equal(mean_clf.predict(X), [0, 1, 1, 0])
    # max LE: median of (0.5, 0.1, 0.9, −0.1) is 0.3; above = rows 0, 2 (one high of two) and
    # below = rows 1, 3 (one high) → tie → above
    max_clf = MedianClassifier("max").fit(X, y)
    assert max_clf.median_ == pytest.approx(0.3)
    np.testing.assert_array_equal(max_clf.predict(X), [1, 0, 1, 0])
    # a max-LE rule with a clear side: high accuracy ⇔ small λ₁
    y2 = np.array([0.1, 0.8, 0.2, 0.9])  # rows 1, 3 high; they are below the max median
    max2 = MedianClassifier("max").fit(X, y2)
    assert max2.side_ == -1
    np.testing.assert_array_equal(max2.predict(X), [0, 1, 0, 1])
    assert max2.score(X, y2) == 1.0
    # a new point is classified by the training median and side
    np.testing.assert_array_equal(max2.predict([[0.31, 0, -1], [0.3, 0, -1]]), [0, 1])


def test_median_classifier_pc1_uses_the_training_pca():
    X, y = _spectra(100, seed=6)
    clf = MedianClassifier("pc1").fit(X, y)
    centred = X - X.mean(axis=0)
    v1 = np.linalg.svd(centred, full_matrices=False)[2][0]
    pc1 = centred @ v1
    assert abs(abs(np.corrcoef(clf.pca_.transform(X)[:, 0], pc1)[0, 1]) - 1) < 1e-10
    assert clf.median_ == pytest.approx(np.median(clf.pca_.transform(X)[:, 0]))


def test_one_cell_dimension_equals_the_median_classifier():
    X, y = _spectra(150, seed=7)
    Xt, _ = _spectra(100, seed=8)
    cells = MedianCellClassifier(n_components=1).fit(X, y)
    median = MedianClassifier("pc1").fit(X, y)
    np.testing.assert_array_equal(cells.predict(Xt), median.predict(Xt))
    # and on the AeLLE embedding: d = 1 cells = AeLLE's own PC1 median rule
    emb = AeLLE(random_state=0, **FAST)
    aelle_cells = MedianCellClassifier(n_components=1, embedding=emb).fit(X, y)
    aelle = AeLLE(n_components=1, random_state=0, **FAST).fit(X, y)
    np.testing.assert_array_equal(aelle_cells.predict(Xt), aelle.predict(Xt))


def _xor(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two orthogonal spectral modes a (var 1) and b (var 0.36); high accuracy ⇔ a·b > 0."""
    rng = np.random.default_rng(seed)
    L = 12
    k = np.arange(L)
    v1 = np.exp(-k / 3)
    v1 /= np.linalg.norm(v1)
    v2 = np.cos(np.pi * (k + 0.5) / L)
    v2 -= (v2 @ v1) * v1
    v2 /= np.linalg.norm(v2)
    a = rng.normal(size=(n, 1))
    b = 0.6 * rng.normal(size=(n, 1))
    X = -0.2 * k + a * v1 + b * v2 + 0.02 * rng.normal(size=(n, L))
    return X, (a * b).ravel()


def test_median_cells_beat_one_dimension_on_xor():
    X, y = _xor(400, seed=0)
    Xt, yt = _xor(400, seed=1)
    d1 = MedianCellClassifier(n_components=1).fit(X, y).score(Xt, yt)
    d2 = MedianCellClassifier(n_components=2).fit(X, y).score(Xt, yt)
    # cells (+,+) and (−,−) are the high region: d = 2 recovers it up to the noise near the
    # medians; a single median line sees an even mix on both sides (F1 ≈ 0.5)
    assert d2 >= 0.9
    assert d1 <= 0.7
    assert d2 > d1 + 0.2


# ----------------------------------------------------------------- features and comparison


def test_spectrum_features_by_hand():
    f = spectrum_features([[1.0, -0.5, -2.0], [-0.1, -0.2, -0.3]])
    np.testing.assert_allclose(f["mean"], [-0.5, -0.2])
    np.testing.assert_allclose(f["max"], [1.0, -0.1])
    # partial sums 1, 0.5, −1.5 → j = 2, D = 2 + 0.5 / 2; λ₁ < 0 → D = 0
    np.testing.assert_allclose(f["kaplan_yorke"], [2.25, 0.0])


def test_compare_classifiers_table():
    X, y = _spectra(300, seed=9)
    res = compare_classifiers(X[:200], y[:200], X[200:], y[200:], random_state=0, epochs=60)
    assert list(res) == [
        "AeLLE PC1 median",
        "AeLLE 2^d cells (d=2)",
        "Mean LE",
        "Max LE",
        "LE PC1",
    ]
    for row in res.values():
        assert set(row) == {"precision", "recall", "f1", "predicted_high"}
        assert 0 <= row["f1"] <= 1
    assert res["AeLLE PC1 median"]["f1"] >= 0.9
    # the baseline rows are the stand-alone classifiers' scores
    thr = np.median(y[:200])
    ref = MedianClassifier("max", threshold=thr).fit(X[:200], y[:200]).score(X[200:], y[200:])
    assert res["Max LE"]["f1"] == pytest.approx(ref)


# ----------------------------------------------------------------- bad inputs


def test_bad_inputs_raise_with_a_message():
    X, y = _spectra(40, seed=11)
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf .* rows 3"):
        AeLLE(**FAST).fit(bad, y)
    with pytest.raises(ValueError, match="y contains NaN or inf"):
        MedianClassifier().fit(X, np.where(np.arange(40) == 5, np.inf, y))
    with pytest.raises(ValueError, match="2D array"):
        AeLLE(**FAST).fit(X[0], y[:1])
    with pytest.raises(ValueError, match="alpha must be ≥ 0"):
        AeLLE(alpha=-1).fit(X, y)
    with pytest.raises(ValueError, match="exceeds latent_size"):
        AeLLE(latent_size=2, n_components=3).fit(X, y)
    with pytest.raises(ValueError, match="prediction_norm must be 1 or 2"):
        AeLLE(prediction_norm=3).fit(X, y)
    with pytest.raises(ValueError, match="feature must be one of"):
        MedianClassifier(feature="median").fit(X, y)
    with pytest.raises(ValueError, match="no high/low split"):
        MedianClassifier().fit(X, np.ones(40))
    with pytest.raises(ValueError, match="embedding must be None"):
        MedianCellClassifier(embedding="pca").fit(X, y)
    with pytest.raises(ValueError, match="threshold must be None"):
        MedianClassifier(threshold="median").fit(X, y)
    with pytest.raises(ValueError, match="2-D array"):
        spectrum_features([1.0, 2.0])
    with pytest.raises(ValueError, match="NaN or inf"):
        spectrum_features([[1.0, np.inf]])
    fitted = MedianClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :5])
    with pytest.raises(ValueError, match="NaN or inf"):
        fitted.predict(bad)


# ----------------------------------------------------- the latent space (dissertation §3.6)


@pytest.fixture(scope="module")
def fitted():
    X, y = _spectra(120, seed=4)
    return AeLLE(**FAST, random_state=0).fit(X, y), X, y


@pytest.mark.parametrize("delta", [-0.3, -0.01, 0.05, 0.4])
def test_perturb_moves_the_head_prediction_by_exactly_delta(fitted, delta):
    """Eq. 3.7 with θ⁺: θ(L + θ⁺ΔT) = θL + ΔT, in the units of y (float64 rounding)."""
    model, X, _ = fitted
    moved = model.perturb(X, delta)
    np.testing.assert_allclose(model.predict_latent(moved), model.predict_accuracy(X) + delta,
                               rtol=0, atol=1e-12)  # fmt: skip
    # the smallest such step: along θ only (orthogonal to the head's null space)
    step = moved - model.latent(X)
    np.testing.assert_allclose(step @ model.null_space(), 0.0, atol=1e-12)


def test_level_set_is_the_orthogonal_projection_onto_theta_l_equal_value(fitted):
    model, X, _ = fitted
    best = float(model.predict_accuracy(X).max())
    pts = model.level_set(X, best)
    np.testing.assert_allclose(model.predict_latent(pts), best, rtol=0, atol=1e-12)
    N = model.null_space()
    assert N.shape == (model.latent_size, model.latent_size - 1)
    np.testing.assert_allclose(N.T @ N, np.eye(model.latent_size - 1), atol=1e-12)
    # projection: the null-space coordinates of each network are kept, only θ's is changed
    np.testing.assert_allclose(pts @ N, model.latent(X) @ N, atol=1e-12)


def test_decode_is_the_autoencoder_reconstruction(fitted):
    """decode(latent(X)) against the torch module's own forward (ψ∘φ, eq. 3.5), un-standardised."""
    import torch

    model, X, _ = fitted
    z = torch.tensor((X - model.scaler_mean_) / model.scaler_scale_, dtype=torch.float64)
    with torch.no_grad():
        recon = model.net_(z)[1].numpy() * model.scaler_scale_ + model.scaler_mean_
    np.testing.assert_allclose(model.decode(model.latent(X)), recon, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="latent codes must be"):
        model.decode(X)  # spectra are not latent codes
