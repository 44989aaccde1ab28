"""A small writer for timeline sheets: line items down the rows, months across.

A sheet is described as sections of :class:`Series` (one formula per month) and
:class:`Scalar` (one value) items. Formulas are templates whose tokens name other
line items, so each reads like the spec:

``[X]``        the line item ``X`` of this sheet, same month
``[X-1]``      the same line item one month earlier (the opening column for ``t = 0``)
``[X@last]``   its last month
``[X@range]``  its whole horizon, as an absolute range
``[Time.X]``   a line item of the timeline (on the Summary sheet), same month
               (``[Time.X@range]`` too); other sheets by an alias of
               :attr:`Grid.aliases` (``[P0.R]``)
``[X@sofar]``  the line item from the opening column to this month, a growing range
               (``$F$12:G12``) for sums so far; ``[X@before]`` up to last month
``[X@symbol]`` the line item's symbol cell (``$B$12``): text compared by formulas

Every formula is written with its cached value, computed by the Python core, so the
file reads correctly without a recalculation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xlsxwriter
import xlsxwriter.worksheet

from . import layout as lay

_EPOCH = dt.date(1899, 12, 30)
_TOKEN = re.compile(r"\[(?:(\w+)\.)?(\w+)(?:(-1)|@(last|range|sofar|before|symbol))?\]")


@dataclass(frozen=True)
class Series:
    """A line item with one formula per month.

    ``total`` fills column D (``sum`` of the months or the ``last`` month); ``npv``
    fills column E with the discounted sum. ``opening`` is the formula (or constant)
    of column F, the balance before the first month, with its cached value.
    """

    key: str
    label: str
    symbol: str
    unit: str
    fmt: str
    template: str
    values: np.ndarray
    total: str = ""
    npv: bool = False
    name: str | None = None
    opening: tuple[str | float, Any] | None = None
    total_name: str | None = None
    npv_name: str | None = None


@dataclass(frozen=True)
class Scalar:
    """A line item with a single value in column D (optionally a defined name)."""

    key: str
    label: str
    symbol: str
    unit: str
    fmt: str
    formula: str | float
    value: Any
    name: str | None = None


@dataclass(frozen=True)
class Section:
    title: str
    items: Sequence[Series | Scalar]


@dataclass
class Grid:
    """Row numbers of every line item, per sheet, so sheets can reference each other."""

    months: int
    dates: np.ndarray
    discount: np.ndarray
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    #: Cached values of the timeline sheet's line items, by key (for the roll-ups).
    values: dict[str, Any] = field(default_factory=dict)
    #: Parsed formula templates by (template, sheet), for :func:`render`.
    templates: dict[tuple[str, str], list[Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.aliases.setdefault("Time", lay.TIMELINE)

    @property
    def t(self) -> np.ndarray:
        return np.arange(self.months, dtype=float)

    def row(self, sheet: str, key: str) -> int:
        return self.rows[sheet][key]

    def range(self, sheet: str, key: str) -> str:
        last = lay.month_col(self.months - 1)
        return lay.row_range(sheet, self.row(sheet, key), lay.COL_T0, last)


def layout_rows(
    sheet: str, sections: Sequence[Section], grid: Grid, first_row: int = lay.FIRST_BODY_ROW
) -> None:
    """Assign rows: a title row per section, then its items, a blank row between."""
    rows: dict[str, int] = {"date": lay.ROW_DATE, "t": lay.ROW_T}
    r = first_row
    for sec in sections:
        r += 1
        for item in sec.items:
            rows[item.key] = r
            r += 1
        r += 1
    grid.rows[sheet] = rows


def render(template: str, sheet: str, col: int, grid: Grid) -> str:
    """Replace the tokens of a template for month column ``col``.

    A template is parsed once per sheet (:func:`_parts`, kept in :attr:`Grid.templates`):
    a series renders the same template for every month, and only its cell references to
    the month's column change.
    """
    parts = grid.templates.get((template, sheet))
    if parts is None:
        parts = grid.templates[(template, sheet)] = _parts(template, sheet, grid)
    return "".join(
        p if isinstance(p, str) else f"{p[0]}{lay.col_name(col + p[1])}{p[2]}" for p in parts
    )


#: A part of a parsed template: text, or a reference to the month's column moved by an
#: offset, ``(text before the column letters, offset, text after them)``.
_Part = str | tuple[str, int, str]


def _parts(template: str, sheet: str, grid: Grid) -> list[_Part]:
    """A template as text and month-column references (see :func:`render`)."""
    last = lay.month_col(grid.months - 1)
    parts: list[_Part] = []

    def token(m: re.Match[str]) -> _Part:
        other, key, prev, what = m.groups()
        target = grid.aliases.get(other, other) if other else sheet
        row = grid.row(target, key)
        prefix = f"{lay.quote(target)}!" if other else ""
        if what == "range":
            return lay.row_range(target if other else None, row, lay.COL_T0, last)
        if what == "last":
            return prefix + lay.cell(row, last, True, True)
        if what == "symbol":
            return prefix + lay.cell(row, lay.COL_SYMBOL, True, True)
        if what in ("sofar", "before"):
            opening = lay.cell(row, lay.COL_OPEN, True, True)
            return (f"{prefix}{opening}:", -1 if what == "before" else 0, str(row + 1))
        fixed = bool(other) or key in ("t", "date")  # the timeline rows: G$6
        return (prefix, -1 if prev else 0, f"{'$' if fixed else ''}{row + 1}")

    end = 0
    for m in _TOKEN.finditer(template):
        parts.append(template[end : m.start()])
        parts.append(token(m))
        end = m.end()
    parts.append(template[end:])
    return [p for p in parts if p != ""]


def write_sheet(
    ws: xlsxwriter.worksheet.Worksheet,
    sheet: str,
    title: str,
    note: str,
    sections: Sequence[Section],
    grid: Grid,
    fmt: Mapping[str, Any],
    wb: xlsxwriter.Workbook,
    link_timeline: bool = True,
    fit_rows: int | None = None,
) -> None:
    """Write a timeline sheet laid out by :func:`layout_rows`.

    ``fit_rows``: the rows each printed page (one year of months) must hold; by default
    the scale only fits a year of months to the page width.
    """
    ws.write_string(lay.ROW_TITLE, 0, title, fmt["title"])
    ws.write_string(lay.ROW_NOTE, 0, note, fmt["note"])
    _header(ws, grid, fmt, link_timeline)
    rows = grid.rows[sheet]
    for sec in sections:
        first = min(rows[i.key] for i in sec.items)
        ws.write_string(first - 1, lay.COL_LABEL, sec.title, fmt["section"])
        for item in sec.items:
            r = rows[item.key]
            ws.write_string(r, lay.COL_LABEL, item.label, fmt["label"])
            ws.write_string(r, lay.COL_SYMBOL, item.symbol, fmt["label"])
            ws.write_string(r, lay.COL_UNIT, item.unit, fmt["label"])
            if isinstance(item, Scalar):
                _write_scalar(ws, wb, sheet, r, item, grid, fmt)
            else:
                _write_series(ws, wb, sheet, r, item, grid, fmt)
    _setup(ws, grid, title, fit_rows)


def _header(
    ws: xlsxwriter.worksheet.Worksheet, grid: Grid, fmt: Mapping[str, Any], link: bool
) -> None:
    for c, text in (
        (lay.COL_LABEL, "Line item"),
        (lay.COL_SYMBOL, "Symbol"),
        (lay.COL_UNIT, "Unit"),
        (lay.COL_TOTAL, "Total / value"),
        (lay.COL_NPV, "NPV"),
        (lay.COL_OPEN, "Opening"),
    ):
        ws.write_string(lay.ROW_HEADER, c, text, fmt["header"])
    ws.write_string(lay.ROW_DATE, lay.COL_LABEL, "Month", fmt["bold"])
    ws.write_string(lay.ROW_T, lay.COL_LABEL, "Period t", fmt["bold"])
    if not link:
        return
    dates, ts = grid.dates, grid.t
    for t in range(grid.months):
        c = lay.month_col(t)
        ws.write_blank(lay.ROW_HEADER, c, None, fmt["header"])
        ws.write_formula(
            lay.ROW_DATE,
            c,
            f"={lay.ref(lay.TIMELINE, lay.ROW_DATE, c, row_abs=True)}",
            fmt["link_date"],
            dates[t],
        )
        ws.write_formula(
            lay.ROW_T,
            c,
            f"={lay.ref(lay.TIMELINE, lay.ROW_T, c, row_abs=True)}",
            fmt["link_integer"],
            ts[t],
        )


def _write_scalar(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    sheet: str,
    r: int,
    item: Scalar,
    grid: Grid,
    fmt: Mapping[str, Any],
) -> None:
    if isinstance(item.formula, str):
        formula = render(item.formula, sheet, lay.COL_TOTAL, grid)
        ws.write_formula(r, lay.COL_TOTAL, formula, fmt[item.fmt], _cached(item.value))
    else:
        ws.write_number(r, lay.COL_TOTAL, item.formula, fmt["const_" + item.fmt])
    if item.name:
        wb.define_name(item.name, f"={lay.abs_ref(sheet, r, lay.COL_TOTAL)}")


def _write_series(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    sheet: str,
    r: int,
    item: Series,
    grid: Grid,
    fmt: Mapping[str, Any],
) -> None:
    f = fmt[item.fmt]
    for t in range(grid.months):
        c = lay.month_col(t)
        ws.write_formula(r, c, render(item.template, sheet, c, grid), f, _cached(item.values[t]))
    last = lay.month_col(grid.months - 1)
    rng = lay.row_range(None, r, lay.COL_T0, last)
    if item.total == "sum":
        ws.write_formula(r, lay.COL_TOTAL, f"=SUM({rng})", f, float(np.sum(item.values)))
    elif item.total == "last":
        ws.write_formula(r, lay.COL_TOTAL, f"={lay.cell(r, last)}", f, _cached(item.values[-1]))
    if item.npv:
        ws.write_formula(
            r,
            lay.COL_NPV,
            f"=SUMPRODUCT({rng},{grid.range(lay.TIMELINE, 'discount')})",
            f,
            float(np.sum(item.values * grid.discount)),
        )
    for name, col in ((item.total_name, lay.COL_TOTAL), (item.npv_name, lay.COL_NPV)):
        if name:
            wb.define_name(name, f"={lay.abs_ref(sheet, r, col)}")
    if item.opening is not None:
        formula, value = item.opening
        if isinstance(formula, str):
            ws.write_formula(
                r, lay.COL_OPEN, render(formula, sheet, lay.COL_OPEN, grid), f, _cached(value)
            )
        else:
            ws.write_number(r, lay.COL_OPEN, formula, fmt["const_" + item.fmt])
    if item.name:
        wb.define_name(item.name, f"={lay.row_range(sheet, r, lay.COL_T0, last)}")


def _cached(value: Any) -> Any:
    """A cached formula result as XlsxWriter writes it; infinities have no place in a cell."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return value
    if not np.isfinite(value):
        raise ValueError(f"a formula's cached value must be finite, not {value}")
    return float(value)


#: Column widths (characters) of the timeline sheets: label, symbol, unit, total, NPV,
#: opening, then each month.
WIDTHS = (32, 15, 9, 13, 13, 11)
MONTH_WIDTH = 11


def year_breaks(grid: Grid) -> list[int]:
    """Columns before which a printed page starts: each January after the first month,
    so that every page holds one calendar year of months (at most twelve)."""
    out = []
    for t in range(1, grid.months):
        day = _EPOCH + dt.timedelta(days=int(grid.dates[t]))
        if day.month == 1:
            out.append(lay.month_col(t))
    return out


def _setup(
    ws: xlsxwriter.worksheet.Worksheet, grid: Grid, title: str, fit_rows: int | None
) -> None:
    for c, w in enumerate(WIDTHS):
        ws.set_column(c, c, w)
    ws.set_column(lay.COL_T0, lay.month_col(grid.months - 1), MONTH_WIDTH)
    ws.freeze_panes(lay.ROW_T + 1, lay.COL_T0)
    ws.repeat_rows(lay.ROW_HEADER, lay.ROW_T)
    ws.repeat_columns(lay.COL_LABEL, lay.COL_UNIT)
    lay.page_setup(ws, title)
    width = sum(lay.column_px(w) for w in WIDTHS) + 12 * lay.column_px(MONTH_WIDTH)
    ws.set_print_scale(lay.print_scale(width, fit_rows))
    ws.set_v_pagebreaks(year_breaks(grid))
