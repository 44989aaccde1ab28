"""What an export writes: for each scenario, its assumptions with their sources and the
description shown on the Scenarios sheet; the reported figures of the Reconciliation
sheet and the vintage values of the Vintages sheet, from the shipped data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from model.gate import InputError, Problem
from model.loader import Loaded
from model.reconcile import read_reported
from model.schema import Assumptions
from model.shipped import BASE, REPORTED_DIR, VINTAGES_DIR
from model.vintages import default_sets, load_vintages, vintage_files, vintage_values


def with_scenario_sources(lo: Loaded) -> Assumptions:
    """The scenario's own sources override the base's for the values it changes."""
    a = lo.assumptions
    if lo.scenario is None or not lo.scenario.sources:
        return a
    return a.model_copy(update={"sources": {**a.sources, **lo.scenario.sources}})


def scenario_description(lo: Loaded) -> str:
    """The scenario's description, or where the assumptions come from."""
    if lo.scenario is not None:
        return lo.scenario.description
    return f"The assumptions as given in {Path(lo.base_file).name}."


def shipped_reported(a: Assumptions, folder: str | Path = REPORTED_DIR) -> pd.DataFrame | None:
    """The reported figures of ``folder`` (the shipped ones by default) for the vendors
    of ``a``'s products: the Reconciliation sheet's rows, or None when there are none."""
    reported = read_reported(folder)
    vendors = {p.vendor for p in a.products}
    rows = reported[reported["vendor"].isin(vendors)].reset_index(drop=True)
    return rows if len(rows) else None


def is_shipped_base(path: str | Path) -> bool:
    """Whether ``path`` is the shipped base assumptions file."""
    try:
        return Path(path).resolve() == BASE.resolve()
    except OSError:
        return False


def shipped_vintages(base: str | Path = BASE, folder: str | Path = VINTAGES_DIR) -> pd.DataFrame:
    """The value of the licence by vintage: each vintage file of ``folder`` on ``base``,
    the base-itself vintage weighted by the shipped set (the ``vintages`` command's
    default); the Vintages sheet's figures."""
    files = vintage_files(folder)
    return vintage_values(base, load_vintages(base, files, default_sets(files)))


def optional_sheets(
    assumptions_file: str | Path,
    a: Assumptions,
    reconciliation: bool | None = None,
    vintages: bool | None = None,
) -> dict[str, pd.DataFrame | None]:
    """The data of the optional sheets, as keyword arguments of
    :func:`reports.workbook.build_workbook_bytes`.

    ``None`` chooses by default: the Reconciliation sheet when the shipped reported
    figures cover a vendor of ``a``'s products, the Vintages sheet when the file is the
    shipped base; ``True`` asks for the sheet (the vintages on ``assumptions_file``),
    ``False`` leaves it out.
    """
    reported = shipped_reported(a) if reconciliation is not False else None
    if reconciliation and reported is None:
        raise InputError(
            [Problem(str(REPORTED_DIR), "", "holds no reported figure for these vendors")]
        )
    want_vintages = is_shipped_base(assumptions_file) if vintages is None else vintages
    values = shipped_vintages(assumptions_file) if want_vintages else None
    return {"reported": reported, "vintages": values}
