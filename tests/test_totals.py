"""The kernel's totals mode, which the Monte Carlo runs: the numbers it keeps per path are
those taken from the monthly series (:func:`model.risk.simulate.reduce_paths`) to the last
bit, interpreted or compiled, for any products chosen in any order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import equations as eq
from model import recurrence
from model.analysis import MAIN_PARTIES, party_keys, party_series
from model.engine import (
    Inputs,
    project,
    project_totals,
    recurrence_args,
    shared_discount_factors,
)
from model.loader import Scenario, load
from model.risk.schema import load_risk
from model.risk.simulate import (
    DEFAULT_FAN,
    PARTY_MONEY,
    ChunkConfig,
    apply_draws,
    draws,
    first_month,
    money_columns,
    reduce_paths,
)
from model.schema import Assumptions
from tests.conftest import ASSUMPTIONS, BASE
from tests.strategies import assumptions, assumptions_with_actuals

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Kept = tuple[np.ndarray, ...]


def from_series(x: Inputs, products: Sequence[int], facts: int, keep: int) -> Kept:
    """What the Monte Carlo keeps per path, taken from the projection's monthly series:
    totals, NPV, the fan parties' monthly sums, revenue after the facts, first shipment
    and each product's first shipment after the facts."""
    proj = project(x)
    config = ChunkConfig(tuple(products), DEFAULT_FAN, facts, keep)
    totals, npv, monthly, after = reduce_paths(proj, config, keep)
    shipped = np.greater(proj.volumes.shipments, 0.0)[:, list(products)]
    return (
        totals,
        npv,
        *(monthly[key] for key in DEFAULT_FAN),
        after,
        first_month(shipped.any(axis=1)),
        first_month(shipped, facts).astype(np.float32),
    )


def from_totals(x: Inputs, products: Sequence[int], facts: int, keep: int) -> Kept:
    """The same from the kernel's totals mode, columns in the order of the parties."""
    parties = party_keys(x.supplier_ids)
    columns = money_columns(parties, x.supplier_ids)
    fan = [columns[parties.index(key)] for key in DEFAULT_FAN]
    t = project_totals(x, products, facts, fan, keep)
    return (
        t.total[:, columns],
        t.npv[:, columns],
        *t.fan,
        t.sells_after,
        t.first_shipment,
        t.next_shipment,
    )


def assert_same_bits(a: Kept, b: Kept) -> None:
    assert len(a) == len(b)
    for i, (u, v) in enumerate(zip(a, b, strict=True)):
        assert u.dtype == v.dtype and u.shape == v.shape, (i, u.dtype, v.dtype, u.shape, v.shape)
        assert u.tobytes() == v.tobytes(), (i, u, v)


def compiling(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    monkeypatch.setenv(recurrence.COMPILE_ENV, "1" if on else "0")


def varied(x: Inputs) -> Inputs:
    """Three variants of ``x`` that differ in demand, discount rate and the growth of
    demand and price (the kernel tabulates a growth rate only once it repeats)."""
    y = x.repeat(3)
    return replace(
        y,
        demand=y.demand * np.array([[1.0], [0.5], [3.0]]),
        discount_rate=y.discount_rate * np.array([1.0, 0.0, 2.0]),
        demand_growth=y.demand_growth * np.array([[1.0], [1.0], [0.5]]),
        asp_change=y.asp_change * np.array([[1.0], [0.5], [0.5]]),
    )


@st.composite
def choice(draw: st.DrawFn, products: int, months: int) -> tuple[list[int], int, int]:
    """Products in any order (a product may come twice), the last month of facts and the
    number of variants whose fan sums are kept."""
    chosen = draw(st.lists(st.integers(0, products - 1), min_size=1, max_size=products + 1))
    return chosen, draw(st.integers(-1, months - 1)), draw(st.integers(0, 3))


@SETTINGS
@given(st.one_of(assumptions(), assumptions_with_actuals()), st.data())
def test_totals_are_those_of_the_series_to_the_last_bit(
    a: Assumptions, data: st.DataObject
) -> None:
    x = varied(Inputs.from_assumptions([a]))
    products, facts, keep = data.draw(choice(len(x.product_ids), x.months))
    with pytest.MonkeyPatch.context() as mp:
        for on in (False, True):
            compiling(mp, on)
            assert_same_bits(
                from_totals(x, products, facts, keep), from_series(x, products, facts, keep)
            )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(assumptions(), assumptions_with_actuals()), st.data())
def test_compiled_totals_equal_interpreted_to_the_last_bit(
    a: Assumptions, data: st.DataObject
) -> None:
    x = varied(Inputs.from_assumptions([a]))
    products, facts, keep = data.draw(choice(len(x.product_ids), x.months))
    kwargs = {
        "products": products,
        "bom": x.bom,
        "bom_total": x.bom.sum(axis=-1),
        "discount": eq.discount_factors(x.discount_rate, x.months),
        "facts": facts,
        "fan_columns": list(range(len(recurrence.MONEY) + 1)),
        "keep": keep,
    }
    interpreted = recurrence.run_totals(*recurrence_args(x), **kwargs, compile_kernel=False)
    compiled = recurrence.run_totals(*recurrence_args(x), **kwargs, compile_kernel=True)
    assert_same_bits(interpreted, compiled)


@pytest.mark.parametrize("months", [36, 240])
@pytest.mark.parametrize("products", [[0, 1, 2, 3, 4], [3, 0], [4, 2, 0], [1, 1]])
def test_shipped_risk_paths_keep_the_series_totals(
    monkeypatch: pytest.MonkeyPatch, months: int, products: list[int]
) -> None:
    """Paths of the shipped risk file, on a horizon long enough for numpy to split its
    sums (more than 128 months) and on the shipped one."""
    a = load(BASE, Scenario(name="long", overrides={"horizon.months": months})).assumptions
    spec = load_risk(ASSUMPTIONS / "risk.yaml", a)
    base = Inputs.from_assumptions([a])
    x = apply_draws(base, spec, draws(spec, 11, 0, 300))
    compiling(monkeypatch, True)
    assert_same_bits(from_totals(x, products, 9, 120), from_series(x, products, 9, 120))


@pytest.mark.parametrize("on", [False, True])
def test_no_path_kept_for_the_fan_and_no_facts(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    x = varied(Inputs.from_assumptions([load(BASE).assumptions]))
    compiling(monkeypatch, on)
    kept = from_totals(x, [0, 1], -1, 0)
    assert all(fan.shape == (0, x.months) for fan in kept[2:6])
    assert_same_bits(kept, from_series(x, [0, 1], -1, 0))


@pytest.mark.parametrize(
    "count",
    [*range(1, 18), 31, 32, 33, 36, 120, 127, 128, 129, 136, 200, 240, 256, 257, 1000, 1029],
)
def test_numpy_sum_is_numpys_sum(count: int) -> None:
    """The kernel's sums of a row follow numpy's pairwise order, the split of long rows
    included."""
    rng = np.random.default_rng(count)
    values = rng.standard_normal((3, count)) * 10.0 ** rng.integers(-8, 12, (3, count))
    for row in range(3):
        expected = np.sum(values[row])
        assert recurrence.numpy_sum(values, row).hex() == float(expected).hex()


def test_every_party_has_a_totals_column() -> None:
    """The kernel's columns of the parties are the money that model.analysis gives them."""
    assert set(PARTY_MONEY) == set(MAIN_PARTIES)
    x = Inputs.from_assumptions([load(BASE).assumptions])
    proj = project(x)
    series = party_series(proj)
    columns = money_columns(list(series), x.supplier_ids)
    assert sorted(columns) == list(range(len(recurrence.MONEY) + 1 + len(x.supplier_ids)))
    out = dict(zip(recurrence.SERIES, recurrence.run(x.months, *recurrence_args(x)), strict=True))
    for key in MAIN_PARTIES:
        name = PARTY_MONEY[key]
        if name != recurrence.SUPPLIERS:
            np.testing.assert_array_equal(series[key], out[name], err_msg=key)


@pytest.mark.parametrize(
    "rates",
    [[0.1] * 6, [0.1, 0.1, 0.08, np.nan, -0.0, 0.0, np.inf], [0.05], [-0.0, 0.0], [np.nan] * 3],
)
def test_discount_factors_of_a_shared_rate_are_those_of_each_path(rates: list[float]) -> None:
    """The totals mode computes the powers once when every path has the same rate: the
    same factors, to the bit, as one row per path."""
    r = np.array(rates)
    shared = shared_discount_factors(r, 36)
    assert shared.shape == (len(r), 36) and shared.flags["C_CONTIGUOUS"]
    assert shared.tobytes() == eq.discount_factors(r, 36).tobytes()
