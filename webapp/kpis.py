"""Headline figures of the what-if, with deltas against the selected scenario."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd
import streamlit as st

from model.analysis import ALL, PARTIES, Results
from model.schema import param_info

from . import fmt
from .notices import clip, plural, summary

MEASURES = {"total_usd": "Horizon total", "npv_usd": "NPV"}
_DISCOUNT = param_info("discount_rate")
MEASURE_HELP = "Horizon total: the sum over all months. NPV: " + (
    _DISCOUNT.description if _DISCOUNT else "discounted at the assumptions' rate."
)
DeltaColor = Literal["normal", "inverse", "off"]
COD_PARTY = "china_gross_revenue"  # cost of delay is shown on the whole China trade
PER_ROW = 4  # wide enough for "-$ 2.47 B" at common screen widths
OWNER = re.compile(r"^products\.[^:\s]+: ")  # a note's leading dotted path


@dataclass(frozen=True)
class Kpi:
    """One headline figure: how it is computed, labelled and coloured."""

    key: str
    label: str
    help: str
    value: Callable[[Results, str], float]
    inverse: bool = False  # a rise is bad news (stranded inventory, cost of delay)
    formatter: Callable[[float], str] = fmt.money


def _party(key: str) -> Callable[[Results, str], float]:
    """A party's total or NPV over all products."""

    def get(r: Results, measure: str) -> float:
        t = r.totals
        row = t[(t["product"] == ALL) & (t["party"] == key)]
        return float(row[measure].iloc[0])

    return get


def _stranded(r: Results, measure: str, column: str = "stranded_inventory_usd") -> float:
    """Ending inventory at cost (or in units) over all products."""
    inv = r.inventory
    return float(inv.loc[inv["product"] == ALL, column].iloc[0])


def _next_month(r: Results, measure: str) -> float:
    """The cost of the next month (China gross revenue, all products)."""
    d = r.next_month
    row = d[(d["product"] == ALL) & (d["party"] == COD_PARTY)]
    return float(row[measure].iloc[0])


def _delay(column: str) -> Callable[[Results, str], float]:
    """A cost-of-delay column (China gross revenue, all products) by measure."""

    def get(r: Results, measure: str) -> float:
        d = r.delay_cost
        col = column if measure == "total_usd" else column.replace("total", "npv")
        row = d[(d["product"] == ALL) & (d["party"] == COD_PARTY)]
        return float(row[col].iloc[0])

    return get


KPIS: tuple[Kpi, ...] = (
    *(Kpi(p.key, p.label, p.description, _party(p.key)) for p in PARTIES),
    Kpi(
        "stranded_inventory",
        "Stranded inventory",
        "Finished chips left in stock at the end of the horizon, at unit cost.",
        _stranded,
        inverse=True,
    ),
    Kpi(
        "cost_of_delay",
        "Cost of delay",
        "China gross revenue lost against the same assumptions with every chip licensed, "
        "in the US and in China, when demand began (demand.reference_start), China's "
        "allowance batches and the reported actuals removed, everything else unchanged.",
        _delay("total_usd"),
        inverse=True,
    ),
    Kpi(
        "cost_of_delay_per_month",
        "Delay cost per month",
        "Each chip's cost of delay divided by its own months of delay, added up over the "
        "chips with a delay; n/a when no chip has one.",
        _delay("total_per_month_usd"),
        inverse=True,
    ),
    Kpi(
        "next_month",
        "Cost of the next month",
        "What one more month of waiting costs from here: China gross revenue of this "
        "what-if minus the same with every approval still to come (after the date of the "
        "latest facts) one month later. Approvals already in the past do not move.",
        _next_month,
        inverse=True,
    ),
)


STRANDED_UNITS = "stranded_units"  # the figures' entry of the stranded units (for help)


def stranded_units(r: Results) -> float:
    """Finished chips left in stock at the end of the horizon, all products."""
    return _stranded(r, "total_usd", "ending_inventory_units")


def values(r: Results, measure: str) -> dict[str, float]:
    """Every KPI of one result (all products)."""
    t = r.totals[r.totals["product"] == ALL]
    parties = dict(zip(t["party"], t[measure].astype(float), strict=True))
    return {k.key: parties[k.key] if k.key in parties else k.value(r, measure) for k in KPIS}


def delta_text(kpi: Kpi, now: float, before: float) -> tuple[str | None, DeltaColor]:
    """The delta label and its colour rule ('off' when there is no change to show)."""
    if not (math.isfinite(now) and math.isfinite(before)):
        return None, "off"
    change = now - before
    if fmt.is_zero(change, max(abs(now), abs(before))):
        return "no change", "off"
    return fmt.signed(kpi.formatter(change), change), "inverse" if kpi.inverse else "normal"


def _help(
    kpi: Kpi, now: dict[str, float], before: dict[str, float], ref_name: str, measure: str
) -> str:
    """A figure's help: what it is, then the exact figures of the what-if and the reference."""
    if kpi.key == "stranded_inventory":
        exact = (
            f"What-if: {fmt.exact_money(now[kpi.key])} ({fmt.units(now[STRANDED_UNITS])}); "
            f"{ref_name}: {fmt.exact_money(before[kpi.key])} "
            f"({fmt.units(before[STRANDED_UNITS])}). At unit cost, not discounted."
        )
    else:
        exact = (
            f"What-if: {fmt.exact_money(now[kpi.key])}; {ref_name}: "
            f"{fmt.exact_money(before[kpi.key])} ({MEASURES[measure].lower()})."
        )
    return f"{kpi.help}\n\n{exact}"


def show(now: dict[str, float], before: dict[str, float], ref_name: str, measure: str) -> None:
    """Rows of metrics from the what-if's and the reference's figures (see
    :func:`webapp.compute.figures`); hovering shows the exact figures."""
    for start in range(0, len(KPIS), PER_ROW):
        for col, kpi in zip(st.columns(PER_ROW), KPIS[start : start + PER_ROW], strict=False):
            delta, colour = delta_text(kpi, now[kpi.key], before[kpi.key])
            col.metric(
                kpi.label,
                kpi.formatter(now[kpi.key]),
                delta,
                delta_color=colour,
                delta_arrow="auto" if delta and delta != "no change" else "off",
                help=_help(kpi, now, before, ref_name, measure),
                border=True,
            )


def measure_note(measure: str, discount_rate: float) -> str:
    """The line under the figures saying what is discounted and what is not."""
    if measure == "npv_usd":
        return (
            f"NPV: each month's money discounted at {fmt.pct(discount_rate)} a year to the "
            "horizon's start. Stranded inventory is not discounted: chips left in stock at "
            "the horizon's end, at unit cost."
        )
    return (
        "Horizon total: each party's money summed over the months of the horizon, "
        "undiscounted (pick NPV to discount it); stranded inventory at unit cost."
    )


def table(r: Results, measure: str) -> pd.DataFrame:
    """The KPI values as a frame (label, value) for tables and tests."""
    v = values(r, measure)
    return pd.DataFrame({"kpi": [k.label for k in KPIS], "value": [v[k.key] for k in KPIS]})


def show_checks(doubtful: list[str], policy: list[str]) -> None:
    """Beside the figures: values that look implausible (a warning: check the input) and
    chips outside the January 2026 licence policy (a note: legal, but noteworthy)."""
    if doubtful:
        st.warning(
            summary(
                f"{plural(len(doubtful), 'value')} in this what-if "
                f"{'looks' if len(doubtful) == 1 else 'look'} implausible; the figures above "
                "use them as they are:",
                [clip(m, 300) for m in doubtful],
            ),
            icon=":material/error:",
        )
    if policy:
        st.info(
            summary(
                "Outside the January 2026 licence policy (TPP below 21,000 and DRAM "
                "bandwidth below 6,500 GB/s):",
                [OWNER.sub("", m) for m in policy],  # the chip is named in the sentence
            ),
            icon=":material/policy:",
        )
