"""Workbook speed: export of the base with every shipped scenario, its recalculation in
headless LibreOffice, and the Python projection of the same scenarios.

Prints figures and ratios; asserts nothing. Goal: export ≤ 2 s.
Run: ``python3 dev.py bench`` or ``python benchmarks/bench_workbook.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from model import project
from model.loader import load_many
from model.shipped import BASE, scenarios
from reports.export import with_scenario_sources
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


if __name__ == "__main__":
    main()
