"""Helpers for the workbook tests: shipped scenarios, named ranges, edits and the
Reconciliation sheet."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from python_calamine import CalamineWorkbook

from model import load
from model.engine import Projection
from model.loader import Loaded, apply_overrides, dump_assumptions, validate_raw
from model.outputs import SUPPLIER_PREFIX, series
from model.reconcile import STATUS_COMPARED, reconcile
from model.schema import Assumptions
from reports import layout as lay
from reports.export import shipped_reported
from reports.reconcile_sheet import HEADERS, TOP
from reports.workbook import build_workbook_bytes, output_ranges

from .conftest import BASE, ROOT, SCENARIOS

#: The version-1 files, frozen: stable cases whatever the shipped facts become.
V1 = ROOT / "tests" / "fixtures" / "v1"
V1_BASE = V1 / "base.yaml"
V1_SCENARIOS = sorted((V1 / "scenarios").glob("*.yaml"))

#: Workbook against core: the relative error of every value must stay within RTOL. Values
#: near zero are judged against FLOOR times the range's largest value: LibreOffice, like
#: Excel, snaps the difference of two nearly equal numbers (stock shipped to the last
#: chip) to exactly 0 where the core keeps a residue of about 1e-16 of the stock.
RTOL = 1e-9
FLOOR = 1e-6


def shipped() -> list[Loaded]:
    """The base and every shipped scenario, each on the base."""
    return [load(BASE)] + [load(BASE, s) for s in SCENARIOS]


def shipped_v1() -> list[Loaded]:
    """The frozen version-1 base and scenarios."""
    return [load(V1_BASE)] + [load(V1_BASE, s) for s in V1_SCENARIOS]


def v1(stem: str) -> Loaded:
    """One frozen version-1 scenario on its base."""
    return load(V1_BASE, V1 / "scenarios" / f"{stem}.yaml")


def export_one(
    a: Assumptions, name: str = "base", description: str = "", reconciliation: bool = True
) -> bytes:
    """One scenario's workbook, with the Reconciliation sheet of the shipped reported
    figures for its vendors (unless ``reconciliation`` is False)."""
    reported = shipped_reported(a) if reconciliation else None
    return build_workbook_bytes([a], [name], [description], reported=reported)


def export_shared(folder: Path, a: Assumptions, name: str) -> bytes:
    """``export_one(a, name)``, built once in a test run: the workbook is kept in
    ``folder`` (shared by the pytest-xdist workers) under a digest of its inputs, for the
    test files that each check the same shipped scenario's export."""
    key = json.dumps([a.model_dump(mode="json"), name], sort_keys=True).encode()
    path = folder / "exports" / f"{hashlib.sha256(key).hexdigest()}.xlsx"
    if path.is_file():
        return path.read_bytes()
    data = export_one(a, name)
    path.parent.mkdir(exist_ok=True)
    part = path.with_name(f"{path.stem}.{os.getpid()}.part")
    part.write_bytes(data)
    part.replace(path)  # whole or absent for a worker reading it at the same time
    return data


def reconciliation_rows(values_wb: openpyxl.Workbook) -> list[dict[str, Any]]:
    """The Reconciliation table, one mapping of header to value per reported figure."""
    rows = list(values_wb[lay.RECONCILIATION].iter_rows(min_row=TOP + 1, values_only=True))
    assert tuple(rows[0][: len(HEADERS)]) == HEADERS
    out = []
    for r in rows[1:]:
        if r[0] in (None, ""):
            break
        out.append(dict(zip(HEADERS, r, strict=False)))
    return out


def _close(got: Any, want: float) -> bool:
    """Equal within 1e-9 relative (1e-3 absolute: US$ or units)."""
    return isinstance(got, (int, float)) and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-3)


def reconciliation_errors(values_wb: openpyxl.Workbook, a: Assumptions) -> list[str]:
    """Where the sheet's live columns differ from the core's with-actuals comparison of
    ``a`` (every row's status; modelled, difference and flag of the compared ones)."""
    want = reconcile(a, shipped_reported(a), ("with-actuals",)).to_dict("records")
    got = reconciliation_rows(values_wb)
    bad = [f"{len(got)} rows, the core has {len(want)}"] if len(got) != len(want) else []
    for g, w in zip(got, want, strict=False):
        where = f"{w['vendor']} {w['fiscal_quarter']} {w['measure']}"
        if g["Status (live)"] != w["status"]:
            bad.append(f"{where}: status {g['Status (live)']!r}, the core {w['status']!r}")
        elif w["status"] == STATUS_COMPARED and not (
            _close(g["Modelled (live)"], w["modelled"])
            and _close(g["Difference (live)"], w["difference"])
            and g["Inside bound (live)"] == w["inside_bound"]
        ):
            bad.append(f"{where}: {g} vs the core {w}")
    return bad


def changed(a: Assumptions, overrides: Mapping[str, Any]) -> Assumptions:
    """``a`` with dotted-path overrides, validated."""
    raw, problems = apply_overrides(dump_assumptions(a), dict(overrides), "test")
    assert not problems, problems
    return validate_raw(raw, "test")


def open_book(path: Path, data_only: bool = False) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl cannot read charts back; irrelevant here
        return openpyxl.load_workbook(path, data_only=data_only)


class _Value:
    """A cell of a :class:`ValuesBook`: its value only."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class ValuesSheet:
    """One sheet of a :class:`ValuesBook`, answering as an openpyxl worksheet read with
    ``data_only=True`` does: ``ws["B4"].value``, ``ws["A1:C3"]`` (rows of cells) and
    ``ws.iter_rows(...)``; a cell outside the used area is empty (``None``)."""

    def __init__(self, title: str, rows: list[list[Any]]):
        self.title = title
        self._rows = [[_openpyxl_value(v) for v in row] for row in rows]
        self.max_row = len(self._rows)
        self.max_column = max((len(r) for r in self._rows), default=0)

    def value(self, row: int, column: int) -> Any:
        """The value at 1-based ``row`` and ``column``."""
        if row > self.max_row or column > len(self._rows[row - 1]):
            return None
        return self._rows[row - 1][column - 1]

    def __getitem__(self, coord: str) -> Any:
        if ":" not in coord:
            row, column = coordinate_to_tuple(coord)
            return _Value(self.value(row, column))
        min_col, min_row, max_col, max_row = range_boundaries(coord)
        return tuple(
            tuple(_Value(self.value(r, c)) for c in range(min_col, max_col + 1))
            for r in range(min_row, max_row + 1)
        )

    def iter_rows(
        self,
        min_row: int = 1,
        max_row: int | None = None,
        min_col: int = 1,
        max_col: int | None = None,
        values_only: bool = False,
    ) -> Iterator[tuple[Any, ...]]:
        for r in range(min_row, (max_row or self.max_row) + 1):
            row = tuple(self.value(r, c) for c in range(min_col, (max_col or self.max_column) + 1))
            yield row if values_only else tuple(_Value(v) for v in row)


class ValuesBook:
    """A workbook's values (formulas' saved results), read with python-calamine: the same
    values as openpyxl's ``load_workbook(path, data_only=True)`` in a tenth of the time,
    for the tests that read many workbooks. A test compares every cell, in workbooks
    LibreOffice saved and in the exporter's own; in the latter a formula's empty text
    result reads as ``None`` (openpyxl gives ``""``)."""

    def __init__(self, path: Path):
        book = CalamineWorkbook.from_path(str(path))
        self.sheetnames = list(book.sheet_names)
        self.worksheets = [
            ValuesSheet(name, book.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in self.sheetnames
        ]
        self._by_name = {ws.title: ws for ws in self.worksheets}

    def __getitem__(self, name: str) -> ValuesSheet:
        return self._by_name[name]


def _openpyxl_value(v: Any) -> Any:
    """A calamine value as openpyxl gives it: an empty cell ``None``, a date a
    ``datetime``. (A number is a ``float`` even where openpyxl, reading "1", gives ``int``:
    the values are equal.)"""
    if isinstance(v, str):
        return v if v else None
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return dt.datetime(v.year, v.month, v.day)
    return v


def names_book(path: Path) -> openpyxl.Workbook:
    """A workbook opened for its defined names only (read-only: no cell is parsed; the
    file is closed again, the names stay)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path, read_only=True)
    wb.close()
    return wb


def destination(wb: openpyxl.Workbook, name: str) -> tuple[str, str]:
    ((sheet, coord),) = wb.defined_names[name].destinations
    return sheet, coord.replace("$", "")


def read_named(names_wb: openpyxl.Workbook, values_wb: openpyxl.Workbook, name: str) -> list[Any]:
    """Values of a named range (located in ``names_wb``, read from ``values_wb``)."""
    sheet, coord = destination(names_wb, name)
    cells = values_wb[sheet][coord]
    if not isinstance(cells, tuple):
        return [cells.value]
    return [c.value for row in cells for c in row]


def expected(proj: Projection, variant: int, pid: str, metric: str) -> np.ndarray:
    j = proj.inputs.product_ids.index(pid)
    if metric.startswith(SUPPLIER_PREFIX):
        k = proj.inputs.supplier_ids.index(metric[len(SUPPLIER_PREFIX) :])
        return proj.money.suppliers[variant, j, k]
    return series(proj)[metric][variant, j]


def output_errors(
    names_wb: openpyxl.Workbook,
    values_wb: openpyxl.Workbook,
    a: Assumptions,
    proj: Projection,
    variant: int = 0,
    rtol: float = RTOL,
) -> tuple[float, list[str]]:
    """Worst relative error over every named output range, and the ranges beyond ``rtol``.

    ``rtol = 0`` asks for exact equality.
    """
    x = proj.inputs
    outs = output_ranges(a, x.supplier_ids, x.bom_members)
    assert outs, "no named output ranges to compare"
    worst, bad = 0.0, []
    for name, (pid, metric) in outs.items():
        got = read_named(names_wb, values_wb, name)
        want = expected(proj, variant, pid, metric)
        if len(got) != a.horizon.months or any(not isinstance(v, (int, float)) for v in got):
            bad.append(f"{name}: not {a.horizon.months} numbers: {got[:3]}…")
            continue
        g = np.asarray(got, dtype=float)
        scale = max(float(np.max(np.abs(want))), 1.0)
        err = np.abs(g - want) / np.maximum(np.abs(want), FLOOR * scale)
        i = int(np.argmax(err))
        worst = max(worst, float(err[i]))
        if err[i] > rtol:
            bad.append(f"{name}[{i}]: workbook {g[i]!r} vs core {want[i]!r}")
    return worst, bad


def set_inputs(src: Path, dst: Path, values: Mapping[str, Any]) -> None:
    """Copy a workbook with named cells changed (openpyxl drops every cached value)."""
    wb = open_book(src)
    for name, v in values.items():
        sheet, coord = destination(wb, name)
        wb[sheet][coord].value = v
    wb.save(dst)


#: A cell to change: a defined name, or (sheet, coordinate).
Where = str | tuple[str, str]


def edited_copies(src: Path, copies: Mapping[Path, Mapping[Where, Any]]) -> None:
    """Copies of a workbook, each with its own cells changed (named, or by sheet and
    coordinate), as :func:`set_inputs` makes them one by one: the workbook is read once
    for all, and every cell changed for a copy is put back (value and number format)
    before the next."""
    wb = open_book(src)
    for dst, cells in copies.items():
        before: list[tuple[Any, Any, str]] = []
        for where, value in cells.items():
            sheet, coord = destination(wb, where) if isinstance(where, str) else where
            cell = wb[sheet][coord]
            before.append((cell, cell.value, cell.number_format))
            cell.value = value
        wb.save(dst)
        for cell, value, number_format in reversed(before):
            cell.value = value
            cell.number_format = number_format
