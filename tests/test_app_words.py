"""What the app says, without Streamlit: parameters and statistics named for people,
months in words, partial periods marked, the forecast's record computed from the
backtest, the Facts tab's frames equal to the core's, and the shared model cache."""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import pytest

from model.analysis import run
from model.loader import load
from model.outputs import long_frame
from model.reconcile import read_reported, reconcile
from model.risk import load_risk, simulate
from model.risk.forecast import backtest, load_history
from model.shipped import HISTORY, REPORTED_DIR, RISK
from webapp import charts, facts_tab, fmt, forecast_tab, labels, risk_view
from webapp.catalog import catalog

from .conftest import BASE

A = catalog().base.assumptions
MONTHLY = long_frame(run([A], ["base"]).projection)

# ---------------------------------------------------------------- numbers and months


@pytest.mark.parametrize(
    ("text", "words"),
    [("2028-03", "Mar 2028"), ("2026-12", "Dec 2026"), ("never", "never"), ("2026-Q1", "2026-Q1")],
)
def test_months_in_words(text: str, words: str) -> None:
    assert fmt.month(text) == words


@pytest.mark.parametrize(
    ("p", "text"), [(0.0, "< 0.001"), (3e-205, "< 0.001"), (0.0123, "0.012"), (0.545, "0.55")]
)
def test_p_values_as_people_read_them(p: float, text: str) -> None:
    assert fmt.p_value(p) == text


def test_a_delay_that_differs_by_chip_is_said_so() -> None:
    assert fmt.months(math.nan) == "differs by chip"


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("policy.share_rate", "US levy rate"),
        ("products.*.asp_change_per_year", "All chips: price change per year"),
        ("products.h200.asp_usd", "Nvidia H200: price"),
        ("products.mi325x.china_approval", "AMD Instinct MI325X: China approval"),
        ("products.h200.china_allocations.buyers", "Nvidia H200 batches: buyers per batch"),
        ("vendors.AMD.tax_rate", "AMD: tax rate"),
        ("discount_rate", "Discount rate"),
        (
            "products.h200.actual_shipments.2026-08",
            "Nvidia H200: reported China shipments, Aug 2026",
        ),
    ],
)
def test_parameters_are_named_for_people(path: str, name: str) -> None:
    assert labels.param_label(path, A) == name


@pytest.mark.parametrize(
    ("path", "value", "text"),
    [
        ("policy.share_rate", 0.25, "25 %"),
        ("policy.us_min_share", 2 / 3, "66.67 %"),  # a share like the other levers
        ("policy.mechanism", "revenue_share", "Revenue share"),
        ("products.h200.production_rule", "build_to_order", "Build to order"),
        ("policy.levy_ends", None, "never ends"),
        ("products.h200.us_approval", None, "inherits timeline"),
        ("products.h200.licence_cap_units", None, "no cap"),
        ("timeline.us_approval", "2026-03", "Mar 2026"),
        ("products.h200.asp_usd", 27000.0, "$27,000"),
        ("products.h200.china_demand_units_per_month", 20000.0, "20,000 units a month"),
        ("horizon.fiscal_year_end_month", 1, "January"),
        ("timeline.test_lag_months", 1, "1 month"),
        ("products.h200.production_paused", True, "yes"),
    ],
)
def test_values_are_written_for_people(path: str, value: Any, text: str) -> None:
    assert labels.value_text(path, value) == text


def test_units_and_ranges_in_the_value_s_own_terms() -> None:
    share = labels.info_of("policy.customs_value_ratio")
    assert labels.unit_text(share) == "% of price"
    assert labels.range_text(share) == "0 % to 200 %"
    assert labels.range_text(labels.info_of("vendors.AMD.tax_rate")).endswith("; or none")
    assert labels.unit_text(labels.info_of("products.h200.asp_usd")) == "$ per unit"


# ---------------------------------------------------------------- periods


def test_a_period_the_horizon_cuts_short_is_marked() -> None:
    frame = charts.party_frame(MONTHLY, "fiscal_year", "all", 1, "2026-10")
    partial = frame[frame["partial"]]
    assert set(partial["label"]) == {"FY2026 (1 mo)", "FY2029 (11 mo)"}  # Nvidia's calendar
    assert set(partial["coverage"]) == {
        "partial: 1 of 12 months in the horizon",
        "partial: 11 of 12 months in the horizon",
    }
    assert not frame[~frame["partial"]]["coverage"].str.len().any()
    spec = charts.timeline_chart(frame, charts.AXIS["fiscal_year"], "2026-10")
    bars = spec["layer"][0]
    assert bars["encoding"]["stroke"]["condition"]["test"] == "datum.partial"
    assert {"field": "coverage", "type": "nominal", "title": "Months"} in bars["encoding"][
        "tooltip"
    ]


def test_months_are_labelled_in_words_and_no_axis_says_monthly() -> None:
    frame = charts.party_frame(MONTHLY, "month", "all", 1, "2026-10")
    spec = charts.timeline_chart(frame, charts.AXIS["month"], "2026-10")
    x = spec["layer"][0]["encoding"]["x"]
    assert x["title"] == "Month" and x["sort"][0] == "Jan 2026"
    rule, text = spec["layer"][-2:]
    assert text["encoding"]["text"]["value"] == "facts to Oct 2026"
    assert rule["encoding"]["x"]["datum"] == "Oct 2026"
    assert rule["data"] == text["data"] == {"values": [{}]}  # one mark each, not none
    assert "Monthly" not in charts.AXIS.values()
    assert not frame["partial"].any()
    from webapp import compute

    for period in charts.PERIODS:  # the chart the Timeline tab draws
        drawn = compute.timeline_spec(catalog().base.key, period, "h200")["spec"]
        assert drawn["layer"][0]["encoding"]["x"]["title"] == charts.AXIS[period]


# ---------------------------------------------------------------- risk


def test_risk_rows_and_statistics_in_words() -> None:
    table = pd.DataFrame(
        {
            "parameter": ["products.*.asp_change_per_year", "demand.erosion_per_month"],
            "std_coef": [0.5, math.nan],
            "p_value": [1e-300, math.nan],
        }
    )
    out = risk_view.regression_frame(table, A)
    assert list(out.columns) == ["Input", "Standardised effect", "p-value"]
    assert list(out["Input"]) == ["All chips: price change per year", "Erosion per month of delay"]
    assert list(out["p-value"]) == ["< 0.001", "n/a"]
    assert out["Standardised effect"].iloc[1].startswith("n/a")


def test_the_chance_of_no_china_revenue_after_the_facts_is_the_core_s_per_chip() -> None:
    sim = simulate(A, load_risk(RISK, A), 1000, 3)
    frame = risk_view.after_facts_frame(sim, A).set_index("Product")
    none = sim.p_no_future_revenue_by_product()
    column = "No China revenue after Oct 2026"
    for p in A.products:
        assert frame.loc[p.name, column] == fmt.pct(none[p.id])
    assert sim.p_no_revenue == 0.0  # over the whole horizon: always sold (why it is not shown)


# ---------------------------------------------------------------- forecast


def test_the_forecast_s_record_is_computed_from_the_backtest() -> None:
    bt = backtest(load_history(HISTORY), 4, 0.9)
    text = forecast_tab.skill_text(bt, 0.9)
    covered = round(bt["coverage"] * 4)
    assert f"The 90% band covered {covered} of 4 held-out quarters." in text
    assert f"$ {bt['mae']:,.2f} B" in text and f"$ {bt['naive_mae']:,.2f} B" in text
    better = {**bt, "mae": bt["naive_mae"] / 2}
    assert "50% below the naive forecast's" in forecast_tab.skill_text(better, 0.9)
    worse = {**bt, "mae": bt["naive_mae"] * 1.5}
    assert "the naive forecast did better" in forecast_tab.skill_text(worse, 0.9)


def test_candidate_models_and_checks_in_words() -> None:
    assert forecast_tab.model_words("log ETS(A,A,N)") == (
        "Level and trend, on the logarithm of revenue"
    )
    d = forecast_tab.diagnostics_frame({"ljung_box_4_p": 0.2, "jarque_bera_p": 0.001})
    assert list(d.columns) == ["Check", "Result", "Reads"]
    assert d.loc[0, "Reads"] == "no pattern left" and d.loc[2, "Result"] == "p = 0.001"


# ---------------------------------------------------------------- facts


def test_reconciliation_rows_are_the_core_s() -> None:
    core = reconcile(A, read_reported(REPORTED_DIR))
    frame = facts_tab.reconciliation_frame(core, "backtest")
    rows = core[core["mode"] == "backtest"].reset_index(drop=True)
    assert len(frame) == len(rows)
    for i, r in rows.iterrows():
        if r["status"] == "compared":
            assert frame.loc[i, "Within the bound"] in ("yes", "**no**")
            assert frame.loc[i, "Modelled"] == facts_tab._figure(r["modelled"], r["measure"])
    assert frame["Reported"].str.startswith("at most ").any()


def test_vintage_frames_and_charts() -> None:
    values = facts_tab.vintages()
    value = facts_tab.vintage_frame(values, "total_usd")
    assert set(value["kind"]) == {"the vintage's own view", "expected value"}
    assert value["label"].iloc[0] == "Dec 2025"
    eps = facts_tab.eps_frame(values)
    assert "Nvidia" in set(eps["vendor"]) and "Intel" not in set(eps["vendor"])  # nil EPS
    for chart in (facts_tab.vintage_chart(value, "Horizon total"), facts_tab.eps_chart(eps)):
        assert chart.to_dict(validate=True)["$schema"].startswith("https://vega.github.io")


def test_every_period_chart_is_valid_vega_lite() -> None:
    for period in charts.PERIODS:
        frame = charts.compute_frame(MONTHLY, period, "h200", 1, "2026-10")
        chart = charts.period_bars(frame, "h100e", "H100e", "product", charts.AXIS[period])
        assert chart.to_dict(validate=True)
        spec = charts.timeline_chart(
            charts.party_frame(MONTHLY, period, "all", 1, "2026-10"), charts.AXIS[period]
        )
        assert alt.LayerChart.from_dict(spec).to_dict(validate=True)


# ---------------------------------------------------------------- the shared cache


def test_every_session_gets_the_same_projection_not_a_copy() -> None:
    from webapp import compute

    key = catalog().base.key
    assert compute.results(key) is compute.results(key)
    assert compute.figures(key, "total_usd") is compute.figures(key, "total_usd")
    shared = compute.assumptions(key).model_dump(exclude={"sources"})
    assert shared == load(BASE).assumptions.model_dump(exclude={"sources"})
