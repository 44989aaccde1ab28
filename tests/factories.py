"""Tiny assumption sets for hand-checked cases: one product, a short horizon,
every value simple enough to follow with a pencil."""

from __future__ import annotations

import copy
from typing import Any

from model.engine import Inputs, Projection, project
from model.loader import apply_overrides, validate_raw
from model.schema import Assumptions

TINY: dict[str, Any] = {
    "horizon": {"start": "2026-01", "months": 6, "fiscal_year_end_month": 1},
    "discount_rate": 0.0,
    "policy": {
        "mechanism": "revenue_share",
        "share_rate": 0.25,
        "customs_value_ratio": 1.0,
        "levy_ends": None,
        "us_min_share": 0.5,
        "quota_basis": "monthly",
        "china_import_tariff": 0.0,
        "test_fee_usd_per_unit": 0.0,
    },
    "timeline": {
        "us_approval": "2026-01",
        "china_approval": "2026-01",
        "test_lag_months": 0,
        "restart_lag_months": 0,
        "ramp_months": 1,
    },
    "demand": {
        "reference_start": "2026-01",
        "erosion_per_month": 0.0,
        "backlog_retention": 0.0,
        "price_elasticity": 0.0,
    },
    "products": [
        {
            "id": "chip",
            "name": "Chip",
            "vendor": "Vendor",
            "asp_usd": 100.0,
            "asp_change_per_year": 0.0,
            "unit_cost_usd": 40.0,
            "share_rate": None,
            "china_demand_units_per_month": 10.0,
            "china_demand_growth_per_year": 0.0,
            "us_shipments_units_per_month": 100.0,
            "starting_inventory_units": 1000.0,
            "licence_cap_units": None,
            "production_capacity_units_per_month": 0.0,
            "production_paused": False,
            "bom_usd_per_unit": {"mem": 10.0, "fab": 5.0},
        }
    ],
}


def tiny(**overrides: Any) -> Assumptions:
    """TINY with dotted-path overrides (``timeline__us_approval`` style keys also work)."""
    raw, problems = apply_overrides(
        copy.deepcopy(TINY), {k.replace("__", "."): v for k, v in overrides.items()}, "tiny"
    )
    assert not problems, problems
    return validate_raw(raw, "tiny")


def run_tiny(**overrides: Any) -> Projection:
    return project(Inputs.from_assumptions([tiny(**overrides)]))


def first(arr: Any) -> Any:
    """Variant 0, product 0 of an (N, P, H) array."""
    return arr[0, 0]
