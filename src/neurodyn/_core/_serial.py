"""Results back from JSON: tensors as tagged JSON values, a registry of result types and
:func:`load_result`.

Every result's ``to_dict()`` carries ``"result_type": "<ClassName>"`` (not ``"type"``, which
reports and user dicts use for their own purposes, e.g. a report block ``{"type": "certificate",
**cert.to_dict()}``); ``Cls.from_dict(d)`` rebuilds it, and :func:`load_result` picks the class
from that field, so

    ``load_result(json.loads(json.dumps(r.to_dict())))``

gives back a result equal to ``r`` (tensors equal, NaN where NaN was, same dtype). Tensors are
written by :func:`tensor_to_json` as ``{"dtype": "float32", "shape": [...], "data": [...]}``
(complex ones with ``"real"`` and ``"imag"``); non-finite entries as the strings "nan", "inf",
"-inf" (:mod:`neurodyn._core._json`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from neurodyn._core._json import from_json_float, to_jsonable

__all__ = [
    "RESULT_TYPES",
    "load_result",
    "register_result",
    "tensor_from_json",
    "tensor_to_json",
]

#: Result classes by the ``"result_type"`` name their ``to_dict`` writes (filled by
#: :func:`register_result` when the defining module is imported).
RESULT_TYPES: dict[str, type] = {}


def register_result(cls: type) -> type:
    """Class decorator: make ``cls`` loadable by :func:`load_result` under its class name."""
    RESULT_TYPES[cls.__name__] = cls
    return cls


def _decode(v):
    if isinstance(v, list):
        return [_decode(e) for e in v]
    return from_json_float(v)


def tensor_to_json(t: Tensor | None) -> dict | None:
    """A tensor as a JSON-ready dict that :func:`tensor_from_json` reads back exactly."""
    if t is None:
        return None
    t = t.detach().cpu()
    out: dict[str, Any] = {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape)}
    if t.is_complex():
        out["real"] = to_jsonable(t.real.tolist())
        out["imag"] = to_jsonable(t.imag.tolist())
    else:
        out["data"] = to_jsonable(t.tolist())
    return out


def tensor_from_json(d: dict | None) -> Tensor | None:
    """Inverse of :func:`tensor_to_json`.

    Raises:
        ValueError: ``d`` is not a tensor record (names the keys it has).
    """
    if d is None:
        return None
    if not isinstance(d, dict) or "dtype" not in d or "shape" not in d:
        raise ValueError(f"not a tensor record (dtype, shape, data): {str(d)[:80]}")
    dtype = getattr(torch, d["dtype"])
    shape = tuple(d["shape"])
    if "real" in d:
        real = torch.tensor(_decode(d["real"]), dtype=torch.float64)
        imag = torch.tensor(_decode(d["imag"]), dtype=torch.float64)
        return torch.complex(real, imag).to(dtype).reshape(shape)
    return torch.tensor(_decode(d["data"]), dtype=torch.float64).to(dtype).reshape(shape)


def load_result(source: str | Path | dict):
    """A result back from its ``to_dict()`` (a dict, or a path to a JSON file holding one).

    The class is chosen by the dict's ``"result_type"`` field among the registered result types
    (:data:`RESULT_TYPES`: ``LyapunovResult``, ``FixedPointsResult``, ``BasinsResult``,
    ``AttractorsResult``, ``Trajectory``, ``Certificate``, ``CertificateReport``, …).

    Raises:
        ValueError: no ``"result_type"`` field, or a type that is not registered (names the
            known ones).

    Example:
        >>> import json, torch, neurodyn
        >>> traj = neurodyn.simulate(torch.nn.Linear(2, 2).double(), torch.zeros(1, 2).double(), 3)
        >>> back = neurodyn.load_result(json.loads(json.dumps(traj.to_dict())))
        >>> torch.equal(back.states, traj.states)
        True
    """
    if isinstance(source, str | Path):
        source = json.loads(Path(source).read_text())
    if not isinstance(source, dict) or "result_type" not in source:
        raise ValueError(
            "load_result needs a result's to_dict() (a dict with a 'result_type' field) or a "
            "JSON file holding one."
        )
    name = source["result_type"]
    cls = RESULT_TYPES.get(name)
    if cls is None:
        raise ValueError(
            f"unknown result type {name!r}; known: {sorted(RESULT_TYPES)} (import the module "
            "that defines it first)."
        )
    return cls.from_dict(source)
