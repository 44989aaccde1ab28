"""Summary (money by party, timeline, calendar roll-ups, vendors' fiscal years with the
EPS effect, cost of delay and of the next month, chart) and Checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xlsxwriter
import xlsxwriter.worksheet

from model.analysis import (
    ALL,
    PARTIES,
    SUPPLIER_PREFIX,
    Results,
    party_keys,
    party_label,
    party_series,
)
from model.calendar import month_labels
from model.engine import Projection
from model.outputs import period_labels
from model.schema import Assumptions

from . import layout as lay
from .calc_sheets import supplier_keys, vendor_products, vendor_tag
from .cover_sheets import Records, records
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
#: Roll-ups of all products on the Summary: (period, title, key row of the timeline).
#: Across vendors the periods are calendar ones; each vendor's fiscal periods have a
#: table of their own (:func:`write_vendor_tables`).
ROLLUPS = (
    ("calendar_quarter", "Calendar quarters", "calendar_quarter_key"),
    ("calendar_year", "Calendar years", "calendar_year"),
)


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
    for key in party_keys(x.supplier_ids):
        if key in PARTY_ROWS:
            template = "=" + "+".join(f"[{al}.{PARTY_ROWS[key]}]" for al in aliases)
        elif key == "suppliers":
            ids = [_row_key(f"{SUPPLIER_PREFIX}{s}") for s in x.supplier_ids]
            template = f"=SUM([{ids[0]}]:[{ids[-1]}])" if ids else "=0"
        else:
            sid = key.removeprefix(SUPPLIER_PREFIX)
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
            lay.MONEY_UNIT,
            "usd",
            template,
            values,
            total="sum",
            npv=True,
            name=f"party_{rk}_usd",
            total_name=f"total_{rk}_usd",
            npv_name=f"npv_{rk}_usd",
        )
        (sup_items if key.startswith(SUPPLIER_PREFIX) else items).append(item)
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
                lay.MONEY_UNIT,
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
    m = lay.MONEY_UNIT
    sections = [Section(f"Money by party, all products ({m} per month; total and NPV)", items)]
    if sup_items:
        sections.append(Section(f"Suppliers one by one ({m} per month)", sup_items))
    sections.append(stock)
    return sections


# ---------------------------------------------------------------- roll-ups


@dataclass(frozen=True)
class Rollup:
    period: str
    title: str
    labels: list[str]
    first_row: int  # row of the period labels; months and keys below, then the parties
    party_rows: dict[str, int]


def _key_formula(r: int, c: int, k: int, first_ref: str) -> str:
    return f"={first_ref}" if k == 0 else f"={lay.cell(r, c - 1)}+1"


def write_rollups(
    ws: xlsxwriter.worksheet.Worksheet,
    grid: Grid,
    proj: Projection,
    variant: int,
    a: Assumptions,
    start_row: int,
    fmt: Mapping[str, Any],
) -> tuple[list[Rollup], int]:
    """Calendar quarters and years of every party: ``SUMIF`` over the timeline's keys,
    with the months each period holds (a partial period has fewer than 3 or 12)."""
    months = month_labels(a.horizon.start, a.horizon.months)
    money = {k: v[variant].sum(axis=0) for k, v in party_series(proj).items()}
    keys = party_keys(proj.inputs.supplier_ids)
    srow = grid.rows[lay.SUMMARY]
    out: list[Rollup] = []
    r = start_row
    for period, title, key_row in ROLLUPS:
        per_month = period_labels(months, period, a.horizon.fiscal_year_end_month)
        labels = list(dict.fromkeys(per_month))
        time_keys = grid_values(grid, key_row)
        ws.write_string(r, lay.COL_LABEL, f"{title} ({lay.MONEY_UNIT})", fmt["section"])
        ws.write_string(r + 1, lay.COL_LABEL, "Period", fmt["bold"])
        ws.write_string(r + 2, lay.COL_LABEL, "Months in the period", fmt["note"])
        ws.write_string(r + 3, lay.COL_LABEL, "Period key", fmt["note"])
        ws.write_string(r + 1, lay.COL_TOTAL, "Total", fmt["bold"])
        key_rng = grid.range(lay.TIMELINE, key_row)
        first_ref = lay.abs_ref(lay.TIMELINE, grid.row(lay.TIMELINE, key_row), lay.COL_T0)
        for k, label in enumerate(labels):
            c = lay.month_col(k)
            kcell = lay.cell(r + 3, c, row_abs=True)
            ws.write_formula(
                r + 3,
                c,
                _key_formula(r + 3, c, k, first_ref),
                fmt["integer"],
                float(time_keys[0] + k),
            )
            ws.write_formula(
                r + 1,
                c,
                f'=IF({kcell}>MAX({key_rng}),"",{_label_formula(period, kcell)})',
                fmt["bold"],
                label,
            )
            ws.write_formula(
                r + 2,
                c,
                f"=COUNTIF({key_rng},{kcell})",
                fmt["integer"],
                float(per_month.count(label)),
            )
        partial = f"{lay.cell(r + 2, lay.COL_T0)}:{lay.cell(r + 2, lay.month_col(len(labels) - 1))}"
        limit = 3 if period.endswith("quarter") else 12
        ws.conditional_format(
            partial, {"type": "cell", "criteria": "<", "value": limit, "format": fmt["cf_partial"]}
        )
        last_c = lay.month_col(len(labels) - 1)
        party_rows = {}
        for i, key in enumerate(keys):
            row = r + 4 + i
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
                    f"=SUMIF({key_rng},{lay.cell(r + 3, c, row_abs=True)},{src})",
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
        r += 4 + len(keys) + 1
    return out, r


def grid_values(grid: Grid, key: str) -> np.ndarray:
    """The cached values of a timeline row (kept by the writer)."""
    return grid.values[key]


def _label_formula(period: str, k: str) -> str:
    """The period's label from its key, as the core writes it (``2026-Q1``, ``2026``)."""
    if period == "calendar_quarter":
        return f'INT({k}/4)&"-Q"&(MOD({k},4)+1)'
    return f'{k}&""'


# ---------------------------------------------------------------- vendors' fiscal years

#: Columns of a vendor's fiscal-year table, from the first month column on.
VENDOR_COLUMNS = (
    "Months",
    "GP Q1",
    "GP Q2",
    "GP Q3",
    "GP Q4",
    "GP year",
    "After tax",
    "EPS (US$)",
    "Months Q1",
    "Months Q2",
    "Months Q3",
    "Months Q4",
)


@dataclass(frozen=True)
class VendorTable:
    vendor: str
    header_row: int
    rows: dict[int, int]  # fiscal year -> row
    total_row: int


def write_vendor_tables(
    ws: xlsxwriter.worksheet.Worksheet,
    grid: Grid,
    res: Results,
    variant: int,
    start_row: int,
    fmt: Mapping[str, Any],
    vendor_names: set[str],
) -> tuple[list[VendorTable], int]:
    """Per vendor, one row per fiscal year of its own calendar: the months it holds,
    gross profit by fiscal quarter and year, profit after tax and the EPS effect (live
    from the vendor's tax rate and diluted shares), and the months of each quarter."""
    proj = res.projection
    view = res.vendors[res.vendors["scenario"] == res.names[variant]]
    ws.write_string(
        start_row,
        lay.COL_LABEL,
        f"Vendors' fiscal years: gross profit from China ({lay.MONEY_UNIT}), profit "
        "after tax and the EPS effect (US$ per share)",
        fmt["section"],
    )
    r = start_row + 1
    tables = []
    for k, vendor in enumerate(vendor_products(proj)):
        tables.append(_vendor_table(ws, grid, view, k, vendor, r, fmt, vendor_names))
        r = tables[-1].total_row + 2
    return tables, r


def _vendor_table(
    ws: xlsxwriter.worksheet.Worksheet,
    grid: Grid,
    view: Any,
    k: int,
    vendor: str,
    r: int,
    fmt: Mapping[str, Any],
    vendor_names: set[str],
) -> VendorTable:
    tag = vendor_tag(k)
    vk = lay.vendor_key(vendor)
    rows = view[view["vendor"] == vendor]
    years = rows[rows["period_kind"] == "fiscal_year"]
    quarters = rows[rows["period_kind"] == "fiscal_quarter"].set_index("period")
    fy_rng, fq_rng = grid.range(lay.TIMELINE, f"fy_{tag}"), grid.range(lay.TIMELINE, f"fq_{tag}")
    gp_rng = grid.range(lay.TIMELINE, f"gp_{tag}")
    ws.write_string(r, lay.COL_LABEL, f"{vendor} (fiscal year ends in month)", fmt["header"])
    ws.write_formula(
        r, lay.COL_SYMBOL, f"=fye_{vk}", fmt["header"], float(grid.values[f"fye_{tag}"])
    )
    for c in (lay.COL_UNIT, lay.COL_TOTAL, lay.COL_NPV):
        ws.write_blank(r, c, None, fmt["header"])
    ws.write_string(r, lay.COL_OPEN, "Fiscal year", fmt["header"])
    for c, h in enumerate(VENDOR_COLUMNS):
        ws.write_string(r, lay.month_col(c), h, fmt["header"])
    ws.set_row(r, 30)
    tax, shares = (
        lay.vendor_input_name(vendor, "tax_rate"),
        lay.vendor_input_name(vendor, "diluted_shares"),
    )
    has_eps = tax in vendor_names and shares in vendor_names
    first_ref = lay.abs_ref(lay.TIMELINE, grid.row(lay.TIMELINE, f"fy_{tag}"), lay.COL_T0)
    out: dict[int, int] = {}
    for n, y in enumerate(_with_spare_years(years, grid.months)):
        row = r + 1 + n
        fy = int(str(y.period)[2:])
        out[fy] = row
        fyc = lay.cell(row, lay.COL_OPEN, col_abs=True)
        months = lay.cell(row, lay.COL_T0)
        ws.write_formula(
            row,
            lay.COL_OPEN,
            _key_formula(row, lay.COL_OPEN, n, first_ref).replace(
                lay.cell(row, lay.COL_OPEN - 1), lay.cell(row - 1, lay.COL_OPEN)
            ),
            fmt["integer"],
            float(fy),
        )
        ws.write_formula(
            row,
            lay.COL_LABEL,
            f'="FY"&{fyc}&IF({months}=0," (outside the horizon)",IF({months}<12,'
            f'" (partial: "&{months}&" of 12 months)",""))',
            fmt["label"],
            _year_label(str(y.period), int(y.months_in_period)),
        )
        ws.write_formula(
            row, lay.COL_T0, f"=COUNTIF({fy_rng},{fyc})", fmt["integer"], float(y.months_in_period)
        )
        for q in range(1, 5):
            label = f"FY{fy}-Q{q}"
            held = quarters.loc[label] if label in quarters.index else None
            gp = 0.0 if held is None else float(held["gross_profit_usd"])
            mq = 0.0 if held is None else float(held["months_in_period"])
            ws.write_formula(
                row,
                lay.month_col(q),
                f"=SUMIFS({gp_rng},{fy_rng},{fyc},{fq_rng},{q})",
                fmt["usd"],
                gp,
            )
            ws.write_formula(
                row,
                lay.month_col(7 + q),
                f"=COUNTIFS({fy_rng},{fyc},{fq_rng},{q})",
                fmt["integer"],
                mq,
            )
        gp_year = f"{lay.cell(row, lay.month_col(5))}"
        ws.write_formula(
            row,
            lay.month_col(5),
            f"=SUM({lay.cell(row, lay.month_col(1))}:{lay.cell(row, lay.month_col(4))})",
            fmt["usd"],
            float(y.gross_profit_usd),
        )
        if has_eps:
            ws.write_formula(
                row,
                lay.month_col(6),
                f"={gp_year}*(1-{tax})",
                fmt["usd"],
                float(y.profit_after_tax_usd),
            )
            ws.write_formula(
                row,
                lay.month_col(7),
                f"=IF({shares}>0,{lay.cell(row, lay.month_col(6))}/{shares},0)",
                fmt["eps"],
                float(y.eps_usd),
            )
        else:
            ws.write_string(row, lay.month_col(6), "n/a", fmt["label"])
            ws.write_string(row, lay.month_col(7), "n/a", fmt["label"])
    last = r + len(out)
    total = last + 1
    ws.write_string(total, lay.COL_LABEL, f"{vendor}: total over the horizon", fmt["bold"])
    for c in (0, 5):
        col = lay.month_col(c)
        ws.write_formula(
            total,
            col,
            f"=SUM({lay.cell(r + 1, col)}:{lay.cell(last, col)})",
            fmt["integer" if c == 0 else "usd"],
            float(years["months_in_period"].sum() if c == 0 else years["gross_profit_usd"].sum()),
        )
    partial = f"{lay.cell(r + 1, lay.COL_T0)}:{lay.cell(last, lay.COL_T0)}"
    ws.conditional_format(
        partial, {"type": "cell", "criteria": "<", "value": 12, "format": fmt["cf_partial"]}
    )
    q_months = f"{lay.cell(r + 1, lay.month_col(8))}:{lay.cell(last, lay.month_col(11))}"
    ws.conditional_format(
        q_months,
        {
            "type": "cell",
            "criteria": "between",
            "minimum": 1,
            "maximum": 2,
            "format": fmt["cf_partial"],
        },
    )
    return VendorTable(vendor, r, out, total)


@dataclass(frozen=True)
class _Year:
    period: str
    months_in_period: int
    gross_profit_usd: float = 0.0
    profit_after_tax_usd: float = 0.0
    eps_usd: float = 0.0


def _with_spare_years(years: Any, months: int) -> list[Any]:
    """The vendor's fiscal years, then empty ones up to the most a horizon of ``months``
    can touch under any year end (``ceil((H-1)/12) + 1``), so that a changed year end or
    start still finds a row for every fiscal year."""
    rows: list[Any] = list(years.itertuples())
    most = -(-(months - 1) // 12) + 1
    last = int(str(rows[-1].period)[2:])
    rows += [_Year(f"FY{last + k}", 0) for k in range(1, most - len(rows) + 1)]
    return rows


def _year_label(period: str, months: int) -> str:
    if months == 0:
        return f"{period} (outside the horizon)"
    return period if months == 12 else f"{period} (partial: {months} of 12 months)"


# ---------------------------------------------------------------- values from the core


def write_static_results(
    ws: xlsxwriter.worksheet.Worksheet,
    res: Results,
    variant: int,
    start_row: int,
    fmt: Mapping[str, Any],
) -> int:
    """Cost of delay and cost of the next month of the exported scenario, per party and
    product (total and NPV): values from the Python core at export, labelled as such."""
    name = res.names[variant]
    pids = list(res.projection.inputs.product_ids)
    delay = records(res.delay_cost[res.delay_cost["scenario"] == name], ("party", "product"))
    nxt = records(res.next_month[res.next_month["scenario"] == name], ("party", "product"))
    r = _static_table(
        ws,
        start_row,
        fmt,
        pids,
        delay,
        "Cost of delay: reference (every product licensed at demand.reference_start, China's "
        "allocations and reported actuals removed) minus this scenario",
        [
            ("total_usd", ""),
            ("npv_usd", " (NPV)"),
            ("total_per_month_usd", " per month of delay"),
        ],
        delay_row=True,
    )
    return _static_table(
        ws,
        r + 1,
        fmt,
        pids,
        nxt,
        "Cost of the next month: this scenario minus the same with every approval after "
        "horizon.as_of one month later",
        [("total_usd", ""), ("npv_usd", " (NPV)")],
    )


def _static_table(
    ws: xlsxwriter.worksheet.Worksheet,
    r: int,
    fmt: Mapping[str, Any],
    pids: list[str],
    frame: Records,
    title: str,
    measures: list[tuple[str, str]],
    delay_row: bool = False,
) -> int:
    ws.write_string(r, lay.COL_LABEL, title, fmt["section"])
    ws.write_string(
        r + 1,
        lay.COL_LABEL,
        f"{lay.MONEY_UNIT}. Values from the Python core at export: they do not "
        "recalculate; the Checks sheet says whether the inputs changed since.",
        fmt["note"],
    )
    r += 2
    ws.write_string(r, lay.COL_LABEL, "Party", fmt["header"])
    for c in range(lay.COL_SYMBOL, lay.COL_T0):
        ws.write_blank(r, c, None, fmt["header"])
    for k, pid in enumerate([*pids, "All products"]):
        ws.write_string(r, lay.month_col(k), pid, fmt["header"])
    r += 1
    keys = [*pids, ALL]
    if delay_row:
        ws.write_string(r, lay.COL_LABEL, "Months of delay (d)", fmt["label"])
        for k, pid in enumerate(keys):
            d = float(frame[("us_government", pid)]["delay_months"])
            _number_or_text(
                ws,
                r,
                lay.month_col(k),
                d,
                "never" if pid != ALL else "differs",
                fmt["static_integer"],
            )
        r += 1
    for column, suffix in measures:
        for party in PARTIES:
            ws.write_string(r, lay.COL_LABEL, party.label + suffix, fmt["label"])
            for k, pid in enumerate(keys):
                v = float(frame[(party.key, pid)][column])
                _number_or_text(ws, r, lay.month_col(k), v, "n/a", fmt["static_usd"])
            r += 1
    return r


def _number_or_text(
    ws: xlsxwriter.worksheet.Worksheet, r: int, c: int, v: float, text: str, f: Any
) -> None:
    if np.isfinite(v):
        ws.write_number(r, c, v, f)
    else:
        ws.write_string(r, c, text, f)


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
    chart.set_title({"name": f"Revenue by party, all products ({lay.MONEY_UNIT} per month)"})
    chart.set_x_axis({"date_axis": True, "num_format": "mmm yy"})
    chart.set_y_axis({"num_format": "#,##0,,", "name": f"{lay.MONEY_UNIT} per month"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 1000, "height": 380})
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
    return f"({a}-{b}>{lay.CHECK_ABS:g}+{lay.CHECK_REL:g}*ABS({b}))"


def _np_over(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    over = a - b > lay.CHECK_ABS + lay.CHECK_REL * np.abs(b)
    return float(np.sum(over if mask is None else over & mask))


#: Projected-month constraints: (row key, label, meaning of a failure).
CONSTRAINTS = (
    (
        "need",
        "Shipments within the shippable orders: X ≤ Need",
        "projected months shipping more than Need",
    ),
    (
        "room",
        "Shipments within quota room: X ≤ max(0, Room)",
        "projected months shipping more than the US-allocation quota allows",
    ),
    (
        "cap",
        "Shipments within the licence cap: X ≤ Cap",
        "projected months shipping more than the licence units left",
    ),
    (
        "allowance",
        "Shipments within China's allowance: X ≤ Left",
        "projected months shipping more than China's batches allow",
    ),
    (
        "O",
        "Shipments within open orders: X ≤ O",
        "projected months shipping more than buyers ordered",
    ),
)


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
    keys = (
        "R",
        "G",
        "L",
        "COGS",
        "GP",
        "X",
        "room",
        "cap",
        "allowance",
        "need",
        "O",
        "Inv",
        "actual",
        "reported",
    )
    rg = {k: grid.range(sheet, k) for k in keys}
    v = values
    resid = v["R"] - v["G"] - v["L"] - v["COGS"] - v["GP"]
    projected = v["actual"] == 0
    p = a.products[j]
    pp = lay.product_prefix(pid)
    boms = [lay.bom_input_name(pid, s) for s in p.bom_usd_per_unit]
    bom_ok = sum(p.bom_usd_per_unit.values()) <= p.unit_cost_usd + 1e-9
    out = [
        Check(
            "Money conserved each month: R = G + L + COGS + GP",
            pid,
            _count(
                f"ABS({rg['R']}-{rg['G']}-{rg['L']}-{rg['COGS']}-{rg['GP']})>"
                f"{lay.CHECK_ABS:g}+{lay.CHECK_REL:g}*ABS({rg['R']})"
            ),
            float(np.sum(np.abs(resid) > lay.CHECK_ABS + lay.CHECK_REL * np.abs(v["R"]))),
            "months where the buyers' money does not add up to the parties' shares",
        )
    ]
    for key, label, meaning in CONSTRAINTS:
        out.append(
            Check(
                label,
                pid,
                f"=SUMPRODUCT(({rg['actual']}=0)*{_over(rg['X'], rg[key])})",
                _np_over(v["X"], v[key], projected),
                meaning,
            )
        )
    out += [
        Check(
            "Reported actuals within stock: X = reported",
            pid,
            f"=SUMPRODUCT(({rg['actual']}=1)*{_over(rg['reported'], rg['X'])})",
            _np_over(v["reported"], v["X"], ~projected),
            "reported months shipping more than stock plus production (fix the actual)",
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
    return out


def global_checks(
    grid: Grid, rollups: Sequence[Rollup], vendors: Sequence[VendorTable], months: int
) -> list[Check]:
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
    if vendors:
        terms = []
        for k, vt in enumerate(vendors):
            ours = lay.abs_ref(lay.SUMMARY, vt.total_row, lay.month_col(5))
            total = lay.abs_ref(lay.SUMMARY, srow[f"gp_{vendor_tag(k)}"], lay.COL_TOTAL)
            terms.append(f"(ABS({ours}-{total})>{lay.CHECK_ABS:g}+{lay.CHECK_REL:g}*ABS({total}))")
        out.append(
            Check(
                "Vendors' fiscal years add up to their gross profit",
                "all",
                "=" + "+".join(terms),
                0.0,
                "vendors whose fiscal years miss months (after a change of horizon.start or "
                "of a fiscal year end: export again)",
            )
        )
    return out


def write_checks(
    ws: xlsxwriter.worksheet.Worksheet,
    wb: xlsxwriter.Workbook,
    checks: Sequence[Check],
    fmt: Mapping[str, Any],
    changed_formula: str,
) -> None:
    """The Checks sheet: every count must read 0 (OK = TRUE); ``checks_ok`` is the overall
    flag. A notice below, outside ``checks_ok``, says whether the inputs still are the
    ones exported (the figures pasted from the core belong to them)."""
    ws.write_string(0, 0, "Checks", fmt["title"])
    ws.write_string(
        1,
        0,
        "Live checks of the model: every count must read 0 and every OK read TRUE. "
        "Tolerance: 1e-6 units or US$ plus 1e-9 relative.",
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
    notice = last + 2
    ws.write_string(notice, 0, "Notice (not part of the checks above)", fmt["section"])
    ws.write_string(notice + 1, 0, "Inputs unchanged since export", fmt["label"])
    ws.write_string(notice + 1, 1, "all", fmt["label"])
    ws.write_formula(notice + 1, 2, changed_formula, fmt["check_num"], 0.0)
    ws.write_formula(notice + 1, 3, f"={lay.cell(notice + 1, 2)}=0", fmt["check"], True)
    ws.write_string(
        notice + 1,
        4,
        "inputs changed since export: the cost of delay and of the next month (Summary, "
        "Scenarios) and the backtest (Reconciliation) are the exported inputs' values",
        fmt["label"],
    )
    wb.define_name("inputs_as_exported", f"={lay.abs_ref(lay.CHECKS, notice + 1, 3)}")
    lay.flag_booleans(ws, f"{lay.cell(3, 3)}:{lay.cell(notice + 1, 3)}", fmt)
    ws.set_column(0, 0, 52)
    ws.set_column(1, 1, 13)
    ws.set_column(2, 3, 9)
    ws.set_column(4, 4, 80)
    ws.freeze_panes(first, 0)
    ws.repeat_rows(first - 1)
    lay.page_setup(ws, "Checks")
    ws.fit_to_pages(1, 1)
