"""Workbook layout said once: sheet names, column positions, defined names, formats.

The writer (:mod:`reports.workbook`) and the reader (:mod:`reports.xlsx_import`)
both use these constants, so the two cannot drift apart.

Every timeline sheet (``Summary`` and the product sheets) shares one column layout in
the FAST-standard spirit: line items down the rows, one month per column. The
timeline itself (calendars, levy flag, discount factors and the global scalars) sits
on the Summary, so the printed workbook has one page per year of each timeline sheet.

====  ==========================================================
col   content
====  ==========================================================
A     line item (label)
B     symbol of docs/methodology.md §2–3
C     unit
D     horizon total, or the value of a scalar line item
E     NPV at ``discount_rate`` (money rows)
F     opening balance (the month before ``t = 0``)
G…    month ``t = 0 … H-1``
====  ==========================================================
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import xlsxwriter
import xlsxwriter.worksheet
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

# ---------------------------------------------------------------- sheets

COVER, INPUTS, SUMMARY, SCENARIOS, CHECKS, TIME = (
    "Cover",
    "Inputs",
    "Summary",
    "Scenarios",
    "Checks",
    "Time",
)
#: Reported figures against the model; the value of the licence by vintage.
RECONCILIATION, VINTAGES = "Reconciliation", "Vintages"
#: Sheet names the workbook or an extra sheet writer may use; product sheets avoid them.
RESERVED_SHEETS = (
    COVER,
    INPUTS,
    SUMMARY,
    SCENARIOS,
    CHECKS,
    TIME,
    RECONCILIATION,
    VINTAGES,
    "Risk",
)
#: The sheet holding the timeline rows (``[Time.X]`` in formula templates).
TIMELINE = SUMMARY
PRODUCT_SHEET_PREFIX = "Calc "

# ---------------------------------------------------------------- timeline columns

COL_LABEL, COL_SYMBOL, COL_UNIT, COL_TOTAL, COL_NPV, COL_OPEN, COL_T0 = range(7)
ROW_TITLE, ROW_NOTE, ROW_HEADER, ROW_DATE, ROW_T = 0, 1, 3, 4, 5
FIRST_BODY_ROW = 7

# ---------------------------------------------------------------- Inputs sheet

INPUT_HEADERS = (
    "Parameter",
    "Value",
    "Unit",
    "Valid",
    "Valid range",
    "Source",
    "Defined name",
    "Description",
    "YAML path",
    "At export",
    "At export (units)",
)
(
    IN_LABEL,
    IN_VALUE,
    IN_UNIT,
    IN_VALID,
    IN_RANGE,
    IN_SOURCE,
    IN_NAME,
    IN_DESCRIPTION,
    IN_PATH,
    IN_EXPORTED,
    IN_EXPORTED_UNITS,
) = range(len(INPUT_HEADERS))
#: Columns printed on paper: label to source.
IN_PRINT_LAST = IN_SOURCE
#: Tables (China's allocation batches, reported actuals): month and units share the
#: value and unit columns of the parameter list.
TABLE_MONTH, TABLE_UNITS = IN_VALUE, IN_UNIT
IN_FIRST_SCENARIO = len(INPUT_HEADERS) + 1  # one empty column, then one value column each
INPUT_HEADER_ROW = 5
ACTIVE_ROW = 3
SCENARIO_VALUE_HEADER = "Scenario {k}: {name}"
SCENARIO_SOURCE_HEADER = "Source {k}: {name}"
ACTIVE_LABEL = "Active scenario"

#: Text standing for YAML ``null`` in optional cells; ``never`` is the approval word.
NONE_TEXT = "none"
NEVER_TEXT = "never"
#: China's allocations of a product: the batches table, or no volume limit (YAML null).
BATCHES_TEXT = "batches"

# ---------------------------------------------------------------- sentinels

#: Month index standing for "never" (``+inf`` in the core): far beyond any horizon.
NEVER_MONTH = 1e9
#: Largest China-per-US quota ratio (``model.equations.MAX_QUOTA_RATIO``).
MAX_QUOTA_RATIO = 1e15
#: Tolerances of the live checks: absolute (units or USD) plus relative.
CHECK_ABS, CHECK_REL = 1e-6, 1e-9

# ---------------------------------------------------------------- defined names

_NAME_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class ExcelLimitError(ValueError):
    """The assumptions break a rule of Excel: names that collide, text that is too long."""


def product_prefix(pid: str) -> str:
    """Name prefix of a product: its id, with ``_`` in front if the id starts with a digit.

    Excel names must start with a letter or an underscore.
    """
    return pid if pid[0].isalpha() else f"_{pid}"


def input_name(section: str, key: str) -> str:
    """Defined name of a global input: ``<section>_<key>`` (``discount_rate`` alone)."""
    return key if section == "top" else f"{section}_{key}"


def product_input_name(pid: str, key: str) -> str:
    """Defined name of a product input: ``<product id>_<key>``."""
    return f"{product_prefix(pid)}_{key}"


def bom_input_name(pid: str, supplier: str) -> str:
    return product_input_name(pid, f"bom_usd_per_unit_{supplier}")


def vendor_key(vendor: str) -> str:
    """A vendor's name as it may appear in a defined name (letters, digits, ``_``)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", vendor)


def vendor_input_name(vendor: str, key: str) -> str:
    """Defined name of a vendor input: ``vendor_<name>_<key>`` (``vendor_AMD_tax_rate``)."""
    return f"vendor_{vendor_key(vendor)}_{key}"


def output_name(pid: str, metric: str) -> str:
    """``out_<product id>_<metric>``; supplier metrics as ``..._supplier_revenue_usd_<id>``."""
    return f"out_{pid}_{metric.replace(':', '_')}"


def check_names(names: Iterable[str]) -> None:
    """Refuse names Excel would reject or that collide (names are case-insensitive)."""
    seen: dict[str, str] = {}
    for name in names:
        if (
            not _NAME_OK.match(name)
            or re.match(r"^[A-Za-z]{1,3}\d+$", name)
            or re.match(r"^[rcRC](\d+[rcRC]\d+)?$", name)
            or len(name) > 255
        ):
            raise ExcelLimitError(f"'{name}' cannot be an Excel defined name")
        low = name.lower()
        if low in seen:
            raise ExcelLimitError(
                f"defined names collide: '{seen[low]}' and '{name}' (product ids "
                "must not repeat a parameter or another product's name)"
            )
        seen[low] = name


def product_sheet_names(pids: Sequence[str]) -> list[str]:
    """One sheet per product, ``Calc <id>``, at most 31 characters and unique."""
    out: list[str] = []
    taken = {s.lower() for s in RESERVED_SHEETS}
    for pid in pids:
        base = (PRODUCT_SHEET_PREFIX + pid)[:31]
        name, n = base, 2
        while name.lower() in taken:
            suffix = f"~{n}"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        taken.add(name.lower())
        out.append(name)
    return out


# ---------------------------------------------------------------- references


def quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def cell(row: int, col: int, row_abs: bool = False, col_abs: bool = False) -> str:
    return xl_rowcol_to_cell(row, col, row_abs, col_abs)


def ref(sheet: str, row: int, col: int, row_abs: bool = False, col_abs: bool = False) -> str:
    """``'Sheet'!G$5`` style reference."""
    return f"{quote(sheet)}!{cell(row, col, row_abs, col_abs)}"


def abs_ref(sheet: str, row: int, col: int) -> str:
    return f"{quote(sheet)}!{cell(row, col, True, True)}"


def row_range(sheet: str | None, row: int, first_col: int, last_col: int) -> str:
    """Absolute one-row range, with the sheet when given: ``'Calc h200'!$G$12:$AP$12``."""
    rng = f"{cell(row, first_col, True, True)}:{cell(row, last_col, True, True)}"
    return f"{quote(sheet)}!{rng}" if sheet else rng


def month_col(t: int) -> int:
    return COL_T0 + t


@functools.cache
def col_name(col: int) -> str:
    """Column letters: ``6`` -> ``"G"`` (each column worked out once)."""
    return str(xl_col_to_name(col))


# ---------------------------------------------------------------- formats

INPUT_FONT, INPUT_FILL = "#0000FF", "#FFF2CC"
CALC_FONT = "#000000"
LINK_FONT = "#008000"
CONST_FILL = "#EDEDED"
CHECK_FILL = "#E2EFDA"
FAIL_FILL = "#F8CBAD"
STATIC_FILL = "#DDEBF7"
ACTUAL_FILL = "#FCE4D6"
PARTIAL_FILL = "#F2F2F2"
HEADER_FILL = "#1F3864"

#: Money is shown in US$ millions, without a suffix in each cell: each sheet states the
#: unit once (its note and the Unit column). ``usd_b`` (US$ billions, with a "B") is kept
#: for sheets of values pasted from the core (Risk).
MONEY_UNIT = "US$ m"
NUMBER_FORMATS = {
    "usd": '#,##0.0,,;(#,##0.0,,);"–"',
    "usd_b": '$#,##0.00,,,"B";-$#,##0.00,,,"B";"–"',
    "usd_bn": '#,##0.00,,,;(#,##0.00,,,);"–"',
    "usd_unit": "#,##0.00",
    "eps": '0.0000;(0.0000);"–"',
    "units": '#,##0;-#,##0;"–"',
    "pct": "0.0%",
    "rate": "0.0000",
    "number": "General",
    "integer": "0",
    "month_index": '[>=100000000]"never";[<=-100000000]"always";0',
    "date": "mmm yyyy",
    "text": "@",
    "bool": "General",
}
#: Checks show their booleans as TRUE/FALSE even where a viewer keeps them as 1/0. Input
#: switches keep the General format: LibreOffice saves a boolean with a number format of
#: its own as the formula =TRUE(), which the import would refuse.
BOOL_TEXT_FORMAT = '"TRUE";"TRUE";"FALSE"'


def make_formats(wb: xlsxwriter.Workbook) -> dict[str, Any]:
    """Cell formats shared by every sheet (and handed to extra sheet writers).

    Keys ``<kind>`` are calculation cells (black font), ``in_<kind>`` input cells
    (blue font on a light fill), ``const_<kind>`` fixed constants, ``static_<kind>``
    values pasted from the Python core; plus ``title``, ``header``, ``section``,
    ``note``, ``label``, ``bold``, ``check``, ``static_check`` (a flag from the core)
    and ``wrap``, and the conditional formats
    ``cf_pass``, ``cf_fail``, ``cf_actual`` and ``cf_partial``.
    """
    f: dict[str, Any] = {}
    for kind, num in NUMBER_FORMATS.items():
        f[kind] = wb.add_format({"num_format": num, "font_color": CALC_FONT})
        f["in_" + kind] = wb.add_format(
            {
                "num_format": num,
                "font_color": INPUT_FONT,
                "bg_color": INPUT_FILL,
                "border": 1,
                "border_color": "#BFBFBF",
            }
        )
        f["const_" + kind] = wb.add_format({"num_format": num, "bg_color": CONST_FILL})
        f["static_" + kind] = wb.add_format({"num_format": num, "bg_color": STATIC_FILL})
        f["link_" + kind] = wb.add_format({"num_format": num, "font_color": LINK_FONT})
    f["in_text"].set_text_wrap(False)
    f["title"] = wb.add_format({"bold": True, "font_size": 14})
    f["header"] = wb.add_format(
        {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": HEADER_FILL,
            "text_wrap": True,
            "valign": "top",
        }
    )
    f["header_date"] = wb.add_format(
        {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": HEADER_FILL,
            "num_format": "mmm yyyy",
            "align": "right",
        }
    )
    f["section"] = wb.add_format({"bold": True, "bottom": 1})
    f["note"] = wb.add_format({"italic": True, "font_color": "#595959"})
    f["label"] = wb.add_format({})
    f["bold"] = wb.add_format({"bold": True})
    f["wrap"] = wb.add_format({"text_wrap": True, "valign": "top"})
    f["check"] = wb.add_format(
        {"bg_color": CHECK_FILL, "bold": True, "num_format": BOOL_TEXT_FORMAT}
    )
    f["check_num"] = wb.add_format({"bg_color": CHECK_FILL, "num_format": "0"})
    # A boolean constant under a conditional format needs a number format of its own: with
    # General, LibreOffice fails to print the sheet.
    f["static_check"] = wb.add_format({"bg_color": STATIC_FILL, "num_format": BOOL_TEXT_FORMAT})
    f["cf_pass"] = wb.add_format({"bg_color": CHECK_FILL, "font_color": "#006100"})
    f["cf_fail"] = wb.add_format({"bg_color": FAIL_FILL, "font_color": "#9C0006", "bold": True})
    f["cf_actual"] = wb.add_format({"bg_color": ACTUAL_FILL})
    f["cf_partial"] = wb.add_format({"bg_color": PARTIAL_FILL, "italic": True})
    return f


def flag_booleans(ws: xlsxwriter.worksheet.Worksheet, rng: str, fmt: Mapping[str, Any]) -> None:
    """Green for TRUE, red for FALSE, in the cells of ``rng`` (A1 notation); blank cells
    and text stay plain."""
    first = rng.split(":")[0]
    for test, key in (
        (f"AND(ISLOGICAL({first}),{first})", "cf_pass"),
        (f"AND(ISLOGICAL({first}),NOT({first}))", "cf_fail"),
    ):
        ws.conditional_format(rng, {"type": "formula", "criteria": "=" + test, "format": fmt[key]})


# ---------------------------------------------------------------- printing

#: US Letter, landscape, with narrow margins (inches); the printable area in points.
PAPER_LETTER = 1
MARGIN_LR, MARGIN_TB, MARGIN_HF = 0.4, 0.6, 0.3
PRINT_WIDTH_PT = (11.0 - 2 * MARGIN_LR) * 72
PRINT_HEIGHT_PT = (8.5 - 2 * MARGIN_TB) * 72
ROW_PT = 15.0
MIN_SCALE, MAX_SCALE = 40, 100


#: Pixels per character of column width. Excel's Calibri digit is 7 px; LibreOffice,
#: without Calibri, falls back to a wider font (about 9 px): print scales are computed
#: for the wider one, so that a year of months fits a page in both.
PX_PER_CHAR = 9.5


def column_px(width: float) -> int:
    """Pixels of a column ``width`` characters wide (see :data:`PX_PER_CHAR`)."""
    return int(width * PX_PER_CHAR + 0.5) + 5


def print_scale(width_px: float, rows: float | None = None) -> int:
    """The percentage at which ``width_px`` fits the page width and, if given, ``rows``
    rows its height; clamped to :data:`MIN_SCALE` … :data:`MAX_SCALE`."""
    scale = PRINT_WIDTH_PT / (width_px * 0.75)
    if rows:
        scale = min(scale, PRINT_HEIGHT_PT / (rows * ROW_PT))
    return max(MIN_SCALE, min(MAX_SCALE, int(scale * 100)))


def page_setup(ws: xlsxwriter.worksheet.Worksheet, title: str) -> None:
    """Landscape Letter, narrow margins, the sheet and page number in header and footer."""
    ws.set_landscape()
    ws.set_paper(PAPER_LETTER)
    ws.set_margins(MARGIN_LR, MARGIN_LR, MARGIN_TB, MARGIN_TB)
    ws.set_header(
        f"&L&8Chip Export Impact&C&8{title.replace('&', '&&')}&R&8&A", {"margin": MARGIN_HF}
    )
    ws.set_footer("&L&8&F&R&8Page &P of &N", {"margin": MARGIN_HF})
