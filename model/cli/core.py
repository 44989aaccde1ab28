"""Commands ``project``, ``summary`` and ``validate``: the calculation core's.

Heavy modules (pandas, rich, the engine) are imported inside the handlers, so that
listing the commands stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..gate import InputError, Problem
from .common import (
    EXIT_OK,
    WIDTH_HELP,
    Commands,
    add_command,
    console,
    display_name,
    file_label,
    given_probabilities,
    out_path,
    unique_names,
    warn,
)

if TYPE_CHECKING:
    import pandas as pd

    from ..engine import Projection
    from ..loader import Loaded
    from .summary_view import MonteCarlo


# ---------------------------------------------------------------- project

#: The metric a roll-up adds per period and product: how many months of the horizon
#: the period holds (fewer than 3 or 12 flags a partial quarter or year).
MONTHS_IN_PERIOD = "months_in_period"


def months_in_period(
    months: Sequence[str], period: str, calendars: Mapping[str, int]
) -> pd.DataFrame:
    """Per period and product, the number of horizon months in the period, as rows of
    the roll-up's long frame (metric :data:`MONTHS_IN_PERIOD`). Fiscal periods follow
    each product's vendor calendar (``calendars``: product id -> year-end month)."""
    import pandas as pd

    from ..outputs import period_labels

    rows = []
    for pid, year_end in calendars.items():
        labels = period_labels(list(months), period, year_end)
        for label in dict.fromkeys(labels):
            rows.append((label, pid, MONTHS_IN_PERIOD, float(labels.count(label))))
    return pd.DataFrame(rows, columns=["period", "product", "metric", "value"])


def rolled_up(
    frame: pd.DataFrame,
    period: str,
    calendars: Mapping[str, int],
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The long frame rolled up to ``period`` by each product's vendor calendar, with
    :data:`MONTHS_IN_PERIOD` first among each period's and product's metrics (the
    others in the order of ``metrics``, else as they first appear in the frame)."""
    import pandas as pd

    from ..outputs import aggregate

    counts = months_in_period(list(pd.unique(frame["month"])), period, calendars)
    out = pd.concat([counts, aggregate(frame, period, calendars, metrics)], ignore_index=True)
    order = {pid: i for i, pid in enumerate(calendars)}
    keys = out.assign(_p=out["product"].map(order), _m=out["metric"] != MONTHS_IN_PERIOD)
    keys = keys.sort_values(["period", "_p", "_m"], kind="stable")
    return out.loc[keys.index].reset_index(drop=True)


#: Products rolled up together: the long frame of this many products at a time.
ROLL_UP_BLOCK = 200


def rolled_up_csv(projection: Projection, period: str, block: int = ROLL_UP_BLOCK) -> Iterator[str]:
    """The CSV text of the projection's long frame rolled up to ``period`` (see
    :func:`rolled_up`), in pieces: the same bytes as ``to_csv_text`` of the whole roll-up,
    without holding 8 million monthly rows for 10,000 products.

    ``block`` products are rolled up at a time, each block's rows kept as text by
    period; the periods are then written in order, each with its blocks in product
    order, as the whole roll-up orders them (by period, then product, then metric in the
    order of :func:`model.outputs.metric_order`). A block never holds one product alone
    (unless the projection does): pandas averages a group whose rows are contiguous
    (one product's prices) with another kernel, which may differ in the last bit.
    """
    from ..outputs import csv_header, csv_rows, fiscal_calendars, long_frame, metric_order

    calendars = fiscal_calendars(projection)
    pids = projection.inputs.product_ids
    metrics = metric_order(projection)
    header = ""
    by_period: dict[str, list[str]] = {}
    for products in _blocks(len(pids), block):
        frame = long_frame(projection, products=products)
        part = rolled_up(frame, period, {pids[j]: calendars[pids[j]] for j in products}, metrics)
        header = csv_header(part)
        for label, rows in part.groupby("period", sort=False):
            by_period.setdefault(str(label), []).append(csv_rows(rows))
    yield header
    for label in sorted(by_period):
        yield "".join(by_period.pop(label))


def _blocks(count: int, size: int) -> list[range]:
    """``count`` products in blocks of ``size`` (at least 2), in order; a last block of
    one product joins the one before it."""
    size = max(size, 2)
    blocks = [range(i, min(i + size, count)) for i in range(0, count, size)]
    if len(blocks) > 1 and len(blocks[-1]) == 1:
        blocks[-2:] = [range(blocks[-2].start, count)]
    return blocks


def cmd_project(args: argparse.Namespace) -> int:
    from .. import load, project
    from ..fileio import write_output_chunks
    from ..outputs import long_csv

    out = out_path(args.csv, "--csv", [args.assumptions, args.scenario])
    loaded = load(args.assumptions, args.scenario)
    warn([loaded])
    projection = project(loaded)
    if args.period == "month":
        # Streamed product by product: the text of to_csv_text(long_frame(...)), never
        # held whole (8 million rows for 10,000 products).
        write_output_chunks(out, long_csv(projection))
    else:
        write_output_chunks(out, rolled_up_csv(projection, args.period))
    print(
        f"wrote {out} ({display_name(loaded)}: {loaded.assumptions.horizon.months} months, "
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
        help="month (the docs/methodology.md §5 contract, default) or a roll-up with "
        "the header period,product,metric,value; fiscal periods follow each product's "
        f"vendor calendar, and a '{MONTHS_IN_PERIOD}' metric per period and product "
        "counts the horizon months it holds (fewer than 3 or 12: a partial period)",
    )


# ---------------------------------------------------------------- summary


@dataclass(frozen=True)
class Chosen:
    """The scenarios a summary shows, their probabilities, and the set they form."""

    loaded: list[Loaded]
    probabilities: dict[str, float] | None = None
    set_file: str = ""
    set_name: str = ""


def _set_name(path: str) -> str:
    from ..gate import read_yaml

    return str(read_yaml(path).get("name", ""))


def _scenarios(args: argparse.Namespace) -> Chosen:
    """Scenarios to summarise and, when they form a set, their probabilities."""
    from ..loader import load, load_many, load_set

    if args.set:
        entries = load_set(args.set)
        loaded = load_many(args.assumptions, [sc for sc, _ in entries])
        probs = {lo.name: pr for lo, (_, pr) in zip(loaded, entries, strict=True)}
        return Chosen(loaded, probs, file_label(args.set), _set_name(args.set))
    if not args.scenario:
        return Chosen([load(args.assumptions)])
    loaded = load_many(args.assumptions, args.scenario)
    return Chosen(loaded, given_probabilities(loaded))


def _check_product(product: str, pids: Sequence[str]) -> None:
    from ..analysis import ALL

    if product != ALL and product not in pids:
        raise InputError(
            [
                Problem(
                    "--product",
                    "",
                    f"unknown product; choose all or one of {', '.join(pids)}",
                    product,
                    True,
                )
            ]
        )


def _monte_carlo(args: argparse.Namespace) -> MonteCarlo | None:
    """The risk file's Monte Carlo around the assumptions file, when ``--risk`` is given."""
    if not args.risk:
        return None
    from .. import load, simulate
    from ..analysis import ALL
    from ..risk.schema import load_risk
    from ..risk.simulate import DEFAULT_CHUNK, check_run
    from .summary_view import MonteCarlo

    check_run(args.paths, DEFAULT_CHUNK, args.seed)
    base = load(args.assumptions)
    spec = load_risk(args.risk, base.assumptions)
    for w in spec.warnings:
        print(f"warning: {w}", file=sys.stderr)
    sim = simulate(
        base.assumptions,
        spec,
        args.paths,
        args.seed,
        products=None if args.product == ALL else [args.product],
        base_name=file_label(args.assumptions),
        fan=(),  # the summary shows percentiles only
        keep_draws=False,
    )
    return MonteCarlo(sim, file_label(args.risk), spec.name)


def cmd_summary(args: argparse.Namespace) -> int:
    from .. import summarise
    from ..analysis import summary_table
    from ..fileio import write_output
    from ..outputs import to_csv_text
    from .summary_view import SummaryView, print_summary

    inputs = [args.assumptions, args.set, args.risk, *args.scenario]
    out = out_path(args.csv, "--csv", inputs) if args.csv else None
    chosen = _scenarios(args)
    unique_names(chosen.loaded, "in one summary")
    _check_product(args.product, [p.id for p in chosen.loaded[0].assumptions.products])
    warn(chosen.loaded)
    names = [display_name(lo) for lo in chosen.loaded]
    res = summarise([lo.assumptions for lo in chosen.loaded], names)
    view = SummaryView(
        res,
        args.product,
        file_label(args.assumptions),
        chosen.probabilities,
        chosen.set_file,
        chosen.set_name,
        _monte_carlo(args),
    )
    print_summary(view, console(args.width, stderr=out is not None and out.is_stdout))
    if out is not None:
        write_output(out, to_csv_text(summary_table(res, chosen.probabilities)))
    return EXIT_OK


def declare_summary(p: argparse.ArgumentParser) -> None:
    from ..analysis import ALL

    p.add_argument("assumptions", help="assumptions YAML (e.g. assumptions/base.yaml)")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--scenario", action="append", default=[], help="scenario YAML; repeat to compare several"
    )
    which.add_argument("--set", help="scenario-set YAML with probabilities (expected value)")
    p.add_argument("--product", default=ALL, help="a product id, or 'all' (default)")
    p.add_argument(
        "--risk",
        help="risk YAML: also show the Monte Carlo mean around the assumptions file beside "
        "the scenario set's expected value",
    )
    p.add_argument(
        "--paths", type=int, default=20_000, help="--risk: Monte Carlo paths (default 20000)"
    )
    p.add_argument("--seed", type=int, default=1, help="--risk: random seed (default 1)")
    p.add_argument("--width", type=int, default=None, help=WIDTH_HELP)
    p.add_argument(
        "--csv",
        help="also write every figure (totals, NPV, cost of delay, cost of the next "
        "month, expected value) as a long CSV, atomically",
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
        help="monthly projection as a long CSV (docs/methodology.md §5)",
    )
    add_command(
        sub,
        "summary",
        cmd_summary,
        declare_summary,
        help="totals, NPV, cost of delay and of the next month, vendors' fiscal years, "
        "expected value",
    )
    add_command(
        sub,
        "validate",
        cmd_validate,
        declare_validate,
        help="check assumption, scenario and set files",
    )
