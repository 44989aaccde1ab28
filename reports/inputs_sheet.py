"""The Inputs sheet: every parameter once, generated from the schema's declarations.

Labels, units, valid ranges and Excel data validation come from
:func:`model.schema.parameter_table`. Each input cell carries a defined name
(``policy_share_rate``, ``h200_asp_usd``, ``h200_bom_usd_per_unit_hbm``…).

With one scenario the named cells hold constants. With several, each scenario has
its own column of constants and the named cell picks the active one:
``=INDEX(I12:W12, active_scenario)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter.worksheet

from model.calendar import parse_month
from model.schema import NEVER, SECTIONS, Assumptions, ParamInfo, param_info, parameter_table

from . import layout as lay

#: A BOM supplier listed by some scenarios only: a blank cell (0 in formulas).
ABSENT = object()

_WORDS = {"asp": "ASP", "usd": "USD", "us": "US", "bom": "BOM", "id": "id"}
_SECTION_TITLES = {
    "top": "General",
    "horizon": "Horizon (structure of the timeline)",
    "policy": "Policy",
    "timeline": "Timeline",
    "demand": "Demand",
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)


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


def input_blocks(variants: Sequence[Assumptions]) -> list[Block]:
    """The Inputs sheet's sections, each a list of rows, for stacked variants."""
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
    product_keys = [p.key for p in parameter_table() if p.section == "product"]
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
    known = {r.path for b in blocks for r in b.rows}
    other = dict.fromkeys(k for a in variants for k in a.sources if k not in known)
    if other:
        blocks.append(
            Block(
                "Other sources (entries without an input cell of their own)",
                tuple(InputRow(k, None, k, None, (), _sources(variants, k)) for k in other),
            )
        )
    return blocks


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
        return f'OR({c}="{word}",{test})' if word else test
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


def write_inputs(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    variants: Sequence[Assumptions],
    names: Sequence[str],
    fmt: dict[str, Any],
) -> None:
    """Write the Inputs sheet and define a name for every input cell."""
    multi = len(variants) > 1
    n = len(variants)
    months = variants[0].horizon.months
    _sheet_head(ws, wb, names, fmt, multi)
    first_val, last_val = lay.IN_FIRST_SCENARIO, lay.IN_FIRST_SCENARIO + n - 1
    row = lay.INPUT_HEADER_ROW + 1
    for block in input_blocks(variants):
        row += 1
        ws.write_string(row, lay.IN_LABEL, block.title, fmt["section"])
        row += 1
        for r in block.rows:
            _write_meta(ws, row, r, fmt)
            if r.info is None:
                _write_sources(ws, row, r, fmt, multi, first_val + n)
            else:
                kind = _format_kind(r.info)
                values = [to_cell(v, r.info) for v in r.values]
                if multi:
                    for k, v in enumerate(values):
                        write_cell(ws, row, first_val + k, v, fmt["in_" + kind])
                    live = (
                        f"=INDEX({lay.cell(row, first_val)}:{lay.cell(row, last_val)},"
                        "active_scenario)"
                    )
                    ws.write_formula(row, lay.IN_VALUE, live, fmt[kind], excel_value(values[0]))
                    _write_sources(ws, row, r, fmt, multi, first_val + n)
                    checked = (row, first_val, row, last_val)
                else:
                    write_cell(ws, row, lay.IN_VALUE, values[0], fmt["in_" + kind])
                    _write_sources(ws, row, r, fmt, multi, first_val + n)
                    checked = (row, lay.IN_VALUE, row, lay.IN_VALUE)
                ws.data_validation(*checked, validation(r.info, lay.cell(*checked[:2]), months))
                ws.write_formula(
                    row,
                    lay.IN_VALID,
                    "=" + valid_formula(r.info, lay.cell(row, lay.IN_VALUE), months),
                    fmt["check"],
                    True,
                )
                assert r.name is not None
                wb.define_name(r.name, f"={lay.abs_ref(lay.INPUTS, row, lay.IN_VALUE)}")
            row += 1
    _sheet_setup(ws, multi, n)


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
        "to leave an optional value unset.",
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
    if multi:
        n = len(names)
        for k, name in enumerate(names, start=1):
            write_text(
                ws,
                lay.INPUT_HEADER_ROW,
                lay.IN_FIRST_SCENARIO + k - 1,
                lay.SCENARIO_VALUE_HEADER.format(k=k, name=name),
                fmt["header"],
            )
            write_text(
                ws,
                lay.INPUT_HEADER_ROW,
                lay.IN_FIRST_SCENARIO + n + k - 1,
                lay.SCENARIO_SOURCE_HEADER.format(k=k, name=name),
                fmt["header"],
            )


def _write_meta(
    ws: xlsxwriter.worksheet.Worksheet, row: int, r: InputRow, fmt: dict[str, Any]
) -> None:
    write_text(ws, row, lay.IN_LABEL, r.label, fmt["label"])
    if r.name:
        ws.write_string(row, lay.IN_NAME, r.name, fmt["label"])
    if r.info is not None:
        ws.write_string(row, lay.IN_UNIT, r.info.unit, fmt["label"])
        ws.write_string(row, lay.IN_RANGE, range_text(r.info), fmt["label"])
        write_text(ws, row, lay.IN_DESCRIPTION, r.info.description, fmt["label"])
    write_text(ws, row, lay.IN_PATH, r.path, fmt["label"])


def _write_sources(
    ws: xlsxwriter.worksheet.Worksheet,
    row: int,
    r: InputRow,
    fmt: dict[str, Any],
    multi: bool,
    first_source_col: int,
) -> None:
    if not multi:
        write_text(ws, row, lay.IN_SOURCE, r.sources[0], fmt["in_text"])
        return
    for k, text in enumerate(r.sources):
        write_text(ws, row, first_source_col + k, text, fmt["in_text"])
    last = first_source_col + len(r.sources) - 1
    rng = f"{lay.cell(row, first_source_col)}:{lay.cell(row, last)}"
    ws.write_formula(
        row, lay.IN_SOURCE, f'=INDEX({rng},active_scenario)&""', fmt["label"], r.sources[0]
    )


def _sheet_setup(ws: xlsxwriter.worksheet.Worksheet, multi: bool, n: int) -> None:
    widths = {
        lay.IN_LABEL: 34,
        lay.IN_NAME: 38,
        lay.IN_VALUE: 14,
        lay.IN_UNIT: 14,
        lay.IN_RANGE: 18,
        lay.IN_SOURCE: 50,
        lay.IN_DESCRIPTION: 60,
        lay.IN_PATH: 40,
        lay.IN_VALID: 7,
    }
    for c, w in widths.items():
        ws.set_column(c, c, w)
    if multi:
        ws.set_column(lay.IN_FIRST_SCENARIO, lay.IN_FIRST_SCENARIO + n - 1, 16)
        ws.set_column(lay.IN_FIRST_SCENARIO + n, lay.IN_FIRST_SCENARIO + 2 * n - 1, 40)
    ws.freeze_panes(lay.INPUT_HEADER_ROW + 1, lay.IN_VALUE)
    ws.repeat_rows(lay.INPUT_HEADER_ROW)
    ws.repeat_columns(lay.IN_LABEL, lay.IN_NAME)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
