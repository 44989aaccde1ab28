"""Invariants that hold for every valid input (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.analysis import party_arrays
from model.engine import Inputs, project
from model.loader import Scenario, apply_overrides, load, validate_raw
from model.outputs import series
from model.schema import Assumptions
from tests.conftest import BASE
from tests.strategies import assumptions, raw_assumptions

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


@SETTINGS
@given(assumptions())
def test_shipments_within_orders_stock_quota_and_cap(a: Assumptions) -> None:
    x = Inputs.from_assumptions([a])
    v = project(x).volumes
    available = (
        np.concatenate([x.inventory0[..., None], v.inventory[..., :-1]], axis=-1) + v.production
    )
    assert _close_or_below(v.shipments, v.open_orders)
    assert _close_or_below(v.shipments, available)
    assert _close_or_below(v.shipments, v.quota_room)
    assert _close_or_below(v.shipments.sum(axis=-1), x.cap)
    assert np.all(v.shipments >= 0)
    assert np.all(v.inventory >= -1e-6) and np.all(v.backlog >= -1e-6)


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
