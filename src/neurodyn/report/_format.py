"""One number formatter for everything a person reads (report pages, the CLI's tables).

A number is shown to the digits its uncertainty supports: with a standard error or tolerance
``u``, rounded to the decimal place of ``u``'s leading digit (two digits when that digit is 1,
the usual convention for uncertainties); without one, to ``digits`` significant digits. A
value that rounds to zero at that precision is written ``0`` (never ``-0.0000``). ``max_digits``
caps the significant digits, e.g. at what the model's floating-point format carries
(:func:`dtype_digits`: 3 for float16 weights). The JSON files keep every digit; only what is
read is rounded.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["dtype_digits", "fmt", "fmt_pm", "fmt_vector"]

_SPECIAL = {"inf": "+∞", "-inf": "−∞", "nan": "NaN"}

#: Decimal digits a floating-point format carries (``torch.finfo(dtype).resolution``).
_DTYPE_DIGITS = {"float16": 3, "half": 3, "bfloat16": 2, "float32": 6, "float": 6,
                 "float64": 15, "double": 15}  # fmt: skip


def dtype_digits(dtype: Any) -> int | None:
    """The significant decimal digits numbers computed from weights of ``dtype`` can carry
    (``torch.finfo(dtype).resolution`` = 10⁻ᵈ: float16 3, bfloat16 2, float32 6, float64 15);
    None for a name that is not a floating-point format.

    Example:
        >>> import torch
        >>> dtype_digits(torch.float16), dtype_digits("bfloat16"), dtype_digits("float32")
        (3, 2, 6)
    """
    return _DTYPE_DIGITS.get(str(dtype).replace("torch.", ""))


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


def _valid(u: Any) -> bool:
    if u is None or isinstance(u, bool | str):
        return False
    u = float(u)
    return math.isfinite(u) and u > 0


def fmt(
    value: Any,
    uncertainty: float | None = None,
    *,
    digits: int = 4,
    sign: bool = False,
    max_digits: int | None = None,
) -> str:
    """``value`` for reading: rounded by ``uncertainty`` (a standard error, a tolerance) when
    given and positive, else to ``digits`` significant digits, and never to more than
    ``max_digits`` significant digits; a value that rounds to zero is ``0``; ±∞, NaN, None,
    bools and ints spelled out.

    Args:
        value: a number (or ``"inf"`` / ``"-inf"`` / ``"nan"`` as in neurodyn's JSON).
        uncertainty: the absolute uncertainty of ``value``; None, 0 or non-finite: use ``digits``.
        digits: significant digits without an uncertainty.
        sign: always show the sign (exponents).
        max_digits: at most this many significant digits (e.g. :func:`dtype_digits` of the
            model's weights), whatever ``uncertainty`` says; None: no cap.

    Example:
        >>> fmt(0.123456789), fmt(0.123456789, 0.003), fmt(-0.9053, 0.0012), fmt(float("-inf"))
        ('0.1235', '0.123', '-0.9053', '−∞')
        >>> fmt(12345.678), fmt(2.5e-9), fmt(0.5, sign=True)
        ('1.235e+04', '2.5e-09', '+0.5')
        >>> fmt(-0.0), fmt(-3e-17, 1e-3), fmt(-0.844274402, 1e-8, max_digits=3), fmt(1e-8, 1e-8)
        ('0', '0', '-0.844', '1.0e-08')
    """
    special = _special(value)
    if special is not None:
        return special
    v = float(value)
    plus = "+" if sign else ""
    if v == 0:
        return "0"
    lead = math.floor(math.log10(abs(v)))  # the power of ten of the leading digit
    if _valid(uncertainty):
        d: int | None = _decimals(float(uncertainty))
        sig = lead + 1 + d
    else:
        d, sig = None, digits
    if max_digits is not None and sig > max_digits:
        sig = max_digits
        if d is not None:
            d = max_digits - lead - 1
    if d is None:
        text = f"{v:{plus}.{max(sig, 1)}g}"
    elif round(v, d) == 0:
        return "0"
    elif d > 6 and abs(v) < 1e-4:  # 0.000000010 is hard to read: 1.0e-08
        text = f"{v:{plus}.{max(sig, 1) - 1}e}"
    elif d >= 0:
        text = f"{v:{plus}.{min(d, 15)}f}"
    else:
        text = f"{round(v, d):{plus}.0f}"
    return "0" if float(text) == 0 else text


def fmt_pm(value: Any, error: Any, *, sign: bool = False, max_digits: int | None = None) -> str:
    """``value ± error`` with both rounded by ``error`` (``value`` alone when there is none);
    with ``max_digits`` capping the value's digits, an error below the last digit shown is
    written with two significant digits."""
    if not _valid(error):
        return fmt(value, sign=sign, max_digits=max_digits)
    e = float(error)
    return f"{fmt(value, e, sign=sign, max_digits=max_digits)} ± {fmt(e, e)}"


def fmt_vector(
    values, tol: float | None = None, *, shown: int = 4, max_digits: int | None = None
) -> str:
    """A point ``(x₁, …)`` with each entry rounded by ``tol``; ``…`` after ``shown`` entries.
    Without ``tol``, an entry below 10⁻¹² of the largest is rounding noise and shown as 0.

    Example:
        >>> fmt_vector([-8.327e-17, -4.0]), fmt_vector([-1e-9, 2.5], 1e-3)
        ('(0, -4)', '(0, 2.5000)')
    """
    vals = [float(v) if not isinstance(v, str) else v for v in values]
    if tol is None:
        finite = [abs(v) for v in vals if isinstance(v, float) and math.isfinite(v)]
        scale = max(finite, default=0.0)
        vals = [0.0 if isinstance(v, float) and abs(v) < 1e-12 * scale else v for v in vals]
    body = ", ".join(fmt(v, tol, max_digits=max_digits) for v in vals[:shown])
    return f"({body}{', …' if len(vals) > shown else ''})"
