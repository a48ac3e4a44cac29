"""The best-F1 boundary (Vogt, dissertation, Table 3.2) against a brute force over every threshold,
and the classifiers that use it."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from neurodyn.aelle import AeLLE, MedianClassifier, best_f1_boundary


def _brute(z, labels):
    """The best F1 over every rule z > t / z ≤ t with t at a data value or ±inf (sklearn F1)."""
    best = 0.0
    for t in [-np.inf, *np.unique(z)]:
        for pred in (z > t, z <= t):
            best = max(best, f1_score(labels, pred.astype(int), zero_division=0.0))
    return best


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-6, 6), st.integers(0, 1)), min_size=1, max_size=40).filter(
        lambda rows: any(lab for _, lab in rows)
    )
)
def test_best_f1_equals_brute_force_and_its_rule(rows):
    # integer statistics make ties frequent: cuts must fall between distinct values only
    z = np.array([r[0] for r in rows], dtype=float) / 2
    labels = np.array([r[1] for r in rows])
    t, side, f1 = best_f1_boundary(z, labels)
    pred = (z > t) if side > 0 else (z <= t)
    assert f1 == pytest.approx(f1_score(labels, pred.astype(int)), abs=1e-12)
    assert f1 == pytest.approx(_brute(z, labels), abs=1e-12)
    assert not np.any(z == t), "the threshold must not sit on a training point"


def test_best_f1_separable_and_reversed():
    z = np.array([0.0, 1.0, 2.0, 3.0, 10.0, 11.0])
    t, side, f1 = best_f1_boundary(z, np.array([0, 0, 0, 0, 1, 1]))
    assert (t, side, f1) == (6.5, 1, 1.0)
    t, side, f1 = best_f1_boundary(-z, np.array([0, 0, 0, 0, 1, 1]))
    assert (t, side, f1) == (-6.5, -1, 1.0)


def test_best_f1_refuses_what_has_no_f1():
    with pytest.raises(ValueError, match="no high-accuracy"):
        best_f1_boundary([1.0, 2.0], [0, 0])
    with pytest.raises(ValueError, match="NaN"):
        best_f1_boundary([1.0, np.nan], [0, 1])
    with pytest.raises(ValueError, match="one length"):
        best_f1_boundary([1.0, 2.0], [1])


def test_median_classifier_best_f1_beats_median_on_training_points():
    # a statistic whose high class is the top fifth: the median rule cannot reach F1 = 1
    rng = np.random.default_rng(0)
    X = np.sort(rng.normal(size=(100, 6)), axis=1)[:, ::-1]
    y = X.mean(axis=1)
    y = (y > np.quantile(y, 0.8)).astype(float)
    med = MedianClassifier("mean", threshold=0.5).fit(X, y)
    best = MedianClassifier("mean", threshold=0.5, boundary="best-f1").fit(X, y)
    assert best.score(X, y) == 1.0
    assert med.score(X, y) < 0.8
    assert med.boundary_ == med.median_ == pytest.approx(np.median(X.mean(axis=1)))
    assert best.median_ == med.median_ and best.boundary_ > best.median_


def test_aelle_best_f1_boundary_is_the_best_training_rule_on_pc1():
    rng = np.random.default_rng(1)
    X = np.sort(rng.normal(size=(80, 8)), axis=1)[:, ::-1]
    y = -X[:, 0]
    model = AeLLE(epochs=20, warmup_epochs=5, random_state=0, boundary="best-f1").fit(X, y)
    labels = (y > model.threshold_).astype(int)
    pc1 = model.transform(X)[:, 0]
    t, side, f1 = best_f1_boundary(pc1, labels)
    assert (model.pc1_boundary_, model.side_) == (t, side)
    assert model.score(X, y) == pytest.approx(f1)
    median = AeLLE(epochs=20, warmup_epochs=5, random_state=0).fit(X, y)
    assert median.pc1_boundary_ == median.pc1_median_ == model.pc1_median_
    assert model.score(X, y) >= median.score(X, y)
    with pytest.raises(ValueError, match="boundary must be one of"):
        AeLLE(boundary="mean").fit(X, y)
