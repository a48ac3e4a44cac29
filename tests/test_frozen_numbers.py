"""The TangentMap / FlowMap refactor keeps every number: spectra, CLVs and the attractor
classifier's λ₁ on the reference systems and an LSTM equal, to 1e-12 in float64, the numbers the
code before the refactor produced on the same inputs (frozen in ``_frozen_tangent.json`` by
``_frozen_cases.snapshot()`` run on commit e0b5046).

Tolerance: 1e-12 absolute, except where the numbers are ill-conditioned by construction. The
snapshot was taken on one CPU; another CPU's BLAS kernels (or another thread count) sum in
another order. The LSTM spectrum factorises products of t_on = 4 Jacobians whose exponents
spread over λ₁ − λ₁₂ ≈ 5.75 nats/step, a condition number κ = e^{4·5.75} ≈ 1e10, so its trailing
exponents carry errors of order eps·κ ≈ 2e-6 per QR step (2.7e-5 moved between two machines
and thread counts): that case is compared to 100·eps·κ ≈ 5e-4 absolute. A real change of the
algorithm (a step count for a time, a dropped warm-up, another QR interval) moves its exponents
by 1e-2 or more."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _frozen_cases import snapshot

ATOL = {"spectrum/lstm": 5e-4}  # see the module docstring; others 1e-12
FROZEN = json.loads((Path(__file__).parent / "_frozen_tangent.json").read_text())


@pytest.fixture(scope="module")
def now():
    return snapshot()


@pytest.mark.parametrize("case", sorted(FROZEN))
def test_numbers_unchanged_by_the_refactor(case, now):
    want, got = FROZEN[case], now[case]
    tol = ATOL.get(case, 1e-12)
    assert set(got) == set(want)
    for key, ref in want.items():
        if isinstance(ref, str):
            assert got[key] == ref, (case, key)
        elif isinstance(ref, list):
            assert len(got[key]) == len(ref)
            for a, b in zip(got[key], ref, strict=True):
                assert a == pytest.approx(b, abs=tol, rel=0, nan_ok=True), (case, key)
        else:
            assert got[key] == pytest.approx(ref, abs=tol, rel=0), (case, key)
