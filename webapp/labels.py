"""Words for people: the name, unit, range and value of every parameter the app shows,
read from the schema's own metadata (description, unit, quantity, range) and the
sidebar's lever names, so a table or a chart never shows ``products.*.asp_change_per_year``
or ``revenue_share`` where ``All chips: price change per year`` or ``Revenue share``
is meant. Pure functions, tested without Streamlit.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from model.dotted import ALL_PRODUCTS, DottedPath, parse_path
from model.schema import NEVER, Assumptions, ParamInfo, param_info

from . import allowances, fmt
from .levers import CHOICE_TEXT, GROUPS, INHERITS, PRODUCT, PRODUCT_LEVERS, VENDOR, VENDOR_LEVERS

#: Names of the parameters no lever edits (the levers' own names come from the sidebar).
NAMES = {
    "discount_rate": "Discount rate",
    "horizon.start": "First month",
    "horizon.months": "Months projected",
    "horizon.fiscal_year_end_month": "Fiscal year ends (default)",
    "horizon.as_of": "Date of the latest facts",
    "demand.reference_start": "Demand begins",
    PRODUCT + "name": "Name",
    PRODUCT + "vendor": "Vendor",
    PRODUCT + "quota_applies": "US quota applies",
    PRODUCT + allowances.FIELD: "China's allowance batches",
}
#: The pace of China's future batches (a risk file's paths), by component.
PACE_NAMES = {
    "units_per_buyer": "units per buyer",
    "buyers": "buyers per batch",
    "months_between": "months between batches",
    "next_batch": "next batch",
    "stops": "batches stop",
}
#: How the null value of a parameter reads, where it means more than "none".
NULL_WORDS = {
    "policy.levy_ends": "never ends",
    "timeline.licence_ends": "never ends",
    "horizon.as_of": "none",
    PRODUCT + "us_approval": INHERITS,
    PRODUCT + "china_approval": INHERITS,
    PRODUCT + "licence_ends": INHERITS,
    PRODUCT + "share_rate": "the policy rate",
    PRODUCT + "licence_cap_units": "no cap",
    PRODUCT + "tpp": "not reported",
    PRODUCT + "dram_bandwidth_gbps": "not reported",
    PRODUCT + allowances.FIELD: "unlimited",
    VENDOR + "fiscal_year_end_month": "the horizon's",
    VENDOR + "tax_rate": "none (no EPS)",
    VENDOR + "diluted_shares": "none (no EPS)",
}
UNIT_WORDS = (
    ("fraction of ASP", "% of price"),
    ("fraction", "%"),
    ("USD/unit", "$ per unit"),
    ("USD", "$"),
    ("/year", " a year"),
    ("/month", " a month"),
    ("YYYY-MM, never or null", "month"),
    ("YYYY-MM or never", "month"),
    ("YYYY-MM or null", "month"),
    ("YYYY-MM", "month"),
    ("month number", "month"),
    ("yes/no", ""),
    ("choice", ""),
    ("text", ""),
)


def _short(label: str) -> str:
    """A lever's label without its parenthesis (``Price ($/unit)`` -> ``Price``)."""
    return label.split(" (")[0]


@lru_cache(maxsize=1)
def _lever_names() -> dict[str, str]:
    """Short names by generic path (``products.*.asp_usd``): the sidebar's words."""
    names = {lv.key: _short(lv.label) for levers in GROUPS.values() for lv in levers}
    names |= {lv.key: _short(lv.label) for lv in (*PRODUCT_LEVERS, *VENDOR_LEVERS)}
    return names | NAMES


def generic(path: DottedPath) -> str:
    """The path with its product or vendor as ``*`` (``products.*.asp_usd``)."""
    if path.scope in ("product", "bom", "actual", "pace"):
        return PRODUCT + path.key
    if path.scope == "vendor":
        return VENDOR + path.key
    return path.text


def _product_name(pid: str, a: Assumptions | None) -> str:
    """A product's name (its id where unknown), ``All chips`` for ``*``."""
    if pid == ALL_PRODUCTS:
        return "All chips"
    found = next((p for p in a.products if p.id == pid), None) if a is not None else None
    return found.name if found is not None else pid


PROPER = ("China", "China's", "US")  # words that keep their capital after an owner's name


def _lower(text: str) -> str:
    """``Price`` -> ``price``; ``China approval``, ``TPP`` and ``US shipments`` stay."""
    first = text.split(" ")[0]
    return text if first in PROPER or text[:2].isupper() else text[:1].lower() + text[1:]


def param_label(path: str, a: Assumptions | None = None) -> str:
    """A parameter's name for people: ``US levy rate``, ``Nvidia H200: price``,
    ``All chips: price change per year``, ``AMD: tax rate``, ``Nvidia H200 batches:
    buyers per batch``; the path itself when it addresses nothing known."""
    parsed = parse_path(path)
    if isinstance(parsed, str):
        return path
    if parsed.scope == "pace":
        owner = _product_name(parsed.product or "", a)
        return f"{owner} batches: {PACE_NAMES.get(parsed.sub or '', parsed.sub or '')}"
    if parsed.scope == "bom":
        return f"{_product_name(parsed.product or '', a)}: supplier {parsed.sub} revenue per chip"
    if parsed.scope == "actual":
        owner = _product_name(parsed.product or "", a)
        return f"{owner}: reported China shipments, {fmt.month(parsed.sub)}"
    name = _lever_names().get(generic(parsed))
    if name is None:
        info = info_of(path)
        name = info.description.rstrip(".") if info is not None else path
    if parsed.scope == "product":
        return f"{_product_name(parsed.product or '', a)}: {_lower(name)}"
    if parsed.scope == "vendor":
        return f"{parsed.vendor}: {_lower(name)}"
    return name


def info_of(path: str) -> ParamInfo | None:
    """A path's metadata: the schema's, or a risk file's batch pace."""
    found = param_info(path)
    if found is not None:
        return found
    parsed = parse_path(path)
    if not isinstance(parsed, str) and parsed.scope == "pace":
        from model.risk.pace import COMPONENTS  # only a risk file names these

        return COMPONENTS.get(parsed.sub or "")
    return None


def unit_text(info: ParamInfo | None) -> str:
    """A unit as people read it: ``%``, ``% a year``, ``$ per unit``, ``units a month``."""
    if info is None:
        return ""
    text = info.unit
    for raw, words in UNIT_WORDS:
        text = text.replace(raw, words)
    return text.strip()


def _bound(v: float, info: ParamInfo) -> str:
    """One end of a range in the value's own terms (a share as a percentage)."""
    return f"{v * 100:g} %" if info.quantity == "share" else f"{v:,g}"


def range_text(info: ParamInfo | None) -> str:
    """A valid range for people: ``0 % to 100 %``, ``at least 0``, ``1 to 240``."""
    if info is None:
        return ""
    if info.kind == "choice":
        return ", ".join(choice_text(c) for c in info.choices)
    if info.kind in ("bool", "text") or info.kind.startswith("month"):
        return {"bool": "yes or no", "text": "text"}.get(info.kind, "a month")
    lo, hi = info.low, info.high
    if lo is not None and hi is not None:
        text = f"{_bound(lo, info)} to {_bound(hi, info)}"
        text = ("above " if info.low_open else "") + text + (" (excl.)" if info.high_open else "")
    elif lo is not None:
        text = f"{'above' if info.low_open else 'at least'} {_bound(lo, info)}"
    elif hi is not None:
        text = f"{'below' if info.high_open else 'at most'} {_bound(hi, info)}"
    else:
        text = "any number"
    return text + ("; or none" if info.optional else "")


def choice_text(value: str) -> str:
    """A choice in words, capitalised: ``revenue_share`` -> ``Revenue share``."""
    words = CHOICE_TEXT.get(value, value.replace("_", " "))
    return words[:1].upper() + words[1:]


def null_text(path: str) -> str:
    """What an empty value means for this parameter (``never ends``, ``no cap``…)."""
    parsed = parse_path(path)
    if isinstance(parsed, str):
        return "none"
    return NULL_WORDS.get(generic(parsed), "none")


def _number_text(info: ParamInfo, v: float) -> str:
    """A number in its quantity's terms, exactly enough for a table."""
    unit = unit_text(info)
    if info.quantity == "share":
        return fmt.pct(v, 2)
    if info.quantity == "money":
        return fmt.exact_money(v) if abs(v) >= 100 or float(v).is_integer() else f"$ {v:,.2f}"
    if info.unit == "month number" and float(v).is_integer() and 1 <= v <= 12:
        return calendar.month_name[int(v)]
    if info.quantity == "months":
        return fmt.months(v)
    if info.quantity == "count":
        return f"{v:,.0f} {unit}".strip() if float(v).is_integer() else f"{v:,.2f} {unit}".strip()
    return f"{v:,.6g}"


def value_text(path: str, value: Any) -> str:
    """A parameter's value as a table shows it: ``25 %``, ``$27,000``, ``Mar 2028``,
    ``Revenue share``, ``never ends``, ``20,000 units a month``, ``yes``."""
    if path.endswith("." + allowances.FIELD):
        return null_text(path) if value is None else allowances.encode(value)
    if value is None:
        return null_text(path)
    info = info_of(path)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and info is not None and math.isfinite(value):
        return _number_text(info, float(value))
    if isinstance(value, str):
        if value == NEVER:
            return "never"
        if info is not None and info.kind == "choice":
            return choice_text(value)
        return fmt.month(value)
    if isinstance(value, Mapping):
        return f"{len(value)} items"
    return str(value)
