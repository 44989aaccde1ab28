"""Commands ``project``, ``summary`` and ``validate``: the calculation core's.

Heavy modules (pandas, rich, the engine) are imported inside the handlers, so that
listing the commands stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..gate import InputError, Problem
from .common import (
    EXIT_OK,
    Commands,
    add_command,
    billions,
    console,
    given_probabilities,
    out_path,
    unique_names,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from ..analysis import Results
    from ..loader import Loaded


# ---------------------------------------------------------------- project


def cmd_project(args: argparse.Namespace) -> int:
    from .. import load, project
    from ..fileio import write_output
    from ..outputs import aggregate, long_frame, to_csv_text

    out = out_path(args.csv, "--csv", [args.assumptions, args.scenario])
    loaded = load(args.assumptions, args.scenario)
    frame = long_frame(project(loaded))
    if args.period != "month":
        frame = aggregate(frame, args.period, loaded.assumptions.horizon.fiscal_year_end_month)
    write_output(out, to_csv_text(frame))
    print(
        f"wrote {out} ({loaded.name}: {loaded.assumptions.horizon.months} months, "
        f"{len(loaded.assumptions.products)} products)",
        file=sys.stderr,
    )
    return EXIT_OK


def declare_project(p: argparse.ArgumentParser) -> None:
    from ..outputs import PERIODS

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


# ---------------------------------------------------------------- summary


def _scenarios(args: argparse.Namespace) -> tuple[list[Loaded], dict[str, float] | None, str]:
    """Scenarios to summarise and, when they form a set, their probabilities."""
    from ..loader import load, load_many, load_set

    if args.set:
        entries = load_set(args.set)
        loaded = load_many(args.assumptions, [sc for sc, _ in entries])
        return loaded, {lo.name: pr for lo, (_, pr) in zip(loaded, entries, strict=True)}, args.set
    if not args.scenario:
        return [load(args.assumptions)], None, ""
    loaded = load_many(args.assumptions, args.scenario)
    probs = given_probabilities(loaded)
    return loaded, probs, ", ".join(args.scenario) if probs else ""


def _party_table(title: str, frame: pd.DataFrame, value: str, product: str) -> Table:
    from rich.table import Table

    from ..analysis import PARTIES

    sub = frame[frame["product"] == product]
    names = list(dict.fromkeys(sub["scenario"]))
    table = Table(title=title, title_justify="left")
    table.add_column("party")
    for n in names:
        table.add_column(n, justify="right")
    for party in PARTIES:
        row = sub[sub["party"] == party.key].set_index("scenario")[value]
        table.add_row(party.label, *[billions(row.get(n, float("nan"))) for n in names])
    return table


def _inventory_table(res: Results, product: str) -> Table:
    from rich.table import Table

    inv = res.inventory[res.inventory["product"] == product]
    t = Table(title="Ending inventory", title_justify="left")
    for c in ("scenario", "units", "at cost, $ billions"):
        t.add_column(c, justify="left" if c == "scenario" else "right")
    for r in inv.itertuples():
        t.add_row(
            str(r.scenario), f"{r.ending_inventory_units:,.0f}", billions(r.stranded_inventory_usd)
        )
    return t


def _delay_table(res: Results, product: str) -> Table:
    import pandas as pd
    from rich.table import Table

    from ..analysis import PARTIES

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
            cells.append(billions(rows.loc[p.key, "total_usd"]) + per_txt)
        t.add_row(str(name), "never" if d == float("inf") else f"{d:g}", *cells)
    return t


def _expected_table(res: Results, probs: dict[str, float], probs_file: str, product: str) -> Table:
    from rich.table import Table

    from ..analysis import PARTIES, expected_value

    ev = expected_value(res.totals, probs, probs_file)
    ev = ev[ev["product"] == product].set_index("party")
    t = Table(title="Probability-weighted expected value, $ billions", title_justify="left")
    for c in ("party", "total", "NPV"):
        t.add_column(c, justify="left" if c == "party" else "right")
    for p in PARTIES:
        t.add_row(p.label, billions(ev.loc[p.key, "total_usd"]), billions(ev.loc[p.key, "npv_usd"]))
    return t


def print_summary(
    res: Results, probs: dict[str, float] | None, probs_file: str, product: str, console: Console
) -> None:
    from ..analysis import ALL

    label = "all products" if product == ALL else product
    console.print(
        _party_table(
            f"Totals over the horizon, $ billions ({label})", res.totals, "total_usd", product
        )
    )
    console.print(_party_table("NPV, $ billions", res.totals, "npv_usd", product))
    console.print(_inventory_table(res, product))
    console.print(_delay_table(res, product))
    if probs:
        console.print(_expected_table(res, probs, probs_file, product))


def cmd_summary(args: argparse.Namespace) -> int:
    from .. import summarise
    from ..analysis import ALL, summary_table
    from ..fileio import write_output
    from ..outputs import to_csv_text

    inputs = [args.assumptions, args.set, *args.scenario]
    out = out_path(args.csv, "--csv", inputs) if args.csv else None
    loaded, probs, pfile = _scenarios(args)
    unique_names(loaded, "in one summary")
    res = summarise([lo.assumptions for lo in loaded], [lo.name for lo in loaded])
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
    tables = console(args.width, stderr=out is not None and out.is_stdout)
    print_summary(res, probs, pfile, args.product, tables)
    if out is not None:
        write_output(out, to_csv_text(summary_table(res, probs)))
    return EXIT_OK


def declare_summary(p: argparse.ArgumentParser) -> None:
    from ..analysis import ALL

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


# ---------------------------------------------------------------- validate


def _validate_one(path: str, base: str | None) -> str:
    from ..gate import read_yaml
    from ..loader import load, load_many, load_scenario, load_set

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
        from ..risk.schema import load_risk

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


def declare_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+")
    p.add_argument("--base", help="assumptions to check scenario paths against")


# ---------------------------------------------------------------- wiring


def register(sub: Commands) -> None:
    """Add ``project``, ``summary`` and ``validate`` to the command line."""
    add_command(
        sub,
        "project",
        cmd_project,
        declare_project,
        help="monthly projection as a long CSV (MODEL_SPEC §5)",
    )
    add_command(
        sub,
        "summary",
        cmd_summary,
        declare_summary,
        help="totals, NPV, cost of delay and expected value",
    )
    add_command(
        sub,
        "validate",
        cmd_validate,
        declare_validate,
        help="check assumption, scenario and set files",
    )
