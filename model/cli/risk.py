"""Commands ``simulate``, ``tornado`` and ``forecast``.

Same rules as every command: invalid input exits with status 2 and a message naming
the file, path, value and rule; output files are checked before any work and
written atomically, so a failed run leaves nothing half-written. Heavy modules
(pandas, statsmodels, scipy, rich, the engine) are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import shipped
from ..gate import InputError, Problem
from . import formats as fmt
from .common import EXIT_OK, WIDTH_HELP, Commands, add_command, console, out_path, source_text, warn
from .tables import Col, lines, show, table_width, wrap_dotted

if TYPE_CHECKING:
    from rich.console import Console

    from ..loader import Loaded
    from ..risk.schema import RiskSpec
    from ..risk.sensitivity import Regression, Tornado
    from ..risk.simulate import Simulation
    from ..schema import Assumptions


def _load(args: argparse.Namespace) -> Loaded:
    """The assumptions (with the scenario), their warnings printed on standard error."""
    from .. import load

    loaded = load(args.assumptions, args.scenario)
    warn([loaded])
    return loaded


# ---------------------------------------------------------------- simulate


def percentile_table(con: Console, sim: Simulation, measure: str, title: str) -> None:
    """Percentiles, mean and its standard error of every party, in $ billions."""
    from ..analysis import MAIN_PARTIES

    keys = [p for p in sim.parties if p in MAIN_PARTIES]
    keys += [p for p in sim.parties if p not in MAIN_PARTIES]
    rows = [sim.summary_row(k, measure) for k in keys]
    stub = Col("party", [str(r["label"]) for r in rows], "left")
    cols = [
        Col(header, [fmt.money(r[key]) for r in rows])
        for header, key in (
            ("P5", "p5"),
            ("P10", "p10"),
            ("P50", "p50"),
            ("P90", "p90"),
            ("P95", "p95"),
            ("mean", "mean"),
            ("± s.e.", "se"),
        )
    ]
    show(con, title, stub, cols)


def _after(sim: Simulation) -> str:
    """`` after Oct 2026`` (the facts' date), or nothing when ``as_of`` is unset."""
    return f" after {fmt.month(sim.as_of)}" if sim.as_of else ""


def by_quarter(months: list[str], probabilities: Any) -> dict[str, float]:
    """Probabilities by month (ascending, then :data:`NO_SHIPMENT`) summed by calendar
    quarter. The months of a quarter follow each other, so each sum is numpy's
    ``add.reduceat`` over its run of months (what pandas' ``groupby().sum()`` does for
    groups in order, to the bit)."""
    import numpy as np

    from ..calendar import calendar_quarter
    from ..risk.simulate import NO_SHIPMENT

    quarters = [m if m == NO_SHIPMENT else calendar_quarter(m) for m in months]
    starts = [i for i, q in enumerate(quarters) if i == 0 or q != quarters[i - 1]]
    sums = np.add.reduceat(np.asarray(probabilities, dtype=float), starts)
    return dict(zip([quarters[i] for i in starts], sums, strict=True))


def shipment_table(con: Console, sim: Simulation, source: str) -> None:
    """Per product, the probability of its first China shipment after the facts
    (``horizon.as_of``; the horizon start when unset) in each calendar quarter."""
    from ..risk.simulate import NO_SHIPMENT

    found = {pid: by_quarter(*sim.next_shipment_probabilities(pid)) for pid in sim.product_ids}
    order = sorted({q for c in found.values() for q in c if q != NO_SHIPMENT})
    rows = [*order, NO_SHIPMENT]
    cols = [Col(pid, [fmt.share(found[pid].get(q, 0.0)) for q in rows]) for pid in sim.product_ids]
    title = f"First China shipment{_after(sim)}, probability by calendar quarter ({source})"
    show(con, title, Col("quarter", rows, "left"), cols)


def headline_lines(sim: Simulation) -> list[str]:
    """The figures the docs quote, one per line, in a stable wording."""
    h = sim.headline()
    lines = [
        f"China gross revenue over the horizon, $ billions: mean "
        f"{fmt.money(h['china_gross_revenue_mean'])} "
        f"(± {fmt.money(h['china_gross_revenue_se'])}), P50 "
        f"{fmt.money(h['china_gross_revenue_p50'])}",
        f"Probability of no China revenue: {fmt.share(h['p_no_china_revenue'])}",
    ]
    after = _after(sim)
    by_product = ", ".join(
        f"{pid} {fmt.share(p)}" for pid, p in h["p_no_china_revenue_after_facts_by_product"].items()
    )
    if sim.as_of:
        lines.append(
            f"Probability of no China revenue{after}: "
            f"{fmt.share(h['p_no_china_revenue_after_facts'])}"
        )
    lines.append(f"Probability of no China revenue{after}, by product: {by_product}")
    return lines


def regression_table(
    con: Console, reg: Regression, output: str, measure: str, product: str, source: str
) -> None:
    from ..risk.sensitivity import describe_output

    what = describe_output(output, measure, product)
    rows = list(reg.table.itertuples())
    title = (
        f"Regression sensitivity of {what} on {source} (standardised OLS coefficients, "
        f"R² = {reg.r_squared:.3f})"
    )
    cols = [
        Col("std. coef.", [fmt.coefficient(r.std_coef) for r in rows]),
        Col("p-value", [fmt.p_value(r.p_value) for r in rows]),
    ]
    show(con, title, _input_stub([str(r.parameter) for r in rows], cols, con.width), cols)


def _input_stub(paths: list[str], cols: list[Col], width: int) -> Col:
    """Dotted input paths, wrapped at their dots to leave the value columns room."""
    from .tables import natural_width

    room = width - table_width([0, *(natural_width(c) for c in cols)])
    wrap = max(room, max((len(p) for part in paths for p in part.split(".")), default=1) + 1)
    return Col("input", [wrap_dotted(p, wrap) for p in paths], "left")


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


def _import_in_background(name: str) -> None:
    """Import module ``name`` in a daemon thread unless it is loaded or on its way.

    The Monte Carlo's chunks spend most of their time in the compiled kernel, which
    leaves the interpreter free: a module needed only after the run (pandas for the
    JSON output, about 0.25 s to import; the printed tables need none) is loaded
    meanwhile. Called once the first chunk is done, so the kernel and everything it
    imports are in place and the two imports never meet.
    """
    if name in sys.modules or name in _BACKGROUND:
        return
    _BACKGROUND.add(name)
    threading.Thread(target=importlib.import_module, args=(name,), daemon=True).start()


#: Modules whose import :func:`_import_in_background` has started.
_BACKGROUND: set[str] = set()


def _run(
    args: argparse.Namespace,
    loaded: Loaded,
    spec: RiskSpec,
    products: list[str],
    *,
    fan: bool = False,
    draws: bool = False,
) -> Any:
    """The Monte Carlo with a progress bar on standard error, keeping what the command
    shows beyond the percentiles: the fan chart's monthly series (``fan``), the draws
    (``draws``, for a regression). Neither changes a number; each takes memory, and
    its writing time, per path (0.15 and 0.1 GB per million paths)."""
    from tqdm import tqdm

    from ..risk.dask_runner import dask_chunks
    from ..risk.simulate import DEFAULT_FAN, local_chunks, simulate

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
            if args.json:
                _import_in_background("pandas")  # for the JSON output, once the kernel runs

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
            fan=DEFAULT_FAN if fan else (),
            keep_draws=draws,
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
    sim = _run(args, loaded, spec, args.product, fan=out is not None)  # JSON has the bands
    con = console(args.width, stderr=out is not None and out.is_stdout)
    source = f"{source_text(loaded)}, risk file {Path(args.risk).name}"
    lines(
        con,
        f"Monte Carlo: {sim.n_paths:,} paths, seed {sim.seed}, risk file "
        f"{Path(args.risk).name} ('{spec.name}') on {source_text(loaded)} "
        f"(products: {', '.join(sim.product_ids)})",
    )
    percentile_table(con, sim, "total", f"Totals over the horizon, $ billions ({source})")
    percentile_table(con, sim, "npv", f"NPV, $ billions ({source})")
    shipment_table(con, sim, source)
    for line in headline_lines(sim):
        lines(con, line)
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


#: Where a tornado's low and high come from, in words.
RANGE_WORDS = {
    "user": "--range",
    "risk file P10/P90": "the risk file's P10 and P90",
    "schema range": "the schema's range",
}


def _spread(path: str, a: Assumptions, spec: RiskSpec | None, origin: str) -> tuple[str, str]:
    """The input's schema quantity and how its low and high apply (value, scale, shift)."""
    from ..risk.schema import resolve

    if spec is not None and origin == "risk file P10/P90" and path in spec.paths:
        m = spec.marginal(path)
        return m.target.info.quantity, m.apply
    target = resolve(path, a)
    return ("number" if isinstance(target, str) else target.info.quantity), "value"


def bound_text(label: str, kind: str, apply: str) -> str:
    """A tornado's low or high (the engine's label) in the format of its quantity:
    ``2.0%`` and ``4.8%`` rather than ``0.02`` and ``0.0477526``."""
    try:
        x = float(label.removeprefix("×"))
    except ValueError:  # a month, never, yes/no, a choice
        return fmt.month(label) if kind == "month" else label
    if apply == "scale":
        return fmt.factor(x)
    return fmt.shift(x, kind) if apply == "shift" else fmt.quantity(x, kind)


def tornado_table(
    con: Console,
    result: Tornado,
    a: Assumptions,
    spec: RiskSpec | None,
    source: str,
) -> None:
    """One line per input, largest swing first; outputs in $ billions."""
    from ..risk.sensitivity import describe_output

    rows = list(result.table.itertuples())
    pairs = [(r, _spread(str(r.parameter), a, spec, str(r.range))) for r in rows]
    cols = [
        Col("low", [bound_text(str(r.low), *sp) for r, sp in pairs], group="input"),
        Col("high", [bound_text(str(r.high), *sp) for r, sp in pairs], group="input"),
        Col("at low", [fmt.money(r.output_low) for r in rows], group="output"),
        Col("at high", [fmt.money(r.output_high) for r in rows], group="output"),
        Col("swing", [fmt.money(r.swing) for r in rows], group="output"),
    ]
    origins = list(dict.fromkeys(str(r.range) for r in rows))
    if len(origins) > 1:
        cols.append(
            Col(
                "low/high from", [RANGE_WORDS.get(str(r.range), str(r.range)) for r in rows], "left"
            )
        )
    title = (
        f"Tornado: {describe_output(result.output, result.measure, result.product)} on "
        f"{source}, $ billions ({fmt.money(result.base)} at the file's own values)"
    )
    caption = (
        f"Low and high of every input: {RANGE_WORDS.get(origins[0], origins[0])}."
        if len(origins) == 1
        else None
    )
    stub = _input_stub([str(r.parameter) for r in rows], cols, con.width)
    show(con, title, stub, cols, caption)


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
        sim = _run(args, loaded, spec, products, draws=True)
        reg = regression_sensitivity(sim, args.output, args.measure)
    con = console(args.width, stderr=out is not None and out.is_stdout)
    source = source_text(loaded)
    tornado_table(con, result, a, spec, source)
    if reg is not None:
        regression_table(con, reg, args.output, args.measure, args.product, source)
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
    """A figure already in $ billions, two decimals; blank where the quarter has none."""
    import pandas as pd

    return "" if pd.isna(v) else fmt.money(float(v) * 1e9) + ("*" if star else "")


def forecast_table(con: Console, fc: Any, frame: Any, vendor: str, source: str) -> None:
    """History, forecast with its interval, and the projection, per fiscal quarter."""
    rows = list(frame.itertuples())
    cols = [
        Col("actual", [_cell(r.actual, r.verified is False) for r in rows]),
        Col("forecast", [_cell(r.forecast) for r in rows]),
        Col("lower", [_cell(r.lower) for r in rows]),
        Col("upper", [_cell(r.upper) for r in rows]),
        Col("projected", [_cell(r.projected_usd_billions) for r in rows]),
    ]
    title = (
        f"{vendor} China revenue by fiscal quarter, $ billions: model {fc.model} (lowest "
        f"AICc), {fmt.share(fc.level)} prediction intervals; projection of {source} on top"
    )
    stub = Col("quarter", [str(r.fiscal_quarter) for r in rows], "left")
    caption = "* unverified quarter (conflicting reports; see the history file's note)"
    show(con, title, stub, cols, caption)
    d = fc.diagnostics
    lines(
        con,
        f"Residual checks: Ljung-Box p = {fmt.p_value(d.get('ljung_box_4_p', math.nan))} "
        f"(lag 4), {fmt.p_value(d.get('ljung_box_8_p', math.nan))} (lag 8); Jarque-Bera "
        f"p = {fmt.p_value(d['jarque_bera_p'])}",
    )


def cmd_forecast(args: argparse.Namespace) -> int:
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
    forecast_table(con, fc, frame, args.vendor, source_text(loaded))
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
    p.add_argument("--width", type=int, default=None, help=WIDTH_HELP)


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
