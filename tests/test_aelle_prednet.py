"""PredNet (Vogt, dissertation, Sec. 3.1-3.2) against scikit-learn's own MLPRegressor fit, and the
eigenvalue features it reads."""

import numpy as np
import pytest
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

from neurodyn.aelle import PredNet, eigenvalue_features


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_prednet_is_mlpregressor_on_standardised_data_one_epoch_at_a_time():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)) * [1, 10, 0.1, 3, 1] + 4
    y = 3.0 + 2.0 * np.tanh(X[:, 0] - 4) + 0.1 * rng.normal(size=60)
    net = PredNet(hidden_size=7, epochs=40, lr=3e-3, batch_size=16, shuffle=False, random_state=1)
    net.fit(X, y)
    # the same network fitted in one call by sklearn, on the standardised inputs and target (in
    # the data's batch order: fit and partial_fit draw their shuffles differently)
    sx = StandardScaler().fit(X)
    ref = MLPRegressor(hidden_layer_sizes=(7,), learning_rate_init=3e-3, batch_size=16,
                       alpha=0.0, max_iter=40, shuffle=False, tol=0.0, n_iter_no_change=10**6,
                       random_state=1).fit(sx.transform(X), (y - y.mean()) / y.std())  # fmt: skip
    want = ref.predict(sx.transform(X)) * y.std() + y.mean()
    np.testing.assert_allclose(net.predict(X), want, rtol=1e-10, atol=1e-12)
    assert net.loss_curve_.shape == (40,) and net.val_loss_curve_ is None
    np.testing.assert_allclose(net.loss_curve_[-1], np.mean((want - y) ** 2), rtol=1e-10)


def test_prednet_validation_curve_tells_informative_from_noise():
    rng = np.random.default_rng(2)
    n = 200
    signal = rng.normal(size=(n, 4))
    y = signal[:, 0] - 0.5 * signal[:, 1] ** 2
    noise = rng.normal(size=(n, 4))
    tr, va = slice(0, 160), slice(160, None)
    curves = {}
    for name, X in (("signal", signal), ("noise", noise)):
        net = PredNet(hidden_size=10, epochs=150, lr=1e-2, random_state=0)
        curves[name] = net.fit(X[tr], y[tr], eval_set=(X[va], y[va])).val_loss_curve_
    assert curves["signal"][-1] < 0.5 * np.var(y[va]) < curves["noise"][-1]


def test_eigenvalue_features_sort_by_modulus_real_then_imaginary():
    re = np.array([[0.1, 0.5, 0.5, -0.9]])
    im = np.array([[0.0, -0.5, 0.5, 0.0]])
    f = eigenvalue_features(re, im)
    np.testing.assert_array_equal(f, [[-0.9, 0.5, 0.5, 0.1, 0.0, 0.5, -0.5, 0.0]])
    polar = eigenvalue_features(re, im, form="polar")
    np.testing.assert_allclose(polar[0, :4], np.log([0.9, np.sqrt(0.5), np.sqrt(0.5), 0.1]))
    np.testing.assert_allclose(polar[0, 4:], [np.pi, np.pi / 4, -np.pi / 4, 0.0])
    with pytest.raises(ValueError, match="one shape"):
        eigenvalue_features(re, im[:, :3])
    with pytest.raises(ValueError, match="form must be"):
        eigenvalue_features(re, im, form="log")


def test_prednet_refuses_bad_options():
    X, y = np.zeros((4, 2)), np.arange(4.0)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        PredNet(epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        PredNet(lr=-1.0).fit(X, y)


def test_prednet_shuffles_a_new_order_every_epoch():
    """An int random_state must not replay one batch order each epoch (MLPRegressor re-seeds
    from an int at every partial_fit): two epochs from one state differ from two runs of one."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    two = PredNet(epochs=2, batch_size=8, lr=1e-2, random_state=0).fit(X, y).predict(X)
    ref = PredNet(epochs=1, batch_size=8, lr=1e-2, random_state=0).fit(X, y)
    ref.mlp_.random_state = 0  # replay the first epoch's order: what re-seeding would do
    ref.mlp_.partial_fit(ref.scaler_.transform(X), (y - ref.y_mean_) / ref.y_scale_)
    assert not np.allclose(two, ref.predict(X), rtol=1e-6)
