"""China's allowance batches (``products.<id>.china_allocations``) as a table and as link
text.

In a link, a product's batches are written compactly, month and units per batch:
``2026-06:20000,2026-12:20000``; ``unlimited`` is null (China limits no volume once
it approves) and ``none`` is the empty list (nothing may ship). A YAML list
(``[{month: 2026-06, units: 20000}]``) is read too. The schema checks the values.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import pandas as pd

from model.gate import InputError, parse_yaml_text
from model.schema import Product, format_text, is_month

FIELD = "china_allocations"  # the product field these batches fill
UNLIMITED, NOTHING = "unlimited", "none"
Batches = list[dict[str, Any]] | None
COLUMNS = ["month", "units", "source"]


def batches_of(product: Product) -> Batches:
    """A product's allowance batches as plain data (None where China limits no volume)."""
    if product.china_allocations is None:
        return None
    return [{"month": b.month, "units": b.units} for b in product.china_allocations]


def encode(batches: Batches) -> str:
    """Batches as link text that :func:`decode` reads back."""
    if batches is None:
        return UNLIMITED
    if not batches:
        return NOTHING
    return ",".join(f"{b['month']}:{format_text(float(b['units']))}" for b in batches)


def _batch(part: str) -> dict[str, Any]:
    """One ``month:units`` batch of link text."""
    month, sep, units = part.strip().partition(":")
    if not sep or not is_month(month.strip()):
        raise ValueError(f"{part.strip()[:30]!r} is not month:units (for example 2026-06:20000)")
    try:
        number = float(units)
    except ValueError:
        raise ValueError(f"{units.strip()[:30]!r} is not a number of units") from None
    if not math.isfinite(number):
        raise ValueError("units must be a finite number")
    return {"month": month.strip(), "units": number}


def decode(text: str) -> Batches:
    """Link text as batches (ValueError says why not); the schema checks the values."""
    t = text.strip()
    if t.lower() in (UNLIMITED, "null"):
        return None
    if t.lower() in (NOTHING, "[]", ""):
        return []
    if t.startswith("["):
        try:
            value = parse_yaml_text(t, "link")
        except InputError as exc:
            raise ValueError(exc.problems[0].rule) from None
        if not isinstance(value, list):
            raise ValueError("must be a list of {month, units}")
        return value
    return [_batch(part) for part in t.split(",")]


def same_batches(x: Batches, y: Batches) -> bool:
    """Whether two lists of batches allow the same imports (same months and units)."""
    if x is None or y is None:
        return x is None and y is None
    pairs = [(str(b.get("month")), b.get("units")) for b in x]
    others = [(str(b.get("month")), b.get("units")) for b in y]
    return len(pairs) == len(others) and all(
        m == n and isinstance(u, (int, float)) and isinstance(v, (int, float)) and u == v
        for (m, u), (n, v) in zip(pairs, others, strict=True)
    )


def frame(batches: Batches, sources: list[str]) -> pd.DataFrame:
    """The table a person edits: one row per batch, with the source of each (remembered:
    the sidebar draws the same tables on every run; callers do not change it)."""
    rows = tuple(
        (str(b.get("month", "")), float(b.get("units", 0)), sources[i] if i < len(sources) else "")
        for i, b in enumerate(batches or [])
    )
    return _frame(rows)


@lru_cache(maxsize=256)
def _frame(rows: tuple[tuple[str, float, str], ...]) -> pd.DataFrame:
    """The editable table of these rows (month, units, source)."""
    table = pd.DataFrame(list(rows), columns=COLUMNS)
    return table.astype({"month": "string", "units": "float"})


def _blank(v: Any) -> bool:
    """Whether a table cell was left empty."""
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or v == ""


def from_frame(edited: pd.DataFrame) -> list[dict[str, Any]]:
    """The edited table as batches; rows left wholly empty are dropped, a half-filled row
    is kept so that the schema names what is missing."""
    out = []
    for month, units in zip(edited["month"], edited["units"], strict=True):
        if _blank(month) and _blank(units):
            continue
        out.append(
            {
                "month": None if _blank(month) else str(month).strip(),
                "units": None if _blank(units) else float(units),
            }
        )
    return out
