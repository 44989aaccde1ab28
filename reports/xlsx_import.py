"""Read the Inputs sheet of a workbook (ours, edited by a person) back into assumptions.

The file is checked before it is opened (size, zip container, no macros), every
cell is read with its own rule (numbers, whole numbers, months as dates, ``never``,
``none``, TRUE/FALSE, choices, text) and the result is validated by the schema. Every
problem is collected and names the sheet and the cell, e.g.
``Inputs!C45 (h200_asp_usd): Input should be greater than 0 (got -5.0)``.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from model.loader import InputError, Problem, dump_assumptions, validate_raw
from model.schema import MONTH_RE, NEVER, SECTIONS, Assumptions, ParamInfo, param_info

from . import layout as lay
from .inputs_sheet import is_text

#: Largest workbook accepted, and the most its zip may expand to.
MAX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam", ".xlsb")
_NULL_WORDS = {"", lay.NONE_TEXT, "null"}
_SCENARIO_HEADER = re.compile(r"^Scenario (\d+): ")
_SOURCE_HEADER = re.compile(r"^Source (\d+): ")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class _CellError(Exception):
    """A value that breaks its cell's rule."""


# ---------------------------------------------------------------- the container


def check_container(path: Path) -> None:
    """Refuse what is not a plain ``.xlsx`` file of a sensible size."""
    name = str(path)
    if not path.is_file():
        raise InputError(
            [Problem(name, "", "file not found" if not path.exists() else "is not a regular file")]
        )
    if path.suffix.lower() in MACRO_SUFFIXES:
        raise InputError(
            [
                Problem(
                    name,
                    "",
                    f"macro-enabled or binary workbooks "
                    f"({path.suffix}) are not accepted: save it as .xlsx",
                )
            ]
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(
            [
                Problem(
                    name,
                    "",
                    f"is {size / 1e6:.1f} MB, over the import limit "
                    f"of {MAX_BYTES // (1024 * 1024)} MB",
                )
            ]
        )
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            old = fh.read(4) == _OLE_MAGIC
        raise InputError(
            [
                Problem(
                    name,
                    "",
                    "is an old binary .xls workbook: save it as .xlsx"
                    if old
                    else "is not an .xlsx workbook (not a zip archive)",
                )
            ]
        )
    with zipfile.ZipFile(path) as zf:
        members = zf.infolist()
        names = {m.filename for m in members}
        if "xl/vbaProject.bin" in names:
            raise InputError(
                [
                    Problem(
                        name,
                        "",
                        "contains macros (a VBA project): save it as a plain .xlsx workbook",
                    )
                ]
            )
        if "xl/workbook.xml" not in names:
            raise InputError([Problem(name, "", "is a zip archive but not an .xlsx workbook")])
        if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise InputError(
                [
                    Problem(
                        name, "", f"expands to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB"
                    )
                ]
            )


def _open(path: Path, data_only: bool) -> openpyxl.Workbook:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, data_only=data_only)
    except Exception as exc:
        raise InputError(
            [
                Problem(
                    str(path),
                    "",
                    f"could not be read as an .xlsx workbook ({type(exc).__name__}: {exc})",
                )
            ]
        ) from None


# ---------------------------------------------------------------- the sheet layout


@dataclass
class _Columns:
    header_row: int
    label: int
    name: int | None
    value: int
    source: int | None
    path: int
    scenario_label: str = ""
    scenarios: dict[int, tuple[int, str]] = field(default_factory=dict)
    sources: dict[int, int] = field(default_factory=dict)


def _find_columns(ws: Worksheet, file: str) -> _Columns:
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
        )
        for text, col in heads.items():
            if m := _SCENARIO_HEADER.match(text):
                cols.scenarios[int(m.group(1))] = (col, text[m.end() :])
            elif m := _SOURCE_HEADER.match(text):
                cols.sources[int(m.group(1))] = col
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


def _choose_scenario(ws: Worksheet, cols: _Columns, scenario: str | None, file: str) -> None:
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


def _active(ws: Worksheet, cols: _Columns, file: str) -> int:
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
    if isinstance(v, (dt.datetime, dt.date)):
        return f"{v.year:04d}-{v.month:02d}"
    if isinstance(v, str):
        text = v.strip()
        if text.lower() == NEVER and info.kind == "month_or_never":
            return NEVER
        if MONTH_RE.match(text):
            return text
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
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.strip().lower() in ("true", "false"):
            return v.strip().lower() == "true"
        raise _CellError("must be TRUE or FALSE")
    if info.kind == "choice":
        if not isinstance(v, str):
            raise _CellError(f"must be one of {', '.join(info.choices)}")
        return v.strip().lower()
    return _number(v, info)


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
    ws: Worksheet
    cols: _Columns
    cached: Worksheet | None
    raw: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def cell_ref(self, row: int, path: str) -> str:
        name = self.ws.cell(row, self.cols.name).value if self.cols.name else None
        return f"{lay.INPUTS}!{get_column_letter(self.cols.value)}{row} ({name or path})"

    def value(self, row: int, col: int) -> Any:
        c = self.ws.cell(row, col)
        if c.data_type != "f":
            return c.value
        v = self.cached.cell(row, col).value if self.cached is not None else None
        if v is None:
            raise _CellError(
                "holds a formula whose result was never saved: type the value, "
                "or open and save the workbook in Excel or LibreOffice first"
            )
        return v

    def read(self) -> None:
        for r in range(self.cols.header_row + 1, self.ws.max_row + 1):
            path = self.ws.cell(r, self.cols.path).value
            if not isinstance(path, str) or not path.strip():
                continue
            path = path.strip()
            if self.cols.source is not None:
                text = self.ws.cell(r, self.cols.source).value
                if text is not None and str(text) != "":
                    self.sources[path] = str(text)
            info = param_info(path)
            if info is None:
                continue
            self.where[path] = self.cell_ref(r, path)
            try:
                bom = ".bom_usd_per_unit." in path
                v = convert(self.value(r, self.cols.value), info, bom)
            except _CellError as exc:
                got = self.ws.cell(r, self.cols.value).value
                self.problems.append(
                    Problem(self.file, self.where[path], str(exc), got, got is not None)
                )
                self.failed.add(path)
                continue
            if not (bom and v is None):
                self._put(path, v)

    def _put(self, path: str, v: Any) -> None:
        parts = path.split(".")
        if parts[0] == "products":
            products = self.raw.setdefault("products", [])
            prod = next((p for p in products if p["id"] == parts[1]), None)
            if prod is None:
                prod = {"id": parts[1]}
                products.append(prod)
            if len(parts) == 4:
                prod.setdefault("bom_usd_per_unit", {})[parts[3]] = v
            else:
                prod[parts[2]] = v
        elif len(parts) == 1:
            self.raw[parts[0]] = v
        else:
            self.raw.setdefault(parts[0], {})[parts[1]] = v

    def locate(self, path: str) -> str:
        """The cell a schema problem at ``path`` points to."""
        if path in self.where:
            return self.where[path]
        parts = path.split(".")
        if parts[0] == "products" and len(parts) == 2:
            unit_cost = f"products.{parts[1]}.unit_cost_usd"
            if unit_cost in self.where:
                return self.where[unit_cost]
        return f"{lay.INPUTS} sheet, {path}"


def read_inputs(path: str | Path, scenario: str | None = None) -> Assumptions:
    """Validated assumptions from the Inputs sheet of a workbook.

    Parameters
    ----------
    path
        An ``.xlsx`` file exported by :func:`reports.workbook.build_workbook_bytes`,
        possibly edited and saved by Excel or LibreOffice.
    scenario
        With several scenario columns, the number or name of the one to read; by
        default the active scenario (``active_scenario``).

    Raises
    ------
    model.loader.InputError
        Every problem found, each naming the sheet and cell.
    """
    p = Path(path)
    file = str(path)
    check_container(p)
    wb = _open(p, data_only=False)
    if lay.INPUTS not in wb.sheetnames:
        raise InputError(
            [
                Problem(
                    file,
                    "",
                    f"has no sheet named '{lay.INPUTS}' (sheets: {', '.join(wb.sheetnames)})",
                )
            ]
        )
    ws = wb[lay.INPUTS]
    cols = _find_columns(ws, file)
    _choose_scenario(ws, cols, scenario, file)
    has_formulas = any(
        c.data_type == "f"
        for row in ws.iter_rows(min_row=cols.header_row + 1, min_col=cols.value, max_col=cols.value)
        for c in row
    )
    cached = _open(p, data_only=True)[lay.INPUTS] if has_formulas else None
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
    return a


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
