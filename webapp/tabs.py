"""The main area's tabs. Each is ``(label, render)`` with ``render(view: View) -> None``;
adding a tab is one line in :data:`TABS`. Only the open tab is computed.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from model.analysis import ALL, PARTIES, PARTY_LABELS
from model.outputs import metric_info

from . import assumptions_tab, charts, fmt, forecast_tab, risk_tab, scenarios_tab
from .view import View

TAB_KEY = "tab"


def _product_picker(view: View, key: str) -> str:
    ids = [ALL, *(p.id for p in view.whatif.products)]
    return st.selectbox(
        "Product",
        ids,
        key=key,
        format_func=view.product_label,
        help="One chip, or all of them added up.",
    )


def timeline(view: View) -> None:
    left, right = st.columns([2, 1])
    with left:
        period = st.segmented_control(
            "Period",
            list(charts.PERIODS),
            key="timeline_period",
            default="month",
            format_func=lambda p: charts.PERIODS[p],
            required=True,
            help="Months, calendar quarters, or the vendor's fiscal quarters (fiscal years "
            "named after the calendar year in which they end).",
        )
    with right:
        product = _product_picker(view, "timeline_product")
    period = period or "month"
    frame = charts.party_frame(
        view.monthly, period, product, view.whatif.horizon.fiscal_year_end_month
    )
    charts.show(charts.timeline_chart(frame, charts.PERIODS[period]))
    st.caption(
        "Bars stack what Chinese buyers pay: the vendor's retained revenue, the US "
        "levy, the US test labs' fees and China's tariff. The dashed line is the "
        "suppliers' revenue, paid by the vendor for new production, so it is not "
        "stacked on the buyers' money. Fiscal quarters follow the vendor's year end "
        f"(month {view.whatif.horizon.fiscal_year_end_month})."
    )


def _party_value(view: View, results_totals: pd.DataFrame, product: str, party: str) -> float:
    t = results_totals
    return float(t[(t["product"] == product) & (t["party"] == party)][view.measure].iloc[0])


def split(view: View) -> None:
    product = _product_picker(view, "split_product")
    t = view.results.totals

    def v(party: str) -> float:
        return _party_value(view, t, product, party)

    steps = [
        (PARTY_LABELS["china_gross_revenue"], v("china_gross_revenue"), True),
        (PARTY_LABELS["us_government"], -v("us_government"), False),
        (PARTY_LABELS["test_labs"], -v("test_labs"), False),
        (PARTY_LABELS["vendor_retained"], v("vendor_retained"), True),
        (
            metric_info("vendor_cogs_usd").label,
            v("vendor_gross_profit") - v("vendor_retained"),
            False,
        ),
        (PARTY_LABELS["vendor_gross_profit"], v("vendor_gross_profit"), True),
    ]
    charts.show(charts.waterfall_chart(charts.waterfall_frame(steps)))
    measure = "horizon totals" if view.measure == "total_usd" else "NPV"
    st.caption(f"From China gross revenue to the vendor's gross profit ({measure}, $ billions).")
    st.subheader("Who bears the cost of delay")
    cod = view.results.delay_cost
    cod = cod[cod["product"] == product].set_index("party")
    d = float(cod["delay_months"].iloc[0])
    col = view.measure if view.measure == "total_usd" else "npv_usd"
    per = "total_per_month_usd" if view.measure == "total_usd" else "npv_per_month_usd"
    table = pd.DataFrame(
        {
            "Party": [p.label for p in PARTIES],
            "Cost of delay": [fmt.money(cod.loc[p.key, col]) for p in PARTIES],
            "Per month of delay": [fmt.money(cod.loc[p.key, per]) for p in PARTIES],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(
        f"Against the same assumptions approved at the horizon start; delay "
        f"{fmt.months(d)}. Per-month figures are n/a without delay or without a "
        "licence."
    )


def volumes(view: View) -> None:
    left, right = st.columns([2, 1])
    with right:
        product = _product_picker(view, "volumes_product")
    with left:
        chosen = st.multiselect(
            "Monthly flows",
            list(charts.FLOW_METRICS),
            default=list(charts.FLOW_METRICS),
            key="volume_series",
            format_func=lambda m: metric_info(m).label,
            help="\n\n".join(
                f"**{metric_info(m).label}**: {metric_info(m).description}"
                for m in charts.FLOW_METRICS
            ),
        )
    monthly = view.monthly
    if chosen:
        charts.show(
            charts.lines_chart(charts.volume_frame(monthly, product, chosen), "units per month")
        )
    cap = None if product == ALL else view.whatif.product(product).licence_cap_units
    charts.show(charts.lines_chart(charts.stock_frame(monthly, product, cap), "units", height=260))
    st.caption(
        "Top: monthly flows; quota room is what the US-allocation rule allows this "
        "month (open orders for quota-exempt chips). Bottom: stocks at the end of "
        "each month: inventory, cumulative China shipments and the licence cap (pick "
        "a product to see its cap)."
    )


TABS: list[tuple[str, Callable[[View], None]]] = [
    ("Timeline", timeline),
    ("Split", split),
    ("Volumes", volumes),
    ("Scenarios", scenarios_tab.render),
    ("Assumptions", assumptions_tab.render),
    ("Risk", lambda v: risk_tab.render(v.whatif, v.reference.name)),
    ("Forecast", lambda v: forecast_tab.render(v.whatif)),
]


def show(view: View) -> None:
    """Draw the tabs; hidden tabs are skipped (switching tabs reruns the page)."""
    containers = st.tabs([label for label, _ in TABS], key=TAB_KEY, on_change="rerun")
    for container, (_, render) in zip(containers, TABS, strict=True):
        if container.open is not False:
            with container:
                render(view)
