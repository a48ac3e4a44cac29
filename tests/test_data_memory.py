"""Long-memory tasks: the adding problem, the copy task, MNIST at T = 98 — determinism by seed,
shapes, and the memoryless baselines against their analytic values."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from neurodyn.data import (
    KINDS,
    TASKS,
    _memory,
    adding_baseline,
    copy_baseline,
    load,
    task_kind,
    task_options,
)


def _all(name, **opts):
    return [load(name, s, seed=1, **opts) for s in ("train", "val", "test")]


def test_adding_shapes_markers_targets_and_splits():
    parts = _all("adding", length=51, num_samples=400)
    assert [len(p) for p in parts] == [280, 60, 60]
    x = torch.cat([p.x for p in parts])
    y = torch.cat([p.y for p in parts])
    assert x.shape == (400, 51, 2) and y.shape == (400,) and y.dtype == torch.float32
    assert parts[0].kind == "regression" and parts[0].output_size == 1
    assert parts[0].num_classes == 0
    v, m = x[:, :, 0], x[:, :, 1]
    assert 0 <= float(v.min()) and float(v.max()) < 1
    assert set(m.unique().tolist()) == {0.0, 1.0}
    half = 51 // 2  # one marker in [0, 25), one in [25, 51)
    assert torch.all(m[:, :half].sum(1) == 1) and torch.all(m[:, half:].sum(1) == 1)
    assert torch.equal(y, (v * m).sum(1))  # the target is the sum of the two marked values
    # the three splits are disjoint and cover the task (each sequence once)
    rows = {tuple(r.flatten().tolist()) for r in x}
    assert len(rows) == 400


def test_adding_baseline_is_one_sixth():
    """Predicting 1 scores Var(U₁ + U₂) = 1/6. (Y − 1) is triangular on [−1, 1]:
    E[(Y−1)⁴] = 1/15, so the squared error has sd √(1/15 − 1/36) = √(7/180) ≈ 0.197; over
    N = 20,000 sequences the empirical MSE is within 4 s.e. (0.0056) of 1/6 (p ≈ 6e-5)."""
    assert adding_baseline() == pytest.approx(1 / 6, rel=1e-15)
    n = 20000
    ds = load("adding", "train", num_samples=round(n / 0.7), length=20)
    mse = float(((ds.y.double() - 1.0) ** 2).mean())
    assert abs(mse - 1 / 6) < 4 * math.sqrt(7 / 180 / len(ds))
    assert ds.info["baseline"]["loss"] == adding_baseline()
    assert round(adding_baseline(), 3) == 0.167  # the number Rusch & Mishra 2021 quote


def test_copy_follows_arjovsky_et_al():
    delay = 7
    parts = _all("copy", delay=delay, num_samples=300)
    x = torch.cat([p.x for p in parts])
    y = torch.cat([p.y for p in parts])
    T = delay + 20
    assert x.shape == (300, T, 10) and y.shape == (300, T) and y.dtype == torch.int64
    assert parts[0].kind == "sequence-classification" and parts[0].output_size == 9
    assert torch.all(x.sum(2) == 1)  # one-hot
    cats = x.argmax(2)
    assert int(cats[:, :10].max()) <= 7  # ten symbols from a0..a7
    assert torch.all(cats[:, 10 : 10 + delay - 1] == 8)  # delay − 1 blanks
    assert torch.all(cats[:, 10 + delay - 1] == 9)  # the delimiter
    assert torch.all(cats[:, 10 + delay :] == 8)  # ten more blanks
    assert torch.all(y[:, : T - 10] == 8) and torch.equal(y[:, T - 10 :], cats[:, :10])


@pytest.mark.parametrize("delay", [1, 30])
def test_copy_memoryless_baseline(delay):
    """10 log 8 / (T + 20) two ways: the cross-entropy of the memoryless predictor computed by
    F.cross_entropy, and the entropy of the empirical per-step label distribution (the best
    memoryless score on the data). At the uniform distribution over 8 symbols the plug-in entropy
    falls short of log 8 by χ²₇ / (2N) per recall step (mean 3.5/N, sd √14/(2N)); over the 10
    independent recall steps the deficit has mean 35/N and sd ≈ 5.9/N, so 70/N (per T steps)
    is the mean plus 6 sd."""
    ds = load("copy", "train", delay=delay, num_samples=6000)
    T = delay + 20
    assert copy_baseline(delay) == pytest.approx(10 * math.log(8) / T, rel=1e-15)
    logits = torch.full((len(ds), T, 9), -1e4)
    logits[:, : T - 10, 8] = 0.0  # the blank, with certainty
    logits[:, T - 10 :, :8] = 0.0  # uniform over the 8 symbols
    ce = F.cross_entropy(logits.flatten(0, 1), ds.y.flatten())
    assert float(ce) == pytest.approx(copy_baseline(delay), rel=1e-5)
    ent = 0.0
    for t in range(T):
        p = np.bincount(ds.y[:, t].numpy(), minlength=9) / len(ds)
        ent -= float(np.sum(p[p > 0] * np.log(p[p > 0])))
    ent /= T
    assert ent <= copy_baseline(delay) + 1e-12
    assert copy_baseline(delay) - ent < 70 / len(ds) / T
    acc = ds.info["baseline"]["accuracy"]
    assert acc == pytest.approx((T - 10 + 10 / 8) / T)


def test_mnist_t98_is_the_pixel_sequence_in_chunks_of_8():
    a, b = load("mnist5k-t98", "test", seed=2), load("mnist5k-pixels", "test", seed=2)
    assert a.x.shape == (len(b), 98, 8) and a.kind == "classification"
    assert torch.equal(a.x.reshape(len(a), 784, 1), b.x) and torch.equal(a.y, b.y)


def test_xor_is_the_xor_of_the_first_step_bits_after_silence():
    ds = load("xor", "train", delay=7, num_samples=400)
    x, y = ds.x.numpy(), ds.y.numpy()
    assert x.shape == (len(ds), 8, 2) and ds.kind == "classification" and ds.num_classes == 2
    assert set(np.unique(x[:, 0])) == {-1.0, 1.0} and not x[:, 1:].any()
    np.testing.assert_array_equal(y, (x[:, 0, 0] > 0) != (x[:, 0, 1] > 0))
    assert 0.4 < y.mean() < 0.6  # balanced: 50 % is chance, as info["baseline"] says
    assert ds.info["baseline"]["accuracy"] == 0.5
    for t in _memory.XOR_DELAYS:
        assert task_kind(f"xor-{t}") == "classification"
    assert load("xor-25", "val", num_samples=30).seq_len == 26


@pytest.mark.parametrize(
    ("name", "opts"), [("adding", {"length": 30}), ("copy", {"delay": 5}), ("xor", {"delay": 4})]
)
def test_generators_are_deterministic_by_seed(name, opts):
    def make(seed):
        for f in vars(_memory).values():
            if hasattr(f, "cache_clear"):
                f.cache_clear()
        return load(name, "train", num_samples=100, generator_seed=seed, **opts)

    a, b, c = make(3), make(3), make(4)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)


def test_named_lengths_and_kinds():
    for t in _memory.ADDING_LENGTHS:
        assert task_kind(f"adding-{t}") == "regression"
        assert task_options(f"adding-{t}") == {"num_samples": 5000, "generator_seed": 0}
    for t in _memory.COPY_DELAYS:
        assert task_kind(f"copy-{t}") == "sequence-classification"
    small = load("adding-100", "val", num_samples=20)
    assert small.seq_len == 100 and small.info["length"] == 100
    assert load("copy-200", "val", num_samples=20).seq_len == 220
    assert {task_kind(n) for n in TASKS} == set(KINDS)
    with pytest.raises(ValueError, match="length must be an integer >= 2"):
        load("adding", length=1)
