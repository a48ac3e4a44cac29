"""The model zoo of Drgoňa et al., Spectral analysis: the 828-model grid, the guarantees of its
factorizations, seeded reproducibility, and the Table 1 models' behaviours at their frozen seeds."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from neurodyn import reproduce, zoo

#: the models with a claim of their own (Fig. 5's claims are about depth series)
CHECKED = sorted(n for n in zoo.PAPER_MODELS if reproduce.claims_about(n))

TOL = 1e-9


@pytest.fixture
def one_thread():
    """Tiny batches: intra-op threads only add synchronisation (see reproduce/_figures.py)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _weights(net: nn.Module) -> list[torch.Tensor]:
    return [m.weight.detach() for m in net if isinstance(m, nn.Linear)]


def test_grid_has_828_models():
    configs = zoo.grid()
    paper = "Drgoňa et al., Spectral analysis, App. D: 'we generated 828 different models'"
    assert len(configs) == 828, paper
    weight_configs = {(c.factorization, c.eig_range) for c in configs}
    assert len(weight_configs) == 23 == 7 + 7 + 7 + 1 + 1
    assert len(zoo.ACTIVATIONS) == 6 and len(zoo.DEPTHS) == 3
    assert len(configs) == len(weight_configs) * 6 * 3 * 2
    assert len(set(configs)) == 828 and len({c.name for c in configs}) == 828


@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (0.99, 1.10), (-1.5, -1.1)])
@pytest.mark.parametrize("variant", ["gershgorin-real", "gershgorin-complex"])
def test_gershgorin_eigenvalues_in_disc(variant, lo, hi):
    for width in (2, 4):
        net = zoo.build(zoo.ZooConfig(variant, (lo, hi), "tanh", 4, True, width, seed=3))
        for W in _weights(net):
            lam = torch.linalg.eigvals(W)
            assert bool(((lam - (lo + hi) / 2).abs() <= (hi - lo) / 2 + TOL).all())
            if variant == "gershgorin-real":
                assert bool((lam.imag.abs() <= TOL).all())
                assert bool(((lam.real >= lo - TOL) & (lam.real <= hi + TOL)).all())


@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (0.99, 1.10), (1.10, 1.50), (-1.5, -1.1)])
def test_spectral_singular_values_in_range(lo, hi):
    a, b = sorted((abs(lo), abs(hi)))
    for width in (2, 5):
        net = zoo.build(zoo.ZooConfig("spectral", (lo, hi), "relu", 8, False, width, seed=1))
        for W in _weights(net):
            s = torch.linalg.svdvals(W)
            assert bool(((s >= a - TOL) & (s <= b + TOL)).all()), (s, a, b)


def test_perron_frobenius_root_in_range():
    for width in (2, 4):
        net = zoo.build(zoo.ZooConfig("perron-frobenius", (1.0, 1.0), "relu", 4, True, width))
        for W in _weights(net):
            assert bool((W >= 0).all())
            lam = torch.linalg.eigvals(W)
            perron = lam[lam.abs().argmax()]
            assert abs(perron.imag) <= TOL and abs(perron.real - 1.0) <= 1e-7


def test_unstructured_is_torch_default():
    net = zoo.build(zoo.ZooConfig("unstructured", None, "gelu", 1, True))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        ref = nn.Linear(2, 2).to(torch.float64)  # as build does: float32 init, then cast
    torch.testing.assert_close(net[0].weight, ref.weight)


def test_build_is_plain_reproducible_and_leaves_the_rng_alone():
    cfg = zoo.ZooConfig("gershgorin-complex", (0.99, 1.01), "selu", 4, True, 3, seed=7)
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b = zoo.build(cfg), zoo.build(cfg)
    assert torch.equal(torch.random.get_rng_state(), before)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    other = zoo.build(zoo.ZooConfig(*[*cfg.to_dict().values()][:-1], seed=8))
    assert not torch.equal(a[0].weight, other[0].weight)
    assert all(type(m) in (nn.Linear, nn.SELU) for m in a)  # baked: no parametrizations
    assert not any(hasattr(m, "parametrizations") for m in a)
    assert not a.training and a[0].weight.dtype == torch.float64
    assert len(a) == 2 * cfg.depth and a[0].bias is not None


def test_paper_models_follow_table_1():
    assert len(zoo.PAPER_MODELS) == 24  # Table 1's rows
    assert set(zoo.PAPER_SEEDS) == set(CHECKED)
    assert zoo.NOT_REPRODUCED <= set(CHECKED)
    for name in zoo.PAPER_MODELS:
        cfg = zoo.paper_config(name)
        assert cfg in zoo.grid(seed=cfg.seed), name  # a member of the 828-model grid
    with pytest.raises(KeyError):
        zoo.paper_config("fig9-nothing")


@pytest.mark.parametrize("name", CHECKED)
def test_paper_model_shows_its_behaviour_at_its_frozen_seed(name, one_thread):
    row = zoo.PAPER_MODELS[name]
    shows = reproduce.shows_behaviour(name, zoo.paper_model(name))
    if name in zoo.NOT_REPRODUCED:
        assert not shows, f"{name} is listed as not reproduced but shows: {row.behaviour}"
    else:
        assert shows, f"Fig. {row.figure} {name} at seed {zoo.PAPER_SEEDS[name]}: {row.behaviour}"
