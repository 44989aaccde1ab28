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
    from ..risk.schema import RiskSpec
    from ..risk.sensitivity import Regression, Tornado
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


def shipment_table(sim: Simulation) -> Table:
    """Per product, the probability of its first China shipment after the facts
    (``horizon.as_of``; the horizon start when unset) in each calendar quarter."""
    from rich.table import Table

    from ..calendar import calendar_quarter
    from ..risk.simulate import NO_SHIPMENT

    def by_quarter(pid: str) -> Any:
        fs = sim.next_shipment_distribution(pid)
        quarters = fs["month"].map(lambda m: m if m == NO_SHIPMENT else calendar_quarter(m))
        return fs.groupby(quarters, sort=False)["probability"].sum()

    cols = {pid: by_quarter(pid) for pid in sim.product_ids}
    order = sorted({q for c in cols.values() for q in c.index if q != NO_SHIPMENT})
    after = f" after {sim.as_of}" if sim.as_of else ""
    t = Table(
        title=f"First China shipment{after}, probability by calendar quarter",
        title_justify="left",
    )
    t.add_column("quarter")
    for pid in sim.product_ids:
        t.add_column(pid, justify="right")
    for q in [*order, NO_SHIPMENT]:
        t.add_row(q, *(f"{cols[pid].get(q, 0.0):.1%}" for pid in sim.product_ids))
    return t


def headline_lines(sim: Simulation) -> list[str]:
    """The figures the docs quote, one per line, in a stable wording."""
    h = sim.headline()
    lines = [
        f"China gross revenue over the horizon: mean ${h['china_gross_revenue_mean'] / 1e9:.2f}B"
        f" (± {h['china_gross_revenue_se'] / 1e9:.2f}B), P50 "
        f"${h['china_gross_revenue_p50'] / 1e9:.2f}B",
        f"Probability of no China revenue: {h['p_no_china_revenue']:.1%}",
    ]
    after = f" after {sim.as_of}" if sim.as_of else ""
    by_product = ", ".join(
        f"{pid} {p:.1%}" for pid, p in h["p_no_china_revenue_after_facts_by_product"].items()
    )
    if sim.as_of:
        lines.append(
            f"Probability of no China revenue{after}: {h['p_no_china_revenue_after_facts']:.1%}"
        )
    lines.append(f"Probability of no China revenue{after}, by product: {by_product}")
    return lines


def regression_table(reg: Regression, output: str, measure: str, product: str) -> Table:
    from rich.table import Table

    from ..risk.sensitivity import describe_output

    what = describe_output(output, measure, product)
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


def _check_run(args: argparse.Namespace, loaded: Loaded, products: list[str]) -> None:
    """Every bad run option at once, before the progress bar starts."""
    from ..risk.simulate import check_run, product_selection

    problems = []
    for check in (
        lambda: check_run(args.paths, args.chunk, args.seed),
        lambda: product_selection(loaded.assumptions, products or None),
    ):
        try:
            check()
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)


def _warn(spec: RiskSpec) -> None:
    for w in spec.warnings:
        print(f"warning: {w}", file=sys.stderr)


def _run(args: argparse.Namespace, loaded: Loaded, spec: RiskSpec, products: list[str]) -> Any:
    """The Monte Carlo with a progress bar on standard error."""
    from tqdm import tqdm

    from ..risk.dask_runner import dask_chunks
    from ..risk.simulate import local_chunks, simulate

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

        return simulate(
            loaded.assumptions,
            spec,
            args.paths,
            args.seed,
            chunk=args.chunk,
            products=products or None,
            progress=progress,
            map_chunks=local_chunks if args.dask is None else dask_chunks(args.dask),
            base_name=loaded.name,
        )


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..fileio import json_text, write_output
    from ..risk.schema import load_risk

    inputs = [args.assumptions, args.scenario, args.risk]
    out = out_path(args.json, "--json", inputs) if args.json else None
    loaded = _load(args)
    spec = load_risk(args.risk, loaded.assumptions)
    _check_run(args, loaded, args.product)
    _warn(spec)
    sim = _run(args, loaded, spec, args.product)
    con = console(args.width, stderr=out is not None and out.is_stdout)
    con.print(
        f"Monte Carlo: {sim.n_paths:,} paths, seed {sim.seed}, risk file "
        f"'{spec.name}' on '{loaded.name}' (products: {', '.join(sim.product_ids)})"
    )
    con.print(percentile_table(sim, "total", "Totals over the horizon, $ billions"))
    con.print(percentile_table(sim, "npv", "NPV, $ billions"))
    con.print(shipment_table(sim))
    for line in headline_lines(sim):
        con.print(line, highlight=False)
    if out is not None:
        write_output(out, json_text(sim.to_dict()))
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _run_options(p: argparse.ArgumentParser, what: str) -> None:
    from ..risk.simulate import DEFAULT_CHUNK

    p.add_argument(
        "--paths", type=int, default=10_000, help=f"{what}: number of paths (default 10000)"
    )
    p.add_argument("--seed", type=int, default=0, help=f"{what}: random seed (default 0)")
    p.add_argument(
        "--chunk",
        type=int,
        default=DEFAULT_CHUNK,
        help=f"paths per chunk (default {DEFAULT_CHUNK}); results do not depend on it",
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
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def declare_simulate(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--risk", required=True, help="risk YAML (e.g. assumptions/risk.yaml)")
    _run_options(p, "Monte Carlo")
    p.add_argument(
        "--product", action="append", default=[], help="only these products (repeat); default all"
    )
    p.add_argument("--json", help="write every statistic to this JSON file (atomically)")


# ---------------------------------------------------------------- tornado


def tornado_table(result: Tornado) -> Table:
    from rich.table import Table

    from ..risk.sensitivity import describe_output

    t = Table(
        title=f"Tornado: {describe_output(result.output, result.measure, result.product)}, "
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
    return t


def _check_tornado(args: argparse.Namespace, loaded: Loaded) -> list[str]:
    """The products of the regression's Monte Carlo; refuses bad options all at once."""
    from ..analysis import ALL

    products = [] if args.product == ALL else [args.product]
    if not args.regression:
        return products
    if not args.risk:
        raise InputError([Problem("--regression", "", "needs a risk file to draw from (--risk)")])
    _check_run(args, loaded, products)
    return products


def cmd_tornado(args: argparse.Namespace) -> int:
    from ..fileio import json_text, write_output
    from ..risk.schema import load_risk
    from ..risk.sensitivity import parse_range, regression_sensitivity, tornado

    inputs = [args.assumptions, args.scenario, args.risk]
    out = out_path(args.json, "--json", inputs) if args.json else None
    loaded = _load(args)
    a = loaded.assumptions
    spec = load_risk(args.risk, a) if args.risk else None
    products = _check_tornado(args, loaded)
    ranges = dict(parse_range(r) for r in args.range)
    params = list(dict.fromkeys([*args.param, *ranges])) if args.param else None
    result = tornado(a, args.output, args.measure, args.product, params, ranges, spec)
    reg = None
    if args.regression and spec is not None:
        _warn(spec)
        sim = _run(args, loaded, spec, products)
        reg = regression_sensitivity(sim, args.output, args.measure)
    con = console(args.width, stderr=out is not None and out.is_stdout)
    con.print(tornado_table(result))
    if reg is not None:
        con.print(regression_table(reg, args.output, args.measure, args.product))
    if out is not None:
        data = result.to_dict() | ({"regression": reg.to_dict()} if reg is not None else {})
        write_output(out, json_text(data))
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
    p.add_argument(
        "--regression",
        action="store_true",
        help="also rank the risk file's inputs by a regression on a Monte Carlo of it "
        "(needs --risk; statsmodels)",
    )
    _run_options(p, "--regression")
    p.add_argument("--json", help="write the bars (and the regression) to this JSON file")


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

    from ..fileio import distinct_outputs, json_text, write_output
    from ..risk.forecast import (
        chart_frame,
        default_quarters,
        fit_forecast,
        load_history,
        projected_revenue,
    )

    inputs = [args.assumptions, args.scenario, args.history]
    outs = {
        k: out_path(v, f"--{k}", inputs) for k, v in (("json", args.json), ("csv", args.csv)) if v
    }
    distinct_outputs(*outs.values())
    _check_forecast(args)
    loaded = _load(args)
    history = load_history(args.history)
    projected = projected_revenue(loaded.assumptions, args.vendor)
    quarters = args.quarters or default_quarters(history, projected)
    fc = fit_forecast(history, quarters, args.level)
    frame = chart_frame(fc, projected)
    con = console(args.width, stderr=any(o.is_stdout for o in outs.values()))
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
        write_output(outs["json"], json_text(data))
    if "csv" in outs:
        write_output(outs["csv"], frame.to_csv(index=False, float_format="%.6g"))
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
        "chart data, first-shipment distribution, chances of no China revenue",
    )
    add_command(
        sub,
        "tornado",
        cmd_tornado,
        declare_tornado,
        help="one-at-a-time sensitivity of an output; --regression: a regression on "
        "a Monte Carlo as well",
    )
    add_command(
        sub,
        "forecast",
        cmd_forecast,
        declare_forecast,
        help="ETS forecast of the vendor's China revenue by "
        "fiscal quarter, with the scenario's projection on top",
    )
