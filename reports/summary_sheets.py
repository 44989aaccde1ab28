"""Summary (money by party, roll-ups, chart) and Checks: formulas over the product sheets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xlsxwriter
import xlsxwriter.worksheet

from model.analysis import PARTIES, party_series
from model.calendar import month_labels
from model.engine import Projection
from model.outputs import period_labels
from model.schema import Assumptions

from . import layout as lay
from .calc_sheets import period_keys, supplier_keys
from .grid import Grid, Scalar, Section, Series

#: Party -> line item of the product sheets (``suppliers`` sums the supplier rows).
PARTY_ROWS = {
    "china_gross_revenue": "R",
    "vendor_retained": "V",
    "vendor_gross_profit": "GP",
    "us_government": "G",
    "test_labs": "L",
    "china_tariff": "C",
}
#: Parties drawn in the chart of revenue by party.
CHART_PARTIES = ("vendor_retained", "us_government", "suppliers", "test_labs", "china_tariff")
#: Roll-ups on the Summary: (period, title, key row and label row of the Time sheet).
ROLLUPS = (
    ("fiscal_quarter", "Fiscal quarters", "fiscal_quarter_key", "fiscal_quarter"),
    ("fiscal_year", "Fiscal years", "fiscal_year_key", "fiscal_year"),
    ("calendar_quarter", "Calendar quarters", "calendar_quarter_key", "calendar_quarter"),
    ("calendar_year", "Calendar years", "calendar_year", "calendar_year"),
)


def party_keys(proj: Projection) -> list[str]:
    """Summary line items: the parties, then each supplier (``supplier:<id>``)."""
    return [p.key for p in PARTIES] + [f"supplier:{s}" for s in proj.inputs.supplier_ids]


def party_label(key: str) -> str:
    if key.startswith("supplier:"):
        return f"Supplier {key.split(':', 1)[1]}"
    return next(p.label for p in PARTIES if p.key == key)


def _row_key(key: str) -> str:
    return key.replace(":", "_")


def summary_sections(
    proj: Projection, variant: int, a: Assumptions, aliases: Sequence[str]
) -> list[Section]:
    """Money by party over all products, month by month, with totals and NPV."""
    x = proj.inputs
    money = {k: v[variant] for k, v in party_series(proj).items()}
    items: list[Series | Scalar] = []
    sup_items: list[Series | Scalar] = []
    for key in party_keys(proj):
        if key in PARTY_ROWS:
            template = "=" + "+".join(f"[{al}.{PARTY_ROWS[key]}]" for al in aliases)
        elif key == "suppliers":
            ids = [_row_key(f"supplier:{s}") for s in x.supplier_ids]
            template = f"=SUM([{ids[0]}]:[{ids[-1]}])" if ids else "=0"
        else:
            sid = key.split(":", 1)[1]
            terms = [
                f"[{al}.S_{sid}]"
                for j, al in enumerate(aliases)
                if f"S_{sid}" in supplier_keys(proj, j)
            ]
            template = "=" + "+".join(terms) if terms else "=0"
        values = money[key].sum(axis=0)
        rk = _row_key(key)
        item = Series(
            rk,
            party_label(key),
            "",
            "USD",
            "usd",
            template,
            values,
            total="sum",
            npv=True,
            name=f"party_{rk}_usd",
            total_name=f"total_{rk}_usd",
            npv_name=f"npv_{rk}_usd",
        )
        (sup_items if key.startswith("supplier:") else items).append(item)
    inv = proj.volumes.inventory[variant, :, -1]
    stock = Section(
        "Ending inventory (all products)",
        [
            Scalar(
                "ending_units",
                "Ending inventory",
                "ΣInv(H)",
                "units",
                "units",
                "="
                + "+".join(
                    f"{lay.product_prefix(p.id)}_ending_inventory_units" for p in a.products
                ),
                float(inv.sum()),
                "total_ending_inventory_units",
            ),
            Scalar(
                "stranded_usd",
                "Stranded inventory at cost",
                "ΣInv(H)·cost",
                "USD",
                "usd",
                "="
                + "+".join(
                    f"{lay.product_prefix(p.id)}_stranded_inventory_usd" for p in a.products
                ),
                float((inv * x.unit_cost[variant]).sum()),
                "total_stranded_inventory_usd",
            ),
        ],
    )
    sections = [Section("Money by party, all products (USD per month; total and NPV)", items)]
    if sup_items:
        sections.append(Section("Suppliers one by one (USD per month)", sup_items))
    sections.append(stock)
    return sections


# ---------------------------------------------------------------- roll-ups


@dataclass(frozen=True)
class Rollup:
    period: str
    title: str
    labels: list[str]
    first_row: int  # row of the period labels; keys below, then one row per party
    party_rows: dict[str, int]


def write_rollups(
    ws: xlsxwriter.worksheet.Worksheet,
    grid: Grid,
    proj: Projection,
    variant: int,
    a: Assumptions,
    start_row: int,
    fmt: Mapping[str, Any],
) -> tuple[list[Rollup], int]:
    """Quarterly and yearly roll-ups of every party: ``SUMIF`` over the Time sheet's keys."""
    months = month_labels(a.horizon.start, a.horizon.months)
    all_keys = period_keys(a)
    money = {k: v[variant].sum(axis=0) for k, v in party_series(proj).items()}
    keys = party_keys(proj)
    srow = grid.rows[lay.SUMMARY]
    out: list[Rollup] = []
    r = start_row
    for period, title, key_row, _label_row in ROLLUPS:
        per_month = period_labels(months, period, a.horizon.fiscal_year_end_month)
        labels = list(dict.fromkeys(per_month))
        time_keys = all_keys[key_row]
        ws.write_string(r, lay.COL_LABEL, f"{title} (USD)", fmt["section"])
        ws.write_string(r + 1, lay.COL_LABEL, "Period", fmt["bold"])
        ws.write_string(r + 2, lay.COL_LABEL, "Period key", fmt["note"])
        ws.write_string(r + 1, lay.COL_TOTAL, "Total", fmt["bold"])
        key_rng = grid.range(lay.TIME, key_row)
        first_key = time_keys[0]
        for k, label in enumerate(labels):
            c = lay.month_col(k)
            kcell = lay.cell(r + 2, c, row_abs=True)
            prev = lay.cell(r + 2, c - 1)
            first_ref = lay.abs_ref(lay.TIME, grid.row(lay.TIME, key_row), lay.COL_T0)
            key_formula = f"={first_ref}" if k == 0 else f"={prev}+1"
            ws.write_formula(r + 2, c, key_formula, fmt["integer"], float(first_key + k))
            ws.write_formula(
                r + 1,
                c,
                f'=IF({kcell}>MAX({key_rng}),"",{_label_formula(period, kcell)})',
                fmt["bold"],
                label,
            )
        last_c = lay.month_col(len(labels) - 1)
        party_rows = {}
        for i, key in enumerate(keys):
            row = r + 3 + i
            party_rows[key] = row
            ws.write_string(row, lay.COL_LABEL, party_label(key), fmt["label"])
            src = lay.row_range(
                None, srow[_row_key(key)], lay.COL_T0, lay.month_col(grid.months - 1)
            )
            vals = [float(np.sum(money[key][[m == lab for m in per_month]])) for lab in labels]
            for k in range(len(labels)):
                c = lay.month_col(k)
                ws.write_formula(
                    row,
                    c,
                    f"=SUMIF({key_rng},{lay.cell(r + 2, c, row_abs=True)},{src})",
                    fmt["usd"],
                    vals[k],
                )
            ws.write_formula(
                row,
                lay.COL_TOTAL,
                f"=SUM({lay.cell(row, lay.COL_T0)}:{lay.cell(row, last_c)})",
                fmt["usd"],
                float(sum(vals)),
            )
        out.append(Rollup(period, title, labels, r + 1, party_rows))
        r += 3 + len(keys) + 1
    return out, r


def _label_formula(period: str, k: str) -> str:
    """The period's label from its key, as the core writes it (``FY2027-Q1``, ``2026``)."""
    if period == "fiscal_quarter":
        return f'"FY"&(INT({k}/4)+1)&"-Q"&(MOD({k},4)+1)'
    if period == "fiscal_year":
        return f'"FY"&{k}'
    if period == "calendar_quarter":
        return f'INT({k}/4)&"-Q"&(MOD({k},4)+1)'
    return f'{k}&""'


def add_chart(
    wb: xlsxwriter.Workbook, ws: xlsxwriter.worksheet.Worksheet, grid: Grid, row: int
) -> None:
    """A native line chart of each party's monthly revenue (all products)."""
    chart = wb.add_chart({"type": "line"})
    srow = grid.rows[lay.SUMMARY]
    last = lay.month_col(grid.months - 1)
    cats = lay.row_range(lay.SUMMARY, lay.ROW_DATE, lay.COL_T0, last)
    for key in CHART_PARTIES:
        r = srow[key]
        chart.add_series(
            {
                "name": f"={lay.abs_ref(lay.SUMMARY, r, lay.COL_LABEL)}",
                "categories": cats,
                "values": lay.row_range(lay.SUMMARY, r, lay.COL_T0, last),
                "marker": {"type": "none"},
            }
        )
    chart.set_title({"name": "Revenue by party, all products"})
    chart.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
    chart.set_y_axis({"num_format": '$#,##0,,"M"', "name": "USD per month"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 960, "height": 420})
    ws.insert_chart(row, lay.COL_LABEL, chart)


# ---------------------------------------------------------------- Checks


@dataclass(frozen=True)
class Check:
    label: str
    product: str
    formula: str
    value: float
    meaning: str


def _count(condition: str) -> str:
    return f"=SUMPRODUCT(--({condition}))"


def _over(a: str, b: str) -> str:
    """``a`` exceeds ``b`` beyond the tolerance."""
    return f"{a}-{b}>{lay.CHECK_ABS:g}+{lay.CHECK_REL:g}*ABS({b})"


def _np_over(a: np.ndarray, b: np.ndarray) -> float:
    finite = np.where(np.abs(b) < 1e200, b, 1e200)
    return float(np.sum(a - finite > lay.CHECK_ABS + lay.CHECK_REL * np.abs(finite)))


def product_checks(
    grid: Grid,
    sheet: str,
    proj: Projection,
    variant: int,
    j: int,
    a: Assumptions,
    values: Mapping[str, np.ndarray],
) -> list[Check]:
    """Checks over one product's monthly rows; ``values`` are the cached rows."""
    pid = a.products[j].id
    rg = {
        k: grid.range(sheet, k)
        for k in ("R", "G", "L", "COGS", "GP", "X", "room", "cap", "A", "O", "Inv")
    }
    v = values
    resid = v["R"] - v["G"] - v["L"] - v["COGS"] - v["GP"]
    p = a.products[j]
    pp = lay.product_prefix(pid)
    boms = [lay.bom_input_name(pid, s) for s in p.bom_usd_per_unit]
    bom_ok = sum(p.bom_usd_per_unit.values()) <= p.unit_cost_usd + 1e-9
    return [
        Check(
            "Money conserved each month: R = G + L + COGS + GP",
            pid,
            _count(
                f"ABS({rg['R']}-{rg['G']}-{rg['L']}-{rg['COGS']}-{rg['GP']})>"
                f"{lay.CHECK_ABS:g}+{lay.CHECK_REL:g}*ABS({rg['R']})"
            ),
            float(np.sum(np.abs(resid) > lay.CHECK_ABS + lay.CHECK_REL * np.abs(v["R"]))),
            "months where the buyers' money does not add up to the parties' shares",
        ),
        Check(
            "Shipments within quota room: X ≤ max(0, Room)",
            pid,
            _count(_over(rg["X"], rg["room"])),
            _np_over(v["X"], v["room"]),
            "months shipping more than the US-allocation quota allows",
        ),
        Check(
            "Shipments within the licence cap: X ≤ Cap",
            pid,
            _count(_over(rg["X"], rg["cap"])),
            _np_over(v["X"], v["cap"]),
            "months shipping more than the licence units left",
        ),
        Check(
            "Shipments within stock: X ≤ A",
            pid,
            _count(_over(rg["X"], rg["A"])),
            _np_over(v["X"], v["A"]),
            "months shipping more chips than are available",
        ),
        Check(
            "Shipments within open orders: X ≤ O",
            pid,
            _count(_over(rg["X"], rg["O"])),
            _np_over(v["X"], v["O"]),
            "months shipping more than buyers ordered",
        ),
        Check(
            "Inventory never negative",
            pid,
            _count(f"{rg['Inv']}<-{lay.CHECK_ABS:g}"),
            float(np.sum(v["Inv"] < -lay.CHECK_ABS)),
            "months ending with negative stock",
        ),
        Check(
            "Bill of materials within unit cost",
            pid,
            f"=IF(SUM({','.join(boms) or '0'})<={pp}_unit_cost_usd+1E-9,0,1)",
            0.0 if bom_ok else 1.0,
            "1 when the suppliers' BOM exceeds the unit cost",
        ),
    ]


def global_checks(grid: Grid, rollups: Sequence[Rollup], months: int) -> list[Check]:
    """Checks of the workbook as a whole: inputs valid, layout intact, roll-ups add up."""
    srow = grid.rows[lay.SUMMARY]
    valid = f"{lay.quote(lay.INPUTS)}!${lay.col_name(lay.IN_VALID)}:${lay.col_name(lay.IN_VALID)}"
    out = [
        Check(
            "All inputs within their valid ranges",
            "all",
            f"=COUNTIF({valid},FALSE)",
            0.0,
            "inputs failing their rule (see the Valid column of the Inputs sheet)",
        ),
        Check(
            "Horizon months match the workbook's month columns",
            "all",
            f"=IF(horizon_months={months},0,1)",
            0.0,
            "1 when horizon.months was changed: export again from the YAML file",
        ),
    ]
    for ru in rollups:
        terms = []
        for key, row in ru.party_rows.items():
            ours = lay.cell(row, lay.COL_TOTAL, True, True)
            total = lay.abs_ref(lay.SUMMARY, srow[_row_key(key)], lay.COL_TOTAL)
            terms.append(
                f"(ABS({lay.quote(lay.SUMMARY)}!{ours}-{total})>"
                f"{lay.CHECK_ABS:g}+{lay.CHECK_REL:g}*ABS({total}))"
            )
        out.append(
            Check(
                f"{ru.title} add up to the horizon totals",
                "all",
                "=" + "+".join(terms),
                0.0,
                "parties whose roll-up misses months (e.g. after a change of "
                "horizon.start: export again)",
            )
        )
    return out


def write_checks(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    checks: Sequence[Check],
    fmt: Mapping[str, Any],
) -> None:
    """The Checks sheet: every count must read 0; ``checks_ok`` is the overall flag."""
    ws.write_string(0, 0, "Checks", fmt["title"])
    ws.write_string(
        1,
        0,
        "Live checks of the model: every count must read 0 and every flag "
        "TRUE. Tolerance: 1e-6 units or USD plus 1e-9 relative.",
        fmt["note"],
    )
    first = 5
    ok_all = all(c.value == 0 for c in checks)
    ws.write_string(3, 0, "All checks pass", fmt["bold"])
    last = first + len(checks) - 1
    ws.write_formula(
        3, 3, f"=SUM({lay.cell(first, 2)}:{lay.cell(last, 2)})=0", fmt["check"], ok_all
    )
    wb.define_name("checks_ok", f"={lay.abs_ref(lay.CHECKS, 3, 3)}")
    for c, h in enumerate(("Check", "Product", "Count", "OK", "What a non-zero count means")):
        ws.write_string(first - 1, c, h, fmt["header"])
    for i, chk in enumerate(checks):
        r = first + i
        ws.write_string(r, 0, chk.label, fmt["label"])
        ws.write_string(r, 1, chk.product, fmt["label"])
        ws.write_formula(r, 2, chk.formula, fmt["check_num"], chk.value)
        ws.write_formula(r, 3, f"={lay.cell(r, 2)}=0", fmt["check"], chk.value == 0)
        ws.write_string(r, 4, chk.meaning, fmt["label"])
    ws.set_column(0, 0, 52)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 3, 9)
    ws.set_column(4, 4, 70)
    ws.freeze_panes(first, 0)
    ws.repeat_rows(first - 1)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
