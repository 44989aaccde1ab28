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
from .kpis import COD_PARTY, MEASURES
from .state import BIND, PARTY_KEY, shown_view
from .view import View

WHATIF = "Your what-if"
PROBABILITY = "Probability"
NEXT_MONTH = "Cost of the next month"


def comparison(view: View) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per scenario with its figures, the long totals frame) for shipped + what-if."""
    shipped = compute.shipped()
    cat = view.catalog
    names = [cat.scenarios[i].name for i in cat.scenarios]
    probs = [cat.set_probabilities.get(i, 0.0) for i in cat.scenarios]
    wi = view.results
    totals = pd.concat([shipped.totals, wi.totals.assign(scenario=WHATIF)], ignore_index=True)
    inv = pd.concat([shipped.inventory, wi.inventory.assign(scenario=WHATIF)], ignore_index=True)
    cod = pd.concat([shipped.delay_cost, wi.delay_cost.assign(scenario=WHATIF)], ignore_index=True)
    nxt = pd.concat([shipped.next_month, wi.next_month.assign(scenario=WHATIF)], ignore_index=True)
    m = view.measure
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


def _column_config() -> dict[str, Any]:
    """The comparison table's columns: units, formats and help."""
    cfg: dict[str, Any] = {
        PROBABILITY: st.column_config.NumberColumn(
            PROBABILITY,
            min_value=0.0,
            max_value=1.0,
            step=0.01,
            format="%.2f",
            help="Weight in the expected value; must sum to 1. Defaults: the shipped set.",
        ),
        "Per month of delay": st.column_config.NumberColumn(
            "Per month of delay ($ M)",
            format="%.0f",
            help="Each chip's cost of delay (China gross revenue) over its own months of "
            "delay, added up.",
        ),
        NEXT_MONTH: st.column_config.NumberColumn(
            f"{NEXT_MONTH} ($ M)",
            format="%.1f",
            help="China gross revenue lost if every approval still to come is one month later.",
        ),
    }
    for label in [p.label for p in PARTIES] + ["Cost of delay", "Stranded inventory"]:
        cfg[label] = st.column_config.NumberColumn(f"{label} ($ B)", format="%.2f")
    return cfg


def render(view: View) -> None:
    """Draw the Scenarios tab: the comparison, the expected value and its chart."""
    table, totals = comparison(view)
    measure = MEASURES[view.measure].lower()
    st.caption(
        f"All products, {measure}, $ billions. Cost of delay is China gross revenue "
        "lost against every chip licensed when demand began; the cost of the next month "
        "is what one more month of waiting for the approvals still to come costs. Edit "
        "the probabilities to weight "
        f"the expected value (defaults: '{view.catalog.set_name}')."
    )
    locked: list[str] = [str(c) for c in table.columns if c != PROBABILITY]
    edited = st.data_editor(
        table,
        key="probabilities",
        hide_index=True,
        width="stretch",
        disabled=locked,
        column_config=_column_config(),
    )
    probs = {
        str(n): float(p)
        for n, p in zip(edited["Scenario"], edited[PROBABILITY], strict=True)
        if not math.isnan(float(p)) and float(p) > 0
    }
    ev_total = None
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
    try:
        ev = expected_value(totals, probs, "probabilities") if probs else None
    except InputError as exc:
        st.error(" ".join(str(p) for p in exc.problems))
        ev = None
    if ev is not None:
        ev_all = ev[ev["product"] == ALL].set_index("party")
        ev_total = float(ev_all.loc[party, view.measure])
        st.subheader("Probability-weighted expected value")
        cols = st.columns(len(PARTIES))
        for col, p in zip(cols, PARTIES, strict=True):
            col.metric(
                p.label,
                fmt.money(float(ev_all.loc[p.key, view.measure])),
                help=f"{p.description} Expected {measure} over the weighted scenarios.",
            )
    elif not probs:
        st.info("Give at least one scenario a probability to see the expected value.")
    bars = table[["Scenario", PARTY_LABELS[party]]].rename(
        columns={"Scenario": "scenario", PARTY_LABELS[party]: "billions"}
    )
    charts.show(charts.scenario_bars(bars, PARTY_LABELS[party], ev_total))
