"""Monte Carlo: risk-file validation, distributions, reproducibility (seed, chunking,
Dask), agreement with the core's exact expected value, and the ``simulate`` command."""

from __future__ import annotations

import copy
import functools
import importlib
import json
import math
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from model.analysis import ALL, expected_value, party_totals, run
from model.cli import main
from model.engine import Inputs, project
from model.loader import InputError, Scenario, load
from model.risk import distributions as dist
from model.risk.dask_runner import dask_chunks
from model.risk.schema import load_risk, validate_risk
from model.risk.simulate import (
    BLOCK,
    NO_SHIPMENT,
    ChunkConfig,
    apply_draws,
    block_seed,
    draws,
    exact_expected_value,
    local_chunks,
    regression_matrix,
    simulate,
)
from model.schema import Assumptions

from .conftest import ASSUMPTIONS, BASE
from .strategies import risk_draw_values

RISK = ASSUMPTIONS / "risk.yaml"


@pytest.fixture(scope="module")
def base() -> Assumptions:
    return load(BASE).assumptions


@pytest.fixture(scope="module")
def shipped(base: Assumptions) -> Any:
    return load_risk(RISK, base)


def risk(distributions: dict[str, Any], correlations: list[Any] | None = None) -> dict[str, Any]:
    return {"name": "test", "distributions": distributions, "correlations": correlations or []}


def problems(raw: dict[str, Any], a: Assumptions) -> list[str]:
    with pytest.raises(InputError) as exc:
        validate_risk(raw, a, "bad.yaml")
    return [str(p) for p in exc.value.problems]


# ---------------------------------------------------------------- the shipped file


def test_shipped_risk_file_loads_and_every_entry_names_a_source(shipped: Any) -> None:
    raw = yaml.safe_load(RISK.read_text())
    assert len(shipped.marginals) == len(raw["distributions"]) >= 6
    for path, d in raw["distributions"].items():
        assert str(d.get("source", "")).strip(), f"{path} has no source"
    for c in raw.get("correlations", []):
        assert str(c.get("source", "")).strip(), f"correlation {c['between']} has no source"
    estimates = [d["source"] for d in raw["distributions"].values() if "estimate" in d["source"]]
    assert all(len(s) > 40 for s in estimates), "estimates must give their reasoning"


def test_shipped_risk_file_covers_todays_uncertainties(shipped: Any) -> None:
    paths = set(shipped.paths)
    for needed in (
        "products.h200.china_allocations.units_per_buyer",
        "products.h200.china_allocations.buyers",
        "products.h200.china_allocations.months_between",
        "products.h200.china_allocations.next_batch",
        "products.h200.china_allocations.stops",
        "products.mi325x.china_approval",
        "timeline.licence_ends",
        "demand.erosion_per_month",
        "products.*.china_demand_units_per_month",
        "products.*.asp_change_per_year",
        "policy.customs_value_ratio",
        "policy.levy_ends",
    ):
        assert needed in paths
    # facts are not drawn: the H200's approvals are in the past, and so is no range
    assert not paths & {"timeline.us_approval", "timeline.china_approval"}
    assert shipped.warnings == ()
    assert [p.product_id for p in shipped.paces] == ["h200"]
    assert shipped.factor is not None  # the shipped file correlates inputs


# ---------------------------------------------------------------- bad risk files


def test_probabilities_not_summing_to_one(base: Assumptions) -> None:
    raw = risk(
        {
            "timeline.us_approval": {
                "kind": "discrete",
                "values": ["2026-05", "never"],
                "probabilities": [0.5, 0.4],
            }
        }
    )
    assert problems(raw, base) == [
        "bad.yaml: distributions.timeline.us_approval.probabilities: probabilities must sum "
        "to 1 (±1e-9); they sum to 0.9"
    ]


def test_low_above_high(base: Assumptions) -> None:
    raw = risk({"demand.erosion_per_month": {"kind": "uniform", "low": 0.05, "high": 0.01}})
    assert problems(raw, base) == [
        "bad.yaml: distributions.demand.erosion_per_month.low: low must not exceed high "
        "(0.01) (got 0.05)"
    ]


def test_month_range_low_after_high(base: Assumptions) -> None:
    raw = risk(
        {
            "timeline.china_approval": {
                "kind": "triangular",
                "low": "2028-01",
                "mode": "2027-01",
                "high": "2027-06",
            }
        }
    )
    (msg,) = problems(raw, base)
    assert "distributions.timeline.china_approval.low" in msg and "low must not exceed high" in msg


@pytest.mark.parametrize(
    "path, rule",
    [
        ("demand.erosion", "unknown parameter path"),
        ("products.b200.asp_usd", "unknown product id 'b200'"),
        ("products.h200.colour", "unknown or non-numeric product parameter 'colour'"),
        ("horizon.months", "the horizon cannot vary"),
        ("products.h200.bom_usd_per_unit.hbm", "bill-of-materials"),
    ],
    ids=["unknown-key", "unknown-product", "unknown-product-key", "horizon", "bom"],
)
def test_unknown_parameter(base: Assumptions, path: str, rule: str) -> None:
    raw = risk({path: {"kind": "uniform", "low": 0.0, "high": 1.0}})
    (msg,) = problems(raw, base)
    assert msg.startswith(f"bad.yaml: distributions.{path}: ") and rule in msg


def test_every_problem_is_reported_at_once(base: Assumptions) -> None:
    raw = risk(
        {
            "timeline.us_approval": {
                "kind": "discrete",
                "values": ["2026-05"],
                "probabilities": [0.7],
            },
            "demand.erosion_per_month": {
                "kind": "triangular",
                "low": 0.0,
                "mode": 0.5,
                "high": 0.2,
            },
            "demand.nonsense": {"kind": "uniform", "low": 0, "high": 1},
            "policy.share_rate": {"kind": "uniform", "low": 0.1, "high": 1.4},
            "products.h200.unit_cost_usd": {"kind": "uniform", "low": 1000, "high": 6000},
        }
    )
    msgs = problems(raw, base)
    assert len(msgs) == 5, msgs
    assert any("mode must lie between low (0) and high (0.2)" in m for m in msgs)
    assert any("draws reach 1.4" in m and "[0, 1]" in m for m in msgs)
    assert any("below its bill of materials (4000 USD)" in m for m in msgs)


@pytest.mark.parametrize(
    "entry, where, rule",
    [
        ({"kind": "lognormal", "low": 0, "high": 1}, "", "unknown kind"),
        ({"low": 0, "high": 1}, "", "kind is required"),
        ({"kind": "uniform", "low": 0, "high": 0.1, "colour": 1}, ".colour", "unknown key"),
        (
            {"kind": "uniform", "low": 0, "high": 0.1, "never": 0.2},
            ".never",
            "only months that may never come can be never",
        ),
        ({"kind": "normal", "mean": 0.03, "sd": 0.01}, "", "outside the valid range"),
        (
            {"kind": "normal", "mean": 0.03, "sd": -0.01, "low": 0, "high": 1},
            ".sd",
            "greater than 0",
        ),
        (
            {"kind": "discrete", "values": [0.01, 0.01], "probabilities": [0.5, 0.5]},
            ".values",
            "distinct",
        ),
        (
            {"kind": "discrete", "values": [0.01, 0.02], "probabilities": [1.0]},
            ".probabilities",
            "one probability per value",
        ),
    ],
    ids=[
        "unknown-kind",
        "no-kind",
        "unknown-key",
        "never-on-number",
        "normal-untruncated",
        "negative-sd",
        "repeated-value",
        "length-mismatch",
    ],
)
def test_bad_entries(base: Assumptions, entry: dict[str, Any], where: str, rule: str) -> None:
    msgs = problems(risk({"demand.erosion_per_month": entry}), base)
    assert any(
        m.startswith(f"bad.yaml: distributions.demand.erosion_per_month{where}:") and rule in m
        for m in msgs
    ), msgs


@pytest.mark.parametrize(
    "path, entry, rule",
    [
        (
            "timeline.us_approval",
            {"kind": "discrete", "values": ["May 2026"], "probabilities": [1.0]},
            "YYYY-MM or the word 'never'",
        ),
        (
            "demand.reference_start",
            {"kind": "discrete", "values": ["never"], "probabilities": [1.0]},
            "must be a month written YYYY-MM",
        ),
        (
            "timeline.china_approval",
            {"kind": "normal", "mean": 12, "sd": 2, "low": 0, "high": 30},
            "takes discrete, uniform or triangular",
        ),
        (
            "timeline.china_approval",
            {"kind": "uniform", "apply": "shift", "low": "2027-01", "high": "2027-06"},
            "must be 'value'",
        ),
        ("policy.mechanism", {"kind": "uniform", "low": 0, "high": 1}, "needs kind discrete"),
        (
            "timeline.test_lag_months",
            {"kind": "discrete", "values": [1.5], "probabilities": [1.0]},
            "whole number",
        ),
    ],
    ids=[
        "month-text",
        "never-not-allowed",
        "normal-month",
        "shift-month",
        "choice-range",
        "fractional-lag",
    ],
)
def test_bad_values_for_the_parameter_kind(
    base: Assumptions, path: str, entry: dict[str, Any], rule: str
) -> None:
    msgs = problems(risk({path: entry}), base)
    assert any(rule in m for m in msgs), msgs


def test_bad_correlations(base: Assumptions) -> None:
    dists = {
        "demand.erosion_per_month": {"kind": "uniform", "low": 0.01, "high": 0.05},
        "demand.backlog_retention": {"kind": "uniform", "low": 0.3, "high": 0.7},
        "demand.price_elasticity": {"kind": "uniform", "low": 0.5, "high": 1.5},
    }
    unknown = risk(
        dists, [{"between": ["demand.erosion_per_month", "policy.share_rate"], "rho": 0.5}]
    )
    assert "names no distribution" in problems(unknown, base)[0]
    inconsistent = risk(
        dists,
        [
            {"between": ["demand.erosion_per_month", "demand.backlog_retention"], "rho": 0.9},
            {"between": ["demand.backlog_retention", "demand.price_elasticity"], "rho": 0.9},
            {"between": ["demand.erosion_per_month", "demand.price_elasticity"], "rho": -0.9},
        ],
    )
    assert "not positive definite" in problems(inconsistent, base)[0]
    out_of_range = risk(
        dists, [{"between": ["demand.erosion_per_month", "demand.price_elasticity"], "rho": 1.5}]
    )
    assert "correlations.0.rho" in problems(out_of_range, base)[0]


def test_wildcard_and_specific_product_clash(base: Assumptions) -> None:
    raw = risk(
        {
            "products.*.asp_usd": {"kind": "uniform", "apply": "scale", "low": 0.9, "high": 1.1},
            "products.h200.asp_usd": {"kind": "uniform", "low": 20000, "high": 30000},
        }
    )
    assert "sets the same input as distributions.products.*.asp_usd" in problems(raw, base)[0]


@pytest.mark.parametrize("apply", ["scale", "shift"])
def test_scaling_a_null_licence_cap_is_refused(base: Assumptions, apply: str) -> None:
    """No cap is +inf in the engine: scaled it stays +inf, times 0 it is NaN."""
    raw = risk(
        {
            "products.*.licence_cap_units": {
                "kind": "uniform",
                "apply": apply,
                "low": 0.0,
                "high": 2.0,
            }
        }
    )
    (msg,) = problems(raw, base)
    assert msg.startswith("bad.yaml: distributions.products.*.licence_cap_units.apply: ")
    assert "null (no limit) for h20, mi308, mi325x, gaudi3_china" in msg


def test_scaled_draws_checked_per_product(base: Assumptions) -> None:
    raw = risk(
        {
            "products.*.asp_change_per_year": {
                "kind": "uniform",
                "apply": "shift",
                "low": -0.85,
                "high": 0.0,
            }
        }
    )
    (msg,) = problems(raw, base)
    assert "for product h20" in msg and "(-1, 5]" in msg  # -0.2 - 0.85 = -1.05


# ---------------------------------------------------------------- distributions


def test_triangular_ppf_inverts_the_cdf() -> None:
    u = np.linspace(0.0, 1.0, 101)
    x = dist.triangular_ppf(u, 1.0, 2.0, 5.0)
    np.testing.assert_allclose(dist.triangular_cdf(x, 1.0, 2.0, 5.0), u, atol=1e-12)
    assert x[0] == 1.0 and x[-1] == 5.0


def test_binned_triangular_is_the_rounded_continuous_one() -> None:
    pmf = dist.binned_triangular(10, 12.0, 20)
    assert pmf.values.tolist() == list(range(10, 21))
    assert pmf.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    # P(m) = F(m+½) - F(m-½) on [9.5, 20.5]; the peak month is the most likely
    f = dist.triangular_cdf(np.array([12.5, 11.5]), 9.5, 12.0, 20.5)
    assert pmf.probabilities[2] == pytest.approx(f[0] - f[1], abs=1e-12)
    assert pmf.probabilities.argmax() == 2


def test_discrete_ppf_gives_each_value_its_probability() -> None:
    pmf = dist.with_never(dist.discrete([3.0, 1.0, 2.0], [0.2, 0.5, 0.3]), 0.1)
    u = (np.arange(100_000) + 0.5) / 100_000
    x = pmf.ppf(u)
    assert pmf.values.tolist() == [1.0, 2.0, 3.0, math.inf]
    shares = [np.mean(x == v) for v in pmf.values]
    np.testing.assert_allclose(shares, [0.45, 0.27, 0.18, 0.1], atol=1e-4)
    assert pmf.ppf(np.array([1.0]))[0] == math.inf  # u = 1 is valid


def test_truncated_normal_stays_in_its_bounds() -> None:
    u = np.linspace(0.0, 1.0, 1001)
    x = dist.truncated_normal_ppf(u, 0.03, 0.05, 0.0, 0.08)
    assert x.min() >= 0.0 and x.max() <= 0.08
    assert np.all(np.diff(x) >= 0)


def test_copula_gives_the_declared_normal_score_correlation() -> None:
    corr = np.array([[1.0, -0.6], [-0.6, 1.0]])
    z = np.random.default_rng(7).standard_normal((50_000, 2))
    u = dist.copula_uniforms(z, dist.correlation_factor(corr))
    assert np.all((u >= 0) & (u <= 1))
    scores = np.corrcoef(dist.ndtri(np.clip(u, 1e-15, 1 - 1e-15)).T)[0, 1]
    assert scores == pytest.approx(-0.6, abs=0.01)


# ---------------------------------------------------------------- writing draws into inputs


@settings(max_examples=25, deadline=None)
@given(case=risk_draw_values())
def test_a_draw_equals_the_same_value_written_in_yaml(
    base: Assumptions, case: tuple[str, Any, str]
) -> None:
    """Writing a value into the stacked inputs gives the core's result for the YAML overlay."""
    path, value, apply = case
    entry = {"kind": "discrete", "values": [value], "probabilities": [1.0], "apply": apply}
    spec = validate_risk(risk({path: entry}), base)
    x = np.array([[spec.marginals[0].pmf.values[0]]])  # type: ignore[union-attr]
    sim = party_totals(project(apply_draws(Inputs.from_assumptions([base]), spec, x)), ["d"])
    overrides = _yaml_overrides(base, path, value, apply)
    yaml_run = run([load(BASE, Scenario(name="y", overrides=overrides)).assumptions], ["y"])
    np.testing.assert_allclose(
        sim["total_usd"], yaml_run.totals["total_usd"], rtol=1e-12, atol=1e-6
    )


def _yaml_overrides(a: Assumptions, path: str, value: Any, apply: str) -> dict[str, Any]:
    if not path.startswith("products.*."):
        return {path: value}
    key = path.split(".")[2]
    out = {}
    for p in a.products:
        b = getattr(p, key)
        out[f"products.{p.id}.{key}"] = (
            b * value if apply == "scale" else b + value if apply == "shift" else value
        )
    return out


def test_policy_rate_draw_moves_only_products_without_their_own_rate(base: Assumptions) -> None:
    spec = validate_risk(
        risk({"policy.share_rate": {"kind": "discrete", "values": [0.4], "probabilities": [1.0]}}),
        base,
    )
    x = apply_draws(Inputs.from_assumptions([base]), spec, np.array([[0.4]]))
    own = {p.id: p.share_rate for p in base.products}
    for j, pid in enumerate(x.product_ids):
        assert x.rate[0, j] == (0.4 if own[pid] is None else own[pid])


def test_a_product_rate_draw_wins_over_the_policy_rate_draw(base: Assumptions) -> None:
    spec = validate_risk(
        risk(
            {
                "products.h200.share_rate": {
                    "kind": "discrete",
                    "values": [0.05],
                    "probabilities": [1.0],
                },
                "policy.share_rate": {"kind": "discrete", "values": [0.4], "probabilities": [1.0]},
            }
        ),
        base,
    )
    x = apply_draws(Inputs.from_assumptions([base]), spec, np.array([[0.05, 0.4]]))
    rates = dict(zip(x.product_ids, x.rate[0], strict=True))
    own = {p.id: p.share_rate for p in base.products}
    assert rates == {
        pid: 0.05 if pid == "h200" else 0.4 if own[pid] is None else own[pid] for pid in own
    }


# ---------------------------------------------------------------- reproducibility


def test_block_seed_is_the_spawned_child() -> None:
    children = np.random.SeedSequence(2026).spawn(5)
    for k in range(5):
        a = np.random.default_rng(block_seed(2026, k)).random(4)
        b = np.random.default_rng(children[k]).random(4)
        assert np.array_equal(a, b)


def test_draws_do_not_depend_on_where_a_chunk_starts(shipped: Any) -> None:
    whole = draws(shipped, 11, 0, 2 * BLOCK + 500)
    parts = np.concatenate(
        [
            draws(shipped, 11, s, e)
            for s, e in ((0, 1), (1, 999), (999, 1001), (1001, 2 * BLOCK + 500))
        ]
    )
    assert np.array_equal(whole, parts)


FIELDS = ("samples", "totals", "npv", "first_shipment")


def same(a: Any, b: Any) -> bool:
    return (
        all(np.array_equal(getattr(a, f), getattr(b, f)) for f in FIELDS)
        and all(np.array_equal(a.monthly[k], b.monthly[k]) for k in a.monthly)
        and a.summary().equals(b.summary())
    )


def test_same_seed_same_numbers_different_seed_different(base: Assumptions, shipped: Any) -> None:
    a = simulate(base, shipped, 3000, seed=5)
    b = simulate(base, shipped, 3000, seed=5)
    c = simulate(base, shipped, 3000, seed=6)
    assert same(a, b)
    assert not np.array_equal(a.totals, c.totals)


@pytest.mark.parametrize("chunk", [1, 7, 333, 1000, 1200, 5000])
def test_chunk_size_does_not_change_any_number(base: Assumptions, shipped: Any, chunk: int) -> None:
    paths = 60 if chunk < 100 else 2500
    reference = simulate(base, shipped, paths, seed=9, chunk=paths)
    assert same(simulate(base, shipped, paths, seed=9, chunk=chunk), reference)


@pytest.mark.parametrize("threads", [1, 3])
def test_threads_do_not_change_any_number(base: Assumptions, shipped: Any, threads: int) -> None:
    reference = simulate(base, shipped, 2500, seed=9, chunk=2500)
    mapper = functools.partial(local_chunks, threads=threads)
    assert same(simulate(base, shipped, 2500, seed=9, chunk=300, map_chunks=mapper), reference)


def test_a_run_that_keeps_neither_draws_nor_fan_has_the_same_numbers(
    base: Assumptions, shipped: Any
) -> None:
    """What a command that prints percentiles keeps (``keep_draws=False``, no fan): the
    same totals, NPV, shipment months and summary; the draws, asked for afterwards, are
    drawn again from the seed, the same to the bit (chunks of 700 cut the 1,000-path
    blocks)."""
    kept = simulate(base, shipped, 2500, seed=4, chunk=700)
    lean = simulate(base, shipped, 2500, seed=4, chunk=700, fan=(), keep_draws=False)
    assert lean.kept_draws is None and lean.monthly == {}
    for f in ("totals", "npv", "first_shipment", "next_shipment", "sells_after_facts"):
        assert np.array_equal(getattr(lean, f), getattr(kept, f)), f
    assert lean.summary().equals(kept.summary())
    redrawn = lean.samples
    assert redrawn.tobytes() == kept.samples.tobytes()
    assert lean.samples is redrawn  # drawn once, then kept


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_arrays_written_through_in_the_background_hold_every_result(
    base: Assumptions, shipped: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large run's per-path arrays are written with zeros in a background thread
    before the first results go in: none of the results is overwritten (the run's
    threshold lowered to this small run's size, and the writing slowed down so that it
    would still be under way when the first chunks come back, did nothing wait for it)."""
    run = importlib.import_module("model.risk.simulate")  # the module, not its function
    reference = simulate(base, shipped, 3000, seed=12, chunk=400)
    touch = run._touch

    def slow_touch(arrays: Any) -> None:
        time.sleep(0.3)
        touch(arrays)

    monkeypatch.setattr(run, "TOUCH_ABOVE", 100)
    monkeypatch.setattr(run, "_touch", slow_touch)
    sim = simulate(base, shipped, 3000, seed=12, chunk=400)
    for t in threading.enumerate():  # a writer that nothing waited for would end now
        if t.name == "monte-carlo-pages":
            t.join()
    assert same(sim, reference)


def test_chunks_in_threads_come_back_in_order(base: Assumptions, shipped: Any) -> None:
    inputs = Inputs.from_assumptions([base])
    config = ChunkConfig((0, 1), ("china_gross_revenue",), -1, 250)
    ranges = [(s, s + 100) for s in range(0, 1000, 100)]
    found = local_chunks(inputs, shipped, 3, ranges, config, threads=2)
    assert [(r.start, r.stop) for r in found] == ranges


def test_dask_run_is_identical_to_the_local_run(base: Assumptions, shipped: Any) -> None:
    pytest.importorskip("distributed")
    local = simulate(base, shipped, 4000, seed=21, chunk=1000)
    on_dask = simulate(base, shipped, 4000, seed=21, chunk=1500, map_chunks=dask_chunks("local"))
    assert same(local, on_dask)


def test_runs_can_share_one_dask_client(base: Assumptions, shipped: Any) -> None:
    """Equal data scattered again must not be lost to the release of the previous run."""
    distributed = pytest.importorskip("distributed")
    local = simulate(base, shipped, 3000, seed=13, chunk=1000)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        for _ in range(4):
            assert same(
                simulate(base, shipped, 3000, seed=13, chunk=1000, map_chunks=dask_chunks(client)),
                local,
            )


# ---------------------------------------------------------------- against the core


def test_monte_carlo_mean_matches_the_exact_expected_value(base: Assumptions) -> None:
    """Only an approval month is random over a discrete set: every party's Monte Carlo
    mean lies within 4 standard errors of the core's probability-weighted value."""
    path = "products.mi325x.china_approval"
    months = ["2026-11", "2027-03", "2027-09", "2028-06", "never"]
    probs = [0.15, 0.25, 0.30, 0.20, 0.10]
    spec = validate_risk(
        risk({path: {"kind": "discrete", "values": months, "probabilities": probs}}), base
    )
    sim = simulate(base, spec, 20_000, seed=2026)
    # the exact value, straight from the core: one scenario per month, weighted
    loaded = [load(BASE, Scenario(name=m, overrides={path: m})) for m in months]
    res = run([lo.assumptions for lo in loaded], months)
    exact = expected_value(res.totals, dict(zip(months, probs, strict=True)))
    exact = exact[exact["product"] == ALL].set_index("party")
    summary = sim.summary().set_index(["party", "measure"])
    assert set(exact.index) == set(sim.parties)
    moved = 0
    for party in sim.parties:
        for measure, col in (("total", "total_usd"), ("npv", "npv_usd")):
            row = summary.loc[(party, measure)]
            gap = abs(row["mean"] - exact.loc[party, col])
            assert gap <= 4 * row["se"] + 1e-9 * abs(exact.loc[party, col]) + 1e-6, (
                party,
                measure,
                row["mean"],
                exact.loc[party, col],
                row["se"],
            )
            moved += bool(row["se"] > 0)
    assert moved >= 8  # the approval month moves most parties: the check is not vacuous
    # and the module's own enumeration agrees with the scenario files
    enum = exact_expected_value(base, spec)
    enum = enum[enum["product"] == ALL].set_index("party")
    np.testing.assert_allclose(enum.loc[exact.index, "total_usd"], exact["total_usd"], rtol=1e-12)


def test_without_uncertainty_every_path_is_the_core_projection(base: Assumptions) -> None:
    spec = validate_risk(
        risk(
            {
                "demand.erosion_per_month": {
                    "kind": "discrete",
                    "values": [base.demand.erosion_per_month],
                    "probabilities": [1.0],
                }
            }
        ),
        base,
    )
    sim = simulate(base, spec, 50, seed=1)
    core = run([base], ["base"]).totals
    core = core[core["product"] == ALL].set_index("party")
    for k, party in enumerate(sim.parties):
        np.testing.assert_allclose(sim.totals[:, k], core.loc[party, "total_usd"], rtol=1e-12)
        np.testing.assert_allclose(sim.npv[:, k], core.loc[party, "npv_usd"], rtol=1e-12)
    assert sim.summary()["se"].abs().max() < 1e-6 * core["total_usd"].abs().max()


def test_no_revenue_and_first_shipment(base: Assumptions) -> None:
    spec = validate_risk(
        risk(
            {
                "products.mi325x.china_approval": {
                    "kind": "discrete",
                    "values": ["2027-02", "never"],
                    "probabilities": [0.6, 0.4],
                }
            }
        ),
        base,
    )
    sim = simulate(base, spec, 5000, seed=3, products=["mi325x"])
    china_never = np.isinf(sim.samples[:, 0])
    assert sim.p_no_revenue == pytest.approx(china_never.mean(), abs=0)
    assert sim.p_no_future_revenue == sim.p_no_revenue  # nothing shipped before the facts
    assert sim.p_no_future_revenue_by_product() == {"mi325x": sim.p_no_revenue}
    fs = sim.first_shipment_distribution().set_index("month")["probability"]
    # licence in force Feb 2027, first shipment one test-lag month later
    assert list(fs.index) == ["2027-03", "none within horizon"]
    assert fs["none within horizon"] == pytest.approx(china_never.mean())
    assert sim.next_shipment_distribution("mi325x").equals(sim.first_shipment_distribution())


def test_revenue_after_the_facts_is_told_apart_from_the_horizon(base: Assumptions) -> None:
    """The H200 shipped in July 2026 (a fact): whether it ships again is the question."""
    spec = validate_risk(
        risk(
            {
                "products.h200.china_allocations.units_per_buyer": {
                    "kind": "discrete",
                    "values": [0, 10000],
                    "probabilities": [0.3, 0.7],
                },
                "products.h200.china_allocations.months_between": {
                    "kind": "discrete",
                    "values": [3],
                    "probabilities": [1.0],
                },
            }
        ),
        base,
    )
    sim = simulate(base, spec, 3000, seed=4, products=["h200"])
    no_more = sim.samples[:, 0] == 0
    assert sim.p_no_revenue == 0.0
    assert sim.p_no_future_revenue == pytest.approx(no_more.mean(), abs=0)
    months = sim.next_shipment_distribution("h200").set_index("month")["probability"]
    # the next batch comes 3 months after the granted one (2026-06), not before 2026-11
    assert list(months.index) == ["2026-11", "none within horizon"]
    assert sim.first_shipment_distribution()["month"].tolist() == ["2026-07"]


def test_tables_without_pandas_equal_the_frames_to_the_bit(base: Assumptions, shipped: Any) -> None:
    """The ``simulate`` command prints from rows and arrays, not frames; they hold the
    same numbers as :meth:`Simulation.summary` and the shipment distributions."""
    sim = simulate(base, shipped, 3000, seed=11)
    frame = sim.summary()
    assert frame.to_dict(orient="records") == [dict(r) for r in sim.summary_rows]
    row = sim.summary_row("us_government", "npv")
    assert row["p90"] == frame.set_index(["party", "measure"]).loc[("us_government", "npv"), "p90"]
    for pid in (None, *sim.product_ids):
        months, probabilities = sim.next_shipment_probabilities(pid)
        df = sim.next_shipment_distribution(pid)
        assert months == df["month"].tolist()
        np.testing.assert_array_equal(probabilities, df["probability"].to_numpy())
    with pytest.raises(InputError, match="unknown party"):
        sim.summary_row("nobody")


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 100_000), min_size=1, max_size=36),
    never=st.integers(0, 100_000),
    first=st.integers(0, 11),
)
def test_quarter_sums_equal_pandas_groupby_to_the_bit(
    counts: list[int], never: int, first: int
) -> None:
    """Oracle: the pandas ``groupby(sort=False).sum()`` the table used before."""
    import pandas as pd

    from model.calendar import calendar_quarter, month_labels
    from model.cli.risk import by_quarter

    n = sum(counts) + never or 1
    months = [*month_labels(f"2026-{first + 1:02d}", len(counts)), NO_SHIPMENT]
    probabilities = np.array([*counts, never]) / n
    fs = pd.DataFrame({"month": months, "probability": probabilities})
    quarters = fs["month"].map(lambda m: m if m == NO_SHIPMENT else calendar_quarter(m))
    want = fs.groupby(quarters, sort=False)["probability"].sum()
    got = by_quarter(months, probabilities)
    assert list(got) == list(want.index)
    assert [v.hex() for v in got.values()] == [float(v).hex() for v in want]


def test_percentiles_and_bands_are_those_of_the_paths(base: Assumptions, shipped: Any) -> None:
    sim = simulate(base, shipped, 4000, seed=8)
    s = sim.summary().set_index(["party", "measure"])
    v = sim.values("us_government", "npv")
    assert s.loc[("us_government", "npv"), "p90"] == np.percentile(v, 90)
    assert s.loc[("us_government", "npv"), "se"] == pytest.approx(v.std(ddof=1) / math.sqrt(4000))
    bands = sim.bands("china_gross_revenue")
    assert len(bands) == base.horizon.months
    cols = ["p5", "p10", "p50", "p90", "p95"]
    assert (np.diff(bands[cols].to_numpy(), axis=1) >= -1e-6).all()
    # money summed over the months of the kept series equals the total, path by path
    k = sim.parties.index("china_gross_revenue")
    np.testing.assert_allclose(
        sim.monthly["china_gross_revenue"].sum(axis=1, dtype=float), sim.totals[:, k], rtol=1e-5
    )


def test_regression_matrix_codes_never_as_the_month_after_the_horizon(
    base: Assumptions, shipped: Any
) -> None:
    sim = simulate(base, shipped, 2000, seed=4)
    x = regression_matrix(sim)
    assert np.isfinite(x.to_numpy()).all()
    assert x["products.mi325x.china_approval"].max() == base.horizon.months
    assert x["products.h200.china_allocations.stops"].max() == base.horizon.months


def test_exact_expected_value_refuses_continuous_inputs(base: Assumptions, shipped: Any) -> None:
    with pytest.raises(InputError) as exc:
        exact_expected_value(base, shipped)
    text = str(exc.value)
    assert "demand.erosion_per_month" in text and "independent inputs" in text


# ---------------------------------------------------------------- the command


def test_simulate_command_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim.json"
    code = main(
        [
            "simulate",
            str(BASE),
            "--risk",
            str(RISK),
            "--paths",
            "2000",
            "--seed",
            "7",
            "--json",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert data["paths"] == 2000 and data["seed"] == 7
    assert {r["party"] for r in data["summary"]} >= {"vendor_gross_profit", "us_government"}
    assert 0 <= data["p_no_china_revenue"] <= data["p_no_china_revenue_after_facts"] <= 1
    assert sum(r["probability"] for r in data["first_shipment"]) == pytest.approx(1.0)
    for rows in data["next_shipment"].values():
        assert sum(r["probability"] for r in rows) == pytest.approx(1.0)
    assert set(data["next_shipment"]) == {p.id for p in load(BASE).assumptions.products} | {ALL}
    assert data["headline"]["as_of"] == "2026-10" and data["warnings"] == []
    assert len(data["bands"]["china_gross_revenue"]) == 36 and data["fan_paths"] == 2000
    assert "regression" not in data  # tornado --regression has it
    printed = capsys.readouterr().out
    assert "Probability of no China revenue after" in printed and "P95" in printed
    assert "First China shipment after" in printed


@pytest.mark.parametrize(
    "args, message",
    [
        (["--paths", "0"], "--paths: must be between 1"),
        (["--seed", "-1"], "--seed: must be a whole number"),
        (["--product", "b200"], "--product: unknown product"),
        (["--chunk", "10000000"], "--chunk: must be between 1 and 50,000"),
    ],
    ids=["zero-paths", "negative-seed", "unknown-product", "huge-chunk"],
)
def test_simulate_rejects_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "sim.json"
    out.write_text("keep me")
    code = main(["simulate", str(BASE), "--risk", str(RISK), "--json", str(out), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert out.read_text() == "keep me"


def test_simulate_reports_every_bad_option_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "simulate",
            str(BASE),
            "--risk",
            str(RISK),
            "--paths",
            "0",
            "--chunk",
            "0",
            "--seed",
            "-3",
            "--product",
            "b200",
        ]
    )
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert code == 2 and len(lines) == 4, err
    assert "simulating" not in err  # refused before the progress bar starts


def test_simulate_with_a_bad_risk_file_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = yaml.safe_load(RISK.read_text())
    bad = copy.deepcopy(raw)
    bad["distributions"]["products.h200.china_allocations.buyers"]["probabilities"] = [
        0.5,
        0.2,
        0.2,
    ]
    bad["distributions"]["demand.erosion_per_month"]["low"] = 0.5
    bad["distributions"]["policy.colour"] = {"kind": "uniform", "low": 0, "high": 1}
    path = tmp_path / "bad_risk.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = tmp_path / "sim.json"
    code = main(
        [
            "simulate",
            str(BASE),
            "--risk",
            str(path),
            "--paths",
            "100",
            "--json",
            str(out),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and not out.exists() and "Traceback" not in err
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(lines) == 3
    assert all(str(path) in x for x in lines)
    assert any("sum to 0.9" in x for x in lines)
    assert any("low must not exceed high" in x for x in lines)
    assert any("distributions.policy.colour" in x for x in lines)


def test_simulate_does_not_import_statsmodels() -> None:
    """Only the regression (tornado --regression) and the forecast need statsmodels."""
    args = ["simulate", str(BASE), "--risk", str(RISK), "--paths", "300", "--quiet"]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "model", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "model" in names and "statsmodels" not in names


@pytest.mark.parametrize("n", [1, 2, 3, 10, 999, 4001])
def test_percentiles_from_one_sort_are_numpys(n: int) -> None:
    from model.risk import stats

    x = np.random.default_rng(n).standard_normal((n, 4))
    x[: n // 3, 0] = 0.0  # ties, as paths with no revenue
    q = (5, 10, 50, 90, 95)
    assert np.array_equal(stats.percentiles(x, q), np.percentile(x, q, axis=0))
    pct, mean, se = stats.column_summary(x, q)
    assert np.array_equal(pct, np.percentile(x, q, axis=0))
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-12, atol=1e-15)
    if n > 1:
        np.testing.assert_allclose(se, x.std(axis=0, ddof=1) / math.sqrt(n), rtol=1e-12)
    single = x[:, :1].astype(np.float32)
    assert np.array_equal(
        stats.percentiles(single, q), np.percentile(single.astype(float), q, axis=0)
    )
