"""Hand-checked cases, one or more per equation of docs/methodology.md §1–3.

Each expected value is derived in the test from the spec's formula on a tiny
one-product set-up (tests/factories.py), so a reader can check it with a pencil.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import equations as eq
from model.calendar import fiscal_quarter, fiscal_year, month_index, month_label
from tests.factories import first, run_tiny

TOL = dict(rtol=1e-12, atol=1e-9)


def ships(**kw: object) -> np.ndarray:
    return first(run_tiny(**kw).volumes.shipments)


# ---------------------------------------------------------------- §1 time


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2026-01", 0),
        ("2026-12", 11),
        ("2027-03", 14),
        ("2025-11", -2),
        ("never", np.inf),
    ],
)
def test_month_index(month: str, expected: float) -> None:
    assert month_index(month, "2026-01") == expected


def test_month_label_round_trip() -> None:
    assert [month_label(i, "2026-11") for i in (0, 1, 2, 14)] == [
        "2026-11",
        "2026-12",
        "2027-01",
        "2028-01",
    ]


@pytest.mark.parametrize(
    ("month", "fyem", "quarter"),
    [
        ("2026-01", 1, "FY2026-Q4"),  # Nvidia: January closes FY2026
        ("2026-02", 1, "FY2027-Q1"),  # FQ1 = Feb–Apr
        ("2026-04", 1, "FY2027-Q1"),
        ("2026-05", 1, "FY2027-Q2"),
        ("2026-11", 1, "FY2027-Q4"),
        ("2027-01", 1, "FY2027-Q4"),
        ("2026-03", 12, "FY2026-Q1"),  # December year end = calendar quarters
        ("2026-07", 6, "FY2027-Q1"),  # June year end: July opens FY2027
    ],
)
def test_fiscal_quarter(month: str, fyem: int, quarter: str) -> None:
    assert fiscal_quarter(month, fyem) == quarter
    assert fiscal_year(month, fyem) == quarter[:6]


# ---------------------------------------------------------------- §2 volumes


def test_quota_monthly_basis() -> None:
    # r = (1 - 0.5)/0.5 = 1 China unit per US unit; Room = r*U = 100 < D = 150
    assert ships(products__chip__china_demand_units_per_month=150.0).tolist() == [100.0] * 6


def test_quota_cumulative_basis_banks_unused_room() -> None:
    # s = 2/3 -> r = 0.5; U = 100; D = 80 * ramp with ramp over 3 months.
    kw = dict(
        policy__us_min_share=2 / 3,
        products__chip__china_demand_units_per_month=80.0,
        timeline__ramp_months=3,
    )
    d = [80 / 3, 160 / 3, 80, 80, 80, 80]
    r = 0.5
    x: list[float] = []
    for t in range(6):
        room = r * 100 * (t + 1) - sum(x)  # r*ΣU(Ts..t) - ΣX(Ts..t-1)
        x.append(min(d[t], room))
    np.testing.assert_allclose(ships(**kw, policy__quota_basis="cumulative"), x, **TOL)
    np.testing.assert_allclose(x, [80 / 3, 160 / 3, 70, 50, 50, 50], **TOL)
    # Monthly basis: room is r*U(t) = 50 each month, nothing banked.
    np.testing.assert_allclose(
        ships(**kw, policy__quota_basis="monthly"), [80 / 3, 50, 50, 50, 50, 50], **TOL
    )


def test_quota_room_metric_is_reported() -> None:
    p = run_tiny(policy__us_min_share=2 / 3, policy__quota_basis="cumulative")
    # D = 10 every month; room = 0.5*100*(t+1) - 10*t
    np.testing.assert_allclose(
        first(p.volumes.quota_room), [50 * (t + 1) - 10 * t for t in range(6)], **TOL
    )


def test_full_us_share_allows_no_china_units() -> None:
    assert ships(policy__us_min_share=1.0).tolist() == [0.0] * 6


def test_quota_exempt_product_ignores_us_shipments() -> None:
    out = ships(
        products__chip__quota_applies=False, products__chip__us_shipments_units_per_month=0.0
    )
    assert out.tolist() == [10.0] * 6


def test_licence_cap_limits_cumulative_shipments() -> None:
    # Cap(t) = 25 - ΣX(0..t-1): 10, 10, then 5, then nothing
    assert ships(products__chip__licence_cap_units=25.0).tolist() == [10, 10, 5, 0, 0, 0]


def test_backlog_and_stock() -> None:
    # Inv(0)=15, D=10, retention 0.5, no production
    p = run_tiny(products__chip__starting_inventory_units=15.0, demand__backlog_retention=0.5)
    x, b, inv = (first(a) for a in (p.volumes.shipments, p.volumes.backlog, p.volumes.inventory))
    exp_x, exp_b, exp_inv, stock, back = [], [], [], 15.0, 0.0
    for _ in range(6):
        orders = 10.0 + back
        ship = min(orders, stock)
        exp_b.append(back)
        exp_x.append(ship)
        stock -= ship
        exp_inv.append(stock)
        back = 0.5 * (orders - ship)
    np.testing.assert_allclose(x, exp_x, **TOL)
    np.testing.assert_allclose(b, exp_b, **TOL)
    np.testing.assert_allclose(inv, exp_inv, **TOL)
    assert exp_x == [10, 5, 0, 0, 0, 0] and exp_b[2] == 2.5


def test_ramp_after_licence_and_test_lag() -> None:
    # E = max(1, 2) = 2; Ts = E + 1 = 3; ramp(t) = min(1, (t - 3 + 1)/2)
    p = run_tiny(
        timeline__us_approval="2026-02",
        timeline__china_approval="2026-03",
        timeline__test_lag_months=1,
        timeline__ramp_months=2,
    )
    np.testing.assert_allclose(first(p.volumes.demand), [0, 0, 0, 5, 10, 10], **TOL)


def test_approval_before_horizon_start() -> None:
    # E = idx(2025-11) = -2, Ts = -2: ramp(0) = min(1, (0 + 2 + 1)/4) = 0.75
    p = run_tiny(
        timeline__us_approval="2025-11",
        timeline__china_approval="2025-10",
        timeline__ramp_months=4,
        demand__reference_start="2025-11",
    )
    np.testing.assert_allclose(first(p.volumes.demand), [7.5, 10, 10, 10, 10, 10], **TOL)


def test_erosion_per_month_of_delay() -> None:
    # E = 3 -> d = 3 months after reference_start; M = 0.9^3
    p = run_tiny(timeline__us_approval="2026-04", demand__erosion_per_month=0.1)
    np.testing.assert_allclose(first(p.volumes.demand), [0, 0, 0] + [10 * 0.9**3] * 3, **TOL)


def test_china_tariff_cuts_demand_through_elasticity() -> None:
    # M = (1 + 0.25)^(-2) = 0.64; C = 0.25 * R
    p = run_tiny(policy__china_import_tariff=0.25, demand__price_elasticity=2.0)
    np.testing.assert_allclose(first(p.volumes.demand), [6.4] * 6, **TOL)
    np.testing.assert_allclose(first(p.money.china_tariff), [0.25 * 6.4 * 100] * 6, **TOL)


def test_demand_growth() -> None:
    p = run_tiny(products__chip__china_demand_growth_per_year=0.2)
    np.testing.assert_allclose(
        first(p.volumes.demand), [10 * 1.2 ** (t / 12) for t in range(6)], **TOL
    )


def test_paused_production_restarts_after_lag_and_pays_suppliers() -> None:
    # E = 2, restart lag 1 -> Tp = 3; P = 20 from t = 3; S_mem = 10 * P, S_fab = 5 * P
    p = run_tiny(
        timeline__us_approval="2026-03",
        timeline__restart_lag_months=1,
        products__chip__production_paused=True,
        products__chip__production_capacity_units_per_month=20.0,
    )
    np.testing.assert_allclose(first(p.volumes.production), [0, 0, 0, 20, 20, 20], **TOL)
    np.testing.assert_allclose(p.money.suppliers[0, 0, 0], [0, 0, 0, 200, 200, 200], **TOL)
    np.testing.assert_allclose(p.money.suppliers[0, 0, 1], [0, 0, 0, 100, 100, 100], **TOL)


def test_unpaused_production_runs_even_without_licence() -> None:
    p = run_tiny(
        timeline__us_approval="never", products__chip__production_capacity_units_per_month=20.0
    )
    np.testing.assert_allclose(first(p.volumes.production), [20] * 6, **TOL)
    assert first(p.volumes.shipments).sum() == 0
    # Inv(t+1) = 1000 + 20 (t + 1): stock piles up, stranded
    np.testing.assert_allclose(first(p.volumes.inventory), [1000 + 20 * (t + 1) for t in range(6)])


def test_never_on_either_side_means_no_china_flows() -> None:
    for side in ("us_approval", "china_approval"):
        p = run_tiny(**{f"timeline__{side}": "never"}, demand__backlog_retention=1.0)
        for arr in (p.volumes.demand, p.volumes.backlog, p.volumes.shipments, p.money.gross):
            assert not first(arr).any()


# ---------------------------------------------------------------- §3 money


def test_price_path() -> None:
    p = run_tiny(products__chip__asp_change_per_year=-0.1)
    np.testing.assert_allclose(first(p.money.asp), [100 * 0.9 ** (t / 12) for t in range(6)], **TOL)


def test_revenue_share_levy_and_party_split() -> None:
    # X = 10, ASP = 100 -> R = 1000; G = 0.25 R; L = 2 X; V = R - G - L; GP = V - 40 X
    p = run_tiny(policy__test_fee_usd_per_unit=2.0)
    m = p.money
    np.testing.assert_allclose(first(m.gross), [1000] * 6, **TOL)
    np.testing.assert_allclose(first(m.government), [250] * 6, **TOL)
    np.testing.assert_allclose(first(m.labs), [20] * 6, **TOL)
    np.testing.assert_allclose(first(m.vendor_retained), [730] * 6, **TOL)
    np.testing.assert_allclose(first(m.cogs), [400] * 6, **TOL)
    np.testing.assert_allclose(first(m.gross_profit), [330] * 6, **TOL)


def test_import_tariff_mechanism_on_customs_value() -> None:
    # G = rate * customs_value_ratio * R = 0.25 * 0.6 * 1000
    p = run_tiny(policy__mechanism="import_tariff", policy__customs_value_ratio=0.6)
    np.testing.assert_allclose(first(p.money.government), [150] * 6, **TOL)


def test_customs_ratio_ignored_under_revenue_share() -> None:
    p = run_tiny(policy__customs_value_ratio=0.6)
    np.testing.assert_allclose(first(p.money.government), [250] * 6, **TOL)


def test_levy_ends() -> None:
    # levy(t) = 1 for t < idx(2026-04) = 3
    p = run_tiny(policy__levy_ends="2026-04")
    np.testing.assert_allclose(first(p.money.government), [250, 250, 250, 0, 0, 0], **TOL)


def test_product_share_rate_overrides_policy() -> None:
    p = run_tiny(products__chip__share_rate=0.15)
    np.testing.assert_allclose(first(p.money.government), [150] * 6, **TOL)


def test_npv_end_of_month_discounting() -> None:
    factors = eq.discount_factors(np.array([0.12]), 3)[0]
    np.testing.assert_allclose(
        factors, [1.12 ** (-1 / 12), 1.12 ** (-2 / 12), 1.12 ** (-3 / 12)], **TOL
    )
    assert eq.npv(np.array([100.0, 100.0, 100.0]), factors) == pytest.approx(
        100 * sum(1.12 ** (-(t + 1) / 12) for t in range(3)), rel=1e-14
    )


def test_quota_ratio() -> None:
    np.testing.assert_allclose(
        eq.quota_ratio(np.array([0.5, 2 / 3, 1.0, 0.2])), [1.0, 0.5, 0.0, 4.0], **TOL
    )
