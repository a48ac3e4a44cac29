"""Offline sequence tasks: shapes, disjoint stratified splits, determinism."""

import numpy as np
import pytest
import torch

from neurodyn.data import TASKS, load


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
