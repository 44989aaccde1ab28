"""Golden projections: every shipped scenario against a committed, readable CSV.

A change in any number fails here with the metric, month and product named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.golden_update import GOLDEN, GOLDEN_DECIMALS, UPDATE_HINT, cases, projection_frame

ABS_TOL = 10.0 ** -GOLDEN_DECIMALS  # rounding of the stored values
REL_TOL = 1e-9


def test_every_scenario_has_a_golden_file() -> None:
    missing = [stem for stem in cases() if not (GOLDEN / f"{stem}.csv").is_file()]
    assert not missing, f"no golden file for {missing}: {UPDATE_HINT}"
    extra = sorted({p.stem for p in GOLDEN.glob("*.csv")} - set(cases()))
    assert not extra, f"golden files without a scenario: {extra}"


@pytest.mark.parametrize("stem", list(cases()))
def test_golden_projection(stem: str) -> None:
    path: Path = GOLDEN / f"{stem}.csv"
    if not path.is_file():
        pytest.fail(f"{path.name} missing: {UPDATE_HINT}")
    expected = pd.read_csv(path, dtype={"month": str})
    got = projection_frame(cases()[stem])
    keys = ["month", "product", "metric"]
    assert list(got.columns) == ["month", "product", "metric", "value"]
    merged = expected.merge(got, on=keys, how="outer", suffixes=("_golden", "_now"),
                            indicator=True)
    only = merged[merged["_merge"] != "both"]
    assert only.empty, (f"{stem}: rows present on one side only, e.g. "
                        f"{only.head(3)[[*keys, '_merge']].to_dict('records')}; {UPDATE_HINT}")
    diff = np.abs(merged["value_now"] - merged["value_golden"])
    bad = merged[diff > ABS_TOL + REL_TOL * np.abs(merged["value_golden"])]
    if not bad.empty:
        r = bad.iloc[0]
        pytest.fail(f"{stem}: {len(bad)} values changed; first: metric {r.metric}, month "
                    f"{r.month}, product {r['product']}: golden {r.value_golden!r}, now "
                    f"{r.value_now!r}; {UPDATE_HINT}")
