"""How cost grows with the number of products: ``validate`` and ``project`` as whole
processes on assumption files of 10, 100, 1,000 and 10,000 products × 36 months
(for example one product per customer and chip).

Prints wall time (best of ``--repeat`` runs: the machine may be shared), the largest
peak memory of the commands run at that size, and the ratio of ``project`` to the
previous size; asserts nothing.
Run: ``python benchmarks/bench_scale.py [--sizes 10 100 1000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from model.gate import read_yaml
from model.shipped import BASE

SIZES = (10, 100, 1000, 10_000)


def many_products(n: int) -> dict:
    """The shipped base with its products repeated (ids made unique) to ``n`` products."""
    raw = read_yaml(BASE)
    raw.pop("sources", None)
    products = raw["products"]
    out = []
    for i in range(n):
        p = copy.deepcopy(products[i % len(products)])
        p["id"] = f"{p['id']}_{i}"
        out.append(p)
    raw["products"] = out
    return raw


def run(cmd: list[str], repeat: int = 1) -> tuple[float, float]:
    """Best wall seconds of ``repeat`` runs of a child process, and its largest peak
    resident memory (MiB), measured for that child alone."""
    walls, peaks = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - t0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, cmd)
        peaks.append(usage.ru_maxrss / 1024)  # kilobytes on Linux
    return min(walls), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per command (best kept)")
    parser.add_argument(
        "--roll-up", action="store_true", help="also time project --period fiscal_year"
    )
    args = parser.parse_args()
    sizes, repeat = args.sizes, args.repeat
    py = sys.executable
    extra = f" {'fiscal-year s':>13}" if args.roll_up else ""
    print(
        f"{'products':>9} {'validate s':>11} {'project s':>10}{extra} {'peak MiB':>9} {'x prev':>7}"
    )
    prev = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"p{n}.yaml"
            path.write_text(yaml.safe_dump(many_products(n), sort_keys=False))
            project = [py, "-m", "model", "project", str(path), "--csv", str(Path(tmp) / "o.csv")]
            v_s, v_peak = run([py, "-m", "model", "validate", str(path)], repeat)
            p_s, p_peak = run(project, repeat)
            peak = max(v_peak, p_peak)
            cells = ""
            if args.roll_up:
                r_s, r_peak = run([*project, "--period", "fiscal_year"], repeat)
                cells, peak = f" {r_s:>13.2f}", max(peak, r_peak)
            ratio = f"{p_s / prev:6.1f}x" if prev else "      -"
            print(f"{n:>9,} {v_s:>11.2f} {p_s:>10.2f}{cells} {peak:>9.0f} {ratio}")
            prev = p_s
    print("goals: 1,000 products validate <= 1 s, project <= 3 s; 10,000 <= 10x that; <= 1 GB")


if __name__ == "__main__":
    main()
