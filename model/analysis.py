"""Summaries: totals and NPV by party, stranded inventory, cost of delay and
expected value over a scenario set (docs/methodology.md §3, "Summaries")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import equations as eq
from .calendar import fiscal_quarter, fiscal_year, month_labels
from .engine import (
    Inputs,
    Projection,
    project,
    with_approvals_postponed,
    with_reference_licence,
)
from .loader import InputError, Problem, check_probabilities
from .schema import Assumptions

if TYPE_CHECKING:  # pandas is imported where a frame is made: the Monte Carlo runs without it
    import pandas as pd

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
#: The main parties, in the order of the table.
MAIN_PARTIES: tuple[str, ...] = tuple(p.key for p in PARTIES)
#: Key prefix of a single supplier's party (``supplier:hbm``), as :func:`party_series`
#: keys its series.
SUPPLIER_PREFIX = "supplier:"


def party_keys(suppliers: Assumptions | Sequence[str]) -> list[str]:
    """Every output party: the main ones, then ``supplier:<id>`` for each supplier (of
    the assumptions given, or the supplier ids given)."""
    ids = suppliers.supplier_ids if isinstance(suppliers, Assumptions) else suppliers
    return [*MAIN_PARTIES, *(f"{SUPPLIER_PREFIX}{s}" for s in ids)]


def party_label(key: str) -> str:
    """The label people read: the table's label, or ``Supplier <id>``."""
    if key.startswith(SUPPLIER_PREFIX):
        return f"Supplier {key.removeprefix(SUPPLIER_PREFIX)}"
    return PARTY_LABELS.get(key, key)


def party_series(p: Projection) -> dict[str, np.ndarray]:
    """Monthly money per party, each (N, P, H); suppliers also one by one."""
    m = p.money
    out = {
        "china_gross_revenue": m.gross,
        "vendor_retained": m.vendor_retained,
        "vendor_gross_profit": m.gross_profit,
        "us_government": m.government,
        "suppliers": m.supplier_total,
        "test_labs": m.labs,
        "china_tariff": m.china_tariff,
    }
    for k, sup in enumerate(p.inputs.supplier_ids):
        out[f"supplier:{sup}"] = m.supplier(k)
    return out


def party_arrays(p: Projection) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Horizon total and NPV per party, each (N, P)."""
    factors = eq.discount_factors(p.inputs.discount_rate, p.inputs.months)[:, None, :]
    return {k: (s.sum(axis=-1), eq.npv(s, factors)) for k, s in party_series(p).items()}


def party_totals(p: Projection, names: Sequence[str]) -> pd.DataFrame:
    """Long frame: scenario, product (and ``all``), party, total_usd, npv_usd."""
    import pandas as pd

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
    import pandas as pd

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


def difference(minuend: Projection, subtrahend: Projection, names: Sequence[str]) -> pd.DataFrame:
    """``minuend - subtrahend`` per scenario, product (and ``all``) and party: total and
    NPV. Long frame: scenario, product, party, total_usd, npv_usd."""
    import pandas as pd

    a, b = party_arrays(minuend), party_arrays(subtrahend)
    pids = [*minuend.inputs.product_ids, ALL]
    rows = []
    for party in a:
        tot = a[party][0] - b[party][0]
        pv = a[party][1] - b[party][1]
        for i, name in enumerate(names):
            for j, pid in enumerate(pids):
                t_ = tot[i].sum() if pid == ALL else tot[i, j]
                v_ = pv[i].sum() if pid == ALL else pv[i, j]
                rows.append((name, pid, party, t_, v_))
    return pd.DataFrame(rows, columns=["scenario", "product", "party", "total_usd", "npv_usd"])


def per_month_of_delay(cost: np.ndarray, delay: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A product's cost per month of its own delay, and the all-products figure.

    ``cost`` and ``delay`` have shape (N, P). The product's figure is ``cost / d``,
    undefined (NaN) where ``d = 0`` or ``d`` is infinite; the all-products figure is the
    sum of the products' figures where defined, NaN where none is (docs/methodology.md
    §3, "Cost of delay").
    """
    defined = np.isfinite(delay) & (delay > 0)
    safe = np.where(defined, delay, 1.0)
    per = np.where(defined, cost / safe, np.nan)
    total = np.where(defined.any(axis=-1), np.where(defined, per, 0.0).sum(axis=-1), np.nan)
    return per, total


def cost_of_delay(
    variants: Sequence[Assumptions], names: Sequence[str], projection: Projection | None = None
) -> pd.DataFrame:
    """Reference (licensed when demand began) minus scenario, per party and product, total
    and NPV, with each product's delay ``d`` and the cost per month of delay.

    The reference licenses every product at ``demand.reference_start`` on both sides with
    China's allocations and the reported actuals removed, everything else unchanged. The
    ``all`` row's delay is the products' common delay, NaN where they differ.
    """
    import pandas as pd

    scen = projection if projection is not None else project(Inputs.from_assumptions(variants))
    ref = project(with_reference_licence(scen.inputs))
    d = scen.volumes.delay
    common = np.where(np.all(d == d[:, :1], axis=1), d[:, 0], np.nan)
    a_s, a_r = party_arrays(scen), party_arrays(ref)
    pids = scen.inputs.product_ids
    rows = []
    for party in a_s:
        tot = a_r[party][0] - a_s[party][0]
        pv = a_r[party][1] - a_s[party][1]
        tot_per, tot_all = per_month_of_delay(tot, d)
        pv_per, pv_all = per_month_of_delay(pv, d)
        for i, name in enumerate(names):
            for j, pid in enumerate(pids):
                rows.append((name, pid, party, d[i, j], tot[i, j], pv[i, j], tot_per[i, j],
                             pv_per[i, j]))  # fmt: skip
            rows.append((name, ALL, party, common[i], tot[i].sum(), pv[i].sum(), tot_all[i],
                         pv_all[i]))  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["scenario", "product", "party", "delay_months", "total_usd", "npv_usd",
                 "total_per_month_usd", "npv_per_month_usd"],
    )  # fmt: skip


def cost_of_next_month(
    variants: Sequence[Assumptions], names: Sequence[str], projection: Projection | None = None
) -> pd.DataFrame:
    """Scenario minus the same scenario with every approval still to come (after
    ``horizon.as_of``) one month later: what one more month of waiting costs from here."""
    scen = projection if projection is not None else project(Inputs.from_assumptions(variants))
    later = project(with_approvals_postponed(scen.inputs))
    return difference(scen, later, names)


def expected_value(
    totals: pd.DataFrame, probabilities: dict[str, float], file: str = "scenario set"
) -> pd.DataFrame:
    """Probability-weighted sum of each scenario's totals and NPV, per product and party."""
    check_probabilities(list(probabilities.values()), file, "probability")
    missing = sorted(set(probabilities) - set(totals["scenario"]))
    if missing:
        raise InputError([Problem(file, "scenarios", f"no results for {', '.join(missing)}")])
    return _weighted(totals, probabilities)


def _weighted(frame: pd.DataFrame, probabilities: dict[str, float]) -> pd.DataFrame:
    """Probability-weighted ``total_usd`` and ``npv_usd`` per product and party."""
    df = frame[frame["scenario"].isin(probabilities)].copy()
    w = df["scenario"].map(probabilities)
    df["total_usd"] *= w
    df["npv_usd"] *= w
    return (
        df.groupby(["product", "party"], sort=False)[["total_usd", "npv_usd"]].sum().reset_index()
    )


DELAY_COLUMNS = {
    "total_usd": "cost_of_delay_usd",
    "npv_usd": "cost_of_delay_npv_usd",
    "total_per_month_usd": "cost_of_delay_per_month_usd",
    "npv_per_month_usd": "cost_of_delay_npv_per_month_usd",
}
NEXT_MONTH_COLUMNS = {"total_usd": "next_month_usd", "npv_usd": "next_month_npv_usd"}


def summary_table(
    res: Results, probabilities: dict[str, float] | None = None, label: str = "expected value"
) -> pd.DataFrame:
    """One long table of totals, NPV, cost of delay and cost of the next month per
    scenario, product and party, with probability-weighted rows (scenario ``label``)
    when probabilities are given: the expected totals and the expected cost of delay and
    of the next month (per-month figures are not averaged: they are left empty)."""
    import pandas as pd

    keys = ["scenario", "product", "party"]
    table = res.totals.merge(res.delay_cost.rename(columns=DELAY_COLUMNS), on=keys, how="left")
    table = table.merge(res.next_month.rename(columns=NEXT_MONTH_COLUMNS), on=keys, how="left")
    # An infinite delay (never licensed) is left empty, like the per-month costs.
    table["delay_months"] = table["delay_months"].replace(np.inf, np.nan)
    if probabilities:
        ev = expected_value(res.totals, probabilities).assign(scenario=label)
        for frame, names in ((res.delay_cost, DELAY_COLUMNS), (res.next_month, NEXT_MONTH_COLUMNS)):
            part = _weighted(frame, probabilities).rename(columns=names)
            ev = ev.merge(part, on=["product", "party"], how="left")
        table = pd.concat([table, ev[[c for c in table.columns if c in ev]]], ignore_index=True)
    return table


def vendor_view(p: Projection, names: Sequence[str]) -> pd.DataFrame:
    """Per vendor and each of its fiscal years and quarters: gross profit from China
    sales, and where the vendor's tax rate and diluted shares are set, profit after tax
    ``GP * (1 - tax_rate)`` and the earnings-per-share effect
    ``GP * (1 - tax_rate) / diluted_shares`` (USD per share; NaN where not set).

    Each vendor's periods follow its own fiscal calendar; ``months_in_period`` says how
    many months of the horizon a period holds (a partial period has fewer than 3 or 12).
    """
    import pandas as pd

    x = p.inputs
    labels = month_labels(x.start, x.months)
    gp = p.money.gross_profit  # (N, P, H)
    rows = []
    for i, name in enumerate(names):
        for vendor in dict.fromkeys(x.vendors):
            cols = [j for j, v in enumerate(x.vendors) if v == vendor]
            j0 = cols[0]
            fye = int(x.fiscal_year_end[i, j0])
            monthly = gp[i, cols].sum(axis=0)
            defined = bool(x.eps_defined[i, j0])
            for kind, label_of in (
                ("fiscal_year", fiscal_year),
                ("fiscal_quarter", fiscal_quarter),
            ):
                periods = [label_of(m, fye) for m in labels]
                for period in dict.fromkeys(periods):
                    sel = np.array([q == period for q in periods])
                    g = float(monthly[sel].sum())
                    after = float(eq.profit_after_tax(np.array(g), x.tax_rate[i, j0]))
                    eps = float(eq.earnings_per_share(np.array(after), x.diluted_shares[i, j0]))
                    rows.append(
                        (name, vendor, kind, period, int(sel.sum()), g,
                         after if defined else np.nan, eps if defined else np.nan)
                    )  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["scenario", "vendor", "period_kind", "period", "months_in_period",
                 "gross_profit_usd", "profit_after_tax_usd", "eps_usd"],
    )  # fmt: skip


@dataclass(frozen=True)
class Results:
    """Everything the CLI, app and workbook show for a list of scenarios."""

    names: list[str]
    variants: list[Assumptions]
    projection: Projection
    totals: pd.DataFrame
    inventory: pd.DataFrame
    delay_cost: pd.DataFrame
    next_month: pd.DataFrame
    vendors: pd.DataFrame


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
        next_month=cost_of_next_month(variants, names, proj),
        vendors=vendor_view(proj, names),
    )
