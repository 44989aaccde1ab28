"""Plausibility warnings: one case per rule on the tiny assumptions (price $100, cost
$40, 10 units a month over 6 months), each just inside and just beyond its threshold,
and the shipped files without a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.loader import load
from model.plausibility import (
    CEILING_MULTIPLE,
    MAX_PRICE_USD,
    US_CEILING_UNITS,
    horizon_demand,
    plausibility_warnings,
)
from tests.factories import tiny

from .conftest import BASE, SCENARIOS


def test_the_tiny_case_is_plausible() -> None:
    assert plausibility_warnings(tiny()) == []


@pytest.mark.parametrize(
    ("overrides", "path", "words"),
    [
        ({"products.chip.unit_cost_usd": 100.01}, "products.chip.unit_cost_usd", "loses money"),
        ({"products.chip.asp_usd": 1e300}, "products.chip.asp_usd", "$1e+300"),
        (
            {"products.chip.asp_usd": MAX_PRICE_USD + 1},
            "products.chip.asp_usd",
            "$1,000,001 per chip",
        ),
        (
            # 6 months at 1.25 M a month is 7.5 M units: ten ceilings and one unit more
            {"products.chip.china_demand_units_per_month": 1_250_001.0},
            "products.chip.china_demand_units_per_month",
            "7,500,006 units",
        ),
        ({"products.chip.asp_change_per_year": 1.5}, "products.chip.asp_change_per_year", "150%"),
        (
            {"products.chip.china_demand_growth_per_year": 2.0},
            "products.chip.china_demand_growth_per_year",
            "doubles",
        ),
        ({"policy.test_fee_usd_per_unit": 101.0}, "policy.test_fee_usd_per_unit", "$101"),
        ({"vendors.Vendor.diluted_shares": 1e6}, "vendors.Vendor.diluted_shares", "1,000,000"),
    ],
    ids=[
        "cost-above-price",
        "price-1e300",
        "price-above-1m",
        "demand-above-ten-ceilings",
        "price-growth",
        "demand-growth",
        "test-fee-above-price",
        "few-shares",
    ],
)
def test_each_rule_names_the_path_and_the_value(
    overrides: dict[str, object], path: str, words: str
) -> None:
    (message,) = plausibility_warnings(tiny(**overrides))
    assert message.startswith(path + ": ")
    assert words in message


@pytest.mark.parametrize(
    "overrides",
    [
        {"products.chip.unit_cost_usd": 100.0},  # cost equal to the price: no margin, no loss
        {"products.chip.asp_usd": MAX_PRICE_USD},
        {"products.chip.china_demand_units_per_month": 1_250_000.0},  # exactly ten ceilings
        {"products.chip.asp_change_per_year": 1.0},  # doubling is the limit
        {"policy.test_fee_usd_per_unit": 100.0},
        {"vendors.Vendor.diluted_shares": 1e8},
    ],
    ids=["cost-equal", "price-1m", "ten-ceilings", "doubling", "fee-equal", "1e8-shares"],
)
def test_values_at_a_threshold_are_plausible(overrides: dict[str, object]) -> None:
    assert plausibility_warnings(tiny(**overrides)) == []


def test_horizon_demand_compounds_the_growth_monthly() -> None:
    # 10 units a month growing 44 % a year: (1.44)^(t/12) = 1.2^(t/6), t = 0..5
    a = tiny(**{"products.chip.china_demand_growth_per_year": 0.44})
    expected = sum(10 * 1.2 ** (t / 6) for t in range(6))
    assert horizon_demand(a, a.products[0]) == pytest.approx(expected, rel=1e-12)
    assert CEILING_MULTIPLE * US_CEILING_UNITS == 7_500_000


def test_several_problems_are_all_reported_in_order() -> None:
    a = tiny(**{"products.chip.asp_usd": 2e6, "products.chip.unit_cost_usd": 3e6})
    messages = plausibility_warnings(a)
    assert [m.split(":")[0] for m in messages] == [
        "products.chip.unit_cost_usd",
        "products.chip.asp_usd",
    ]


@pytest.mark.parametrize("path", [None, *SCENARIOS], ids=["base", *(p.stem for p in SCENARIOS)])
def test_shipped_files_are_plausible(path: Path | None) -> None:
    assert plausibility_warnings(load(BASE, path).assumptions) == []
