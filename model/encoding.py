"""Parameter values as the engine's numbers, and back (docs/methodology.md §1).

Months become indices from the horizon start (``never``/``null`` → ``+inf`` where
allowed), yes/no becomes 1/0, a choice 1 for :data:`CHOICE_ONE` and 0 otherwise.
The engine's inputs, Monte Carlo draws and tornado ranges all encode through here.
"""

from __future__ import annotations

import math
from typing import Any

from .calendar import month_index, month_label
from .schema import NEVER, ParamInfo, is_month

#: The value of a choice parameter that is encoded as 1 (the other is 0).
CHOICE_ONE = {
    "mechanism": "import_tariff",
    "quota_basis": "cumulative",
    "production_rule": "build_to_order",
}
MONTH_KINDS = ("month", "month_or_never", "month_or_null")
DISCRETE_ONLY = ("bool", "choice")
#: Optional numbers whose null means "no limit".
NULL_IS_INFINITE = ("licence_cap_units",)


def encode(info: ParamInfo, value: Any, start: str) -> float | str:
    """The engine's number for a parameter value, or the rule it breaks.

    Months become indices from ``start`` (``never``/``null`` → ``+inf`` where allowed),
    yes/no becomes 1/0, a choice 1 for :data:`CHOICE_ONE` and 0 otherwise.
    """
    if info.kind in MONTH_KINDS:
        return _encode_month(info, value, start)
    if info.kind == "bool":
        return float(value) if isinstance(value, bool) else "must be true or false"
    if info.kind == "choice":
        if value not in info.choices:
            return f"must be one of {', '.join(info.choices)}"
        return 1.0 if value == CHOICE_ONE.get(info.key) else 0.0
    if value is None:
        return math.inf if info.key in NULL_IS_INFINITE else "must be a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "must be a number"
    if info.kind == "integer" and float(value) != int(value):
        return "must be a whole number"
    if not in_range(float(value), info):
        return f"must be within {info.range_text()}"
    return float(value)


def _encode_month(info: ParamInfo, value: Any, start: str) -> float | str:
    never_ok = info.kind in ("month_or_never", "month_or_null")
    if value is None or value == NEVER:
        return math.inf if never_ok else "must be a month written YYYY-MM"
    if is_month(value):
        return month_index(value, start)
    return "must be a month written YYYY-MM" + (" or the word 'never'" if never_ok else "")


def in_range(x: float, info: ParamInfo) -> bool:
    """Whether ``x`` lies in the parameter's declared range (open or closed ends)."""
    if info.low is not None and (x < info.low or (info.low_open and x <= info.low)):
        return False
    return not (info.high is not None and (x > info.high or (info.high_open and x >= info.high)))


def decode(info: ParamInfo, x: float, start: str) -> str:
    """A readable value: ``2026-05`` for months, ``never``, ``yes``/``no``, or the number."""
    if info.kind in MONTH_KINDS:
        return NEVER if not math.isfinite(x) else month_label(round(x), start)
    if info.kind == "bool":
        return "yes" if x > 0.5 else "no"
    if info.kind == "choice":
        one = CHOICE_ONE.get(info.key, "")
        other = next((c for c in info.choices if c != one), "")
        return one if x > 0.5 else other
    return "none" if not math.isfinite(x) else f"{x:g}"
