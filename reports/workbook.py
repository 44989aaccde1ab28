"""The finance workbook: the model itself as live Excel formulas, with cached results.

:func:`build_workbook_bytes` writes, with XlsxWriter:

- **Cover**: scenario, model version, export time, assumptions hash, how to use, legend;
- **Inputs**: every parameter (generated from the schema) with a defined name per cell;
- **Summary**: money by party (totals, NPV), calendar roll-ups, vendors, a chart;
- **Scenarios** (several scenarios only): side-by-side values from the Python core;
- **Checks**: live checks with the overall flag ``checks_ok``;
- **Reconciliation** (given reported figures): reported vs modelled per vendor fiscal
  quarter, the modelled figure a live formula, the backtest as values from the core;
- **Vintages** (given vintage values): the value to each party by the date of the facts;
- one **Calc <product>** sheet per product: docs/methodology.md §2–3 as formulas, each §5
  metric a defined name ``out_<product>_<metric>`` over the horizon's cells.

The Summary also holds the timeline (calendars, vendors' fiscal calendars, the levy flag,
discount factors and the global scalars), the vendors' fiscal years with the EPS effect
and, as values from the core, the cost of delay and of the next month.

Every formula carries its value from the Python core, so viewers, previews and
``pandas.read_excel`` show correct numbers without a recalculation, while Excel and
LibreOffice recalculate the same numbers from the inputs.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.worksheet

from model import equations as eq
from model.analysis import Results, run
from model.loader import check_probabilities
from model.outputs import METRICS, supplier_metric
from model.schema import Assumptions

from . import layout as lay
from .calc_sheets import (
    ACTUAL_RANGES,
    ALLOC_RANGES,
    month_serials,
    product_sections,
    timeline_sections,
)
from .cover_sheets import write_cover, write_scenarios
from .grid import Grid, Section, Series, layout_rows, render, write_sheet
from .inputs_sheet import input_blocks, write_inputs
from .reconcile_sheet import write_reconciliation
from .summary_sheets import (
    add_chart,
    global_checks,
    product_checks,
    summary_sections,
    write_checks,
    write_rollups,
    write_static_results,
    write_vendor_tables,
)
from .vintages_sheet import write_vintages

#: An extra sheet writer: called with the workbook and the shared cell formats.
SheetWriter = Callable[[xlsxwriter.Workbook, dict[str, Any]], None]


#: Excel functions XlsxWriter never rewrites (none takes an ``_xlfn.`` prefix). A formula
#: calling only these is stored as written, without XlsxWriter's pass of a hundred-odd
#: regular expressions per formula (half the export time of a large workbook).
# fmt: off
PLAIN_FUNCTIONS = frozenset((
    "ABS", "AND", "AVERAGE", "CHOOSE", "COUNT", "COUNTIF", "COUNTIFS", "DATE", "DAY",
    "EDATE", "EOMONTH", "IF", "IFERROR", "INDEX", "INT", "ISBLANK", "ISERROR", "ISLOGICAL",
    "ISNUMBER", "LEN", "MATCH", "MAX", "MIN", "MOD", "MONTH", "NOT", "OR", "ROUND", "SUM",
    "SUMIF", "SUMIFS", "SUMPRODUCT", "TEXT", "VLOOKUP", "YEAR",
))
# fmt: on
#: A called name: letters, digits, ``_`` and ``.`` up to an opening parenthesis.
_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*(?=\()")


class ExactWorksheet(xlsxwriter.worksheet.Worksheet):
    """A worksheet that stores numbers with all the digits needed to read them back.

    XlsxWriter writes constants with 16 significant digits, which loses the last bit
    of some doubles; the round trip YAML → xlsx → YAML must be exact. Formulas that
    call only :data:`PLAIN_FUNCTIONS` skip XlsxWriter's rewriting of newer functions
    (which would leave them unchanged); any other formula goes through it.
    """

    def _xml_number_element(self, number: float, attributes: Any = ()) -> None:
        attr = "".join(f' {k}="{self._escape_attributes(v)}"' for k, v in attributes)
        self.fh.write(f"<c{attr}><v>{_number_text(number)}</v></c>")

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        body = formula[1:] if formula.startswith("{") else formula
        body = body[1:] if body.startswith("=") else body
        body = body[:-1] if body.endswith("}") else body
        if "_xlfn." in body or PLAIN_FUNCTIONS.issuperset(_CALL.findall(body)):
            return body
        prepared: str = super()._prepare_formula(formula, expand_future_functions)
        return prepared


def _number_text(number: float) -> str:
    x = float(number)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def build_workbook_bytes(
    variants: list[Assumptions],
    names: list[str],
    descriptions: list[str],
    probabilities: dict[str, float] | None = None,
    extra_sheets: Sequence[SheetWriter] = (),
    *,
    reported: pd.DataFrame | None = None,
    vintages: pd.DataFrame | None = None,
) -> bytes:
    """The workbook for one or several scenarios of the same horizon and products, as bytes.

    Parameters
    ----------
    variants
        Validated assumptions, one per scenario; they must share ``horizon.start``,
        ``horizon.months`` and the product ids. The first is the active scenario.
    names, descriptions
        One per variant; names must be unique.
    probabilities
        Scenario name to probability (summing to 1) for the expected value on the
        Scenarios sheet; ``None`` for none.
    extra_sheets
        Writers called after the workbook's own sheets with ``(workbook, formats)``;
        ``formats`` holds the shared cell formats (see :func:`reports.layout.make_formats`:
        ``header``, ``title``, ``usd``, ``usd_b``, ``pct``, ``units``, ``text``, ``in_*``…).
    reported
        Reported figures (:func:`model.reconcile.read_reported`) for a Reconciliation
        sheet of the first scenario; ``None`` or no rows for none (see
        :func:`reports.export.shipped_reported`).
    vintages
        :func:`model.vintages.vintage_values`' long frame for a Vintages sheet; ``None``
        for none (see :func:`reports.export.shipped_vintages`).

    Returns
    -------
    bytes
        The ``.xlsx`` file.

    Raises
    ------
    model.loader.InputError
        When the variants do not share horizon and products, or probabilities are invalid.
    ValueError
        When the argument lists disagree in length or names repeat.
    reports.layout.ExcelLimitError
        When product ids make invalid or colliding Excel names, or a text is longer
        than a cell holds (a ``ValueError``).
    """
    _check_arguments(variants, names, descriptions)
    if probabilities:
        check_probabilities(list(probabilities.values()), "probabilities", "probability")
    res = run(variants, names)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    extras = Extras(reported if reported is not None and len(reported) else None, vintages)
    fmt = make_workbook(wb, res, list(descriptions), probabilities, extras)
    for writer in extra_sheets:
        writer(wb, fmt)
    wb.close()
    return buf.getvalue()


def _check_arguments(
    variants: Sequence[Assumptions], names: Sequence[str], descriptions: Sequence[str]
) -> None:
    if not variants:
        raise ValueError("at least one variant is needed")
    if not len(variants) == len(names) == len(descriptions):
        raise ValueError("variants, names and descriptions must have the same length")
    repeated = sorted({n for n in names if list(names).count(n) > 1})
    if repeated:
        raise ValueError(f"scenario names must be unique; repeated: {', '.join(repeated)}")


@dataclass(frozen=True)
class Extras:
    """Optional sheets' data: reported figures (Reconciliation), vintage values (Vintages)."""

    reported: pd.DataFrame | None = None
    vintages: pd.DataFrame | None = None

    @property
    def sheets(self) -> list[str]:
        """The optional sheets present, in the workbook's order."""
        return [
            name
            for name, data in (
                (lay.RECONCILIATION, self.reported),
                (lay.VINTAGES, self.vintages),
            )
            if data is not None
        ]


def make_workbook(
    wb: xlsxwriter.Workbook,
    res: Results,
    descriptions: list[str],
    probabilities: Mapping[str, float] | None,
    extras: Extras = Extras(),
) -> dict[str, Any]:
    """Write every sheet of the workbook into ``wb``; returns the shared formats."""
    variants, names = res.variants, res.names
    a = variants[0]
    multi = len(variants) > 1
    fmt = lay.make_formats(wb)
    pids = [p.id for p in a.products]
    sheets = lay.product_sheet_names(pids)
    order = (
        [lay.COVER, lay.INPUTS, lay.SUMMARY]
        + ([lay.SCENARIOS] if multi else [])
        + [lay.CHECKS, *extras.sheets, *sheets]
    )
    ws = {name: wb.add_worksheet(name, worksheet_class=ExactWorksheet) for name in order}
    discount = eq.discount_factors(np.array([a.discount_rate]), a.horizon.months)[0]
    grid = Grid(
        months=a.horizon.months,
        dates=month_serials(a),
        discount=discount,
        aliases={f"P{j}": s for j, s in enumerate(sheets)},
    )
    inputs = write_inputs(ws[lay.INPUTS], wb, variants, names, fmt)
    tables = (inputs.has_batches, inputs.has_actuals)
    prod_secs = [product_sections(a, res.projection, 0, j, grid, tables) for j in range(len(pids))]
    sum_secs = summary_sections(res.projection, 0, a, [f"P{j}" for j in range(len(pids))])
    sum_secs += timeline_sections(a, res.projection, 0, grid, inputs.vendor_names)
    _check_all_names(variants, prod_secs, sum_secs)
    for s, secs in zip(sheets, prod_secs, strict=True):
        layout_rows(s, secs, grid)
    layout_rows(lay.SUMMARY, sum_secs, grid)
    grid.values = {
        i.key: (i.values if isinstance(i, Series) else i.value)
        for sec in sum_secs
        for i in sec.items
    }
    checks = []
    for j, (s, secs) in enumerate(zip(sheets, prod_secs, strict=True)):
        checks += _write_product(ws[s], wb, s, a, res, j, secs, grid, fmt)
    last_month_row = _write_summary(ws[lay.SUMMARY], wb, sum_secs, grid, fmt)
    rollups, next_row = write_rollups(
        ws[lay.SUMMARY], grid, res.projection, 0, a, last_month_row + 2, fmt
    )
    vendors, next_row = write_vendor_tables(
        ws[lay.SUMMARY], grid, res, 0, next_row + 1, fmt, inputs.vendor_names
    )
    next_row = write_static_results(ws[lay.SUMMARY], res, 0, next_row + 1, fmt)
    checks += global_checks(grid, rollups, vendors, a.horizon.months)
    write_checks(ws[lay.CHECKS], wb, checks, fmt, inputs.changed_formula)
    if multi:
        write_scenarios(ws[lay.SCENARIOS], wb, res, descriptions, probabilities, fmt)
    if extras.reported is not None:
        write_reconciliation(ws[lay.RECONCILIATION], res, extras.reported, grid, sheets, fmt)
    if extras.vintages is not None:
        write_vintages(wb, ws[lay.VINTAGES], extras.vintages, fmt)
    exported = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    cover_end = write_cover(
        ws[lay.COVER], variants, names, descriptions, exported, fmt, extras.sheets
    )
    add_chart(wb, ws[lay.COVER], grid, cover_end + 2)
    ws[lay.COVER].activate()
    return fmt


def _write_product(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    sheet: str,
    a: Assumptions,
    res: Results,
    j: int,
    secs: Sequence[Section],
    grid: Grid,
    fmt: Mapping[str, Any],
) -> list[Any]:
    """One product's calculation sheet; returns its checks. Reported months are shaded."""
    p = a.products[j]
    rows = grid.rows[sheet]
    last_row = max(rows.values())
    write_sheet(
        ws,
        sheet,
        f"Product {p.id}: monthly calculation (docs/methodology.md §2–3)",
        f"Live formulas reading the Inputs sheet by defined name. Units as stated in column C "
        f"(money in {lay.MONEY_UNIT}); column D holds totals and scalars, E NPVs, F opening "
        "balances. Shaded months carry a reported actual.",
        secs,
        grid,
        fmt,
        wb,
        fit_rows=last_row + 1,
    )
    flag = lay.cell(rows["actual"], lay.COL_T0, row_abs=True)
    ws.conditional_format(
        rows["active"],
        lay.COL_T0,
        last_row,
        lay.month_col(grid.months - 1),
        {"type": "formula", "criteria": f"={flag}=1", "format": fmt["cf_actual"]},
    )
    values = {i.key: i.values for sec in secs for i in sec.items if isinstance(i, Series)}
    return product_checks(grid, sheet, res.projection, 0, j, a, values)


def _write_summary(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    secs: Sequence[Section],
    grid: Grid,
    fmt: Mapping[str, Any],
) -> int:
    """The Summary's monthly part, which also holds the timeline; returns its last row."""
    rows = grid.rows[lay.SUMMARY]
    last = max(rows.values())
    write_sheet(
        ws,
        lay.SUMMARY,
        f"Summary: money by party, all products ({lay.MONEY_UNIT})",
        f"All money in {lay.MONEY_UNIT}. Totals, NPV and roll-ups are live formulas over the "
        "product sheets; the timeline rows and scalars here drive every product sheet.",
        secs,
        grid,
        fmt,
        wb,
        link_timeline=False,
        fit_rows=last + 1,
    )
    ws.write_string(2, 0, "Checks", fmt["bold"])
    ws.write_formula(2, 1, '=IF(checks_ok,"all pass","FAIL: see Checks")', fmt["check"], "all pass")
    ws.write_number(lay.ROW_T, lay.COL_OPEN, -1, fmt["const_integer"])
    for t in range(grid.months):
        c = lay.month_col(t)
        ws.write_blank(lay.ROW_HEADER, c, None, fmt["header"])
        ws.write_formula(
            lay.ROW_T, c, render("=[t-1]+1", lay.SUMMARY, c, grid), fmt["integer"], float(t)
        )
        ws.write_formula(
            lay.ROW_DATE,
            c,
            render("=DATE(YEAR(horizon_start),MONTH(horizon_start)+[t],1)", lay.SUMMARY, c, grid),
            fmt["date"],
            float(grid.dates[t]),
        )
    return last


def _check_all_names(variants: Sequence[Assumptions], *sections: Any) -> None:
    names = [r.name for b in input_blocks(variants) for r in b.rows if r.name]
    names += ["active_scenario", "scenario_names", "scenario_descriptions", "checks_ok"]
    names += [*ALLOC_RANGES, *ACTUAL_RANGES, "inputs_as_exported"]

    def walk(obj: Any) -> None:
        if isinstance(obj, Section):
            for item in obj.items:
                names.extend(
                    n
                    for n in (
                        item.name,
                        getattr(item, "total_name", None),
                        getattr(item, "npv_name", None),
                    )
                    if n
                )
        elif isinstance(obj, (list, tuple)):
            for o in obj:
                walk(o)

    walk(list(sections))
    lay.check_names(names)


def output_ranges(
    a: Assumptions, supplier_ids: Sequence[str], bom_members: Sequence[Sequence[int]]
) -> dict[str, tuple[str, str]]:
    """Every named output range: name -> (product id, metric), as the core names them."""
    out = {}
    for j, p in enumerate(a.products):
        for m in METRICS:
            out[lay.output_name(p.id, m.name)] = (p.id, m.name)
        for k in bom_members[j]:
            metric = supplier_metric(supplier_ids[k])
            out[lay.output_name(p.id, metric)] = (p.id, metric)
    return out


__all__ = ["ExactWorksheet", "SheetWriter", "build_workbook_bytes", "output_ranges"]
