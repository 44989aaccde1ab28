"""Which parameters the sidebar edits, and how each widget shows them.

Descriptions, units and valid ranges come from the schema (:func:`param_info`);
this table adds only presentation: a short label, the widget, the display scale
(100 for percentages), the step and any presets (whose help is the source of
the shipped file that uses the value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from model.calendar import month_label, parse_month
from model.schema import NEVER, Assumptions, ParamInfo, param_info

PRODUCT = "products.*."


@dataclass(frozen=True)
class Preset:
    label: str
    value: Any  # model units
    source_from: str  # reference id whose source for this path explains the value


@dataclass(frozen=True)
class Lever:
    key: str  # dotted path; product levers start with ``products.*.``
    label: str
    widget: str  # slider | number | select | months | toggle
    scale: float = 1.0
    step: float | None = None
    fmt: str | None = None
    ui_high: float | None = None  # a narrower widget range than the schema's (model units)
    presets: tuple[Preset, ...] = ()
    never_text: str = "never"

    def path(self, pid: str = "") -> str:
        return self.key.replace("*", pid) if pid else self.key


GROUPS: dict[str, tuple[Lever, ...]] = {
    "Policy": (
        Lever(
            "policy.share_rate",
            "US levy rate (%)",
            "slider",
            100,
            0.5,
            "%.1f %%",
            ui_high=0.5,
            presets=(Preset("15 %", 0.15, "regime_15pct"), Preset("25 %", 0.25, "base")),
        ),
        Lever("policy.mechanism", "Levy mechanism", "select"),
        Lever(
            "policy.customs_value_ratio",
            "Customs value (% of price)",
            "slider",
            100,
            5.0,
            "%.0f %%",
        ),
        Lever("policy.levy_ends", "Levy ends", "months", never_text="never ends"),
        Lever(
            "policy.us_min_share",
            "US minimum share of shipments",
            "number",
            1.0,
            0.01,
            "%.4f",
            presets=(Preset("½ (seed)", 0.5, "seed_quota"), Preset("⅔ (rule)", 2 / 3, "base")),
        ),
        Lever("policy.quota_basis", "Quota basis", "select"),
        Lever("policy.china_import_tariff", "China import tariff (%)", "number", 100, 5.0, "%.1f"),
        Lever("policy.test_fee_usd_per_unit", "Test fee ($/unit)", "number", 1.0, 10.0, "%.0f"),
    ),
    "Timeline": (
        Lever("timeline.us_approval", "US approval", "months"),
        Lever("timeline.china_approval", "China approval", "months"),
        Lever("timeline.test_lag_months", "Test lag (months)", "slider", 1, 1),
        Lever("timeline.restart_lag_months", "Restart lag (months)", "slider", 1, 1),
        Lever("timeline.ramp_months", "Ramp (months)", "slider", 1, 1),
    ),
    "Demand": (
        Lever(
            "demand.erosion_per_month",
            "Erosion per month of delay (%)",
            "slider",
            100,
            0.5,
            "%.1f %%",
        ),
        Lever("demand.backlog_retention", "Backlog retention (%)", "slider", 100, 5.0, "%.0f %%"),
        Lever("demand.price_elasticity", "Price elasticity", "slider", 1.0, 0.1, "%.1f"),
    ),
}
PRODUCT_LEVERS: tuple[Lever, ...] = (
    Lever(PRODUCT + "asp_usd", "Price ($/unit)", "number", 1.0, 500.0, "%.0f"),
    Lever(PRODUCT + "asp_change_per_year", "Price change per year (%)", "number", 100, 1.0, "%.1f"),
    Lever(PRODUCT + "unit_cost_usd", "Unit cost ($/unit)", "number", 1.0, 100.0, "%.0f"),
    Lever(
        PRODUCT + "share_rate", "Own levy rate (%, empty = policy rate)", "number", 100, 1.0, "%.1f"
    ),
    Lever(
        PRODUCT + "china_demand_units_per_month",
        "China demand (units/month)",
        "number",
        1.0,
        1000.0,
        "%.0f",
    ),
    Lever(
        PRODUCT + "china_demand_growth_per_year",
        "China demand growth per year (%)",
        "number",
        100,
        5.0,
        "%.1f",
    ),
    Lever(
        PRODUCT + "us_shipments_units_per_month",
        "US shipments (units/month)",
        "number",
        1.0,
        1000.0,
        "%.0f",
    ),
    Lever(
        PRODUCT + "starting_inventory_units",
        "Starting inventory (units)",
        "number",
        1.0,
        10000.0,
        "%.0f",
    ),
    Lever(
        PRODUCT + "production_capacity_units_per_month",
        "Capacity (units/month)",
        "number",
        1.0,
        1000.0,
        "%.0f",
    ),
    Lever(PRODUCT + "production_paused", "Production paused until licence", "toggle"),
    Lever(
        PRODUCT + "licence_cap_units",
        "Licence cap (units, empty = none)",
        "number",
        1.0,
        10000.0,
        "%.0f",
    ),
)


@dataclass(frozen=True)
class Bound:
    """A lever applied to one concrete path (a product lever to one product)."""

    lever: Lever
    path: str
    info: ParamInfo
    group: str
    product: str = ""


def bound_levers(a: Assumptions) -> list[Bound]:
    """Every lever for these assumptions: the global groups, then each product's."""
    return list(_bound_levers(tuple(p.id for p in a.products)))


@lru_cache(maxsize=64)
def _bound_levers(product_ids: tuple[str, ...]) -> tuple[Bound, ...]:
    out = []
    for group, levers in GROUPS.items():
        for lv in levers:
            found = param_info(lv.key)
            assert found is not None, lv.key
            out.append(Bound(lv, lv.key, found, group))
    for pid in product_ids:
        for lv in PRODUCT_LEVERS:
            path = lv.path(pid)
            found = param_info(path)
            assert found is not None, path
            out.append(Bound(lv, path, found, f"product:{pid}", pid))
    return tuple(out)


def value_at(a: Assumptions, path: str) -> Any:
    """The value a dotted path addresses in validated assumptions (schema defaults included)."""
    parts = path.split(".")
    if parts[0] == "products":
        prod = a.product(parts[1])
        if len(parts) == 4:
            return prod.bom_usd_per_unit.get(parts[3])
        return getattr(prod, parts[2])
    node: Any = a
    for part in parts:
        node = getattr(node, part)
    return node


def same(x: Any, y: Any) -> bool:
    """Equal, with floats compared to a relative 1e-9 (display rounding is not a change)."""
    if isinstance(x, bool) or isinstance(y, bool) or x is None or y is None:
        return x is y or x == y
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-12)
    return bool(x == y)


# ---------------------------------------------------------------- display units


def to_display(b: Bound, value: Any) -> Any:
    """Model value -> widget value."""
    kind = b.info.kind
    if kind.startswith("month"):
        return NEVER if value is None else value
    if kind == "integer":
        return int(value)
    if kind == "number":
        return None if value is None else round(float(value) * b.lever.scale, 9)
    return value


def from_display(b: Bound, shown: Any, reference: Any) -> Any:
    """Widget value -> model value; within display rounding of the reference, the reference."""
    kind = b.info.kind
    if kind == "month_or_null":
        value: Any = None if shown == NEVER else shown
    elif kind == "integer":
        value = int(shown)
    elif kind == "number":
        value = None if shown is None else round(float(shown) / b.lever.scale, 12)
    else:
        value = shown
    return reference if same(value, reference) else value


def widget_range(b: Bound, *shown: Any) -> tuple[float | None, float | None]:
    """Widget bounds in display units from the schema, widened to hold the values shown."""
    info, lv = b.info, b.lever
    step = lv.step or 1.0
    lo = None if info.low is None else info.low * lv.scale + (step if info.low_open else 0)
    high = info.high if lv.ui_high is None else min(lv.ui_high, info.high or lv.ui_high)
    hi = None if high is None else high * lv.scale - (step if info.high_open else 0)
    for v in shown:
        if v is None:
            continue
        lo = None if lo is None else min(lo, v)
        hi = None if hi is None else max(hi, v)
    if info.kind == "integer":
        return (None if lo is None else int(lo)), (None if hi is None else int(hi))
    return lo, hi


def month_options(a: Assumptions, *shown: Any) -> list[str]:
    """A year before the horizon to its end, then ``never``; any value shown is kept."""
    start = a.horizon.start
    months = [month_label(i, start) for i in range(-12, a.horizon.months)]
    extra = {v for v in shown if isinstance(v, str) and v != NEVER and v not in months}
    return [*sorted([*months, *extra], key=parse_month), NEVER]
