"""Scale-out of the Monte Carlo on Dask (optional extra ``dask``).

Each chunk is one task calling :func:`model.risk.simulate.simulate_chunk`; chunks draw
their randomness from seed blocks fixed by path index, so results are identical to the
local run whatever the scheduling. Results stream back as they complete and are
written into place by path index. Pass :func:`dask_chunks` to
:func:`model.risk.simulate.simulate` as its ``map_chunks``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from ..engine import Inputs
from ..gate import InputError, Problem
from .schema import RiskSpec
from .simulate import ChunkConfig, ChunkMapper, ChunkResult, simulate_chunk

LOCAL = "local"
TRIM = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


@contextlib.contextmanager
def client_for(target: Any) -> Iterator[Any]:
    """A ``distributed.Client``: ``"local"`` starts a 2-process LocalCluster for the run,
    an address (``tcp://host:port``) connects to a running scheduler, a Client is reused."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise InputError(
            [Problem("--dask", "", "needs the dask extra: pip install 'chip-export-impact[dask]'")]
        ) from None
    if isinstance(target, Client):
        yield target
        return
    if target == LOCAL:
        # Dask sets MALLOC_TRIM_THRESHOLD_ in its workers, which stops glibc adapting its
        # mmap threshold: every MB-sized array of a chunk then becomes a fresh mmap with
        # page faults, and the workers run about 1.6 times slower. Unset it for our cluster
        # (each chunk also fixes the thresholds itself once per worker: model.risk.heap).
        with (
            dask.config.set({TRIM: None}),
            LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(str(target), timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            [Problem("--dask", "", f"cannot reach the Dask scheduler ({exc})", target, True)]
        ) from None
    with client:
        yield client


def map_chunks(
    target: Any,
    base: Inputs,
    spec: RiskSpec,
    seed: int,
    ranges: Sequence[tuple[int, int]],
    config: ChunkConfig,
) -> Iterator[ChunkResult]:
    """Run every chunk as a Dask task; yield results as they complete."""
    from distributed import as_completed

    with client_for(target) as client:
        # unique keys: a re-scatter of equal data must not race the release of the last run
        base_f, spec_f = client.scatter([base, spec], broadcast=True, hash=False)
        futures = [
            client.submit(simulate_chunk, base_f, spec_f, seed, s, e, config, pure=False)
            for s, e in ranges
        ]
        for fut in as_completed(futures):
            yield fut.result()
            fut.release()


def dask_chunks(target: Any) -> ChunkMapper:
    """A chunk mapper for :func:`model.risk.simulate.simulate` running on Dask.

    ``target``: ``"local"`` (a 2-process cluster for the run), a scheduler address
    (``tcp://host:8786``) or a ``distributed.Client``.
    """
    return functools.partial(map_chunks, target)
