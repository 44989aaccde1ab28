"""Month indices and calendars (docs/methodology.md §1)."""

from __future__ import annotations

import math
import re

from .schema import MONTH_RE, NEVER

FISCAL_QUARTER_RE = re.compile(r"^FY(\d{4})-Q([1-4])$")


def parse_month(text: str) -> tuple[int, int]:
    """``"2026-03"`` -> ``(2026, 3)``."""
    m = MONTH_RE.match(text)
    if not m:
        raise ValueError(f"not a YYYY-MM month: {text!r}")
    return int(m.group(1)), int(m.group(2))


def month_index(text: str | None, start: str) -> float:
    """``idx(m) = 12*(year - y0) + (month - m0)``; ``never``/``None`` map to +infinity.

    Indices before 0 are allowed: the event happened before the horizon starts.
    """
    if text is None or text == NEVER:
        return math.inf
    y, m = parse_month(text)
    y0, m0 = parse_month(start)
    return float(12 * (y - y0) + (m - m0))


def month_label(index: int, start: str) -> str:
    """The ``YYYY-MM`` label of month ``index`` counted from ``start``."""
    y0, m0 = parse_month(start)
    total = y0 * 12 + (m0 - 1) + index
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def month_labels(start: str, months: int) -> list[str]:
    return [month_label(i, start) for i in range(months)]


def calendar_quarter(label: str) -> str:
    """``"2026-05"`` -> ``"2026-Q2"``."""
    y, m = parse_month(label)
    return f"{y}-Q{(m - 1) // 3 + 1}"


def calendar_year(label: str) -> str:
    return label[:4]


def fiscal_year(label: str, fiscal_year_end_month: int) -> str:
    """Fiscal year named after the calendar year in which it ends.

    With a January year end (Nvidia), February 2026 … January 2027 is FY2027.
    """
    y, m = parse_month(label)
    return f"FY{y + 1 if m > fiscal_year_end_month else y}"


def fiscal_quarter(label: str, fiscal_year_end_month: int) -> str:
    """``"FY2027-Q1"`` for February 2026 with a January year end (FQ1 = Feb–Apr)."""
    _, m = parse_month(label)
    q = ((m - fiscal_year_end_month - 1) % 12) // 3 + 1
    return f"{fiscal_year(label, fiscal_year_end_month)}-Q{q}"


def fiscal_quarter_ordinal(label: str) -> int:
    """``FY2027-Q1`` -> ``4*2027 + 0``: consecutive fiscal quarters differ by one."""
    m = FISCAL_QUARTER_RE.match(label)
    if not m:
        raise ValueError(f"not a fiscal quarter FYyyyy-Qn: {label!r}")
    return 4 * int(m.group(1)) + int(m.group(2)) - 1


def fiscal_quarter_label(ordinal: int) -> str:
    """Inverse of :func:`fiscal_quarter_ordinal`."""
    return f"FY{ordinal // 4}-Q{ordinal % 4 + 1}"
