"""Summaries: totals and NPV by party, stranded inventory, cost of delay and
expected value over a scenario set (MODEL_SPEC §3, "Summaries")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import equations as eq
from .engine import Inputs, Projection, project
from .loader import InputError, Problem, check_probabilities
from .schema import Assumptions

ALL = "all"


@dataclass(frozen=True)
class Party:
    key: str
    label: str
    description: str


PARTIES: tuple[Party, ...] = (
    Party("china_gross_revenue", "China gross revenue", "Vendor's gross China revenue R."),
    Party("vendor_retained", "Vendor retained", "R less US levy and lab fees (V)."),
    Party("vendor_gross_profit", "Vendor gross profit", "V less cost of goods (GP)."),
    Party("us_government", "US government", "Revenue share or import tariff (G)."),
    Party("suppliers", "Suppliers", "Bill-of-materials revenue on new production (ΣS_k)."),
    Party("test_labs", "US test labs", "Third-party lab fees (L)."),
    Party("china_tariff", "China tariff", "China's import tariff paid by buyers (C)."),
)
PARTY_LABELS = {p.key: p.label for p in PARTIES}


def party_series(p: Projection) -> dict[str, np.ndarray]:
    """Monthly money per party, each (N, P, H); suppliers also one by one."""
    m = p.money
    out = {
        "china_gross_revenue": m.gross,
        "vendor_retained": m.vendor_retained,
        "vendor_gross_profit": m.gross_profit,
        "us_government": m.government,
        "suppliers": m.suppliers.sum(axis=2),
        "test_labs": m.labs,
        "china_tariff": m.china_tariff,
    }
    for k, sup in enumerate(p.inputs.supplier_ids):
        out[f"supplier:{sup}"] = m.suppliers[:, :, k, :]
    return out


def party_arrays(p: Projection) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Horizon total and NPV per party, each (N, P)."""
    factors = eq.discount_factors(p.inputs.discount_rate, p.inputs.months)[:, None, :]
    return {k: (s.sum(axis=-1), eq.npv(s, factors)) for k, s in party_series(p).items()}


def party_totals(p: Projection, names: Sequence[str]) -> pd.DataFrame:
    """Long frame: scenario, product (and ``all``), party, total_usd, npv_usd."""
    rows = []
    pids = p.inputs.product_ids
    for party, (tot, pv) in party_arrays(p).items():
        for i, name in enumerate(names):
            for j, pid in enumerate(pids):
                rows.append((name, pid, party, tot[i, j], pv[i, j]))
            rows.append((name, ALL, party, tot[i].sum(), pv[i].sum()))
    return pd.DataFrame(rows, columns=["scenario", "product", "party", "total_usd", "npv_usd"])


def inventory_summary(p: Projection, names: Sequence[str]) -> pd.DataFrame:
    """Ending inventory ``Inv(H)`` in units and at cost ("stranded inventory")."""
    units = p.volumes.inventory[:, :, -1]
    usd = units * p.inputs.unit_cost
    rows = []
    for i, name in enumerate(names):
        for j, pid in enumerate(p.inputs.product_ids):
            rows.append((name, pid, units[i, j], usd[i, j]))
        rows.append((name, ALL, units[i].sum(), usd[i].sum()))
    return pd.DataFrame(
        rows, columns=["scenario", "product", "ending_inventory_units", "stranded_inventory_usd"]
    )


def delay(x: Inputs) -> np.ndarray:
    """Months of delay ``d = max(0, E - idx(reference_start))`` per variant (+inf: never)."""
    return eq.delay_months(eq.licence_month(x.us_approval, x.china_approval), x.reference_start)


def approved_now(a: Assumptions) -> Assumptions:
    """The cost-of-delay reference: both approvals set to ``horizon.start``."""
    start = a.horizon.start
    return a.model_copy(
        update={
            "timeline": a.timeline.model_copy(
                update={"us_approval": start, "china_approval": start}
            )
        }
    )


def cost_of_delay(
    variants: Sequence[Assumptions], names: Sequence[str], projection: Projection | None = None
) -> pd.DataFrame:
    """Reference (approved now) minus scenario, per party, total and NPV.

    The per-month figures divide by the scenario's delay ``d``; they are NaN
    ("undefined") when ``d = 0`` or the licence never comes (``d`` infinite).
    """
    scen = projection if projection is not None else project(Inputs.from_assumptions(variants))
    ref = project(Inputs.from_assumptions([approved_now(a) for a in variants]))
    d = delay(scen.inputs)
    a_s, a_r = party_arrays(scen), party_arrays(ref)
    rows = []
    for party in a_s:
        tot = a_r[party][0] - a_s[party][0]
        pv = a_r[party][1] - a_s[party][1]
        for i, name in enumerate(names):
            per = d[i] if np.isfinite(d[i]) and d[i] > 0 else np.nan
            for j, pid in enumerate([*scen.inputs.product_ids, ALL]):
                t_ = tot[i].sum() if pid == ALL else tot[i, j]
                v_ = pv[i].sum() if pid == ALL else pv[i, j]
                rows.append((name, pid, party, d[i], t_, v_, t_ / per, v_ / per))
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "product",
            "party",
            "delay_months",
            "total_usd",
            "npv_usd",
            "total_per_month_usd",
            "npv_per_month_usd",
        ],
    )


def expected_value(
    totals: pd.DataFrame, probabilities: dict[str, float], file: str = "scenario set"
) -> pd.DataFrame:
    """Probability-weighted sum of each scenario's totals and NPV, per product and party."""
    check_probabilities(list(probabilities.values()), file, "probability")
    missing = sorted(set(probabilities) - set(totals["scenario"]))
    if missing:
        raise InputError([Problem(file, "scenarios", f"no results for {', '.join(missing)}")])
    df = totals[totals["scenario"].isin(probabilities)].copy()
    w = df["scenario"].map(probabilities)
    df["total_usd"] *= w
    df["npv_usd"] *= w
    return (
        df.groupby(["product", "party"], sort=False)[["total_usd", "npv_usd"]].sum().reset_index()
    )


def summary_table(
    res: Results, probabilities: dict[str, float] | None = None, label: str = "expected value"
) -> pd.DataFrame:
    """One long table of totals, NPV and cost of delay per scenario, product and party,
    with probability-weighted rows (scenario ``label``) when probabilities are given."""
    cod = res.delay_cost.rename(
        columns={
            "total_usd": "cost_of_delay_usd",
            "npv_usd": "cost_of_delay_npv_usd",
            "total_per_month_usd": "cost_of_delay_per_month_usd",
            "npv_per_month_usd": "cost_of_delay_npv_per_month_usd",
        }
    )
    table = res.totals.merge(cod, on=["scenario", "product", "party"], how="left")
    # An infinite delay (never licensed) is left empty, like the per-month costs.
    table["delay_months"] = table["delay_months"].replace(np.inf, np.nan)
    if probabilities:
        ev = expected_value(res.totals, probabilities).assign(scenario=label)
        table = pd.concat([table, ev[res.totals.columns]], ignore_index=True)
    return table


@dataclass(frozen=True)
class Results:
    """Everything the CLI, app and workbook show for a list of scenarios."""

    names: list[str]
    variants: list[Assumptions]
    projection: Projection
    totals: pd.DataFrame
    inventory: pd.DataFrame
    delay_cost: pd.DataFrame


def run(variants: Sequence[Assumptions], names: Sequence[str]) -> Results:
    """Project all variants in one vectorised call.

    Variants compared side by side must share the horizon and the product ids.
    """
    try:
        inputs = Inputs.from_assumptions(variants)
    except ValueError:
        raise InputError(
            [
                Problem(
                    ", ".join(names),
                    "horizon",
                    "scenarios compared together must share horizon.start, "
                    "horizon.months and the product ids",
                )
            ]
        ) from None
    proj = project(inputs)
    return Results(
        names=list(names),
        variants=list(variants),
        projection=proj,
        totals=party_totals(proj, names),
        inventory=inventory_summary(proj, names),
        delay_cost=cost_of_delay(variants, names, proj),
    )
