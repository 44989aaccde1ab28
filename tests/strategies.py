"""Hypothesis strategies shared by the property tests: valid assumption sets
spanning the schema's ranges (with realistic magnitudes for open-ended values)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from model.loader import validate_raw
from model.schema import Assumptions

fraction = st.floats(0.0, 1.0, allow_nan=False)
money = st.floats(0.0, 1e5, allow_nan=False)
units = st.floats(0.0, 1e6, allow_nan=False)


@st.composite
def months(draw: st.DrawFn, never: bool = False) -> str:
    if never and draw(st.booleans()) and draw(st.booleans()):
        return "never"
    return f"{draw(st.integers(2024, 2029))}-{draw(st.integers(1, 12)):02d}"


@st.composite
def products(draw: st.DrawFn, pid: str) -> dict[str, Any]:
    cost = draw(money)
    suppliers = draw(st.lists(st.sampled_from(["hbm", "tsmc", "osat"]), max_size=3, unique=True))
    shares = [draw(fraction) for _ in suppliers]
    scale = max(sum(shares), 1.0)
    return {
        "id": pid,
        "name": f"Chip {pid}",
        "vendor": "V",
        "asp_usd": draw(st.floats(1.0, 1e5)),
        "asp_change_per_year": draw(st.floats(-0.99, 5.0)),
        "unit_cost_usd": cost,
        "share_rate": draw(st.none() | fraction),
        "quota_applies": draw(st.booleans()),
        "china_demand_units_per_month": draw(units),
        "china_demand_growth_per_year": draw(st.floats(-0.99, 10.0)),
        "us_shipments_units_per_month": draw(units),
        "starting_inventory_units": draw(units),
        "licence_cap_units": draw(st.none() | units),
        "production_capacity_units_per_month": draw(units),
        "production_paused": draw(st.booleans()),
        "bom_usd_per_unit": {s: cost * w / scale for s, w in zip(suppliers, shares, strict=True)},
        **draw(v2_product_keys()),
    }


@st.composite
def v2_product_keys(draw: st.DrawFn) -> dict[str, Any]:
    """Some of version 2's product keys: own dates, licence end, allocation batches,
    the production rule and compute (actuals are added by :func:`raw_assumptions`)."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["us_approval"] = draw(st.none() | months(never=True))
        out["china_approval"] = draw(st.none() | months(never=True))
        out["licence_ends"] = draw(st.none() | months(never=True))
    if draw(st.booleans()):
        batch = st.fixed_dictionaries({"month": months(), "units": units})
        out["china_allocations"] = draw(st.none() | st.lists(batch, max_size=4))
    out["production_rule"] = draw(st.sampled_from(["capacity", "build_to_order"]))
    if draw(st.booleans()):
        out["tpp"] = draw(st.floats(0.0, 40000.0))
        out["dram_bandwidth_gbps"] = draw(st.none() | st.floats(0.0, 8000.0))
    return out


@st.composite
def raw_assumptions(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 3))
    return {
        "horizon": {
            "start": draw(months()),
            "months": draw(st.integers(1, 48)),
            "fiscal_year_end_month": draw(st.integers(1, 12)),
        },
        "discount_rate": draw(fraction),
        "policy": {
            "mechanism": draw(st.sampled_from(["revenue_share", "import_tariff"])),
            "share_rate": draw(fraction),
            "customs_value_ratio": draw(st.floats(0.0, 2.0)),
            "levy_ends": draw(st.none() | months()),
            "us_min_share": draw(st.floats(0.01, 1.0)),
            "quota_basis": draw(st.sampled_from(["cumulative", "monthly"])),
            "china_import_tariff": draw(st.floats(0.0, 5.0)),
            "test_fee_usd_per_unit": draw(st.floats(0.0, 1000.0)),
        },
        "timeline": {
            "us_approval": draw(months(never=True)),
            "china_approval": draw(months(never=True)),
            "test_lag_months": draw(st.integers(0, 24)),
            "restart_lag_months": draw(st.integers(0, 24)),
            "ramp_months": draw(st.integers(1, 36)),
        },
        "demand": {
            "reference_start": draw(months()),
            "erosion_per_month": draw(fraction),
            "backlog_retention": draw(fraction),
            "price_elasticity": draw(st.floats(0.0, 10.0)),
        },
        "products": [draw(products(f"p{i}")) for i in range(n)],
        **draw(v2_global_keys()),
    }


@st.composite
def v2_global_keys(draw: st.DrawFn) -> dict[str, Any]:
    """Version 2's optional top-level keys: the timeline's licence end and a vendors table."""
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["vendors"] = {
            "V": {
                "fiscal_year_end_month": draw(st.none() | st.integers(1, 12)),
                "tax_rate": draw(st.none() | fraction),
                "diluted_shares": draw(st.none() | st.floats(1.0, 1e11)),
            }
        }
    return out


@st.composite
def with_actuals(draw: st.DrawFn, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with ``horizon.as_of`` and reported actuals for some products' past months;
    each actual at most the starting stock shared over the reported months."""
    h = raw["horizon"]
    seen = draw(st.integers(1, h["months"]))
    y, m = (int(v) for v in h["start"].split("-"))
    labels = [f"{y + (m - 1 + k) // 12}-{(m - 1 + k) % 12 + 1:02d}" for k in range(seen)]
    h["as_of"] = labels[-1]
    for p in raw["products"]:
        if draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(labels), min_size=1, unique=True))
            share = p["starting_inventory_units"] / len(chosen)
            p["actual_shipments"] = {k: draw(st.floats(0.0, 1.0)) * share for k in chosen}
    return raw


def assumptions() -> st.SearchStrategy[Assumptions]:
    return raw_assumptions().map(lambda raw: validate_raw(raw, "hypothesis"))


@st.composite
def assumptions_with_actuals(draw: st.DrawFn) -> Assumptions:
    """Valid assumptions with reported actuals (draws whose actuals exceed the stock left
    by earlier formula months are rejected, as the loader rejects them)."""
    from hypothesis import assume

    from model.loader import InputError

    raw = draw(with_actuals(draw(raw_assumptions())))
    try:
        return validate_raw(raw, "hypothesis")
    except InputError:
        assume(False)
        raise


# ---------------------------------------------------------------- risk-file draws


def _month(first: int = 2025, last: int = 2029) -> st.SearchStrategy[str]:
    return st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(first, last), st.integers(1, 12))


def _num(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_subnormal=False)


#: (dotted path, strategy of valid values, apply) for the shipped base's products.
RISK_PATHS: tuple[tuple[str, st.SearchStrategy[Any], str], ...] = (
    ("timeline.us_approval", _month() | st.just("never"), "value"),
    ("timeline.china_approval", _month() | st.just("never"), "value"),
    ("policy.levy_ends", _month() | st.none(), "value"),
    ("demand.reference_start", _month(2024, 2027), "value"),
    ("timeline.test_lag_months", st.integers(0, 24), "value"),
    ("timeline.restart_lag_months", st.integers(0, 24), "value"),
    ("timeline.ramp_months", st.integers(1, 36), "value"),
    ("discount_rate", _num(0.0, 1.0), "value"),
    ("demand.erosion_per_month", _num(0.0, 1.0), "value"),
    ("demand.backlog_retention", _num(0.0, 1.0), "value"),
    ("demand.price_elasticity", _num(0.0, 10.0), "value"),
    ("policy.share_rate", _num(0.0, 1.0), "value"),
    ("policy.mechanism", st.sampled_from(["revenue_share", "import_tariff"]), "value"),
    ("policy.quota_basis", st.sampled_from(["cumulative", "monthly"]), "value"),
    ("policy.customs_value_ratio", _num(0.0, 2.0), "value"),
    ("policy.us_min_share", _num(0.05, 1.0), "value"),
    ("policy.china_import_tariff", _num(0.0, 5.0), "value"),
    ("policy.test_fee_usd_per_unit", _num(0.0, 1000.0), "value"),
    ("products.h200.asp_usd", _num(1000.0, 50000.0), "value"),
    ("products.h200.unit_cost_usd", _num(4000.0, 10000.0), "value"),
    ("products.h20.share_rate", _num(0.0, 1.0), "value"),
    ("products.mi325x.licence_cap_units", st.none() | _num(0.0, 1e6), "value"),
    ("products.h200.production_paused", st.booleans(), "value"),
    ("products.mi308.quota_applies", st.booleans(), "value"),
    ("products.h200.us_shipments_units_per_month", _num(0.0, 5e5), "value"),
    ("products.h20.starting_inventory_units", _num(0.0, 1e6), "value"),
    ("products.mi325x.production_capacity_units_per_month", _num(0.0, 1e5), "value"),
    ("products.h200.china_demand_growth_per_year", _num(-0.9, 2.0), "value"),
    ("products.*.china_demand_units_per_month", _num(0.0, 2.0), "scale"),
    ("products.*.asp_change_per_year", _num(-0.5, 0.5), "shift"),
)


@st.composite
def risk_draw_values(draw: st.DrawFn) -> tuple[str, Any, str]:
    """One uncertain input of the shipped base with a valid value and how it applies."""
    path, values, apply = draw(st.sampled_from(RISK_PATHS))
    return path, draw(values), apply
