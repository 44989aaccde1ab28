"""Which parameters the sidebar edits, and how each widget shows them.

Descriptions, units, kinds and valid ranges come from the schema (:func:`param_info`);
this table adds only presentation: a short label, the widget, the step, the display
format and any presets (whose help is the source of the shipped file that uses the
value).

Widgets hold values in model units (a levy of 15 % is ``0.15``, shown as a percentage
by the slider's format), so the page address, which the widgets write themselves,
reads like a scenario file: ``policy.share_rate=0.15``. A select widget writes the
label of its option, so option labels are model values wherever they can be
(``2026-03``, ``never``); only "not set" options carry words (``inherits timeline``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from model.calendar import month_label, parse_month
from model.dotted import parse_path
from model.schema import NEVER, Assumptions, ParamInfo, is_month, param_info, parse_text

from . import allowances, fmt

PRODUCT = "products.*."
VENDOR = "vendors.*."
MONTH_NAMES = fmt.MONTH_NAMES
CHOICE_TEXT = {
    "revenue_share": "revenue share",
    "import_tariff": "import tariff (Section 232)",
    "cumulative": "cumulative",
    "monthly": "monthly",
    "capacity": "capacity",
    "build_to_order": "build to order",
}
SELECT_WIDGETS = ("select", "months")


@dataclass(frozen=True)
class Preset:
    """A one-click value for a lever, with the file whose source explains it."""

    label: str
    value: Any  # model units
    source_from: str  # reference id whose source explains the value
    source_path: str = ""  # the path whose source explains it (default: the lever's)


@dataclass(frozen=True)
class Lever:
    """How the sidebar shows one parameter."""

    key: str  # dotted path; per-product levers start with ``products.*.``, vendors ``vendors.*.``
    label: str
    widget: str  # slider | number | select | months | toggle
    step: float | None = None
    fmt: str | None = None  # "percent" (sliders of fractions) or a printf format
    ui_low: float | None = None  # a narrower widget range than the schema's (model units)
    ui_high: float | None = None
    presets: tuple[Preset, ...] = ()
    none_text: str = ""  # the label of "not set" (None) where the parameter allows it

    def shown_label(self, reference: Any) -> str:
        """The label, without its "empty = …" note when the reference sets a value (a
        number input cannot be emptied below a value it starts from)."""
        if reference is None or "empty =" not in self.label:
            return self.label
        return re.sub(r"\s*\(empty = [^)]*\)|; empty = [^)]*", "", self.label)

    def path(self, owner: str = "") -> str:
        """The lever's dotted path for one product or vendor."""
        return self.key.replace("*", owner) if owner else self.key


def _share(key: str, label: str, step: float = 0.005, high: float | None = None) -> Lever:
    """A fraction shown as a percentage slider."""
    return Lever(key, label, "slider", step, "percent", ui_high=high)


GROUPS: dict[str, tuple[Lever, ...]] = {
    "Policy": (
        Lever(
            "policy.share_rate",
            "US levy rate",
            "slider",
            0.005,
            "percent",
            ui_high=0.5,
            presets=(
                Preset("15 %", 0.15, "h20_mi308_15pct", "products.h20.share_rate"),
                Preset("25 %", 0.25, "base"),
            ),
        ),
        Lever("policy.mechanism", "Levy mechanism", "select"),
        _share("policy.customs_value_ratio", "Customs value (share of price)", 0.01),
        Lever("policy.levy_ends", "Levy ends", "months", none_text="never ends"),
        Lever(
            "policy.us_min_share",
            "US minimum share of shipments",
            "slider",
            0.005,
            "percent",
            presets=(Preset("½ (seed)", 0.5, "seed_quota"), Preset("⅔ (rule)", 2 / 3, "base")),
        ),
        Lever("policy.quota_basis", "Quota basis", "select"),
        _share("policy.china_import_tariff", "China import tariff", 0.05, high=1.0),
        Lever("policy.test_fee_usd_per_unit", "Test fee ($/unit)", "number", 10.0, "%.0f"),
    ),
    "Timeline": (
        Lever("timeline.us_approval", "US approval", "months"),
        Lever("timeline.china_approval", "China approval", "months"),
        Lever("timeline.licence_ends", "Licence ends", "months"),
        Lever("timeline.test_lag_months", "Test lag (months)", "slider", 1),
        Lever("timeline.restart_lag_months", "Restart lag (months)", "slider", 1),
        Lever("timeline.ramp_months", "Ramp (months)", "slider", 1),
    ),
    "Demand": (
        _share("demand.erosion_per_month", "Erosion per month of delay", high=0.2),
        _share("demand.backlog_retention", "Backlog retention", 0.05),
        Lever("demand.price_elasticity", "Price elasticity", "slider", 0.1, "%.1f", ui_high=5.0),
    ),
}
INHERITS = "inherits timeline"
PRODUCT_LEVERS: tuple[Lever, ...] = (
    Lever(PRODUCT + "us_approval", "US approval", "months", none_text=INHERITS),
    Lever(PRODUCT + "china_approval", "China approval", "months", none_text=INHERITS),
    Lever(PRODUCT + "licence_ends", "Licence ends", "months", none_text=INHERITS),
    Lever(PRODUCT + "asp_usd", "Price ($/unit)", "number", 500.0, "%.0f"),
    Lever(
        PRODUCT + "asp_change_per_year",
        "Price change per year",
        "slider",
        0.01,
        "percent",
        ui_low=-0.5,
        ui_high=0.5,
    ),
    Lever(PRODUCT + "unit_cost_usd", "Unit cost ($/unit)", "number", 100.0, "%.0f"),
    Lever(
        PRODUCT + "share_rate",
        "Own levy rate (fraction; empty = policy rate)",
        "number",
        0.01,
        "%.3f",
    ),
    Lever(
        PRODUCT + "china_demand_units_per_month",
        "China demand (units/month)",
        "number",
        1000.0,
        "%.0f",
    ),
    Lever(
        PRODUCT + "china_demand_growth_per_year",
        "China demand growth per year",
        "slider",
        0.05,
        "percent",
        ui_low=-0.9,
        ui_high=1.0,
    ),
    Lever(
        PRODUCT + "us_shipments_units_per_month",
        "US shipments (units/month)",
        "number",
        1000.0,
        "%.0f",
    ),
    Lever(
        PRODUCT + "starting_inventory_units",
        "Starting inventory (units)",
        "number",
        10000.0,
        "%.0f",
    ),
    Lever(
        PRODUCT + "production_capacity_units_per_month",
        "Capacity (units/month)",
        "number",
        1000.0,
        "%.0f",
    ),
    Lever(PRODUCT + "production_rule", "Production rule", "select"),
    Lever(PRODUCT + "production_paused", "Production paused until licence", "toggle"),
    Lever(
        PRODUCT + "licence_cap_units",
        "Licence cap (units; empty = none)",
        "number",
        10000.0,
        "%.0f",
    ),
    Lever(PRODUCT + "tpp", "TPP (3A090; empty = not reported)", "number", 100.0, "%.0f"),
    Lever(
        PRODUCT + "dram_bandwidth_gbps",
        "DRAM bandwidth (GB/s; empty = n/a)",
        "number",
        100.0,
        "%.0f",
    ),
)
VENDOR_LEVERS: tuple[Lever, ...] = (
    Lever(VENDOR + "fiscal_year_end_month", "Fiscal year ends", "select", none_text="horizon's"),
    Lever(VENDOR + "tax_rate", "Tax rate (fraction; empty = no EPS)", "number", 0.01, "%.3f"),
    Lever(VENDOR + "diluted_shares", "Diluted shares (empty = no EPS)", "number", 1e8, "%.0f"),
)


@dataclass(frozen=True)
class Bound:
    """A lever applied to one concrete path (a product lever to one product)."""

    lever: Lever
    path: str
    info: ParamInfo
    group: str
    product: str = ""
    vendor: str = ""

    @property
    def is_select(self) -> bool:
        """Whether the widget picks from options (and writes their labels)."""
        return self.lever.widget in SELECT_WIDGETS


def bound_levers(a: Assumptions) -> list[Bound]:
    """Every lever for these assumptions: the global groups, each vendor's, each product's."""
    return list(_bound_levers(tuple(p.id for p in a.products), tuple(a.vendor_names)))


def lever_map(a: Assumptions) -> dict[str, Bound]:
    """The levers of these assumptions by dotted path."""
    return {b.path: b for b in bound_levers(a)}


def _bind(lv: Lever, group: str, product: str = "", vendor: str = "") -> Bound:
    """A lever applied to one concrete path."""
    path = lv.path(product or vendor)
    found = param_info(path)
    assert found is not None, path
    return Bound(lv, path, found, group, product, vendor)


@lru_cache(maxsize=64)
def _bound_levers(product_ids: tuple[str, ...], vendors: tuple[str, ...]) -> tuple[Bound, ...]:
    """Every lever for these product ids and vendors (cached: the lists repeat)."""
    out = [_bind(lv, group) for group, levers in GROUPS.items() for lv in levers]
    out += [_bind(lv, f"vendor:{v}", vendor=v) for v in vendors for lv in VENDOR_LEVERS]
    out += [_bind(lv, f"product:{p}", product=p) for p in product_ids for lv in PRODUCT_LEVERS]
    return tuple(out)


def value_at(a: Assumptions, path: str) -> Any:
    """The value a dotted path addresses in validated assumptions (schema defaults
    included; a product's own dates, None where it inherits; None for a vendor without
    an entry). KeyError for a path that addresses nothing."""
    p = parse_path(path)
    if isinstance(p, str):
        raise KeyError(path)
    if p.scope == "top":
        return getattr(a, p.key)
    if p.scope == "section":
        return getattr(getattr(a, p.section or ""), p.key)
    if p.scope == "vendor":
        vendor = a.vendors.get(p.vendor or "")
        if p.vendor not in a.vendor_names:
            raise KeyError(path)
        return None if vendor is None else getattr(vendor, p.key)
    prod = next((x for x in a.products if x.id == p.product), None)
    if prod is None or not hasattr(prod, p.key):
        raise KeyError(path)
    if p.scope == "bom":
        return prod.bom_usd_per_unit.get(p.sub or "")
    if p.scope == "actual":
        return (prod.actual_shipments or {}).get(p.sub or "")
    if p.key == allowances.FIELD:  # plain data, as in a file
        return allowances.batches_of(prod)
    return getattr(prod, p.key)


def same(x: Any, y: Any) -> bool:
    """Equal, with floats compared to a relative 1e-9 (display rounding is not a change)."""
    if isinstance(x, bool) or isinstance(y, bool) or x is None or y is None:
        return x is y or x == y
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-12)
    return bool(x == y)


# ---------------------------------------------------------------- widget values


def _never_is_none(b: Bound) -> bool:
    """The timeline's licence end: ``never`` and null mean the same (it does not end)."""
    return b.info.kind == "month_or_never" and b.info.optional and not b.lever.none_text


def to_widget(b: Bound, value: Any) -> Any:
    """Model value -> widget value: months are text (``never``, or the words of "not
    set"), integers int, numbers float."""
    if value is None:
        if b.lever.widget == "months":
            return NEVER if _never_is_none(b) else b.lever.none_text
        return None
    if b.info.kind == "integer":
        return int(value)
    if b.info.kind == "number":
        return float(value)
    return value


def to_model(b: Bound, shown: Any) -> Any:
    """Widget value -> model value (the words of "not set" become None)."""
    if b.lever.widget == "months" and b.lever.none_text and shown == b.lever.none_text:
        return None
    return shown


def equivalent(b: Bound, x: Any, y: Any) -> bool:
    """Whether two model values of a lever mean the same."""
    return same(to_widget(b, x), to_widget(b, y))


def from_widget(b: Bound, shown: Any, reference: Any) -> Any:
    """Widget value -> model value; the reference's value where they mean the same."""
    value = to_model(b, shown)
    return reference if equivalent(b, value, reference) else value


def widget_range(b: Bound, *shown: Any) -> tuple[float | None, float | None]:
    """Widget bounds from the schema (narrowed by the lever), widened to hold the values
    shown; open bounds are nudged in by one step."""
    info, lv = b.info, b.lever
    step = lv.step or 1.0
    low = info.low if lv.ui_low is None else max(lv.ui_low, info.low or lv.ui_low)
    high = info.high if lv.ui_high is None else min(lv.ui_high, info.high or lv.ui_high)
    lo = None if low is None else low + (step if info.low_open and low == info.low else 0)
    hi = None if high is None else high - (step if info.high_open and high == info.high else 0)
    for v in shown:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            lo = None if lo is None else min(lo, v)
            hi = None if hi is None else max(hi, v)
    if info.kind == "integer":
        return (None if lo is None else int(lo)), (None if hi is None else int(hi))
    return lo, hi


def clip_list(text: str, limit: int = 120) -> str:
    """A long list of choices cut short."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def month_options(start: str, months: int, *shown: Any) -> list[str]:
    """A year before the horizon to its end, in order; any month shown is kept."""
    listed = [month_label(i, start) for i in range(-12, months)]
    extra = {v for v in shown if is_month(v) and v not in listed}
    return sorted([*listed, *extra], key=parse_month)


def options(b: Bound, a: Assumptions, *shown: Any) -> list[Any]:
    """The options of a select widget, as widget values; any month shown is kept."""
    info = b.info
    if info.kind == "choice":
        return list(info.choices)
    if info.kind == "integer":  # a vendor's fiscal year end; None = the horizon's
        return [None, *range(1, 13)]
    months: list[Any] = month_options(a.horizon.start, a.horizon.months, *shown)
    if info.kind == "month_or_never":
        months.append(NEVER)
    if b.lever.none_text:
        first = info.kind == "month_or_never"  # "inherits timeline" first, "never ends" last
        return [b.lever.none_text, *months] if first else [*months, b.lever.none_text]
    return months


def label(b: Bound, shown: Any, a: Assumptions) -> str:
    """How a select widget shows an option (and writes it in the page address)."""
    if b.info.kind == "choice":
        return CHOICE_TEXT.get(shown, shown)
    if b.info.kind == "integer":
        if shown is None:
            return f"{b.lever.none_text} ({MONTH_NAMES[a.horizon.fiscal_year_end_month - 1]})"
        return MONTH_NAMES[int(shown) - 1]
    if b.lever.widget == "months":
        return fmt.month(str(shown))  # "Mar 2028"; "never" and the words of "not set" stay
    return str(shown)


def read_link(b: Bound, text: str, a: Assumptions) -> Any:
    """A link's text for a lever as a model value: the widget's own label, or the
    schema's text (``revenue_share``, ``null``, ``0.15``). ValueError says why not."""
    t = text.strip()
    if b.is_select:
        for option in options(b, a, t):
            if t == label(b, option, a):
                return to_model(b, option)
        if b.info.kind == "integer" and t.title() in MONTH_NAMES:
            return MONTH_NAMES.index(t.title()) + 1
        if b.info.kind == "integer" and t.startswith(b.lever.none_text):
            return None
    value = parse_text(b.info, t)
    if b.is_select and to_widget(b, value) not in options(b, a, to_widget(b, value)):
        choices = ", ".join(label(b, o, a) for o in options(b, a))
        raise ValueError(f"must be one of {clip_list(choices)}")
    return value


def framework_reads(b: Bound, text: str, value: Any, a: Assumptions) -> bool:
    """Whether the widget, bound to the page address, reads ``text`` as ``value`` by itself
    (else the app sets the value for it)."""
    t = text
    if b.is_select:
        return t == label(b, to_widget(b, value), a)
    if b.info.kind == "bool":
        return t.lower() == ("true" if value else "false")
    try:
        number = float(t)
    except ValueError:
        return False
    if b.info.kind == "integer":
        return t.strip() == str(value)
    return value is not None and number == value
