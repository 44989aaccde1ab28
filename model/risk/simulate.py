"""Monte Carlo over uncertain assumptions, through the same calculation core.

The base assumptions are stacked once into :class:`~model.engine.Inputs`; each chunk
of paths repeats them, writes its draws into the arrays and runs the engine in totals
mode (:func:`model.engine.project_totals`): the kernel reduces each path as it goes to
the parties' totals and NPV, the shipment months and the fan chart's monthly sums,
without writing the monthly series. Chunks run side by side in threads (or on Dask)
and are discarded once collected, so memory stays bounded however many paths are run.

Reproducibility: draws come in fixed blocks of :data:`BLOCK` paths, block ``k``
seeded by ``SeedSequence(seed).spawn(k + 1)[k]``. A path's draws therefore depend
only on the seed and its index, never on the chunk size or on which worker or thread
ran it, and every statistic is computed once over the assembled per-path arrays: the
same seed gives bit-identical results locally, in any chunking, and on Dask. The
totals mode sums in numpy's order, so its numbers are those taken from the monthly
series (:func:`reduce_paths`) to the last bit.

Memory: the kept arrays take about 0.2 GB per million paths (totals and NPV of every
party, the shipment months), 0.1 GB more with the draws, plus the fan chart's monthly
series, which are kept for the first :data:`FAN_PATHS` paths only (4 bytes per
path-month and party). A caller keeps only what it shows (:func:`simulate`'s ``fan`` and
``keep_draws``): the ``simulate`` command, printing percentiles, keeps no draws, and the
fan's series only for its JSON output (which has the fan's bands).
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import equations as eq
from .. import recurrence
from ..analysis import (
    ALL,
    SUPPLIER_PREFIX,
    expected_value,
    party_keys,
    party_series,
    party_totals,
)
from ..encoding import MONTH_KINDS
from ..engine import Inputs, Projection, project, project_totals
from ..gate import InputError, Problem
from ..schema import Assumptions
from ..targets import with_columns, writable_columns
from . import distributions as dist
from . import pace
from .heap import steady_heap
from .results import BLOCK, NO_SHIPMENT, PERCENTILES, Simulation
from .schema import RiskSpec
from .stats import available_processors

if TYPE_CHECKING:  # pandas is imported where a frame is made: the Monte Carlo runs without it
    import pandas as pd

__all__ = [
    "BLOCK",
    "DEFAULT_CHUNK",
    "DEFAULT_FAN",
    "FAN_PATHS",
    "MAX_PATHS",
    "NO_SHIPMENT",
    "PERCENTILES",
    "ChunkConfig",
    "ChunkMapper",
    "ChunkResult",
    "Simulation",
    "apply_draws",
    "check_run",
    "draws",
    "exact_expected_value",
    "local_chunks",
    "product_selection",
    "regression_matrix",
    "simulate",
    "simulate_chunk",
]

Array = np.ndarray
Progress = Callable[[int, int], None]

#: Paths per chunk. The compiled kernel works one path at a time whatever the chunk, so
#: the size only spreads each chunk's interpreted work (draws, writing them into the
#: arrays, the call): a million paths run about 0.4 s faster on two processors than in
#: chunks of 1,000, for some 50 MB of arrays per thread. Results do not depend on it.
DEFAULT_CHUNK = 5000
#: Parties whose monthly series are kept for the fan chart (4 bytes per path-month each).
DEFAULT_FAN = ("china_gross_revenue", "vendor_gross_profit", "us_government", "suppliers")
#: Paths whose monthly series are kept for the fan chart: the first this many. Percentile
#: bands from 250,000 paths are exact to far below a chart's resolution, and a
#: million-path run stays well under 1 GB.
FAN_PATHS = 250_000
#: Per-path results take about 0.3 GB per million paths (36 months, 11 parties).
MAX_PATHS = 5_000_000
#: Paths from which a run's per-path arrays are written through in a background thread
#: as the first chunks start (:class:`_Collector`); below it the pages are few.
TOUCH_ABOVE = 100_000
#: Paths per chunk at most: a chunk's arrays live at once on each thread, and 50,000
#: paths on two threads take about half a gigabyte.
MAX_CHUNK = 50_000
#: Threads running chunks side by side in one process, at most (one per processor): the
#: kernel runs without the interpreter lock, drawing and writing inputs mostly with it.
LOCAL_THREADS = 4
#: The kernel's totals column (:class:`model.engine.Totals`) of each main party: the
#: money of :func:`model.analysis.party_series`, as the kernel names it.
PARTY_MONEY = {
    "china_gross_revenue": "gross",
    "vendor_retained": "retained",
    "vendor_gross_profit": "gross_profit",
    "us_government": "government",
    "suppliers": recurrence.SUPPLIERS,
    "test_labs": "labs",
    "china_tariff": "china_tariff",
}


# ---------------------------------------------------------------- draws


def block_seed(seed: int, block: int) -> np.random.SeedSequence:
    """The seed of block ``k``: identical to ``SeedSequence(seed).spawn(k + 1)[k]``."""
    return np.random.SeedSequence(seed, spawn_key=(block,))


def block_uniforms(spec: RiskSpec, seed: int, block: int) -> Array:
    """Copula uniforms of one block, shape (BLOCK, inputs).

    The correlation factor is applied per whole block, so the arithmetic for a path
    never depends on how many paths are computed with it.
    """
    rng = np.random.default_rng(block_seed(seed, block))
    z = rng.standard_normal((BLOCK, len(spec.marginals)))
    return dist.copula_uniforms(z, spec.factor)


def draws(spec: RiskSpec, seed: int, start: int, stop: int) -> Array:
    """Draws of paths ``start … stop-1`` in each input's own units, shape (n, inputs)."""
    first, last = start // BLOCK, (stop - 1) // BLOCK
    u = np.concatenate([block_uniforms(spec, seed, k) for k in range(first, last + 1)])
    u = u[start - first * BLOCK : stop - first * BLOCK]
    out = np.empty_like(u)
    for i, m in enumerate(spec.marginals):
        out[:, i] = m.ppf(u[:, i])
    return out


def apply_draws(base: Inputs, spec: RiskSpec, x: Array) -> Inputs:
    """The base repeated once per path with the draws ``x`` (n, inputs) written in.

    Global inputs are written before product inputs, so a product's own levy rate wins
    over a drawn ``policy.share_rate``, as a product override does in a YAML file. A
    batch pace then replaces its product's cumulative allowance, (n, P, H).
    """
    stacked = base.repeat(len(x))
    ordinary = spec.ordinary
    cols = writable_columns(stacked, [spec.marginals[i].target for i in ordinary])
    for i in sorted(ordinary, key=lambda i: spec.marginals[i].target.is_product):
        m = spec.marginals[i]
        m.target.write(cols, x[:, i], m.apply)
    out = with_columns(stacked, cols)
    return pace.with_allowances(out, spec.paces, [p.drawn(x) for p in spec.paces])


# ---------------------------------------------------------------- one chunk


@dataclass(frozen=True)
class ChunkConfig:
    """What each chunk keeps: the products summed, the parties kept month by month (for
    the first ``fan_paths`` paths), the last month of facts (``idx(as_of)`` or -1) and
    whether the draws come back with the results (see :func:`simulate`)."""

    products: tuple[int, ...]
    fan: tuple[str, ...]
    facts: int = -1
    fan_paths: int = FAN_PATHS
    draws: bool = True


@dataclass(frozen=True)
class ChunkResult:
    start: int
    stop: int
    samples: Array | None  # (n, inputs), None when the run does not keep its draws
    totals: Array  # (n, parties)
    npv: Array  # (n, parties)
    first_shipment: Array  # (n,), month index, +inf = none within the horizon
    monthly: dict[str, Array]  # party -> (paths kept for the fan, H) float32
    next_shipment: Array  # (n, products) float32, first shipment after the facts, +inf = none
    sells_after_facts: Array  # (n, products) bool, any China revenue after the facts


def over_products(series: Array, products: Sequence[int]) -> Array:
    """``series`` (n, P, H) summed over the chosen products, (n, H), in product order."""
    out = np.array(series[:, products[0], :])
    for j in products[1:]:
        out += series[:, j, :]
    return out


def first_month(positive: Array, after: int = -1) -> Array:
    """The first month after ``after`` where ``positive`` (..., H) is true, +inf if none;
    shape (...)."""
    tail = positive[..., after + 1 :]
    if tail.shape[-1] == 0:
        return np.full(positive.shape[:-1], np.inf)
    return np.where(tail.any(axis=-1), tail.argmax(axis=-1) + after + 1.0, np.inf)


def money_columns(parties: Sequence[str], supplier_ids: Sequence[str]) -> list[int]:
    """The kernel's totals column (:class:`model.engine.Totals`) of each party: a main
    party's money (:data:`PARTY_MONEY`), or a supplier after all suppliers together."""
    named = [*recurrence.MONEY, recurrence.SUPPLIERS]
    return [
        len(named) + list(supplier_ids).index(key.removeprefix(SUPPLIER_PREFIX))
        if key.startswith(SUPPLIER_PREFIX)
        else named.index(PARTY_MONEY[key])
        for key in parties
    ]


def reduce_paths(
    proj: Projection, config: ChunkConfig, keep: int
) -> tuple[Array, Array, dict[str, Array], Array]:
    """Per path, from a projection's monthly series: each party's total and NPV
    (n, parties), the monthly series of the fan parties for the first ``keep`` paths,
    and whether each selected product has China gross revenue after the facts
    (n, products). :func:`simulate_chunk` gets the same numbers, to the last bit, from
    the kernel's totals mode without writing the series."""
    sel = config.products
    factors = eq.discount_factors(proj.inputs.discount_rate, proj.inputs.months)
    series = party_series(proj)
    n = proj.inputs.n
    totals, npv = np.empty((n, len(series))), np.empty((n, len(series)))
    monthly: dict[str, Array] = {}
    gross = series["china_gross_revenue"][:, :, config.facts + 1 :]
    after = np.any(gross != 0.0, axis=-1)[:, list(sel)]
    for k, (key, s) in enumerate(series.items()):
        m = over_products(s, sel)
        totals[:, k] = m.sum(axis=-1)
        npv[:, k] = eq.npv(m, factors)
        if key in config.fan:
            monthly[key] = m[:keep].astype(np.float32)
    return totals, npv, monthly, after


def simulate_chunk(
    base: Inputs, spec: RiskSpec, seed: int, start: int, stop: int, config: ChunkConfig
) -> ChunkResult:
    """Draw, project and reduce paths ``start … stop-1`` (a pure function, run anywhere).

    The kernel runs in totals mode: per path it keeps each party's total and NPV over
    the selected products, the shipment months and, for paths among the first
    ``config.fan_paths``, the fan parties' monthly sums; no monthly series is kept.
    """
    steady_heap()  # once per process: no page faults chunk after chunk (model.risk.heap)
    x = draws(spec, seed, start, stop)
    parties = party_keys(base.supplier_ids)
    columns = money_columns(parties, base.supplier_ids)
    keep = max(0, min(stop, config.fan_paths) - start)
    fan = [columns[parties.index(key)] for key in config.fan]
    t = project_totals(apply_draws(base, spec, x), config.products, config.facts, fan, keep)
    return ChunkResult(
        start,
        stop,
        x if config.draws else None,
        t.total[:, columns],
        t.npv[:, columns],
        t.first_shipment,
        {key: t.fan[j] for j, key in enumerate(config.fan)},
        t.next_shipment,
        t.sells_after,
    )


#: Runs chunks ``(start, stop)`` of paths somewhere and yields their results in any order:
#: :func:`local_chunks`, or :func:`model.risk.dask_runner.dask_chunks` on a cluster.
ChunkMapper = Callable[
    [Inputs, RiskSpec, int, Sequence[tuple[int, int]], ChunkConfig], Iterable[ChunkResult]
]


def local_chunks(
    base: Inputs,
    spec: RiskSpec,
    seed: int,
    ranges: Sequence[tuple[int, int]],
    config: ChunkConfig,
    threads: int | None = None,
) -> Iterator[ChunkResult]:
    """Every chunk, in this process: in turn, or in ``threads`` threads side by side (by
    default one per processor, at most :data:`LOCAL_THREADS`); the compiled kernel
    releases the interpreter while it runs, so the threads share the processors.
    Results come back in the order of ``ranges``."""
    workers = min(LOCAL_THREADS, available_processors()) if threads is None else threads
    if workers <= 1 or len(ranges) <= 1:
        for start, stop in ranges:
            yield simulate_chunk(base, spec, seed, start, stop, config)
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix="monte-carlo")
    try:
        waiting: deque[Future[ChunkResult]] = deque()
        for start, stop in ranges:
            waiting.append(pool.submit(simulate_chunk, base, spec, seed, start, stop, config))
            if len(waiting) > 2 * workers:  # a bounded queue: results are handed on as done
                yield waiting.popleft().result()
        while waiting:
            yield waiting.popleft().result()
    finally:  # on an error or an interrupt, chunks not yet started are dropped
        pool.shutdown(cancel_futures=True)


# ---------------------------------------------------------------- running


def chunk_ranges(paths: int, chunk: int) -> list[tuple[int, int]]:
    return [(s, min(s + chunk, paths)) for s in range(0, paths, chunk)]


def check_run(paths: int, chunk: int, seed: int) -> None:
    """Refuse a run size, chunk size or seed out of range (every problem at once)."""
    problems = []
    if not 1 <= paths <= MAX_PATHS:
        problems.append(
            Problem(
                "--paths",
                "",
                f"must be between 1 and {MAX_PATHS:,} (about 0.3 GB of memory per million paths)",
                paths,
                True,
            )
        )
    if not 1 <= chunk <= MAX_CHUNK:
        problems.append(
            Problem(
                "--chunk",
                "",
                f"must be between 1 and {MAX_CHUNK:,} (a chunk's arrays take about 10 MB "
                "per 1,000 paths on each thread)",
                chunk,
                True,
            )
        )
    if seed < 0:
        problems.append(Problem("--seed", "", "must be a whole number >= 0", seed, True))
    if problems:
        raise InputError(problems)


def product_selection(a: Assumptions, products: Sequence[str] | None) -> tuple[int, ...]:
    ids = [p.id for p in a.products]
    if not products or list(products) == [ALL]:
        return tuple(range(len(ids)))
    unknown = [p for p in products if p not in ids]
    if unknown:
        raise InputError(
            [
                Problem(
                    "--product",
                    "",
                    "unknown product; choose all or one of " + ", ".join(ids),
                    unknown[0],
                    True,
                )
            ]
        )
    return tuple(ids.index(p) for p in products)


def simulate(
    assumptions: Assumptions,
    spec: RiskSpec,
    paths: int,
    seed: int,
    *,
    chunk: int = DEFAULT_CHUNK,
    products: Sequence[str] | None = None,
    fan: Sequence[str] = DEFAULT_FAN,
    progress: Progress | None = None,
    map_chunks: ChunkMapper = local_chunks,
    base_name: str = "base",
    keep_draws: bool = True,
) -> Simulation:
    """Run ``paths`` Monte Carlo paths in chunks.

    ``map_chunks`` runs the chunks: :func:`local_chunks` (the default) in this process,
    :func:`model.risk.dask_runner.dask_chunks` on Dask. Results depend on neither the
    chunk size nor where the chunks run.

    What is kept beyond the totals, NPV and shipment months is the caller's choice: the
    monthly series of the ``fan`` parties (none for a run that draws no fan chart) and,
    with ``keep_draws``, the draws. A run that does not keep them (a command that
    prints percentiles only) takes 0.1 GB less per million paths; its
    :attr:`Simulation.samples` are drawn again from the seed when asked for, the same
    to the bit.
    """
    check_run(paths, chunk, seed)
    base = Inputs.from_assumptions([assumptions])
    sel = product_selection(assumptions, products)
    parties = tuple(party_keys(base.supplier_ids))
    facts = int(min(max(pace.facts_month(assumptions), -1), base.months - 1))
    config = ChunkConfig(sel, tuple(p for p in fan if p in parties), facts, FAN_PATHS, keep_draws)
    out = _Collector(paths, len(spec.marginals), len(parties), base.months, config)
    for r in map_chunks(base, spec, seed, chunk_ranges(paths, chunk), config):
        out.add(r)
        if progress:
            progress(out.done, paths)
    return Simulation(
        spec=spec,
        seed=seed,
        n_paths=paths,
        chunk=chunk,
        start=base.start,
        months=base.months,
        product_ids=tuple(base.product_ids[j] for j in sel),
        parties=parties,
        kept_draws=out.samples,
        totals=out.totals,
        npv=out.npv,
        first_shipment=out.first,
        monthly=out.monthly,
        base_name=base_name,
        next_shipment=out.next,
        sells_after_facts=out.after,
        facts=facts,
        as_of=assumptions.horizon.as_of,
    )


class _Collector:
    """The per-path arrays of a run, filled in place by path index as chunks arrive.

    The arrays of a large run (above :data:`TOUCH_ABOVE` paths) are written through once,
    with zeros, in a background thread while the first chunks run, and :meth:`add` waits
    for it before the first results go in. Writing a page for the first time costs the
    operating system a page fault; at the start of a command, a processor is idle while
    the compiled kernel loads, and the faults are taken there instead of beside the
    chunks (a million paths fault in 0.2 GB of results). numpy writes without the
    interpreter lock.
    """

    def __init__(self, paths: int, inputs: int, parties: int, months: int, config: ChunkConfig):
        self.samples = np.empty((paths, inputs)) if config.draws else None
        self.totals = np.empty((paths, parties))
        self.npv = np.empty((paths, parties))
        self.first = np.empty(paths)
        self.next = np.empty((paths, len(config.products)), dtype=np.float32)
        self.after = np.empty((paths, len(config.products)), dtype=bool)
        keep = min(paths, config.fan_paths)
        self.monthly = {p: np.empty((keep, months), dtype=np.float32) for p in config.fan}
        self.done = 0
        self._touching: threading.Thread | None = None
        if paths > TOUCH_ABOVE:
            arrays = [self.totals, self.npv, self.first, self.next, self.after]
            arrays += [a for a in (self.samples, *self.monthly.values()) if a is not None]
            self._touching = threading.Thread(
                target=_touch, args=(arrays,), name="monte-carlo-pages", daemon=True
            )
            self._touching.start()

    def add(self, r: ChunkResult) -> None:
        if self._touching is not None:
            self._touching.join()
            self._touching = None
        sl = slice(r.start, r.stop)
        if self.samples is not None:  # the run keeps its draws: every chunk brings them
            self.samples[sl] = r.samples
        self.totals[sl], self.npv[sl] = r.totals, r.npv
        self.first[sl] = r.first_shipment
        self.next[sl] = r.next_shipment
        self.after[sl] = r.sells_after_facts
        for p, m in self.monthly.items():
            kept = r.monthly[p]
            m[r.start : r.start + len(kept)] = kept
        self.done += r.stop - r.start


def _touch(arrays: Sequence[Array]) -> None:
    """Write zeros through ``arrays``: every page is then in place (see :class:`_Collector`)."""
    for a in arrays:
        np.copyto(a, np.zeros((), a.dtype))


# ---------------------------------------------------------------- exact expectation


def exact_expected_value(
    assumptions: Assumptions, spec: RiskSpec, max_combinations: int = 20_000
) -> pd.DataFrame:
    """Probability-weighted totals and NPV over every combination of discrete inputs.

    Only for independent inputs with finitely many values (discrete distributions and
    month or integer ranges): each combination is a scenario with probability
    ``Π p_i``, evaluated by the core and weighted by :func:`model.analysis.expected_value`.
    Returns the core's frame: product (and ``all``), party, total_usd, npv_usd.
    """
    problems = [
        Problem(
            spec.file,
            f"distributions.{m.path}",
            "the exact expected value needs "
            "discrete inputs (discrete, or month/whole-number ranges)",
        )
        for m in spec.marginals
        if m.pmf is None
    ]
    if spec.factor is not None:
        problems.append(
            Problem(spec.file, "correlations", "the exact expected value needs independent inputs")
        )
    pmfs = [m.pmf for m in spec.marginals if m.pmf is not None]
    count = int(np.prod([len(p.values) for p in pmfs])) if pmfs else 1
    if count > max_combinations:
        problems.append(
            Problem(
                spec.file,
                "distributions",
                f"{count:,} combinations exceed the limit of {max_combinations:,}",
            )
        )
    if problems:
        raise InputError(problems)
    combos = list(itertools.product(*[range(len(p.values)) for p in pmfs]))
    idx = np.array(combos, dtype=int).reshape(len(combos), len(pmfs))
    base = Inputs.from_assumptions([assumptions])
    x = (
        np.column_stack([p.values[idx[:, i]] for i, p in enumerate(pmfs)])
        if pmfs
        else np.empty((1, 0))
    )
    prob = (
        np.prod([p.probabilities[idx[:, i]] for i, p in enumerate(pmfs)], axis=0)
        if pmfs
        else np.ones(1)
    )
    proj = project(apply_draws(base, spec, x))
    names = [f"combination {i}" for i in range(len(combos))]
    totals = party_totals(proj, names)
    return expected_value(
        totals, dict(zip(names, prob.tolist(), strict=True)), spec.file or "risk file"
    )


def regression_matrix(sim: Simulation) -> pd.DataFrame:
    """Draws ready for regression: months at or after the horizon end coded as ``H``.

    A licence, or the end of the levy, at or after the last month has the same effect
    on every output as ``never`` (``+inf``), so both are coded as the first month after
    the horizon; other infinite values (no licence cap) take the column's largest
    finite value.
    """
    import pandas as pd

    x = sim.samples.copy()
    for i, m in enumerate(sim.spec.marginals):
        col = x[:, i]
        if m.target.info.kind in MONTH_KINDS:
            x[:, i] = np.minimum(col, float(sim.months))
        elif not np.isfinite(col).all():
            finite = col[np.isfinite(col)]
            x[:, i] = np.where(np.isfinite(col), col, finite.max() if len(finite) else 0.0)
    return pd.DataFrame(x, columns=list(sim.spec.paths))
