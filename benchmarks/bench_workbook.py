"""Workbook speed: export of the base with every shipped scenario, the optional sheets
(Reconciliation, Vintages), the command line end to end, the recalculation in headless
LibreOffice, and the Python projection of the same scenarios.

Prints figures and ratios; asserts nothing. Goal: export ≤ 2 s, the command
``python -m model export assumptions/base.yaml --set assumptions/sets/expected_value.yaml``
included (interpreter start, imports and the optional sheets).
Run: ``python3 dev.py bench`` or ``python benchmarks/bench_workbook.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from model import project
from model.loader import load_many
from model.schema import Assumptions
from model.shipped import BASE, EXPECTED_VALUE_SET, scenarios
from reports.export import optional_sheets, with_scenario_sources
from reports.recalc import recalculate, strip_cached
from reports.workbook import build_workbook_bytes

SCENARIOS = scenarios()


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    def load_all() -> list:
        return load_many(BASE, SCENARIOS)

    loaded = load_all()
    variants = [with_scenario_sources(lo) for lo in loaded]
    names = [lo.name for lo in loaded]
    descriptions = [lo.scenario.description if lo.scenario else "" for lo in loaded]

    def export() -> bytes:
        return build_workbook_bytes(
            [with_scenario_sources(lo) for lo in load_all()], names, descriptions
        )

    data = export()
    t_load, _ = best_of(args.repeat, load_all)
    t_export, t_export_med = best_of(args.repeat, export)
    t_project, _ = best_of(args.repeat * 4, lambda: project(variants))
    print(
        f"scenarios: {len(variants)} on the base, {variants[0].horizon.months} months, "
        f"{len(variants[0].products)} products; workbook {len(data) / 1024:.0f} KiB"
    )
    print(
        f"export (load YAML + core + write xlsx): best {t_export:.3f} s, median "
        f"{t_export_med:.3f} s (goal ≤ 2 s); of which loading YAML {t_load:.3f} s"
    )
    print(f"Python projection of the same scenarios: {t_project * 1e3:.2f} ms")
    optional(args.repeat, variants[0])
    command_line(min(args.repeat, 3))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    t_recalc = float("nan")
    if soffice:
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "scenarios.xlsx"
            src.write_bytes(strip_cached(data))  # no cached values: LibreOffice must compute
            recalculate(soffice, [src], Path(tmp) / "warm", workers=1)
            t0 = time.perf_counter()
            recalculate(soffice, [src], Path(tmp) / "out", workers=1)
            t_recalc = time.perf_counter() - t0
        print(f"LibreOffice recalculation (start, load, recalc, save): {t_recalc:.2f} s")
    else:
        print("LibreOffice recalculation: skipped (soffice not installed)")
    print(
        f"ratios: export / projection = {t_export / t_project:,.0f}x; "
        f"recalculation / projection = {t_recalc / t_project:,.0f}x; "
        f"recalculation / export = {t_recalc / t_export:.1f}x"
    )


def optional(repeat: int, base: Assumptions) -> None:
    """The Reconciliation and Vintages sheets: their data, and the base export with them."""
    extras = optional_sheets(BASE, base)
    t_data, _ = best_of(repeat, lambda: optional_sheets(BASE, base))
    t_plain, _ = best_of(repeat, lambda: build_workbook_bytes([base], ["base"], [""]))
    reported, vintages = extras["reported"], extras["vintages"]
    t_full, _ = best_of(
        repeat,
        lambda: build_workbook_bytes([base], ["base"], [""], reported=reported, vintages=vintages),
    )
    print(
        f"base alone: export {t_plain:.3f} s; with Reconciliation and Vintages {t_full:.3f} s, "
        f"plus {t_data:.3f} s to read the reported figures and value the vintages"
    )


#: The command of the speed goal, and the same without the optional sheets.
COMMAND = ["-m", "model", "export", str(BASE), "--set", str(EXPECTED_VALUE_SET)]
WITHOUT_OPTIONAL = ["--no-reconciliation", "--no-vintages"]


def _runner(cmd: list[str]) -> Callable[[], object]:
    """Run ``cmd`` to the end, its output captured."""
    return lambda: subprocess.run(cmd, check=True, capture_output=True)


def command_line(repeat: int) -> None:
    """``python -m model export`` of the base with the shipped set, end to end."""
    with tempfile.TemporaryDirectory() as tmp:
        for extra in ([], WITHOUT_OPTIONAL):
            cmd = [sys.executable, *COMMAND, "--xlsx", str(Path(tmp) / "set.xlsx"), *extra]
            best, median = best_of(repeat, _runner(cmd))
            options = " ".join(extra) or "(optional sheets included)"
            print(
                f"command line, base with the shipped set {options}: best {best:.2f} s, "
                f"median {median:.2f} s (interpreter, imports, load, core, write)"
            )


if __name__ == "__main__":
    main()
