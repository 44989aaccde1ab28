"""Hand-checked cases for each equation that version 2 of the contract adds
(docs/methodology.md §1–§3): allowance batches, licence end, build-to-order
production, reported actuals, vendors' fiscal calendars and EPS, exported compute,
the corrected cost of delay and the cost of the next month.

The tiny case ships 10 units a month from stock at $100 (cost $40, 25% levy, no
quota binding, no backlog), so every expected value below follows with a pencil.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from model.analysis import cost_of_delay, cost_of_next_month, run
from model.cli import main
from model.engine import Inputs, actual_excess, project
from model.loader import InputError, validate_raw
from model.outputs import aggregate, fiscal_calendars, long_frame
from model.schema import H100_TPP
from tests.factories import TINY, first, run_tiny, tiny

GP_PER_UNIT = 100 - 25 - 40  # price less the 25% levy less the unit cost


def shipments(**overrides: object) -> list[float]:
    return first(run_tiny(**overrides).volumes.shipments).tolist()


def value(frame, **match):  # type: ignore[no-untyped-def]
    sel = frame
    for k, v in match.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, match
    return sel.iloc[0]


# ---------------------------------------------------------------- §2.1 dates


def test_per_product_dates_override_the_timeline() -> None:
    # The product's own China approval (March) wins over the timeline's January.
    assert shipments(products__chip__china_approval="2026-03") == [0, 0, 10, 10, 10, 10]
    # A product without its own date inherits the timeline's.
    assert shipments(timeline__us_approval="2026-05") == [0, 0, 0, 0, 10, 10]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"timeline__licence_ends": "2026-04"}, [10, 10, 10, 0, 0, 0]),
        ({"products__chip__licence_ends": "2026-02"}, [10, 0, 0, 0, 0, 0]),
        # the product's 'never' beats the timeline's end
        ({"timeline__licence_ends": "2026-02", "products__chip__licence_ends": "never"}, [10] * 6),
        ({"timeline__licence_ends": None}, [10] * 6),
    ],
    ids=["timeline-end", "product-end", "product-never-wins", "null-never-ends"],
)
def test_licence_end_stops_shipments(overrides: dict[str, object], expected: list[float]) -> None:
    assert shipments(**overrides) == expected


# ---------------------------------------------------------------- §2.2 allowances


def test_allowance_batches_including_one_before_the_horizon() -> None:
    # 15 units approved in Nov 2025 (count from t=0) and 20 more in March 2026:
    # Alloc = 15, 15, 35, 35, 35, 35; demand 10 a month, nothing carried over.
    batches = [{"month": "2025-11", "units": 15.0}, {"month": "2026-03", "units": 20.0}]
    p = run_tiny(products__chip__china_allocations=batches)
    assert first(p.volumes.shipments).tolist() == [10, 5, 10, 10, 0, 0]
    # max(0, Left(t)) = Alloc(t) - shipped before
    assert first(p.volumes.allowance_left).tolist() == [15, 5, 20, 10, 0, 0]
    frame = long_frame(p)
    assert "china_allowance_units" in set(frame["metric"])


def test_empty_allowance_list_ships_nothing_and_null_is_unlimited() -> None:
    assert shipments(products__chip__china_allocations=[]) == [0] * 6
    p = run_tiny(products__chip__china_allocations=None)
    assert first(p.volumes.shipments).tolist() == [10] * 6
    assert "china_allowance_units" not in set(long_frame(p)["metric"])


def test_allowance_left_only_in_active_months() -> None:
    batches = [{"month": "2026-01", "units": 25.0}]
    p = run_tiny(products__chip__china_allocations=batches, timeline__china_approval="2026-03")
    assert first(p.volumes.allowance_left).tolist() == [0, 0, 25, 15, 5, 0]
    assert first(p.volumes.shipments).tolist() == [0, 0, 10, 10, 5, 0]


# ---------------------------------------------------------------- §2.3 production


def test_build_to_order_makes_only_what_orders_need_beyond_stock() -> None:
    # 5 in stock, capacity 8: month 0 makes 5 (10 - 5) and ships 10; then 8 a month.
    p = run_tiny(
        products__chip__production_rule="build_to_order",
        products__chip__starting_inventory_units=5.0,
        products__chip__production_capacity_units_per_month=8.0,
    )
    assert first(p.volumes.production).tolist() == [5, 8, 8, 8, 8, 8]
    assert first(p.volumes.shipments).tolist() == [10, 8, 8, 8, 8, 8]
    assert first(p.volumes.inventory).tolist() == [0] * 6


def test_build_to_order_waits_for_the_restart_lag() -> None:
    # Paused, restart 2 months after the licence (t=0): stock of 15 ships 10 then 5;
    # production from month 2 covers the 10 ordered (capacity 8).
    p = run_tiny(
        products__chip__production_rule="build_to_order",
        products__chip__production_paused=True,
        timeline__restart_lag_months=2,
        products__chip__starting_inventory_units=15.0,
        products__chip__production_capacity_units_per_month=8.0,
    )
    assert first(p.volumes.production).tolist() == [0, 0, 8, 8, 8, 8]
    assert first(p.volumes.shipments).tolist() == [10, 5, 8, 8, 8, 8]


def test_capacity_rule_produces_whatever_sells() -> None:
    # The v1 rule: capacity every month once running, the surplus piles up.
    p = run_tiny(products__chip__production_capacity_units_per_month=8.0)
    assert first(p.volumes.production).tolist() == [8] * 6
    assert first(p.volumes.inventory)[-1] == 1000 + 6 * 8 - 6 * 10


def test_build_to_order_with_plenty_of_stock_makes_nothing() -> None:
    p = run_tiny(
        products__chip__production_rule="build_to_order",
        products__chip__production_capacity_units_per_month=8.0,
    )
    assert first(p.volumes.production).tolist() == [0] * 6
    assert first(p.money.suppliers).sum() == 0


# ---------------------------------------------------------------- §2.4 actuals


def test_an_actual_month_replaces_the_formula() -> None:
    p = run_tiny(horizon__as_of="2026-03", products__chip__actual_shipments={"2026-02": 3.0})
    assert first(p.volumes.shipments).tolist() == [10, 3, 10, 10, 10, 10]
    assert first(p.volumes.actual).tolist() == [0, 1, 0, 0, 0, 0]
    frame = long_frame(p)
    flags = frame[frame.metric == "shipments_actual"]["value"].tolist()
    assert flags == [0, 1, 0, 0, 0, 0]
    # money follows the reported units: 3 x $100
    assert first(p.money.gross)[1] == 300


def test_an_actual_above_orders_is_shipped_and_leaves_no_backlog() -> None:
    p = run_tiny(
        horizon__as_of="2026-02",
        demand__backlog_retention=1.0,
        products__chip__actual_shipments={"2026-01": 25.0},
    )
    assert first(p.volumes.shipments)[0] == 25
    assert first(p.volumes.backlog)[1] == 0  # max(0, O - X) carried


def test_build_to_order_production_follows_an_actual() -> None:
    p = run_tiny(
        horizon__as_of="2026-06",
        products__chip__production_rule="build_to_order",
        products__chip__starting_inventory_units=0.0,
        products__chip__production_capacity_units_per_month=8.0,
        products__chip__actual_shipments={"2026-02": 3.0},
    )
    # min(capacity, max(0, X - Inv)) = min(8, 3 - 0) = 3 in the actual month
    assert first(p.volumes.production).tolist() == [8, 3, 8, 8, 8, 8]
    assert first(p.volumes.shipments).tolist() == [8, 3, 8, 8, 8, 8]


def test_an_actual_above_stock_is_rejected_naming_product_month_and_numbers() -> None:
    with pytest.raises(InputError) as err:
        tiny(
            horizon__as_of="2026-03",
            products__chip__starting_inventory_units=0.0,
            products__chip__actual_shipments={"2026-02": 5.0},
        )
    text = str(err.value)
    assert "products.chip.actual_shipments.2026-02" in text
    assert "5 units" in text and "(0 units)" in text


def test_actual_excess_reports_product_month_and_numbers() -> None:
    a = tiny(horizon__as_of="2026-03", products__chip__actual_shipments={"2026-02": 5.0})
    x = Inputs.from_assumptions([a])
    assert actual_excess(x) == []
    inv = x.inventory0.copy()
    inv[:] = 2.0
    from dataclasses import replace

    assert actual_excess(replace(x, inventory0=inv)) == [(0, 1, 5.0, 0.0)]


@pytest.mark.parametrize(
    ("overrides", "path", "rule"),
    [
        ({"products__chip__actual_shipments": {"2026-04": 1.0}, "horizon__as_of": "2026-03"},
         "products.chip.actual_shipments.2026-04", "at or before horizon.as_of"),
        ({"products__chip__actual_shipments": {"2025-12": 1.0}, "horizon__as_of": "2026-03"},
         "products.chip.actual_shipments.2025-12", "inside the horizon"),
        ({"products__chip__actual_shipments": {"2026-02": 1.0}},
         "products.chip.actual_shipments.2026-02", "needs horizon.as_of"),
        ({"products__chip__china_allocations": [{"month": "2026-02", "units": -1.0}]},
         "products.chip.china_allocations.0.units", "greater than or equal to 0"),
        ({"products__chip__china_allocations": [{"month": "Feb 2026", "units": 1.0}]},
         "products.chip.china_allocations.0.month", "YYYY-MM"),
        ({"vendors__Nobody__tax_rate": 0.1}, "vendors.Nobody", "unknown vendor"),
        ({"products__chip__tpp": "fast"}, "products.chip.tpp", "number"),
        ({"products__chip__us_approval": "2026-3"}, "products.chip.us_approval", "YYYY-MM"),
        ({"products__chip__production_rule": "lean"}, "products.chip.production_rule", "capacity"),
    ],
    ids=["actual-after-as-of", "actual-before-horizon", "actual-without-as-of",
         "negative-batch", "bad-batch-month", "unknown-vendor", "tpp-text",
         "product-date-not-a-month", "unknown-production-rule"],
)  # fmt: skip
def test_bad_v2_input_names_the_path_and_rule(
    overrides: dict[str, object], path: str, rule: str
) -> None:
    with pytest.raises(InputError) as err:
        tiny(**overrides)
    text = str(err.value)
    assert path in text and rule in text, text


# ---------------------------------------------------------------- §3 vendors, EPS, compute


def test_december_fiscal_year_end_quarters_and_eps() -> None:
    a = tiny(
        vendors__Vendor__fiscal_year_end_month=12,
        vendors__Vendor__tax_rate=0.2,
        vendors__Vendor__diluted_shares=1000.0,
    )
    res = run([a], ["s"])
    q1 = value(res.vendors, vendor="Vendor", period_kind="fiscal_quarter", period="FY2026-Q1")
    gp = 3 * 10 * GP_PER_UNIT  # Jan–Mar
    assert q1.gross_profit_usd == pytest.approx(gp)
    assert q1.profit_after_tax_usd == pytest.approx(gp * 0.8)
    assert q1.eps_usd == pytest.approx(gp * 0.8 / 1000)
    fy = value(res.vendors, vendor="Vendor", period_kind="fiscal_year", period="FY2026")
    assert fy.months_in_period == 6
    assert fy.gross_profit_usd == pytest.approx(6 * 10 * GP_PER_UNIT)
    frame = long_frame(res.projection)
    fq = aggregate(frame, "fiscal_quarter", fiscal_calendars(res.projection))
    assert sorted(set(fq["period"])) == ["FY2026-Q1", "FY2026-Q2"]


def test_eps_is_undefined_without_tax_rate_or_shares_and_january_is_the_default() -> None:
    res = run([tiny(vendors__Vendor__tax_rate=0.2)], ["s"])
    row = value(res.vendors, vendor="Vendor", period_kind="fiscal_quarter", period="FY2026-Q4")
    assert row.months_in_period == 1  # January closes FY2026 with a January year end
    assert np.isnan(row.eps_usd)


def test_exported_compute_in_tpp_and_h100_equivalents() -> None:
    p = run_tiny(products__chip__tpp=2 * H100_TPP)
    assert first(p.money.compute_tpp).tolist() == [2 * H100_TPP * 10] * 6
    assert first(p.money.h100_equivalents).tolist() == pytest.approx([20.0] * 6)
    assert {"compute_tpp", "compute_h100_equivalents"} <= set(long_frame(p)["metric"])
    assert "compute_tpp" not in set(long_frame(run_tiny())["metric"])


def test_licence_policy_warning_for_a_chip_above_the_limits() -> None:
    assert tiny(products__chip__tpp=15832.0).licence_policy_warnings() == []
    (warning,) = tiny(products__chip__tpp=29000.0).licence_policy_warnings()
    assert "products.chip" in warning and "TPP 29,000" in warning
    (warning,) = tiny(products__chip__dram_bandwidth_gbps=7000.0).licence_policy_warnings()
    assert "DRAM bandwidth 7,000 GB/s" in warning


# ---------------------------------------------------------------- cost of delay (v2)


def test_cost_of_delay_is_zero_at_the_reference() -> None:
    # Demand begins in March and both approvals come in March: no delay, no cost
    # (version 1 measured against the horizon start and showed a cost here).
    a = tiny(
        demand__reference_start="2026-03",
        timeline__us_approval="2026-03",
        timeline__china_approval="2026-03",
    )
    cod = cost_of_delay([a], ["on time"])
    assert np.all(cod["total_usd"] == 0) and np.all(cod["npv_usd"] == 0)
    gross = value(cod, product="chip", party="china_gross_revenue")
    assert gross.delay_months == 0 and np.isnan(gross.total_per_month_usd)


def test_cost_of_delay_removes_allocations_and_actuals_from_the_reference() -> None:
    # Approved at the reference but China allows only 20 units: the reference ships
    # 6 x 10, the scenario 20, so the cost is 40 units x $100 with d = 0 (no per month).
    a = tiny(products__chip__china_allocations=[{"month": "2026-01", "units": 20.0}])
    gross = value(cost_of_delay([a], ["rationed"]), product="chip", party="china_gross_revenue")
    assert gross.total_usd == 4000 and gross.delay_months == 0
    assert np.isnan(gross.total_per_month_usd)


def test_cost_per_month_is_per_product_and_summed_over_products() -> None:
    # Product 'late' licensed 2 months after demand began (d = 2): 20 units lost
    # = $2,000, $1,000 a month; product 'chip' on time (undefined per month).
    raw = copy.deepcopy(TINY)
    raw["products"].append(raw["products"][0] | {"id": "late", "china_approval": "2026-03"})
    b = validate_raw(raw, "two products")
    cod = cost_of_delay([b], ["s"])
    late = value(cod, product="late", party="china_gross_revenue")
    assert late.delay_months == 2 and late.total_usd == 2000 and late.total_per_month_usd == 1000
    both = value(cod, product="all", party="china_gross_revenue")
    assert both.total_per_month_usd == 1000  # only 'late' has a defined per-month cost
    assert np.isnan(both.delay_months)  # products' delays differ


def test_cost_of_the_next_month_moves_only_approvals_still_to_come() -> None:
    # China approves in March; facts as of January: March moves to April, one month
    # (10 units, $1,000 of revenue, $250 of levy) is lost.
    a = tiny(timeline__china_approval="2026-03", horizon__as_of="2026-01")
    nm = cost_of_next_month([a], ["s"])
    assert value(nm, product="chip", party="china_gross_revenue").total_usd == 1000
    assert value(nm, product="all", party="us_government").total_usd == 250
    # An approval at or before as_of is a fact and does not move.
    b = tiny(timeline__china_approval="2026-03", horizon__as_of="2026-03")
    assert np.all(cost_of_next_month([b], ["s"])["total_usd"] == 0)
    # Without as_of, every approval from the horizon start on moves.
    c = tiny(timeline__china_approval="2026-03")
    assert (
        value(cost_of_next_month([c], ["s"]), product="chip", party="china_gross_revenue")[
            "total_usd"
        ]
        == 1000
    )


def test_never_approved_stays_never_when_postponed() -> None:
    a = tiny(timeline__china_approval="never", horizon__as_of="2026-01")
    assert np.all(cost_of_next_month([a], ["s"])["total_usd"] == 0)


def test_money_is_conserved_with_v2_features() -> None:
    a = tiny(
        horizon__as_of="2026-02",
        products__chip__actual_shipments={"2026-01": 4.0},
        products__chip__china_allocations=[{"month": "2026-01", "units": 30.0}],
        products__chip__production_rule="build_to_order",
        policy__test_fee_usd_per_unit=2.0,
    )
    m = project(Inputs.from_assumptions([a])).money
    assert np.allclose(m.gross, m.government + m.labs + m.vendor_retained)


@pytest.mark.parametrize(
    ("edit", "path", "rule"),
    [
        (lambda r: r["products"][0].update(china_allocations=[{"month": "2026-02", "units": -5}]),
         "products.chip.china_allocations.0.units", "greater than or equal to 0"),
        (lambda r: r["products"][0].update(china_allocations=[{"month": "2026-13", "units": 5}]),
         "products.chip.china_allocations.0.month", "YYYY-MM"),
        (lambda r: (r["horizon"].update(as_of="2026-02"),
                    r["products"][0].update(actual_shipments={"2026-04": 1.0})),
         "products.chip.actual_shipments.2026-04", "at or before horizon.as_of"),
        (lambda r: (r["horizon"].update(as_of="2026-06"),
                    r["products"][0].update(actual_shipments={"2027-01": 1.0})),
         "products.chip.actual_shipments.2027-01", "at or before horizon.as_of"),
        (lambda r: r.update(vendors={"Nobody": {"tax_rate": 0.2}}), "vendors.Nobody",
         "unknown vendor"),
        (lambda r: r["products"][0].update(tpp="fast"), "products.chip.tpp", "number"),
        (lambda r: r["products"][0].update(china_approval="March 2026"),
         "products.chip.china_approval", "YYYY-MM"),
    ],
    ids=["negative-batch", "bad-batch-month", "actual-after-as-of", "actual-outside-horizon",
         "unknown-vendor", "tpp-text", "product-date-not-a-month"],
)  # fmt: skip
def test_bad_v2_input_on_the_command_line_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, path: str, rule: str
) -> None:
    raw = copy.deepcopy(TINY)
    edit(raw)
    src = tmp_path / "bad.yaml"
    src.write_text(yaml.safe_dump(raw, sort_keys=False))
    out = tmp_path / "out.csv"
    assert main(["project", str(src), "--csv", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and path in err and rule in err, err
    assert "Traceback" not in err and not out.exists()
