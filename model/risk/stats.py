"""Statistics over Monte Carlo paths: one sort per output, then every percentile.

Sorting a column once and reading each percentile from it is faster than asking for the
percentiles one call at a time, and numpy's vectorised sort beats a partition for the
handful of percentiles a table needs. The percentiles are numpy's default ("linear")
ones, to the last bit for float64 values.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

Array = np.ndarray

#: Values (paths × outputs) from which the outputs are sorted in threads side by side:
#: numpy sorts without the interpreter lock, and a million-path summary takes about
#: half the time on two processors. Below it, one thread (no pool to start).
THREADS_ABOVE = 1_000_000
#: Threads at most.
MAX_THREADS = 4


def sorted_columns(values: Array) -> Array:
    """Each column of ``values`` (n, k) sorted ascending, as rows: shape (k, n)."""
    out = np.array(values.T, order="C")
    each(out.shape[0], lambda j: out[j].sort(), values.size)
    return out


def each(count: int, work: Callable[[int], object], size: int) -> None:
    """``work(j)`` for ``j`` in ``0 … count-1``: in turn, or in threads side by side when
    ``size`` (the values involved) reaches :data:`THREADS_ABOVE`. Each ``j`` is computed
    alike either way, so the results are the same to the last bit."""
    workers = min(MAX_THREADS, count, available_processors())
    if size < THREADS_ABOVE or workers <= 1:
        for j in range(count):
            work(j)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="statistics") as pool:
        for _ in pool.map(work, range(count)):
            pass


def available_processors() -> int:
    """Processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def percentiles_of_sorted(ordered: Array, q: Sequence[float]) -> Array:
    """Percentiles ``q`` (0–100) of each row of ``ordered`` (k, n), shape (len(q), k), float64.

    Notes
    -----
    numpy's "linear" method (Hyndman and Fan's type 7): with ``v = (n - 1) q / 100``,
    ``i = floor(v)`` and ``g = v - i``, the percentile is ``x[i] + g (x[i+1] - x[i])``,
    computed as ``x[i+1] - (1 - g)(x[i+1] - x[i])`` when ``g >= 0.5`` (numpy's ``_lerp``).
    """
    n = ordered.shape[1]
    virtual = np.true_divide(np.asarray(q, dtype=float), 100) * (n - 1)
    lo = np.floor(virtual)
    gamma = (virtual - lo)[:, None]
    lo_i = np.minimum(lo.astype(np.intp), n - 1)
    hi_i = np.minimum(lo_i + 1, n - 1)
    a = ordered[:, lo_i].T.astype(float)
    b = ordered[:, hi_i].T.astype(float)
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


def percentiles(values: Array, q: Sequence[float]) -> Array:
    """Percentiles ``q`` of each column of ``values`` (n, k), shape (len(q), k)."""
    return percentiles_of_sorted(sorted_columns(values), q)


def column_summary(values: Array, q: Sequence[float]) -> tuple[Array, Array, Array]:
    """Percentiles ``q`` (len(q), k), mean (k,) and standard error of the mean (k,) of each
    column of ``values`` (n, k), one column at a time (in each thread of :func:`each`): the
    memory needed beyond the values is that of a column per thread, however many columns
    there are."""
    k = values.shape[1]
    pct, mean, se = np.empty((len(q), k)), np.empty(k), np.empty(k)

    def one(j: int) -> None:
        col = np.ascontiguousarray(values[:, j])
        pct[:, j] = percentiles_of_sorted(np.sort(col)[None, :], q)[:, 0]
        m, s = mean_and_se(col[:, None])
        mean[j], se[j] = m[0], s[0]

    each(k, one, values.size)
    return pct, mean, se


def mean_and_se(values: Array) -> tuple[Array, Array]:
    """Mean of each column of ``values`` (n, k) and its standard error ``s / sqrt(n)``
    (``s`` with ``ddof = 1``; NaN for a single path), each (k,)."""
    mean = values.mean(axis=0)
    if len(values) < 2:
        return mean, np.full(values.shape[1], np.nan)
    return mean, values.std(axis=0, ddof=1) / np.sqrt(len(values))
