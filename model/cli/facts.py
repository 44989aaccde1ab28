"""Commands ``reconcile`` and ``vintages``: the shipped facts against what vendors
reported, and the value of the licence as the facts stood at key dates.

Heavy modules (pandas, rich, the engine) are imported inside the handlers, so that
listing the commands stays fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..gate import InputError, Problem
from . import formats as fmt
from .common import (
    EXIT_OK,
    WIDTH_HELP,
    Commands,
    add_command,
    console,
    file_label,
    out_path,
    source_text,
)
from .tables import Col, show

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

#: ``--mode`` choices and the reconciliation modes each runs.
MODE_CHOICES = {
    "with-actuals": ("with-actuals",),
    "backtest": ("backtest",),
    "both": ("with-actuals", "backtest"),
}


# ---------------------------------------------------------------- reconcile


#: Reported measures in words, with their unit.
MEASURE_WORDS = {
    "china_dc_revenue_usd": "China data-centre revenue, $B",
    "units": "units",
    "inventory_charge_usd": "inventory charge, $B",
}
#: What each reconciliation mode projects, in words.
MODE_WORDS = {
    "with-actuals": "with actuals (the assumptions as given)",
    "backtest": "backtest (reported actuals and later China batches stripped)",
}


def _figure(value: float, measure: str) -> str:
    """Money in $ billions with two decimals, units with thousands separators; blank
    where the figure is not compared."""
    import pandas as pd

    if pd.isna(value):
        return ""
    return fmt.money(value) if measure.endswith("_usd") else fmt.units(value)


#: How a reported figure bounds the modelled one, as a sign before it.
BOUND_SIGNS = {"exact": "", "upper": "≤ ", "lower": "≥ "}


def _verdict(inside: object, status: str) -> str:
    if inside is None or status != "compared":
        return status
    return "inside" if inside else "OUTSIDE"


def reconcile_table(con: Console, frame: pd.DataFrame, source: str) -> None:
    """Reported against modelled, one table per mode, one line per reported figure."""
    from ..reconcile import RELATIVE_TOLERANCE

    for mode in dict.fromkeys(frame["mode"]):
        rows = list(frame[frame["mode"] == mode].itertuples())
        stub = Col("quarter", [f"{r.vendor} {r.fiscal_quarter}" for r in rows], "left")
        cols = [
            Col(
                "measure", [MEASURE_WORDS.get(str(r.measure), str(r.measure)) for r in rows], "left"
            ),
            Col(
                "reported",
                [BOUND_SIGNS.get(str(r.bound), "") + _figure(r.reported, r.measure) for r in rows],
                group="figures",
            ),
            Col("modelled", [_figure(r.modelled, r.measure) for r in rows], group="figures"),
            Col("difference", [_figure(r.difference, r.measure) for r in rows], group="figures"),
            Col("verdict", [_verdict(r.inside_bound, r.status) for r in rows], "left"),
        ]
        title = (
            f"Reported vs modelled by vendor fiscal quarter on {source}: "
            f"{MODE_WORDS.get(str(mode), str(mode))}"
        )
        caption = (
            "reported: ≤ an upper bound, ≥ a lower bound, else an exact figure (matched "
            f"within {fmt.share(RELATIVE_TOLERANCE)})"
        )
        show(con, title, stub, cols, caption)


def cmd_reconcile(args: argparse.Namespace) -> int:
    from ..fileio import write_output
    from ..loader import load
    from ..outputs import to_csv_text
    from ..reconcile import read_reported, reconcile
    from ..shipped import REPORTED_DIR

    inputs = [args.assumptions, args.scenario]
    out = out_path(args.csv, "--csv", inputs) if args.csv else None
    loaded = load(args.assumptions, args.scenario)
    reported = read_reported(args.reported or REPORTED_DIR)
    frame = reconcile(loaded.assumptions, reported, MODE_CHOICES[args.mode])
    con = console(args.width, stderr=out is not None and out.is_stdout)
    reconcile_table(con, frame, source_text(loaded))
    if out is not None:
        write_output(out, to_csv_text(frame))
    return EXIT_OK


def declare_reconcile(p: argparse.ArgumentParser) -> None:
    p.add_argument("assumptions", help="assumptions YAML (e.g. assumptions/base.yaml)")
    p.add_argument("--scenario", help="scenario YAML overlaying the assumptions")
    p.add_argument(
        "--reported",
        help="folder of reported CSV files (default: the shipped assumptions/reported)",
    )
    p.add_argument(
        "--mode",
        choices=list(MODE_CHOICES),
        default="both",
        help="with-actuals (the assumptions as given), backtest (actuals and later "
        "China batches stripped) or both (default)",
    )
    p.add_argument("--width", type=int, default=None, help=WIDTH_HELP)
    p.add_argument("--csv", help="also write the comparison as CSV, atomically")


# ---------------------------------------------------------------- vintages

#: Short column labels of the parties in the vintages table.
SHORT = {
    "china_gross_revenue": "gross",
    "us_government": "US",
    "vendor_gross_profit": "GP",
    "suppliers": "suppliers",
}


def _set_pairs(items: list[str]) -> dict[str, Path]:
    """``VINTAGE=SET.yaml`` options as a mapping; a malformed one is an input error."""
    out: dict[str, Path] = {}
    problems = []
    for item in items:
        stem, sep, path = item.partition("=")
        if not sep or not stem or not path:
            problems.append(Problem("--set", "", "must be written VINTAGE=SET.yaml", item, True))
        else:
            out[stem] = Path(path)
    if problems:
        raise InputError(problems)
    return out


def _vintage_columns(w: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(column of the wide frame, header, group) of the vintages table."""
    from ..vintages import VALUE_PARTIES

    out = [(f"value:{p}", SHORT.get(p, p), "value") for p in VALUE_PARTIES]
    out.append(("next month:china_gross_revenue", "next month", "value"))
    out += [(c, f"EPS {c[4:]}", "eps") for c in w.columns if str(c).startswith("eps:")]
    out += [(f"expected value:{p}", f"EV {SHORT[p]}", "ev") for p in VALUE_PARTIES[:2]]
    return out


def vintages_table(con: Console, values: pd.DataFrame, base: str) -> None:
    """One line per vintage: the parties' totals, the next month, EPS, expected value."""
    from ..vintages import wide

    w = wide(values)
    records = w.to_dict("records")
    stub = Col("vintage", [str(r["vintage"]) for r in records], "left")
    cols = [Col("as of", [fmt.month(str(r["as_of"])) for r in records])]
    for column, header, group in _vintage_columns(w):
        money_or_eps = fmt.eps if group == "eps" else fmt.money
        cells = [money_or_eps(r.get(column)) for r in records]
        cols.append(Col(header, cells, group=group))
    title = (
        f"Value of the licence by vintage on {base}: totals over the horizon in $ billions "
        "(gross = China gross revenue, US = US government, GP = vendor gross profit, next "
        "month = gross revenue lost to one more month of waiting, EV = expected value over "
        "the vintage's set); EPS effect in $ per share"
    )
    show(con, title, stub, cols)


def cmd_vintages(args: argparse.Namespace) -> int:
    from ..fileio import write_output
    from ..outputs import to_csv_text
    from ..shipped import BASE, VINTAGES_DIR
    from ..vintages import (
        default_sets,
        load_vintages,
        vintage_files,
        vintage_values,
    )

    out = out_path(args.csv, "--csv", [args.base]) if args.csv else None
    base = args.base or BASE
    files = vintage_files(args.dir or VINTAGES_DIR)
    sets = {} if args.no_set else default_sets(files)
    sets.update(_set_pairs(args.set))
    values = vintage_values(base, load_vintages(base, files, sets))
    con = console(args.width, stderr=out is not None and out.is_stdout)
    vintages_table(con, values, file_label(base))
    if out is not None:
        write_output(out, to_csv_text(values))
    return EXIT_OK


def declare_vintages(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", help="base assumptions (default: the shipped base.yaml)")
    p.add_argument(
        "--dir", help="folder of vintage files (default: the shipped assumptions/vintages)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="VINTAGE=SET.yaml",
        help="give a vintage a scenario set for its expected value (repeatable); the "
        "vintage that is the base itself gets the shipped set unless --no-set",
    )
    p.add_argument("--no-set", action="store_true", help="no expected values by default")
    p.add_argument("--width", type=int, default=None, help=WIDTH_HELP)
    p.add_argument("--csv", help="also write every figure as a long CSV, atomically")


# ---------------------------------------------------------------- wiring


def register(sub: Commands) -> None:
    """Add ``reconcile`` and ``vintages`` to the command line."""
    add_command(
        sub,
        "reconcile",
        cmd_reconcile,
        declare_reconcile,
        help="reported vendor figures against the model, per vendor fiscal quarter",
    )
    add_command(
        sub,
        "vintages",
        cmd_vintages,
        declare_vintages,
        help="value of the licence as the facts stood at key dates",
    )
