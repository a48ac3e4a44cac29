"""Results round-trip through JSON (``Cls.from_dict(json.loads(json.dumps(r.to_dict())))`` equals
``r``, NaN where NaN was, same dtypes), ``neurodyn.load_result`` picks the class from the
``"result_type"`` field, and every repr is a line or two (the issue: reprs printed the whole
history)."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
import torch

import neurodyn
from neurodyn._core import (
    RESULT_TYPES,
    Certificate,
    CertificateReport,
    tensor_from_json,
    tensor_to_json,
    to_jsonable,
)
from neurodyn.dynamics import (
    AttractorResult,
    AttractorsResult,
    BasinsResult,
    Box,
    FixedPointsResult,
    Trajectory,
    attractors,
    basins,
    classify_attractor,
    fixed_points,
    simulate,
)
from neurodyn.lyapunov import LyapunovResult, lyapunov_spectrum
from neurodyn.systems import Henon, LinearMap, as_map

F64 = torch.float64


def same(a, b, path="r") -> None:
    """Structural, NaN-aware equality with a message naming the first difference."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor), path
        assert a.dtype == b.dtype and a.shape == b.shape, (
            f"{path}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        )
        if a.is_floating_point() or a.is_complex():
            eq = (a == b) | (torch.isnan(a) & torch.isnan(b))
        else:
            eq = a == b
        assert bool(eq.all()), path
    elif dataclasses.is_dataclass(a):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def roundtrip(r):
    text = json.dumps(r.to_dict(), allow_nan=False)  # strict JSON: NaN written as "nan"
    back = type(r).from_dict(json.loads(text))
    via_loader = neurodyn.load_result(json.loads(text))
    return back, via_loader


def _tanh(dim=2):
    return as_map(lambda h: torch.tanh(2 * h), dim=dim, dtype=F64)


def _results():
    rnn = torch.nn.RNN(2, 3, batch_first=True).double()
    lyap = lyapunov_spectrum(rnn, torch.randn(3, 40, 2, dtype=F64), keep_history=True, t_on=4)
    lyap32 = lyapunov_spectrum(rnn.float(), torch.randn(2, 20, 2))
    nan_lyap = dataclasses.replace(
        lyap, stderr=torch.tensor([0.1, float("nan"), float("inf")], dtype=F64)
    )
    traj = simulate(
        LinearMap(2 * torch.eye(2, dtype=F64)), torch.randn(4, 2, dtype=F64), 30, bound=100.0
    )
    box = Box((-1.0, -1.0), (1.0, 1.0))
    return {
        "lyapunov": lyap,
        "lyapunov_float32": lyap32,
        "lyapunov_nan": nan_lyap,
        "fixed_points": fixed_points(Henon(), low=Box((-2.0, -1.0), (2.0, 1.0)), resolution=5),
        "trajectory": traj,
        "basins_grid": basins(_tanh(), box, resolution=6, steps=30, window=20),
        "basins_sampled": basins(_tanh(3), [(-1, 1)] * 3, samples=30, steps=30, window=20),
        "basins_slice": basins(
            _tanh(3), [(-1, 1)] * 3, resolution=4, steps=30, window=20, dims=(1, 2)
        ),
        "basins_targets": basins(
            _tanh(), box, resolution=5, steps=30, attractors=torch.zeros(1, 2, dtype=F64)
        ),
        "attractors": attractors(
            Henon(), box=Box((-0.5, -0.2), (0.5, 0.2)), samples=10, window=400
        ),
        "classify": classify_attractor(_tanh(), box, resolution=3, transient=30, window=20),
        "certificate_report": neurodyn.certify(
            torch.nn.Sequential(
                torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)
            ).double(),
            [(-1, 1), (-1, 1)],
        ),
    }


RESULTS = _results()


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_round_trip_through_json(name):
    r = RESULTS[name]
    back, loaded = roundtrip(r)
    if isinstance(r, CertificateReport):
        # evidence comes back in its JSON form (lists, "nan" strings): compare with that form
        r = CertificateReport(
            tuple(dataclasses.replace(c, evidence=to_jsonable(c.evidence)) for c in r),
            to_jsonable(r.domain),
        )
    same(r, back)
    same(r, loaded)
    assert back.to_dict() == loaded.to_dict()


def test_every_result_type_is_registered_and_named_in_to_dict():
    for cls in (
        LyapunovResult,
        FixedPointsResult,
        BasinsResult,
        AttractorsResult,
        AttractorResult,
        Trajectory,
        Certificate,
        CertificateReport,
    ):
        assert RESULT_TYPES[cls.__name__] is cls
    for r in RESULTS.values():
        assert r.to_dict()["result_type"] == type(r).__name__


def test_load_result_from_a_file_and_bad_inputs(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(RESULTS["trajectory"].to_dict()))
    same(RESULTS["trajectory"], neurodyn.load_result(path))
    same(RESULTS["trajectory"], neurodyn.load_result(str(path)))
    with pytest.raises(ValueError, match="'result_type' field"):
        neurodyn.load_result({"steps": 3})
    with pytest.raises(ValueError, match=r"unknown result type 'Nope'.*LyapunovResult"):
        neurodyn.load_result({"result_type": "Nope"})


@pytest.mark.parametrize(
    "t",
    [
        torch.tensor([1.0, float("nan"), float("-inf")], dtype=torch.float32),
        torch.tensor([[1 + 2j, float("nan")]], dtype=torch.complex128),
        torch.arange(6).reshape(2, 3, 1),
        torch.zeros(0, 4, dtype=F64),
        torch.tensor([True, False]),
    ],
    ids=["float32-nonfinite", "complex", "int-3d", "empty", "bool"],
)
def test_tensor_records_are_exact(t):
    back = tensor_from_json(json.loads(json.dumps(tensor_to_json(t), allow_nan=False)))
    same(t, back)


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_reprs_are_a_line_or_two(name):
    text = repr(RESULTS[name])
    assert text.count("\n") <= 1 and len(text) <= 240, text
    assert "tensor(" not in text


def test_lyapunov_repr_does_not_print_the_running_history():
    r = RESULTS["lyapunov"]
    assert r.running.shape[0] >= 10
    assert repr(r).startswith("LyapunovResult(exponents=[")
