"""Monte Carlo over uncertain assumptions, through the same calculation core.

The base assumptions are stacked once into :class:`~model.engine.Inputs`; each chunk
of paths repeats them, writes its draws into the arrays, projects, reduces to
per-path totals, NPV and monthly series of the parties, and is discarded, so memory
stays bounded however many paths are run.

Reproducibility: draws come in fixed blocks of :data:`BLOCK` paths, block ``k``
seeded by ``SeedSequence(seed).spawn(k + 1)[k]``. A path's draws therefore depend
only on the seed and its index, never on the chunk size or on which worker ran it,
and every statistic is computed once over the assembled per-path arrays: the same
seed gives bit-identical results locally, in any chunking, and on Dask.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import equations as eq
from ..analysis import ALL, expected_value, party_series, party_totals
from ..calendar import month_labels
from ..encoding import MONTH_KINDS
from ..engine import Inputs, project
from ..gate import InputError, Problem
from ..schema import Assumptions
from ..targets import with_columns, writable_columns
from . import distributions as dist
from .parties import party_label
from .schema import RiskSpec

Array = np.ndarray
Progress = Callable[[int, int], None]

#: Paths per seeded block (fixed: changing it changes every draw).
BLOCK = 1000
DEFAULT_CHUNK = 2000
PERCENTILES = (5, 10, 50, 90, 95)
#: Parties whose monthly series are kept for the fan chart (4 bytes per path-month each).
DEFAULT_FAN = ("china_gross_revenue", "vendor_gross_profit", "us_government", "suppliers")
#: Per-path results and fan series take about 1.3 GB per million paths (36 months).
MAX_PATHS = 5_000_000
#: First-shipment label of the paths that never ship to China within the horizon.
NO_SHIPMENT = "none within horizon"


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
    over a drawn ``policy.share_rate``, as a product override does in a YAML file.
    """
    stacked = base.repeat(len(x))
    cols = writable_columns(stacked, [m.target for m in spec.marginals])
    order = sorted(range(len(spec.marginals)), key=lambda i: spec.marginals[i].target.is_product)
    for i in order:
        m = spec.marginals[i]
        m.target.write(cols, x[:, i], m.apply)
    return with_columns(stacked, cols)


# ---------------------------------------------------------------- one chunk


@dataclass(frozen=True)
class ChunkConfig:
    """What each chunk keeps: the products summed, and the parties kept month by month."""

    products: tuple[int, ...]
    fan: tuple[str, ...]


@dataclass(frozen=True)
class ChunkResult:
    start: int
    stop: int
    samples: Array  # (n, inputs)
    totals: Array  # (n, parties)
    npv: Array  # (n, parties)
    first_shipment: Array  # (n,), month index, +inf = none within the horizon
    monthly: dict[str, Array]  # party -> (n, H) float32


def simulate_chunk(
    base: Inputs, spec: RiskSpec, seed: int, start: int, stop: int, config: ChunkConfig
) -> ChunkResult:
    """Draw, project and reduce paths ``start … stop-1`` (a pure function, run anywhere)."""
    x = draws(spec, seed, start, stop)
    inputs = apply_draws(base, spec, x)
    proj = project(inputs)
    sel = list(config.products)
    every = len(sel) == len(inputs.product_ids)
    factors = eq.discount_factors(inputs.discount_rate, inputs.months)
    series = party_series(proj)
    totals, npv, monthly = [], [], {}
    for key, s in series.items():
        m = s.sum(axis=1) if every else s[:, sel, :].sum(axis=1)
        totals.append(m.sum(axis=-1))
        npv.append(eq.npv(m, factors))
        if key in config.fan:
            monthly[key] = m.astype(np.float32)
    shipped = proj.volumes.shipments[:, sel, :].sum(axis=1) > 0
    first = np.where(shipped.any(axis=1), shipped.argmax(axis=1), np.inf)
    return ChunkResult(
        start,
        stop,
        x,
        np.stack(totals, axis=1),
        np.stack(npv, axis=1),
        first.astype(float),
        monthly,
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
) -> Iterator[ChunkResult]:
    """Every chunk in turn, in this process."""
    for start, stop in ranges:
        yield simulate_chunk(base, spec, seed, start, stop, config)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Simulation:
    """Per-path results of a Monte Carlo run and the statistics drawn from them."""

    spec: RiskSpec
    seed: int
    n_paths: int
    chunk: int
    start: str
    months: int
    product_ids: tuple[str, ...]
    parties: tuple[str, ...]
    samples: Array
    totals: Array
    npv: Array
    first_shipment: Array
    monthly: dict[str, Array] = field(default_factory=dict)
    base_name: str = "base"

    @property
    def month_labels(self) -> list[str]:
        return month_labels(self.start, self.months)

    def values(self, party: str, measure: str = "total") -> Array:
        """Per-path horizon total or NPV of a party, shape (paths,)."""
        if party not in self.parties:
            raise InputError(
                [
                    Problem(
                        "output",
                        "",
                        "unknown party; choose one of " + ", ".join(self.parties),
                        party,
                        True,
                    )
                ]
            )
        if measure not in ("total", "npv"):
            raise InputError([Problem("measure", "", "choose total or npv", measure, True)])
        k = self.parties.index(party)
        return (self.totals if measure == "total" else self.npv)[:, k]

    def summary(self) -> pd.DataFrame:
        """P5/P10/P50/P90/P95, mean and its standard error for every party and measure.

        Notes
        -----
        Percentiles are linear interpolations of the empirical distribution; the
        standard error of the mean is ``s / sqrt(n)`` with ``s`` the sample standard
        deviation (``ddof = 1``).
        """
        rows = []
        for measure, arr in (("total", self.totals), ("npv", self.npv)):
            pct = np.percentile(arr, PERCENTILES, axis=0)
            mean = arr.mean(axis=0)
            se = (
                arr.std(axis=0, ddof=1) / np.sqrt(len(arr))
                if len(arr) > 1
                else np.full(arr.shape[1], np.nan)
            )
            for k, party in enumerate(self.parties):
                rows.append(
                    {
                        "party": party,
                        "label": party_label(party),
                        "measure": measure,
                        **{f"p{q}": pct[i, k] for i, q in enumerate(PERCENTILES)},
                        "mean": mean[k],
                        "se": se[k],
                    }
                )
        return pd.DataFrame(rows)

    @property
    def p_no_revenue(self) -> float:
        """Share of paths with no China revenue at all over the horizon."""
        return float(np.mean(self.values("china_gross_revenue") == 0.0))

    def first_shipment_distribution(self) -> pd.DataFrame:
        """Probability that the first China shipment falls in each month (or never)."""
        labels = self.month_labels
        idx, counts = np.unique(self.first_shipment, return_counts=True)
        rows = [
            (labels[int(i)] if np.isfinite(i) else NO_SHIPMENT, c / self.n_paths)
            for i, c in zip(idx, counts, strict=True)
        ]
        df = pd.DataFrame(rows, columns=["month", "probability"])
        df["cumulative"] = df["probability"].cumsum()
        return df

    def bands(self, party: str) -> pd.DataFrame:
        """Monthly percentile bands (fan chart data) of a party's money, all paths."""
        if party not in self.monthly:
            raise InputError(
                [
                    Problem(
                        "fan party",
                        "",
                        "no monthly series kept; choose one of " + ", ".join(self.monthly),
                        party,
                        True,
                    )
                ]
            )
        m = self.monthly[party]
        pct = np.percentile(m, PERCENTILES, axis=0).astype(float)
        df = pd.DataFrame({"month": self.month_labels})
        for i, q in enumerate(PERCENTILES):
            df[f"p{q}"] = pct[i]
        df["mean"] = m.mean(axis=0, dtype=float)
        return df

    def inputs_frame(self) -> pd.DataFrame:
        """The draws, one column per uncertain input (months as indices, never = inf)."""
        return pd.DataFrame(self.samples, columns=list(self.spec.paths))

    def to_dict(self) -> dict[str, Any]:
        """Everything the JSON output holds, in plain types."""
        summary = self.summary()
        return {
            "risk": self.spec.name,
            "assumptions": self.base_name,
            "seed": self.seed,
            "paths": self.n_paths,
            "chunk": self.chunk,
            "block": BLOCK,
            "products": list(self.product_ids),
            "percentiles": list(PERCENTILES),
            "summary": _records(summary),
            "p_no_china_revenue": self.p_no_revenue,
            "first_shipment": _records(self.first_shipment_distribution()),
            "bands": {p: _records(self.bands(p)) for p in self.monthly},
            "inputs": [
                {"path": m.path, "kind": m.shape, "apply": m.apply, "source": m.source}
                for m in self.spec.marginals
            ],
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
        for r in df.to_dict(orient="records")
    ]


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
                f"must be between 1 and {MAX_PATHS:,} (about 1.3 GB of memory per million paths)",
                paths,
                True,
            )
        )
    if chunk < 1:
        problems.append(Problem("--chunk", "", "must be at least 1", chunk, True))
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
) -> Simulation:
    """Run ``paths`` Monte Carlo paths in chunks.

    ``map_chunks`` runs the chunks: :func:`local_chunks` (the default) in this process,
    :func:`model.risk.dask_runner.dask_chunks` on Dask. Results depend on neither the
    chunk size nor where the chunks run.
    """
    check_run(paths, chunk, seed)
    base = Inputs.from_assumptions([assumptions])
    sel = product_selection(assumptions, products)
    parties = tuple(party_series(project(base)).keys())
    config = ChunkConfig(products=sel, fan=tuple(p for p in fan if p in parties))
    d, h = len(spec.marginals), base.months
    out = {
        "samples": np.empty((paths, d)),
        "totals": np.empty((paths, len(parties))),
        "npv": np.empty((paths, len(parties))),
        "first": np.empty(paths),
    }
    monthly = {p: np.empty((paths, h), dtype=np.float32) for p in config.fan}
    done = 0
    for r in map_chunks(base, spec, seed, chunk_ranges(paths, chunk), config):
        sl = slice(r.start, r.stop)
        out["samples"][sl], out["totals"][sl], out["npv"][sl] = r.samples, r.totals, r.npv
        out["first"][sl] = r.first_shipment
        for p in config.fan:
            monthly[p][sl] = r.monthly[p]
        done += r.stop - r.start
        if progress:
            progress(done, paths)
    return Simulation(
        spec=spec,
        seed=seed,
        n_paths=paths,
        chunk=chunk,
        start=base.start,
        months=h,
        product_ids=tuple(base.product_ids[j] for j in sel),
        parties=parties,
        samples=out["samples"],
        totals=out["totals"],
        npv=out["npv"],
        first_shipment=out["first"],
        monthly=monthly,
        base_name=base_name,
    )


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
    x = sim.samples.copy()
    for i, m in enumerate(sim.spec.marginals):
        col = x[:, i]
        if m.target.info.kind in MONTH_KINDS:
            x[:, i] = np.minimum(col, float(sim.months))
        elif not np.isfinite(col).all():
            finite = col[np.isfinite(col)]
            x[:, i] = np.where(np.isfinite(col), col, finite.max() if len(finite) else 0.0)
    return pd.DataFrame(x, columns=list(sim.spec.paths))
