"""Read the Inputs sheet of a workbook (ours, edited by a person) back into assumptions.

The file is checked before it is opened (size, zip container, no macros), every
cell is read with its own rule (numbers, whole numbers, months as dates, ``never``,
``none``, TRUE/FALSE, choices, text) and the result is validated by the schema. Every
problem is collected and names the sheet and the cell, e.g.
``Inputs!C45 (h200_asp_usd): Input should be greater than 0 (got -5.0)``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from openpyxl.utils import get_column_letter

from model.dotted import DottedPath, parse_path
from model.gate import MB, XLSX_LIMIT, InputError, Problem, read_bytes_limited
from model.loader import dump_assumptions, validate_raw
from model.schema import SECTIONS, Assumptions, ParamInfo, info_for, parse_text

from . import layout as lay
from .inputs_sheet import ALLOCATIONS_INFO, TABLE_SOURCE_HEADER, is_text

#: Largest workbook accepted, and what its zip may hold: members, bytes once expanded,
#: and how much more than its compressed size a member may expand to (a "zip bomb"
#: expands a few hundred kilobytes to gigabytes). Only members above RATIO_FLOOR
#: bytes are held to MAX_RATIO: a tiny file may compress very well.
MAX_BYTES = XLSX_LIMIT
MAX_MEMBERS = 1000
MAX_UNZIPPED_BYTES = 50 * MB
MAX_RATIO = 100
RATIO_FLOOR = 1 * MB
#: The Inputs sheet is read to this many rows and columns; content beyond is refused.
MAX_ROWS = 5000
MAX_COLS = 500
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam", ".xlsb")
_NULL_WORDS = {"", lay.NONE_TEXT, "null"}
_SCENARIO_HEADER = re.compile(r"^Scenario (\d+): ")
_SOURCE_HEADER = re.compile(r"^Source (\d+): ")
_TABLE_SOURCE_HEADER = re.compile("^" + TABLE_SOURCE_HEADER.split("{k}")[0] + r"(\d+): ")
#: Rows of the Inputs tables: a product's allocation batch or reported month.
_TABLE_PATH = re.compile(r"^products\.([^.]+)\.(china_allocations|actual_shipments)\.(.+)$")
_MONTH_INFO = ParamInfo("month", "product", "", "YYYY-MM", "month", "month")
_UNITS_INFO = ParamInfo("units", "product", "", "units", "number", "count", low=0.0)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class _CellError(Exception):
    """A value that breaks its cell's rule."""


# ---------------------------------------------------------------- the container


def _fail(name: str, rule: str) -> InputError:
    return InputError([Problem(name, "", rule)])


def read_container(path: Path) -> bytes:
    """The bytes of a plain ``.xlsx`` file whose zip is safe to open.

    Checked before any XML is parsed: the name, the size (:data:`MAX_BYTES`), the zip
    container, macros, and what the zip would expand to (:func:`check_zip`).
    """
    name = str(path)
    if path.suffix.lower() in MACRO_SUFFIXES:
        raise _fail(
            name,
            f"macro-enabled or binary workbooks ({path.suffix}) are not accepted: save it as .xlsx",
        )
    data = read_bytes_limited(path, MAX_BYTES, "workbooks")
    check_zip(data, name)
    return data


def check_container(path: Path) -> None:
    """Refuse what is not a plain ``.xlsx`` file of a sensible size."""
    read_container(path)


def check_zip(data: bytes, name: str) -> None:
    """Refuse a zip that is no workbook, holds macros, or expands beyond the budgets."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _fail(
            name,
            "is an old binary .xls workbook: save it as .xlsx"
            if data[:4] == _OLE_MAGIC
            else "is not an .xlsx workbook (not a zip archive)",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _fail(name, f"is a damaged zip archive ({exc})") from None
    if len(members) > MAX_MEMBERS:
        raise _fail(name, f"holds {len(members):,} files, more than a workbook's {MAX_MEMBERS:,}")
    names = [m.filename for m in members]
    if "xl/vbaProject.bin" in names:
        raise _fail(name, "contains macros (a VBA project): save it as a plain .xlsx workbook")
    if "xl/workbook.xml" not in names:
        raise _fail(name, "is a zip archive but not an .xlsx workbook")
    if len(set(names)) < len(names):
        raise _fail(name, "is a damaged zip archive (a file name appears twice)")
    for m in members:
        _check_member(m, name)
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise _fail(
            name,
            f"expands to {total / MB:,.0f} MB, more than the "
            f"{MAX_UNZIPPED_BYTES // MB} MB a workbook may hold (refused before reading)",
        )


def _check_member(m: zipfile.ZipInfo, name: str) -> None:
    if m.flag_bits & 0x1:
        raise _fail(name, f"is encrypted ({m.filename}): save it without a password")
    if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _fail(name, f"uses a compression method Excel does not write ({m.filename})")
    ratio = m.file_size / max(m.compress_size, 1)
    if m.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
        raise _fail(
            name,
            f"{m.filename} expands {ratio:,.0f} times ({m.compress_size / 1024:,.0f} KB to "
            f"{m.file_size / MB:,.0f} MB), more than {MAX_RATIO} times: refused as a "
            "possible zip bomb",
        )


@dataclass(frozen=True)
class _Cell:
    """One cell as read: its value and openpyxl's type letter (``f`` formula, ``e`` error)."""

    row: int
    column: int
    value: Any = None
    data_type: str = "n"

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"


class _Grid:
    """A sheet's cells, read once in read-only mode within :data:`MAX_ROWS` × :data:`MAX_COLS`."""

    def __init__(self, cells: dict[tuple[int, int], _Cell], max_row: int, max_column: int):
        self._cells = cells
        self.max_row = max_row
        self.max_column = max_column

    def cell(self, row: int, column: int) -> _Cell:
        return self._cells.get((row, column)) or _Cell(row, column)

    def iter_rows(
        self,
        min_row: int = 1,
        max_row: int | None = None,
        min_col: int = 1,
        max_col: int | None = None,
    ) -> Iterator[tuple[_Cell, ...]]:
        last_col = max_col or self.max_column
        for r in range(min_row, (max_row or self.max_row) + 1):
            yield tuple(self.cell(r, c) for c in range(min_col, last_col + 1))


def _read_grid(data: bytes, name: str, data_only: bool) -> _Grid | list[str]:
    """The Inputs sheet as a grid, or the workbook's sheet names when it has none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as exc:
        raise _fail(
            name, f"could not be read as an .xlsx workbook ({type(exc).__name__}: {exc})"
        ) from None
    try:
        if lay.INPUTS not in wb.sheetnames:
            return list(wb.sheetnames)
        ws = wb[lay.INPUTS]
        try:
            return _grid_of(ws, name)
        except _RowError as exc:
            raise _row_problem(data, getattr(ws, "_worksheet_path", ""), exc, name) from None
    finally:
        wb.close()


class _RowError(Exception):
    """A cell of this row that openpyxl could not read."""

    def __init__(self, row: int, cause: Exception):
        super().__init__(row, cause)
        self.row, self.cause = row, cause


_CELL_XML = re.compile(rb"<c\b([^>]*)>(.*?)</c>", re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_CELL_TYPE = re.compile(rb'\bt="([a-zA-Z]+)"')
_CELL_VALUE = re.compile(rb"<v>([^<]*)</v>")


def _row_problem(data: bytes, part: str, exc: _RowError, name: str) -> InputError:
    """Name the cell that could not be read: a number that is not one (``NaN``, ``inf``)."""
    with contextlib.suppress(KeyError, zipfile.BadZipFile, OSError, ValueError, zlib.error):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = zf.read(part)
        for m in _CELL_XML.finditer(xml):
            ref, kind = _CELL_REF.search(m.group(1)), _CELL_TYPE.search(m.group(1))
            value = _CELL_VALUE.search(m.group(2))
            if ref is None or int(ref.group(2)) != exc.row or value is None:
                continue
            if kind is not None and kind.group(1) != b"n":
                continue
            text = value.group(1).decode("utf-8", "replace")
            try:
                ok = math.isfinite(float(text))
            except ValueError:
                ok = False
            if not ok:
                where = f"{lay.INPUTS}!{ref.group(1).decode()}{exc.row}"
                return InputError(
                    [
                        Problem(
                            name, where, "must be a finite number (not NaN or infinity)", text, True
                        )
                    ]
                )
    cause = exc.cause
    return _fail(
        name,
        f"{lay.INPUTS} sheet: a cell in row {exc.row} cannot be read "
        f"({type(cause).__name__}: {cause})",
    )


def _grid_of(ws: Any, name: str) -> _Grid:
    cells: dict[tuple[int, int], _Cell] = {}
    ws.reset_dimensions()  # the file's own <dimension> may understate the sheet
    r = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for r, row in enumerate(ws.iter_rows(max_col=MAX_COLS), start=1):
                for c in row:
                    if c.value is None:
                        continue
                    if r > MAX_ROWS:
                        raise _fail(
                            name,
                            f"{lay.INPUTS} sheet has content beyond row {MAX_ROWS:,} "
                            f"({lay.INPUTS}!{c.coordinate}): the import reads {MAX_ROWS:,} rows",
                        )
                    cells[(r, c.column)] = _Cell(r, c.column, c.value, c.data_type)
    except InputError:
        raise
    except Exception as exc:
        raise _RowError(r + 1, exc) from None
    max_row = max((k[0] for k in cells), default=0)
    max_column = max((k[1] for k in cells), default=0)
    return _Grid(cells, max_row, max_column)


# ---------------------------------------------------------------- the sheet layout


@dataclass
class _Columns:
    header_row: int
    label: int
    name: int | None
    value: int
    source: int | None
    path: int
    visible: int = 0
    visible_source: int | None = None
    scenario_label: str = ""
    scenarios: dict[int, tuple[int, str]] = field(default_factory=dict)
    sources: dict[int, int] = field(default_factory=dict)
    #: Tables: the units column and the source column of the scenario read.
    table_units: int | None = None
    table_source: int | None = None
    table_sources: dict[int, int] = field(default_factory=dict)


def _find_columns(ws: _Grid, file: str) -> _Columns:
    """Locate the header row and the columns by their headers (robust to moved columns)."""
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 40)):
        heads = {str(c.value).strip(): c.column for c in row if isinstance(c.value, str)}
        if "YAML path" not in heads:
            continue
        value = heads.get("Value", heads.get("Value (active scenario)"))
        if value is None or "Parameter" not in heads:
            break
        cols = _Columns(
            header_row=row[0].row,
            label=heads["Parameter"],
            name=heads.get("Defined name"),
            value=value,
            source=heads.get("Source", heads.get("Source (active scenario)")),
            path=heads["YAML path"],
            visible=value,
            visible_source=heads.get("Source", heads.get("Source (active scenario)")),
            table_units=heads.get("Unit"),
        )
        cols.table_source = cols.source
        for text, col in heads.items():
            if m := _SCENARIO_HEADER.match(text):
                cols.scenarios[int(m.group(1))] = (col, text[m.end() :])
            elif m := _SOURCE_HEADER.match(text):
                cols.sources[int(m.group(1))] = col
            elif m := _TABLE_SOURCE_HEADER.match(text):
                cols.table_sources[int(m.group(1))] = col
        return cols
    raise InputError(
        [
            Problem(
                file,
                f"{lay.INPUTS} sheet",
                "has no header row with "
                "'Parameter', 'Value' and 'YAML path' columns (is this a "
                "workbook exported by this model?)",
            )
        ]
    )


def _choose_scenario(ws: _Grid, cols: _Columns, scenario: str | None, file: str) -> None:
    """With scenario columns, read the chosen (or the active) scenario's column."""
    if not cols.scenarios:
        if scenario is not None:
            raise InputError(
                [
                    Problem(
                        file, "--scenario", "the workbook holds one scenario; leave --scenario out"
                    )
                ]
            )
        return
    if scenario is not None:
        k = next((k for k, (_, n) in cols.scenarios.items() if n == scenario), None)
        if k is None and scenario.isdigit():
            k = int(scenario)
        if k not in cols.scenarios:
            choices = "; ".join(f"{k}: {n}" for k, (_, n) in sorted(cols.scenarios.items()))
            raise InputError(
                [
                    Problem(
                        file,
                        "--scenario",
                        f"no such scenario column (choose one of {choices})",
                        scenario,
                        True,
                    )
                ]
            )
    else:
        k = _active(ws, cols, file)
    cols.value, cols.scenario_label = cols.scenarios[k][0], cols.scenarios[k][1]
    cols.source = cols.sources.get(k)
    cols.table_units, cols.table_source = cols.sources.get(k), cols.table_sources.get(k)


def _active(ws: _Grid, cols: _Columns, file: str) -> int:
    for r in range(1, cols.header_row):
        if ws.cell(r, cols.label).value == lay.ACTIVE_LABEL:
            c = ws.cell(r, cols.value)
            v = c.value
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v not in cols.scenarios:
                raise InputError(
                    [
                        Problem(
                            file,
                            f"{lay.INPUTS}!{c.coordinate} (active_scenario)",
                            f"must be the number of a scenario column, 1 to {len(cols.scenarios)}",
                            v,
                            True,
                        )
                    ]
                )
            return int(v)
    raise InputError(
        [
            Problem(
                file,
                f"{lay.INPUTS} sheet",
                f"has scenario columns but no '{lay.ACTIVE_LABEL}' cell",
            )
        ]
    )


# ---------------------------------------------------------------- cell values


def _month(v: Any, info: ParamInfo) -> str:
    """A month cell: a date (any day of the month), or text ``YYYY-MM`` (``never`` where
    the input allows it), read by the schema's text parser."""
    if isinstance(v, (dt.datetime, dt.date)):
        return f"{v.year:04d}-{v.month:02d}"
    if isinstance(v, str) and v.strip():
        with contextlib.suppress(ValueError):
            month = parse_text(info, v)
            if month is not None:
                return str(month)
    words = {
        "month": "",
        "month_or_never": f" or '{lay.NEVER_TEXT}'",
        "month_or_null": f" or '{lay.NONE_TEXT}'",
    }[info.kind]
    got = "text" if isinstance(v, str) else "a number"
    raise _CellError(f"must be a date (a month){words}, not {got}")


def _number(v: Any, info: ParamInfo) -> Any:
    if isinstance(v, bool):
        raise _CellError("must be a number, not TRUE/FALSE")
    if isinstance(v, (dt.datetime, dt.date)):
        raise _CellError("must be a number, not a date")
    if isinstance(v, str):
        raise _CellError("must be a number, not text")
    if info.kind == "integer":
        if float(v).is_integer():
            return int(v)
        raise _CellError("must be a whole number")
    return float(v)


def convert(v: Any, info: ParamInfo, bom: bool = False) -> Any:
    """A cell's value as the YAML file holds it; raises :class:`_CellError`."""
    blank = v is None or (isinstance(v, str) and not v.strip())
    if is_text(info):
        return _text(v)
    optional = info.optional or info.kind == "month_or_null" or bom
    if optional and (blank or (isinstance(v, str) and v.strip().lower() in _NULL_WORDS)):
        return None
    if blank:
        raise _CellError("is empty: a value is required")
    if info.kind.startswith("month"):
        return _month(v, info)
    if info.kind == "bool":
        return _switch(v, info)
    if info.kind == "choice":
        if not isinstance(v, str):
            raise _CellError(f"must be one of {', '.join(info.choices)}")
        return _parsed(info, v.lower(), f"must be one of {', '.join(info.choices)}")
    return _number(v, info)


def _parsed(info: ParamInfo, text: str, rule: str) -> Any:
    """Text typed in a cell, read by the schema's text parser; ``rule`` when it fails."""
    try:
        return parse_text(info, text)
    except ValueError:
        raise _CellError(rule) from None


def _switch(v: Any, info: ParamInfo) -> bool:
    """TRUE/FALSE, or the words the schema reads as such (``true``, ``no``…) typed as text."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return bool(_parsed(info, v, "must be TRUE or FALSE"))
    raise _CellError("must be TRUE or FALSE")


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str:
    """Free text (names): a blank cell is the empty text; numbers typed as such are text."""
    if v is None:
        return ""
    if isinstance(v, (bool, dt.datetime, dt.date)):
        raise _CellError("must be text")
    if isinstance(v, (int, float)):
        return str(int(v)) if float(v).is_integer() else repr(v)
    return str(v)


# ---------------------------------------------------------------- reading


@dataclass
class _Reader:
    file: str
    ws: _Grid
    cols: _Columns
    load_cached: Callable[[], _Grid | None]
    raw: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=dict)
    _cached: list[_Grid | None] = field(default_factory=list)

    @property
    def cached(self) -> _Grid | None:
        """The cells' saved results (read once, and only when a formula needs them)."""
        if not self._cached:
            self._cached.append(self.load_cached())
        return self._cached[0]

    def cell_ref(self, row: int, path: str, col: int | None = None) -> str:
        name = self.ws.cell(row, self.cols.name).value if self.cols.name else None
        letter = get_column_letter(self.cols.value if col is None else col)
        return f"{lay.INPUTS}!{letter}{row} ({name or path})"

    def value(self, row: int, col: int) -> Any:
        c = self.ws.cell(row, col)
        if c.data_type == "f":
            cached = self.cached
            saved = cached.cell(row, col) if cached is not None else _Cell(row, col)
            if saved.value is None:
                raise _CellError(
                    "holds a formula whose result was never saved: type the value, "
                    "or open and save the workbook in Excel or LibreOffice first"
                )
            c = saved
        if c.data_type == "e":
            raise _CellError(f"holds an error value ({c.value}), not a value")
        if isinstance(c.value, float) and not math.isfinite(c.value):
            raise _CellError("must be a finite number (Excel holds no infinity or NaN)")
        return c.value

    def read(self) -> None:
        for r in range(self.cols.header_row + 1, self.ws.max_row + 1):
            path = self.ws.cell(r, self.cols.path).value
            if not isinstance(path, str) or not path.strip():
                continue
            path = path.strip()
            if m := _TABLE_PATH.match(path):
                self.table_row(r, m.group(1), m.group(2), path)
                continue
            if self.cols.source is not None:
                text = self.ws.cell(r, self.cols.source).value
                if text is not None and str(text) != "":
                    self.sources[path] = str(text)
            parsed = parse_path(path)
            if isinstance(parsed, str):
                continue
            if parsed.scope == "product" and parsed.key == "china_allocations":
                self.allocations_mode(r, path, str(parsed.product))
                continue
            info = info_for(parsed)
            if info is None:
                continue
            self.where[path] = self.cell_ref(r, path)
            bom = parsed.scope == "bom"
            try:
                v = convert(self.value(r, self.cols.value), info, bom)
            except _CellError as exc:
                got = self.ws.cell(r, self.cols.value).value
                self.problems.append(
                    Problem(self.file, self.where[path], str(exc), got, got is not None)
                )
                self.failed.add(path)
                continue
            self._check_visible(r, path, info, bom, v)
            # A blank vendor cell: the vendor is not in this scenario's table.
            absent = parsed.scope == "vendor" and _blank(self.ws.cell(r, self.cols.value).value)
            if not (bom and v is None) and not absent:
                self._put(parsed, v)

    def _check_visible(self, row: int, path: str, info: ParamInfo, bom: bool, v: Any) -> None:
        """Warn when the shown (active-scenario) value was typed over: the import ignores it.

        With several scenarios the Value column holds ``=INDEX(...)`` of the scenario
        columns, and the import reads a scenario column: a value typed into the Value
        column would otherwise be lost without a word.
        """
        col = self.cols.visible
        if not self.cols.scenarios or col == self.cols.value:
            return
        c = self.ws.cell(row, col)
        if c.data_type == "f" and "INDEX(" in str(c.value).upper():
            return  # the workbook's own formula, untouched
        try:
            shown = convert(self.value(row, col), info, bom)
        except _CellError:
            shown = c.value
        if shown != v:
            self.warnings.append(
                f"{self.file}: {self.cell_ref(row, path, col)}: the shown value was typed over "
                f"with {c.value!r}, which the import ignores: it reads "
                f"{lay.INPUTS}!{get_column_letter(self.cols.value)}{row} of scenario "
                f"'{self.cols.scenario_label}' ({v!r}); type changes in the scenario columns"
            )

    def product(self, pid: str) -> dict[str, Any]:
        """The raw mapping of product ``pid`` (created in sheet order)."""
        products = self.raw.setdefault("products", [])
        prod = next((p for p in products if p["id"] == pid), None)
        if prod is None:
            prod = {"id": pid}
            products.append(prod)
        return prod

    def allocations_mode(self, row: int, path: str, pid: str) -> None:
        """Product ``pid``'s China allocations: the batches table, or ``none`` (no limit)."""
        self.where[path] = self.cell_ref(row, path)
        try:
            v = convert(self.value(row, self.cols.value), ALLOCATIONS_INFO)
            if v not in ALLOCATIONS_INFO.choices:
                raise _CellError(f"must be one of {', '.join(ALLOCATIONS_INFO.choices)}")
        except _CellError as exc:
            got = self.ws.cell(row, self.cols.value).value
            self.problems.append(
                Problem(self.file, self.where[path], str(exc), got, got is not None)
            )
            self.failed.add(path)
            return
        self.modes[pid] = v
        prod = self.product(pid)
        if v == lay.NONE_TEXT:
            prod["china_allocations"] = None
        else:
            prod.setdefault("china_allocations", [])

    def table_row(self, row: int, pid: str, kind: str, path: str) -> None:
        """A row of the batches or actuals table: month, units and source. A row whose
        month and units are both blank is no row (a batch deleted, another scenario's, or
        a source kept without its value): only its source is kept, under its path."""
        units_col = self.cols.table_units or self.cols.value + 1
        try:
            month_v, units_v = self.value(row, self.cols.value), self.value(row, units_col)
            if _blank(month_v) and _blank(units_v):
                self.keep_source(row, path)
                return
            month, units = _month(month_v, _MONTH_INFO), _number(units_v, _UNITS_INFO)
        except _CellError as exc:
            where = self.cell_ref(row, f"products.{pid}.{kind}")
            self.problems.append(Problem(self.file, where, str(exc)))
            self.failed.add(f"products.{pid}.{kind}")
            return
        prod = self.product(pid)
        if kind == "china_allocations":
            if self.modes.get(pid) == lay.NONE_TEXT:
                return
            batches = prod.setdefault("china_allocations", [])
            batches.append({"month": month, "units": units})
            key = f"products.{pid}.china_allocations.{len(batches) - 1}"
        else:
            actuals = prod.setdefault("actual_shipments", {})
            actuals[month] = units
            key = f"products.{pid}.actual_shipments.{month}"
        self.where[key] = self.cell_ref(row, key)
        self.keep_source(row, key)

    def keep_source(self, row: int, key: str) -> None:
        """The row's source (a table's source column, else the parameters'), if any."""
        for col in (self.cols.table_source, self.cols.source):
            text = self.ws.cell(row, col).value if col is not None else None
            if text is not None and str(text) != "":
                self.sources[key] = str(text)
                return

    def _put(self, path: DottedPath, v: Any) -> None:
        """Put a value where its dotted path says in the raw assumptions."""
        if path.scope == "vendor":
            self.raw.setdefault("vendors", {}).setdefault(path.vendor, {})[path.key] = v
        elif path.product is not None and path.sub is not None:  # one value of a mapping
            self.product(path.product).setdefault(path.key, {})[path.sub] = v
        elif path.product is not None:
            self.product(path.product)[path.key] = v
        elif path.scope == "top":
            self.raw[path.key] = v
        else:
            self.raw.setdefault(path.section, {})[path.key] = v

    def locate(self, path: str) -> str:
        """The cell a schema problem at ``path`` points to: a problem of a whole product
        (``products.<id>``, such as its bill of materials) points to its unit cost."""
        if path in self.where:
            return self.where[path]
        return self.where.get(f"{path}.unit_cost_usd", f"{lay.INPUTS} sheet, {path}")


@dataclass(frozen=True)
class Imported:
    """Assumptions read from a workbook, and warnings about cells the import ignored."""

    assumptions: Assumptions
    warnings: tuple[str, ...] = ()


def import_inputs(path: str | Path, scenario: str | None = None) -> Imported:
    """Validated assumptions from the Inputs sheet of a workbook, with warnings.

    Parameters
    ----------
    path
        An ``.xlsx`` file exported by :func:`reports.workbook.build_workbook_bytes`,
        possibly edited and saved by Excel or LibreOffice.
    scenario
        With several scenario columns, the number or name of the one to read; by
        default the active scenario (``active_scenario``).

    Returns
    -------
    Imported
        The assumptions, and a warning for each shown value that was typed over while
        the import read a scenario column.

    Raises
    ------
    model.gate.InputError
        Every problem found, each naming the sheet and cell.
    """
    file = str(path)
    data = read_container(Path(path))
    ws = _read_grid(data, file, data_only=False)
    if isinstance(ws, list):
        raise _fail(file, f"has no sheet named '{lay.INPUTS}' (sheets: {', '.join(ws)})")
    cols = _find_columns(ws, file)
    _choose_scenario(ws, cols, scenario, file)

    def cached() -> _Grid | None:
        grid = _read_grid(data, file, data_only=True)
        return grid if isinstance(grid, _Grid) else None

    reader = _Reader(file, ws, cols, cached)
    reader.read()
    reader.raw["sources"] = reader.sources
    for section in SECTIONS:
        reader.raw.setdefault(section, {})
    try:
        a = validate_raw(reader.raw, file)
    except InputError as exc:
        more = [
            Problem(file, reader.locate(pr.path), pr.rule, pr.value, pr.has_value)
            for pr in exc.problems
            if pr.path not in reader.failed
        ]
        raise InputError(_in_sheet_order(reader.problems + more)) from None
    if reader.problems:
        raise InputError(_in_sheet_order(reader.problems))
    return Imported(a, tuple(reader.warnings))


def read_inputs(path: str | Path, scenario: str | None = None) -> Assumptions:
    """Validated assumptions from the Inputs sheet of a workbook (see :func:`import_inputs`)."""
    return import_inputs(path, scenario).assumptions


def _in_sheet_order(problems: list[Problem]) -> list[Problem]:
    """Problems top to bottom, as a person reads the sheet."""

    def row(p: Problem) -> int:
        m = re.match(r"^[^!]+![A-Z]+(\d+)", p.path)
        return int(m.group(1)) if m else 0

    return sorted(problems, key=row)


def assumptions_yaml(a: Assumptions, origin: str) -> str:
    """The YAML text of imported assumptions, with a one-line provenance header."""
    body = yaml.safe_dump(dump_assumptions(a), sort_keys=False, allow_unicode=True, width=100)
    return f"# Imported from the Inputs sheet of {origin}\n{body}"
