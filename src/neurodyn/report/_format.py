"""One number formatter for everything a person reads (report pages, the CLI's tables).

A number is shown to the digits its uncertainty supports: with a standard error or tolerance
``u``, rounded to the decimal place of ``u``'s leading digit (two digits when that digit is 1,
the usual convention for uncertainties); without one, to ``digits`` significant digits. The JSON
files keep every digit; only what is read is rounded.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt", "fmt_pm", "fmt_vector"]

_SPECIAL = {"inf": "+∞", "-inf": "−∞", "nan": "NaN"}


def _special(v: Any) -> str | None:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        return _SPECIAL.get(v, v)
    if isinstance(v, int):
        return str(v)
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+∞" if v > 0 else "−∞"
    return None


def _decimals(u: float) -> int:
    """Decimal places that keep one significant digit of ``u`` (two when it starts with 1)."""
    exp = math.floor(math.log10(u))
    lead = u / 10**exp
    return -exp + (1 if lead < 2 else 0)


def fmt(
    value: Any, uncertainty: float | None = None, *, digits: int = 4, sign: bool = False
) -> str:
    """``value`` for reading: rounded by ``uncertainty`` (a standard error, a tolerance) when
    given and positive, else to ``digits`` significant digits; ±∞, NaN, None, bools and ints
    spelled out.

    Args:
        value: a number (or ``"inf"`` / ``"-inf"`` / ``"nan"`` as in neurodyn's JSON).
        uncertainty: the absolute uncertainty of ``value``; None, 0 or non-finite: use ``digits``.
        digits: significant digits without an uncertainty.
        sign: always show the sign (exponents).

    Example:
        >>> fmt(0.123456789), fmt(0.123456789, 0.003), fmt(-0.9053, 0.0012), fmt(float("-inf"))
        ('0.1235', '0.123', '-0.9053', '−∞')
        >>> fmt(12345.678), fmt(2.5e-9), fmt(0.5, sign=True)
        ('1.235e+04', '2.5e-09', '+0.5')
    """
    special = _special(value)
    if special is not None:
        return special
    v = float(value)
    plus = "+" if sign else ""
    if uncertainty is not None and math.isfinite(float(uncertainty)) and float(uncertainty) > 0:
        d = _decimals(float(uncertainty))
        if d >= 0:
            return f"{v:{plus}.{min(d, 15)}f}"
        return f"{round(v, d):{plus}.0f}"
    return f"{v:{plus}.{digits}g}"


def fmt_pm(value: Any, error: Any, *, sign: bool = False) -> str:
    """``value ± error`` with both rounded by ``error`` (``value`` alone when there is none)."""
    special = _special(error)
    if special is not None and not isinstance(error, int):
        return fmt(value, sign=sign)
    e = float(error)
    if not math.isfinite(e) or e <= 0:
        return fmt(value, sign=sign)
    return f"{fmt(value, e, sign=sign)} ± {fmt(e, e)}"


def fmt_vector(values, tol: float | None = None, *, shown: int = 4) -> str:
    """A point ``(x₁, …)`` with each entry rounded by ``tol``; ``…`` after ``shown`` entries."""
    vals = list(values)
    body = ", ".join(fmt(v, tol) for v in vals[:shown])
    return f"({body}{', …' if len(vals) > shown else ''})"
