"""Cover (what this workbook is and how to use it) and Scenarios (values from the core)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import xlsxwriter
import xlsxwriter.worksheet

from model import __version__
from model.analysis import ALL, PARTIES, Results, expected_value
from model.loader import dump_assumptions
from model.schema import Assumptions

from . import layout as lay
from .inputs_sheet import write_text

HOW_TO = (
    "Change the blue cells on the Inputs sheet: every calculation sheet, the Summary and "
    "the Checks recalculate (Excel: automatic calculation).",
    "Each 'Calc <product>' sheet is the monthly model of one product, one line item of "
    "docs/methodology.md §2–3 per row, with its own licence timing; shaded months carry "
    "a reported actual.",
    "Summary: money by party (US$ millions; totals, NPV), the timeline, calendar roll-ups, "
    "each vendor's fiscal years with the EPS effect, the cost of delay and of the next "
    "month (values from the core at export), and a chart.",
    "Checks: every count must read 0 and every OK TRUE; the overall flag is the defined "
    "name checks_ok. A notice says whether the inputs changed since export.",
    "Defined names: inputs <section>_<key> (policy_share_rate) and <product>_<key> "
    "(h200_asp_usd); outputs out_<product>_<metric> (out_h200_gross_revenue_usd).",
    "Bring edited inputs back to YAML: python -m model import-xlsx THIS.xlsx --yaml OUT.yaml",
)
#: How to read the optional sheets, by sheet.
EXTRA_HOW_TO = {
    lay.RECONCILIATION: "Reconciliation: each figure a vendor reported, per vendor fiscal "
    "quarter, against the model's (a live formula over the calculation sheets), with its "
    "bound and an inside-bound flag; the backtest columns are values from the core.",
    lay.VINTAGES: "Vintages: the value to each party as the facts stood at key dates, "
    "values from the core at export (they do not recalculate).",
}
MULTI_HOW_TO = (
    "Several scenarios: pick the one the live model shows with Inputs!active_scenario; the "
    "Scenarios sheet compares all of them with values from the Python core (static).",
)
LEGEND = (
    ("in_number", "Input: change it (blue on a light fill)"),
    ("number", "Calculation: a live formula (black)"),
    ("link_number", "Link: a formula copying another sheet's value (green)"),
    ("const_number", "Constant: fixed by the model, not an assumption (grey)"),
    ("static_number", "Value from the Python core at export time: does not recalculate (blue)"),
    ("check", "Check: must read 0 or TRUE (green)"),
    ("cf_actual", "Month with a reported actual shipment (calculation sheets)"),
    ("cf_partial", "Partial period: fewer months than a full quarter or year"),
)


def assumptions_hash(variants: Sequence[Assumptions]) -> str:
    """SHA-256 of the exported assumptions (canonical JSON, sources included)."""
    data = [dump_assumptions(a) for a in variants]
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_cover(
    ws: xlsxwriter.worksheet.Worksheet,
    variants: Sequence[Assumptions],
    names: Sequence[str],
    descriptions: Sequence[str],
    exported: str,
    fmt: Mapping[str, Any],
    extra_sheets: Sequence[str] = (),
) -> int:
    """The Cover; returns its last row (the chart of revenue by party goes below).

    ``extra_sheets``: optional sheets of the workbook (Reconciliation, Vintages), whose
    use the Cover explains."""
    multi = len(variants) > 1
    ws.write_string(0, 0, "Chip Export Impact: finance workbook", fmt["title"])
    ws.write_string(
        1,
        0,
        "What the US licence for AI-chip sales to China is worth to each "
        "party, month by month, and what each month of delay costs.",
        fmt["note"],
    )
    rows: list[tuple[str, Any]] = [
        ("Scenario", ("=INDEX(scenario_names,active_scenario)", names[0]) if multi else names[0]),
        (
            "Description",
            ('=INDEX(scenario_descriptions,active_scenario)&""', descriptions[0])
            if multi
            else descriptions[0],
        ),
        ("Scenarios in this workbook", str(len(variants))),
        ("Model version", __version__),
        ("Exported (UTC)", exported),
        ("Assumptions hash (SHA-256 at export)", assumptions_hash(variants)),
        (
            "Checks",
            (
                '=IF(checks_ok,"All checks pass","CHECKS FAIL: see the Checks sheet")',
                "All checks pass",
            ),
        ),
        (
            "Inputs since export",
            (
                '=IF(inputs_as_exported,"unchanged: the figures pasted from the core are '
                'current","CHANGED: the cost of delay, of the next month and the backtest are '
                "the exported inputs' values\")",
                "unchanged: the figures pasted from the core are current",
            ),
        ),
    ]
    r = 3
    for label, value in rows:
        ws.write_string(r, 0, label, fmt["bold"])
        if isinstance(value, tuple):
            ws.write_formula(r, 1, value[0], fmt["wrap"], value[1])
        else:
            write_text(ws, r, 1, value, fmt["wrap"])
        r += 1
    r += 1
    ws.write_string(r, 0, "How to use", fmt["section"])
    extra = tuple(EXTRA_HOW_TO[s] for s in extra_sheets if s in EXTRA_HOW_TO)
    for line in HOW_TO + extra + (MULTI_HOW_TO if multi else ()):
        r += 1
        ws.write_string(r, 1, line, fmt["label"])
    r += 2
    ws.write_string(r, 0, "Colour legend", fmt["section"])
    for key, text in LEGEND:
        r += 1
        ws.write_string(r, 0, "1,234", fmt[key])
        ws.write_string(r, 1, text, fmt["label"])
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 110)
    lay.page_setup(ws, "Cover")
    ws.fit_to_pages(1, 1)
    return r


# ---------------------------------------------------------------- Scenarios


def _party_columns() -> list[tuple[str, str, str]]:
    cols = [(p.key, f"{p.label}: total", "total_usd") for p in PARTIES]
    cols += [(p.key, f"{p.label}: NPV", "npv_usd") for p in PARTIES]
    return cols


def write_scenarios(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    res: Results,
    descriptions: Sequence[str],
    probabilities: Mapping[str, float] | None,
    fmt: Mapping[str, Any],
) -> None:
    """Side by side: totals and NPV by party, cost of delay, expected value (static)."""
    names = res.names
    ws.write_string(0, 0, "Scenarios", fmt["title"])
    ws.write_string(
        1,
        0,
        "Values from the Python core at export time, in US$ billions: static, they do not "
        "recalculate when inputs change. Choose the scenario the live model shows "
        "with Inputs!active_scenario.",
        fmt["note"],
    )
    totals = records(res.totals[res.totals["product"] == ALL], ("scenario", "party"))
    delay = records(res.delay_cost[res.delay_cost["product"] == ALL], ("scenario", "party"))
    cols = _party_columns()
    head = ["#", "Scenario", "Description", "Probability", "Delay (months)"]
    top = 4
    ws.write_string(
        top - 1, 0, "Totals and NPV by party, all products (US$ billions)", fmt["section"]
    )
    for c, h in enumerate(head + [c[1] for c in cols]):
        ws.write_string(top, c, h, fmt["header"])
    ws.set_row(top, 45)
    for i, name in enumerate(names):
        r = top + 1 + i
        d = float(delay[(name, PARTIES[0].key)]["delay_months"])
        ws.write_number(r, 0, i + 1, fmt["static_integer"])
        write_text(ws, r, 1, name, fmt["static_text"])
        write_text(ws, r, 2, descriptions[i], fmt["static_text"])
        p = (probabilities or {}).get(name)
        if p is None:
            ws.write_blank(r, 3, None, fmt["static_pct"])
        else:
            ws.write_number(r, 3, p, fmt["static_pct"])
        _number_or_text(ws, r, 4, d, "never", fmt["static_integer"])
        for c, (party, _label, column) in enumerate(cols, start=len(head)):
            ws.write_number(r, c, float(totals[(name, party)][column]), fmt["static_usd_bn"])
    last = top + len(names)
    wb.define_name("scenario_names", f"={quote_range(lay.SCENARIOS, top + 1, 1, last, 1)}")
    wb.define_name("scenario_descriptions", f"={quote_range(lay.SCENARIOS, top + 1, 2, last, 2)}")
    r = last + 1
    if probabilities:
        ev = records(expected_value(res.totals, dict(probabilities)), ("product", "party"))
        write_text(ws, r, 1, "Expected value (probability-weighted)", fmt["bold"])
        ws.write_number(r, 3, math.fsum(probabilities.values()), fmt["static_pct"])
        for c, (party, _label, column) in enumerate(cols, start=len(head)):
            ws.write_number(r, c, float(ev[(ALL, party)][column]), fmt["static_usd_bn"])
        r += 1
    _write_delay(ws, r + 2, res, delay, fmt)
    ws.set_column(0, 0, 4)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 2, 60)
    ws.set_column(3, 4, 12)
    ws.set_column(5, 5 + len(cols) + 14, 16)
    ws.freeze_panes(top + 1, 2)
    lay.page_setup(ws, "Scenarios")
    ws.fit_to_pages(1, 0)


def _write_delay(
    ws: xlsxwriter.worksheet.Worksheet,
    top: int,
    res: Results,
    delay: Records,
    fmt: Mapping[str, Any],
) -> None:
    ws.write_string(
        top - 1,
        0,
        "Cost of delay: the same assumptions licensed at demand.reference_start (China's "
        "allocations and actuals removed) minus the scenario; cost of the next month: the "
        "scenario minus the same with approvals after horizon.as_of one month later "
        "(US$ billions; per month of delay)",
        fmt["section"],
    )
    head = ["#", "Scenario", "", "", "Delay (months)"]
    cols = [
        (p.key, f"{p.label}: {what}", col)
        for p in PARTIES
        for what, col in (
            ("total", "total_usd"),
            ("NPV", "npv_usd"),
            ("total per month", "total_per_month_usd"),
        )
    ]
    nxt = records(res.next_month[res.next_month["product"] == ALL], ("scenario", "party"))
    cols += [(p.key, f"{p.label}: next month", "next") for p in PARTIES]
    for c, h in enumerate(head + [c[1] for c in cols]):
        ws.write_string(top, c, h, fmt["header"])
    ws.set_row(top, 45)
    for i, name in enumerate(res.names):
        r = top + 1 + i
        ws.write_number(r, 0, i + 1, fmt["static_integer"])
        write_text(ws, r, 1, name, fmt["static_text"])
        d = float(delay[(name, PARTIES[0].key)]["delay_months"])
        _number_or_text(ws, r, 4, d, "never", fmt["static_integer"])
        for c, (party, _label, column) in enumerate(cols, start=len(head)):
            v = (
                nxt[(name, party)]["total_usd"]
                if column == "next"
                else delay[(name, party)][column]
            )
            _number_or_text(ws, r, c, float(v), "n/a", fmt["static_usd_bn"])


def _number_or_text(
    ws: xlsxwriter.worksheet.Worksheet, r: int, c: int, v: float, text: str, f: Any
) -> None:
    if math.isfinite(v):
        ws.write_number(r, c, v, f)
    else:
        ws.write_string(r, c, text, f)


#: Rows of a frame by the values of some of its columns.
Records = dict[tuple[Any, ...], dict[str, Any]]


def records(frame: pd.DataFrame, keys: Sequence[str]) -> Records:
    """The rows of ``frame`` as dictionaries, by the values of its ``keys`` columns: one
    dictionary lookup per cell written instead of a pandas selection."""
    index = zip(*(frame[k] for k in keys), strict=True)
    return dict(zip(index, frame.to_dict("records"), strict=True))


def quote_range(sheet: str, r0: int, c0: int, r1: int, c1: int) -> str:
    return f"{lay.quote(sheet)}!{lay.cell(r0, c0, True, True)}:{lay.cell(r1, c1, True, True)}"
