"""Core speed: one projection of the base, and 10,000 variants vectorised vs one by one.

Prints figures and ratios; asserts nothing (speed is measured, not tested).
Run: ``python3 dev.py bench`` or ``python benchmarks/bench_core.py``.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import numpy as np

from model import load
from model.analysis import party_totals
from model.engine import Inputs, project
from model.outputs import long_frame
from model.shipped import BASE

VARIANTS = 10_000


def median_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
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


def main() -> None:
    base = Inputs.from_assumptions([load(BASE).assumptions])
    arrays_ms = median_ms(lambda: project(base), 200)
    frames_ms = median_ms(
        lambda: (lambda p: (long_frame(p), party_totals(p, ["base"])))(project(base)), 50
    )
    x = variants(base, VARIANTS)
    t0 = time.perf_counter()
    together = project(x)
    vec_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    gross = [project(x.take(slice(i, i + 1))).money.gross.sum() for i in range(VARIANTS)]
    loop_s = time.perf_counter() - t0
    assert np.allclose(gross, together.money.gross.sum(axis=(1, 2)), rtol=1e-12)
    h, p = base.months, len(base.product_ids)
    print(f"base projection, arrays:                 {arrays_ms:8.3f} ms (goal <= 2 ms)")
    print(f"base projection + tidy DataFrames:       {frames_ms:8.3f} ms (goal <= 20 ms)")
    print(
        f"{VARIANTS:,} variants, one vectorised call: {vec_s:8.3f} s  (goal <= 1 s); "
        f"{VARIANTS * h * p / vec_s / 1e6:.1f} M product-months/s"
    )
    print(f"{VARIANTS:,} variants, Python loop:         {loop_s:8.3f} s")
    print(f"ratio loop / vectorised:                 {loop_s / vec_s:8.1f} x")


if __name__ == "__main__":
    main()
