"""Altair charts and the small frames behind them (labels from ``model.outputs.METRICS``).

Periods are shown as people say them (``Mar 2028``, ``2026-Q1``, ``FY2027``); a period
the horizon cuts short (a quarter with fewer than 3 of its months inside the horizon, a
year with fewer than 12) carries its month count in its label (``FY2026 (1 mo)``), an
outline on its bars and a line in the tooltip.
"""

from __future__ import annotations

import calendar
from collections import Counter
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from model.analysis import ALL, PARTY_LABELS
from model.outputs import SUPPLIER_PREFIX, aggregate, metric_info, period_labels

from . import fmt

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
#: Axis titles of the periods (the controls' words are in :data:`PERIODS`).
AXIS = {
    "month": "Month",
    "calendar_quarter": "Calendar quarter",
    "calendar_year": "Calendar year",
    "fiscal_quarter": "Fiscal quarter",
    "fiscal_year": "Fiscal year",
}
#: Months in a whole period of each kind.
FULL_MONTHS = {
    "month": 1,
    "calendar_quarter": 3,
    "calendar_year": 12,
    "fiscal_quarter": 3,
    "fiscal_year": 12,
}
FISCAL = ("fiscal_quarter", "fiscal_year")
PARTIAL_NOTE = (
    "Periods the horizon cuts short are outlined and labelled with their months, e.g. "
    "'(1 mo)': their totals are not comparable with whole periods."
)
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
    here are checked by the tests instead. A spec is never changed (it may be cached)."""
    spec: dict[str, Any] = dict(chart) if isinstance(chart, dict) else chart.to_dict(validate=False)
    # Altair's default 300 px view goes: Streamlit sizes the chart
    config = {k: v for k, v in spec.get("config", {}).items() if k != "view"}
    spec.pop("config", None)
    if config:
        spec["config"] = config
    st.vega_lite_chart(spec, width="stretch")


def _product(frame: pd.DataFrame, product: str) -> pd.DataFrame:
    """The rows of one product, or every row for all products."""
    return frame if product == ALL else frame[frame["product"] == product]


def one_calendar(calendars: dict[str, int], product: str) -> int | None:
    """The fiscal year-end month shared by the products shown, or None when their vendors'
    calendars differ (a roll-up across vendors then uses calendar periods)."""
    shown = {fye for pid, fye in calendars.items() if product in (ALL, pid)}
    return shown.pop() if len(shown) == 1 else None


def shown_period(
    calendars: dict[str, int], default_fye: int, period: str, product: str
) -> tuple[str, int, str]:
    """(period shown, fiscal year-end month, a note): fiscal periods fall back to
    calendar ones when the products shown follow different fiscal calendars."""
    fye = one_calendar(calendars, product)
    if period in FISCAL and fye is None:
        calendar_period = period.replace("fiscal", "calendar")
        note = (
            "The vendors' fiscal calendars differ, so all products together are shown by "
            f"{PERIODS[calendar_period].lower()}; pick one product for its fiscal periods."
        )
        return calendar_period, 1, note
    return period, fye or default_fye, ""


def period_months(months: list[str], period: str, fiscal_year_end_month: int) -> Counter[str]:
    """How many months of the horizon each period holds."""
    return Counter(period_labels(months, period, fiscal_year_end_month))


def period_text(label: str, count: int, period: str) -> str:
    """A period as people read it: ``Mar 2028``, ``2026-Q1``, ``FY2026 (1 mo)`` for a
    period the horizon cuts short."""
    if period == "month":
        return fmt.month(label)
    return label if count >= FULL_MONTHS[period] else f"{label} ({count} mo)"


def coverage_text(count: int, period: str) -> str:
    """The tooltip's line on a period's months ("" for a whole period)."""
    full = FULL_MONTHS[period]
    return "" if count >= full else f"partial: {count} of {full} months in the horizon"


def with_periods(
    frame: pd.DataFrame, months: list[str], period: str, fiscal_year_end_month: int
) -> pd.DataFrame:
    """``frame`` (with a ``period`` column) plus ``label`` (for people),
    ``months_in_period``, ``partial`` and ``coverage`` (the tooltip's line)."""
    counts = period_months(months, period, fiscal_year_end_month)
    n = frame["period"].map(lambda p: counts.get(p, FULL_MONTHS[period]))
    return frame.assign(
        label=[period_text(p, c, period) for p, c in zip(frame["period"], n, strict=True)],
        months_in_period=n.astype(int),
        partial=n < FULL_MONTHS[period],
        coverage=[coverage_text(c, period) for c in n],
    )


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
    months = sorted(monthly["month"].unique())
    basis = period_basis(months, period, fiscal_year_end_month, as_of)
    out["basis"] = out["period"].map(basis)
    return with_periods(out.rename(columns={"value": "usd"}), months, period, fiscal_year_end_month)


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """A period frame with its people's labels (the raw period where none were added)."""
    if "label" in frame:
        return frame
    return frame.assign(label=frame["period"], partial=False, coverage="")


def last_reported(frame: pd.DataFrame) -> str | None:
    """The label of the last period whose rows are all reported, or None."""
    if "basis" not in frame or frame.empty:
        return None
    reported = frame.groupby("label", sort=False)["basis"].agg(lambda b: (b == REPORTED).all())
    shown = [k for k, v in reported.items() if v]
    return str(shown[-1]) if shown else None


def facts_text(as_of: str) -> str:
    """The facts rule's label: ``facts to Oct 2026``."""
    return f"facts to {fmt.month(as_of)}"


def as_of_rule(frame: pd.DataFrame, x: alt.X, as_of: str | None) -> list[alt.Chart]:
    """A dashed rule after the last reported period, labelled with the facts' date."""
    last = last_reported(_labelled(frame))
    if as_of is None or last is None:
        return []
    at = pd.DataFrame({"label": [last], "text": [facts_text(as_of)]})
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
#: Legends under the chart, labels never cut.
LEGEND = {"orient": "bottom", "labelLimit": 0, "titleLimit": 0}
#: The outline of a period the horizon cuts short (plain Vega-Lite).
PARTIAL_STROKE = {"condition": {"test": "datum.partial", "value": "#333333"}, "value": None}


def _rule_layers(x: dict[str, Any], period: str, as_of: str) -> list[dict[str, Any]]:
    """A dashed rule at ``period`` labelled with the facts' date (plain Vega-Lite)."""
    at = {"datum": period, "type": x["type"]}
    one: dict[str, Any] = {"values": [{}]}  # a layer draws its marks once per row of its data
    return [
        {
            "data": one,
            "mark": {"type": "rule", "strokeDash": [2, 2], "color": "#555"},
            "encoding": {"x": at},
        },
        {
            "data": one,
            "mark": {"type": "text", "align": "left", "dx": 4, "baseline": "top", "color": "#555"},
            "encoding": {"x": at, "y": {"value": 0}, "text": {"value": facts_text(as_of)}},
        },
    ]


def _timeline_tooltip(period_title: str, partial: bool) -> list[dict[str, Any]]:
    """The timeline's tooltip rows (the coverage line only where a period is partial)."""
    rows = [
        {"field": "label", "type": "ordinal", "title": period_title},
        {"field": "party", "type": "nominal", "title": "Party"},
        {"field": "billions", "type": "quantitative", "title": "$ billions", "format": ",.3f"},
    ]
    if partial:
        rows.append({"field": "coverage", "type": "nominal", "title": "Months"})
    return rows


def timeline_chart(
    frame: pd.DataFrame, period_title: str, as_of: str | None = None
) -> dict[str, Any]:
    """Stacked bars of the buyers' money by party, with the suppliers' revenue as a line;
    reported periods solid, forecast periods lighter, partial periods outlined, a rule
    after the last reported period. Written as a Vega-Lite spec directly: the chart a
    rerun draws most often, built in a millisecond rather than through Altair (the tests
    validate it)."""
    order = party_order()
    data = _labelled(frame)
    data = data.assign(billions=data["usd"] / BILLION, party_rank=data["party"].map(order.index))
    labels = list(dict.fromkeys(data["label"]))
    x = {
        "field": "label",
        "type": "ordinal",
        "title": period_title,
        "sort": labels,
        "axis": {"labelAngle": -45},
    }
    color = {
        "field": "party",
        "type": "nominal",
        "title": "Party",
        "scale": {"domain": order, "scheme": "tableau10"},
        "sort": order,
        "legend": LEGEND,
    }
    tooltip = _timeline_tooltip(period_title, bool(data["partial"].any()))
    columns = ["label", "party", "billions", "basis", "party_rank", "partial", "coverage"]
    bars = {
        "data": {"values": data.loc[data["stacked"], columns].to_dict("records")},
        "mark": {"type": "bar", "strokeDash": [3, 2], "strokeWidth": 1.5},
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
                "legend": LEGEND,
            },
            "stroke": PARTIAL_STROKE,
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
    last = last_reported(data)
    rule = _rule_layers(x, last, as_of) if as_of is not None and last is not None else []
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
    """Monthly lines by series (months as ``Mar 2028``); the reported months of China
    shipments as filled points and a rule at the date of the latest facts."""
    months = list(dict.fromkeys(frame["month"]))
    data = frame.assign(label=frame["month"].map(fmt.month))
    x = alt.X(
        "label:O", title="Month", sort=[fmt.month(m) for m in months], axis=alt.Axis(labelAngle=-45)
    )
    color = alt.Color(
        "series:N",
        title=None,
        legend=alt.Legend(orient="bottom", labelLimit=0, columns=3),
        sort=list(dict.fromkeys(frame["series"])),
    )
    tooltip = [
        alt.Tooltip("label:O", title="Month"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("value:Q", title=y_title, format=",.0f"),
    ]
    lines = (
        alt.Chart(data)
        .mark_line()
        .encode(x=x, y=alt.Y("value:Q", title=y_title), color=color, tooltip=tooltip)
    )
    layers: list[alt.Chart] = [lines]
    shipped = metric_info("china_shipments_units").label
    reported = data[(data["series"] == shipped) & data["month"].isin(actuals or [])]
    if len(reported):
        layers.append(
            alt.Chart(reported.assign(basis="reported actual"))
            .mark_point(filled=True, size=60, shape="diamond")
            .encode(
                x=x,
                y="value:Q",
                color=color,
                tooltip=[*tooltip[:1], alt.Tooltip("basis:N", title="Basis"), *tooltip[2:]],
            )
        )
    if as_of is not None and as_of in set(months):
        at = pd.DataFrame({"label": [fmt.month(as_of)], "text": [facts_text(as_of)]})
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
    color_legend: bool = True,
) -> alt.TopLevelMixin:
    """Stacked bars of ``value`` by period and ``color`` (reported periods solid,
    forecast lighter, partial periods outlined, a rule after the last reported period);
    without a colour legend where the chart's title already names its one colour."""
    data = _labelled(frame)
    x = alt.X(
        "label:O",
        title=period_title,
        sort=list(dict.fromkeys(data["label"])),
        axis=alt.Axis(labelAngle=-45, labelOverlap=False),
    )
    tooltip = [
        alt.Tooltip("label:O", title=period_title),
        alt.Tooltip(f"{color}:N", title=color.capitalize()),
        alt.Tooltip(f"{value}:Q", title=y_title, format=",.4~f"),
        alt.Tooltip("basis:N", title="Basis"),
    ]
    if bool(data["partial"].any()):
        tooltip.append(alt.Tooltip("coverage:N", title="Months"))
    bars = (
        alt.Chart(data)
        .mark_bar(strokeDash=[3, 2], strokeWidth=1.5)
        .encode(
            x=x,
            y=alt.Y(f"{value}:Q", title=y_title, stack="zero"),
            color=alt.Color(
                f"{color}:N",
                title=None,
                legend=alt.Legend(orient="bottom", labelLimit=0) if color_legend else None,
            ),
            opacity=alt.Opacity(
                "basis:N",
                title="Basis",
                scale=BASIS_OPACITY,
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            stroke=alt.condition("datum.partial", alt.value("#333333"), alt.value(None)),
            tooltip=tooltip,
        )
    )
    return alt.layer(bars, *as_of_rule(data, x, as_of)).properties(height=height)


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
    months = sorted(monthly["month"].unique())
    agg["basis"] = agg["period"].map(period_basis(months, period, fiscal_year_end_month, as_of))
    out = agg.rename(columns={"value": "h100e"})[["period", "product", "h100e", "basis"]]
    return with_periods(out, months, period, fiscal_year_end_month)


def total_compute(monthly: pd.DataFrame, product: str) -> float:
    """Compute exported over the horizon, in H100-equivalents."""
    sub = _product(monthly, product)
    return float(sub.loc[sub["metric"] == COMPUTE_METRIC, "value"].sum())


def month_name(month: int) -> str:
    """``1`` -> ``"January"``."""
    return calendar.month_name[month]
