"""Commands ``simulate``, ``tornado`` and ``forecast``.

Same rules as every command: invalid input exits with status 2 and a message naming
the file, path, value and rule; output files are checked before any work and
written atomically, so a failed run leaves nothing half-written. Heavy modules
(pandas, statsmodels, scipy, rich, the engine) are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Any

from .. import shipped
from ..gate import InputError, Problem
from .common import EXIT_OK, Commands, add_command, billions, console, out_path

if TYPE_CHECKING:
    from rich.table import Table

    from ..loader import Loaded
    from ..risk.sensitivity import Regression
    from ..risk.simulate import Simulation


def _load(args: argparse.Namespace) -> Loaded:
    from .. import load

    return load(args.assumptions, args.scenario)


# ---------------------------------------------------------------- simulate


def percentile_table(sim: Simulation, measure: str, title: str) -> Table:
    from rich.table import Table

    from ..risk.parties import MAIN_PARTIES

    df = sim.summary()
    df = df[df["measure"] == measure].set_index("party")
    t = Table(title=title, title_justify="left")
    for c in ("party", "P5", "P10", "P50", "P90", "P95", "mean", "± s.e."):
        t.add_column(c, justify="left" if c == "party" else "right")
    for key in [p for p in sim.parties if p in MAIN_PARTIES] + [
        p for p in sim.parties if p not in MAIN_PARTIES
    ]:
        r = df.loc[key]
        t.add_row(
            str(r["label"]),
            *[billions(r[c]) for c in ("p5", "p10", "p50", "p90", "p95", "mean", "se")],
        )
    return t


def first_shipment_table(sim: Simulation) -> Table:
    """First China shipment by calendar quarter (the JSON output keeps months)."""
    from rich.table import Table

    from ..calendar import calendar_quarter
    from ..risk.simulate import NO_SHIPMENT

    fs = sim.first_shipment_distribution()
    quarters = fs["month"].map(lambda m: m if m == NO_SHIPMENT else calendar_quarter(m))
    by_q = fs.groupby(quarters, sort=False)["probability"].sum()
    t = Table(title="First China shipment by calendar quarter", title_justify="left")
    for c in ("quarter", "probability", "cumulative"):
        t.add_column(c, justify="left" if c == "quarter" else "right")
    for q, p, c in zip(by_q.index, by_q, by_q.cumsum(), strict=True):
        t.add_row(str(q), f"{p:.1%}", f"{c:.1%}")
    return t


def regression_table(reg: Regression, output: str, measure: str) -> Table:
    from rich.table import Table

    from ..analysis import ALL
    from ..risk.sensitivity import describe_output

    what = describe_output(output, measure, ALL)
    t = Table(
        title=f"Regression sensitivity of {what} (standardised OLS coefficients, "
        f"R² = {reg.r_squared:.3f})",
        title_justify="left",
    )
    for c in ("input", "std. coef.", "p-value"):
        t.add_column(c, justify="left" if c == "input" else "right")
    for r in reg.table.itertuples():
        t.add_row(
            str(r.parameter),
            "n/a" if math.isnan(r.std_coef) else f"{r.std_coef:+.3f}",
            "n/a" if math.isnan(r.p_value) else f"{r.p_value:.3g}",
        )
    return t


def _check_simulate(args: argparse.Namespace, loaded: Loaded) -> None:
    """Every bad option at once, before the progress bar starts."""
    from ..analysis import ALL
    from ..risk.sensitivity import check_output
    from ..risk.simulate import check_run, product_selection

    problems = (
        check_output(loaded.assumptions, args.output, args.measure, ALL) if args.output else []
    )
    for check in (
        lambda: check_run(args.paths, args.chunk, args.seed),
        lambda: product_selection(loaded.assumptions, args.product or None),
    ):
        try:
            check()
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)


def cmd_simulate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..fileio import atomic_write_text, json_text
    from ..risk.dask_runner import dask_chunks
    from ..risk.schema import load_risk
    from ..risk.sensitivity import regression_sensitivity
    from ..risk.simulate import local_chunks, simulate

    out = out_path(args.json, "--json") if args.json else None
    loaded = _load(args)
    spec = load_risk(args.risk, loaded.assumptions)
    _check_simulate(args, loaded)
    with tqdm(
        total=args.paths,
        unit="path",
        unit_scale=True,
        file=sys.stderr,
        disable=args.quiet,
        desc="simulating",
    ) as bar:

        def progress(done: int, total: int) -> None:
            bar.update(done - bar.n)

        sim = simulate(
            loaded.assumptions,
            spec,
            args.paths,
            args.seed,
            chunk=args.chunk,
            products=args.product or None,
            progress=progress,
            map_chunks=local_chunks if args.dask is None else dask_chunks(args.dask),
            base_name=loaded.name,
        )
    reg = regression_sensitivity(sim, args.output, args.measure) if args.output else None
    con = console(args.width)
    con.print(
        f"Monte Carlo: {sim.n_paths:,} paths, seed {sim.seed}, risk file "
        f"'{spec.name}' on '{loaded.name}' (products: {', '.join(sim.product_ids)})"
    )
    con.print(percentile_table(sim, "total", "Totals over the horizon, $ billions"))
    con.print(percentile_table(sim, "npv", "NPV, $ billions"))
    con.print(f"Probability of no China revenue: {sim.p_no_revenue:.1%}")
    con.print(first_shipment_table(sim))
    if reg is not None:
        con.print(regression_table(reg, args.output, args.measure))
    if out is not None:
        data = sim.to_dict()
        if reg is not None:
            data["regression"] = reg.to_dict()
        atomic_write_text(out, json_text(data))
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def declare_simulate(p: argparse.ArgumentParser) -> None:
    from ..risk.simulate import DEFAULT_CHUNK

    _common(p)
    p.add_argument("--risk", required=True, help="risk YAML (e.g. assumptions/risk.yaml)")
    p.add_argument("--paths", type=int, default=10_000, help="number of paths (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--chunk",
        type=int,
        default=DEFAULT_CHUNK,
        help=f"paths per chunk (default {DEFAULT_CHUNK}); results do not depend on it",
    )
    p.add_argument(
        "--product", action="append", default=[], help="only these products (repeat); default all"
    )
    p.add_argument(
        "--dask",
        nargs="?",
        const="local",
        default=None,
        metavar="ADDRESS",
        help="run on Dask: a local 2-process cluster, or a scheduler address "
        "(tcp://host:8786); same results as the local run",
    )
    _output(p, "vendor_gross_profit")
    p.add_argument("--json", help="write every statistic to this JSON file (atomically)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


# ---------------------------------------------------------------- tornado


def cmd_tornado(args: argparse.Namespace) -> int:
    from rich.table import Table

    from ..fileio import atomic_write_text, json_text
    from ..risk.schema import load_risk
    from ..risk.sensitivity import describe_output, parse_range, tornado

    out = out_path(args.json, "--json") if args.json else None
    loaded = _load(args)
    a = loaded.assumptions
    spec = load_risk(args.risk, a) if args.risk else None
    ranges = dict(parse_range(r) for r in args.range)
    params = list(dict.fromkeys([*args.param, *ranges])) if args.param else None
    result = tornado(a, args.output, args.measure, args.product, params, ranges, spec)
    t = Table(
        title=f"Tornado: {describe_output(args.output, args.measure, args.product)}, "
        f"$ billions (base {billions(result.base)})",
        title_justify="left",
    )
    for c in ("input", "low", "high", "at low", "at high", "swing", "range from"):
        t.add_column(c, justify="left" if c in ("input", "range from") else "right")
    for r in result.table.itertuples():
        t.add_row(
            str(r.parameter),
            str(r.low),
            str(r.high),
            billions(r.output_low),
            billions(r.output_high),
            billions(r.swing),
            str(r.range),
        )
    console(args.width).print(t)
    if out is not None:
        atomic_write_text(out, json_text(result.to_dict()))
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def declare_tornado(p: argparse.ArgumentParser) -> None:
    from ..analysis import ALL

    _common(p)
    p.add_argument("--risk", help="risk YAML: its inputs and their P10/P90 as low/high")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        help="dotted input path (repeat); default: the risk file's inputs, or every "
        "input with a closed schema range",
    )
    p.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="PATH=LOW:HIGH",
        help="low and high of an input (repeat), e.g. demand.erosion_per_month=0.01:0.06",
    )
    _output(p, "vendor_gross_profit")
    p.add_argument("--product", default=ALL, help="a product id, or 'all' (default)")
    p.add_argument("--json", help="write the bars to this JSON file (atomically)")


# ---------------------------------------------------------------- forecast


def _check_forecast(args: argparse.Namespace) -> None:
    problems = []
    if not 0 < args.level < 1:
        problems.append(
            Problem("--level", "", "must be between 0 and 1 (e.g. 0.9)", args.level, True)
        )
    if args.quarters is not None and not 1 <= args.quarters <= 40:
        problems.append(Problem("--quarters", "", "must be between 1 and 40", args.quarters, True))
    if problems:
        raise InputError(problems)


def _cell(v: Any, star: bool = False) -> str:
    import pandas as pd

    return "" if pd.isna(v) else f"{v:,.2f}" + ("*" if star else "")


def cmd_forecast(args: argparse.Namespace) -> int:
    from rich.table import Table

    from ..fileio import atomic_write_text, json_text
    from ..risk.forecast import (
        chart_frame,
        default_quarters,
        fit_forecast,
        load_history,
        projected_revenue,
    )

    outs = {k: out_path(v, f"--{k}") for k, v in (("json", args.json), ("csv", args.csv)) if v}
    _check_forecast(args)
    loaded = _load(args)
    history = load_history(args.history)
    projected = projected_revenue(loaded.assumptions, args.vendor)
    quarters = args.quarters or default_quarters(history, projected)
    fc = fit_forecast(history, quarters, args.level)
    frame = chart_frame(fc, projected)
    con = console(args.width)
    con.print(
        f"{args.vendor} China revenue by fiscal quarter, $ billions: model "
        f"{fc.model} (lowest AICc), {fc.level:.0%} prediction intervals; "
        f"projection of '{loaded.name}' on top"
    )
    t = Table(title_justify="left")
    for c in ("quarter", "actual", "forecast", "lower", "upper", "projected"):
        t.add_column(c, justify="left" if c == "quarter" else "right")
    for r in frame.itertuples():
        t.add_row(
            str(r.fiscal_quarter),
            _cell(r.actual, r.verified is False),
            _cell(r.forecast),
            _cell(r.lower),
            _cell(r.upper),
            _cell(r.projected_usd_billions),
        )
    con.print(t)
    con.print("* unverified quarter (conflicting reports; see the history file's note)")
    d = fc.diagnostics
    con.print(
        f"Residual checks: Ljung-Box p = {d.get('ljung_box_4_p', math.nan):.3f} (lag 4),"
        f" {d.get('ljung_box_8_p', math.nan):.3f} (lag 8); Jarque-Bera p = "
        f"{d['jarque_bera_p']:.3f}"
    )
    if "json" in outs:
        data = fc.to_dict() | {
            "chart": frame.to_dict(orient="records"),
            "projected": projected.to_dict(orient="records"),
            "vendor": args.vendor,
            "history_file": str(args.history),
        }
        atomic_write_text(outs["json"], json_text(data))
    if "csv" in outs:
        atomic_write_text(outs["csv"], frame.to_csv(index=False, float_format="%.6g"))
    for path in outs.values():
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def declare_forecast(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument(
        "--history",
        default=str(shipped.HISTORY),
        help="quarterly history CSV (default: the shipped Nvidia series)",
    )
    p.add_argument("--vendor", default="Nvidia", help="vendor whose products are projected")
    p.add_argument(
        "--quarters",
        type=int,
        default=None,
        help="quarters ahead (default: to the end of the projection)",
    )
    p.add_argument("--level", type=float, default=0.90, help="prediction interval level")
    p.add_argument("--json", help="write model, diagnostics and forecast to this JSON file")
    p.add_argument("--csv", help="write the chart table to this CSV file")


# ---------------------------------------------------------------- wiring


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("assumptions", help="assumptions YAML (e.g. assumptions/base.yaml)")
    p.add_argument("--scenario", help="scenario YAML overlaying the assumptions")
    p.add_argument("--width", type=int, default=None, help="console width")


def _output(p: argparse.ArgumentParser, default: str | None) -> None:
    p.add_argument(
        "--output",
        default=default,
        help="party to analyse, e.g. "
        "vendor_gross_profit, us_government, suppliers, supplier:hbm"
        + (f" (default {default})" if default else ""),
    )
    p.add_argument("--measure", choices=("total", "npv"), default="total")


def register(sub: Commands) -> None:
    """Add ``simulate``, ``tornado`` and ``forecast`` to the command line."""
    add_command(
        sub,
        "simulate",
        cmd_simulate,
        declare_simulate,
        help="Monte Carlo over a risk file: percentiles, fan "
        "chart data, first-shipment distribution",
    )
    add_command(
        sub,
        "tornado",
        cmd_tornado,
        declare_tornado,
        help="one-at-a-time sensitivity of an output",
    )
    add_command(
        sub,
        "forecast",
        cmd_forecast,
        declare_forecast,
        help="ETS forecast of the vendor's China revenue by "
        "fiscal quarter, with the scenario's projection on top",
    )
