"""Reconciliation: what the vendors reported against what the model says, per vendor
fiscal quarter (docs/facts.md, "Reconciliation").

Reported figures live in CSV files (``assumptions/reported/*.csv``), one row per
vendor, fiscal quarter and measure, each with its bound (``exact``, ``upper`` or
``lower``), its source and the basis of the figure. The model's side is the gross
China revenue and the units of the vendor's products, rolled up by the vendor's own
fiscal calendar.

Two modes:

- ``with-actuals``: the assumptions as given. Months carrying reported actuals use
  them, so a quarter whose shipments are all reported matches by construction;
- ``backtest``: the model's own forecast for the past months from what was known at
  the horizon start: the reported actuals and China's allocation batches dated after
  the start are stripped (a product left with no batch is unlimited, as China's
  rationing was not yet known). The licence dates are kept, so the backtest measures
  the volume machinery, not the dating of the licences; the vintages
  (:mod:`model.vintages`) give the full view of each date.

Everything here is a pure function of its arguments except :func:`read_reported`,
which reads the files through the input gate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .calendar import FISCAL_QUARTER_RE, fiscal_quarter, month_index, month_labels
from .engine import Inputs, Projection, project
from .gate import CSV_LIMIT, InputError, Problem, csv_records, read_text_limited
from .schema import Assumptions

#: Measures a reported row may give, and the model's figure for each (None: not modelled).
MEASURES: dict[str, str | None] = {
    "china_dc_revenue_usd": "china_dc_revenue_usd",
    "units": "units",
    "inventory_charge_usd": None,
}
BOUNDS = ("exact", "upper", "lower")
COLUMNS = ("vendor", "fiscal_quarter", "measure", "value", "bound", "source", "basis")
MODES = ("with-actuals", "backtest")
#: An ``exact`` figure matches within this share of the reported value: vendors round
#: ("about $390M"), the model does not.
RELATIVE_TOLERANCE = 0.02
#: ...and within this absolute amount (one dollar or one unit of float noise).
ABSOLUTE_TOLERANCE = 1.0
MONTHS_PER_QUARTER = 3

STATUS_COMPARED = "compared"
STATUS_OUTSIDE = "outside the horizon"
STATUS_PARTIAL = "partly outside the horizon"
STATUS_NOT_MODELLED = "not modelled (for information)"
STATUS_UNKNOWN_VENDOR = "vendor not in the assumptions"


# ---------------------------------------------------------------- reported rows


def parse_reported(text: str, name: str = "reported") -> pd.DataFrame:
    """Validate reported rows given as CSV text; every problem is reported at once.

    Parameters
    ----------
    text
        CSV with the header :data:`COLUMNS` (any order; ``basis`` may be empty).
    name
        File name used in the problems.

    Returns
    -------
    pandas.DataFrame
        One row per reported figure with the columns of :data:`COLUMNS`, ``value`` a float.

    Raises
    ------
    InputError
        Naming the file, the line and column, the value and the rule for each problem:
        a missing column, an unknown measure or bound, a value that is not a number
        >= 0, a fiscal quarter not written ``FYyyyy-Qn``, an empty vendor or source, or a
        (vendor, quarter, measure) given twice.
    """
    rows, header = csv_records(text, name)
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        rule = f"missing column(s) {', '.join(missing)}; needs {', '.join(COLUMNS)}"
        raise InputError([Problem(name, "header", rule)])
    problems: list[Problem] = []
    records = [_reported_row(raw, line, name, problems) for line, raw in enumerate(rows, start=2)]
    parsed = [r for r in records if r is not None]
    problems += _duplicates(parsed, name)
    if problems:
        raise InputError(problems)
    return pd.DataFrame(parsed, columns=[*COLUMNS, "file", "line"])


def _reported_row(
    raw: Mapping[str, Any], line: int, file: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """One validated row, or None with its problems appended."""
    before = len(problems)
    cell = {c: (raw.get(c) or "").strip() for c in COLUMNS}

    def bad(column: str, rule: str) -> None:
        problems.append(Problem(file, f"line {line}.{column}", rule, cell[column], True))

    for column in ("vendor", "source"):
        if not cell[column]:
            bad(column, "must not be empty (every reported figure names its source)")
    if not FISCAL_QUARTER_RE.match(cell["fiscal_quarter"]):
        bad("fiscal_quarter", "must be a fiscal quarter written FYyyyy-Qn (e.g. FY2027-Q1)")
    if cell["measure"] not in MEASURES:
        bad("measure", f"must be one of {', '.join(MEASURES)}")
    if cell["bound"] not in BOUNDS:
        bad("bound", f"must be one of {', '.join(BOUNDS)}")
    value = _number(cell["value"])
    if value is None:
        bad("value", "must be a number >= 0")
    if len(problems) > before:
        return None
    return {**cell, "value": value, "file": file, "line": line}


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _duplicates(rows: Sequence[Mapping[str, Any]], file: str) -> list[Problem]:
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for r in rows:
        key = (r["vendor"], r["fiscal_quarter"], r["measure"])
        if key in seen:
            out.append(
                Problem(
                    file,
                    f"line {r['line']}",
                    f"{' '.join(key)} is already given on line {seen[key]}",
                )
            )
        else:
            seen[key] = r["line"]
    return out


def read_reported(directory: str | Path) -> pd.DataFrame:
    """Every ``*.csv`` in ``directory``, validated and stacked (problems of all files at once).

    Raises
    ------
    InputError
        If the folder does not exist, holds no CSV file, or any file is invalid.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), "", "is not a folder of reported CSV files")])
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise InputError([Problem(str(folder), "", "holds no .csv file of reported figures")])
    frames, problems = [], []
    for path in files:
        try:
            frames.append(
                parse_reported(read_text_limited(path, CSV_LIMIT, "CSV files"), str(path))
            )
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    out = pd.concat(frames, ignore_index=True)
    problems = _duplicates(out.to_dict("records"), str(folder))
    if problems:
        raise InputError(problems)
    return out


# ---------------------------------------------------------------- the model's side


def backtest_assumptions(a: Assumptions) -> Assumptions:
    """What was known at the horizon start: reported actuals removed, China's batches
    dated after the start removed (a product left with none is unlimited again).

    Parameters
    ----------
    a
        Validated assumptions.

    Returns
    -------
    Assumptions
        A copy; the licence dates and every other value are unchanged.
    """
    start = a.horizon.start
    products = []
    for p in a.products:
        batches = p.china_allocations
        if batches is not None:
            known = [b for b in batches if month_index(b.month, start) <= 0]
            batches = known or None
        products.append(
            p.model_copy(update={"actual_shipments": None, "china_allocations": batches})
        )
    return a.model_copy(update={"products": products})


def active_months(p: Projection, variant: int = 0) -> np.ndarray:
    """Whether shipments are allowed, ``Ts <= t < End``, shape (P, H)."""
    t = np.arange(p.inputs.months, dtype=float)
    v = p.volumes
    first = np.broadcast_to(v.first_shipment, v.shipments.shape[:2])[variant][:, None]
    end = np.broadcast_to(v.licence_end, v.shipments.shape[:2])[variant][:, None]
    return (t >= first) & (t < end)


def modelled_quarters(p: Projection, variant: int = 0) -> pd.DataFrame:
    """The model's figures per vendor and fiscal quarter of that vendor's calendar.

    Parameters
    ----------
    p
        A projection; the vendors and fiscal year ends come from its inputs.
    variant
        Which of the stacked variants to read.

    Returns
    -------
    pandas.DataFrame
        Columns ``vendor``, ``fiscal_quarter``, ``months_in_horizon`` (0..3),
        ``china_dc_revenue_usd`` (the vendor's gross China revenue R, summed over its
        products and the quarter's months), ``units`` (China shipments X) and
        ``all_reported`` (every product of the vendor has a reported actual, or cannot
        ship, in each of the quarter's months: the figure is then the reports' own).
    """
    x = p.inputs
    labels = month_labels(x.start, x.months)
    gross = p.money.gross[variant]
    units = p.volumes.shipments[variant]
    known = p.volumes.actual[variant].astype(bool) | ~active_months(p, variant)
    rows = []
    for vendor in dict.fromkeys(x.vendors):
        cols = [j for j, v in enumerate(x.vendors) if v == vendor]
        fye = int(x.fiscal_year_end[variant, cols[0]])
        quarters = [fiscal_quarter(m, fye) for m in labels]
        for quarter in dict.fromkeys(quarters):
            sel = np.array([q == quarter for q in quarters])
            rows.append(
                {
                    "vendor": vendor,
                    "fiscal_quarter": quarter,
                    "months_in_horizon": int(sel.sum()),
                    "china_dc_revenue_usd": float(gross[cols][:, sel].sum()),
                    "units": float(units[cols][:, sel].sum()),
                    "all_reported": bool(known[cols][:, sel].all()),
                }
            )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- comparison


def inside_bound(reported: float, modelled: float, bound: str) -> bool:
    """Whether the modelled figure satisfies the reported one.

    ``exact``: within :data:`RELATIVE_TOLERANCE` of the reported value (at least
    :data:`ABSOLUTE_TOLERANCE`); ``upper``: at most the reported value; ``lower``: at
    least it (both with the same allowance).
    """
    tol = max(ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE * abs(reported))
    if bound == "exact":
        return abs(modelled - reported) <= tol
    if bound == "upper":
        return modelled <= reported + tol
    return modelled >= reported - tol


@dataclass(frozen=True)
class _Match:
    status: str
    modelled: float = math.nan
    all_reported: bool = False


def _match(row: Mapping[str, Any], model: Mapping[tuple[str, str], Mapping[str, Any]]) -> _Match:
    vendors = {v for v, _ in model}
    if row["vendor"] not in vendors:
        return _Match(STATUS_UNKNOWN_VENDOR)
    q = model.get((row["vendor"], row["fiscal_quarter"]))
    if q is None:
        return _Match(STATUS_OUTSIDE)
    if q["months_in_horizon"] < MONTHS_PER_QUARTER:
        return _Match(STATUS_PARTIAL)
    column = MEASURES[row["measure"]]
    if column is None:
        return _Match(STATUS_NOT_MODELLED)
    return _Match(STATUS_COMPARED, float(q[column]), bool(q["all_reported"]))


def compare(reported: pd.DataFrame, modelled: pd.DataFrame, mode: str) -> pd.DataFrame:
    """Reported against modelled, one row per reported figure.

    Parameters
    ----------
    reported
        Rows as :func:`parse_reported` returns them.
    modelled
        Quarters as :func:`modelled_quarters` returns them.
    mode
        Label written in the ``mode`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``mode``, ``vendor``, ``fiscal_quarter``, ``measure``, ``bound``,
        ``reported``, ``modelled``, ``difference`` (modelled minus reported),
        ``inside_bound`` (True/False; empty unless compared), ``all_reported``,
        ``status``, ``source`` and ``basis``.
    """
    model = {(r["vendor"], r["fiscal_quarter"]): r for r in modelled.to_dict("records")}
    rows = []
    for r in reported.to_dict("records"):
        m = _match(r, model)
        compared = m.status == STATUS_COMPARED
        rows.append(
            {
                "mode": mode,
                "vendor": r["vendor"],
                "fiscal_quarter": r["fiscal_quarter"],
                "measure": r["measure"],
                "bound": r["bound"],
                "reported": r["value"],
                "modelled": m.modelled,
                "difference": m.modelled - r["value"] if compared else math.nan,
                "inside_bound": inside_bound(r["value"], m.modelled, r["bound"])
                if compared
                else None,
                "all_reported": m.all_reported,
                "status": m.status,
                "source": r["source"],
                "basis": r["basis"],
            }
        )
    return pd.DataFrame(rows)


def mode_variants(a: Assumptions, modes: Iterable[str]) -> dict[str, Assumptions]:
    """The assumptions each mode projects: as given, or :func:`backtest_assumptions`."""
    out = {}
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
        out[mode] = a if mode == "with-actuals" else backtest_assumptions(a)
    return out


def reconcile(a: Assumptions, reported: pd.DataFrame, modes: Sequence[str] = MODES) -> pd.DataFrame:
    """Reported against modelled in each mode, projected together in one call.

    Parameters
    ----------
    a
        Validated assumptions (the shipped base, or a user's file).
    reported
        Rows as :func:`parse_reported` or :func:`read_reported` return them.
    modes
        Any of :data:`MODES`, in the order the rows should come.

    Returns
    -------
    pandas.DataFrame
        :func:`compare`'s rows for every mode, stacked.
    """
    variants = mode_variants(a, modes)
    proj = project(Inputs.from_assumptions(list(variants.values())))
    frames = [
        compare(reported, modelled_quarters(proj, i), mode) for i, mode in enumerate(variants)
    ]
    return pd.concat(frames, ignore_index=True)
