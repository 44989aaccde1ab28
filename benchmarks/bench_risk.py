"""Monte Carlo speed: where the time goes, the 100,000-path run and the 1,000,000-path run.

Runs the shipped risk file on the shipped base and prints, for 100,000 paths in one
thread, the processor time of each stage (draws, writing them and China's batch paces
into the engine's arrays, the engine in totals mode: volumes, money and the per-path
reductions in one compiled pass, the statistics, the regression sensitivity) and the
ratio of the last two to the engine's and, for comparison, the engine writing
every monthly series then reduced, as the Monte Carlo ran before the totals mode; then
wall time to results (statistics included), throughput in path-months per second and
peak memory for: a per-path Python loop over the same core (a small sample,
extrapolated: the baseline), the chunked run in one thread and in threads side by side
(the default), the same on a 2-process Dask LocalCluster, and 1,000,000 paths; last, the
``simulate`` command as a whole process (imports included), as a user runs it. Prints
figures; asserts nothing.

Goals (2 cores): the command with 100,000 paths <= 1.5 s, with 1,000,000 paths <= 5 s and
<= 1 GB of peak memory.

Run: ``python benchmarks/bench_risk.py [--skip-dask] [--skip-million] [--chunk N]``.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from model import load, simulate
from model.analysis import party_keys
from model.engine import Inputs, project, project_totals
from model.risk import DEFAULT_CHUNK, ChunkConfig, apply_draws, draws, load_risk
from model.risk.sensitivity import regression_sensitivity
from model.risk.simulate import (
    DEFAULT_FAN,
    FAN_PATHS,
    chunk_ranges,
    local_chunks,
    money_columns,
    reduce_paths,
)
from model.shipped import BASE, RISK

BASELINE_SAMPLE = 300


def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and processor seconds of ``fn`` and its result (on a shared machine the wall
    time includes waiting for a core; the processor time does not)."""
    gc.collect()
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t, time.process_time() - c, out


def peak_traced(fn: Callable[[], Any]) -> float:
    """Peak bytes allocated while ``fn`` runs (numpy reports its buffers to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(peak)


def to_results(sim: Any) -> Any:
    """Everything the command prints and writes: percentiles, bands, shipment tables."""
    sim.summary()
    for party in sim.monthly:
        sim.bands(party)
    sim.first_shipment_distribution()
    for pid in sim.product_ids:
        sim.next_shipment_distribution(pid)
    sim.headline()
    return sim


def baseline_per_path(a: Any, spec: Any, n: int) -> float:
    """Seconds per path when each path is projected alone (no vectorisation)."""
    base = Inputs.from_assumptions([a])
    x = draws(spec, 0, 0, n)
    t = time.perf_counter()
    for i in range(n):
        project(apply_draws(base, spec, x[i : i + 1]))
    return (time.perf_counter() - t) / n


def stage_profile(a: Any, spec: Any, paths: int, chunk: int) -> dict[str, float]:
    """Processor seconds per stage of ``paths`` paths, chunk by chunk as :func:`simulate`
    runs them (in one thread), and of the engine writing its series then reduced."""
    base = Inputs.from_assumptions([a])
    products = tuple(range(len(a.products)))
    config = ChunkConfig(products, DEFAULT_FAN, 9, FAN_PATHS)
    parties = party_keys(base.supplier_ids)
    columns = money_columns(parties, base.supplier_ids)
    fan = [columns[parties.index(key)] for key in DEFAULT_FAN]
    clock = dict.fromkeys(("draws", "write", "engine, totals mode", "series", "reduce"), 0.0)
    for start, stop in chunk_ranges(paths, chunk):
        t0 = time.process_time()
        x = draws(spec, 7, start, stop)
        t1 = time.process_time()
        inputs = apply_draws(base, spec, x)
        t2 = time.process_time()
        project_totals(inputs, products, 9, fan, stop - start)
        t3 = time.process_time()
        proj = project(inputs)  # every monthly series, as before the totals mode
        t4 = time.process_time()
        reduce_paths(proj, config, stop - start)
        t5 = time.process_time()
        laps = (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)
        for key, d in zip(clock, laps, strict=True):
            clock[key] += d
    one = functools.partial(local_chunks, threads=1)
    _, cpu, sim = timed(lambda: simulate(a, spec, paths, 7, chunk=chunk, map_chunks=one))
    clock["statistics"] = timed(lambda: to_results(sim))[1]
    import statsmodels.api  # noqa: F401  (imported before the clock starts, as in a session)

    clock["regression sensitivity"] = timed(lambda: regression_sensitivity(sim))[1]
    clock["simulate (all but statistics)"] = cpu
    return clock


def row(
    label: str,
    paths: int,
    months: int,
    seconds: float,
    peak: float | None,
    base_s: float | None = None,
    cpu_time: float | None = None,
) -> str:
    rate = paths * months / seconds
    mem = f"{peak / 2**20:8.0f} MiB" if peak is not None else " " * 12
    ratio = f"{base_s * paths / seconds:8.0f}x" if base_s else " " * 9
    cpu = f"{cpu_time:7.2f} s" if cpu_time is not None else " " * 9
    return f"{label:<38} {paths:>10,} {seconds:9.2f} s {cpu} {rate:14,.0f} {mem} {ratio}"


def print_profile(a: Any, spec: Any, chunk: int) -> None:
    clock = stage_profile(a, spec, 100_000, chunk)
    series, reduce = clock.pop("series"), clock.pop("reduce")
    print("\nwhere the time goes, 100,000 paths, one thread (processor seconds):")
    for key, secs in clock.items():
        print(f"  {key:<32} {secs:7.3f}")
    engine = clock["engine, totals mode"]
    print(
        f"  statistics / engine {clock['statistics'] / engine:.2f}, regression sensitivity / "
        f"engine {clock['regression sensitivity'] / engine:.2f} (goal: not slower, <= 1)"
    )
    print("the engine before its totals mode (every series written, then reduced):")
    print(f"  {'engine, series mode':<32} {series:7.3f}")
    print(f"  {'reductions from the series':<32} {reduce:7.3f}")


def whole_process(paths: int) -> tuple[float, float | None]:
    """Wall seconds and peak resident memory (bytes; None without GNU time) of the
    ``simulate`` command. The peak is GNU time's: a child forked from this process would
    report this process's own peak."""
    cmd = [
        sys.executable, "-m", "model", "simulate", str(BASE), "--risk", str(RISK),
        "--paths", str(paths), "--seed", "7", "--quiet",
    ]  # fmt: skip
    timer = Path("/usr/bin/time")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "time.txt"
        if timer.exists():
            cmd = [str(timer), "-f", "%M", "-o", str(report), *cmd]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t
        peak = float(report.read_text().split()[-1]) * 1024 if report.exists() else None
    return wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK)
    args = parser.parse_args()

    a = load(BASE).assumptions
    spec = load_risk(RISK, a)
    h, p = a.horizon.months, len(a.products)
    print(
        f"Monte Carlo benchmark: {h} months x {p} products, {len(spec.marginals)} "
        f"uncertain inputs, chunk {args.chunk:,}, {os.cpu_count()} CPUs"
    )
    simulate(a, spec, 2 * args.chunk, 0, chunk=args.chunk)  # warm-up (compiled engine)
    print_profile(a, spec, args.chunk)

    per_path = baseline_per_path(a, spec, BASELINE_SAMPLE)
    print(
        f"\n{'run':<38} {'paths':>10} {'time':>11} {'cpu':>9} {'path-months/s':>14} "
        f"{'peak':>12} {'vs loop':>9}"
    )
    print(
        row(
            f"per-path loop ({BASELINE_SAMPLE} paths, extrapolated)",
            100_000,
            h,
            per_path * 100_000,
            None,
        )
    )

    def run(n: int, threads: int | None = None) -> Any:
        mapper = functools.partial(local_chunks, threads=threads)
        return to_results(simulate(a, spec, n, 2026, chunk=args.chunk, map_chunks=mapper))

    secs, cpu, _ = timed(lambda: run(100_000, 1))
    peak = peak_traced(lambda: run(100_000, 1))
    print(row("chunked, one thread", 100_000, h, secs, peak, per_path, cpu))
    secs, cpu, _ = timed(lambda: run(100_000))
    print(row("chunked, threads (the default)", 100_000, h, secs, None, per_path, cpu))

    if not args.skip_dask:
        _dask_rows(a, spec, h, per_path, args)

    if not args.skip_million:
        secs, cpu, _ = timed(lambda: run(1_000_000))
        peak = peak_traced(lambda: run(1_000_000))
        print(row("chunked, threads (the default)", 1_000_000, h, secs, peak, per_path, cpu))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak resident memory: {rss:,.0f} MiB (whole benchmark, imports included)")
    print(f"path-product-months/s = path-months/s x {p} products")
    print("\nthe simulate command, whole process (imports included), best of 3:")
    for n in (100_000,) if args.skip_million else (100_000, 1_000_000):
        runs = [whole_process(n) for _ in range(3)]
        wall = min(w for w, _ in runs)
        peaks = [m for _, m in runs if m is not None]
        memory = f"{max(peaks) / 2**20:8.0f} MiB peak resident" if peaks else ""
        print(f"  {n:>10,} paths {wall:7.2f} s {memory}")
    print(
        "goals (2 cores): the command with 100,000 paths <= 1.5 s; with 1,000,000 paths <= 5 s "
        "and <= 1 GB"
    )


def _dask_rows(a: Any, spec: Any, h: int, per_path: float, args: argparse.Namespace) -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("dask: not installed (pip install 'chip-export-impact[dask]')")
        return
    from model.risk.dask_runner import LOCAL, client_for, dask_chunks

    t = time.perf_counter()
    with client_for(LOCAL) as client:
        start = time.perf_counter() - t
        chunk = args.chunk
        on_dask = dask_chunks(client)
        simulate(a, spec, 2 * chunk, 0, chunk=chunk, map_chunks=on_dask)  # warm the workers

        def on_cluster(n: int) -> Any:
            return to_results(simulate(a, spec, n, 2026, chunk=chunk, map_chunks=on_dask))

        for n in (100_000,) if args.skip_million else (100_000, 1_000_000):
            secs, _, sim = timed(functools.partial(on_cluster, n))
            local = simulate(a, spec, min(n, 20_000), 2026, chunk=args.chunk)
            same = np.array_equal(local.totals, sim.totals[: len(local.totals)])
            print(
                row(f"Dask, 2 workers (chunk {chunk:,})", n, h, secs, None, per_path)
                + ("" if same else "  RESULTS DIFFER")
            )
    print(f"{'':<38} (cluster start-up {start:.1f} s, not included)")


if __name__ == "__main__":
    main()
