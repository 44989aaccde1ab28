"""The assumption schema: every parameter declared once (docs/methodology.md §4).

Each field carries a one-sentence description, a unit, a declared kind (how its
value is written) and its valid range. The app's help texts, the workbook's Inputs
sheet and the docs are generated from these declarations through
:func:`parameter_table`, and every text that a person types (a link, a workbook
cell, a command-line range) becomes a value through :func:`parse_text`, so nothing
is said twice.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .dotted import SECTION_NAMES, DottedPath, parse_path

#: A month: four ASCII digits, a dash, two ASCII digits, and nothing around them.
MONTH_RE = re.compile(r"\A([0-9]{4})-(0[1-9]|1[0-2])\Z")
YEAR_MIN, YEAR_MAX = 1900, 2200
NEVER = "never"
ID_RE = r"^[a-z0-9_]+$"
#: TPP is dense TOPS times operand bit length (ECCN 3A090); the H100's and H200's.
H100_TPP = 15832.0
#: The January 2026 licence policy covers chips below both limits.
POLICY_TPP_LIMIT = 21000.0
POLICY_DRAM_LIMIT_GBPS = 6500.0

TRUE_WORDS = ("true", "yes", "1", "on")
FALSE_WORDS = ("false", "no", "0", "off")
NULL_WORDS = ("null", "none", "")

Kind = Literal[
    "number", "integer", "text", "month", "month_or_never", "month_or_null", "choice", "bool"
]
Quantity = Literal["money", "share", "month", "count", "months", "choice", "text", "flag", "number"]


def is_month(value: Any) -> bool:
    """Whether ``value`` is month text ``YYYY-MM`` with a year in the supported range."""
    if not isinstance(value, str):
        return False
    m = MONTH_RE.match(value)
    return m is not None and YEAR_MIN <= int(m.group(1)) <= YEAR_MAX


def _month_text(value: Any) -> Any:
    """Reject anything that is not a ``YYYY-MM`` string before pydantic sees it."""
    if is_month(value):
        return value
    raise ValueError(
        f"must be a month written YYYY-MM (for example 2026-03), years {YEAR_MIN}–{YEAR_MAX}"
    )


def _month_or_never(value: Any) -> Any:
    if value == NEVER:
        return value
    try:
        return _month_text(value)
    except ValueError:
        raise ValueError("must be a month written YYYY-MM or the word 'never'") from None


Month = Annotated[str, BeforeValidator(_month_text)]
MonthOrNever = Annotated[str, BeforeValidator(_month_or_never)]


def _positive_share(value: float) -> float:
    if not 0.0 < value <= 1.0:
        raise ValueError("must be greater than 0 and at most 1")
    return value


def F(  # noqa: N802
    description: str, unit: str, kind: Kind, quantity: Quantity, default: Any = ..., **bounds: Any
) -> Any:
    """A schema field with its description, unit and declared kind (ranges via ge/gt/le/lt)."""
    return Field(
        default,
        description=description,
        json_schema_extra={"unit": unit, "kind": kind, "quantity": quantity},
        **bounds,
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class Horizon(_Strict):
    start: Month = F("First month of the projection.", "YYYY-MM", "month", "month")
    months: int = F(
        "Number of monthly periods projected.", "months", "integer", "months", ge=1, le=240
    )
    fiscal_year_end_month: int = F(
        "Calendar month in which a vendor's fiscal year ends when the vendors table does not "
        "say (1 = January, as for Nvidia).",
        "month number",
        "integer",
        "number",
        1,
        ge=1,
        le=12,
    )
    as_of: Month | None = F(
        "Date of the latest facts: every reported actual lies at or before it.",
        "YYYY-MM or null",
        "month_or_null",
        "month",
        None,
    )


class Policy(_Strict):
    mechanism: Literal["revenue_share", "import_tariff"] = F(
        "How the US government collects its take: a share of China revenue, or an import "
        "tariff on the customs value of chips entering the US for testing.",
        "choice",
        "choice",
        "choice",
    )
    share_rate: float = F(
        "US government's share (or tariff rate) applied to China sales.",
        "fraction",
        "number",
        "share",
        ge=0,
        le=1,
    )
    customs_value_ratio: float = F(
        "Customs value as a fraction of the selling price (import_tariff mechanism only).",
        "fraction of ASP",
        "number",
        "share",
        1.0,
        ge=0,
        le=2,
    )
    levy_ends: Month | None = F(
        "Month from which the levy is no longer collected (e.g. struck down); null = never ends.",
        "YYYY-MM or null",
        "month_or_null",
        "month",
        None,
    )
    us_min_share: Annotated[float, AfterValidator(_positive_share)] = F(
        "US customers' minimum share of all shipments of a product; China may take "
        "(1 - s)/s units per US unit.",
        "fraction",
        "number",
        "share",
        gt=0,
        le=1,
    )
    quota_basis: Literal["cumulative", "monthly"] = F(
        "Whether the China quota is measured on cumulative or on each month's shipments.",
        "choice",
        "choice",
        "choice",
    )
    china_import_tariff: float = F(
        "China's import tariff on the chips, paid by Chinese buyers.",
        "fraction",
        "number",
        "share",
        ge=0,
        le=5,
    )
    test_fee_usd_per_unit: float = F(
        "Fee paid to US third-party test labs per chip shipped to China.",
        "USD/unit",
        "number",
        "money",
        ge=0,
    )


class Timeline(_Strict):
    us_approval: MonthOrNever = F(
        "Month the US licence is in force (products without their own date).",
        "YYYY-MM or never",
        "month_or_never",
        "month",
    )
    china_approval: MonthOrNever = F(
        "Month China allows the imports (products without their own date).",
        "YYYY-MM or never",
        "month_or_never",
        "month",
    )
    licence_ends: MonthOrNever | None = F(
        "Month from which the licence no longer allows shipments (e.g. revoked by law); "
        "never or null = it does not end.",
        "YYYY-MM, never or null",
        "month_or_never",
        "month",
        None,
    )
    test_lag_months: int = F(
        "Months from licence to first shipment (US lab testing).",
        "months",
        "integer",
        "months",
        ge=0,
        le=24,
    )
    restart_lag_months: int = F(
        "Months from licence until paused suppliers deliver new production again.",
        "months",
        "integer",
        "months",
        ge=0,
        le=24,
    )
    ramp_months: int = F(
        "Months for China orders to reach their full monthly rate.",
        "months",
        "integer",
        "months",
        ge=1,
        le=36,
    )


class Demand(_Strict):
    reference_start: Month = F(
        "Month from which Chinese demand exists; a later licence erodes it.",
        "YYYY-MM",
        "month",
        "month",
    )
    erosion_per_month: float = F(
        "Share of Chinese demand lost for each month of delay (buyers switch to substitutes).",
        "fraction/month",
        "number",
        "share",
        ge=0,
        le=1,
    )
    backlog_retention: float = F(
        "Share of unfilled orders still open the next month.",
        "fraction",
        "number",
        "share",
        ge=0,
        le=1,
    )
    price_elasticity: float = F(
        "Elasticity of Chinese demand to the landed price raised by China's import tariff.",
        "elasticity",
        "number",
        "number",
        ge=0,
        le=10,
    )


class Vendor(_Strict):
    fiscal_year_end_month: int | None = F(
        "Calendar month in which the vendor's fiscal year ends (Nvidia 1, AMD and Intel 12); "
        "null = horizon.fiscal_year_end_month.",
        "month number",
        "integer",
        "number",
        None,
        ge=1,
        le=12,
    )
    tax_rate: float | None = F(
        "Vendor's effective tax rate, for profit after tax and earnings per share.",
        "fraction",
        "number",
        "share",
        None,
        ge=0,
        le=1,
    )
    diluted_shares: float | None = F(
        "Vendor's diluted share count, for the earnings-per-share effect.",
        "shares",
        "number",
        "count",
        None,
        gt=0,
    )


class Allocation(_Strict):
    """One batch of China-approved imports: ``{month: YYYY-MM, units: N}``."""

    month: Month = F("Month China approves the batch.", "YYYY-MM", "month", "month")
    units: float = F("Units China approves in the batch.", "units", "number", "count", ge=0)


class Product(_Strict):
    id: Annotated[str, Field(pattern=ID_RE)] = F(
        "Short identifier ([a-z0-9_]+).", "id", "text", "text"
    )
    name: str = F("Display name.", "text", "text", "text")
    vendor: str = F(
        "Vendor name (a key of the vendors table, if it has one).", "text", "text", "text"
    )
    asp_usd: float = F(
        "Average selling price per chip to Chinese buyers.", "USD/unit", "number", "money", gt=0
    )
    asp_change_per_year: float = F(
        "Annual change of the selling price.", "fraction/year", "number", "share", gt=-1, le=5
    )
    unit_cost_usd: float = F(
        "Vendor's manufacturing cost per chip.", "USD/unit", "number", "money", ge=0
    )
    share_rate: float | None = F(
        "Per-product override of the US government's rate; null = the policy rate.",
        "fraction",
        "number",
        "share",
        None,
        ge=0,
        le=1,
    )
    quota_applies: bool = F(
        "Whether the US-allocation quota limits this product (extension: false for chips "
        "licensed before the January 2026 rule, such as the H20 and MI308).",
        "yes/no",
        "bool",
        "flag",
        True,
    )
    us_approval: MonthOrNever | None = F(
        "Month this chip's US licence is in force; null = timeline.us_approval.",
        "YYYY-MM, never or null",
        "month_or_never",
        "month",
        None,
    )
    china_approval: MonthOrNever | None = F(
        "Month China allows this chip's imports; null = timeline.china_approval.",
        "YYYY-MM, never or null",
        "month_or_never",
        "month",
        None,
    )
    licence_ends: MonthOrNever | None = F(
        "Month from which this chip's licence no longer allows shipments; "
        "null = timeline.licence_ends.",
        "YYYY-MM, never or null",
        "month_or_never",
        "month",
        None,
    )
    production_rule: Literal["capacity", "build_to_order"] = F(
        "Whether production runs at capacity whatever sells (capacity) or makes only what "
        "shippable orders need beyond stock (build_to_order).",
        "choice",
        "choice",
        "choice",
        "capacity",
    )
    tpp: float | None = F(
        "Total Processing Performance (ECCN 3A090: dense TOPS × bit length); null = not reported.",
        "TPP",
        "number",
        "number",
        None,
        ge=0,
    )
    dram_bandwidth_gbps: float | None = F(
        "Memory bandwidth, for the licence policy's limit; null = not reported.",
        "GB/s",
        "number",
        "number",
        None,
        ge=0,
    )
    china_demand_units_per_month: float = F(
        "Chinese demand at full rate, before erosion and the tariff effect.",
        "units/month",
        "number",
        "count",
        ge=0,
    )
    china_demand_growth_per_year: float = F(
        "Annual growth of Chinese demand.", "fraction/year", "number", "share", gt=-1, le=10
    )
    us_shipments_units_per_month: float = F(
        "Shipments of the product to US customers.", "units/month", "number", "count", ge=0
    )
    starting_inventory_units: float = F(
        "Finished chips in stock at the horizon start.", "units", "number", "count", ge=0
    )
    licence_cap_units: float | None = F(
        "Total China units licensed over the horizon; null = no cap.",
        "units",
        "number",
        "count",
        None,
        ge=0,
    )
    production_capacity_units_per_month: float = F(
        "New production per month when running.", "units/month", "number", "count", ge=0
    )
    production_paused: bool = F(
        "Whether suppliers have paused production until the licence is in force.",
        "yes/no",
        "bool",
        "flag",
    )
    china_allocations: list[Allocation] | None = Field(
        None,
        description="Batches of imports China approves (month, units); null = China limits "
        "no volume once it approves; an empty list = nothing may ship.",
    )
    actual_shipments: dict[Month, Annotated[float, Field(ge=0)]] | None = Field(
        None,
        description="Reported China shipments by month (YYYY-MM -> units), each at or "
        "before horizon.as_of; they replace the formula in those months.",
    )
    bom_usd_per_unit: dict[Annotated[str, Field(pattern=ID_RE)], Annotated[float, Field(ge=0)]] = (
        Field(
            default_factory=dict,
            description="Supplier bill of materials: supplier id to USD paid per chip produced.",
            json_schema_extra={"unit": "USD/unit"},
        )
    )

    @model_validator(mode="after")
    def _bom_within_cost(self) -> Product:
        total = sum(self.bom_usd_per_unit.values())
        if total > self.unit_cost_usd + 1e-9:
            raise ValueError(
                f"the supplier bill of materials ({total:g} USD) must not exceed "
                f"unit_cost_usd ({self.unit_cost_usd:g} USD)"
            )
        return self


class Assumptions(_Strict):
    horizon: Horizon
    discount_rate: float = F(
        "Annual discount rate for NPV (end-of-month discounting).",
        "fraction/year",
        "number",
        "share",
        ge=0,
        le=1,
    )
    policy: Policy
    timeline: Timeline
    demand: Demand
    vendors: dict[str, Vendor] = Field(
        default_factory=dict,
        description="Per vendor (keyed by the products' vendor text): fiscal year end, tax "
        "rate and diluted shares.",
    )
    products: list[Product] = Field(min_length=1, description="Chips modelled.")
    sources: dict[str, str] = Field(
        default_factory=dict, description="Dotted path to the source of its value."
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Assumptions:
        counts = Counter(p.id for p in self.products)
        dupes = sorted(i for i, n in counts.items() if n > 1)
        if dupes:
            raise ValueError(f"product ids must be unique; repeated: {', '.join(dupes)}")
        return self

    def product(self, pid: str) -> Product:
        return next(p for p in self.products if p.id == pid)

    @property
    def supplier_ids(self) -> list[str]:
        """Supplier ids across all products, in order of first appearance."""
        seen: dict[str, None] = {}
        for p in self.products:
            seen.update(dict.fromkeys(p.bom_usd_per_unit))
        return list(seen)

    @property
    def vendor_names(self) -> list[str]:
        """Vendors of the products, in order of first appearance."""
        return list(dict.fromkeys(p.vendor for p in self.products))

    def fiscal_year_end(self, vendor: str) -> int:
        """The vendor's fiscal year-end month, else ``horizon.fiscal_year_end_month``."""
        v = self.vendors.get(vendor)
        if v is not None and v.fiscal_year_end_month is not None:
            return v.fiscal_year_end_month
        return self.horizon.fiscal_year_end_month

    def dates(self, p: Product) -> tuple[str, str, str | None]:
        """A product's ``(us_approval, china_approval, licence_ends)``, inherited from
        ``timeline`` where the product does not set its own."""
        tl = self.timeline
        return (
            tl.us_approval if p.us_approval is None else p.us_approval,
            tl.china_approval if p.china_approval is None else p.china_approval,
            tl.licence_ends if p.licence_ends is None else p.licence_ends,
        )

    def licence_policy_warnings(self) -> list[str]:
        """Products above the January 2026 licence policy's limits (TPP below 21,000 and
        DRAM bandwidth below 6,500 GB/s): a warning, not an error (docs/methodology.md §3)."""
        out = []
        for p in self.products:
            over = []
            if p.tpp is not None and p.tpp >= POLICY_TPP_LIMIT:
                over.append(f"TPP {p.tpp:,.0f} ≥ {POLICY_TPP_LIMIT:,.0f}")
            if (
                p.dram_bandwidth_gbps is not None
                and p.dram_bandwidth_gbps >= POLICY_DRAM_LIMIT_GBPS
            ):
                over.append(
                    f"DRAM bandwidth {p.dram_bandwidth_gbps:,.0f} GB/s ≥ "
                    f"{POLICY_DRAM_LIMIT_GBPS:,.0f} GB/s"
                )
            if over:
                out.append(
                    f"products.{p.id}: {p.name} is outside the January 2026 licence policy "
                    f"({'; '.join(over)})"
                )
        return out

    def rate(self, p: Product) -> float:
        """The product's levy rate: its own ``share_rate``, else the policy's."""
        return self.policy.share_rate if p.share_rate is None else p.share_rate


SECTIONS: dict[str, type[_Strict]] = {
    "horizon": Horizon,
    "policy": Policy,
    "timeline": Timeline,
    "demand": Demand,
}
assert tuple(SECTIONS) == SECTION_NAMES


# ---------------------------------------------------------------- parameter metadata


@dataclass(frozen=True)
class ParamInfo:
    """Metadata for one parameter, as declared in the schema."""

    key: str
    section: str  # horizon | policy | timeline | demand | product | vendor | top
    description: str
    unit: str
    kind: str  # number | integer | text | month | month_or_never | month_or_null | choice | bool
    quantity: str = "number"  # money | share | month | count | months | choice | text | flag
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False

    def range_text(self) -> str:
        if self.kind == "choice":
            return " | ".join(self.choices)
        if self.kind == "bool":
            return "true | false"
        if self.kind == "text":
            return "text"
        if self.kind.startswith("month"):
            text = {
                "month": "YYYY-MM",
                "month_or_never": "YYYY-MM or never",
                "month_or_null": "YYYY-MM or null",
            }[self.kind]
            return text + (" or null" if self.optional and self.kind != "month_or_null" else "")
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "inf" if self.high is None else f"{self.high:g}"
        text = f"{'(' if self.low_open else '['}{lo}, {hi}{')' if self.high_open else ']'}"
        return text + (" or null" if self.optional else "")


def _bounds(field: Any) -> tuple[float | None, bool, float | None, bool]:
    """(low, low_open, high, high_open) from a field's ge/gt/le/lt constraints."""
    low = high = None
    low_open = high_open = False
    for m in field.metadata:
        for attr, is_low, is_open in (
            ("ge", True, False),
            ("gt", True, True),
            ("le", False, False),
            ("lt", False, True),
        ):
            v = getattr(m, attr, None)
            if v is None:
                continue
            if is_low:
                low, low_open = float(v), is_open
            else:
                high, high_open = float(v), is_open
    return low, low_open, high, high_open


def _info(section: str, key: str, field: Any) -> ParamInfo:
    extra = field.json_schema_extra or {}
    low, low_open, high, high_open = _bounds(field)
    kind = str(extra["kind"])
    choices = tuple(field.annotation.__args__) if kind == "choice" else ()
    if key == "us_min_share":  # its (0, 1] range is checked by a validator, not ge/le
        low, low_open, high = 0.0, True, 1.0
    return ParamInfo(
        key=key,
        section=section,
        description=field.description or "",
        unit=str(extra.get("unit", "")),
        kind=kind,
        quantity=str(extra.get("quantity", "number")),
        low=low,
        high=high,
        low_open=low_open,
        high_open=high_open,
        choices=choices,
        optional=not field.is_required() and field.default is None,
    )


def _scalar_fields(model: type[BaseModel]) -> list[tuple[str, Any]]:
    """The fields of a model that are single values (declared with a kind)."""
    return [
        (k, f)
        for k, f in model.model_fields.items()
        if isinstance(f.json_schema_extra, dict) and "kind" in f.json_schema_extra
    ]


def parameter_table() -> list[ParamInfo]:
    """Every scalar parameter: top level, sections, per-product then per-vendor fields."""
    return list(_parameter_table())


@lru_cache(maxsize=1)
def _parameter_table() -> tuple[ParamInfo, ...]:
    rows = [_info("top", "discount_rate", Assumptions.model_fields["discount_rate"])]
    for section, model in SECTIONS.items():
        rows += [_info(section, k, f) for k, f in _scalar_fields(model)]
    rows += [_info("product", k, f) for k, f in _scalar_fields(Product) if k != "id"]
    rows += [_info("vendor", k, f) for k, f in _scalar_fields(Vendor)]
    return tuple(rows)


@lru_cache(maxsize=1)
def _table_by_key() -> dict[tuple[str, str], ParamInfo]:
    return {(p.section, p.key): p for p in _parameter_table()}


def info_for(path: DottedPath) -> ParamInfo | None:
    """The metadata of a parsed dotted path; None for structured values (batches, actuals)."""
    table = _table_by_key()
    entry = {
        "bom": (f"Supplier '{path.sub}' revenue per chip produced.", "USD/unit", "money"),
        "actual": (f"Reported China shipments in {path.sub}.", "units", "count"),
    }.get(path.scope)
    if entry is not None:  # one value of a product's mapping (a supplier, a month)
        description, unit, quantity = entry
        return ParamInfo(
            key=path.sub or "",
            section="product",
            description=description,
            unit=unit,
            kind="number",
            quantity=quantity,
            low=0.0,
        )
    section = {"top": "top", "product": "product", "vendor": "vendor"}.get(path.scope)
    return table.get((section or path.section or "", path.key))


def param_info(dotted: str) -> ParamInfo | None:
    """Look up the metadata of a dotted path (``products.h200.asp_usd`` and the like)."""
    parsed = parse_path(dotted)
    return None if isinstance(parsed, str) else info_for(parsed)


# ---------------------------------------------------------------- text -> value


def parse_text(info: ParamInfo, text: str) -> Any:
    """A value typed as text (a link, a workbook cell, a command-line range) as a value of
    the parameter's kind. Raises ValueError with the rule broken; this is the one place
    text becomes a parameter value."""
    t = text.strip()
    if info.kind == "text":
        return t
    if info.kind.startswith("month"):
        return _parse_month(info, t)
    if info.kind == "choice":
        if t not in info.choices:
            raise ValueError(f"must be one of {', '.join(info.choices)}")
        return t
    if info.kind == "bool":
        if t.lower() not in TRUE_WORDS + FALSE_WORDS:
            raise ValueError("must be true or false")
        return t.lower() in TRUE_WORDS
    return _parse_number(info, t)


def _parse_month(info: ParamInfo, t: str) -> Any:
    low = t.lower()
    if low == NEVER and info.kind == "month_or_never":
        return NEVER
    if low in NULL_WORDS and (info.kind == "month_or_null" or info.optional):
        return None
    if not is_month(t):
        alt = {"month": "", "month_or_never": " or 'never'", "month_or_null": " or 'null'"}
        raise ValueError(f"must be a month written YYYY-MM{alt[info.kind]}")
    return t


def _parse_number(info: ParamInfo, t: str) -> Any:
    if info.optional and t.lower() in NULL_WORDS:
        return None
    try:
        number = float(t)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    if info.kind == "integer":
        if not number.is_integer():
            raise ValueError("must be a whole number")
        return int(number)
    return number


def format_text(value: Any) -> str:
    """A value as text that :func:`parse_text` reads back exactly."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)
