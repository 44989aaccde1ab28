"""The Reconciliation sheet: what the vendors reported against the model, per vendor
fiscal quarter (docs/facts.md, "Reconciliation"; :mod:`model.reconcile`).

One row per reported figure: the vendor, its fiscal quarter, the measure, the reported
value with its bound (``exact``, ``upper``, ``lower``), source and basis; then the
model's figure as a **live formula**: the calculation sheets' China revenue ``R`` (or
shipments ``X``) summed over the vendor's products and the months of that fiscal
quarter, on the vendor's own fiscal calendar (the Summary's ``fy``/``fq`` rows). So the
modelled column follows every input edit: prices, volumes, dates, a product's vendor,
a vendor's fiscal year end. The difference and the inside-bound flag are live too.

The backtest (the model without reported actuals and later China batches, as known at
the horizon start) needs a second projection: its columns are values from the Python
core at export, labelled so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import xlsxwriter
import xlsxwriter.worksheet

from model.analysis import Results
from model.calendar import FISCAL_QUARTER_RE
from model.reconcile import (
    ABSOLUTE_TOLERANCE,
    MEASURES,
    MONTHS_PER_QUARTER,
    RELATIVE_TOLERANCE,
    STATUS_COMPARED,
    STATUS_NOT_MODELLED,
    STATUS_OUTSIDE,
    STATUS_PARTIAL,
    STATUS_UNKNOWN_VENDOR,
    compare,
    modelled_quarters,
    reconcile,
)

from . import layout as lay
from .calc_sheets import vendor_products, vendor_tag
from .grid import Grid
from .inputs_sheet import write_text

SHEET = lay.RECONCILIATION
#: Measure -> (words, unit, cell format, line item of the calculation sheets summed).
MEASURE_ROWS: dict[str, tuple[str, str, str, str | None]] = {
    "china_dc_revenue_usd": ("China data-centre revenue", lay.MONEY_UNIT, "usd", "R"),
    "units": ("China shipments", "units", "units", "X"),
    "inventory_charge_usd": ("Inventory charge", lay.MONEY_UNIT, "usd", None),
}
HEADERS = (
    "Vendor",
    "Fiscal quarter",
    "FY",
    "Q",
    "Measure",
    "Unit",
    "Bound",
    "Reported",
    "Months in horizon",
    "Modelled (live)",
    "Difference (live)",
    "Inside bound (live)",
    "Status (live)",
    "Backtest: modelled",
    "Backtest: difference",
    "Backtest: inside bound",
)
COL = {h: c for c, h in enumerate(HEADERS)}
WIDTHS = (8, 10, 5, 3, 23, 6, 6, 10, 7, 10, 10, 7, 26, 10, 10, 8)
TOP = 6
#: The figures are compared over full quarters only.
_FULL = MONTHS_PER_QUARTER
#: The block of sources below the table: (title, first column, last column) of each part.
SOURCE_PARTS = (
    ("Reported figure", COL["Vendor"], COL["Measure"]),
    ("Source", COL["Unit"], COL["Inside bound (live)"]),
    ("Basis", COL["Status (live)"], COL["Backtest: inside bound"]),
)
#: Characters of wrapped text per unit of column width, in LibreOffice's fallback font
#: (narrower than Excel's Calibri), and points per line.
CHARS_PER_WIDTH, LINE_PT = 1.1, 12.5


@dataclass(frozen=True)
class _Refs:
    """Where the live formulas read: per vendor, its fiscal-calendar rows; per product,
    its sheet, its vendor input and its line items."""

    fiscal: dict[str, tuple[str, str]]  # vendor -> (fiscal-year range, fiscal-quarter range)
    products: list[tuple[str, str]]  # (sheet, vendor input name) per product
    grid: Grid


def reported_rows(res: Results, reported: pd.DataFrame) -> pd.DataFrame:
    """The rows of the sheet: each reported figure with the model's figures of the
    first scenario, with actuals (``modelled`` …) and in the backtest (``bt_`` …).

    The with-actuals side reads the projection already made; the backtest projects once
    more (:func:`model.reconcile.reconcile`).
    """
    quarters = modelled_quarters(res.projection, 0)
    live = compare(reported, quarters, "with-actuals").reset_index(drop=True)
    live["months"], live["sum"] = _quarter_figures(live, quarters)
    back = reconcile(res.variants[0], reported, ("backtest",))
    back = back[["modelled", "difference", "inside_bound"]].add_prefix("bt_")
    return pd.concat([live, back.reset_index(drop=True)], axis=1)


def _quarter_figures(rows: pd.DataFrame, quarters: pd.DataFrame) -> tuple[list[int], list[float]]:
    """Per row, the months of its quarter in the horizon and the model's figure over
    them (a partial quarter's too, which the comparison leaves out); 0 and NaN when the
    quarter is outside the horizon or the measure is not modelled."""
    by_key = quarters.set_index(["vendor", "fiscal_quarter"])
    months, sums = [], []
    for r in rows.itertuples():
        key = (r.vendor, r.fiscal_quarter)
        held = key in by_key.index
        column = MEASURES.get(str(r.measure))
        months.append(int(by_key.loc[key, "months_in_horizon"]) if held else 0)
        sums.append(float(by_key.loc[key, column]) if held and column else math.nan)
    return months, sums


def write_reconciliation(
    ws: xlsxwriter.worksheet.Worksheet,
    res: Results,
    reported: pd.DataFrame,
    grid: Grid,
    sheets: Sequence[str],
    fmt: Mapping[str, Any],
) -> None:
    """The Reconciliation sheet for the first scenario's exported figures.

    Parameters
    ----------
    ws
        The sheet, named :data:`SHEET`.
    res
        The core's results of the exported scenarios (the first is the active one).
    reported
        Rows as :func:`model.reconcile.read_reported` returns them.
    grid
        The laid-out timeline sheets (rows of ``R``, ``X`` and the vendors' calendars).
    sheets
        The calculation sheet of each product, in product order.
    """
    rows = reported_rows(res, reported).to_dict("records")
    refs = _references(res, grid, sheets)
    _head(ws, res, fmt)
    for i, r in enumerate(rows):
        _write_row(ws, TOP + 1 + i, r, refs, fmt)
    last = TOP + max(len(rows), 1)
    for col in (COL["Inside bound (live)"], COL["Backtest: inside bound"]):
        lay.flag_booleans(ws, f"{lay.cell(TOP + 1, col)}:{lay.cell(last, col)}", fmt)
    end = _write_sources(ws, rows, last + 2, fmt)
    _setup(ws, end)


def _references(res: Results, grid: Grid, sheets: Sequence[str]) -> _Refs:
    fiscal = {
        vendor: (
            grid.range(lay.TIMELINE, f"fy_{vendor_tag(k)}"),
            grid.range(lay.TIMELINE, f"fq_{vendor_tag(k)}"),
        )
        for k, vendor in enumerate(vendor_products(res.projection))
    }
    pids = res.projection.inputs.product_ids
    products = [
        (sheet, lay.product_input_name(pid, "vendor"))
        for sheet, pid in zip(sheets, pids, strict=True)
    ]
    return _Refs(fiscal, products, grid)


def _head(ws: xlsxwriter.worksheet.Worksheet, res: Results, fmt: Mapping[str, Any]) -> None:
    ws.write_string(
        0, 0, "Reconciliation: reported vs modelled, by vendor fiscal quarter", fmt["title"]
    )
    tol = f"{RELATIVE_TOLERANCE:.0%} (at least {ABSOLUTE_TOLERANCE:g})"
    notes = (
        f"Money in {lay.MONEY_UNIT}. Live columns sum the calculation sheets' China revenue R "
        "(shipments X) over the vendor's products and the quarter's months,",
        "on the vendor's own fiscal calendar: they follow every input edit. An exact figure "
        f"matches within {tol}; upper and lower bounds allow the same.",
        f"Backtest columns: values from the Python core at export for '{res.names[0]}' without "
        "reported actuals and China's batches after the horizon start;",
        "they do not recalculate (the Checks sheet says whether the inputs changed since).",
    )
    for r, line in enumerate(notes, start=1):
        write_text(ws, r, 0, line, fmt["note"])
    for c, h in enumerate(HEADERS):
        ws.write_string(TOP, c, h, fmt["header"])
    ws.set_row(TOP, 45)


def _write_row(
    ws: xlsxwriter.worksheet.Worksheet,
    r: int,
    row: Mapping[str, Any],
    refs: _Refs,
    fmt: Mapping[str, Any],
) -> None:
    words, unit, kind, item = MEASURE_ROWS.get(row["measure"], (row["measure"], "", "usd", None))
    m = FISCAL_QUARTER_RE.match(str(row["fiscal_quarter"]))
    fy, q = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    texts = (
        ("Vendor", row["vendor"]),
        ("Fiscal quarter", row["fiscal_quarter"]),
        ("Measure", words),
        ("Unit", unit),
        ("Bound", row["bound"]),
    )
    for header, text in texts:
        write_text(ws, r, COL[header], str(text), fmt["label"])
    ws.write_number(r, COL["FY"], fy, fmt["const_integer"])
    ws.write_number(r, COL["Q"], q, fmt["const_integer"])
    ws.write_number(r, COL["Reported"], float(row["reported"]), fmt["const_" + kind])
    fiscal = refs.fiscal.get(row["vendor"])
    if fiscal is None:
        write_text(ws, r, COL["Status (live)"], STATUS_UNKNOWN_VENDOR, fmt["label"])
    else:
        _write_live(ws, r, row, refs, fiscal, item, kind, fmt)
    _write_backtest(ws, r, row, kind, fmt)


def _write_live(
    ws: xlsxwriter.worksheet.Worksheet,
    r: int,
    row: Mapping[str, Any],
    refs: _Refs,
    fiscal: tuple[str, str],
    item: str | None,
    kind: str,
    fmt: Mapping[str, Any],
) -> None:
    """Months in the horizon, the modelled figure, difference, flag and status."""
    c = {h: lay.cell(r, col, col_abs=True) for h, col in COL.items()}
    fy_rng, fq_rng = fiscal
    months = float(row["months"])
    ws.write_formula(
        r,
        COL["Months in horizon"],
        f"=COUNTIFS({fy_rng},{c['FY']},{fq_rng},{c['Q']})",
        fmt["integer"],
        months,
    )
    if item is None:
        write_text(ws, r, COL["Status (live)"], STATUS_NOT_MODELLED, fmt["label"])
        return
    terms = "+".join(
        f"({vendor}={c['Vendor']})*SUMIFS("
        f"{refs.grid.range(sheet, item)},{fy_rng},{c['FY']},{fq_rng},{c['Q']})"
        for sheet, vendor in refs.products
    )
    n, got, rep = c["Months in horizon"], c["Modelled (live)"], c["Reported"]
    full = months == _FULL
    ws.write_formula(
        r,
        COL["Modelled (live)"],
        f'=IF({n}=0,"",{terms})',
        fmt[kind],
        float(row["sum"]) if months else "",
    )
    ws.write_formula(
        r,
        COL["Difference (live)"],
        f'=IF({n}={_FULL},{got}-{rep},"")',
        fmt[kind],
        float(row["difference"]) if full else "",
    )
    ws.write_formula(
        r,
        COL["Inside bound (live)"],
        f'=IF({n}={_FULL},{_inside(got, rep, c["Bound"])},"")',
        fmt["check"],
        bool(row["inside_bound"]) if full else "",
    )
    ws.write_formula(
        r,
        COL["Status (live)"],
        f'=IF({n}={_FULL},"{STATUS_COMPARED}",IF({n}=0,"{STATUS_OUTSIDE}","{STATUS_PARTIAL}"))',
        fmt["label"],
        str(row["status"]),
    )


def _inside(got: str, rep: str, bound: str) -> str:
    """The formula of :func:`model.reconcile.inside_bound`."""
    tol = f"MAX({ABSOLUTE_TOLERANCE:g},{RELATIVE_TOLERANCE:g}*ABS({rep}))"
    return (
        f'IF({bound}="exact",ABS({got}-{rep})<={tol},'
        f'IF({bound}="upper",{got}<={rep}+{tol},{got}>={rep}-{tol}))'
    )


def _write_backtest(
    ws: xlsxwriter.worksheet.Worksheet,
    r: int,
    row: Mapping[str, Any],
    kind: str,
    fmt: Mapping[str, Any],
) -> None:
    """The backtest's figures, values from the core; blank where not compared."""
    for header, key in (
        ("Backtest: modelled", "bt_modelled"),
        ("Backtest: difference", "bt_difference"),
    ):
        v = float(row[key])
        if math.isfinite(v):
            ws.write_number(r, COL[header], v, fmt["static_" + kind])
        else:
            ws.write_blank(r, COL[header], None, fmt["static_" + kind])
    inside = row["bt_inside_bound"]
    if inside is None or (isinstance(inside, float) and math.isnan(inside)):
        ws.write_blank(r, COL["Backtest: inside bound"], None, fmt["static_check"])
    else:
        ws.write_boolean(r, COL["Backtest: inside bound"], bool(inside), fmt["static_check"])


def _height(text: str, width: float) -> float:
    """Points a row needs for ``text`` wrapped in a cell ``width`` characters wide."""
    return LINE_PT * max(1, math.ceil(len(text) / (width * CHARS_PER_WIDTH))) + 3


def _write_sources(
    ws: xlsxwriter.worksheet.Worksheet,
    rows: list[dict[str, Any]],
    top: int,
    fmt: Mapping[str, Any],
) -> int:
    """Each reported figure's source and basis, in full below the table; returns the
    last row."""
    ws.write_string(top, 0, "Sources and basis of the reported figures", fmt["section"])
    for title, first, last in SOURCE_PARTS:
        ws.merge_range(top + 1, first, top + 1, last, title, fmt["header"])
    r = top + 1
    for row in rows:
        r += 1
        words = MEASURE_ROWS.get(row["measure"], (row["measure"],))[0]
        texts = (f"{row['vendor']} {row['fiscal_quarter']}: {words}", row["source"], row["basis"])
        height = 0.0
        for text, (_, first, last) in zip(texts, SOURCE_PARTS, strict=True):
            ws.merge_range(r, first, r, last, "", fmt["wrap"])
            write_text(ws, r, first, str(text), fmt["wrap"])
            height = max(height, _height(str(text), sum(WIDTHS[first : last + 1])))
        ws.set_row(r, height)
    return r


def _setup(ws: xlsxwriter.worksheet.Worksheet, last: int) -> None:
    for c, w in enumerate(WIDTHS):
        ws.set_column(c, c, w)
    ws.freeze_panes(TOP + 1, COL["Fiscal quarter"] + 1)
    ws.repeat_rows(TOP)
    lay.page_setup(ws, SHEET)
    ws.print_area(0, 0, last, len(HEADERS) - 1)
    ws.fit_to_pages(1, 0)


__all__ = ["SHEET", "reported_rows", "write_reconciliation"]
