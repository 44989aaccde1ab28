"""Altair charts and the small frames behind them (labels from ``model.outputs.METRICS``)."""

from __future__ import annotations

import calendar
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from model.analysis import ALL, PARTY_LABELS
from model.outputs import SUPPLIER_PREFIX, aggregate, metric_info, period_labels

BILLION = 1e9
REPORTED, FORECAST = "reported", "forecast"
# reported periods solid, forecast periods lighter (the same colours)
BASIS_OPACITY = alt.Scale(domain=[REPORTED, FORECAST], range=[1.0, 0.45])
# flows of the buyers' money that add up (stacked) and the suppliers' revenue (a line)
STACKED = ("vendor_retained_usd", "us_government_usd", "test_lab_usd", "china_tariff_usd")
SUPPLIERS = PARTY_LABELS["suppliers"]
PERIODS = {
    "month": "Monthly",
    "calendar_quarter": "Calendar quarter",
    "calendar_year": "Calendar year",
    "fiscal_quarter": "Fiscal quarter",
    "fiscal_year": "Fiscal year",
}
FISCAL = ("fiscal_quarter", "fiscal_year")
FLOW_METRICS = (
    "china_demand_units",
    "open_orders_units",
    "china_shipments_units",
    "quota_room_units",
    "china_allowance_units",
    "us_shipments_units",
)
STOCK_METRIC = "inventory_units"
CUMULATIVE = "Cumulative China shipments"
CAP = "Licence cap"


def show(chart: alt.TopLevelMixin | dict[str, Any]) -> None:
    """Draw a chart (an Altair chart or a Vega-Lite spec) full width. Specs are built
    without Altair's JSON-schema validation (a third of a rerun's time); the builders
    here are checked by the tests instead."""
    spec: dict[str, Any] = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    config = spec.get("config", {})
    config.pop("view", None)  # Altair's default 300 px view; Streamlit sizes the chart
    if not config:
        spec.pop("config", None)
    st.vega_lite_chart(spec, width="stretch")


def _product(frame: pd.DataFrame, product: str) -> pd.DataFrame:
    """The rows of one product, or every row for all products."""
    return frame if product == ALL else frame[frame["product"] == product]


def one_calendar(calendars: dict[str, int], product: str) -> int | None:
    """The fiscal year-end month shared by the products shown, or None when their vendors'
    calendars differ (a roll-up across vendors then uses calendar periods)."""
    shown = {fye for pid, fye in calendars.items() if product in (ALL, pid)}
    return shown.pop() if len(shown) == 1 else None


def period_basis(
    months: list[str], period: str, fiscal_year_end_month: int, as_of: str | None
) -> dict[str, str]:
    """Each period's basis: reported when its last month is at or before the date of the
    latest facts, else forecast."""
    last: dict[str, str] = {}
    for month, label in zip(
        months, period_labels(months, period, fiscal_year_end_month), strict=True
    ):
        last[label] = max(last.get(label, month), month)
    return {k: REPORTED if as_of is not None and m <= as_of else FORECAST for k, m in last.items()}


def party_frame(
    monthly: pd.DataFrame,
    period: str,
    product: str,
    fiscal_year_end_month: int,
    as_of: str | None = None,
) -> pd.DataFrame:
    """Money by party and period: ``period, party, usd, stacked, basis`` (suppliers
    summed; basis says whether the period is reported or forecast)."""
    sub = _product(monthly, product)
    keep = sub["metric"].isin(STACKED) | sub["metric"].str.startswith(SUPPLIER_PREFIX)
    agg = aggregate(sub[keep], period, fiscal_year_end_month)
    is_sup = agg["metric"].str.startswith(SUPPLIER_PREFIX)
    agg["party"] = agg["metric"].map(
        lambda m: SUPPLIERS if m.startswith(SUPPLIER_PREFIX) else metric_info(m).label
    )
    agg["stacked"] = ~is_sup
    out = agg.groupby(["period", "party", "stacked"], sort=False)["value"].sum().reset_index()
    basis = period_basis(sorted(monthly["month"].unique()), period, fiscal_year_end_month, as_of)
    out["basis"] = out["period"].map(basis)
    return out.rename(columns={"value": "usd"})


def as_of_rule(frame: pd.DataFrame, x: alt.X, as_of: str | None) -> list[alt.Chart]:
    """A dashed rule after the last reported period, labelled with the facts' date."""
    reported = frame.loc[frame["basis"] == REPORTED, "period"] if "basis" in frame else []
    if as_of is None or not len(reported):
        return []
    at = pd.DataFrame(
        {"period": [list(dict.fromkeys(reported))[-1]], "text": [f"facts to {as_of}"]}
    )
    rule = alt.Chart(at).mark_rule(strokeDash=[2, 2], color="#555").encode(x=x)
    text = (
        alt.Chart(at)
        .mark_text(align="left", dx=4, dy=-4, baseline="top", color="#555")
        .encode(x=x, y=alt.value(0), text="text:N")
    )
    return [rule, text]


def party_order() -> list[str]:
    """The parties in stacking order: the buyers' money, then the suppliers."""
    return [metric_info(m).label for m in STACKED] + [SUPPLIERS]


VEGA_LITE = "https://vega.github.io/schema/vega-lite/v6.json"


def _rule_layers(x: dict[str, Any], period: str, as_of: str) -> list[dict[str, Any]]:
    """A dashed rule at ``period`` labelled with the facts' date (plain Vega-Lite)."""
    at = {"datum": period, "type": x["type"]}
    return [
        {"mark": {"type": "rule", "strokeDash": [2, 2], "color": "#555"}, "encoding": {"x": at}},
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "baseline": "top", "color": "#555"},
            "encoding": {"x": at, "y": {"value": 0}, "text": {"value": f"facts to {as_of}"}},
        },
    ]


def timeline_chart(
    frame: pd.DataFrame, period_title: str, as_of: str | None = None
) -> dict[str, Any]:
    """Stacked bars of the buyers' money by party, with the suppliers' revenue as a line;
    reported periods solid, forecast periods lighter, a rule after the last reported
    period. Written as a Vega-Lite spec directly: the chart a rerun draws most often,
    built in a millisecond rather than through Altair (the tests validate it)."""
    order = party_order()
    data = frame.assign(billions=frame["usd"] / BILLION, party_rank=frame["party"].map(order.index))
    periods = list(dict.fromkeys(data["period"]))
    x = {
        "field": "period",
        "type": "ordinal",
        "title": period_title,
        "sort": periods,
        "axis": {"labelAngle": -45},
    }
    color = {
        "field": "party",
        "type": "nominal",
        "title": "Party",
        "scale": {"domain": order, "scheme": "tableau10"},
        "sort": order,
        "legend": {"orient": "bottom"},
    }
    tooltip = [
        {"field": "period", "type": "ordinal", "title": period_title},
        {"field": "party", "type": "nominal"},
        {"field": "billions", "type": "quantitative", "title": "$ billions", "format": ",.3f"},
    ]
    columns = ["period", "party", "billions", "basis", "party_rank"]
    bars = {
        "data": {"values": data.loc[data["stacked"], columns].to_dict("records")},
        "mark": {"type": "bar"},
        "encoding": {
            "x": x,
            "y": {
                "field": "billions",
                "type": "quantitative",
                "title": "$ billions",
                "stack": "zero",
            },
            "color": color,
            "opacity": {
                "field": "basis",
                "type": "nominal",
                "title": "Basis",
                "scale": {"domain": [REPORTED, FORECAST], "range": [1.0, 0.45]},
            },
            "order": {"field": "party_rank", "type": "quantitative"},
            "tooltip": [*tooltip, {"field": "basis", "type": "nominal", "title": "Basis"}],
        },
    }
    line = {
        "data": {"values": data.loc[~data["stacked"], columns].to_dict("records")},
        "mark": {"type": "line", "point": True, "strokeDash": [4, 3]},
        "encoding": {
            "x": x,
            "y": {"field": "billions", "type": "quantitative"},
            "color": color,
            "tooltip": tooltip,
        },
    }
    reported = [p for p in periods if (data.loc[data["period"] == p, "basis"] == REPORTED).all()]
    rule = _rule_layers(x, reported[-1], as_of) if as_of is not None and reported else []
    return {"$schema": VEGA_LITE, "height": 380, "layer": [bars, line, *rule]}


def waterfall_frame(steps: list[tuple[str, float, bool]]) -> pd.DataFrame:
    """``(label, amount, is_total)`` steps -> bars from ``start`` to ``end`` in $ billions."""
    rows, level = [], 0.0
    for label, amount, is_total in steps:
        start, end = (0.0, amount) if is_total else (level, level + amount)
        level = end
        kind = "total" if is_total else ("increase" if amount >= 0 else "decrease")
        rows.append((label, start / BILLION, end / BILLION, amount / BILLION, kind))
    return pd.DataFrame(rows, columns=["step", "start", "end", "amount", "kind"])


def waterfall_chart(frame: pd.DataFrame) -> alt.TopLevelMixin:
    """Bars from each step's start to its end, with the amount written on top."""
    order = list(frame["step"])
    base = alt.Chart(frame).encode(
        x=alt.X("step:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=140))
    )
    bars = base.mark_bar().encode(
        y=alt.Y("start:Q", title="$ billions"),
        y2="end:Q",
        color=alt.Color(
            "kind:N",
            title=None,
            scale=alt.Scale(
                domain=["total", "decrease", "increase"], range=["#4c78a8", "#e45756", "#54a24b"]
            ),
        ),
        tooltip=[alt.Tooltip("step:N"), alt.Tooltip("amount:Q", title="$ billions", format=",.3f")],
    )
    text = (
        base.mark_text(dy=-8)
        .encode(y=alt.Y("top:Q"), text=alt.Text("amount:Q", format=",.2f"))
        .transform_calculate(top="max(datum.start, datum.end)")
    )
    return alt.layer(bars, text).properties(height=380)


def volume_frame(monthly: pd.DataFrame, product: str, metrics: list[str]) -> pd.DataFrame:
    """Monthly units per metric (summed over products for ``all``), labelled."""
    sub = _product(monthly, product)
    sub = sub[sub["metric"].isin(metrics)]
    out = sub.groupby(["month", "metric"], sort=False)["value"].sum().reset_index()
    out["series"] = out["metric"].map(lambda m: metric_info(m).label)
    return out


def stock_frame(monthly: pd.DataFrame, product: str, cap: float | None) -> pd.DataFrame:
    """End-of-month inventory, cumulative China shipments and, when set, the licence cap."""
    sub = _product(monthly, product)
    ship = sub[sub["metric"] == "china_shipments_units"].groupby("month", sort=False)["value"].sum()
    frames = [
        volume_frame(monthly, product, [STOCK_METRIC])[["month", "series", "value"]],
        pd.DataFrame(
            {"month": ship.index, "series": CUMULATIVE, "value": ship.cumsum().to_numpy()}
        ),
    ]
    if cap is not None:
        frames.append(pd.DataFrame({"month": ship.index, "series": CAP, "value": cap}))
    return pd.concat(frames, ignore_index=True)


def actual_months(monthly: pd.DataFrame, product: str) -> list[str]:
    """Months in which China shipments are a reported actual (for the product or any)."""
    sub = _product(monthly, product)
    flags = sub[(sub["metric"] == "shipments_actual") & (sub["value"] > 0)]
    return sorted(flags["month"].unique())


def lines_chart(
    frame: pd.DataFrame,
    y_title: str,
    height: int = 320,
    as_of: str | None = None,
    actuals: list[str] | None = None,
) -> alt.TopLevelMixin:
    """Monthly lines by series; the reported months of China shipments as filled points
    and a rule at the date of the latest facts."""
    x = alt.X("month:O", title="Month", axis=alt.Axis(labelAngle=-45))
    color = alt.Color(
        "series:N",
        title=None,
        legend=alt.Legend(orient="bottom"),
        sort=list(dict.fromkeys(frame["series"])),
    )
    lines = (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title),
            color=color,
            tooltip=["month:O", "series:N", alt.Tooltip("value:Q", format=",.0f")],
        )
    )
    layers: list[alt.Chart] = [lines]
    shipped = metric_info("china_shipments_units").label
    reported = frame[(frame["series"] == shipped) & frame["month"].isin(actuals or [])]
    if len(reported):
        layers.append(
            alt.Chart(reported.assign(basis="reported actual"))
            .mark_point(filled=True, size=60, shape="diamond")
            .encode(
                x=x,
                y="value:Q",
                color=color,
                tooltip=["month:O", "basis:N", alt.Tooltip("value:Q", format=",.0f")],
            )
        )
    if as_of is not None and as_of in set(frame["month"]):
        at = pd.DataFrame({"month": [as_of], "text": [f"facts to {as_of}"]})
        layers.append(alt.Chart(at).mark_rule(strokeDash=[2, 2], color="#555").encode(x=x))
        layers.append(
            alt.Chart(at)
            .mark_text(align="left", dx=4, baseline="top", color="#555")
            .encode(x=x, y=alt.value(0), text="text:N")
        )
    return alt.layer(*layers).properties(height=height)


def period_bars(
    frame: pd.DataFrame,
    value: str,
    y_title: str,
    color: str,
    period_title: str,
    as_of: str | None = None,
    height: int = 300,
) -> alt.TopLevelMixin:
    """Stacked bars of ``value`` by ``period`` and ``color`` (reported periods solid,
    forecast lighter, a rule after the last reported period)."""
    periods = list(dict.fromkeys(frame["period"]))
    x = alt.X(
        "period:O",
        title=period_title,
        sort=periods,
        axis=alt.Axis(labelAngle=-45, labelOverlap=False),
    )
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y(f"{value}:Q", title=y_title, stack="zero"),
            color=alt.Color(f"{color}:N", title=None, legend=alt.Legend(orient="bottom")),
            opacity=alt.Opacity("basis:N", title="Basis", scale=BASIS_OPACITY),
            tooltip=[
                alt.Tooltip("period:O", title=period_title),
                alt.Tooltip(f"{color}:N"),
                alt.Tooltip(f"{value}:Q", title=y_title, format=",.4~f"),
                alt.Tooltip("basis:N", title="Basis"),
            ],
        )
    )
    return alt.layer(bars, *as_of_rule(frame, x, as_of)).properties(height=height)


def scenario_bars(
    frame: pd.DataFrame, party_label: str, expected: float | None
) -> alt.TopLevelMixin:
    """One party's figure per scenario (``scenario, billions``), the expected value a rule."""
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("scenario:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("billions:Q", title=f"{party_label}, $ billions"),
            tooltip=["scenario:N", alt.Tooltip("billions:Q", format=",.3f")],
        )
    )
    if expected is None:
        return bars.properties(height=28 * len(frame) + 40)
    rule = (
        alt.Chart(pd.DataFrame({"ev": [expected / BILLION]}))
        .mark_rule(color="#e45756", strokeDash=[6, 3], size=2)
        .encode(
            x="ev:Q",
            tooltip=[alt.Tooltip("ev:Q", title="Expected value, $ billions", format=",.3f")],
        )
    )
    return alt.layer(bars, rule).properties(height=28 * len(frame) + 40)


COMPUTE_METRIC = "compute_h100_equivalents"


def compute_frame(
    monthly: pd.DataFrame,
    period: str,
    product: str,
    fiscal_year_end_month: int,
    as_of: str | None = None,
) -> pd.DataFrame:
    """Exported compute by period and product: ``period, product, h100e, basis`` (empty
    when no product shown reports its TPP)."""
    sub = _product(monthly, product)
    sub = sub[sub["metric"] == COMPUTE_METRIC]
    if sub.empty:
        return pd.DataFrame(columns=["period", "product", "h100e", "basis"])
    agg = aggregate(sub, period, fiscal_year_end_month)
    basis = period_basis(sorted(monthly["month"].unique()), period, fiscal_year_end_month, as_of)
    agg["basis"] = agg["period"].map(basis)
    return agg.rename(columns={"value": "h100e"})[["period", "product", "h100e", "basis"]]


def total_compute(monthly: pd.DataFrame, product: str) -> float:
    """Compute exported over the horizon, in H100-equivalents."""
    sub = _product(monthly, product)
    return float(sub.loc[sub["metric"] == COMPUTE_METRIC, "value"].sum())


def month_name(month: int) -> str:
    """``1`` -> ``"January"``."""
    return calendar.month_name[month]
