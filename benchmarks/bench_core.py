"""Core speed: one projection of the base, and 10,000 variants vectorised vs one by one.

Prints figures and ratios; asserts nothing (speed is measured, not tested).
Run: ``python3 dev.py bench`` or ``python benchmarks/bench_core.py``.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from model import equations as eq
from model import load, recurrence
from model.analysis import party_totals
from model.engine import Inputs, project, project_totals, recurrence_args
from model.outputs import long_frame
from model.shipped import BASE

VARIANTS = 10_000
PATHS = 100_000


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def variants(base: Inputs, n: int, seed: int = 1) -> Inputs:
    """n what-ifs: approval months, levy rate, erosion and prices all varied."""
    rng = np.random.default_rng(seed)
    x = base.repeat(n)
    products = len(base.product_ids)

    def month(high: int) -> np.ndarray:  # one draw per variant, shared by its products
        return np.repeat(rng.integers(0, high, (n, 1)).astype(float), products, axis=1)

    return replace(
        x,
        us_approval=month(24),
        china_approval=month(30),
        share_rate=rng.choice([0.15, 0.25], n),
        rate=np.where(x.rate == 0.25, rng.choice([0.15, 0.25], n)[:, None], x.rate),
        erosion=rng.uniform(0, 0.05, n),
        asp=x.asp * rng.uniform(0.8, 1.2, (n, 1)),
    )


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def single_projection() -> None:
    """One what-if: the recurrence interpreted (a fresh command) and compiled (the app)."""
    base = Inputs.from_assumptions([load(BASE).assumptions])
    os.environ[recurrence.COMPILE_ENV] = "0"
    interp_ms = median_ms(lambda: project(base), 200)
    os.environ[recurrence.COMPILE_ENV] = "1"
    compiled_ms = median_ms(lambda: project(base), 200)
    frames_ms = median_ms(
        lambda: (lambda p: (long_frame(p), party_totals(p, ["base"])))(project(base)), 50
    )
    del os.environ[recurrence.COMPILE_ENV]
    print(f"base projection, recurrence interpreted: {interp_ms:8.3f} ms")
    print(f"base projection, recurrence compiled:    {compiled_ms:8.3f} ms (goal <= 2 ms)")
    print(f"base projection + tidy DataFrames:       {frames_ms:8.3f} ms (goal <= 20 ms)")


def engine_versus_kernel(paths: int = PATHS) -> None:
    """The whole engine (the dates and multiplier, the compiled kernel, the arrays handed
    out) against the compiled kernel alone on the same inputs: how close the engine is to
    its kernel, writing every series (:func:`project`) and in totals mode as the Monte
    Carlo runs it (:func:`project_totals`, every product, 4 parties kept month by month)."""
    base = Inputs.from_assumptions([load(BASE).assumptions])
    x = variants(base, paths)
    project(x.take(slice(0, 10)))  # load the compiled kernel first
    args = recurrence_args(x)
    products = range(len(base.product_ids))
    fan = [0, 2, 3, len(recurrence.MONEY)]
    sums = {
        "products": products,
        "bom": x.bom,
        "bom_total": x.bom.sum(axis=-1),
        "discount": eq.discount_factors(x.discount_rate, x.months),
        "facts": -1,
        "fan_columns": fan,
        "keep": paths,
    }
    runs = {
        "series": (
            lambda: project(x),
            lambda: recurrence.run(x.months, *args, compile_kernel=True),
        ),
        "totals": (
            lambda: project_totals(x, products, -1, fan, paths),
            lambda: recurrence.run_totals(*args, **sums, compile_kernel=True),
        ),
    }
    cells = paths * len(base.product_ids) * base.months
    for mode, (engine, kernel) in runs.items():
        kernel_s = min(timed(kernel) for _ in range(3))
        engine_s = min(timed(engine) for _ in range(3))
        print(
            f"{paths:,} paths x {len(base.product_ids)} products x {base.months} months, "
            f"{mode} mode: engine {engine_s:.3f} s, compiled kernel alone {kernel_s:.3f} s, "
            f"ratio {engine_s / kernel_s:.2f}x (goal <= 2x); {cells / engine_s / 1e6:.0f} M cells/s"
        )


def main() -> None:
    single_projection()
    base = Inputs.from_assumptions([load(BASE).assumptions])
    x = variants(base, VARIANTS)
    first_s = timed(lambda: project(x))  # the first call loads the kernel compiled for these arrays
    t0 = time.perf_counter()
    together = project(x)
    vec_s = time.perf_counter() - t0
    print(f"{VARIANTS:,} variants, first call (kernel load): {first_s:8.3f} s")
    t0 = time.perf_counter()
    gross = [project(x.take(slice(i, i + 1))).money.gross.sum() for i in range(VARIANTS)]
    loop_s = time.perf_counter() - t0
    assert np.allclose(gross, together.money.gross.sum(axis=(1, 2)), rtol=1e-12)
    h, p = base.months, len(base.product_ids)
    print(
        f"{VARIANTS:,} variants, one vectorised call: {vec_s:8.3f} s  (goal <= 1 s); "
        f"{VARIANTS * h * p / vec_s / 1e6:.1f} M product-months/s"
    )
    print(f"{VARIANTS:,} variants, Python loop:         {loop_s:8.3f} s")
    print(f"ratio loop / vectorised:                 {loop_s / vec_s:8.1f} x")
    engine_versus_kernel()


if __name__ == "__main__":
    main()
