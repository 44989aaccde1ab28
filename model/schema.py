"""The assumption schema: every parameter declared once (MODEL_SPEC §4).

Each field carries a one-sentence description, a unit and its valid range. The
app's help texts, the workbook's Inputs sheet and the docs are generated from
these declarations through :func:`parameter_table`, so nothing is said twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
NEVER = "never"
ID_RE = r"^[a-z0-9_]+$"


def _month_text(value: Any) -> Any:
    """Reject anything that is not a ``YYYY-MM`` string before pydantic sees it."""
    if isinstance(value, str) and MONTH_RE.match(value):
        return value
    raise ValueError("must be a month written YYYY-MM (for example 2026-03)")


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


def F(description: str, unit: str, default: Any = ..., **bounds: Any) -> Any:  # noqa: N802
    """A schema field with its description and unit (ranges via ge/le/gt/lt)."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Horizon(_Strict):
    start: Month = F("First month of the projection.", "YYYY-MM")
    months: int = F("Number of monthly periods projected.", "months", ge=1, le=240)
    fiscal_year_end_month: int = F(
        "Calendar month in which the vendor's fiscal year ends (1 = January, as for Nvidia).",
        "month number",
        1,
        ge=1,
        le=12,
    )


class Policy(_Strict):
    mechanism: Literal["revenue_share", "import_tariff"] = F(
        "How the US government collects its take: a share of China revenue, or an import "
        "tariff on the customs value of chips entering the US for testing.",
        "choice",
    )
    share_rate: float = F(
        "US government's share (or tariff rate) applied to China sales.", "fraction", ge=0, le=1
    )
    customs_value_ratio: float = F(
        "Customs value as a fraction of the selling price (import_tariff mechanism only).",
        "fraction of ASP",
        1.0,
        ge=0,
        le=2,
    )
    levy_ends: Month | None = F(
        "Month from which the levy is no longer collected (e.g. struck down); null = never ends.",
        "YYYY-MM or null",
        None,
    )
    us_min_share: Annotated[float, AfterValidator(_positive_share)] = F(
        "US customers' minimum share of all shipments of a product; China may take "
        "(1 - s)/s units per US unit.",
        "fraction",
        gt=0,
        le=1,
    )
    quota_basis: Literal["cumulative", "monthly"] = F(
        "Whether the China quota is measured on cumulative or on each month's shipments.", "choice"
    )
    china_import_tariff: float = F(
        "China's import tariff on the chips, paid by Chinese buyers.", "fraction", ge=0, le=5
    )
    test_fee_usd_per_unit: float = F(
        "Fee paid to US third-party test labs per chip shipped to China.", "USD/unit", ge=0
    )


class Timeline(_Strict):
    us_approval: MonthOrNever = F("Month the US licence is in force.", "YYYY-MM or never")
    china_approval: MonthOrNever = F("Month China allows the imports.", "YYYY-MM or never")
    test_lag_months: int = F(
        "Months from licence to first shipment (US lab testing).", "months", ge=0, le=24
    )
    restart_lag_months: int = F(
        "Months from licence until paused suppliers deliver new production again.",
        "months",
        ge=0,
        le=24,
    )
    ramp_months: int = F(
        "Months for China orders to reach their full monthly rate.", "months", ge=1, le=36
    )


class Demand(_Strict):
    reference_start: Month = F(
        "Month from which Chinese demand exists; a later licence erodes it.", "YYYY-MM"
    )
    erosion_per_month: float = F(
        "Share of Chinese demand lost for each month of delay (buyers switch to substitutes).",
        "fraction/month",
        ge=0,
        le=1,
    )
    backlog_retention: float = F(
        "Share of unfilled orders still open the next month.", "fraction", ge=0, le=1
    )
    price_elasticity: float = F(
        "Elasticity of Chinese demand to the landed price raised by China's import tariff.",
        "elasticity",
        ge=0,
        le=10,
    )


class Product(_Strict):
    id: Annotated[str, Field(pattern=ID_RE)] = F("Short identifier ([a-z0-9_]+).", "id")
    name: str = F("Display name.", "text")
    vendor: str = F("Vendor name.", "text")
    asp_usd: float = F("Average selling price per chip to Chinese buyers.", "USD/unit", gt=0)
    asp_change_per_year: float = F(
        "Annual change of the selling price.", "fraction/year", gt=-1, le=5
    )
    unit_cost_usd: float = F("Vendor's manufacturing cost per chip.", "USD/unit", ge=0)
    share_rate: float | None = F(
        "Per-product override of the US government's rate; null = the policy rate.",
        "fraction",
        None,
        ge=0,
        le=1,
    )
    quota_applies: bool = F(
        "Whether the US-allocation quota limits this product (extension: false for chips "
        "licensed before the January 2026 rule, such as the H20 and MI308).",
        "yes/no",
        True,
    )
    china_demand_units_per_month: float = F(
        "Chinese demand at full rate, before erosion and the tariff effect.", "units/month", ge=0
    )
    china_demand_growth_per_year: float = F(
        "Annual growth of Chinese demand.", "fraction/year", gt=-1, le=10
    )
    us_shipments_units_per_month: float = F(
        "Shipments of the product to US customers.", "units/month", ge=0
    )
    starting_inventory_units: float = F(
        "Finished chips in stock at the horizon start.", "units", ge=0
    )
    licence_cap_units: float | None = F(
        "Total China units licensed over the horizon; null = no cap.", "units", None, ge=0
    )
    production_capacity_units_per_month: float = F(
        "New production per month when running.", "units/month", ge=0
    )
    production_paused: bool = F(
        "Whether suppliers have paused production until the licence is in force.", "yes/no"
    )
    bom_usd_per_unit: dict[Annotated[str, Field(pattern=ID_RE)], Annotated[float, Field(ge=0)]] = F(
        "Supplier bill of materials: supplier id to USD paid per chip produced.",
        "USD/unit",
        default_factory=dict,
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
        "Annual discount rate for NPV (end-of-month discounting).", "fraction/year", ge=0, le=1
    )
    policy: Policy
    timeline: Timeline
    demand: Demand
    products: list[Product] = Field(min_length=1, description="Chips modelled.")
    sources: dict[str, str] = Field(
        default_factory=dict, description="Dotted path to the source of its value."
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Assumptions:
        ids = [p.id for p in self.products]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
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


SECTIONS: dict[str, type[_Strict]] = {
    "horizon": Horizon,
    "policy": Policy,
    "timeline": Timeline,
    "demand": Demand,
}


@dataclass(frozen=True)
class ParamInfo:
    """Metadata for one parameter, as declared in the schema."""

    key: str
    section: str  # horizon | policy | timeline | demand | product | top
    description: str
    unit: str
    kind: str  # number | integer | text | month | month_or_never | month_or_null | choice | bool
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
            return {
                "month": "YYYY-MM",
                "month_or_never": "YYYY-MM or never",
                "month_or_null": "YYYY-MM or null",
            }[self.kind]
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
    ann = str(field.annotation)
    extra = field.json_schema_extra or {}
    low, low_open, high, high_open = _bounds(field)
    choices: tuple[str, ...] = ()
    if "Literal" in ann:
        kind = "choice"
        choices = tuple(field.annotation.__args__)
    elif key in ("us_approval", "china_approval"):
        kind = "month_or_never"
    elif key == "levy_ends":
        kind = "month_or_null"
    elif key in ("start", "reference_start"):
        kind = "month"
    elif field.annotation is str:
        kind = "text"
    elif "bool" in ann:
        kind = "bool"
    elif "int" in ann:
        kind = "integer"
    else:
        kind = "number"
    if key == "us_min_share":
        low, low_open, high = 0.0, True, 1.0
    return ParamInfo(
        key=key,
        section=section,
        description=field.description or "",
        unit=str(extra.get("unit", "")),
        kind=kind,
        low=low,
        high=high,
        low_open=low_open,
        high_open=high_open,
        choices=choices,
        optional="None" in ann or "Optional" in ann,
    )


def parameter_table() -> list[ParamInfo]:
    """Every scalar parameter, global sections first, then per-product fields."""
    return list(_parameter_table())


@lru_cache(maxsize=1)
def _parameter_table() -> tuple[ParamInfo, ...]:
    rows = [_info("top", "discount_rate", Assumptions.model_fields["discount_rate"])]
    for section, model in SECTIONS.items():
        rows += [_info(section, k, f) for k, f in model.model_fields.items()]
    rows += [
        _info("product", k, f)
        for k, f in Product.model_fields.items()
        if k not in ("id", "bom_usd_per_unit")
    ]
    return tuple(rows)


@lru_cache(maxsize=1)
def _table_by_key() -> dict[tuple[str, str], ParamInfo]:
    return {(p.section, p.key): p for p in _parameter_table()}


def param_info(dotted: str) -> ParamInfo | None:
    """Look up the metadata of a dotted path (``products.h200.asp_usd`` and the like)."""
    parts = dotted.split(".")
    table = _table_by_key()
    if parts[0] == "products" and len(parts) == 3:
        return table.get(("product", parts[2]))
    if parts[0] == "products" and len(parts) == 4 and parts[2] == "bom_usd_per_unit":
        return ParamInfo(
            key=parts[3],
            section="product",
            description=f"Supplier '{parts[3]}' revenue per chip produced.",
            unit="USD/unit",
            kind="number",
            low=0.0,
        )
    if len(parts) == 1:
        return table.get(("top", parts[0]))
    if len(parts) == 2:
        return table.get((parts[0], parts[1]))
    return None
