"""JSON helpers shared by every result's ``to_dict`` and every report writer.

JSON has no NaN or infinity (``json.dumps(..., allow_nan=False)`` refuses them, and the bare
``NaN`` / ``-Infinity`` Python writes by default are not JSON). neurodyn writes them as the strings
``"nan"``, ``"inf"`` and ``"-inf"`` everywhere, and reads them back with :func:`from_json_float`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["dump_json", "from_json_float", "json_float", "to_jsonable"]


def json_float(x: float) -> float | str:
    """``x`` as a JSON value: finite floats unchanged, non-finite ones as "nan" / "inf" / "-inf"."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def from_json_float(v: float | str | None) -> float | None:
    """Inverse of :func:`json_float` (None stays None)."""
    if v is None:
        return None
    if isinstance(v, str):
        return float(v)  # float("nan"), float("inf"), float("-inf")
    return float(v)


def to_jsonable(obj: Any) -> Any:
    """A JSON-safe copy of nested dicts / lists / tuples of numbers and strings.

    Non-finite floats become strings (:func:`json_float`); tensors and NumPy arrays become
    (nested) lists; NumPy scalars become Python numbers; objects with ``to_dict()`` are
    converted through it; dict keys become strings.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str | int):
        return obj
    if isinstance(obj, float):
        return json_float(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    tolist = getattr(obj, "tolist", None)  # torch.Tensor, numpy arrays and scalars
    if callable(tolist):
        return to_jsonable(tolist())
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"to_jsonable: cannot convert {type(obj).__name__} to JSON.")


def dump_json(obj: Any, path: str | Path | None = None, *, indent: int = 2) -> str:
    """Strict JSON text of ``to_jsonable(obj)`` (never NaN / Infinity); also written to ``path``."""
    text = json.dumps(to_jsonable(obj), indent=indent, allow_nan=False)
    if path is not None:
        Path(path).write_text(text + "\n")
    return text
