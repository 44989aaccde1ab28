"""One text format per quantity on the command line.

Money is in $ billions with two decimals, earnings per share in $ per share with three,
shares and probabilities in per cent with one, months as ``Mar 2026``, units with
thousands separators. Every table and line of every command formats through these
functions, so the same quantity never reads two ways (``0.02`` beside ``0.0477526``).

Pure Python: nothing here imports pandas or numpy, so ``--help`` stays fast.
"""

from __future__ import annotations

import math
from typing import Any

#: A value that does not exist (no delay to divide by, a vendor without shares…).
MISSING = "n/a"
#: The all-products delay when the products' own delays differ.
VARIES = "varies"
NEVER = "never"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Beyond a trillion billions a figure is written in scientific notation, never as a
#: thirty-digit number that no table can hold.
_HUGE = 1e12


def _number(v: Any) -> float | None:
    """``v`` as a finite-or-infinite float, or None when it is missing (None or NaN)."""
    if v is None:
        return None
    x = float(v)
    return None if math.isnan(x) else x


def _fixed(x: float, decimals: int) -> str:
    """``x`` with ``decimals`` decimals and thousands separators; never ``-0.00``."""
    if not math.isfinite(x):
        return MISSING
    if abs(x) >= _HUGE:
        return f"{x:.{decimals}e}"
    text = f"{x:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def money(v: Any) -> str:
    """Dollars as $ billions with two decimals: ``5.26e9`` -> ``"5.26"``; ``n/a`` when
    missing."""
    x = _number(v)
    return MISSING if x is None else _fixed(x / 1e9, 2)


def eps(v: Any) -> str:
    """Earnings per share in $ per share with three decimals: ``0.0874`` -> ``"0.087"``."""
    x = _number(v)
    return MISSING if x is None else _fixed(x, 3)


def share(v: Any) -> str:
    """A fraction in per cent with one decimal: ``0.0477`` -> ``"4.8%"``."""
    x = _number(v)
    return MISSING if x is None else _fixed(100 * x, 1) + "%"


def points(v: Any) -> str:
    """A shift of a fraction in percentage points, signed: ``0.0226`` -> ``"+2.3 pp"``."""
    x = _number(v)
    if x is None:
        return MISSING
    text = _fixed(100 * x, 1)
    return f"{text if text.startswith('-') else '+' + text} pp"


def factor(v: Any) -> str:
    """A multiplier with two decimals: ``0.687`` -> ``"×0.69"``."""
    x = _number(v)
    return MISSING if x is None else "×" + _fixed(x, 2)


def units(v: Any) -> str:
    """A count with thousands separators: ``924084.4`` -> ``"924,084"``."""
    x = _number(v)
    return MISSING if x is None else _fixed(x, 0)


def month(text: str | None) -> str:
    """``"2026-03"`` -> ``"Mar 2026"``; ``never`` (or None) -> ``"never"``."""
    if text is None or text == NEVER:
        return NEVER
    year, _, mon = str(text).partition("-")
    if not (year.isdigit() and mon.isdigit() and 1 <= int(mon) <= 12):
        return str(text)
    return f"{MONTH_NAMES[int(mon) - 1]} {year}"


def months(v: Any) -> str:
    """A number of months: ``3`` -> ``"3"``; infinite -> ``"never"``; missing -> ``n/a``."""
    x = _number(v)
    if x is None:
        return MISSING
    return NEVER if math.isinf(x) else _fixed(x, 0)


def p_value(v: Any) -> str:
    """A p-value with three decimals; ``<0.001`` below."""
    x = _number(v)
    if x is None:
        return MISSING
    return "<0.001" if x < 0.0005 else _fixed(x, 3)


def coefficient(v: Any) -> str:
    """A standardised coefficient, signed, with three decimals."""
    x = _number(v)
    if x is None:
        return MISSING
    text = _fixed(x, 3)
    return text if text.startswith("-") else "+" + text


def decimal(v: Any) -> str:
    """A plain number with two decimals: ``1.0`` -> ``"1.00"``."""
    x = _number(v)
    return MISSING if x is None else _fixed(x, 2)


def dollars(v: Any) -> str:
    """A per-unit amount in whole dollars: ``27000`` -> ``"$27,000"``."""
    x = _number(v)
    if x is None:
        return MISSING
    text = _fixed(x, 0)
    return "-$" + text[1:] if text.startswith("-") else "$" + text


#: An input's value in the format of its quantity (the schema's ``quantity``).
BY_QUANTITY = {"share": share, "money": dollars, "count": units, "months": months}


def quantity(v: float, kind: str) -> str:
    """``v`` formatted as a value of the schema quantity ``kind`` (share, money, count,
    months; any other number with two decimals)."""
    return BY_QUANTITY.get(kind, decimal)(v)


def shift(v: float, kind: str) -> str:
    """A shift of an input of quantity ``kind``, signed: ``+2.3 pp``, ``-$1,000``."""
    if kind == "share":
        return points(v)
    text = quantity(v, kind)
    return text if text.startswith("-") else "+" + text
