"""Commands ``export`` and ``import-xlsx``: the finance workbook, out and back in.

Both validate the output path before doing any work, write atomically (an existing
file is untouched on failure) and report bad input as :class:`~model.gate.InputError`
(exit 2). The workbook code (:mod:`reports`) is imported inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..gate import InputError, Problem
from .common import EXIT_OK, Commands, add_command, given_probabilities, out_path, unique_names

if TYPE_CHECKING:
    from ..fileio import Output
    from ..loader import Loaded, Scenario


def out_file(
    value: str, option: str, suffixes: tuple[str, ...], inputs: Sequence[str | None] = ()
) -> Output:
    """The output, refused before any work when its suffix or folder is wrong, or when it
    is one of the command's ``inputs``."""
    if Path(value).suffix.lower() not in suffixes:
        raise InputError([Problem(value, option, f"must end in {' or '.join(suffixes)}")])
    return out_path(value, option, inputs)


def scenarios_for_export(
    base: str, scenario_files: list[str], set_file: str | None
) -> tuple[list[Loaded], dict[str, float] | None]:
    """The scenarios to export: a set's members first, then any ``--scenario`` files.

    Probabilities come from the set, or from the scenario files when every one of
    them gives one (as in ``summary``).
    """
    from ..loader import load, load_many, load_set

    probs: dict[str, float] | None
    if set_file:
        entries = load_set(set_file)
        members: list[str | Path | Scenario] = [sc for sc, _ in entries]
        loaded = load_many(base, [*members, *scenario_files])
        probs = {lo.name: pr for lo, (_, pr) in zip(loaded, entries, strict=False)}
    elif scenario_files:
        loaded = load_many(base, scenario_files)
        probs = given_probabilities(loaded)
    else:
        loaded, probs = [load(base)], None
    unique_names(loaded, "in one workbook")
    return loaded, probs


def cmd_export(args: argparse.Namespace) -> int:
    from model.fileio import write_output
    from reports.export import optional_sheets, scenario_description, with_scenario_sources
    from reports.layout import ExcelLimitError
    from reports.workbook import build_workbook_bytes

    inputs = [args.assumptions, args.set, args.risk, *args.scenario]
    out = out_file(args.xlsx, "--xlsx", (".xlsx",), inputs)
    if not args.risk and (args.paths is not None or args.seed is not None):
        raise InputError([Problem("--paths/--seed", "", "only apply with --risk RISK.yaml")])
    started = time.perf_counter()
    loaded, probs = scenarios_for_export(args.assumptions, args.scenario, args.set)
    if args.risk:  # the Monte Carlo's modules load only when asked for
        from reports.risk_sheet import simulated_risk_sheet
    extra = (
        [
            simulated_risk_sheet(
                loaded[0].assumptions,
                loaded[0].name,
                args.risk,
                10_000 if args.paths is None else args.paths,
                args.seed or 0,
            )
        ]
        if args.risk
        else []
    )
    try:
        data = build_workbook_bytes(
            [with_scenario_sources(lo) for lo in loaded],
            [lo.name for lo in loaded],
            [scenario_description(lo) for lo in loaded],
            probs,
            extra_sheets=extra,
            **optional_sheets(
                args.assumptions, loaded[0].assumptions, args.reconciliation, args.vintages
            ),
        )
    except ExcelLimitError as exc:
        raise InputError([Problem(args.assumptions, "", str(exc))]) from None
    write_output(out, data)
    print(
        f"wrote {out} ({len(loaded)} scenario{'s' if len(loaded) > 1 else ''}, "
        f"{len(data) / 1024:.0f} KiB, {time.perf_counter() - started:.2f} s)",
        file=sys.stderr,
    )
    return EXIT_OK


def declare_export(p: argparse.ArgumentParser) -> None:
    p.add_argument("assumptions", help="assumptions YAML (e.g. assumptions/base.yaml)")
    p.add_argument(
        "--scenario",
        action="append",
        default=[],
        help="scenario YAML; repeat to export several side by side",
    )
    p.add_argument("--set", help="scenario-set YAML: its scenarios, with probabilities")
    p.add_argument("--xlsx", required=True, help="output workbook (written atomically)")
    p.add_argument(
        "--risk",
        help="risk YAML: add a Risk sheet (Monte Carlo of the first scenario, values not formulas)",
    )
    p.add_argument("--paths", type=int, help="Monte Carlo paths (with --risk; default 10000)")
    p.add_argument("--seed", type=int, help="Monte Carlo seed (with --risk; default 0)")
    p.add_argument(
        "--reconciliation",
        action=argparse.BooleanOptionalAction,
        help="Reconciliation sheet: vendors' reported figures against the model (default: "
        "when the shipped reported figures cover a vendor of the products)",
    )
    p.add_argument(
        "--vintages",
        action=argparse.BooleanOptionalAction,
        help="Vintages sheet: the value to each party by the date of the facts (default: "
        "when exporting the shipped base)",
    )


def cmd_import(args: argparse.Namespace) -> int:
    from model.fileio import write_output
    from reports.xlsx_import import assumptions_yaml, import_inputs

    out = out_file(args.yaml, "--yaml", (".yaml", ".yml"), [args.workbook])
    imported = import_inputs(args.workbook, args.scenario)
    for warning in imported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    a = imported.assumptions
    write_output(out, assumptions_yaml(a, Path(args.workbook).name))
    print(f"wrote {out} ({len(a.products)} products)", file=sys.stderr)
    return EXIT_OK


def declare_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("workbook", help="an .xlsx workbook exported by 'export'")
    p.add_argument("--yaml", required=True, help="output assumptions YAML (written atomically)")
    p.add_argument(
        "--scenario",
        help="with several scenarios: the number or name of the "
        "scenario column to read (default: the active scenario)",
    )


def register(sub: Commands) -> None:
    """Add ``export`` and ``import-xlsx`` to the command line."""
    add_command(
        sub,
        "export",
        cmd_export,
        declare_export,
        help="finance workbook (.xlsx): live formulas, cached results",
    )
    add_command(
        sub,
        "import-xlsx",
        cmd_import,
        declare_import,
        help="read a workbook's Inputs sheet back into YAML",
    )
