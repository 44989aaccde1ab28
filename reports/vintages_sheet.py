"""The Vintages sheet: the value of the licence to each party as the facts stood at key
dates (docs/facts.md, "Value by vintage"; :mod:`model.vintages`).

One column per vintage (the date of its facts), one row per party and measure: the
total and NPV over the horizon, the cost of one more month of waiting, the expected
value over the vintage's scenario set where it carries one, and each vendor's
earnings-per-share effect. The figures come from projections of other assumptions
than the workbook's, so they are values from the Python core at export, labelled so,
with a chart of the parties' totals by vintage. The sheet prints on one page.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
import xlsxwriter
import xlsxwriter.worksheet

from model.analysis import party_label
from model.calendar import parse_month
from model.vintages import VALUE_PARTIES

from . import layout as lay
from .inputs_sheet import excel_value, write_text

SHEET = lay.VINTAGES
#: Measures of :func:`model.vintages.vintage_values` shown per party: (measure, column,
#: section title).
SECTIONS = (
    ("value", "total_usd", "Value over the horizon: total (US$ bn)"),
    ("value", "npv_usd", "Value over the horizon: NPV (US$ bn)"),
    (
        "next month",
        "total_usd",
        "Cost of one more month of waiting from the vintage's date (US$ bn)",
    ),
    ("expected value", "total_usd", "Expected value over the vintage's scenario set (US$ bn)"),
)
EPS_TITLE = "EPS effect, summed over the vendor's fiscal years in the horizon (US$ per share)"
NOTE = (
    "Each column restates the facts known at its date (a vintage file: a scenario on the "
    "shipped base) over the base's horizon.",
    "Values from the Python core at export: they do not recalculate, whatever the Inputs say.",
)
COL_LABEL, COL_UNIT, COL_FIRST = 0, 1, 2
TOP = 4


def write_vintages(
    wb: xlsxwriter.Workbook,
    ws: xlsxwriter.worksheet.Worksheet,
    values: pd.DataFrame,
    fmt: Mapping[str, Any],
) -> None:
    """The Vintages sheet from :func:`model.vintages.vintage_values`'s long frame.

    Parameters
    ----------
    wb, ws
        The workbook (for the chart) and the sheet, named :data:`SHEET`.
    values
        Columns ``vintage``, ``name``, ``as_of``, ``measure``, ``subject``,
        ``total_usd``, ``npv_usd``; one vintage per distinct ``vintage``, in order.
    """
    vintages = values.drop_duplicates("vintage")[["vintage", "name", "as_of"]]
    stems = list(vintages["vintage"])
    ws.write_string(
        0, 0, "Vintages: the value of the licence by the date of the facts", fmt["title"]
    )
    for r, line in enumerate(NOTE, start=1):
        ws.write_string(r, 0, line, fmt["note"])
    _columns(ws, vintages, fmt)
    table = _table(values)
    r, party_rows = TOP + 4, {}
    for measure, column, title in SECTIONS:
        if measure not in set(values["measure"]):
            continue
        ws.write_string(r, COL_LABEL, title, fmt["section"])
        for party in VALUE_PARTIES:
            r += 1
            if measure == "value" and column == "total_usd":
                party_rows[party] = r
            ws.write_string(r, COL_LABEL, party_label(party), fmt["label"])
            ws.write_string(r, COL_UNIT, "US$ bn", fmt["label"])
            cells = [_figure(table, (s, measure, party), column) for s in stems]
            _write_figures(ws, r, cells, fmt["static_usd_bn"])
        r += 2
    r = _eps(ws, values, table, stems, r, fmt)
    chart_row = r + 1
    _chart(wb, ws, party_rows, len(stems), chart_row)
    _setup(ws, len(stems), chart_row + 20)


def _columns(
    ws: xlsxwriter.worksheet.Worksheet, vintages: pd.DataFrame, fmt: Mapping[str, Any]
) -> None:
    """Header rows: the vintage's name, its date and its file."""
    ws.write_string(TOP, COL_LABEL, "Vintage", fmt["header"])
    ws.write_string(TOP, COL_UNIT, "Unit", fmt["header"])
    ws.write_string(TOP + 1, COL_LABEL, "Facts as of", fmt["bold"])
    ws.write_string(TOP + 2, COL_LABEL, "Vintage file", fmt["note"])
    for k, v in enumerate(vintages.itertuples()):
        c = COL_FIRST + k
        write_text(ws, TOP, c, str(v.name), fmt["header"])
        if v.as_of:
            day = dt.date(*parse_month(str(v.as_of)), 1)
            ws.write_number(TOP + 1, c, excel_value(day), fmt["static_date"])
        write_text(ws, TOP + 2, c, f"{v.vintage}.yaml", fmt["note"])
    ws.set_row(TOP, 45)


#: Figures by (vintage, measure, subject), then column.
Table = dict[tuple[str, str, str], dict[str, float]]


def _table(values: pd.DataFrame) -> Table:
    keys = zip(values["vintage"], values["measure"], values["subject"], strict=True)
    figures = values[["total_usd", "npv_usd"]].to_dict("records")
    return dict(zip(keys, figures, strict=True))


def _figure(table: Table, key: tuple[str, str, str], column: str) -> float:
    """A figure of the long frame; NaN where the vintage has none (no set, no EPS)."""
    held = table.get(key)
    return math.nan if held is None else float(held[column])


def _write_figures(ws: xlsxwriter.worksheet.Worksheet, r: int, cells: list[float], f: Any) -> None:
    for k, v in enumerate(cells):
        if math.isfinite(v):
            ws.write_number(r, COL_FIRST + k, v, f)
        else:
            ws.write_blank(r, COL_FIRST + k, None, f)


def _eps(
    ws: xlsxwriter.worksheet.Worksheet,
    values: pd.DataFrame,
    table: Table,
    stems: list[str],
    r: int,
    fmt: Mapping[str, Any],
) -> int:
    """Each vendor's EPS effect per vintage; returns the next free row."""
    vendors = list(dict.fromkeys(values.loc[values["measure"] == "eps", "subject"]))
    if not vendors:
        return r
    ws.write_string(r, COL_LABEL, EPS_TITLE, fmt["section"])
    for vendor in vendors:
        r += 1
        write_text(ws, r, COL_LABEL, str(vendor), fmt["label"])
        ws.write_string(r, COL_UNIT, "US$/share", fmt["label"])
        cells = [_figure(table, (s, "eps", vendor), "total_usd") for s in stems]
        _write_figures(ws, r, cells, fmt["static_eps"])
    return r + 2


def _chart(
    wb: xlsxwriter.Workbook,
    ws: xlsxwriter.worksheet.Worksheet,
    party_rows: Mapping[str, int],
    n: int,
    row: int,
) -> None:
    """Columns: each party's total over the horizon, vintage by vintage."""
    if not party_rows or not n:
        return
    chart = wb.add_chart({"type": "column"})
    last = COL_FIRST + n - 1
    cats = f"={lay.row_range(SHEET, TOP, COL_FIRST, last)}"
    for r in party_rows.values():
        chart.add_series(
            {
                "name": f"={lay.abs_ref(SHEET, r, COL_LABEL)}",
                "categories": cats,
                "values": f"={lay.row_range(SHEET, r, COL_FIRST, last)}",
            }
        )
    chart.set_title({"name": "Value over the horizon by vintage (US$ bn)"})
    chart.set_y_axis({"num_format": "#,##0,,,", "name": "US$ bn"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": 340})
    ws.insert_chart(row, COL_LABEL, chart)


def _setup(ws: xlsxwriter.worksheet.Worksheet, n: int, last_row: int) -> None:
    ws.set_column(COL_LABEL, COL_LABEL, 44)
    ws.set_column(COL_UNIT, COL_UNIT, 10)
    ws.set_column(COL_FIRST, COL_FIRST + max(n, 1) - 1, 23)
    ws.freeze_panes(TOP + 2, COL_FIRST)
    lay.page_setup(ws, SHEET)
    ws.print_area(0, 0, last_row, COL_FIRST + max(n, 1) - 1)
    ws.fit_to_pages(1, 1)


__all__ = ["SHEET", "write_vintages"]
