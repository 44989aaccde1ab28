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
from .common import EXIT_OK, Commands, add_command, billions, console, out_path

if TYPE_CHECKING:
    import pandas as pd
    from rich.table import Table

#: ``--mode`` choices and the reconciliation modes each runs.
MODE_CHOICES = {
    "with-actuals": ("with-actuals",),
    "backtest": ("backtest",),
    "both": ("with-actuals", "backtest"),
}


# ---------------------------------------------------------------- reconcile


def _figure(value: float, measure: str) -> str:
    """Money in $ billions with three decimals, units with thousands separators."""
    import pandas as pd

    if pd.isna(value):
        return ""
    if measure.endswith("_usd"):
        return f"{value / 1e9:,.3f}"
    return f"{value:,.0f}"


def _verdict(inside: object, status: str) -> str:
    if inside is None or status != "compared":
        return status
    return "inside" if inside else "OUTSIDE"


def reconcile_table(frame: pd.DataFrame) -> Table:
    """Reported against modelled, one line per reported figure and mode."""
    from rich.table import Table

    table = Table(
        title="Reported vs modelled by vendor fiscal quarter ($ billions; units)",
        title_justify="left",
    )
    for c in ("mode", "vendor", "quarter", "measure", "bound"):
        table.add_column(c)
    for c in ("reported", "modelled", "difference"):
        table.add_column(c, justify="right")
    table.add_column("verdict")
    for r in frame.itertuples():
        table.add_row(
            str(r.mode),
            str(r.vendor),
            str(r.fiscal_quarter),
            str(r.measure),
            str(r.bound),
            _figure(r.reported, r.measure),
            _figure(r.modelled, r.measure),
            _figure(r.difference, r.measure),
            _verdict(r.inside_bound, r.status),
        )
    return table


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
    console(args.width, stderr=out is not None and out.is_stdout).print(reconcile_table(frame))
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
    p.add_argument("--width", type=int, default=None, help="console width")
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


def vintages_table(values: pd.DataFrame) -> Table:
    """One line per vintage: the parties' totals, the next month, EPS, expected value."""
    from rich.table import Table

    from ..vintages import VALUE_PARTIES, wide

    table = Table(
        title="Value of the licence by vintage: totals over the horizon in $ billions "
        "(gross = China gross revenue, US = US government, GP = vendor gross profit, "
        "next month = gross revenue lost to one more month of waiting, EV = expected "
        "value over the vintage's set); EPS effect in $ per share",
        title_justify="left",
    )
    w = wide(values)
    table.add_column("vintage", no_wrap=True)
    table.add_column("as of", no_wrap=True)
    columns = {f"value:{p}": SHORT.get(p, p) for p in VALUE_PARTIES}
    columns["next month:china_gross_revenue"] = "next month"
    columns.update({c: f"EPS {c[4:]}" for c in w.columns if str(c).startswith("eps:")})
    columns.update({f"expected value:{p}": f"EV {SHORT[p]}" for p in VALUE_PARTIES[:2]})
    for label in columns.values():
        table.add_column(label, justify="right")
    for r in w.to_dict("records"):
        cells = []
        for c in columns:
            v = r.get(c, float("nan"))
            cells.append(f"{v:,.3f}" if c.startswith("eps:") and v == v else billions(v))
        table.add_row(str(r["vintage"]), str(r["as_of"]), *cells)
    return table


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
    console(args.width, stderr=out is not None and out.is_stdout).print(vintages_table(values))
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
    p.add_argument("--width", type=int, default=None, help="console width")
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
