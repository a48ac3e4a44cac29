"""Pytest configuration: a fast hypothesis profile (the suite runs on 2 cores).

``torch``'s default dtype is left alone; tests build float64 networks explicitly. Shared helpers
live in ``tests/helpers.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile(
    "default",
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("ci", deadline=None, max_examples=100)
settings.register_profile("dev", deadline=None, max_examples=10)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _seed_torch():
    """Deterministic torch RNG per test."""
    torch.manual_seed(0)
    yield


@pytest.fixture
def rng() -> torch.Generator:
    """A seeded torch generator for tests that want their own stream."""
    return torch.Generator().manual_seed(1234)


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread for a module (``pytestmark = pytest.mark.usefixtures("one_thread")``):
    the suite's tensors are small and the CI machine has 2 shared cores, where a second thread
    only adds synchronisation; the previous setting is restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
