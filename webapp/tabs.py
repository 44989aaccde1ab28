"""The main area's tabs. Each is ``(label, render)`` with ``render(view: View) -> None``;
adding a tab is one line in :data:`TABS`. Only the open tab is computed.

The open tab, the period and the product are bound to the page address (keys
``tab``, ``period``, ``product``), so a link reopens the same view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd
import streamlit as st

from model.analysis import ALL, PARTIES, PARTY_LABELS
from model.outputs import metric_info

from . import assumptions_tab, charts, compute, facts_tab, fmt, scenarios_tab, vendors_tab
from .state import BIND, PERIOD_KEY, PRODUCT_KEY, SERIES_KEY, TAB_KEY, shown_view
from .view import View


def product_picker(view: View) -> str:
    """One chip, or all of them added up (for every tab, bound to the address)."""
    ids = [ALL, *(p.id for p in view.whatif.products)]
    product = str(
        st.selectbox(
            "Product",
            ids,
            key=PRODUCT_KEY,
            format_func=view.product_label,
            help="One chip, or all of them added up (Timeline, Split, Volumes, Compute).",
            bind=BIND,
        )
    )
    shown_view(PRODUCT_KEY, view.product_label(product))
    return product


def period_picker() -> str:
    """Months, quarters or years (for every tab drawn by period, bound to the address)."""
    period = str(
        st.segmented_control(
            "Period",
            list(charts.PERIODS),
            key=PERIOD_KEY,
            default="month",
            format_func=lambda p: charts.PERIODS[p],
            required=True,
            help="Months, calendar quarters or years, or fiscal quarters or years (each "
            "vendor's own calendar, fiscal years named after the calendar year in which "
            "they end).",
            bind=BIND,
        )
        or "month"
    )
    shown_view(PERIOD_KEY, charts.PERIODS[period])
    return period


def shown_period(view: View, period: str, product: str) -> tuple[str, int, str]:
    """(period shown, fiscal year-end month, a note) for the products shown (see
    :func:`webapp.charts.shown_period`)."""
    return charts.shown_period(
        view.calendars, view.whatif.horizon.fiscal_year_end_month, period, product
    )


def _as_of_note(view: View) -> str:
    """The caption sentence on reported and forecast periods."""
    if view.as_of is None:
        return ""
    return (
        f" Periods up to {fmt.month(view.as_of)} (the date of the latest facts) are solid, "
        "later ones lighter: forecast."
    )


def _partial_note(period: str) -> str:
    """The caption sentence on partial periods (none for months)."""
    return "" if period == "month" else " " + charts.PARTIAL_NOTE


def timeline(view: View) -> None:
    """Draw the Timeline tab: money by party and period."""
    drawn = compute.timeline_spec(view.key, view.period, view.product)
    charts.show(drawn["spec"])
    note = drawn["note"]
    st.caption(
        "Bars stack what Chinese buyers pay: the vendor's retained revenue, the US "
        "levy, the US test labs' fees and China's tariff. The dashed line is the "
        "suppliers' revenue, paid by the vendor for new production, so it is not "
        "stacked on the buyers' money. Undiscounted dollars of each period."
        + _as_of_note(view)
        + _partial_note(view.period)
        + (f" {note}" if note else "")
    )


def _party_value(frame: pd.DataFrame, product: str, party: str, column: str) -> float:
    """One party's value for one product from a summary frame."""
    row = frame[(frame["product"] == product) & (frame["party"] == party)]
    return float(row[column].iloc[0])


def split(view: View) -> None:
    """Draw the Split tab: the waterfall and who bears the cost of delay."""
    product = view.product
    t = view.results.totals

    def v(party: str) -> float:
        """A party's value in the chosen measure."""
        return _party_value(t, product, party, view.measure)

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
    measure = "horizon totals, undiscounted" if view.measure == "total_usd" else "NPV"
    st.caption(f"From China gross revenue to the vendor's gross profit ({measure}, $ billions).")
    st.subheader("Who bears the cost of delay, and of the next month")
    st.table(delay_table(view, product), hide_index=True)
    st.caption(
        "Cost of delay: against the same assumptions with every chip licensed in the US "
        "and in China when demand began, China's batches and the reported actuals "
        "removed. Per month: each chip's cost over its own months of delay (n/a without "
        "delay or without a licence). Next month: what one more month of waiting for "
        f"the approvals still to come costs.{_delay_note(view, product)}"
    )


def delay_table(view: View, product: str) -> pd.DataFrame:
    """Per party: cost of delay, per month of delay and the cost of the next month."""
    total = view.measure == "total_usd"
    col = "total_usd" if total else "npv_usd"
    per = "total_per_month_usd" if total else "npv_per_month_usd"
    cod, nxt = view.results.delay_cost, view.results.next_month
    return pd.DataFrame(
        {
            "Party": [p.label for p in PARTIES],
            "Cost of delay": [fmt.money(_party_value(cod, product, p.key, col)) for p in PARTIES],
            "Per month of delay": [
                fmt.money(_party_value(cod, product, p.key, per)) for p in PARTIES
            ],
            "Cost of the next month": [
                fmt.money(_party_value(nxt, product, p.key, col)) for p in PARTIES
            ],
        }
    )


def _delay_note(view: View, product: str) -> str:
    """The product's months of delay, for the caption."""
    cod = view.results.delay_cost
    d = cod[(cod["product"] == product) & (cod["party"] == PARTIES[0].key)]
    months = float(d["delay_months"].iloc[0])
    if months != months:  # NaN: the products' delays differ
        return " The chips' delays differ; pick one to see its delay."
    return f" Delay: {fmt.months(months)}."


@st.fragment
def volumes(view: View) -> None:
    """Draw the Volumes tab: monthly flows and end-of-month stocks (a fragment: choosing
    the flows redraws this tab only)."""
    product = view.product
    chosen = st.multiselect(
        "Monthly flows",
        list(charts.FLOW_METRICS),
        default=list(charts.FLOW_METRICS),
        key=SERIES_KEY,
        format_func=lambda m: metric_info(m).label,
        help="\n\n".join(
            f"**{metric_info(m).label}**: {metric_info(m).description}" for m in charts.FLOW_METRICS
        ),
        bind=BIND,
    )
    monthly = view.monthly
    actuals = charts.actual_months(monthly, product)
    if chosen:
        charts.show(
            charts.lines_chart(
                charts.volume_frame(monthly, product, chosen),
                "units per month",
                as_of=view.as_of,
                actuals=actuals,
            )
        )
    cap = None if product == ALL else view.whatif.product(product).licence_cap_units
    charts.show(
        charts.lines_chart(
            charts.stock_frame(monthly, product, cap), "units", height=260, as_of=view.as_of
        )
    )
    st.caption(
        "Top: monthly flows; quota room is what the US-allocation rule allows this "
        "month (open orders for quota-exempt chips); China allowance left is what "
        "China's batches still allow (chips it rations only). Diamonds mark reported "
        "shipments; the dotted rule is the date of the latest facts. Bottom: stocks at "
        "the end of each month: inventory, cumulative China shipments and the licence "
        "cap (pick a product to see its cap)."
    )


def exported_compute(view: View) -> None:
    """Exported compute in H100-equivalents over time, by product."""
    product = view.product
    period, fye, note = shown_period(view, view.period, product)
    frame = charts.compute_frame(view.monthly, period, product, fye, view.as_of)
    if frame.empty:
        st.info("No chip shown reports its TPP, so its exported compute is unknown.")
        return
    now = float(frame["h100e"].sum())
    before = charts.total_compute(compute.monthly(view.reference.key), product)
    st.metric(
        "Compute exported over the horizon (H100-equivalents)",
        fmt.compact(now),
        fmt.signed(fmt.compact(now - before), now - before),
        help=metric_info("compute_h100_equivalents").description,
        border=True,
    )
    charts.show(
        charts.period_bars(
            frame, "h100e", "H100-equivalents", "product", charts.AXIS[period], view.as_of
        )
    )
    missing = [p.name for p in view.whatif.products if p.tpp is None]
    st.caption(
        "Compute = TPP (ECCN 3A090: dense TOPS × bit length) × China shipments, in "
        "H100-equivalents (TPP 15,832)."
        + (f" Not counted (no TPP reported): {', '.join(missing)}." if missing else "")
        + _as_of_note(view)
        + _partial_note(period)
        + (f" {note}" if note else "")
    )


def risk(view: View) -> None:
    """Draw the Risk tab."""
    from . import risk_tab  # on demand: the Monte Carlo's imports load when the tab opens

    risk_tab.render(view.whatif, view.reference.name)


def forecast(view: View) -> None:
    """Draw the Forecast tab."""
    from . import forecast_tab  # on demand: statsmodels loads when the tab opens

    forecast_tab.render(view.whatif)


TABS: list[tuple[str, Callable[[View], None]]] = [
    ("Timeline", timeline),
    ("Split", split),
    ("Volumes", volumes),
    ("Vendors", vendors_tab.render),
    ("Compute", exported_compute),
    ("Scenarios", scenarios_tab.render),
    ("Assumptions", assumptions_tab.render),
    ("Facts", facts_tab.render),
    ("Risk", risk),
    ("Forecast", forecast),
]
LABELS = [label for label, _ in TABS]


def controls(view: View) -> View:
    """The product and period pickers above the tabs: the view they choose."""
    left, right = st.columns([1, 2])
    with left:
        product = product_picker(view)
    with right:
        period = period_picker()
    return dataclasses.replace(view, product=product, period=period)


def show(view: View) -> None:
    """Draw the view's controls and the tabs; hidden tabs are skipped (switching tabs
    reruns the page)."""
    view = controls(view)
    containers = st.tabs(LABELS, key=TAB_KEY, on_change="rerun", bind=BIND)
    shown_view(TAB_KEY, str(st.session_state.get(TAB_KEY, LABELS[0])))
    for container, (_, render) in zip(containers, TABS, strict=True):
        if container.open is not False:
            with container:
                render(view)
