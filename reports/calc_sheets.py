"""The live model: the timeline rows and one calculation sheet per product.

Each line item of docs/methodology.md §2–3 is a row of formulas over the horizon that
reads its inputs by defined name, so changing an input recalculates exactly what the
Python core computes. The core's infinities become sentinels that ``IF`` handles:
``never`` is month :data:`~reports.layout.NEVER_MONTH`; a constraint that does not
exist (no licence cap, no allocation, a quota-exempt product) reports the open orders,
as the core does, so it never binds.

Cached values are the engine's own series (:class:`model.engine.Volumes` and
:class:`model.engine.Money`) and inputs: nothing of the recurrence is computed again
here. Only the translation of an infinite month into its sentinel is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from model import equations as eq
from model.calendar import calendar_quarter, fiscal_quarter, fiscal_year, month_labels, parse_month
from model.engine import Projection
from model.outputs import metric_info, series, supplier_metric
from model.schema import H100_TPP, POLICY_DRAM_LIMIT_GBPS, POLICY_TPP_LIMIT, Assumptions

from . import layout as lay
from .grid import Grid, Scalar, Section, Series
from .inputs_sheet import excel_value

#: Named ranges of the Inputs tables (China's allocation batches, reported actuals).
ALLOC_RANGES = ("alloc_product", "alloc_month", "alloc_units")
ACTUAL_RANGES = ("actual_product", "actual_month", "actual_units")


def _idx(name: str) -> str:
    """Excel month index of a date input, counted from ``horizon_start``."""
    return f"(YEAR({name})-YEAR(horizon_start))*12+MONTH({name})-MONTH(horizon_start)"


def _own_or_inherited(own: str, inherited: str) -> str:
    """Month index of a product date: its own (a date or ``never``), else the timeline's."""
    return (
        f'=IF(ISNUMBER({own}),{_idx(own)},IF({own}="{lay.NEVER_TEXT}",never_month,'
        f"IF(ISNUMBER({inherited}),{_idx(inherited)},never_month)))"
    )


def sentinel(value: float, offset: float = 0.0) -> float:
    """A month index as the workbook holds it: ``+inf`` is ``never_month`` (plus the lag
    a formula adds to it), ``-inf`` is ``-never_month``."""
    if np.isposinf(value):
        return lay.NEVER_MONTH + offset
    if np.isneginf(value):
        return -lay.NEVER_MONTH
    return float(value)


def month_serials(a: Assumptions) -> np.ndarray:
    """Excel date serials of the first day of each month, as the month row holds them."""
    return np.array(
        [
            excel_value(dt.date(*parse_month(m), 1))
            for m in month_labels(a.horizon.start, a.horizon.months)
        ]
    )


# ---------------------------------------------------------------- timeline (Summary)


def vendor_products(proj: Projection) -> dict[str, list[int]]:
    """Each vendor of the products, with the indices of its products."""
    out: dict[str, list[int]] = {}
    for j, v in enumerate(proj.inputs.vendors):
        out.setdefault(v, []).append(j)
    return out


def vendor_tag(k: int) -> str:
    """Line-item key suffix of the ``k``-th vendor (vendor names may hold any text)."""
    return f"v{k}"


def fiscal_numbers(labels: list[str], fye: int) -> tuple[np.ndarray, np.ndarray]:
    """Fiscal year (``2027`` for FY2027) and quarter number (1–4) of each month, as the
    core's calendar names them."""
    years = np.array([float(fiscal_year(m, fye)[2:]) for m in labels])
    quarters = np.array([float(fiscal_quarter(m, fye)[-1]) for m in labels])
    return years, quarters


def _constants() -> Section:
    def const(key: str, label: str, symbol: str, unit: str, value: float) -> Scalar:
        return Scalar(key, label, symbol, unit, "number", value, None, key)

    return Section(
        "Constants (fixed by the model)",
        [
            const("never_month", "Month index standing for 'never'", "∞", "month", lay.NEVER_MONTH),
            const(
                "max_quota_ratio",
                "Largest China-per-US quota ratio",
                "r max",
                "ratio",
                lay.MAX_QUOTA_RATIO,
            ),
            const("h100_tpp", "TPP of one H100 (H100-equivalent)", "15,832", "TPP", H100_TPP),
            const(
                "policy_tpp_limit", "Licence policy: TPP below", "TPP max", "TPP", POLICY_TPP_LIMIT
            ),
            const(
                "policy_dram_limit",
                "Licence policy: DRAM bandwidth below",
                "BW max",
                "GB/s",
                POLICY_DRAM_LIMIT_GBPS,
            ),
        ],
    )


def _global_timing(
    proj: Projection, i: int, vendors: dict[str, list[int]], vendor_names: set[str]
) -> Section:
    x = proj.inputs

    def scalar(key: str, label: str, symbol: str, formula: str, value: float, fmt: str) -> Scalar:
        unit = "month" if fmt == "month_index" else "ratio"
        return Scalar(key, label, symbol, unit, fmt, formula, value, key)

    items = [
        scalar(
            "quota_ratio",
            "China units allowed per US unit",
            "r",
            "=MIN((1-policy_us_min_share)/MAX(policy_us_min_share,1/max_quota_ratio),"
            "max_quota_ratio)",
            float(eq.quota_ratio(x.us_min_share[i : i + 1])[0]),
            "rate",
        ),
        scalar(
            "levy_end_month",
            "Levy ends (month index)",
            "idx(levy_ends)",
            f"=IF(ISNUMBER(policy_levy_ends),{_idx('policy_levy_ends')},never_month)",
            sentinel(x.levy_end[i]),
            "month_index",
        ),
        scalar(
            "idx_reference_start",
            "Demand reference start (month index)",
            "idx(reference_start)",
            f"={_idx('demand_reference_start')}",
            float(x.reference_start[i]),
            "month_index",
        ),
        scalar(
            "as_of_month",
            "Latest facts (month index)",
            "idx(as_of)",
            f"=IF(ISNUMBER(horizon_as_of),{_idx('horizon_as_of')},never_month)",
            sentinel(x.as_of[i]),
            "month_index",
        ),
    ]
    for k, (vendor, cols) in enumerate(vendors.items()):
        own = lay.vendor_input_name(vendor, "fiscal_year_end_month")
        formula = (
            f"=IF(ISNUMBER({own}),{own},horizon_fiscal_year_end_month)"
            if own in vendor_names
            else "=horizon_fiscal_year_end_month"
        )
        items.append(
            Scalar(
                f"fye_{vendor_tag(k)}",
                f"{vendor}: fiscal year ends in month",
                "FYE",
                "month no.",
                "integer",
                formula,
                float(x.fiscal_year_end[i, cols[0]]),
                f"fye_{lay.vendor_key(vendor)}",
            )
        )
    return Section("Global timing and ratios", items)


def timeline_sections(
    a: Assumptions, proj: Projection, i: int, grid: Grid, vendor_names: set[str]
) -> list[Section]:
    """Constants, global scalars, calendars, vendor fiscal calendars and the monthly
    levy flag and discount factors, shared by every product sheet. ``vendor_names`` are
    the vendor inputs defined on the Inputs sheet (vendors of the ``vendors`` table)."""
    x = proj.inputs
    labels = month_labels(x.start, x.months)
    ym = np.array([parse_month(m) for m in labels], dtype=float)
    vendors = vendor_products(proj)
    monthly = [
        Series("calendar_year", "Calendar year", "", "year", "integer", "=YEAR([date])", ym[:, 0]),
        Series(
            "calendar_quarter_key",
            "Calendar quarter key",
            "",
            "key",
            "integer",
            "=INT((YEAR([date])*12+MONTH([date])-1)/3)",
            np.floor((ym[:, 0] * 12 + ym[:, 1] - 1) / 3),
        ),
        Series(
            "calendar_quarter",
            "Calendar quarter",
            "",
            "label",
            "text",
            '=INT([calendar_quarter_key]/4)&"-Q"&(MOD([calendar_quarter_key],4)+1)',
            np.array([calendar_quarter(m) for m in labels], dtype=object),
        ),
    ]
    gp = proj.money.gross_profit[i]
    for k, (vendor, cols) in enumerate(vendors.items()):
        tag = vendor_tag(k)
        fye = int(x.fiscal_year_end[i, cols[0]])
        years, quarters = fiscal_numbers(labels, fye)
        shifted = f"(YEAR([date])*12+MONTH([date])-1-fye_{lay.vendor_key(vendor)})"
        # The vendor's name is the row's symbol: a cell the formula compares, not a literal.
        terms = "+".join(
            f"({lay.product_input_name(x.product_ids[j], 'vendor')}=[gp_{tag}@symbol])*[P{j}.GP]"
            for j in range(len(x.product_ids))
        )
        monthly += [
            Series(
                f"fy_{tag}",
                f"{vendor}: fiscal year",
                "FY",
                "year",
                "integer",
                f"=INT({shifted}/12)+1",
                years,
            ),
            Series(
                f"fq_{tag}",
                f"{vendor}: fiscal quarter",
                "FQ",
                "1–4",
                "integer",
                f"=MOD(INT({shifted}/3),4)+1",
                quarters,
            ),
            Series(
                f"gp_{tag}",
                "Gross profit of the vendor's products",
                vendor,
                lay.MONEY_UNIT,
                "usd",
                f"={terms}",
                gp[cols].sum(axis=0),
                total="sum",
            ),
        ]
    monthly += [
        Series(
            "levy",
            "Levy in force",
            "levy(t)",
            "flag",
            "integer",
            "=IF([t]<levy_end_month,1,0)",
            proj.money.levy[i, 0],
        ),
        Series(
            "discount",
            "Discount factor (end of month)",
            "(1+i)^-(t+1)/12",
            "factor",
            "rate",
            "=(1+discount_rate)^(-([t]+1)/12)",
            grid.discount,
        ),
    ]
    return [
        Section("Timeline: calendars, vendors' fiscal calendars, levy and discounting", monthly),
        _global_timing(proj, i, vendors, vendor_names),
        _constants(),
    ]


def _quoted(text: str) -> str:
    return text.replace('"', '""')


# ---------------------------------------------------------------- products


@dataclass(frozen=True)
class _Product:
    """What the formulas of one product sheet need: names, the engine's arrays."""

    pid: str
    pp: str
    i: int
    j: int
    s: dict[str, np.ndarray]
    proj: Projection

    def name(self, key: str) -> str:
        return f"{self.pp}_{key}"

    def arr(self, field: Any) -> Any:
        """Product ``j`` of variant ``i`` of an (N, P, …) array (or a shared (1, P, …))."""
        return field[min(self.i, field.shape[0] - 1), self.j]


def _scalars(p: _Product, a: Assumptions) -> Section:
    x, v = p.proj.inputs, p.proj.volumes
    lag, restart_lag = float(x.test_lag[p.i]), float(x.restart_lag[p.i])
    licence = float(p.arr(v.licence))
    delay = float(p.arr(v.delay))
    restart = float(p.arr(v.restart))
    warned = any(w.startswith(f"products.{p.pid}:") for w in a.licence_policy_warnings())
    inv = p.s["inventory_units"]

    def month(key: str, label: str, symbol: str, formula: str, value: float) -> Scalar:
        return Scalar(key, label, symbol, "month", "month_index", formula, value, p.name(key))

    own = p.name
    return Section(
        "Licence timing and product scalars",
        [
            Scalar(
                "idx_us",
                "US approval in force (own or timeline)",
                "idx(us_approval_p)",
                "month",
                "month_index",
                _own_or_inherited(own("us_approval"), "timeline_us_approval"),
                sentinel(p.arr(x.us_approval)),
            ),
            Scalar(
                "idx_cn",
                "China approval (own or timeline)",
                "idx(china_approval_p)",
                "month",
                "month_index",
                _own_or_inherited(own("china_approval"), "timeline_china_approval"),
                sentinel(p.arr(x.china_approval)),
            ),
            month(
                "licence_month",
                "Licence in force",
                "E",
                "=MAX([idx_us],[idx_cn])",
                sentinel(licence),
            ),
            month(
                "first_shipment_month",
                "First possible shipment",
                "Ts",
                "=[licence_month]+timeline_test_lag_months",
                sentinel(float(p.arr(v.first_shipment)), lag),
            ),
            month(
                "licence_end_month",
                "Licence ends (own or timeline)",
                "End",
                _own_or_inherited(own("licence_ends"), "timeline_licence_ends"),
                sentinel(float(p.arr(v.licence_end))),
            ),
            month(
                "Tp",
                "Paused production restarts",
                "Tp",
                f"=IF({own('production_paused')},[licence_month]+timeline_restart_lag_months,"
                "-never_month)",
                sentinel(restart, restart_lag),
            ),
            Scalar(
                "delay_months",
                "Months of delay",
                "d",
                "months",
                "month_index",
                "=MAX(0,[licence_month]-idx_reference_start)",
                delay if np.isfinite(delay) else lay.NEVER_MONTH - float(x.reference_start[p.i]),
                own("delay_months"),
            ),
            Scalar(
                "demand_multiplier",
                "Demand multiplier",
                "M",
                "factor",
                "rate",
                "=IF([licence_month]>=never_month,0,IF([delay_months]=0,1,"
                "IFERROR((1-demand_erosion_per_month)^[delay_months],0)))"
                "*(1+policy_china_import_tariff)^(-demand_price_elasticity)",
                float(p.arr(v.multiplier)),
                own("demand_multiplier"),
            ),
            Scalar(
                "rate",
                "US government rate",
                "rate_p",
                "fraction",
                "pct",
                f"=IF(ISNUMBER({own('share_rate')}),{own('share_rate')},policy_share_rate)",
                float(p.arr(x.rate)),
                own("rate"),
            ),
            Scalar(
                "in_policy",
                "Inside the licence policy (TPP < 21,000, DRAM < 6,500 GB/s)",
                "TPP, BW",
                "flag",
                "bool",
                f"=AND(OR(NOT(ISNUMBER({own('tpp')})),{own('tpp')}<policy_tpp_limit),"
                f"OR(NOT(ISNUMBER({own('dram_bandwidth_gbps')})),"
                f"{own('dram_bandwidth_gbps')}<policy_dram_limit))",
                not warned,
            ),
            Scalar(
                "ending_inventory",
                "Ending inventory",
                "Inv(H)",
                "units",
                "units",
                "=[Inv@last]",
                float(inv[-1]),
                own("ending_inventory_units"),
            ),
            Scalar(
                "stranded",
                "Stranded inventory at cost",
                "Inv(H)·unit cost",
                lay.MONEY_UNIT,
                "usd",
                f"=[ending_inventory]*{own('unit_cost_usd')}",
                float(inv[-1] * p.arr(x.unit_cost)),
                own("stranded_inventory_usd"),
            ),
        ],
    )


def _table_sum(ranges: tuple[str, str, str], pid: str, month_test: str, present: bool) -> str:
    """``SUMIFS`` over an Inputs table for this product; ``0`` when the table is empty."""
    if not present:
        return "0"
    product, month, units = ranges
    return f'SUMIFS({units},{product},"{_quoted(pid)}",{month_test.format(month=month)})'


def _volumes(p: _Product, flow: Callable[..., Series], tables: tuple[bool, bool]) -> Section:
    x, v, pp = p.proj.inputs, p.proj.volumes, p.pp
    has_alloc, has_actual = tables
    ramp = p.arr(v.ramp)
    allowance = p.arr(x.allowance)
    within = '{month},">="&[date],{month},"<"&EDATE([date],1)'
    reported = _table_sum(ACTUAL_RANGES, p.pid, within, has_actual)
    count = (
        f'COUNTIFS({ACTUAL_RANGES[0]},"{_quoted(p.pid)}",{within.format(month=ACTUAL_RANGES[1])})'
        if has_actual
        else "0"
    )
    granted = _table_sum(ALLOC_RANGES, p.pid, '{month},"<="&[date]', has_alloc)
    shipped_before = "SUM([X@before])"
    room = (
        'IF(policy_quota_basis="cumulative",quota_ratio*SUMPRODUCT([U@sofar],[active@sofar])-'
        f"{shipped_before},quota_ratio*[U])"
    )

    def helper(
        key: str,
        label: str,
        symbol: str,
        template: str,
        values: Any,
        fmt: str = "units",
        unit: str = "units",
        total: str = "",
    ) -> Series:
        return Series(
            key, label, symbol, unit, fmt, template, np.asarray(values, dtype=float), total=total
        )

    return Section(
        "Volumes (units per month)",
        [
            helper(
                "active",
                "Shipping allowed (Ts ≤ t < End)",
                "active(t)",
                f"=IF(AND([t]>={pp}_first_shipment_month,[t]<{pp}_licence_end_month),1,0)",
                (ramp > 0).astype(float),
                fmt="integer",
                unit="flag",
                total="sum",
            ),
            helper(
                "ramp",
                "Order ramp",
                "ramp(t)",
                f"=IF([active]=1,MIN(1,([t]-{pp}_first_shipment_month+1)/timeline_ramp_months),0)",
                ramp,
                fmt="rate",
                unit="factor",
            ),
            flow(
                "D",
                "china_demand_units",
                "China demand",
                "D(t)",
                f"={pp}_china_demand_units_per_month*(1+{pp}_china_demand_growth_per_year)"
                f"^([t]/12)*{pp}_demand_multiplier*[ramp]",
            ),
            flow(
                "B",
                "backlog_units",
                "Backlog carried in",
                "B(t)",
                "=demand_backlog_retention*MAX(0,[O-1]-[X-1])",
                total="",
            ),
            flow("O", "open_orders_units", "Open orders", "O(t)", "=[D]+[B]"),
            flow(
                "U",
                "us_shipments_units",
                "US shipments",
                "U(t)",
                f"={pp}_us_shipments_units_per_month",
            ),
            flow(
                "room",
                "quota_room_units",
                "Quota room",
                "max(0, Room(t))",
                f"=IF([active]=1,IF({pp}_quota_applies,MAX(0,{room}),[O]),0)",
                total="last",
            ),
            helper(
                "cap",
                "Licence units left (open orders if no cap)",
                "Cap(t)",
                f"=IF(ISNUMBER({pp}_licence_cap_units),{pp}_licence_cap_units-"
                f"{shipped_before},[O])",
                p.arr(v.cap_left),
            ),
            helper(
                "alloc",
                "China allowance granted to date",
                "Alloc(t)",
                f"={granted}",
                np.where(np.isfinite(allowance), allowance, 0.0),
                total="last",
            ),
            flow(
                "allowance",
                "china_allowance_units",
                "China allowance left",
                "max(0, Left(t))",
                f'=IF([active]=1,IF({pp}_china_allocations="{lay.BATCHES_TEXT}",'
                f"MAX(0,[alloc]-{shipped_before}),[O]),0)",
                total="last",
            ),
            helper(
                "need",
                "Shippable orders",
                "Need(t)",
                "=IF([active]=1,MAX(0,MIN([O],[room],[cap],[allowance])),0)",
                p.arr(v.need),
                total="sum",
            ),
            helper(
                "reported",
                "Reported shipments (Inputs table)",
                "X reported",
                f"={reported}",
                p.arr(x.actual),
                total="sum",
            ),
            flow(
                "actual",
                "shipments_actual",
                "Reported actual (1 = yes)",
                "actual(t)",
                f"=IF({count}>0,1,0)",
                unit="flag",
                fmt="integer",
            ),
            flow(
                "P",
                "production_units",
                "New production",
                "P(t)",
                f'=IF([t]<{pp}_Tp,0,IF({pp}_production_rule="build_to_order",'
                f"MIN({pp}_production_capacity_units_per_month,MAX(0,IF([actual]=1,[reported],"
                f"[need])-[Inv-1])),{pp}_production_capacity_units_per_month))",
            ),
            flow(
                "X",
                "china_shipments_units",
                "China shipments",
                "X(t)",
                "=IF([actual]=1,MIN([reported],[Inv-1]+[P]),MIN([need],[Inv-1]+[P]))",
            ),
            flow(
                "Inv",
                "inventory_units",
                "Inventory (end of month)",
                "Inv(t+1)",
                "=[Inv-1]+[P]-[X]",
                total="last",
                opening=(f"={pp}_starting_inventory_units", float(p.arr(x.inventory0))),
            ),
        ],
    )


def _money(flow: Callable[..., Series], pp: str) -> Section:
    m = lay.MONEY_UNIT
    return Section(
        f"Money ({m} per month)",
        [
            flow(
                "ASP",
                "asp_usd",
                "Selling price",
                "ASP(t)",
                f"={pp}_asp_usd*(1+{pp}_asp_change_per_year)^([t]/12)",
                unit="US$/unit",
                fmt="usd_unit",
                total="",
            ),
            flow(
                "R",
                "gross_revenue_usd",
                "China gross revenue",
                "R(t)",
                "=[X]*[ASP]",
                unit=m,
                fmt="usd",
            ),
            flow(
                "G",
                "us_government_usd",
                "US government",
                "G(t)",
                f'=[Time.levy]*{pp}_rate*IF(policy_mechanism="import_tariff",'
                "policy_customs_value_ratio,1)*[R]",
                unit=m,
                fmt="usd",
            ),
            flow(
                "C",
                "china_tariff_usd",
                "China tariff",
                "C(t)",
                "=policy_china_import_tariff*[R]",
                unit=m,
                fmt="usd",
            ),
            flow(
                "L",
                "test_lab_usd",
                "US test labs",
                "L(t)",
                "=policy_test_fee_usd_per_unit*[X]",
                unit=m,
                fmt="usd",
            ),
            flow(
                "V",
                "vendor_retained_usd",
                "Vendor retained",
                "V(t)",
                "=[R]-[G]-[L]",
                unit=m,
                fmt="usd",
            ),
            flow(
                "COGS",
                "vendor_cogs_usd",
                "Vendor cost of goods",
                "COGS(t)",
                f"={pp}_unit_cost_usd*[X]",
                unit=m,
                fmt="usd",
            ),
            flow(
                "GP",
                "vendor_gross_profit_usd",
                "Vendor gross profit",
                "GP(t)",
                "=[V]-[COGS]",
                unit=m,
                fmt="usd",
            ),
        ],
    )


def _compute(flow: Callable[..., Series], pp: str) -> Section:
    return Section(
        "Compute exported",
        [
            flow(
                "TPP",
                "compute_tpp",
                "Compute exported (TPP)",
                "TPP(t)",
                f"=IF(ISNUMBER({pp}_tpp),{pp}_tpp,0)*[X]",
                unit="TPP",
            ),
            flow(
                "H100e",
                "compute_h100_equivalents",
                "Compute exported (H100-equivalents)",
                "H100e(t)",
                "=[TPP]/h100_tpp",
                unit="H100e",
                fmt="units",
            ),
        ],
    )


def product_sections(
    a: Assumptions, proj: Projection, variant: int, j: int, grid: Grid, tables: tuple[bool, bool]
) -> list[Section]:
    """docs/methodology.md §2–3 for product ``j`` of variant ``variant``, as formulas with
    the engine's values. ``tables`` says whether the Inputs tables of allocation batches
    and of reported actuals have rows."""
    x = proj.inputs
    pid = x.product_ids[j]
    p = _Product(
        pid,
        lay.product_prefix(pid),
        variant,
        j,
        {k: v[variant, j] for k, v in series(proj).items()},
        proj,
    )

    def flow(
        key: str,
        metric: str,
        label: str,
        symbol: str,
        template: str,
        unit: str = "units",
        fmt: str = "units",
        total: str = "sum",
        opening: tuple[str, float] | None = None,
    ) -> Series:
        """A §5 metric: its row carries the defined name ``out_<product>_<metric>``."""
        return Series(
            key,
            label,
            symbol,
            unit,
            fmt,
            template,
            p.s[metric],
            total=total,
            npv=unit == lay.MONEY_UNIT,
            name=lay.output_name(pid, metric),
            opening=opening,
        )

    suppliers = proj.money.suppliers[variant, j]
    sups = [
        Series(
            f"S_{x.supplier_ids[k]}",
            metric_info(supplier_metric(x.supplier_ids[k])).label,
            "S_k(t)",
            lay.MONEY_UNIT,
            "usd",
            f"={lay.bom_input_name(pid, x.supplier_ids[k])}*[P]",
            suppliers[k],
            total="sum",
            npv=True,
            name=lay.output_name(pid, supplier_metric(x.supplier_ids[k])),
        )
        for k in x.bom_members[j]
    ]
    sections = [_scalars(p, a), _volumes(p, flow, tables), _money(flow, p.pp), _compute(flow, p.pp)]
    if sups:
        sections.append(
            Section(f"Suppliers ({lay.MONEY_UNIT} per month, paid on new production)", sups)
        )
    return sections


def supplier_keys(proj: Projection, j: int) -> list[str]:
    """Line-item keys of product ``j``'s supplier rows (``S_<supplier id>``)."""
    x = proj.inputs
    return [f"S_{x.supplier_ids[k]}" for k in x.bom_members[j]]
