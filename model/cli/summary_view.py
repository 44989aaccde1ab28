"""What ``summary`` prints: totals, NPV, the scenarios' delays, stranded stock, the cost
of delay and of the next month, which expected value, and each vendor's fiscal years.

Presentation only: every figure comes from :func:`model.analysis.run` (and the Monte
Carlo's summary); the only arithmetic here is the probability weighting of the
vendors' rows, the expected value of docs/methodology.md §3. Tables put parties in
rows and scenarios in columns, split to fit the console (:mod:`.tables`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import formats as fmt
from .tables import Col, lines, show

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from ..analysis import Results
    from ..risk.simulate import Simulation

#: Column header of the probability-weighted figures.
EXPECTED = "expected value"


@dataclass(frozen=True)
class MonteCarlo:
    """A Monte Carlo run of the risk file around the assumptions file."""

    sim: Simulation
    risk_file: str
    risk_name: str


@dataclass(frozen=True)
class SummaryView:
    """What one ``summary`` run shows.

    ``assumptions_file`` and ``set_file`` are the files' own names, as headers give them;
    ``probabilities`` is None unless the scenarios form a set (or each gives one).
    """

    res: Results
    product: str
    assumptions_file: str
    probabilities: dict[str, float] | None = None
    set_file: str = ""
    set_name: str = ""
    monte_carlo: MonteCarlo | None = None

    @property
    def names(self) -> list[str]:
        return list(self.res.names)

    @property
    def where(self) -> str:
        from ..analysis import ALL

        return "all products" if self.product == ALL else self.product


# ---------------------------------------------------------------- words


def _common(values: Sequence[Any]) -> Any:
    """The value all scenarios share, or None when they differ."""
    return values[0] if len(set(values)) == 1 else None


def horizon_text(view: SummaryView) -> str:
    """``Jan 2026 – Dec 2028 (36 months)``."""
    from ..calendar import month_label

    h = view.res.variants[0].horizon
    last = month_label(h.months - 1, h.start)
    return f"{fmt.month(h.start)} – {fmt.month(last)} ({h.months} months)"


def as_of_text(view: SummaryView) -> str | None:
    """The facts' date shared by the scenarios (``Oct 2026``); None when they differ."""
    as_of = _common([a.horizon.as_of for a in view.res.variants])
    return None if as_of is None else fmt.month(as_of)


def reference_text(view: SummaryView) -> str:
    """When the reference is licensed: ``Jan 2026`` (``demand.reference_start``)."""
    ref = _common([a.demand.reference_start for a in view.res.variants])
    return fmt.month(ref) if ref else "each scenario's demand.reference_start"


def rate_text(view: SummaryView) -> str:
    """The discount rate shared by the scenarios, ``10.0% a year``."""
    rate = _common([a.discount_rate for a in view.res.variants])
    return "each scenario's discount rate" if rate is None else f"{fmt.share(rate)} a year"


def intro(view: SummaryView) -> str:
    """One paragraph: what is summarised, over which months, with which facts."""
    n = len(view.names)
    if view.set_file:
        what = f"{view.assumptions_file} with the scenario set {view.set_file}"
        what += f" ({view.set_name}): {n} scenarios"
    elif n > 1:
        what = f"{view.assumptions_file} with {n} scenarios"
    elif view.names[0] == view.assumptions_file:
        what = view.assumptions_file
    else:
        what = f"{view.assumptions_file} with the scenario '{view.names[0]}'"
    facts = as_of_text(view)
    facts_text = f", facts as of {facts}" if facts else ""
    return (
        f"Summary of {what}; {view.where}; {horizon_text(view)}{facts_text}. "
        "Money in $ billions, earnings per share in $ per share."
    )


# ---------------------------------------------------------------- party × scenario grids


def _party_stub() -> Col:
    from ..analysis import PARTIES

    return Col("party", [p.label for p in PARTIES], justify="left")


def _by_party(frame: pd.DataFrame, value: str) -> dict[str, float]:
    return dict(zip(frame["party"], frame[value], strict=True))


def party_columns(
    view: SummaryView, frame: pd.DataFrame, value: str, expected: bool = True
) -> list[Col]:
    """One column per scenario (and the expected value over the set), a cell per party."""
    from ..analysis import PARTIES, expected_value

    sub = frame[frame["product"] == view.product]
    cols = []
    for name in view.names:
        row = _by_party(sub[sub["scenario"] == name], value)
        cols.append(Col(name, [fmt.money(row.get(p.key)) for p in PARTIES]))
    if expected and view.probabilities:
        ev = expected_value(frame, view.probabilities, view.set_file)
        row = _by_party(ev[ev["product"] == view.product], value)
        cols.append(Col(EXPECTED, [fmt.money(row.get(p.key)) for p in PARTIES]))
    return cols


def party_grid(
    view: SummaryView,
    console: Console,
    title: str,
    frame: pd.DataFrame,
    value: str,
    caption: str | None = None,
    expected: bool = True,
) -> None:
    show(console, title, _party_stub(), party_columns(view, frame, value, expected), caption)


# ---------------------------------------------------------------- which expected value


def expected_sentences(view: SummaryView) -> list[str]:
    """One sentence per expected value shown, on what it assumes."""
    out = []
    if view.probabilities:
        out.append(
            f"Scenario set ({view.set_file or 'the scenarios given'}): a handful of named "
            f"states of the world ({len(view.names)} scenarios) with judged weights; the "
            "expected value is their probability-weighted sum."
        )
    mc = view.monte_carlo
    if mc is not None:
        out.append(
            f"Monte Carlo ({mc.risk_file}, '{mc.risk_name}', {mc.sim.n_paths:,} paths, "
            f"seed {mc.sim.seed}): the risk file's distributions drawn around "
            f"{view.assumptions_file}; the mean of the paths, with its standard error."
        )
    return out


def monte_carlo_columns(mc: MonteCarlo) -> list[Col]:
    """The Monte Carlo mean (total, its standard error, NPV) per party."""
    from ..analysis import PARTIES

    df = mc.sim.summary()
    cells: dict[str, list[str]] = {"total": [], "npv": [], "se": []}
    for p in PARTIES:
        rows = df[df["party"] == p.key].set_index("measure")
        for measure, col, key in (("total", "mean", "total"), ("total", "se", "se")):
            cells[key].append(fmt.money(rows[col].get(measure) if len(rows) else None))
        cells["npv"].append(fmt.money(rows["mean"].get("npv") if len(rows) else None))
    return [
        Col("Monte Carlo mean", cells["total"]),
        Col("± s.e.", cells["se"]),
        Col("Monte Carlo NPV", cells["npv"]),
    ]


def which_expected_value(view: SummaryView, console: Console) -> None:
    """The scenario set's expectation and the Monte Carlo mean side by side."""
    from ..analysis import PARTIES, expected_value

    cols = []
    if view.probabilities:
        ev = expected_value(view.res.totals, view.probabilities, view.set_file)
        ev = ev[ev["product"] == view.product].set_index("party")
        for value, header in (("total_usd", "set total"), ("npv_usd", "set NPV")):
            cols.append(Col(header, [fmt.money(ev[value].get(p.key)) for p in PARTIES]))
    if view.monte_carlo is not None:
        cols += monte_carlo_columns(view.monte_carlo)
    lines(console, "Which expected value?")
    for sentence in expected_sentences(view):
        lines(console, f"- {sentence}")
    title = f"Expected value over the horizon, $ billions ({view.where})"
    show(console, title, _party_stub(), cols)


# ---------------------------------------------------------------- scenarios and stock


def _delays(view: SummaryView) -> pd.DataFrame:
    """Months of delay per scenario (rows) and product (columns, ``all`` last)."""
    d = view.res.delay_cost
    one = d[d["party"] == d["party"].iloc[0]]
    return one.pivot(index="scenario", columns="product", values="delay_months")


def delay_cell(value: float) -> str:
    """A product's delay in months; the ``all`` column's NaN means the products differ."""
    import math

    return fmt.VARIES if isinstance(value, float) and math.isnan(value) else fmt.months(value)


def scenarios_table(view: SummaryView, console: Console) -> None:
    """Per scenario (columns): its probability in the set and each product's months of
    delay (rows), like the party tables."""
    from ..analysis import ALL

    delays = _delays(view)
    products = [*view.res.projection.inputs.product_ids, ALL]
    shown = products if view.product == ALL else [view.product]
    labels = (["probability"] if view.probabilities else []) + [
        "all products" if pid == ALL else pid for pid in shown
    ]
    cols = []
    for name in view.names:
        cells = [fmt.share(view.probabilities[name])] if view.probabilities else []
        cells += [delay_cell(float(delays.loc[name, pid])) for pid in shown]
        cols.append(Col(name, cells))
    what = "probability and months" if view.probabilities else "months"
    title = (
        f"Scenarios: {what} of delay by product vs licensed when demand began "
        f"({reference_text(view)})"
    )
    caption = "never: not licensed within the horizon" + (
        "; varies: the products' delays differ" if view.product == ALL else ""
    )
    rule = frozenset({0}) if view.probabilities else frozenset()
    show(console, title, Col("", labels, "left", rule), cols, caption)


def inventory_table(view: SummaryView, console: Console) -> None:
    """Ending inventory per scenario, in units and at cost."""
    inv = view.res.inventory
    inv = inv[inv["product"] == view.product].set_index("scenario")
    cols = [
        Col("units", [fmt.units(inv.loc[n, "ending_inventory_units"]) for n in view.names]),
        Col("at cost", [fmt.money(inv.loc[n, "stranded_inventory_usd"]) for n in view.names]),
    ]
    title = f"Ending inventory: stock left unsold at the end of the horizon ({view.where})"
    show(console, title, Col("scenario", view.names, justify="left"), cols)


# ---------------------------------------------------------------- delay and next month


def delay_tables(view: SummaryView, console: Console) -> None:
    """Cost of delay (totals, with the expected value) and per month of delay."""
    ref = reference_text(view)
    party_grid(
        view,
        console,
        f"Cost of delay vs licensed when demand began ({ref}, demand.reference_start): "
        f"reference minus scenario, total over the horizon, $ billions ({view.where})",
        view.res.delay_cost,
        "total_usd",
    )
    party_grid(
        view,
        console,
        f"Cost per month of delay, $ billions a month ({view.where})",
        view.res.delay_cost,
        "total_per_month_usd",
        caption="n/a: no delay, or never licensed; all products: the sum over the "
        "products where it is defined",
        expected=False,
    )


def next_month_table(view: SummaryView, console: Console) -> None:
    """Cost of one more month of waiting, per party and scenario."""
    as_of = as_of_text(view)
    after = f"after {as_of}" if as_of else "from the horizon start"
    party_grid(
        view,
        console,
        f"Cost of the next month: every approval still to come ({after}) one month "
        f"later, total over the horizon, $ billions ({view.where})",
        view.res.next_month,
        "total_usd",
    )


# ---------------------------------------------------------------- vendors


VENDOR_VALUES = ("gross_profit_usd", "profit_after_tax_usd", "eps_usd")


def vendor_years(view: SummaryView) -> dict[str, pd.DataFrame]:
    """Each vendor's fiscal years per table shown: the expected value over the set, or
    each scenario on its own."""
    v = view.res.vendors
    years = v[v["period_kind"] == "fiscal_year"]
    if not view.probabilities:
        return {name: years[years["scenario"] == name] for name in view.names}
    weights = years["scenario"].map(view.probabilities)
    weighted = years[list(VENDOR_VALUES)].mul(weights, axis=0)
    # A vendor without tax rate or shares has no EPS in any scenario: keep it missing.
    weighted = weighted.where(years[list(VENDOR_VALUES)].notna())
    keys = ["vendor", "period", "months_in_period"]
    ev = (
        years[keys]
        .join(weighted)
        .groupby(keys, sort=False)[list(VENDOR_VALUES)]
        .sum(min_count=1)
        .reset_index()
    )
    return {EXPECTED: ev}


def fiscal_calendar_text(view: SummaryView) -> str:
    """Whose fiscal year ends when: ``January (Nvidia) and December (AMD, Intel)``."""
    import calendar

    a = view.res.variants[0]
    ends: dict[int, list[str]] = {}
    for vendor in a.vendor_names:
        ends.setdefault(a.fiscal_year_end(vendor), []).append(vendor)
    parts = [f"{calendar.month_name[m]} ({', '.join(vs)})" for m, vs in ends.items()]
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


def vendor_table(view: SummaryView, console: Console, label: str, years: pd.DataFrame) -> None:
    """One vendor fiscal year per row: gross profit, profit after tax, EPS effect."""
    rows = list(years.itertuples())
    sections = frozenset(
        i for i, (r, nxt) in enumerate(itertools.pairwise(rows)) if r.vendor != nxt.vendor
    )
    first = [i == 0 or rows[i - 1].vendor != r.vendor for i, r in enumerate(rows)]
    stub = Col(
        "vendor", [str(r.vendor) if f else "" for r, f in zip(rows, first, strict=True)], "left"
    )

    def months_cell(n: int) -> str:
        return f"{n}" if n == 12 else f"{n}, partial"

    cols = [
        Col("fiscal year", [str(r.period) for r in rows], "left"),
        Col("months", [months_cell(int(r.months_in_period)) for r in rows]),
        Col("gross profit", [fmt.money(r.gross_profit_usd) for r in rows]),
        Col("profit after tax", [fmt.money(r.profit_after_tax_usd) for r in rows]),
        Col("EPS effect, $/share", [fmt.eps(r.eps_usd) for r in rows]),
    ]
    stub = Col(stub.header, stub.cells, stub.justify, sections)
    title = (
        f"Vendors by their own fiscal year, {label}: gross profit and profit after tax "
        "from China sales in $ billions, earnings per share in $ per share"
    )
    caption = (
        f"Fiscal years end in {fiscal_calendar_text(view)}; partial: only that many "
        "months of the fiscal year lie in the horizon; n/a: no tax rate or diluted shares."
    )
    show(console, title, stub, cols, caption)


def vendor_tables(view: SummaryView, console: Console) -> None:
    for name, years in vendor_years(view).items():
        label = "expected value over the set" if name == EXPECTED else f"'{name}'"
        vendor_table(view, console, label, years)


# ---------------------------------------------------------------- the whole summary


def print_summary(view: SummaryView, console: Console) -> None:
    """Every table of ``summary``, in reading order."""
    lines(console, intro(view))
    if view.probabilities or view.monte_carlo is not None:
        which_expected_value(view, console)
    steps: list[Callable[[SummaryView, Console], None]] = [
        lambda v, c: party_grid(
            v, c, f"Totals over the horizon, $ billions ({v.where})", v.res.totals, "total_usd"
        ),
        lambda v, c: party_grid(
            v, c, f"NPV at {rate_text(v)}, $ billions ({v.where})", v.res.totals, "npv_usd"
        ),
        scenarios_table,
        inventory_table,
        delay_tables,
        next_month_table,
        vendor_tables,
    ]
    for step in steps:
        step(view, console)
    lines(
        console,
        "Every figure, with the NPVs of the cost of delay and of the next month, per "
        "product: add --csv FILE.",
    )
