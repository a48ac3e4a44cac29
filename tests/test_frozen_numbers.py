"""The TangentMap / FlowMap refactor keeps every number: spectra, CLVs and the attractor
classifier's λ₁ on the reference systems and an LSTM equal, to 1e-12 in float64, the numbers the
code before the refactor produced on the same inputs (frozen in ``_frozen_tangent.json`` by
``_frozen_cases.snapshot()`` run on commit e0b5046)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _frozen_cases import snapshot

FROZEN = json.loads((Path(__file__).parent / "_frozen_tangent.json").read_text())


@pytest.fixture(scope="module")
def now():
    return snapshot()


@pytest.mark.parametrize("case", sorted(FROZEN))
def test_numbers_unchanged_by_the_refactor(case, now):
    want, got = FROZEN[case], now[case]
    assert set(got) == set(want)
    for key, ref in want.items():
        if isinstance(ref, str):
            assert got[key] == ref, (case, key)
        elif isinstance(ref, list):
            assert len(got[key]) == len(ref)
            for a, b in zip(got[key], ref, strict=True):
                assert a == pytest.approx(b, abs=1e-12, rel=0, nan_ok=True), (case, key)
        else:
            assert got[key] == pytest.approx(ref, abs=1e-12, rel=0), (case, key)
