"""The Inputs sheet: every parameter once, generated from the schema's declarations.

Labels, units, valid ranges and Excel data validation come from
:func:`model.schema.parameter_table`. Each input cell carries a defined name
(``policy_share_rate``, ``h200_asp_usd``, ``vendor_AMD_tax_rate``,
``h200_bom_usd_per_unit_hbm``…). Two tables follow the parameters: China's allocation
batches and the reported actual shipments, one row each, with their sources; the
calculation sheets read them with ``SUMIFS``.

With one scenario the named cells hold constants. With several, each scenario has
its own column of constants and the named cell picks the active one:
``=INDEX(L12:Z12, active_scenario)``. A table row keeps a scenario's month in that
scenario's value column, its units in the scenario's source column, and its source in
a third block of columns.

The columns "At export" keep a copy of every shown value as exported: the Checks sheet
compares them with the live values to say whether figures pasted from the core (cost
of delay, cost of the next month) still belong to the inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import xlsxwriter
import xlsxwriter.worksheet

from model.calendar import parse_month
from model.schema import (
    NEVER,
    SECTIONS,
    Assumptions,
    ParamInfo,
    Product,
    param_info,
    parameter_table,
)

from . import layout as lay

#: A value that a scenario does not have (a BOM supplier, a vendor, a batch): blank.
ABSENT = object()

_WORDS = {
    "asp": "ASP",
    "usd": "USD",
    "us": "US",
    "bom": "BOM",
    "id": "id",
    "tpp": "TPP",
    "dram": "DRAM",
    "gbps": "GB/s",
}
_SECTION_TITLES = {
    "top": "General",
    "horizon": "Horizon (structure of the timeline)",
    "policy": "Policy",
    "timeline": "Timeline (products without dates of their own)",
    "demand": "Demand",
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Product dates that a product may set or inherit from ``timeline``.
OWN_DATES = ("us_approval", "china_approval", "licence_ends")
#: The per-product switch between the batches table and no volume limit.
ALLOCATIONS_INFO = ParamInfo(
    key="china_allocations",
    section="product",
    description=Product.model_fields["china_allocations"].description or "",
    unit="choice",
    kind="choice",
    quantity="choice",
    choices=(lay.BATCHES_TEXT, lay.NONE_TEXT),
)
#: Input pages: the scale at which the parameter list prints, and rows kept together.
INPUTS_SCALE = 50
INPUT_WIDTHS = {
    lay.IN_LABEL: 34,
    lay.IN_VALUE: 13,
    lay.IN_UNIT: 17,
    lay.IN_VALID: 7,
    lay.IN_RANGE: 18,
    lay.IN_SOURCE: 115,
    lay.IN_NAME: 34,
    lay.IN_DESCRIPTION: 60,
    lay.IN_PATH: 40,
    lay.IN_EXPORTED: 13,
    lay.IN_EXPORTED_UNITS: 13,
}


@dataclass(frozen=True)
class InputRow:
    """One row of the Inputs sheet: a parameter (or a source without a parameter)."""

    path: str
    name: str | None
    label: str
    info: ParamInfo | None
    values: tuple[Any, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    title: str
    rows: tuple[InputRow, ...]


@dataclass(frozen=True)
class TableRow:
    """One row of an Inputs table: a batch or a reported month of one product, with
    ``(month, units)`` per scenario (:data:`ABSENT` where a scenario lacks it)."""

    path: str
    product: str
    label: str
    values: tuple[Any, ...]
    sources: tuple[str, ...]


@dataclass
class InputsLayout:
    """What the other sheets need to know about the written Inputs sheet."""

    has_batches: bool = False
    has_actuals: bool = False
    vendor_names: set[str] = field(default_factory=set)
    changed_formula: str = "=0"


def is_text(info: ParamInfo) -> bool:
    """Free text (product name, vendor): any text is valid."""
    return info.kind == "text" or info.unit == "text"


def label_of(key: str) -> str:
    words = [_WORDS.get(w, w) for w in key.split("_")]
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _sources(variants: Sequence[Assumptions], path: str) -> tuple[str, ...]:
    return tuple(a.sources.get(path, "") for a in variants)


def _row(
    variants: Sequence[Assumptions], path: str, name: str, label: str, values: Sequence[Any]
) -> InputRow:
    info = param_info(path)
    assert info is not None, path
    return InputRow(path, name, label, info, tuple(values), _sources(variants, path))


def _global_blocks(variants: Sequence[Assumptions]) -> list[Block]:
    blocks = [
        Block(
            _SECTION_TITLES["top"],
            (
                _row(
                    variants,
                    "discount_rate",
                    lay.input_name("top", "discount_rate"),
                    "Discount rate",
                    [a.discount_rate for a in variants],
                ),
            ),
        )
    ]
    for section, model in SECTIONS.items():
        rows = [
            _row(
                variants,
                f"{section}.{key}",
                lay.input_name(section, key),
                label_of(key),
                [getattr(getattr(a, section), key) for a in variants],
            )
            for key in model.model_fields
        ]
        blocks.append(Block(_SECTION_TITLES[section], tuple(rows)))
    return blocks


def _vendor_block(variants: Sequence[Assumptions]) -> list[Block]:
    """The vendors table, one row per vendor and key (vendors of any scenario)."""
    vendors = dict.fromkeys(v for a in variants for v in a.vendors)
    keys = [p.key for p in parameter_table() if p.section == "vendor"]
    rows = [
        _row(
            variants,
            f"vendors.{v}.{key}",
            lay.vendor_input_name(v, key),
            f"{v}: {label_of(key).lower()}",
            [getattr(a.vendors[v], key) if v in a.vendors else ABSENT for a in variants],
        )
        for v in vendors
        for key in keys
    ]
    if not rows:
        return []
    title = "Vendors (fiscal calendars, tax rates and shares for the EPS effect)"
    return [Block(title, tuple(rows))]


def _product_blocks(variants: Sequence[Assumptions]) -> list[Block]:
    product_keys = [p.key for p in parameter_table() if p.section == "product"]
    blocks = []
    for j, first in enumerate(variants[0].products):
        pid = first.id
        rows = [
            _row(
                variants,
                f"products.{pid}.{key}",
                lay.product_input_name(pid, key),
                label_of(key),
                [getattr(a.products[j], key) for a in variants],
            )
            for key in product_keys
        ]
        path = f"products.{pid}.china_allocations"
        modes = [
            lay.NONE_TEXT if a.products[j].china_allocations is None else lay.BATCHES_TEXT
            for a in variants
        ]
        rows.append(
            InputRow(
                path,
                lay.product_input_name(pid, "china_allocations"),
                "China allocations",
                ALLOCATIONS_INFO,
                tuple(modes),
                _sources(variants, path),
            )
        )
        suppliers = dict.fromkeys(s for a in variants for s in a.products[j].bom_usd_per_unit)
        rows += [
            _row(
                variants,
                f"products.{pid}.bom_usd_per_unit.{sup}",
                lay.bom_input_name(pid, sup),
                f"Supplier {sup}: BOM per chip",
                [a.products[j].bom_usd_per_unit.get(sup, ABSENT) for a in variants],
            )
            for sup in suppliers
        ]
        blocks.append(Block(f"Product {pid}: {first.name}", tuple(rows)))
    return blocks


def input_blocks(variants: Sequence[Assumptions]) -> list[Block]:
    """The Inputs sheet's parameter sections, each a list of rows, for stacked variants."""
    return _global_blocks(variants) + _vendor_block(variants) + _product_blocks(variants)


def batch_rows(variants: Sequence[Assumptions]) -> list[TableRow]:
    """China's allocation batches of every product, in each product's order."""
    out = []
    for j, first in enumerate(variants[0].products):
        lists = [a.products[j].china_allocations or [] for a in variants]
        for b in range(max(len(x) for x in lists)):
            path = f"products.{first.id}.china_allocations.{b}"
            values = tuple((x[b].month, x[b].units) if b < len(x) else ABSENT for x in lists)
            out.append(TableRow(path, first.id, f"batch {b + 1}", values, _sources(variants, path)))
    return out


def actual_rows(variants: Sequence[Assumptions]) -> list[TableRow]:
    """Reported actual shipments of every product, month by month."""
    out = []
    for j, first in enumerate(variants[0].products):
        maps = [a.products[j].actual_shipments or {} for a in variants]
        for month in sorted(dict.fromkeys(m for x in maps for m in x)):
            path = f"products.{first.id}.actual_shipments.{month}"
            values = tuple((month, x[month]) if month in x else ABSENT for x in maps)
            out.append(TableRow(path, first.id, "reported", values, _sources(variants, path)))
    return out


def other_sources(variants: Sequence[Assumptions], known: set[str]) -> list[InputRow]:
    """Sources without an input cell or a table row of their own."""
    other = dict.fromkeys(k for a in variants for k in a.sources if k not in known)
    return [InputRow(k, None, k, None, (), _sources(variants, k)) for k in other]


# ---------------------------------------------------------------- cell values


def to_cell(value: Any, info: ParamInfo) -> Any:
    """A model value as it sits in its input cell: dates, ``never``, ``none``, bool…"""
    if value is ABSENT:
        return None
    if value is None:
        return lay.NONE_TEXT
    if info.kind.startswith("month"):
        if value == NEVER:
            return lay.NEVER_TEXT
        y, m = parse_month(value)
        return dt.date(y, m, 1)
    return value


def excel_value(cell_value: Any) -> Any:
    """What a formula pointing at the cell evaluates to (dates are serial numbers)."""
    if cell_value is None:
        return 0
    if isinstance(cell_value, dt.date):
        return float((cell_value - _EXCEL_EPOCH).days)
    return cell_value


def _format_kind(info: ParamInfo | None) -> str:
    if info is None:
        return "text"
    if info.kind.startswith("month"):
        return "date"
    if info.kind in ("choice", "bool"):
        return "text" if info.kind == "choice" else "bool"
    if is_text(info):
        return "text"
    if info.unit.startswith("fraction"):
        return "rate"
    return "integer" if info.kind == "integer" else "number"


def write_cell(
    ws: xlsxwriter.worksheet.Worksheet, row: int, col: int, value: Any, fmt: Any
) -> None:
    """Write a constant with its own type; text is always text, never a formula."""
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, dt.datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    else:
        write_text(ws, row, col, str(value), fmt)


def write_text(
    ws: xlsxwriter.worksheet.Worksheet, row: int, col: int, text: str, fmt: Any = None
) -> None:
    """Write text as text (never a formula); an empty text leaves a blank cell."""
    if text == "":
        ws.write_blank(row, col, None, fmt)
    elif ws.write_string(row, col, text, fmt) == -2:
        raise lay.ExcelLimitError(f"text longer than Excel's 32,767 characters: {text[:60]}…")


# ---------------------------------------------------------------- validation


def _bound_tests(c: str, info: ParamInfo) -> list[str]:
    tests = [f"ISNUMBER({c})"]
    if info.low is not None:
        tests.append(f"{c}{'>' if info.low_open else '>='}{info.low:.17g}")
    if info.high is not None:
        tests.append(f"{c}{'<' if info.high_open else '<='}{info.high:.17g}")
    if info.kind == "integer":
        tests.append(f"INT({c})={c}")
    return tests


def valid_formula(info: ParamInfo, c: str, months: int | None = None) -> str:
    """An Excel test (no leading ``=``) that is TRUE when cell ``c`` holds a valid value."""
    if info.kind == "choice":
        return "OR(" + ",".join(f'{c}="{choice}"' for choice in info.choices) + ")"
    if info.kind == "bool":
        return f"ISLOGICAL({c})"
    if info.kind.startswith("month"):
        word = {"month": None, "month_or_never": lay.NEVER_TEXT, "month_or_null": lay.NONE_TEXT}[
            info.kind
        ]
        test = f"AND(ISNUMBER({c}),{c}>=1)"
        words = [w for w in (word, lay.NONE_TEXT if info.optional else None) if w]
        if not words:
            return test
        return "OR(" + ",".join([*(f'{c}="{w}"' for w in dict.fromkeys(words)), test]) + ")"
    if is_text(info):
        return "TRUE"  # names: any text, as in the schema
    if info.key == "months" and months is not None:
        return f"AND(ISNUMBER({c}),{c}={months})"
    test = f"AND({','.join(_bound_tests(c, info))})"
    return f'OR({c}="{lay.NONE_TEXT}",{test})' if info.optional else test


def range_text(info: ParamInfo) -> str:
    """The valid range as the Inputs sheet shows it (``none`` for YAML ``null``)."""
    if info.kind == "month_or_null":
        return f"YYYY-MM or {lay.NONE_TEXT}"
    return info.range_text().replace("or null", f"or {lay.NONE_TEXT}")


def validation(info: ParamInfo, c: str, months: int | None = None) -> dict[str, Any]:
    """XlsxWriter data-validation options for a cell (top-left ``c`` of its range)."""
    message = f"{info.description} Valid: {range_text(info)} ({info.unit})."
    opts: dict[str, Any] = {
        "input_title": label_of(info.key)[:32],
        "input_message": message[:255],
        "error_title": "Outside the valid range",
        "error_message": message[:255],
    }
    if info.kind == "choice":
        return {**opts, "validate": "list", "source": list(info.choices)}
    if info.key == "months" and months is not None:
        opts["error_message"] = (
            f"The workbook is laid out for {months} monthly columns: "
            "change horizon.months in the YAML file and export again."
        )
    return {**opts, "validate": "custom", "value": "=" + valid_formula(info, c, months)}


# ---------------------------------------------------------------- the sheet


@dataclass
class _Writer:
    """Writes the Inputs sheet row by row, keeping what the other sheets need."""

    ws: xlsxwriter.worksheet.Worksheet
    wb: xlsxwriter.Workbook
    variants: Sequence[Assumptions]
    fmt: dict[str, Any]
    row: int = lay.INPUT_HEADER_ROW + 1
    out: InputsLayout = field(default_factory=InputsLayout)
    block_starts: list[tuple[int, int]] = field(default_factory=list)  # (first row, rows)

    @property
    def n(self) -> int:
        return len(self.variants)

    @property
    def multi(self) -> bool:
        return self.n > 1

    def scenario_col(self, k: int, block: int = 0) -> int:
        """Column of scenario ``k`` (0-based): values (block 0), sources (1), table
        sources (2)."""
        return lay.IN_FIRST_SCENARIO + block * self.n + k

    def title(self, text: str, size: int) -> None:
        self.row += 1
        self.block_starts.append((self.row, size + 2))
        self.ws.write_string(self.row, lay.IN_LABEL, text, self.fmt["section"])
        self.row += 1

    # ------------------------------------------------------------ parameters

    def parameter(self, r: InputRow) -> None:
        ws, row, fmt = self.ws, self.row, self.fmt
        self.meta(r)
        if r.info is None:
            self.sources(r.sources, lay.IN_SOURCE, 1)
            self.row += 1
            return
        kind = _format_kind(r.info)
        values = [to_cell(v, r.info) for v in r.values]
        if self.multi:
            for k, v in enumerate(values):
                write_cell(ws, row, self.scenario_col(k), v, fmt["in_" + kind])
            live = f"=INDEX({self.scenario_range(row)},active_scenario)"
            ws.write_formula(row, lay.IN_VALUE, live, fmt[kind], excel_value(values[0]))
            checked = (row, self.scenario_col(0), row, self.scenario_col(self.n - 1))
        else:
            write_cell(ws, row, lay.IN_VALUE, values[0], fmt["in_" + kind])
            checked = (row, lay.IN_VALUE, row, lay.IN_VALUE)
        self.sources(r.sources, lay.IN_SOURCE, 1)
        months = self.variants[0].horizon.months
        ws.data_validation(*checked, validation(r.info, lay.cell(*checked[:2]), months))
        ws.write_formula(
            row,
            lay.IN_VALID,
            "=" + valid_formula(r.info, lay.cell(row, lay.IN_VALUE), months),
            fmt["check"],
            True,
        )
        write_cell(ws, row, lay.IN_EXPORTED, values[0], fmt["const_" + kind])
        assert r.name is not None
        self.wb.define_name(r.name, f"={lay.abs_ref(lay.INPUTS, row, lay.IN_VALUE)}")
        if r.path.startswith("vendors."):
            self.out.vendor_names.add(r.name)
        key = r.path.rsplit(".", 1)[-1]
        if r.path.startswith("products.") and key in OWN_DATES:
            self.own_or_inherited(r, key)
        self.row += 1

    def scenario_range(self, row: int, block: int = 0) -> str:
        first, last = self.scenario_col(0, block), self.scenario_col(self.n - 1, block)
        return f"{lay.cell(row, first)}:{lay.cell(row, last)}"

    def own_or_inherited(self, r: InputRow, key: str) -> None:
        """In the unit column: whether the product's date is its own or the timeline's."""
        tl = lay.input_name("timeline", key)
        a = self.variants[0]
        own = r.values[0]
        inherited = getattr(a.timeline, key)
        shown = (
            "own"
            if own is not None
            else (f"inherited: {inherited if inherited not in (None, NEVER) else NEVER}")
        )
        formula = (
            f'=IF(OR(ISNUMBER({r.name}),{r.name}="{lay.NEVER_TEXT}"),"own","inherited: "&'
            f'IF(ISNUMBER({tl}),TEXT({tl},"yyyy-mm"),"{lay.NEVER_TEXT}"))'
        )
        self.ws.write_formula(self.row, lay.IN_UNIT, formula, self.fmt["note"], shown)

    def meta(self, r: InputRow) -> None:
        ws, row, fmt = self.ws, self.row, self.fmt
        write_text(ws, row, lay.IN_LABEL, r.label, fmt["label"])
        if r.name:
            ws.write_string(row, lay.IN_NAME, r.name, fmt["label"])
        if r.info is not None:
            ws.write_string(row, lay.IN_UNIT, r.info.unit, fmt["label"])
            ws.write_string(row, lay.IN_RANGE, range_text(r.info), fmt["label"])
            write_text(ws, row, lay.IN_DESCRIPTION, r.info.description, fmt["label"])
        write_text(ws, row, lay.IN_PATH, r.path, fmt["label"])

    def sources(self, texts: Sequence[str], col: int, block: int) -> None:
        """The source of a row: one input cell, or one per scenario and the active one."""
        ws, row, fmt = self.ws, self.row, self.fmt
        if not self.multi:
            write_text(ws, row, col, texts[0], fmt["in_text"])
            return
        for k, text in enumerate(texts):
            write_text(ws, row, self.scenario_col(k, block), text, fmt["in_text"])
        ws.write_formula(
            row,
            col,
            f'=INDEX({self.scenario_range(row, block)},active_scenario)&""',
            fmt["label"],
            texts[0],
        )

    # ------------------------------------------------------------ tables

    def table(
        self, title: str, rows: list[TableRow], names: tuple[str, str, str], actual: bool
    ) -> tuple[int, int] | None:
        """A table of (product, month, units, source) rows; defines its three ranges."""
        if not rows:
            return None
        ws, fmt = self.ws, self.fmt
        self.title(title, len(rows) + 1)
        heads = {
            lay.IN_LABEL: "Product",
            lay.TABLE_MONTH: "Month",
            lay.TABLE_UNITS: "Units",
            lay.IN_VALID: "Valid",
            lay.IN_RANGE: "Row",
            lay.IN_SOURCE: "Source",
            lay.IN_EXPORTED: "Month",
            lay.IN_EXPORTED_UNITS: "Units",
        }
        for c, h in heads.items():
            ws.write_string(self.row, c, h, fmt["header"])
        first = self.row
        self.row += 1
        for tr in rows:
            self.table_row(tr, actual)
        last = self.row - 1
        for name, col in zip(names, (lay.IN_LABEL, lay.TABLE_MONTH, lay.TABLE_UNITS), strict=True):
            rng = f"{lay.cell(first + 1, col, True, True)}:{lay.cell(last, col, True, True)}"
            self.wb.define_name(name, f"={lay.quote(lay.INPUTS)}!{rng}")
        return first, last

    def table_row(self, tr: TableRow, actual: bool) -> None:
        ws, row, fmt = self.ws, self.row, self.fmt
        cells = [
            (None, None) if v is ABSENT else (to_cell(v[0], _MONTH_INFO), float(v[1]))
            for v in tr.values
        ]
        ws.write_string(row, lay.IN_LABEL, tr.product, fmt["label"])
        ws.write_string(row, lay.IN_RANGE, tr.label, fmt["label"])
        write_text(ws, row, lay.IN_PATH, tr.path, fmt["label"])
        if self.multi:
            for k, (month, units) in enumerate(cells):
                write_cell(ws, row, self.scenario_col(k, 0), month, fmt["in_date"])
                write_cell(ws, row, self.scenario_col(k, 1), units, fmt["in_units"])
            for col, block, kind, k in (
                (lay.TABLE_MONTH, 0, "date", 0),
                (lay.TABLE_UNITS, 1, "units", 1),
            ):
                rng = self.scenario_range(row, block)
                live = f'=IF(INDEX({rng},active_scenario)="","",INDEX({rng},active_scenario))'
                first = cells[0][k]
                ws.write_formula(
                    row, col, live, fmt[kind], "" if first is None else excel_value(first)
                )
            self.sources(tr.sources, lay.IN_SOURCE, 2)
            checked = [(self.scenario_col(0, b), self.scenario_col(self.n - 1, b)) for b in (0, 1)]
        else:
            write_cell(ws, row, lay.TABLE_MONTH, cells[0][0], fmt["in_date"])
            write_cell(ws, row, lay.TABLE_UNITS, cells[0][1], fmt["in_units"])
            self.sources(tr.sources, lay.IN_SOURCE, 2)
            checked = [(lay.TABLE_MONTH, lay.TABLE_MONTH), (lay.TABLE_UNITS, lay.TABLE_UNITS)]
        rules = _table_validations(lay.cell(row, checked[0][0]), lay.cell(row, checked[1][0]))
        for (c0, c1), rule in zip(checked, rules, strict=True):
            ws.data_validation(row, c0, row, c1, rule)
        ws.write_formula(row, lay.IN_VALID, "=" + _table_valid(row, actual), fmt["check"], True)
        write_cell(ws, row, lay.IN_EXPORTED, cells[0][0], fmt["const_date"])
        write_cell(ws, row, lay.IN_EXPORTED_UNITS, cells[0][1], fmt["const_units"])
        self.row += 1


_MONTH_INFO = ParamInfo("month", "product", "", "YYYY-MM", "month", "month")


def _table_valid(row: int, actual: bool) -> str:
    """A table row is valid blank (no batch), or with a month and units >= 0; a reported
    month must lie inside the horizon and not after ``horizon.as_of``."""
    m, u = lay.cell(row, lay.TABLE_MONTH), lay.cell(row, lay.TABLE_UNITS)
    test = f"ISNUMBER({m}),{m}>=1,ISNUMBER({u}),{u}>=0"
    if actual:
        test += (
            f",{m}>=horizon_start,{m}<EDATE(horizon_start,horizon_months),"
            f"OR(NOT(ISNUMBER(horizon_as_of)),{m}<EDATE(horizon_as_of,1))"
        )
    return f'OR(AND({m}="",{u}=""),AND({test}))'


def _table_validations(month: str, units: str) -> list[dict[str, Any]]:
    return [
        {
            "validate": "custom",
            "value": f'=OR({month}="",AND(ISNUMBER({month}),{month}>=1))',
            "input_title": "Month",
            "input_message": "A date: the first of the month.",
            "error_title": "Not a month",
            "error_message": "Type a date (any day of the month).",
        },
        {
            "validate": "decimal",
            "criteria": ">=",
            "value": 0,
            "input_title": "Units",
            "input_message": "Units, 0 or more.",
            "error_title": "Outside the valid range",
            "error_message": "Units must be a number, 0 or more.",
        },
    ]


def write_inputs(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    variants: Sequence[Assumptions],
    names: Sequence[str],
    fmt: dict[str, Any],
) -> InputsLayout:
    """Write the Inputs sheet and define a name for every input cell and table column."""
    w = _Writer(ws, wb, variants, fmt)
    _sheet_head(ws, wb, names, fmt, w.multi)
    blocks = input_blocks(variants)
    for block in blocks:
        w.title(block.title, len(block.rows))
        for r in block.rows:
            w.parameter(r)
    last_param = w.row - 1
    batches, actuals = batch_rows(variants), actual_rows(variants)
    spans = [
        w.table(
            "China's allocation batches (units China approves for import)",
            batches,
            ("alloc_product", "alloc_month", "alloc_units"),
            actual=False,
        ),
        w.table(
            "Reported actual China shipments (they replace the formula in their month)",
            actuals,
            ("actual_product", "actual_month", "actual_units"),
            actual=True,
        ),
    ]
    known = {r.path for b in blocks for r in b.rows} | {t.path for t in batches + actuals}
    other = other_sources(variants, known)
    if other:
        w.title("Other sources (entries without an input cell of their own)", len(other))
        for r in other:
            w.parameter(r)
    w.out.has_batches, w.out.has_actuals = bool(batches), bool(actuals)
    w.out.changed_formula = _changed_formula(last_param, w.row - 1, [s for s in spans if s])
    _sheet_setup(ws, w, len(names))
    return w.out


def _changed_formula(first_body: int, last: int, tables: list[tuple[int, int]]) -> str:
    """Count of shown values that differ from their copy at export."""
    sheet = lay.quote(lay.INPUTS)

    def rng(col: int, r0: int, r1: int) -> str:
        return f"{sheet}!{lay.cell(r0, col, True, True)}:{lay.cell(r1, col, True, True)}"

    top = lay.INPUT_HEADER_ROW + 1
    last = max(last, first_body)
    terms = [f"SUMPRODUCT(--({rng(lay.IN_VALUE, top, last)}<>{rng(lay.IN_EXPORTED, top, last)}))"]
    for r0, r1 in tables:
        terms.append(
            f"SUMPRODUCT(--({rng(lay.TABLE_UNITS, r0, r1)}<>{rng(lay.IN_EXPORTED_UNITS, r0, r1)}))"
        )
    return "=" + "+".join(terms)


def _sheet_head(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    names: Sequence[str],
    fmt: dict[str, Any],
    multi: bool,
) -> None:
    ws.write_string(0, 0, "Inputs", fmt["title"])
    ws.write_string(
        1,
        0,
        "Blue cells on a light fill are inputs: change them and every "
        "calculation follows. Months are dates (the first of the month); write "
        f"'{lay.NEVER_TEXT}' for an approval that never comes and '{lay.NONE_TEXT}' "
        "to leave an optional value unset (a product's date then comes from the timeline). "
        "Money in US$ as stated in the Unit column.",
        fmt["note"],
    )
    ws.write_string(
        lay.ACTIVE_ROW, lay.IN_LABEL, lay.ACTIVE_LABEL if multi else "Scenario", fmt["bold"]
    )
    if multi:
        ws.write_number(lay.ACTIVE_ROW, lay.IN_VALUE, 1, fmt["in_integer"])
        wb.define_name(
            "active_scenario", f"={lay.abs_ref(lay.INPUTS, lay.ACTIVE_ROW, lay.IN_VALUE)}"
        )
        ws.data_validation(
            lay.ACTIVE_ROW,
            lay.IN_VALUE,
            lay.ACTIVE_ROW,
            lay.IN_VALUE,
            {
                "validate": "integer",
                "criteria": "between",
                "minimum": 1,
                "maximum": len(names),
                "input_title": "Active scenario",
                "input_message": "Number of the scenario the live model shows (see the "
                "column headers to the right and the Scenarios sheet).",
            },
        )
        ws.write_formula(
            lay.ACTIVE_ROW,
            lay.IN_UNIT,
            "=INDEX(scenario_names,active_scenario)",
            fmt["bold"],
            names[0],
        )
    else:
        write_text(ws, lay.ACTIVE_ROW, lay.IN_VALUE, names[0], fmt["bold"])
    headers = list(lay.INPUT_HEADERS)
    if multi:
        headers[lay.IN_VALUE] = "Value (active scenario)"
        headers[lay.IN_SOURCE] = "Source (active scenario)"
    for c, h in enumerate(headers):
        ws.write_string(lay.INPUT_HEADER_ROW, c, h, fmt["header"])
    ws.set_row(lay.INPUT_HEADER_ROW, 30)
    if multi:
        n = len(names)
        for k, name in enumerate(names, start=1):
            for block, template in enumerate(
                (lay.SCENARIO_VALUE_HEADER, lay.SCENARIO_SOURCE_HEADER, TABLE_SOURCE_HEADER)
            ):
                write_text(
                    ws,
                    lay.INPUT_HEADER_ROW,
                    lay.IN_FIRST_SCENARIO + block * n + k - 1,
                    template.format(k=k, name=name),
                    fmt["header"],
                )


#: Header of the third block of scenario columns: the sources of table rows.
TABLE_SOURCE_HEADER = "Table source {k}: {name}"


def _sheet_setup(ws: xlsxwriter.worksheet.Worksheet, w: _Writer, n: int) -> None:
    for c, width in INPUT_WIDTHS.items():
        ws.set_column(c, c, width)
    if w.multi:
        ws.set_column(lay.IN_FIRST_SCENARIO, lay.IN_FIRST_SCENARIO + n - 1, 16)
        ws.set_column(lay.IN_FIRST_SCENARIO + n, lay.IN_FIRST_SCENARIO + 3 * n - 1, 40)
    ws.freeze_panes(lay.INPUT_HEADER_ROW + 1, lay.IN_VALUE)
    ws.repeat_rows(lay.INPUT_HEADER_ROW)
    lay.page_setup(ws, "Inputs")
    ws.print_area(0, 0, max(w.row, lay.INPUT_HEADER_ROW + 1), lay.IN_PRINT_LAST)
    ws.set_print_scale(INPUTS_SCALE)
    ws.set_h_pagebreaks(section_breaks(w.block_starts, INPUTS_SCALE))
    last = max(w.row, lay.INPUT_HEADER_ROW + 1)
    valid = f"{lay.cell(lay.INPUT_HEADER_ROW + 1, lay.IN_VALID)}:{lay.cell(last, lay.IN_VALID)}"
    lay.flag_booleans(ws, valid, w.fmt)


def section_breaks(blocks: Sequence[tuple[int, int]], scale: int) -> list[int]:
    """Rows before which a page starts so that no section is split when it fits a page:
    sections are packed into pages of the rows a page holds at ``scale``."""
    per_page = int(lay.PRINT_HEIGHT_PT / (lay.ROW_PT * scale / 100)) - 3
    breaks, used = [], lay.INPUT_HEADER_ROW + 1
    for first, size in blocks:
        if used + size > per_page and used > 2:
            breaks.append(first)
            used = 1  # the repeated header row
        used += size
    return breaks
