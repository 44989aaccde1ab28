"""Numbers and dates for people: ``$ 12.3 B``, ``25 %``, ``1.2 M units``, ``Mar 2028``.

Three significant digits with a B/M/k suffix; deltas carry an explicit sign so
that ``st.metric`` colours them (it reads a leading ``-`` as a fall).
"""

from __future__ import annotations

import math
import re

MISSING = "n/a"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _sig3(v: float) -> str:
    """``v`` (non-negative, below 999.5) to three significant digits: 1.23, 12.3, 123."""
    r = float(f"{v:.3g}")
    if r == 0:
        return "0"
    return f"{r:.{max(0, 2 - math.floor(math.log10(r)))}f}"


def compact(v: float) -> str:
    """``1234567`` -> ``"1.23 M"``; magnitudes below 1000 keep three significant digits."""
    if v is None or not math.isfinite(v):
        return MISSING
    a = abs(v)
    if a < 0.995:  # below one: two decimals at most, and no "-0"
        text = f"{a:.2f}".rstrip("0").rstrip(".")
        return "0" if text == "0" else ("-" if v < 0 else "") + text
    sign = "-" if v < 0 else ""
    if a >= 999.5e12:  # beyond trillions: scientific, never a 300-digit figure
        mantissa, exponent = f"{a:.2e}".split("e")
        return f"{sign}{mantissa}e{int(exponent)}"
    for factor, suffix in _SCALES:
        if a >= factor * 0.9995:
            return f"{sign}{_sig3(a / factor)} {suffix}"
    return f"{sign}{_sig3(a)}"


def money(v: float | None) -> str:
    """``12.3e9`` -> ``"$ 12.3 B"``; ``-4e6`` -> ``"-$ 4.00 M"``."""
    if v is None or not math.isfinite(v):
        return MISSING
    text = compact(v)
    return f"-$ {text[1:]}" if text.startswith("-") else f"$ {text}"


def units(v: float | None) -> str:
    """``1.2e6`` -> ``"1.20 M units"``."""
    if v is None or not math.isfinite(v):
        return MISSING
    return f"{compact(v)} units"


def pct(v: float | None, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.25`` -> ``"25 %"``, ``0.125`` -> ``"12.5 %"``."""
    if v is None or not math.isfinite(v):
        return MISSING
    text = f"{v * 100:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{v * 100:.0f}"
    return f"{'0' if text in ('-0', '') else text} %"


def signed(text: str, v: float) -> str:
    """Prefix ``+`` to a formatted positive delta (negatives already carry ``-``)."""
    return text if text.startswith("-") or is_zero(v) else f"+{text}"


def is_zero(v: float, scale: float = 1.0) -> bool:
    """Whether a delta is nothing worth showing (below a millionth of ``scale``)."""
    return abs(v) <= 1e-6 * max(1.0, abs(scale))


def exact_money(v: float | None) -> str:
    """The full figure to the dollar, for hover texts: ``"$4,117,234,567"``; beyond a
    quadrillion, scientific."""
    if v is None or not math.isfinite(v):
        return MISSING
    if abs(v) >= 1e15:
        return f"-${abs(v):.6e}" if v < 0 else f"${v:.6e}"
    return f"-${abs(v):,.0f}" if v < 0 else f"${v:,.0f}"


def months(v: float) -> str:
    """A delay in months: ``6`` -> ``"6 months"``, ``inf`` -> ``"never"``, NaN (the
    chips' delays differ) -> ``"differs by chip"``."""
    if math.isnan(v):
        return "differs by chip"
    if math.isinf(v):
        return "never"
    return f"{v:g} month" + ("" if v == 1 else "s")


def escape_md(text: str) -> str:
    """Text shown verbatim in Streamlit Markdown (no emphasis, links or LaTeX)."""
    return re.sub(r"([\\`*_{}\[\]<>#|~$])", r"\\\1", text)


def month(text: str | None) -> str:
    """A month for people: ``2028-03`` -> ``Mar 2028``; any other text is kept as it is
    (``never``, a quarter such as ``2026-Q1``)."""
    if text is None:
        return MISSING
    found = _MONTH.match(str(text))
    if not found:
        return str(text)
    return f"{MONTH_NAMES[int(found.group(2)) - 1]} {found.group(1)}"


def p_value(p: float | None) -> str:
    """A p-value as people read it: ``< 0.001``, ``0.012``, ``0.54``."""
    if p is None or not math.isfinite(p):
        return MISSING
    if p < 0.001:
        return "< 0.001"
    return f"{p:.2g}" if p >= 0.01 else f"{p:.3f}"
