"""The Risk tab's results: headline figures, the chance of no China revenue after the
facts per product, percentiles, histogram, fan chart, tornado, regression sensitivity
and the next China shipment, every input named in words (see :mod:`webapp.labels`).

The charts' frames and specs are small pure functions, tested without Streamlit; the
tornado and the regression of a run are computed once for every session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from model.fileio import json_text
from model.risk import (
    DEFAULT_FAN,
    NO_SHIPMENT,
    PERCENTILES,
    RiskSpec,
    Simulation,
    party_label,
)
from model.schema import Assumptions

from . import charts, fmt, labels

BILLION = 1e9
KEY = "risk_"  # prefix of every widget and state key of the Risk tab
MEASURE_WORDS = {"total": "total (undiscounted)", "npv": "NPV"}


# ---------------------------------------------------------------- charts


def histogram_frame(values: np.ndarray, bins: int = 40) -> pd.DataFrame:
    """Pre-binned histogram in $ billions (the chart never carries one row per path)."""
    b = values / BILLION
    lo, hi = float(b.min()), float(b.max())
    counts, edges = np.histogram(b, bins=bins, range=(lo, hi if hi > lo else lo + 1.0))
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "share": counts / len(b)})


def histogram_chart(frame: pd.DataFrame, title: str) -> alt.Chart:
    """Bars of the share of paths in each bin, from zero."""
    return (
        alt.Chart(frame.assign(zero=0.0))
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title=f"{title}, $ billions"),
            x2="end:Q",
            y=alt.Y("share:Q", title="Share of paths", axis=alt.Axis(format="%")),
            y2="zero:Q",
            tooltip=[
                alt.Tooltip("start:Q", title="From ($ B)", format=",.2f"),
                alt.Tooltip("end:Q", title="To ($ B)", format=",.2f"),
                alt.Tooltip("share:Q", title="Share of paths", format=".1%"),
            ],
        )
        .properties(height=280)
    )


def fan_chart(bands: pd.DataFrame, title: str) -> alt.LayerChart:
    """P5–P95 and P10–P90 bands, the median and the mean of a monthly series ($ billions)."""
    d = bands.copy()
    for c in d.columns:
        if c != "month":
            d[c] = d[c] / BILLION
    d["date"] = pd.to_datetime(d["month"] + "-01")
    d["label"] = d["month"].map(fmt.month)
    base = alt.Chart(d).encode(
        x=alt.X(
            "date:T",
            title="Month",
            axis=alt.Axis(format="%b %Y", labelBound=True),
        )
    )
    outer = base.mark_area(opacity=0.18).encode(
        y=alt.Y("p5:Q", title=f"{title}, $ billions"), y2="p95:Q"
    )
    inner = base.mark_area(opacity=0.35).encode(y="p10:Q", y2="p90:Q")
    median = base.mark_line().encode(y="p50:Q")
    mean = base.mark_line(strokeDash=[4, 3], color="#555555").encode(
        y="mean:Q",
        tooltip=[
            alt.Tooltip("label:N", title="Month"),
            alt.Tooltip("p5:Q", title="P5 ($ B)", format=",.2f"),
            alt.Tooltip("p50:Q", title="Median ($ B)", format=",.2f"),
            alt.Tooltip("mean:Q", title="Mean ($ B)", format=",.2f"),
            alt.Tooltip("p95:Q", title="P95 ($ B)", format=",.2f"),
        ],
    )
    return alt.LayerChart(layer=[outer, inner, median, mean], height=300)


def _input_text(path: str, text: Any) -> str:
    """A tornado end (``0.05``, ``2026-12``, ``×0.9``) in words (``5 %``, ``Dec 2026``)."""
    try:
        return labels.value_text(path, float(text))
    except (TypeError, ValueError):
        return labels.value_text(path, str(text))


def tornado_frame(t: Any, a: Assumptions | None = None) -> pd.DataFrame:
    """Two bars per input (its low and its high), each from the base output to the output
    with the input there; inputs named in words."""
    rows = []
    for r in t.table.itertuples():
        for side, value, label in (("low", r.output_low, r.low), ("high", r.output_high, r.high)):
            rows.append(
                {
                    "parameter": labels.param_label(r.parameter, a),
                    "side": f"input at {side}",
                    "start": t.base / BILLION,
                    "end": value / BILLION,
                    "input": _input_text(r.parameter, label),
                    "swing": r.swing / BILLION,
                }
            )
    return pd.DataFrame(rows)


def tornado_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Bars from the base value to the output at each input's low and high."""
    order = list(dict.fromkeys(frame["parameter"]))
    base = (
        alt.Chart(pd.DataFrame({"base": [float(frame["start"].iloc[0])]}))
        .mark_rule(color="#555555", strokeDash=[4, 3])
        .encode(x="base:Q")
    )
    bars = (
        alt.Chart(frame)
        .mark_bar(opacity=0.8)
        .encode(
            y=alt.Y("parameter:N", sort=order, title=None, axis=alt.Axis(labelLimit=0)),
            yOffset=alt.YOffset("side:N"),
            x=alt.X("start:Q", title=f"{title}, $ billions"),
            x2="end:Q",
            color=alt.Color("side:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)),
            tooltip=[
                alt.Tooltip("parameter:N", title="Input"),
                alt.Tooltip("input:N", title="Set to"),
                alt.Tooltip("end:Q", title=f"{title} ($ B)", format=",.2f"),
            ],
        )
        .properties(height=alt.Step(16))
    )
    return alt.LayerChart(layer=[bars, base])


def percentile_frame(sim: Simulation, measure: str) -> pd.DataFrame:
    """Percentiles, mean and its standard error of every party, as text."""
    s = sim.summary()
    s = s[s["measure"] == measure]
    out = pd.DataFrame({"Party": s["label"]})
    for q in PERCENTILES:
        out["Median" if q == 50 else f"P{q}"] = s[f"p{q}"].map(fmt.money)
    out["Mean"] = s["mean"].map(fmt.money)
    out["± s.e."] = s["se"].map(fmt.money)
    return out.reset_index(drop=True)


def regression_frame(table: pd.DataFrame, a: Assumptions | None = None) -> pd.DataFrame:
    """The regression's rows for people: the input in words, its standardised
    coefficient and its p-value (``< 0.001``)."""
    return pd.DataFrame(
        {
            "Input": [labels.param_label(p, a) for p in table["parameter"]],
            "Standardised effect": [
                "n/a (does not vary)" if c != c else f"{c:+.3f}" for c in table["std_coef"]
            ],
            "p-value": [fmt.p_value(p) for p in table["p_value"]],
        }
    )


def _median_month(dist: pd.DataFrame) -> str:
    """The month by which half of the paths have shipped, in words, or none."""
    shipped = dist[(dist["month"] != NO_SHIPMENT) & (dist["cumulative"] >= 0.5)]
    return fmt.month(str(shipped["month"].iloc[0])) if len(shipped) else "none within the horizon"


def after_facts_frame(sim: Simulation, a: Assumptions) -> pd.DataFrame:
    """Per product: the chance of no China revenue after the facts' date, and the month
    by which half of the paths ship to China again."""
    none = sim.p_no_future_revenue_by_product()
    names = {p.id: p.name for p in a.products}
    return pd.DataFrame(
        {
            "Product": [names.get(pid, pid) for pid in sim.product_ids],
            f"No China revenue after {_facts(sim)}": [
                fmt.pct(none.get(pid)) for pid in sim.product_ids
            ],
            "Median next China shipment": [
                _median_month(sim.next_shipment_distribution(pid)) for pid in sim.product_ids
            ],
        }
    )


def _facts(sim: Simulation) -> str:
    """The facts' date in words (the horizon's start when there is none)."""
    return fmt.month(sim.as_of) if sim.as_of else "the horizon's start"


# ---------------------------------------------------------------- sensitivity, shared


@st.cache_resource(max_entries=64, show_spinner=False)
def _tornado(sig: str, _a: Assumptions, _spec: RiskSpec, output: str, measure: str) -> Any:
    """The tornado of one run (``sig`` names the what-if and the risk table)."""
    from model.risk import tornado  # with the sensitivity module, on first use

    return tornado(_a, output, measure, parameters=list(_spec.paths), spec=_spec)


@st.cache_resource(max_entries=64, show_spinner=False)
def _regression(sig: str, _sim: Simulation, output: str, measure: str) -> Any:
    """The regression sensitivity of one run."""
    from model.risk import regression_sensitivity  # statsmodels loads on first use

    return regression_sensitivity(_sim, output, measure)


# ---------------------------------------------------------------- drawing


def _headline(sim: Simulation, output: str, measure: str, values: np.ndarray) -> None:
    """Mean, the chance of no China revenue after the facts, the next shipment."""
    m1, m2, m3 = st.columns(3)
    se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    m1.metric(
        f"Mean {party_label(output)}" + (" NPV" if measure == "npv" else ""),
        fmt.money(float(values.mean())),
        help=f"{party_label(output)}, {MEASURE_WORDS[measure]}, mean over the paths; "
        f"± {fmt.money(se)} standard error of the mean.",
        border=True,
    )
    m2.metric(
        f"No China revenue after {_facts(sim)}",
        fmt.pct(sim.p_no_future_revenue),
        help="Share of paths in which no chip earns China revenue after the date of the "
        "latest facts (every chip's revenue nil from then to the horizon's end). Over the "
        "whole horizon it is 0 %: chips were already sold before that date.",
        border=True,
    )
    m3.metric(
        "Median next China shipment",
        _median_month(sim.next_shipment_distribution()),
        help="Month by which half of the paths have shipped to China again after the date "
        "of the latest facts (any chip).",
        border=True,
    )


def _charts(sim: Simulation, values: np.ndarray, label: str) -> None:
    """The histogram of the output and the fan chart of a party's monthly money."""
    left, right = st.columns(2)
    with left:
        charts.show(histogram_chart(histogram_frame(values), label))
        st.caption(f"Distribution of {label} over {sim.n_paths:,} paths (seed {sim.seed}).")
    with right:
        fan_party = st.selectbox(
            "Fan chart",
            [p for p in DEFAULT_FAN if p in sim.monthly],
            key=KEY + "fan",
            format_func=party_label,
        )
        charts.show(fan_chart(sim.bands(fan_party), party_label(fan_party)))
        st.caption("Monthly P5–P95 and P10–P90 bands, median (line) and mean (dashed).")


def _drivers(run: Run, output: str, measure: str) -> None:
    """What drives the output: the tornado and the regression, inputs in words."""
    sim, a, spec, sig = run.sim, run.assumptions, run.spec, run.sig
    label = party_label(output) + " " + MEASURE_WORDS[measure]
    st.subheader("What drives it")
    t = _tornado(sig, a, spec, output, measure)
    charts.show(tornado_chart(tornado_frame(t, a), label))
    st.caption(
        f"One input at a time at its P10 and P90, every other input at the base "
        f"({fmt.money(t.base)})."
    )
    reg = _regression(sig, sim, output, measure)
    st.table(regression_frame(reg.table, a), hide_index=True)
    st.caption(
        f"Standardised effect: how many standard deviations {label} moves when the input "
        f"moves by one of its own, the others held (OLS on the draws, R² = "
        f"{reg.r_squared:.2f}); a p-value below 0.05 says the effect is unlikely to be "
        "noise. 'Never' is coded as the month after the horizon."
    )


@dataclass(frozen=True)
class Run:
    """A Monte Carlo run and what it ran on (``sig`` names the inputs, paths and seed)."""

    sim: Simulation
    assumptions: Assumptions
    spec: RiskSpec
    sig: str
    seconds: float


def results(run: Run, output: str, measure: str) -> None:
    """Draw a run's results for one output party and measure."""
    sim, a = run.sim, run.assumptions
    label = party_label(output) + " " + MEASURE_WORDS[measure]
    values = sim.values(output, measure)
    _headline(sim, output, measure, values)
    st.caption(f"{sim.n_paths:,} paths in {run.seconds:.2f} s.")
    st.subheader(f"No China revenue after {_facts(sim)}, by chip")
    st.table(after_facts_frame(sim, a), hide_index=True)
    st.subheader("Percentiles")
    st.table(percentile_frame(sim, measure), hide_index=True)
    _charts(sim, values, label)
    _drivers(run, output, measure)
    st.subheader(f"Next China shipment after {_facts(sim)}")
    nxt = sim.next_shipment_distribution()
    shipped = nxt[nxt["month"] != NO_SHIPMENT]
    chart = (
        alt.Chart(
            shipped.assign(
                date=pd.to_datetime(shipped["month"] + "-01"), label=shipped["month"].map(fmt.month)
            )
        )
        .mark_bar()
        .encode(
            x=alt.X(
                "date:T",
                title="Month",
                axis=alt.Axis(format="%b %Y", labelBound=True),
            ),
            y=alt.Y("probability:Q", axis=alt.Axis(format="%"), title="Probability"),
            tooltip=[
                alt.Tooltip("label:N", title="Month"),
                alt.Tooltip("probability:Q", title="Probability", format=".1%"),
                alt.Tooltip("cumulative:Q", title="By then", format=".1%"),
            ],
        )
    )
    charts.show(chart.properties(height=220))
    st.download_button(
        "Download the results (JSON)",
        json_text(sim.to_dict()),
        file_name="simulation.json",
        mime="application/json",
        key=KEY + "download",
    )
