"""Golden projections: every shipped scenario against a committed, readable CSV,
plus the totals and NPV by party (tests/golden/summary.csv).

A change in any number fails here with the metric, month and product named.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.golden_update import (
    GOLDEN_DECIMALS,
    SHIPPED,
    SUITES,
    UPDATE_HINT,
    Suite,
    projection_frame,
    summary_frame,
)

ABS_TOL = 10.0**-GOLDEN_DECIMALS  # rounding of the stored values
REL_TOL = 1e-9


def differences(golden: pd.DataFrame, now: pd.DataFrame, keys: list[str], name: str) -> str:
    """'' when ``now`` matches ``golden``, else a message naming the first difference."""
    merged = golden.merge(now, on=keys, how="outer", suffixes=("_golden", "_now"), indicator=True)
    only = merged[merged["_merge"] != "both"]
    if not only.empty:
        return (
            f"{name}: {len(only)} rows present on one side only, e.g. "
            f"{only.head(3)[[*keys, '_merge']].to_dict('records')}; {UPDATE_HINT}"
        )
    out = []
    for col in [c for c in golden.columns if c not in keys]:
        g, n = merged[f"{col}_golden"], merged[f"{col}_now"]
        bad = merged[np.abs(n - g) > ABS_TOL + REL_TOL * np.abs(g)]
        if not bad.empty:
            r = bad.iloc[0]
            where = ", ".join(f"{k} {r[k]}" for k in keys)
            out.append(
                f"{name}: {len(bad)} rows changed in '{col}'; first: {where}: golden "
                f"{r[f'{col}_golden']!r}, now {r[f'{col}_now']!r}"
            )
    return "; ".join(out) + (f"; {UPDATE_HINT}" if out else "")


CASES = [(suite, stem) for suite in SUITES.values() for stem in suite.cases()]


@pytest.mark.parametrize("suite", list(SUITES.values()), ids=list(SUITES))
def test_every_scenario_has_a_golden_file(suite: Suite) -> None:
    cases = suite.cases()
    missing = [stem for stem in cases if not (suite.golden / f"{stem}.csv").is_file()]
    assert not missing, f"{suite.name}: no golden file for {missing}: {UPDATE_HINT}"
    stems = {p.stem for p in suite.golden.glob("*.csv")}
    extra = sorted(stems - set(cases) - {suite.summary.stem})
    assert not extra, f"{suite.name}: golden files without a scenario: {extra}"


@pytest.mark.parametrize(
    ("suite", "stem"), CASES, ids=[f"{suite.name}-{stem}" for suite, stem in CASES]
)
def test_golden_projection(suite: Suite, stem: str) -> None:
    path: Path = suite.golden / f"{stem}.csv"
    if not path.is_file():
        pytest.fail(f"{path} missing: {UPDATE_HINT}")
    got = projection_frame(suite, suite.cases()[stem])
    assert list(got.columns) == ["month", "product", "metric", "value"]
    message = differences(
        pd.read_csv(path, dtype={"month": str}), got, ["month", "product", "metric"], stem
    )
    assert not message, message


@pytest.mark.parametrize("suite", list(SUITES.values()), ids=list(SUITES))
def test_golden_summary_by_party(suite: Suite) -> None:
    if not suite.summary.is_file():
        pytest.fail(f"{suite.summary} missing: {UPDATE_HINT}")
    message = differences(
        pd.read_csv(suite.summary),
        summary_frame(suite),
        ["scenario", "product", "party"],
        f"{suite.name}/{suite.summary.stem}",
    )
    assert not message, message


def test_a_changed_number_is_named() -> None:
    golden = projection_frame(SHIPPED, None)
    now = golden.copy()
    hit = (
        (now["month"] == "2027-06")
        & (now["product"] == "h200")
        & (now["metric"] == "us_government_usd")
    )
    now.loc[hit, "value"] += 1.0
    message = differences(golden, now, ["month", "product", "metric"], "base")
    assert "base: 1 rows changed in 'value'" in message
    assert "month 2027-06, product h200, metric us_government_usd" in message
    assert "python3 dev.py golden" in message
    assert differences(golden, golden.copy(), ["month", "product", "metric"], "base") == ""
    assert "one side only" in differences(
        golden, now.iloc[1:], ["month", "product", "metric"], "base"
    )
