"""The pace of China's future batches in a risk file: hand cases, the same batches written
as a scenario, validation, and the other new risk-file inputs of version 2."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from model.analysis import party_totals, run
from model.engine import Inputs, project
from model.loader import InputError, Scenario, load
from model.risk import pace
from model.risk.schema import load_risk, validate_risk
from model.risk.sensitivity import tornado
from model.risk.simulate import apply_draws, simulate
from model.schema import Assumptions

from .conftest import ASSUMPTIONS, BASE
from .factories import tiny

RISK = ASSUMPTIONS / "risk.yaml"
H200 = "products.h200.china_allocations"


@pytest.fixture(scope="module")
def base() -> Assumptions:
    return load(BASE).assumptions


def fixed(value: Any) -> dict[str, Any]:
    return {"kind": "discrete", "values": [value], "probabilities": [1.0]}


def risk(distributions: dict[str, Any], correlations: list[Any] | None = None) -> dict[str, Any]:
    return {"name": "test", "distributions": distributions, "correlations": correlations or []}


def problems(raw: dict[str, Any], a: Assumptions) -> list[str]:
    with pytest.raises(InputError) as exc:
        validate_risk(raw, a, "bad.yaml")
    return [str(p) for p in exc.value.problems]


def pace_entries(pid: str = "h200", **values: Any) -> dict[str, Any]:
    return {f"products.{pid}.china_allocations.{k}": fixed(v) for k, v in values.items()}


def allowance_row(a: Assumptions, spec: Any, pid: str) -> np.ndarray:
    x = np.array([[m.pmf.values[0] for m in spec.marginals]])
    inputs = apply_draws(Inputs.from_assumptions([a]), spec, x)
    return inputs.allowance[0, inputs.product_ids.index(pid)]


# ---------------------------------------------------------------- the equation


def test_batch_allowance_by_hand() -> None:
    """Granted 20,000 in month 5; then 2 buyers x 10,000 every 3 months from month 10,
    none from month 19 on: batches in 10, 13, 16 (19 is the stop)."""
    granted = np.where(np.arange(24) >= 5, 20000.0, 0.0)
    got = pace.batch_allowance(
        granted,
        units=np.array([10000.0]),
        buyers=np.array([2.0]),
        gap=np.array([3.0]),
        first=np.array([10.0]),
        stops=np.array([19.0]),
    )[0]
    expected = [0] * 5 + [20000] * 5 + [40000] * 3 + [60000] * 3 + [80000] * 8
    assert got.tolist() == expected


def test_batch_allowance_in_place_is_the_vectorised_formula() -> None:
    """The in-place steps give the formula of the docstring evaluated in one expression,
    to the bit; a path whose first batch is not a number has none (as ``since >= 0`` is
    false for it)."""
    rng = np.random.default_rng(3)
    n, months = 400, 30
    granted = np.cumsum(rng.integers(0, 2, months) * 1000.0)
    units = rng.uniform(0.0, 15000.0, n)
    buyers = rng.choice([0.0, 2.0, 4.0, 10.0], n)
    gap = rng.integers(1, 7, n).astype(float)
    first = rng.integers(-3, 40, n).astype(float)
    first[:5] = np.nan
    stops = np.where(rng.random(n) < 0.7, np.inf, rng.integers(0, 40, n).astype(float))
    t = np.arange(months, dtype=float)
    since = np.minimum(t[None, :], stops[:, None] - 1.0) - first[:, None]
    count = np.where(since >= 0.0, np.floor(np.maximum(since, 0.0) / gap[:, None]) + 1.0, 0.0)
    expected = granted[None, :] + (units * buyers)[:, None] * count
    got = pace.batch_allowance(granted, units, buyers, gap, first, stops)
    assert got.tobytes() == expected.tobytes()


def test_default_next_batch() -> None:
    """``months_between`` after the last granted batch, but not before the month after
    the facts; with nothing granted, ``months_between`` after the facts."""
    gap = np.array([2.0, 4.0, 6.0])
    assert pace.default_next_batch(5.0, 9.0, gap).tolist() == [10.0, 10.0, 11.0]
    assert pace.default_next_batch(-math.inf, 9.0, gap).tolist() == [11.0, 13.0, 15.0]


# ---------------------------------------------------------------- drawn paces


def test_a_drawn_pace_gives_the_hand_derived_allowance(base: Assumptions) -> None:
    """Base: 20,000 H200 granted in 2026-06 (month 5); facts to 2026-10 (month 9); the
    base's later batches are replaced by 3 buyers x 10,000 every 4 months from 2026-12
    (month 11), stopping from 2027-09 (month 20): batches in months 11, 15, 19."""
    spec = validate_risk(
        risk(
            pace_entries(
                units_per_buyer=10000,
                buyers=3,
                months_between=4,
                next_batch="2026-12",
                stops="2027-09",
            )
        ),
        base,
    )
    got = allowance_row(base, spec, "h200")
    t = np.arange(base.horizon.months)
    expected = 20000 * (t >= 5) + 30000 * sum((t >= m).astype(int) for m in (11, 15, 19))
    assert got.tolist() == expected.astype(float).tolist()
    # the other products keep the allowances of the base
    inputs = Inputs.from_assumptions([base])
    j = inputs.product_ids.index("mi325x")
    x = np.array([[m.pmf.values[0] for m in spec.marginals]])
    assert np.array_equal(apply_draws(inputs, spec, x).allowance[0, j], inputs.allowance[0, j])


def test_a_drawn_pace_equals_the_same_batches_written_in_a_scenario(base: Assumptions) -> None:
    spec = validate_risk(
        risk(pace_entries(units_per_buyer=8000, buyers=2, months_between=5, next_batch="2027-02")),
        base,
    )
    x = np.array([[m.pmf.values[0] for m in spec.marginals]])
    drawn = party_totals(project(apply_draws(Inputs.from_assumptions([base]), spec, x)), ["d"])
    months = ["2027-02", "2027-07", "2027-12", "2028-05", "2028-10"]
    batches = [{"month": "2026-06", "units": 20000}] + [
        {"month": m, "units": 16000} for m in months
    ]
    written = run(
        [load(BASE, Scenario(name="w", overrides={H200: batches})).assumptions], ["w"]
    ).totals
    np.testing.assert_allclose(drawn["total_usd"], written["total_usd"], rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(drawn["npv_usd"], written["npv_usd"], rtol=1e-12, atol=1e-6)


@pytest.mark.parametrize("zero", ["units_per_buyer", "buyers"])
def test_a_zero_pace_ships_only_the_granted_batches(base: Assumptions, zero: str) -> None:
    values = {"units_per_buyer": 10000, "buyers": 4, "months_between": 2} | {zero: 0}
    spec = validate_risk(risk(pace_entries(**values)), base)
    x = np.array([[m.pmf.values[0] for m in spec.marginals]])
    proj = project(apply_draws(Inputs.from_assumptions([base]), spec, x))
    j = proj.inputs.product_ids.index("h200")
    granted = sum(b.units for b in base.product("h200").china_allocations or [])
    granted_to_facts = 20000.0
    assert granted > granted_to_facts  # the base's own later batches are gone
    assert proj.volumes.shipments[0, j].sum() == granted_to_facts
    assert proj.volumes.shipments[0, j, 10:].sum() == 0.0  # nothing after the facts


def test_the_shipped_pace_draws_vary_path_by_path(base: Assumptions) -> None:
    spec = load_risk(RISK, base)
    sim = simulate(base, spec, 2000, seed=11, products=["h200"])
    col = {m.path: i for i, m in enumerate(spec.marginals)}
    stops = sim.samples[:, col[f"{H200}.stops"]]
    # more China batches, more H200 shipped: revenue rises with buyers and units
    units = sim.samples[:, col[f"{H200}.units_per_buyer"]]
    buyers = sim.samples[:, col[f"{H200}.buyers"]]
    revenue = sim.values("china_gross_revenue")
    assert np.corrcoef(units * buyers, revenue)[0, 1] > 0.3
    assert set(np.unique(buyers)) == {2.0, 4.0, 10.0}
    assert 0.1 < np.isfinite(stops).mean() < 0.3  # China stops in about a fifth of paths
    # a stop before the next batch leaves the H200 with no revenue after the facts
    assert 0 < sim.p_no_future_revenue_by_product()["h200"] < np.isfinite(stops).mean()


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "path, entry, rule",
    [
        (f"{H200}.colour", fixed(1), "unknown batch-pace component 'colour'"),
        ("products.*.china_allocations.units_per_buyer", fixed(1), "product by product"),
        ("products.b300.china_allocations.buyers", fixed(1), "unknown product id 'b300'"),
        ("products.h20.china_allocations.buyers", fixed(1), "has no china_allocations"),
        (f"{H200}.buyers", fixed(2.5), "whole number"),
        (f"{H200}.months_between", fixed(0), "must be within [1, 240]"),
        (f"{H200}.units_per_buyer", {"kind": "uniform", "low": -5, "high": 5}, "draws reach -5"),
        (
            f"{H200}.units_per_buyer",
            {"kind": "uniform", "low": 0.5, "high": 2, "apply": "scale"},
            "takes apply: value",
        ),
        (
            f"{H200}.next_batch",
            {"kind": "uniform", "low": "2026-09", "high": "2027-03"},
            "draws reach 2026-09, not after horizon.as_of (2026-10)",
        ),
        (f"{H200}.stops", fixed("2026-10"), "not after horizon.as_of (2026-10)"),
        (
            f"{H200}.next_batch",
            {"kind": "uniform", "low": "2026-11", "high": "2027-03", "never": 0.1},
            "only months that may never come",
        ),
    ],
    ids=[
        "unknown-component",
        "wildcard",
        "unknown-product",
        "unrationed-product",
        "fractional-buyers",
        "zero-gap",
        "negative-units",
        "scaled",
        "next-batch-in-the-past",
        "stop-in-the-past",
        "next-batch-never",
    ],
)
def test_bad_pace_entries(base: Assumptions, path: str, entry: dict[str, Any], rule: str) -> None:
    entries = pace_entries(units_per_buyer=10000, months_between=3) | {path: entry}
    msgs = problems(risk(entries), base)
    assert any(m.startswith(f"bad.yaml: distributions.{path}") and rule in m for m in msgs), msgs


def test_a_pace_needs_units_and_months_between(base: Assumptions) -> None:
    msgs = problems(risk(pace_entries(buyers=2)), base)
    assert sorted(msgs) == [
        f"bad.yaml: distributions.{H200}.months_between: is required for a batch pace "
        "(this file gives buyers)",
        f"bad.yaml: distributions.{H200}.units_per_buyer: is required for a batch pace "
        "(this file gives buyers)",
    ]


def test_pace_components_can_be_correlated(base: Assumptions) -> None:
    entries = {
        f"{H200}.units_per_buyer": {"kind": "uniform", "low": 5000, "high": 15000},
        f"{H200}.months_between": {"kind": "uniform", "low": 2, "high": 6},
    }
    corr = [{"between": [f"{H200}.units_per_buyer", f"{H200}.months_between"], "rho": -0.8}]
    spec = validate_risk(risk(entries, corr), base)
    sim = simulate(base, spec, 3000, seed=1)
    assert np.corrcoef(sim.samples.T)[0, 1] < -0.6


def test_months_in_the_past_are_warnings(base: Assumptions) -> None:
    spec = validate_risk(
        risk(
            {
                "policy.levy_ends": {"kind": "uniform", "low": "2026-10", "high": "2027-06"},
                "products.mi325x.us_approval": fixed("never"),
                "demand.reference_start": fixed("2026-01"),
            }
        ),
        base,
        "r.yaml",
    )
    assert [str(w) for w in spec.warnings] == [
        "r.yaml: distributions.policy.levy_ends: draws reach 2026-10, not after "
        "horizon.as_of (2026-10): a month already past is a fact, not a risk (start the "
        "range after it unless the date itself is unknown)"
    ]


def test_a_file_without_as_of_counts_facts_from_the_horizon_start() -> None:
    a = tiny(**{"products.chip.china_allocations": []})
    assert a.horizon.as_of is None
    pid = a.products[0].id
    spec = validate_risk(
        risk(pace_entries(pid, units_per_buyer=100, months_between=2, next_batch=a.horizon.start)),
        a,
    )
    got = allowance_row(a, spec, pid)
    t = np.arange(a.horizon.months)
    assert got.tolist() == (100.0 * (t // 2 + 1)).tolist()
    assert spec.warnings == ()


# ---------------------------------------------------------------- the other v2 inputs


@pytest.mark.parametrize(
    "path, value, field",
    [
        ("products.mi325x.us_approval", "2027-04", "us_approval"),
        ("products.mi325x.china_approval", "never", "china_approval"),
        ("products.mi325x.licence_ends", "2027-12", "licence_end"),
        ("products.h200.production_capacity_units_per_month", 80000, "capacity"),
        ("products.h200.production_rule", "capacity", "build_to_order"),
    ],
)
def test_v2_product_inputs_can_be_drawn(
    base: Assumptions, path: str, value: Any, field: str
) -> None:
    spec = validate_risk(risk({path: fixed(value)}), base)
    x = np.array([[spec.marginals[0].pmf.values[0]]])
    inputs = apply_draws(Inputs.from_assumptions([base]), spec, x)
    yaml_run = load(BASE, Scenario(name="y", overrides={path: value})).assumptions
    expected = getattr(Inputs.from_assumptions([yaml_run]), field)
    assert np.array_equal(getattr(inputs, field), expected)


def test_timeline_licence_end_moves_every_product_that_inherits_it(base: Assumptions) -> None:
    spec = validate_risk(risk({"timeline.licence_ends": fixed("2027-07")}), base)
    x = np.array([[spec.marginals[0].pmf.values[0]]])
    inputs = apply_draws(Inputs.from_assumptions([base]), spec, x)
    heirs = [p.licence_ends is None for p in base.products]
    assert all(heirs)
    assert inputs.licence_end[0].tolist() == [18.0] * len(base.products)


def test_tornado_swings_pace_components_around_their_medians(base: Assumptions) -> None:
    spec = load_risk(RISK, base)
    t = tornado(base, "china_gross_revenue", spec=spec).table.set_index("parameter")
    buyers = t.loc[f"{H200}.buyers"]
    assert (buyers["low"], buyers["high"]) == ("2", "10")
    assert buyers["output_high"] > buyers["output_low"]
    stops = t.loc[f"{H200}.stops"]
    assert stops["high"] == "never" and stops["output_high"] > stops["output_low"]
    # a pace component needs the pace it belongs to
    with pytest.raises(InputError, match="moves with the rest of its pace"):
        tornado(base, parameters=[f"{H200}.buyers"], ranges={f"{H200}.buyers": ("1", "3")})
