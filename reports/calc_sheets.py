"""The live model: the ``Time`` sheet and one calculation sheet per product.

Each line item of MODEL_SPEC §2–3 is a row of formulas over the horizon that reads
its inputs by defined name, so changing an input recalculates exactly what the
Python core computes. The core's infinities become sentinels that ``IF`` handles:
``never`` is month :data:`~reports.layout.NEVER_MONTH`, no licence cap is
:data:`~reports.layout.NO_CAP_UNITS` units.

Cached values come from the core's projection; the few helper rows the core keeps
internal (cumulative sums, the unclipped quota room, units available) are recomputed
here the same way, in the same order of operations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from model import equations as eq
from model.calendar import (
    calendar_quarter,
    fiscal_quarter,
    fiscal_year,
    month_index,
    month_labels,
    parse_month,
)
from model.engine import Projection
from model.outputs import METRICS, series, supplier_metric
from model.schema import Assumptions

from . import layout as lay
from .grid import Grid, Scalar, Section, Series
from .inputs_sheet import excel_value


def _idx(name: str) -> str:
    """Excel month index of a date input, counted from ``horizon_start``."""
    return f"(YEAR({name})-YEAR(horizon_start))*12+MONTH({name})-MONTH(horizon_start)"


def _idx_value(text: str | None, start: str) -> float:
    v = month_index(text, start)
    return lay.NEVER_MONTH if np.isinf(v) else v


# ---------------------------------------------------------------- Time


@dataclass(frozen=True)
class TimeValues:
    """The Time sheet's scalars and flags as Excel computes them (sentinels, not inf)."""

    licence: float
    first_shipment: float
    active: np.ndarray
    scalars: dict[str, float]


def time_values(a: Assumptions) -> TimeValues:
    s, tl, dm, pol = a.horizon.start, a.timeline, a.demand, a.policy
    us, cn = _idx_value(tl.us_approval, s), _idx_value(tl.china_approval, s)
    licence = max(us, cn)
    first = licence + tl.test_lag_months
    ref = _idx_value(dm.reference_start, s)
    delay = max(0.0, licence - ref)
    if licence >= lay.NEVER_MONTH:
        survive = 0.0
    else:
        survive = 1.0 if delay == 0 else float((1.0 - dm.erosion_per_month) ** delay)
    mult = survive * (1.0 + pol.china_import_tariff) ** (-dm.price_elasticity)
    ratio = float(eq.quota_ratio(np.array([pol.us_min_share]))[0])
    t = np.arange(a.horizon.months, dtype=float)
    return TimeValues(
        licence=licence,
        first_shipment=first,
        active=t >= first,
        scalars={
            "idx_us_approval": us,
            "idx_china_approval": cn,
            "licence_month": licence,
            "first_shipment_month": first,
            "idx_reference_start": ref,
            "delay_months": delay,
            "demand_multiplier": mult,
            "quota_ratio": ratio,
            "levy_end_month": _idx_value(pol.levy_ends, s),
        },
    )


def period_keys(a: Assumptions) -> dict[str, np.ndarray]:
    """Numeric period keys per month, as the Time sheet computes them.

    With ``s = 12*year + month - 1 - fiscal_year_end_month``, the fiscal year is
    ``INT(s/12) + 1`` and the fiscal quarter key ``INT(s/3)``; calendar quarters are
    ``INT((12*year + month - 1)/3)``.
    """
    ym = np.array(
        [parse_month(m) for m in month_labels(a.horizon.start, a.horizon.months)], dtype=float
    )
    shifted = ym[:, 0] * 12 + ym[:, 1] - 1
    fyem = a.horizon.fiscal_year_end_month
    return {
        "calendar_year": ym[:, 0],
        "calendar_quarter_key": np.floor(shifted / 3),
        "fiscal_year_key": np.floor((shifted - fyem) / 12) + 1,
        "fiscal_quarter_key": np.floor((shifted - fyem) / 3),
    }


def _calendar_items(a: Assumptions) -> list[Series]:
    """Calendar and fiscal keys (numbers) and labels (text, as the core writes them)."""
    labels = month_labels(a.horizon.start, a.horizon.months)
    fyem = a.horizon.fiscal_year_end_month
    keys = period_keys(a)
    ym = "YEAR([date])*12+MONTH([date])-1"
    fiscal = f"({ym}-horizon_fiscal_year_end_month)"
    rows: list[tuple[str, str, str, str, Any]] = [  # key, label, unit, formula, values
        ("calendar_year", "Calendar year", "year", "=YEAR([date])", keys["calendar_year"]),
        (
            "calendar_quarter_key",
            "Calendar quarter key",
            "key",
            f"=INT(({ym})/3)",
            keys["calendar_quarter_key"],
        ),
        (
            "calendar_quarter",
            "Calendar quarter",
            "label",
            '=INT([calendar_quarter_key]/4)&"-Q"&(MOD([calendar_quarter_key],4)+1)',
            [calendar_quarter(m) for m in labels],
        ),
        ("fiscal_year_key", "Fiscal year", "year", f"=INT({fiscal}/12)+1", keys["fiscal_year_key"]),
        (
            "fiscal_year",
            "Fiscal year label",
            "label",
            '="FY"&[fiscal_year_key]',
            [fiscal_year(m, fyem) for m in labels],
        ),
        (
            "fiscal_quarter_key",
            "Fiscal quarter key",
            "key",
            f"=INT({fiscal}/3)",
            keys["fiscal_quarter_key"],
        ),
        (
            "fiscal_quarter",
            "Fiscal quarter",
            "label",
            '="FY"&(INT([fiscal_quarter_key]/4)+1)&"-Q"&(MOD([fiscal_quarter_key],4)+1)',
            [fiscal_quarter(m, fyem) for m in labels],
        ),
    ]
    return [
        Series(
            key,
            label,
            "",
            unit,
            "text" if unit == "label" else "integer",
            formula,
            np.array(values, dtype=object) if unit == "label" else values,
        )
        for key, label, unit, formula, values in rows
    ]


def time_sections(a: Assumptions, grid: Grid) -> list[Section]:
    """Constants, licence timing, calendars and monthly flags shared by all products."""
    tv = time_values(a)
    sc = tv.scalars
    t = grid.t
    ramp = np.where(
        tv.active,
        np.minimum(
            1.0, (t - np.where(tv.active, tv.first_shipment, 0) + 1.0) / a.timeline.ramp_months
        ),
        0.0,
    )

    def scalar(
        key: str,
        label: str,
        symbol: str,
        formula: str,
        fmt: str = "month_index",
        unit: str = "month",
    ) -> Scalar:
        return Scalar(key, label, symbol, unit, fmt, formula, sc[key], key)

    return [
        Section(
            "Constants (fixed; the core's infinities)",
            [
                Scalar(
                    "never_month",
                    "Month index standing for 'never'",
                    "∞",
                    "month",
                    "number",
                    lay.NEVER_MONTH,
                    None,
                    "never_month",
                ),
                Scalar(
                    "no_cap_units",
                    "Licence units when there is no cap",
                    "∞",
                    "units",
                    "number",
                    lay.NO_CAP_UNITS,
                    None,
                    "no_cap_units",
                ),
                Scalar(
                    "max_quota_ratio",
                    "Largest China-per-US quota ratio",
                    "r max",
                    "ratio",
                    "number",
                    lay.MAX_QUOTA_RATIO,
                    None,
                    "max_quota_ratio",
                ),
            ],
        ),
        Section(
            "Licence timing, demand multiplier and quota ratio",
            [
                scalar(
                    "idx_us_approval",
                    "US approval (month index)",
                    "idx(us_approval)",
                    f"=IF(ISNUMBER(timeline_us_approval),{_idx('timeline_us_approval')},"
                    "never_month)",
                ),
                scalar(
                    "idx_china_approval",
                    "China approval (month index)",
                    "idx(china_approval)",
                    f"=IF(ISNUMBER(timeline_china_approval),{_idx('timeline_china_approval')},"
                    "never_month)",
                ),
                scalar(
                    "licence_month",
                    "Licence in force",
                    "E",
                    "=MAX(idx_us_approval,idx_china_approval)",
                ),
                scalar(
                    "first_shipment_month",
                    "First possible shipment",
                    "Ts",
                    "=licence_month+timeline_test_lag_months",
                ),
                scalar(
                    "idx_reference_start",
                    "Demand reference start (month index)",
                    "idx(reference_start)",
                    f"={_idx('demand_reference_start')}",
                ),
                scalar(
                    "delay_months",
                    "Months of delay",
                    "d",
                    "=MAX(0,licence_month-idx_reference_start)",
                    unit="months",
                ),
                scalar(
                    "demand_multiplier",
                    "Demand multiplier",
                    "M",
                    "=IF(licence_month>=never_month,0,IF(delay_months=0,1,"
                    "IFERROR((1-demand_erosion_per_month)^delay_months,0)))"
                    "*(1+policy_china_import_tariff)^(-demand_price_elasticity)",
                    fmt="rate",
                    unit="factor",
                ),
                scalar(
                    "quota_ratio",
                    "China units allowed per US unit",
                    "r",
                    "=MIN((1-policy_us_min_share)/MAX(policy_us_min_share,1/max_quota_ratio),"
                    "max_quota_ratio)",
                    fmt="rate",
                    unit="ratio",
                ),
                scalar(
                    "levy_end_month",
                    "Levy ends (month index)",
                    "idx(levy_ends)",
                    f"=IF(ISNUMBER(policy_levy_ends),{_idx('policy_levy_ends')},never_month)",
                ),
            ],
        ),
        Section("Calendars (keys drive the Summary roll-ups)", _calendar_items(a)),
        Section(
            "Monthly flags and factors",
            [
                Series(
                    "active",
                    "Shipping allowed (t ≥ Ts)",
                    "1[t≥Ts]",
                    "flag",
                    "integer",
                    "=IF([t]>=first_shipment_month,1,0)",
                    tv.active.astype(float),
                ),
                Series(
                    "ramp",
                    "Order ramp",
                    "ramp(t)",
                    "factor",
                    "rate",
                    "=IF([t]>=first_shipment_month,MIN(1,([t]-first_shipment_month+1)"
                    "/timeline_ramp_months),0)",
                    ramp,
                ),
                Series(
                    "levy",
                    "Levy in force",
                    "levy(t)",
                    "flag",
                    "integer",
                    "=IF([t]<levy_end_month,1,0)",
                    (t < sc["levy_end_month"]).astype(float),
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
            ],
        ),
    ]


def month_serials(a: Assumptions) -> np.ndarray:
    """Excel date serials of the first day of each month, as the month row holds them."""
    return np.array(
        [
            excel_value(dt.date(*parse_month(m), 1))
            for m in month_labels(a.horizon.start, a.horizon.months)
        ]
    )


# ---------------------------------------------------------------- products


def product_sections(
    a: Assumptions, proj: Projection, variant: int, j: int, grid: Grid
) -> list[Section]:
    """MODEL_SPEC §2–3 for product ``j`` of variant ``variant``, as formulas and values."""
    p = a.products[j]
    pp = lay.product_prefix(p.id)
    x = proj.inputs
    tv = time_values(a)
    s = {k: v[variant, j] for k, v in series(proj).items()}
    suppliers = proj.money.suppliers[variant, j]
    ship, us, inv = s["china_shipments_units"], s["us_shipments_units"], s["inventory_units"]
    cum_us = np.cumsum(np.where(tv.active, us, 0.0))
    shipped_before = np.concatenate([[0.0], np.cumsum(ship)[:-1]])
    ratio = tv.scalars["quota_ratio"]
    room_raw = np.where(
        a.policy.quota_basis == "cumulative", ratio * cum_us - shipped_before, ratio * us
    )
    available = np.concatenate([[p.starting_inventory_units], inv[:-1]]) + s["production_units"]
    cap = (
        np.full(grid.months, lay.NO_CAP_UNITS)
        if p.licence_cap_units is None
        else p.licence_cap_units - shipped_before
    )
    restart = (
        tv.licence + a.timeline.restart_lag_months if p.production_paused else -lay.NEVER_MONTH
    )
    rate = float(x.rate[variant, j])
    out = {m.name: lay.output_name(p.id, m.name) for m in METRICS}

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
            s[metric],
            total=total,
            npv=unit == "USD",
            name=out[metric],
            opening=opening,
        )

    def helper(
        key: str, label: str, symbol: str, template: str, values: np.ndarray, fmt: str = "units"
    ) -> Series:
        """A step of the recurrence the core keeps internal."""
        return Series(key, label, symbol, "units", fmt, template, values)

    scalars = Section(
        "Product scalars",
        [
            Scalar(
                "Tp",
                "Paused production restarts",
                "Tp",
                "month",
                "month_index",
                f"=IF({pp}_production_paused,licence_month+timeline_restart_lag_months,"
                "-never_month)",
                restart,
                f"{pp}_Tp",
            ),
            Scalar(
                "rate",
                "US government rate",
                "rate_p",
                "fraction",
                "pct",
                f"=IF(ISNUMBER({pp}_share_rate),{pp}_share_rate,policy_share_rate)",
                rate,
                f"{pp}_rate",
            ),
            Scalar(
                "ending_inventory",
                "Ending inventory",
                "Inv(H)",
                "units",
                "units",
                "=[Inv@last]",
                inv[-1],
                f"{pp}_ending_inventory_units",
            ),
            Scalar(
                "stranded",
                "Stranded inventory at cost",
                "Inv(H)·unit cost",
                "USD",
                "usd",
                f"=[ending_inventory]*{pp}_unit_cost_usd",
                inv[-1] * p.unit_cost_usd,
                f"{pp}_stranded_inventory_usd",
            ),
        ],
    )
    volumes = Section(
        "Volumes (units per month)",
        [
            flow(
                "P",
                "production_units",
                "New production",
                "P(t)",
                f"=IF([t]>={pp}_Tp,{pp}_production_capacity_units_per_month,0)",
            ),
            flow(
                "D",
                "china_demand_units",
                "China demand",
                "D(t)",
                f"={pp}_china_demand_units_per_month*(1+{pp}_china_demand_growth_per_year)"
                "^([t]/12)*demand_multiplier*[Time.ramp]",
            ),
            flow(
                "B",
                "backlog_units",
                "Backlog carried in",
                "B(t)",
                "=demand_backlog_retention*([O-1]-[X-1])",
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
            helper(
                "cumU",
                "US shipments since Ts",
                "ΣU(Ts..t)",
                "=[cumU-1]+IF([Time.active]=1,[U],0)",
                cum_us,
            ),
            helper(
                "cumX", "China shipments before t", "ΣX(..t-1)", "=[cumX-1]+[X-1]", shipped_before
            ),
            helper(
                "room_raw",
                "Quota room before clipping",
                "Room(t)",
                '=IF(policy_quota_basis="cumulative",quota_ratio*[cumU]-[cumX],quota_ratio*[U])',
                room_raw,
            ),
            flow(
                "room",
                "quota_room_units",
                "Quota room",
                "max(0, Room(t))",
                f"=IF([Time.active]=1,IF({pp}_quota_applies,MAX(0,[room_raw]),[O]),0)",
                total="last",
            ),
            helper("A", "Available to ship", "A(t)", "=[Inv-1]+[P]", available),
            helper(
                "cap",
                "Licence units left",
                "Cap(t)",
                f"=IF(ISNUMBER({pp}_licence_cap_units),{pp}_licence_cap_units-[cumX],no_cap_units)",
                cap,
                fmt="cap",
            ),
            flow(
                "X",
                "china_shipments_units",
                "China shipments",
                "X(t)",
                "=IF([Time.active]=1,MAX(0,MIN([O],[A],[room],[cap])),0)",
            ),
            flow(
                "Inv",
                "inventory_units",
                "Inventory (end of month)",
                "Inv(t+1)",
                "=[A]-[X]",
                total="last",
                opening=(f"={pp}_starting_inventory_units", p.starting_inventory_units),
            ),
        ],
    )
    money = Section(
        "Money (USD per month)",
        [
            flow(
                "ASP",
                "asp_usd",
                "Selling price",
                "ASP(t)",
                f"={pp}_asp_usd*(1+{pp}_asp_change_per_year)^([t]/12)",
                unit="USD/unit",
                fmt="usd_unit",
                total="",
            ),
            flow(
                "R",
                "gross_revenue_usd",
                "China gross revenue",
                "R(t)",
                "=[X]*[ASP]",
                unit="USD",
                fmt="usd",
            ),
            flow(
                "G",
                "us_government_usd",
                "US government",
                "G(t)",
                f'=[Time.levy]*{pp}_rate*IF(policy_mechanism="import_tariff",'
                "policy_customs_value_ratio,1)*[R]",
                unit="USD",
                fmt="usd",
            ),
            flow(
                "C",
                "china_tariff_usd",
                "China tariff",
                "C(t)",
                "=policy_china_import_tariff*[R]",
                unit="USD",
                fmt="usd",
            ),
            flow(
                "L",
                "test_lab_usd",
                "US test labs",
                "L(t)",
                "=policy_test_fee_usd_per_unit*[X]",
                unit="USD",
                fmt="usd",
            ),
            flow(
                "V",
                "vendor_retained_usd",
                "Vendor retained",
                "V(t)",
                "=[R]-[G]-[L]",
                unit="USD",
                fmt="usd",
            ),
            flow(
                "COGS",
                "vendor_cogs_usd",
                "Vendor cost of goods",
                "COGS(t)",
                f"={pp}_unit_cost_usd*[X]",
                unit="USD",
                fmt="usd",
            ),
            flow(
                "GP",
                "vendor_gross_profit_usd",
                "Vendor gross profit",
                "GP(t)",
                "=[V]-[COGS]",
                unit="USD",
                fmt="usd",
            ),
        ],
    )
    sups = []
    for k in x.bom_members[j]:
        sid = x.supplier_ids[k]
        sups.append(
            Series(
                f"S_{sid}",
                f"Supplier {sid}",
                "S_k(t)",
                "USD",
                "usd",
                f"={lay.bom_input_name(p.id, sid)}*[P]",
                suppliers[k],
                total="sum",
                npv=True,
                name=lay.output_name(p.id, supplier_metric(sid)),
            )
        )
    sections = [scalars, volumes, money]
    if sups:
        sections.append(Section("Suppliers (USD per month, paid on new production)", sups))
    return sections


def supplier_keys(proj: Projection, j: int) -> list[str]:
    """Line-item keys of product ``j``'s supplier rows (``S_<supplier id>``)."""
    x = proj.inputs
    return [f"S_{x.supplier_ids[k]}" for k in x.bom_members[j]]
