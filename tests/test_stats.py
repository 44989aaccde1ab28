"""Statistics over paths computed in threads (model.risk.stats.each) equal those of one
thread to the last bit, and equal numpy's own percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from model.risk import stats

Q = (5, 10, 50, 90, 95)


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads from the smallest arrays on, with two processors at least."""
    monkeypatch.setattr(stats, "THREADS_ABOVE", 1)
    monkeypatch.setattr(stats, "available_processors", lambda: 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threaded_percentiles_and_summary_equal_one_threads(
    dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = np.random.default_rng(3).standard_normal((20_001, 7)).astype(dtype)
    alone = stats.percentiles(values, Q), *stats.column_summary(values, Q)
    monkeypatch.setattr(stats, "THREADS_ABOVE", 1)
    monkeypatch.setattr(stats, "available_processors", lambda: 3)
    together = stats.percentiles(values, Q), *stats.column_summary(values, Q)
    for a, b in zip(alone, together, strict=True):
        assert a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(alone[0], np.percentile(values.astype(float), Q, axis=0))


def test_each_runs_every_index_once(threads: None) -> None:
    seen: list[int] = []
    stats.each(9, seen.append, 10)
    assert sorted(seen) == list(range(9))


def test_an_error_in_a_thread_reaches_the_caller(threads: None) -> None:
    def fail(j: int) -> None:
        if j == 2:
            raise ValueError("column 2")

    with pytest.raises(ValueError, match="column 2"):
        stats.each(4, fail, 10)
