"""Invariants that hold for every valid input (hypothesis)."""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from model import recurrence
from model.analysis import party_arrays
from model.engine import Inputs, Volumes, project, recurrence_args
from model.loader import Scenario, apply_overrides, load, validate_raw
from model.outputs import series
from model.schema import Assumptions
from tests.conftest import BASE
from tests.strategies import assumptions, assumptions_with_actuals, raw_assumptions

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _close_or_below(a: np.ndarray, b: np.ndarray) -> bool:
    """a <= b up to rounding of the magnitudes involved."""
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(np.where(np.isfinite(b), b, 0))))
    return bool(np.all(a <= b + 1e-9 * scale))


@SETTINGS
@given(assumptions())
def test_money_is_conserved_every_month(a: Assumptions) -> None:
    m = project(Inputs.from_assumptions([a])).money
    scale = np.maximum(1.0, np.abs(m.gross))
    assert np.all(np.abs(m.gross - (m.government + m.labs + m.vendor_retained)) <= 1e-9 * scale)
    assert np.all(np.abs(m.gross_profit - (m.vendor_retained - m.cogs)) <= 1e-9 * scale)


def _stock_before(x: Inputs, v: Volumes) -> np.ndarray:
    """Inv(t): the stock at the start of each month."""
    return np.concatenate([x.inventory0[..., None], v.inventory[..., :-1]], axis=-1)


def _check_shipment_bounds(x: Inputs, v: Volumes) -> None:
    """X(t) within orders, stock, quota, cap and China's allowance, and only while
    active (Ts <= t < End); a reported actual month is a fact, bound by stock only."""
    formula = v.actual == 0
    ship = np.where(formula, v.shipments, 0.0)
    t = np.arange(x.months)
    active = (t >= v.first_shipment[..., None]) & (t < v.licence_end[..., None])
    assert _close_or_below(v.shipments, _stock_before(x, v) + v.production)
    assert _close_or_below(ship, v.open_orders)
    assert _close_or_below(ship, v.quota_room)
    assert _close_or_below(ship, v.cap_left)
    assert _close_or_below(ship, v.allowance_left)
    assert _close_or_below(ship, v.need)
    assert not np.any(ship[~active]), "shipments outside Ts <= t < End"
    assert np.all(v.shipments >= 0)
    assert np.all(v.inventory >= -1e-6) and np.all(v.backlog >= -1e-6)


@SETTINGS
@given(assumptions())
def test_shipments_within_orders_stock_quota_cap_and_allowance(a: Assumptions) -> None:
    x = Inputs.from_assumptions([a])
    v = project(x).volumes
    _check_shipment_bounds(x, v)
    if all(p.actual_shipments is None for p in a.products):
        assert _close_or_below(v.shipments.sum(axis=-1), x.cap)
        alloc_total = x.allowance[..., -1]
        assert _close_or_below(v.shipments.sum(axis=-1), alloc_total)


def _tiny_excess() -> Assumptions:
    """Found by hypothesis: the stock (7e-141 units) all ships in an unreported month, then
    2e-141 units are reported; an excess within the loader's 1e-9 units is accepted."""
    product = {
        "id": "p1", "name": "Chip p1", "vendor": "V", "asp_usd": 1.0,
        "asp_change_per_year": 0.0, "unit_cost_usd": 0.0, "quota_applies": False,
        "china_demand_units_per_month": 1.0, "china_demand_growth_per_year": 0.0,
        "us_shipments_units_per_month": 0.0, "starting_inventory_units": 7.238093939715189e-141,
        "production_capacity_units_per_month": 0.0, "production_paused": False,
        "actual_shipments": {"2024-01": 0.0, "2024-02": 0.0, "2024-04": 2.412697979905063e-141},
    }  # fmt: skip
    raw = {
        "horizon": {"start": "2024-01", "months": 4, "fiscal_year_end_month": 1,
                    "as_of": "2024-04"},
        "discount_rate": 0.0,
        "policy": {"mechanism": "revenue_share", "share_rate": 0.0, "customs_value_ratio": 0.0,
                   "levy_ends": None, "us_min_share": 1.0, "quota_basis": "cumulative",
                   "china_import_tariff": 0.0, "test_fee_usd_per_unit": 0.0},
        "timeline": {"us_approval": "2024-01", "china_approval": "2024-01", "test_lag_months": 0,
                     "restart_lag_months": 0, "ramp_months": 1},
        "demand": {"reference_start": "2024-01", "erosion_per_month": 0.0,
                   "backlog_retention": 0.0, "price_elasticity": 0.0},
        "products": [product],
    }  # fmt: skip
    return validate_raw(raw, "example")


@SETTINGS
@given(assumptions_with_actuals())
@example(_tiny_excess())
def test_actual_months_reproduced_exactly(a: Assumptions) -> None:
    """A reported month ships what was reported, to the bit, unless the report exceeds the
    stock plus production by less than the loader's tolerance (1e-9 units, a rounding
    residue): then it ships what there is (docs/methodology.md §2.4)."""
    x = Inputs.from_assumptions([a])
    v = project(x).volumes
    mask = np.broadcast_to(x.actual_mask, v.shipments.shape)
    reported = np.broadcast_to(x.actual, mask.shape)[mask]
    shipped, excess = v.shipments[mask], v.actual_excess[mask]
    assert (excess <= 1e-9).all()  # a larger excess is refused when loading
    exact = excess == 0.0
    np.testing.assert_array_equal(shipped[exact], reported[exact])
    assert (shipped[~exact] <= reported[~exact]).all()
    np.testing.assert_allclose(shipped[~exact], reported[~exact], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(v.actual, mask.astype(float))
    _check_shipment_bounds(x, v)


@SETTINGS
@given(st.one_of(assumptions(), assumptions_with_actuals()))
def test_build_to_order_makes_no_more_than_shipments_beyond_stock(a: Assumptions) -> None:
    x = Inputs.from_assumptions([a])
    v = project(x).volumes
    shortfall = np.maximum(0.0, v.shipments - _stock_before(x, v))
    bto = np.broadcast_to(x.build_to_order[..., None], v.production.shape)
    assert _close_or_below(v.production[bto], shortfall[bto])


@SETTINGS
@given(raw_assumptions())
def test_v2_keys_at_their_defaults_change_nothing(raw: dict) -> None:
    """A version-1 file (no v2 keys) and the same file with every v2 key written at its
    default give the same projection: v1 inputs keep their v1 results."""
    for p in raw["products"]:
        for key in ("us_approval", "china_approval", "licence_ends", "china_allocations",
                    "production_rule", "tpp", "dram_bandwidth_gbps"):  # fmt: skip
            p.pop(key, None)
    raw.pop("vendors", None)
    v1 = series(project(Inputs.from_assumptions([validate_raw(raw, "v1")])))
    explicit = copy.deepcopy(raw)
    explicit["timeline"]["licence_ends"] = None
    explicit["horizon"]["as_of"] = None
    explicit["vendors"] = {}
    for p in explicit["products"]:
        p.update(us_approval=None, china_approval=None, licence_ends=None, china_allocations=None,
                 actual_shipments=None, production_rule="capacity", tpp=None)  # fmt: skip
    v2 = series(project(Inputs.from_assumptions([validate_raw(explicit, "v2")])))
    for name, arr in v1.items():
        np.testing.assert_array_equal(arr, v2[name], err_msg=name)


@SETTINGS
@given(assumptions())
def test_no_nan_or_infinity(a: Assumptions) -> None:
    p = project(Inputs.from_assumptions([a]))
    for name, arr in series(p).items():
        assert np.all(np.isfinite(arr)), name
    assert np.all(np.isfinite(p.money.suppliers))
    for party, (tot, npv) in party_arrays(p).items():
        assert np.all(np.isfinite(tot)) and np.all(np.isfinite(npv)), party


@SETTINGS
@given(raw_assumptions(), st.sampled_from(["us_approval", "china_approval"]))
def test_never_on_either_side_gives_zero_china_revenue(raw: dict, side: str) -> None:
    raw["timeline"][side] = "never"
    for p in raw["products"]:
        p.pop(side, None)  # inherit the timeline's 'never'
    p = project(Inputs.from_assumptions([validate_raw(raw, "hypothesis")]))
    assert not p.money.gross.any() and not p.volumes.shipments.any()
    assert not p.volumes.demand.any() and not p.volumes.backlog.any()


@SETTINGS
@given(st.lists(assumptions(), min_size=2, max_size=4))
def test_stacked_variants_equal_one_by_one(variants: list[Assumptions]) -> None:
    # Give all variants the first one's horizon and product ids so they can be stacked.
    first = variants[0]
    aligned = []
    for a in variants:
        raw = a.model_dump()
        raw["horizon"] = first.horizon.model_dump()
        prods = [dict(p) for p in raw["products"]]
        raw["products"] = [
            {**prods[i % len(prods)], "id": fp.id} for i, fp in enumerate(first.products)
        ]
        aligned.append(validate_raw(raw, "hypothesis"))
    together = series(project(Inputs.from_assumptions(aligned)))
    for i, a in enumerate(aligned):
        alone = series(project(Inputs.from_assumptions([a])))
        for name, arr in alone.items():
            np.testing.assert_array_equal(together[name][i], arr[0], err_msg=name)


def test_empty_scenario_reproduces_base_exactly() -> None:
    base = load(BASE)
    empty = load(BASE, Scenario(name="empty"))
    assert base.assumptions == empty.assumptions
    raw, problems = apply_overrides(base.raw, {}, "empty")
    assert not problems and raw == base.raw
    a, b = (series(project(Inputs.from_assumptions([x.assumptions]))) for x in (base, empty))
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(assumptions(), assumptions_with_actuals()))
def test_compiled_recurrence_equals_interpreted_to_the_last_bit(a: Assumptions) -> None:
    """The recurrence is one piece of scalar code, run interpreted or compiled: both
    must give identical numbers."""
    x = Inputs.from_assumptions([a]).repeat(3)
    args = recurrence_args(x)
    np.testing.assert_array_equal(
        recurrence.run(x.months, *args, compile_kernel=False),
        recurrence.run(x.months, *args, compile_kernel=True),
    )
