"""The Scenarios tab: every shipped scenario beside the what-if, cost of delay, and the
probability-weighted expected value with editable probabilities."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from model.analysis import ALL, PARTIES, PARTY_LABELS, expected_value
from model.loader import InputError

from . import charts, compute, fmt
from .catalog import catalog
from .kpis import COD_PARTY, MEASURES, PER_ROW
from .notices import problems_text
from .state import BIND, PARTY_KEY, shown_view
from .view import View

WHATIF = "Your what-if"
PROBABILITY = "Probability"
NEXT_MONTH = "Cost of the next month"


def comparison(view: View) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per scenario with its figures, the long totals frame) for shipped + what-if
    (computed once per what-if and measure for every session)."""
    return _comparison(view.key, view.measure)


@st.cache_resource(max_entries=compute.ENTRIES, show_spinner=False)
def _comparison(key: str, m: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comparison of the what-if with this cache key, in measure ``m``."""
    shipped = compute.shipped()
    cat = catalog()
    names = [cat.scenarios[i].name for i in cat.scenarios]
    probs = [cat.set_probabilities.get(i, 0.0) for i in cat.scenarios]
    wi = compute.results(key)
    totals = pd.concat([shipped.totals, wi.totals.assign(scenario=WHATIF)], ignore_index=True)
    inv = pd.concat([shipped.inventory, wi.inventory.assign(scenario=WHATIF)], ignore_index=True)
    cod = pd.concat([shipped.delay_cost, wi.delay_cost.assign(scenario=WHATIF)], ignore_index=True)
    nxt = pd.concat([shipped.next_month, wi.next_month.assign(scenario=WHATIF)], ignore_index=True)
    rows = []
    for name, prob in [*zip(names, probs, strict=True), (WHATIF, 0.0)]:
        t = totals[(totals["scenario"] == name) & (totals["product"] == ALL)].set_index("party")
        c = cod[(cod["scenario"] == name) & (cod["product"] == ALL)].set_index("party")
        i = inv[(inv["scenario"] == name) & (inv["product"] == ALL)]
        n = nxt[(nxt["scenario"] == name) & (nxt["product"] == ALL)].set_index("party")
        per = c.loc[COD_PARTY, "total_per_month_usd" if m == "total_usd" else "npv_per_month_usd"]
        row = {
            "Scenario": name,
            PROBABILITY: prob,
            "Delay": fmt.months(float(c["delay_months"].iloc[0])),
        }
        row |= {p.label: t.loc[p.key, m] / charts.BILLION for p in PARTIES}
        row |= {
            "Cost of delay": c.loc[COD_PARTY, m] / charts.BILLION,
            "Per month of delay": per / 1e6,
            NEXT_MONTH: n.loc[COD_PARTY, m] / 1e6,
            "Stranded inventory": float(i["stranded_inventory_usd"].iloc[0]) / charts.BILLION,
        }
        rows.append(row)
    return pd.DataFrame(rows), totals


def _column_config(party: str) -> dict[str, Any]:
    """The editor's columns: units, formats and help."""
    return {
        PROBABILITY: st.column_config.NumberColumn(
            PROBABILITY,
            min_value=0.0,
            max_value=1.0,
            step=0.01,
            format="%.2f",
            help="Weight in the expected value; must sum to 1. Defaults: the shipped set.",
        ),
        PARTY_LABELS[party]: st.column_config.NumberColumn(
            f"{PARTY_LABELS[party]} ($ B)", format="%.2f"
        ),
        "Cost of delay": st.column_config.NumberColumn(
            "Cost of delay ($ B)",
            format="%.2f",
            help="China gross revenue lost against every chip licensed when demand began.",
        ),
        NEXT_MONTH: st.column_config.NumberColumn(
            "Next month ($ M)",
            format="%.1f",
            help="China gross revenue lost if every approval still to come is one month later.",
        ),
    }


def full_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every figure of every scenario, as text for people ($ B, $ M)."""
    out = pd.DataFrame({"Scenario": table["Scenario"], "Delay": table["Delay"]})
    for label in [p.label for p in PARTIES] + ["Cost of delay", "Stranded inventory"]:
        out[f"{label} ($ B)"] = table[label].map(lambda v: f"{v:,.2f}")
    out["Per month of delay ($ M)"] = table["Per month of delay"].map(
        lambda v: "n/a" if v != v else f"{v:,.0f}"
    )
    out[f"{NEXT_MONTH} ($ M)"] = table[NEXT_MONTH].map(lambda v: f"{v:,.1f}")
    return out


def _party() -> str:
    """The party the editor and the chart compare (bound to the page address)."""
    party = (
        st.selectbox(
            "Party to compare",
            [p.key for p in PARTIES],
            key=PARTY_KEY,
            bind=BIND,
            format_func=lambda k: PARTY_LABELS[k],
        )
        or PARTIES[0].key
    )
    shown_view(PARTY_KEY, PARTY_LABELS[party])
    return party


def _expected(totals: pd.DataFrame, probs: dict[str, float], measure: str, words: str) -> Any:
    """The expected value's figures (rows of four), or None; problems are shown."""
    try:
        ev = expected_value(totals, probs, "probabilities") if probs else None
    except InputError as exc:
        st.error(problems_text("The probabilities cannot be used:", exc.problems))
        return None
    if ev is None:
        st.info("Give at least one scenario a probability to see the expected value.")
        return None
    ev_all = ev[ev["product"] == ALL].set_index("party")
    st.subheader("Probability-weighted expected value")
    for start in range(0, len(PARTIES), PER_ROW):
        row = PARTIES[start : start + PER_ROW]
        for col, p in zip(st.columns(PER_ROW), row, strict=False):
            col.metric(
                p.label,
                fmt.money(float(ev_all.loc[p.key, measure])),
                help=f"{p.description} Expected {words} over the weighted scenarios.",
                border=True,
            )
    return ev_all


@st.fragment
def render(view: View) -> None:
    """Draw the Scenarios tab: the probabilities, the expected value, the chart and every
    figure (a fragment: editing a probability redraws this tab only)."""
    table, totals = comparison(view)
    words = MEASURES[view.measure].lower() + (
        "" if view.measure == "npv_usd" else " (undiscounted)"
    )
    st.caption(
        f"All products, {words}. Cost of delay is China gross revenue lost against every "
        "chip licensed when demand began; the cost of the next month is what one more "
        "month of waiting for the approvals still to come costs. Edit the probabilities "
        f"to weight the expected value (defaults: '{view.catalog.set_name}')."
    )
    party = _party()
    shown = ["Scenario", PROBABILITY, "Delay", PARTY_LABELS[party], "Cost of delay", NEXT_MONTH]
    shown = list(dict.fromkeys(shown))
    edited = st.data_editor(
        table[shown],
        key="probabilities",
        hide_index=True,
        width="stretch",
        disabled=[c for c in shown if c != PROBABILITY],
        column_config=_column_config(party),
    )
    probs = {
        str(n): float(p)
        for n, p in zip(edited["Scenario"], edited[PROBABILITY], strict=True)
        if not math.isnan(float(p)) and float(p) > 0
    }
    ev_all = _expected(totals, probs, view.measure, words)
    ev_total = None if ev_all is None else float(ev_all.loc[party, view.measure])
    bars = table[["Scenario", PARTY_LABELS[party]]].rename(
        columns={"Scenario": "scenario", PARTY_LABELS[party]: "billions"}
    )
    charts.show(charts.scenario_bars(bars, PARTY_LABELS[party], ev_total))
    with st.expander("Every figure of every scenario"):
        st.table(full_table(table), hide_index=True)
