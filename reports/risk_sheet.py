"""The workbook's Risk sheet: Monte Carlo percentiles and the tornado, as values.

Simulation results cannot be recalculated by a spreadsheet, so this sheet holds
values pasted from the Python run and says so in its title. Text (risk-file names,
paths, sources) is written as text, never as a formula, whatever the workbook's
options. The workbook builder calls the writer returned by :func:`risk_sheet_writer`
with its shared formats::

    build_workbook_bytes(..., extra_sheets=[risk_sheet_writer(sim, tornado)])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xlsxwriter

from model.analysis import PARTIES
from model.risk import (
    PERCENTILES,
    Simulation,
    Tornado,
    describe_output,
    load_risk,
    simulate,
    tornado,
)
from model.schema import Assumptions

SHEET = "Risk"
LABEL = "simulation results, values not formulas"
PERCENTILE_HEADERS = (
    "Party",
    "Measure",
    *(f"P{q}" for q in PERCENTILES),
    "Mean",
    "Std. error of mean",
)
TORNADO_HEADERS = ("Input", "Low", "High", "Output at low", "Output at high", "Swing", "Range from")
INPUT_HEADERS = ("Uncertain input", "Distribution", "Applied as", "Source")

Writer = Callable[[xlsxwriter.Workbook, dict[str, Any]], None]

_FALLBACK = {
    "title": {"bold": True, "font_size": 14},
    "note": {"italic": True, "font_color": "#595959"},
    "section": {"bold": True, "bottom": 1},
    "header": {"bold": True, "bg_color": "#D9D9D9", "text_wrap": True, "valign": "top"},
    "usd": {"num_format": '$#,##0.00,,,"B"'},
    "pct": {"num_format": "0.0%"},
    "text": {},
    "wrap": {"text_wrap": True, "valign": "top"},
}
#: Preferred shared format keys for each role, first found wins.
_ROLES = {
    "title": ("title",),
    "note": ("note",),
    "section": ("section", "bold"),
    "header": ("header",),
    "usd": ("static_usd_b", "usd_b", "usd"),
    "pct": ("static_pct", "pct"),
    "text": ("text", "label"),
    "wrap": ("wrap",),
}


def _formats(wb: xlsxwriter.Workbook, shared: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for role, keys in _ROLES.items():
        found = next((shared[k] for k in keys if k in shared), None)
        out[role] = found if found is not None else wb.add_format(_FALLBACK[role])
    return out


def _ordered_parties(sim: Simulation) -> list[str]:
    main = [p.key for p in PARTIES if p.key in sim.parties]
    return main + [p for p in sim.parties if p not in main]


def risk_sheet_writer(result: Simulation, tornado: Tornado | None = None) -> Writer:
    """A function adding the "Risk" sheet for ``result`` (and ``tornado``) to a workbook."""

    def write(wb: xlsxwriter.Workbook, shared: dict[str, Any]) -> None:
        f = _formats(wb, shared)
        ws = wb.add_worksheet(SHEET)
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 14)
        ws.set_column(2, 8, 14)
        ws.write_string(0, 0, f"Risk: Monte Carlo {LABEL}", f["title"])
        ws.write_string(
            1,
            0,
            "Each figure is a statistic of the simulated paths computed by "
            "the Python model (python -m model simulate); a spreadsheet cannot "
            "recalculate them.",
            f["note"],
        )
        row = _write_run(ws, f, result, 3)
        row = _write_percentiles(ws, f, result, row + 1)
        row = _write_first_shipment(ws, f, result, row + 1)
        if tornado is not None:
            row = _write_tornado(ws, f, tornado, row + 1)
        _write_inputs(ws, f, result, row + 1)

    return write


def _write_run(ws: Any, f: dict[str, Any], sim: Simulation, row: int) -> int:
    facts: list[tuple[str, Any, str]] = [
        ("Risk file", sim.spec.name, "text"),
        ("Assumptions", sim.base_name, "text"),
        ("Paths", sim.n_paths, "text"),
        ("Seed", sim.seed, "text"),
        ("Products", ", ".join(sim.product_ids), "text"),
        ("Probability of no China revenue", sim.p_no_revenue, "pct"),
    ]
    for label, value, fmt in facts:
        ws.write_string(row, 0, label)
        if isinstance(value, str):
            ws.write_string(row, 1, value, f[fmt])
        else:
            ws.write_number(row, 1, value, f[fmt])
        row += 1
    return row


def _header(ws: Any, f: dict[str, Any], row: int, headers: tuple[str, ...]) -> None:
    for c, h in enumerate(headers):
        ws.write_string(row, c, h, f["header"])


def _write_percentiles(ws: Any, f: dict[str, Any], sim: Simulation, row: int) -> int:
    ws.write_string(row, 0, f"Percentiles of horizon totals and NPV, USD ({LABEL})", f["section"])
    _header(ws, f, row + 1, PERCENTILE_HEADERS)
    row += 2
    summary = sim.summary().set_index(["party", "measure"])
    for measure, label in (("total", "Total"), ("npv", "NPV")):
        for party in _ordered_parties(sim):
            r = summary.loc[(party, measure)]
            ws.write_string(row, 0, r["label"])
            ws.write_string(row, 1, label)
            for c, key in enumerate([*(f"p{q}" for q in PERCENTILES), "mean", "se"], start=2):
                ws.write_number(row, c, float(r[key]), f["usd"])
            row += 1
    return row


def _write_first_shipment(ws: Any, f: dict[str, Any], sim: Simulation, row: int) -> int:
    ws.write_string(row, 0, f"First China shipment month ({LABEL})", f["section"])
    _header(ws, f, row + 1, ("Month", "Probability", "Cumulative"))
    row += 2
    for r in sim.first_shipment_distribution().itertuples():
        ws.write_string(row, 0, str(r.month))
        ws.write_number(row, 1, float(r.probability), f["pct"])
        ws.write_number(row, 2, float(r.cumulative), f["pct"])
        row += 1
    return row


def _write_tornado(ws: Any, f: dict[str, Any], t: Tornado, row: int) -> int:
    what = describe_output(t.output, t.measure, t.product)
    ws.write_string(row, 0, f"Tornado, one input at a time: {what} ({LABEL})", f["section"])
    ws.write_string(row + 1, 0, "Base value")
    ws.write_number(row + 1, 1, t.base, f["usd"])
    _header(ws, f, row + 2, TORNADO_HEADERS)
    row += 3
    for r in t.table.itertuples():
        ws.write_string(row, 0, str(r.parameter))
        ws.write_string(row, 1, str(r.low))
        ws.write_string(row, 2, str(r.high))
        ws.write_number(row, 3, float(r.output_low), f["usd"])
        ws.write_number(row, 4, float(r.output_high), f["usd"])
        ws.write_number(row, 5, float(r.swing), f["usd"])
        ws.write_string(row, 6, str(r.range))
        row += 1
    return row


def _write_inputs(ws: Any, f: dict[str, Any], sim: Simulation, row: int) -> int:
    ws.write_string(row, 0, "Uncertain inputs of the risk file", f["section"])
    _header(ws, f, row + 1, INPUT_HEADERS)
    row += 2
    for m in sim.spec.marginals:
        ws.write_string(row, 0, m.path)
        ws.write_string(row, 1, m.shape)
        ws.write_string(row, 2, m.apply)
        ws.write_string(row, 3, m.source, f["wrap"])
        row += 1
    return row


def simulated_risk_sheet(
    assumptions: Assumptions,
    name: str,
    risk_file: str,
    paths: int,
    seed: int,
    output: str = "vendor_gross_profit",
) -> Writer:
    """Run the Monte Carlo and the risk-file tornado for one scenario; its sheet writer.

    Used by ``python -m model export ... --risk RISK.yaml --paths N --seed S``.
    """
    spec = load_risk(risk_file, assumptions)
    sim = simulate(assumptions, spec, paths, seed, base_name=name)
    return risk_sheet_writer(sim, tornado(assumptions, output, spec=spec))
