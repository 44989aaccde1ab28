"""Command line: ``python -m model <command>`` (also the ``chip-export`` script).

Exit status 0 on success, 2 on invalid input (message on standard error, no
traceback, no output file created or truncated), 1 on an unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from . import __version__
from .analysis import ALL, PARTIES, Results, expected_value, run, summary_table
from .engine import Inputs, project
from .fileio import atomic_write_text
from .loader import InputError, Loaded, Problem, load, load_many, load_scenario, load_set, read_yaml
from .outputs import PERIODS, aggregate, long_frame, to_csv_text

EXIT_OK, EXIT_FAILURE, EXIT_INPUT = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


def _out_path(value: str, file_arg: str) -> Path:
    """Refuse an output path whose folder is missing before any work is done."""
    path = Path(value)
    if path.exists() and path.is_dir():
        raise InputError([Problem(value, file_arg, "is a directory, not a file")])
    if not path.parent.exists():
        raise InputError([Problem(value, file_arg, f"folder {path.parent} does not exist")])
    return path


def console(width: int | None) -> Console:
    """A rich console; piped output gets a wide page instead of 80 columns."""
    if width is None and not sys.stdout.isatty():
        width = 160
    return Console(width=width)


# ---------------------------------------------------------------- project


def cmd_project(args: argparse.Namespace) -> int:
    out = _out_path(args.csv, "--csv")
    loaded = load(args.assumptions, args.scenario)
    proj = project(Inputs.from_assumptions([loaded.assumptions]))
    frame = long_frame(proj)
    if args.period != "month":
        frame = aggregate(frame, args.period, loaded.assumptions.horizon.fiscal_year_end_month)
    atomic_write_text(out, to_csv_text(frame))
    print(
        f"wrote {out} ({loaded.name}: {loaded.assumptions.horizon.months} months, "
        f"{len(loaded.assumptions.products)} products)",
        file=sys.stderr,
    )
    return EXIT_OK


# ---------------------------------------------------------------- summary


def _scenarios(args: argparse.Namespace) -> tuple[list[Loaded], dict[str, float] | None, str]:
    """Scenarios to summarise and, when they form a set, their probabilities."""
    if args.set:
        entries = load_set(args.set)
        loaded = load_many(args.assumptions, [sc for sc, _ in entries])
        return loaded, {lo.name: pr for lo, (_, pr) in zip(loaded, entries, strict=True)}, args.set
    if not args.scenario:
        return [load(args.assumptions)], None, ""
    loaded = load_many(args.assumptions, args.scenario)
    probs = [lo.scenario.probability if lo.scenario else None for lo in loaded]
    if all(p is None for p in probs):
        return loaded, None, ""
    if any(p is None for p in probs):
        missing = [
            lo.scenario.file
            for lo, p in zip(loaded, probs, strict=True)
            if p is None and lo.scenario
        ]
        raise InputError(
            [
                Problem(
                    f,
                    "probability",
                    "is missing while other scenarios given have one (give all or none)",
                )
                for f in missing
            ]
        )
    return (
        loaded,
        {lo.name: float(p) for lo, p in zip(loaded, probs, strict=True) if p is not None},
        ", ".join(args.scenario),
    )


def _billions(v: float) -> str:
    return "n/a" if pd.isna(v) else f"{v / 1e9:,.2f}"


def _party_table(title: str, frame: pd.DataFrame, value: str, product: str) -> Table:
    sub = frame[frame["product"] == product]
    names = list(dict.fromkeys(sub["scenario"]))
    table = Table(title=title, title_justify="left")
    table.add_column("party")
    for n in names:
        table.add_column(n, justify="right")
    for party in PARTIES:
        row = sub[sub["party"] == party.key].set_index("scenario")[value]
        table.add_row(party.label, *[_billions(row.get(n, float("nan"))) for n in names])
    return table


def print_summary(
    res: Results, probs: dict[str, float] | None, probs_file: str, product: str, console: Console
) -> None:
    label = "all products" if product == ALL else product
    console.print(
        _party_table(
            f"Totals over the horizon, $ billions ({label})", res.totals, "total_usd", product
        )
    )
    console.print(_party_table("NPV, $ billions", res.totals, "npv_usd", product))
    inv = res.inventory[res.inventory["product"] == product]
    t = Table(title="Ending inventory", title_justify="left")
    for c in ("scenario", "units", "at cost, $ billions"):
        t.add_column(c, justify="left" if c == "scenario" else "right")
    for r in inv.itertuples():
        t.add_row(
            str(r.scenario), f"{r.ending_inventory_units:,.0f}", _billions(r.stranded_inventory_usd)
        )
    console.print(t)
    cod = res.delay_cost[res.delay_cost["product"] == product]
    t = Table(
        title="Cost of delay vs approved now ($ billions; per month of delay in $ millions)",
        title_justify="left",
    )
    t.add_column("scenario")
    t.add_column("delay, months", justify="right")
    for p in PARTIES:
        t.add_column(p.label, justify="right")
    for name in dict.fromkeys(cod["scenario"]):
        rows = cod[cod["scenario"] == name].set_index("party")
        d = rows["delay_months"].iloc[0]
        cells = []
        for p in PARTIES:
            per = rows.loc[p.key, "total_per_month_usd"]
            per_txt = "" if pd.isna(per) else f" ({per / 1e6:,.0f}/mo)"
            cells.append(_billions(rows.loc[p.key, "total_usd"]) + per_txt)
        t.add_row(str(name), "never" if d == float("inf") else f"{d:g}", *cells)
    console.print(t)
    if probs:
        ev = expected_value(res.totals, probs, probs_file)
        ev = ev[ev["product"] == product].set_index("party")
        t = Table(title="Probability-weighted expected value, $ billions", title_justify="left")
        for c in ("party", "total", "NPV"):
            t.add_column(c, justify="left" if c == "party" else "right")
        for p in PARTIES:
            t.add_row(
                p.label, _billions(ev.loc[p.key, "total_usd"]), _billions(ev.loc[p.key, "npv_usd"])
            )
        console.print(t)


def cmd_summary(args: argparse.Namespace) -> int:
    out = _out_path(args.csv, "--csv") if args.csv else None
    loaded, probs, pfile = _scenarios(args)
    res = run([lo.assumptions for lo in loaded], [lo.name for lo in loaded])
    pids = list(res.projection.inputs.product_ids)
    if args.product != ALL and args.product not in pids:
        raise InputError(
            [
                Problem(
                    "--product",
                    "",
                    f"unknown product; choose all or one of {', '.join(pids)}",
                    args.product,
                    True,
                )
            ]
        )
    print_summary(res, probs, pfile, args.product, console(args.width))
    if out is not None:
        atomic_write_text(out, to_csv_text(summary_table(res, probs)))
    return EXIT_OK


# ---------------------------------------------------------------- validate


def _validate_one(path: str, base: str | None) -> str:
    raw = read_yaml(path)
    if "overrides" in raw:
        sc = load_scenario(path)
        if base:
            load(base, sc)
            return f"scenario '{sc.name}' on {base}"
        return f"scenario '{sc.name}' (structure only: give --base to check its paths)"
    if "distributions" in raw:
        if not base:
            return "risk file (structure only: give --base to check it against assumptions)"
        from .risk_schema import load_risk  # imported here: the core needs no risk code

        spec = load_risk(path, load(base).assumptions)
        return f"risk file with {len(spec.marginals)} distributions on {base}"
    if "scenarios" in raw:
        entries = load_set(path)
        if base:
            load_many(base, [sc for sc, _ in entries])
        return f"scenario set of {len(entries)} scenarios"
    lo = load(path)
    return f"assumptions with {len(lo.assumptions.products)} products"


def _default_base(path: str) -> str | None:
    here = Path(path).parent
    for cand in (here / "base.yaml", here.parent / "base.yaml", Path("assumptions/base.yaml")):
        if cand.is_file():
            return str(cand)
    return None


def cmd_validate(args: argparse.Namespace) -> int:
    problems: list[Problem] = []
    for path in args.files:
        try:
            what = _validate_one(path, args.base or _default_base(path))
            print(f"ok: {path}: {what}")
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return EXIT_OK


# ---------------------------------------------------------------- wiring


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m model",
        description="Chip Export Impact: who gains what from US licences for AI chips to "
        "China, and what each month of delay costs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("project", help="monthly projection as a long CSV (MODEL_SPEC §5)")
    p.add_argument("assumptions", help="assumptions YAML (e.g. assumptions/base.yaml)")
    p.add_argument("--scenario", help="scenario YAML overlaying the assumptions")
    p.add_argument("--csv", required=True, help="output CSV (written atomically)")
    p.add_argument(
        "--period",
        choices=PERIODS,
        default="month",
        help="month (the MODEL_SPEC §5 contract, default) or a roll-up; "
        "roll-ups write the header period,product,metric,value",
    )
    p.set_defaults(func=cmd_project)

    p = sub.add_parser("summary", help="totals, NPV, cost of delay and expected value")
    p.add_argument("assumptions")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--scenario", action="append", default=[], help="scenario YAML; repeat to compare several"
    )
    which.add_argument("--set", help="scenario-set YAML with probabilities (expected value)")
    p.add_argument("--product", default=ALL, help="a product id, or 'all' (default)")
    p.add_argument("--width", type=int, default=None, help="console width")
    p.add_argument(
        "--csv",
        help="also write every figure (totals, NPV, cost of delay, "
        "expected value) as a long CSV, atomically",
    )
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("validate", help="check assumption, scenario and set files")
    p.add_argument("files", nargs="+")
    p.add_argument("--base", help="assumptions to check scenario paths against")
    p.set_defaults(func=cmd_validate)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[Any], None]]:
    """Commands contributed by other packages (workbook, risk) register here."""
    found = []
    for module, attr in EXTENSIONS:
        mod = __import__(module, fromlist=[attr])
        found.append(getattr(mod, attr))
    return found


#: (module, function) pairs adding sub-commands; each function takes the subparsers.
EXTENSIONS: list[tuple[str, str]] = [("model.risk_cli", "register"), ("reports.cli", "register")]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # people get a sentence, not a traceback
        if os.environ.get("CHIP_EXPORT_DEBUG"):
            raise
        print(
            f"error: unexpected failure: {type(exc).__name__}: {exc} "
            "(set CHIP_EXPORT_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
