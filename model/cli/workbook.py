"""Sub-commands ``export`` and ``import-xlsx`` of ``python -m model``.

Both validate the output path before doing any work, write atomically (an existing
file is untouched on failure) and report bad input as :class:`InputError` (exit 2).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from model.cli import EXIT_OK, _out_path
from model.fileio import atomic_write_bytes, atomic_write_text
from model.loader import InputError, Loaded, Problem, Scenario, load, load_many, load_set
from model.schema import Assumptions

from .layout import ExcelLimitError
from .risk_sheet import simulated_risk_sheet
from .workbook import build_workbook_bytes
from .xlsx_import import assumptions_yaml, read_inputs


def _out_file(value: str, option: str, suffixes: tuple[str, ...]) -> Path:
    """The output path, refused before any work when its suffix or folder is wrong."""
    if Path(value).suffix.lower() not in suffixes:
        raise InputError([Problem(value, option, f"must end in {' or '.join(suffixes)}")])
    return _out_path(value, option)


def with_scenario_sources(lo: Loaded) -> Assumptions:
    """The scenario's own sources override the base's for the values it changes."""
    a = lo.assumptions
    if lo.scenario is None or not lo.scenario.sources:
        return a
    return a.model_copy(update={"sources": {**a.sources, **lo.scenario.sources}})


def _description(lo: Loaded) -> str:
    if lo.scenario is not None:
        return lo.scenario.description
    return f"The assumptions as given in {Path(lo.base_file).name}."


def scenarios_for_export(
    base: str, scenario_files: list[str], set_file: str | None
) -> tuple[list[Loaded], dict[str, float] | None]:
    """The scenarios to export: a set's members first, then any ``--scenario`` files.

    Probabilities come from the set, or from the scenario files when every one of
    them gives one (as in ``summary``).
    """
    probs: dict[str, float] | None
    if set_file:
        entries = load_set(set_file)
        members: list[str | Path | Scenario] = [sc for sc, _ in entries]
        loaded = load_many(base, [*members, *scenario_files])
        probs = {lo.name: pr for lo, (_, pr) in zip(loaded, entries, strict=False)}
    elif scenario_files:
        loaded = load_many(base, scenario_files)
        given = [lo.scenario.probability if lo.scenario else None for lo in loaded]
        if any(p is None for p in given) and any(p is not None for p in given):
            raise InputError(
                [
                    Problem(
                        lo.scenario.file,
                        "probability",
                        "is missing while other scenarios given have one (give all or none)",
                    )
                    for lo, p in zip(loaded, given, strict=True)
                    if p is None and lo.scenario
                ]
            )
        probs = {
            lo.name: float(p) for lo, p in zip(loaded, given, strict=True) if p is not None
        } or None
    else:
        loaded, probs = [load(base)], None
    names = [lo.name for lo in loaded]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            [
                Problem(
                    lo.scenario.file if lo.scenario else lo.base_file,
                    "name",
                    "scenario names must be unique in one workbook",
                    lo.name,
                    True,
                )
                for lo in loaded
                if lo.name in repeated
            ]
        )
    return loaded, probs


def cmd_export(args: argparse.Namespace) -> int:
    out = _out_file(args.xlsx, "--xlsx", (".xlsx",))
    if not args.risk and (args.paths is not None or args.seed is not None):
        raise InputError([Problem("--paths/--seed", "", "only apply with --risk RISK.yaml")])
    started = time.perf_counter()
    loaded, probs = scenarios_for_export(args.assumptions, args.scenario, args.set)
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
            [_description(lo) for lo in loaded],
            probs,
            extra_sheets=extra,
        )
    except ExcelLimitError as exc:
        raise InputError([Problem(args.assumptions, "", str(exc))]) from None
    atomic_write_bytes(out, data)
    print(
        f"wrote {out} ({len(loaded)} scenario{'s' if len(loaded) > 1 else ''}, "
        f"{len(data) / 1024:.0f} KiB, {time.perf_counter() - started:.2f} s)",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    out = _out_file(args.yaml, "--yaml", (".yaml", ".yml"))
    a = read_inputs(args.workbook, args.scenario)
    atomic_write_text(out, assumptions_yaml(a, Path(args.workbook).name))
    print(f"wrote {out} ({len(a.products)} products)", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add ``export`` and ``import-xlsx`` to the ``python -m model`` sub-commands."""
    p = sub.add_parser("export", help="finance workbook (.xlsx): live formulas, cached results")
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
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import-xlsx", help="read a workbook's Inputs sheet back into YAML")
    p.add_argument("workbook", help="an .xlsx workbook exported by 'export'")
    p.add_argument("--yaml", required=True, help="output assumptions YAML (written atomically)")
    p.add_argument(
        "--scenario",
        help="with several scenarios: the number or name of the "
        "scenario column to read (default: the active scenario)",
    )
    p.set_defaults(func=cmd_import)
