"""The value of the licence through time: the assumptions as they stood at key dates
("vintages") and what each says the licence is worth, to whom (docs/facts.md,
"Value by vintage").

A vintage is a scenario file on the shipped base (``assumptions/vintages/*.yaml``)
that restates the facts known at its date, with its own ``horizon.as_of``. Vintages
share the base's horizon and products, so they are projected together in one call.
For each vintage: every party's total and NPV over the horizon, the cost of one more
month of waiting from its date, each vendor's earnings-per-share effect (vendors
table), and, where the vintage carries a scenario set, the probability-weighted
expected value. A set's scenarios are applied on top of the vintage (the vintage's
overrides first, the scenario's after). A vintage with no overrides is the base
itself, so the shipped set applies to it unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .analysis import ALL, Results, expected_value, run
from .gate import InputError, Problem
from .loader import Loaded, Scenario, load, load_scenario, load_set
from .shipped import EXPECTED_VALUE_SET, VINTAGES_DIR

#: Parties shown per vintage, in order.
VALUE_PARTIES = ("china_gross_revenue", "us_government", "vendor_gross_profit", "suppliers")
COLUMNS = ["vintage", "name", "as_of", "measure", "subject", "total_usd", "npv_usd"]


@dataclass(frozen=True)
class Vintage:
    """A vintage file, its assumptions on the base and the set it carries (if any)."""

    stem: str
    loaded: Loaded
    set_file: Path | None = None

    @property
    def as_of(self) -> str:
        return self.loaded.assumptions.horizon.as_of or ""

    @property
    def name(self) -> str:
        return self.loaded.name


def vintage_files(directory: str | Path = VINTAGES_DIR) -> list[Path]:
    """The vintage files of a folder, sorted by name (names start with the date)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), "", "is not a folder of vintage files")])
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise InputError([Problem(str(folder), "", "holds no vintage (.yaml) file")])
    return files


def default_sets(files: Sequence[Path], shipped_set: Path = EXPECTED_VALUE_SET) -> dict[str, Path]:
    """The shipped set for each vintage that is the base itself (no overrides)."""
    return {f.stem: shipped_set for f in files if not load_scenario(f).overrides}


def load_vintages(
    base: str | Path, files: Sequence[Path], sets: Mapping[str, Path] | None = None
) -> list[Vintage]:
    """Each vintage on the base, validated (problems of all files reported together).

    Parameters
    ----------
    base
        The base assumptions the vintages overlay.
    files
        Vintage files (scenario format).
    sets
        Vintage stem -> scenario-set file; a stem not among the files is an error.
    """
    sets = dict(sets or {})
    unknown = sorted(set(sets) - {f.stem for f in files})
    problems = [Problem(s, "", "no vintage of that name") for s in unknown]
    out = []
    for f in files:
        try:
            out.append(Vintage(f.stem, load(base, f), sets.get(f.stem)))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return out


def compose(vintage: Scenario, scenario: Scenario) -> Scenario:
    """A scenario seen from a vintage: the vintage's overrides, then the scenario's."""
    return Scenario(
        name=scenario.name,
        description=scenario.description,
        overrides={**vintage.overrides, **scenario.overrides},
        file=f"{vintage.file} + {scenario.file}",
    )


def vintage_expected_value(base: str | Path, v: Vintage) -> pd.DataFrame:
    """The probability-weighted totals of the vintage's set, per product and party.

    Returns an empty frame when the vintage carries no set.
    """
    if v.set_file is None or v.loaded.scenario is None:
        return pd.DataFrame(columns=["product", "party", "total_usd", "npv_usd"])
    entries = load_set(v.set_file)
    loaded = [load(base, compose(v.loaded.scenario, sc)) for sc, _ in entries]
    names = [f"{i}:{lo.name}" for i, lo in enumerate(loaded)]
    res = run([lo.assumptions for lo in loaded], names)
    probs = {n: p for n, (_, p) in zip(names, entries, strict=True)}
    return expected_value(res.totals, probs, str(v.set_file))


def eps_by_vendor(res: Results) -> pd.DataFrame:
    """Each vendor's earnings-per-share effect summed over its fiscal years in the
    horizon, per scenario (NaN where the vendor has no tax rate or share count)."""
    years = res.vendors[res.vendors["period_kind"] == "fiscal_year"]
    return (
        years.groupby(["scenario", "vendor"], sort=False)["eps_usd"].sum(min_count=1).reset_index()
    )


def _rows(v: Vintage, measure: str, frame: pd.DataFrame) -> list[tuple]:
    """Long rows for the ``all``-products figures of the parties shown."""
    sub = frame[(frame["product"] == ALL) & frame["party"].isin(VALUE_PARTIES)]
    sub = sub.set_index("party").reindex(list(VALUE_PARTIES))
    return [
        (v.stem, v.name, v.as_of, measure, party, r.total_usd, r.npv_usd)
        for party, r in zip(VALUE_PARTIES, sub.itertuples(), strict=True)
    ]


def vintage_values(base: str | Path, vintages: Sequence[Vintage]) -> pd.DataFrame:
    """Per vintage: the parties' value, the cost of the next month, each vendor's EPS
    effect and, where a set is carried, the expected value.

    Returns
    -------
    pandas.DataFrame
        Long frame with the columns of :data:`COLUMNS`: ``measure`` is ``value``,
        ``next month`` (scenario minus the same with every approval still to come one
        month later), ``expected value`` or ``eps`` (USD per share in ``total_usd``;
        ``npv_usd`` empty); ``subject`` is the party or the vendor.
    """
    names = [v.stem for v in vintages]
    res = run([v.loaded.assumptions for v in vintages], names)
    eps = eps_by_vendor(res)
    rows: list[tuple] = []
    for v in vintages:
        rows += _rows(v, "value", res.totals[res.totals["scenario"] == v.stem])
        rows += _rows(v, "next month", res.next_month[res.next_month["scenario"] == v.stem])
        for r in eps[eps["scenario"] == v.stem].itertuples():
            rows.append((v.stem, v.name, v.as_of, "eps", r.vendor, r.eps_usd, np.nan))
        ev = vintage_expected_value(base, v)
        if not ev.empty:
            rows += _rows(v, "expected value", ev)
    return pd.DataFrame(rows, columns=COLUMNS)


def wide(values: pd.DataFrame, column: str = "total_usd") -> pd.DataFrame:
    """One row per vintage, one column per measure and subject (``measure:subject``)."""
    key = values["measure"] + ":" + values["subject"]
    table = values.assign(key=key).pivot_table(
        index=["vintage", "as_of"], columns="key", values=column, aggfunc="first", sort=False
    )
    return table.reset_index()
