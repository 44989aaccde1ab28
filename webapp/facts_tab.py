"""The Facts tab: what the vendors reported against what the what-if models, per vendor
fiscal quarter (with the actuals, and as a backtest from what was known at the horizon's
start), and what the licence was worth to each party by the date of the facts (the
vintages) with each vendor's earnings-per-share effect (docs/facts.md).

The reconciliation follows the what-if and is computed once per what-if for every
session; the vintages are the shipped ones, computed once per server process.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from model.analysis import PARTY_LABELS
from model.loader import InputError
from model.reconcile import MODES, RELATIVE_TOLERANCE, read_reported, reconcile
from model.shipped import BASE, REPORTED_DIR, VINTAGES_DIR
from model.vintages import VALUE_PARTIES, default_sets, load_vintages, vintage_files, vintage_values

from . import charts, compute, fmt
from .notices import problems_text
from .view import View

MODE_WORDS = {
    "with-actuals": "With the actuals (the assumptions as given)",
    "backtest": "Backtest (what the model said at the horizon's start)",
}
MEASURE_WORDS = {
    "china_dc_revenue_usd": "China data-centre revenue",
    "units": "Units shipped to China",
    "inventory_charge_usd": "Inventory charge",
}
BOUND_WORDS = {"exact": "", "upper": "at most ", "lower": "at least "}
STATUS_WORDS = {
    "compared": "compared",
    "outside the horizon": "before the horizon",
    "partly outside the horizon": "quarter partly before the horizon",
    "not modelled (for information)": "not modelled (for information)",
    "vendor not in the assumptions": "vendor not in this what-if",
}
KEY = "facts_"


# ---------------------------------------------------------------- reconciliation


@st.cache_resource(max_entries=compute.ENTRIES, show_spinner=False)
def reconciliation(key: str) -> pd.DataFrame:
    """Reported against modelled for the what-if with this cache key, both modes."""
    return reconcile(compute.assumptions(key), read_reported(REPORTED_DIR), MODES)


def _figure(value: float, measure: str) -> str:
    """Money as ``$ 544 M``, units with separators; a dash where nothing is compared."""
    if value != value:
        return "–"
    return fmt.money(value) if measure.endswith("_usd") else f"{value:,.0f} units"


def _verdict(inside: Any, status: str) -> str:
    """Whether the modelled figure keeps within the reported bound, or why not compared."""
    if inside is None or status != "compared":
        return STATUS_WORDS.get(status, status)
    return "yes" if inside else "**no**"


def reconciliation_frame(frame: pd.DataFrame, mode: str) -> pd.DataFrame:
    """One mode's rows for people: the quarter, the measure, the reported figure with its
    bound, the modelled figure, the difference and whether it is within the bound."""
    rows = frame[frame["mode"] == mode]
    return pd.DataFrame(
        {
            "Quarter": rows["vendor"] + " " + rows["fiscal_quarter"],
            "Measure": [MEASURE_WORDS.get(m, m) for m in rows["measure"]],
            "Reported": [
                BOUND_WORDS.get(b, "") + _figure(v, m)
                for b, v, m in zip(rows["bound"], rows["reported"], rows["measure"], strict=True)
            ],
            "Modelled": [
                _figure(v, m) for v, m in zip(rows["modelled"], rows["measure"], strict=True)
            ],
            "Difference": [
                _figure(v, m) for v, m in zip(rows["difference"], rows["measure"], strict=True)
            ],
            "Within the bound": [
                _verdict(i, s) for i, s in zip(rows["inside_bound"], rows["status"], strict=True)
            ],
        }
    ).reset_index(drop=True)


def _reconciliation(view: View) -> None:
    """The reconciliation of the what-if, one mode at a time, with its sources."""
    st.subheader("Reported against modelled, by vendor fiscal quarter")
    mode = str(
        st.radio(
            "Mode",
            list(MODE_WORDS),
            format_func=MODE_WORDS.get,
            horizontal=True,
            key=KEY + "mode",
            label_visibility="collapsed",
        )
    )
    try:
        frame = reconciliation(view.key)
    except InputError as exc:
        st.error(problems_text("The reported figures cannot be read:", exc.problems))
        return
    st.table(reconciliation_frame(frame, mode), hide_index=True)
    st.caption(
        "Reported figures are what the vendors published, each with its bound: an exact "
        f"figure matches within {RELATIVE_TOLERANCE:.0%}, 'at most' is an upper bound. "
        "With the actuals, months carrying reported shipments use them; the backtest "
        "strips the actuals and China's later batches, so it shows what the model said "
        "from what was known at the horizon's start. Money undiscounted."
    )
    with st.expander("Sources of the reported figures"):
        rows = frame[frame["mode"] == mode]
        for r in rows.itertuples():
            st.markdown(
                f"- **{fmt.escape_md(f'{r.vendor} {r.fiscal_quarter}')}**, "
                f"{MEASURE_WORDS.get(str(r.measure), str(r.measure)).lower()}: "
                f"{fmt.escape_md(str(r.source))}. *{fmt.escape_md(str(r.basis))}*"
            )


# ---------------------------------------------------------------- vintages


@st.cache_resource(show_spinner=False)
def vintages() -> pd.DataFrame:
    """The shipped vintages' values (see :func:`model.vintages.vintage_values`)."""
    files = vintage_files(VINTAGES_DIR)
    return vintage_values(BASE, load_vintages(BASE, files, default_sets(files)))


def vintage_frame(values: pd.DataFrame, column: str) -> pd.DataFrame:
    """Each party's value by the date of the facts, in $ billions, and the expected value
    where a vintage carries a scenario set: ``date, label, name, party, kind, billions``."""
    sub = values[values["measure"].isin(["value", "expected value"])]
    return pd.DataFrame(
        {
            "date": pd.to_datetime(sub["as_of"] + "-01"),
            "label": sub["as_of"].map(fmt.month),
            "name": sub["name"],
            "party": sub["subject"].map(lambda k: PARTY_LABELS.get(k, k)),
            "kind": sub["measure"].map(
                {"value": "the vintage's own view", "expected value": "expected value"}
            ),
            "billions": sub[column] / charts.BILLION,
        }
    ).reset_index(drop=True)


def vintage_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Lines of each party's value by the date of the facts; the expected value as
    diamonds where a vintage carries a scenario set."""
    order = [PARTY_LABELS[p] for p in VALUE_PARTIES]
    x = alt.X(
        "date:T",
        title="Date of the facts",
        axis=alt.Axis(format="%b %Y", tickCount="month", labelBound=True),
    )
    color = alt.Color(
        "party:N",
        title=None,
        sort=order,
        scale=alt.Scale(domain=order),
        legend=alt.Legend(orient="bottom", labelLimit=0, columns=2),
    )
    tooltip = [
        alt.Tooltip("label:N", title="Facts of"),
        alt.Tooltip("name:N", title="Vintage"),
        alt.Tooltip("party:N", title="Party"),
        alt.Tooltip("kind:N", title="Figure"),
        alt.Tooltip("billions:Q", title=f"{title} ($ B)", format=",.2f"),
    ]
    own = frame[frame["kind"] == "the vintage's own view"]
    lines = (
        alt.Chart(own)
        .mark_line(point=True)
        .encode(
            x=x, y=alt.Y("billions:Q", title=f"{title}, $ billions"), color=color, tooltip=tooltip
        )
    )
    ev = (
        alt.Chart(frame[frame["kind"] == "expected value"])
        .mark_point(shape="diamond", size=120, filled=True)
        .encode(x=x, y="billions:Q", color=color, tooltip=tooltip)
    )
    return alt.LayerChart(layer=[lines, ev], height=320)


def eps_frame(values: pd.DataFrame) -> pd.DataFrame:
    """Each vendor's earnings-per-share effect over its fiscal years in the horizon, by the
    date of the facts (vendors whose effect is nil at every date left out)."""
    eps = values[values["measure"] == "eps"]
    keep = eps.groupby("subject")["total_usd"].apply(lambda s: bool((s.abs() > 0).any()))
    eps = eps[eps["subject"].map(keep)]
    return pd.DataFrame(
        {
            "date": pd.to_datetime(eps["as_of"] + "-01"),
            "label": eps["as_of"].map(fmt.month),
            "name": eps["name"],
            "vendor": eps["subject"],
            "eps": eps["total_usd"],
        }
    ).reset_index(drop=True)


def eps_chart(frame: pd.DataFrame) -> alt.Chart:
    """Lines of each vendor's EPS effect by the date of the facts."""
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "date:T",
                title="Date of the facts",
                axis=alt.Axis(format="%b %Y", tickCount="month", labelBound=True),
            ),
            y=alt.Y("eps:Q", title="EPS effect ($/share)"),
            color=alt.Color(
                "vendor:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Facts of"),
                alt.Tooltip("name:N", title="Vintage"),
                alt.Tooltip("vendor:N", title="Vendor"),
                alt.Tooltip("eps:Q", title="EPS effect ($/share)", format=",.3f"),
            ],
        )
        .properties(height=320)
    )


def _vintages(view: View) -> None:
    """What the licence was worth to each party, and to each vendor's EPS, by date."""
    st.subheader("What the licence was worth, by the date of the facts")
    column = view.measure
    try:
        values = vintages()
    except InputError as exc:
        st.error(problems_text("The vintages cannot be read:", exc.problems))
        return
    words = "NPV" if column == "npv_usd" else "Horizon total"
    left, right = st.columns([3, 2])
    with left:
        charts.show(vintage_chart(vintage_frame(values, column), words))
    with right:
        charts.show(eps_chart(eps_frame(values)))
    st.caption(
        "Each point is the base assumptions as they stood at that date (a vintage), "
        "projected over the same horizon; diamonds are the probability-weighted expected "
        "value where a vintage carries a scenario set. Right: each vendor's "
        "earnings-per-share effect summed over its fiscal years in the horizon, from its "
        "tax rate and diluted shares (undiscounted). Shipped vintages: these do not "
        "follow the what-if."
    )


def render(view: View) -> None:
    """Draw the Facts tab: the reconciliation of the what-if and the vintages."""
    _reconciliation(view)
    _vintages(view)
